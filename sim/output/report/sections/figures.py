"""The figures of a results folder (``plots/``), each embedded as a ``data:`` URI with its
caption, so the report stays one file."""

from __future__ import annotations

import base64
from pathlib import Path

from sim.output.report.folder import Folder
from sim.output.report.html import Html, anchor, el, label, para

CAPTIONS = {
    "outcomes": "Outcome distributions. For each scenario, the replications (dots, up to 400), "
                "the quartiles (boxes, whiskers to 1.5 IQR) and the mean with its 95% "
                "confidence interval (diamond).",
    "survival_curves": "Time to the three key events (the garrison falls, the siege is lifted, "
                       "the refinery first runs): Kaplan-Meier curves with 95% bands, each "
                       "named at its end. Scenarios whose curve stays flat (the event never "
                       "happens before the horizon, or happens at day 0 in every replication) "
                       "are named under the panel.",
    "fan_charts": "Every daily series as small multiples: a panel per scenario, a row per "
                  "series with shared axes (plant control, garrison stock, garrison and "
                  "besieger strength): median, 25-75% and 5-95% of the replications; grey: "
                  "after the scenario's horizon. The last row is the share of replications in "
                  "which the government's refinery is down, restarting or operating each day.",
    "helicopter_losses": "Helicopters lost per replication for the scenarios that fly "
                         "helicopters (left; the others are named under it), and the share of "
                         "replications in which flights have been halted after losses by each "
                         "day (right).",
    "timeline": "One replication followed event by event: ticks are routine events, crosses "
                "setbacks for the government, diamonds gains and turning points (the first "
                "ones written out). An illustration of how a run unfolds, not a typical or "
                "average run.",
    "forest": "Paired differences against the reference scenario, each with its 95% CI; "
              "hollow markers are not significant after Holm's correction.",
    "uncertainty": "A run with parameter uncertainty: each outcome's share of variance that "
                   "comes from the parameters drawn from their provenance ranges (the rest is "
                   "chance), with 95% intervals; and, where the scenario tests the articles' "
                   "observations, the 90% intervals of the parameters they narrow most, "
                   "before and after weighting the draws by the observations.",
    "sensitivity": "Sensitivity analysis: the uncertain parameters ranked by their effect on "
                   "the chosen outcome.",
    "what_stopped": "What stopped the refinery: for each scenario, the mean share of the "
                    "horizon's days the government operated it or was stopped for each "
                    "reason (the segments add up to the whole horizon).",
}
FIGURE_ORDER = ("outcomes", "survival_curves", "fan_charts", "helicopter_losses",
                "what_stopped", "forest", "uncertainty", "timeline")
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


def data_uri(path: Path) -> str:
    """The file at ``path`` as a ``data:`` URI (an image type the report embeds)."""
    mime = IMAGE_TYPES[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def figure(stem: str, files: list[Path]) -> Html:
    """One figure from the files of one plot (a PNG, an SVG, or both of the same drawing),
    numbered with the others (see :func:`~sim.output.report.html.number_labels`)."""
    text = CAPTIONS.get(stem) or files[0].name
    by_type = {p.suffix.lower(): p for p in files}
    names = " and ".join(p.name for p in files)
    alt = text
    ident = anchor("figure", stem, 0)
    if ".png" in by_type and ".svg" in by_type:
        # One figure, two files: the vector drawing where the browser takes it, else the PNG.
        image: Html | list[Html] = el("picture", el("source", type="image/svg+xml",
                                 srcset=data_uri(by_type[".svg"]),
                                 data_file=by_type[".svg"].name),
                   el("img", src=data_uri(by_type[".png"]), alt=alt,
                      data_file=by_type[".png"].name))
    else:
        image = [el("img", src=data_uri(p), alt=alt, data_file=p.name) for p in files]
    return el("figure", image, el("figcaption", el("strong", label("Figure", ident), " "), text,
                                  " ", el("span", f"({names})", class_="file")), id=ident)


def figures(f: Folder) -> Html:
    title = el("h3", "Figures", id="figures")
    files = f.results.figures
    images = [p for p in files if p.suffix.lower() in IMAGE_TYPES]
    other = [p for p in files if p.suffix.lower() not in IMAGE_TYPES]
    if not images:
        return el("div", title, para("This results folder holds no plots (it was run with "
                                     "`--no-plots`); `baiji-sim plot RESULTS_DIR` draws them "
                                     "from the files without re-running."))
    groups: dict[str, list[Path]] = {}
    for p in images:
        groups.setdefault(p.stem, []).append(p)
    order = [s for s in FIGURE_ORDER if s in groups] + sorted(
        s for s in groups if s not in FIGURE_ORDER)
    figures = [figure(stem, groups[stem]) for stem in order]
    note = para(f"Also in plots/ (not embedded): {', '.join(p.name for p in other)}.") \
        if other else None
    return el("div", title, para("Every figure of the results folder (`plots/`), drawn from its "
                                 "files; colours are the Okabe-Ito palette, which stays "
                                 "distinguishable with colour-blindness."), figures, note)
