"""Blocks as HTML: the markup docs/architecture.md's contract describes, for the notebook view and
the assembled brief alike. Every string of a block is plain text and is escaped here, the runs of
the page's other language marked as it is (marking.text); numbers are ``Value``s, written by the
formatter in the edition's language.

``label`` is the figure's or table's number ("Figure 3") and ``level`` the heading level a
heading takes in the whole brief, which only the assembler knows: a notebook shows its blocks
unnumbered, at their written levels.
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
from .marking import gap, text
from .publish import edition_file

esc = html.escape
PHONE_MEDIA = "(max-width: 40rem)"


@singledispatch
def render(item: Block, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    raise TypeError(f"no HTML for {type(item).__name__}")


# The HTML heading a block's level is written as, before the assembler lifts skipped levels.
HEADING_TAG = {0: 1, 1: 2, 2: 3, 3: 4}  # the cover, a chapter, a section, a sub-heading
HEADING_CLASS = {1: "eb-chapter", 2: "eb-section", 3: "eb-subhead"}


def written_level(item: Block) -> int:
    """The HTML heading level a block opens with as written (0 for none); the assembler lifts
    the ones that skip a level."""
    if isinstance(item, Cover):
        return HEADING_TAG[0]
    if isinstance(item, Contents):
        return HEADING_TAG[3]
    return HEADING_TAG[item.level] if isinstance(item, Heading) else 0


@render.register
def _heading(item: Heading, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    n = level or HEADING_TAG[item.level]
    ident = f' id="{esc(slug(item.id))}"' if item.id else ""
    return f'<h{n} class="{HEADING_CLASS[item.level]}"{ident}>{text(item.text, lang)}</h{n}>'


@render.register
def _prose(item: Prose, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    markup = f'<p class="eb-text">{text(item.text, lang)}</p>'
    if item.source:
        source = text(t("blocks.source", lang, text=item.source), lang)
        markup += f'<p class="eb-source">{source}</p>'
    return markup


@render.register
def _takeaways(item: Takeaways, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return (
        '<ul class="eb-takeaways">'
        + "".join(f"<li>{text(i, lang)}</li>" for i in item.items)
        + "</ul>"
    )


@render.register
def _missing(item: Missing, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return f'<p class="eb-missing">{text(item.text, lang)}</p>'


@render.register
def _data(item: Data, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return ""


@render.register
def _cover(item: Cover, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """Kicker, company (in both languages), ticker, period and results date, the other
    editions, the verdict. The company name and the period carry ``eb-running``/``eb-period``:
    the PDF's running header is taken from them (CSS ``string-set``)."""
    period = f'<span class="eb-period">{text(item.period, lang)}</span>'
    mark = "\x00period\x00"  # the period's place in the sentence, filled with its markup
    if item.results_date:
        date = formatting.date(item.results_date, lang)
        when = t("brief.results", lang, period=mark, date=date)
    else:
        when = t("brief.results_undated", lang, period=mark)
    head, _, tail = when.partition(mark)
    head = f"{item.ticker} · {head}" if item.ticker else head
    n = level or HEADING_TAG[0]
    return "\n".join(
        [
            '<header class="eb-cover">',
            f'<p class="eb-kicker">{text(t("brief.kicker", lang), lang)}</p>',
            f'<h{n} class="eb-running">{company_names(item, lang)}</h{n}>',
            f'<p class="eb-meta">{text(head, lang)}{period}{text(tail, lang)}</p>',
            edition_links(lang),
            f'<p class="eb-verdict">{text(item.verdict, lang)}</p>' if item.verdict else "",
            "</header>",
        ]
    )


def company_names(item: Cover, lang: str) -> str:
    """The company's name in the edition's language first, the other one marked with its own
    language: 'SenseTime Group 商湯集團' in English, '商湯集團 SenseTime Group' in Chinese."""
    if lang.startswith("zh") and item.name_zh:
        return f'{text(item.name_zh, lang)} <span lang="en">{esc(item.name_en)}</span>'
    chinese = f' <span lang="zh-Hant">{esc(item.name_zh)}</span>' if item.name_zh else ""
    return text(item.name_en, lang) + chinese


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
    mark = (
        f'<span class="eb-derived-mark">{text(t("brief.summary.derived_mark", lang), lang)}</span>'
    )
    cells = []
    for tile in item.items:
        value, change = tile_text(tile, lang)
        cls = "eb-tile-change" if tile.kind else "eb-tile-change eb-na"
        cells.append(
            f'<li class="eb-tile"><p class="eb-tile-label">{text(tile.label, lang)}</p>'
            f'<p class="eb-tile-value">{text(value, lang)}</p>'
            f'<p class="{cls}">{text(change, lang)}{mark if tile.derived else ""}</p></li>'
        )
    tiles = f'<ul class="eb-tiles">{"".join(cells)}</ul>'
    if any(tile.derived for tile in item.items):
        note = text(t("brief.summary.derived_note", lang), lang)
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
        passed = t("brief.summary.no_flags", lang, count=item.checked)
        return f'<p class="eb-ok">{text(passed, lang)}</p>'
    see = text(t("brief.summary.see_check", lang), lang)
    lines = []
    for flag in item.items:
        line = flag_text(flag, lang)
        link = f'<a href="#{esc(flag.anchor)}">{see}</a>'
        lines.append(f"<li>{text(line, lang)}{gap(line, lang)}{link}</li>")
    return f'<ul class="eb-flags">{"".join(lines)}</ul>'


@render.register
def _contents(item: Contents, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    """Nested ordered lists: chapters, each with its sections."""
    parts, open_sub = ["<ol>"], False
    for depth, ident, words in item.items:
        link = f'<a href="#{esc(ident)}">{text(words, lang)}</a>'
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
    title = text(t("brief.contents", lang), lang)
    return f'<nav class="eb-toc" id="contents"><h{n}>{title}</h{n}>{"".join(parts)}</nav>'


@render.register
def _statements(item: Statements, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    lines = "".join(
        f'<li><strong class="eb-kind">{text(lead, lang)}</strong>{gap(lead, lang)}'
        f"{text(sentence, lang)}</li>"
        for lead, sentence in item.items
    )
    source = text(t("blocks.source", lang, text=item.source), lang)
    return f'<ul class="eb-direction">{lines}</ul>\n<p class="eb-source">{source}</p>'


@render.register
def _stamp(item: Stamp, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    return f'<p class="eb-stamp">{text(item.text, lang)}</p>'


def _caption(item: Figure | Table, lang: str, label: str) -> str:
    analysis = (
        f'<span class="eb-analysis-label">{text(t("blocks.analysis_label", lang), lang)}</span> '
        if item.analysis
        else ""
    )
    return (
        f'<figcaption class="eb-caption"><span class="eb-label">{text(label, lang)}</span> '
        f'{analysis}<span class="eb-title">{text(item.title, lang)}</span>{gap(item.title, lang)}'
        f'<span class="eb-subtitle">{text(item.subtitle, lang)}</span></figcaption>'
    )


def _foot(item: Figure | Table, lang: str) -> str:
    parts = [f'<p class="eb-note">{text(item.note, lang)}</p>'] if item.note else []
    if item.analysis:
        analysis = text(t("blocks.analysis", lang, text=item.analysis), lang)
        parts.append(f'<p class="eb-analysis">{analysis}</p>')
    else:
        source = text(t("blocks.source", lang, text=item.source), lang)
        parts.append(f'<p class="eb-source">{source}</p>')
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
    return _numbered(item, "figure", picture, lang, label)


def _numbered(item: Figure | Table, kind: str, body: str, lang: str, label: str) -> str:
    """A numbered block: caption, the chart or table, note and Source (or Analysis) line."""
    return "\n".join(
        [
            f'<figure class="eb-block" data-kind="{kind}" id="{esc(slug(item.id))}">',
            _caption(item, lang, label),
            body,
            _foot(item, lang),
            "</figure>",
        ]
    )


@render.register
def _table(item: Table, lang: str = "en", *, label: str = "", level: int = 0) -> str:
    right = ' class="num" style="text-align:right"'
    head = "".join(
        f'<th scope="col"{right if c.numeric else ""}>{text(c.header, lang)}</th>'
        for c in item.columns
    )
    body = "".join(
        _row_open(item, i)
        + "".join(
            cell_html(c, col.numeric, lang) for c, col in zip(row, _spanned(item, row), strict=True)
        )
        + "</tr>"
        for i, row in enumerate(item.rows)
    )
    # A caption screen readers announce with the table (hidden: the figcaption shows it), and a
    # frame that scrolls sideways on a narrow screen, named after the table, reached by keyboard.
    name = f"{label} {item.title}".strip()
    table = (
        f'<div class="eb-scroll" role="region" tabindex="0" aria-label="{esc(name)}">'
        f'<table class="{"eb-wide" if item.wide else "eb-table"}">'
        f'<caption class="eb-visually-hidden">{text(name, lang)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
    return _numbered(item, "table", table, lang, label)


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
        return f"<td{align}>{text(cell, lang)}</td>"
    written = text(cell_text(cell, lang), lang)
    if cell.derived:
        mark = text(t("tables.derived_marker", lang), lang)
        return (
            f'<td class="num eb-derived" style="text-align:right">{written}'
            f'<sup class="eb-derived-mark">{mark}</sup></td>'
        )
    return f'<td class="num" style="text-align:right">{written}</td>'


def _run(run, lang: str) -> str:
    before = "<br>" if run.before == "\n" else esc(run.before)
    words = cell_text(run.text, lang) if isinstance(run.text, Value) else run.text
    # a run in its own language is not marked again
    own = f'<span lang="{esc(run.lang)}">{esc(words)}</span>'
    shown = own if run.lang else text(words, lang)
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
