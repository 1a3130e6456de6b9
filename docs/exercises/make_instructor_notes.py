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
files those commands read (with the files they extend) and this script. ``tests/test_exercises.py``
recomputes it with :func:`fingerprint` and fails when the notes are stale. Changes to the model
code are not part of the fingerprint: regenerate the notes after those too.
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


def fingerprint() -> str:
    """sha256 of the inputs of the notes: the commands, the scenario files, this script and
    the package source (a change to the model changes the numbers students get)."""
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
    h.update(b"generator\n")
    h.update(Path(__file__).resolve().read_bytes())
    for path in sorted((REPO / "sim").glob("*.py")):
        h.update(f"source {path.name}\n".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def model_fingerprint() -> str:
    """Short sha256 of the package source (also part of :func:`fingerprint`)."""
    h = hashlib.sha256()
    for path in sorted((REPO / "sim").glob("*.py")):
        h.update(path.name.encode())
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
    """summary.json and replications.csv of one ``baiji-sim run`` results folder."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.summary = load_json(folder, "summary.json")
        self.rows = load_csv(folder, "replications.csv")

    def m(self, scenario: str, metric: str) -> dict[str, Any]:
        return self.summary["scenarios"][scenario]["metrics"][metric]

    def mean(self, scenario: str, metric: str) -> float:
        return float(self.m(scenario, metric)["mean"])

    def column(self, scenario: str, metric: str) -> list[float]:
        return [math.nan if r[metric] == "" else float(r[metric])
                for r in self.rows if r["scenario"] == scenario]

    def paired(self, scenario: str, metric: str) -> dict[str, Any]:
        for row in self.summary["comparisons"]["comparisons"]:
            if row["scenario"] == scenario and row["metric"] == metric:
                return row
        raise KeyError(f"{self.folder}: no comparison of {scenario} on {metric}")


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

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def claim(self, holds: bool, text: str) -> None:
        """An expected conclusion, verified against the numbers of this run."""
        self.checked += 1
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


def ex04(ex: Exercise, n: Notes) -> None:
    run = Run("results/ex04-dependence")
    names = ["airdrops-airstrikes", "plant-only", "secure-routes", "plant-and-routes",
             "ground-campaign"]
    rows = [[s, est(run.m(s, "operable_days")), est(run.m(s, "operating_days")),
             est(run.m(s, "refined_kbbl"), 0), est(run.m(s, "operating_at_horizon")),
             event_share(run.m(s, "first_operating_day")),
             event_median(run.m(s, "first_operating_day"))] for s in names]
    n.add("**Q1.** `airdrops-airstrikes` fails C3 (Baiji town and Siniya are insurgent) and C4 "
          "(the crude line runs through Baiji town, the product line through Baiji town and "
          "Tikrit, the road through Siniya); `plant-only` fails C4 only; `secure-routes` fails "
          "C3 only.", "")
    n.add("**Q2.** `results/ex04-dependence` (400 replications each):", "",
          *table(["scenario", "operable days", "operating days", "refined (kbbl)",
                  "operating at horizon", "refinery runs", "median first day"], rows))
    pr = scenario("scenarios/exercises/plant-and-routes.yaml")
    restart = pr.refinery.restart_days.government
    trace = find(ex, "baiji-sim trace")
    n.add("Key lines of the `plant-and-routes` trace (fighting and flights left out):", "",
          *stdout_block(trace, lambda ln: any(
              f"  {w} " in ln for w in ("refinery", "network", "control", "damage"))
              or ln.startswith("outcome:")))
    down: float | None = None
    costs: list[float] = []
    for line in trace.stdout.splitlines():
        match = re.search(r"day\s+([0-9.]+)\s+refinery\s+government: (shut down|operating)", line)
        if match and match.group(2) == "shut down":
            down = float(match.group(1))
        elif match and down is not None:
            costs.append(float(match.group(1)) - down)
            down = None
    lost = (run.mean("plant-and-routes", "operable_days")
            - run.mean("plant-and-routes", "operating_days"))
    n.add(f"**Q3.** In `plant-and-routes` the conditions hold on "
          f"{run.mean('plant-and-routes', 'operable_days'):.0f} days on average, but "
          f"{lost:.0f} of them are spent restarting: each interruption shuts the plant, and "
          f"once it is over a new {restart:g}-day restart begins from zero. In the trace, days "
          "from shutdown to operating again: "
          + (", ".join(f"{c:.1f}" for c in costs) or "(no interruption in this trace)") + ".", "")
    sw = Sweep("results/ex04-interruptions")
    sab_values = sorted({v[0] for v in sw.grid})
    att_values = sorted({v[1] for v in sw.grid})
    rows = [[f"{a:g}", *(sweep_point(sw.at((c, a), "operating_days"), 1) for c in sab_values)]
            for a in att_values]
    n.add(f"**Q4.** By hand, with no interruption: {pr.horizon_days} days - {restart:g} days of "
          f"restart = {pr.horizon_days - restart:g} operating days (the "
          f"{pr.refinery.ramp_days:g}-day ramp counts as operating, at a reduced rate). "
          "Operating days in the two-parameter sweep (rows: assaults a day; columns: cuts of the "
          "crude line a day):", "",
          *table(["assaults a day / cuts a day", *(f"{c:g}" for c in sab_values)], rows))
    base_cut = next(ln for ln in pr.links
                    if ln.name == "Kirkuk crude pipeline").sabotage_rate_per_day
    base_att = pr.besiegers.attack_rate_per_day
    none = sw.at((0, 0), "operating_days")["mean"]
    cut_only = sw.at((base_cut, 0), "operating_days")["mean"]
    att_only = sw.at((0, base_att), "operating_days")["mean"]
    both = sw.at((base_cut, base_att), "operating_days")["mean"]
    held = [sw.at(v, "garrison_held")["mean"] for v in sw.grid]
    control = sw.at((0, base_att), "gov_control_final")["mean"]
    n.add(f"At the scenario's values: no interruption {none:.1f} days; crude-line cuts alone "
          f"({base_cut:g} a day) cost {none - cut_only:.1f} days; assaults alone "
          f"({base_att:g} a day) cost {none - att_only:.1f} days; both together "
          f"{none - both:.1f} days. The garrison holds in "
          f"{pct(min(held))} to {pct(max(held))} of the replications across the grid, but an "
          "assault that takes one outer sector breaks condition C2 (the whole plant is needed) "
          "until a counter-attack retakes it, and every break means a new restart (government "
          f"share of the plant at the end, assaults only: {control:.2f}).", "")

    n.add("### Expected conclusions", "")
    zero = [s for s in names[:3] if max(run.column(s, "operating_days")) == 0]
    n.claim(zero == names[:3],
            "Removing one obstacle alone gives nothing: with the surroundings no longer needed, "
            "or with safe routes, the refinery still never runs in any replication.")
    n.claim(run.mean("plant-and-routes", "operating_days") > 0
            and run.paired("plant-and-routes", "operating_days")["significant"],
            "Only when every condition holds at once does the government produce.")
    n.claim(run.mean("plant-and-routes", "operating_days")
            < run.mean("plant-and-routes", "operable_days"),
            "Even then it operates on fewer days than the conditions hold: every interruption "
            "stops the plant and costs a new restart.")
    n.claim(abs(none - (pr.horizon_days - restart)) < 5,
            f"With neither sabotage nor assaults the plant operates about horizon - restart = "
            f"{pr.horizon_days - restart:g} days ({none:.1f} in the sweep).")
    n.claim(none - cut_only > 10 and none - att_only > 10,
            "Both the cuts of the single crude line and the assaults cost weeks of production "
            "each: a cut costs its repair plus a full restart; a lost sector stops the plant "
            "although the garrison holds.")
    n.claim(sw.at((max(sab_values), max(att_values)), "operating_days")["mean"] < both,
            "The more often either happens, the less the plant runs: with a 30-day restart, "
            "interruptions every month or so leave almost nothing.")
    n.claim(run.mean("ground-campaign", "operating_days")
            < run.mean("plant-and-routes", "operating_days"),
            "Retaking the villages restores the conditions the realistic way, but only after "
            "months, so the ground campaign produces far less in six months.")


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
    n.add("**Q2.** `results/ex05-coordination` (600 replications each):", "",
          *table(["scenario", "operating days", "operating at horizon", "refinery runs",
                  "garrison holds"], rows),
          "Paired (coordinated minus ground-campaign): "
          + "; ".join(f"{m}: {paired_text(coord.paired('coordinated', m))}"
                      for m in ("operating_days", "operating_at_horizon", "siege_lifted_day")),
          "")
    names = ("relief-race", "relief-race-coordinated")
    rows = []
    order: dict[str, tuple[float, float, float]] = {}
    for s in names:
        falls, lifts = race.column(s, "garrison_fall_day"), race.column(s, "siege_lifted_day")
        total = len(falls)
        relief_first = sum(not math.isnan(lf) for lf in lifts) / total
        fall_first = sum(not math.isnan(f) and math.isnan(lf)
                         for f, lf in zip(falls, lifts, strict=True)) / total
        order[s] = (relief_first, fall_first, 1 - relief_first - fall_first)
        rows.append([s, est(race.m(s, "garrison_held")),
                     event_share(race.m(s, "garrison_fall_day")),
                     event_median(race.m(s, "garrison_fall_day")),
                     event_share(race.m(s, "siege_lifted_day")),
                     event_median(race.m(s, "siege_lifted_day")),
                     f"{pct(order[s][0])} / {pct(order[s][1])} / {pct(order[s][2])}"])
    falls = [f for f in race.column("relief-race", "garrison_fall_day") if not math.isnan(f)]
    falls.sort()
    n.add("**Q3-Q4.** `results/ex05-race` (600 replications each); the last column, from "
          "`replications.csv`, is the share of replications in which the relief came first / "
          "the garrison fell first / neither by the horizon:", "",
          *table(["scenario", "garrison holds", "garrison falls", "median fall day",
                  "siege lifted", "median lift day", "relief first / fall first / neither"],
                 rows),
          f"Among the relief-race garrisons that fall, the median fall day is "
          f"{falls[len(falls) // 2]:.0f} (from `replications.csv`)." if falls else "",
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
    n.claim(order["relief-race"][1] > order["relief-race-coordinated"][1],
            "Without coordination the garrison falls before the relief arrives much more often.")
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
    n.add("**Q2-Q3.** `results/ex06-may-2015` (1,000 replications):", "",
          *table(["outcome", "value [95% CI]"], [
              ["producing at the horizon (operating at horizon)",
               est(run.m(s, "operating_at_horizon"))],
              ["produced at all within the year (refinery runs)",
               event_share(run.m(s, "first_operating_day"))],
              ["operating days", est(run.m(s, "operating_days"))],
              ["garrison holds the year", est(run.m(s, "garrison_held"))],
              ["garrison falls", event_share(run.m(s, "garrison_fall_day"))],
              ["median fall day", event_median(run.m(s, "garrison_fall_day"))],
              ["siege lifted", event_share(run.m(s, "siege_lifted_day"))],
              ["refinery damage at the end (mean)", est(run.m(s, "refinery_damage_final"), 2)],
          ]))
    from sim.analysis.statistics import wilson_interval

    threshold = may.refinery.damage_threshold
    damage = run.column(s, "refinery_damage_final")
    wrecked = sum(d >= threshold for d in damage)
    p, lo, hi = wilson_interval(wrecked, len(damage))
    n.add(f"**Q4.** From `replications.csv`: the plant ends the year at or above the damage "
          f"threshold {threshold:g} in {wrecked} of {len(damage)} replications, "
          f"{ci_text(p, lo, hi, 2, True)} (Wilson interval); the 95th percentile of the final "
          f"damage is {run.m(s, 'refinery_damage_final')['p95']:.2f}.", "")
    fall = load_json("results/ex06-sensitivity-fall", "sensitivity.json")
    operating = load_json("results/ex06-sensitivity-operating", "sensitivity.json")
    by_path = {r.path: r for r in rows}
    top = fall["indices"][:5]

    def source(path: str) -> str:
        r = by_path.get(path)
        if r is None:
            return "?"
        if r.kind == "fact":
            return f"fact `{r.source}`"
        rng = f", range {r.range[0]:g} to {r.range[1]:g}" if r.range else ""
        return f"assumption{rng}"

    n.add(f"**Q5.** Morris screening of `garrison_fall_day` ({fall['design_points']} design "
          f"points x {fall['replications']} replications = {fall['model_runs']} runs), top "
          "five:", "",
          *table(["rank", "parameter", "value in may-2015", "mu_star", "mu_star_conf",
                  "source"],
                 [[str(i + 1), f"`{r['parameter']}`", f"{by_path[r['parameter']].value}",
                   f"{r['mu_star']:.1f}", f"{r['mu_star_conf']:.1f}", source(r["parameter"])]
                  for i, r in enumerate(top)]))
    clear = sum(r["mu_star"] > r["mu_star_conf"] for r in top)
    n.add(f"Only {clear} of these five have a mu_star larger than its uncertainty "
          f"(mu_star_conf): with {fall['settings'].get('trajectories')} trajectories and "
          f"{fall['replications']} replications a point the ranking is indicative; more "
          "trajectories narrow it.", "")
    op_max = max(r["mu_star"] for r in operating["indices"])
    nonzero = sum(r["mu_star"] > 0 for r in operating["indices"])
    resolved = sum(r["mu_star"] > (r["mu_star_conf"] or 0) for r in operating["indices"])
    n.add(f"**Q6.** `operating_days`: the largest mu_star is {op_max:.3g} days; "
          f"{nonzero} of {len(operating['indices'])} parameters have a non-zero mu_star and "
          f"{resolved} a mu_star above its confidence half-width. With "
          f"{operating['replications']} replications per point and production in only "
          f"{pct(event_share_value(run.m(s, 'first_operating_day')))} "
          "of replications, most design points see no production at all (the points share "
          "their seeds, so they miss it alike). A useful ranking needs many more replications "
          "per point (hundreds), i.e. tens of times the run time, or a more frequent outcome "
          "such as `garrison_fall_day`.", "")

    n.add("### Expected conclusions", "")
    oh = run.m(s, "operating_at_horizon")
    n.claim(oh["ci95"][1] < 0.5,
            f"Production within a year is unlikely: the government is producing at the end of "
            f"the year in only {pct(oh['mean'])} of the replications.")
    n.claim(p > oh["mean"],
            "The plant is more often wrecked (damage above the threshold) than producing at the "
            "end of the year: sabotage on retreat and fighting inside the plant take their toll.")
    n.claim(run.m(s, "garrison_fall_day")["p_event_by_horizon"]["share"] > 0.5,
            "The garrison on a fifth of the plant falls within the year in most replications.")
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
    same_first = small.rows == big.rows[:len(small.rows)]
    n.add(f"**Q4.** `cmp` exit code {cmp_run.returncode} "
          f"({'identical files' if cmp_run.returncode == 0 else 'files differ'}). The first 20 "
          f"rows of the 2,000-replication file are "
          f"{'identical to' if same_first else 'DIFFERENT from'} the 20-replication file.", "")
    p = hb["mean"]
    need = 1.96 ** 2 * p * (1 - p) / 0.025 ** 2
    prec = load_json("results/ex07-precision", "summary.json")["stopping"]
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


ANSWERS: dict[int, Callable[[Exercise, Notes], None]] = {
    1: ex01, 2: ex02, 3: ex03, 4: ex04, 5: ex05, 6: ex06, 7: ex07}


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
        f"- Model source fingerprint (sim/*.py): `{model_fingerprint()}`",
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
    NOTES.write_text("\n".join(head + notes.lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {NOTES.relative_to(REPO)} in {elapsed:.0f} s "
          f"({notes.checked - len(notes.failed)}/{notes.checked} conclusions confirmed)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
