"""The calibrated scenario file ``baiji-sim calibrate`` writes in its folder.

``calibrated.yaml`` ``extends`` the file calibrated (by a path relative to the folder, so
it resolves from where it is written) and carries the posterior as the draws with a
weight above 0 and their weights (sim/analysis/calibration.py), with where they come
from. ``baiji-sim run calibrated.yaml --uncertainty`` draws its parameter sets from these
rows (sim/scenario/uncertainty.py); a run without --uncertainty runs the original's own
values, since one row would stand for the posterior no better than the prior's values do.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.analysis.calibration import posterior_draws, tested_observations
from sim.model.observations import BY_ID
from sim.runner.batch import BatchResult, ScenarioRuns
from sim.scenario.schema import MAX_POSTERIOR_VALUES, MAX_SCENARIO_NAME
from sim.scenario.uncertainty import posterior_rows, scenario_leaves

CALIBRATED_FILE = "calibrated.yaml"
SUFFIX = "-calibrated"


def calibrated_scenario(runs: ScenarioRuns, per_draw: int, seed: int, source: Path,
                        folder: Path) -> dict[str, Any] | None:
    """The calibrated file's content for ``runs`` (None if no draw has a weight above 0)."""
    paths, table, weights = posterior_draws(runs, per_draw)
    if not len(weights) or not paths:
        return None
    ess = float(weights.sum() ** 2 / np.sum(weights ** 2))
    if table.size > MAX_POSTERIOR_VALUES:  # too many rows to keep: resample, equal weights
        rows = MAX_POSTERIOR_VALUES // len(paths)
        table = table[posterior_rows(seed, weights, rows)]
        weights = np.ones(rows)
    leaves = scenario_leaves(runs.scenario)
    whole = [isinstance(leaves[p], int) for p in paths]
    draws = [[int(v) if w else float(v) for v, w in zip(row, whole, strict=True)]
             for row in table.tolist()]
    name = runs.scenario.name[:MAX_SCENARIO_NAME - len(SUFFIX)] + SUFFIX
    groups = runs.replication // per_draw
    observations = tested_observations(runs)
    return {
        "extends": os.path.relpath(source.resolve(), folder.resolve()),
        "name": name,
        "description": f"{runs.scenario.name} with its uncertain parameters weighed by the "
                       f"articles' dated observations ({len(observations)} of them): run it "
                       "with --uncertainty to draw the parameters from the posterior below; "
                       "without it, it runs the original's values.",
        "posterior": {
            "parameters": paths,
            "draws": draws,
            "weights": [float(w) for w in weights],
            "source": {
                "folder": str(folder), "scenario": str(source), "seed": seed,
                "replications": len(runs.seed), "per_draw": per_draw,
                "prior_draws": len(np.unique(groups)), "ess": round(ess, 3),
                "observations": {m: BY_ID[m].date for m in observations},
                "made": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Rows of numbers on one line each (flow style for lists of scalars only)."""


def _list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = all(isinstance(i, int | float) and not isinstance(i, bool) for i in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


_Dumper.add_representer(list, _list)


def write_calibrated(batch: BatchResult, folder: Path, sources: dict[str, str]
                     ) -> list[Path]:
    """Write ``calibrated.yaml`` into ``folder`` for the batch's calibrated scenario (the
    first that tests an observation, has no posterior yet and kept a draw; ``calibrate``
    runs one). Returns the files written (none if no draw agreed with the observations)."""
    if batch.uncertainty is None:
        return []
    for runs in batch.runs:
        if runs.scenario.name not in sources or not tested_observations(runs) or (
                runs.scenario.posterior is not None):
            continue
        content = calibrated_scenario(runs, batch.uncertainty.per_draw, batch.seed,
                                      Path(sources[runs.scenario.name]), folder)
        if content is None:
            continue
        path = folder / CALIBRATED_FILE
        text = (f"# Written by baiji-sim calibrate: {runs.scenario.name} weighed by the "
                "articles' observations (docs/model.md, 5.4).\n"
                + yaml.dump(content, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                            width=100))
        path.write_text(text, encoding="utf-8")
        return [path]
    return []
