"""Where the rows are: the engines a ``fit``, ``predict`` or ``score`` call runs on.

:func:`engine_for` looks at the input once per call and returns the engine
that holds its rows: :mod:`.memory` for NumPy arrays, SciPy matrices and
in-memory frames, :mod:`.dask` for Dask collections (imported only when one
arrives, so that importing the package never imports Dask).  An engine is a
module with three functions:

``rows(estimator, X, y, sample_weight, first_call)``
    The training rows, validated where they live, as a :class:`Rows`
    (a context manager that releases what it holds on the cluster).
``holds(X)``
    Whether the engine takes ``X``.
``predict(estimator, method_name, X)``
    ``predict``, ``predict_proba`` or ``decision_function`` on the rows.
``score(estimator, X, y, sample_weight)``
    The estimator's score on the rows.

:class:`Rows` lists the steps of a fit an engine carries out where the rows
are; :mod:`sknn_basic._fit` calls them in their one order.  A new engine
(Ray, Spark) is one more module here with those functions, named after the
top-level package of the collections it takes (``ray.py``, ``pyspark.py``):
:func:`engine_for` finds it by that name, so nothing else changes.  An engine whose rows are blocks on
workers needs only a runner and its blocks: :mod:`.blocks` carries out every
step on them (:mod:`.dask` is such an engine).
"""

import importlib
import importlib.util

from . import memory
from .rows import Rows

__all__ = ["Rows", "engine_for", "is_dask_collection"]


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection, without importing Dask."""
    return type(obj).__module__.partition(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__"
    )


#: Top-level packages whose collections an engine of another name takes.
_ALIASES = {"dask_expr": "dask"}
#: This package's modules that are not engines of their own.
_NOT_ENGINES = frozenset({"rows", "memory", "blocks"})
#: Each top-level package met so far and its engine module (None: memory).
_FOUND = {}


def _engine_named(root):
    name = _ALIASES.get(root, root)
    if not name or name in _NOT_ENGINES or name.startswith("_"):
        return None
    module = f"{__name__}.{name}"
    # Imported only when such an input arrives: importing the package never
    # imports Dask.
    return importlib.import_module(module) if importlib.util.find_spec(module) else None


def engine_for(X):
    """The engine that holds the rows of ``X``.

    The engine module named after the top-level package of ``X``'s type, where
    there is one and it takes ``X``; otherwise the engine of rows in memory.
    """
    root = type(X).__module__.partition(".")[0]
    try:
        engine = _FOUND[root]
    except KeyError:
        engine = _FOUND[root] = _engine_named(root)
    return engine if engine is not None and engine.holds(X) else memory
