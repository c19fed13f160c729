# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""One mini-batch epoch of a network without a hidden layer, compiled (built by ``pip install``).

This is the epoch :class:`~sknn_basic.SigmoidGDClassifier` runs at its
defaults: the log loss of sigmoid or softmax output units, plain gradient
descent, the batches of a (shuffled) epoch one after the other.  The NumPy
path (:meth:`sknn_basic._network.LayeredModel.run_epoch` over the kernels of
:mod:`sknn_basic._kernels`) computes the same quantities with the same
formulas; what it spends on a small batch is mostly the fixed cost of some
twenty NumPy calls, which this loop does not pay.  The two products of a
batch go to SciPy's BLAS, the rest is one pass over the batch's outputs.  Results agree with the NumPy path to rounding (the order of a few
sums differs), which tests/test_single_layer_kernel.py checks.

Per batch, as the NumPy path does it:

* ``Z = X_b W + b``; ``P`` = softmax (each row shifted by its maximum) or
  sigmoid ``1 / (1 + exp(-Z))``;
* loss sum ``-sum_i w_i sum_j Y_ij log(max(1 - |P_ij - Y_ij|, eps))`` (for a
  sigmoid output without the ``Y_ij`` factor, which is the same for 0/1
  targets), ``eps`` the dtype's machine epsilon; the softmax's terms whose
  ``Y_ij`` is 0 add nothing, so their logarithms are skipped;
* ``delta = w_i (P - Y)``, the gradient ``(X_b^T delta) / total + alpha W``
  and ``(1^T delta) / total``, ``total`` the batch's weight (or rows);
  a batch whose total weight is not positive is skipped;
* the step ``W += (-learning_rate) * gradient``, likewise for ``b``.

Arrays are read through typed memoryviews, so the extension needs no NumPy
headers; the loop runs without the GIL.
"""

from libc.string cimport memcpy

include "_common.pxi"


def log_loss_epoch(
    const floating[:, ::1] X,
    const target_t[:, ::1] Y,
    const floating[::1] sample_weight,
    const index_t[::1] order,
    floating[:, ::1] coef,
    floating[::1] intercept,
    double learning_rate,
    double alpha,
    Py_ssize_t batch_size,
    bint softmax,
    floating[:, ::1] x_buffer,
    floating[:, ::1] z_buffer,
    floating[:, ::1] coef_grad,
    floating[::1] intercept_grad,
):
    """Run one epoch in place on ``coef`` and ``intercept``; return the loss sum.

    ``coef`` is ``(n_outputs, n_features)``, the estimators' ``coef_``
    (the transpose of the network's ``(fan_in, fan_out)`` weights).
    ``sample_weight``, ``order`` and ``intercept`` may be None; ``x_buffer``
    (``batch_size`` rows) receives the gathered rows when ``order`` is given.
    ``z_buffer`` has ``batch_size`` rows and one column per output unit;
    ``coef_grad`` and ``intercept_grad`` have the shapes of ``coef`` and
    ``intercept``.
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_features = X.shape[1]
    cdef Py_ssize_t n_outputs = coef.shape[0]
    cdef Py_ssize_t start, stop, m, i, j, row
    cdef bint weighted = sample_weight is not None
    cdef bint shuffled = order is not None
    cdef bint has_intercept = intercept is not None
    cdef floating eps, w, d, p, scale, step, q
    cdef floating alpha_ = <floating>alpha
    cdef floating *xb
    cdef floating *z = &z_buffer[0, 0]
    cdef double loss_sum = 0.0, batch_loss, total
    # The loop trusts these shapes: check them once, with the GIL.
    if (Y.shape[0] != n_samples or Y.shape[1] != n_outputs or coef.shape[1] != n_features
            or batch_size < 1 or z_buffer.shape[0] < min(batch_size, n_samples)
            or z_buffer.shape[1] != n_outputs
            or coef_grad.shape[0] != n_outputs or coef_grad.shape[1] != n_features
            or (weighted and sample_weight.shape[0] != n_samples)
            or (shuffled and (order.shape[0] != n_samples
                              or x_buffer is None
                              or x_buffer.shape[0] < min(batch_size, n_samples)
                              or x_buffer.shape[1] != n_features))
            or (has_intercept and (intercept.shape[0] != n_outputs
                                   or intercept_grad is None
                                   or intercept_grad.shape[0] != n_outputs))):
        raise ValueError("log_loss_epoch: the arrays' shapes do not match")
    if n_samples == 0 or n_features == 0:
        return 0.0
    if floating is float:
        eps = _EPS32
    else:
        eps = _EPS64
    step = <floating>(-learning_rate)

    with nogil:
        start = 0
        while start < n_samples:
            stop = min(start + batch_size, n_samples)
            m = stop - start
            if shuffled:
                for i in range(m):
                    memcpy(&x_buffer[i, 0], &X[order[start + i], 0],
                           n_features * sizeof(floating))
                xb = &x_buffer[0, 0]
            else:
                xb = <floating *>&X[start, 0]

            # Z (m x k, row-major) = X_b coef^T; column-major, Z^T = coef X_b^T,
            # where the row-major coef reads as its transpose.
            _gemm(c'T', c'N', <int>n_outputs, <int>m, <int>n_features, <floating>1.0,
                  &coef[0, 0], <int>n_features, xb, <int>n_features, <floating>0.0,
                  z, <int>n_outputs)

            total = 0.0
            batch_loss = 0.0
            for i in range(m):
                row = order[start + i] if shuffled else start + i
                w = sample_weight[row] if weighted else 1
                total += w
                if has_intercept:
                    for j in range(n_outputs):
                        z[i * n_outputs + j] += intercept[j]
                if softmax:
                    _softmax_row(&z[i * n_outputs], n_outputs)
                else:
                    for j in range(n_outputs):
                        z[i * n_outputs + j] = 1 / (1 + _exp(-z[i * n_outputs + j]))
                # The output now holds P; it becomes delta = w (P - Y).
                q = 0
                for j in range(n_outputs):
                    d = z[i * n_outputs + j] - <floating>Y[row, j]
                    # Under softmax a unit whose target is 0 adds 0 times a
                    # finite log: skip its logarithm, the dearest step here.
                    if not softmax or Y[row, j] != 0:
                        p = 1 - _abs(d)
                        if p < eps:
                            p = eps
                        if softmax:
                            q += <floating>Y[row, j] * _log(p)
                        else:
                            q += _log(p)
                    z[i * n_outputs + j] = d * w if weighted else d
                batch_loss += (<double>q) * (<double>w)
            if not total > 0:
                start = stop
                continue
            loss_sum -= batch_loss

            # gradient (k x n, row-major) = delta^T X_b; column-major,
            # grad^T = X_b^T delta.
            _gemm(c'N', c'T', <int>n_features, <int>n_outputs, <int>m, <floating>1.0,
                  xb, <int>n_features, z, <int>n_outputs, <floating>0.0,
                  &coef_grad[0, 0], <int>n_features)
            scale = <floating>(1.0 / total)
            for j in range(n_outputs):
                for i in range(n_features):
                    d = coef_grad[j, i] * scale
                    if alpha_ != 0:
                        d = d + alpha_ * coef[j, i]
                    coef[j, i] += d * step
            if has_intercept:
                for j in range(n_outputs):
                    intercept_grad[j] = 0
                for i in range(m):
                    for j in range(n_outputs):
                        intercept_grad[j] += z[i * n_outputs + j]
                for j in range(n_outputs):
                    intercept[j] += (intercept_grad[j] * scale) * step
            start = stop
    return loss_sum
