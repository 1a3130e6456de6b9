"""Random streams: one numpy Generator per source of randomness, keyed by name.

A replication's seed and a stream's *name* fix the stream. Two scenarios run
with the same seed therefore draw the same numbers for the same source (common
random numbers), even when one scenario has an extra operator or link: adding a
source never shifts the numbers of another.
"""

from __future__ import annotations

import zlib

import numpy as np

SEED_BITS = 63


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for source ``name`` in the replication with this ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


def replication_seeds(batch_seed: int, count: int, start: int = 0) -> list[int]:
    """Seeds of replications ``start .. start+count-1`` of a batch.

    Each is derived from the batch seed and the replication's index alone, so a
    replication's numbers do not depend on how the batch is split across workers.
    """
    seeds = []
    for i in range(start, start + count):
        state = np.random.SeedSequence(batch_seed, spawn_key=(i,)).generate_state(2, np.uint64)
        seeds.append(int(state[0] >> np.uint64(64 - SEED_BITS)))
    return seeds


class Streams:
    """The named streams of one replication: ``streams("airstrikes")`` -> Generator."""

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)
