"""Benchmarks of sknn-basic against scikit-learn (not part of the installed package).

Run ``python -m benchmarks`` (full suite, about 20 minutes on two cores) or
``python -m benchmarks --quick`` (a smoke run under two minutes); both write
``results.md`` and the PNG figures into ``--out`` (default: this folder).
See :mod:`benchmarks.main` for the options and :mod:`benchmarks.suite` for
the rows and their targets.
"""

from .main import main

__all__ = ["main"]
