"""How a gradient becomes a step: the step rules, each declaring what it takes.

A step rule owns everything between a batch's gradient and the change of the
weights: the velocities of momentum or the moment estimates of Adam, and the
step size it scales by (a :class:`~sknn_basic._schedules.StepSize`, which
also holds the schedule that answers an epoch whose loss rose).  The model
computes gradients; the training loop reports each epoch's loss; neither
knows which rule turns one into a step.

A rule is a subclass of :class:`Optimizer` with a ``name`` (the estimators'
``solver``), its hyper-parameters declared as :class:`HyperParameter` (the
estimator's parameter, the rule's keyword, its constraint and its default)
and, where it has one, its own ``default_learning_rate``.  Defining the class
registers it in :data:`OPTIMIZERS`; the estimators derive the ``solver``
options, the constraints of the hyper-parameters and the mapping from their
parameters from these declarations (:func:`rule_constraints`,
:func:`rule_settings`), so a new rule is this module's business, plus the
estimators' signatures and docstrings that scikit-learn wants written out.

Every ``step`` updates the parameters in place and may overwrite the
gradients, which the model refills for the next batch.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ._compiled import load_kernel, numpy_kernels_requested
from ._params import Number
from ._schedules import StepSize, step_size_from_state, step_size_to_state

__all__ = ["Optimizer", "HyperParameter", "SGDOptimizer", "AdamOptimizer", "OPTIMIZERS",
           "make_optimizer", "rule_constraints", "rule_settings"]

#: Step rules by the name of the estimators' ``solver`` parameter; a rule
#: enters it by being defined (see :meth:`Optimizer.__init_subclass__`).
OPTIMIZERS = {}


@dataclass(frozen=True)
class HyperParameter:
    """One hyper-parameter of a step rule, as the estimators take it.

    Attributes
    ----------
    parameter : str
        The estimator's parameter (``nesterovs_momentum``).
    keyword : str
        The rule's keyword for it (``nesterov``).
    constraint : list
        Its scikit-learn parameter constraint.
    default : object
        The value a rule uses where an estimator does not take the parameter.
    """

    parameter: str
    keyword: str
    constraint: list
    default: object


class Optimizer:
    """The common part of a step rule: its step size and its hyper-parameters.

    Parameters
    ----------
    learning_rate : float
        The step size a fit starts from.
    schedule : {"constant", "adaptive"}
        See :class:`~sknn_basic._schedules.StepSize`.

    Attributes
    ----------
    step_size : StepSize
        The step size in use and its schedule.
    """

    #: The estimators' ``solver`` value of the rule; None for a base class.
    name = None
    #: What the rule takes from the estimator (see :class:`HyperParameter`).
    hyper_parameters = ()
    #: The step ``learning_rate="auto"`` means with this rule; None: the
    #: estimator's own default.
    default_learning_rate = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Only a class that names itself: a subclass that inherits "sgd"
        # must not take the place of the rule it extends.
        if vars(cls).get("name") is not None:
            OPTIMIZERS[cls.name] = cls

    def __init__(self, learning_rate, schedule="constant"):
        self.step_size = StepSize(learning_rate, schedule)
        # The partial_fit call under way, counting from the first.
        self._chunks = 1

    # The step size is the schedule's; the rule reads it at each step.
    learning_rate = property(lambda self: self.step_size.learning_rate)
    initial_learning_rate = property(lambda self: self.step_size.initial_learning_rate)

    def configure(self, **hyper):
        """Take new hyper-parameters, by the rule's keywords (``set_params`` between fits)."""
        for declared in self.hyper_parameters:
            setattr(self, declared.keyword, hyper.get(declared.keyword, declared.default))

    def start(self, learning_rate, schedule):
        """Begin a fit: the step size starts again from ``learning_rate``.

        The velocities or moments are kept, so that a warm-started fit goes
        on from where the previous one stopped.
        """
        self.step_size.start(learning_rate, schedule)
        self._chunks = 1

    def start_chunk(self):
        """Begin a ``partial_fit`` call: early in a stream, momentum starts afresh.

        A velocity averages the last ``1 / (1 - momentum)`` or so steps.
        Until the stream has made that many, it stands for a few chunks only
        (one class of a sorted stream, or a first chunk of a few rows) and
        carries their pull into the next chunk, which then unlearns.  After
        that it carries over, as it does between the batches of a ``fit``.
        Adam's moments are normalised and always carry over.
        """
        # An optimizer pickled before the count existed has made its warm-up.
        self._chunks = getattr(self, "_chunks", math.inf) + 1
        if self._chunks <= self.warm_up_chunks():
            self.forget()

    def warm_up_chunks(self):
        """How many of a stream's first ``partial_fit`` calls start with a fresh velocity."""
        return 0

    def step(self, parameters, gradients):
        """Move ``parameters`` in place against ``gradients`` (which may be overwritten)."""
        raise NotImplementedError

    def forget(self):
        """Drop the state that carries past steps forward; False where there is none."""
        return False

    def inline_rule(self, parameters):
        """The rule as a compiled epoch may take it itself, or None.

        A compiled epoch (:mod:`sknn_basic._layered_cy`) steps without
        calling :meth:`step` for the rules it knows, with the same
        operations: it gets ``(name, arrays, scalars)``, the rule's name
        there, its state arrays (shaped like ``parameters``) and its scalars
        for this epoch.  None (the default) has it call :meth:`step` after
        each batch instead.
        """
        return None

    def count_steps(self, steps):
        """Take note of ``steps`` steps a compiled epoch took by :meth:`inline_rule`."""

    def reset(self):
        """Drop every state built from past gradients (after a diverged run)."""
        self.forget()
        self.step_size.reset()

    def end_epoch(self, loss, previous_loss):
        """The schedule's answer to an epoch (see :meth:`StepSize.end_epoch`)."""
        return self.step_size.end_epoch(loss, previous_loss, self.forget)

    def end_chunk(self, loss):
        """The schedule's answer to a ``partial_fit`` chunk (see :meth:`StepSize.end_chunk`)."""
        return self.step_size.end_chunk(loss, self.forget)


class SGDOptimizer(Optimizer):
    """Gradient descent: the lessons' rule, with optional (Nesterov) momentum.

    Without momentum a step is ``w -= learning_rate * g``, exactly the lessons'
    ``w += learning_rate * error_term * x``.  With momentum ``mu`` a velocity
    ``v = mu * v - learning_rate * g`` is kept per array and ``w += v``;
    Nesterov's variant moves by ``mu * v - learning_rate * g`` instead, a look
    ahead along the new velocity (Sutskever et al., 2013).

    Parameters
    ----------
    parameters : list of ndarray
        The arrays the optimizer will update (to shape its velocities).
    learning_rate : float
        Initial step size.
    momentum : float, default=0.0
        Momentum coefficient in ``[0, 1)``; 0 is plain gradient descent.
    nesterov : bool, default=False
        Whether to use Nesterov's momentum.
    schedule : {"constant", "adaptive"}, default="constant"
        See :class:`Optimizer`.
    """

    name = "sgd"
    hyper_parameters = (
        HyperParameter("momentum", "momentum", [Number(0, 1, closed="left")], 0.0),
        HyperParameter("nesterovs_momentum", "nesterov", ["boolean"], False),
    )

    def __init__(self, parameters, learning_rate, momentum=0.0, nesterov=False,
                 schedule="constant"):
        super().__init__(learning_rate, schedule)
        self.velocities = [np.zeros_like(p) for p in parameters] if momentum else None
        self.configure(momentum=momentum, nesterov=nesterov)

    def configure(self, **hyper):
        super().configure(**hyper)
        self.momentum = float(self.momentum)
        self.nesterov = bool(self.nesterov)
        if not self.momentum:
            self.velocities = None

    def step(self, parameters, gradients):
        lr = self.learning_rate
        if not self.momentum:
            for param, grad in zip(parameters, gradients):
                grad *= -lr
                param += grad
            return
        if self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in parameters]
        mu = self.momentum
        for param, grad, velocity in zip(parameters, gradients, self.velocities):
            velocity *= mu
            grad *= lr
            velocity -= grad
            if self.nesterov:
                param += mu * velocity
                param -= grad
            else:
                param += velocity

    def inline_rule(self, parameters):
        if not self.momentum:
            return "descent", [], (self.learning_rate,)
        if self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in parameters]
        return ("nesterov" if self.nesterov else "momentum", list(self.velocities),
                (self.learning_rate, self.momentum))

    def warm_up_chunks(self):
        # Rounded first: 1 / (1 - 0.9) is 9.999999999999998 in floating point.
        return math.ceil(round(1.0 / (1.0 - self.momentum), 9)) if self.momentum else 0

    def forget(self):
        if self.velocities is None:
            return False
        for velocity in self.velocities:
            velocity[...] = 0
        return True


class AdamOptimizer(Optimizer):
    """Adam (Kingma and Ba, 2015), exactly as the paper's Algorithm 1 writes it.

    For step ``t`` and each array: ``m = beta_1 m + (1 - beta_1) g``,
    ``v = beta_2 v + (1 - beta_2) g^2``, ``m_hat = m / (1 - beta_1^t)``,
    ``v_hat = v / (1 - beta_2^t)`` and ``w -= learning_rate * m_hat /
    (sqrt(v_hat) + epsilon)``.

    Parameters
    ----------
    parameters : list of ndarray
        The arrays the optimizer will update (to shape its moments).
    learning_rate : float
        Step size (the paper's alpha).
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to the square root of the second moment for stability.  Any
        positive value is safe: one below the data type's range acts as its
        smallest number, and one so small that gradients' squares underflow
        is met by a floor on ``sqrt(v)`` (see :meth:`_guard_underflow`).
    schedule : {"constant", "adaptive"}, default="constant"
        See :class:`Optimizer` ("adaptive" halves the step on a rise).
    """

    name = "adam"
    hyper_parameters = (
        HyperParameter("beta_1", "beta_1", [Number(0, 1, closed="left")], 0.9),
        HyperParameter("beta_2", "beta_2", [Number(0, 1, closed="left")], 0.999),
        HyperParameter("epsilon", "epsilon", [Number(0, None)], 1e-8),
    )
    #: The paper's suggested step, which scikit-learn's MLP also starts from:
    #: Adam's steps are about ``learning_rate`` in size whatever the
    #: gradient's scale, so plain descent's 0.5 would be far too long.
    default_learning_rate = 0.001

    def __init__(self, parameters, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 schedule="constant"):
        super().__init__(learning_rate, schedule)
        self.configure(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.t = 0
        self.first_moments = [np.zeros_like(p) for p in parameters]
        self.second_moments = [np.zeros_like(p) for p in parameters]

    def configure(self, **hyper):
        super().configure(**hyper)
        self.beta_1, self.beta_2, self.epsilon = (float(self.beta_1), float(self.beta_2),
                                                  float(self.epsilon))

    def step(self, parameters, gradients):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # The bias corrections of m and v folded into one step size; the
        # epsilon is scaled alike, so this is the paper's update exactly.
        correction1 = 1.0 - b1**self.t
        correction2 = math.sqrt(1.0 - b2**self.t)
        lr = self.learning_rate * correction2 / correction1
        eps = self.epsilon * correction2
        if len(parameters) == 1:
            self._update(parameters[0], gradients[0], self.first_moments[0],
                         self.second_moments[0], lr, eps)
            return
        # Every array in one: the same arithmetic element by element, in a
        # dozen calls instead of a dozen per array (a deep network's small
        # batches spent most of their step in the calls' fixed cost).
        m, v = self._flat_moments()
        grad = np.concatenate([g.reshape(-1) for g in gradients], out=self._scratch["grad"])
        self._update(None, grad, m, v, lr, eps)
        offset = 0
        for param in parameters:
            param -= grad[offset:offset + param.size].reshape(param.shape)
            offset += param.size

    def _update(self, param, grad, m, v, lr, eps):
        """Adam's update of the moments; the step into ``grad``, taken by ``param`` if given."""
        b1, b2 = self.beta_1, self.beta_2
        if (_adam_cy is not None and grad.dtype in (np.float32, np.float64)
                and eps >= _SQRT_TINY[grad.dtype.type]
                and m.dtype == v.dtype == grad.dtype
                and grad.flags.c_contiguous and m.flags.c_contiguous and v.flags.c_contiguous):
            # The same operations in one compiled pass, to the last bit.
            _adam_cy.adam_update(m.reshape(-1), v.reshape(-1), grad.reshape(-1), b1, b2, lr, eps)
            if param is not None:
                param -= grad
            return
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        np.multiply(grad, grad, out=grad)
        grad *= 1.0 - b2
        v += grad
        np.sqrt(v, out=grad)
        finfo = np.finfo(grad.dtype)
        if eps < _SQRT_TINY[finfo.dtype.type]:
            self._guard_underflow(grad, m)
            # Never zero in the data's dtype: a weight whose gradient was
            # always zero (an all-zero column) gets 0 / eps = 0, not NaN.
            grad += max(eps, float(finfo.smallest_subnormal))
        else:
            grad += eps
        np.divide(m, grad, out=grad)
        grad *= lr
        if param is not None:
            param -= grad

    def inline_rule(self, parameters):
        # The scaled epsilon grows with t: if the next step's needs no floor
        # against underflow (see _update), no later one does.
        next_epsilon = self.epsilon * math.sqrt(1.0 - self.beta_2 ** (self.t + 1))
        if next_epsilon < _SQRT_TINY[parameters[0].dtype.type]:
            return None
        return ("adam", self.first_moments + self.second_moments,
                (self.learning_rate, self.beta_1, self.beta_2, self.epsilon, self.t))

    def count_steps(self, steps):
        self.t += steps

    def _flat_moments(self):
        """The moments as two flat arrays, whose pieces are the per-array moments.

        The lists stay the moments' one record: after a copy, a pickle or a
        trip to a worker their arrays are no longer pieces of the flat ones,
        and the flat ones are made again from them.
        """
        scratch = getattr(self, "_scratch", None)
        if scratch is not None and all(
            a.base is scratch["m"] for a in self.first_moments
        ) and all(a.base is scratch["v"] for a in self.second_moments):
            return scratch["m"], scratch["v"]
        flat = {}
        for key, arrays in (("m", self.first_moments), ("v", self.second_moments)):
            flat[key] = np.concatenate([a.reshape(-1) for a in arrays])
            offset = 0
            for i, a in enumerate(arrays):
                arrays[i] = flat[key][offset:offset + a.size].reshape(a.shape)
                offset += a.size
        flat["grad"] = np.empty_like(flat["m"])
        self._scratch = flat
        return flat["m"], flat["v"]

    def _guard_underflow(self, root_v, m):
        """Keep ``sqrt(v)`` of gradients whose squares underflowed from vanishing.

        A gradient below the square root of the dtype's smallest number
        (about 1e-162 in float64, 4e-23 in float32) leaves no trace in ``v``
        while it still moves ``m``; with an epsilon as small as that,
        ``m / (sqrt(v) + epsilon)`` then explodes where Adam's step is meant
        to stay near ``learning_rate``.  In exact arithmetic Cauchy-Schwarz
        gives ``|m| <= (1 - beta_1) sqrt(S v / (1 - beta_2))`` with
        ``S = sum_k (beta_1^2 / beta_2)^k`` over the steps so far, so a
        floor of half that bound on ``sqrt(v)`` changes nothing where no
        square underflowed.  Only an epsilon that small pays for it.
        """
        gamma = self.beta_1**2 / self.beta_2
        try:
            total = self.t if gamma == 1 else (1.0 - gamma**self.t) / (1.0 - gamma)
        except OverflowError:
            return  # no finite bound: nothing to floor with
        ratio = 0.5 * math.sqrt((1.0 - self.beta_2) / total) / (1.0 - self.beta_1)
        np.maximum(root_v, ratio * np.abs(m), out=root_v)

    def reset(self):
        super().reset()
        self.t = 0
        for m, v in zip(self.first_moments, self.second_moments):
            m[...] = 0
            v[...] = 0


#: The compiled update of flat arrays (None where it was not built, or with
#: SKNN_BASIC_NUMPY_KERNEL=1 at start-up; NumPy then runs the same arithmetic).
_adam_cy = None if numpy_kernels_requested() else load_kernel("_adam_cy")

#: The square root of each float dtype's smallest normal number: a gradient
#: below it loses its square to underflow.  An epsilon (scaled by Adam's
#: correction) at least this large keeps such a gradient's step below one
#: learning rate; a smaller one needs :meth:`AdamOptimizer._guard_underflow`.
_SQRT_TINY = {t: math.sqrt(float(np.finfo(t).tiny)) for t in (np.float16, np.float32, np.float64)}


def make_optimizer(solver, parameters, learning_rate, schedule, **hyper):
    """A fresh optimizer of kind ``solver`` for ``parameters``."""
    return OPTIMIZERS[solver](parameters, learning_rate, schedule=schedule, **hyper)


def rule_constraints(parameter_names, extra_solvers=()):
    """The ``solver`` options and the rules' hyper-parameter constraints an estimator takes.

    Parameters
    ----------
    parameter_names : collection of str
        The estimator's parameters: a rule's hyper-parameter it does not
        take gets no constraint (scikit-learn wants one per parameter,
        exactly).
    extra_solvers : collection of str
        Solvers that are not step rules (``"lbfgs"``).
    """
    constraints = {"solver": [StrOptions(set(OPTIMIZERS) | set(extra_solvers))]}
    for rule in OPTIMIZERS.values():
        for declared in rule.hyper_parameters:
            if declared.parameter in parameter_names:
                constraints[declared.parameter] = declared.constraint
    return constraints


def rule_settings(solver, estimator):
    """The hyper-parameters of ``solver``'s rule, by its keywords, read from ``estimator``."""
    return {
        declared.keyword: getattr(estimator, declared.parameter, declared.default)
        for declared in OPTIMIZERS[solver].hyper_parameters
    }


# ------------------------------------------------------------ plain state
# A fitted estimator pickles its optimizer as a plain dict (see
# BaseTrained.__getstate__), so that skops trusts what it loads.  Every
# attribute of an optimizer is a number, a string, a list or an array.


def optimizer_to_state(optimizer):
    """``optimizer``'s attributes, with the name of its ``solver``."""
    attributes = dict(vars(optimizer))
    step_size = attributes.pop("step_size")
    # Working buffers, made again from the attributes where needed.
    attributes.pop("_scratch", None)
    return {"solver": optimizer.name, "attributes": attributes,
            "step_size": step_size_to_state(step_size)}


def optimizer_from_state(state):
    """The optimizer that :func:`optimizer_to_state` described."""
    optimizer = object.__new__(OPTIMIZERS[state["solver"]])
    optimizer.__dict__.update(state["attributes"])
    optimizer.step_size = step_size_from_state(state["step_size"])
    return optimizer
