"""Refusing, before training, a network that cannot fit in the machine's memory.

``--hidden`` sizes the hidden layer of the backpropagation network; a large
one is allocated as weights (a few copies: the weights, their initial draw,
gradients, momentum, and the scikit-learn counterpart's weights, gradients
and Adam moments) and as hidden-layer outputs and error terms for the rows
of each pass (every training row for the epoch's loss, the rows of a chunk
of the batch, the test rows when predicting, the counterpart's batch).
:func:`check_network_fits` estimates that memory from the sizes alone and
raises :class:`~._errors.NotEnoughMemory` (exit status 3, with advice) when it exceeds
what the machine has available, instead of letting the kernel kill the
process minutes later.
"""

import os

from ._errors import NotEnoughMemory

#: Bytes of one float64 number.
_FLOAT = 8
#: Copies of the weights alive at the peak (see the module docstring): ours
#: (weights, initial draw, gradient, chunk gradient, velocity) and the
#: counterpart's (weights, gradient, two Adam moments).
_WEIGHT_COPIES = 9
#: Rows of a chunk of a large batch (sknn_basic._network sums the gradient
#: of a batch in chunks of at most this many rows).
_CHUNK_ROWS_MAX = 8192


def available_bytes():
    """Memory the process can still use, in bytes, or None when unknown.

    Linux's ``MemAvailable`` (free memory plus the caches the kernel gives
    back on demand), else ``SC_AVPHYS_PAGES`` free pages; lowered to what a
    cgroup (a container) still allows.  None where neither is readable.
    """
    available = _meminfo_available()
    if available is None:
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            available = None
        if available is not None and available <= 0:
            available = None
    limit = _cgroup_room()
    if limit is not None:
        available = limit if available is None else min(available, limit)
    return available


def _meminfo_available():
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room():
    """What a cgroup v2 memory limit leaves, or None without one."""
    try:
        with open("/sys/fs/cgroup/memory.max") as handle:
            limit = handle.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current") as handle:
            used = int(handle.read().strip())
        return max(int(limit) - used, 0)
    except (OSError, ValueError):
        return None


def network_bytes(n_hidden, n_features, n_train, n_test):
    """Estimated peak memory of training and comparing a network.

    Parameters
    ----------
    n_hidden : int or tuple of int
        Hidden units: one layer's, or the width of each hidden layer.
    n_features : int
        Input features.
    n_train, n_test : int
        Training and test rows.

    Returns
    -------
    int
        Bytes: the weight copies plus the hidden-layer buffers (see the
        module docstring).  A sizing estimate, not an exact count.
    """
    widths = (n_hidden,) if isinstance(n_hidden, int) else tuple(n_hidden)
    sizes = (n_features, *widths, 1)
    weights = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    chunk = min(n_train, _CHUNK_ROWS_MAX)
    # MLPClassifier takes the batch of ours (train sets it like ours), at
    # most every training row: its activations and error terms, one row each
    # per hidden unit of every layer.
    hidden_rows = n_train + 2 * chunk + n_test + 2 * n_train
    return _FLOAT * (_WEIGHT_COPIES * weights + hidden_rows * sum(widths))


def _size(n_bytes):
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 1e3:,.1f} kB"


def check_network_fits(n_hidden, n_features, n_train, n_test, available=None):
    """Raise :class:`~._errors.NotEnoughMemory` if the network would not fit.

    Parameters
    ----------
    n_hidden : int or tuple of int
        As in :func:`network_bytes`.
    n_features, n_train, n_test : int
        As in :func:`network_bytes`.
    available : int or None, default=None
        Bytes available; None reads them with :func:`available_bytes` (and
        checks nothing where they cannot be read).
    """
    if available is None:
        available = available_bytes()
    if available is None:
        return
    need = network_bytes(n_hidden, n_features, n_train, n_test)
    if need <= available:
        return
    if not isinstance(n_hidden, int):
        raise NotEnoughMemory(
            f"out of memory: hidden layers of {','.join(map(str, n_hidden))} units would "
            f"need about {_size(need)} for {n_train:,} training rows (weights and "
            f"hidden-layer buffers), more than the {_size(available)} available; choose "
            "fewer or narrower hidden layers (--hidden), or a smaller file (--data PATH)"
        )
    # The largest layer that fits: the estimate grows with n_hidden.
    low, high = 0, n_hidden
    while low < high:
        middle = (low + high + 1) // 2
        if network_bytes(middle, n_features, n_train, n_test) <= available:
            low = middle
        else:
            high = middle - 1
    advice = f"choose --hidden H with H at most {low:,}" if low >= 1 else "free some memory"
    raise NotEnoughMemory(
        f"out of memory: {n_hidden:,} hidden units would need about {_size(need)} "
        f"for {n_train:,} training rows (weights and hidden-layer buffers), more than "
        f"the {_size(available)} available; {advice}, or a smaller file (--data PATH)"
    )


def check_estimator_fits(estimator, X_train, X_test):
    """:func:`check_network_fits` for an estimator with a hidden layer (others pass)."""
    n_hidden = getattr(estimator, "n_hidden", None)
    sizes = getattr(estimator, "hidden_layer_sizes", None)
    if sizes is not None:
        n_hidden = tuple(sizes)
    if n_hidden is not None:
        check_network_fits(n_hidden, X_train.shape[1], X_train.shape[0], X_test.shape[0])
