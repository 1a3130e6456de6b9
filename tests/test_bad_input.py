"""Every bad input is refused cleanly: one line naming the file and the field (or the option)
and what is allowed, exit code 2, no traceback, in bounded time and memory (issue 14).

The corpus: the malformed files of ``tests/bad_inputs/`` (each says in its header what the
error must name and say), inputs too large or too strange to keep in the repository (made
here: a 2 MB file, a chain of 1,000 ``extends``, a named pipe, a symlink loop...), and bad
command-line options. Each goes through the real command line (typer's CliRunner) under a
time limit and a memory limit (tracemalloc's peak); a few run as real processes with the
address space and the time capped by the operating system.
"""

from __future__ import annotations

import copy
import math
import os
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.sensitivity import uncertain_parameters
from sim.cli.app import app
from sim.output.results_folder import safe_name
from sim.scenario.loading import (
    MAX_FILE_BYTES,
    ScenarioError,
    apply_overrides,
    check_band_memory,
    load_scenario,
    one_line,
    validate,
)
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import MAX_EVENTS, arrival_rates

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "bad_inputs"
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml")) + sorted(
    (REPO / "scenarios" / "exercises").glob("*.yaml"))
CASES = sorted(CORPUS.glob("*.yaml"))
SECONDS = 10.0  # CPU time of each refusal; most take milliseconds
HANG = 6  # the clock may run this many times SECONDS (a loaded machine) before a hang
PEAK_BYTES = 128 << 20  # Python's allocations while refusing one input (tracemalloc peak)
runner = CliRunner()


class TooSlow(Exception):
    pass


@contextmanager
def bounded(seconds: float = SECONDS, peak: int | None = PEAK_BYTES) -> Iterator[None]:
    """Fail if the block takes more than ``seconds`` of CPU time or allocates more than
    ``peak`` bytes at once (``None``: the CPU bound only; tracemalloc quadruples the cost of
    a refusal). CPU time, not the clock: on a machine shared with other jobs the clock ran
    past the bound (10.1 s for a refusal that takes 3 s alone). A hang still fails instead
    of hanging the suite: an alarm stops the block after ``HANG`` times ``seconds`` on the
    clock."""

    def alarm(signum: int, frame: object) -> None:
        raise TooSlow(f"still running after {HANG * seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG * seconds)
    if peak is not None:
        tracemalloc.start()
    start = time.process_time()
    top = 0
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if peak is not None:
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    used = time.process_time() - start
    assert used < seconds, f"took {used:.1f} s of CPU time"
    assert peak is None or top < peak, f"allocated {top / 2**20:.0f} MiB at the peak"


def refused(*args: str | Path, memory: bool = True) -> str:
    """Run the CLI with ``args``; it must refuse them cleanly (within the memory bound too
    unless ``memory`` is False). Returns the one error line."""
    with bounded(peak=PEAK_BYTES if memory else None):
        result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert not result.stdout.strip(), result.stdout
    return lines[0]


def header(path: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a corpus file."""
    out = {}
    for raw in path.read_bytes().split(b"\n")[:3]:
        line = raw.decode("latin-1")
        if line.startswith("# ") and ": " in line:
            key, _, value = line[2:].partition(": ")
            out[key] = value
        elif line.startswith("# ") and line.endswith(":"):
            out[line[2:-1]] = ""
    return out


# --- the corpus of files ----------------------------------------------------------------------


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 80


def could_allocate_much(case: Path) -> bool:
    """Whether loading ``case`` could allocate much: a file over 1 KiB, YAML anchors,
    aliases or merge keys (they expand), or a parent other than the baseline. The other
    corpus files are one small bad value under the baseline: they are held to the CPU bound
    only, and the run and option tests keep the memory bound for every case they try."""
    text = case.read_bytes()
    return (len(text) > 1024 or any(mark in text for mark in (b"&", b"*", b"<<"))
            or (b"extends:" in text and b"scenarios/baseline.yaml" not in text))


def test_the_memory_bound_is_checked_where_memory_could_grow() -> None:
    checked = {c.stem for c in CASES if could_allocate_much(c)}
    assert {"alias-bomb", "alias-bomb-in-parent", "areas-2000", "flow-mappings-2000",
            "merge-key-chain", "extends-dev-zero"} <= checked
    assert "advantage-1e300" not in checked


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_validate_refuses_a_corpus_file_in_one_line(case: Path) -> None:
    expect = header(case)
    assert "field" in expect and "says" in expect, f"{case.name}: header without field/says"
    line = refused("validate", case, memory=could_allocate_much(case))
    blamed = str(case.parent / expect["file"]) if "file" in expect else str(case)
    prefix = f"error: {blamed}: {expect['field']}"
    assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}"
    assert expect["says"] in line, line


@pytest.mark.parametrize("case", CASES[::4], ids=[c.stem for c in CASES[::4]])
def test_run_refuses_a_corpus_file_before_writing_anything(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    line = refused("run", BASELINE, case, "-n", "2", "--workers", "1", "--out", out,
                   memory=could_allocate_much(case))
    assert str(case.parent) in line
    assert not out.exists()


@pytest.mark.parametrize("command", [["trace"], ["explain"], ["sweep", "--param",
                                     "garrison.troops", "--values", "300,400", "-n", "2"]])
def test_other_commands_refuse_the_same_way(command: list[str], tmp_path: Path) -> None:
    case = CORPUS / "alias-bomb.yaml"
    line = refused(command[0], case, *command[1:], *(["--out", tmp_path / "o"]
                                                     if command[0] == "sweep" else []))
    assert "more than 50,000 values" in line


# --- inputs made here: too large, too many, too strange to keep in the repository ----------


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def extending(folder: Path, parent: str | Path, name: str = "child.yaml") -> Path:
    return write(folder / name, f"extends: {parent}\nname: child\n")


def big_file(folder: Path) -> Path:
    return write(folder / "big.yaml", f"extends: {BASELINE}\n" + "# padding\n" * 220_000)


def chain_of_extends(folder: Path) -> Path:
    for i in range(1000):
        write(folder / f"c{i}.yaml", f"extends: c{i + 1}.yaml\n" if i < 999 else
              BASELINE.read_text(encoding="utf-8"))
    return folder / "c0.yaml"


def nested_mappings(folder: Path) -> Path:
    return write(folder / "maps.yaml", "{a: " * 20_000 + "1" + "}" * 20_000 + "\n")


def long_flat_list(folder: Path) -> Path:
    return write(folder / "list.yaml", "areas: [" + "0, " * 100_000 + "0]\n")


def fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.yaml")
    return folder / "pipe.yaml"


def symlink_loop(folder: Path) -> Path:
    (folder / "loop-a.yaml").symlink_to(folder / "loop-b.yaml")
    (folder / "loop-b.yaml").symlink_to(folder / "loop-a.yaml")
    return folder / "loop-a.yaml"


# name: (make the file to validate, the field its error names, what it says)
MADE: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "file over 1 MiB": (big_file, "", "larger than 1,048,576 bytes"),
    "parent over 1 MiB": (lambda d: extending(d, big_file(d)), "extends",
                          "larger than 1,048,576 bytes"),
    "1,000 files extending one another": (chain_of_extends, "extends", "more than 32 files"),
    "20,000 nested mappings": (nested_mappings, "a.a.a", "nested more than 64"),
    "100,000 values without aliases": (long_flat_list, "areas", "more than 50,000 values"),
    "named pipe as the file": (fifo, "", "not a regular file"),
    "named pipe as parent": (lambda d: extending(d, fifo(d)), "extends", "not a regular file"),
    "symlink loop as parent": (lambda d: extending(d, symlink_loop(d)), "extends",
                               "cannot be read"),
    "symlink loop as the file": (symlink_loop, "", "cannot read"),
    "directory as the file": (lambda d: d, "", "is a directory"),
    "/dev/zero as the file": (lambda d: Path("/dev/zero"), "", "not a regular file"),
    "missing file": (lambda d: d / "nowhere.yaml", "", "no such file"),
    "parent named by an absolute path to a device": (
        lambda d: extending(d, "/dev/null"), "extends", "not a regular file"),
}


@pytest.mark.parametrize("name", list(MADE))
def test_made_inputs_are_refused_in_one_line(name: str, tmp_path: Path) -> None:
    make, field, says = MADE[name]
    path = make(tmp_path)
    line = refused("validate", path)
    assert line.startswith(f"error: {path}: {field}"), line
    assert says in line, line


def test_a_file_is_read_only_up_to_its_limit(tmp_path: Path) -> None:
    """Even a file that reports no size (as /proc files do) is read at most 1 MiB + 1 byte."""
    path = big_file(tmp_path)
    assert path.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(ScenarioError, match="larger than"), bounded(peak=8 << 20):
        load_scenario(path)


# --- options ------------------------------------------------------------------------------

B = str(BASELINE)
RUN = ["run", B, "--workers", "1", "-n", "2"]
SWEEP = ["sweep", B, "--param", "garrison.troops", "--values", "300,400", "-n", "2"]
SENS = ["sensitivity", B, "-n", "2", "--trajectories", "2"]
# (arguments, what the error line must contain); --out is added where a command takes it.
OPTIONS: list[tuple[list[str], str]] = [
    (["run", B, "-n", "1000000000000", "--workers", "1"], "-n"),
    (["run", B, "-n", "0"], "-n"),
    (["run", B, "-n", "-3"], "-n"),
    (["run", B, "-n", "many"], "-n"),
    (["run", B, "-n", "1e3"], "-n"),
    (["run", B, "-n", "9" * 5000], "-n"),
    ([*RUN, "--seed", "-1"], "--seed"),
    ([*RUN, "--seed", str(2**64)], "--seed"),
    ([*RUN, "--workers", "0"], "--workers"),
    (["run", B, "-n", "2", "--workers", "1000000"], "--workers"),
    ([*RUN, "--scheduler", "not a url"], "--scheduler"),
    ([*RUN, "--scheduler", "tcp://host-without-port"], "--scheduler"),
    ([*RUN, "--scheduler", "tcp://host:99999"], "--scheduler"),
    ([*RUN, "--scheduler", "http://host:8786"], "--scheduler"),
    ([*RUN, "--scheduler", "tcp://[::1"], "--scheduler"),
    ([*RUN, "--scheduler", ""], "--scheduler"),
    ([*RUN, "--dask", "remote"], "--dask"),
    ([*RUN, "--plot-format", "bmp"], "--plot-format"),
    ([*RUN, "--baseline", "no-such-scenario"], "--baseline"),
    ([*RUN, "--select", "no_such_metric"], "--select"),
    ([*RUN, "--precision", "0.1", "--precision-metric", "nope"], "--precision-metric"),
    ([*RUN, "--precision", "-1"], "--precision"),
    ([*RUN, "--precision", "nan"], "--precision"),
    ([*RUN, "--precision", "inf"], "--precision"),
    ([*RUN, "--precision", "0.1", "--abs-precision", "inf"], "--abs-precision"),
    ([*RUN, "--max-replications", "1"], "--max-replications"),
    ([*RUN, "--precision", "0.1", "--max-replications", "1000000000000"], "--max-replications"),
    ([*RUN, "--frobnicate"], "--frobnicate"),
    ([*RUN, "--set", "garrison.troops"], "--set takes path.to.key=value"),
    ([*RUN, "--set", "=5"], "needs a key"),
    ([*RUN, "--set", "garrison.troops=plenty"], "garrison.troops"),
    ([*RUN, "--set", "garrison.troops=1e400"], "garrison.troops"),
    ([*RUN, "--set", "horizon_days=.nan"], "horizon_days"),
    ([*RUN, "--set", "horizon_days=true"], "horizon_days"),
    ([*RUN, "--set", "garrison.supplies_days=.inf"], "garrison.supplies_days"),
    ([*RUN, "--set", ".".join(["a"] * 100) + "=1"], "more than 64 keys"),
    ([*RUN, "--set", "garrison.troops=" + "[" * 100 + "]" * 100], "nested more than 64"),
    ([*RUN, "--set", "areas.\u00b2.kind=village"], "areas.\u00b2"),
    ([*RUN, "--set", "areas." + "9" * 5000 + ".kind=village"], "areas."),
    ([*RUN, "--set", "name=x\ty"], "U+0009"),
    ([*RUN, "--set", "name=" + "n" * 300], "name"),
    (["run", "--resume", "/nonexistent/results"], "--resume"),
    (["run"], "SCENARIO"),
    (["trace", B, "--seed", str(2**64)], "--seed"),
    (["trace", B, "--seed", "-1"], "--seed"),
    (["trace", B, "--set", "engagement.decisiveness=1e308"], "engagement.decisiveness"),
    (["explain", B, "--diff", str(CORPUS / "nul-byte.yaml")], "nul-byte.yaml"),
    ([*SWEEP[:4], "--values", "0:1:1000000000", "-n", "2"], "--values"),
    ([*SWEEP[:4], "--values", "a,b", "-n", "2"], "--values"),
    ([*SWEEP[:4], "--values", ",".join(["1"] * 1001)], "--values"),
    ([*SWEEP, "--param", "garrison.supplies_days"], "--param"),
    ([*SWEEP[:-2], "-n", "1000000000000"], "-n"),
    ([*SWEEP, "--threshold", "garrison_held=plenty"], "--threshold"),
    ([*SWEEP[:4], "--values", "300,1e400"], "--values"),
    ([*SENS, "--trajectories", "1000000000000"], "--trajectories"),
    ([*SENS, "--sobol-n", "1000000000000", "--method", "sobol"], "--sobol-n"),
    ([*SENS[:-2], "--trajectories", "1"], "--trajectories"),
    ([*SENS[:2], "-n", "1000000000000"], "-n"),
    ([*SENS, "--range", "garrison.troops=400:300"], "--range"),
    ([*SENS, "--range", "garrison.troops=nan:inf"], "--range"),
    (["validate"], "scenarios"),
    (["plot", "/nonexistent/results"], "RESULTS"),
    (["report", "/nonexistent/results"], "RESULTS"),
]
TAKE_OUT = {"run", "sweep", "sensitivity"}


def sizes_something(args: list[str]) -> bool:
    """Whether an option could make the command allocate much before it refuses: a number
    of a million or more (a count, a range's length, a huge value), or an argument over 100
    characters (a long path, a deep nesting). The others are held to the CPU bound only
    (tracemalloc triples the cost of a refusal), as the corpus files are by
    :func:`could_allocate_much`."""
    for arg in args:
        if len(arg) > 100:
            return True
        if any(float(n) >= 1e6 for n in re.findall(r"\d+(?:\.\d+)?(?:e\d+)?", arg)):
            return True
    return False


def test_the_memory_bound_covers_every_option_that_sizes_something() -> None:
    bounded_options = [" ".join(a) for a, _ in OPTIONS if sizes_something(a)]
    for must in ("-n 1000000000000", "--values 0:1:1000000000", "--sobol-n 1000000000000",
                 "--trajectories 1000000000000", "--seed " + str(2**64)):
        assert any(must in line for line in bounded_options), must
    assert not sizes_something([*RUN, "--seed", "-1"])


def test_the_option_corpus_is_large_enough() -> None:
    assert len(OPTIONS) + len(CASES) + len(MADE) >= 80
    assert len(OPTIONS) >= 40


@pytest.mark.parametrize(("args", "named"), OPTIONS,
                         ids=[one_line(" ".join(a)[:60]) for a, _ in OPTIONS])
def test_a_bad_option_is_refused_in_one_line(args: list[str], named: str,
                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    extra = ["--out", str(out)] if args[0] in TAKE_OUT and "--resume" not in args else []
    line = refused(*args, *extra, memory=sizes_something(args))
    assert named in line, line
    assert not out.exists()


def test_scenarios_whose_file_names_collide_are_refused_by_run(tmp_path: Path) -> None:
    """'a b' and 'a_b' would both write scenarios/a_b.yaml; 'Case' and 'case' would on a
    case-insensitive disk."""
    for first, second in (("a b", "a_b"), ("Case", "case"), ("a/b", "a:b")):
        paths = [write(tmp_path / f"{i}.yaml", f"extends: {BASELINE}\nname: '{n}'\n")
                 for i, n in enumerate((first, second))]
        assert safe_name(first).casefold() == safe_name(second).casefold()
        out = tmp_path / "out"
        line = refused("run", *paths, "-n", "2", "--workers", "1", "--out", out)
        assert line.startswith(f"error: {paths[0]}, {paths[1]}: name: "), line
        assert "rename one" in line
        assert not out.exists()


# --- real processes, with the operating system's limits ------------------------------------

LIMIT_BYTES = 1 << 30  # address space of the process: 1 GiB
# The limit is set by the child itself (a preexec_fn is unsafe once the tests run threads).
LIMITED_CLI = ("import resource, runpy; "
               f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_BYTES}, {LIMIT_BYTES})); "
               "runpy.run_module('sim', run_name='__main__', alter_sys=True)")


@pytest.mark.parametrize("args", [
    ["validate", str(CORPUS / "alias-bomb.yaml")],
    ["validate", str(CORPUS / "extends-dev-zero.yaml")],
    ["validate", str(CORPUS / "brackets-1000.yaml")],
    ["validate", str(CORPUS / "binary.yaml")],
    ["run", B, "-n", "1000000000000", "--workers", "1"],
    ["run", B, "--scheduler", "not a url", "-n", "2"],
], ids=["alias-bomb", "dev-zero", "brackets", "binary", "n-1e12", "scheduler"])
def test_a_real_process_refuses_within_its_limits(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", LIMITED_CLI, *args], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# --- the messages ----------------------------------------------------------------------------


def test_a_message_escapes_control_characters_and_stays_short() -> None:
    err = ScenarioError("a\nb.yaml", "name", "bad \x00 \x1b[31m \u202e" + "x" * 10_000)
    text = str(err)
    assert "\n" not in text and "\x00" not in text and "\x1b" not in text
    assert "\u202e" not in text and "\\u202e" in text and "\\x00" in text
    assert len(text) < 2100
    assert err.message.startswith("bad \x00")  # the attributes keep what was found


def test_one_line_leaves_printable_text_alone() -> None:
    assert one_line("café, Baiji — بيجي") == "café, Baiji — بيجي"


# --- what validates runs: the shipped scenarios and their ranges sit inside the bounds ------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_recorded_range_stays_inside_the_bounds(path: Path) -> None:
    """Sensitivity sets parameters to either end of their provenance range: both ends of
    every range must lie inside the bounds (a cross-check such as strength <= max_strength
    may still fail, and sensitivity adjusts those), and the scenario must leave room below
    the event budget."""
    scenario = load_scenario(path)
    raw = scenario.model_dump(mode="json")
    leaves = scenario_leaves(scenario)
    for param, (lo, hi) in uncertain_parameters(scenario).items():
        for end in (lo, hi):
            value = int(end) if isinstance(leaves[param], int) else end
            data = copy.deepcopy(raw)
            apply_overrides(data, [f"{param}={value!r}"], path)
            try:
                check_band_memory(validate(data, path), path)
            except ScenarioError as exc:
                assert "bounds" not in str(exc) and "arrivals" not in str(exc), str(exc)
                assert "head counts" not in str(exc), str(exc)
    expected = scenario.horizon_days * (1 + sum(arrival_rates(scenario).values()))
    assert expected < MAX_EVENTS / 100


def test_the_documented_bounds_are_the_schema_bounds() -> None:
    """docs/model.md, section 4, states the bounds: the numbers must be the schema's."""
    import sim.cli.app as cli
    import sim.scenario.loading as loading
    import sim.scenario.schema as schema

    doc = (REPO / "docs" / "model.md").read_text(encoding="utf-8")
    section = doc[doc.index("**Bounds: what a file may hold"):doc.index("**Provenance.**")]
    for number in (schema.MAX_RATE, schema.MAX_HEADS, schema.MAX_TEAMS, schema.MAX_AIRCRAFT,
                   schema.MAX_SORTIES, schema.MAX_KBBL_DAY, schema.MAX_DECISIVENESS,
                   schema.MAX_NAME, schema.MAX_SCENARIO_NAME, schema.MAX_TEXT,
                   schema.MAX_ITEMS, schema.MAX_UNITS, schema.MAX_EVENTS, schema.MAX_CV,
                   loading.MAX_NESTING, loading.MAX_NODES, loading.MAX_EXTENDS,
                   loading.MAX_PATH_CHARS, cli.MAX_REPLICATIONS, cli.MAX_WORKERS,
                   cli.MAX_SWEEP_POINTS, cli.MAX_DESIGN):
        shown = f"{number:,.0f}" if number >= 1000 else f"{number:g}"
        power = f"10^{round(math.log10(number))}" if number >= 1e6 else None
        assert shown in section or power in section, f"{number} not in docs/model.md"
    assert "10^9" in section and schema.MAX_DAYS == 1e9
    assert "2^27" in section and loading.MAX_BAND_CELLS == 2**27


def test_yaml_aliases_within_the_budget_still_work(tmp_path: Path) -> None:
    """The limits refuse bombs, not YAML: anchors, aliases and merge keys load as before."""
    text = (f"extends: {BASELINE}\nname: anchored\nsupply_operators:\n"
            "  - &drops {name: first drops, kind: airdrop, aircraft: 2,"
            " sorties_per_aircraft_day: 0.3}\n"
            "  - {<<: *drops, name: second drops, aircraft: 1}\n")
    scenario = load_scenario(write(tmp_path / "anchors.yaml", text))
    ops = {op.name: op for op in scenario.supply_operators}
    assert ops["second drops"].aircraft == 1
    assert ops["second drops"].sorties_per_aircraft_day == 0.3


def test_a_key_repeated_through_a_merge_is_not_a_duplicate(tmp_path: Path) -> None:
    text = (f"extends: {BASELINE}\nname: merged\n"
            "garrison: &g {troops: 250, supplies_days: 30}\n"
            "besiegers: {<<: *g, strength: 500}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path / "merge.yaml", text))
    assert "given twice" not in str(info.value)
    assert re.match(r"besiegers\.(troops|supplies_days)", info.value.field)
