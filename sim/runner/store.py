"""Long batches that stream to disk and survive interruption.

Every finished chunk of replications is written at once to its own file in
``OUT/parts/`` (written to a temporary name, then renamed: a file there is
always complete), and its daily series are folded into per-scenario band
accumulators and dropped, so memory does not grow with the number of
replications (only the per-replication metrics, ~150 bytes each, are kept).
``OUT/parts/batch.json`` records what the batch is (resolved scenarios, seed,
replications, chunk size). If the run is stopped, the parts stay;
:func:`run_to_folder` with ``resume=True`` reads them, runs only the missing
chunks, and the final ``replications.csv`` is assembled in replication order,
so it equals an uninterrupted run's row for row. When the batch completes
the parts are removed.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.runner.batch import (
    BatchResult,
    _assemble,
    _Chunk,
    _ChunkResult,
    chunk_sizes,
    iter_chunk_results,
    plan_chunks,
)
from sim.runner.daily_bands import BandAccumulator
from sim.scenario.loading import validate
from sim.scenario.schema import Scenario

_log = logging.getLogger(__name__)
PARTS = "parts"
BATCH_FILE = "batch.json"


class ResumeError(Exception):
    """A results folder that cannot be resumed, and why."""


def _part_path(parts: Path, chunk: _Chunk | _ChunkResult) -> Path:
    return parts / f"s{chunk.scenario_index:03d}-r{chunk.start:09d}.npz"


def _save_part(parts: Path, result: _ChunkResult) -> None:
    path = _part_path(parts, result)
    tmp = path.with_suffix(".tmp.npz")
    failures = json.dumps(result.failures)
    np.savez(tmp, ok=np.array(result.ok, dtype=np.int64), metrics=result.metrics,
             daily=result.daily, failures=np.array(failures))
    tmp.replace(path)  # atomic: a part file is complete or absent


def _load_part(path: Path, scenario_index: int, start: int) -> _ChunkResult:
    # Opened here so that a damaged file is closed too (np.load leaves it open on error).
    with path.open("rb") as file, np.load(file) as data:
        return _ChunkResult(scenario_index, start, ok=data["ok"].tolist(),
                            metrics=data["metrics"], daily=data["daily"],
                            failures=[tuple(f) for f in json.loads(str(data["failures"]))])


def describe_batch(scenarios: Sequence[Scenario], replications: int, seed: int,
                   sizes: list[int], options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"seed": seed, "replications": replications, "chunk_sizes": sizes,
            "scenarios": [s.model_dump(mode="json") for s in scenarios],
            "options": options or {}}


@dataclass
class StoredBatch:
    """An unfinished batch as ``OUT/parts/batch.json`` describes it."""

    scenarios: list[Scenario]
    replications: int
    seed: int
    chunk_sizes: list[int]
    # What ``options`` of :func:`run_to_folder` held (the command line, its comparisons, its
    # plots...), so that a resumed run ends as the first would have; empty in older folders.
    options: dict[str, Any]


def read_batch(out: Path) -> StoredBatch:
    """The unfinished batch in ``out``."""
    path = out / PARTS / BATCH_FILE
    if not path.exists():
        raise ResumeError(f"{out}: no unfinished batch here (no {PARTS}/{BATCH_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        described = data["scenarios"], data["replications"], data["seed"], data["chunk_sizes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResumeError(f"{out}: {PARTS}/{BATCH_FILE} is damaged ({exc!r}); the finished "
                          f"parts are still in {out / PARTS}") from exc
    options = data.get("options", {})
    return StoredBatch([validate(s, path) for s in described[0]], described[1], described[2],
                       described[3], options if isinstance(options, dict) else {})


def run_to_folder(
    scenarios: Sequence[Scenario],
    replications: int,
    out: Path,
    *,
    seed: int = 1,
    workers: int = 1,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    options: dict[str, Any] | None = None,
) -> BatchResult:
    """Run a batch chunk by chunk into ``out``; see the module docstring.

    ``options`` (JSON-able) are kept with the batch (see :class:`StoredBatch`).

    Returns the batch with metrics in memory and daily series as bands
    (``ScenarioRuns.daily`` is None). On Ctrl-C the result is marked
    interrupted and holds what finished; the parts stay for a resume.
    """
    parts = out / PARTS
    if resume:  # the same cut as the first attempt, whatever --workers is now
        stored = read_batch(out)
        scenarios, replications, seed = stored.scenarios, stored.replications, stored.seed
        sizes = stored.chunk_sizes
    else:
        if parts.exists():
            shutil.rmtree(parts)
        sizes = chunk_sizes(replications, workers, chunk_size)
        parts.mkdir(parents=True)
        (parts / BATCH_FILE).write_text(
            json.dumps(describe_batch(scenarios, replications, seed, sizes, options)),
            encoding="utf-8")
    chunks = plan_chunks(len(scenarios), replications, seed, workers, sizes=sizes)
    accumulators = [BandAccumulator(s) for s in scenarios]
    finished: dict[tuple[int, int], _ChunkResult] = {}

    def keep(result: _ChunkResult) -> None:
        accumulators[result.scenario_index].add(result.daily)
        result.daily = None  # folded into the bands: drop it
        finished[(result.scenario_index, result.start)] = result

    for chunk in chunks:  # what an earlier, interrupted run finished
        path = _part_path(parts, chunk)
        if path.exists():
            try:
                part = _load_part(path, chunk.scenario_index, chunk.start)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                # Parts are renamed into place once complete, so this is outside damage
                # (a disk error, a hand edit): the chunk's seeds give the same rows again.
                _log.warning("%s is damaged (%s); its %d replications run again", path,
                             exc, len(chunk.seeds))
                path.unlink(missing_ok=True)
                continue
            keep(part)
            if progress:
                progress(len(chunk.seeds))
    todo = [c for c in chunks if (c.scenario_index, c.start) not in finished]
    interrupted = False
    try:
        for result in iter_chunk_results(scenarios, todo, workers, executor):
            _save_part(parts, result)
            keep(result)
            if progress:
                progress(len(result.ok) + len(result.failures))
    except KeyboardInterrupt:
        interrupted = True
    return _assemble(list(scenarios), list(finished.values()), seed, replications,
                     interrupted, accumulators=accumulators)


def finish(out: Path) -> None:
    """Remove the parts of a completed batch."""
    shutil.rmtree(out / PARTS, ignore_errors=True)
