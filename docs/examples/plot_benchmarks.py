"""
===============================
Benchmarks against scikit-learn
===============================

The benchmark suite of the repository (``python -m benchmarks``) times every
estimator against its scikit-learn counterpart on the same data, epochs and
batch size, and writes a report, ``benchmarks/results.md``, and figures,
``benchmarks/*.png``.  This page shows whatever the suite had produced when
the documentation was built: the report as text, then each figure.  If the
suite had not been run yet, the page says so below instead of showing
nothing.

To refresh the results, run the suite from the repository root and rebuild
the documentation::

    python -m benchmarks            # full suite
    python -m benchmarks --quick    # a short smoke run
"""

# %%
# Finding the benchmark folder
# ----------------------------
# The folder sits beside the package in a clone of the repository.  The
# documentation build runs this script from ``docs/examples``; the package's
# location is tried first, then the folders above the working directory.
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

import sknn_basic


def find_benchmarks():
    candidates = [Path(sknn_basic.__file__).resolve().parents[1]]
    candidates += [Path.cwd(), *Path.cwd().resolve().parents]
    for root in candidates:
        if (root / "benchmarks").is_dir() and (root / "sknn_basic").is_dir():
            return root / "benchmarks"
    return None


folder = find_benchmarks()
report = folder / "results.md" if folder else None
figures = sorted(folder.glob("*.png")) if folder else []
print(f"benchmark folder: {'found' if folder else 'NOT FOUND (not a clone of the repository?)'}")
print(f"report: {'found' if report and report.is_file() else 'MISSING'}")
print(f"figures: {len(figures)} ({', '.join(p.name for p in figures) or 'none'})")

# %%
# The report
# ----------
if report is not None and report.is_file():
    print(report.read_text())
else:
    print("benchmarks/results.md did not exist when this page was built: the "
          "benchmark suite had not been run yet. Run `python -m benchmarks` and "
          "rebuild the documentation to see the results here.")

# %%
# The figures
# -----------
# One figure per PNG file of the suite, in alphabetical order, under its
# file name.
for path in figures:
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    scale = min(10.0 / width * 100, 1.0)
    fig, ax = plt.subplots(figsize=(width * scale / 100, height * scale / 100))
    ax.imshow(image)
    ax.set_axis_off()
    ax.set_title(f"benchmarks/{path.name}", fontsize=9)
    fig.tight_layout()

if not figures:
    fig, ax = plt.subplots(figsize=(8, 2))
    ax.text(0.5, 0.5, "No benchmark figures yet: run `python -m benchmarks`\n"
            "in the repository, then rebuild the documentation.",
            ha="center", va="center", fontsize=12)
    ax.set_axis_off()
