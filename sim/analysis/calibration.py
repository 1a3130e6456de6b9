"""What the articles' dated observations say about the uncertain parameters.

A run with parameter uncertainty (:mod:`sim.scenario.uncertainty`) draws K parameter sets
theta_k from their prior (uniform or triangular over the provenance ranges, a Latin
hypercube) and runs m replications of each. A replication is *consistent* when it agrees
with every observation the scenario tests (seeds/observations.yaml; the ``obs.*``
metrics). The share of draw k's replications that are consistent, w_k, estimates the
likelihood L(theta_k) = P(consistent | theta_k) without bias, so weighting the draws by
w_k is importance sampling from the posterior with the prior as proposal (a
likelihood-free, "ABC rejection" reading with zero tolerance, Pritchard et al. 1999):

    E_post[g(theta)] ~= sum_k w_k g(theta_k) / sum_k w_k.

Reported: the effective sample size ESS = (sum w)^2 / sum w^2 (how many independent
posterior draws the weights are worth; few means the observations rule most draws out and
the run needs more draws), each parameter's prior and posterior medians and 90% intervals
(weighted quantiles) and how much the interval shrank, each observation's consistency
before and after, and the outcomes' prior and posterior means with 95% bootstrap
intervals over the draws. What a replication predicts "after" is weighted by the other
replications of its draw (:func:`held_out_weights`), so its own dice do not count twice.

Why not a library's ABC-SMC sampler (pyabc): the summaries here are a handful of 0/1
observations with a joint acceptance of a few per cent to tens of per cent, so plain
importance weighting of one space-filling design reaches a useful ESS in a single batch,
which streams, resumes and keeps common random numbers through the runner; pyabc would
bring some thirty packages (a database, redis, scikit-learn, ipykernel) to the install. The
ESS says when that stops being true (then: more draws, or narrower ranges and a second run).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.analysis.estimates import censored
from sim.analysis.uncertainty import DECOMPOSED
from sim.model.metrics import EVENT_DAY_METRICS, METRICS
from sim.runner.batch import BatchResult, ScenarioRuns
from sim.scenario.uncertainty import uncertain_parameters

OBSERVATIONS = tuple(m for m in METRICS if m.startswith("obs."))
RESAMPLES = 500
LEVEL = 0.95


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]
                       ) -> list[float]:
    """Quantiles of the discrete distribution putting ``weights`` on ``values`` (the
    smallest value whose cumulative weight reaches q)."""
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    cumulative = np.cumsum(weights[order]) / weights.sum()
    picks = np.minimum(np.searchsorted(cumulative, np.asarray(qs) - 1e-12), len(values) - 1)
    return [float(x) for x in ranked[picks]]


def parameter_posterior(values: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    """One parameter's prior and posterior 5/50/95% quantiles over the draws ``values``
    weighted by ``w``, and the shrinkage: 1 - posterior 90% width / prior 90% width (0: the
    observations say nothing about it; 1: they pin it down)."""
    prior = [float(x) for x in np.quantile(values, [0.05, 0.5, 0.95])]
    post = weighted_quantiles(values, w, [0.05, 0.5, 0.95])
    width = prior[2] - prior[0]
    return {"prior": prior, "posterior": post,
            "shrinkage": 1.0 - (post[2] - post[0]) / width if width > 0 else 0.0}


def group_means(replication: np.ndarray, values: np.ndarray, per_draw: int) -> np.ndarray:
    """Mean of ``values`` over each draw's replications (draw = replication // per_draw),
    in draw order."""
    ids, inverse = np.unique(replication // per_draw, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(ids))
    return sums / np.bincount(inverse, minlength=len(ids))


def by_draw(runs: ScenarioRuns, values: np.ndarray, per_draw: int) -> np.ndarray:
    """Mean of ``values`` over each draw's replications, in draw order."""
    return group_means(runs.replication, values, per_draw)


def agrees_with_all(columns: dict[str, np.ndarray]) -> np.ndarray:
    """1.0 for each replication consistent with every observation of ``columns`` (the
    ``obs.*`` columns a scenario tests), else 0.0."""
    return np.all(np.stack([c == 1.0 for c in columns.values()]), axis=0).astype(float)


def draw_values(runs: ScenarioRuns, per_draw: int) -> dict[str, np.ndarray]:
    """Each parameter's value in each draw (draw order)."""
    groups = runs.replication // per_draw
    _, first = np.unique(groups, return_index=True)
    return {p: v[first] for p, v in (runs.parameters or {}).items()}


def tested_observations(runs: ScenarioRuns) -> list[str]:
    """The observations the scenario tests (their columns are not all empty)."""
    return [m for m in OBSERVATIONS if not np.all(np.isnan(runs.column(m)))]


def consistent(runs: ScenarioRuns) -> np.ndarray:
    """1.0 for each replication consistent with every tested observation, else 0.0."""
    return agrees_with_all({m: runs.column(m) for m in tested_observations(runs)})


def draw_weights(runs: ScenarioRuns, per_draw: int) -> np.ndarray:
    """w_k: the share of draw k's replications consistent with every tested observation."""
    return by_draw(runs, consistent(runs), per_draw)


def held_out_weights(runs: ScenarioRuns, per_draw: int) -> np.ndarray:
    """Each replication's weight from the *other* replications of its draw: the share of
    them consistent with every observation (0 for a draw of one replication).

    A predictive check or a posterior outcome weighted by w_k, estimated from the same
    replications as the outcome, would count the dice twice: a draw whose replications
    happened to agree with the articles gets a high weight *and* agreeing outcomes, so the
    observations' shares "after" came out too high (0.37 instead of 0.17 for the campaign's
    "insurgents hold most", which a run of the calibrated file measures at 0.19). Held out,
    the weight is independent of the replication's own dice and still estimates L(theta_k)
    without bias, so the weighted mean estimates the posterior predictive mean."""
    agrees = consistent(runs)
    groups = runs.replication // per_draw
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=agrees)
    others = counts[inverse] - 1
    return np.where(others > 0, (sums[inverse] - agrees) / np.maximum(others, 1), 0.0)


def posterior_draws(runs: ScenarioRuns, per_draw: int
                    ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(paths, values (draws, paths), weights) of the draws with a weight above 0: the
    posterior a calibrated scenario file carries."""
    w = draw_weights(runs, per_draw)
    values = draw_values(runs, per_draw)
    paths = list(values)
    keep = w > 0
    table = np.column_stack([values[p] for p in paths]) if paths else np.empty((len(w), 0))
    return paths, table[keep], w[keep]


def calibrate_runs(runs: ScenarioRuns, per_draw: int, seed: int = 0) -> dict[str, Any] | None:
    """The posterior reading of one scenario's draws (None if it tests no observation, or
    if its draws come from a posterior already: weighing them by the observations again
    would count the observations twice)."""
    tested = tested_observations(runs)
    if not tested or not runs.parameters or runs.scenario.posterior is not None:
        return None
    columns = {m: runs.column(m) for m in tested}
    w = draw_weights(runs, per_draw)
    k = len(w)
    out: dict[str, Any] = {"observations": tested, "draws": k, "per_draw": per_draw,
                           "acceptance": float(consistent(runs).mean())}
    if w.sum() == 0.0:
        out.update(ess=0.0, note="no replication agrees with every observation: the "
                   "parameters' ranges (or the model) cannot reproduce the articles")
        return out
    out["ess"] = float(w.sum() ** 2 / np.sum(w ** 2))
    ranges = uncertain_parameters(runs.scenario)
    params: list[dict[str, Any]] = []
    for path, values in draw_values(runs, per_draw).items():
        params.append({"parameter": path, "range": list(ranges.get(path, (None, None))),
                       **parameter_posterior(values, w)})
    params.sort(key=lambda r: -float(r["shrinkage"]))
    out["parameters"] = params
    held_out = held_out_weights(runs, per_draw)
    out["observation_shares"] = {
        m: {"prior": float(np.mean(columns[m])),
            "posterior": float(np.sum(held_out * columns[m]) / held_out.sum())}
        for m in tested}
    out["outcomes"] = _outcomes(runs, w, per_draw, seed)
    return out


def _outcomes(runs: ScenarioRuns, w: np.ndarray, per_draw: int, seed: int
              ) -> dict[str, Any]:
    """Each outcome's mean before and after weighting (the after with held-out weights:
    :func:`held_out_weights`), with bootstrap intervals over the draws."""
    rng = np.random.default_rng(seed)
    k = len(w)
    picks = rng.integers(0, k, size=(RESAMPLES, k))
    lo, hi = (1 - LEVEL) / 2, (1 + LEVEL) / 2
    held_out = held_out_weights(runs, per_draw)
    _, inverse = np.unique(runs.replication // per_draw, return_inverse=True)
    weight_of_draw = np.bincount(inverse, weights=held_out, minlength=k)
    out = {}
    for metric in DECOMPOSED:
        values = runs.column(metric)
        if metric in EVENT_DAY_METRICS:
            values = censored(values, float(runs.scenario.horizon_days))
        means = by_draw(runs, values, per_draw)
        weighted = np.bincount(inverse, weights=held_out * values, minlength=k)
        prior_boot = means[picks].mean(axis=1)
        tops, bottoms = weighted[picks].sum(axis=1), weight_of_draw[picks].sum(axis=1)
        post_boot = tops[bottoms > 0] / bottoms[bottoms > 0]
        out[metric] = {
            "prior": float(means.mean()),
            "prior_ci95": [float(x) for x in np.quantile(prior_boot, [lo, hi])],
            "posterior": float(weighted.sum() / weight_of_draw.sum()),
            "posterior_ci95": [float(x) for x in np.quantile(post_boot, [lo, hi])]
            if len(post_boot) else [None, None]}
    return out


def calibration_summary(batch: BatchResult) -> dict[str, Any] | None:
    """summary.json's ``calibration``: per scenario that tests an observation."""
    if batch.uncertainty is None:
        return None
    found = {}
    for runs in batch.runs:
        entry = calibrate_runs(runs, batch.uncertainty.per_draw, seed=batch.seed & 0xFFFFFFFF)
        if entry is not None:
            found[runs.scenario.name] = entry
    return found or None
