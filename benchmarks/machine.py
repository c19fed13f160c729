"""What the benchmarks ran on, and whether anything else was using the machine meanwhile.

:func:`describe` gathers the machine's description for the report (CPU model,
cores, library versions, BLAS through threadpoolctl, date).  :class:`CpuMonitor`
measures the share of the machine used by *other* processes (and the
hypervisor's steal time) while a measurement runs, from ``/proc/stat`` and
``/proc/self/stat``: a row measured while it was high is marked as disturbed
and measured again.
"""

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["CpuMonitor", "cpu_model", "describe", "load_average"]

_REPO = Path(__file__).resolve().parents[1]


def cpu_model():
    """The ``model name`` of the first processor in /proc/cpuinfo (or platform's guess)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpuinfo_field(name):
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.lower().startswith(name):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_average():
    """The 1-, 5- and 15-minute load averages, or None where unavailable."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def _version(module_name):
    try:
        module = __import__(module_name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "unknown")


def _git_revision():
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=_REPO, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "sknn_basic"],
            cwd=_REPO, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" (sknn_basic/ has uncommitted changes)" if dirty else "")


def _memory_total():
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def blas_description():
    """One line per thread pool that threadpoolctl sees (BLAS and OpenMP), as loaded now."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    lines = []
    for pool in threadpool_info():
        parts = [f"{pool.get('internal_api')} {pool.get('version') or ''}".strip(),
                 f"{pool.get('num_threads')} threads"]
        if pool.get("threading_layer"):
            parts.append(f"threading layer {pool['threading_layer']}")
        if pool.get("architecture"):
            parts.append(f"architecture {pool['architecture']}")
        owner = Path(pool.get("filepath", "")).parent.name
        lines.append(f"{', '.join(parts)} ({pool.get('prefix')}, from {owner})")
    return lines


def describe():
    """The machine's description as an ordered list of (label, value) pairs."""
    # Import the numerical stack first so that threadpoolctl sees its pools.
    import numpy  # noqa: F401
    import scipy  # noqa: F401
    import sklearn  # noqa: F401
    import sknn_basic
    from sknn_basic import _perceptron_kernels

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()} logical CPUs"
    if affinity is not None and affinity != os.cpu_count():
        cores += f" ({affinity} usable by this process)"
    mhz = _cpuinfo_field("cpu mhz")
    cache = _cpuinfo_field("cache size")
    model = cpu_model()
    extra = ", ".join(x for x in (f"{float(mhz):.0f} MHz" if mhz else None,
                                  f"cache {cache}" if cache else None) if x)
    return [
        ("Date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{model}" + (f" ({extra})" if extra else "")),
        ("Cores", cores),
        ("Memory", _memory_total()),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("numpy", _version("numpy")),
        ("scipy", _version("scipy")),
        ("scikit-learn", _version("sklearn")),
        ("perceptron kernel", "compiled (Cython, built at install)"
         if _perceptron_kernels.compiled_available()
         else "NumPy (the compiled kernel was NOT built or is disabled)"),
        ("pandas", _version("pandas")),
        ("matplotlib", _version("matplotlib")),
        ("threadpoolctl", _version("threadpoolctl")),
        ("sknn-basic", f"{sknn_basic.__version__}, git {_git_revision()}"),
        ("BLAS / OpenMP (threadpoolctl)", "; ".join(blas_description())),
        ("Command", " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]])
         if Path(sys.argv[0]).parent.name == "benchmarks" else "benchmarks.main(...)"),
    ]


def _total_jiffies():
    """(busy, all) jiffies of the whole machine since boot, steal counted as busy."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already counted in user; leave it out of the total.
    total = sum(fields[:8])
    return total - idle, total


def _own_jiffies():
    with open("/proc/self/stat") as handle:
        text = handle.read()
    # The command name may hold spaces: split after its closing parenthesis.
    fields = text[text.rindex(")") + 2:].split()
    # utime, stime, cutime, cstime are fields 14-17 (11-14 after the name).
    return sum(int(v) for v in fields[11:15])


class CpuMonitor:
    """Share of the machine's CPU time used by others while a block runs.

    ``foreign`` is (busy jiffies of the whole machine - this process's jiffies)
    divided by the machine's total jiffies over the block: 0 on an otherwise
    idle machine, 0.5 when another process kept one of two cores busy.
    Where /proc is unavailable it stays None.
    """

    def __init__(self):
        self.foreign = None

    def __enter__(self):
        try:
            self._start = (_total_jiffies(), _own_jiffies())
        except (OSError, ValueError, IndexError):
            self._start = None
        return self

    def __exit__(self, *exc):
        if self._start is None:
            return False
        try:
            (busy1, total1), own1 = _total_jiffies(), _own_jiffies()
        except (OSError, ValueError, IndexError):
            return False
        (busy0, total0), own0 = self._start
        elapsed = total1 - total0
        if elapsed > 0:
            self.foreign = max(0.0, ((busy1 - busy0) - (own1 - own0)) / elapsed)
        return False
