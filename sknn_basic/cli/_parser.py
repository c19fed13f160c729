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


positive_int = checked_number(int, lambda v: v >= 1, "a whole number >= 1")
count_from_zero = checked_number(int, lambda v: v >= 0, "a whole number >= 0")
fold_count = checked_number(int, lambda v: v >= 2, "a whole number of folds >= 2")
positive_float = checked_number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
seed = checked_number(int, lambda v: 0 <= v <= 2**32 - 1, "a whole number from 0 to 4294967295")


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


def add_model_options(parser, *, learning_rate, hidden, seed_help):
    """The options that set the model: --learning-rate, --hidden and --seed."""
    parser.add_argument(
        "--learning-rate", type=positive_float, metavar="R", help=learning_rate
    )
    parser.add_argument(
        "--hidden", type=positive_int, metavar="H", help=f"number of hidden units ({hidden})"
    )
    parser.add_argument("--seed", type=seed, metavar="S", help=seed_help)


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
        raise ParseError("a COMMAND is required: train, reproduce, compare or explain", PROG)
    return args
