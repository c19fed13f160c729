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
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import StrOptions

from . import _kernels as K
from . import _lbfgs
from . import _watchers as W
from ._base import BaseTrainedClassifier, BaseTrainedRegressor
from ._engines import engine_for
from ._params import Count, Number
from ._network import LayeredModel
from ._optimizers import OPTIMIZERS, make_optimizer, rule_constraints, rule_settings
from ._schedules import initial_step
from ._warnings import warn

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


#: A full-batch fit that stops on ``tol`` with its gradient still above this
#: fraction of the gradient at its start has stalled on a plateau, not
#: converged.  Measured on single-layer fits at the defaults (sgd, adam,
#: squared error; the issue's rule, W1/W2-like data, the admissions data),
#: the ratios of 0.066 and above came with training losses 0.004 to 0.37
#: above the optimum (accuracy up to 40 points below), those of 0.037 and
#: below within 0.0025 of it (accuracy within 1 point); the user guide's
#: page on SigmoidGDClassifier has the table.
PLATEAU_GRADIENT_RATIO = 0.05

#: Parameters of every network estimator, beyond the common base's.  The
#: ``solver`` options and the step rules' hyper-parameters are not written
#: here: each estimator class derives them from the rules' declarations
#: (:meth:`NetworkMixin.__init_subclass__`).
NETWORK_CONSTRAINTS = {
    "learning_rate": [Number(0, None), StrOptions({"auto"})],
    "batch_size": [StrOptions({"auto"}), Count(1, None), None],
    "alpha": [Number(0, None, closed="left")],
    "init_scale": [Number(0, None), None],
    "learning_rate_schedule": [StrOptions({"constant", "adaptive"})],
    "max_fun": [Count(1, None)],
}


class NetworkMixin:
    """The network parts every gradient-descent estimator shares, whatever its task."""

    _hidden_activation = "sigmoid"
    #: The step ``learning_rate="auto"`` means for a rule without a default
    #: of its own (plain descent); see :meth:`_auto_learning_rate`.
    _auto_step = 0.5

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            # The solvers and the rules' hyper-parameters this class takes,
            # from the rules' own declarations (sknn_basic._optimizers).
            cls._parameter_constraints = {
                **cls._parameter_constraints,
                **rule_constraints(cls._get_param_names(), extra_solvers={"lbfgs"}),
            }

    def _batch_rows(self, n_samples):
        """Rows per batch: None (and L-BFGS) is the full batch; "auto" see :func:`auto_batch_size`."""
        if self.batch_size is None or self.solver == "lbfgs":
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
        """The step size a fit starts from (``learning_rate_`` then follows the schedule).

        ``learning_rate="auto"`` is the step rule's own default where it
        declares one (Adam's), else :meth:`_auto_learning_rate`.
        """
        return initial_step(self.learning_rate, OPTIMIZERS.get(self.solver),
                            lambda: self._auto_learning_rate(n_samples))

    def _auto_learning_rate(self, n_samples):
        """The estimator's own "auto" step, for a rule without a default of its own."""
        return self._auto_step

    def _make_model(self, n_samples, dtype, restart):
        coefs, intercepts = self._layers()
        if self.solver == "lbfgs":
            # L-BFGS keeps no state between fits (a warm start continues from
            # the weights alone), and a later stochastic fit starts its
            # velocities or moments afresh.
            optimizer = self._optimizer = None
        else:
            optimizer = self._step_rule(coefs + (intercepts or []), n_samples, restart)
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

    def _step_rule(self, parameters, n_samples, restart):
        """The solver's step rule, kept across warm starts and ``partial_fit`` calls."""
        settings = rule_settings(self.solver, self)
        optimizer = self._optimizer
        if optimizer is None or not isinstance(optimizer, OPTIMIZERS[self.solver]):
            optimizer = self._optimizer = make_optimizer(
                self.solver, parameters, self._initial_learning_rate(n_samples),
                self.learning_rate_schedule, **settings,
            )
        else:
            # Velocities and moments carry over a warm-started fit.
            optimizer.configure(**settings)
            if restart:
                optimizer.start(self._initial_learning_rate(n_samples),
                                self.learning_rate_schedule)
            else:
                optimizer.start_chunk()
        return optimizer

    def _watchers(self, rows, model, validation, incremental):
        return [*super()._watchers(rows, model, validation, incremental), _PlateauAdvice(self)]

    @staticmethod
    def _plateau_ratio(model):
        """The full batch's last gradient norm over its first, or None (mini-batches)."""
        # A Dask run wraps the model that takes the steps.
        norms = getattr(getattr(model, "inner", model), "gradient_norms", None)
        if norms is None or not norms[0] > 0:
            return None
        return norms[1] / norms[0]

    def _minimize(self, model, X, Y, sample_weight, record, *, n_samples, total_weight,
                  on_epoch):
        """``solver="lbfgs"``: fit the whole batch by L-BFGS (see :mod:`sknn_basic._lbfgs`)."""
        # No step size: one left by an earlier fit would describe nothing here.
        vars(self).pop("learning_rate_", None)
        settings = _lbfgs.LbfgsSettings(max_iter=self.max_iter, max_fun=self.max_fun,
                                        tol=self.tol, verbose=self.verbose,
                                        name=type(self).__name__,
                                        advice=self._divergence_advice())
        return _lbfgs.minimize(
            model, _lbfgs.model_sums(model, X, Y, sample_weight), settings=settings,
            n_samples=n_samples, total_weight=total_weight, record=record, on_epoch=on_epoch,
        )

    def _weight_limit(self):
        """The weight magnitude that counts as divergence (see ``LayeredModel``)."""
        return 1e10

    # The best constant output of each unit is its weighted mean target (the
    # class priors of 0/1 targets), under the squared error and the log loss
    # alike; the L2 term of zero weights is nil.
    _compares_with_constant = True

    def _constant_loss_sum(self, Y, sample_weight, means):
        weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
        diff = np.broadcast_to(means, Y.shape) - Y
        return K.loss_sum(self._loss(), self._output_activation(), diff, Y, weights)

    def _hidden_activation_name(self):
        return self._hidden_activation

    def _loss(self):
        return self.loss


class _PlateauAdvice(W.Watcher):
    """Warns where a full-batch fit stopped on ``tol`` with its gradient far from zero.

    Plain descent (or Adam) crawls along a plateau with steps too small to
    pass ``tol`` while the optimum is still far: the stop looks like
    convergence and is not (see :data:`PLATEAU_GRADIENT_RATIO`).
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def finish(self, run):
        est, record = self.estimator, run.record
        if run.advised or record.stop_reason != "tol" or run.incremental or est.early_stopping:
            return
        ratio = est._plateau_ratio(run.model)
        if ratio is None or not ratio > PLATEAU_GRADIENT_RATIO:
            return
        warn(
            f"{type(est).__name__} stopped after {record.n_iter} full-batch epochs because "
            f"the training loss improved by less than tol={est.tol} for "
            f"n_iter_no_change={est.n_iter_no_change} epochs, but the gradient is still "
            f"{ratio:.2g} of its size at the start: the steps crawl along a plateau far "
            "from the optimum. Use solver=\"lbfgs\", which fits the whole batch to the "
            "optimum in far fewer passes, or lower tol and raise max_iter (tol=None runs "
            "exactly max_iter epochs).",
            ConvergenceWarning,
        )


def _stochastic_solver(estimator):
    """Whether ``partial_fit`` applies: False (an AttributeError) for ``solver="lbfgs"``."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for the stochastic solvers 'sgd' and 'adam': "
            "solver='lbfgs' minimises the loss of the whole training set at once. Call "
            "fit, or set solver='sgd' or 'adam' to train on a stream of chunks."
        )
    return True


class BaseNetworkClassifier(NetworkMixin, BaseTrainedClassifier):
    """Base of the sigmoid- or softmax-output network classifiers."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)

    # The documentation is the function's, which available_if hands on.
    partial_fit.__doc__ = BaseTrainedClassifier.partial_fit.__doc__
    partial_fit = available_if(_stochastic_solver)(partial_fit)

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
        return engine_for(X).predict(self, "predict_proba", X)

    def _predict_proba_in_memory(self, X):
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

    # Identity outputs on standardised targets take shorter plain steps.
    _auto_step = 0.01

    def partial_fit(self, X, y, sample_weight=None):
        return super().partial_fit(X, y, sample_weight=sample_weight)

    # The documentation is the function's, which available_if hands on.
    partial_fit.__doc__ = BaseTrainedRegressor.partial_fit.__doc__
    partial_fit = available_if(_stochastic_solver)(partial_fit)

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
