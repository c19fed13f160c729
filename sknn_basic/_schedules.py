"""The step size and its schedule, one object every estimator trains with.

A :class:`StepSize` owns the number each update is scaled by (published as
``learning_rate_``) and the rules that change it during a fit: "constant"
keeps it, "adaptive" answers an epoch whose loss rose.  It knows nothing of
how a gradient becomes a step (that is a step rule of
:mod:`sknn_basic._optimizers`) and the perceptron, which has no gradient,
holds one too.  Where the schedule would first drop a rule's memory of past
steps (momentum) rather than halve the step, the caller hands it the rule's
``forget``.

:func:`initial_step` resolves ``learning_rate="auto"``: the step rule's own
default where it declares one (Adam's 0.001), otherwise the estimator's.
"""

__all__ = ["StepSize", "initial_step", "RISE", "STREAM_JUMP", "STREAM_MEMORY",
           "STREAM_REGROWTH"]

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


def _nothing_to_forget():
    return False


def initial_step(learning_rate, rule, estimator_default):
    """The step a fit starts from.

    Parameters
    ----------
    learning_rate : float or "auto"
        The estimator's parameter.
    rule : type or None
        The step rule's class (see :mod:`sknn_basic._optimizers`); its
        ``default_learning_rate`` answers "auto" where it is not None.
    estimator_default : callable
        Returns the estimator's own "auto" step (called only when needed).
    """
    if learning_rate != "auto":
        return float(learning_rate)
    declared = getattr(rule, "default_learning_rate", None)
    return float(declared) if declared is not None else float(estimator_default())


class StepSize:
    """The step size in use and the schedule that changes it.

    Parameters
    ----------
    learning_rate : float
        The step size a fit starts from.
    schedule : {"constant", "adaptive"}, default="constant"
        "constant" keeps the step.  "adaptive" answers an epoch whose loss is
        more than 1 % above the previous epoch's: a rule with a state that
        carries past steps forward (momentum) first forgets that state, and
        only a second rise in a row halves the step.

    Attributes
    ----------
    learning_rate : float
        The step size in use (the estimators publish it as ``learning_rate_``).
    initial_learning_rate : float
        The step size the current fit started from.
    """

    def __init__(self, learning_rate, schedule="constant"):
        self.start(learning_rate, schedule)

    def start(self, learning_rate, schedule):
        """Begin a fit: the step starts again from ``learning_rate``."""
        self.learning_rate = self.initial_learning_rate = float(learning_rate)
        self.schedule = schedule
        self._restarted = False
        self._chunk_losses = []

    def reset(self):
        """Forget the losses of past chunks (after a diverged run)."""
        self._chunk_losses = []

    def snapshot(self):
        """What :meth:`restore` needs to undo the schedule's answers since now."""
        return self.learning_rate, self._restarted, list(self._chunk_losses)

    def restore(self, snapshot):
        self.learning_rate, self._restarted, losses = snapshot
        self._chunk_losses = list(losses)

    def halved(self):
        """Whether the schedule has lowered the step below the one the fit started from."""
        return self.learning_rate < self.initial_learning_rate

    def end_epoch(self, loss, previous_loss, forget=_nothing_to_forget):
        """Apply the schedule after an epoch; True where it answered an overshoot.

        ``forget`` drops the step rule's memory of past steps and says
        whether there was any.
        """
        if self.schedule != "adaptive" or not loss > RISE * previous_loss:
            self._restarted = False
            return False
        # Momentum alone makes a loss oscillate, so the first answer is to
        # forget it; a rise right after that (or without momentum) means the
        # step itself is too long.
        if not self._restarted and forget():
            self._restarted = True
        else:
            self.learning_rate *= 0.5
            self._restarted = False
        return True

    def end_chunk(self, loss, forget=_nothing_to_forget):
        """Apply the schedule after a ``partial_fit`` chunk; True where it halved the step.

        Two chunks hold different rows, so the 1 % test of :meth:`end_epoch`
        would answer the noise between them: over a long stream it halved
        the step until learning stopped.  "adaptive" halves the step instead
        when the chunk's loss jumps (see :data:`STREAM_JUMP`), as when a
        class-sorted stream reaches a class the model has not seen, where a
        full step would overwrite what the earlier chunks taught, and
        forgets the rule's memory, which points where those chunks pulled;
        after calm chunks the step grows back (:data:`STREAM_REGROWTH`).
        """
        recent = self._chunk_losses
        jumped = (
            self.schedule == "adaptive" and bool(recent)
            and loss > STREAM_JUMP * max(recent)
        )
        if jumped:
            forget()
            self.learning_rate *= 0.5
        elif self.schedule == "adaptive":
            self.learning_rate = min(self.initial_learning_rate,
                                     self.learning_rate * STREAM_REGROWTH)
        recent.append(loss)
        del recent[:-STREAM_MEMORY]
        return jumped


def step_size_to_state(step_size):
    """``step_size``'s attributes as a plain dict (see BaseTrained.__getstate__)."""
    return dict(vars(step_size))


def step_size_from_state(state):
    """The :class:`StepSize` that :func:`step_size_to_state` described."""
    step_size = object.__new__(StepSize)
    step_size.__dict__.update(state)
    return step_size
