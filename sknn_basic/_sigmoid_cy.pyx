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

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define SKNN_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define SKNN_CLONES
    #endif

    static inline double sknn_from_bits(int64_t bits) {
        double value;
        memcpy(&value, &bits, sizeof value);
        return value;
    }

    static inline int64_t sknn_to_bits(double value) {
        int64_t bits;
        memcpy(&bits, &value, sizeof bits);
        return bits;
    }

    SKNN_CLONES
    static void sknn_sigmoid(const double *z, double *out, Py_ssize_t n) {
        const double shifter = 6755399441055744.0;  /* 1.5 * 2**52 */
        const int64_t shifter_bits = 0x4338000000000000LL;
        const double log2e = 1.4426950408889634;
        const double ln2_hi = 6.93147180369123816490e-01;  /* 32 bits: k ln2_hi is exact */
        const double ln2_lo = 1.90821492927058770002e-10;
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            double v = z[i];
            double x = v < 0.0 ? v : -v;                  /* -|z|, NaN kept */
            x = x < -746.0 ? -746.0 : x;                  /* exp below this is 0 */
            double shifted = x * log2e + shifter;
            double kd = shifted - shifter;
            int64_t k = sknn_to_bits(shifted) - shifter_bits;
            double k1d = kd * 0.5 + shifter;
            int64_t k1 = sknn_to_bits(k1d) - shifter_bits;
            int64_t k2 = k - k1;
            double r = (x - kd * ln2_hi) - kd * ln2_lo;
            /* q by Estrin's scheme: pairs of terms, then pairs of pairs, so
               the chain of dependent operations is 7 long instead of 24. */
            double r2 = r * r;
            double r4 = r2 * r2;
            double r8 = r4 * r4;
            double q01 = 1.0 / 2.0 + r * (1.0 / 6.0);
            double q23 = 1.0 / 24.0 + r * (1.0 / 120.0);
            double q45 = 1.0 / 720.0 + r * (1.0 / 5040.0);
            double q67 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
            double q89 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
            double q1011 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
            double q = ((q01 + r2 * q23) + r4 * (q45 + r2 * q67)) + r8 * (q89 + r2 * q1011);
            double p = 1.0 + (r + r2 * q);
            double e = (p * sknn_from_bits((k1 + 1023) << 52)) * sknn_from_bits((k2 + 1023) << 52);
            double d = 1.0 / (1.0 + e);
            /* 0 where exp(-z) overflows, as 1 / (1 + exp(-z)) gives it in
               NumPy and in an ONNX graph: a saturated unit is 0 there too. */
            out[i] = v >= 0.0 ? d : (v < -709.782712893384 ? 0.0 : e * d);
        }
    }
    """
    void sknn_sigmoid(const double *z, double *out, Py_ssize_t n) nogil


def sigmoid(const double[::1] z, double[::1] out):
    """Write ``1 / (1 + exp(-z))`` into ``out`` (both flat and C-contiguous; may be one array)."""
    if z.shape[0] != out.shape[0]:
        raise ValueError(f"z has {z.shape[0]} elements and out {out.shape[0]}")
    with nogil:
        sknn_sigmoid(&z[0] if z.shape[0] else NULL, &out[0] if out.shape[0] else NULL, z.shape[0])
