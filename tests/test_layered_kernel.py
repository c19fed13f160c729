"""The compiled mini-batch epoch of networks with hidden layers.

``sknn_basic._layered_cy`` runs the mini-batch epochs of the layered model
(any depth, any step rule) without NumPy's per-call cost.  It must give what
the NumPy path gives, to rounding, for every activation, loss, dtype,
weighting, intercept, penalty, step rule and batch layout; its gradient of
one batch must be the NumPy kernels' gradient; it must keep out of the
cases it does not cover; and the NumPy path stays reachable with
``SKNN_BASIC_NUMPY_KERNEL=1``.
"""

import itertools
import multiprocessing
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import sknn_basic._network as network
from _kernel_spy import spy_on
from sknn_basic._optimizers import AdamOptimizer
from sknn_basic import BackpropClassifier, BackpropRegressor, SigmoidGDClassifier

compiled = pytest.importorskip(
    "sknn_basic._layered_cy",
    reason="the compiled layered kernel was not built (no C compiler at install)",
)


@pytest.fixture
def spy(monkeypatch):
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "0")
    return spy_on(monkeypatch, "_layered_cy", compiled, "layered_epoch")


def _classification(n_classes, dtype, n_samples=157):
    X, y = make_classification(n_samples, 7, n_informative=5, n_classes=n_classes,
                               random_state=0)
    return X.astype(dtype), y


def _regression(dtype, n_samples=157):
    X, y = make_regression(n_samples, 7, n_targets=2, noise=1.0, random_state=0)
    return X.astype(dtype), (y / np.abs(y).max()).astype(dtype)


def _fit(monkeypatch, numpy_path, Est, X, y, sample_weight=None, **params):
    monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1" if numpy_path else "0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Est(random_state=0, **params).fit(X, y, sample_weight=sample_weight)


def _parameters(est):
    return est.coefs_ + est.intercepts_ if hasattr(est, "coefs_") else [est.coef_, est.intercept_]


# Learning rates are kept small enough that the runs are not chaotic: two
# runs that differ by rounding then stay within rounding of each other.
CASES = {
    "sigmoid, plain descent": (
        BackpropClassifier, 2, {"hidden_layer_sizes": (9, 5), "momentum": 0.0}),
    "softmax, momentum": (
        BackpropClassifier, 3, {"hidden_layer_sizes": (9, 5), "learning_rate": 0.1}),
    "tanh, nesterov, l2": (
        BackpropClassifier, 3, {"hidden_layer_sizes": (8,), "activation": "tanh",
                                "learning_rate": 0.05, "nesterovs_momentum": True,
                                "alpha": 0.01}),
    "relu, adam, three layers": (
        BackpropClassifier, 3, {"hidden_layer_sizes": (9, 6, 4), "activation": "relu",
                                "solver": "adam", "learning_rate": 0.01}),
    "squared error, unshuffled": (
        BackpropClassifier, 2, {"hidden_layer_sizes": (6,), "loss": "squared_error",
                                "momentum": 0.0, "shuffle": False}),
    "balanced classes, no intercept": (
        BackpropClassifier, 3, {"hidden_layer_sizes": (6, 4), "class_weight": "balanced",
                                "fit_intercept": False, "learning_rate": 0.1}),
    "regressor, relu, adam": (
        BackpropRegressor, None, {"hidden_layer_sizes": (9, 5)}),
    "regressor, sigmoid, plain descent": (
        BackpropRegressor, None, {"hidden_layer_sizes": (5,), "activation": "sigmoid",
                                  "solver": "sgd", "momentum": 0.0, "learning_rate": 0.1}),
    "no hidden layer, squared error": (
        SigmoidGDClassifier, 2, {"loss": "squared_error"}),
    "no hidden layer, adam": (
        SigmoidGDClassifier, 2, {"solver": "adam", "learning_rate": 0.01}),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_compiled_epoch_gives_the_numpy_paths_fit(monkeypatch, dtype, case):
    Est, n_classes, params = CASES[case]
    X, y = _regression(dtype) if n_classes is None else _classification(n_classes, dtype)
    # 157 rows in batches of 20: the last batch is a remainder of 17.
    params = {"batch_size": 20, "max_iter": 8, "tol": None, **params}
    numpy_fit = _fit(monkeypatch, True, Est, X, y, **params)
    spy = spy_on(monkeypatch, "_layered_cy", compiled, "layered_epoch")
    compiled_fit = _fit(monkeypatch, False, Est, X, y, **params)
    assert spy.calls == compiled_fit.n_iter_ == numpy_fit.n_iter_ == 8
    rtol = 1e-9 if dtype == np.float64 else 5e-4
    for ours, theirs in zip(_parameters(compiled_fit), _parameters(numpy_fit)):
        assert ours.dtype == dtype
        assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    assert_allclose(compiled_fit.loss_curve_, numpy_fit.loss_curve_, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ["softmax, momentum", "regressor, relu, adam",
                                  "balanced classes, no intercept"])
def test_batches_computed_in_two_halves_give_the_numpy_paths_fit(monkeypatch, dtype, case):
    # From SPLIT_ROWS rows on, a batch's two halves are computed apart (on
    # two threads where there are two) and their gradient sums added.
    Est, n_classes, params = CASES[case]
    X, y = (_regression(dtype, 400) if n_classes is None
            else _classification(n_classes, dtype, 400))
    # 400 rows in batches of 150: halves of 75 and 75, the last batch's of 50.
    params = {**params, "batch_size": 150, "max_iter": 6, "tol": None}
    assert 2 * 50 >= compiled.SPLIT_ROWS > 1
    numpy_fit = _fit(monkeypatch, True, Est, X, y, **params)
    compiled_fit = _fit(monkeypatch, False, Est, X, y, **params)
    rtol = 1e-9 if dtype == np.float64 else 5e-4
    for ours, theirs in zip(_parameters(compiled_fit), _parameters(numpy_fit)):
        assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    assert_allclose(compiled_fit.loss_curve_, numpy_fit.loss_curve_, rtol=rtol)


@pytest.mark.parametrize("batch_size", [20, 150])
def test_the_numbers_do_not_depend_on_the_threads(batch_size):
    # The halves are a property of the batch, not of the machine: one
    # thread computes them one after the other and adds them in the same
    # order, so one and two threads give the same bits.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 9))
    Y = np.zeros((400, 3), dtype=np.int8)
    Y[np.arange(400), rng.integers(0, 3, 400)] = 1
    weights = rng.uniform(0.5, 2.0, 400)
    order = rng.permutation(400)
    results = []
    for threads in (1, 2):
        model = _model(X, Y, (8, 5), "tanh", "softmax", "log_loss", batch_size=batch_size,
                       alpha=0.01)
        velocities = [np.zeros_like(p) for p in model.parameters]
        loss_sums = [compiled.layered_epoch(
            X, Y, weights, order, model.coefs, model.intercepts, model._coef_grads,
            model._intercept_grads, model._hidden, model._deltas,
            np.empty((batch_size, 9)), "tanh", "softmax", True, 0.01, batch_size,
            "momentum", velocities, (0.1, 0.9), None, threads) for _ in range(3)]
        results.append((loss_sums, [p.copy() for p in model.parameters]))
    assert results[0][0] == results[1][0]
    for ours, theirs in zip(results[0][1], results[1][1]):
        assert_array_equal(ours, theirs)


_FORKED_FITS = """
import multiprocessing, warnings
import numpy as np
from sknn_basic import BackpropClassifier, _compiled

warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 10))
y = (X[:, 0] > 0).astype(int)

def fit(_):
    BackpropClassifier((16, 8), max_iter=3, tol=None, batch_size=200, random_state=0).fit(X, y)
    return _compiled.batch_threads()[0]

if __name__ == "__main__":
    fit(0)  # the parent's threads start here
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(pool.map(fit, range(2)))
"""


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="this platform cannot fork")
def test_a_process_forked_after_the_threads_started_still_fits():
    # GNU OpenMP's threads do not survive a fork; a child that entered a
    # parallel region would wait for them for ever.  Children run their
    # halves on one thread instead.
    done = subprocess.run([sys.executable, "-c", _FORKED_FITS], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1, 1]"


def test_the_halves_run_on_one_thread_under_a_limit_of_one_blas_thread():
    from threadpoolctl import threadpool_limits

    from sknn_basic import _compiled

    if _compiled.scipy_blas() is None:
        pytest.skip("scipy shares NumPy's BLAS here (a conda or system build): no limit to read")
    with threadpool_limits(limits=1, user_api="blas"):
        threads, _ = _compiled.batch_threads()
    assert threads == 1
    with threadpool_limits(limits=2, user_api="blas"):
        threads, context = _compiled.batch_threads()
        assert threads == 2
        with context:
            # The halves' products run on one BLAS thread each meanwhile.
            assert {lib["num_threads"] for lib in _compiled.scipy_blas().info()} == {1}
        assert {lib["num_threads"] for lib in _compiled.scipy_blas().info()} == {2}


def test_sample_weights_with_zeros_and_a_weightless_batch(monkeypatch):
    # A batch whose weights are all zero takes no step in either path.
    X, y = _classification(2, np.float64, n_samples=60)
    weights = np.linspace(0.5, 2.0, 60)
    weights[:20] = 0.0
    params = {"hidden_layer_sizes": (5, 3), "batch_size": 20, "shuffle": False, "max_iter": 5,
              "tol": None}
    fits = [_fit(monkeypatch, numpy_path, BackpropClassifier, X, y, sample_weight=weights,
                 **params) for numpy_path in (True, False)]
    for ours, theirs in zip(_parameters(fits[1]), _parameters(fits[0])):
        assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert_allclose(fits[1].loss_curve_, fits[0].loss_curve_, rtol=1e-10)


def _model(X, Y, layers, hidden, output, loss, batch_size, intercepts=True, alpha=0.0):
    rng = np.random.default_rng(0)
    sizes = [X.shape[1], *layers, Y.shape[1]]
    coefs = [rng.normal(scale=0.5, size=(a, b)).astype(X.dtype)
             for a, b in itertools.pairwise(sizes)]
    biases = [rng.normal(scale=0.1, size=b).astype(X.dtype) for b in sizes[1:]]
    return network.LayeredModel(
        coefs, biases if intercepts else None, network.SGDOptimizer(coefs, 0.0),
        loss=loss, hidden_activation=hidden, output_activation=output, alpha=alpha,
        batch_size=batch_size, n_samples=X.shape[0], dtype=X.dtype)


@pytest.mark.parametrize(
    "hidden, output, loss",
    [("sigmoid", "sigmoid", "log_loss"), ("tanh", "softmax", "log_loss"),
     ("relu", "identity", "squared_error"), ("identity", "sigmoid", "squared_error")],
)
def test_one_batchs_gradient_and_the_loss_sum_are_the_numpy_kernels(hidden, output, loss):
    # With a step of zero the weights stay, the loss sum is that of every
    # batch at those weights and the buffers hold the last batch's gradient.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6))
    n_outputs = 3 if output == "softmax" else 2
    if loss == "log_loss":
        Y = np.zeros((50, n_outputs), dtype=np.int8)
        Y[np.arange(50), rng.integers(0, n_outputs, 50)] = 1
    else:
        Y = rng.normal(size=(50, n_outputs))
    weights = rng.uniform(0.5, 2.0, 50)
    order = rng.permutation(50)
    model = _model(X, Y, (7, 4), hidden, output, loss, batch_size=16, alpha=0.03)
    before = [p.copy() for p in model.parameters]
    loss_sum = model._layered_epoch(X, Y, weights, order)
    for p, q in zip(model.parameters, before):
        assert_allclose(p, q, rtol=0, atol=0)

    reference = _model(X, Y, (7, 4), hidden, output, loss, batch_size=16, alpha=0.03)
    expected = 0.0
    for start in range(0, 50, 16):
        rows = order[start:start + 16]
        total = weights[rows].sum()
        expected += reference._gradient(X[rows], Y[rows].astype(float), weights[rows], total,
                                        0.03, reference._coef_grads, reference._intercept_grads)
    assert loss_sum == pytest.approx(expected, rel=1e-12)
    for ours, theirs in zip(model._grads, reference._grads):
        assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)


def test_the_step_rule_is_called_once_per_weighted_batch_and_its_errors_propagate():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(45, 4))
    Y = (rng.random((45, 1)) < 0.5).astype(np.int8)
    weights = np.ones(45)
    weights[10:20] = 0.0  # the second batch of ten weighs nothing
    model = _model(X, Y, (3,), "sigmoid", "sigmoid", "log_loss", batch_size=10)
    seen = []

    def step():
        seen.append([g.copy() for g in model._grads])

    loss_sum, steps = compiled.layered_epoch(
        X, Y, weights, None, model.coefs, model.intercepts, model._coef_grads,
        model._intercept_grads, model._hidden, model._deltas, None, "sigmoid", "sigmoid",
        True, 0.0, 10, "callback", [], (), step)
    assert len(seen) == steps == 4  # five batches, one of them weightless
    assert loss_sum > 0
    assert not np.array_equal(seen[0][0], seen[1][0])

    def failing():
        raise RuntimeError("the rule failed")

    with pytest.raises(RuntimeError, match="the rule failed"):
        compiled.layered_epoch(
            X, Y, None, None, model.coefs, model.intercepts, model._coef_grads,
            model._intercept_grads, model._hidden, model._deltas, None, "sigmoid", "sigmoid",
            True, 0.0, 10, "callback", [], (), failing)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rule", ["momentum", "nesterov", "adam"])
def test_the_rules_taken_in_the_loop_step_as_the_optimizers_own(monkeypatch, rule, dtype):
    # Momentum and Adam run inside the loop with the optimizer's operations
    # in its order: the same fit as calling optimizer.step per batch.
    X, y = _classification(3, dtype)
    params = {"hidden_layer_sizes": (6, 4), "batch_size": 20, "max_iter": 6, "tol": None,
              "nesterovs_momentum": rule == "nesterov", "learning_rate": 0.05}
    if rule == "adam":
        params.update(solver="adam", learning_rate=0.01)
    inline = _fit(monkeypatch, False, BackpropClassifier, X, y, **params)
    called = []

    def by_callback(optimizer, parameters):
        called.append(type(optimizer).__name__)

    monkeypatch.setattr(type(inline._optimizer), "inline_rule", by_callback)
    stepped = _fit(monkeypatch, False, BackpropClassifier, X, y, **params)
    assert len(called) == 6
    if rule == "adam":
        assert inline._optimizer.t == stepped._optimizer.t == 6 * 8
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for ours, theirs in zip(_parameters(inline), _parameters(stepped)):
        assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    assert_allclose(inline.loss_curve_, stepped.loss_curve_, rtol=rtol)


def test_a_ctrl_c_reaches_the_compiled_loop_between_batches():
    # The loop checks for signals after every batch, as the NumPy path's
    # Python loop does: a Ctrl-C stops an epoch where it is, from inside the
    # compiled loop, not after it.
    import _thread
    import threading

    rng = np.random.default_rng(4)
    X = rng.normal(size=(10_000, 20))
    Y = (rng.random((10_000, 1)) < 0.5).astype(np.int8)
    model = _model(X, Y, (16,), "sigmoid", "sigmoid", "log_loss", batch_size=2)
    # Python's own Ctrl-C handler, whatever an earlier test or library left
    # (interrupt_main does nothing where SIGINT is ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.02, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            # Epochs of 5,000 batches: the signal arrives inside one.
            for _ in range(20):
                model._layered_epoch(X, Y, None, None)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert caught.traceback[-1].path.name == "_layered_cy.pyx"


def test_adam_with_an_epsilon_that_needs_the_underflow_floor_is_called_per_batch():
    model = _model(np.zeros((30, 3)), np.zeros((30, 1)), (4,), "relu", "identity",
                   "squared_error", batch_size=10)
    optimizer = AdamOptimizer(model.parameters, 0.01, epsilon=1e-300)
    assert optimizer.inline_rule(model.parameters) is None
    optimizer = AdamOptimizer(model.parameters, 0.01, epsilon=1e-8)
    assert optimizer.inline_rule(model.parameters)[0] == "adam"


@pytest.mark.parametrize(
    "case",
    ["full batch", "batch beyond a chunk", "sparse", "numpy kernel forced",
     "single layer under the log loss", "transposed weights"],
)
def test_the_kernel_keeps_out_of_the_cases_it_does_not_cover(spy, monkeypatch, case):
    X, y = _classification(3, np.float64)
    params = {"hidden_layer_sizes": (5,), "batch_size": 20, "max_iter": 3, "tol": None,
              "random_state": 0}
    Est = BackpropClassifier
    if case == "full batch":
        params["batch_size"] = X.shape[0]
    elif case == "batch beyond a chunk":
        monkeypatch.setattr(network, "CHUNK_ROWS_MIN", 10)
        monkeypatch.setattr(network, "CHUNK_ELEMENTS", 10)
    elif case == "sparse":
        X = sp.csr_matrix(X)
    elif case == "numpy kernel forced":
        monkeypatch.setenv("SKNN_BASIC_NUMPY_KERNEL", "1")
    elif case == "single layer under the log loss":
        # SigmoidGDClassifier's own compiled epoch serves it.
        Est = SigmoidGDClassifier
        del params["hidden_layer_sizes"]
    else:
        # Three classes and no hidden layer: the network's weights are the
        # transpose of coef_, which the kernel does not read.
        Est = SigmoidGDClassifier
        del params["hidden_layer_sizes"]
        params.update(solver="adam", learning_rate=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(**params).fit(X, y)
    assert spy.calls == 0
    assert np.isfinite(est.predict_proba(X)).all()


def test_a_diverging_compiled_fit_is_caught_by_the_guard(spy):
    # The kernel lets inf and NaN through, as NumPy does; the training loop's
    # guard then restores the last finite weights and says so.
    X, y = _classification(3, np.float64)
    X = X * 1e150
    with pytest.warns(ConvergenceWarning, match="diverged|infinite|NaN|grew"):
        est = BackpropRegressor(hidden_layer_sizes=(4,), activation="relu", solver="sgd",
                                momentum=0.0, batch_size=20, learning_rate=1e10,
                                random_state=0).fit(X, y.astype(float))
    assert spy.calls >= 1
    assert all(np.isfinite(c).all() for c in est.coefs_)


def test_mismatched_arrays_raise_instead_of_writing_out_of_bounds():
    X = np.zeros((10, 3))
    Y = np.zeros((10, 2), dtype=np.int8)
    Y[:, 0] = 1
    model = _model(X, Y, (4,), "sigmoid", "softmax", "log_loss", batch_size=4)
    for coef in model.coefs:
        coef[...] = 0
    good = {"coefs": model.coefs, "intercepts": [np.zeros_like(b) for b in model.intercepts],
            "coef_grads": model._coef_grads, "intercept_grads": model._intercept_grads,
            "hidden": model._hidden, "deltas": model._deltas, "x_buffer": np.empty((4, 3))}
    order = np.arange(10)

    def run(arrays, order=order, hidden="sigmoid", output="softmax", log_loss=True,
            rule=("descent", [], (0.0,)), step=None):
        return compiled.layered_epoch(X, Y, None, order, *arrays.values(), hidden, output,
                                      log_loss, 0.0, 4, *rule, step)

    # Zero weights give each of the two classes 1/2: the loss sum is 10 log 2.
    assert run(good) == (pytest.approx(10 * np.log(2)), 3)
    bad_arrays = {
        "coefs": [np.zeros((3, 4)), np.zeros((5, 2))],
        "intercepts": [np.zeros(4), np.zeros(3)],
        "coef_grads": [np.zeros((3, 4)), np.zeros((4, 2), dtype=np.float32)],
        "intercept_grads": [np.zeros(4)],
        "hidden": [np.zeros((3, 4))],
        "deltas": [np.zeros((4, 4)), np.zeros((4, 3))],
        "x_buffer": np.empty((3, 3)),
    }
    for name, bad in bad_arrays.items():
        with pytest.raises(ValueError, match="layered_epoch"):
            run({**good, name: bad})
    with pytest.raises(ValueError, match="shapes do not match"):
        run(good, order=order[:5])
    with pytest.raises(ValueError, match="hidden activation"):
        run(good, hidden="softmax")
    with pytest.raises(ValueError, match="squared error"):
        run(good, log_loss=False)
    velocities = [np.zeros_like(p) for p in model.parameters]
    for rule, step in [(("momentum", velocities, (0.1,)), None),
                       (("momentum", velocities[:3], (0.1, 0.9)), None),
                       (("adam", velocities, (0.1, 0.9, 0.999, 1e-8, 0)), None),
                       (("descent", [], (0.1,)), print),
                       (("callback", [], ()), None),
                       (("rmsprop", [], (0.1,)), None)]:
        with pytest.raises(ValueError, match="rule"):
            run(good, rule=rule, step=step)
    with pytest.raises(ValueError, match=r"rule_arrays\[1\]"):
        run(good, rule=("momentum", [velocities[0], np.zeros((4, 3))] + velocities[2:],
                        (0.1, 0.9)))
    read_only = [c.copy() for c in model.coefs]
    read_only[0].flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        run({**good, "coefs": read_only})
