"""The PyTorch peer of the networks' rows: the same network in PyTorch's idiomatic loop.

Only imported when ``torch`` is importable.  The network matches
``TwoLayerBackpropClassifier(n_hidden=H, loss="log_loss", momentum=0.0,
learning_rate_schedule="constant", alpha=0.0)`` on two classes: one hidden
layer of H sigmoid units, one output unit, the log loss (sigmoid and binary
cross-entropy fused, mean over the batch), plain SGD, the same learning rate,
batch size, epochs, dtype and threads.  Its training loop is the idiom of
PyTorch's tutorials: a fresh permutation each epoch, then per batch
``zero_grad``, forward, ``loss.backward()``, ``optimizer.step()``.
"""

import numpy as np
import torch

__all__ = ["TorchNetwork"]


class TorchNetwork:
    """A two-layer sigmoid network trained by PyTorch, with ``fit`` and ``score``."""

    LOOP_TEXT = ("PyTorch: nn.Sequential(Linear, Sigmoid, Linear), BCEWithLogitsLoss, "
                 "optim.SGD; per epoch torch.randperm, then per batch zero_grad, forward, "
                 "backward, step (the data as tensors made once, outside the timing)")

    def __init__(self, *, n_hidden, learning_rate, batch_size, epochs, dtype, threads,
                 random_state=0):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.dtype = getattr(torch, np.dtype(dtype).name)
        self.threads = threads
        self.random_state = random_state

    def fit(self, X, y):
        torch.set_num_threads(self.threads)
        generator = torch.Generator().manual_seed(self.random_state)
        torch.manual_seed(self.random_state)
        inputs = torch.from_numpy(np.ascontiguousarray(X)).to(self.dtype)
        targets = torch.from_numpy(np.asarray(y).reshape(-1, 1)).to(self.dtype)
        n = inputs.shape[0]
        batch = self.batch_size or n
        self.model_ = torch.nn.Sequential(
            torch.nn.Linear(inputs.shape[1], self.n_hidden), torch.nn.Sigmoid(),
            torch.nn.Linear(self.n_hidden, 1),
        ).to(self.dtype)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        optimizer = torch.optim.SGD(self.model_.parameters(), lr=self.learning_rate)
        self.model_.train()
        for _ in range(self.epochs):
            order = torch.randperm(n, generator=generator) if batch < n else None
            for start in range(0, n, batch):
                if order is None:
                    xb, yb = inputs, targets
                else:
                    rows = order[start:start + batch]
                    xb, yb = inputs[rows], targets[rows]
                optimizer.zero_grad()
                loss = loss_fn(self.model_(xb), yb)
                loss.backward()
                optimizer.step()
        return self

    def score(self, X, y):
        with torch.no_grad():
            inputs = torch.from_numpy(np.ascontiguousarray(X)).to(self.dtype)
            predicted = (self.model_(inputs)[:, 0] >= 0).numpy().astype(int)
        return float(np.mean(predicted == np.asarray(y)))
