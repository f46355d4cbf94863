"""Outlook and catalysts: dated events and the strategic direction, as the company states them.

Built from the dataset's group-wide facts (kinds event, roadmap, strategy, outlook and view, with
topic ``group`` or ``outlook``); a fact about a segment or infrastructure is said once, in its
chapter. Dated items come first, in date order; undated statements of direction follow in the
order the data gives them. Nothing here is a forecast of ours: every line is attributed to the
company.
"""

from __future__ import annotations

import html

import pandas as pd

from .. import blocks, formatting, narrative
from ..dataset import Dataset
from ..i18n import t

DATED_KINDS = ("event", "roadmap")
DIRECTION_KINDS = ("strategy", "outlook", "view")
KINDS = (*DATED_KINDS, *DIRECTION_KINDS)
TOPICS = ("group", "outlook")  # the chapters say the rest

esc = html.escape


def sort_key(date: str) -> str:
    """A date as written ('2025', '2025-03', '2025-03-26', '2025-Q4', '2025-H1') in sortable form.

    A partial date sorts at the end of the span it names, after the dated days within it.
    """
    m = formatting.DATE.match(date)
    if not m:
        return "9999"
    year, month, day, quarter, half = m.groups()
    if quarter:
        month, day = f"{int(quarter) * 3:02d}", "32"
    elif half:
        month, day = f"{int(half) * 6:02d}", "32"
    return f"{year}-{month or '12'}-{day or '32'}"


def _name(fact: dict, lang: str = "en") -> str:
    """The fact's name: in Chinese in the Chinese edition; in English with the Chinese beside it
    in the English one."""
    en, zh = esc(fact["name_en"]), esc(fact["name_zh"])
    if lang.startswith("zh") and zh:
        return zh
    if en and zh and zh != en:
        return f'{en} <span lang="zh-Hant">{zh}</span>'
    return en or f'<span lang="zh-Hant">{zh}</span>'


def _ours(facts: pd.DataFrame) -> pd.DataFrame:
    return facts[facts["kind"].isin(KINDS) & facts["topic"].isin(TOPICS)]


def dated(facts: pd.DataFrame) -> pd.DataFrame:
    rows = _ours(facts)
    rows = rows[rows["date"] != ""]
    return rows.assign(_order=rows["date"].map(sort_key)).sort_values("_order", kind="stable")


def direction(facts: pd.DataFrame) -> pd.DataFrame:
    """Undated statements: strategy first, then outlook, then management's views."""
    rows = _ours(facts)
    rows = rows[rows["date"] == ""]
    order = {k: i for i, k in enumerate((*DIRECTION_KINDS, *DATED_KINDS))}
    return rows.assign(_order=rows["kind"].map(order)).sort_values("_order", kind="stable")


def render(ds: Dataset, lang: str = "en") -> str:
    o = "brief.outlook."
    parts = [blocks.chapter("outlook", t(o + "chapter", lang))]
    events, stated = dated(ds.facts), direction(ds.facts)
    if events.empty and stated.empty:
        return "\n".join([*parts, blocks.missing(t(o + "none", lang))])
    elsewhere = ds.facts[
        ds.facts["kind"].isin(DATED_KINDS)
        & (ds.facts["date"] != "")
        & ~ds.facts["topic"].isin(TOPICS)
    ]
    if not events.empty:
        rows = []
        for f in events.to_dict("records"):
            status = t(f"charts.status.{f['status']}", lang) if f["status"] else ""
            rows.append(
                f'<tr><td class="eb-date">{esc(formatting.date(f["date"], lang))}</td>'
                f"<td>{_name(f, lang)}</td><td>{esc(t(o + 'kind_' + f['kind'], lang))}</td>"
                f"<td>{esc(f['text'])}</td><td>{esc(status)}</td></tr>"
            )
        head = "".join(
            f"<th scope=col>{esc(t(o + k, lang))}</th>"
            for k in ("date", "item", "kind", "what", "status")
        )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        parts += [
            blocks.section("outlook-events", t(o + "events", lang)),
            blocks.block(
                "table",
                "outlook-events-table",
                t(o + "events_title", lang),
                "",
                table,
                blocks.source_text(None, ds.sources, lang, source_ids=events["source"]),
                lang=lang,
            ),
        ]
        if len(elsewhere):  # said once, in the chapter; a pointer keeps the calendar complete
            key = "elsewhere_one" if len(elsewhere) == 1 else "elsewhere"
            parts.append(blocks.prose(t(o + key, lang, count=len(elsewhere))))
    if not stated.empty:

        def lead_in(kind: str) -> str:
            return esc(t(o + "lead_in", lang, kind=t(o + "kind_" + kind, lang)))

        items = "".join(
            f'<li><strong class="eb-kind">{lead_in(f["kind"])}</strong> '
            f"{esc(narrative.fact_sentence(f, lang))}</li>"
            for f in stated.to_dict("records")
        )
        source = t(
            "brief.source",
            lang,
            text=blocks.source_text(None, ds.sources, lang, source_ids=stated["source"]),
        )
        parts += [
            blocks.section("outlook-direction", t(o + "direction", lang)),
            f'<ul class="eb-direction">{items}</ul>',
            f'<p class="eb-source">{esc(source)}</p>',
        ]
    return "\n".join(parts)
