"""LayeredModel: a large batch's gradient summed chunk by chunk is the whole batch's gradient."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_basic import TwoLayerBackpropClassifier
from sknn_basic._network import CHUNK_ROWS_MAX, CHUNK_ROWS_MIN, LayeredModel, _chunk_rows
from sknn_basic._optimizers import SGDOptimizer


def _model(coefs, intercepts, *, loss, output_activation, alpha, n_samples):
    coefs = [W.copy() for W in coefs]
    intercepts = None if intercepts is None else [b.copy() for b in intercepts]
    return LayeredModel(
        coefs,
        intercepts,
        SGDOptimizer(coefs + (intercepts or []), learning_rate=0.1),
        loss=loss,
        hidden_activation="sigmoid",
        output_activation=output_activation,
        alpha=alpha,
        batch_size=n_samples,
        n_samples=n_samples,
        dtype=np.float64,
    )


@pytest.mark.parametrize("n_hidden", [2, 64])
@pytest.mark.parametrize(
    "loss, output_activation, n_outputs",
    [("squared_error", "sigmoid", 1), ("log_loss", "sigmoid", 1), ("log_loss", "softmax", 3)],
)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_intercepts", [False, True])
def test_chunked_gradient_equals_whole_batch_gradient(
    n_hidden, loss, output_activation, n_outputs, weighted, with_intercepts
):
    rng = np.random.RandomState(0)
    n_samples, n_features = 2 * CHUNK_ROWS_MAX + 123, 5
    X = rng.normal(size=(n_samples, n_features))
    Y = np.zeros((n_samples, n_outputs))
    if n_outputs == 1:
        Y[:, 0] = rng.randint(2, size=n_samples)
    else:
        Y[np.arange(n_samples), rng.randint(n_outputs, size=n_samples)] = 1
    sw = rng.uniform(0, 2, size=n_samples) if weighted else None
    coefs = [rng.normal(size=(n_features, n_hidden)), rng.normal(size=(n_hidden, n_outputs))]
    intercepts = (
        [rng.normal(size=n_hidden), rng.normal(size=n_outputs)] if with_intercepts else None
    )
    model = _model(coefs, intercepts, loss=loss, output_activation=output_activation,
                   alpha=0.01, n_samples=n_samples)
    assert n_samples > 2 * model.chunk_rows  # at least three chunks, the last one short
    total = n_samples if sw is None else float(sw.sum())

    loss_chunked = model._chunked_gradient(X, Y, sw, total)
    chunked = [g.copy() for g in model._grads]
    # The same gradient from one pass over the whole batch.
    whole = _model(coefs, intercepts, loss=loss, output_activation=output_activation,
                   alpha=0.01, n_samples=n_samples)
    whole._deltas = [np.empty((n_samples, W.shape[1])) for W in coefs]
    whole._hidden = [np.empty((n_samples, W.shape[1])) for W in coefs[:-1]]
    loss_whole = whole._gradient(X, Y, sw, total, 0.01, whole._coef_grads,
                                 whole._intercept_grads)

    assert_allclose(loss_chunked, loss_whole, rtol=1e-12)
    assert len(chunked) == len(whole._grads) == (4 if with_intercepts else 2)
    for got, expected in zip(chunked, whole._grads):
        assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_chunk_rows_shrink_with_the_widest_layer_within_bounds():
    def rows(*widths):
        return _chunk_rows([np.empty((3, w)) for w in widths])

    assert rows(1) == rows(2, 1) == CHUNK_ROWS_MAX
    assert rows(64, 1) < rows(16, 1)
    assert rows(100_000, 1) == CHUNK_ROWS_MIN


def test_full_batch_fit_is_the_same_with_and_without_chunks(monkeypatch):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(3 * CHUNK_ROWS_MAX, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    params = dict(n_hidden=8, batch_size=None, max_iter=30, tol=None, learning_rate=0.5,
                  momentum=0.9, alpha=1e-3, random_state=0)
    chunked = TwoLayerBackpropClassifier(**params).fit(X, y)
    monkeypatch.setattr("sknn_basic._network._chunk_rows", lambda coefs: 10**9)
    whole = TwoLayerBackpropClassifier(**params).fit(X, y)
    assert_allclose(chunked.loss_curve_, whole.loss_curve_, rtol=1e-10)
    for a, b in zip(chunked.coefs_ + chunked.intercepts_, whole.coefs_ + whole.intercepts_):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_a_step_from_block_sums_is_the_full_batch_epoch(alpha):
    # The Dask path adds gradient_sums over its blocks and steps with
    # step_from_sums: the weights must be those of one in-memory full-batch
    # epoch.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    Y = np.eye(3)[rng.randint(3, size=60)]
    weights = rng.uniform(0.5, 2.0, size=60)
    coefs = [rng.normal(size=(4, 5)), rng.normal(size=(5, 3))]
    intercepts = [rng.normal(size=5), rng.normal(size=3)]
    settings = dict(loss="log_loss", output_activation="softmax", alpha=alpha, n_samples=60)
    whole = _model(coefs, intercepts, **settings)
    whole.run_epoch(X, Y, weights, None)
    blocks = _model(coefs, intercepts, **settings)
    sums = None
    for rows in (slice(0, 25), slice(25, 60)):
        _, part = blocks.gradient_sums(X[rows], Y[rows], weights[rows])
        sums = [p.copy() for p in part] if sums is None else [s + p for s, p in zip(sums, part)]
    blocks.step_from_sums(sums, weights.sum())
    for mine, theirs in zip(blocks.parameters, whole.parameters):
        assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
