"""The rows a stream of ``partial_fit`` calls remembers and trains on again.

Each ``partial_fit`` call of a network runs one epoch over its chunk.  When
the chunks are not alike (sorted by class, or a first chunk of a few rows),
a step on one chunk alone overwrites what earlier chunks taught: a stream
sorted by class ends predicting the last class only.  A :class:`ReplayMemory`
keeps a uniform sample of the rows of positive weight the stream has shown
(reservoir sampling, Vitter's Algorithm R) and each call trains on its chunk
together with rows drawn from that sample, so that every step also sees the
earlier chunks.

The memory holds inputs in the training dtype (CSR once a chunk was sparse),
encoded targets, and the weights as the caller gave them.  What is
drawn from the random state, and in which order, lives in :meth:`plan`
alone, so that the in-memory path and the Dask path make the same draws and
train on the same rows.
"""

import numpy as np
from scipy import sparse

__all__ = ["ReplayMemory", "ReplayPlan", "REPLAY_BATCH", "stack_rows"]

#: A call trains on as many remembered rows as its chunk holds, topped up so
#: that chunk and replay together make at least this many rows: one step on
#: a chunk of a few rows is otherwise mostly noise.
REPLAY_BATCH = 64


class ReplayPlan:
    """What one call draws: the rows it replays and what the memory holds after it.

    Attributes
    ----------
    replayed : ndarray of int
        Positions in the memory (as it was before the call) trained on again.
    slots : ndarray of int
        The memory after the call, slot by slot: ``i >= 0`` is the row in
        slot ``i`` before the call, ``-(i + 1)`` the chunk's row ``i``
        (counting the chunk's rows of positive weight only).
    kept : ndarray of int
        The chunk's rows that enter the memory, in increasing order (counted
        as in ``slots``).
    """

    def __init__(self, replayed, slots):
        self.replayed = replayed
        self.slots = slots
        self.kept = np.sort(-1 - slots[slots < 0])


def stack_rows(parts):
    """The rows of each of ``parts`` in turn: CSR if any is sparse (a stream may mix)."""
    if any(sparse.issparse(part) for part in parts):
        return sparse.vstack([sparse.csr_matrix(part) for part in parts], format="csr")
    return np.concatenate(parts)


class ReplayMemory:
    """A uniform sample of at most ``capacity`` rows of a stream.

    The sample is over the rows of positive weight: a row of weight zero
    would teach nothing when replayed.  Each row's weight is kept as the
    caller gave it (sample weight times the normalised class weight, one
    for an unweighted row), in float64, so that rows of different calls keep
    their ratios whatever each call's weights were normalised by.

    Parameters
    ----------
    capacity : int
        The most rows kept (> 0).

    Attributes
    ----------
    X, Y : arrays, or None before the first rows
        The remembered inputs (in the training dtype; CSR once a chunk was
        sparse) and encoded targets.
    w : ndarray of float64
        Their weights as given.
    seen : int
        Rows of positive weight the stream has shown.
    """

    def __init__(self, capacity):
        self.capacity = int(capacity)
        self.X = self.Y = self.w = None
        self.seen = 0

    def __len__(self):
        return 0 if self.X is None else self.X.shape[0]

    def largest_weight(self):
        """The largest weight remembered (0 while empty)."""
        return 0.0 if not len(self) else float(self.w.max())

    def resize(self, capacity):
        """Hold at most ``capacity`` rows from the next call on (after ``set_params``).

        A lowered capacity keeps a uniform subset of the rows, drawn by the
        next :meth:`plan`.  A raised one fills with the next rows of the
        stream, so the memory leans to them until the stream has gone on
        well past that point.
        """
        self.capacity = int(capacity)

    def plan(self, n_rows, random_state):
        """The draws of a call whose chunk has ``n_rows`` rows of positive weight.

        In this order: the rows that stay, where ``capacity`` was lowered
        (a uniform subset); the replayed rows, without replacement; then the
        chunk's rows in turn, each entering a full memory with probability
        ``capacity / rows seen``, in a slot drawn uniformly (Algorithm R).
        """
        held = len(self)
        survivors = np.arange(held)
        if held > self.capacity:
            survivors = np.sort(random_state.choice(held, self.capacity, replace=False))
        n_replayed = min(len(survivors), max(n_rows, REPLAY_BATCH - n_rows))
        replayed = (survivors[random_state.choice(len(survivors), n_replayed, replace=False)]
                    if n_replayed else np.arange(0))
        free = min(self.capacity - len(survivors), n_rows)
        # The memory after the call, slot by slot; rows fill free slots first.
        source = np.concatenate([survivors, -1 - np.arange(free)])
        # Row i of the chunk is the (seen + i + 1)-th of the stream.
        later = np.arange(free, n_rows)
        slots = (random_state.random_sample(len(later))
                 * (self.seen + later + 1)).astype(np.int64)
        taken = slots < self.capacity
        slots, later = slots[taken], later[taken]
        # A slot drawn twice keeps the chunk's later row, as row-by-row
        # replacement would.
        last = len(slots) - 1 - np.unique(slots[::-1], return_index=True)[1]
        source[slots[last]] = -1 - later[last]
        return ReplayPlan(replayed, source)

    @staticmethod
    def units(w, n_rows, divisor):
        """Training weights (None: all one) of ``n_rows`` rows back in the caller's units."""
        if w is None:
            return np.full(n_rows, float(divisor))
        return w.astype(np.float64) * divisor

    def combined(self, X, Y, w, plan, divisor):
        """The chunk's rows followed by the replayed ones: what the call trains on.

        ``w`` are the chunk's training weights (None: all one), which are its
        weights as given divided by ``divisor``; the replayed rows' weights
        are divided alike.  A dense chunk gets dense replayed rows.
        """
        if not len(plan.replayed):
            return X, Y, w
        X_old, Y_old, w_old = self.replayed_rows(plan, divisor, X.dtype,
                                                 dense=not sparse.issparse(X))
        weights = np.concatenate([np.ones(X.shape[0], dtype=X.dtype) if w is None else w, w_old])
        if np.all(weights == 1):
            weights = None
        return stack_rows([X, X_old]), np.concatenate([Y, Y_old]), weights

    def replayed_rows(self, plan, divisor, dtype, dense=False):
        """The memory's rows ``plan`` replays: ``(X, Y, w)``.

        ``w`` are training weights of ``dtype``: the weights as given divided
        by ``divisor``, as the call divides its chunk's.
        """
        rows = plan.replayed
        X = self.X[rows]
        if dense and sparse.issparse(X):
            X = X.toarray()
        return X, self.Y[rows], (self.w[rows] / divisor).astype(dtype)

    def keep(self, plan, X, Y, w, n_rows):
        """Enter the rows ``plan.kept`` of a chunk, given as those rows only.

        ``X``, ``Y`` and ``w`` (weights as given, float64) hold the rows
        ``plan.kept`` of the chunk's ``n_rows`` rows of positive weight, in
        that order; all three may be None where no row enters.
        """
        self.seen += n_rows
        source = plan.slots
        if X is None or not len(plan.kept):
            if self.X is None or np.array_equal(source, np.arange(len(self))):
                return
            X, Y, w = self.X[:0], self.Y[:0], self.w[:0]
        if self.X is None:
            self.X, self.Y, self.w = X[:0], Y[:0], w[:0]
        # Each slot's row from the old rows followed by the entering ones.
        rows = np.where(source >= 0, source,
                        len(self) + np.searchsorted(plan.kept, -1 - source))
        self.X = stack_rows([self.X, X])[rows]
        self.Y = np.concatenate([self.Y, Y])[rows]
        self.w = np.concatenate([self.w, w])[rows]


# ------------------------------------------------------------ plain state
# A fitted estimator pickles its replay memory as a plain dict (see
# BaseTrained.__getstate__), so that skops trusts what it loads: sparse rows
# become their CSR arrays.


def memory_to_state(memory):
    """``memory`` as a dict of numbers and arrays (CSR rows as their three arrays)."""
    state = dict(vars(memory))
    if sparse.issparse(memory.X):
        X = memory.X
        state["X"] = {"csr": [X.data, X.indices, X.indptr], "shape": list(X.shape)}
    return state


def memory_from_state(state):
    """The :class:`ReplayMemory` that :func:`memory_to_state` described."""
    state = dict(state)
    if isinstance(state["X"], dict):
        state["X"] = sparse.csr_matrix(tuple(state["X"]["csr"]), shape=tuple(state["X"]["shape"]))
    memory = ReplayMemory(state["capacity"])
    memory.__dict__.update(state)
    return memory
