# Adam's update of a run of elements, included (``include "_adam.pxi"``) by
# the kernels that take Adam's step: _adam_cy (the optimizer's flat arrays)
# and _layered_cy (a network's batches).  The includer defines ``floating``.
#
# The operations, their order and their precision are those of the NumPy
# path of sknn_basic._optimizers.AdamOptimizer._update, so the two give the
# same bits (setup.py turns off fused multiply-adds; the scalars are rounded
# to the array's dtype first, as NumPy rounds a Python float met with a
# float32 array):
#
#   m = m b1 + ((1 - b1) g);  v = v b2 + ((g g) (1 - b2));
#   step = (m / (sqrt(v) + eps)) lr, written over g.

from libc.math cimport sqrt, sqrtf


cdef inline void _adam_update(floating *m, floating *v, floating *g, Py_ssize_t n,
                              double beta_1, double beta_2, double learning_rate,
                              double epsilon) noexcept nogil:
    cdef floating b1 = <floating>beta_1
    cdef floating b2 = <floating>beta_2
    cdef floating a1 = <floating>(1.0 - beta_1)
    cdef floating a2 = <floating>(1.0 - beta_2)
    cdef floating lr = <floating>learning_rate
    cdef floating eps = <floating>epsilon
    cdef floating gi, mi, vi, product, root
    cdef Py_ssize_t i
    for i in range(n):
        gi = g[i]
        mi = m[i] * b1
        product = a1 * gi
        mi = mi + product
        m[i] = mi
        vi = v[i] * b2
        product = gi * gi
        product = product * a2
        vi = vi + product
        v[i] = vi
        if floating is float:
            root = sqrtf(vi)
        else:
            root = sqrt(vi)
        root = root + eps
        g[i] = (mi / root) * lr
