"""A results folder: its file names, and the one reader of what a run wrote.

``baiji-sim run`` writes a folder (sim/output/results.py, with the names below); the figures
(``baiji-sim plot``), the HTML report and the instructor-notes generator read it back through
:func:`read_results_folder` (what describes the run: summary, manifest, resolved scenarios,
figures, sensitivity) and :func:`load_results` (the same, plus every replication's metrics,
the daily bands and the traces), never from the in-memory batch, so a folder can be redrawn
and reported on exactly without re-running.

A folder that is not a results folder, or whose summary cannot be read, raises
:class:`ResultsFolderError` with one line that says why; a missing or damaged manifest,
scenario file or sensitivity file is recorded in :attr:`ResultsFolder.problems` instead, so
that a report can still be written and say what is missing.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.model.metrics import METRICS
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

# -- the files of a results folder (written by sim/output/results.py) ---------------------
SUMMARY = "summary.json"  # per scenario and metric: estimates; comparisons, selection...
CALIBRATION_CSV = "calibration.csv"  # --uncertainty with observations: before and after them
SUMMARY_CSV = "summary.csv"  # SUMMARY's estimates flat: one row per scenario and metric
MANIFEST = "manifest.json"  # command line, seed, replications, versions, date, status
REPLICATIONS = "replications.csv"  # one row per replication
REPLICATIONS_PARQUET = "replications.parquet"  # the same rows as Parquet (run --parquet)
DAILY_BANDS = "daily_bands.csv"  # per scenario, series and day: mean and quantiles
SCENARIOS = "scenarios"  # folder: SCENARIOS/STEM.yaml, each scenario fully resolved
TRACES = "traces"  # folder: TRACES/STEM.json, the first replication's event log
PLOTS = "plots"  # folder of figures
SENSITIVITY = "sensitivity.json"  # written by ``baiji-sim sensitivity --out`` beside a run
SENSITIVITY_FIGURE = "sensitivity.png"
REPORT = "report.html"
BAND_STATS = ("mean", "p5", "p25", "p50", "p75", "p95")  # the columns of DAILY_BANDS
DATA_FILES = (SUMMARY, REPLICATIONS, DAILY_BANDS, MANIFEST)  # what the figures need

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built with it
CHUNK_ROWS = 20_000  # CSV rows converted at a time: memory stays flat in the replications
_TOP_LEVEL_KEY = re.compile(r"^[^\s#\-.]", re.M)  # a line that starts a new top-level entry


def yaml_value(text: str, key: str) -> Any:
    """Top-level ``key`` of the YAML mapping ``text``, parsing only that entry's lines: a
    resolved scenario is long (its provenance is most of it) and parsing all of it for a
    value or two costs more than drawing a figure. None when the key is absent."""
    found = re.search(rf"^{re.escape(key)}:", text, re.M)
    if found is None:
        return None
    start = found.start()
    after = _TOP_LEVEL_KEY.search(text, found.end())
    block = text[start:after.start() if after else len(text)]
    try:
        value = yaml.load(block, Loader=SAFE_LOADER)
    except yaml.YAMLError:  # not a plain top-level entry after all: parse the whole file
        value = yaml.load(text, Loader=SAFE_LOADER)
    return value.get(key) if isinstance(value, dict) else None


def _csv_chunks(path: Path, keys: tuple[str, ...], values: Iterable[str]
                ) -> Iterable[tuple[list[tuple[str, ...]], dict[str, np.ndarray]]]:
    """``path``'s rows, CHUNK_ROWS at a time: their key cells (as written, spreadsheet
    quoting undone) and each value column as floats (NaN for an empty or missing cell)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        index = {h: k for k, h in enumerate(header)}
        width = len(header)
        while rows := list(itertools.islice(reader, CHUNK_ROWS)):
            rows = [r if len(r) >= width else r + [""] * (width - len(r)) for r in rows]
            cells = [[r[index[k]] for r in rows] for k in keys]
            unquoted = {c: from_spreadsheet(c) for col in cells for c in set(col)}
            key_cells = list(zip(*([unquoted[c] for c in col] for col in cells), strict=True))
            floats = {}
            for name in values:
                if name in index:
                    k = index[name]
                    floats[name] = np.array([r[k] or "nan" for r in rows], dtype=float)
                else:
                    floats[name] = np.full(len(rows), np.nan)
            yield key_cells, floats


class ResultsFolderError(Exception):
    """A folder that does not hold the results of a run."""


@dataclass(frozen=True)
class Manifest:
    """manifest.json: how the run was made. Every field is None (or empty) when the file
    did not say; ``found`` is False when there was no readable manifest at all (or it
    was empty)."""

    command: list[str] | str | None = None
    resumed_with: list[str] | None = None
    seed: int | None = None
    replications: int | None = None
    workers: int | None = None
    status: str | None = None
    finished_replications: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    scenario_files: dict[str, str] = field(default_factory=dict)
    package_version: str | None = None
    python: str | None = None
    libraries: dict[str, str] = field(default_factory=dict)
    date: str | None = None
    machine: str | None = None  # not written by this version; kept if a folder has it
    found: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """The manifest in ``data``; unknown keys are ignored, and a value of the wrong
        type (a hand-edited file) counts as absent."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.name == "machine":
                value = value or data.get("platform")
            if value is not None and _fits(value, str(f.type)):
                values[f.name] = value
        return cls(**values, found=bool(data))


def _fits(value: Any, annotation: str) -> bool:
    """Whether ``value`` is of a type the annotation ("dict[str, int]", "int | None") allows
    (the outer type only); a bool is not taken for an int."""
    kinds = {"list": list, "dict": dict, "str": str, "int": int, "bool": bool}
    outer = [member.split("[")[0] for member in annotation.split(" | ")]
    allowed = tuple(kinds[k] for k in outer if k in kinds)
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


@dataclass
class ResolvedScenarios:
    """The files of ``scenarios/``, each validated once by this version of baiji-sim."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)  # by scenario name
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)  # files it could not validate
    problems: list[str] = field(default_factory=list)


@dataclass
class ResultsFolder:
    """What one results folder holds. :func:`read_results_folder` fills the description of
    the run; :func:`load_results` also the per-replication data the figures are drawn from
    (``metrics``, ``bands``, ``traces``). The resolved scenarios are read (and validated)
    once, when first asked for."""

    folder: Path
    scenarios: list[str]  # the scenario names, in the order of the run
    summary: dict[str, Any] = field(default_factory=dict)
    manifest: Manifest = field(default_factory=Manifest)
    horizon: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # scenario -> metric
    bands: dict[str, dict[str, dict[str, np.ndarray]]] = field(
        default_factory=dict)  # scenario -> series -> stat -> by day
    traces: dict[str, dict[str, Any]] = field(default_factory=dict)
    sensitivity: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)  # missing or unreadable files, in words

    def scenario_value(self, name: str, key: str) -> Any:
        """Top-level ``key`` of scenario ``name``'s resolved file (scenarios/NAME.yaml), or
        None without the file or the key."""
        path = self.folder / "scenarios" / f"{safe_name(name)}.yaml"
        return yaml_value(path.read_text(encoding="utf-8"), key) if path.exists() else None

    def helicopters_flown(self, name: str) -> int | None:
        """Aircraft of the helicopter operators of scenario ``name`` that fly at all (a start
        before the end and the horizon, sorties planned); None without its resolved file."""
        operators = self.scenario_value(name, "supply_operators")
        if operators is None:
            return None
        horizon = self.horizon[name]
        flown = 0
        for op in operators or []:
            start, end = float(op.get("start_day") or 0.0), op.get("end_day")
            stop = horizon if end is None else min(float(end), horizon)
            if (op.get("kind") == "helicopter" and start < stop
                    and (op.get("sorties_per_aircraft_day") or 0) > 0):
                flown += int(op.get("aircraft") or 0)
        return flown

    @property
    def replications(self) -> int:
        return max((len(next(iter(m.values()))) for m in self.metrics.values() if m),
                   default=0)

    @cached_property
    def resolved(self) -> ResolvedScenarios:
        return read_scenarios(self.folder / SCENARIOS)

    @property
    def figures(self) -> list[Path]:
        """The files of ``plots/``, sorted by name."""
        folder = self.folder / PLOTS
        return sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []

    def entry(self, name: str) -> dict[str, Any]:
        """The summary of scenario ``name`` (replications, horizon_days, metrics)."""
        return (self.summary.get("scenarios") or {}).get(name) or {}

    def metric(self, name: str, metric: str) -> dict[str, Any] | None:
        """The summary of ``metric`` in scenario ``name``, or None."""
        return (self.entry(name).get("metrics") or {}).get(metric)


ResultsData = ResultsFolder  # the name the figures' code knows it by


def safe_name(name: str) -> str:
    """A scenario name as a file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


class NameCollision(ValueError):
    """Two scenario names that would write the same files of a results folder."""

    def __init__(self, message: str, names: tuple[str, str]) -> None:
        super().__init__(message)
        self.names = names


def file_stems(names: Iterable[str]) -> dict[str, str]:
    """Each scenario's file name stem in a results folder (``scenarios/STEM.yaml``,
    ``traces/STEM.json``), or :class:`NameCollision` naming two scenarios whose names are
    the same once made file-safe (``a b`` and ``a_b``), or differ only in case or Unicode
    normalisation (the same file on macOS and Windows): one would overwrite the other."""
    stems: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        stem = safe_name(name)
        key = unicodedata.normalize("NFC", stem).casefold()
        if key in seen and seen[key] != name:
            raise NameCollision(
                f"scenario names {seen[key]!r} and {name!r} both become the file name "
                f"{stem!r} (scenarios/{stem}.yaml, traces/{stem}.json): rename one of them",
                (seen[key], name))
        seen[key] = name
        stems[name] = stem
    return stems


# -- text that leaves as CSV cells or terminal lines ---------------------------------------
# A cell that starts with one of these is a formula to a spreadsheet (=, +, -, @; tab and
# carriage return can hide one): OWASP's "CSV injection" advice is to prefix a single quote,
# which spreadsheets show as text and do not display. Numbers (-3.5) are never touched.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_text(text: str) -> str:
    """A text cell of a CSV file, neutralised: ``=cmd`` becomes ``'=cmd``.

    Quotes already in front of such a start get one more (``'=x`` becomes ``''=x``), so
    :func:`from_spreadsheet` gives back exactly what was written."""
    head = text.lstrip("'")
    if head.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def from_spreadsheet(cell: str) -> str:
    """The text that :func:`spreadsheet_text` wrote as ``cell``."""
    if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_START):
        return cell[1:]
    return cell


# Unicode's bidirectional controls (the Bidi_Control property): an override (U+202E) in a
# scenario name would reverse the text after it on a terminal line. They are shown as
# <U+202E> in terminal output; the HTML report isolates them (<bdi>).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def show_bidi_controls(text: str) -> str:
    """``text`` with each bidirectional control written out as ``<U+XXXX>``."""
    if not BIDI_CONTROLS.search(text):
        return text
    return BIDI_CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _read_summary(folder: Path) -> dict[str, Any]:
    if not (folder / SUMMARY).is_file():
        raise ResultsFolderError(f"{folder}: not a results folder (missing {SUMMARY})")
    try:
        return _read_json(folder / SUMMARY)
    except (ValueError, OSError) as exc:
        raise ResultsFolderError(f"{folder / SUMMARY}: unreadable ({exc})") from None


def _read_manifest(folder: Path, problems: list[str]) -> Manifest:
    try:
        return Manifest.from_json(_read_json(folder / MANIFEST))
    except FileNotFoundError:
        problems.append(f"{MANIFEST} is missing: the command line, seed, date and status of "
                        "the run are unknown.")
    except (ValueError, OSError) as exc:
        problems.append(f"{MANIFEST} is unreadable ({exc}).")
    return Manifest(found=False)


def _read_sensitivity(folder: Path, problems: list[str]) -> dict[str, Any] | None:
    if not (folder / SENSITIVITY).is_file():
        return None
    try:
        return _read_json(folder / SENSITIVITY)
    except (ValueError, OSError) as exc:
        problems.append(f"{SENSITIVITY} is unreadable ({exc}).")
        return None


def read_scenarios(folder: Path) -> ResolvedScenarios:
    """Every ``*.yaml`` of ``folder`` validated once; a file this version cannot validate
    is kept as plain YAML (its description and dates can still be shown) with a problem."""
    out = ResolvedScenarios()
    for path in sorted(folder.glob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except (ScenarioError, OSError, ValueError, yaml.YAMLError) as exc:
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                raw = {}
            raw = raw if isinstance(raw, dict) else {}
            out.raw[str(raw.get("name") or path.stem)] = raw
            out.problems.append(f"{SCENARIOS}/{path.name} could not be read by this version of "
                                f"baiji-sim ({str(exc).splitlines()[0]}); its parameters "
                                "are left out of the comparison of inputs.")
            continue
        out.scenarios[scenario.name] = scenario
    return out


def _horizons(folder: Path, summary: dict[str, Any], names: list[str]) -> dict[str, int]:
    """Each scenario's horizon as summary.json gives it (a folder written before it did:
    from the resolved scenario file)."""
    horizon = {}
    for name in names:
        days = ((summary.get("scenarios") or {}).get(name) or {}).get("horizon_days")
        if not isinstance(days, int):
            path = folder / SCENARIOS / f"{safe_name(name)}.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
            days = (data or {}).get("horizon_days", 0)
        horizon[name] = int(days)
    return horizon


def read_results_folder(folder: Path) -> ResultsFolder:
    """The description of the run in ``folder``: only summary.json is required."""
    folder = Path(folder)
    summary = _read_summary(folder)
    problems: list[str] = []
    manifest = _read_manifest(folder, problems)
    names = list(summary.get("scenarios") or {})
    return ResultsFolder(folder=folder, scenarios=names, summary=summary, manifest=manifest,
                         horizon=_horizons(folder, summary, names),
                         sensitivity=_read_sensitivity(folder, problems), problems=problems)


def require_data_files(folder: Path) -> None:
    """Raise :class:`ResultsFolderError` unless ``folder`` holds what the figures read."""
    missing = [n for n in DATA_FILES if not (folder / n).exists()]
    if missing:
        raise ResultsFolderError(f"{folder}: not a results folder (missing {', '.join(missing)})")


def load_results(folder: Path, metrics: Iterable[str] | None = None) -> ResultsFolder:
    """Everything a run wrote, with every replication's metrics (or only ``metrics``), the
    daily bands and the traces: what the figures are drawn from."""
    folder = Path(folder)
    require_data_files(folder)
    data = read_results_folder(folder)
    wanted = tuple(METRICS if metrics is None else dict.fromkeys(metrics))
    data.metrics = _read_metrics(folder / REPLICATIONS, data.scenarios, wanted)
    data.bands = _read_bands(folder / DAILY_BANDS, data.scenarios)
    data.traces = _read_traces(folder / TRACES, data.scenarios)
    return data


def _read_metrics(path: Path, names: list[str], wanted: tuple[str, ...]
                  ) -> dict[str, dict[str, np.ndarray]]:
    # Converted a chunk at a time, a column at once: a results folder may hold 100,000
    # replications, and a cell at a time costs more than drawing the figures.
    parts: dict[str, dict[str, list[np.ndarray]]] = {n: {m: [] for m in wanted} for n in names}
    for keys, floats in _csv_chunks(path, ("scenario",), wanted):
        scenario = np.array([k[0] for k in keys], dtype=object)
        for name in names:
            rows = scenario == name
            if rows.any():
                for m in wanted:
                    parts[name][m].append(floats[m][rows])
    return {n: {m: np.concatenate(v) if v else np.empty(0) for m, v in d.items()}
            for n, d in parts.items()}


def _read_bands(path: Path, names: list[str]) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    parts: dict[str, dict[str, dict[str, list[np.ndarray]]]] = {n: {} for n in names}
    for keys, floats in _csv_chunks(path, ("scenario", "series"), BAND_STATS):
        pair = np.array(["\0".join(k) for k in keys], dtype=object)
        for key in dict.fromkeys(pair):
            name, series = key.split("\0", 1)
            rows = pair == key
            per = parts.setdefault(name, {}).setdefault(series, {})
            for stat in BAND_STATS:
                per.setdefault(stat, []).append(floats[stat][rows])
    return {n: {s: {k: np.concatenate(v) for k, v in d.items()} for s, d in b.items()}
            for n, b in parts.items()}


def _read_traces(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    traces = {}
    for name in names:
        path = folder / f"{safe_name(name)}.json"
        if path.exists():
            traces[name] = json.loads(path.read_text(encoding="utf-8"))
    return traces
