"""What the three estimators share: validation, labels, weights and the fit protocol.

:class:`BaseTrainedClassifier` turns ``fit`` and ``partial_fit`` into one
path: validate the data, encode the labels, combine sample and class weights,
draw the initial weights (first, from ``check_random_state(random_state)``),
hold out a validation split when early stopping, and hand a model to the
training loop of :mod:`sknn_basic._training`.  A concrete estimator only says
how to initialise its arrays, which model trains them, and how to turn them
into decision values.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from scipy.sparse import issparse
from sklearn.utils import assert_all_finite, check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._training import TrainingRecord, TrainingSettings, train

__all__ = ["BaseTrainedClassifier"]

FLOAT_DTYPES = (np.float64, np.float32)


def _encode_labels(y):
    """The sorted distinct labels of y and each sample's index among them.

    ``np.unique(y, return_inverse=True)``, with a path for small integer
    labels that avoids sorting (and copying) y: it needs one array of the
    length of y besides the result instead of three.
    """
    if y.dtype.kind in "iu" and y.size:
        low, high = int(y.min()), int(y.max())
        if high - low < 1024:
            present = np.bincount(y - low if low else y, minlength=high - low + 1) > 0
            labels = np.flatnonzero(present) + low
            lookup = np.cumsum(present) - 1
            return labels.astype(y.dtype), lookup[y - low if low else y]
    return np.unique(y, return_inverse=True)


class BaseTrainedClassifier(ClassifierMixin, BaseEstimator):
    """Base of the package's classifiers: one fit path over the shared loop.

    Subclasses define ``__init__`` with their parameters and implement
    ``_initialize(n_features, n_outputs, random_state, dtype)``,
    ``_make_model(n_samples, dtype)`` and ``_decision_values(X)``.
    """

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "fit_intercept": ["boolean"],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callback": [callable, None],
    }

    # Binary problems are learnt by one output unit, as in the lessons.
    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    # ------------------------------------------------------------------ fit

    def _validate_training_data(self, X, y, reset):
        dtype = FLOAT_DTYPES if reset else self._dtype
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=dtype, order="C", reset=reset
        )
        check_classification_targets(y)
        return X, y

    def _set_classes(self, y, classes, first_call, incremental):
        """Set ``classes_`` on a first call, or check y against it; return y's indices."""
        if first_call:
            if classes is None:
                labels, y_index = _encode_labels(y)
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

    def _combined_weights(self, X, y_index, sample_weight, incremental):
        """Sample weight times class weight, or None where all are equal to one."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        if self.class_weight is not None:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: its weights "
                    "depend on the whole data set. Compute them once with "
                    "sklearn.utils.compute_class_weight and pass them as a dict."
                )
            y_labels = self.classes_[y_index]
            per_class = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y_labels
            ).astype(X.dtype)
            weights = per_class[y_index]
            sample_weight = weights if sample_weight is None else sample_weight * weights
        if sample_weight is not None and np.all(sample_weight == 1):
            return None
        return sample_weight

    def _fit(self, X, y, sample_weight, classes, incremental):
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call sees one "
                "chunk, so there is no held-out set to stop on. Set early_stopping=False "
                "to train on a stream, or call fit to stop early."
            )
        first_call = not hasattr(self, "classes_") or not (incremental or self.warm_start)
        X, y = self._validate_training_data(X, y, reset=first_call)
        y_index = self._set_classes(y, classes, first_call, incremental)
        if first_call:
            self._dtype = X.dtype
        Y = self._encode_targets(y_index)
        sample_weight = self._combined_weights(X, y_index, sample_weight, incremental)
        if sample_weight is not None and not np.any(sample_weight > 0):
            raise ValueError(
                "All sample weights (times class weights) are zero: there is nothing "
                "to learn from. Give at least one sample a positive weight."
            )

        if first_call or not incremental:
            random_state = check_random_state(self.random_state)
            self._random_state = random_state
        else:
            random_state = self._random_state
        if first_call:
            # The initial weights are the first draws: this is what makes the
            # lessons' runs reproducible from their seed.
            self._initialize(X.shape[1], self._n_outputs(), random_state, X.dtype)
            self._optimizer = None
            self._training = None

        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._hold_out(
                X, Y, y_index, sample_weight, random_state
            )

        # The labels' indices have served (targets, weights, split): free
        # them before training, whose peak memory they would otherwise add to.
        del y_index
        n_samples = X.shape[0]
        model = self._make_model(
            n_samples, X.dtype, restart=not incremental or first_call
        )
        previous = self._training
        if incremental and previous is not None:
            record = previous
        else:
            # A fit starts a new record; the samples seen still add up.
            record = TrainingRecord(t=previous.t if previous is not None else 0)
        record = train(
            model,
            X,
            Y,
            sample_weight,
            settings=TrainingSettings(
                max_epochs=1 if incremental else self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                verbose=self.verbose,
                incremental=incremental,
            ),
            random_state=random_state,
            n_samples=n_samples,
            total_weight=float(n_samples if sample_weight is None else np.sum(sample_weight)),
            record=record,
            validation=validation,
            score_validation=self._validation_score,
            on_epoch=None if self.callback is None else self._call_back(model),
        )
        self._store_record(record, model)
        self._after_training(model, record.stop_reason, incremental)
        return self

    def _call_back(self, model):
        """The loop's per-epoch hook: publish the run so far, then call ``callback``."""

        def on_epoch(record, info):
            self._store_record(record, model)
            return self.callback(self, info)

        return on_epoch

    def _store_record(self, record, model):
        """Publish the loop's record (kept whole in ``_training``) as fitted attributes."""
        self._training = record
        self.n_iter_ = record.n_iter
        self.t_ = record.t
        self.loss_curve_ = record.loss_curve
        early = record.validation_scores is not None
        published = {
            "validation_scores_": record.validation_scores,
            "validation_loss_curve_": record.validation_loss_curve,
            "best_validation_score_": record.best_validation_score if early else None,
            "best_loss_": None if early else record.best_loss,
        }
        for name, value in published.items():
            if value is not None:
                setattr(self, name, value)
            elif name in self.__dict__:
                # An attribute of an earlier fit that this one does not make.
                delattr(self, name)
        if model.optimizer is not None:
            self.learning_rate_ = model.optimizer.learning_rate
        self._publish(model)

    def _publish(self, model):
        """Set the public weights from the model's (where they are not the same arrays)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels; two or more classes of any label type.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, multiplied by the class weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

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
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)


    def _hold_out(self, X, Y, y_index, sample_weight, random_state):
        indices = np.arange(X.shape[0])
        try:
            train_idx, val_idx = train_test_split(
                indices,
                test_size=self.validation_fraction,
                stratify=y_index,
                random_state=random_state,
            )
        except ValueError:
            # Too few samples of some class to stratify: split at random.
            train_idx, val_idx = train_test_split(
                indices, test_size=self.validation_fraction, random_state=random_state
            )
        if len(val_idx) < 2 or len(train_idx) < 1:
            raise ValueError(
                f"early_stopping needs a validation set of at least 2 samples; "
                f"validation_fraction={self.validation_fraction} of {X.shape[0]} samples "
                "leaves too few. Increase validation_fraction or disable early_stopping."
            )
        train_idx.sort()
        val_idx.sort()
        sw_train = None if sample_weight is None else sample_weight[train_idx]
        sw_val = None if sample_weight is None else sample_weight[val_idx]
        validation = (X[val_idx], Y[val_idx], sw_val, self.classes_[y_index[val_idx]])
        return X[train_idx], Y[train_idx], sw_train, validation

    def _validation_score(self, X, y, sample_weight):
        predicted = self._predict_validated(X)
        correct = (predicted == y).astype(float)
        if sample_weight is None:
            return float(correct.mean())
        return float(np.dot(correct, sample_weight) / np.sum(sample_weight))

    def _after_training(self, model, stop_reason, incremental):
        if stop_reason == "max_iter" and not incremental and self.tol is not None:
            watched = "validation score" if self.early_stopping else "training loss"
            curve = self.loss_curve_
            if len(curve) > 1 and curve[-1] > min(curve):
                # The loss ended above its best: steps too long, not too few.
                advice = "lower learning_rate (the loss rose), or"
            else:
                advice = "increase max_iter, raise learning_rate, or"
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} epochs before "
                f"the {watched} stopped improving by tol={self.tol}. To train further, "
                f"{advice} set tol=None to train for exactly max_iter epochs.",
                ConvergenceWarning,
                stacklevel=5,
            )

    # -------------------------------------------------------------- predict

    def _validate_X(self, X):
        """Validate X for prediction; a dense X's finiteness is checked later.

        Dense input is checked for NaN and infinity by
        :func:`_input_product`, in the same pass over X as the first product
        of ``_decision_values``, which every prediction goes through.
        """
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False,
            ensure_all_finite=issparse(X),
        )

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
        scores = self._decision_values(self._validate_X(X))
        # Contiguous for the caller, whatever the layout of the product.
        return np.ascontiguousarray(scores[:, 0] if scores.shape[1] == 1 else scores)

    _positive_at_zero = False

    def _predict_validated(self, X):
        scores = self._decision_values(X)
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
        return self._predict_validated(self._validate_X(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _input_product(X, W, estimator):
    """``X @ W`` for X from ``_validate_X``, checking that X is finite on the way.

    scikit-learn checks X by summing all of it, a pass over X as long as the
    product's own.  Here a column of ones appended to ``W`` gives the row
    sums of X in the product's pass instead (about a third less time for a
    linear model's predict).  A NaN or infinity in X makes the total
    non-finite; scikit-learn's element-wise check then runs and raises its
    usual error (it passes if the total merely overflowed).  For a narrow
    ``W`` the result is a view of that wider product, not contiguous.
    """
    if issparse(X):
        # validate_data checked the stored values of a sparse X.
        return np.asarray(X @ W)
    n_outputs = W.shape[1]
    if n_outputs > _FUSED_CHECK_MAX_OUTPUTS:
        # A wide product costs many passes over X, so the check's pass
        # matters little, and the strided result of the fused product would
        # slow every later step on it.
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
        return X @ W
    extended = np.empty((W.shape[0], n_outputs + 1), dtype=W.dtype)
    extended[:, :n_outputs] = W
    extended[:, n_outputs] = 1
    product = X @ extended
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(product[:, n_outputs])
    if not np.isfinite(total):
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
    # A strided view: copying it out would cost a pass and fresh memory pages.
    return product[:, :n_outputs]


#: Widest product for which _input_product checks X in the product's pass.
_FUSED_CHECK_MAX_OUTPUTS = 16

