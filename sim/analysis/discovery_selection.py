"""The smallest effort that works: a subset selection among the evaluated lever settings.

``discover --cheapest`` answers "which of the settings we tried meets the goal, with 95%
confidence, at the least total effort?" in two stages, so that the noise that picked a
candidate cannot also confirm it:

1. **Screening** (the design's own runs): the lever settings of the design points whose
   outcome met the goal, cheapest first; the first ``candidates`` of them go on.
2. **Confirmation** (new runs): each candidate's lever settings on the scenario, run again
   with ``replications`` fresh replications (replication numbers after the design's, so
   other seeds), the same seeds for every candidate (common random numbers) and, unless the
   design held the unknowns fixed, the same draws of the uncertain parameters for every
   candidate (groups of two replications share a draw: :class:`~sim.scenario.uncertainty.
   Uncertainty`), so a candidate's outcome is averaged over the unknowns as well as the dice.
   Each candidate is tested one-sided: H0 "its outcome does not meet the goal" (P(goal) or
   the mean on the wrong side of the threshold, or on it) against "it does". The units are
   replications, or draw groups when the unknowns are drawn (their means, independent of one
   another); the test is the exact binomial test when every unit is 0 or 1, Student's t on
   the units otherwise. The candidates' p-values go through Holm's step-down correction.

**The guarantee.** Holm's procedure controls the family-wise error: whatever the candidates'
true outcomes, the probability that *any* candidate declared to meet the goal does not in
fact meet it is at most ``alpha`` (5%). The cheapest declared candidate therefore meets the
goal with at least 95% confidence (the Student-t test makes this approximate where it is
used; the binomial test is exact). It is the cheapest *among the candidates*, not a proof
that nothing cheaper works: a cheaper setting the design did not try, or one the screening
let go, may also meet the goal. With common random numbers, the chosen candidate's paired
difference from each cheaper candidate (the same seeds and draws) says by how much the extra
effort raises the outcome, with a 95% interval far shorter than unpaired runs would give.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from sim.analysis.comparison import holm
from sim.analysis.discovery_goal import Goal
from sim.analysis.estimates import mean_interval, wilson_interval

ALPHA = 0.05
CANDIDATES = 8


@dataclass
class Candidate:
    """One lever setting confirmed with new runs."""

    point: int  # the design point it comes from
    levers: dict[str, float]
    effort: float
    screened: float  # its outcome in the design (one point, one draw of the unknowns)
    outcome: float = math.nan  # its outcome in the confirmation runs
    low: float = math.nan  # two-sided 95% interval of that outcome
    high: float = math.nan
    units: int = 0
    p_value: float = math.nan  # one-sided, unadjusted
    p_holm: float = math.nan  # Holm-adjusted
    meets: bool = False  # declared to meet the goal (Holm at alpha)


@dataclass
class Selection:
    """The candidates, what the confirmation found, and the cheapest declared one."""

    candidates: list[Candidate]
    alpha: float
    replications: int  # confirmation replications per candidate
    per_draw: int  # replications sharing a draw of the unknowns (1: unknowns fixed)
    test: str  # binomial or t
    chosen: int | None = None  # index into candidates
    paired: list[dict[str, Any]] = field(default_factory=list)  # chosen minus each cheaper

    @property
    def best(self) -> Candidate | None:
        return None if self.chosen is None else self.candidates[self.chosen]

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "replications": self.replications,
                "per_draw": self.per_draw, "test": self.test, "chosen": self.chosen,
                "candidates": [asdict(c) for c in self.candidates], "paired": self.paired}


def screen(outcomes: np.ndarray, efforts: np.ndarray, goal: Goal,
           candidates: int = CANDIDATES) -> list[int]:
    """The design points whose outcome met the goal, cheapest first (ties: the better
    outcome first), at most ``candidates`` of them; settings already taken are skipped."""
    met = [i for i in range(len(outcomes)) if goal.met(float(outcomes[i]))]
    sign = -1.0 if goal.upward else 1.0
    met.sort(key=lambda i: (float(efforts[i]), sign * float(outcomes[i]), i))
    return met[:candidates]


def group_units(units: np.ndarray, per_draw: int) -> np.ndarray:
    """Each row's units, averaged over consecutive groups of ``per_draw`` (the replications
    sharing a draw of the unknowns); a group with an empty unit keeps the others'."""
    k, n = units.shape
    groups = n // per_draw
    shaped = units[:, :groups * per_draw].reshape(k, groups, per_draw)
    kept = (~np.isnan(shaped)).sum(axis=2)
    total = np.nansum(shaped, axis=2)
    # A group that is all empty is NaN, which the tests leave out.
    return np.divide(total, kept, out=np.full(total.shape, np.nan), where=kept > 0)


def one_sided_p(units: np.ndarray, goal: Goal) -> tuple[float, str]:
    """The p-value of H0 "the outcome does not meet the goal" (see the module docstring)
    and the test used."""
    x = units[~np.isnan(units)]
    n = len(x)
    if n == 0:
        return 1.0, "none"
    t = goal.threshold
    if goal.is_probability and np.all((x == 0) | (x == 1)):
        k = int(x.sum())
        if goal.upward:  # H0: p <= t
            return float(stats.binomtest(k, n, t, alternative="greater").pvalue), "binomial"
        return float(stats.binomtest(k, n, t, alternative="less").pvalue), "binomial"
    mean, sd = float(x.mean()), float(x.std(ddof=1)) if n > 1 else 0.0
    if sd == 0.0:
        return (0.0 if goal.met(mean) and mean != t else 1.0), "t"
    statistic = (mean - t) / (sd / math.sqrt(n))
    tail = stats.t.sf if goal.upward else stats.t.cdf
    return float(tail(statistic, n - 1)), "t"


def select(candidates: list[Candidate], units: np.ndarray, goal: Goal, *,
           replications: int, per_draw: int = 1, alpha: float = ALPHA) -> Selection:
    """Test each candidate on its confirmation ``units`` (one row per candidate, one column
    per replication; the same seeds and draws down each column) and choose the cheapest
    declared to meet the goal (see the module docstring)."""
    grouped = units if per_draw == 1 else group_units(units, per_draw)
    tests = set()
    p_values = []
    for c, row in zip(candidates, grouped, strict=True):
        x = row[~np.isnan(row)]
        c.units = len(x)
        if goal.is_probability and per_draw == 1:
            hits = int(np.sum(x))
            c.outcome, c.low, c.high = wilson_interval(hits, len(x))
        else:
            c.outcome, c.low, c.high = mean_interval(x)
            if goal.is_probability:
                c.low, c.high = max(0.0, c.low), min(1.0, c.high)
        p, test = one_sided_p(row, goal)
        tests.add(test)
        p_values.append(p)
    adjusted, meets = holm(p_values, alpha)
    for c, p, q, ok in zip(candidates, p_values, adjusted, meets, strict=True):
        c.p_value, c.p_holm, c.meets = p, q, ok
    test = "binomial" if tests == {"binomial"} else "t"
    result = Selection(candidates, alpha, replications, per_draw, test)
    declared = [i for i, c in enumerate(candidates) if c.meets]
    if declared:
        result.chosen = min(declared, key=lambda i: (candidates[i].effort, i))
        result.paired = _paired(grouped, candidates, result.chosen)
    return result


def _paired(grouped: np.ndarray, candidates: list[Candidate], chosen: int
            ) -> list[dict[str, Any]]:
    """The chosen candidate's outcome minus each cheaper candidate's, unit by unit (the same
    seeds and draws), with its 95% interval."""
    out = []
    for i, c in enumerate(candidates):
        if i == chosen or c.effort >= candidates[chosen].effort:
            continue
        d = grouped[chosen] - grouped[i]
        d = d[~np.isnan(d)]
        mean, lo, hi = mean_interval(d)
        out.append({"candidate": i, "effort": c.effort, "difference": mean, "low": lo,
                    "high": hi, "units": len(d)})
    return out
