"""The unit of work of every batch: a chunk of consecutive replications of one scenario.

A chunk is what a worker receives and sends back. Replication ``i`` of every scenario
gets the same seed (from the batch seed and ``i`` alone, :func:`sim.rng.replication_seeds`),
so how a batch is cut into chunks never changes its numbers, and scenarios are compared
under common random numbers. Replication 0 of each scenario is run with its event log
kept (``traced``): the results folder's trace is that replication, not a re-run of it.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from sim.model.metrics import METRICS
from sim.model.recorder import DAILY
from sim.model.replication import run_replication
from sim.rng import replication_seeds
from sim.scenario.schema import Scenario
from sim.scenario.variants import Variants

TRACED = 0  # the replication whose event log every batch keeps

# One trace entry as it crosses processes and files: (day, kind, text).
TraceRow = tuple[float, str, str]


@dataclass
class Chunk:
    """Replications ``start .. start + len(seeds) - 1`` of scenario ``scenario_index``."""

    scenario_index: int
    start: int
    seeds: list[int]
    # With parameter uncertainty: each replication's ``path=value`` settings (replications
    # of one draw share one list, which pickling keeps shared).
    settings: list[list[str]] | None = None


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk."""

    scenario_index: int
    start: int
    ok: list[int] = field(default_factory=list)  # offsets within the chunk that finished
    metrics: np.ndarray | None = None  # (len(ok), len(METRICS))
    daily: np.ndarray | None = None  # (len(ok), len(DAILY), horizon) float32, or None
    failures: list[tuple[int, int, str]] = field(default_factory=list)  # (index, seed, error)
    trace: list[TraceRow] | None = None  # the event log of replication TRACED, if in here


def run_chunk(scenario: Scenario, chunk: Chunk, daily: bool = True) -> ChunkResult:
    """Run a chunk's replications in order. A replication that raises is recorded as a
    failure and the chunk goes on. ``daily=False`` drops the daily series at the source and
    keeps no event log (experiments that read only the metrics: sensitivity designs of
    thousands of points, each of whose replication 0 would otherwise be traced, a quarter
    of the runs of a design of 4 replications a point)."""
    result = ChunkResult(chunk.scenario_index, chunk.start)
    metrics, series = [], []
    settings = chunk.settings
    drawn = _Drawn(scenario) if settings is not None else None
    for offset, seed in enumerate(chunk.seeds):
        traced = daily and chunk.start + offset == TRACED
        try:
            spec = (scenario if drawn is None or settings is None
                    else drawn.scenario(settings[offset]))
            rep = run_replication(spec, seed, trace=traced)
        except Exception:
            result.failures.append((chunk.start + offset, seed, traceback.format_exc(limit=3)))
            continue
        result.ok.append(offset)
        metrics.append([rep.metrics[m] for m in METRICS])
        if daily:
            series.append(rep.daily)
        if traced:
            result.trace = [(e.time, e.kind, e.text) for e in rep.trace or ()]
    result.metrics = np.array(metrics, dtype=float).reshape(-1, len(METRICS))
    if daily:
        result.daily = np.array(series, dtype=np.float32).reshape(
            -1, len(DAILY), scenario.horizon_days)
    return result


def run_parcel(work: list[tuple[Scenario, Chunk]], daily: bool = True) -> list[ChunkResult]:
    """Several chunks in one hand-over to a worker: an experiment's points run a few
    replications each, and a hand-over per point cost more than the points themselves."""
    return [run_chunk(scenario, chunk, daily) for scenario, chunk in work]


def parcels(chunks: Sequence[Chunk], workers: int) -> list[list[int]]:
    """The chunks (indices) of each hand-over: consecutive chunks filled up to the sizes
    :func:`chunk_sizes` gives the whole batch, so a batch of many small chunks (a design's
    points) is handed over as a batch of one scenario would be; a chunk already that large
    goes alone."""
    sizes = iter(chunk_sizes(sum(len(c.seeds) for c in chunks), workers))
    out: list[list[int]] = []
    current: list[int] = []
    goal, filled = next(sizes, 1), 0
    for i, chunk in enumerate(chunks):
        current.append(i)
        filled += len(chunk.seeds)
        if filled >= goal:
            out.append(current)
            current, filled = [], 0
            goal = next(sizes, goal)
    if current:
        out.append(current)
    return out


class _Drawn:
    """The scenario of each draw of parameter uncertainty, built once per draw."""

    def __init__(self, scenario: Scenario) -> None:
        self.variants = Variants(scenario)
        self.name = scenario.name
        self.built: dict[int, Scenario] = {}

    def scenario(self, settings: list[str]) -> Scenario:
        key = id(settings)  # the replications of a draw share one list
        if key not in self.built:
            self.built = {key: self.variants.make(settings, self.name)}  # draws come in order
        return self.built[key]


def chunk_sizes(replications: int, workers: int, chunk_size: int | None = None,
                largest: int = 150, smallest: int = 16) -> list[int]:
    """The cut of a batch: ``chunk_size`` each if given, else guided self-scheduling,
    where each chunk takes 1/(2 x workers) of what is left.

    Chunks shrink towards the end, so the workers finish together instead of one idling
    while another runs the last big chunk; early chunks are large (at most ``largest``)
    so start-up and transfer are paid rarely (benchmarks/README.md has the measurements
    behind 150 and 16). A remainder under ``smallest`` joins the chunk before it (near the end
    a chunk takes at most half of what is left, so this does not make one over ``largest``):
    an experiment's point of 20 replications is one chunk, not 16 and 4, each building the
    point again in its worker.
    """
    if chunk_size:
        return [chunk_size] * math.ceil(replications / chunk_size)
    sizes, left = [], replications
    while left > 0:
        size = min(left, largest, max(smallest, math.ceil(left / (2 * workers))))
        if left - size < smallest:
            size = left
        sizes.append(size)
        left -= size
    return sizes


def plan_chunks(n_scenarios: int, replications: int, seed: int, workers: int,
                chunk_size: int | None = None, start: int = 0,
                sizes: Sequence[int] | None = None) -> list[Chunk]:
    """Replications start..start+replications-1 of each scenario, cut into chunks.

    ``sizes`` fixes the cut (a resumed batch keeps its first cut); by default
    :func:`chunk_sizes` (with ``chunk_size``).
    """
    seeds = replication_seeds(seed, replications, start)
    if sizes is None:
        sizes = chunk_sizes(replications, workers, chunk_size)
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    return [
        Chunk(si, start + a, seeds[a:min(b, replications)])
        for si in range(n_scenarios)
        for a, b in pairwise(offsets)
        if a < replications
    ]
