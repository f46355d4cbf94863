"""The HTML of the brief's blocks, exactly as docs/architecture.md's contract describes them.

A figure or table is one ``<figure class="eb-block">`` with an empty ``eb-label`` span (the
assembler numbers it), a title that states the finding, a subtitle with the measure and unit, the
chart or table, an optional note and a Source line built from the dataset's sources. Headings,
prose and the one-line "no data" message are here too. Every string that comes from data is
escaped here with ``html.escape``; callers pass plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from .dataset import Source, parse_reference
from .i18n import t
from .narrative import join, label

KINDS = ("figure", "table")


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


def block(
    kind: str,
    block_id: str,
    title: str,
    subtitle: str,
    body: str,
    source: str,
    *,
    note: str = "",
    lang: str = "en",
    analysis: str = "",
) -> str:
    """One numbered figure or table. ``body`` is trusted HTML (an <img> or a <table> built here);
    ``title``, ``subtitle``, ``note`` and ``source`` are plain text and get escaped.

    ``analysis`` marks what the brief computes beyond the source (a sensitivity, a scenario): the
    caption carries the "Analysis" label and, instead of a Source line that would attribute it to
    the source, one line says it is the brief's own, with ``analysis`` (its inputs, cited, and its
    assumptions)."""
    if kind not in KINDS:
        raise ValueError(f"block kind must be one of {KINDS}, not {kind!r}")
    esc = html.escape
    label = (
        f'<span class="eb-analysis-label">{esc(t("blocks.analysis_label", lang))}</span> '
        if analysis
        else ""
    )
    if kind == "figure":
        body = alt_with_measure(body, title, subtitle)
    parts = [
        f'<figure class="eb-block" data-kind="{kind}" id="{esc(slug(block_id))}">',
        f'<figcaption class="eb-caption"><span class="eb-label"></span> {label}'
        f'<span class="eb-title">{esc(title)}</span> '
        f'<span class="eb-subtitle">{esc(subtitle)}</span></figcaption>',
        body,
    ]
    if note:
        parts.append(f'<p class="eb-note">{esc(note)}</p>')
    if analysis:
        parts.append(f'<p class="eb-analysis">{esc(t("blocks.analysis", lang, text=analysis))}</p>')
    else:
        parts.append(f'<p class="eb-source">{esc(t("blocks.source", lang, text=source))}</p>')
    parts.append("</figure>")
    return "\n".join(parts)


def alt_with_measure(body: str, title: str, subtitle: str) -> str:
    """A chart's alt text that starts with the block's title gets the subtitle (the measure and
    unit) after it, so the values charts.img lists after the title can be read."""
    if not subtitle:
        return body
    start = f'alt="{html.escape(title)}'
    return body.replace(start, f"{start} ({html.escape(subtitle)})", 1)


def chapter(name: str, text: str) -> str:
    return f'<h2 class="eb-chapter" id="chapter-{html.escape(slug(name))}">{html.escape(text)}</h2>'


def section(section_id: str, text: str) -> str:
    return f'<h3 class="eb-section" id="{html.escape(slug(section_id))}">{html.escape(text)}</h3>'


def prose(*sentences: str) -> str:
    """One paragraph from plain-text sentences (empty ones are dropped)."""
    return f'<p class="eb-text">{html.escape(" ".join(s for s in sentences if s))}</p>'


def takeaways(items: Iterable[str]) -> str:
    lines = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return f'<ul class="eb-takeaways">{lines}</ul>'


def missing(text: str) -> str:
    """The one line a section shows when its data is absent."""
    return f'<p class="eb-missing">{html.escape(text)}</p>'


def show(markup: str) -> None:
    """Display HTML as a notebook output (the assembler keeps display outputs of code cells)."""
    from IPython.display import HTML, display

    display(HTML(markup))
