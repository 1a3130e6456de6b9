"""Timer: one reusable SimPy event that calls the same function each time it fires.

Why: recurring events (the day clock, and the Poisson arrivals of strikes, sorties,
fights and sabotage) are nearly all of a replication's events. A generator process
costs SimPy a new ``Timeout``, a ``Process`` resume and a generator ``send`` per
event (about 0.65 µs); one event object put back on SimPy's heap with the public
``Environment.schedule`` costs the push and the pop (about 0.3 µs), and no event is
allocated.

Ordering is SimPy's own: events at the same time and priority fire in the order
they were scheduled, exactly as ``env.timeout(delay)`` would. A timer is pending at
most once: ``after`` while it is pending, or with a negative delay, raises.
Sequences of waits that happen a few times per run (the ground campaign's advance,
the launchers' upgrade) stay generator processes, which read better.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import NORMAL


class Timer:
    """Fires ``action(timer)`` each time the delay given to :meth:`after` has passed.

    Duck-typed to what ``Environment.step`` reads of an event (``callbacks`` and
    ``_ok``), so that no ``Event`` is built per firing.
    """

    __slots__ = ("_callbacks", "_ok", "_schedule", "_value", "callbacks", "env")

    def __init__(self, env: simpy.Environment, action: Callable[[Timer], None]) -> None:
        self.env = env
        self._ok = True  # a timer never fails
        self._value = None
        self.callbacks: list[Callable[[Timer], None]] | None = None  # None: not pending
        self._callbacks = [action]  # handed to SimPy at every firing, never changed
        self._schedule = env.schedule

    def after(self, delay: float) -> None:
        """Fire once more, ``delay`` from now."""
        if self.callbacks is not None or not delay >= 0.0:  # NaN too
            raise self._refusal(delay)
        self.callbacks = self._callbacks
        self._schedule(self, NORMAL, delay)  # type: ignore[arg-type]

    @property
    def pending(self) -> bool:
        return self.callbacks is not None

    def _refusal(self, delay: float) -> RuntimeError | ValueError:
        if self.callbacks is not None:
            return RuntimeError(f"{self._callbacks[0]!r}: timer already pending")
        return ValueError(f"{self._callbacks[0]!r}: delay must be >= 0, got {delay}")
