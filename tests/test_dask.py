"""The estimators on a Dask cluster: the same weights, the same messages, lazy predictions.

Every test runs against the session's ``distributed.LocalCluster`` (two
single-threaded worker processes, see ``conftest.dask_client``), so every
block, weight and result is pickled between processes as on a real cluster.
The in-memory fit is the reference throughout: a full-batch fit on Dask
blocks must give its weights to 1e-10 relative (only the order of the
additions differs), whatever the chunking.
"""

import io
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sknn_basic import (
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)
from sknn_basic._lessons import LESSON_FIGURES, S3_PARAMS, S6_PARAMS

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install '.[dask]')")
dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe is not installed")
pytest.importorskip("distributed", reason="distributed is not installed")
pytest.importorskip("dask_ml", reason="dask-ml is not installed (pip install '.[test]')")

pytestmark = [
    pytest.mark.usefixtures("dask_client"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

RTOL = 1e-10
UNEVEN = (1, 230, 7, 400, 162)
EVEN = (200, 200, 200, 200)
ALIGNED = (200, 400, 200)


def blocks(array, chunks):
    return da.from_array(array, chunks=(chunks,) + array.shape[1:])


def weights_of(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


def assert_same_weights(dask_fit, memory_fit, rtol=RTOL):
    for got, want in zip(weights_of(dask_fit), weights_of(memory_fit), strict=True):
        assert_allclose(got, want, rtol=rtol, atol=0)


def fit_both(est, X, y, chunks, **fit_params):
    memory = clone(est).fit(X, y, **fit_params)
    dask_params = {k: blocks(v, chunks) for k, v in fit_params.items()}
    on_dask = clone(est).fit(blocks(X, chunks), blocks(y, chunks), **dask_params)
    return on_dask, memory


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=800, n_features=6, n_informative=4, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(n_samples=800, n_features=6, n_informative=4, n_classes=3,
                               random_state=1)
    return X, y


FULL_BATCH = {
    "sigmoid log loss": SigmoidGDClassifier(batch_size=None, max_iter=20, tol=None,
                                            random_state=0),
    "sigmoid squared, 3 classes": SigmoidGDClassifier(
        batch_size=None, loss="squared_error", max_iter=20, tol=None, random_state=0),
    "softmax with alpha": SigmoidGDClassifier(batch_size=None, alpha=1e-2, max_iter=20,
                                              tol=None, random_state=0),
    "backprop nesterov tanh": TwoLayerBackpropClassifier(
        batch_size=None, n_hidden=5, activation="tanh", nesterovs_momentum=True,
        learning_rate=0.5, max_iter=20, tol=None, random_state=0),
    "backprop adam relu": TwoLayerBackpropClassifier(
        batch_size=None, n_hidden=5, activation="relu", solver="adam", learning_rate=0.05,
        max_iter=20, tol=None, random_state=0),
}


@pytest.mark.parametrize("chunks", [UNEVEN, EVEN], ids=["uneven", "even"])
@pytest.mark.parametrize("name", list(FULL_BATCH))
def test_full_batch_weights_equal_the_in_memory_fit(name, chunks, binary, three_classes):
    X, y = three_classes if ("3 classes" in name or "softmax" in name) else binary
    on_dask, memory = fit_both(FULL_BATCH[name], X, y, chunks)
    assert_same_weights(on_dask, memory)
    assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=RTOL)
    assert on_dask.n_iter_ == memory.n_iter_ == 20 and on_dask.t_ == memory.t_


def test_regressor_weights_and_r2_equal_the_in_memory_fit():
    X, y = make_regression(n_samples=600, n_features=5, n_targets=2, noise=5, random_state=0)
    y = y / y.std(axis=0)
    est = TwoLayerBackpropRegressor(batch_size=None, n_hidden=4, learning_rate=0.05,
                                    max_iter=15, tol=None, random_state=0)
    on_dask, memory = fit_both(est, X, y, (300, 1, 299))
    assert_same_weights(on_dask, memory)
    Xd, yd = blocks(X, (250, 350)), blocks(y, (250, 350))
    assert on_dask.score(Xd, yd) == pytest.approx(memory.score(X, y), rel=1e-12)
    assert_allclose(on_dask.predict(Xd).compute(), memory.predict(X), rtol=1e-12)


def test_regressor_on_large_targets_is_not_taken_for_divergence():
    # The weights' divergence limit follows the targets' scale, which the
    # Dask path takes from the blocks as fit does from the array.
    X, y = make_regression(n_samples=300, n_features=4, noise=1, random_state=0)
    y = y * 1e10  # the output weights grow beyond 1e10, rightly
    est = TwoLayerBackpropRegressor(solver="sgd", momentum=0.0, activation="tanh",
                                    batch_size=None, n_hidden=4, learning_rate=0.01,
                                    max_iter=5, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        on_dask, memory = fit_both(est, X, y, (150, 150))
    assert on_dask.n_iter_ == memory.n_iter_ == 5
    assert max(np.abs(W).max() for W in memory.coefs_) > 1e10
    assert_same_weights(on_dask, memory)


def test_the_lessons_s3_and_s6_runs_on_a_cluster(reference, lesson_split):
    """The course's numbers, computed block by block on two worker processes."""
    X_train, X_test, y_train, y_test = lesson_split
    chunks = (100, 7, 1, X_train.shape[0] - 108)
    Xd, yd = blocks(X_train, chunks), blocks(y_train, chunks)
    s3 = SigmoidGDClassifier(**S3_PARAMS)
    s6 = TwoLayerBackpropClassifier(**S6_PARAMS)
    # Two fits at once: each epoch waits on the cluster far more than it computes.
    with ThreadPoolExecutor(2) as pool:
        s3, s6 = pool.map(lambda est: est.fit(Xd, yd), (s3, s6))

    figures = LESSON_FIGURES["S3_sigmoid_gd_admissions"]
    assert figures["weights"] == reference["S3_sigmoid_gd_admissions"]["weights"]
    assert_allclose(s3.coef_.ravel(), figures["weights"], rtol=0, atol=1e-8)
    assert_allclose(2 * np.array(s3.loss_curve_[1::100]), figures["train_mse_every_100_epochs"],
                    rtol=0, atol=1e-8)
    assert s3.score(X_test, y_test) == pytest.approx(figures["test_accuracy"], abs=1e-12)
    assert_same_weights(s3, SigmoidGDClassifier(**S3_PARAMS).fit(X_train, y_train))

    figures = LESSON_FIGURES["S6_backprop_admissions"]
    assert_allclose(s6.coefs_[0], figures["weights_input_hidden"], rtol=0, atol=1e-8)
    assert_allclose(s6.coefs_[1].ravel(), figures["weights_hidden_output"], rtol=0, atol=1e-8)
    assert s6.score(X_test, y_test) == pytest.approx(figures["test_accuracy"], abs=1e-12)
    assert_same_weights(s6, TwoLayerBackpropClassifier(**S6_PARAMS).fit(X_train, y_train))


def test_class_and_sample_weights_without_intercept(binary, three_classes):
    X, y = three_classes
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0, 3, size=len(y))
    sample_weight[:50] = 0
    est = SigmoidGDClassifier(batch_size=None, class_weight="balanced", fit_intercept=False,
                              max_iter=15, tol=None, random_state=0)
    on_dask, memory = fit_both(est, X, y, UNEVEN, sample_weight=sample_weight)
    assert_same_weights(on_dask, memory)
    assert not on_dask.intercept_.any()
    X, y = binary
    est = TwoLayerBackpropClassifier(batch_size=None, class_weight={0: 3.0, 1: 0.5},
                                     max_iter=15, tol=None, random_state=0)
    on_dask, memory = fit_both(est, X, y, EVEN)
    assert_same_weights(on_dask, memory)


def test_tol_verbose_and_callback_behave_as_in_memory(binary):
    X, y = binary
    seen = {"memory": [], "dask": []}

    def recorder(key):
        def callback(est, info):
            seen[key].append((info["epoch"], info["loss"]))
        return callback

    est = SigmoidGDClassifier(batch_size=None, learning_rate=0.5, tol=1e-3, n_iter_no_change=3,
                              max_iter=300, verbose=1, random_state=0)
    outputs = {}
    for key, data in (("memory", (X, y)), ("dask", (blocks(X, UNEVEN), blocks(y, UNEVEN)))):
        out = io.StringIO()
        with redirect_stdout(out):
            fitted = clone(est).set_params(callback=recorder(key)).fit(*data)
        outputs[key] = (fitted, out.getvalue())
    (on_dask, dask_out), (memory, memory_out) = outputs["dask"], outputs["memory"]
    assert memory.n_iter_ < 300 and on_dask.n_iter_ == memory.n_iter_
    assert dask_out == memory_out and "Stopped after" in dask_out
    assert [e for e, _ in seen["dask"]] == [e for e, _ in seen["memory"]]
    assert_allclose([l for _, l in seen["dask"]], [l for _, l in seen["memory"]], rtol=RTOL)
    assert_same_weights(on_dask, memory)

    # A callback that returns True stops the fit after that epoch.
    stopper = clone(est).set_params(verbose=0, callback=lambda est, info: info["epoch"] == 2)
    assert stopper.fit(blocks(X, EVEN), blocks(y, EVEN)).n_iter_ == 3


def test_adaptive_schedule_momentum_and_warm_start(binary):
    X, y = binary
    Xd, yd = blocks(X, UNEVEN), blocks(y, UNEVEN)
    # A step long enough to overshoot: the schedule halves it, on the
    # cluster at the same epochs as in memory; a warm start goes on from there.
    overshooting = SigmoidGDClassifier(batch_size=None, learning_rate=5.0, max_iter=25,
                                       tol=None, random_state=0, warm_start=True)
    # Momentum: the velocities are the optimizer's, kept across the warm start.
    momentum = TwoLayerBackpropClassifier(batch_size=None, n_hidden=6, learning_rate=2.0,
                                          momentum=0.9, max_iter=15, tol=None,
                                          random_state=0, warm_start=True)
    for est in (overshooting, momentum):
        memory, on_dask = clone(est), clone(est)
        for _ in range(2):
            memory.fit(X, y)
            on_dask.fit(Xd, yd)
            assert on_dask.learning_rate_ == memory.learning_rate_
            assert_same_weights(on_dask, memory)
    assert memory._optimizer.velocities is not None
    assert_allclose(on_dask._optimizer.velocities[0], memory._optimizer.velocities[0], rtol=RTOL)
    assert clone(overshooting).fit(X, y).learning_rate_ < overshooting.learning_rate


def test_partial_fit_on_dask_equals_in_memory_partial_fit(binary):
    X, y = binary
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=3, random_state=0)
    memory, on_dask = clone(est), clone(est)
    for rows in (slice(0, 500), slice(500, 800), slice(0, 800)):
        memory.partial_fit(X[rows], y[rows], classes=[0, 1])
        on_dask.partial_fit(blocks(X[rows], (100, 1, X[rows].shape[0] - 101)),
                            blocks(y[rows], (100, 1, X[rows].shape[0] - 101)), classes=[0, 1])
    assert on_dask.n_iter_ == memory.n_iter_ == 3 and on_dask.t_ == memory.t_
    assert_same_weights(on_dask, memory)


def _stream_weights(kind, n_rows):
    """Per-call sample weights of a stream: None, uniform, or mixed with zeros and a big one."""
    rng = np.random.RandomState(1)
    if kind == "uniform":
        return [rng.uniform(0.5, 2.0, n) for n in n_rows]
    if kind == "mixed":
        # Unweighted calls between weighted ones; zeros, which never enter
        # the memory; and a weight of 50, which sets the memory's scale.
        weights = [None, rng.uniform(0, 2, n_rows[1]), None, None,
                   np.where(rng.uniform(size=n_rows[4]) < 0.5, 0.0, 3.0), None]
        weights[1][0] = 50.0
        return weights
    return [None] * len(n_rows)


@pytest.mark.parametrize("weights", ["none", "uniform", "mixed"])
def test_a_class_sorted_stream_on_dask_replays_the_rows_memory_replays(binary, weights):
    # The replay memory's draws are made on the client in the in-memory
    # order; the rows it keeps are gathered from the blocks, and the rows it
    # replays travel to the cluster as one more block.
    X, y = binary
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=3, replay_size=40, random_state=0)
    memory, on_dask = clone(est), clone(est)
    # The first chunk of one row; the memory fills in the third.
    bounds = [0, 1, 30, 90, 200, 260, 400]
    per_call = _stream_weights(weights, np.diff(bounds))
    for (start, stop), w in zip(zip(bounds, bounds[1:]), per_call):
        n = stop - start
        chunks = (n,) if n < 3 else (1, n - 2, 1)
        memory.partial_fit(X[start:stop], y[start:stop], classes=[0, 1], sample_weight=w)
        on_dask.partial_fit(blocks(X[start:stop], chunks), blocks(y[start:stop], chunks),
                            classes=[0, 1],
                            sample_weight=None if w is None else blocks(w, chunks))
    assert on_dask.t_ == memory.t_ > bounds[-1]
    assert on_dask._replay.seen == memory._replay.seen
    assert_array_equal(on_dask._replay.Y, memory._replay.Y)
    assert_allclose(on_dask._replay.X, memory._replay.X, rtol=0)
    assert_allclose(on_dask._replay.w, memory._replay.w, rtol=1e-15)
    assert np.all(memory._replay.w > 0)
    if weights == "mixed":
        # Rows of the unweighted calls count one, the fifth call's three.
        assert {1.0, 3.0} <= set(np.unique(memory._replay.w))
    assert_same_weights(on_dask, memory)


def test_the_workers_never_receive_the_replay_memory(binary):
    from sknn_basic._engines.dask import _shell

    X, y = binary
    est = TwoLayerBackpropClassifier(n_hidden=3, random_state=0).partial_fit(X, y, classes=[0, 1])
    assert len(est._replay) == 200
    assert not hasattr(_shell(est), "_replay") and hasattr(est, "_replay")


def test_early_stopping_holds_out_as_many_rows_as_memory(binary):
    X, y = binary
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=4, early_stopping=True,
                                     validation_fraction=0.2, learning_rate=1.0, max_iter=12,
                                     tol=None, random_state=0)
    first = clone(est).fit(blocks(X, UNEVEN), blocks(y, UNEVEN))
    again = clone(est).fit(blocks(X, UNEVEN), blocks(y, UNEVEN))
    assert len(first.validation_scores_) == len(first.validation_loss_curve_) == 12
    assert first.best_validation_score_ == max(first.validation_scores_) > 0.6
    assert first.best_loss_ is None  # as MLPClassifier under early stopping
    # The per-block split is drawn from random_state: a second fit repeats it.
    assert first.validation_scores_ == again.validation_scores_
    assert_same_weights(first, again, rtol=0)
    # As many rows as memory holds out (20 %, rounded up) trained nothing:
    # t_ counts the rest, as in memory.
    assert first.t_ == 12 * (X.shape[0] - 160) == clone(est).fit(X, y).t_
    assert "_validation_score" not in vars(first)


def test_minibatches_travel_to_the_blocks(binary):
    """Mini-batch epochs run where each block lives; aligned, unshuffled blocks equal memory."""
    X, y = binary
    est = TwoLayerBackpropClassifier(batch_size=100, n_hidden=4, shuffle=False, max_iter=4,
                                     tol=None, random_state=0)
    on_dask, memory = fit_both(est, X, y, ALIGNED)
    assert_same_weights(on_dask, memory)

    # Shuffled: each epoch visits the blocks in a drawn order, each block's
    # rows in a drawn order; replaying those draws in memory gives the weights.
    est = SigmoidGDClassifier(batch_size=100, max_iter=2, tol=None, random_state=3)
    on_dask = clone(est).fit(blocks(X, ALIGNED), blocks(y, ALIGNED))
    rng = np.random.RandomState(3)
    rng.normal(size=(X.shape[1], 1))  # the initial weights come first
    starts = np.cumsum((0,) + ALIGNED)
    replay = clone(est).set_params(shuffle=False, warm_start=True, max_iter=1)
    for epoch in range(2):
        order = rng.permutation(len(ALIGNED))
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(ALIGNED))
        rows = np.concatenate([
            starts[b] + np.random.RandomState(seeds[b]).permutation(ALIGNED[b]) for b in order
        ])
        replay.fit(X[rows], y[rows])
    assert_same_weights(on_dask, replay)


def test_perceptron_parameter_mixing():
    X, y = make_blobs(n_samples=600, centers=[[-3, -3], [3, 3]], random_state=0)
    # One block: mixing one set of weights is the rule itself.
    est = PerceptronClassifier(shuffle=False, max_iter=5, random_state=0)
    on_dask, memory = fit_both(est, X, y, (600,))
    assert_array_equal(on_dask.coef_, memory.coef_)
    # Separable data on four blocks: the mixed weights separate them.
    for average in (False, True):
        est = PerceptronClassifier(average=average, max_iter=50, random_state=0)
        mixed = est.fit(blocks(X, (150, 1, 300, 149)), blocks(y, (150, 1, 300, 149)))
        assert mixed.score(X, y) == 1.0
        assert mixed.n_iter_ < 50
    # Not separable: the averaged mix is close to the averaged rule in memory.
    X, y = make_classification(n_samples=800, n_features=5, flip_y=0.1, random_state=0)
    est = PerceptronClassifier(average=True, max_iter=10, tol=None, random_state=0)
    mixed = clone(est).fit(blocks(X, EVEN), blocks(y, EVEN))
    assert mixed.score(X, y) >= clone(est).fit(X, y).score(X, y) - 0.03
    assert mixed.t_ == 10 * 800


def test_dataframes_and_series(binary):
    pd = pytest.importorskip("pandas")
    X, y = binary
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    target = pd.Series(np.where(y == 1, "yes", "no"), name="admit")
    est = SigmoidGDClassifier(batch_size=None, max_iter=10, tol=None, random_state=0)
    memory = clone(est).fit(frame, target)
    on_dask = clone(est).fit(dd.from_pandas(frame, npartitions=3),
                             dd.from_pandas(target, npartitions=3))
    assert_array_equal(on_dask.feature_names_in_, frame.columns)
    assert_array_equal(on_dask.classes_, ["no", "yes"])
    assert_same_weights(on_dask, memory)
    predicted = on_dask.predict(dd.from_pandas(frame, npartitions=4))
    assert isinstance(predicted, da.Array)
    assert_array_equal(predicted.compute(), memory.predict(frame))
    assert on_dask.score(dd.from_pandas(frame, npartitions=2),
                         dd.from_pandas(target, npartitions=2)) == memory.score(frame, target)


def _message(call):
    with pytest.raises(Exception) as caught:
        call()
    return caught.type, str(caught.value)


def _with(array, rows, value):
    array = array.astype(float)
    array[rows] = value
    return array


def _invalid_fits(X, y):
    """(name, estimator, X, y, fit keywords, method): inputs the fit must refuse."""
    weights = np.ones(len(y))
    sgd = SigmoidGDClassifier(batch_size=None, max_iter=2)
    return [
        ("NaN in X", sgd, _with(X, (700, 3), np.nan), y, {}, "fit"),
        ("inf in X", sgd, _with(X, (5, 0), np.inf), y, {}, "fit"),
        ("continuous y", sgd, X, y + 0.5, {}, "fit"),
        ("NaN in y", sgd, X, _with(y, 650, np.nan), {}, "fit"),
        ("one class", sgd, X, np.zeros_like(y), {}, "fit"),
        ("negative weight", sgd, X, y, {"sample_weight": _with(weights, 600, -1)}, "fit"),
        ("zero weights", sgd, X, y, {"sample_weight": 0 * weights}, "fit"),
        ("weights of a zero class", clone(sgd).set_params(class_weight={0: 0.0, 1: 1.0}), X,
         np.arange(len(y)) % 2, {"sample_weight": (np.arange(len(y)) % 2 == 0) * 1.0}, "fit"),
        ("short y", SigmoidGDClassifier(), X, y[:-1], {}, "fit"),
        ("short weights", SigmoidGDClassifier(), X, y, {"sample_weight": weights[:-3]}, "fit"),
        ("unknown class_weight key", SigmoidGDClassifier(class_weight={7: 1.0}), X, y, {}, "fit"),
        ("early stopping in partial_fit", SigmoidGDClassifier(early_stopping=True), X, y,
         {"classes": [0, 1]}, "partial_fit"),
        ("balanced in partial_fit", SigmoidGDClassifier(class_weight="balanced"), X, y,
         {"classes": [0, 1]}, "partial_fit"),
        ("labels outside classes", SigmoidGDClassifier(), X, y + 1, {"classes": [0, 1]},
         "partial_fit"),
        ("no rows", SigmoidGDClassifier(), X[:0], y[:0], {}, "fit"),
    ]


def test_block_wise_validation_raises_the_in_memory_messages(binary):
    X, y = binary
    for name, est, bad_X, bad_y, kwargs, method in _invalid_fits(X, y):
        want = _message(lambda: getattr(clone(est), method)(bad_X, bad_y, **kwargs))
        chunks = (200, 1, bad_X.shape[0] - 201) if bad_X.shape[0] > 201 else (bad_X.shape[0],)
        dask_kwargs = {
            k: blocks(v, chunks) if k == "sample_weight" and len(v) == bad_X.shape[0] else v
            for k, v in kwargs.items()
        }
        got = _message(lambda: getattr(clone(est), method)(
            blocks(bad_X, chunks), blocks(bad_y, chunks) if len(bad_y) == len(bad_X) else bad_y,
            **dask_kwargs))
        assert got == want, name

    fitted = SigmoidGDClassifier(batch_size=None, max_iter=2).fit(X, y)
    want = _message(lambda: fitted.predict(X[:, :4]))
    assert _message(lambda: fitted.predict(blocks(X[:, :4], EVEN)).compute()) == want
    want = _message(lambda: fitted.predict(_with(X, (3, 1), np.nan)))
    assert _message(lambda: fitted.predict(blocks(_with(X, (3, 1), np.nan), EVEN)).compute()) \
        == want


def test_predictions_are_lazy_and_send_the_weights_once(three_classes):
    X, y = three_classes
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=5, max_iter=10,
                                     random_state=0).fit(X, y)
    Xd = blocks(X, UNEVEN)
    for method in ("predict", "predict_proba", "decision_function"):
        lazy = getattr(est, method)(Xd)
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == UNEVEN
        graph = dict(lazy.__dask_graph__())
        holders = [key for key, value in graph.items() if isinstance(value, type(est))
                   or type(est).__name__ in str(key)]
        assert len(holders) == 1, method
        assert_allclose(lazy.compute(), getattr(est, method)(X), rtol=1e-12)
    assert est.score(Xd, blocks(y, UNEVEN)) == est.score(X, y)
    weights = np.linspace(0, 1, len(y))
    assert est.score(Xd, blocks(y, UNEVEN), sample_weight=blocks(weights, UNEVEN)) == \
        pytest.approx(est.score(X, y, sample_weight=weights), rel=1e-12)


def test_dask_ml_scaler_pipeline_end_to_end(binary):
    from dask_ml.preprocessing import StandardScaler as DaskScaler
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = binary
    X = X * 10 + 3
    est = SigmoidGDClassifier(batch_size=None, max_iter=10, tol=None, random_state=0)
    on_dask = make_pipeline(DaskScaler(), clone(est)).fit(blocks(X, UNEVEN), blocks(y, UNEVEN))
    memory = make_pipeline(StandardScaler(), clone(est)).fit(X, y)
    assert_allclose(on_dask[-1].coef_, memory[-1].coef_, rtol=1e-8)
    predicted = on_dask.predict(blocks(X, EVEN))
    assert isinstance(predicted, da.Array)
    assert_array_equal(predicted.compute(), memory.predict(X))


def test_incremental_and_parallel_post_fit(binary):
    from dask_ml.wrappers import Incremental, ParallelPostFit

    X, y = binary
    est = SigmoidGDClassifier(batch_size=None, random_state=0)
    wrapped = Incremental(clone(est), shuffle_blocks=False).fit(
        blocks(X, UNEVEN), blocks(y, UNEVEN), classes=[0, 1])
    memory = clone(est)
    start = 0
    for n in UNEVEN:
        memory.partial_fit(X[start:start + n], y[start:start + n], classes=[0, 1])
        start += n
    assert_same_weights(wrapped.estimator_, memory, rtol=0)

    post = ParallelPostFit(clone(est).set_params(max_iter=10)).fit(X, y)
    lazy = post.predict_proba(blocks(X, EVEN))
    assert isinstance(lazy, da.Array)
    assert_allclose(lazy.compute(), post.estimator.predict_proba(X), rtol=0)


def test_joblib_dask_backend_runs_searches_on_the_cluster(binary):
    import joblib
    from sklearn.model_selection import GridSearchCV, cross_val_score

    X, y = binary
    est = SigmoidGDClassifier(batch_size=None, max_iter=20, tol=None, random_state=0)
    local = cross_val_score(est, X, y, cv=3)
    grid = {"learning_rate": [0.5, 2.0]}
    local_search = GridSearchCV(est, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = cross_val_score(est, X, y, cv=3, n_jobs=-1)
        search = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    assert_array_equal(remote, local)
    assert search.best_params_ == local_search.best_params_
    assert_array_equal(search.cv_results_["mean_test_score"],
                       local_search.cv_results_["mean_test_score"])


def test_without_a_client_the_local_scheduler_gives_the_same_weights(binary):
    import dask

    X, y = binary
    est = SigmoidGDClassifier(batch_size=None, class_weight="balanced", max_iter=8, tol=None,
                              random_state=0)
    with dask.config.set(scheduler="synchronous"):
        on_dask = clone(est).fit(blocks(X, UNEVEN), blocks(y, UNEVEN))
        predicted = on_dask.predict(blocks(X, EVEN)).compute()
    memory = clone(est).fit(X, y)
    assert_same_weights(on_dask, memory)
    assert_array_equal(predicted, memory.predict(X))


def test_the_client_never_holds_the_data():
    """A fit on data generated on the workers, 5x larger than the client may grow."""
    psutil = pytest.importorskip("psutil", reason="psutil measures the client's memory")
    n_rows, n_features = 1_000_000, 40
    X = da.random.RandomState(0).normal(size=(n_rows, n_features), chunks=(125_000, n_features))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    data_bytes = n_rows * n_features * 8
    allowed = data_bytes // 5

    process = psutil.Process()
    peak = [process.memory_info().rss]
    before = peak[0]
    done = threading.Event()

    def watch():
        while not done.wait(0.005):
            peak[0] = max(peak[0], process.memory_info().rss)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        est = SigmoidGDClassifier(batch_size=None, max_iter=3, tol=None, random_state=0).fit(X, y)
        accuracy = est.score(X, y)
    finally:
        done.set()
        watcher.join()
    growth = peak[0] - before
    print(f"data {data_bytes / 2**20:.0f} MiB, client peak growth {growth / 2**20:.1f} MiB")
    assert growth < allowed
    assert accuracy > 0.9


def test_the_documented_example_runs(dask_client):
    import runpy

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "dask_larger_than_memory.py"
    example = runpy.run_path(str(path), run_name="example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = io.StringIO()
        with redirect_stdout(out):
            example["run"](dask_client, n_rows=20_000)
    assert re.search(r"largest relative difference from the in-memory fit: \S+e-1[0-9]", out.getvalue())


def test_the_readme_example(dask_client):
    """The README's three lines, on the session's cluster (not a new one) and on fewer rows."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("## Larger than memory", 1)[1]
    code = re.search(r"```py\n(.*?)```", section, flags=re.S).group(1)
    assert len(code.strip().splitlines()) == 3 and "Client()" in code
    code = code.replace("Client()", "session_client")
    code = code.replace("4_000_000", "40_000").replace("500_000", "5_000")
    out = io.StringIO()
    with redirect_stdout(out):
        exec(code, {"session_client": dask_client})
    assert float(out.getvalue()) > 0.9


def test_filtered_collections_of_unknown_lengths_train_like_the_rows_they_hold():
    X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    w = np.linspace(0.5, 1.5, 200)
    Xd, yd, wd = blocks(X, (70, 130)), blocks(y, (70, 130)), blocks(w, (70, 130))
    keep = blocks(np.arange(200) % 3 != 0, (70, 130))
    est = SigmoidGDClassifier(batch_size=None, max_iter=5, tol=None, random_state=0)
    on_dask = clone(est).fit(Xd[keep], yd[keep], sample_weight=wd[keep])
    rows = np.arange(200) % 3 != 0
    memory = clone(est).fit(X[rows], y[rows], sample_weight=w[rows])
    assert_same_weights(on_dask, memory)


# ------------------------------------------------- score: one table, two engines


@pytest.fixture(scope="module")
def scored():
    """Fitted estimators (on 60 rows) that the score table scores, and their data."""
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=2, noise=1, random_state=0)
    yr = yr / yr.std(axis=0)
    labels = np.where(y == 1, "yes", "no")
    fit = dict(batch_size=None, max_iter=5, tol=None, random_state=0)
    return {
        "classifier": (SigmoidGDClassifier(**fit).fit(X, y), X, y),
        "string classifier": (SigmoidGDClassifier(**fit).fit(X, labels), X, labels),
        "regressor": (TwoLayerBackpropRegressor(n_hidden=3, **fit).fit(Xr, yr[:, 0]), Xr,
                      yr[:, 0]),
        "two outputs": (TwoLayerBackpropRegressor(n_hidden=3, **fit).fit(Xr, yr), Xr, yr),
    }


def _scored_y(kind, y):
    pd = pytest.importorskip("pandas")
    return {
        "as fitted": lambda: y,
        "(n, 1)": lambda: y.reshape(-1, 1),
        "one-column DataFrame": lambda: pd.DataFrame({"target": y}),
        "Series": lambda: pd.Series(y, name="target"),
        "first column": lambda: y[:, 0],
        "strings": lambda: np.where(y == 1, "yes", "no"),
        "integers": lambda: (y == "yes").astype(np.int64),
        "unseen labels": lambda: y + 7,
        "one short": lambda: y[:-1],
        "two columns": lambda: np.c_[y, y],
        "NaN": lambda: _with(y, 3, np.nan),
    }[kind]()


def _scored_weights(kind, n):
    ramp = np.linspace(0.1, 2.0, n)
    return {
        "none": None,
        "array": ramp,
        "all zero": np.zeros(n),
        "negative": -ramp,
        "NaN": _with(ramp, 5, np.nan),
        "one short": ramp[:-1],
        "two-D": ramp.reshape(-1, 1),
        "True": True,
        "scalar": 2.0,
    }[kind]


#: (estimator, y, sample_weight): what memory's score answers or refuses.
SCORE_TABLE = [
    *[("classifier", y, "none") for y in ("as fitted", "(n, 1)", "one-column DataFrame", "Series",
                                          "strings", "unseen labels", "one short",
                                          "two columns", "NaN")],
    ("string classifier", "integers", "none"),
    *[("classifier", "as fitted", w) for w in ("array", "all zero", "negative", "NaN", "one short",
                                         "two-D", "True", "scalar")],
    *[("regressor", y, "none") for y in ("as fitted", "(n, 1)", "one-column DataFrame", "Series",
                                         "two columns", "strings", "one short", "NaN")],
    ("two outputs", "first column", "none"),
    ("two outputs", "as fitted", "none"),
    *[("regressor", "as fitted", w) for w in ("array", "all zero", "negative", "NaN", "one short",
                                        "two-D", "True", "scalar")],
    ("two outputs", "as fitted", "array"),
]


def _on_dask(value, chunks):
    """A value as the Dask user gives it: arrays as Dask arrays, pandas as Dask frames."""
    if isinstance(value, np.ndarray) and value.ndim:
        # A value of another length than X keeps the first of X's blocks.
        return blocks(value, chunks) if len(value) == sum(chunks) else \
            da.from_array(value, chunks=(chunks[0],) + value.shape[1:])
    if hasattr(value, "iloc"):
        return dd.from_pandas(value, npartitions=len(chunks))
    return value


def _answer(call):
    """A call's result, or the type and message of its exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the error is the answer compared
            return type(exc), str(exc)


#: The cases whose y and weights the Dask score also receives as in-memory values.
SENT_AS_NUMPY = [
    ("classifier", "(n, 1)", "none"), ("classifier", "one-column DataFrame", "none"),
    ("classifier", "strings", "none"), ("classifier", "one short", "none"),
    ("classifier", "as fitted", "array"), ("classifier", "as fitted", "one short"),
    ("classifier", "as fitted", "two-D"), ("regressor", "(n, 1)", "none"),
    ("regressor", "as fitted", "all zero"), ("two outputs", "first column", "none"),
]
SCORE_CASES = [(*case, "as dask") for case in SCORE_TABLE] + \
    [(*case, "as numpy") for case in SENT_AS_NUMPY]


@pytest.mark.parametrize("est_name, y_kind, w_kind, sent", SCORE_CASES,
                         ids=[" | ".join(case) for case in SCORE_CASES])
def test_score_equals_memory_or_raises_its_error(scored, est_name, y_kind, w_kind, sent):
    """The same y and sample_weight scored in memory and on Dask blocks.

    Equal scores to 1e-12 relative (the sums run in another order), or the
    same exception with the same message.  y and the weights reach the Dask
    score as Dask collections, or as the in-memory arrays themselves.
    """
    est, X, y = scored[est_name]
    y = _scored_y(y_kind, y)
    w = _scored_weights(w_kind, X.shape[0])
    chunks = (25, 1, 34)
    memory = _answer(lambda: est.score(X, y, sample_weight=w))
    if sent == "as dask":
        y, w = _on_dask(y, chunks), _on_dask(w, chunks)
    on_dask = _answer(lambda: est.score(blocks(X, chunks), y, sample_weight=w))
    if isinstance(memory, tuple):
        assert on_dask == memory
    else:
        assert isinstance(on_dask, float)
        assert on_dask == pytest.approx(memory, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("est_name, method", [
    *[(name, method) for name in ("classifier", "string classifier")
      for method in ("predict", "predict_proba", "decision_function")],
    ("regressor", "predict"), ("two outputs", "predict"),
])
def test_predictions_equal_memory_or_raise_its_error(scored, est_name, method):
    pd = pytest.importorskip("pandas")
    est, X, _ = scored[est_name]
    memory = getattr(est, method)(X)
    for on_dask in (blocks(X, (25, 1, 34)), dd.from_pandas(pd.DataFrame(X), npartitions=3)):
        got = getattr(est, method)(on_dask).compute()
        assert got.shape == memory.shape and got.dtype == memory.dtype
        if memory.dtype.kind in "fc":
            assert_allclose(got, memory, rtol=1e-12)
        else:
            assert_array_equal(got, memory)
    for bad in (X[:, :3], X[:0]):
        want = _answer(lambda: getattr(est, method)(bad))
        assert isinstance(want, tuple)
        assert _answer(lambda: getattr(est, method)(blocks(bad, (len(bad),))).compute()) == want


@pytest.mark.parametrize("weight", [True, 2.5, np.float32(2), np.array(1.0), "heavy", [[1.0]]],
                         ids=["True", "float", "numpy scalar", "0-d array", "string", "nested"])
def test_fit_refuses_weights_memory_refuses_with_its_error(binary, weight):
    X, y = binary
    est = SigmoidGDClassifier(batch_size=None, max_iter=2, tol=None)
    if isinstance(weight, list):
        weight = np.ones((len(y), 1))  # one weight per row, but as a column
    want = _answer(lambda: clone(est).fit(X, y, sample_weight=weight))
    assert isinstance(want, tuple)
    got = _answer(lambda: clone(est).fit(blocks(X, UNEVEN), blocks(y, UNEVEN),
                                         sample_weight=_on_dask(weight, UNEVEN)))
    assert got == want


def test_early_stopping_on_blocks_of_one_row_behaves_as_memory(binary):
    X, y = binary
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=3, early_stopping=True,
                                     max_iter=3, tol=None, random_state=0)
    ones = (1,) * 40
    # Enough rows: memory's number of rows held out (4 of 40), however chunked.
    on_dask = clone(est).fit(blocks(X[:40], ones), blocks(y[:40], ones))
    memory = clone(est).fit(X[:40], y[:40])
    assert on_dask.t_ == memory.t_ == 3 * 36
    assert len(on_dask.validation_scores_) == 3
    # Too few: memory's error, whose advice (a larger validation_fraction) helps here too.
    small = clone(est).set_params(validation_fraction=0.1)
    want = _answer(lambda: clone(small).fit(X[:10], y[:10]))
    assert isinstance(want, tuple) and "Increase validation_fraction" in want[1]
    assert _answer(lambda: clone(small).fit(blocks(X[:10], (1,) * 10),
                                            blocks(y[:10], (1,) * 10))) == want
    assert clone(small).set_params(validation_fraction=0.2).fit(
        blocks(X[:10], (1,) * 10), blocks(y[:10], (1,) * 10)).t_ == 3 * 8


# ------------------------------------------------------- the cost of a pass


def _tasks_run(dask_client, call):
    """The names of the tasks the cluster ran during ``call()`` (their keys, less the id)."""
    from distributed import get_task_stream

    with get_task_stream(dask_client) as stream:
        call()
    return [task["key"].split("-", 1)[0] for task in stream.data
            if isinstance(task["key"], str)]


def test_a_full_batch_epoch_runs_a_task_per_worker_thread_not_per_block(binary, dask_client):
    """Twelve blocks on two single-threaded workers: at most two tasks an epoch.

    The scheduler's cost is per task; an epoch on many small blocks paid it
    per block.  Larger sums (here: forced) are added up a tree on the
    workers, a task per block, with the same weights.
    """
    from sknn_basic._engines import dask as _dask

    X, y = binary
    chunks = (70,) * 10 + (50,) * 2
    est = SigmoidGDClassifier(batch_size=None, max_iter=3, tol=None, random_state=0)
    memory = clone(est).fit(X, y)
    threads = sum(dask_client.nthreads().values())
    for gathered_bytes, per_epoch in ((_dask.GATHERED_BYTES, threads), (0, len(chunks))):
        on_dask = clone(est)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_dask, "GATHERED_BYTES", gathered_bytes)
            tasks = _tasks_run(dask_client, partial(on_dask.fit, blocks(X, chunks),
                                                    blocks(y, chunks)))
        n_sums = tasks.count("_gradient_sums") + tasks.count("_each")
        assert 3 <= n_sums <= 3 * per_epoch, (gathered_bytes, n_sums)
        assert_same_weights(on_dask, memory)


def test_weights_travel_inside_the_tasks_of_a_pass_unless_large(binary, dask_client,
                                                               monkeypatch):
    """6.4 kB of weights, 16 blocks: inside each of the pass's few tasks, no broadcast.

    A broadcast is one more task and one more message to the scheduler
    before the pass's tasks; weights too large for every task (here: the
    limit set to nothing) still take it, with the same result.
    """
    from sknn_basic._engines import dask as _dask

    X, y = binary
    chunks = (50,) * 16
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=100, max_iter=5, tol=None,
                                     random_state=0)
    memory = clone(est).fit(X, y)
    # The set-up sends the estimator's shell that prepares the blocks once.
    for inline_bytes, broadcasts in ((_dask.INLINE_BYTES, (1, 1)), (0, (6, 20))):
        on_dask = clone(est)
        monkeypatch.setattr(_dask, "INLINE_BYTES", inline_bytes)
        tasks = _tasks_run(dask_client, partial(on_dask.fit, blocks(X, chunks),
                                                blocks(y, chunks)))
        assert broadcasts[0] <= tasks.count("_itself") <= broadcasts[1], inline_bytes
        assert_same_weights(on_dask, memory)


@pytest.mark.parametrize("Est", [TwoLayerBackpropClassifier, TwoLayerBackpropRegressor])
def test_the_held_out_loss_and_score_take_one_pass_an_epoch(binary, dask_client, monkeypatch,
                                                            Est):
    """Early stopping asks the held-out loss, then the score, of the same weights: one pass.

    The same numbers as two passes give (forced here by forgetting the
    score the loss's pass kept).
    """
    from sknn_basic._engines import blocks as _blocks

    X, y = binary
    est = Est(batch_size=None, n_hidden=4, early_stopping=True, validation_fraction=0.2,
              learning_rate=0.5, max_iter=6, tol=None, random_state=0)
    one_pass = clone(est)
    tasks = _tasks_run(dask_client, partial(one_pass.fit, blocks(X, UNEVEN), blocks(y, UNEVEN)))
    threads = sum(dask_client.nthreads().values())
    assert "_score_parts" not in tasks and "_loss_parts" not in tasks
    assert 6 <= tasks.count("_held_out_parts") <= 6 * threads

    mean_loss = _blocks._HeldOutScore.mean_loss

    def forgetting(self, *args):
        loss = mean_loss(self, *args)
        self.kept = None
        return loss

    monkeypatch.setattr(_blocks._HeldOutScore, "mean_loss", forgetting)
    two_passes = clone(est)
    tasks = _tasks_run(dask_client, partial(two_passes.fit, blocks(X, UNEVEN),
                                            blocks(y, UNEVEN)))
    assert tasks.count("_score_parts") >= 6
    assert len(one_pass.validation_scores_) == 6
    assert_allclose(one_pass.validation_scores_, two_passes.validation_scores_, rtol=1e-12)
    assert_allclose(one_pass.validation_loss_curve_, two_passes.validation_loss_curve_,
                    rtol=1e-12)
    assert_same_weights(one_pass, two_passes)


def _placed(dask_client, array, chunks, workers, futures):
    """``array`` in blocks scattered to ``workers`` in turn (the i-th to the (i mod n)-th).

    The scattered futures are appended to ``futures``: the data lives as long as they do.
    """
    bounds = list(pairwise(np.cumsum((0,) + chunks)))
    parts = [dask_client.scatter(array[a:b], workers=[workers[i % len(workers)]])
             for i, (a, b) in enumerate(bounds)]
    futures += parts
    return da.concatenate([da.from_delayed(part, shape=(b - a,) + array.shape[1:],
                                           dtype=array.dtype)
                           for part, (a, b) in zip(parts, bounds)])


def test_scattered_blocks_give_the_same_weights_wherever_they_live(binary, dask_client):
    """Data placed with client.scatter trains; the sums do not follow the blocks' places.

    Each worker's task adds up the blocks it holds, so the additions would
    follow where the blocks live if the client did not add them in the
    blocks' order: all on one worker or shared out, the weights are the same
    to the bit.
    """
    X, y = binary
    first, second = sorted(dask_client.nthreads())
    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=4, max_iter=10, tol=None,
                                     random_state=0)
    fits, futures = [], []
    for workers in ([first], [first, second], [second, first]):
        fits.append(clone(est).fit(_placed(dask_client, X, UNEVEN, workers, futures),
                                   _placed(dask_client, y, UNEVEN, workers, futures)))
    assert_same_weights(fits[0], clone(est).fit(X, y))
    for other in fits[1:]:
        assert_same_weights(other, fits[0], rtol=0)


def test_blocks_are_shared_among_the_threads_of_the_worker_holding_them():
    """The groups of a pass: a worker's blocks split among its threads, in order."""
    from types import SimpleNamespace

    from sknn_basic._engines.dask import _DistributedRunner

    handles = [SimpleNamespace(key=f"block-{i}") for i in range(7)]
    holders = {"block-0": ["a"], "block-1": ["b"], "block-2": ["a"], "block-3": ["a"],
               "block-4": [], "block-5": ["b", "a"], "block-6": ["a"]}
    asked = []

    class Client:
        def who_has(self, futures):
            asked.append(len(futures))
            return {f.key: holders[f.key] for f in futures}

        def nthreads(self):
            return {"a": 2, "b": 4}

    runner = _DistributedRunner(Client())
    # Block 4 is not placed yet: a task of its own, and asked for again.
    # Block 5 is on both workers: on "a", always the same one.
    assert sorted(runner._groups(handles)) == [[0, 2, 3], [1], [4], [5, 6]]
    assert sorted(runner._groups(handles)) == [[0, 2, 3], [1], [4], [5, 6]]
    assert asked == [7, 7]
    holders["block-4"] = ["b"]
    assert sorted(runner._groups(handles)) == [[0, 2, 3], [1], [4], [5, 6]]
    # Now every place is known: not asked again until they are old.
    assert sorted(runner._groups(handles)) == [[0, 2, 3], [1], [4], [5, 6]]
    assert asked == [7, 7, 7]


# ------------------------------------------------- lost workers and Ctrl-C


def test_a_worker_restarted_mid_fit_costs_a_recomputation_not_the_fit(binary, dask_client):
    """The session cluster's worker restarts during epoch 3; its blocks are computed again.

    Nothing the fit keeps on the workers is scattered data (which dies with
    its worker): every block is a task's result that the scheduler can redo.
    """
    X, y = binary
    victim = sorted(dask_client.scheduler_info()["workers"])[0]

    def restart_once(est, info):
        if info["epoch"] == 2:
            dask_client.restart_workers([victim])

    est = TwoLayerBackpropClassifier(batch_size=None, n_hidden=4, max_iter=6, tol=None,
                                     random_state=0)
    on_dask = clone(est).set_params(callback=restart_once).fit(blocks(X, EVEN),
                                                               blocks(y, EVEN))
    dask_client.wait_for_workers(2)
    assert on_dask.n_iter_ == 6
    assert_same_weights(on_dask, clone(est).fit(X, y))


def test_work_the_cluster_cannot_redo_raises_one_clear_error(binary, dask_client,
                                                             monkeypatch):
    """Blocks lost for good (here: cancelled mid-fit) end the fit with our message."""
    from sknn_basic._engines import dask as _dask

    X, y = binary
    persisted = []
    persist = _dask._DistributedRunner.persist

    def remembering(self, delayeds):
        futures = persist(self, delayeds)
        persisted.extend(futures)
        return futures

    def lose_the_blocks(est, info):
        if info["epoch"] == 1:
            dask_client.cancel(persisted)

    monkeypatch.setattr(_dask._DistributedRunner, "persist", remembering)
    est = SigmoidGDClassifier(batch_size=None, max_iter=5, tol=None, random_state=0,
                              callback=lose_the_blocks)
    with pytest.raises(RuntimeError, match="A Dask worker was lost during the fit") as caught:
        est.fit(blocks(X, EVEN), blocks(y, EVEN))
    # One error: the scheduler's is said in the message, not chained below it.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__ is False
    assert caught.value.__context__ is None
    assert "CancelledError" in str(caught.value) and "fit again" in str(caught.value)


def test_a_task_that_kills_its_workers_raises_the_same_clear_error(binary, dask_client,
                                                                   monkeypatch):
    from types import SimpleNamespace

    from distributed import KilledWorker

    X, y = binary
    gather = dask_client.gather
    calls = []

    def gather_then_lose(futures, *args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise KilledWorker("_gradient_sums-0", SimpleNamespace(address="tcp://127.0.0.1:1"),
                               allowed_failures=3)
        return gather(futures, *args, **kwargs)

    monkeypatch.setattr(dask_client, "gather", gather_then_lose)
    est = SigmoidGDClassifier(batch_size=None, max_iter=5, tol=None, random_state=0)
    with pytest.raises(RuntimeError, match="KilledWorker.*memory_limit"):
        est.fit(blocks(X, EVEN), blocks(y, EVEN))


@pytest.mark.parametrize("batch_size", [None, 100], ids=["full batch", "mini-batches"])
def test_ctrl_c_reaches_the_loop_and_leaves_the_cluster_quiet(binary, dask_client, monkeypatch,
                                                             capfd, caplog, batch_size):
    """Ctrl-C while the client waits for epoch 4: no scheduler tracebacks, no futures left."""
    import gc
    import logging
    import time
    import traceback

    from sknn_basic._engines import dask as _dask

    X, y = binary
    settle = _dask._settle
    interrupt = threading.Event()

    def settle_or_interrupt(futures):
        if interrupt.is_set() and not all(f.done() for f in futures):
            # As a Ctrl-C does: the main thread stops waiting, the tasks go on.
            raise KeyboardInterrupt
        settle(futures)

    def after_epoch_3(est, info):
        if info["epoch"] == 2:
            interrupt.set()

    monkeypatch.setattr(_dask, "_settle", settle_or_interrupt)
    est = TwoLayerBackpropClassifier(batch_size=batch_size, n_hidden=4, max_iter=20, tol=None,
                                     random_state=0, callback=after_epoch_3)
    caplog.set_level(logging.WARNING, logger="distributed")
    before = set(dask_client.futures)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(blocks(X, UNEVEN), blocks(y, UNEVEN))
        except KeyboardInterrupt as exc:
            # Until the loop stops on it, the interrupt passes through train().
            assert "train" in [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
        else:
            assert est.n_iter_ == 3
    assert interrupt.is_set()
    # The fit's futures are released: the scheduler forgets their tasks.
    gc.collect()
    deadline = time.monotonic() + 30
    while set(dask_client.futures) - before and time.monotonic() < deadline:
        time.sleep(0.05)
        gc.collect()
    assert not set(dask_client.futures) - before
    time.sleep(0.3)  # let the event loop print anything it was going to
    gc.collect()
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # And the cluster trains on.
    interrupt.clear()
    assert clone(est).set_params(callback=None, max_iter=2).fit(
        blocks(X, UNEVEN), blocks(y, UNEVEN)).n_iter_ == 2


def test_a_fit_on_a_cluster_secured_with_tls(binary, tls_client):
    """The guide's "Securing a cluster": TLS everywhere; another certificate is refused."""
    import dask
    from distributed import Client
    from distributed.security import Security

    X, y = binary
    assert tls_client.scheduler.address.startswith("tls://")
    est = SigmoidGDClassifier(batch_size=None, max_iter=5, tol=None, random_state=0)
    with dask.config.set(scheduler=tls_client):
        on_dask = clone(est).fit(blocks(X, EVEN), blocks(y, EVEN))
        accuracy = on_dask.score(blocks(X, EVEN), blocks(y, EVEN))
    memory = clone(est).fit(X, y)
    assert_same_weights(on_dask, memory)
    assert accuracy == memory.score(X, y)
    # A client whose certificate another authority signed cannot connect.
    with pytest.raises(OSError, match="TLS"):
        Client(tls_client.scheduler.address, security=Security.temporary(), timeout=5,
               set_as_default=False)


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropRegressor])
def test_a_fit_worse_than_a_constant_warns_on_dask_as_in_memory(Est):
    # Raw admissions-like features and a step far too long: both engines
    # compare the final loss with the constant prediction's, measured on the
    # same rows (block-wise on Dask), and give the same advice.
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(590, 115, 400), rng.normal(3.4, 0.4, 400),
                         rng.randint(1, 5, 400)])
    if Est is SigmoidGDClassifier:
        y, est = (rng.uniform(size=400) < 0.32).astype(int), Est(learning_rate=5e5)
    else:
        y, est = X[:, 1] * 10 + rng.normal(size=400), Est(learning_rate=1e-2, max_iter=5)
    est.set_params(batch_size=None, random_state=0)
    messages = []
    for rows, target in ((X, y), (blocks(X, UNEVEN[:3] + (400 - sum(UNEVEN[:3]),)),
                                  blocks(y, UNEVEN[:3] + (400 - sum(UNEVEN[:3]),)))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clone(est).fit(rows, target)
        found = [str(w.message) for w in caught if "worse than that of always" in str(w.message)]
        assert len(found) == 1, [str(w.message) for w in caught]
        messages.append(found[0])
    numbers = [re.findall(r"\d+\.?\d*(?:e[+-]?\d+)?", m) for m in messages]
    assert re.sub(r"[\d.e+-]+", "#", messages[0]) == re.sub(r"[\d.e+-]+", "#", messages[1])
    assert_allclose([float(v) for v in numbers[1]], [float(v) for v in numbers[0]], rtol=1e-6)
