"""The shared fit protocol's contract corners: weights, labels, dtypes, warm starts and streams."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn_basic import (
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)

CLASSIFIERS = [PerceptronClassifier, SigmoidGDClassifier, TwoLayerBackpropClassifier]
ALL = CLASSIFIERS + [TwoLayerBackpropRegressor]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    return StandardScaler().fit_transform(X), y


def _weights(est):
    if hasattr(est, "coefs_"):
        return np.concatenate([w.ravel() for w in est.coefs_ + est.intercepts_])
    return np.concatenate([est.coef_.ravel(), est.intercept_.ravel()])


def _quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


# ------------------------------------------------------------------ weights


@pytest.mark.parametrize("Est", CLASSIFIERS)
@pytest.mark.parametrize(
    "class_weight", [{0: -1, 1: 1}, {0: -1, 1: 2}, {0: np.nan, 1: 1}, {0: np.inf, 1: 1},
                     {0: -np.inf, 1: 1}, {0: "heavy", 1: 1}, {0: 0, 1: 0}, {0: 1, 2: 1}],
)
def test_bad_class_weight_is_a_value_error_naming_it(Est, data, class_weight):
    X, y = data
    with pytest.raises(ValueError, match="class_weight"):
        Est(class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize(
    "bad", [-1.0, np.nan, np.inf, -np.inf, "zero"],
)
def test_bad_sample_weight_is_a_value_error_naming_it(Est, data, bad):
    X, y = data
    weights = np.ones(len(y), dtype=object if isinstance(bad, str) else float)
    weights[3] = bad
    with pytest.raises(ValueError, match="sample_weight"):
        Est().fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="sample_weight"):
        Est().fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize("scale", [1e-320, 1e-200, 1e200, 1e308])
def test_extreme_valid_weights_train_like_the_same_weights_rescaled(Est, data, scale):
    X, y = data
    # Subnormal numbers keep too few bits for unequal ratios: there, equal weights.
    base = np.ones(len(y)) if scale < 1e-300 else np.linspace(0.5, 2.0, len(y)) / 2.0
    ratio = 1.0 if scale < 1e-300 else 0.5
    kwargs = dict(random_state=0, max_iter=5, tol=None)
    reference = _quiet_fit(Est(**kwargs), X, y, sample_weight=base)
    extreme = _quiet_fit(Est(**kwargs), X, y, sample_weight=base * scale)
    assert np.all(np.isfinite(_weights(extreme)))
    assert_allclose(_weights(extreme), _weights(reference), rtol=1e-6, atol=1e-12)
    if Est is not TwoLayerBackpropRegressor:
        cw = _quiet_fit(Est(class_weight={0: ratio * scale, 1: scale}, **kwargs), X, y)
        same = _quiet_fit(Est(class_weight={0: ratio, 1: 1.0}, **kwargs), X, y)
        assert_allclose(_weights(cw), _weights(same), rtol=1e-6, atol=1e-12)


# ----------------------------------------------------------- labels, dtypes


@pytest.mark.parametrize("Est", CLASSIFIERS)
@pytest.mark.parametrize(
    "labels",
    [np.array([-100, 100], dtype=np.int8), np.array([-128, 127], dtype=np.int8),
     np.array([0, 255], dtype=np.uint8), np.array([-(2**62), 2**62], dtype=np.int64),
     np.array([2**64 - 2, 2**64 - 1], dtype=np.uint64), np.array([3, 5, 7], dtype=np.int16)],
)
def test_labels_of_any_integer_dtype_and_value(Est, data, labels):
    X, y = data
    target = labels[np.arange(len(y)) % len(labels)]
    est = _quiet_fit(Est(random_state=0, max_iter=3, tol=None), X, target)
    assert_array_equal(est.classes_, np.sort(labels))
    assert est.classes_.dtype == labels.dtype
    assert set(est.predict(X).tolist()) <= set(labels.tolist())


@pytest.mark.parametrize("Est", ALL)
def test_big_endian_float32_stays_float32(Est, data):
    X, y = data
    big = X.astype(">f4")
    est = _quiet_fit(Est(random_state=0, max_iter=3, tol=None), big, y)
    assert _weights(est).dtype == np.float32
    native = _quiet_fit(Est(random_state=0, max_iter=3, tol=None), X.astype(np.float32), y)
    assert_array_equal(_weights(est), _weights(native))
    assert est.predict(big).shape == (len(y),)


def _unaligned(X):
    """A copy of X at an odd address, as compute() through a distributed client returns it."""
    buffer = np.empty(X.nbytes + 1, dtype=np.uint8)[1:]
    copy = buffer.view(X.dtype).reshape(X.shape)
    copy[...] = X
    return copy


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize("layout", ["unaligned", "fortran", "strided", "memmap"])
def test_every_layout_trains_on_the_layout_the_epochs_need(Est, data, layout, tmp_path):
    from sknn_basic._inputs import native as _native

    X, y = data
    if layout == "unaligned":
        given = _unaligned(X)
        assert not given.flags.aligned and _native(given).flags.aligned
    elif layout == "fortran":
        given = np.asfortranarray(X)
    elif layout == "strided":
        given = np.repeat(X, 2, axis=1)[:, ::2]
    else:
        np.save(tmp_path / "X.npy", X)
        given = np.load(tmp_path / "X.npy", mmap_mode="r")
    # Once brought to an aligned C array, the same code trains on the same values.
    reference = _quiet_fit(Est(random_state=0, max_iter=3, tol=None), X, y)
    est = _quiet_fit(Est(random_state=0, max_iter=3, tol=None), given, y)
    assert_array_equal(_weights(est), _weights(reference))
    assert_array_equal(est.predict(given), reference.predict(X))


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_predict_is_argmax_of_predict_proba_even_when_saturated(Est, loss):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 3))
    y = np.arange(90) % 3
    est = _quiet_fit(Est(loss=loss, random_state=0, max_iter=3, tol=None), X, y)
    # Huge inputs saturate every output unit, so that probabilities tie.
    for scale in (1.0, 1e3, 1e6, 1e12):
        Z = X * scale
        assert_array_equal(est.predict(Z), est.classes_[np.argmax(est.predict_proba(Z), axis=1)])
    binary = _quiet_fit(Est(loss=loss, random_state=0, max_iter=3, tol=None), X, y == 0)
    for scale in (1e-300, 1.0, 1e6, 1e200):
        Z = X * scale
        proba = binary.predict_proba(Z)
        assert_array_equal(binary.predict(Z), binary.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize(
    "Est, name", [(TwoLayerBackpropClassifier, "n_hidden"), (TwoLayerBackpropRegressor, "n_hidden"),
                  (SigmoidGDClassifier, "max_iter"), (PerceptronClassifier, "n_iter_no_change"),
                  (SigmoidGDClassifier, "batch_size")],
)
@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
def test_booleans_are_not_sizes(Est, name, flag, data):
    X, y = data
    with pytest.raises(ValueError, match=re.escape(name)):
        Est(**{name: flag}).fit(X, y)


# ----------------------------------------------- scikit-learn's contracts


@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_warm_start_fit_with_other_classes_is_refused(Est, data):
    X, y = data
    est = _quiet_fit(Est(warm_start=True, random_state=0, max_iter=3), X, y)
    for other in (np.where(y == 1, 2, y), np.zeros_like(y), y + 1):
        with pytest.raises(ValueError, match="warm_start=True needs y to hold the same classes"):
            est.fit(X, other)
    # After a fit, new labels in partial_fit are named without mentioning classes= advice
    # that would not apply.
    with pytest.raises(ValueError, match="Call fit on data with every class"):
        est.partial_fit(X, np.where(y == 1, 7, y))


@pytest.mark.parametrize("Est", ALL)
def test_partial_fit_refuses_early_stopping(Est, data):
    X, y = data
    kwargs = {} if Est is TwoLayerBackpropRegressor else {"classes": [0, 1]}
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        Est(early_stopping=True).partial_fit(X, y, **kwargs)


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_iter_counts_the_current_fit(Est, data):
    X, y = data
    est = Est(warm_start=True, random_state=0, max_iter=4, tol=None)
    est.fit(X, y)
    est.fit(X, y)
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4
    assert est.t_ == 8 * len(y)
    kwargs = {} if Est is TwoLayerBackpropRegressor else {"classes": [0, 1]}
    stream = Est(random_state=0)
    for _ in range(3):
        stream.partial_fit(X, y, **kwargs)
    # A stream of partial_fit calls is one run: one epoch each.
    assert stream.n_iter_ == 3 and len(stream.loss_curve_) == 3


# ----------------------------------------------- extreme but finite inputs


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize("dtype, huge", [(np.float64, 1e300), (np.float32, 3e38)])
def test_predictions_never_overflow_silently(Est, data, dtype, huge):
    X, y = data
    est = _quiet_fit(Est(random_state=0, max_iter=5, tol=None), X.astype(dtype), y)
    Z = (X * huge / np.abs(X).max()).astype(dtype)
    assert np.all(np.isfinite(Z))
    methods = [m for m in ("decision_function", "predict_proba", "predict") if hasattr(est, m)]
    for method in methods:
        try:
            out = getattr(est, method)(Z)
        except ValueError as exc:
            assert "overflowed" in str(exc) and "Rescale X" in str(exc)
        else:
            assert out.dtype.kind != "f" or np.all(np.isfinite(out))


def test_an_epoch_that_raises_leaves_the_weights_as_before(data):
    from sknn_basic._perceptron_kernels import PerceptronOverflowError

    X, y = data
    est = _quiet_fit(PerceptronClassifier(random_state=0, max_iter=3, tol=None), X, y)
    before = _weights(est).copy()
    with pytest.raises(PerceptronOverflowError, match="rescale|Rescale|StandardScaler"):
        est.partial_fit(X * 1e300, y)
    assert_array_equal(_weights(est), before)
    assert np.all(np.isfinite(est.decision_function(X)))


# ------------------------------------------------ state after a hard stop


def test_a_warm_refit_after_divergence_trains_normally(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg = TwoLayerBackpropRegressor(solver="sgd", learning_rate=50, momentum=0.9,
                                        warm_start=True, random_state=0).fit(X, y * 1.0)
    # The velocities built from the diverging steps are gone: the advice of
    # the warning (a lower step) works on the next warm-started fit.
    assert not any(np.any(v) for v in reg._optimizer.velocities)
    with warnings.catch_warnings():
        # Twenty small steps from the kept weights need not beat a constant
        # prediction (that warning is fair); what must not happen is another
        # divergence.
        warnings.filterwarnings("error", message="Training diverged", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*worse than that of always predicting",
                                category=ConvergenceWarning)
        reg.set_params(learning_rate=1e-3, max_iter=20, tol=None).fit(X, y * 1.0)
    assert reg.n_iter_ == 20
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_averaged_perceptron_restores_its_visit_count_with_the_best_epoch(data):
    X, y = data
    est = _quiet_fit(PerceptronClassifier(average=True, early_stopping=True, max_iter=30,
                                          n_iter_no_change=10, random_state=0), X, y)
    best = int(np.argmax(est.validation_scores_))
    n_train = X.shape[0] - int(np.ceil(0.1 * X.shape[0]))
    assert best + 1 < est.n_iter_  # the best epoch is not the last: weights were restored
    assert est._model.visits == (best + 1) * n_train
    assert_allclose(est.coef_, est._model.coef_sum / est._model.visits)


@pytest.mark.parametrize("Est", CLASSIFIERS)
def test_early_stopping_refuses_a_split_with_no_positive_weight_on_one_side(Est, data):
    X, y = data
    weights = np.zeros(len(y))
    weights[0] = 1.0  # one sample weighs: one side of any split weighs nothing
    with pytest.raises(ValueError, match="total sample weight of zero"):
        Est(early_stopping=True, validation_fraction=0.5, random_state=1).fit(
            X, y, sample_weight=weights)
