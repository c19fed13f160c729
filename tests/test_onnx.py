"""ONNX export (:mod:`sknn_basic.onnx`): ONNX Runtime gives what the estimators give.

Every estimator, alone and in pipelines, float32 and float64, on the
admissions data, wide data, several classes and extreme but finite inputs:
the same label on every row, and probabilities, decision values and
regression outputs within 1e-5 (float32) or 1e-9 (float64), relative and
absolute.  The two sides are different code (NumPy's BLAS and ONNX
Runtime's kernels), hence the tolerances.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn.base import is_classifier

import sknn_basic as nn

ort = pytest.importorskip("onnxruntime", reason="the extra onnx (onnxruntime) is not installed")
pytest.importorskip("skl2onnx", reason="the extra onnx (skl2onnx) is not installed")
from sknn_basic.onnx import to_onnx  # noqa: E402

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-9}


def _session(model, X, **kwargs):
    graph = to_onnx(model, X[:1], **kwargs)
    return ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])


def _run(model, X, options=None):
    options = {"zipmap": False, **(options or {})} if is_classifier(model) else options
    session = _session(model, X, options=options)
    return session.run(None, {session.get_inputs()[0].name: X})


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def _assert_close(actual, expected, dtype):
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


def _assert_classifier_agrees(model, X, dtype):
    labels, second = _run(model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    if isinstance(model, nn.PerceptronClassifier):
        expected = model.decision_function(X)
    else:
        expected = model.predict_proba(X)
        assert second.dtype == dtype
        _assert_close(second, expected, dtype)
        # And the decision values, through the option raw_scores.
        _, raw = _run(model, X, options={"raw_scores": True})
        expected = model.decision_function(X)
        second = raw
    if expected.ndim == 1:
        _assert_close(second[:, 0], -expected, dtype)
        second = second[:, 1]
    _assert_close(second, expected, dtype)


# ------------------------------------------------------------------ data


def _admissions(dtype):
    data = nn.load_default_admissions()
    X = nn.AdmissionsPreprocessor().fit_transform(data[["gre", "gpa", "rank"]])
    return X.astype(dtype), data["admit"].to_numpy()


def _wide(dtype):
    X, y = make_classification(n_samples=80, n_features=200, n_informative=20,
                               random_state=1)
    return X.astype(dtype), y


def _multiclass(dtype):
    X, y = make_classification(n_samples=300, n_features=8, n_informative=6, n_classes=4,
                               random_state=2)
    return X.astype(dtype), y


DATASETS = {"admissions": _admissions, "wide": _wide, "multiclass": _multiclass}

CLASSIFIERS = {
    "perceptron": lambda: nn.PerceptronClassifier(max_iter=10, random_state=0),
    "perceptron-averaged": lambda: nn.PerceptronClassifier(average=True, max_iter=20,
                                                           random_state=0),
    "sigmoid-log": lambda: nn.SigmoidGDClassifier(max_iter=10, random_state=0),
    "sigmoid-squared": lambda: nn.SigmoidGDClassifier(loss="squared_error", max_iter=10,
                                                      fit_intercept=False, random_state=0),
    "backprop-sigmoid": lambda: nn.TwoLayerBackpropClassifier(n_hidden=16, max_iter=10,
                                                              random_state=0),
    "backprop-tanh-squared": lambda: nn.TwoLayerBackpropClassifier(
        n_hidden=16, activation="tanh", loss="squared_error", max_iter=10, random_state=0),
    "backprop-relu": lambda: nn.TwoLayerBackpropClassifier(
        n_hidden=16, activation="relu", learning_rate=0.1, max_iter=10, random_state=0),
    "deep-sigmoid": lambda: nn.BackpropClassifier((16, 8), max_iter=10, random_state=0),
    "deep-tanh-squared": lambda: nn.BackpropClassifier(
        (16, 8, 4), activation="tanh", loss="squared_error", max_iter=10, random_state=0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_agrees_with_onnx_runtime(name, data, dtype):
    X, y = DATASETS[data](dtype)
    model = _fit(CLASSIFIERS[name](), X, y)
    _assert_classifier_agrees(model, X, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_on_extreme_inputs(name, dtype):
    # Finite rows a thousand (float32) or 1e100 (float64) times the training
    # scale: saturated sigmoids, softmax far from the safe range, huge scores.
    X, y = _multiclass(dtype)
    model = _fit(CLASSIFIERS[name](), X, y)
    scale = 1e3 if dtype == np.float32 else 1e100
    extreme = (X[:60] * scale).astype(dtype)
    _assert_classifier_agrees(model, extreme, dtype)
    binary = _fit(CLASSIFIERS[name](), X, y % 2)
    _assert_classifier_agrees(binary, extreme, dtype)


REGRESSORS = {
    "two-layer": lambda activation: nn.TwoLayerBackpropRegressor(
        n_hidden=16, activation=activation, max_iter=10, random_state=0),
    "deep": lambda activation: nn.BackpropRegressor(
        (16, 8), activation=activation, max_iter=10, random_state=0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("name", REGRESSORS)
def test_regressor_agrees_with_onnx_runtime(name, activation, dtype):
    X, y = make_regression(n_samples=200, n_features=6, n_targets=2, random_state=0)
    X = StandardScaler().fit_transform(X).astype(dtype)
    Y = (y / y.std(axis=0)).astype(dtype)
    for target in (Y, Y[:, 0]):
        model = _fit(REGRESSORS[name](activation), X, target)
        scale = 1e3 if dtype == np.float32 else 1e100
        for rows in (X, (X[:50] * scale).astype(dtype)):
            (out,) = _run(model, rows)
            assert out.dtype == dtype
            assert out.shape == (len(rows), 1 if target.ndim == 1 else 2)
            expected = model.predict(rows).reshape(out.shape)
            # Rounding errors scale with the terms summed: on extreme rows an
            # output near zero is the difference of terms near the largest
            # output, so the absolute tolerance is relative to that.
            tol = TOLERANCE[dtype]
            np.testing.assert_allclose(out, expected, rtol=tol,
                                       atol=tol * max(1.0, np.abs(expected).max()))


def test_string_labels_and_zipmap():
    X, y = _multiclass(np.float32)
    names = np.array(["ant", "bee", "cat", "dog"])[y]
    model = _fit(nn.TwoLayerBackpropClassifier(n_hidden=8, max_iter=10, random_state=0),
                 X, names)
    session = _session(model, X)
    labels, dictionaries = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, model.predict(X))
    proba = model.predict_proba(X)
    assert set(dictionaries[0]) == set(model.classes_)
    for row, expected in zip(dictionaries[:20], proba):
        _assert_close([row[c] for c in model.classes_], expected, np.float32)


def test_nocl_gives_indices_into_classes():
    X, y = _multiclass(np.float64)
    model = _fit(nn.SigmoidGDClassifier(max_iter=20, random_state=0), X, y + 10)
    labels, _ = _run(model, X, options={"nocl": True})
    np.testing.assert_array_equal(model.classes_[labels], model.predict(X))


def test_integral_float_labels_become_int64():
    X, y = _multiclass(np.float64)
    model = _fit(nn.PerceptronClassifier(max_iter=10, random_state=0), X, y.astype(float))
    labels, _ = _run(model, X)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, model.predict(X))


def test_labels_onnx_cannot_hold_are_refused():
    X, y = _multiclass(np.float64)
    model = _fit(nn.PerceptronClassifier(max_iter=5, random_state=0), X,
                 y.astype(np.uint64) + np.uint64(2**63))
    with pytest.raises(ValueError, match="exceed int64.*LabelEncoder"):
        to_onnx(model, X[:1])


@pytest.mark.parametrize("estimator", [
    nn.PerceptronClassifier(), nn.SigmoidGDClassifier(), nn.TwoLayerBackpropClassifier(),
    nn.TwoLayerBackpropRegressor(), nn.AdmissionsPreprocessor(),
], ids=lambda e: type(e).__name__)
def test_unfitted_models_are_refused(estimator):
    X = np.zeros((1, 3), dtype=np.float32)
    with pytest.raises(NotFittedError, match=f"{type(estimator).__name__} is not fitted.*ONNX"):
        to_onnx(estimator, X)


def test_an_option_we_do_not_support_is_named():
    X, y = _admissions(np.float32)
    model = _fit(nn.PerceptronClassifier(max_iter=5, random_state=0), X, y)
    with pytest.raises(NameError, match="raw_scores"):
        to_onnx(model, X[:1], options={"raw_scores": True})


def test_a_multilabel_model_is_refused_with_the_reason():
    X, y = _multiclass(np.float64)
    model = _fit(nn.BackpropClassifier((8,), max_iter=5, random_state=0), X,
                 np.column_stack([y % 2, y > 1]).astype(int))
    with pytest.raises(NotImplementedError, match="multilabel targets cannot be converted"):
        to_onnx(model, X[:1])


def test_deeper_networks_convert_layer_by_layer():
    # The converter reads every layer of coefs_/intercepts_; a third layer
    # added by hand stands for the deeper networks to come.
    X, y = _multiclass(np.float64)
    model = _fit(nn.TwoLayerBackpropClassifier(n_hidden=8, activation="tanh", max_iter=10,
                                               random_state=0), X, y)
    rng = np.random.RandomState(0)
    W_last = model.coefs_[1]
    model.coefs_ = [model.coefs_[0], rng.normal(size=(8, 5)), rng.normal(size=(5, W_last.shape[1]))]
    model.intercepts_ = [model.intercepts_[0], rng.normal(size=5), model.intercepts_[1]]
    _, proba = _run(model, X)
    *_, expected = nn.functional.forward_pass(X, model.coefs_, model.intercepts_,
                                              hidden_activation="tanh",
                                              output_activation="softmax")
    _assert_close(proba, expected, np.float64)


# ------------------------------------------------------------- pipelines


def _admissions_frame():
    data = nn.load_default_admissions()
    return data[["gre", "gpa", "rank"]], data["admit"].to_numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_preprocessor_and_network_pipeline(dtype):
    frame, y = _admissions_frame()
    pipe = _fit(make_pipeline(nn.AdmissionsPreprocessor(),
                              nn.TwoLayerBackpropClassifier(n_hidden=8, max_iter=50,
                                                            random_state=0)), frame, y)
    X = frame.to_numpy().astype(dtype)
    labels, proba = _run(pipe, X)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    _assert_close(proba, pipe.predict_proba(X), dtype)


def test_pipeline_from_a_dataframe_takes_named_inputs():
    frame, y = _admissions_frame()
    pipe = _fit(make_pipeline(nn.AdmissionsPreprocessor(),
                              nn.SigmoidGDClassifier(max_iter=50, random_state=0)), frame, y)
    graph = to_onnx(pipe, frame[:1], options={"zipmap": False})
    session = ort.InferenceSession(graph.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["gre", "gpa", "rank"]
    feeds = {c: frame[[c]].to_numpy() for c in ("gre", "gpa", "rank")}
    labels, proba = session.run(None, feeds)
    np.testing.assert_array_equal(labels, pipe.predict(frame))
    _assert_close(proba, pipe.predict_proba(frame), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_standard_scaler_pipeline(dtype):
    X, y = make_classification(n_samples=300, n_features=5, n_classes=3, n_informative=4,
                               n_redundant=0, random_state=3)
    X = (X * 100 + 50).astype(dtype)
    for final in (nn.SigmoidGDClassifier(max_iter=10, random_state=0),
                  nn.PerceptronClassifier(max_iter=10, random_state=0)):
        pipe = _fit(make_pipeline(StandardScaler(), final), X, y)
        labels, second = _run(pipe, X)
        np.testing.assert_array_equal(labels, pipe.predict(X))
        expected = (pipe.decision_function(X) if isinstance(final, nn.PerceptronClassifier)
                    else pipe.predict_proba(X))
        _assert_close(second, expected, dtype)


@pytest.mark.parametrize("handle_unknown", ["error", "ignore"])
def test_preprocessor_alone_and_unknown_ranks(handle_unknown):
    frame, _ = _admissions_frame()
    pre = nn.AdmissionsPreprocessor(handle_unknown=handle_unknown).fit(frame)
    X = frame.to_numpy().astype(np.float64)
    (out,) = _run(pre, X)
    _assert_close(out, pre.transform(X), np.float64)
    odd = np.array([[600.0, 3.5, 7.0], [600.0, 3.5, 2.5]])
    (out,) = _run(pre, odd)
    if handle_unknown == "ignore":
        _assert_close(out, pre.transform(odd), np.float64)
    else:
        # transform raises; the graph cannot, so it makes the rank columns NaN.
        with pytest.raises(ValueError):
            pre.transform(odd)
        assert np.isnan(out[:, 2:]).all() and np.isfinite(out[:, :2]).all()


def test_preprocessor_needs_its_three_columns():
    frame, _ = _admissions_frame()
    pre = nn.AdmissionsPreprocessor().fit(frame)
    with pytest.raises(ValueError, match="gre, gpa, rank.*3 columns, got one of 4"):
        to_onnx(pre, np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"missing \['rank'\]"):
        to_onnx(pre, pd.DataFrame({"gre": [1.0], "gpa": [2.0], "rnk": [1]}))
