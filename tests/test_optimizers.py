"""The optimizers: each step rule against a plain NumPy transcription of its formula."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_basic import SigmoidGDClassifier, TwoLayerBackpropClassifier
from sknn_basic._optimizers import OPTIMIZERS, AdamOptimizer, SGDOptimizer


def _problem(seed=0):
    """A few arrays and a gradient function of a smooth, non-quadratic loss."""
    rng = np.random.RandomState(seed)
    params = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    targets = [rng.normal(size=(4, 3)), rng.normal(size=3)]

    def gradient(arrays):
        return [np.sinh(a - t) for a, t in zip(arrays, targets)]

    return params, gradient


def test_adam_matches_the_papers_update_over_50_steps():
    params, gradient = _problem()
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    # Kingma and Ba (2015), Algorithm 1, written out literally.
    ref = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in ref]
    v = [np.zeros_like(p) for p in ref]
    opt = AdamOptimizer(params, lr, beta_1=b1, beta_2=b2, epsilon=eps)
    for t in range(1, 51):
        g = gradient(ref)
        for i in range(len(ref)):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            ref[i] = ref[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        opt.step(params, gradient(params))
        for p, r in zip(params, ref):
            assert_allclose(p, r, rtol=1e-12, atol=1e-12)
    assert opt.t == 50


def test_sgd_is_the_lessons_rule_and_momentum_and_nesterov_follow_their_formulas():
    for momentum, nesterov in [(0.0, False), (0.9, False), (0.9, True)]:
        params, gradient = _problem(1)
        ref = [p.copy() for p in params]
        velocity = [np.zeros_like(p) for p in ref]
        opt = SGDOptimizer(params, 0.05, momentum=momentum, nesterov=nesterov)
        for _ in range(30):
            g = gradient(ref)
            for i in range(len(ref)):
                velocity[i] = momentum * velocity[i] - 0.05 * g[i]
                if nesterov:
                    ref[i] = ref[i] + momentum * velocity[i] - 0.05 * g[i]
                else:
                    ref[i] = ref[i] + velocity[i]
            opt.step(params, gradient(params))
        for p, r in zip(params, ref):
            assert_allclose(p, r, rtol=1e-12, atol=1e-12)


def test_adaptive_schedule_forgets_momentum_first_then_halves():
    params, _ = _problem()
    opt = SGDOptimizer(params, 1.0, momentum=0.9, schedule="adaptive")
    opt.velocities[0][...] = 1.0
    assert opt.end_epoch(2.0, 1.0) is True  # a rise: forget the momentum
    assert opt.learning_rate == 1.0 and not opt.velocities[0].any()
    assert opt.end_epoch(3.0, 2.0) is True  # a second rise in a row: halve
    assert opt.learning_rate == 0.5
    assert opt.end_epoch(1.005, 1.0) is False  # within 1 %: noise
    plain = SGDOptimizer(params, 1.0, schedule="adaptive")
    plain.end_epoch(2.0, 1.0)
    assert plain.learning_rate == 0.5  # nothing to forget: halve at once
    constant = AdamOptimizer(params, 1.0, schedule="constant")
    assert constant.end_epoch(2.0, 1.0) is False and constant.learning_rate == 1.0


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_a_stream_halves_its_step_only_on_a_jump_and_regrows_it(solver):
    # Issue 10: between partial_fit chunks the 1 % test answered the noise
    # of new rows, and a long stream halved its step until it stopped
    # learning.  Only a loss at twice the recent chunks' highest halves it.
    params, _ = _problem()
    opt = OPTIMIZERS[solver](params, 0.5, schedule="adaptive")
    noisy = [0.30, 0.45, 0.25, 0.55, 0.35, 0.6, 0.2, 0.5]
    assert not any(opt.end_chunk(loss) for loss in noisy)
    assert opt.learning_rate == 0.5
    assert opt.end_chunk(0.6 * 2.5) is True  # a class the model has not seen
    assert opt.learning_rate == 0.25
    assert opt.end_chunk(0.4) is False
    assert opt.learning_rate == pytest.approx(0.25 * 1.1)
    for _ in range(20):
        opt.end_chunk(0.4)
    assert opt.learning_rate == 0.5  # grown back, never beyond the start
    # Only the last five chunks count: a jump long ago does not mask one now.
    for loss in [5.0] + [0.1] * 5:
        opt.end_chunk(loss)
    assert opt.end_chunk(0.25) is True
    constant = OPTIMIZERS[solver](params, 0.5, schedule="constant")
    assert not any(constant.end_chunk(loss) for loss in [0.1, 10.0, 100.0])
    assert constant.learning_rate == 0.5
    # A new fit forgets the stream's losses.
    opt.start(0.5, "adaptive")
    assert opt.end_chunk(10.0) is False


def test_every_solver_name_is_accepted_by_the_network_estimators():
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    for solver in OPTIMIZERS:
        for Est in (SigmoidGDClassifier, TwoLayerBackpropClassifier):
            est = Est(solver=solver, max_iter=5, tol=None, random_state=0).fit(X, y)
            assert isinstance(est._optimizer, OPTIMIZERS[solver])
    # "lbfgs" is a solver too, but no step rule: it keeps no optimizer.
    assert SigmoidGDClassifier(solver="lbfgs").fit(X, y)._optimizer is None
    with pytest.raises(ValueError, match="solver"):
        SigmoidGDClassifier(solver="newton").fit(X, y)


@pytest.mark.parametrize("Est", [SigmoidGDClassifier, TwoLayerBackpropClassifier])
def test_adam_estimator_epoch_is_the_optimizers_step(Est):
    # A full-batch fit of one epoch moves the weights by exactly one Adam
    # step of the gradient the public backward pass gives.
    from sknn_basic import functional as F

    rng = np.random.RandomState(2)
    X = rng.normal(size=(25, 3))
    y = (X[:, 1] > 0).astype(int)
    est = Est(solver="adam", learning_rate=0.1, batch_size=None, max_iter=1, tol=None,
              fit_intercept=False, loss="squared_error", random_state=5)
    est.fit(X, y)
    draws = np.random.RandomState(5)
    if Est is SigmoidGDClassifier:
        coefs = [draws.normal(0, 1 / math.sqrt(3), size=(3, 1))]
    else:
        coefs = [draws.normal(0, 1 / math.sqrt(3), size=(3, 64)),
                 draws.normal(0, 1 / math.sqrt(64), size=(64, 1))]
    grads, _ = F.backward_pass(X, y, F.forward_pass(X, coefs), coefs, loss="squared_error")
    # The first Adam step is lr * g / (|g| + eps) per element.
    expected = [W - 0.1 * g / (np.abs(g) + 1e-8) for W, g in zip(coefs, grads)]
    fitted = [est.coef_.T] if Est is SigmoidGDClassifier else est.coefs_
    for W, E in zip(fitted, expected):
        assert_allclose(W, E, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("momentum, warm_up", [(0.9, 10), (0.5, 2), (0.95, 20), (0.0, 0)])
def test_a_streams_first_chunks_start_their_velocity_afresh_then_carry_it(momentum, warm_up):
    # Issue 10: a velocity built on a stream's first few chunks (one class of
    # a sorted stream) overshoots on the next; one built on more chunks than
    # it averages over is what momentum is for, and carries over.
    params, gradient = _problem()
    opt = SGDOptimizer(params, 0.01, momentum=momentum, schedule="adaptive")
    assert opt.warm_up_chunks() == warm_up
    opt.step(params, gradient(params))  # the first call
    for chunk in range(2, warm_up + 4):
        opt.start_chunk()
        if momentum:
            carried = [v.copy() for v in opt.velocities]
            expected_zero = chunk <= warm_up
            assert all(np.all(v == 0) for v in carried) == expected_zero, chunk
        opt.step(params, gradient(params))
    if momentum:
        # A jump forgets the velocity along with halving the step.
        for loss in [0.3, 0.3]:
            opt.end_chunk(loss)
        assert any(np.any(v != 0) for v in opt.velocities)
        assert opt.end_chunk(1.0) is True
        assert all(np.all(v == 0) for v in opt.velocities)
    # A new fit starts the count again.
    opt.start(0.01, "adaptive")
    opt.start_chunk()
    assert opt._chunks == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("epsilon", [5e-324, 1e-50, 1e-300])
def test_adams_smallest_epsilon_cannot_blow_up_a_step(dtype, epsilon):
    # An all-zero column has gradient 0 for ever: m = v = 0, and an epsilon
    # that vanishes in the dtype made its step 0/0; gradients whose squares
    # underflow made m / epsilon explode.  Neither may diverge now.
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    X[:, 1] = 0
    y = (X[:, 0] > 0).astype(int)
    for scale in (1.0, 1e-25):
        est = TwoLayerBackpropClassifier(solver="adam", epsilon=epsilon, learning_rate=0.01,
                                         max_iter=30, tol=None, random_state=0)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Training diverged",
                                    category=ConvergenceWarning)
            est.fit((X * scale).astype(dtype), y)
        assert all(np.all(np.isfinite(W)) for W in est.coefs_)
        if scale == 1.0:
            assert est.score(X.astype(dtype), y) > 0.9


def test_adam_step_of_a_zero_gradient_is_zero_for_any_epsilon():
    for dtype in (np.float64, np.float32):
        w = np.ones(3, dtype=dtype)
        adam = AdamOptimizer([w], learning_rate=0.1, epsilon=5e-324)
        for _ in range(3):
            adam.step([w], [np.array([0.0, 1e-170, 1.0], dtype=dtype)])
        assert w[0] == 1.0
        # A gradient whose square underflows moves its weight by a few steps
        # at most (the floor on sqrt(v) is half Cauchy-Schwarz's bound), not
        # by m / epsilon (about 1e150 before); a normal one by about lr a step.
        assert np.all(np.isfinite(w)) and np.all(np.abs(w - 1) <= 1.0)
        assert abs(w[2] - 0.7) < 1e-6


# ------------------------------------------------------------ declared rules


def _network_estimators():
    from sknn_basic import BackpropClassifier, BackpropRegressor, TwoLayerBackpropRegressor

    return [SigmoidGDClassifier, TwoLayerBackpropClassifier, TwoLayerBackpropRegressor,
            BackpropClassifier, BackpropRegressor]


@pytest.mark.parametrize("Est", _network_estimators())
def test_the_solvers_and_hyper_parameter_constraints_are_the_rules_declarations(Est):
    constraints = Est._parameter_constraints
    params = set(Est._get_param_names())
    assert constraints["solver"][0].options == set(OPTIMIZERS) | {"lbfgs"}
    for rule in OPTIMIZERS.values():
        for declared in rule.hyper_parameters:
            if declared.parameter in params:
                assert constraints[declared.parameter] is declared.constraint
            else:
                # scikit-learn wants one constraint per parameter, exactly.
                assert declared.parameter not in constraints
    assert set(constraints) == params


def test_a_new_rule_with_its_own_hyper_parameter_is_one_class():
    # Issue 19: RMSprop's rho took four files.  Now the rule's class is all
    # the package needs; an estimator that offers it lists rho in its
    # signature (as scikit-learn requires) and nothing else.
    import inspect

    from sklearn.utils._param_validation import InvalidParameterError

    from sknn_basic import BackpropClassifier
    from sknn_basic._optimizers import HyperParameter, Optimizer
    from sknn_basic._params import Number

    class RMSprop(Optimizer):
        name = "rmsprop"
        hyper_parameters = (HyperParameter("rho", "rho", [Number(0, 1)], 0.9),)
        default_learning_rate = 0.01

        def __init__(self, parameters, learning_rate, schedule="constant", **hyper):
            super().__init__(learning_rate, schedule)
            self.configure(**hyper)
            self.squares = [np.zeros_like(p) for p in parameters]

        def step(self, parameters, gradients):
            for param, grad, square in zip(parameters, gradients, self.squares):
                square *= self.rho
                square += (1 - self.rho) * grad * grad
                param -= self.learning_rate * grad / (np.sqrt(square) + 1e-8)

    try:
        signature = inspect.signature(BackpropClassifier.__init__)

        def __init__(self, *args, rho=0.9, **kwargs):
            BackpropClassifier.__init__(self, *args, **kwargs)
            self.rho = rho

        # The signature scikit-learn reads: BackpropClassifier's and rho.
        __init__.__signature__ = signature.replace(parameters=[
            *signature.parameters.values(),
            inspect.Parameter("rho", inspect.Parameter.KEYWORD_ONLY, default=0.9),
        ])
        # Created after the rule: its constraints know both.
        RhoNetwork = type("RhoNetwork", (BackpropClassifier,), {"__init__": __init__})
        X = np.random.RandomState(0).normal(size=(120, 3))
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        net = RhoNetwork((8,), solver="rmsprop", rho=0.5, max_iter=60, tol=None,
                         random_state=0).fit(X, y)
        assert isinstance(net._optimizer, RMSprop) and net._optimizer.rho == 0.5
        assert net._optimizer.initial_learning_rate == 0.01  # its declared default
        assert net.score(X, y) > 0.9
        net.set_params(rho=0.8, warm_start=True).fit(X, y)
        assert net._optimizer.rho == 0.8
        with pytest.raises(InvalidParameterError, match="'rho' parameter"):
            RhoNetwork(solver="rmsprop", rho=1.5).fit(X, y)
        with pytest.raises(InvalidParameterError, match="'solver' parameter"):
            BackpropClassifier(solver="nadam").fit(X, y)
    finally:
        del OPTIMIZERS["rmsprop"]


def test_adam_starts_from_its_own_default_step_unless_told_otherwise():
    # Issue 19: solver="adam" kept plain descent's 0.5 (0.950 on digits
    # against 0.974 at Adam's 0.001).  "auto" now means the rule's step.
    from sknn_basic import BackpropClassifier

    X = np.random.RandomState(0).normal(size=(80, 4))
    y = (X[:, 0] > 0).astype(int)
    for Est in (SigmoidGDClassifier, TwoLayerBackpropClassifier, BackpropClassifier):
        auto = Est(solver="adam", max_iter=5, tol=None, random_state=0).fit(X, y)
        told = Est(solver="adam", learning_rate=0.001, max_iter=5, tol=None,
                   random_state=0).fit(X, y)
        assert auto._optimizer.initial_learning_rate == 0.001
        assert auto.learning_rate_ == told.learning_rate_
        # The same code path on both sides: the same weights exactly.
        assert_allclose(auto.predict_proba(X), told.predict_proba(X), rtol=0, atol=0)
        explicit = Est(solver="adam", learning_rate=0.5, max_iter=1, tol=None,
                       random_state=0).fit(X, y)
        assert explicit._optimizer.initial_learning_rate == 0.5
    # Plain descent keeps each estimator's own "auto" (the lessons' numbers).
    assert TwoLayerBackpropClassifier(max_iter=1, tol=None).fit(X, y).learning_rate_ == 0.5
    sgd = SigmoidGDClassifier(batch_size=None, max_iter=1, tol=None).fit(X, y)
    assert sgd._optimizer.initial_learning_rate == 2.0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_estimator_publishes_the_step_it_trained_with():
    from sklearn.base import is_classifier

    from sknn_basic import PerceptronClassifier

    X = np.random.RandomState(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    for est in [PerceptronClassifier(learning_rate=0.3), *(
            Est(max_iter=3, tol=None) for Est in _network_estimators())]:
        est.fit(X, y if is_classifier(est) else X[:, 0])
        assert est.learning_rate_ > 0, type(est).__name__
    perceptron = PerceptronClassifier(learning_rate=0.3, max_iter=3).fit(X, y)
    assert perceptron.learning_rate_ == 0.3 and perceptron._model.step_size.schedule == "constant"
    perceptron.partial_fit(X, y)
    assert perceptron.learning_rate_ == 0.3


def test_a_subclass_of_a_rule_does_not_replace_it_unless_it_names_itself():
    class Quieter(SGDOptimizer):
        pass

    assert OPTIMIZERS["sgd"] is SGDOptimizer and Quieter not in OPTIMIZERS.values()
