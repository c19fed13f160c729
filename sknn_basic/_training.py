"""The one training loop every estimator of the package runs.

An estimator hands :func:`train` a *model* that follows :class:`Model`: it
owns the trainable arrays, runs one pass over the data, and (for the
gradient-descent models) holds the step rule and the step size.  The loop
is the epoch loop and little else: it draws each epoch's shuffle, runs the
pass, enters the epoch in a :class:`TrainingRecord`, and undoes an epoch
that Ctrl-C interrupted half-way.  Everything that reacts to an epoch (the
divergence guard, the schedule, the stopping rules, the progress lines, the
user's callback, the advice at the end) is a watcher of
:mod:`sknn_basic._watchers` that the estimator composes.  The loop writes
nothing on the estimator: the estimator publishes the record.  It never
touches the rows itself, it only hands them to the model, which is what
lets the same loop train on rows in memory or in blocks on a cluster.
"""

import math
from dataclasses import dataclass, field, replace
from typing import Optional, Protocol

from sklearn.exceptions import ConvergenceWarning
import numpy as np

from ._warnings import warn
from ._watchers import Epoch, Run, copy_parameters, restore_parameters

__all__ = ["Model", "TrainingRecord", "interruption_warning", "train"]


class Model(Protocol):
    """What the loop uses of a model.

    Attributes
    ----------
    parameters : list of ndarray
        The trainable arrays, updated in place.  The loop copies them to
        restore a finite state or the best validation state.
    uses_order : bool
        Whether :meth:`run_epoch` depends on the order of the rows (a full
        batch does not, so it is never shuffled).
    converged : bool
        Set by :meth:`run_epoch` when no later epoch can change anything.
    optimizer : Optimizer or None
        The step rule (see :mod:`sknn_basic._optimizers`); None for a model
        without one (the perceptron's rule is its pass).
    step_size : StepSize or None
        The step size and its schedule (see :mod:`sknn_basic._schedules`),
        told each epoch's loss by the schedule's watcher.
    weight_limit : float or None
        A magnitude of any weight beyond which the run counts as diverged
        (exploding weights overflow the outputs long before they overflow
        themselves); None where weights legitimately scale with the inputs.
    """

    parameters: list
    uses_order: bool
    converged: bool
    optimizer: object
    step_size: object
    weight_limit: Optional[float]

    def run_epoch(self, X, Y, sample_weight, order):
        """One pass over the rows in ``order`` (None: as stored); returns the loss *sum*."""

    def mean_loss(self, X, Y, sample_weight):
        """The weighted mean loss of the current parameters (no penalty)."""

    def penalty(self):
        """The regularisation term added to the mean loss."""


@dataclass
class _StoppingState:
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    no_improvement_count: int = 0
    last_printed_loss: Optional[float] = None
    best_validation_parameters: Optional[list] = None


@dataclass
class TrainingRecord:
    """What a training run leaves: the estimator publishes it as fitted attributes.

    A ``fit`` starts a new record; ``partial_fit`` calls continue the one
    before, so that a stream of calls is one run.
    """

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: Optional[list] = None
    validation_loss_curve: Optional[list] = None
    stop_reason: str = "max_iter"
    state: _StoppingState = field(default_factory=_StoppingState)

    @property
    def best_loss(self):
        return self.state.best_loss

    @property
    def best_validation_score(self):
        return self.state.best_validation_score


def interruption_warning(n_completed, last, unit="epoch"):
    """The warning of a fit that Ctrl-C stopped after ``n_completed`` whole epochs (or iterations)."""
    warn(
        f"Training interrupted by user after {n_completed} completed "
        f"{unit}(s) of this call: the weights, n_iter_ and loss_curve_ are those at "
        f"the end of {unit} {last}.",
        ConvergenceWarning,
    )


class _Checkpoint:
    """The record and the step size at the start of an epoch, for a Ctrl-C within it.

    An epoch interrupted before its bookkeeping was complete is undone
    whole: its weights (restored by the loop), its entries in the record and
    the schedule's answer to it.
    """

    def __init__(self, record, step_size):
        self.record = record
        self.step_size = step_size
        self.n_iter, self.t = record.n_iter, record.t
        self.n_losses = len(record.loss_curve)
        self.n_scores = None if record.validation_scores is None else len(record.validation_scores)
        # Its fields are replaced, never changed in place: a shallow copy holds them.
        self.state = replace(record.state)
        self.step = None if step_size is None else step_size.snapshot()

    def roll_back(self):
        record = self.record
        record.n_iter, record.t = self.n_iter, self.t
        del record.loss_curve[self.n_losses:]
        if self.n_scores is not None:
            del record.validation_scores[self.n_scores:]
            del record.validation_loss_curve[self.n_scores:]
        record.state = self.state
        if self.step is not None:
            self.step_size.restore(self.step)


def train(
    model,
    X,
    Y,
    sample_weight,
    *,
    watchers,
    max_epochs,
    shuffle,
    incremental,
    random_state,
    n_samples,
    total_weight,
    record=None,
):
    """Run epochs of ``model`` on ``(X, Y)``; return the :class:`TrainingRecord`.

    Parameters
    ----------
    model : Model
        The model to train (updated in place).
    X, Y, sample_weight
        The training rows, targets and combined weights (None: all ones),
        handed to the model as they are: the loop never reads them.
    watchers : list of Watcher
        What reacts to each epoch, in the order they act (see
        :mod:`sknn_basic._watchers`).
    max_epochs : int
        The epochs of this call, unless a watcher stops it earlier.
    shuffle : bool
        Whether each epoch visits the rows in a new random order (where the
        model's pass depends on the order).
    incremental : bool
        A ``partial_fit`` call: one epoch of a stream.
    random_state : numpy.random.RandomState
        Source of the per-epoch shuffles, drawn after the initial weights.
    n_samples : int
        Number of training rows (to draw the shuffles).
    total_weight : float
        Sum of the training weights (the loss curve is the loss sum over it).
    record : TrainingRecord or None
        The record of the previous ``partial_fit`` call to continue; None
        starts a new one.

    Returns
    -------
    TrainingRecord
        With ``stop_reason`` "max_iter", a watcher's reason ("tol",
        "converged", "callback", "diverged"), or "interrupted" (a
        KeyboardInterrupt after at least one completed epoch; one before
        that propagates, with the parameters as they were at the call's
        start).
    """
    if record is None:
        record = TrainingRecord()
    run = Run(model, X, Y, sample_weight, record, incremental=incremental,
              first=record.n_iter, max_epochs=max_epochs)
    record.stop_reason = "max_iter"
    needs_order = shuffle and model.uses_order
    for watcher in watchers:
        watcher.begin(run)

    # Overflow to inf or NaN is the guard's to detect (and the epoch is
    # undone), so NumPy's own warnings would only repeat it.
    interruption = None
    with np.errstate(all="ignore"):
        for _ in range(max_epochs):
            saved = copy_parameters(model.parameters)
            checkpoint = _Checkpoint(record, model.step_size)
            # Set once the epoch is in the record: a Ctrl-C after that (in
            # verbose output, in the callback) keeps the epoch.
            committed = False
            try:
                order = random_state.permutation(n_samples) if needs_order else None
                try:
                    loss = model.run_epoch(X, Y, sample_weight, order) / total_weight
                except BaseException:
                    # An epoch that raised (an overflow the kernel reports, a
                    # Ctrl-C) leaves the weights as they were before it.
                    restore_parameters(model.parameters, saved)
                    if model.optimizer is not None:
                        model.optimizer.reset()
                    raise
                # Let the next epoch's permutation replace this one, not join it.
                order = None
                epoch = Epoch(record.n_iter, loss + model.penalty(), saved)
                reason = _first_reason(watcher.update(run, epoch) for watcher in watchers)
                if reason is None:
                    record.n_iter += 1
                    record.t += n_samples
                    record.loss_curve.append(epoch.loss)
                    committed = True
                    reason = _first_reason(watcher.decide(run, epoch) for watcher in watchers)
            except KeyboardInterrupt as exc:
                # Ctrl-C, as MLPClassifier answers it: training stops at the
                # end of the last completed epoch.
                if not committed:
                    restore_parameters(model.parameters, saved)
                    if model.optimizer is not None:
                        # Its velocities or moments hold part of the undone epoch.
                        model.optimizer.reset()
                    checkpoint.roll_back()
                interruption = exc
                break
            if reason is not None:
                record.stop_reason = reason
                break

    if interruption is not None:
        if record.n_iter == run.first:
            # Not one epoch of this call completed: the call did nothing, and
            # the estimator puts back what it had (see sknn_basic._fit).
            raise interruption
        record.stop_reason = "interrupted"
        interruption_warning(record.n_iter - run.first, record.n_iter - 1)
    for watcher in watchers:
        watcher.finish(run)
    return record


def _first_reason(reasons):
    """The first stop reason a watcher gave (the later watchers are not asked)."""
    for reason in reasons:
        if reason is not None:
            return reason
    return None


# ------------------------------------------------------------ plain state
# A fitted estimator pickles its record as a plain dict (see
# BaseTrained.__getstate__), so that skops trusts what it loads.


def record_to_state(record):
    """``record`` as a dict of numbers, strings, lists and arrays."""
    return {**vars(record), "state": dict(vars(record.state))}


def record_from_state(state):
    """The :class:`TrainingRecord` that :func:`record_to_state` described."""
    fields = dict(state)
    return TrainingRecord(**{**fields, "state": _StoppingState(**fields["state"])})
