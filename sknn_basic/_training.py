"""The one training loop every estimator of the package runs.

An estimator hands :func:`train` a *model*: an object that owns the trainable
arrays and knows how to run one pass over the data (see :class:`_Model`).
The loop owns everything around that pass: the epoch count, the per-epoch
shuffling, the loss and validation curves, the stopping rules, the verbose
lines, the per-epoch callback and the guard against a divergent run.  Keeping
it in one place is what makes the three estimators behave alike.
"""

import math
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.exceptions import ConvergenceWarning

__all__ = ["train", "batch_slices", "TrainingState"]

#: The adaptive schedule reacts to an epoch loss this many times the previous
#: one: mini-batch noise makes smaller rises, an overshooting step larger ones.
RISE = 1.01

#: A loss this many times the best one met is an overshoot, not noise.
OVERSHOOT = 1.1


class _Model:
    """What the loop expects of a model (documentation only; not a base class).

    Attributes
    ----------
    parameters : list of ndarray
        The trainable arrays, updated in place.  The loop copies them to
        restore a finite state or the best validation state.

    Methods
    -------
    run_epoch(X, Y, sample_weight, order)
        One pass over the data in ``order`` (None: file order); returns the
        *sum* over samples of the weighted per-sample loss met on the way.
    mean_loss(X, Y, sample_weight)
        The weighted mean loss of the current parameters (validation curve).
    penalty()
        The regularisation term added to the mean loss.
    """


class TrainingState:
    """Bookkeeping of the stopping rules, kept across ``partial_fit`` calls."""

    def __init__(self):
        self.best_loss = math.inf
        self.best_validation_score = -math.inf
        self.no_improvement_count = 0
        self.last_printed_loss = None
        self.best_parameters = None
        self.momentum_restarted = False


def batch_slices(n_samples, batch_size):
    """Start and stop of each consecutive batch of ``batch_size`` rows.

    Parameters
    ----------
    n_samples : int
        Number of rows.
    batch_size : int
        Rows per batch; the last batch takes what remains.

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` pairs covering ``range(n_samples)`` in order.
    """
    return [
        (start, min(start + batch_size, n_samples))
        for start in range(0, n_samples, batch_size)
    ]


def _all_finite(arrays):
    # A sum is finite only if every term is: one reduction per array instead
    # of a boolean array as large as the parameters.
    for a in arrays:
        if not math.isfinite(np.add.reduce(a, axis=None)):
            return False
    return True


def _copy_parameters(parameters):
    return [p.copy() for p in parameters]


def _restore_parameters(parameters, saved):
    for p, s in zip(parameters, saved):
        p[...] = s


def _print_epoch(estimator, state, epoch, loss, validation_score, shown):
    """The lessons' progress lines: the loss, flagged when it rose since the last line."""
    if estimator.verbose >= 2 or shown is None or epoch in shown:
        line = f"Epoch {epoch:>5d}: train loss {loss:.8f}"
        if validation_score is not None:
            line += f", validation score {validation_score:.6f}"
        if state.last_printed_loss is not None and loss > state.last_printed_loss:
            line += "  WARNING - loss increasing"
        print(line, flush=True)
        state.last_printed_loss = loss


def train(
    estimator,
    model,
    X,
    Y,
    sample_weight,
    *,
    random_state,
    max_epochs,
    incremental,
    validation=None,
    score_validation=None,
):
    """Run epochs of ``model`` on ``(X, Y)`` and record them on ``estimator``.

    Parameters
    ----------
    estimator : estimator
        Supplies ``tol``, ``n_iter_no_change``, ``shuffle``, ``verbose``,
        ``callback`` and ``early_stopping``, and receives ``n_iter_``,
        ``t_``, ``loss_curve_`` and, with early stopping,
        ``validation_scores_``, ``validation_loss_curve_`` and
        ``best_validation_score_``; ``best_loss_`` otherwise.
    model : object
        Follows the protocol of :class:`_Model`.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training inputs (never copied here).
    Y : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Combined sample and class weights; None means all ones.
    random_state : numpy.random.RandomState
        Source of the per-epoch shuffles, drawn after the initial weights.
    max_epochs : int
        Number of epochs at most.
    incremental : bool
        True for ``partial_fit``: one call is one epoch, no stopping rule,
        and the stopping state carries over between calls.
    validation : tuple (X_val, Y_val, sample_weight_val, y_val) or None
        Held-out data for early stopping.
    score_validation : callable or None
        ``score_validation(X_val, y_val, sample_weight_val)`` returns the
        validation score (higher is better).

    Returns
    -------
    stop_reason : str
        "max_iter", "tol", "converged", "callback" or "diverged".
    """
    n_samples = X.shape[0]
    total_weight = float(n_samples if sample_weight is None else np.sum(sample_weight))
    tol = -math.inf if estimator.tol is None else estimator.tol
    state = getattr(estimator, "_training_state", None)
    if state is None or not incremental:
        state = TrainingState()
        estimator._training_state = state
    early_stopping = validation is not None
    # Ten evenly spaced epochs of this call (0, 100, ..., 900 of 1000, as the
    # lessons printed); every epoch of a partial_fit call.
    first = estimator.n_iter_
    shown = None if incremental else {first + round(i * max_epochs / 10) for i in range(10)}
    stop_reason = "max_iter"
    needs_order = estimator.shuffle and getattr(model, "uses_order", True)

    # Overflow to inf or NaN is detected after each epoch (and the epoch is
    # undone), so NumPy's own warnings would only repeat it; the user's
    # callback still runs under the user's settings.
    user_errstate = np.geterr()
    with np.errstate(all="ignore"):
        for _ in range(max_epochs):
            epoch = estimator.n_iter_
            order = random_state.permutation(n_samples) if needs_order else None
            saved = _copy_parameters(model.parameters)
            loss = model.run_epoch(X, Y, sample_weight, order) / total_weight
            # Let the next epoch's permutation replace this one, not join it.
            order = None
            loss += model.penalty()
            if not (math.isfinite(loss) and _all_finite(model.parameters)):
                _restore_parameters(model.parameters, saved)
                warnings.warn(
                    f"Training diverged at epoch {epoch}: the loss or the weights became "
                    "infinite or NaN. The weights of the last finite epoch were kept and "
                    "training stopped. Lower learning_rate (for example by a factor of 10), "
                    "standardise the features, or add an L2 penalty with alpha.",
                    ConvergenceWarning,
                    stacklevel=5,
                )
                stop_reason = "diverged"
                break
            previous_loss = estimator.loss_curve_[-1] if estimator.loss_curve_ else math.inf
            estimator.n_iter_ += 1
            estimator.t_ += n_samples
            estimator.loss_curve_.append(loss)
            step_halved = (
                loss > RISE * previous_loss
                and getattr(estimator, "learning_rate_schedule", None) == "adaptive"
            )
            if step_halved:
                # The step overshot.  With momentum, the first answer is to
                # restart it (zero velocity), since momentum alone makes a loss
                # oscillate; a rise right after a restart, or without momentum,
                # halves the step.  A run whose loss only falls is the constant
                # schedule's.
                velocities = getattr(model, "velocities", None)
                if velocities is not None and not state.momentum_restarted:
                    for velocity in velocities:
                        velocity[...] = 0
                    state.momentum_restarted = True
                else:
                    model.learning_rate *= 0.5
                    estimator.learning_rate_ = model.learning_rate
                    state.momentum_restarted = False
                if loss > OVERSHOOT * state.best_loss:
                    # Far above the best: the losses met with the larger step no
                    # longer compare, so the stopping rule starts afresh.  Small
                    # rises (mini-batch noise) leave it alone, or it would never
                    # stop.
                    state.best_loss = loss
                    state.no_improvement_count = 0
            else:
                state.momentum_restarted = False

            validation_loss = validation_score = None
            if early_stopping:
                X_val, Y_val, sw_val, y_val = validation
                validation_loss = model.mean_loss(X_val, Y_val, sw_val) + model.penalty()
                validation_score = score_validation(X_val, y_val, sw_val)
                estimator.validation_loss_curve_.append(validation_loss)
                estimator.validation_scores_.append(validation_score)
                if validation_score > state.best_validation_score:
                    state.best_parameters = _copy_parameters(model.parameters)
                improved = validation_score >= state.best_validation_score + tol
                state.best_validation_score = max(state.best_validation_score, validation_score)
                estimator.best_validation_score_ = state.best_validation_score
            else:
                improved = loss <= state.best_loss - tol
            state.best_loss = min(state.best_loss, loss)
            if not early_stopping:
                estimator.best_loss_ = state.best_loss
            state.no_improvement_count = 0 if improved else state.no_improvement_count + 1

            if estimator.verbose:
                _print_epoch(estimator, state, epoch, loss, validation_score, shown)

            if estimator.callback is not None:
                info = {
                    "epoch": epoch,
                    "loss": loss,
                    "validation_loss": validation_loss,
                    "validation_score": validation_score,
                }
                with np.errstate(**user_errstate):
                    stop = estimator.callback(estimator, info)
                if stop:
                    stop_reason = "callback"
                    break
            if getattr(model, "converged", False):
                stop_reason = "converged"
                break
            if not incremental and state.no_improvement_count >= estimator.n_iter_no_change:
                stop_reason = "tol"
                break

    if early_stopping and not incremental and state.best_parameters is not None:
        _restore_parameters(model.parameters, state.best_parameters)
    if estimator.verbose and stop_reason != "max_iter":
        print(f"Stopped after {estimator.n_iter_} epochs ({stop_reason}).", flush=True)
    return stop_reason


def gather_rows(X, rows, buffer):
    """Rows ``rows`` of ``X``, written into ``buffer`` when ``X`` is dense.

    Dense inputs are gathered into a buffer reused across batches so that an
    epoch allocates nothing as large as ``X``; sparse inputs are indexed.
    """
    if issparse(X):
        return X[rows]
    out = buffer[: len(rows)]
    X.take(rows, axis=0, out=out)
    return out
