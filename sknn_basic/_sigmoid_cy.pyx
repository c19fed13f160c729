# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The logistic sigmoid of a float64 array, compiled (built by ``pip install``).

The sigmoid networks spend a third to a half of a fit in ``exp``.  NumPy's
float64 ``exp`` runs in SIMD only on CPUs with AVX-512; elsewhere it costs
about 5 ns an element, and :func:`sknn_basic._kernels.sigmoid_into` adds
three more passes to it.  This loop computes the sigmoid in one pass with an
``exp`` written for the compiler to vectorise (no branch, no table, no call),
built twice where GCC can (for AVX2 and for the baseline) and chosen by the
CPU at load time.

The arithmetic is the same on every CPU: no fused multiply-adds (setup.py
turns contraction off), each operation rounded as written, so the AVX2 and
the baseline builds give the same bits.  It is accurate to within three units
in the last place (NumPy's formula: two); the two differ at that level, which is why
the package uses one or the other for every sigmoid of a process (training,
``predict`` and :mod:`sknn_basic.functional` alike).

How ``exp(x)`` is computed, for ``x = -|z|`` in ``[-746, 0]``:

* ``k = round(x / ln 2)`` by the "add 1.5 * 2**52" trick, whose low bits
  then hold ``k`` as an integer;
* ``r = x - k ln 2`` in two parts (Cody and Waite), so ``|r| <= ln(2) / 2``
  with no loss of digits;
* ``exp(r) = 1 + (r + r^2 q(r))``, ``q`` the Taylor series to ``r^11 / 13!``
  (its remainder is below 1e-17 on that interval), summed by Estrin's
  scheme so that the vector loop is not held up by one long chain;
* the result times ``2**k`` as two factors ``2**k1 2**k2``, each a normal
  number, so a result below the smallest normal one rounds once, correctly.

Then ``sigmoid(z) = 1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` below,
``e = exp(-|z|)``: nothing overflows, and a NaN stays NaN.  Below
``-log(DBL_MAX)`` the result is 0, the value ``1 / (1 + exp(-z))`` takes
there once ``exp(-z)`` overflows.
"""

cdef extern from "_sigmoid.h":
    void sknn_sigmoid(const double *z, double *out, Py_ssize_t n) nogil


def sigmoid(const double[::1] z, double[::1] out):
    """Write ``1 / (1 + exp(-z))`` into ``out`` (both flat and C-contiguous; may be one array)."""
    if z.shape[0] != out.shape[0]:
        raise ValueError(f"z has {z.shape[0]} elements and out {out.shape[0]}")
    with nogil:
        sknn_sigmoid(&z[0] if z.shape[0] else NULL, &out[0] if out.shape[0] else NULL, z.shape[0])
