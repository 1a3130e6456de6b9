"""STRESS 4-6, the study: how it was run (initialisation, run length, estimation), on what
(software, random numbers, execution, machine), and how to repeat it."""

from __future__ import annotations

import os
import platform
import shlex

from sim import __version__, rng
from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, para, table
from sim.output.report.numbers import known
from sim.output.report.sections.checklist import stress_item, stress_section
from sim.output.results_folder import SCENARIOS, safe_name

INITIALISATION = (
    "No warm-up period: this is a terminating simulation. Each replication starts from "
    "the situation its scenario states at `start_date` (who holds which area, troops, "
    "stocks, damage; both sides' refineries down) and ends at the horizon. There is no "
    "steady state to reach and no initial transient to delete.")
RUN_LENGTH = (
    "The run length of a replication is the scenario's horizon; the number of "
    "replications is the same for every scenario unless the run was interrupted or "
    "stopped sequentially.")
EXECUTION = (
    "Event-driven: SimPy events fire at the times drawn by each mechanism in "
    "continuous time (the unit is the day); only the day clock has a fixed step. "
    "Events at the same time run in the order they were scheduled. Replications run "
    "in parallel worker processes; because each replication's seed depends only on "
    "its index, the results do not depend on the number of workers.")


# -- STRESS 4 ----------------------------------------------------------------------------
def experimentation(f: Folder) -> Html:
    m = f.manifest
    rows = []
    for name in f.names:
        scen = f.scenarios.get(name)
        raw = f.raw.get(name, {})
        start = scen.start_date.isoformat() if scen else raw.get("start_date", "–")
        horizon = scen.horizon_days if scen else raw.get("horizon_days", "–")
        done = m.finished_replications.get(name, f.replications(name))
        rows.append([name, start, horizon, known(m.replications, "–"), done])
    return stress_section(4, "Experimentation", stress_item(
        "4.1", "Initialisation", para(INITIALISATION)),
        stress_item("4.2", "Run length", para(RUN_LENGTH), table(
            ["scenario", "start date", "horizon (days)", "replications requested",
             "replications finished"], rows, numeric=[2, 3, 4], id="table-run-length")),
        stress_item("4.3", "Estimation approach",
                    el("ul", [el("li", t) for t in _estimation(f)])))


def _estimation(f: Folder) -> list[str]:
    m = f.manifest
    level = f.summary.get("confidence_level", 0.95)
    requested = known(m.replications, f.summary.get("replications_requested", "?"))
    estimation = [
        f"{requested} independent replications per scenario from batch seed "
        f"{known(m.seed, f.summary.get('seed', '?'))}; replication i gets a seed derived from "
        "the batch seed and i alone.",
        "Common random numbers: replication i of every scenario uses the same seed, and every "
        "source of randomness has its own stream, so scenarios are compared on the same luck.",
        f"Means with Student-t {100 * level:.0f}% intervals; shares with Wilson intervals; "
        "quantiles with distribution-free order-statistic intervals.",
        "Event days with Kaplan-Meier curves (log-log band), the probability of the event by "
        "the horizon and the median day; the mean is restricted to the horizon.",
    ]
    if f.summary.get("comparisons"):
        estimation.append("Paired differences with Student-t intervals and paired t-tests, "
                          "Holm-corrected over every comparison made.")
    if f.summary.get("selection"):
        estimation.append("Subset selection by the screening procedure of Nelson, Swann, "
                          "Goldsman and Song (2001), with paired variances.")
    if f.summary.get("stopping"):
        estimation.append("The number of replications was set by sequential stopping on "
                          "the precision of the intervals (see Results).")
    return estimation


# -- STRESS 5 ----------------------------------------------------------------------------
def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _software(f: Folder) -> list[tuple[str, str]]:
    recorded = f.manifest.libraries

    def library(name: str) -> str:
        # The run records its libraries; a folder written before it did falls back on this
        # machine's, and says so.
        if name in recorded:
            return f"{name} {recorded[name]}"
        return f"{name} {_version(name)} (installed where this report was written)"

    return [
        ("Language", f"Python {known(f.manifest.python, '?')} (recorded by the run)"),
        ("Model", f"baiji-sim {known(f.manifest.package_version, '?')} (recorded by the run)"),
        ("Simulation library", library("simpy")
         + (" (recorded by the run)" if "simpy" in recorded else "")),
        ("Numerics", f"{library('numpy')}, {library('scipy')}"
         + (" (recorded by the run)" if {"numpy", "scipy"} <= recorded.keys() else "")),
    ]


def _sampling() -> str:
    return (
        "Every source of randomness (each supply operator, each link, assaults, clashes, "
        "airstrikes, the ground campaign, reinforcements) has its own named stream: "
        f"numpy's {rng.BIT_GENERATOR_NAME} bit generator, keyed by the replication seed and "
        f"a {rng.STREAM_KEY_HASH} of the stream's name (as implemented in the installed "
        "`sim/rng.py`). A stream depends only on the seed and its own name, so adding an "
        "operator or a link never shifts the numbers of another source. Replication seeds "
        "come from numpy's SeedSequence of the batch seed and the replication's index. "
        "Distributions sampled: exponential (gaps between events), uniform (repairs, damage "
        "sizes, yes/no draws), binomial (losses, bundles), Poisson (reinforcements, kills) "
        "and gamma (ground operations).")


def implementation(f: Folder) -> Html:
    spec = [("Worker processes", known(f.manifest.workers, "?")),
            ("Machine of the run", f.manifest.machine or "not recorded by the run"),
            ("Report written on", f"{platform.system()} {platform.release()}, "
                                  f"{os.cpu_count()} CPUs, Python "
                                  f"{platform.python_version()}")]
    return stress_section(5, "Implementation", stress_item(
        "5.1", "Software or programming language",
        el("dl", [[el("dt", k), el("dd", v)] for k, v in _software(f)], class_="glance")),
        stress_item("5.2", "Random sampling", para(_sampling())),
        stress_item("5.3", "Model execution", para(EXECUTION)),
        stress_item("5.4", "System specification",
                    el("dl", [[el("dt", k), el("dd", v)] for k, v in spec], class_="glance")))


# -- STRESS 6 ----------------------------------------------------------------------------
def _rerun(f: Folder) -> str:
    """The command that repeats the run from the resolved scenarios kept in the folder."""
    m = f.manifest
    # The files one by one, in the run's order: a glob would sort them, and the rows of
    # replications.csv come scenario by scenario in the order given.
    kept = [shlex.quote(str(f.path / SCENARIOS / f"{safe_name(n)}.yaml")) for n in f.names]
    rerun = (f"baiji-sim run {' '.join(kept)} "
             f"-n {known(m.replications, 'N')} --seed {known(m.seed, 'S')}")
    if (f.summary.get("comparisons") or {}).get("baseline"):
        rerun += f" --baseline {shlex.quote(str(f.summary['comparisons']['baseline']))}"
    return rerun


def code_access(f: Folder) -> Html:
    m = f.manifest
    command = m.command
    command_text = (shlex.join(str(c) for c in command) if isinstance(command, list)
                    else str(command) if command else "not recorded")
    files = m.scenario_files
    return stress_section(6, "Code access", stress_item(
        "6.1", "Computer model sharing statement", para(
            f"baiji-sim {known(m.package_version, __version__)} is open source under the MIT "
            "licence; the scenario files, fact sheets (`seeds/`), the model description "
            "(`docs/model.md`) and the verification record (`docs/verification.md`) ship "
            "with it."),
        el("p", "This run was made with:"), el("pre", el("code", command_text), id="command"),
        el("p", f"Batch seed {known(m.seed, '?')}: the same command with the same seed gives the "
                "same replications.csv, whatever the number of workers. The resolved "
                "scenarios (after extends and --set) are kept in the results folder, so the "
                "run can be repeated without the original files:"),
        el("pre", el("code", _rerun(f))),
        para("One replication, event by event: `baiji-sim trace SCENARIO --seed SEED`, with "
             "SEED from the seed column of replications.csv."),
        table(["scenario", "scenario file given on the command line"],
              [[n, el("code", p)] for n, p in files.items()]) if files else None))
