"""Parsing the command line: one error line, the right help, negative numbers.

Each command module adds its own subparser (``add_parser``); this module
holds what they share: the parser class whose errors are one line naming the
help of the command at fault, the number types of the options, the shared
options, and the reading of ``argv``.
"""

import argparse
import math

from ._errors import PROG, STATUS_HELP

#: Options that take a value, collected as the parsers are built: a value
#: that starts with "-" (``--learning-rate -inf``) is still their value.
_VALUE_OPTIONS = set()
#: Every option string of every parser, so that such a value is never
#: mistaken for one of them.
_ALL_OPTIONS = set()


class ParseError(Exception):
    """A usage error; ``prog`` names the command whose help to see."""

    def __init__(self, message, prog):
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`ParseError` instead of exiting."""

    def error(self, message):
        raise ParseError(message, self.prog)

    def add_argument(self, *flags, **kwargs):
        action = super().add_argument(*flags, **kwargs)
        _ALL_OPTIONS.update(action.option_strings)
        if action.option_strings and action.nargs is None and action.type is not None:
            _VALUE_OPTIONS.update(action.option_strings)
        elif action.option_strings and kwargs.get("metavar") and action.nargs is None:
            _VALUE_OPTIONS.update(action.option_strings)
        return action


def checked_number(convert, is_valid, requirement):
    """An argparse type: ``convert(text)`` if it succeeds and ``is_valid``, else one line."""

    def parse(text):
        try:
            value = convert(text)
        except (ValueError, OverflowError):
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}")
        return value

    return parse


def whole_number(low, high=None, what="a whole number"):
    """An argparse type: an int from ``low`` to ``high`` (no upper bound if None)."""
    if high is None:
        return checked_number(int, lambda v: v >= low, f"{what} >= {low}")
    return checked_number(int, lambda v: low <= v <= high, f"{what} from {low} to {high}")


# The bounds of the options.  Beyond them a value is not a setting but a
# typo or a test of the program: the runs would last for days (epochs) or
# could never fit in memory (hidden units; smaller counts are checked
# against the machine's memory before training, see _memory), or NumPy
# refuses them (seeds).  Bounds that depend on the data (--record, --cv) are
# checked once the data are read.
EPOCHS_MAX = 100_000
HIDDEN_MAX = 1_000_000_000
LEARNING_RATE_MAX = 1000.0
SEED_MAX = 2**32 - 1

positive_int = whole_number(1)
fold_count = whole_number(2, what="a whole number of folds")
epoch_count = whole_number(1, EPOCHS_MAX)
epochs_before = whole_number(0, EPOCHS_MAX)
_one_layer = whole_number(1, HIDDEN_MAX)


def hidden_units(text):
    """An argparse type: ``H`` or ``H1,H2,...``, the widths of the hidden layers, as a tuple."""
    parts = text.split(",")
    try:
        return tuple(_one_layer(part.strip()) for part in parts)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {HIDDEN_MAX}, or several separated by "
            f"commas (one per hidden layer, e.g. 64,32), got {text!r}"
        ) from None
seed = whole_number(0, SEED_MAX)
learning_rate = checked_number(
    float, lambda v: math.isfinite(v) and 0 < v <= LEARNING_RATE_MAX,
    f"a positive number at most {LEARNING_RATE_MAX:g}",
)


def quiet_parent():
    """The ``--quiet`` option every command has."""
    parent = Parser(add_help=False)
    parent.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the results: no epoch lines, notes or progress",
    )
    return parent


def data_parent(required=False, help=None):
    """The ``--data PATH`` option."""
    parent = Parser(add_help=False)
    parent.add_argument(
        "--data",
        metavar="PATH",
        required=required,
        help=help
        or "admissions CSV file with the columns admit, gre, gpa, rank (default: "
        "the embedded synthetic data, calibrated to the published facts of the "
        "real file)",
    )
    return parent


def plot_parent(what):
    """The ``--plot FILE.png`` option."""
    parent = Parser(add_help=False)
    parent.add_argument(
        "--plot",
        metavar="FILE.png",
        help=f"also save {what} as a PNG image (needs matplotlib: "
        'pip install "sknn-basic[plot]")',
    )
    return parent


def add_model_options(parser, *, learning_rate_help, hidden, seed_help):
    """The options that set the model: --learning-rate, --hidden and --seed."""
    parser.add_argument(
        "--learning-rate", type=learning_rate, metavar="R",
        help=f"{learning_rate_help}; at most {LEARNING_RATE_MAX:g}",
    )
    parser.add_argument(
        "--hidden", type=hidden_units, metavar="H",
        help=f"number of hidden units ({hidden}), from 1 to {HIDDEN_MAX}; several "
        "separated by commas (e.g. 64,32) give one hidden layer each "
        "(BackpropClassifier); a network that would not fit in the memory available "
        "is refused (exit status 3)",
    )
    parser.add_argument("--seed", type=seed, metavar="S",
                        help=f"{seed_help}, from 0 to {SEED_MAX}")


def build_parser(commands):
    """The top-level parser, with one subparser per module in ``commands``."""
    from .. import __version__

    parser = Parser(
        prog=PROG,
        description="Train, reproduce, compare and explain the perceptron, sigmoid "
        "unit and two-layer backpropagation network of the lessons on the UCLA "
        "admissions data.",
        epilog="Without --data the synthetic admissions data are used. "
        f"Run '{PROG} COMMAND --help' for the options of a command. {STATUS_HELP}",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in commands:
        module.add_parser(sub)
    parser.command_names = list(sub.choices)
    return parser


def _join_option_values(argv):
    """``--option -value`` -> ``--option=-value`` for options that take a value.

    argparse reads a token that starts with "-" and is not a negative number
    in its narrow sense (``-inf``, ``-1e-3``) as an option, and then
    complains that the option before it "expected one argument".
    """
    joined = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            token in _VALUE_OPTIONS
            and following is not None
            and following.startswith("-")
            and following.split("=", 1)[0] not in _ALL_OPTIONS
        ):
            joined.append(f"{token}={following}")
            i += 2
            continue
        joined.append(token)
        i += 1
    return joined


def parse(parser, argv):
    """Parse ``argv``; unknown options are named, with the help of their command."""
    args, extras = parser.parse_known_args(_join_option_values(argv))
    command = getattr(args, "command", None)
    prog = f"{PROG} {command}" if command else PROG
    if extras:
        raise ParseError(f"unrecognized arguments: {' '.join(extras)}", prog)
    if command is None:
        *others, last = parser.command_names
        raise ParseError(f"a COMMAND is required: {', '.join(others)} or {last}", PROG)
    return args
