"""Terminal tables: shares as percentages that do not hide a small chance, differences of
shares in percentage points (as the report gives them)."""

from __future__ import annotations

from rich.console import Console

from sim.output.tables import ci, paired_table, percent_decimals


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
