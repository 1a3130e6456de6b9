"""Property-based: a mutated shipped scenario is either refused with the project's own
ScenarioError (one line) or it runs one replication within a time bound; nothing else.

Two kinds of mutation: of the data (one value anywhere replaced by a hostile one: huge, tiny,
negative, infinite, NaN, a boolean, text with control characters, a list, a mapping; a key
removed or added; a list item repeated), and of the text (lines removed, repeated or swapped,
characters inserted, the file cut short). The budget is small and the examples are fixed
(``derandomize``): the same cases run every time, in a few seconds.
"""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.replication import run_replication
from sim.scenario.loading import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml")) + sorted(
    (REPO / "scenarios" / "exercises").glob("*.yaml"))
REPLICATION_SECONDS = 30.0  # the event budget keeps a replication to seconds; this is a hang
FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HOSTILE = st.one_of(
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e308, -1e308, 2**63, 2**64, 10**100,
                     float("inf"), float("-inf"), float("nan"), True, False, None, "",
                     "2014-13-45", "9999-12-31", [], {}, "\x00", "\u202e", "a\nb"]),
    # at and just past the bounds of docs/model.md, section 4
    st.sampled_from([0.01, 10, 20, 24, 100, 1000, 1001, 10_000, 100_000, 1_000_000,
                     1_000_001, 1e9, 1e9 + 1, 3650, 3651]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=4),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


class TooSlow(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise TooSlow(f"one replication ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def own_data(path: Path) -> dict[str, Any]:
    """The file's own data, its ``extends`` made absolute so a copy elsewhere still finds it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "extends" in data:
        data["extends"] = str((path.parent / data["extends"]).resolve())
    return data


def own_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if "extends" in data:
        text = text.replace(f"extends: {data['extends']}",
                            f"extends: {(path.parent / data['extends']).resolve()}", 1)
    return text


def places(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (keys and list indices)."""
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from places(value, (*at, i))


def loads_or_refuses(path: Path) -> None:
    """The property: ScenarioError on one line, or a scenario whose replication runs."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        text = str(exc)
        assert "\n" not in text and "\r" not in text, text
        assert text.startswith("/"), text  # names a file (absolute paths here)
        return
    with time_limit(REPLICATION_SECONDS):
        result = run_replication(scenario, seed=1)
    assert result.daily.shape[1] == scenario.horizon_days


def mutate(raw: dict[str, Any], data: st.DataObject) -> None:
    """One change somewhere in ``raw``: a value replaced, a key removed or added, an item
    repeated."""
    spots = [p for p in places(raw) if p and p[0] != "extends"]
    if not spots:
        return
    spot = data.draw(st.sampled_from(spots), label="where")
    action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "add",
                                        "repeat"]), label="action")
    *parents, last = spot
    holder: Any = raw
    for key in parents:
        holder = holder[key]
    if action == "replace":
        holder[last] = data.draw(HOSTILE, label="value")
    elif action == "delete":
        del holder[last]
    elif action == "add" and isinstance(holder, dict):
        holder[data.draw(st.text(min_size=1, max_size=12), label="key")] = data.draw(HOSTILE)
    elif action == "repeat" and isinstance(holder, list):
        holder.append(holder[last])


@FUZZ
@given(st.sampled_from(SHIPPED), st.data())
def test_a_mutated_value_is_refused_or_runs(source: Path, data: st.DataObject) -> None:
    raw = own_data(source)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        mutate(raw, data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / source.name
        path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        loads_or_refuses(path)


@FUZZ
@given(st.sampled_from(SHIPPED), st.data())
def test_a_mutated_text_is_refused_or_runs(source: Path, data: st.DataObject) -> None:
    lines = own_text(source).splitlines(keepends=True)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="edits")):
        if not lines:
            break
        i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1), label="line")
        edit = data.draw(st.sampled_from(["drop", "repeat", "swap", "insert", "cut"]),
                         label="edit")
        if edit == "drop":
            del lines[i]
        elif edit == "repeat":
            lines.insert(i, lines[i])
        elif edit == "swap":
            j = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif edit == "insert":
            at = data.draw(st.integers(min_value=0, max_value=len(lines[i])))
            extra = data.draw(st.text(max_size=6), label="text")
            lines[i] = lines[i][:at] + extra + lines[i][at:]
        else:
            lines = lines[:i]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / source.name
        path.write_text("".join(lines), encoding="utf-8", errors="surrogatepass")
        loads_or_refuses(path)
