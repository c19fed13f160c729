# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Adam's update of a flat vector of parameters, compiled (built by ``pip install``).

:meth:`sknn_basic._optimizers.AdamOptimizer._update` takes ten NumPy calls
over the moments and the gradient; on a deep network's small batches each
call costs more in its fixed part than in its arithmetic, and Adam's step
took a fifth of a fit.  This loop does the same operations on each element,
in the same order and the same precision (``setup.py`` turns off fused
multiply-adds, and the scalars are rounded to the array's dtype first, as
NumPy rounds a Python float met with a float32 array), so it gives the NumPy
path's numbers to the last bit:

* ``m = m b1 + ((1 - b1) g)``;
* ``v = v b2 + ((g g) (1 - b2))``;
* ``step = (m / (sqrt(v) + eps)) lr``, written over ``g``.

The optimizer keeps NumPy for the one case this does not cover: an epsilon
so small that ``sqrt(v)`` needs its floor against underflow.
"""

ctypedef fused floating:
    float
    double

include "_adam.pxi"


def adam_update(floating[::1] m, floating[::1] v, floating[::1] g, double beta_1,
                double beta_2, double learning_rate, double epsilon):
    """Update the moments ``m`` and ``v`` by the gradient ``g``; write the step into ``g``.

    The three arrays are flat, C-contiguous, of one dtype and one length.
    ``learning_rate`` and ``epsilon`` are the bias-corrected ones the
    optimizer computes for this step.
    """
    cdef Py_ssize_t n = g.shape[0]
    if m.shape[0] != n or v.shape[0] != n:
        raise ValueError(f"m, v and g must have one length; got {m.shape[0]}, {v.shape[0]} "
                         f"and {n}")
    with nogil:
        _adam_update(&m[0] if n else NULL, &v[0] if n else NULL, &g[0] if n else NULL, n,
                     beta_1, beta_2, learning_rate, epsilon)
