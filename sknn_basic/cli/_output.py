"""What the command prints, and the one helper that runs a fit and reports it.

Results go to standard output; context lines (data, model, epoch losses) too,
unless ``--quiet``; notes (warnings raised while training) and transient
progress go to standard error.  Standard output is guarded for the whole
run: a write it refuses becomes :class:`~._errors.OutputError` (status 4),
whoever wrote (our lines or an estimator's verbose epoch lines).
"""

import contextlib
import os
import sys
import warnings

from ._errors import PROG, OutputError, check_interrupted


def one_line(text):
    """``text`` with all whitespace runs (newlines included) made single spaces."""
    return " ".join(str(text).split())


class _GuardedStream:
    """A text stream whose failed writes raise :class:`OutputError`."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            raise OutputError(_why(exc)) from None

    def flush(self):
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            raise OutputError(_why(exc)) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _why(exc):
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(exc) or type(exc).__name__


@contextlib.contextmanager
def guarded_stdout():
    """Guard ``sys.stdout`` for the block (see :class:`_GuardedStream`)."""
    if sys.stdout is None:
        # Python sets sys.stdout to None when file descriptor 1 was closed
        # before it started (``sknn-basic ... >&-``): nothing could be printed.
        raise OutputError("standard output is closed")
    original = sys.stdout
    sys.stdout = _GuardedStream(original)
    try:
        yield
    finally:
        sys.stdout = original


def silence_stdout():
    """Point the process's standard output at the null device after a failure.

    Python flushes ``sys.stdout`` once more at exit; on a full disk or a
    closed pipe that would print a second complaint.  Only the real process
    stream is redirected (not a test's capture).
    """
    if sys.stdout is None or sys.stdout is not sys.__stdout__:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def error_line(text):
    """Print ``sknn-basic: error: text`` on stderr, if stderr can take it."""
    _to_stderr(f"{PROG}: error: {one_line(text)}")


def plain_line(text):
    """Print ``sknn-basic: text`` on stderr, if stderr can take it."""
    _to_stderr(f"{PROG}: {one_line(text)}")


def _to_stderr(line):
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        # Standard error is gone too: the exit status is all that is left.
        pass


class Printer:
    """The lines of one command run, honouring ``--quiet``."""

    def __init__(self, quiet):
        self.quiet = quiet
        self._progress = Progress(enabled=not quiet and _isatty(sys.stderr))

    def say(self, text=""):
        """A line of context (data, model, loss): left out with --quiet."""
        if not self.quiet:
            print(text, flush=True)

    def result(self, text=""):
        """A line of results: always printed."""
        print(text, flush=True)

    def note(self, text):
        """A ``sknn-basic: note:`` line on stderr: left out with --quiet."""
        if not self.quiet:
            _to_stderr(f"{PROG}: note: {one_line(text)}")

    def report_warnings(self, who, caught, fits=None):
        """One note per kind of warning that ``who`` raised."""
        groups = {}
        for item in caught:
            groups.setdefault(item.category.__name__, []).append(one_line(item.message))
        for category, messages in groups.items():
            if len(messages) == 1:
                self.note(f"{who}: {messages[0]} ({category})")
            else:
                where = f" in {fits} fits" if fits else ""
                self.note(
                    f"{who}: {category} raised {len(messages)} times{where}, "
                    f"e.g. {messages[0]}"
                )

    def run(self, who, action, *, progress=None, fits=None, report=True):
        """Run ``action()`` (a fit, a cross-validation), then report its warnings.

        The one place where the command trains anything: warnings are
        collected instead of printed and become notes; the progress line (if
        any) shows ``progress`` meanwhile; and a Ctrl-C that the action swallowed
        (scikit-learn's MLPClassifier stops its fit quietly) is raised again,
        so that no result of an interrupted fit is ever printed.

        Returns
        -------
        object
            What ``action()`` returned.
        """
        if progress is not None:
            self._progress.show(progress)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = action()
            finally:
                self._progress.clear()
        check_interrupted()
        if report:
            self.report_warnings(who, caught, fits=fits)
        return value


class Progress:
    """Transient progress on stderr, only when it is a terminal and not --quiet."""

    def __init__(self, enabled):
        self.enabled = enabled
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
