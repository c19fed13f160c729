"""The steps of a fit that depend on where the rows are: the engines' one interface.

:mod:`sknn_basic._fit` drives a :class:`Rows` through these steps, in this
order, once per ``fit`` or ``partial_fit`` call.  What the steps compute is
the same on every engine (the labels and their counts, the weight totals,
the held-out split, the replayed rows); each engine finds it where its rows
live and shares the arithmetic of :mod:`sknn_basic._weights` and
:mod:`sknn_basic._split`.
"""

__all__ = ["Rows"]


class Rows:
    """Training rows of one call, validated where they live.

    An engine's ``rows()`` validates X, y and the sample weights (each part
    where it lives, with the messages scikit-learn gives for one array),
    sets the estimator's ``_dtype`` on a first call and returns this.
    ``n_features`` is the width of X.
    """

    n_features: int

    def targets(self, classes, first_call, incremental):
        """Find the labels (and their counts), let the estimator encode them: n_outputs."""
        raise NotImplementedError

    def weigh(self, incremental, at_least):
        """Check and combine the sample and class weights, scaled by their largest.

        ``at_least`` is the largest weight a replay memory holds: the scale
        is never below it.
        """
        raise NotImplementedError

    def split(self, random_state):
        """Hold out the early-stopping rows (where asked): the validation part, or None.

        The validation part is what :func:`sknn_basic._training.train` takes
        as ``validation``.
        """
        raise NotImplementedError

    def replay(self, memory, random_state):
        """Join a replay memory's rows to the training rows.

        Returns the arguments of the ``memory.keep`` that follows training.
        """
        raise NotImplementedError

    def training(self):
        """``(X, Y, sample_weight, n_samples, total_weight)`` for the training loop."""
        raise NotImplementedError

    def constant_loss(self):
        """The training loss of predicting the weighted mean targets (the class priors).

        What a fit's final loss is compared with (see
        :class:`sknn_basic._watchers.WorseThanConstant`).
        """
        raise NotImplementedError

    def largest_feature(self):
        """The largest magnitude of a training feature (the scale advice names it)."""
        raise NotImplementedError

    def model(self, inner, random_state, shuffle):
        """The model the loop trains: ``inner`` itself, or a model that takes it to the rows."""
        raise NotImplementedError

    def validation_score(self, model):
        """The loop's ``score_validation``: the score of the held-out part."""
        raise NotImplementedError

    def close(self):
        """Release what the rows hold outside this process."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
