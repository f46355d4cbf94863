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
    Data,
    Figure,
    Heading,
    Headline,
    Missing,
    Prose,
    Table,
    Takeaways,
    Value,
    slug,
)
from .i18n import t

esc = html.escape
PHONE_MEDIA = "(max-width: 40rem)"


@singledispatch
def render(item: Block, lang: str = "en", *, label: str = "") -> str:
    raise TypeError(f"no HTML for {type(item).__name__}")


@render.register
def _heading(item: Heading, lang: str = "en", *, label: str = "") -> str:
    if item.level == 1:
        return f'<h2 class="eb-chapter" id="{esc(slug(item.id))}">{esc(item.text)}</h2>'
    return f'<h3 class="eb-section" id="{esc(slug(item.id))}">{esc(item.text)}</h3>'


@render.register
def _prose(item: Prose, lang: str = "en", *, label: str = "") -> str:
    text = f'<p class="eb-text">{esc(item.text)}</p>'
    if item.source:
        text += f'<p class="eb-source">{esc(t("blocks.source", lang, text=item.source))}</p>'
    return text


@render.register
def _takeaways(item: Takeaways, lang: str = "en", *, label: str = "") -> str:
    return '<ul class="eb-takeaways">' + "".join(f"<li>{esc(i)}</li>" for i in item.items) + "</ul>"


@render.register
def _missing(item: Missing, lang: str = "en", *, label: str = "") -> str:
    return f'<p class="eb-missing">{esc(item.text)}</p>'


@render.register
def _headline(item: Headline, lang: str = "en", *, label: str = "") -> str:
    return ""


@render.register
def _data(item: Data, lang: str = "en", *, label: str = "") -> str:
    return ""


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
def _figure(item: Figure, lang: str = "en", *, label: str = "") -> str:
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
def _table(item: Table, lang: str = "en", *, label: str = "") -> str:
    right = ' class="num" style="text-align:right"'
    head = "".join(
        f'<th scope="col"{right if c.numeric else ""}>{esc(c.header)}</th>' for c in item.columns
    )
    body = "".join(
        "<tr>"
        + "".join(cell_html(c, col.numeric, lang) for c, col in zip(row, item.columns, strict=True))
        + "</tr>"
        for row in item.rows
    )
    table = f'<table class="eb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return "\n".join(
        [
            f'<figure class="eb-block" data-kind="table" id="{esc(slug(item.id))}">',
            _caption(item, lang, label),
            table,
            _foot(item, lang),
            "</figure>",
        ]
    )


def cell_html(cell: str | Value, numeric: bool, lang: str) -> str:
    """One ``<td>``: text escaped; a Value written by the formatter, right-aligned, a derived
    one marked."""
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


def cell_text(cell: Value, lang: str) -> str:
    """A Value in words, by its style, through the formatter."""
    if cell.style == "quantity":
        return narrative.quantity(
            cell.figure, currency=cell.currency, lang=lang, scale=cell.scale or None
        )
    return formatting.value(cell, lang)
