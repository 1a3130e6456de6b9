"""Comparing scenarios replication by replication, under common random numbers.

Replication i of every scenario uses the same seed, and each source of
randomness has its own stream, so the paired difference X_i(s) - X_i(base)
removes most of the noise the two scenarios share. For each scenario and
metric this module reports the mean paired difference with its Student-t
interval, a paired t-test, and a Holm step-down correction over the whole
family of comparisons (so that "significant" stays honest when many are made).
It also reports the variance reduction that pairing achieved:

    (Var X(s) + Var X(base)) / Var(X(s) - X(base))

the factor by which independent sampling would need more replications for
the same precision. Event days are compared as min(T, H), the days until the
event or H, with H the shorter of the two scenarios' horizons: a day censored
at 180 and one censored at 365 are not comparable.

:func:`select_best` is the screening procedure of Nelson, Swann, Goldsman and
Song (2001, Operations Research 49(6)): with a common number of replications n
and paired sample variances S_ij^2 = Var(X_i - X_j), scenario i stays in the
subset if mean_i >= mean_j - t S_ij / sqrt(n) for every j (for a maximum),
with t the (1 - alpha)^(1/(k-1)) quantile of Student's t with n - 1 degrees of
freedom. The subset contains the best scenario with probability >= 1 - alpha
(for normal data; with hundreds of replications the means are close to normal).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from sim.analysis.estimates import LEVEL, TIME_TO_EVENT, censored
from sim.model.metrics import REGISTRY
from sim.runner.batch import BatchResult, ScenarioRuns

# Metrics compared by default, and whether more is better (for selection; the registry says).
COMPARED = {name: bool(REGISTRY[name].higher_is_better) for name in (
    "operating_days", "refined_kbbl", "operating_at_horizon", "garrison_held",
    "gov_control_final", "helicopters_lost", "supplies_delivered_t", "garrison_fall_day",
    "siege_lifted_day", "first_operating_day")}


def paired_values(runs: ScenarioRuns, metric: str, index: np.ndarray,
                  horizon: float | None = None) -> np.ndarray:
    """The metric for the given replication indices; event days as min(T, horizon).

    ``horizon`` (default: the scenario's own) must be common to the scenarios
    compared: event days censored at different horizons are not comparable.
    """
    position = {int(r): k for k, r in enumerate(runs.replication)}
    values = runs.column(metric)[[position[int(r)] for r in index]]
    if metric in TIME_TO_EVENT:
        values = censored(values, runs.scenario.horizon_days if horizon is None else horizon)
    return values


def common_replications(a: ScenarioRuns, b: ScenarioRuns) -> np.ndarray:
    return np.intersect1d(a.replication, b.replication)


def paired_difference(x: np.ndarray, y: np.ndarray, level: float = LEVEL) -> dict[str, Any]:
    """Mean of x - y with its interval, a paired t-test and the variance reduction."""
    d = x - y
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    var_d = float(d.var(ddof=1)) if n > 1 else math.nan
    var_indep = float(x.var(ddof=1) + y.var(ddof=1)) if n > 1 else math.nan
    if n > 1 and var_d > 0:
        se = math.sqrt(var_d / n)
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
        p = float(2 * stats.t.sf(abs(mean) / se, n - 1))
        lo, hi = mean - half, mean + half
    else:  # identical in every replication, or too few to say
        lo = hi = mean
        p = 1.0 if mean == 0 or n <= 1 else 0.0
    reduction = var_indep / var_d if n > 1 and var_d > 0 else (
        math.inf if n > 1 and var_indep > 0 else None)
    return {"n": n, "mean_difference": mean, "ci95": [lo, hi], "p_value": p,
            "variance_independent": var_indep, "variance_paired": var_d,
            "variance_reduction": reduction}


def holm(p_values: list[float], alpha: float = 1 - LEVEL) -> tuple[list[float], list[bool]]:
    """Holm's step-down adjusted p-values, and which hypotheses are rejected at ``alpha``."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted, [a <= alpha for a in adjusted]


def compare_to_baseline(batch: BatchResult, baseline: str,
                        metrics: tuple[str, ...] = tuple(COMPARED),
                        level: float = LEVEL) -> dict[str, Any]:
    """Every other scenario against ``baseline``, paired by replication, Holm-corrected."""
    base = batch.by_name(baseline)
    rows: list[dict[str, Any]] = []
    for runs in batch.runs:
        if runs.scenario.name == baseline:
            continue
        index = common_replications(runs, base)
        horizon = min(runs.scenario.horizon_days, base.scenario.horizon_days)
        for metric in metrics:
            if len(index) < 2:  # an interrupted run: nothing to say, and no test to count
                entry = {"n": len(index), "mean_difference": None, "ci95": [None, None],
                         "p_value": None, "variance_independent": None,
                         "variance_paired": None, "variance_reduction": None,
                         "note": f"only {len(index)} replications finished in both: "
                                 "no comparison"}
            else:
                entry = paired_difference(paired_values(runs, metric, index, horizon),
                                          paired_values(base, metric, index, horizon), level)
            rows.append({"scenario": runs.scenario.name, "metric": metric,
                         "censored_at_day": horizon if metric in TIME_TO_EVENT else None,
                         **entry})
    tested = [r for r in rows if r["p_value"] is not None]
    adjusted, rejected = holm([r["p_value"] for r in tested], 1 - level)
    for row in rows:
        row["p_holm"], row["significant"] = None, False
    for row, adj, rej in zip(tested, adjusted, rejected, strict=True):
        row["p_holm"] = adj
        row["significant"] = rej
    return {"baseline": baseline, "level": level, "correction": "holm", "comparisons": rows}


def select_best(batch: BatchResult, metric: str, maximize: bool = True,
                level: float = LEVEL) -> dict[str, Any]:
    """Subset of scenarios that contains the best one with probability >= ``level``."""
    runs = batch.runs
    k = len(runs)
    index = runs[0].replication
    for r in runs[1:]:
        index = np.intersect1d(index, r.replication)
    n = len(index)
    sign = 1 if maximize else -1
    horizon = min(r.scenario.horizon_days for r in runs)
    values = [paired_values(r, metric, index, horizon) * sign for r in runs]
    means = [float(v.mean()) if n else math.nan for v in values]
    note = None
    if k > 1 and n < 2:  # an interrupted run: too few replications common to all to choose
        keep, t = [], None
        note = f"only {n} replications finished in all {k} scenarios: no selection"
    elif k == 1:
        keep, t = [0], None
    else:
        t = float(stats.t.ppf((level) ** (1.0 / (k - 1)), n - 1))
        keep = []
        for i in range(k):
            ok = True
            for j in range(k):
                if i == j:
                    continue
                s_ij = float(np.std(values[i] - values[j], ddof=1))
                if means[i] < means[j] - t * s_ij / math.sqrt(n):
                    ok = False
                    break
            if ok:
                keep.append(i)
    return {
        "metric": metric, "goal": "maximize" if maximize else "minimize",
        "procedure": "Nelson, Swann, Goldsman & Song (2001) screening with paired variances",
        "confidence": level, "replications": n, "t": t,
        "subset": [runs[i].scenario.name for i in keep],
        "means": {runs[i].scenario.name: sign * means[i] if n else None for i in range(k)},
        **({"note": note} if note else {}),
    }
