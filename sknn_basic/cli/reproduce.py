"""``sknn-basic reproduce``: rerun the lessons' S3 and S6 runs and check every figure."""

import os

import numpy as np

from . import _data, _parser
from ._data import baseline_verdict, majority_baseline
from ._errors import MISMATCH, OK, UsageError
from ._registry import MODELS
from .._lessons import LESSON_FEATURES, LESSON_FIGURES

# Absolute tolerance of `reproduce` (the reference README asks for 1e-8).
TOLERANCE = 1e-8
TOLERANCE_TEXT = "1e-8"


def add_parser(commands):
    """Add the ``reproduce`` subparser to ``commands``."""
    reproduce = commands.add_parser(
        "reproduce",
        parents=[
            _parser.data_parent(
                help="the real admissions CSV file (binary.csv); default: the copy "
                "fetch_admissions() keeps in its cache folder, downloaded from UCLA's "
                "statistics site on first use (the synthetic data cannot reproduce "
                "the course's numbers)",
            ),
            _parser.quiet_parent(),
        ],
        help="rerun the lessons' S3 and S6 runs on the real file and check them",
        description="Rerun the lessons' sigmoid-unit run (S3) and backpropagation "
        "run (S6) on the real admissions file, exactly as the course does, and "
        "print every figure (weights, test accuracy, S3's training MSE every 100 "
        "epochs) beside the course's published value. Exit status 0 when all "
        f"agree within {TOLERANCE_TEXT}, 1 otherwise.",
    )
    reproduce.set_defaults(handler=run)


def _figure_line(label, value, expected):
    difference = abs(value - expected)
    ok = difference <= TOLERANCE
    marker = "match" if ok else "MISMATCH"
    line = (
        f"  {label:<26} {value: .12f}  expected {expected: .12f}  "
        f"|diff| {difference:.1e}  {marker}"
    )
    return line, ok


def _s3_figures(s3, X_test, y_test):
    expected = LESSON_FIGURES["S3_sigmoid_gd_admissions"]
    lines = [
        (f"weight {name}", float(value), target)
        for name, value, target in zip(LESSON_FEATURES, s3.coef_[0], expected["weights"])
    ]
    # loss_curve_[k] is the mean of (y - o)^2 / 2 before epoch k's update, so
    # the MSE after the update of epoch k is 2 * loss_curve_[k + 1].
    mse = 2.0 * np.asarray(s3.loss_curve_[1::100], dtype=float)
    published = expected["train_mse_every_100_epochs"]
    if len(mse) < len(published):
        raise UsageError("S3 stopped before epoch 900; its MSE curve is incomplete")
    for epoch, value, target in zip(range(0, 100 * len(published), 100), mse, published):
        lines.append((f"train MSE after epoch {epoch}", float(value), target))
    lines.append(("test accuracy", float(s3.score(X_test, y_test)), expected["test_accuracy"]))
    return lines


def _s6_figures(s6, X_test, y_test):
    expected = LESSON_FIGURES["S6_backprop_admissions"]
    lines = []
    for i, name in enumerate(LESSON_FEATURES):
        for j in range(2):
            lines.append((
                f"weight {name} -> hidden {j}",
                float(s6.coefs_[0][i, j]),
                expected["weights_input_hidden"][i][j],
            ))
    for j in range(2):
        lines.append((
            f"weight hidden {j} -> output",
            float(s6.coefs_[1][j, 0]),
            expected["weights_hidden_output"][j],
        ))
    lines.append(("test accuracy", float(s6.score(X_test, y_test)), expected["test_accuracy"]))
    return lines


#: How S3's two loss figures relate (printed under its title).
S3_LOSS_NOTE = (
    "(Epochs count from 0. 'train MSE after epoch e' is the lessons' mean of "
    "(y - o)^2 after epoch e's update, which is 2 x loss_curve_[e + 1]; "
    "'sknn-basic train sigmoid' prints loss_curve_[e] as 'Epoch e', half the "
    "MSE before that update.)"
)

#: The two runs: label, model, title, a note under the title, and how to read its figures.
RUNS = (
    ("S3", "sigmoid", "S3: one sigmoid unit, no bias, squared error, full-batch gradient "
     "descent, learning rate 0.5, 1000 epochs, seed 42", S3_LOSS_NOTE, _s3_figures),
    ("S6", "backprop", "S6: 6-2-1 sigmoid network, no biases, squared error, full-batch "
     "backpropagation, learning rate 0.005, 900 epochs, seed 21", None, _s6_figures),
)


def _course_file(printer):
    """The course's file from fetch_admissions' cache, downloaded on first use."""
    from .. import datasets

    path = datasets._admissions_cache_path()
    cached = os.path.exists(path)
    # The url read at call time, so that a test can point it at a local server.
    frame = printer.run("data", lambda: datasets.fetch_admissions(url=datasets.ADMISSIONS_URL),
                        progress=None if cached else "downloading the admissions file ...")
    origin = "cached" if cached else f"downloaded from {datasets.ADMISSIONS_URL}"
    return frame, (f"Data: the course's file, {path} ({origin}; {len(frame)} rows, "
                   f"{int(frame['admit'].sum())} admitted)")


def run(args, printer):
    """Rerun S3 and S6; returns 0 when every figure matches, 1 otherwise."""
    if args.data is None:
        frame, data_text = _course_file(printer)
    else:
        frame, data_text = _data.load(printer, args.data)
    X_train, X_test, y_train, y_test = _data.lesson_split(
        printer, frame, _data.describe(args.data)
    )
    printer.say(data_text)
    figures = []
    scores = []
    for label, model, title, note, read in RUNS:
        spec = MODELS[model]
        estimator = spec.make(spec.lesson_settings)
        printer.run(label, lambda: estimator.fit(X_train, y_train),
                    progress=f"rerunning {label} ...")
        figures.append((title, note, read(estimator, X_test, y_test)))
        scores.append((label, float(estimator.score(X_test, y_test))))

    total = matched = 0
    for title, note, lines in figures:
        printer.result(title)
        if note:
            printer.say(note)
        for label, value, target in lines:
            line, ok = _figure_line(label, value, target)
            printer.result(line)
            total += 1
            matched += ok
    baseline, baseline_text = majority_baseline(y_train, y_test)
    printer.result(baseline_text)
    verdict = baseline_verdict(scores, baseline)
    if verdict is not None:
        printer.result(verdict)
    if matched == total:
        printer.result(f"All {total} figures match the lessons (tolerance {TOLERANCE_TEXT}).")
        return OK
    printer.result(
        f"{total - matched} of {total} figures do NOT match the lessons "
        f"(tolerance {TOLERANCE_TEXT})."
    )
    return MISMATCH
