"""The HTML report of a results folder (sim/output/report/).

The results folder is made the way a user makes one, with ``baiji-sim run`` (through
typer's CliRunner): the baseline and a hostile scenario whose name, description and
provenance carry markup, compared with ``--baseline``. The unit tests read the HTML
with the standard library's parser; the last test opens it in a real headless
Chromium (see :class:`Chromium` for how).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import html
import io
import json
import os
import re
import select
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim import rng
from sim.cli.app import app
from sim.output.report import CAPTIONS, render_report, write_report
from sim.output.report.sections.caveats import limitation_bullets
from sim.output.results_folder import (
    MANIFEST,
    ResultsFolderError,
    load_results,
    read_results_folder,
)

REPO = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EVIL = f"evil {SCRIPT} {IMG}"
EVIL_ASSUMPTION = "<script>alert(2)</script> a garrison of 260"
STRESS = {1: "Objectives", 2: "Logic", 3: "Data", 4: "Experimentation", 5: "Implementation",
          6: "Code access"}
STRESS_ITEMS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3",
                "3.4", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4", "6.1")
INTERVAL = r"[-+]?\d+(\.\d+)?"
MEAN_CI = re.compile(rf"^{INTERVAL}(%| pp)? \[{INTERVAL}, {INTERVAL}\]$")
MEDIAN = re.compile(r"^(not reached|\d+( \[\d+, (\d+|not reached)\])?)$")


# -- making and reading reports -----------------------------------------------------------
def _run(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real results folder: baseline and a hostile variant, paired, with plots (+ one SVG)."""
    tmp = tmp_path_factory.mktemp("report")
    evil = tmp / "evil-<i>.yaml"  # markup in the file name reaches the recorded command line
    evil.write_text(yaml.safe_dump({
        "extends": str(REPO / "scenarios" / "baseline.yaml"),
        "name": EVIL,
        "description": f"Hostile text {SCRIPT} and {IMG} & more.",
        "garrison": {"troops": 260},
        "provenance": {"garrison.troops": {"assumption": EVIL_ASSUMPTION,
                                           "range": [200, 300]}},
    }), encoding="utf-8")
    out = tmp / "results"
    _run([str(REPO / "scenarios" / "baseline.yaml"), str(evil), "-n", "20", "--workers", "1",
          "--baseline", "baseline", "--out", str(out)])
    from sim.output.plots import FIGURES  # the same drawing as outcomes.png, as a vector file

    FIGURES["outcomes"](load_results(out)).savefig(out / "plots" / "outcomes.svg")
    return out


@pytest.fixture(scope="module")
def report(results: Path) -> str:
    path = write_report(results)
    assert path == results / "report.html"
    return path.read_text(encoding="utf-8")


class Page(HTMLParser):
    """Every element with its attributes, the text, headings and tables of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.headings: dict[str, str] = {}  # id -> text
        self.tables: dict[str, list[list[str]]] = {}  # id -> body rows of cell texts
        self.text: list[str] = []
        self._heading: tuple[str, list[str]] | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in ("h1", "h2", "h3", "h4") and a.get("id"):
            self._heading = (str(a["id"]), [])
        elif tag == "table":
            self._table = a.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4") and self._heading:
            self.headings[self._heading[0]] = " ".join("".join(self._heading[1]).split())
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading:
            self._heading[1].append(data)
        if self._cell is not None:
            self._cell.append(data)

    def all_text(self) -> str:
        return " ".join("".join(self.text).split())

    def with_attr(self, name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.elements if name in a]


def _summary(results: Path) -> dict[str, Any]:
    return json.loads((results / "summary.json").read_text(encoding="utf-8"))


def _copy(results: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(results, target, ignore=shutil.ignore_patterns("report.html"))
    return target


def _edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


# -- unit tests ---------------------------------------------------------------------------
def test_the_report_is_one_self_contained_file(report: str) -> None:
    page = Page(report)
    assert report.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", report), "no network reference of any kind"
    assert not [t for t, _ in page.elements if t in ("script", "link", "iframe", "object")]
    for _, attrs in page.elements:
        for name in ("src", "srcset"):
            if name in attrs:
                assert str(attrs[name]).startswith("data:image/"), attrs[name][:40]
        if "href" in attrs:
            assert str(attrs["href"]).startswith("#"), attrs["href"]
    css = "".join(re.findall(r"<style>(.*?)</style>", report, re.S))
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert 'id="warning-interrupted"' not in report  # a complete run has no warning


def test_the_account_of_the_model_follows_the_stress_des_checklist(report: str) -> None:
    page = Page(report)
    for number, title in STRESS.items():
        assert page.headings[f"stress-{number}"] == f"STRESS {number} {title}"
    for item in STRESS_ITEMS:
        assert page.headings[f"stress-{item.replace('.', '-')}"].startswith(f"{item} ")
    text = page.all_text()
    assert "Monks et al. 2019" in text and "Journal of Simulation 13(1)" in text
    assert "No warm-up period: this is a terminating simulation" in text


def test_the_comparison_tables_have_one_row_per_scenario_with_intervals(
        report: str, results: Path) -> None:
    page, summary = Page(report), _summary(results)
    names = list(summary["scenarios"])
    outcomes = page.tables["table-outcomes"]
    assert [row[0] for row in outcomes] == names
    for row in outcomes:
        assert row[1] == "20"  # replications
        for cell in row[2:]:
            assert MEAN_CI.match(cell), cell
    held = summary["scenarios"]["baseline"]["metrics"]["garrison_held"]
    lo, hi = held["ci95"]
    assert outcomes[0][4] == f"{100 * held['mean']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"
    events = page.tables["table-events"]
    assert [row[0] for row in events] == names
    for row in events:
        assert row[1] == "180"  # the horizon
        shares, medians = row[2::2], row[3::2]
        assert all(MEAN_CI.match(c) and "%" in c for c in shares), shares
        assert all(MEDIAN.match(c) for c in medians), medians
    fall = summary["scenarios"]["baseline"]["metrics"]["garrison_fall_day"]
    expected = "not reached" if fall["median"] is None else f"{fall['median']:.0f}"
    assert events[0][3].startswith(expected)


def test_every_plot_is_embedded_as_a_data_uri_with_a_caption(report: str,
                                                              results: Path) -> None:
    page = Page(report)
    embedded = {a["data-file"]: a for t, a in page.elements if "data-file" in a}
    files = sorted(p for p in (results / "plots").iterdir())
    assert {p.suffix for p in files} == {".png", ".svg"}
    for path in files:
        attrs = embedded[path.name]
        uri = str(attrs.get("src") or attrs.get("srcset"))
        mime = "image/png" if path.suffix == ".png" else "image/svg+xml"
        assert uri.startswith(f"data:{mime};base64,")
        assert base64.b64decode(uri.split(",", 1)[1]) == path.read_bytes()
    assert len([t for t, _ in page.elements if t == "figure"]) == len({p.stem for p in files})
    text = page.all_text()
    for stem in {p.stem for p in files}:
        assert CAPTIONS[stem] in text
    # the PNG and SVG of one drawing are one figure: the SVG where the browser takes it
    assert re.search(r'<picture><source type="image/svg\+xml" srcset="data:image/svg\+xml;'
                     r'base64,[^"]+" data-file="outcomes.svg"><img src="data:image/png;',
                     report)


def test_paired_comparisons_and_the_selection_are_reported(report: str,
                                                            results: Path) -> None:
    page, summary = Page(report), _summary(results)
    rows = page.tables["table-paired"]
    assert rows[0] == [f"{EVIL} minus baseline"]
    compared = [r for r in rows if len(r) == 6]
    assert len(compared) == len(summary["comparisons"]["comparisons"])
    for row, entry in zip(compared, summary["comparisons"]["comparisons"], strict=True):
        _, metric, difference, p_holm, real, reduction = row
        assert metric == entry["metric"]
        assert metric in summary["scenarios"]["baseline"]["metrics"]
        assert MEAN_CI.match(difference), difference
        # Holm's p-value as summary.json holds it: three significant digits, or a bound
        p = entry["p_holm"]
        assert p_holm == ("–" if p is None else "< 0.0001" if p < 1e-4 else f"{p:.3g}"), (
            p_holm, p)
        assert real == ("yes" if entry["significant"] else "no")
        assert reduction == "–" or reduction.endswith("×") or reduction.startswith("∞")
    assert any(r[3] != "–" for r in compared)  # the check above saw numbers, not only gaps
    troops = summary["comparisons"]["comparisons"][0]
    assert compared[0][1] == troops["metric"]
    # the body has them as scenario x outcome tables, significant differences in bold; the
    # full table (p-values, variance reduction) is in the appendix
    body, appendix = report.split('id="appendix"', 1)
    assert 'id="table-paired"' in appendix and 'id="table-paired"' not in body
    metrics = list(dict.fromkeys(e["metric"] for e in summary["comparisons"]["comparisons"]))
    parts = [t for k, t in page.tables.items() if k.startswith("table-paired-summary-")]
    assert [r[0] for t in parts for r in t] == [EVIL] * len(parts)
    cells = [c for t in parts for r in t for c in r[1:]]
    assert len(cells) == len(metrics) and all(MEAN_CI.match(c) for c in cells), cells
    first = next(e for e in summary["comparisons"]["comparisons"] if e["significant"])
    shown = cells[metrics.index(first["metric"])]
    assert f"<strong>{html_escape(shown.split(' [')[0])}" in body.replace(
        '<span class="est">', "").replace("</span>", "")
    text = " ".join(page.headings.values()) + page.all_text()
    assert "Holm" in text and "variance reduction" in text
    assert "baseline (paired differences under common random numbers)" in text
    subset = summary["selection"]["subset"]
    assert f"with 95% confidence is: {', '.join(subset)}." in page.all_text()
    assert [r[0] for r in page.tables["table-selection"]] == list(summary["scenarios"])


def test_the_face_validity_table_gives_each_tested_observation_with_its_interval(
        report: str, results: Path) -> None:
    page, summary = Page(report), _summary(results)
    section = summary["face_validity"]["scenarios"]
    assert list(section) == list(summary["scenarios"])  # both start 2014-10-01 for 180 days
    rows = page.tables["table-face-validity"]
    tested = [(name, e) for name, entries in section.items() for e in entries.values()
              if e["status"] == "tested"]
    assert [r[0] for r in rows] == [name for name, _ in tested]
    for row, (_, entry) in zip(rows, tested, strict=True):
        assert row[1].endswith(entry["id"]) and row[2] == entry["date"] == "2014-10-31"
        assert MEAN_CI.match(row[4]) and "%" in row[4], row[4]
        assert row[5] == "20"
    held = section["baseline"]["obs.garrison-holds-2014-10-31"]
    lo, hi = held["ci95"]
    assert rows[0][4] == f"{100 * held['share']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"
    listed = [r[0] for r in page.tables["table-observations"]]
    assert listed == list(section["baseline"])  # every observation, with its note
    assert "Face validity" in page.headings["face-validity"]
    others = " ".join(" ".join(r) for k, t in page.tables.items() if k.startswith(
        "table-other") for r in t)
    assert "obs." not in others  # the columns are not repeated in Table 3
    assert "what-stopped" in page.headings  # the model records why the refinery stopped


def test_what_stopped_the_refinery_gives_every_scenario_its_shares(
        report: str, results: Path) -> None:
    page, summary = Page(report), _summary(results)
    assert page.headings["what-stopped"] == "What stopped the refinery"
    rows = page.tables["table-what-stopped"]
    assert [r[0] for r in rows] == list(summary["scenarios"])
    for row in rows:
        assert all(MEAN_CI.match(cell) and "%" in cell for cell in row[1:8]), row
    # No scenario of the fixture lets the government run the plant: operating is 0% [0, 0].
    assert {row[1] for row in rows} == {"0% [0, 0]"}


def test_text_from_files_and_results_is_escaped(report: str) -> None:
    page = Page(report)
    assert not re.search(r"<script", report, re.I)
    assert SCRIPT not in report and IMG not in report
    assert html_escape(SCRIPT) in report and html_escape(IMG) in report
    assert not [(t, a) for t, a in page.elements if any(k.startswith("on") for k in a)]
    assert not [a for t, a in page.elements if t == "img" and
                not str(a.get("src")).startswith("data:image/")]
    text = page.all_text()
    assert EVIL in text  # the name reads as the author wrote it
    assert f"Hostile text {SCRIPT} and {IMG} & more." in text
    assert EVIL_ASSUMPTION in text
    assert "evil-<i>.yaml" in text and "evil-&lt;i&gt;.yaml" in report  # the command line


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;").replace("'", "&#x27;")


def test_parameters_that_differ_are_listed_with_their_provenance(report: str) -> None:
    page = Page(report)
    assert page.tables["table-diff-0"] == [["garrison.troops", "250", "260", "troops",
                     f"assumption {EVIL_ASSUMPTION} Plausible range 200 to 300."]]
    # the one table of the body: a parameter by scenario, its sources once, below the values
    values, sources = page.tables["table-parameters"]
    assert values == ["garrison.troops troops", "250", "260"]
    assert sources[0].startswith("source: baseline: assumption 'Several hundred'")
    assert f"{EVIL}: assumption {EVIL_ASSUMPTION} (range 200 to 300)" in sources[0]
    categories = {r[0]: r for r in page.tables["table-categories"]}
    assert categories["garrison and supplies"][5] == "0"  # every parameter has provenance
    assert "Known limitations" in page.headings["limitations"]
    assert "docs/model.md" in page.all_text()


def test_tables_and_figures_are_numbered_in_order_from_one_counter(report: str) -> None:
    """Issue 15: two tables were labelled "Table 6" and two "Table 7"; the numbers are now
    given once the page is complete, in the order a reader meets them."""
    for kind in ("Table", "Figure"):
        labels = re.findall(rf'<span class="label">{kind} (\d+)\.</span>', report)
        assert labels and labels == [str(k) for k in range(1, len(labels) + 1)], (kind, labels)
    assert 'data-kind="' not in report  # no placeholder left
    captions = re.findall(r"<caption>(.*?)</caption>", report, re.S)
    assert all('<span class="label">Table ' in c for c in captions)
    assert not re.search(r">Table \d+\. Table", report)  # no hand-written number left
    # a reference is the number of the table it names, and a link to it
    number = re.search(r'<table id="table-outcomes"><caption><span class="label">(Table \d+)',
                       report)
    assert number and f'<a class="xref" href="#table-outcomes">{number[1]}</a>' in report


def test_the_report_is_a_handout_with_the_sources_in_an_appendix(report: str) -> None:
    """Issue 15: the per-scenario source tables filled two thirds of the page. The body has
    one parameter table; the full provenance of each scenario is in the appendix at the end,
    closed on screen and printed open."""
    page = Page(report)
    order = [i for t, a in page.elements if t in ("h2", "h3") and (i := a.get("id"))]
    assert order.index("driving") < order.index("stress-1") < order.index("appendix")
    assert order[-1].startswith("appendix-")  # nothing after the appendix
    body, appendix = report.split('id="appendix"', 1)
    assert 'id="table-parameters"' in body and "table-diff-" not in body
    assert 'id="table-diff-0"' in appendix and 'id="table-cited"' in appendix
    assert 'id="table-metrics"' in appendix
    assert appendix.count('<details class="appendix">') == 4  # closed on screen
    css = "".join(re.findall(r"<style>(.*?)</style>", report, re.S))
    assert re.search(r"@media print \{\s*details\.appendix::details-content \{ "
                     r"content-visibility: visible; display: block; \}", css)


def test_the_known_limitations_are_those_of_docs_model_md_section_6(report: str) -> None:
    """One list, two places: the report reads its resource, the model description shows the
    same bullets in section 6; a limitation added to one must be added to the other."""
    doc = (REPO / "docs" / "model.md").read_text(encoding="utf-8")
    section = doc.split("\n## 6. ", 1)[1].split("\n## ", 1)[0]
    in_doc = limitation_bullets(section)
    shipped = limitation_bullets(files("sim.output.report").joinpath("limitations.md")
                                 .read_text(encoding="utf-8"))  # as the installed package
    assert len(in_doc) >= 10
    assert in_doc == shipped, (
        "docs/model.md section 6 and sim/output/report/limitations.md differ: change both")
    listed = re.search(r'<ul id="limitations-list">(.*?)</ul>', report, re.S)
    assert listed and listed.group(1).count("<li>") == len(in_doc)
    items = Page(listed.group(1)).all_text()
    for bullet in in_doc:  # as a reader sees it: no ** or backticks
        assert bullet.replace("**", "").replace("`", "") in items, bullet


def test_the_report_names_the_bit_generator_of_sim_rng(report: str) -> None:
    text = Page(report).all_text()
    assert f"numpy's {rng.BIT_GENERATOR_NAME} bit generator" in text
    assert rng.BIT_GENERATOR is type(rng._SHARED.bitgen)
    assert f"a {rng.STREAM_KEY_HASH} of the stream's name" in text


def test_a_folder_without_comparisons_selection_or_plots(tmp_path: Path) -> None:
    out = tmp_path / "single"
    _run([str(REPO / "scenarios" / "baseline.yaml"), "-n", "10", "--workers", "1",
          "--no-plots", "--out", str(out)])
    target = write_report(out, tmp_path / "elsewhere" / "r.html")
    assert target == tmp_path / "elsewhere" / "r.html"
    page = Page(target.read_text(encoding="utf-8"))
    text = page.all_text()
    assert "This run made no paired comparisons" in text
    assert "One scenario was run: there is nothing to compare" in text
    assert "No subset selection in this run" in text
    assert "holds no plots" in text
    assert "table-paired" not in page.tables and "table-selection" not in page.tables
    assert [r[0] for r in page.tables["table-outcomes"]] == ["baseline"]
    assert all(f"stress-{n}" in page.headings for n in STRESS)
    assert not [a for t, a in page.elements if a.get("class") == "warning"]


def test_without_a_reference_no_scenario_is_tagged_as_one(tmp_path: Path) -> None:
    """Issue 15: the alphabetically first file was the 'base of the comparison'."""
    out = tmp_path / "two"
    _run([str(REPO / "scenarios" / "us-airdrops.yaml"),
          str(REPO / "scenarios" / "flights-halted.yaml"), "-n", "5", "--workers", "1",
          "--no-plots", "--out", str(out)])
    page = Page(write_report(out).read_text(encoding="utf-8"))
    text = page.all_text()
    assert "no reference scenario (none is named baseline" in text
    assert "There is no reference scenario" in text
    assert "base of the comparison" not in text
    assert not [t for t in page.tables if t.startswith("table-diff")]


def test_an_interrupted_run_carries_a_visible_warning(results: Path, tmp_path: Path) -> None:
    folder = _copy(results, tmp_path)

    def interrupt(manifest: dict[str, Any]) -> None:
        manifest["status"] = "interrupted"
        manifest["finished_replications"][EVIL] = 7

    _edit_json(folder / "manifest.json", interrupt)
    _edit_json(folder / "summary.json", lambda s: s.update(interrupted=True))
    page = Page(write_report(folder).read_text(encoding="utf-8"))
    warnings = [a for t, a in page.elements if a.get("id") == "warning-interrupted"]
    assert warnings and warnings[0]["role"] == "alert"
    text = page.all_text()
    assert "Warning: interrupted run." in text
    assert f"{EVIL}: 7" in text
    assert f"baiji-sim run --resume {folder}" in text


def test_the_command_that_repeats_the_run_gives_the_same_replications(tmp_path: Path) -> None:
    """From the files kept in the folder, in the run's order (not alphabetical)."""
    first = tmp_path / "first"
    _run([str(REPO / "scenarios" / "us-airdrops.yaml"), str(REPO / "scenarios" / "baseline.yaml"),
          "-n", "6", "--seed", "5", "--workers", "1", "--no-plots", "--out", str(first)])
    page = write_report(first).read_text(encoding="utf-8")
    found = re.search(r"without the original files:</p>\s*<pre><code>(.*?)</code></pre>", page,
                      re.DOTALL)
    assert found, "the report gives the command"
    words = shlex.split(html.unescape(found.group(1)))
    assert words[:2] == ["baiji-sim", "run"]
    again = tmp_path / "again"
    _run([*words[2:], "--workers", "2", "--no-plots", "--out", str(again)])
    assert (again / "replications.csv").read_bytes() == (first / "replications.csv").read_bytes()


def test_a_note_on_different_horizons_is_shown(results: Path, tmp_path: Path) -> None:
    folder = _copy(results, tmp_path)
    assert "note-horizons" not in write_report(folder).read_text(encoding="utf-8")
    _edit_json(folder / "summary.json", lambda s: s.update(horizons_note="HORIZONS DIFFER"))
    page = Page(write_report(folder).read_text(encoding="utf-8"))
    notes = [a for t, a in page.elements if a.get("id") == "note-horizons"]
    assert notes and "Note: HORIZONS DIFFER" in page.all_text()


def test_library_versions_are_those_the_run_recorded(results: Path, tmp_path: Path) -> None:
    folder = _copy(results, tmp_path)
    _edit_json(folder / "manifest.json", lambda m: m["libraries"].update(
        simpy="0.0.1", numpy="0.0.2", scipy="0.0.3"))
    text = Page(write_report(folder).read_text(encoding="utf-8")).all_text()
    assert "simpy 0.0.1 (recorded by the run)" in text
    assert "numpy 0.0.2, scipy 0.0.3 (recorded by the run)" in text
    _edit_json(folder / "manifest.json", lambda m: m.pop("libraries"))  # an older folder
    text = Page(write_report(folder).read_text(encoding="utf-8")).all_text()
    assert "simpy 0.0.1" not in text
    assert "(installed where this report was written)" in text


def test_sensitivity_results_and_unknown_plots_are_included(results: Path,
                                                             tmp_path: Path) -> None:
    folder = _copy(results, tmp_path)
    shutil.copy(folder / "plots" / "timeline.png", folder / "plots" / "extra-view.png")
    shutil.copy(folder / "plots" / "timeline.png", folder / "sensitivity.png")  # beside its json
    indices = [{"parameter": p, "mu_star": mu, "mu_star_conf": 0.01, "mu": mu, "sigma": 0.02,
                "resolved": True, "resolution": "resolved"}
               for p, mu in (("air_defence.hit_prob", 0.4), ("garrison.troops", 0.2),
                             ("besiegers.attack_rate_per_day", 0.1))]
    indices[-1].update(mu_star_conf=0.2, resolved=False,
                       resolution="not distinguishable from 0")
    (folder / "sensitivity.json").write_text(json.dumps({
        "scenario": "baseline", "method": "morris", "metric": "garrison_held",
        "metric_meaning": "garrison_held (share of replications)", "ranked_by": "mu_star",
        "bounds": {"air_defence.hit_prob": [0.2, 0.5], "garrison.troops": [150, 325],
                   "besiegers.attack_rate_per_day": [0.05, 0.2]},
        "design_points": 40, "replications": 20, "model_runs": 800, "indices": indices,
        "resolution_note": "ranking: 2 of the top 3 ranks resolved",
    }), encoding="utf-8")
    _edit_json(folder / "summary.json", lambda s: [s.pop("comparisons"), s.pop("selection")])
    report_text = write_report(folder).read_text(encoding="utf-8")
    page = Page(report_text)
    rows = page.tables["table-sensitivity"]
    assert [r[1] for r in rows] == [i["parameter"] for i in indices]
    assert rows[0][2] == "0.2 to 0.5" and rows[0][3] == "0.4"
    assert [r[-1] for r in rows] == ["–", "yes", "–"]  # garrison.troops differs here
    assert [r[-2] for r in rows] == ["resolved", "resolved", "not distinguishable from 0"]
    assert "Resolution: ranking: 2 of the top 3 ranks resolved" in page.all_text()
    figure = [a for t, a in page.elements if a.get("data-file") == "extra-view.png"]
    assert figure and str(figure[0]["alt"]).endswith("extra-view.png")  # caption: file name
    figure = [a for t, a in page.elements if a.get("data-file") == "sensitivity.png"]
    assert figure and str(figure[0]["alt"]).startswith("Sensitivity analysis")
    labels = re.findall(r'<span class="label">(Figure \d+)\.</span>', report_text)
    assert labels == [f"Figure {k}" for k in range(1, len(labels) + 1)]  # the last is its own
    assert "This run made no paired comparisons" in page.all_text()


def test_each_resolved_scenario_is_validated_once(results: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.output.results_folder as reader

    loaded: list[Path] = []

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        loaded.append(Path(path))
        return real(path, *args, **kwargs)

    real = reader.load_scenario
    monkeypatch.setattr(reader, "load_scenario", counting)
    render_report(results)
    assert sorted(loaded) == sorted((results / "scenarios").glob("*.yaml"))


def test_the_reader_types_the_manifest_and_takes_horizons_from_the_summary(
        results: Path, tmp_path: Path) -> None:
    folder = read_results_folder(results)
    summary = _summary(results)
    assert folder.scenarios == list(summary["scenarios"])
    assert folder.horizon == {n: e["horizon_days"] for n, e in summary["scenarios"].items()}
    assert folder.manifest.found and folder.manifest.status == "complete"
    assert folder.manifest.replications == 20 and folder.manifest.libraries["numpy"]
    assert folder.metrics == {} and not folder.problems  # no replications read for this
    assert {p.name for p in folder.figures} >= {"outcomes.png", "outcomes.svg"}
    assert set(folder.resolved.scenarios) == set(summary["scenarios"])
    # a hand-edited manifest: values of the wrong type count as absent, unknown keys are
    # ignored; the report still says what it can
    copy = _copy(results, tmp_path)
    _edit_json(copy / MANIFEST, lambda m: m.update(replications="twenty", seed=True,
                                                   libraries=[], extra=1))
    manifest = read_results_folder(copy).manifest
    assert manifest.replications is None and manifest.seed is None
    assert manifest.libraries == {} and manifest.status == "complete"
    assert "Batch seed" in Page(render_report(copy)).all_text()
    (copy / MANIFEST).unlink()
    folder = read_results_folder(copy)
    assert not folder.manifest.found and folder.problems == [
        "manifest.json is missing: the command line, seed, date and status of the run are "
        "unknown."]
    assert "manifest.json is missing" in Page(render_report(copy)).all_text()


def test_the_report_s_resources_are_installed_with_the_package() -> None:
    """style.css and limitations.md are read with importlib.resources: a wheel must hold them."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(config["tool"]["setuptools"]["package-data"]["sim.output.report"])
    shipped = {p.name for p in (REPO / "sim" / "output" / "report").iterdir()
               if p.is_file() and p.suffix != ".py"}
    assert declared == shipped == {"style.css", "limitations.md"}


def test_a_folder_that_is_not_a_results_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultsFolderError, match=r"summary\.json"):
        write_report(tmp_path)


# -- the report in a real browser ---------------------------------------------------------
class Chromium:
    """Headless Chromium driven over the DevTools protocol, through a pipe.

    ``--remote-debugging-pipe`` makes Chromium read protocol commands from file
    descriptor 3 and write replies and events to descriptor 4, as JSON messages
    ended by a NUL byte (the transport Puppeteer uses). No port, no websocket and
    no extra Python package are needed: bash's ``exec ... 3<&R 4>&W`` puts the two
    pipe ends there. Through the protocol the test asks the page itself what a
    reader's browser sees: whether every image decoded and how large it is, the
    page's console messages and uncaught errors, every request it made, and a
    screenshot. The report contains no script: ``Runtime.evaluate`` runs the
    checks from outside the page, as the browser's developer tools do.
    """

    FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-quic", "--no-first-run", "--no-default-browser-check",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-default-apps", "--mute-audio",
             "--hide-scrollbars", "--remote-debugging-pipe", "--enable-logging=stderr",
             "--v=0")

    def __init__(self, profile: Path, log: Path, timeout: float = 20.0) -> None:
        exe = shutil.which("chromium")
        if exe is None:
            pytest.fail("chromium is not installed: the report is checked in a real browser. "
                        "Run `make test`, which installs it (Debian package `chromium`).")
        self.deadline = time.monotonic() + timeout
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        # Above 9, so that the redirections to 3 and 4 cannot overwrite each other.
        child_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
        os.close(to_browser)
        os.close(from_browser)
        self.log = log
        with log.open("wb") as stderr:
            self.proc = subprocess.Popen(
                ["bash", "-c", f'exec "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- '
                 f'{child_out}>&-', "chromium", exe, *self.FLAGS, f"--user-data-dir={profile}",
                 "about:blank"],
                pass_fds=(child_in, child_out), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr)
        os.close(child_in)
        os.close(child_out)
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]
        reply = self._read_until(lambda m: m.get("id") == self._next_id)
        assert "error" not in reply, (method, reply["error"])
        return reply.get("result", {})

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The first event ``method`` of the page attached as ``session``."""
        def wanted(m: dict[str, Any]) -> bool:
            return m.get("method") == method and m.get("sessionId") == session

        return next((e for e in self.events if wanted(e)), None) or self._read_until(wanted)

    def _read_until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if wanted(message):
                    return message
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                pytest.fail(f"chromium did not answer in time; its log: {self.log}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                pytest.fail(f"chromium exited (code {self.proc.poll()}); its log: {self.log}")
            self._buffer += chunk

    def close(self) -> None:
        # Also after a failure (chromium gone, pipe closed): stop it whatever happens.
        with contextlib.suppress(Exception, pytest.fail.Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


INSPECT = """(async () => {
  const images = await Promise.all(Array.from(document.images).map(async (img) => {
    let decoded = true;
    try { await img.decode(); } catch (e) { decoded = false; }
    return {file: img.dataset.file, src: img.currentSrc.slice(0, 24), decoded,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: img.getBoundingClientRect().width};
  }));
  const handlers = [];
  for (const e of document.querySelectorAll('*'))
    for (const a of e.attributes) if (a.name.startsWith('on')) handlers.push(e.tagName + a.name);
  const figure = document.querySelector('figure img').getBoundingClientRect();
  return {images, handlers, scripts: document.scripts.length, text: document.body.innerText,
          height: document.documentElement.scrollHeight,
          figure: {x: figure.x + window.scrollX, y: figure.y + window.scrollY,
                   width: figure.width, height: figure.height}};
})()"""


def _colours(png: bytes) -> tuple[int, float]:
    """(distinct colours, share of pure white pixels) of a PNG."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = image.getcolors(maxcolors=image.width * image.height)
    white = next((n for n, c in counts if c == (255, 255, 255)), 0)
    return len(counts), white / (image.width * image.height)


def test_the_report_renders_in_a_real_browser(report: str, results: Path,
                                              tmp_path: Path) -> None:
    """Chromium loads the report without a console message or a request off the machine,
    decodes every embedded image (the SVG where the PNG has one), and paints a page."""
    browser = Chromium(tmp_path / "profile", tmp_path / "chromium.log")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target,
                                                         "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        browser.send("Page.navigate", {"url": (results / "report.html").as_uri()},
                     session=session)
        browser.wait_for("Page.loadEventFired", session)
        page = browser.send("Runtime.evaluate", {"expression": INSPECT, "awaitPromise": True,
                                                 "returnByValue": True},
                            session=session)["result"]["value"]
        shot = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"},
                                             session=session)["data"])
        box = page["figure"]
        figure = base64.b64decode(browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {**box, "scale": 1}}, session=session)["data"])
    finally:
        browser.close()
    (tmp_path / "screenshot.png").write_bytes(shot)
    # every image decoded, at its file's size; the SVG was chosen where there is one
    plots = sorted(p.name for p in (results / "plots").iterdir())
    assert sorted(i["file"] for i in page["images"]) == [p for p in plots if p.endswith(".png")]
    for image in page["images"]:
        assert image["decoded"] and image["width"] > 100 and image["height"] > 100, image
        assert image["shown"] > 100, image
        svg = image["file"] == "outcomes.png"
        assert image["src"].startswith("data:image/svg+xml" if svg else "data:image/png")
    assert page["scripts"] == 0 and page["handlers"] == []
    assert SCRIPT in page["text"] and IMG in page["text"]  # shown as text
    assert "STRESS 6 Code access" in page["text"] and page["height"] > 10000
    # nothing but the file itself and its data: URIs was requested, and nothing failed
    urls = [e["params"]["request"]["url"] for e in browser.events
            if e["method"] == "Network.requestWillBeSent"]
    assert urls and all(u.split(":", 1)[0] in ("file", "data", "about") for u in urls), urls
    assert not [e for e in browser.events if e["method"] == "Network.loadingFailed"]
    # no console output and no uncaught error, from the protocol and from chromium's own log
    console = [e["params"] for e in browser.events if e["method"] in (
        "Runtime.consoleAPICalled", "Runtime.exceptionThrown")]
    console += [e["params"]["entry"] for e in browser.events if e["method"] ==
                "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert console == []
    log = (tmp_path / "chromium.log").read_text(encoding="utf-8", errors="replace")
    assert not [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    # a painted page: text, table rules and the page's colours, not a blank sheet
    colours, white = _colours(shot)
    assert colours > 100 and white < 0.9, (colours, white)
    colours, white = _colours(figure)
    assert colours > 200 and white < 0.95, (colours, white)  # the first figure, drawn
