"""One epoch of Rosenblatt's rule, sample after sample, in two interchangeable kernels.

The perceptron's rule is sequential: each sample is judged by the weights the
previous samples left.  Two kernels honour it exactly:

* a compiled loop (numba, an optional dependency: ``pip install sknn-basic[fast]``),
  used when numba imports;
* a pure NumPy kernel that exploits the rule's one shortcut: a correctly
  classified sample changes nothing, so the weights stay fixed until the next
  mistake.  It evaluates a block of upcoming samples with one matrix product,
  jumps to the first mistake, updates, and carries on from the sample after
  it.  The block grows while there are no mistakes and shrinks to twice the
  last gap after one, so the work follows the number of mistakes.

Both apply the same floating-point operations to the weights in the same
order, so they give identical weights (their sums ``w . x`` may round
differently, which could only matter for a sample lying on the boundary to
within rounding).  Set the environment variable ``SKNN_BASIC_DISABLE_NUMBA=1``
to force the NumPy kernel.

State of an epoch, shared by both kernels: ``coef`` (n_outputs, n_features),
``intercept`` (n_outputs,), and for the averaged perceptron ``coef_sum``,
``intercept_sum`` (running sums of the weights after every visit, kept
lazily) and ``last`` (per output, the visit up to which the sums are
complete).  ``t`` counts the visits of samples since training began.
"""

import os

import numpy as np
from scipy.sparse import issparse

__all__ = ["run_epoch", "numba_available"]

_NUMBA_KERNELS = None


def _load_numba_kernels():
    """Compile (or load from cache) the numba kernels; None without numba."""
    global _NUMBA_KERNELS
    if _NUMBA_KERNELS is not None:
        return _NUMBA_KERNELS or None
    if os.environ.get("SKNN_BASIC_DISABLE_NUMBA", "") not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:
        _NUMBA_KERNELS = False
        return None

    jit = numba.njit(cache=True, nogil=True)

    @jit
    def flush(k, t, coef, intercept, coef_sum, intercept_sum, last):
        held = t - last[k]
        if held > 0:
            for j in range(coef.shape[1]):
                coef_sum[k, j] += coef[k, j] * held
            intercept_sum[k] += intercept[k] * held
        last[k] = t

    @jit
    def dense_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                    average, coef_sum, intercept_sum, last, t):
        n_outputs, n_features = coef.shape
        mistakes = 0.0
        weighted = sw.shape[0] > 0
        for p in range(order.shape[0]):
            i = order[p]
            weight = sw[i] if weighted else 1.0
            t += 1
            for k in range(n_outputs):
                s = intercept[k]
                for j in range(n_features):
                    s += coef[k, j] * X[i, j]
                error = Y[i, k] - (1.0 if s >= 0 else 0.0)
                if error != 0.0 and weight > 0.0:
                    if average:
                        flush(k, t - 1, coef, intercept, coef_sum, intercept_sum, last)
                    step = lr * weight * error
                    for j in range(n_features):
                        coef[k, j] += step * X[i, j]
                    if fit_intercept:
                        intercept[k] += step
                    mistakes += weight
        if average:
            for k in range(n_outputs):
                flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
        return mistakes, t

    @jit
    def sparse_epoch(data, indices, indptr, Y, sw, order, coef, intercept, lr,
                     fit_intercept, average, coef_sum, intercept_sum, last, t):
        n_outputs = coef.shape[0]
        mistakes = 0.0
        weighted = sw.shape[0] > 0
        for p in range(order.shape[0]):
            i = order[p]
            weight = sw[i] if weighted else 1.0
            t += 1
            start, stop = indptr[i], indptr[i + 1]
            for k in range(n_outputs):
                s = intercept[k]
                for q in range(start, stop):
                    s += coef[k, indices[q]] * data[q]
                error = Y[i, k] - (1.0 if s >= 0 else 0.0)
                if error != 0.0 and weight > 0.0:
                    if average:
                        flush(k, t - 1, coef, intercept, coef_sum, intercept_sum, last)
                    step = lr * weight * error
                    for q in range(start, stop):
                        coef[k, indices[q]] += step * data[q]
                    if fit_intercept:
                        intercept[k] += step
                    mistakes += weight
        if average:
            for k in range(n_outputs):
                flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
        return mistakes, t

    _NUMBA_KERNELS = (dense_epoch, sparse_epoch)
    return _NUMBA_KERNELS


def numba_available():
    """Whether the compiled kernel is in use (numba installed and not disabled)."""
    return _load_numba_kernels() is not None


def _flush(k, t, coef, intercept, coef_sum, intercept_sum, last):
    held = t - last[k]
    if held > 0:
        coef_sum[k] += coef[k] * held
        intercept_sum[k] += intercept[k] * held
    last[k] = t


def _numpy_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                 average, coef_sum, intercept_sum, last, t):
    n = order.shape[0]
    sparse = issparse(X)
    weighted = sw.shape[0] > 0
    mistakes = 0.0
    position = 0
    block = 64
    while position < n:
        rows = order[position:position + block]
        scores = X[rows] @ coef.T
        scores = np.asarray(scores)
        scores += intercept
        errors = Y[rows] - (scores >= 0)
        wrong = errors.any(axis=1)
        if weighted:
            wrong &= sw[rows] > 0
        wrong = np.flatnonzero(wrong)
        if wrong.size == 0:
            t += len(rows)
            position += len(rows)
            block = min(2 * block, 8192)
            continue
        gap = int(wrong[0])
        t += gap + 1
        i = rows[gap]
        weight = sw[i] if weighted else 1.0
        if sparse:
            # Touch only the stored entries, as the compiled kernel does.
            start, stop = X.indptr[i], X.indptr[i + 1]
            columns, x = X.indices[start:stop], X.data[start:stop]
        else:
            x = X[i]
        for k in np.flatnonzero(errors[gap]):
            if average:
                _flush(k, t - 1, coef, intercept, coef_sum, intercept_sum, last)
            step = lr * weight * errors[gap, k]
            if sparse:
                coef[k, columns] += step * x
            else:
                coef[k] += step * x
            if fit_intercept:
                intercept[k] += step
            mistakes += weight
        position += gap + 1
        block = max(16, 2 * (gap + 1))
    if average:
        for k in range(coef.shape[0]):
            _flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
    return mistakes, t


def run_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
              average, coef_sum, intercept_sum, last, t, use_numba=None):
    """Visit every sample once in ``order``, updating the state in place.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Inputs, C-contiguous when dense.
    Y : ndarray of shape (n_samples, n_outputs)
        0/1 targets of every output's perceptron (any numeric dtype).
    sw : ndarray of shape (n_samples,) or (0,)
        Sample weights (times class weights); a zero weight skips the sample.
        An empty array means that every weight is one.
    order : ndarray of int64 of shape (n_samples,)
        Order of the visits.
    coef, intercept, coef_sum, intercept_sum, last : ndarray
        The state described in the module docstring.
    lr : float
        Learning rate.
    fit_intercept, average : bool
        Whether the bias learns, and whether the running sums are kept.
    t : int
        Visits before this epoch.
    use_numba : bool or None, default=None
        Force a kernel; None uses numba when available.

    Returns
    -------
    mistakes : float
        Weighted count of (sample, output) pairs that caused an update.
    t : int
        Visits after this epoch.
    """
    kernels = _load_numba_kernels() if use_numba is not False else None
    if use_numba and kernels is None:
        raise RuntimeError("The numba kernel was requested but numba is not available.")
    if kernels is None:
        return _numpy_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                            average, coef_sum, intercept_sum, last, t)
    dense_epoch, sparse_epoch = kernels
    if issparse(X):
        return sparse_epoch(X.data, X.indices, X.indptr, Y, sw, order, coef, intercept,
                            lr, fit_intercept, average, coef_sum, intercept_sum, last, t)
    return dense_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                       average, coef_sum, intercept_sum, last, t)
