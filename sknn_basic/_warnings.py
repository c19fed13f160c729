"""Warnings that point at the caller's line, however deep the package raised them.

A warning raised from a fit travels through the training loop, the fit
protocol, maybe the Dask path, scikit-learn's parameter-validating wrapper
of ``fit`` and its pipelines: a fixed ``stacklevel`` points at one of those
lines for some depth and at another for the next, and never reliably at
the user's.  :func:`warn` counts the frames instead: it names the first
frame outside this package and the libraries that call an estimator on the
user's behalf (scikit-learn, joblib).  Python 3.12's ``skip_file_prefixes``
does the same, but the package supports 3.11.
"""

import os
import sys
import warnings

__all__ = ["warn", "caller_stacklevel"]


def _directory_of(module_name):
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    return None if path is None else os.path.dirname(os.path.abspath(path)) + os.sep


def _skipped_prefixes():
    # Looked up at each warning: scikit-learn and joblib are imported by then
    # where they sit between the user and the fit, and need not be otherwise.
    names = (__name__.partition(".")[0], "sklearn", "joblib")
    return tuple(p for p in map(_directory_of, names) if p is not None)


def caller_stacklevel(skip=1):
    """The ``stacklevel`` of the first frame outside the package and its callers' libraries.

    Parameters
    ----------
    skip : int, default=1
        Frames above this function's own to start from (1: its caller's).
    """
    prefixes = _skipped_prefixes()
    frame = sys._getframe(skip)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(prefixes):
        frame = frame.f_back
        level += 1
    return level


def warn(message, category=UserWarning):
    """``warnings.warn(message, category)`` pointing at the user's line of code."""
    # Counted from this function's frame, which warnings.warn's level 1 names.
    warnings.warn(message, category, stacklevel=caller_stacklevel(skip=1))
