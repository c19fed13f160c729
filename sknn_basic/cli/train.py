"""``sknn-basic train``: train the lessons' models and compare them with scikit-learn."""

import warnings

from . import _data, _memory, _parser, _plot
from ._errors import OK
from ._data import accuracy_text, baseline_verdict, majority_baseline
from ._output import one_line
from ._registry import MODELS, check_options


def add_parser(commands):
    """Add the ``train`` subparser to ``commands``."""
    train = commands.add_parser(
        "train",
        parents=[_parser.data_parent(), _parser.plot_parent("each model's training "
                 "loss curve (and validation curve where there is one)"),
                 _parser.quiet_parent()],
        help="train the models the lessons' way and compare them with scikit-learn",
        description="Prepare the data the lessons' way (S7: rank one-hot encoded, "
        "gre and gpa standardised on the whole file, RandomState(42) split into "
        "90 % training and 10 % test rows), print the majority-class baseline, "
        "train the model printing its training loss at ten evenly spaced epochs "
        "(for the perceptron, its mistakes), then print its test accuracy and that "
        "of its scikit-learn counterpart, set like it, on the same split. Epochs "
        "count from 0: epoch e is loss_curve_[e].",
        epilog="Defaults: perceptron: averaged perceptron, 100 epochs, seed 0; "
        "sigmoid: the lessons' S3 run (squared error, learning rate 0.5, 1000 "
        "epochs, full batch, no bias, seed 42); backprop: TwoLayerBackpropClassifier's "
        "defaults (64 hidden units, log loss, learning rate 0.5, momentum 0.9) "
        "with a full batch, 100 epochs, seed 0. Counterparts: "
        "SGDClassifier(loss='perceptron', average=True) for the averaged perceptron "
        "(Perceptron for the plain rule), LogisticRegression without a penalty, "
        "MLPClassifier with the same layer, batch, step, momentum and epochs.",
    )
    train.add_argument(
        "model",
        nargs="?",
        default="all",
        choices=[*MODELS, "all"],
        help="; ".join(f"{spec.name}: {spec.help}" for spec in MODELS.values())
        + "; all (the default): the three in turn",
    )
    train.add_argument(
        "--epochs", type=_parser.epoch_count, metavar="N",
        help=f"number of epochs (max_iter), from 1 to {_parser.EPOCHS_MAX}"
    )
    _parser.add_model_options(
        train, learning_rate_help="step size (> 0)", hidden="backprop only",
        seed_help="random_state of the model and of its scikit-learn counterpart",
    )
    train.set_defaults(handler=run)


#: What the perceptron's lines count, and why they go up and down.
PERCEPTRON_LINES = (
    "each line counts the training rows the perceptron misclassified during that "
    "epoch (its mistake rate, which loss_curve_ holds). The rate goes up and down: "
    "every mistake moves the boundary, which can put a row right and another wrong, "
    "and on rows no straight line separates it never reaches 0"
)


#: The one sentence under the perceptron's panel of ``--plot``.
PERCEPTRON_PLOT_NOTE = (
    "Not smooth, and not a fault: each mistake moves the boundary, which puts "
    "one row right and can put another wrong."
)


def loss_text(estimator):
    """What the estimator's epoch lines and ``loss_curve_`` hold."""
    if type(estimator).__name__ == "PerceptronClassifier":
        return "mistake rate: share of the training rows misclassified during the epoch"
    if estimator.loss == "squared_error":
        what = "mean of (y - o)^2 / 2 over the training rows"
    else:
        what = "mean log loss over the training rows"
    if estimator.batch_size is None:
        text = f"{what}, before the epoch's update"
        if estimator.loss == "squared_error":
            text += (" (half the mean squared error; the lessons' 'MSE after epoch e' "
                     "is twice the loss of epoch e + 1)")
        return text
    return f"{what}, met during the epoch's mini-batch updates"


def shown_epochs(n_epochs):
    """The ten evenly spaced epochs whose line is printed, as the estimators' verbose output."""
    return sorted({round(i * n_epochs / 10) for i in range(10)})


def run(args, printer):
    """Train the chosen model(s); returns the exit status."""
    if args.model != "all":
        check_options(MODELS[args.model], args)
    plot_path = _plot.check_plot_path(args.plot)
    frame, data_text = _data.load(printer, args.data)
    X_train, X_test, y_train, y_test = _data.lesson_split(
        printer, frame, _data.describe(args.data)
    )
    printer.say(data_text)
    printer.say(
        f"Split: the lessons' way (S7), {len(X_train)} training rows and "
        f"{len(X_test)} test rows; gre and gpa standardised on the whole file"
    )
    names = list(MODELS) if args.model == "all" else [args.model]
    # Every model is sized before any trains, so that one too large for the
    # machine is refused at once.
    for name in names:
        spec = MODELS[name]
        _memory.check_estimator_fits(spec.make(spec.train_settings, args), X_train, X_test)
    baseline, baseline_text = majority_baseline(y_train, y_test)
    printer.result(baseline_text)
    curves = []
    for name in names:
        spec = MODELS[name]
        if len(names) > 1:
            printer.say()
            printer.say(f"== {name}: {spec.help} ==")
        estimator = _train_one(args, printer, spec, baseline, X_train, X_test, y_train, y_test)
        curves.append((
            type(estimator).__name__, loss_text(estimator).split(":")[0].split(",")[0],
            list(estimator.loss_curve_), getattr(estimator, "validation_loss_curve_", None),
            PERCEPTRON_PLOT_NOTE if spec.class_name == "PerceptronClassifier" else None,
        ))
    if plot_path is not None:
        _plot.save_loss_curves(plot_path, curves)
        printer.say(f"Loss curves saved to {plot_path}")
    return OK


def _print_mistakes(printer, estimator, n_rows):
    """The perceptron's lines: mistakes, not a loss, and no warning when they rise."""
    curve = estimator.loss_curve_
    for epoch in shown_epochs(estimator.max_iter):
        if epoch < len(curve):
            rate = curve[epoch]
            printer.say(
                f"Epoch {epoch:>5d}: {round(rate * n_rows):>4d} of {n_rows} training rows "
                f"misclassified (mistake rate {rate:.4f})"
            )


def _fit_for_set_epochs(counterpart, X, y):
    """Fit, without scikit-learn's note that the epochs it was told to run ran out.

    The counterpart runs the epochs ours runs, on purpose; any other warning
    still reaches the notes.
    """
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*Maximum iterations",
                                category=ConvergenceWarning)
        return counterpart.fit(X, y)


def _train_one(args, printer, spec, baseline, X_train, X_test, y_train, y_test):
    estimator = spec.make(spec.train_settings, args)
    # --hidden with several layers makes another class than the model's own.
    name = type(estimator).__name__
    perceptron = name == "PerceptronClassifier"
    printer.say(f"Model: {one_line(repr(estimator))}")
    if perceptron:
        printer.say(f"Training: {PERCEPTRON_LINES}")
    else:
        printer.say(f"Training loss: {loss_text(estimator)}")
    # The perceptron's lines are printed from loss_curve_ once it is fitted,
    # in mistakes; the others' come from the estimator's verbose output.
    estimator.set_params(verbose=0 if printer.quiet or perceptron else 1)
    printer.run(name, lambda: estimator.fit(X_train, y_train))
    if perceptron:
        _print_mistakes(printer, estimator, len(X_train))
    ours = float(estimator.score(X_test, y_test))
    printer.result(f"Test accuracy of {name}: {accuracy_text(y_test, estimator.predict(X_test))}")

    counterpart = spec.counterpart(estimator, len(X_train))
    printer.say(f"Compared with scikit-learn: {spec.differences(estimator)}")
    printer.run(
        type(counterpart).__name__,
        lambda: _fit_for_set_epochs(counterpart, X_train, y_train),
        progress=f"training {type(counterpart).__name__} ...",
    )
    theirs = float(counterpart.score(X_test, y_test))
    printer.result(
        f"Test accuracy of scikit-learn's {one_line(repr(counterpart))}: "
        f"{accuracy_text(y_test, counterpart.predict(X_test))}"
    )
    verdict = baseline_verdict(
        [(name, ours), (f"scikit-learn's {type(counterpart).__name__}", theirs)], baseline
    )
    if verdict is not None:
        printer.result(verdict)
    return estimator
