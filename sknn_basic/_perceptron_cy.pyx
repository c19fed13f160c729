# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""One epoch of Rosenblatt's rule, compiled ahead of time (built by ``pip install``).

This is the compiled kernel behind :mod:`sknn_basic._perceptron_kernels`,
which documents the state it updates and the arithmetic both kernels share:
every decision value and every update is computed in double precision from
the stored values, and each result is rounded once to the dtype of the
weights (the input's).  The NumPy kernel does exactly the same operations,
so the two give identical weights for float32 and float64 alike.

The loops read the arrays through typed memoryviews (the buffer protocol),
so the extension needs no NumPy headers and one build serves every NumPy
version the package supports.  They run without the GIL.

Each epoch function returns ``(mistakes, visits, status)``: ``status`` is
0, or :data:`NOT_FINITE` when a decision value ``w . x + b`` came out NaN
or beyond the largest value of the weights' dtype, in which case the epoch
stops at that visit and ``visits`` counts it.
"""

from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport fabs
from libc.stdint cimport int32_t, int64_t

ctypedef fused floating:
    float
    double

ctypedef fused weight_t:
    float
    double

ctypedef fused index_t:
    int32_t
    int64_t

cdef enum:
    _NOT_FINITE = 1

#: ``status`` of an epoch stopped by a decision value that is not finite.
NOT_FINITE = _NOT_FINITE


cdef inline double _dot(const floating *w, const floating *x, Py_ssize_t n) noexcept nogil:
    """``w . x`` in double, over four running sums.

    Four independent sums let the processor overlap the additions (one sum
    waits for each addition to finish); they round differently from one sum,
    in the last bits of a double, as any order (BLAS's included) does.
    """
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef Py_ssize_t j, end = n - n % 4
    for j in range(0, end, 4):
        s0 += <double>w[j] * <double>x[j]
        s1 += <double>w[j + 1] * <double>x[j + 1]
        s2 += <double>w[j + 2] * <double>x[j + 2]
        s3 += <double>w[j + 3] * <double>x[j + 3]
    for j in range(end, n):
        s0 += <double>w[j] * <double>x[j]
    return (s0 + s1) + (s2 + s3)


cdef inline void _flush(Py_ssize_t k, int64_t t, floating[:, ::1] coef,
                        floating[::1] intercept, floating[:, ::1] coef_sum,
                        floating[::1] intercept_sum, int64_t[::1] last) noexcept nogil:
    """Add the weights held since the last flush to the running sums."""
    cdef double held = <double>(t - last[k])
    cdef Py_ssize_t j
    if held > 0:
        for j in range(coef.shape[1]):
            coef_sum[k, j] = <floating>(coef_sum[k, j] + <double>coef[k, j] * held)
        intercept_sum[k] = <floating>(intercept_sum[k] + <double>intercept[k] * held)
    last[k] = t


cdef inline bint _mistake(Py_ssize_t k, double s, double target, double weight, double lr,
                          int64_t t, bint fit_intercept, bint average,
                          floating[:, ::1] coef, floating[::1] intercept,
                          floating[:, ::1] coef_sum, floating[::1] intercept_sum,
                          int64_t[::1] last, double *step, double *mistakes) noexcept nogil:
    """Judge output ``k`` of visit ``t`` by its decision value ``s``.

    On a mistake (of a sample of positive weight): bring the running sums up
    to the previous visit, move the bias, count the mistake, set ``step`` for
    the caller's update of the weights (dense or sparse), and return True.
    """
    cdef double error = target - (1.0 if s >= 0 else 0.0)
    if error == 0.0 or weight <= 0.0:
        return False
    if average:
        _flush(k, t - 1, coef, intercept, coef_sum, intercept_sum, last)
    step[0] = lr * weight * error
    if fit_intercept:
        intercept[k] = <floating>(intercept[k] + step[0])
    mistakes[0] += weight
    return True


def dense_epoch(const floating[:, ::1] X, const signed char[:, ::1] Y,
                const weight_t[::1] sw, const int64_t[::1] order,
                floating[:, ::1] coef, floating[::1] intercept, double lr,
                bint fit_intercept, bint average, floating[:, ::1] coef_sum,
                floating[::1] intercept_sum, int64_t[::1] last, int64_t t):
    """One epoch over a C-contiguous dense ``X``; see the module docstring."""
    cdef Py_ssize_t n_outputs = coef.shape[0], n_features = coef.shape[1]
    cdef Py_ssize_t p, i, j, k
    cdef bint weighted = sw.shape[0] > 0
    cdef double mistakes = 0.0, weight = 1.0, s, step = 0.0
    cdef int status = 0
    # A decision value must fit in the weights' dtype (NaN fails the test too).
    cdef double limit = FLT_MAX if floating is float else DBL_MAX
    # Rows through plain pointers: the inner loops then compile to bare
    # strided-free loads.
    cdef const floating *x
    cdef floating *w
    with nogil:
        for p in range(order.shape[0]):
            i = order[p]
            if weighted:
                weight = sw[i]
            t += 1
            x = &X[i, 0]
            for k in range(n_outputs):
                w = &coef[k, 0]
                s = <double>intercept[k] + _dot(w, x, n_features)
                if not fabs(s) <= limit:
                    status = _NOT_FINITE
                    break
                if _mistake(k, s, <double>Y[i, k], weight, lr, t, fit_intercept, average,
                            coef, intercept, coef_sum, intercept_sum, last, &step,
                            &mistakes):
                    for j in range(n_features):
                        w[j] = <floating>(w[j] + step * <double>x[j])
            if status:
                break
        if average and not status:
            for k in range(n_outputs):
                _flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
    return mistakes, t, status


def sparse_epoch(const floating[::1] data, const index_t[::1] indices,
                 const index_t[::1] indptr, const signed char[:, ::1] Y,
                 const weight_t[::1] sw, const int64_t[::1] order,
                 floating[:, ::1] coef, floating[::1] intercept, double lr,
                 bint fit_intercept, bint average, floating[:, ::1] coef_sum,
                 floating[::1] intercept_sum, int64_t[::1] last, int64_t t):
    """One epoch over a CSR matrix given by its three arrays; see the module docstring."""
    cdef Py_ssize_t n_outputs = coef.shape[0]
    cdef Py_ssize_t p, i, q, k, start, stop
    cdef bint weighted = sw.shape[0] > 0
    cdef double mistakes = 0.0, weight = 1.0, s, step = 0.0
    cdef int status = 0
    # A decision value must fit in the weights' dtype (NaN fails the test too).
    cdef double limit = FLT_MAX if floating is float else DBL_MAX
    with nogil:
        for p in range(order.shape[0]):
            i = order[p]
            if weighted:
                weight = sw[i]
            t += 1
            start = indptr[i]
            stop = indptr[i + 1]
            for k in range(n_outputs):
                s = intercept[k]
                for q in range(start, stop):
                    s += <double>coef[k, indices[q]] * <double>data[q]
                if not fabs(s) <= limit:
                    status = _NOT_FINITE
                    break
                if _mistake(k, s, <double>Y[i, k], weight, lr, t, fit_intercept, average,
                            coef, intercept, coef_sum, intercept_sum, last, &step,
                            &mistakes):
                    for q in range(start, stop):
                        coef[k, indices[q]] = <floating>(
                            coef[k, indices[q]] + step * <double>data[q])
            if status:
                break
        if average and not status:
            for k in range(n_outputs):
                _flush(k, t, coef, intercept, coef_sum, intercept_sum, last)
    return mistakes, t, status
