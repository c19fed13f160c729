# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""One mini-batch epoch of a network with hidden layers, compiled (built by ``pip install``).

A batch of a few hundred rows through a (64, 32) network costs the NumPy
path (:meth:`sknn_basic._network.LayeredModel.run_epoch` over the kernels
of :mod:`sknn_basic._kernels`) some forty NumPy calls: bias additions,
activations, slopes, intercept sums, gathers, each paying a fixed cost that
is as large as its arithmetic on such a batch.  This loop runs the same
formulas in C, with the products in SciPy's BLAS, so that a batch costs its
products and one pass over each layer's outputs.

Per batch, as the NumPy path does it (``A_0`` the batch's rows, ``L``
layers of weights ``W_l``, ``(fan_in, fan_out)``, and biases ``b_l``):

* forward: ``A_{l+1} = f(A_l W_l + b_l)``, ``f`` the hidden activation, and
  for the last layer the output activation (sigmoid, softmax with each row
  shifted by its maximum, or identity);
* the output's ``delta = O - Y``; the loss sum, for the log loss
  ``-sum_i w_i sum_j [Y_ij] log(max(1 - |delta_ij|, eps))`` (the ``Y_ij``
  factor for a softmax only, whose units with ``Y_ij = 0`` add nothing),
  for the squared error ``0.5 sum_i w_i sum_j delta_ij^2``; under the
  squared error ``delta`` is then multiplied by the output's slope (a
  sigmoid's ``O (1 - O)``); each row by its weight;
* backward, for ``l = L-1, ..., 0``: ``grad W_l = (A_l^T delta_l) / total +
  alpha W_l``, ``grad b_l = (1^T delta_l) / total`` and, below the top,
  ``delta_{l-1} = (delta_l W_l^T)`` times the hidden activation's slope,
  written through its output as :data:`sknn_basic._kernels.DERIVATIVES`
  writes it; ``total`` is the batch's weight (or its rows), and a batch
  whose total is not positive is skipped;
* the step, by the rule the optimizer names (its ``inline_rule``): plain
  descent ``W += grad (-learning_rate)``, momentum or Nesterov's momentum
  over the optimizer's velocities, or Adam over its moments with the
  bias corrections of each step, each with the operations of its
  :mod:`sknn_basic._optimizers` class in their order and precision; any
  other rule through the ``step`` callable, which the loop calls with the
  gradients in the caller's buffers (as the NumPy path calls
  ``optimizer.step``).

A batch of :data:`SPLIT_ROWS` rows or more is computed in two halves, on
two threads where the caller gives two (OpenMP, with SciPy's BLAS held to
one thread meanwhile): each half's forward pass, loss and gradient sums are
its own, and the sums are added before the step.  The halves are the same
with one thread, which computes them one after the other, so the numbers do
not depend on the threads.  A process forked after its parent ran the
threads computes on one (GNU OpenMP's pool does not survive a fork; see
:func:`sknn_basic._compiled.batch_threads`), never entering OpenMP at all.
On a (64, 32) network's batch of 200 rows, two threads took 108 against
196 microseconds; BLAS's own threads gain nothing on products that small.

Float64 sigmoids are those of ``_sigmoid.h``, the kernel behind every
float64 sigmoid of the package, so a hidden layer's outputs here have the
bits the NumPy path computes; other results agree with it to rounding (some
sums run in another order), which tests/test_layered_kernel.py checks.
"""

from cpython.exc cimport PyErr_CheckSignals
from cython.parallel cimport prange
from libc.math cimport pow, tanh, tanhf
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

include "_common.pxi"
include "_adam.pxi"

cdef extern from "_sigmoid.h":
    void sknn_sigmoid(const double *z, double *out, Py_ssize_t n) nogil

#: The activations this loop computes, by the names of sknn_basic._kernels;
#: a network with another one runs in NumPy.
ACTIVATIONS = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "softmax": 4}
#: The step rules this loop takes itself, by the names of ``inline_rule``.
RULES = {"callback": 0, "descent": 1, "momentum": 2, "nesterov": 3, "adam": 4}

cdef enum:
    CALLBACK = 0
    DESCENT = 1
    MOMENTUM = 2
    NESTEROV = 3
    ADAM = 4

cdef enum:
    IDENTITY = 0
    SIGMOID = 1
    TANH = 2
    RELU = 3
    SOFTMAX = 4


cdef inline void _activate(int code, floating *z, Py_ssize_t n) noexcept nogil:
    """An element-wise activation of ``z`` in place (not the softmax)."""
    cdef Py_ssize_t e
    cdef floating v
    if code == SIGMOID:
        if floating is double:
            sknn_sigmoid(z, z, n)
        else:
            for e in range(n):
                z[e] = 1 / (1 + expf(-z[e]))
    elif code == TANH:
        for e in range(n):
            if floating is double:
                z[e] = tanh(z[e])
            else:
                z[e] = tanhf(z[e])
    elif code == RELU:
        for e in range(n):
            v = z[e]
            # A NaN passes, as through np.maximum(z, 0).
            z[e] = 0 if v < 0 else v


cdef inline void _slope(int code, floating *output, floating *delta, Py_ssize_t n) noexcept nogil:
    """``delta`` times the activation's slope, written through its output."""
    cdef Py_ssize_t e
    cdef floating o
    if code == SIGMOID:
        for e in range(n):
            o = output[e]
            delta[e] = (delta[e] * o) * (1 - o)
    elif code == TANH:
        for e in range(n):
            o = output[e]
            delta[e] = delta[e] * (1 - o * o)
    elif code == RELU:
        for e in range(n):
            delta[e] = delta[e] * (<floating>1 if output[e] > 0 else <floating>0)


cdef inline void _descend(floating *param, floating *grad, Py_ssize_t n,
                          floating step) noexcept nogil:
    # As SGDOptimizer.step: grad *= -learning_rate; param += grad.
    cdef Py_ssize_t e
    for e in range(n):
        param[e] += grad[e] * step


cdef inline void _momentum_step(floating *param, floating *grad, floating *velocity,
                                Py_ssize_t n, floating learning_rate, floating mu,
                                bint nesterov) noexcept nogil:
    # As SGDOptimizer.step: velocity *= mu; grad *= lr; velocity -= grad;
    # then param += velocity, or param += mu * velocity; param -= grad.
    cdef Py_ssize_t e
    cdef floating g, v
    for e in range(n):
        v = velocity[e] * mu
        g = grad[e] * learning_rate
        v = v - g
        velocity[e] = v
        if nesterov:
            param[e] = param[e] + mu * v
            param[e] = param[e] - g
        else:
            param[e] = param[e] + v


#: Batches of at least this many rows are computed in two halves (each
#: half's products, activations and gradient sums; the sums are added), on
#: two threads where there are two.  A (64, 32) network's batch of 200 rows
#: is a few hundred microseconds of products too small for BLAS's own
#: threads to share, while its halves are independent until the sums.
SPLIT_ROWS = 64


cdef struct Net:
    # What a pass over rows reads: the layers' widths and arrays (void
    # pointers, read as the epoch's floating type) and the activations.
    Py_ssize_t n_layers
    Py_ssize_t *dims
    void **weights
    void **biases
    void **hidden
    void **deltas
    int hidden_code
    int output_code
    bint log_loss


cdef Py_ssize_t _parameter_count(Py_ssize_t *dims, Py_ssize_t n_layers) noexcept nogil:
    cdef Py_ssize_t layer, count = 0
    for layer in range(n_layers):
        count += (dims[layer] + 1) * dims[layer + 1]
    return count


cdef void _rows_pass(Net *net, const floating *X, const target_t *Y,
                     const floating *sample_weight, const index_t *order, floating *x_rows,
                     Py_ssize_t start, Py_ssize_t first, Py_ssize_t m,
                     void **weight_sums, void **bias_sums,
                     double *loss_out, double *total_out) noexcept nogil:
    """Forward and backward over rows ``first .. first + m`` of the batch at ``start``.

    Writes the unscaled gradient sums of those rows into ``weight_sums``
    (``A^T delta`` per layer) and ``bias_sums`` (``1^T delta``; None
    without intercepts), their weighted loss sum into ``loss_out`` and
    their total weight into ``total_out``.  Two calls on disjoint rows may
    run at once: each touches its own rows of the buffers and its own sums.
    """
    cdef Py_ssize_t n_layers = net.n_layers, layer, i, j, row, fan_in, fan_out
    cdef Py_ssize_t n_features = net.dims[0], k = net.dims[n_layers]
    cdef bint softmax = net.output_code == SOFTMAX
    cdef floating *xb
    cdef floating *a
    cdef floating *out = NULL
    cdef floating *delta
    cdef floating *bias
    cdef floating w, d, o, p, q, eps
    cdef double loss = 0.0, total = 0.0
    if floating is float:
        eps = _EPS32
    else:
        eps = _EPS64

    if order != NULL:
        for i in range(m):
            memcpy(x_rows + (first + i) * n_features, X + order[start + first + i] * n_features,
                   n_features * sizeof(floating))
        xb = x_rows + first * n_features
    else:
        xb = <floating *>X + (start + first) * n_features

    # Forward.  Row-major A (m x fan_in) times W (fan_in x fan_out) is,
    # column-major, W^T A^T: both read as stored.
    a = xb
    for layer in range(n_layers):
        fan_in = net.dims[layer]
        fan_out = net.dims[layer + 1]
        out = <floating *>(net.hidden[layer] if layer < n_layers - 1
                           else net.deltas[layer]) + first * fan_out
        _gemm(c'N', c'N', <int>fan_out, <int>m, <int>fan_in, <floating>1.0,
              <floating *>net.weights[layer], <int>fan_out, a, <int>fan_in,
              <floating>0.0, out, <int>fan_out)
        if net.biases != NULL:
            bias = <floating *>net.biases[layer]
            for i in range(m):
                for j in range(fan_out):
                    out[i * fan_out + j] += bias[j]
        if layer < n_layers - 1:
            _activate(net.hidden_code, out, m * fan_out)
        elif softmax:
            for i in range(m):
                _softmax_row(&out[i * k], k)
        else:
            _activate(net.output_code, out, m * k)
        a = out

    # The output becomes delta, row by row.
    for i in range(m):
        row = order[start + first + i] if order != NULL else start + first + i
        w = sample_weight[row] if sample_weight != NULL else 1
        total += w
        q = 0
        for j in range(k):
            o = out[i * k + j]
            d = o - <floating>Y[row * k + j]
            if net.log_loss:
                # A softmax unit whose target is 0 adds 0 times a finite
                # log: skip the logarithm.
                if not softmax or Y[row * k + j] != 0:
                    p = 1 - _abs(d)
                    if p < eps:
                        p = eps
                    if softmax:
                        q += _log(p) * <floating>Y[row * k + j]
                    else:
                        q += _log(p)
            else:
                q += d * d
                if net.output_code == SIGMOID:
                    d = (d * o) * (1 - o)
            out[i * k + j] = d * w if sample_weight != NULL else d
        loss += (<double>q) * (<double>w)
    loss_out[0] = -loss if net.log_loss else 0.5 * loss
    total_out[0] = total

    for layer in range(n_layers - 1, -1, -1):
        fan_in = net.dims[layer]
        fan_out = net.dims[layer + 1]
        a = xb if layer == 0 else <floating *>net.hidden[layer - 1] + first * fan_in
        delta = <floating *>net.deltas[layer] + first * fan_out
        # sums (fan_in x fan_out, row-major) = A^T delta; column-major,
        # their transpose is delta^T A.
        _gemm(c'N', c'T', <int>fan_out, <int>fan_in, <int>m, <floating>1.0,
              delta, <int>fan_out, a, <int>fan_in, <floating>0.0,
              <floating *>weight_sums[layer], <int>fan_out)
        if bias_sums != NULL:
            bias = <floating *>bias_sums[layer]
            for j in range(fan_out):
                bias[j] = 0
            for i in range(m):
                for j in range(fan_out):
                    bias[j] += delta[i * fan_out + j]
        if layer > 0:
            # delta_{l-1} (m x fan_in) = delta W^T; column-major, its
            # transpose is W delta^T.  The weights are still this batch's:
            # every step comes after the pass.
            _gemm(c'T', c'N', <int>fan_in, <int>m, <int>fan_out, <floating>1.0,
                  <floating *>net.weights[layer], <int>fan_out, delta, <int>fan_out,
                  <floating>0.0, <floating *>net.deltas[layer - 1] + first * fan_in,
                  <int>fan_in)
            _slope(net.hidden_code, <floating *>net.hidden[layer - 1] + first * fan_in,
                   <floating *>net.deltas[layer - 1] + first * fan_in, m * fan_in)


cdef inline void _half(Net *net, const floating *X, const target_t *Y,
                       const floating *sample_weight, const index_t *order, floating *x_rows,
                       Py_ssize_t start, Py_ssize_t m, Py_ssize_t first_rows, Py_ssize_t h,
                       void **weight_grads, void **bias_grads, void **halves_grads,
                       bint has_intercept, double *losses, double *totals) noexcept nogil:
    """Half ``h`` of a batch of ``m`` rows (the whole batch when it is not split)."""
    _rows_pass(net, X, Y, sample_weight, order, x_rows, start,
               0 if h == 0 else first_rows,
               first_rows if h == 0 else m - first_rows,
               weight_grads if h == 0 else halves_grads,
               NULL if not has_intercept
               else (bias_grads if h == 0 else halves_grads + net.n_layers),
               &losses[h], &totals[h])


cdef inline void _finish_gradient(floating *grad, floating *other_half, floating *weights,
                                  Py_ssize_t n, floating scale, floating alpha) noexcept nogil:
    """``grad = (grad [+ other_half]) scale [+ alpha weights]``, the batch's gradient."""
    cdef Py_ssize_t e
    cdef floating g
    for e in range(n):
        g = grad[e]
        if other_half != NULL:
            g = g + other_half[e]
        g = g * scale
        if alpha != 0:
            g = g + alpha * weights[e]
        grad[e] = g


cdef floating *_matrix(object array, Py_ssize_t rows, Py_ssize_t columns, str what,
                       floating *kind) except NULL:
    """The data of a writeable C-contiguous array ``(rows, columns)`` (-1: any rows)."""
    cdef floating[:, ::1] view
    try:
        view = array
    except (TypeError, ValueError, BufferError) as error:
        raise ValueError(f"layered_epoch: {what} must be a writeable C-contiguous 2-D array "
                         f"of the weights' dtype: {error}") from None
    if view.shape[1] != columns or (rows >= 0 and view.shape[0] != rows) or view.shape[0] < 1:
        raise ValueError(f"layered_epoch: {what} has shape {tuple(array.shape)}, expected "
                         f"({'*' if rows < 0 else rows}, {columns})")
    return &view[0, 0]


cdef floating *_vector(object array, Py_ssize_t length, str what, floating *kind) except NULL:
    """The data of a writeable C-contiguous 1-D array of ``length`` values."""
    cdef floating[::1] view
    try:
        view = array
    except (TypeError, ValueError, BufferError) as error:
        raise ValueError(f"layered_epoch: {what} must be a writeable C-contiguous 1-D array "
                         f"of the weights' dtype: {error}") from None
    if view.shape[0] != length:
        raise ValueError(f"layered_epoch: {what} has {view.shape[0]} values, expected {length}")
    return &view[0]


def layered_epoch(
    const floating[:, ::1] X,
    const target_t[:, ::1] Y,
    const floating[::1] sample_weight,
    const index_t[::1] order,
    list coefs,
    list intercepts,
    list coef_grads,
    list intercept_grads,
    list hidden_buffers,
    list delta_buffers,
    floating[:, ::1] x_buffer,
    str hidden_activation,
    str output_activation,
    bint log_loss,
    double alpha,
    Py_ssize_t batch_size,
    str rule,
    list rule_arrays,
    tuple rule_scalars,
    object step,
    int threads=1,
):
    """Run one epoch in place on the weights and biases; return the loss sum and the steps.

    ``coefs`` are the ``L`` weight arrays ``(fan_in, fan_out)``, and
    ``intercepts`` their biases (or None); ``coef_grads`` and
    ``intercept_grads`` have their shapes and receive each batch's
    gradient.  ``hidden_buffers`` (``L - 1``) and ``delta_buffers`` (``L``)
    have at least ``min(batch_size, n_samples)`` rows and one column per
    unit of their layer.  ``sample_weight``, ``order`` and ``step`` may be
    None; ``x_buffer`` (``batch_size`` rows) receives the gathered rows when
    ``order`` is given.

    ``rule`` (a key of :data:`RULES`) says how a batch's gradient becomes a
    step.  The parameters are ``coefs + intercepts``, in that order, and
    ``rule_arrays`` holds the rule's state, shaped like them:

    * ``"descent"``: none; ``rule_scalars`` is ``(learning_rate,)``;
    * ``"momentum"``, ``"nesterov"``: the velocities;
      ``(learning_rate, momentum)``;
    * ``"adam"``: the first moments, then the second;
      ``(learning_rate, beta_1, beta_2, epsilon, t)``, ``t`` the steps
      taken before this epoch;
    * ``"callback"``: none; ``step()`` is called once the batch's gradient
      is in ``coef_grads`` and ``intercept_grads``.

    A batch whose total weight is not positive takes no step.  Batches of
    :data:`SPLIT_ROWS` rows or more are computed in two halves, on
    ``threads`` threads (at most two; where the extension was built without
    OpenMP, one), with the same numbers whatever ``threads`` is.  Returns
    ``(loss_sum, steps)``.
    """
    cdef Py_ssize_t n_samples = X.shape[0], n_layers = len(coefs)
    cdef Py_ssize_t start, stop, m, halves, first_rows, h
    cdef int layer, hidden_code, output_code
    cdef bint weighted = sample_weight is not None
    cdef bint shuffled = order is not None
    cdef bint has_intercept = intercepts is not None
    cdef floating scale
    cdef floating alpha_ = <floating>alpha
    cdef floating learning_rate = 0, mu = 0
    cdef double rate = 0, beta_1 = 0, beta_2 = 0, epsilon = 0, t = 0
    cdef double correction1 = 1, correction2 = 1
    cdef floating *address
    cdef Py_ssize_t steps = 0, n_parameters, r
    cdef int rule_code
    cdef floating *extra = NULL
    cdef floating *x_rows
    cdef const floating *weights_data
    cdef const index_t *order_data
    cdef void **halves_grads = NULL
    cdef Net net
    cdef double losses[2]
    cdef double totals[2]
    cdef double loss_sum = 0.0, batch_loss, total

    if hidden_activation not in ACTIVATIONS or hidden_activation == "softmax":
        raise ValueError(f"layered_epoch: no hidden activation {hidden_activation!r}")
    if output_activation not in ("identity", "sigmoid", "softmax"):
        raise ValueError(f"layered_epoch: no output activation {output_activation!r}")
    if log_loss and output_activation == "identity":
        raise ValueError("layered_epoch: the log loss needs a sigmoid or softmax output")
    if not log_loss and output_activation == "softmax":
        raise ValueError("layered_epoch: the squared error has no softmax slope here")
    hidden_code = ACTIVATIONS[hidden_activation]
    output_code = ACTIVATIONS[output_activation]
    if rule not in RULES:
        raise ValueError(f"layered_epoch: no step rule {rule!r}")
    rule_code = RULES[rule]
    n_parameters = n_layers * (2 if has_intercept else 1)
    expected = {CALLBACK: (0, 0), DESCENT: (0, 1), MOMENTUM: (1, 2), NESTEROV: (1, 2),
                ADAM: (2, 5)}[rule_code]
    if (len(rule_arrays) != expected[0] * n_parameters or len(rule_scalars) != expected[1]
            or (rule_code == CALLBACK) != (step is not None)):
        raise ValueError(f"layered_epoch: the rule {rule!r} takes {expected[0]} arrays per "
                         f"parameter, {expected[1]} scalars and a step callable only as "
                         "'callback'")
    if rule_code != CALLBACK:
        rate = rule_scalars[0]
        learning_rate = <floating>rate
    if rule_code == MOMENTUM or rule_code == NESTEROV:
        mu = <floating>rule_scalars[1]
    if rule_code == ADAM:
        beta_1, beta_2, epsilon, t = (rule_scalars[1], rule_scalars[2], rule_scalars[3],
                                      rule_scalars[4])
    if (n_layers < 1 or len(coef_grads) != n_layers or len(delta_buffers) != n_layers
            or len(hidden_buffers) != n_layers - 1
            or (has_intercept and (intercept_grads is None or len(intercepts) != n_layers
                                   or len(intercept_grads) != n_layers))):
        raise ValueError("layered_epoch: the lists of arrays do not match the layers")
    if (batch_size < 1 or Y.shape[0] != n_samples
            or (weighted and sample_weight.shape[0] != n_samples)
            or (shuffled and (order.shape[0] != n_samples or x_buffer is None
                              or x_buffer.shape[0] < min(batch_size, n_samples)
                              or x_buffer.shape[1] != X.shape[1]))):
        raise ValueError("layered_epoch: the arrays' shapes do not match")
    if n_samples == 0:
        return 0.0, 0
    threads = max(1, min(threads, 2))
    rows_needed = min(batch_size, n_samples)

    # The layers' widths and the addresses of their arrays, checked once
    # with the GIL; the loop below trusts them.
    cdef Py_ssize_t *dims = <Py_ssize_t *>malloc((n_layers + 1) * sizeof(Py_ssize_t))
    cdef void **arrays = <void **>malloc(10 * n_layers * sizeof(void *))
    cdef Py_ssize_t *sizes = <Py_ssize_t *>malloc(n_parameters * sizeof(Py_ssize_t))
    if dims == NULL or arrays == NULL or sizes == NULL:
        free(dims)
        free(arrays)
        free(sizes)
        raise MemoryError()
    # Per parameter (the weights of each layer, then its biases): itself,
    # its gradient and the rule's one or two arrays for it; then per layer
    # the hidden outputs and the deltas.
    cdef void **parameters = arrays
    cdef void **gradients = arrays + 2 * n_layers
    cdef void **state_1 = arrays + 4 * n_layers
    cdef void **state_2 = arrays + 6 * n_layers
    cdef void **hidden = arrays + 8 * n_layers
    cdef void **deltas = arrays + 9 * n_layers
    cdef void **weights = parameters
    cdef void **biases = parameters + n_layers
    cdef void **weight_grads = gradients
    cdef void **bias_grads = gradients + n_layers
    try:
        dims[0] = X.shape[1]
        for layer in range(n_layers):
            shape = getattr(coefs[layer], "shape", ())
            dims[layer + 1] = shape[1] if len(shape) == 2 else 0
            if dims[layer] < 1 or dims[layer + 1] < 1:
                raise ValueError("layered_epoch: every layer needs at least one input and output")
            weights[layer] = _matrix(coefs[layer], dims[layer], dims[layer + 1],
                                     f"coefs[{layer}]", <floating *>NULL)
            weight_grads[layer] = _matrix(coef_grads[layer], dims[layer], dims[layer + 1],
                                          f"coef_grads[{layer}]", <floating *>NULL)
            if has_intercept:
                biases[layer] = _vector(intercepts[layer], dims[layer + 1],
                                        f"intercepts[{layer}]", <floating *>NULL)
                bias_grads[layer] = _vector(intercept_grads[layer], dims[layer + 1],
                                            f"intercept_grads[{layer}]", <floating *>NULL)
            deltas[layer] = _matrix(delta_buffers[layer], -1, dims[layer + 1],
                                    f"delta_buffers[{layer}]", <floating *>NULL)
            if delta_buffers[layer].shape[0] < rows_needed:
                raise ValueError(f"layered_epoch: delta_buffers[{layer}] has too few rows")
            if layer < n_layers - 1:
                hidden[layer] = _matrix(hidden_buffers[layer], -1, dims[layer + 1],
                                        f"hidden_buffers[{layer}]", <floating *>NULL)
                if hidden_buffers[layer].shape[0] < rows_needed:
                    raise ValueError(f"layered_epoch: hidden_buffers[{layer}] has too few rows")
        if Y.shape[1] != dims[n_layers]:
            raise ValueError("layered_epoch: Y has another number of columns than the outputs")
        for r in range(n_parameters):
            layer = r % n_layers
            sizes[r] = dims[layer] * dims[layer + 1] if r < n_layers else dims[layer + 1]
            for state, offset in ((0, 0), (1, n_parameters)):
                if state >= expected[0]:
                    break
                what = f"rule_arrays[{offset + r}]"
                if r < n_layers:
                    address = _matrix(rule_arrays[offset + r], dims[layer], dims[layer + 1],
                                      what, <floating *>NULL)
                else:
                    address = _vector(rule_arrays[offset + r], dims[layer + 1], what,
                                      <floating *>NULL)
                if state == 0:
                    state_1[r] = address
                else:
                    state_2[r] = address
        net.n_layers = n_layers
        net.dims = dims
        net.weights = weights
        net.biases = biases if has_intercept else NULL
        net.hidden = hidden
        net.deltas = deltas
        net.hidden_code = hidden_code
        net.output_code = output_code
        net.log_loss = log_loss
        # The second half's gradient sums, added to the first's after the
        # pass.  With one thread the halves run one after the other: the
        # same sums in the same order, so the same bits as with two.
        extra = <floating *>malloc(sizeof(floating) * _parameter_count(dims, n_layers))
        halves_grads = <void **>malloc(2 * n_layers * sizeof(void *))
        if extra == NULL or halves_grads == NULL:
            raise MemoryError()
        address = extra
        for layer in range(n_layers):
            halves_grads[layer] = address
            address += dims[layer] * dims[layer + 1]
            halves_grads[n_layers + layer] = address
            address += dims[layer + 1]

        x_rows = &x_buffer[0, 0] if shuffled else NULL
        weights_data = &sample_weight[0] if weighted else NULL
        order_data = &order[0] if shuffled else NULL
        start = 0
        while start < n_samples:
            stop = min(start + batch_size, n_samples)
            m = stop - start
            # Two halves from SPLIT_ROWS rows on, whatever the threads: the
            # numbers depend on the batch alone, not on the machine.
            halves = 2 if m >= SPLIT_ROWS else 1
            first_rows = m // 2 if halves == 2 else m
            with nogil:
                if threads > 1 and halves == 2:
                    for h in prange(2, num_threads=2, schedule="static", chunksize=1):
                        _half(&net, &X[0, 0], &Y[0, 0], weights_data, order_data, x_rows,
                              start, m, first_rows, h, weight_grads, bias_grads,
                              halves_grads, has_intercept, losses, totals)
                else:
                    # No OpenMP call at all: a process forked after another
                    # used OpenMP's threads must not enter a parallel region.
                    for h in range(halves):
                        _half(&net, &X[0, 0], &Y[0, 0], weights_data, order_data, x_rows,
                              start, m, first_rows, h, weight_grads, bias_grads,
                              halves_grads, has_intercept, losses, totals)
            total = totals[0] + (totals[1] if halves == 2 else 0.0)
            # A Ctrl-C reaches the loop between batches, as in the NumPy path.
            PyErr_CheckSignals()
            if not total > 0:
                start = stop
                continue
            batch_loss = losses[0] + (losses[1] if halves == 2 else 0.0)
            loss_sum += batch_loss

            with nogil:
                scale = <floating>(1.0 / total)
                for layer in range(n_layers):
                    _finish_gradient(<floating *>weight_grads[layer],
                                     <floating *>halves_grads[layer] if halves == 2 else NULL,
                                     <floating *>weights[layer], dims[layer] * dims[layer + 1],
                                     scale, alpha_)
                    if has_intercept:
                        _finish_gradient(<floating *>bias_grads[layer],
                                         <floating *>halves_grads[n_layers + layer]
                                         if halves == 2 else NULL,
                                         NULL, dims[layer + 1], scale, 0)
                if rule_code == ADAM:
                    # The bias corrections of this step, computed as
                    # AdamOptimizer.step computes them.
                    t += 1
                    correction1 = 1.0 - pow(beta_1, t)
                    correction2 = sqrt(1.0 - pow(beta_2, t))
                for r in range(n_parameters):
                    if rule_code == DESCENT:
                        _descend(<floating *>parameters[r], <floating *>gradients[r], sizes[r],
                                 -learning_rate)
                    elif rule_code == MOMENTUM or rule_code == NESTEROV:
                        _momentum_step(<floating *>parameters[r], <floating *>gradients[r],
                                       <floating *>state_1[r], sizes[r], learning_rate, mu,
                                       rule_code == NESTEROV)
                    elif rule_code == ADAM:
                        _adam_update(<floating *>state_1[r], <floating *>state_2[r],
                                     <floating *>gradients[r], sizes[r], beta_1, beta_2,
                                     rate * correction2 / correction1,
                                     epsilon * correction2)
                        _descend(<floating *>parameters[r], <floating *>gradients[r], sizes[r],
                                 <floating>-1)
            steps += 1
            if rule_code == CALLBACK:
                step()
            start = stop
    finally:
        free(dims)
        free(arrays)
        free(sizes)
        free(extra)
        free(halves_grads)
    return loss_sum, steps
