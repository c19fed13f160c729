"""The ``sknn-basic`` command line: train, reproduce, compare and explain the lessons' models.

Five commands, each in its own module, composing the package's public pieces
(no algorithm lives here: the package parses, composes and prints):

``sknn-basic train [perceptron|sigmoid|backprop|all]``
    Prepare the data the lessons' way (:func:`~sknn_basic.datasets.lessons_features`),
    print the majority-class baseline, train each model (the training loss
    at ten evenly spaced epochs, the perceptron's as mistakes), then print its
    test accuracy and that of its scikit-learn counterpart, set like it, on
    the same split (:mod:`.train`).
``sknn-basic reproduce [--data PATH]``
    Rerun the lessons' S3 and S6 runs on the real file (by default the copy
    :func:`~sknn_basic.datasets.fetch_admissions` caches) and check every figure
    against the course's published numbers (:mod:`.reproduce`).
``sknn-basic compare``
    Stratified K-fold cross-validation of the three estimators and their
    scikit-learn counterparts, each in
    ``make_pipeline(AdmissionsPreprocessor(), estimator)`` (:mod:`.compare`).
``sknn-basic explain {perceptron,sigmoid,backprop}``
    Every quantity of one training step on one record, under the lessons'
    names (:mod:`.explain`, built on :func:`sknn_basic.explain.explain_step`).
``sknn-basic gates``
    The perceptron learns AND, OR and NOT and fails XOR; a network with one
    hidden layer learns XOR: each truth table learnt, and with ``--plot``
    each gate's decision boundary (:mod:`.gates`).

The models, their settings and counterparts are one registry
(:mod:`._registry`); printing, warnings and the one "fit, collect warnings,
report" helper are :mod:`._output`; exit statuses and Ctrl-C are
:mod:`._errors`.  Without ``--data`` the embedded synthetic data set is used,
and the first line of output says so.  Every failure is one
``sknn-basic: error: ...`` line on stderr and its own exit status (see
``sknn-basic --help``); warnings raised while training become one
``sknn-basic: note: ...`` line each; ``--quiet`` leaves only the results.

The same command runs as ``python -m sknn_basic``.  This module imports
nothing heavy at import time: Ctrl-C is handled before the package's
estimators, scikit-learn or matplotlib are loaded.
"""

import sys

from . import _errors
from ._errors import PROG

__all__ = ["main"]


def _commands():
    from . import compare, explain, gates, reproduce, train

    return (train, reproduce, compare, explain, gates)


def _run(argv):
    # Imports happen here, inside the interrupt handler's reach.
    from . import _parser
    from ._output import Printer, guarded_stdout

    with guarded_stdout():
        parser = _parser.build_parser(_commands())
        try:
            args = _parser.parse(parser, sys.argv[1:] if argv is None else argv)
        except SystemExit as exc:  # --help and --version print, then exit
            return exc.code if isinstance(exc.code, int) else _errors.OK
        return args.handler(args, Printer(args.quiet))


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
        the lessons; 2 for bad input (an option, or a data file that cannot be
        read or used); 3 when memory runs out; 4 when the output could not be
        written (standard output closed or full); 5 when ``--plot`` lacks
        matplotlib; 70 on an unexpected error (a bug); 130 when interrupted.  Every status but 0 and 1 comes with
        one ``sknn-basic: ...`` line on stderr.
    """
    with _errors.handle_interrupts():
        try:
            return _main(argv)
        except KeyboardInterrupt:
            # A Ctrl-C while the failure of _main was being reported.
            return _report_interrupt()


def _main(argv):
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return _report_interrupt()
    except Exception as exc:
        return _report_failure(exc)


def _report_interrupt():
    from ._output import plain_line

    plain_line("interrupted")
    return _errors.INTERRUPTED


def _report_failure(exc):
    """The one line and the status of a failure (see the module docstring)."""
    from ._output import error_line, silence_stdout
    from ._parser import ParseError

    if isinstance(exc, ParseError):
        error_line(f"{exc} (see '{exc.prog} --help')")
        return _errors.BAD_INPUT
    if isinstance(exc, _errors.OutputError):
        silence_stdout()
        error_line(f"the output could not be written: {exc}")
        return _errors.OUTPUT_FAILED
    if isinstance(exc, _errors.NotEnoughMemory):
        error_line(exc)
        return _errors.OUT_OF_MEMORY
    if _errors.is_out_of_memory(exc):
        error_line(
            "out of memory; ask for less: fewer hidden units (--hidden) or a "
            "smaller file (--data PATH)"
        )
        return _errors.OUT_OF_MEMORY
    if isinstance(exc, _errors.MissingPackageError):
        error_line(exc)
        return _errors.MISSING_PACKAGE
    if isinstance(exc, _errors.BAD_INPUT_ERRORS):
        # Bad input: a missing or invalid data file (FileNotFoundError,
        # AdmissionsDataError), data the lessons' split or the estimators
        # cannot use (ValueError), an unreadable path (OSError).
        error_line(_error_text(exc))
        return _errors.BAD_INPUT
    # Anything else is a fault of the program, not of the input: still one
    # line, saying so.
    error_line(f"unexpected {type(exc).__name__}: {_error_text(exc)}; this is a bug "
               f"of sknn-basic, please report it with the command that caused it")
    return _errors.INTERNAL_ERROR


def _error_text(exc):
    from ._output import one_line

    if isinstance(exc, OSError) and exc.filename is not None:
        return one_line(f"cannot read {exc.filename!r}: {exc.strerror or exc}")
    return one_line(exc) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
