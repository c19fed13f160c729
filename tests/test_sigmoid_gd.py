"""SigmoidGDClassifier: the lessons' S3 run to 1e-8, losses and probabilities."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from sknn_basic import SigmoidGDClassifier
from sknn_basic import functional as F

S3_PARAMS = dict(loss="squared_error", learning_rate=0.5, max_iter=1000, batch_size=None,
                 fit_intercept=False, random_state=42, tol=None)


def test_s3_weights_accuracy_and_loss_curve(reference, lesson_split):
    s3 = reference["S3_sigmoid_gd_admissions"]
    X_train, X_test, y_train, y_test = lesson_split
    clf = SigmoidGDClassifier(**S3_PARAMS).fit(X_train, y_train)
    assert clf.n_iter_ == 1000
    assert_allclose(clf.coef_.ravel(), s3["weights"], rtol=0, atol=1e-8)
    assert clf.score(X_test, y_test) == pytest.approx(s3["test_accuracy"], abs=1e-12)
    # loss_curve_[e] is the halved MSE before epoch e's update, i.e. after
    # epoch e-1's: the lessons printed the MSE after epochs 0, 100, ..., 900.
    assert_allclose(2 * np.array(clf.loss_curve_[1::100]), s3["train_mse_every_100_epochs"],
                    rtol=0, atol=1e-8)


def test_s3_initial_weights_are_the_first_draws(lesson_split):
    X_train, _, y_train, _ = lesson_split
    clf = SigmoidGDClassifier(**{**S3_PARAMS, "max_iter": 1}).fit(X_train, y_train)
    w0 = np.random.RandomState(42).normal(0, 6 ** -0.5, 6)
    out = F.sigmoid(X_train @ w0)
    step = 0.5 * np.mean(((y_train - out) * out * (1 - out))[:, None] * X_train, axis=0)
    assert_allclose(clf.coef_.ravel(), w0 + step, rtol=0, atol=1e-14)


def test_schedules_agree_on_the_lessons_run(lesson_split):
    X_train, _, y_train, _ = lesson_split
    a = SigmoidGDClassifier(**S3_PARAMS).fit(X_train, y_train)
    b = SigmoidGDClassifier(**S3_PARAMS, learning_rate_schedule="constant").fit(X_train, y_train)
    assert a.learning_rate_ == 0.5
    assert_allclose(a.coef_, b.coef_, rtol=0, atol=0)


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_predict_proba_is_consistent(loss, three_classes):
    X, y = three_classes
    clf = SigmoidGDClassifier(loss=loss, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba >= 0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert_allclose(clf.predict_log_proba(X), np.log(proba))
    binary = SigmoidGDClassifier(loss=loss, random_state=0).fit(X, y == 0)
    p = binary.predict_proba(X)
    assert_allclose(p[:, 1], F.sigmoid(binary.decision_function(X)))
    np.testing.assert_array_equal(binary.classes_[p.argmax(axis=1)], binary.predict(X))


def test_log_loss_full_batch_is_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=200, n_features=4, n_informative=4, n_redundant=0,
                               flip_y=0.2, random_state=1)
    X = StandardScaler().fit_transform(X)
    clf = SigmoidGDClassifier(batch_size=None, learning_rate=2.0, max_iter=20000, tol=1e-12,
                              n_iter_no_change=20, random_state=0).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-3, atol=1e-3)
    assert_allclose(clf.intercept_, ref.intercept_, rtol=1e-3, atol=1e-3)


def test_alpha_shrinks_the_weights(three_classes):
    X, y = three_classes
    free = SigmoidGDClassifier(random_state=0, max_iter=50, tol=None).fit(X, y)
    ridge = SigmoidGDClassifier(random_state=0, max_iter=50, tol=None, alpha=0.1).fit(X, y)
    assert np.linalg.norm(ridge.coef_) < 0.7 * np.linalg.norm(free.coef_)
    # The curve includes the penalty term.
    assert ridge.loss_curve_[-1] >= 0.05 * np.sum(ridge.coef_**2)


def test_init_scale_sets_the_initial_spread(three_classes):
    X, y = three_classes
    clf = SigmoidGDClassifier(init_scale=3.0, random_state=7, max_iter=1, tol=None,
                              learning_rate=1e-12).fit(X, y)
    expected = np.random.RandomState(7).normal(0, 3.0, (6, 3)).T
    assert_allclose(clf.coef_, expected, rtol=1e-9)


def test_mini_batches_of_one_sample_are_per_sample_gradient_descent():
    X, y = make_classification(n_samples=20, n_features=3, n_informative=2, n_redundant=0,
                               random_state=2)
    clf = SigmoidGDClassifier(batch_size=1, shuffle=False, max_iter=2, tol=None,
                              fit_intercept=False, random_state=0, learning_rate=0.1).fit(X, y)
    w = np.random.RandomState(0).normal(0, 3 ** -0.5, 3)
    for _ in range(2):
        for x_i, y_i in zip(X, y):
            o = F.sigmoid(x_i @ w)
            w = w + 0.1 * (y_i - o) * x_i
    assert_allclose(clf.coef_.ravel(), w, rtol=1e-12)


def test_auto_batch_size_makes_equal_batches():
    from sknn_basic._network_estimator import auto_batch_size

    assert auto_batch_size(150) == 150  # full batch on small data
    assert auto_batch_size(200) == 200
    assert auto_batch_size(225) == 113  # two equal batches, not 200 + 25
    assert auto_batch_size(569) == 190
    assert auto_batch_size(75_000) == 1154  # about 64 batches
    for n in [201, 999, 12_800, 100_000]:
        size = auto_batch_size(n)
        n_batches = -(-n // size)
        assert n - (n_batches - 1) * size >= size - n_batches  # the last is nearly full


def test_auto_learning_rate_shrinks_with_the_number_of_batches():
    X, y = make_classification(n_samples=1000, n_features=5, random_state=0)
    full = SigmoidGDClassifier(batch_size=None, max_iter=1, tol=None, random_state=0).fit(X, y)
    assert full.learning_rate_ == 2.0
    four = SigmoidGDClassifier(batch_size=250, max_iter=1, tol=None, random_state=0).fit(X, y)
    assert four.learning_rate_ == 1.0
    fixed = SigmoidGDClassifier(learning_rate=0.3, batch_size=250, max_iter=1, tol=None).fit(X, y)
    assert fixed.learning_rate_ == 0.3
    with pytest.raises(ValueError, match="learning_rate"):
        SigmoidGDClassifier(learning_rate="fast").fit(X, y)


def test_a_fit_worse_than_the_class_priors_warns_about_the_features_scale():
    # Raw admissions-like features (gre ~ 600, gpa ~ 3.4, rank 1-4) and a
    # huge step: the model ends worse than always answering the priors.
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(590, 115, 400), rng.normal(3.4, 0.4, 400),
                         rng.randint(1, 5, 400)])
    y = (rng.uniform(size=400) < 0.32).astype(int)
    with pytest.warns(ConvergenceWarning, match=r"worse than that of always predicting the "
                      r"class priors.*features are on a large scale") as record:
        est = SigmoidGDClassifier(learning_rate=5e5, random_state=0).fit(X, y)
    assert any(w.filename == __file__ for w in record)
    # The same model standardised learns at least the constant: no such warning.
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*worse than that of always",
                                category=ConvergenceWarning)
        SigmoidGDClassifier(random_state=0, max_iter=200).fit(
            StandardScaler().fit_transform(X), y)
    del est


def _separable_rule(n=5000):
    """Issue 20's rule: y = x0 + x1 > 1 on uniform X of 20 columns."""
    X = np.random.RandomState(0).uniform(size=(n, 20))
    return X, (X[:, 0] + X[:, 1] > 1).astype(int)


@pytest.mark.parametrize("params", [{"batch_size": None}, {"batch_size": 10**6},
                                    {"batch_size": None, "loss": "squared_error"},
                                    {"batch_size": None, "solver": "adam",
                                     "learning_rate": 0.01}],
                         ids=["full batch", "batch beyond n", "squared error", "adam"])
def test_a_full_batch_fit_stalled_on_a_plateau_warns_and_names_the_way_out(params):
    # Issue 20: the loss improved by less than tol for n_iter_no_change
    # epochs on a plateau (accuracy 0.93, the gradient still 0.067 of its
    # size at the start), and the fit said nothing.
    from sklearn.exceptions import ConvergenceWarning

    X, y = _separable_rule()
    with pytest.warns(ConvergenceWarning, match=r"gradient is still .* of its size at the "
                      r"start.*solver=\"lbfgs\".*lower tol and raise max_iter") as record:
        est = SigmoidGDClassifier(random_state=0, **params).fit(X, y)
    assert est._training.stop_reason == "tol" and est.score(X, y) < 0.95
    assert record[0].filename == __file__
    assert SigmoidGDClassifier(solver="lbfgs", random_state=0).fit(X, y).score(X, y) >= 0.99


def test_converged_stops_and_other_stops_do_not_warn_of_a_plateau():
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = make_classification(n_samples=1000, n_features=20, n_informative=10, random_state=0)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # Stopped on tol near the optimum (the gradient at 0.024 of its start).
        est = SigmoidGDClassifier(batch_size=None, random_state=0).fit(X, y)
        assert est._training.stop_reason == "tol"
        rule_X, rule_y = _separable_rule(2000)
        # Mini-batches, early stopping, tol=None: not the full-batch tol stop.
        SigmoidGDClassifier(random_state=0).fit(rule_X, rule_y)
        SigmoidGDClassifier(batch_size=None, early_stopping=True,
                            random_state=0).fit(rule_X, rule_y)
        SigmoidGDClassifier(batch_size=None, tol=None, max_iter=30,
                            random_state=0).fit(rule_X, rule_y)


def test_the_lessons_runs_do_not_warn(lesson_split):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sknn_basic import TwoLayerBackpropClassifier
    from sknn_basic._lessons import S3_PARAMS as LESSON_S3, S6_PARAMS

    X_train, _, y_train, _ = lesson_split
    # Plain full-batch gradient descent at the lessons' rates, for their
    # fixed number of epochs (tol=None): neither the plateau warning nor the
    # worse-than-a-constant one (the S6 run ends above the class priors'
    # loss, still falling after the epochs asked for).
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SigmoidGDClassifier(**LESSON_S3).fit(X_train, y_train)
        TwoLayerBackpropClassifier(**S6_PARAMS).fit(X_train, y_train)


def test_a_short_fit_of_the_epochs_asked_for_is_not_called_worse_than_a_constant():
    # The lessons' S3 settings for ten epochs: the loss is still falling and
    # above the priors', but tol=None asked for exactly these epochs.
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sknn_basic import lessons_features, load_default_admissions

    X_train, _, y_train, _ = lessons_features(load_default_admissions())
    settings = dict(loss="squared_error", learning_rate=0.5, max_iter=10, batch_size=None,
                    fit_intercept=False, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SigmoidGDClassifier(tol=None, **settings).fit(X_train, y_train)
    # With a tolerance, the run was meant to go on until it stopped improving.
    with pytest.warns(ConvergenceWarning, match=r"worse than that of always predicting the "
                      r"class priors.*still falling after 10 epoch\(s\): increase max_iter"):
        SigmoidGDClassifier(tol=1e-12, **settings).fit(X_train, y_train)


def test_one_epoch_asked_for_is_not_called_an_overshoot():
    # One epoch's loss is measured before its step: a single entry cannot say
    # the steps overshoot, and tol=None asked for exactly that epoch.
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.RandomState(1)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SigmoidGDClassifier(loss="squared_error", learning_rate=0.5, batch_size=None,
                            max_iter=1, tol=None, fit_intercept=False, random_state=4).fit(X, y)
