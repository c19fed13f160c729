"""Child process of the resident-memory measurement: one fit in a fresh interpreter.

Run as ``python -m benchmarks._rss_child '<json>'`` with the keys ``spec``
(see :meth:`benchmarks.workloads.Spec.to_json`), ``n_samples``,
``n_classes`` and ``threads``.  It builds the workload, warms the estimator
up on a slice, resets the kernel's high-water mark of the resident set
(``/proc/self/clear_refs``), fits once, and prints a JSON line with the
resident set before the fit and its peak during the fit, in bytes.
"""

import gc
import json
import sys
import warnings


def _status():
    values = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) * 1024
    return values


def main(argv):
    job = json.loads(argv[0])
    from threadpoolctl import threadpool_limits

    from .workloads import Spec, classification

    data = classification(job["n_samples"], job["n_classes"])
    spec = Spec(**job["spec"])
    warnings.simplefilter("ignore")
    with threadpool_limits(limits=job["threads"]):
        spec.build().fit(data.X_train[:5000], data.y_train[:5000])
        estimator = spec.build()
        gc.collect()
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        before = _status()["VmRSS"]
        estimator.fit(data.X_train, data.y_train)
        peak = _status()["VmHWM"]
    print(json.dumps({"before": before, "peak": peak, "delta": peak - before}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
