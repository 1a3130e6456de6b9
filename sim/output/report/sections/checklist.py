"""The frame of the account of the model and the study: the STRESS-DES checklist (Monks et al.
2019, "Strengthening the reporting of empirical simulation studies: Introducing the STRESS
guidelines", Journal of Simulation 13(1)), each section and item numbered as in it."""

from __future__ import annotations

from typing import Any

from sim.output.report.html import Html, el


def stress_section(number_: int, title: str, *children: Any) -> Html:
    """STRESS section ``number_`` (1 Objectives ... 6 Code access)."""
    return el("section", el("h2", el("span", f"STRESS {number_}", class_="stress"), " ", title,
                            id=f"stress-{number_}"), children, class_="stress-section")


def stress_item(code: str, title: str, *children: Any) -> Html:
    """Item ``code`` ("2.3") of a STRESS section."""
    return el("div", el("h3", f"{code} {title}", id=f"stress-{code.replace('.', '-')}"),
              children)
