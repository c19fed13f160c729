"""scikit-learn's own estimator checks over every estimator the package exports."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_basic import (
    AdmissionsPreprocessor,
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
)
from sknn_basic.preprocessing import _expected_failed_checks as _preprocessor_failures

_PERCEPTRON_REASON = (
    "Rosenblatt's rule is online: a repeated row is judged again by weights the first "
    "copy already changed, so no per-sample weight can equal repetition "
    "(scikit-learn's Perceptron fails the same checks)"
)


def _expected_failed_checks(estimator):
    if isinstance(estimator, PerceptronClassifier):
        return {
            "check_sample_weight_equivalence_on_dense_data": _PERCEPTRON_REASON,
            "check_sample_weight_equivalence_on_sparse_data": _PERCEPTRON_REASON,
        }
    if isinstance(estimator, AdmissionsPreprocessor):
        return _preprocessor_failures(estimator)
    return {}


@parametrize_with_checks(
    [
        PerceptronClassifier(),
        SigmoidGDClassifier(),
        TwoLayerBackpropClassifier(),
        AdmissionsPreprocessor(),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
