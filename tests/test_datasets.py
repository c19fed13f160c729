"""Tests of ``sknn_basic.datasets``: loading, synthetic data and the lessons' split.

Tests that need the real admissions file (or the reference numbers) read
them from ``../shared`` next to the repository and are skipped when it is
absent; the file itself is never copied into the repository.
"""

import io
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from sklearn.linear_model import LogisticRegression

from sknn_basic import datasets
from sknn_basic.datasets import (
    ADMISSIONS_COLUMNS,
    LESSON_FEATURES,
    AdmissionsDataError,
    lessons_features,
    load_admissions,
    load_default_admissions,
    make_admissions,
    split_like_the_lessons,
)
from sknn_basic.preprocessing import AdmissionsPreprocessor


# Published facts of the real file (shared/data/README.md).
_PUBLISHED = {
    "gre_mean": 587.7,
    "gre_sd": 115.5165,
    "gpa_mean": 3.3899,
    "gpa_sd": 0.380567,
    "corr": 0.384,
    "admit_rate": 127 / 400,
    "rank_share": np.array([61, 151, 121, 67]) / 400,
}
# intercept, gre, gpa, rank_2, rank_3, rank_4
_PUBLISHED_LOGIT = np.array([-3.989977, 0.002264, 0.804037, -0.675443, -1.340203, -1.551463])

_GOOD_CSV = "admit,gre,gpa,rank\n0,380,3.61,3\n1,660,3.67,2\n0,800,4.00,1\n1,520,2.93,4\n"

def _write(tmp_path, text, name="admissions.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _logit_coefficients(frame):
    """Unpenalised logistic fit, rank 1 as the baseline.

    Returns intercept, gre, gpa, rank_2, rank_3, rank_4 on the raw scale.
    """
    X = np.column_stack(
        [frame["gre"], frame["gpa"]] + [frame["rank"] == k for k in (2, 3, 4)]
    ).astype(float)
    # Fitting on standardised columns keeps lbfgs fast and well conditioned;
    # the coefficients are mapped back to the raw scale afterwards.
    mean, sd = X.mean(axis=0), X.std(axis=0)
    model = LogisticRegression(C=np.inf, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit((X - mean) / sd, frame["admit"])
    coef = model.coef_[0] / sd
    return np.r_[model.intercept_[0] - coef @ mean, coef]


# --------------------------------------------------------------------------
# Constants and public names
# --------------------------------------------------------------------------


def test_public_constants():
    assert ADMISSIONS_COLUMNS == ("admit", "gre", "gpa", "rank")
    assert LESSON_FEATURES == ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")


def test_all_lists_existing_names():
    for name in datasets.__all__:
        assert hasattr(datasets, name), name


def test_lesson_features_match_preprocessor_output():
    pre = AdmissionsPreprocessor().fit(make_admissions(20, random_state=0))
    assert tuple(pre.get_feature_names_out()) == LESSON_FEATURES


def test_data_error_is_a_value_error():
    assert issubclass(AdmissionsDataError, ValueError)


# --------------------------------------------------------------------------
# load_admissions: good files
# --------------------------------------------------------------------------


def test_load_good_file(tmp_path):
    frame = load_admissions(_write(tmp_path, _GOOD_CSV))
    assert list(frame.columns) == list(ADMISSIONS_COLUMNS)
    assert frame.dtypes.to_dict() == {
        "admit": np.dtype("int64"),
        "gre": np.dtype("float64"),
        "gpa": np.dtype("float64"),
        "rank": np.dtype("int64"),
    }
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["gre"].tolist() == [380.0, 660.0, 800.0, 520.0]
    assert frame["gpa"].tolist() == [3.61, 3.67, 4.0, 2.93]
    assert frame["rank"].tolist() == [3, 2, 1, 4]
    assert frame["admit"].tolist() == [0, 1, 0, 1]


def test_load_accepts_str_path(tmp_path):
    path = _write(tmp_path, _GOOD_CSV)
    assert_frame_equal(load_admissions(str(path)), load_admissions(path))


def test_round_trip_of_synthetic_data(tmp_path):
    frame = make_admissions(60, random_state=5)
    path = tmp_path / "synthetic.csv"
    frame.to_csv(path, index=False)
    assert_frame_equal(load_admissions(path), frame)


def test_load_ignores_extra_columns_order_and_header_spaces(tmp_path):
    text = " gpa , admit,name,rank,gre\n3.61,1.0,bob,2.0,380\n2.5,0,amy,4,700\n"
    frame = load_admissions(_write(tmp_path, text))
    assert list(frame.columns) == list(ADMISSIONS_COLUMNS)
    # Whole numbers written as floats ("1.0", "2.0") are accepted.
    assert frame.to_dict("list") == {
        "admit": [1, 0],
        "gre": [380.0, 700.0],
        "gpa": [3.61, 2.5],
        "rank": [2, 4],
    }


def test_load_real_file(real_csv):
    frame = load_admissions(real_csv)
    assert frame.shape == (400, 4)
    assert list(frame.columns) == list(ADMISSIONS_COLUMNS)
    assert int(frame["admit"].sum()) == 127
    assert frame["rank"].value_counts().sort_index().tolist() == [61, 151, 121, 67]
    assert frame["gre"].mean() == pytest.approx(587.7)
    assert frame["gpa"].mean() == pytest.approx(3.3899)


# --------------------------------------------------------------------------
# load_admissions: every error path
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_admissions(path)


def test_directory_is_rejected(tmp_path):
    with pytest.raises(AdmissionsDataError, match="not a regular file"):
        load_admissions(tmp_path)


def test_empty_file(tmp_path):
    with pytest.raises(AdmissionsDataError, match=r"empty\.csv.*is empty"):
        load_admissions(_write(tmp_path, "", name="empty.csv"))


def test_header_without_rows(tmp_path):
    with pytest.raises(AdmissionsDataError, match="no data rows"):
        load_admissions(_write(tmp_path, "admit,gre,gpa,rank\n"))


def test_ragged_lines(tmp_path):
    text = "admit,gre,gpa,rank\n0,380,3.61,3\n0,380,3.61,3,7,8\n"
    with pytest.raises(AdmissionsDataError, match="not a readable CSV file"):
        load_admissions(_write(tmp_path, text))


@pytest.mark.parametrize("dropped", ADMISSIONS_COLUMNS)
def test_missing_column(tmp_path, dropped):
    kept = [c for c in ADMISSIONS_COLUMNS if c != dropped]
    frame = pd.read_csv(_write(tmp_path, _GOOD_CSV, name="full.csv"))
    path = tmp_path / "partial.csv"
    frame[kept].to_csv(path, index=False)
    with pytest.raises(AdmissionsDataError) as info:
        load_admissions(path)
    message = str(info.value)
    assert "partial.csv" in message
    assert f"[{dropped!r}]" in message  # which column is missing
    assert f"Found columns {kept}" in message
    assert f"expected {list(ADMISSIONS_COLUMNS)}" in message


# Each case puts one bad cell in the third data row (line 4 of the file).
_BAD_CELLS = [
    ("gre", "abc", "not a number"),
    ("gpa", "3.5.1", "not a number"),
    ("gpa", "three", "not a number"),
    ("admit", "yes", "not a number"),
    ("rank", "first", "not a number"),
    ("gre", "", "empty or missing"),
    ("gpa", "NaN", "missing"),
    ("rank", "", "empty or missing"),
    ("gre", "inf", "finite number"),
    ("rank", "5", "whole number from 1 to 4"),
    ("rank", "0", "whole number from 1 to 4"),
    ("rank", "2.5", "whole number from 1 to 4"),
    ("rank", "-1", "whole number from 1 to 4"),
    ("admit", "2", r"0 \(not admitted\) or 1 \(admitted\)"),
    ("admit", "0.5", r"0 \(not admitted\) or 1 \(admitted\)"),
]


def _message_for_bad_cell(tmp_path, column, cell, position):
    """Load the good file with one cell replaced; return the error message."""
    frame = pd.read_csv(_write(tmp_path, _GOOD_CSV, name="good.csv"), dtype=str)
    frame.loc[position, column] = cell
    path = tmp_path / "bad_cell.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(AdmissionsDataError) as info:
        load_admissions(path)
    return str(info.value)


@pytest.mark.parametrize("column, cell, problem", _BAD_CELLS)
def test_bad_cell_message_names_file_column_and_row(tmp_path, column, cell, problem):
    message = _message_for_bad_cell(tmp_path, column, cell, 2)
    assert "bad_cell.csv" in message
    assert f"column {column!r}" in message
    assert "data row 3 (1-based, header not counted)" in message
    assert re.search(problem, message), message
    assert "In all, 1 row(s)" in message


def test_short_line_is_an_empty_cell(tmp_path):
    text = "admit,gre,gpa,rank\n0,380,3.61,3\n0,380,3.61\n"
    with pytest.raises(AdmissionsDataError, match=r"column 'rank', data row 2 .*empty"):
        load_admissions(_write(tmp_path, text))


def test_first_offending_row_and_count_are_reported(tmp_path):
    text = "admit,gre,gpa,rank\n0,380,3.61,3\n0,380,3.61,7\n0,380,3.61,x\n"
    with pytest.raises(AdmissionsDataError) as info:
        load_admissions(_write(tmp_path, text))
    assert "data row 2" in str(info.value)
    assert "'7'" in str(info.value)
    assert "In all, 2 row(s)" in str(info.value)


# The fast path reads numbers with pandas' parser; these cells reach the
# text check instead, and must get the same treatment as before.
@pytest.mark.parametrize(
    "column, cell, problem",
    [
        ("admit", "True", "'True', which is not a number"),
        ("rank", "None", "'None', which is not a number"),
        ("gre", "1e400", "'1e400', which is not finite in float64"),
        ("gpa", "-inf", "'-inf', which is not finite in float64"),
        ("gre", "0x10", "'0x10', which is not a number"),
    ],
)
def test_cells_pandas_would_misread_are_reported(tmp_path, column, cell, problem):
    message = _message_for_bad_cell(tmp_path, column, cell, 1)
    assert f"column {column!r}, data row 2 (1-based, header not counted): the value is {problem}" in message


def test_numbers_pandas_cannot_type_are_still_read(tmp_path):
    # A huge integer makes pandas keep the column as text; the text check
    # reads it as the float it is.
    text = "admit,gre,gpa,rank\n0,99999999999999999999999,3.61,3\n1, 660 ,3.67,2.0\n"
    frame = load_admissions(_write(tmp_path, text))
    assert frame["gre"].tolist() == [1e23, 660.0]
    assert frame["rank"].tolist() == [3, 2] and frame["rank"].dtype == np.int64


def test_whole_column_checks_find_the_first_bad_row_of_a_long_file(tmp_path):
    frame = make_admissions(30_000, random_state=1)
    frame.loc[[21_000, 27_000], "rank"] = [7, 0]
    frame.loc[25_000, "admit"] = 3
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(AdmissionsDataError) as info:
        load_admissions(path)
    # admit comes before rank in the schema, so its bad row is reported.
    message = str(info.value)
    assert "column 'admit', data row 25001 (1-based, header not counted)" in message
    assert "the value is '3'" in message and "In all, 1 row(s)" in message
    frame.loc[25_000, "admit"] = 1
    frame.to_csv(path, index=False)
    with pytest.raises(AdmissionsDataError, match=r"column 'rank', data row 21001 .*In all, 2 row\(s\)"):
        load_admissions(path)


def test_repeated_header_column_is_refused(tmp_path):
    text = "admit,gre,gpa,rank, gre\n0,380,3.61,3,400\n"
    with pytest.raises(AdmissionsDataError, match=r"admissions\.csv', column 'gre': the column appears 2 times"):
        load_admissions(_write(tmp_path, text))


# --------------------------------------------------------------------------
# make_admissions
# --------------------------------------------------------------------------


def test_make_admissions_format():
    frame = make_admissions(250, random_state=1)
    assert frame.shape == (250, 4)
    assert list(frame.columns) == list(ADMISSIONS_COLUMNS)
    assert frame.dtypes.tolist() == [np.dtype(t) for t in ("int64", "float64", "float64", "int64")]
    assert isinstance(frame.index, pd.RangeIndex)
    assert set(frame["admit"].unique()) <= {0, 1}
    assert set(frame["rank"].unique()) <= {1, 2, 3, 4}


def test_make_admissions_value_grids():
    frame = make_admissions(5000, random_state=2)
    gre, gpa = frame["gre"].to_numpy(), frame["gpa"].to_numpy()
    assert np.all(gre % 20 == 0)
    assert gre.min() >= 220 and gre.max() <= 800
    assert np.allclose(gpa * 100, np.round(gpa * 100), rtol=0, atol=1e-9)
    assert gpa.min() >= 2.26 and gpa.max() <= 4.00
    # The ceilings produce piles, as in the real file.
    assert (gre == 800).sum() > 50
    assert (gpa == 4.00).sum() > 50


def test_make_admissions_single_sample():
    frame = make_admissions(1, random_state=0)
    assert frame.shape == (1, 4)


def test_make_admissions_is_deterministic_for_an_int_seed():
    assert_frame_equal(make_admissions(100, random_state=7), make_admissions(100, random_state=7))
    assert not make_admissions(100, random_state=7).equals(make_admissions(100, random_state=8))


def test_make_admissions_accepts_a_random_state_instance():
    a = make_admissions(50, random_state=np.random.RandomState(3))
    assert_frame_equal(a, make_admissions(50, random_state=3))


def test_make_admissions_default_size():
    assert make_admissions(random_state=0).shape == (400, 4)


@pytest.mark.parametrize("n_samples", [0, -3])
def test_make_admissions_rejects_small_n(n_samples):
    with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
        make_admissions(n_samples)


@pytest.mark.parametrize("n_samples", [2.5, 400.0, "400", None, True])
def test_make_admissions_rejects_non_int_n(n_samples):
    with pytest.raises(TypeError, match="n_samples must be an int >= 1"):
        make_admissions(n_samples)


def test_make_admissions_accepts_numpy_int():
    assert make_admissions(np.int64(3), random_state=0).shape == (3, 4)


def test_make_admissions_rejects_bad_random_state():
    with pytest.raises(ValueError):
        make_admissions(10, random_state="seed")


# Sampling noise of one 400-row draw (one standard error, measured over 300
# draws): gre mean ~6, gre sd ~4, gpa mean ~0.018, gpa sd ~0.013,
# correlation ~0.043, admission rate ~0.023, each rank share ~0.02.  On top
# come the small biases from rounding and clipping (gre mean -1.5, gre sd
# -3.3, gpa mean -0.009, gpa sd -0.019, admission rate -0.004).  The
# tolerances below are about 3 standard errors plus the bias, and are
# checked on five fixed seeds (seed 0 is the embedded default data set).
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_make_admissions_400_rows_resembles_the_real_file(seed):
    frame = make_admissions(400, random_state=seed)
    assert abs(frame["gre"].mean() - _PUBLISHED["gre_mean"]) < 25
    assert abs(frame["gre"].std() - _PUBLISHED["gre_sd"]) < 15
    assert abs(frame["gpa"].mean() - _PUBLISHED["gpa_mean"]) < 0.06
    assert abs(frame["gpa"].std() - _PUBLISHED["gpa_sd"]) < 0.06
    assert abs(frame["gre"].corr(frame["gpa"]) - _PUBLISHED["corr"]) < 0.12
    assert abs(frame["admit"].mean() - _PUBLISHED["admit_rate"]) < 0.07
    share = frame["rank"].value_counts(normalize=True).reindex([1, 2, 3, 4], fill_value=0)
    assert np.all(np.abs(share.to_numpy() - _PUBLISHED["rank_share"]) < 0.06)


# Standard errors of the logistic coefficients fitted on one 400-row draw,
# measured over 300 draws (intercept, gre, gpa, rank_2, rank_3, rank_4).
_LOGIT_SE_400 = np.array([1.17, 0.0012, 0.35, 0.31, 0.34, 0.43])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_make_admissions_400_rows_gives_sane_logistic_fit(seed):
    coef = _logit_coefficients(make_admissions(400, random_state=seed))
    assert np.all(np.abs(coef - _PUBLISHED_LOGIT) < 3 * _LOGIT_SE_400), coef


@pytest.fixture(scope="module")
def large_sample():
    """200,000 synthetic rows: sampling noise small enough to see calibration."""
    return make_admissions(200_000, random_state=0)


def test_large_sample_recovers_published_logistic_model(large_sample):
    # Standard errors at n=200,000 are about 0.05 (intercept), 0.00005 (gre)
    # and 0.02 (gpa, ranks); the tolerances are about 5 of them.
    coef = _logit_coefficients(large_sample)
    assert abs(coef[0] - _PUBLISHED_LOGIT[0]) < 0.25
    assert abs(coef[1] - _PUBLISHED_LOGIT[1]) < 0.0005
    assert np.all(np.abs(coef[2:] - _PUBLISHED_LOGIT[2:]) < 0.1), coef


def test_large_sample_moments_are_calibrated(large_sample):
    # Only the rounding/clipping biases listed above remain at this size.
    frame = large_sample
    assert abs(frame["gre"].mean() - _PUBLISHED["gre_mean"]) < 3
    assert abs(frame["gre"].std() - _PUBLISHED["gre_sd"]) < 5
    assert abs(frame["gpa"].mean() - _PUBLISHED["gpa_mean"]) < 0.015
    assert abs(frame["gpa"].std() - _PUBLISHED["gpa_sd"]) < 0.025
    assert abs(frame["gre"].corr(frame["gpa"]) - _PUBLISHED["corr"]) < 0.015
    assert abs(frame["admit"].mean() - _PUBLISHED["admit_rate"]) < 0.01
    share = frame["rank"].value_counts(normalize=True).sort_index().to_numpy()
    assert np.all(np.abs(share - _PUBLISHED["rank_share"]) < 0.005)
    # Share of rows on the gre ceiling: 6.25 % in the real file.
    assert 0.02 < (frame["gre"] == 800).mean() < 0.08


def test_rank_effects_show_in_admission_rates(large_sample):
    # Real file: 0.541 / 0.358 / 0.231 / 0.179.
    rates = large_sample.groupby("rank")["admit"].mean().to_numpy()
    assert np.all(np.diff(rates[:3]) < 0)
    assert np.allclose(rates, [0.541, 0.358, 0.231, 0.179], atol=0.04)


def test_default_admissions_is_the_seeded_synthetic_set():
    default = load_default_admissions()
    assert_frame_equal(default, make_admissions(400, random_state=0))
    # A fresh frame each time: callers may modify it freely.
    default.loc[0, "gre"] = -1.0
    assert load_default_admissions().loc[0, "gre"] != -1.0


# --------------------------------------------------------------------------
# split_like_the_lessons
# --------------------------------------------------------------------------


def test_split_reproduces_s7_test_rows(real_csv, s7_reference):
    frame = load_admissions(real_csv)
    train, test = split_like_the_lessons(frame)
    assert list(test.index) == s7_reference["test_index"]
    assert len(train) == s7_reference["n_train"] and len(test) == s7_reference["n_test"]
    expected_train = np.random.RandomState(42).choice(400, 360, replace=False)
    assert list(train.index) == list(expected_train)


def test_split_sizes_and_disjointness():
    frame = make_admissions(400, random_state=0)
    train, test = split_like_the_lessons(frame)
    assert (len(train), len(test)) == (360, 40)
    assert set(train.index).isdisjoint(test.index)
    assert sorted(set(train.index) | set(test.index)) == list(range(400))
    assert test.index.is_monotonic_increasing


def test_split_order_and_labels():
    frame = make_admissions(50, random_state=0)
    frame.index = frame.index + 1000
    train, test = split_like_the_lessons(frame, random_state=3, train_fraction=0.8)
    positions = np.random.RandomState(3).choice(50, 40, replace=False)
    assert list(train.index) == list(positions + 1000)
    assert_frame_equal(train, frame.iloc[positions])
    rest = np.setdiff1d(np.arange(50), positions)
    assert_frame_equal(test, frame.iloc[rest])


def test_split_uses_round_for_the_training_size():
    frame = make_admissions(10, random_state=0)
    train, test = split_like_the_lessons(frame, train_fraction=0.75)  # 7.5 -> 8
    assert (len(train), len(test)) == (round(7.5), 10 - round(7.5))


def test_split_accepts_a_series():
    series = make_admissions(30, random_state=0)["gre"]
    train, test = split_like_the_lessons(series)
    assert isinstance(train, pd.Series) and len(train) + len(test) == 30


def test_split_is_deterministic():
    frame = make_admissions(100, random_state=0)
    a, _ = split_like_the_lessons(frame, random_state=11)
    b, _ = split_like_the_lessons(frame, random_state=11)
    c, _ = split_like_the_lessons(frame, random_state=12)
    assert list(a.index) == list(b.index) != list(c.index)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_split_rejects_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_like_the_lessons(make_admissions(20, random_state=0), train_fraction=fraction)


def test_split_rejects_a_split_leaving_a_set_empty():
    with pytest.raises(ValueError, match="both sets need at least one row"):
        split_like_the_lessons(make_admissions(3, random_state=0), train_fraction=0.9)


def test_split_rejects_non_pandas_input():
    with pytest.raises(TypeError, match="DataFrame or Series"):
        split_like_the_lessons(np.zeros((10, 4)))


# --------------------------------------------------------------------------
# lessons_features
# --------------------------------------------------------------------------


def test_lessons_features_reproduces_s7(real_csv, s7_reference):
    frame = load_admissions(real_csv)
    X_train, X_test, y_train, y_test = lessons_features(frame)
    assert list(X_train.columns) == s7_reference["columns"]
    assert list(X_test.index) == s7_reference["test_index"]
    assert list(y_test.index) == s7_reference["test_index"]
    assert (len(X_train), len(X_test)) == (s7_reference["n_train"], s7_reference["n_test"])
    X = pd.concat([X_train, X_test]).sort_index()
    for column in ("gre", "gpa"):
        mean = s7_reference[f"{column}_mean"]
        std = s7_reference[f"{column}_std_ddof1"]
        expected = (frame[column] - mean) / std
        np.testing.assert_allclose(X[column], expected, rtol=0, atol=1e-12)
    assert int(pd.concat([y_train, y_test]).sum()) == 127


def test_lessons_features_format_and_leak():
    frame = make_admissions(400, random_state=0)
    X_train, X_test, y_train, y_test = lessons_features(frame)
    assert (X_train.shape, X_test.shape) == ((360, 6), (40, 6))
    for X in (X_train, X_test):
        assert tuple(X.columns) == LESSON_FEATURES
        assert (X.dtypes == np.float64).all()
    for y in (y_train, y_test):
        assert y.name == "admit" and y.dtype == np.int64

    train, test = split_like_the_lessons(frame)
    assert list(X_train.index) == list(train.index) == list(y_train.index)
    assert list(X_test.index) == list(test.index) == list(y_test.index)
    assert_series_equal(y_test, test["admit"])

    # The lessons' leak: statistics of the whole frame, test rows included.
    expected = (train["gre"] - frame["gre"].mean()) / frame["gre"].std(ddof=1)
    np.testing.assert_allclose(X_train["gre"], expected, rtol=0, atol=1e-12)
    rank_columns = X_train[list(LESSON_FEATURES[2:])].to_numpy()
    assert np.array_equal(rank_columns.sum(axis=1), np.ones(360))
    assert np.array_equal(rank_columns.argmax(axis=1) + 1, train["rank"].to_numpy())


def test_lessons_features_seed_changes_the_split():
    frame = make_admissions(100, random_state=0)
    _, X_test_a, _, _ = lessons_features(frame, random_state=1)
    _, X_test_b, _, _ = lessons_features(frame, random_state=2)
    assert list(X_test_a.index) != list(X_test_b.index)
    assert len(X_test_a) == 10


def test_lessons_features_needs_admit():
    frame = make_admissions(20, random_state=0).drop(columns="admit")
    with pytest.raises(ValueError, match="'admit'"):
        lessons_features(frame)


def test_lessons_features_rejects_non_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        lessons_features(np.zeros((20, 4)))


@pytest.mark.parametrize(
    "value, problem",
    [
        (0.5, "the value is 0.5; it must be 0 (not admitted) or 1 (admitted)"),
        (2, "the value is 2; it must be 0 (not admitted) or 1 (admitted)"),
        (-1, "the value is -1; it must be 0"),
        ("yes", "the value is 'yes', which is not a number; write 0 (not admitted) or 1"),
        (np.nan, "the value is missing (nan)"),
    ],
)
def test_lessons_features_checks_admit(value, problem):
    frame = make_admissions(40, random_state=0).set_axis(np.arange(40) + 100)
    frame["admit"] = frame["admit"].astype(object)
    frame.loc[107, "admit"] = value
    with pytest.raises(ValueError) as info:
        lessons_features(frame)
    message = str(info.value)
    assert message.startswith("lessons_features, column 'admit', data row 8 (1-based; index label 107)")
    assert problem in message, message


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int16, "Int64", "Float64", str])
def test_lessons_features_accepts_admit_of_any_numeric_dtype(dtype):
    frame = make_admissions(40, random_state=0)
    reference = lessons_features(frame)
    other = lessons_features(frame.astype({"admit": dtype}))
    for expected, got in zip(reference, other):
        if isinstance(expected, pd.Series):
            assert_series_equal(got, expected)
        else:
            assert_frame_equal(got, expected)


def test_lessons_features_refuses_boolean_or_repeated_admit():
    frame = make_admissions(40, random_state=0)
    with pytest.raises(ValueError, match="column 'admit': the column holds booleans"):
        lessons_features(frame.assign(admit=frame["admit"] == 1))
    with pytest.raises(ValueError, match="column 'admit': the column appears 2 times"):
        lessons_features(pd.concat([frame, frame[["admit"]]], axis=1))


def test_lessons_features_does_not_modify_input():
    frame = make_admissions(40, random_state=0)
    copy = frame.copy()
    lessons_features(frame)
    assert_frame_equal(frame, copy)


def test_a_repeated_header_column_is_refused(tmp_path):
    # pandas renames a second "gre" to "gre.1"; the loader reads the header as
    # written and refuses the ambiguity instead of silently taking the first.
    path = tmp_path / "twice.csv"
    path.write_text("admit,gre,gpa,rank,gre\n0,380,3.61,3,400\n1,660,3.67,3,500\n")
    with pytest.raises(AdmissionsDataError, match="'gre'.*appears 2 times"):
        load_admissions(path)


# --------------------------------------------------------------------------
# Rows wider than the header, and hostile files
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, fields",
    [
        # A few extra fields on the first data row (pandas made them an index).
        ("admit,gre,gpa,rank\n1,500,3.1,2,7,7,7,7,7\n0,400,3.0,1\n", 2, 9),
        ("admit,gre,gpa,rank\n0,400,3.0,1\n\n1,500,3.1,2,7\n", 4, 5),
        ("admit,gre,gpa,rank\r\n0,400,3.0,1\r\n1,500,3.1,2,7\r\n", 3, 5),
        ("admit,gre,gpa,rank\r0,400,3.0,1\r1,500,3.1,2,7\r", 3, 5),  # old Mac line ends
        ("\n\nadmit,gre,gpa,rank\n1,500,3.1,2,7", 4, 5),  # no final line break
        # A comma inside quotes is no field separator; a line break inside
        # quotes continues the record, which starts on line 2.
        ('admit,gre,gpa,rank,note\n0,400,3.0,1,"a,\nb",9\n', 2, 6),
        # A quote in the middle of a field is a plain character.
        ('admit,gre,gpa,rank,note\n1,500,3.1,2,ab"c,5\n', 2, 6),
    ],
)
def test_a_row_wider_than_the_header_is_refused(tmp_path, text, line, fields):
    path = tmp_path / "wide.csv"
    path.write_bytes(text.encode())
    with pytest.raises(AdmissionsDataError, match=(
        rf"wide\.csv' is not a readable CSV file: line {line} has {fields} fields, "
        rf"more than the header's \d"
    )):
        load_admissions(path)


def test_trailing_commas_are_an_extra_field_unless_the_header_has_one(tmp_path):
    rows = "0,380,3.61,3,\n1,660,3.67,2,\n"
    with pytest.raises(AdmissionsDataError, match=r"line 2 has 5 fields.*ends with a comma"):
        load_admissions(_write(tmp_path, "admit,gre,gpa,rank\n" + rows))
    frame = load_admissions(_write(tmp_path, "admit,gre,gpa,rank,\n" + rows))
    assert frame["gre"].tolist() == [380.0, 660.0]


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffadmit,gre,gpa,rank\r\n0,380,3.61,3\r\n\r\n1,660,3.67,2\r\n",  # BOM, CRLF, blank
        'admit,gre,gpa,rank,note\n"0","380","3.61","3","a, ""b"""\n1,660,3.67,2,"x\ny"\n',
        "admit,gre,gpa,rank\n   \n0,380,3.61,3\n1,660,3.67,2",
        'admit,gre,gpa,rank,note\n0,380,3.61,3,5\'11"\n1,660,3.67,2,x\n',
    ],
)
def test_quotes_line_ends_bom_and_blank_lines_load(tmp_path, text):
    path = tmp_path / "ok.csv"
    path.write_bytes(text.encode())
    frame = load_admissions(path)
    assert frame["admit"].tolist() == [0, 1]
    assert frame["gre"].tolist() == [380.0, 660.0]
    assert frame["rank"].tolist() == [3, 2]


def test_a_header_of_absurd_width_is_refused(tmp_path):
    wide = "admit,gre,gpa,rank" + ",x" * datasets.MAX_COLUMNS + "\n0,380,3.61,3\n"
    with pytest.raises(AdmissionsDataError, match=r"header \(line 1\) has 10,004 fields"):
        load_admissions(_write(tmp_path, wide))
    long = "admit,gre,gpa,rank," + "x" * (2 << 20) + "\n0,380,3.61,3\n"
    with pytest.raises(AdmissionsDataError, match=r"header \(line 1\) is longer than 1 MiB"):
        load_admissions(_write(tmp_path, long))


_HOSTILE_CHILD = """
import sys, tracemalloc
from sknn_basic.datasets import AdmissionsDataError, load_admissions
tracemalloc.start()
try:
    load_admissions(sys.argv[1])
except AdmissionsDataError as exc:
    print(exc)
print(tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize(
    "head, tail, message",
    [
        ("admit,gre,gpa,rank\n1,500,3.1,2", "\n", r"line 2 has at least [\d,]+ fields"),
        ("admit,gre,gpa,rank\n0,400,3.0,1\n1,500,3.1,2", "\n", r"line 3 has at least"),
        ("admit,gre,gpa,rank", "\n0,400,3.0,1\n", r"header \(line 1\) is longer"),
    ],
    ids=["wide first row", "wide later row", "wide header"],
)
def test_ten_megabytes_of_extra_fields_fail_in_bounded_memory(tmp_path, head, tail, message):
    path = tmp_path / "hostile.csv"
    with open(path, "w") as handle:
        handle.write(head + ",77" * 3_400_000 + tail)  # about 10 MB
    # A fresh interpreter, so that the peak is this read's alone.
    completed = subprocess.run(
        [sys.executable, "-c", _HOSTILE_CHILD, str(path)],
        capture_output=True, text=True, check=True,
    )
    error, peak = completed.stdout.strip().splitlines()
    assert re.search(message, error), error
    assert "hostile.csv" in error
    # pandas took 26 s and 930 MB on 300 KB of such a file; the check reads
    # blocks of 4 MiB.
    assert int(peak) < 64e6


# ------------------------------------------------------- fetch_admissions
#
# The file is served from a local HTTP server on 127.0.0.1 (a thread of this
# process); no test touches the network.


class _Server:
    """A one-folder HTTP server in a thread; ``url(name)`` and ``requests``."""

    def __init__(self, folder):
        import functools
        import http.server
        import threading

        server = self
        self.requests = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

        self._httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{name}"

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def served(tmp_path, admissions_path):
    """A server of a folder holding the real file (as binary.csv) and tampered copies."""
    folder = tmp_path / "site"
    folder.mkdir()
    text = admissions_path.read_text()
    (folder / "binary.csv").write_text(text)
    lines = text.splitlines(keepends=True)
    # One label flipped: the admitted count changes.
    flipped = lines[:]
    flipped[1] = ("1" if flipped[1][0] == "0" else "0") + flipped[1][1:]
    (folder / "flipped.csv").write_text("".join(flipped))
    # Two labels of the same rank swapped: every count, mean and rate stays,
    # only the logistic coefficients tell.
    frame = pd.read_csv(io.StringIO(text))
    for rank in (1, 2, 3, 4):
        rows = frame.index[frame["rank"] == rank]
        admitted = rows[frame.loc[rows, "admit"] == 1]
        rejected = rows[frame.loc[rows, "admit"] == 0]
        i, j = admitted[0], rejected[0]
        if frame.loc[i, ["gre", "gpa"]].tolist() != frame.loc[j, ["gre", "gpa"]].tolist():
            break
    swapped = frame.copy()
    swapped.loc[[i, j], "admit"] = [0, 1]
    (folder / "swapped.csv").write_text(swapped.to_csv(index=False))
    (folder / "extra_column.csv").write_text(
        "".join(line.rstrip("\n") + (",x\n" if k else ",note\n") for k, line in enumerate(lines))
    )
    (folder / "short.csv").write_text("".join(lines[:200]))
    server = _Server(folder)
    yield server
    server.close()


def test_fetch_downloads_verifies_caches_and_loads(served, tmp_path, admissions_path):
    home = tmp_path / "home"
    frame = datasets.fetch_admissions(data_home=home, url=served.url("binary.csv"))
    assert_frame_equal(frame, load_admissions(admissions_path))
    cached = home / "admissions" / "binary.csv"
    assert cached.read_bytes() == admissions_path.read_bytes()
    assert [p.name for p in cached.parent.iterdir()] == ["binary.csv"]  # no part file left
    assert served.requests == ["/binary.csv"]
    # The second call reads the cache: no request, even with an unusable url.
    again = datasets.fetch_admissions(data_home=home, url=served.url("missing.csv"))
    assert_frame_equal(again, frame)
    assert served.requests == ["/binary.csv"]


def test_the_environment_variable_moves_the_cache(served, tmp_path, monkeypatch):
    monkeypatch.setenv("SKNN_BASIC_DATA", str(tmp_path / "elsewhere"))
    datasets.fetch_admissions(url=served.url("binary.csv"))
    assert (tmp_path / "elsewhere" / "admissions" / "binary.csv").is_file()
    assert datasets._admissions_cache_path() == str(
        tmp_path / "elsewhere" / "admissions" / "binary.csv"
    )


@pytest.mark.parametrize(
    "name, complaint",
    [
        ("flipped.csv", "admitted: got 128, published 127"),
        ("swapped.csv", "logistic coefficient"),
        ("extra_column.csv", "header: got admit,gre,gpa,rank,note"),
        ("short.csv", "rows: got 199, published 400"),
    ],
)
def test_a_file_that_differs_is_refused_and_not_cached(served, tmp_path, name, complaint):
    home = tmp_path / "home"
    with pytest.raises(AdmissionsDataError, match="not the course's admissions file") as info:
        datasets.fetch_admissions(data_home=home, url=served.url(name))
    assert complaint in str(info.value)
    assert served.url(name) in str(info.value)
    assert list((home / "admissions").iterdir()) == []


def test_a_tampered_cache_is_refused_with_advice(served, tmp_path):
    home = tmp_path / "home"
    datasets.fetch_admissions(data_home=home, url=served.url("binary.csv"))
    cached = home / "admissions" / "binary.csv"
    cached.write_text(cached.read_text().replace("0,380,3.61,3", "1,380,3.61,3", 1))
    with pytest.raises(AdmissionsDataError, match="delete it to download it again"):
        datasets.fetch_admissions(data_home=home, url=served.url("binary.csv"))


def test_offline_is_one_clear_error_saying_where_to_put_the_file(tmp_path):
    # A port nobody listens on: the connection is refused at once.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "home"
    expected = str(home / "admissions" / "binary.csv")
    with pytest.raises(OSError) as info:
        datasets.fetch_admissions(data_home=home, url=f"http://127.0.0.1:{port}/binary.csv",
                                  timeout=5)
    message = str(info.value)
    assert "could not download" in message and repr(expected) in message
    assert datasets.ADMISSIONS_URL in message
    assert not (home / "admissions" / "binary.csv").exists()
    with pytest.raises(OSError, match="not cached"):
        datasets.fetch_admissions(data_home=home, download_if_missing=False)


def test_an_http_error_is_the_same_clear_error(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    server = _Server(folder)
    try:
        with pytest.raises(OSError, match=r"could not download .*HTTP 404 .*save it as"):
            datasets.fetch_admissions(data_home=tmp_path / "home", url=server.url("binary.csv"))
    finally:
        server.close()


def test_an_oversized_response_is_refused_unread(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "big.csv").write_bytes(b"admit,gre,gpa,rank\n" + b"0,380,3.61,3\n" * 100_000)
    server = _Server(folder)
    try:
        with pytest.raises(AdmissionsDataError, match="larger than"):
            datasets.fetch_admissions(data_home=tmp_path / "home", url=server.url("big.csv"))
    finally:
        server.close()
    assert list((tmp_path / "home" / "admissions").iterdir()) == []


def test_the_published_facts_hold_for_the_real_file(admissions_path):
    frame = load_admissions(admissions_path)
    assert datasets._published_fact_differences(frame, list(ADMISSIONS_COLUMNS)) == []


def test_fetch_admissions_is_public():
    import sknn_basic

    assert sknn_basic.fetch_admissions is datasets.fetch_admissions
    assert "fetch_admissions" in sknn_basic.__all__
