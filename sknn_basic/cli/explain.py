"""``sknn-basic explain``: every quantity of one training step on one record.

The numbers come from :func:`sknn_basic.explain.explain_step`, which computes
them with the functions the estimators train with; this module picks the
record, the model and its weights, and prints.
"""

from . import _data, _memory, _parser
from ._errors import OK, UsageError
from ._output import one_line
from ._registry import MODELS, check_options
from .._lessons import WORKED_EXAMPLES, s4_example

#: The lessons' worked examples: the model they belong to and what they are.
EXAMPLES = {
    "S2": ("sigmoid", "one gradient-descent step of one sigmoid unit, squared error, no bias"),
    "S4": ("backprop", "the forward pass of a 4-3-2 sigmoid network, no biases "
           "(no target: no step)"),
    "S5": ("backprop", "one backprop step of a 3-2-1 sigmoid network (squared "
           "error, no biases)"),
}

#: Characters per line of the printed quantities (wider values wrap).
TEXT_WIDTH = 100

#: Options that choose a record or weights of the admissions data, which a
#: worked example brings itself.
_DATA_OPTIONS = ("data", "record", "hidden", "seed", "weights_from_epoch")


def add_parser(commands):
    """Add the ``explain`` subparser to ``commands``."""
    explain = commands.add_parser(
        "explain",
        parents=[_parser.data_parent(), _parser.quiet_parent()],
        help="show every quantity of one training step on one record",
        description="Take one record of the lessons' training rows and print each "
        "quantity of one training step of the model, in the lessons' order and "
        "under the lessons' names, with its shape and value: the inputs and "
        "weights, h = w.x + b, the step or sigmoid output, the error, the output "
        "error term, for backprop the hidden layer's input, output and error term, "
        "each weight step (delta w = learning rate x error term x input) and the "
        "weights after the step. The model is the lessons' own: perceptron: "
        "Rosenblatt's rule with a bias, learning rate 1, from zero weights; "
        "sigmoid: the S3 unit (no bias, squared error, learning rate 0.5, weights "
        "drawn with seed 42); backprop: the S6 network (2 hidden units, no biases, "
        "squared error, learning rate 0.005, seed 21).",
    )
    explain.add_argument("model", choices=list(MODELS), help="the model whose step to show")
    explain.add_argument(
        "--record", type=_parser.positive_int, metavar="N",
        help="which of the lessons' training rows, counting from 1 (default: 1)",
    )
    _parser.add_model_options(
        explain, learning_rate_help="step size (> 0) instead of the lessons'",
        hidden="backprop only; default 2, as in S6",
        seed_help="random_state of the initial weights instead of the lessons'",
    )
    explain.add_argument(
        "--weights-from-epoch", type=_parser.epochs_before, metavar="E",
        help="start the step from the weights after E epochs of training on the "
        f"lessons' training rows, from 0 to {_parser.EPOCHS_MAX} (default: 0, the "
        "initial weights)",
    )
    explain.add_argument(
        "--full-precision", action="store_true",
        help="print every number in full (the shortest text that reads back as the "
        "same float) instead of rounded to 6 significant digits",
    )
    explain.add_argument(
        "--lessons-example", choices=list(EXAMPLES),
        help="instead of a record of the data, the lessons' worked example: S2 "
        "(sigmoid), S4 or S5 (backprop)",
    )
    explain.set_defaults(handler=run)


def run(args, printer):
    """Print one step; returns the exit status."""
    from ..explain import explain_step

    if args.lessons_example is not None:
        return _run_example(args, printer, explain_step)
    spec = MODELS[args.model]
    check_options(spec, args)
    frame, data_text = _data.load(printer, args.data)
    X_train, _, y_train, _ = _data.lesson_split(printer, frame, _data.describe(args.data))
    record = 1 if args.record is None else args.record
    if record > len(X_train):
        raise UsageError(
            f"--record {record}: the lessons' training rows are numbered from 1 to "
            f"{len(X_train)}; choose --record N within them"
        )
    x = X_train.iloc[record - 1].to_numpy()
    y = y_train.iloc[record - 1]
    data_row = frame.index.get_loc(X_train.index[record - 1]) + 1

    estimator = spec.make(spec.lesson_settings, args)
    _memory.check_estimator_fits(estimator, X_train, X_train.iloc[:0])
    epochs = args.weights_from_epoch or 0
    if epochs:
        estimator.set_params(max_iter=epochs, tol=None)
        printer.run(type(estimator).__name__, lambda: estimator.fit(X_train, y_train),
                    progress=f"training {type(estimator).__name__} for {epochs} epoch(s) ...")
        weights = f"after {epochs} epoch(s) of training on the lessons' training rows"
    else:
        weights = "the initial weights fit starts from"
    step = explain_step(estimator, x, y, learning_rate=args.learning_rate)

    printer.say(data_text)
    printer.say(
        f"Record: training row {record} of {len(X_train)} of the lessons' split "
        f"(data row {data_row} of the file), admit = {y}; features "
        f"{', '.join(X_train.columns)}"
    )
    printer.say(f"Model: {one_line(repr(estimator))}")
    printer.say(f"Weights: {weights}")
    _print_step(printer, step, args.full_precision)
    return OK


def _run_example(args, printer, explain_step):
    name = args.lessons_example
    model, what = EXAMPLES[name]
    if args.model != model:
        raise UsageError(
            f"--lessons-example {name} is a step of the {model} model; run "
            f"'sknn-basic explain {model} --lessons-example {name}'"
        )
    given = [f"--{o.replace('_', '-')}" for o in _DATA_OPTIONS if getattr(args, o) is not None]
    if given:
        raise UsageError(
            f"--lessons-example {name} brings its own record and weights; leave out "
            f"{' and '.join(given)}"
        )
    if name == "S4":
        example = s4_example()
        x, y, learning_rate = example["x"], None, None
    else:
        example = WORKED_EXAMPLES[name]
        x = example["x"]
        y = example["y"] if "y" in example else example["target"]
        learning_rate = args.learning_rate or example["learning_rate"]
    weights = (
        example["weights"] if model == "sigmoid"
        else [example["weights_input_hidden"], example["weights_hidden_output"]]
    )
    step = explain_step(model, x, y, weights=weights, learning_rate=learning_rate)
    printer.say(f"The lessons' example {name}: {what}")
    _print_step(printer, step, args.full_precision)
    return OK


def _print_step(printer, step, full_precision):
    rounded = "" if full_precision else " (6 significant digits)"
    printer.say(f"One training step in the lessons' order: name, formula, shape, value{rounded}"
                if "error" in step else
                f"The forward pass: name, formula, shape, value{rounded}")
    # TEXT_WIDTH: the lines fit a terminal of 100 columns and the documentation's pages.
    for line in step.to_text(precision=None if full_precision else 6,
                             width=TEXT_WIDTH).splitlines():
        printer.result(line)
