"""One replication watched day by day: who holds each area, which links are cut, the
flights of the day, and the event log, for the page's schematic.

The replication is replication 0 of the page's run (the one every run traces: its event
log is the results folder's ``traces/``), run again here with the same seed and stepped
one day at a time (:class:`~sim.model.replication.Replication` exposes its SimPy
environment for this). Stopping the clock between days adds no event of the model's and
reorders none, so the replication is the same: ``tests/test_explore.py`` checks its
metrics and log against :func:`~sim.model.replication.run_replication`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sim.model.replication import Replication
from sim.model.world import GOV
from sim.scenario.schema import Scenario

MAX_LOG = 5000  # log lines sent to the page (a long campaign's clashes are thousands)
SIDES = ("government", "insurgent")
REFINERY = "refinery"


def layout(scenario: Scenario) -> dict[str, Any]:
    """What the schematic draws: the plant's sectors (the garrison's last stand first), the
    villages in the order the ground campaign meets them, the other places, and the links."""
    route = [a for a in scenario.ground_campaign.route]
    areas = [{"name": a.name, "kind": a.kind} for a in scenario.areas]
    villages = [a.name for a in scenario.areas if a.kind == "village"]
    ordered = [v for v in route if v in villages] + [v for v in villages if v not in route]
    return {
        "areas": areas,
        "sectors": [a.name for a in scenario.areas if a.kind == "sector"],
        "villages": ordered,
        "others": [a.name for a in scenario.areas if a.kind not in ("sector", "village")],
        "links": [{"name": link.name, "kind": link.kind,
                   "path": [link.source, *link.through, link.destination]}
                  for link in scenario.links],
        "operators": [{"name": op.name, "kind": op.kind} for op in scenario.supply_operators],
    }


def _flights(text: str) -> str | None:
    """A flights line of the log as the schematic counts it: delivered, lost, or neither."""
    if " delivered" in text:
        return "delivered"
    if "shot down" in text:
        return "lost"
    return None


def watch(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Replication ``seed`` of ``scenario``, a frame at the start and at the end of each day
    (frame d: after d days), its log and its metrics."""
    rep = Replication(scenario, seed, trace=True)
    world, network, plant = rep.world, rep.refinery.network, rep.refinery

    def frame(day: int) -> dict[str, Any]:
        return {"day": day, "holders": "".join("gi"[h] for h in world.holder),
                "cut": "".join("x" if link.cut else "-" for link in network.links),
                "troops": world.troops, "besiegers": world.besiegers,
                "supplies_t": round(world.supplies_t, 2), "refinery": plant.state(),
                "garrison": bool(world.garrison_alive),
                "gov_share": world.held[GOV] / world.n_sectors}

    horizon = scenario.horizon_days
    frames = [frame(0)]
    for day in range(1, horizon):
        rep.env.run(until=day)
        frames.append(frame(day))
    result = rep.run()
    frames.append(frame(horizon))
    flights: list[dict[str, int]] = [{"delivered": 0, "lost": 0} for _ in range(horizon)]
    log: list[dict[str, Any]] = []
    for entry in result.trace or ():
        day = min(horizon - 1, max(0, math.floor(entry.time)))
        if entry.kind == "flights":
            what = _flights(entry.text)
            if what is not None:
                flights[day][what] += 1
        if len(log) < MAX_LOG:
            date = scenario.start_date + dt.timedelta(days=day)
            log.append({"time": round(entry.time, 2), "day": day, "date": date.isoformat(),
                        "kind": entry.kind, "text": entry.text})
    for d, counts in enumerate(flights):
        frames[d + 1]["flights"] = counts
    frames[0]["flights"] = {"delivered": 0, "lost": 0}
    return {"scenario": scenario.name, "seed": str(seed),  # text: exact in JavaScript
            "start_date": scenario.start_date.isoformat(), "horizon_days": horizon,
            "layout": layout(scenario), "sides": SIDES, "frames": frames, "log": log,
            "log_truncated": len(result.trace or ()) > len(log),
            "metrics": {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in result.metrics.items()}}
