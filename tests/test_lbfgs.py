"""``solver="lbfgs"``: full-batch fits by L-BFGS of the network estimators.

The objective is checked against scikit-learn's MLP objective where the two
are the same function, and against finite differences; the fits against
their optimum (LogisticRegression's, on the same penalty) and against the
rules every fit obeys (weights as repeated rows, float32, the transaction
rule, Ctrl-C, the estimator protocol).

Where our objective and scikit-learn's MLP objective differ:

* the L2 term: ours is ``alpha / 2 * ||W||^2`` added to the weighted *mean*
  loss; the MLP's is ``alpha / (2 * sum(sample_weight)) * ||W||^2``.  They
  coincide for ``alpha_ours = alpha_mlp / n_samples`` (unweighted rows);
* the squared error of several targets: ours sums ``(y - o)^2 / 2`` over the
  targets, the MLP's value averages it over them (the same for one target,
  and ``n_targets`` times the MLP's value otherwise), while its gradient is
  that of the sum, ours;
* the squared error of sigmoid outputs (the lessons' loss) has no MLP
  counterpart; it is checked by finite differences.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from sknn_basic import SigmoidGDClassifier, TwoLayerBackpropClassifier, TwoLayerBackpropRegressor
from sknn_basic import _compiled, _lbfgs
from sknn_basic._engines.memory import MemoryRows
from sknn_basic._network import LayeredModel

pytestmark = pytest.mark.numbers


def _objective_of(est, X, y, sample_weight=None):
    """Our objective at ``est``'s current weights: a function of the packed parameters.

    Built from the fitted estimator as its own fit builds it: the encoded
    targets, the combined weights and the model.
    """
    rows = MemoryRows(est, X, y, sample_weight, first_call=False)
    rows.targets(None, False, False)
    rows.weigh(False, at_least=0.0)
    X, Y, weights, _, total = rows.training()
    model = est._make_model(X.shape[0], X.dtype, restart=True)
    objective = _lbfgs._Objective(model, _lbfgs.model_sums(model, X, Y, weights), total)
    return objective, _lbfgs.pack(model.parameters)


def _fitted(est, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **fit_params)


def _mlp_objective(mlp, X, y, theta):
    """scikit-learn's MLP objective and gradient at the packed parameters ``theta``."""
    layer_units = [X.shape[1]] + [c.shape[1] for c in mlp.coefs_]
    activations = [X] + [None] * (len(layer_units) - 1)
    deltas = [None] * (len(activations) - 1)
    coef_grads = [np.empty((a, b)) for a, b in zip(layer_units[:-1], layer_units[1:])]
    intercept_grads = [np.empty(b) for b in layer_units[1:]]
    y_encoded = mlp._validate_input(X, y, False, reset=False)[1]
    if y_encoded.ndim == 1:
        y_encoded = y_encoded.reshape(-1, 1)
    return mlp._loss_grad_lbfgs(theta, X, y_encoded, None, activations, deltas, coef_grads,
                                intercept_grads)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


CASES = {
    "logistic unit": (lambda a: SigmoidGDClassifier(alpha=a, random_state=0),
                      lambda a: MLPClassifier(hidden_layer_sizes=(), alpha=a), 2),
    "softmax units": (lambda a: SigmoidGDClassifier(alpha=a, random_state=0),
                      lambda a: MLPClassifier(hidden_layer_sizes=(), alpha=a), 3),
    "sigmoid network": (lambda a: TwoLayerBackpropClassifier(5, alpha=a, random_state=0),
                        lambda a: MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", alpha=a), 2),
    "tanh network, softmax": (
        lambda a: TwoLayerBackpropClassifier(5, activation="tanh", alpha=a, random_state=0),
        lambda a: MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", alpha=a), 3),
    "relu regressor": (
        lambda a: TwoLayerBackpropRegressor(5, activation="relu", alpha=a, random_state=0),
        lambda a: MLPRegressor(hidden_layer_sizes=(5,), activation="relu", alpha=a), 1),
    "regressor, 2 targets": (
        lambda a: TwoLayerBackpropRegressor(5, activation="tanh", alpha=a, random_state=0),
        lambda a: MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", alpha=a), 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_objective_is_mlps_where_they_are_the_same_function(case, blobs):
    ours, theirs, n_outputs = CASES[case]
    X, labels = blobs
    n = X.shape[0]
    if ours(0).__class__ is TwoLayerBackpropRegressor:
        y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]])[:, :n_outputs]
        y = y.ravel() if n_outputs == 1 else y
    else:
        y = labels if n_outputs == 3 else (labels > 0).astype(int)
    alpha_mlp = 0.3
    est = _fitted(ours(alpha_mlp / n).set_params(solver="lbfgs", max_iter=3), X, y)
    objective, theta = _objective_of(est, X, y)
    # Away from the fitted point, with biases that are not zero.
    theta = theta + np.random.RandomState(1).normal(0, 0.3, theta.size)
    mlp = _fitted(theirs(alpha_mlp).set_params(solver="lbfgs", max_iter=1), X, y)
    value, gradient = objective(theta)
    their_value, their_gradient = _mlp_objective(mlp, X, y, theta)
    # The MLP's value averages the squared error over the targets where we
    # sum it: its loss term (not its L2 term) is ours divided by their
    # number.  Its gradient is that of the sum, as ours.
    if n_outputs > 1 and isinstance(est, TwoLayerBackpropRegressor):
        penalty = objective.model.penalty()
        value = (value - penalty) / n_outputs + penalty
    assert_allclose(value, their_value, rtol=1e-12)
    assert np.linalg.norm(gradient - their_gradient) <= 1e-12 * np.linalg.norm(their_gradient)


@pytest.mark.parametrize("make", [
    lambda: SigmoidGDClassifier(loss="squared_error", alpha=0.05),
    lambda: SigmoidGDClassifier(alpha=0.05, fit_intercept=False),
    lambda: TwoLayerBackpropClassifier(3, loss="squared_error", alpha=0.05),
    lambda: TwoLayerBackpropClassifier(3, activation="tanh", alpha=0.05),
    lambda: TwoLayerBackpropRegressor(3, alpha=0.05),
], ids=["sigmoid squared", "softmax no bias", "network squared", "tanh network",
        "regressor"])
def test_the_gradient_matches_finite_differences(make, blobs):
    X, labels = blobs
    X, labels = X[:40], labels[:40]
    est = make().set_params(solver="lbfgs", max_iter=2, random_state=0)
    y = X[:, 0] + X[:, 1] ** 2 if isinstance(est, TwoLayerBackpropRegressor) else labels
    weights = np.random.RandomState(0).uniform(0, 3, len(y))
    _fitted(est, X, y, sample_weight=weights)
    objective, theta = _objective_of(est, X, y, weights)
    theta = theta + np.random.RandomState(2).normal(0, 0.2, theta.size)
    _, gradient = objective(theta)
    step = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = step
        numeric[i] = (objective(theta + e)[0] - objective(theta - e)[0]) / (2 * step)
    # Central differences are exact to O(step^2) plus rounding of O(eps / step).
    assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)


@pytest.fixture(scope="module")
def rule():
    """The issue's separable rule: y = x0 + x1 > 1 on uniform X, 20 columns."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(5000, 20))
    return X, (X[:, 0] + X[:, 1] > 1).astype(int)


def test_lbfgs_fits_the_separable_rule_where_gradient_descent_stalls(rule):
    X, y = rule
    est = SigmoidGDClassifier(solver="lbfgs", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.score(X, y) >= 0.99
    assert est._training.stop_reason == "converged"
    assert est.n_iter_ == len(est.loss_curve_) <= 50
    assert est.best_loss_ == min(est.loss_curve_)
    # Each iteration's entry is the objective at its iterate: the last is
    # the objective at the fitted weights.
    objective, theta = _objective_of(est, X, y)
    assert_allclose(objective(theta)[0], est.loss_curve_[-1], rtol=1e-12)
    assert np.all(np.diff(est.loss_curve_) < 0)
    # Rows read: every evaluation of the objective is a pass over them.
    assert est.t_ % len(y) == 0 and est.t_ >= est.n_iter_ * len(y)
    assert not hasattr(est, "learning_rate_") and est._optimizer is None


@pytest.mark.parametrize("n_classes, tol", [(2, 1e-3), (3, 1e-4)])
def test_lbfgs_reaches_logistic_regressions_optimum(n_classes, tol):
    # LogisticRegression minimises mean log loss + ||w||^2 / (2 C n): the
    # same objective as ours with alpha = 1 / (C n).  At the default tol
    # (1e-3) three classes stop 3.4e-4 above the optimum; tol=1e-4 (the
    # MLP's and LogisticRegression's default) ends 2e-7 above it.
    X, y = make_classification(n_samples=2000, n_features=20, n_informative=10,
                               n_classes=n_classes, random_state=0)
    X = StandardScaler().fit_transform(X)
    C = 1.0
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    est = _fitted(SigmoidGDClassifier(solver="lbfgs", alpha=1 / (C * len(y)), tol=tol,
                                      random_state=0), X, y)
    objective, theta = _objective_of(est, X, y)
    if n_classes == 2:
        optimum_theta = np.concatenate([reference.coef_.ravel(), reference.intercept_])
    else:
        optimum_theta = np.concatenate([reference.coef_.T.ravel(), reference.intercept_])
    optimum = objective(optimum_theta)[0]
    ours = est.loss_curve_[-1]
    assert optimum - 1e-10 <= ours <= optimum + 1e-4


def test_weighted_rows_are_repeated_rows(blobs):
    X, y = blobs
    counts = np.random.RandomState(0).randint(0, 4, len(y))
    repeated = np.repeat(np.arange(len(y)), counts)
    make = lambda: TwoLayerBackpropClassifier(4, solver="lbfgs", class_weight={0: 2.0},
                                              alpha=1e-3, random_state=0, tol=1e-6)
    weighted = _fitted(make(), X, y, sample_weight=counts)
    duplicated = _fitted(make(), X[repeated], y[repeated])
    # The same objective at the same weights...
    objective_w, theta = _objective_of(weighted, X, y, counts)
    objective_d, _ = _objective_of(duplicated, X[repeated], y[repeated])
    assert_allclose(objective_w(theta)[0], objective_d(theta)[0], rtol=1e-12)
    assert_allclose(objective_w(theta)[1], objective_d(theta)[1], rtol=1e-9, atol=1e-13)
    # ... so the same fit, but for rounding along the way.
    assert_allclose(weighted.loss_curve_[-1], duplicated.loss_curve_[-1], rtol=1e-6)
    assert_array_equal(weighted.predict(X), duplicated.predict(X))


def test_float32_data_keep_a_float32_model_at_float64s_optimum(rule):
    X, y = rule
    X, y = X[:2000], y[:2000]
    make = lambda: SigmoidGDClassifier(solver="lbfgs", alpha=1e-3, random_state=0)
    single = _fitted(make(), X.astype(np.float32), y)
    double = _fitted(make(), X, y)
    assert single.coef_.dtype == single.intercept_.dtype == np.float32
    assert single.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert abs(single.loss_curve_[-1] - double.loss_curve_[-1]) <= 1e-4
    assert np.mean(single.predict(X) == double.predict(X)) >= 0.995


def test_limits_warn_and_name_what_to_raise(rule):
    X, y = rule
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 iterations.*Increase max_iter"):
        est = SigmoidGDClassifier(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert est.n_iter_ == 3 == len(est.loss_curve_)
    assert est._training.stop_reason == "max_iter"
    with pytest.warns(ConvergenceWarning, match=r"max_fun=4 evaluations.*Increase max_fun"):
        est = SigmoidGDClassifier(solver="lbfgs", max_fun=4, random_state=0).fit(X, y)
    assert est._training.stop_reason == "max_fun"
    assert est.n_iter_ == len(est.loss_curve_) < 200
    # tol=None: no gradient test, so only a limit (or the precision) stops
    # it, and reaching the limit asked for is no cause for a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SigmoidGDClassifier(solver="lbfgs", tol=None, max_iter=20,
                                  random_state=0).fit(X, y)
    assert est.n_iter_ == 20 and est._training.stop_reason == "max_iter"


def test_warm_start_continues_from_the_weights(rule):
    X, y = rule
    est = _fitted(SigmoidGDClassifier(solver="lbfgs", max_iter=4, warm_start=True,
                                      random_state=0), X, y)
    first = est.loss_curve_[-1]
    _fitted(est, X, y)
    # The second fit starts where the first stopped: its first iterate is
    # lower than the first fit's last.
    assert est.loss_curve_[0] < first
    cold = _fitted(SigmoidGDClassifier(solver="lbfgs", max_iter=4, random_state=0), X, y)
    assert cold.loss_curve_[-1] == first
    # A warm start may switch solvers; the stochastic one starts a fresh optimizer.
    est.set_params(solver="sgd", batch_size=None, max_iter=2, tol=None)
    _fitted(est, X, y)
    assert est.learning_rate_ == 2.0 and est._optimizer.learning_rate == 2.0


def test_stochastic_only_parameters_are_ignored_as_by_mlp(blobs):
    X, y = blobs
    base = TwoLayerBackpropClassifier(4, solver="lbfgs", random_state=0, max_iter=30)
    reference = _fitted(clone(base), X, y)
    other = _fitted(clone(base).set_params(
        learning_rate=3.0, batch_size=7, momentum=0.5, shuffle=False, early_stopping=True,
        validation_fraction=0.5, n_iter_no_change=1, learning_rate_schedule="constant"), X, y)
    for a, b in zip(reference.coefs_, other.coefs_):
        assert_array_equal(a, b)
    assert other.loss_curve_ == reference.loss_curve_
    assert other.validation_scores_ is None and other.best_validation_score_ is None


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier,
                                 TwoLayerBackpropRegressor])
def test_partial_fit_is_refused_as_by_mlp(Est, blobs):
    X, y = blobs
    est = Est(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    # As MLPClassifier's: the generic AttributeError, caused by the reason.
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as error:
        est.partial_fit(X, y)
    assert "only available for the stochastic solvers" in str(error.value.__cause__)
    assert "Call fit" in str(error.value.__cause__)
    assert hasattr(Est(solver="adam"), "partial_fit")


def test_the_regressor_fits(blobs):
    X, _ = blobs
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    est = _fitted(TwoLayerBackpropRegressor(16, activation="tanh", solver="lbfgs",
                                            random_state=0), X, y)
    assert est.score(X, y) > 0.95
    assert est.n_iter_ == len(est.loss_curve_) <= 200


def test_callback_sees_each_iterate_and_can_stop(rule):
    X, y = rule
    seen = []

    def callback(estimator, info):
        seen.append((info["epoch"], info["loss"], estimator.coef_.copy(), estimator.n_iter_))
        return info["epoch"] == 4

    est = SigmoidGDClassifier(solver="lbfgs", random_state=0, callback=callback).fit(X, y)
    assert est._training.stop_reason == "callback"
    assert [s[0] for s in seen] == [0, 1, 2, 3, 4] and est.n_iter_ == 5
    assert [s[3] for s in seen] == [1, 2, 3, 4, 5]
    assert [s[1] for s in seen] == est.loss_curve_
    assert_array_equal(seen[-1][2], est.coef_)
    reference = _fitted(SigmoidGDClassifier(solver="lbfgs", random_state=0, max_iter=5), X, y)
    assert_array_equal(reference.coef_, est.coef_)


def test_scipys_own_blas_runs_on_one_thread_during_the_fit_and_is_restored(rule):
    # Its idle threads would spin against the objective's products in NumPy's
    # BLAS; L-BFGS-B's vectors are too short for threads to pay.
    libraries = _compiled.scipy_blas()
    if libraries is None:
        pytest.skip("scipy shares NumPy's BLAS here (a conda or system build): nothing to limit")
    X, y = rule
    seen = []

    def callback(estimator, info):
        seen.append([lib["num_threads"] for lib in libraries.info()])

    with libraries.limit(limits=2):
        before = [lib["num_threads"] for lib in libraries.info()]
        _fitted(SigmoidGDClassifier(solver="lbfgs", max_iter=3, random_state=0,
                                    callback=callback), X, y)
        after = [lib["num_threads"] for lib in libraries.info()]
    assert len(seen) == 3 and all(set(threads) == {1} for threads in seen)
    assert after == before


def _interrupt_on_evaluation(monkeypatch, n):
    original = LayeredModel.gradient_sums
    calls = []

    def gradient_sums(self, *args):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(LayeredModel, "gradient_sums", gradient_sums)


@pytest.mark.parametrize("how", ["evaluation", "callback"])
def test_ctrl_c_keeps_the_last_completed_iteration(how, blobs, monkeypatch):
    X, y = blobs
    make = lambda: TwoLayerBackpropClassifier(4, solver="lbfgs", random_state=0, max_iter=50)
    if how == "evaluation":
        _interrupt_on_evaluation(monkeypatch, 9)
        est = make()
    else:
        def callback(estimator, info):
            if info["epoch"] == 5:
                raise KeyboardInterrupt

        est = make().set_params(callback=callback)
    with pytest.warns(ConvergenceWarning, match="interrupted by user after .* iteration") as w:
        est.fit(X, y)
    assert w[0].filename == __file__
    monkeypatch.undo()
    completed = est.n_iter_
    assert completed >= 1 and (how == "evaluation" or completed == 6)
    assert est._training.stop_reason == "interrupted"
    reference = _fitted(make().set_params(max_iter=completed), X, y)
    assert est.loss_curve_ == reference.loss_curve_
    assert est.t_ == reference.t_
    for a, b in zip(est.coefs_ + est.intercepts_, reference.coefs_ + reference.intercepts_):
        assert_array_equal(a, b)


def test_ctrl_c_before_the_first_iteration_changes_nothing(blobs, monkeypatch):
    X, y = blobs
    est = _fitted(TwoLayerBackpropClassifier(4, solver="lbfgs", random_state=0, max_iter=3),
                  X, y)
    before = pickle.dumps(est)
    _interrupt_on_evaluation(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        est.set_params(warm_start=True).fit(X, y)
    est.set_params(warm_start=False)
    assert pickle.dumps(est) == before


def test_a_call_that_raises_leaves_the_estimator_as_before(blobs):
    X, y = blobs
    est = _fitted(SigmoidGDClassifier(solver="lbfgs", random_state=0, max_iter=3), X, y)
    coef, curve = est.coef_.copy(), list(est.loss_curve_)

    def callback(estimator, info):
        if info["epoch"] == 2:
            raise RuntimeError("from the callback")

    est.set_params(callback=callback, warm_start=True)
    with pytest.raises(RuntimeError, match="from the callback"):
        est.fit(X, y)
    assert_array_equal(est.coef_, coef)
    assert est.loss_curve_ == curve and est.n_iter_ == 3


def test_protocol_clone_pickle_and_the_new_parameter(blobs):
    X, y = blobs
    est = TwoLayerBackpropClassifier(4, solver="lbfgs", max_fun=500, max_iter=20, random_state=0)
    assert est.get_params()["max_fun"] == 500
    assert clone(est).get_params() == est.get_params()
    _fitted(est, X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert_array_equal(copy.predict_proba(X), est.predict_proba(X))
    for Est in (SigmoidGDClassifier, TwoLayerBackpropClassifier, TwoLayerBackpropRegressor):
        assert Est().max_fun == 15000
        assert "max_fun" in Est._parameter_constraints
        assert "max_fun : int, default=15000" in Est.__doc__
        for bad in (0, 1.5, True, "100"):
            with pytest.raises(ValueError, match="max_fun"):
                Est(solver="lbfgs", max_fun=bad).fit(X, (y > 0).astype(int))


def test_verbose_prints_iterations(blobs, capsys):
    X, y = blobs
    _fitted(SigmoidGDClassifier(solver="lbfgs", verbose=2, max_iter=3), X, y)
    out = capsys.readouterr().out
    assert out.count("Iteration") == 3 and "Iteration     2: train loss" in out


def test_an_objective_infinite_at_the_start_keeps_the_weights_and_names_the_cause():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    with pytest.warns(ConvergenceWarning, match=r"could not start.*targets are on a large "
                      r"scale"):
        est = TwoLayerBackpropRegressor(4, solver="lbfgs", random_state=0).fit(
            X, X @ [1.0, 2.0, 3.0] * 1e160)
    assert est._training.stop_reason == "diverged" and est.n_iter_ == 0
    initial = TwoLayerBackpropRegressor(4, solver="lbfgs", max_iter=1, random_state=0)
    initial._initialize(3, 1, np.random.RandomState(0), np.float64)
    for a, b in zip(est.coefs_, initial.coefs_):
        assert_array_equal(a, b)
