"""How the estimators read their inputs, whatever library holds them."""

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

__all__ = ["FLOAT_DTYPES", "native"]

#: The floating dtypes the estimators train and predict in (others become float64).
FLOAT_DTYPES = (np.float64, np.float32)


def native(X):
    """X as scikit-learn's validation reads it the same whatever library holds it.

    A float array comes in the machine's byte order (big-endian float32 stays
    float32), and in memory aligned to its items.  An in-memory DataFrame of
    another library than pandas (polars, a pyarrow Table...) becomes a pandas DataFrame with the same column names
    and each column's own NumPy dtype: scikit-learn then records and checks
    its feature names, keeps float32, and refuses dates, exactly as for the
    same pandas frame (its own conversion of other frames casts to float64 and
    reads dates as numbers).  Lazy frames (Dask) are left alone.
    """
    if isinstance(X, np.ndarray):
        if X.dtype.kind == "f" and not X.dtype.isnative:
            return X.astype(X.dtype.newbyteorder("="))
        if not X.flags.aligned:
            # An array unpickled from a buffer at an odd address (what
            # compute() returns through a distributed client) is not aligned
            # to its items: NumPy's take on it, which every shuffled epoch
            # runs, is hundreds of times slower.  One aligned copy, once,
            # costs far less.
            return np.array(X, order="K")
        # Never a frame: no need to ask narwhals (tens of microseconds, on
        # every call of a one-row predict).
        return X
    frame = nw.from_native(X, eager_only=True, pass_through=True)
    if not isinstance(frame, nw.DataFrame) or frame.implementation.is_pandas():
        return X
    # Column by column, so each keeps its dtype; a zero-copy view where the
    # library allows.
    return pd.DataFrame(
        {name: frame.get_column(name).to_numpy() for name in frame.columns}, copy=False
    )
