"""sknn-basic: scikit-learn-compatible neural networks exact to the textbook lessons.

Three estimators grow from the first lessons of a deep-learning course:

* :class:`PerceptronClassifier`: Rosenblatt's perceptron, a Heaviside step and a bias;
* :class:`SigmoidGDClassifier`: sigmoid units trained by gradient descent;
* :class:`TwoLayerBackpropClassifier`: one hidden layer trained by backpropagation,
  and :class:`TwoLayerBackpropRegressor`, its sibling for real-valued targets.

:mod:`sknn_basic.functional` holds the mathematics they share,
:class:`AdmissionsPreprocessor` the lessons' data preparation and
:mod:`sknn_basic.datasets` the admissions data helpers.
"""

from . import functional
from .backprop import TwoLayerBackpropClassifier, TwoLayerBackpropRegressor
from .datasets import (
    AdmissionsDataError,
    lessons_features,
    load_admissions,
    load_default_admissions,
    make_admissions,
    split_like_the_lessons,
)
from .perceptron import PerceptronClassifier
from .preprocessing import AdmissionsPreprocessor
from .sigmoid_gd import SigmoidGDClassifier

__version__ = "0.1.0"

__all__ = [
    "AdmissionsDataError",
    "AdmissionsPreprocessor",
    "PerceptronClassifier",
    "SigmoidGDClassifier",
    "TwoLayerBackpropClassifier",
    "TwoLayerBackpropRegressor",
    "functional",
    "lessons_features",
    "load_admissions",
    "load_default_admissions",
    "make_admissions",
    "split_like_the_lessons",
]
