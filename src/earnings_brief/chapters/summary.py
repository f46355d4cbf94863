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

from .. import blocks, formatting, metrics, narrative
from ..dataset import Dataset
from ..i18n import has, languages, t
from ..narrative import join
from ..publish import edition_file
from .appendix import (
    check_anchor,
    check_value,
    figure_name,
    segment_name,
    show_value,
)

esc = html.escape

# Tile record names, in order of preference. A tile shows a figure and its change; one whose
# prior is unknown gives way to the next (a 'change n/a' tile wastes a slot), unless fewer than
# MIN_TILES would be left.
TILES = (
    "revenue",
    "largest_segment_share",
    "net_loss",
    "net_profit",  # a company that reports a profit gets its tile, as stated
    "rd_expense",
    "compute_capacity",
    "vehicles_delivered",
    "capex_to_revenue",
    "gross_margin",
)
MAX_TILES = 6
MIN_TILES = 4
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
    keys = ("value", "unit", "dimension", "basis", "qualifier", "as_of", "written", "written_unit")
    out = {key: now[key] for key in keys}
    out.update(name=name, segment=segment, prior_period=comparison, growth=None, change=None)
    if now["dimension"] == "ratio":
        prior = _row(frame, metric, segment, comparison) if comparison else None
        stated = _row(frame, metric + "_change", segment, period)
        if stated is not None and stated["basis"] == "reported":
            # The source's own change (from unrounded figures: +6.7 pp where 77.3 − 70.5 = 6.8)
            out["change"] = stated["value"]
            out["change_basis"] = "reported"
        elif prior is not None:
            out["change"] = now["value"] - prior["value"]
            out["change_basis"] = prior["basis"]
    else:
        growth = _row(frame, metric + "_growth", segment, period)
        if growth is not None and growth["qualifier"] != "more_than":
            out["growth"] = growth["value"]
            out["growth_digits"] = narrative.written_digits(growth)
            out["change_basis"] = growth["basis"]
    prior = _row(frame, metric, segment, comparison) if comparison else None
    if out["growth"] is None and prior is not None and prior["value"] * now["value"] < 0:
        # No growth rate across zero: a profit after a loss says what it swung from.
        out["swing_from"] = {key: prior[key] for key in keys}
        out["change_basis"] = prior["basis"]
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
        if not points:
            rec.setdefault("growth_digits", narrative.written_digits(companion))
    return rec


def tiles(records: Mapping[str, dict], frame: pd.DataFrame, ds: Dataset, lang: str = "en"):
    """The KPI tiles as (label, value, change, change_is_na, derived) tuples of plain text: the
    first MAX_TILES of TILES with a known change; a point-in-time figure's label says its date."""
    period, comparison = ds.period.label, ds.period.comparison
    changed, unchanged = [], []
    for name in TILES:
        rec = _tile_record(name, records, frame, period, comparison)
        if rec is None or rec.get("value") is None:
            continue
        rec = {**rec, "dimension": _dimension(rec)}
        if name == "largest_segment_share":
            label = t(
                "brief.tile.largest_share", lang, segment=segment_name(ds, rec["segment"], lang)
            )
        else:
            key = f"brief.tile.{name}"
            label = t(key, lang) if has(key, lang) else ds.catalog.label(name, lang)
        if rec.get("as_of"):
            label = t(
                "brief.tile.as_of", lang, label=label, date=formatting.date(rec["as_of"], lang)
            )
        prior = rec.get("prior_period") or comparison
        if rec.get("growth") is not None:
            digits = rec.get("growth_digits")
            value = formatting.percent(
                rec["growth"], lang, signed=True, digits=1 if digits is None else digits
            )
            change = t("brief.tile.growth", lang, value=value)
        elif rec.get("change") is not None:
            value = formatting.points(rec["change"], lang)
            change = t("brief.tile.points", lang, value=value, period=prior)
        elif rec.get("swing_from"):
            before = show_value(rec["swing_from"], lang)
            change = t("brief.tile.swing", lang, value=before, period=prior)
        else:
            change = None
        derived = "derived" in (rec.get("basis"), rec.get("change_basis"))
        tile = (label, show_value(rec, lang), change or t("brief.tile.change_na", lang))
        (changed if change else unchanged).append((*tile, change is None, derived))
    chosen = changed[:MAX_TILES]
    return chosen + unchanged[: max(0, MIN_TILES - len(chosen))]


def _tile_record(name, records, frame, period, comparison) -> dict | None:
    """The notebooks' record of a tile; its change from the figures when no notebook recorded
    one (a chapter may record a figure without its growth)."""
    rec, computed = from_records(name, records), tile_from_frame(name, frame, period, comparison)
    if rec is None or computed is None:
        return rec or computed
    if rec.get("growth") is None and rec.get("change") is None:
        keys = ("growth", "change", "growth_digits", "change_basis", "swing_from")
        rec.update({k: computed[k] for k in keys if computed.get(k) is not None})
    return rec


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
    """Number-led sentences that add to the tiles rather than restate them: what fell as well
    as what rose, the cost base and the loss against revenue, the margin, capex and the pipeline.
    Each is left out when its data is."""
    builders = (_mix, _costs, _loss_ratio, _margin, _capex, _pipeline)
    found = (build(frame, ds, lang) for build in builders)
    return [line for line in found if line][:MAX_TAKEAWAYS]


def _pct(row, lang: str, *, signed: bool = False) -> str:
    """A ratio row with the source's precision (one decimal when derived)."""
    digits = narrative.written_digits(row)
    return formatting.percent(
        abs(row["value"]) if not signed else row["value"],
        lang,
        digits=1 if digits is None else digits,
        signed=signed,
    )


def _segment_moves(frame: pd.DataFrame, ds: Dataset, lang: str) -> tuple[list[str], list[str]]:
    """'Vision AI revenue fell 39.4% (derived) to RMB 1.11 bn', rises and falls apart, in the
    company's segment order; the growth is reported or computed from the figures."""
    k, period = "brief.takeaway.", ds.period.label
    rises, falls = [], []
    for seg in ds.company.segments:
        growth = _row(frame, "revenue_growth", seg, period)
        revenue = _row(frame, "revenue", seg, period)
        if growth is None or revenue is None or growth["qualifier"]:
            continue
        text = t(
            k + ("segment_rose" if growth["value"] >= 0 else "segment_fell"),
            lang,
            segment=segment_name(ds, seg, lang),
            change=_pct(growth, lang),
            revenue=show_value(revenue, lang),
            derived=t(k + "derived", lang) if growth["basis"] == "derived" else "",
        )
        (rises if growth["value"] >= 0 else falls).append(text)
    return rises, falls


def _mix(frame, ds, lang) -> str:
    rises, falls = _segment_moves(frame, ds, lang)
    if not (rises or falls):
        return ""
    if falls and rises:
        return t("brief.takeaway.mix", lang, falls=join(falls, lang), rises=join(rises, lang))
    return t("brief.takeaway.mix_one_way", lang, moves=join(falls or rises, lang))


def _costs(frame, ds, lang) -> str:
    period, comp = ds.period.label, ds.period.comparison
    opex, ratio = _row(frame, "opex_ex_sbc", "", period), _row(frame, "opex_to_revenue", "", period)
    rd_ratio = _row(frame, "rd_to_revenue", "", period)
    if opex is None or ratio is None:
        return _rd_only(frame, ds, lang)
    text = t("brief.takeaway.opex", lang, ratio=_pct(ratio, lang), opex=show_value(opex, lang))
    if rd_ratio is None:
        return text + "."
    prior = _row(frame, "rd_expense_growth", "", comp) if comp else None
    key = "rd_after" if prior is not None and prior["value"] < 0 else "rd"
    return text + t(
        "brief.takeaway." + key,
        lang,
        ratio=_pct(rd_ratio, lang),
        fall=_pct(prior, lang) if prior is not None else "",
        comparison=comp,
    )


def _rd_only(frame, ds, lang) -> str:
    """R&D against revenue, when the data gives no total operating expenses."""
    return _ratio_against_prior(frame, ds, lang, "rd_to_revenue", "rd_ratio")


def _loss_ratio(frame, ds, lang) -> str:
    return _ratio_against_prior(
        frame, ds, lang, "net_loss_to_revenue", "loss_ratio", "loss_ratio_only"
    )


def _ratio_against_prior(frame, ds, lang, metric: str, key: str, alone: str = "") -> str:
    """'<ratio> … against <prior> in <comparison>', or ``alone``'s sentence without a prior."""
    period, comp = ds.period.label, ds.period.comparison
    now = _row(frame, metric, "", period)
    prior = _row(frame, metric, "", comp) if comp else None
    if now is None or (prior is None and not alone):
        return ""
    if prior is None:
        return t(f"brief.takeaway.{alone}", lang, ratio=_pct(now, lang))
    return t(
        f"brief.takeaway.{key}",
        lang,
        ratio=_pct(now, lang),
        prior=_pct(prior, lang),
        comparison=comp,
    )


def _margin(frame, ds, lang) -> str:
    """The gross margin, when it has no prior to make it a tile."""
    period, comp = ds.period.label, ds.period.comparison
    margin, profit = (
        _row(frame, "gross_margin", "", period),
        _row(frame, "gross_profit", "", period),
    )
    if margin is None or profit is None or (comp and _row(frame, "gross_margin", "", comp)):
        return ""
    return t(
        "brief.takeaway.gross_margin",
        lang,
        margin=_pct(margin, lang),
        profit=show_value(profit, lang),
        comparison=comp or t("brief.appendix.none", lang),
    )


def _capex(frame, ds, lang) -> str:
    period, comp = ds.period.label, ds.period.comparison
    capex, ratio = _row(frame, "capex", "", period), _row(frame, "capex_to_revenue", "", period)
    prior = _row(frame, "capex_to_revenue", "", comp) if comp else None
    if capex is None or ratio is None or prior is None:
        return ""
    key = "capex_down" if ratio["value"] < prior["value"] else "capex_up"
    return t(
        "brief.takeaway." + key,
        lang,
        capex=show_value(capex, lang),
        ratio=_pct(ratio, lang),
        prior_ratio=_pct(prior, lang),
        comparison=comp,
    )


def _pipeline(frame, ds, lang) -> str:
    wins = frame[(frame["metric"] == "design_win_vehicles") & (frame["period"] == ds.period.label)]
    if wins.empty:
        return ""
    row = wins.iloc[0].to_dict()
    multiple = _row(frame, "design_win_multiple", row["segment"], ds.period.label)
    if multiple is None:
        return ""
    return t(
        "brief.takeaway.pipeline",
        lang,
        vehicles=show_value(row, lang),
        multiple=show_value(multiple, lang),
        segment=segment_name(ds, row["segment"], lang),
    )


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
        segment=segment_name(ds, seg, lang),
        share=pct(share, lang),
    )
    # 'Led by' only when the largest segment moved the way revenue did; a segment that shrank
    # while revenue fell (or grew) did not lead anything, so it is named as the largest.
    seg_growth = _v(frame, "revenue_growth", seg, period)
    led = growth >= 0 and seg_growth is not None and seg_growth >= 0
    kind = "lead" if led else "largest"
    loss = _row(frame, "net_loss", "", period)
    loss_growth = _v(frame, "net_loss_growth", "", period)
    if loss and loss_growth is not None:
        change = t(
            "brief.verb." + ("narrowed" if loss_growth < 0 else "widened"),
            lang,
            value=pct(abs(loss_growth), lang),
        )
        return t(
            f"brief.verdict.{kind}_and_loss",
            lang,
            **args,
            loss_change=change,
            loss=_money(loss, lang),
        )
    return t(f"brief.verdict.{kind}", lang, **args)


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
            variant = "_conflict" if c["kind"] == "conflict" else "_derived" if derived else ""
            text = t(
                "brief.summary.flag_line" + variant,
                lang,
                figure=name,
                stated=_flag_value(frame, c, c["stated"], lang),
                recomputed=_flag_value(frame, c, c["recomputed"], lang),
                difference=_flag_value(frame, c, c["difference"], lang, change=True),
            )
        note = str(c.get("note") or "").strip().rstrip(".。")
        if note:
            note = t("brief.summary.flag_note", lang, note=f"{note[:1].upper()}{note[1:]}")
            text += note
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
            f'<h1 class="eb-running">{company_names(c, lang)}</h1>',
            f'<p class="eb-meta">{esc(ticker)} · {when}</p>',
            edition_links(lang),
            f'<p class="eb-verdict">{esc(line)}</p>' if line else "",
            "</header>",
        ]
    )


def company_names(c, lang: str) -> str:
    """The company's name in the edition's language first, the other one marked with its own
    language: 'SenseTime Group 商湯集團' in English, '商湯集團 SenseTime Group' in Chinese."""
    chinese = f'<span lang="zh-Hant">{esc(c.name_zh)}</span>' if c.name_zh else ""
    if lang.startswith("zh") and chinese:
        return f'{esc(c.name_zh)} <span lang="en">{esc(c.name_en)}</span>'
    return f"{esc(c.name_en)} {chinese}".strip()


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
        written = f"{value.get('written', '')} {value.get('written_unit', '')}".strip()
        if written and lang != "en":  # the data's unit codes are English: say it in words
            return _in_words(value, lang) or written
        return written or show_value(value, lang)
    return str(value)


def _in_words(value: Mapping, lang: str) -> str:
    """A figure as written ('2', 'years') in the edition's words ('2年'), or '' if unreadable."""
    from ..errors import DataError
    from ..units import parse_unit, to_base

    try:
        unit = parse_unit(str(value.get("written_unit", "")))
        number = to_base(float(str(value.get("written", "")).replace(",", "")), unit)
    except (DataError, ValueError):
        return ""
    return narrative.amount(number, unit.dimension, unit.base, lang=lang)
