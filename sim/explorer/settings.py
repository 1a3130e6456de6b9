"""What the page asks for, checked: a scenario of the catalogue, lever values within their
ranges, a bounded number of replications and a seed.

Everything the page sends is untrusted (a class shares the machine, and a page's requests
can be forged): a value is refused with one message naming the field and what is allowed,
as a scenario file's would be, and the scenario is then loaded through
:func:`~sim.scenario.loading.load_scenario` with the levers as ``--set`` overrides, so the
schema checks the result exactly as it checks ``baiji-sim run --set``.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from typing import Any

from sim.explorer.catalogue import Catalogue, Entry
from sim.scenario.levers import Lever
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

MIN_REPLICATIONS = 10  # fewer gives intervals too wide to read anything from
MAX_REPLICATIONS = 2000  # a class shares one machine: about a minute on two cores
DEFAULT_REPLICATIONS = 200  # enough for a class to see a difference
DEFAULT_SEED = 1
MAX_SEED = (1 << 64) - 1  # a batch seed is one 64-bit word, as for `run --seed`


class RequestError(ValueError):
    """A value from the page that is not allowed: the message names the field."""


@dataclass(frozen=True)
class RunRequest:
    """A run the page asked for, every value checked."""

    scenario: str
    levers: tuple[tuple[str, float], ...]  # (path, value) of the levers moved, in file order
    replications: int
    seed: int

    def overrides(self, entry: Entry) -> list[str]:
        """The ``--set`` settings of the levers moved (``PATH=VALUE``)."""
        return [_lever(entry, path).setting(value) for path, value in self.levers]

    def command(self, entry: Entry) -> list[str]:
        """The ``baiji-sim run`` command that gives the same results folder."""
        sets = [a for s in self.overrides(entry) for a in ("--set", s)]
        return ["baiji-sim", "run", str(entry.path), *sets, "-n", str(self.replications),
                "--seed", str(self.seed), "--plot-format", "svg"]

    def command_line(self, entry: Entry) -> str:
        return shlex.join(self.command(entry))

    def scenario_for(self, entry: Entry) -> Scenario:
        """The scenario with the levers set, checked like a file (:class:`RequestError`)."""
        try:
            return load_scenario(entry.path, self.overrides(entry))
        except ScenarioError as exc:
            raise RequestError(str(exc)) from exc


def _lever(entry: Entry, path: str) -> Lever:
    lever = entry.lever(path)
    if lever is None:
        raise RequestError(f"levers: '{path}' is not a lever of {entry.name}; choose from "
                           f"{', '.join(lv.path for lv in entry.levers) or '(none)'}")
    return lever


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{field}: {value!r} is not a number")
    if not math.isfinite(value):
        raise RequestError(f"{field}: {value!r} is not allowed: give a finite number")
    return float(value)


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value  # exact: a seed may exceed what a float holds
    else:
        whole = _number(field, value)
        if whole != int(whole):
            raise RequestError(f"{field}: {value!r} is not a whole number")
        number = int(whole)
    if not low <= number <= high:
        raise RequestError(f"{field}: {number} is out of range: from {low:,} to {high:,}")
    return number


def lever_value(lever: Lever, value: Any) -> float:
    """``value`` for ``lever``: the scenario's own, or one within the lever's range, whole
    where the parameter is."""
    field = f"levers.{lever.path}"
    number = _number(field, value)
    if number == lever.value:  # the scenario's own, which may lie outside the range
        return number
    if not lever.low <= number <= lever.high:
        raise RequestError(f"{field}: {number:g} is out of range: from {lever.low:g} to "
                           f"{lever.high:g} {lever.unit}".rstrip())
    if lever.integer and number != int(number):
        raise RequestError(f"{field}: {number:g} is not a whole number ({lever.unit})")
    return float(int(number)) if lever.integer else number


def parse_request(data: Any, catalogue: Catalogue) -> RunRequest:
    """The run asked for in ``data`` (the page's JSON), or :class:`RequestError`.

    A lever left at the scenario's own value is no override: the run is then the file's,
    and its command line shows only the levers moved."""
    if not isinstance(data, dict):
        raise RequestError("the request must be a JSON object")
    unknown = sorted(set(data) - {"scenario", "levers", "replications", "seed"})
    if unknown:
        raise RequestError(f"{unknown[0]}: not a field of a run; give scenario, levers, "
                           "replications and seed")
    name = data.get("scenario")
    if not isinstance(name, str) or name not in catalogue:
        raise RequestError(f"scenario: {name!r} is not one of {', '.join(catalogue.names)}")
    entry = catalogue[name]
    levers = data.get("levers", {})
    if not isinstance(levers, dict):
        raise RequestError("levers: give an object of lever path -> value")
    values = {path: lever_value(_lever(entry, str(path)), value)
              for path, value in levers.items()}
    moved = tuple((lv.path, values[lv.path]) for lv in entry.levers
                  if lv.path in values and values[lv.path] != lv.value)
    replications = _whole("replications", data.get("replications", DEFAULT_REPLICATIONS),
                          MIN_REPLICATIONS, MAX_REPLICATIONS)
    seed = data.get("seed", DEFAULT_SEED)
    if isinstance(seed, str) and seed.isascii() and seed.isdigit() and len(seed) <= 20:
        seed = int(seed)  # sent as text: exact above 2^53, which a JavaScript number is not
    seed = _whole("seed", seed, 0, MAX_SEED)
    request = RunRequest(name, moved, replications, seed)
    request.scenario_for(entry)  # the schema's own checks, as for run --set
    return request
