"""Loading the compiled kernels: silent where they cannot be built, one warning in an unbuilt checkout."""

import importlib
import warnings

import pytest

from sknn_basic import _compiled


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_compiled, "_warned", False)
    return _compiled


def _missing(monkeypatch, error):
    def import_module(name):
        raise error(name)

    monkeypatch.setattr(importlib, "import_module", import_module)


def test_an_unbuilt_source_tree_warns_once_with_the_command(fresh, monkeypatch):
    _missing(monkeypatch, lambda name: ModuleNotFoundError(f"No module named {name!r}", name=name))
    with pytest.warns(UserWarning, match=r"source tree.*build_ext --inplace.*pip install -e \.") as caught:
        assert fresh.load_kernel("_perceptron_cy") is None
        assert fresh.load_kernel("_single_layer_cy") is None
    assert len(caught) == 1


def test_an_install_without_a_compiler_is_silent(fresh, monkeypatch, tmp_path):
    # Installs carry no .pyx sources: nothing the user could build from.
    monkeypatch.setattr(fresh, "_HERE", str(tmp_path))
    _missing(monkeypatch, lambda name: ModuleNotFoundError(f"No module named {name!r}", name=name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh.load_kernel("_perceptron_cy") is None


@pytest.mark.parametrize("error", [
    lambda name: ImportError("SciPy's BLAS was not found"),
    lambda name: ModuleNotFoundError("No module named 'scipy.linalg.cython_blas'",
                                     name="scipy.linalg.cython_blas"),
])
def test_a_built_kernel_that_cannot_load_is_silent(fresh, monkeypatch, error):
    _missing(monkeypatch, error)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh.load_kernel("_single_layer_cy") is None
