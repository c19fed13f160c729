"""The compiled float64 sigmoid (``sknn_basic._sigmoid_cy``) behind ``_kernels.sigmoid_into``.

It replaces NumPy's four passes by one with its own vectorised ``exp``, so
its last bits may differ from NumPy's: it must be as accurate (a few units in
the last place), keep the limits and the special values, and serve every
float64 sigmoid of the process, whatever the layout, so that training,
``predict`` and :mod:`sknn_basic.functional` agree to the bit.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_basic import TwoLayerBackpropClassifier
from sknn_basic import _kernels as K
from sknn_basic import functional as F

compiled = pytest.importorskip(
    "sknn_basic._sigmoid_cy",
    reason="the compiled sigmoid was not built (no C compiler at install)",
)

#: Relative error allowed against NumPy's formula: two roundings of each side.
ULPS = 4


def _numpy_sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _compiled(z):
    out = np.empty_like(z)
    compiled.sigmoid(z.reshape(-1), out.reshape(-1))
    return out


@pytest.mark.parametrize("scale", [1e-8, 1.0, 5.0, 30.0, 300.0])
def test_it_is_as_accurate_as_numpys_formula(scale):
    z = np.random.default_rng(0).standard_normal(200_000) * scale
    # Where exp(-z) is finite and the result normal, NumPy's formula is
    # accurate to a couple of units in the last place, and so must ours be.
    z = z[z > -708.0]
    ours, numpy = _compiled(z), _numpy_sigmoid(z)
    assert np.all(np.abs(ours - numpy) <= ULPS * np.spacing(numpy))


def test_special_values_and_limits():
    z = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 40.0, 800.0, 1e300,
                  -709.0, -709.78, -709.79, -745.0, -800.0, -1e300])
    out = _compiled(z)
    assert np.isnan(out[0])
    assert_array_equal(out[1:7], [1.0, 0.0, 0.5, 0.5, 1.0, 1.0])
    assert out[7] == 1.0
    # Below -log(DBL_MAX), 1 / (1 + exp(-z)) is 0 (exp overflows): so here,
    # as in NumPy and in the ONNX graph.
    assert out[8] > 0 and out[9] > 0
    assert_array_equal(out[10:], 0.0)
    assert np.all(np.abs(out[8:10] - _numpy_sigmoid(z[8:10])) <= ULPS * np.spacing(out[8:10]))


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 17, 1000])
def test_every_length_is_handled_by_the_vector_loop_and_its_tail(n):
    z = np.linspace(-20, 20, n)
    out = _compiled(z)
    assert out.shape == (n,)
    assert np.all(np.abs(out - _numpy_sigmoid(z)) <= ULPS * np.spacing(_numpy_sigmoid(z)))
    # An element's value does not depend on its place in the array.
    if n:
        assert_array_equal(out, [_compiled(np.array([v]))[0] for v in z])


def test_in_place_and_length_mismatch():
    z = np.linspace(-5, 5, 11)
    expected = _compiled(z)
    compiled.sigmoid(z, z)
    assert_array_equal(z, expected)
    with pytest.raises(ValueError, match="11 elements"):
        compiled.sigmoid(z, np.empty(10))


def test_every_float64_layout_goes_through_the_same_kernel():
    if K._sigmoid_cy is None:
        pytest.skip("SKNN_BASIC_NUMPY_KERNEL=1 at start-up: the NumPy sigmoid serves")
    rng = np.random.default_rng(1)
    z = rng.standard_normal((40, 6)) * 8
    expected = _compiled(z)
    strided = np.asfortranarray(z)
    for source in (z.copy(), strided, np.repeat(z, 2, axis=1)[:, ::2]):
        kept = source.copy()
        out = np.empty_like(source)
        K.sigmoid_into(source, out)
        assert_array_equal(out, expected)
        assert_array_equal(source, kept)
    into_strided = np.empty((40, 12))[:, ::2]
    K.sigmoid_into(z, into_strided)
    assert_array_equal(into_strided, expected)
    assert_array_equal(F.sigmoid(z), expected)
    # float32 stays with NumPy's float32 exp, already in SIMD.
    z32 = z.astype(np.float32)
    assert_array_equal(K.sigmoid_into(z32, np.empty_like(z32)), _numpy_sigmoid(z32))


def test_the_numpy_path_is_the_formula_and_agrees_to_rounding(monkeypatch):
    z = np.random.default_rng(2).standard_normal((50, 7)) * 10
    monkeypatch.setattr(K, "_sigmoid_cy", None)
    numpy_path = K.sigmoid_into(z, np.empty_like(z))
    assert_array_equal(numpy_path, _numpy_sigmoid(z))
    assert np.all(np.abs(_compiled(z) - numpy_path) <= ULPS * np.spacing(numpy_path))


def test_a_fit_and_its_predictions_use_the_kernel(monkeypatch):
    if K._sigmoid_cy is None:
        pytest.skip("SKNN_BASIC_NUMPY_KERNEL=1 at start-up: the NumPy sigmoid serves")
    calls = []

    class Spy:
        @staticmethod
        def sigmoid(z, out):
            calls.append(z.shape[0])
            compiled.sigmoid(z, out)

    monkeypatch.setattr(K, "_sigmoid_cy", Spy)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(int)
    net = TwoLayerBackpropClassifier(5, max_iter=3, tol=None, random_state=0).fit(X, y)
    fitted = len(calls)
    assert fitted > 0
    proba = net.predict_proba(X)
    assert len(calls) > fitted
    hidden = F.sigmoid(X @ net.coefs_[0] + net.intercepts_[0])
    assert_allclose(proba[:, 1], F.sigmoid(hidden @ net.coefs_[1] + net.intercepts_[1]).ravel(),
                    rtol=1e-12)


def test_the_environment_variable_keeps_numpys_sigmoid_for_the_whole_process():
    code = ("import sknn_basic._kernels as K; import numpy as np; "
            "z = np.linspace(-9, 9, 7); "
            "print(K._sigmoid_cy is None, "
            "np.array_equal(K.sigmoid_into(z, np.empty(7)), 1 / (1 + np.exp(-z))))")
    env = dict(os.environ, SKNN_BASIC_NUMPY_KERNEL="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True", "True"]
