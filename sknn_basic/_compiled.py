"""The compiled epoch kernels, loaded where they were built.

``pip install`` compiles the two Cython kernels; where no C compiler was at
hand the install still succeeds and the NumPy kernels serve, with the same
results, slower, and without a word: that install cannot do better.  Python
started inside a source checkout that was never built imports the package
from there, also without the kernels, though one command would build them:
that case warns, once per process, and says the command.
"""

import importlib
import os
import warnings

__all__ = ["load_kernel", "numpy_kernels_requested"]

_PACKAGE = __name__.rpartition(".")[0]
_HERE = os.path.dirname(os.path.abspath(__file__))
_warned = False


def load_kernel(name):
    """The extension module ``sknn_basic.<name>``, or None where it is not built.

    Parameters
    ----------
    name : str
        The extension's module name, for example ``"_perceptron_cy"``.

    Returns
    -------
    module or None
        None where the extension cannot be imported; the callers then run
        their NumPy kernels.
    """
    global _warned
    full_name = f"{_PACKAGE}.{name}"
    try:
        return importlib.import_module(full_name)
    except ModuleNotFoundError as error:
        # Installs ship the kernels, not their sources (pyproject.toml): a
        # .pyx beside this file is a source checkout whose build is missing.
        unbuilt = error.name == full_name and os.path.exists(os.path.join(_HERE, name + ".pyx"))
        if unbuilt and not _warned:
            _warned = True
            warnings.warn(
                f"sknn_basic is imported from its source tree ({_HERE}) without its "
                "compiled kernels, so the slower NumPy kernels run (with the same "
                "results). Build them in place with `python setup.py build_ext "
                "--inplace`, or install with `pip install -e .`, from the folder that "
                "holds setup.py.",
                UserWarning,
                stacklevel=2,
            )
        return None
    except ImportError:
        # Built, but unusable here (for example SciPy's BLAS not found).
        return None


def numpy_kernels_requested():
    """Whether ``SKNN_BASIC_NUMPY_KERNEL`` (any value but empty or "0") asks for the NumPy kernels."""
    return os.environ.get("SKNN_BASIC_NUMPY_KERNEL", "") not in ("", "0")
