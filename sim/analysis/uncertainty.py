"""How much of an outcome's spread is our ignorance of the parameters, and how much chance.

A run with ``--uncertainty`` draws every uncertain parameter per group of ``m`` replications
(:class:`sim.scenario.uncertainty.Uncertainty`): ``K`` groups, a Latin hypercube over the
parameters' ranges, and ``m`` replications with their own dice within each group. For an
outcome Y this is the balanced one-way random-effects design

    Y_kj = mu + a_k + e_kj,   Var(a_k) = s2_param,   Var(e_kj) = s2_chance,

whose ANOVA estimators are (Searle, Casella & McCulloch 1992, ch. 3)

    MSB = m * sum_k (Ybar_k - Ybar)^2 / (K - 1),  MSW = sum_kj (Y_kj - Ybar_k)^2 / (K (m - 1)),
    s2_chance = MSW,   s2_param = max(0, (MSB - MSW) / m),

and the parameters' share of the variance is s2_param / (s2_param + s2_chance) (the
intraclass correlation). Its 95% interval is a percentile bootstrap over the groups (the
draws are the units sampled; 1,000 resamples, seeded, so the same run gives the same
interval). The estimators need no normality; with an outcome that never varies (every
replication 0), there is nothing to share out and the entry says so.

Which parameters matter: the Spearman rank correlation between a parameter's drawn value
and its group's mean outcome, over the K groups. With K groups a |rho| above about
1.96 / sqrt(K - 1) is distinguishable from zero at 5% (each test on its own).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.analysis.estimates import censored
from sim.model.metrics import EVENT_DAY_METRICS
from sim.runner.batch import BatchResult, ScenarioRuns

# The outcomes whose spread is shared out (the question's: does the refinery run, does the
# garrison hold).
DECOMPOSED = ("operating_days", "output_share", "refinery_ran", "operating_at_horizon",
              "garrison_held")
RESAMPLES = 1000
LEVEL = 0.95
TOP_DRIVERS = 5


def variance_components(groups: np.ndarray) -> tuple[float, float]:
    """(s2_param, s2_chance) of the balanced one-way design ``groups`` (K, m)."""
    k, m = groups.shape
    means = groups.mean(axis=1)
    msb = m * float(np.sum((means - means.mean()) ** 2)) / (k - 1)
    msw = float(np.sum((groups - means[:, None]) ** 2)) / (k * (m - 1))
    return max(0.0, (msb - msw) / m), msw


def parameter_share(groups: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """The parameters' share of the variance of ``groups`` (K, m) with its bootstrap
    interval, and the two components (see the module docstring)."""
    k, m = groups.shape
    if k < 3 or m < 2:
        return {"share": None, "ci95": [None, None], "groups": k, "per_draw": m,
                "note": "too few draws to share the variance out"}
    s2p, s2c = variance_components(groups)
    total = s2p + s2c
    if total == 0.0:
        return {"share": None, "ci95": [None, None], "groups": k, "per_draw": m,
                "var_parameters": 0.0, "var_chance": 0.0,
                "note": "the outcome does not vary: nothing to share out"}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, k, size=(RESAMPLES, k))
    shares = []
    for pick in picks:
        p, c = variance_components(groups[pick])
        shares.append(p / (p + c) if p + c > 0 else 0.0)
    low, high = np.quantile(shares, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return {"share": s2p / total, "ci95": [float(low), float(high)], "groups": k,
            "per_draw": m, "var_parameters": s2p, "var_chance": s2c}


def _grouped(runs: ScenarioRuns, metric: str, per_draw: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """The metric as (complete groups, m) and those groups' indices."""
    values = runs.column(metric)
    if metric in EVENT_DAY_METRICS:
        values = censored(values, float(runs.scenario.horizon_days))
    group = runs.replication // per_draw
    ids, counts = np.unique(group, return_counts=True)
    complete = ids[counts == per_draw]
    keep = np.isin(group, complete) & ~np.isnan(values)
    order = np.lexsort((runs.replication[keep], group[keep]))
    table = values[keep][order]
    if len(table) % per_draw:  # a NaN in a group (a metric undefined there): drop it
        return np.empty((0, per_draw)), np.empty(0, dtype=int)
    return table.reshape(-1, per_draw), complete


def drivers(runs: ScenarioRuns, groups: np.ndarray, ids: np.ndarray, per_draw: int
            ) -> list[dict[str, Any]]:
    """The parameters most rank-correlated with their group's mean outcome."""
    if runs.parameters is None or len(ids) < 3:
        return []
    means = groups.mean(axis=1)
    if np.ptp(means) == 0.0:
        return []
    # Imported here: the figures' worker processes import this module for DECOMPOSED, and
    # scipy.stats would add half a second to each (benchmarks/README.md, Figures).
    from scipy import stats

    first = {int(g): i for i, g in enumerate((runs.replication // per_draw).tolist())}
    rows: list[dict[str, Any]] = []
    for path, values in runs.parameters.items():
        drawn = values[[first[int(g)] for g in ids]]
        if np.ptp(drawn) == 0.0:
            continue
        rho = float(stats.spearmanr(drawn, means).statistic)
        if math.isfinite(rho):
            rows.append({"parameter": path, "spearman_rho": rho})
    rows.sort(key=lambda r: -abs(float(r["spearman_rho"])))
    return rows[:TOP_DRIVERS]


def uncertainty_summary(batch: BatchResult) -> dict[str, Any] | None:
    """What summary.json says about parameter uncertainty (None for a run without it)."""
    spec = batch.uncertainty
    if spec is None:
        return None
    out: dict[str, Any] = {"per_draw": spec.per_draw, "shape": spec.shape,
                           "method": "Latin hypercube over the provenance ranges; one-way "
                                     "random-effects ANOVA, bootstrap over the draws",
                           "significant_rho": None, "scenarios": {}}
    for runs in batch.runs:
        post = runs.scenario.posterior
        entry: dict[str, Any] = {"parameters": sorted(runs.parameters or {}), "metrics": {},
                                 "drawn_from": "ranges" if post is None else
                                 f"posterior of {post.source.folder}"}
        for metric in DECOMPOSED:
            groups, ids = _grouped(runs, metric, spec.per_draw)
            result = parameter_share(groups, seed=batch.seed & 0xFFFFFFFF)
            result["drivers"] = drivers(runs, groups, ids, spec.per_draw)
            entry["metrics"][metric] = result
            if len(ids) > 1:
                out["significant_rho"] = 1.96 / math.sqrt(len(ids) - 1)
        out["scenarios"][runs.scenario.name] = entry
    return out
