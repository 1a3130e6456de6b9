"""A small HTML library: every piece of text that is not already :class:`Html` is escaped.

The page is built with :func:`el`, which escapes every child that is not already
:class:`Html`, so nothing read from a file can become markup. Bidirectional control
characters (U+202E RIGHT-TO-LEFT OVERRIDE...) in such text are isolated: each word that
holds one is a ``<bdi>`` element, so a scenario name cannot reverse the numbers and words
around it; in attributes and the ``<title>``, where no element can go, they are written out
as ``<U+202E>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from sim.output.results_folder import BIDI_CONTROLS, show_bidi_controls


class Html(str):
    """Markup built by this package; any other text is escaped before it joins the page."""

    __slots__ = ()


VOID = frozenset({"img", "br", "hr", "meta", "source", "col", "wbr"})


# A word (no space, no backtick: prose() splits at backticks) holding a bidi control.
_BIDI_WORD = re.compile(r"[^\s`]*(?:" + BIDI_CONTROLS.pattern + r")[^\s`]*")


def esc(value: Any) -> Html:
    """``value`` as HTML: unchanged if it already is :class:`Html`, otherwise escaped,
    with every word that holds a bidirectional control isolated in a ``<bdi>``."""
    if isinstance(value, Html):
        return value
    text = html.escape(str(value), quote=True)
    if BIDI_CONTROLS.search(text):
        text = _BIDI_WORD.sub(lambda m: f"<bdi>{m.group()}</bdi>", text)
    return Html(text)


def esc_plain(value: Any) -> Html:
    """``value`` escaped for an attribute or the ``<title>`` (no element can go there):
    bidirectional controls written out as ``<U+202E>``."""
    return Html(html.escape(show_bidi_controls(str(value)), quote=True))


def _children(items: Iterable[Any]) -> Html:
    out = []
    for item in items:
        if item is None or item is False:
            continue
        if isinstance(item, str):
            out.append(esc(item))
        elif isinstance(item, Iterable):
            out.append(_children(item))
        else:
            out.append(esc(item))
    return Html("".join(out))


def _attributes(attrs: dict[str, Any]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f" {name}" if value is True else f' {name}="{esc_plain(value)}"')
    return "".join(parts)


def el(tag: str, *children: Any, **attrs: Any) -> Html:
    """An element; ``class_="x"`` gives ``class="x"``, ``data_file`` gives ``data-file``."""
    start = f"<{tag}{_attributes(attrs)}>"
    if tag in VOID:
        return Html(start)
    if tag == "title":  # text only: a <bdi> would show as its characters
        return Html(f"{start}{''.join(esc_plain(c) for c in children)}</{tag}>")
    return Html(f"{start}{_children(children)}</{tag}>")


def prose(text: str) -> Html:
    """Escaped text in which `backticks` mark code."""
    parts = esc(text).split("`")
    return Html("".join(p if i % 2 == 0 else f"<code>{p}</code>" for i, p in enumerate(parts)))


def para(*children: Any, **attrs: Any) -> Html:
    return el("p", *(prose(c) if type(c) is str else c for c in children), **attrs)


def table(head: list[Any], rows: Iterable[list[Any]], caption: Any = None,
          numeric: Iterable[int] = (), row_headers: bool = False,
          groups: list[tuple[str, int]] | None = None, **attrs: Any) -> Html:
    """A bordered table; columns in ``numeric`` are right-aligned with tabular figures.

    A table with a ``caption`` is numbered ("Table 3.", see :func:`number_labels`).
    With ``row_headers`` the first cell of each row is its header (the scenario's name);
    ``groups`` adds a header row above ``head`` of (label, number of columns) cells.
    """
    if caption is not None:
        caption = [label("Table", attrs.get("id")), " ", caption]
    numeric = set(numeric)
    body = []
    for row in rows:
        cells = [el("th", c, scope="row") if k == 0 and row_headers else
                 el("td", estimate(c) if k in numeric else c,
                    class_="num" if k in numeric else None)
                 for k, c in enumerate(row)]
        body.append(el("tr", cells))
    top = el("tr", [el("th", label, colspan=str(n) if n > 1 else None, scope="colgroup",
                       class_="group-head" if label else None) for label, n in groups]
             ) if groups else None
    return el("div", el("table", el("caption", caption) if caption is not None else None,
                        el("thead", top, el("tr", [el("th", h, scope="col") for h in head])),
                        el("tbody", body), **attrs), class_="wide")


def estimate(text: Any) -> Any:
    """An 'estimate [low, high]' cell that may wrap before the bracket, never inside a part."""
    if not isinstance(text, str) or isinstance(text, Html) or " [" not in text:
        return text
    head, tail = text.split(" [", 1)
    return Html(el("span", head, class_="est") + " " + el("span", "[" + tail, class_="ci"))


def path_code(path: str) -> Html:
    """A dotted parameter path as code that may break after a dot or an underscore."""
    pieces = re.split(r"(?<=[._])", path)
    return el("code", [[p, Html("<wbr>")] for p in pieces[:-1]], pieces[-1])


def anchor(prefix: str, name: str, index: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"{prefix}-{index}-{slug}" if slug else f"{prefix}-{index}"


# -- numbering ---------------------------------------------------------------------------
# Tables and figures are numbered once the page is complete, in the order a reader meets
# them, so that no number is written by hand and none is skipped or given twice.
_LABEL = re.compile(r'<span class="label" data-kind="(Table|Figure)" data-for="([^"]*)">'
                    r'</span>')
_XREF = re.compile(r'<a class="xref" href="#([^"]*)">([^<]*)</a>')


def label(kind: str, target: str | None) -> Html:
    """The number of a table or figure (``kind``) whose element has the id ``target``:
    a placeholder that :func:`number_labels` fills in."""
    return Html(f'<span class="label" data-kind="{kind}" data-for="{esc_plain(target or "")}">'
                "</span>")


def xref(target: str, fallback: str) -> Html:
    """A link to the table or figure with the id ``target``, written as its number ("Table
    2") by :func:`number_labels`; ``fallback`` (plain text) if the page has no such table."""
    return Html(f'<a class="xref" href="#{esc_plain(target)}">{esc(fallback)}</a>')


def number_labels(page: str) -> str:
    """``page`` with its tables and figures numbered from one counter per kind, in document
    order ("Table 1.", "Table 2."... "Figure 1."...), and each :func:`xref` written as the
    number of the table or figure it names."""
    counts: dict[str, int] = {}
    numbers: dict[str, str] = {}

    def numbered(m: re.Match[str]) -> str:
        counts[m[1]] = counts.get(m[1], 0) + 1
        text = f"{m[1]} {counts[m[1]]}"
        if m[2]:
            numbers[m[2]] = text
        return f'<span class="label">{text}.</span>'

    def reference(m: re.Match[str]) -> str:
        found = numbers.get(html.unescape(m[1]))
        return f'<a class="xref" href="#{m[1]}">{found}</a>' if found else m[2]

    return _XREF.sub(reference, _LABEL.sub(numbered, page))
