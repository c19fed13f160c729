"""What the estimators share: validation, targets, weights and the fit protocol.

:class:`BaseTrained` turns ``fit`` and ``partial_fit`` into one path:
validate the data, encode the targets, combine and normalise the weights,
draw the initial weights (first, from ``check_random_state(random_state)``),
hold out a validation split when early stopping, hand a model to the training
loop of :mod:`sknn_basic._training`, and publish the loop's record.
:class:`BaseTrainedClassifier` adds the labels, class weights and class
predictions; :class:`BaseTrainedRegressor` real-valued targets.  A concrete
estimator only says how to initialise its arrays, which model trains them,
and how to turn them into decision values.

A Dask collection is recognised before any validation could pull it into
memory and handed to :mod:`sknn_basic._dask`, which is imported only then.

Every ``fit`` and ``partial_fit`` call is a transaction.  Both engines pass
through :meth:`BaseTrained._fit_where_the_rows_are`, which takes a
:class:`_SavedState` of the estimator first: a call that raises (bad input,
a failure during training, an error from a Dask worker, a warning turned
into an error) leaves the estimator exactly as it was before the call, every
attribute restored to its old value (the arrays that training updates in
place from copies) and every attribute the call created removed.  Ctrl-C
(KeyboardInterrupt) during training is not a failure once an epoch of the
call has completed: training stops there, the weights are those at the end
of that epoch, the record (``n_iter_``, ``loss_curve_``, ``t_``, the
validation curves, ``learning_rate_``) describes exactly the completed
epochs, a ``ConvergenceWarning`` says so and the call returns normally, as
``MLPClassifier`` does.  Interrupted before any epoch completed, the call
changes nothing and the KeyboardInterrupt propagates.
"""

import os
from numbers import Integral, Real

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._optimizers import RISE
from ._replay import ReplayMemory
from ._training import OVERSHOOT, TrainingRecord, TrainingSettings, train
from ._warnings import warn

__all__ = ["BaseTrained", "BaseTrainedClassifier", "BaseTrainedRegressor", "Count", "Number"]

FLOAT_DTYPES = (np.float64, np.float32)

#: Features or targets whose largest magnitude exceeds this are not on the
#: unit scale that a learning rate is chosen for (standardised data rarely
#: leave [-5, 5]).
LARGE_SCALE = 10.0

#: Where the built documentation is published; the environment variable
#: ``SKNN_BASIC_DOCS_URL`` points the estimators' links elsewhere (for
#: example ``file:///path/to/docs/_build/html/`` for a local build).
DOCS_URL = "https://sknn-basic.readthedocs.io/en/latest/"


class _DocumentationLink:
    """Links each estimator's HTML representation (notebooks) to its API page.

    scikit-learn's own estimators link their diagram to their page; this
    gives ours the same, pointing at ``gen_modules/sknn_basic.<Name>.html``
    of the documentation built from ``docs/``.
    """

    _doc_link_module = "sknn_basic"

    @property
    def _doc_link_template(self):
        base = os.environ.get("SKNN_BASIC_DOCS_URL", DOCS_URL)
        return base.rstrip("/") + "/gen_modules/sknn_basic.{estimator_name}.html"

    def _doc_link_url_param_generator(self):
        return {"estimator_name": type(self).__name__}


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


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection, without importing Dask."""
    return type(obj).__module__.partition(".")[0] in ("dask", "dask_expr") and hasattr(
        obj, "__dask_graph__"
    )


def _dask():
    from . import _dask

    return _dask


def _native(X):
    """X as scikit-learn's validation reads it the same whatever library holds it.

    A float array comes in the machine's byte order (big-endian float32 stays
    float32), and in memory aligned to its items.  An in-memory DataFrame of another library than pandas (polars,
    a pyarrow Table...) becomes a pandas DataFrame with the same column names
    and each column's own NumPy dtype: scikit-learn then records and checks
    its feature names, keeps float32, and refuses dates, exactly as for the
    same pandas frame (its own conversion of other frames casts to float64 and
    reads dates as numbers).  Lazy frames (Dask) are left alone.
    """
    dtype = getattr(X, "dtype", None)
    if isinstance(X, np.ndarray) and dtype.kind == "f" and not dtype.isnative:
        return X.astype(dtype.newbyteorder("="))
    if isinstance(X, np.ndarray) and not X.flags.aligned:
        # An array unpickled from a buffer at an odd address (what compute()
        # returns through a distributed client) is not aligned to its items:
        # NumPy's take on it, which every shuffled epoch runs, is hundreds of
        # times slower.  One aligned copy, once, costs far less.
        return np.array(X, order="K")
    frame = nw.from_native(X, eager_only=True, pass_through=True)
    if not isinstance(frame, nw.DataFrame) or frame.implementation.is_pandas():
        return X
    # Column by column, so each keeps its dtype; a zero-copy view where the
    # library allows.
    return pd.DataFrame(
        {name: frame.get_column(name).to_numpy() for name in frame.columns}, copy=False
    )


def _encode_labels(y):
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


def _normalised(weights):
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


def _split_for_validation(n_rows, fraction, strata, random_state):
    """Sorted (training, held-out) row indices for early stopping.

    Stratified by ``strata`` where every class has enough rows, else at
    random; raises scikit-learn's ValueError where the rows are too few to
    split at all.
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


def _in_training_dtype(weights, dtype):
    """Weights in the data's dtype, or None where all are one (the unweighted path)."""
    if weights is None or np.all(weights == 1):
        return None
    return weights.astype(dtype, copy=False)


class _SavedState:
    """What a fit call may change on an estimator, to put back where the call raises.

    The estimator's attributes are kept by reference, so that restoring them
    keeps every array's identity (a public weight array that is a view of a
    model's, or the very array a model updates, stays so).  Because training
    updates arrays, lists and the package's own objects (optimizers, the
    training record, the perceptron's model, the replay memory) in place, the
    contents of each one reachable from a fitted attribute are copied too,
    and written back.  The parameters (names without a leading or trailing
    underscore) are not fitted state: fit never changes them, and a callback
    may hold anything.
    """

    _package = __name__.partition(".")[0]

    def __init__(self, estimator):
        self.estimator = estimator
        self.attributes = dict(estimator.__dict__)
        self.arrays, self.lists, self.dicts, self.objects, self.generators = [], [], [], [], []
        seen = set()
        for name, value in self.attributes.items():
            if name.startswith("_") or name.endswith("_"):
                self._keep(value, seen)

    def _keep(self, value, seen):
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            if value.flags.writeable:
                self.arrays.append((value, value.copy()))
        elif isinstance(value, list):
            self.lists.append((value, list(value)))
            for item in value:
                self._keep(item, seen)
        elif isinstance(value, tuple):
            for item in value:
                self._keep(item, seen)
        elif isinstance(value, dict):
            self.dicts.append((value, dict(value)))
            for item in value.values():
                self._keep(item, seen)
        elif isinstance(value, np.random.RandomState):
            self.generators.append((value, value.get_state()))
        elif (type(value).__module__.partition(".")[0] == self._package
              and hasattr(value, "__dict__")):
            self.objects.append((value, dict(vars(value))))
            for item in vars(value).values():
                self._keep(item, seen)

    def restore(self):
        """Put the estimator back as it was when this was taken."""
        for obj, attributes in self.objects:
            vars(obj).clear()
            vars(obj).update(attributes)
        for items, kept in self.lists:
            items[:] = kept
        for mapping, kept in self.dicts:
            mapping.clear()
            mapping.update(kept)
        for generator, state in self.generators:
            generator.set_state(state)
        for array, kept in self.arrays:
            array[...] = kept
        vars(self.estimator).clear()
        vars(self.estimator).update(self.attributes)


class BaseTrained(_DocumentationLink, BaseEstimator):
    """Base of the package's estimators: one fit path over the shared loop.

    Subclasses define ``__init__`` with their parameters and implement
    ``_initialize(n_features, n_outputs, random_state, dtype)``,
    ``_make_model(n_samples, dtype, restart)`` and ``_decision_values(X)``,
    besides what :class:`BaseTrainedClassifier` or
    :class:`BaseTrainedRegressor` ask.
    """

    _parameter_constraints: dict = {
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

    # ------------------------------------------------------------------ fit

    def _validate_training_data(self, X, y, reset):
        dtype = FLOAT_DTYPES if reset else self._dtype
        return validate_data(
            self, _native(X), y, accept_sparse="csr", dtype=dtype, order="C", reset=reset,
            **self._target_validation,
        )

    def _fit_where_the_rows_are(self, X, y, sample_weight, classes, incremental):
        """``_fit`` for rows in memory; the Dask path for a Dask collection.

        The one point every ``fit`` and ``partial_fit`` passes through, so the
        one place that makes each call a transaction: a call that raises puts
        the estimator back as it was (see the module's docstring).
        """
        saved = _SavedState(self)
        try:
            if is_dask_collection(X):
                return _dask().fit(self, X, y, sample_weight, classes=classes,
                                   incremental=incremental)
            return self._fit(X, y, sample_weight, classes=classes, incremental=incremental)
        except BaseException:
            saved.restore()
            raise

    def _first_call(self, incremental):
        """Whether this call starts from fresh weights (not a warm start or a stream)."""
        return not hasattr(self, "n_iter_") or not (incremental or self.warm_start)

    def _check_call(self, incremental):
        """Refuse what a call cannot do before any data is read (in memory or on Dask)."""
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call sees one "
                "chunk, so there is no held-out set to stop on. Set early_stopping=False "
                "to train on a stream, or call fit to stop early."
            )

    def _start(self, n_features, n_outputs, dtype, first_call, incremental):
        """The random state of this call; on a first call, the initial weights too.

        The initial weights are the first draws: this is what makes the
        lessons' runs reproducible from their seed.
        """
        if first_call or not incremental:
            random_state = check_random_state(self.random_state)
            self._random_state = random_state
        else:
            random_state = self._random_state
        if first_call:
            self._initialize(n_features, n_outputs, random_state, dtype)
            self._optimizer = None
            self._training = None
        return random_state

    def _replay_memory(self, first_call, incremental):
        """The rows this ``partial_fit`` call trains on again, or None.

        A stream's memory lives from its first ``partial_fit`` call to the
        next ``fit``; ``replay_size`` (where an estimator has it) bounds it.
        """
        capacity = getattr(self, "replay_size", 0)
        memory = None if first_call else getattr(self, "_replay", None)
        if not incremental or not capacity:
            memory = None
        elif memory is None:
            memory = ReplayMemory(capacity)
        else:
            memory.resize(capacity)
        self._replay = memory
        return memory

    def _check_split_sizes(self, n_train, n_validation, n_samples, weights=None):
        """Early stopping needs two held-out samples and one to train on.

        ``weights``, where given, are the total weights of the training and the
        held-out part: each must be positive, or one side has nothing to say.
        """
        if n_validation < 2 or n_train < 1:
            raise ValueError(
                f"early_stopping needs a validation set of at least 2 samples; "
                f"validation_fraction={self.validation_fraction} of {n_samples} samples "
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

    def _fit(self, X, y, sample_weight, classes, incremental):
        self._check_call(incremental)
        first_call = self._first_call(incremental)
        X, y = self._validate_training_data(X, y, reset=first_call)
        if first_call:
            self._dtype = X.dtype
        Y, strata = self._targets(y, classes, first_call, incremental)
        memory = self._replay_memory(first_call, incremental)
        sample_weight, divisor = self._training_weights(
            X, strata, sample_weight, incremental,
            at_least=0.0 if memory is None else memory.largest_weight(),
        )
        del y

        random_state = self._start(X.shape[1], Y.shape[1], X.dtype, first_call, incremental)

        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._hold_out(
                X, Y, strata, sample_weight, random_state
            )
        # The strata have served (weights, split): free them before training,
        # whose peak memory they would otherwise add to.
        del strata
        if memory is not None:
            # Only rows of positive weight enter: the others would teach nothing.
            eligible = (np.arange(X.shape[0]) if sample_weight is None
                        else np.flatnonzero(sample_weight > 0))
            plan = memory.plan(len(eligible), random_state)
            rows = eligible[plan.kept]
            entering = (X[rows], Y[rows],
                        memory.units(None if sample_weight is None else sample_weight[rows],
                                     len(rows), divisor))
            X, Y, sample_weight = memory.combined(X, Y, sample_weight, plan, divisor)
        n_samples = X.shape[0]
        self._run(
            X, Y, sample_weight, validation, random_state, incremental, first_call,
            n_samples=n_samples,
            total_weight=float(n_samples if sample_weight is None else np.sum(sample_weight)),
        )
        if memory is not None:
            # After training: a call that failed leaves the memory as it was.
            memory.keep(plan, *entering, n_rows=len(eligible))
        return self

    def _run(self, X, Y, sample_weight, validation, random_state, incremental, first_call, *,
             n_samples, total_weight, wrap_model=None, score_validation=None):
        """Train a model on prepared rows and publish the record (in memory or on Dask).

        ``wrap_model`` wraps the model where the rows live elsewhere, and
        ``score_validation`` replaces the in-memory validation score there.
        """
        model = self._make_model(n_samples, self._dtype, restart=not incremental or first_call)
        if wrap_model is not None:
            model = wrap_model(model)
        previous = self._training
        if incremental and previous is not None:
            record = previous
        else:
            # A fit starts a new record; the samples seen still add up.
            record = TrainingRecord(t=previous.t if previous is not None else 0)
        record = train(
            model,
            X,
            Y,
            sample_weight,
            settings=TrainingSettings(
                max_epochs=1 if incremental else self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                verbose=self.verbose,
                incremental=incremental,
                divergence_advice=self._divergence_advice(),
            ),
            random_state=random_state,
            n_samples=n_samples,
            total_weight=total_weight,
            record=record,
            validation=validation,
            score_validation=score_validation or self._validation_score,
            on_epoch=None if self.callback is None else self._call_back(model),
        )
        self._store_record(record, model)
        if not (Y is not None and not incremental
                and self._warn_if_worse_than_constant(X, Y, sample_weight, record)):
            self._after_training(model, record.stop_reason, incremental)
        return self

    def _divergence_advice(self):
        """What to do about a diverged run, where the data name the cause; None otherwise."""
        return None

    def _constant_loss(self, Y, sample_weight):
        """The training loss of the best constant prediction, by the estimator's loss.

        None where the estimator has no such comparison (the perceptron, whose
        loss counts the mistakes made along an epoch's updates).
        """
        return None

    def _scale_advice(self, X):
        """Advice for a fit whose steps overshoot, from the scale of its data."""
        values = X.data if issparse(X) else X
        largest = float(np.max(np.abs(values), initial=0.0))
        causes = []
        if largest > LARGE_SCALE:
            causes.append(
                f"the features are on a large scale (largest |x| = {largest:.3g}): "
                "standardise them (for example with StandardScaler in a pipeline)"
            )
        target_scale = getattr(self, "_target_scale", 0.0)
        if target_scale > LARGE_SCALE:
            causes.append(
                f"the targets are on a large scale (largest |y| = {target_scale:.3g}): "
                "standardise y (for example with TransformedTargetRegressor and a "
                "StandardScaler)"
            )
        # The step in use (learning_rate may be "auto" or halved by the schedule).
        step = getattr(self, "learning_rate_", self.learning_rate)
        rate = f"lower learning_rate (now {step:.3g}; for example by a factor of 10)"
        if not causes:
            return f"The steps overshoot: {rate}."
        return (f"Steps of learning_rate={step:.3g} overshoot because "
                f"{' and '.join(causes)}, or {rate}.")

    def _warn_if_worse_than_constant(self, X, Y, sample_weight, record):
        """Warn where a fit ended worse than a constant prediction; True where it did.

        No model should: a constant is what the network gives with zero
        weights and a fitted bias, and a fit that ends above it learnt
        nothing (usually steps far too long for the data's scale).  The
        fit's last training loss is compared with the constant's, measured
        by the same loss on the same weighted rows.
        """
        if record.stop_reason in ("diverged", "interrupted") or not record.loss_curve:
            return False
        constant = self._constant_loss(Y, sample_weight)
        final = record.loss_curve[-1]
        if constant is None or not constant > 0 or not final > OVERSHOOT * constant:
            return False
        what = ("always predicting the class priors" if hasattr(self, "classes_")
                else "always predicting the mean target")
        curve = record.loss_curve
        optimizer = getattr(self, "_optimizer", None)
        # A loss that jumped up, ended where it began, or made the schedule
        # cut the step: the steps are too long, not too few.
        overshot = (
            curve[-1] >= curve[0]
            or any(b > OVERSHOOT * a for a, b in zip(curve, curve[1:]))
            or (optimizer is not None
                and optimizer.learning_rate < optimizer.initial_learning_rate)
        )
        if overshot:
            advice = self._scale_advice(X)
        elif self.tol is None:
            # A loss still falling after exactly the max_iter epochs the user
            # asked for (tol=None, as the lessons' runs do): more epochs is
            # the only advice, and the user chose the count, as the max_iter
            # warning, silent with tol=None, respects too.
            return False
        else:
            # A loss that fell all along: the run ended before it got anywhere.
            advice = (
                f"The loss was still falling after {len(curve)} epoch(s): increase max_iter "
                "(or raise learning_rate), or standardise the features."
            )
        warn(
            f"{type(self).__name__}'s final training loss, {final:.4g}, is worse than that "
            f"of {what}, {constant:.4g}: the fitted model is worse than a constant. "
            + advice,
            ConvergenceWarning,
        )
        return True

    def _sample_weights(self, X, sample_weight, at_least=0.0):
        """``sample_weight`` checked and normalised (float64) or None, and the divisor.

        The weights are divided by their largest, or by ``at_least`` where
        that is larger (the largest weight a replay memory holds, so that
        the rows of several calls keep their ratios); no weights count as
        ones.
        """
        if sample_weight is None:
            if at_least <= 1:
                return None, 1.0
            return np.full(X.shape[0], 1.0 / at_least), float(at_least)
        # Our check first, for its message naming the parameter; then
        # scikit-learn's, for the shape (and a scalar broadcast to every row).
        weights = check_weights(sample_weight, "sample_weight", "sample")
        weights = _check_sample_weight(weights, X, dtype=np.float64)
        largest = weights.max()
        if at_least > largest:
            return weights / at_least, float(at_least)
        return _normalised(weights), float(largest)

    def _training_weights(self, X, strata, sample_weight, incremental, at_least=0.0):
        """The weights the model trains with (None where all are one), and their divisor.

        A row's weight as the caller gave it is its training weight times
        the divisor (see :meth:`_sample_weights`).
        """
        weights, divisor = self._sample_weights(X, sample_weight, at_least)
        return _in_training_dtype(weights, X.dtype), divisor

    def _call_back(self, model):
        """The loop's per-epoch hook: publish the run so far, then call ``callback``."""

        def on_epoch(record, info):
            self._store_record(record, model)
            return self.callback(self, info)

        return on_epoch

    def _store_record(self, record, model):
        """Publish the loop's record (kept whole in ``_training``) as fitted attributes."""
        self._training = record
        self.n_iter_ = record.n_iter
        self.t_ = record.t
        self.loss_curve_ = record.loss_curve
        # As MLPClassifier: the attributes of the other way of stopping exist
        # and are None (early stopping watches the validation score, not the
        # training loss's best).
        early = record.validation_scores is not None
        self.validation_scores_ = record.validation_scores
        self.validation_loss_curve_ = record.validation_loss_curve
        self.best_validation_score_ = record.best_validation_score if early else None
        self.best_loss_ = None if early else record.best_loss
        if model.optimizer is not None:
            self.learning_rate_ = model.optimizer.learning_rate
        self._publish(model)

    def _publish(self, model):
        """Set the public weights from the model's (where they are not the same arrays)."""

    def _hold_out(self, X, Y, strata, sample_weight, random_state):
        train_idx, val_idx = _split_for_validation(
            X.shape[0], self.validation_fraction, strata, random_state
        )
        sw_train = None if sample_weight is None else sample_weight[train_idx]
        sw_val = None if sample_weight is None else sample_weight[val_idx]
        self._check_split_sizes(
            len(train_idx), len(val_idx), X.shape[0],
            weights=None if sample_weight is None else (sw_train.sum(), sw_val.sum()),
        )
        validation = (X[val_idx], Y[val_idx], sw_val, self._score_targets(Y[val_idx]))
        return X[train_idx], Y[train_idx], sw_train, validation

    def _after_training(self, model, stop_reason, incremental):
        if incremental or stop_reason not in ("max_iter", "tol"):
            return
        curve = self.loss_curve_
        if len(curve) > 1 and curve[-1] > RISE * curve[0]:
            # Ending above the start is the mark of steps that overshoot, not
            # of too few: advising more epochs or a larger step would mislead.
            warn(
                f"{type(self).__name__}'s training loss rose from {curve[0]:.4g} to "
                f"{curve[-1]:.4g} over {len(curve)} epochs: the steps overshoot. Lower "
                f"learning_rate (now {self.learning_rate_:.3g}; for example by a factor "
                "of 10) or standardise the features.",
                ConvergenceWarning,
            )
        elif stop_reason == "max_iter" and self.tol is not None:
            watched = "validation score" if self.early_stopping else "training loss"
            overshot = any(b > OVERSHOOT * a for a, b in zip(curve, curve[1:])) or (
                model.optimizer is not None
                and model.optimizer.learning_rate < model.optimizer.initial_learning_rate
            )
            # A loss that jumped up on the way (or a step the schedule had to
            # cut) says the step is too long: then more epochs or a larger
            # step is the wrong advice.
            advice = (
                "The loss rose on the way: lower learning_rate (for example by a factor "
                "of 10)" if overshot else "Increase max_iter, raise learning_rate"
            )
            warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} epochs before "
                f"the {watched} stopped improving by tol={self.tol}. {advice}, or set "
                "tol=None to train for exactly max_iter epochs.",
                ConvergenceWarning,
            )

    # -------------------------------------------------------------- predict

    def _validate_X(self, X):
        """Validate X for prediction; a dense X's finiteness is checked later.

        Dense input is checked for NaN and infinity by
        :func:`_input_product`, in the same pass over X as the first product
        of ``_decision_values``, which every prediction goes through.
        """
        check_is_fitted(self)
        return validate_data(
            self, _native(X), accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False,
            ensure_all_finite=issparse(X),
        )

    def _scores(self, X):
        """The decision values of validated X, or a clear error where they overflow.

        Finite inputs far larger than the training data (or a float32 model
        on inputs near float32's range) can overflow the products; no
        prediction is then better than an infinite or NaN one.
        """
        # Overflow is checked below, once, with a message that says what to do.
        with np.errstate(over="ignore", invalid="ignore"):
            scores = self._decision_values(X)
        if not np.isfinite(scores).all():
            raise ValueError(
                f"{type(self).__name__}'s decision values overflowed the {scores.dtype} "
                "range on this X (its values are too large for the fitted weights). "
                "Rescale X as the training data were scaled (for example with the "
                "StandardScaler fitted on them), or pass float64 data."
            )
        return scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


    # ---------------------------------------------------------- pickling

    def __getstate__(self):
        """The fitted state in plain types: arrays, numbers, strings, lists, dicts.

        The private training objects (record, optimizer, replay memory, the
        perceptron's rule) become dicts tagged with their kind, so that
        skops trusts a saved model without naming our private classes.
        """
        # object.__getstate__ gives the instance's own __dict__: copy it.
        state = dict(super().__getstate__())
        converters = _plain_state()
        for name, value in state.items():
            if name in converters and value is not None and not isinstance(value, dict):
                state[name] = {_STATE_TAG: name, "state": converters[name][0](value)}
        if "_dtype" in state:
            state["_dtype"] = np.dtype(state["_dtype"]).name
        return state

    def __setstate__(self, state):
        # Pickles made before these tags hold the objects themselves: they
        # pass through unchanged.
        state = dict(state)
        converters = _plain_state()
        for name, value in state.items():
            if name in converters and isinstance(value, dict) and value.get(_STATE_TAG) == name:
                state[name] = converters[name][1](value["state"])
        if "_dtype" in state:
            state["_dtype"] = np.dtype(state["_dtype"])
        super().__setstate__(state)
        if type(state.get("_model")).__name__ == "_PerceptronModel":
            # The published weights are the rule's own arrays (see _publish).
            self._publish(self._model)


class BaseTrainedClassifier(ClassifierMixin, BaseTrained):
    """Base of the package's classifiers: labels, class weights, class predictions.

    Binary problems are learnt by one output unit, as in the lessons; more
    classes by one unit per class.
    """

    _parameter_constraints: dict = {
        **BaseTrained._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    _target_validation = {}

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _targets(self, y, classes, first_call, incremental):
        check_classification_targets(y)
        y_index = self._set_classes(y, classes, first_call, incremental)
        return self._encode_targets(y_index), y_index

    def _score_targets(self, Y):
        """The labels of encoded targets (the validation score compares labels)."""
        index = Y[:, 0] if Y.shape[1] == 1 else np.argmax(Y, axis=1)
        return self.classes_[index]

    def _set_classes(self, y, classes, first_call, incremental):
        """Set ``classes_`` on a first call, or check y against it; return y's indices."""
        if first_call:
            if classes is None:
                labels, y_index = _encode_labels(y)
                if len(labels) < 2:
                    raise ValueError(
                        f"{type(self).__name__} can't train when only one class is "
                        f"present (found only {labels.tolist()!r}); the target needs at "
                        "least two classes."
                    )
                self.classes_ = labels
                return y_index
            labels = unique_labels(classes)
            if len(labels) < 2:
                raise ValueError(
                    f"classes must hold at least two classes, got {labels.tolist()!r}."
                )
            self.classes_ = labels
        elif not incremental:
            # A warm-started fit goes on with the same output units: it needs
            # the same classes (MLPClassifier asks the same).
            labels = unique_labels(y)
            if not np.array_equal(labels, self.classes_):
                raise ValueError(
                    f"warm_start=True needs y to hold the same classes as the previous "
                    f"fit: it had {self.classes_.tolist()!r}, y has {labels.tolist()!r}. "
                    "Set warm_start=False to start anew with these classes."
                )
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"classes={unique_labels(classes).tolist()!r} differs from the classes of "
                f"the first call, {self.classes_.tolist()!r}; call fit to start anew."
            )
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels {unseen.tolist()!r} that are not among the classes "
                f"this model learns, {self.classes_.tolist()!r}: partial_fit keeps the "
                "classes of the first call (its `classes=`, or the labels of fit). Call "
                "fit on data with every class to start anew."
            )
        return np.searchsorted(self.classes_, y)

    def _encode_targets(self, y_index):
        """0/1 targets of the output units: one column for two classes, one-hot otherwise.

        Stored as int8: every computation that meets them promotes them
        exactly to the floating dtype, at an eighth of the memory.
        """
        n_outputs = self._n_outputs()
        Y = np.zeros((len(y_index), n_outputs), dtype=np.int8)
        if n_outputs == 1:
            Y[:, 0] = y_index == 1
        else:
            Y[np.arange(len(y_index)), y_index] = 1
        return Y

    def _class_weights(self):
        """The checked weight of each class in ``classes_`` order, or None."""
        if self.class_weight is None or self.class_weight == "balanced":
            return None
        unknown = [c for c in self.class_weight if c not in set(self.classes_.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight names classes {unknown!r} that are not among the classes "
                f"{self.classes_.tolist()!r}. Use the labels of y as its keys."
            )
        return check_weights(
            [self.class_weight.get(c, 1.0) for c in self.classes_.tolist()],
            "class_weight", "class",
        )

    def _training_weights(self, X, y_index, sample_weight, incremental, at_least=0.0):
        """Sample weight times class weight, checked and normalised (None where all are
        one), and the divisor of the sample weights."""
        sample_weight, divisor = self._sample_weights(X, sample_weight, at_least)
        if self.class_weight is not None:
            self._check_class_weight_for(incremental)
            per_class = self._class_weights()
            if per_class is None:
                per_class = compute_class_weight(
                    "balanced", classes=np.arange(len(self.classes_)), y=y_index
                )
            weights = _normalised(per_class)[y_index]
            sample_weight = weights if sample_weight is None else sample_weight * weights
        if sample_weight is not None and not np.any(sample_weight > 0):
            raise_all_weights_zero()
        return _in_training_dtype(sample_weight, X.dtype), divisor

    def _check_class_weight_for(self, incremental):
        """partial_fit cannot use "balanced": its weights need the whole data set."""
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: its weights "
                "depend on the whole data set. Compute them once with "
                "sklearn.utils.compute_class_weight and pass them as a dict."
            )

    def _validation_score(self, X, y, sample_weight):
        correct = self._predict_validated(X) == y
        return float(np.average(correct, weights=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array or DataFrame} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels; two or more classes of any label type.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (finite, >= 0, with a positive total),
            multiplied by the class weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_where_the_rows_are(X, y, sample_weight, None, False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem; required on the first call, since a
            batch need not hold them all, and optional afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, multiplied by the class weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: a batch "
                "need not hold every class. Pass classes=np.unique(y_all)."
            )
        return self._fit_where_the_rows_are(X, y, sample_weight, classes, True)

    def decision_function(self, X):
        """Decision values: the pre-activation of the output units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive values favour ``classes_[1]``; for more,
            one column per class.
        """
        if is_dask_collection(X):
            return _dask().predict(self, "decision_function", X)
        scores = self._scores(self._validate_X(X))
        # Contiguous for the caller, whatever the layout of the product.
        return np.ascontiguousarray(scores[:, 0] if scores.shape[1] == 1 else scores)

    _positive_at_zero = False

    def _predict_validated(self, X):
        scores = self._scores(X)
        if scores.shape[1] == 1:
            positive = scores[:, 0] >= 0 if self._positive_at_zero else scores[:, 0] > 0
            # A bool array viewed as int8 indexes without a converted copy.
            return self.classes_.take(positive.view(np.int8))
        return self.classes_[np.argmax(scores, axis=1)]

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            The class of the largest decision value.
        """
        if is_dask_collection(X):
            return _dask().predict(self, "predict", X)
        return self._predict_validated(self._validate_X(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        float
            The (weighted) fraction of correctly predicted samples.
        """
        if is_dask_collection(X):
            return _dask().score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight)


class BaseTrainedRegressor(RegressorMixin, BaseTrained):
    """Base of the package's regressors: real-valued targets, one output unit each."""

    _target_validation = {"y_numeric": True, "multi_output": True}

    def _targets(self, y, classes, first_call, incremental):
        Y = np.asarray(y, dtype=self._dtype)
        if first_call:
            self._y_ndim = Y.ndim
        Y = Y.reshape(Y.shape[0], -1)
        if not first_call and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} targets, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}. Call fit to start anew with these targets."
            )
        self.n_outputs_ = Y.shape[1]
        self._target_scale = float(np.max(np.abs(Y), initial=0.0))
        return Y, None

    def _score_targets(self, Y):
        return Y

    def _divergence_advice(self):
        scale = self._target_scale
        if scale > LARGE_SCALE:
            return (
                f"The targets are on a large scale (largest |y| = {scale:.3g}), which "
                "the output weights and the steps must match: standardise y (for example "
                "with TransformedTargetRegressor and a StandardScaler), then lower "
                "learning_rate if it still diverges."
            )
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validation_score(self, X, Y, sample_weight):
        return float(r2_score(Y, self._scores(X), sample_weight=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples (finite, >= 0, with a positive total).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_where_the_rows_are(X, y, sample_weight, None, False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit_where_the_rows_are(X, y, sample_weight, None, True)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            The network's outputs, one column per target (1-D for a 1-D y).
        """
        if is_dask_collection(X):
            return _dask().predict(self, "predict", X)
        outputs = np.ascontiguousarray(self._scores(self._validate_X(X)))
        return outputs[:, 0] if self._y_ndim == 1 else outputs

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of the prediction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        float
            R^2 of ``predict(X)`` against ``y``.
        """
        if is_dask_collection(X):
            return _dask().score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight)


def _input_product(X, W, estimator):
    """``X @ W`` for X from ``_validate_X``, checking that X is finite on the way.

    scikit-learn checks X by summing all of it, a pass over X as long as the
    product's own.  Here a column of ones appended to ``W`` gives the row
    sums of X in the product's pass instead (about a third less time for a
    linear model's predict).  A NaN or infinity in X makes the total
    non-finite; scikit-learn's element-wise check then runs and raises its
    usual error (it passes if the total merely overflowed).  For a narrow
    ``W`` the result is a view of that wider product, not contiguous.
    """
    if issparse(X):
        # validate_data checked the stored values of a sparse X.
        return np.asarray(X @ W)
    n_outputs = W.shape[1]
    if n_outputs > _FUSED_CHECK_MAX_OUTPUTS:
        # A wide product costs many passes over X, so the check's pass
        # matters little, and the strided result of the fused product would
        # slow every later step on it.
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
        return X @ W
    extended = np.empty((W.shape[0], n_outputs + 1), dtype=W.dtype)
    extended[:, :n_outputs] = W
    extended[:, n_outputs] = 1
    product = X @ extended
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(product[:, n_outputs])
    if not np.isfinite(total):
        assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")
    # A strided view: copying it out would cost a pass and fresh memory pages.
    return product[:, :n_outputs]


#: Widest product for which _input_product checks X in the product's pass.
_FUSED_CHECK_MAX_OUTPUTS = 16


# --------------------------------------------------------------- pickling

_STATE_TAG = "__sknn_basic_state__"


def _plain_state():
    """What BaseTrained.__getstate__ turns into plain dicts: name -> (to_state, from_state).

    Imported when first needed: the modules that hold the pairs import this one.
    """
    from . import perceptron
    from ._optimizers import optimizer_from_state, optimizer_to_state
    from ._replay import memory_from_state, memory_to_state
    from ._training import record_from_state, record_to_state

    return {
        "_training": (record_to_state, record_from_state),
        "_optimizer": (optimizer_to_state, optimizer_from_state),
        "_replay": (memory_to_state, memory_from_state),
        "_model": (perceptron._model_to_state, perceptron._model_from_state),
    }
