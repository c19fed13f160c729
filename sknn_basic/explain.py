"""One training step of one record, quantity by quantity, as the lessons write it.

The lessons show a training step one record at a time: the weighted sum
``h = w·x + b``, the unit's output, the error, the error term ``δ``, the
weight step ``Δw = η δ x`` and, for a network, the same for the hidden
layer.  :func:`explain_step` returns every one of these quantities for one
record and the weights of an estimator (fitted, or freshly drawn the way
``fit`` draws them) or weights given by hand, under the lessons' names and in
the lessons' order.

Nothing is derived here by hand: the forward quantities come from
:func:`sknn_basic.functional.forward_pass` (the weighted sums from the same
pass with an identity output), the output error term from
:func:`~sknn_basic.functional.output_error_term`, and the hidden error terms
and the weight steps from :func:`~sknn_basic.functional.backward_pass`, the
functions the estimators train with.  For one record, the gradient of a
layer's bias *is* minus that layer's error term, which is how the hidden
error term is read off the backward pass.  The perceptron's rule is the
lessons' ``w += η (y − o) x``, ``b += η (y − o)`` with
:func:`~sknn_basic.functional.heaviside` as the step.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import functional as F

__all__ = ["Quantity", "StepExplanation", "explain_step"]

#: The kinds of model :func:`explain_step` knows, by the name the command line uses.
KINDS = ("perceptron", "sigmoid", "backprop")


@dataclass(frozen=True)
class Quantity:
    """One quantity of a training step.

    Attributes
    ----------
    name : str
        The lessons' name in code, e.g. ``"output_error_term"``.
    symbol : str
        The lessons' formula, e.g. ``"δᵒ = (y − ŷ) ŷ (1 − ŷ)"``.
    value : ndarray
        The value; 0-d for a scalar.
    """

    name: str
    symbol: str
    value: np.ndarray

    @property
    def shape(self):
        """Shape of :attr:`value`, ``()`` for a scalar."""
        return self.value.shape


class StepExplanation:
    """The quantities of one training step, in the lessons' order.

    Index it by a quantity's name (``step["output"]`` is the value), iterate
    it for :class:`Quantity` records, or turn it into a table with
    :meth:`to_frame`.

    Attributes
    ----------
    kind : {"perceptron", "sigmoid", "backprop"}
        The model the step belongs to.
    quantities : tuple of Quantity
        Every quantity, in the lessons' order.
    """

    def __init__(self, kind, quantities):
        self.kind = kind
        self.quantities = tuple(quantities)

    def __iter__(self):
        return iter(self.quantities)

    def __len__(self):
        return len(self.quantities)

    def __contains__(self, name):
        return any(q.name == name for q in self.quantities)

    def __getitem__(self, name):
        for quantity in self.quantities:
            if quantity.name == name:
                return quantity.value
        raise KeyError(
            f"no quantity named {name!r}; this {self.kind} step has "
            f"{[q.name for q in self.quantities]}"
        )

    def names(self):
        """The quantities' names, in order."""
        return [q.name for q in self.quantities]

    def to_frame(self):
        """A DataFrame with one row per quantity.

        Returns
        -------
        DataFrame
            Columns ``name``, ``symbol``, ``shape`` and ``value`` (the array).
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "name": [q.name for q in self.quantities],
                "symbol": [q.symbol for q in self.quantities],
                "shape": [q.shape for q in self.quantities],
                "value": [q.value for q in self.quantities],
            }
        )

    def to_text(self, precision=6, indent="  ", width=100):
        """The quantities as aligned text lines: name, symbol, shape, value.

        Parameters
        ----------
        precision : int or None, default=6
            Significant digits of each number, for reading: ``0.24`` rather
            than ``0.24000000000000002``, and ``0`` for a zero of either
            sign.  None prints each number in full (the shortest text that
            reads back as the same float, ``-0.0`` included).
            :meth:`to_frame` always keeps the full values.
        indent : str, default="  "
            Put before every line.
        width : int or None, default=100
            Characters per line: a longer value wraps onto further lines,
            aligned under its start (at least 24 characters are left for the
            value, whatever the width).  None never wraps.

        Returns
        -------
        str
            One line per quantity; a matrix (or a wrapped vector) continues
            on further lines, aligned under its first row.
        """
        name_width = max(len(q.name) for q in self.quantities)
        symbol_width = max(len(q.symbol) for q in self.quantities)
        shape_width = max(len(str(q.shape)) for q in self.quantities)
        if precision is None:
            # repr: the shortest text that reads back as the same float.
            def number(value):
                return repr(float(value))
        else:
            def number(value):
                # + 0.0 turns -0.0 into 0.0: a sign without a value only
                # puzzles a reader.
                return f"{float(value) + 0.0:.{precision}g}"

        lines = []
        for q in self.quantities:
            head = (
                f"{indent}{q.name:<{name_width}}  {q.symbol:<{symbol_width}}  "
                f"{str(q.shape):<{shape_width}}  "
            )
            room = 10**6 if width is None else max(width - len(head), 24)
            value = np.array2string(
                q.value,
                separator=", ",
                max_line_width=room,
                threshold=10**6,
                formatter={"float_kind": number},
            )
            rows = value.split("\n")
            lines.append(head + rows[0])
            lines += [" " * len(head) + row.lstrip() for row in rows[1:]]
        return "\n".join(lines)

    def __repr__(self):
        return f"StepExplanation({self.kind!r}):\n{self.to_text(precision=6)}"


# --------------------------------------------------------------- the model


def _kind_of(estimator):
    """``"perceptron"``, ``"sigmoid"`` or ``"backprop"`` for one of our estimators."""
    from .backprop import BackpropClassifier, TwoLayerBackpropClassifier
    from .perceptron import PerceptronClassifier
    from .sigmoid_gd import SigmoidGDClassifier

    for kind, classes in (
        ("perceptron", PerceptronClassifier),
        ("sigmoid", SigmoidGDClassifier),
        ("backprop", (TwoLayerBackpropClassifier, BackpropClassifier)),
    ):
        if isinstance(estimator, classes):
            return kind
    raise TypeError(
        "explain_step takes a PerceptronClassifier, SigmoidGDClassifier, "
        "TwoLayerBackpropClassifier or BackpropClassifier, or one of the kinds "
        f"{', '.join(map(repr, KINDS))}; got {type(estimator).__name__}."
    )


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except Exception:
        return False
    return True


def _fitted_layers(kind, estimator):
    """The estimator's current weights as layers ``(fan_in, fan_out)`` and biases."""
    if kind == "backprop":
        coefs = [np.array(W) for W in estimator.coefs_]
        intercepts = [np.array(b) for b in estimator.intercepts_]
    else:
        # coef_ is (n_outputs, n_features): its transpose is the layer.
        coefs = [np.array(estimator.coef_.T)]
        intercepts = [np.array(estimator.intercept_)]
    return coefs, intercepts if estimator.fit_intercept else None


def _fresh_layers(kind, estimator, n_features, n_outputs):
    """The weights ``fit`` starts from, drawn by the estimator's own initialisation.

    A copy of the estimator runs the very ``_initialize`` that ``fit`` runs
    first (the perceptron's zeros, the networks' draws from
    ``check_random_state(random_state)`` in the documented order), so the
    explanation starts exactly where training does.
    """
    fresh = clone(estimator)
    fresh._initialize(n_features, n_outputs, check_random_state(fresh.random_state), np.float64)
    return _fitted_layers(kind, fresh)


def _given_layers(kind, weights, intercepts, n_layers=None):
    """Weights given by hand: one array (one layer) or a list of one per layer (backprop).

    ``n_layers`` is the estimator's number of layers where it says (None: two
    or more for a network named by its kind).
    """
    if kind == "backprop":
        if n_layers is not None and len(weights) != n_layers:
            raise ValueError(
                f"weights of this network's step are one array per layer ({n_layers}: "
                f"input to first hidden layer, ..., last hidden layer to output); got "
                f"{len(weights)} array(s)."
            )
        if len(weights) < 2:
            raise ValueError(
                "weights of a backprop step are [weights_input_hidden, "
                "weights_hidden_output] (one array per layer, more for more hidden "
                f"layers); got {len(weights)} array(s)."
            )
        coefs = [np.array(W, dtype=float) for W in weights]
    else:
        coefs = [np.array(weights, dtype=float)]
    coefs = [W.reshape(-1, 1) if W.ndim == 1 else W for W in coefs]
    if intercepts is not None:
        intercepts = [intercepts] if kind != "backprop" else list(intercepts)
        intercepts = [np.array(b, dtype=float).reshape(-1) for b in intercepts]
        if len(intercepts) != len(coefs):
            raise ValueError(
                f"intercepts must hold one bias array per layer ({len(coefs)}), got "
                f"{len(intercepts)}."
            )
    return coefs, intercepts


def _check_shapes(coefs, intercepts, n_features):
    fan_in = n_features
    for i, W in enumerate(coefs):
        if W.ndim != 2 or W.shape[0] != fan_in:
            raise ValueError(
                f"the weights of layer {i + 1} have shape {W.shape}; with "
                f"{fan_in} input(s) they need shape ({fan_in}, n_units)."
            )
        if intercepts is not None and intercepts[i].shape != (W.shape[1],):
            raise ValueError(
                f"the biases of layer {i + 1} have shape {intercepts[i].shape}; "
                f"the layer has {W.shape[1]} unit(s)."
            )
        fan_in = W.shape[1]


def _target(estimator, fitted, y, n_outputs):
    """The output units' target: a class label of a fitted estimator becomes 0/1.

    As ``fit`` and ``partial_fit`` do, a fitted estimator takes only the labels
    it learnt: a single value that is not one of them is refused, never read
    as an output unit's target.  The units' targets (given as an array, or to
    a kind named by string) lie in [0, 1], the range of the units' outputs.
    """
    if fitted and np.ndim(y) == 0 and getattr(estimator, "_multilabel", False):
        raise ValueError(
            f"y={y!r} is one label, but this {type(estimator).__name__} learnt multilabel "
            f"targets: give the target of each of its {n_outputs} label unit(s), 0 or 1, "
            "as an array."
        )
    if fitted and np.ndim(y) == 0:
        # Python values, so that the message reads [0, 1], not [np.int64(0), ...].
        classes = estimator.classes_.tolist()
        if y not in classes:
            raise ValueError(
                f"y={y!r} is not among the classes this {type(estimator).__name__} "
                f"learnt, {classes!r}: explain_step takes one of them (or the target "
                f"of each of its {n_outputs} output unit(s), 0 or 1, as an array)."
            )
        position = classes.index(y)
        if len(classes) == 2:
            return np.array([float(position)])
        return np.eye(len(classes))[position]
    try:
        target = np.array(y, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        target = None
    if (target is None or target.shape != (n_outputs,) or not np.all(np.isfinite(target))
            or np.any(target < 0) or np.any(target > 1)):
        raise ValueError(
            f"y must be a class label of the fitted estimator or the target of its "
            f"{n_outputs} output unit(s) (between 0 and 1 each); got {y!r}."
        )
    return target


def _learning_rate(kind, estimator, fitted, learning_rate):
    if learning_rate is None and estimator is not None:
        if fitted and hasattr(estimator, "learning_rate_"):
            learning_rate = estimator.learning_rate_
        elif hasattr(estimator, "_initial_learning_rate"):
            # The rate a fit on this one record starts with: the estimator's
            # own rule, which also resolves learning_rate="auto" (one batch).
            learning_rate = estimator._initial_learning_rate(1)
        else:
            learning_rate = estimator.learning_rate
    if learning_rate is None:
        raise ValueError(
            f"explain_step({kind!r}, ...) needs a learning rate: pass learning_rate=..."
        )
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real):
        raise TypeError(f"learning_rate must be a number, got {learning_rate!r}.")
    learning_rate = float(learning_rate)
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite number > 0, got {learning_rate}.")
    return learning_rate


# ------------------------------------------------------------- the steps


def _squeezed(value, keep_columns):
    """Drop the single output unit's axis, as the lessons write one unit."""
    value = np.asarray(value, dtype=float)
    if not keep_columns and value.ndim >= 1 and value.shape[-1] == 1:
        return value[..., 0]
    return value


def _perceptron_step(x, y, eta, coefs, intercepts, one_unit):
    def q(name, symbol, value):
        return Quantity(name, symbol, _squeezed(value, not one_unit))

    W = coefs[0]
    quantities = [q("weights", "w", W)]
    if intercepts is not None:
        quantities.append(q("bias", "b", intercepts[0]))
    # h through the forward pass with an identity output: the same product
    # (and bias) the estimator's decision function computes.
    (h,) = F.forward_pass(x, coefs, intercepts, output_activation="identity")
    quantities += [q("h", "h = w·x" + (" + b" if intercepts is not None else ""), h), q("output", "o = step(h)", F.heaviside(h))]
    if y is None:
        return quantities
    error = y - F.heaviside(h)
    delta_w = eta * np.multiply.outer(x, error)
    quantities += [q("error", "y − o", error), q("delta_weights", "Δw = η (y − o) x", delta_w)]
    if intercepts is not None:
        quantities.append(q("delta_bias", "Δb = η (y − o)", eta * error))
    quantities.append(q("new_weights", "w + Δw", W + delta_w))
    if intercepts is not None:
        quantities.append(q("new_bias", "b + Δb", intercepts[0] + eta * error))
    return quantities


def _gradients(x, y, outputs, coefs, spec):
    """Every layer's weight and bias gradients for the record, by the training backward pass."""
    return F.backward_pass(
        x, y, outputs, coefs, loss=spec["loss"], hidden_activation=spec["hidden_activation"],
        output_activation=spec["output_activation"], alpha=spec["alpha"], fit_intercept=True,
    )


def _network_step(kind, x, y, eta, coefs, intercepts, spec, one_unit):
    """Forward and backward quantities of the sigmoid unit (one layer) or the network."""

    def q(name, symbol, value, per_unit=True):
        return Quantity(name, symbol, _squeezed(value, not (one_unit and per_unit)))

    def plus_b(layer):
        return f" + b{layer}" if intercepts is not None else ""

    if len(coefs) > 2:
        return _deep_network_step(x, y, eta, coefs, intercepts, spec, q)
    two = kind == "backprop"
    names = (
        [("weights_input_hidden", "W⁽¹⁾", "bias_hidden", "b⁽¹⁾"),
         ("weights_hidden_output", "W⁽²⁾", "bias_output", "b⁽²⁾")]
        if two else [("weights", "w", "bias", "b")]
    )
    quantities = []
    for i, (w_name, w_symbol, b_name, b_symbol) in enumerate(names):
        quantities.append(q(w_name, w_symbol, coefs[i], per_unit=i == len(coefs) - 1))
        if intercepts is not None:
            quantities.append(q(b_name, b_symbol, intercepts[i], per_unit=i == len(coefs) - 1))

    outputs = F.forward_pass(
        x, coefs, intercepts, hidden_activation=spec["hidden_activation"],
        output_activation=spec["output_activation"],
    )
    output = outputs[-1]
    if two:
        hidden_input = F.forward_pass(x, coefs[:1], intercepts and intercepts[:1],
                                      output_activation="identity")[0]
        output_in = F.forward_pass(outputs[0], coefs[1:], intercepts and intercepts[1:],
                                   output_activation="identity")[0]
        f = "σ" if spec["hidden_activation"] == "sigmoid" else spec["hidden_activation"]
        quantities += [
            q("hidden_input", "h⁽¹⁾ = x W⁽¹⁾" + plus_b("⁽¹⁾"), hidden_input, per_unit=False),
            q("hidden_output", f"a = {f}(h⁽¹⁾)", outputs[0], per_unit=False),
            q("output_layer_in", "h⁽²⁾ = a W⁽²⁾" + plus_b("⁽²⁾"), output_in),
            q("output", f"ŷ = {_output_name(spec)}(h⁽²⁾)", output),
        ]
    else:
        h = F.forward_pass(x, coefs, intercepts, output_activation="identity")[0]
        quantities += [
            q("h", "h = w·x" + plus_b(""), h),
            q("output", f"ŷ = {_output_name(spec)}(h)", output),
        ]
    if y is None:
        return quantities

    loss = spec["loss"]
    error_term = F.output_error_term(y, output, loss=loss)
    # For one record a layer's bias gradient is minus its error term, so
    # the backward pass the estimators run also gives the hidden error term.
    coef_grads, bias_grads = _gradients(x, y, outputs, coefs, spec)
    term_symbol = "δᵒ = (y − ŷ) ŷ (1 − ŷ)" if loss == "squared_error" else "δᵒ = y − ŷ"
    quantities += [
        q("error", "y − ŷ", y - output),
        q("output_error_term" if two else "error_term", term_symbol if two else term_symbol.replace("ᵒ", ""), error_term),
    ]
    steps = [-eta * g for g in coef_grads]
    bias_steps = [-eta * g for g in bias_grads]
    if two:
        slope = "a (1 − a)" if spec["hidden_activation"] == "sigmoid" else "f′(h⁽¹⁾)"
        quantities += [
            q("hidden_error_term", f"δʰ = (δᵒ W⁽²⁾ᵀ) {slope}", -bias_grads[0], per_unit=False),
            q("delta_weights_hidden_output", "ΔW⁽²⁾ = η δᵒ a", steps[1]),
            q("delta_weights_input_hidden", "ΔW⁽¹⁾ = η δʰ x", steps[0], per_unit=False),
        ]
        if intercepts is not None:
            quantities += [
                q("delta_bias_output", "Δb⁽²⁾ = η δᵒ", bias_steps[1]),
                q("delta_bias_hidden", "Δb⁽¹⁾ = η δʰ", bias_steps[0], per_unit=False),
            ]
        quantities += [
            q("new_weights_input_hidden", "W⁽¹⁾ + ΔW⁽¹⁾", coefs[0] + steps[0], per_unit=False),
            q("new_weights_hidden_output", "W⁽²⁾ + ΔW⁽²⁾", coefs[1] + steps[1]),
        ]
        if intercepts is not None:
            quantities += [
                q("new_bias_hidden", "b⁽¹⁾ + Δb⁽¹⁾", intercepts[0] + bias_steps[0],
                  per_unit=False),
                q("new_bias_output", "b⁽²⁾ + Δb⁽²⁾", intercepts[1] + bias_steps[1]),
            ]
    else:
        quantities.append(q("delta_weights", "Δw = η δ x", steps[0]))
        if intercepts is not None:
            quantities.append(q("delta_bias", "Δb = η δ", bias_steps[0]))
        quantities.append(q("new_weights", "w + Δw", coefs[0] + steps[0]))
        if intercepts is not None:
            quantities.append(q("new_bias", "b + Δb", intercepts[0] + bias_steps[0]))
    return quantities


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _layer_mark(layer):
    """The lessons' layer superscript: 2 -> ⁽²⁾."""
    return f"⁽{str(layer).translate(_SUPERSCRIPTS)}⁾"


def _deep_network_step(x, y, eta, coefs, intercepts, spec, q):
    """The step of a network of two or more hidden layers, named layer by layer.

    Layer ``l`` (1 for the input's, ``L`` for the output's) has weights
    ``weights_l`` (W⁽ˡ⁾), biases ``bias_l``; a hidden layer's weighted sums are
    ``hidden_input_l`` and its outputs ``hidden_output_l``; its error term
    ``hidden_error_term_l`` is the next layer's carried back through that
    layer's weights and multiplied by the slope, the lessons' rule once per
    layer; each layer steps by ``delta_weights_l = η δ⁽ˡ⁾ a⁽ˡ⁻¹⁾`` (a⁽⁰⁾ = x).
    """
    n = len(coefs)
    last = n - 1
    mark = [_layer_mark(i + 1) for i in range(n)]
    quantities = []
    for i in range(n):
        quantities.append(q(f"weights_{i + 1}", f"W{mark[i]}", coefs[i], per_unit=i == last))
        if intercepts is not None:
            quantities.append(q(f"bias_{i + 1}", f"b{mark[i]}", intercepts[i],
                                per_unit=i == last))
    outputs = F.forward_pass(
        x, coefs, intercepts, hidden_activation=spec["hidden_activation"],
        output_activation=spec["output_activation"],
    )
    f = "σ" if spec["hidden_activation"] == "sigmoid" else spec["hidden_activation"]
    for i in range(n):
        layer_input = x if i == 0 else outputs[i - 1]
        a_in = "x" if i == 0 else f"a{mark[i - 1]}"
        bias = f" + b{mark[i]}" if intercepts is not None else ""
        weighted = F.forward_pass(layer_input, coefs[i:i + 1],
                                  intercepts and intercepts[i:i + 1],
                                  output_activation="identity")[0]
        if i < last:
            quantities += [
                q(f"hidden_input_{i + 1}", f"h{mark[i]} = {a_in} W{mark[i]}{bias}", weighted,
                  per_unit=False),
                q(f"hidden_output_{i + 1}", f"a{mark[i]} = {f}(h{mark[i]})", outputs[i],
                  per_unit=False),
            ]
        else:
            quantities += [
                q("output_layer_in", f"h{mark[i]} = {a_in} W{mark[i]}{bias}", weighted),
                q("output", f"ŷ = {_output_name(spec)}(h{mark[i]})", outputs[i]),
            ]
    if y is None:
        return quantities
    loss = spec["loss"]
    output = outputs[-1]
    coef_grads, bias_grads = _gradients(x, y, outputs, coefs, spec)
    term = "(y − ŷ) ŷ (1 − ŷ)" if loss == "squared_error" else "y − ŷ"
    quantities += [
        q("error", "y − ŷ", y - output),
        q("output_error_term", f"δ{mark[last]} = {term}", F.output_error_term(y, output,
                                                                           loss=loss)),
    ]
    slope = "a (1 − a)" if spec["hidden_activation"] == "sigmoid" else "f′(h)"
    for i in range(last - 1, -1, -1):
        # For one record a layer's bias gradient is minus its error term.
        quantities.append(q(
            f"hidden_error_term_{i + 1}",
            f"δ{mark[i]} = (δ{mark[i + 1]} W{mark[i + 1]}ᵀ) {slope}",
            -bias_grads[i], per_unit=False,
        ))
    steps = [-eta * g for g in coef_grads]
    bias_steps = [-eta * g for g in bias_grads]
    for i in range(last, -1, -1):
        a_in = "x" if i == 0 else f"a{mark[i - 1]}"
        quantities.append(q(f"delta_weights_{i + 1}", f"ΔW{mark[i]} = η δ{mark[i]} {a_in}",
                            steps[i], per_unit=i == last))
        if intercepts is not None:
            quantities.append(q(f"delta_bias_{i + 1}", f"Δb{mark[i]} = η δ{mark[i]}",
                                bias_steps[i], per_unit=i == last))
    for i in range(n):
        quantities.append(q(f"new_weights_{i + 1}", f"W{mark[i]} + ΔW{mark[i]}",
                            coefs[i] + steps[i], per_unit=i == last))
        if intercepts is not None:
            quantities.append(q(f"new_bias_{i + 1}", f"b{mark[i]} + Δb{mark[i]}",
                                intercepts[i] + bias_steps[i], per_unit=i == last))
    return quantities


def _output_name(spec):
    return "softmax" if spec["output_activation"] == "softmax" else "σ"


def _network_spec(kind, estimator, n_outputs):
    """Loss, activations and penalty of the step, as the estimator trains."""
    if estimator is None:
        # A kind given by name is the lessons' model: squared error, sigmoids.
        return dict(loss="squared_error", hidden_activation="sigmoid",
                    output_activation="sigmoid", alpha=0.0)
    # The estimator's own answers, so that the step explained is the one it takes.
    return dict(
        loss=estimator._loss(),
        hidden_activation=estimator._hidden_activation_name(),
        output_activation=estimator._output_activation(n_outputs),
        alpha=float(estimator.alpha),
    )


def explain_step(
    estimator_or_kind, x, y=None, *, learning_rate=None, weights=None, intercepts=None
):
    """Every quantity of one training step on one record, as the lessons write it.

    Parameters
    ----------
    estimator_or_kind : estimator or {"perceptron", "sigmoid", "backprop"}
        A :class:`~sknn_basic.PerceptronClassifier`,
        :class:`~sknn_basic.SigmoidGDClassifier`,
        :class:`~sknn_basic.TwoLayerBackpropClassifier` or
        :class:`~sknn_basic.BackpropClassifier`: its loss, activations,
        bias setting and learning rate are used, and its weights: the current
        ones if it is fitted, else the ones ``fit`` would start from (zeros for
        the perceptron; drawn from its ``random_state`` for the others).  Or
        the name of a kind: the lessons' model of that kind (squared error,
        sigmoid units, no bias unless ``intercepts`` are given), whose
        ``weights`` and ``learning_rate`` must then be given.
    x : array-like of shape (n_features,)
        One record.
    y : label, float, array-like or None, default=None
        Its target: a class label of a fitted estimator, or the target of the
        output unit(s) (0 or 1; one value per unit).  None explains the
        forward pass only (the lessons' S4).
    learning_rate : float or None, default=None
        The step size ``η``; None takes the fitted estimator's
        ``learning_rate_``, or else the rate a fit of the estimator on this
        one record starts with: its ``learning_rate``, and for
        ``learning_rate="auto"`` what "auto" gives for one batch (2.0 for
        :class:`~sknn_basic.SigmoidGDClassifier`).
    weights : array-like, list of two array-likes, or None, default=None
        Weights to start the step from instead of the estimator's: the unit's
        weights ``(n_features,)`` (or ``(n_features, n_units)``) for the
        perceptron and the sigmoid unit, ``[weights_input_hidden,
        weights_hidden_output]`` for the network, one array per layer for a
        network of several hidden layers.
    intercepts : array-like, list of two array-likes, or None, default=None
        Biases to go with ``weights`` (None: zero biases if the estimator fits
        intercepts, no biases for a kind given by name).

    Returns
    -------
    StepExplanation
        The quantities in the lessons' order, each with its name, the
        lessons' symbol, its shape and its value: the record and target, the
        learning rate, the weights, the weighted sums ``h``, the outputs, the
        error, the error terms (for the network, the hidden layer's too), each
        weight step ``Δw = η δ x`` and the weights after the step.  A network
        of one hidden layer uses the lessons' names (``weights_input_hidden``,
        ``hidden_error_term``...); one of several hidden layers numbers its
        layers from the input's side (``weights_1``, ``hidden_output_2``,
        ``hidden_error_term_1``...), with every hidden layer's error term.  A single
        output unit's quantities are shown without its unit axis, as the
        lessons write them.  :meth:`StepExplanation.to_frame` gives one row per
        quantity.

    Notes
    -----
    The step is the lessons' plain rule for one record, which is what ``fit``
    does on a batch of that single record, and what ``partial_fit`` does
    with it except that a network's ``partial_fit`` also trains on rows of
    its earlier calls (``replay_size=0`` turns that off).  Momentum is not part of it: a
    network fitted with ``momentum > 0`` adds ``momentum`` times its previous
    step to the next one.  With ``alpha > 0`` the weight steps include the L2
    term ``-η α w``.  A perceptron fitted with ``average=True`` predicts with
    averaged weights; those are the ones used here, not the running weights
    its rule updates.

    Examples
    --------
    The lessons' step of one sigmoid unit (S2):

    >>> from sknn_basic.explain import explain_step
    >>> step = explain_step("sigmoid", [0.1, 0.3], 0.2, weights=[-0.8, 0.5],
    ...                     learning_rate=0.5)
    >>> step.names()[:6]
    ['x', 'y', 'learning_rate', 'weights', 'h', 'output']
    >>> print(step["delta_weights"].round(6))
    [-0.003964 -0.011891]
    """
    if isinstance(estimator_or_kind, str):
        if estimator_or_kind not in KINDS:
            raise ValueError(
                f"kind must be one of {', '.join(map(repr, KINDS))}, got {estimator_or_kind!r}."
            )
        kind, estimator, fitted = estimator_or_kind, None, False
        if weights is None:
            raise ValueError(f"explain_step({kind!r}, ...) needs weights=...: no estimator holds them.")
    else:
        estimator = estimator_or_kind
        kind = _kind_of(estimator)
        fitted = _is_fitted(estimator)

    x = np.array(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be one record: a 1-D array of finite numbers, got shape {x.shape}.")

    if weights is not None:
        n_layers = None
        if estimator is not None and hasattr(estimator, "_hidden_sizes"):
            n_layers = len(estimator._hidden_sizes()) + 1
        coefs, biases = _given_layers(kind, weights, intercepts, n_layers)
        if biases is None and estimator is not None and estimator.fit_intercept:
            biases = [np.zeros(W.shape[1]) for W in coefs]
        if estimator is not None and not estimator.fit_intercept:
            biases = None
    elif fitted:
        coefs, biases = _fitted_layers(kind, estimator)
    else:
        n_outputs = 1 if y is None or np.ndim(y) == 0 else np.size(y)
        coefs, biases = _fresh_layers(kind, estimator, x.size, n_outputs)
    _check_shapes(coefs, biases, x.size)
    n_outputs = coefs[-1].shape[1]
    one_unit = n_outputs == 1

    quantities = [Quantity("x", "x", x)]
    target = None
    if y is not None:
        target = _target(estimator, fitted, y, n_outputs)
        quantities.append(
            Quantity("target" if kind == "backprop" else "y", "y", _squeezed(target, not one_unit))
        )
        eta = _learning_rate(kind, estimator, fitted, learning_rate)
        quantities.append(Quantity("learning_rate", "η", np.array(eta)))
    else:
        eta = None
    if kind == "perceptron":
        quantities += _perceptron_step(x, target, eta, coefs, biases, one_unit)
    else:
        spec = _network_spec(kind, estimator, n_outputs)
        quantities += _network_step(kind, x, target, eta, coefs, biases, spec, one_unit)
    return StepExplanation(kind, quantities)
