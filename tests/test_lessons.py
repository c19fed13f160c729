"""Tests of ``sknn_basic._lessons``: the lessons' constants and the cell checks.

The published figures, the worked examples' inputs and the settings of the
S3/S6 runs are compared with the course's golden numbers in
``../shared/reference/seed_reference.json`` (skipped when it is absent);
the admissions schema and the one cell check that the loader, the
preprocessor and ``lessons_features`` share are tested on small inputs.
"""

import numpy as np
import pandas as pd
import pytest

from sknn_basic import _lessons
from sknn_basic._lessons import (
    ADMISSIONS_COLUMNS,
    INPUT_COLUMNS,
    LESSON_FEATURES,
    LESSON_FIGURES,
    NUMERIC_COLUMNS,
    RANKS,
    S3_PARAMS,
    S6_PARAMS,
    WORKED_EXAMPLES,
    bad_cells,
    check_column,
    check_unique_columns,
    data_row_number,
    describe_row,
    locate,
    s4_example,
    show_value,
)


# --------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------


def test_schema_constants():
    assert ADMISSIONS_COLUMNS == ("admit", "gre", "gpa", "rank")
    assert INPUT_COLUMNS == ("gre", "gpa", "rank")
    assert NUMERIC_COLUMNS == ("gre", "gpa")
    assert RANKS == (1, 2, 3, 4)
    assert LESSON_FEATURES == ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")
    assert set(INPUT_COLUMNS) < set(ADMISSIONS_COLUMNS)
    assert set(_lessons.CELL_RULES) == set(ADMISSIONS_COLUMNS)


def test_all_lists_existing_names():
    for name in _lessons.__all__:
        assert hasattr(_lessons, name), name


def test_schema_has_one_home():
    # datasets and preprocessing re-export or use these very objects.
    from sknn_basic import datasets

    assert datasets.ADMISSIONS_COLUMNS is ADMISSIONS_COLUMNS
    assert datasets.LESSON_FEATURES is LESSON_FEATURES


def test_lesson_features_match_the_reference_columns(s7_reference):
    assert list(LESSON_FEATURES) == s7_reference["columns"]


# --------------------------------------------------------------------------
# The course's numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(LESSON_FIGURES))
def test_lesson_figures_equal_the_reference(reference, key):
    for name, value in LESSON_FIGURES[key].items():
        assert value == reference[key][name], (key, name)


def test_worked_examples_equal_the_reference(reference):
    for key in ("S2", "S5"):
        given = reference[f"{key}_{'single_unit_step' if key == 'S2' else 'backprop_step'}"]
        for name, value in WORKED_EXAMPLES[key].items():
            assert value == given[name], (key, name)


def test_s4_example_draws_the_reference_inputs(reference):
    drawn = s4_example()
    given = reference["S4_forward_pass"]
    for name in ("x", "weights_input_hidden", "weights_hidden_output"):
        np.testing.assert_array_equal(drawn[name], given[name])
    assert drawn["weights_input_hidden"].shape == (4, 3)
    assert drawn["weights_hidden_output"].shape == (3, 2)
    # A fresh draw each call: the caller may change what it gets.
    drawn["x"][0] = 99.0
    assert s4_example()["x"][0] == given["x"][0]


def test_run_settings_match_the_reference(reference):
    s3, s6 = reference["S3_sigmoid_gd_admissions"], reference["S6_backprop_admissions"]
    assert (S3_PARAMS["random_state"], S3_PARAMS["max_iter"]) == (s3["seed"], s3["epochs"])
    assert S3_PARAMS["learning_rate"] == s3["learning_rate"]
    assert (S6_PARAMS["random_state"], S6_PARAMS["max_iter"]) == (s6["seed"], s6["epochs"])
    assert S6_PARAMS["learning_rate"] == s6["learning_rate"]
    assert S6_PARAMS["n_hidden"] == s6["n_hidden"]
    assert S6_PARAMS["init_scale"] == pytest.approx(1 / np.sqrt(len(LESSON_FEATURES)), rel=1e-15)
    for params in (S3_PARAMS, S6_PARAMS):
        assert params["loss"] == "squared_error" and params["fit_intercept"] is False
        assert params["batch_size"] is None and params["tol"] is None


def test_figures_are_consistent_in_shape():
    s3, s6 = LESSON_FIGURES["S3_sigmoid_gd_admissions"], LESSON_FIGURES["S6_backprop_admissions"]
    assert len(s3["weights"]) == len(LESSON_FEATURES)
    assert len(s3["train_mse_every_100_epochs"]) == S3_PARAMS["max_iter"] // 100
    assert np.shape(s6["weights_input_hidden"]) == (len(LESSON_FEATURES), S6_PARAMS["n_hidden"])
    assert len(s6["weights_hidden_output"]) == S6_PARAMS["n_hidden"]


# --------------------------------------------------------------------------
# Row numbers and message heads
# --------------------------------------------------------------------------


def test_one_row_numbering_convention():
    assert data_row_number(0) == 1
    assert data_row_number(np.int64(41)) == 42
    assert describe_row(2, in_file=True) == "data row 3 (1-based, header not counted)"
    assert describe_row(2) == "data row 3 (1-based)"
    assert describe_row(2, label=np.int64(102)) == "data row 3 (1-based; index label 102)"
    assert describe_row(0, label="ann") == "data row 1 (1-based; index label 'ann')"


def test_locate():
    assert locate("Reader", "gre") == "Reader, column 'gre'"
    index = pd.Index([10, 20, 30])
    assert locate("Reader", "gpa", 1, index=index) == "Reader, column 'gpa', data row 2 (1-based; index label 20)"


def test_show_value():
    assert show_value(np.float64(5.0)) == "5"
    assert show_value(2.5) == "2.5"
    assert show_value(1e300) == "1e+300"
    assert show_value("5") == "'5'"
    long = show_value(10**100)
    assert long.startswith("1000") and long.endswith("(101 characters)") and len(long) < 60


# --------------------------------------------------------------------------
# The cell check
# --------------------------------------------------------------------------


def test_bad_cells_is_none_for_valid_columns_of_any_numeric_dtype():
    assert bad_cells(np.array([0, 1, 1], dtype=np.int8), "admit") is None
    assert bad_cells(np.array([1.0, 4.0]), "rank") is None
    assert bad_cells(np.array([-1e308, 5e-324]), "gre") is None
    np.testing.assert_array_equal(bad_cells(np.array([1, 5, 0]), "rank"), [False, True, True])
    np.testing.assert_array_equal(bad_cells(np.array([1.0, np.nan, np.inf]), "gpa"), [False, True, True])
    assert bad_cells(np.array([5.0, 0.5]), "rank", domain=False) is None


def test_check_column_returns_float64():
    out = check_column(pd.Series(["1", " 2 ", "3.0"]), "rank", source="S")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(check_column([0, 1], "admit", source="S"), [0.0, 1.0])


@pytest.mark.parametrize(
    "cells, expected",
    [
        (
            ["1", "", "x"],
            "data row 2 (1-based): the value is empty or missing; fill in the value or "
            "remove the row. In all, 2 row(s)",
        ),
        (["1", "N/A"], "the value is 'N/A' (missing); fill in"),
        (["1", "x"], "the value is 'x', which is not a number; write a whole number from 1 to 4."),
        (["1", "inf"], "the value is 'inf', which is not finite in float64"),
        (["1", "2.5"], "the value is '2.5'; it must be a whole number from 1 to 4. In all, 1 row(s)"),
        ([1.0, 7.0], "the value is 7; it must be a whole number from 1 to 4. In all, 1 row(s)"),
        ([1.0, np.nan], "the value is missing (nan); fill in the value"),
    ],
)
def test_check_column_messages(cells, expected):
    with pytest.raises(ValueError) as info:
        check_column(cells, "rank", source="Reader")
    message = str(info.value)
    assert message.startswith("Reader, column 'rank', data row 2 (1-based): the value ")
    assert expected in message, message


def test_check_column_message_options():
    class CustomError(ValueError):
        pass

    with pytest.raises(CustomError, match=r"data row 2 \(1-based, header not counted\)"):
        check_column(["0", "2"], "admit", source="File", in_file=True, error=CustomError)
    with pytest.raises(ValueError, match=r"from 1 to 4, or do this\. In all"):
        check_column([1, 9], "rank", source="S", outside_advice=", or do this")
    # The extra advice is for values outside the domain only.
    with pytest.raises(ValueError) as info:
        check_column(["x"], "rank", source="S", outside_advice=", or do this")
    assert "or do this" not in str(info.value)
    np.testing.assert_array_equal(check_column([9.0], "rank", source="S", domain=False), [9.0])


@pytest.mark.parametrize("column", ADMISSIONS_COLUMNS)
def test_check_column_loader_and_frame_agree(column):
    # The same bad cell, as a file's text and as a frame's number, is
    # reported at the same row number with the same advice.
    as_text = pd.Series(["1", "1", "-3"])
    as_number = pd.Series([1, 1, -3])
    if column == "gre" or column == "gpa":
        as_text, as_number = pd.Series(["1", "1", "-inf"]), pd.Series([1, 1, -np.inf])
    messages = []
    for cells in (as_text, as_number):
        with pytest.raises(ValueError) as info:
            check_column(cells, column, source="S")
        messages.append(str(info.value).replace("'", ""))
    assert messages[0] == messages[1]


def test_check_unique_columns():
    check_unique_columns(["gre", "gpa", "x", "x"], ["gre", "gpa"], "S")
    with pytest.raises(KeyError):
        check_unique_columns(["gre", "gre"], ["gre"], "S", error=KeyError)
    with pytest.raises(ValueError, match="S, column 'gre': the column appears 3 times"):
        check_unique_columns(["gre", "gre", "gre"], ["gpa", "gre"], "S")
