"""The replay memory of a stream of partial_fit calls: what it keeps, draws and hands back."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse

from sknn_basic._replay import REPLAY_BATCH, ReplayMemory, stack_rows


def _feed(memory, n_rows, random_state, start=0, weights=None):
    """Hand the memory a chunk whose X holds each row's index in the stream."""
    X = np.arange(start, start + n_rows, dtype=float)[:, np.newaxis]
    Y = X.copy()
    plan = memory.plan(n_rows, random_state)
    w = None if weights is None else np.full(n_rows, weights)
    combined = memory.combined(X, Y, w, plan)
    memory.keep(plan, X[plan.kept], Y[plan.kept], None if w is None else w[plan.kept], n_rows)
    return plan, combined


def test_the_memory_is_a_uniform_sample_of_the_stream():
    # Every row of a 1,000-row stream fed in chunks of 7 should end in a
    # 50-row memory with probability 50 / 1000: over 400 streams each row is
    # kept about 20 times.  A memory that leaned to early or late rows (or to
    # a chunk's first rows) would show it in the halves compared below.
    rng = np.random.RandomState(0)
    counts = np.zeros(1000)
    for _ in range(400):
        memory = ReplayMemory(50)
        for start in range(0, 1000, 7):
            _feed(memory, min(7, 1000 - start), rng, start)
        assert len(memory) == 50 and memory.seen == 1000
        kept = memory.X[:, 0].astype(int)
        assert len(np.unique(kept)) == 50
        counts[kept] += 1
    assert counts.mean() == pytest.approx(20)
    halves = counts.reshape(2, 500).sum(axis=1)
    assert abs(halves[0] - halves[1]) < 4 * np.sqrt(halves.sum())
    first_of_chunk = counts[::7].mean()
    assert abs(first_of_chunk - 20) < 4 * np.sqrt(20 / len(counts[::7]))


def _algorithm_r(chunks, capacity, random_state):
    """Vitter's Algorithm R row by row, with the memory's draws in its order."""
    slots, seen = [], 0
    for n_rows in chunks:
        held = len(slots)
        n_replayed = min(held, max(n_rows, REPLAY_BATCH - n_rows))
        if n_replayed:
            random_state.choice(held, n_replayed, replace=False)
        free = min(capacity - held, n_rows)
        draws = iter(random_state.random_sample(n_rows - free))
        for i in range(n_rows):
            if i < free:
                slots.append(seen + i)
                continue
            j = int(next(draws) * (seen + i + 1))
            if j < capacity:
                slots[j] = seen + i
        seen += n_rows
    return slots


@pytest.mark.parametrize("chunks, capacity", [
    ([7] * 30, 50), ([1] * 300, 20), ([60, 3, 200, 1, 90], 64), ([500, 500], 10),
])
def test_the_memory_is_algorithm_r_slot_for_slot(chunks, capacity):
    memory = ReplayMemory(capacity)
    start = 0
    rng = np.random.RandomState(1)
    for n_rows in chunks:
        _feed(memory, n_rows, rng, start)
        start += n_rows
    expected = _algorithm_r(chunks, capacity, np.random.RandomState(1))
    assert_array_equal(memory.X[:, 0], expected)


@pytest.mark.parametrize("chunk", [1, 10, 32, 50, 64, 300])
def test_a_call_replays_its_chunks_size_topped_up_to_the_batch(chunk):
    rng = np.random.RandomState(0)
    memory = ReplayMemory(200)
    plan, (X, _, _) = _feed(memory, chunk, rng)
    assert len(plan.replayed) == 0 and X.shape[0] == chunk  # nothing to replay yet
    _feed(memory, 400, rng, start=chunk)
    plan, (X, Y, w) = _feed(memory, chunk, rng, start=10_000)
    expected = min(200, max(chunk, REPLAY_BATCH - chunk))
    assert len(plan.replayed) == expected == X.shape[0] - chunk
    assert len(np.unique(plan.replayed)) == expected
    # The chunk first, then remembered rows (never rows of this chunk).
    assert_array_equal(X[:chunk, 0], np.arange(10_000, 10_000 + chunk))
    assert np.all(X[chunk:, 0] < 10_000) and w is None
    assert_array_equal(X, Y)


def test_weighted_and_unweighted_calls_mix_with_ones_for_the_unweighted_rows():
    rng = np.random.RandomState(0)
    memory = ReplayMemory(30)
    _feed(memory, 20, rng)  # unweighted
    _, (_, _, w) = _feed(memory, 20, rng, start=20, weights=0.5)
    assert_array_equal(w[:20], 0.5)
    assert_array_equal(w[20:], 1.0)  # remembered unweighted rows
    _, (X, _, w) = _feed(memory, 5, rng, start=40)
    assert_array_equal(w[:5], 1.0)
    remembered = X[5:, 0]
    assert_array_equal(w[5:], np.where(remembered >= 20, 0.5, 1.0))


def test_sparse_rows_stay_sparse_and_match_dense_ones():
    dense = np.arange(12.0).reshape(4, 3)
    assert_array_equal(stack_rows([dense[:2], dense[2:]]), dense)
    mixed = stack_rows([sparse.csr_matrix(dense[:2]), dense[2:]])
    assert sparse.issparse(mixed) and mixed.format == "csr"
    assert_array_equal(mixed.toarray(), dense)

    rng_dense, rng_sparse = np.random.RandomState(3), np.random.RandomState(3)
    a, b = ReplayMemory(10), ReplayMemory(10)
    X = np.random.RandomState(0).normal(size=(40, 3))
    Y = np.arange(40.0)[:, np.newaxis]
    for start in range(0, 40, 8):
        rows = slice(start, start + 8)
        for memory, rng, chunk in ((a, rng_dense, X[rows]),
                                   (b, rng_sparse, sparse.csr_matrix(X[rows]))):
            plan = memory.plan(8, rng)
            combined = memory.combined(chunk, Y[rows], None, plan)
            memory.keep(plan, chunk[plan.kept], Y[rows][plan.kept], None, 8)
    assert sparse.issparse(b.X)
    assert_array_equal(b.X.toarray(), a.X)
    assert_array_equal(b.Y, a.Y)
    assert sparse.issparse(combined[0])


def test_a_lowered_capacity_keeps_rows_from_the_whole_stream():
    rng = np.random.RandomState(0)
    memory = ReplayMemory(100)
    _feed(memory, 100, rng)
    memory.resize(10)
    assert len(memory) == 10
    kept = memory.X[:, 0]
    assert kept.min() < 10 and kept.max() > 90  # not only the oldest rows
    memory.resize(50)  # a raised capacity fills up from the next chunks
    _feed(memory, 100, rng, start=100)
    assert len(memory) == 50
