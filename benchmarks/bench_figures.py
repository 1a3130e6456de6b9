"""What drawing the default figures costs the main process, before and after a change.

Each measurement runs in a fresh interpreter (so importing matplotlib and loading its fonts
are counted, as they are in a real ``baiji-sim run``) that imports a version of
``sim.output.plots`` and calls its ``write_plots`` on a results folder, timing CPU with
``time.process_time`` (this process only) and wall time with ``time.perf_counter``:

- ``import``: importing the plots module (matplotlib with it), after what a run has
  already imported when it draws (``sim.output.results``);
- ``write_plots``: reading the folder and drawing and saving every figure;
- then, in the same warm process, each figure's build + ``savefig`` on its own.

``--before REF`` also times ``sim/output/plots.py`` as it was at the git commit REF (reading
the folder with that commit's ``results_folder.py``), loaded from ``git show`` beside the
current package, so both versions are measured in one run on the same folder.
``--end-to-end`` times ``baiji-sim run`` on the same scenarios with and without figures
(wall time, also from the end of the batch to the exit, which leaves out the batch's
noise: what the figures add is there; the main process's CPU from ``RUSAGE_SELF``; and
the CPU of all the run's processes, workers and fork server included, from this script's
``RUSAGE_CHILDREN``); with
``--before REF`` the package of commit REF too (a temporary git worktree, its own
scenarios), all runs interleaved. ``--end-to-end-n`` sets their replications and
``--skip-figures`` leaves out the per-figure probes.

    python benchmarks/bench_figures.py --before 66d0db9            # scenarios/*.yaml, -n 1000
    python benchmarks/bench_figures.py --folder results --repeat 5
    python benchmarks/bench_figures.py --before 66d0db9 --end-to-end --json fig.json
    python benchmarks/bench_figures.py --before 046c497 --end-to-end --skip-figures -n 10

A benchmark, not a test: absolute times depend on the machine and its load; compare the
versions measured in one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import importlib.util, json, sys, time
from pathlib import Path

source, folder, out, fmt = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
import sim.output.results  # already loaded in the process of a run when it draws its figures
cpu0, wall0 = time.process_time(), time.perf_counter()
if source == "current":
    import sim.output.plots as plots
else:  # plots.py and results_folder.py of another commit, the first reading with the second
    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    plots = load("plots_before", source)
    folder_module = load("results_folder_before", Path(source).with_name("folder_before.py"))
    plots.load_results = folder_module.load_results
cpu1, wall1 = time.process_time(), time.perf_counter()
written = plots.write_plots(folder, fmt, out / "first")
cpu2, wall2 = time.process_time(), time.perf_counter()
data = plots.load_results(folder)
cpu3 = time.process_time()
figures = {"(load_results)": cpu3 - cpu2}
for name, build in plots.FIGURES.items():
    t = time.process_time()
    fig = build(data)
    if fig is not None:
        fig.savefig(out / f"{name}.{fmt}", dpi=110)
        figures[name] = time.process_time() - t
print("PROBE " + json.dumps({
    "import_cpu": cpu1 - cpu0, "import_wall": wall1 - wall0,
    "write_cpu": cpu2 - cpu1, "write_wall": wall2 - wall1,
    "files": sorted(p.name for p in written), "figures": figures}))
"""

RUN_PROBE = r"""
import resource, sys, time
import sim.cli.app as cli
import sim.runner.store as store

batch_end = []  # when the batch's last replication came back: the figures start after it
run_to_folder = store.run_to_folder
def timed_run_to_folder(*a, **k):
    try:
        return run_to_folder(*a, **k)
    finally:
        batch_end.append(time.perf_counter())
store.run_to_folder = timed_run_to_folder
args = sys.argv[1:]
start = time.perf_counter()
try:
    cli.app(["run", *args], standalone_mode=False)
except SystemExit as exc:
    if exc.code:
        raise
end = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print("PROBE", end - start, usage.ru_utime + usage.ru_stime, end - batch_end[-1])
"""


def probe(source: str, folder: Path, fmt: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-fig-") as tmp:
        done = subprocess.run([sys.executable, "-c", PROBE, source, str(folder), tmp, fmt],
                              capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"the probe of {source} failed:\n{done.stderr}")
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("PROBE "))
    return json.loads(line[len("PROBE "):])


def old_module(ref: str, into: Path) -> Path:
    """plots.py of commit ``ref`` (and beside it that commit's results_folder.py, which it
    reads the folder with), as files in ``into``."""
    for source, name in (("sim/output/plots.py", "plots_before.py"),
                         ("sim/output/results_folder.py", "folder_before.py")):
        text = subprocess.run(["git", "show", f"{ref}:{source}"], capture_output=True,
                              text=True, check=True, cwd=REPO).stdout
        (into / name).write_text(text, encoding="utf-8")
    return into / "plots_before.py"


def make_folder(scenarios: list[str], n: int, workers: int, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "sim", "run", *scenarios, "-n", str(n), "--workers",
                    str(workers), "--no-plots", "--out", str(out), "--force"],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)


def end_to_end(scenarios: list[str], n: int, workers: int, repeat: int,
               trees: dict[str, Path]) -> dict:
    """Wall time, main-process CPU and the CPU of all its processes (workers and fork server
    included: what the bench's own ``RUSAGE_CHILDREN`` gains when the run is reaped) of
    ``run`` with and without figures, for each version of the package in ``trees`` (label ->
    a checkout, whose own ``scenarios/`` are run), all interleaved."""
    runs: dict[str, dict[str, list[tuple[float, float, float, float]]]] = {
        label: {"--no-plots": [], "--plots": []} for label in trees}
    names = [str(Path(s).resolve().relative_to(REPO)) if Path(s).resolve().is_relative_to(REPO)
             else s for s in scenarios]
    with tempfile.TemporaryDirectory(prefix="bench-fig-run-") as tmp:
        for _ in range(repeat):
            for label, tree in trees.items():
                for flag in runs[label]:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    done = subprocess.run(
                        [sys.executable, "-c", RUN_PROBE, *names, "-n", str(n), "--workers",
                         str(workers), flag, "--out", str(Path(tmp) / "r"), "--force"],
                        capture_output=True, text=True, check=True, cwd=tree)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("PROBE "))
                    _, wall, cpu, tail = line.split()
                    every = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                    runs[label][flag].append((float(wall), float(cpu), every, float(tail)))
    return {label: {flag: {"wall": [r[0] for r in v], "cpu": [r[1] for r in v],
                           "all_cpu": [r[2] for r in v], "after_batch": [r[3] for r in v]}
                    for flag, v in by_flag.items()}
            for label, by_flag in runs.items()}


def checkout(ref: str, into: Path) -> Path:
    """A detached checkout of ``ref`` (git worktree) in ``into``; removed by the caller."""
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(into), ref], check=True,
                   cwd=REPO, capture_output=True)
    return into


def print_end_to_end(e2e: dict, scenarios: int, n: int, workers: int, repeat: int) -> None:
    print(f"\n`run` of {scenarios} scenarios, -n {n}, {workers} workers (median of {repeat}, "
          "interleaved); figures = with figures minus --no-plots:")
    print("| version | run | wall s | after the batch, wall s | main-process CPU s "
          "| all processes CPU s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, by_flag in e2e.items():
        med = {f: {k: statistics.median(v[k]) for k in v} for f, v in by_flag.items()}
        for flag, m in med.items():
            print(f"| {label} | {flag} | {m['wall']:.2f} | {m['after_batch']:.2f} | "
                  f"{m['cpu']:.2f} | {m['all_cpu']:.2f} |")
        a, b = med["--plots"], med["--no-plots"]
        print(f"| {label} | figures | {a['wall'] - b['wall']:+.2f} | "
              f"{a['after_batch'] - b['after_batch']:+.2f} | {a['cpu'] - b['cpu']:+.2f} | "
              f"{a['all_cpu'] - b['all_cpu']:+.2f} |")
        print(f"| {label} | ratio | {a['wall'] / b['wall']:.3f} | | {a['cpu'] / b['cpu']:.3f} | "
              f"{a['all_cpu'] / b['all_cpu']:.3f} |")


def figure_probes(args: argparse.Namespace, scenarios: list[str]) -> dict[str, list[dict]]:
    """Each version's ``write_plots`` and figures, in fresh processes, printed."""
    with tempfile.TemporaryDirectory(prefix="bench-fig-src-") as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "results"
            make_folder(scenarios, args.replications, args.workers, folder)
        versions = {"after (working tree)": "current"}
        if args.before:
            versions = {f"before ({args.before})": str(old_module(args.before, Path(tmp))),
                        **versions}
        measured: dict[str, list[dict]] = {v: [] for v in versions}
        for _ in range(args.repeat):  # interleaved, so both versions see the same load
            for label, source in versions.items():
                measured[label].append(probe(source, folder, args.format))

    print(f"Figures of {folder} ({len(scenarios)} scenarios, {args.format}); median of "
          f"{args.repeat} fresh processes, CPU seconds of the drawing process\n")
    print("| version | import | write_plots | total CPU | write_plots wall | files |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, rows in measured.items():
        imp = statistics.median(r["import_cpu"] for r in rows)
        write = statistics.median(r["write_cpu"] for r in rows)
        total = statistics.median(r["import_cpu"] + r["write_cpu"] for r in rows)
        wall = statistics.median(r["write_wall"] for r in rows)
        print(f"| {label} | {imp:.2f} | {write:.2f} | {total:.2f} | {wall:.2f} | "
              f"{len(rows[0]['files'])} |")
    for label, rows in measured.items():
        print(f"\n{label}, each figure (build + savefig, warm process, median CPU s):")
        for name in rows[0]["figures"]:
            print(f"  {name:20s} {statistics.median(r['figures'][name] for r in rows):.3f}")
    return measured


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", type=Path, help="an existing results folder (default: run "
                    "the scenarios with --no-plots into a temporary one)")
    ap.add_argument("scenarios", nargs="*", help="scenario files (default: scenarios/*.yaml)")
    ap.add_argument("-n", "--replications", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--format", default="png")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per version")
    ap.add_argument("--before", metavar="REF", help="also time plots.py at this git commit")
    ap.add_argument("--end-to-end", action="store_true",
                    help="also time `run` with and without figures (slow)")
    ap.add_argument("--end-to-end-n", type=int, metavar="N",
                    help="replications of the end-to-end runs (default: -n)")
    ap.add_argument("--skip-figures", action="store_true",
                    help="only the end-to-end runs (no per-figure probes)")
    ap.add_argument("--json", type=Path, help="write the measurements here")
    args = ap.parse_args(argv)
    scenarios = args.scenarios or sorted(str(p) for p in (REPO / "scenarios").glob("*.yaml"))

    report: dict = {"replications": args.replications, "scenarios": len(scenarios)}
    if not args.skip_figures:
        report["figures"] = figure_probes(args, scenarios)

    if args.end_to_end:
        with tempfile.TemporaryDirectory(prefix="bench-fig-tree-") as tmp:
            trees = {"after (working tree)": REPO}
            if args.before:
                trees = {f"before ({args.before})": checkout(args.before, Path(tmp) / "before"),
                         **trees}
            try:
                e2e = end_to_end(scenarios, args.end_to_end_n or args.replications,
                                 args.workers, args.repeat, trees)
            finally:
                if args.before:
                    subprocess.run(["git", "worktree", "remove", "--force",
                                    str(Path(tmp) / "before")], cwd=REPO, check=False)
        report["end_to_end"] = e2e
        print_end_to_end(e2e, len(scenarios), args.end_to_end_n or args.replications,
                         args.workers, args.repeat)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
