"""Random streams: one source of random numbers per named source, keyed by name.

A replication's seed and a stream's *name* fix the stream. Two scenarios run
with the same seed therefore draw the same numbers for the same source (common
random numbers), even when one scenario has an extra operator or link: adding a
source never shifts the numbers of another.

Stream ``name`` of the replication with seed ``s`` is numpy's counter-based
Philox generator with the key ``(s, crc32(name))``: its uniforms are those of
``Generator(Philox(key=[s, crc32(name)])).random()``. A Philox key needs no
SeedSequence hashing, and one shared Philox is re-keyed for every block of draws,
so a stream costs a small Python object instead of a new numpy generator (about
10 µs each, paid by every stream of every replication).

Draws are made in blocks and handed out one by one: a scalar numpy call costs
0.3-1 µs, more than the rest of most events. Blocks only prefetch, so the numbers
never depend on where a block ends.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np

SEED_BITS = 63
# A block costs about 2 µs plus 15 ns a draw (a Python number is made only for the
# draws handed out): the first is small (many streams draw only a few numbers) and the
# next grow, up to a size past which they gain little.
FIRST_BLOCK = 64
GROWTH = 4
MAX_BLOCK = 1024
EXACT_SLOT = 1 << 32  # added to crc32(name): the key of the stream's draws by numpy's algorithms
INVERSION_MAX_MEAN = 30.0  # binomial and Poisson means above this go to numpy's algorithms

# What a stream is, by name, for whoever describes it (the report's STRESS 5.2): the numpy
# bit generator every stream draws from, and how a stream's name becomes its key word.
BIT_GENERATOR = np.random.Philox
BIT_GENERATOR_NAME = BIT_GENERATOR.__name__
STREAM_KEY_HASH = "CRC-32"  # zlib.crc32 of the name's UTF-8 bytes (stream_key)

_KEYS: dict[str, int] = {}


def stream_key(name: str) -> int:
    """The second Philox key word of stream ``name`` (the first is the replication seed)."""
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = zlib.crc32(name.encode("utf-8"))
    return key


class _SharedPhilox:
    """One Philox bit generator that every stream borrows, under a lock, for a block.

    Setting a state costs about 1 µs; building a generator costs about 10 µs.
    """

    def __init__(self) -> None:
        self.bitgen = BIT_GENERATOR(key=0)
        self.generator = np.random.Generator(self.bitgen)
        self.lock = threading.Lock()
        # The state of a fresh Philox(key=...) moved on by some counter steps, nothing
        # buffered, rewritten in place for each block. Plain lists, not numpy arrays:
        # the state setter reads them item by item, three times faster from a list.
        self._counter = [0, 0, 0, 0]
        self._key = [0, 0]
        self._start: Any = {"bit_generator": BIT_GENERATOR_NAME,
                       "state": {"counter": self._counter, "key": self._key},
                       "buffer": [0, 0, 0, 0], "buffer_pos": 4,
                       "has_uint32": 0, "uinteger": 0}

    def start(self, seed: int, key: int, steps: int = 0) -> np.random.Generator:
        """The generator, at ``Philox(key=[seed, key])`` after ``steps`` counter steps.

        Call with the lock held.
        """
        self._key[0], self._key[1], self._counter[0] = seed, key, steps
        self.bitgen.state = self._start
        return self.generator

    def resume(self, state: Any) -> np.random.Generator:
        """The generator, at a state read from it before. Call with the lock held."""
        self.bitgen.state = state
        return self.generator


_SHARED = _SharedPhilox()


def _check_seed(seed: int) -> int:
    if not 0 <= seed < 1 << 64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    return seed


def _next_block(block: int) -> int:
    return min(GROWTH * block, MAX_BLOCK)


class _UniformBlocks:
    """Successive blocks of uniforms of one key (a callable for ``iter``).

    ``random(n)`` takes one raw 64-bit number per double and Philox makes four per
    counter step, so after a block of n (a multiple of 4) the counter has moved
    n / 4: the position is known without reading the state back.
    """

    __slots__ = ("block", "key", "seed", "steps")

    def __init__(self, seed: int, key: int) -> None:
        self.seed, self.key = seed, key
        self.steps = 0
        self.block = FIRST_BLOCK

    def __call__(self) -> memoryview:
        block, shared = -(-self.block // 4) * 4, _SHARED  # whole counter steps
        with shared.lock:
            # An ndarray is a buffer; numpy's stubs say so only from Python 3.12 on.
            values = memoryview(shared.start(self.seed, self.key, self.steps).random(block))  # type: ignore[arg-type,unused-ignore]
        self.steps += block // 4
        self.block = _next_block(block)
        return values


class _NumpyBlocks:
    """Successive blocks of ``Generator.<method>(*args)`` draws of one key.

    These draws take a variable count of raw numbers, so the position after a block
    is not known; reading the state back costs more than the block itself. Instead a
    later block draws again from the key's start and keeps the tail: draws are made
    in sequence, so the first ``drawn`` values are those already handed out. The
    first block is sized so that most replications never need a second.
    """

    __slots__ = ("args", "block", "drawn", "key", "method", "seed")

    def __init__(self, seed: int, key: int, method: str, args: tuple[float, ...],
                 block: int) -> None:
        self.seed, self.key = seed, key
        self.method, self.args = method, args
        self.block = block
        self.drawn = 0

    def __call__(self) -> memoryview:
        shared, drawn = _SHARED, self.drawn
        with shared.lock:
            generator = shared.start(self.seed, self.key)
            values = getattr(generator, self.method)(*self.args, size=drawn + self.block)
        self.drawn = drawn + self.block
        self.block = _next_block(self.block)
        return memoryview(values[drawn:] if drawn else values)


def _flatten(blocks: Callable[[], memoryview]) -> Callable[[], float]:
    """A zero-argument function returning the items of successive blocks, in order.

    Iterating a memoryview of the block makes a Python number only when one is asked
    for, so the unused end of the last block costs next to nothing.
    """
    return chain.from_iterable(iter(blocks, None)).__next__


class Stream:
    """One named source of randomness, with the scalar draws of numpy's ``Generator``.

    The methods take numpy's names and parameters, so code (and tests) may pass
    either. ``random()`` hands out the stream's uniforms. Continuous draws invert
    one uniform each. Binomial and Poisson draws invert one uniform by sequential
    search, as numpy itself does for small means; larger means and gamma draws use
    numpy's own algorithms on the stream's second key ``crc32(name) + 2**32``
    (they take a variable count of raw numbers, so they must not share the first).
    """

    __slots__ = ("_exact_state", "_key", "_seed", "random")

    def __init__(self, seed: int, name: str) -> None:
        self._seed = _check_seed(seed)
        self._key = stream_key(name)
        self._exact_state: Any = None
        self.random: Callable[[], float] = _flatten(_UniformBlocks(seed, self._key))

    def exponential(self, scale: float = 1.0) -> float:
        return -scale * math.log(1.0 - self.random())

    def standard_exponential(self) -> float:
        return -math.log(1.0 - self.random())

    def uniform(self, low: float = 0.0, high: float = 1.0) -> float:
        return low + (high - low) * self.random()

    def binomial(self, n: int, p: float) -> int:
        if n <= 0 or p <= 0.0:
            return 0
        if p > 0.5:
            return n if p >= 1.0 else n - self.binomial(n, 1.0 - p)
        if n * p > INVERSION_MAX_MEAN:
            return int(self._exact("binomial", n, p))
        q = 1.0 - p
        p0 = math.exp(n * math.log1p(-p))  # (1 - p)^n, accurate for tiny p too
        u = self.random()
        if u <= p0:  # the common case for the small means of the model
            return 0
        # Inversion (Kachitvichyanukul & Schmeiser's BINV, numpy's method for n p <= 30):
        # walk up the probabilities from P(0); past n (rounding left u unspent) start again.
        odds = p / q
        while True:
            x, px = 0, p0
            while u > px:
                x += 1
                if x > n:
                    break
                u -= px
                px *= (n - x + 1) * odds / x
            else:
                return x
            u = self.random()

    def poisson(self, lam: float = 1.0) -> int:
        if lam <= 0.0:
            return 0
        if lam > INVERSION_MAX_MEAN:
            return int(self._exact("poisson", lam))
        p0 = math.exp(-lam)
        u = self.random()
        if u <= p0:
            return 0
        bound = lam + 10.0 * math.sqrt(lam) + 10.0  # past it (rounding) start again
        while True:
            x, px = 0, p0
            while u > px:
                x += 1
                if x > bound:
                    break
                u -= px
                px *= lam / x
            else:
                return x
            u = self.random()

    def gamma(self, shape: float, scale: float = 1.0) -> float:
        return float(self._exact("gamma", shape, scale))

    def _exact(self, method: str, *args: float):
        """One draw by numpy's own algorithm, on the stream's second key."""
        shared = _SHARED
        with shared.lock:
            generator = (shared.start(self._seed, self._key + EXACT_SLOT)
                         if self._exact_state is None else shared.resume(self._exact_state))
            value = getattr(generator, method)(*args)
            self._exact_state = shared.bitgen.state
        return value


def stream(seed: int, name: str) -> Stream:
    """The stream of source ``name`` in the replication with this ``seed``."""
    return Stream(seed, name)


def iid(seed: int, name: str, method: str, *args: float,
        expected: float = 0.0) -> Callable[[], Any]:  # int for poisson, float for exponential
    """Successive draws of ``Generator(Philox(key=[seed, crc32(name)])).<method>(*args)``.

    For a source that only ever draws from one fixed distribution (arrival gaps,
    daily reinforcements): numpy makes the draws in blocks, and each call returns
    the next, in the order numpy's scalar calls would give them. ``expected``, the
    number of draws a replication is expected to take, sizes the first block so that
    most replications need one.
    """
    first = max(16, int(expected + 2.0 * math.sqrt(expected)) + 1)
    return _flatten(_NumpyBlocks(_check_seed(seed), stream_key(name), method, args, first))


def replication_seeds(batch_seed: int, count: int, start: int = 0) -> list[int]:
    """Seeds of replications ``start .. start+count-1`` of a batch.

    Seed i is the top ``SEED_BITS`` bits of the first word of
    ``SeedSequence(batch_seed, spawn_key=(i,)).generate_state(2, uint64)``: it depends on the
    batch seed and the replication's index alone, so a replication's numbers do not depend
    on how the batch is split across workers. Computed for all indices at once (see
    :func:`_spawned_first_words`): one SeedSequence costs about 8 µs, which made the seeds
    of a 100,000-replication batch take 0.8 s of the parent's time, twice.
    """
    if batch_seed < 0 or start < 0:
        raise ValueError(f"batch seed and start must be non-negative, got {batch_seed}, {start}")
    if count <= 0:
        return []
    if start + count > 1 << 32:  # a spawn key of two words: numpy's own, one by one
        return [int(np.random.SeedSequence(batch_seed, spawn_key=(i,))
                    .generate_state(2, np.uint64)[0] >> np.uint64(64 - SEED_BITS))
                for i in range(start, start + count)]
    first = _spawned_first_words(batch_seed, np.arange(start, start + count, dtype=np.uint32))
    return (first >> np.uint64(64 - SEED_BITS)).tolist()


# numpy's SeedSequence constants (numpy/random/bit_generator.pyx), pool of 4 words.
_POOL_SIZE = 4
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R, _XSHIFT = 0xCA01F9DD, 0x4973F715, 16


def _spawned_first_words(batch_seed: int, index: np.ndarray) -> np.ndarray:
    """``SeedSequence(batch_seed, spawn_key=(i,)).generate_state(2, uint64)[0]`` for each
    uint32 ``i`` of ``index``, as uint64: numpy's mixing, done on arrays of indices.

    The hash constants evolve the same way for every index, so only the data are arrays.
    ``tests/test_rng.py`` checks the words against numpy's SeedSequence.
    """
    u32 = np.uint32
    run = []  # the batch seed as little-endian 32-bit words, padded to the pool size
    value = batch_seed
    while True:
        run.append(value & 0xFFFFFFFF)
        value >>= 32
        if not value:
            break
    run += [0] * (_POOL_SIZE - len(run))
    # The seed's words are scalars (the same for every index): only the index is an array.
    entropy: list = [u32(w) for w in run] + [index.astype(u32)]
    hash_const = u32(_INIT_A)

    def hashmix(v: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        v = v ^ hash_const
        hash_const = hash_const * u32(_MULT_A)
        v = v * hash_const
        return v ^ (v >> u32(_XSHIFT))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r: np.ndarray = u32(_MIX_MULT_L) * x - u32(_MIX_MULT_R) * y  # mypyc infers float64
        return r ^ (r >> u32(_XSHIFT))

    with np.errstate(over="ignore"):  # uint32 arithmetic wraps, as in numpy's C code
        pool = [hashmix(entropy[i]) for i in range(_POOL_SIZE)]
        for src in range(_POOL_SIZE):
            for dst in range(_POOL_SIZE):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for src in range(_POOL_SIZE, len(entropy)):
            for dst in range(_POOL_SIZE):
                pool[dst] = mix(pool[dst], hashmix(entropy[src]))
        hash_const = u32(_INIT_B)
        words = []
        for k in range(2):  # the first uint64 is the first two uint32 words, low word first
            v = pool[k] ^ hash_const
            hash_const = hash_const * u32(_MULT_B)
            v = v * hash_const
            words.append(v ^ (v >> u32(_XSHIFT)))
    return words[0].astype(np.uint64) | (words[1].astype(np.uint64) << np.uint64(32))


class Streams:
    """The named streams of one replication: ``streams("airstrikes")`` -> :class:`Stream`."""

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = _check_seed(seed)

    def __call__(self, name: str) -> Stream:
        return Stream(self.seed, name)

    def iid(self, name: str, method: str, *args: float,
            expected: float = 0.0) -> Callable[[], Any]:
        """Draws of one fixed distribution for source ``name``; see :func:`iid`."""
        return iid(self.seed, name, method, *args, expected=expected)
