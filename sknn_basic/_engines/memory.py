"""The engine of rows in this process: NumPy arrays, SciPy matrices, in-memory frames."""

import numpy as np
from scipy.sparse import issparse

from .._split import check_split_sizes, split_for_validation
from .._weights import (check_sample_weights, class_factors, in_training_dtype,
                        raise_all_weights_zero, row_weights, weight_scale)
from .rows import Rows

__all__ = ["predict", "rows", "score"]


def rows(estimator, X, y, sample_weight, first_call):
    """The training rows of one call, validated by ``validate_data``."""
    return MemoryRows(estimator, X, y, sample_weight, first_call)


def predict(estimator, method_name, X):
    """``predict``, ``predict_proba`` or ``decision_function`` on rows in memory."""
    return getattr(estimator, f"_{method_name}_in_memory")(X)


def score(estimator, X, y, sample_weight):
    """The estimator's score on rows in memory."""
    return estimator._score_in_memory(X, y, sample_weight)


class MemoryRows(Rows):
    """Rows in one array: every step is an operation on it."""

    def __init__(self, estimator, X, y, sample_weight, first_call):
        X, y = estimator._validate_training_data(X, y, reset=first_call)
        if first_call:
            estimator._dtype = X.dtype
        self.estimator = estimator
        self.X, self.y, self.given_weights = X, y, sample_weight
        self.n_features = X.shape[1]

    def targets(self, classes, first_call, incremental):
        self.Y, self.strata = self.estimator._targets(self.y, classes, first_call, incremental)
        self.y = None
        return self.Y.shape[1]

    def weigh(self, incremental, at_least):
        estimator, given = self.estimator, self.given_weights
        weights = None if given is None else check_sample_weights(given, self.X)
        self.given_weights = None
        scale = weight_scale(1.0 if weights is None else weights.max(), at_least)
        factors = None
        class_weight = getattr(estimator, "class_weight", None)
        if class_weight is not None:
            counts = None
            if class_weight == "balanced":
                counts = np.bincount(self.strata, minlength=len(estimator.classes_))
            factors = class_factors(class_weight, estimator.classes_, counts, incremental)
        weights = row_weights(weights, scale, factors, self.strata, self.X.shape[0])
        if weights is not None and not np.any(weights > 0):
            raise_all_weights_zero()
        self.w = in_training_dtype(weights, self.X.dtype)
        self.divisor = scale

    def split(self, random_state):
        estimator, X, Y, w = self.estimator, self.X, self.Y, self.w
        validation = None
        if estimator._holds_out():
            train, held_out = split_for_validation(
                X.shape[0], estimator.validation_fraction, self.strata, random_state
            )
            w_train = None if w is None else w[train]
            w_held_out = None if w is None else w[held_out]
            check_split_sizes(
                estimator.validation_fraction, len(train), len(held_out), X.shape[0],
                weights=None if w is None else (w_train.sum(), w_held_out.sum()),
            )
            validation = (X[held_out], Y[held_out], w_held_out,
                          estimator._score_targets(Y[held_out]))
            self.X, self.Y, self.w = X[train], Y[train], w_train
        # The strata have served (weights, split): free them before training,
        # whose peak memory they would otherwise add to.
        self.strata = None
        return validation

    def replay(self, memory, random_state):
        X, Y, w = self.X, self.Y, self.w
        # Only rows of positive weight enter: the others would teach nothing.
        eligible = np.arange(X.shape[0]) if w is None else np.flatnonzero(w > 0)
        plan = memory.plan(len(eligible), random_state)
        kept = eligible[plan.kept]
        entering = (plan, X[kept], Y[kept],
                    memory.units(None if w is None else w[kept], len(kept), self.divisor),
                    len(eligible))
        self.X, self.Y, self.w = memory.combined(X, Y, w, plan, self.divisor)
        return entering

    def training(self):
        n_samples = self.X.shape[0]
        total_weight = float(n_samples if self.w is None else np.sum(self.w))
        return self.X, self.Y, self.w, n_samples, total_weight

    def constant_loss(self):
        w = None if self.w is None else np.asarray(self.w, np.float64)
        total = float(self.X.shape[0] if w is None else w.sum())
        means = np.average(self.Y, axis=0, weights=w)
        return self.estimator._constant_loss_sum(self.Y, w, means) / total

    def largest_feature(self):
        values = self.X.data if issparse(self.X) else self.X
        return float(np.max(np.abs(values), initial=0.0))

    def model(self, inner, random_state, shuffle):
        return inner

    def validation_score(self, model):
        return self.estimator._validation_score
