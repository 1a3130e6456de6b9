"""Numbers and values as the report writes them: estimates with intervals, p-values, days."""

from __future__ import annotations

import math
from typing import Any

from sim.output.tables import percent_decimals


def known(value: Any, default: Any) -> Any:
    """``value``, or ``default`` where a file did not say (None)."""
    return default if value is None else value


def finite(x: Any) -> bool:
    """Whether ``x`` is a finite number (not a bool, None, NaN or an infinity)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def auto_decimals(*values: Any) -> int:
    """Decimals for numbers as large as the largest of ``values``: 0 from 100, 3 below 1."""
    big = max((abs(v) for v in values if finite(v)), default=0.0)
    if big == 0 or big >= 100:
        return 0
    return 1 if big >= 10 else 2 if big >= 1 else 3


def number(x: Any, decimals: int | None = None, signed: bool = False) -> str:
    if not finite(x):
        return "–"
    d = auto_decimals(x) if decimals is None else decimals
    text = f"{x:.{d}f}"
    if float(text) == 0:  # no "-0" or "+0"
        return f"{0:.{d}f}"
    return f"{x:+.{d}f}" if signed else text


def pair(ci: Any) -> tuple[Any, Any]:
    """(low, high) of an interval as stored in summary.json ([low, high], either may be null)."""
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        return ci[0], ci[1]
    return None, None


def interval(mean: Any, ci: Any, *, percent: bool = False, signed: bool = False,
             unit: str = "") -> str:
    """'mean [low, high]' (percentages of shares), or '–' when there is no estimate."""
    if not finite(mean):
        return "–"
    lo, hi = pair(ci)
    scale = 100.0 if percent else 1.0
    d = percent_decimals(mean, lo, hi) if percent else auto_decimals(mean, lo, hi)
    text = number(mean * scale, d, signed) + unit
    if finite(lo) and finite(hi):
        text += f" [{number(lo * scale, d, signed)}, {number(hi * scale, d, signed)}]"
    return text


def entry_text(entry: dict[str, Any] | None) -> str:
    """A summary entry as 'mean [CI]' or 'share% [CI]' (restricted mean for event days)."""
    if not entry:
        return "–"
    return interval(entry.get("mean"), entry.get("ci95"), percent=entry.get("kind") == "share",
                    unit="%" if entry.get("kind") == "share" else "")


def event_texts(entry: dict[str, Any] | None) -> tuple[str, str]:
    """(P(event by the horizon) [CI], median day [CI] or 'not reached')."""
    if not entry or entry.get("kind") != "time_to_event":
        return "–", "–"
    p = entry.get("p_event_by_horizon") or {}
    share = interval(p.get("share"), p.get("ci95"), percent=True, unit="%")
    median = entry.get("median")
    if not finite(median):
        return share, "not reached"
    lo, hi = pair(entry.get("median_ci95"))
    text = f"{median:.0f}"
    if finite(lo):
        text += f" [{lo:.0f}, {hi:.0f}]" if finite(hi) else f" [{lo:.0f}, not reached]"
    return share, text


def p_text(p: Any) -> str:
    if not finite(p):
        return "–"
    return "< 0.0001" if p < 1e-4 else f"{p:.3g}"


def value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) if value else "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)


def range_text(r: Any) -> str:
    if isinstance(r, (list, tuple)) and len(r) == 2:
        return f"{value_text(r[0])} to {value_text(r[1])}"
    return ""
