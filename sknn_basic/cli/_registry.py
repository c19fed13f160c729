"""The command line's models, in one registry.

Each entry names a model the way the command line does (``perceptron``,
``sigmoid``, ``backprop``) and holds everything the commands need of it: the
estimator class, the settings of ``train`` and of ``explain`` (the lessons'
own run), which options apply, the scikit-learn counterpart it is compared
with, and its help text.  Adding a model is adding an entry here.
"""

from dataclasses import dataclass, field

from .._lessons import S3_PARAMS, S6_PARAMS
from ._errors import UsageError

__all__ = ["MODELS", "ModelSpec", "OPTION_PARAMS", "apply_hidden", "check_options",
           "compare_models", "network_class"]

#: Command-line option (argparse destination) -> estimator parameter.
OPTION_PARAMS = {
    "epochs": "max_iter",
    "learning_rate": "learning_rate",
    "hidden": "n_hidden",
    "seed": "random_state",
}


# The counterparts: ``counterpart(estimator, n_rows)`` is the one ``train``
# compares a trained estimator with, set like it wherever scikit-learn has
# the same setting (the same rule, averaging, step, epochs, batch, penalty,
# seed); ``counterpart(None)`` the one ``compare`` cross-validates, at its
# defaults as ours are.  What still differs is said by ``differences``.


def _perceptron_counterpart(estimator, n_rows=None):
    from sklearn.linear_model import Perceptron, SGDClassifier

    if estimator is None:
        return Perceptron(random_state=0)
    common = dict(max_iter=estimator.max_iter, tol=None, random_state=estimator.random_state,
                  shuffle=estimator.shuffle, fit_intercept=estimator.fit_intercept)
    if estimator.average:
        # Perceptron has no averaging: SGDClassifier with the perceptron loss,
        # no penalty and a constant step is Rosenblatt's rule, and it averages.
        return SGDClassifier(loss="perceptron", penalty=None, learning_rate="constant",
                             eta0=estimator.learning_rate, average=True, **common)
    return Perceptron(eta0=estimator.learning_rate, **common)


def _sigmoid_counterpart(estimator, n_rows=None):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if estimator is None:
        return LogisticRegression(random_state=0)
    # No penalty (C=inf) and the unit's bias setting, as the sigmoid unit has.
    return LogisticRegression(C=np.inf, fit_intercept=estimator.fit_intercept)


def _hidden_layers(estimator):
    """The widths of a network's hidden layers, whichever class holds them."""
    sizes = getattr(estimator, "hidden_layer_sizes", None)
    return tuple(sizes) if sizes is not None else (estimator.n_hidden,)


def _backprop_counterpart(estimator, n_rows=None):
    from sklearn.neural_network import MLPClassifier

    if estimator is None:
        return MLPClassifier(random_state=0)
    batch = estimator.batch_size
    return MLPClassifier(
        hidden_layer_sizes=_hidden_layers(estimator),
        activation="logistic",
        solver="sgd",
        # Our step for these rows ("auto" resolved as our fit would).
        learning_rate_init=estimator._initial_learning_rate(n_rows or 1),
        momentum=estimator.momentum,
        nesterovs_momentum=estimator.nesterovs_momentum,
        alpha=estimator.alpha,
        batch_size=n_rows if batch is None else (min(200, n_rows) if batch == "auto" else batch),
        max_iter=estimator.max_iter,
        # Every epoch runs, as ours with tol=None.
        tol=0.0,
        n_iter_no_change=estimator.max_iter,
        random_state=estimator.random_state,
    )


def _perceptron_differences(estimator):
    if estimator.average:
        return ("the averaged perceptron on both sides: the same rule, step, epochs and "
                "seed; the order of the rows in each epoch differs")
    return "Rosenblatt's rule on both sides: the same step, epochs and seed; the row order differs"


def _sigmoid_differences(estimator):
    if estimator.loss == "squared_error":
        return ("one sigmoid unit on both sides, no penalty, the same bias setting; "
                "scikit-learn minimises the log loss to convergence, the lessons' unit "
                "descends the squared error for a fixed number of epochs")
    return ("one sigmoid unit and the log loss on both sides, no penalty; scikit-learn "
            "solves to convergence, the unit descends for a fixed number of epochs")


def _backprop_differences(estimator):
    layers = "layer" if len(_hidden_layers(estimator)) == 1 else "layers"
    return (f"the same hidden {layers} of sigmoid units, loss, batch, step, momentum, "
            "penalty and epochs; the initial weights are drawn differently, and "
            "scikit-learn's step stays constant")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the command line.

    Attributes
    ----------
    name : str
        The command line's name of the model.
    class_name : str
        The estimator's class in :mod:`sknn_basic`.
    counterpart_name : str
        The scikit-learn class it is compared with.
    help : str
        One line for ``--help``.
    train_settings : dict
        Parameters of ``train`` before the options apply.
    lesson_settings : dict
        Parameters of the lessons' run of this model (``explain``).
    counterpart : callable
        ``counterpart(estimator, n_rows)``: the scikit-learn estimator
        ``train`` compares the trained one with, set like it; ``counterpart(None)``:
        the one ``compare`` cross-validates.
    differences : callable
        ``differences(estimator)``: one line on what the two sides of
        ``train``'s comparison share and what still differs.
    options : tuple of str
        The options (argparse destinations) that apply to this model.
    """

    name: str
    class_name: str
    counterpart_name: str
    help: str
    train_settings: dict
    lesson_settings: dict
    counterpart: object
    differences: object
    options: tuple = field(default=("epochs", "learning_rate", "seed"))

    def estimator_class(self):
        import sknn_basic

        return getattr(sknn_basic, self.class_name)

    def make(self, settings, args=None):
        """The estimator with ``settings``, then the options given in ``args``.

        ``--hidden`` gives the widths of the hidden layers: one is the model's
        own ``n_hidden``; several make the network of that many hidden layers,
        :class:`~sknn_basic.BackpropClassifier`, with the same settings.
        """
        params = dict(settings)
        cls = self.estimator_class()
        for option in self.options:
            value = getattr(args, option, None) if args is not None else None
            if value is None:
                continue
            if option == "hidden":
                apply_hidden(params, value)
            else:
                params[OPTION_PARAMS[option]] = value
        if "hidden_layer_sizes" in params:
            cls = network_class(params)
        return cls(**params)


# Settings of `train`, per model.  perceptron: Rosenblatt's rule for 100
# epochs, predicting with the averaged weights (the last weights of the plain
# rule on data that are not separable depend on which sample came last:
# 0.575 +- 0.16 test accuracy over seeds on the real file, against 0.750 for
# the average).  sigmoid: the lessons' S3 run.  backprop: the estimator's
# defaults (64 sigmoid hidden units, log loss, step 0.5, momentum 0.9) with a
# full batch like the lessons' and 100 epochs, which learns as well as
# logistic regression here (200 epochs start to overfit the 360 rows).  The
# lessons' own S6 settings barely train: accuracy 0.425.
MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="perceptron",
            class_name="PerceptronClassifier",
            counterpart_name="Perceptron",
            help="Rosenblatt's perceptron (PerceptronClassifier; compared with "
            "sklearn's Perceptron, or SGDClassifier(loss='perceptron', average=True) "
            "when averaged)",
            train_settings=dict(average=True, max_iter=100, tol=None, random_state=0),
            # Rosenblatt's rule as the lessons' gates (S1): a bias, step 1,
            # records in the file's order.
            lesson_settings=dict(learning_rate=1.0, shuffle=False, tol=None, random_state=0),
            counterpart=_perceptron_counterpart,
            differences=_perceptron_differences,
        ),
        ModelSpec(
            name="sigmoid",
            class_name="SigmoidGDClassifier",
            counterpart_name="LogisticRegression",
            help="one sigmoid unit by gradient descent (SigmoidGDClassifier; compared "
            "with sklearn's LogisticRegression)",
            train_settings=dict(S3_PARAMS),
            lesson_settings=dict(S3_PARAMS),
            counterpart=_sigmoid_counterpart,
            differences=_sigmoid_differences,
        ),
        ModelSpec(
            name="backprop",
            class_name="TwoLayerBackpropClassifier",
            counterpart_name="MLPClassifier",
            help="one hidden layer by backpropagation (TwoLayerBackpropClassifier; "
            "compared with sklearn's MLPClassifier)",
            train_settings=dict(batch_size=None, max_iter=100, tol=None, random_state=0),
            lesson_settings=dict(S6_PARAMS),
            counterpart=_backprop_counterpart,
            differences=_backprop_differences,
            options=("epochs", "learning_rate", "hidden", "seed"),
        ),
    )
}


def apply_hidden(params, widths):
    """Set the network parameters of ``--hidden``'s widths in ``params`` (in place).

    One width is the lessons' network's ``n_hidden``; several are the
    ``hidden_layer_sizes`` of :class:`~sknn_basic.BackpropClassifier`, which
    takes the other parameters unchanged.
    """
    if len(widths) == 1:
        params["n_hidden"] = widths[0]
    else:
        params.pop("n_hidden", None)
        params["hidden_layer_sizes"] = tuple(widths)


def network_class(params):
    """The network class that takes ``params`` (see :func:`apply_hidden`)."""
    import sknn_basic

    if "hidden_layer_sizes" in params:
        return sknn_basic.BackpropClassifier
    return sknn_basic.TwoLayerBackpropClassifier


def check_options(spec, args):
    """Refuse an option given for a model it does not apply to."""
    for option, param in OPTION_PARAMS.items():
        if getattr(args, option, None) is not None and option not in spec.options:
            flag = "--" + option.replace("_", "-")
            takers = [s.name for s in MODELS.values() if option in s.options]
            raise UsageError(
                f"{flag} applies only to {' and '.join(takers)}; the {spec.name} model "
                f"has no {param}: leave out {flag}"
            )


def compare_models():
    """``(name, package, estimator)`` rows of ``compare``, each model beside its counterpart.

    Every model at its defaults with ``random_state=0`` where it takes one,
    then the majority-class baseline.
    """
    from sklearn.dummy import DummyClassifier

    rows = []
    for spec in MODELS.values():
        rows.append((spec.class_name, "sknn_basic", spec.estimator_class()(random_state=0)))
        rows.append((spec.counterpart_name, "scikit-learn", spec.counterpart(None)))
    rows.append(("majority class", "scikit-learn", DummyClassifier(strategy="most_frequent")))
    return rows
