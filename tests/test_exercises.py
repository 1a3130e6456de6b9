"""The teaching exercises: their scenario files, their documents and the instructor notes.

The exercise scenarios (``scenarios/exercises/*.yaml``) follow the rules of the shipped ones
(``tests/test_scenarios.py``): valid, runnable, provenance for every parameter, only known fact
ids, and a variant states the provenance of every value it sets. Every exercise document has
its parts and passes the class seed to every command that takes one. The instructor notes exist,
name the class seed and are not stale: they embed a fingerprint of the exercise commands, the
scenario files those commands read and the generator, recomputed here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import exercise_generator, unsourced_parameters, unsourced_statements

import sim
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import load_facts
from sim.scenario.schema import Provenance

REPO = Path(__file__).resolve().parent.parent
EXERCISE_DIR = REPO / "docs" / "exercises"
SCENARIOS = sorted((REPO / "scenarios" / "exercises").glob("*.yaml"))
FACTS = load_facts(REPO / "seeds")
PARTS = ("Learning goal", "Commands", "Questions", "Hints", "What to look for")
SEEDED = ("run", "sweep", "sensitivity", "trace")  # subcommands that take --seed
BATCHES = ("run", "sweep", "sensitivity")  # ... and write a results folder


GEN = exercise_generator()
CLASS_SEED = GEN.CLASS_SEED
EXERCISES = GEN.exercise_files()


def _commands(path: Path) -> list[list[str]]:
    return [GEN.argv_of(c) for c in GEN.sh_commands(path.read_text(encoding="utf-8"))]


def _subcommand(argv: list[str]) -> str | None:
    return argv[3] if argv[:3] == [sys.executable, "-m", "sim"] and len(argv) > 3 else None


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


# -- the scenario files ---------------------------------------------------------------------------
def test_there_are_exercise_scenarios_with_new_distinct_names() -> None:
    assert len(SCENARIOS) >= 5
    names = [load_scenario(p).name for p in SCENARIOS]
    shipped = {load_scenario(p).name for p in (REPO / "scenarios").glob("*.yaml")}
    assert len(set(names)) == len(names)
    assert not set(names) & shipped, "an exercise scenario reuses a shipped scenario's name"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_exercise_scenario_is_valid_and_every_parameter_is_sourced(path: Path) -> None:
    missing, unknown = unsourced_parameters(path, FACTS)
    assert missing == []
    assert unknown == []
    spec = load_scenario(path)
    assert len(" ".join(spec.description.split())) > 80  # a paragraph a student can follow


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_exercise_scenario_states_the_provenance_of_what_it_sets(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw.get("extends"), str), "an exercise scenario extends a shipped one"
    assert raw.get("name") and raw.get("description")
    assert unsourced_statements(raw) == []
    own = {k: Provenance.model_validate(v) for k, v in (raw.get("provenance") or {}).items()}
    for entry in own.values():
        for fact_id in (entry.fact, entry.basis):
            assert fact_id is None or fact_id in FACTS, fact_id


def test_exercise_scenarios_run() -> None:
    scenarios = [load_scenario(p) for p in SCENARIOS]
    batch = run_batch(scenarios, 4, seed=CLASS_SEED, workers=1)
    assert not batch.failures
    assert [len(r.seed) for r in batch.runs] == [4] * len(scenarios)


def test_every_exercise_scenario_is_used_by_an_exercise() -> None:
    used = {(REPO / t).resolve() for ex in EXERCISES for argv in _commands(ex) for t in argv
            if t.endswith(".yaml")}
    assert [p.name for p in SCENARIOS if p.resolve() not in used] == []


# -- the documents --------------------------------------------------------------------------------
def test_there_are_at_least_six_exercises_and_the_index_lists_them() -> None:
    assert len(EXERCISES) >= 6
    index = (EXERCISE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"Class seed: {CLASS_SEED}" in index
    for path in EXERCISES:
        assert f"]({path.name})" in index, f"README.md does not link {path.name}"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_has_the_required_parts(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.match(rf"# Exercise {int(path.name[:2])}: \S", text), "title: '# Exercise N: ...'"
    sections = _sections(text)
    for part in PARTS:
        assert sections.get(part), f"{path.name}: section '## {part}' missing or empty"
    assert "```sh" in sections["Commands"]
    assert len(re.findall(r"^\d+\. ", sections["Questions"], flags=re.MULTILINE)) >= 3
    assert len(re.findall(r"^- ", sections["Hints"], flags=re.MULTILINE)) >= 2
    assert len(re.findall(r"^- ", sections["What to look for"], flags=re.MULTILINE)) >= 2


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_every_command_uses_the_class_seed_and_its_own_results_folder(path: Path) -> None:
    commands = _commands(path)
    assert commands
    prefix = f"results/ex{path.name[:2]}"
    for argv in commands:
        sub = _subcommand(argv)
        shown = " ".join(argv[3:])
        for name in ("--seed", "--design-seed"):
            value = GEN.option(argv, name)
            assert value is None or value == str(CLASS_SEED), f"{name} {value}: {shown}"
        if sub in SEEDED:
            assert GEN.option(argv, "--seed") == str(CLASS_SEED), f"no class seed: {shown}"
        if sub in BATCHES:
            assert GEN.option(argv, "-n", "--replications"), f"no explicit -n: {shown}"
            out = GEN.option(argv, "--out")
            assert out and out.startswith(prefix), f"--out should start with {prefix}: {shown}"
        for token in argv:
            if token.endswith(".yaml"):
                assert (REPO / token).exists(), f"no such scenario file: {token}"


def test_the_exercises_show_provenance_with_explain() -> None:
    assert any(_subcommand(a) == "explain" for ex in EXERCISES for a in _commands(ex))


def test_results_folders_are_not_shared_between_commands() -> None:
    outs = [GEN.option(a, "--out") for ex in EXERCISES for a in _commands(ex)]
    outs = [o for o in outs if o]
    assert len(outs) == len(set(outs))


@pytest.mark.parametrize("path", [*EXERCISES, EXERCISE_DIR / "README.md"], ids=lambda p: p.stem)
def test_links_in_the_exercises_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve()
        assert linked.exists(), f"{path.name}: broken link {target}"
        if anchor:
            headings = re.findall(r"^#+ +(.+?)\s*$", linked.read_text(encoding="utf-8"),
                                  flags=re.MULTILINE)
            assert anchor in {_slug(h) for h in headings}, f"{path.name}: no anchor {target}"


# -- the instructor notes -------------------------------------------------------------------------
def test_instructor_notes_name_the_class_seed_the_version_and_the_date() -> None:
    assert GEN.NOTES.exists(), "run docs/exercises/make_instructor_notes.py"
    text = GEN.NOTES.read_text(encoding="utf-8")
    assert f"Class seed: {CLASS_SEED}" in text
    assert f"Package version: baiji-sim {sim.__version__}" in text
    assert re.search(r"Generated on: \d{4}-\d{2}-\d{2}", text)


def test_instructor_notes_are_not_stale() -> None:
    text = GEN.NOTES.read_text(encoding="utf-8")
    found = GEN.FINGERPRINT_RE.search(text)
    assert found, "the notes carry no fingerprint"
    assert found.group(1) == GEN.fingerprint(), (
        "docs/exercises/INSTRUCTOR-NOTES.md is stale (an exercise command, a scenario file it "
        "reads, the generator or the package source changed): run .venv/bin/python "
        "docs/exercises/make_instructor_notes.py")


def test_instructor_notes_answer_every_exercise_and_confirm_its_conclusions() -> None:
    text = GEN.NOTES.read_text(encoding="utf-8")
    for path in EXERCISES:
        title = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        assert f"## {title}" in text
        for command in GEN.sh_commands(path.read_text(encoding="utf-8")):
            assert f"[exit 0] {command}" in text, f"not run for the notes: {command}"
    assert "NOT SHOWN BY THIS RUN" not in text, (
        "the model no longer supports a conclusion the notes expect; revise the exercise")
    assert "```sh" not in text  # answers only: the docs test runs the exercises' own commands
