"""The mathematics module: the lessons' worked examples S2, S4, S5, and stability."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_basic import functional as F


def test_s2_single_unit_step(reference):
    s2 = reference["S2_single_unit_step"]
    x, y, w = np.array(s2["x"]), s2["y"], np.array(s2["weights"])
    output = F.sigmoid(x @ w)
    error = y - output
    delta_w = s2["learning_rate"] * F.output_error_term(y, output) * x
    assert_allclose(output, s2["output"], rtol=0, atol=1e-12)
    assert_allclose(error, s2["error"], rtol=0, atol=1e-12)
    assert_allclose(delta_w, s2["delta_weights"], rtol=0, atol=1e-12)


def test_s2_through_backward_pass(reference):
    s2 = reference["S2_single_unit_step"]
    x, w = np.array(s2["x"]), np.array(s2["weights"])
    grads, _ = F.backward_pass(x, s2["y"], F.forward_pass(x, [w]), [w])
    assert_allclose(-s2["learning_rate"] * grads[0], s2["delta_weights"], atol=1e-12)


def test_s4_forward_pass(reference):
    s4 = reference["S4_forward_pass"]
    rng = np.random.RandomState(42)
    x = rng.randn(4)
    w_ih = rng.normal(0, 0.1, size=(4, 3))
    w_ho = rng.normal(0, 0.1, size=(3, 2))
    assert_allclose(x, s4["x"], atol=1e-15)
    assert_allclose(w_ih, s4["weights_input_hidden"], atol=1e-15)
    hidden, output = F.forward_pass(x, [w_ih, w_ho])
    assert hidden.shape == (3,) and output.shape == (2,)
    assert_allclose(hidden, s4["hidden_output"], rtol=0, atol=1e-12)
    assert_allclose(output, s4["output"], rtol=0, atol=1e-12)


def test_s5_backprop_step(reference):
    s5 = reference["S5_backprop_step"]
    x = np.array(s5["x"])
    coefs = [np.array(s5["weights_input_hidden"]), np.array(s5["weights_hidden_output"])]
    activations = F.forward_pass(x, coefs)
    assert_allclose(activations[-1], s5["output"], atol=1e-12)
    grads, intercept_grads = F.backward_pass(x, s5["target"], activations, coefs)
    assert intercept_grads is None
    assert grads[0].shape == (3, 2) and grads[1].shape == (2,)
    lr = s5["learning_rate"]
    assert_allclose(-lr * grads[1], s5["delta_weights_hidden_output"], rtol=0, atol=1e-12)
    assert_allclose(-lr * grads[0], s5["delta_weights_input_hidden"], rtol=0, atol=1e-12)


def test_heaviside_fires_at_zero():
    assert_allclose(F.heaviside([-1e-12, 0.0, 3.0]), [0.0, 1.0, 1.0])
    assert F.heaviside(np.array([0.0], dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_stable_at_extremes(dtype):
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(z)
        d = F.sigmoid_derivative(z)
        sm = F.softmax(np.vstack([z, -z]))
        loss = F.log_loss(np.array([0, 0, 1, 1, 1]), s)
    assert s.dtype == dtype
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(d)) and np.all(np.isfinite(sm))
    assert s[0] == 0 and s[-1] == 1 and s[2] == 0.5
    assert_allclose(sm.sum(axis=1), 1.0, rtol=1e-6)
    assert np.isfinite(loss)


def test_sigmoid_derivative_matches_finite_difference():
    z = np.linspace(-6, 6, 25)
    h = 1e-6
    numeric = (F.sigmoid(z + h) - F.sigmoid(z - h)) / (2 * h)
    assert_allclose(F.sigmoid_derivative(z), numeric, atol=1e-9)
    assert F.sigmoid_derivative(0.0) == 0.25


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_derivative_table_matches_finite_difference(name):
    z = np.linspace(-3, 3, 13) + 0.05  # avoid relu's kink at 0
    h = 1e-6
    f = F.ACTIVATIONS[name]
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    assert_allclose(F.DERIVATIVES[name](z), numeric, atol=1e-7)
    # One convention: every entry is the slope at the activation's input.
    if name == "sigmoid":
        assert_allclose(F.DERIVATIVES[name](z), F.sigmoid_derivative(z))


def test_losses_values_and_gradients():
    y = np.array([1.0, 0.0, 1.0])
    o = np.array([0.8, 0.3, 0.4])
    assert F.squared_error(y, o) == pytest.approx(np.mean((y - o) ** 2 / 2))
    assert F.log_loss(y, o) == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.4])))
    assert_allclose(F.squared_error_gradient(y, o), o - y)
    h = 1e-7
    for loss, grad in [(F.squared_error, F.squared_error_gradient), (F.log_loss, F.log_loss_gradient)]:
        for i in range(3):
            up, down = o.copy(), o.copy()
            up[i] += h
            down[i] -= h
            numeric = (loss(y, up) - loss(y, down)) / (2 * h) * len(y)
            assert_allclose(grad(y, o)[i], numeric, rtol=1e-5)


def test_weighted_loss_equals_repetition():
    y = np.array([1.0, 0.0, 1.0])
    o = np.array([0.8, 0.3, 0.4])
    w = np.array([2, 0, 1])
    assert F.log_loss(y, o, sample_weight=w) == pytest.approx(F.log_loss(np.repeat(y, w), np.repeat(o, w)))


def test_softmax_log_loss_is_categorical_cross_entropy():
    Y = np.array([[1, 0, 0], [0, 0, 1]])
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    expected = -np.mean(np.log([0.7, 0.6]))
    assert F.log_loss(Y, P, output_activation="softmax") == pytest.approx(expected)


def _numeric_gradients(X, Y, coefs, loss, hidden, output_activation):
    h = 1e-6
    loss_fn = F.LOSSES[loss]
    grads = []
    for W in coefs:
        g = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            old = W[idx]
            W[idx] = old + h
            up = loss_fn(Y, F.forward_pass(X, coefs, None, hidden, output_activation)[-1],
                         **({"output_activation": output_activation} if loss == "log_loss" else {}))
            W[idx] = old - h
            down = loss_fn(Y, F.forward_pass(X, coefs, None, hidden, output_activation)[-1],
                           **({"output_activation": output_activation} if loss == "log_loss" else {}))
            W[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize(
    "loss, hidden, output_activation",
    [("squared_error", "sigmoid", "sigmoid"), ("log_loss", "tanh", "sigmoid"),
     ("log_loss", "relu", "softmax"), ("squared_error", "tanh", "sigmoid")],
)
def test_backward_pass_matches_numeric_gradient(loss, hidden, output_activation):
    rng = np.random.RandomState(0)
    X = rng.randn(7, 4)
    Y = np.eye(3)[rng.randint(0, 3, 7)]
    coefs = [rng.randn(4, 5) * 0.5, rng.randn(5, 3) * 0.5]
    acts = F.forward_pass(X, coefs, None, hidden, output_activation)
    grads, _ = F.backward_pass(X, Y, acts, coefs, loss=loss, hidden_activation=hidden,
                               output_activation=output_activation)
    numeric = _numeric_gradients(X, Y, coefs, loss, hidden, output_activation)
    for g, n in zip(grads, numeric):
        assert_allclose(g, n, rtol=1e-5, atol=1e-8)


def test_backward_pass_intercepts_and_weights():
    rng = np.random.RandomState(1)
    X = rng.randn(6, 3)
    y = rng.randint(0, 2, 6).astype(float)
    W = rng.randn(3, 1)
    b = np.array([0.3])
    sw = np.array([1.0, 2.0, 0.0, 1.0, 3.0, 1.0])
    out = F.forward_pass(X, [W], [b])
    grads, igrads = F.backward_pass(X, y, out, [W], loss="log_loss", sample_weight=sw,
                                    fit_intercept=True)
    err = (out[-1][:, 0] - y) * sw
    assert_allclose(grads[0][:, 0], X.T @ err / sw.sum())
    assert_allclose(igrads[0], [err.sum() / sw.sum()])
    # alpha adds the L2 term's gradient alpha * W.
    grads_l2, _ = F.backward_pass(X, y, out, [W], loss="log_loss", sample_weight=sw, alpha=0.1)
    assert_allclose(grads_l2[0], grads[0] + 0.1 * W)


def test_sparse_input_matches_dense():
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.RandomState(2)
    X = rng.randn(5, 4) * (rng.rand(5, 4) > 0.5)
    coefs = [rng.randn(4, 3), rng.randn(3, 1)]
    y = np.array([0, 1, 1, 0, 1.0])
    dense = F.backward_pass(X, y, F.forward_pass(X, coefs), coefs)[0]
    sparse = F.backward_pass(sp.csr_matrix(X), y, F.forward_pass(sp.csr_matrix(X), coefs), coefs)[0]
    for a, b in zip(dense, sparse):
        assert_allclose(a, b, atol=1e-14)


def test_bad_loss_name():
    with pytest.raises(ValueError, match="loss must be"):
        F.output_error_term(1.0, 0.5, loss="hinge")
    with pytest.raises(ValueError, match="loss must be"):
        F.backward_pass(np.ones(2), 1.0, [np.array(0.5)], [np.ones(2)], loss="hinge")
