"""The private kernels: the public mathematics and the estimators run the same code."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_basic import SigmoidGDClassifier, TwoLayerBackpropClassifier
from sknn_basic import _kernels as K
from sknn_basic import functional as F


def test_kernel_sigmoid_equals_the_public_one():
    z = np.array([[-1e4, -30.0, -1.0, 0.0, 0.5, 30.0, 1e4]], dtype=np.float64)
    with np.errstate(over="ignore"):
        fast = K.sigmoid_into(z.copy(), np.empty_like(z))
    assert_array_equal(fast, F.sigmoid(z))
    z32 = z.astype(np.float32)
    with np.errstate(over="ignore"):
        fast32 = K.sigmoid_into(z32, z32.copy())
    assert fast32.dtype == np.float32
    assert_array_equal(fast32, F.sigmoid(z.astype(np.float32)))


def test_cached_ones_are_read_only_and_sized():
    ones = K.ones(5, np.float32)
    assert ones.dtype == np.float32 and ones.shape == (5,) and np.all(ones == 1)
    assert K.ones(5, np.float32) is ones
    with pytest.raises(ValueError):
        ones[0] = 2


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_public_backward_pass_is_the_step_fit_takes(activation):
    # One full-batch epoch of plain gradient descent moves each weight by
    # -learning_rate times what functional.backward_pass returns.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = TwoLayerBackpropClassifier(
        n_hidden=3, activation=activation, loss="squared_error", learning_rate=0.3,
        momentum=0.0, batch_size=None, max_iter=1, tol=None, random_state=0,
        learning_rate_schedule="constant",
    )
    net.fit(X, y)
    # The initial draws, in the documented order.
    rng_init = np.random.RandomState(0)
    W1 = rng_init.normal(0, 1 / np.sqrt(4), size=(4, 3))
    W2 = rng_init.normal(0, 1 / np.sqrt(3), size=(3, 1))
    acts = F.forward_pass(X, [W1, W2], [np.zeros(3), np.zeros(1)], hidden_activation=activation)
    grads, intercept_grads = F.backward_pass(
        X, y, acts, [W1, W2], loss="squared_error", hidden_activation=activation,
        fit_intercept=True,
    )
    assert_allclose(net.coefs_[0], W1 - 0.3 * grads[0], rtol=1e-12, atol=1e-14)
    assert_allclose(net.coefs_[1], W2 - 0.3 * grads[1], rtol=1e-12, atol=1e-14)
    assert_allclose(net.intercepts_[1], -0.3 * intercept_grads[1], rtol=1e-12, atol=1e-14)


def test_public_error_term_is_the_kernels_output_delta():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    o = np.array([0.9, 0.2, 0.3, 0.6])
    for loss in ("squared_error", "log_loss"):
        delta = np.empty((4, 1))
        K.output_delta(o.reshape(-1, 1), y.reshape(-1, 1), loss, "sigmoid", None, delta)
        assert_allclose(F.output_error_term(y, o, loss=loss), -delta[:, 0])


def test_sigmoid_unit_epoch_is_the_lessons_update():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    est = SigmoidGDClassifier(loss="squared_error", learning_rate=0.5, batch_size=None,
                              max_iter=1, tol=None, fit_intercept=False, random_state=4)
    est.fit(X, y)
    w = np.random.RandomState(4).normal(0, 1 / np.sqrt(3), size=3)
    o = F.sigmoid(X @ w)
    expected = w + 0.5 * np.mean(F.output_error_term(y, o)[:, None] * X, axis=0)
    assert_allclose(est.coef_[0], expected, rtol=1e-12)


@pytest.mark.parametrize("dtype, low", [(np.float64, -1000.0), (np.float32, -120.0)])
def test_softmax_of_rows_whose_every_exp_underflows(dtype, low):
    z = np.array([[low, low + 1.0, low + 2.0], [0.0, 1.0, 2.0]], dtype=dtype)
    with np.errstate(all="raise"):
        out = K.softmax_into(z.copy(), np.empty_like(z))
    assert np.all(np.isfinite(out))
    assert_allclose(out.sum(axis=1), 1, rtol=1e-6)
    assert_allclose(out[0], out[1], rtol=1e-5)  # softmax ignores a shift of the row
