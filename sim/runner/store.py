"""Long batches that stream to disk and survive interruption.

Every finished chunk of replications is written at once to its own file in
``OUT/parts/`` (written to a temporary name, then renamed: a file there is
always complete), its daily series are folded into per-scenario band
accumulators and dropped, and its metrics go to a per-scenario column file
(``OUT/parts/metrics.f8``, one column after the other), so the main process
keeps no per-replication data but indices and seeds (16 bytes each): the
statistics read one column at a time (:meth:`StoredRuns.column`) and
``replications.csv`` is written from the file in blocks of rows
(:meth:`StoredRuns.iter_metric_rows`).
``OUT/parts/batch.json`` records what the batch is (resolved scenarios, seed,
replications, chunk size). If the run is stopped, the parts stay;
:func:`run_to_folder` with ``resume=True`` reads them, runs only the missing
chunks, and the final ``replications.csv`` is assembled in replication order,
so it equals an uninterrupted run's row for row. When the batch completes
the parts are removed.

A run owns its folder: :func:`claim_folder` refuses a folder that holds an
unfinished batch, an earlier run's results (unless ``force``, which clears them
first) or anything that baiji-sim does not write (see README, "Results folders").
A part that cannot be written (a full disk) leaves no temporary file behind; the
parts already written stay, and a resume after space is freed finishes the batch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.model.metrics import METRICS
from sim.runner.batch import BatchResult, Collected, ScenarioRuns, run_batch
from sim.runner.chunks import Chunk, ChunkResult
from sim.runner.daily_bands import BandAccumulator
from sim.scenario.loading import validate
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertainty

_log = logging.getLogger(__name__)
PARTS = "parts"
BATCH_FILE = "batch.json"


# What a run, and ``baiji-sim report`` after it, write into a results folder. Their presence
# means an earlier run; ``force`` removes them all before a new run starts, so nothing of
# the earlier run (figures, scenarios, traces of scenarios no longer run) stays behind.
RUN_ENTRIES = ("replications.csv", "replications.parquet", "summary.json", "summary.csv",
               "calibration.csv",
               "calibrated.yaml",  # calibrate's calibrated scenario (sim/output/calibrated_file)
               "daily_bands.csv",
               "manifest.json", "report.html", "plots", "traces", "scenarios", PARTS)
# ``baiji-sim sensitivity --out`` into a results folder: the report shows it with the run's
# results. Kept by a run into a folder that holds no earlier run; removed with ``force``.
REPORTED = ("sensitivity.json", "sensitivity.csv", "sensitivity.png")
# ``baiji-sim sweep --out`` into a results folder: the report does not read it; always kept.
KEPT = ("sweep.json", "sweep.csv", "sweep.png")
# ``baiji-sim discover --out``: its own folder (the report shows it); replaced with ``force``.
DISCOVERY_ENTRIES = ("discovery.json", "discovery_points.csv", "discovery_boxes.csv",
                     "discovery_selection.csv", "discovery_tradeoff.png",
                     "discovery_heatmap.png", "discovery_frontier.png")
# The command that resumes a batch of each kind, where it is not the kind's own name.
COMMANDS = {"discovery": "discover"}
# A subfolder holding one of these is the results of another command (``results/strikes``
# under ``results/``, the default ``results/sweep``): always kept.
RESULTS_MARKERS = ("manifest.json", f"{PARTS}/{BATCH_FILE}", "sweep.json", "sensitivity.json",
                   "discovery.json")


class ResumeError(Exception):
    """A results folder that cannot be resumed, and why."""


class FolderError(Exception):
    """A folder that a new run may not write into, and why (a bad ``--out``)."""


class WriteError(Exception):
    """A file of a results folder could not be written (a full disk, a read-only folder):
    the message names the file and the reason."""

    def __init__(self, error: OSError, path: Path | str) -> None:
        self.error, self.path = error, Path(path)
        super().__init__(f"could not write {self.path}: {error.strerror or error}")


def _leftover(name: str) -> bool:
    """A temporary file of a run killed while writing (``.summary.json.tmp``) or probing."""
    return name.startswith(".write-test-") or (
        name.startswith(".") and name.endswith(".tmp") and name[1:-4] in RUN_ENTRIES)


def _is_other_results(path: Path) -> bool:
    """A subfolder that holds another command's results, or nothing."""
    if not path.is_dir() or path.is_symlink():
        return False
    return any((path / m).is_file() for m in RESULTS_MARKERS) or not any(path.iterdir())


def _unfinished_text(out: Path, kind: str = "run") -> str:
    """'an unfinished run (N of M replications done)', as far as batch.json tells."""
    try:
        stored = json.loads((out / PARTS / BATCH_FILE).read_text(encoding="utf-8"))
        sizes, starts = stored["chunk_sizes"], [0]
        for size in sizes:
            starts.append(starts[-1] + size)
        size_at = dict(zip(starts, sizes, strict=False))
        done = sum(min(size_at[int(p.stem.split("-r")[1])],
                       stored["replications"] - int(p.stem.split("-r")[1]))
                   for p in (out / PARTS).glob("s*-r*.npz") if not p.name.endswith(".tmp.npz"))
        if not sizes:  # a run until precise: its blocks are not planned ahead
            return f"an unfinished {kind} (until precise)"
        points = stored.get("scenarios") or stored["scenario_names"]
        total = stored["replications"] * len(points)
        return f"an unfinished {kind} ({done} of {total} replications done)"
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return f"an unfinished {kind}"


# What each command writes into its --out, and with --force replaces.
OWN = {"run": RUN_ENTRIES + REPORTED, "sweep": (*KEPT, PARTS), "sensitivity": (*REPORTED, PARTS),
       "discovery": (*DISCOVERY_ENTRIES, "report.html", PARTS)}
# An earlier result of each command, which a new one replaces only with --force.
EARLIER = {"run": RUN_ENTRIES, "sweep": KEPT, "sensitivity": REPORTED,
           "discovery": DISCOVERY_ENTRIES}


def _unfinished_kind(out: Path) -> str:
    try:
        return str(json.loads((out / PARTS / BATCH_FILE).read_text(encoding="utf-8"))
                   .get("kind", "run"))
    except (OSError, ValueError, AttributeError):
        return "run"


def claim_folder(out: Path, force: bool = False, kind: str = "run") -> None:
    """Make ``out`` the folder of a new ``kind`` (run, sweep, sensitivity), or raise
    :class:`FolderError` saying why not.

    The rules (README, "Results folders"): ``out`` must be a folder or not exist yet. A
    folder holding anything baiji-sim does not write is refused, ``force`` or not. One
    holding an unfinished batch (``parts/``) or the earlier results of the same command is
    refused unless ``force``, which removes them (a run also removes a sensitivity analysis
    the report would show with it); an unfinished batch of another command is never
    removed; other commands' results (subfolders of results, a sweep beside a run) are kept.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FolderError(f"{out} is a file, not a folder")
    try:
        entries = sorted(out.iterdir()) if out.is_dir() else []
        foreign = [p.name for p in entries
                   if p.name not in RUN_ENTRIES + REPORTED + KEPT + DISCOVERY_ENTRIES
                   and not _leftover(p.name) and not _is_other_results(p)]
        if foreign:
            listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                               if len(foreign) > 3 else "")
            raise FolderError(f"{out} is not a baiji-sim results folder (it holds {listed}); "
                              "choose a new or empty folder")
        if (out / PARTS).exists():
            other = _unfinished_kind(out)
            finish_it = f"finish it with 'baiji-sim {COMMANDS.get(other, other)} --resume {out}'"
            if other != kind:
                raise FolderError(f"{out} holds {_unfinished_text(out, other)}: {finish_it}, "
                                  "or choose another --out")
            if not force:
                raise FolderError(f"{out} holds {_unfinished_text(out, other)}: {finish_it}, "
                                  "or start over with --force")
        earlier = [p for p in entries if p.name in EARLIER[kind]
                   or (kind == "run" and _leftover(p.name))]
        if not force and earlier:
            raise FolderError(f"{out} holds the results of an earlier {kind}: replace them "
                              "with --force, or choose another --out")
        if force:
            for p in entries:
                if p.name in OWN[kind] or _leftover(p.name):
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p)
                    else:
                        p.unlink()
        out.mkdir(parents=True, exist_ok=True)
    except FolderError:
        raise
    except OSError as exc:
        raise FolderError(f"{out}: {exc.strerror or exc}") from None
    check_writable(out)


def check_writable(out: Path) -> None:
    """Raise :class:`FolderError` unless a file can be created in the folder ``out``."""
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise FolderError(f"{out}: cannot write here ({exc.strerror or exc})") from None


def _part_path(parts: Path, chunk: Chunk | ChunkResult) -> Path:
    return parts / f"s{chunk.scenario_index:03d}-r{chunk.start:09d}.npz"


def _save_part(parts: Path, result: ChunkResult) -> None:
    path = _part_path(parts, result)
    tmp = path.with_suffix(".tmp.npz")
    extra: dict[str, Any] = (
        {"trace": np.array(json.dumps(result.trace))} if result.trace is not None else {})
    if result.daily is not None:
        extra["daily"] = result.daily
    try:
        np.savez(tmp, ok=np.array(result.ok, dtype=np.int64), metrics=np.asarray(result.metrics),
                 failures=np.array(json.dumps(result.failures)), **extra)
        tmp.replace(path)  # atomic: a part file is complete or absent
    except BaseException as exc:  # a full disk, Ctrl-C: no half-written file left behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError(exc, path) from exc
        raise


def _load_part(path: Path, scenario_index: int, start: int) -> ChunkResult:
    # Opened here so that a damaged file is closed too (np.load leaves it open on error).
    with path.open("rb") as file, np.load(file) as data:
        trace = json.loads(str(data["trace"])) if "trace" in data else None
        return ChunkResult(scenario_index, start, ok=data["ok"].tolist(),
                           metrics=data["metrics"],
                           daily=data.get("daily"),
                           failures=[tuple(f) for f in json.loads(str(data["failures"]))],
                           trace=[tuple(e) for e in trace] if trace is not None else None)


class _MetricsFile:
    """Every replication's metrics of every scenario of a batch in one file, float64,
    column-major per scenario (``replications`` values of the first metric, then of the
    second...): a column is one contiguous read. One file and one descriptor, however many
    scenarios (a sensitivity design has thousands). The descriptor stays open, so the batch
    can still read it once the parts are removed."""

    def __init__(self, path: Path, replications: int, scenarios: int = 1,
                 scenario_index: int = 0) -> None:
        self.path, self.n, self.width = path, replications, len(METRICS)
        self.scenario_index = scenario_index
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._closed = weakref.finalize(self, os.close, self._fd)
        try:
            os.ftruncate(self._fd, scenarios * self.n * self.width * 8)
        except OSError as exc:
            raise WriteError(exc, path) from exc

    def of(self, scenario_index: int) -> _MetricsFile:
        """The same file, read and written as scenario ``scenario_index``'s columns."""
        view = object.__new__(_MetricsFile)
        # _owner: the descriptor is closed when the file object that opened it goes.
        view.__dict__.update(self.__dict__, scenario_index=scenario_index,
                             _owner=self.__dict__.get("_owner", self))
        return view

    def _offset(self, j: int, row: int) -> int:
        return ((self.scenario_index * self.width + j) * self.n + row) * 8

    def write(self, start: int, ok: np.ndarray, metrics: np.ndarray) -> None:
        """Rows ``start + ok`` (``ok`` sorted offsets) get ``metrics``, one row each."""
        if not len(ok):
            return
        span = int(ok[-1]) + 1
        block = np.full((span, self.width), np.nan)
        block[ok] = metrics
        try:
            for j in range(self.width):
                os.pwrite(self._fd, np.ascontiguousarray(block[:, j]).tobytes(),
                          self._offset(j, start))
        except OSError as exc:
            raise WriteError(exc, self.path) from exc

    def read(self, j: int, first: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``first .. stop - 1`` of column ``j``."""
        stop = self.n if stop is None else stop
        size = (stop - first) * 8
        data = os.pread(self._fd, size, self._offset(j, first))
        if len(data) != size:
            raise OSError(f"{self.path}: short read")
        return np.frombuffer(data, dtype=np.float64)


class StoredRuns(ScenarioRuns):
    """The replications of one scenario of a streamed batch: indices and seeds in memory,
    metrics in the batch's column file (see the module docstring). ``metrics`` builds the
    whole (n, metrics) array when asked; :meth:`column` and :meth:`iter_metric_rows` read
    only what they need."""

    def __init__(self, scenario: Scenario, replication: np.ndarray, seed: np.ndarray,
                 accumulator: BandAccumulator | None, store: _MetricsFile, start: int = 0,
                 trace: list[tuple[float, str, str]] | None = None) -> None:
        self._store, self._start = store, start
        self._metrics: np.ndarray | None = None
        # metrics=None: the property below reads them from the column file.
        super().__init__(scenario, replication, seed, None, None,  # type: ignore[arg-type]
                         accumulator, trace)

    @property  # type: ignore[override]
    def metrics(self) -> np.ndarray:
        if self._metrics is not None:
            return self._metrics
        return np.column_stack([self.column(m) for m in METRICS]) if len(self.seed) else (
            np.empty((0, len(METRICS))))

    @metrics.setter
    def metrics(self, value: np.ndarray | None) -> None:
        self._metrics = value

    def column(self, metric: str) -> np.ndarray:
        if self._metrics is not None:
            return self._metrics[:, METRICS.index(metric)]
        return self._store.read(METRICS.index(metric))[self.replication - self._start]

    def iter_metric_rows(self, block: int = 4096) -> Iterator[list[float]]:
        """Each replication's metrics as a list, in order, read ``block`` rows at a time."""
        if self._metrics is not None:
            for row in self._metrics:
                yield row.tolist()
            return
        rows = self.replication - self._start
        for a in range(0, len(rows), block):
            pick = rows[a:a + block]
            first, stop = int(pick[0]), int(pick[-1]) + 1
            columns = np.column_stack([self._store.read(j, first, stop)
                                       for j in range(len(METRICS))])
            yield from columns[pick - first].tolist()


def describe_batch(scenarios: Sequence[Scenario], replications: int, seed: int,
                   sizes: list[int], options: dict[str, Any] | None = None, *,
                   kind: str = "run", keep_scenarios: bool = True) -> dict[str, Any]:
    """What ``parts/batch.json`` holds. A run keeps its resolved scenarios (the files may
    change before the resume); an experiment (``keep_scenarios=False``) keeps in its
    ``options`` the definition its points are rebuilt from, and here only their names."""
    described: dict[str, Any] = {"kind": kind, "seed": seed, "replications": replications,
                                 "chunk_sizes": sizes, "options": options or {}}
    if keep_scenarios:
        described["scenarios"] = [s.model_dump(mode="json") for s in scenarios]
    else:
        described["scenario_names"] = [s.name for s in scenarios]
    return described


@dataclass
class StoredBatch:
    """An unfinished batch as ``OUT/parts/batch.json`` describes it."""

    kind: str  # the command that started it: run, sweep, sensitivity
    scenarios: list[Scenario]  # empty for an experiment: rebuilt from its options
    replications: int
    seed: int
    chunk_sizes: list[int]
    # What the command kept to end as the first attempt would have (its command line, its
    # comparisons, its plots; an experiment's definition); empty in older folders.
    options: dict[str, Any]
    scenario_names: list[str]


def read_batch(out: Path, kind: str | None = None, parts: Path | None = None) -> StoredBatch:
    """The unfinished batch in ``out`` (of command ``kind``, if given), described in
    ``parts`` (default ``out/parts``; a block of a run until precise has its own)."""
    path = (parts or out / PARTS) / BATCH_FILE
    if not path.exists():
        raise ResumeError(f"{out}: no unfinished batch here (no {PARTS}/{BATCH_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = data.get("kind", "run")
        described = data["replications"], data["seed"], data["chunk_sizes"]
        kept = data.get("scenarios")
        names = [s["name"] for s in kept] if kept is not None else data["scenario_names"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResumeError(f"{out}: {PARTS}/{BATCH_FILE} is damaged ({exc!r}); the finished "
                          f"parts are still in {out / PARTS}") from exc
    if kind is not None and found != kind:
        raise ResumeError(f"{out} holds an unfinished {found}, not a {kind}: finish it with "
                          f"'baiji-sim {COMMANDS.get(found, found)} --resume {out}'")
    options = data.get("options", {})
    scenarios = [validate(s, path) for s in kept] if kept is not None else []
    return StoredBatch(found, scenarios, *described,
                       options if isinstance(options, dict) else {}, names)


class FolderSink:
    """Streams each finished chunk to ``OUT/parts/`` (see the module docstring) and keeps
    in memory only indices, seeds, failures, band accumulators and the trace.

    A new batch claims ``out`` (:func:`claim_folder`) and describes itself in
    ``parts/batch.json`` once its cut into chunks is known (:meth:`plan`). With ``resume``
    the cut is the stored one and ``scenarios`` must be the batch's (by name).
    """

    def __init__(self, out: Path, scenarios: Sequence[Scenario], replications: int,
                 seed: int, *, kind: str = "run", options: dict[str, Any] | None = None,
                 force: bool = False, resume: bool = False, daily: bool = True,
                 keep_scenarios: bool = True, start: int = 0, block: str | None = None
                 ) -> None:
        # ``block``: one block of a run until precise, in parts/BLOCK/, in a folder its run
        # has claimed; it resumes if its description is there.
        self.out, self.parts = out, out / PARTS / block if block else out / PARTS
        self.start = start
        if block is not None:
            resume = (self.parts / BATCH_FILE).exists()
        self.kind, self.options, self.keep_scenarios = kind, options, keep_scenarios
        self.sizes: list[int] | None = None
        if resume:
            stored = read_batch(out, kind, self.parts)
            if stored.scenario_names != [s.name for s in scenarios]:
                raise ResumeError(f"{out}: the batch's points are not the ones rebuilt from "
                                  "its definition; start it again with --force")
            self.sizes = stored.chunk_sizes
            replications, seed = stored.replications, stored.seed
            check_writable(out)
        elif block is None:
            claim_folder(out, force, kind)
        self.collected = Collected(scenarios, replications, seed, start)
        self.accumulators = [BandAccumulator(s) if daily else None for s in scenarios]
        self.metrics: _MetricsFile | None = None

    def plan(self, sizes: list[int]) -> list[int]:
        """The cut into chunks: the stored one when resuming, else ``sizes``, recorded."""
        if self.sizes is None:
            c = self.collected
            try:
                self.parts.mkdir(parents=True)
                (self.parts / BATCH_FILE).write_text(json.dumps(describe_batch(
                    c.scenarios, c.replications, c.seed, sizes, self.options, kind=self.kind,
                    keep_scenarios=self.keep_scenarios)), encoding="utf-8")
            except BaseException as exc:  # no batch started: no half-written batch.json
                shutil.rmtree(self.parts, ignore_errors=True)
                if isinstance(exc, OSError):
                    raise WriteError(exc, self.parts / BATCH_FILE) from exc
                raise
            self.sizes = list(sizes)
        self.metrics = _MetricsFile(self.parts / "metrics.f8", self.collected.replications,
                                    len(self.collected.scenarios))
        return self.sizes

    def restore(self, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        for stale in self.parts.glob("*.tmp.npz"):  # a part being written when killed
            stale.unlink(missing_ok=True)
        for chunk in chunks:
            path = _part_path(self.parts, chunk)
            if not path.exists():
                continue
            try:
                part = _load_part(path, chunk.scenario_index, chunk.start)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                # Parts are renamed into place once complete, so this is outside damage
                # (a disk error, a hand edit): the chunk's seeds give the same rows again.
                _log.warning("%s is damaged (%s); its %d replications run again", path,
                             exc, len(chunk.seeds))
                path.unlink(missing_ok=True)
                continue
            self._fold(part)
            yield part

    def keep(self, result: ChunkResult) -> None:
        _save_part(self.parts, result)
        self._fold(result)

    def _fold(self, result: ChunkResult) -> None:
        assert self.metrics is not None, "plan() comes first"
        assert result.metrics is not None, "a chunk is folded once"
        self.collected.note(result)
        ok = self.collected.finished[(result.scenario_index, result.start)][0]
        self.metrics.of(result.scenario_index).write(result.start - self.start, ok,
                                                     result.metrics)
        accumulator = self.accumulators[result.scenario_index]
        if accumulator is not None and result.daily is not None:
            accumulator.add(result.daily)
        # Dropped from the result itself: the pool's futures hold every result to the end.
        result.daily = result.metrics = None

    def batch(self, interrupted: bool) -> BatchResult:
        c = self.collected
        assert self.metrics is not None, "plan() comes first"
        runs: list[ScenarioRuns] = []
        for si, scenario in enumerate(c.scenarios):
            rows = c.rows(si)
            runs.append(StoredRuns(scenario, rows, c.seeds(rows), self.accumulators[si],
                                   self.metrics.of(si), self.start, trace=c.traces.get(si)))
        return BatchResult(runs, c.seed, c.replications, c.failures(), interrupted)


def start_blocks(out: Path, scenarios: Sequence[Scenario], initial: int, seed: int,
                 options: dict[str, Any]) -> None:
    """Describe a run until precise in ``out/parts/batch.json`` (``out`` claimed already):
    its scenarios, seed, first block and options. Its blocks then stream to
    ``parts/bNNNNNNNNN/`` (:func:`block_sink`), and a resume runs the same blocks again,
    each restoring what it had finished."""
    parts = out / PARTS
    try:
        parts.mkdir(parents=True)
        (parts / BATCH_FILE).write_text(json.dumps(describe_batch(
            scenarios, initial, seed, [], options)), encoding="utf-8")
    except OSError as exc:
        shutil.rmtree(parts, ignore_errors=True)
        raise WriteError(exc, parts / BATCH_FILE) from exc


def block_sink(out: Path, seed: int) -> Callable[[list[Scenario], int, int], FolderSink]:
    """The sink of each block of a run until precise (see :func:`start_blocks`)."""
    def sink(scenarios: list[Scenario], start: int, replications: int) -> FolderSink:
        return FolderSink(out, scenarios, replications, seed, start=start,
                          block=f"b{start:09d}", keep_scenarios=False)
    return sink


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
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    options: dict[str, Any] | None = None,
    daily: bool = True,
    uncertainty: Uncertainty | None = None,
) -> BatchResult:
    """A run's batch (:func:`~sim.runner.batch.run_batch` into a :class:`FolderSink`): see
    the module docstring.

    ``options`` (JSON-able) are kept with the batch (see :class:`StoredBatch`). A new
    batch (not ``resume``) first claims ``out`` (:func:`claim_folder`, with ``force``):
    :class:`FolderError` if it may not. A part that cannot be written raises
    :class:`WriteError`; the parts written before it are kept for a resume. With
    ``resume`` the batch (its resolved scenarios), its cut and its options come from ``out``.

    Returns the batch as :class:`StoredRuns` (metrics read from the column file, which
    stays readable after :func:`finish`) with daily series as bands (``daily`` is None).
    On Ctrl-C the result is marked interrupted and holds what finished; the parts stay
    for a resume.
    """
    if resume:
        stored = read_batch(out, "run")
        scenarios, replications, seed = stored.scenarios, stored.replications, stored.seed
    sink = FolderSink(out, scenarios, replications, seed, options=options, force=force,
                      resume=resume, daily=daily)
    return run_batch(scenarios, replications, seed, workers, chunk_size, progress=progress,
                     executor=executor, sink=sink, daily=daily, uncertainty=uncertainty)


def finish(out: Path) -> None:
    """Remove the parts of a completed batch."""
    shutil.rmtree(out / PARTS, ignore_errors=True)
