"""Cover and summary: who and when, a one-line verdict, KPI tiles, takeaways, data-quality flags.

The summary reads the derived figures, which every notebook computed once and showed as its data
block. A tile is the figure named in ``TILES`` for the period with its change: the source's
stated growth (or, for a ratio, its stated change in points), else the one computed from the
prior period; a profit after a loss says what it swung from; when the prior period is unknown
the change says "n/a". Takeaways are sentences built from the figures; each leads with a number.
Everything here is returned as typed blocks, whose numbers the formatter writes at render time.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import formatting, metrics, narrative
from ..blocks import (
    Block,
    Cell,
    Column,
    Contents,
    Cover,
    Flag,
    Flags,
    Heading,
    Prose,
    Run,
    Table,
    Takeaways,
    Tile,
    Tiles,
    Value,
    quantity,
    source_text,
)
from ..dataset import Dataset
from ..i18n import has, t
from ..narrative import join
from .appendix import (
    check_anchor,
    check_cell,
    figure_name,
    segment_name,
    show_value,
)

# Tiles, in order of preference. A tile shows a figure and its change; one whose prior is
# unknown gives way to the next (a 'change n/a' tile wastes a slot), unless fewer than
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
    """A tile's figure (its frame row's fields) with its change, from the derived figures."""
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
    if name == "largest_segment_share":  # to one decimal, as the verdict and the mix chart say
        out["written"] = ""
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


def tiles(frame: pd.DataFrame, ds: Dataset, lang: str = "en") -> list[Tile]:
    """The KPI tiles: the first MAX_TILES of TILES with a known change; a point-in-time figure's
    label says its date."""
    period, comparison = ds.period.label, ds.period.comparison
    changed, unchanged = [], []
    for name in TILES:
        rec = tile_from_frame(name, frame, period, comparison)
        if rec is None or rec.get("value") is None:
            continue
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
        change, kind = _change(rec)
        tile = Tile(
            label,
            quantity(rec),
            change,
            kind,
            rec.get("prior_period") or comparison,
            derived="derived" in (rec.get("basis"), rec.get("change_basis")),
        )
        (changed if kind else unchanged).append(tile)
    chosen = changed[:MAX_TILES]
    return chosen + unchanged[: max(0, MIN_TILES - len(chosen))]


def _change(rec: Mapping) -> tuple[Value | None, str]:
    """A tile's change and how it reads: growth (with the source's precision), a change in
    points, or the value a profit swung from; (None, '') when it is not known."""
    if rec.get("growth") is not None:
        digits = rec.get("growth_digits")
        return Value(rec["growth"], "percent", 1 if digits is None else digits, True), "growth"
    if rec.get("change") is not None:
        return Value(rec["change"], "points"), "points"
    if rec.get("swing_from"):
        return quantity(rec["swing_from"]), "swing"
    return None, ""


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


def _flag_value(frame: pd.DataFrame, check: Mapping, value, *, change=False) -> Value:
    """A flagged check's value in the summary's one style (a ratio to one decimal, signed when it
    is a growth rate); the appendix row it links to keeps the check's finer precision."""
    like = frame[(frame["metric"] == check["metric"]) & (frame["segment"] == check["segment"])]
    if len(like) and like["dimension"].iloc[0] == "ratio" and value == value:
        if change:
            return Value(float(value), "points")
        signed = str(check["metric"]).endswith(("_growth", "_change"))
        return Value(float(value), "percent", signed=signed)
    return check_cell(frame, check, value, change=change)


def flags(checks: pd.DataFrame, frame: pd.DataFrame, ds: Dataset, lang: str = "en") -> list[Flag]:
    """Each flagged check in one line, linking to its row in the appendix."""
    out = []
    if checks is None or checks.empty:
        return out
    for c in checks[checks["status"] == "flag"].to_dict("records"):
        name = figure_name(ds, c["metric"], c["segment"], c["item"], lang) + f" {c['period']}"
        note = str(c.get("note") or "").strip().rstrip(".。")
        note = f"{note[:1].upper()}{note[1:]}"
        if c["kind"] == "claim":
            out.append(Flag("brief.summary.flag_claim", name, check_anchor(c["id"]), note=note))
            continue
        derived = c.get("basis") == "derived"  # a derived value is never called stated
        variant = "_conflict" if c["kind"] == "conflict" else "_derived" if derived else ""
        out.append(
            Flag(
                "brief.summary.flag_line" + variant,
                name,
                check_anchor(c["id"]),
                _flag_value(frame, c, c["stated"]),
                _flag_value(frame, c, c["recomputed"]),
                _flag_value(frame, c, c["difference"], change=True),
                note,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# The cover and summary


def cover(ds: Dataset, frame: pd.DataFrame, lang: str = "en") -> Cover:
    """Company, ticker, period and results date, and the verdict."""
    c, p = ds.company, ds.period
    return Cover(
        c.name_en,
        c.name_zh,
        " · ".join(x for x in (c.ticker, c.exchange) if x),
        p.label,
        p.results_date.isoformat() if p.results_date else "",
        verdict(frame, ds, lang),
    )


def render(ds: Dataset, frame: pd.DataFrame, checks: pd.DataFrame, lang: str = "en") -> list[Block]:
    """Cover, the summary chapter (tiles, takeaways, flags) and the table of contents, which the
    assembler fills from the brief's headings."""
    s = "brief.summary."
    return [
        cover(ds, frame, lang),
        Heading(1, "chapter-summary", t(s + "chapter", lang)),
        Heading(3, "", t(s + "kpis", lang)),
        Tiles(tuple(tiles(frame, ds, lang))),
        Heading(3, "", t(s + "takeaways", lang)),
        Takeaways(tuple(takeaways(frame, ds, lang))),
        Heading(3, "", t(s + "flags", lang)),
        Flags(tuple(flags(checks, frame, ds, lang)), 0 if checks is None else len(checks)),
        Contents(),
    ]


def changes_section(ds: Dataset, changes: list[dict], lang: str = "en") -> list[Block]:
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
            (
                f"{name} {ch.get('period', '')}",
                Cell((Run(_shown(ch.get("old"), lang)),)),
                Cell((Run(_shown(ch.get("new"), lang)),)),
                _change_word(ch.get("change", ""), lang),
            )
        )
    columns = tuple(
        Column(t(c + k, lang), k in ("old", "new")) for k in ("figure", "old", "new", "note")
    )
    title = t(c + ("title_one" if len(changes) == 1 else "title"), lang, count=len(changes))
    return [
        Heading(1, "chapter-changes", t(c + "chapter", lang)),
        Prose(t(c + "intro", lang)),
        Table(
            "changes-table",
            title,
            "",
            columns,
            tuple(rows),
            source_text(None, ds.sources, lang, source_ids=list(ds.sources)),
        ),
    ]


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
