"""PerceptronClassifier: Rosenblatt's perceptron with a Heaviside step and a bias.

The lessons' first model (S1): the unit fires (outputs 1) where
``w . x + b >= 0``, and each sample in turn moves the weights by
``learning_rate * (y - o) * x`` and the bias by ``learning_rate * (y - o)``,
starting from zero.  Only mistakes move anything.
"""

import copy

import numpy as np
from scipy.sparse import issparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.extmath import safe_sparse_dot

from . import _perceptron_kernels
from ._base import BaseTrainedClassifier
from ._kernels import input_product
from ._schedules import StepSize
from ._watchers import Watcher
from ._warnings import warn

__all__ = ["PerceptronClassifier"]


class _PerceptronModel:
    """Rosenblatt's rule as the training loop's model: one sequential pass per epoch.

    It owns the rule's whole state: the current weights, and for the
    averaged perceptron their running sums with the visit counts.  It
    persists across ``partial_fit`` calls and warm starts, and the estimator
    publishes ``coef_`` and ``intercept_`` from it.
    """

    # Weights grow with the inputs' scale, so no magnitude means divergence.
    weight_limit = None
    optimizer = None
    uses_order = True
    #: The rule is sequential (each update depends on the last), so rows in
    #: blocks train it by parameter mixing (see sknn_basic._engines.dask).
    sequential = True

    def __init__(self, n_outputs, n_features, dtype):
        self.coef = np.zeros((n_outputs, n_features), dtype=dtype)
        self.intercept = np.zeros(n_outputs, dtype=dtype)
        self.coef_sum = np.zeros_like(self.coef)
        self.intercept_sum = np.zeros_like(self.intercept)
        self.last = np.zeros(n_outputs, dtype=np.int64)
        # The visit count is an array so that restoring the parameters (the
        # best validation epoch, a diverged epoch) restores it with the sums.
        self._visit_count = np.zeros(1, dtype=np.int64)
        self.converged = False
        self.configure(learning_rate=1.0, fit_intercept=True, average=False)

    def configure(self, *, learning_rate, fit_intercept, average):
        """Take the estimator's current parameters (they may change between calls)."""
        # Rosenblatt's step is constant: the schedule never changes it.
        self.step_size = StepSize(learning_rate, "constant")
        self.fit_intercept = bool(fit_intercept)
        self.average = bool(average)
        self.parameters = [self.coef, self.intercept]
        if self.average:
            self.parameters += [self.coef_sum, self.intercept_sum, self.last, self._visit_count]

    def restarted(self):
        """A copy from the same weights, with its running sums and visits at zero.

        One block's share of a parameter-mixing epoch runs the rule on this.
        """
        model = copy.copy(self)
        model.coef, model.intercept = self.coef.copy(), self.intercept.copy()
        model.coef_sum = np.zeros_like(self.coef)
        model.intercept_sum = np.zeros_like(self.intercept)
        model.last = np.zeros_like(self.last)
        model._visit_count = np.zeros(1, dtype=np.int64)
        model.configure(learning_rate=self.learning_rate, fit_intercept=self.fit_intercept,
                        average=self.average)
        return model

    @property
    def learning_rate(self):
        return self.step_size.learning_rate

    @property
    def visits(self):
        """Samples visited since training began (the averaged perceptron's divisor)."""
        return int(self._visit_count[0])

    @visits.setter
    def visits(self, value):
        self._visit_count[0] = value

    def run_epoch(self, X, Y, sample_weight, order):
        if sample_weight is None:
            # An empty array tells the kernels that every weight is one.
            sample_weight = np.empty(0, dtype=X.dtype)
        if order is None:
            order = np.arange(X.shape[0], dtype=np.int64)
        order = np.asarray(order, dtype=np.int64)
        mistakes, self.visits = _perceptron_kernels.run_epoch(
            X, Y, sample_weight, order,
            self.coef, self.intercept, self.learning_rate, self.fit_intercept,
            self.average, self.coef_sum, self.intercept_sum, self.last, self.visits,
        )
        # No mistake in a whole epoch: the data are separated and no later
        # epoch can change a weight.
        self.converged = mistakes == 0
        return mistakes

    def weights(self):
        """The weights to predict with: their average, or the current ones themselves.

        The current weights are the model's own arrays (as the networks'
        ``coefs_`` are), so that what a callback writes into ``coef_`` is
        what trains on, and the divergence guard sees it.
        """
        if self.average and self.visits > 0:
            return self.coef_sum / self.visits, self.intercept_sum / self.visits
        return self.coef, self.intercept

    def mean_loss(self, X, Y, sample_weight):
        coef, intercept = self.weights()
        scores = safe_sparse_dot(X, coef.T) + intercept
        wrong = np.sum(Y != (scores >= 0), axis=1)
        if sample_weight is not None and not np.sum(sample_weight) > 0:
            return 0.0  # rows that all weigh nothing carry no loss
        return float(np.average(wrong, weights=sample_weight))

    def penalty(self):
        return 0.0


# ------------------------------------------------------------ plain state
# A fitted PerceptronClassifier pickles its rule's state as a plain dict (see
# BaseTrained.__getstate__), so that skops trusts what it loads.


def _model_to_state(model):
    """The rule's arrays and settings (``parameters`` and the step are rebuilt from them)."""
    state = {k: v for k, v in vars(model).items() if k not in ("parameters", "step_size")}
    state["learning_rate"] = model.learning_rate
    return state


def _model_from_state(state):
    """The :class:`_PerceptronModel` that :func:`_model_to_state` described."""
    model = object.__new__(_PerceptronModel)
    model.__dict__.update({k: v for k, v in state.items() if k != "learning_rate"})
    model.configure(learning_rate=state["learning_rate"], fit_intercept=state["fit_intercept"],
                    average=state["average"])
    return model


class _NotSeparated(Watcher):
    """Warns where the last epoch of a fit still made mistakes: the data were not separated."""

    def __init__(self, average):
        self.average = average

    def finish(self, run):
        record = run.record
        if run.incremental or record.stop_reason in ("converged", "callback", "diverged",
                                                     "interrupted"):
            return
        last = record.loss_curve[-1] if record.loss_curve else 0.0
        if last > 0:
            advice = "" if self.average else (
                ", and average=True gives a steadier linear solution"
            )
            warn(
                f"The perceptron did not separate the training data: its last epoch "
                f"(of {record.n_iter}) still made mistakes (error rate {last:.4g}). The "
                "classes may not be linearly separable (XOR is not); a network with a "
                "hidden layer, such as TwoLayerBackpropClassifier, can learn such "
                f"data{advice}.",
                ConvergenceWarning,
            )


class PerceptronClassifier(BaseTrainedClassifier):
    """Rosenblatt's perceptron, exactly as in the lessons.

    The output is 1 where ``w . x + b >= 0`` and 0 otherwise.  For each sample
    in turn, ``w += learning_rate * (y - o) * x`` and
    ``b += learning_rate * (y - o)``, with ``w`` and ``b`` starting at zero.
    With several classes one perceptron per class learns that class against
    the rest, all of them seeing the same sample order, and ``predict`` takes
    the arg-max of ``decision_function``.

    Parameters
    ----------
    learning_rate : float, default=1.0
        Step of each update (> 0).  Starting from zero weights it only scales
        them, so predictions do not depend on it.
    average : bool, default=False
        Predict with the average of the weights over every sample visit (the
        averaged perceptron), which generalises better on data that are not
        linearly separable.  scikit-learn's ``Perceptron`` has no such option.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-3
        Training stops when the epoch's mistake rate has not fallen by at
        least ``tol`` for ``n_iter_no_change`` epochs (or, with
        ``early_stopping``, the validation accuracy has not risen by ``tol``);
        None trains for ``max_iter`` epochs.  An epoch without a mistake
        always ends training: nothing can change afterwards.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    fit_intercept : bool, default=True
        Whether the bias ``b`` is learnt (it stays 0 otherwise).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes; an update is scaled by its sample's weight
        times its class weight.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop on its accuracy,
        and keep the best weights.
    validation_fraction : float, default=0.1
        Fraction held out with ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles and the validation split.
    verbose : int, default=0
        1 prints the epoch's mistake rate at ten evenly spaced epochs,
        flagging rises; 2 prints every epoch.
    callback : callable or None, default=None
        Called after every epoch as ``callback(estimator, info)``; returning
        True stops training.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights used for prediction (averaged with ``average=True``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Biases used for prediction.
    loss_curve_ : list of float
        Per epoch, the weighted number of updates (mistakes) divided by the
        total sample weight: the training error rate met during the epoch.
    best_loss_ : float
        Smallest value of ``loss_curve_`` (without early stopping).
    validation_scores_ : list of float
        Held-out accuracy after each epoch (early stopping).
    validation_loss_curve_ : list of float
        Held-out error rate after each epoch (early stopping).
    best_validation_score_ : float
        Best of ``validation_scores_`` (early stopping).
    n_iter_ : int
        Epochs run.
    t_ : int
        Samples seen during training.
    learning_rate_ : float
        The step size the rule trained with: ``learning_rate``, which
        Rosenblatt's rule keeps constant.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

    See Also
    --------
    sklearn.linear_model.Perceptron : The same rule written as SGD on a hinge
        loss, without averaging.
    TwoLayerBackpropClassifier : What learns XOR, which no perceptron can.

    Notes
    -----
    The rule is sequential, so it runs in a kernel compiled at install
    (Cython), or in an exact NumPy kernel where no compiler was available;
    both give the same weights, for float32 and float64 alike.  Inputs so
    large that a decision value or a weight overflows the dtype (beyond about
    1e150 in float64) raise ``PerceptronOverflowError``, a ValueError that
    says to rescale the features.  When training ends with mistakes in its
    last epoch the data were not separated, and a ``ConvergenceWarning`` says
    so: XOR is the classic case.

    Sample weights scale the updates; they cannot be equivalent to repeated
    rows because a repeated row is judged again by the already updated weights.

    On a Dask array or DataFrame, ``fit`` trains by iterative parameter
    mixing (McDonald, Hall and Mann, 2010, "Distributed training strategies
    for the structured perceptron").  Each epoch every block of rows runs the
    rule from the mixed weights, and the new weights are the blocks' weights
    averaged by their shares of the rows; with ``average=True`` the
    prediction weights are the average over every row visit of the weights
    the visiting block held.  If the data are separable with margin
    ``gamma`` by weights of unit norm and every row has norm at most
    ``R``, the mixing-weighted number of mistakes over all epochs is at
    most ``(R / gamma)^2``, as for the sequential rule: training ends
    with an epoch without mistakes and separating weights.  One block gives
    exactly the in-memory rule.  Held-out accuracy (``max_iter=20``):

    ========================  =========  ========  ========  ========  ========  ========
    data                      in memory  2 blocks  8 blocks  averaged  avg., 2   avg., 8
    ========================  =========  ========  ========  ========  ========  ========
    two blobs, separable      0.999      0.999     0.998     0.999     0.999     0.999
    20k x 20, two classes     0.522      0.673     0.680     0.698     0.699     0.698
    20k x 20, three classes   0.722      0.747     0.783     0.797     0.797     0.799
    admissions (lessons)      0.650      0.700     0.775     0.750     0.750     0.750
    ========================  =========  ========  ========  ========  ========  ========

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_basic import PerceptronClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> PerceptronClassifier(random_state=0).fit(X, [0, 0, 0, 1]).predict(X)
    array([0, 0, 0, 1])
    """

    _parameter_constraints: dict = {
        **BaseTrainedClassifier._parameter_constraints,
        "average": ["boolean"],
    }

    # The Heaviside step fires at exactly zero.
    _positive_at_zero = True

    def __init__(
        self,
        *,
        learning_rate=1.0,
        average=False,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        fit_intercept=True,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.learning_rate = learning_rate
        self.average = average
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    def _validate_training_data(self, X, y, reset):
        X, y = super()._validate_training_data(X, y, reset)
        if issparse(X) and not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        return X, y

    # The rule's state pickles as a plain dict too (see BaseTrained.__getstate__).
    _state_converters = {
        **BaseTrainedClassifier._state_converters,
        "_model": (_model_to_state, _model_from_state),
    }

    def __setstate__(self, state):
        super().__setstate__(state)
        if isinstance(getattr(self, "_model", None), _PerceptronModel):
            # The published weights are the rule's own arrays (see _publish).
            self._publish(self._model)

    def _initialize(self, n_features, n_outputs, random_state, dtype):
        # Rosenblatt's rule starts from zero: nothing is drawn.
        self._model = _PerceptronModel(n_outputs, n_features, dtype)
        self._publish(self._model)

    def _publish(self, model):
        self.coef_, self.intercept_ = model.weights()

    def _make_model(self, n_samples, dtype, restart):
        self._model.configure(learning_rate=self.learning_rate,
                              fit_intercept=self.fit_intercept, average=self.average)
        return self._model

    def _decision_values(self, X):
        scores = input_product(X, self.coef_.T, self)
        scores += self.intercept_
        return scores

    def _run_advice(self):
        return _NotSeparated(self.average)
