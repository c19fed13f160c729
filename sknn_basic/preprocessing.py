"""Feature preparation for the admissions data.

The lessons turn the raw columns ``gre, gpa, rank`` into six model inputs:
``gre`` and ``gpa`` standardised, and ``rank`` one-hot encoded into
``rank_1 .. rank_4`` (all four columns kept).  :class:`AdmissionsPreprocessor`
does exactly that as a scikit-learn transformer, so the preparation can sit
inside a :class:`~sklearn.pipeline.Pipeline` and be fitted on training folds
only.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

__all__ = ["AdmissionsPreprocessor"]

_INPUT_COLUMNS = ("gre", "gpa", "rank")
_NUMERIC_COLUMNS = ("gre", "gpa")
_RANKS = (1, 2, 3, 4)
_OUTPUT_COLUMNS = ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")

# Any integer outside _RANKS works: the encoder maps it to all-zero columns
# when unknown ranks are ignored.  It lets non-integer ranks (2.5) reach the
# integer-typed encoder without changing its category dtype.
_UNKNOWN_RANK_SENTINEL = 0


class AdmissionsPreprocessor(TransformerMixin, BaseEstimator):
    """Standardise ``gre`` and ``gpa`` and one-hot encode ``rank``.

    This is the data preparation of the lessons: the output has the six
    columns ``gre, gpa, rank_1, rank_2, rank_3, rank_4`` in that order, where
    ``gre`` and ``gpa`` are centred and divided by their standard deviation
    and ``rank_k`` is 1.0 for rows of rank ``k`` and 0.0 otherwise.

    The work is delegated to a :class:`~sklearn.compose.ColumnTransformer`
    made of a :class:`~sklearn.preprocessing.StandardScaler` (for ``gre`` and
    ``gpa``) and a :class:`~sklearn.preprocessing.OneHotEncoder` with the
    fixed categories ``[1, 2, 3, 4]`` (for ``rank``).  The statistics are
    learned in :meth:`fit` only; :meth:`transform` applies them, so fitting on
    a training set and transforming a test set leaks nothing from the test
    set.

    Parameters
    ----------
    ddof : {0, 1}, default=1
        Delta degrees of freedom of the standard deviation used to scale
        ``gre`` and ``gpa``.  ``1`` (the sample standard deviation, divisor
        ``n - 1``) reproduces the lessons; ``0`` (divisor ``n``) is what
        :class:`~sklearn.preprocessing.StandardScaler` uses on its own.
        ``StandardScaler`` always estimates with ``ddof=0``; for ``ddof=1``
        its fitted ``scale_`` and ``var_`` are multiplied afterwards by
        ``sqrt(n / (n - 1))`` and ``n / (n - 1)``, with ``n`` the number of
        samples seen in :meth:`fit`.  Columns the scaler found constant keep
        the scale 1.0 it gave them, so they are not blown up.
    handle_unknown : {"error", "ignore"}, default="error"
        What :meth:`transform` does with a ``rank`` outside ``1, 2, 3, 4``.
        ``"error"`` raises a :class:`ValueError` naming the bad value and the
        allowed ones; ``"ignore"`` encodes that row's four rank columns as
        zeros.  :meth:`fit` always rejects such ranks, since the categories
        are fixed and nothing could be learned from them.

    Attributes
    ----------
    column_transformer_ : ~sklearn.compose.ColumnTransformer
        The fitted transformer doing the work (a ``"scale"`` step on ``gre``
        and ``gpa``, a ``"onehot"`` step on ``rank``).  It always returns
        NumPy arrays; pandas output is produced by this estimator's own
        ``set_output``.
    mean_ : ndarray of shape (2,)
        Mean of ``gre`` and ``gpa`` seen in :meth:`fit`.
    scale_ : ndarray of shape (2,)
        Standard deviation (with the requested ``ddof``) of ``gre`` and
        ``gpa`` used for scaling.
    var_ : ndarray of shape (2,)
        Variance of ``gre`` and ``gpa`` with the requested ``ddof``.
    n_samples_seen_ : int
        Number of rows seen in :meth:`fit`.
    n_features_in_ : int
        Number of columns seen in :meth:`fit` (including ignored extra
        DataFrame columns).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns seen in :meth:`fit`.  Only defined when ``X``
        was a DataFrame.

    See Also
    --------
    sknn_basic.datasets.lessons_features : The lessons' whole preparation,
        including its split.

    Notes
    -----
    Accepted inputs are

    * a :class:`pandas.DataFrame` with (at least) the columns ``gre``,
      ``gpa`` and ``rank``, in any order; other columns (such as ``admit``)
      are dropped.  A whole admissions frame can therefore be passed as is;
    * an array-like of shape ``(n_samples, 3)`` whose columns are, in this
      order, ``gre``, ``gpa`` and ``rank``.

    The expected columns are found by name in a DataFrame and by position in
    an array, whatever the input type was at fit time.  Values must be
    numeric and finite (no NaN), and ``rank`` must hold whole numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn_basic.preprocessing import AdmissionsPreprocessor
    >>> frame = pd.DataFrame({"gre": [500.0, 700.0], "gpa": [3.0, 3.8],
    ...                       "rank": [1, 3]})
    >>> pre = AdmissionsPreprocessor(ddof=0).fit(frame)
    >>> pre.transform(frame)
    array([[-1., -1.,  1.,  0.,  0.,  0.],
           [ 1.,  1.,  0.,  0.,  1.,  0.]])
    >>> list(pre.get_feature_names_out())
    ['gre', 'gpa', 'rank_1', 'rank_2', 'rank_3', 'rank_4']
    """

    _parameter_constraints = {
        "ddof": [Interval(Integral, 0, 1, closed="both")],
        "handle_unknown": [StrOptions({"error", "ignore"})],
    }

    def __init__(self, ddof=1, handle_unknown="error"):
        self.ddof = ddof
        self.handle_unknown = handle_unknown

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the mean and standard deviation of ``gre`` and ``gpa``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 3)
            A DataFrame with columns ``gre``, ``gpa`` and ``rank`` (extra
            columns are ignored), or an array whose three columns are
            ``gre``, ``gpa``, ``rank`` in that order.  Every ``rank`` must be
            1, 2, 3 or 4.
        y : None
            Ignored; accepted for compatibility with pipelines.

        Returns
        -------
        self : AdmissionsPreprocessor
            The fitted transformer.

        Raises
        ------
        ValueError
            If a column is missing, a value is not numeric or is NaN, a rank
            is not one of 1, 2, 3, 4, or ``ddof=1`` is asked for with a
            single sample.
        """
        # Only the bookkeeping (n_features_in_, feature_names_in_) is left to
        # sklearn: its array check would reject non-numeric extra columns
        # that this transformer is meant to ignore.
        validate_data(self, X, reset=True, skip_check_array=True)
        frame = _as_input_frame(X, self)
        _check_ranks(frame["rank"], fitting=True)
        n_samples = frame.shape[0]
        if self.ddof == 1 and n_samples < 2:
            raise ValueError(
                f"ddof=1 needs at least 2 samples to estimate a standard "
                f"deviation, got {n_samples} sample; pass more rows or use "
                f"ddof=0."
            )

        column_transformer = ColumnTransformer(
            [
                ("scale", StandardScaler(), list(_NUMERIC_COLUMNS)),
                (
                    "onehot",
                    OneHotEncoder(
                        categories=[list(_RANKS)],
                        handle_unknown=self.handle_unknown,
                        sparse_output=False,
                        dtype=np.float64,
                    ),
                    ["rank"],
                ),
            ],
            remainder="drop",
            verbose_feature_names_out=False,
        )
        # Pin the inner output to NumPy so a global
        # set_config(transform_output="pandas") cannot change what this
        # estimator's own set_output wraps.
        column_transformer.set_output(transform="default")
        column_transformer.fit(_encoder_ready(frame))

        scaler = column_transformer.named_transformers_["scale"]
        if self.ddof == 1:
            _convert_scaler_to_ddof1(scaler)

        self.column_transformer_ = column_transformer
        self.mean_ = scaler.mean_.copy()
        self.scale_ = scaler.scale_.copy()
        self.var_ = scaler.var_.copy()
        self.n_samples_seen_ = int(n_samples)
        return self

    def transform(self, X):
        """Standardise ``gre``/``gpa`` and one-hot encode ``rank``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, 3)
            Same layout as in :meth:`fit`: a DataFrame holding ``gre``,
            ``gpa`` and ``rank`` (other columns are dropped) or an array with
            the three columns in that order.

        Returns
        -------
        X_out : ndarray of shape (n_samples, 6)
            Columns ``gre, gpa, rank_1, rank_2, rank_3, rank_4`` as float64.
            A DataFrame with those column names (and the input's index, for
            DataFrame input) after ``set_output(transform="pandas")``.

        Raises
        ------
        ~sklearn.exceptions.NotFittedError
            If called before :meth:`fit`.
        ValueError
            If a column is missing, an array does not have 3 columns, a value
            is not numeric or is NaN, or (with ``handle_unknown="error"``) a
            rank is not one of 1, 2, 3, 4.
        """
        check_is_fitted(self)
        frame = _as_input_frame(X, self)
        if self.handle_unknown == "error":
            _check_ranks(frame["rank"], fitting=False)
        return self.column_transformer_.transform(_encoder_ready(frame))

    def get_feature_names_out(self, input_features=None):
        """Names of the six output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked for consistency with the columns seen in
            :meth:`fit` (as scikit-learn transformers do); the output names
            do not depend on it.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4"]``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(_OUTPUT_COLUMNS, dtype=object)

    def __sklearn_tags__(self):
        """Declare the inputs and outputs this transformer supports.

        Returns
        -------
        tags : ~sklearn.utils.Tags
            Dense 2-D numeric input without missing values; float64 output.
            No tag can say "exactly three columns with ranks in 1..4", which
            is why many generic estimator checks cannot apply to it.
        """
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


def _as_input_frame(X, estimator):
    """Return the ``gre, gpa, rank`` columns of ``X`` as a float64 DataFrame.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, 3)
        Input given to ``fit`` or ``transform``.
    estimator : AdmissionsPreprocessor
        Used to name the estimator in error messages.

    Returns
    -------
    frame : DataFrame of shape (n_samples, 3)
        Columns ``gre``, ``gpa``, ``rank`` in that order, float64, with the
        index of ``X`` (or a RangeIndex for arrays).

    Raises
    ------
    ValueError
        If columns are missing, an array does not have exactly 3 columns,
        there are no rows, or a value is non-numeric or NaN/infinite.
    """
    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        missing = [c for c in _INPUT_COLUMNS if c not in X.columns]
        if missing:
            raise ValueError(
                f"{name} needs the DataFrame columns gre, gpa, rank; missing "
                f"{missing}, found {[str(c) for c in X.columns]}."
            )
        frame = X.loc[:, list(_INPUT_COLUMNS)]
    else:
        # check_array gives sklearn's usual messages for sparse input,
        # 1-D/3-D input and empty input; dtype=None keeps strings visible so
        # that the per-column check below can name the offending column.
        array = check_array(
            X, dtype=None, ensure_all_finite=False, estimator=estimator
        )
        if array.shape[1] != len(_INPUT_COLUMNS):
            raise ValueError(
                f"{name} expected 3 columns (gre, gpa, rank, in that order), "
                f"got an array with {array.shape[1]} feature(s) (columns); "
                f"pass exactly those three columns, or a DataFrame to select "
                f"them by name."
            )
        frame = pd.DataFrame(array, columns=list(_INPUT_COLUMNS))

    if frame.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a "
            f"minimum of 1 is required by {name}."
        )
    return pd.DataFrame(
        {column: _numeric_column(frame[column], column, name) for column in _INPUT_COLUMNS},
        index=frame.index,
    )


def _numeric_column(values, column, estimator_name):
    """Convert one input column to finite float64 values.

    Parameters
    ----------
    values : Series
        The column as given.
    column : str
        Its name, for error messages.
    estimator_name : str
        Name of the estimator, for error messages.

    Returns
    -------
    converted : Series of float64

    Raises
    ------
    ValueError
        If a value is not numeric, or is NaN or infinite.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        raise ValueError(
            f"{estimator_name}: column {column!r} holds booleans; numeric "
            f"values are expected."
        )
    converted = pd.to_numeric(values, errors="coerce")
    # to_numeric turns both unparseable values and genuine missing values
    # into NaN; telling them apart makes the message point at the real fix.
    bad = ~np.isfinite(converted.to_numpy(dtype=np.float64, na_value=np.nan))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raw = values.iloc[position]
        if pd.isna(raw):
            problem = "is missing (NaN)"
        elif pd.isna(converted.iloc[position]):
            problem = f"is {_format_value(raw)}, not a number"
        else:
            problem = f"is {_format_value(raw)}, not a finite number"
        raise ValueError(
            f"{estimator_name}: column {column!r} must hold finite numbers "
            f"without NaN; the value at {_describe_row(values.index, position)} "
            f"{problem}. {int(bad.sum())} value(s) in that column are "
            f"affected; fill or drop those rows first."
        )
    return converted.astype(np.float64)


def _check_ranks(rank, fitting):
    """Reject ranks outside 1..4.

    Parameters
    ----------
    rank : Series of float64
        The ``rank`` column, already numeric and finite.
    fitting : bool
        True in ``fit``, where ``handle_unknown`` cannot help, so the message
        does not suggest it.

    Raises
    ------
    ValueError
        Naming the first bad value, its row and the allowed ranks.
    """
    unknown = ~rank.isin(_RANKS).to_numpy()
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        value = float(rank.iloc[position])
        shown = int(value) if value.is_integer() else value
        if fitting:
            advice = "fit needs every rank to be one of them: fix or drop the row"
        else:
            advice = (
                "fix the data, or use handle_unknown='ignore' to encode "
                "unknown ranks as all-zero rank columns"
            )
        raise ValueError(
            f"Found unknown rank {shown!r} in column 'rank' at "
            f"{_describe_row(rank.index, position)}; the allowed ranks are "
            f"1, 2, 3, 4. {advice[0].upper()}{advice[1:]} "
            f"({int(unknown.sum())} row(s) affected)."
        )


def _describe_row(index, position):
    """Say where a row is, by position and, if it differs, by index label.

    Parameters
    ----------
    index : Index
        Index of the frame being checked.
    position : int
        0-based row position.

    Returns
    -------
    str
    """
    label = index[position]
    text = f"row position {position} (0-based"
    if not (isinstance(label, (int, np.integer)) and label == position):
        text += f"; index label {label!r}"
    return text + ")"


def _format_value(value):
    """Show a raw input value without NumPy's scalar wrapper in messages."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _encoder_ready(frame):
    """Give ``rank`` the integer dtype of the encoder's categories.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`_as_input_frame`.

    Returns
    -------
    DataFrame
        Same data with ``rank`` as int64; ranks that are not 1..4 (only
        present when they are to be ignored) become a sentinel value.
    """
    # A float rank column would make the encoder compare against float
    # categories and name its outputs "rank_1.0"; casting keeps "rank_1".
    rank = frame["rank"].where(frame["rank"].isin(_RANKS), _UNKNOWN_RANK_SENTINEL)
    return frame.assign(rank=rank.astype(np.int64))


def _convert_scaler_to_ddof1(scaler):
    """Turn a fitted ddof=0 ``StandardScaler`` into a ddof=1 one, in place.

    Parameters
    ----------
    scaler : StandardScaler
        Fitted with ``with_std=True`` on at least 2 samples.
    """
    n = float(np.max(scaler.n_samples_seen_))
    factor = n / (n - 1.0)
    # StandardScaler replaces the scale of a constant column by exactly 1.0
    # while its variance stays (near) zero; such a column must keep 1.0.
    constant = (scaler.scale_ == 1.0) & (scaler.var_ != 1.0)
    scaler.var_ = scaler.var_ * factor
    scaler.scale_ = np.where(constant, 1.0, scaler.scale_ * np.sqrt(factor))


def _expected_failed_checks(estimator=None):
    """Generic scikit-learn checks this transformer cannot pass, with reasons.

    Meant for ``check_estimator(..., expected_failed_checks=...)`` and
    ``parametrize_with_checks(..., expected_failed_checks=...)``.

    Parameters
    ----------
    estimator : AdmissionsPreprocessor or None, default=None
        Ignored; present so the function can be passed to
        ``parametrize_with_checks`` directly.

    Returns
    -------
    dict of str to str
        Check name to the reason it does not apply.
    """
    # Every check listed here feeds random floats with a generic number of
    # columns; such data is not an admissions table (3 columns, rank in
    # 1..4), so fit rejects it before the property under test is reached.
    # The same properties are tested on valid data in
    # tests/test_preprocessing.py.
    reason = (
        "generic check data is not gre, gpa, rank with every rank in 1..4; "
        "the property is tested on admissions data instead"
    )
    names = (
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
    return dict.fromkeys(names, reason)
