"""What one replication records: event counters, one sample a day, and an optional trace.

Mechanisms bump plain counters as events happen; the daily series are sampled
once a day by the day clock, never per event, by extending one flat list
(writing a column of a numpy array costs several times more) that becomes an
array once, at the end. The trace (a dated event log) exists only when asked
for, so a normal run pays one ``is None`` test per notable event and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The metrics (the columns of replications.csv) are listed, with their meaning, in
# sim.model.metrics.
# Public contract: the daily series, sampled at the end of each day.
DAILY = (
    "gov_control",
    "supply_days",
    "garrison_troops",
    "besieger_strength",
    "refinery_state",
    "helicopter_loss_prob",
    "output_share",
    "helicopters_lost",  # cumulative: the observations check the count by a date
)


@dataclass(frozen=True)
class TraceEntry:
    """One line of a replication's event log."""

    time: float
    kind: str
    text: str


class Recorder:
    """Counters and daily samples of one replication."""

    def __init__(self, horizon_days: int, trace: bool = False) -> None:
        self.horizon = horizon_days
        self.samples: list[float] = []  # the days so far, each as len(DAILY) values in order
        self.trace: list[TraceEntry] | None = [] if trace else None
        self.helicopters_lost = 0
        self.sorties_flown = 0
        self.supplies_delivered_t = 0.0
        self.supplies_lost_t = 0.0
        self.flights_halted_day = math.nan
        self.garrison_fall_day = math.nan
        self.siege_lifted_day = math.nan
        self.plant_retaken_day = math.nan

    def note(self, time: float, kind: str, text: str) -> None:
        """Add a trace line (callers test ``recorder.trace is not None`` first)."""
        if self.trace is not None:
            self.trace.append(TraceEntry(time, kind, text))

    def garrison_fell(self, time: float, cause: str) -> None:
        if math.isnan(self.garrison_fall_day):
            self.garrison_fall_day = time
        if self.trace is not None:
            self.note(time, "garrison", f"garrison falls ({cause})")

    def plant_retaken(self, time: float, cause: str) -> None:
        if math.isnan(self.plant_retaken_day):
            self.plant_retaken_day = time
        if self.trace is not None:
            self.note(time, "garrison", f"a new garrison holds the plant ({cause})")

    def flights_halted(self, time: float, operator: str, losses: int) -> None:
        if math.isnan(self.flights_halted_day) or time < self.flights_halted_day:
            self.flights_halted_day = time
        if self.trace is not None:
            self.note(time, "flights", f"{operator} halts its flights after {losses} losses")

    def siege_lifted(self, time: float) -> None:
        if math.isnan(self.siege_lifted_day):
            self.siege_lifted_day = time
        if self.trace is not None:
            self.note(time, "ground", "road to the refinery open: siege lifted")

    @property
    def daily(self) -> np.ndarray:
        """The daily series, ``(len(DAILY), horizon)``; NaN for days not yet sampled."""
        width = len(DAILY)
        days = len(self.samples) // width
        flat = np.fromiter(self.samples, dtype=float, count=days * width)
        if days == self.horizon:  # a finished run: a view, no copy
            return flat.reshape(days, width).T
        out = np.full((width, self.horizon), np.nan)
        out[:, :days] = flat.reshape(days, width).T
        return out
