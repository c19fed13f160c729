"""Where the rows are: the engines a ``fit``, ``predict`` or ``score`` call runs on.

:func:`engine_for` looks at the input once per call and returns the engine
that holds its rows: :mod:`.memory` for NumPy arrays, SciPy matrices and
in-memory frames, :mod:`.dask` for Dask collections (imported only when one
arrives, so that importing the package never imports Dask).  An engine is a
module with three functions:

``rows(estimator, X, y, sample_weight, first_call)``
    The training rows, validated where they live, as a :class:`Rows`
    (a context manager that releases what it holds on the cluster).
``predict(estimator, method_name, X)``
    ``predict``, ``predict_proba`` or ``decision_function`` on the rows.
``score(estimator, X, y, sample_weight)``
    The estimator's score on the rows.

:class:`Rows` lists the steps of a fit an engine carries out where the rows
are; :mod:`sknn_basic._fit` calls them in their one order.  A new engine
(Ray, Spark) is one more module here with those three functions, and one
more branch in :func:`engine_for`.  An engine whose rows are blocks on
workers needs only a runner and its blocks: :mod:`.blocks` carries out every
step on them (:mod:`.dask` is such an engine).
"""

from . import memory
from .rows import Rows

__all__ = ["Rows", "engine_for", "is_dask_collection"]


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection, without importing Dask."""
    return type(obj).__module__.partition(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__"
    )


def engine_for(X):
    """The engine that holds the rows of ``X``."""
    if is_dask_collection(X):
        from . import dask

        return dask
    return memory
