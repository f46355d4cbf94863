"""Cover and summary: who and when, a one-line verdict, KPI tiles, takeaways, data-quality flags.

The KPI tiles come from the values the notebooks recorded (``earnings_brief.record``). A tile reads
the record named in ``TILES`` (value in base units, ``unit``, ``basis``, optional ``dimension``,
``segment``, ``qualifier``) and its change from the record's own ``growth`` / ``change`` fields or
from the companion records ``<name>_growth`` and ``<name>_change`` recorded beside it (a change in
a ratio is in fraction points: unit ``points``). When no notebook recorded a tile, the tile is
taken from the derived figures instead, so the summary never depends on which notebook ran; when
the prior period is unknown the change says "n/a". Takeaways are sentences built from the
figures; each leads with a number.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from .. import blocks, formatting, metrics
from ..dataset import Dataset
from ..i18n import has, t
from .appendix import check_anchor, check_value, figure_name, segment_name, show_value

esc = html.escape

# Tile record names, in display order. A tile without a value in either place is left out.
TILES = (
    "revenue",
    "largest_segment_share",
    "gross_margin",
    "net_loss",
    "compute_capacity",
    "vehicles_delivered",
)
MAX_TILES = 6
MAX_TAKEAWAYS = 7
TOC_MARK = "<!--eb-toc-->"


# ---------------------------------------------------------------------------------------------
# Tiles


def largest_segment(frame: pd.DataFrame, period: str) -> str | None:
    """The segment with the most revenue in the period (from reported or derived figures)."""
    rows = frame[
        (frame["metric"] == "revenue")
        & (frame["segment"] != "")
        & (frame["item"] == "")
        & (frame["period"] == period)
        & (frame["qualifier"] != "conflicting")
    ]
    if rows.empty:
        return None
    return str(rows.sort_values("value", ascending=False).iloc[0]["segment"])


def _row(frame, metric, segment="", period=None) -> dict | None:
    row = metrics.lookup(frame, metric, segment, "", period)
    return None if row is None else row.to_dict()


def tile_from_frame(name: str, frame: pd.DataFrame, period: str, comparison: str) -> dict | None:
    """The record a notebook would have made for a tile, computed from the derived figures."""
    segment, metric = "", name
    if name == "largest_segment_share":
        segment, metric = largest_segment(frame, period) or "", "revenue_share"
        if not segment:
            return None
    elif name == "vehicles_delivered":
        rows = frame[(frame["metric"] == name) & (frame["period"] == period)]
        segment = str(rows.iloc[0]["segment"]) if len(rows) else ""
    now = _row(frame, metric, segment, period)
    if now is None:
        return None
    out = {key: now[key] for key in ("value", "unit", "dimension", "basis", "qualifier")}
    out.update(name=name, segment=segment, prior_period=comparison, growth=None, change=None)
    if now["dimension"] == "ratio":
        prior = _row(frame, metric, segment, comparison) if comparison else None
        if prior is not None:
            out["change"] = now["value"] - prior["value"]
            out["change_basis"] = prior["basis"]
    else:
        growth = _row(frame, metric + "_growth", segment, period)
        if growth is not None and growth["qualifier"] != "more_than":
            out["growth"] = growth["value"]
            out["change_basis"] = growth["basis"]
    return out


def from_records(name: str, records: Mapping[str, dict]) -> dict | None:
    """A tile's record with its change: from its own ``growth``/``change`` fields, or from the
    companion records ``<name>_growth`` (relative) and ``<name>_change`` (points for a ratio,
    relative otherwise) that the chapter notebooks record beside it."""
    rec = records.get(name)
    if rec is None or rec.get("value") is None:
        return None
    rec = dict(rec)
    for suffix in ("_growth", "_change"):
        companion = records.get(name + suffix)
        if companion is None or companion.get("value") is None:
            continue
        points = companion.get("unit") == "points" or (
            suffix == "_change" and _dimension(rec) == "ratio"
        )
        rec.setdefault("change" if points else "growth", companion["value"])
        rec.setdefault("change_basis", companion.get("basis"))
    return rec


def tiles(records: Mapping[str, dict], frame: pd.DataFrame, ds: Dataset, lang: str = "en"):
    """The KPI tiles as (label, value, change, change_is_na, derived) tuples of plain text."""
    period, comparison = ds.period.label, ds.period.comparison
    out = []
    for name in TILES:
        rec = from_records(name, records) or tile_from_frame(name, frame, period, comparison)
        if rec is None or rec.get("value") is None:
            continue
        rec = {**rec, "dimension": _dimension(rec)}
        if name == "largest_segment_share":
            label = t("brief.tile.largest_share", lang, segment=segment_name(ds, rec["segment"]))
        else:
            label = t(f"brief.tile.{name}", lang)
        prior = rec.get("prior_period") or comparison
        if rec.get("growth") is not None:
            value = formatting.percent(rec["growth"], lang, signed=True)
            change = t("brief.tile.growth", lang, value=value)
        elif rec.get("change") is not None:
            value = formatting.points(rec["change"], lang)
            change = t("brief.tile.points", lang, value=value, period=prior)
        else:
            change = None
        derived = "derived" in (rec.get("basis"), rec.get("change_basis"))
        na = change is None
        change = change or t("brief.tile.change_na", lang)
        out.append((label, show_value(rec, lang), change, na, derived))
    return out[:MAX_TILES]


def _dimension(rec: Mapping) -> str:
    """A record's dimension: as recorded, else from its unit ('RMB' money, 'ratio', counts)."""
    unit = str(rec.get("unit", ""))
    if rec.get("dimension"):
        return rec["dimension"]
    if unit in ("ratio", "%", "points"):
        return "ratio"
    if unit.isalpha() and unit.isupper() and len(unit) == 3:
        return "money"
    return "count"


def _tiles_html(items, lang: str) -> str:
    mark = f'<span class="eb-derived-mark">{esc(t("brief.summary.derived_mark", lang))}</span>'
    cells = []
    for label, value, change, na, derived in items:
        cls = "eb-tile-change eb-na" if na else "eb-tile-change"
        cells.append(
            f'<li class="eb-tile"><p class="eb-tile-label">{esc(label)}</p>'
            f'<p class="eb-tile-value">{esc(value)}</p>'
            f'<p class="{cls}">{esc(change)}{mark if derived else ""}</p></li>'
        )
    return f'<ul class="eb-tiles">{"".join(cells)}</ul>'


# ---------------------------------------------------------------------------------------------
# Takeaways and verdict


def _v(frame, metric, segment="", period=None):
    return metrics.value(frame, metric, segment, "", period)


def _money(row, lang):
    return show_value(row, lang)


def takeaways(frame: pd.DataFrame, ds: Dataset, lang: str = "en") -> list[str]:
    """Five to seven number-led sentences from the figures; one is left out when its data is."""
    period, comp = ds.period.label, ds.period.comparison
    k = "brief.takeaway."
    pct = formatting.percent
    out: list[str] = []

    revenue = _row(frame, "revenue", "", period)
    growth = _v(frame, "revenue_growth", "", period)
    if revenue and growth is not None:
        out.append(
            t(
                k + "revenue",
                lang,
                revenue=_money(revenue, lang),
                period=period,
                growth=pct(growth, lang, signed=True),
            )
        )

    seg = largest_segment(frame, period)
    share = _v(frame, "revenue_share", seg, period) if seg else None
    if seg and share is not None:
        prior = _v(frame, "revenue_share", seg, comp) if comp else None
        seg_growth = _v(frame, "revenue_growth", seg, period)
        args = dict(share=pct(share, lang), segment=segment_name(ds, seg))
        if prior is not None and seg_growth is not None:
            points = formatting.points(share - prior)
            moved = _moved(seg_growth, lang)
            out.append(
                t(k + "largest_segment", lang, **args, points=points, comparison=comp, growth=moved)
            )
        else:
            out.append(t(k + "largest_segment_no_prior", lang, **args))

    loss = _row(frame, "net_loss", "", period)
    loss_growth = _v(frame, "net_loss_growth", "", period)
    if loss and loss_growth is not None:
        key = "net_loss" if loss_growth < 0 else "net_loss_wider"
        out.append(t(k + key, lang, change=pct(abs(loss_growth), lang), loss=_money(loss, lang)))

    margin = _v(frame, "gross_margin", "", period)
    profit = _row(frame, "gross_profit", "", period)
    if margin is not None and profit:
        out.append(
            t(k + "gross_margin", lang, margin=pct(margin, lang), profit=_money(profit, lang))
        )

    capacity = _row(frame, "compute_capacity", "", period)
    cap_growth = _v(frame, "compute_capacity_growth", "", period)
    if capacity and cap_growth is not None:
        out.append(
            t(
                k + "compute",
                lang,
                capacity=show_value(capacity, lang),
                growth=pct(cap_growth, lang, signed=True),
            )
        )

    rd = _row(frame, "rd_expense", "", period)
    rd_ratio = _v(frame, "rd_to_revenue", "", period)
    if rd and rd_ratio is not None:
        rd_growth = _v(frame, "rd_expense_growth", "", period)
        key = "rd" if rd_growth is not None else "rd_no_growth"
        out.append(
            t(
                k + key,
                lang,
                rd=_money(rd, lang),
                ratio=pct(rd_ratio, lang),
                growth=pct(rd_growth, lang),
            )
        )

    vehicles = frame[
        (frame["metric"] == "vehicles_delivered")
        & (frame["period"] == period)
        & (frame["basis"] == "reported")
    ]
    if len(vehicles):
        row = vehicles.iloc[0].to_dict()
        v_growth = _v(frame, "vehicles_delivered_growth", row["segment"], period)
        rev_growth = _v(frame, "revenue_growth", row["segment"], period)
        args = dict(
            vehicles=show_value(row, lang),
            segment=segment_name(ds, row["segment"]),
            growth=pct(v_growth, lang, signed=True),
        )
        if rev_growth is not None:
            out.append(t(k + "vehicles", lang, **args, revenue_growth=_moved(rev_growth, lang)))
        else:
            out.append(t(k + "vehicles_no_revenue", lang, **args))

    capex = _row(frame, "capex", "", period)
    capex_ratio = _v(frame, "capex_to_revenue", "", period)
    prior_ratio = _v(frame, "capex_to_revenue", "", comp) if comp else None
    if capex and capex_ratio is not None and prior_ratio is not None:
        out.append(
            t(
                k + "capex",
                lang,
                capex=_money(capex, lang),
                ratio=pct(capex_ratio, lang),
                prior_ratio=pct(prior_ratio, lang),
                comparison=comp,
            )
        )
    return out[:MAX_TAKEAWAYS]


def _moved(growth: float, lang: str) -> str:
    """'rose 10.8%' or 'fell 33.2%'."""
    verb = "rose" if growth >= 0 else "fell"
    return t(f"brief.verb.{verb}", lang, value=formatting.percent(abs(growth), lang))


def verdict(frame: pd.DataFrame, ds: Dataset, lang: str = "en") -> str:
    """One line under the title, from the data: growth, the leading segment, the loss."""
    period = ds.period.label
    revenue = _row(frame, "revenue", "", period)
    growth = _v(frame, "revenue_growth", "", period)
    if not revenue or growth is None:
        return ""
    pct = formatting.percent
    moved = t(
        "brief.verb." + ("rose" if growth >= 0 else "fell"), lang, value=pct(abs(growth), lang)
    )
    seg = largest_segment(frame, period)
    share = _v(frame, "revenue_share", seg, period) if seg else None
    if share is None:
        return t(
            "brief.verdict.revenue_only",
            lang,
            revenue=_money(revenue, lang),
            growth=pct(growth, lang, signed=True),
        )
    args = dict(
        growth=moved,
        revenue=_money(revenue, lang),
        segment=segment_name(ds, seg),
        share=pct(share, lang),
    )
    loss = _row(frame, "net_loss", "", period)
    loss_growth = _v(frame, "net_loss_growth", "", period)
    if loss and loss_growth is not None:
        change = t(
            "brief.verb." + ("narrowed" if loss_growth < 0 else "widened"),
            lang,
            value=pct(abs(loss_growth), lang),
        )
        return t(
            "brief.verdict.lead_and_loss", lang, **args, loss_change=change, loss=_money(loss, lang)
        )
    return t("brief.verdict.lead", lang, **args)


# ---------------------------------------------------------------------------------------------
# Flags


def _flag_value(frame: pd.DataFrame, check: Mapping, value, lang: str, *, change=False) -> str:
    """A flagged check's value in the summary's one style (a ratio to one decimal, signed when it
    is a growth rate); the appendix row it links to keeps the check's finer precision."""
    like = frame[(frame["metric"] == check["metric"]) & (frame["segment"] == check["segment"])]
    if len(like) and like["dimension"].iloc[0] == "ratio" and value == value:
        if change:
            return formatting.points(float(value), lang)
        signed = str(check["metric"]).endswith(("_growth", "_change"))
        return formatting.percent(float(value), lang, signed=signed)
    return check_value(frame, check, value, lang, change=change)


def flag_lines(checks: pd.DataFrame, frame: pd.DataFrame, ds: Dataset, lang: str = "en"):
    """(text, anchor) for each flagged check: one line each, linking to the appendix row."""
    out = []
    if checks is None or checks.empty:
        return out
    for c in checks[checks["status"] == "flag"].to_dict("records"):
        name = figure_name(ds, c["metric"], c["segment"], c["item"], lang) + f" {c['period']}"
        if c["kind"] == "claim":
            text = t("brief.summary.flag_claim", lang, figure=name)
        else:
            derived = c.get("basis") == "derived"  # a derived value is never called stated
            text = t(
                "brief.summary.flag_line" + ("_derived" if derived else ""),
                lang,
                figure=name,
                stated=_flag_value(frame, c, c["stated"], lang),
                recomputed=_flag_value(frame, c, c["recomputed"], lang),
                difference=_flag_value(frame, c, c["difference"], lang, change=True),
            )
        note = str(c.get("note") or "").strip().rstrip(".")
        if note:
            text += f" {note[:1].upper()}{note[1:]}."
        out.append((text, check_anchor(c["id"])))
    return out


# ---------------------------------------------------------------------------------------------
# The cover and summary


def cover(ds: Dataset, frame: pd.DataFrame, lang: str = "en") -> str:
    """Kicker, company (English and Chinese), ticker, period and results date, the verdict.

    The company name and the period carry ``eb-running``/``eb-period``: the PDF's running header
    is taken from them (CSS ``string-set``), so it needs no second copy of the text.
    """
    c, p = ds.company, ds.period
    zh = f' <span lang="zh-Hant">{esc(c.name_zh)}</span>' if c.name_zh else ""
    mark = "\x00period\x00"
    if p.results_date:
        when = t(
            "brief.results",
            lang,
            period=mark,
            date=formatting.date(p.results_date.isoformat(), lang),
        )
    else:
        when = t("brief.results_undated", lang, period=mark)
    when = esc(when).replace(mark, f'<span class="eb-period">{esc(p.label)}</span>')
    ticker = " · ".join(x for x in (c.ticker, c.exchange) if x)
    line = verdict(frame, ds, lang)
    return "\n".join(
        [
            '<header class="eb-cover">',
            f'<p class="eb-kicker">{esc(t("brief.kicker", lang))}</p>',
            f'<h1 class="eb-running">{esc(c.name_en)}{zh}</h1>',
            f'<p class="eb-meta">{esc(ticker)} · {when}</p>',
            f'<p class="eb-verdict">{esc(line)}</p>' if line else "",
            "</header>",
        ]
    )


def render(
    ds: Dataset,
    frame: pd.DataFrame,
    checks: pd.DataFrame,
    records: Mapping[str, dict],
    lang: str = "en",
) -> str:
    """Cover, summary chapter, and the table of contents' placeholder (the assembler fills it)."""
    s = "brief.summary."
    flags = flag_lines(checks, frame, ds, lang)
    if flags:
        see = esc(t(s + "see_check", lang))
        items = "".join(
            f'<li>{esc(text)} <a href="#{esc(anchor)}">{see}</a></li>' for text, anchor in flags
        )
        flag_html = f'<ul class="eb-flags">{items}</ul>'
    else:
        count = 0 if checks is None else len(checks)
        flag_html = f'<p class="eb-ok">{esc(t(s + "no_flags", lang, count=count))}</p>'
    items = tiles(records, frame, ds, lang)
    return "\n".join(
        [
            '<div class="eb-summary">',
            cover(ds, frame, lang),
            blocks.chapter("summary", t(s + "chapter", lang)),
            f'<h4 class="eb-subhead">{esc(t(s + "kpis", lang))}</h4>',
            _tiles_html(items, lang),
            f'<p class="eb-footnote">{esc(t(s + "derived_note", lang))}</p>'
            if any(i[4] for i in items)
            else "",
            f'<h4 class="eb-subhead">{esc(t(s + "takeaways", lang))}</h4>',
            blocks.takeaways(takeaways(frame, ds, lang)),
            f'<h4 class="eb-subhead">{esc(t(s + "flags", lang))}</h4>',
            flag_html,
            f'<nav class="eb-toc" id="contents"><h4>{esc(t("brief.contents", lang))}</h4>'
            f"{TOC_MARK}</nav>",
            "</div>",
        ]
    )


def changes_section(ds: Dataset, changes: list[dict], lang: str = "en") -> str:
    """'What changed since the previous edition': each changed figure's old and new value."""
    c = "brief.changes."
    rows = []
    for ch in changes:
        name = (
            figure_name(ds, ch.get("metric", ""), ch.get("segment", ""), ch.get("item", ""), lang)
            if ch.get("metric")
            else str(ch.get("label", ""))
        )
        rows.append(
            f"<tr><td>{esc(name)} {esc(str(ch.get('period', '')))}</td>"
            f'<td class="num">{esc(_shown(ch.get("old"), lang))}</td>'
            f'<td class="num">{esc(_shown(ch.get("new"), lang))}</td>'
            f"<td>{esc(_change_word(ch.get('change', ''), lang))}</td></tr>"
        )
    head = "".join(
        f"<th scope=col{' class=num' if k in ('old', 'new') else ''}>{esc(t(c + k, lang))}</th>"
        for k in ("figure", "old", "new", "note")
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return "\n".join(
        [
            '<div class="eb-changes">',
            blocks.chapter("changes", t(c + "chapter", lang)),
            f'<p class="eb-text">{esc(t(c + "intro", lang))}</p>',
            blocks.block(
                "table",
                "changes-table",
                t(c + ("title_one" if len(changes) == 1 else "title"), lang, count=len(changes)),
                "",
                table,
                blocks.source_text(None, ds.sources, lang, source_ids=list(ds.sources)),
                lang=lang,
            ),
            "</div>",
        ]
    )


def _change_word(kind: str, lang: str) -> str:
    """'added', 'removed' or 'changed' in the brief's language."""
    key = f"brief.changes.kind.{kind}"
    return t(key, lang) if has(key, lang) else kind


def _shown(value, lang: str) -> str:
    """An edition's figure as written ('37.7 RMB 100m'), or n/a when it did not exist."""
    if value is None:
        return t("format.na", lang)
    if isinstance(value, Mapping):
        return f"{value.get('written', '')} {value.get('written_unit', '')}".strip() or show_value(
            value, lang
        )
    return str(value)
