"""Property-based tests of every estimator: what must hold for any valid input.

Hypothesis draws the shapes, dtypes, memory layouts, sparse formats, labels,
weights and call sequences; the properties are the promises of the package:
finite outputs, probabilities in [0, 1] summing to 1, ``predict`` equal to
the arg-max of ``predict_proba``, determinism under a seed, equality after
``clone`` and pickling, and the input's floating dtype kept.  Examples are
few and small so that the whole file stays within a few seconds.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is needed (extra 'test')")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from sknn_basic import (  # noqa: E402
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)

FAST = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

CLASSIFIERS = {
    "perceptron": lambda **kw: PerceptronClassifier(max_iter=5, **kw),
    "sigmoid": lambda **kw: SigmoidGDClassifier(max_iter=5, **kw),
    "sigmoid_adam": lambda **kw: SigmoidGDClassifier(max_iter=5, solver="adam", **kw),
    "backprop": lambda **kw: TwoLayerBackpropClassifier(n_hidden=5, max_iter=5, **kw),
    "backprop_relu_sq": lambda **kw: TwoLayerBackpropClassifier(
        n_hidden=4, activation="relu", loss="squared_error", max_iter=5, **kw),
}


@st.composite
def problems(draw, regression=False):
    """A training set: X of some dtype, layout and format, labels and weights."""
    n = draw(st.integers(4, 40))
    d = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    X = draw(hnp.arrays(dtype, (n, d), elements=st.floats(-1, 1, width=32))) * dtype(scale)
    layout = draw(st.sampled_from(["C", "F", "strided", "csr", "csc", "coo"]))
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    elif layout in ("csr", "csc", "coo"):
        X = getattr(sp, f"{layout}_matrix")(np.where(np.abs(X) < 0.3 * scale, 0, X))
    if regression:
        y = draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100)))
    else:
        n_classes = draw(st.integers(2, 4))
        labels = draw(st.sampled_from([
            np.arange(n_classes), np.array(["a", "b", "c", "d"])[:n_classes],
            np.array([-100, 5, 100, 127], dtype=np.int8)[:n_classes],
        ]))
        # Every class present at least once.
        index = np.concatenate([np.arange(n_classes), draw(
            hnp.arrays(np.int64, n - n_classes, elements=st.integers(0, n_classes - 1)))]) \
            if n >= n_classes else np.arange(n) % n_classes
        y = labels[index]
    weights = draw(st.one_of(st.none(), hnp.arrays(
        np.float64, n, elements=st.floats(0, 10).filter(lambda w: w == 0 or w > 1e-3))))
    if weights is not None and not np.any(weights > 0):
        weights = None
    return X, y, weights, dtype


def _fit(est, X, y, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, sample_weight=weights)


def _params(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
@FAST
@given(problem=problems())
def test_classifier_promises(name, problem):
    X, y, weights, dtype = problem
    est = _fit(CLASSIFIERS[name](random_state=0), X, y, weights)
    for p in _params(est):
        assert p.dtype == dtype and np.all(np.isfinite(p))
    scores = est.decision_function(X)
    assert scores.dtype == dtype and np.all(np.isfinite(scores))
    predicted = est.predict(X)
    assert set(predicted.tolist()) <= set(est.classes_.tolist())
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        assert proba.shape == (X.shape[0], len(est.classes_))
        assert np.all((proba >= 0) & (proba <= 1))
        assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
        assert_array_equal(predicted, est.classes_[np.argmax(proba, axis=1)])
    # Determinism, clone and pickle.
    again = _fit(clone(est), X, y, weights)
    for a, b in zip(_params(est), _params(again)):
        assert_array_equal(a, b)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.predict(X), predicted)


@FAST
@given(problem=problems(regression=True), targets=st.integers(1, 3))
def test_regressor_promises(problem, targets):
    X, y, weights, dtype = problem
    Y = y if targets == 1 else np.column_stack([y * k for k in range(1, targets + 1)])
    reg = _fit(TwoLayerBackpropRegressor(n_hidden=4, max_iter=5, random_state=0), X, Y, weights)
    out = reg.predict(X)
    assert out.shape == Y.shape and out.dtype == dtype and np.all(np.isfinite(out))
    again = _fit(clone(reg), X, Y, weights)
    assert_array_equal(again.predict(X), out)
    assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), out)


@pytest.mark.parametrize("name", ["perceptron", "sigmoid", "backprop"])
@FAST
@given(problem=problems(), calls=st.lists(st.sampled_from(["fit", "partial_fit"]), min_size=1,
                                           max_size=4))
def test_any_sequence_of_fit_and_partial_fit_stays_finite(name, problem, calls):
    X, y, weights, dtype = problem
    est = CLASSIFIERS[name](random_state=0, warm_start=True)
    classes = np.unique(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for call in calls:
            if call == "fit":
                est.fit(X, y, sample_weight=weights)
            else:
                est.partial_fit(X, y, classes=classes, sample_weight=weights)
    for p in _params(est):
        assert p.dtype == dtype and np.all(np.isfinite(p))
    assert np.all(np.isfinite(est.decision_function(X)))
    assert est.n_iter_ >= 1
