"""The ONNX section: ONNX Runtime against the estimators' own predict, for information.

For each estimator, fitted on 20-feature data (three classes; the
regressor on a real target), the graph of :mod:`sknn_basic.onnx` in
float32 run by ONNX Runtime (one intra-op thread per core of the suite's
limit) against ``predict_proba`` (``decision_function`` for the perceptron,
``predict`` for the regressor) on the same float32 rows:

* latency: one row per call, the median of many calls;
* throughput: 100,000 rows in one call.

The rows are information (no target): which of the two a service should
call depends on its batch sizes, and the finding is stated in the notes.
:func:`onnx_rows` raises ``ImportError`` where skl2onnx or onnxruntime is
missing, which the suite reports as a skipped section.
``python -m benchmarks.onnx_bench`` prints the rows.
"""

import math
import warnings

import numpy as np

from .results_model import Row
from .timing import median, timed

__all__ = ["add_onnx_rows", "onnx_rows"]

SECTION = "onnx"
N_FEATURES = 20
N_TRAIN = 5_000


def _models():
    import sknn_basic as nn

    return [
        ("perceptron", nn.PerceptronClassifier(max_iter=10, random_state=0), "decision_function"),
        ("sigmoid", nn.SigmoidGDClassifier(max_iter=20, random_state=0), "predict_proba"),
        ("backprop", nn.TwoLayerBackpropClassifier(max_iter=20, random_state=0),
         "predict_proba"),
        ("regressor", nn.TwoLayerBackpropRegressor(max_iter=20, random_state=0), "predict"),
    ]


def _per_call(call, min_seconds, at_least=5):
    """Median seconds of one ``call()`` over batches lasting ``min_seconds`` each."""
    once, _ = timed(call)
    calls = max(1, math.ceil(min_seconds / max(once, 1e-7)))

    def batch():
        for _ in range(calls):
            call()

    return median([timed(batch)[0] / calls for _ in range(at_least)])


def onnx_rows(n_rows=100_000, threads=2, min_seconds=0.2, repeats=5):
    """The section's rows: latency on one row and time on ``n_rows`` rows, per estimator."""
    import onnxruntime as ort

    from sknn_basic.onnx import to_onnx

    rng = np.random.RandomState(0)
    X_train = rng.normal(size=(N_TRAIN, N_FEATURES)).astype(np.float32)
    labels = (X_train[:, 0] + X_train[:, 1] > 0).astype(int) + (X_train[:, 2] > 1)
    target = (X_train[:, 0] * 2 + np.sin(X_train[:, 1])).astype(np.float32)
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    rows = []
    for name, model, method in _models():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X_train, target if name == "regressor" else labels)
        graph = to_onnx(model, X[:1], options=None if name == "regressor" else {"zipmap": False})
        session = ort.InferenceSession(graph.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        ours = getattr(model, method)
        output = 0 if name == "regressor" else 1

        def runtime(rows_):
            return session.run(None, {"X": rows_})[output]

        one = X[:1]
        latency = {"sknn": _per_call(lambda: ours(one), min_seconds, repeats),
                   "other": _per_call(lambda: runtime(one), min_seconds, repeats)}
        bulk = {"sknn": median([timed(lambda: ours(X))[0] for _ in range(repeats)]),
                "other": median([timed(lambda: runtime(X))[0] for _ in range(repeats)])}
        expected, got = ours(X[:1000]), runtime(X[:1000])
        got = got[:, 1] if got.ndim == 2 and expected.ndim == 1 and got.shape[1] == 2 else got
        agree = float(np.max(np.abs(got.reshape(expected.shape) - expected)))
        for key, what, times in (("latency", "one row per call", latency),
                                 (f"{n_rows // 1000}k", f"{n_rows:_} rows in one call", bulk)):
            ratio = times["sknn"] / times["other"]
            finding = ("ONNX Runtime is faster" if ratio > 1.1 else
                       "our predict is faster" if ratio < 1 / 1.1 else "about even")
            rows.append(Row(
                key=f"onnx-{name}-{key}", section=SECTION,
                pair=f"{type(model).__name__}.{method} / ONNX Runtime", workload="generated",
                setting=f"float32, {N_FEATURES} features, {what}; ONNX Runtime with "
                        f"{threads} intra-op thread(s)",
                metric="predict time", unit="s", sknn=times["sknn"], other=times["other"],
                target=None, target_text="information", other_name="ONNX Runtime",
                notes=[f"{finding} ({ratio:.2g} times our time over the runtime's); "
                       f"outputs agree within {agree:.1e} on 1,000 rows"],
            ))
    return rows


def add_onnx_rows(suite):
    """Add the section's task to ``suite`` (100,000 rows; 2,000 in smoke mode)."""

    def task():
        notes = suite.section_notes.setdefault(SECTION, [])
        smoke = suite.mode.name == "smoke"
        try:
            rows = onnx_rows(n_rows=2_000 if smoke else 100_000, threads=suite.threads,
                             min_seconds=suite.mode.predict_seconds, repeats=suite.mode.repeats)
        except ImportError as exc:
            notes.append(f"skl2onnx or onnxruntime is not importable ({exc}): the section was "
                         'skipped (`pip install "sknn-basic[onnx]"`).')
            return []
        notes.append("Information rows: the float32 graphs of sknn_basic.onnx in ONNX "
                      "Runtime against the estimators' own methods on the same rows.")
        return rows

    suite.add(SECTION, "onnx-runtime", task)


def main():
    for row in onnx_rows():
        print(f"{row.key}: ours {row.sknn * 1e3:.4g} ms, ONNX Runtime {row.other * 1e3:.4g} ms"
              f" -- {row.notes[0]}")


if __name__ == "__main__":
    main()
