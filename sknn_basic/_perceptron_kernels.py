"""One epoch of Rosenblatt's rule, sample after sample, in two interchangeable kernels.

The perceptron's rule is sequential: each sample is judged by the weights the
previous samples left.  Two kernels honour it exactly:

* a compiled loop (the extension ``sknn_basic._perceptron_cy``, written in
  Cython and built by ``pip install``), used whenever it was built;
* a pure NumPy kernel, the fallback where no C compiler was available at
  install time.  It exploits the rule's one shortcut: a correctly classified
  sample changes nothing, so the weights stay fixed until the next mistake.
  It evaluates a block of upcoming samples with one matrix product, jumps to
  the first mistake, updates, and carries on from the sample after it.  The
  block grows while there are no mistakes and shrinks to twice the last gap
  after one, so the work follows the number of mistakes.

Both kernels do the same arithmetic, whatever the input's dtype: the decision
value ``w . x + b`` of a sample is summed in float64, and each update
``w + step * x`` (``step = learning_rate * sample_weight * error``), like each
running sum of the averaged perceptron, is computed in float64 from the
stored values and rounded once to the weights' dtype (the input's: float32
stays float32).  So they give identical weights; only their sums ``w . x``
may round differently (in the last bit of a float64), which could matter only
for a sample lying on the boundary to within that rounding.  Set the
environment variable ``SKNN_BASIC_NUMPY_KERNEL=1`` to force the NumPy kernel.

Large inputs: the weights grow like ``learning_rate`` times the inputs, so
``w . x`` grows like their square.  Inputs train normally while every
decision value fits in the input's dtype: up to magnitudes of about 1e150
in float64 and 1e19 in float32.  Beyond that, when a decision value comes
out NaN or larger than the dtype's largest value, or an epoch leaves a
weight (or a running sum) that is not finite, the kernels stop and raise
:class:`PerceptronOverflowError`, a ValueError that says to rescale the
features or lower ``learning_rate``.  A kernel never hands weights that are
not finite back to the caller.

State of an epoch, shared by both kernels: ``coef`` (n_outputs, n_features),
``intercept`` (n_outputs,), and for the averaged perceptron ``coef_sum``,
``intercept_sum`` (running sums of the weights after every visit, kept
lazily) and ``last`` (per output, the visit up to which the sums are
complete).  ``visits`` counts the visits of samples since training began.
"""

import numpy as np
from scipy.sparse import issparse

from ._compiled import load_kernel, numpy_kernels_requested

__all__ = ["PerceptronOverflowError", "compiled_available", "run_epoch"]

# None where not built: the NumPy kernel serves.
_perceptron_cy = load_kernel("_perceptron_cy")

KERNELS = ("compiled", "numpy")


class PerceptronOverflowError(ValueError):
    """Rosenblatt's rule overflowed the floating dtype: the inputs are too large."""


def compiled_available():
    """Whether the compiled kernel was built and is in use (not disabled)."""
    return _perceptron_cy is not None and not numpy_kernels_requested()


def _overflow(dtype, visits, what):
    return PerceptronOverflowError(
        f"The perceptron's arithmetic overflowed: {what} was too large after {visits} "
        "sample visits. The weights grow like learning_rate times the inputs, and "
        f"w . x like their square, and both must fit in {np.dtype(dtype).name}. "
        "Rescale the features, for example with "
        "sklearn.preprocessing.StandardScaler, or lower learning_rate."
    )


def _check_state(coef, intercept, average, coef_sum, intercept_sum, visits):
    arrays = (coef, intercept) + ((coef_sum, intercept_sum) if average else ())
    for array in arrays:
        if not np.isfinite(array).all():
            raise _overflow(coef.dtype, visits, "a weight")


def _as_float64(array):
    return array.astype(np.float64, copy=False)


def _flush(k, t, coef, intercept, coef_sum, intercept_sum, last):
    held = t - last[k]
    if held > 0:
        # In float64, rounded once to the sums' dtype, as the compiled kernel does.
        # (Arrays, not scalars, carry the float64: NumPy 1.26 would let a
        # float64 scalar take a float32 array's dtype.)
        held = np.float64(held)
        coef_sum[k] = coef_sum[k] + _as_float64(coef[k]) * held
        intercept_sum[k] = np.float64(intercept_sum[k]) + np.float64(intercept[k]) * held
    last[k] = t


def _numpy_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                 average, coef_sum, intercept_sum, last, t):
    n = order.shape[0]
    sparse = issparse(X)
    weighted = sw.shape[0] > 0
    mistakes = 0.0
    position = 0
    block = 64
    # Decision values in float64 whatever the dtype, as the compiled kernel
    # sums them: float32 weights get a float64 copy, refreshed after updates.
    limit = np.finfo(coef.dtype).max
    copied = coef.dtype != np.float64
    coef64 = _as_float64(coef).T
    while position < n:
        rows = order[position:position + block]
        scores = np.asarray(_as_float64(X[rows]) @ coef64)
        scores += intercept
        errors = Y[rows] - (scores >= 0)
        wrong = errors.any(axis=1)
        if weighted:
            wrong &= sw[rows] > 0
        # A decision value must fit in the weights' dtype (NaN fails too).
        not_finite = ~(np.abs(scores) <= limit).all(axis=1)
        stops = np.flatnonzero(wrong | not_finite)
        if stops.size == 0:
            t += len(rows)
            position += len(rows)
            block = min(2 * block, 8192)
            continue
        gap = int(stops[0])
        t += gap + 1
        if not_finite[gap]:
            raise _overflow(coef.dtype, t, "a decision value w . x + b")
        i = rows[gap]
        weight = np.float64(sw[i] if weighted else 1.0)
        if sparse:
            # Touch only the stored entries, as the compiled kernel does.
            start, stop = X.indptr[i], X.indptr[i + 1]
            columns, x = X.indices[start:stop], _as_float64(X.data[start:stop])
        else:
            x = _as_float64(X[i])
        for k in np.flatnonzero(errors[gap]):
            if average:
                _flush(k, t - 1, coef, intercept, coef_sum, intercept_sum, last)
            step = np.float64(lr) * weight * np.float64(errors[gap, k])
            # x is float64: the update is computed in float64 and rounded once
            # on assignment to the weights' dtype.
            if sparse:
                coef[k, columns] = coef[k, columns] + step * x
            else:
                coef[k] = coef[k] + step * x
            if copied:
                coef64[:, k] = coef[k]
            if fit_intercept:
                intercept[k] = np.float64(intercept[k]) + step
            mistakes += float(weight)
        position += gap + 1
        block = max(16, 2 * (gap + 1))
    if average:
        for k in range(coef.shape[0]):
            _flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
    return mistakes, t


def _compiled_epoch(X, Y, sw, order, coef, intercept, lr, fit_intercept,
                    average, coef_sum, intercept_sum, last, t):
    if Y.dtype != np.int8:
        # The compiled loop reads 0/1 targets as int8 (the estimators' own dtype).
        Y = np.ascontiguousarray(Y, dtype=np.int8)
    if sw.dtype not in (np.float32, np.float64):
        sw = np.ascontiguousarray(sw, dtype=np.float64)
    if not issparse(X) and (X.dtype != coef.dtype or not X.flags.c_contiguous):
        # The loop reads native C-contiguous rows of the weights' dtype
        # (big-endian or strided input gets a converted copy).
        X = np.ascontiguousarray(X, dtype=coef.dtype)
    order = np.ascontiguousarray(order, dtype=np.int64)
    lr, fit_intercept, average = float(lr), bool(fit_intercept), bool(average)
    if issparse(X):
        data, indices, indptr = X.data, X.indices, X.indptr
        if indices.dtype != indptr.dtype:
            indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
        mistakes, t, status = _perceptron_cy.sparse_epoch(
            np.ascontiguousarray(data, dtype=coef.dtype), indices, indptr, Y, sw, order,
            coef, intercept, lr, fit_intercept, average, coef_sum, intercept_sum, last, t)
    else:
        mistakes, t, status = _perceptron_cy.dense_epoch(
            X, Y, sw, order, coef, intercept, lr, fit_intercept, average,
            coef_sum, intercept_sum, last, t)
    if status == _perceptron_cy.NOT_FINITE:
        raise _overflow(coef.dtype, t, "a decision value w . x + b")
    return mistakes, t


def run_epoch(X, Y, sample_weight, order, coef, intercept, learning_rate, fit_intercept,
              average, coef_sum, intercept_sum, last, visits, kernel=None):
    """Visit every sample once in ``order``, updating the state in place.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Inputs, float32 or float64, C-contiguous when dense.
    Y : ndarray of shape (n_samples, n_outputs)
        0/1 targets of every output's perceptron (int8 is read without a copy
        by the compiled kernel; any numeric dtype works).
    sample_weight : ndarray of shape (n_samples,) or (0,)
        Sample weights (times class weights); a zero weight skips the sample.
        An empty array means that every weight is one.
    order : ndarray of int64 of shape (n_samples,)
        Order of the visits.
    coef, intercept, coef_sum, intercept_sum, last : ndarray
        The state described in the module docstring; the floating ones in
        the dtype of ``X``.
    learning_rate : float
        Step of each update.
    fit_intercept, average : bool
        Whether the bias learns, and whether the running sums are kept.
    visits : int
        Visits before this epoch.
    kernel : {"compiled", "numpy"} or None, default=None
        Force a kernel; None uses the compiled one when available.

    Returns
    -------
    mistakes : float
        Weighted count of (sample, output) pairs that caused an update.
    visits : int
        Visits after this epoch.

    Raises
    ------
    PerceptronOverflowError
        When a decision value, a weight or a running sum is not finite: the
        inputs (or the learning rate) are too large for the dtype.
    """
    if kernel is None:
        kernel = "compiled" if compiled_available() else "numpy"
    elif kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS} or None, got {kernel!r}.")
    elif kernel == "compiled" and _perceptron_cy is None:
        raise RuntimeError(
            "The compiled perceptron kernel was requested but was not built: reinstall "
            "sknn-basic where a C compiler is available (pip install .)."
        )
    epoch = _compiled_epoch if kernel == "compiled" else _numpy_epoch
    # Overflow is reported by PerceptronOverflowError: NumPy's own warnings
    # about it would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        mistakes, visits = epoch(X, Y, sample_weight, order, coef, intercept, learning_rate,
                                 fit_intercept, average, coef_sum, intercept_sum, last,
                                 visits)
    _check_state(coef, intercept, average, coef_sum, intercept_sum, visits)
    return mistakes, visits
