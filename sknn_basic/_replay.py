"""The rows a stream of ``partial_fit`` calls remembers and trains on again.

Each ``partial_fit`` call of a network runs one epoch over its chunk.  When
the chunks are not alike (sorted by class, or a first chunk of a few rows),
a step on one chunk alone overwrites what earlier chunks taught: a stream
sorted by class ends predicting the last class only.  A :class:`ReplayMemory`
keeps a uniform sample of every row the stream has shown (reservoir sampling,
Vitter's Algorithm R) and each call trains on its chunk together with rows
drawn from that sample, so that every step also sees the earlier chunks.

The memory holds rows as the model trains on them: inputs in the training
dtype (CSR stays CSR), encoded targets, and normalised weights.  What is
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
        slot ``i`` before the call, ``-(i + 1)`` the chunk's row ``i``.
    kept : ndarray of int
        Positions in the chunk that enter the memory, in increasing order.
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

    Parameters
    ----------
    capacity : int
        The most rows kept (> 0).
    """

    def __init__(self, capacity):
        self.capacity = int(capacity)
        self.X = self.Y = self.w = None
        self.seen = 0

    def __len__(self):
        return 0 if self.X is None else self.X.shape[0]

    def plan(self, n_rows, random_state):
        """The draws of a call whose chunk holds ``n_rows`` rows.

        The replayed rows are drawn first, without replacement; then each
        chunk row in turn enters a full memory with probability
        ``capacity / rows seen``, in a slot drawn uniformly.
        """
        held = len(self)
        n_replayed = min(held, max(n_rows, REPLAY_BATCH - n_rows))
        replayed = (random_state.choice(held, n_replayed, replace=False) if n_replayed
                    else np.arange(0))
        free = min(self.capacity - held, n_rows)
        # The memory after the call, slot by slot: an old row's position, or
        # -(i + 1) for the chunk's row i.  Rows fill the free slots first.
        source = np.concatenate([np.arange(held), -1 - np.arange(free)])
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

    def replayed_rows(self, plan):
        """The memory's rows ``plan`` replays: ``(X, Y, w)``, w None where unweighted."""
        rows = plan.replayed
        return self.X[rows], self.Y[rows], None if self.w is None else self.w[rows]

    def keep(self, plan, X, Y, w, n_rows):
        """Enter the rows ``plan.kept`` of a chunk, given as those rows only.

        ``X``, ``Y`` and ``w`` hold the chunk rows ``plan.kept`` (in that
        order); ``n_rows`` is the whole chunk's length.
        """
        self.seen += n_rows
        if self.X is not None and not len(plan.kept):
            return
        if self.X is None:
            self.X, self.Y = X[:0], Y[:0]
        if (w is None) != (self.w is None):
            # One side weighted: the unweighted rows count one each.
            if w is None:
                w = np.ones(X.shape[0], dtype=self.w.dtype)
            else:
                self.w = np.ones(len(self), dtype=w.dtype)
        # Each slot's row from the old rows followed by the entering ones.
        held, source = len(self), plan.slots
        rows = np.where(source >= 0, source,
                        held + np.searchsorted(plan.kept, -1 - source))
        self.X = stack_rows([self.X, X])[rows]
        self.Y = np.concatenate([self.Y, Y])[rows]
        if w is not None:
            self.w = np.concatenate([self.w, w])[rows]

    def resize(self, capacity):
        """Hold at most ``capacity`` rows from now on (after ``set_params``).

        A lowered capacity keeps evenly spaced slots: until the memory is
        full its slots follow the stream's order, so its first slots alone
        would lean to the stream's start.
        """
        self.capacity = int(capacity)
        if len(self) > capacity:
            rows = np.linspace(0, len(self) - 1, capacity).astype(np.int64)
            self.X, self.Y = self.X[rows], self.Y[rows]
            if self.w is not None:
                self.w = self.w[rows]

    def combined(self, X, Y, w, plan):
        """The chunk's rows followed by the replayed ones: what the call trains on."""
        if not len(plan.replayed):
            return X, Y, w
        X_old, Y_old, w_old = self.replayed_rows(plan)
        if w is None and w_old is None:
            weights = None
        else:
            weights = np.concatenate([
                np.ones(X.shape[0], dtype=X.dtype) if w is None else w,
                np.ones(X_old.shape[0], dtype=X.dtype) if w_old is None else w_old,
            ])
        return stack_rows([X, X_old]), np.concatenate([Y, Y_old]), weights
