"""The lessons' constants and the admissions schema, in one place.

Everything the course fixes and the package, its command line, its tests and
its benchmarks refer to lives here: the columns of the admissions file and
the six features of the lessons' preparation, the ranks, the settings of the
lessons' training runs (S3, S6), the inputs of the worked examples (S2, S4,
S5) and the published figures that ``sknn-basic reproduce`` checks.

The cells of the admissions columns are checked here too, once for every
caller (:func:`check_column`): the file loader, the preprocessor and the
lessons' preparation give the same message for the same bad cell.  Row
numbers in messages follow one convention, :func:`data_row_number`: the
1-based number of the data row, the header not counted.
"""

import decimal
import numbers

import numpy as np
import pandas as pd

__all__ = [
    "ADMISSIONS_COLUMNS",
    "INPUT_COLUMNS",
    "NUMERIC_COLUMNS",
    "RANKS",
    "LESSON_FEATURES",
    "S3_PARAMS",
    "S6_PARAMS",
    "WORKED_EXAMPLES",
    "LESSON_FIGURES",
    "data_row_number",
    "describe_row",
    "locate",
    "show_value",
    "bad_cells",
    "check_column",
    "check_unique_columns",
    "s4_example",
]

#: Columns of the admissions file, in the file's order.
ADMISSIONS_COLUMNS = ("admit", "gre", "gpa", "rank")
#: The columns an applicant is described by (the inputs of the preparation).
INPUT_COLUMNS = ("gre", "gpa", "rank")
#: The columns standardised by the preparation.
NUMERIC_COLUMNS = ("gre", "gpa")
#: The ranks of the undergraduate institution, 1 (highest) to 4.
RANKS = (1, 2, 3, 4)
#: The six features of the lessons' preparation, in the lessons' order.
LESSON_FEATURES = NUMERIC_COLUMNS + tuple(f"rank_{rank}" for rank in RANKS)

#: SigmoidGDClassifier parameters of the lessons' S3 run: one sigmoid unit
#: without bias, squared error, full-batch gradient descent, 1000 epochs,
#: learning rate 0.5, weights from RandomState(42).
S3_PARAMS = dict(
    loss="squared_error",
    learning_rate=0.5,
    max_iter=1000,
    batch_size=None,
    fit_intercept=False,
    random_state=42,
    tol=None,
)

#: TwoLayerBackpropClassifier parameters of the lessons' S6 run: a 6-2-1
#: sigmoid network without biases, squared error, full batch, 900 epochs,
#: learning rate 0.005, weights normal(0, 1/sqrt(6)) from RandomState(21).
S6_PARAMS = dict(
    n_hidden=2,
    loss="squared_error",
    learning_rate=0.005,
    max_iter=900,
    batch_size=None,
    momentum=0.0,
    fit_intercept=False,
    init_scale=6**-0.5,
    random_state=21,
    tol=None,
)


def s4_example():
    """The inputs of the forward-pass example S4, drawn as the lessons draw them.

    ``RandomState(42)`` draws ``x = randn(4)``, then the input-to-hidden
    weights ``normal(0, 0.1, (4, 3))``, then hidden-to-output
    ``normal(0, 0.1, (3, 2))``.

    Returns
    -------
    dict
        ``x``, ``weights_input_hidden`` and ``weights_hidden_output``.
    """
    rng = np.random.RandomState(42)
    x = rng.randn(4)
    w_ih = rng.normal(0, 0.1, size=(4, 3))
    w_ho = rng.normal(0, 0.1, size=(3, 2))
    return {"x": x, "weights_input_hidden": w_ih, "weights_hidden_output": w_ho}


#: The given quantities of the worked examples: one gradient step of one
#: sigmoid unit (S2) and one backpropagation step of a 3-2-1 network (S5),
#: both with the squared error and no biases.  S4's inputs are drawn by
#: :func:`s4_example`.
WORKED_EXAMPLES = {
    "S2": {
        "x": [0.1, 0.3],
        "y": 0.2,
        "weights": [-0.8, 0.5],
        "learning_rate": 0.5,
    },
    "S5": {
        "x": [0.5, 0.1, -0.2],
        "target": 0.6,
        "learning_rate": 0.5,
        "weights_input_hidden": [[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]],
        "weights_hidden_output": [0.1, -0.3],
    },
}

# The course's published figures of the S3 and S6 runs, produced by the
# lessons' own per-sample loops on the real admissions file
# (../shared/reference/seed_reference.json).  They are facts of the course,
# kept here so that `sknn-basic reproduce` does not depend on the repository
# layout at run time; a test checks that they still equal the JSON file.
LESSON_FIGURES = {
    "S3_sigmoid_gd_admissions": {
        "weights": [
            0.25311107390812637,
            0.3003922887495849,
            0.09942036815194526,
            -0.6180836823480238,
            -1.1427964565805877,
            -1.4147913849203286,
        ],
        "train_mse_every_100_epochs": [
            0.2627609384996635,
            0.20928619409324875,
            0.20084292908073426,
            0.19862156475527873,
            0.19779851396686027,
            0.19742577912189868,
            0.1972350774624106,
            0.1971294562509248,
            0.19706766341315082,
            0.1970300580177737,
        ],
        "test_accuracy": 0.725,
    },
    "S6_backprop_admissions": {
        "weights_input_hidden": [
            [-0.009556618004353177, -0.051427459999376215],
            [0.43475290688292334, -0.5173504334000478],
            [0.30361519024956235, -0.697987457252836],
            [-0.09360418557755963, -0.09032510533855595],
            [0.4465212363105238, 0.0030856417986596424],
            [-0.25923504948214177, 0.5655196985823127],
        ],
        "weights_hidden_output": [0.5406671741485963, -0.41408766980641915],
        "test_accuracy": 0.425,
    },
}


def data_row_number(position):
    """The number a message gives the data row at 0-based ``position``.

    Rows are numbered from 1, the header not counted: the first applicant of a
    file is "data row 1" wherever a message names it.
    """
    return int(position) + 1


# --------------------------------------------------------------------------
# The cells of an admissions column
# --------------------------------------------------------------------------

#: What a cell of each column must hold, as messages say it.
CELL_RULES = {
    "admit": "0 (not admitted) or 1 (admitted)",
    "gre": "a finite number",
    "gpa": "a finite number",
    "rank": "a whole number from 1 to 4",
}

# The columns whose values come from a fixed set.
_DOMAINS = {"admit": (0, 1), "rank": RANKS}

# Texts that mean "no value" in a file.  They are as unusable as an empty
# cell, and saying "missing" points at the real fix (fill the value in).
_MISSING_TEXTS = ("", "nan", "na", "n/a", "null")

# Column dtypes that are never numbers, with the hint each message gives.
_NOT_NUMBERS = (
    (pd.api.types.is_bool_dtype, "booleans", "write 1 for True and 0 for False (.astype(int))"),
    (pd.api.types.is_datetime64_any_dtype, "dates or times", "pass the numeric column instead"),
    (pd.api.types.is_timedelta64_dtype, "durations", "pass the numeric column instead"),
    (
        pd.api.types.is_complex_dtype,
        "complex numbers",
        "pass the real part (.real) if the imaginary part is 0",
    ),
    (
        lambda dtype: isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype)),
        "periods or intervals",
        "pass the numeric column instead",
    ),
)

_NO_LABEL = object()


def show_value(value, limit=40):
    """Write a value for a message: plain Python, whole floats as ints, short.

    Parameters
    ----------
    value : object
        A cell or an index label.
    limit : int, default=40
        Longest text kept; longer ones (a 400-digit integer) are cut.

    Returns
    -------
    str
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)
    text = repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 3]}... ({len(text)} characters)"
    return text


def describe_row(position, *, label=_NO_LABEL, in_file=False):
    """Name the data row at 0-based ``position`` in a message.

    Parameters
    ----------
    position : int
        0-based position of the row among the data rows.
    label : object, optional
        The row's index label, for a DataFrame; shown beside the number so
        that the row can be found with ``.loc`` as well as in the file.
    in_file : bool, default=False
        True when the rows come from a file with a header line.

    Returns
    -------
    str
        For example ``"data row 3 (1-based, header not counted)"``.
    """
    number = data_row_number(position)
    if in_file:
        return f"data row {number} (1-based, header not counted)"
    if label is not _NO_LABEL:
        return f"data row {number} (1-based; index label {show_value(label)})"
    return f"data row {number} (1-based)"


def locate(source, column, position=None, *, index=None, in_file=False):
    """The head of a message about a column, or about one of its cells.

    Parameters
    ----------
    source : str
        Who reads the data: ``"Admissions file 'x.csv'"``, an estimator's
        name, a function's name.
    column : str
        The column.
    position : int or None, default=None
        0-based row position of the cell, or None for the whole column.
    index : pandas.Index or None, default=None
        Index of the DataFrame the column came from, to show the row's label.
    in_file : bool, default=False
        True when the rows come from a file with a header line.

    Returns
    -------
    str
        For example ``"AdmissionsPreprocessor, column 'gre', data row 8
        (1-based; index label 7)"``.
    """
    text = f"{source}, column {column!r}"
    if position is None:
        return text
    label = _NO_LABEL if index is None else index[position]
    return f"{text}, {describe_row(position, label=label, in_file=in_file)}"


def bad_cells(values, column, *, domain=True):
    """Mask of the invalid cells of a numeric column, or None if all are valid.

    Whole-array operations only, and no copy of an integer array, so that a
    large file's column is checked at the speed of NumPy.

    Parameters
    ----------
    values : ndarray of int, unsigned int or float
        The column's values.
    column : str
        One of :data:`ADMISSIONS_COLUMNS`; ``admit`` and ``rank`` also have
        their values checked against their domain.
    domain : bool, default=True
        False checks finiteness only (a rank the caller will ignore).

    Returns
    -------
    ndarray of bool or None
        True where the cell is NaN, infinite or outside the column's domain.
    """
    values = np.asarray(values)
    bad = ~np.isfinite(values) if values.dtype.kind == "f" else None
    allowed = _DOMAINS.get(column) if domain else None
    if allowed is not None:
        outside = ~np.isin(values, allowed)
        bad = outside if bad is None else bad | outside
    if bad is None or not bad.any():
        return None
    return bad


def check_column(
    values,
    column,
    *,
    source,
    index=None,
    in_file=False,
    domain=True,
    outside_advice="",
    error=ValueError,
):
    """Return one admissions column as valid float64 values, or raise.

    Every cell must be a number (numeric dtypes, or text or Python numbers
    in an object column), finite, and, for ``admit`` and ``rank``, in the
    column's domain.  A column of booleans, dates, durations, complex
    numbers, periods or intervals is refused as a whole.

    Parameters
    ----------
    values : Series or array-like of shape (n_rows,)
        The column as given.
    column : str
        One of :data:`ADMISSIONS_COLUMNS`.
    source : str
        Who reads the data, the head of every message.
    index : pandas.Index or None, default=None
        Index of the DataFrame the column came from; messages then show the
        bad row's label beside its number.
    in_file : bool, default=False
        True when the rows come from a file with a header line.
    domain : bool, default=True
        Check ``admit`` and ``rank`` against their domain; False checks
        only that they are finite numbers.
    outside_advice : str, default=""
        Text added to the advice when a value is outside the domain, such
        as another option of the caller.
    error : type of ValueError, default=ValueError
        The exception raised.

    Returns
    -------
    ndarray of float64 of shape (n_rows,)

    Raises
    ------
    ValueError
        Of type ``error``, naming the source, the column, the first bad row
        (see :func:`describe_row`) and what to write there, and counting the
        bad rows.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    for is_kind, kind, hint in _NOT_NUMBERS:
        if is_kind(series.dtype):
            raise error(
                f"{locate(source, column)}: the column holds {kind} (dtype "
                f"{series.dtype}), not numbers; each cell must be "
                f"{CELL_RULES[column]}: {hint}."
            )
    floats, missing = _as_floats(series)
    bad = bad_cells(floats, column, domain=domain)
    if bad is None:
        return floats

    position = int(np.flatnonzero(bad)[0])
    cell = series.iloc[position]
    shown = show_value(cell.strip() if isinstance(cell, str) else cell)
    rule = CELL_RULES[column]
    value = floats[position]
    if missing[position]:
        if isinstance(cell, str):
            problem = "is empty or missing" if not cell.strip() else f"is {shown} (missing)"
        else:
            problem = f"is missing ({shown})"
        advice = "fill in the value or remove the row"
    elif np.isnan(value):
        problem, advice = f"is {shown}, which is not a number", f"write {rule}"
    elif np.isinf(value):
        problem = (
            f"is {shown}, which is not finite in float64 (infinite, or beyond "
            f"about 1.8e308)"
        )
        advice = f"write {rule}"
    else:
        problem, advice = f"is {shown}", f"it must be {rule}{outside_advice}"
    raise error(
        f"{locate(source, column, position, index=index, in_file=in_file)}: the "
        f"value {problem}; {advice}. In all, {int(bad.sum())} row(s) of that "
        f"column are invalid."
    )


def check_unique_columns(columns, wanted, source, error=ValueError):
    """Refuse a table that names one of the ``wanted`` columns more than once.

    Parameters
    ----------
    columns : iterable of str
        The table's column names.
    wanted : iterable of str
        The columns the caller reads.
    source : str
        Who reads the data, the head of the message.
    error : type of ValueError, default=ValueError
        The exception raised.

    Raises
    ------
    ValueError
        Of type ``error``, naming the repeated column.
    """
    columns = list(columns)
    for column in wanted:
        count = columns.count(column)
        if count > 1:
            raise error(
                f"{locate(source, column)}: the column appears {count} times, "
                f"so which one to use is ambiguous; keep exactly one column "
                f"named {column!r}."
            )


def _as_floats(series):
    """Convert a column's cells to float64 and mark the missing ones.

    Parameters
    ----------
    series : Series
        A column whose dtype is not one of the refused kinds.

    Returns
    -------
    floats : ndarray of float64
        NaN where a cell is missing or not a number, infinite where it is
        infinite or beyond float64's range.
    missing : ndarray of bool
        True where the cell is missing (NaN, None, an empty or "NA" text);
        a NaN in ``floats`` that is not missing is not a number.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # A categorical column is as good as the values it stands for.
        series, dtype = series.astype(object), np.dtype(object)
    if pd.api.types.is_numeric_dtype(dtype):
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return floats, np.isnan(floats)

    cells = series.to_numpy(dtype=object)
    floats = np.full(cells.shape[0], np.nan)
    missing = np.zeros(cells.shape[0], dtype=bool)
    is_text = np.fromiter((isinstance(c, str) for c in cells), bool, cells.shape[0])
    if is_text.any():
        # Text is converted in one pass: a file read as text can be large.
        stripped = pd.Series(cells[is_text], dtype=object).str.strip()
        blank = stripped.str.lower().isin(_MISSING_TEXTS).to_numpy()
        parsed = pd.to_numeric(stripped.where(~blank), errors="coerce")
        floats[is_text] = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
        missing[is_text] = blank
    for position in np.flatnonzero(~is_text):
        floats[position], missing[position] = _cell_as_float(cells[position])
    return floats, missing


def _cell_as_float(cell):
    """One non-text cell as (float, is_missing): NaN for what is not a number."""
    if isinstance(cell, (bool, np.bool_)):
        return np.nan, False
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return np.nan, True
    if isinstance(cell, (numbers.Real, decimal.Decimal)):
        try:
            value = float(cell)
        except OverflowError:
            # An int too large for float64 is finite, but unusable here.
            return np.inf, False
        return value, bool(np.isnan(value))
    return np.nan, False
