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
from typing import Any

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


UNVALIDATED = ("posterior",)  # the base's own, not given to a variant's validation


class Variants:
    """Makes variants of ``base``; errors name ``path`` (the scenario's file)."""

    def __init__(self, base: Scenario, path: str | Path = "<scenario>") -> None:
        self.base, self.path = base, Path(path)
        self._raw: dict[str, str] = {}  # a top-level field's JSON form, made when first set

    def make(self, settings: Sequence[str], name: str, where: str = "") -> Scenario:
        """``base`` with ``path.to.key=value`` ``settings`` applied, named ``name``.

        A setting the schema refuses raises :class:`ScenarioError` naming the file, the
        field and ``where`` (e.g. "sweep point x=3").

        Only the top-level fields the settings touch are rebuilt from their JSON form and
        validated; the others are the base's own (frozen, already valid) parts, which
        pydantic takes as they are, and which the variant keeps. The scenario-wide checks
        run as for a whole file. A design point of the baseline (37 settings in 7 sections)
        then costs a fraction of validating the whole scenario (its areas, links and
        provenance, about 4 times as long), and a design of thousands of points holds the
        base's parts once instead of a copy a point (134 KiB).
        """
        fields = type(self.base).model_fields
        changed = {item.split("=", 1)[0].split(".", 1)[0].strip() for item in settings}
        # Without a calibrated file's posterior (thousands of numbers no setting changes, and
        # which a draw of it need not validate again): put back with the other parts below.
        data: dict[str, Any] = {f: getattr(self.base, f) for f in fields
                                if f not in UNVALIDATED or f in changed}
        for top in changed:
            if top in fields:  # (a key that is not a field: the schema names it unknown)
                data[top] = json.loads(self._json(top))
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
        # The untouched lists and dicts (areas, provenance...) are new containers of the
        # base's items after validation: the base's own, instead of one more copy a point.
        for name in fields:
            if name not in changed and name != "name":
                object.__setattr__(scenario, name, getattr(self.base, name))
        return scenario

    def _json(self, field: str) -> str:
        if field not in self._raw:
            self._raw[field] = json.dumps(
                self.base.model_dump(mode="json", include={field})[field])
        return self._raw[field]
