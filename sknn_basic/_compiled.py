"""The compiled epoch kernels, loaded where they were built, and the BLAS they call.

``pip install`` compiles the Cython kernels; where no C compiler was at
hand the install still succeeds and the NumPy kernels serve, with the same
results, slower, and without a word: that install cannot do better.  Python
started inside a source checkout that was never built imports the package
from there, also without the kernels, though one command would build them:
that case warns, once per process, and says the command.

The kernels multiply matrices in SciPy's BLAS, which a pip-installed SciPy
ships apart from NumPy's; :func:`scipy_blas` finds it, so that the package
can set its threads where that matters (:func:`scipy_blas_limited`,
:func:`batch_threads`).
"""

import contextlib
import functools
import importlib
import os
import warnings
from pathlib import Path

__all__ = ["load_kernel", "numpy_kernels_requested", "scipy_blas", "scipy_blas_limited",
           "batch_threads"]

_PACKAGE = __name__.rpartition(".")[0]
_HERE = os.path.dirname(os.path.abspath(__file__))
_warned = False
#: Whether this process has run a compiled batch on two threads (OpenMP),
#: and whether it is a child forked after its parent had.
_threads_started = False
_forked_after_threads = False


def _after_fork_in_child():
    # GNU OpenMP's threads do not survive a fork, and its next parallel
    # region in the child waits for them for ever: a child forked after
    # they started runs its halves on one thread (the same numbers).
    global _forked_after_threads
    if _threads_started:
        _forked_after_threads = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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


@functools.cache
def scipy_blas():
    """The BLAS that SciPy's wheel ships for itself, apart from NumPy's, or None.

    A pip-installed SciPy carries its own OpenBLAS (in ``scipy.libs``).
    L-BFGS-B calls it on vectors of a few thousand parameters, too short
    for threads to pay, and its idle threads then spin on the cores while
    the objective's products run in NumPy's OpenBLAS (a third of a
    network's evaluation on 80,000 rows); the compiled layered epoch calls
    it from two threads of its own.  Where SciPy and NumPy share one BLAS
    (a conda or a system build) there is nothing to select.
    """
    import scipy
    from threadpoolctl import ThreadpoolController

    home = Path(scipy.__file__).resolve().parent
    own = (str(home) + "/", str(home.parent / "scipy.libs") + "/")
    controller = ThreadpoolController()
    paths = [lib.filepath for lib in controller.lib_controllers
             if lib.user_api == "blas" and str(Path(lib.filepath).resolve()).startswith(own)]
    return controller.select(filepath=paths) if paths else None


def scipy_blas_limited(threads):
    """A context in which SciPy's own BLAS (if any) runs on at most ``threads`` threads."""
    libraries = scipy_blas()
    if libraries is None:
        return contextlib.nullcontext()
    return libraries.limit(limits=threads)


def batch_threads():
    """Threads for the two halves of a compiled batch, and the context to run them in.

    Two where SciPy's BLAS may use two or more (the user's limit on BLAS
    threads, ``OPENBLAS_NUM_THREADS`` or threadpoolctl's, is the limit
    here too), with that BLAS held to one thread meanwhile so that the two
    halves' products do not each start threads of their own; otherwise one,
    as in a process forked after its parent ran threads (GNU OpenMP's pool
    does not survive a fork).
    """
    global _threads_started
    libraries = scipy_blas()
    if libraries is None or _forked_after_threads:
        return 1, contextlib.nullcontext()
    allowed = min(lib["num_threads"] for lib in libraries.info())
    if allowed < 2:
        return 1, contextlib.nullcontext()
    _threads_started = True
    return 2, libraries.limit(limits=1)
