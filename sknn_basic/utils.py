"""Helpers for checking the package's estimators in your own tests.

:func:`expected_failed_checks` gives, for one of our estimators, the
scikit-learn estimator checks it cannot pass and why, so that
``check_estimator`` (or ``parametrize_with_checks``) in a user's CI passes
with our reasons rather than failing on checks that cannot apply.

Examples
--------
>>> from sknn_basic import PerceptronClassifier
>>> from sknn_basic.utils import expected_failed_checks
>>> sorted(expected_failed_checks(PerceptronClassifier()))
['check_sample_weight_equivalence_on_dense_data', 'check_sample_weight_equivalence_on_sparse_data']
"""

__all__ = ["expected_failed_checks"]

_PERCEPTRON_REASON = (
    "Rosenblatt's rule is online: a repeated row is judged again by weights the first "
    "copy already changed, so no per-sample weight can equal repetition "
    "(scikit-learn's Perceptron fails the same checks)"
)

# Every preprocessor check listed feeds random floats with a generic number
# of columns; such data is not an admissions table (3 columns, rank in
# 1..4), so fit rejects it before the property under test is reached.  The
# same properties are tested on valid data in the package's own tests.
_PREPROCESSOR_REASON = (
    "generic check data is not gre, gpa, rank with every rank in 1..4; "
    "the property is tested on admissions data instead"
)
_PREPROCESSOR_CHECKS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)

#: Class name -> {check name: why it cannot pass}.  By name, so that this
#: module imports no estimator.
_EXPECTED_FAILED_CHECKS = {
    "PerceptronClassifier": {
        "check_sample_weight_equivalence_on_dense_data": _PERCEPTRON_REASON,
        "check_sample_weight_equivalence_on_sparse_data": _PERCEPTRON_REASON,
    },
    "AdmissionsPreprocessor": dict.fromkeys(_PREPROCESSOR_CHECKS, _PREPROCESSOR_REASON),
}


def expected_failed_checks(estimator):
    """The scikit-learn checks ``estimator`` cannot pass, each with the reason.

    Pass it to scikit-learn's ``check_estimator`` or
    ``parametrize_with_checks`` as ``expected_failed_checks``; the package's
    own test suite uses this same table.

    Parameters
    ----------
    estimator : estimator instance
        One of the package's estimators (a subclass inherits its base's
        entries); any other estimator gets an empty table.

    Returns
    -------
    dict of str to str
        Check name -> why it cannot pass (a new dict each call).

    Examples
    --------
    >>> from sknn_basic import TwoLayerBackpropClassifier
    >>> from sknn_basic.utils import expected_failed_checks
    >>> expected_failed_checks(TwoLayerBackpropClassifier())
    {}
    """
    for cls in type(estimator).__mro__:
        if cls.__module__.startswith("sknn_basic.") and cls.__name__ in _EXPECTED_FAILED_CHECKS:
            return dict(_EXPECTED_FAILED_CHECKS[cls.__name__])
    return {}
