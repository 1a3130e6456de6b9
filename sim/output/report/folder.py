"""What the report is drawn from: a results folder, the fact sheets its scenarios cite, and
the parameters in which each scenario differs from the base of the comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sim.output.results_folder import Manifest, ResultsFolder, read_results_folder
from sim.scenario.provenance import Fact, ParameterRow, diff_rows, find_seeds_dir, load_facts
from sim.scenario.schema import Scenario

Diff = list[tuple[str, ParameterRow | None, ParameterRow | None]]  # path, base's row, other's


@dataclass
class Folder:
    """A results folder (read once, through sim.output.results_folder) and what the report
    adds to it: the fact sheets, the base of the comparison and the differences from it."""

    results: ResultsFolder
    seeds_dir: Path | None = None
    facts: dict[str, Fact] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the folder's, then the report's

    @property
    def path(self) -> Path:
        return self.results.folder

    @property
    def summary(self) -> dict[str, Any]:
        return self.results.summary

    @property
    def manifest(self) -> Manifest:
        return self.results.manifest

    @property
    def names(self) -> list[str]:
        return self.results.scenarios

    @property
    def scenarios(self) -> dict[str, Scenario]:
        """The resolved scenarios this version of baiji-sim could read, by name."""
        return self.results.resolved.scenarios

    @property
    def raw(self) -> dict[str, dict[str, Any]]:
        """The scenario files it could not read, as plain YAML."""
        return self.results.resolved.raw

    @property
    def sensitivity(self) -> dict[str, Any] | None:
        return self.results.sensitivity

    @cached_property
    def base(self) -> str | None:
        """The reference of the comparison (summary.json's ``reference``; in older folders,
        the paired comparisons' baseline, else a scenario named ``baseline``), or None: the
        first file never becomes the reference by accident (issue 15)."""
        loaded = [n for n in self.names if n in self.scenarios]
        if "reference" in self.summary:
            reference = self.summary["reference"]
        else:
            reference = (self.summary.get("comparisons") or {}).get("baseline")
            if reference is None and "baseline" in loaded and len(loaded) > 1:
                reference = "baseline"
        return reference if reference in loaded else None

    def no_reference_text(self) -> str:
        """Why there is no base for the parameter tables (call when ``base`` is None)."""
        if not any(n in self.scenarios for n in self.names):
            return "The resolved scenarios could not be read; see the warnings above."
        if len(self.names) == 1:
            return "One scenario was run: there is nothing to compare its parameters with."
        return ("There is no reference scenario (none is named baseline, and --baseline was "
                "not given), so no parameter is compared across scenarios.")

    @cached_property
    def diffs(self) -> dict[str, Diff]:
        """For every other scenario that could be read, its parameters that differ from the
        base's (summary.json does not hold them: they come from the resolved scenarios)."""
        if self.base is None:
            return {}
        base = self.scenarios[self.base]
        return {name: diff_rows(base, self.scenarios[name], self.facts) for name in self.names
                if name in self.scenarios and name != self.base}

    def replications(self, name: str) -> Any:
        """The replications summary.json counts for scenario ``name`` (None if it does not)."""
        return self.results.entry(name).get("replications")

    def metrics(self, name: str) -> dict[str, Any]:
        """Every metric's summary of scenario ``name``."""
        return self.results.entry(name).get("metrics") or {}

    def metric(self, name: str, metric: str) -> dict[str, Any] | None:
        return self.results.metric(name, metric)

    def description(self, name: str) -> str:
        if name in self.scenarios:
            return self.scenarios[name].description.strip()
        return str(self.raw.get(name, {}).get("description") or "").strip()


def read_folder(results_dir: Path) -> Folder:
    """The report's view of ``results_dir``; :class:`ResultsFolderError` if it holds no run."""
    results = read_results_folder(Path(results_dir))
    problems = list(results.problems) + list(results.resolved.problems)
    known = results.resolved.scenarios.keys() | results.resolved.raw.keys()
    missing = [n for n in results.scenarios if n not in known]
    if missing:
        problems.append("No resolved scenario file for: " + ", ".join(missing) + ".")
    seeds_dir = find_seeds_dir(results.folder)
    if seeds_dir is None:
        problems.append("No seeds/ folder with the fact sheets was found: facts are cited by "
                        "their ids only.")
    return Folder(results, seeds_dir, load_facts(seeds_dir), problems)
