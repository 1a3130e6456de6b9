"""The levers of a scenario: the parameters a decision-maker controls, and what they cost.

A scenario's ``levers`` section names parameters (``--set`` paths) with the range a
decision-maker can choose from, a unit and an effort weight. They answer "what would it
take?" (``discover``, the explorer), so they are kept apart from the uncertainties, the
assumptions with provenance ranges that describe what we do not know: a run with
``--uncertainty`` and a calibration never draw a lever (:mod:`sim.scenario.uncertainty`).

Effort is linear in the distance from the lever's free end (docs/model.md, "Levers"):

    effort(x) = effort_per_unit * |x - free_end|,  total effort = sum over levers.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.scenario.provenance import find_inactive, scenario_leaves
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import format_value, is_number


class LeverError(ValueError):
    """A lever that cannot act: ``path`` names it, ``message`` says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"levers.{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Lever:
    """One lever of a loaded scenario, resolved against the scenario's own value."""

    path: str
    label: str
    unit: str
    low: float
    high: float
    value: float  # the scenario's own value (it may lie outside the range, e.g. in a sweep)
    integer: bool  # the parameter takes whole numbers
    effort_per_unit: float
    free_end: float  # low or high: the end that costs no effort
    description: str

    def effort(self, value: float) -> float:
        """Effort points of setting the lever to ``value``."""
        return self.effort_per_unit * abs(value - self.free_end)

    def setting(self, value: float) -> str:
        """``PATH=VALUE`` for ``load_scenario(..., overrides)`` (whole numbers for integers)."""
        shown = format_value(round(value) if self.integer else float(value))
        return f"{self.path}={shown}"


def scenario_levers(scenario: Scenario) -> list[Lever]:
    """The scenario's levers in file order (entries set to null are left out).

    Raises :class:`LeverError` when its path is not a numeric parameter of the
    scenario or lies under a declared-inactive prefix (a lever there would be inert).
    """
    declared = {p: lv for p, lv in scenario.levers.items() if lv is not None}
    if not declared:
        return []
    leaves = scenario_leaves(scenario)
    out = []
    for path, lever in declared.items():
        value = leaves.get(path)
        if not isinstance(value, int | float) or not is_number(value):
            numeric = [p for p, v in leaves.items() if is_number(v)]
            hint = difflib.get_close_matches(path, numeric, n=1)
            raise LeverError(path,
                f"'{path}' is not a numeric parameter of this scenario"
                + (f"; did you mean '{hint[0]}'?" if hint else "")
                + " A lever names a number `baiji-sim explain` shows.")
        off = find_inactive(scenario, path)
        if off is not None:
            raise LeverError(path, f"'{path}' is declared inactive ('{off[0]}': {off[1]}), so as a "
                             "lever it would change nothing; drop it with null or make the "
                             "mechanism active")
        low, high = float(lever.range[0]), float(lever.range[1])
        out.append(Lever(path=path, label=lever.label, unit=lever.unit, low=low, high=high,
                         value=float(value), integer=isinstance(value, int),
                         effort_per_unit=lever.effort,
                         free_end=low if lever.free_end == "low" else high,
                         description=" ".join((lever.description or "").split())))
    return out


def total_effort(levers: Sequence[Lever], values: Mapping[str, float]) -> float:
    """Sum of the levers' effort; a lever missing from ``values`` counts at its own value."""
    return sum(lv.effort(values.get(lv.path, lv.value)) for lv in levers)
