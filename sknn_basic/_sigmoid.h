/* The logistic sigmoid of float64 values with an exp the compiler vectorises.

   Shared by the compiled kernels that compute sigmoids (_sigmoid_cy for
   sknn_basic._kernels.sigmoid_into, _layered_cy inside a network's batch),
   so that every float64 sigmoid of a process has the same bits whichever
   path computed it.  The method is described in _sigmoid_cy.pyx. */

#ifndef SKNN_SIGMOID_H
#define SKNN_SIGMOID_H

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


#endif
