"""Exercise 1 as a Jupyter notebook (docs/exercises/01-why-the-flights-stopped.ipynb): it is
a valid notebook, it runs the exercise's batch (same scenarios, same seed), and every code
cell runs, in order, in one namespace, as a kernel would run them (with fewer replications).

Executed without Jupyter: nbclient and ipykernel would add some 30 packages to the test
environment for what ``exec`` of the cells checks here; the cells use no magics (``!``,
``%``) so that they run the same way in both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "docs" / "exercises" / "01-why-the-flights-stopped.ipynb"
EXERCISE = NOTEBOOK.with_suffix(".md")
SMALL = {"N = 600 ": "N = 20 ", "N_SWEEP = 150 ": "N_SWEEP = 10 ",
         "WORKERS = None ": "WORKERS = 2 "}


def cells(kind: str) -> list[str]:
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == kind]


def test_the_notebook_is_a_clean_nbformat_4_notebook() -> None:
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 5
    assert notebook["metadata"]["kernelspec"]["language"] == "python"
    ids = [c["id"] for c in notebook["cells"]]
    assert len(set(ids)) == len(ids)
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code")
        assert isinstance(cell["source"], list)
        if cell["cell_type"] == "code":  # shipped without outputs: the class runs it
            assert cell["outputs"] == [] and cell["execution_count"] is None
            assert not re.search(r"^\s*[!%]", "".join(cell["source"]), re.M)


def test_the_notebook_runs_the_exercises_batch() -> None:
    text = EXERCISE.read_text(encoding="utf-8")
    run = next(line for line in text.splitlines() if line.startswith("baiji-sim run "))
    setup, *rest = cells("code")
    assert int(re.search(r"--seed (\d+)", run).group(1)) == int(
        re.search(r"^SEED = (\d+)", setup, re.M).group(1))
    assert int(re.search(r"-n (\d+)", run).group(1)) == int(
        re.search(r"^N = (\d+)", setup, re.M).group(1))
    names = re.findall(r"scenarios/([\w-]+)\.yaml", run)
    assert f"names = {names!r}".replace("'", '"') in "\n".join(rest)
    for line in text.splitlines():
        if line.startswith("baiji-sim sweep "):
            values = re.search(r"--values (\S+)", line).group(1)
            assert f'parse_values("{values}")' in "\n".join(rest)


@pytest.mark.slow
def test_every_cell_of_the_notebook_runs(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(NOTEBOOK.parent)  # where Jupyter starts it
    namespace: dict = {"__name__": "__main__"}
    for k, source in enumerate(cells("code")):
        for big, small in SMALL.items():
            source = source.replace(big, small)
        exec(compile(source, f"{NOTEBOOK.name}, code cell {k + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "1 parameter differs between no-launchers and baseline" in printed
    assert "halts its flights after 2 losses" in printed
    assert "Paired differences against baseline" in printed
    assert "garrison_held crosses 0.5 along air_defence.improved_hit_prob" in printed
    assert "halt after 4 losses: helicopters_lost" in printed
    frame = namespace["frame"]
    assert len(frame) == 3 * 20 and list(frame["scenario"].unique()) == [
        "no-launchers", "baseline", "flights-halted"]
