"""Goals of a discovery: the grammar, what each kind of goal makes of a replication, and bad
input (one message with what is allowed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.discovery_goal import parse_goal


def test_a_share_goal_compares_the_share_of_runs_with_the_level() -> None:
    g = parse_goal("operating_at_horizon >= 0.5")
    assert (g.kind, g.threshold, g.outcome_op) == ("share", 0.5, ">=")
    assert g.units(np.array([1.0, 0.0, np.nan])).tolist()[:2] == [1.0, 0.0]
    assert g.met(0.5) and not g.met(0.49) and not g.met(math.nan)
    assert g.words() == "operating at the horizon in at least 50% of the runs"


def test_an_event_goal_counts_the_runs_where_it_happened_in_time() -> None:
    g = parse_goal("first_operating_day by 180", probability=0.6)
    assert (g.kind, g.op, g.level, g.threshold) == ("event", "<=", 180.0, 0.6)
    # An event that never happened (empty) is later than any day.
    assert g.units(np.array([12.0, 180.0, 181.0, np.nan])).tolist() == [1.0, 1.0, 0.0, 0.0]
    late = parse_goal("garrison_fall_day > 100")
    assert late.units(np.array([50.0, 150.0, np.nan])).tolist() == [0.0, 1.0, 1.0]
    assert g.met(0.6) and not g.met(0.59)
    assert "by day 180 in at least 60% of the runs" in g.words()


def test_a_mean_goal_compares_the_mean() -> None:
    g = parse_goal("helicopters_lost < 1.5")
    assert (g.kind, g.upward) == ("mean", False)
    assert g.met(1.4) and not g.met(1.5)
    assert parse_goal("operating_days=>100").op == ">="  # => read as >=


@pytest.mark.parametrize(("text", "says"), [
    ("refinery_rna >= 0.5", "did you mean 'refinery_ran'?"),
    ("refinery_ran", "write it as METRIC OP LEVEL"),
    ("refinery_ran == 1", "an equality cannot be a goal"),
    ("refinery_ran >= half", "'half' is not a number"),
    ("refinery_ran >= 50", "give a level between 0 and 1"),
    ("operating_days by 100", "'by DAY' is for the day of an event"),
    ("operating_days >= nan", "finite"),
])
def test_bad_goals_say_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        parse_goal(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_probability_of_an_event_goal_is_a_share() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        parse_goal("first_operating_day by 180", probability=1.0)
