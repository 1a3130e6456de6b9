"""Intervals, survival and quantiles against known answers and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import scenario, z_quantile

from sim.analysis.estimates import (
    horizons_note,
    kaplan_meier,
    mean_interval,
    quantile_interval,
    summarize,
    survival_curve,
    time_to_event,
    wilson_interval,
)
from sim.runner.batch import run_batch


def test_wilson_matches_published_values() -> None:
    # Newcombe (1998), Table I: 0/10 -> [0, 0.2775]; 5/10 -> [0.2366, 0.7634].
    _, lo, hi = wilson_interval(0, 10)
    assert (lo, round(hi, 4)) == (0.0, 0.2775)
    _, lo, hi = wilson_interval(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)


def test_t_interval_matches_the_formula() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    mean, lo, hi = mean_interval(x)
    half = 2.7764451 * x.std(ddof=1) / math.sqrt(5)  # t(0.975, 4)
    assert (mean, lo, hi) == pytest.approx((4.0, 4 - half, 4 + half), rel=1e-6)


def coverage(hits: int, trials: int, level: float) -> None:
    """The observed coverage is not below ``level`` beyond sampling error (99.9%)."""
    se = math.sqrt(level * (1 - level) / trials)
    assert hits / trials >= level - z_quantile(0.998) * se, hits / trials


def test_order_statistic_interval_covers_the_true_quantile() -> None:
    rng = np.random.default_rng(11)
    trials, n = 2000, 40
    true_median, true_p90 = math.log(2), -math.log(0.1)  # exponential(1)
    hits_median = hits_p90 = 0
    for _ in range(trials):
        x = rng.exponential(1.0, n)
        _, lo, hi = quantile_interval(x, 0.5)
        hits_median += lo <= true_median <= hi
        _, lo, hi = quantile_interval(x, 0.9)
        hits_p90 += (lo <= true_p90 <= hi) if not math.isnan(lo) else 0
    coverage(hits_median, trials, 0.95)
    coverage(hits_p90, trials, 0.95)


def test_quantile_interval_admits_when_the_sample_is_too_small() -> None:
    _, lo, hi = quantile_interval(np.arange(5.0), 0.95)
    assert math.isnan(lo) and math.isnan(hi)


def test_kaplan_meier_hand_example() -> None:
    # times 1,2,2,3+,4,5+ (+ censored): S(1)=5/6, S(2)=5/6*2/4... at risk 5 at t=2 with 2 events
    times = np.array([1, 2, 2, 3, 4, 5], dtype=float)
    events = np.array([1, 1, 1, 0, 1, 0], dtype=bool)
    km = kaplan_meier(times, events)
    assert list(km["time"]) == [0, 1, 2, 4]
    expected = [1, 5 / 6, 5 / 6 * 3 / 5, 5 / 6 * 3 / 5 * 1 / 2]
    assert km["survival"] == pytest.approx(expected)
    assert np.all(km["low"] <= km["survival"]) and np.all(km["survival"] <= km["high"])


def test_kaplan_meier_equals_the_daily_share_when_censoring_is_at_the_horizon() -> None:
    rng = np.random.default_rng(3)
    t = rng.exponential(50, 300)
    horizon = 60
    days = np.where(t < horizon, t, np.nan)
    km = kaplan_meier(np.minimum(t, horizon), t < horizon)
    grid, share = survival_curve(days, horizon)
    for d, s in zip(grid, share, strict=True):
        step = km["survival"][np.searchsorted(km["time"], d, side="right") - 1]
        assert step == pytest.approx(s)


def test_censored_event_days_are_never_averaged_as_if_complete() -> None:
    days = np.array([10.0, 20.0, np.nan, np.nan])  # two events, two not by day 100
    out = time_to_event(days, horizon=100.0)
    assert out["events"] == 2
    assert out["p_event_by_horizon"]["share"] == 0.5
    assert out["restricted_mean"]["mean"] == pytest.approx((10 + 20 + 100 + 100) / 4)
    assert out["median"] == 20.0  # S drops to 1/2 at day 20
    # The "mean" of an event day is the restricted mean, never the mean of observed days.
    assert out["mean"] == out["restricted_mean"]["mean"] != 15.0
    assert out["p5"] == 10.0 and out["p95"] is None  # 95% never have the event


def test_median_not_reached_is_reported_as_such() -> None:
    days = np.array([5.0] + [np.nan] * 9)
    out = time_to_event(days, horizon=30.0)
    assert out["median"] is None


def test_a_comparison_across_different_horizons_carries_a_note() -> None:
    long_run = scenario(horizon_days=120).model_copy(update={"name": "long"})
    short_run = scenario(horizon_days=60).model_copy(update={"name": "short"})
    same = scenario(horizon_days=120).model_copy(update={"name": "same"})
    mixed = summarize(run_batch([long_run, short_run], 3, seed=1, workers=1))
    assert mixed["scenarios"]["short"]["horizon_days"] == 60
    assert "long 120, short 60" in mixed["horizons_note"]
    assert horizons_note({"a": 180, "b": 180}) is None
    assert "horizons_note" not in summarize(run_batch([long_run, same], 3, seed=1, workers=1))


def test_an_interval_below_zero_of_an_amount_is_clipped_and_says_so() -> None:
    # 40 replications in which the garrison's lowest stock is mostly 0 (issue 15): the
    # Student-t interval reaches below 0, which no stock can.
    from pathlib import Path

    from sim.output.tables import comparison_table
    from sim.scenario.loading import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    spec = load_scenario(base, ["supply_operators.government helicopters.aircraft=2"])
    batch = run_batch([spec], 40, seed=7, workers=1)
    summary = summarize(batch)
    entry = summary["scenarios"]["baseline"]["metrics"]["min_supply_days"]
    _, t_low, t_high = mean_interval(batch.runs[0].column("min_supply_days"))
    assert t_low < 0  # the case the rule is for
    assert entry["ci95"] == [0.0, pytest.approx(t_high)] and entry["ci_clipped"] is True
    held = summary["scenarios"]["baseline"]["metrics"]["supplies_delivered_t"]
    assert "ci_clipped" not in held and held["ci95"][0] > 0
    assert "clipped" in str(comparison_table(summary).caption)
