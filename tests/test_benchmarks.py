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
        "### Fit time against the number of samples",
    ):
        assert heading in report, heading
    for label in ("| CPU |", "| Cores |", "| Python |", "| numpy |", "| scikit-learn |",
                  "| numba |", "| BLAS / OpenMP (threadpoolctl) |", "| Date |"):
        assert label in report, label
    # Every row carries a verdict against its target.
    rows = [line for line in report.splitlines() if line.startswith("| `")]
    assert len(rows) >= 10
    assert all(("pass" in line) or ("MISS" in line) for line in rows)


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
