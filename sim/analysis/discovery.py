"""Scenario discovery: "what would it take?" answered from the command line (issue 18).

``baiji-sim discover SCENARIO --goal "refinery_ran >= 0.5"`` runs a space-filling design over
the scenario's levers and uncertain parameters (:mod:`sim.analysis.discovery_design`), each
point a batch of replications under common random numbers; forms each point's outcome for the
goal (:mod:`sim.analysis.discovery_goal`); finds the boxes of lever and uncertainty values
where the goal is met with PRIM and CART (:mod:`sim.analysis.discovery_rules`); and, with
``cheapest``, confirms the cheapest settings that met it with new paired runs and a
multiplicity-corrected one-sided test (:mod:`sim.analysis.discovery_selection`).

All points go to ONE :func:`~sim.runner.batch.run_batch` call (one pool, the same seeds at
every point), streamed to ``OUT/parts/`` as a ``discovery`` batch when ``out`` is given; the
confirmation runs stream to ``OUT/parts/confirm/``. :func:`resume_discovery` rebuilds the
design from the definition kept with the batch, restores what finished and runs the rest, so
a stopped discovery ends with the numbers an uninterrupted one gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.discovery_design import DiscoveryDesign, discovery_design
from sim.analysis.discovery_goal import Goal, parse_goal
from sim.analysis.discovery_rules import DENSITY, Box, Heatmap, Rules, find_rules, heatmap
from sim.analysis.discovery_selection import (
    ALPHA,
    CANDIDATES,
    Candidate,
    Selection,
    screen,
    select,
)
from sim.runner.batch import BatchResult, Sink, run_batch
from sim.runner.store import FolderSink, read_batch
from sim.scenario.loading import validate
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertainty, ordered_pairs, settings_for
from sim.scenario.variants import Variants, resolved

KIND = "discovery"
CONFIRM_BLOCK = "confirm"  # the confirmation runs' folder under OUT/parts/
CONFIRM = 200  # confirmation replications per candidate
PER_DRAW = 2  # confirmation replications sharing a draw of the unknowns


@dataclass
class DiscoveryResult:
    """A finished discovery: the design, each point's outcome, the boxes, the selection."""

    design: DiscoveryDesign
    goal: Goal
    replications: int
    seed: int
    outcomes: np.ndarray  # (points,): P(goal) or the mean, over the point's replications
    counted: np.ndarray  # (points,): the replications each outcome counts
    rules: Rules
    heat: Heatmap | None
    selection: Selection | None
    definition: dict[str, Any]
    path: str

    @property
    def met(self) -> np.ndarray:
        return np.array([self.goal.met(float(o)) for o in self.outcomes], dtype=bool)

    @property
    def model_runs(self) -> int:
        confirm = 0 if self.selection is None else (
            self.selection.replications * len(self.selection.candidates))
        return len(self.outcomes) * self.replications + confirm


def point_outcomes(batch: BatchResult, goal: Goal) -> tuple[np.ndarray, np.ndarray]:
    """Each point's outcome (the mean of its replications' units: P(goal) or the metric's
    mean) and how many replications it counts (the metric's empty ones left out)."""
    outcomes, counted = [], []
    for runs in batch.runs:
        units = goal.units(runs.column(goal.metric))
        kept = units[~np.isnan(units)]
        counted.append(len(kept))
        outcomes.append(float(kept.mean()) if len(kept) else np.nan)
    return np.array(outcomes), np.array(counted)


def _check(batch: BatchResult, total: int) -> None:
    if batch.interrupted:
        raise KeyboardInterrupt
    if batch.failures:
        f = batch.failures[0]
        last = f.error.strip().splitlines()[-1] if f.error.strip() else "?"
        raise RuntimeError(f"{len(batch.failures)} of {total} replications failed; first: "
                           f"{f.scenario}, replication {f.replication} (seed {f.seed}): {last}")


def run_discovery(
    base: Scenario | str | Path,
    goal: Goal | str,
    *,
    points: int = 128,
    replications: int = 20,
    seed: int = 1,
    design_seed: int = 1,
    levers_only: bool = False,
    density: float = DENSITY,
    cheapest: bool = False,
    candidates: int = CANDIDATES,
    confirm: int = CONFIRM,
    workers: int | None = None,
    overrides: Sequence[str] = (),
    path: str | Path = "<scenario>",
    progress: Callable[[int], None] | None = None,
    out: Path | None = None,
    force: bool = False,
    executor: Executor | None = None,
) -> DiscoveryResult:
    """Discover where ``goal`` is met over the scenario's levers and unknowns (see the
    module docstring).

    ``base`` is a resolved scenario (its file ``path`` is named in errors) or a file, loaded
    with ``overrides``. ``points`` design points of ``replications`` replications each;
    ``cheapest``: confirm the ``candidates`` cheapest settings that met the goal with
    ``confirm`` new replications each. With ``out`` the runs stream to ``out/parts/`` (claimed
    as a discovery's folder, with ``force``) and :func:`resume_discovery` finishes them.
    ``executor``: any ``concurrent.futures`` executor (a Dask cluster's) instead of the local
    pool; the numbers are the same.

    Raises ValueError (a bad goal or option, a scenario without levers), ScenarioError, MissingExtra
    (PRIM and CART not installed), RuntimeError (replications failed) and KeyboardInterrupt.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    parsed = parse_goal(goal) if isinstance(goal, str) else goal
    base, path = resolved(base, overrides, path)
    definition = {"base": base.model_dump(mode="json"), "path": str(path),
                  "goal": parsed.text, "probability": parsed.probability, "points": points,
                  "design_seed": design_seed, "levers_only": levers_only, "density": density,
                  "cheapest": cheapest, "candidates": candidates, "confirm": confirm}
    return _discover(base, definition, replications, seed, workers, progress, out,
                     force=force, resume=False, executor=executor)


def resume_discovery(out: Path, workers: int | None = None,
                     progress: Callable[[int], None] | None = None,
                     executor: Executor | None = None) -> DiscoveryResult:
    """Finish the discovery stopped in ``out``, as it was started."""
    stored = read_batch(out, KIND)
    d = stored.options
    return _discover(validate(d["base"], d["path"]), d, stored.replications, stored.seed,
                     workers, progress, out, force=False, resume=True, executor=executor)


def _discover(base: Scenario, d: dict[str, Any], replications: int, seed: int,
              workers: int | None, progress: Callable[[int], None] | None,
              out: Path | None, *, force: bool, resume: bool,
              executor: Executor | None) -> DiscoveryResult:
    from sim.analysis.discovery_rules import check_extra

    check_extra()  # before any run: a missing extra must not cost the runs
    goal = parse_goal(d["goal"], d["probability"])
    if d["cheapest"] and d["confirm"] < 2 * PER_DRAW:
        raise ValueError(f"--confirm {d['confirm']}: at least {2 * PER_DRAW} replications")
    path = d["path"]
    design = discovery_design(base, d["points"], design_seed=d["design_seed"],
                              levers_only=d["levers_only"], path=path)
    sink: Sink | None = None
    if out is not None:
        sink = FolderSink(out, design.scenarios, replications, seed, kind=KIND, force=force,
                          resume=resume, options=d, daily=False, keep_scenarios=False)
    batch = run_batch(design.scenarios, replications, seed=seed, workers=workers,
                      progress=progress, sink=sink, daily=False, executor=executor)
    _check(batch, replications * len(design.scenarios))
    outcomes, counted = point_outcomes(batch, goal)
    met = np.array([goal.met(float(o)) for o in outcomes], dtype=bool)
    rules = find_rules(design.values, met, design.dimensions, d["density"], outcomes)
    heat = (heatmap(design.values, outcomes, design.dimensions, rules.pair,
                    counted=counted if goal.is_probability else None)
            if rules.pair is not None else None)
    selection = None
    if d["cheapest"]:
        selection = _confirm(design, goal, outcomes, d, replications, seed, workers,
                             progress, out, executor)
    return DiscoveryResult(design, goal, replications, seed, outcomes, counted, rules, heat,
                           selection, d, str(path))


def _confirm(design: DiscoveryDesign, goal: Goal, outcomes: np.ndarray, d: dict[str, Any],
             start: int, seed: int, workers: int | None,
             progress: Callable[[int], None] | None, out: Path | None,
             executor: Executor | None) -> Selection:
    """The confirmation runs of the screened candidates, and the selection among them."""
    confirm = int(d["confirm"])
    picked = screen(outcomes, design.efforts, goal, int(d["candidates"]))
    unknowns = any(dim.kind == "uncertainty" for dim in design.dimensions)
    per_draw = PER_DRAW if unknowns else 1
    if per_draw > 1:
        confirm -= confirm % per_draw  # whole draw groups
    candidates = [Candidate(i, design.lever_values(i), float(design.efforts[i]),
                            float(outcomes[i])) for i in picked]
    if not candidates:
        return Selection([], ALPHA, confirm, per_draw, "none")
    base = design.base
    leaves = scenario_leaves(base)
    lever_paths = {lv.path for lv in design.levers}
    pairs = [(lo, hi) for lo, hi in ordered_pairs(leaves) if lo in lever_paths or
             hi in lever_paths]
    integer = {lv.path: lv.integer for lv in design.levers}
    variants = Variants(base, d["path"])
    scenarios = []
    for k, c in enumerate(candidates):
        values = {p: round(v) if integer[p] else v for p, v in c.levers.items()}
        items, _ = settings_for(values, leaves, pairs)
        scenarios.append(variants.make(items, f"{base.name} candidate {k}",
                                       f"candidate {k} of the selection"))
    sink: Sink | None = None
    if out is not None:
        sink = FolderSink(out, scenarios, confirm, seed, kind=KIND, start=start,
                          block=CONFIRM_BLOCK, daily=False, keep_scenarios=False)
    batch = run_batch(scenarios, confirm, seed=seed, workers=workers, progress=progress,
                      start=start, sink=sink, daily=False, executor=executor,
                      uncertainty=Uncertainty(per_draw=per_draw) if per_draw > 1 else None)
    _check(batch, confirm * len(scenarios))
    units = np.vstack([goal.units(runs.column(goal.metric)) for runs in batch.runs])
    return select(candidates, units, goal, replications=confirm, per_draw=per_draw)


# -- in words -------------------------------------------------------------------------------
def box_sentence(goal: Goal, box: Box, points: int) -> str:
    """A box in plain words: 'refinery ran in at least 50% of the runs when coordination
    problems <= 1.2 and repair crews >= 3 (coverage 71%, density 88%, 40 of 200 points)'."""
    levers = [r.words() for r in box.restrictions if r.kind == "lever"]
    unknowns = [r.words() for r in box.restrictions if r.kind != "lever"]
    where = " and ".join(levers)
    if unknowns:
        where += (" and, among the unknowns, " if levers else "the unknowns have ") + \
            " and ".join(unknowns)
    head = f"{goal.words()} when {where}" if where else f"{goal.words()} anywhere"
    return (f"{head} (coverage {box.coverage:.0%}, density {box.density:.0%}, "
            f"{box.points} of {points} points)")


def summary_sentences(result: DiscoveryResult) -> list[str]:
    """What the terminal prints and the report leads with."""
    met = result.met
    n = len(met)
    lines = [f"The goal ({result.goal.words()}) was met at {int(met.sum())} of {n} design "
             f"points ({met.mean():.0%}), {result.replications} replications each."]
    if not met.any():
        best = int(np.nanargmax(result.outcomes if result.goal.upward else -result.outcomes))
        lines.append(f"No point met it: within the ranges explored it is out of reach (the "
                     f"best point's outcome was {result.outcomes[best]:.3g}).")
        return lines
    if met.all():
        lines.append("Every point met it: within the ranges explored it takes no lever "
                     "setting in particular.")
    for k, box in enumerate(result.rules.prim):
        lead = "PRIM: " if k == 0 else "PRIM, second box: "
        lines.append(lead + box_sentence(result.goal, box, n) + ".")
        if box.density < result.rules.density:
            lines.append(f"  No box reaches a density of {result.rules.density:.0%}: the "
                         "goal depends on more than a few limits (or on chance).")
    if result.rules.cart:
        lines.append("CART: " + box_sentence(result.goal, result.rules.cart[0], n) + ".")
    s = result.selection
    if s is not None:
        lines.append(selection_sentence(result))
    return lines


def selection_sentence(result: DiscoveryResult) -> str:
    s = result.selection
    assert s is not None
    if not s.candidates:
        return "Cheapest: no evaluated setting met the goal, so there is nothing to confirm."
    best = s.best
    if best is None:
        which = ("the one setting that met the goal in the design is not" if
                 len(s.candidates) == 1 else f"none of the {len(s.candidates)} cheapest settings "
                 "that met the goal in the design is")
        return (f"Cheapest: {which} confirmed with {1 - s.alpha:.0%} confidence by "
                f"{s.replications} new runs each.")
    return (f"Cheapest confirmed (effort {best.effort:.3g}): {setting_words(result, best)}; "
            f"outcome "
            f"{best.outcome:.3g} [{best.low:.3g}, {best.high:.3g}] over {s.replications} new "
            f"runs, meets the goal with {1 - s.alpha:.0%} confidence (Holm-adjusted p = "
            f"{best.p_holm:.2g}, {len(s.candidates)} candidates).")


def _value(v: float, integer: bool) -> str:
    return f"{round(v)}" if integer else f"{v:.3g}"


def setting_words(result: DiscoveryResult, candidate: Candidate, share: float = 0.1) -> str:
    """A lever setting in words: the levers that carry at least ``share`` of its effort, with
    their effort points, most first; the rest counted."""
    levers = sorted(result.design.levers, key=lambda lv: -lv.effort(candidate.levers[lv.path]))
    main, rest = [], []
    for lv in levers:
        v = candidate.levers[lv.path]
        points = lv.effort(v)
        text = f"{lv.label or lv.path} {_value(v, lv.integer)}{' ' + lv.unit if lv.unit else ''}"
        if points >= share * candidate.effort:
            main.append(f"{text} ({points:.2g} points)")
        else:
            rest.append(lv.label or lv.path)
    return ", ".join(main) + (f"; the other {len(rest)} levers under {share:.0%} of the "
                              "effort each" if rest else "")


def discovery_summary(result: DiscoveryResult) -> dict[str, Any]:
    """What discovery.json holds (the report reads it)."""
    design = result.design
    heat = result.heat
    levers = [{"path": lv.path, "label": lv.label, "unit": lv.unit, "low": lv.low,
               "high": lv.high, "value": lv.value, "integer": lv.integer,
               "effort_per_unit": lv.effort_per_unit, "free_end": lv.free_end}
              for lv in design.levers]
    return {
        "kind": KIND,
        "scenario": design.base.name,
        "path": result.path,
        "goal": result.goal.as_dict(),
        "points": len(result.outcomes),
        "replications": result.replications,
        "seed": result.seed,
        "design_seed": design.design_seed,
        "design": "scrambled Latin hypercube (scipy.stats.qmc)",
        "levers_only": bool(result.definition.get("levers_only")),
        "model_runs": result.model_runs,
        "adjusted_points": design.adjusted,
        "dimensions": [{"path": x.path, "kind": x.kind, "low": x.low, "high": x.high,
                        "integer": x.integer, "label": x.label} for x in design.dimensions],
        "levers": levers,
        "met_points": int(result.met.sum()),
        "density_target": result.rules.density,
        "prim": [b.as_dict() for b in result.rules.prim],
        "trajectories": result.rules.trajectories,
        "cart": [b.as_dict() for b in result.rules.cart],
        "pair": None if result.rules.pair is None else [
            design.dimensions[j].path for j in result.rules.pair],
        "heatmap": None if heat is None else {
            "x": heat.x.path, "y": heat.y.path, "x_edges": heat.x_edges,
            "y_edges": heat.y_edges, "mean": _nan_none(heat.mean),
            "low": _nan_none(heat.low), "high": _nan_none(heat.high),
            "points": heat.points.tolist()},
        "selection": None if result.selection is None else result.selection.as_dict(),
        "sentences": summary_sentences(result),
    }


def _nan_none(a: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]
