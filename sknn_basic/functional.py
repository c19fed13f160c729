"""The mathematics of the lessons, as pure functions on arrays.

Everything the three estimators compute lives here: the Heaviside step of the
perceptron, the activations with their derivatives, the two losses with their
gradients, and the forward and backward pass of a batch through a stack of
fully connected layers.  Each function checks and reshapes its arguments and
then calls the same kernel (:mod:`sknn_basic._kernels`) that the estimators
run when they train and predict, so a learner reproduces each worked example
of the course with the very code of ``fit``.

Conventions
-----------
* A batch ``X`` has shape ``(n_samples, n_features)``; a layer's weights have
  shape ``(fan_in, fan_out)``, so a layer computes ``X @ W + b``.  One sample
  may be given as a 1-D array and one output unit's weights as a 1-D array:
  results then come back in the same shapes.
* The loss of a batch is the (weighted) *mean* over samples of the per-sample
  loss, summed over output units.  Gradients are those of that mean, so
  gradient descent reads ``W -= learning_rate * gradient``.  The lessons write
  the same step as ``W += learning_rate * error_term * x`` with the *error
  term* ``-dL/dz``; :func:`output_error_term` returns exactly that quantity.
* A derivative is the slope of an activation with respect to its input,
  evaluated at the input ``z``: :data:`DERIVATIVES` maps each activation to
  that function and :func:`sigmoid_derivative` is its sigmoid entry.  The
  kernels compute the same slope from the activation's output
  (``o * (1 - o)`` for the sigmoid), which is what lets a backward pass reuse
  the forward pass instead of recomputing exponentials.

Examples
--------
The lessons' single gradient-descent step of one sigmoid unit (S2):

>>> import numpy as np
>>> from sknn_basic import functional as F
>>> x, y, w = np.array([0.1, 0.3]), 0.2, np.array([-0.8, 0.5])
>>> output = F.sigmoid(x @ w)
>>> error_term = F.output_error_term(y, output, loss="squared_error")
>>> print(np.round(0.5 * error_term * x, 6))
[-0.003964 -0.011891]
"""

import numpy as np
from scipy.special import xlogy
from scipy.sparse import issparse

from . import _kernels as K

__all__ = [
    "heaviside",
    "identity",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "relu",
    "softmax",
    "ACTIVATIONS",
    "DERIVATIVES",
    "squared_error",
    "squared_error_gradient",
    "log_loss",
    "log_loss_gradient",
    "LOSSES",
    "output_error_term",
    "forward_pass",
    "backward_pass",
]


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------



def heaviside(z):
    """Heaviside step of the perceptron: 1 where ``z >= 0``, else 0.

    Parameters
    ----------
    z : array-like
        Weighted sums ``w . x + b``.

    Returns
    -------
    step : ndarray of the same shape, dtype of ``z`` if floating else float64
        1.0 where ``z >= 0`` (the boundary itself counts as firing), else 0.0.

    Examples
    --------
    >>> heaviside([-0.5, 0.0, 2.0])
    array([0., 1., 1.])
    """
    z = np.asarray(z)
    dtype = z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64
    return (z >= 0).astype(dtype)


def sigmoid(z, out=None):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, computed without overflow.

    Parameters
    ----------
    z : array-like
        Pre-activations.  Values of any magnitude are safe: ``sigmoid(-1e4)``
        is exactly 0 with no overflow warning.
    out : ndarray, optional
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray
        Values in ``[0, 1]``, in the floating dtype of ``z``.

    Examples
    --------
    >>> sigmoid([0.0, 1e4, -1e4])
    array([0.5, 1. , 0. ])
    """
    z = _as_float(z)
    if out is None:
        out = np.empty_like(z)
    # exp(-z) overflows to inf on purpose for very negative z (1 / inf is the
    # exact limit 0), so the overflow is not reported.
    with np.errstate(over="ignore"):
        K.sigmoid_into(z, out)
    return out[()] if out.ndim == 0 else out


def sigmoid_derivative(z):
    """Derivative of the sigmoid with respect to its input, ``s(z) (1 - s(z))``.

    Parameters
    ----------
    z : array-like
        Pre-activations.

    Returns
    -------
    ndarray
        The slope of the sigmoid at ``z``, ``s(z) (1 - s(z))``; at most 0.25
        (reached at 0).  It is ``DERIVATIVES["sigmoid"](z)``.

    Examples
    --------
    >>> float(sigmoid_derivative(0.0))
    0.25
    """
    return DERIVATIVES["sigmoid"](z)


def tanh(z, out=None):
    """Hyperbolic tangent, an optional hidden activation.

    Parameters
    ----------
    z : array-like
        Pre-activations.
    out : ndarray, optional
        Where to write the result.

    Returns
    -------
    ndarray
        Values in ``[-1, 1]``.
    """
    return _apply("tanh", z, out)


def relu(z, out=None):
    """Rectified linear unit ``max(z, 0)``, an optional hidden activation.

    Parameters
    ----------
    z : array-like
        Pre-activations.
    out : ndarray, optional
        Where to write the result.

    Returns
    -------
    ndarray
        Non-negative values.
    """
    return _apply("relu", z, out)


def identity(z, out=None):
    """The identity, the output activation of a regression network.

    Parameters
    ----------
    z : array-like
        Pre-activations.
    out : ndarray, optional
        Where to write the result.

    Returns
    -------
    ndarray
        ``z`` itself (a copy unless ``out`` is ``z``).
    """
    return _apply("identity", z, out)


def softmax(z, out=None):
    """Softmax over the last axis, the output of a multi-class log-loss network.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_classes)
        Pre-activations.
    out : ndarray, optional
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray
        Rows of non-negative numbers summing to 1.
    """
    return _apply("softmax", z, out)


def _as_float(z):
    z = np.asarray(z)
    return z if z.dtype.kind == "f" else z.astype(np.float64)


def _apply(name, z, out):
    """Run activation kernel ``name`` on float ``z`` into ``out`` (fresh if None)."""
    z = _as_float(z)
    if out is None:
        out = np.array(z, copy=True)
    with np.errstate(over="ignore"):
        K.ACTIVATIONS[name](z, out)
    return out[()] if out.ndim == 0 else out


#: Activation functions by name; each takes ``(z, out=None)``.
ACTIVATIONS = {
    "identity": identity,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
}


def _slope(name):
    def slope(z):
        z = _as_float(z)
        output = np.empty_like(z)
        with np.errstate(over="ignore"):
            K.ACTIVATIONS[name](z, output)
        result = np.ones_like(output)
        K.DERIVATIVES[name](output, result)
        return result[()] if result.ndim == 0 else result

    slope.__name__ = f"{name}_slope"
    slope.__doc__ = f"Slope of the {name} activation at input ``z``, through the training kernel."
    return slope


#: Derivatives by activation name: ``f(z)`` is the slope of the activation at
#: its input ``z`` (for the sigmoid ``s(z) (1 - s(z))``), computed by the very
#: kernel the backward pass runs, from the activation's output.
DERIVATIVES = {name: _slope(name) for name in K.DERIVATIVES}


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


def _as_columns(y, output):
    """Return y and output as 2-D arrays of matching shape."""
    output = np.asarray(output)
    y = np.asarray(y, dtype=output.dtype if output.dtype.kind == "f" else float)
    if output.ndim < 2:
        output = output.reshape(-1, 1)
    if y.ndim < 2:
        y = y.reshape(-1, output.shape[1]) if y.size == output.size else y.reshape(-1, 1)
    return y, output


def _weighted_mean(per_sample, sample_weight):
    return float(np.average(per_sample, weights=sample_weight))


def squared_error(y, output, sample_weight=None):
    """The lessons' squared error, ``(y - o)^2 / 2``, averaged over samples.

    Squaring makes every miss count positively and punishes large misses
    more; the half cancels the 2 that differentiation brings down, so the
    gradient is simply ``o - y``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    output : array-like of the same shape
        Network outputs.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the mean.

    Returns
    -------
    float
        Weighted mean over samples of the per-sample loss summed over outputs.

    Examples
    --------
    >>> squared_error([1.0, 0.0], [0.5, 0.5])
    0.125
    """
    y, output = _as_columns(y, output)
    per_sample = 0.5 * np.sum((y - output) ** 2, axis=1)
    return _weighted_mean(per_sample, sample_weight)


def squared_error_gradient(y, output):
    """Gradient of the per-sample squared error with respect to the output: ``o - y``.

    Parameters
    ----------
    y : array-like
        Targets.
    output : array-like
        Network outputs.

    Returns
    -------
    ndarray
        ``output - y``.
    """
    return np.asarray(output) - np.asarray(y)


def _clip_probability(p):
    eps = np.finfo(p.dtype if p.dtype.kind == "f" else np.float64).eps
    return np.clip(p, eps, 1 - eps)


def log_loss(y, output, sample_weight=None, output_activation="sigmoid"):
    """Cross-entropy of probabilistic outputs, averaged over samples.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets in ``{0, 1}`` (one-hot for several softmax outputs).
    output : array-like of the same shape
        Probabilities; clipped to ``[eps, 1 - eps]`` so the loss is finite.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the mean.
    output_activation : {"sigmoid", "softmax"}, default="sigmoid"
        With sigmoid outputs every column is a binary problem and the
        per-sample loss is the sum of their binary log losses; with softmax
        outputs it is the categorical cross-entropy ``-log p[true class]``.

    Returns
    -------
    float
        Weighted mean over samples of the per-sample loss.

    Examples
    --------
    >>> round(log_loss([1, 0], [0.9, 0.1]), 6)
    0.105361
    """
    y, output = _as_columns(y, output)
    p = _clip_probability(output)
    if output_activation == "softmax":
        per_sample = -np.sum(xlogy(y, p), axis=1)
    else:
        per_sample = -np.sum(xlogy(y, p) + xlogy(1 - y, 1 - p), axis=1)
    return _weighted_mean(per_sample, sample_weight)


def log_loss_gradient(y, output):
    """Gradient of the per-sample binary log loss with respect to the output.

    Parameters
    ----------
    y : array-like
        Targets in ``{0, 1}``.
    output : array-like
        Probabilities.

    Returns
    -------
    ndarray
        ``(o - y) / (o (1 - o))``; multiplied by the sigmoid's slope
        ``o (1 - o)`` it leaves the simple error term ``o - y``.
    """
    p = _clip_probability(np.asarray(output, dtype=float))
    return (p - np.asarray(y)) / (p * (1 - p))


#: Losses by name.
LOSSES = {"squared_error": squared_error, "log_loss": log_loss}


def output_error_term(y, output, loss="squared_error"):
    """The lessons' error term ``-dL/dz`` at output units with a sigmoid (or softmax).

    Parameters
    ----------
    y : array-like
        Targets.
    output : array-like
        Outputs of the sigmoid (or softmax) units.
    loss : {"squared_error", "log_loss"}, default="squared_error"
        With the squared error the term is ``(y - o) o (1 - o)``: the error
        times the sigmoid's slope.  With the log loss the slope cancels and it
        is ``y - o``.

    Returns
    -------
    ndarray
        The error term; a gradient-descent step on a weight from input ``x``
        is ``learning_rate * error_term * x``.

    Examples
    --------
    >>> float(output_error_term(1.0, 0.5))
    0.125
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be 'squared_error' or 'log_loss', got {loss!r}.")
    output, y = np.broadcast_arrays(_as_float(output), _as_float(y))
    column = np.array(output, dtype=np.result_type(output, y)).reshape(-1, 1)
    delta = np.empty_like(column)
    with np.errstate(divide="ignore", invalid="ignore"):
        K.output_delta(column, y.reshape(-1, 1), loss, "sigmoid", None, delta)
    # The kernel computes dL/dz; the lessons' error term is its opposite.
    term = np.negative(delta).reshape(output.shape)
    return term[()] if term.ndim == 0 else term


# ---------------------------------------------------------------------------
# Forward and backward pass of a batch
# ---------------------------------------------------------------------------


def _as_batch(X):
    """2-D view of inputs, and whether they were one sample given as 1-D."""
    if issparse(X):
        return X, False
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return np.atleast_2d(X), X.ndim == 1


def _as_layer_weights(coefs, dtype):
    """Weights as 2-D float arrays, and whether the last was a 1-D vector."""
    weights = [np.asarray(W, dtype=dtype) for W in coefs]
    squeeze = weights[-1].ndim == 1
    return [W.reshape(-1, 1) if W.ndim == 1 else W for W in weights], squeeze


def forward_pass(
    X,
    coefs,
    intercepts=None,
    hidden_activation="sigmoid",
    output_activation="sigmoid",
):
    """Propagate a batch through fully connected layers.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features) or (n_features,)
        Inputs; a 1-D array is one sample.
    coefs : list of array-like
        Layer weights, ``coefs[i]`` of shape ``(fan_in, fan_out)``; the last
        may be 1-D for a single output unit.
    intercepts : list of array-like or None, optional
        Layer biases, ``intercepts[i]`` of shape ``(fan_out,)``; None means no
        biases (as in the lessons' networks).
    hidden_activation : str, default="sigmoid"
        A key of :data:`ACTIVATIONS` for every layer but the last.
    output_activation : str, default="sigmoid"
        A key of :data:`ACTIVATIONS` for the last layer.

    Returns
    -------
    activations : list of ndarray
        The output of each layer, hidden layers first and the network's output
        last; 1-D rows for one sample given as 1-D, and a 1-D (or scalar)
        output for a 1-D last weight vector.

    Examples
    --------
    The lessons' 3-2-1 network of the backpropagation example (S5):

    >>> import numpy as np
    >>> x = np.array([0.5, 0.1, -0.2])
    >>> W_ih = np.array([[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]])
    >>> W_ho = np.array([0.1, -0.3])
    >>> hidden, output = forward_pass(x, [W_ih, W_ho])
    >>> round(float(output), 6)
    0.484973
    """
    X2, one_sample = _as_batch(X)
    weights, squeeze = _as_layer_weights(coefs, X2.dtype)
    if intercepts is not None:
        intercepts = [np.asarray(b, dtype=X2.dtype).reshape(-1) for b in intercepts]
    with np.errstate(over="ignore"):
        result = K.forward(X2, weights, intercepts, hidden_activation, output_activation)
    if squeeze:
        result[-1] = result[-1][:, 0]
    if one_sample:
        result = [a[0] for a in result]
    return result


def backward_pass(
    X,
    y,
    activations,
    coefs,
    loss="squared_error",
    hidden_activation="sigmoid",
    output_activation="sigmoid",
    sample_weight=None,
    alpha=0.0,
    fit_intercept=False,
):
    """Gradients of a batch's mean loss with respect to every weight (backpropagation).

    The output units are sigmoids (or a softmax with the log loss), so the
    output error term is :func:`output_error_term` with its sign flipped.
    Each hidden layer's error term is the next layer's error term carried back
    through that layer's weights, times the hidden activation's slope; a
    weight's gradient is the batch mean of its input times the error term of
    the unit it feeds.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features) or (n_features,)
        Inputs of the batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    activations : list of array-like
        The result of :func:`forward_pass` on ``X``.
    coefs : list of array-like
        Layer weights, as given to :func:`forward_pass`.
    loss : {"squared_error", "log_loss"}, default="squared_error"
        The loss whose gradient is taken.
    hidden_activation : str, default="sigmoid"
        The hidden layers' activation, whose derivative is used.
    output_activation : {"sigmoid", "softmax"}, default="sigmoid"
        The output units' activation (softmax only with the log loss).
    sample_weight : array-like of shape (n_samples,), optional
        The mean over the batch is weighted by these, divided by their sum.
    alpha : float, default=0.0
        L2 penalty ``alpha / 2 * ||W||^2`` on every layer's weights.
    fit_intercept : bool, default=False
        Whether to return the biases' gradients too.

    Returns
    -------
    coef_grads : list of ndarray
        One gradient per layer, shaped like ``coefs``: gradient descent
        subtracts ``learning_rate * coef_grads[i]`` from ``coefs[i]``.
    intercept_grads : list of ndarray or None
        The biases' gradients, or None when ``fit_intercept`` is False.

    Examples
    --------
    The weight changes of the lessons' backpropagation step (S5), learning
    rate 0.5:

    >>> import numpy as np
    >>> x, target = np.array([0.5, 0.1, -0.2]), 0.6
    >>> coefs = [np.array([[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]]), np.array([0.1, -0.3])]
    >>> grads, _ = backward_pass(x, target, forward_pass(x, coefs), coefs)
    >>> print(np.round(-0.5 * grads[1], 6))
    [0.00804  0.005559]
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}.")
    X2, _ = _as_batch(X)
    n = X2.shape[0]
    weights, _ = _as_layer_weights(coefs, X2.dtype)
    # Copies: the hot-path backward pass overwrites the hidden activations.
    acts = [np.array(a, dtype=X2.dtype).reshape(n, -1) for a in activations]
    Y = np.asarray(y, dtype=X2.dtype).reshape(acts[-1].shape)
    if sample_weight is None:
        sw, total = None, n
    else:
        sw = np.asarray(sample_weight, dtype=X2.dtype).reshape(-1)
        total = sw.sum()
    coef_grads = [np.empty_like(W) for W in weights]
    intercept_grads = (
        [np.empty(W.shape[1], dtype=X2.dtype) for W in weights] if fit_intercept else None
    )
    deltas = [np.empty_like(a) for a in acts]
    K.backward(
        X2, Y, acts, weights, loss, hidden_activation, output_activation,
        sw, total, alpha, coef_grads, intercept_grads, deltas,
    )
    coef_grads = [g.reshape(np.shape(W)) for g, W in zip(coef_grads, coefs)]
    return coef_grads, intercept_grads
