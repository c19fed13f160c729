"""Command line of the suite: ``python -m benchmarks [--full | --quick] [--out DIR]``."""

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path

from .suite import MODES, Suite

__all__ = ["main"]

DEFAULT_OUT = Path(__file__).resolve().parent
SECTION_NAMES = ("fit", "cv", "predict", "fixed", "float32", "torch", "memory", "lessons",
                 "scaling", "fresh", "loader", "dask", "onnx", "time")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time sknn-basic against scikit-learn on the same data, epochs and "
        "batch sizes, and write results.md and log-log figures of fit time against n.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the full suite (default): W1/W2 at 100k samples, 5 repeats, "
                      "scaling up to 1M samples; about 20 minutes on two cores")
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="smaller data and 3 repeats: a smoke run under two minutes")
    mode.add_argument("--smoke", dest="mode", action="store_const", const="smoke",
                      help="tiny data and 2 repeats, for the test suite (seconds); "
                      "its numbers mean nothing")
    parser.set_defaults(mode="full")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for results.md and the PNG figures (default: %(default)s)")
    parser.add_argument("--only", default=None,
                        help="comma-separated sections to run, of "
                        f"{', '.join(SECTION_NAMES)} (default: all); the report then "
                        "holds only those")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats per timing (default: 5 full, 3 quick)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS/OpenMP threads for both contenders (default: 2)")
    parser.add_argument("--no-rerun", action="store_true",
                        help="do not measure disturbed rows again")
    parser.add_argument("--python", default=None,
                        help="interpreter of an environment holding only the default "
                        "install, for the fresh-process rows (default: the full mode "
                        "builds one with python -m venv and pip install; the quick and "
                        "smoke modes use the current interpreter)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    mode = MODES[args.mode]
    if args.repeats is not None:
        if args.repeats < 1:
            _parser().error("--repeats must be at least 1")
        mode = dataclasses.replace(mode, repeats=args.repeats)
    if args.no_rerun:
        mode = dataclasses.replace(mode, reruns=0)
    sections = None
    if args.only:
        sections = {s.strip() for s in args.only.split(",") if s.strip()}
        unknown = sections - set(SECTION_NAMES)
        if unknown:
            _parser().error(f"unknown section(s) {sorted(unknown)}; choose from "
                            f"{', '.join(SECTION_NAMES)}")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    from threadpoolctl import threadpool_limits

    from . import report
    from .machine import _git_revision, describe

    argv_text = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    started = time.perf_counter()
    print(f"sknn-basic benchmarks, {mode.name} mode: writing to {out}", file=sys.stderr,
          flush=True)
    revision = _git_revision()
    with threadpool_limits(limits=args.threads):
        machine = describe()
        suite = Suite(mode, sections=sections, threads=args.threads,
                      python=args.python).build()
        try:
            with warnings.catch_warnings():
                # Convergence warnings of the fits are recorded per row, not printed.
                warnings.simplefilter("ignore")
                suite.run()
        finally:
            suite.environment.close()
    elapsed = time.perf_counter() - started
    if _git_revision() != revision:
        suite.log.append(
            f"the package's git revision changed during the run (from {revision} to "
            f"{_git_revision()}); the measurements used the code imported at the start"
        )
    figures = {}
    if suite.scaling:
        figures = report.write_figures(suite.scaling, out, mode.repeats, suite.scaling_specs())
    passed, total = report.write_report(
        out / "results.md", suite=suite, machine=machine, mode=mode, elapsed=elapsed,
        figures=figures, threads=args.threads, argv_text=argv_text,
    )
    print(f"{passed} of {total} targets met; wrote {out / 'results.md'} and "
          f"{len(figures)} figure(s) in {elapsed / 60:.1f} min", file=sys.stderr, flush=True)
    return 0
