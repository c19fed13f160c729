"""Parameter constraints the estimators share.

scikit-learn's :class:`~sklearn.utils._param_validation.Interval` accepts
``True`` where an integer or a real is asked for (a bool is an int in
Python); :class:`Count` and :class:`Number` refuse it, since ``True`` is
neither a size nor a step.  :data:`TRAINING_CONSTRAINTS` are the parameters
of every trained estimator, beside which each class declares its own.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

__all__ = ["Count", "Number", "TRAINING_CONSTRAINTS"]


class Count(Interval):
    """An integer interval that refuses booleans: ``True`` is not a size."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class Number(Interval):
    """A real interval that refuses booleans: ``True`` is not a step size."""

    def __init__(self, left, right=None, *, closed="neither"):
        super().__init__(Real, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


#: The parameters of every estimator that trains by the shared loop.
TRAINING_CONSTRAINTS = {
    "learning_rate": [Number(0, None)],
    "max_iter": [Count(1, None)],
    "tol": [Number(0, None, closed="left"), None],
    "n_iter_no_change": [Count(1, None)],
    "early_stopping": ["boolean"],
    "validation_fraction": [Number(0, 1)],
    "shuffle": ["boolean"],
    "warm_start": ["boolean"],
    "fit_intercept": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callback": [callable, None],
}
