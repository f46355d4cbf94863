"""Blocks as HTML: the markup docs/architecture.md's contract describes, for the notebook view and
the assembled brief alike. Every string of a block is plain text and is escaped here; numbers in
tables are ``Value``s, written by the formatter in the edition's language.

``label`` is the figure's or table's number ("Figure 3"), which only the assembler knows: a
notebook shows its blocks unnumbered.
"""

from __future__ import annotations

import html
from functools import singledispatch

from . import formatting, narrative
from .blocks import (
    Block,
    Cell,
    Contents,
    Cover,
    Data,
    Figure,
    Flag,
    Flags,
    Heading,
    Missing,
    Prose,
    Stamp,
    Statements,
    Table,
    Takeaways,
    Tile,
    Tiles,
    Value,
    slug,
)
from .i18n import languages, t
from .publish import edition_file

esc = html.escape
PHONE_MEDIA = "(max-width: 40rem)"


@singledispatch
def render(item: Block, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    raise TypeError(f"no HTML for {type(item).__name__}")


# The HTML heading a block's level is written as, before the assembler lifts skipped levels.
HEADING_TAG = {0: 1, 1: 2, 2: 3, 3: 4}  # the cover, a chapter, a section, a sub-heading
HEADING_CLASS = {1: "eb-chapter", 2: "eb-section", 3: "eb-subhead"}


@render.register
def _heading(item: Heading, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    n = level or HEADING_TAG[item.level]
    ident = f' id="{esc(slug(item.id))}"' if item.id else ""
    return f'<h{n} class="{HEADING_CLASS[item.level]}"{ident}>{esc(item.text)}</h{n}>'


@render.register
def _prose(item: Prose, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    text = f'<p class="eb-text">{esc(item.text)}</p>'
    if item.source:
        text += f'<p class="eb-source">{esc(t("blocks.source", lang, text=item.source))}</p>'
    return text


@render.register
def _takeaways(item: Takeaways, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return '<ul class="eb-takeaways">' + "".join(f"<li>{esc(i)}</li>" for i in item.items) + "</ul>"


@render.register
def _missing(item: Missing, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return f'<p class="eb-missing">{esc(item.text)}</p>'


@render.register
def _data(item: Data, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return ""


@render.register
def _cover(item: Cover, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """Kicker, company (in both languages), ticker, period and results date, the other
    editions, the verdict. The company name and the period carry ``eb-running``/``eb-period``:
    the PDF's running header is taken from them (CSS ``string-set``)."""
    period = f'<span class="eb-period">{esc(item.period)}</span>'
    mark = "\x00period\x00"  # the period's place in the sentence, filled with its markup
    if item.results_date:
        date = formatting.date(item.results_date, lang)
        when = t("brief.results", lang, period=mark, date=date)
    else:
        when = t("brief.results_undated", lang, period=mark)
    head, _, tail = when.partition(mark)
    ticker = esc(item.ticker + " · ") if item.ticker else ""
    n = level or HEADING_TAG[0]
    return "\n".join(
        [
            '<header class="eb-cover">',
            f'<p class="eb-kicker">{esc(t("brief.kicker", lang))}</p>',
            f'<h{n} class="eb-running">{company_names(item, lang)}</h{n}>',
            f'<p class="eb-meta">{ticker}{esc(head)}{period}{esc(tail)}</p>',
            edition_links(lang),
            f'<p class="eb-verdict">{esc(item.verdict)}</p>' if item.verdict else "",
            "</header>",
        ]
    )


def company_names(item: Cover, lang: str) -> str:
    """The company's name in the edition's language first, the other one marked with its own
    language: 'SenseTime Group 商湯集團' in English, '商湯集團 SenseTime Group' in Chinese."""
    if lang.startswith("zh") and item.name_zh:
        return f'{esc(item.name_zh)} <span lang="en">{esc(item.name_en)}</span>'
    chinese = f' <span lang="zh-Hant">{esc(item.name_zh)}</span>' if item.name_zh else ""
    return esc(item.name_en) + chinese


def edition_links(lang: str) -> str:
    """Links to the brief in every other language, each named in its own language; the editions
    are published side by side (publish.edition_file), and the PDF links to the other PDF."""
    links = [
        f'<a href="{edition_file(other, "html")}" hreflang="{other}" lang="{other}"'
        f' data-print-href="{edition_file(other, "pdf")}">'
        f"{esc(t('brief.edition_name', other))}</a>"
        for other in languages()
        if other != lang
    ]
    return f'<p class="eb-editions">{" · ".join(links)}</p>' if links else ""


@render.register
def _tiles(item: Tiles, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """The KPI tiles, each a figure and its change, and the footnote that explains the
    'derived' mark when a tile carries one."""
    mark = f'<span class="eb-derived-mark">{esc(t("brief.summary.derived_mark", lang))}</span>'
    cells = []
    for tile in item.items:
        value, change = tile_text(tile, lang)
        cls = "eb-tile-change" if tile.kind else "eb-tile-change eb-na"
        cells.append(
            f'<li class="eb-tile"><p class="eb-tile-label">{esc(tile.label)}</p>'
            f'<p class="eb-tile-value">{esc(value)}</p>'
            f'<p class="{cls}">{esc(change)}{mark if tile.derived else ""}</p></li>'
        )
    tiles = f'<ul class="eb-tiles">{"".join(cells)}</ul>'
    if any(tile.derived for tile in item.items):
        note = esc(t("brief.summary.derived_note", lang))
        return f'{tiles}\n<p class="eb-footnote">{note}</p>'
    return tiles


def tile_text(tile: Tile, lang: str = "en") -> tuple[str, str]:
    """A tile's figure and its change in words: ('RMB 3.77 bn', '+10.8% YoY')."""
    if not tile.kind:
        return cell_text(tile.value, lang), t("brief.tile.change_na", lang)
    change = cell_text(tile.change, lang)
    return cell_text(tile.value, lang), t(
        f"brief.tile.{tile.kind}", lang, value=change, period=tile.period
    )


def flag_text(flag: Flag, lang: str = "en") -> str:
    """A flagged check's line: the figure, its stated and recomputed values, the difference."""
    values = {
        name: cell_text(value, lang)
        for name, value in (
            ("stated", flag.stated),
            ("recomputed", flag.recomputed),
            ("difference", flag.difference),
        )
        if value is not None
    }
    text = t(flag.key, lang, figure=flag.figure, **values)
    return text + t("brief.summary.flag_note", lang, note=flag.note) if flag.note else text


@render.register
def _flags(item: Flags, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """One line for each flagged check, linking to its row in the appendix; or that all passed."""
    if not item.items:
        return f'<p class="eb-ok">{esc(t("brief.summary.no_flags", lang, count=item.checked))}</p>'
    see = esc(t("brief.summary.see_check", lang))
    lines = [
        f'<li>{esc(flag_text(flag, lang))} <a href="#{esc(flag.anchor)}">{see}</a></li>'
        for flag in item.items
    ]
    return f'<ul class="eb-flags">{"".join(lines)}</ul>'


@render.register
def _contents(item: Contents, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """Nested ordered lists: chapters, each with its sections."""
    parts, open_sub = ["<ol>"], False
    for depth, ident, text in item.items:
        link = f'<a href="#{esc(ident)}">{esc(text)}</a>'
        if depth == 1:
            parts.append("</ol></li>" if open_sub else "</li>" if len(parts) > 1 else "")
            parts.append(f"<li>{link}")
            open_sub = False
        else:
            if not open_sub:
                parts.append("<ol>")
                open_sub = True
            parts.append(f"<li>{link}</li>")
    if len(parts) > 1:
        parts.append("</ol></li>" if open_sub else "</li>")
    parts.append("</ol>")
    n = level or HEADING_TAG[3]
    title = esc(t("brief.contents", lang))
    return f'<nav class="eb-toc" id="contents"><h{n}>{title}</h{n}>{"".join(parts)}</nav>'


@render.register
def _statements(item: Statements, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    lines = "".join(
        f'<li><strong class="eb-kind">{esc(lead)}</strong> {esc(text)}</li>'
        for lead, text in item.items
    )
    source = esc(t("blocks.source", lang, text=item.source))
    return f'<ul class="eb-direction">{lines}</ul>\n<p class="eb-source">{source}</p>'


@render.register
def _stamp(item: Stamp, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return f'<p class="eb-stamp">{esc(item.text)}</p>'


def _caption(item: Figure | Table, lang: str, label: str) -> str:
    analysis = (
        f'<span class="eb-analysis-label">{esc(t("blocks.analysis_label", lang))}</span> '
        if item.analysis
        else ""
    )
    return (
        f'<figcaption class="eb-caption"><span class="eb-label">{esc(label)}</span> {analysis}'
        f'<span class="eb-title">{esc(item.title)}</span> '
        f'<span class="eb-subtitle">{esc(item.subtitle)}</span></figcaption>'
    )


def _foot(item: Figure | Table, lang: str) -> str:
    parts = [f'<p class="eb-note">{esc(item.note)}</p>'] if item.note else []
    if item.analysis:
        text = t("blocks.analysis", lang, text=item.analysis)
        parts.append(f'<p class="eb-analysis">{esc(text)}</p>')
    else:
        parts.append(f'<p class="eb-source">{esc(t("blocks.source", lang, text=item.source))}</p>')
    return "\n".join(parts)


@render.register
def _figure(item: Figure, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    d = item.drawing
    alt = d.alt or item.title
    picture = (
        f'<picture class="eb-picture"><source media="{PHONE_MEDIA}" '
        f'srcset="data:image/svg+xml;base64,{d.phone}">'
        f'<img class="eb-chart" src="data:image/svg+xml;base64,{d.screen}" '
        f'data-print-src="data:image/svg+xml;base64,{d.paper}" alt="{esc(alt)}"></picture>'
    )
    return "\n".join(
        [
            f'<figure class="eb-block" data-kind="figure" id="{esc(slug(item.id))}">',
            _caption(item, lang, label),
            picture,
            _foot(item, lang),
            "</figure>",
        ]
    )


@render.register
def _table(item: Table, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    right = ' class="num" style="text-align:right"'
    head = "".join(
        f'<th scope="col"{right if c.numeric else ""}>{esc(c.header)}</th>' for c in item.columns
    )
    body = "".join(
        _row_open(item, i)
        + "".join(
            cell_html(c, col.numeric, lang) for c, col in zip(row, _spanned(item, row), strict=True)
        )
        + "</tr>"
        for i, row in enumerate(item.rows)
    )
    cls = "eb-wide" if item.wide else "eb-table"
    table = f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return "\n".join(
        [
            f'<figure class="eb-block" data-kind="table" id="{esc(slug(item.id))}">',
            _caption(item, lang, label),
            table,
            _foot(item, lang),
            "</figure>",
        ]
    )


def _row_open(item: Table, index: int) -> str:
    ident = item.row_ids[index] if index < len(item.row_ids) else ""
    cls = item.row_classes[index] if index < len(item.row_classes) else ""
    return (
        "<tr"
        + (f' id="{esc(slug(ident))}"' if ident else "")
        + (f' class="{esc(cls)}"' if cls else "")
        + ">"
    )


def _spanned(item: Table, row) -> list:
    """The column under each cell of a row, a cell that spans several taking the first."""
    columns, out = iter(item.columns), []
    for cell in row:
        out.append(next(columns))
        for _ in range(getattr(cell, "span", 1) - 1):
            next(columns)
    if next(columns, None) is not None or len(out) != len(row):
        raise ValueError(f"table {item.id!r}: a row's cells do not fill its columns")
    return out


def cell_html(cell: str | Value | Cell, numeric: bool, lang: str) -> str:
    """One ``<td>``: text escaped; a Value written by the formatter, right-aligned, a derived
    one marked; a Cell's pieces in order."""
    if isinstance(cell, Cell):
        classes = " ".join(c for c in ("num" if numeric else "", cell.cls) if c)
        attrs = (f' class="{classes}"' if classes else "") + (
            f' colspan="{cell.span}"' if cell.span > 1 else ""
        )
        align = ' style="text-align:right"' if numeric else ""
        return f"<td{attrs}{align}>{''.join(_run(r, lang) for r in cell.runs)}</td>"
    if not isinstance(cell, Value):
        align = ' style="text-align:right"' if numeric else ""
        return f"<td{align}>{esc(cell)}</td>"
    text = esc(cell_text(cell, lang))
    if cell.derived:
        mark = esc(t("tables.derived_marker", lang))
        return (
            f'<td class="num eb-derived" style="text-align:right">{text}'
            f'<sup class="eb-derived-mark">{mark}</sup></td>'
        )
    return f'<td class="num" style="text-align:right">{text}</td>'


def _run(run, lang: str) -> str:
    before = "<br>" if run.before == "\n" else esc(run.before)
    text = cell_text(run.text, lang) if isinstance(run.text, Value) else run.text
    shown = esc(text)
    if run.lang:
        shown = f'<span lang="{esc(run.lang)}">{shown}</span>'
    if run.href:
        shown = f'<a href="{esc(run.href)}">{shown}</a>'
    if run.note:
        shown = f'<span class="eb-cell-note">{shown}</span>'
    return before + shown


def cell_text(cell: Value, lang: str) -> str:
    """A Value in words, by its style, through the formatter."""
    if cell.style == "quantity":
        if cell.value is None:
            return t("format.na", lang)
        return narrative.quantity(
            cell.figure,
            currency=cell.currency,
            lang=lang,
            scale=cell.scale or None,
            digits=cell.digits,
        )
    return formatting.value(cell, lang)
