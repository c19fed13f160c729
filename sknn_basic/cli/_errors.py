"""Exit statuses, the errors that lead to them, and Ctrl-C.

Every way the command can end has one status, documented in ``--help`` and
in the README:

====  ==================================================================
0     success
1     ``reproduce``: a figure does not match the lessons
2     bad input: an option, or a data file that cannot be read or used
3     out of memory
4     the output could not be written (standard output closed or full)
5     ``--plot`` without matplotlib (``pip install "sknn-basic[plot]"``)
70    an unexpected error: a bug of sknn-basic, not of the input
130   interrupted (Ctrl-C)
====  ==================================================================
"""

import contextlib
import signal
import threading

PROG = "sknn-basic"

OK = 0
MISMATCH = 1
BAD_INPUT = 2
OUT_OF_MEMORY = 3
OUTPUT_FAILED = 4
MISSING_PACKAGE = 5
INTERNAL_ERROR = 70
INTERRUPTED = 130

#: The statuses as ``--help`` lists them.
STATUS_HELP = (
    f"Exit status: {OK} success; {MISMATCH} reproduce found a figure that does not "
    f"match; {BAD_INPUT} bad input (option or data file); {OUT_OF_MEMORY} out of "
    f"memory; {OUTPUT_FAILED} the output could not be written; {MISSING_PACKAGE} "
    f"--plot needs matplotlib; {INTERNAL_ERROR} unexpected error (a bug); "
    f"{INTERRUPTED} interrupted."
)


class UsageError(Exception):
    """Bad input found after parsing; one error line and status 2."""


class OutputError(Exception):
    """Standard output refused our writes (closed, full, reader gone); status 4."""


class NotEnoughMemory(Exception):
    """What was asked for would not fit in the memory available; status 3.

    Raised before allocating (see :mod:`._memory`), with the advice in its
    message.
    """


class MissingPackageError(Exception):
    """An optional package a chosen option needs is not installed; status 5."""


#: Exceptions that mean the input (an option, the data) cannot be used.
BAD_INPUT_ERRORS = (UsageError, ValueError, OSError)


class _InterruptState:
    """Whether Ctrl-C was pressed since :func:`handle_interrupts` began."""

    def __init__(self):
        self.interrupted = False


_STATE = _InterruptState()


def _on_sigint(signum, frame):
    # Record the interrupt before raising: scikit-learn's MLPClassifier
    # catches KeyboardInterrupt inside its fit and returns as if done, and
    # the record is how the command still learns of it.
    _STATE.interrupted = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def handle_interrupts():
    """Route Ctrl-C through :func:`_on_sigint` for the duration of the block."""
    _STATE.interrupted = False
    if threading.current_thread() is not threading.main_thread():
        # Only the main thread may set signal handlers (e.g. main() called
        # from a worker thread): keep Python's default there.
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_interrupted():
    """Raise KeyboardInterrupt if Ctrl-C came while someone swallowed it."""
    if _STATE.interrupted:
        raise KeyboardInterrupt


def is_out_of_memory(exc):
    """MemoryError, or NumPy refusing an array too large to even describe."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, ValueError) and (
        "array is too big" in text or "Maximum allowed dimension" in text
    )
