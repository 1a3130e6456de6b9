"""Sensitivity analysis: which uncertain parameters drive an outcome.

A scenario's provenance records, for many assumptions, a plausible ``range``.
:func:`run_sensitivity` varies those parameters together over their ranges with
a SALib design (Morris screening by default, Sobol variance decomposition on
request), runs the model at every design point, and ranks the parameters by how
much the chosen metric moves with them. The point is to tell a student which of
the many guesses in a scenario the answer actually hangs on.

Choices, and why:

* **Which parameters.** Numeric scalars (ints and floats; not booleans, dates,
  lists, spans or ``null``) whose provenance entry is an assumption with a
  ``range``, and whose provenance key is the parameter's own path. A range
  recorded on a prefix key (``links.X.repair_days`` over a ``Span``'s ``low``
  and ``high``) is skipped: it gives plausible values for the ends of the span,
  and drawing the two ends independently from it would break ``low <= high``.
  Vary them explicitly with ``--range links.X.repair_days.high=lo:hi``.
  ``horizon_days`` is skipped too: it is the question being asked (how long we
  look), not an uncertainty about 2014; an explicit range brings it in. A range
  with ``lo == hi`` (recorded or explicit) leaves the parameter out.
* **Inactive mechanisms.** A parameter under a prefix the scenario declares
  ``inactive`` (``airstrikes`` in a scenario without strikes) cannot move any
  output, so its recorded range is skipped: varying it would spend design points
  on a known zero and dilute the screening. The result lists what was skipped and
  why (:func:`skipped_text`). An explicit range brings a parameter back; ``--set
  'inactive={}'`` (or ``inactive.airstrikes=null``) re-activates a mechanism
  switched on with ``--set``.
* **Integers** (troops, teams, aircraft) get the design value rounded; Morris
  effects are still divided by the design's nominal step.
* **Coupled bounds.** The schema requires ``x <= max_x`` (``besiegers.strength
  <= max_strength``, ``air_defence.teams <= max_teams``) and ``low <= high`` in a
  span. Where a design point breaks that, the upper one is raised to the lower
  one (a ceiling below the starting force means the ceiling was at least that
  force); :attr:`SensitivityResult.adjusted_points` counts such points.
* **Common random numbers.** Every design point is one scenario of a single
  :func:`~sim.runner.batch.run_batch` call, so replication ``i`` has the same seed at
  every point and differences between points are the parameters' effects, not
  sampling noise. The metric is averaged over a point's replications *before*
  the indices are computed: on raw noisy outputs Sobol estimators go negative
  and Morris effects measure noise. A single batch also pays process start-up
  once, not per point.
* **Event-day metrics** (``garrison_fall_day`` and the like, empty when the event
  did not happen) are analysed as the restricted mean: the day of the event, or
  the horizon when it did not happen. That is defined in every replication and
  counts both whether and when the event happens (a later fall and no fall both
  raise it). Other metrics are averaged over the replications where they are
  defined; a point where the metric is never defined is an error.
* **Failures.** A replication that raises makes the analysis an error: the
  indices assume every point ran the same replications.
* **Resolution.** A small design gives confidence intervals as wide as the indices
  themselves. Each ranked row says whether its index is distinguishable from zero and
  from its neighbours in the ranking (:func:`resolve`), and the result says how many of
  the top ranks are resolved and what design would resolve them (an estimate from the
  1/sqrt(trajectories) scaling of the interval: :func:`resolution_text`).

The scenario file is read and validated once; each design point is the resolved
scenario with ``--set``-style overrides applied and validated again (reading the
YAML per point would cost more than running it).
"""

from __future__ import annotations

import difflib
import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.analysis.estimates import BINARY_METRICS, censored
from sim.model.metrics import EVENT_DAY_METRICS, METRICS
from sim.runner.batch import BatchResult, Sink, run_batch
from sim.runner.store import FolderSink, read_batch
from sim.scenario.loading import validate
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import (
    Ranges,
    ordered_pairs,
    settings_for,
    skipped_parameters,
    uncertain_parameters,
)
from sim.scenario.variants import Variants, resolved

METHODS = ("morris", "sobol")
RANK_BY = {"morris": "mu_star", "sobol": "ST"}
CONF_RESAMPLES = 1000  # bootstrap resamples for the confidence intervals of the indices
CONF_LEVEL = 0.95
RESOLVE_TOP = 5  # the ranks whose resolution the one-line note and the budget are about
CONF_OF = {"mu_star": "mu_star_conf", "ST": "ST_conf"}  # the half-width of each ranked index
BUDGET = {"morris": ("trajectories", "trajectories"), "sobol": ("sobol_n", "--sobol-n")}

def parse_range(text: str) -> tuple[str, tuple[float, float]]:
    """``"path.to.key=lo:hi"`` -> ``("path.to.key", (lo, hi))``; ValueError if malformed."""
    path, sep, bounds = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"--range '{text}': expected path.to.key=lo:hi")
    lo_text, sep, hi_text = bounds.partition(":")
    if not sep:
        raise ValueError(f"--range '{text}': expected lo:hi after '='")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        raise ValueError(f"--range '{text}': lo and hi must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"--range '{text}': lo and hi must be finite")
    if lo > hi:
        raise ValueError(f"--range '{text}': lo ({lo:g}) is above hi ({hi:g})")
    return path, (lo, hi)


# -- result ----------------------------------------------------------------------------
@dataclass
class SensitivityResult:
    """A sensitivity analysis: design, averaged outputs and ranked indices."""

    method: str  # "morris" or "sobol"
    metric: str
    parameters: list[str]
    bounds: list[tuple[float, float]]  # aligned with ``parameters``
    design: np.ndarray  # (points, parameters): the values run (integers rounded)
    outputs: np.ndarray  # (points,): the metric averaged over each point's replications
    indices: list[dict[str, Any]]  # ranked, most influential first
    model_runs: int  # points x replications
    replications: int  # per design point
    seed: int  # replication seeds (shared by every point)
    design_seed: int  # SALib design and bootstrap
    scenario: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    adjusted_points: int = 0  # points where a ceiling was raised to keep x <= max_x
    note: str = ""
    # Parameters with a recorded range left out as declared inactive: parameter, inactive
    # (the prefix that covers it) and reason.
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return len(self.outputs)

    @property
    def rank_by(self) -> str:
        return RANK_BY[self.method]


# -- running ---------------------------------------------------------------------------
def design_settings(base: Scenario, names: list[str], design: np.ndarray,
                    integer: list[bool]) -> tuple[list[list[str]], int]:
    """The ``path=value`` settings of each row of ``design`` (values of ``names``; ints where
    ``integer``), and how many rows had a ceiling or a span's high end raised to stay
    valid."""
    leaves = scenario_leaves(base)
    pairs = [(lo, hi) for lo, hi in ordered_pairs(leaves) if lo in names or hi in names]
    points, adjusted = [], 0
    for row in design:
        values: dict[str, float | int] = {
            n: int(v) if is_int else float(v)
            for n, v, is_int in zip(names, row.tolist(), integer, strict=True)}
        items, raised = settings_for(values, leaves, pairs)
        adjusted += raised
        points.append(items)
    return points, adjusted


def point_name(base: Scenario, i: int) -> str:
    return f"{base.name} #{i}"


def build_point(variants: Variants, settings: list[str], i: int) -> Scenario:
    """Design point ``i`` as a scenario, named 'BASE #i'; a ScenarioError names the point."""
    shown = "; ".join(settings[:6]) + (" ..." if len(settings) > 6 else "")
    return variants.make(settings, point_name(variants.base, i),
                         f"sensitivity design point {i}: {shown}")


def design_scenarios(base: Scenario, path: Path, names: list[str], design: np.ndarray,
                     integer: list[bool]) -> tuple[list[Scenario], int]:
    """One scenario per row of ``design`` (see :func:`design_settings`), named 'BASE #i',
    and how many rows had a ceiling or a span's high end raised to stay valid."""
    points, adjusted = design_settings(base, names, design, integer)
    variants = Variants(base, path)
    return [build_point(variants, items, i) for i, items in enumerate(points)], adjusted


def _point_outputs(batch: BatchResult, metric: str, horizons: Sequence[int]) -> np.ndarray:
    out = np.empty(len(batch.runs))
    for i, runs in enumerate(batch.runs):
        col = runs.column(metric)
        if metric in EVENT_DAY_METRICS:
            col = censored(col, float(horizons[i]))
        col = col[~np.isnan(col)]
        if len(col) == 0:
            raise ValueError(f"metric '{metric}' is undefined in every replication of "
                             f"design point {i} ({runs.scenario.name}); choose another metric")
        out[i] = col.mean()
    return out


def _ranked(method: str, names: list[str], si: Mapping[str, Any]) -> list[dict[str, Any]]:
    keys = (("mu_star", "mu_star_conf", "mu", "sigma") if method == "morris"
            else ("S1", "S1_conf", "ST", "ST_conf"))
    rows = [{"parameter": n, **{k: float(si[k][j]) for k in keys}} for j, n in enumerate(names)]
    by = RANK_BY[method]
    return sorted(rows, key=lambda r: -r[by] if not math.isnan(r[by]) else math.inf)


@dataclass
class Design:
    """The points of a sensitivity analysis, before any is run."""

    base: Scenario
    method: str
    metric: str
    names: list[str]
    bounds: list[tuple[float, float]]
    x: np.ndarray  # SALib's sample (what its analysis expects)
    design: np.ndarray  # the values run (integers rounded)
    points: list[list[str]]  # each point's ``path=value`` settings
    path: Path  # the scenario's file, named in errors
    settings: dict[str, Any]
    adjusted: int
    skipped: list[dict[str, str]]
    levels: int
    design_seed: int

    @functools.cached_property
    def stand_ins(self) -> list[Scenario]:
        """The batch's scenarios: the base under each point's name ('BASE #i'). The points'
        settings travel with their chunks and each is built in the worker that runs it
        (:func:`~sim.runner.batch.run_batch` ``settings=``), as ``run --uncertainty``
        builds its draws: the main process neither builds nor sends a scenario a point."""
        return [self.base.model_copy(update={"name": point_name(self.base, i)})
                for i in range(len(self.points))]

    def horizons(self) -> list[int]:
        """Each point's horizon in days (an explicit range can vary it)."""
        if "horizon_days" not in self.names:
            return [self.base.horizon_days] * len(self.points)
        return [int(v) for v in self.design[:, self.names.index("horizon_days")]]


def sensitivity_design(
    base: Scenario,
    metric: str = "garrison_held",
    method: str = "morris",
    *,
    path: str | Path = "<scenario>",
    trajectories: int = 10,
    sobol_n: int = 64,
    levels: int = 4,
    design_seed: int = 1,
    ranges: Ranges | None = None,
) -> Design:
    """The design points of ``method`` over the uncertain parameters of ``base``: Morris
    ``trajectories x (parameters + 1)`` points, Sobol ``sobol_n x (parameters + 2)`` (first
    and total order only). Raises ValueError (bad metric, method or settings; no uncertain
    parameters) and ScenarioError (a design point that is not a valid scenario)."""
    if metric not in METRICS:
        hint = difflib.get_close_matches(metric, METRICS, n=1)
        raise ValueError(f"unknown metric '{metric}'"
                         + (f"; did you mean '{hint[0]}'?" if hint else "")
                         + f" Known metrics: {', '.join(METRICS)}")
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'; use one of: {', '.join(METHODS)}")
    if method == "morris" and (trajectories < 2 or levels < 2 or levels % 2):
        raise ValueError("Morris needs at least 2 trajectories and an even number of levels")
    if method == "sobol" and (sobol_n < 2 or sobol_n & (sobol_n - 1)):
        raise ValueError(f"sobol_n must be a power of 2 (Sobol' sequence), got {sobol_n}")
    params = uncertain_parameters(base, ranges, levers=True)
    reasons = base.inactive_reasons
    skipped = [{"parameter": p, "inactive": key, "reason": reasons[key]}
               for p, key in skipped_parameters(base, ranges).items()]
    if not params:
        also = f" ({_skipped_line(skipped)})" if skipped else ""
        raise ValueError(
            f"scenario '{base.name}' has no uncertain parameters{also}: record a `range` for an "
            "assumption in its provenance, or give --range path=lo:hi (with lo < hi)")
    names, bounds = list(params), list(params.values())
    problem = _problem(names, bounds)
    if method == "morris":
        x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=design_seed)
        settings: dict[str, Any] = {"trajectories": trajectories, "levels": levels}
    else:
        x = sobol_sample.sample(problem, sobol_n, calc_second_order=False, seed=design_seed)
        settings = {"sobol_n": sobol_n, "calc_second_order": False}
    leaves = scenario_leaves(base)
    integer = [isinstance(leaves[n], int) for n in names]
    design = x.copy()
    design[:, integer] = np.round(design[:, integer])
    points, adjusted = design_settings(base, names, design, integer)
    return Design(base, method, metric, names, bounds, x, design, points, Path(path), settings,
                  adjusted, skipped, levels, design_seed)


def _problem(names: list[str], bounds: list[tuple[float, float]]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}


def run_sensitivity(
    base: Scenario | str | Path,
    metric: str = "garrison_held",
    method: str = "morris",
    *,
    trajectories: int = 10,
    sobol_n: int = 64,
    levels: int = 4,
    replications: int = 20,
    seed: int = 1,
    design_seed: int = 1,
    workers: int | None = None,
    ranges: Ranges | None = None,
    overrides: Sequence[str] = (),
    path: str | Path = "<scenario>",
    progress: Callable[[int, int], None] | None = None,
    out: Path | None = None,
    force: bool = False,
) -> SensitivityResult:
    """Screen (Morris) or decompose (Sobol) ``metric`` over the scenario's uncertain parameters.

    ``base`` is a resolved scenario (its file ``path`` is named in errors) or a file,
    loaded with ``overrides``. The design is :func:`sensitivity_design`; each point runs
    ``replications`` replications with the batch ``seed``. ``progress`` is called with
    (replications just finished, total model runs). With ``out`` the batch streams to
    ``out/parts/`` (claimed as a sensitivity analysis's folder, with ``force``) and
    :func:`resume_sensitivity` finishes it if it is stopped.

    Raises ValueError (bad metric, method or settings; no uncertain parameters),
    ScenarioError (the file, or a design point that is not a valid scenario),
    RuntimeError (a replication failed) and KeyboardInterrupt (stopped: a partial
    design has no indices; with ``out`` its finished points are kept).
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    base, path = resolved(base, overrides, path)
    design = sensitivity_design(base, metric, method, path=path, trajectories=trajectories,
                                sobol_n=sobol_n, levels=levels, design_seed=design_seed,
                                ranges=ranges)
    sink = None
    if out is not None:
        definition = {"base": base.model_dump(mode="json"), "path": str(path),
                      "metric": metric, "method": method, "trajectories": trajectories,
                      "sobol_n": sobol_n, "levels": levels, "design_seed": design_seed,
                      "ranges": {k: list(v) for k, v in (ranges or {}).items()}}
        sink = FolderSink(out, design.stand_ins, replications, seed, kind="sensitivity",
                          force=force, options=definition, daily=False, keep_scenarios=False)
    return _run_design(design, replications, seed, workers, progress, sink)


def resume_sensitivity(out: Path, workers: int | None = None,
                       progress: Callable[[int, int], None] | None = None
                       ) -> SensitivityResult:
    """Finish the sensitivity analysis stopped in ``out``, as it was started."""
    stored = read_batch(out, "sensitivity")
    d = stored.options
    path = d["path"]
    design = sensitivity_design(
        validate(d["base"], path), d["metric"], d["method"], path=path,
        trajectories=d["trajectories"], sobol_n=d["sobol_n"], levels=d["levels"],
        design_seed=d["design_seed"], ranges={k: tuple(v) for k, v in d["ranges"].items()})
    sink = FolderSink(out, design.stand_ins, stored.replications, stored.seed,
                      kind="sensitivity", resume=True, daily=False, keep_scenarios=False)
    return _run_design(design, stored.replications, stored.seed, workers, progress, sink)


def _run_design(design: Design, replications: int, seed: int, workers: int | None,
                progress: Callable[[int, int], None] | None, sink: Sink | None
                ) -> SensitivityResult:
    total = len(design.points) * replications
    stand_ins = design.stand_ins
    batch = run_batch(stand_ins, replications, seed=seed, workers=workers, daily=False,
                      progress=(lambda n: progress(n, total)) if progress else None, sink=sink,
                      settings=design.points)
    if batch.interrupted:
        raise KeyboardInterrupt
    if batch.failures:
        f = batch.failures[0]
        # A point the schema refuses fails in its worker: built here, it raises the
        # ScenarioError that names the file, the field and the point.
        i = [s.name for s in stand_ins].index(f.scenario)
        build_point(Variants(design.base, design.path), design.points[i], i)
        last = f.error.strip().splitlines()[-1] if f.error.strip() else "?"
        raise RuntimeError(f"{len(batch.failures)} of {total} replications failed; first: "
                           f"{f.scenario}, replication {f.replication} (seed {f.seed}): {last}")
    return _indices(design, _point_outputs(batch, design.metric, design.horizons()),
                    replications, seed)


def _indices(d: Design, y: np.ndarray, replications: int, seed: int) -> SensitivityResult:
    """SALib's indices of the outputs ``y`` of the design's points, ranked."""
    note = ""
    problem = _problem(d.names, d.bounds)
    if np.ptp(y) == 0.0:
        # Nothing moved: every index is zero (SALib's Sobol would divide by a zero variance).
        note = f"{d.metric} did not change across the design: no parameter moves it"
        zeros = np.zeros(len(d.names))
        si: dict[str, Any] = {k: zeros for k in
                              ("mu_star", "mu_star_conf", "mu", "sigma", "S1", "S1_conf",
                               "ST", "ST_conf")}
    elif d.method == "morris":
        si = morris_analyze.analyze(problem, d.x, y, num_resamples=CONF_RESAMPLES,
                                    conf_level=CONF_LEVEL, num_levels=d.levels,
                                    seed=d.design_seed)
    else:
        with warnings.catch_warnings():
            # A bootstrap resample may draw only equal outputs; SALib warns, scores it 0.
            warnings.filterwarnings("ignore", message="Constant values encountered")
            si = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                       num_resamples=CONF_RESAMPLES, conf_level=CONF_LEVEL,
                                       seed=d.design_seed)
    return SensitivityResult(
        method=d.method, metric=d.metric, parameters=d.names, bounds=d.bounds,
        design=d.design, outputs=y, indices=resolve(_ranked(d.method, d.names, si),
                                                    RANK_BY[d.method]),
        model_runs=len(d.points) * replications, replications=replications, seed=seed,
        design_seed=d.design_seed, scenario=d.base.name, settings=d.settings,
        adjusted_points=d.adjusted, note=note, skipped=d.skipped)


# -- resolution ------------------------------------------------------------------------
def _interval(row: Mapping[str, Any], by: str) -> tuple[float, float] | None:
    """(index, half-width) of a ranked row, or None where either is not a number."""
    index, conf = row.get(by), row.get(CONF_OF[by])
    if not isinstance(index, (int, float)) or not isinstance(conf, (int, float)):
        return None
    if math.isnan(index) or math.isnan(conf):
        return None
    return float(index), abs(float(conf))


def _separated(upper: tuple[float, float] | None, lower: tuple[float, float] | None) -> bool:
    """Whether the interval of ``upper`` lies wholly above that of ``lower``."""
    if upper is None or lower is None:
        return False
    return upper[0] - upper[1] > lower[0] + lower[1]


def resolve(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """The ranked ``rows`` with whether each rank is resolved, ranked by ``by``.

    ``resolution`` is ``resolved`` when the index's confidence interval (index ±
    its ``_conf`` half-width) lies above zero and does not overlap the intervals of the
    ranks just above and below; ``no effect`` when the index and its interval are exactly
    zero (the parameter moved nothing; ties between such parameters are not a lack of
    precision); otherwise ``not distinguishable from 0`` or ``overlaps rank K`` (or
    ``ranks J and K``). ``resolved`` is the same as a boolean.

    Morris's mu* is a mean of absolute effects, so noise alone makes it positive: "clear of
    0" says the effects (noise included) are, and the separation from the neighbouring
    ranks is the stronger check.
    """
    spans = [_interval(r, by) for r in rows]
    zero = (0.0, 0.0)
    out = []
    for k, (row, span) in enumerate(zip(rows, spans, strict=True)):
        if span == zero:
            status = "no effect"
        elif not _separated(span, zero):
            status = "not distinguishable from 0"
        else:
            overlaps = [k] if k > 0 and not _separated(spans[k - 1], span) else []
            if k + 1 < len(rows) and not _separated(span, spans[k + 1]):
                overlaps.append(k + 2)
            status = ("resolved" if not overlaps else
                      f"overlaps rank{'s' if len(overlaps) > 1 else ''} "
                      + " and ".join(str(n) for n in overlaps))
        out.append({**row, "resolved": status == "resolved", "resolution": status})
    return out


def resolution_summary(result: SensitivityResult) -> dict[str, Any]:
    """How many of the top ranks are resolved, and an estimate of the design that would
    resolve them (``sensitivity.json``'s ``resolution``).

    The estimate: a confidence half-width shrinks about as 1/sqrt(trajectories) (Morris: the
    bootstrap interval of a mean of elementary effects, one per trajectory) or 1/sqrt(N)
    (Sobol), so a gap ``g`` between an index and zero, or between two neighbouring indices,
    covered by half-widths summing to ``c`` needs about ``(c / g)^2`` times the design. Two
    budgets: one to tell each of the top ranks from zero (``to_clear_zero``), one to also
    order them (``to_order``). Both assume the indices stay as estimated (they move as the
    design grows); indices equal as estimated (``tied_ranks``, the lower rank of each pair)
    cannot be ordered this way. A budget over ``MAX_FACTOR`` times the design is given as
    None. More replications per design point reduce only the part of the interval that is
    simulation noise, not the spread of the parameter's effects across the design."""
    by = RANK_BY[result.method]
    rows = result.indices
    spans = [_interval(r, by) for r in rows]
    none = (0.0, 0.0)
    top = [k for k, span in enumerate(spans[:RESOLVE_TOP]) if span != none]
    tolerance = 1e-9 * max((abs(x[0]) for x in spans if x is not None), default=0.0) + 1e-12
    to_zero, to_order, ties = 1.0, 1.0, []

    def factor(upper: tuple[float, float], lower: tuple[float, float]) -> float | None:
        gap, width = upper[0] - lower[0], upper[1] + lower[1]
        return None if gap <= tolerance else (width / gap) ** 2

    for k in top:
        span = spans[k]
        if span is None:
            continue
        if not _separated(span, none):
            f = factor(span, none)
            to_zero = max(to_zero, f if f is not None else math.inf)
        below = spans[k + 1] if k + 1 < len(spans) else none
        if below is not None and not _separated(span, below):
            f = factor(span, below)
            if f is None:
                ties.append(k + 2)
            else:
                to_order = max(to_order, f)
    to_order = max(to_order, to_zero)
    name, _ = BUDGET[result.method]
    current = int(result.settings.get(name) or 0)
    return {"top": len(top), "resolved": sum(1 for k in top if rows[k].get("resolved")),
            "resolved_ranks": [k + 1 for k in top if rows[k].get("resolved")],
            "distinguishable_from_zero": sum(1 for r in rows if r.get("resolution") not in (
                "not distinguishable from 0", "no effect")),
            "parameters": len(rows), "setting": name, "current": current or None,
            "to_clear_zero": _budget(result.method, current, to_zero),
            "to_order": _budget(result.method, current, to_order),
            "tied_ranks": [t for t in ties if t - 1 <= RESOLVE_TOP],
            "estimate": f"half-width ~ 1/sqrt({name}); indices as estimated"}


def resolution_mark(row: Mapping[str, Any]) -> str:
    """A ranked row's resolution in a few characters for a terminal table: ``yes``, ``≈0``
    (not distinguishable from zero), ``≈#3,#5`` (overlaps those ranks), ``none`` (no
    effect); ``?`` for a row without one."""
    status = str(row.get("resolution", "?"))
    if status == "resolved":
        return "yes"
    if status == "no effect":
        return "none"
    if status.startswith("not distinguishable"):
        return "≈0"
    if status.startswith("overlaps"):
        return "≈" + ",".join(f"#{w}" for w in status.split() if w.isdigit())
    return status


MAX_FACTOR = 1000  # budgets beyond this many times the design are not worth estimating


def _budget(method: str, current: int, factor: float) -> int | None:
    """The design setting (trajectories; Sobol N, a power of 2) ``factor`` times ``current``,
    ``current`` itself when nothing is needed, None when too large to estimate."""
    if not current or factor > MAX_FACTOR:
        return None
    if factor <= 1.0:
        return current
    needed = math.floor(current * factor) + 1
    return 1 << (needed - 1).bit_length() if method == "sobol" else needed


def resolution_text(result: SensitivityResult) -> str:
    """One line: how many of the top ranks are resolved and what design would resolve
    them (an estimate), or '' when nothing moved the metric."""
    s = resolution_summary(result)
    if not s["top"]:
        return ""
    name, option = BUDGET[result.method]
    option = "--trajectories" if name == "trajectories" else option
    top = "the top rank" if s["top"] == 1 else f"the top {s['top']} ranks"
    text = (f"ranking: {s['resolved']} of {top} resolved (95% intervals clear of 0 and of the "
            f"ranks next to them), {s['distinguishable_from_zero']} of {s['parameters']} "
            "parameters distinguishable from 0.")
    if s["resolved"] == s["top"]:
        return text

    def budget(n: int | None) -> str:
        return f"over {MAX_FACTOR}x the design" if n is None else f"{option} {n}"

    parts = []
    if s["to_clear_zero"] != s["current"]:
        parts.append(f"{budget(s['to_clear_zero'])} to tell {top} from 0")
    if s["to_order"] != s["to_clear_zero"] or not parts:
        parts.append(f"{budget(s['to_order'])} to order them")
    ties = ", ".join(f"{t - 1}={t}" for t in s["tied_ranks"])
    return (text + f" Estimate, if the interval shrinks as 1/sqrt({name}) and the indices "
            f"hold (now {option} {s['current']}): " + ", ".join(parts)
            + (f"; ranks {ties} are tied as estimated" if ties else "")
            + "; more replications per point cut only the simulation noise.")


# -- reporting -------------------------------------------------------------------------
def metric_meaning(metric: str) -> str:
    """How the metric enters the analysis (event days are restricted means)."""
    if metric in EVENT_DAY_METRICS:
        return f"{metric} (day of the event, horizon if it did not happen)"
    if metric in BINARY_METRICS:
        return f"{metric} (share of replications)"
    return metric


def _skipped_line(skipped: list[dict[str, str]]) -> str:
    reasons = {row["inactive"]: row["reason"] for row in skipped}
    n = len(skipped)
    return (f"skipped {n} parameter{'s' if n != 1 else ''} of inactive mechanisms: "
            + ", ".join(f"{key} ({why})" for key, why in reasons.items()))


def skipped_text(result: SensitivityResult) -> str:
    """One line saying which parameters were left out as inactive, and why ("" if none)."""
    return _skipped_line(result.skipped) if result.skipped else ""


def ranked_rows(result: SensitivityResult) -> list[dict[str, Any]]:
    """The ranked table: rank, parameter, its range, and the indices."""
    bounds = dict(zip(result.parameters, result.bounds, strict=True))
    return [{"rank": k + 1, "parameter": row["parameter"], "low": bounds[row["parameter"]][0],
             "high": bounds[row["parameter"]][1],
             **{c: v for c, v in row.items() if c != "parameter"}}
            for k, row in enumerate(result.indices)]


def sensitivity_summary(result: SensitivityResult) -> dict[str, Any]:
    """The content of sensitivity.json."""
    return {
        "scenario": result.scenario,
        "method": result.method,
        "metric": result.metric,
        "metric_meaning": metric_meaning(result.metric),
        "ranked_by": result.rank_by,
        "settings": result.settings,
        "bounds": {n: list(b) for n, b in zip(result.parameters, result.bounds, strict=True)},
        "design_points": result.points,
        "replications": result.replications,
        "model_runs": result.model_runs,
        "seeds": {"replications": result.seed, "design": result.design_seed},
        "adjusted_points": result.adjusted_points,
        "note": result.note,
        "skipped_inactive": result.skipped,
        "resolution": resolution_summary(result),
        "resolution_note": resolution_text(result),
        "indices": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in row.items()} for row in result.indices],
    }
