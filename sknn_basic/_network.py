"""Fully connected sigmoid networks trained by (mini-batch) gradient descent.

:class:`LayeredModel` is the model the training loop drives for both
:class:`~sknn_basic.SigmoidGDClassifier` (no hidden layer) and
:class:`~sknn_basic.TwoLayerBackpropClassifier` (one hidden layer).  It owns
the reusable buffers of a batch and applies the gradient step; the gradient
itself comes from the kernels of :mod:`sknn_basic._kernels` (the ones
:mod:`sknn_basic.functional` exposes) and the step from an optimizer of
:mod:`sknn_basic._optimizers`.  Mini-batch epochs of dense rows run compiled
where the extensions were built, with the same formulas: the small-batch
epoch of a model without a hidden layer under the log loss and plain
descent in :mod:`sknn_basic._single_layer_cy`, the others (any depth, any
step rule) in :mod:`sknn_basic._layered_cy`, whose gain is the fixed cost
of NumPy's forty-odd calls per batch, and a batch's two halves on two
threads.
"""

import functools

import numpy as np
from scipy.sparse import issparse
from sklearn.utils import gen_batches

from . import _kernels as K
from ._compiled import batch_threads, load_kernel, numpy_kernels_requested
from ._optimizers import SGDOptimizer

# None where not built: the NumPy path serves.
_single_layer_cy = load_kernel("_single_layer_cy")
_layered_cy = load_kernel("_layered_cy")

__all__ = ["LayeredModel"]

#: Elements of the widest layer output per chunk when a batch's gradient is
#: summed chunk by chunk (1 MiB of float64): small enough to stay in cache.
CHUNK_ELEMENTS = 2**17
#: Bounds on the rows of a chunk: fewer rows pay more Python per row, more
#: rows gain nothing.
CHUNK_ROWS_MIN, CHUNK_ROWS_MAX = 1024, 8192
#: Batches of at most this many elements (rows times features) run in the
#: compiled single-layer epoch.  Its gain is NumPy's fixed cost per call,
#: which a larger batch spreads thin, while NumPy's vectorised exp and log
#: win on long arrays and a gathered batch that outgrows the cache slows
#: the compiled loop's two passes over it.  Measured against the NumPy path
#: (3 epochs, float64): 50 features, 2 classes: 0.38 of its time at 100
#: rows, 0.79 at 500, 0.89 at 1,000, 1.06 at 1,563; 64 features, 10
#: classes: 0.46, 0.86, 1.01, 1.14.
COMPILED_BATCH_ELEMENTS_MAX = 48_000
#: What the compiled layered epoch computes: (output activation, loss)
#: pairs, and the hidden activations of its table.
_LAYERED_OUTPUTS = {("sigmoid", "log_loss"), ("softmax", "log_loss"),
                    ("identity", "squared_error"), ("sigmoid", "squared_error")}
_LAYERED_HIDDEN = (set() if _layered_cy is None
                   else set(_layered_cy.ACTIVATIONS) - {"softmax"})


def _chunk_rows(coefs):
    widest = max(W.shape[1] for W in coefs)
    return int(min(max(CHUNK_ELEMENTS // widest, CHUNK_ROWS_MIN), CHUNK_ROWS_MAX))


def single_layer_kernel_available():
    """Whether the compiled single-layer epoch was built and is not disabled.

    ``SKNN_BASIC_NUMPY_KERNEL=1`` turns it off, as it does the perceptron's.
    """
    return _single_layer_cy is not None and not numpy_kernels_requested()


def layered_kernel_available():
    """Whether the compiled epoch of networks with hidden layers was built and is not disabled."""
    return _layered_cy is not None and not numpy_kernels_requested()


def _compiled_rows(X, Y, sample_weight):
    """Whether a compiled epoch can read these rows: dense, C-ordered, float32 or float64.

    The targets may be the classifiers' int8 indicators or floats of X's
    dtype, the weights floats of X's dtype.
    """
    dtype = X.dtype
    return (
        type(X) is np.ndarray
        and dtype in (np.float32, np.float64)
        and X.flags.c_contiguous
        and Y.dtype in (np.int8, dtype) and Y.flags.c_contiguous
        and (sample_weight is None
             or (sample_weight.dtype == dtype and sample_weight.flags.c_contiguous))
    )


def _gradient_buffers(coefs, intercepts, dtype):
    coef_grads = [np.empty(W.shape, dtype=dtype) for W in coefs]
    intercept_grads = (
        [np.empty(b.shape, dtype=dtype) for b in intercepts] if intercepts is not None else None
    )
    return coef_grads, intercept_grads


def gather_rows(X, rows, buffer):
    """Rows ``rows`` of ``X``, written into ``buffer`` when ``X`` is dense.

    Dense inputs are gathered into a buffer reused across batches so that an
    epoch allocates nothing as large as ``X``; sparse inputs are indexed.
    """
    if issparse(X):
        return X[rows]
    out = buffer[: len(rows)]
    X.take(rows, axis=0, out=out)
    return out


class LayeredModel:
    """A stack of layers with its gradient-descent step, for the training loop.

    It follows the protocol :class:`sknn_basic._training.Model`.

    Parameters
    ----------
    coefs : list of ndarray
        Weights ``(fan_in, fan_out)`` per layer, updated in place (they may be
        views of the estimator's attributes).
    intercepts : list of ndarray or None
        Biases per layer, updated in place; None without intercepts.
    optimizer : Optimizer
        Turns each batch's gradient into a step; owns the step size.
    loss, hidden_activation, output_activation : str
        As in :mod:`sknn_basic.functional`.
    alpha : float
        The L2 penalty.
    batch_size : int
        Rows per batch; ``n_samples`` for full-batch gradient descent.
    n_samples : int
        Rows of the training data, to size the buffers once.
    dtype : numpy dtype
        Floating dtype of the data and the weights.
    """

    #: Beyond this magnitude of any weight the run counts as diverged: a
    #: network on standardised features never needs it, and a few more
    #: overshooting steps would overflow its outputs.
    weight_limit = 1e10

    converged = False

    @property
    def step_size(self):
        """The step size and its schedule (the step rule's; None under L-BFGS)."""
        return None if self.optimizer is None else self.optimizer.step_size

    def __init__(
        self,
        coefs,
        intercepts,
        optimizer,
        *,
        loss,
        hidden_activation,
        output_activation,
        alpha,
        batch_size,
        n_samples,
        dtype,
        weight_limit=1e10,
    ):
        self.coefs = coefs
        self.intercepts = intercepts
        self.optimizer = optimizer
        self.loss = loss
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.alpha = alpha
        self.weight_limit = weight_limit
        self.batch_size = min(batch_size, n_samples)
        self.parameters = list(coefs) + (list(intercepts) if intercepts is not None else [])
        # A full batch is the same whatever the order: skip the shuffle so
        # the batch is X itself, never a gathered copy.
        self.uses_order = self.batch_size < n_samples
        self.chunk_rows = _chunk_rows(coefs)
        rows = min(self.batch_size, self.chunk_rows)
        self._deltas = [np.empty((rows, W.shape[1]), dtype=dtype) for W in coefs]
        self._hidden = [np.empty((rows, W.shape[1]), dtype=dtype) for W in coefs[:-1]]
        self._coef_grads, self._intercept_grads = _gradient_buffers(coefs, intercepts, dtype)
        self._grads = self._coef_grads + (self._intercept_grads or [])
        if self.batch_size > self.chunk_rows:
            # Each chunk's gradient lands here before it is added to the total.
            self._chunk_coef_grads, self._chunk_intercept_grads = _gradient_buffers(
                coefs, intercepts, dtype
            )
            self._chunk_grads = self._chunk_coef_grads + (self._chunk_intercept_grads or [])
        self._x_buffer = None
        self._z_buffer = None
        self._y_buffer = None
        self._w_buffer = None
        #: Norms of the full batch's gradient (with the L2 term) at the first
        #: and the latest step of this model, or None (mini-batches): a fit
        #: that stops on ``tol`` with the latest far from zero stalled on a
        #: plateau (see _network_estimator._PlateauAdvice).
        self.gradient_norms = None

    def _deltas_for(self, m):
        if m == self._deltas[0].shape[0]:
            return self._deltas
        return [d[:m] for d in self._deltas]

    def _gradient(self, X, Y, sample_weight, total, alpha, coef_grads, intercept_grads):
        """Gradient of the weighted loss of rows ``X`` divided by ``total``; returns the loss sum."""
        activations = K.forward(
            X, self.coefs, self.intercepts, self.hidden_activation, self.output_activation,
            hidden_buffers=self._hidden,
        )
        return K.backward(
            X, Y, activations, self.coefs, self.loss, self.hidden_activation,
            self.output_activation, sample_weight, total, alpha,
            coef_grads, intercept_grads, self._deltas_for(X.shape[0]),
        )

    def _chunked_gradient(self, X, Y, sample_weight, total, alpha=None):
        """The gradient of a large batch, summed over chunks of ``chunk_rows`` rows.

        The sum is the same gradient (up to the order of the additions), but
        every intermediate array of a chunk stays in the CPU's cache, where
        the whole batch's would not: the element-wise passes and the products
        then run at cache speed rather than memory speed.  ``alpha`` is the
        L2 term added at the end (None: the model's ``alpha``).
        """
        loss_sum = 0.0
        for chunk in gen_batches(X.shape[0], self.chunk_rows):
            sw = None if sample_weight is None else sample_weight[chunk]
            # The first chunk writes the total; later ones are added to it.
            first = chunk.start == 0
            loss_sum += self._gradient(
                X[chunk], Y[chunk], sw, total, 0.0,
                self._coef_grads if first else self._chunk_coef_grads,
                self._intercept_grads if first else self._chunk_intercept_grads,
            )
            if not first:
                for grad, part in zip(self._grads, self._chunk_grads):
                    grad += part
        if alpha is None:
            alpha = self.alpha
        if alpha:
            for grad, W in zip(self._coef_grads, self.coefs):
                grad += alpha * W
        return loss_sum

    def _batch_gradient(self, X, Y, sample_weight, total, alpha):
        """The batch's gradient (divided by ``total``, plus ``alpha`` W) into ``_grads``; its loss sum."""
        if X.shape[0] <= self.chunk_rows:
            return self._gradient(
                X, Y, sample_weight, total, alpha, self._coef_grads, self._intercept_grads
            )
        return self._chunked_gradient(X, Y, sample_weight, total, alpha)

    def _step(self, X, Y, sample_weight):
        """Forward, backward and update on one batch; returns its loss sum."""
        total = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        if total <= 0:
            return 0.0
        loss_sum = self._batch_gradient(X, Y, sample_weight, total, self.alpha)
        if not self.uses_order:
            self._note_gradient_norm(self._grads)
        self.optimizer.step(self.parameters, self._grads)
        return loss_sum

    def _note_gradient_norm(self, grads):
        """Keep the norm of a full batch's gradient (the step overwrites the gradient)."""
        norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
        first = norm if self.gradient_norms is None else self.gradient_norms[0]
        self.gradient_norms = (first, norm)

    def gradient_sums(self, X, Y, sample_weight):
        """One block's share of a full-batch step: its loss sum and gradient sums.

        The gradient of the weighted loss of rows ``X`` summed over the rows
        (not divided by any total, without the L2 term), as the list
        ``coef_grads + intercept_grads``.  Adding these over the blocks of a
        data set, dividing by the total weight and adding ``alpha * W`` gives
        the full batch's gradient: this is what the Dask path computes where
        each block lives.  The arrays are the model's buffers, refilled by
        the next call.
        """
        loss_sum = self._batch_gradient(X, Y, sample_weight, 1.0, 0.0)
        return loss_sum, self._grads

    def step_from_sums(self, gradient_sums, total_weight):
        """The full batch's step from :meth:`gradient_sums` added over its blocks.

        Divides the sums by the total weight, adds the L2 term and lets the
        optimizer step: what :meth:`_step` does for a batch in memory.  The
        Dask path calls it with the sums its blocks sent back.
        """
        scale = 1.0 / total_weight
        for grad in gradient_sums:
            grad *= scale
        if self.alpha:
            for grad, W in zip(gradient_sums, self.coefs):
                grad += self.alpha * W
        self._note_gradient_norm(gradient_sums)
        self.optimizer.step(self.parameters, gradient_sums)

    def _compiled_epoch_applies(self, X, Y, sample_weight):
        """Whether this epoch can run in :mod:`sknn_basic._single_layer_cy`.

        That kernel covers the case a small-batch epoch is dearest in
        NumPy: no hidden layer, the log loss of sigmoid or softmax units,
        plain gradient descent, dense C-ordered rows, several batches of at
        most :data:`COMPILED_BATCH_ELEMENTS_MAX` elements.  A full batch
        stays in NumPy, where the lessons' runs are checked to the last bit
        and a call's fixed cost is paid once per epoch.
        """
        optimizer = self.optimizer
        return (
            len(self.coefs) == 1
            and self.loss == "log_loss"
            and self.output_activation in ("sigmoid", "softmax")
            and self.batch_size < X.shape[0]
            and self.batch_size * X.shape[1] <= COMPILED_BATCH_ELEMENTS_MAX
            and type(optimizer) is SGDOptimizer
            and not optimizer.momentum
            and _compiled_rows(X, Y, sample_weight)
            # The kernel updates coef_, (fan_out, fan_in), of which the
            # network's weights are the transposed view.
            and self.coefs[0].T.flags.c_contiguous
            and single_layer_kernel_available()
        )

    def _compiled_epoch(self, X, Y, sample_weight, order):
        if self._x_buffer is None:
            self._x_buffer = np.empty((self.batch_size, X.shape[1]), dtype=X.dtype)
        if self._z_buffer is None:
            self._z_buffer = np.empty((self.batch_size, Y.shape[1]), dtype=X.dtype)
        return _single_layer_cy.log_loss_epoch(
            X, Y, sample_weight, order, self.coefs[0].T,
            None if self.intercepts is None else self.intercepts[0],
            self.optimizer.learning_rate, self.alpha, self.batch_size,
            self.output_activation == "softmax",
            self._x_buffer, self._z_buffer,
            self._coef_grads[0].reshape(self.coefs[0].T.shape),
            None if self._intercept_grads is None else self._intercept_grads[0],
        )

    def _layered_epoch_applies(self, X, Y, sample_weight):
        """Whether this epoch can run in :mod:`sknn_basic._layered_cy`.

        It covers the mini-batch epochs of any stack of layers under any
        step rule (a rule that describes itself, ``inline_rule``, stepped
        inside the loop, the others called per batch) for dense C-ordered
        rows, batches no larger than a chunk (the buffers' rows), the
        activations of its table and the losses with their usual outputs.
        A full batch stays in NumPy, as in :meth:`_compiled_epoch_applies`.
        """
        return (
            self.optimizer is not None
            and self.batch_size < X.shape[0]
            and self.batch_size <= self.chunk_rows
            and X.shape[1] > 0
            and (self.output_activation, self.loss) in _LAYERED_OUTPUTS
            and self.hidden_activation in _LAYERED_HIDDEN
            and _compiled_rows(X, Y, sample_weight)
            and all(p.dtype == X.dtype and p.flags.c_contiguous and p.flags.writeable
                    for p in self.parameters)
            and layered_kernel_available()
        )

    def _layered_epoch(self, X, Y, sample_weight, order):
        if order is not None and self._x_buffer is None:
            self._x_buffer = np.empty((self.batch_size, X.shape[1]), dtype=X.dtype)
        optimizer = self.optimizer
        rule = optimizer.inline_rule(self.parameters)
        step = None
        if rule is None:
            rule = ("callback", [], ())
            step = functools.partial(optimizer.step, self.parameters, self._grads)
        threads, blas_threads = batch_threads()
        with blas_threads:
            loss_sum, steps = _layered_cy.layered_epoch(
                X, Y, sample_weight, order, self.coefs, self.intercepts,
                self._coef_grads, self._intercept_grads, self._hidden, self._deltas,
                self._x_buffer if order is not None else None,
                self.hidden_activation, self.output_activation, self.loss == "log_loss",
                self.alpha, self.batch_size, *rule, step, threads,
            )
        if step is None:
            optimizer.count_steps(steps)
        return loss_sum

    def run_epoch(self, X, Y, sample_weight, order):
        """One pass of mini-batch gradient descent; returns the loss sum."""
        if self._compiled_epoch_applies(X, Y, sample_weight):
            return self._compiled_epoch(X, Y, sample_weight, order)
        if self._layered_epoch_applies(X, Y, sample_weight):
            return self._layered_epoch(X, Y, sample_weight, order)
        n_samples = X.shape[0]
        loss_sum = 0.0
        if order is None:
            for batch in gen_batches(n_samples, self.batch_size):
                sw = None if sample_weight is None else sample_weight[batch]
                loss_sum += self._step(X[batch], Y[batch], sw)
            return loss_sum
        if self._x_buffer is None and not hasattr(X, "tocsr"):
            self._x_buffer = np.empty((self.batch_size, X.shape[1]), dtype=X.dtype)
        if self._y_buffer is None:
            self._y_buffer = np.empty((self.batch_size, Y.shape[1]), dtype=Y.dtype)
            if sample_weight is not None:
                self._w_buffer = np.empty(self.batch_size, dtype=sample_weight.dtype)
        for batch in gen_batches(n_samples, self.batch_size):
            rows = order[batch]
            Xb = gather_rows(X, rows, self._x_buffer)
            Yb = gather_rows(Y, rows, self._y_buffer)
            swb = None if sample_weight is None else gather_rows(sample_weight, rows, self._w_buffer)
            loss_sum += self._step(Xb, Yb, swb)
        return loss_sum

    def forward(self, X):
        """Outputs of every layer for ``X`` (fresh arrays)."""
        with np.errstate(over="ignore"):
            return K.forward(
                X, self.coefs, self.intercepts, self.hidden_activation, self.output_activation
            )

    def mean_loss(self, X, Y, sample_weight):
        """Weighted mean loss of the current weights on ``(X, Y)``."""
        output = self.forward(X)[-1]
        diff = output - Y
        loss_sum = K.loss_sum(self.loss, self.output_activation, diff, Y, sample_weight)
        total = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        # Rows that all weigh nothing carry no loss (a held-out block of zeros).
        return loss_sum / total if total > 0 else 0.0

    def penalty(self):
        """The L2 term ``alpha / 2 * sum ||W||^2`` of the objective."""
        if not self.alpha:
            return 0.0
        return 0.5 * self.alpha * sum(float(np.vdot(W, W)) for W in self.coefs)
