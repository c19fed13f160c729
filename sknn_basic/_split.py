"""The held-out split of early stopping, for rows in one array or in blocks."""

import math

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["check_split_sizes", "held_out_counts", "split_for_validation"]


def split_for_validation(n_rows, fraction, strata, random_state):
    """Sorted (training, held-out) row indices for early stopping.

    Stratified by ``strata`` where every class has enough rows, else at
    random; raises scikit-learn's ValueError where the rows are too few to
    split at all.  ``fraction`` may also be a count of held-out rows.
    """
    indices = np.arange(n_rows)
    try:
        train, held_out = train_test_split(
            indices, test_size=fraction, stratify=strata, random_state=random_state
        )
    except ValueError:
        # Too few samples of some class to stratify: split at random.
        train, held_out = train_test_split(
            indices, test_size=fraction, random_state=random_state
        )
    return np.sort(train), np.sort(held_out)


def held_out_counts(sizes, fraction, random_state):
    """How many rows each block holds out: as many in all as one array holds out.

    One array holds out ``ceil(fraction * n)`` rows drawn at random; blocks
    share that number as a random draw of that many rows would (one
    hypergeometric draw per block), so any chunking, even blocks of one row,
    holds out what one array holds out.
    """
    left_rows = int(sum(sizes))
    left = math.ceil(fraction * left_rows)
    counts = []
    for size in sizes:
        left_rows -= size
        count = int(random_state.hypergeometric(size, left_rows, left)) if left and size else 0
        counts.append(count)
        left -= count
    return counts


def check_split_sizes(fraction, n_train, n_validation, n_samples, weights=None):
    """Early stopping needs two held-out samples and one to train on.

    ``weights``, where given, are the total weights of the training and the
    held-out part: each must be positive, or one side has nothing to say.
    """
    if n_validation < 2 or n_train < 1:
        raise ValueError(
            f"early_stopping needs a validation set of at least 2 samples; "
            f"validation_fraction={fraction} of {n_samples} samples "
            "leaves too few. Increase validation_fraction or disable early_stopping."
        )
    if weights is not None and not (weights[0] > 0 and weights[1] > 0):
        part = "training" if not weights[0] > 0 else "held-out"
        raise ValueError(
            f"early_stopping's split left the {part} part with a total sample weight "
            "of zero: the positive weights all fell on the other side. Give more "
            "samples a positive weight, change validation_fraction, or disable "
            "early_stopping."
        )
