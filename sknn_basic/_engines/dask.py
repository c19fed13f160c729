"""The Dask engine: the steps of a fit, prediction and score on the blocks of a collection.

Imported only when ``fit``, ``partial_fit``, ``predict``, ``predict_proba``,
``decision_function`` or ``score`` meets a Dask array, DataFrame or Series
(see :func:`sknn_basic._engines.engine_for`); the core install never
imports Dask.

:mod:`sknn_basic._fit` runs the fit's steps in their one order; this module
carries out the steps that touch rows, block-wise (:class:`DaskRows`).
Every block of rows is validated where it lives, by the same scikit-learn
checks (so a bad block raises the message a bad array raises in memory); the
labels and their counts are found by one distributed ``unique`` and handed to
the estimator's own ``_targets``; the weight totals (the largest sample
weight, the class counts) come from the blocks and the arithmetic of
:mod:`sknn_basic._weights` turns them into each row's weight; the draws are
the fit's own, in its order.  The one training loop of
:mod:`sknn_basic._training` drives a :class:`_DaskModel` that wraps the
model the estimator builds in memory.  Only the wrapper knows where the
rows are:

* a full batch (``batch_size=None``) sends the weights once per epoch to the
  workers, each block returns its loss sum and gradient sums
  (:meth:`~sknn_basic._network.LayeredModel.gradient_sums`), the sums are
  added by a tree reduction, and the model's own optimizer takes the step on
  the client.  The weights equal the in-memory fit's but for the order of the
  additions;
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

import copy
import functools
import math
import threading
import warnings
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import NamedTuple, Optional

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
    check_X_y,
    validate_data,
)

from .._inputs import FLOAT_DTYPES, native
from .._network import LayeredModel
from .._replay import stack_rows
from .._split import check_split_sizes, held_out_counts, split_for_validation
from .._weights import (
    check_sample_weights,
    check_weights,
    class_factors,
    in_training_dtype,
    raise_all_weights_zero,
    row_weights,
    weight_scale,
)
from .rows import Rows

__all__ = ["predict", "rows", "score"]

#: Partial results added together per task of the tree reduction.
SPLIT_EVERY = 8
#: Weights up to this size (times the number of tasks) travel inside each
#: block's task rather than by a broadcast before them.
INLINE_BYTES = 2**16
#: Fitted state of the estimator that the workers never need.
_CLIENT_ONLY = ("_training", "_optimizer", "_random_state", "_model", "_replay")


# ----------------------------------------------------------------- blocks


class _Block(NamedTuple):
    """One block of prepared training rows: inputs, 0/1 (or real) targets, weights."""

    X: np.ndarray
    Y: np.ndarray
    w: Optional[np.ndarray]


def _checked_block(X, y, sample_weight, shell, dtype):
    """A block validated as ``validate_data`` validates the whole array in memory.

    Runs on the worker that holds the block.  An empty block is allowed here
    (a DataFrame partition may be empty); the whole data set's emptiness is
    checked on the client with the in-memory message.
    """
    X, y = check_X_y(
        native(X), y, accept_sparse="csr", dtype=dtype, order="C", estimator=shell,
        ensure_min_samples=0, **shell._target_validation,
    )
    if sample_weight is not None:
        # The checks of _weights.check_sample_weights, in its order.  A block of
        # zero weights is legal (only the whole set's must not be): with the
        # 1.0 appended, only a bad value raises, with the in-memory message.
        check_weights(np.append(sample_weight, 1.0), "sample_weight", "sample")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             allow_all_zero_weights=True)
    return X, y, sample_weight


def _block_summary(checked, classifier):
    """What the client needs of a validated block: rows, labels and their counts, top weight."""
    X, y, sample_weight = checked
    labels = counts = None
    if classifier:
        labels, counts = np.unique(y, return_counts=True)
    top = None if sample_weight is None or not len(sample_weight) else sample_weight.max()
    return X.shape[0], labels, counts, top


def _prepared_block(checked, split, shell, weight_scale, class_factors, dtype):
    """Targets encoded and weights combined for a validated block (and its hold-out).

    ``weight_scale`` is the largest sample weight of the whole data set (or
    of a replay memory's rows, where larger) and ``class_factors`` the
    normalised weight of each class, so each row gets
    exactly the weight the in-memory engine gives it.
    ``split`` is None, or ``(n_held_out, seed)`` to hold out that many of
    the block's rows for early stopping: returns ``(train, validation)`` then.
    """
    X, y, sample_weight = checked
    # The estimator's own encoding; the labels were checked on the client.
    Y, strata = shell._targets(y, None, False, True)
    weights = row_weights(sample_weight, weight_scale, class_factors, strata, X.shape[0])
    if weights is not None:
        weights = weights.astype(dtype, copy=False)
    if split is None:
        return _Block(X, Y, weights)
    n_held_out, seed = split
    held_out = _held_out_rows(X.shape[0], n_held_out, strata, seed)
    kept = np.setdiff1d(np.arange(X.shape[0]), held_out)
    return tuple(
        _Block(X[rows], Y[rows], None if weights is None else weights[rows])
        for rows in (kept, held_out)
    )


def _held_out_rows(n_rows, n_held_out, strata, seed):
    """Sorted ``n_held_out`` rows of a block: a stratified choice where possible."""
    if n_held_out in (0, n_rows):
        return np.arange(n_held_out)
    return split_for_validation(n_rows, n_held_out, strata, seed)[1]


def _block_stats(block, weighted):
    """Rows, total weight, and whether every weight is one / some weight is positive."""
    if block.w is None or not weighted:
        return block.X.shape[0], float(block.X.shape[0]), True, block.X.shape[0] > 0
    w = block.w
    return w.shape[0], float(np.sum(w)), bool(np.all(w == 1)), bool(np.any(w > 0))


# ---------------------------------------------------------- what runs where


def _nbytes(value):
    """Bytes of the arrays of a list of arrays or of a model's parameters."""
    arrays = value if isinstance(value, list) else value.parameters
    return sum(a.nbytes for a in arrays)


def _add(a, b):
    """Sum of two partial results: numbers, arrays, None, and tuples or lists of these."""
    if a is None:
        return b
    if isinstance(a, (tuple, list)):
        return type(a)(_add(x, y) for x, y in zip(a, b))
    return a + b


def _add_all(*parts):
    return functools.reduce(_add, parts)


def _item(pair, index):
    return pair[index]


class _LocalRunner:
    """Dask's local scheduler: blocks stay lazy and are recomputed at each pass."""

    def persist(self, delayeds):
        return list(delayeds)

    def map(self, func, handles, *per_block, **kwargs):
        return [delayed(func, pure=False)(*args, **kwargs) for args in zip(handles, *per_block)]

    def gather(self, handles):
        return list(dask.compute(*handles)) if handles else []

    def broadcast(self, value, copies=None):
        return value

    def reduce(self, handles):
        return _add_all(*self.gather(handles))

    def chain(self, func, handles, state, per_block, **kwargs):
        for handle, extra in zip(handles, per_block):
            state = delayed(func, pure=False)(state, handle, extra, **kwargs)
        return dask.compute(state)[0]

    def release(self, handles):
        pass


class _DistributedRunner:
    """A ``distributed`` client: prepared blocks live on the workers as futures.

    Everything the workers hold is the result of a task the scheduler knows
    how to run again (never ``client.scatter``'s data, which dies with its
    worker): a worker lost mid-fit costs a recomputation, not the fit.
    """

    def __init__(self, client):
        self.client = client

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

        A shared value costs a round trip to the workers before any task
        starts: worth it for large weights, not for a small model's few
        hundred bytes, which then travel inside each block's task.  The
        shared value is a task's result, so the scheduler recomputes it if
        the worker holding it dies.
        """
        if copies is not None and _nbytes(value) * copies <= INLINE_BYTES:
            return value
        return self.client.submit(_itself, value, pure=False)

    def reduce(self, handles):
        """Add the partial results up a tree on the workers; the root on the client."""
        parts = list(handles)
        while len(parts) > SPLIT_EVERY:
            parts = [
                self.client.submit(_add_all, *parts[i:i + SPLIT_EVERY], pure=False)
                for i in range(0, len(parts), SPLIT_EVERY)
            ]
        return _add_all(*self.gather(parts))

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


class _Rows:
    """Training (or held-out) rows as the loop sees them: block handles it never reads."""

    def __init__(self, runner, handles, sizes, weighted):
        kept = [(h, n) for h, n in zip(handles, sizes) if n > 0]
        self.runner = runner
        self.handles = [h for h, _ in kept]
        self.sizes = [n for _, n in kept]
        self.weighted = weighted
        self.n_samples = sum(self.sizes)

    def map(self, func, *per_block, **kwargs):
        return self.runner.map(func, self.handles, *per_block, weighted=self.weighted, **kwargs)

    def reduce(self, func, *per_block, **kwargs):
        return self.runner.reduce(self.map(func, *per_block, **kwargs))


# ------------------------------------------------------------------ models


@dataclass(frozen=True)
class _NetworkSpec:
    """How a worker rebuilds the layered model around the weights it is sent."""

    n_layers: int
    loss: str
    hidden_activation: str
    output_activation: str
    alpha: float
    batch_size: int
    dtype: np.dtype

    @classmethod
    def of(cls, model, dtype):
        return cls(len(model.coefs), model.loss, model.hidden_activation,
                   model.output_activation, model.alpha, model.batch_size, np.dtype(dtype))

    def build(self, parameters, n_rows, optimizer=None):
        coefs = list(parameters[:self.n_layers])
        intercepts = list(parameters[self.n_layers:]) or None
        return LayeredModel(
            coefs, intercepts, optimizer, loss=self.loss,
            hidden_activation=self.hidden_activation, output_activation=self.output_activation,
            alpha=self.alpha, batch_size=self.batch_size, n_samples=n_rows, dtype=self.dtype,
        )


class _PerceptronSpec:
    """The perceptron's model travels whole (it is small): a worker uses it as sent."""

    @staticmethod
    def build(model, n_rows):
        return model


def _gradient_sums(block, spec, parameters, weighted):
    """A block's loss sum and gradient sums for a full-batch step (on its worker)."""
    model = spec.build(parameters, block.X.shape[0])
    with np.errstate(all="ignore"):
        loss_sum, grads = model.gradient_sums(block.X, block.Y, block.w if weighted else None)
    return loss_sum, grads


def _minibatch_epoch(state, block, seed, spec, weighted):
    """One mini-batch epoch over a block, from the state the previous block handed on."""
    parameters, optimizer, loss_sum = state
    # What arrives may be read-only: the model updates its own copies.
    parameters = [np.array(p) for p in parameters]
    optimizer = copy.deepcopy(optimizer)
    n_rows = block.X.shape[0]
    model = spec.build(parameters, n_rows, optimizer)
    order = None
    if seed is not None and model.uses_order:
        order = np.random.RandomState(seed).permutation(n_rows)
    with np.errstate(all="ignore"):
        loss_sum += model.run_epoch(block.X, block.Y, block.w if weighted else None, order)
    return parameters, optimizer, loss_sum


def _mixing_epoch(block, seed, model, weighted):
    """The perceptron's rule over a block from the mixed weights (parameter mixing).

    Returns the mistakes, the block's weights times its rows (the mix's
    terms), and with averaging the sums of the weights over its visits.
    """
    n_rows = block.X.shape[0]
    local = model.restarted()
    order = None if seed is None else np.random.RandomState(seed).permutation(n_rows)
    mistakes = local.run_epoch(block.X, block.Y, block.w if weighted else None, order)
    sums = ((local.coef_sum.astype(np.float64), local.intercept_sum.astype(np.float64))
            if local.average else None)
    return (mistakes, local.coef.astype(np.float64) * n_rows,
            local.intercept.astype(np.float64) * n_rows, sums)


def _loss_parts(block, spec, state, weighted):
    """A block's weighted loss sum and total weight under the current weights."""
    n_rows = block.X.shape[0]
    weights = block.w if weighted else None
    total = float(n_rows if weights is None else np.sum(weights))
    model = spec.build(state, n_rows)
    with np.errstate(all="ignore"):
        return model.mean_loss(block.X, block.Y, weights) * total, total


class _DaskModel:
    """The model the loop trains, with its rows on a Dask cluster.

    It wraps the in-memory model the estimator built (a
    :class:`~sknn_basic._network.LayeredModel` or the perceptron's model) and
    follows the protocol :class:`sknn_basic._training.Model`: the parameters,
    the optimizer and the penalty are the wrapped model's, so the loop's
    copies, restores and schedules act on the same arrays as in memory.
    ``run_epoch`` and ``mean_loss`` take the block handles of :class:`_Rows`.
    The loop never draws a permutation of the rows (which would be as long as
    the data): the wrapper draws its block orders from the same random state.
    """

    uses_order = False

    def __init__(self, inner, n_samples, random_state, shuffle):
        self.inner = inner
        self.random_state = random_state
        self.shuffle = shuffle
        # A sequential rule (the perceptron's) cannot split an epoch into
        # sums: it trains by parameter mixing.
        self.mixing = getattr(inner, "sequential", False)
        if self.mixing:
            self.spec = _PerceptronSpec()
            self.full_batch = False
        else:
            self.spec = _NetworkSpec.of(inner, inner.parameters[0].dtype)
            self.full_batch = inner.batch_size >= n_samples

    # The protocol's members are the wrapped model's.
    parameters = property(lambda self: self.inner.parameters)
    optimizer = property(lambda self: self.inner.optimizer)
    weight_limit = property(lambda self: self.inner.weight_limit)
    converged = property(lambda self: self.inner.converged)

    def penalty(self):
        return self.inner.penalty()

    def __getattr__(self, name):
        # Anything else (the perceptron's weights(), a network's coefs) as well.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _state(self):
        return self.inner if self.mixing else list(self.inner.parameters)

    def _block_seeds(self, rows):
        """This epoch's block order and per-block shuffle seeds (None: as stored)."""
        n_blocks = len(rows.handles)
        if not self.shuffle:
            return list(range(n_blocks)), [None] * n_blocks
        order = self.random_state.permutation(n_blocks)
        seeds = self.random_state.randint(np.iinfo(np.int32).max, size=n_blocks)
        return [int(i) for i in order], [int(s) for s in seeds]

    def run_epoch(self, X, Y, sample_weight, order):
        rows = X
        if self.mixing:
            return self._mixing_epoch(rows)
        if self.full_batch:
            return self._full_batch_epoch(rows)
        return self._minibatch_epoch(rows)

    def _full_batch_epoch(self, rows):
        inner = self.inner
        parameters = rows.runner.broadcast(list(inner.parameters), len(rows.handles))
        loss_sum, grads = rows.reduce(_gradient_sums, spec=self.spec, parameters=parameters)
        total = rows.total_weight
        if total <= 0:
            return 0.0
        inner.step_from_sums(grads, total)
        return loss_sum

    def _minibatch_epoch(self, rows):
        inner = self.inner
        order, seeds = self._block_seeds(rows)
        state = (list(inner.parameters), inner.optimizer, 0.0)
        parameters, optimizer, loss_sum = rows.runner.chain(
            _minibatch_epoch, [rows.handles[i] for i in order], state,
            [seeds[i] for i in order], spec=self.spec, weighted=rows.weighted,
        )
        for mine, theirs in zip(inner.parameters, parameters):
            mine[...] = theirs
        # The same optimizer object (the estimator keeps it across warm
        # starts) takes over the state the last block left.
        vars(inner.optimizer).update(vars(optimizer))
        return loss_sum

    def _mixing_epoch(self, rows):
        inner = self.inner
        _, seeds = self._block_seeds(rows)
        model = rows.runner.broadcast(inner, len(rows.handles))
        mistakes, coef_mix, intercept_mix, sums = rows.reduce(_mixing_epoch, seeds, model=model)
        n = rows.n_samples
        inner.coef[...] = coef_mix / n
        inner.intercept[...] = intercept_mix / n
        if inner.average:
            inner.coef_sum += sums[0]
            inner.intercept_sum += sums[1]
        inner.visits += n
        inner.last[...] = inner.visits
        inner.converged = mistakes == 0
        return mistakes

    def mean_loss(self, X, Y, sample_weight):
        rows = X
        state = rows.runner.broadcast(self._state(), len(rows.handles))
        loss_sum, total = rows.reduce(_loss_parts, spec=self.spec, state=state)
        return loss_sum / total


# ------------------------------------------------------------ collections


def _check_columns(estimator, X, reset):
    """The feature names and count of X against the estimator's, as ``validate_data`` checks.

    A DataFrame's are read from its metadata (an empty pandas frame with its
    columns): scikit-learn does not read the columns of a lazy frame itself.
    """
    metadata = X if isinstance(X, da.Array) else getattr(X, "_meta", X)
    validate_data(estimator, metadata, reset=reset, skip_check_array=True)


def _zero_width(n_rows):
    """A stand-in with ``n_rows`` rows and no bytes, to get scikit-learn's own messages."""
    return np.empty((n_rows, 0))


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


def _shell(estimator):
    """A copy of the estimator for the workers: parameters and fitted weights only."""
    shell = copy.copy(estimator)
    # The callback may hold anything (a plot, a file); the workers never call it.
    shell.callback = None
    for name in _CLIENT_ONLY:
        shell.__dict__.pop(name, None)
    return shell


# --------------------------------------------------------------------- fit


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


def _combined_labels(summaries):
    """The distinct labels of all blocks and the count of each."""
    labels = np.unique(np.concatenate([s[1] for s in summaries]))
    counts = np.zeros(len(labels))
    for _, block_labels, block_counts, _ in summaries:
        np.add.at(counts, np.searchsorted(labels, block_labels), block_counts)
    return labels, counts


class DaskRows(Rows):
    """Rows in the blocks of a Dask collection: each step runs block-wise where they live.

    Every future a step creates is kept in ``handles`` and released by
    :meth:`close`, whatever happens.
    """

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
        self.estimator, self.runner, self.dtype = estimator, runner, dtype
        self.shape, self.y, self.given_weights = X.shape, y, sample_weight
        self.n_features = X.shape[1]
        self.classifier = hasattr(estimator, "_encode_targets")
        weight_blocks = _blocks(sample_weight) or [None] * X.numblocks[0]
        self.checked = runner.persist(
            delayed(_checked_block, pure=False)(xb, yb, wb, _shell(estimator), dtype)
            for xb, yb, wb in zip(_blocks(X), _blocks(y), weight_blocks)
        )
        self.handles = list(self.checked)

    def close(self):
        self.runner.release(self.handles)

    def targets(self, classes, first_call, incremental):
        estimator, runner = self.estimator, self.runner
        summaries = runner.gather(runner.map(_block_summary, self.checked,
                                             classifier=self.classifier))
        self.summaries = summaries
        self.n_samples = sum(s[0] for s in summaries)
        if self.n_samples == 0:
            # The in-memory message, from scikit-learn itself.
            check_array(_zero_width(0).reshape((0,) + self.shape[1:]), estimator=estimator)
        if self.classifier:
            self.labels, self.counts = _combined_labels(summaries)
            stand_in = self.labels
        else:
            stand_in = np.zeros((1,) + self.y.shape[1:], dtype=self.dtype)
        # The estimator's own target checks, on the distinct labels: the classes,
        # their messages (one class, unseen labels, warm start) and n_outputs.
        Y_probe, _ = estimator._targets(stand_in, classes, first_call, incremental)
        if not self.classifier:
            # The stand-in says nothing of the targets' scale, which the output
            # weights' divergence limit follows: take it from the blocks.
            estimator._target_scale = float(abs(self.y).max().compute())
        return Y_probe.shape[1]

    def weigh(self, incremental, at_least):
        estimator = self.estimator
        largest = 1.0
        if self.given_weights is not None:
            largest = max(s[3] for s in self.summaries if s[3] is not None)
            if not largest > 0:
                # The in-memory message for weights that are all zero.
                check_weights(np.zeros(1), "sample_weight", "sample")
        self.weight_scale = weight_scale(largest, at_least)
        class_weight = getattr(estimator, "class_weight", None)
        self.class_factors = None
        if self.classifier and class_weight is not None:
            # The counts of the classes_ (labels missing from the data count zero).
            counts = np.zeros(len(estimator.classes_))
            counts[np.searchsorted(estimator.classes_, self.labels)] = self.counts
            self.class_factors = class_factors(class_weight, estimator.classes_, counts,
                                               incremental)

    def split(self, random_state):
        estimator, runner, checked = self.estimator, self.runner, self.checked
        early_stopping = estimator.early_stopping
        splits = [None] * len(checked)
        if early_stopping:
            seeds = random_state.randint(np.iinfo(np.int32).max, size=len(checked))
            counts = held_out_counts([s[0] for s in self.summaries],
                                     estimator.validation_fraction, random_state)
            splits = [(count, int(seed)) for count, seed in zip(counts, seeds)]
        shell = runner.broadcast(_shell(estimator))
        prepared = runner.map(_prepared_block, checked, splits, shell=shell,
                              weight_scale=self.weight_scale,
                              class_factors=self.class_factors, dtype=self.dtype)
        self.handles += prepared
        if early_stopping:
            train = runner.map(_item, prepared, index=0)
            held_out = runner.map(_item, prepared, index=1)
            self.handles += train + held_out
        else:
            train, held_out = prepared, []
        stats = runner.gather(runner.map(_block_stats, train + held_out, weighted=True))
        given = (self.given_weights is not None or self.class_factors is not None
                 or self.weight_scale != 1)
        weighted = given and not all(s[2] for s in stats)
        if weighted and not any(s[3] for s in stats):
            raise_all_weights_zero()
        train_stats, held_out_stats = stats[:len(train)], stats[len(train):]
        self.train, self.train_sizes = train, [s[0] for s in train_stats]
        self.weighted = weighted
        self.total_weight = (sum(s[1] for s in train_stats) if weighted
                             else float(sum(self.train_sizes)))
        if not early_stopping:
            return None
        val_rows = _Rows(runner, held_out, [s[0] for s in held_out_stats], weighted)
        check_split_sizes(
            estimator.validation_fraction, sum(self.train_sizes), val_rows.n_samples,
            self.n_samples,
            weights=(self.total_weight, sum(s[1] for s in held_out_stats)) if weighted else None)
        return val_rows, None, None, None

    def replay(self, memory, random_state):
        self.train, self.train_sizes, self.weighted, self.total_weight, entering = _with_replay(
            memory, self.runner, self.train, self.train_sizes, self.weighted,
            self.total_weight, self.weight_scale, random_state, self.handles, self.dtype)
        return entering

    def training(self):
        training = self.training_rows = _Rows(self.runner, self.train, self.train_sizes,
                                              self.weighted)
        training.total_weight = self.total_weight
        return training, None, None, training.n_samples, training.total_weight

    def model(self, inner, random_state, shuffle):
        return _DaskModel(inner, self.training_rows.n_samples, random_state, shuffle)

    def validation_score(self, model):
        # The held-out blocks are scored where they live, not predicted in memory.
        return _HeldOutScore(self.estimator, model, self.classifier)


def _positive_rows(block, weighted):
    """A block's rows of positive weight (all its rows where unweighted)."""
    if not weighted or block.w is None:
        return np.arange(block.X.shape[0])
    return np.flatnonzero(block.w > 0)


def _rows_of(block, ordinals, weighted):
    """The rows of a prepared block at these places among its rows of positive weight."""
    rows = _positive_rows(block, weighted)[ordinals]
    return _Block(block.X[rows], block.Y[rows],
                  None if block.w is None or not weighted else block.w[rows])


def _positive_count(block, weighted):
    return len(_positive_rows(block, weighted))


def _with_replay(memory, runner, train, sizes, weighted, total_weight, divisor, random_state,
                 handles, dtype):
    """The training blocks of a ``partial_fit`` call with the memory's rows as one more block.

    The draws are ``ReplayMemory.plan``'s, as in memory; the chunk rows the
    memory will keep are gathered to the client (at most its capacity), and
    the replayed rows travel to the cluster as a block of their own.
    Returns the blocks, their sizes, whether weighted, the total weight and
    the arguments of the ``ReplayMemory.keep`` that follows training.
    """
    counts = (runner.gather(runner.map(_positive_count, train, weighted=weighted))
              if weighted else list(sizes))
    n_eligible = sum(counts)
    plan = memory.plan(n_eligible, random_state)
    # Read before the memory takes in the chunk's rows.
    n_old = len(plan.replayed)
    starts = np.cumsum([0] + counts[:-1])
    block_of = np.searchsorted(starts, plan.kept, side="right") - 1
    wanted = [i for i in range(len(train)) if np.any(block_of == i)]
    parts = runner.gather(runner.map(
        _rows_of, [train[i] for i in wanted],
        [plan.kept[block_of == i] - starts[i] for i in wanted], weighted=weighted,
    ))
    X_kept = Y_kept = units = None
    if parts:
        w_kept = stack_rows([p.w for p in parts]) if weighted else None
        X_kept, Y_kept = stack_rows([p.X for p in parts]), stack_rows([p.Y for p in parts])
        units = memory.units(w_kept, X_kept.shape[0], divisor)
    entering = (plan, X_kept, Y_kept, units, n_eligible)
    if not n_old:
        return train, sizes, weighted, total_weight, entering
    X_old, Y_old, w_old = memory.replayed_rows(plan, divisor, dtype)
    w_old = in_training_dtype(w_old, dtype)
    if w_old is None:
        total_weight += float(n_old)
    else:
        # The chunk's blocks without weights count one a row, as in memory.
        weighted = True
        total_weight += float(np.sum(w_old))
    replay = runner.persist([delayed(_Block, pure=False)(X_old, Y_old, w_old)])
    handles += replay
    return train + replay, sizes + [n_old], weighted, total_weight, entering


# ---------------------------------------------------------------- scoring


def _accuracy_parts(block, shell, weighted):
    """Weighted count of held-out rows predicted right, and their total weight."""
    correct = shell._predict_validated(block.X) == shell._score_targets(block.Y)
    if weighted:
        return float(np.dot(correct, block.w)), float(np.sum(block.w))
    return float(np.count_nonzero(correct)), float(correct.shape[0])


def _target_sums(block, weighted):
    """Total weight and weighted sum of each target (for the mean R^2 compares with)."""
    Y = block.Y.astype(np.float64)
    w = block.w if weighted else np.ones(Y.shape[0])
    return float(np.sum(w)), w @ Y


def _squares(block, shell, mean, weighted):
    """Weighted sums of squares about the mean and of the residuals, per target."""
    Y = block.Y.astype(np.float64)
    w = block.w if weighted else np.ones(Y.shape[0])
    residuals = Y - shell._decision_values(block.X)
    return w @ (Y - mean) ** 2, w @ residuals**2


def _r2(total_squares, residual_squares):
    """R^2 averaged over the targets, with scikit-learn's answers for constant targets."""
    # Nonzero, not positive: negative sample weights may make it negative.
    nonzero = total_squares != 0
    scores = np.where(
        nonzero,
        1 - residual_squares / np.where(nonzero, total_squares, 1),
        np.where(residual_squares == 0, 1.0, 0.0),
    )
    return float(np.mean(scores))


class _HeldOutScore:
    """The early-stopping score of the held-out blocks, computed where they live."""

    def __init__(self, estimator, model, classifier):
        self.estimator = estimator
        self.model = model
        self.classifier = classifier
        self.mean = None

    def __call__(self, rows, y_val, sample_weight_val):
        estimator = self.estimator
        # The perceptron publishes its weights from its model; networks train
        # the estimator's arrays in place.
        estimator._publish(self.model.inner)
        shell = rows.runner.broadcast(_shell(estimator))
        if self.classifier:
            right, total = rows.reduce(_accuracy_parts, shell=shell)
            return right / total
        if self.mean is None:
            total, sums = rows.reduce(_target_sums)
            self.mean = sums / total
        squares, residuals = rows.reduce(_squares, shell=shell, mean=self.mean)
        return _r2(squares, residuals)


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
