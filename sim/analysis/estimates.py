"""Summaries of a batch: every estimate with its interval.

Means get Student-t 95% intervals; shares (0/1 metrics) get Wilson intervals,
which stay inside [0, 1] and behave at 0% and 100% where the normal
approximation does not; quantiles get distribution-free order-statistic
intervals. Metrics that are the day of an event are censored at the horizon
(the event may come later or never), so they are never averaged as if
complete: they get a Kaplan-Meier survival curve with a confidence band, the
median where the curve reaches one half, the probability of the event by the
horizon, and the mean restricted to the horizon, E[min(T, horizon)]. A mean's
Student-t interval is kept within the values the metric can take
(:func:`bounded_interval`; ``ci_clipped`` marks where it was clipped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from sim.analysis.stopped import stopped_refinery
from sim.model.metrics import BINARY_METRICS, EVENT_DAY_METRICS, METRICS, REGISTRY
from sim.model.observations import face_validity
from sim.runner.batch import BatchResult, ScenarioRuns

TIME_TO_EVENT = EVENT_DAY_METRICS
LEVEL = 0.95


def censored(event_days: np.ndarray, horizon: float) -> np.ndarray:
    """Event days as ``min(T, horizon)``: an event that did not happen (NaN) counts as the
    horizon. The one place a censored event day becomes a number (comparisons, precision,
    sensitivity)."""
    return np.minimum(np.where(np.isnan(event_days), horizon, event_days), horizon)


def mean_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval; NaN bounds with fewer than 2 values."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(values))
    if n < 2:
        return mean, math.nan, math.nan
    half = float(special.stdtrit(n - 1, 0.5 + level / 2) * np.std(values, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> tuple[float, float, float]:
    """(share, low, high) for ``successes`` out of ``n``, by Wilson's score method."""
    if n == 0:
        return math.nan, math.nan, math.nan
    z = float(special.ndtri(0.5 + level / 2))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def quantile_interval(values: np.ndarray, q: float, level: float = LEVEL
                      ) -> tuple[float, float, float]:
    """(estimate, low, high) for the q-quantile, from order statistics alone.

    The number of observations below the true quantile is Binomial(n, q); the
    ranks l < u are chosen so that P(l <= B < u) >= ``level``, and [x_(l), x_(u)]
    then covers the quantile with at least that probability, whatever the
    distribution. NaN bounds when n is too small for the level.
    """
    from scipy import stats  # here: scipy.stats costs half a second to import, and the
    # figures, drawn in worker processes, use only the quantiles of t and the normal above
    # (scipy.special, the functions scipy.stats calls for them: the same numbers)

    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    estimate = float(np.quantile(x, q))
    alpha = 1.0 - level
    lo_rank = int(stats.binom.ppf(alpha / 2, n, q))  # 1-based rank of the lower bound
    hi_rank = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    if lo_rank < 1 or hi_rank > n:
        return estimate, math.nan, math.nan
    return estimate, float(x[lo_rank - 1]), float(x[hi_rank - 1])


def describe(values: np.ndarray, binary: bool = False) -> dict[str, Any]:
    """Summary of a fully observed metric: mean and quantiles, each with its 95% interval."""
    observed = values[~np.isnan(values)]
    n = len(observed)
    out: dict[str, Any] = {"kind": "share" if binary else "mean", "n": n,
                           "n_missing": int(len(values) - n)}
    if binary:
        mean, lo, hi = wilson_interval(int(observed.sum()), n)
        out["ci_method"] = "wilson"
    else:
        mean, lo, hi = mean_interval(observed)
        out["ci_method"] = "student-t"
    out["mean"], out["ci95"] = _num(mean), [_num(lo), _num(hi)]
    for name, q in (("median", 0.5), ("p5", 0.05), ("p95", 0.95)):
        est, qlo, qhi = quantile_interval(observed, q)
        out[name], out[f"{name}_ci95"] = _num(est), [_num(qlo), _num(qhi)]
    out["std"] = _num(np.std(observed, ddof=1)) if n > 1 else None
    return out


def kaplan_meier(times: np.ndarray, events: np.ndarray, level: float = LEVEL
                 ) -> dict[str, np.ndarray]:
    """Kaplan-Meier survival with Greenwood's variance and a log-log confidence band.

    ``times``: event time or censoring time; ``events``: True if the event happened.
    Returns the step function at t = 0 and at each distinct event time.
    """
    times = np.asarray(times, dtype=float)
    events = np.asarray(events, dtype=bool)
    z = float(special.ndtri(0.5 + level / 2))
    event_times, died = np.unique(times[events], return_counts=True)
    at_risk = len(times) - np.searchsorted(np.sort(times), event_times, side="left")
    surv = np.cumprod(1.0 - died / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > died, died / (at_risk * (at_risk - died)), 0.0)
        se = np.sqrt(np.cumsum(terms)) / np.abs(np.log(surv))
        inside = (surv > 0.0) & (surv < 1.0)
        # The log-log transform keeps the band inside (0, 1).
        lo = np.where(inside, surv ** np.exp(z * se), surv)
        hi = np.where(inside, surv ** np.exp(-z * se), surv)
    one = np.ones(1)
    return {"time": np.concatenate([[0.0], event_times]),
            "survival": np.concatenate([one, surv]),
            "low": np.concatenate([one, lo]), "high": np.concatenate([one, hi])}


def _first_time_at_or_below(time: np.ndarray, curve: np.ndarray, level: float) -> float | None:
    below = np.nonzero(curve <= level + 1e-12)[0]
    return float(time[below[0]]) if below.size else None


def time_to_event(event_days: np.ndarray, horizon: float, level: float = LEVEL
                  ) -> dict[str, Any]:
    """Summary of an event day censored at the horizon (NaN: not by the horizon)."""
    happened = ~np.isnan(event_days)
    n, k = len(event_days), int(happened.sum())
    times = np.where(happened, event_days, horizon)
    km = kaplan_meier(times, happened, level)
    share, plo, phi = wilson_interval(k, n, level)
    rmean, rlo, rhi = mean_interval(np.minimum(times, horizon), level)
    return {
        "kind": "time_to_event", "n": n, "events": k, "horizon": horizon,
        # The common keys, with censoring-aware meanings: the mean is restricted to the
        # horizon; the quantiles are Kaplan-Meier times by which that share had the event.
        "mean": _num(rmean), "ci95": [_num(rlo), _num(rhi)], "ci_method": "student-t",
        "mean_is": "restricted mean E[min(T, horizon)]",
        "p5": _first_time_at_or_below(km["time"], km["survival"], 0.95),
        "p95": _first_time_at_or_below(km["time"], km["survival"], 0.05),
        "p_event_by_horizon": {"share": _num(share), "ci95": [_num(plo), _num(phi)],
                               "ci_method": "wilson"},
        # Median time to the event: where the KM curve first reaches 1/2 (None: not reached
        # within the horizon); its interval from where the band's edges reach 1/2.
        "median": _first_time_at_or_below(km["time"], km["survival"], 0.5),
        "median_ci95": [_first_time_at_or_below(km["time"], km["low"], 0.5),
                        _first_time_at_or_below(km["time"], km["high"], 0.5)],
        "restricted_mean": {"mean": _num(rmean), "ci95": [_num(rlo), _num(rhi)],
                            "ci_method": "student-t",
                            "note": "E[min(T, horizon)]: days until the event or the horizon"},
    }


def bounded_interval(metric: str, ci: Sequence[float | None]
                     ) -> tuple[float | None, float | None, bool]:
    """(low, high, clipped): the 95% interval ``ci`` of ``metric``'s mean, kept within the
    values the metric can take (:attr:`sim.model.metrics.Metric.bounds`: no count, amount,
    day or share is negative; shares of a whole end at 1).

    Shares of replications already have Wilson intervals, which never leave [0, 1]. The
    Student-t interval of a non-negative amount can reach below 0 when most replications
    give 0 (``0.075 [-0.073, 0.224]`` helicopters lost); it is clipped at the bound, and
    ``clipped`` says so. Clipping changes no coverage: the true mean lies within the
    bounds, so it lies in the clipped interval exactly when it lies in the Student-t one.
    It does not mend the t-interval's other weakness with such skewed data (too short on
    the upper side when the non-zero values are rare), which only more replications or a
    model of the counts would (a percentile bootstrap stays within the bounds too, but is as
    short at a few dozen replications, and would make the numbers depend on a resampling
    seed).
    """
    lo, hi = ci[0], ci[1]
    known = REGISTRY.get(metric)
    if known is None:
        return lo, hi, False
    floor, ceiling = known.bounds
    clipped = False
    if lo is not None and lo < floor:
        lo, clipped = floor, True
    if hi is not None and ceiling is not None and hi > ceiling:
        hi, clipped = ceiling, True
    return lo, hi, clipped


def summarize_runs(runs: ScenarioRuns) -> dict[str, Any]:
    """Per metric of one scenario: estimates with intervals (see the module docstring)."""
    horizon = float(runs.scenario.horizon_days)
    metrics: dict[str, Any] = {}
    for name in METRICS:
        if name in TIME_TO_EVENT:
            metrics[name] = time_to_event(runs.column(name), horizon)
        else:
            metrics[name] = entry = describe(runs.column(name), binary=name in BINARY_METRICS)
            lo, hi, clipped = bounded_interval(name, entry["ci95"])
            if clipped:
                entry["ci95"], entry["ci_clipped"] = [lo, hi], True
    return {"replications": len(runs.seed), "horizon_days": runs.scenario.horizon_days,
            "metrics": metrics}


def horizons_note(horizons: dict[str, int]) -> str | None:
    """What a reader of the comparison must know when the scenarios' horizons differ."""
    if len(set(horizons.values())) < 2:
        return None
    listed = ", ".join(f"{name} {days}" for name, days in horizons.items())
    return (f"The scenarios run for different horizons (days: {listed}). Totals such as "
            "operating days, refined oil, sorties and supplies cover different periods, so "
            "compare them with care; paired comparisons and the selection cut event days at "
            "the shorter horizon of the scenarios they compare.")


def summarize(batch: BatchResult) -> dict[str, Any]:
    """The content of summary.json."""
    note = horizons_note({r.scenario.name: r.scenario.horizon_days for r in batch.runs})
    summary: dict[str, Any] = {
        "seed": batch.seed,
        "replications_requested": batch.replications,
        "confidence_level": LEVEL,
        "interrupted": batch.interrupted,
        "failures": len(batch.failures),
        **({"horizons_note": note} if note else {}),
        "scenarios": {runs.scenario.name: summarize_runs(runs) for runs in batch.runs},
    }
    checks = face_validity({r.scenario.name: r.scenario for r in batch.runs},
                           {n: e["metrics"] for n, e in summary["scenarios"].items()}, LEVEL)
    if checks:
        summary["face_validity"] = checks
    stopped = stopped_refinery(summary)
    if stopped:
        summary["stopped_refinery"] = stopped
    stopped = stopped_refinery(summary, "insurgents")
    if stopped:
        summary["stopped_refinery_insurgents"] = stopped
    return summary


def survival_curve(event_days: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of replications in which the event has not happened by each day 0..horizon.

    Every replication is followed to the horizon, so this empirical share is the
    Kaplan-Meier estimate sampled daily (censoring happens only at the horizon).
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
