"""Which numbers of a scenario are uncertain, and the settings that give them other values.

A scenario's provenance records, for many assumptions, a plausible ``range``. These are the
parameters a sensitivity design varies (sim.analysis.sensitivity) and a run with
parameter uncertainty draws (sim.runner: ``--uncertainty``); facts stay fixed. See
sim/analysis/sensitivity.py's docstring for which parameters count, and why.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario.provenance import find_inactive, find_provenance, scenario_leaves
from sim.scenario.schema import Scenario

# Parameters left out unless given an explicit range (see the module docstring).
NOT_UNCERTAIN = ("horizon_days",)
Ranges = Mapping[str, tuple[float, float]]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def uncertain_parameters(scenario: Scenario, ranges: Ranges | None = None,
                         levers: bool = False) -> dict[str, tuple[float, float]]:
    """Parameter path -> (lo, hi): the recorded ranges, merged with and overridden by ``ranges``.

    Paths use the ``--set`` syntax (list items by name); see the module docstring
    for which parameters count (recorded ranges of declared-inactive parameters
    do not: :func:`skipped_parameters`). A lever (the scenario's ``levers``) is a
    decision, not an unknown, so it counts only with ``levers=True`` (a sensitivity
    screening of every input) or an explicit range. Raises ValueError for an explicit
    range on a path that is not a numeric parameter of the scenario, or with ``lo > hi``.
    """
    found = recorded_ranges(scenario, ranges)
    skipped = skipped_parameters(scenario, ranges)
    decided = set() if levers else {p for p, lv in scenario.levers.items()
                                    if lv is not None and p not in (ranges or {})}
    return {p: r for p, r in found.items() if p not in skipped and p not in decided}


def skipped_parameters(scenario: Scenario, ranges: Ranges | None = None) -> dict[str, str]:
    """Parameter path -> the declared-inactive prefix covering it, for every parameter with a
    recorded range that is left out because it cannot act in ``scenario`` (an explicit range in
    ``ranges`` keeps a parameter in)."""
    out = {}
    for path in recorded_ranges(scenario, ranges):
        off = find_inactive(scenario, path)
        if off is not None and path not in (ranges or {}):
            out[path] = off[0]
    return out


def recorded_ranges(scenario: Scenario, ranges: Ranges | None) -> dict[str, tuple[float, float]]:
    """Every recorded or explicit range with lo < hi, in the scenario's parameter order."""
    leaves = scenario_leaves(scenario)
    found: dict[str, tuple[float, float]] = {}
    for path, value in leaves.items():
        if not is_number(value) or path in NOT_UNCERTAIN:
            continue
        entry = find_provenance(scenario.provenance, path)
        if entry is None:
            continue
        key, prov = entry
        if key != path or prov.assumption is None or prov.range is None:
            continue
        found[path] = (float(prov.range[0]), float(prov.range[1]))
    numeric = [p for p, v in leaves.items() if is_number(v)]
    for path, (lo, hi) in (ranges or {}).items():
        if path not in leaves or not is_number(leaves[path]):
            hint = difflib.get_close_matches(path, numeric, n=1)
            raise ValueError(
                f"range for '{path}': not a numeric parameter of scenario '{scenario.name}'"
                + (f"; did you mean '{hint[0]}'?" if hint else ""))
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ValueError(f"range for '{path}': need finite lo <= hi, got {lo}:{hi}")
        found[path] = (float(lo), float(hi))
    order = {p: i for i, p in enumerate(leaves)}
    return {p: found[p] for p in sorted(found, key=order.__getitem__)
            if found[p][0] != found[p][1]}


def format_value(value: float | int) -> str:
    """A number as YAML reads it back as the same number (no '1e-05' strings)."""
    if isinstance(value, int):
        return str(value)
    return np.format_float_positional(value, unique=True, trim="0")


def ordered_pairs(leaves: dict[str, Any]) -> list[tuple[str, str]]:
    """(lower, upper) paths the schema keeps ordered: x <= max_x, span low <= high."""
    pairs = []
    for path in leaves:
        head, _, leaf = path.rpartition(".")
        if leaf.startswith("max_") and f"{head}.{leaf[4:]}" in leaves:
            pairs.append((f"{head}.{leaf[4:]}", path))
        elif leaf == "low" and f"{head}.high" in leaves:
            pairs.append((path, f"{head}.high"))
    return pairs


def settings_for(values: Mapping[str, float | int], leaves: Mapping[str, Any],
                 pairs: list[tuple[str, str]]) -> tuple[list[str], bool]:
    """``path=value`` settings for ``values``, and whether an upper bound of ``pairs`` had to
    be raised to its lower one to stay valid (a ceiling below the starting force means the
    ceiling was at least that force)."""
    items = [f"{n}={format_value(v)}" for n, v in values.items()]
    raised = False
    for lo, hi in pairs:
        a, b = values.get(lo, leaves[lo]), values.get(hi, leaves[hi])
        if is_number(a) and is_number(b) and a > b:
            items.append(f"{hi}={format_value(a)}")
            raised = True
    return items, raised


# -- parameter uncertainty in a run ------------------------------------------------------
SHAPES = ("uniform", "triangular")


@dataclass(frozen=True)
class Uncertainty:
    """How a run draws its uncertain parameters (``run --uncertainty``).

    Replications come in groups of ``per_draw`` that share one draw of every parameter
    (a nested design: the spread between groups is the parameters' and the dice's, within
    a group the dice's alone, which is what :mod:`sim.analysis.uncertainty` separates).
    The groups' draws are a Latin hypercube over the parameters' ranges: each parameter's
    range is cut into as many equal strata as there are groups, and each stratum is drawn
    once. ``uniform`` maps a stratum's point onto [lo, hi] linearly; ``triangular`` through
    the inverse CDF of the triangular distribution whose mode is the scenario's value.
    """

    per_draw: int = 4
    shape: str = "uniform"

    def __post_init__(self) -> None:
        if self.per_draw < 2:
            raise ValueError("per_draw must be at least 2 (the dice's share needs pairs)")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)}")


@dataclass
class Draws:
    """The parameter values of every group of replications of one scenario."""

    paths: list[str]
    values: np.ndarray  # (groups, len(paths)): the value of each parameter in each group
    settings: list[list[str]]  # per group: the ``path=value`` settings that give them
    per_draw: int

    def group(self, replication: int) -> int:
        return replication // self.per_draw


def _stream_key(seed: int, path: str) -> list[int]:
    """A parameter's own random stream: the same for every scenario that has the parameter,
    so two scenarios compared under common random numbers also share its draws."""
    digest = hashlib.sha256(path.encode("utf-8")).digest()
    return [seed & 0xFFFFFFFF, seed >> 32, *np.frombuffer(digest[:16], dtype=np.uint32)]


def latin_hypercube(seed: int, path: str, groups: int) -> np.ndarray:
    """``groups`` points in [0, 1), one in each of ``groups`` equal strata, in an order of
    their own (a Latin hypercube's column for ``path``)."""
    rng = np.random.default_rng(_stream_key(seed, path))
    return (rng.permutation(groups) + rng.random(groups)) / groups


def _triangular(u: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    """The inverse CDF of the triangular distribution on [lo, hi] with ``mode``."""
    if hi <= lo:
        return np.full_like(u, lo)
    mode = min(max(mode, lo), hi)
    cut = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
    return np.where(u < cut, left, right)


# The stream of the rows picked from a posterior (a name no parameter path can have).
POSTERIOR_STREAM = "posterior rows"


def posterior_rows(seed: int, weights: np.ndarray, groups: int) -> np.ndarray:
    """Which row of a weighted posterior each of ``groups`` groups takes: stratified
    resampling (Kitagawa 1996), the posterior's analogue of a Latin hypercube. The unit
    interval is cut into ``groups`` equal strata, one point is drawn in each (in an order
    of its own, from its own stream), and a point picks the row whose share of the
    cumulative weight it falls in; so each row is taken weight x groups times, give or take
    two (plain multinomial resampling would be off by the square root of that)."""
    cumulative = np.cumsum(weights) / np.sum(weights)
    u = latin_hypercube(seed, POSTERIOR_STREAM, groups)
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(weights) - 1)


def draw_parameters(scenario: Scenario, seed: int, replications: int,
                    spec: Uncertainty) -> Draws:
    """The draws of every uncertain parameter of ``scenario`` for a batch of
    ``replications`` (replication i belongs to group i // per_draw).

    A calibrated scenario (one with a ``posterior``) takes its posterior's parameters
    together, one row of its draws per group (:func:`posterior_rows`; ``spec.shape`` does
    not apply to them); any other uncertain parameter is drawn from its range as usual."""
    groups = max(1, math.ceil(replications / spec.per_draw))
    ranges = uncertain_parameters(scenario)
    leaves = scenario_leaves(scenario)
    paths = list(ranges)
    values = np.empty((groups, len(paths)))
    post = scenario.posterior
    if post is not None:
        table = np.asarray(post.draws, dtype=float)
        weights = (np.ones(len(table)) if post.weights is None
                   else np.asarray(post.weights, dtype=float))
        picked = table[posterior_rows(seed, weights, groups)]
        column_of = {p: j for j, p in enumerate(post.parameters)}
    for j, path in enumerate(paths):
        if post is not None and path in column_of:
            values[:, j] = picked[:, column_of[path]]
            continue
        lo, hi = ranges[path]
        u = latin_hypercube(seed, path, groups)
        column = (lo + u * (hi - lo) if spec.shape == "uniform"
                  else _triangular(u, lo, float(leaves[path]), hi))
        if isinstance(leaves[path], int):
            column = np.round(column)
        values[:, j] = column
    pairs = [(lo, hi) for lo, hi in ordered_pairs(leaves) if lo in ranges or hi in ranges]
    integer = [isinstance(leaves[p], int) for p in paths]
    settings = []
    for row in values:
        drawn = {p: int(v) if is_int else float(v)
                 for p, v, is_int in zip(paths, row.tolist(), integer, strict=True)}
        settings.append(settings_for(drawn, leaves, pairs)[0])
    return Draws(paths, values, settings, spec.per_draw)
