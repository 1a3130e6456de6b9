"""Variants of one resolved scenario: the points of a sweep or of a sensitivity design.

An experiment changes a few values of a scenario at each point. Building each point from
the resolved scenario (its JSON form, parsed once) instead of reading the YAML and its
``extends`` chain again costs a dictionary copy and one validation per point, and every
point is exactly the scenario the user checked with ``validate``, plus the named changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sim.scenario.loading import (
    ScenarioError,
    apply_overrides,
    check_band_memory,
    load_scenario,
    validate,
)
from sim.scenario.schema import Scenario


def resolved(base: Scenario | str | Path, overrides: Sequence[str] = (),
             path: str | Path = "<scenario>") -> tuple[Scenario, str | Path]:
    """An experiment's base scenario and the file its errors name: ``base`` as given, or
    the file ``base`` loaded with ``overrides`` (which a loaded scenario has applied)."""
    if not isinstance(base, Scenario):
        return load_scenario(base, overrides), base
    if overrides:
        raise ValueError("overrides apply when loading a file; pass a loaded scenario "
                         "with its --set values already applied")
    return base, path


class Variants:
    """Makes variants of ``base``; errors name ``path`` (the scenario's file)."""

    def __init__(self, base: Scenario, path: str | Path = "<scenario>") -> None:
        self.base, self.path = base, Path(path)
        # Without a calibrated file's posterior (thousands of numbers no setting changes, and
        # which a draw of it need not validate again): _shared puts the base's back.
        self._raw = json.dumps(base.model_dump(mode="json", exclude={"posterior"}))

    def make(self, settings: Sequence[str], name: str, where: str = "") -> Scenario:
        """``base`` with ``path.to.key=value`` ``settings`` applied, named ``name``.

        A setting the schema refuses raises :class:`ScenarioError` naming the file, the
        field and ``where`` (e.g. "sweep point x=3").
        """
        data = json.loads(self._raw)
        data["name"] = name
        try:
            apply_overrides(data, settings, self.path)
            # Settings change values, not paths (a new key fails the schema), so the base's
            # check of its inactive declarations holds unless they are what changed.
            scenario = validate(data, self.path, same_paths_as=self.base)
            check_band_memory(scenario, self.path)
        except ScenarioError as exc:
            suffix = f" ({where})" if where else ""
            raise ScenarioError(exc.file, exc.field, f"{exc.message}{suffix}") from None
        return self._shared(scenario, {item.split("=", 1)[0].split(".", 1)[0].strip()
                                       for item in settings})

    def _shared(self, scenario: Scenario, changed: set[str]) -> Scenario:
        """``scenario`` holding the base's own parts for every top-level field no setting
        touched (they were rebuilt from the base's dump, so they are equal, and the models
        are frozen): a design of thousands of points would otherwise hold thousands of
        copies of the same areas, links and provenance (134 KiB a point, 4 KiB shared)."""
        for name in type(scenario).model_fields:
            if name not in changed and name != "name":
                object.__setattr__(scenario, name, getattr(self.base, name))
        return scenario
