"""The goal of a scenario discovery: what "it works" means, per replication and per point.

``baiji-sim discover --goal "METRIC OP LEVEL"`` takes any registered metric
(:data:`sim.model.metrics.METRICS`) and one of ``>=``, ``<=``, ``>``, ``<``; an event goal may
also be written ``METRIC by DAY`` (``first_operating_day by 180``: the refinery runs by day
180), which is ``METRIC <= DAY``. What a design point's outcome is depends on the metric's kind
(docs/model.md, "Scenario discovery"):

* a share (0 or 1 per replication, ``operating_at_horizon >= 0.5``): the point's outcome is
  P(metric = 1) over its replications, and the goal is met where that probability stands in
  the relation to LEVEL (at least half the runs operate at the horizon);
* an event day (``first_operating_day <= 180``): each replication meets the goal or not (an
  event that never happened counts as later than any day), the point's outcome is P(goal)
  over its replications, and the goal is met where P(goal) >= ``probability`` (0.5 unless
  given: "in at least half the runs");
* anything else (days, tonnes, fractions): the point's outcome is the metric's mean over its
  replications, and the goal is met where the mean stands in the relation to LEVEL.

Replications where the metric is empty (an observation a scenario does not test, a stock with
no consumption) are left out of the point's outcome.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model.metrics import EVENT_DAY_METRICS, METRICS, REGISTRY

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_ARRAY_OPERATORS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater,
                    "<": np.less}
WORDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}
_GOAL = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(>=|<=|>|<|=>|=<|==|=|\bby\b)\s*(.+?)\s*$")
EXAMPLES = ('"operating_at_horizon >= 0.5"', '"first_operating_day by 180"',
            '"operating_days >= 100"')


@dataclass(frozen=True)
class Goal:
    """A parsed goal (see the module docstring)."""

    metric: str
    op: str  # one of OPERATORS
    level: float
    probability: float = 0.5  # event goals: the share of runs that must meet it

    @property
    def kind(self) -> str:
        """``share``, ``event`` or ``mean``: how a point's outcome is formed."""
        if self.metric in EVENT_DAY_METRICS:
            return "event"
        return "share" if REGISTRY[self.metric].kind == "share" else "mean"

    @property
    def is_probability(self) -> bool:
        """A point's outcome is a probability (shares and events), not a mean."""
        return self.kind != "mean"

    @property
    def threshold(self) -> float:
        """The value a point's outcome is compared with."""
        return self.probability if self.kind == "event" else self.level

    @property
    def outcome_op(self) -> str:
        """How a point's outcome is compared with :attr:`threshold`."""
        return ">=" if self.kind == "event" else self.op

    @property
    def upward(self) -> bool:
        """Meeting the goal means a high outcome (``>=`` or ``>``)."""
        return self.outcome_op in (">=", ">")

    def units(self, column: np.ndarray) -> np.ndarray:
        """Each replication's contribution to the point's outcome, from the metric's column:
        the 0/1 share, 1.0 where an event goal is met, or the value; NaN where the metric is
        empty (left out), except for event goals, where empty means "never happened"."""
        column = np.asarray(column, dtype=float)
        if self.kind != "event":
            return column
        never = np.isnan(column)
        day = np.where(never, np.inf, column)
        return np.asarray(_ARRAY_OPERATORS[self.op](day, self.level), dtype=float)

    def met(self, outcome: float) -> bool:
        """Whether a point whose outcome is ``outcome`` meets the goal."""
        return not math.isnan(outcome) and bool(
            OPERATORS[self.outcome_op](outcome, self.threshold))

    @property
    def text(self) -> str:
        """The goal as the command line takes it back."""
        return f"{self.metric} {self.op} {self.level:g}"

    def words(self) -> str:
        """The goal in plain words: 'refinery ran in at least 50% of the runs'."""
        m = REGISTRY[self.metric]
        if self.kind == "share":
            return f"{m.label} in {WORDS[self.op]} {self.level:.0%} of the runs"
        if self.kind == "event":
            when = {"<=": "by day", "<": "before day", ">=": "not before day",
                    ">": "after day"}[self.op]
            return (f"{m.label} {when} {self.level:g} in at least {self.probability:.0%} of "
                    "the runs")
        return f"mean {m.label} {WORDS[self.op]} {self.level:g} {m.unit}"

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "metric": self.metric, "op": self.op, "level": self.level,
                "probability": self.probability, "kind": self.kind,
                "threshold": self.threshold, "outcome_op": self.outcome_op,
                "words": self.words()}


def parse_goal(text: str, probability: float = 0.5) -> Goal:
    """``"METRIC OP LEVEL"`` (or ``"METRIC by DAY"`` for an event) as a :class:`Goal`;
    ValueError with a "did you mean" and what is allowed otherwise."""
    found = _GOAL.match(text or "")
    hint = f"write it as METRIC OP LEVEL with OP one of >=, <=, >, <, e.g. {EXAMPLES[0]}"
    if found is None:
        raise ValueError(f"'{text}' is not a goal; {hint}")
    metric, op, level_text = found.groups()
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, METRICS, n=1)
        raise ValueError(f"'{metric}' is not a metric"
                         + (f"; did you mean '{close[0]}'?" if close else "")
                         + f" Choose from {', '.join(METRICS)}")
    op = {"=>": ">=", "=<": "<="}.get(op, op)
    if op in ("=", "=="):
        raise ValueError(f"'{text}': an equality cannot be a goal; {hint}")
    if op == "by":
        if metric not in EVENT_DAY_METRICS:
            raise ValueError(f"'{text}': 'by DAY' is for the day of an event "
                             f"({', '.join(EVENT_DAY_METRICS)}); {hint}")
        op = "<="
    try:
        level = float(level_text)
    except ValueError:
        raise ValueError(f"'{text}': '{level_text}' is not a number; {hint}") from None
    if not math.isfinite(level):
        raise ValueError(f"'{text}': the level must be a finite number")
    m = REGISTRY[metric]
    if m.kind == "share" and not 0.0 <= level <= 1.0:
        raise ValueError(f"'{text}': {metric} is a share of runs: give a level between 0 and 1"
                         f" (e.g. {metric} >= 0.5)")
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability {probability:g}: give a share strictly between 0 and 1")
    return Goal(metric, op, level, probability)
