"""``solver="lbfgs"`` on a Dask cluster: the in-memory fit's iterates, one pass per evaluation.

Every evaluation of the objective is one pass over the blocks (each returns
its loss and gradient sums, added up a tree on the workers); the client
holds the parameters and L-BFGS's memory.  The reference is the in-memory
fit of the same rows: the two differ only in the order of the additions,
so their iterates agree to 1e-8 relative over the first 20 iterations,
on uneven blocks, with sample and class weights.  The runs use the
session's two-worker ``LocalCluster`` (``conftest.dask_client``).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn_basic import BackpropClassifier, BackpropRegressor, SigmoidGDClassifier

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install '.[dask]')")
pytest.importorskip("distributed", reason="distributed is not installed")

pytestmark = [pytest.mark.usefixtures("dask_client"), pytest.mark.numbers]

#: The iterates differ only by the order of the additions.
RTOL = 1e-8
N_ITER = 20
#: Five blocks of 1 to 230 rows.
UNEVEN = (1, 230, 7, 212, 150)


def blocks(array, chunks=UNEVEN):
    return da.from_array(array, chunks=(chunks,) + array.shape[1:])


def weights_of(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


@pytest.fixture(scope="module")
def data():
    X, y3 = make_classification(n_samples=600, n_features=6, n_informative=4, n_classes=3,
                                random_state=0)
    X = StandardScaler().fit_transform(X)
    y2 = (X[:, 0] + 0.5 * X[:, 1] + np.random.RandomState(1).logistic(scale=0.3, size=600)
          > 0).astype(int)
    y_real = make_regression(n_samples=600, n_features=6, n_targets=2, noise=5,
                             random_state=0)[1]
    y_real = X[:, :2] @ [[1.0, 0.5], [-2.0, 1.0]] + np.tanh(X[:, 2:4]) + 0.1 * y_real / y_real.std()
    weights = np.random.RandomState(2).uniform(0.2, 2.0, size=600)
    return X, y2, y3, y_real, weights


CASES = {
    "logistic unit": (
        SigmoidGDClassifier(solver="lbfgs", alpha=1e-3, class_weight={0: 2.0, 1: 0.7},
                            random_state=0), "binary"),
    "network classifier": (
        BackpropClassifier((6, 5), solver="lbfgs", alpha=1e-3, class_weight="balanced",
                           random_state=0), "three classes"),
    "regressor": (
        BackpropRegressor((5,), activation="tanh", solver="lbfgs", alpha=1e-3,
                          random_state=0), "real"),
}


def _targets(data, kind):
    X, y2, y3, y_real, weights = data
    return {"binary": y2, "three classes": y3, "real": y_real}[kind]


@pytest.mark.parametrize("case", list(CASES))
def test_the_iterates_equal_the_in_memory_fits(case, data):
    est, kind = CASES[case]
    X, weights = data[0], data[4]
    y = _targets(data, kind)
    est = clone(est).set_params(max_iter=N_ITER, tol=None)
    memory = clone(est).fit(X, y, sample_weight=weights)
    on_dask = clone(est).fit(blocks(X), blocks(y), sample_weight=blocks(weights))
    assert memory.n_iter_ == on_dask.n_iter_ == N_ITER
    assert on_dask._training.stop_reason == memory._training.stop_reason == "max_iter"
    # Still descending at the 20th iteration: the comparison is of a run in progress.
    assert memory.loss_curve_[-1] < memory.loss_curve_[-2] < memory.loss_curve_[0]
    assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=RTOL, atol=0)
    for got, want in zip(weights_of(on_dask), weights_of(memory), strict=True):
        assert_allclose(got, want, rtol=RTOL, atol=1e-12 * np.abs(want).max())
    # Every evaluation read every row once: as many passes as in memory.
    assert on_dask.t_ == memory.t_ and on_dask.t_ % X.shape[0] == 0
    assert not hasattr(on_dask, "learning_rate_")


def test_warm_start_continues_as_in_memory(data):
    X, y2, weights = data[0], data[1], data[4]
    est = SigmoidGDClassifier(solver="lbfgs", max_iter=4, tol=None, random_state=0,
                              warm_start=True)
    memory = clone(est).fit(X, y2, sample_weight=weights)
    on_dask = clone(est).fit(blocks(X), blocks(y2), sample_weight=blocks(weights))
    memory.fit(X, y2, sample_weight=weights)
    on_dask.fit(blocks(X), blocks(y2), sample_weight=blocks(weights))
    assert on_dask.n_iter_ == memory.n_iter_ == 4
    assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=RTOL)
    assert_allclose(on_dask.coef_, memory.coef_, rtol=RTOL)


def test_the_limit_warns_as_in_memory_and_early_stopping_is_ignored(data):
    X, y3 = data[0], data[2]
    est = BackpropClassifier((4,), solver="lbfgs", max_iter=3, tol=1e-12, early_stopping=True,
                             random_state=0)
    with pytest.warns(ConvergenceWarning, match="reached max_iter=3") as in_memory:
        memory = clone(est).fit(X, y3)
    with pytest.warns(ConvergenceWarning, match="reached max_iter=3") as on_cluster:
        on_dask = clone(est).fit(blocks(X), blocks(y3))
    assert [str(w.message) for w in on_cluster] == [str(w.message) for w in in_memory]
    # No rows held out, as in memory: the same iterations on all the rows.
    assert on_dask.validation_scores_ is None and memory.validation_scores_ is None
    assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=RTOL)


def test_the_refusal_is_gone_and_predictions_stay_lazy(data):
    X, y2 = data[0], data[1]
    est = SigmoidGDClassifier(solver="lbfgs", random_state=0).fit(blocks(X), blocks(y2))
    memory = SigmoidGDClassifier(solver="lbfgs", random_state=0).fit(X, y2)
    # Converged on the gradient tolerance, after the in-memory fit's iterations.
    assert est._training.stop_reason == memory._training.stop_reason == "converged"
    assert est.n_iter_ == memory.n_iter_ > 1
    assert_allclose(est.coef_, memory.coef_, rtol=RTOL)
    predicted = est.predict(blocks(X))
    assert isinstance(predicted, da.Array)
    assert_array_equal(predicted.compute(), est.predict(X))
    assert est.score(blocks(X), blocks(y2)) == pytest.approx(memory.score(X, y2), rel=1e-12)


def test_a_failing_fit_leaves_the_estimator_as_it_was(data):
    X, y2, weights = data[0], data[1], data[4]
    est = SigmoidGDClassifier(solver="lbfgs", max_iter=3, tol=None, random_state=0)
    est.fit(blocks(X), blocks(y2), sample_weight=blocks(weights))
    coef, intercept, curve, t = est.coef_.copy(), est.intercept_.copy(), list(est.loss_curve_), est.t_

    def callback(estimator, info):
        if info["epoch"] == 2:
            raise RuntimeError("from the callback")

    est.set_params(callback=callback, warm_start=True)
    with pytest.raises(RuntimeError, match="from the callback"):
        est.fit(blocks(X), blocks(y2), sample_weight=blocks(weights))
    assert_array_equal(est.coef_, coef)
    assert_array_equal(est.intercept_, intercept)
    assert est.loss_curve_ == curve and est.n_iter_ == 3 and est.t_ == t


def test_ctrl_c_keeps_the_last_completed_iteration_as_in_memory(data, dask_client,
                                                              monkeypatch):
    """A Ctrl-C while the client waits for the 6th evaluation's sums."""
    import gc
    import threading
    import time

    from sknn_basic._engines import blocks as _blocks
    from sknn_basic._engines import dask as _dask

    X, y2 = data[0], data[1]
    Xd, yd = blocks(X), blocks(y2)
    settle, gradient_sums = _dask._settle, _blocks._BlockModel.gradient_sums
    interrupt, evaluations = threading.Event(), []

    def counted(self, *args):
        evaluations.append(1)
        if len(evaluations) == 6:
            interrupt.set()
        return gradient_sums(self, *args)

    def settle_or_interrupt(futures):
        if interrupt.is_set():
            # As a Ctrl-C does: the main thread stops waiting, the tasks go on.
            raise KeyboardInterrupt
        settle(futures)

    monkeypatch.setattr(_blocks._BlockModel, "gradient_sums", counted)
    monkeypatch.setattr(_dask, "_settle", settle_or_interrupt)
    before = set(dask_client.futures)
    est = SigmoidGDClassifier(solver="lbfgs", max_iter=50, tol=None, random_state=0)
    with pytest.warns(ConvergenceWarning, match="interrupted by user after .* iteration"):
        est.fit(Xd, yd)
    monkeypatch.undo()
    completed = est.n_iter_
    assert completed >= 1 and est._training.stop_reason == "interrupted"
    reference = SigmoidGDClassifier(solver="lbfgs", max_iter=completed, tol=None,
                                    random_state=0).fit(X, y2)
    assert_allclose(est.loss_curve_, reference.loss_curve_, rtol=RTOL)
    assert_allclose(est.coef_, reference.coef_, rtol=RTOL)
    assert est.t_ == reference.t_ < 6 * X.shape[0]
    # The interrupted pass's futures are released.
    deadline = time.monotonic() + 30
    while set(dask_client.futures) - before and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert not set(dask_client.futures) - before
