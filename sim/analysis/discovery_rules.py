"""Rule finding: the boxes of lever and uncertainty values where the goal is met.

Two well-kept implementations, not hand-written ones (the ``discover`` extra installs them):

* **PRIM** (Friedman and Fisher 1999), as ema-workbench implements it for scenario discovery
  (``ema_workbench.analysis.prim``; Bryant and Lempert 2010): starting from the whole design,
  it peels off thin slices (5% of the points) of one dimension at a time, whichever raises
  the share of points meeting the goal inside the box most, and records each box of the
  peeling trajectory with its *coverage* (the share of all points meeting the goal that lie in
  the box), its *density* (the share of the points in the box that meet the goal) and the
  number of points. The box reported is the one of the trajectory with the highest coverage
  among those whose density reaches ``density`` (0.8 unless given); none reaching it, the
  densest. A second box, looked for among the points the first leaves out, is reported only
  if it reaches ``density``. Each limit comes with its quasi-p value (a one-sided binomial
  test of whether the limit raises the density beyond chance: Bryant and Lempert 2010), small
  values meaning a limit that matters; limits whose quasi-p value is above 0.05 are dropped.
* **CART** (scikit-learn's ``DecisionTreeClassifier``, depth 3): the leaves of the tree where
  most points meet the goal, each a box with its coverage, density and points.

A point "meets the goal" as :meth:`sim.analysis.discovery_goal.Goal.met` says of its outcome.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim.analysis.discovery_design import Dimension
from sim.analysis.estimates import mean_interval, wilson_interval

SIGNIFICANCE = 0.05  # a PRIM limit whose quasi-p value is above this is dropped
DENSITY = 0.8  # the density a PRIM box must reach to be preferred for its coverage
MAX_BOXES = 2
CART_DEPTH = 3
EXTRA = ("scenario discovery needs ema-workbench and scikit-learn, which baiji-sim installs "
         "as an extra: pip install 'baiji-sim[discover]' (or pip install ema-workbench "
         "scikit-learn)")


class MissingExtra(ImportError):
    """The ``discover`` extra is not installed."""


@dataclass
class Restriction:
    """One limit of a box: the values of a dimension inside it."""

    path: str
    kind: str  # lever or uncertainty
    label: str
    low: float
    high: float
    full_low: float  # the dimension's range in the design
    full_high: float
    qp_low: float | None = None  # PRIM's quasi-p value of each limit (None: not restricted)
    qp_high: float | None = None
    integer: bool = False  # whole numbers: the limits are shown as the values they keep

    @property
    def cut(self) -> float:
        """The share of the dimension's range the box leaves out."""
        width = self.full_high - self.full_low
        return 0.0 if width <= 0 else 1.0 - (self.high - self.low) / width

    def words(self) -> str:
        """'coordination_factor <= 1.2', 'repair crews >= 3', '2 <= x <= 5'."""
        name = self.label
        low, high = ((math.ceil(self.low), math.floor(self.high)) if self.integer
                     else (self.low, self.high))
        lo = self.low > self.full_low
        hi = self.high < self.full_high
        if lo and hi:
            return (f"{name} = {_num(low)}" if low == high else
                    f"{_num(low)} <= {name} <= {_num(high)}")
        if lo:
            return f"{name} >= {_num(low)}"
        return f"{name} <= {_num(high)}"


@dataclass
class Box:
    """A box of the design where the goal is met more often than elsewhere."""

    method: str  # prim or cart
    coverage: float
    density: float
    points: int  # design points inside
    hits: int  # of which meet the goal
    restrictions: list[Restriction] = field(default_factory=list)
    trajectory_index: int | None = None  # PRIM: the box's place on its peeling trajectory

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["restrictions"] = [{**asdict(r), "cut": r.cut, "words": r.words()}
                               for r in self.restrictions]
        return out


@dataclass
class Rules:
    """PRIM's boxes with their peeling trajectories, and CART's."""

    prim: list[Box]
    trajectories: list[list[dict[str, float]]]  # per PRIM box: coverage, density, n, res_dim
    cart: list[Box]
    pair: tuple[int, int] | None  # the two dimensions that matter most (indices)
    density: float


def _num(value: float) -> str:
    return f"{value:.3g}" if not float(value).is_integer() else f"{int(value)}"


@contextmanager
def _quiet() -> Iterator[None]:
    """ema-workbench and pandas warn about their own futures (and optional parts of the
    workbench); they say nothing about the boxes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _prim_module() -> Any:
    try:
        with _quiet():
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise MissingExtra(EXTRA) from exc
    return prim


def check_extra() -> None:
    """Raise :class:`MissingExtra` unless PRIM and CART can be imported."""
    _prim_module()
    try:
        import sklearn.tree  # noqa: F401
    except ImportError as exc:
        raise MissingExtra(EXTRA) from exc


def _frame(values: np.ndarray, dims: Sequence[Dimension]) -> Any:
    import pandas as pd

    # Every column as floats, whole-number ones too: ema-workbench's pasting writes
    # half-way limits into its box table, which pandas refuses in an integer column.
    return pd.DataFrame({d.path: values[:, j].astype(float) for j, d in enumerate(dims)})


def prim_boxes(values: np.ndarray, met: np.ndarray, dims: Sequence[Dimension],
               density: float = DENSITY, max_boxes: int = MAX_BOXES
               ) -> tuple[list[Box], list[list[dict[str, float]]]]:
    """PRIM's boxes (see the module docstring) and each one's peeling trajectory."""
    prim = _prim_module()
    met = np.asarray(met, dtype=bool)
    if not met.any() or met.all():  # nothing to separate
        return [], []
    boxes: list[Box] = []
    trajectories: list[list[dict[str, float]]] = []
    with _quiet():
        finder = prim.Prim(_frame(values, dims), met, threshold=density)
        for _ in range(max_boxes):
            found = finder.find_box()
            if found is None:
                break
            table = found.peeling_trajectory
            if int(table["res_dim"].iloc[-1]) == 0:  # a "dump box": nothing left to find
                break
            rows = [{"coverage": float(r.coverage), "density": float(r.density),
                     "n": int(r.n), "k": int(r.k), "res_dim": int(r.res_dim)}
                    for r in table.itertuples()]
            dense = [i for i, r in enumerate(rows) if r["density"] >= density]
            pick = (max(dense, key=lambda i: (rows[i]["coverage"], rows[i]["density"]))
                    if dense else max(range(len(rows)), key=lambda i: rows[i]["density"]))
            # The trajectory shown is the peeling's; the box reported may be a wider one
            # (insignificant limits dropped), which ema-workbench appends after it.
            pick = _drop_insignificant(found, pick)
            r = found.peeling_trajectory.iloc[pick]
            box = _prim_box(found, pick, {"coverage": float(r["coverage"]),
                                          "density": float(r["density"]),
                                          "n": int(r["n"]), "k": int(r["k"])}, dims)
            if boxes and box.density < density:  # a further box must reach the density
                break
            boxes.append(box)
            trajectories.append(rows)
            if box.density < density:
                break
    return boxes, trajectories


def _drop_insignificant(found: Any, i: int) -> int:
    """Box ``i`` without the limits that do not matter: the limit whose quasi-p value is
    largest is dropped while it is above SIGNIFICANCE (ema-workbench's ``drop_restriction``,
    which adds the wider box to the trajectory), as Bryant and Lempert (2010) advise; a box
    found on few points otherwise carries limits that only fit its noise."""
    while True:
        qp = found.qp[i]
        worst = max(qp, key=lambda u: _qp_min(qp[u]), default=None)
        if worst is None or len(qp) <= 1 or _qp_min(qp[worst]) <= SIGNIFICANCE:
            return i
        found.drop_restriction(worst, i)
        i = len(found.box_lims) - 1


def _qp_min(values: Sequence[Any]) -> float:
    """The smaller quasi-p value of a limit's two sides (a side not restricted has none)."""
    found = [v for v in (_qp(x) for x in values) if v is not None]
    return min(found) if found else 1.0


def _prim_box(found: Any, i: int, row: dict[str, float], dims: Sequence[Dimension]) -> Box:
    limits = found.box_lims[i]
    initial = found.box_lims[0]
    qp = found.qp[i]
    restrictions = []
    for d in dims:
        lo, hi = float(limits[d.path].iloc[0]), float(limits[d.path].iloc[1])
        # A side is a limit where it moved from the first box's (the design's own extremes);
        # a side that did not is shown as the dimension's range.
        lo_side = lo != float(initial[d.path].iloc[0])
        hi_side = hi != float(initial[d.path].iloc[1])
        if not (lo_side or hi_side):
            continue
        q = qp.get(d.path, [-1.0, -1.0])
        restrictions.append(Restriction(
            d.path, d.kind, d.label, lo if lo_side else d.low, hi if hi_side else d.high,
            d.low, d.high, _qp(q[0]) if lo_side else None, _qp(q[1]) if hi_side else None,
            d.integer))
    restrictions.sort(key=lambda r: (r.kind != "lever", -r.cut))
    return Box("prim", row["coverage"], row["density"], int(row["n"]), int(row["k"]),
               restrictions, i)


def _qp(value: Any) -> float | None:
    return None if value is None or value < 0 or math.isnan(value) else float(value)


def cart_boxes(values: np.ndarray, met: np.ndarray, dims: Sequence[Dimension],
               depth: int = CART_DEPTH) -> tuple[list[Box], np.ndarray]:
    """The leaves of a classification tree where most points meet the goal, as boxes
    (densest first), and the tree's importance of each dimension."""
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError as exc:
        raise MissingExtra(EXTRA) from exc
    met = np.asarray(met, dtype=bool)
    total = int(met.sum())
    if total == 0 or total == len(met):
        return [], np.zeros(len(dims))
    leaf = max(3, len(met) // 20)
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=0)
    tree.fit(values, met)
    t = tree.tree_
    boxes = []

    def walk(node: int, bounds: dict[int, list[float]]) -> None:
        if t.children_left[node] == -1:
            inside = np.ones(len(met), dtype=bool)
            for j, (lo, hi) in bounds.items():
                inside &= (values[:, j] > lo) & (values[:, j] <= hi)
            n, k = int(inside.sum()), int(met[inside].sum())
            if n and k / n > 0.5:
                restrictions = []
                for j, (lo, hi) in sorted(bounds.items()):
                    d = dims[j]
                    restrictions.append(Restriction(
                        d.path, d.kind, d.label, max(lo, d.low) if lo > -math.inf else d.low,
                        min(hi, d.high) if hi < math.inf else d.high, d.low, d.high,
                        integer=d.integer))
                restrictions.sort(key=lambda r: (r.kind != "lever", -r.cut))
                boxes.append(Box("cart", k / total, k / n, n, k, restrictions))
            return
        j, cut = int(t.feature[node]), float(t.threshold[node])
        lo, hi = bounds.get(j, [-math.inf, math.inf])
        walk(int(t.children_left[node]), {**bounds, j: [lo, min(hi, cut)]})
        walk(int(t.children_right[node]), {**bounds, j: [max(lo, cut), hi]})

    walk(0, {})
    boxes.sort(key=lambda b: (-b.density, -b.coverage))
    return boxes, np.asarray(tree.feature_importances_, dtype=float)


def find_rules(values: np.ndarray, met: np.ndarray, dims: Sequence[Dimension],
               density: float = DENSITY, outcomes: np.ndarray | None = None) -> Rules:
    """PRIM's and CART's boxes and the pair of dimensions that matters most: the two levers
    the first PRIM box cuts most (ties and the rest by CART's importance, then by the size
    of their rank correlation with the points' ``outcomes``), levers before uncertainties."""
    prim, trajectories = prim_boxes(values, met, dims, density)
    cart, importance = cart_boxes(values, met, dims)
    cuts = np.zeros(len(dims))
    if prim:
        index = {d.path: j for j, d in enumerate(dims)}
        for r in prim[0].restrictions:
            cuts[index[r.path]] = r.cut
    rho = np.zeros(len(dims))
    if outcomes is not None:
        rho = np.array([_abs_spearman(values[:, j], outcomes) for j in range(len(dims))])
    order = sorted(range(len(dims)), key=lambda j: (dims[j].kind != "lever", -cuts[j],
                                                    -importance[j], -rho[j], j))
    pair = (order[0], order[1]) if len(order) >= 2 else None
    return Rules(prim, trajectories, cart, pair, density)


def _abs_spearman(x: np.ndarray, y: np.ndarray) -> float:
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    rx = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    ry = np.argsort(np.argsort(y, kind="stable"), kind="stable")
    return float(abs(np.corrcoef(rx, ry)[0, 1]))


@dataclass
class Heatmap:
    """P(goal) (or the mean outcome) over a pair of dimensions, cell by cell, with intervals:
    the mean of the outcomes of the design points in each cell (the other dimensions varying
    as the design varies them), with its Student-t 95% interval over those points."""

    x: Dimension
    y: Dimension
    x_edges: list[float]
    y_edges: list[float]
    mean: np.ndarray  # (len(y_edges) - 1, len(x_edges) - 1); NaN for an empty cell
    low: np.ndarray
    high: np.ndarray
    points: np.ndarray  # design points per cell


def _edges(column: np.ndarray, d: Dimension, bins: int) -> list[float]:
    distinct = np.unique(column)
    if d.integer and len(distinct) <= 6:
        return [float(v) - 0.5 for v in distinct] + [float(distinct[-1]) + 0.5]
    return [float(v) for v in np.linspace(d.low, d.high, bins + 1)]


def heatmap(values: np.ndarray, outcomes: np.ndarray, dims: Sequence[Dimension],
            pair: tuple[int, int], bins: int = 4, counted: np.ndarray | None = None
            ) -> Heatmap:
    """The heatmap of the outcomes over ``pair`` (see :class:`Heatmap`). With ``counted``
    (the replications behind each point's outcome) the outcomes are probabilities: the
    interval is kept within [0, 1] and is at least as wide as the Wilson interval of the
    cell's runs pooled (a cell whose points all gave 0 has a Student-t interval of width 0,
    which says nothing of the runs it rests on)."""
    jx, jy = pair
    xe, ye = _edges(values[:, jx], dims[jx], bins), _edges(values[:, jy], dims[jy], bins)
    ix = np.clip(np.searchsorted(xe, values[:, jx], side="right") - 1, 0, len(xe) - 2)
    iy = np.clip(np.searchsorted(ye, values[:, jy], side="right") - 1, 0, len(ye) - 2)
    shape = (len(ye) - 1, len(xe) - 1)
    mean, low, high = (np.full(shape, np.nan) for _ in range(3))
    count = np.zeros(shape, dtype=int)
    for a in range(shape[0]):
        for b in range(shape[1]):
            inside = (iy == a) & (ix == b) & ~np.isnan(outcomes)
            cell = outcomes[inside]
            count[a, b] = len(cell)
            if len(cell):
                m, lo, hi = mean_interval(cell)
                if counted is not None:
                    runs = counted[inside]
                    _, wlo, whi = wilson_interval(round(float(cell @ runs)),
                                                  int(runs.sum()))
                    lo = max(0.0, wlo if math.isnan(lo) else min(lo, wlo))
                    hi = min(1.0, whi if math.isnan(hi) else max(hi, whi))
                mean[a, b], low[a, b], high[a, b] = m, lo, hi
    return Heatmap(dims[jx], dims[jy], xe, ye, mean, low, high, count)
