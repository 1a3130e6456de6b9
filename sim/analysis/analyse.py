"""What a batch says: the one function that turns a batch into what summary.json holds.

The CLI, the Python API and a notebook all call :func:`analyse`, so ``summary.json``, the
terminal tables and a notebook's ``analyse(batch)`` never differ: estimates with their
intervals (:mod:`sim.analysis.estimates`), paired comparisons with a reference scenario
and subset selection (:mod:`sim.analysis.comparison`), and, for a run until precise, why
it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.analysis.calibration import calibration_summary
from sim.analysis.comparison import compare_to_baseline, select_best
from sim.analysis.estimates import summarize
from sim.analysis.sequential import StoppingReport
from sim.analysis.uncertainty import uncertainty_summary
from sim.runner.batch import BatchResult

DEFAULT_REFERENCE = "baseline"  # the shipped scenarios' reference, used when present


def reference_scenario(names: Sequence[str], requested: str | None = None) -> str | None:
    """The scenario the others are compared with: ``requested`` if given, else the one
    named ``baseline`` if there is one, else none (never the first file by accident)."""
    if requested is not None:
        if requested not in names:
            raise ValueError(f"'{requested}' is not one of the scenarios: {', '.join(names)}")
        return requested
    return DEFAULT_REFERENCE if DEFAULT_REFERENCE in names and len(names) > 1 else None


def analyse(batch: BatchResult, *, baseline: str | None = None,
            select: str = "operating_days", minimize: bool = False,
            stopping: StoppingReport | None = None) -> dict[str, Any]:
    """Everything ``summary.json`` holds for ``batch``.

    ``baseline`` names the reference scenario (default: :func:`reference_scenario`);
    ``reference`` in the result says which was used (None: no comparison). ``select`` is the
    metric of the subset selection (``minimize``: smaller is better); made only with more
    than one scenario.
    """
    summary = summarize(batch)
    names = [r.scenario.name for r in batch.runs]
    reference = reference_scenario(names, baseline)
    summary["reference"] = reference
    if reference is not None:
        summary["comparisons"] = compare_to_baseline(batch, reference)
    if len(names) > 1:
        summary["selection"] = select_best(batch, select, maximize=not minimize)
    if stopping is not None:
        summary["stopping"] = stopping.to_dict()
    uncertainty = uncertainty_summary(batch)
    if uncertainty is not None:
        summary["uncertainty"] = uncertainty
    calibration = calibration_summary(batch)
    if calibration is not None:
        summary["calibration"] = calibration
    return summary
