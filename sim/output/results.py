"""Writing a batch to a results folder that says exactly what produced it.

Layout of ``--out``::

    replications.csv     one row per replication (the public metric names)
    summary.json         per scenario and metric: mean, 95% CI, quantiles, count
    summary.csv          summary.json's estimates flat: one row per scenario and metric
    daily_bands.csv      per scenario, series and day: mean and 5/25/50/75/95% quantiles
    scenarios/NAME.yaml  each scenario fully resolved (after extends and --set)
    manifest.json        command line, seed, replications, version, date, status
    traces/NAME.json     the event log of each scenario's replication 0 (kept by the runner)
    plots/*.png          see sim.output.plots (redrawn from these files by ``baiji-sim plot``)

Each file is written under a temporary name and renamed into place, so a file is
complete or absent, and a failed write (a full disk) leaves no temporary file:
:class:`WriteError` says which file and why. Two scenarios whose names give the same
file name are refused before anything is written (:func:`file_stems`). Text cells of the
CSV files that a spreadsheet would take for a formula are neutralised
(:func:`spreadsheet_text`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import yaml

from sim import __version__
from sim.model.metrics import METRICS, REGISTRY
from sim.model.recorder import DAILY
from sim.output.results_folder import (
    BAND_STATS,
    CALIBRATION_CSV,
    DAILY_BANDS,
    MANIFEST,
    REPLICATIONS,
    REPLICATIONS_PARQUET,
    SCENARIOS,
    SUMMARY,
    SUMMARY_CSV,
    TRACES,
    file_stems,
    spreadsheet_text,
)
from sim.runner.batch import BatchResult
from sim.runner.chunks import TRACED
from sim.runner.daily_bands import STATE_SERIES
from sim.runner.store import WriteError
from sim.scenario.schema import Scenario

HEADER = ("scenario", "replication", "seed", *METRICS)
PARAMETER_PREFIX = "param."  # replications.csv: a drawn parameter's column (--uncertainty)


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """``path`` opened for writing under a temporary name in the same folder, renamed to
    ``path`` when the block ends; on any error the temporary file is removed."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # mode is a str known only at run time: binary, or text written as UTF-8
        with tmp.open(mode, **({} if "b" in mode else {"newline": "", "encoding": "utf-8"})  # type: ignore[call-overload]
                      ) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # named after the file meant, not its temporary name
            raise WriteError(exc, path) from exc
        raise


def _write_text(path: Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def write_results(batch: BatchResult, out: Path, summary: dict[str, Any], *,
                  sources: dict[str, str] | None = None,
                  command: list[str] | None = None, workers: int | None = None,
                  plots: bool = True, plot_format: str = "png",
                  resumed_with: list[str] | None = None, parquet: bool = False) -> None:
    """Write every file of a results folder: ``summary`` (from
    :func:`sim.analysis.analyse.analyse`) as summary.json, the batch's rows (also as
    Parquet with ``parquet``), bands and traces, the resolved scenarios, the manifest and,
    with ``plots``, the figures.

    ``command`` is the command that started the batch; ``resumed_with`` the one that
    finished it, if it was resumed. Raises :class:`NameCollision` (nothing written) if two
    scenarios' files would be the same, :class:`WriteError` if a file cannot be written.
    """
    stems = file_stems(r.scenario.name for r in batch.runs)
    try:
        _write_results(batch, out, stems, summary, sources=sources, command=command,
                       workers=workers, plots=plots, plot_format=plot_format,
                       resumed_with=resumed_with, parquet=parquet)
    except OSError as exc:  # a folder, a trace, a figure...
        raise WriteError(exc, exc.filename or out) from exc


def _write_results(batch: BatchResult, out: Path, stems: dict[str, str],
                   summary: dict[str, Any], *, sources: dict[str, str] | None,
                   command: list[str] | None, workers: int | None, plots: bool,
                   plot_format: str, resumed_with: list[str] | None,
                   parquet: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # A previous run's manifest must not vouch for files this one is about to replace.
    (out / MANIFEST).unlink(missing_ok=True)
    # First what the figures read (load_results), so that they can start drawing.
    write_replications_csv(batch, out / REPLICATIONS)
    _write_text(out / SUMMARY,
                json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    write_daily_bands(batch, out / DAILY_BANDS)
    manifest = {
        "command": command if command is not None else sys.argv,
        **({"resumed_with": resumed_with} if resumed_with else {}),
        "seed": batch.seed,
        "replications": batch.replications,
        "workers": workers,
        "status": "interrupted" if batch.interrupted else "complete",
        "finished_replications": {r.scenario.name: len(r.seed) for r in batch.runs},
        "failures": [f.__dict__ for f in batch.failures],
        "scenario_files": sources or {},
        "package_version": __version__,
        "python": platform.python_version(),
        "libraries": _library_versions(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    # The status is final only once everything is written: a run stopped while writing its
    # traces or plots leaves "writing results", which the report flags as unfinished.
    status = manifest["status"]
    manifest["status"] = "writing results"
    _write_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    write_traces(batch, out / TRACES, stems)
    plotted = None
    if plots:  # what the figures read is written: they draw while the rest is written
        from sim.output.plots import start_plots  # matplotlib only when plots are wanted

        plotted = start_plots(out, plot_format, workers=workers or 1)
    if parquet:
        write_replications_parquet(batch, out / REPLICATIONS_PARQUET)
    write_summary_csv(summary, out / SUMMARY_CSV)
    if summary.get("calibration"):
        write_calibration_csv(summary["calibration"], out / CALIBRATION_CSV)
    scen_dir = out / SCENARIOS
    scen_dir.mkdir(exist_ok=True)
    for runs in batch.runs:
        _write_text(scen_dir / f"{stems[runs.scenario.name]}.yaml",
                    resolved_yaml(runs.scenario))
    if plotted is not None:
        plotted()
    manifest["status"] = status
    _write_text(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: JSON has no such numbers, and a file with
    them (Python writes NaN, Infinity) is refused by most other readers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the numbers, recorded with every run."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("simpy", "numpy", "scipy", "pydantic", "matplotlib", "SALib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_traces(batch: BatchResult, folder: Path, stems: dict[str, str] | None = None
                 ) -> None:
    """The event log of each scenario's replication 0, as the runner kept it (none for a
    scenario whose replication 0 failed)."""
    stems = stems or file_stems(r.scenario.name for r in batch.runs)
    folder.mkdir(parents=True, exist_ok=True)
    for runs in batch.runs:
        found = np.flatnonzero(runs.replication == TRACED)
        if runs.trace is None or not len(found):
            continue
        index = int(found[0])
        data = {"scenario": runs.scenario.name, "replication": TRACED,
                "seed": int(runs.seed[index]), "start_date": runs.scenario.start_date.isoformat(),
                "entries": [list(e) for e in runs.trace]}
        _write_text(folder / f"{stems[runs.scenario.name]}.json", json.dumps(data))


PARQUET_EXTRA = "pip install 'baiji-sim[parquet]'"  # what writing Parquet needs


def parquet_missing() -> str | None:
    """None if Parquet can be written here, else what to install."""
    import importlib.util

    return None if importlib.util.find_spec("pyarrow") else PARQUET_EXTRA


def write_replications_parquet(batch: BatchResult, path: Path) -> None:
    """The rows of replications.csv as a Parquet file (pyarrow, the ``parquet`` extra):
    ``scenario`` (text, the name as given, not guarded for spreadsheets), ``replication``
    (int64), ``seed`` (uint64), one float64 column per metric (NaN where the CSV cell is
    empty: no event, an observation not tested) and, with parameter uncertainty, one
    ``param.PATH`` float64 column per drawn parameter (null where the scenario has no such
    parameter). One row group a scenario, its columns read one at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    drawn = _drawn_parameters(batch)
    schema = pa.schema([("scenario", pa.string()), ("replication", pa.int64()),
                        ("seed", pa.uint64()), *((m, pa.float64()) for m in METRICS),
                        *((f"{PARAMETER_PREFIX}{p}", pa.float64()) for p in drawn)])
    with atomic_open(path, "wb") as fh, pq.ParquetWriter(fh, schema) as writer:
        for runs in batch.runs:
            n, params = len(runs.seed), runs.parameters or {}
            writer.write_table(pa.Table.from_arrays([
                pa.array([runs.scenario.name] * n, pa.string()),
                pa.array(np.asarray(runs.replication, dtype=np.int64)),
                pa.array(np.asarray(runs.seed, dtype=np.uint64)),
                *(pa.array(np.asarray(runs.column(m), dtype=float)) for m in METRICS),
                *(pa.array(np.asarray(params[p], dtype=float)) if p in params
                  else pa.nulls(n, pa.float64()) for p in drawn),
            ], schema=schema))


def _drawn_parameters(batch: BatchResult) -> list[str]:
    """The parameters drawn by any scenario of a batch run with uncertainty, in order."""
    return list(dict.fromkeys(p for runs in batch.runs for p in runs.parameters or {}))


def write_replications_csv(batch: BatchResult, path: Path) -> None:
    """One row per replication, scenario by scenario. A streamed batch's metrics are read
    from its column file a block of rows at a time (``StoredRuns.iter_metric_rows``), so
    writing holds no more than a block, however many replications there are.

    With parameter uncertainty, one more column per uncertain parameter of any scenario,
    ``param.PATH``: the value the replication drew (empty where the scenario has no such
    parameter)."""
    drawn = _drawn_parameters(batch)
    with atomic_open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow((*HEADER, *(f"{PARAMETER_PREFIX}{p}" for p in drawn)))
        for runs in batch.runs:
            name = spreadsheet_text(runs.scenario.name)  # the one text column
            rows = getattr(runs, "iter_metric_rows", None)
            values = rows() if rows is not None else (r.tolist() for r in runs.metrics)
            params = runs.parameters or {}
            columns = [params[p].tolist() if p in params else None for p in drawn]
            for k, (replication, seed, metrics) in enumerate(zip(
                    runs.replication.tolist(), runs.seed.tolist(), values, strict=True)):
                extra = ["" if c is None else _cell(c[k]) for c in columns]
                writer.writerow([name, replication, seed, *map(_cell, metrics), *extra])


SUMMARY_HEADER = ("scenario", "metric", "statistic", "estimate", "ci_low", "ci_high", "n",
                  "unit", "kind", "p_event_by_horizon", "p_ci_low", "p_ci_high")


def summary_rows(summary: dict[str, Any]) -> Iterator[list[Any]]:
    """The rows of summary.csv: one per scenario and metric (in the order of the registry),
    each value exactly as summary.json holds it (empty for none).

    ``estimate`` with its 95% interval is, by ``statistic``: ``mean`` (Student-t interval)
    for amounts and fractions; ``share`` (Wilson) for 0/1 metrics; ``km_median`` for event
    days: the Kaplan-Meier median day (empty when fewer than half the replications had the
    event by the horizon, an interval bound likewise), with the probability of the event by
    the horizon (Wilson) in ``p_event_by_horizon``, ``p_ci_low``, ``p_ci_high``. ``n``
    counts the replications the estimate is made from; ``unit`` and ``kind`` are the
    metric registry's (sim/model/metrics.py)."""
    for name, entry in (summary.get("scenarios") or {}).items():
        estimates = entry.get("metrics") or {}
        for metric in [m for m in REGISTRY if m in estimates] + [
                m for m in estimates if m not in REGISTRY]:
            e = estimates[metric]
            known = REGISTRY.get(metric)
            unit, kind = (known.unit, known.kind) if known else ("", "")
            if e.get("kind") == "time_to_event":
                p = e.get("p_event_by_horizon") or {}
                values = ["km_median", e.get("median"), *(e.get("median_ci95") or [None, None]),
                          e.get("n"), unit, kind, p.get("share"),
                          *(p.get("ci95") or [None, None])]
            else:
                values = [e.get("kind") or "mean", e.get("mean"),
                          *(e.get("ci95") or [None, None]), e.get("n"), unit, kind,
                          None, None, None]
            yield [spreadsheet_text(name), spreadsheet_text(metric),
                   *(spreadsheet_text(v) if isinstance(v, str) else _exact(v) for v in values)]


def write_summary_csv(summary: dict[str, Any], path: Path) -> None:
    """summary.csv: :func:`summary_rows` under :data:`SUMMARY_HEADER`."""
    with atomic_open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow(SUMMARY_HEADER)
        writer.writerows(summary_rows(summary))


CALIBRATION_HEADER = ("scenario", "parameter", "range_low", "range_high", "prior_p5",
                      "prior_p50", "prior_p95", "posterior_p5", "posterior_p50",
                      "posterior_p95", "shrinkage", "ess")


def write_calibration_csv(calibration: dict[str, Any], path: Path) -> None:
    """calibration.csv: per scenario and uncertain parameter, its 5/50/95% quantiles before
    and after weighting the draws by the observations (sim/analysis/calibration.py)."""
    with atomic_open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow(CALIBRATION_HEADER)
        for name, c in calibration.items():
            for p in c.get("parameters", []):
                writer.writerow([spreadsheet_text(name), spreadsheet_text(p["parameter"]),
                                 *map(_exact, [*p["range"], *p["prior"], *p["posterior"],
                                               p["shrinkage"], c["ess"]])])


def _exact(value: Any) -> str:
    """A number as JSON writes it (every digit: the CSV equals summary.json); empty for
    none, NaN or an infinity."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def write_daily_bands(batch: BatchResult, path: Path) -> None:
    with atomic_open(path) as fh:
        writer = csv.writer(fh)
        writer.writerow(("scenario", "series", "day", *BAND_STATS))
        for runs in batch.runs:
            scenario = spreadsheet_text(runs.scenario.name)
            derived = [(s, runs.state_bands(k)) for k, s in enumerate(STATE_SERIES)]
            for name, bands in [(n, runs.bands(n)) for n in DAILY] + derived:
                cols = [bands[k] for k in BAND_STATS]
                for day in range(runs.scenario.horizon_days):
                    writer.writerow([scenario, spreadsheet_text(name), day,
                                     *(_cell(float(c[day])) for c in cols)])


# libyaml's dumper when PyYAML was built with it: the same text for every shipped scenario
# (tests/test_cli.py), four times faster; a run writes a copy of each scenario.
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario with every default filled in, as YAML."""
    data = scenario.model_dump(mode="json")
    return yaml.dump(data, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, width=100)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}" if not value.is_integer() else str(int(value))
    return value
