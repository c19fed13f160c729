"""The environment of the fresh-process rows: a new virtual environment with the default install.

A user who runs ``pip install sknn-basic`` gets only the default install, and
every script or command-line run starts a new interpreter.  The fresh-process
rows measure that: each job runs in a child interpreter
(:mod:`benchmarks._fresh_child`) of an environment holding nothing but
``pip install <project>`` and its dependencies.

:class:`Environment` either uses a given interpreter (``--python``), or
builds such an environment in a temporary folder (``python -m venv``, then
``pip install`` of the working tree), recording how long the install took
and how much it weighs, and deletes it at the end; or, in the quick and
smoke modes unless told otherwise, runs the children with the current
interpreter (fresh processes, but not a fresh install).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["Environment"]

REPO = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().parent / "_fresh_child.py"


def _folder_size(folder):
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


class Environment:
    """Where the fresh-process children run.

    Parameters
    ----------
    python : str or None
        Interpreter of an existing environment; None to build one (``build``)
        or use the current interpreter.
    build : bool
        Build a fresh virtual environment with ``pip install`` of the project.
    """

    def __init__(self, python=None, build=False):
        self.given = python
        self.build = build and python is None
        self.folder = None
        self.install_seconds = None
        self.size = None
        self.error = None
        self._python = python

    def python(self):
        """The interpreter of the children (building the environment on first use)."""
        if self._python is None:
            self._python = self._build() if self.build else sys.executable
        return self._python

    def _build(self):
        self.folder = Path(tempfile.mkdtemp(prefix="sknn-basic-bench-venv-"))
        subprocess.run([sys.executable, "-m", "venv", str(self.folder)], check=True,
                       capture_output=True)
        python = self.folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        base = _folder_size(self.folder)
        started = time.perf_counter()
        completed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             str(REPO)], capture_output=True, text=True,
        )
        self.install_seconds = time.perf_counter() - started
        if completed.returncode != 0:
            raise RuntimeError(f"pip install of the project into {self.folder} failed:\n"
                               f"{completed.stderr[-2000:]}")
        self.size = _folder_size(self.folder) - base
        return str(python)

    def describe(self):
        if self.build:
            text = ("a fresh virtual environment (python -m venv) with only `pip install .` "
                    "of the working tree (the default install)")
            if self.install_seconds is not None:
                text += (f": the install took {self.install_seconds:.0f} s and added "
                         f"{self.size / 2**20:.0f} MiB (sknn-basic and its dependencies)")
            return text
        if self.given:
            return f"the environment of {self.given} (given with --python)"
        return ("the current interpreter's environment (fresh processes, but not a fresh "
                "install: run the full mode, or pass --python, for that)")

    def run(self, job, threads, timeout=1800):
        """Run one job in a new child interpreter; return its JSON answer."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("SKNN_BASIC_")}
        env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        with tempfile.TemporaryDirectory() as outside:
            completed = subprocess.run(
                [self.python(), "-I", str(CHILD), json.dumps(job)], cwd=outside, env=env,
                capture_output=True, text=True, timeout=timeout,
            )
        if completed.returncode != 0:
            raise RuntimeError(f"the fresh-process job {job['job']} failed:\n"
                               f"{completed.stderr[-2000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def close(self):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
