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

On a two-worker ``LocalCluster`` (two single-threaded worker processes,
as :mod:`benchmarks.dask_bench`; skipped where the mode has no Dask rows,
the smoke run's case):

* ``T3-D``: 2,000,000 x 50 rows generated on the workers
  (:func:`benchmarks.dask_bench._data`, 8 blocks):
  ``SigmoidGDClassifier(solver="lbfgs")`` against dask-ml's
  ``LogisticRegression(solver="lbfgs")``.  dask-ml minimises the *sum* of
  the log losses plus ``||beta||^2 / (2 C)`` (its intercept, a column of
  ones, is penalised too); divided by n that is our mean log loss plus
  ``alpha / 2 ||W||^2`` with ``alpha = 1 / (C n)``, our intercept left
  unpenalised (the difference, ``b^2 / (2 C n)``, is below 1e-6 here).
  dask-ml's final coefficients are scored by our objective; ours runs
  with no tolerance and its time is taken at the first iteration whose
  objective is within ``TARGET_GAP`` of that value (the callback's clock,
  from the call of ``fit``).  Two ratios: to dask-ml's whole fit (target
  1.0) and to the same L-BFGS fit of the same rows in memory, in this
  process with two BLAS threads (``T3-M``, target 1.5).
* ``T4-D``: the README's example (``y = x0 + x1 > 1`` on uniform
  features, 20 columns, here 2,000,000 rows in 8 blocks),
  ``SigmoidGDClassifier(solver="lbfgs", tol=1e-4)`` (LogisticRegression's
  tolerance; the README's default tol=1e-3 is reported in a note) against
  dask-ml's ``LogisticRegression(solver="lbfgs")``: whole fits, training
  accuracy (target: at least 0.999, and not below dask-ml's by more than
  0.1 point); ``T4-M`` the same in memory against ``LogisticRegression()``.
* The paper projection of an L-BFGS fit to 10, 100 and 1,000 workers on
  1e9 rows (a note of the section), from the passes ``T3-D`` needed, its
  time per pass and the per-pass overhead measured on blocks of 4 rows: as
  the engine runs a pass (a task per worker thread), and again with a task
  per block, whose slope over the blocks is the scheduler's cost per task.

And in memory on W1, the input layouts that validation brings to the
layout the epochs need (``L-*``): the default ``SigmoidGDClassifier`` (mini-
batches, whose shuffled epochs gather rows with ``take``) for 2 epochs on
an unaligned, a Fortran-ordered, a strided and a memory-mapped copy of
the training rows, against the aligned C-contiguous array (target 1.25:
the copy that validation makes where one pays).

:func:`add_rows` registers the tasks with the suite (section ``"time"``).
"""

import math
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .results_model import Row
from .timing import alternate, median

__all__ = ["SECTION", "TITLE", "add_rows"]

SECTION = "time"
TITLE = ("Time to a good model: full-batch fits to the optimum, in memory and on a Dask "
         "cluster; input layouts")
#: How close to the optimal objective each logistic fit must end.
LOSS_GAP = 1e-4
#: How close the two networks' final objectives must be.
NETWORK_LOSS_GAP = 1e-3
#: Iterations of both networks (no gradient tolerance).
NETWORK_ITERATIONS = 50
TOL = 1e-4
C = 1.0
#: How close to dask-ml's final objective our Dask fit must come (T3).
TARGET_GAP = 1e-6
#: Rows of the Dask rows' data and of the README's example there.
DASK_FEATURES = 50
README_FEATURES = 20
DASK_BLOCKS = 8
#: Epochs of the input-layout rows.
LAYOUT_EPOCHS = 2
LAYOUT_TARGET = 1.25
#: The gradient tolerance of the README rows: LogisticRegression's and
#: MLPClassifier's default (SigmoidGDClassifier's default tol, 1e-3, is
#: the epoch solvers' bound on the loss's improvement).
README_TOL = 1e-4


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



# ------------------------------------------------------------------ Dask


def _warnings_note(seen):
    notes = []
    for side, who in (("sknn", "sknn-basic"), ("other", "the other")):
        if seen.get(side):
            notes.append(f"{who} warned: {' '.join('; '.join(sorted(seen[side])).split())}")
    return notes


def _stamped_fit(est, X, y, target=None):
    """Fit ``est`` with a clock at each iteration, stopping where the objective <= ``target``.

    Returns the seconds from the call of ``fit`` to its end (to the first
    iteration at the target, where given) and the warnings raised.
    """
    stamps = []

    def callback(estimator, info):
        stamps.append(time.perf_counter())
        return target is not None and info["loss"] <= target

    est.set_params(callback=callback)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        est.fit(X, y)
        end = time.perf_counter()
    est.set_params(callback=None)
    seen = {f"{w.category.__name__}: {str(w.message)[:60]}" for w in caught}
    return (stamps[-1] if target is not None and stamps else end) - start, seen


def _reached(est, target):
    return bool(est.loss_curve_) and est.loss_curve_[-1] <= target


def _readme_data(n_rows, n_blocks, seed=0):
    """The README's example: uniform features, ``y = x0 + x1 > 1``."""
    import dask.array as da

    X = da.random.RandomState(seed).random_sample(
        (n_rows, README_FEATURES), chunks=(math.ceil(n_rows / n_blocks), README_FEATURES))
    return X, (X[:, 0] + X[:, 1] > 1).astype(int)


def _dask_objective(coef, intercept, X, y, alpha):
    """Our objective (mean log loss plus ``alpha / 2 ||coef||^2``) of given weights, on the cluster."""
    import dask.array as da

    z = X @ coef + intercept
    # log(1 + e^z) - y z, written to overflow neither way.
    losses = da.logaddexp(0.0, z) - y * z
    return float(losses.mean().compute()) + 0.5 * alpha * float(np.dot(coef, coef))


def _dask_ml_fit(X, y, **params):
    from dask_ml.linear_model import LogisticRegression

    est = LogisticRegression(solver="lbfgs", **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    return est, seconds


def _pass_overhead(client, n_blocks, short=5, long=25, task_per_block=False):
    """Seconds per evaluation of an L-BFGS fit on ``n_blocks`` blocks of 4 rows.

    Two fits of different lengths: the difference of their times over the
    difference of their evaluations, so the set-up of a fit is not counted.
    The engine runs a pass as a task per worker thread; ``task_per_block``
    makes it run a task per block instead, as it does for results too large
    to gather, so that the slope over the blocks is the scheduler's cost per
    task (as :func:`benchmarks.dask_bench._overhead` measures it).
    """
    from sknn_basic import SigmoidGDClassifier
    from sknn_basic._engines import dask as engine

    from .dask_bench import _data

    n_rows = 4 * n_blocks
    X, y = client.persist(list(_data(n_rows, DASK_FEATURES, n_blocks, seed=5)))
    runs = []
    gathered_bytes = engine.GATHERED_BYTES
    for iterations in (short, long):
        est = SigmoidGDClassifier(solver="lbfgs", max_iter=iterations, tol=None,
                                  random_state=0)
        # No result is gathered above -1 bytes in all: a task per block.
        engine.GATHERED_BYTES = -1 if task_per_block else gathered_bytes
        try:
            seconds, _ = _stamped_fit(est, X, y)
        finally:
            engine.GATHERED_BYTES = gathered_bytes
        runs.append((seconds, est.t_ // n_rows))
    (t_short, e_short), (t_long, e_long) = runs
    return (t_long - t_short) / max(e_long - e_short, 1)


def _dask_task(suite):
    def task():
        notes = suite.section_notes.setdefault(SECTION, [])
        n_rows = suite.mode.dask_rows
        if not n_rows:
            notes.append(f"The Dask rows (T3, T4) are skipped in {suite.mode.name} mode (a "
                         "LocalCluster costs seconds to start); `python -m benchmarks --only "
                         "time` runs them.")
            return []
        try:
            import dask_ml.linear_model  # noqa: F401
            from distributed import Client, LocalCluster
        except ImportError as exc:
            notes.append(f"dask, distributed or dask-ml is not importable ({exc}): the Dask "
                         "rows were skipped.")
            return []
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            rows, facts = _dask_rows(client, n_rows)
        notes.append(_projection(facts))
        return rows

    return task


def _dask_rows(client, n_rows):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from sknn_basic import SigmoidGDClassifier

    from .dask_bench import OVERHEAD_BLOCKS, _data

    rows = []
    setting = f"{n_rows:,} x {DASK_FEATURES}, {DASK_BLOCKS} blocks, 2 workers x 1 thread"
    X, y = client.persist(list(_data(n_rows, DASK_FEATURES, DASK_BLOCKS, seed=0)))
    alpha = 1.0 / (C * n_rows)
    theirs, their_seconds = _dask_ml_fit(X, y, C=C)
    coef = np.asarray(theirs.coef_).ravel()
    target = _dask_objective(coef, float(theirs.intercept_), X, y, alpha) + TARGET_GAP
    ours = SigmoidGDClassifier(solver="lbfgs", alpha=alpha, tol=None, max_iter=500,
                               random_state=0)
    our_seconds, seen = _stamped_fit(ours, X, y, target)
    X_memory, y_memory = client.compute([X, y], sync=True)
    memory = clone(ours)
    memory_seconds, _ = _stamped_fit(memory, X_memory, y_memory, target)
    del X_memory, y_memory
    passes = ours.t_ // n_rows
    facts = {"n_rows": n_rows, "n_features": DASK_FEATURES, "n_blocks": DASK_BLOCKS,
             "n_workers": 2, "passes": passes, "per_pass": our_seconds / passes}
    overheads = {b: _pass_overhead(client, b) for b in OVERHEAD_BLOCKS}
    slope, fixed = np.polyfit(OVERHEAD_BLOCKS, [overheads[b] for b in OVERHEAD_BLOCKS], 1)
    per_task, _ = np.polyfit(OVERHEAD_BLOCKS, [_pass_overhead(client, b, task_per_block=True)
                                               for b in OVERHEAD_BLOCKS], 1)
    facts.update(overheads=overheads, fixed_overhead=float(fixed), per_block=float(slope),
                 per_task=float(per_task))
    reached = _reached(ours, target)
    common = dict(section=SECTION, workload="generated on the workers",
                  metric="time to dask-ml's loss", unit="s")
    notes = [
        f"penalty: dask-ml C={C:g} on the sum of the losses is our alpha=1/(C n)={alpha:.3g} "
        "on their mean (dask-ml also penalises its intercept, ours not)",
        f"dask-ml's final objective in our terms {target - TARGET_GAP:.10f}, reached by ours "
        f"(within {TARGET_GAP:g}): {'yes' if reached else 'NO'}, in {ours.n_iter_} "
        f"iterations, {passes} passes, {1e3 * facts['per_pass']:.0f} ms per pass",
    ] + _warnings_note({"sknn": seen})
    rows.append(Row(
        key="T3-D", pair="SigmoidGDClassifier(solver='lbfgs') vs dask-ml "
        "LogisticRegression(solver='lbfgs')", setting=setting + f"; alpha=1/(C n), C={C:g}",
        sknn=our_seconds, other=their_seconds, target=1.0,
        target_text="1.0", other_name="dask-ml LogisticRegression(solver='lbfgs')",
        notes=notes, **common,
    ))
    rows.append(Row(
        key="T3-M", pair="SigmoidGDClassifier(solver='lbfgs'): Dask vs in memory",
        setting=setting + "; the same fit of the same rows in one process (2 BLAS threads)",
        sknn=our_seconds, other=memory_seconds, target=1.5,
        target_text="1.5", other_name="in memory",
        n_iter=(ours.n_iter_, memory.n_iter_),
        notes=[f"reached in memory too: {'yes' if _reached(memory, target) else 'NO'}"],
        **common,
    ))
    del X, y

    # The README's example on the same cluster: as the README writes it (a
    # note), and with LogisticRegression's and MLPClassifier's gradient
    # tolerance, 1e-4 (the row).
    Xr, yr = client.persist(list(_readme_data(n_rows, DASK_BLOCKS)))
    as_written = SigmoidGDClassifier(solver="lbfgs")
    written_seconds, _ = _stamped_fit(as_written, Xr, yr)
    written = (f"as the README writes it (tol={as_written.tol:g}): accuracy "
               f"{as_written.score(Xr, yr):.4f} in {written_seconds:.2f} s, "
               f"{as_written.n_iter_} iterations")
    readme = SigmoidGDClassifier(solver="lbfgs", tol=README_TOL)
    readme_seconds, seen = _stamped_fit(readme, Xr, yr)
    accuracy = readme.score(Xr, yr)
    peer, peer_seconds = _dask_ml_fit(Xr, yr)
    peer_accuracy = float((peer.predict(Xr) == yr).mean().compute())
    readme_setting = f"{n_rows:,} x {README_FEATURES}, {DASK_BLOCKS} blocks, 2 workers x 1 thread"
    rows.append(Row(
        key="T4-D", section=SECTION, pair="README example: SigmoidGDClassifier(solver='lbfgs') "
        "vs dask-ml LogisticRegression(solver='lbfgs')", workload="README (x0 + x1 > 1)",
        setting=readme_setting + f"; tol={README_TOL:g}, defaults otherwise", metric="fit time",
        unit="s", sknn=readme_seconds, other=peer_seconds, target=1.0, target_text="1.0",
        accuracy=(accuracy, peer_accuracy), accuracy_tolerance=0.1,
        accuracy_text=f"training rows; ours at least 0.999: {'yes' if accuracy >= 0.999 else 'NO'}",
        other_name="dask-ml LogisticRegression(solver='lbfgs')",
        notes=[f"ours: {readme.n_iter_} iterations, {readme.t_ // n_rows} passes, stopped: "
               f"{readme._training.stop_reason}", written] + _warnings_note({"sknn": seen}),
    ))
    Xm, ym = client.compute([Xr, yr], sync=True)
    del Xr, yr
    mem = SigmoidGDClassifier(solver="lbfgs", tol=README_TOL)
    mem_seconds, seen = _stamped_fit(mem, Xm, ym)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        sk = LogisticRegression().fit(Xm, ym)
        sk_seconds = time.perf_counter() - start
    rows.append(Row(
        key="T4-M", section=SECTION, pair="README example in memory: SigmoidGDClassifier("
        "solver='lbfgs') vs LogisticRegression()", workload="README (x0 + x1 > 1)",
        setting=f"{n_rows:,} x {README_FEATURES} in one process (2 BLAS threads); "
        f"tol={README_TOL:g} both, defaults otherwise", metric="fit time", unit="s", sknn=mem_seconds, other=sk_seconds,
        target=1.0, target_text="1.0", accuracy=(mem.score(Xm, ym), sk.score(Xm, ym)),
        accuracy_tolerance=0.1, accuracy_text="training rows",
        n_iter=(mem.n_iter_, int(np.max(sk.n_iter_))), other_name="LogisticRegression",
        notes=_warnings_note({"sknn": seen}),
    ))
    return rows, facts


def _projection(facts):
    """The paper projection of the L-BFGS fit (see :func:`benchmarks.dask_bench.projection`)."""
    from .dask_bench import projection

    return ("Projection on paper of the L-BFGS fit of `T3-D` (no cluster of that size was "
            f"run): {facts['passes']} passes over the data, each {1e3 * facts['per_pass']:.0f} "
            f"ms on 2 workers; the per-pass overhead measured on blocks of 4 rows "
            f"({', '.join(f'{b} blocks {1e3 * s:.1f} ms' for b, s in facts['overheads'].items())}"
            f"; with a task per block instead, {1e3 * facts['per_task']:.2f} ms per task)."
            "\n\n" + projection(facts, pass_seconds=facts["per_pass"], passes=facts["passes"],
                                  what="L-BFGS SigmoidGDClassifier")
            + "\n\n" + _overhead_advice(facts))


def _overhead_advice(facts):
    """What the per-pass overhead is made of, and what grows with the cluster, in measured terms.

    A pass runs a task per worker thread; each returns its blocks' results
    and the client adds them, so long as they come to at most the engine's
    ``GATHERED_BYTES`` in all (this fit's: its weights' size per block).
    Larger results take a task per block and a tree of tasks on the workers.
    """
    from sknn_basic._engines.dask import GATHERED_BYTES, INLINE_BYTES

    fixed, per_block, per_task = facts["fixed_overhead"], facts["per_block"], facts["per_task"]
    # The engine counts a block's result, and the weights, as the float64
    # coefficients and intercept: one per feature and one.
    result_bytes = 8 * (facts["n_features"] + 1)
    return (
        "An L-BFGS fit pays the per-pass overhead once per evaluation of its objective, so "
        "its few passes pay it few times, where gradient descent's hundreds of epochs pay it "
        "hundreds of times. A pass runs one task per worker thread, each for the blocks its "
        "worker holds, and the client adds the blocks' results in their order: the overhead "
        f"is a round trip ({1e3 * fixed:.1f} ms measured, with its {facts['n_workers']} "
        f"workers' tasks), the scheduler's cost per task ({1e3 * per_task:.2f} ms, measured "
        f"with a task per block), one task per worker thread, and what remains per block "
        f"({1e3 * per_block:.2f} ms). The tasks grow with the workers, not the blocks, so on "
        "a large cluster the cost per task is what sets the overhead; the size of the blocks "
        "matters little. The blocks' results reach the client while they come to at most "
        f"{GATHERED_BYTES / 2**20:g} MiB in all ({result_bytes} bytes a block here, so up to "
        f"{GATHERED_BYTES // result_bytes:,} blocks); beyond that each block takes a task of "
        "its own and the sums go up a tree of tasks, a round trip per level. The weights, "
        f"as large, travel inside the tasks while they come to at most "
        f"{INLINE_BYTES // 2**10} KiB for all of them (up to {INLINE_BYTES // result_bytes:,} "
        "tasks here), otherwise as one shared task's result: one task more per pass."
    )


# ---------------------------------------------------------------- layouts


def _layouts(X, folder):
    """The training rows in each layout that validation must bring to C order, aligned."""
    raw = np.empty(X.nbytes + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=X.dtype, count=X.size, offset=1).reshape(X.shape)
    unaligned[...] = X
    strided = np.empty((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)[:, ::2]
    strided[...] = X
    path = Path(folder) / "X.npy"
    np.save(path, X)
    return {
        "unaligned": unaligned,
        "Fortran-ordered": np.asfortranarray(X),
        "strided (every other column)": strided,
        "memory-mapped (np.load, mmap_mode='r')": np.load(path, mmap_mode="r"),
    }


def _layout_task(suite):
    def task():
        from sknn_basic import SigmoidGDClassifier

        data = suite.data("W1")
        X, y = np.ascontiguousarray(data.X_train), data.y_train
        rows = []
        with tempfile.TemporaryDirectory() as folder:
            for i, (name, layout) in enumerate(_layouts(X, folder).items(), start=1):
                def make(inputs):
                    def make_call(repeat):
                        est = SigmoidGDClassifier(max_iter=LAYOUT_EPOCHS, tol=None,
                                                  random_state=0)
                        return lambda: est.fit(inputs, y)
                    return make_call

                times, fitted, seen = alternate([("sknn", make(layout)), ("other", make(X))],
                                                suite.mode.repeats)
                same = np.array_equal(fitted["sknn"][-1].coef_, fitted["other"][-1].coef_)
                rows.append(Row(
                    key=f"L{i}-W1", section=SECTION, pair=f"SigmoidGDClassifier on {name} X",
                    workload="W1", setting=f"defaults (mini-batches), {LAYOUT_EPOCHS} epochs, "
                    f"{X.shape[0]:,} x {X.shape[1]}", metric="fit time", unit="s",
                    sknn=median(times["sknn"]), other=median(times["other"]),
                    target=LAYOUT_TARGET, target_text=f"{LAYOUT_TARGET:g}",
                    n_iter=(LAYOUT_EPOCHS, LAYOUT_EPOCHS), times=times,
                    other_name="aligned C-contiguous copy",
                    notes=[f"same weights as on the aligned copy: {'yes' if same else 'NO'}"]
                    + _warnings_note(seen),
                ))
        return rows

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
    suite.add(SECTION, "time-layouts-W1", _layout_task(suite))
    suite.add(SECTION, "time-dask", _dask_task(suite), rerun=False)
