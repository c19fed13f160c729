"""Every fit and partial_fit call is a transaction; Ctrl-C stops at an epoch's end.

A call that raises (bad input, an error during training, from a callback or
a Dask worker) must leave the estimator exactly as before the call; a
KeyboardInterrupt after a completed epoch stops there with a record that
describes exactly the completed epochs, one before that leaves the estimator
as before and propagates.  Each check runs for every exported estimator, in
memory and on Dask.
"""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknn_basic import (
    PerceptronClassifier,
    SigmoidGDClassifier,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)
from sknn_basic._engines import blocks
from sknn_basic._network import LayeredModel
from sknn_basic.perceptron import _PerceptronModel

ESTIMATORS = {
    "perceptron": lambda: PerceptronClassifier(random_state=0, tol=None),
    "sigmoid": lambda: SigmoidGDClassifier(random_state=0, tol=None, batch_size=16),
    "backprop": lambda: TwoLayerBackpropClassifier(n_hidden=4, random_state=0, tol=None,
                                                   momentum=0.5),
    "regressor": lambda: TwoLayerBackpropRegressor(n_hidden=4, random_state=0, tol=None,
                                                   solver="adam", learning_rate=0.01),
}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, flip_y=0.1,
                               random_state=0)
    return X, y


def _targets(name, y):
    return y * 2.0 - 0.5 if name == "regressor" else y


def _engine(engine, request):
    """A function turning arrays into the engine's collections."""
    if engine == "memory":
        return lambda a: a
    request.getfixturevalue("dask_client")
    import dask.array as da

    return lambda a: da.from_array(a, chunks=(40,) + a.shape[1:])


def _fit(est, name, X, y, engine, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(engine(X), engine(_targets(name, y)), **kwargs)


def _partial_fit(est, name, X, y, engine):
    kwargs = {} if name == "regressor" else {"classes": np.unique(y)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.partial_fit(engine(X), engine(_targets(name, y)), **kwargs)


def _state(est):
    """A deep copy of everything the estimator holds but its callback."""
    return copy.deepcopy({k: v for k, v in vars(est).items() if k != "callback"})


def _assert_same(a, b, where="estimator"):
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: {sorted(set(a) ^ set(b))}"
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(), b.get_state(), where)
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        _assert_same(vars(a), vars(b), where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def _model_class(engine, name):
    if engine != "memory":
        return blocks._BlockModel
    return _PerceptronModel if name == "perceptron" else LayeredModel


def _raise_on_epoch(monkeypatch, cls, call, exc):
    """Make ``cls.run_epoch`` raise ``exc`` on its ``call``-th call (1-based)."""
    original = cls.run_epoch
    calls = []

    def run_epoch(self, *args):
        calls.append(1)
        if len(calls) == call:
            raise exc
        return original(self, *args)

    monkeypatch.setattr(cls, "run_epoch", run_epoch)
    return calls


ENGINES = ["memory", "dask"]


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_a_failed_call_leaves_the_estimator_as_before(name, engine_name, data, request,
                                                      monkeypatch):
    engine = _engine(engine_name, request)
    X, y = data
    est = _fit(ESTIMATORS[name]().set_params(max_iter=4), name, X, y, engine)
    est = _partial_fit(est, name, X[:60], y[:60], engine)  # a stream under way
    before = _state(est)
    predictions = est.predict(X)

    def warm_fit(X, y):
        est.set_params(warm_start=True)
        try:
            return est.fit(X, y)
        finally:
            est.set_params(warm_start=False)

    failures = []
    # Bad input: the wrong number of features for a warm start or a stream,
    # in float32 (its dtype must not stick).
    failures.append(lambda: warm_fit(engine(X[:, :3].astype(np.float32)),
                                     engine(_targets(name, y))))
    failures.append(lambda: _partial_fit(est, name, X[:, :3].astype(np.float32), y, engine))
    if name != "regressor":
        # One class, in float32.
        failures.append(lambda: est.fit(engine(X.astype(np.float32)),
                                        engine(np.zeros_like(y))))

    for failing in failures:
        with pytest.raises(ValueError):
            failing()
        _assert_same(_state(est), before)

    # An error from the callback at the third epoch of a refit, and of a
    # warm-started fit (whose arrays are the very ones training updates).
    # (On Dask the warm case alone: the refit's path is the same there.)
    for warm in (False, True) if engine_name == "memory" else (True,):
        def callback(estimator, info):
            if info["epoch"] == 2:
                raise RuntimeError("from the callback")

        est.set_params(callback=callback, warm_start=warm)
        with pytest.raises(RuntimeError, match="from the callback"):
            _fit(est, name, X.astype(np.float32), y, engine)
        est.set_params(callback=None, warm_start=False)
        _assert_same(_state(est), before)

    # An error inside an epoch, in fit (the third epoch) and in partial_fit.
    with monkeypatch.context() as patch:
        _raise_on_epoch(patch, _model_class(engine_name, name), 3, RuntimeError("epoch"))
        est.set_params(warm_start=True)
        with pytest.raises(RuntimeError, match="epoch"):
            _fit(est, name, X, y, engine)
        est.set_params(warm_start=False)
    _assert_same(_state(est), before)
    with monkeypatch.context() as patch:
        _raise_on_epoch(patch, _model_class(engine_name, name), 1, RuntimeError("epoch"))
        with pytest.raises(RuntimeError, match="epoch"):
            _partial_fit(est, name, X, y, engine)
    _assert_same(_state(est), before)

    assert_array_equal(est.predict(X), predictions)
    # The model is still float64, and a float32 chunk streams on.
    assert est._dtype == np.float64
    _partial_fit(est, name, X[60:].astype(np.float32), y[60:], engine)
    assert est.n_iter_ == before["n_iter_"] + 1


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_a_fresh_fit_interrupted_before_an_epoch_ends_is_left_unfitted(
        name, engine_name, data, request, monkeypatch):
    engine = _engine(engine_name, request)
    X, y = data
    est = ESTIMATORS[name]().set_params(max_iter=5)
    before = _state(est)
    _raise_on_epoch(monkeypatch, _model_class(engine_name, name), 1, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        est.fit(engine(X), engine(_targets(name, y)))
    _assert_same(_state(est), before)
    assert not hasattr(est, "n_iter_") and not hasattr(est, "n_features_in_")


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("how", ["run_epoch", "callback"])
def test_an_interrupted_fit_keeps_its_completed_epochs(name, engine_name, how, data,
                                                       request, monkeypatch):
    engine = _engine(engine_name, request)
    X, y = data
    # The old fit: a different task (the labels swapped), so that its record
    # and weights differ from the new one's.
    est = _fit(ESTIMATORS[name]().set_params(max_iter=6, random_state=1), name, X, 1 - y,
               engine)
    completed = 3
    if how == "run_epoch":
        # The fourth epoch is interrupted inside: three completed.
        _raise_on_epoch(monkeypatch, _model_class(engine_name, name), completed + 1,
                        KeyboardInterrupt())
    else:
        # The callback of the third epoch is interrupted: that epoch completed.
        def callback(estimator, info):
            if info["epoch"] == completed - 1:
                raise KeyboardInterrupt
        est.set_params(callback=callback)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.set_params(max_iter=20, random_state=0).fit(engine(X), engine(_targets(name, y)))
    interrupted = [w for w in caught if "interrupted by user" in str(w.message)]
    assert len(interrupted) == 1
    assert issubclass(interrupted[0].category, ConvergenceWarning)
    assert interrupted[0].filename == __file__

    monkeypatch.undo()
    reference = _fit(ESTIMATORS[name]().set_params(max_iter=completed), name, X, y, engine)
    assert est.n_iter_ == completed == len(est.loss_curve_)
    assert est.loss_curve_ == reference.loss_curve_
    assert est.t_ == reference.t_
    assert est.best_loss_ == reference.best_loss_
    assert getattr(est, "learning_rate_", None) == getattr(reference, "learning_rate_", None)
    assert_array_equal(est.predict(X), reference.predict(X))
    assert_array_equal(est.decision_function(X) if name != "regressor" else est.predict(X),
                       reference.decision_function(X) if name != "regressor"
                       else reference.predict(X))
    # A float32 chunk streams on from there.
    est.set_params(callback=None)
    _partial_fit(est, name, X[:40].astype(np.float32), y[:40], engine)
    assert est.n_iter_ == completed + 1 == len(est.loss_curve_)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_an_interrupted_partial_fit_changes_nothing(name, data, monkeypatch):
    X, y = data
    est = _partial_fit(ESTIMATORS[name](), name, X[:60], y[:60], lambda a: a)
    before = _state(est)
    _raise_on_epoch(monkeypatch, _model_class("memory", name), 1, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        _partial_fit(est, name, X[60:], y[60:], lambda a: a)
    _assert_same(_state(est), before)


def test_an_interrupt_during_bookkeeping_undoes_that_epoch(data, monkeypatch):
    # A Ctrl-C after the epoch's updates but before its record was complete
    # (here in the validation score) rolls the whole epoch back.
    X, y = data
    est = SigmoidGDClassifier(random_state=0, tol=None, early_stopping=True, max_iter=10)
    original = type(est)._validation_score
    calls = []

    def validation_score(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(type(est), "_validation_score", validation_score)
    with pytest.warns(ConvergenceWarning, match="interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    reference = SigmoidGDClassifier(random_state=0, tol=None, early_stopping=True,
                                    max_iter=2).fit(X, y)
    assert est.n_iter_ == 2 == len(est.loss_curve_) == len(est.validation_scores_)
    assert est.validation_scores_ == reference.validation_scores_
    assert est.loss_curve_ == reference.loss_curve_
    assert_array_equal(est.coef_, reference.coef_)
