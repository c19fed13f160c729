"""The UCLA graduate-admissions data: loading, a calibrated synthetic twin,
and the lessons' preparation.

The course works on a 400-row CSV file with the columns ``admit, gre, gpa,
rank``.  That file is not shipped with the package.  Instead

* :func:`load_admissions` reads (and thoroughly checks) a copy of it, or any
  file in the same format;
* :func:`fetch_admissions` downloads the real file on first use from the
  statistics site the course took it from, checks it against the published
  facts, caches it and loads it;
* :func:`make_admissions` draws a synthetic data set in the same format,
  calibrated to the published facts about the real file (rank proportions,
  means, standard deviations and correlation of ``gre`` and ``gpa``, and the
  published logistic model of ``admit``);
* :func:`load_default_admissions` is the fixed synthetic set used wherever no
  file is given;
* :func:`split_like_the_lessons` and :func:`lessons_features` reproduce the
  lessons' split and feature preparation exactly.
"""

import csv
import math
import os
import tempfile
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.utils import check_random_state

from ._lessons import (
    ADMISSIONS_COLUMNS,
    LESSON_FEATURES,
    RANKS,
    bad_cells,
    check_column,
    check_unique_columns,
)
from .preprocessing import AdmissionsPreprocessor

__all__ = [
    "ADMISSIONS_COLUMNS",
    "LESSON_FEATURES",
    "AdmissionsDataError",
    "fetch_admissions",
    "load_admissions",
    "make_admissions",
    "load_default_admissions",
    "split_like_the_lessons",
    "lessons_features",
]

_DTYPES = {"admit": np.int64, "gre": np.float64, "gpa": np.float64, "rank": np.int64}

# Published facts about the real file (see the data README); the generator
# is calibrated to them so that the embedded default behaves like the file.
_RANK_COUNTS = np.array([61, 151, 121, 67], dtype=float)
_GRE_MEAN, _GRE_SD = 587.7, 115.5165
_GPA_MEAN, _GPA_SD = 3.3899, 0.380567
_GRE_GPA_CORR = 0.384
_GRE_STEP, _GRE_MIN, _GRE_MAX = 20.0, 220.0, 800.0
_GPA_MIN, _GPA_MAX = 2.26, 4.00
_LOGIT_INTERCEPT = -3.989977
_LOGIT_GRE = 0.002264
_LOGIT_GPA = 0.804037
# Index k holds the effect of rank k + 1; rank 1 is the baseline.
_LOGIT_RANK = np.array([0.0, -0.675443, -1.340203, -1.551463])

_DEFAULT_SEED = 0


class AdmissionsDataError(ValueError):
    """An admissions file exists but its content cannot be used.

    Raised by :func:`load_admissions` for missing columns, empty or
    non-numeric cells, and values outside their domain.  It is a
    :class:`ValueError`, so generic handlers keep working, while a command
    line can catch exactly this class and show the message without a
    traceback.
    """


def load_admissions(path):
    """Read an admissions CSV file into a checked DataFrame.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV file with a header row containing ``admit``, ``gre``, ``gpa``
        and ``rank`` (any order; extra columns are ignored).

    Returns
    -------
    frame : DataFrame of shape (n_rows, 4)
        Columns ``admit`` (int64, 0 or 1), ``gre`` (float64), ``gpa``
        (float64) and ``rank`` (int64, 1 to 4), in that order, with a
        RangeIndex.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AdmissionsDataError
        If the file cannot be parsed as CSV, has a row with more fields than
        the header (the message names the line and the count), a header of
        more than :data:`MAX_COLUMNS` fields or 1 MiB, no data rows, lacks
        one of the four columns, or has an empty, non-numeric or infinite cell, an
        ``admit`` other than 0/1 or a ``rank`` other than 1, 2, 3, 4.  The
        message names the file, the column and the first offending *data
        row*, counted from 1 with the header not counted (so data row ``k``
        is line ``k + 1`` of a file without blank lines).

    See Also
    --------
    make_admissions : A synthetic data set in the same format.

    Notes
    -----
    Every line may have at most the header's fields; a shorter line leaves
    its last cells empty (refused if one of the four columns is among them).
    A trailing comma makes one more, empty, field, so lines ending with a
    comma are refused unless the header ends with one too (the unnamed last
    column is then ignored).  CSV quoting, ``\\n``, ``\\r\\n`` or ``\\r`` line
    ends, blank lines and a UTF-8 byte order mark are read as pandas reads
    them.  The check of the field counts reads the file once more, in
    blocks, so a hostile file fails in time proportional to its size and in
    a few tens of MB.

    Examples
    --------
    >>> from sknn_basic.datasets import load_admissions
    >>> frame = load_admissions("binary.csv")  # doctest: +SKIP
    >>> frame.columns.tolist()  # doctest: +SKIP
    ['admit', 'gre', 'gpa', 'rank']
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"Admissions file {path!r} does not exist; check the path (a CSV "
            f"file with the header admit,gre,gpa,rank is expected)."
        )
    if not os.path.isfile(path):
        raise AdmissionsDataError(
            f"Admissions file {path!r} is not a regular file; pass the path "
            f"of a CSV file with the header admit,gre,gpa,rank."
        )

    source = f"Admissions file {path!r}"
    # Every row is first checked to have no more fields than the header, in
    # one bounded pass (_check_row_widths): pandas would take the extra
    # fields of the first data row as an index, which is slow and costly for
    # a wide row and silently wrong for a few extra fields.
    names = _check_row_widths(path, source)
    missing = [column for column in ADMISSIONS_COLUMNS if column not in names]
    if missing:
        raise AdmissionsDataError(
            f"{source} lacks the column(s) {missing}. Found columns {names}; "
            f"expected {list(ADMISSIONS_COLUMNS)} (extra columns are ignored). "
            f"Fix the header line."
        )
    # A repeated header name ("gre" twice) is refused rather than one of the
    # two silently taken.
    check_unique_columns(names, ADMISSIONS_COLUMNS, source, error=AdmissionsDataError)
    positions = {column: names.index(column) for column in ADMISSIONS_COLUMNS}
    selected = sorted(positions.values())
    # The fast path: pandas parses the numbers of the four columns only,
    # whole columns are checked at once.  Only a column that pandas could not
    # read as numbers, or that holds a bad value, is read again as text, to
    # name its first bad cell as written.
    # usecols costs pandas a third more time: a file of exactly the four
    # columns (the usual case) is read whole.
    raw = _read_csv(path, usecols=None if len(selected) == len(names) else selected)
    if raw.shape[0] == 0:
        raise AdmissionsDataError(
            f"{source} has a header but no data rows; add one line per applicant."
        )

    values = {}
    for column, position in positions.items():
        parsed = raw.iloc[:, selected.index(position)].to_numpy()
        if parsed.dtype.kind in "iuf" and bad_cells(parsed, column) is None:
            values[column] = parsed
    del raw
    unchecked = [column for column in ADMISSIONS_COLUMNS if column not in values]
    if unchecked:
        again = sorted(positions[column] for column in unchecked)
        text = _read_csv(path, usecols=again, dtype=str, keep_default_na=False)
        for column in unchecked:
            # A short line leaves its last fields NaN: an empty cell.
            cells = text.iloc[:, again.index(positions[column])].fillna("")
            values[column] = check_column(
                cells, column, source=source, in_file=True, error=AdmissionsDataError
            )
    columns = {
        column: values[column].astype(_DTYPES[column], copy=False)
        for column in ADMISSIONS_COLUMNS
    }
    # copy=False: the checked columns become the frame, not copies of it.
    return pd.DataFrame(columns, copy=False)


#: The widest header accepted: an admissions file needs 4 columns, and a few
#: more are ignored; a header of thousands of names is not admissions data,
#: and pandas would build every one of its columns.
MAX_COLUMNS = 10_000
#: The longest header line accepted, in bytes.
_MAX_HEADER_BYTES = 1 << 20
#: Bytes of the file checked at a time: the check's memory is a few times
#: this, whatever the size of the file or of one of its lines.
_BLOCK_BYTES = 1 << 22

_NEWLINE, _RETURN, _QUOTE, _COMMA = b"\n"[0], b"\r"[0], b'"'[0], b","[0]
_BLANK = b" \t\r\n"
# The bytes a quote that opens a quoted field may follow.
_FIELD_STARTS = (_COMMA, _NEWLINE, _RETURN, _QUOTE)


def _empty_file_error(path):
    return AdmissionsDataError(
        f"Admissions file {path!r} is empty; it needs the header "
        f"admit,gre,gpa,rank followed by one line per applicant."
    )


def _read_block(handle):
    """The next block of ``handle``, never ending between ``\r`` and ``\n``."""
    block = handle.read(_BLOCK_BYTES)
    if block.endswith(b"\r"):
        following = handle.read(1)
        if following == b"\n":
            block += following
        elif following:
            handle.seek(-1, os.SEEK_CUR)
    return block


def _line_end(data, start):
    """Index of the first ``\n`` or ``\r`` of ``data`` from ``start``, or -1."""
    ends = [end for end in (data.find(b"\n", start), data.find(b"\r", start)) if end >= 0]
    return min(ends) if ends else -1


def _header_fields(path, source, head):
    """The header's names, its line number and where the data rows start.

    The header is the first line that is not blank (pandas skips blank
    lines), read from the first block ``head`` of the file.
    """
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head  # a UTF-8 BOM
    start = len(body) - len(body.lstrip(_BLANK))
    if start == len(body):
        if len(head) < _BLOCK_BYTES:
            raise _empty_file_error(path)
        raise AdmissionsDataError(
            f"{source} starts with more than {_BLOCK_BYTES >> 20} MiB of blank "
            f"lines; its first line must be the header admit,gre,gpa,rank."
        )
    # Leading blank lines count as lines, "\r\n" once.
    skipped = body[:start]
    line = 1 + skipped.count(b"\n") + skipped.count(b"\r") - skipped.count(b"\r\n")
    end = _line_end(body, start)
    if end < 0:
        end = len(body)
    if end - start > _MAX_HEADER_BYTES or (end == len(body) and len(head) >= _BLOCK_BYTES):
        raise AdmissionsDataError(
            f"{source}: the header (line {line}) is longer than "
            f"{_MAX_HEADER_BYTES >> 20} MiB; an admissions header is "
            f"admit,gre,gpa,rank, with at most {MAX_COLUMNS:,} columns in all."
        )
    text = body[start:end].decode("utf-8", errors="replace")
    if '"' in text:
        names = next(csv.reader([text]), [])
    else:
        names = text.split(",")
    if len(names) > MAX_COLUMNS:
        raise AdmissionsDataError(
            f"{source}: the header (line {line}) has {len(names):,} fields, more "
            f"than the {MAX_COLUMNS:,} accepted; an admissions file needs the "
            f"columns admit,gre,gpa,rank (a few extra ones are ignored)."
        )
    data_start = end + (2 if body[end:end + 2] == b"\r\n" else 1)
    return [name.strip() for name in names], line, data_start + len(head) - len(body)


def _too_wide(source, line, fields, width, trailing_comma=False, at_least=False):
    count = f"at least {fields:,}" if at_least else f"{fields:,}"
    hint = (
        " The line ends with a comma, which makes one more, empty, field: remove "
        "the trailing commas, or end the header with a comma too."
        if trailing_comma else ""
    )
    return AdmissionsDataError(
        f"{source} is not a readable CSV file: line {line} has {count} fields, "
        f"more than the header's {width}; every line must have at most the "
        f"header's comma-separated fields.{hint}"
    )


class _WidthScan:
    """The state of the check that no row is wider than the header.

    Rows are records of the CSV format: a line ending inside a quoted field
    continues the record.  Fields are counted as commas outside quotes plus
    one, in C-speed passes over blocks of the file, so that a file is checked
    in time proportional to its size and in memory proportional to a block.
    """

    def __init__(self, source, width, line):
        self.source = source
        self.width = width
        self.line = line  # physical line where the pending record starts
        self.lines = line  # physical line of the next byte
        self.commas = 0  # commas of the pending record so far
        self.quoted = 0  # 1 inside a quoted field
        self.previous = _NEWLINE  # the byte before the next block

    def feed(self, block, final):
        """Check one block (``final``: the last); False when its quoting is not standard CSV."""
        data = np.frombuffer(block, dtype=np.uint8)
        if not len(data):
            return True
        if final and data[-1] not in (_NEWLINE, _RETURN):
            # The last line has no line break: count it as if it had one.
            return self.feed(block + b"\n", final)
        line_end = data == _NEWLINE
        if block.find(b"\r") >= 0:
            # A "\r" not followed by "\n" ends a line too (old Mac files).
            lone_return = data == _RETURN
            lone_return[:-1] &= ~line_end[1:]
            line_end |= lone_return
        comma = data == _COMMA
        quoted_after = None
        if self.quoted or block.find(b'"') >= 0:
            quote = data == _QUOTE
            quoted_after = np.bitwise_xor.accumulate(quote.view(np.uint8))
            quoted_after ^= self.quoted
            # A quote that opens a quoted field must start the field; one in
            # the middle of a field is a literal character for pandas, which
            # this count cannot follow: pandas is left to judge the file.
            # (After a quote, it is the second of an escaped pair "".)
            opening = np.flatnonzero(quote & (quoted_after == 1))
            if len(opening):
                before = data[opening[opening > 0] - 1]
                if not np.isin(before, _FIELD_STARTS).all() or (
                    opening[0] == 0 and self.previous not in _FIELD_STARTS
                ):
                    return False
            outside = quoted_after == 0
            comma &= outside
            record_end = line_end & outside
        else:
            record_end = line_end
        ends = np.flatnonzero(record_end)
        if len(ends):
            # Commas per record, the first continuing the pending one.
            starts = np.empty_like(ends)
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
            # int32 holds the count of a block's bytes, and is twice as fast.
            per_record = np.add.reduceat(
                comma[: ends[-1] + 1].view(np.uint8), starts, dtype=np.int32
            )
            per_record[0] += self.commas
            wide = np.flatnonzero(per_record >= self.width)
            if len(wide):
                self._refuse(block, data, line_end, ends, wide[0], int(per_record[wide[0]]))
            lines = len(ends) if quoted_after is None else int(
                np.count_nonzero(line_end[: ends[-1] + 1]))
            self.line = self.lines + lines
            self.commas = int(np.count_nonzero(comma[ends[-1] + 1:]))
        else:
            self.commas += int(np.count_nonzero(comma))
        self.lines += len(ends) if quoted_after is None else int(np.count_nonzero(line_end))
        if quoted_after is not None:
            self.quoted = int(quoted_after[-1])
        self.previous = int(data[-1])
        if self.commas >= self.width:
            # A record wider than the header already, though not yet ended.
            raise _too_wide(self.source, self.line, self.commas + 1, self.width,
                            at_least=True)
        return True

    def _refuse(self, block, data, line_end, ends, first, commas):
        """Raise the error of record ``first`` of the block, which has ``commas`` commas."""
        if first == 0:
            line = self.line
        else:
            line_ends = np.flatnonzero(line_end)
            line = self.lines + int(np.searchsorted(line_ends, ends[first - 1], "right"))
        end = int(ends[first])
        last = end - 1 - (end > 0 and block[end - 1:end + 1] == b"\r\n")
        trailing = last >= 0 and data[last] == _COMMA
        raise _too_wide(self.source, line, commas + 1, self.width, trailing)


def _check_row_widths(path, source):
    """Refuse a row with more fields than the header; return the header's names.

    The header's names are returned as written, stripped.  Pandas would make
    the extra fields of the first data row an index (slow and costly for a
    wide row, silently wrong for a few extra fields), so every row is checked
    first.  The header is limited to :data:`MAX_COLUMNS` fields.
    """
    with open(path, "rb") as handle:
        head = _read_block(handle)
        names, line, data_start = _header_fields(path, source, head)
        scan = _WidthScan(source, len(names), line + 1)
        block = head[data_start:]
        final = len(head) < _BLOCK_BYTES
        while block:
            if not scan.feed(block, final):
                _check_rows_with_csv(path, source, len(names))
                break
            block = _read_block(handle)
            final = len(block) < _BLOCK_BYTES
    return names


def _bounded_lines(handle, source):
    """The lines of ``handle``, refusing one longer than the header's limit."""
    line_number = 0
    while True:
        line = handle.readline(_MAX_HEADER_BYTES + 1)
        if not line:
            return
        line_number += 1
        if len(line) > _MAX_HEADER_BYTES:
            raise AdmissionsDataError(
                f"{source}: line {line_number} is longer than "
                f"{_MAX_HEADER_BYTES >> 20} MiB; an admissions row is a few numbers."
            )
        yield line


def _check_rows_with_csv(path, source, width):
    """:func:`_check_row_widths` for a file whose quoting the fast scan cannot follow.

    A quote in the middle of an unquoted field is a plain character for
    pandas and for :mod:`csv` alike; this reads the file record by record with
    :mod:`csv` (slower, but such files are rare), lines bounded in length.
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(_bounded_lines(handle, source))
        header_seen = False
        try:
            while True:
                line = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    return
                if not header_seen:
                    header_seen = bool(row) and any(field.strip() for field in row)
                elif len(row) > width:
                    raise _too_wide(source, line, len(row), width, row[-1] == "")
        except csv.Error as exc:
            raise AdmissionsDataError(
                f"{source} is not a readable CSV file (line {reader.line_num}: {exc})."
            ) from None


def _read_csv(path, **options):
    """``pandas.read_csv`` with the loader's messages for unreadable files."""
    try:
        with warnings.catch_warnings():
            # Mixed types in a large file's column only mean that the column
            # is read again as text and checked cell by cell.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise _empty_file_error(path) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise AdmissionsDataError(
            f"Admissions file {path!r} is not a readable CSV file "
            f"({str(exc).strip()}); "
            f"every line must have the same comma-separated fields as the "
            f"header admit,gre,gpa,rank."
        ) from None


def make_admissions(n_samples=400, random_state=None):
    """Draw a synthetic admissions data set calibrated to the real file.

    Each row is drawn independently:

    1. ``rank`` from 1..4 with the real file's proportions 61/151/121/67
       out of 400;
    2. ``gre`` and ``gpa`` from a bivariate normal with the real means
       (587.7, 3.3899), sample standard deviations (115.5165, 0.380567) and
       correlation 0.384; then ``gre`` is rounded to a multiple of 20 and
       clipped to [220, 800] (the ceiling piles up 800s as in the real
       file) and ``gpa`` is rounded to 2 decimals and clipped to
       [2.26, 4.00];
    3. ``admit`` as a Bernoulli draw whose probability follows the published
       logistic regression of the real file, applied to the rounded values:
       ``logit p = -3.989977 + 0.002264 gre + 0.804037 gpa`` plus
       -0.675443, -1.340203 or -1.551463 for rank 2, 3 or 4 (rank 1 is the
       baseline).

    ``rank`` is drawn independently of ``gre`` and ``gpa``, so the
    rank-specific admission rates come from the model only.  Rounding and
    clipping move the moments slightly (see Notes).  None of the real rows
    are used.

    Parameters
    ----------
    n_samples : int, default=400
        Number of rows, at least 1.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.  An int gives the same data set on every call;
        the draws are made in the order rank, (gre, gpa), admit.

    Returns
    -------
    frame : DataFrame of shape (n_samples, 4)
        Columns ``admit`` (int64), ``gre`` (float64), ``gpa`` (float64) and
        ``rank`` (int64), as returned by :func:`load_admissions`.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an int.
    ValueError
        If ``n_samples`` is smaller than 1, or ``random_state`` is invalid.

    See Also
    --------
    load_default_admissions : The fixed set used when no file is given.

    Notes
    -----
    Over many draws (measured on 2,000,000 rows) the generator gives a
    ``gre`` mean of about 586.2 and standard deviation 112.2, a ``gpa`` mean
    of about 3.381 and standard deviation 0.362, a ``gre``-``gpa``
    correlation of about 0.380 and an admission rate of about 0.314, against
    587.7, 115.5, 3.390, 0.381, 0.384 and 0.3175 in the real file; about 4 %
    of the rows sit at ``gre`` 800 and 5.6 % at ``gpa`` 4.00 (6.25 % and 7 %
    in the real file).  A 400-row draw scatters around these values with the
    usual sampling noise (e.g. about 6 in the ``gre`` mean and 0.023 in the
    admission rate, one standard error).

    Examples
    --------
    >>> from sknn_basic.datasets import make_admissions
    >>> frame = make_admissions(5, random_state=0)
    >>> frame.shape
    (5, 4)
    >>> frame.columns.tolist()
    ['admit', 'gre', 'gpa', 'rank']
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"n_samples must be an int >= 1, got {n_samples!r} of type "
            f"{type(n_samples).__name__}."
        )
    if n_samples < 1:
        raise ValueError(f"n_samples must be an int >= 1, got {n_samples}.")
    n_samples = int(n_samples)
    rng = check_random_state(random_state)

    rank = rng.choice(np.asarray(RANKS), size=n_samples, p=_RANK_COUNTS / _RANK_COUNTS.sum())

    # Correlated standard normals via the 2x2 Cholesky factor of the
    # correlation matrix, then shifted and scaled to the published moments.
    z = rng.standard_normal((n_samples, 2))
    second = _GRE_GPA_CORR * z[:, 0] + math.sqrt(1.0 - _GRE_GPA_CORR**2) * z[:, 1]
    gre = _GRE_MEAN + _GRE_SD * z[:, 0]
    gpa = _GPA_MEAN + _GPA_SD * second
    gre = np.clip(np.round(gre / _GRE_STEP) * _GRE_STEP, _GRE_MIN, _GRE_MAX)
    gpa = np.clip(np.round(gpa, 2), _GPA_MIN, _GPA_MAX)

    logit = (
        _LOGIT_INTERCEPT
        + _LOGIT_GRE * gre
        + _LOGIT_GPA * gpa
        + _LOGIT_RANK[rank - 1]
    )
    admit = (rng.uniform(size=n_samples) < expit(logit)).astype(np.int64)

    return pd.DataFrame(
        {
            "admit": admit,
            "gre": gre.astype(np.float64),
            "gpa": gpa.astype(np.float64),
            "rank": rank.astype(np.int64),
        }
    )


def load_default_admissions():
    """Return the embedded default admissions data set.

    This is what the package uses wherever no data file is given.  It is
    **synthetic**: ``make_admissions(400, random_state=0)``, drawn from a
    generator calibrated to the published facts of the real UCLA file (see
    :func:`make_admissions`), so it behaves like the real data without
    containing any of it.  Results on it resemble, but do not equal, the
    lessons' numbers; for those, load the real file with
    :func:`load_admissions`.

    Returns
    -------
    frame : DataFrame of shape (400, 4)
        Columns ``admit, gre, gpa, rank`` as returned by
        :func:`load_admissions`.  A new DataFrame on every call, identical
        in content.

    Examples
    --------
    >>> from sknn_basic.datasets import load_default_admissions
    >>> load_default_admissions().shape
    (400, 4)
    """
    return make_admissions(400, random_state=_DEFAULT_SEED)


#: Where the course took the admissions file from: UCLA's statistical
#: consulting site (formerly stats.idre.ucla.edu).
ADMISSIONS_URL = "https://stats.oarc.ucla.edu/stat/data/binary.csv"
#: The environment variable that moves the cache folder of :func:`fetch_admissions`.
DATA_HOME_ENV = "SKNN_BASIC_DATA"
_CACHE_SUBFOLDER = "admissions"
_CACHE_NAME = "binary.csv"
# The real file is about 4 KB; a response many times larger is not it, and is
# not read into memory.
_MAX_DOWNLOAD_BYTES = 1 << 20


def _data_home(data_home=None):
    """The cache folder: ``data_home``, else $SKNN_BASIC_DATA, else ~/sknn_basic_data."""
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "sknn_basic_data")
    return os.path.abspath(os.path.expanduser(os.fspath(data_home)))


def _logistic_coefficients(frame):
    """Unpenalised logistic regression of admit on gre, gpa and rank (rank 1 the baseline).

    Newton's method (iteratively reweighted least squares) on six
    parameters: it converges to machine precision in a few steps, so the
    result can be held to the published coefficients' last digit.
    """
    rank = frame["rank"].to_numpy()
    X = np.column_stack([np.ones(len(frame)), frame["gre"], frame["gpa"],
                         rank == 2, rank == 3, rank == 4]).astype(float)
    y = frame["admit"].to_numpy(dtype=float)
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        p = expit(X @ beta)
        hessian = (X * (p * (1.0 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(hessian, X.T @ (y - p))
        except np.linalg.LinAlgError:
            return None  # no unique fit: certainly not the published one
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    return beta


def _published_fact_differences(frame, header):
    """What in ``frame`` differs from the published facts of the real file (data README).

    Returns a list of ``"what: got X, published Y"`` strings, empty for the
    course's file.  Each published figure is held to its last printed digit
    (half a unit of it); the logistic coefficients, which the source rounded
    slightly differently, to 1e-5, far below what changing one cell moves
    them (a swap of two labels moves them by 5e-3 or more).
    """
    differences = []

    def check(what, got, published, tolerance=0.0):
        if not abs(got - published) <= tolerance:
            differences.append(f"{what}: got {got:.6g}, published {published:.6g}")

    if header != list(ADMISSIONS_COLUMNS):
        differences.append(f"header: got {','.join(header)}, published admit,gre,gpa,rank")
    check("rows", len(frame), 400)
    if differences:
        return differences
    rank_counts = frame["rank"].value_counts().reindex(RANKS, fill_value=0).to_numpy()
    for rank, got, published in zip(RANKS, rank_counts, _RANK_COUNTS):
        check(f"rows of rank {rank}", int(got), int(published))
    check("admitted", int(frame["admit"].sum()), 127)
    gre, gpa = frame["gre"], frame["gpa"]
    check("gre mean", gre.mean(), _GRE_MEAN, 0.05)
    check("gre sd", gre.std(), _GRE_SD, 0.00005)
    check("gpa mean", gpa.mean(), _GPA_MEAN, 0.00005)
    check("gpa sd", gpa.std(), _GPA_SD, 0.0000005)
    check("rows with gre 800", int((gre == _GRE_MAX).sum()), 25)
    check("rows with gpa 4.00", int((gpa == _GPA_MAX).sum()), 28)
    check("gre-gpa correlation", float(np.corrcoef(gre, gpa)[0, 1]), _GRE_GPA_CORR, 0.0005)
    if differences:
        return differences
    rates = frame.groupby("rank")["admit"].mean().reindex(RANKS).to_numpy()
    for rank, got, published in zip(RANKS, rates, (0.541, 0.358, 0.231, 0.179)):
        check(f"admission rate of rank {rank}", got, published, 0.0005)
    coefficients = _logistic_coefficients(frame)
    if coefficients is None:
        differences.append("logistic regression: no unique fit")
        return differences
    published = [_LOGIT_INTERCEPT, _LOGIT_GRE, _LOGIT_GPA, *_LOGIT_RANK[1:]]
    names = ["intercept", "gre", "gpa", "rank_2", "rank_3", "rank_4"]
    for name, got, want in zip(names, coefficients, published):
        check(f"logistic coefficient of {name}", got, want, 1e-5)
    return differences


def _header_of(path):
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return [name.strip() for name in handle.readline().strip().split(",")]


def _checked_course_file(path, origin):
    """``load_admissions(path)`` if the file is the course's, else AdmissionsDataError."""
    try:
        frame = load_admissions(path)
    except AdmissionsDataError as exc:
        raise AdmissionsDataError(
            f"{origin} is not a readable admissions file: {exc}"
        ) from None
    differences = _published_fact_differences(frame, _header_of(path))
    if differences:
        shown = "; ".join(differences[:3])
        more = f" (and {len(differences) - 3} more)" if len(differences) > 3 else ""
        raise AdmissionsDataError(
            f"{origin} is not the course's admissions file: it differs from the "
            f"published facts ({shown}{more})."
        )
    return frame


def _download(url, target, timeout):
    """Fetch ``url`` into ``target`` through a temporary file in the same folder.

    The file appears at ``target`` only once complete and checked (the
    rename is atomic), so an interrupted or refused download leaves nothing
    in the cache.
    """
    import urllib.request

    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=".binary-", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read(_MAX_DOWNLOAD_BYTES + 1)
            if len(data) > _MAX_DOWNLOAD_BYTES:
                raise AdmissionsDataError(
                    f"the file at {url} is larger than {_MAX_DOWNLOAD_BYTES} bytes; the "
                    f"admissions file is about 4 KB: it is not that file, and was not cached."
                )
            out.write(data)
        frame = _checked_course_file(partial, f"the file downloaded from {url}")
        os.replace(partial, target)
    except BaseException:
        # BaseException: a Ctrl-C mid-download must not leave a part file.
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    return frame


def fetch_admissions(data_home=None, *, url=ADMISSIONS_URL, download_if_missing=True,
                     timeout=30.0):
    """Load the course's real admissions file, downloading it on first use.

    The file is the one the course took from UCLA's statistical consulting
    site.  The first call downloads it (with the standard library only),
    checks it against the published facts of the file, and keeps it in a
    cache folder; later calls read the cached copy.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        The cache folder.  None takes the environment variable
        ``SKNN_BASIC_DATA``, or else ``~/sknn_basic_data``.  The file is kept
        as ``admissions/binary.csv`` inside it.
    url : str, default=ADMISSIONS_URL
        Where to download the file from
        (``https://stats.oarc.ucla.edu/stat/data/binary.csv``, formerly on
        stats.idre.ucla.edu); point it at a mirror if that site moves.
    download_if_missing : bool, default=True
        If False and the file is not cached, raise :class:`OSError` instead
        of downloading.
    timeout : float, default=30.0
        Seconds to wait for the server.

    Returns
    -------
    frame : DataFrame of shape (400, 4)
        As :func:`load_admissions` returns it: columns ``admit, gre, gpa,
        rank``.

    Raises
    ------
    AdmissionsDataError
        If what arrived (or what is cached) is not the course's file: not
        400 rows of ``admit,gre,gpa,rank``, or counts, means, standard
        deviations, admission rates by rank or the logistic coefficients
        that differ from the published ones.  A download that fails the check
        is not cached.
    OSError
        If the file is not cached and cannot be downloaded (offline, the
        server unreachable or answering with an error); the message says
        where to put a copy by hand.

    See Also
    --------
    load_admissions : Read a copy of the file (or any file in its format).
    load_default_admissions : The synthetic twin used wherever no file is given.

    Examples
    --------
    >>> from sknn_basic import fetch_admissions
    >>> frame = fetch_admissions()  # doctest: +SKIP
    >>> int(frame["admit"].sum()), len(frame)  # doctest: +SKIP
    (127, 400)
    """
    if not isinstance(url, str) or not url:
        raise TypeError(f"url must be a non-empty string, got {url!r}.")
    target = _admissions_cache_path(data_home)
    if os.path.exists(target):
        return _checked_course_file(
            target, f"the cached file {target!r} (delete it to download it again)"
        )
    by_hand = (
        f"download {ADMISSIONS_URL} with a browser and save it as {target!r}, or "
        f"load any copy with load_admissions(path)"
    )
    if not download_if_missing:
        raise OSError(f"the admissions file is not cached at {target!r}; {by_hand}.")
    import urllib.error

    try:
        return _download(url, target, timeout)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        if isinstance(exc, urllib.error.HTTPError):
            reason = f"the server answered HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", None) or exc
        raise OSError(
            f"could not download the admissions file from {url} ({reason}); "
            f"{by_hand}."
        ) from None


def _admissions_cache_path(data_home=None):
    """Where :func:`fetch_admissions` keeps the file (see its ``data_home``)."""
    return os.path.join(_data_home(data_home), _CACHE_SUBFOLDER, _CACHE_NAME)


def _lessons_split_positions(n_rows, random_state, train_fraction):
    """Row positions of the lessons' training and test sets.

    Parameters
    ----------
    n_rows : int
        Number of rows to split.
    random_state : int, RandomState instance or None
        Seed of :meth:`numpy.random.RandomState.choice`.
    train_fraction : float
        Share of rows used for training, strictly between 0 and 1.

    Returns
    -------
    train_positions : ndarray of int
        In the order drawn by ``choice``.
    test_positions : ndarray of int
        The remaining positions, increasing.
    """
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, Real):
        raise TypeError(f"train_fraction must be a float, got {train_fraction!r}.")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(
            f"train_fraction must be strictly between 0 and 1, got {train_fraction}."
        )
    n_train = round(train_fraction * n_rows)
    if not 1 <= n_train <= n_rows - 1:
        raise ValueError(
            f"Splitting {n_rows} row(s) with train_fraction={train_fraction} "
            f"gives {n_train} training and {n_rows - n_train} test row(s); both "
            f"sets need at least one row. Use more rows or another fraction."
        )
    rng = check_random_state(random_state)
    train_positions = rng.choice(n_rows, n_train, replace=False)
    is_test = np.ones(n_rows, dtype=bool)
    is_test[train_positions] = False
    return train_positions, np.flatnonzero(is_test)


def split_like_the_lessons(frame, random_state=42, train_fraction=0.9):
    """Split rows into training and test sets the way the lessons do.

    The training rows are
    ``np.random.RandomState(random_state).choice(n, round(train_fraction * n),
    replace=False)``, in the order drawn; the other rows, in their original
    order, form the test set.  On the real 400-row file with the defaults
    this gives the lessons' 360 training and 40 test rows exactly.

    Parameters
    ----------
    frame : DataFrame or Series
        Rows to split; positions, not index labels, are drawn.
    random_state : int, RandomState instance or None, default=42
        Seed (an int is used as ``np.random.RandomState(random_state)``).
    train_fraction : float, default=0.9
        Share of rows for training, strictly between 0 and 1; the number of
        training rows is ``round(train_fraction * n)``.

    Returns
    -------
    train : DataFrame or Series
        The training rows, in drawn order, with their original index labels.
    test : DataFrame or Series
        The test rows, in original order, with their original index labels.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame or Series.
    ValueError
        If ``train_fraction`` is not in (0, 1) or leaves a set empty.

    Examples
    --------
    >>> from sknn_basic.datasets import make_admissions, split_like_the_lessons
    >>> train, test = split_like_the_lessons(make_admissions(400, random_state=0))
    >>> len(train), len(test)
    (360, 40)
    """
    if not isinstance(frame, (pd.DataFrame, pd.Series)):
        raise TypeError(
            f"frame must be a pandas DataFrame or Series, got {type(frame).__name__}."
        )
    train_positions, test_positions = _lessons_split_positions(
        len(frame), random_state, train_fraction
    )
    return frame.iloc[train_positions], frame.iloc[test_positions]


def lessons_features(frame, random_state=42):
    """Prepare features and target exactly as the lessons do (S7).

    1. ``rank`` is one-hot encoded into ``rank_1 .. rank_4`` (all four kept);
    2. ``gre`` and ``gpa`` are standardised with the mean and the sample
       standard deviation (ddof=1) of the **whole** frame;
    3. rows are split with :func:`split_like_the_lessons`.

    Step 2 is done by an ``AdmissionsPreprocessor(ddof=1)`` fitted on the
    whole frame, before the split.  That is the lessons' leak: the test rows
    take part in the statistics used to scale the training rows.  It is kept
    here only to reproduce the lessons' numbers; in a
    :class:`~sklearn.pipeline.Pipeline`, the preprocessor is fitted on the
    training rows (or folds) only, which is the leak-free way.

    Parameters
    ----------
    frame : DataFrame
        Admissions data with the columns ``admit``, ``gre``, ``gpa`` and
        ``rank``, for example from :func:`load_admissions`.
    random_state : int, RandomState instance or None, default=42
        Seed of the split, as in :func:`split_like_the_lessons`.

    Returns
    -------
    X_train : DataFrame of shape (n_train, 6)
        float64 columns :data:`LESSON_FEATURES`, rows in drawn order.
    X_test : DataFrame of shape (n_test, 6)
        Same columns, rows in original order.
    y_train : Series of int64
        ``admit`` of the training rows.
    y_test : Series of int64
        ``admit`` of the test rows.  All four results keep the index labels
        of ``frame``.

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame.
    ValueError
        If a column is missing or repeated, an ``admit`` is not 0 or 1 (any
        numeric dtype, or numbers written as text, will do; the message
        names the first bad row), or the values cannot be prepared (see
        :class:`~sknn_basic.preprocessing.AdmissionsPreprocessor`).

    Examples
    --------
    >>> from sknn_basic.datasets import lessons_features, load_default_admissions
    >>> X_train, X_test, y_train, y_test = lessons_features(load_default_admissions())
    >>> X_train.shape, X_test.shape
    ((360, 6), (40, 6))
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    if "admit" not in frame.columns:
        raise ValueError(
            f"frame lacks the target column 'admit'; found columns "
            f"{[str(c) for c in frame.columns]}."
        )
    check_unique_columns(frame.columns, ["admit"], "lessons_features")
    admit = check_column(
        frame["admit"], "admit", source="lessons_features", index=frame.index
    )
    y = pd.Series(admit.astype(np.int64), index=frame.index, name="admit")
    preprocessor = AdmissionsPreprocessor(ddof=1).set_output(transform="pandas")
    X = preprocessor.fit_transform(frame)
    X = X.loc[:, list(LESSON_FEATURES)].astype(np.float64)

    train_positions, test_positions = _lessons_split_positions(len(frame), random_state, 0.9)
    return (
        X.iloc[train_positions],
        X.iloc[test_positions],
        y.iloc[train_positions],
        y.iloc[test_positions],
    )
