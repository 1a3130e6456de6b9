"""Parameter sweeps: how an outcome changes as one or two parameters vary over a grid.

A single batch answers "what happens with these values"; a sweep answers "how
much does it matter" and "from which value on does the outcome flip", e.g. the
missile hit rate above which the garrison holds in fewer than half of the runs.

Every grid point is a scenario (the resolved scenario with ``path.to.key=value``
settings, named ``"base [key=value, ...]"``, :mod:`sim.scenario.variants`) and all points
go to ONE :func:`run_batch` call: the process pool starts once, and replication ``i`` gets
the same seed at every point (common random numbers). The differences between neighbouring
points are then due to the parameter rather than to different random draws, so
the curves are smooth and the threshold found between them is stable.

Outputs (:func:`sim.output.sweep_files.write_sweep`): ``sweep.csv`` (point x metric, mean and 95%
interval: Wilson for shares, Student-t otherwise, kept within the metric's bounds: see
:func:`bounded_interval`), ``sweep.png`` (1-D: mean
lines with bands; 2-D: heatmaps of the means) and ``sweep.json`` (the design,
the seed and the threshold). Event-day metrics (empty when the event did not
happen) are left out: their means cover different replications at each point.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.estimates import BINARY_METRICS, bounded_interval, describe
from sim.model.metrics import EVENT_DAY_METRICS, METRICS
from sim.runner.batch import BatchResult, ScenarioRuns, Sink, run_batch
from sim.runner.store import FolderSink, read_batch
from sim.scenario.loading import validate
from sim.scenario.schema import Scenario
from sim.scenario.variants import Variants, resolved

# Metrics reported per point: every metric that is defined in every replication.
SWEEP_METRICS = tuple(m for m in METRICS if m not in EVENT_DAY_METRICS)


def parse_values(spec: str) -> list[float]:
    """Values of one parameter: ``"0,0.01,0.02"`` or ``"start:stop:count"``.

    A range includes both ends, like ``numpy.linspace``; its values are rounded
    to 12 significant digits so 0.1 stays 0.1. Values are ints when all are
    integral and the spec has no '.', so integer fields (troops, aircraft) accept them.
    """
    text = spec.strip()
    hint = "give values as 0,0.01,0.02 or start:stop:count"
    if not text:
        raise ValueError(f"no values given; {hint}")
    if ":" in text:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) != 3:
            raise ValueError(f"'{spec}': a range is start:stop:count (three parts); {hint}")
        start, stop = (_number(p, spec, hint) for p in parts[:2])
        try:
            count = int(parts[2])
        except ValueError:
            raise ValueError(f"'{spec}': count '{parts[2]}' must be a whole number") from None
        if count < 2:
            raise ValueError(f"'{spec}': count must be at least 2 (got {count})")
        if start == stop:
            raise ValueError(f"'{spec}': start and stop are equal; give a single value instead")
        values = [float(f"{x:.12g}") for x in np.linspace(start, stop, count)]
    else:
        values = [_number(p.strip(), spec, hint) for p in text.split(",")]
    if "." not in text and all(float(v).is_integer() for v in values):
        values = [int(v) for v in values]
    _check_distinct(values, spec)
    return values


def _number(item: str, spec: str, hint: str) -> float:
    if not item:
        raise ValueError(f"'{spec}': empty value; {hint}")
    try:
        value = float(item)
    except ValueError:
        raise ValueError(f"'{spec}': '{item}' is not a number; {hint}") from None
    if not math.isfinite(value):
        raise ValueError(f"'{spec}': '{item}' is not a finite number")
    return value


def _check_distinct(values: Sequence[float], where: str) -> None:
    seen: set[float] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"'{where}': the value {fmt_value(v)} is repeated")
        seen.add(v)


@dataclass
class SweepPoint:
    """One grid point: its parameter values (in the order of the params) and scenario name."""

    values: tuple[float, ...]
    scenario: str


@dataclass
class SweepResult:
    """The outcome of :func:`run_sweep`.

    ``grid[i]`` holds the values of ``params`` at point ``i``, whose replications are
    ``batch.runs[i]``. In a 2-D sweep the second parameter varies fastest.
    """

    params: list[str]
    grid: list[tuple[float, ...]]
    batch: BatchResult
    seed: int
    replications: int

    @property
    def points(self) -> list[SweepPoint]:
        return [SweepPoint(v, r.scenario.name)
                for v, r in zip(self.grid, self.batch.runs, strict=True)]

    @property
    def axes(self) -> list[list[float]]:
        """The distinct values of each parameter, in grid order."""
        return [list(dict.fromkeys(v[k] for v in self.grid)) for k in range(len(self.params))]

    def runs(self, values: tuple[float, ...]) -> ScenarioRuns:
        """The replications at the point with these values."""
        return self.batch.runs[self.grid.index(tuple(values))]

    def table(self) -> list[dict[str, Any]]:
        """One row per point and metric: the parameter values, mean, 95% CI, n, method."""
        rows = []
        for values, runs in zip(self.grid, self.batch.runs, strict=True):
            for metric in SWEEP_METRICS:
                d = describe(runs.column(metric), binary=metric in BINARY_METRICS)
                lo, hi, clipped = bounded_interval(metric, d["ci95"])
                row: dict[str, Any] = dict(zip(self.params, values, strict=True))
                row.update(metric=metric, mean=d["mean"], ci_low=lo, ci_high=hi, n=d["n"],
                           ci_method=d["ci_method"], ci_clipped=clipped)
                rows.append(row)
        return rows


def run_sweep(
    base: Scenario | str | Path,
    params: list[tuple[str, list[float]]],
    replications: int,
    seed: int = 1,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    overrides: Sequence[str] = (),
    path: str | Path = "<scenario>",
    out: Path | None = None,
    force: bool = False,
    options: dict[str, Any] | None = None,
) -> SweepResult:
    """Run ``replications`` of the scenario ``base`` at every point of the grid of
    ``params`` (one or two ``(path.to.key, values)`` pairs).

    ``base`` is a resolved scenario (its file ``path`` is named in errors) or a file,
    loaded with ``overrides``. A value the scenario schema refuses raises
    :class:`ScenarioError` naming the file, the field and the sweep point. Only the
    metrics are kept: a sweep reads no daily series.

    With ``out`` the batch streams to ``out/parts/`` (claimed as a sweep's folder, with
    ``force``), and :func:`resume_sweep` finishes it if it is stopped; ``options``
    (JSON-able) are kept with it for the command that resumes.
    """
    base, path = resolved(base, overrides, path)
    grid, scenarios = sweep_scenarios(base, params, path)
    sink = None
    if out is not None:
        definition = {"base": base.model_dump(mode="json"), "path": str(path),
                      "params": [[p, list(v)] for p, v in params], **(options or {})}
        sink = FolderSink(out, scenarios, replications, seed, kind="sweep", force=force,
                          options=definition, daily=False, keep_scenarios=False)
    return _sweep(params, grid, scenarios, replications, seed, workers, progress, sink)


def resume_sweep(out: Path, workers: int | None = None,
                 progress: Callable[[int], None] | None = None
                 ) -> tuple[SweepResult, dict[str, Any]]:
    """Finish the sweep stopped in ``out``; returns it with the options it was started with."""
    stored = read_batch(out, "sweep")
    definition = stored.options
    path = definition["path"]
    params = [(p, list(v)) for p, v in definition["params"]]
    grid, scenarios = sweep_scenarios(validate(definition["base"], path), params, path)
    sink = FolderSink(out, scenarios, stored.replications, stored.seed, kind="sweep",
                      resume=True, daily=False, keep_scenarios=False)
    result = _sweep(params, grid, scenarios, stored.replications, stored.seed, workers,
                    progress, sink)
    return result, definition


def _sweep(params: list[tuple[str, list[float]]], grid: list[tuple[float, ...]],
           scenarios: list[Scenario], replications: int, seed: int, workers: int | None,
           progress: Callable[[int], None] | None, sink: Sink | None) -> SweepResult:
    batch = run_batch(scenarios, replications, seed=seed, workers=workers, progress=progress,
                      sink=sink, daily=False)
    return SweepResult([p for p, _ in params], grid, batch, seed, replications)


def sweep_scenarios(base: Scenario, params: list[tuple[str, list[float]]],
                    path: str | Path = "<scenario>"
                    ) -> tuple[list[tuple[float, ...]], list[Scenario]]:
    """The grid of ``params`` and one scenario per point, named ``"BASE [key=value, ...]"``."""
    if not 1 <= len(params) <= 2:
        raise ValueError(f"a sweep takes one or two parameters (got {len(params)})")
    names = [p for p, _ in params]
    for name in names:
        if not name.strip() or "=" in name:
            raise ValueError(f"'{name}' is not a parameter path like garrison.supplies_days")
    if len(set(names)) != len(names):
        raise ValueError(f"the parameter '{names[0]}' is given twice")
    axes = []
    values: Sequence[float]  # a parameter's values here, a grid point's below
    for name, values in params:
        if not values:
            raise ValueError(f"{name}: no values to sweep")
        clean = [_clean(v, name) for v in values]
        _check_distinct(clean, name)
        axes.append(clean)
    variants = Variants(base, path)
    grid: list[tuple[float, ...]] = list(itertools.product(*axes))
    scenarios = []
    for values in grid:
        sets = [f"{p}={_yaml_number(v)}" for p, v in zip(names, values, strict=True)]
        label = ", ".join(f"{p}={fmt_value(v)}" for p, v in zip(names, values, strict=True))
        scenarios.append(variants.make(sets, f"{base.name} [{label}]", f"sweep point {label}"))
    return grid, scenarios


def _clean(value: Any, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{param}: sweep values must be numbers (got {value!r})")
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{param}: sweep values must be finite (got {value!r})")
    return value


def fmt_value(value: float) -> str:
    """A value as written in names, ticks and CSV cells: shortest exact form."""
    return str(value) if isinstance(value, numbers.Integral) else repr(float(value))


def _yaml_number(value: float) -> str:
    """A value as override text that YAML reads back as the same number (1e-05 -> 1.0e-05)."""
    text = fmt_value(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


# -- thresholds ---------------------------------------------------------------------------


def curve(result: SweepResult, metric: str, of: str = "mean") -> np.ndarray:
    """Per point: the mean (or ``ci_low``/``ci_high``) of ``metric``; NaN where no data."""
    if metric not in SWEEP_METRICS:
        raise ValueError(f"unknown sweep metric '{metric}'; choose from {', '.join(SWEEP_METRICS)}")
    out = np.full(len(result.grid), np.nan)
    for i, runs in enumerate(result.batch.runs):
        d = describe(runs.column(metric), binary=metric in BINARY_METRICS)
        v = d["mean"] if of == "mean" else bounded_interval(metric, d["ci95"])[
            0 if of == "ci_low" else 1]
        out[i] = np.nan if v is None else v
    return out


def crossing(xs: Sequence[float], ys: np.ndarray, level: float) -> tuple[float, float] | None:
    """First place where ``ys`` passes from one side of ``level`` to the other.

    Returns (x, fractional index). Points without data are skipped. A curve that
    sits exactly on the level between the two sides crosses at the first such
    point; one that only touches the level and turns back does not cross.
    """
    valid = [i for i in range(len(ys)) if not np.isnan(ys[i])]
    last_side, last_i, on_level = 0, -1, None
    for i in valid:
        side = int(np.sign(ys[i] - level))
        if side == 0:
            if on_level is None:
                on_level = i
            continue
        if last_side and side != last_side:
            if on_level is not None:
                return float(xs[on_level]), float(on_level)
            t = (level - ys[last_i]) / (ys[i] - ys[last_i])
            return (float(xs[last_i] + t * (xs[i] - xs[last_i])),
                    float(last_i + t * (i - last_i)))
        last_side, last_i, on_level = side, i, None
    return None


def grid_lines(result: SweepResult) -> list[tuple[float | None, list[int]]]:
    """Point indices along the last parameter: one line (1-D) or one per first-param value."""
    if len(result.params) == 1:
        return [(None, list(range(len(result.grid))))]
    return [(v0, [i for i, v in enumerate(result.grid) if v[0] == v0])
            for v0 in result.axes[0]]


def find_threshold(result: SweepResult, metric: str, level: float, of: str = "mean"
                   ) -> float | dict[float, float | None] | None:
    """Parameter value where the mean of ``metric`` first crosses ``level`` (either way).

    Linear interpolation between the two grid points that bracket the level, in
    the order the values were given; None when it never crosses. For a 2-D sweep:
    a dict from each value of the first parameter to the crossing along the second.
    ``of="ci_low"`` or ``"ci_high"`` uses an edge of the 95% band instead of the mean.
    """
    if of not in ("mean", "ci_low", "ci_high"):
        raise ValueError(f"of must be mean, ci_low or ci_high (got {of!r})")
    ys = curve(result, metric, of)
    found: dict[Any, float | None] = {}  # key None along a 1-D sweep
    for key, idx in grid_lines(result):
        hit = crossing([result.grid[i][-1] for i in idx], ys[idx], level)
        found[key] = None if hit is None else hit[0]
    return found[None] if len(result.params) == 1 else found


def threshold_summary(result: SweepResult, metric: str, level: float) -> dict[str, Any]:
    """The threshold as stored in sweep.json, with the crossings of the band's edges.

    The band crossings give a rough range for the threshold (not a confidence interval).
    """
    out: dict[str, Any] = {"metric": metric, "level": level, "along": result.params[-1]}
    found: dict[str, Any] = {of: find_threshold(result, metric, level, of)
                             for of in ("mean", "ci_low", "ci_high")}
    if len(result.params) == 1:
        out.update(value=found["mean"], band_crossings={"ci_low": found["ci_low"],
                                                        "ci_high": found["ci_high"]})
    else:
        out["by"] = [{result.params[0]: v0, "value": found["mean"][v0],
                      "band_crossings": {"ci_low": found["ci_low"][v0],
                                         "ci_high": found["ci_high"][v0]}}
                     for v0 in result.axes[0]]
    return out


def threshold_text(found: dict[str, Any]) -> str:
    """:func:`threshold_summary` as one line: 4 significant digits, and the band's range."""
    def one(value: float | None, band: dict[str, float | None]) -> str:
        if value is None:
            return "never within the values swept"
        edges = sorted(v for v in band.values() if v is not None)
        rough = (f" (the 95% band's edges cross at {edges[0]:.4g} and {edges[-1]:.4g}: a "
                 "rough range, not a confidence interval)" if len(edges) == 2 else
                 " (the 95% band's edges do not both cross: the threshold is not pinned down)")
        return f"{value:.4g}{rough}"

    head = f"{found['metric']} crosses {found['level']:g} along {found['along']}"
    if "by" not in found:
        return f"{head} at {one(found['value'], found['band_crossings'])}"
    first = next(k for k in found["by"][0] if k not in ("value", "band_crossings"))
    parts = [f"{first} = {row[first]:g}: {one(row['value'], row['band_crossings'])}"
             for row in found["by"]]
    return f"{head}: " + "; ".join(parts)


# -- figures ------------------------------------------------------------------------------
