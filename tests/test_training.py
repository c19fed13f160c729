"""The shared training loop and fit protocol, exercised through all three estimators."""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn_basic import PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier

# These tests train a few epochs on purpose, or on data no linear rule separates: a
# ConvergenceWarning is expected there and not under test.  Tests of the warnings
# themselves assert them with pytest.warns, which sees them regardless.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier]


def _weights(est):
    if hasattr(est, "coefs_"):
        return np.concatenate([w.ravel() for w in est.coefs_ + est.intercepts_])
    return np.concatenate([est.coef_.ravel(), est.intercept_.ravel()])


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0, cluster_std=2.0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_labels_of_any_type(Est, blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = Est(random_state=0, max_iter=30, tol=None).fit(X, names)
    assert_array_equal(est.classes_, ["setosa", "versicolor", "virginica"])
    assert set(est.predict(X)) <= set(names)
    assert est.score(X, names) > 0.8
    assert est.decision_function(X).shape == (300, 3)
    binary = Est(random_state=0, max_iter=30, tol=None).fit(X, names == "setosa")
    assert binary.decision_function(X).shape == (300,)
    assert binary.predict(X).dtype == bool


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_float32_stays_float32(Est, blobs):
    X, y = blobs
    est = Est(random_state=0, max_iter=5, tol=None).fit(X.astype(np.float32), y)
    assert _weights(est).dtype == np.float32
    assert est.decision_function(X.astype(np.float32)).dtype == np.float32
    est64 = Est(random_state=0, max_iter=5, tol=None).fit(X, y)
    assert_allclose(_weights(est), _weights(est64), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sparse_input_equals_dense(Est, blobs):
    X, y = blobs
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = Est(random_state=0, max_iter=10, tol=None).fit(X, y)
    sparse = Est(random_state=0, max_iter=10, tol=None).fit(sp.csr_matrix(X), y)
    assert_allclose(_weights(dense), _weights(sparse), rtol=1e-9, atol=1e-12)
    assert_array_equal(dense.predict(X), sparse.predict(sp.csr_matrix(X)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_class_weight_balanced_equals_its_dict(Est, binary):
    X, y = binary
    y = y.copy()
    y[: 150][y[:150] == 1] = 0  # imbalance the classes
    counts = np.bincount(y)
    balanced = len(y) / (2 * counts)
    a = Est(class_weight="balanced", random_state=0, max_iter=10, tol=None).fit(X, y)
    b = Est(class_weight={0: balanced[0], 1: balanced[1]}, random_state=0, max_iter=10,
            tol=None).fit(X, y)
    assert_allclose(_weights(a), _weights(b), rtol=1e-12)
    unweighted = Est(random_state=0, max_iter=10, tol=None).fit(X, y)
    # Weighting the rare class up predicts it more often.
    assert (a.predict(X) == 1).sum() > (unweighted.predict(X) == 1).sum()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_zero_sample_weight_is_removal(Est, binary):
    X, y = binary
    sw = np.ones(len(y))
    sw[::3] = 0
    kwargs = dict(random_state=0, max_iter=5, tol=None, shuffle=False)
    if Est is not PerceptronClassifier:
        kwargs["batch_size"] = None
    a = Est(**kwargs).fit(X, y, sample_weight=sw)
    b = Est(**kwargs).fit(X[sw > 0], y[sw > 0])
    assert_allclose(_weights(a), _weights(b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_integer_weights_equal_repeated_rows_full_batch(Est, binary):
    X, y = binary
    sw = np.random.RandomState(0).randint(0, 4, len(y))
    kwargs = dict(random_state=0, max_iter=20, tol=None, batch_size=None)
    a = Est(**kwargs).fit(X, y, sample_weight=sw)
    b = Est(**kwargs).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(_weights(a), _weights(b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_partial_fit_requires_classes_then_trains_one_epoch(Est, blobs):
    X, y = blobs
    est = Est(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    est.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    assert est.n_iter_ == 1 and est.t_ == 100
    est.partial_fit(X[100:], y[100:])
    # The network's second call also trains on the 100 rows it remembers.
    replayed = 100 if getattr(est, "replay_size", 0) else 0
    assert est.n_iter_ == 2 and est.t_ == 300 + replayed
    with pytest.raises(ValueError, match="not among the classes"):
        est.partial_fit(X[:5], [0, 1, 7, 0, 1])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:5, :2], y[:5])


@pytest.mark.parametrize(
    "Est, extra",
    [(PerceptronClassifier, {}), (SigmoidGDClassifier, {}), (SigmoidGDClassifier, {"solver": "adam"}),
     (TwoLayerBackpropClassifier, {"momentum": 0.0, "replay_size": 0}),
     (TwoLayerBackpropClassifier, {"solver": "adam", "replay_size": 0})],
)
def test_partial_fit_epochs_equal_fit_epochs(Est, extra, blobs):
    # Momentum and the replay memory are the differences: a stream's first
    # partial_fit calls start their velocity afresh, and the network's calls
    # train on remembered rows too (see test_backprop's streaming tests).
    # Adam's moments and everything else carry over.
    X, y = blobs
    fitted = Est(random_state=0, max_iter=3, tol=None, shuffle=False, **extra).fit(X, y)
    stepped = Est(random_state=0, shuffle=False, **extra)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=np.unique(y))
    assert_allclose(_weights(stepped), _weights(fitted), rtol=1e-12)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_warm_start_continues(Est, blobs):
    X, y = blobs
    once = Est(random_state=0, max_iter=6, tol=None, shuffle=False).fit(X, y)
    twice = Est(random_state=0, max_iter=3, tol=None, shuffle=False, warm_start=True)
    twice.fit(X, y)
    twice.fit(X, y)
    # As scikit-learn's SGDClassifier: n_iter_ and the loss curve are the
    # last call's; the samples seen add up.
    assert twice.n_iter_ == 3 and len(twice.loss_curve_) == 3
    assert twice.t_ == 6 * X.shape[0]
    assert_allclose(_weights(twice), _weights(once), rtol=1e-12)
    cold = Est(random_state=0, max_iter=3, tol=None, shuffle=False)
    cold.fit(X, y)
    w = _weights(cold)
    cold.fit(X, y)
    assert_allclose(_weights(cold), w)  # no warm start: the same 3 epochs again


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_seed_same_model_and_clone(Est, blobs):
    X, y = blobs
    a = Est(random_state=3, max_iter=5, tol=None).fit(X, y)
    b = clone(a).fit(X, y)
    assert_array_equal(_weights(a), _weights(b))
    restored = pickle.loads(pickle.dumps(a))
    assert_array_equal(restored.predict(X), a.predict(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_verbose_prints_ten_lines_and_flags_rises(Est, blobs, capsys):
    X, y = blobs
    Est(random_state=0, max_iter=100, tol=None, verbose=1).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Epoch")]
    assert len(lines) == 10
    assert [int(re.search(r"Epoch\s+(\d+)", l).group(1)) for l in lines] == list(range(0, 100, 10))
    Est(random_state=0, max_iter=25, tol=None, verbose=1).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Epoch")]
    assert len(lines) == 10
    losses = [float(re.search(r"train loss ([0-9.eE+-]+)", l).group(1)) for l in lines]
    for previous, current, line in zip(losses, losses[1:], lines[1:]):
        assert ("WARNING" in line) == (current > previous)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_callback_receives_epochs_and_can_stop(Est, blobs):
    X, y = blobs
    seen = []

    def callback(estimator, info):
        seen.append((info["epoch"], info["loss"], estimator.n_iter_))
        return info["epoch"] == 3

    est = Est(random_state=0, max_iter=50, tol=None, callback=callback).fit(X, y)
    assert est.n_iter_ == 4
    assert [s[0] for s in seen] == [0, 1, 2, 3]
    assert [s[1] for s in seen] == est.loss_curve_


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_early_stopping_records_validation_and_keeps_best(Est, binary):
    X, y = binary
    est = Est(random_state=0, early_stopping=True, validation_fraction=0.2, max_iter=200,
              n_iter_no_change=5).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_ == len(est.validation_loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.n_iter_ < 200
    # The kept weights are the best epoch's: rescoring the held-out part agrees.
    assert est.best_validation_score_ >= est.validation_scores_[-1]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_tol_stops_and_tol_none_runs_max_iter(Est, binary):
    X, y = binary
    est = Est(random_state=0, max_iter=500, tol=None).fit(X, y)
    if Est is PerceptronClassifier and est.n_iter_ < 500:
        assert est.loss_curve_[-1] == 0  # only a mistake-free epoch ends it early
    else:
        assert est.n_iter_ == 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stopped = Est(random_state=0, max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert stopped.n_iter_ < 500


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_max_iter_reached_warns(Est, binary):
    X, y = binary
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        Est(random_state=0, max_iter=2, tol=1e-12).fit(X, y)


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_divergent_run_keeps_finite_weights_and_warns(Est, binary):
    X, y = binary
    X = X * 1e200
    extra = {"activation": "relu"} if Est is TwoLayerBackpropClassifier else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = Est(random_state=0, learning_rate=1e200, learning_rate_schedule="constant",
                  max_iter=20, tol=None, **extra).fit(X, y)
    assert np.all(np.isfinite(_weights(est)))
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("diverged" in m and "Lower learning_rate" in m for m in messages)
    assert not any(issubclass(w.category, RuntimeWarning) for w in caught)
    assert est.n_iter_ < 20


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_adaptive_schedule_halves_step_on_rises_only(Est, binary):
    X, y = binary
    extra = {"momentum": 0.0} if Est is TwoLayerBackpropClassifier else {}
    est = Est(random_state=0, learning_rate=50.0, max_iter=40, tol=None, **extra).fit(X, y)
    rises = sum(b > 1.01 * a for a, b in zip(est.loss_curve_, est.loss_curve_[1:]))
    assert rises > 0
    assert est.learning_rate_ == pytest.approx(50.0 * 0.5**rises)
    constant = Est(random_state=0, learning_rate=50.0, max_iter=40, tol=None,
                   learning_rate_schedule="constant", **extra).fit(X, y)
    assert constant.learning_rate_ == 50.0


def test_adaptive_schedule_restarts_momentum_before_halving(binary):
    X, y = binary
    est = TwoLayerBackpropClassifier(random_state=0, learning_rate=50.0, momentum=0.9,
                                     max_iter=40, tol=None).fit(X, y)
    rises = [b > 1.01 * a for a, b in zip(est.loss_curve_, est.loss_curve_[1:])]
    # Each rise first restarts the momentum; only a rise right after a
    # restart halves the step.
    halvings, restarted = 0, False
    for rise in rises:
        if rise and restarted:
            halvings, restarted = halvings + 1, False
        elif rise:
            restarted = True
        else:
            restarted = False
    assert sum(rises) > halvings
    assert est.learning_rate_ == pytest.approx(50.0 * 0.5**halvings)


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_extreme_inputs_give_no_warnings_or_nan(Est):
    X = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4], [-1e4, -1e4]])
    y = [0, 1, 1, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = Est(random_state=0, max_iter=5, tol=None).fit(X, y)
        proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all(np.isfinite(_weights(est)))


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "params, message",
    [({"learning_rate": -1.0}, "learning_rate"), ({"max_iter": 0}, "max_iter"),
     ({"class_weight": "equal"}, "class_weight"), ({"validation_fraction": 1.5}, "validation_fraction")],
)
def test_bad_parameters_are_named(Est, params, message, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=message):
        Est(**params).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_data_messages(Est, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="one class"):
        Est().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(np.full_like(X, np.nan), y)
    with pytest.raises(ValueError, match="sample_weight gives every sample a weight of zero"):
        Est().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="balanced"):
        Est(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    fitted = Est(max_iter=2, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        fitted.predict(X[:, :3])


@pytest.mark.parametrize(
    "Est, method",
    [(Est, method) for Est in ESTIMATORS
     for method in ("predict", "decision_function", "predict_proba", "score")
     if hasattr(Est, method)],
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_prediction_rejects_non_finite_input(Est, bad, method, binary):
    # Dense X is checked in the pass of the first product, not by
    # validate_data: through the fused column of ones for the linear models,
    # and before the product for the network's wide first layer.
    X, y = binary
    est = Est(max_iter=5, tol=None, random_state=0).fit(X, y)
    X_bad = X.copy()
    X_bad[7, 2] = bad
    args = (X_bad, y) if method == "score" else (X_bad,)
    word = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        getattr(est, method)(*args)
    # float32 input goes through the same check.
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        getattr(est, method)(*((X_bad.astype(np.float32),) + args[1:]))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_prediction_accepts_finite_input_whose_sum_overflows(Est, binary):
    # The fused check sees an infinite row sum; scikit-learn's element-wise
    # check then finds every value finite and prediction goes on.
    X, y = binary
    est = Est(max_iter=5, tol=None, random_state=0).fit(X, y)
    X_big = X[:4].copy()
    X_big[:, :2] = 1.5e308
    with np.errstate(all="ignore"):
        predicted = est.predict(X_big)
    assert predicted.shape == (4,)
    assert set(predicted) <= set(est.classes_)



# ------------------------------------------------------------- divergence


def test_exploding_relu_network_is_divergence_and_keeps_finite_outputs(binary):
    X, y = binary
    with pytest.warns(ConvergenceWarning, match="Training diverged .* weights grew beyond"):
        net = TwoLayerBackpropClassifier(
            activation="relu", learning_rate=1e4, learning_rate_schedule="constant",
            random_state=0,
        ).fit(X * 100, y)
    assert max(np.abs(W).max() for W in net.coefs_) <= 1e10
    for method in (net.decision_function, net.predict_proba):
        assert np.all(np.isfinite(method(X * 100)))


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_a_rising_loss_advises_a_lower_learning_rate(Est, binary):
    X, y = binary
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Est(learning_rate=1e6, random_state=0).fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert messages, "a run whose loss rose must warn"
    assert all("raise learning_rate" not in m for m in messages)
    assert any("lower learning_rate" in m.lower() for m in messages)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("poison", [np.nan, np.inf])
def test_a_callback_writing_non_finite_weights_trips_the_guard(Est, poison, binary):
    X, y = binary

    def spoil(est, info):
        if info["epoch"] == 2:
            (est.coefs_[0] if hasattr(est, "coefs_") else est.coef_)[...] = poison

    with pytest.warns(ConvergenceWarning, match="callback left infinite or NaN weights"):
        est = Est(callback=spoil, max_iter=10, tol=None, random_state=0).fit(X, y)
    assert est.n_iter_ == 3
    assert np.all(np.isfinite(_weights(est)))
    assert np.all(np.isfinite(est.decision_function(X)))


def test_after_divergence_the_kept_state_gives_finite_outputs():
    # A step so large that the second epoch overflows: what is kept must
    # still predict finite probabilities on the training data.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4)) * 1e3
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="Training diverged"):
        net = TwoLayerBackpropClassifier(
            activation="relu", learning_rate=1e30, learning_rate_schedule="constant",
            momentum=0.0, batch_size=None, random_state=0,
        ).fit(X, y)
    assert np.all(np.isfinite(net.predict_proba(X)))
    assert np.all(np.isfinite(net.decision_function(X)))


# ------------------------------------- warnings name the caller's line


def test_fit_warnings_point_at_the_callers_line():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn_basic import PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    calls = [
        lambda: SigmoidGDClassifier(max_iter=2, tol=1e-12).fit(X, y),
        lambda: make_pipeline(StandardScaler(), SigmoidGDClassifier(max_iter=2, tol=1e-12))
        .fit(X, y),
        # A divergence (targets near 1e160) and a perceptron that cannot separate.
        lambda: TwoLayerBackpropRegressor(random_state=0).fit(X, X @ [1.0, 2.0, 3.0] * 1e160),
        lambda: PerceptronClassifier(max_iter=2).fit(X, rng.randint(2, size=60)),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught, "the call warned"
        for w in caught:
            assert w.filename == __file__, (w.filename, str(w.message))


def test_attributes_of_the_other_stopping_rule_are_none():
    # As MLPClassifier: they exist, and are None where they do not apply.
    from sknn_basic import PerceptronClassifier, SigmoidGDClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    for Est in (PerceptronClassifier, SigmoidGDClassifier):
        plain = Est(max_iter=3, tol=None).fit(X, y)
        assert plain.validation_scores_ is None and plain.best_validation_score_ is None
        assert plain.validation_loss_curve_ is None
        assert plain.best_loss_ == min(plain.loss_curve_)
        early = Est(max_iter=3, tol=None, early_stopping=True, random_state=0).fit(X, y)
        assert early.best_loss_ is None
        assert early.best_validation_score_ == max(early.validation_scores_)
        # A refit without early stopping turns them back to None.
        early.set_params(early_stopping=False).fit(X, y)
        assert early.validation_scores_ is None and early.best_loss_ is not None


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_an_estimator_composes_its_watchers_and_the_loop_obeys_any(Est, binary):
    # Issue 19: stopping rules, the guard, progress lines, the schedule, the
    # callback and the advice are watchers the estimator lists; a new rule
    # of stopping is one more watcher, and the loop needs no change.
    from sknn_basic._watchers import Watcher

    X, y = binary

    class StopAtThree(Watcher):
        def decide(self, run, epoch):
            return "three" if run.record.n_iter - run.first == 3 else None

    class Short(Est):
        def _watchers(self, *args):
            return [*super()._watchers(*args), StopAtThree()]

    est = Short(max_iter=50, tol=None, random_state=0).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert est._training.stop_reason == "three"
    # The first three epochs are those of an unwatched fit of three epochs.
    plain = Est(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert_array_equal(_weights(est), _weights(plain))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_streams_progress_line_flags_a_rise_since_the_previous_calls_line(Est, binary, capsys):
    # The last printed loss belongs to the stream (the record), not to one
    # call: a chunk whose loss rose says so on its line.
    X, y = binary
    est = Est(verbose=1, random_state=0)
    for _ in range(3):
        est.partial_fit(X[:200], y[:200], classes=[0, 1])
    est.partial_fit(X[200:], 1 - y[200:])  # every label flipped: the loss jumps
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert "WARNING - loss increasing" in lines[-1]
