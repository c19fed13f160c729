"""The benchmark suite: sknn-basic against scikit-learn, row by row.

Every row is a *task*: a function that measures one comparison and returns
:class:`~benchmarks.results_model.Row` objects (or scaling points).  The
runner times each task under :class:`~benchmarks.machine.CpuMonitor`; a task
during which other processes used more than a threshold share of the machine
is run again at the end and the less disturbed attempt is kept.
"""

import math
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import lessons_loops as loops
from . import time_to_model
from .machine import CpuMonitor
from .results_model import Row, ScalingPoint
from .timing import alternate, median, thaw, timed, traced_peak
from .fresh import Environment
from .workloads import (
    ADMISSIONS_PATH,
    SMALL_DATASETS,
    Spec,
    admissions,
    classification,
    cross_validate_small,
    lesson_arrays,
    scaling_data,
)

__all__ = ["MODES", "Mode", "Suite"]

SKNN = "sknn_basic"
PERCEPTRON = f"{SKNN}:PerceptronClassifier"
SIGMOID = f"{SKNN}:SigmoidGDClassifier"
BACKPROP = f"{SKNN}:TwoLayerBackpropClassifier"
SK_PERCEPTRON = "sklearn.linear_model:Perceptron"
SK_SGD = "sklearn.linear_model:SGDClassifier"
SK_LOGISTIC = "sklearn.linear_model:LogisticRegression"
SK_MLP = "sklearn.neural_network:MLPClassifier"
DEEP = f"{SKNN}:BackpropClassifier"
DEEP_REGRESSOR = f"{SKNN}:BackpropRegressor"
SK_MLP_REGRESSOR = "sklearn.neural_network:MLPRegressor"
#: The hidden layers of the deep rows.
DEEP_LAYERS = (64, 32)

EPOCHS = 10
#: Repeats of the short rows (cross-validation on W3, predict) are this many
#: times the mode's (see Mode.cheap_repeats): a few tenths of a second each,
#: they scatter the most.
CHEAP_ROW_REPEATS = 3
#: The learning rate shared by both networks of the 10-epoch rows:
#: TwoLayerBackpropClassifier's default.
SHARED_LEARNING_RATE = 0.5
WARMUP_ROWS = 5000


@dataclass
class Mode:
    name: str
    n_samples: int  # rows generated for W1 and W2 (80 % train)
    repeats: int
    scaling_sizes: tuple
    scaling_sizes_mlp: tuple
    cv_folds: int
    loop_epochs: dict  # epochs the lessons' loops are timed for; None: the full run
    rss: bool  # resident-memory measurement in child processes
    w2: bool
    defaults_on: tuple  # workloads of the MLP-at-defaults rows
    predict_seconds: float  # minimum duration of one timed batch of predict calls
    fresh_build: bool = True  # build a fresh venv for the fresh-process rows
    fresh_repeats: int = 5  # fresh processes per contender
    fresh_datasets: tuple = SMALL_DATASETS
    fresh_folds: int = 5
    fixed_repeats: int = 45  # one-epoch fits timed on S7, per contender
    loader_rows: int = 13_000_000  # rows of the admissions file read (about 190 MB)
    dask_rows: int = 2_000_000  # rows x 50 of the Dask section; 0 skips it
    disturbed_threshold: float = 0.15
    cheap_repeats: int = CHEAP_ROW_REPEATS  # times ``repeats`` for the short rows
    # Which of FRESH_CV_PAIRS run (by name); None: all.
    fresh_cv_names: tuple = None
    reruns: int = 1
    rerun_budget: float = 600.0  # seconds of reruns at most


MODES = {
    "full": Mode(
        name="full", n_samples=100_000, repeats=5,
        scaling_sizes=(10_000, 30_000, 100_000, 300_000, 1_000_000),
        scaling_sizes_mlp=(10_000, 30_000, 100_000, 300_000, 1_000_000),
        cv_folds=10, loop_epochs=None, rss=True, w2=True, defaults_on=("W1", "W2"),
        predict_seconds=0.2, rerun_budget=300.0,
    ),
    "quick": Mode(
        name="quick", n_samples=20_000, repeats=3,
        scaling_sizes=(10_000, 30_000, 100_000),
        scaling_sizes_mlp=(10_000, 30_000, 100_000),
        cv_folds=10, loop_epochs={"S3": 100, "S6": 90}, rss=False, w2=True,
        defaults_on=("W1",), predict_seconds=0.05, reruns=0, fresh_build=False,
        fresh_repeats=3, fixed_repeats=21, loader_rows=1_000_000, dask_rows=200_000,
    ),
    # For the test suite: tiny sizes, checks that everything runs and writes.
    "smoke": Mode(
        name="smoke", n_samples=3_000, repeats=2,
        scaling_sizes=(1_000, 2_000, 4_000), scaling_sizes_mlp=(1_000, 2_000, 4_000),
        # No MLP-at-defaults row: 200 Adam epochs of MLPClassifier were the
        # smoke run's longest row, and fit_row runs for every other fit row.
        cv_folds=2, loop_epochs={"S3": 3, "S6": 3}, rss=False, w2=False,
        defaults_on=(), predict_seconds=0.0, reruns=0, fresh_build=False,
        fresh_repeats=1, fresh_datasets=("iris", "two_moons"), fresh_folds=2,
        fixed_repeats=3, loader_rows=20_000, dask_rows=0, cheap_repeats=1,
        # The three fresh cross-validation rows run one task with other
        # estimators: the smoke run checks it once (two fresh processes a row).
        fresh_cv_names=("mlp",),
    ),
}


def _progress(text):
    print(text, file=sys.stderr, flush=True)


def _n_iter(estimator):
    n = getattr(estimator, "n_iter_", None)
    if n is None:
        return None
    return int(np.max(n))


def _warnings_note(seen, who):
    if not seen:
        return []
    kinds = sorted({w.split(":", 1)[0] for w in seen})
    return [f"{who} warned: {', '.join(kinds)}"]


def _fmt_seconds(value):
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


class Suite:
    """Runs the rows of one mode and collects what they measured."""

    def __init__(self, mode, sections=None, threads=2, python=None):
        self.mode = mode
        self.threads = threads
        self.sections = sections
        self.rows = []
        self.scaling = []
        self.lessons = []  # dicts: weight agreement of the lessons' loops
        self.first_call = {}
        self.log = []
        self.section_notes = {}  # section -> texts shown under its title
        self.environment = Environment(python, build=mode.fresh_build)
        self._tasks = []
        self._data = {}
        self.data_text = {}

    # ------------------------------------------------------------ data

    def data(self, name):
        if name not in self._data:
            n_classes = 2 if name == "W1" else 3
            self._data[name] = classification(self.mode.n_samples, n_classes, name=name)
            self.data_text[name] = self._data[name].description
        return self._data[name]

    # ----------------------------------------------------------- tasks

    def wants(self, section):
        return self.sections is None or section in self.sections

    def add(self, section, key, function, rerun=True):
        if self.wants(section):
            self._tasks.append((key, function, rerun))

    def run(self):
        self._first_calls()
        results, durations = {}, {}
        for key, function, rerun in self._tasks:
            results[key], durations[key] = self._attempt(key, function)
        # Rerun what other processes disturbed, most disturbed first, within the
        # mode's time budget for reruns; keep the calmer attempt.
        budget = self.mode.rerun_budget
        for attempt in range(self.mode.reruns):
            disturbed = sorted(
                ((self._foreign(results[key]), key, function)
                 for key, function, rerun in self._tasks
                 if rerun and self._foreign(results[key]) is not None
                 and self._foreign(results[key]) > self.mode.disturbed_threshold),
                key=lambda item: -item[0],
            )
            for before, key, function in disturbed:
                if durations[key] > budget:
                    self.log.append(
                        f"{key}: other processes used {before:.0%} of the machine during it, "
                        f"but rerunning it ({durations[key]:.0f} s) would exceed the time "
                        "left for reruns; kept as measured"
                    )
                    continue
                _progress(f"rerunning {key}: other processes used {before:.0%} of the "
                          f"machine during it")
                again, spent = self._attempt(key, function)
                budget -= spent
                after = self._foreign(again)
                keep = again if after is not None and after < before else results[key]
                for item in keep:
                    item.attempts = attempt + 2
                results[key] = keep
                durations[key] = spent
                self.log.append(
                    f"{key}: rerun (other processes used {before:.0%} of the machine during "
                    f"the first attempt, {after:.0%} during the rerun); kept the "
                    f"{'rerun' if keep is again else 'first attempt'}"
                )
        for key, function, rerun in self._tasks:
            for item in results[key]:
                if isinstance(item, Row):
                    self.rows.append(item)
                elif isinstance(item, ScalingPoint):
                    self.scaling.append(item)

    @staticmethod
    def _foreign(items):
        values = [i.foreign for i in items if getattr(i, "foreign", None) is not None]
        return max(values) if values else None

    def _attempt(self, key, function):
        started = time.perf_counter()
        try:
            with CpuMonitor() as monitor:
                items = function()
        finally:
            thaw()
        for item in items:
            item.foreign = monitor.foreign
        spent = time.perf_counter() - started
        foreign = "" if monitor.foreign is None else f", others used {monitor.foreign:.0%}"
        for item in items:
            if isinstance(item, Row):
                target = "" if item.informational else f" (target <= {item.target_text})"
                _progress(f"  {item.key}: {item.value:.3g}{target} {item.status}")
            elif isinstance(item, ScalingPoint):
                _progress(
                    f"  {item.pair} n={item.n_samples:_}: sknn {_fmt_seconds(item.sknn)}, "
                    f"sklearn {_fmt_seconds(item.other)}"
                )
        _progress(f"[{key}] {spent:.1f} s{foreign}")
        return items, spent

    def _first_calls(self):
        """Time the very first perceptron fit of this process (see the fresh rows for a new one)."""
        from sknn_basic import PerceptronClassifier, _perceptron_kernels

        X = np.random.RandomState(0).normal(size=(50, 4))
        y = (X[:, 0] > 0).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first, _ = timed(lambda: PerceptronClassifier(max_iter=2).fit(X, y))
            second, _ = timed(lambda: PerceptronClassifier(max_iter=2).fit(X, y))
        self.first_call = {
            "compiled": _perceptron_kernels.compiled_available(),
            "first": first,
            "second": second,
        }

    # ------------------------------------------------------- fit rows

    def _warm_up(self, specs, X, y):
        rows = min(WARMUP_ROWS, len(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for spec in specs:
                spec.build().fit(X[:rows], y[:rows])

    def _time_fits(self, sknn, other, X, y, repeats):
        """Warm both up, then time their fits on (X, y) alternately (see ``alternate``)."""
        self._warm_up((sknn, other), X, y)

        def contender(spec):
            def make(repeat):
                estimator = spec.build()
                return lambda: estimator.fit(X, y)
            return make

        return alternate([("sknn", contender(sknn)), ("other", contender(other))], repeats)

    def fit_row(self, *, key, section, workload, pair, setting, sknn, other, target,
                target_text, per_epoch=False, expect_epochs=None, accuracy_tolerance=None,
                seed_per_repeat=False, notes=()):
        def task():
            data = self.data(workload)
            X, y = data.X_train, data.y_train
            self._warm_up((sknn, other), X, y)

            def contender(spec):
                def make(repeat):
                    estimator = spec.build(**({"random_state": repeat} if seed_per_repeat else {}))
                    return lambda: estimator.fit(X, y)
                return make

            times, fitted, seen = alternate(
                [("sknn", contender(sknn)), ("other", contender(other))], self.mode.repeats
            )
            if seed_per_repeat:
                acc = tuple(
                    float(np.mean([e.score(data.X_test, data.y_test) for e in fitted[side]]))
                    for side in ("sknn", "other")
                )
                acc_sd = tuple(
                    float(np.std([e.score(data.X_test, data.y_test) for e in fitted[side]]))
                    for side in ("sknn", "other")
                )
                acc_text = (f"mean over random_state 0..{self.mode.repeats - 1} "
                            f"(sd {100 * acc_sd[0]:.1f} / {100 * acc_sd[1]:.1f} points)")
            else:
                acc = tuple(fitted[side][-1].score(data.X_test, data.y_test)
                            for side in ("sknn", "other"))
                acc_text = ""
            n_iter = (_n_iter(fitted["sknn"][-1]), _n_iter(fitted["other"][-1]))
            row_notes = list(notes)
            if expect_epochs is not None and n_iter != (expect_epochs, expect_epochs):
                row_notes.append(f"epochs run {n_iter}, expected {expect_epochs} each: "
                                 "the comparison is not like for like")
            row_notes += _warnings_note(seen["sknn"], "sknn-basic")
            row_notes += _warnings_note(seen["other"], "scikit-learn")
            med = {side: median(times[side]) for side in times}
            metric = "fit time"
            if per_epoch:
                metric = "fit time per epoch"
                med = {"sknn": med["sknn"] / n_iter[0], "other": med["other"] / n_iter[1]}
            return [Row(
                key=key, section=section, pair=pair, workload=workload, setting=setting,
                metric=metric, unit="s", sknn=med["sknn"], other=med["other"],
                target=target, target_text=target_text, accuracy=acc,
                accuracy_tolerance=accuracy_tolerance, accuracy_text=acc_text,
                n_iter=n_iter, notes=row_notes, times=times,
            )]

        self.add("fit", key, task)

    def add_fit_rows(self):
        workloads = ["W1"] + (["W2"] if self.mode.w2 else [])
        for w in workloads:
            self.fit_row(
                key=f"{w}-perceptron", section="fit", workload=w,
                pair="PerceptronClassifier / Perceptron",
                setting=f"{EPOCHS} epochs, tol=None, shuffled, same random_state",
                sknn=Spec(PERCEPTRON, dict(max_iter=EPOCHS, tol=None, shuffle=True,
                                           random_state=0)),
                other=Spec(SK_PERCEPTRON, dict(max_iter=EPOCHS, tol=None, shuffle=True,
                                               random_state=0)),
                target=1.0, target_text="1.0", expect_epochs=EPOCHS, accuracy_tolerance=1.0,
                seed_per_repeat=True,
                notes=["repeat r uses random_state=r for both, so the accuracy is a mean "
                       "over seeds (the last weights of the plain perceptron vary a lot "
                       "with the sample order)"] + ([] if w == "W1" else [
                           "one-vs-rest: every class's perceptron of PerceptronClassifier "
                           "sees the same sample order (its specified rule), while "
                           "Perceptron shuffles each class's problem with its own seed; "
                           "on this data the shared order costs accuracy"]),
            )
            self.fit_row(
                key=f"{w}-sgd", section="fit", workload=w,
                pair="SigmoidGDClassifier / SGDClassifier(loss='log_loss')",
                setting=f"{EPOCHS} epochs, tol=None both; sknn batch_size='auto', "
                        "SGDClassifier per sample",
                sknn=Spec(SIGMOID, dict(max_iter=EPOCHS, tol=None, random_state=0)),
                other=Spec(SK_SGD, dict(loss="log_loss", max_iter=EPOCHS, tol=None,
                                        random_state=0)),
                target=1.0, target_text="1.0", per_epoch=True, expect_epochs=EPOCHS,
                notes=["time per epoch: SGDClassifier updates per sample, sknn per "
                       "mini-batch (batch_size='auto' = max(200, n // 64) rows)"],
            )
            self.fit_row(
                key=f"{w}-logistic-defaults", section="fit", workload=w,
                pair="SigmoidGDClassifier() / LogisticRegression()",
                setting="both at defaults (random_state=0)",
                sknn=Spec(SIGMOID, dict(random_state=0)),
                other=Spec(SK_LOGISTIC, dict(random_state=0)),
                target=1.0, target_text="1.0", accuracy_tolerance=0.5,
            )
            for hidden in (2, 64):
                for batch in (200, None):
                    self._mlp_row(w, hidden, batch)
            self._deep_rows(w)
            if w in self.mode.defaults_on:
                self.fit_row(
                    key=f"{w}-mlp-defaults", section="fit", workload=w,
                    pair="TwoLayerBackpropClassifier() / MLPClassifier()",
                    setting="both at defaults (random_state=0): 64 vs 100 hidden units, "
                            "SGD+momentum vs Adam",
                    sknn=Spec(BACKPROP, dict(random_state=0)),
                    other=Spec(SK_MLP, dict(random_state=0)),
                    target=1.0, target_text="1.0", accuracy_tolerance=0.5,
                )

    def _mlp_row(self, workload, hidden, batch):
        n_train = int(round(0.8 * self.mode.n_samples))
        full = batch is None
        sknn = Spec(BACKPROP, dict(
            n_hidden=hidden, loss="log_loss", learning_rate=SHARED_LEARNING_RATE,
            learning_rate_schedule="constant", momentum=0.0, batch_size=batch,
            max_iter=EPOCHS, tol=None, alpha=0.0, random_state=0,
        ))
        other = Spec(SK_MLP, dict(
            hidden_layer_sizes=(hidden,), activation="logistic", solver="sgd",
            learning_rate="constant", learning_rate_init=SHARED_LEARNING_RATE, momentum=0.0,
            alpha=0.0, batch_size=n_train if full else batch, max_iter=EPOCHS, tol=0.0,
            n_iter_no_change=EPOCHS + 1, shuffle=not full, random_state=0,
        ))
        notes = []
        if full:
            notes.append("full batch: MLPClassifier(shuffle=False), since shuffling a "
                         "full batch changes nothing but costs a copy of X (sknn skips "
                         "it too)")
        self.fit_row(
            key=f"{workload}-mlp-h{hidden}-{'full' if full else batch}", section="fit",
            workload=workload,
            pair="TwoLayerBackpropClassifier / MLPClassifier(solver='sgd')",
            setting=f"{EPOCHS} epochs, {hidden} hidden, batch "
                    f"{'full' if full else batch}, lr {SHARED_LEARNING_RATE}, no momentum",
            sknn=sknn, other=other, target=0.5, target_text="0.5",
            expect_epochs=EPOCHS, notes=notes,
        )

    def _deep_rows(self, workload):
        """Two hidden layers of ``DEEP_LAYERS`` against MLP, classifier and regressor.

        Like for like: the same solver, batch, epochs, activations and no L2
        term.  The regressor learns the class label as a number (its R^2 on
        the test rows is the row's accuracy).
        """
        layers = DEEP_LAYERS
        never_stop = dict(tol=0.0, n_iter_no_change=EPOCHS + 1)
        self.fit_row(
            key=f"{workload}-deep-h{layers[0]}x{layers[1]}-200", section="fit",
            workload=workload,
            pair="BackpropClassifier / MLPClassifier(solver='sgd')",
            setting=f"{EPOCHS} epochs, hidden {layers}, sigmoid, batch 200, lr "
                    f"{SHARED_LEARNING_RATE}, no momentum",
            sknn=Spec(DEEP, dict(
                hidden_layer_sizes=layers, learning_rate=SHARED_LEARNING_RATE,
                learning_rate_schedule="constant", momentum=0.0, batch_size=200,
                max_iter=EPOCHS, tol=None, alpha=0.0, random_state=0)),
            other=Spec(SK_MLP, dict(
                hidden_layer_sizes=layers, activation="logistic", solver="sgd",
                learning_rate="constant", learning_rate_init=SHARED_LEARNING_RATE,
                momentum=0.0, alpha=0.0, batch_size=200, max_iter=EPOCHS, random_state=0,
                **never_stop)),
            target=0.5, target_text="0.5", accuracy_tolerance=0.5, expect_epochs=EPOCHS,
        )
        self.fit_row(
            key=f"{workload}-deep-regressor-h{layers[0]}x{layers[1]}-200", section="fit",
            workload=workload,
            pair="BackpropRegressor / MLPRegressor(solver='adam')",
            setting=f"{EPOCHS} epochs, hidden {layers}, relu, Adam lr 0.01, batch 200; "
                    "target: the class label as a number",
            sknn=Spec(DEEP_REGRESSOR, dict(
                hidden_layer_sizes=layers, learning_rate=0.01, batch_size=200,
                max_iter=EPOCHS, tol=None, alpha=0.0, random_state=0)),
            other=Spec(SK_MLP_REGRESSOR, dict(
                hidden_layer_sizes=layers, learning_rate_init=0.01, batch_size=200,
                max_iter=EPOCHS, alpha=0.0, random_state=0, **never_stop)),
            target=0.5, target_text="0.5", accuracy_tolerance=0.5, expect_epochs=EPOCHS,
            notes=["accuracy columns: R^2 on the test rows"],
        )

    def add_small_cv_rows(self):
        """Deep networks at defaults, cross-validated on the small data sets, in this process."""
        layers = DEEP_LAYERS
        self.add("cv", "small-cv-deep", self._small_cv_task(
            "small-cv-deep", f"BackpropClassifier({layers}) / MLPClassifier({layers})",
            Spec(DEEP, dict(hidden_layer_sizes=layers, random_state=0)),
            Spec(SK_MLP, dict(hidden_layer_sizes=layers, random_state=0))))

    def _small_cv_task(self, key, pair, sknn, other):
        def task():
            datasets = [d for d in self.mode.fresh_datasets
                        if d != "admissions" or ADMISSIONS_PATH.exists()]
            folds = self.mode.fresh_folds
            answers = {"sknn": [], "other": []}
            for _ in range(self.mode.repeats):
                for side, spec in (("sknn", sknn), ("other", other)):
                    answers[side].append(cross_validate_small(spec, datasets, folds))
            times = {side: [a["fit_time"] for a in answers[side]] for side in answers}
            last = {side: answers[side][-1]["accuracy"] for side in answers}
            notes = ["accuracy per data set (sknn / other): " + ", ".join(
                f"{d} {100 * last['sknn'][d]:.1f} / {100 * last['other'][d]:.1f}"
                for d in datasets)]
            return [Row(
                key=key, section="cv", pair=pair, workload="small data sets",
                setting=f"{folds}-fold CV at defaults but the hidden layers "
                        f"(random_state=0) on {', '.join(datasets)}: total fit time",
                metric="total CV fit time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=1.0, target_text="1.0",
                accuracy=tuple(float(np.mean(list(last[side].values())))
                               for side in ("sknn", "other")),
                accuracy_tolerance=1.0,
                accuracy_text="mean over the data sets of the mean over folds",
                notes=notes, times=times,
            )]

        return task

    # -------------------------------------------------------- W3: CV

    def add_cv_rows(self):
        pairs = [
            ("perceptron", "PerceptronClassifier() / Perceptron()",
             Spec(PERCEPTRON, dict(random_state=0)), Spec(SK_PERCEPTRON, dict(random_state=0))),
            ("logistic", "SigmoidGDClassifier() / LogisticRegression()",
             Spec(SIGMOID, dict(random_state=0)), Spec(SK_LOGISTIC, dict(random_state=0))),
            ("sgd", "SigmoidGDClassifier() / SGDClassifier(loss='log_loss')",
             Spec(SIGMOID, dict(random_state=0)),
             Spec(SK_SGD, dict(loss="log_loss", random_state=0))),
            ("mlp", "TwoLayerBackpropClassifier() / MLPClassifier()",
             Spec(BACKPROP, dict(random_state=0)), Spec(SK_MLP, dict(random_state=0))),
        ]
        for name, pair, sknn, other in pairs:
            self._cv_row(name, pair, sknn, other)

    def _cv_row(self, name, pair, sknn, other):
        folds = self.mode.cv_folds

        def task():
            from sklearn.model_selection import StratifiedKFold, cross_validate
            from sklearn.pipeline import make_pipeline

            from sknn_basic import AdmissionsPreprocessor

            frame, text = admissions()
            self.data_text["W3"] = (
                f"{text}: {len(frame)} rows; make_pipeline(AdmissionsPreprocessor(), "
                f"estimator) on gre, gpa, rank; StratifiedKFold({folds}, shuffle=True, "
                "random_state=0)"
            )
            X, y = frame[["gre", "gpa", "rank"]], frame["admit"]
            cv = StratifiedKFold(folds, shuffle=True, random_state=0)
            train, _ = next(cv.split(X, y))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for spec in (sknn, other):
                    make_pipeline(AdmissionsPreprocessor(), spec.build()).fit(
                        X.iloc[train], y.iloc[train])

            def contender(spec):
                def make(repeat):
                    pipeline = make_pipeline(AdmissionsPreprocessor(), spec.build())
                    return lambda: cross_validate(pipeline, X, y, cv=cv, error_score="raise")
                return make

            repeats = self.mode.repeats * self.mode.cheap_repeats
            times, results, seen = alternate(
                [("sknn", contender(sknn)), ("other", contender(other))], repeats
            )
            acc = tuple(float(np.mean(results[side][-1]["test_score"]))
                        for side in ("sknn", "other"))
            per_fold = {side: float(np.mean(results[side][-1]["fit_time"]))
                        for side in ("sknn", "other")}
            # The preparation, the same on both sides, takes most of each fold;
            # the estimators alone are timed on folds prepared beforehand.
            prepared = []
            for fold_train, fold_test in cv.split(X, y):
                prep = AdmissionsPreprocessor().fit(X.iloc[fold_train])
                prepared.append((prep.transform(X.iloc[fold_train]), y.iloc[fold_train].to_numpy(),
                                 prep.transform(X.iloc[fold_test]), y.iloc[fold_test].to_numpy()))

            def estimator_alone(spec):
                def make(repeat):
                    def call():
                        for X_tr, y_tr, X_te, y_te in prepared:
                            spec.build().fit(X_tr, y_tr).score(X_te, y_te)
                    return call
                return make

            alone, _, _ = alternate(
                [("sknn", estimator_alone(sknn)), ("other", estimator_alone(other))],
                repeats,
            )
            alone = {side: median(values) for side, values in alone.items()}
            notes = [f"time of the whole cross_validate call ({folds} fits, predictions and "
                     f"scores); mean fit per fold {_fmt_seconds(per_fold['sknn'])} vs "
                     f"{_fmt_seconds(per_fold['other'])}",
                     f"the estimators alone, fit and score on the {folds} folds prepared "
                     f"beforehand: {_fmt_seconds(alone['sknn'])} vs "
                     f"{_fmt_seconds(alone['other'])} (ratio "
                     f"{alone['sknn'] / alone['other']:.2f}); the rest of the CV time is "
                     "the preparation and cross_validate, the same for both"]
            notes += _warnings_note(seen["sknn"], "sknn-basic")
            notes += _warnings_note(seen["other"], "scikit-learn")
            return [Row(
                key=f"W3-cv-{name}", section="cv", pair=pair, workload="W3",
                setting=f"{folds}-fold CV, defaults (random_state=0)", metric="CV time",
                unit="s", sknn=median(times["sknn"]), other=median(times["other"]),
                target=1.0, target_text="1.0", accuracy=acc,
                accuracy_text=f"mean over the {folds} test folds", notes=notes, times=times,
            )]

        self.add("cv", f"W3-cv-{name}", task)

    # -------------------------------------------------------- predict

    def add_predict_rows(self):
        pairs = [
            ("perceptron", "PerceptronClassifier / Perceptron",
             Spec(PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0)),
             Spec(SK_PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0))),
            ("logistic", "SigmoidGDClassifier() / LogisticRegression()",
             Spec(SIGMOID, dict(random_state=0)), Spec(SK_LOGISTIC, dict(random_state=0))),
            ("sgd", "SigmoidGDClassifier / SGDClassifier(loss='log_loss')",
             Spec(SIGMOID, dict(max_iter=EPOCHS, tol=None, random_state=0)),
             Spec(SK_SGD, dict(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=0))),
            ("mlp-h64", "TwoLayerBackpropClassifier / MLPClassifier (64 hidden)",
             Spec(BACKPROP, dict(n_hidden=64, max_iter=EPOCHS, tol=None, random_state=0)),
             Spec(SK_MLP, dict(hidden_layer_sizes=(64,), activation="logistic", solver="sgd",
                               max_iter=EPOCHS, random_state=0))),
        ]
        for name, pair, sknn, other in pairs:
            self._predict_row(name, pair, sknn, other)

    def _predict_row(self, name, pair, sknn, other):
        def task():
            data = self.data("W1")
            X = data.X_all
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = {"sknn": sknn.build().fit(data.X_train, data.y_train),
                          "other": other.build().fit(data.X_train, data.y_train)}
                # Warm-up calls, which also size the batch of calls timed together.
                once = max(timed(lambda: fitted[s].predict(X))[0] for s in fitted)
            calls = max(1, math.ceil(self.mode.predict_seconds / max(once, 1e-6)))

            def contender(side):
                def make(repeat):
                    estimator = fitted[side]

                    def call():
                        for _ in range(calls):
                            estimator.predict(X)
                    return call
                return make

            # One untimed round of each, as long as a timed one: the first
            # rounds after the fits still pay for fresh memory pages.
            for side in ("sknn", "other"):
                contender(side)(0)()
            times, _, _ = alternate([("sknn", contender("sknn")), ("other", contender("other"))],
                                    self.mode.repeats * self.mode.cheap_repeats)
            times = {side: [t / calls for t in values] for side, values in times.items()}
            agree = float(np.mean(fitted["sknn"].predict(X) == fitted["other"].predict(X)))
            return [Row(
                key=f"W1-predict-{name}", section="predict", pair=pair, workload="W1",
                setting=f"predict on all {len(X):_} rows of W1; models fitted with "
                        f"{sknn.text()} / {other.text()}",
                metric="predict time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=1.0, target_text="1.0",
                notes=[f"each timing is {calls} call(s) in a row, divided by {calls}; "
                       f"the two models agree on {agree:.1%} of the rows"],
                times=times,
            )]

        self.add("predict", f"W1-predict-{name}", task)

    # ---------------------------------------------------------- memory

    def add_memory_rows(self):
        n_train = int(round(0.8 * self.mode.n_samples))
        pairs = [
            ("perceptron", "PerceptronClassifier / Perceptron", f"{EPOCHS} epochs",
             Spec(PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0)),
             Spec(SK_PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0))),
            ("sgd", "SigmoidGDClassifier / SGDClassifier(loss='log_loss')", f"{EPOCHS} epochs",
             Spec(SIGMOID, dict(max_iter=EPOCHS, tol=None, random_state=0)),
             Spec(SK_SGD, dict(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=0))),
            ("logistic", "SigmoidGDClassifier() / LogisticRegression()", "defaults",
             Spec(SIGMOID, dict(random_state=0)), Spec(SK_LOGISTIC, dict(random_state=0))),
        ]
        for batch in (200, None):
            pairs.append((
                f"mlp-h64-{batch or 'full'}",
                "TwoLayerBackpropClassifier / MLPClassifier(solver='sgd')",
                f"{EPOCHS} epochs, 64 hidden, batch {batch or 'full'}",
                Spec(BACKPROP, dict(n_hidden=64, learning_rate=SHARED_LEARNING_RATE,
                                    learning_rate_schedule="constant", momentum=0.0,
                                    batch_size=batch, max_iter=EPOCHS, tol=None,
                                    random_state=0)),
                Spec(SK_MLP, dict(hidden_layer_sizes=(64,), activation="logistic",
                                  solver="sgd", learning_rate_init=SHARED_LEARNING_RATE,
                                  momentum=0.0, alpha=0.0,
                                  batch_size=batch or n_train, shuffle=batch is not None,
                                  max_iter=EPOCHS, tol=0.0, n_iter_no_change=EPOCHS + 1,
                                  random_state=0)),
            ))
        for name, pair, setting, sknn, other in pairs:
            self._memory_row(name, pair, setting, sknn, other)

    def _memory_row(self, name, pair, setting, sknn, other):
        def task():
            data = self.data("W1")
            X, y = data.X_train, data.y_train
            self._warm_up((sknn, other), X, y)
            peak = {}
            for side, spec in (("sknn", sknn), ("other", other)):
                estimator = spec.build()
                peak[side], _ = traced_peak(lambda: estimator.fit(X, y))
            notes = [f"the training data itself: {X.nbytes / 2**20:.1f} MiB"]
            if self.mode.rss:
                rss = {side: _rss_delta(spec, self.mode.n_samples, 2, self.threads)
                       for side, spec in (("sknn", sknn), ("other", other))}
                if None not in rss.values():
                    notes.append(
                        f"RSS growth during fit in a fresh process: "
                        f"{rss['sknn'] / 2**20:.1f} vs {rss['other'] / 2**20:.1f} MiB"
                    )
            return [Row(
                key=f"W1-memory-{name}", section="memory", pair=pair, workload="W1",
                setting=setting, metric="peak traced memory during fit", unit="B",
                sknn=float(peak["sknn"]), other=float(peak["other"]), target=1.0,
                target_text="1.0", notes=notes,
            )]

        self.add("memory", f"W1-memory-{name}", task, rerun=False)

    # ---------------------------------------------------------- lessons

    def add_lesson_rows(self):
        self.add("lessons", "S3-lessons-loop", self._lesson_s3)
        self.add("lessons", "S6-lessons-loop", self._lesson_s6)

    def _lesson_common(self, key, full_epochs, loop_epochs, sknn_spec, loop_call, compare,
                       reference_check, setting):
        X, y, X_test, y_test, text = lesson_arrays()
        self.data_text["S7"] = f"lessons_features() of {text}: {X.shape[0]} training rows, " \
                               f"{X.shape[1]} features"
        y_int = y.astype(np.int64)
        # Same epochs on both sides for the weight check.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_model = sknn_spec.build(max_iter=loop_epochs).fit(X, y_int)
        loop_weights = loop_call(X, y, loop_epochs)
        difference = compare(check_model, loop_weights)
        reference = reference_check(check_model) if loop_epochs == full_epochs else None
        self.lessons.append({
            "key": key, "epochs": loop_epochs, "max_abs_difference": difference,
            "reference_difference": reference,
        })
        # Timing: sknn for the full run, the loop for loop_epochs (scaled).
        sknn_spec.build().fit(X, y_int)  # warm-up

        def make_sknn(repeat):
            estimator = sknn_spec.build()
            return lambda: estimator.fit(X, y_int)

        def make_loop(repeat):
            return lambda: loop_call(X, y, loop_epochs)

        times, _, _ = alternate([("sknn", make_sknn), ("other", make_loop)], self.mode.repeats)
        scale = full_epochs / loop_epochs
        times["other"] = [t * scale for t in times["other"]]
        notes = [f"final weights of sknn and of the loop after {loop_epochs} epochs differ "
                 f"by at most {difference:.1e} (must be <= 1e-8)"]
        if reference is not None:
            notes.append(f"sknn's weights differ from the lessons' published ones by at most "
                         f"{reference:.1e}")
        if loop_epochs != full_epochs:
            notes.append(f"the loop was timed for {loop_epochs} of {full_epochs} epochs and "
                         f"its time multiplied by {scale:g} (its cost is linear in the epochs)")
        return Row(
            key=key, section="lessons", pair="sknn-basic / the lessons' per-record loop",
            workload="S7", setting=setting, metric=f"fit time ({full_epochs} epochs)",
            unit="s", sknn=median(times["sknn"]), other=median(times["other"]),
            target=None, target_text="–", notes=notes, times=times,
            other_name="lessons' loop",
        )

    def _lesson_s3(self):
        settings = loops.S3_SETTINGS
        full = settings["epochs"]
        loop_epochs = (self.mode.loop_epochs or {}).get("S3", full)
        spec = Spec(SIGMOID, dict(loss="squared_error", learning_rate=settings["learning_rate"],
                                  max_iter=full, batch_size=None, fit_intercept=False,
                                  random_state=settings["seed"], tol=None))

        def loop_call(X, y, epochs):
            w0 = loops.s3_initial_weights(X.shape[1])
            return loops.s3_train(X, y, w0, epochs, settings["learning_rate"])

        def compare(model, weights):
            return float(np.max(np.abs(model.coef_.ravel() - weights)))

        def reference(model):
            ref = _reference("S3_sigmoid_gd_admissions")
            if ref is None or "weights" not in ref:
                return None
            return float(np.max(np.abs(model.coef_.ravel() - np.asarray(ref["weights"]))))

        row = self._lesson_common(
            "S3-lessons-loop", full, loop_epochs, spec, loop_call, compare, reference,
            f"S3: one sigmoid unit, no bias, squared error, full batch, lr "
            f"{settings['learning_rate']}, {full} epochs, seed {settings['seed']}",
        )
        return [row]

    def _lesson_s6(self):
        settings = loops.S6_SETTINGS
        full = settings["epochs"]
        loop_epochs = (self.mode.loop_epochs or {}).get("S6", full)
        spec = Spec(BACKPROP, dict(n_hidden=settings["n_hidden"], loss="squared_error",
                                   learning_rate=settings["learning_rate"], max_iter=full,
                                   batch_size=None, momentum=0.0, fit_intercept=False,
                                   init_scale=6 ** -0.5, random_state=settings["seed"],
                                   tol=None))

        def loop_call(X, y, epochs):
            w_ih, w_ho = loops.s6_initial_weights(X.shape[1])
            return loops.s6_train(X, y, w_ih, w_ho, epochs, settings["learning_rate"])

        def compare(model, weights):
            w_ih, w_ho = weights
            return float(max(np.max(np.abs(model.coefs_[0] - w_ih)),
                             np.max(np.abs(model.coefs_[1].ravel() - w_ho))))

        def reference(model):
            ref = _reference("S6_backprop_admissions")
            if ref is None or "weights_input_hidden" not in ref:
                return None
            return float(max(
                np.max(np.abs(model.coefs_[0] - np.asarray(ref["weights_input_hidden"]))),
                np.max(np.abs(model.coefs_[1].ravel()
                              - np.asarray(ref["weights_hidden_output"]))),
            ))

        row = self._lesson_common(
            "S6-lessons-loop", full, loop_epochs, spec, loop_call, compare, reference,
            f"S6: 6-{settings['n_hidden']}-1 sigmoid network, no biases, squared error, full "
            f"batch, lr {settings['learning_rate']}, {full} epochs, seed {settings['seed']}",
        )
        return [row]

    # ---------------------------------------------------------- scaling

    SCALING_PAIRS = (
        ("perceptron", "PerceptronClassifier / Perceptron",
         Spec(PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0)),
         Spec(SK_PERCEPTRON, dict(max_iter=EPOCHS, tol=None, random_state=0))),
        ("sgd", "SigmoidGDClassifier / SGDClassifier(loss='log_loss')",
         Spec(SIGMOID, dict(max_iter=EPOCHS, tol=None, random_state=0)),
         Spec(SK_SGD, dict(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=0))),
        ("mlp", "TwoLayerBackpropClassifier / MLPClassifier(solver='sgd')",
         Spec(BACKPROP, dict(n_hidden=64, learning_rate=SHARED_LEARNING_RATE,
                             learning_rate_schedule="constant", momentum=0.0, batch_size=200,
                             max_iter=EPOCHS, tol=None, random_state=0)),
         Spec(SK_MLP, dict(hidden_layer_sizes=(64,), activation="logistic", solver="sgd",
                           learning_rate_init=SHARED_LEARNING_RATE, momentum=0.0, alpha=0.0,
                           batch_size=200, max_iter=EPOCHS, tol=0.0,
                           n_iter_no_change=EPOCHS + 1, random_state=0))),
    )

    def add_scaling(self):
        for n in sorted(set(self.mode.scaling_sizes) | set(self.mode.scaling_sizes_mlp)):
            for name, pair, sknn, other in self.SCALING_PAIRS:
                sizes = self.mode.scaling_sizes_mlp if name == "mlp" else self.mode.scaling_sizes
                if n in sizes:
                    self.add("scaling", f"scaling-{name}-{n}",
                             self._scaling_task(name, pair, n, sknn, other))

    def _scaling_task(self, name, pair, n, sknn, other):
        def task():
            if self._data.get("scaling", (None,))[0] != n:
                self._data.pop("scaling", None)
                self._data["scaling"] = (n, *scaling_data(n))
            _, X, y = self._data["scaling"]
            times, _, _ = self._time_fits(sknn, other, X, y, self.mode.repeats)
            return [ScalingPoint(pair=pair, n_samples=n, sknn=median(times["sknn"]),
                                 other=median(times["other"]), times=times)]

        return task

    def scaling_specs(self):
        return {pair: (sknn, other) for _, pair, sknn, other in self.SCALING_PAIRS}

    # ------------------------------------------------- fresh processes

    def add_fresh_rows(self):
        self.add("fresh", "fresh-first-fit", self._fresh_first_fit)
        self.add("fresh", "fresh-W1-perceptron", self._fresh_w1_perceptron)
        for name, pair, sknn, other in FRESH_CV_PAIRS:
            if self.mode.fresh_cv_names is not None and name not in self.mode.fresh_cv_names:
                continue
            self.add("fresh", f"fresh-cv-{name}", self._fresh_cv_task(name, pair, sknn, other))

    def _fresh_note(self):
        notes = self.section_notes.setdefault("fresh", [])
        text = f"Environment: {self.environment.describe()}."
        if text not in notes:
            notes[:] = [n for n in notes if not n.startswith("Environment:")] + [text]

    def _fresh_first_fit(self):
        job = {"job": "first-fit"}
        env = self.environment
        env.run(job, self.threads)  # the package has run once (caches written)
        runs = [env.run(job, self.threads) for _ in range(self.mode.fresh_repeats)]
        self._fresh_note()
        first = median([r["first"] for r in runs])
        second = median([r["second"] for r in runs])
        kernel = "compiled" if all(r["compiled"] for r in runs) else "NumPy"
        return [Row(
            key="fresh-first-fit", section="fresh",
            pair="first / second PerceptronClassifier fit of a new process",
            workload="tiny", setting="PerceptronClassifier(max_iter=2) on 50 x 4, after one "
                                     "earlier run of the installed package",
            metric="fit time", unit="s", sknn=first, other=second, target=0.3,
            target_text="+0.3 s", compare="difference",
            notes=[f"median of {len(runs)} new processes; the {kernel} kernel was in use; "
                   f"importing sknn_basic took {_fmt_seconds(median([r['import'] for r in runs]))} "
                   "(with numpy, scipy, pandas and scikit-learn)"],
            times={"sknn": [r["first"] for r in runs], "other": [r["second"] for r in runs]},
            other_name="second fit",
        )]

    def _fresh_w1_perceptron(self):
        sknn = Spec(PERCEPTRON, dict(max_iter=EPOCHS, tol=None, shuffle=True))
        other = Spec(SK_PERCEPTRON, dict(max_iter=EPOCHS, tol=None, shuffle=True))
        answer = self.environment.run(
            {"job": "fit", "sknn": sknn.to_json(), "other": other.to_json(),
             "n_samples": self.mode.n_samples, "repeats": self.mode.repeats}, self.threads)
        self._fresh_note()
        accuracy = {side: answer["accuracy"][side] for side in ("sknn", "other")}
        return [Row(
            key="fresh-W1-perceptron", section="fresh", pair="PerceptronClassifier / Perceptron",
            workload="W1", setting=f"{EPOCHS} epochs, tol=None, shuffled, same random_state, "
                                   "in a child process of the fresh environment",
            metric="fit time", unit="s", sknn=median(answer["times"]["sknn"]),
            other=median(answer["times"]["other"]), target=1.0, target_text="1.0",
            accuracy=tuple(float(np.mean(accuracy[side])) for side in ("sknn", "other")),
            accuracy_tolerance=1.0,
            accuracy_text=f"mean over random_state 0..{self.mode.repeats - 1}",
            notes=["one warm-up fit of each on 5_000 rows first, as in the W1 rows"],
            times=answer["times"],
        )]

    def _fresh_cv_task(self, name, pair, sknn, other):
        def task():
            datasets = [d for d in self.mode.fresh_datasets
                        if d != "admissions" or ADMISSIONS_PATH.exists()]
            notes = []
            if len(datasets) < len(self.mode.fresh_datasets):
                notes.append(f"the admissions file was not found at {ADMISSIONS_PATH}: "
                             "skipped")
            folds = self.mode.fresh_folds
            answers = {"sknn": [], "other": []}
            for _ in range(self.mode.fresh_repeats):
                for side, spec in (("sknn", sknn), ("other", other)):
                    answers[side].append(self.environment.run(
                        {"job": "cv", "spec": spec.to_json(), "datasets": datasets,
                         "folds": folds}, self.threads))
            self._fresh_note()
            times = {side: [a["fit_time"] for a in answers[side]] for side in answers}
            last = {side: answers[side][-1]["accuracy"] for side in answers}
            accuracy = tuple(float(np.mean(list(last[side].values())))
                             for side in ("sknn", "other"))
            notes.append("accuracy per data set (sknn / other): " + ", ".join(
                f"{d} {100 * last['sknn'][d]:.1f} / {100 * last['other'][d]:.1f}"
                for d in datasets))
            notes.append(f"each contender in its own new process ({self.mode.fresh_repeats} "
                         "each, alternated), so its first-call costs count")
            return [Row(
                key=f"fresh-cv-{name}", section="fresh", pair=pair,
                workload="small data sets",
                setting=f"{folds}-fold CV at defaults (random_state=0) on "
                        f"{', '.join(datasets)}: total fit time in one new process",
                metric="total CV fit time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=1.0, target_text="1.0",
                accuracy=accuracy, accuracy_tolerance=1.0,
                accuracy_text="mean over the data sets of the mean over folds",
                notes=notes, times=times,
            )]

        return task

    # ------------------------------------------------------ PyTorch peer

    def add_torch_rows(self):
        for dtype in ("float32", "float64"):
            for batch in (200, None):
                key = f"W1-torch-h64-{batch or 'full'}-{dtype}"
                self.add("torch", key, self._torch_task(key, batch, dtype))

    def _torch_task(self, key, batch, dtype):
        def task():
            # PyTorch's OpenMP threads would otherwise spin after each of its
            # operations, taking the cores from the BLAS threads of the
            # contender timed next (seconds lost on two busy cores).
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import torch  # noqa: F401
            except ImportError:
                self.section_notes["torch"] = [
                    "torch is not importable here: the PyTorch rows were skipped "
                    "(`pip install torch` to run them)."]
                return []
            from .torch_peer import TorchNetwork

            data = self.data("W1")
            X = data.X_train.astype(dtype)
            y = data.y_train
            sknn = Spec(BACKPROP, dict(
                n_hidden=64, loss="log_loss", learning_rate=SHARED_LEARNING_RATE,
                learning_rate_schedule="constant", momentum=0.0, batch_size=batch,
                max_iter=EPOCHS, tol=None, alpha=0.0, random_state=0))

            def contender(build):
                def make(repeat):
                    estimator = build()
                    return lambda: estimator.fit(X, y)
                return make

            def peer():
                return TorchNetwork(n_hidden=64, learning_rate=SHARED_LEARNING_RATE,
                                    batch_size=batch, epochs=EPOCHS, dtype=dtype,
                                    threads=self.threads, random_state=0)

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sknn.build().fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
                peer().fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
            times, fitted, _ = alternate([("sknn", contender(sknn.build)),
                                          ("other", contender(peer))], self.mode.repeats)
            X_test = data.X_test.astype(dtype)
            accuracy = tuple(float(fitted[side][-1].score(X_test, data.y_test))
                             for side in ("sknn", "other"))
            return [Row(
                key=key, section="torch",
                pair=f"TwoLayerBackpropClassifier / PyTorch {torch.__version__}",
                workload="W1",
                setting=f"{EPOCHS} epochs, 64 sigmoid hidden units, log loss, plain SGD lr "
                        f"{SHARED_LEARNING_RATE}, batch {batch or 'full'}, {dtype}",
                metric="fit time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=1.0, target_text="1.0",
                accuracy=accuracy, times=times, other_name="PyTorch",
                notes=[TorchNetwork.LOOP_TEXT + f"; torch.set_num_threads({self.threads})"],
            )]

        return task

    # ------------------------------------------------------------ float32

    def add_float32_rows(self):
        specs = [
            ("mlp-h64-200", "TwoLayerBackpropClassifier, 64 hidden, batch 200",
             Spec(BACKPROP, dict(n_hidden=64, learning_rate_schedule="constant",
                                 momentum=0.0, batch_size=200, max_iter=EPOCHS, tol=None,
                                 random_state=0))),
            ("mlp-h64-full", "TwoLayerBackpropClassifier, 64 hidden, full batch",
             Spec(BACKPROP, dict(n_hidden=64, learning_rate_schedule="constant",
                                 momentum=0.0, batch_size=None, max_iter=EPOCHS, tol=None,
                                 random_state=0))),
            ("sgd", "SigmoidGDClassifier, batch_size='auto'",
             Spec(SIGMOID, dict(max_iter=EPOCHS, tol=None, random_state=0))),
        ]
        for name, pair, spec in specs:
            self.add("float32", f"W1-float32-{name}", self._float32_task(name, pair, spec))

    def _float32_task(self, name, pair, spec):
        def task():
            data = self.data("W1")
            inputs = {"sknn": data.X_train.astype(np.float32), "other": data.X_train}
            y = data.y_train
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for X in inputs.values():
                    spec.build().fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])

            def contender(side):
                def make(repeat):
                    estimator = spec.build()
                    return lambda: estimator.fit(inputs[side], y)
                return make

            times, fitted, _ = alternate([("sknn", contender("sknn")),
                                          ("other", contender("other"))], self.mode.repeats)
            accuracy = (float(fitted["sknn"][-1].score(data.X_test.astype(np.float32),
                                                       data.y_test)),
                        float(fitted["other"][-1].score(data.X_test, data.y_test)))
            return [Row(
                key=f"W1-float32-{name}", section="float32", pair=f"{pair}: float32 / float64",
                workload="W1", setting=f"{spec.text()} on float32 and on float64 input",
                metric="fit time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=None, target_text="–",
                accuracy=accuracy, times=times, other_name="float64",
                notes=["the same estimator on both sides: a ratio below 1 is what float32 "
                       "saves; the training data take half the memory in float32"],
            )]

        return task

    # ------------------------------------------------- fixed cost (S7)

    def add_fixed_cost_rows(self):
        pairs = [
            ("perceptron", "PerceptronClassifier / Perceptron",
             Spec(PERCEPTRON, dict(max_iter=1, tol=None, random_state=0)),
             Spec(SK_PERCEPTRON, dict(max_iter=1, tol=None, random_state=0))),
            ("sigmoid", "SigmoidGDClassifier / LogisticRegression",
             Spec(SIGMOID, dict(max_iter=1, tol=None, random_state=0)),
             Spec(SK_LOGISTIC, dict(max_iter=1, random_state=0))),
            ("backprop", "TwoLayerBackpropClassifier / LogisticRegression",
             Spec(BACKPROP, dict(max_iter=1, tol=None, random_state=0)),
             Spec(SK_LOGISTIC, dict(max_iter=1, random_state=0))),
        ]
        for name, pair, sknn, other in pairs:
            self.add("fixed", f"S7-fixed-{name}", self._fixed_task(name, pair, sknn, other))

    def _fixed_task(self, name, pair, sknn, other):
        def task():
            X, y, _, _, text = lesson_arrays()
            self.data_text["S7"] = (f"lessons_features() of {text}: {X.shape[0]} training "
                                    f"rows, {X.shape[1]} features")
            times, _, _ = self._time_fits(sknn, other, X, y.astype(np.int64),
                                          self.mode.fixed_repeats)
            return [Row(
                key=f"S7-fixed-{name}", section="fixed", pair=pair, workload="S7",
                setting=f"{sknn.text()} / {other.text()}: one epoch (one iteration)",
                metric="fit time", unit="s", sknn=median(times["sknn"]),
                other=median(times["other"]), target=1.0, target_text="1.0", times=times,
                notes=[f"median of {self.mode.fixed_repeats} fits each: on 360 rows one "
                       "epoch costs little, so this is what every fit call pays "
                       "(validation, set-up, the result's attributes)"],
            )]

        return task

    # ------------------------------------------------------------ loader

    def add_loader_rows(self):
        self.add("loader", "loader-time", self._loader_task, rerun=False)

    def _loader_task(self):
        from . import loader

        figures = loader.measure(self.mode.loader_rows, repeats=self.mode.repeats,
                                 memory=self.mode.rss)
        workload = f"{figures['rows']:,} rows ({figures['megabytes']:.0f} MB)"
        seconds = figures["seconds"]
        rows = [Row(
            key="loader-time", section="loader", pair="load_admissions / pd.read_csv",
            workload=workload, setting="a synthetic admissions CSV, every cell valid",
            metric="read time", unit="s", sknn=seconds["load_admissions"],
            other=seconds["read_csv"], target=loader.TIME_TARGET,
            target_text=str(loader.TIME_TARGET), other_name="pandas.read_csv",
            notes=[f"median of {self.mode.repeats} alternating reads; load_admissions also "
                   "validates every cell and keeps its messages (file, column, first bad row)"],
        )]
        if figures["delta_bytes"] is not None:
            delta = figures["delta_bytes"]
            rows.append(Row(
                key="loader-memory", section="loader", pair="load_admissions / pd.read_csv",
                workload=workload, setting="peak memory growth of a fresh process reading it",
                metric="peak memory", unit="B", sknn=delta["load_admissions"],
                other=delta["read_csv"], target=loader.MEMORY_TARGET,
                target_text=str(loader.MEMORY_TARGET), other_name="pandas.read_csv",
            ))
        return rows

    # -------------------------------------------------------------- dask

    def add_dask_rows(self):
        self.add("dask", "dask-cluster", self._dask_task, rerun=False)

    def _dask_task(self):
        from . import dask_bench

        notes = self.section_notes.setdefault("dask", [])
        if not self.mode.dask_rows:
            notes.append(f"skipped in {self.mode.name} mode (a LocalCluster costs seconds "
                         "to start); `python -m benchmarks --only dask` runs it.")
            return []
        try:
            rows, facts = dask_bench.dask_rows(n_rows=self.mode.dask_rows, progress=_progress)
        except ImportError as exc:
            notes.append(f"dask, distributed or dask-ml is not importable ({exc}): the "
                         "section was skipped (`pip install \"sknn-basic[dask]\" dask-ml`).")
            return []
        notes.append("Projection on paper from the measured per-row compute and per-epoch "
                     "overhead (no cluster of that size was run):\n\n"
                     + dask_bench.projection(facts))
        return rows

    # --------------------------------------------------------- building

    def build(self):
        self.add_fit_rows()
        self.add_cv_rows()
        self.add_small_cv_rows()
        self.add_predict_rows()
        self.add_fixed_cost_rows()
        self.add_float32_rows()
        self.add_torch_rows()
        self.add_lesson_rows()
        self.add_scaling()
        self.add_memory_rows()
        self.add_fresh_rows()
        self.add_loader_rows()
        self.add_dask_rows()
        from .onnx_bench import add_onnx_rows
        add_onnx_rows(self)
        time_to_model.add_rows(self)
        return self


#: The fresh-process cross-validation pairs: each estimator at defaults.
FRESH_CV_PAIRS = (
    ("perceptron", "PerceptronClassifier() / Perceptron()",
     Spec(PERCEPTRON, dict(random_state=0)), Spec(SK_PERCEPTRON, dict(random_state=0))),
    ("logistic", "SigmoidGDClassifier() / LogisticRegression()",
     Spec(SIGMOID, dict(random_state=0)), Spec(SK_LOGISTIC, dict(random_state=0))),
    ("mlp", "TwoLayerBackpropClassifier() / MLPClassifier()",
     Spec(BACKPROP, dict(random_state=0)), Spec(SK_MLP, dict(random_state=0))),
)


def _reference(key):
    import json

    from .workloads import ADMISSIONS_PATH

    path = ADMISSIONS_PATH.parents[1] / "reference" / "seed_reference.json"
    if not path.exists() or not ADMISSIONS_PATH.exists():
        return None
    return json.loads(path.read_text()).get(key)


def _rss_delta(spec, n_samples, n_classes, threads):
    import json
    import subprocess
    from pathlib import Path

    job = {"spec": spec.to_json(), "n_samples": n_samples, "n_classes": n_classes,
           "threads": threads}
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks._rss_child", json.dumps(job)],
            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
            timeout=600, check=True,
        )
        return json.loads(completed.stdout.strip().splitlines()[-1])["delta"]
    except (subprocess.SubprocessError, OSError, ValueError, KeyError, IndexError):
        return None
