"""The shipped scenario set: valid, runnable, fully sourced, and behaving as described."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import unsourced_parameters, unsourced_statements, z_quantile

from sim.analysis.estimates import censored, wilson_interval
from sim.model.observations import load_observations, unknown_facts
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
from sim.scenario.parameter_table import BEGIN, END, render, shipped_scenarios
from sim.scenario.provenance import (
    find_seeds_dir,
    load_facts,
)

REPO = Path(__file__).resolve().parent.parent
FILES = sorted((REPO / "scenarios").glob("*.yaml"))
FACTS = load_facts(REPO / "seeds")
N = 200  # replications per scenario for the direction checks


@pytest.fixture(scope="module")
def batch():
    scenarios = [load_scenario(f) for f in FILES]
    return run_batch(scenarios, N, seed=2024, workers=2)  # the same rows for any workers


def column(batch, name: str, metric: str) -> np.ndarray:
    return batch.by_name(name).column(metric)


def paired_lower(a: np.ndarray, b: np.ndarray, confidence: float = 0.99) -> bool:
    """True when mean(a - b) < 0 with the given one-sided confidence (paired by seed)."""
    d = a - b
    se = d.std(ddof=1) / math.sqrt(len(d))
    return d.mean() + z_quantile(2 * confidence - 1) * se < 0


def test_there_are_at_least_eight_scenarios_with_distinct_names() -> None:
    names = [load_scenario(f).name for f in FILES]
    assert len(names) >= 8
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_parameter_has_provenance_and_cites_known_facts(path: Path) -> None:
    missing, unknown = unsourced_parameters(path, FACTS)
    assert missing == []
    assert unknown == []
    spec = load_scenario(path)
    assert len(" ".join(spec.description.split())) > 80  # a paragraph a student can follow


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_variant_states_the_provenance_of_what_it_changes(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    if "extends" not in raw:
        pytest.skip("a base file: covered by the completeness test")
    unsourced = unsourced_statements(raw)
    if "start_date" in raw:
        assert "start_date" not in unsourced
    assert [p for p in unsourced if p != "start_date"] == []


def test_fact_sheets_cover_what_the_articles_give() -> None:
    assert FACTS["oilprice2015.pre-closure-output"].value == 200
    assert FACTS["oilprice2015.record-exports-april-2015"].value == 3080
    assert FACTS["oilprice2015.government-control-share"].value == 20
    assert FACTS["world2014.helicopters-shot-down"].value == 2
    for fact in FACTS.values():
        assert fact.statement
        if fact.kind == "article":
            assert fact.outlet and fact.date


def test_observations_rest_on_known_article_facts() -> None:
    observations = load_observations(REPO / "seeds" / "observations.yaml")
    assert unknown_facts(FACTS, observations) == []
    for o in observations:
        assert o.facts and all(FACTS[f].kind == "article" for f in o.facts), o.id
        assert o.id not in FACTS  # ids are unique across every sheet
        assert o.note and o.statement and o.quantity


def test_every_shipped_scenario_runs(batch) -> None:
    for runs in batch.runs:
        assert len(runs.seed) == N
        assert not batch.failures


def test_halting_flights_with_nothing_instead_lowers_the_garrisons_chances(batch) -> None:
    assert paired_lower(column(batch, "flights-halted", "garrison_held"),
                        column(batch, "baseline", "garrison_held"))


def test_without_the_launchers_no_helicopter_is_lost(batch) -> None:
    assert np.all(column(batch, "no-launchers", "helicopters_lost") == 0)
    assert np.all(np.isnan(column(batch, "no-launchers", "flights_halted_day")))
    assert column(batch, "baseline", "helicopters_lost").mean() > 0
    assert paired_lower(column(batch, "baseline", "garrison_held"),
                        column(batch, "no-launchers", "garrison_held"))


def test_airdrops_replace_the_helicopters(batch) -> None:
    assert paired_lower(column(batch, "flights-halted", "garrison_held"),
                        column(batch, "us-airdrops", "garrison_held"))
    assert np.all(column(batch, "us-airdrops", "helicopters_lost") == 0)


def test_airstrikes_help_the_garrison(batch) -> None:
    # Paired by seed (common random numbers): the garrison holds more often with the strikes,
    # beyond the interval of the difference (a bare comparison of two means was seed luck).
    assert paired_lower(column(batch, "us-airdrops", "garrison_held"),
                        column(batch, "airdrops-airstrikes", "garrison_held"))
    # Fewer besiegers at the horizon, replication by replication.
    assert paired_lower(batch.by_name("airdrops-airstrikes").series("besieger_strength")[:, -1],
                        batch.by_name("us-airdrops").series("besieger_strength")[:, -1])


def test_only_the_ground_campaign_brings_the_refinery_back(batch) -> None:
    for name in ("baseline", "flights-halted", "us-airdrops", "airdrops-airstrikes"):
        assert np.all(column(batch, name, "operating_days") == 0), name
    assert paired_lower(column(batch, "airdrops-airstrikes", "operating_days"),
                        column(batch, "ground-campaign", "operating_days"))


def test_solving_coordination_lifts_the_siege_sooner_and_runs_the_plant_longer(batch) -> None:
    slow = column(batch, "ground-campaign", "siege_lifted_day")
    fast = column(batch, "coordinated", "siege_lifted_day")
    horizon = load_scenario(REPO / "scenarios" / "coordinated.yaml").horizon_days
    # Censored at the horizon so replications without a lift compare too.
    assert paired_lower(censored(fast, horizon), censored(slow, horizon))
    assert paired_lower(column(batch, "ground-campaign", "operating_days"),
                        column(batch, "coordinated", "operating_days"))


def test_may_2015_starts_with_a_fifth_of_the_plant_over_a_year(batch) -> None:
    runs = batch.by_name("may-2015")
    assert runs.scenario.horizon_days == 365
    assert runs.scenario.start_date.isoformat() == "2015-05-07"
    share = sum(a.holder == "government" for a in runs.scenario.sectors) / len(
        runs.scenario.sectors)
    assert share == pytest.approx(0.2)
    # A year is long enough that some replications see production, most do not: the whole
    # 99.9% Wilson interval of the share lies strictly between 0 and one half (the sample
    # share alone would pass with one replication in 200, whatever the true chance).
    operating = column(batch, "may-2015", "operating_at_horizon")
    _, low, high = wilson_interval(int(operating.sum()), len(operating), 0.999)
    assert low > 0 and high < 0.5, (operating.mean(), low, high)


def test_docs_parameter_table_is_generated_from_the_scenarios() -> None:
    text = (REPO / "docs" / "model.md").read_text()
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == render(shipped_scenarios(REPO)).strip(), (
        "docs/model.md is stale: run `python -m sim.scenario.parameter_table`")


def test_seeds_dir_is_found_from_a_scenario() -> None:
    assert find_seeds_dir(REPO / "scenarios") == REPO / "seeds"
