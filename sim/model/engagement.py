"""The engagement model: who wins an assault, and what it costs each side.

A force-ratio contest (the ratio form of a Lanchester-type contest function):
with A attackers and D defenders fighting with an advantage ``a`` (cover,
fortification), the attacker wins with probability

    p = A^k / (A^k + (a D)^k)

where the decisiveness ``k`` sets how sharply the odds turn with the ratio
(k -> 0: a coin toss; k -> inf: the stronger side always wins). Each side loses
a binomial number of its fighters, each falling with probability ``c`` times the
opponent's share of the total effective power:

    attacker losses ~ Binomial(A, c aD / (A + aD)),
    defender losses ~ Binomial(D, c A / (A + aD)).

Pure functions: the closed forms above are what the tests check against.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.rng import Stream


class Outcome(NamedTuple):
    attacker_won: bool
    attacker_losses: int
    defender_losses: int


def attacker_win_prob(attackers: float, defenders: float, advantage: float,
                      decisiveness: float) -> float:
    """Probability that the attack succeeds (0 with no attackers, 1 with no defenders)."""
    if attackers <= 0.0:
        return 0.0
    if defenders <= 0.0:
        return 1.0
    ratio = (advantage * defenders / attackers) ** decisiveness
    return 1.0 / (1.0 + ratio)


def expected_losses(attackers: float, defenders: float, advantage: float,
                    casualty_rate: float) -> tuple[float, float]:
    """Mean (attacker, defender) losses of one engagement."""
    power = attackers + advantage * defenders
    if power <= 0.0:
        return 0.0, 0.0
    return (attackers * casualty_rate * advantage * defenders / power,
            defenders * casualty_rate * attackers / power)


def fight(rng: Stream | np.random.Generator, attackers: int, defenders: int,
          defender_fitness: float, advantage: float, decisiveness: float,
          casualty_rate: float) -> Outcome:
    """Draw one engagement; ``defender_fitness`` (0..1) scales the defenders' power."""
    effective = defenders * defender_fitness
    p_win = attacker_win_prob(attackers, effective, advantage, decisiveness)
    u = rng.random()
    power = attackers + advantage * effective
    if power <= 0.0:
        return Outcome(u < p_win, 0, 0)
    att_loss = rng.binomial(attackers, casualty_rate * advantage * effective / power)
    def_loss = rng.binomial(defenders, casualty_rate * attackers / power)
    return Outcome(u < p_win, int(att_loss), int(def_loss))
