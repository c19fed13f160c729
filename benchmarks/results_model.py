"""The measured rows of the suite and how a row passes or misses its target."""

from dataclasses import dataclass, field

__all__ = ["Row", "ScalingPoint"]


@dataclass
class Row:
    """One comparison: sknn-basic's value over scikit-learn's (or the lessons' loop's).

    ``sknn`` and ``other`` are in ``unit`` (seconds or bytes); lower is
    better for both, so the ratio ``sknn / other`` must be at most
    ``target``; with ``compare="difference"`` it is ``sknn - other`` that
    must be at most ``target`` (in ``unit``).  A row without a target
    (``target=None``) is information: it is reported but neither passes nor
    misses.  Where ``accuracy_tolerance`` is set, sknn-basic's accuracy must
    also be at least the other's minus that many points (being more accurate
    is never a miss).
    """

    key: str
    section: str
    pair: str
    workload: str
    setting: str
    metric: str
    unit: str
    sknn: float
    other: float
    target: float
    target_text: str
    accuracy: tuple = None  # (sknn, other) in [0, 1], or None
    accuracy_tolerance: float = None  # points (percent)
    accuracy_text: str = ""
    n_iter: tuple = None
    notes: list = field(default_factory=list)
    times: dict = field(default_factory=dict)
    foreign: float = None  # share of the machine used by other processes meanwhile
    attempts: int = 1
    other_name: str = "scikit-learn"
    compare: str = "ratio"  # or "difference"

    @property
    def ratio(self):
        return self.sknn / self.other if self.other else float("inf")

    @property
    def value(self):
        """What the target bounds: the ratio, or the difference ``sknn - other``."""
        return self.sknn - self.other if self.compare == "difference" else self.ratio

    @property
    def informational(self):
        return self.target is None

    @property
    def time_ok(self):
        return self.informational or self.value <= self.target

    @property
    def accuracy_ok(self):
        if self.accuracy is None or self.accuracy_tolerance is None:
            return True
        ours, theirs = self.accuracy
        return 100 * (ours - theirs) >= -self.accuracy_tolerance - 1e-9

    @property
    def passed(self):
        return self.time_ok and self.accuracy_ok

    @property
    def status(self):
        if self.informational:
            return "info"
        if self.passed:
            return "pass"
        what = []
        if not self.time_ok:
            what.append("ratio")
        if not self.accuracy_ok:
            what.append("accuracy")
        return "MISS (" + ", ".join(what) + ")"


@dataclass
class ScalingPoint:
    pair: str
    n_samples: int
    sknn: float
    other: float
    times: dict
    foreign: float = None
    attempts: int = 1
