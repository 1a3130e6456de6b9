"""Every command the documentation shows runs: README.md and docs/exercises/*.md.

Each ```sh line is run in a subprocess from the top of the repository (``baiji-sim ...`` and
``python -m sim ...`` as ``sys.executable -m sim ...``), in the order of its document, and must
exit with 0 (or the code listed in EXPECTED_EXIT). To keep the file fast, batch sizes are made
small: ``-n``/``--replications`` to SMALL_N per command, ``--max-replications`` to 40,
``--trajectories`` to 2, ``--workers 1`` where none is given (no process pool to start; ``2``
in a document that sets ``--workers`` itself, so that a comparison across worker counts stays
one), and ``--no-plots`` on ``run``
(the figures are tested elsewhere; sweep and sensitivity still draw theirs). Every ``results/...``
path (``--out``, ``--resume``, and the arguments of later commands that read a results folder,
such as ``cmp``) goes to one temporary folder per document, so later commands find what earlier
ones wrote. The README's Python snippet runs too, with 10 replications.

Skipped: ``make ...`` (sets up the environment and runs the test suite itself: recursion),
``. .venv/bin/activate`` (the tests already run in the environment), and comment lines. Any
other skip is listed in SKIP with its reason.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import exercise_generator

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs" / "exercises").glob("*.md"))]
SH_BLOCK = re.compile(r"^```sh[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
PY_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
SMALL_N = {"run": 10, "sweep": 4, "sensitivity": 2}
BATCHES = tuple(SMALL_N)
SKIP: dict[str, str] = {}  # exact command line -> why it is not run
EXPECTED_EXIT: dict[str, int] = {}  # exact command line -> the exit code the docs show
TIMEOUT = 300


def skip_reason(line: str) -> str | None:
    if line.startswith("#"):
        return "comment"
    if line == "make" or line.startswith("make "):
        return "make sets up the venv and runs the tests itself (recursion)"
    if line.startswith(". .venv/bin/activate") or line.startswith("source .venv/bin/activate"):
        return "the tests already run inside the environment"
    return SKIP.get(line)


def _results_path(token: str, tmp: Path) -> str:
    if token == "results" or token.startswith("results/"):
        return str(tmp / token)
    return token


def small_argv(line: str, tmp: Path, counter: list[int], workers: int = 1) -> list[str]:
    """The command of ``line`` as run by the test (see the module docstring)."""
    tokens: list[str] = []
    for token in shlex.split(line, comments=True):
        if any(c in token for c in "*?[") and not token.startswith("-"):
            tokens += sorted(glob.glob(token, root_dir=REPO)) or [token]
        else:
            tokens.append(token)
    if tokens[:1] == ["baiji-sim"]:
        tokens = [sys.executable, "-m", "sim", *tokens[1:]]
    elif tokens[:3] in (["python", "-m", "sim"], ["python3", "-m", "sim"]):
        tokens = [sys.executable, "-m", "sim", *tokens[3:]]
    is_sim = tokens[:3] == [sys.executable, "-m", "sim"]
    sub = tokens[3] if is_sim and len(tokens) > 3 else None
    out: list[str] = []
    i = 0
    seen: set[str] = set()
    while i < len(tokens):
        token = tokens[i]
        name, eq, value = token.partition("=")
        rewrite = {"-n": str(SMALL_N.get(sub or "", 10)),
                   "--replications": str(SMALL_N.get(sub or "", 10)),
                   "--max-replications": "40", "--trajectories": "2"}
        if is_sim and name in rewrite:
            seen.add("-n" if name == "--replications" else name)
            out += [name, rewrite[name]]
            i += 1 if eq else 2
            continue
        if is_sim and name.startswith("--"):
            seen.add(name)
        if eq and name.startswith("--"):
            out.append(f"{name}={_results_path(value, tmp)}")
        else:
            out.append(_results_path(token, tmp))
        i += 1
    if sub in BATCHES and "--help" not in seen:
        if "-n" not in seen:
            out += ["-n", str(SMALL_N[sub])]
        if "--out" not in seen and "--resume" not in seen:
            counter[0] += 1
            out += ["--out", str(tmp / f"default-out-{counter[0]}")]
        if "--workers" not in seen:
            out += ["--workers", str(workers)]
    if sub == "run" and "--plots" not in seen and "--no-plots" not in seen:
        out.append("--no-plots")
    return out


@dataclass
class Ran:
    line: str
    argv: list[str]
    proc: subprocess.CompletedProcess[str] | None  # None: the program is not installed


def run_document(doc: Path, tmp: Path) -> list[Ran]:
    """Run the document's commands in order; stop at the first unexpected exit code."""
    lines = exercise_generator().sh_commands(doc.read_text(encoding="utf-8"))
    workers = 2 if any("--workers" in line for line in lines) else 1
    counter = [0]
    done: list[Ran] = []
    for line in lines:
        if skip_reason(line):
            continue
        argv = small_argv(line, tmp, counter, workers)
        if not argv[0].startswith(sys.executable) and shutil.which(argv[0]) is None:
            done.append(Ran(line, argv, None))
            break
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
        done.append(Ran(line, argv, proc))
        if proc.returncode != EXPECTED_EXIT.get(line, 0):
            break
    return done


@pytest.fixture(scope="module")
def ran_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[Ran]]:
    """Every document's commands, the documents side by side (each one in order, in its own
    temporary folder): the commands are mostly interpreter start-up, which overlaps well."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {doc: pool.submit(run_document, doc, tmp_path_factory.mktemp(doc.stem))
                   for doc in DOCS}
        return {doc: f.result() for doc, f in futures.items()}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_sh_command_of_the_document_runs(doc: Path,
                                               ran_documents: dict[Path, list[Ran]]) -> None:
    commands = exercise_generator().sh_commands(doc.read_text(encoding="utf-8"))
    lines = [ln for ln in commands if not skip_reason(ln)]
    done = ran_documents[doc]
    for ran in done:
        if ran.proc is None:
            pytest.fail(f"{doc.name}: `{ran.argv[0]}` is not installed; cannot run: {ran.line}")
        expected = EXPECTED_EXIT.get(ran.line, 0)
        assert ran.proc.returncode == expected, (
            f"{doc.name}: `{ran.line}` exited {ran.proc.returncode} (expected {expected})\n"
            f"ran: {shlex.join(ran.argv)}\nstdout:\n{ran.proc.stdout[-2000:]}\n"
            f"stderr:\n{ran.proc.stderr[-2000:]}")
    assert [r.line for r in done] == lines


def test_the_readme_python_snippet_runs() -> None:
    blocks = PY_BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block"
    for code in blocks:
        small = re.sub(r"replications=\d+", "replications=10", code)
        small += ("\nassert len(rows) == 10 * len(batch.runs), len(rows)\n"
                  "assert summary['scenarios'], summary.keys()\n")
        proc = subprocess.run([sys.executable, "-c", small], cwd=REPO, capture_output=True,
                              text=True, timeout=TIMEOUT, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_rewriting_keeps_commands_small_and_out_of_the_repository(tmp_path: Path) -> None:
    counter = [0]
    argv = small_argv("baiji-sim run scenarios/*.yaml -n 500 --seed 7 --out results/",
                      tmp_path, counter)
    assert argv[:3] == [sys.executable, "-m", "sim"]
    assert argv[argv.index("-n") + 1] == "10"
    assert argv[argv.index("--out") + 1] == str(tmp_path / "results/")
    assert len([a for a in argv if a.endswith(".yaml")]) >= 8
    argv = small_argv('baiji-sim run scenarios/baseline.yaml --set "a b.c=1"', tmp_path, counter)
    assert "a b.c=1" in argv and "-n" in argv and "--out" in argv and "--workers" in argv
    argv = small_argv("cmp results/a/x.csv results/b/x.csv", tmp_path, counter)
    assert argv == ["cmp", str(tmp_path / "results/a/x.csv"), str(tmp_path / "results/b/x.csv")]
    argv = small_argv("baiji-sim sensitivity s.yaml --trajectories 4 -n 10 --seed 1", tmp_path,
                      counter)
    assert argv[argv.index("--trajectories") + 1] == "2" and argv[argv.index("-n") + 1] == "2"
    assert skip_reason("make run     # set up .venv") and skip_reason(". .venv/bin/activate")
