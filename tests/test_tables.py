"""Terminal tables: shares as percentages that do not hide a small chance, differences of
shares in percentage points (as the report gives them)."""

from __future__ import annotations

from rich.console import Console

from sim.output.tables import ci, p_text, paired_table, percent_decimals, selection_line


def test_a_small_share_is_not_printed_as_certainty() -> None:
    assert ci({"mean": 0.0, "ci95": [0.0, 0.0019]}, 0, True) == "0.0% [0.0, 0.2]"
    assert ci({"mean": 0.0, "ci95": [0.0, 0.0]}, 0, True) == "0% [0, 0]"
    assert ci({"mean": 0.92, "ci95": [0.9, 0.93]}, 0, True) == "92% [90, 93]"
    assert ci({"mean": 0.999, "ci95": [0.996, 1.0]}, 0, True) == "99.9% [99.6, 100.0]"
    assert percent_decimals(None, 0.5) == 0


def test_paired_differences_of_shares_are_in_percentage_points() -> None:
    row = {"scenario": "b", "n": 100, "p_holm": 0.001, "significant": True,
           "variance_reduction": 2.0}
    comparisons = {"baseline": "a", "comparisons": [
        {**row, "metric": "garrison_held", "mean_difference": 0.075, "ci95": [0.04, 0.11]},
        {**row, "metric": "operating_days", "mean_difference": 3.25, "ci95": [1.0, 5.5]}]}
    console = Console(record=True, width=250)
    console.print(paired_table(comparisons))
    text = console.export_text()
    assert "+8 pp [+4, +11]" in text
    assert "+3.25 [+1.00, +5.50]" in text


def test_p_values_claim_no_more_precision_than_they_have() -> None:
    assert p_text(0.0) == "< 1e-10"
    assert p_text(9.66e-139) == "< 1e-10"
    assert p_text(2.5e-11) == "< 1e-10"
    assert p_text(1e-10) == "1e-10"
    assert p_text(4.2345e-7) == "4.2e-07"
    assert p_text(0.012345) == "0.0123"
    assert p_text(0.5) == "0.5"
    assert p_text(1.0) == "1"
    assert p_text(None) == "-" and p_text(float("nan")) == "-"
    row = {"scenario": "b", "n": 100, "significant": True, "variance_reduction": 2.0,
           "metric": "operating_days", "mean_difference": 3.25, "ci95": [1.0, 5.5]}
    console = Console(record=True, width=250)
    console.print(paired_table({"baseline": "a", "comparisons": [
        {**row, "p_holm": 0.0}, {**row, "scenario": "c", "p_holm": 9.66e-139}]}))
    text = console.export_text()
    assert text.count("< 1e-10") == 2 and "e-139" not in text


SELECTION = {"metric": "operating_days", "goal": "maximize", "confidence": 0.95,
             "procedure": "Nelson, Swann, Goldsman & Song (2001) screening with paired "
             "variances", "replications": 30, "t": 2.3}


def test_the_best_line_names_a_subset_only_when_it_leaves_someone_out() -> None:
    tied = {**SELECTION, "subset": ["no-launchers", "baseline", "flights-halted"],
            "means": {"baseline": 0.0, "flights-halted": 0.0, "no-launchers": 0.0}}
    assert selection_line(tied) == "No scenario stands out on operating_days: all 3 score 0."
    close = {**tied, "means": {"baseline": 12.0, "flights-halted": 12.5, "no-launchers": 13.1}}
    line = selection_line(close)
    assert line.startswith("No scenario stands out on operating_days: all 3 stay in the 95% "
                           "subset (means 12 to 13.1)")
    assert "\n" not in line
    separated = {**close, "subset": ["no-launchers", "flights-halted"]}
    assert selection_line(separated).startswith(
        "Best for operating_days (maximize), 95% confidence: no-launchers, flights-halted")
    interrupted = {**SELECTION, "subset": [], "means": {"a": None, "b": None},
                   "note": "only 1 replications finished in all 2 scenarios: no selection"}
    assert selection_line(interrupted).startswith("Best for operating_days: only 1")
