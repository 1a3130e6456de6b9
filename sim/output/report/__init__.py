"""One self-contained HTML report of a results folder, to read on screen or hand out on paper.

``write_report(RESULTS_DIR)`` reads what ``baiji-sim run`` wrote (summary.json,
manifest.json, scenarios/*.yaml, plots/, and sensitivity.json if present, through
:mod:`sim.output.results_folder`) and writes ``RESULTS_DIR/report.html``: one file, CSS
inline, every figure embedded as a base64 ``data:`` URI, no scripts and no network
references, so it can be mailed, archived or printed as it is.

Contents: the results (outcomes with 95% intervals, time-to-event summaries, paired
comparisons, subset selection, every figure with a caption), the caveats (the assumptions
the comparison hangs on, the sensitivity ranking, the known limitations), and an account of
the model and the study ordered after the STRESS-DES checklist (Monks et al. 2019,
"Strengthening the reporting of empirical simulation studies: Introducing the STRESS
guidelines", Journal of Simulation 13(1)): 1 Objectives, 2 Logic, 3 Data,
4 Experimentation, 5 Implementation, 6 Code access, each item numbered as in the checklist.

The package, one concept a module:

    html.py          Html, el, esc: markup in which everything read from a file is escaped
    numbers.py       estimates with intervals, p-values, days and values as text
    vocabulary.py    what the report calls the metrics and the parts of a scenario
    folder.py        what the report is drawn from (the results folder, facts, differences)
    page.py          the page: header, warnings, sections, stylesheet; write_report
    sections/        outcomes, comparisons, validity, figures, caveats, and the STRESS-DES
                     account (checklist, objectives, logic, data, study)
    style.css        the stylesheet (a package resource, inlined in every report)
    limitations.md   the known limitations: the same list as docs/model.md, section 6
"""

from __future__ import annotations

from sim.output.report.html import Html, el, esc
from sim.output.report.page import render_report, write_report
from sim.output.report.sections.figures import CAPTIONS

__all__ = ["CAPTIONS", "Html", "el", "esc", "render_report", "write_report"]
