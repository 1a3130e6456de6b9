"""Reading scenario files: YAML, ``extends`` inheritance, ``--set`` overrides, clear errors.

A variant scenario states only what differs from its parent. Mappings merge key
by key; lists of named mappings (areas, links, supply operators) merge item by
item on ``name`` (new names are appended); any other value replaces the parent's.
Entries of ``provenance`` replace the parent's entry for the same key whole.
Keys of ``inactive`` must name parameters of the scenario (a path or a prefix of one).
Every failure becomes one :class:`ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.provenance import prefixes, scenario_leaves
from sim.scenario.schema import Scenario


class ScenarioError(Exception):
    """A scenario file that cannot be used, with the file and field to blame."""

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__(where + message)


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, merge, override and validate one scenario file."""
    path = Path(path)
    data = _resolve(path, chain=())
    apply_overrides(data, overrides, path)
    return validate(data, path)


def load_scenarios(paths: Iterable[str | Path], overrides: Sequence[str] = ()) -> list[Scenario]:
    """Load several files; two scenarios may not share a name (results are keyed by it)."""
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for p in paths:
        scenario = load_scenario(p, overrides)
        if scenario.name in seen:
            raise ScenarioError(
                p, "name", f"'{scenario.name}' is already the name of {seen[scenario.name]}"
            )
        seen[scenario.name] = Path(p)
        scenarios.append(scenario)
    return scenarios


def validate(data: dict[str, Any], path: str | Path = "<scenario>") -> Scenario:
    """Turn merged raw data into a :class:`Scenario`, or raise a :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _to_scenario_error(exc, path) from None
    if scenario.inactive:
        _check_inactive(scenario, path)
    return scenario


def _check_inactive(scenario: Scenario, path: str | Path) -> None:
    """Every ``inactive`` key names parameters of the scenario; every reason is given."""
    allowed = prefixes(scenario_leaves(scenario))
    for key, reason in scenario.inactive.items():
        field = f"inactive.{key}"
        if key not in allowed:
            head = key.split(".")[0]
            near = sorted(p for p in allowed if p.split(".")[0] == head) or sorted(allowed)
            hint = difflib.get_close_matches(key, near, n=1, cutoff=0.5)
            sections = sorted(p for p in allowed if "." not in p)
            raise ScenarioError(
                path, field, f"'{key}' is not a parameter path of this scenario nor a prefix "
                "of one" + (f"; did you mean '{hint[0]}'?" if hint else "") + " Allowed: a "
                f"section ({', '.join(sections)}), an item ('links.NAME', "
                "'supply_operators.NAME', 'areas.NAME') or any path `baiji-sim explain` shows.")
        if reason is not None and not reason.strip():
            raise ScenarioError(path, field, "give the reason in one sentence (or null to make "
                                "an inherited entry active again)")


class _ScenarioYaml(yaml.SafeLoader):
    """YAML's safe loader, except that an impossible date (2014-13-45) stays text, for the
    validation to reject with the name of its field instead of a bare ValueError."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_ScenarioYaml.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _parse(text: str) -> Any:
    return yaml.load(text, Loader=_ScenarioYaml)  # a SafeLoader: no arbitrary objects


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "no such file") from None
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot read: {exc.strerror}") from None
    try:
        data = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, where, f"not valid YAML: {problem}") from None
    if data is None:
        raise ScenarioError(path, "", "the file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(path, "", "a scenario file must be a mapping of keys to values")
    return data


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Read a file and, recursively, the parents it extends."""
    key = path.resolve()
    if key in chain:
        cycle = " -> ".join(str(p.name) for p in (*chain, key))
        raise ScenarioError(path, "extends", f"cycle of extends: {cycle}")
    data = _read_yaml(path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError(path, "extends", "must be a path to another scenario file")
    parent_path = path.parent / parent_ref
    if not parent_path.exists():
        raise ScenarioError(path, "extends", f"parent file '{parent_ref}' does not exist")
    parent = _resolve(parent_path, (*chain, key))
    # A provenance entry describes one value: the child's replaces the parent's whole.
    child_provenance = data.pop("provenance", None)
    merged = deep_merge(parent, data)
    if isinstance(child_provenance, dict) and isinstance(merged.get("provenance"), dict):
        merged["provenance"] = {**merged["provenance"], **child_provenance}
    elif child_provenance is not None:
        merged["provenance"] = child_provenance
    return merged


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` onto ``base`` (see module docstring); neither input is modified."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for k, v in over.items():
            merged[k] = deep_merge(base[k], v) if k in base else v
        return merged
    if _named_list(base) and _named_list(over):
        merged_list = list(base)
        index = {item["name"]: i for i, item in enumerate(merged_list)}
        for item in over:
            if item["name"] in index:
                i = index[item["name"]]
                merged_list[i] = deep_merge(merged_list[i], item)
            else:
                merged_list.append(item)
        return merged_list
    return over


def _named_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value)
    )


def apply_overrides(data: dict[str, Any], overrides: Sequence[str],
                    path: str | Path = "<scenario>") -> None:
    """Apply ``path.to.key=value`` overrides to raw scenario data, in place.

    For callers that build many variants of one loaded scenario (sensitivity
    designs) without reading the file again; :func:`validate` the result.
    """
    for item in overrides:
        _apply_override(data, item, Path(path))


def _apply_override(data: dict[str, Any], item: str, path: Path) -> None:
    """Apply ``path.to.key=value``; list items are addressed by index or by name."""
    if "=" not in item:
        raise ScenarioError(path, item, "--set takes path.to.key=value")
    dotted, raw = item.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ScenarioError(path, dotted, "--set needs a key before '='")
    try:
        value = _parse(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, dict) and not raw.lstrip().startswith("{"):
        value = raw  # "a: b" is text, not a mapping, unless written as {a: b}
    node: Any = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            idx = _list_index(node, key)
            if idx is None:
                names = [str(i.get("name")) for i in node if isinstance(i, dict)]
                raise ScenarioError(
                    path, where, f"no item '{key}' here; use an index or one of: {names}"
                )
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if key not in node or not isinstance(node[key], dict | list):
                    node[key] = {}
                node = node[key]
        else:
            raise ScenarioError(path, where, "cannot set a key inside a plain value")


def _list_index(items: list[Any], key: str) -> int | None:
    if key.lstrip("-").isdigit():
        i = int(key)
        return i if -len(items) <= i < len(items) else None
    for i, entry in enumerate(items):
        if isinstance(entry, dict) and entry.get("name") == key:
            return i
    return None


def _to_scenario_error(exc: ValidationError, path: str | Path) -> ScenarioError:
    lines = []
    first_field = ""
    for err in exc.errors():
        loc = err.get("loc", ())
        field = _format_loc(loc)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            msg = "unknown key"
            if hint:
                msg += f"; did you mean '{hint[0]}'?"
            msg += f" Allowed here: {', '.join(allowed)}"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif not field and ": " in msg:
                # Cross-reference checks run on the whole scenario and put the field first.
                field, msg = msg.split(": ", 1)
        if not first_field:
            first_field = field
        lines.append((field, msg))
    field, msg = lines[0]
    if len(lines) > 1:
        more = "; ".join(f"{f or 'scenario'}: {m}" for f, m in lines[1:4])
        msg += f" (also: {more}{' ...' if len(lines) > 4 else ''})"
    return ScenarioError(path, field, msg)


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` down from :class:`Scenario`."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = _inner_model(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside list[...], X | None, dict[str, ...] annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
