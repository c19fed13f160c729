"""The one training loop every estimator of the package runs.

An estimator hands :func:`train` a *model* that follows :class:`Model`: it
owns the trainable arrays, runs one pass over the data, and (for the
gradient-descent models) holds the optimizer that owns the step size.  The
loop owns everything around that pass: the epoch count, the per-epoch
shuffling, the loss and validation curves, the stopping rules, the verbose
lines, the per-epoch hook and the guard against a divergent run.  It writes
nothing on the estimator: it fills a :class:`TrainingRecord`, which the
estimator stores in one place.  Keeping this in one place is what makes the
estimators behave alike, wherever their rows live: the loop never touches the
rows itself, it only hands them to the model.
"""

import math
from dataclasses import dataclass, field, replace
from typing import Optional, Protocol

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._warnings import warn

__all__ = ["Model", "TrainingSettings", "TrainingRecord", "interruption_warning", "train"]

#: A loss this many times the best one met is an overshoot, not noise.
OVERSHOOT = 1.1


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
        The step rule (see :mod:`sknn_basic._optimizers`), told each epoch's
        loss so that its schedule can react; None for a rule without one.
    weight_limit : float or None
        A magnitude of any weight beyond which the run counts as diverged
        (exploding weights overflow the outputs long before they overflow
        themselves); None where weights legitimately scale with the inputs.
    """

    parameters: list
    uses_order: bool
    converged: bool
    optimizer: object
    weight_limit: Optional[float]

    def run_epoch(self, X, Y, sample_weight, order):
        """One pass over the rows in ``order`` (None: as stored); returns the loss *sum*."""

    def mean_loss(self, X, Y, sample_weight):
        """The weighted mean loss of the current parameters (no penalty)."""

    def penalty(self):
        """The regularisation term added to the mean loss."""


@dataclass
class TrainingSettings:
    """The estimator's parameters the loop obeys."""

    max_epochs: int
    tol: Optional[float]
    n_iter_no_change: int
    shuffle: bool
    verbose: int
    incremental: bool
    #: What to do about a diverged run, where the estimator knows the cause
    #: better than the loop (targets on a large scale); None: the general advice.
    divergence_advice: Optional[str] = None


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


def _all_finite(arrays):
    # A sum is finite only if every term is: one reduction per array instead
    # of a boolean array as large as the parameters.
    for a in arrays:
        if not math.isfinite(np.add.reduce(a, axis=None)):
            return False
    return True


def _bounded(arrays, limit):
    # One product per array: NaN and infinity fail the comparison, and a sum
    # of squares within limit**2 keeps every weight within limit.
    bound = limit * limit
    return all(float(np.vdot(a, a)) <= bound for a in arrays)


def _copy(parameters):
    return [p.copy() for p in parameters]


def _restore(parameters, saved):
    for p, s in zip(parameters, saved):
        p[...] = s


def _print_epoch(settings, state, epoch, loss, validation_score, shown):
    """The lessons' progress lines: the loss, flagged when it rose since the last line."""
    if settings.verbose >= 2 or shown is None or epoch in shown:
        line = f"Epoch {epoch:>5d}: train loss {loss:.8f}"
        if validation_score is not None:
            line += f", validation score {validation_score:.6f}"
        if state.last_printed_loss is not None and loss > state.last_printed_loss:
            line += "  WARNING - loss increasing"
        print(line, flush=True)
        state.last_printed_loss = loss


class _Guard:
    """The divergence guard: the states to fall back on when a run blows up.

    A diverged epoch is undone.  What is kept is the best state met whose
    outputs were finite: the parameters at the start of the epoch with the
    lowest loss (for a full batch, the very parameters that loss was
    measured on), checked once more on the data, or else the parameters the
    call started from.
    """

    def __init__(self, model):
        self.model = model
        self.initial = _copy(model.parameters)
        self.best = None

    def healthy(self, loss=0.0):
        model = self.model
        if not math.isfinite(loss):
            return False
        if model.weight_limit is None:
            return _all_finite(model.parameters)
        return _bounded(model.parameters, model.weight_limit)

    def recover(self, X, Y, sample_weight):
        model = self.model
        # Velocities or moments built from the diverging gradients would
        # throw the next fit (a warm start, a partial_fit) off at once.
        if model.optimizer is not None:
            model.optimizer.reset()
        for candidate in (self.best, self.initial):
            if candidate is None:
                continue
            _restore(model.parameters, candidate)
            if math.isfinite(model.mean_loss(X, Y, sample_weight)):
                return
        _restore(model.parameters, self.initial)


#: The advice of a diverged run whose cause the estimator could not name.
DIVERGENCE_ADVICE = (
    "Lower learning_rate (for example by a factor of 10), standardise the features, "
    "or add an L2 penalty with alpha."
)


def interruption_warning(n_completed, last, unit="epoch"):
    """The warning of a fit that Ctrl-C stopped after ``n_completed`` whole epochs (or iterations)."""
    warn(
        f"Training interrupted by user after {n_completed} completed "
        f"{unit}(s) of this call: the weights, n_iter_ and loss_curve_ are those at "
        f"the end of {unit} {last}.",
        ConvergenceWarning,
    )


def _divergence_warning(epoch, cause, advice=None):
    warn(
        f"Training diverged at epoch {epoch}: {cause}. The best finite weights met "
        f"were kept and training stopped. {advice or DIVERGENCE_ADVICE}",
        ConvergenceWarning,
    )


class _Checkpoint:
    """The record and the step size at the start of an epoch, for a Ctrl-C within it.

    An epoch interrupted before its bookkeeping was complete is undone
    whole: its weights (restored by the loop), its entries in the record and
    the schedule's answer to it.
    """

    def __init__(self, record, optimizer):
        self.record = record
        self.optimizer = optimizer
        self.n_iter, self.t = record.n_iter, record.t
        self.n_losses = len(record.loss_curve)
        self.n_scores = None if record.validation_scores is None else len(record.validation_scores)
        # Its fields are replaced, never changed in place: a shallow copy holds them.
        self.state = replace(record.state)
        self.step = None
        if optimizer is not None:
            self.step = (optimizer.learning_rate, optimizer._restarted,
                         list(optimizer._chunk_losses))

    def roll_back(self):
        record = self.record
        record.n_iter, record.t = self.n_iter, self.t
        del record.loss_curve[self.n_losses:]
        if self.n_scores is not None:
            del record.validation_scores[self.n_scores:]
            del record.validation_loss_curve[self.n_scores:]
        record.state = self.state
        if self.step is not None:
            learning_rate, restarted, losses = self.step
            self.optimizer.learning_rate = learning_rate
            self.optimizer._restarted = restarted
            self.optimizer._chunk_losses = losses


def train(
    model,
    X,
    Y,
    sample_weight,
    *,
    settings,
    random_state,
    n_samples,
    total_weight,
    record=None,
    validation=None,
    score_validation=None,
    on_epoch=None,
):
    """Run epochs of ``model`` on ``(X, Y)``; return the :class:`TrainingRecord`.

    Parameters
    ----------
    model : Model
        The model to train (updated in place).
    X, Y, sample_weight
        The training rows, targets and combined weights (None: all ones),
        handed to the model as they are: the loop never reads them.
    settings : TrainingSettings
        The stopping rules, shuffling and verbosity.
    random_state : numpy.random.RandomState
        Source of the per-epoch shuffles, drawn after the initial weights.
    n_samples : int
        Number of training rows (to draw the shuffles).
    total_weight : float
        Sum of the training weights (the loss curve is the loss sum over it).
    record : TrainingRecord or None
        The record of the previous ``partial_fit`` call to continue; None
        starts a new one.
    validation : tuple (X_val, Y_val, sample_weight_val, y_val) or None
        Held-out data for early stopping.
    score_validation : callable or None
        ``score_validation(X_val, y_val, sample_weight_val)`` returns the
        validation score (higher is better).
    on_epoch : callable or None
        ``on_epoch(record, info)`` after each epoch, with ``info`` a dict of
        ``epoch``, ``loss``, ``validation_loss`` and ``validation_score``;
        returning True stops training.

    Returns
    -------
    TrainingRecord
        With ``stop_reason`` one of "max_iter", "tol", "converged",
        "callback", "diverged" or "interrupted" (a KeyboardInterrupt after at
        least one completed epoch; one before that propagates, with the
        parameters as they were at the call's start).
    """
    if record is None:
        record = TrainingRecord()
    state = record.state
    early_stopping = validation is not None
    if early_stopping and record.validation_scores is None:
        record.validation_scores = []
        record.validation_loss_curve = []
    tol = -math.inf if settings.tol is None else settings.tol
    # Ten evenly spaced epochs of this call (0, 100, ..., 900 of 1000, as the
    # lessons printed); every epoch of a partial_fit call.
    first = record.n_iter
    shown = (
        None if settings.incremental
        else {first + round(i * settings.max_epochs / 10) for i in range(10)}
    )
    needs_order = settings.shuffle and model.uses_order
    optimizer = model.optimizer
    guard = _Guard(model)
    record.stop_reason = "max_iter"

    # Overflow to inf or NaN is detected after each epoch (and the epoch is
    # undone), so NumPy's own warnings would only repeat it; the user's
    # callback still runs under the user's settings.
    user_errstate = np.geterr()
    interruption = None
    with np.errstate(all="ignore"):
        for _ in range(settings.max_epochs):
            epoch = record.n_iter
            saved = _copy(model.parameters)
            checkpoint = _Checkpoint(record, optimizer)
            # Set once the epoch's every entry is in the record: a Ctrl-C
            # after that (in verbose output, in the callback) keeps the epoch.
            committed = False
            try:
                order = random_state.permutation(n_samples) if needs_order else None
                try:
                    loss = model.run_epoch(X, Y, sample_weight, order) / total_weight
                except BaseException:
                    # An epoch that raised (an overflow the kernel reports, a
                    # Ctrl-C) leaves the weights as they were before it.
                    _restore(model.parameters, saved)
                    if optimizer is not None:
                        optimizer.reset()
                    raise
                # Let the next epoch's permutation replace this one, not join it.
                order = None
                loss += model.penalty()
                if not guard.healthy(loss):
                    cause = (
                        f"the weights grew beyond {model.weight_limit:.3g}"
                        if math.isfinite(loss) and _all_finite(model.parameters)
                        else "the loss or the weights became infinite or NaN"
                    )
                    _restore(model.parameters, saved)
                    guard.recover(X, Y, sample_weight)
                    _divergence_warning(epoch, cause, settings.divergence_advice)
                    record.stop_reason = "diverged"
                    break
                if loss < state.best_loss:
                    guard.best = saved
                previous_loss = record.loss_curve[-1] if record.loss_curve else math.inf
                record.n_iter += 1
                record.t += n_samples
                record.loss_curve.append(loss)
                if optimizer is None:
                    answered = False
                elif settings.incremental:
                    answered = optimizer.end_chunk(loss)
                else:
                    answered = optimizer.end_epoch(loss, previous_loss)
                if answered:
                    if loss > OVERSHOOT * state.best_loss:
                        # Far above the best: the losses met with the larger step
                        # no longer compare, so the stopping rule starts afresh.
                        # Small rises (mini-batch noise) leave it alone, or it
                        # would never stop.
                        state.best_loss = loss
                        state.no_improvement_count = 0

                validation_loss = validation_score = None
                if early_stopping:
                    X_val, Y_val, sw_val, y_val = validation
                    validation_loss = model.mean_loss(X_val, Y_val, sw_val) + model.penalty()
                    validation_score = score_validation(X_val, y_val, sw_val)
                    record.validation_loss_curve.append(validation_loss)
                    record.validation_scores.append(validation_score)
                    if validation_score > state.best_validation_score:
                        state.best_validation_parameters = _copy(model.parameters)
                    improved = validation_score >= state.best_validation_score + tol
                    state.best_validation_score = max(state.best_validation_score,
                                                      validation_score)
                else:
                    improved = loss <= state.best_loss - tol
                state.best_loss = min(state.best_loss, loss)
                state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
                committed = True

                if settings.verbose:
                    _print_epoch(settings, state, epoch, loss, validation_score, shown)

                if on_epoch is not None:
                    info = {
                        "epoch": epoch,
                        "loss": loss,
                        "validation_loss": validation_loss,
                        "validation_score": validation_score,
                    }
                    with np.errstate(**user_errstate):
                        stop = on_epoch(record, info)
                    if not guard.healthy():
                        # The hook changed the weights into something unusable.
                        guard.recover(X, Y, sample_weight)
                        _divergence_warning(epoch, "the callback left infinite or NaN weights")
                        record.stop_reason = "diverged"
                        break
                    if stop:
                        record.stop_reason = "callback"
                        break
            except KeyboardInterrupt as exc:
                # Ctrl-C, as MLPClassifier answers it: training stops at the
                # end of the last completed epoch.
                if not committed:
                    _restore(model.parameters, saved)
                    if optimizer is not None:
                        # Its velocities or moments hold part of the undone epoch.
                        optimizer.reset()
                    checkpoint.roll_back()
                    state = record.state
                interruption = exc
                break
            if model.converged:
                record.stop_reason = "converged"
                break
            if (
                not settings.incremental
                and state.no_improvement_count >= settings.n_iter_no_change
            ):
                record.stop_reason = "tol"
                break

    if interruption is not None:
        if record.n_iter == first:
            # Not one epoch of this call completed: the call did nothing, and
            # the estimator puts back what it had (see BaseTrained).
            raise interruption
        record.stop_reason = "interrupted"
        interruption_warning(record.n_iter - first, record.n_iter - 1)
    if early_stopping and not settings.incremental and state.best_validation_parameters is not None:
        _restore(model.parameters, state.best_validation_parameters)
    if settings.verbose and record.stop_reason != "max_iter":
        print(f"Stopped after {record.n_iter} epochs ({record.stop_reason}).", flush=True)
    return record


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
