"""The design of a scenario discovery: space-filling points over the levers and the unknowns.

The dimensions are the scenario's levers (what a decision-maker controls, with the ranges and
efforts its file declares: :mod:`sim.scenario.levers`) and, unless ``levers_only``, its
uncertain parameters (assumptions with a provenance range: :func:`uncertain_parameters`,
which leaves the levers out). The points are a Latin hypercube from ``scipy.stats.qmc``
(every dimension's range cut into as many equal strata as there are points, each stratum
used once; scrambled, so the design seed fixes it), scaled onto the ranges; whole-number
parameters are rounded. Each point is the resolved scenario with ``path=value`` settings
(named ``BASE #i``), as a sensitivity design's points are, so the points run as one batch
under common random numbers: replication i has the same seed at every point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from sim.analysis.sensitivity import design_scenarios
from sim.scenario.levers import Lever, scenario_levers, total_effort
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import uncertain_parameters

MIN_POINTS = 8  # below this PRIM has nothing to peel


@dataclass(frozen=True)
class Dimension:
    """One axis of the design: a lever or an uncertain parameter and its range."""

    path: str
    kind: str  # "lever" or "uncertainty"
    low: float
    high: float
    integer: bool
    label: str  # a lever's label; an uncertainty's path

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Points in [0, 1) onto the range, rounded for whole-number parameters."""
        values = self.low + u * (self.high - self.low)
        return np.round(values) if self.integer else values


@dataclass
class DiscoveryDesign:
    """The points of a discovery, before any is run."""

    base: Scenario
    dimensions: list[Dimension]
    levers: list[Lever]
    values: np.ndarray  # (points, dimensions): the values run
    scenarios: list[Scenario]
    efforts: np.ndarray  # (points,): the total effort of each point's lever settings
    design_seed: int
    adjusted: int  # points where a ceiling was raised to keep x <= max_x

    @property
    def names(self) -> list[str]:
        return [d.path for d in self.dimensions]

    @property
    def lever_columns(self) -> list[int]:
        return [j for j, d in enumerate(self.dimensions) if d.kind == "lever"]

    def lever_values(self, i: int) -> dict[str, float]:
        """The lever settings of point ``i``."""
        return {self.dimensions[j].path: float(self.values[i, j]) for j in self.lever_columns}


def discovery_dimensions(base: Scenario, levers_only: bool = False
                         ) -> tuple[list[Dimension], list[Lever]]:
    """The design's axes: the levers first (file order), then the uncertain parameters."""
    levers = scenario_levers(base)
    if not levers:
        raise ValueError(f"scenario '{base.name}' declares no levers: add a `levers:` section "
                         "(see baiji-sim explain and docs/model.md) to ask what it would take")
    dims = [Dimension(lv.path, "lever", lv.low, lv.high, lv.integer, lv.label or lv.path)
            for lv in levers]
    if not levers_only:
        leaves = scenario_leaves(base)
        lever_paths = {lv.path for lv in levers}
        dims += [Dimension(p, "uncertainty", lo, hi, isinstance(leaves[p], int), p)
                 for p, (lo, hi) in uncertain_parameters(base).items() if p not in lever_paths]
    return dims, levers


def unit_design(points: int, dimensions: int, design_seed: int) -> np.ndarray:
    """A scrambled Latin hypercube of ``points`` in [0, 1)^dimensions."""
    sampler = qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(design_seed))
    return np.asarray(sampler.random(points))


def discovery_design(base: Scenario, points: int, *, design_seed: int = 1,
                     levers_only: bool = False, path: str | Path = "<scenario>"
                     ) -> DiscoveryDesign:
    """The design of ``points`` points (see the module docstring). ValueError for too few
    points or a scenario without levers; ScenarioError for a point that is not valid."""
    if points < MIN_POINTS:
        raise ValueError(f"--points {points}: a discovery needs at least {MIN_POINTS} points")
    dims, levers = discovery_dimensions(base, levers_only)
    u = unit_design(points, len(dims), design_seed)
    values = np.column_stack([d.scale(u[:, j]) for j, d in enumerate(dims)])
    scenarios, adjusted = design_scenarios(base, Path(path), [d.path for d in dims], values,
                                           [d.integer for d in dims])
    lever_paths = [lv.path for lv in levers]
    efforts = np.array([total_effort(levers, dict(zip(lever_paths, row[:len(levers)].tolist(),
                                                      strict=True)))
                        for row in values])
    return DiscoveryDesign(base, dims, levers, values, scenarios, efforts, design_seed,
                           adjusted)
