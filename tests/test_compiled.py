"""The optional compiled build (``make compiled``) gives the same numbers as the sources.

``make compiled`` compiles ``sim/rng.py`` and ``sim/model/*.py`` with mypyc into a copy
of the package in ``build/compiled/``; ``sim/`` itself never holds compiled modules, so a
normal run, this test suite included, runs the pure-Python sources (the first test says
so, and fails if a compiled module ever shadows one).

When a compiled build is present and was built from the current sources, two
subprocesses run the same replications of three shipped scenarios, one with
``PYTHONPATH=build/compiled`` and one without, and the digests of their metrics, daily
series and traces (``tests/test_golden_numbers.py``'s ``digest``) must be identical.
Otherwise the comparison is skipped and says why. Build it with ``make compiled``
(needs a C compiler; the default install and CI compile nothing).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim.model.replication  # the modules the first test inspects
import sim.rng  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
COMPILED = ROOT / "build" / "compiled"
SCENARIOS = ["scenarios/baseline.yaml", "scenarios/may-2015.yaml",
             "scenarios/campaign-2014-15.yaml"]
REPLICATIONS = 100  # per scenario, each with its trace

# Run in a subprocess: the digest of each scenario over REPLICATIONS seeds, and which file
# each model module was loaded from.
CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])  # tests/, for test_golden_numbers
import test_golden_numbers as golden
import sim.model, sim.rng
from pathlib import Path
from sim.rng import replication_seeds
golden.SEEDS = replication_seeds(2015, int(sys.argv[2]))
files = {m: sys.modules[m].__file__ for m in sorted(sys.modules)
         if m == "sim.rng" or m.startswith("sim.model.")}
print(json.dumps({"files": files,
                  "digests": {p: golden.digest(golden.ROOT / p) for p in sys.argv[3:]}}))
"""


def model_modules() -> dict[str, str]:
    """The model modules this process has loaded, and the file each came from."""
    import sim.model.metrics  # noqa: F401  (loaded by every run; make sure it is here)

    return {m: str(mod.__file__) for m, mod in sorted(sys.modules.items())
            if m == "sim.rng" or (m.startswith("sim.model.") and mod is not None)}


def test_the_tests_run_the_pure_python_modules() -> None:
    files = model_modules()
    assert "sim.model.replication" in files and "sim.rng" in files
    compiled = {m: f for m, f in files.items() if not f.endswith(".py")}
    assert not compiled, (
        f"compiled modules shadow the sources in this test run: {compiled}. The compiled "
        "build belongs in build/compiled/ (make compiled); remove stray extension modules "
        "from sim/ (find sim -name '*.so' -delete).")
    stray = sorted(p.relative_to(ROOT).as_posix() for suffix in
                   importlib.machinery.EXTENSION_SUFFIXES for p in (ROOT / "sim").rglob(
                       f"*{suffix}"))
    assert not stray, f"extension modules in sim/ would shadow the sources: {stray}"


def stale_sources() -> list[str]:
    """Files whose current content differs from what ``make compiled`` copied and built."""
    listed = {}
    for line in (COMPILED / "SOURCES.sha256").read_text().splitlines():
        digest, path = line.split(maxsplit=1)
        listed[path] = digest
    current = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sim").rglob("*.py")}
    changed = sorted(current ^ listed.keys())
    changed += sorted(p for p in current & listed.keys()
                      if hashlib.sha256((ROOT / p).read_bytes()).hexdigest() != listed[p])
    return changed


def compiled_build_or_skip() -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    if not (COMPILED / "sim" / "model" / f"replication{suffix}").exists():
        pytest.skip(f"no compiled build for this interpreter in {COMPILED.relative_to(ROOT)}/ "
                    f"(no sim/model/replication{suffix}): run `make compiled` (needs a C "
                    "compiler) to compare it with the sources")
    if not (COMPILED / "SOURCES.sha256").exists():
        pytest.skip("the compiled build has no SOURCES.sha256: rebuild it with `make compiled`")
    stale = stale_sources()
    if stale:
        pytest.skip(f"the compiled build is older than the sources ({', '.join(stale[:5])}"
                    f"{'...' if len(stale) > 5 else ''}): rebuild it with `make compiled`")


def run_child(tmp_path: Path, compiled: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if compiled:
        env["PYTHONPATH"] = str(COMPILED)
    # cwd is an empty folder: the script's own folder ('' for -c) must not put sim/ first.
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "tests"), str(REPLICATIONS), *SCENARIOS],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_compiled_build_gives_the_same_numbers(tmp_path: Path) -> None:
    compiled_build_or_skip()
    pure = run_child(tmp_path, compiled=False)
    built = run_child(tmp_path, compiled=True)

    # Each subprocess ran the variant it was meant to: every model module compiled, or none.
    assert all(f.endswith(".py") for f in pure["files"].values()), pure["files"]
    not_compiled = [m for m, f in built["files"].items() if m != "sim.model"
                    and (f.endswith(".py") or not f.startswith(str(COMPILED)))]
    assert not not_compiled, f"not loaded from the compiled build: {not_compiled}"
    assert "sim.model.replication" in built["files"]

    assert built["digests"].keys() == set(SCENARIOS)
    differ = [p for p in SCENARIOS if built["digests"][p] != pure["digests"][p]]
    assert not differ, (
        f"the compiled build gives other numbers than the sources for {differ} "
        f"({REPLICATIONS} replications each, metrics, daily series and traces)")


def test_the_benchmark_measures_both_variants(tmp_path: Path) -> None:
    compiled_build_or_skip()
    spec = importlib.util.spec_from_file_location(
        "bench_replication", ROOT / "benchmarks" / "bench_replication.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_replication"] = bench  # dataclasses look their module up
    spec.loader.exec_module(bench)
    out = tmp_path / "both.json"
    assert bench.main(["scenarios/flights-halted.yaml", "--compiled", "--replications", "3",
                       "--count", "2", "--repeat", "1", "--rounds", "1",
                       "--json", str(out)]) == 0
    (pair,) = json.loads(out.read_text(encoding="utf-8"))["scenarios"]
    assert pair["pure"]["events_per_replication"] == pair["compiled"]["events_per_replication"]
    assert pair["pure"]["ratio"] > 0 and pair["compiled"]["ratio"] > 0
