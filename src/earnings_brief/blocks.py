"""The brief's typed blocks (docs/architecture.md): what every chapter function returns, as plain
data with a versioned JSON payload, and the plain text of a Source line. A block's HTML is
render.py's; callers pass plain text, which is escaped there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

import pandas as pd

from .dataset import Source, parse_reference
from .i18n import t
from .narrative import join, label

# ---------------------------------------------------------------------------------------------
# Typed blocks: what a chapter function returns. Each one is plain data (JSON-safe fields only),
# displays in a notebook as HTML, and travels in the executed notebook as a versioned JSON payload
# under its own MIME type (the shape of scrapbook's and MyST-NB's glue), which the assembler
# reads back, numbers by counting and renders. Numbers in a table stay numbers (``Value``) until
# render time, where the one formatter writes them in the edition's language.

MIME = "application/vnd.earnings-brief.block.v1+json"
SCHEMA = 1


@dataclass(frozen=True)
class Value:
    """A number in a table cell, formatted at render time. ``style`` names the formatter:
    'plain' (``digits`` decimals), 'percent' (a fraction, shown ×100), 'points', 'multiple',
    'count', 'money' (with ``currency``/``scale``), or 'quantity': a figure in words from
    ``figure``, the fields of its metrics-frame row that the formatter reads (value, unit,
    dimension, metric, qualifier, written, written_unit, …). ``derived`` marks the cell."""

    value: float | None
    style: str = "plain"
    digits: int | None = None
    signed: bool = False
    derived: bool = False
    currency: str = ""
    scale: str = ""
    figure: dict | None = None


# The fields of a metrics-frame row that writing it in words reads (narrative.quantity).
FIGURE_KEYS = (
    "value", "unit", "dimension", "metric", "qualifier", "basis", "written", "written_unit",
    "range_lo", "range_hi",
)  # fmt: skip


def quantity(row: Mapping, **fields: Any) -> Value:
    """A figure (a row of the metrics frame, or a dict of some of its fields) as a Value the
    formatter writes in words, as the chapters show it ('RMB 3.77 bn', '>23,000 PFLOPS', '+92%');
    a missing field is None. ``fields`` are Value's own (currency, scale, digits)."""
    figure = {k: _plain(row.get(k)) for k in FIGURE_KEYS}
    return Value(figure["value"], "quantity", figure=figure, **fields)


@dataclass(frozen=True)
class Column:
    """A table column as rendered: its header, and whether its cells align as numbers."""

    header: str
    numeric: bool = False


@dataclass(frozen=True)
class Drawing:
    """A chart drawn once, saved as base64 SVG three ways: ``screen`` with text as paths (the HTML
    needs no font), ``paper`` with text as text (the PDF), ``phone`` laid out narrower; ``alt``
    is its alternative text (title, measure and the values drawn)."""

    screen: str
    paper: str
    phone: str
    alt: str = ""


@dataclass(frozen=True)
class Heading:
    """A chapter (level 1) or section (level 2) heading, listed in the contents; or a summary's
    sub-heading (level 3), which is not. ``id`` is its anchor."""

    level: int
    id: str
    text: str
    type: ClassVar[str] = "heading"


@dataclass(frozen=True)
class Prose:
    """One paragraph of plain-text sentences; ``source`` gives it a Source line of its own (an
    explanation no figure below carries)."""

    text: str
    source: str = ""
    type: ClassVar[str] = "prose"


@dataclass(frozen=True)
class Takeaways:
    items: tuple[str, ...]
    type: ClassVar[str] = "takeaways"


@dataclass(frozen=True)
class Missing:
    """The one line a chapter shows when its topics have no data."""

    text: str
    type: ClassVar[str] = "missing"


@dataclass(frozen=True)
class Figure:
    """A numbered chart: a title that states the finding, a subtitle with the measure and unit,
    an optional note, and a Source line, or, for the brief's own analysis, ``analysis`` (its
    inputs and assumptions) instead. ``cites`` are the figure keys (metric, segment, item,
    period) it shows."""

    id: str
    title: str
    subtitle: str
    drawing: Drawing
    source: str = ""
    note: str = ""
    analysis: str = ""
    cites: tuple[tuple[str, str, str, str], ...] = ()
    type: ClassVar[str] = "figure"


@dataclass(frozen=True)
class Run:
    """A piece of a table cell: text or a ``Value``, shown as a ``note`` (smaller, muted), as a
    link to ``href`` (an anchor in the brief) or in another language ``lang``; ``before`` is what
    separates it from the piece before it ('\n' a line break, ' ', '; ')."""

    text: str | Value
    before: str = ""
    note: bool = False
    href: str = ""
    lang: str = ""


@dataclass(frozen=True)
class Cell:
    """A table cell of more than one piece of text (a name with its note, a list of links), with
    an optional class and column span."""

    runs: tuple[Run, ...]
    cls: str = ""
    span: int = 1


@dataclass(frozen=True)
class Table:
    """A numbered table: as Figure, with columns and rows of cells (text, ``Value`` or ``Cell``);
    a row may have an id (a link target) and a class; a ``wide`` table uses the whole page."""

    id: str
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str | Value | Cell, ...], ...]
    source: str = ""
    note: str = ""
    analysis: str = ""
    cites: tuple[tuple[str, str, str, str], ...] = ()
    row_ids: tuple[str, ...] = ()
    row_classes: tuple[str, ...] = ()
    wide: bool = False
    type: ClassVar[str] = "table"


@dataclass(frozen=True)
class Cover:
    """The brief's cover: the company in both languages, ticker and exchange, the period, the
    results date (ISO, or '') and a one-line verdict."""

    name_en: str
    name_zh: str
    ticker: str
    period: str
    results_date: str = ""
    verdict: str = ""
    type: ClassVar[str] = "cover"


@dataclass(frozen=True)
class Tile:
    """A KPI tile: a figure and its change. ``change`` is shown through the locale's
    ``brief.tile.<kind>`` ('growth', 'points', 'swing'; '' for a change not known) with
    ``period``, the period it is compared with; ``derived`` marks a computed figure or change."""

    label: str
    value: Value
    change: Value | None = None
    kind: str = ""
    period: str = ""
    derived: bool = False


@dataclass(frozen=True)
class Tiles:
    items: tuple[Tile, ...]
    type: ClassVar[str] = "tiles"


@dataclass(frozen=True)
class Flag:
    """A flagged check in one line: the locale's sentence ``key`` with the figure's name and its
    stated and recomputed values and their difference; ``anchor`` is its row in the appendix."""

    key: str
    figure: str
    anchor: str
    stated: Value | None = None
    recomputed: Value | None = None
    difference: Value | None = None
    note: str = ""


@dataclass(frozen=True)
class Flags:
    """The flagged checks, or, when there are none, how many checks passed."""

    items: tuple[Flag, ...]
    checked: int = 0
    type: ClassVar[str] = "flags"


@dataclass(frozen=True)
class Contents:
    """The table of contents: (level, id, text) of each chapter and section heading, which the
    assembler fills in from the brief's headings."""

    items: tuple[tuple[int, str, str], ...] = ()
    type: ClassVar[str] = "contents"


@dataclass(frozen=True)
class Statements:
    """Statements of the company, each after a lead-in naming its kind, with one Source line."""

    items: tuple[tuple[str, str], ...]
    source: str = ""
    type: ClassVar[str] = "statements"


@dataclass(frozen=True)
class Stamp:
    """The one line that names the edition."""

    text: str
    type: ClassVar[str] = "stamp"


@dataclass(frozen=True)
class Data:
    """The derived figures and the reconciliation checks a notebook computed (``notebook.start``),
    shown nowhere: the assembler reads them from here instead of deriving them again. Each is a
    frame as plain data (``frame_data``)."""

    figures: dict
    checks: dict
    type: ClassVar[str] = "data"

    @classmethod
    def of(cls, figures: pd.DataFrame, checks: pd.DataFrame) -> Data:
        return cls(frame_data(figures), frame_data(checks))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The metrics frame and the checks frame, as metrics.derive and reconcile made them."""
        return data_frame(self.figures), data_frame(self.checks)


TYPES: dict[str, type] = {
    cls.type: cls
    for cls in (
        Heading, Prose, Takeaways, Missing, Figure, Table, Data, Cover, Tiles, Flags, Contents,
        Statements, Stamp,
    )
}  # fmt: skip
Block = (
    Heading | Prose | Takeaways | Missing | Figure | Table | Data | Cover | Tiles | Flags
    | Contents | Statements | Stamp
)  # fmt: skip
# The parts a block holds, tagged in its payload by their name ({"value": {…}}), so that a cell
# that is a Value reads back as one and text as text.
PARTS: dict[str, type] = {
    cls.__name__.lower(): cls for cls in (Value, Column, Drawing, Run, Cell, Tile, Flag)
}


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars become numbers, NaN becomes None, tuples lists."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str, tuple)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def frame_data(frame: pd.DataFrame) -> dict:
    """A frame as JSON-safe data: its columns, their dtypes and its rows (NaN as None, tuples as
    lists), so that ``data_frame`` gives back an equal frame."""
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(d) for d in frame.dtypes],
        "rows": _plain(frame.to_numpy(dtype=object).tolist()),
    }


def data_frame(data: Mapping) -> pd.DataFrame:
    """The frame ``frame_data`` wrote: float columns get NaN back, object columns their tuples."""
    columns, rows = data["columns"], data["rows"]
    series = {}
    for i, (name, dtype) in enumerate(zip(columns, data["dtypes"], strict=True)):
        values = [row[i] for row in rows]
        if dtype == "object":
            values = [tuple(v) if isinstance(v, list) else v for v in values]
        series[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(series, columns=columns)


def payload(item: Block) -> dict:
    """The block as versioned JSON data: ``{"schema": 1, "type": "figure", …its fields}``."""
    data = {"schema": SCHEMA, "type": item.type}
    data.update({f.name: _data(getattr(item, f.name)) for f in fields(item)})
    return data


def _data(value: Any) -> Any:
    if is_dataclass(value):
        tag = type(value).__name__.lower()
        return {tag: {f.name: _data(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, (list, tuple)):
        return [_data(v) for v in value]
    return _plain(value)


def from_payload(data: Mapping) -> Block:
    """A block back from its payload; a ValueError names what is wrong with one it cannot read."""
    if data.get("schema") != SCHEMA:
        raise ValueError(f"block payload schema {data.get('schema')!r}, expected {SCHEMA}")
    cls = TYPES.get(str(data.get("type")))
    if cls is None:
        raise ValueError(f"unknown block type {data.get('type')!r}, expected {sorted(TYPES)}")
    try:
        return cls(**{f.name: _part(data[f.name]) for f in fields(cls) if f.name in data})
    except TypeError as err:
        raise ValueError(f"a {cls.type} block payload does not fit: {err}") from None


def _part(value: Any) -> Any:
    """Lists back to tuples, tagged parts back to their class; plain dicts stay as they are."""
    if isinstance(value, list):
        return tuple(_part(v) for v in value)
    if isinstance(value, dict) and len(value) == 1:
        ((tag, fields_),) = value.items()
        if tag in PARTS and isinstance(fields_, dict):
            return PARTS[tag](**{k: _part(v) for k, v in fields_.items()})
    return value


def read_blocks(notebook: Mapping) -> list[Block]:
    """Every block an executed notebook (nbformat node or plain dict) displayed, in order."""
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) if isinstance(output, Mapping) else {}
            if MIME in data:
                item = data[MIME]
                found.append(from_payload(json.loads(item) if isinstance(item, str) else item))
    return found


def display_blocks(items: Iterable[Block], lang: str = "en") -> None:
    """Show blocks as notebook outputs: each one's HTML for the reader of the notebook, and its
    payload for the assembler."""
    from IPython.display import display

    from .render import render

    for item in items:
        display({MIME: payload(item), "text/html": render(item, lang)}, raw=True)


def slug(text: str) -> str:
    """A stable HTML id from any text: 'Revenue vs prior' → 'revenue-vs-prior'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "block"


def describe_source(source: Source, lang: str = "en") -> str:
    """A source as a Source line names it: its publisher. The appendix describes it in full,
    once (title or description, date, what it covers, language)."""
    return t("blocks.source_parts", lang, publisher=source.publisher)


def source_text(
    rows: pd.DataFrame | None,
    sources: Mapping[str, Source],
    lang: str = "en",
    *,
    source_ids: Iterable[str] = (),
) -> str:
    """The plain text after "Source:" for the figures (rows of the metrics frame) a block shows.

    Reported rows cite their sources by name; derived rows add "derived from <the kinds of figure
    they came from>". The appendix describes each source in full and lists each derived value's
    inputs.
    ``source_ids`` adds sources cited by facts rather than figures.
    """
    ids: list[str] = list(dict.fromkeys(source_ids))
    inputs: list[str] = []
    if rows is not None and len(rows):
        ids = list(dict.fromkeys([*ids, *(s for s in rows["source"] if s)]))
        for row in rows.itertuples():
            if row.basis == "derived":
                inputs.extend(row.inputs or ())
    cited = [describe_source(sources[i], lang) for i in ids if i in sources]
    text = t("blocks.clause_sep", lang).join(cited)
    if inputs:
        derived = t("blocks.derived_from", lang, inputs=input_names(inputs, lang))
        text = t("blocks.clause_sep", lang).join([text, derived]) if text else derived
    return text


def mid_sentence(name: str) -> str:
    """'Revenue growth' → 'revenue growth'; 'R&D expense' and 'AI cloud' keep their capitals."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def input_names(inputs: Iterable[str], lang: str = "en") -> str:
    """The kinds of figure a derived value came from, in words, once each: figure keys such as
    'revenue[generative_ai] FY2024' and 'revenue_growth FY2024' read 'revenue and revenue growth'.
    The appendix lists the exact inputs of each derived value."""
    metrics: list[str] = []
    for text in inputs:
        ref = parse_reference(str(text).split(" ")[0])
        metrics.append(ref[0] if ref else str(text))
    names = [mid_sentence(label("metric", m, lang)) for m in dict.fromkeys(metrics)]
    return join(list(dict.fromkeys(names)), lang)
