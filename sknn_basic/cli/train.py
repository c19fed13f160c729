"""``sknn-basic train``: train the lessons' models and compare them with scikit-learn."""

import numpy as np

from . import _data, _memory, _parser, _plot
from ._errors import OK
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


def loss_text(estimator):
    """What the estimator's verbose lines and ``loss_curve_`` hold."""
    if type(estimator).__name__ == "PerceptronClassifier":
        return "share of the training rows misclassified during the epoch"
    if estimator.loss == "squared_error":
        what = "mean of (y - o)^2 / 2 over the training rows"
    else:
        what = "mean log loss over the training rows"
    if estimator.batch_size is None:
        return f"{what}, before the epoch's update"
    return f"{what}, met during the epoch's mini-batch updates"


def accuracy_text(y_true, y_pred):
    correct = int(np.sum(np.asarray(y_true) == np.asarray(y_pred)))
    total = len(y_true)
    return f"{correct / total:.4f} ({correct} of {total} test rows)"


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
    curves = []
    for name in names:
        spec = MODELS[name]
        if len(names) > 1:
            printer.say()
            printer.say(f"== {name}: {spec.help} ==")
        estimator = _train_one(args, printer, spec, X_train, X_test, y_train, y_test)
        curves.append((
            spec.class_name, loss_text(estimator).split(",")[0], list(estimator.loss_curve_),
            getattr(estimator, "validation_loss_curve_", None),
        ))
    if plot_path is not None:
        _plot.save_loss_curves(plot_path, curves)
        printer.say(f"Loss curves saved to {plot_path}")
    return OK


def _train_one(args, printer, spec, X_train, X_test, y_train, y_test):
    estimator = spec.make(spec.train_settings, args)
    name = spec.class_name
    printer.say(f"Model: {one_line(repr(estimator))}")
    printer.say(f"Training loss: {loss_text(estimator)}")
    estimator.set_params(verbose=0 if printer.quiet else 1)
    printer.run(name, lambda: estimator.fit(X_train, y_train))
    printer.result(f"Test accuracy of {name}: {accuracy_text(y_test, estimator.predict(X_test))}")

    counterpart = spec.counterpart(estimator)
    printer.run(
        type(counterpart).__name__,
        lambda: counterpart.fit(X_train, y_train),
        progress=f"training {type(counterpart).__name__} ...",
    )
    printer.result(
        f"Test accuracy of scikit-learn's {one_line(repr(counterpart))}: "
        f"{accuracy_text(y_test, counterpart.predict(X_test))}"
    )
    return estimator
