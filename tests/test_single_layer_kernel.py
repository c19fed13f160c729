"""The compiled mini-batch epoch of a network without a hidden layer.

``sknn_basic._single_layer_cy`` runs SigmoidGDClassifier's default epoch (log
loss, sigmoid or softmax units, plain gradient descent, several batches)
without NumPy's per-call cost.  It must give what the NumPy path gives, to
rounding, for every dtype, weighting, intercept, penalty and batch layout; it
must not take over the cases it does not cover; and the NumPy path stays
reachable with ``SKNN_BASIC_NUMPY_KERNEL=1``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import sknn_basic._network as network
from _kernel_spy import spy_on
from sknn_basic import SigmoidGDClassifier, TwoLayerBackpropClassifier

compiled = pytest.importorskip(
    "sknn_basic._single_layer_cy",
    reason="the compiled single-layer kernel was not built (no C compiler at install)",
)


@pytest.fixture
def spy(monkeypatch):
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "0")
    return spy_on(monkeypatch, "_single_layer_cy", compiled, "log_loss_epoch")


def _data(n_classes, dtype, n_samples=103):
    X, y = make_classification(n_samples, 6, n_informative=4, n_classes=n_classes,
                               random_state=0)
    return X.astype(dtype), y


def _fit(monkeypatch, numpy_path, X, y, **params):
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1" if numpy_path else "0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SigmoidGDClassifier(random_state=0, **params).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"fit_intercept": False},
        {"alpha": 0.01, "shuffle": False},
        {"class_weight": "balanced"},
        {"batch_size": 7, "learning_rate": 0.3},
    ],
    ids=["defaults", "no-intercept", "l2-unshuffled", "weighted", "remainder-batch"],
)
def test_compiled_epoch_gives_the_numpy_paths_fit(monkeypatch, dtype, n_classes, params):
    X, y = _data(n_classes, dtype)
    params = {"batch_size": 20, "max_iter": 30, **params}
    numpy_fit = _fit(monkeypatch, True, X, y, **params)
    spy = spy_on(monkeypatch, "_single_layer_cy", compiled, "log_loss_epoch")
    compiled_fit = _fit(monkeypatch, False, X, y, **params)
    assert spy.calls == compiled_fit.n_iter_ > 0
    assert compiled_fit.n_iter_ == numpy_fit.n_iter_
    assert compiled_fit.coef_.dtype == dtype
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    assert_allclose(compiled_fit.coef_, numpy_fit.coef_, rtol=rtol, atol=rtol)
    assert_allclose(compiled_fit.intercept_, numpy_fit.intercept_, rtol=rtol, atol=rtol)
    assert_allclose(compiled_fit.loss_curve_, numpy_fit.loss_curve_, rtol=rtol)


def test_sample_weights_with_zeros_and_a_weightless_batch(monkeypatch):
    # A batch whose weights are all zero takes no step in either path.
    X, y = _data(2, np.float64, n_samples=60)
    weights = np.ones(60)
    weights[:20] = 0.0
    fits = []
    for numpy_path in (True, False):
        monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1" if numpy_path else "0")
        fits.append(SigmoidGDClassifier(batch_size=20, shuffle=False, max_iter=5, tol=None,
                                        random_state=0).fit(X, y, sample_weight=weights))
    assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-10)
    assert_allclose(fits[1].loss_curve_, fits[0].loss_curve_, rtol=1e-10)


@pytest.mark.parametrize(
    "case",
    ["full batch", "batch beyond the size limit", "squared error", "adam", "sparse",
     "hidden layer", "numpy kernel forced"],
)
def test_the_kernel_keeps_out_of_the_cases_it_does_not_cover(spy, monkeypatch, case):
    X, y = _data(3, np.float64)
    params = {"batch_size": 20, "max_iter": 3, "tol": None, "random_state": 0}
    Est = SigmoidGDClassifier
    if case == "full batch":
        params["batch_size"] = None
    elif case == "batch beyond the size limit":
        # 20 rows of 6 features: beyond a limit of 100 elements, NumPy's
        # vectorised passes are the faster path.
        monkeypatch.setattr(network, "COMPILED_BATCH_ELEMENTS_MAX", 100)
    elif case == "squared error":
        params["loss"] = "squared_error"
    elif case == "adam":
        params.update(solver="adam", learning_rate=0.01)
    elif case == "sparse":
        X = sp.csr_matrix(X)
    elif case == "hidden layer":
        Est = TwoLayerBackpropClassifier
        params.update(n_hidden=4, momentum=0.0)
    else:
        monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(**params).fit(X, y)
    assert spy.calls == 0
    assert np.isfinite(est.predict_proba(X)).all()


def test_a_diverging_compiled_fit_is_caught_by_the_guard(spy):
    # The kernel lets inf and NaN through, as NumPy does; the training loop's
    # guard then restores the last finite weights and says so.
    X, y = _data(3, np.float64)
    X = X * 1e150
    with pytest.warns(ConvergenceWarning, match="diverged|infinite|NaN|grew"):
        est = SigmoidGDClassifier(batch_size=20, learning_rate=1e10, random_state=0).fit(X, y)
    assert spy.calls >= 1
    assert np.isfinite(est.coef_).all()


def test_mismatched_buffers_raise_instead_of_writing_out_of_bounds():
    X = np.zeros((10, 3))
    Y = np.zeros((10, 2), dtype=np.int8)
    Y[:, 0] = 1
    coef = np.zeros((2, 3))
    intercept = np.zeros(2)
    good = dict(x_buffer=np.empty((4, 3)), z_buffer=np.empty((4, 2)),
                coef_grad=np.empty((2, 3)), intercept_grad=np.empty(2))
    order = np.arange(10)
    # A step of 0 leaves the outputs at 1/2: the loss sum is 10 log 2.
    assert compiled.log_loss_epoch(X, Y, None, order, coef, intercept, 0.0, 0.0, 4, True,
                                   *good.values()) == pytest.approx(10 * np.log(2))
    for name, bad in [("x_buffer", np.empty((3, 3))), ("z_buffer", np.empty((3, 2))),
                      ("coef_grad", np.empty((3, 2))), ("intercept_grad", np.empty(3))]:
        buffers = {**good, name: bad}
        with pytest.raises(ValueError, match="shapes do not match"):
            compiled.log_loss_epoch(X, Y, None, order, coef, intercept, 0.1, 0.0, 4, True,
                                    *buffers.values())
    with pytest.raises(ValueError, match="shapes do not match"):
        compiled.log_loss_epoch(X, Y, None, order[:5], coef, intercept, 0.1, 0.0, 4, True,
                                *good.values())
