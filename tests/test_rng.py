"""Random streams: reproducible, keyed by name and seed, and blind to where blocks end."""

from __future__ import annotations

import threading
import zlib

import numpy as np
import pytest
from scipy import stats

import sim.rng
from sim.rng import SEED_BITS, Stream, Streams, iid, replication_seeds, stream


def philox(seed: int, name: str) -> np.random.Generator:
    """The documented definition of stream ``name``: Philox keyed (seed, crc32(name))."""
    return np.random.Generator(np.random.Philox(key=[seed, zlib.crc32(name.encode())]))


def uniforms(s: Stream, n: int) -> np.ndarray:
    return np.array([s.random() for _ in range(n)])


def test_a_stream_is_philox_keyed_by_seed_and_name() -> None:
    n = 5000  # several blocks
    for seed, name in ((0, "airstrikes"), (2**63 - 1, "flights.US airdrops"), (9, "")):
        np.testing.assert_array_equal(uniforms(stream(seed, name), n),
                                      philox(seed, name).random(n))


def test_same_seed_and_name_give_the_same_numbers() -> None:
    a, b = stream(42, "clashes.outcomes"), Streams(42)("clashes.outcomes")
    assert [a.binomial(250, 0.01) for _ in range(500)] == [b.binomial(250, 0.01)
                                                            for _ in range(500)]
    assert [a.gamma(4.0, 2.0) for _ in range(50)] == [b.gamma(4.0, 2.0) for _ in range(50)]
    f, g = iid(42, "clashes", "exponential", 2.0), Streams(42).iid("clashes", "exponential", 2.0)
    assert [f() for _ in range(300)] == [g() for _ in range(300)]


def test_streams_differ_by_name_and_by_seed() -> None:
    base = uniforms(stream(7, "a"), 100)
    assert not np.array_equal(base, uniforms(stream(7, "b"), 100))
    assert not np.array_equal(base, uniforms(stream(8, "a"), 100))
    assert not np.array_equal(
        [iid(7, "a", "poisson", 3.0)() for _ in range(100)],
        [iid(8, "a", "poisson", 3.0)() for _ in range(100)])


@pytest.mark.parametrize(("first", "growth", "largest"), [(4, 1, 4), (8, 2, 64), (64, 4, 1024),
                                                          (4096, 1, 4096), (3, 3, 50)])
def test_block_sizes_never_change_the_numbers(monkeypatch: pytest.MonkeyPatch, first: int,
                                              growth: int, largest: int) -> None:
    monkeypatch.setattr(sim.rng, "FIRST_BLOCK", first)
    monkeypatch.setattr(sim.rng, "GROWTH", growth)
    monkeypatch.setattr(sim.rng, "MAX_BLOCK", largest)
    np.testing.assert_array_equal(uniforms(stream(5, "x"), 3000), philox(5, "x").random(3000))
    s = stream(5, "y")
    mixed = [(s.random(), s.binomial(300, 0.01), s.gamma(2.0)) for _ in range(500)]
    monkeypatch.undo()
    t = stream(5, "y")
    assert mixed == [(t.random(), t.binomial(300, 0.01), t.gamma(2.0)) for _ in range(500)]


@pytest.mark.parametrize("expected", [0.0, 10.0, 180.0, 5000.0])
def test_iid_draws_are_numpys_sequence_whatever_the_first_block(expected: float) -> None:
    draw = iid(3, "kills", "poisson", 2.6, expected=expected)
    np.testing.assert_array_equal([draw() for _ in range(2000)],
                                  philox(3, "kills").poisson(2.6, 2000))
    gaps = iid(3, "gaps", "exponential", 8.0, expected=expected)
    np.testing.assert_array_equal([gaps() for _ in range(2000)],
                                  philox(3, "gaps").exponential(8.0, 2000))


def test_interleaved_streams_do_not_disturb_each_other() -> None:
    a, b, c = stream(1, "a"), stream(1, "b"), iid(1, "c", "poisson", 1.5)
    got_a, got_b, got_c = [], [], []
    for i in range(3000):
        got_a.append(a.random())
        if i % 3 == 0:
            got_b.append(b.random())
            b.gamma(3.0)  # numpy's own algorithm, on b's second key
        got_c.append(c())
    np.testing.assert_array_equal(got_a, philox(1, "a").random(3000))
    np.testing.assert_array_equal(got_b, philox(1, "b").random(1000))
    np.testing.assert_array_equal(got_c, philox(1, "c").poisson(1.5, 3000))


def test_threads_drawing_at_once_get_their_own_numbers() -> None:
    results: dict[str, list[float]] = {}

    def work(name: str) -> None:
        s = stream(11, name)
        results[name] = [s.random() for _ in range(20000)]

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, got in results.items():
        np.testing.assert_array_equal(got, philox(11, name).random(20000))


def test_seeds_outside_64_bits_are_refused() -> None:
    with pytest.raises(ValueError):
        stream(-1, "a")
    with pytest.raises(ValueError):
        Streams(2**64)


def seed_sequence_seeds(batch_seed: int, indices: range) -> list[int]:
    """The documented definition of replication seeds, one SeedSequence per index."""
    return [int(np.random.SeedSequence(batch_seed, spawn_key=(i,)).generate_state(2, np.uint64)[0]
                >> np.uint64(64 - SEED_BITS)) for i in indices]


@pytest.mark.parametrize("batch_seed", [0, 1, 3, 20141015, 2**31, 2**32 - 1, 2**32, 2**63 - 5,
                                        2**64 - 1, 2**96 + 11, 2**128 - 1, 2**128, 2**200 + 3])
def test_replication_seeds_are_numpys_seed_sequence(batch_seed: int) -> None:
    assert replication_seeds(batch_seed, 300) == seed_sequence_seeds(batch_seed, range(300))
    top = range(2**32 - 150, 2**32)  # the largest indices with a one-word spawn key
    assert (replication_seeds(batch_seed, 150, start=top.start)
            == seed_sequence_seeds(batch_seed, top))


def test_replication_seeds_past_two_to_the_32_take_numpys_own_path() -> None:
    span = range(2**32 - 2, 2**32 + 3)
    assert replication_seeds(9, 5, start=span.start) == seed_sequence_seeds(9, span)
    assert replication_seeds(9, 0) == []
    with pytest.raises(ValueError, match="non-negative"):
        replication_seeds(-1, 3)
    with pytest.raises(ValueError, match="non-negative"):
        replication_seeds(1, 3, start=-2)


def chi2_pvalue(draws: list[int], pmf) -> float:
    """Goodness of fit of integer draws to ``pmf``, bins with few expected pooled into tails."""
    draws_arr = np.asarray(draws)
    n = len(draws_arr)
    lo, hi = int(draws_arr.min()), int(draws_arr.max())
    ks = np.arange(lo, hi + 1)
    expected = n * pmf(ks)
    keep = expected >= 5
    observed = np.array([(draws_arr == k).sum() for k in ks])
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], n - expected[keep].sum())
    if obs[-1] == 0 and exp[-1] < 5:
        obs, exp = obs[:-1], exp[:-1] * n / exp[:-1].sum()
    return float(stats.chisquare(obs, exp).pvalue)


@pytest.mark.parametrize(("n", "p"), [(250, 0.002), (240, 0.04), (16, 0.59), (100, 0.9),
                                      (40, 0.5), (5000, 0.01), (1, 0.3)])
def test_binomial_draws_follow_the_binomial_law(n: int, p: float) -> None:
    s = stream(2024, f"binomial {n} {p}")
    draws = [s.binomial(n, p) for _ in range(20000)]
    assert chi2_pvalue(draws, lambda k: stats.binom.pmf(k, n, p)) > 1e-3


@pytest.mark.parametrize("lam", [0.02, 0.5, 2.6, 12.0, 29.0, 80.0])
def test_poisson_draws_follow_the_poisson_law(lam: float) -> None:
    s = stream(2024, f"poisson {lam}")
    draws = [s.poisson(lam) for _ in range(20000)]
    assert chi2_pvalue(draws, lambda k: stats.poisson.pmf(k, lam)) > 1e-3


def test_continuous_draws_follow_their_laws() -> None:
    s = stream(2024, "continuous")
    n = 20000
    assert stats.kstest([s.exponential(3.0) for _ in range(n)], "expon",
                        args=(0, 3.0)).pvalue > 1e-3
    assert stats.kstest([s.standard_exponential() for _ in range(n)], "expon").pvalue > 1e-3
    assert stats.kstest([s.uniform(2.0, 5.0) for _ in range(n)], "uniform",
                        args=(2.0, 3.0)).pvalue > 1e-3
    assert stats.kstest([s.gamma(4.0, 2.0) for _ in range(n)], "gamma",
                        args=(4.0, 0, 2.0)).pvalue > 1e-3


def test_degenerate_parameters() -> None:
    s = stream(1, "edge")
    assert s.binomial(0, 0.5) == 0
    assert s.binomial(10, 0.0) == 0
    assert s.binomial(10, 1.0) == 10
    assert s.poisson(0.0) == 0
    assert all(0.0 <= s.random() < 1.0 for _ in range(1000))
