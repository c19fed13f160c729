"""SigmoidGDClassifier: one sigmoid unit per output, trained by gradient descent.

This is the lessons' second model (S3): the output of a unit is
``sigmoid(x . w + b)`` and one epoch moves the weights against the gradient of
the mean loss over each batch.  With the squared error and a full batch it is
exactly the lessons' update ``w += lr * mean((y - o) o (1 - o) x)``.
"""

import math
import numpy as np

from ._kernels import input_product
from ._network_estimator import BaseNetworkClassifier

__all__ = ["SigmoidGDClassifier"]


class SigmoidGDClassifier(BaseNetworkClassifier):
    """Sigmoid units trained by (mini-batch) gradient descent.

    One sigmoid unit for two classes.  For more, one unit per class: sigmoid
    units on one-hot targets with the squared error, or a softmax over the
    units with the log loss (multinomial logistic regression).  Each batch
    moves the weights by ``learning_rate`` times the weighted mean over the
    batch of the error term times the input, the error term being
    ``(y - o) o (1 - o)`` for the squared error and ``y - o`` for the log
    loss.

    Parameters
    ----------
    loss : {"log_loss", "squared_error"}, default="log_loss"
        The loss minimised.  "squared_error" is the lessons' ``(y - o)^2 / 2``;
        "log_loss" gives logistic regression and learns faster, since its
        error term does not vanish when a unit saturates on the wrong side.
    learning_rate : float or "auto", default="auto"
        Step size of gradient descent (> 0).  "auto" is the step rule's own
        default where it has one (0.001 for ``solver="adam"``); for
        ``solver="sgd"`` it is ``2 / sqrt(n_batches)``: 2.0 when each batch is the whole training
        set, smaller as more (and noisier) mini-batches make up an epoch;
        it suits standardised features.  The lessons' S3 run uses 0.5 with
        the full batch.
    learning_rate_schedule : {"adaptive", "constant"}, default="adaptive"
        "constant" keeps ``learning_rate`` throughout.  "adaptive" answers an
        epoch whose training loss is more than 1 % above the previous epoch's
        (an overshooting step; mini-batch noise makes smaller rises) by
        halving the step, or with momentum by first restarting the momentum
        and halving only if the next epoch rises too.  A run whose loss never
        rises so, such as the lessons' runs, is the same under both.  This is
        not scikit-learn's ``learning_rate="adaptive"``, which divides the
        step by 5 after ``n_iter_no_change`` epochs without improvement.
        Between ``partial_fit`` calls, whose chunks hold different rows, it
        halves the step only on a chunk whose loss is more than twice the
        highest of the last five chunks' (rows unlike any the model has
        learnt, such as a class it has not seen), and a halved step grows
        back by 10 % per chunk after that, up to ``learning_rate``.
    solver : {"sgd", "adam", "lbfgs"}, default="sgd"
        The step rule.  "sgd" is the lessons' gradient descent; "adam"
        is Adam (Kingma and Ba, 2015) with ``beta_1``, ``beta_2`` and
        ``epsilon``, as in scikit-learn's ``MLPClassifier``.
        "lbfgs" minimises the loss of the whole training set by L-BFGS
        (scipy's L-BFGS-B, as ``MLPClassifier(solver="lbfgs")``), stopping
        on ``tol``, ``max_iter`` and ``max_fun``: a full-batch fit reaches
        the optimum in tens of passes over the data where gradient descent
        needs hundreds, or stalls on a plateau.  It ignores
        ``learning_rate``, ``learning_rate_schedule``, ``batch_size``,
        ``beta_1``, ``beta_2``, ``epsilon``, ``shuffle``,
        ``n_iter_no_change``, ``early_stopping`` and ``validation_fraction``
        (as ``MLPClassifier`` does; ``early_stopping`` holds nothing out),
        and ``partial_fit`` is not available with it.
    batch_size : int, "auto" or None, default="auto"
        Samples per update.  None is the full batch (the lessons' setting);
        "auto" is equal batches of about ``max(200, n_samples // 64)`` rows:
        full-batch up to 200 samples, about 64 batches per epoch beyond
        12,800 (see ``sknn_basic._network_estimator.auto_batch_size``).
    beta_1 : float, default=0.9
        Adam's decay rate of the first moment estimates, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Adam's decay rate of the second moment estimates, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's term added to the root of the second moment for stability.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
        With ``solver="lbfgs"``, the maximum number of L-BFGS iterations.
    tol : float or None, default=1e-3
        Training stops when the loss (or the validation score with
        ``early_stopping``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.  None trains for exactly
        ``max_iter`` epochs.
        With ``solver="lbfgs"``, the bound on the largest component of the
        gradient of the objective (scipy's ``gtol``, as ``MLPClassifier``
        passes it); None runs until ``max_iter``, ``max_fun`` or a line
        search that finds no lower loss.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    max_fun : int, default=15000
        With ``solver="lbfgs"``, the maximum number of evaluations of the
        loss and its gradient, each a pass over the training data (as in
        ``MLPClassifier``); ignored by the other solvers.
    alpha : float, default=0.0
        L2 penalty: ``alpha / 2 * ||w||^2`` is added to the mean loss
        (intercepts are not penalised).
    init_scale : float or None, default=None
        Standard deviation of the normal initial weights; None means
        ``1 / sqrt(n_features)``, as in the lessons.
    fit_intercept : bool, default=True
        Whether each unit has a bias (the lessons' S3 unit has none).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights;
        "balanced" weights them inversely to their frequencies.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving, and keep the best weights.
    validation_fraction : float, default=0.1
        Fraction held out with ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (mini-batches only: a full batch is
        the same in any order).
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights (drawn first) and then the shuffles and the
        validation split.
    verbose : int, default=0
        1 prints the training loss at ten evenly spaced epochs, flagging any
        that rose since the previous line; 2 prints every epoch.
    callback : callable or None, default=None
        Called after every epoch as ``callback(estimator, info)`` with
        ``info`` a dict of ``epoch``, ``loss``, ``validation_loss`` and
        ``validation_score``; returning True stops training.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the units.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Biases of the units (zeros without ``fit_intercept``).
    loss_curve_ : list of float
        Mean training loss of each epoch, met during the epoch's updates
        (for a full batch: the loss before that epoch's update); with
        ``solver="lbfgs"``, the objective at the end of each iteration.
    best_loss_ : float
        Smallest value of ``loss_curve_`` (without early stopping).
    validation_scores_ : list of float
        Accuracy on the held-out set after each epoch (early stopping).
    validation_loss_curve_ : list of float
        Mean loss on the held-out set after each epoch (early stopping).
    best_validation_score_ : float
        Best of ``validation_scores_`` (early stopping).
    n_iter_ : int
        Epochs run (L-BFGS iterations with ``solver="lbfgs"``).
    t_ : int
        Samples seen during training (with ``solver="lbfgs"``, the samples
        times the evaluations of the objective: rows read).
    learning_rate_ : float
        The step size in use at the end of training (absent after a fit
        with ``solver="lbfgs"``, which has no step size).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The log-loss model, solved by
        quasi-Newton methods.
    sklearn.linear_model.SGDClassifier : Linear models by per-sample SGD.

    Notes
    -----
    With ``batch_size=None`` the update is exactly the lessons' full-batch
    gradient descent, and integer sample weights are equivalent to repeated
    rows.  With mini-batches the order of the shuffled samples matters.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_basic import SigmoidGDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), SigmoidGDClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        loss="log_loss",
        *,
        learning_rate="auto",
        learning_rate_schedule="adaptive",
        solver="sgd",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-3,
        n_iter_no_change=5,
        max_fun=15000,
        alpha=0.0,
        init_scale=None,
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
        self.loss = loss
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.solver = solver
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.alpha = alpha
        self.init_scale = init_scale
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    def _auto_learning_rate(self, n_samples):
        n_batches = math.ceil(n_samples / self._batch_rows(n_samples))
        return 2.0 / math.sqrt(n_batches)

    def _initialize(self, n_features, n_outputs, random_state, dtype):
        weights = self._draw_weights(random_state, n_features, n_outputs, dtype)
        self.coef_ = np.ascontiguousarray(weights.T)
        self.intercept_ = np.zeros(n_outputs, dtype=dtype)

    def _layers(self):
        # coef_.T is a view: the training loop updates coef_ in place.
        intercepts = [self.intercept_] if self.fit_intercept else None
        return [self.coef_.T], intercepts

    def _decision_values(self, X):
        scores = input_product(X, self.coef_.T, self)
        if self.fit_intercept:
            scores += self.intercept_
        return scores
