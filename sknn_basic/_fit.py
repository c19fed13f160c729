"""The ordered steps of one ``fit`` or ``partial_fit`` call, written once.

:func:`fit` is the one path every call of every estimator takes, wherever
its rows are: refuse what the call cannot do, validate the rows, find the
labels, weigh the rows, draw the initial weights (first, from
``check_random_state(random_state)``), hold out a validation split when
early stopping, join a replay memory's rows, train with the loop of
:mod:`sknn_basic._training`, and publish the loop's record.  It talks to
the rows only through the :class:`~sknn_basic._engines.Rows` of the engine
that :func:`~sknn_basic._engines.engine_for` chose for the call.  The
estimator answers what depends on it: how to validate and encode targets,
initialise its arrays, build its model, publish its weights, and compose
the watchers of its training (the stopping rules, the guard, the advice:
see :mod:`sknn_basic._watchers`).

Every call is a transaction.  :func:`fit` takes a :class:`_SavedState` of
the estimator first: a call that raises (bad input, a failure during
training, an error from a Dask worker, a warning turned into an error)
leaves the estimator exactly as it was before the call, every attribute
restored to its old value (the arrays that training updates in place from
copies) and every attribute the call created removed.  Ctrl-C
(KeyboardInterrupt) during training is not a failure once an epoch of the
call has completed: training stops there, the weights are those at the end
of that epoch, the record (``n_iter_``, ``loss_curve_``, ``t_``, the
validation curves, ``learning_rate_``) describes exactly the completed
epochs, a ``ConvergenceWarning`` says so and the call returns normally, as
``MLPClassifier`` does.  Interrupted before any epoch completed, the call
changes nothing and the KeyboardInterrupt propagates.
"""

import numpy as np
from sklearn.utils import check_random_state

from ._engines import engine_for
from ._replay import ReplayMemory
from ._training import TrainingRecord, train

__all__ = ["call_back", "fit", "store_record"]


def fit(estimator, X, y, sample_weight, classes, incremental):
    """One ``fit`` (``incremental=False``) or ``partial_fit`` call of ``estimator``.

    The call is a transaction (see the module's docstring).

    Parameters
    ----------
    estimator : BaseTrained
        The estimator to train.
    X, y, sample_weight
        The call's data, in memory or in a Dask collection.
    classes : array-like or None
        ``partial_fit``'s ``classes``.
    incremental : bool
        True for ``partial_fit`` (one epoch, state kept).

    Returns
    -------
    estimator
    """
    saved = _SavedState(estimator)
    try:
        _check_call(estimator, incremental)
        first_call = _first_call(estimator, incremental)
        with engine_for(X).rows(estimator, X, y, sample_weight, first_call) as rows:
            _train_rows(estimator, rows, classes, incremental, first_call)
        return estimator
    except BaseException:
        saved.restore()
        raise


def _train_rows(estimator, rows, classes, incremental, first_call):
    """The steps after validation, in their one order."""
    n_outputs = rows.targets(classes, first_call, incremental)
    memory = _replay_memory(estimator, first_call, incremental)
    rows.weigh(incremental, at_least=0.0 if memory is None else memory.largest_weight())
    # The initial weights are the first draws.
    random_state = _start(estimator, rows.n_features, n_outputs, first_call, incremental)
    validation = rows.split(random_state)
    entering = None if memory is None else rows.replay(memory, random_state)
    X, Y, sample_weight, n_samples, total_weight = rows.training()
    _run(estimator, rows, X, Y, sample_weight, validation, random_state, incremental,
         first_call, n_samples=n_samples, total_weight=total_weight)
    if entering is not None:
        # After training: a call that failed leaves the memory as it was.
        memory.keep(*entering)


def _first_call(estimator, incremental):
    """Whether this call starts from fresh weights (not a warm start or a stream)."""
    return not hasattr(estimator, "n_iter_") or not (incremental or estimator.warm_start)


def _check_call(estimator, incremental):
    """Refuse what a call cannot do before any data is read."""
    if incremental and estimator.early_stopping:
        raise ValueError(
            "partial_fit does not support early_stopping=True: each call sees one "
            "chunk, so there is no held-out set to stop on. Set early_stopping=False "
            "to train on a stream, or call fit to stop early."
        )


def _start(estimator, n_features, n_outputs, first_call, incremental):
    """The random state of this call; on a first call, the initial weights too.

    The initial weights are the first draws: this is what makes the
    lessons' runs reproducible from their seed.
    """
    if first_call or not incremental:
        random_state = check_random_state(estimator.random_state)
        estimator._random_state = random_state
    else:
        random_state = estimator._random_state
    if first_call:
        estimator._initialize(n_features, n_outputs, random_state, estimator._dtype)
        estimator._optimizer = None
        estimator._training = None
    return random_state


def _replay_memory(estimator, first_call, incremental):
    """The rows this ``partial_fit`` call trains on again, or None.

    A stream's memory lives from its first ``partial_fit`` call to the
    next ``fit``; ``replay_size`` (where an estimator has it) bounds it.
    """
    capacity = getattr(estimator, "replay_size", 0)
    memory = None if first_call else getattr(estimator, "_replay", None)
    if not incremental or not capacity:
        memory = None
    elif memory is None:
        memory = ReplayMemory(capacity)
    else:
        memory.resize(capacity)
    estimator._replay = memory
    return memory


def _run(estimator, rows, X, Y, sample_weight, validation, random_state, incremental,
         first_call, *, n_samples, total_weight):
    """Train the estimator's model on prepared rows and publish the record."""
    model = estimator._make_model(n_samples, estimator._dtype,
                                  restart=not incremental or first_call)
    model = rows.model(model, random_state, estimator.shuffle)
    previous = estimator._training
    if incremental and previous is not None:
        record = previous
    else:
        # A fit starts a new record; the samples seen still add up.
        record = TrainingRecord(t=previous.t if previous is not None else 0)
    if estimator._lbfgs():
        # Its own stopping rules and warnings (see sknn_basic._lbfgs).  The
        # model is the engine's: its gradient_sums is one pass over the rows
        # wherever they are (the blocks' sums added up a tree on Dask).
        on_epoch = None if estimator.callback is None else call_back(estimator, model)
        record = estimator._minimize(model, X, Y, sample_weight, record, n_samples=n_samples,
                                     total_weight=total_weight, on_epoch=on_epoch)
        store_record(estimator, record, model)
        return
    record = train(
        model, X, Y, sample_weight,
        watchers=estimator._watchers(rows, model, validation, incremental),
        max_epochs=1 if incremental else estimator.max_iter,
        shuffle=estimator.shuffle,
        incremental=incremental,
        random_state=random_state,
        n_samples=n_samples,
        total_weight=total_weight,
        record=record,
    )
    store_record(estimator, record, model)


def call_back(estimator, model):
    """The loop's per-epoch hook: publish the run so far, then call ``callback``."""

    def on_epoch(record, info):
        store_record(estimator, record, model)
        return estimator.callback(estimator, info)

    return on_epoch


def store_record(estimator, record, model):
    """Publish the loop's record (kept whole in ``_training``) as fitted attributes."""
    estimator._training = record
    estimator.n_iter_ = record.n_iter
    estimator.t_ = record.t
    estimator.loss_curve_ = record.loss_curve
    # As MLPClassifier: the attributes of the other way of stopping exist
    # and are None (early stopping watches the validation score, not the
    # training loss's best).
    early = record.validation_scores is not None
    estimator.validation_scores_ = record.validation_scores
    estimator.validation_loss_curve_ = record.validation_loss_curve
    estimator.best_validation_score_ = record.best_validation_score if early else None
    estimator.best_loss_ = None if early else record.best_loss
    if model.step_size is not None:
        estimator.learning_rate_ = model.step_size.learning_rate
    estimator._publish(model)


# ------------------------------------------------------------- transaction


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
