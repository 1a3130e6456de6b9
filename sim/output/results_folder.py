"""Reading a results folder back: what plots and the report are drawn from.

Plots are made from the files a run wrote (replications.csv, daily_bands.csv,
summary.json, traces/, scenarios/), never from the in-memory batch, so that
``baiji-sim plot RESULTS_DIR`` redraws them exactly without re-running.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.model.metrics import METRICS

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


@dataclass
class ResultsData:
    """Everything the figures need, read from one results folder."""

    folder: Path
    scenarios: list[str]  # in the order of the run
    horizon: dict[str, int]
    metrics: dict[str, dict[str, np.ndarray]]  # scenario -> metric -> values
    bands: dict[str, dict[str, dict[str, np.ndarray]]]  # scenario -> series -> stat -> by day
    summary: dict[str, Any]
    manifest: dict[str, Any]
    traces: dict[str, dict[str, Any]] = field(default_factory=dict)

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


def load_results(folder: Path, metrics: Iterable[str] | None = None) -> ResultsData:
    """Read a results folder written by ``baiji-sim run``: every metric of
    replications.csv, or only ``metrics`` (the others are left out of ``.metrics``)."""
    wanted = tuple(METRICS if metrics is None else dict.fromkeys(metrics))
    folder = Path(folder)
    needed = ["summary.json", "replications.csv", "daily_bands.csv", "manifest.json"]
    missing = [n for n in needed if not (folder / n).exists()]
    if missing:
        raise ResultsFolderError(f"{folder}: not a results folder (missing {', '.join(missing)})")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = list(summary["scenarios"])
    horizon = {}
    for name in names:
        days = (summary["scenarios"].get(name) or {}).get("horizon_days")
        if days is None:  # an older summary: the resolved scenario has it
            path = folder / "scenarios" / f"{safe_name(name)}.yaml"
            days = yaml_value(path.read_text(encoding="utf-8"), "horizon_days") if (
                path.exists()) else None
        horizon[name] = int(days or 0)
    # Converted a chunk at a time, a column at once: a results folder may hold 100,000
    # replications, and a cell at a time costs more than drawing the figures.
    parts: dict[str, dict[str, list[np.ndarray]]] = {n: {m: [] for m in wanted}
                                                      for n in names}
    for keys, floats in _csv_chunks(folder / "replications.csv", ("scenario",), wanted):
        scenario = np.array([k[0] for k in keys], dtype=object)
        for name in names:
            rows = scenario == name
            if rows.any():
                for m in wanted:
                    parts[name][m].append(floats[m][rows])
    stats = ("mean", "p5", "p25", "p50", "p75", "p95")
    band_parts: dict[str, dict[str, dict[str, list[np.ndarray]]]] = {n: {} for n in names}
    for keys, floats in _csv_chunks(folder / "daily_bands.csv", ("scenario", "series"),
                                    stats):
        pair = np.array(["\0".join(k) for k in keys], dtype=object)
        for key in dict.fromkeys(pair):
            name, series = key.split("\0", 1)
            rows = pair == key
            per = band_parts.setdefault(name, {}).setdefault(series, {})
            for stat in stats:
                per.setdefault(stat, []).append(floats[stat][rows])
    traces = {}
    for name in names:
        path = folder / "traces" / f"{safe_name(name)}.json"
        if path.exists():
            traces[name] = json.loads(path.read_text(encoding="utf-8"))
    return ResultsData(
        folder=folder, scenarios=names, horizon=horizon,
        metrics={n: {m: np.concatenate(v) if v else np.empty(0) for m, v in d.items()}
                 for n, d in parts.items()},
        bands={n: {s: {k: np.concatenate(v) for k, v in d.items()} for s, d in b.items()}
               for n, b in band_parts.items()},
        summary=summary, manifest=manifest, traces=traces)
