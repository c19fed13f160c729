"""Rows in blocks, wherever the blocks live: the block-wise steps of a fit.

An engine whose rows are blocks on workers (Dask today) gives this module a
*runner* and one handle per block; everything else is here, written once:

* validating a block as ``validate_data`` validates an array
  (:func:`_checked_block`), its labels, counts and largest weight
  (:func:`_block_summary`), its targets encoded and rows weighed with the
  arithmetic of :mod:`sknn_basic._weights` (:func:`_prepared_block`), its
  share of the held-out rows (:mod:`sknn_basic._split`);
* :class:`BlockRows`, the :class:`~sknn_basic._engines.rows.Rows` of such
  an engine, and the replay memory's rows joined as one more block;
* :class:`_BlockModel`, the model the training loop drives: a full-batch
  epoch adds the blocks' gradient sums (the runner's reduction) and steps on
  the client (an L-BFGS evaluation is the same pass,
  :meth:`_BlockModel.gradient_sums`); a mini-batch epoch travels from block
  to block with the weights and the optimizer's state; a sequential rule
  (the perceptron's) trains by parameter mixing;
* the held-out score, summed block by block.

A runner has ``map(func, handles, *per_block, **kwargs)`` (one task per
block), ``gather(handles)``, ``reduce(func, handles, *per_block,
result_bytes=0, **kwargs)`` (the sum of ``func``'s results over the blocks,
added in the blocks' order; ``result_bytes`` is the size of one result, which
decides where they are added; the runner sends ``kwargs``, the same for every
block, inside its tasks or once, as their size and its tasks say),
``broadcast(value, copies=None)``,
``chain(func, handles, state, per_block, **kwargs)`` (a state handed from
block to block), ``persist_call(func, *args)`` (one new block, as a list of
one handle) and ``release(handles)``.
"""

import copy
import functools
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import _check_sample_weight, check_array, check_X_y

from .._inputs import native
from .._network import LayeredModel
from .._replay import stack_rows
from .._split import check_split_sizes, held_out_counts, split_for_validation
from .._weights import (
    check_weights,
    class_factors,
    in_training_dtype,
    raise_all_weights_zero,
    row_weights,
    weight_scale,
)
from .rows import Rows

__all__ = ["BlockRows"]

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



def _nbytes(value):
    """Bytes of the arrays of a value: arrays, lists of them, a model's parameters, an estimator's.

    An estimator's (or any object's) are the arrays among its attributes,
    and in lists of them, which are most of what is pickled of a fitted
    shell; anything else counts nothing.
    """
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(item.nbytes for item in value if isinstance(item, np.ndarray))
    if hasattr(value, "parameters"):
        return _nbytes(value.parameters)
    return sum(_nbytes(item) for item in getattr(value, "__dict__", {}).values()
               if isinstance(item, (np.ndarray, list, tuple)))


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



class _Rows:
    """Training (or held-out) rows as the loop sees them: block handles it never reads."""

    def __init__(self, runner, handles, sizes, weighted):
        kept = [(h, n) for h, n in zip(handles, sizes) if n > 0]
        self.runner = runner
        self.handles = [h for h, _ in kept]
        self.sizes = [n for _, n in kept]
        self.weighted = weighted
        self.n_samples = sum(self.sizes)
        # The held-out rows' score (a _HeldOutScore), which their loss's
        # pass computes too.
        self.held_out_score = None

    def map(self, func, *per_block, **kwargs):
        return self.runner.map(func, self.handles, *per_block, weighted=self.weighted, **kwargs)

    def reduce(self, func, *per_block, **kwargs):
        return self.runner.reduce(func, self.handles, *per_block, weighted=self.weighted,
                                  **kwargs)


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


class _BlockModel:
    """The model the loop trains, with its rows in blocks on a runner's workers.

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

    def gradient_sums(self, X, Y, sample_weight):
        """The loss sum and gradient sums over every block, at the current parameters.

        One pass: the parameters travel to the blocks, each block computes
        its :meth:`~sknn_basic._network.LayeredModel.gradient_sums`, and the
        runner adds them up in the blocks' order.  ``X`` is
        the :class:`_Rows` (as for :meth:`run_epoch`).  A full-batch epoch
        steps from these sums; an L-BFGS fit evaluates its objective from
        them (:func:`sknn_basic._lbfgs.model_sums` calls this as it calls
        an in-memory model's).
        """
        rows = X
        parameters = list(self.inner.parameters)
        # Each block's gradient sums are as large as the parameters.
        return rows.reduce(_gradient_sums, spec=self.spec, result_bytes=_nbytes(parameters),
                           parameters=parameters)

    def _full_batch_epoch(self, rows):
        loss_sum, grads = self.gradient_sums(rows, None, None)
        total = rows.total_weight
        if total <= 0:
            return 0.0
        self.inner.step_from_sums(grads, total)
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
        # Each block returns the weights (and their sums) in float64.
        mistakes, coef_mix, intercept_mix, sums = rows.reduce(
            _mixing_epoch, seeds, model=inner, result_bytes=2 * _nbytes(inner))
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
        state = self._state()
        if rows.held_out_score is not None:
            return rows.held_out_score.mean_loss(rows, self.spec, state)
        loss_sum, total = rows.reduce(_loss_parts, spec=self.spec, state=state)
        return loss_sum / total



def _zero_width(n_rows):
    """A stand-in with ``n_rows`` rows and no bytes, to get scikit-learn's own messages."""
    return np.empty((n_rows, 0))



def _shell(estimator):
    """A copy of the estimator for the workers: parameters and fitted weights only."""
    shell = copy.copy(estimator)
    # The callback may hold anything (a plot, a file); the workers never call it.
    shell.callback = None
    for name in _CLIENT_ONLY:
        shell.__dict__.pop(name, None)
    return shell



def _combined_labels(summaries):
    """The distinct labels of all blocks and the count of each."""
    labels = np.unique(np.concatenate([s[1] for s in summaries]))
    counts = np.zeros(len(labels))
    for _, block_labels, block_counts, _ in summaries:
        np.add.at(counts, np.searchsorted(labels, block_labels), block_counts)
    return labels, counts


class BlockRows(Rows):
    """Rows in blocks on a runner: each step runs block-wise where the blocks live.

    An engine's subclass turns its collections into ``checked`` (one handle
    per block, validated by :func:`_checked_block` where it lives) and
    answers :meth:`largest_target`.  Every handle a step creates is kept in
    ``handles`` and released by :meth:`close`, whatever happens.
    """

    def __init__(self, estimator, runner, checked, shape, y_tail, given_weights, dtype):
        self.estimator, self.runner, self.dtype = estimator, runner, dtype
        self.shape, self.y_tail, self.given_weights = shape, y_tail, given_weights
        self.n_features = shape[1]
        self.classifier = hasattr(estimator, "_encode_targets")
        self.checked = checked
        self.handles = list(checked)

    def largest_target(self):
        """The largest magnitude of a regressor's targets, read where they live."""
        raise NotImplementedError

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
            stand_in = np.zeros((1,) + self.y_tail, dtype=self.dtype)
        # The estimator's own target checks, on the distinct labels: the classes,
        # their messages (one class, unseen labels, warm start) and n_outputs.
        Y_probe, _ = estimator._targets(stand_in, classes, first_call, incremental)
        if not self.classifier:
            # The stand-in says nothing of the targets' scale, which the output
            # weights' divergence limit follows: take it from the blocks.
            estimator._target_scale = self.largest_target()
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
        early_stopping = estimator._holds_out()
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
        val_rows = self.val_rows = _Rows(runner, held_out, [s[0] for s in held_out_stats],
                                         weighted)
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

    def constant_loss(self):
        rows = self.training_rows
        total, sums = rows.reduce(_target_sums)
        shell = _shell(self.estimator)
        return rows.reduce(_constant_loss_sum, shell=shell, means=sums / total) / total

    def largest_feature(self):
        return float(max(self.runner.gather(self.training_rows.map(_largest_feature)),
                         default=0.0))

    def model(self, inner, random_state, shuffle):
        return _BlockModel(inner, self.training_rows.n_samples, random_state, shuffle)

    def validation_score(self, model):
        # The held-out blocks are scored where they live, not predicted in memory.
        score = self.val_rows.held_out_score = _HeldOutScore(self.estimator, model,
                                                             self.classifier)
        return score


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
    replay = runner.persist_call(_Block, X_old, Y_old, w_old)
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


def _constant_loss_sum(block, shell, means, weighted):
    """The block's loss sum of predicting the weighted mean targets ``means``."""
    return float(shell._constant_loss_sum(block.Y, block.w if weighted else None, means))


def _largest_feature(block, weighted):
    values = block.X.data if issparse(block.X) else block.X
    return float(np.max(np.abs(values), initial=0.0))


def _squares(block, shell, mean, weighted):
    """Weighted sums of squares about the mean and of the residuals, per target."""
    Y = block.Y.astype(np.float64)
    w = block.w if weighted else np.ones(Y.shape[0])
    residuals = Y - shell._decision_values(block.X)
    return w @ (Y - mean) ** 2, w @ residuals**2


def _score_parts(block, shell, classifier, mean, weighted):
    """A held-out block's share of the score: right predictions, or sums of squares."""
    if classifier:
        return _accuracy_parts(block, shell, weighted)
    return _squares(block, shell, mean, weighted)


def _held_out_parts(block, spec, state, shell, classifier, mean, weighted):
    """A held-out block's loss parts and share of the score, at the same weights."""
    return (_loss_parts(block, spec, state, weighted),
            _score_parts(block, shell, classifier, mean, weighted))


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
    """The early-stopping score of the held-out blocks, computed where they live.

    Each epoch the loop asks the held-out loss, then the score, of the same
    weights: the loss's pass computes both (:meth:`mean_loss`), so that an
    epoch pays one round trip to the workers for them, not two.
    """

    def __init__(self, estimator, model, classifier):
        self.estimator = estimator
        self.model = model
        self.classifier = classifier
        self.mean = None
        # The weights the last loss's pass saw, and their score.
        self.kept = None

    def _parts(self, rows, func, **kwargs):
        estimator = self.estimator
        # The perceptron publishes its weights from its model; networks train
        # the estimator's arrays in place.
        estimator._publish(self.model.inner)
        shell = _shell(estimator)
        if not self.classifier and self.mean is None:
            total, sums = rows.reduce(_target_sums)
            self.mean = sums / total
        return rows.reduce(func, shell=shell, classifier=self.classifier, mean=self.mean,
                           **kwargs)

    def _score(self, parts):
        if self.classifier:
            right, total = parts
            return right / total
        return _r2(*parts)

    def mean_loss(self, rows, spec, state):
        """The held-out mean loss at the model's weights; their score is kept for the call."""
        (loss_sum, total), parts = self._parts(rows, _held_out_parts, spec=spec, state=state)
        self.kept = ([np.array(p) for p in self.model.parameters], self._score(parts))
        return loss_sum / total

    def __call__(self, rows, y_val, sample_weight_val):
        kept, self.kept = self.kept, None
        if kept is not None and all(
                np.array_equal(then, now) for then, now in zip(kept[0], self.model.parameters)):
            return kept[1]
        return self._score(self._parts(rows, _score_parts))
