"""The data loader's row: ``load_admissions`` against ``pandas.read_csv``.

Run as ``python -m benchmarks.loader [--rows N] [--repeats K]``.  It writes a
large synthetic admissions file into a temporary directory (blocks of
:func:`~sknn_basic.datasets.make_admissions` rows, tiled with fresh seeds),
times both readers on it, alternating, and reports the median of the
repeats; then it measures the peak resident memory of one read of each in a
fresh interpreter, where the kernel's high-water mark is reset just before
the read (as :mod:`benchmarks._rss_child` does for fits).  It prints one row
with both ratios beside their targets: at most 2x ``pandas.read_csv``'s time
and 1.5x its memory.

:func:`measure` returns the figures as a dict, so that the suite can call it.
Memory is compared as the growth of the resident set during the read (its
peak minus its size before), since both children import the same modules
first; the absolute peaks are reported as well.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

__all__ = ["TIME_TARGET", "MEMORY_TARGET", "write_admissions_csv", "measure", "format_row", "main"]

#: load_admissions may take at most this multiple of pandas.read_csv's time...
TIME_TARGET = 2.0
#: ...and of its peak memory.
MEMORY_TARGET = 1.5
#: About 200 MB of CSV text, the size of the issue's measurement.
DEFAULT_ROWS = 13_000_000
_BLOCK_ROWS = 100_000
_READERS = ("load_admissions", "read_csv")


def write_admissions_csv(path, n_rows, block_rows=_BLOCK_ROWS):
    """Write ``n_rows`` synthetic admissions rows to a CSV file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    n_rows : int
        Rows after the header.
    block_rows : int, default=100_000
        Rows drawn per call of ``make_admissions`` (seeds 0, 1, ...); each
        block is formatted once and written as often as needed, which keeps
        a file of millions of rows quick to make.

    Returns
    -------
    int
        Size of the file in bytes.
    """
    from sknn_basic.datasets import make_admissions

    size = min(block_rows, n_rows)
    blocks = [
        make_admissions(size, random_state=seed).to_csv(index=False, header=False)
        for seed in range(4)
    ]
    with open(path, "w") as handle:
        handle.write("admit,gre,gpa,rank\n")
        written, seed = 0, 0
        while written < n_rows:
            take = min(block_rows, n_rows - written)
            text = blocks[seed % len(blocks)]
            if take < block_rows:
                text = "".join(text.splitlines(keepends=True)[:take])
            handle.write(text)
            written += take
            seed += 1
    return os.path.getsize(path)


def _read(reader, path):
    """Read ``path`` with one of the two readers."""
    if reader == "load_admissions":
        from sknn_basic.datasets import load_admissions

        return load_admissions(path)
    import pandas as pd

    return pd.read_csv(path)


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _times(path, repeats):
    """Seconds per read of each reader, alternating, after one untimed round."""
    seconds = {reader: [] for reader in _READERS}
    for round_ in range(repeats + 1):
        for reader in _READERS:
            start = time.perf_counter()
            frame = _read(reader, path)
            elapsed = time.perf_counter() - start
            del frame
            if round_:  # the first round warms the page cache and imports
                seconds[reader].append(elapsed)
    return seconds


def _peak_in_child(reader, path):
    """Resident memory of one read in a fresh interpreter, in bytes."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.loader", "--child", reader, os.fspath(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child(reader, path):
    """Body of the child process: import, reset the high-water mark, read."""
    import gc

    import pandas  # noqa: F401  (imported before the baseline, as by the reader)

    import sknn_basic.datasets  # noqa: F401

    from ._rss_child import _status

    gc.collect()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    before = _status()["VmRSS"]
    frame = _read(reader, path)
    peak = _status()["VmHWM"]
    print(json.dumps({"before": before, "peak": peak, "delta": peak - before, "rows": len(frame)}))


def measure(n_rows=DEFAULT_ROWS, repeats=5, directory=None, memory=True):
    """Time and measure both readers on a synthetic file of ``n_rows`` rows.

    Parameters
    ----------
    n_rows : int, default=13_000_000
        Rows of the file (about 15.5 bytes each).
    repeats : int, default=5
        Timed reads of each reader; the median is kept.
    directory : str or None, default=None
        Where the temporary file goes (the system's temporary directory by
        default); it is removed afterwards.
    memory : bool, default=True
        Also measure peak memory in child processes (Linux only).

    Returns
    -------
    dict
        ``rows``, ``megabytes``, ``seconds`` and ``peak_bytes`` and
        ``delta_bytes`` (each a dict by reader), ``time_ratio``,
        ``memory_ratio`` (None without ``memory``), the two targets and
        ``met`` (True when both ratios are within them).
    """
    with tempfile.TemporaryDirectory(dir=directory) as folder:
        path = os.path.join(folder, "admissions.csv")
        size = write_admissions_csv(path, n_rows)
        seconds = {reader: _median(times) for reader, times in _times(path, repeats).items()}
        peaks = {reader: _peak_in_child(reader, path) for reader in _READERS} if memory else None
    figures = {
        "rows": n_rows,
        "megabytes": size / 1e6,
        "seconds": seconds,
        "time_ratio": seconds["load_admissions"] / seconds["read_csv"],
        "time_target": TIME_TARGET,
        "memory_target": MEMORY_TARGET,
        "peak_bytes": None,
        "delta_bytes": None,
        "memory_ratio": None,
    }
    if peaks is not None:
        figures["peak_bytes"] = {reader: peaks[reader]["peak"] for reader in _READERS}
        figures["delta_bytes"] = {reader: peaks[reader]["delta"] for reader in _READERS}
        figures["memory_ratio"] = (
            figures["delta_bytes"]["load_admissions"] / figures["delta_bytes"]["read_csv"]
        )
    figures["met"] = figures["time_ratio"] <= TIME_TARGET and (
        figures["memory_ratio"] is None or figures["memory_ratio"] <= MEMORY_TARGET
    )
    return figures


def format_row(figures):
    """The benchmark row as one Markdown table line, with a header above it."""
    seconds = figures["seconds"]
    header = (
        "| file | load_admissions | pd.read_csv | time ratio (target) "
        "| memory growth, load_admissions / pd.read_csv | memory ratio (target) | met |\n"
        "|---|---|---|---|---|---|---|"
    )
    if figures["memory_ratio"] is None:
        memory, memory_ratio = "not measured", "-"
    else:
        delta = figures["delta_bytes"]
        memory = f"{delta['load_admissions'] / 1e9:.2f} / {delta['read_csv'] / 1e9:.2f} GB"
        memory_ratio = f"{figures['memory_ratio']:.2f}x (<= {figures['memory_target']}x)"
    row = (
        f"| {figures['rows']:,} rows, {figures['megabytes']:.0f} MB "
        f"| {seconds['load_admissions']:.2f} s | {seconds['read_csv']:.2f} s "
        f"| {figures['time_ratio']:.2f}x (<= {figures['time_target']}x) "
        f"| {memory} | {memory_ratio} | {'yes' if figures['met'] else 'no'} |"
    )
    return f"{header}\n{row}"


def main(argv=None):
    """Command line: measure, print the row, exit 0 when both targets are met."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.loader",
        description="Time load_admissions against pandas.read_csv on a synthetic file.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows of the file")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads of each reader")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be at least 1")
    figures = measure(args.rows, args.repeats, memory=not args.no_memory)
    print(format_row(figures))
    peaks = figures["peak_bytes"]
    if peaks:
        print(
            f"absolute peaks: load_admissions {peaks['load_admissions'] / 1e9:.2f} GB, "
            f"pd.read_csv {peaks['read_csv'] / 1e9:.2f} GB"
        )
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
