"""The ``sknn-basic`` command line: train, reproduce and compare the lessons' models.

Three subcommands, each composing the package's public pieces (no algorithm
lives here; this module only parses, composes and prints):

``sknn-basic train {perceptron,sigmoid,backprop}``
    Prepare the data the lessons' way (:func:`~sknn_basic.datasets.lessons_features`),
    train one estimator with ``verbose=1`` (the training loss at ten evenly
    spaced epochs, flagged when it rises), then print its test accuracy and
    that of its scikit-learn counterpart on the same split.
``sknn-basic reproduce --data PATH``
    Rerun the lessons' S3 and S6 runs on the real file and check every figure
    against the course's published numbers (exit status 1 on any mismatch).
``sknn-basic compare``
    Stratified K-fold cross-validation of the three estimators and their
    scikit-learn counterparts, each in
    ``make_pipeline(AdmissionsPreprocessor(), estimator)`` (leak-free).

Without ``--data`` the embedded synthetic data set
(:func:`~sknn_basic.datasets.load_default_admissions`) is used, and the first
line of output says so.  Bad input gives one ``sknn-basic: error: ...`` line
on stderr and exit status 2; warnings raised while training are shown as one
``sknn-basic: note: ...`` line each on stderr; progress is written to stderr
only when it is a terminal; ``--quiet`` leaves only the results.

The same command runs as ``python -m sknn_basic``.
"""

import argparse
import contextlib
import math
import os
import sys
import warnings

import numpy as np

__all__ = ["main"]

PROG = "sknn-basic"

# --------------------------------------------------------------------------
# The lessons' published figures that `reproduce` checks.
#
# Source: the course's golden numbers, ../shared/reference/seed_reference.json
# next to the repository (keys S3_sigmoid_gd_admissions and
# S6_backprop_admissions), produced by the lessons' own per-sample loops on
# the real admissions file.  They are facts of the course, copied here so that
# the command does not depend on the repository layout at run time;
# tests/test_cli.py checks that this dict still equals the JSON file.
# --------------------------------------------------------------------------
_LESSON_FIGURES = {
    "S3_sigmoid_gd_admissions": {
        "weights": [
            0.25311107390812637,
            0.3003922887495849,
            0.09942036815194526,
            -0.6180836823480238,
            -1.1427964565805877,
            -1.4147913849203286,
        ],
        "train_mse_every_100_epochs": [
            0.2627609384996635,
            0.20928619409324875,
            0.20084292908073426,
            0.19862156475527873,
            0.19779851396686027,
            0.19742577912189868,
            0.1972350774624106,
            0.1971294562509248,
            0.19706766341315082,
            0.1970300580177737,
        ],
        "test_accuracy": 0.725,
    },
    "S6_backprop_admissions": {
        "weights_input_hidden": [
            [-0.009556618004353177, -0.051427459999376215],
            [0.43475290688292334, -0.5173504334000478],
            [0.30361519024956235, -0.697987457252836],
            [-0.09360418557755963, -0.09032510533855595],
            [0.4465212363105238, 0.0030856417986596424],
            [-0.25923504948214177, 0.5655196985823127],
        ],
        "weights_hidden_output": [0.5406671741485963, -0.41408766980641915],
        "test_accuracy": 0.425,
    },
}

# Absolute tolerance of `reproduce` (the reference README asks for 1e-8).
_TOLERANCE = 1e-8
_TOLERANCE_TEXT = "1e-8"

# The lessons' runs, exactly (see ../shared/reference/README.md).
_S3_PARAMS = dict(
    loss="squared_error",
    learning_rate=0.5,
    max_iter=1000,
    batch_size=None,
    fit_intercept=False,
    random_state=42,
    tol=None,
)
_S6_PARAMS = dict(
    n_hidden=2,
    loss="squared_error",
    learning_rate=0.005,
    max_iter=900,
    batch_size=None,
    momentum=0.0,
    fit_intercept=False,
    init_scale=6**-0.5,
    random_state=21,
    tol=None,
)

# Settings of `train`, per model.  perceptron: Rosenblatt's rule for 100
# epochs, predicting with the averaged weights (the last weights of the plain
# rule on data that are not separable depend on which sample came last:
# 0.575 +- 0.16 test accuracy over seeds on the real file, against 0.750 for
# the average).  sigmoid: the lessons' S3 run.  backprop: the estimator's
# defaults (64 sigmoid hidden units, log loss, step 0.5, momentum 0.9) with a
# full batch like the lessons' and 100 epochs, which learns as well as
# logistic regression here (200 epochs start to overfit the 360 rows).  The
# lessons' own S6 settings barely train: accuracy 0.425.
_TRAIN_DEFAULTS = {
    "perceptron": dict(average=True, max_iter=100, tol=None, random_state=0),
    "sigmoid": dict(_S3_PARAMS),
    "backprop": dict(batch_size=None, max_iter=100, tol=None, random_state=0),
}

_MODEL_HELP = {
    "perceptron": "Rosenblatt's perceptron (PerceptronClassifier; compared with "
    "sklearn's Perceptron)",
    "sigmoid": "one sigmoid unit by gradient descent (SigmoidGDClassifier; compared "
    "with sklearn's LogisticRegression)",
    "backprop": "one hidden layer by backpropagation (TwoLayerBackpropClassifier; "
    "compared with sklearn's MLPClassifier)",
}

_FEATURE_NAMES = ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")


class _UsageError(Exception):
    """Bad input found after parsing; becomes one error line and status 2."""


# ------------------------------------------------------------------ parsing


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, exit status 2."""

    def error(self, message):
        hint = f" (see '{self.prog} --help')"
        self.exit(2, f"{PROG}: error: {_one_line(message)}{hint}\n")


def _checked_number(convert, is_valid, requirement):
    """An argparse type: ``convert(text)`` if it succeeds and ``is_valid``, else a one-line error."""

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}")
        return value

    return parse


_positive_int = _checked_number(int, lambda v: v >= 1, "a whole number >= 1")
_fold_count = _checked_number(int, lambda v: v >= 2, "a whole number of folds >= 2")
_positive_float = _checked_number(
    float, lambda v: math.isfinite(v) and v > 0, "a positive number"
)
_seed = _checked_number(
    int, lambda v: 0 <= v <= 2**32 - 1, "a whole number from 0 to 4294967295"
)


def _build_parser():
    from . import __version__

    common = _Parser(add_help=False)
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the results: no epoch lines, notes or progress",
    )
    data = _Parser(add_help=False)
    data.add_argument(
        "--data",
        metavar="PATH",
        help="admissions CSV file with the columns admit, gre, gpa, rank (default: "
        "the embedded synthetic data, calibrated to the published facts of the "
        "real file)",
    )

    parser = _Parser(
        prog=PROG,
        description="Train, reproduce and compare the perceptron, sigmoid unit and "
        "two-layer backpropagation network of the lessons on the UCLA admissions "
        "data.",
        epilog="Without --data the synthetic admissions data are used. "
        f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        parents=[data, common],
        help="train one model the lessons' way and compare it with scikit-learn",
        description="Prepare the data the lessons' way (S7: rank one-hot encoded, "
        "gre and gpa standardised on the whole file, RandomState(42) split into "
        "90 % training and 10 % test rows), train the model printing its training "
        "loss at ten evenly spaced epochs (flagged when it rises), then print its "
        "test accuracy and that of its scikit-learn counterpart on the same split.",
        epilog="Defaults: perceptron: averaged perceptron, 100 epochs, seed 0; "
        "sigmoid: the lessons' S3 run (squared error, learning rate 0.5, 1000 "
        "epochs, full batch, no bias, seed 42); backprop: TwoLayerBackpropClassifier's "
        "defaults (64 hidden units, log loss, learning rate 0.5, momentum 0.9) "
        "with a full batch, 100 epochs, seed 0.",
    )
    train.add_argument(
        "model",
        nargs="?",
        default="all",
        choices=[*_TRAIN_DEFAULTS, "all"],
        help="; ".join(f"{name}: {text}" for name, text in _MODEL_HELP.items())
        + "; all (the default): the three in turn",
    )
    train.add_argument(
        "--epochs", type=_positive_int, metavar="N", help="number of epochs (max_iter)"
    )
    train.add_argument(
        "--learning-rate", type=_positive_float, metavar="R", help="step size (> 0)"
    )
    train.add_argument(
        "--hidden",
        type=_positive_int,
        metavar="H",
        help="number of hidden units (backprop only)",
    )
    train.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="random_state of the model and of its scikit-learn counterpart",
    )
    train.set_defaults(handler=_cmd_train)

    reproduce = commands.add_parser(
        "reproduce",
        parents=[common],
        help="rerun the lessons' S3 and S6 runs on the real file and check them",
        description="Rerun the lessons' sigmoid-unit run (S3) and backpropagation "
        "run (S6) on the real admissions file, exactly as the course does, and "
        "print every figure (weights, test accuracy, S3's training MSE every 100 "
        "epochs) beside the course's published value. Exit status 0 when all "
        f"agree within {_TOLERANCE_TEXT}, 1 otherwise.",
    )
    reproduce.add_argument(
        "--data",
        metavar="PATH",
        required=True,
        help="the real admissions CSV file (binary.csv); required, since the "
        "synthetic data cannot reproduce the course's numbers",
    )
    reproduce.set_defaults(handler=_cmd_reproduce)

    compare = commands.add_parser(
        "compare",
        parents=[data, common],
        help="cross-validate the three models and their scikit-learn counterparts",
        description="Stratified K-fold cross-validation (shuffled, random_state=0) "
        "of the three estimators and their scikit-learn counterparts at their "
        "defaults (random_state=0 where they take one), plus the majority-class "
        "baseline, each inside make_pipeline(AdmissionsPreprocessor(), model) on "
        "the raw gre, gpa and rank columns, so the preparation is fitted on the "
        "training folds only. Prints the mean and standard deviation of the "
        "accuracy over the folds and the mean fit time.",
    )
    compare.add_argument(
        "--cv",
        type=_fold_count,
        default=10,
        metavar="K",
        help="number of folds (default: 10)",
    )
    compare.set_defaults(handler=_cmd_compare)
    return parser


# ------------------------------------------------------------------ output


def _one_line(text):
    return " ".join(str(text).split())


def _say(args, text=""):
    """A line of context (data, model, loss): left out with --quiet."""
    if not args.quiet:
        print(text, flush=True)


def _result(text=""):
    """A line of results: always printed."""
    print(text, flush=True)


def _note(args, text):
    if not args.quiet:
        print(f"{PROG}: note: {_one_line(text)}", file=sys.stderr, flush=True)


class _Progress:
    """Transient progress on stderr, only when it is a terminal and not --quiet."""

    def __init__(self, args):
        stream = sys.stderr
        self.enabled = not args.quiet and _isatty(stream)
        self._width = 0

    def show(self, text):
        if self.enabled:
            text = f"{PROG}: {text}"
            pad = " " * max(0, self._width - len(text))
            sys.stderr.write(f"\r{text}{pad}")
            sys.stderr.flush()
            self._width = len(text)

    def clear(self):
        if self.enabled and self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _caught_warnings():
    """Collect the warnings raised inside the block instead of printing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _report_warnings(args, who, caught, fits=None):
    """One note line per kind of warning that ``who`` raised."""
    groups = {}
    for item in caught:
        key = item.category.__name__
        groups.setdefault(key, []).append(_one_line(item.message))
    for category, messages in groups.items():
        if len(messages) == 1:
            _note(args, f"{who}: {messages[0]} ({category})")
        else:
            where = f" in {fits} fits" if fits else ""
            _note(
                args,
                f"{who}: {category} raised {len(messages)} times{where}, "
                f"e.g. {messages[0]}",
            )


# -------------------------------------------------------------------- data


def _load(args):
    """The data frame and a description for the first line."""
    from .datasets import load_admissions, load_default_admissions

    if args.data is None:
        frame = load_default_admissions()
        text = (
            f"Data: synthetic admissions data ({len(frame)} rows, calibrated to the "
            f"published facts); pass --data PATH for the real file"
        )
    else:
        frame = load_admissions(args.data)
        text = (
            f"Data: {args.data} ({len(frame)} rows, {int(frame['admit'].sum())} "
            f"admitted)"
        )
    return frame, text


def _lesson_split(frame):
    from .datasets import lessons_features

    X_train, X_test, y_train, y_test = lessons_features(frame)
    if y_train.nunique() < 2:
        raise _UsageError(
            f"the lessons' training rows hold only one class of 'admit' "
            f"({y_train.iloc[0]}); the data need both admitted and rejected rows"
        )
    return X_train, X_test, y_train, y_test


def _accuracy_text(y_true, y_pred):
    correct = int(np.sum(np.asarray(y_true) == np.asarray(y_pred)))
    total = len(y_true)
    return f"{correct / total:.4f} ({correct} of {total} test rows)"


# ------------------------------------------------------------------- train


def _train_estimator(args, model):
    from .backprop import TwoLayerBackpropClassifier
    from .perceptron import PerceptronClassifier
    from .sigmoid_gd import SigmoidGDClassifier

    classes = {
        "perceptron": PerceptronClassifier,
        "sigmoid": SigmoidGDClassifier,
        "backprop": TwoLayerBackpropClassifier,
    }
    params = dict(_TRAIN_DEFAULTS[model])
    if args.epochs is not None:
        params["max_iter"] = args.epochs
    if args.learning_rate is not None:
        params["learning_rate"] = args.learning_rate
    if args.hidden is not None and model == "backprop":
        params["n_hidden"] = args.hidden
    if args.seed is not None:
        params["random_state"] = args.seed
    return classes[model](**params)


def _counterpart(model, estimator):
    from sklearn.linear_model import LogisticRegression, Perceptron
    from sklearn.neural_network import MLPClassifier

    seed = estimator.random_state
    if model == "perceptron":
        return Perceptron(random_state=seed)
    if model == "sigmoid":
        return LogisticRegression()
    return MLPClassifier(
        hidden_layer_sizes=(estimator.n_hidden,), activation="logistic", random_state=seed
    )


def _loss_text(estimator):
    """What the estimator's verbose lines print (see its ``loss_curve_``)."""
    if type(estimator).__name__ == "PerceptronClassifier":
        return "share of the training rows misclassified during the epoch"
    if estimator.loss == "squared_error":
        what = "mean of (y - o)^2 / 2 over the training rows"
    else:
        what = "mean log loss over the training rows"
    if estimator.batch_size is None:
        return f"{what}, before the epoch's update"
    return f"{what}, met during the epoch's mini-batch updates"


def _cmd_train(args):
    if args.hidden is not None and args.model not in ("backprop", "all"):
        raise _UsageError(
            f"--hidden applies only to backprop; the {args.model} model has no "
            f"hidden layer"
        )
    frame, data_text = _load(args)
    X_train, X_test, y_train, y_test = _lesson_split(frame)
    _say(args, data_text)
    _say(
        args,
        f"Split: the lessons' way (S7), {len(X_train)} training rows and "
        f"{len(X_test)} test rows; gre and gpa standardised on the whole file",
    )
    models = list(_TRAIN_DEFAULTS) if args.model == "all" else [args.model]
    for model in models:
        if len(models) > 1:
            _say(args)
            _say(args, f"== {model}: {_MODEL_HELP[model]} ==")
        _train_one(args, model, X_train, X_test, y_train, y_test)
    return 0


def _train_one(args, model, X_train, X_test, y_train, y_test):
    estimator = _train_estimator(args, model)
    name = type(estimator).__name__
    _say(args, f"Model: {_one_line(repr(estimator))}")
    _say(args, f"Training loss: {_loss_text(estimator)}")
    estimator.set_params(verbose=0 if args.quiet else 1)
    with _caught_warnings() as caught:
        estimator.fit(X_train, y_train)
    _report_warnings(args, name, caught)
    _result(f"Test accuracy of {name}: {_accuracy_text(y_test, estimator.predict(X_test))}")

    counterpart = _counterpart(model, estimator)
    progress = _Progress(args)
    progress.show(f"training {type(counterpart).__name__} ...")
    with _caught_warnings() as caught:
        counterpart.fit(X_train, y_train)
    progress.clear()
    _report_warnings(args, type(counterpart).__name__, caught)
    _result(
        f"Test accuracy of scikit-learn's {_one_line(repr(counterpart))}: "
        f"{_accuracy_text(y_test, counterpart.predict(X_test))}"
    )


# --------------------------------------------------------------- reproduce


def _figure_line(label, value, expected):
    difference = abs(value - expected)
    ok = difference <= _TOLERANCE
    marker = "match" if ok else "MISMATCH"
    line = (
        f"  {label:<26} {value: .12f}  expected {expected: .12f}  "
        f"|diff| {difference:.1e}  {marker}"
    )
    return line, ok


def _cmd_reproduce(args):
    from .backprop import TwoLayerBackpropClassifier
    from .sigmoid_gd import SigmoidGDClassifier

    frame, data_text = _load(args)
    X_train, X_test, y_train, y_test = _lesson_split(frame)
    _say(args, data_text)
    progress = _Progress(args)

    figures = []
    s3 = SigmoidGDClassifier(**_S3_PARAMS)
    progress.show("rerunning S3 ...")
    with _caught_warnings() as caught:
        s3.fit(X_train, y_train)
    progress.clear()
    _report_warnings(args, "S3", caught)
    expected = _LESSON_FIGURES["S3_sigmoid_gd_admissions"]
    s3_lines = []
    for name, value, target in zip(_FEATURE_NAMES, s3.coef_[0], expected["weights"]):
        s3_lines.append((f"weight {name}", float(value), target))
    # loss_curve_[k] is the mean of (y - o)^2 / 2 before epoch k's update, so
    # the MSE after the update of epoch k is 2 * loss_curve_[k + 1].
    mse = 2.0 * np.asarray(s3.loss_curve_[1::100], dtype=float)
    epochs = range(0, 100 * len(expected["train_mse_every_100_epochs"]), 100)
    for epoch, value, target in zip(epochs, mse, expected["train_mse_every_100_epochs"]):
        s3_lines.append((f"train MSE after epoch {epoch}", float(value), target))
    if len(mse) < len(expected["train_mse_every_100_epochs"]):
        raise _UsageError("S3 stopped before epoch 900; its MSE curve is incomplete")
    s3_lines.append(("test accuracy", float(s3.score(X_test, y_test)), expected["test_accuracy"]))
    figures.append(
        (
            "S3: one sigmoid unit, no bias, squared error, full-batch gradient descent, "
            "learning rate 0.5, 1000 epochs, seed 42",
            s3_lines,
        )
    )

    s6 = TwoLayerBackpropClassifier(**_S6_PARAMS)
    progress.show("rerunning S6 ...")
    with _caught_warnings() as caught:
        s6.fit(X_train, y_train)
    progress.clear()
    _report_warnings(args, "S6", caught)
    expected = _LESSON_FIGURES["S6_backprop_admissions"]
    s6_lines = []
    for i, name in enumerate(_FEATURE_NAMES):
        for j in range(2):
            s6_lines.append(
                (
                    f"weight {name} -> hidden {j}",
                    float(s6.coefs_[0][i, j]),
                    expected["weights_input_hidden"][i][j],
                )
            )
    for j in range(2):
        s6_lines.append(
            (
                f"weight hidden {j} -> output",
                float(s6.coefs_[1][j, 0]),
                expected["weights_hidden_output"][j],
            )
        )
    s6_lines.append(("test accuracy", float(s6.score(X_test, y_test)), expected["test_accuracy"]))
    figures.append(
        (
            "S6: 6-2-1 sigmoid network, no biases, squared error, full-batch "
            "backpropagation, learning rate 0.005, 900 epochs, seed 21",
            s6_lines,
        )
    )

    total = matched = 0
    for title, lines in figures:
        _result(title)
        for label, value, target in lines:
            line, ok = _figure_line(label, value, target)
            _result(line)
            total += 1
            matched += ok
    if matched == total:
        _result(f"All {total} figures match the lessons (tolerance {_TOLERANCE_TEXT}).")
        return 0
    _result(
        f"{total - matched} of {total} figures do NOT match the lessons "
        f"(tolerance {_TOLERANCE_TEXT})."
    )
    return 1


# ----------------------------------------------------------------- compare


def _compare_models():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression, Perceptron
    from sklearn.neural_network import MLPClassifier

    from .backprop import TwoLayerBackpropClassifier
    from .perceptron import PerceptronClassifier
    from .sigmoid_gd import SigmoidGDClassifier

    return [
        ("PerceptronClassifier", "sknn_basic", PerceptronClassifier(random_state=0)),
        ("Perceptron", "scikit-learn", Perceptron(random_state=0)),
        ("SigmoidGDClassifier", "sknn_basic", SigmoidGDClassifier(random_state=0)),
        ("LogisticRegression", "scikit-learn", LogisticRegression(random_state=0)),
        ("TwoLayerBackpropClassifier", "sknn_basic", TwoLayerBackpropClassifier(random_state=0)),
        ("MLPClassifier", "scikit-learn", MLPClassifier(random_state=0)),
        ("majority class", "scikit-learn", DummyClassifier(strategy="most_frequent")),
    ]


def _cmd_compare(args):
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline

    from .preprocessing import AdmissionsPreprocessor

    frame, data_text = _load(args)
    smallest = int(frame["admit"].value_counts().min())
    if frame["admit"].nunique() < 2:
        raise _UsageError("column 'admit' holds only one class; nothing to cross-validate")
    if args.cv > smallest:
        raise _UsageError(
            f"--cv {args.cv} is more folds than the rarer class has rows ({smallest}); "
            f"choose K from 2 to {smallest}"
        )
    _say(args, data_text)
    X = frame[["gre", "gpa", "rank"]]
    y = frame["admit"]
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    _say(
        args,
        f"Cross-validation: stratified {args.cv}-fold (shuffled, random_state=0); "
        f"each model in make_pipeline(AdmissionsPreprocessor(), model) on gre, gpa, "
        f"rank, preparation fitted on the training folds only",
    )

    first_train, _ = next(cv.split(X, y))
    models = _compare_models()
    progress = _Progress(args)
    rows = []
    for position, (name, package, estimator) in enumerate(models, start=1):
        progress.show(f"[{position}/{len(models)}] cross-validating {name} ...")
        pipeline = make_pipeline(AdmissionsPreprocessor(), estimator)
        # One untimed warm-up fit on the first training fold, so that one-off
        # costs (numba loading its compiled perceptron kernel, lazy imports)
        # do not count as fit time; its warnings repeat those of the folds.
        with _caught_warnings():
            clone(pipeline).fit(X.iloc[first_train], y.iloc[first_train])
        with _caught_warnings() as caught:
            scores = cross_validate(pipeline, X, y, cv=cv, error_score="raise")
        progress.clear()
        _report_warnings(args, name, caught, fits=args.cv)
        accuracy = scores["test_score"]
        rows.append(
            (name, package, accuracy.mean(), accuracy.std(), 1000 * scores["fit_time"].mean())
        )

    _result(
        f"{'model':<28} {'package':<13} {'accuracy':>8} {'sd':>7} {'fit time':>10}"
    )
    for name, package, mean, sd, fit_ms in rows:
        _result(f"{name:<28} {package:<13} {mean:>8.4f} {sd:>7.4f} {fit_ms:>7.1f} ms")
    _say(args, f"(accuracy: mean over the {args.cv} test folds; sd: their standard "
         f"deviation; fit time: mean per fold, preparation included)")
    return 0


# -------------------------------------------------------------------- main


def main(argv=None):
    """Run the ``sknn-basic`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success; 1 when ``reproduce`` finds a figure that does not match
        the lessons; 2 for bad input (unreadable or invalid data file, bad
        option), reported as one ``sknn-basic: error: ...`` line on stderr;
        130 when interrupted.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    try:
        return args.handler(args)
    except BrokenPipeError:
        return _broken_pipe()
    except (_UsageError, ValueError, OSError) as exc:
        # Bad input: a missing or invalid data file (FileNotFoundError,
        # AdmissionsDataError), data the lessons' split or the estimators
        # cannot use (ValueError), an unreadable path (OSError).
        print(f"{PROG}: error: {_error_text(exc)}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130


def _error_text(exc):
    if isinstance(exc, OSError) and exc.filename is not None:
        return _one_line(f"cannot read {exc.filename!r}: {exc.strerror or exc}")
    return _one_line(exc) or type(exc).__name__


def _broken_pipe():
    # The reader of our output went away (e.g. `| head`): stop quietly, and
    # keep Python from complaining again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
