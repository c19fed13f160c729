"""Feature preparation for the admissions data.

The lessons turn the raw columns ``gre, gpa, rank`` into six model inputs:
``gre`` and ``gpa`` standardised, and ``rank`` one-hot encoded into
``rank_1 .. rank_4`` (all four columns kept).  :class:`AdmissionsPreprocessor`
does exactly that as a scikit-learn transformer, so the preparation can sit
inside a :class:`~sklearn.pipeline.Pipeline` and be fitted on training folds
only.
"""

import math
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

from ._base import _DocumentationLink
from ._lessons import (
    INPUT_COLUMNS,
    LESSON_FEATURES,
    NUMERIC_COLUMNS,
    RANKS,
    check_column,
    check_unique_columns,
    locate,
    show_value,
)

__all__ = ["AdmissionsPreprocessor"]

# Any integer outside RANKS works: the encoder maps it to all-zero columns
# when unknown ranks are ignored.  It lets non-integer ranks (2.5) reach the
# integer-typed encoder without changing its category dtype.
_UNKNOWN_RANK_SENTINEL = 0


class AdmissionsPreprocessor(_DocumentationLink, TransformerMixin, BaseEstimator):
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

    The expected columns are found by name in a DataFrame (each exactly
    once) and by position in an array, whatever the input type was at fit
    time.  Values must be finite numbers (no NaN): any numeric dtype will do,
    and a categorical or text column of numbers is read as those numbers; a
    column of booleans, dates, durations or complex numbers is refused.  The
    cells are checked by the same code as
    :func:`~sknn_basic.datasets.load_admissions` uses, so a bad cell gets the
    same message: the column, the first bad data row (counted from 1, with
    the DataFrame's index label beside it) and what to write there.

    Extreme but finite values never become NaN or infinity: if the mean or
    variance of ``gre`` or ``gpa`` overflows float64, :meth:`fit` raises a
    ``ValueError`` naming the column and a factor to divide it by, and if a
    standardised value overflows in :meth:`transform` (a value far from the
    mean seen in :meth:`fit`, for its standard deviation), it raises one
    naming the column and the row.

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
            If a column is missing or repeated, is not numeric, holds a
            value that is not a finite number, a rank that is not one of 1,
            2, 3, 4, or values whose mean or variance overflows float64, or
            if ``ddof=1`` is asked for with a single sample.
        """
        _check_unique_input_columns(X, self)
        # Only the bookkeeping (n_features_in_, feature_names_in_) is left to
        # sklearn: its array check would reject non-numeric extra columns
        # that this transformer is meant to ignore.
        validate_data(self, X, reset=True, skip_check_array=True)
        # fit always checks the ranks: handle_unknown cannot help here, since
        # nothing could be learned from a rank outside the fixed categories.
        frame = _as_input_frame(X, self, fitting=True)
        n_samples = frame.shape[0]
        if self.ddof == 1 and n_samples < 2:
            raise ValueError(
                f"ddof=1 needs at least 2 samples to estimate a standard "
                f"deviation, got {n_samples} sample; pass more rows or use "
                f"ddof=0."
            )

        column_transformer = ColumnTransformer(
            [
                ("scale", StandardScaler(), list(NUMERIC_COLUMNS)),
                (
                    "onehot",
                    OneHotEncoder(
                        categories=[list(RANKS)],
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
        # Overflow is not warned about but detected, and reported per column.
        with np.errstate(over="ignore", invalid="ignore"):
            column_transformer.fit(_encoder_ready(frame))
            scaler = column_transformer.named_transformers_["scale"]
            if self.ddof == 1:
                _convert_scaler_to_ddof1(scaler)
        _check_statistics(scaler, frame, self)

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
            If a column is missing or repeated, an array does not have 3
            columns, a column is not numeric, a value is not a finite number,
            a standardised value overflows float64, or (with
            ``handle_unknown="error"``) a rank is not one of 1, 2, 3, 4.
        """
        check_is_fitted(self)
        _check_unique_input_columns(X, self)
        frame = _as_input_frame(X, self, fitting=False)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.column_transformer_.transform(_encoder_ready(frame))
        _check_scaled(out, frame, X.index if isinstance(X, pd.DataFrame) else None, self)
        return out

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
        return np.asarray(LESSON_FEATURES, dtype=object)

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


def _check_unique_input_columns(X, estimator):
    """Refuse a DataFrame naming ``gre``, ``gpa`` or ``rank`` more than once."""
    if isinstance(X, pd.DataFrame):
        check_unique_columns(X.columns, INPUT_COLUMNS, type(estimator).__name__)


def _as_input_frame(X, estimator, fitting):
    """Return the ``gre, gpa, rank`` columns of ``X`` as a float64 DataFrame.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, 3)
        Input given to ``fit`` or ``transform``.
    estimator : AdmissionsPreprocessor
        Used to name the estimator in error messages.
    fitting : bool
        True in ``fit``, where every rank must be one of
        :data:`~sknn_basic._lessons.RANKS`.  In ``transform`` that holds
        only with ``handle_unknown="error"``, and the message then mentions
        the other option.

    Returns
    -------
    frame : DataFrame of shape (n_samples, 3)
        Columns ``gre``, ``gpa``, ``rank`` in that order, float64, with the
        index of ``X`` (or a RangeIndex for arrays).

    Raises
    ------
    ValueError
        If columns are missing, an array does not have exactly 3 columns,
        there are no rows, a column is not numeric (booleans, dates,
        durations, complex numbers), a value is not a number or is
        NaN/infinite, or a rank that must be known is not 1, 2, 3 or 4.
    """
    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        missing = [c for c in INPUT_COLUMNS if c not in X.columns]
        if missing:
            raise ValueError(
                f"{name} needs the DataFrame columns gre, gpa, rank; missing "
                f"{missing}, found {[str(c) for c in X.columns]}."
            )
        frame, index = X.loc[:, list(INPUT_COLUMNS)], X.index
    else:
        # check_array gives sklearn's usual messages for sparse input,
        # 1-D/3-D input and empty input; dtype=None keeps strings visible so
        # that the per-column check below can name the offending column.
        array = check_array(
            X, dtype=None, ensure_all_finite=False, estimator=estimator
        )
        if array.shape[1] != len(INPUT_COLUMNS):
            raise ValueError(
                f"{name} expected 3 columns (gre, gpa, rank, in that order), "
                f"got an array with {array.shape[1]} feature(s) (columns); "
                f"pass exactly those three columns, or a DataFrame to select "
                f"them by name."
            )
        frame, index = pd.DataFrame(array, columns=list(INPUT_COLUMNS)), None

    if frame.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a "
            f"minimum of 1 is required by {name}."
        )
    # Unknown ranks are the only cells handle_unknown="ignore" forgives.
    check_ranks = fitting or estimator.handle_unknown == "error"
    outside_advice = "" if fitting else (
        ", or use handle_unknown='ignore' to encode unknown ranks as all-zero "
        "rank columns"
    )
    columns = {
        column: check_column(
            frame[column],
            column,
            source=name,
            index=index,
            domain=check_ranks,
            outside_advice=outside_advice,
        )
        for column in INPUT_COLUMNS
    }
    return pd.DataFrame(columns, index=frame.index)


def _check_statistics(scaler, frame, estimator):
    """Refuse statistics of ``gre`` or ``gpa`` that overflowed float64.

    Parameters
    ----------
    scaler : StandardScaler
        Fitted on ``frame``'s numeric columns (ddof already applied).
    frame : DataFrame
        Output of :func:`_as_input_frame`: finite values.
    estimator : AdmissionsPreprocessor
        Used to name the estimator in the message.

    Raises
    ------
    ValueError
        Naming the first column whose mean, variance or scale is not finite,
        and the factor that would bring it into range.
    """
    statistics = np.vstack([scaler.mean_, scaler.var_, scaler.scale_])
    for i, column in enumerate(NUMERIC_COLUMNS):
        if np.isfinite(statistics[:, i]).all():
            continue
        largest = float(np.max(np.abs(frame[column].to_numpy())))
        # A divisor that brings the largest value near 100: far from overflow
        # and from underflow alike.
        divisor = 10.0 ** (math.floor(math.log10(largest)) - 2)
        raise ValueError(
            f"{locate(type(estimator).__name__, column)}: its values are too "
            f"large to standardise (the largest magnitude is {largest:.3g}, "
            f"and their mean or variance overflows float64). Rescale the "
            f"column's units before fitting, for example divide it by "
            f"{divisor:.0e}."
        )


def _check_scaled(out, frame, index, estimator):
    """Refuse a standardised value that overflowed float64.

    Only new data can do this: a value much farther from the mean seen in
    ``fit`` than the standard deviation seen there.

    Parameters
    ----------
    out : ndarray of shape (n_samples, 6)
        Output of the column transformer; ``gre`` and ``gpa`` first.
    frame : DataFrame
        The checked input it came from.
    index : pandas.Index or None
        Index of a DataFrame input, to show the row's label; None for arrays.
    estimator : AdmissionsPreprocessor
        Fitted; gives the statistics and the name in the message.

    Raises
    ------
    ValueError
        Naming the column and the first row whose standardised value is not
        finite.
    """
    finite = np.isfinite(out[:, : len(NUMERIC_COLUMNS)])
    if finite.all():
        return
    position, i = (int(k[0]) for k in np.nonzero(~finite))
    column = NUMERIC_COLUMNS[i]
    raise ValueError(
        f"{locate(type(estimator).__name__, column, position, index=index)}: "
        f"the value {show_value(frame[column].iloc[position])} is so far from "
        f"the mean seen in fit ({estimator.mean_[i]:.6g}), for the standard "
        f"deviation seen there ({estimator.scale_[i]:.6g}), that its "
        f"standardised value overflows float64. Check the value, or rescale "
        f"the column's units (the same way) before fitting and transforming. "
        f"In all, {int((~finite[:, i]).sum())} row(s) of that column overflow."
    )


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
    rank = frame["rank"].where(frame["rank"].isin(RANKS), _UNKNOWN_RANK_SENTINEL)
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
