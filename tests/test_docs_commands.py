"""Every command the documentation shows runs: README.md and docs/exercises/*.md.

Each ```sh line is run from the top of the repository, in the order of its document, and must
exit with 0 (or the code listed in EXPECTED_EXIT). To keep the file fast, batch sizes are made
small: ``-n``/``--replications`` to SMALL_N per command, ``--max-replications`` to 40,
``--trajectories`` to 2, ``discover``'s ``--points`` to 16, ``--confirm`` to 8 and
``--candidates`` to 4, ``--workers 2`` where none is given (the commands run in this
process, whose pool is started once and kept, so every batch uses both cores; a document
that compares worker counts gives ``--workers 1`` itself), and ``--no-plots`` on ``run``
(the figures are tested elsewhere; sweep and sensitivity still draw theirs). Every ``results/...``
path (``--out``, ``--resume``, and the arguments of later commands that read a results folder,
such as ``cmp``) goes to one temporary folder per document, so later commands find what earlier
ones wrote. The README's Python snippet runs too, with 10 replications.

``baiji-sim ...`` and ``python -m sim ...`` run in this process through Typer's ``CliRunner``
(a subprocess per command spent most of its time starting Python and importing: 47 s of
the suite); other programs (``cmp``) run as subprocesses. One real process per entry point
keeps the in-process runs honest: ``test_the_console_script_gives_what_the_in_process_run_gives``
(the installed ``baiji-sim``: the same exit code, stdout and stderr as in process) and
``tests/test_cli.py::test_python_m_sim_help``.

Skipped: ``make ...`` (sets up the environment and runs the test suite itself: recursion),
``. .venv/bin/activate`` (the tests already run in the environment), and comment lines. Any
other skip is listed in SKIP with its reason.
"""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import exercise_generator, run_cli

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs" / "exercises").glob("*.md"))]
SH_BLOCK = re.compile(r"^```sh[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
PY_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
SMALL_N = {"run": 10, "sweep": 4, "sensitivity": 2, "calibrate": 40, "discover": 3}
BATCHES = tuple(SMALL_N)
SKIP: dict[str, str] = {  # exact command line -> why it is not run
    "baiji-sim explore": "a server that runs until Ctrl-C; tests/test_explore_browser.py "
                         "starts it and drives it in a browser",
}
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


def small_argv(line: str, tmp: Path, counter: list[int], workers: int = 2) -> list[str]:
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
        if sub == "discover":  # a design of 16 points; 4 candidates of 8 runs each
            rewrite.update({"--points": "16", "--confirm": "8", "--candidates": "4"})
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
        if sub == "discover" and "--cheapest" in seen:  # its defaults: 200 runs of 8
            out += [f"{o}={v}" for o, v in (("--confirm", "8"), ("--candidates", "4"))
                    if o not in seen]
    if sub == "run" and "--plots" not in seen and "--no-plots" not in seen:
        out.append("--no-plots")
    return out


@dataclass
class Ran:
    line: str
    argv: list[str]
    code: int | None  # None: the program is not installed
    stdout: str = ""
    stderr: str = ""


def run_document(doc: Path, tmp: Path) -> list[Ran]:
    """Run the document's commands in order; stop at the first unexpected exit code.

    ``baiji-sim`` commands run in this process (``conftest.run_cli``: most of a
    subprocess's time was the interpreter and the imports); anything else (``cmp``) runs
    as a subprocess. The console script and ``python -m sim`` themselves are tested by
    ``test_the_console_script_gives_what_the_in_process_run_gives`` and
    ``tests/test_cli.py::test_python_m_sim_help``."""
    lines = exercise_generator().sh_commands(doc.read_text(encoding="utf-8"))
    counter = [0]
    done: list[Ran] = []
    for line in lines:
        if skip_reason(line):
            continue
        argv = small_argv(line, tmp, counter)
        if argv[:3] == [sys.executable, "-m", "sim"]:
            ran = Ran(line, argv, *run_cli(argv[3:], cwd=REPO))
        elif shutil.which(argv[0]) is None:
            done.append(Ran(line, argv, None))
            break
        else:
            proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True,
                                  timeout=TIMEOUT, check=False)
            ran = Ran(line, argv, proc.returncode, proc.stdout, proc.stderr)
        done.append(ran)
        if ran.code != EXPECTED_EXIT.get(line, 0):
            break
    return done


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_sh_command_of_the_document_runs(doc: Path, tmp_path: Path) -> None:
    commands = exercise_generator().sh_commands(doc.read_text(encoding="utf-8"))
    lines = [ln for ln in commands if not skip_reason(ln)]
    done = run_document(doc, tmp_path)
    for ran in done:
        if ran.code is None:
            pytest.fail(f"{doc.name}: `{ran.argv[0]}` is not installed; cannot run: {ran.line}")
        expected = EXPECTED_EXIT.get(ran.line, 0)
        assert ran.code == expected, (
            f"{doc.name}: `{ran.line}` exited {ran.code} (expected {expected})\n"
            f"ran: {shlex.join(ran.argv)}\nstdout:\n{ran.stdout[-2000:]}\n"
            f"stderr:\n{ran.stderr[-4000:]}")
    assert [r.line for r in done] == lines


def test_the_console_script_gives_what_the_in_process_run_gives(tmp_path: Path) -> None:
    """One real ``baiji-sim`` process (the installed console script) for a documented command:
    it exits as the in-process run does and prints the same lines. With a bad file, so the
    exit code and stderr of the real process are compared too."""
    script = Path(sys.executable).with_name("baiji-sim")
    assert script.exists(), f"{script}: the console script is not installed (pip install -e .)"
    line = "baiji-sim validate scenarios/*.yaml"
    readme = exercise_generator().sh_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert any(ln.startswith(line) for ln in readme), f"README.md no longer shows `{line}`"
    args = small_argv(line, tmp_path, [0])[3:]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    for argv, code in ((args, 0), ([*args, str(bad)], 2)):
        proc = subprocess.run([str(script), *argv], cwd=REPO, capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)
        assert proc.returncode == code, proc.stderr
        assert run_cli(argv, cwd=REPO) == (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.count("ok  ") == len(args) - 1  # every shipped scenario but the bad one


def test_the_readme_python_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = PY_BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block"
    monkeypatch.chdir(REPO)  # the snippet reads scenarios/... from the top of the repository
    for code in blocks:
        small = re.sub(r"replications=\d+", "replications=10", code)
        namespace: dict[str, object] = {"__name__": "__main__"}  # as `python file.py`
        exec(compile(small, "README.md", "exec"), namespace)
        batch = namespace["batch"]
        assert len(namespace["rows"]) == 10 * len(batch.runs), namespace["rows"]
        assert namespace["summary"]["scenarios"], namespace["summary"].keys()


def test_the_readme_python_snippet_runs_saved_as_a_script(tmp_path: Path) -> None:
    """Saved as a file and run with ``python file.py``, as a student would (issue 19): the
    worker processes import the script again, which the README's guard makes harmless."""
    block = PY_BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))[0]
    script = tmp_path / "example.py"
    script.write_text(re.sub(r"replications=\d+", "replications=10", block) +
                      "    print(len(rows), sorted(summary['scenarios']))\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == "20 ['baseline', 'us-airdrops']\n", proc.stdout


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
