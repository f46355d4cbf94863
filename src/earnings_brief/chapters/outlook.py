"""Outlook and catalysts: dated events and the strategic direction, as the company states them.

Built from the dataset's group-wide facts (kinds event, roadmap, strategy, outlook and view, with
topic ``group`` or ``outlook``); a fact about a segment or infrastructure is said once, in its
chapter. Dated items come first, in date order; undated statements of direction follow in the
order the data gives them. Nothing here is a forecast of ours: every line is attributed to the
company.
"""

from __future__ import annotations

import pandas as pd

from .. import blocks, formatting, narrative
from ..blocks import Block, Cell, Column, Heading, Missing, Prose, Run, Statements, Table
from ..dataset import Dataset
from ..i18n import t

DATED_KINDS = ("event", "roadmap")
DIRECTION_KINDS = ("strategy", "outlook", "view")
KINDS = (*DATED_KINDS, *DIRECTION_KINDS)
TOPICS = ("group", "outlook")  # the chapters say the rest


def sort_key(date: str) -> str:
    """A date as written ('2025', '2025-03', '2025-03-26', '2025-Q4', '2025-H1') in sortable form.

    A partial date sorts at the end of the span it names, after the dated days within it.
    """
    m = formatting.DATE.match(date)
    if not m:
        return "9999"
    year, month, day, quarter, half = m.groups()
    if quarter:
        month, day = str(int(quarter) * 3).zfill(2), "32"
    elif half:
        month, day = str(int(half) * 6).zfill(2), "32"
    return f"{year}-{month or '12'}-{day or '32'}"


def _name(fact: dict, lang: str = "en") -> Cell:
    """The fact's name: in Chinese in the Chinese edition; in English with the Chinese beside it
    in the English one."""
    en, zh = fact["name_en"], fact["name_zh"]
    if lang.startswith("zh") and zh:
        return Cell((Run(zh),))
    if en and zh and zh != en:
        return Cell((Run(en), Run(zh, " ", lang="zh-Hant")))
    return Cell((Run(en),) if en else (Run(zh, lang="zh-Hant"),))


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


def render(ds: Dataset, lang: str = "en") -> list[Block]:
    o = "brief.outlook."
    parts: list[Block] = [Heading(1, "chapter-outlook", t(o + "chapter", lang))]
    events, stated = dated(ds.facts), direction(ds.facts)
    if events.empty and stated.empty:
        return [*parts, Missing(t(o + "none", lang))]
    elsewhere = ds.facts[
        ds.facts["kind"].isin(DATED_KINDS)
        & (ds.facts["date"] != "")
        & ~ds.facts["topic"].isin(TOPICS)
    ]
    if not events.empty:
        rows = tuple(
            (
                Cell((Run(formatting.date(f["date"], lang)),), "eb-date"),
                _name(f, lang),
                t(o + "kind_" + f["kind"], lang),
                f["text"],
                t(f"charts.status.{f['status']}", lang) if f["status"] else "",
            )
            for f in events.to_dict("records")
        )
        columns = tuple(Column(t(o + k, lang)) for k in ("date", "item", "kind", "what", "status"))
        parts += [
            Heading(2, "outlook-events", t(o + "events", lang)),
            Table(
                "outlook-events-table",
                t(o + "events_title", lang),
                "",
                columns,
                rows,
                blocks.source_text(None, ds.sources, lang, source_ids=events["source"]),
            ),
        ]
        if len(elsewhere):  # said once, in the chapter; a pointer keeps the calendar complete
            key = "elsewhere_one" if len(elsewhere) == 1 else "elsewhere"
            parts.append(Prose(t(o + key, lang, count=len(elsewhere))))
    if not stated.empty:
        items = tuple(
            (
                t(o + "lead_in", lang, kind=t(o + "kind_" + f["kind"], lang)),
                narrative.fact_sentence(f, lang),
            )
            for f in stated.to_dict("records")
        )
        source = blocks.source_text(None, ds.sources, lang, source_ids=stated["source"])
        parts += [
            Heading(2, "outlook-direction", t(o + "direction", lang)),
            Statements(items, source),
        ]
    return parts
