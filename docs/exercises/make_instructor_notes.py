"""Generate docs/exercises/INSTRUCTOR-NOTES.md: the answers the model gives at the class seed.

Usage (from anywhere; the commands run in the repository's top folder)::

    .venv/bin/python docs/exercises/make_instructor_notes.py

Every command of every ```sh block of every exercise (``docs/exercises/NN-*.md``) is run exactly
as written, in order, with the working directory at the top of the repository, so the results
land where a student's would (``results/exNN-...``, git-ignored). ``baiji-sim ...`` runs as
``python -m sim ...`` with this interpreter. The answers are then read from the files those
commands wrote (``summary.json``, ``replications.csv``, ``sweep.csv``/``sweep.json``,
``sensitivity.json``) and from their printed output; no number in the notes is written by hand.
Each expected conclusion is checked against those numbers and flagged when the run does not
show it.

The notes carry a fingerprint (sha256) of their inputs: the exercise command lines, the scenario
files those commands read (with the files they extend), the fact and observation sheets
(``seeds/*.yaml``), this script and the package source (``sim/**/*.py``).
``tests/test_exercises.py`` recomputes it with :func:`fingerprint` and fails when the notes are
stale.

Conclusions are stated as they follow from the numbers of the run; where the model and the
articles disagree (an observation the model seldom reproduces), the conclusion says so rather
than the scenario being tuned to agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import hashlib
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLASS_SEED = 20141015
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NOTES = HERE / "INSTRUCTOR-NOTES.md"
EXERCISE_GLOB = "[0-9][0-9]-*.md"
FINGERPRINT_PREFIX = "<!-- inputs-sha256: "
FINGERPRINT_RE = re.compile(r"<!-- inputs-sha256: ([0-9a-f]{64}) -->")
SH_BLOCK = re.compile(r"^```sh[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


# -- reading the exercises -------------------------------------------------------------------
def exercise_files() -> list[Path]:
    """The exercise documents, in order (01-..., 02-...)."""
    return sorted(HERE.glob(EXERCISE_GLOB))


def sh_commands(text: str) -> list[str]:
    """The command lines of every ```sh block: blank lines and comment lines left out,
    lines ending in a backslash joined with the next."""
    commands: list[str] = []
    for block in SH_BLOCK.findall(text):
        pending = ""
        for raw in block.splitlines():
            line = raw.strip()
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line = (pending + line).strip()
            pending = ""
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def argv_of(command: str) -> list[str]:
    """A command line as an argument list: shell quoting and trailing comments removed, globs
    expanded (relative to the repository) and ``baiji-sim`` run as ``python -m sim``."""
    argv: list[str] = []
    for token in shlex.split(command, comments=True):
        if any(c in token for c in "*?[") and not token.startswith("-"):
            matches = sorted(glob.glob(token, root_dir=REPO))
            argv += matches or [token]
        else:
            argv.append(token)
    if argv and argv[0] == "baiji-sim":
        argv = [sys.executable, "-m", "sim", *argv[1:]]
    return argv


def option(argv: list[str], *names: str) -> str | None:
    """The value of the first of ``names`` in ``argv`` (``--name value`` or ``--name=value``)."""
    for i, token in enumerate(argv):
        for name in names:
            if token == name and i + 1 < len(argv):
                return argv[i + 1]
            if token.startswith(name + "="):
                return token.split("=", 1)[1]
    return None


def scenario_files(commands: list[str]) -> list[Path]:
    """The scenario files the commands read, with every file they extend, sorted."""
    found: set[Path] = set()
    todo = [REPO / t for c in commands for t in argv_of(c) if t.endswith((".yaml", ".yml"))]
    while todo:
        path = todo.pop().resolve()
        if path in found or not path.exists():
            continue
        found.add(path)
        match = re.search(r"^extends:\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        if match:
            todo.append(path.parent / match.group(1).strip("'\""))
    return sorted(found)


def source_files() -> list[tuple[str, Path]]:
    """The package source, every ``sim/**/*.py`` with its path inside ``sim/``, in order."""
    root = REPO / "sim"
    return sorted((path.relative_to(root).as_posix(), path) for path in root.rglob("*.py"))


def fingerprint() -> str:
    """sha256 of the inputs of the notes: the commands, the scenario files, the seed sheets,
    this script and the package source, subpackages included (a change to the model changes
    the numbers students get)."""
    h = hashlib.sha256()
    commands: list[str] = []
    for path in exercise_files():
        h.update(f"exercise {path.name}\n".encode())
        for command in sh_commands(path.read_text(encoding="utf-8")):
            commands.append(command)
            h.update((" ".join(shlex.split(command, comments=True)) + "\n").encode())
    for path in scenario_files(commands):
        h.update(f"scenario {path.relative_to(REPO).as_posix()}\n".encode())
        h.update(path.read_bytes())
    for path in sorted((REPO / "seeds").glob("*.yaml")):  # facts and dated observations
        h.update(f"seeds {path.name}\n".encode())
        h.update(path.read_bytes())
    h.update(b"generator\n")
    h.update(Path(__file__).resolve().read_bytes())
    for name, path in source_files():
        h.update(f"source {name}\n".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def model_fingerprint() -> str:
    """Short sha256 of the package source (also part of :func:`fingerprint`)."""
    h = hashlib.sha256()
    for name, path in source_files():
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# -- running -----------------------------------------------------------------------------------
@dataclass
class Ran:
    command: str
    returncode: int
    seconds: float
    stdout: str
    stderr: str


@dataclass
class Exercise:
    path: Path
    title: str
    commands: list[str]
    ran: list[Ran] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.path.name[:2])


def run_exercise(exercise: Exercise) -> None:
    for command in exercise.commands:
        argv = argv_of(command)
        out = option(argv, "--out")
        if out and Path(out).parts[:1] == ("results",) and len(Path(out).parts) > 1:
            shutil.rmtree(REPO / out, ignore_errors=True)  # this command's own folder only
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
        ran = Ran(command, proc.returncode, time.perf_counter() - start, proc.stdout,
                  proc.stderr)
        exercise.ran.append(ran)
        print(f"  [{ran.returncode}] {ran.seconds:6.1f} s  {command}", file=sys.stderr)
        if proc.returncode != 0 and not command.startswith("cmp "):
            raise SystemExit(f"command failed ({proc.returncode}): {command}\n{proc.stderr}")


# -- reading results ---------------------------------------------------------------------------
def load_json(folder: str, name: str) -> dict[str, Any]:
    return json.loads((REPO / folder / name).read_text(encoding="utf-8"))


def load_csv(folder: str, name: str) -> list[dict[str, str]]:
    with (REPO / folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Run:
    """One ``baiji-sim run`` results folder, read through sim.output.results_folder (the reader
    the report and ``baiji-sim plot`` use): summary.json and every replication's metrics."""

    def __init__(self, folder: str) -> None:
        from sim.output.results_folder import load_results

        self.folder = folder
        self.data = load_results(REPO / folder)
        self.summary = self.data.summary

    def m(self, scenario: str, metric: str) -> dict[str, Any]:
        return self.summary["scenarios"][scenario]["metrics"][metric]

    def mean(self, scenario: str, metric: str) -> float:
        return float(self.m(scenario, metric)["mean"])

    def column(self, scenario: str, metric: str) -> list[float]:
        """The metric of every replication, in order; NaN where replications.csv is empty."""
        return [float(x) for x in self.data.metrics[scenario][metric]]

    def paired(self, scenario: str, metric: str) -> dict[str, Any]:
        for row in self.summary["comparisons"]["comparisons"]:
            if row["scenario"] == scenario and row["metric"] == metric:
                return row
        raise KeyError(f"{self.folder}: no comparison of {scenario} on {metric}")

    def starts(self, other: Run) -> bool:
        """Whether this run's replications are the first ones of ``other`` (every metric of
        every scenario the same, a missing value where the other has one)."""
        import numpy as np

        mine, theirs = self.data.metrics, other.data.metrics
        return all(name in theirs and all(
            np.array_equal(values, theirs[name][metric][:len(values)], equal_nan=True)
            for metric, values in columns.items()) for name, columns in mine.items())


def run_summary(folder: str) -> dict[str, Any]:
    """summary.json of a ``baiji-sim run`` results folder (the other files need not be there)."""
    from sim.output.results_folder import read_results_folder

    return read_results_folder(REPO / folder).summary


class Sweep:
    """sweep.csv and sweep.json of one ``baiji-sim sweep`` results folder (one or two params)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.info = load_json(folder, "sweep.json")
        self.rows = load_csv(folder, "sweep.csv")
        self.params = self.info["params"]
        self.grid = [tuple(v) for v in self.info["grid"]]
        self.values = [v[0] for v in self.grid] if len(self.params) == 1 else self.grid

    def at(self, value: float | tuple[float, ...], metric: str) -> dict[str, float]:
        point = value if isinstance(value, tuple) else (value,)
        for r in self.rows:
            if r["metric"] == metric and all(
                    float(r[p]) == float(v) for p, v in zip(self.params, point, strict=True)):
                return {k: float(r[k]) for k in ("mean", "ci_low", "ci_high")}
        raise KeyError(f"{self.folder}: no {metric} at {point}")

    def curve(self, metric: str) -> list[float]:
        return [self.at(v, metric)["mean"] for v in self.values]


# -- formatting --------------------------------------------------------------------------------
def pct(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def pp(x: float) -> str:
    """A difference of shares in percentage points."""
    return f"{100 * abs(x):.0f} percentage points"


def ci_text(mean: float | None, lo: float | None, hi: float | None, digits: int = 1,
            percent: bool = False) -> str:
    if mean is None:
        return "-"
    f = (lambda x: pct(x, max(0, digits - 2))) if percent else (lambda x: f"{x:.{digits}f}")
    if lo is None or hi is None:
        return f(mean)
    return f"{f(mean)} [{f(lo)}, {f(hi)}]"


def est(entry: dict[str, Any], digits: int = 1) -> str:
    """'mean [low, high]' of a summary entry; shares as percentages."""
    lo, hi = entry["ci95"]
    return ci_text(entry["mean"], lo, hi, digits if entry.get("kind") != "share" else 2,
                   percent=entry.get("kind") == "share")


def event_share(entry: dict[str, Any]) -> str:
    p = entry["p_event_by_horizon"]
    return ci_text(p["share"], p["ci95"][0], p["ci95"][1], 2, percent=True)


def event_median(entry: dict[str, Any]) -> str:
    if entry["median"] is None:
        return "not reached"
    lo, hi = entry["median_ci95"]
    return (f"{entry['median']:.0f} [{'-' if lo is None else f'{lo:.0f}'}, "
            f"{'not reached' if hi is None else f'{hi:.0f}'}]")


def sweep_point(point: dict[str, float], digits: int = 2, percent: bool = False) -> str:
    return ci_text(point["mean"], point["ci_low"], point["ci_high"], digits, percent)


def paired_text(row: dict[str, Any], digits: int = 2) -> str:
    lo, hi = row["ci95"]
    vr = row["variance_reduction"]
    vr_text = ("-" if vr is None else "identical" if vr == float("inf") else f"{vr:.1f}x")
    return (f"{row['mean_difference']:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}], "
            f"real: {'yes' if row['significant'] else 'no'}, variance reduction {vr_text}")


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, ""]


class Notes:
    """Markdown lines plus the checked conclusions."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.checked = 0
        self.failed: list[str] = []
        self.disagreements: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def claim(self, holds: bool, text: str, disagreement: bool = False) -> None:
        """An expected conclusion, verified against the numbers of this run; ``disagreement``
        marks one where the model does not reproduce what the articles report (listed again at
        the top of the notes)."""
        self.checked += 1
        if disagreement and holds:
            self.disagreements.append(text)
        if holds:
            self.lines.append(f"- {text}")
        else:
            self.failed.append(text)
            self.lines.append(f"- **NOT SHOWN BY THIS RUN (revise the exercise):** {text}")


def scenario(path: str):
    from sim.scenario.loading import load_scenario

    return load_scenario(REPO / path)


def stdout_block(ran: Ran, keep: Callable[[str], bool] | None = None) -> list[str]:
    lines = [ln for ln in ran.stdout.splitlines() if keep is None or keep(ln)]
    return ["```text", *lines, "```", ""]


def find(exercise: Exercise, start: str) -> Ran:
    for ran in exercise.ran:
        if ran.command.startswith(start):
            return ran
    raise KeyError(f"exercise {exercise.number}: no command starting with {start!r}")


# -- the answers, exercise by exercise ---------------------------------------------------------
def ex01(ex: Exercise, n: Notes) -> None:
    base = scenario("scenarios/baseline.yaml")
    ad = base.air_defence
    engaged = 1 - math.exp(-ad.engagement_per_team * ad.teams)
    loss = engaged * ad.improved_hit_prob * ad.loss_given_hit
    heli = base.supply_operators[0]
    per_day = heli.aircraft * heli.sorties_per_aircraft_day
    k = heli.halt.after_losses
    run = Run("results/ex01-flights")
    hit, halt = Sweep("results/ex01-hit-prob"), Sweep("results/ex01-halt-rule")

    n.add("**Q1.** The `explain --diff` output:", "",
          *stdout_block(find(ex, "baiji-sim explain")))
    trace = find(ex, "baiji-sim trace")
    n.add("**Q2.** The key lines of the trace (clashes, assaults and pipeline events left out):",
          "", *stdout_block(trace, lambda ln: any(
              w in ln for w in ("air defence", "shot down", "halts", "garrison falls",
                                "no aircraft left", "outcome:", "siege lifted"))))
    n.add(f"**Q3.** By hand: P(engaged) = 1 - exp(-{ad.engagement_per_team:g} x {ad.teams}) = "
          f"{engaged:.3f}; loss per sortie L = {engaged:.3f} x {ad.improved_hit_prob:g} x "
          f"{ad.loss_given_hit:g} = {loss:.4f}. Sorties to {k} losses: about {k}/L = "
          f"{k / loss:.0f}; at {per_day:g} sorties a day (fewer after a loss) that is "
          f"{k / loss / per_day:.0f} days or more after the launchers arrive on day "
          f"{ad.improved_from_day:g}, i.e. around day "
          f"{ad.improved_from_day + k / loss / per_day:.0f}. In the run the baseline's flights "
          f"are halted in {event_share(run.m('baseline', 'flights_halted_day'))} of the "
          f"replications, median day {event_median(run.m('baseline', 'flights_halted_day'))} "
          "(Kaplan-Meier; replications without a halt count as not yet halted). Two effects pull "
          "in opposite directions: after the first loss fewer helicopters fly (later), and only "
          f"losses within {heli.halt.within_days:g} days of each other count, so the "
          "replications that halt are those whose losses came close together (earlier).", "")
    from sim.scenario.provenance import explain_rows, load_facts

    arrival_range = next(r.range for r in explain_rows(base, load_facts(REPO / "seeds"))
                         if r.path == "air_defence.improved_from_day")
    halted = run.m("baseline", "flights_halted_day")
    fv = run.summary["face_validity"]["scenarios"]["baseline"]
    obs = fv["obs.helicopters-lost-flights-halted-2014-10-31"]
    october = obs["day"]
    n.add(f"Face validity: two helicopters lost and the flights halted by {obs['date']} (day "
          f"{october}) in {ci_text(obs['share'], *obs['ci95'], 2, True)} of the baseline "
          f"replications; the garrison holds the plant on that date in "
          f"{pct(fv['obs.garrison-holds-2014-10-31']['share'])}. Here the model and the "
          "article disagree: the report has the losses and the halt behind it in October, the "
          f"model's median halt comes on day {event_median(halted)}, "
          f"{(base.start_date + dt.timedelta(days=halted['median'])).strftime('%d %B %Y')}"
          ". With the launchers "
          f"arriving on day {ad.improved_from_day:g} and about {k / loss / per_day:.0f} days "
          "of flying to lose two helicopters, the report's timing needs the launchers earlier "
          f"(the assumption's plausible range starts at day {arrival_range[0]:g}; exercise 6's "
          "campaign has them from day 0) and, above all, a higher loss per sortie (a larger "
          "hit probability or engagement rate).", "")
    names = ["no-launchers", "baseline", "flights-halted"]
    n.add("**Q4.** `results/ex01-flights` (600 replications each; mean or share [95% CI]):", "",
          *table(["scenario", "garrison holds", "helicopters lost", "supplies delivered (t)",
                  "garrison falls", "median fall day", "halted after losses"],
                 [[s, est(run.m(s, "garrison_held")), est(run.m(s, "helicopters_lost"), 2),
                   est(run.m(s, "supplies_delivered_t"), 0),
                   event_share(run.m(s, "garrison_fall_day")),
                   event_median(run.m(s, "garrison_fall_day")),
                   event_share(run.m(s, "flights_halted_day"))] for s in names]))
    n.add("Paired differences against `baseline` (scenario minus baseline):", "",
          *table(["scenario", "metric", "difference [95% CI]"],
                 [[s, m, paired_text(run.paired(s, m))] for s in ("no-launchers", "flights-halted")
                  for m in ("garrison_held", "helicopters_lost", "garrison_fall_day")]))
    lost = run.column("baseline", "helicopters_lost")
    more = sum(x > k for x in lost) / len(lost)
    n.add(f"**Q5.** In {pct(more)} of the baseline replications more than {k} helicopters are "
          f"lost: the rule counts only losses within {heli.halt.within_days:g} days of each "
          "other, so two losses further apart do not stop the flights, and a third may follow.",
          "")
    th = hit.info["threshold"]
    rows = [[f"{v:g}", sweep_point(hit.at(v, "garrison_held"), 2, True),
             sweep_point(hit.at(v, "helicopters_lost")),
             sweep_point(hit.at(v, "supplies_delivered_t"), 0)] for v in hit.values]
    n.add("**Q6.** Sweep of `air_defence.improved_hit_prob` (150 replications a point):", "",
          *table(["hit probability", "garrison holds", "helicopters lost",
                  "supplies delivered (t)"], rows))
    crossing = th.get("value")
    band = {k: "-" if v is None else f"{v:.3f}" for k, v in th.get("band_crossings", {}).items()}
    n.add(f"The garrison holds in half of the replications at a hit probability of "
          f"{'(not crossed)' if crossing is None else f'{crossing:.3f}'} (the band edges cross "
          f"at {band.get('ci_low')} and {band.get('ci_high')}, rounded: a rough range). The "
          f"planning value {ad.improved_hit_prob:g} is from the SA-7's record in Vietnam.", "")
    rows = [[f"{v:g}", sweep_point(halt.at(v, "garrison_held"), 2, True),
             sweep_point(halt.at(v, "helicopters_lost")),
             sweep_point(halt.at(v, "supplies_delivered_t"), 0)] for v in halt.values]
    n.add("**Q7.** Sweep of the halt rule's `after_losses`:", "",
          *table(["halt after losses", "garrison holds", "helicopters lost",
                  "supplies delivered (t)"], rows))

    n.add("### Expected conclusions", "")
    d_nl, d_fh = run.paired("no-launchers", "garrison_held"), run.paired("flights-halted",
                                                                           "garrison_held")
    n.claim(run.mean("no-launchers", "helicopters_lost") == 0,
            "Without the new launchers no helicopter is lost and the flights never stop.")
    n.claim(d_nl["significant"] and d_nl["mean_difference"] > 0,
            f"The launchers cost the garrison dearly: the share of replications in which it holds "
            f"is {pp(d_nl['mean_difference'])} lower with them (paired, clearly beyond noise).")
    n.claim(d_fh["significant"] and d_fh["mean_difference"] < 0,
            "Even the few weeks of flights before the halt are worth a lot: with the flights "
            f"stopped from day 0 the share that holds is {pp(d_fh['mean_difference'])} lower than "
            "in the baseline (none holds).")
    n.claim(obs["share"] < 0.5 and halted["median"] > october,
            f"The model and the article disagree on timing: the article reports two losses and "
            f"the halt by the end of October 2014, the baseline reaches that state by then in "
            f"only {pct(obs['share'])} of the replications.", disagreement=True)
    n.claim(run.mean("baseline", "helicopters_lost") > k,
            f"More than {k} helicopters are lost on average: the halt rule needs the losses "
            "close together.")
    n.claim(crossing is not None and crossing < ad.improved_hit_prob,
            "The garrison's fate is sensitive to the missile's hit probability, and the planning "
            f"value {ad.improved_hit_prob:g} lies above the value at which the garrison holds in "
            "half of the replications: with missiles that good, the baseline garrison usually "
            "falls.")
    g = halt.curve("garrison_held")
    h = halt.curve("helicopters_lost")
    n.claim(g[0] < g[1] < g[2] and h[0] < h[1] < h[2],
            "The halt rule trades helicopters (and crews) for the garrison: a rule that stops "
            "later loses more helicopters and lets the garrison hold more often.")
    n.claim(len(g) > 3 and g[2] == g[3] and h[2] == h[3],
            f"With {heli.aircraft} helicopters, halting after {heli.aircraft} or more losses is "
            "the same as having no rule: the fleet is gone by then.")


def ex02(ex: Exercise, n: Notes) -> None:
    op = next(o for o in scenario("scenarios/us-airdrops.yaml").supply_operators
              if o.kind == "airdrop")
    shares = {"5/5": 1.0, "3/5": 0.6, "1/5": 0.2}
    inside = {k: op.accuracy * s ** op.perimeter_exponent for k, s in shares.items()}
    n.add("**Q1.** By hand, share of bundles inside: "
          + ", ".join(f"{k} of the plant: {op.accuracy:g} x {shares[k]:g}^"
                      f"{op.perimeter_exponent:g} = {v:.2f}" for k, v in inside.items()) + ".", "")
    run = Run("results/ex02-perimeter")
    grid = {("helicopters", "5/5"): "baseline", ("helicopters", "3/5"): "helicopters-three-fifths",
            ("helicopters", "1/5"): "helicopters-one-fifth", ("airdrops", "5/5"): "us-airdrops",
            ("airdrops", "3/5"): "airdrops-three-fifths", ("airdrops", "1/5"): "airdrops-one-fifth"}
    rows = [[method, part, s, est(run.m(s, "garrison_held")),
             est(run.m(s, "supplies_delivered_t"), 0), est(run.m(s, "supplies_lost_t"), 0),
             event_median(run.m(s, "garrison_fall_day"))] for (method, part), s in grid.items()]
    n.add("**Q2.** `results/ex02-perimeter` (400 replications each):", "",
          *table(["supply", "plant held", "scenario", "garrison holds",
                  "delivered (t)", "lost (t)", "median fall day"], rows))
    n.add("**Q3-Q4.** See the table and the conclusions below. A helicopter garrison on a fifth "
          "of the plant falls at the first successful assault (its last sector), whatever the "
          "helicopters deliver.", "")
    sw = Sweep("results/ex02-exponent")
    n.add("**Q5.** Sweep of `perimeter_exponent` on `airdrops-three-fifths`:", "",
          *table(["perimeter exponent", "bundles inside at 3/5 (by hand)", "garrison holds",
                  "delivered (t)"],
                 [[f"{v:g}", f"{op.accuracy * 0.6 ** v:.2f}",
                   sweep_point(sw.at(v, "garrison_held"), 2, True),
                   sweep_point(sw.at(v, "supplies_delivered_t"), 0)] for v in sw.values]))

    n.add("### Expected conclusions", "")
    held = {key: run.m(s, "garrison_held") for key, s in grid.items()}
    n.claim(held[("airdrops", "5/5")]["ci95"][0] > held[("helicopters", "5/5")]["ci95"][1],
            "With the whole plant held, airdrops (safe from the missiles) keep the garrison alive "
            "far more often than the helicopters, which are shot down and then stopped.")
    gap = {p: held[("airdrops", p)]["mean"] - held[("helicopters", p)]["mean"]
           for p in ("5/5", "3/5", "1/5")}
    n.claim(gap["5/5"] > gap["3/5"] > gap["1/5"],
            "The airdrops' advantage shrinks as the perimeter shrinks (difference in the share "
            "held, in percentage points: "
            + ", ".join(f"{p}: {100 * g:.0f}" for p, g in gap.items()) + ").")
    delivered = [run.mean(grid[("airdrops", p)], "supplies_delivered_t")
                 for p in ("5/5", "3/5", "1/5")]
    n.claim(delivered[0] > delivered[1] > delivered[2],
            "Airdrop deliveries fall as the perimeter shrinks: more bundles land outside, and "
            "garrisons that fall earlier receive fewer drops.")
    n.claim(held[("helicopters", "1/5")]["mean"] < held[("helicopters", "5/5")]["mean"],
            "Helicopter garrisons also do worse on a small perimeter, though every load lands "
            "inside: with one sector left, one successful assault ends the siege.")
    n.claim(held[("airdrops", "1/5")]["ci95"][1] < 0.25,
            "On a fifth of the plant (the May 2015 situation) neither supply method keeps the "
            "garrison alive for six months in most replications.")
    lo_exp, hi_exp = 0.2, 0.6  # the plausible range recorded in us-airdrops.yaml
    g = {v: sw.at(v, "garrison_held")["mean"] for v in (lo_exp, hi_exp)}
    t = {v: sw.at(v, "supplies_delivered_t")["mean"] for v in (lo_exp, hi_exp)}
    n.claim(abs(g[lo_exp] - g[hi_exp]) < 0.1 and (t[lo_exp] - t[hi_exp]) > 0.15 * t[lo_exp],
            f"Over the exponent's plausible range ({lo_exp:g} to {hi_exp:g}) the tonnes "
            f"delivered at three fifths fall from {t[lo_exp]:.0f} to {t[hi_exp]:.0f}, but the "
            f"share that holds barely moves ({pct(g[lo_exp])} to {pct(g[hi_exp])}): at three "
            "fifths the garrisons that fall seem to be lost to assaults more than to hunger, "
            "and question 3's conclusion does not hang on this assumption.")


def ex03(ex: Exercise, n: Notes) -> None:
    n.add("**Q1.** The `explain --diff` output:", "",
          *stdout_block(find(ex, "baiji-sim explain")))
    full, small = Run("results/ex03-airstrikes"), Run("results/ex03-airstrikes-one-fifth")
    metrics = ("garrison_held", "garrison_fall_day", "supplies_delivered_t", "gov_control_final")
    rows = []
    for run, s, base in ((full, "airdrops-airstrikes", "us-airdrops"),
                         (small, "airstrikes-one-fifth", "airdrops-one-fifth")):
        for m in metrics:
            rows.append([f"{s} - {base}", m, paired_text(run.paired(s, m))])
    n.add("**Q2-Q4.** Paired differences (600 replications each; strikes minus no strikes):", "",
          *table(["comparison", "metric", "difference [95% CI]"], rows))
    n.add("Shares that hold: " + "; ".join(
        f"{s}: {est(run.m(s, 'garrison_held'))}"
        for run, s in ((full, "us-airdrops"), (full, "airdrops-airstrikes"),
                       (small, "airdrops-one-fifth"), (small, "airstrikes-one-fifth"))) + ".", "")
    fall = small.paired("airstrikes-one-fifth", "garrison_fall_day")
    vr = fall["variance_reduction"]
    n.add(f"**Q4.** For the fall day on a fifth of the plant the variance reduction is "
          f"{vr:.1f}: two independent batches would need about {vr:.1f} x 600 = "
          f"{vr * 600:.0f} replications each for an interval as narrow as the paired one.", "")
    sw = Sweep("results/ex03-strike-rate")
    th = sw.info["threshold"]
    n.add("**Q6.** Sweep of `airstrikes.strikes_per_day` on `airstrikes-one-fifth`:", "",
          *table(["strikes a day", "garrison holds", "government share of the plant at the end"],
                 [[f"{v:g}", sweep_point(sw.at(v, "garrison_held"), 2, True),
                   sweep_point(sw.at(v, "gov_control_final"), 2)] for v in sw.values]))
    crossing = th.get("value")
    n.add(f"The garrison holds in half of the replications from about "
          f"{'(not crossed)' if crossing is None else f'{crossing:.2f}'} strikes a day.", "")

    n.add("### Expected conclusions", "")
    d_full = full.paired("airdrops-airstrikes", "garrison_held")
    d_small = small.paired("airstrikes-one-fifth", "garrison_held")
    n.claim(d_full["significant"] and d_full["mean_difference"] > 0
            and d_small["significant"] and d_small["mean_difference"] > 0,
            "The strikes raise the chance that the garrison holds, in both situations, beyond "
            "the noise.")
    n.claim(d_small["mean_difference"] > d_full["mean_difference"],
            f"They are worth far more to a garrison in trouble (+{pp(d_small['mean_difference'])}"
            f" on a fifth of the plant against +{pp(d_full['mean_difference'])} with the whole "
            "plant, where airdrops alone already keep most garrisons alive).")
    vrs = {m: small.paired("airstrikes-one-fifth", m)["variance_reduction"] for m in metrics}
    n.claim(all(v is not None and v > 1 for v in vrs.values()),
            "Pairing reduces the variance of every difference (variance reduction above 1): the "
            "same seeds give both scenarios the same assaults, sorties and sabotage.")
    n.claim(vrs["supplies_delivered_t"] > vrs["garrison_held"],
            "The reduction is larger for a continuous outcome (supplies delivered) than for the "
            "0/1 outcome (held or not), which changes in only a few replications.")
    g = sw.curve("garrison_held")
    n.claim(crossing is not None,
            "A steady rate of strikes can turn the garrison on a fifth of the plant from "
            "usually falling to usually holding.")
    n.claim(len(g) == 5 and (g[1] - g[0]) > (g[4] - g[3]) / 5,
            "Returns diminish: the first strike a day adds more than each extra strike beyond "
            "four.")


STOP_ORDER = ("operating_days", "stopped_plant_days", "stopped_surroundings_days",
              "stopped_crude_days", "stopped_outlet_days", "stopped_repair_days",
              "stopped_restart_days")


def stopped(run: Run, scenario: str) -> dict[str, float]:
    """Mean share of the horizon's days in each state ('what stopped the refinery')."""
    shares = run.summary["stopped_refinery"]["scenarios"][scenario]["shares"]
    return {m: float(shares[m]["mean"]) for m in STOP_ORDER}


def stopped_labels(run: Run) -> dict[str, str]:
    return {r["metric"]: r["label"] for r in run.summary["stopped_refinery"]["reasons"]}


def stopped_table(run: Run, names: list[str]) -> list[str]:
    labels = stopped_labels(run)
    return table(["scenario", *(labels[m] for m in STOP_ORDER)],
                 [[s, *(pct(v) for v in stopped(run, s).values())] for s in names])


def recommissionings(ran: Ran, spec: Any) -> list[dict[str, Any]]:
    """Every 'recommissioning begun' line of a trace, with the unit's idle time and R worked out
    by hand: idle counts from the unit's last stop in the trace (a damage hit while running, or
    'units stopped'), or from ``refinery.idle_since`` if it has not run in the trace."""
    r = spec.refinery
    idle0 = (spec.start_date - r.idle_since).days
    running: set[str] = set()
    last_stop: dict[str, float] = {}
    found = []
    for line in ran.stdout.splitlines():
        m = re.search(r"day\s+([0-9.]+)\s+(.*)$", line)
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        if (c := re.search(r"refinery\s+(\w+): (.+?): recommissioning begun \((\d+) days", text)):
            side, unit = c.group(1), c.group(2)
            idle = t - last_stop[unit] if unit in last_stop else idle0 + t
            base = r.restart_days.government if side == "government" else r.restart_days.insurgent
            by_hand = base * (1 + (r.long_idle_factor - 1)
                              * (1 - math.exp(-idle / r.idle_scale_days)))
            found.append({"day": t, "unit": unit, "idle": idle, "by_hand": by_hand,
                          "printed": int(c.group(3)), "base": base})
        elif (c := re.search(r"refinery\s+\w+: (.+?) running \(", text)):
            running.add(c.group(1))
        elif re.search(r"refinery\s+\w+: units stopped", text):
            for unit in running:
                last_stop[unit] = t
            running.clear()
        elif ((c := re.search(r"(?:damages|sabotage) the plant.*: (.+?) \(\+[0-9.]+\)$", text))
              and c.group(1) in running):  # a unit hit while running stops now
            last_stop[c.group(1)] = t
            running.discard(c.group(1))
    return found


def unit_hits(ran: Ran, spec: Any) -> list[tuple[str, float, list[float]]]:
    """(unit, initial damage, sizes of the hits the trace reports on it) for every unit."""
    hits: dict[str, list[float]] = {u.name: [] for u in spec.refinery.units}
    for line in ran.stdout.splitlines():
        m = re.search(r"(?:damages|sabotage) the plant.*: (.+?) \(\+([0-9.]+)\)$", line)
        if m and m.group(1) in hits:
            hits[m.group(1)].append(float(m.group(2)))
    return [(u, spec.refinery.initial_damage, h) for u, h in hits.items()]


def recommissioning_table(found: list[dict[str, Any]], spec: Any) -> list[str]:
    r = spec.refinery
    return table(["day", "unit", "idle (days)", "R by hand (days)", "trace says"],
                 [[f"{f['day']:.2f}", f["unit"], f"{f['idle']:.1f}",
                   f"{f['base']:g} x (1 + {r.long_idle_factor - 1:g} x (1 - exp(-{f['idle']:.1f}"
                   f"/{r.idle_scale_days:g}))) = {f['by_hand']:.1f}", str(f["printed"])]
                  for f in found])


def first_output_by_hand(spec: Any, lift: float | None, event: str = "lift"
                         ) -> tuple[float, str]:
    """The first output after the government becomes the operator on day ``lift`` (the siege
    lifted, or the plant retaken), by hand: one unit's repair of the initial damage (one crew to
    a unit), then its recommissioning after the idle time since ``idle_since``. Returns the day
    and the calculation in words."""
    r = spec.refinery
    repair = r.initial_damage * r.rebuild_days
    ready = (math.nan if lift is None else lift) + repair
    idle = (spec.start_date - r.idle_since).days + ready
    base = r.restart_days.government
    recommission = base * (1 + (r.long_idle_factor - 1) * (1 - math.exp(-idle / r.idle_scale_days)))
    first = ready + recommission
    return first, (f"{event} on day {lift:.0f} + repair {r.initial_damage:g} x "
                   f"{r.rebuild_days:g} = {repair:.0f} crew-days (one crew to a unit) = day "
                   f"{ready:.0f}; the unit has then been idle {idle:.0f} days, so "
                   f"R = {recommission:.0f} days: first output around day {first:.0f}")


def ex04(ex: Exercise, n: Notes) -> None:
    from sim.scenario.provenance import explain_rows, load_facts

    run = Run("results/ex04-dependence")
    names = ["airdrops-airstrikes", "plant-only", "secure-routes", "plant-and-routes",
             "ground-campaign"]
    labels = stopped_labels(run)
    pr = scenario("scenarios/exercises/plant-and-routes.yaml")
    ref = pr.refinery
    main_reason = {}
    for s in names[:3]:
        shares = stopped(run, s)
        main_reason[s] = max(STOP_ORDER[1:], key=lambda m, sh=shares: sh[m])
    n.add("**Q1.** `airdrops-airstrikes` fails C2 (Baiji town and Siniya are insurgent) and, "
          "because the crude line runs through Baiji town and the product routes through Baiji "
          "town, Tikrit and Siniya, C3 and C4 as well; `plant-only` no longer needs C2 but fails "
          "C3 and C4; `secure-routes` has C3 and C4 but fails C2. The breakdown shows the first "
          "missing condition: "
          + "; ".join(f"`{s}`: {labels[main_reason[s]]} on "
                      f"{pct(stopped(run, s)[main_reason[s]])} of the days" for s in names[:3])
          + f". The remaining {pct(stopped(run, 'airdrops-airstrikes')['stopped_plant_days'])} "
          "are days on which assaults had taken at least one sector (C1: the whole plant is "
          "needed).", "")
    rows = [[s, est(run.m(s, "operating_days")), est(run.m(s, "refined_kbbl"), 0),
             est(run.m(s, "operating_at_horizon")),
             event_share(run.m(s, "first_operating_day")),
             event_median(run.m(s, "first_operating_day"))] for s in names]
    n.add("**Q2.** `results/ex04-dependence` (400 replications each):", "",
          *table(["scenario", "operating days", "refined (kbbl)", "operating at horizon",
                  "refinery runs", "median first day"], rows),
          "What stopped the refinery (government), mean share of the days:", "",
          *stopped_table(run, names))
    trace = find(ex, "baiji-sim trace")
    found = recommissionings(trace, pr)
    pr_stop = stopped(run, "plant-and-routes")
    n.add(f"**Q3.** In `plant-and-routes` the government operates on "
          f"{pct(pr_stop['operating_days'])} of the days; "
          f"{pct(pr_stop['stopped_repair_days'])} go to repairs (every unit under repair) and "
          f"{pct(pr_stop['stopped_restart_days'])} to recommissioning with no unit running yet; "
          f"lost sectors take {pct(pr_stop['stopped_plant_days'])} and crude cuts longer than "
          f"the tanks {pct(pr_stop['stopped_crude_days'])}. Key lines of the trace (fighting, "
          "flights and the insurgents' own links left out):", "",
          *stdout_block(trace, lambda ln: "  refinery " in ln or "  damage " in ln
                        or ("  network " in ln and "Kirkuk" in ln)
                        or ln.startswith("outcome:")))
    n.add(f"**Q4.** Recommissioning in the trace, worked out by hand (idle counted from "
          f"{ref.idle_since.isoformat()}, {(pr.start_date - ref.idle_since).days} days before "
          "the start, or from the unit's last stop in the trace):", "",
          *recommissioning_table(found, pr),
          "The second recommissioning of a unit damaged while running is short because its idle "
          "time counts from that stop, a few weeks, not from June 2014.", "")
    rest = Sweep("results/ex04-restoration")
    factors = sorted({v[0] for v in rest.grid})
    crews = sorted({v[1] for v in rest.grid})
    n.add("**Q5.** `results/ex04-restoration` (150 replications a point): operating days and "
          "products refined (kbbl) by `long_idle_factor` (rows) and repair crews (columns):", "",
          *table(["long idle factor", *(f"operating days, {c:g} crew{'s' * (c != 1)}"
                                        for c in crews),
                  *(f"refined (kbbl), {c:g} crew{'s' * (c != 1)}" for c in crews)],
                 [[f"{f:g}", *(sweep_point(rest.at((f, c), "operating_days"), 1)
                               for c in crews),
                   *(sweep_point(rest.at((f, c), "refined_kbbl"), 0) for c in crews)]
                  for f in factors]))
    rows = explain_rows(pr, load_facts(REPO / "seeds"))
    lo_f, hi_f = next(r.range for r in rows if r.path == "refinery.long_idle_factor")
    od = {(f, c): rest.at((f, c), "operating_days")["mean"] for f in factors for c in crews}
    kb = {(f, c): rest.at((f, c), "refined_kbbl")["mean"] for f in factors for c in crews}
    base_c = ref.repair_crews.government
    base_f = ref.long_idle_factor
    c_lo, c_hi = min(crews), max(crews)
    n.add(f"With `long_idle_factor` 1 a unit restarts in {ref.restart_days.government:g} days "
          f"after its repair whatever its idle time, and the plant operates "
          f"{od[(1, c_lo)]:.0f} days; at the scenario's {base_f:g}, {od[(base_f, c_lo)]:.0f}; "
          f"over the plausible range {lo_f:g} to {hi_f:g}, from {od[(lo_f, c_lo)]:.0f} to "
          f"{od[(hi_f, c_lo)]:.0f} days. {c_hi:g} crews instead of {c_lo:g} leave the days "
          "operated almost unchanged (the first unit back is the one with the least work, and it "
          "has a crew either way) but bring the other units back sooner: at the factor of "
          f"{base_f:g}, {kb[(base_f, c_lo)]:.0f} against {kb[(base_f, c_hi)]:.0f} kbbl refined "
          f"(the scenario has {base_c:g}).", "")
    sto = Sweep("results/ex04-storage")
    cuts = sorted({v[0] for v in sto.grid})
    tanks = sorted({v[1] for v in sto.grid})
    kirkuk = next(ln for ln in pr.links if ln.name == "Kirkuk crude pipeline")
    cut_lines = [(float(m.group(1)), float(m.group(2))) for m in (
        re.search(r"day\s+([0-9.]+)\s+network\s+Kirkuk crude pipeline cut; repair takes "
                  r"([0-9.]+) days", ln) for ln in trace.stdout.splitlines()) if m]
    no_crude_stops = sum("units stopped (no crude)" in ln for ln in trace.stdout.splitlines())
    n.add("**Q6.** In the trace the crude line is cut on "
          + ", ".join(f"day {d:.1f} for {k:.1f} days" for d, k in cut_lines)
          + f"; the crude tanks hold {ref.crude_storage_days:g} days, so "
          + ("nothing stops: the recommissioning under way goes on and the running unit keeps "
             "running." if no_crude_stops == 0 else
             f"the plant stops {no_crude_stops} time(s) for want of crude.")
          + " `results/ex04-storage` (150 replications a point), operating days by crude storage "
          "(rows) and cuts of the crude line a day (columns):", "",
          *table(["crude storage (days) / cuts a day", *(f"{c:g}" for c in cuts)],
                 [[f"{k:g}", *(sweep_point(sto.at((c, k), "operating_days"), 1) for c in cuts)]
                  for k in tanks]))
    so = {(c, k): sto.at((c, k), "operating_days")["mean"] for c in cuts for k in tanks}
    n.add(f"The pipeline's repairs take {kirkuk.repair_days.low:g} to "
          f"{kirkuk.repair_days.high:g} days, so {max(tanks):g} days of crude cover every cut. "
          "A cut longer than the tanks stops every unit, and each one must then be "
          f"recommissioned: at least {ref.restart_days.government:g} days more, and a cut "
          "during a recommissioning starts it again from zero.", "")
    gc = scenario("scenarios/ground-campaign.yaml")
    lift = run.m("ground-campaign", "siege_lifted_day")["median"]
    earliest, how = first_output_by_hand(gc, lift)
    gc_runs = run.m("ground-campaign", "first_operating_day")["p_event_by_horizon"]["share"]
    n.add(f"**Q7.** By hand for `ground-campaign`: {how}, against a horizon of "
          f"{gc.horizon_days} days. The refinery runs in {pct(gc_runs)} of the replications "
          "(early lifts and short repairs).", "")

    n.add("### Expected conclusions", "")
    zero = [s for s in names[:3] if max(run.column(s, "operating_days")) == 0]
    n.claim(zero == names[:3],
            "Removing one obstacle alone gives nothing: with the surroundings no longer needed, "
            "or with safe routes, the refinery still never runs in any replication.")
    n.claim(main_reason["airdrops-airstrikes"] == main_reason["secure-routes"]
            == "stopped_surroundings_days" and main_reason["plant-only"] == "stopped_crude_days",
            "The breakdown names what is missing: the surroundings in `airdrops-airstrikes` and "
            "`secure-routes`, crude (the line through Baiji town) in `plant-only`.")
    n.claim(run.mean("plant-and-routes", "operating_days") > 0
            and run.paired("plant-and-routes", "operating_days")["significant"],
            "Only when every outside condition holds at once does the government produce.")
    restore = pr_stop["stopped_repair_days"] + pr_stop["stopped_restart_days"]
    outside = sum(pr_stop[m] for m in STOP_ORDER[1:5])
    n.claim(restore > 0.5 and restore > outside and restore > pr_stop["operating_days"],
            f"Even then, restoring the plant takes most of the six months: repairs and "
            f"recommissioning take {pct(restore)} of the days, far more than lost sectors and "
            f"cuts ({pct(outside)}) or production ({pct(pr_stop['operating_days'])}).")
    base = ref.restart_days.government
    n.claim(bool(found) and all(abs(f["by_hand"] - f["printed"]) <= 0.6 for f in found)
            and max(f["by_hand"] for f in found) > 3 * base
            and min(f["by_hand"] for f in found) < 2 * base,
            f"Recommissioning grows with the time idle, as the formula says (every "
            f"recommissioning in the trace within a day of the hand calculation): a unit idle "
            f"since June 2014 needs {max(f['printed'] for f in found) if found else 0} days, "
            f"one that ran a few weeks earlier {min(f['printed'] for f in found) if found else 0}"
            f", against {base:g} for one stopped yesterday.")
    n.claim(all(od[(factors[i], c)] > od[(factors[i + 1], c)]
                for i in range(len(factors) - 1) for c in crews)
            and od[(1, c_lo)] > 2 * od[(base_f, c_lo)],
            f"The long idle is the main cost: if a long-idle unit recommissioned as fast as one "
            f"stopped yesterday the plant would operate {od[(1, c_lo)]:.0f} days instead of "
            f"{od[(base_f, c_lo)]:.0f}.")
    n.claim(od[(lo_f, c_lo)] > 2 * od[(hi_f, c_lo)],
            f"The answer hangs on an assumption: over the plausible range of "
            f"`long_idle_factor` ({lo_f:g} to {hi_f:g}) the days operated fall from "
            f"{od[(lo_f, c_lo)]:.0f} to {od[(hi_f, c_lo)]:.0f}.")
    n.claim(all(abs(od[(f, c_hi)] - od[(f, c_lo)]) < 0.1 * od[(f, c_lo)] for f in factors)
            and all(kb[(f, c_hi)] > 1.2 * kb[(f, c_lo)] for f in factors),
            "More repair crews do not bring the first output sooner (operating days barely "
            "move) but bring the other units back sooner: products refined rise by "
            f"{100 * (kb[(base_f, c_hi)] / kb[(base_f, c_lo)] - 1):.0f}% at the scenario's "
            "idle factor.")
    none = so[(0, min(tanks))]
    n.claim(all(so[(0, k)] == none for k in tanks) and no_crude_stops == 0,
            "Storage rides out short cuts: in the trace the crude line's cuts, shorter than the "
            "tanks, stop nothing; without cuts the tanks make no difference at all.")
    n.claim(so[(max(cuts), max(tanks))] > 0.95 * none
            and so[(max(cuts), min(tanks))] < 0.25 * none,
            f"With {max(tanks):g} days of crude, longer than any repair of the line, even a cut "
            f"every {1 / max(cuts):.0f} days costs almost nothing "
            f"({so[(max(cuts), max(tanks))]:.0f} operating days against {none:.0f}); with "
            "empty tanks it leaves almost nothing "
            f"({so[(max(cuts), min(tanks))]:.0f}): every cut stops the plant and costs a new "
            "recommissioning.")
    n.claim(run.mean("ground-campaign", "operating_days")
            < 0.2 * run.mean("plant-and-routes", "operating_days")
            and earliest > gc.horizon_days and gc_runs < 0.1,
            "Retaking the villages restores the conditions the realistic way, but only after "
            "months, and repairs and a recommissioning that has grown with the idle time come "
            "after that: the ground campaign's first output comes, by hand, after the six months "
            "and produces in few replications.")


def _lift_days(path: str, factor: float | None = None) -> float:
    s = scenario(path)
    g = s.ground_campaign
    m = g.mean_days_per_area * (g.coordination_factor if factor is None else factor)
    per_area = m + (1 - g.success_prob) / g.success_prob * (m + g.retry_days)
    held = {a.name for a in s.areas if a.holder == "government"}
    return per_area * sum(1 for a in g.route if a not in held)


def ex05(ex: Exercise, n: Notes) -> None:
    slow, fast = (_lift_days("scenarios/ground-campaign.yaml"),
                  _lift_days("scenarios/coordinated.yaml"))
    coord = Run("results/ex05-coordination")
    race = Run("results/ex05-race")
    lift = {s: coord.m(s, "siege_lifted_day") for s in ("ground-campaign", "coordinated")}
    n.add(f"**Q1.** By hand: ground-campaign {slow:.0f} days, coordinated {fast:.0f} days "
          "(three villages, with retries). In the run the median lift day is "
          + "; ".join(f"{s}: {event_median(e)} (lifted in {event_share(e)})"
                      for s, e in lift.items()) + ".", "")
    rows = [[s, est(coord.m(s, "operating_days")), est(coord.m(s, "operating_at_horizon")),
             event_share(coord.m(s, "first_operating_day")), est(coord.m(s, "garrison_held"))]
            for s in ("ground-campaign", "coordinated")]
    first = {s: first_output_by_hand(scenario(f"scenarios/{s}.yaml"), lift[s]["median"])
             for s in ("ground-campaign", "coordinated")}
    n.add("**Q2.** `results/ex05-coordination` (600 replications each):", "",
          *table(["scenario", "operating days", "operating at horizon", "refinery runs",
                  "garrison holds"], rows),
          "Paired (coordinated minus ground-campaign): "
          + "; ".join(f"{m}: {paired_text(coord.paired('coordinated', m))}"
                      for m in ("operating_days", "operating_at_horizon", "siege_lifted_day")),
          "",
          "Production stays rare even with coordination: after the lift the plant still needs "
          "its repairs and a recommissioning that has grown with the months idle (exercise 4). "
          "By hand, from the median lift day: "
          + "; ".join(f"{s}: {how}" for s, (_, how) in first.items())
          + ". Only replications with an early lift and short repairs produce within the "
          "six months.", "")
    names = ("relief-race", "relief-race-coordinated")
    rows = []
    order: dict[str, tuple[float, float, float]] = {}
    retaken: dict[str, float] = {}
    for s in names:
        falls, lifts = race.column(s, "garrison_fall_day"), race.column(s, "siege_lifted_day")
        total = len(falls)
        # The relief came first if the siege was lifted while the first garrison still held:
        # a fallen plant retaken by assault also lifts the siege, later than the fall.
        relief_first = sum(not math.isnan(lf) and (math.isnan(f) or lf < f)
                           for f, lf in zip(falls, lifts, strict=True)) / total
        fall_first = sum(not math.isnan(f) and (math.isnan(lf) or f <= lf)
                         for f, lf in zip(falls, lifts, strict=True)) / total
        order[s] = (relief_first, fall_first, 1 - relief_first - fall_first)
        retaken[s] = sum(not math.isnan(x) for x in race.column(s, "plant_retaken_day")) / total
        rows.append([s, est(race.m(s, "garrison_held")),
                     event_share(race.m(s, "garrison_fall_day")),
                     event_median(race.m(s, "garrison_fall_day")),
                     event_share(race.m(s, "siege_lifted_day")),
                     event_median(race.m(s, "siege_lifted_day")),
                     f"{pct(order[s][0])} / {pct(order[s][1])} / {pct(order[s][2])}",
                     pct(retaken[s])])
    falls = [f for f in race.column("relief-race", "garrison_fall_day") if not math.isnan(f)]
    falls.sort()
    n.add("**Q3-Q4.** `results/ex05-race` (600 replications each); the last two columns, from "
          "`replications.csv`, are the share of replications in which the relief came first / "
          "the garrison fell first / neither by the horizon, and the share in which the "
          "government retook a fallen plant (`plant_retaken_day`):", "",
          *table(["scenario", "garrison holds", "garrison falls", "median fall day",
                  "siege lifted", "median lift day", "relief first / fall first / neither",
                  "plant retaken"], rows),
          f"Among the relief-race garrisons that fall, the median fall day is "
          f"{falls[len(falls) // 2]:.0f} (from `replications.csv`)." if falls else "",
          "`garrison holds` counts a garrison in the plant at the horizon, the first one or a "
          "new one put in by an assault from the retaken road, so it exceeds 100% minus "
          "`garrison falls`; `siege lifted` counts such a retake as a lift too.",
          "Paired (coordinated minus not): "
          + paired_text(race.paired("relief-race-coordinated", "garrison_held")), "")
    sw = Sweep("results/ex05-coordination-factor")
    th = sw.info["threshold"]
    crossing = th.get("value")
    base_factor = scenario("scenarios/exercises/relief-race.yaml").ground_campaign \
        .coordination_factor
    n.add("**Q5.** Sweep of `ground_campaign.coordination_factor` on `relief-race`:", "",
          *table(["coordination factor", "expected lift day (by hand)", "garrison holds",
                  "operating days"],
                 [[f"{v:g}", f"{_lift_days('scenarios/exercises/relief-race.yaml', v):.0f}",
                   sweep_point(sw.at(v, "garrison_held"), 2, True),
                   sweep_point(sw.at(v, "operating_days"), 1)] for v in sw.values]),
          f"The garrison holds in half of the replications up to a coordination factor of "
          f"{'(not crossed)' if crossing is None else f'{crossing:.2f}'}; the assumed "
          f"{base_factor:g} is "
          + ("(no crossing)" if crossing is None else
             "on the holding side" + (", but close" if crossing - base_factor < 0.5 else "")
             if base_factor < crossing else
             "on the falling side") + ".", "")
    n.add("**Q6.** " + "; ".join(
        f"{s}: garrison holds {est(r.m(s, 'garrison_held'))}"
        for r, s in ((coord, "ground-campaign"), (race, "relief-race"))) + ".", "")

    n.add("### Expected conclusions", "")
    med = {s: lift[s]["median"] for s in lift}
    sooner = (med["ground-campaign"] - med["coordinated"]
              if None not in (med["coordinated"], med["ground-campaign"]) else math.nan)
    n.claim(sooner > 0,
            f"Solving coordination lifts the siege sooner: the median lift day is {sooner:.0f} "
            "days earlier.")
    n.claim(all(abs(m - h) / h < 0.2 for m, h in ((med["ground-campaign"], slow),
                                                 (med["coordinated"], fast)) if m is not None),
            "The by-hand expected times match the simulated median lift days to within 20%.")
    d = coord.paired("coordinated", "operating_at_horizon")
    n.claim(d["significant"] and d["mean_difference"] > 0,
            f"Sooner relief means production sooner: the share of replications in which the "
            f"refinery is running at the horizon is {pp(d['mean_difference'])} higher.")
    d = race.paired("relief-race-coordinated", "garrison_held")
    n.claim(d["significant"] and d["mean_difference"] > 0,
            f"In the race, coordination saves garrisons: about {100 * d['mean_difference']:.0f} "
            "more out of a hundred hold.")
    n.claim(order["relief-race"][1] > 2 * order["relief-race-coordinated"][1],
            "Without coordination the garrison falls before the relief arrives much more often "
            f"({pct(order['relief-race'][1])} against "
            f"{pct(order['relief-race-coordinated'][1])}).")
    held_race = race.mean("relief-race", "garrison_held")
    fell_race = race.m("relief-race", "garrison_fall_day")["p_event_by_horizon"]["share"]
    n.claim(retaken["relief-race"] > 0 and held_race > 1 - fell_race,
            "A fallen garrison is not always the end: once the road is retaken the government "
            f"can assault the plant, and retakes it in {pct(retaken['relief-race'])} of the "
            "race's replications, so more garrisons hold at the horizon than never fell.")
    n.claim(all(day > 180 for day, _ in first.values()),
            "Even a siege lifted on the median day leaves no time to produce within six "
            "months: repairs and a recommissioning grown with the idle time take months more.")
    n.claim(coord.mean("ground-campaign", "garrison_held")
            > race.summary["scenarios"]["relief-race"]["metrics"]["garrison_held"]["ci95"][1],
            "Airdrops take the garrison out of the race: with them it almost always lasts until "
            "the relief, whatever the coordination.")


def ex06(ex: Exercise, n: Notes) -> None:
    from sim.scenario.provenance import diff_rows, explain_rows, load_facts

    facts = load_facts(REPO / "seeds")
    may = scenario("scenarios/may-2015.yaml")
    rows = explain_rows(may, facts)
    kinds = {k: sum(r.kind == k for r in rows) for k in ("fact", "assumption", "missing")}
    diff = diff_rows(scenario("scenarios/ground-campaign.yaml"), may, facts)
    diff_facts = [p for p, _, new in diff if new is not None and new.kind == "fact"]
    n.add(f"**Q1.** `may-2015` has {len(rows)} parameters: {kinds['fact']} facts, "
          f"{kinds['assumption']} assumptions ({sum(1 for r in rows if r.range)} with a "
          f"plausible range), {kinds['missing']} without provenance. Of the {len(diff)} values "
          "that differ from `ground-campaign`, these are facts: "
          + ", ".join(f"`{p}`" for p in diff_facts) + "; the rest are assumptions.", "")
    run = Run("results/ex06-may-2015")
    s = "may-2015"
    horizon = may.horizon_days
    retake = run.m(s, "plant_retaken_day")
    fall = run.m(s, "garrison_fall_day")
    n.add("**Q2-Q3.** `results/ex06-may-2015` (1,000 replications):", "",
          *table(["outcome", "value [95% CI]"], [
              ["producing at the horizon (operating at horizon)",
               est(run.m(s, "operating_at_horizon"))],
              ["produced at all within the year (refinery runs)",
               event_share(run.m(s, "first_operating_day"))],
              ["share of a year's pre-closure output (output_share)",
               ci_text(run.mean(s, "output_share"), *run.m(s, "output_share")["ci95"], 3,
                       True)],
              ["operating days", est(run.m(s, "operating_days"))],
              ["a garrison in the plant at the end (garrison holds)",
               est(run.m(s, "garrison_held"))],
              ["garrison falls (the first one)", event_share(fall)],
              ["median fall day", event_median(fall)],
              ["plant retaken by assault", event_share(retake)],
              ["median retake day", event_median(retake)],
              ["siege lifted (a retake counts)", event_share(run.m(s, "siege_lifted_day"))],
              ["refinery damage at the end (mean)", est(run.m(s, "refinery_damage_final"), 2)],
          ]))
    produced = [k for k, ran in enumerate(run.column(s, "refinery_ran")) if ran == 1]
    retaken, fell = run.column(s, "plant_retaken_day"), run.column(s, "garrison_fall_day")
    via_retake = sum(not math.isnan(retaken[k]) for k in produced)
    never_fell = sum(math.isnan(fell[k]) for k in produced)
    n.add(f"`garrison holds` counts a garrison in the plant at the horizon, the first one or a new "
          f"one put in by a retake, so it exceeds 100% minus `garrison falls`. From "
          f"`replications.csv`: of the {len(produced)} replications that produce, {via_retake} "
          f"had their plant retaken and {never_fell} kept their first garrison throughout: the "
          f"operator must hold every sector (`required_plant_share` "
          f"{may.refinery.required_plant_share:g}), and a garrison on a fifth seldom wins four "
          "sectors back by counter-attacks, while a retake puts in a garrison that holds them "
          "all.", "")
    shares = stopped(run, s)
    first, how = first_output_by_hand(may, retake["median"], "retake")
    n.add("**Q4.** What stopped the refinery (government), mean share of the year's days:", "",
          *stopped_table(run, [s]),
          f"By hand, after a retake on the median day: {how}, against a horizon of {horizon} "
          "days. Production within the year needs an early retake (or, rarely, counter-attacks "
          "that win the whole plant back and a lifted siege) and short repairs. A garrison on a "
          "fifth of the plant is never the operator (the whole plant is required), so nothing is "
          "repaired or recommissioned while it merely holds on.", "")
    trace = find(ex, "baiji-sim trace")
    found = recommissionings(trace, may)
    n.add("**Q5.** Key lines of the trace (assaults, clashes, flights and links left out):", "",
          *stdout_block(trace, lambda ln: any(f"  {w} " in ln for w in (
              "garrison", "ground", "damage", "refinery")) or ln.startswith("outcome:")),
          "Damage per unit in the trace, and its recommissionings worked out by hand:", "",
          *table(["unit", "initial damage", "hits in the trace", "all damage taken (at most 1)"],
                 [[u, f"{d0:g}", " + ".join(f"{h:g}" for h in hits) or "-",
                   f"{min(1.0, d0 + sum(hits)):.2f}"]
                  for u, d0, hits in unit_hits(trace, may)]),
          *recommissioning_table(found, may))
    repaired = [m.group(1) for m in (re.search(r"refinery\s+government: (.+?) repaired$", ln)
                                     for ln in trace.stdout.splitlines()) if m]
    worst = max(unit_hits(trace, may), key=lambda u: sum(u[2]))
    if repaired and sum(worst[2]) > 0 and repaired[0] != worst[0]:
        n.add(f"The crews take the unit with the least work left first: {repaired[0]} is "
              f"repaired first, not the {worst[0]}, which took "
              f"{' + '.join(f'{h:g}' for h in worst[2])} in hits on top of its initial damage.",
              "")
    sab = Sweep("results/ex06-sabotage")
    metrics = ("refinery_damage_final", "refinery_ran", "operating_at_horizon", "output_share")
    n.add("**Q6.** `results/ex06-sabotage` (300 replications a point):", "",
          *table(["sabotage probability", "damage at the end", "refinery runs",
                  "operating at horizon", "output share"],
                 [[f"{v:g}", *(sweep_point(sab.at(v, m), 3 if m == "output_share" else 2,
                                           m != "refinery_damage_final")
                               for m in metrics)] for v in sab.values]))
    dmg = sab.curve("refinery_damage_final")
    ran = sab.curve("refinery_ran")
    r = may.refinery
    hit = may.damage.sabotage_damage
    n.add(f"A sabotage hit of {hit.low:g} to {hit.high:g} adds {hit.low * r.rebuild_days:.0f} "
          f"to {hit.high * r.rebuild_days:.0f} crew-days of repair to one "
          "unit. Within the year most replications do not produce whatever the sabotage (the "
          "retake comes late, the recommissioning after so long idle takes months), so sabotage "
          "moves the chance of production little; the damage it leaves is the next year's "
          "repair work.", "")
    camp = run_summary("results/ex06-campaign")
    fv = camp["face_validity"]["scenarios"]["campaign-2014-15"]

    def fv_share(o: dict[str, Any]) -> str:
        if o["share"] is None:
            return "-"
        return ci_text(o["share"], o["ci95"][0], o["ci95"][1], 2, True)

    n.add("**Q7.** Face validity of `campaign-2014-15` (400 replications):", "",
          *table(["observation", "date", "status", "share consistent [95% CI]"],
                 [[f"`{o['id']}`: {o['label']}", o["date"], o["status"], fv_share(o)]
                  for o in fv.values()]))
    heli = fv["obs.helicopters-lost-flights-halted-2014-10-31"]
    most = fv["obs.insurgents-hold-most-2015-05-07"]
    offline = fv["obs.refinery-offline-2015-05-07"]
    part = fv["obs.government-holds-part-2015-05-07"]
    n.add(f"Here the model and the article disagree: run from autumn 2014 with the campaign's "
          f"assumptions, the model has the insurgents holding most of the plant on 7 May 2015 in "
          f"only {pct(most['share'])} of the replications, while the government still holds "
          f"part of it in {pct(part['share'])}, in most of them more than the two fifths the "
          f"first May observation allows; the refinery is offline in {pct(offline['share'])}, "
          "as reported. "
          + (f"The October helicopter report of exercise 1 is met in {pct(heli['share'])} of "
             f"the replications, with the launchers there from day "
             f"{scenario('scenarios/campaign-2014-15.yaml').air_defence.improved_from_day:g}. "
             if heli["share"] is not None else "")
          + "`may-2015` does not inherit that "
          "path: it imposes the reported state as its starting point, a what-if from the "
          "article's facts, not the model's own forecast of how the siege got there. The "
          "articles say nothing after May 2015, so nothing later can be checked against "
          "them.", "")
    fall_sa = load_json("results/ex06-sensitivity-fall", "sensitivity.json")
    operating = load_json("results/ex06-sensitivity-operating", "sensitivity.json")
    by_path = {r.path: r for r in rows}
    top = fall_sa["indices"][:5]

    def source(path: str) -> str:
        r = by_path.get(path)
        if r is None:
            return "?"
        if r.kind == "fact":
            return f"fact `{r.source}`"
        rng = f", range {r.range[0]:g} to {r.range[1]:g}" if r.range else ""
        return f"assumption{rng}"

    n.add(f"**Q8.** Morris screening of `garrison_fall_day` ({fall_sa['design_points']} design "
          f"points x {fall_sa['replications']} replications = {fall_sa['model_runs']} runs), "
          "top five:", "",
          *table(["rank", "parameter", "value in may-2015", "mu_star", "mu_star_conf",
                  "source"],
                 [[str(i + 1), f"`{r['parameter']}`", f"{by_path[r['parameter']].value}",
                   f"{r['mu_star']:.1f}", f"{r['mu_star_conf']:.1f}", source(r["parameter"])]
                  for i, r in enumerate(top)]))
    clear = sum(r["mu_star"] > r["mu_star_conf"] for r in top)
    n.add(f"Only {clear} of these five have a mu_star larger than its uncertainty "
          f"(mu_star_conf): with {fall_sa['settings'].get('trajectories')} trajectories and "
          f"{fall_sa['replications']} replications a point the ranking is indicative; more "
          "trajectories narrow it.", "")
    op_max = max(r["mu_star"] for r in operating["indices"])
    nonzero = sum(r["mu_star"] > 0 for r in operating["indices"])
    resolved = sum(r["mu_star"] > (r["mu_star_conf"] or 0) for r in operating["indices"])
    n.add(f"**Q9.** `operating_days`: the largest mu_star is {op_max:.3g} days; "
          f"{nonzero} of {len(operating['indices'])} parameters have a non-zero mu_star but only "
          f"{resolved} a mu_star above its confidence half-width. With "
          f"{operating['replications']} replications per point and production in only "
          f"{pct(event_share_value(run.m(s, 'first_operating_day')))} "
          "of replications, each point sees production once or twice, and the differences "
          "between points are mostly noise (the points share their seeds, but a changed "
          "parameter reshuffles which replications produce). A useful ranking needs many more "
          "replications per point (hundreds), i.e. tens of times the run time, or a more "
          "frequent outcome such as `garrison_fall_day`.", "")

    n.add("### Expected conclusions", "")
    oh = run.m(s, "operating_at_horizon")
    n.claim(oh["ci95"][1] < 0.5,
            f"Production within a year is unlikely: the government is producing at the end of "
            f"the year in only {pct(oh['mean'])} of the replications.")
    n.claim(fall["p_event_by_horizon"]["share"] > 0.5,
            "The garrison on a fifth of the plant falls within the year in most replications.")
    held = run.mean(s, "garrison_held")
    n.claim(retake["p_event_by_horizon"]["share"] > 0.25
            and held > 1 - fall["p_event_by_horizon"]["share"],
            f"A fallen plant is often won back: the government retakes it in "
            f"{pct(retake['p_event_by_horizon']['share'])} of the replications, so a garrison is "
            f"in the plant at the end in {pct(held)} although the first one falls in "
            f"{pct(fall['p_event_by_horizon']['share'])}.")
    n.claim(via_retake > len(produced) / 2,
            f"Production, when it comes, comes mostly through a retake ({via_retake} of "
            f"{len(produced)} producing replications): a garrison holding a fifth of the plant "
            "can never repair or run it.")
    restore = shares["stopped_repair_days"] + shares["stopped_restart_days"]
    n.claim(first > horizon and restore > 2 * shares["operating_days"],
            f"Restoration eats the year even after a retake: repairs and recommissioning take "
            f"{pct(restore)} of the days against {pct(shares['operating_days'])} operating, and "
            f"by hand a retake on the median day gives its first output around day "
            f"{first:.0f}, after the horizon.")
    n.claim(bool(found) and all(abs(f["by_hand"] - f["printed"]) <= 0.6 for f in found)
            and max(f["by_hand"] for f in found) > 4 * r.restart_days.government,
            "A unit idle since June 2014 needs several times the quick restart to be "
            "recommissioned (the trace matches the formula).")
    sabotaged = any("sabotage the plant" in ln for ln in trace.stdout.splitlines())
    retaken_line = any("new garrison holds the plant" in ln for ln in trace.stdout.splitlines())
    n.claim(sabotaged and retaken_line,
            "The trace shows a fallen plant retaken by assault, and the insurgents sabotaging a "
            "process unit as they lose it.")
    n.claim(dmg[-1] > 2 * dmg[0] and abs(ran[0] - ran[-1]) < 0.1,
            f"Sabotage leaves far more damage ({dmg[0]:.2f} at the end of the year without it, "
            f"{dmg[-1]:.2f} when six retreats in ten end in it) but moves the chance of "
            f"production within the year little ({pct(ran[0])} against {pct(ran[-1])}): its cost "
            "falls mostly on the year after.")
    n.claim(most["share"] is not None and most["share"] < 0.25,
            "The model and the article disagree: run from autumn 2014 the model seldom reaches "
            f"the state CNN reported on 7 May 2015 ({pct(most['share'])} of the replications); "
            "`may-2015` starts from the reported state, it does not derive it.",
            disagreement=True)
    n.claim(any(by_path[r["parameter"]].kind == "assumption" for r in top[:3]),
            "The answer hangs on assumptions, not facts: the top drivers of the fall day are "
            "assumed values with wide plausible ranges.")
    n.claim(resolved <= 3,
            f"A small sensitivity analysis of a rare outcome ({operating['replications']} "
            "replications a point) cannot rank the parameters: almost every effect is zero or "
            "within its own uncertainty.")


def event_share_value(entry: dict[str, Any]) -> float:
    return float(entry["p_event_by_horizon"]["share"])


def ex07(ex: Exercise, n: Notes) -> None:
    small, big = Run("results/ex07-n20"), Run("results/ex07-n2000")
    s = "baseline"
    hs, hb = small.m(s, "garrison_held"), big.m(s, "garrison_held")
    ws, wb = hs["ci95"][1] - hs["ci95"][0], hb["ci95"][1] - hb["ci95"][0]
    fs, fb = small.m(s, "garrison_fall_day"), big.m(s, "garrison_fall_day")
    n.add("**Q1-Q3.**", "", *table(
        ["replications", "garrison holds", "interval width", "garrison falls",
         "median fall day", "mean of min(fall day, 180)"],
        [["20", est(hs), f"{ws:.3f}", event_share(fs), event_median(fs), est(fs)],
         ["2000", est(hb), f"{wb:.3f}", event_share(fb), event_median(fb), est(fb)]]))
    inside = hs["ci95"][0] <= hb["mean"] <= hs["ci95"][1]
    n.add(f"The 20-replication interval {'contains' if inside else 'does NOT contain'} the "
          f"2,000-replication estimate. Width ratio {ws / wb:.1f} (square-root rule: "
          f"sqrt(2000/20) = 10; Wilson intervals are not exactly proportional at n = 20).", "")
    cmp_run = find(ex, "cmp ")
    same_first = small.starts(big)
    n.add(f"**Q4.** `cmp` exit code {cmp_run.returncode} "
          f"({'identical files' if cmp_run.returncode == 0 else 'files differ'}). The first 20 "
          f"rows of the 2,000-replication file are "
          f"{'identical to' if same_first else 'DIFFERENT from'} the 20-replication file.", "")
    p = hb["mean"]
    need = 1.96 ** 2 * p * (1 - p) / 0.025 ** 2
    prec = run_summary("results/ex07-precision")["stopping"]
    stop = prec["scenarios"][s]
    n.add(f"**Q5.** By hand with p = {p:.2f}: n = 1.96^2 x p (1 - p) / 0.025^2 = {need:.0f}. "
          f"`--precision` ran {stop['replications']} replications ({stop['stopped']}; half-width "
          f"{stop['half_widths']['garrison_held']['half_width']:.4f} around "
          f"{stop['half_widths']['garrison_held']['mean']:.3f}): blocks of 100, 100, 200, 400, "
          f"800 ... double the count, so it stops at the first total above about {need:.0f}.",
          "")
    flights = Run("results/ex01-flights")
    d = flights.paired("no-launchers", "garrison_held")
    half = (d["ci95"][1] - d["ci95"][0]) / 2
    n600 = d["n"]
    detect = n600 * (half / abs(d["mean_difference"])) ** 2
    two_points = n600 * (half / 0.02) ** 2
    n.add(f"**Q6.** Exercise 1 measured the launchers' effect as "
          f"{d['mean_difference']:+.3f} with a paired half-width of {half:.3f} at {n600} "
          f"replications. Half-widths shrink as 1/sqrt(n), so about {math.ceil(detect)} "
          "replications would in principle show it (half-width = effect; in practice take at "
          "least 20 to 30 so that the interval itself is reliable), while measuring a "
          f"2-point difference to within +/-2 points would need about {two_points:.0f}.", "")

    n.add("### Expected conclusions", "")
    n.claim(5 < ws / wb < 20,
            "A hundred times more replications make the interval about ten times narrower.")
    n.claim(cmp_run.returncode == 0,
            "The same seed gives byte-identical results on one core and on all cores.")
    n.claim(same_first,
            "Replication i has the same seed whatever the batch size: the first 20 of 2,000 are "
            "the 20.")
    n.claim(stop["stopped"] == "precise enough"
            and stop["half_widths"]["garrison_held"]["half_width"] <= 0.025,
            "`--precision` finds the replication count for a stated precision by itself.")
    n.claim(detect < 100,
            "Large effects (the launchers) need few replications; small ones need thousands: "
            "choose n for the smallest difference that matters.")


def _box_line(box: dict[str, Any]) -> str:
    limits = " and ".join(r["words"] for r in box["restrictions"]) or "no limit"
    return (f"{limits} (coverage {pct(box['coverage'])}, density {pct(box['density'])}, "
            f"{box['points']} points)")


def _candidates_table(sel: dict[str, Any]) -> list[str]:
    rows = []
    for k, c in enumerate(sel["candidates"]):
        mark = "cheapest" if k == sel["chosen"] else ("yes" if c["meets"] else "no")
        rows.append([str(k), f"{c['effort']:.1f}", f"{c['screened']:.2f}",
                     ci_text(c["outcome"], c["low"], c["high"], 2, percent=False),
                     f"{c['p_holm']:.2g}", mark])
    return table(["candidate", "effort", "P(goal) in the design (20 runs)",
                  "P(goal) confirmed (200 new runs)", "Holm p", "meets the goal"], rows)


def _first_runs_luck(replications: int) -> dict[int, int]:
    """How often the campaign's refinery runs in its first ``replications`` runs, at the class
    seed and at seed 1: what every point of a discovery shares."""
    from sim.runner.batch import run_batch

    base = scenario("scenarios/campaign-2014-15.yaml")
    return {seed: int(run_batch([base], replications, seed=seed, workers=1, daily=False)
                      .runs[0].column("refinery_ran").sum()) for seed in (CLASS_SEED, 1)}


def ex08(ex: Exercise, n: Notes) -> None:
    levers = load_json("results/ex08-levers", "discovery.json")
    unknowns = load_json("results/ex08-unknowns", "discovery.json")
    coordination = "ground_campaign.coordination_factor"
    lv = {x["path"]: x for x in levers["levers"]}
    free_high = [x["label"] for x in levers["levers"] if x["free_end"] == x["high"]]
    n.add(f"**Q1.** {len(lv)} levers; the free end is the high one for: "
          f"{', '.join(free_high)}. A higher coordination factor means slower operations, so "
          "better coordination (a lower factor) is what costs effort.", "")
    prim = levers["prim"]
    n.add(f"**Q2-Q3.** The goal was met at {levers['met_points']} of {levers['points']} "
          "combinations. PRIM's boxes:", "")
    for k, box in enumerate(prim):
        n.add(f"- box {k + 1}: {_box_line(box)}; quasi-p values: " + ", ".join(
            f"{r['label']} {min(q for q in (r['qp_low'], r['qp_high']) if q is not None):.2g}"
            for r in box["restrictions"]))
    luck = _first_runs_luck(levers["replications"])
    in_box = any(r["path"] == coordination for b in prim for r in b["restrictions"])
    n.add("", f"With {levers['replications']} runs a point, every point shares the same seeds "
          f"(common random numbers), so luck shifts them all together: the scenario itself runs "
          f"its refinery in {luck[CLASS_SEED]} of its first {levers['replications']} runs at "
          f"the class seed and in {luck[1]} at seed 1. A lucky set of seeds lets more points "
          "pass the threshold and widens the box (ground coordination is "
          f"{'in' if in_box else 'not in'} "
          "it at the class seed); the confirmation, with new seeds, corrects for that.", "")
    restricted = {r["path"] for box in prim for r in box["restrictions"]}
    free = [x["label"] for p, x in lv.items() if p not in restricted]
    n.add("", f"Not restricted by any box: {', '.join(free)}: within their ranges they do not "
          "decide whether the refinery runs (given the other levers).", "")
    cart = levers["cart"]
    n.add("**Q4.** CART's densest leaf: " + (_box_line(cart[0]) if cart else "none") + ". "
          f"The heatmap's pair: {', '.join(levers['pair'] or [])}.", "")
    sel = levers["selection"]
    n.add("**Q5.** The candidates (levers only):", "", *_candidates_table(sel))
    best = sel["candidates"][sel["chosen"]] if sel["chosen"] is not None else None
    failed = [c for c in sel["candidates"] if not c["meets"]]
    if best is not None:
        spend = sorted(((lv[p]["label"], lv[p]["effort_per_unit"] * abs(v - lv[p]["free_end"]), v)
                        for p, v in best["levers"].items()), key=lambda t: -t[1])
        n.add(f"The cheapest confirmed setting costs {best['effort']:.1f} effort points; most of "
              "it goes to " + ", ".join(f"{name} = {v:.3g} ({pts:.1f} points)"
                                        for name, pts, v in spend[:3]) + ".", "")
    n.add(f"{len(failed)} of {len(sel['candidates'])} candidates were not confirmed. 20 runs "
          "give a share with an interval of about +/-0.2, so a setting can pass 0.5 by luck; "
          "the new runs (other seeds) and Holm's correction make the chosen one meet the goal "
          "with 95% confidence, among the candidates tried, not the cheapest possible.", "")
    usel = unknowns["selection"]
    ubest = usel["chosen"]
    n.add(f"**Q6.** With the unknowns varying the goal was met at {unknowns['met_points']} of "
          f"{unknowns['points']} combinations; PRIM: "
          + (_box_line(unknowns["prim"][0]) if unknowns["prim"] else "no box") + ".", "",
          *_candidates_table(usel))
    n.add("### Expected conclusions", "")
    first = prim[0] if prim else None
    n.claim(first is not None and any(r["path"] == "airstrikes.strikes_per_day"
                                       and r["low"] > r["full_low"]
                                       for r in first["restrictions"]),
            "PRIM's first box asks for a strike tempo above its lowest values: without enough "
            "strikes the ground campaign does not free the refinery, whatever else is done.")
    n.claim(first is not None and first["density"] >= 0.8 and first["coverage"] >= 0.8,
            "With the unknowns at the scenario's values, a box of a few limits holds most of the "
            "combinations that work (coverage and density both at least 80%).")
    n.claim(best is not None, "At least one of the cheapest combinations that met the goal is "
            "confirmed by 200 new runs with 95% confidence.")
    n.claim(unknowns["met_points"] < levers["met_points"],
            "When the unknowns vary too, far fewer combinations meet the goal: the answer of "
            "the first discovery holds only if the scenario's assumptions are right.")
    n.claim(ubest is None, "Over the unknowns, no lever combination tried is confirmed to get "
            "the refinery running in half of the runs: the levers alone cannot promise it.")


ANSWERS: dict[int, Callable[[Exercise, Notes], None]] = {
    1: ex01, 2: ex02, 3: ex03, 4: ex04, 5: ex05, 6: ex06, 7: ex07, 8: ex08}


# -- the notes ---------------------------------------------------------------------------------
def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("baiji-sim")
    except Exception:  # not installed: fall back to the source
        sys.path.insert(0, str(REPO))
        import sim

        return sim.__version__


def main() -> None:
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    exercises = []
    for path in exercise_files():
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip()
        exercises.append(Exercise(path, title, sh_commands(text)))
    for ex in exercises:
        print(f"{ex.path.name}", file=sys.stderr)
        run_exercise(ex)
    notes = Notes()
    for ex in exercises:
        notes.add(f"## {ex.title}", "", f"Source: [{ex.path.name}]({ex.path.name}). Commands "
                  f"run ({sum(r.seconds for r in ex.ran):.0f} s):", "", "```text",
                  *(f"[exit {r.returncode}] {r.command}" for r in ex.ran), "```", "")
        answer = ANSWERS.get(ex.number)
        if answer is None:
            notes.add("(No answer extractor for this exercise yet: add one to "
                      "`make_instructor_notes.py`.)", "")
            continue
        answer(ex, notes)
        notes.add("")
    elapsed = time.perf_counter() - started
    n_commands = sum(len(ex.commands) for ex in exercises)
    status = (f"All {notes.checked} expected conclusions are confirmed by this run."
              if not notes.failed else
              f"**{len(notes.failed)} of {notes.checked} expected conclusions are NOT shown by "
              "this run**; they are marked below. Revise the exercises or the scenarios.")
    head = [
        "# Instructor notes (generated)",
        "",
        f"{FINGERPRINT_PREFIX}{fingerprint()} -->",
        "Generated by `docs/exercises/make_instructor_notes.py`; do not edit by hand. Every "
        "number below was read from the files that the exercise commands wrote, run exactly as "
        "the exercises print them.",
        "",
        f"- **Class seed: {CLASS_SEED}**",
        f"- Package version: baiji-sim {package_version()}",
        f"- Generated on: {dt.date.today().isoformat()}",
        f"- Run time: {elapsed:.0f} s for {n_commands} commands on {os.cpu_count()} cores",
        f"- Model source fingerprint (sim/**/*.py): `{model_fingerprint()}`",
        f"- {status}",
        "",
        "Numbers are means or shares with their 95% interval in brackets. Shares of "
        "replications use Wilson intervals, means Student-t; median days are Kaplan-Meier "
        "medians with their interval (\"not reached\": fewer than half of the replications saw "
        "the event by the horizon). Paired differences are the second scenario minus the "
        "reference, replication by replication.",
        "",
        "A student who runs the commands exactly as written gets exactly these numbers. If they "
        "do not, the model or a scenario changed after these notes were generated: regenerate "
        "them with `.venv/bin/python docs/exercises/make_instructor_notes.py`.",
        "",
    ]
    if notes.disagreements:
        head += ["**Where the model and the articles disagree.** No parameter was tuned to make "
                 "these agree; the exercises ask students to find and discuss them:", "",
                 *(f"- {text}" for text in notes.disagreements), ""]
    NOTES.write_text("\n".join(head + notes.lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {NOTES.relative_to(REPO)} in {elapsed:.0f} s "
          f"({notes.checked - len(notes.failed)}/{notes.checked} conclusions confirmed)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
