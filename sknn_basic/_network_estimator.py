"""What the gradient-descent estimators share beyond the common base.

:class:`SigmoidGDClassifier`, :class:`TwoLayerBackpropClassifier`,
:class:`TwoLayerBackpropRegressor` and the deeper :class:`BackpropClassifier`
and :class:`BackpropRegressor` are all stacks of layers trained by
:class:`~sknn_basic._network.LayeredModel`.  :class:`NetworkMixin` holds what
they share whatever the task (parameter constraints, batch-size rule, initial
draws, the optimizer and the model); :class:`BaseNetworkClassifier` adds the
sigmoid or softmax outputs and their probabilities,
:class:`BaseNetworkRegressor` the identity outputs of regression.
"""

import math
import numpy as np
from sklearn.utils._param_validation import StrOptions

from . import _kernels as K
from ._base import (
    BaseTrainedClassifier,
    BaseTrainedRegressor,
    Count,
    Number,
    _dask,
    is_dask_collection,
)
from ._network import LayeredModel
from ._optimizers import OPTIMIZERS, make_optimizer

__all__ = ["NetworkMixin", "BaseNetworkClassifier", "BaseNetworkRegressor", "auto_batch_size"]


def auto_batch_size(n_samples):
    """The batch size that ``batch_size="auto"`` means.

    Batches of about ``max(200, n_samples // 64)`` rows, made equal: the
    number of batches is ``ceil(n / max(200, n // 64))`` and each holds
    ``ceil(n / that)`` rows.  Small data sets (up to 200 samples) are
    trained full-batch, where sample weights are exactly equivalent to
    repeated rows; a set of 225 rows gets two batches of 113 rather than one
    of 200 and a noisy one of 25; large sets get about 64 batches per epoch,
    so that the fixed cost of an update stays small beside its arithmetic.
    """
    n_batches = math.ceil(n_samples / max(200, n_samples // 64))
    return math.ceil(n_samples / n_batches)


#: Parameters of every network estimator, beyond the common base's.
NETWORK_CONSTRAINTS = {
    "batch_size": [StrOptions({"auto"}), Count(1, None), None],
    "alpha": [Number(0, None, closed="left")],
    "init_scale": [Number(0, None), None],
    "learning_rate_schedule": [StrOptions({"constant", "adaptive"})],
    "solver": [StrOptions(set(OPTIMIZERS))],
    "beta_1": [Number(0, 1, closed="left")],
    "beta_2": [Number(0, 1, closed="left")],
    "epsilon": [Number(0, None)],
}


class NetworkMixin:
    """The network parts every gradient-descent estimator shares, whatever its task."""

    _hidden_activation = "sigmoid"

    def _batch_rows(self, n_samples):
        """Rows per batch: None is the full batch; "auto" see :func:`auto_batch_size`."""
        if self.batch_size is None:
            return n_samples
        if self.batch_size == "auto":
            return auto_batch_size(n_samples)
        return min(self.batch_size, n_samples)


    def _draw_weights(self, random_state, fan_in, fan_out, dtype):
        scale = 1.0 / np.sqrt(fan_in) if self.init_scale is None else self.init_scale
        # Drawn with shape (fan_in, fan_out) so that a single output unit
        # draws exactly the lessons' vector normal(0, scale, fan_in).
        return random_state.normal(0.0, scale, size=(fan_in, fan_out)).astype(dtype)

    def _layers(self):
        """Weights ``(fan_in, fan_out)`` per layer and the biases (or None)."""
        raise NotImplementedError

    def _initial_learning_rate(self, n_samples):
        """The step size a fit starts from (``learning_rate_`` then follows the schedule)."""
        return float(self.learning_rate)

    def _optimizer_settings(self):
        """The chosen solver's hyper-parameters, by the optimizer's names."""
        if self.solver == "adam":
            return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        return {"momentum": getattr(self, "momentum", 0.0),
                "nesterov": getattr(self, "nesterovs_momentum", False)}

    def _make_model(self, n_samples, dtype, restart):
        coefs, intercepts = self._layers()
        settings = self._optimizer_settings()
        optimizer = self._optimizer
        if optimizer is None or not isinstance(optimizer, OPTIMIZERS[self.solver]):
            optimizer = self._optimizer = make_optimizer(
                self.solver, coefs + (intercepts or []),
                self._initial_learning_rate(n_samples), self.learning_rate_schedule,
                **settings,
            )
        else:
            # Velocities and moments carry over a warm-started fit.
            optimizer.configure(**settings)
            if restart:
                optimizer.start(self._initial_learning_rate(n_samples),
                                self.learning_rate_schedule)
            else:
                optimizer.start_chunk()
        return LayeredModel(
            coefs,
            intercepts,
            optimizer,
            loss=self._loss(),
            hidden_activation=self._hidden_activation_name(),
            output_activation=self._output_activation(),
            alpha=self.alpha,
            batch_size=self._batch_rows(n_samples),
            n_samples=n_samples,
            dtype=dtype,
            weight_limit=self._weight_limit(),
        )

    def _weight_limit(self):
        """The weight magnitude that counts as divergence (see ``LayeredModel``)."""
        return 1e10

    def _constant_loss(self, Y, sample_weight):
        # The best constant output of each unit is its weighted mean target
        # (the class priors of 0/1 targets), under the squared error and the
        # log loss alike; the L2 term of zero weights is nil.
        weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
        means = np.average(Y, axis=0, weights=weights)
        diff = np.broadcast_to(means, Y.shape) - Y
        total = Y.shape[0] if weights is None else float(weights.sum())
        return K.loss_sum(self._loss(), self._output_activation(), diff, Y, weights) / total

    def _hidden_activation_name(self):
        return self._hidden_activation

    def _loss(self):
        return self.loss


class BaseNetworkClassifier(NetworkMixin, BaseTrainedClassifier):
    """Base of the sigmoid- or softmax-output network classifiers."""

    _parameter_constraints: dict = {
        **BaseTrainedClassifier._parameter_constraints,
        **NETWORK_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "log_loss"})],
    }

    def _output_activation(self, n_outputs=None):
        """The output units' activation, for ``n_outputs`` units (default: the fitted ones).

        A softmax over several classes for the log loss; sigmoid units
        otherwise, as in the lessons.
        """
        if n_outputs is None:
            n_outputs = self._n_outputs()
        if self.loss == "log_loss" and n_outputs > 1 and self._softmax_for_multiclass:
            return "softmax"
        return "sigmoid"

    _softmax_for_multiclass = True

    def _predict_validated(self, X):
        # The class of the largest probability, as predict_proba rounds it:
        # where saturated outputs tie there, predict follows the tie-break of
        # argmax over predict_proba rather than the unrounded scores.
        outputs = self._output_values(X)
        if outputs.shape[1] == 1:
            positive = outputs[:, 0] > 1 - outputs[:, 0]
            return self.classes_.take(positive.view(np.int8))
        if self._output_activation() == "sigmoid":
            outputs = self._normalised_outputs(outputs)
        return self.classes_[np.argmax(outputs, axis=1)]

    def _output_values(self, X):
        """Outputs of the output units (sigmoid or softmax) for validated X."""
        scores = self._scores(X)
        with np.errstate(over="ignore"):
            return K.ACTIVATIONS[self._output_activation()](scores, scores)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1, columns in the order of ``classes_``.  With two
            classes the output unit gives ``P(classes_[1])``; with several,
            the softmax outputs (log loss) or the sigmoid outputs normalised
            to sum to 1 (squared error).
        """
        if is_dask_collection(X):
            return _dask().predict(self, "predict_proba", X)
        outputs = self._output_values(self._validate_X(X))
        if outputs.shape[1] == 1:
            return np.hstack([1 - outputs, outputs])
        if self._output_activation() == "sigmoid":
            outputs = self._normalised_outputs(outputs)
        return np.ascontiguousarray(outputs)

    @staticmethod
    def _normalised_outputs(outputs):
        """Sigmoid outputs of several units scaled to sum to 1 per row (in place)."""
        totals = K.row_sums(outputs)
        # All units silent (every sigmoid underflowed): fall back to uniform.
        empty = totals[:, 0] <= 0
        outputs[empty] = 1.0
        totals[empty] = outputs.shape[1]
        outputs /= totals
        return outputs

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class BaseNetworkRegressor(NetworkMixin, BaseTrainedRegressor):
    """Base of the network regressors: identity outputs and the squared error."""

    _parameter_constraints: dict = {
        **BaseTrainedRegressor._parameter_constraints,
        **NETWORK_CONSTRAINTS,
    }

    def _output_activation(self, n_outputs=None):
        return "identity"

    def _loss(self):
        return "squared_error"

    def _weight_limit(self):
        # Output weights scale with the targets' units.
        return 1e10 * max(1.0, self._target_scale)
