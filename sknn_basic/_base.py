"""The estimators' base classes: hold the parameters, validate, and delegate.

:class:`BaseTrained` holds what every trained estimator shares: its
parameters' constraints, the validation of its data, the hooks the fit asks
(``_initialize``, ``_make_model``, ``_publish``, the advice after training),
prediction's checks, and pickling to plain state.  :class:`BaseTrainedClassifier`
adds the labels, their encoding and class predictions;
:class:`BaseTrainedRegressor` real-valued targets.  A concrete estimator
only says how to initialise its arrays, which model trains them, and how to
turn them into decision values.

``fit`` and ``partial_fit`` are :func:`sknn_basic._fit.fit`, the one path
of every call, which is a transaction (see there).  Every public method that
takes rows hands them to the engine :func:`sknn_basic._engines.engine_for`
chooses for them once: in memory, or on Dask (imported only then).
"""

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._doc_link import DocumentationLink
from ._engines import engine_for
from ._fit import call_back, fit
from . import _watchers as W
from ._inputs import FLOAT_DTYPES, native
from ._optimizers import optimizer_from_state, optimizer_to_state
from ._params import TRAINING_CONSTRAINTS
from ._replay import memory_from_state, memory_to_state
from ._training import record_from_state, record_to_state
from ._weights import encode_labels

__all__ = ["BaseTrained", "BaseTrainedClassifier", "BaseTrainedRegressor"]

#: Marks a private training object that ``__getstate__`` turned into a dict.
_STATE_TAG = "__sknn_basic_state__"


class BaseTrained(DocumentationLink, BaseEstimator):
    """Base of the package's estimators: one fit path over the shared loop.

    Subclasses define ``__init__`` with their parameters and implement
    ``_initialize(n_features, n_outputs, random_state, dtype)``,
    ``_make_model(n_samples, dtype, restart)`` and ``_decision_values(X)``,
    besides what :class:`BaseTrainedClassifier` or
    :class:`BaseTrainedRegressor` ask.
    """

    _parameter_constraints: dict = dict(TRAINING_CONSTRAINTS)

    #: The private training objects ``__getstate__`` keeps as plain dicts:
    #: attribute name -> (to_state, from_state).  A subclass with an object
    #: of its own adds its pair.
    _state_converters = {
        "_training": (record_to_state, record_from_state),
        "_optimizer": (optimizer_to_state, optimizer_from_state),
        "_replay": (memory_to_state, memory_from_state),
    }

    # ------------------------------------------------------------------ fit
    # The steps are sknn_basic._fit's; these are the estimator's answers.

    def _validate_training_data(self, X, y, reset):
        dtype = FLOAT_DTYPES if reset else self._dtype
        return validate_data(
            self, native(X), y, accept_sparse="csr", dtype=dtype, order="C", reset=reset,
            **self._target_validation,
        )

    def _lbfgs(self):
        """Whether this fit runs L-BFGS on the whole batch rather than the epoch loop."""
        return getattr(self, "solver", None) == "lbfgs"

    def _holds_out(self):
        """Whether the fit holds rows out to stop early (the epoch loop's solvers only, as MLP)."""
        return self.early_stopping and not self._lbfgs()

    def _divergence_advice(self):
        """What to do about a diverged run, where the data name the cause; None otherwise."""
        return None

    #: Whether a fit's final loss is compared with a constant prediction's
    #: (not the perceptron's, whose loss counts the mistakes made along an
    #: epoch's updates).
    _compares_with_constant = False

    def _constant_loss_sum(self, Y, sample_weight, means):
        """The loss summed over rows of predicting ``means`` (the weighted mean targets).

        Summed, not averaged, so that blocks of rows add up.
        """
        raise NotImplementedError

    def _publish(self, model):
        """Set the public weights from the model's (where they are not the same arrays)."""

    def _watchers(self, rows, model, validation, incremental):
        """What watches this estimator's training, in the order it acts (see ``_watchers``).

        The guard first, so that nothing else sees a diverged epoch; the
        user's callback before the stopping rules, so that it sees every
        epoch; the advice last.
        """
        guard = W.DivergenceGuard(self._divergence_advice())
        watchers = [guard, W.Schedule()]
        if self.verbose:
            watchers.append(W.ProgressLog(self.verbose))
        if self.callback is not None:
            watchers.append(W.Callback(call_back(self, model), guard))
        watchers.append(W.Convergence())
        if validation is None:
            watchers.append(W.LossPlateau(self.tol, self.n_iter_no_change))
        else:
            watchers.append(W.EarlyStopping(validation, rows.validation_score(model),
                                             self.tol, self.n_iter_no_change))
        if self._compares_with_constant:
            watchers.append(W.WorseThanConstant(self, rows))
        watchers.append(self._run_advice())
        return watchers

    def _run_advice(self):
        """The advice at the end of a run that did not converge."""
        return W.RunAdvice(self)

    # -------------------------------------------------------------- predict

    def _validate_X(self, X):
        """Validate X for prediction; a dense X's finiteness is checked later.

        Dense input is checked for NaN and infinity by
        :func:`sknn_basic._kernels.input_product`, in the same pass over X as the first product
        of ``_decision_values``, which every prediction goes through.
        """
        check_is_fitted(self)
        return validate_data(
            self, native(X), accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False,
            ensure_all_finite=issparse(X),
        )

    def _scores(self, X):
        """The decision values of validated X, or a clear error where they overflow.

        Finite inputs far larger than the training data (or a float32 model
        on inputs near float32's range) can overflow the products; no
        prediction is then better than an infinite or NaN one.
        """
        # Overflow is checked below, once, with a message that says what to do.
        with np.errstate(over="ignore", invalid="ignore"):
            scores = self._decision_values(X)
        if not np.isfinite(scores).all():
            raise ValueError(
                f"{type(self).__name__}'s decision values overflowed the {scores.dtype} "
                "range on this X (its values are too large for the fitted weights). "
                "Rescale X as the training data were scaled (for example with the "
                "StandardScaler fitted on them), or pass float64 data."
            )
        return scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ---------------------------------------------------------- pickling

    def __getstate__(self):
        """The fitted state in plain types: arrays, numbers, strings, lists, dicts.

        The private training objects (record, optimizer, replay memory, the
        perceptron's rule) become dicts tagged with their kind, so that
        skops trusts a saved model without naming our private classes.
        """
        # object.__getstate__ gives the instance's own __dict__: copy it.
        state = dict(super().__getstate__())
        converters = self._state_converters
        for name, value in state.items():
            if name in converters and value is not None and not isinstance(value, dict):
                state[name] = {_STATE_TAG: name, "state": converters[name][0](value)}
        if "_dtype" in state:
            state["_dtype"] = np.dtype(state["_dtype"]).name
        return state

    def __setstate__(self, state):
        # Pickles made before these tags hold the objects themselves: they
        # pass through unchanged.
        state = dict(state)
        converters = self._state_converters
        for name, value in state.items():
            if name in converters and isinstance(value, dict) and value.get(_STATE_TAG) == name:
                state[name] = converters[name][1](value["state"])
        if "_dtype" in state:
            state["_dtype"] = np.dtype(state["_dtype"])
        super().__setstate__(state)


class BaseTrainedClassifier(ClassifierMixin, BaseTrained):
    """Base of the package's classifiers: labels, class weights, class predictions.

    Binary problems are learnt by one output unit, as in the lessons; more
    classes by one unit per class.
    """

    _parameter_constraints: dict = {
        **BaseTrained._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    _target_validation = {}

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _targets(self, y, classes, first_call, incremental):
        check_classification_targets(y)
        y_index = self._set_classes(y, classes, first_call, incremental)
        return self._encode_targets(y_index), y_index

    def _score_targets(self, Y):
        """The labels of encoded targets (the validation score compares labels)."""
        index = Y[:, 0] if Y.shape[1] == 1 else np.argmax(Y, axis=1)
        return self.classes_[index]

    def _set_classes(self, y, classes, first_call, incremental):
        """Set ``classes_`` on a first call, or check y against it; return y's indices."""
        if first_call:
            if classes is None:
                labels, y_index = encode_labels(y)
                if len(labels) < 2:
                    raise ValueError(
                        f"{type(self).__name__} can't train when only one class is "
                        f"present (found only {labels.tolist()!r}); the target needs at "
                        "least two classes."
                    )
                self.classes_ = labels
                return y_index
            labels = unique_labels(classes)
            if len(labels) < 2:
                raise ValueError(
                    f"classes must hold at least two classes, got {labels.tolist()!r}."
                )
            self.classes_ = labels
        elif not incremental:
            # A warm-started fit goes on with the same output units: it needs
            # the same classes (MLPClassifier asks the same).
            labels = unique_labels(y)
            if not np.array_equal(labels, self.classes_):
                raise ValueError(
                    f"warm_start=True needs y to hold the same classes as the previous "
                    f"fit: it had {self.classes_.tolist()!r}, y has {labels.tolist()!r}. "
                    "Set warm_start=False to start anew with these classes."
                )
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"classes={unique_labels(classes).tolist()!r} differs from the classes of "
                f"the first call, {self.classes_.tolist()!r}; call fit to start anew."
            )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels {unseen.tolist()!r} that are not among the classes "
                f"this model learns, {self.classes_.tolist()!r}: partial_fit keeps the "
                "classes of the first call (its `classes=`, or the labels of fit). Call "
                "fit on data with every class to start anew."
            )
        return np.searchsorted(self.classes_, y)

    def _encode_targets(self, y_index):
        """0/1 targets of the output units: one column for two classes, one-hot otherwise.

        Stored as int8: every computation that meets them promotes them
        exactly to the floating dtype, at an eighth of the memory.
        """
        n_outputs = self._n_outputs()
        Y = np.zeros((len(y_index), n_outputs), dtype=np.int8)
        if n_outputs == 1:
            Y[:, 0] = y_index == 1
        else:
            Y[np.arange(len(y_index)), y_index] = 1
        return Y

    def _validation_score(self, X, y, sample_weight):
        correct = self._predict_validated(X) == y
        return float(np.average(correct, weights=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array or DataFrame} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels; two or more classes of any label type.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (finite, >= 0, with a positive total),
            multiplied by the class weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return fit(self, X, y, sample_weight, None, False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem; required on the first call, since a
            batch need not hold them all, and optional afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, multiplied by the class weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: a batch "
                "need not hold every class. Pass classes=np.unique(y_all)."
            )
        return fit(self, X, y, sample_weight, classes, True)

    def decision_function(self, X):
        """Decision values: the pre-activation of the output units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive values favour ``classes_[1]``; for more,
            one column per class.
        """
        return engine_for(X).predict(self, "decision_function", X)

    def _decision_function_in_memory(self, X):
        scores = self._scores(self._validate_X(X))
        # Contiguous for the caller, whatever the layout of the product.
        return np.ascontiguousarray(scores[:, 0] if scores.shape[1] == 1 else scores)

    _positive_at_zero = False

    def _predict_validated(self, X):
        scores = self._scores(X)
        if scores.shape[1] == 1:
            positive = scores[:, 0] >= 0 if self._positive_at_zero else scores[:, 0] > 0
            # A bool array viewed as int8 indexes without a converted copy.
            return self.classes_.take(positive.view(np.int8))
        return self.classes_[np.argmax(scores, axis=1)]

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            The class of the largest decision value.
        """
        return engine_for(X).predict(self, "predict", X)

    def _predict_in_memory(self, X):
        return self._predict_validated(self._validate_X(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        float
            The (weighted) fraction of correctly predicted samples.
        """
        return engine_for(X).score(self, X, y, sample_weight)

    def _score_in_memory(self, X, y, sample_weight):
        return ClassifierMixin.score(self, X, y, sample_weight)


class BaseTrainedRegressor(RegressorMixin, BaseTrained):
    """Base of the package's regressors: real-valued targets, one output unit each."""

    _target_validation = {"y_numeric": True, "multi_output": True}

    def _targets(self, y, classes, first_call, incremental):
        Y = np.asarray(y, dtype=self._dtype)
        if first_call:
            self._y_ndim = Y.ndim
        Y = Y.reshape(Y.shape[0], -1)
        if not first_call and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} targets, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}. Call fit to start anew with these targets."
            )
        self.n_outputs_ = Y.shape[1]
        self._target_scale = float(np.max(np.abs(Y), initial=0.0))
        return Y, None

    def _score_targets(self, Y):
        return Y

    def _divergence_advice(self):
        scale = self._target_scale
        if scale > W.LARGE_SCALE:
            return (
                f"The targets are on a large scale (largest |y| = {scale:.3g}), which "
                "the output weights and the steps must match: standardise y (for example "
                "with TransformedTargetRegressor and a StandardScaler), then lower "
                "learning_rate if it still diverges."
            )
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validation_score(self, X, Y, sample_weight):
        return float(r2_score(Y, self._scores(X), sample_weight=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (finite, >= 0, with a positive total).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return fit(self, X, y, sample_weight, None, False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return fit(self, X, y, sample_weight, None, True)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            The network's outputs, one column per target (1-D for a 1-D y).
        """
        return engine_for(X).predict(self, "predict", X)

    def _predict_in_memory(self, X):
        outputs = np.ascontiguousarray(self._scores(self._validate_X(X)))
        return outputs[:, 0] if self._y_ndim == 1 else outputs

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of the prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        float
            R^2 of ``predict(X)`` against ``y``.
        """
        return engine_for(X).score(self, X, y, sample_weight)

    def _score_in_memory(self, X, y, sample_weight):
        return RegressorMixin.score(self, X, y, sample_weight)
