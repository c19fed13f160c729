"""What reacts to an epoch: the watchers an estimator composes for the training loop.

The loop of :mod:`sknn_basic._training` runs epochs and enters them in the
record; everything that reacts to an epoch is a :class:`Watcher`: the
divergence guard, the schedule of the step size, the stopping rules, the
progress lines, the user's callback, and the advice at the end of a run.
An estimator picks its list (``BaseTrained._watchers``), in the order they
are to act; the loop asks each in turn, at three moments:

- :meth:`Watcher.update`, after the epoch's pass and before it is entered in
  the record: the guard may refuse it ("diverged"), the schedule and the
  stopping rules keep their books.  An interrupt before the end of this
  phase undoes the epoch whole.
- :meth:`Watcher.decide`, once the epoch is in the record: print it, call
  back, stop ("callback", "converged", "tol").
- :meth:`Watcher.finish`, after the call's last epoch: put back the best
  validation weights, print the reason for stopping, advise.

The first stop reason met ends the phase and the run.  The watchers run
wherever the rows are: on Dask the loop and its watchers are the same
objects, only the model's pass travels.
"""

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._schedules import RISE
from ._warnings import warn

__all__ = [
    "Watcher", "Run", "Epoch", "DivergenceGuard", "Schedule", "LossPlateau",
    "EarlyStopping", "ProgressLog", "Callback", "Convergence", "WorseThanConstant",
    "RunAdvice", "OVERSHOOT", "LARGE_SCALE", "DIVERGENCE_ADVICE", "copy_parameters",
    "restore_parameters",
]

#: A loss this many times the best one met is an overshoot, not noise.
OVERSHOOT = 1.1

#: The advice of a diverged run whose cause the estimator could not name.
DIVERGENCE_ADVICE = (
    "Lower learning_rate (for example by a factor of 10), standardise the features, "
    "or add an L2 penalty with alpha."
)

#: Features or targets whose largest magnitude exceeds this are not on the
#: unit scale that a learning rate is chosen for (standardised data rarely
#: leave [-5, 5]).
LARGE_SCALE = 10.0


def copy_parameters(parameters):
    return [p.copy() for p in parameters]


def restore_parameters(parameters, saved):
    for p, s in zip(parameters, saved):
        p[...] = s


@dataclass
class Run:
    """One call's training run, as the watchers see it."""

    model: object
    X: object
    Y: object
    sample_weight: object
    record: object
    #: A ``partial_fit`` call (one epoch of a stream) rather than a fit.
    incremental: bool
    #: The record's epoch count when the call began.
    first: int
    max_epochs: int
    #: Set by an advice that warned, so that the later ones stay quiet.
    advised: bool = False


@dataclass
class Epoch:
    """One epoch, as the watchers see it."""

    number: int
    loss: float
    #: The parameters at the epoch's start.
    saved: list
    validation_loss: Optional[float] = None
    validation_score: Optional[float] = None


class Watcher:
    """Something the loop tells about each epoch; every hook does nothing by default."""

    def begin(self, run):
        """Before the call's first epoch."""

    def update(self, run, epoch):
        """Before the epoch enters the record; return a stop reason or None."""

    def decide(self, run, epoch):
        """After the epoch entered the record; return a stop reason or None."""

    def finish(self, run):
        """After the call's last epoch (not when the call raises)."""


# ------------------------------------------------------------ the guard


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


class DivergenceGuard(Watcher):
    """Refuses an epoch that blew up, and falls back on the best finite state.

    A diverged epoch is undone.  What is kept is the best state met whose
    outputs were finite: the parameters at the start of the epoch with the
    lowest loss (for a full batch, the very parameters that loss was
    measured on), checked once more on the data, or else the parameters the
    call started from.

    Parameters
    ----------
    advice : str or None
        What to do about a diverged run, where the estimator knows the cause
        better (targets on a large scale); None: the general advice.
    """

    def __init__(self, advice=None):
        self.advice = advice

    def begin(self, run):
        self.initial = copy_parameters(run.model.parameters)
        self.best = None

    def healthy(self, model, loss=0.0):
        if not math.isfinite(loss):
            return False
        if model.weight_limit is None:
            return _all_finite(model.parameters)
        return _bounded(model.parameters, model.weight_limit)

    def update(self, run, epoch):
        model = run.model
        if not self.healthy(model, epoch.loss):
            cause = (
                f"the weights grew beyond {model.weight_limit:.3g}"
                if math.isfinite(epoch.loss) and _all_finite(model.parameters)
                else "the loss or the weights became infinite or NaN"
            )
            restore_parameters(model.parameters, epoch.saved)
            return self.stop(run, epoch.number, cause)
        if epoch.loss < run.record.state.best_loss:
            self.best = epoch.saved
        return None

    def stop(self, run, epoch_number, cause):
        """Put back the best finite state, say why, and stop the run."""
        self.recover(run)
        warn(
            f"Training diverged at epoch {epoch_number}: {cause}. The best finite weights "
            f"met were kept and training stopped. {self.advice or DIVERGENCE_ADVICE}",
            ConvergenceWarning,
        )
        return "diverged"

    def recover(self, run):
        model = run.model
        # Velocities or moments built from the diverging gradients would
        # throw the next fit (a warm start, a partial_fit) off at once.
        if model.optimizer is not None:
            model.optimizer.reset()
        for candidate in (self.best, self.initial):
            if candidate is None:
                continue
            restore_parameters(model.parameters, candidate)
            if math.isfinite(model.mean_loss(run.X, run.Y, run.sample_weight)):
                return
        restore_parameters(model.parameters, self.initial)


# ------------------------------------------------------------ the step size


class Schedule(Watcher):
    """Tells the step size each epoch's loss, so that its schedule can answer."""

    def update(self, run, epoch):
        model, record = run.model, run.record
        step_size = model.step_size
        if step_size is None:
            return None
        # The rule's memory of past steps, for the schedule to drop first;
        # without a rule, the schedule's own default (nothing to forget).
        forget = () if model.optimizer is None else (model.optimizer.forget,)
        if run.incremental:
            answered = step_size.end_chunk(epoch.loss, *forget)
        else:
            previous = record.loss_curve[-1] if record.loss_curve else math.inf
            answered = step_size.end_epoch(epoch.loss, previous, *forget)
        state = record.state
        if answered and epoch.loss > OVERSHOOT * state.best_loss:
            # Far above the best: the losses met with the larger step no
            # longer compare, so the stopping rule starts afresh.  Small
            # rises (mini-batch noise) leave it alone, or it would never stop.
            state.best_loss = epoch.loss
            state.no_improvement_count = 0
        return None


# ------------------------------------------------------------ stopping


class LossPlateau(Watcher):
    """Stops a fit whose training loss improved by less than ``tol`` for ``patience`` epochs.

    ``tol=None`` never stops (exactly ``max_iter`` epochs).  A ``partial_fit``
    call keeps the books but never stops: its one epoch is the call.
    """

    def __init__(self, tol, patience):
        self.tol = -math.inf if tol is None else tol
        self.patience = patience

    def update(self, run, epoch):
        state = run.record.state
        self._count(state, self.improved(run, epoch))
        state.best_loss = min(state.best_loss, epoch.loss)
        return None

    def improved(self, run, epoch):
        """Whether the epoch counts as progress (a subclass also keeps its books here)."""
        return epoch.loss <= run.record.state.best_loss - self.tol

    @staticmethod
    def _count(state, improved):
        state.no_improvement_count = 0 if improved else state.no_improvement_count + 1

    def decide(self, run, epoch):
        if not run.incremental and run.record.state.no_improvement_count >= self.patience:
            return "tol"
        return None


class EarlyStopping(LossPlateau):
    """Stops on the held-out score, and ends a fit at its best held-out weights.

    Parameters
    ----------
    validation : tuple (X_val, Y_val, sample_weight_val, y_val)
        The held-out rows.
    score : callable
        ``score(X_val, y_val, sample_weight_val)``, higher is better.
    tol, patience
        As for :class:`LossPlateau`, on the score.
    """

    def __init__(self, validation, score, tol, patience):
        super().__init__(tol, patience)
        self.validation = validation
        self.score = score

    def begin(self, run):
        record = run.record
        if record.validation_scores is None:
            record.validation_scores = []
            record.validation_loss_curve = []

    def improved(self, run, epoch):
        model, record = run.model, run.record
        X_val, Y_val, sw_val, y_val = self.validation
        epoch.validation_loss = model.mean_loss(X_val, Y_val, sw_val) + model.penalty()
        epoch.validation_score = self.score(X_val, y_val, sw_val)
        record.validation_loss_curve.append(epoch.validation_loss)
        record.validation_scores.append(epoch.validation_score)
        state = record.state
        if epoch.validation_score > state.best_validation_score:
            state.best_validation_parameters = copy_parameters(model.parameters)
        improved = epoch.validation_score >= state.best_validation_score + self.tol
        state.best_validation_score = max(state.best_validation_score, epoch.validation_score)
        return improved

    def finish(self, run):
        best = run.record.state.best_validation_parameters
        if not run.incremental and best is not None:
            restore_parameters(run.model.parameters, best)


class Convergence(Watcher):
    """Stops where the model says no later epoch can change anything."""

    def decide(self, run, epoch):
        return "converged" if run.model.converged else None


# ------------------------------------------------------------ output and the user


class ProgressLog(Watcher):
    """The lessons' progress lines: the loss, flagged when it rose since the last line.

    ``verbose=1`` prints ten evenly spaced epochs of a fit (0, 100, ..., 900
    of 1000, as the lessons printed) and every ``partial_fit`` call;
    ``verbose=2`` every epoch.
    """

    def __init__(self, verbose):
        self.verbose = verbose

    def begin(self, run):
        self.shown = (
            None if run.incremental
            else {run.first + round(i * run.max_epochs / 10) for i in range(10)}
        )

    def decide(self, run, epoch):
        if self.verbose >= 2 or self.shown is None or epoch.number in self.shown:
            line = f"Epoch {epoch.number:>5d}: train loss {epoch.loss:.8f}"
            if epoch.validation_score is not None:
                line += f", validation score {epoch.validation_score:.6f}"
            # The last line printed may be a previous partial_fit call's: the
            # record, which a stream of calls continues, keeps it.
            state = run.record.state
            if state.last_printed_loss is not None and epoch.loss > state.last_printed_loss:
                line += "  WARNING - loss increasing"
            print(line, flush=True)
            state.last_printed_loss = epoch.loss
        return None

    def finish(self, run):
        if run.record.stop_reason != "max_iter":
            print(f"Stopped after {run.record.n_iter} epochs ({run.record.stop_reason}).",
                  flush=True)


class Callback(Watcher):
    """The user's per-epoch hook, under the user's floating-point settings.

    ``on_epoch(record, info)`` returns True to stop.  Weights the hook left
    infinite or NaN are refused as a divergence, through ``guard``.
    """

    def __init__(self, on_epoch, guard):
        self.on_epoch = on_epoch
        self.guard = guard

    def begin(self, run):
        # The loop ignores floating-point warnings (it detects overflow
        # itself); the user's code runs under the user's settings.
        self.errstate = np.geterr()

    def decide(self, run, epoch):
        info = {
            "epoch": epoch.number,
            "loss": epoch.loss,
            "validation_loss": epoch.validation_loss,
            "validation_score": epoch.validation_score,
        }
        with np.errstate(**self.errstate):
            stop = self.on_epoch(run.record, info)
        if not self.guard.healthy(run.model):
            return self.guard.stop(run, epoch.number, "the callback left infinite or NaN weights")
        return "callback" if stop else None


# ------------------------------------------------------------ advice


def _scale_advice(estimator, largest, step):
    """Advice for a fit whose steps overshoot, from the scale of its data.

    ``largest`` is the largest magnitude of a training feature, ``step`` the
    step size in use (the schedule may have halved it).
    """
    causes = []
    if largest > LARGE_SCALE:
        causes.append(
            f"the features are on a large scale (largest |x| = {largest:.3g}): "
            "standardise them (for example with StandardScaler in a pipeline)"
        )
    target_scale = getattr(estimator, "_target_scale", 0.0)
    if target_scale > LARGE_SCALE:
        causes.append(
            f"the targets are on a large scale (largest |y| = {target_scale:.3g}): "
            "standardise y (for example with TransformedTargetRegressor and a "
            "StandardScaler)"
        )
    rate = f"lower learning_rate (now {step:.3g}; for example by a factor of 10)"
    if not causes:
        return f"The steps overshoot: {rate}."
    return (f"Steps of learning_rate={step:.3g} overshoot because "
            f"{' and '.join(causes)}, or {rate}.")


def _rose_on_the_way(curve, step_size):
    """Whether the loss jumped up between two epochs, or the schedule cut the step."""
    return (any(b > OVERSHOOT * a for a, b in zip(curve, curve[1:]))
            or (step_size is not None and step_size.halved()))


class WorseThanConstant(Watcher):
    """Warns where a fit ended worse than a constant prediction.

    No model should: a constant is what the network gives with zero weights
    and a fitted bias, and a fit that ends above it learnt nothing (usually
    steps far too long for the data's scale).  The fit's last training loss
    is compared with the constant's, measured by the same loss on the same
    weighted rows, where they are (block-wise sums on an engine of blocks).

    Parameters
    ----------
    estimator : BaseTrained
        The estimator being fitted (its name and parameters for the advice).
    rows : Rows
        The training rows (see :mod:`sknn_basic._engines.rows`).
    """

    def __init__(self, estimator, rows):
        self.estimator = estimator
        self.rows = rows

    def finish(self, run):
        record, estimator = run.record, self.estimator
        if (run.incremental or not record.loss_curve
                or record.stop_reason in ("diverged", "interrupted")):
            return
        constant = self.rows.constant_loss()
        final = record.loss_curve[-1]
        if not constant > 0 or not final > OVERSHOOT * constant:
            return
        what = ("always predicting the class priors" if hasattr(estimator, "classes_")
                else "always predicting the mean target")
        curve = record.loss_curve
        step_size = run.model.step_size
        # A loss that jumped up, ended where it began, or made the schedule
        # cut the step: the steps are too long, not too few.  (One epoch's
        # loss is measured before its step: it says nothing of the step's length.)
        overshot = (len(curve) > 1 and curve[-1] >= curve[0]) or _rose_on_the_way(
            curve, step_size)
        if overshot:
            advice = _scale_advice(estimator, self.rows.largest_feature(),
                                   step_size.learning_rate)
        elif estimator.tol is None:
            # A loss still falling after exactly the max_iter epochs the user
            # asked for (tol=None, as the lessons' runs do): more epochs is the
            # only advice, and the user chose the count, as the max_iter
            # warning, silent with tol=None, respects too.
            return
        else:
            # A loss that fell all along: the run ended before it got anywhere.
            advice = (
                f"The loss was still falling after {len(curve)} epoch(s): increase max_iter "
                "(or raise learning_rate), or standardise the features."
            )
        run.advised = True
        warn(
            f"{type(estimator).__name__}'s final training loss, {final:.4g}, is worse than "
            f"that of {what}, {constant:.4g}: the fitted model is worse than a constant. "
            + advice,
            ConvergenceWarning,
        )


class RunAdvice(Watcher):
    """The convergence advice of a gradient-descent fit that ran to its end.

    A loss that ended above where it began says the steps overshoot; a fit
    that reached ``max_iter`` still improving says to train longer (or, where
    the loss rose on the way, to take shorter steps).
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def finish(self, run):
        estimator, record = self.estimator, run.record
        if run.advised or run.incremental or record.stop_reason not in ("max_iter", "tol"):
            return
        name = type(estimator).__name__
        curve = record.loss_curve
        step_size = run.model.step_size
        if len(curve) > 1 and curve[-1] > RISE * curve[0]:
            # Ending above the start is the mark of steps that overshoot, not
            # of too few: advising more epochs or a larger step would mislead.
            warn(
                f"{name}'s training loss rose from {curve[0]:.4g} to {curve[-1]:.4g} over "
                f"{len(curve)} epochs: the steps overshoot. Lower learning_rate (now "
                f"{step_size.learning_rate:.3g}; for example by a factor of 10) or "
                "standardise the features.",
                ConvergenceWarning,
            )
        elif record.stop_reason == "max_iter" and estimator.tol is not None:
            watched = "validation score" if estimator.early_stopping else "training loss"
            # A loss that jumped up on the way (or a step the schedule had to
            # cut) says the step is too long: then more epochs or a larger
            # step is the wrong advice.
            advice = (
                "The loss rose on the way: lower learning_rate (for example by a factor "
                "of 10)" if _rose_on_the_way(curve, step_size)
                else "Increase max_iter, raise learning_rate"
            )
            warn(
                f"{name} reached max_iter={estimator.max_iter} epochs before the {watched} "
                f"stopped improving by tol={estimator.tol}. {advice}, or set tol=None to "
                "train for exactly max_iter epochs.",
                ConvergenceWarning,
            )
