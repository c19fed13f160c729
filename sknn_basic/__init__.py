"""sknn-basic: scikit-learn-compatible neural networks exact to the textbook lessons.

Three estimators grow from the first lessons of a deep-learning course:

* :class:`PerceptronClassifier`: Rosenblatt's perceptron, a Heaviside step and a bias;
* :class:`SigmoidGDClassifier`: sigmoid units trained by gradient descent;
* :class:`TwoLayerBackpropClassifier`: one hidden layer trained by backpropagation,
  and :class:`TwoLayerBackpropRegressor`, its sibling for real-valued targets;
  :class:`BackpropClassifier` and :class:`BackpropRegressor` take any number of
  hidden layers (``hidden_layer_sizes``).

:mod:`sknn_basic.functional` holds the mathematics they share,
:func:`explain_step` shows one training step from the inside,
:class:`AdmissionsPreprocessor` the lessons' data preparation,
:mod:`sknn_basic.datasets` the admissions data helpers,
:func:`expected_failed_checks` (in :mod:`sknn_basic.utils`) the estimator
checks that cannot apply, and :mod:`sknn_basic.onnx` (imported on its own,
with the extra ``onnx``) the ONNX export.

The public names are loaded on first use (PEP 562), so that importing the
package, as the command line does before it can handle Ctrl-C, costs nothing
until an estimator (and with it scikit-learn) is needed.
"""

import importlib

__version__ = "0.1.0"

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "AdmissionsDataError": "datasets",
    "AdmissionsPreprocessor": "preprocessing",
    "BackpropClassifier": "backprop",
    "BackpropRegressor": "backprop",
    "PerceptronClassifier": "perceptron",
    "SigmoidGDClassifier": "sigmoid_gd",
    "StepExplanation": "explain",
    "TwoLayerBackpropClassifier": "backprop",
    "TwoLayerBackpropRegressor": "backprop",
    "expected_failed_checks": "utils",
    "explain_step": "explain",
    "fetch_admissions": "datasets",
    "lessons_features": "datasets",
    "load_admissions": "datasets",
    "load_default_admissions": "datasets",
    "make_admissions": "datasets",
    "split_like_the_lessons": "datasets",
}

__all__ = sorted([*_EXPORTS, "functional"])


def __getattr__(name):
    if name == "functional":
        return importlib.import_module(".functional", __name__)
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
