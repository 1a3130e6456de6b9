"""The appendix: the full provenance of every scenario's values, the facts they cite, the
definitions of the outputs and every paired comparison with its p-value.

The body of the report has one table of what differs between the scenarios; the tables here
repeat a source for each scenario that uses it, which is what a reader checking one scenario
needs and what a handout does not. Each part is a ``<details>`` element, closed on screen
and printed open (style.css).
"""

from __future__ import annotations

from typing import Any

from sim.output.report.folder import Folder
from sim.output.report.html import Html, anchor, el, para, path_code, table
from sim.output.report.numbers import value_text
from sim.output.report.sections.caveats import source_cell
from sim.output.report.sections.comparisons import paired_table
from sim.output.report.sections.data import cited_facts
from sim.output.report.sections.objectives import metrics_table
from sim.scenario.provenance import ParameterRow


def appendix(f: Folder) -> Html:
    facts = cited_facts(f)
    diffs = _diffs(f)
    paired = paired_table(f)
    return el("section", el("h2", "Appendix: sources, definitions, every comparison",
                            id="appendix"),
              para("The provenance of every value that differs between the scenarios, one "
                   "table per scenario, the facts and planning factors they cite, the "
                   "definition of every output and every paired comparison in full. Closed "
                   "on screen (click a title to open it); printed in full."),
              el("details", el("summary", el("h3", "A.1 The parameters of each scenario that "
                                                   f"differ from {f.base}, with their "
                                                   "provenance", id="appendix-diffs")),
                 diffs, class_="appendix") if f.base is not None else None,
              el("details", el("summary", el("h3", f"A.2 The {len(facts)} facts and planning "
                                                   "factors cited by the scenarios of this run",
                                             id="appendix-facts")),
                 table(["id", "statement", "source"], facts,
                       caption="Facts and planning factors cited", id="table-cited"),
                 class_="appendix") if facts else None,
              el("details", el("summary", el("h3", "A.3 The outputs of one replication",
                                             id="appendix-metrics")),
                 metrics_table(f), class_="appendix"),
              el("details", el("summary", el("h3", "A.4 Every paired comparison, with its "
                                                   "p-value and variance reduction",
                                             id="appendix-paired")),
                 paired, class_="appendix") if paired is not None else None,
              class_="appendix")


def _unit(*rows: ParameterRow | None) -> str:
    """The unit of a parameter, from whichever scenario has it."""
    return next((r.unit for r in rows if r is not None), "")


def _diffs(f: Folder) -> list[Any]:
    """For each scenario, the parameters that differ from the base's, with provenance."""
    out: list[Any] = []
    for k, (name, rows) in enumerate(f.diffs.items()):
        body = [[path_code(path), value_text(a.value) if a else "(absent)",
                 value_text(b.value) if b else "(absent)", _unit(a, b),
                 source_cell(b if b is not None else a)] for path, a, b in rows]
        out.append(el("h4", name, id=anchor("diff", name, k)))
        out.append(table(["parameter", f"in {f.base}", f"in {name}", "unit",
                          f"provenance (of the value in {name})"], body,
                         caption=f"{len(body)} parameter{'s' if len(body) != 1 else ''} of "
                         f"{name} that differ{'s' if len(body) == 1 else ''} from {f.base}",
                         id=f"table-diff-{k}")
                   if body else para(f"No parameter differs from {f.base}."))
    return out
