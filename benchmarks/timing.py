"""How the suite times two contenders fairly: alternated, repeated, medians.

Every comparison runs both contenders in this one process, alternating them
(A B A B ...) so that a slow spell of the shared machine hits both, and takes
the median of the repeats.  Each timed call runs with the garbage collector
collected beforehand and disabled during the call (as :mod:`timeit` does), and
is timed with :func:`time.perf_counter`.  What survives a collection is
frozen until the row ends (:func:`thaw`): a full collection of the suite's
heap (the imported libraries, some 150,000 objects) cost 0.1 s each time,
a third of the smoke run, while what a row creates is all a collection
within the row needs to look at.  Work that is not part of the call
(building the estimator, copying data) happens outside the timed region.
"""

import gc
import statistics
import time
import tracemalloc
import warnings

__all__ = ["alternate", "timed", "thaw", "traced_peak", "median"]


def median(values):
    return statistics.median(values)


def timed(call):
    """Run ``call()`` once; return (seconds, its result)."""
    gc.collect()
    # Later collections skip what is alive now, until thaw().
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()
    return elapsed, result


def thaw():
    """Let the collector see again what :func:`timed` froze (at the end of a row).

    Objects alive at a timing that later end up in reference cycles are
    only collected once thawed; thawing after every row keeps any such
    garbage from outliving its row.
    """
    gc.unfreeze()


def alternate(contenders, repeats):
    """Time each contender ``repeats`` times, alternating them.

    Parameters
    ----------
    contenders : list of (name, make_call)
        ``make_call(repeat)`` prepares one run outside the timed region and
        returns the zero-argument callable to time.
    repeats : int

    Returns
    -------
    times : dict name -> list of float
        Seconds of each run, in order.
    results : dict name -> list
        What each timed callable returned, in order.
    warnings_seen : dict name -> set of str
        Categories and first words of the warnings each contender raised.
    """
    times = {name: [] for name, _ in contenders}
    results = {name: [] for name, _ in contenders}
    seen = {name: set() for name, _ in contenders}
    for repeat in range(repeats):
        for name, make_call in contenders:
            call = make_call(repeat)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                elapsed, result = timed(call)
            for w in caught:
                seen[name].add(f"{w.category.__name__}: {str(w.message)[:60]}")
            times[name].append(elapsed)
            results[name].append(result)
    return times, results, seen


def traced_peak(call):
    """Peak of the memory traced by :mod:`tracemalloc` during ``call()``, above its start.

    NumPy reports its data buffers to tracemalloc, so the peak covers the
    arrays a fit allocates (and Python objects); memory that compiled code
    takes with a plain ``malloc`` (OpenBLAS work buffers, some Cython
    scratch space) is not seen.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - base, result
