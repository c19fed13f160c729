"""The section "time to a good model": full-batch fits to the optimum, in memory.

Issue 20: gradient descent is fast per epoch, but a full-batch fit by it
stops far from the optimum; ``solver="lbfgs"`` reaches it.  This section
times how long each contender takes to get *there*, on the suite's W1 and
W2 (training rows, standardised):

* ``T1-W1``, ``T1-W2``: ``SigmoidGDClassifier(solver="lbfgs")`` against
  ``LogisticRegression()``, both on the same objective (mean log loss plus
  ``||w||^2 / (2 C n)``, so ``alpha = 1 / (C n)`` with C = 1) and the same
  tolerance (1e-4, LogisticRegression's default, as ``tol``).  Each final
  objective must be within 1e-4 of the optimum, found once by a tight solve
  (``LogisticRegression(tol=1e-10)``).  Time: the median of the repeats of a
  whole fit; passes over the data: our evaluations of the objective (``t_``
  over the rows); LogisticRegression reports its iterations.  Target: time
  at most 1.0 times, accuracy within 0.5 point.
* ``T2-W1``: ``TwoLayerBackpropClassifier(64, solver="lbfgs")`` against
  ``MLPClassifier((64,), solver="lbfgs")``: the same units, sigmoid
  (logistic) hidden activation, the same L2 term (the MLP's alpha=1e-4 is
  ours 1e-4 / n), the same starting weights (the MLP's initial draw copied
  into ours) and the same number of iterations (no gradient tolerance).
  Target: time per iteration at most 0.5 times; the final objectives within
  1e-3 of each other.

:func:`add_rows` registers the tasks with the suite (section ``"time"``).
"""

import warnings

import numpy as np

from .results_model import Row
from .timing import alternate, median

__all__ = ["SECTION", "TITLE", "add_rows"]

SECTION = "time"
TITLE = "Time to a good model: full-batch fits to the optimum (in memory)"
#: How close to the optimal objective each logistic fit must end.
LOSS_GAP = 1e-4
#: How close the two networks' final objectives must be.
NETWORK_LOSS_GAP = 1e-3
#: Iterations of both networks (no gradient tolerance).
NETWORK_ITERATIONS = 50
TOL = 1e-4
C = 1.0


def _objective(proba, y, coefs, alpha):
    """Mean log loss of the probabilities plus ``alpha / 2 * ||W||^2``: both sides alike."""
    from sklearn.metrics import log_loss

    return float(log_loss(y, proba) + 0.5 * alpha * sum(float(np.vdot(W, W)) for W in coefs))


def _logistic_task(suite, workload):
    def task():
        from sklearn.linear_model import LogisticRegression

        from sknn_basic import SigmoidGDClassifier

        data = suite.data(workload)
        X, y = data.X_train, data.y_train
        n = len(y)
        alpha = 1.0 / (C * n)
        optimum_model = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
        optimum = _objective(optimum_model.predict_proba(X), y, [optimum_model.coef_], alpha)

        def make_ours(repeat):
            est = SigmoidGDClassifier(solver="lbfgs", alpha=alpha, tol=TOL, random_state=0)
            return lambda: est.fit(X, y)

        def make_theirs(repeat):
            est = LogisticRegression(C=C, tol=TOL)
            return lambda: est.fit(X, y)

        times, fitted, seen = alternate([("sknn", make_ours), ("other", make_theirs)],
                                        suite.mode.repeats)
        ours, theirs = fitted["sknn"][-1], fitted["other"][-1]
        losses = (_objective(ours.predict_proba(X), y, [ours.coef_], alpha),
                  _objective(theirs.predict_proba(X), y, [theirs.coef_], alpha))
        gaps = tuple(loss - optimum for loss in losses)
        passes = ours.t_ // n
        notes = [
            f"final objective: ours {losses[0]:.8f}, LogisticRegression {losses[1]:.8f}, "
            f"optimum {optimum:.8f} (gaps {gaps[0]:.1e} and {gaps[1]:.1e}; each must be "
            f"<= {LOSS_GAP:g}: {'yes' if max(gaps) <= LOSS_GAP else 'NO'})",
            f"passes over the data: ours {passes} evaluations of the objective in "
            f"{ours.n_iter_} iterations; LogisticRegression {int(np.max(theirs.n_iter_))} "
            "iterations",
        ]
        for side, who in (("sknn", "sknn-basic"), ("other", "scikit-learn")):
            if seen[side]:
                notes.append(f"{who} warned: {' '.join('; '.join(sorted(seen[side])).split())}")
        return [Row(
            key=f"T1-{workload}", section=SECTION,
            pair="SigmoidGDClassifier(solver='lbfgs') vs LogisticRegression()",
            workload=workload,
            setting=f"alpha=1/(C n)={alpha:.3g}, tol={TOL:g} both; to within {LOSS_GAP:g} "
                    "of the optimal objective",
            metric="fit time", unit="s", sknn=median(times["sknn"]),
            other=median(times["other"]), target=1.0, target_text="1.0",
            accuracy=(ours.score(data.X_test, data.y_test),
                      theirs.score(data.X_test, data.y_test)),
            accuracy_tolerance=0.5, n_iter=(ours.n_iter_, int(np.max(theirs.n_iter_))),
            notes=notes, times=times, other_name="LogisticRegression",
        )]

    return task


def _network_task(suite):
    def task():
        from sklearn.neural_network import MLPClassifier

        from sknn_basic import TwoLayerBackpropClassifier

        data = suite.data("W1")
        X, y = data.X_train, data.y_train
        n = len(y)
        mlp_alpha = 1e-4
        alpha = mlp_alpha / n
        k = NETWORK_ITERATIONS
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = MLPClassifier((64,), activation="logistic", solver="lbfgs", max_iter=1,
                                  alpha=mlp_alpha, random_state=0).fit(X, y)
            template = TwoLayerBackpropClassifier(64, solver="lbfgs", alpha=alpha,
                                                  max_iter=1, random_state=0).fit(X, y)
        initial = ([c.copy() for c in start.coefs_], [b.copy() for b in start.intercepts_])

        def from_start(est):
            est.coefs_ = [c.copy() for c in initial[0]]
            est.intercepts_ = [b.copy() for b in initial[1]]
            return est

        def make_ours(repeat):
            est = from_start(_copy(template))
            est.set_params(warm_start=True, max_iter=k, tol=None)
            return lambda: est.fit(X, y)

        def make_theirs(repeat):
            est = from_start(_copy(start))
            est.set_params(warm_start=True, max_iter=k, tol=0.0)
            return lambda: est.fit(X, y)

        times, fitted, seen = alternate([("sknn", make_ours), ("other", make_theirs)],
                                        suite.mode.repeats)
        ours, theirs = fitted["sknn"][-1], fitted["other"][-1]
        iterations = (ours.n_iter_, theirs.n_iter_)
        per_iteration = (median(times["sknn"]) / iterations[0],
                         median(times["other"]) / iterations[1])
        losses = (_objective(ours.predict_proba(X), y, ours.coefs_, alpha),
                  _objective(theirs.predict_proba(X), y, theirs.coefs_, alpha))
        close = abs(losses[0] - losses[1]) <= NETWORK_LOSS_GAP
        notes = [
            f"final objective after {iterations[0]} / {iterations[1]} iterations from the "
            f"same weights: ours {losses[0]:.6f}, MLPClassifier {losses[1]:.6f} (within "
            f"{NETWORK_LOSS_GAP:g}: {'yes' if close else 'NO'})",
        ]
        for side, who in (("sknn", "sknn-basic"), ("other", "scikit-learn")):
            if seen[side]:
                notes.append(f"{who} warned: {' '.join('; '.join(sorted(seen[side])).split())}")
        return [Row(
            key="T2-W1", section=SECTION,
            pair="TwoLayerBackpropClassifier(64, solver='lbfgs') vs "
                 "MLPClassifier((64,), solver='lbfgs')",
            workload="W1",
            setting=f"sigmoid/logistic, MLP alpha={mlp_alpha:g} (ours alpha/n), {k} "
                    "iterations from the same initial weights",
            metric="time per iteration", unit="s", sknn=per_iteration[0],
            other=per_iteration[1], target=0.5, target_text="0.5",
            accuracy=(ours.score(data.X_test, data.y_test),
                      theirs.score(data.X_test, data.y_test)),
            accuracy_tolerance=0.5, n_iter=iterations, notes=notes, times=times,
            other_name="MLPClassifier",
        )]

    return task


def _copy(estimator):
    import copy

    return copy.deepcopy(estimator)


def add_rows(suite):
    """Register the section's tasks with ``suite`` (a ``benchmarks.suite.Suite``)."""
    workloads = ["W1"] + (["W2"] if suite.mode.w2 else [])
    for workload in workloads:
        suite.add(SECTION, f"time-logistic-{workload}", _logistic_task(suite, workload))
    suite.add(SECTION, "time-network-W1", _network_task(suite))
