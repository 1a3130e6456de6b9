"""The options a run keeps with its batch, so that a resumed run ends as the first would have.

``baiji-sim run`` stores them in ``parts/batch.json`` (the runner keeps them as opaque
JSON); ``run --resume`` reads them back and refuses options that contradict them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# With --resume these define the batch and cannot be given again.
BATCH_ONLY = {"scenarios": "SCENARIO files", "overrides": "--set",
              "precision": "--precision", "abs_precision": "--abs-precision",
              "precision_metric": "--precision-metric", "max_replications": "--max-replications",
              "uncertainty": "--uncertainty", "per_draw": "--per-draw", "shape": "--shape"}
# These may be given again with --resume, if they equal the folder's.
KEPT = {"replications": "-n", "seed": "--seed", "out": "--out", "baseline": "--baseline",
        "select": "--select", "minimize": "--minimize", "plots": "--plots/--no-plots",
        "plot_format": "--plot-format", "parquet": "--parquet"}


@dataclass
class RunOptions:
    """How the results of a batch are analysed and written."""

    baseline: str | None = None
    select: str = "operating_days"
    minimize: bool = False
    plots: bool = True
    plot_format: str = "png"
    parquet: bool = False  # also write replications.parquet
    command: list[str] = field(default_factory=list)  # the command that started the batch
    sources: dict[str, str] = field(default_factory=dict)  # scenario name -> its file
    # A run until precise (--precision): its stopping rule, kept for --resume.
    precision: float | None = None
    abs_precision: float | None = None
    precision_metric: list[str] = field(default_factory=list)
    max_replications: int = 0
    uncertainty: list[Any] | None = None  # [per_draw, shape] of --uncertainty, or None
    calibration: bool = False  # started by `calibrate`: the batch ends with calibrated.yaml

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], given: RunOptions) -> RunOptions:
        """The options kept in a folder; ``given`` fills in what an older folder lacks."""
        known = {f.name for f in fields(cls)}
        return cls(**{**asdict(given), **{k: v for k, v in data.items() if k in known}})

    def shown(self, name: str) -> str:
        """An option's value as it is typed on the command line."""
        value = getattr(self, name)
        if isinstance(value, bool):  # --plots/--no-plots, --minimize/--no-minimize
            return f"--{'' if value else 'no-'}{name.replace('_', '-')}"
        return str(value)
