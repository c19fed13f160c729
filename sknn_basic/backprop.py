"""Networks with hidden layers trained by backpropagation.

The lessons' third model (S4 to S6): inputs feed a hidden layer of sigmoid
units, which feeds sigmoid output units; the error terms of the output are
carried back through the hidden-to-output weights to give the hidden units'
error terms, and every weight moves against the gradient of the mean loss.
:class:`TwoLayerBackpropClassifier` is that network; its sibling
:class:`TwoLayerBackpropRegressor` has identity output units and the squared
error, for real-valued targets.

:class:`BackpropClassifier` and :class:`BackpropRegressor` are the same
networks with any number of hidden layers (``hidden_layer_sizes``, as
scikit-learn's ``MLPClassifier`` spells it): the error terms are carried back
through every layer by the same rule.  All four share :class:`_Layers`, which
draws the initial weights layer by layer from the input, so that a deep
network of one hidden layer is the two-layer network, number for number.
The deep classifier also takes multilabel indicator targets
(:class:`_MultilabelTargets`).
"""

import re
from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import InvalidParameterError, StrOptions
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from . import _kernels as K
from ._engines import is_dask_collection
from ._kernels import input_product
from ._params import Count
from ._base import BaseTrainedClassifier
from ._network_estimator import BaseNetworkClassifier, BaseNetworkRegressor, _stochastic_solver

__all__ = [
    "BackpropClassifier",
    "BackpropRegressor",
    "TwoLayerBackpropClassifier",
    "TwoLayerBackpropRegressor",
]

#: Parameters of the two-layer networks, beyond the other networks'.
TWO_LAYER_CONSTRAINTS = {
    "n_hidden": [Count(1, None)],
    # Every activation with a slope in the kernels' tables; the identity
    # would make a hidden layer a linear map that adds nothing.
    "activation": [StrOptions(set(K.DERIVATIVES) - {"identity"})],
}


class _Layers:
    """The layers of a network with hidden layers: their draws and their forward pass.

    A subclass says how wide its hidden layers are (:meth:`_hidden_sizes`);
    everything else, the order of the initial draws and the arithmetic of
    the forward pass, is the same whatever the depth, so that one hidden
    layer gives the lessons' numbers exactly.
    """

    def _hidden_sizes(self):
        """The widths of the hidden layers, first to last."""
        raise NotImplementedError

    def _hidden_activation_name(self):
        return self.activation

    def _initialize(self, n_features, n_outputs, random_state, dtype):
        # Layer by layer from the input: the lessons' order (input-to-hidden
        # first, then hidden-to-output for one hidden layer).
        sizes = [n_features, *self._hidden_sizes(), n_outputs]
        self.coefs_ = [
            self._draw_weights(random_state, fan_in, fan_out, dtype)
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:])
        ]
        self.intercepts_ = [np.zeros(fan_out, dtype=dtype) for fan_out in sizes[1:]]

    def _layers(self):
        return self.coefs_, (self.intercepts_ if self.fit_intercept else None)

    def _decision_values(self, X):
        # The first product checks X for NaN and infinity on the way.
        hidden = input_product(X, self.coefs_[0], self)
        for i in range(1, len(self.coefs_)):
            if self.fit_intercept:
                hidden += self.intercepts_[i - 1]
            with np.errstate(over="ignore"):
                K.ACTIVATIONS[self.activation](hidden, hidden)
            hidden = hidden @ self.coefs_[i]
        if self.fit_intercept:
            hidden += self.intercepts_[-1]
        return hidden


class _TwoLayers(_Layers):
    """One hidden layer of ``n_hidden`` units: the lessons' network."""

    def _hidden_sizes(self):
        return (self.n_hidden,)


class TwoLayerBackpropClassifier(_TwoLayers, BaseNetworkClassifier):
    """A network with one hidden layer, trained by backpropagation.

    Parameters
    ----------
    n_hidden : int, default=64
        Number of hidden units.
    activation : {"sigmoid", "tanh", "relu"}, default="sigmoid"
        Activation of the hidden units ("sigmoid" is the lessons').
    loss : {"log_loss", "squared_error"}, default="log_loss"
        "squared_error" is the lessons' ``(y - o)^2 / 2`` on sigmoid output
        units (one-hot targets for several classes).  "log_loss" uses a
        sigmoid output for two classes and a softmax for more, with the
        cross-entropy.
    learning_rate : float or "auto", default="auto"
        Step size of gradient descent (> 0).  "auto" is the step rule's own
        default: 0.5 for ``solver="sgd"``, 0.001 for ``solver="adam"`` (whose
        steps are about this long whatever the gradient's scale).
    momentum : float, default=0.9
        Momentum of the updates, in ``[0, 1)``; 0 is plain gradient descent
        (``solver="sgd"`` only).  The velocity carries over a warm-started
        ``fit``.  In a stream of ``partial_fit`` calls it starts afresh for
        the first ``1 / (1 - momentum)`` calls, rounded up (10 at the
        default), whose few chunks would give it their own pull, and carries
        over after that.
    nesterovs_momentum : bool, default=False
        Whether the momentum is Nesterov's (a step along the new velocity).
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
        The step rule.  "sgd" is the lessons' gradient descent with ``momentum``
        (Nesterov's with ``nesterovs_momentum``); "adam"
        is Adam (Kingma and Ba, 2015) with ``beta_1``, ``beta_2`` and
        ``epsilon``, as in scikit-learn's ``MLPClassifier``.
        "lbfgs" minimises the loss of the whole training set by L-BFGS
        (scipy's L-BFGS-B, as ``MLPClassifier(solver="lbfgs")``), stopping
        on ``tol``, ``max_iter`` and ``max_fun``: a full-batch fit reaches
        the optimum in tens of passes over the data where gradient descent
        needs hundreds, or stalls on a plateau.  It ignores
        ``learning_rate``, ``learning_rate_schedule``, ``batch_size``,
        ``beta_1``, ``beta_2``, ``epsilon``, ``momentum``,
        ``nesterovs_momentum``, ``shuffle``, ``n_iter_no_change``,
        ``early_stopping``, ``validation_fraction`` and ``replay_size`` (as
        ``MLPClassifier`` does; ``early_stopping`` holds nothing out), and
        ``partial_fit`` is not available with it.
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
        Maximum number of epochs.
        With ``solver="lbfgs"``, the maximum number of L-BFGS iterations.
    tol : float or None, default=1e-4
        Training stops when the loss (or the validation score with
        ``early_stopping``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs; None trains for exactly
        ``max_iter`` epochs.
        With ``solver="lbfgs"``, the bound on the largest component of the
        gradient of the objective (scipy's ``gtol``, as ``MLPClassifier``
        passes it); None runs until ``max_iter``, ``max_fun`` or a line
        search that finds no lower loss.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    max_fun : int, default=15000
        With ``solver="lbfgs"``, the maximum number of evaluations of the
        loss and its gradient, each a pass over the training data (as in
        ``MLPClassifier``); ignored by the other solvers.
    alpha : float, default=0.0
        L2 penalty ``alpha / 2 * ||W||^2`` on both layers' weights.
    init_scale : float or None, default=None
        Standard deviation of the normal initial weights: None means
        ``1 / sqrt(fan_in)`` for each layer, a float that value for both.
        The input-to-hidden weights are drawn first, then hidden-to-output.
    fit_intercept : bool, default=True
        Whether both layers have biases (the lessons' networks have none).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving, keep the best weights, and
        record ``validation_scores_`` and ``validation_loss_curve_``.
    validation_fraction : float, default=0.1
        Fraction held out with ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (mini-batches only).
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    replay_size : int, default=200
        Rows of earlier ``partial_fit`` chunks remembered (a uniform sample of
        the stream) and trained on again with each chunk: as many as the
        chunk holds, and at least enough to make 64 rows together.  A stream
        whose chunks differ (sorted by class, say) then does not forget its
        earlier chunks.  0 trains on each chunk alone, as ``MLPClassifier``
        does.  Only rows of positive weight are remembered, with their
        weights as given, so that rows of different calls keep their ratios.
        ``fit`` neither uses nor keeps the memory; note that a model fitted
        by ``partial_fit`` holds these rows of training data.  ``t_`` and
        ``loss_curve_`` count the replayed rows with the chunk's.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights (drawn first), then the shuffles and the
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
    coefs_ : list of two ndarray
        Input-to-hidden weights ``(n_features, n_hidden)`` and hidden-to-output
        weights ``(n_hidden, n_outputs)``; ``n_outputs`` is 1 for two classes.
    intercepts_ : list of two ndarray
        Biases of the hidden and output layers (zeros without ``fit_intercept``).
    loss_curve_ : list of float
        Mean training loss of each epoch (including the L2 term); with
        ``solver="lbfgs"``, the objective at the end of each iteration.
    best_loss_ : float
        Smallest value of ``loss_curve_`` (without early stopping).
    validation_scores_ : list of float
        Held-out accuracy after each epoch (early stopping).
    validation_loss_curve_ : list of float
        Held-out mean loss after each epoch (early stopping).
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
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron with more
        layers and solvers, but no class weights or validation-loss curve.

    Notes
    -----
    XOR, which no perceptron can learn, needs the hidden layer.  With the
    default log loss, two or more hidden units, a full batch and a large step
    it is learnt exactly:

    >>> import numpy as np
    >>> from sknn_basic import TwoLayerBackpropClassifier
    >>> X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
    >>> net = TwoLayerBackpropClassifier(n_hidden=4, learning_rate=1.0, max_iter=2000,
    ...                                  batch_size=None, tol=None, random_state=0)
    >>> net.fit(X, y).predict(X)
    array([0, 1, 1, 0])

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), TwoLayerBackpropClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        **TWO_LAYER_CONSTRAINTS,
        "replay_size": [Count(0, None)],
    }

    def __init__(
        self,
        n_hidden=64,
        *,
        activation="sigmoid",
        loss="log_loss",
        learning_rate="auto",
        momentum=0.9,
        nesterovs_momentum=False,
        learning_rate_schedule="adaptive",
        solver="sgd",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=0.0,
        init_scale=None,
        fit_intercept=True,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        replay_size=200,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.n_hidden = n_hidden
        self.activation = activation
        self.loss = loss
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
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
        self.replay_size = replay_size
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback


class TwoLayerBackpropRegressor(_TwoLayers, BaseNetworkRegressor):
    """A network with one hidden layer and identity outputs, trained by backpropagation.

    The classifier's network with the output units left linear: each output
    is ``h @ W2 + b2`` for the hidden layer's outputs ``h``, the loss is the
    squared error ``(y - o)^2 / 2`` averaged over samples (summed over the
    targets), and the output error term is simply ``y - o``.  The hidden
    layer, the backward pass, the optimizers and the training loop are the
    classifier's.

    Parameters
    ----------
    n_hidden : int, default=64
        Number of hidden units.
    activation : {"relu", "sigmoid", "tanh"}, default="relu"
        Activation of the hidden units.
    learning_rate : float or "auto", default=0.01
        Step size (> 0).  Adam's steps are about this long whatever the
        gradient's scale; 0.01 suits standardised features.  "auto" is the
        step rule's own default: 0.001 for ``solver="adam"``, 0.01 for
        ``solver="sgd"``.
    momentum : float, default=0.9
        Momentum of the updates with ``solver="sgd"``, in ``[0, 1)``.  In a
        stream of ``partial_fit`` calls the velocity starts afresh for the
        first ``1 / (1 - momentum)`` calls and carries over after that.
    nesterovs_momentum : bool, default=False
        Whether the momentum is Nesterov's.
    learning_rate_schedule : {"constant", "adaptive"}, default="constant"
        "constant" keeps ``learning_rate`` throughout.  "adaptive" answers an
        epoch whose training loss is more than 1 % above the previous epoch's
        by halving the step (with momentum, by first restarting the
        momentum).  This is not scikit-learn's ``learning_rate="adaptive"``,
        which divides the step by 5 after a stall.
        Between ``partial_fit`` calls it halves the step only on a chunk
        whose loss jumps to twice the last five chunks' highest, and lets it
        grow back by 10 % per chunk after that.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        The step rule: Adam (Kingma and Ba, 2015), or gradient descent with
        ``momentum``.
        "lbfgs" minimises the loss of the whole training set by L-BFGS
        (scipy's L-BFGS-B, as ``MLPClassifier(solver="lbfgs")``), stopping
        on ``tol``, ``max_iter`` and ``max_fun``: a full-batch fit reaches
        the optimum in tens of passes over the data where gradient descent
        needs hundreds, or stalls on a plateau.  It ignores
        ``learning_rate``, ``learning_rate_schedule``, ``batch_size``,
        ``beta_1``, ``beta_2``, ``epsilon``, ``momentum``,
        ``nesterovs_momentum``, ``shuffle``, ``n_iter_no_change``,
        ``early_stopping`` and ``validation_fraction`` (as ``MLPRegressor``
        does; ``early_stopping`` holds nothing out), and
        ``partial_fit`` is not available with it.
    beta_1 : float, default=0.9
        Adam's decay rate of the first moment estimates, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Adam's decay rate of the second moment estimates, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Adam's term added to the root of the second moment for stability.
    batch_size : int, "auto" or None, default="auto"
        Samples per update.  None is the full batch; "auto" is equal batches
        of about ``max(200, n_samples // 64)`` rows.
    max_iter : int, default=200
        Maximum number of epochs.
        With ``solver="lbfgs"``, the maximum number of L-BFGS iterations.
    tol : float or None, default=1e-4
        Training stops when the loss (or the validation R^2 with
        ``early_stopping``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs; None trains for exactly
        ``max_iter`` epochs.
        With ``solver="lbfgs"``, the bound on the largest component of the
        gradient of the objective (scipy's ``gtol``, as ``MLPClassifier``
        passes it); None runs until ``max_iter``, ``max_fun`` or a line
        search that finds no lower loss.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    max_fun : int, default=15000
        With ``solver="lbfgs"``, the maximum number of evaluations of the
        loss and its gradient, each a pass over the training data (as in
        ``MLPClassifier``); ignored by the other solvers.
    alpha : float, default=0.0001
        L2 penalty ``alpha / 2 * ||W||^2`` on both layers' weights.
    init_scale : float or None, default=None
        Standard deviation of the normal initial weights: None means
        ``1 / sqrt(fan_in)`` for each layer.
    fit_intercept : bool, default=True
        Whether both layers have biases.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        R^2 stops improving, and keep the best weights.
    validation_fraction : float, default=0.1
        Fraction held out with ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch (mini-batches only).
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights (drawn first), then the shuffles and the
        validation split.
    verbose : int, default=0
        1 prints the training loss at ten evenly spaced epochs; 2 every epoch.
    callback : callable or None, default=None
        Called after every epoch as ``callback(estimator, info)``; returning
        True stops training.

    Attributes
    ----------
    coefs_ : list of two ndarray
        Input-to-hidden weights ``(n_features, n_hidden)`` and hidden-to-output
        weights ``(n_hidden, n_outputs_)``.
    intercepts_ : list of two ndarray
        Biases of the hidden and output layers.
    n_outputs_ : int
        Number of targets.
    loss_curve_ : list of float
        Mean training loss of each epoch (including the L2 term); with
        ``solver="lbfgs"``, the objective at the end of each iteration.
    best_loss_ : float
        Smallest value of ``loss_curve_`` (without early stopping).
    validation_scores_ : list of float
        Held-out R^2 after each epoch (early stopping).
    validation_loss_curve_ : list of float
        Held-out mean loss after each epoch (early stopping).
    best_validation_score_ : float
        Best of ``validation_scores_`` (early stopping).
    n_iter_ : int
        Epochs run by the last ``fit`` (``partial_fit`` calls add one each);
        L-BFGS iterations with ``solver="lbfgs"``.
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
    TwoLayerBackpropClassifier : The same network with sigmoid outputs.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.

    Notes
    -----
    The squared error is measured in the targets' units, so targets far from
    unit scale want a matching ``learning_rate``, or standardised targets
    (``sklearn.compose.TransformedTargetRegressor``).

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_basic import TwoLayerBackpropRegressor
    >>> X, y = make_friedman1(n_samples=500, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), TwoLayerBackpropRegressor(random_state=0))
    >>> reg.fit(X, y).score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **BaseNetworkRegressor._parameter_constraints,
        **TWO_LAYER_CONSTRAINTS,
    }

    def __init__(
        self,
        n_hidden=64,
        *,
        activation="relu",
        learning_rate=0.01,
        momentum=0.9,
        nesterovs_momentum=False,
        learning_rate_schedule="constant",
        solver="adam",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=0.0001,
        init_scale=None,
        fit_intercept=True,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.n_hidden = n_hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
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
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback


# ------------------------------------------------------------ any depth

#: Parameters of the deep networks: the two-layer ones with the hidden
#: widths as a sequence instead of ``n_hidden``.
DEEP_CONSTRAINTS = {
    **{name: c for name, c in TWO_LAYER_CONSTRAINTS.items() if name != "n_hidden"},
    # The type here; the values (positive ints, at least one) in _check_call,
    # since scikit-learn's validation takes only its own kinds of constraint.
    "hidden_layer_sizes": [tuple, list],
}

_HIDDEN_LAYER_SIZES_DOC = """\
    hidden_layer_sizes : tuple or list of int, default=(64,)
        Number of units of each hidden layer, from the input's side: ``(64,)``
        is the two-layer network of 64 hidden units, ``(64, 32)`` feeds 64
        units into 32 before the output.  Every hidden layer has the
        ``activation``.
"""

_DEEP_WEIGHTS_DOC = """\
    coefs_ : list of ndarray
        Weights of each layer from the input's side, ``coefs_[i]`` of shape
        ``(fan_in, fan_out)``: ``n_features`` inputs, then the hidden widths,
        then the output units (one for two classes, one per label or
        target otherwise); one more array than hidden layers.
    intercepts_ : list of ndarray
        Biases of each layer, ``intercepts_[i]`` of shape ``(fan_out,)``
        (zeros without ``fit_intercept``).
"""

#: The lines of a two-layer docstring that speak of exactly two layers, and
#: what a deep network's says instead.
_DEPTH_WORDING = (
    ("on both layers' weights", "on every layer's weights"),
    ("a float that value for both.", "a float that value for every layer."),
    ("The input-to-hidden weights are drawn first, then hidden-to-output.",
     "Each layer's weights are drawn in turn, from the input's side."),
    ("Whether both layers have biases", "Whether the layers have biases"),
)


#: The two-layer docstring's entries of ``coefs_`` and ``intercepts_`` (each
#: runs to the next attribute).
_TWO_WEIGHTS_DOC = re.compile(
    r"    coefs_ : list of two ndarray\n(?:        .*\n)+"
    r"    intercepts_ : list of two ndarray\n(?:        .*\n)+"
)


def _deep_docstring(two_layer_doc, summary, tail):
    """A deep estimator's docstring from its two-layer sibling's (one home for the rest).

    The parameters and attributes are the sibling's, with ``hidden_layer_sizes``
    in place of ``n_hidden`` and the weights' shapes for any depth; ``summary``
    comes first and ``tail`` (See Also to Examples) last.
    """
    start = two_layer_doc.index("    Parameters\n")
    end = two_layer_doc.index("    See Also\n")
    body = two_layer_doc[start:end]
    n_hidden = "    n_hidden : int, default=64\n        Number of hidden units.\n"
    body, found = _TWO_WEIGHTS_DOC.subn(_DEEP_WEIGHTS_DOC.replace("\\", "\\\\"), body)
    if n_hidden not in body or found != 1:
        raise AssertionError("the two-layer docstring's n_hidden or coefs_ entry changed")
    body = body.replace(n_hidden, _HIDDEN_LAYER_SIZES_DOC)
    for old, new in _DEPTH_WORDING:
        body = body.replace(old, new)
    return summary + "\n" + body + tail


def _layer_sizes(estimator):
    """``hidden_layer_sizes`` as a tuple of ints, or the parameter error that says why not."""
    sizes = estimator.hidden_layer_sizes
    if (
        isinstance(sizes, (tuple, list))
        and len(sizes) > 0
        and all(isinstance(n, Integral) and not isinstance(n, bool) and n >= 1 for n in sizes)
    ):
        return tuple(int(n) for n in sizes)
    raise InvalidParameterError(
        f"The 'hidden_layer_sizes' parameter of {type(estimator).__name__} must be a "
        "non-empty tuple or list of positive ints, one per hidden layer (for example "
        f"(64,) or (64, 32)). Got {sizes!r} instead."
    )


class _DeepLayers(_Layers):
    """Hidden layers of the widths ``hidden_layer_sizes``."""

    def _hidden_sizes(self):
        return _layer_sizes(self)

    def _check_call(self, incremental):
        # Before any data is read, on either engine.
        _layer_sizes(self)
        super()._check_call(incremental)


class _MultilabelTargets:
    """Multilabel indicator targets, as ``MLPClassifier`` takes them.

    A 2-D ``y`` of 0/1 columns, one per label, trains one sigmoid output unit
    per label under the network's loss summed over the units; ``classes_`` is
    ``arange(n_labels)``; ``predict`` gives the 0/1 matrix (a label where its
    unit's output exceeds 0.5) in the dtype of ``y``; ``predict_proba`` the
    units' outputs, each a label's own probability (rows need not sum to 1);
    the score and early stopping's validation score are the subset accuracy
    (every label of a row right).  A 1-D ``y`` is the single-label case,
    unchanged.
    """

    # validate_data keeps a 2-D y; a column vector is raveled (with
    # scikit-learn's warning) in _targets, as for a single-label estimator.
    _target_validation = {"multi_output": True}

    def _is_multilabel(self):
        return getattr(self, "_multilabel", False)

    def _targets(self, y, classes, first_call, incremental):
        if issparse(y):
            y = y.toarray()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        multilabel = y.ndim == 2
        name = type(self).__name__
        if multilabel:
            kind = type_of_target(y)
            if kind != "multilabel-indicator":
                raise ValueError(
                    f"{name} takes a 2-D y only as a multilabel indicator matrix (one "
                    f"column per label, each 0 or 1); this y is {kind!r}. Pass a 1-D y "
                    "of labels, or binarise the label sets (for example with "
                    "sklearn.preprocessing.MultiLabelBinarizer)."
                )
        if not first_call and multilabel != self._is_multilabel():
            fitted = "multilabel indicator" if self._is_multilabel() else "single-label"
            given = "multilabel indicator" if multilabel else "single-label"
            raise ValueError(
                f"{name} was fitted on {fitted} targets and y is {given}: a model goes "
                "on with the targets it has. Call fit (with warm_start=False) to start "
                "anew on these targets."
            )
        if not multilabel:
            Y, strata = super()._targets(y, classes, first_call, incremental)
            if first_call:
                self._multilabel = False
            return Y, strata
        return self._multilabel_targets(y, classes, first_call), None

    def _multilabel_targets(self, y, classes, first_call):
        name = type(self).__name__
        n_labels = y.shape[1]
        labels = np.arange(n_labels)
        if classes is not None and not np.array_equal(unique_labels(classes), labels):
            raise ValueError(
                f"classes={unique_labels(classes).tolist()!r} does not match the "
                f"{n_labels} columns of the multilabel y: its classes are the column "
                f"indices, classes=np.arange({n_labels})."
            )
        if not first_call and n_labels != len(self.classes_):
            raise ValueError(
                f"y has {n_labels} label columns, but {name} was fitted with "
                f"{len(self.classes_)}. Call fit (with warm_start=False) to start anew "
                "with these labels."
            )
        if self.class_weight is not None:
            raise ValueError(
                f"class_weight is for single-label targets; {name} got a multilabel y, "
                "whose rows may belong to several classes at once. Set class_weight=None "
                "and weigh the rows with sample_weight instead."
            )
        if first_call:
            self.classes_ = labels
            self._multilabel = True
            # predict answers in the dtype of y, as MLPClassifier does; kept
            # by name so that a saved model holds only plain types.
            self._label_dtype = y.dtype.str
        return y.astype(np.int8)

    def _n_outputs(self):
        if self._is_multilabel():
            return len(self.classes_)
        return super()._n_outputs()

    def _output_activation(self, n_outputs=None):
        if self._is_multilabel():
            return "sigmoid"
        return super()._output_activation(n_outputs)

    def _score_targets(self, Y):
        if self._is_multilabel():
            return Y
        return super()._score_targets(Y)

    def _validation_score(self, X, y, sample_weight):
        if not self._is_multilabel():
            return super()._validation_score(X, y, sample_weight)
        correct = np.all(self._predict_validated(X) == y, axis=1)
        return float(np.average(correct, weights=sample_weight))

    def _predict_validated(self, X):
        if not self._is_multilabel():
            return super()._predict_validated(X)
        return (self._output_values(X) > 0.5).astype(np.dtype(self._label_dtype))

    def predict_proba(self, X):
        if not self._is_multilabel() or is_dask_collection(X):
            return super().predict_proba(X)
        return np.ascontiguousarray(self._output_values(self._validate_X(X)))

    predict_proba.__doc__ = BaseNetworkClassifier.predict_proba.__doc__.replace(
        "            to sum to 1 (squared error).\n",
        "            to sum to 1 (squared error).  For a multilabel model, one column\n"
        "            per label: each unit's own probability of its label.\n",
    )

    def _refuse_multilabel_on_dask(self, X, y):
        if is_dask_collection(X) and np.ndim(y) == 2 and y.shape[1] > 1:
            raise ValueError(
                f"{type(self).__name__} trains on multilabel targets in memory only; the "
                "Dask engine takes a 1-D y of labels. Compute the data first (X.compute(), "
                "y.compute()) or pass a 1-D y."
            )

    def fit(self, X, y, sample_weight=None):
        self._refuse_multilabel_on_dask(X, y)
        return super().fit(X, y, sample_weight=sample_weight)

    fit.__doc__ = BaseNetworkClassifier.fit.__doc__.replace(
        "        y : array-like of shape (n_samples,)\n"
        "            Target labels; two or more classes of any label type.\n",
        "        y : array-like of shape (n_samples,) or (n_samples, n_labels)\n"
        "            Target labels, two or more classes of any label type; or a\n"
        "            multilabel indicator matrix of 0/1 columns (in memory only).\n",
    )

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self._refuse_multilabel_on_dask(X, y)
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)

    partial_fit.__doc__ = BaseTrainedClassifier.partial_fit.__doc__.replace(
        "        y : array-like of shape (n_samples,)\n            Target labels.\n",
        "        y : array-like of shape (n_samples,) or (n_samples, n_labels)\n"
        "            Target labels, or a multilabel indicator matrix (whose classes\n"
        "            are ``np.arange(n_labels)``).\n",
    )
    partial_fit = available_if(_stochastic_solver)(partial_fit)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class BackpropClassifier(_DeepLayers, _MultilabelTargets, BaseNetworkClassifier):
    # The docstring is the two-layer classifier's for the parameters it
    # shares (see _deep_docstring).
    __doc__ = _deep_docstring(
        TwoLayerBackpropClassifier.__doc__,
        """A network with any number of hidden layers, trained by backpropagation.

    :class:`TwoLayerBackpropClassifier` with the hidden layers of
    ``hidden_layer_sizes``: each layer's error terms are the next layer's
    carried back through its weights and multiplied by the slope of the
    activation, the same rule applied once more per layer.  With one hidden
    layer, ``BackpropClassifier((n,))`` trains exactly as
    ``TwoLayerBackpropClassifier(n)`` with the same other parameters.  A 2-D
    ``y`` of 0/1 columns is a multilabel problem, learnt by one sigmoid unit
    per label as in ``MLPClassifier``.
""",
        """    See Also
    --------
    TwoLayerBackpropClassifier : The lessons' network of one hidden layer.
    sklearn.neural_network.MLPClassifier : The same architecture in
        scikit-learn, with Glorot's initial weights and L-BFGS besides.

    Notes
    -----
    The initial weights are drawn layer by layer from the input's side, each
    from a normal distribution of standard deviation ``1 / sqrt(fan_in)``.
    Deep sigmoid networks learn slowly (the slopes multiply through the
    layers); ``activation="relu"`` with ``solver="adam"`` and a smaller
    ``learning_rate`` often suits two or more hidden layers better.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_basic import BackpropClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     BackpropClassifier((64, 32), random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True

    A multilabel indicator ``y`` (here: is the digit even, is it above 4):

    >>> import numpy as np
    >>> Y = np.column_stack([y % 2 == 0, y > 4]).astype(int)
    >>> multi = make_pipeline(StandardScaler(),
    ...                       BackpropClassifier((64, 32), random_state=0)).fit(X, Y)
    >>> multi.predict(X[:3])
    array([[1, 0],
           [0, 0],
           [1, 0]])
""",
    ).replace(
        "    classes_ : ndarray of shape (n_classes,)\n        Class labels.\n",
        "    classes_ : ndarray of shape (n_classes,)\n        Class labels; for a multilabel "
        "y, the label columns'\n        indices ``arange(n_labels)``.\n",
    )

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        **DEEP_CONSTRAINTS,
        "replay_size": [Count(0, None)],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        activation="sigmoid",
        loss="log_loss",
        learning_rate="auto",
        momentum=0.9,
        nesterovs_momentum=False,
        learning_rate_schedule="adaptive",
        solver="sgd",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=0.0,
        init_scale=None,
        fit_intercept=True,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        replay_size=200,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
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
        self.replay_size = replay_size
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback


class BackpropRegressor(_DeepLayers, BaseNetworkRegressor):
    __doc__ = _deep_docstring(
        TwoLayerBackpropRegressor.__doc__,
        """A network with any number of hidden layers and identity outputs, trained by backpropagation.

    :class:`TwoLayerBackpropRegressor` with the hidden layers of
    ``hidden_layer_sizes``; with one hidden layer, ``BackpropRegressor((n,))``
    trains exactly as ``TwoLayerBackpropRegressor(n)`` with the same other
    parameters.
""",
        """    See Also
    --------
    BackpropClassifier : The same networks with sigmoid or softmax outputs.
    TwoLayerBackpropRegressor : The network of one hidden layer.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.

    Notes
    -----
    The squared error is measured in the targets' units, so targets far from
    unit scale want a matching ``learning_rate``, or standardised targets
    (``sklearn.compose.TransformedTargetRegressor``).

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_basic import BackpropRegressor
    >>> X, y = make_friedman1(n_samples=500, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), BackpropRegressor((64, 32), random_state=0))
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
""",
    )

    _parameter_constraints: dict = {
        **BaseNetworkRegressor._parameter_constraints,
        **DEEP_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        activation="relu",
        learning_rate=0.01,
        momentum=0.9,
        nesterovs_momentum=False,
        learning_rate_schedule="constant",
        solver="adam",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        max_fun=15000,
        alpha=0.0001,
        init_scale=None,
        fit_intercept=True,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
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
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback
