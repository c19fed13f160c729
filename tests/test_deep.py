"""Networks of any depth: BackpropClassifier and BackpropRegressor.

* With one hidden layer they are the two-layer networks, number for number,
  under every solver and option (both sides run the same code: the weights
  are compared bit for bit), and the lessons' S6 run comes out of
  ``BackpropClassifier((2,))`` to 1e-8.
* With two hidden layers one full-batch step moves every weight by the
  finite-difference gradient of the loss (backpropagation through every
  layer), and the networks learn what ``MLPClassifier`` / ``MLPRegressor``
  learn.
* What the two-layer networks share works at depth: weights, early stopping,
  partial_fit with the replay memory, the divergence guard, float32, sparse
  input, saving.
* Multilabel indicator targets work as in ``MLPClassifier``.
* ``hidden_layer_sizes`` is validated with a message that says what to pass.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sknn_basic import (
    BackpropClassifier,
    BackpropRegressor,
    TwoLayerBackpropClassifier,
    TwoLayerBackpropRegressor,
)
from sknn_basic._lessons import S6_PARAMS
from sknn_basic.utils import expected_failed_checks

# Short fits stop before converging on purpose; what is under test is elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def weights(model):
    return [*model.coefs_, *model.intercepts_]


def assert_identical(a, b):
    for u, v in zip(weights(a), weights(b), strict=True):
        assert u.dtype == v.dtype
        assert_array_equal(u, v)
    assert a.loss_curve_ == b.loss_curve_
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return X, y


@pytest.fixture(scope="module")
def four_classes():
    X, y = make_classification(n_samples=600, n_features=10, n_informative=6, n_classes=4,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------ one hidden layer = two layers

ONE_LAYER_SETTINGS = {
    "defaults": {},
    "full batch, no momentum": dict(batch_size=None, momentum=0.0),
    "nesterov tanh": dict(activation="tanh", nesterovs_momentum=True, batch_size=32),
    "adam relu, alpha": dict(solver="adam", activation="relu", learning_rate=0.01,
                             alpha=1e-3, batch_size=50),
    "squared error, no bias": dict(loss="squared_error", fit_intercept=False),
    "early stopping": dict(early_stopping=True, validation_fraction=0.2),
    "class weights": dict(class_weight="balanced", init_scale=0.3),
}


@pytest.mark.parametrize("setting", ONE_LAYER_SETTINGS)
def test_one_hidden_layer_is_the_two_layer_classifier(setting, three_classes):
    X, y = three_classes
    params = dict(max_iter=15, random_state=0, **ONE_LAYER_SETTINGS[setting])
    w = np.random.RandomState(1).uniform(0, 2, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = TwoLayerBackpropClassifier(7, **params).fit(X, y, sample_weight=w)
        deep = BackpropClassifier((7,), **params).fit(X, y, sample_weight=w)
    assert_identical(two, deep)
    assert_array_equal(two.predict_proba(X), deep.predict_proba(X))


@pytest.mark.parametrize("kind", ["dense float32", "sparse"])
def test_one_hidden_layer_streams_as_the_two_layer_classifier(kind, three_classes):
    X, y = three_classes
    X = X.astype(np.float32) if kind == "dense float32" else sp.csr_matrix(X)
    order = np.argsort(y, kind="stable")  # sorted by class: the replay memory matters
    two = TwoLayerBackpropClassifier(5, random_state=0)
    deep = BackpropClassifier([5], random_state=0)
    for rows in np.array_split(order, 6):
        two.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        deep.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert_identical(two, deep)
    assert deep.coefs_[0].dtype == (np.float32 if kind == "dense float32" else np.float64)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_one_hidden_layer_is_the_two_layer_regressor(solver):
    X, y = make_friedman1(n_samples=200, random_state=0)
    Y = np.column_stack([y, -y / 3])
    params = dict(max_iter=20, random_state=0, solver=solver, learning_rate=0.005)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two = TwoLayerBackpropRegressor(9, **params).fit(X, Y)
        deep = BackpropRegressor((9,), **params).fit(X, Y)
    assert_identical(two, deep)


def test_s6_from_the_deep_classifier(reference, lesson_split):
    s6 = reference["S6_backprop_admissions"]
    X_train, X_test, y_train, y_test = lesson_split
    params = {k: v for k, v in S6_PARAMS.items() if k != "n_hidden"}
    net = BackpropClassifier((S6_PARAMS["n_hidden"],), **params).fit(X_train, y_train)
    assert_allclose(net.coefs_[0], s6["weights_input_hidden"], rtol=0, atol=1e-8)
    assert_allclose(net.coefs_[1].ravel(), s6["weights_hidden_output"], rtol=0, atol=1e-8)
    assert net.score(X_test, y_test) == pytest.approx(s6["test_accuracy"], abs=1e-12)


# ---------------------------------------------------------- deeper networks


def test_initial_weights_are_drawn_layer_by_layer_from_the_input():
    X, y = make_classification(n_samples=40, n_features=5, random_state=0)
    net = BackpropClassifier((4, 3, 2), learning_rate=1e-300, max_iter=1, tol=None,
                             random_state=7).fit(X, y)
    rng = np.random.RandomState(7)
    for W, (fan_in, fan_out) in zip(net.coefs_, [(5, 4), (4, 3), (3, 2), (2, 1)], strict=True):
        assert_allclose(W, rng.normal(0, fan_in ** -0.5, (fan_in, fan_out)), rtol=1e-15)


def _loss(params, shapes, X, Y):
    """The mean log loss of a tanh network with softmax outputs, from flat parameters."""
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(params[start:start + size].reshape(shape))
        start += size
    n = len(shapes) // 2
    coefs, intercepts = arrays[:n], arrays[n:]
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = a @ W + b
        a = np.tanh(z) if i < n - 1 else z
    a = a - a.max(axis=1, keepdims=True)
    log_p = a - np.log(np.exp(a).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_p, axis=1))


@pytest.mark.parametrize("sizes", [(5, 4), (3, 4, 2)])
def test_one_step_follows_the_gradient_through_every_layer(sizes, three_classes):
    X, y = three_classes
    X, y = X[:60], y[:60]
    step = 0.1
    # One epoch of a step too small to move anything gives the initial weights.
    start = BackpropClassifier(sizes, activation="tanh", learning_rate=1e-300, momentum=0.0,
                               batch_size=None, max_iter=1, tol=None, random_state=3)
    start.fit(X, y)
    moved = clone(start).set_params(learning_rate=step).fit(X, y)
    before, after = weights(start), weights(moved)
    shapes = [p.shape for p in before]
    flat = np.concatenate([p.ravel() for p in before])
    Y = np.eye(3)[y]
    eps = 1e-6
    numeric = np.empty_like(flat)
    for k in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[k] += eps
        down[k] -= eps
        numeric[k] = (_loss(up, shapes, X, Y) - _loss(down, shapes, X, Y)) / (2 * eps)
    taken = np.concatenate([(b - a).ravel() for b, a in zip(before, after)]) / step
    # Central differences of a smooth loss: error of order eps**2 and rounding.
    assert_allclose(taken, numeric, rtol=1e-5, atol=1e-8)


def _beside_mlp(X, y):
    """BackpropClassifier and MLPClassifier of hidden layers (32, 16), fitted on even rows."""
    train = np.arange(0, len(y), 2)
    net = BackpropClassifier((32, 16), max_iter=60, random_state=0).fit(X[train], y[train])
    mlp = MLPClassifier((32, 16), max_iter=60, random_state=0).fit(X[train], y[train])
    return net, mlp, np.arange(1, len(y), 2)


def test_two_hidden_layers_learn_as_mlp_does(four_classes):
    X, y = four_classes
    net, mlp, test = _beside_mlp(X, y)
    assert [W.shape for W in net.coefs_] == [(10, 32), (32, 16), (16, 4)]
    # Both score about 0.8 here: the lessons' SGD with momentum at its defaults
    # must stay within three points of Adam.
    assert net.score(X[test], y[test]) >= mlp.score(X[test], y[test]) - 0.03


def test_three_hidden_layers_regress_as_mlp_does():
    X, y = make_friedman1(n_samples=600, random_state=0)
    X = StandardScaler().fit_transform(X)
    train, test = slice(0, 400), slice(400, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = BackpropRegressor((32, 16, 8), random_state=0).fit(X[train], y[train])
        mlp = MLPRegressor(hidden_layer_sizes=(32, 16, 8), learning_rate_init=0.01, random_state=0,
                           max_iter=200).fit(X[train], y[train])
    assert len(net.coefs_) == 4
    assert net.score(X[test], y[test]) >= mlp.score(X[test], y[test]) - 0.03


def test_weights_early_stopping_and_stream_at_depth(three_classes):
    X, y = three_classes
    sw = np.where(y == 0, 3.0, 1.0)
    # Sample weights are row repeats in a full batch, at any depth.
    weighted = BackpropClassifier((6, 5), batch_size=None, max_iter=30, tol=None,
                                  random_state=0).fit(X, y, sample_weight=sw)
    repeated = BackpropClassifier((6, 5), batch_size=None, max_iter=30, tol=None,
                                  random_state=0).fit(np.repeat(X, sw.astype(int), axis=0),
                                                      np.repeat(y, sw.astype(int)))
    for u, v in zip(weights(weighted), weights(repeated), strict=True):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    early = BackpropClassifier((6, 5), early_stopping=True, random_state=0).fit(X, y)
    assert early.best_validation_score_ == max(early.validation_scores_)
    assert early.n_iter_ < early.max_iter
    # A stream trains on the replay memory's rows with each chunk (t_ counts them).
    stream = BackpropClassifier((16, 8), random_state=0)
    chunks = np.array_split(np.argsort(y, kind="stable"), 10)
    for rows in chunks:
        stream.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert stream.t_ > len(y)
    alone = BackpropClassifier((16, 8), replay_size=0, random_state=0)
    for rows in chunks:
        alone.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert alone.t_ == len(y)


def test_a_deep_run_that_diverges_is_stopped_and_explained():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    X = X * 1e4
    net = BackpropClassifier((8, 8), activation="relu", learning_rate=1e6, momentum=0.0,
                             batch_size=None, max_iter=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"diverged.*standardise the features"):
        net.fit(X, y)
    assert all(np.isfinite(W).all() for W in net.coefs_)


def test_float32_and_sparse_at_depth(three_classes):
    X, y = three_classes
    dense = BackpropClassifier((6, 4), max_iter=10, tol=None, random_state=0)
    a = clone(dense).fit(X, y)
    b = clone(dense).fit(sp.csr_matrix(X), y)
    for u, v in zip(weights(a), weights(b), strict=True):
        assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    c = clone(dense).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in weights(c))
    assert c.predict_proba(X.astype(np.float32)).dtype == np.float32
    for u, v in zip(weights(a), weights(c), strict=True):
        assert_allclose(u, v, rtol=1e-3, atol=1e-4)


def test_saved_and_loaded_deep_models_predict_the_same(three_classes):
    X, y = three_classes
    net = BackpropClassifier((6, 4), random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(net))
    assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


# ----------------------------------------------------------------- multilabel


@pytest.fixture(scope="module")
def multilabel(four_classes):
    X, y = four_classes
    Y = np.column_stack([y % 2 == 0, y > 1, y == 3]).astype(np.int64)
    return X, Y


def test_multilabel_follows_mlp(multilabel):
    X, Y = multilabel
    net, mlp, test = _beside_mlp(X, Y)
    assert_array_equal(net.classes_, mlp.classes_)
    assert_array_equal(net.classes_, [0, 1, 2])
    predicted = net.predict(X[test])
    assert predicted.shape == Y[test].shape and predicted.dtype == Y.dtype
    proba = net.predict_proba(X[test])
    assert proba.shape == (len(test), 3)
    assert_array_equal(predicted, (proba > 0.5).astype(int))
    # Each label's own probability: rows do not sum to 1.
    assert not np.allclose(proba.sum(axis=1), 1)
    assert_allclose(proba, 1 / (1 + np.exp(-net.decision_function(X[test]))), rtol=1e-12)
    # Subset accuracy, as scikit-learn scores multilabel predictions.
    assert net.score(X[test], Y[test]) == np.mean(np.all(predicted == Y[test], axis=1))
    assert net.score(X[test], Y[test]) >= mlp.score(X[test], Y[test]) - 0.03


def test_multilabel_early_stopping_stream_and_saving(multilabel):
    X, Y = multilabel
    early = BackpropClassifier((16,), early_stopping=True, random_state=0).fit(X, Y)
    assert early.best_validation_score_ == max(early.validation_scores_) > 0.5
    stream = BackpropClassifier((16, 8), random_state=0)
    for rows in np.array_split(np.arange(len(Y)), 8):
        stream.partial_fit(X[rows], Y[rows], classes=[0, 1, 2])
    loaded = pickle.loads(pickle.dumps(stream))
    assert_array_equal(loaded.predict(X), stream.predict(X))
    assert stream.predict(X).dtype == Y.dtype
    bools = BackpropClassifier((8,), max_iter=5, random_state=0).fit(X, Y.astype(bool))
    assert bools.predict(X).dtype == bool


def test_multilabel_refusals_say_what_to_do(multilabel, three_classes):
    X, Y = multilabel
    with pytest.raises(ValueError, match="multilabel indicator matrix.*'multiclass-multioutput'"):
        BackpropClassifier((4,)).fit(X, np.column_stack([Y[:, 0], 2 * Y[:, 1]]))
    with pytest.raises(ValueError, match="class_weight is for single-label targets"):
        BackpropClassifier((4,), class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match=r"classes=np.arange\(3\)"):
        BackpropClassifier((4,)).partial_fit(X, Y, classes=["a", "b", "c"])
    fitted = BackpropClassifier((4,), max_iter=3, warm_start=True).fit(X, Y)
    with pytest.raises(ValueError, match="fitted on multilabel indicator targets and y is "
                                         "single-label"):
        fitted.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="y has 2 label columns"):
        fitted.fit(X, Y[:, :2])
    Xc, yc = three_classes
    single = BackpropClassifier((4,), max_iter=3).fit(Xc, yc)
    with pytest.raises(ValueError, match="fitted on single-label targets"):
        single.partial_fit(Xc, np.eye(3, dtype=int)[yc])


def test_a_column_vector_y_is_raveled_with_scikit_learns_warning(three_classes):
    from sklearn.exceptions import DataConversionWarning

    X, y = three_classes
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = BackpropClassifier((4,), max_iter=5, random_state=0).fit(X, y[:, None])
    flat = BackpropClassifier((4,), max_iter=5, random_state=0).fit(X, y)
    assert_array_equal(column.coefs_[0], flat.coefs_[0])


# ----------------------------------------------------------------- parameters


@pytest.mark.parametrize("sizes", [(), [0], (8, -1), (2.0,), (True,), ("8",), (8, None)])
@pytest.mark.parametrize("cls", [BackpropClassifier, BackpropRegressor])
def test_hidden_layer_sizes_is_validated(cls, sizes):
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    with pytest.raises(InvalidParameterError,
                       match=r"'hidden_layer_sizes'.*non-empty tuple or list of positive "
                             r"ints.*\(64, 32\)"):
        cls(sizes).fit(X, y)


@pytest.mark.parametrize("sizes", [8, "64,32", np.array([8, 4]), None])
def test_hidden_layer_sizes_of_another_type_is_refused(sizes):
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"'hidden_layer_sizes'.*tuple.*list"):
        BackpropClassifier(sizes).fit(X, y)


@pytest.mark.parametrize("deep, two", [(BackpropClassifier, TwoLayerBackpropClassifier),
                                       (BackpropRegressor, TwoLayerBackpropRegressor)])
def test_the_same_parameters_as_the_two_layer_networks_in_the_same_order(deep, two):
    deep_params = list(inspect.signature(deep).parameters)
    two_params = list(inspect.signature(two).parameters)
    assert deep_params == ["hidden_layer_sizes" if p == "n_hidden" else p for p in two_params]
    defaults = deep().get_params()
    assert defaults.pop("hidden_layer_sizes") == (64,)
    expected = two().get_params()
    expected.pop("n_hidden")
    assert defaults == expected
    assert expected_failed_checks(deep()) == {}
    assert "hidden_layer_sizes : tuple or list of int" in deep.__doc__
    assert "n_hidden" not in deep.__doc__


# ----------------------------------------------------------------------- Dask


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_deep_full_batch_fit_on_dask_equals_memory(dask_client, three_classes):
    da = pytest.importorskip("dask.array", reason="dask is not installed")
    X, y = three_classes
    Xd, yd = da.from_array(X, chunks=(70, -1)), da.from_array(y, chunks=70)
    for est in (BackpropClassifier((6, 5, 4), activation="tanh", batch_size=None, max_iter=15,
                                   tol=None, random_state=0),
                BackpropRegressor((6, 4), batch_size=None, max_iter=15, tol=None,
                                  random_state=0)):
        target, target_d = (y, yd) if is_classifier(est) else (
            y.astype(float), yd.astype(float))
        memory = clone(est).fit(X, target)
        on_dask = clone(est).fit(Xd, target_d)
        for u, v in zip(weights(on_dask), weights(memory), strict=True):
            assert_allclose(u, v, rtol=1e-10, atol=0)
        assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=1e-10)
    with pytest.raises(ValueError, match="multilabel targets in memory only"):
        BackpropClassifier((4,)).fit(Xd, da.from_array(np.eye(3, dtype=int)[y], chunks=70))


# -------------------------------------------------------------------- explain


def test_explain_of_one_hidden_layer_is_the_lessons(three_classes):
    from sknn_basic.explain import explain_step

    X, y = three_classes
    deep = explain_step(BackpropClassifier((4,), random_state=0), X[0], y[0])
    two = explain_step(TwoLayerBackpropClassifier(4, random_state=0), X[0], y[0])
    assert deep.names() == two.names()
    assert "hidden_error_term" in deep.names()
    for name in deep.names():
        assert_array_equal(deep[name], two[name])


@pytest.mark.parametrize("sizes", [(4, 3), (5, 4, 3)])
def test_explain_steps_through_every_hidden_layer_as_partial_fit_does(sizes, three_classes):
    from sknn_basic.explain import explain_step

    X, y = three_classes
    net = BackpropClassifier(sizes, momentum=0.0, replay_size=0, alpha=1e-3, max_iter=3,
                             random_state=0).fit(X, y)
    step = explain_step(net, X[0], y[0])
    n = len(sizes) + 1
    assert [f"hidden_error_term_{i}" for i in range(len(sizes), 0, -1)] == [
        name for name in step.names() if name.startswith("hidden_error_term")]
    # Without a replay memory, partial_fit trains on the one record alone.
    net.partial_fit(X[:1], y[:1])
    for i in range(n):
        assert_allclose(step[f"new_weights_{i + 1}"], net.coefs_[i], rtol=1e-12, atol=1e-15)
        assert_allclose(step[f"new_bias_{i + 1}"], net.intercepts_[i], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=rf"one array per layer \({n}"):
        explain_step(BackpropClassifier(sizes), X[0], y[0], weights=[np.ones((6, 4))] * 2)


# --------------------------------------------------------------- command line


def _cli(capsys, *argv):
    from sknn_basic.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_hidden_with_several_layers_trains_the_deep_network(capsys):
    status, out, err = _cli(capsys, "train", "backprop", "--hidden", "16,8", "--epochs", "5")
    assert status == 0, err
    model_line = next(line for line in out.splitlines() if line.startswith("Model: "))
    assert model_line.startswith("Model: BackpropClassifier(") and "(16, 8)" in model_line
    assert "n_hidden" not in model_line
    accuracy = [line for line in out.splitlines() if line.startswith("Test accuracy of ")]
    assert accuracy[0].startswith("Test accuracy of BackpropClassifier:")
    assert "hidden_layer_sizes=(16, 8)" in accuracy[-1]
    assert "the same hidden layers of sigmoid units" in out
    # One width is the lessons' network, as before.
    status, out, _ = _cli(capsys, "train", "backprop", "--hidden", "16", "--epochs", "5")
    assert status == 0 and "Model: TwoLayerBackpropClassifier(" in out


def test_cli_explain_steps_through_every_hidden_layer(capsys):
    status, out, err = _cli(capsys, "explain", "backprop", "--hidden", "3,2")
    assert status == 0, err
    for name in ("weights_3", "hidden_output_2", "hidden_error_term_2", "hidden_error_term_1",
                 "delta_weights_1", "new_weights_3"):
        assert f"  {name} " in out, name


@pytest.mark.parametrize("text", ["4,x", "4,,2", "0,3", "3,-1", ","])
def test_cli_hidden_refuses_what_is_not_layer_widths(capsys, text):
    status, out, err = _cli(capsys, "train", "backprop", "--hidden", text)
    assert status == 2 and out == ""
    assert "--hidden: must be a whole number from 1 to" in err
    assert "several separated by commas (one per hidden layer, e.g. 64,32)" in err


def test_cli_memory_check_counts_every_hidden_layer(capsys, monkeypatch):
    from sknn_basic.cli import _memory

    one = _memory.network_bytes(64, 6, 360, 40)
    two = _memory.network_bytes((64, 32), 6, 360, 40)
    # The second layer's weights (65 x 32) and its buffers come on top.
    assert two > one
    monkeypatch.setattr(_memory, "available_bytes", lambda: one)
    status, out, err = _cli(capsys, "train", "backprop", "--hidden", "64,32", "-q")
    assert status == 3
    assert "hidden layers of 64,32 units" in err and "fewer or narrower hidden layers" in err
