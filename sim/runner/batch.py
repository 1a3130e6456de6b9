"""The one runner: many replications of several scenarios, chunk by chunk, into a sink.

Every batch, experiment and resumed run goes through :func:`run_batch`: the batch is cut
into chunks (:mod:`sim.runner.chunks`), the chunks run where :mod:`sim.runner.pool` says,
and each finished chunk goes to a sink. :class:`MemorySink` keeps everything in memory;
:class:`sim.runner.store.FolderSink` streams each chunk to disk as it finishes, so the
batch survives interruption and resumes. A replication that raises is recorded and the
batch goes on; Ctrl-C stops the batch and keeps every chunk already finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sim.model.metrics import METRICS
from sim.model.recorder import DAILY
from sim.rng import replication_seeds
from sim.runner.chunks import Chunk, ChunkResult, TraceRow, chunk_sizes, plan_chunks
from sim.runner.daily_bands import BandAccumulator, exact_bands
from sim.runner.pool import default_workers, iter_chunk_results
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertainty, draw_parameters

__all__ = ["BatchResult", "Failure", "MemorySink", "ScenarioRuns", "Sink", "default_workers",
           "merge", "run_batch"]


@dataclass
class Failure:
    """A replication that raised instead of finishing."""

    scenario: str
    replication: int
    seed: int
    error: str


@dataclass
class ScenarioRuns:
    """Every finished replication of one scenario, in replication order."""

    scenario: Scenario
    replication: np.ndarray  # (n,) replication indices
    seed: np.ndarray  # (n,) seeds
    metrics: np.ndarray  # (n, len(METRICS)); NaN = no event
    daily: np.ndarray | None  # (n, len(DAILY), horizon_days) float32; None when streamed
    accumulator: BandAccumulator | None = None  # daily bands of a streamed batch
    trace: list[TraceRow] | None = None  # the event log of replication 0, if it finished
    # With parameter uncertainty: each finished replication's drawn value of each parameter.
    parameters: dict[str, np.ndarray] | None = None

    def column(self, metric: str) -> np.ndarray:
        return self.metrics[:, METRICS.index(metric)]

    def series(self, name: str) -> np.ndarray:
        """Every replication's daily series (in-memory batches that kept them only)."""
        if self.daily is None:
            raise ValueError("this batch kept no daily series (streamed to disk, or run "
                             "with daily=False): use bands(), not series()")
        return self.daily[:, DAILY.index(name), :]

    def bands(self, name: str) -> dict[str, np.ndarray]:
        """Per-day mean and 5/25/50/75/95% quantiles of a daily series."""
        if self.accumulator is not None:
            return self.accumulator.bands(name)
        return exact_bands(self.series(name).astype(float))

    def state_bands(self, code: int) -> dict[str, np.ndarray]:
        """Bands of "the government's refinery is in state ``code``" (0 down, 1 restarting,
        2 operating): the mean is the share of replications in that state each day."""
        if self.accumulator is not None:
            return self.accumulator.state_bands(code)
        return exact_bands((self.series("refinery_state") == code).astype(float))

    @property
    def has_daily(self) -> bool:
        return self.daily is not None or self.accumulator is not None


@dataclass
class BatchResult:
    """The outcome of :func:`run_batch`: what finished, scenario by scenario."""

    runs: list[ScenarioRuns]
    seed: int
    replications: int
    failures: list[Failure] = field(default_factory=list)
    interrupted: bool = False
    uncertainty: Uncertainty | None = None  # how parameters were drawn, if they were

    def by_name(self, name: str) -> ScenarioRuns:
        for runs in self.runs:
            if runs.scenario.name == name:
                return runs
        raise KeyError(name)

    def rows(self) -> list[dict[str, float | int | str]]:
        """One dict per finished replication, scenario by scenario."""
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[dict[str, float | int | str]]:
        """The rows of :meth:`rows` one at a time: a dict per replication costs about
        1.5 KiB, so writing 100,000 of them must not hold them all."""
        for runs in self.runs:
            name = runs.scenario.name
            for k in range(len(runs.seed)):
                row: dict[str, float | int | str] = {
                    "scenario": name, "replication": int(runs.replication[k]),
                    "seed": int(runs.seed[k])}
                row.update(zip(METRICS, runs.metrics[k].tolist(), strict=True))
                yield row


    def to_pandas(self) -> Any:
        """A pandas DataFrame with one row per finished replication, scenario by scenario
        (the rows of replications.csv): ``scenario``, ``replication``, ``seed`` and one
        float column per metric (NaN: no event, or an observation not tested). pandas is
        not a dependency of baiji-sim: ``pip install pandas`` for this method."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("BatchResult.to_pandas() needs pandas, which baiji-sim does "
                              "not install: pip install pandas") from exc
        names = [runs.scenario.name for runs in self.runs for _ in range(len(runs.seed))]
        columns: dict[str, Any] = {
            "scenario": pd.Series(names, dtype=object),
            "replication": np.concatenate([np.asarray(r.replication, dtype=np.int64)
                                           for r in self.runs] or [np.empty(0, np.int64)]),
            "seed": np.concatenate([np.asarray(r.seed, dtype=np.uint64)
                                    for r in self.runs] or [np.empty(0, np.uint64)])}
        for metric in METRICS:
            columns[metric] = np.concatenate([np.asarray(r.column(metric), dtype=float)
                                              for r in self.runs] or [np.empty(0)])
        return pd.DataFrame(columns)


class Sink(Protocol):
    """Where the finished chunks of a batch go."""

    def plan(self, sizes: list[int]) -> list[int]:
        """The cut into chunks to use, given the one proposed (a resumed batch keeps its
        first cut, whatever the number of workers now)."""
        ...

    def restore(self, chunks: Sequence[Chunk]) -> Iterable[ChunkResult]:
        """The chunks of ``chunks`` finished by an earlier attempt (a resumed batch)."""
        ...

    def keep(self, result: ChunkResult) -> None:
        """Take a chunk just finished."""
        ...

    def batch(self, interrupted: bool) -> BatchResult:
        """What was kept, as a batch in replication order."""
        ...


class Collected:
    """What every sink keeps of a chunk: the offsets that finished, the failures and the
    trace; and how that becomes each scenario's replication indices and seeds."""

    def __init__(self, scenarios: Sequence[Scenario], replications: int, seed: int,
                 start: int = 0) -> None:
        self.scenarios, self.replications = list(scenarios), replications
        self.seed, self.start = seed, start
        self.finished: dict[tuple[int, int], tuple[np.ndarray, list[tuple[int, int, str]]]] = {}
        # The starts of each scenario's finished chunks: a design of thousands of points
        # would otherwise search every chunk for every point.
        self._starts: dict[int, list[int]] = {}
        self._seeds: np.ndarray | None = None
        self.traces: dict[int, list[TraceRow]] = {}

    def note(self, result: ChunkResult) -> None:
        ok = np.asarray(result.ok, dtype=np.int64)
        key = (result.scenario_index, result.start)
        if key not in self.finished:
            self._starts.setdefault(result.scenario_index, []).append(result.start)
        self.finished[key] = (ok, result.failures)
        if result.trace is not None:
            self.traces[result.scenario_index] = result.trace

    def starts(self, si: int) -> list[int]:
        """Starts of the finished chunks of scenario ``si``, in order."""
        return sorted(self._starts.get(si, ()))

    def rows(self, si: int) -> np.ndarray:
        """Replication indices of the finished replications of scenario ``si``."""
        rows = [start + self.finished[(si, start)][0] for start in self.starts(si)]
        return np.concatenate(rows) if rows else np.empty(0, np.int64)

    def seeds(self, rows: np.ndarray) -> np.ndarray:
        if self._seeds is None:  # the same for every scenario
            self._seeds = np.array(replication_seeds(self.seed, self.replications, self.start),
                                   dtype=np.uint64)
        return self._seeds[rows - self.start]

    def failures(self) -> list[Failure]:
        return [Failure(self.scenarios[si].name, i, s, err)
                for (si, _), (_, failed) in sorted(self.finished.items())
                for i, s, err in failed]


class MemorySink:
    """Keeps every finished chunk in memory: metrics and, if run with them, daily series."""

    def __init__(self, scenarios: Sequence[Scenario], replications: int, seed: int,
                 start: int = 0) -> None:
        self.collected = Collected(scenarios, replications, seed, start)
        self.parts: dict[tuple[int, int], ChunkResult] = {}

    def plan(self, sizes: list[int]) -> list[int]:
        return sizes

    def restore(self, chunks: Sequence[Chunk]) -> Iterable[ChunkResult]:
        return ()

    def keep(self, result: ChunkResult) -> None:
        self.collected.note(result)
        self.parts[(result.scenario_index, result.start)] = result

    def batch(self, interrupted: bool) -> BatchResult:
        c = self.collected
        runs = []
        for si, scenario in enumerate(c.scenarios):
            parts = [self.parts[(si, start)] for start in c.starts(si)]
            rows = c.rows(si)
            metrics = [p.metrics for p in parts if p.metrics is not None and len(p.metrics)]
            kept_daily = all(p.daily is not None for p in parts)
            daily = None
            if kept_daily:
                series = [p.daily for p in parts if p.daily is not None and len(p.daily)]
                daily = np.concatenate(series) if series else np.empty(
                    (0, len(DAILY), scenario.horizon_days), np.float32)
            runs.append(ScenarioRuns(
                scenario=scenario, replication=rows, seed=c.seeds(rows),
                metrics=np.concatenate(metrics) if metrics else np.empty((0, len(METRICS))),
                daily=daily, trace=c.traces.get(si)))
        return BatchResult(runs, c.seed, c.replications, c.failures(), interrupted)


def run_batch(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int = 1,
    workers: int | None = None,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    start: int = 0,
    executor: Executor | None = None,
    *,
    sink: Sink | None = None,
    daily: bool = True,
    uncertainty: Uncertainty | None = None,
    settings: Sequence[list[str]] | None = None,
) -> BatchResult:
    """Run replications ``start .. start + replications - 1`` of each scenario into ``sink``
    (default: a :class:`MemorySink` for these arguments).

    ``progress`` is called with the number of replications just finished (or restored).
    The cut into chunks is :func:`~sim.runner.chunks.chunk_sizes` (with ``chunk_size``),
    unless the sink keeps another (a resumed batch). ``daily=False`` drops the daily series
    in the workers, and the event log of replication 0. ``executor`` is any
    ``concurrent.futures`` executor (a Dask cluster's); without one, ``workers`` local
    processes (1: this process).

    ``uncertainty``: every replication runs with its draw of the scenario's uncertain
    parameters (:func:`~sim.scenario.uncertainty.draw_parameters`: from the seed and the
    replication alone, so the same whatever the workers, and shared by scenarios that have
    the parameter); the batch's runs then carry the values drawn (``parameters``).

    ``settings``: for each scenario, ``path=value`` settings that every replication of it
    runs with, applied in the worker (:class:`~sim.scenario.variants.Variants`): the points
    of an experiment travel as a shared scenario and their settings, and are built where
    they run, once a chunk.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    workers = default_workers() if workers is None else max(1, workers)
    sink = sink if sink is not None else MemorySink(scenarios, replications, seed, start)
    sizes = sink.plan(chunk_sizes(replications, workers, chunk_size))
    chunks = plan_chunks(len(scenarios), replications, seed, workers, start=start,
                         sizes=sizes)
    if settings is not None:
        if uncertainty is not None or len(settings) != len(scenarios):
            raise ValueError("settings: one list a scenario, and not with uncertainty")
        for c in chunks:  # one list for the chunk's replications: one build in the worker
            c.settings = [settings[c.scenario_index]] * len(c.seeds)
    draws = None
    if uncertainty is not None:
        draws = [draw_parameters(s, seed, start + replications, uncertainty)
                 for s in scenarios]
        for c in chunks:
            d = draws[c.scenario_index]
            c.settings = [d.settings[d.group(c.start + k)] for k in range(len(c.seeds))]
    restored = set()
    for part in sink.restore(chunks):
        restored.add((part.scenario_index, part.start))
        if progress:
            progress(len(part.ok) + len(part.failures))
    todo = [c for c in chunks if (c.scenario_index, c.start) not in restored]
    interrupted = False
    try:
        # closing(): an error in the sink (a full disk) stops the workers at once, as Ctrl-C
        with closing(iter_chunk_results(scenarios, todo, workers, executor, daily)) as results:
            for result in results:
                sink.keep(result)
                if progress:
                    progress(len(result.ok) + len(result.failures))
    except KeyboardInterrupt:
        interrupted = True
    batch = sink.batch(interrupted)
    if draws is not None:
        batch.uncertainty = uncertainty
        for runs, d in zip(batch.runs, draws, strict=True):
            groups = runs.replication // d.per_draw
            runs.parameters = {p: d.values[groups, j] for j, p in enumerate(d.paths)}
    return batch


def merge(a: BatchResult, b: BatchResult) -> BatchResult:
    """Two batches of the same scenarios (same seed) as one, in replication order.

    Scenarios present only in ``a`` are kept as they are (a sequential run stops extending
    the scenarios that are already precise enough). Daily series are concatenated, or, for
    streamed batches, their band accumulators added up.
    """
    if a.seed != b.seed:
        raise ValueError("cannot merge batches run with different seeds")
    extra = {r.scenario.name: r for r in b.runs}
    runs = []
    for r in a.runs:
        more = extra.get(r.scenario.name)
        if more is None:
            runs.append(r)
            continue
        index = np.concatenate([r.replication, more.replication])
        order = np.argsort(index, kind="stable")
        accumulator = None
        if r.accumulator is not None and more.accumulator is not None:
            accumulator = BandAccumulator(r.scenario)
            accumulator.absorb(r.accumulator)
            accumulator.absorb(more.accumulator)
        runs.append(ScenarioRuns(
            scenario=r.scenario, replication=index[order],
            seed=np.concatenate([r.seed, more.seed])[order],
            metrics=np.concatenate([r.metrics, more.metrics])[order],
            daily=(np.concatenate([r.daily, more.daily])[order]
                   if r.daily is not None and more.daily is not None else None),
            accumulator=accumulator,
            trace=r.trace if r.trace is not None else more.trace))
    # Blocks are contiguous (a: 0..n-1, b: n..): the largest scenario now has a + b.
    return BatchResult(runs, a.seed, a.replications + b.replications, a.failures + b.failures,
                       a.interrupted or b.interrupted)
