"""The Dask engine: the steps of a fit, prediction and score on the blocks of a collection.

Imported only when ``fit``, ``partial_fit``, ``predict``, ``predict_proba``,
``decision_function`` or ``score`` meets a Dask array, DataFrame or Series
(see :func:`sknn_basic._engines.engine_for`); the core install never
imports Dask.

:mod:`sknn_basic._fit` runs the fit's steps in their one order; the steps
that touch rows run block-wise, by :mod:`sknn_basic._engines.blocks`, which
knows nothing of Dask.  This module gives it what is Dask's: the blocks of
the collections (X, y and sample_weight aligned to X's row blocks, each
validated on the worker that holds it), the runners that map, reduce and
chain tasks over them (:class:`_LocalRunner`, :class:`_DistributedRunner`),
and prediction and scoring on collections.  On the blocks:

* a full batch (``batch_size=None``) sends the weights once per epoch to the
  workers, one task per worker thread returns the loss sum and gradient sums
  (:meth:`~sknn_basic._network.LayeredModel.gradient_sums`) of each block its
  worker holds, the client adds them in the blocks' order (large sums are
  added by a tree reduction on the workers, in the same order), and the
  model's own optimizer takes the step on the client.  The weights equal the
  in-memory fit's but for the order of the additions, which is the same
  wherever the blocks live.  ``solver="lbfgs"`` evaluates its objective by
  the same pass; the client keeps only the weights and L-BFGS's memory;
* mini-batches: the model travels to the data.  The blocks are visited in an
  order drawn each epoch (and each block's rows in an order drawn for it);
  the epoch over a block runs on the worker that holds it and hands the
  weights and the optimizer's state on to the next block;
* the perceptron's rule is sequential, so it trains by iterative parameter
  mixing (McDonald, Hall and Mann, 2010): each epoch every block runs the rule
  from the mixed weights, and the new weights are the mix of the blocks'
  weights, each weighted by its share of the rows.

A network's ``partial_fit`` with a replay memory (:mod:`sknn_basic._replay`)
makes the memory's draws on the client, in the in-memory order; the few rows
the memory takes in (at most ``replay_size``) are the only rows gathered to
the client, and the rows it replays join the call as one more block.

With a ``distributed`` client the prepared blocks are kept on the workers for
the duration of the fit (distributed spills them to disk if they outgrow the
workers' memory) and released afterwards.  All they hold are task results,
never scattered data, so a worker lost mid-fit costs a recomputation; work
the cluster cannot redo ends the fit with one clear error.  The client waits
for results on a plain event, so a Ctrl-C interrupts the wait and nothing in
the client's event loop.  Without a client, Dask's local scheduler
recomputes the blocks from their source at each pass, so memory holds a few
blocks at a time (persist the collection first where it fits).

Prediction maps the estimator's own ``predict`` (or ``predict_proba``,
``decision_function``) over the blocks, lazily, with the fitted estimator
sent once as one node of the graph.  ``score`` sums block by block and runs
scikit-learn's metric on stand-ins on the client, so it refuses what the
in-memory ``score`` refuses, with its messages.
"""

import math
import threading
import time
import uuid
import warnings
from concurrent.futures import CancelledError

import dask
import dask.array as da
import numpy as np
from dask import delayed
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .._inputs import FLOAT_DTYPES
from .._weights import check_sample_weights
from .blocks import BlockRows, _add_all, _checked_block, _nbytes, _r2, _shell, _zero_width

__all__ = ["predict", "rows", "score"]

#: Partial results added together per task of the tree reduction.
SPLIT_EVERY = 8
#: Results of the blocks up to this size in all travel to the client one per
#: block, from one task per worker thread; larger ones are added on the workers.
GATHERED_BYTES = 2**20
#: Seconds for which the places of the blocks, once asked, are taken as known.
PLACES_SECONDS = 1.0
#: Weights up to this size (times the number of tasks) travel inside each
#: task rather than by a broadcast before them.
INLINE_BYTES = 2**16


# ---------------------------------------------------------- what runs where


class _DaskRunner:
    """What both Dask runners do alike."""

    def persist_call(self, func, *args):
        """A new block, ``func(*args)`` computed where the runner keeps blocks."""
        return self.persist([delayed(func, pure=False)(*args)])


class _LocalRunner(_DaskRunner):
    """Dask's local scheduler: blocks stay lazy and are recomputed at each pass."""

    def persist(self, delayeds):
        return list(delayeds)

    def map(self, func, handles, *per_block, **kwargs):
        return [delayed(func, pure=False)(*args, **kwargs) for args in zip(handles, *per_block)]

    def gather(self, handles):
        return list(dask.compute(*handles)) if handles else []

    def broadcast(self, value, copies=None):
        return value

    def reduce(self, func, handles, *per_block, result_bytes=0, **kwargs):
        return _tree_sum(self.gather(self.map(func, handles, *per_block, **kwargs)))

    def chain(self, func, handles, state, per_block, **kwargs):
        for handle, extra in zip(handles, per_block):
            state = delayed(func, pure=False)(state, handle, extra, **kwargs)
        return dask.compute(state)[0]

    def release(self, handles):
        pass


class _DistributedRunner(_DaskRunner):
    """A ``distributed`` client: prepared blocks live on the workers as futures.

    Everything the workers hold is the result of a task the scheduler knows
    how to run again (never ``client.scatter``'s data, which dies with its
    worker): a worker lost mid-fit costs a recomputation, not the fit.
    """

    def __init__(self, client):
        self.client = client
        # Where each block lives, by its key: a worker's address and when it
        # was asked (time.monotonic()); and each worker's threads.
        self.places, self.threads = {}, {}

    def persist(self, delayeds):
        return self.client.compute(list(delayeds))

    def map(self, func, handles, *per_block, **kwargs):
        if not handles:
            return []
        return self.client.map(func, handles, *per_block, pure=False, **kwargs)

    def gather(self, handles):
        return _results(self.client, list(handles)) if handles else []

    def broadcast(self, value, copies=None):
        """``value`` for ``copies`` tasks: one task's result, or inside each task.

        A shared value costs one more task, and one more message to the
        scheduler, before the tasks that use it: worth it for large weights,
        not for a small model's few kilobytes, which then travel inside each
        task.  The shared value is a task's result, so the scheduler
        recomputes it if the worker holding it dies.
        """
        if copies is not None and _nbytes(value) * copies <= INLINE_BYTES:
            return value
        return self.client.submit(_itself, value, pure=False)

    def reduce(self, func, handles, *per_block, result_bytes=0, **kwargs):
        """The sum of ``func`` over the blocks, added in the blocks' order wherever they live.

        The scheduler's cost is per task, and a task per block made a pass
        over many small blocks pay it per block.  Where the results are
        small (``result_bytes`` each, at most ``GATHERED_BYTES`` in all), one
        task per thread of each worker that holds blocks computes its
        blocks' results, and the client adds them.  Larger results are added
        up a tree of tasks on the workers, a task per block.  Both add in
        the order of :func:`_tree_sum`, the blocks' order, never in the order
        of where the blocks happen to live: a fit repeats itself to the bit.
        """
        if result_bytes * len(handles) > GATHERED_BYTES:
            parts = self.map(func, handles, *per_block, **self._shared(kwargs, len(handles)))
            parts = _tree_levels(
                parts, lambda *level: self.client.submit(_add_all, *level, pure=False))
            return _add_all(*self.gather(parts))
        groups = self._groups(handles)
        parts = self.client.map(
            _each, [[handles[i] for i in group] for group in groups],
            [[[values[i] for i in group] for values in per_block] for group in groups],
            task=func, kwargs=self._shared(kwargs, len(groups)),
            key=[f"{func.__name__}-{uuid.uuid4().hex}" for _ in groups], pure=False)
        results = [None] * len(handles)
        for group, group_results in zip(groups, self.gather(parts)):
            for i, result in zip(group, group_results):
                results[i] = result
        return _tree_sum(results)

    def _shared(self, kwargs, copies):
        """The keyword arguments of ``copies`` tasks, each sent as :meth:`broadcast` decides."""
        return {name: self.broadcast(value, copies) for name, value in kwargs.items()}

    def _groups(self, handles):
        """The blocks' indices in groups, each of blocks one worker holds, in the blocks' order.

        A worker's blocks are shared among its threads, so that a worker of
        several threads still computes several blocks at once.  A block not
        yet placed (still computing) is a group of its own, for the
        scheduler to place.  Where a block lives is asked again
        ``PLACES_SECONDS`` after it was last asked: a block that moved (its
        worker lost) costs its group's task a transfer until then, never a
        wrong result.
        """
        now = time.monotonic()
        if any(now - self.places.get(h.key, (None, -math.inf))[1] > PLACES_SECONDS
               for h in handles):
            holders = self.client.who_has(handles)
            self.threads = self.client.nthreads()
            self.places.update({key: (min(workers), now) for key, workers in holders.items()
                                if workers})
        by_worker, groups = {}, []
        for i, handle in enumerate(handles):
            worker, _ = self.places.get(handle.key, (None, None))
            if worker is None:
                groups.append([i])
            else:
                by_worker.setdefault(worker, []).append(i)
        for worker, indices in by_worker.items():
            shares = min(self.threads.get(worker, 1), len(indices))
            groups.extend([int(i) for i in part] for part in np.array_split(indices, shares))
        return groups

    def chain(self, func, handles, state, per_block, **kwargs):
        # Each block's task waits for the previous one's state: only the
        # state (weights, optimizer) moves between workers, never a block.
        for handle, extra in zip(handles, per_block):
            state = self.client.submit(func, state, handle, extra, pure=False, **kwargs)
        return self.gather([state])[0]

    def release(self, handles):
        # Released, not cancelled: the scheduler forgets each task once no
        # future wants it, where cancelling a task that another still
        # depends on trips the scheduler's own assertions (and prints them).
        for handle in handles:
            if handle is not None:
                handle.release()


def _itself(value):
    return value


def _each(blocks, per_block, task, kwargs):
    """``task`` on each of a group's blocks, on the worker that holds them: a list of results."""
    return [task(block, *extra, **kwargs) for block, *extra in zip(blocks, *per_block)]


def _tree_levels(parts, add):
    """``SPLIT_EVERY`` neighbours at a time added by ``add``, until at most that many are left."""
    while len(parts) > SPLIT_EVERY:
        parts = [add(*parts[i:i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts


def _tree_sum(results):
    """The results added as the reduction tree adds them: ``SPLIT_EVERY`` neighbours at a time.

    The order of the additions is the blocks' alone, whichever runner and
    whatever the places of the blocks, so the same blocks sum to the same bits.
    """
    return _add_all(*_tree_levels(results, _add_all))


def _settle(futures):
    """Wait until every future has finished, erred or been cancelled.

    The wait is a plain ``threading.Event``: a Ctrl-C lands here and leaves
    nothing half-done in the client's event loop (interrupting
    ``client.gather`` itself leaves its waiting tasks to print tracebacks
    when they are collected).
    """
    pending = [f for f in futures if not f.done()]
    if not pending:
        return
    lock, finished = threading.Lock(), threading.Event()
    left = [len(pending)]

    def one_done(_):
        with lock:
            left[0] -= 1
            if not left[0]:
                finished.set()

    for future in pending:
        future.add_done_callback(one_done)
    finished.wait()


def _results(client, futures):
    """The futures' results; a lost worker's cancelled work as one clear error."""
    from distributed import KilledWorker

    _settle(futures)
    try:
        return client.gather(futures)
    except (CancelledError, KilledWorker) as exc:
        lost = exc
    # Raised outside the except clause: the scheduler's error is said in
    # the message, not printed as a second traceback.
    raise RuntimeError(
        "A Dask worker was lost during the fit and the cluster could not redo its work "
        f"({type(lost).__name__}: {lost}). The fit stopped there. Look at the workers' "
        "logs: a worker that exceeds its memory_limit is restarted, so give the workers "
        "more memory or use smaller blocks; data placed with client.scatter cannot be "
        "recomputed, so load or persist the collection instead. Then fit again."
    )


def _runner(collection):
    """The runner of the scheduler that would compute ``collection``."""
    scheduler = dask.base.get_scheduler(collections=[collection])
    client = getattr(scheduler, "__self__", None)
    if client is not None and type(client).__module__.startswith("distributed"):
        return _DistributedRunner(client)
    return _LocalRunner()


# ------------------------------------------------------------ collections


def _check_columns(estimator, X, reset):
    """The feature names and count of X against the estimator's, as ``validate_data`` checks.

    A DataFrame's are read from its metadata (an empty pandas frame with its
    columns): scikit-learn does not read the columns of a lazy frame itself.
    """
    metadata = X if isinstance(X, da.Array) else getattr(X, "_meta", X)
    validate_data(estimator, metadata, reset=reset, skip_check_array=True)


def _as_array(collection, lengths):
    """A Dask array of a Dask array, DataFrame or Series (rows chunked, columns whole)."""
    if not isinstance(collection, da.Array):
        if not hasattr(collection, "to_dask_array"):
            raise TypeError(
                f"Expected a dask array, DataFrame or Series, got {type(collection).__name__}. "
                "Pass X, y and sample_weight as dask collections (or y and sample_weight "
                "as in-memory arrays)."
            )
        with warnings.catch_warnings():
            # A string column becomes an object array, as np.asarray makes it in memory.
            warnings.filterwarnings("ignore", message="Dask currently has limited support for "
                                    "converting pandas extension dtypes")
            collection = collection.to_dask_array(lengths=lengths)
    if collection.ndim > 1 and any(len(c) > 1 for c in collection.chunks[1:]):
        # Each task needs whole rows: join the column blocks where they live.
        collection = collection.rechunk({axis: -1 for axis in range(1, collection.ndim)})
    return collection


def _column(values):
    """``y`` or ``sample_weight`` as a Dask array of known block lengths, or a NumPy array."""
    if isinstance(values, da.Array) or hasattr(values, "to_dask_array"):
        values = _as_array(values, lengths=True)
        if any(math.isnan(size) for size in values.chunks[0]):
            # A filtered collection (y[mask]) does not know its blocks' lengths.
            values = values.compute_chunk_sizes()
        return values
    return np.asarray(values)


def _aligned(values, X):
    """A column of values as a Dask array with the row blocks of ``X``."""
    chunks = (X.chunks[0],) + tuple((size,) for size in values.shape[1:])
    if isinstance(values, da.Array):
        return values.rechunk(chunks)
    return da.from_array(values, chunks=chunks)


def _rows_like(values, X, name):
    """``y`` or ``sample_weight`` for fit: checked against the rows of ``X``, aligned to them."""
    if values is None:
        return None
    values = _column(values)
    n_rows, n_values = X.shape[0], values.shape[0] if values.ndim else 1
    if name == "sample_weight" and values.ndim != 1:
        # scikit-learn's message for weights that are not one column (as
        # _check_sample_weight gives it in memory), from one stand-in row.
        _check_sample_weight(np.ones((1,) + values.shape[1:]), _zero_width(n_rows))
    if n_values != n_rows:
        if name == "sample_weight":
            # scikit-learn's _check_sample_weight message, without building
            # an array as long as the data on the client to get it.
            raise ValueError(f"sample_weight.shape == {values.shape}, expected {(n_rows,)}!")
        check_consistent_length(_zero_width(n_rows), _zero_width(n_values))
    return _aligned(values, X)


def _blocks(array):
    """The row blocks of a Dask array as Delayed objects, in row order."""
    return None if array is None else list(array.to_delayed().ravel())


def _training_dtype(estimator, X, first_call):
    """The dtype ``validate_data`` would give X: its float dtype, else float64."""
    if not first_call:
        return estimator._dtype
    dtype = np.dtype(X.dtype)
    if dtype.kind == "f":
        dtype = dtype.newbyteorder("=")
    return dtype if dtype in FLOAT_DTYPES else np.dtype(np.float64)


# --------------------------------------------------------------------- fit


def holds(X):
    """Whether ``X``, a type of Dask's, is a collection (this engine's rows)."""
    return hasattr(X, "__dask_graph__")


def rows(estimator, X, y, sample_weight, first_call):
    """The training rows of one call: blocks of a Dask collection, validated where they live.

    Parameters
    ----------
    estimator : BaseTrained
        The estimator to train.
    X : dask array or DataFrame of shape (n_samples, n_features)
        Training data, chunked along the rows.
    y : dask array or Series, or array-like, of shape (n_samples,)
        Targets; rechunked to the row blocks of X where needed.
    sample_weight : dask array or Series, array-like, float or None
        Weights of the samples.
    first_call : bool
        Whether the call starts anew (it records the features and the dtype).

    Returns
    -------
    DaskRows
    """
    return DaskRows(estimator, X, y, sample_weight, first_call)


class DaskRows(BlockRows):
    """The blocks of Dask collections, validated on the workers that hold them."""

    def __init__(self, estimator, X, y, sample_weight, first_call):
        runner = _runner(X)
        _check_columns(estimator, X, reset=first_call)
        X = _as_array(X, lengths=True)
        if any(math.isnan(size) for size in X.chunks[0]):
            X = X.compute_chunk_sizes()
        y = _rows_like(y, X, "y")
        if sample_weight is not None and np.ndim(sample_weight) == 0:
            # What is no array (True, 2.0): the in-memory weight checks decide,
            # on a stand-in with as many rows and no bytes.
            check_sample_weights(sample_weight, _zero_width(X.shape[0]))
            # Were it accepted, equal weights train as none at all.
            sample_weight = None
        sample_weight = _rows_like(sample_weight, X, "sample_weight")
        dtype = _training_dtype(estimator, X, first_call)
        if first_call:
            estimator._dtype = dtype
        self.y = y
        weight_blocks = _blocks(sample_weight) or [None] * X.numblocks[0]
        checked = runner.persist(
            delayed(_checked_block, pure=False)(xb, yb, wb, _shell(estimator), dtype)
            for xb, yb, wb in zip(_blocks(X), _blocks(y), weight_blocks)
        )
        super().__init__(estimator, runner, checked, X.shape, y.shape[1:], sample_weight, dtype)

    def largest_target(self):
        return float(abs(self.y).max().compute())


# ------------------------------------------------------------- prediction


def _predict_block(X, shell, method_name):
    """The estimator's own method on one block (its names were checked on the client)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return getattr(shell, method_name)(X)


def _probe(estimator, method_name, X):
    """The method's result on one row of zeros: its dtype and the width of its rows."""
    n_features = X.shape[1] if X.ndim > 1 else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(estimator, method_name)(np.zeros((1, n_features)))


def _prediction(estimator, method_name, X):
    """The lazy result of ``method_name`` on a Dask array with whole rows per block."""
    if X.shape[0] == 0:
        # The in-memory method's message for no rows.
        getattr(estimator, method_name)(np.zeros((0,) + X.shape[1:]))
    probe = _probe(estimator, method_name, X)
    shell = delayed(_shell(estimator), pure=True)
    if probe.ndim == 1:
        return X.map_blocks(_predict_block, shell, method_name, dtype=probe.dtype,
                            drop_axis=1, meta=probe[:0])
    return X.map_blocks(_predict_block, shell, method_name, dtype=probe.dtype,
                        chunks=(X.chunks[0], probe.shape[1:]), meta=probe[:0])


def predict(estimator, method_name, X):
    """``predict``, ``predict_proba`` or ``decision_function`` on a Dask collection.

    Parameters
    ----------
    estimator : BaseTrained
        A fitted estimator.
    method_name : {"predict", "predict_proba", "decision_function"}
        The method to map over the blocks.
    X : dask array or DataFrame of shape (n_samples, n_features)
        Input samples.

    Returns
    -------
    dask.array.Array
        Lazy: each block is computed on the worker holding it, with the
        estimator sent once as one node of the graph.  Its row blocks are
        those of X (unknown sizes for a DataFrame).
    """
    check_is_fitted(estimator)
    _check_columns(estimator, X, reset=False)
    return _prediction(estimator, method_name, _as_array(X, lengths=None))


def score(estimator, X, y, sample_weight):
    """``score`` on Dask collections: accuracy (classifiers) or R^2 (regressors).

    The in-memory ``score`` calls scikit-learn's ``accuracy_score`` or
    ``r2_score``.  Here every block checks its own values with the checks
    those metrics run (so a NaN or a string raises their message) and
    returns sums; the metric itself then runs on the client on a few
    stand-in rows with the shapes and distinct labels of ``y``, of the
    predictions and of ``sample_weight``, so that it refuses what it refuses
    in memory (wrong lengths, a 1-D y for two outputs, string labels against
    integer classes, weights that are all zero or no array), with its own
    exception and message.  Only the sums' order differs from memory.

    Parameters
    ----------
    estimator : BaseTrained
        A fitted estimator.
    X : dask array or DataFrame of shape (n_samples, n_features)
        Test samples.
    y : dask array, DataFrame or Series, or array-like
        True labels or values.
    sample_weight : dask array or Series, array-like or None
        Weights of the samples.

    Returns
    -------
    float
        The score, computed block by block on the workers.
    """
    check_is_fitted(estimator)
    _check_columns(estimator, X, reset=False)
    X = _as_array(X, lengths=True)
    classifier = hasattr(estimator, "_encode_targets")
    metric = accuracy_score if classifier else r2_score
    n_rows = X.shape[0]
    if np.ndim(y) == 0 or (sample_weight is not None and np.ndim(sample_weight) == 0):
        # What is no array at all (True, 2.0): the metric's own refusal.
        stand_in = np.zeros(2)
        metric(y if np.ndim(y) == 0 else stand_in, stand_in,
               sample_weight=sample_weight if np.ndim(sample_weight) == 0 else None)
        sample_weight = da.full(n_rows, sample_weight, chunks=X.chunks[0])
    y = _column(y)
    w = None if sample_weight is None else _column(sample_weight)
    # The metric's first check, in its order: y_true, y_pred, sample_weight.
    check_consistent_length(*(_zero_width(n) for n in
                              (y.shape[0], n_rows, *(() if w is None else (w.shape[0],)))))
    if w is not None and w.ndim != 1:
        _check_sample_weight(np.ones((1,) + w.shape[1:]), _zero_width(n_rows))
    if n_rows == 0:
        # The in-memory predict's message for no rows.
        estimator.predict(np.zeros((0,) + X.shape[1:]))
    predicted_shape = _probe(estimator, "predict", X).shape[1:]
    y, w = _aligned(y, X), None if w is None else _aligned(w, X)
    shell = delayed(_shell(estimator), pure=True)
    parts = dask.compute(*(
        delayed(_score_parts, pure=True)(xb, yb, wb, shell, classifier)
        for xb, yb, wb in zip(_blocks(X), _blocks(y), _blocks(w) or [None] * X.numblocks[0])
    ))
    weighted_zero = w is not None and not any(p[-1] for p in parts)
    if classifier:
        return _accuracy(parts, y, weighted_zero, w is not None)
    return _r2_of_parts(parts, n_rows, y.shape[1:], predicted_shape, weighted_zero, w is not None)


def _score_parts(X, y, sample_weight, shell, classifier):
    """A block's share of the score, its values checked as the metric checks them.

    Classifiers: the block's distinct labels and predicted labels, its
    (weighted) count of right predictions and its total weight.
    Regressors: total weight, a centre, and the weighted sums about it of
    the targets, their squares and the squared residuals (None where the
    number of outputs differs: the client's check raises then).  Last,
    whether some weight is not zero.
    """
    predicted = _predict_block(X, shell, "predict")
    n_rows = predicted.shape[0]
    if classifier:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, y, force_float_dtype=False,
                                                 allow_all_zero_weights=True)
        right = None
        if y.ndim == 1 or y.shape[1] == 1:
            with warnings.catch_warnings():
                # Labels of another type compare unequal (the client refuses them).
                warnings.simplefilter("ignore")
                right = np.asarray(y.reshape(-1) == predicted)
        if right is None or right.shape != predicted.shape:
            right = np.zeros(n_rows, dtype=bool)
        if sample_weight is None:
            hits, total, nonzero = float(np.count_nonzero(right)), float(n_rows), n_rows > 0
        else:
            w = sample_weight.astype(np.float64)
            hits, total, nonzero = float(np.dot(right, w)), float(np.sum(w)), bool(np.any(w))
        return _few_labels(y), _few_labels(predicted), hits, total, nonzero
    Y = check_array(y, ensure_2d=False, dtype=np.float64)
    Y = Y.reshape(n_rows, -1)
    P = predicted.reshape(n_rows, -1).astype(np.float64)
    w = np.ones(n_rows) if sample_weight is None else _check_sample_weight(
        sample_weight, Y, dtype=np.float64, allow_all_zero_weights=True)
    nonzero = bool(np.any(w)) if sample_weight is not None else n_rows > 0
    if Y.shape[1] != P.shape[1] or not n_rows:
        return None, nonzero
    # About a row of the block: sums of small numbers, which the client moves
    # to the mean without the cancellation of raw squares (and which are
    # exactly zero for constant targets, as in memory).
    centre = Y[0]
    deviations = Y - centre
    return (float(np.sum(w)), centre, w @ deviations, w @ deviations**2, w @ (Y - P) ** 2), \
        nonzero


#: Distinct labels a block reports at most (enough for any target type check).
_LABELS_KEPT = 64


def _few_labels(y):
    """The distinct labels (rows) of a block's targets, at most about ``_LABELS_KEPT``.

    Beyond that the type of the targets is already "multiclass" or
    "continuous"; the largest (where NaN and infinity sort) and a
    non-integral value are kept, since they decide the type check.
    """
    if y.ndim == 2 and y.shape[1] > 1:
        try:
            labels = np.unique(y, axis=0)
        except TypeError:
            labels = y
    else:
        labels = np.unique(y.reshape(-1)).reshape((-1,) + y.shape[1:])
    if labels.shape[0] <= _LABELS_KEPT:
        return labels
    keep = [np.arange(_LABELS_KEPT - 1), [labels.shape[0] - 1]]
    if labels.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            keep.append(np.flatnonzero(labels != np.floor(labels))[:1])
    return labels[np.unique(np.concatenate(keep))]


def _stand_in(parts, width):
    """One array of ``width`` rows that holds every distinct label of the parts."""
    labels = np.concatenate(parts)
    return np.take(labels, np.arange(width) % labels.shape[0], axis=0)


def _weights_stand_in(weighted, all_zero, n_rows):
    if not weighted:
        return None
    return np.zeros(n_rows) if all_zero else np.ones(n_rows)


def _mean(total, weight):
    """``total / weight``, or numpy's own error where the weights add up to zero."""
    if weight == 0:
        # As np.average raises in memory (negative weights may cancel out).
        np.average(np.zeros(1), weights=np.zeros(1))
    return total / weight


def _accuracy(parts, y, all_zero, weighted):
    true_labels = [p[0] for p in parts if p[0].shape[0]]
    predicted = [p[1] for p in parts if p[1].shape[0]]
    width = max(sum(p.shape[0] for p in true_labels), sum(p.shape[0] for p in predicted))
    # The metric's checks of the target types, labels and weights, on stand-ins.
    accuracy_score(_stand_in(true_labels, width), _stand_in(predicted, width),
                   sample_weight=_weights_stand_in(weighted, all_zero, width))
    return float(_mean(sum(p[2] for p in parts), sum(p[3] for p in parts)))


def _r2_of_parts(parts, n_rows, y_tail, predicted_tail, all_zero, weighted):
    # The metric's checks of the outputs and weights, on stand-ins (with
    # fewer than two rows, its answer: NaN and its warning).
    width = min(n_rows, 2)
    answer = r2_score(np.zeros((width,) + y_tail), np.zeros((width,) + predicted_tail),
                      sample_weight=_weights_stand_in(weighted, all_zero, width))
    if n_rows < 2:
        return answer
    sums = [p[0] for p in parts if p[0] is not None]
    # Every block's sums moved to one centre c0 (from its own c, by d = c - c0):
    # sum w (y - c0) = s + W d;  sum w (y - c0)^2 = q + 2 d s + W d^2.
    c0 = sums[0][1]
    weight = sum(W for W, _, _, _, _ in sums)
    shift = sum(s + W * (c - c0) for W, c, s, _, _ in sums)
    moved = sum(q + 2 * (c - c0) * s + W * (c - c0) ** 2 for W, c, s, q, _ in sums)
    # About the weighted mean m = c0 + shift / weight.
    squares = moved - shift * _mean(shift, weight)
    return _r2(squares, sum(p[4] for p in sums))
