"""The page: its header (warnings, the run at a glance, contents), its sections, its
stylesheet (``style.css``, a resource of this package), and the file it is written to."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from pathlib import Path

from sim import __version__
from sim.output.report.folder import Folder, read_folder
from sim.output.report.html import Html, el, number_labels, para, table
from sim.output.report.numbers import known
from sim.output.report.sections.appendix import appendix
from sim.output.report.sections.caveats import caveats
from sim.output.report.sections.data import data
from sim.output.report.sections.discovery import discovery_page, is_discovery_folder
from sim.output.report.sections.logic import logic
from sim.output.report.sections.objectives import objectives
from sim.output.report.sections.outcomes import results
from sim.output.report.sections.study import code_access, experimentation, implementation
from sim.output.results_folder import REPORT


def stylesheet() -> str:
    """The report's CSS (``style.css``, shipped with the package)."""
    return files("sim.output.report").joinpath("style.css").read_text(encoding="utf-8")


def status_warnings(f: Folder) -> list[Html]:
    """The warnings at the top of the page: an unfinished run, failed replications, another
    version of baiji-sim, files missing from the folder."""
    m = f.manifest
    out = [_interrupted(f)] if (m.found and m.status != "complete") or f.summary.get(
        "interrupted") else []
    if m.failures:
        rows = [[x.get("scenario", "?"), x.get("replication", "?"), x.get("seed", "?"),
                 x.get("error", "")] for x in m.failures[:20] if isinstance(x, dict)]
        out.append(el("div", el("p", el("strong", "Warning: failed replications. "),
                                f"{len(m.failures)} replications raised an error and are left "
                                "out of every estimate."),
                      table(["scenario", "replication", "seed", "error"], rows),
                      class_="warning", role="alert", id="warning-failures"))
    if m.package_version and m.package_version != __version__:
        out.append(el("div", para(f"Note: the run was made with baiji-sim {m.package_version}; "
                                  f"this report was written by baiji-sim {__version__}, and "
                                  "its account of the model describes the installed version."),
                      class_="warning"))
    if f.problems:
        out.append(el("div", el("p", el("strong", "Incomplete results folder. ")),
                      el("ul", [el("li", p) for p in f.problems]), class_="warning"))
    return out


def _interrupted(f: Folder) -> Html:
    m = f.manifest
    counts = ", ".join(f"{k}: {v}" for k, v in m.finished_replications.items())
    return el("div", el("p", el("strong", "Warning: interrupted run. "),
                        f"This run did not finish (status: {m.status or 'unknown'}). "
                        f"Only part of the requested {known(m.replications, '?')} "
                        "replications per scenario were made"
                        + (f" ({counts})" if counts else "")
                        + ", so the intervals are wider than planned and scenarios "
                        "may rest on different numbers of replications. Finish it "
                        "with: ", el("code", f"baiji-sim run --resume {f.path}")),
              class_="warning", role="alert", id="warning-interrupted")


def glance(f: Folder) -> Html:
    """The run at a glance: scenarios, baseline, replications, seed, status, date, software."""
    m = f.manifest
    requested = known(m.replications, f.summary.get("replications_requested"))
    finished = m.finished_replications or {n: f.replications(n) for n in f.names}
    counts = sorted({v for v in finished.values() if v is not None})
    fin = (f"{counts[0]} per scenario" if len(counts) == 1 else
           ", ".join(f"{k}: {v}" for k, v in finished.items())) if counts else "unknown"
    items = [
        ("Scenarios", f"{len(f.names)}: " + ", ".join(f.names)),
        ("Compared with", _compared_with(f)),
        ("Replications", f"{fin} (requested {known(requested, '?')})"),
        ("Batch seed", known(m.seed, f.summary.get("seed", "?"))),
        ("Status", known(m.status, "unknown")),
        ("Run on", known(m.date, "unknown")),
        ("Software", f"baiji-sim {known(m.package_version, '?')}, Python {known(m.python, '?')}"),
    ]
    return el("dl", [[el("dt", k), el("dd", v)] for k, v in items], class_="glance")


def _compared_with(f: Folder) -> str:
    """The paired comparison's baseline, or why there is none (the first scenario is then
    only the base of the parameter differences, not a comparison)."""
    if (f.summary.get("comparisons") or {}).get("baseline") == f.base and f.base is not None:
        return f"{f.base} (paired differences under common random numbers)"
    if f.base is None:
        return ("no reference scenario (none is named baseline; choose one with --baseline)"
                if len(f.names) > 1 else "–")
    return (f"no paired comparison (run with --baseline); parameter differences are shown "
            f"against {f.base}")


def contents() -> Html:
    entries = [("results", "Results"), ("caveats", "Caveats: what the results hang on"),
               ("stress-1", "STRESS 1 Objectives"), ("stress-2", "STRESS 2 Logic"),
               ("stress-3", "STRESS 3 Data"), ("stress-4", "STRESS 4 Experimentation"),
               ("stress-5", "STRESS 5 Implementation"), ("stress-6", "STRESS 6 Code access"),
               ("appendix", "Appendix: sources, definitions, every comparison")]
    return el("nav", el("h2", "Contents", class_="toc-title"),
              el("ol", [el("li", el("a", text, href=f"#{ref}")) for ref, text in entries]),
              class_="toc", aria_label="Contents")


def render_report(results_dir: Path) -> str:
    """The report of ``results_dir`` as one HTML document (a string)."""
    if is_discovery_folder(Path(results_dir)):  # written by ``discover``: its own page
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        page = discovery_page(Path(results_dir), stylesheet(), __version__, now)
        return "<!DOCTYPE html>\n" + number_labels(page) + "\n"
    f = read_folder(Path(results_dir))
    title = (f"baiji-sim report: {len(f.names)} scenario{'s' if len(f.names) != 1 else ''}"
             + (f" compared with {f.base}" if f.summary.get("comparisons") and f.base else ""))
    date = known(f.manifest.date, "unknown date")
    header = el("header", el("h1", title), el("p", "Monte Carlo simulation of the 2014-15 siege "
                                              "of the Baiji refinery. Results folder ",
                                              el("code", f.path.name), f", run {date}.",
                                              class_="subtitle"),
                status_warnings(f),
                el("div", para("How to read this report. baiji-sim is a teaching model, not a "
                               "forecast: the articles give few numbers and most inputs are "
                               "assumptions, listed with their sources. Results come first, "
                               "then the caveats, then an account of the model and the "
                               "study in the order of the STRESS-DES reporting checklist for "
                               "discrete-event simulation (Monks et al. 2019, Journal of "
                               "Simulation 13(1)), sections STRESS 1 to 6, and last an "
                               "appendix with each scenario's sources."), class_="note"),
                glance(f), contents())
    main = el("main", results(f), caveats(f),
              el("div", el("p", "The account below follows the STRESS-DES checklist (Monks et "
                                "al. 2019, 'Strengthening the reporting of empirical "
                                "simulation studies: Introducing the STRESS guidelines', "
                                "Journal of Simulation 13(1)); each item carries its number in "
                                "the checklist."), class_="note", id="stress"),
              objectives(f), logic(f), data(f), experimentation(f), implementation(f),
              code_access(f), appendix(f))
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    footer = el("footer", el("p", f"Written by baiji-sim {__version__} (report) on {now} from "
                                  f"the results folder {f.path.name}. Self-contained: figures "
                                  "embedded, no scripts, no network access."))
    page = el("html", el("head", el("meta", charset="utf-8"),
                         el("meta", name="viewport", content="width=device-width, "
                                                             "initial-scale=1"),
                         el("meta", name="generator", content=f"baiji-sim {__version__}"),
                         el("title", title), el("style", Html(stylesheet()))),
              el("body", header, main, footer), lang="en")
    return "<!DOCTYPE html>\n" + number_labels(page) + "\n"


def write_report(results_dir: Path, out: Path | None = None) -> Path:
    """Write the report of ``results_dir`` to ``out`` (default RESULTS_DIR/report.html)."""
    results_dir = Path(results_dir)
    out = Path(out) if out is not None else results_dir / REPORT
    text = render_report(results_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError:  # a full disk: no half-written report left behind
        out.unlink(missing_ok=True)
        raise
    return out
