"""The scenarios a class may pick, what the page shows of each, and the exercises to try.

The files are loaded and checked once, when the explorer starts (a bad file stops it with
the same one-line message as ``run``); the page refers to a scenario by its name only, never
by a path, so nothing the page sends can name a file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.scenario.levers import Lever, scenario_levers
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.provenance import ParameterRow, explain_rows, find_seeds_dir, load_facts
from sim.scenario.schema import Scenario

EXERCISES = Path("docs") / "exercises"  # looked for above the scenarios' folder


@dataclass(frozen=True)
class Exercise:
    """A teaching exercise, shortened to what fits beside the levers."""

    number: str
    title: str
    goal: str
    questions: tuple[str, ...]
    scenarios: frozenset[str]  # file stems of the scenarios its commands run
    file: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "goal": self.goal,
                "questions": list(self.questions), "file": self.file}


@dataclass
class Entry:
    """One scenario of the catalogue: its file, the scenario as loaded, and its levers."""

    path: Path
    scenario: Scenario
    levers: list[Lever]
    sources: dict[str, ParameterRow] = field(default_factory=dict)  # lever path -> provenance

    @property
    def name(self) -> str:
        return self.scenario.name

    def lever(self, path: str) -> Lever | None:
        return next((lv for lv in self.levers if lv.path == path), None)


def _source_text(row: ParameterRow | None) -> dict[str, Any]:
    """A lever's provenance as the page shows it: fact or assumption, and its source."""
    if row is None or row.kind == "missing":
        return {"kind": "missing", "text": (row.source if row else "") or "no source given"}
    text = row.cited if row.kind == "fact" else row.source
    if row.kind == "assumption" and row.cited:
        text = f"{text} (basis: {row.cited})"
    return {"kind": row.kind, "text": text,
            "range": list(row.range) if row.range else None}


def entry_json(entry: Entry, exercises: list[Exercise]) -> dict[str, Any]:
    """What the page shows of a scenario: description, levers with units and sources, and
    the exercises that run it (or, if none does, every exercise)."""
    stem = entry.path.stem
    mine = [e for e in exercises if stem in e.scenarios] or exercises
    return {
        "name": entry.name, "file": entry.path.name,
        "description": " ".join(entry.scenario.description.split()),
        "start_date": entry.scenario.start_date.isoformat(),
        "horizon_days": entry.scenario.horizon_days,
        "levers": [{"path": lv.path, "label": lv.label, "unit": lv.unit, "low": lv.low,
                    "high": lv.high, "value": lv.value, "integer": lv.integer,
                    "description": lv.description,
                    "effort_per_unit": lv.effort_per_unit, "free_end": lv.free_end,
                    "step": 1 if lv.integer else _step(lv.low, lv.high),
                    "source": _source_text(entry.sources.get(lv.path))}
                   for lv in entry.levers],
        "exercises": [e.to_json() for e in mine],
    }


def _step(low: float, high: float) -> float:
    """A slider step of about a hundredth of the range, a power of ten."""
    span = high - low
    return 10.0 ** round(math.log10(span / 100.0)) if span > 0 else 1.0


class Catalogue:
    """The scenarios given to ``baiji-sim explore``, by name, in the order given."""

    def __init__(self, paths: list[Path]) -> None:
        self.entries: dict[str, Entry] = {}
        facts = None
        for path in paths:
            scenario = load_scenario(path)
            if scenario.name in self.entries:
                raise ScenarioError(path, "name", f"'{scenario.name}' is also the name of "
                                    f"{self.entries[scenario.name].path}; give each scenario "
                                    "once")
            if facts is None:
                facts = load_facts(find_seeds_dir(path.parent))
            levers = scenario_levers(scenario)
            wanted = {lv.path for lv in levers}
            rows = {r.path: r for r in explain_rows(scenario, facts) if r.path in wanted}
            self.entries[scenario.name] = Entry(path, scenario, levers, rows)
        self.exercises = read_exercises(find_exercises(paths[0].resolve().parent)
                                        ) if paths else []

    def __getitem__(self, name: str) -> Entry:
        return self.entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    @property
    def names(self) -> list[str]:
        return list(self.entries)

    def to_json(self) -> dict[str, Any]:
        return {"scenarios": [entry_json(e, self.exercises) for e in self.entries.values()]}


_HEADING = re.compile(r"^# Exercise (\d+): (.+)$", re.MULTILINE)
_SECTION = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
_QUESTION = re.compile(r"^\d+\.\s+(.*?)(?=^\d+\.\s|\Z)", re.MULTILINE | re.DOTALL)
_SCENARIO = re.compile(r"scenarios/(?:exercises/)?([\w.-]+)\.yaml")


def _sections(text: str) -> dict[str, str]:
    parts = _SECTION.split(text)
    return {parts[i].strip().lower(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _plain(text: str) -> str:
    """Markdown shortened to plain text: links keep their words, code its characters."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return " ".join(text.replace("**", "").replace("`", "").split())


def read_exercise(path: Path) -> Exercise | None:
    """An exercise's title, learning goal and questions (None: not an exercise)."""
    text = path.read_text(encoding="utf-8")
    head = _HEADING.search(text)
    if head is None:
        return None
    sections = _sections(text)
    questions = tuple(_plain(q) for q in _QUESTION.findall(sections.get("questions", "")))
    return Exercise(head.group(1), _plain(head.group(2)),
                    _plain(sections.get("learning goal", "")), questions,
                    frozenset(_SCENARIO.findall(text)), path.name)


def find_exercises(start: Path) -> Path | None:
    """The nearest ``docs/exercises`` folder at or above ``start`` (the scenarios' folder)."""
    return next((p / EXERCISES for p in (start, *start.parents)
                 if (p / EXERCISES).is_dir()), None)


def read_exercises(folder: Path | None) -> list[Exercise]:
    """Every exercise in ``folder`` (docs/exercises), in order; none if there is none
    (an installed package without the repository's docs)."""
    if folder is None:
        return []
    found = [read_exercise(p) for p in sorted(folder.glob("[0-9]*.md"))]
    return [e for e in found if e is not None]
