"""Reading scenario files: YAML, ``extends`` inheritance, ``--set`` overrides, clear errors.

A variant scenario states only what differs from its parent. Mappings merge key
by key; lists of named mappings (areas, links, supply operators) merge item by
item on ``name`` (new names are appended); any other value replaces the parent's.
Entries of ``provenance`` replace the parent's entry for the same key whole.
Keys of ``inactive`` must name parameters of the scenario (a path or a prefix of one).
Keys of ``levers`` must name numeric parameters that are not declared inactive.
Every failure becomes one :class:`ScenarioError` naming the file and the field.

Hostile or broken files are refused before they cost time or memory: a file is read
only if it is a regular file of at most :data:`MAX_FILE_BYTES`, as UTF-8; YAML may
nest at most :data:`MAX_NESTING` levels and hold at most :data:`MAX_NODES` values,
aliases counted as what they expand to (an "alias bomb" of a few hundred bytes would
otherwise expand to billions); a key may appear once in a mapping; a chain of
``extends`` is at most :data:`MAX_EXTENDS` files long.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import os
import re
import stat
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.levers import LeverError, scenario_levers
from sim.scenario.provenance import leaf_paths, prefixes, scenario_leaves
from sim.scenario.schema import COMMAND_LINE, Provenance, Scenario
from sim.scenario.uncertainty import is_number, uncertain_parameters

MAX_FILE_BYTES = 1 << 20  # 1 MiB: the largest shipped scenario is 23 KB
MAX_NESTING = 64  # levels of YAML nesting (shipped files: 5)
MAX_NODES = 50_000  # YAML values of a file and its parents, aliases expanded (baseline: 1,288)
MAX_EXTENDS = 32  # files in a chain of extends (shipped: 3)
MAX_PATH_CHARS = 1024  # characters of an `extends` path
MAX_LISTED = 1000  # files of a folder looked at for a misspelled parent's name
MAX_MESSAGE = 2000  # characters of an error message (values quoted in it are cut shorter)
# A daily series of head counts keeps, in a run's daily bands, one 4-byte counter per day for
# every possible head count (sim/runner/daily_bands.py): 2^27 of them is 512 MiB a scenario.
MAX_BAND_CELLS = 1 << 27


def one_line(text: str) -> str:
    """``text`` with every control or invisible formatting character escaped (a NUL, a
    line break, a terminal escape, a bidirectional override), so a message stays on one
    line and shows what the file holds."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def shown(value: object, limit: int = 80) -> str:
    """A value quoted in a message: on one line and cut to ``limit`` characters."""
    text = one_line(str(value))
    return text if len(text) <= limit else f"{text[:limit - 25]}...({len(text):,} characters)"


class ScenarioError(Exception):
    """A scenario file that cannot be used, with the file and field to blame.

    Its text is one line: control characters of the file name, the field or the message
    are escaped, and the message is cut to :data:`MAX_MESSAGE` characters.
    """

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{one_line(self.file)}: {shown(field, 300)}: " if field else (
            f"{one_line(self.file)}: ")
        super().__init__(where + shown(message, MAX_MESSAGE))


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, merge, override and validate one scenario file.

    A value set in a file (or by ``--set``) that no provenance entry of that file, or of
    one loaded after it, covers gets a ``set_in`` entry (:func:`mark_unsourced`): the
    parent's source described the parent's value, not this one.
    """
    path = Path(path)
    trail: list[_Layer] = []
    data = _resolve(path, chain=(), budget=[MAX_NODES], trail=trail)
    if overrides:
        apply_overrides(data, overrides, path)
        _add_layer(trail, COMMAND_LINE, data, ())  # --set cannot give a source
    scenario = validate(data, path)
    check_band_memory(scenario, path)
    scenario = mark_unsourced(scenario, trail)
    check_posterior(scenario, path)
    return scenario


# One step of a load: who set values (a file, or COMMAND_LINE), the leaves of the merged data
# after it, and the provenance keys it gave.
_Layer = tuple[str, dict[str, Any], list[str]]


def _add_layer(trail: list[_Layer], label: str, merged: dict[str, Any],
               keys: Iterable[Any]) -> None:
    # A copy of each list: --set changes one in place.
    leaves = {k: copy.deepcopy(v) if isinstance(v, list) else v
              for k, v in leaf_paths(merged).items()}
    trail.append((label, leaves, [str(k) for k in keys if k is not None]))


def stale_sources(trail: Sequence[_Layer]) -> dict[str, tuple[str, str | None]]:
    """Parameter path -> (who set its value, the key that describes it, None if none), for
    every value that the longest key of the merged table does not describe.

    A value's source is the longest key, given by the file that set the value or a later
    one, that covers it: an entry of an earlier file described the value that file set.
    """
    origin: dict[str, int] = {}
    before: dict[str, Any] = {}
    given: dict[str, int] = {}  # provenance key -> the last layer that gave it
    for i, (_, leaves, keys) in enumerate(trail):
        for path, value in leaves.items():
            if path not in before or before[path] != value:
                origin[path] = i
        before = leaves
        given.update(dict.fromkeys(keys, i))
    out: dict[str, tuple[str, str | None]] = {}
    for path, i in origin.items():
        if path not in before:
            continue
        # The keys that cover a path are the path cut at a dot, longest first.
        cuts = [path] + [path[:k] for k in range(len(path) - 1, 0, -1) if path[k] == "."]
        longest = next((k for k in cuts if k in given), None)
        valid = next((k for k in cuts if given.get(k, -1) >= i), None)
        if valid != longest or valid is None:
            out[path] = (trail[i][0], valid)
    return out


def mark_unsourced(scenario: Scenario, trail: Sequence[_Layer]) -> Scenario:
    """``scenario`` with an entry of its own for each value :func:`stale_sources` finds:
    ``set_in`` if nothing describes it, else a copy of the entry that does (without its
    ``range``: sensitivity analysis reads a range only from a parameter's own key)."""
    leaves = scenario_leaves(scenario)
    table = dict(scenario.provenance)
    for path, (where, key) in stale_sources(trail).items():
        if path not in leaves:
            continue
        if key is None or key not in table:
            table[path] = Provenance(set_in=where)
        else:
            table[path] = table[key].model_copy(update={"range": None})
    if table == scenario.provenance:
        return scenario
    return scenario.model_copy(update={"provenance": table})


def check_band_memory(scenario: Scenario, path: str | Path) -> None:
    """A run's daily bands of head counts fit in :data:`MAX_BAND_CELLS` counters.

    Checked on every file loaded (validate, run, trace, explain, sweep), not by
    :func:`validate`, which also builds the test suite's scenarios (one of them has a
    ceiling of a million besiegers, never run through daily bands).
    """
    g, b = scenario.garrison, scenario.besiegers
    fighters = b.offensive.fighters if b.offensive is not None else 0
    heads = {
        "garrison.troops": g.troops + g.relief_troops,
        "besiegers.max_strength": max(b.strength, b.max_strength) + fighters,
        "supply_operators": sum(op.aircraft for op in scenario.supply_operators
                                if op.kind == "helicopter"),
    }
    cells = scenario.horizon_days * (sum(heads.values()) + len(heads))
    if cells > MAX_BAND_CELLS:
        field = max(heads, key=lambda k: heads[k])
        raise ScenarioError(
            path, field, f"horizon_days ({scenario.horizon_days}) x the head counts "
            f"({sum(heads.values()):,}: troops and relief, the besiegers' ceiling and "
            f"offensive, helicopters) is {cells:,}; at most {MAX_BAND_CELLS:,} are allowed "
            "(a run keeps a daily count for every possible head count, 512 MiB at most): "
            "lower the head counts or horizon_days")


def check_posterior(scenario: Scenario, path: str | Path) -> None:
    """A posterior's paths are uncertain parameters of the resolved scenario (an assumption
    with a provenance range, active here) and its values lie in their ranges, whole numbers
    for whole-number parameters: ``run --uncertainty`` sets them as drawn."""
    if scenario.posterior is None:
        return
    ranges = uncertain_parameters(scenario)
    leaves = scenario_leaves(scenario)
    post = scenario.posterior
    for j, name in enumerate(post.parameters):
        if name not in ranges:
            near = difflib.get_close_matches(name, list(ranges), n=1)
            raise ScenarioError(
                path, f"posterior.parameters[{j}]", f"'{shown(name)}' is not an uncertain "
                "parameter of this scenario (an active assumption with a provenance range; a "
                "value changed by --set or a later file loses its range)"
                + (f"; did you mean '{near[0]}'?" if near else ""))
    for i, row in enumerate(post.draws):
        for j, (name, value) in enumerate(zip(post.parameters, row, strict=True)):
            lo, hi = ranges[name]
            if not lo <= value <= hi:
                raise ScenarioError(path, f"posterior.draws[{i}][{j}]",
                                    f"{value:g} is outside the range of {name}, "
                                    f"[{lo:g}, {hi:g}]")
            if is_number(leaves[name]) and isinstance(leaves[name], int) and value != int(value):
                raise ScenarioError(path, f"posterior.draws[{i}][{j}]",
                                    f"{value:g}: {name} is a whole number")


def load_scenarios(paths: Iterable[str | Path], overrides: Sequence[str] = ()) -> list[Scenario]:
    """Load several files; two scenarios may not share a name (results are keyed by it)."""
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for p in paths:
        scenario = load_scenario(p, overrides)
        if scenario.name in seen:
            raise ScenarioError(
                p, "name", f"'{shown(scenario.name)}' is already the name of "
                f"{seen[scenario.name]}")
        seen[scenario.name] = Path(p)
        scenarios.append(scenario)
    return scenarios


def validate(data: dict[str, Any], path: str | Path = "<scenario>",
             same_paths_as: Scenario | None = None) -> Scenario:
    """Turn merged raw data into a :class:`Scenario`, or raise a :class:`ScenarioError`.

    ``same_paths_as``: a scenario already checked whose parameter paths and ``inactive``
    declarations ``data`` keeps (a variant that changes values only), so the check that
    every ``inactive`` key names a parameter, half the cost of a variant, is not redone."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _to_scenario_error(exc, path, data) from None
    if scenario.inactive and (same_paths_as is None
                              or scenario.inactive != same_paths_as.inactive):
        _check_inactive(scenario, path)
    if scenario.levers and (same_paths_as is None or scenario.levers != same_paths_as.levers
                            or scenario.inactive != same_paths_as.inactive):
        try:
            scenario_levers(scenario)
        except LeverError as exc:
            raise ScenarioError(path, f"levers.{exc.path}", exc.message) from None
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


class _Refused(yaml.YAMLError):
    """A limit of the loader hit at ``field`` (a dotted path into the file)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_MERGE_TAG = "tag:yaml.org,2002:merge"

try:  # libyaml parses five times faster; the composing, where the limits are, stays in Python

    class _Loader(yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                  yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader  # type: ignore[misc, assignment]


class _ScenarioYaml(_Loader):
    """YAML's safe loader, with limits checked while the file is composed, before any value
    is built: nesting depth, the number of values (aliases counted as what they expand to,
    so an alias bomb is refused after at most :data:`MAX_NODES` steps) and keys given twice.
    An impossible date (2014-13-45) stays text, for the validation to reject with the name
    of its field instead of a bare ValueError."""

    def __init__(self, text: str, budget: int = MAX_NODES) -> None:
        super().__init__(text)
        self.budget = budget  # values this file may still hold
        self.nodes = 0  # values composed so far, aliases expanded
        self.path: list[str] = []  # where the node being composed sits

    def field(self, extra: str | None = None) -> str:
        parts = [*self.path, *([extra] if extra is not None else [])]
        if len(parts) > 10:  # deep nesting: the start and the end of the path
            parts = [*parts[:5], f"...({len(parts) - 8} levels)...", *parts[-3:]]
        out = ""
        for part in parts:
            out += part if part.startswith("[") or not out else f".{part}"
        return out

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if parent is not None:
            if isinstance(index, int):
                self.path.append(f"[{index}]")
            elif isinstance(index, yaml.ScalarNode):
                self.path.append(shown(index.value, 40))
            else:
                self.path.append("(a key)")
        try:
            return self._compose_counted(parent, index)
        finally:
            if parent is not None:
                self.path.pop()

    def _compose_counted(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        depth = len(self.path) + 1
        if depth > MAX_NESTING:
            raise _Refused(self.field(), f"nested more than {MAX_NESTING} levels deep; a "
                           "scenario needs at most 5")
        alias = self.check_event(yaml.AliasEvent)
        start = self.nodes
        node = super().compose_node(parent, index)
        if alias:
            size = getattr(node, "_size", None)
            if size is None:
                raise _Refused(self.field(), "an alias inside the very value it names (a "
                               "recursive alias) expands without end")
            if depth - 1 + node._height > MAX_NESTING:  # type: ignore[attr-defined]
                raise _Refused(self.field(), f"this alias expands to values nested more than "
                               f"{MAX_NESTING} levels deep")
            self.nodes += size
        else:
            self.nodes += 1
            node._size = self.nodes - start  # type: ignore[attr-defined]
            if isinstance(node, yaml.MappingNode):
                kids = [n for pair in node.value for n in pair]
                self._check_keys(node)
            else:
                kids = node.value if isinstance(node, yaml.SequenceNode) else []
            node._height = 1 + max(  # type: ignore[attr-defined]
                (getattr(k, "_height", 1) for k in kids), default=0)
        if self.nodes > self.budget:
            raise _Refused(self.field(), f"more than {MAX_NODES:,} values in the file and its "
                           "parents, aliases counted as what they expand to (a scenario "
                           "needs a few thousand)")
        return node

    def _check_keys(self, node: yaml.MappingNode) -> None:
        """A key given twice in one mapping is an error, not "the last one wins"."""
        counts: dict[tuple[str, str], list[int]] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                lines = counts.setdefault((key.tag, key.value), [])
                lines.append(key.start_mark.line + 1)
                if len(lines) == 2:
                    where = (f"lines {lines[0]} and {lines[1]}" if lines[0] != lines[1]
                             else f"line {lines[0]}")
                    raise _Refused(self.field(shown(key.value, 40)),
                                   f"the key is given twice ({where}); keep one")


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


def _int_or_refuse(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise yaml.constructor.ConstructorError(
            None, None, f"the integer {shown(node.value, 30)} is far too long",
            node.start_mark) from None


_ScenarioYaml.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
_ScenarioYaml.add_constructor("tag:yaml.org,2002:int", _int_or_refuse)


def _parse(text: str, budget: int = MAX_NODES) -> tuple[Any, int]:
    """The YAML value of ``text`` and how many values it holds, aliases expanded.

    A SafeLoader: no arbitrary objects. Raises ``yaml.YAMLError`` (a :class:`_Refused`
    for a limit)."""
    loader = _ScenarioYaml(text, budget)
    try:
        return loader.get_single_data(), loader.nodes
    finally:
        loader.dispose()


def _read_text(path: Path, parent_of: tuple[Path, str] | None) -> str:
    """The text of a scenario file, read only if it is a regular file of at most
    :data:`MAX_FILE_BYTES`, as UTF-8. A file that cannot be read at all is blamed on the
    ``extends`` field of the child that names it (``parent_of``: the child and its text)."""

    def refuse(top: str, as_parent: str) -> typing.NoReturn:
        if parent_of is not None:
            child, ref = parent_of
            raise ScenarioError(child, "extends", f"parent file '{shown(ref)}' {as_parent}")
        raise ScenarioError(path, "", top)

    try:
        # Non-blocking, so that a named pipe cannot hang the open; checked on the open file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        refuse("no such file", f"does not exist: {_looked_for(path, parent_of)}")
    except IsADirectoryError:
        refuse("is a directory, not a scenario file", "is a directory, not a scenario file")
    except OSError as exc:
        refuse(f"cannot read: {exc.strerror}", f"cannot be read: {exc.strerror}")
    except ValueError:  # a NUL in the name
        refuse("the file name holds a NUL character", "holds a NUL character")
    info = os.fstat(fd)
    too_big = (f"is larger than {MAX_FILE_BYTES:,} bytes (1 MiB), the most a scenario "
               "file may have")
    problem = ("is a directory, not a scenario file" if stat.S_ISDIR(info.st_mode) else
               "is not a regular file (a device, a pipe or a socket), not a scenario file"
               if not stat.S_ISREG(info.st_mode) else
               too_big if info.st_size > MAX_FILE_BYTES else None)
    if problem is not None:
        os.close(fd)
        refuse(problem, problem)
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)  # a file may grow, or report no size (/proc)
        except OSError as exc:
            refuse(f"cannot read: {exc.strerror}", f"cannot be read: {exc.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        refuse(too_big, too_big)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ScenarioError(path, f"line {line}, column {column}",
                            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}): a scenario is a "
                            "YAML file saved as UTF-8") from None


def _looked_for(path: Path, parent_of: tuple[Path, str] | None) -> str:
    """Where a missing parent was looked for, and a likely meant file: one of a close name
    in that folder (a typo), or one of that name in the working directory's scenarios/
    folder (a file moved out of it), named as the child must name it."""
    where = f"looked for {shown(os.path.abspath(path), 300)} (a path relative to the folder "
    where += "of the file that extends it)"
    if parent_of is None:
        return where
    try:
        near = Path.cwd() / "scenarios" / path.name
        folder = Path(os.path.abspath(path)).parent
        if not near.is_file() and folder.is_dir():
            stems = {Path(e.name).stem: e.name for e in itertools.islice(
                os.scandir(folder), MAX_LISTED) if e.name.endswith((".yaml", ".yml"))}
            close = difflib.get_close_matches(path.stem, list(stems), n=1, cutoff=0.8)
            near = folder / stems[close[0]] if close else near
        if near.is_file() and near.resolve() != path.resolve():
            relative = os.path.relpath(near, os.path.abspath(parent_of[0].parent))
            where += f"; did you mean '{shown(relative, 300)}'?"
    except (OSError, ValueError, RuntimeError):
        pass
    return where


def _read_yaml(path: Path, budget: list[int],
               parent_of: tuple[Path, str] | None = None) -> dict[str, Any]:
    """The mapping in a scenario file; ``budget[0]``, the values the file may hold, is
    lowered by those it holds."""
    text = _read_text(path, parent_of)
    try:
        data, nodes = _parse(text, budget[0])
    except _Refused as exc:
        raise ScenarioError(path, exc.field, exc.message) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        char = exc.character if isinstance(exc.character, int) else 0
        raise ScenarioError(path, f"line {line}, column {column}",
                            f"not valid YAML: the character U+{char:04X} "
                            f"({one_line(chr(char))}) is not allowed in a YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, where, f"not valid YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ScenarioError(path, "", f"not valid YAML: {exc}") from None
    budget[0] -= nodes
    if data is None:
        raise ScenarioError(path, "", "the file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(path, "", "a scenario file must be a mapping of keys to values")
    return data


def _resolve(path: Path, chain: tuple[Path, ...], budget: list[int],
             parent_of: tuple[Path, str] | None = None, top: Path | None = None,
             trail: list[_Layer] | None = None) -> dict[str, Any]:
    """Read a file and, recursively, the parents it extends (``top``: the file loaded).
    Each file, parents first, adds a layer to ``trail`` (what it set and sourced)."""
    try:
        key = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a name too long
        child, ref = parent_of if parent_of is not None else (path, "")
        raise ScenarioError(child, "extends" if parent_of else "",
                            f"parent file '{shown(ref)}' cannot be read: {exc}" if parent_of
                            else f"cannot read: {exc}") from None
    if key in chain:  # blamed on the file whose extends closes the cycle
        cycle = " -> ".join(str(p.name) for p in (*chain, key))
        raise ScenarioError(parent_of[0] if parent_of else path, "extends",
                            f"cycle of extends: {shown(cycle, 300)}")
    data = _read_yaml(path, budget, parent_of)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        if trail is not None:
            provenance = data.get("provenance")
            _add_layer(trail, str(path), {k: v for k, v in data.items() if k != "provenance"},
                       provenance if isinstance(provenance, dict) else ())
        return data
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(path, "extends", "must be a path to another scenario file")
    if len(parent_ref) > MAX_PATH_CHARS:
        raise ScenarioError(path, "extends", f"a path of {len(parent_ref):,} characters; at "
                            f"most {MAX_PATH_CHARS:,} are allowed")
    if "\0" in parent_ref:
        raise ScenarioError(path, "extends", "the path holds a NUL character")
    if len(chain) + 2 > MAX_EXTENDS:
        raise ScenarioError(top or path, "extends", f"a chain of more than {MAX_EXTENDS} files "
                            f"extending one another (stopped at {path}); a scenario needs a "
                            "few")
    parent = _resolve(path.parent / parent_ref, (*chain, key), budget, (path, parent_ref),
                      top or path, trail)
    # A provenance entry describes one value: the child's replaces the parent's whole.
    child_provenance = data.pop("provenance", None)
    merged = deep_merge(parent, data)
    if trail is not None:
        _add_layer(trail, str(path), {k: v for k, v in merged.items() if k != "provenance"},
                   child_provenance if isinstance(child_provenance, dict) else ())
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
    where = Path(path)
    for item in overrides:
        _apply_override(data, item, where)


_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")  # no octal 010, no huge ints
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


def _plain_number(raw: str) -> int | float | None:
    """``raw`` as YAML reads it when it is a plain integer or decimal (what a sweep or a
    design writes, thousands of times), without starting the YAML parser; else None."""
    if _INT.fullmatch(raw):
        return int(raw)
    if _DECIMAL.fullmatch(raw):
        return float(raw)
    return None


def _apply_override(data: dict[str, Any], item: str, path: Path) -> None:
    """Apply ``path.to.key=value``; list items are addressed by index or by name."""
    if "=" not in item:
        raise ScenarioError(path, item, "--set takes path.to.key=value")
    dotted, raw = item.split("=", 1)
    keys = [k for k in dotted.strip().split(".") if k]
    if not keys:
        raise ScenarioError(path, dotted, "--set needs a key before '='")
    if len(keys) > MAX_NESTING:
        raise ScenarioError(path, dotted, f"--set: a path of more than {MAX_NESTING} keys")
    value: Any
    try:
        value = _plain_number(raw)
        if value is None:
            value = _parse(raw)[0] if raw.strip() else ""
    except _Refused as exc:
        raise ScenarioError(path, dotted, f"--set value: {exc.message}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
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
                hint = _did_you_mean(key, names)
                raise ScenarioError(
                    path, where, f"no item '{shown(key)}' here{hint + ' Use' if hint else '; use'}"
                    f" an index or one of: {shown(names, 500)}")
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
    digits = key.removeprefix("-")
    if digits.isascii() and digits.isdigit() and len(digits) < 19:
        i = int(key)
        return i if -len(items) <= i < len(items) else None
    for i, entry in enumerate(items):
        if isinstance(entry, dict) and entry.get("name") == key:
            return i
    return None


# Pydantic's errors for a value past a bound; their messages say the bound.
_BOUND_ERRORS = {"less_than_equal", "less_than", "greater_than_equal", "greater_than",
                 "too_long", "string_too_long"}


def _to_scenario_error(exc: ValidationError, path: str | Path,
                       data: Any = None) -> ScenarioError:
    errors = exc.errors()
    # A misspelled key is reported once, as an unknown key with a "did you mean", not also
    # as the required field it was meant to be.
    typos = {(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors
             if e["type"] == "extra_forbidden" and e["loc"]}
    lines = []
    new_items: set[tuple[Any, ...]] = set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        field = _format_loc(loc)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            msg = "unknown key" + (f"; did you mean '{hint[0]}'?" if hint else "")
            if allowed:
                msg += f"{'' if hint else '.'} Allowed here: {', '.join(allowed)}"
        elif err["type"] == "missing" and loc and difflib.get_close_matches(
                str(loc[-1]), [k for at, k in typos if at == loc[:-1]], n=1):
            continue  # the unknown key's error says it
        elif err["type"] == "missing" and (renamed := _new_item_hint(data, loc)) is not None:
            if loc[:-1] in new_items:
                continue
            new_items.add(loc[:-1])
            field = _format_loc((*loc[:-1], "name"))
            msg = renamed
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif err["type"] == "literal_error":
                msg += _did_you_mean(err.get("input"), re.findall(
                    r"'([^']*)'", str((err.get("ctx") or {}).get("expected", ""))))
            elif err["type"] == "finite_number":
                msg = "must be a finite number (.inf and .nan are not allowed)"
            elif err["type"] in _BOUND_ERRORS:
                msg += " (the bounds and why: docs/model.md, section 4)"
            elif not field and ": " in msg:
                # Cross-reference checks run on the whole scenario and put the field first.
                field, msg = msg.split(": ", 1)
        lines.append((field, msg))
    field, msg = lines[0]
    if len(lines) > 1:
        more = "; ".join(f"{f or 'scenario'}: {m}" for f, m in lines[1:4])
        msg += f" (also: {more}{' ...' if len(lines) > 4 else ''})"
    return ScenarioError(path, field, msg)


def _did_you_mean(value: Any, allowed: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` if ``value`` is a text close to one of ``allowed``."""
    if not isinstance(value, str) or not allowed:
        return ""
    hint = difflib.get_close_matches(value, list(allowed), n=1)
    return f"; did you mean '{shown(hint[0])}'?" if hint else ""


def _new_item_hint(data: Any, loc: tuple[Any, ...]) -> str | None:
    """For a required field missing from an item of a named list (areas, links, supply
    operators) whose name is close to another item's: the name is probably misspelled, and
    the item, which merged with none of the parent's, is a new one."""
    if len(loc) < 3 or not isinstance(loc[-2], int):
        return None
    items: Any = data
    for part in loc[:-2]:
        try:
            items = items[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not _named_list(items) or not 0 <= loc[-2] < len(items):
        return None
    name = items[loc[-2]]["name"]
    others = [i["name"] for k, i in enumerate(items) if k != loc[-2]]
    hint = _did_you_mean(name, others)
    if not hint:
        return None
    return (f"no item is named '{shown(name)}', so it is a new one and needs "
            f"'{loc[-1]}'{hint}")


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` down from :class:`Scenario`."""
    model: Any = Scenario
    keyed = False  # the part is a key of a dict[str, Model] (provenance), not a field
    for part in loc:
        if isinstance(part, int):
            continue
        if keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        keyed = typing.get_origin(field.annotation) is dict
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
