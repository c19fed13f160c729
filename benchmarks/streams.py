"""How well a stream of ``partial_fit`` calls learns: the network against ``MLPClassifier``.

Run as ``python -m benchmarks.streams [--seeds K] [--out FILE]``.  This is a
table of accuracies, not of times, so it stands apart from the timed suite.
Both estimators get the same chunks, at their defaults (the network's
include its replay memory, ``replay_size=200``), on standardised data:

* learning curves: ``learning_curve(..., exploit_incremental_learning=True)``
  with 5-fold stratified CV, which feeds each fold's training rows to
  ``partial_fit`` in chunks, in the rows' order ("file": iris, wine and
  breast_cancer are sorted by class, so a chunk may hold one class) or
  shuffled.  Two chunk schedules: five growing chunks (5, 10, 25, 50 and
  100 % of the rows) and ten equal ones.
* long streams: the training rows (75 %, stratified) in chunks of 10 and of
  50 rows, five passes, scored on the held-out 25 % after the first and the
  last pass.

Every figure is the mean over ``--seeds`` random states (of both estimators,
and of the shuffling): at one seed, a network that has seen a single class
scores whatever its random initial weights happen to give the others.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

__all__ = ["learning_curves", "long_streams", "main"]

SCHEDULES = {"5 growing": [0.05, 0.1, 0.25, 0.5, 1.0], "10 equal": list(np.linspace(0.1, 1.0, 10))}


def _data_sets():
    """The suite's small data sets, each prepared as its CV rows prepare it.

    ``partial_fit`` needs arrays (a pipeline has none), so each set's own
    preparation (a ``StandardScaler``, or ``AdmissionsPreprocessor``) is
    applied once up front.
    """
    from .workloads import small_datasets

    names = ["admissions", "breast_cancer", "wine", "iris", "digits"]
    return {
        name: (np.asarray(make_pipeline("passthrough").fit_transform(X), dtype=float),
               np.asarray(y))
        for name, X, y, make_pipeline in small_datasets(names)
    }


def _contenders(seed):
    from sklearn.neural_network import MLPClassifier

    from sknn_basic import TwoLayerBackpropClassifier

    return {"MLPClassifier": MLPClassifier(random_state=seed),
            "TwoLayerBackpropClassifier": TwoLayerBackpropClassifier(random_state=seed)}


def learning_curves(sets, seeds):
    """Rows of (data, schedule, order, {name: (final, mean over the curve)})."""
    from sklearn.model_selection import learning_curve

    rows = []
    for name, (X, y) in sets.items():
        for schedule, sizes in SCHEDULES.items():
            for shuffle in (False, True):
                finals, means = {}, {}
                for seed in range(seeds):
                    for label, est in _contenders(seed).items():
                        _, _, test = learning_curve(
                            est, X, y, train_sizes=sizes, cv=5,
                            exploit_incremental_learning=True, shuffle=shuffle,
                            random_state=seed,
                        )
                        curve = test.mean(axis=1)
                        finals.setdefault(label, []).append(curve[-1])
                        means.setdefault(label, []).append(curve.mean())
                rows.append((name, schedule, "shuffled" if shuffle else "file",
                             {label: (np.mean(finals[label]), np.mean(means[label]))
                              for label in finals}))
    return rows


def long_streams(seeds, passes=5):
    """Rows of (data, chunk rows, {name: (after one pass, after all, final step)})."""
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    sets = {
        "digits": load_digits(return_X_y=True),
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "synthetic 20k x 20, 3 classes": make_classification(
            20_000, 20, n_informative=10, n_classes=3, random_state=0),
    }
    rows = []
    for name, (X, y) in sets.items():
        X = StandardScaler().fit_transform(X)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
        classes = np.unique(y)
        for chunk in (10, 50):
            figures = {}
            for seed in range(seeds):
                for label, est in _contenders(seed).items():
                    scores = []
                    for _ in range(passes):
                        for start in range(0, len(X_train), chunk):
                            est.partial_fit(X_train[start:start + chunk],
                                            y_train[start:start + chunk], classes=classes)
                        scores.append(est.score(X_test, y_test))
                    step = getattr(est, "learning_rate_", None)
                    figures.setdefault(label, []).append((scores[0], scores[-1], step))
            rows.append((name, chunk, {
                label: (np.mean([f[0] for f in runs]), np.mean([f[1] for f in runs]),
                        runs[0][2])
                for label, runs in figures.items()}))
    return rows


def _report(curves, streams, seeds, seconds):
    mlp, ours = "MLPClassifier", "TwoLayerBackpropClassifier"
    lines = [
        "# Streams of partial_fit calls: TwoLayerBackpropClassifier against MLPClassifier",
        "",
        f"Both at their defaults, on the same chunks; each figure is the mean over {seeds} "
        f"random states. Made by `python -m benchmarks.streams` in {seconds:.0f} s. The "
        "network's defaults include `replay_size=200`: each call also trains on rows "
        "remembered from the earlier calls.",
        "",
        "## Learning curves (5-fold CV, exploit_incremental_learning=True)",
        "",
        "Test accuracy after the whole stream (final) and averaged over the curve's points "
        "(mean). \"file\" keeps the rows' order: iris, wine and breast_cancer are sorted by "
        "class, so their first chunks hold one class.",
        "",
        "| data | chunks | order | MLP final | ours final | MLP mean | ours mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, schedule, order, fig in curves:
        lines.append(f"| {name} | {schedule} | {order} | {fig[mlp][0]:.3f} | {fig[ours][0]:.3f} "
                     f"| {fig[mlp][1]:.3f} | {fig[ours][1]:.3f} |")
    lines += [
        "",
        "## Long streams (five passes over the training rows)",
        "",
        "Held-out accuracy after the first and the fifth pass; `learning_rate_` is our step "
        "at the end (it starts at 0.5).",
        "",
        "| data | chunk rows | MLP pass 1 | ours pass 1 | MLP pass 5 | ours pass 5 "
        "| ours learning_rate_ |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, chunk, fig in streams:
        lines.append(f"| {name} | {chunk} | {fig[mlp][0]:.3f} | {fig[ours][0]:.3f} "
                     f"| {fig[mlp][1]:.3f} | {fig[ours][1]:.3f} | {fig[ours][2]:.3g} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.streams", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="random states averaged (default: 5)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("streams.md"),
                        help="the Markdown file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    start = time.perf_counter()
    with warnings.catch_warnings():
        # MLPClassifier warns on every one-epoch partial_fit call.
        warnings.simplefilter("ignore")
        curves = learning_curves(_data_sets(), args.seeds)
        streams = long_streams(args.seeds)
    text = _report(curves, streams, args.seeds, time.perf_counter() - start)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
