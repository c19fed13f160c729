"""
==================================================
Larger than memory: the same fit on a Dask cluster
==================================================

The estimators accept Dask arrays and DataFrames.  A full-batch fit then
runs where the blocks of rows live: every epoch the weights go to the
workers, each block returns its loss and gradient sums, the sums are added
up, and the step is taken on the client.  The weights are those of the
in-memory fit, to the rounding of the additions.

This script starts its own ``LocalCluster`` of two worker processes,
generates the data on the workers (the client never holds it), fits a
sigmoid unit and a two-layer network on it, compares them with the
in-memory fit of the same rows, and predicts lazily.  Run it with
``python dask_larger_than_memory.py``; it needs ``pip install
"sknn-basic[dask]"``.
"""

import time

import dask.array as da
import numpy as np

from sknn_basic import SigmoidGDClassifier, TwoLayerBackpropClassifier


def make_data(n_rows, n_features=20, seed=0):
    """Rows generated block by block on the workers: a noisy linear boundary."""
    rng = da.random.RandomState(seed)
    X = rng.normal(size=(n_rows, n_features), chunks=(n_rows // 4 + 1, n_features))
    noise = rng.normal(scale=0.5, size=n_rows, chunks=X.chunks[0])
    y = (X[:, 0] - 2 * X[:, 1] + X[:, 2] * X[:, 3] + noise > 0).astype(np.int64)
    return X, y


def largest_relative_difference(a, b):
    pairs = zip(a.coefs_, b.coefs_) if hasattr(a, "coefs_") else [(a.coef_, b.coef_)]
    return max(float(np.max(np.abs(p - q) / np.abs(q))) for p, q in pairs)


def run(client, n_rows=400_000):
    """Fit on the cluster behind ``client``, then in memory, and compare."""
    X, y = make_data(n_rows)
    print(f"{n_rows} rows x {X.shape[1]} features in {X.numblocks[0]} blocks "
          f"({X.nbytes / 2**20:.0f} MiB), generated on the workers")
    for model in (
        SigmoidGDClassifier(batch_size=None, max_iter=30, tol=None, random_state=0),
        TwoLayerBackpropClassifier(batch_size=None, n_hidden=8, max_iter=30, tol=None,
                                   random_state=0),
    ):
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        # Lazy: nothing is computed until .compute() (or score) asks for it.
        predictions = model.predict(X)
        accuracy = float((predictions == y).mean().compute())
        print(f"{type(model).__name__}: {model.n_iter_} epochs in {seconds:.2f} s "
              f"on the cluster, training accuracy {accuracy:.4f}")

        # The same rows in memory (only to compare: this is what the cluster spares).
        in_memory = type(model)(**model.get_params()).fit(X.compute(), y.compute())
        print("  largest relative difference from the in-memory fit: "
              f"{largest_relative_difference(model, in_memory):.1e}")


if __name__ == "__main__":
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        run(client)
