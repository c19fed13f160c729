"""Child process of the fresh-process rows: one job in a new interpreter.

Run as ``python -I benchmarks/_fresh_child.py '<json>'`` from a folder outside
the project, with the interpreter of the environment under test, so that
``sknn_basic`` is the one installed there (``-I`` keeps the working tree, the
user's site-packages and ``PYTHON*`` variables out of ``sys.path``).  The
project's folder is appended to the end of ``sys.path`` only to reach
``benchmarks``' own helpers, after the installed packages.

Jobs (key ``job``), each printing one JSON line:

* ``first-fit``: import sknn-basic, time its first perceptron fit and then a
  second one (nothing else is imported before, beyond what sknn-basic
  imports);
* ``fit``: generate W1 and time ``fit`` of two estimators alternately;
* ``cv``: total ``fit_time`` of a 5-fold ``cross_validate`` of one estimator
  at defaults over the small data sets, with its mean accuracy per data set.
"""

import json
import sys
import time
import warnings
from pathlib import Path


def _first_fit(job):
    started = time.perf_counter()
    import numpy as np

    from sknn_basic import PerceptronClassifier, _perceptron_kernels

    imported = time.perf_counter()
    X = np.random.RandomState(0).normal(size=(50, 4))
    y = (X[:, 0] > 0).astype(int)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            start = time.perf_counter()
            PerceptronClassifier(max_iter=2).fit(X, y)
            times.append(time.perf_counter() - start)
    return {"import": imported - started, "first": times[0], "second": times[1],
            "compiled": _perceptron_kernels.compiled_available()}


def _helpers():
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    from benchmarks import timing, workloads

    return timing, workloads


def _fit(job):
    timing, workloads = _helpers()
    data = workloads.classification(job["n_samples"], 2)
    X, y = data.X_train, data.y_train
    specs = {side: workloads.Spec(**job[side]) for side in ("sknn", "other")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in specs.values():
            spec.build().fit(X[:5000], y[:5000])

    def contender(spec):
        def make(repeat):
            estimator = spec.build(random_state=repeat)
            return lambda: estimator.fit(X, y)
        return make

    times, fitted, _ = timing.alternate(
        [(side, contender(spec)) for side, spec in specs.items()], job["repeats"])
    accuracy = {side: [float(e.score(data.X_test, data.y_test)) for e in fitted[side]]
                for side in specs}
    return {"times": times, "accuracy": accuracy}


def _cv(job):
    _, workloads = _helpers()
    return workloads.cross_validate_small(workloads.Spec(**job["spec"]), job["datasets"],
                                          job["folds"])


JOBS = {"first-fit": _first_fit, "fit": _fit, "cv": _cv}


def main(argv):
    # Threads are limited by the parent through OMP_NUM_THREADS and
    # OPENBLAS_NUM_THREADS, read when the libraries load.
    job = json.loads(argv[0])
    print(json.dumps(JOBS[job["job"]](job)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
