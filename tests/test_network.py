"""The dependence network: which side a link serves, and sabotage with repair."""

from __future__ import annotations

import pytest
from conftest import assert_mean_within, scenario

from sim.model.replication import Replication, run_replication
from sim.model.world import GOV, INS


def test_a_link_serves_only_the_side_holding_every_area_on_it() -> None:
    rep = Replication(scenario(), seed=1)
    net = rep.refinery.network
    assert net.capacity(GOV) == (300.0, 300.0)
    assert net.capacity(INS) == (0.0, 0.0)
    rep.world.holder[rep.world.area_index["fields"]] = INS
    assert net.capacity(GOV) == (0.0, 300.0)
    rep.world.holder[rep.world.area_index["city"]] = INS  # the products line serves nobody
    assert net.capacity(GOV) == (0.0, 0.0)


def test_a_cut_link_serves_nobody() -> None:
    rep = Replication(scenario(), seed=1)
    net = rep.refinery.network
    net.links[0].cut = True
    assert net.capacity(GOV) == (0.0, 300.0)


def test_sabotage_keeps_a_link_down_for_the_renewal_share_of_time() -> None:
    rate, low, high, horizon = 0.05, 4.0, 12.0, 2000
    s = scenario(horizon_days=horizon, refinery={"restart_days": {"government": 0,
                                                                  "insurgent": 0}},
                 links=[{"name": "crude", "sabotage_rate_per_day": rate,
                         "repair_days": {"low": low, "high": high}}])
    up = [run_replication(s, seed).metrics["operable_days"] / horizon for seed in range(60)]
    mean_repair = (low + high) / 2
    # Alternating renewal: up ~ Exp(rate), down ~ U(low, high).
    assert_mean_within(up, (1 / rate) / (1 / rate + mean_repair))


def test_a_cut_shuts_the_refinery_and_repair_needs_a_restart() -> None:
    s = scenario(links=[{"name": "crude", "sabotage_rate_per_day": 0.02,
                         "repair_days": {"low": 5, "high": 5}}])
    r = run_replication(s, seed=11, trace=True)
    kinds = [e.text for e in r.trace if e.kind in ("network", "refinery")]
    if any("cut" in k for k in kinds):
        assert r.metrics["operable_days"] < 100
        i = next(i for i, k in enumerate(kinds) if "cut" in k)
        assert "units stopped (no crude)" in kinds[i + 1]
    else:
        pytest.skip("seed 11 drew no cut")


def test_crude_brought_by_road_is_crude() -> None:
    s = scenario(links=[{"name": "trucked crude", "kind": "crude_road", "source": "fields",
                         "destination": "refinery", "trucks_per_day": 100,
                         "bbl_per_truck": 200}])
    net = Replication(s, seed=1).refinery.network
    assert net.capacity(GOV) == (300.0 + 20.0, 300.0)
