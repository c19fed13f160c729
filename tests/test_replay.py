"""The replay memory of a stream of partial_fit calls: what it keeps, draws and hands back."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse

from sknn_basic._replay import REPLAY_BATCH, ReplayMemory, stack_rows


def _feed(memory, n_rows, random_state, start=0, weights=None):
    """Hand the memory a chunk whose X holds each row's index in the stream, as ``_fit`` does.

    ``weights`` (a number or an array) are the rows' weights as given.
    Returns the plan and the rows, targets and training weights of the call.
    """
    X = np.arange(start, start + n_rows, dtype=float)[:, np.newaxis]
    Y = X.copy()
    given = np.ones(n_rows) if weights is None else np.broadcast_to(weights, n_rows) * 1.0
    divisor = max(given.max(initial=1.0 if weights is None else 0.0), memory.largest_weight())
    w = given / divisor
    w = None if np.all(w == 1) else w
    eligible = np.flatnonzero(given > 0)
    plan = memory.plan(len(eligible), random_state)
    rows = eligible[plan.kept]
    entering = (X[rows], Y[rows], memory.units(None if w is None else w[rows], len(rows), divisor))
    combined = memory.combined(X, Y, w, plan, divisor)
    memory.keep(plan, *entering, n_rows=len(eligible))
    return plan, combined


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


def test_rows_of_different_calls_keep_the_ratios_of_their_weights_as_given():
    # Each call divides its weights by their largest; the memory keeps them
    # as given, so a weight-1 row of a call that also held a weight-100 row
    # still counts as much as a row of an unweighted call.
    rng = np.random.RandomState(0)
    memory = ReplayMemory(100)
    _feed(memory, 10, rng, weights=np.r_[np.ones(9), 100.0])
    assert_array_equal(np.sort(memory.w), np.r_[np.ones(9), 100.0])
    _, (X, _, w) = _feed(memory, 10, rng, start=10)
    # This call's rows (weight 1) against the remembered ones, over 100.
    assert_array_equal(w[:10], 0.01)
    assert_array_equal(w[10:], np.where(X[10:, 0] == 9, 1.0, 0.01))
    _feed(memory, 10, rng, start=20, weights=0.01)
    assert_array_equal(memory.w[memory.X[:, 0] >= 20], 0.01)


def test_rows_of_zero_weight_never_enter():
    rng = np.random.RandomState(0)
    memory = ReplayMemory(50)
    for start in range(0, 1000, 20):
        weights = np.where(np.arange(start, start + 20) % 10 == 0, 2.0, 0.0)
        _feed(memory, 20, rng, start=start, weights=weights)
    assert memory.seen == 100 and len(memory) == 50
    assert np.all(memory.X[:, 0] % 10 == 0) and np.all(memory.w == 2.0)


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
            combined = memory.combined(chunk, Y[rows], None, plan, 1.0)
            memory.keep(plan, chunk[plan.kept], Y[rows][plan.kept],
                        memory.units(None, len(plan.kept), 1.0), 8)
    assert sparse.issparse(b.X)
    assert_array_equal(b.X.toarray(), a.X)
    assert_array_equal(b.Y, a.Y)
    assert sparse.issparse(combined[0])
    # A dense chunk trains on dense rows, whatever the memory holds.
    plan = b.plan(8, rng_sparse)
    dense_rows = b.combined(X[:8], Y[:8], None, plan, 1.0)[0]
    assert isinstance(dense_rows, np.ndarray) and dense_rows.shape == (8 + 10, 3)


def test_a_lowered_capacity_keeps_a_uniform_subset_drawn_by_the_next_call():
    means = []
    for seed in range(200):
        rng = np.random.RandomState(seed)
        memory = ReplayMemory(100)
        _feed(memory, 100, rng)
        memory.resize(10)
        assert len(memory) == 100  # the draw waits for the next call's random state
        _feed(memory, 0, rng, start=100)
        assert len(memory) == 10 and memory.seen == 100
        means.append(memory.X[:, 0].mean())
    # Ten of 0..99 at random: a mean of 49.5, with 8.7 of spread per draw.
    assert abs(np.mean(means) - 49.5) < 4 * 8.7 / np.sqrt(200)
    memory.resize(50)  # a raised capacity fills up from the next chunks
    _feed(memory, 100, rng, start=100)
    assert len(memory) == 50
