"""Full-batch fits by L-BFGS: ``solver="lbfgs"`` of the network estimators.

Gradient descent at a fixed step crawls along the flat valleys of a loss and
its stopping rule (too little progress for a few epochs) can fire far from
the optimum.  A quasi-Newton method measures the valley's curvature from the
gradients it has met and takes steps to match, so a full-batch fit reaches
the optimum in tens of passes over the data where gradient descent needs
thousands.  scikit-learn's ``MLPClassifier`` and ``LogisticRegression`` use
the same method: :func:`scipy.optimize.minimize` with ``method="L-BFGS-B"``.

The objective is the estimator's own, the one its loss curve reports for the
other solvers: the weighted mean loss of the rows, the rows weighted as
:meth:`sknn_basic._base.BaseTrained._fit` combines sample and class weights,
plus the L2 term ``alpha / 2 * sum ||W||^2``.  It is built in two steps, so
that rows held elsewhere can supply the first:

1. the row sums: the weighted loss *sum* and the gradient *sums* over the
   rows, without the L2 term, from
   :meth:`sknn_basic._network.LayeredModel.gradient_sums` (the forward and
   backward kernels every epoch of the other solvers runs);
2. :func:`objective_from_sums`: divide those by the total weight and add the
   L2 term and its gradient.

The row sums are the model's ``gradient_sums(X, Y, sample_weight)``
(:func:`model_sums`), whatever engine holds the rows: in memory the
model is the ``LayeredModel`` and its rows are one block; on an engine of
blocks (Dask) the model is the engine's wrapper
(:class:`sknn_basic._engines.blocks._BlockModel`), whose ``gradient_sums``
is one pass: the parameters go to each block, each block returns its sums,
and the sums are added up a tree on the workers.  The client then holds the
parameters and L-BFGS's memory, never the rows, and the iterates are the
in-memory fit's but for the order of the additions.

L-BFGS works in float64 (scipy's routine has no other precision); the
parameters are unpacked into the model's own arrays, in its dtype, before
each evaluation, so a float32 model is evaluated and kept in float32, as
``MLPClassifier`` does.
"""

import math

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._compiled import scipy_blas_limited
from ._training import TrainingRecord, interruption_warning
from ._warnings import warn

__all__ = ["LbfgsSettings", "model_sums", "minimize", "objective_from_sums", "pack", "unpack"]


def pack(arrays, out=None):
    """The arrays flattened one after another into one float64 vector."""
    if out is None:
        out = np.empty(sum(a.size for a in arrays), dtype=np.float64)
    start = 0
    for a in arrays:
        # ravel of a transposed view (SigmoidGDClassifier's coef_.T) copies
        # in the array's logical order, which unpack follows back.
        out[start:start + a.size] = a.ravel()
        start += a.size
    return out


def unpack(theta, arrays):
    """Write the vector ``theta`` back into ``arrays`` in place (in their dtype)."""
    start = 0
    for a in arrays:
        a[...] = theta[start:start + a.size].reshape(a.shape)
        start += a.size


def objective_from_sums(model, loss_sum, gradient_sums, total_weight, out=None):
    """The objective and its packed gradient from the row sums.

    Parameters
    ----------
    model : LayeredModel
        Gives the L2 term (``alpha`` and its weights, at the parameters the
        sums were taken at).
    loss_sum : float
        Weighted loss summed over every row.
    gradient_sums : list of ndarray
        Gradient sums over every row, in the order of ``model.parameters``
        (coefficients, then intercepts), without the L2 term.
    total_weight : float
        Sum of the rows' weights (their count, unweighted).
    out : ndarray or None
        The float64 vector to write the gradient into.

    Returns
    -------
    value : float
        ``loss_sum / total_weight + alpha / 2 * sum ||W||^2``.
    gradient : ndarray of float64
        Its gradient, packed as :func:`pack` packs the parameters.
    """
    gradient = pack(gradient_sums, out)
    gradient /= total_weight
    value = loss_sum / total_weight + model.penalty()
    if model.alpha:
        start = 0
        for W in model.coefs:
            gradient[start:start + W.size] += model.alpha * W.ravel()
            start += W.size
    return value, gradient


def model_sums(model, X, Y, sample_weight):
    """The ``row_sums`` of :func:`minimize`: the model's gradient sums over its rows.

    For rows in memory, one block of all of them; on an engine of blocks,
    ``model`` and ``X`` are the engine's (its model sums over the blocks
    where they live).
    """

    def row_sums():
        return model.gradient_sums(X, Y, sample_weight)

    return row_sums


class _Objective:
    """The function scipy minimises: parameters in, (value, gradient) out; counts the calls."""

    def __init__(self, model, row_sums, total_weight):
        self.model = model
        self.row_sums = row_sums
        self.total_weight = total_weight
        self.n_evaluations = 0
        self._gradient = np.empty(sum(p.size for p in model.parameters), dtype=np.float64)

    def __call__(self, theta):
        unpack(theta, self.model.parameters)
        # Overflow in the exponentials saturates the activations on purpose
        # (the kernels rely on it); an infinite value makes the line search
        # step back, which is the answer to it.
        with np.errstate(all="ignore"):
            loss_sum, sums = self.row_sums()
            value, gradient = objective_from_sums(
                self.model, loss_sum, sums, self.total_weight, self._gradient)
        self.n_evaluations += 1
        # scipy keeps the gradient it is given: a fresh copy each call.
        return value, gradient.copy()


class LbfgsSettings:
    """The estimator's parameters that an L-BFGS fit obeys.

    ``tol`` is the bound on the largest component of the projected gradient
    (scipy's ``gtol``; None: 0, together with scipy's relative-decrease test
    turned off, so that only ``max_iter``, ``max_fun`` or a line search
    that finds no lower value stop the run, and reaching a limit is then
    no cause for a warning, as for the other solvers).
    """

    def __init__(self, *, max_iter, max_fun, tol, verbose, name, advice=None):
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.tol = tol
        self.verbose = verbose
        self.name = name
        #: What to do about an objective that overflows, where the estimator
        #: knows the cause (targets on a large scale); None: the general advice.
        self.advice = advice

    def options(self):
        options = {"maxiter": self.max_iter, "maxfun": self.max_fun,
                   "gtol": 0.0 if self.tol is None else self.tol}
        if self.tol is None:
            options["ftol"] = 0.0
        return options


class _Progress:
    """What the iterations of one call have completed: the record and the last iterate.

    Each iteration's entries are committed together at the end of
    :meth:`commit`: a Ctrl-C in the middle of it rolls the record back to
    the previous iteration, whose iterate is the one kept.
    """

    def __init__(self, record, objective, n_samples):
        self.record = record
        self.objective = objective
        self.n_samples = n_samples
        self.first = record.n_iter
        self.t0 = record.t
        self.n_losses = len(record.loss_curve)
        self.best_loss = record.state.best_loss
        self.last = None  # (iterate, n_iter, t, n_losses, best_loss)

    def commit(self, x, value):
        record = self.record
        record.n_iter += 1
        # Rows read: every evaluation of the objective is a pass over them.
        record.t = self.t0 + self.objective.n_evaluations * self.n_samples
        record.loss_curve.append(float(value))
        record.state.best_loss = min(record.state.best_loss, float(value))
        self.last = (x.copy(), record.n_iter, record.t, len(record.loss_curve),
                     record.state.best_loss)

    def roll_back(self):
        """The record as at the last committed iteration (or the call's start)."""
        record = self.record
        if self.last is None:
            record.n_iter, record.t = self.first, self.t0
            del record.loss_curve[self.n_losses:]
            record.state.best_loss = self.best_loss
            return None
        x, record.n_iter, record.t, n_losses, record.state.best_loss = self.last
        del record.loss_curve[n_losses:]
        return x


def _shown(settings, first):
    """Iterations of this call that verbose=1 prints: ten evenly spaced."""
    return {first + round(i * settings.max_iter / 10) for i in range(10)}


def minimize(model, row_sums, *, settings, n_samples, total_weight, record=None,
             on_epoch=None):
    """Fit ``model``'s parameters by L-BFGS; return the :class:`TrainingRecord`.

    Parameters
    ----------
    model : LayeredModel
        Its ``parameters`` are the starting point (a warm start continues
        from them) and receive the result.
    row_sums : callable
        ``row_sums()`` returns the weighted loss sum and the gradient sums
        over every row at the model's current parameters (see the module's
        docstring); :func:`model_sums` wherever the rows are.
    settings : LbfgsSettings
    n_samples : int
        Rows of the training data (``t_`` counts the rows read).
    total_weight : float
        Sum of the rows' weights.
    record : TrainingRecord or None
        The record to fill; None starts a new one.
    on_epoch : callable or None
        ``on_epoch(record, info)`` after each iteration, as the training
        loop calls it after each epoch; returning True stops.

    Returns
    -------
    TrainingRecord
        ``stop_reason`` is "converged" (the gradient or the relative
        decrease fell below its tolerance), "max_iter", "max_fun",
        "line_search" (no step lowered the objective further), "callback",
        "diverged" (the objective was not finite at the start) or
        "interrupted".
    """
    if record is None:
        record = TrainingRecord()
    record.stop_reason = "max_iter"
    parameters = model.parameters
    initial = [p.copy() for p in parameters]
    objective = _Objective(model, row_sums, total_weight)
    progress = _Progress(record, objective, n_samples)
    shown = None if settings.verbose >= 2 else _shown(settings, record.n_iter)
    user_errstate = np.geterr()
    stopped_by_callback = False

    def callback(intermediate_result):
        nonlocal stopped_by_callback
        x, value = intermediate_result.x, intermediate_result.fun
        progress.commit(x, value)
        iteration = record.n_iter - 1
        if settings.verbose and (shown is None or iteration in shown):
            print(f"Iteration {iteration:>5d}: train loss {value:.8f}", flush=True)
        if on_epoch is not None:
            # The estimator publishes the weights of this iterate.
            unpack(x, parameters)
            info = {"epoch": iteration, "loss": float(value), "validation_loss": None,
                    "validation_score": None}
            with np.errstate(**user_errstate):
                stop = on_epoch(record, info)
            if stop:
                stopped_by_callback = True
                raise StopIteration

    x0 = pack(parameters)
    try:
        with scipy_blas_limited(1):
            result = scipy.optimize.minimize(
                objective, x0, method="L-BFGS-B", jac=True, callback=callback,
                options=settings.options(),
            )
    except KeyboardInterrupt:
        # Ctrl-C, answered as the training loop answers it: the fit stops at
        # the last completed iteration.
        x = progress.roll_back()
        if x is None:
            for p, saved in zip(parameters, initial):
                p[...] = saved
            raise
        unpack(x, parameters)
        record.stop_reason = "interrupted"
        interruption_warning(record.n_iter - progress.first, record.n_iter - 1, "iteration")
        return record

    if not math.isfinite(result.fun):
        # The start itself gave an infinite or NaN objective (an overflow
        # no line search can step back from): nothing was learnt.
        progress.roll_back()
        for p, saved in zip(parameters, initial):
            p[...] = saved
        record.stop_reason = "diverged"
        advice = settings.advice or (
            "Standardise the features (and the targets of a regression), or lower init_scale.")
        warn(
            f"{settings.name}'s L-BFGS fit could not start: the objective is infinite or "
            f"NaN at the initial weights, which were kept. {advice}",
            ConvergenceWarning,
        )
        return record
    unpack(result.x, parameters)
    if result.status == 0:
        record.stop_reason = "converged"
    elif stopped_by_callback:
        record.stop_reason = "callback"
    elif result.status == 1:
        n_done = record.n_iter - progress.first
        record.stop_reason = "max_iter" if n_done >= settings.max_iter else "max_fun"
    else:
        record.stop_reason = "line_search"
    _warn_unconverged(settings, record, result, progress.first)
    if settings.verbose and record.stop_reason != "max_iter":
        print(f"Stopped after {record.n_iter} iterations ({record.stop_reason}).", flush=True)
    return record


def _warn_unconverged(settings, record, result, first):
    """The ConvergenceWarning of a run that stopped on a limit, with what to change."""
    if settings.tol is None:
        # As for the other solvers: tol=None asks for exactly the limits.
        return
    n_done = record.n_iter - first
    criterion = f"the largest component of the gradient fell below tol={settings.tol}"
    if record.stop_reason == "max_iter":
        warn(
            f"{settings.name}'s L-BFGS fit reached max_iter={settings.max_iter} iterations "
            f"before {criterion}. Increase max_iter (and max_fun if needed), raise tol, or "
            "standardise the features.",
            ConvergenceWarning,
        )
    elif record.stop_reason == "max_fun":
        warn(
            f"{settings.name}'s L-BFGS fit reached max_fun={settings.max_fun} evaluations of "
            f"the objective after {n_done} iterations, before {criterion}. Increase max_fun "
            "(and max_iter if needed), or standardise the features.",
            ConvergenceWarning,
        )
