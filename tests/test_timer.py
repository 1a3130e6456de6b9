"""The reusable timer behind the recurring mechanisms: it must fire exactly as a timeout would."""

from __future__ import annotations

import math
import random

import pytest
import simpy

from sim.model.timer import Timer


def test_a_chain_of_firings_lands_at_the_times_a_process_of_timeouts_reaches() -> None:
    draw = random.Random(7).expovariate
    delays = [draw(3.0) for _ in range(200)]

    def with_process() -> list[float]:
        env, seen = simpy.Environment(), []

        def proc():
            for d in delays:
                yield env.timeout(d)
                seen.append(env.now)

        env.process(proc())
        env.run()
        return seen

    def with_timer() -> list[float]:
        env, seen, left = simpy.Environment(), [], iter(delays)

        def fire(_: Timer) -> None:
            seen.append(env.now)
            d = next(left, None)
            if d is not None:
                timer.after(d)

        timer = Timer(env, fire)
        timer.after(next(left))
        env.run()
        return seen

    assert with_timer() == with_process()  # the same floats, not just close


def test_same_time_events_fire_in_the_order_they_were_scheduled() -> None:
    env, order = simpy.Environment(), []
    timers = [Timer(env, lambda _, k=k: order.append(f"timer {k}")) for k in range(3)]
    timers[1].after(2.0)
    env.timeout(2.0).callbacks.append(lambda _: order.append("timeout"))
    timers[0].after(2.0)
    timers[2].after(1.0)
    env.run()
    assert order == ["timer 2", "timer 1", "timeout", "timer 0"]


def test_a_timer_is_pending_once_and_may_be_set_again_from_its_own_action() -> None:
    env, fired = simpy.Environment(), []

    def fire(t: Timer) -> None:
        assert not t.pending  # SimPy has taken it off the heap
        fired.append(env.now)
        if len(fired) < 3:
            t.after(0.5)
            assert t.pending

    timer = Timer(env, fire)
    assert not timer.pending
    timer.after(1.0)
    with pytest.raises(RuntimeError, match="already pending"):
        timer.after(2.0)
    env.run()
    assert fired == [1.0, 1.5, 2.0]
    assert not timer.pending


@pytest.mark.parametrize("delay", [-1e-9, -1.0, math.nan])
def test_a_negative_or_undefined_delay_is_refused(delay: float) -> None:
    env = simpy.Environment()
    timer = Timer(env, lambda _: None)
    with pytest.raises(ValueError, match="delay must be >= 0"):
        timer.after(delay)
    assert not timer.pending and env.peek() == math.inf  # nothing was scheduled


def test_run_until_an_event_stops_between_firings() -> None:
    env, fired = simpy.Environment(), []

    def fire(t: Timer) -> None:
        fired.append(env.now)
        t.after(1.0)

    Timer(env, fire).after(1.0)
    stop = env.timeout(3.5)
    env.run(until=stop)
    assert fired == [1.0, 2.0, 3.0]
    env.run(until=5.0)
    assert fired == [1.0, 2.0, 3.0, 4.0]
