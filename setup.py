"""Build of sknn-basic's compiled extensions.

* ``_perceptron_cy``: the perceptron's epoch (Rosenblatt's rule);
* ``_single_layer_cy``: a mini-batch epoch of a network without a hidden
  layer under the log loss (SigmoidGDClassifier's defaults), over SciPy's
  BLAS, which it finds when imported (the build needs only Cython);
* ``_layered_cy``: a mini-batch epoch of a network with hidden layers,
  over SciPy's BLAS likewise (it shares ``_common.pxi`` with the one above);
* ``_sigmoid_cy``: the logistic sigmoid of a float64 array, with an ``exp``
  the compiler vectorises (``_sigmoid.h``, which ``_layered_cy`` includes too);
* ``_adam_cy``: Adam's update of flat moments and gradient in one pass.

Everything else about the package is declared in pyproject.toml.  The
extensions are optional: where they cannot be compiled (no C compiler, or a
build without Cython), the install still succeeds and the NumPy kernels run
instead, with the same results.
"""

import os
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError, LinkError

try:
    from Cython.Build import cythonize
except ImportError:  # a build without isolation, in an environment without Cython
    cythonize = None


class BuildExt(build_ext):
    """build_ext that keeps floating-point arithmetic as written."""

    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            # No fused multiply-adds: the NumPy kernel rounds each product and
            # each sum separately, and the two kernels must agree to the bit.
            # No debug symbols either: they would quadruple the installed size.
            for extension in self.extensions:
                extension.extra_compile_args += ["-ffp-contract=off", "-g0"]
                if extension.name in VECTORISED:
                    # -O2 vectorises only loops of a known trip count; with
                    # floating-point traps assumed off, GCC may compute both
                    # sides of a select, which a vector loop must (the
                    # results do not change: NumPy runs with traps off too).
                    extension.extra_compile_args += ["-O3", "-fno-trapping-math"]
                if extension.name in PARALLEL and self._openmp_builds():
                    extension.extra_compile_args += ["-fopenmp"]
                    extension.extra_link_args += ["-fopenmp"]
        super().build_extensions()

    def _openmp_builds(self):
        """Whether this compiler builds and links a file with ``-fopenmp``.

        Without it (Apple's clang, for one) the parallel loops compile as
        plain loops, with the same results on one thread.
        """
        source = "#include <omp.h>\nint main(void) { return omp_get_max_threads() < 1; }\n"
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "openmp_check.c")
            with open(path, "w") as file:
                file.write(source)
            try:
                objects = self.compiler.compile([path], output_dir=folder,
                                                extra_postargs=["-fopenmp"])
                self.compiler.link_executable(objects, "openmp_check", output_dir=folder,
                                              extra_postargs=["-fopenmp"])
            except (CompileError, LinkError, OSError):
                return False
        return True


#: Extensions with parallel loops (cython.parallel), built with OpenMP where
#: the compiler has it.
PARALLEL = {"sknn_basic._layered_cy"}

#: Extensions whose loops are written for the compiler to vectorise.
VECTORISED = {"sknn_basic._sigmoid_cy", "sknn_basic._adam_cy", "sknn_basic._layered_cy"}

extensions = []
if cythonize is not None:
    extensions = cythonize(
        [Extension("sknn_basic._perceptron_cy", ["sknn_basic/_perceptron_cy.pyx"],
                   optional=True),
         Extension("sknn_basic._single_layer_cy", ["sknn_basic/_single_layer_cy.pyx"],
                   optional=True),
         Extension("sknn_basic._layered_cy", ["sknn_basic/_layered_cy.pyx"],
                   optional=True),
         Extension("sknn_basic._sigmoid_cy", ["sknn_basic/_sigmoid_cy.pyx"], optional=True),
         Extension("sknn_basic._adam_cy", ["sknn_basic/_adam_cy.pyx"], optional=True)],
        compiler_directives={"language_level": 3},
    )

setup(ext_modules=extensions, cmdclass={"build_ext": BuildExt})
