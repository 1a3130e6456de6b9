"""How wide the answer really is: parameter uncertainty and calibration, when the run drew
its parameters (``run --uncertainty``, ``calibrate``; docs/model.md 5.3 and 5.4)."""

from __future__ import annotations

from typing import Any

from sim.output.report.folder import Folder
from sim.output.report.html import Html, anchor, el, para, table


def _pct(x: float) -> str:
    return f"{x:.0%}"


def uncertainty(f: Folder) -> Html | None:
    """The parameters' share of each outcome's variance, and what the observations say."""
    section = f.summary.get("uncertainty")
    if not section:
        return None
    parts: list[Any] = [el("h3", "Parameters versus chance", id="uncertainty"), para(
        "This run drew every uncertain parameter (an assumption with a recorded range) for "
        f"each group of {section['per_draw']} replications ({section['shape']} over the range, "
        "a Latin hypercube); facts stayed fixed. The table gives the share of each outcome's "
        "variance that comes from the parameters (the rest is chance) with its 95% interval, "
        "and the parameters most rank-correlated with the outcome.")]
    calibrated = {n: e["drawn_from"] for n, e in section["scenarios"].items()
                  if e.get("drawn_from", "ranges") != "ranges"}
    if calibrated:
        parts.append(para("A calibrated scenario draws its calibrated parameters together, "
                          "as whole rows of its posterior, instead: " + "; ".join(
                              f"{n}, from the {how}" for n, how in calibrated.items()) + "."))
    rows = []
    for name, entry in section["scenarios"].items():
        for metric, e in entry["metrics"].items():
            if e.get("share") is None:
                rows.append([name, metric, "–", e.get("note", "")])
                continue
            low, high = e["ci95"]
            drivers = "; ".join(f"{d['parameter']} ({d['spearman_rho']:+.2f})"
                                for d in e["drivers"][:3])
            rows.append([name, metric, f"{_pct(e['share'])} [{_pct(low)}, {_pct(high)}]",
                         drivers])
    parts.append(table(["scenario", "outcome", "from the parameters", "moved most by "
                        "(Spearman ρ)"], rows, caption="Share of each outcome's variance "
                       "from the parameters drawn from their ranges [95% CI]", numeric=[2],
                       id="table-uncertainty"))
    for k, (name, c) in enumerate((f.summary.get("calibration") or {}).items()):
        parts.append(_calibration(name, c, k))
    return el("div", parts)


def _calibration(name: str, c: dict[str, Any], k: int) -> Html:
    if not c.get("ess"):
        return para(f"Calibration of {name}: {c.get('note', 'no draw agrees')}.")
    shares = [[oid, _pct(s["prior"]), _pct(s["posterior"])]
              for oid, s in c["observation_shares"].items()]
    outcomes = []
    for metric, o in c["outcomes"].items():
        low, high = o["posterior_ci95"]
        outcomes.append([metric, f"{o['prior']:.3g} [{o['prior_ci95'][0]:.3g}, "
                                 f"{o['prior_ci95'][1]:.3g}]",
                         f"{o['posterior']:.3g}" + (f" [{low:.3g}, {high:.3g}]"
                                                    if low is not None else "")])
    params = [[p["parameter"], f"{p['prior'][1]:.3g} [{p['prior'][0]:.3g}, {p['prior'][2]:.3g}]",
               f"{p['posterior'][1]:.3g} [{p['posterior'][0]:.3g}, {p['posterior'][2]:.3g}]",
               _pct(p["shrinkage"])] for p in c["parameters"][:8]]
    return el("div", el("h3", f"What the articles' observations say about {name}"), para(
        f"Each draw is weighted by the share of its replications that agree with all "
        f"{len(c['observations'])} dated observations the scenario tests "
        f"({c['acceptance']:.1%} of replications agree; effective sample size "
        f"{c['ess']:.0f} of {c['draws']} draws). No parameter leaves its documented range."),
        table(["observation", "consistent before", "after"], shares, numeric=[1, 2],
              caption=f"{name}: share of replications consistent with each observation, "
                      "before and after weighting", id=anchor("table-calibration-check", name, k)),
        table(["outcome", "before", "after"], outcomes, numeric=[1, 2],
              caption=f"{name}: outcomes before and after the observations (mean [95% CI])",
              id=anchor("table-calibration-outcomes", name, k)),
        table(["parameter", "before", "after", "narrower by"], params, numeric=[1, 2, 3],
              caption=f"{name}: the parameters the observations narrow most (median [90% "
                      "interval])", id=anchor("table-calibration-parameters", name, k)))
