"""scikit-learn's own estimator checks over every estimator the package exports.

This file holds the list of estimators; the table of generic checks that
some of them cannot pass, each with its reason, is public in
:func:`sknn_basic.utils.expected_failed_checks`, so that a user's CI runs
the checks with the same table.  Adding an estimator is one line in
``ESTIMATORS`` (and a row in that table only if a check cannot apply).
"""

import warnings

import pytest
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from sknn_basic import (
    AdmissionsPreprocessor,
    BackpropClassifier,
    BackpropRegressor,
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)
from sknn_basic.utils import expected_failed_checks

ESTIMATORS = [
    PerceptronClassifier(),
    SigmoidGDClassifier(),
    TwoLayerBackpropClassifier(),
    TwoLayerBackpropRegressor(),
    BackpropClassifier(hidden_layer_sizes=(8, 4)),
    BackpropRegressor(hidden_layer_sizes=(8, 4)),
    AdmissionsPreprocessor(),
]


# The generic checks fit the classifiers at their defaults on small random
# data, where stopping before convergence is expected and not under test.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda estimator: type(estimator).__name__)
def test_check_estimator_passes_with_the_public_table(estimator):
    # Exactly the call a user's CI makes: it raises on any failure not in
    # the table.  parametrize_with_checks marks the listed checks as
    # non-strict xfails, so one that starts passing would go unnoticed; the
    # results keep the table honest: every listed check still fails.
    expected = expected_failed_checks(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=expected)
    outcome = {result["check_name"]: result["status"] for result in results}
    assert set(expected) <= set(outcome)
    assert {name: outcome[name] for name in expected} == dict.fromkeys(expected, "xfail")
    assert "failed" not in outcome.values()


def test_the_table_has_a_reason_for_every_check():
    for estimator in ESTIMATORS:
        for check, reason in expected_failed_checks(estimator).items():
            assert check.startswith("check_") and len(reason) > 40, (check, reason)
    assert expected_failed_checks(object()) == {}
