"""Tests of ``sknn_basic.preprocessing.AdmissionsPreprocessor``.

Covers the scikit-learn transformer contract on admissions-shaped data, the
lessons' parity (real file, skipped when absent), ``handle_unknown``, array
and pandas input and output, and leak-free fitting.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from pandas.testing import assert_frame_equal
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sknn_basic.datasets import (
    LESSON_FEATURES,
    lessons_features,
    load_admissions,
    make_admissions,
)
from sknn_basic.preprocessing import AdmissionsPreprocessor, _expected_failed_checks


_RAW = ["gre", "gpa", "rank"]

@pytest.fixture
def frame():
    return make_admissions(120, random_state=3)


def _expected(frame, mean, sd):
    """The lessons' features computed by hand with the given statistics."""
    out = pd.DataFrame(
        {
            "gre": (frame["gre"] - mean[0]) / sd[0],
            "gpa": (frame["gpa"] - mean[1]) / sd[1],
        }
    )
    for k in (1, 2, 3, 4):
        out[f"rank_{k}"] = (frame["rank"] == k).astype(float)
    return out.to_numpy()


# --------------------------------------------------------------------------
# What it computes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ddof", [0, 1])
def test_transform_matches_hand_computation(frame, ddof):
    pre = AdmissionsPreprocessor(ddof=ddof).fit(frame)
    mean = frame[["gre", "gpa"]].mean().to_numpy()
    sd = frame[["gre", "gpa"]].std(ddof=ddof).to_numpy()
    out = pre.transform(frame)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    assert out.shape == (120, 6)
    np.testing.assert_allclose(out, _expected(frame, mean, sd), rtol=0, atol=1e-12)
    np.testing.assert_allclose(pre.mean_, mean, rtol=1e-13)
    np.testing.assert_allclose(pre.scale_, sd, rtol=1e-13)
    np.testing.assert_allclose(pre.var_, sd**2, rtol=1e-12)
    assert pre.n_samples_seen_ == 120


def test_default_ddof_is_the_lessons_one(frame):
    assert AdmissionsPreprocessor().ddof == 1
    pre = AdmissionsPreprocessor().fit(frame)
    assert pre.scale_[0] == pytest.approx(frame["gre"].std(ddof=1), rel=1e-13)


def test_built_on_column_transformer(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    ct = pre.column_transformer_
    assert isinstance(ct, ColumnTransformer)
    assert isinstance(ct.named_transformers_["scale"], StandardScaler)
    encoder = ct.named_transformers_["onehot"]
    assert isinstance(encoder, OneHotEncoder)
    assert [list(c) for c in encoder.categories_] == [[1, 2, 3, 4]]
    # The scaler inside carries the ddof=1 statistics actually used.
    np.testing.assert_array_equal(ct.named_transformers_["scale"].scale_, pre.scale_)


def test_rank_columns_exist_even_for_absent_ranks():
    only_two = make_admissions(60, random_state=0).assign(rank=2)
    out = AdmissionsPreprocessor().fit_transform(only_two)
    assert out.shape == (60, 6)
    np.testing.assert_array_equal(out[:, 2:], np.tile([0.0, 1.0, 0.0, 0.0], (60, 1)))


def test_constant_column_keeps_unit_scale_with_ddof1(frame):
    constant = frame.assign(gre=500.0)
    pre = AdmissionsPreprocessor(ddof=1).fit(constant)
    assert pre.scale_[0] == 1.0
    np.testing.assert_array_equal(pre.transform(constant)[:, 0], np.zeros(120))


def test_unit_variance_column_is_still_rescaled_with_ddof1():
    # ddof=0 sd of [-1, 1] is exactly 1.0: not a constant column.
    small = pd.DataFrame({"gre": [-1.0, 1.0], "gpa": [3.0, 3.5], "rank": [1, 2]})
    pre = AdmissionsPreprocessor(ddof=1).fit(small)
    assert pre.scale_[0] == pytest.approx(np.sqrt(2.0))


def test_ddof1_needs_two_samples():
    one = pd.DataFrame({"gre": [500.0], "gpa": [3.0], "rank": [1]})
    with pytest.raises(ValueError, match="at least 2 samples.*got 1 sample"):
        AdmissionsPreprocessor(ddof=1).fit(one)
    out = AdmissionsPreprocessor(ddof=0).fit_transform(one)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])


# --------------------------------------------------------------------------
# Parity with the lessons (real file)
# --------------------------------------------------------------------------


def test_parity_with_s7_on_the_real_file(real_csv, s7_reference):
    data = load_admissions(real_csv)
    pre = AdmissionsPreprocessor(ddof=1).set_output(transform="pandas")
    out = pre.fit_transform(data)
    assert list(out.columns) == s7_reference["columns"]
    for i, column in enumerate(("gre", "gpa")):
        mean = s7_reference[f"{column}_mean"]
        std = s7_reference[f"{column}_std_ddof1"]
        assert pre.mean_[i] == pytest.approx(mean, rel=1e-14)
        assert pre.scale_[i] == pytest.approx(std, rel=1e-14)
        np.testing.assert_allclose(out[column], (data[column] - mean) / std, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(out.iloc[:, 2:].to_numpy().argmax(axis=1) + 1, data["rank"])

    X_train, X_test, _, _ = lessons_features(data)
    assert list(X_test.index) == s7_reference["test_index"]
    assert (len(X_train), len(X_test)) == (360, 40)
    assert_frame_equal(X_test, out.loc[X_test.index])


# --------------------------------------------------------------------------
# handle_unknown
# --------------------------------------------------------------------------


def test_unknown_rank_raises_by_default(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    bad = frame.head(5).copy()
    bad.loc[3, "rank"] = 5
    with pytest.raises(ValueError) as info:
        pre.transform(bad)
    message = str(info.value)
    assert "unknown rank 5" in message
    assert "1, 2, 3, 4" in message
    assert "row position 3" in message
    assert "handle_unknown='ignore'" in message


def test_unknown_rank_ignored_gives_zero_rank_columns(frame):
    pre = AdmissionsPreprocessor(handle_unknown="ignore").fit(frame)
    bad = frame.head(4).astype({"rank": float})
    bad.loc[1, "rank"] = 7
    bad.loc[2, "rank"] = 2.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pre.transform(bad)
    np.testing.assert_array_equal(out[1:3, 2:], np.zeros((2, 4)))
    good = pre.transform(frame.head(4))
    np.testing.assert_array_equal(out[:, :2], good[:, :2])
    np.testing.assert_array_equal(out[[0, 3]], good[[0, 3]])


@pytest.mark.parametrize("handle_unknown", ["error", "ignore"])
def test_fit_always_rejects_unknown_ranks(frame, handle_unknown):
    bad = frame.assign(rank=frame["rank"].replace(4, 0))
    with pytest.raises(ValueError, match="unknown rank 0") as info:
        AdmissionsPreprocessor(handle_unknown=handle_unknown).fit(bad)
    assert "handle_unknown" not in str(info.value)


def test_non_integer_rank_is_unknown(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError, match="unknown rank 1.5"):
        pre.transform(np.array([[500.0, 3.0, 1.5]]))


def test_ranks_written_as_floats_are_accepted(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    as_float = frame.astype({"rank": float})
    np.testing.assert_array_equal(pre.transform(as_float), pre.transform(frame))


# --------------------------------------------------------------------------
# Input forms
# --------------------------------------------------------------------------


def test_array_input_is_gre_gpa_rank_by_position(frame):
    from_frame = AdmissionsPreprocessor().fit(frame)
    from_array = AdmissionsPreprocessor().fit(frame[_RAW].to_numpy())
    np.testing.assert_array_equal(from_array.mean_, from_frame.mean_)
    np.testing.assert_array_equal(
        from_array.transform(frame[_RAW].to_numpy()), from_frame.transform(frame)
    )
    # Whatever was seen in fit, an array is read by position...
    np.testing.assert_array_equal(
        from_frame.transform(frame[_RAW].to_numpy()), from_frame.transform(frame)
    )
    # ...and a DataFrame by name.
    np.testing.assert_array_equal(from_array.transform(frame), from_frame.transform(frame))


def test_list_input(frame):
    rows = frame[_RAW].head(3).to_numpy().tolist()
    pre = AdmissionsPreprocessor().fit(frame)
    np.testing.assert_array_equal(pre.transform(rows), pre.transform(frame.head(3)))


def test_extra_and_reordered_columns_are_dropped(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    shuffled = frame[["rank", "admit", "gpa", "gre"]].assign(name="x")
    np.testing.assert_array_equal(pre.transform(shuffled), pre.transform(frame[_RAW]))


@pytest.mark.parametrize("n_columns", [2, 4])
def test_wrong_column_count(frame, n_columns):
    wrong = np.ones((5, n_columns))
    with pytest.raises(ValueError, match=r"expected 3 columns \(gre, gpa, rank"):
        AdmissionsPreprocessor().fit(wrong)
    pre = AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError, match=r"expected 3 columns \(gre, gpa, rank"):
        pre.transform(wrong)


def test_missing_dataframe_column(frame):
    with pytest.raises(ValueError, match=r"missing \['gpa'\]"):
        AdmissionsPreprocessor().fit(frame.drop(columns="gpa"))
    pre = AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError, match=r"missing \['rank'\]"):
        pre.transform(frame.drop(columns="rank"))


def test_one_dimensional_input_is_rejected(frame):
    with pytest.raises(ValueError, match="2D array"):
        AdmissionsPreprocessor().fit(np.array([500.0, 3.0, 1.0]))


def test_empty_input_is_rejected(frame):
    with pytest.raises(ValueError, match="0 sample"):
        AdmissionsPreprocessor().fit(frame.iloc[:0])


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("gre", np.nan, "missing"),
        ("gpa", np.nan, "missing"),
        ("rank", np.nan, "missing"),
        ("gre", np.inf, "not a finite number"),
        ("gpa", "high", "'high', not a number"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_nan_and_non_numeric_values(frame, column, value, message, method):
    bad = frame.astype({column: object})
    bad.loc[7, column] = value
    pre = AdmissionsPreprocessor()
    if method == "transform":
        pre.fit(frame)
    with pytest.raises(ValueError, match=message) as info:
        getattr(pre, method)(bad)
    assert f"column {column!r}" in str(info.value)
    assert "row position 7" in str(info.value)


def test_nan_in_array_input(frame):
    data = frame[_RAW].to_numpy()
    data[2, 1] = np.nan
    with pytest.raises(ValueError, match="column 'gpa'.*row position 2"):
        AdmissionsPreprocessor().fit(data)


def test_boolean_column_is_rejected(frame):
    with pytest.raises(ValueError, match="booleans"):
        AdmissionsPreprocessor().fit(frame.assign(gre=frame["gre"] > 500))


def test_sparse_input_is_rejected(frame):
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="[Ss]parse"):
        AdmissionsPreprocessor().fit(scipy_sparse.csr_matrix(frame[_RAW].to_numpy()))


def test_index_label_is_reported_when_it_differs(frame):
    bad = frame.set_axis(frame.index + 100).astype({"gpa": object})
    bad.iloc[4, bad.columns.get_loc("gpa")] = None
    with pytest.raises(ValueError, match=r"row position 4 \(0-based; index label 104\)"):
        AdmissionsPreprocessor().fit(bad)


# --------------------------------------------------------------------------
# Output and feature names
# --------------------------------------------------------------------------


def test_feature_names(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    names = pre.get_feature_names_out()
    assert list(names) == list(LESSON_FEATURES)
    assert names.dtype == object
    np.testing.assert_array_equal(pre.feature_names_in_, frame.columns.to_numpy())
    assert pre.n_features_in_ == 4
    assert list(pre.get_feature_names_out(list(frame.columns))) == list(LESSON_FEATURES)
    with pytest.raises(ValueError):
        pre.get_feature_names_out(["a", "b", "c", "d"])


def test_feature_names_after_array_fit(frame):
    pre = AdmissionsPreprocessor().fit(frame[_RAW].to_numpy())
    assert pre.n_features_in_ == 3
    assert not hasattr(pre, "feature_names_in_")
    assert list(pre.get_feature_names_out()) == list(LESSON_FEATURES)


def test_pandas_output_keeps_the_index(frame):
    indexed = frame.set_axis(frame.index * 10)
    pre = AdmissionsPreprocessor().set_output(transform="pandas").fit(indexed)
    out = pre.transform(indexed)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(LESSON_FEATURES)
    assert out.index.equals(indexed.index)
    assert (out.dtypes == np.float64).all()
    plain = clone(pre).set_output(transform="default").fit_transform(indexed)
    np.testing.assert_array_equal(out.to_numpy(), plain)


def test_pandas_output_for_array_input(frame):
    pre = AdmissionsPreprocessor().set_output(transform="pandas")
    out = pre.fit_transform(frame[_RAW].to_numpy())
    assert list(out.columns) == list(LESSON_FEATURES)
    assert out.index.equals(pd.RangeIndex(120))


def test_global_pandas_output(frame):
    with sklearn.config_context(transform_output="pandas"):
        out = AdmissionsPreprocessor().fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(LESSON_FEATURES)
    assert isinstance(AdmissionsPreprocessor().fit_transform(frame), np.ndarray)


def test_float32_input_gives_float64(frame):
    out = AdmissionsPreprocessor().fit_transform(frame[_RAW].to_numpy(dtype=np.float32))
    assert out.dtype == np.float64


# --------------------------------------------------------------------------
# Estimator contract
# --------------------------------------------------------------------------


def test_not_fitted_errors(frame):
    pre = AdmissionsPreprocessor()
    with pytest.raises(NotFittedError):
        pre.transform(frame)
    with pytest.raises(NotFittedError):
        pre.get_feature_names_out()


def test_get_set_params_and_clone(frame):
    pre = AdmissionsPreprocessor(ddof=0, handle_unknown="ignore")
    assert pre.get_params() == {"ddof": 0, "handle_unknown": "ignore"}
    assert pre.set_params(ddof=1) is pre and pre.ddof == 1
    pre.fit(frame)
    twin = clone(pre)
    assert twin.get_params() == pre.get_params()
    assert not hasattr(twin, "column_transformer_")
    assert repr(AdmissionsPreprocessor()) == "AdmissionsPreprocessor()"


@pytest.mark.parametrize(
    "params", [{"ddof": 2}, {"ddof": -1}, {"ddof": 0.5}, {"handle_unknown": "skip"}]
)
def test_invalid_parameters_are_rejected_at_fit(frame, params):
    pre = AdmissionsPreprocessor(**params)  # no validation in __init__
    with pytest.raises(ValueError, match="parameter of AdmissionsPreprocessor"):
        pre.fit(frame)


def test_fit_returns_self_and_does_not_modify_input(frame):
    before = frame.copy()
    pre = AdmissionsPreprocessor()
    assert pre.fit(frame) is pre
    assert_frame_equal(frame, before)
    pre.transform(frame)
    assert_frame_equal(frame, before)


def test_fit_transform_equals_fit_then_transform(frame):
    np.testing.assert_array_equal(
        AdmissionsPreprocessor().fit_transform(frame),
        AdmissionsPreprocessor().fit(frame).transform(frame),
    )


def test_refit_forgets_previous_data(frame):
    other = make_admissions(80, random_state=9)
    pre = AdmissionsPreprocessor().fit(frame).fit(other)
    fresh = AdmissionsPreprocessor().fit(other)
    np.testing.assert_array_equal(pre.mean_, fresh.mean_)
    np.testing.assert_array_equal(pre.transform(frame), fresh.transform(frame))
    # Refitting on an array drops the names of an earlier DataFrame fit.
    pre.fit(other[_RAW].to_numpy())
    assert not hasattr(pre, "feature_names_in_")


def test_pickle_round_trip(frame):
    pre = AdmissionsPreprocessor(handle_unknown="ignore").set_output(transform="pandas").fit(frame)
    restored = pickle.loads(pickle.dumps(pre))
    assert_frame_equal(restored.transform(frame), pre.transform(frame))
    assert restored.get_params() == pre.get_params()


def test_transform_is_row_wise(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    full = pre.transform(frame)
    order = np.random.RandomState(0).permutation(len(frame))
    np.testing.assert_array_equal(pre.transform(frame.iloc[order]), full[order])
    np.testing.assert_array_equal(pre.transform(frame.iloc[10:20]), full[10:20])


def test_check_estimator_passes_apart_from_documented_failures():
    expected = _expected_failed_checks()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            AdmissionsPreprocessor(), on_fail=None, expected_failed_checks=expected
        )
    unexpected = [
        (r["check_name"], r["exception"])
        for r in results
        if r["status"] == "failed" and r["check_name"] not in expected
    ]
    assert not unexpected
    # Keep the list honest: every listed check must really fail, so a check
    # that starts passing gets noticed and removed from the list.
    ran = {r["check_name"] for r in results}
    for r in results:
        if r["check_name"] in expected:
            assert r["exception"] is not None, r["check_name"]
    assert set(expected) <= ran
    assert sum(r["status"] == "passed" for r in results) >= 15


# --------------------------------------------------------------------------
# Leak-free use
# --------------------------------------------------------------------------


def test_transform_uses_fit_statistics_only():
    train = make_admissions(200, random_state=1)
    test = make_admissions(50, random_state=2)
    pre = AdmissionsPreprocessor().fit(train)
    mean = train[["gre", "gpa"]].mean().to_numpy()
    sd = train[["gre", "gpa"]].std(ddof=1).to_numpy()
    np.testing.assert_allclose(pre.transform(test), _expected(test, mean, sd), rtol=0, atol=1e-12)
    own = AdmissionsPreprocessor().fit(test).transform(test)
    assert not np.allclose(pre.transform(test)[:, :2], own[:, :2])
    # Transforming other data leaves the learned statistics unchanged.
    np.testing.assert_array_equal(pre.mean_, mean)


def test_in_a_pipeline_with_cross_validation():
    data = make_admissions(300, random_state=4)
    pipe = make_pipeline(AdmissionsPreprocessor(), LogisticRegression())
    scores = cross_val_score(pipe, data[_RAW], data["admit"], cv=3)
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))
    pipe.fit(data[_RAW], data["admit"])
    assert pipe[0].n_samples_seen_ == 300
    assert list(pipe[:-1].get_feature_names_out()) == list(LESSON_FEATURES)
