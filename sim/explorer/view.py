"""What the page shows of a finished run: its numbers, its figures and the comparison with
the previous run, as JSON.

The numbers are summary.csv's rows (:func:`sim.output.results.summary_rows`), every digit,
so the page and ``baiji-sim run`` show the same thing; the figures are the files the run
wrote into its ``plots/`` (the figure functions of :mod:`sim.output.plots`, as SVG).
"""

from __future__ import annotations

from typing import Any

from sim.explorer.runs import Run, compare
from sim.model.metrics import REGISTRY
from sim.output.results import SUMMARY_HEADER, summary_rows
from sim.output.results_folder import from_spreadsheet

# Shown first, in this order; every other number is under "all the numbers".
KEY_METRICS = ("garrison_held", "garrison_fall_day", "helicopters_lost", "flights_halted_day",
               "supplies_delivered_t", "min_supply_days", "gov_control_final",
               "siege_lifted_day", "first_operating_day", "operating_days", "refined_kbbl")
# The figures of a one-scenario run the page shows, in order, with what each is for.
FIGURES = (
    ("outcomes", "Outcome distributions: every replication, each mean with its 95% interval"),
    ("survival_curves", "Kaplan-Meier curves: the garrison holding, the siege, the refinery "
                        "(shaded: 95% interval)"),
    ("fan_charts", "Daily bands: the median day by day, the 50% and 90% bands of the "
                   "replications"),
    ("what_stopped", "What kept the refinery stopped: days by reason, with 95% intervals"),
    ("helicopter_losses", "Helicopter losses"),
    ("timeline", "One replication (replication 0, the one watched below)"),
)


def numbers(run: Run) -> list[dict[str, Any]]:
    """The run's estimates, one per metric: summary.csv's row, with the metric's title.
    Key metrics first."""
    if run.summary is None:
        return []
    rows = []
    for row in summary_rows(run.summary):
        entry = dict(zip(SUMMARY_HEADER, row, strict=True))
        entry["scenario"] = from_spreadsheet(str(entry["scenario"]))
        metric = str(entry["metric"])
        known = REGISTRY.get(metric)
        entry["title"] = known.title if known else metric
        entry["key"] = metric in KEY_METRICS
        rows.append(entry)
    order = {m: i for i, m in enumerate(KEY_METRICS)}
    return sorted(rows, key=lambda e: order.get(str(e["metric"]), len(order)))


def figures(run: Run) -> list[dict[str, str]]:
    """The figures the run drew, in the page's order."""
    plots = run.folder / "plots"
    return [{"name": name, "caption": caption, "file": f"{name}.svg"}
            for name, caption in FIGURES if (plots / f"{name}.svg").is_file()]


def comparison(previous: Run | None, run: Run) -> dict[str, Any] | None:
    """The paired differences against ``previous``, each with its metric's title and unit."""
    if previous is None:
        return None
    result = compare(previous, run)
    if result is None or not result.get("paired"):
        return result
    for row in result["comparisons"]:
        known = REGISTRY.get(row["metric"])
        row["title"] = known.title if known else row["metric"]
        row["unit"] = known.unit if known else ""
    result["previous_settings"] = settings(previous)
    result["current_settings"] = settings(run)
    return result


def settings(run: Run) -> dict[str, Any]:
    """How a run was asked for: scenario, levers moved, replications, seed, command."""
    return {"scenario": run.request.scenario,
            "levers": [{"path": p, "value": v} for p, v in run.request.levers],
            "replications": run.request.replications, "seed": str(run.request.seed),
            "command": run.request.command_line(run.entry)}


def results(run: Run, previous: Run | None) -> dict[str, Any]:
    """Everything the page shows of a finished run."""
    return {"run": run.status(), "settings": settings(run), "numbers": numbers(run),
            "figures": figures(run), "comparison": comparison(previous, run)}
