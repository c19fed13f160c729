"""Saving fitted models: skops, pickle and MLflow, and streams that go on afterwards.

A fitted estimator pickles NumPy arrays, numbers, strings, lists and dicts
plus its own public class (BaseTrained.__getstate__), so skops names only
that class as a type to trust.  The training state that ``partial_fit`` and
``warm_start`` continue from survives: a stream saved half-way and loaded
ends with the weights of the same stream run without a break (the same code
on both sides, so the weights are equal bit for bit).
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline

import sknn_basic as nn

sio = pytest.importorskip("skops.io", reason="skops is not installed")

#: The one name per class that skops asks to trust (documented in the user guide).
TRUSTED = {
    nn.PerceptronClassifier: "sknn_basic.perceptron.PerceptronClassifier",
    nn.SigmoidGDClassifier: "sknn_basic.sigmoid_gd.SigmoidGDClassifier",
    nn.TwoLayerBackpropClassifier: "sknn_basic.backprop.TwoLayerBackpropClassifier",
    nn.TwoLayerBackpropRegressor: "sknn_basic.backprop.TwoLayerBackpropRegressor",
    nn.BackpropClassifier: "sknn_basic.backprop.BackpropClassifier",
    nn.BackpropRegressor: "sknn_basic.backprop.BackpropRegressor",
    nn.AdmissionsPreprocessor: "sknn_basic.preprocessing.AdmissionsPreprocessor",
}

STREAMERS = {
    "perceptron-averaged": lambda: nn.PerceptronClassifier(average=True, random_state=0),
    "sigmoid-adam": lambda: nn.SigmoidGDClassifier(solver="adam", random_state=0),
    "backprop-momentum-replay": lambda: nn.TwoLayerBackpropClassifier(
        n_hidden=8, momentum=0.5, random_state=0),
    "backprop-adam": lambda: nn.TwoLayerBackpropClassifier(n_hidden=8, solver="adam",
                                                           random_state=0),
    "regressor": lambda: nn.TwoLayerBackpropRegressor(n_hidden=8, random_state=0),
    "deep-momentum-replay": lambda: nn.BackpropClassifier((8, 4), momentum=0.5,
                                                          random_state=0),
    "deep-regressor": lambda: nn.BackpropRegressor((8, 4), random_state=0),
}


def _chunks(n_chunks=6, sparse=False, dtype=np.float64):
    X, y = make_classification(n_samples=60 * n_chunks, n_features=5, n_informative=3,
                               n_classes=3, random_state=0)
    X = X.astype(dtype)
    order = np.argsort(y, kind="stable")  # sorted by class: the replay memory matters
    X, y = X[order], y[order]
    if sparse:
        X = sp.csr_matrix(X)
    return [(X[i::n_chunks], y[i::n_chunks]) for i in range(n_chunks)]


def _partial_fit(model, X, y):
    if isinstance(model, (nn.TwoLayerBackpropRegressor, nn.BackpropRegressor)):
        return model.partial_fit(X, y.astype(float))
    return model.partial_fit(X, y, classes=[0, 1, 2])


def _weights(model):
    if hasattr(model, "coefs_"):
        return [*model.coefs_, *model.intercepts_]
    return [model.coef_, model.intercept_]


def _skops_round_trip(model):
    data = sio.dumps(model)
    assert sio.get_untrusted_types(data=data) == [TRUSTED[type(model)]]
    return sio.loads(data, trusted=[TRUSTED[type(model)]])


def _pickle_round_trip(model):
    return pickle.loads(pickle.dumps(model))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("round_trip", [_skops_round_trip, _pickle_round_trip],
                         ids=["skops", "pickle"])
@pytest.mark.parametrize("name", STREAMERS)
def test_a_stream_goes_on_after_saving(name, round_trip, sparse):
    chunks = _chunks(sparse=sparse)
    whole = STREAMERS[name]()
    halves = STREAMERS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for X, y in chunks:
            _partial_fit(whole, X, y)
        for X, y in chunks[:3]:
            _partial_fit(halves, X, y)
        saved = halves
        halves = round_trip(saved)
        for X, y in chunks[3:]:
            _partial_fit(halves, X, y)
            # Saving left the saved model as it was: it streams on alike.
            _partial_fit(saved, X, y)
    for a, b, c in zip(_weights(whole), _weights(halves), _weights(saved)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert whole.loss_curve_ == halves.loss_curve_ and whole.t_ == halves.t_
    assert halves.learning_rate_ == whole.learning_rate_ if hasattr(whole, "learning_rate_") \
        else True


@pytest.mark.parametrize("round_trip", [_skops_round_trip, _pickle_round_trip],
                         ids=["skops", "pickle"])
@pytest.mark.parametrize("name", ["perceptron-averaged", "backprop-momentum-replay"])
def test_a_warm_start_goes_on_after_saving(name, round_trip):
    X, y = make_classification(n_samples=150, n_features=5, random_state=1)
    kwargs = {"warm_start": True, "max_iter": 5, "tol": None}
    whole = STREAMERS[name]().set_params(**kwargs)
    saved = STREAMERS[name]().set_params(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole.fit(X, y).fit(X, y)
        saved = round_trip(saved.fit(X, y)).fit(X, y)
    for a, b in zip(_weights(whole), _weights(saved)):
        np.testing.assert_array_equal(a, b)
    assert whole.n_iter_ == saved.n_iter_ and whole.t_ == saved.t_


def test_float32_string_labels_feature_names_and_early_stopping_save_plainly():
    import pandas as pd

    X, y = make_classification(n_samples=200, n_features=4, random_state=2)
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b", "c", "d"])
    labels = np.array(["no", "yes"])[y]
    for model in (nn.TwoLayerBackpropClassifier(n_hidden=4, early_stopping=True,
                                                random_state=0),
                  nn.PerceptronClassifier(early_stopping=True, random_state=0),
                  nn.SigmoidGDClassifier(random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(frame, labels)
        loaded = _skops_round_trip(model)
        assert loaded._dtype == np.float32
        np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)


def test_the_preprocessor_and_a_pipeline_save_plainly():
    data = nn.load_default_admissions()
    pipe = make_pipeline(nn.AdmissionsPreprocessor(),
                         nn.SigmoidGDClassifier(random_state=0))
    pipe.fit(data[["gre", "gpa", "rank"]], data["admit"])
    blob = sio.dumps(pipe)
    names = [TRUSTED[nn.AdmissionsPreprocessor], TRUSTED[nn.SigmoidGDClassifier]]
    assert sorted(sio.get_untrusted_types(data=blob)) == sorted(names)
    loaded = sio.loads(blob, trusted=names)
    np.testing.assert_array_equal(loaded.predict_proba(data), pipe.predict_proba(data))


def test_what_is_pickled_is_plain():
    model = STREAMERS["backprop-momentum-replay"]()
    for X, y in _chunks(n_chunks=3, sparse=True):
        _partial_fit(model, X, y)
    plain = (np.ndarray, int, float, str, bool, type(None), np.generic)

    def check(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str), where
                check(item, f"{where}[{key!r}]")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                check(item, f"{where}[{i}]")
        elif not isinstance(value, np.random.RandomState):
            assert isinstance(value, plain), f"{where} is a {type(value).__name__}"

    check(model.__getstate__(), "state")


def test_pickles_made_before_the_plain_state_still_load(monkeypatch):
    # Such pickles hold the training objects themselves; __setstate__ lets
    # them through, and the stream goes on as it would have.
    chunks = _chunks()
    whole, old = STREAMERS["backprop-momentum-replay"](), STREAMERS["backprop-momentum-replay"]()
    for X, y in chunks:
        _partial_fit(whole, X, y)
    for X, y in chunks[:3]:
        _partial_fit(old, X, y)
    with monkeypatch.context() as patch:
        patch.setattr(nn.TwoLayerBackpropClassifier, "__getstate__", BaseEstimator.__getstate__)
        blob = pickle.dumps(old)
    loaded = pickle.loads(blob)
    assert type(loaded._training).__name__ == "TrainingRecord"
    for X, y in chunks[3:]:
        _partial_fit(loaded, X, y)
    for a, b in zip(_weights(whole), _weights(loaded)):
        np.testing.assert_array_equal(a, b)


def test_the_perceptron_publishes_its_own_arrays_after_loading():
    # coef_ is the rule's current weights array, so that what a callback
    # writes there trains on (see _PerceptronModel.weights).
    X, y = make_classification(n_samples=60, n_features=3, n_informative=2, n_redundant=0,
                               random_state=3)
    model = nn.PerceptronClassifier(max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    for loaded in (_skops_round_trip(model), _pickle_round_trip(model)):
        assert loaded.coef_ is loaded._model.coef


def test_mlflow_saves_and_loads(tmp_path, monkeypatch):
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn", reason="mlflow is not installed")
    # MLflow refuses to deserialise any model unless this is set.
    monkeypatch.setenv("MLFLOW_ALLOW_MODEL_CODE_EXECUTION", "true")
    X, y = make_classification(n_samples=100, n_features=4, random_state=4)
    model = nn.TwoLayerBackpropClassifier(n_hidden=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
        # At MLflow's defaults (the skops format) our public class is the one
        # type to trust, and MLflow says so.
        with pytest.raises(Exception, match="untrusted types.*TwoLayerBackpropClassifier"):
            mlflow_sklearn.save_model(model, str(tmp_path / "refused"),
                                      pip_requirements=["sknn-basic"])
        path = tmp_path / "model"
        mlflow_sklearn.save_model(model, str(path),
                                  skops_trusted_types=[TRUSTED[type(model)]],
                                  pip_requirements=["sknn-basic"])
        loaded = mlflow_sklearn.load_model(str(path))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
