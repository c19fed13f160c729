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

from sknn_basic.datasets import (
    LESSON_FEATURES,
    lessons_features,
    load_admissions,
    make_admissions,
)
from sknn_basic.preprocessing import AdmissionsPreprocessor


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
    assert "column 'rank', data row 4 (1-based; index label 3)" in message
    assert "the value is 5; it must be a whole number from 1 to 4" in message
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
    with pytest.raises(ValueError, match="the value is 0; it must be a whole number from 1 to 4") as info:
        AdmissionsPreprocessor(handle_unknown=handle_unknown).fit(bad)
    assert "handle_unknown" not in str(info.value)


def test_non_integer_rank_is_unknown(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError, match=r"data row 1 \(1-based\): the value is 1\.5; it must"):
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
        ("gre", np.nan, r"is missing \(nan\); fill in the value or remove the row"),
        ("gpa", None, r"is missing \(None\)"),
        ("rank", np.nan, "is missing"),
        ("gre", np.inf, r"is inf, which is not finite in float64"),
        ("gpa", "high", "is 'high', which is not a number; write a finite number"),
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
    assert f"column {column!r}, data row 8 (1-based; index label 7)" in str(info.value)
    assert "In all, 1 row(s) of that column are invalid" in str(info.value)


def test_nan_in_array_input(frame):
    data = frame[_RAW].to_numpy()
    data[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 'gpa', data row 3 \(1-based\): "):
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
    with pytest.raises(ValueError, match=r"data row 5 \(1-based; index label 104\)"):
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


# --------------------------------------------------------------------------
# Extreme but finite numbers: finite output, or a ValueError naming the column
# --------------------------------------------------------------------------


def _assert_finite_or_column_error(action, columns=("gre", "gpa")):
    """Run ``action``: its output must be finite, or it must raise a
    ValueError naming one of ``columns`` and saying what to do.  Any NumPy
    warning fails the test (overflow is to be detected, not warned about).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = action()
        except ValueError as error:
            message = str(error)
            assert any(f"column {c!r}" in message for c in columns), message
            assert "rescale" in message.lower() or "write" in message or "fill" in message, message
            return None
    assert np.isfinite(out).all()
    return out


@pytest.mark.parametrize(
    "values",
    [
        [1e200, 2e200, -1e200, 5e199],
        [1e308, 1e308, 1e308, 1e308],
        [1.7e308, -1.7e308, 1e308, -1e308],
        [1e-300, 1e300, 1e-300, 1e300],
        [5e-324, 0.0, 5e-324, 0.0],
        [1e150, -1e150, 3e150, 2e150],
        [1e-200, 3e-200, 2e-200, 4e-200],
    ],
)
@pytest.mark.parametrize("column", ["gre", "gpa"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_extreme_values_give_finite_output_or_name_the_column(values, column, ddof):
    data = pd.DataFrame({"gre": [500.0, 600, 700, 550], "gpa": [3.0, 3.5, 3.9, 2.8], "rank": [1, 2, 3, 4]})
    data[column] = values
    pre = AdmissionsPreprocessor(ddof=ddof)
    out = _assert_finite_or_column_error(lambda: pre.fit_transform(data), columns=[column])
    if out is None:
        assert "Rescale the column's units" in str(pytest.raises(ValueError, pre.fit, data).value)
    else:
        assert np.isfinite(pre.mean_).all() and np.isfinite(pre.scale_).all()
        assert np.isfinite(pre.var_).all()


def test_overflowing_statistics_message(frame):
    huge = frame.assign(gre=frame["gre"] * 1e200)
    with pytest.raises(ValueError) as info:
        AdmissionsPreprocessor().fit(huge)
    message = str(info.value)
    assert message.startswith("AdmissionsPreprocessor, column 'gre': its values are too large")
    assert "overflows float64" in message
    assert "divide it by 1e+200" in message


def test_transform_overflow_names_column_and_row(frame):
    pre = AdmissionsPreprocessor().fit(frame)
    far = frame.head(5).copy()
    far.loc[3, "gpa"] = 1e308  # gpa's scale is below 1: the standardised value overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as info:
            pre.transform(far)
    message = str(info.value)
    assert "column 'gpa', data row 4 (1-based; index label 3)" in message
    assert "overflows float64" in message
    assert "rescale the column's units" in message
    # Finite but far values that fit in float64 are fine.
    far.loc[3, "gpa"] = 1e300
    assert np.isfinite(pre.transform(far)).all()


# --------------------------------------------------------------------------
# Columns and dtypes that are not numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["fit", "transform"])
@pytest.mark.parametrize("column", ["gre", "rank"])
def test_duplicated_column_is_a_clear_error(frame, method, column):
    doubled = pd.concat([frame, frame[[column]]], axis=1)
    pre = AdmissionsPreprocessor()
    if method == "transform":
        pre.fit(frame)
    with pytest.raises(ValueError, match=f"column '{column}': the column appears 2 times"):
        getattr(pre, method)(doubled)


_NOT_NUMBERS = {
    "datetime": (lambda n: pd.date_range("2020-01-01", periods=n), "dates or times"),
    "datetime_tz": (lambda n: pd.date_range("2020-01-01", periods=n, tz="UTC"), "dates or times"),
    "timedelta": (lambda n: pd.to_timedelta(np.arange(n), unit="D"), "durations"),
    "complex": (lambda n: np.arange(n) + 1j, "complex numbers"),
    "bool": (lambda n: np.arange(n) % 2 == 0, "booleans"),
    "nullable_bool": (lambda n: pd.array(np.arange(n) % 2 == 0, dtype="boolean"), "booleans"),
    "period": (lambda n: pd.period_range("2020-01", periods=n, freq="M"), "periods or intervals"),
}


@pytest.mark.parametrize("kind", sorted(_NOT_NUMBERS))
@pytest.mark.parametrize("column", ["gre", "gpa", "rank"])
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_columns_that_are_not_numbers_are_refused(frame, kind, column, method):
    make, words = _NOT_NUMBERS[kind]
    bad = frame.assign(**{column: make(len(frame))})
    pre = AdmissionsPreprocessor()
    if method == "transform":
        pre.fit(frame)
    with pytest.raises(ValueError) as info:
        getattr(pre, method)(bad)
    assert str(info.value).startswith(f"AdmissionsPreprocessor, column {column!r}: the column holds {words}")


@pytest.mark.parametrize(
    "cell, words",
    [
        (10**400, "which is not finite in float64"),
        (-(10**400), "which is not finite in float64"),
        (True, "which is not a number"),
        (1 + 2j, "which is not a number"),
        (pd.Timestamp("2020-01-01"), "which is not a number"),
        (None, r"is missing \(None\)"),
        ([1, 2], "which is not a number"),
    ],
)
def test_object_cells_that_are_not_usable_numbers(frame, cell, words):
    bad = frame.astype({"gre": object})
    bad.at[5, "gre"] = cell
    head = r"column 'gre', data row 6 \(1-based; index label 5\): the value .*"
    with pytest.raises(ValueError, match=head + words):
        AdmissionsPreprocessor().fit(bad)


def test_object_cells_that_are_numbers_are_accepted(frame):
    from decimal import Decimal
    from fractions import Fraction

    reference = AdmissionsPreprocessor().fit(frame).transform(frame)
    cells = frame.astype({"gre": object, "gpa": object})
    cells.at[0, "gre"] = int(frame.at[0, "gre"])  # a Python int
    cells.at[1, "gre"] = np.int16(frame.at[1, "gre"])
    cells.at[2, "gre"] = Decimal(str(frame.at[2, "gre"]))
    cells.at[3, "gpa"] = Fraction(str(frame.at[3, "gpa"]))
    cells.at[4, "gpa"] = f" {frame.at[4, 'gpa']} "  # a number written as text
    np.testing.assert_array_equal(AdmissionsPreprocessor().fit(cells).transform(cells), reference)


def test_big_python_int_within_float64_range_is_used(frame):
    cells = frame.astype({"gre": object})
    cells.at[0, "gre"] = 10**30
    out = AdmissionsPreprocessor().fit_transform(cells)
    assert np.isfinite(out).all()


@pytest.mark.parametrize(
    "convert",
    [
        lambda s: s.astype("category"),
        lambda s: s.astype(str),
        lambda s: s.astype(str).astype("category"),
        lambda s: s.astype("Int64"),
        lambda s: s.astype("Float32"),
        lambda s: s.astype(np.int8),
        lambda s: s.astype(np.uint64),
    ],
    ids=["category", "text", "text_category", "Int64", "Float32", "int8", "uint64"],
)
def test_rank_as_other_numeric_forms_gives_the_same_output(frame, convert):
    reference = AdmissionsPreprocessor().fit(frame).transform(frame)
    other = frame.assign(rank=convert(frame["rank"]))
    np.testing.assert_array_equal(AdmissionsPreprocessor().fit(other).transform(other), reference)


def test_nullable_missing_value_is_reported(frame):
    bad = frame.assign(rank=frame["rank"].astype("Int64"))
    bad.loc[9, "rank"] = pd.NA
    with pytest.raises(ValueError, match=r"column 'rank', data row 10 .*is missing \(<NA>\)"):
        AdmissionsPreprocessor().fit(bad)


# --------------------------------------------------------------------------
# Properties over generated data (bounded: a few seconds in all)
# --------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_FINITE = st.floats(allow_nan=False, allow_infinity=False)
# Extreme magnitudes are drawn often, not only by luck of the full range.
_MAGNITUDES = st.one_of(
    _FINITE,
    st.sampled_from(
        [0.0, 5e-324, -5e-324, 1e-300, 1e150, 1e200, 1e300, 1.7976931348623157e308, -1e308]
    ),
    st.floats(min_value=200.0, max_value=800.0),
)
_PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def _admissions_frames(draw, min_rows=1):
    n = draw(st.integers(min_value=min_rows, max_value=12))
    return pd.DataFrame(
        {
            "gre": draw(hnp.arrays(np.float64, n, elements=_MAGNITUDES)),
            "gpa": draw(hnp.arrays(np.float64, n, elements=_MAGNITUDES)),
            "rank": draw(hnp.arrays(np.int64, n, elements=st.sampled_from([1, 2, 3, 4]))),
        }
    )


@_PROPERTY_SETTINGS
@given(train=_admissions_frames(min_rows=2), test=_admissions_frames(), ddof=st.sampled_from([0, 1]))
def test_property_finite_frames_give_finite_output_or_a_column_error(train, test, ddof):
    pre = AdmissionsPreprocessor(ddof=ddof)
    fitted = _assert_finite_or_column_error(lambda: pre.fit_transform(train))
    if fitted is None:
        return
    assert fitted.shape == (len(train), 6)
    out = _assert_finite_or_column_error(lambda: pre.transform(test))
    if out is not None:
        assert out.shape == (len(test), 6)
        np.testing.assert_array_equal(out[:, 2:].sum(axis=1), np.ones(len(test)))


# Ways a column can arrive: each either works or is refused by name.
_COLUMN_FORMS = {
    "float32": lambda s: s.astype(np.float32),
    "int8": lambda s: s.round().clip(-128, 127).astype(np.int8),
    "uint64": lambda s: s.abs().round().clip(0, 2**60).astype(np.uint64),
    "Int64": lambda s: s.round().clip(-(2**60), 2**60).astype("Int64"),
    "object_floats": lambda s: s.astype(object),
    "python_ints": lambda s: pd.Series([int(v) * 10**300 for v in s.round().clip(-5, 5)], dtype=object),
    "text": lambda s: s.astype(str),
    "category": lambda s: s.astype("category"),
    "bool": lambda s: s > 0,
    "datetime": lambda s: pd.Series(pd.to_datetime(s.round().clip(0, 1e9), unit="s")),
    "timedelta": lambda s: pd.Series(pd.to_timedelta(s.round().clip(0, 1e9), unit="s")),
    "complex": lambda s: s.astype(np.complex128),
}


@_PROPERTY_SETTINGS
@given(
    frame=_admissions_frames(min_rows=2),
    column=st.sampled_from(["gre", "gpa", "rank"]),
    form=st.sampled_from(sorted(_COLUMN_FORMS)),
)
def test_property_column_forms_work_or_name_the_column(frame, column, form):
    with np.errstate(all="ignore"):  # the conversions themselves may overflow
        converted = _COLUMN_FORMS[form](frame[column].reset_index(drop=True))
    other = frame.assign(**{column: converted.to_numpy() if form != "category" else converted})
    pre = AdmissionsPreprocessor(handle_unknown="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = pre.fit_transform(other)
        except ValueError as error:
            assert "column '" in str(error), str(error)
            return
    assert np.isfinite(out).all() and out.shape == (len(frame), 6)


# ----------------------------------------------- every DataFrame library by name
#
# The same rows held by pandas, polars, pyarrow or Dask give the same result:
# the columns are found by name in each.  In memory the same arithmetic runs
# after the columns are read, so results are compared exactly.  A Dask frame
# of several partitions has its statistics combined from per-partition ones
# (a different order of additions): those agree within rtol=1e-12; a single
# partition gives the in-memory numbers exactly.

from sklearn import config_context  # noqa: E402

from _frames import EAGER, LIBRARIES, computed, in_library  # noqa: E402

_STATISTICS = ("mean_", "var_", "scale_")


def _library_frame(frame):
    """The admissions rows with extra columns, among them text, in a shuffled order."""
    extra = frame.assign(name=[f"applicant {i}" for i in range(len(frame))], score=1.5)
    return extra[["rank", "name", "gpa", "admit", "score", "gre"]]


def _assert_same_fit(pre, reference, library, npartitions=3):
    for attribute in _STATISTICS:
        if library == "dask" and npartitions > 1:
            np.testing.assert_allclose(getattr(pre, attribute), getattr(reference, attribute),
                                       rtol=1e-12)
        else:
            np.testing.assert_array_equal(getattr(pre, attribute), getattr(reference, attribute))
    assert pre.n_samples_seen_ == reference.n_samples_seen_


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("ddof", [0, 1])
def test_every_library_reads_columns_by_name(frame, library, ddof):
    """Permuted columns, extra columns and admit: the pandas result, in every library."""
    wide = _library_frame(frame)
    reference = AdmissionsPreprocessor(ddof=ddof).fit(frame[_RAW])
    pre = AdmissionsPreprocessor(ddof=ddof).fit(in_library(library, wide))
    _assert_same_fit(pre, reference, library)
    assert list(pre.feature_names_in_) == list(wide.columns)
    assert pre.n_features_in_ == wide.shape[1]
    out = computed(pre.transform(in_library(library, wide[::-1].iloc[:, ::-1])))
    expected = reference.transform(frame[_RAW][::-1])
    if library == "dask":
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_array_equal(out, expected)


def test_one_dask_partition_gives_the_in_memory_statistics(frame):
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    reference = AdmissionsPreprocessor().fit(frame)
    pre = AdmissionsPreprocessor().fit(in_library("dask", frame, npartitions=1))
    _assert_same_fit(pre, reference, "dask", npartitions=1)
    np.testing.assert_array_equal(computed(pre.transform(in_library("dask", frame))),
                                  reference.transform(frame))


@pytest.mark.parametrize("fitted_on", LIBRARIES)
@pytest.mark.parametrize("applied_to", LIBRARIES)
def test_fitted_in_one_library_applied_in_another(frame, fitted_on, applied_to):
    pre = AdmissionsPreprocessor().fit(in_library(fitted_on, _library_frame(frame)))
    reference = AdmissionsPreprocessor().fit(frame)
    out = computed(pre.transform(in_library(applied_to, frame[["gpa", "rank", "gre"]])))
    expected = reference.transform(frame)
    if "dask" in (fitted_on, applied_to):
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_missing_column_same_error_in_every_library(frame, library, method):
    partial = frame[["admit", "gpa", "rank"]]
    fitted = AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError) as pandas_error:
        getattr(clone(fitted) if method == "fit" else fitted, method)(partial)
    assert "missing ['gre'], found ['admit', 'gpa', 'rank']" in str(pandas_error.value)
    with pytest.raises(ValueError) as error:
        getattr(clone(fitted) if method == "fit" else fitted, method)(
            in_library(library, partial))
    assert str(error.value) == str(pandas_error.value)


@pytest.mark.parametrize("library", EAGER)
def test_bad_cell_same_message_in_every_library(frame, library):
    """A NaN in gpa is found at the same data row; pandas adds its index label."""
    bad = frame.copy()
    bad.loc[bad.index[30], "gpa"] = np.nan
    with pytest.raises(ValueError, match=r"column 'gpa', data row 31 \(1-based"):
        AdmissionsPreprocessor().fit(in_library(library, bad))


@pytest.mark.parametrize("library", EAGER)
def test_dates_refused_in_every_library(frame, library):
    dated = frame.assign(gre=pd.date_range("2020-01-01", periods=len(frame)))
    with pytest.raises(ValueError, match="column 'gre': the column holds"):
        AdmissionsPreprocessor().fit(in_library(library, dated))


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_other_library_keeps_pandas_output_and_positions(frame, library):
    """set_output(transform="pandas") gives the pandas result for any input library."""
    pre = AdmissionsPreprocessor().set_output(transform="pandas")
    out = pre.fit_transform(in_library(library, _library_frame(frame)))
    assert_frame_equal(out, AdmissionsPreprocessor().set_output(transform="pandas")
                       .fit_transform(frame.reset_index(drop=True)))


def test_dask_frame_stays_lazy(frame):
    """fit computes once (the partitions' summaries); transform computes nothing."""
    dask = pytest.importorskip("dask", reason="dask is not installed")
    calls = []

    def counting_scheduler(graph, keys, **kwargs):
        calls.append(keys)
        return dask.get(graph, keys, **kwargs)

    data = in_library("dask", _library_frame(frame))
    with dask.config.set(scheduler=counting_scheduler):
        pre = AdmissionsPreprocessor().fit(data)
        assert len(calls) == 1
        out = pre.transform(data)
        assert len(calls) == 1
    assert isinstance(out, dask.array.Array)
    assert out.shape[1] == 6


def test_dask_bad_cell_names_partition_and_label(frame):
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    bad = frame.copy()
    bad.loc[bad.index[100], "gre"] = np.nan
    with pytest.raises(ValueError, match=r"Dask partition 2, rows counted within it\), column "
                                         r"'gre', data row \d+ \(1-based; index label 100\)"):
        AdmissionsPreprocessor().fit(in_library("dask", bad))


def test_dask_transform_refuses_a_container_it_cannot_fill(frame):
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    pre = AdmissionsPreprocessor().fit(frame).set_output(transform="pandas")
    with pytest.raises(ValueError, match="lazy Dask array"):
        pre.transform(in_library("dask", frame))
    with config_context(transform_output="default"):
        AdmissionsPreprocessor().fit(frame).transform(in_library("dask", frame))


def test_dask_empty_frame_is_refused(frame):
    pytest.importorskip("dask.dataframe", reason="dask is not installed")
    with pytest.raises(ValueError, match="0 sample"):
        AdmissionsPreprocessor().fit(in_library("dask", frame.iloc[:0], npartitions=1))


def test_dask_array_is_refused_with_advice(frame):
    da = pytest.importorskip("dask.array", reason="dask is not installed")
    with pytest.raises(TypeError, match="from_dask_array"):
        AdmissionsPreprocessor().fit(da.from_array(frame[_RAW].to_numpy(), chunks=40))
