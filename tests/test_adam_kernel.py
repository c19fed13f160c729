"""The compiled Adam update (``sknn_basic._adam_cy``) behind ``AdamOptimizer``.

It runs the NumPy path's elementary operations in the same order and the
same precision, with fused multiply-adds turned off at the build; each
element is then one chain of correctly rounded IEEE operations on both
sides, so the two are compared to the bit.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknn_basic import BackpropRegressor
from sknn_basic import _optimizers
from sknn_basic._optimizers import AdamOptimizer

compiled = pytest.importorskip(
    "sknn_basic._adam_cy",
    reason="the compiled Adam update was not built (no C compiler at install)",
)


class _Spy:
    """Stands in for the compiled module."""

    def __init__(self, adam_update):
        self.adam_update = adam_update


def _parameters(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal(5).astype(dtype),
            rng.standard_normal((5, 1)).astype(dtype)]


def _run(dtype, monkeypatch, kernel, n_steps=30, epsilon=1e-8, learning_rate=0.01):
    monkeypatch.setattr(_optimizers, "_adam_cy", kernel)
    parameters = _parameters(dtype)
    optimizer = AdamOptimizer(parameters, learning_rate, epsilon=epsilon)
    rng = np.random.default_rng(1)
    for step in range(n_steps):
        gradients = [rng.standard_normal(p.shape).astype(dtype) * 10.0 ** rng.integers(-6, 3)
                     for p in parameters]
        # Zero gradients where a weight never moves (an all-zero feature).
        gradients[0][0] = 0
        optimizer.step(parameters, gradients)
    return parameters, optimizer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("epsilon", [1e-8, 1.0, 1e-30])
def test_the_compiled_update_is_numpys_to_the_bit(dtype, epsilon, monkeypatch):
    ours, adam = _run(dtype, monkeypatch, compiled, epsilon=epsilon)
    numpy, reference = _run(dtype, monkeypatch, None, epsilon=epsilon)
    for a, b in zip(ours, numpy):
        assert a.dtype == dtype
        assert_array_equal(a, b)
    for a, b in zip(adam.first_moments + adam.second_moments,
                    reference.first_moments + reference.second_moments):
        assert_array_equal(a, b)
    assert np.all(ours[0][0] == _parameters(dtype)[0][0])


def test_a_single_array_goes_through_the_kernel_too(monkeypatch):
    calls = []

    def adam_update(*args):
        calls.append(args[0].shape)
        compiled.adam_update(*args)

    monkeypatch.setattr(_optimizers, "_adam_cy", _Spy(adam_update))
    W = np.ones((3, 4))
    AdamOptimizer([W], 0.1).step([W], [np.full((3, 4), 2.0)])
    assert calls == [(12,)]
    assert np.all(W < 1)


def test_an_epsilon_that_needs_the_underflow_floor_stays_in_numpy(monkeypatch):
    def refuse(*args):
        raise AssertionError("the compiled update has no floor against underflow")

    monkeypatch.setattr(_optimizers, "_adam_cy", _Spy(refuse))
    W = [np.ones(4)]
    AdamOptimizer(W, 0.1, epsilon=1e-200).step(W, [np.full(4, 1e-170)])
    assert np.all(np.isfinite(W[0]))


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="one length"):
        compiled.adam_update(np.zeros(3), np.zeros(3), np.zeros(4), 0.9, 0.999, 0.1, 1e-8)


def test_a_deep_adam_fit_is_the_numpy_paths(monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 6))
    y = X[:, 0] - 2 * X[:, 1] ** 2
    fits = []
    for kernel in (compiled, None):
        monkeypatch.setattr(_optimizers, "_adam_cy", kernel)
        fits.append(BackpropRegressor((8, 4), activation="relu", solver="adam", max_iter=5,
                                      tol=None, random_state=0).fit(X, y))
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        assert_array_equal(a, b)
    assert fits[0].loss_curve_ == fits[1].loss_curve_
