"""ONNX export: skl2onnx converters for every estimator of the package.

Importing this module registers, with skl2onnx, a parser, a shape calculator
and a converter for :class:`~sknn_basic.PerceptronClassifier`,
:class:`~sknn_basic.SigmoidGDClassifier`,
:class:`~sknn_basic.TwoLayerBackpropClassifier`,
:class:`~sknn_basic.TwoLayerBackpropRegressor`,
:class:`~sknn_basic.BackpropClassifier`, :class:`~sknn_basic.BackpropRegressor`
(networks of any depth; not yet a multilabel classifier) and
:class:`~sknn_basic.AdmissionsPreprocessor`, so that ``skl2onnx.to_onnx``
converts them alone or inside a scikit-learn pipeline.  :func:`to_onnx` is
the same call with the registration guaranteed.  It needs the extra ``onnx``
(``pip install "sknn-basic[onnx]"``: skl2onnx, and onnxruntime to run the
graphs).

The graphs compute what ``predict``, ``predict_proba`` and
``decision_function`` compute, in the input's floating type (float32 for a
``FloatTensorType`` input, float64 for a ``DoubleTensorType`` one):

* the layers of the fitted ``coefs_`` and ``intercepts_`` (``coef_`` and
  ``intercept_`` for the single-layer models), however many there are, with
  the hidden activation between them;
* classifiers have two outputs, ``label`` (shape ``(n,)``: the class label,
  int64 for integer, boolean or integral float labels, string for text
  labels) and ``probabilities`` (shape ``(n, n_classes)``): the columns of
  ``predict_proba``, or, for the perceptron and with the option
  ``raw_scores=True``, decision values (for two classes the columns
  ``-decision_function(X)`` and ``decision_function(X)``, as skl2onnx gives
  for scikit-learn's linear classifiers).  The options ``zipmap`` (default
  True: a list of dictionaries, as for every skl2onnx classifier; False
  keeps the matrix) and ``nocl`` (labels as indices into ``classes_``) mean
  what they mean for scikit-learn's classifiers;
* the regressor has one output, ``variable``, of shape ``(n, n_outputs)``
  (one column for a 1-D target, which ``predict`` returns as a vector);
* the preprocessor takes either one tensor of the columns ``gre, gpa, rank``
  or three inputs named ``gre``, ``gpa`` and ``rank`` (what
  ``skl2onnx.to_onnx`` makes of a DataFrame), and gives its six columns.

Labels follow ``predict`` to its ties: the perceptron's step fires at zero,
a two-class network picks ``classes_[1]`` where ``p > 1 - p`` for the
sigmoid output ``p`` (computed as ``1 / (1 + exp(-z))``, as ``predict``
does, so that saturated outputs tie as they do there), and several classes
take the first largest value.

A graph does not validate its input, as no skl2onnx graph does: where
``predict`` or ``transform`` raise (NaN or infinite values, decision values
that overflow, a rank outside 1..4 with ``handle_unknown="error"``), the
graph returns non-finite values instead.  With ``handle_unknown="error"``
the four rank columns of a row with an unknown rank are NaN, so that its
probabilities are NaN rather than a plausible number; with ``"ignore"``
they are zeros, as ``transform`` gives.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from sknn_basic import PerceptronClassifier
>>> from sknn_basic.onnx import to_onnx
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
>>> gate = PerceptronClassifier(random_state=0).fit(X, [0, 0, 0, 1])
>>> graph = to_onnx(gate, X, options={"zipmap": False})
>>> session = ort.InferenceSession(graph.SerializeToString(),
...                                providers=["CPUExecutionProvider"])
>>> labels, scores = session.run(None, {"X": X})
>>> labels.tolist()
[0, 0, 0, 1]
>>> bool(np.allclose(scores[:, 1], gate.decision_function(X)))
True
"""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

try:
    import skl2onnx
    from onnx import TensorProto, numpy_helper
    from skl2onnx import update_registered_converter
    from skl2onnx._parse import _apply_zipmap
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as exc:  # pragma: no cover - exercised where skl2onnx is absent
    raise ImportError(
        "sknn_basic.onnx needs skl2onnx (and onnxruntime to run the graphs): "
        'pip install "sknn-basic[onnx]".'
    ) from exc

from ._lessons import INPUT_COLUMNS, NUMERIC_COLUMNS, RANKS
from .backprop import (
    BackpropClassifier,
    BackpropRegressor,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)
from .perceptron import PerceptronClassifier
from .preprocessing import AdmissionsPreprocessor
from .sigmoid_gd import SigmoidGDClassifier

__all__ = ["to_onnx", "register_converters"]

#: The ONNX operator of each activation the estimators name; sigmoid is
#: written out (see _activation) and identity needs no operator.
_ACTIVATION_OPS = {"tanh": "Tanh", "relu": "Relu", "softmax": "Softmax"}

_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
_NETWORK_CLASSIFIER_OPTIONS = {**_CLASSIFIER_OPTIONS, "raw_scores": [False, True]}

#: Class -> (alias, options) of every converter this module registers.
_CLASSIFIERS = {
    PerceptronClassifier: ("SknnBasicPerceptronClassifier", _CLASSIFIER_OPTIONS),
    SigmoidGDClassifier: ("SknnBasicSigmoidGDClassifier", _NETWORK_CLASSIFIER_OPTIONS),
    TwoLayerBackpropClassifier: (
        "SknnBasicTwoLayerBackpropClassifier", _NETWORK_CLASSIFIER_OPTIONS,
    ),
    BackpropClassifier: ("SknnBasicBackpropClassifier", _NETWORK_CLASSIFIER_OPTIONS),
}
_REGRESSORS = {
    TwoLayerBackpropRegressor: "SknnBasicTwoLayerBackpropRegressor",
    BackpropRegressor: "SknnBasicBackpropRegressor",
}
_PREPROCESSOR_ALIAS = "SknnBasicAdmissionsPreprocessor"


def to_onnx(model, X=None, **kwargs):
    """Convert ``model`` (ours, or a pipeline holding ours) to an ONNX graph.

    ``skl2onnx.to_onnx`` with this module's converters registered; every
    keyword (``initial_types``, ``options``, ``target_opset``, ...) is
    skl2onnx's.

    Parameters
    ----------
    model : estimator or Pipeline
        Fitted.
    X : array-like or DataFrame, default=None
        A few rows of the input, from which skl2onnx takes the input's type:
        float32 rows give a float32 graph, float64 rows a float64 one.
    **kwargs
        Passed to ``skl2onnx.to_onnx``.

    Returns
    -------
    onnx.ModelProto
        The graph; ``SerializeToString()`` gives what ONNX Runtime loads.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        Where one of our estimators is not fitted.
    ValueError
        Where a fitted model has something the graph cannot express (class
        labels that are neither integers nor strings, an activation without
        an ONNX form).
    """
    register_converters()
    return skl2onnx.to_onnx(model, X, **kwargs)


def register_converters():
    """Register this module's parsers, shape calculators and converters with skl2onnx.

    Importing :mod:`sknn_basic.onnx` has done it already; calling it again
    does no harm.
    """
    for cls, (alias, options) in _CLASSIFIERS.items():
        update_registered_converter(
            cls, alias, _classifier_shapes, _convert_classifier,
            parser=_parse_classifier, options=options, overwrite=True,
        )
    for cls, alias in _REGRESSORS.items():
        update_registered_converter(
            cls, alias, _regressor_shapes, _convert_regressor,
            parser=_parse_regressor, overwrite=True,
        )
    update_registered_converter(
        AdmissionsPreprocessor, _PREPROCESSOR_ALIAS, _preprocessor_shapes,
        _convert_preprocessor, parser=_parse_preprocessor, overwrite=True,
    )


# ------------------------------------------------------------------ checks


def _check_fitted(model):
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(model).__name__} is not fitted: fit it before converting it to "
            "ONNX (the graph holds the fitted weights)."
        ) from exc


def _label_classes(model):
    """``classes_`` as the graph's labels: int64 or str, or a clear error."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "iub":
        if classes.dtype.kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
            raise ValueError(
                f"{type(model).__name__}'s class labels {classes.tolist()!r} exceed int64, "
                "the largest integer label ONNX holds. Relabel the classes (for example "
                "with sklearn.preprocessing.LabelEncoder) before fitting."
            )
        return classes.astype(np.int64)
    values = classes.tolist()
    if classes.dtype.kind == "f":
        if np.all(np.isfinite(classes)) and np.all(classes == np.round(classes)):
            return classes.astype(np.int64)
    elif all(isinstance(c, str) for c in values):
        return np.array(values, dtype=object)
    raise ValueError(
        f"{type(model).__name__}'s class labels {classes.tolist()!r} are neither integers "
        "nor strings: an ONNX label output holds int64 or string values. Fit on integer "
        "or string labels to convert this model."
    )


def _compute_type(variable):
    """(numpy dtype, tensor type class) the graph computes in for this input."""
    if isinstance(variable.type, DoubleTensorType):
        return np.float64, DoubleTensorType
    return np.float32, FloatTensorType


# ----------------------------------------------------------------- parsers


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    _check_fitted(model)
    if getattr(model, "_multilabel", False):
        # The graph gives one label per row; a multilabel model's answer is a row of 0/1.
        raise NotImplementedError(
            f"{type(model).__name__} fitted on multilabel targets cannot be converted to "
            "ONNX yet: the converter writes one label per row. Convert a model fitted on "
            "a 1-D y, or predict with the model itself."
        )
    classes = _label_classes(model)
    alias = _CLASSIFIERS[type(model)][0]
    operator = scope.declare_local_operator(alias, model)
    operator.inputs = inputs
    label_type = StringTensorType() if classes.dtype == object else Int64TensorType()
    if scope.get_options(model, {"nocl": False})["nocl"]:
        label_type = Int64TensorType()
    operator.outputs.append(scope.declare_local_variable("label", label_type))
    operator.outputs.append(
        scope.declare_local_variable("probabilities", _compute_type(inputs[0])[1]())
    )
    zipmap = scope.get_options(model, {"zipmap": True})["zipmap"]
    if zipmap is False:
        return list(operator.outputs)
    # skl2onnx's ZipMap keys integral float and boolean labels by their int64 values.
    return _apply_zipmap(zipmap, scope, model, inputs[0].type, operator.outputs)


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    _check_fitted(model)
    operator = scope.declare_local_operator(_REGRESSORS[type(model)], model)
    operator.inputs = inputs
    operator.outputs.append(
        scope.declare_local_variable("variable", _compute_type(inputs[0])[1]())
    )
    return list(operator.outputs)


def _parse_preprocessor(scope, model, inputs, custom_parsers=None):
    _check_fitted(model)
    _preprocessor_inputs(model, inputs)
    operator = scope.declare_local_operator(_PREPROCESSOR_ALIAS, model)
    operator.inputs = inputs
    dtype = _preprocessor_type(inputs)
    operator.outputs.append(scope.declare_local_variable("variable", dtype()))
    return list(operator.outputs)


def _preprocessor_inputs(model, inputs):
    """The inputs as (gre, gpa, rank) columns: one tensor of three, or three named inputs."""
    if len(inputs) == 1:
        width = inputs[0].get_second_dimension()
        if width not in (None, len(INPUT_COLUMNS)):
            raise ValueError(
                f"{type(model).__name__}'s ONNX graph needs the columns gre, gpa, rank: "
                f"one input of 3 columns, got one of {width}. Convert with X holding "
                "those three columns (in that order)."
            )
        return None
    by_name = {variable.onnx_name: variable for variable in inputs}
    by_name.update({variable.raw_name: variable for variable in inputs})
    wanted = INPUT_COLUMNS
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise ValueError(
            f"{type(model).__name__}'s ONNX graph needs one input of the 3 columns gre, "
            f"gpa, rank, or inputs named gre, gpa and rank; missing {missing} among the "
            f"inputs {[v.raw_name for v in inputs]}."
        )
    return [by_name[name] for name in wanted]


def _preprocessor_type(inputs):
    if any(isinstance(v.type, DoubleTensorType) for v in inputs):
        return DoubleTensorType
    if len(inputs) > 1 and not any(isinstance(v.type, FloatTensorType) for v in inputs):
        # Integer columns of a DataFrame: the transformer works in float64.
        return DoubleTensorType
    return FloatTensorType


# --------------------------------------------------------- shape calculators


def _classifier_shapes(operator):
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    label_type = type(operator.outputs[0].type)
    operator.outputs[0].type = label_type([n])
    operator.outputs[1].type = _compute_type(operator.inputs[0])[1]([n, len(model.classes_)])


def _regressor_shapes(operator):
    n = operator.inputs[0].get_first_dimension()
    width = operator.raw_operator.coefs_[-1].shape[1]
    operator.outputs[0].type = _compute_type(operator.inputs[0])[1]([n, width])


def _preprocessor_shapes(operator):
    n = operator.inputs[0].get_first_dimension()
    dtype = _preprocessor_type(operator.inputs)
    operator.outputs[0].type = dtype([n, len(NUMERIC_COLUMNS) + len(RANKS)])


# ---------------------------------------------------------------- converters


class _Graph:
    """Adds nodes and constants of one operator to the ONNX container."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, dtype
        self.proto = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT

    def constant(self, value, hint, dtype=None):
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.scope.get_unique_variable_name(hint)
        if array.dtype == object:
            self.container.add_initializer(
                name, TensorProto.STRING, list(array.shape),
                [str(s).encode("utf-8") for s in array.ravel()],
            )
        else:
            # from_array keeps every bit of the fitted weights.
            self.container.add_initializer(name, None, None, numpy_helper.from_array(array))
        return name

    def node(self, op_type, inputs, output=None, **attrs):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type, list(inputs), [output],
            name=self.scope.get_unique_operator_name(op_type), **attrs,
        )
        return output

    def cast_input(self, variable):
        """The input in the compute type (integer inputs are cast)."""
        if _compute_type(variable)[0] == self.dtype and not isinstance(
            variable.type, Int64TensorType
        ):
            return variable.full_name
        return self.node("Cast", [variable.full_name], to=self.proto)

    def activation(self, name, z, output=None):
        if name == "identity":
            return self.node("Identity", [z], output) if output else z
        if name == "sigmoid":
            # 1 / (1 + exp(-z)), as the estimators compute it: ONNX Runtime's
            # Sigmoid rounds saturated outputs differently, which would break
            # predict's ties between saturated units.
            e = self.node("Exp", [self.node("Neg", [z])])
            return self.node("Reciprocal", [self.node("Add", [e, self.constant(1, "one")])],
                             output)
        if name not in _ACTIVATION_OPS:
            raise ValueError(
                f"sknn_basic.onnx has no ONNX form of the activation {name!r}; "
                f"it converts {sorted(['identity', 'sigmoid', *_ACTIVATION_OPS])}."
            )
        attrs = {"axis": 1} if name == "softmax" else {}
        return self.node(_ACTIVATION_OPS[name], [z], output, **attrs)


def _layers(model):
    """(weights of shape (fan_in, fan_out), biases or None) per layer, input first.

    The perceptron always adds its intercept (zero without fit_intercept),
    the networks only with fit_intercept: what each ``_decision_values`` does.
    """
    if hasattr(model, "coefs_"):
        return [(W, b if model.fit_intercept else None)
                for W, b in zip(model.coefs_, model.intercepts_)]
    adds = isinstance(model, PerceptronClassifier) or model.fit_intercept
    return [(model.coef_.T, model.intercept_ if adds else None)]


def _decision_values(graph, model, X):
    """The output layer's pre-activation: the hidden layers, then the last product."""
    layers = _layers(model)
    hidden = model._hidden_activation_name() if len(layers) > 1 else None
    h = X
    for i, (W, b) in enumerate(layers):
        h = graph.node("MatMul", [h, graph.constant(W, f"coef_{i}")])
        if b is not None:
            h = graph.node("Add", [h, graph.constant(b, f"intercept_{i}")])
        if i < len(layers) - 1:
            h = graph.activation(hidden, h)
    return h


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    dtype = _compute_type(operator.inputs[0])[0]
    graph = _Graph(scope, container, dtype)
    defaults = {"nocl": False}
    if "raw_scores" in _CLASSIFIERS[type(model)][1]:
        defaults["raw_scores"] = False
    options = container.get_options(model, defaults)
    z = _decision_values(graph, model, graph.cast_input(operator.inputs[0]))
    label_out, second_out = operator.outputs[0].full_name, operator.outputs[1].full_name
    n_classes = len(model.classes_)
    raw = options.get("raw_scores", True)

    if isinstance(model, PerceptronClassifier):
        # The Heaviside step fires at zero: classes_[1] where z >= 0.
        fires = graph.node("Not", [graph.node("Less", [z, graph.constant(0, "zero")])])
        index = graph.node("Cast", [fires], to=TensorProto.INT64) if n_classes == 2 else None
        decider = z
    else:
        activation = model._output_activation()
        outputs = graph.activation(activation, z)
        if n_classes == 2:
            complement = graph.node("Sub", [graph.constant(1, "one"), outputs])
            # predict's rule on the rounded outputs: p > 1 - p.
            index = graph.node("Cast", [graph.node("Greater", [outputs, complement])],
                               to=TensorProto.INT64)
            probabilities = [complement, outputs]
        else:
            index = None
            if activation == "sigmoid":
                outputs = _normalised(graph, outputs, n_classes)
            probabilities = outputs
        decider = outputs

    if index is None:
        index = graph.node("ArgMax", [decider], axis=1, keepdims=0)
    else:
        index = graph.node("Reshape", [index, graph.constant([-1], "flat", np.int64)])

    if raw:
        if n_classes == 2:
            graph.node("Concat", [graph.node("Neg", [z]), z], second_out, axis=1)
        else:
            graph.node("Identity", [z], second_out)
    elif n_classes == 2:
        graph.node("Concat", probabilities, second_out, axis=1)
    else:
        graph.node("Identity", [probabilities], second_out)

    if options["nocl"]:
        graph.node("Identity", [index], label_out)
    else:
        classes = _label_classes(model)
        graph.node("Gather", [graph.constant(classes, "classes", classes.dtype), index],
                   label_out, axis=0)


def _normalised(graph, outputs, n_classes):
    """Sigmoid outputs scaled to sum to 1 per row; rows summing to 0 become uniform."""
    totals = graph.node("MatMul", [outputs, graph.constant(np.ones((n_classes, 1)), "ones")])
    empty = graph.node("Equal", [totals, graph.constant(0, "zero")])
    outputs = graph.node("Where", [empty, graph.constant(1, "one"), outputs])
    totals = graph.node("Where", [empty, graph.constant(n_classes, "n_classes"), totals])
    return graph.node("Div", [outputs, totals])


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    graph = _Graph(scope, container, _compute_type(operator.inputs[0])[0])
    z = _decision_values(graph, model, graph.cast_input(operator.inputs[0]))
    graph.activation(model._output_activation(), z, operator.outputs[0].full_name)


def _convert_preprocessor(scope, operator, container):
    model = operator.raw_operator
    dtype = np.float64 if _preprocessor_type(operator.inputs) is DoubleTensorType else np.float32
    graph = _Graph(scope, container, dtype)
    named = _preprocessor_inputs(model, operator.inputs)
    if named is None:
        X = graph.cast_input(operator.inputs[0])
        numeric = graph.node("Gather", [X, graph.constant([0, 1], "numeric", np.int64)], axis=1)
        rank = graph.node("Gather", [X, graph.constant([2], "rank", np.int64)], axis=1)
    else:
        columns = [graph.cast_input(variable) for variable in named]
        numeric = graph.node("Concat", columns[:2], axis=1)
        rank = columns[2]
    # StandardScaler's transform: subtract the mean, then divide by the scale.
    scaled = graph.node("Div", [graph.node("Sub", [numeric, graph.constant(model.mean_, "mean")]),
                                graph.constant(model.scale_, "scale")])
    hits = graph.node("Equal", [rank, graph.constant(list(RANKS), "ranks")])
    onehot = graph.node("Cast", [hits], to=graph.proto)
    if model.handle_unknown == "error":
        # transform raises on an unknown rank; the graph cannot, so it makes
        # that row's rank columns NaN (0 / 0) rather than a plausible zero row.
        known = graph.node("MatMul", [onehot, graph.constant(np.ones((len(RANKS), 1)), "ones")])
        onehot = graph.node("Div", [onehot, known])
    graph.node("Concat", [scaled, onehot], operator.outputs[0].full_name, axis=1)


register_converters()
