"""The hot path behind :mod:`sknn_basic.functional`: in-place passes over a batch.

These are the functions ``fit`` and ``predict`` run, written for speed: they
write into given buffers, reuse the forward pass's outputs in the backward
pass, and assume the caller silenced NumPy's overflow warnings (the sigmoid's
``exp`` overflows on purpose for very negative inputs).  The public functions
of :mod:`sknn_basic.functional` validate and reshape their arguments and then
call these same kernels, so what a learner computes is what training does.

Conventions: a batch ``X`` is 2-D ``(n_samples, n_features)``; a layer's
weights are ``(fan_in, fan_out)``; an activation kernel is ``f(z, out)``; a
derivative kernel is ``f(output, delta, consume=False)`` and multiplies
``delta`` in place by the activation's slope, expressed through the
activation's output (which is what lets the backward pass reuse the forward
pass instead of recomputing exponentials).
"""

import numpy as np
from scipy.sparse import issparse
from sklearn.utils import assert_all_finite
from sklearn.utils.extmath import safe_sparse_dot

from ._compiled import load_kernel, numpy_kernels_requested

# Chosen once per process, so that every sigmoid of a run (a fit, its
# predict, a later one) is computed by the same code; SKNN_BASIC_NUMPY_KERNEL=1
# at start-up keeps NumPy's, as it does for the compiled epochs.
_sigmoid_cy = None if numpy_kernels_requested() else load_kernel("_sigmoid_cy")

#: exp() of anything below this stays finite in float32 (and float64).
EXP_SAFE = 80.0

_EPS = {np.float64: np.finfo(np.float64).eps, np.float32: np.finfo(np.float32).eps}

_ONES = {}


def ones(n, dtype):
    """A read-only vector of ``n`` ones, kept for the next batch of that size."""
    key = (n, np.dtype(dtype))
    vector = _ONES.get(key)
    if vector is None:
        if len(_ONES) > 32:
            _ONES.clear()
        vector = _ONES[key] = np.ones(n, dtype=dtype)
        vector.flags.writeable = False
    return vector


def row_sums(a):
    """Sums over the last axis, kept as a column.

    For a 2-D array with few columns, a product with a vector of ones runs
    ten times faster than ``a.sum(axis=1)``: NumPy's row-wise reduction pays
    a fixed cost per row.
    """
    if a.ndim != 2:
        return np.add.reduce(a, axis=-1, keepdims=True)
    return (a @ ones(a.shape[1], a.dtype))[:, np.newaxis]


# ---------------------------------------------------------------- activations


def identity_into(z, out):
    if out is not z:
        out[...] = z
    return out


def sigmoid_into(z, out):
    """``1 / (1 + exp(-z))`` into ``out``.

    float64 goes to the compiled kernel where it was built (one pass, an
    ``exp`` in SIMD on any CPU, about 2.5 times faster than NumPy's four
    passes where NumPy's float64 ``exp`` is scalar); every float64 sigmoid of
    the process goes there, strided ones through a contiguous copy, so that
    training, ``predict`` and :mod:`sknn_basic.functional` agree to the bit.
    Otherwise NumPy's vectorised exp, several times faster than scipy's
    expit.  For very negative z, exp(-z) overflows to inf and 1 / inf is the
    exact limit 0 (the compiled kernel gives the same 0).
    """
    if _sigmoid_cy is not None and out.dtype == np.float64 and z.dtype == np.float64:
        if z.flags.c_contiguous and out.flags.c_contiguous:
            _sigmoid_cy.sigmoid(z.reshape(-1), out.reshape(-1))
        else:
            result = np.empty(z.shape)
            _sigmoid_cy.sigmoid(np.ascontiguousarray(z).reshape(-1), result.reshape(-1))
            out[...] = result
        return out
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def tanh_into(z, out):
    return np.tanh(z, out=out)


def relu_into(z, out):
    return np.maximum(z, 0, out=out)


def softmax_into(z, out):
    """Softmax over the last axis into ``out``."""
    if out is not z:
        out[...] = z
    # Shifting by the row maximum keeps exp() at most 1 (no overflow) and
    # makes each row's largest term 1 (no row whose every exp() underflows to
    # 0/0).  The shift leaves the result unchanged but for rounding, so it is
    # skipped where every value is safe either way: two fast reductions over
    # the whole array instead of a row-wise one.
    if not (-EXP_SAFE < np.minimum.reduce(out, axis=None)
            and np.maximum.reduce(out, axis=None) < EXP_SAFE):
        out -= np.maximum.reduce(out, axis=-1, keepdims=True)
    np.exp(out, out=out)
    out /= row_sums(out)
    return out


#: Activation kernels by name: ``f(z, out)`` writes the activation of z into out.
ACTIVATIONS = {
    "identity": identity_into,
    "sigmoid": sigmoid_into,
    "tanh": tanh_into,
    "relu": relu_into,
    "softmax": softmax_into,
}


def sigmoid_slope(output, delta, consume=False):
    delta *= output
    if consume:
        # The output is not needed any more: turn it into 1 - o in place
        # rather than allocating a temporary as large as the layer.
        np.subtract(1, output, out=output)
        delta *= output
    else:
        delta *= 1 - output


def tanh_slope(output, delta, consume=False):
    if consume:
        np.multiply(output, output, out=output)
        np.subtract(1, output, out=output)
        delta *= output
    else:
        delta *= 1 - output**2


def relu_slope(output, delta, consume=False):
    # A product with the 0/1 mask runs about four times faster than
    # assigning through a boolean index; where the mask is 0 a negative
    # delta becomes -0.0, which every later sum and step treats as 0.
    np.multiply(delta, output > 0, out=delta)


def identity_slope(output, delta, consume=False):
    pass


#: Derivative kernels by activation name: ``f(output, delta, consume=False)``
#: multiplies ``delta`` in place by the slope, expressed through the output.
DERIVATIVES = {
    "identity": identity_slope,
    "sigmoid": sigmoid_slope,
    "tanh": tanh_slope,
    "relu": relu_slope,
}


# ------------------------------------------------------------------- products


def weight_gradient(layer_input, delta):
    """``layer_input.T @ delta``, the unscaled gradient of a layer's weights."""
    if type(layer_input) is not np.ndarray and issparse(layer_input):
        return np.asarray(layer_input.T @ delta)
    # The same product written as (delta.T @ input).T: laid out this way,
    # OpenBLAS runs it two to three times faster for a tall batch.
    return (delta.T @ layer_input).T


def forward(X, coefs, intercepts, hidden_activation, output_activation, hidden_buffers=None):
    """Forward pass of a 2-D batch; returns each layer's output.

    ``hidden_buffers`` (one per hidden layer, at least as many rows as X)
    receive the hidden outputs: reusing them across batches spares the fresh
    memory pages a new array of that size costs each time.
    """
    activations = []
    layer_input = X
    last = len(coefs) - 1
    for i, W in enumerate(coefs):
        if hidden_buffers is not None and i < last and not issparse(layer_input):
            out = np.matmul(layer_input, W, out=hidden_buffers[i][: layer_input.shape[0]])
        else:
            # No ``out=`` here: NumPy's matmul into a given array can leave
            # BLAS for a loop several times slower, while a fresh result
            # costs little.  A dense batch skips safe_sparse_dot's checks
            # (about 10 microseconds a call, felt on small batches).
            if type(layer_input) is np.ndarray:
                out = layer_input @ W
            else:
                out = np.asarray(safe_sparse_dot(layer_input, W))
        if intercepts is not None:
            out += intercepts[i]
        ACTIVATIONS[output_activation if i == last else hidden_activation](out, out)
        activations.append(out)
        layer_input = out
    return activations


def loss_sum(loss, output_activation, diff, Y, sample_weight):
    """Sum over a batch of the (weighted) per-sample loss, from ``diff = output - Y``.

    Working from the difference the backward pass needs anyway saves a pass
    over the outputs: for 0/1 targets, ``1 - |o - y|`` is the probability the
    unit gives to the true label.
    """
    if loss == "squared_error":
        if sample_weight is None:
            flat = diff.ravel()
            return 0.5 * float(np.dot(flat, flat))
        # sample_weight @ (diff**2) weights each row and sums each column in
        # one product, far cheaper than a row-wise reduction first.
        return 0.5 * float(np.add.reduce(sample_weight @ (diff * diff)))
    q = np.abs(diff)
    np.subtract(1, q, out=q)
    np.maximum(q, _EPS[q.dtype.type], out=q)
    np.log(q, out=q)
    if output_activation == "softmax":
        q *= Y
    if sample_weight is None:
        return -float(np.add.reduce(q, axis=None))
    return -float(np.add.reduce(sample_weight @ q))


def output_delta(output, Y, loss, output_activation, sample_weight, delta):
    """The output layer's ``dL/dz`` per sample, into ``delta``; returns the loss sum.

    With the squared error ``(o - y) o (1 - o)``; with the log loss of a
    sigmoid or softmax output the slope cancels and it is ``o - y``; with an
    identity output ``o - y`` as well.  Rows are multiplied by their weights.
    """
    np.subtract(output, Y, out=delta)
    total = loss_sum(loss, output_activation, delta, Y, sample_weight)
    if loss == "squared_error":
        DERIVATIVES[output_activation](output, delta)
    if sample_weight is not None:
        delta *= sample_weight[:, np.newaxis]
    return total


def backward(X, Y, activations, coefs, loss, hidden_activation, output_activation,
             sample_weight, total_weight, alpha, coef_grads, intercept_grads, deltas):
    """Backward pass of a 2-D batch into preallocated gradients.

    Fills ``coef_grads`` (and ``intercept_grads`` unless None) with the
    gradient of the batch's weighted loss divided by ``total_weight`` (1 gives
    the gradient *sums*), and returns the batch's weighted loss *sum*.  The
    hidden layers' entries of ``activations`` are overwritten.
    """
    delta = deltas[-1]
    total = output_delta(activations[-1], Y, loss, output_activation, sample_weight, delta)
    scale = 1.0 / total_weight
    for i in range(len(coefs) - 1, -1, -1):
        layer_input = X if i == 0 else activations[i - 1]
        grad = np.multiply(weight_gradient(layer_input, delta), scale, out=coef_grads[i])
        if alpha:
            grad += alpha * coefs[i]
        if intercept_grads is not None:
            # Column sums as a product with ones: NumPy's column-wise
            # reduction is many times slower for a narrow batch.
            np.dot(ones(delta.shape[0], delta.dtype), delta, out=intercept_grads[i])
            intercept_grads[i] *= scale
        if i > 0:
            if delta.shape[1] == 1:
                # One output unit: the product is an outer product, which a
                # broadcast multiplication does faster than BLAS.
                delta = np.multiply(delta, coefs[i].T, out=deltas[i - 1])
            else:
                delta = delta @ coefs[i].T
            # The hidden outputs have served their last use (this layer's
            # gradient, above): the derivative may overwrite them.
            DERIVATIVES[hidden_activation](activations[i - 1], delta, consume=True)
    return total


def input_product(X, W, estimator):
    """``X @ W`` for X from ``_validate_X``, checking that X is finite on the way.

    scikit-learn checks X by summing all of it, a pass over X as long as the
    product's own.  Here a column of ones appended to ``W`` gives the row
    sums of X in the product's pass instead (about a third less time for a
    linear model's predict).  A NaN or infinity in X makes the total
    non-finite; scikit-learn's element-wise check then runs and raises its
    usual error (it passes if the total merely overflowed).  For a narrow
    ``W`` the result is a view of that wider product, not contiguous.
    """
    if issparse(X):
        # validate_data checked the stored values of a sparse X.
        return np.asarray(X @ W)
    n_outputs = W.shape[1]
    if n_outputs > _FUSED_CHECK_MAX_OUTPUTS:
        # A wide product costs many passes over X, so the check's pass
        # matters little, and the strided result of the fused product would
        # slow every later step on it.
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
        return X @ W
    extended = np.empty((W.shape[0], n_outputs + 1), dtype=W.dtype)
    extended[:, :n_outputs] = W
    extended[:, n_outputs] = 1
    product = X @ extended
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(product[:, n_outputs])
    if not np.isfinite(total):
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
    # A strided view: copying it out would cost a pass and fresh memory pages.
    return product[:, :n_outputs]


#: Widest product for which input_product checks X in the product's pass.
_FUSED_CHECK_MAX_OUTPUTS = 16
