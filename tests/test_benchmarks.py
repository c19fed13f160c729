"""Smoke test of the benchmark suite (``python -m benchmarks``): it runs and writes its report.

Speed is not tested here: the ``--smoke`` mode runs every section on tiny data
with two repeats, which is enough to check that each row is measured, the
report is written with its tables and the figures are valid PNG files.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("matplotlib")
pytest.importorskip("threadpoolctl")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """Run the suite's smoke mode once in-process; return (status, output folder)."""
    # benchmarks/ sits beside the package and is not installed with it.
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import main

        out = tmp_path_factory.mktemp("benchmarks")
        status = main(["--smoke", "--out", str(out)])
    finally:
        sys.path.remove(str(ROOT))
    return status, out


def test_smoke_mode_succeeds(smoke_run):
    status, _ = smoke_run
    assert status == 0


def test_report_has_every_section_and_the_machine(smoke_run):
    _, out = smoke_run
    report = (out / "results.md").read_text()
    for heading in (
        "## Summary",
        "## Machine",
        "## Method",
        "### Fit time on W1 and W2",
        "### Cross-validation on the admissions data (W3)",
        "### predict on W1",
        "### Peak memory during fit on W1",
        "### Against the lessons' per-record loops (S3, S6)",
        "### Fixed cost of a fit call on the lessons' 360 rows (S7)",
        "### float32 against float64 on W1",
        "### The networks against PyTorch on W1",
        "### Fresh processes of the default install",
        "### Fit time against the number of samples",
    ):
        assert heading in report, heading
    for label in ("| CPU |", "| Cores |", "| Python |", "| numpy |", "| scikit-learn |",
                  "| perceptron kernel |", "| BLAS / OpenMP (threadpoolctl) |", "| Date |"):
        assert label in report, label
    # Every row carries a verdict against its target.
    rows = [line for line in report.splitlines() if line.startswith("| `")]
    assert len(rows) >= 10
    assert all(line.rstrip().endswith(("| pass |", "MISS (ratio)** |", "MISS (accuracy)** |",
                                       "MISS (ratio, accuracy)** |", "| info |"))
               for line in rows)


def _row(report, key):
    return next(line for line in report.splitlines() if line.startswith(f"| `{key}` |"))


def test_lessons_rows_are_information_not_targets(smoke_run):
    _, out = smoke_run
    report = (out / "results.md").read_text()
    for key in ("S3-lessons-loop", "S6-lessons-loop", "W1-float32-mlp-h64-200"):
        assert _row(report, key).endswith("| info |"), key
    assert "1/500" not in report


def test_fresh_process_rows(smoke_run):
    _, out = smoke_run
    report = (out / "results.md").read_text()
    first = _row(report, "fresh-first-fit")
    assert "| <= +0.3 s |" in first
    assert "the compiled kernel was in use" in report
    for key in ("fresh-W1-perceptron", "fresh-cv-mlp", "S7-fixed-perceptron",
                "S7-fixed-sigmoid", "S7-fixed-backprop"):
        assert "| <= 1.0 |" in _row(report, key), key
    # The smoke run times one of the three fresh cross-validation rows (one
    # task, three pairs of estimators).
    assert "fresh-cv-perceptron" not in report and "fresh-cv-logistic" not in report
    # Without torch the section says why it has no rows.
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "torch is not importable here" in report
    else:
        assert "| `W1-torch-h64-200-float32` |" in report


def test_onnx_section_runs_or_says_why_not(smoke_run):
    _, out = smoke_run
    report = (out / "results.md").read_text()
    assert "### ONNX Runtime against predict, for information" in report
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError:
        assert "skl2onnx or onnxruntime is not importable" in report
    else:
        for name in ("perceptron", "sigmoid", "backprop", "regressor"):
            for key in ("latency", "2k"):
                assert _row(report, f"onnx-{name}-{key}").endswith("| info |")


def test_lessons_loops_agree_with_the_package(smoke_run):
    _, out = smoke_run
    report = (out / "results.md").read_text()
    lines = [line for line in report.splitlines()
             if line.startswith(("- `S3-", "- `S6-")) and "differ by at most" in line]
    assert len(lines) == 2
    for line in lines:
        difference = float(line.split("differ by at most ")[1].split(" ")[0])
        assert difference <= 1e-8


def test_writes_png_figures(smoke_run):
    _, out = smoke_run
    figures = sorted(out.glob("*.png"))
    assert figures, "no figure written"
    for figure in figures:
        assert figure.read_bytes()[:8] == PNG_SIGNATURE
        assert f"]({figure.name})" in (out / "results.md").read_text()
