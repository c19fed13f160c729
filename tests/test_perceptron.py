"""PerceptronClassifier: Rosenblatt's rule exactly, the logic gates (S1) and its contracts."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknn_basic import PerceptronClassifier

# Most data here is not linearly separable or trained for a few epochs on purpose:
# the perceptron's ConvergenceWarning is expected and not under test (tests of
# the warning itself use pytest.warns, which sees it regardless).
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GATES = ["AND", "OR", "NAND"]


def _rosenblatt(X, y, epochs, lr=1.0, orders=None):
    """The rule written out sample by sample, as in the lessons."""
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(epochs):
        for i in (range(len(X)) if orders is None else orders[epoch]):
            o = 1.0 if X[i] @ w + b >= 0 else 0.0
            w = w + lr * (y[i] - o) * X[i]
            b = b + lr * (y[i] - o)
    return w, b


@pytest.mark.parametrize("gate", GATES)
def test_learns_separable_gates_exactly(gate, reference):
    s1 = reference["S1_logic_gates"]
    X, y = np.array(s1["inputs"]), np.array(s1[gate])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = PerceptronClassifier(random_state=0).fit(X, y)
    assert_array_equal(clf.predict(X), y)
    assert clf.loss_curve_[-1] == 0  # the last epoch made no mistake


def test_learns_not_gate(reference):
    s1 = reference["S1_logic_gates"]["NOT"]
    X, y = np.array(s1["inputs"]), np.array(s1["targets"])
    assert_array_equal(PerceptronClassifier().fit(X, y).predict(X), y)


def test_cannot_learn_xor_and_says_so(reference):
    s1 = reference["S1_logic_gates"]
    X, y = np.array(s1["inputs"]), np.array(s1["XOR"])
    with pytest.warns(ConvergenceWarning, match="not be linearly separable"):
        clf = PerceptronClassifier(random_state=0).fit(X, y)
    assert (clf.predict(X) == y).mean() < 1


def test_rule_matches_the_lessons_loop_unshuffled():
    X, y = make_classification(n_samples=60, n_features=4, random_state=1)
    clf = PerceptronClassifier(max_iter=7, tol=None, shuffle=False, learning_rate=0.3).fit(X, y)
    w, b = _rosenblatt(X, y, 7, lr=0.3)
    np.testing.assert_allclose(clf.coef_[0], w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_[0], b, rtol=1e-12, atol=1e-12)


def test_rule_matches_the_lessons_loop_shuffled():
    X, y = make_classification(n_samples=50, n_features=3, n_informative=2, n_redundant=0, random_state=2)
    clf = PerceptronClassifier(max_iter=4, tol=None, random_state=5).fit(X, y)
    rng = np.random.RandomState(5)  # shuffles are the only draws of a perceptron
    orders = [rng.permutation(50) for _ in range(4)]
    w, b = _rosenblatt(X, y, 4, orders=orders)
    np.testing.assert_allclose(clf.coef_[0], w, rtol=1e-12, atol=1e-12)


def test_boundary_fires_at_zero():
    # One visit of x = [1, 0] with target 1: w.x + b = 0 fires (o = 1), so no
    # update; a step that only fired above zero would have moved the weights.
    clf = PerceptronClassifier(max_iter=1, tol=None, shuffle=False).fit([[1.0, 0.0], [0.0, 1.0]], [1, 0])
    assert_array_equal(clf.coef_, [[0.0, -1.0]])
    assert_array_equal(clf.intercept_, [-1.0])
    assert clf.predict([[0.0, 0.0]])[0] == 0
    untrained = PerceptronClassifier(max_iter=1, tol=None, fit_intercept=False)
    untrained.fit([[0.0], [2.0]], [1, 2])  # w.x = 0 for both: the weight never moves
    assert_array_equal(untrained.coef_, [[0.0]])
    assert untrained.predict([[5.0]])[0] == 2  # w.x + b == 0 is classes_[1]


def test_multiclass_is_one_vs_rest_with_shared_order():
    X, y = make_classification(n_samples=90, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=0)
    clf = PerceptronClassifier(max_iter=3, tol=None, random_state=1).fit(X, y)
    rng = np.random.RandomState(1)
    orders = [rng.permutation(90) for _ in range(3)]
    for k in range(3):
        w, b = _rosenblatt(X, (y == k).astype(float), 3, orders=orders)
        np.testing.assert_allclose(clf.coef_[k], w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(clf.intercept_[k], b, rtol=1e-12, atol=1e-12)
    assert_array_equal(clf.predict(X), np.argmax(clf.decision_function(X), axis=1))


def test_averaged_perceptron_is_the_mean_of_visited_weights():
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0, random_state=3)
    clf = PerceptronClassifier(max_iter=3, tol=None, shuffle=False, average=True).fit(X, y)
    w, b = np.zeros(3), 0.0
    total_w, total_b = np.zeros(3), 0.0
    for _ in range(3):
        for i in range(40):
            o = 1.0 if X[i] @ w + b >= 0 else 0.0
            w, b = w + (y[i] - o) * X[i], b + (y[i] - o)
            total_w, total_b = total_w + w, total_b + b
    np.testing.assert_allclose(clf.coef_[0], total_w / 120, rtol=1e-10)
    np.testing.assert_allclose(clf.intercept_[0], total_b / 120, rtol=1e-10)
    assert not hasattr(clf, "predict_proba")


def test_learning_rate_only_scales_weights():
    X, y = make_classification(n_samples=100, n_features=4, random_state=5)
    a = PerceptronClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    b = PerceptronClassifier(max_iter=5, tol=None, random_state=0, learning_rate=0.5).fit(X, y)
    np.testing.assert_allclose(b.coef_, 0.5 * a.coef_, rtol=1e-12)
    assert_array_equal(a.predict(X), b.predict(X))


def test_fit_intercept_false_keeps_bias_zero():
    X, y = make_classification(n_samples=60, n_features=4, random_state=6)
    clf = PerceptronClassifier(fit_intercept=False, max_iter=3, tol=None).fit(X, y)
    assert_array_equal(clf.intercept_, [0.0])
