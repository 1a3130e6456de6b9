"""Summaries of a batch: every mean with its interval, quantiles, shares.

Means get Student-t 95% intervals; shares (0/1 metrics) get Wilson intervals,
which stay inside [0, 1] and behave at 0% and 100% where the normal
approximation does not. Metrics that are the day of an event (empty when it
did not happen) are summarised over the replications where it happened, and
say how many that was.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from sim.batch import BatchResult, ScenarioRuns
from sim.recorder import EVENT_DAY_METRICS, METRICS

BINARY_METRICS = ("garrison_held", "operating_at_horizon")
LEVEL = 0.95


def mean_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval; NaN bounds with fewer than 2 values."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(values))
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> tuple[float, float, float]:
    """(share, low, high) for ``successes`` out of ``n``, by Wilson's score method."""
    if n == 0:
        return math.nan, math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def describe(values: np.ndarray, binary: bool = False) -> dict[str, Any]:
    """Summary of one metric; NaNs (events that did not happen) are counted, not averaged."""
    observed = values[~np.isnan(values)]
    n = len(observed)
    out: dict[str, Any] = {"n": n, "n_missing": int(len(values) - n)}
    if binary:
        mean, lo, hi = wilson_interval(int(observed.sum()), n)
        out["ci_method"] = "wilson"
    else:
        mean, lo, hi = mean_interval(observed)
        out["ci_method"] = "student-t"
    out["mean"], out["ci95"] = _num(mean), [_num(lo), _num(hi)]
    if n:
        p5, median, p95 = np.percentile(observed, [5, 50, 95])
        out.update(median=_num(median), p5=_num(p5), p95=_num(p95),
                   std=_num(np.std(observed, ddof=1)) if n > 1 else None)
    else:
        out.update(median=None, p5=None, p95=None, std=None)
    return out


def summarize_runs(runs: ScenarioRuns) -> dict[str, Any]:
    """Per metric of one scenario: mean, 95% CI, median, 5th and 95th percentiles, count."""
    metrics: dict[str, Any] = {}
    for name in METRICS:
        entry = describe(runs.column(name), binary=name in BINARY_METRICS)
        if name in EVENT_DAY_METRICS:
            entry["note"] = "day of the event, over the replications where it happened"
        metrics[name] = entry
    return {"replications": len(runs.seed), "metrics": metrics}


def summarize(batch: BatchResult) -> dict[str, Any]:
    """The content of summary.json."""
    return {
        "seed": batch.seed,
        "replications_requested": batch.replications,
        "confidence_level": LEVEL,
        "interrupted": batch.interrupted,
        "failures": len(batch.failures),
        "scenarios": {runs.scenario.name: summarize_runs(runs) for runs in batch.runs},
    }


def quantile_bands(series: np.ndarray, qs: tuple[float, ...] = (5, 25, 50, 75, 95)
                   ) -> dict[str, np.ndarray]:
    """Per day (columns of ``series``, replications in rows): mean and quantiles."""
    if series.shape[0] == 0:
        empty = np.full(series.shape[1], np.nan)
        return {"mean": empty, **{f"p{q:g}": empty for q in qs}}
    out = {"mean": series.mean(axis=0)}
    for q, band in zip(qs, np.percentile(series, qs, axis=0), strict=True):
        out[f"p{q:g}"] = band
    return out


def survival_curve(event_days: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of replications in which the event has not happened by each day 0..horizon.

    Every replication is followed to the horizon, so the empirical share is the
    Kaplan-Meier estimate (censoring happens only at the horizon itself).
    """
    days = np.arange(horizon + 1, dtype=float)
    n = len(event_days)
    if n == 0:
        return days, np.full(days.shape, np.nan)
    happened = np.where(np.isnan(event_days), np.inf, event_days)
    return days, (happened[None, :] > days[:, None]).sum(axis=1) / n


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x
