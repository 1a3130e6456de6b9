"""Parameter sweeps: how an outcome changes as one or two parameters vary over a grid.

A single batch answers "what happens with these values"; a sweep answers "how
much does it matter" and "from which value on does the outcome flip", e.g. the
missile hit rate above which the garrison holds in fewer than half of the runs.

Every grid point is a scenario (the file with ``path.to.key=value`` overrides,
named ``"base [key=value, ...]"``) and all points go to ONE :func:`run_batch`
call: the process pool starts once, and replication ``i`` gets the same seed at
every point (common random numbers). The differences between neighbouring
points are then due to the parameter rather than to different random draws, so
the curves are smooth and the threshold found between them is stable.

Outputs (:func:`write_sweep`): ``sweep.csv`` (point x metric, mean and 95%
interval: Wilson for shares, Student-t otherwise), ``sweep.png`` (1-D: mean
lines with bands; 2-D: heatmaps of the means) and ``sweep.json`` (the design,
the seed and the threshold). Event-day metrics (empty when the event did not
happen) are left out: their means cover different replications at each point.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.batch import BatchResult, ScenarioRuns, run_batch
from sim.labels import METRIC_LABELS, panels
from sim.loading import ScenarioError, load_scenario
from sim.recorder import EVENT_DAY_METRICS, METRICS
from sim.statistics import BINARY_METRICS, describe

# Metrics reported per point: every metric that is defined in every replication.
SWEEP_METRICS = tuple(m for m in METRICS if m not in EVENT_DAY_METRICS)
# Panels of the figure: metric, title, unit.
MAIN_METRICS = panels(("operating_days", "garrison_held", "helicopters_lost",
                       "supplies_delivered_t", "refined_kbbl", "gov_control_final"))
UNITS = {metric: unit for metric, (_, unit) in METRIC_LABELS.items()}
CSV_COLUMNS = ("metric", "mean", "ci_low", "ci_high", "n", "ci_method")
LINE, BAND, MARK = "#0072B2", "#56B4E9", "#D55E00"  # Okabe-Ito blue, sky blue, vermillion
ANNOTATE_MAX_CELLS = 64  # heatmaps up to this size print each cell's mean


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
            raise ValueError(f"'{where}': the value {_fmt(v)} is repeated")
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
                row: dict[str, Any] = dict(zip(self.params, values, strict=True))
                row.update(metric=metric, mean=d["mean"], ci_low=d["ci95"][0],
                           ci_high=d["ci95"][1], n=d["n"], ci_method=d["ci_method"])
                rows.append(row)
        return rows


def run_sweep(
    path: str | Path,
    params: list[tuple[str, list[float]]],
    replications: int,
    seed: int = 1,
    workers: int | None = None,
    overrides: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run ``replications`` of the scenario at every point of the grid of ``params``.

    ``params`` is one or two ``(path.to.key, values)`` pairs; ``overrides`` apply
    first. A value the scenario schema refuses raises :class:`ScenarioError`
    naming the field and the sweep point.
    """
    if not 1 <= len(params) <= 2:
        raise ValueError(f"a sweep takes one or two parameters (got {len(params)})")
    names = [p for p, _ in params]
    for name in names:
        if not name.strip() or "=" in name:
            raise ValueError(f"'{name}' is not a parameter path like garrison.supplies_days")
    if len(set(names)) != len(names):
        raise ValueError(f"the parameter '{names[0]}' is given twice")
    axes = []
    for name, values in params:
        if not values:
            raise ValueError(f"{name}: no values to sweep")
        clean = [_clean(v, name) for v in values]
        _check_distinct(clean, name)
        axes.append(clean)
    base = load_scenario(path, overrides).name
    scenarios = []
    grid = list(itertools.product(*axes))
    for values in grid:
        sets = [f"{p}={_yaml_number(v)}" for p, v in zip(names, values, strict=True)]
        label = ", ".join(f"{p}={_fmt(v)}" for p, v in zip(names, values, strict=True))
        name = json.dumps(f"{base} [{label}]")  # a JSON string is a quoted YAML scalar
        try:
            scenarios.append(load_scenario(path, [*overrides, *sets, f"name={name}"]))
        except ScenarioError as exc:
            raise ScenarioError(exc.file, exc.field, f"{exc.message} (sweep point {label})"
                                ) from None
    batch = run_batch(scenarios, replications, seed=seed, workers=workers, progress=progress)
    return SweepResult(names, grid, batch, seed, replications)


def _clean(value: Any, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{param}: sweep values must be numbers (got {value!r})")
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{param}: sweep values must be finite (got {value!r})")
    return value


def _fmt(value: float) -> str:
    """A value as written in names, ticks and CSV cells: shortest exact form."""
    return str(value) if isinstance(value, numbers.Integral) else repr(float(value))


def _yaml_number(value: float) -> str:
    """A value as override text that YAML reads back as the same number (1e-05 -> 1.0e-05)."""
    text = _fmt(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


# -- thresholds ---------------------------------------------------------------------------


def _curve(result: SweepResult, metric: str, of: str = "mean") -> np.ndarray:
    """Per point: the mean (or ``ci_low``/``ci_high``) of ``metric``; NaN where no data."""
    if metric not in SWEEP_METRICS:
        raise ValueError(f"unknown sweep metric '{metric}'; choose from {', '.join(SWEEP_METRICS)}")
    out = np.full(len(result.grid), np.nan)
    for i, runs in enumerate(result.batch.runs):
        d = describe(runs.column(metric), binary=metric in BINARY_METRICS)
        v = d["mean"] if of == "mean" else d["ci95"][0 if of == "ci_low" else 1]
        out[i] = np.nan if v is None else v
    return out


def _crossing(xs: Sequence[float], ys: np.ndarray, level: float) -> tuple[float, float] | None:
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


def _lines(result: SweepResult) -> list[tuple[float | None, list[int]]]:
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
    ys = _curve(result, metric, of)
    found: dict[float, float | None] = {}
    for key, idx in _lines(result):
        hit = _crossing([result.grid[i][-1] for i in idx], ys[idx], level)
        found[key] = None if hit is None else hit[0]
    return found[None] if len(result.params) == 1 else found


def threshold_summary(result: SweepResult, metric: str, level: float) -> dict[str, Any]:
    """The threshold as stored in sweep.json, with the crossings of the band's edges.

    The band crossings give a rough range for the threshold (not a confidence interval).
    """
    out: dict[str, Any] = {"metric": metric, "level": level, "along": result.params[-1]}
    found = {of: find_threshold(result, metric, level, of) for of in ("mean", "ci_low", "ci_high")}
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


def _panels(threshold: tuple[str, float] | None) -> list[tuple[str, str, str]]:
    panels = list(MAIN_METRICS)
    if threshold is not None and threshold[0] not in {m for m, _, _ in panels}:
        metric = threshold[0]
        panels.append((metric, metric.replace("_", " "), UNITS.get(metric, "")))
    return panels


def sweep_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """Line plot with 95% bands (1-D sweep) or heatmaps of the means (2-D sweep)."""
    if len(result.params) == 1:
        return line_figure(result, threshold)
    return heatmap_figure(result, threshold)


def _grid_axes(fig: Figure, n: int):
    rows = math.ceil(n / 3)
    axes = fig.subplots(rows, 3, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return axes[:n]


def _title(result: SweepResult) -> str:
    return (f"Sweep of {' x '.join(result.params)}: {result.replications} replications a "
            f"point, seed {result.seed}, common random numbers")


def line_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """One panel per main metric: the mean against the parameter, with its 95% CI band."""
    panels = _panels(threshold)
    fig = Figure(figsize=(13, 4.2 * math.ceil(len(panels) / 3)), layout="constrained")
    xs = np.array([v[0] for v in result.grid], dtype=float)
    for ax, (metric, title, unit) in zip(_grid_axes(fig, len(panels)), panels, strict=True):
        mean = _curve(result, metric)
        lo, hi = _curve(result, metric, "ci_low"), _curve(result, metric, "ci_high")
        ax.fill_between(xs, lo, hi, color=BAND, alpha=0.35, linewidth=0, label="95% CI")
        ax.plot(xs, mean, marker="o", markersize=4, color=LINE, label="mean")
        if threshold is not None and threshold[0] == metric:
            level = threshold[1]
            x = find_threshold(result, metric, level)
            ax.axhline(level, color=MARK, linestyle=":", linewidth=1,
                       label=f"level {level:g}" + (" (not crossed)" if x is None else ""))
            if x is not None:
                ax.axvline(x, color=MARK, linestyle="--", linewidth=1,
                           label=f"crosses at {x:.4g}")
            ax.legend(fontsize=8)
        if metric in BINARY_METRICS:
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(result.params[0])
        ax.set_ylabel(f"{metric} ({unit})")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(_title(result))
    return fig


def heatmap_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """One heatmap of the means per main metric: first parameter down, second across."""
    panels = _panels(threshold)
    ax0, ax1 = result.axes
    index = {v: i for i, v in enumerate(result.grid)}
    fig = Figure(figsize=(14, 4.6 * math.ceil(len(panels) / 3)), layout="constrained")
    for ax, (metric, title, unit) in zip(_grid_axes(fig, len(panels)), panels, strict=True):
        means = _curve(result, metric)
        z = np.full((len(ax0), len(ax1)), np.nan)
        for r, v0 in enumerate(ax0):
            for c, v1 in enumerate(ax1):
                if (v0, v1) in index:
                    z[r, c] = means[index[(v0, v1)]]
        finite = z[np.isfinite(z)]
        if metric in BINARY_METRICS or not len(finite):
            vmin, vmax = 0.0, 1.0
        else:
            vmin, vmax = float(finite.min()), float(finite.max())
            if vmin == vmax:
                vmin, vmax = vmin - 0.5, vmax + 0.5
        image = ax.imshow(np.ma.masked_invalid(z), origin="lower", aspect="auto",
                          cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        fig.colorbar(image, ax=ax, label=f"mean {metric} ({unit})")
        if z.size <= ANNOTATE_MAX_CELLS:
            for (r, c), v in np.ndenumerate(z):
                if np.isfinite(v):
                    dark = (v - vmin) / (vmax - vmin) < 0.5
                    ax.text(c, r, f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}",
                            ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
        note = ""
        if threshold is not None and threshold[0] == metric:
            rows, cols = [], []
            for r, (_, idx) in enumerate(_lines(result)):
                hit = _crossing([result.grid[i][-1] for i in idx], means[idx], threshold[1])
                if hit is not None:
                    rows.append(r)
                    cols.append(hit[1])
            if rows:
                ax.plot(cols, rows, color=MARK, marker="o", markersize=5,
                        label=f"crosses {threshold[1]:g}")
                ax.legend(fontsize=8)
            else:
                note = f" (never crosses {threshold[1]:g})"
        _ticks(ax, ax1, ax0)
        ax.set_title(f"{title}: mean{note}", fontsize=10)
        ax.set_xlabel(result.params[1])
        ax.set_ylabel(result.params[0])
    fig.suptitle(_title(result))
    return fig


def _ticks(ax: Any, xvalues: list[float], yvalues: list[float]) -> None:
    """Label heatmap cells with the parameter values, thinned to about ten a side."""
    for values, set_ticks in ((xvalues, ax.set_xticks), (yvalues, ax.set_yticks)):
        step = max(1, math.ceil(len(values) / 10))
        pos = list(range(0, len(values), step))
        set_ticks(pos, labels=[_fmt(values[i]) for i in pos])
    long = any(len(_fmt(v)) > 4 for v in xvalues)
    ax.tick_params(axis="x", labelrotation=45 if long else 0, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)


# -- writing ------------------------------------------------------------------------------


def write_sweep(result: SweepResult, out: Path, threshold: tuple[str, float] | None = None
                ) -> dict[str, Any]:
    """Write sweep.csv, sweep.png and sweep.json into ``out``; returns the JSON content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "sweep.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*result.params, *CSV_COLUMNS])
        for row in result.table():
            writer.writerow([*(_fmt(row[p]) for p in result.params),
                             *(_cell(row[c]) for c in CSV_COLUMNS)])
    sweep_figure(result, threshold).savefig(out / "sweep.png", dpi=110)
    batch = result.batch
    summary: dict[str, Any] = {
        "params": result.params,
        "axes": result.axes,
        "grid": [list(v) for v in result.grid],
        "scenarios": [p.scenario for p in result.points],
        "seed": result.seed,
        "replications": result.replications,
        "finished_replications": [len(r.seed) for r in batch.runs],
        "failures": len(batch.failures),
        "interrupted": batch.interrupted,
        "threshold": (threshold_summary(result, *threshold) if threshold is not None
                      else None),
        "files": ["sweep.csv", "sweep.png", "sweep.json"],
    }
    (out / "sweep.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value
