# What the compiled kernels of a network's batch share, included by each
# (``include "_common.pxi"``): SciPy's BLAS, the fused types of their
# arrays and the scalar functions of either precision.
#
# BLAS: the function pointers are the ones scipy.linalg.cython_blas exports as
# capsules (what a ``cimport`` would read), fetched at import time: the
# build then needs no SciPy, only Cython.  Any failure to find them is an
# ImportError, so that the package falls back to its NumPy path as it does
# when the extension was never built.

from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer
from libc.math cimport exp, expf, fabs, fabsf, log, logf
from libc.stdint cimport int8_t, int32_t, int64_t

ctypedef void (*_dgemm_t)(char *transa, char *transb, int *m, int *n, int *k,
                          double *alpha, double *a, int *lda, double *b, int *ldb,
                          double *beta, double *c, int *ldc) noexcept nogil
ctypedef void (*_sgemm_t)(char *transa, char *transb, int *m, int *n, int *k,
                          float *alpha, float *a, int *lda, float *b, int *ldb,
                          float *beta, float *c, int *ldc) noexcept nogil

cdef _dgemm_t dgemm = NULL
cdef _sgemm_t sgemm = NULL


cdef void *_blas_function(object name) except NULL:
    try:
        from scipy.linalg import cython_blas

        capsule = cython_blas.__pyx_capi__[name]
        return PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule))
    except Exception as error:
        raise ImportError(f"SciPy's BLAS function {name} was not found: {error}") from error


dgemm = <_dgemm_t>_blas_function("dgemm")
sgemm = <_sgemm_t>_blas_function("sgemm")

ctypedef fused floating:
    float
    double

ctypedef fused index_t:
    int32_t
    int64_t

# The targets: the estimators keep 0/1 indicators in int8 (the NumPy path
# subtracts them from the float outputs just the same).
ctypedef fused target_t:
    int8_t
    float
    double

cdef double _EPS64 = 2.220446049250313e-16
cdef float _EPS32 = 1.1920929e-07


cdef inline floating _exp(floating x) noexcept nogil:
    if floating is float:
        return expf(x)
    else:
        return exp(x)


cdef inline floating _log(floating x) noexcept nogil:
    if floating is float:
        return logf(x)
    else:
        return log(x)


cdef inline floating _abs(floating x) noexcept nogil:
    if floating is float:
        return fabsf(x)
    else:
        return fabs(x)


cdef inline void _softmax_row(floating *z, Py_ssize_t k) noexcept nogil:
    """The softmax of one row in place, shifted by its maximum (no overflow)."""
    cdef Py_ssize_t j
    cdef floating zmax = z[0], s = 0, p
    for j in range(1, k):
        if z[j] > zmax:
            zmax = z[j]
    for j in range(k):
        p = _exp(z[j] - zmax)
        z[j] = p
        s += p
    for j in range(k):
        z[j] /= s


cdef inline void _gemm(char transa, char transb, int m, int n, int k, floating alpha,
                       floating *a, int lda, floating *b, int ldb, floating beta,
                       floating *c, int ldc) noexcept nogil:
    # Column-major, as BLAS counts: C (m x n) = alpha op(A) op(B) + beta C.
    if floating is float:
        sgemm(&transa, &transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc)
    else:
        dgemm(&transa, &transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc)
