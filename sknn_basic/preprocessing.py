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

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature
from sklearn.utils._set_output import _get_output_config
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._doc_link import DocumentationLink
from ._engines import is_dask_collection
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


class AdmissionsPreprocessor(DocumentationLink, TransformerMixin, BaseEstimator):
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

    * a DataFrame with (at least) the columns ``gre``, ``gpa`` and
      ``rank``, in any order; other columns (such as ``admit``) are dropped.
      A whole admissions frame can therefore be passed as is.  pandas,
      polars, pyarrow Tables and any frame narwhals reads are read the same
      way, with the same results and messages.  A Dask DataFrame is never
      gathered: :meth:`fit` combines statistics computed per partition
      (equal to the in-memory ones up to rounding) and :meth:`transform`
      returns a lazy Dask array;
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
        # Only the bookkeeping (n_features_in_, feature_names_in_) is left to
        # sklearn, on the column names alone: its array check would reject
        # non-numeric extra columns that this transformer is meant to ignore.
        validate_data(self, _columns_of(X, self), reset=True, skip_check_array=True)
        if is_dask_collection(X):
            return _fit_dask(self, X)
        # fit always checks the ranks: handle_unknown cannot help here, since
        # nothing could be learned from a rank outside the fixed categories.
        frame, _ = _as_input_frame(X, self, fitting=True)
        n_samples = frame.shape[0]
        _check_enough_samples(n_samples, self)
        column_transformer = self._column_transformer()
        # Overflow is not warned about but detected, and reported per column.
        with np.errstate(over="ignore", invalid="ignore"):
            column_transformer.fit(_encoder_ready(frame))
            scaler = column_transformer.named_transformers_["scale"]
            if self.ddof == 1:
                _convert_scaler_to_ddof1(scaler)
        _check_statistics(scaler, _largest_magnitudes(frame), self)
        return self._keep(column_transformer, n_samples)

    def _column_transformer(self):
        """The unfitted column transformer that does the work."""
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
        return column_transformer.set_output(transform="default")

    def _keep(self, column_transformer, n_samples):
        """Publish the fitted column transformer and its statistics."""
        scaler = column_transformer.named_transformers_["scale"]
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
        _columns_of(X, self)
        if is_dask_collection(X):
            return _transform_dask(self, X)
        return self._transform_rows(X)

    def _transform_rows(self, X, source=None):
        """``transform`` of rows in memory (a whole input, or a Dask partition)."""
        frame, index = _as_input_frame(X, self, fitting=False, source=source)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.column_transformer_.transform(_encoder_ready(frame))
        _check_scaled(out, frame, index, self, source)
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


def _frame(X):
    """An in-memory DataFrame of any library as a narwhals DataFrame, else None."""
    frame = nw.from_native(X, eager_only=True, pass_through=True)
    return frame if isinstance(frame, nw.DataFrame) else None


def _columns_of(X, estimator):
    """What ``validate_data`` reads the feature names of: columns, no rows.

    A DataFrame's columns are checked first: ``gre``, ``gpa`` or ``rank``
    named more than once is refused, whatever library holds the frame.

    Parameters
    ----------
    X : DataFrame or array-like
        Input given to ``fit`` or ``transform``: a DataFrame of any library
        narwhals reads (pandas, polars, pyarrow, Dask...) or an array.
    estimator : AdmissionsPreprocessor
        Used to name the estimator in error messages.

    Returns
    -------
    DataFrame or array-like
        A pandas DataFrame as is, a zero-row pandas DataFrame with the
        column names of any other DataFrame (so a lazy frame is never
        computed, and feature names are recorded the same for all), or X
        itself when it is not a DataFrame.
    """
    if isinstance(X, pd.DataFrame):
        check_unique_columns(X.columns, INPUT_COLUMNS, type(estimator).__name__)
        return X
    if is_dask_collection(X):
        if not hasattr(X, "columns"):
            raise TypeError(
                f"{type(estimator).__name__} reads a Dask DataFrame by column name; got a "
                f"{type(X).__name__}. Make it a DataFrame with the columns gre, gpa, rank "
                f"(dask.dataframe.from_dask_array(X, columns=['gre', 'gpa', 'rank']))."
            )
        # Its names are in its metadata: reading them computes nothing.
        names = list(X.columns)
    else:
        frame = _frame(X)
        if frame is None:
            return X
        names = frame.columns
    check_unique_columns(names, INPUT_COLUMNS, type(estimator).__name__)
    return pd.DataFrame(columns=pd.Index(names, dtype=object))


def _check_present(names, estimator):
    """Refuse a DataFrame without one of ``gre``, ``gpa``, ``rank``, naming it."""
    missing = [c for c in INPUT_COLUMNS if c not in names]
    if missing:
        raise ValueError(
            f"{type(estimator).__name__} needs the DataFrame columns gre, gpa, "
            f"rank; missing {missing}, found {[str(c) for c in names]}."
        )


def _as_input_frame(X, estimator, fitting, allow_empty=False, source=None):
    """Return the ``gre, gpa, rank`` columns of ``X`` as a float64 DataFrame.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, 3)
        Input given to ``fit`` or ``transform``: an in-memory DataFrame of
        any library narwhals reads, whose columns are found by name, or an
        array, whose columns are taken in order.
    estimator : AdmissionsPreprocessor
        Used to name the estimator in error messages.
    fitting : bool
        True in ``fit``, where every rank must be one of
        :data:`~sknn_basic._lessons.RANKS`.  In ``transform`` that holds
        only with ``handle_unknown="error"``, and the message then mentions
        the other option.
    allow_empty : bool, default=False
        Accept no rows (a Dask partition may be empty; the whole data set's
        emptiness is checked apart).
    source : str or None, default=None
        Head of the messages about cells; the estimator's name by default.

    Returns
    -------
    frame : DataFrame of shape (n_samples, 3)
        Columns ``gre``, ``gpa``, ``rank`` in that order, float64, with the
        index of a pandas ``X`` (a RangeIndex otherwise).
    index : pandas.Index or None
        The index of a pandas ``X``, shown in messages beside a row's
        number; None for other inputs, whose rows have no labels.

    Raises
    ------
    ValueError
        If columns are missing, an array does not have exactly 3 columns,
        there are no rows, a column is not numeric (booleans, dates,
        durations, complex numbers), a value is not a number or is
        NaN/infinite, or a rank that must be known is not 1, 2, 3 or 4.
    """
    name = type(estimator).__name__
    source = source or name
    table = _frame(X)
    if table is not None:
        _check_present(table.columns, estimator)
        if table.implementation.is_pandas():
            frame, index = X.loc[:, list(INPUT_COLUMNS)], X.index
        else:
            # Each column by its own NumPy dtype, so the cells are checked
            # exactly as the same pandas column's would be.
            frame = pd.DataFrame(
                {c: table.get_column(c).to_numpy() for c in INPUT_COLUMNS}, copy=False
            )
            index = None
    else:
        # check_array gives sklearn's usual messages for sparse input,
        # 1-D/3-D input and empty input; dtype=None keeps strings visible so
        # that the per-column check below can name the offending column.
        array = check_array(
            X, dtype=None, ensure_all_finite=False, estimator=estimator,
            ensure_min_samples=0 if allow_empty else 1,
        )
        if array.shape[1] != len(INPUT_COLUMNS):
            raise ValueError(
                f"{name} expected 3 columns (gre, gpa, rank, in that order), "
                f"got an array with {array.shape[1]} feature(s) (columns); "
                f"pass exactly those three columns, or a DataFrame to select "
                f"them by name."
            )
        frame, index = pd.DataFrame(array, columns=list(INPUT_COLUMNS)), None

    if frame.shape[0] == 0 and not allow_empty:
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
            source=source,
            index=index,
            domain=check_ranks,
            outside_advice=outside_advice,
        )
        for column in INPUT_COLUMNS
    }
    return pd.DataFrame(columns, index=frame.index), index


def _check_enough_samples(n_samples, estimator):
    """Refuse ``ddof=1`` with a single sample."""
    if estimator.ddof == 1 and n_samples < 2:
        raise ValueError(
            f"ddof=1 needs at least 2 samples to estimate a standard "
            f"deviation, got {n_samples} sample; pass more rows or use "
            f"ddof=0."
        )


def _largest_magnitudes(frame):
    """The largest absolute ``gre`` and ``gpa`` of a checked frame (0 without rows)."""
    values = np.abs(frame.loc[:, list(NUMERIC_COLUMNS)].to_numpy())
    return values.max(axis=0, initial=0.0)


def _check_statistics(scaler, largest, estimator):
    """Refuse statistics of ``gre`` or ``gpa`` that overflowed float64.

    Parameters
    ----------
    scaler : StandardScaler
        Fitted on the numeric columns (ddof already applied).
    largest : ndarray of shape (2,)
        The largest magnitude of ``gre`` and ``gpa`` in the (finite) data.
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
        # A divisor that brings the largest value near 100: far from overflow
        # and from underflow alike.
        divisor = 10.0 ** (math.floor(math.log10(largest[i])) - 2)
        raise ValueError(
            f"{locate(type(estimator).__name__, column)}: its values are too "
            f"large to standardise (the largest magnitude is {largest[i]:.3g}, "
            f"and their mean or variance overflows float64). Rescale the "
            f"column's units before fitting, for example divide it by "
            f"{divisor:.0e}."
        )


def _check_scaled(out, frame, index, estimator, source=None):
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
    source : str or None, default=None
        Head of the message; the estimator's name by default.

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
        f"{locate(source or type(estimator).__name__, column, position, index=index)}: "
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


# ------------------------------------------------------------------- Dask
#
# A Dask DataFrame is read by name from its metadata and never gathered: each
# partition is checked and summarised where it lives, the client combines the
# summaries, and transform is mapped lazily over the partitions.


def _partition_source(estimator, number):
    """Head of the messages about a Dask partition's cells, whose rows count from its start."""
    return f"{type(estimator).__name__} (Dask partition {number}, rows counted within it)"


def _partition_summary(partition, estimator, number):
    """Rows, means, sums of squared deviations and largest magnitudes of a partition.

    Runs on the worker holding the partition, which is checked cell by cell
    as ``fit`` checks a whole frame in memory (row numbers in a message count
    from the partition's start; the index label beside them is the frame's).
    """
    frame, _ = _as_input_frame(partition, estimator, fitting=True, allow_empty=True,
                               source=_partition_source(estimator, number))
    n = frame.shape[0]
    if n == 0:
        return 0, np.zeros(2), np.zeros(2), np.zeros(2)
    # The in-memory statistics, by the same StandardScaler.
    with np.errstate(over="ignore", invalid="ignore"):
        scaler = StandardScaler().fit(frame.loc[:, list(NUMERIC_COLUMNS)].to_numpy())
    return n, scaler.mean_, scaler.var_ * n, _largest_magnitudes(frame)


def _combined(summaries):
    """One summary of several, by the pairwise update of Chan, Golub and LeVeque.

    A single non-empty summary comes out unchanged, so a one-partition frame
    gets exactly the in-memory statistics.
    """
    n, mean, squares, largest = 0, np.zeros(2), np.zeros(2), np.zeros(2)
    for n_b, mean_b, squares_b, largest_b in summaries:
        if n_b == 0:
            continue
        if n == 0:
            n, mean, squares = n_b, mean_b, squares_b
        else:
            total = n + n_b
            delta = mean_b - mean
            mean = mean + delta * (n_b / total)
            squares = squares + squares_b + delta**2 * (n * n_b / total)
            n = total
        largest = np.maximum(largest, largest_b)
    return n, mean, squares, largest


def _fit_dask(estimator, X):
    """``fit`` on a Dask DataFrame: statistics reduced from its partitions."""
    import dask

    _check_present(list(X.columns), estimator)
    partitions = X[list(INPUT_COLUMNS)].to_delayed()
    summarise = dask.delayed(_partition_summary, pure=True)
    shell = dask.delayed(estimator, pure=True)
    with np.errstate(over="ignore", invalid="ignore"):
        n, mean, squares, largest = _combined(
            dask.compute(*(summarise(part, shell, k) for k, part in enumerate(partitions)))
        )
    if n == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape=(0, 3)) while a minimum of 1 "
            f"is required by {type(estimator).__name__}."
        )
    _check_enough_samples(n, estimator)
    # The encoder's categories are fixed and the scaler's statistics are set
    # below, so two rows of known ranks fit the transformer's structure.
    column_transformer = estimator._column_transformer().fit(
        pd.DataFrame({"gre": [0.0, 1.0], "gpa": [0.0, 1.0], "rank": [1, 2]})
    )
    scaler = column_transformer.named_transformers_["scale"]
    with np.errstate(over="ignore", invalid="ignore"):
        var = squares / n
        # What StandardScaler.fit does with the variance it computed.
        scale = _handle_zeros_in_scale(
            np.sqrt(var), copy=False, constant_mask=_is_constant_feature(var, mean, n)
        )
    scaler.mean_, scaler.var_, scaler.scale_ = mean, var, scale
    scaler.n_samples_seen_ = n
    if estimator.ddof == 1:
        _convert_scaler_to_ddof1(scaler)
    _check_statistics(scaler, largest, estimator)
    return estimator._keep(column_transformer, n)


def _transform_dask(estimator, X):
    """``transform`` of a Dask DataFrame: a lazy Dask array, partition by partition."""
    import dask
    import dask.array as da

    if _get_output_config("transform", estimator)["dense"] != "default":
        raise ValueError(
            f"{type(estimator).__name__} returns a lazy Dask array for a Dask "
            f"DataFrame and cannot wrap it in the container asked by "
            f"set_output; use set_output(transform='default') for Dask input."
        )
    _check_present(list(X.columns), estimator)
    shell = dask.delayed(estimator, pure=True)
    transform = dask.delayed(_transform_partition, pure=True)
    blocks = [
        da.from_delayed(transform(shell, part, k), shape=(np.nan, len(LESSON_FEATURES)),
                        dtype=np.float64)
        for k, part in enumerate(X[list(INPUT_COLUMNS)].to_delayed())
    ]
    return da.concatenate(blocks, axis=0)


def _transform_partition(estimator, partition, number):
    """``transform`` of one partition, on the worker that holds it."""
    if partition.shape[0] == 0:
        return np.empty((0, len(LESSON_FEATURES)))
    return estimator._transform_rows(partition, _partition_source(estimator, number))
