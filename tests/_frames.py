"""The same rows in each DataFrame library the package reads by column name.

Shared by the tests that run one table of cases over pandas, polars, pyarrow
and Dask.  A library that is not installed skips its cases with the reason.
"""

import numpy as np
import pytest

#: The libraries whose DataFrames are read by name; Dask's stay lazy.
LIBRARIES = ["pandas", "polars", "pyarrow", "dask"]
#: Those held in memory.
EAGER = ["pandas", "polars", "pyarrow"]


def _require(module):
    return pytest.importorskip(module, reason=f"{module} is not installed (pip install '.[test]')")


def in_library(library, frame, npartitions=3):
    """``frame`` (pandas) as a DataFrame of ``library``, columns and dtypes kept.

    Built column by column from NumPy, so neither conversion needs the other
    library (polars' own from_pandas wants pyarrow).  Dask splits the rows
    into ``npartitions`` partitions.
    """
    if library == "pandas":
        return frame
    columns = {str(name): frame[name].to_numpy() for name in frame.columns}
    if library == "polars":
        return _require("polars").DataFrame(columns)
    if library == "pyarrow":
        return _require("pyarrow").table(columns)
    if library == "dask":
        dd = _require("dask.dataframe")
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)
    raise ValueError(f"unknown library {library!r}")


def computed(values):
    """A result as a NumPy array, computing a lazy Dask one."""
    return np.asarray(values.compute() if hasattr(values, "compute") else values)
