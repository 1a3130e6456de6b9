"""The package's layers and the direction data flows: a test reads every module's imports.

    rng -> scenario -> model -> runner -> analysis -> output -> explorer -> cli

A module may import its own layer and the layers before it, never one after it: the model
never imports the runner, the analysis never imports the output, and only the explorer (the
classroom web page, which uses everything below it) and the command line above it import
everything. ``sim/__init__.py`` (the public API, loaded lazily) and ``sim/__main__.py``
(the entry point) stand outside the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sim"
ORDER = ("rng", "scenario", "model", "runner", "analysis", "output", "explorer", "cli")
RANK = {layer: i for i, layer in enumerate(ORDER)}
OUTSIDE = {"__init__", "__main__"}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name under ``sim``; ``sim`` itself (for ``__version__``)
    counts as the first layer."""
    parts = module.split(".")
    if parts[0] != "sim":
        return None
    return parts[1] if len(parts) > 1 else ORDER[0]


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        top = rel.parts[0]
        if top in OUTSIDE and len(rel.parts) == 1:
            continue
        found.append((top, path))
    return found


def imported(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
    return [(line, n) for line, n in names if n == "sim" or n.startswith("sim.")]


def test_every_module_sits_in_a_layer() -> None:
    stray = [str(p.relative_to(PACKAGE)) for top, p in modules() if top not in RANK]
    assert not stray, f"modules outside the layers {ORDER}: {stray}"


@pytest.mark.parametrize(("top", "path"), modules(), ids=lambda v: str(v) if isinstance(
    v, str) else str(v.relative_to(PACKAGE)))
def test_imports_flow_one_way(top: str, path: Path) -> None:
    wrong = []
    for line, name in imported(path):
        target = layer_of(name)
        if target is None or target not in RANK:
            wrong.append(f"line {line}: {name} (not a layer; import from its module)")
        elif RANK[target] > RANK[top]:
            wrong.append(f"line {line}: {name} ({target} comes after {top})")
    assert not wrong, f"{path.relative_to(PACKAGE)} imports against the flow: {wrong}"


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sim.output.tables import ci\nimport sim.cli.app\n", encoding="utf-8")
    names = [n for _, n in imported(bad)]
    assert names == ["sim.output.tables", "sim.cli.app"]
    assert all(RANK[layer_of(n)] > RANK["model"] for n in names)


def test_docs_metric_table_is_generated_from_the_registry() -> None:
    from sim.output.metric_table import BEGIN, DOC, END, render

    section = DOC.read_text(encoding="utf-8").split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == render().strip(), (
        "docs/model.md is stale: run `python -m sim.output.metric_table`")
