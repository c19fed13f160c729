"""Sample and class weights, and the labels' encoding: the arithmetic every engine shares.

A row trains with ``sample_weight * class_weight`` divided by a scale (the
largest sample weight, or a replay memory's largest where that is larger),
so that unit weights stay exactly ones and sums stay far from overflow and
underflow.  The engines of :mod:`sknn_basic._engines` find the totals these
functions need (the largest weight, the count of each label) where the rows
live and apply the factors they return row by row.
"""

import numpy as np
from sklearn.utils import compute_class_weight
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "check_weights",
    "class_factors",
    "encode_labels",
    "in_training_dtype",
    "normalised",
    "raise_all_weights_zero",
    "row_weights",
    "check_sample_weights",
    "weight_scale",
]


def encode_labels(y):
    """The sorted distinct labels of y and each sample's index among them.

    ``np.unique(y, return_inverse=True)``, with a path for small integer
    labels that avoids sorting (and copying) y: it needs one array of the
    length of y besides the result instead of three.  Offsets from the
    smallest label are taken in 64 bits (unsigned for uint64), so labels of
    any integer dtype and any values work.
    """
    if y.dtype.kind in "iu" and y.size:
        low, high = int(y.min()), int(y.max())
        if high - low < 1024:
            if y.dtype == np.uint64:
                offsets = (y - np.uint64(low)).astype(np.intp)
            else:
                offsets = y.astype(np.int64) - low
            present = np.bincount(offsets, minlength=high - low + 1) > 0
            labels = np.array([low + int(i) for i in np.flatnonzero(present)], dtype=y.dtype)
            lookup = np.cumsum(present) - 1
            return labels, lookup[offsets]
    return np.unique(y, return_inverse=True)


def check_weights(values, name, what):
    """``values`` as float64 if each is a finite number >= 0 with a positive total.

    Parameters
    ----------
    values : array-like
        The weights.
    name : str
        The parameter they came from, for the message.
    what : str
        What each weight belongs to ("sample", "class"), for the message.

    Raises
    ------
    ValueError
        Naming ``name``, where a weight is not a number, is NaN, infinite or
        negative, or where every weight is zero.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold numbers (one weight per {what}); got {values!r}."
        ) from exc
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        first = array[bad].ravel()[0]
        raise ValueError(
            f"{name} must hold finite weights >= 0 (one per {what}); got {first!r}. "
            "Give every weight a finite non-negative value."
        )
    if not (array > 0).any():
        raise ValueError(
            f"{name} gives every {what} a weight of zero: there is nothing to learn from. "
            f"Give at least one {what} a positive weight."
        )
    return array


def normalised(weights):
    """``weights / max(weights)``: the same training, whatever their scale.

    Every update is a mean weighted by ``w / sum(w)``, so rescaling leaves it
    unchanged but for rounding; dividing by the largest weight keeps sums far
    from overflow (weights near 1e308) and from underflow (weights near
    1e-320) and makes unit weights exactly ones.
    """
    largest = weights.max()
    if largest == 1:
        return weights
    # Divide in float64 first: a subnormal largest weight has no reciprocal.
    return weights / largest


def raise_all_weights_zero():
    """The error for sample weights whose products with the class weights are all zero."""
    raise ValueError(
        "All sample weights times class weights are zero: there is nothing to "
        "learn from. Give at least one sample of a weighted class a positive weight."
    )


def in_training_dtype(weights, dtype):
    """Weights in the data's dtype, or None where all are one (the unweighted path)."""
    if weights is None or np.all(weights == 1):
        return None
    return weights.astype(dtype, copy=False)


def check_sample_weights(sample_weight, X):
    """``sample_weight`` as float64, one finite weight >= 0 per row of X, not all zero."""
    # Our check first, for its message naming the parameter; then
    # scikit-learn's, for the shape (and a scalar broadcast to every row).
    weights = check_weights(sample_weight, "sample_weight", "sample")
    return _check_sample_weight(weights, X, dtype=np.float64)


def weight_scale(largest, at_least):
    """What the sample weights are divided by: their largest, or ``at_least`` where larger.

    ``largest`` is 1 where no weights were given (they count as ones);
    ``at_least`` is the largest weight a replay memory holds, so that the
    rows of several calls keep their ratios.  A row's weight as the caller
    gave it is its training weight times this divisor.
    """
    return float(max(largest, at_least))


def row_weights(sample_weight, scale, factors, strata, n_rows):
    """Each row's training weight (float64), or None where every weight is one.

    ``sample_weight / scale`` (ones where None) times the factor of the
    row's class (``factors[strata]``, where class weights are given).
    """
    weights = sample_weight
    if scale != 1:
        weights = (np.ones(n_rows) if weights is None else weights) / scale
    if factors is not None:
        per_row = factors[strata]
        weights = per_row if weights is None else weights * per_row
    return weights


def class_factors(class_weight, classes, counts, incremental):
    """The normalised weight of each class of ``classes``, or None where unweighted.

    ``class_weight`` is the estimator's parameter (None, "balanced" or a
    dict of label -> weight) and ``counts`` the number of rows of each class
    in the data (read only for "balanced": the counts as the weights of one
    row per class give ``compute_class_weight`` the sums the rows would).
    """
    if class_weight is None:
        return None
    if class_weight == "balanced":
        if incremental:
            # partial_fit sees a chunk; balanced weights need the whole set.
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: its weights "
                "depend on the whole data set. Compute them once with "
                "sklearn.utils.compute_class_weight and pass them as a dict."
            )
        k = len(classes)
        per_class = compute_class_weight(
            "balanced", classes=np.arange(k), y=np.arange(k), sample_weight=counts
        )
    else:
        unknown = [c for c in class_weight if c not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight names classes {unknown!r} that are not among the classes "
                f"{classes.tolist()!r}. Use the labels of y as its keys."
            )
        per_class = check_weights(
            [class_weight.get(c, 1.0) for c in classes.tolist()], "class_weight", "class",
        )
    return normalised(per_class)
