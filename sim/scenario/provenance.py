"""Where every number comes from: fact sheets, provenance lookup, units, explain rows.

A scenario's ``provenance`` maps dotted parameter paths (list items by name,
e.g. ``supply_operators.government helicopters.payload_t``) to a fact id from
``seeds/`` or an assumption. A key also covers everything below it; the longest
matching key wins, among the keys of the file that set the value and of the files loaded
after it (the loader writes a ``set_in`` entry for a value set without a source:
sim/scenario/loading.py). :func:`explain_rows` joins a resolved scenario with its
provenance and the fact sheets, for ``baiji-sim explain`` and the generated
parameter table in ``docs/model.md``. A scenario's ``inactive`` table names
path prefixes (a whole mechanism, or one item) that cannot act in it: the same
prefix rule finds the entry that covers a parameter (:func:`find_inactive`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from sim.scenario.schema import Provenance, Scenario

V = TypeVar("V")

# Identity, prose and tables about the parameters: not parameters themselves.
EXEMPT = ("name", "description", "provenance", "inactive", "levers", "posterior")
# Fields that an item of this kind does not use (the schema is shared across kinds).
UNUSED_BY_KIND = {
    "helicopter": ("bundles", "bundle_t", "accuracy", "perimeter_exponent"),
    "airdrop": ("payload_t",),
    "crude_pipeline": ("trucks_per_day", "bbl_per_truck"),
    "product_pipeline": ("trucks_per_day", "bbl_per_truck"),
    "truck_road": ("capacity_kbbl_day",),
    "crude_road": ("capacity_kbbl_day",),
}


@dataclass(frozen=True)
class Fact:
    """One entry of a fact sheet."""

    id: str
    statement: str
    sheet: str
    kind: str  # "article" or "reference"
    outlet: str | None = None
    date: str | None = None
    source: str | None = None
    value: Any = None
    unit: str | None = None


@dataclass(frozen=True)
class ParameterRow:
    """One parameter of a resolved scenario, with its unit and where it comes from."""

    path: str
    value: Any
    unit: str
    kind: str  # "fact", "assumption" or "missing"
    source: str  # the fact id, the assumption's rationale, or why it is missing ("" if none)
    basis: str | None
    range: list[float] | None
    cited: str  # readable citation of the fact or basis ("" if none)
    inactive: str | None = None  # why it cannot act here, if under a declared-inactive prefix

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- paths ---------------------------------------------------------------------------
def leaf_paths(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted path -> value for every leaf; lists of named mappings are keyed by name."""
    out: dict[str, Any] = {}
    unused = UNUSED_BY_KIND.get(str(data.get("kind")), ()) if prefix else ()
    for key, value in data.items():
        if not prefix and key in EXEMPT:
            continue
        if (prefix and key == "name") or key in unused:
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(leaf_paths(value, path))
        elif _named_items(value):
            for item in value:
                out.update(leaf_paths(item, f"{path}.{item['name']}"))
        else:
            out[path] = value
    return out


def scenario_leaves(scenario: Scenario) -> dict[str, Any]:
    return leaf_paths(scenario.model_dump(mode="json"))


def _named_items(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(i, dict) and "name" in i for i in value)


def covers(key: str, path: str) -> bool:
    """Whether the dotted ``key`` is ``path`` or a prefix of it (whole parts only)."""
    return path == key or path.startswith(key + ".")


def _longest(table: Mapping[str, V], path: str) -> tuple[str, V] | None:
    best: tuple[str, V] | None = None
    for key, entry in table.items():
        if covers(key, path) and (best is None or len(key) > len(best[0])):
            best = (key, entry)
    return best


def find_provenance(table: dict[str, Provenance], path: str) -> tuple[str, Provenance] | None:
    """The entry whose key is ``path`` or the longest prefix of it."""
    return _longest(table, path)


def find_inactive(scenario: Scenario, path: str) -> tuple[str, str] | None:
    """(prefix, reason) of the declared-inactive entry covering ``path`` (the longest), if any."""
    return _longest(scenario.inactive_reasons, path)


def prefixes(paths: Iterable[str]) -> set[str]:
    """Every path and every prefix of one: what an ``inactive`` key may name."""
    out: set[str] = set()
    for path in paths:
        parts = path.split(".")
        out.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    return out


# -- fact sheets ---------------------------------------------------------------------
def find_seeds_dir(start: Path | None = None) -> Path | None:
    """The nearest ``seeds/`` folder above ``start`` (or the working directory, or the package)."""
    candidates = []
    if start is not None:
        candidates += [p / "seeds" for p in [start.resolve(), *start.resolve().parents]]
    cwd = Path.cwd()
    candidates += [cwd / "seeds", Path(__file__).resolve().parents[2] / "seeds"]
    for c in candidates:
        if c.is_dir() and any(c.glob("*.yaml")):
            return c
    return None


def load_facts(seeds_dir: Path | None) -> dict[str, Fact]:
    """Every fact of every sheet in ``seeds_dir``, by id."""
    facts: dict[str, Fact] = {}
    if seeds_dir is None:
        return facts
    for path in sorted(seeds_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        head = data.get("source") or data.get("sheet") or {}
        kind = "reference" if "sheet" in data else "article"
        entries = list(data.get("facts") or []) + list(data.get("method_notes") or [])
        for entry in entries:
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            facts[entry["id"]] = Fact(
                id=entry["id"],
                statement=str(entry.get("statement") or entry.get("text") or ""),
                sheet=path.name, kind=kind, outlet=head.get("outlet"),
                date=str(head["date"]) if head.get("date") else None,
                source=entry.get("source"), value=entry.get("value", entry.get("range")),
                unit=entry.get("unit"))
    return facts


def cite(fact_id: str | None, facts: dict[str, Fact]) -> str:
    if not fact_id:
        return ""
    fact = facts.get(fact_id)
    if fact is None:
        return f"{fact_id} (UNKNOWN FACT ID)"
    if fact.kind == "article":
        where = ", ".join(str(x) for x in (fact.outlet, fact.date) if x)
    else:  # a method note has no source: nothing to add
        where = f"planning factor: {fact.source}" if fact.source else ""
    return f"{fact_id}: {fact.statement}" + (f" ({where})" if where else "")


# -- units ---------------------------------------------------------------------------
_UNIT_BY_LEAF = {
    "horizon_days": "days", "start_date": "date", "troops": "troops", "relief_troops": "troops",
    "strength": "fighters", "max_strength": "fighters", "teams": "teams", "max_teams": "teams",
    "aircraft": "aircraft", "bundles": "bundles per sortie", "bbl_per_truck": "bbl",
    "trucks_per_day": "trucks per day", "kills_per_strike": "fighters per strike",
    "after_losses": "aircraft lost", "holder": "side", "kind": "-", "route": "areas in order",
    "surroundings": "areas", "through": "areas", "source": "area", "destination": "area",
    "damage_per_hit": "share of capacity", "sabotage_damage": "share of capacity",
    "initial_damage": "share of each unit", "rebuild_days": "crew-days per unit destroyed",
    "repair_crews": "crews", "long_idle_factor": "x the quick restart", "repair_cv": "-",
    "idle_since": "date", "units": "process units", "inside_plant": "rule",
    "supplies_days": "days of supply per head", "fighters": "fighters",
    "required_plant_share": "share of sectors", "assault_share": "share of besiegers",
    "inside_plant_share": "share of strikes", "accuracy": "probability",
    "aversion": "share of damaging blows held back", "exposure": "share of the loss chance",
    "gov_control": "share of sectors",
}


def unit_of(path: str) -> str:
    """The unit of a parameter, from its name (the schema's naming convention)."""
    parts = path.split(".")
    leaf = parts[-1]
    if leaf in ("low", "high", "government", "insurgent") and len(parts) > 1:
        leaf = parts[-2]
    if leaf in _UNIT_BY_LEAF:
        return _UNIT_BY_LEAF[leaf]
    for suffix, unit in (("_kbbl_day", "kbbl/day"), ("_kg_per_troop_day", "kg per troop per day"),
                         ("_per_aircraft_day", "sorties per aircraft per day"),
                         ("_per_day", "per day"), ("_prob", "probability"), ("_days", "days"),
                         ("_day", "day of the scenario"), ("_t", "t")):
        if leaf.endswith(suffix):
            return unit
    return "-"


# -- explain -------------------------------------------------------------------------
def explain_rows(scenario: Scenario, facts: dict[str, Fact]) -> list[ParameterRow]:
    """Every parameter of ``scenario`` with its value, unit, provenance and inactive reason."""
    rows = []
    for path, value in scenario_leaves(scenario).items():
        found = find_provenance(scenario.provenance, path)
        off = find_inactive(scenario, path)
        inactive = off[1] if off else None
        if found is None:
            rows.append(ParameterRow(path, value, unit_of(path), "missing", "", None, None, "",
                                     inactive))
            continue
        _, entry = found
        if entry.set_in is not None:  # set in a file or by --set without a source
            rows.append(ParameterRow(path, value, unit_of(path), "missing",
                                     entry.unsourced_text or "", None, None, "", inactive))
        elif entry.fact is not None:
            rows.append(ParameterRow(path, value, unit_of(path), "fact", entry.fact, None,
                                     entry.range, cite(entry.fact, facts), inactive))
        else:
            rows.append(ParameterRow(path, value, unit_of(path), "assumption",
                                     entry.assumption or "", entry.basis, entry.range,
                                     cite(entry.basis, facts), inactive))
    return rows


def diff_rows(a: Scenario, b: Scenario, facts: dict[str, Fact]
              ) -> list[tuple[str, ParameterRow | None, ParameterRow | None]]:
    """Parameters whose values differ between ``a`` and ``b`` (or exist in only one)."""
    ra = {r.path: r for r in explain_rows(a, facts)}
    rb = {r.path: r for r in explain_rows(b, facts)}
    out = []
    for path in list(ra) + [p for p in rb if p not in ra]:
        x, y = ra.get(path), rb.get(path)
        if x is None or y is None or x.value != y.value:
            out.append((path, x, y))
    return out


def cited_ids(scenario: Scenario) -> set[str]:
    """Every fact id a scenario's provenance refers to (facts and bases)."""
    ids: set[str] = set()
    for entry in scenario.provenance.values():
        ids.update(i for i in (entry.fact, entry.basis) if i)
    return ids
