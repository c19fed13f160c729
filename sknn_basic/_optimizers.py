"""How a gradient becomes a step: the optimizers and their learning-rate schedules.

An optimizer owns everything between a batch's gradient and the change of the
weights: the current step size (the one owner of ``learning_rate_``), the
velocities of momentum or the moment estimates of Adam, and the schedule that
answers an epoch whose loss rose.  The model computes gradients; the training
loop reports each epoch's loss; neither knows which rule turns one into a
step.  Adding an optimizer means adding a class here and its name to
:data:`OPTIMIZERS` (and to the estimators' ``solver`` constraint).

Every ``step`` updates the parameters in place and may overwrite the
gradients, which the model refills for the next batch.
"""

import math

import numpy as np

__all__ = ["Optimizer", "SGDOptimizer", "AdamOptimizer", "OPTIMIZERS", "make_optimizer", "RISE"]

#: The "adaptive" schedule reacts to an epoch loss this many times the
#: previous one: mini-batch noise makes smaller rises, an overshooting step
#: larger ones.
RISE = 1.01

#: In a stream of ``partial_fit`` chunks each loss is measured on new rows,
#: so a chunk's loss counts as a rise only at this many times the highest of
#: the last :data:`STREAM_MEMORY` chunks' losses: the noise between chunks
#: (a mislabelled row in a small chunk) stays below it, rows the model has
#: not learnt at all (a class it has not seen) do not.
STREAM_JUMP = 2.0
STREAM_MEMORY = 5
#: After a chunk without a jump, a halved step grows back by this factor, up
#: to the step the stream started from: a stream of many chunks keeps its
#: step, where halvings that never heal would end its learning.
STREAM_REGROWTH = 1.1


class Optimizer:
    """The step rule's common part: the step size and the "adaptive" schedule.

    Parameters
    ----------
    learning_rate : float
        The step size a fit starts from.
    schedule : {"constant", "adaptive"}
        "constant" keeps the step.  "adaptive" answers an epoch whose loss is
        more than 1 % above the previous epoch's: an optimizer with a state
        that carries past steps forward (momentum) first forgets that state,
        and only a second rise in a row halves the step.

    Attributes
    ----------
    learning_rate : float
        The step size in use (the estimators publish it as ``learning_rate_``).
    initial_learning_rate : float
        The step size the current fit started from.
    """

    def __init__(self, learning_rate, schedule="constant"):
        self.learning_rate = self.initial_learning_rate = float(learning_rate)
        self.schedule = schedule
        self._restarted = False
        self._chunk_losses = []
        # The partial_fit call under way, counting from the first.
        self._chunks = 1

    def start(self, learning_rate, schedule):
        """Begin a fit: the step size starts again from ``learning_rate``.

        The velocities or moments are kept, so that a warm-started fit goes
        on from where the previous one stopped.
        """
        self.learning_rate = self.initial_learning_rate = float(learning_rate)
        self.schedule = schedule
        self._restarted = False
        self._chunk_losses = []
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

    def reset(self):
        """Drop every state built from past gradients (after a diverged run)."""
        self.forget()
        self._chunk_losses = []

    def end_epoch(self, loss, previous_loss):
        """Apply the schedule after an epoch; True where it answered an overshoot."""
        if self.schedule != "adaptive" or not loss > RISE * previous_loss:
            self._restarted = False
            return False
        # Momentum alone makes a loss oscillate, so the first answer is to
        # forget it; a rise right after that (or without momentum) means the
        # step itself is too long.
        if not self._restarted and self.forget():
            self._restarted = True
        else:
            self.learning_rate *= 0.5
            self._restarted = False
        return True

    def end_chunk(self, loss):
        """Apply the schedule after a ``partial_fit`` chunk; True where it halved the step.

        Two chunks hold different rows, so the 1 % test of :meth:`end_epoch`
        would answer the noise between them: over a long stream it halved
        the step until learning stopped.  "adaptive" halves the step instead
        when the chunk's loss jumps (see :data:`STREAM_JUMP`), as when
        a class-sorted stream reaches a class the model has not seen, where
        a full step would overwrite what the earlier chunks taught, and
        forgets the velocity, which points where those chunks pulled; after
        calm chunks the step grows back (:data:`STREAM_REGROWTH`).
        """
        recent = self._chunk_losses
        jumped = (
            self.schedule == "adaptive" and bool(recent)
            and loss > STREAM_JUMP * max(recent)
        )
        if jumped:
            # The velocity points where the earlier chunks pulled.
            self.forget()
            self.learning_rate *= 0.5
        elif self.schedule == "adaptive":
            self.learning_rate = min(self.initial_learning_rate,
                                     self.learning_rate * STREAM_REGROWTH)
        recent.append(loss)
        del recent[:-STREAM_MEMORY]
        return jumped


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

    def __init__(self, parameters, learning_rate, momentum=0.0, nesterov=False,
                 schedule="constant"):
        super().__init__(learning_rate, schedule)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocities = [np.zeros_like(p) for p in parameters] if momentum else None

    def configure(self, momentum=0.0, nesterov=False):
        """Take new hyper-parameters (from ``set_params`` between fits)."""
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
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

    def __init__(self, parameters, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 schedule="constant"):
        super().__init__(learning_rate, schedule)
        self.configure(beta_1, beta_2, epsilon)
        self.t = 0
        self.first_moments = [np.zeros_like(p) for p in parameters]
        self.second_moments = [np.zeros_like(p) for p in parameters]

    def configure(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        """Take new hyper-parameters (from ``set_params`` between fits)."""
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def step(self, parameters, gradients):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # The bias corrections of m and v folded into one step size; the
        # epsilon is scaled alike, so this is the paper's update exactly.
        correction1 = 1.0 - b1**self.t
        correction2 = math.sqrt(1.0 - b2**self.t)
        lr = self.learning_rate * correction2 / correction1
        eps = self.epsilon * correction2
        for param, grad, m, v in zip(parameters, gradients, self.first_moments,
                                     self.second_moments):
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
            param -= grad

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


#: The square root of each float dtype's smallest normal number: a gradient
#: below it loses its square to underflow.  An epsilon (scaled by Adam's
#: correction) at least this large keeps such a gradient's step below one
#: learning rate; a smaller one needs :meth:`AdamOptimizer._guard_underflow`.
_SQRT_TINY = {t: math.sqrt(float(np.finfo(t).tiny)) for t in (np.float16, np.float32, np.float64)}

#: Optimizers by the name of the estimators' ``solver`` parameter.
OPTIMIZERS = {"sgd": SGDOptimizer, "adam": AdamOptimizer}


def make_optimizer(solver, parameters, learning_rate, schedule, **hyper):
    """A fresh optimizer of kind ``solver`` for ``parameters``."""
    return OPTIMIZERS[solver](parameters, learning_rate, schedule=schedule, **hyper)


# ------------------------------------------------------------ plain state
# A fitted estimator pickles its optimizer as a plain dict (see
# BaseTrained.__getstate__), so that skops trusts what it loads.  Every
# attribute of an optimizer is a number, a string, a list or an array.


def optimizer_to_state(optimizer):
    """``optimizer``'s attributes, with the name of its ``solver``."""
    solver = next(name for name, cls in OPTIMIZERS.items() if type(optimizer) is cls)
    return {"solver": solver, "attributes": dict(vars(optimizer))}


def optimizer_from_state(state):
    """The optimizer that :func:`optimizer_to_state` described."""
    optimizer = object.__new__(OPTIMIZERS[state["solver"]])
    optimizer.__dict__.update(state["attributes"])
    return optimizer
