"""The perceptron's two epoch kernels: compiled and NumPy, identical to the bit.

The compiled kernel (``sknn_basic._perceptron_cy``) is built by ``pip install``;
the NumPy kernel is the exact fallback where it could not be.  Both must give
the same weights for every dtype, layout, weighting and averaging, follow the
documented arithmetic (float64 sums and updates, rounded once to the weights'
dtype), and raise a clear error instead of handing back weights that overflow.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sknn_basic import _perceptron_kernels as kernels
from sknn_basic._perceptron_kernels import PerceptronOverflowError, run_epoch

KERNELS = ("compiled", "numpy")


def _state(n_outputs, n_features, dtype):
    return {
        "coef": np.zeros((n_outputs, n_features), dtype=dtype),
        "intercept": np.zeros(n_outputs, dtype=dtype),
        "coef_sum": np.zeros((n_outputs, n_features), dtype=dtype),
        "intercept_sum": np.zeros(n_outputs, dtype=dtype),
        "last": np.zeros(n_outputs, dtype=np.int64),
    }


def _train(kernel, X, Y, sw, *, epochs, average, learning_rate=0.7, fit_intercept=True,
           dtype=np.float64):
    state = _state(Y.shape[1], X.shape[1], dtype)
    visits, mistakes = 0, []
    for epoch in range(epochs):
        order = np.random.RandomState(epoch).permutation(X.shape[0]).astype(np.int64)
        m, visits = run_epoch(X, Y, sw, order, state["coef"], state["intercept"],
                              learning_rate, fit_intercept, average, state["coef_sum"],
                              state["intercept_sum"], state["last"], visits, kernel=kernel)
        mistakes.append(m)
    return state, visits, mistakes


def _problem(dtype, sparse, n_outputs, weighted, n_samples=300, n_features=9, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features).astype(dtype)
    if sparse:
        X[rng.rand(*X.shape) < 0.6] = 0
        X = sp.csr_matrix(X)
    labels = rng.randint(0, 3, n_samples)
    if n_outputs == 1:
        Y = (labels[:, None] == 0).astype(np.int8)
    else:
        Y = (labels[:, None] == np.arange(3)).astype(np.int8)
    # Uneven weights in the input's dtype, zeros included (a zero skips a sample).
    sw = (rng.choice([0.0, 0.1, 0.3, 1.0, 2.7], n_samples).astype(dtype) if weighted
          else np.empty(0, dtype=dtype))
    return X, Y, sw


def test_the_compiled_kernel_is_built():
    # The default install compiles it; without it the perceptron falls back to
    # the slower NumPy kernel, silently for users, but never in this project's CI.
    assert kernels._perceptron_cy is not None, (
        "sknn_basic._perceptron_cy was not built: run 'pip install -e .' (needs a C "
        "compiler) to compile it"
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_kernels_give_identical_weights(dtype, sparse, n_outputs, average, weighted):
    X, Y, sw = _problem(dtype, sparse, n_outputs, weighted)
    results = [_train(kernel, X, Y, sw, epochs=4, average=average, dtype=dtype)
               for kernel in KERNELS]
    (a, visits_a, mistakes_a), (b, visits_b, mistakes_b) = results
    assert visits_a == visits_b == 4 * X.shape[0]
    assert mistakes_a == mistakes_b
    assert mistakes_a[0] > 0  # the data are not trivially learnt
    for name in a:
        assert a[name].dtype == b[name].dtype
        assert_array_equal(a[name], b[name], err_msg=name)
    assert a["coef"].dtype == dtype  # float32 stays float32


def _reference_epochs(X, Y, sw, epochs, learning_rate, dtype):
    """The documented arithmetic, one Python float (a double) at a time.

    Decision values summed in float64; each update computed in float64 from the
    stored weights and rounded once to ``dtype``.
    """
    n_samples, n_features = X.shape
    w = np.zeros(n_features, dtype=dtype)
    b = dtype(0)
    for epoch in range(epochs):
        for i in np.random.RandomState(epoch).permutation(n_samples):
            s = float(b)
            for j in range(n_features):
                s += float(w[j]) * float(X[i, j])
            error = float(Y[i, 0]) - (1.0 if s >= 0 else 0.0)
            if error != 0.0 and float(sw[i]) > 0.0:
                step = learning_rate * float(sw[i]) * error
                for j in range(n_features):
                    w[j] = dtype(float(w[j]) + step * float(X[i, j]))
                b = dtype(float(b) + step)
    return w, b


@pytest.mark.parametrize("kernel", KERNELS)
def test_float32_with_weights_follows_the_documented_arithmetic(kernel):
    X, Y, sw = _problem(np.float32, False, 1, True, n_samples=60, n_features=4, seed=3)
    state, _, _ = _train(kernel, X, Y, sw, epochs=3, average=False, learning_rate=0.3,
                         dtype=np.float32)
    w, b = _reference_epochs(X, Y, sw, 3, 0.3, np.float32)
    assert_array_equal(state["coef"][0], w)
    assert state["intercept"][0] == b


@pytest.mark.parametrize("kernel", KERNELS)
def test_other_target_and_order_dtypes_and_read_only_input(kernel):
    X, Y, sw = _problem(np.float64, False, 3, True, n_samples=80)
    expected, _, _ = _train("numpy", X, Y, sw, epochs=2, average=True)
    X.setflags(write=False)
    state = _state(3, X.shape[1], np.float64)
    visits = 0
    for epoch in range(2):
        order = np.random.RandomState(epoch).permutation(80).astype(np.int32)
        _, visits = run_epoch(X, Y.astype(np.float64), sw, order, state["coef"],
                              state["intercept"], 0.7, True, True, state["coef_sum"],
                              state["intercept_sum"], state["last"], visits, kernel=kernel)
    for name in state:
        assert_array_equal(state[name], expected[name], err_msg=name)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_inputs_train_exactly_like_small_ones(kernel, dtype):
    # Well below the square root of the dtype's largest value the rule works:
    # without a bias, inputs scaled by a power of two give weights scaled by
    # it exactly (every rounding scales with them).
    scale = dtype(2.0 ** (50 if dtype == np.float32 else 300))  # 1e15, 2e90
    X, Y, sw = _problem(dtype, False, 1, True, n_samples=100, n_features=5)
    large, _, large_mistakes = _train(kernel, X * scale, Y, sw, epochs=3, average=True,
                                      fit_intercept=False, dtype=dtype)
    small, _, small_mistakes = _train(kernel, X, Y, sw, epochs=3, average=True,
                                      fit_intercept=False, dtype=dtype)
    assert large_mistakes == small_mistakes
    for name in ("coef", "coef_sum"):
        assert np.isfinite(large[name]).all()
        assert_array_equal(large[name], small[name] * scale, err_msg=name)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype,value", [(np.float64, 1e300), (np.float32, 1e30)])
def test_overflowing_decision_values_raise_a_clear_error(kernel, sparse, dtype, value):
    # The first update makes weights as large as the inputs, and the next
    # w . x (1e600 or 1e60) does not fit in the dtype, though it is summed in
    # float64: a float32 model would give infinite decision values.
    X = np.array([[value, -value], [-value, value], [value, value]], dtype=dtype)
    if sparse:
        X = sp.csr_matrix(X)
    Y = np.array([[1], [0], [0]], dtype=np.int8)
    with pytest.raises(PerceptronOverflowError, match="StandardScaler") as caught:
        _train(kernel, X, Y, np.empty(0, dtype=dtype), epochs=3, average=False,
               dtype=dtype)
    assert isinstance(caught.value, ValueError)
    assert "a decision value w . x + b was too large" in str(caught.value)
    assert np.dtype(dtype).name in str(caught.value)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("dtype,value,learning_rate",
                         [(np.float64, 10.0, 1e308), (np.float32, 1e38, 10.0)])
def test_overflowing_weights_raise_a_clear_error(kernel, average, dtype, value,
                                                 learning_rate):
    # One update overflows the weights' dtype though every decision value seen
    # was finite.
    X = np.array([[value, 1.0]], dtype=dtype)
    Y = np.array([[0]], dtype=np.int8)
    with pytest.raises(PerceptronOverflowError, match="learning_rate") as caught:
        _train(kernel, X, Y, np.empty(0, dtype=dtype), epochs=1, average=average,
               learning_rate=learning_rate, dtype=dtype)
    assert "a weight was too large" in str(caught.value)
    assert np.dtype(dtype).name in str(caught.value)


def test_unknown_kernel_is_refused():
    X, Y, sw = _problem(np.float64, False, 1, False, n_samples=10)
    with pytest.raises(ValueError, match="kernel must be one of"):
        _train("fortran", X, Y, sw, epochs=1, average=False)


def test_environment_variable_forces_the_numpy_kernel(monkeypatch):
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1")
    assert not kernels.compiled_available()
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "0")
    assert kernels.compiled_available() == (kernels._perceptron_cy is not None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_estimator_weights_do_not_depend_on_the_kernel(monkeypatch, dtype):
    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning

    from sknn_basic import PerceptronClassifier

    X, y = make_classification(n_samples=300, n_features=8, n_classes=3, n_informative=4,
                               random_state=4)
    X = X.astype(dtype)
    weights = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    fitted = []
    for flag in ("0", "1"):
        # Five epochs do not separate three classes: the warning is expected.
        monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", flag)
        with pytest.warns(ConvergenceWarning):
            fitted.append(PerceptronClassifier(max_iter=5, tol=None, random_state=0,
                                               average=True).fit(X, y, sample_weight=weights))
    compiled, numpy = fitted
    assert compiled.coef_.dtype == dtype
    assert_array_equal(compiled.coef_, numpy.coef_)
    assert_array_equal(compiled.intercept_, numpy.intercept_)
