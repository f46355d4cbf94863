"""Revenue and profitability: revenue against the prior period, the bridge by segment, gross
profit and margin, the net loss, R&D / opex / capex, and the data-quality checks on these
figures."""

from __future__ import annotations

import pandas as pd

from .. import blocks, charts, formatting, metrics, narrative, tables
from ..blocks import Block, Value
from ..formatting import points
from ..notebook import Context
from .appendix import figure_name
from .show import (
    change_columns,
    chapter,
    chosen_scale,
    compare_chart,
    compare_frame,
    difference,
    drawn_periods,
    explain,
    figure,
    group_item,
    money_scale,
    parts_note,
    period_cells,
    prose,
    quantity,
    rows,
    section,
    sources_of,
    table,
    top_level,
    topic_table,
)

SPENDING = ("rd_expense", "opex_ex_sbc", "capex")
INTENSITY = {
    "rd_expense": "rd_to_revenue",
    "opex_ex_sbc": "opex_to_revenue",
    "capex": "capex_to_revenue",
}
# The net-loss figures the net-loss block shows; the topic's others (EBITDA …) follow in a table.
NET_LOSS_SHOWN = {"net_loss", "net_loss_growth", "net_loss_to_revenue"}
# Figures whose reconciliation checks this chapter reports.
CHAPTER_METRICS = {
    "revenue",
    "revenue_growth",
    "revenue_share",
    "gross_profit",
    "gross_margin",
    "net_loss",
    "net_loss_growth",
    "rd_expense",
    "rd_expense_growth",
    "opex_ex_sbc",
    "capex",
    "capex_to_revenue",
    "capex_growth",
}


def _value(row) -> float | None:
    return None if row is None else float(row["value"])


def overview(ctx: Context) -> list[Block]:
    """Chapter heading and the group's explanations that no section below takes. No sentence of
    figures: the first figure's title says what revenue did, and the group's strategy is said
    once, in the outlook."""
    if ctx.row("revenue") is None:
        return chapter(ctx)
    said, _ = explain(ctx, cite=True)  # the group's explanations no section of figures takes
    return chapter(ctx, said)


def revenue_vs_prior(ctx: Context) -> list[Block]:
    """Group and segment revenue, prior period against current."""
    if ctx.row("revenue") is None:
        return []
    items = [("revenue", "", ctx.t("chapters.common.group"), charts.GROUP_COLOR)]
    items += [
        ("revenue", s, ctx.segment_name(s), ctx.colors[s])
        for s in ctx.segment_order
        if ctx.row("revenue", s) is not None
    ]
    values = [
        ctx.value("revenue", s, period=p)
        for _, s, *_ in items
        for p in (ctx.comparison, ctx.period)
    ]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    frame, cited = compare_frame(ctx, items, divisor, digits)
    g = ctx.value("revenue_growth")
    said, ids = explain(ctx, ["revenue.headline"])
    shown = figure(
        ctx,
        "revenue_vs_prior",
        compare_chart(ctx, frame),
        cited,
        source_ids=ids,
        shown=drawn_periods(frame),
        variant=f"title_{narrative.change_key(g)}",
        growth=narrative.magnitude(g, ctx.lang),
        revenue=quantity(ctx, ctx.row("revenue")),
        unit=unit,
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "revenue_vs_prior", [*said, shown])


def revenue_bridge(ctx: Context) -> list[Block]:
    """The change in revenue from the prior period, segment by segment (a waterfall)."""
    steps = metrics.revenue_bridge(ctx.frame, ctx.period, ctx.comparison, ctx.segment_order)
    prior, now = ctx.row("revenue", period=ctx.comparison), ctx.row("revenue")
    if steps.empty or prior is None or now is None:
        return []
    divisor, unit, digits = money_scale([prior["value"], now["value"]], ctx.currency, ctx)
    marks = [
        {
            "label": ctx.comparison,
            "kind": "total",
            "basis": prior["basis"],
            "color": charts.GROUP_COLOR,
            "change": 0.0,
            "start": 0.0,
            "end": prior["value"],
        }
    ]
    marks += [
        {
            "label": ctx.segment_name(s.segment),
            "kind": "step",
            "basis": s.basis,
            "color": ctx.colors[s.segment],
            "change": s.change,
        }
        for s in steps.itertuples()
    ]
    unexplained = now["value"] - prior["value"] - float(steps["change"].sum())
    if abs(unexplained) > 0.005 * now["value"]:
        marks.append(
            {
                "label": ctx.t("chapters.revenue.bridge.other"),
                "kind": "step",
                "basis": "derived",
                "color": charts.MUTED,
                "change": unexplained,
            }
        )
    level = prior["value"]
    for mark in marks[1:]:
        mark["start"], mark["end"] = level, level + mark["change"]
        level = mark["end"]
    marks.append(
        {
            "label": ctx.period,
            "kind": "total",
            "basis": now["basis"],
            "color": charts.GROUP_COLOR,
            "change": 0.0,
            "start": 0.0,
            "end": now["value"],
        }
    )
    frame = pd.DataFrame(marks)
    frame["text"] = [
        formatting.plain(m["end"] / divisor, digits)
        if m["kind"] == "total"
        else formatting.plain(m["change"] / divisor, digits, signed=True)
        for m in marks
    ]
    frame[["start", "end"]] = frame[["start", "end"]] / divisor
    lead = steps.loc[steps["change"].abs().idxmax()]
    cited = rows(
        ctx,
        [("revenue", "", "", ctx.comparison), ("revenue", "", "", None)]
        + [("revenue", s, "", p) for s in steps["segment"] for p in (ctx.comparison, None)],
    )
    fig = charts.bridge(frame, derived_label=ctx.t("charts.derived"))
    money = lambda v: narrative.amount(v, "money", ctx.currency, lang=ctx.lang)  # noqa: E731
    shown = figure(
        ctx,
        "bridge",
        fig,
        cited,
        variant=f"title_{narrative.change_key(lead['change'])}",
        segment=ctx.segment_name(lead["segment"]),
        change=money(abs(lead["change"])),
        total=money(now["value"] - prior["value"]),
        unit=unit,
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "bridge", [shown])


def gross_profit(ctx: Context) -> list[Block]:
    """Gross profit against revenue, and the gross margin."""
    profit, margin = ctx.row("gross_profit"), ctx.row("gross_margin")
    if profit is None or margin is None:
        return []
    prior_margin = ctx.row("gross_margin", period=ctx.comparison)
    items = [group_item(ctx, "revenue"), group_item(ctx, "gross_profit")]
    values = [ctx.value(m, period=p) for m, *_ in items for p in (ctx.comparison, ctx.period)]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    frame, cited = compare_frame(ctx, items, divisor, digits)
    cited = pd.concat(
        [
            cited,
            rows(ctx, [("gross_margin", "", "", None), ("gross_margin", "", "", ctx.comparison)]),
        ]
    )
    stated = ctx.row("gross_margin_change")  # the source's own, from unrounded margins
    change = stated["value"] if stated is not None else difference(margin, prior_margin)
    if stated is not None:
        cited = pd.concat([cited, pd.DataFrame([stated])])
    said, ids = explain(ctx, ["revenue.gross_profit"])
    shown = figure(
        ctx,
        "gross_profit",
        compare_chart(ctx, frame),
        cited,
        source_ids=ids,
        variant="title" if change is None else "title_change",
        margin=quantity(ctx, margin),
        profit=quantity(ctx, profit),
        change=points(change, ctx.lang),
        comparison=ctx.comparison,
        unit=unit,
        period=ctx.period,
    )
    return section(ctx, "gross_profit", [*said, shown])


def net_loss(ctx: Context) -> list[Block]:
    """The net loss in both periods, its change, and its size against revenue; without a net
    loss, the profit figures as stated (a profit, EBITDA) under a heading of their own."""
    loss = ctx.row("net_loss")
    if loss is None:
        said, _ = explain(ctx, ["revenue.profit"], cite=True)  # after the table
        return section(ctx, "profit", [*topic_table(ctx, "profit", "revenue.profit"), *said])
    items = [group_item(ctx, "net_loss")]
    values = [ctx.value("net_loss", period=p) for p in (ctx.comparison, ctx.period)]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    frame, cited = compare_frame(ctx, items, divisor, digits)
    change = ctx.row("net_loss_growth")
    c = _value(change)
    ratio_now = ctx.row("net_loss_to_revenue")
    ratio_prior = ctx.row("net_loss_to_revenue", period=ctx.comparison)
    ratio = []
    if ratio_now is not None:
        key = "ratio_sentence" if ratio_prior is None else "ratio_sentence_prior"
        ratio = prose(
            ctx.t(
                f"chapters.revenue.net_loss.{key}",
                ratio=quantity(ctx, ratio_now),
                prior=quantity(ctx, ratio_prior),
                period=ctx.period,
                comparison=ctx.comparison,
            )
        )
        cited = pd.concat(
            [cited, pd.DataFrame([r for r in (ratio_now, ratio_prior) if r is not None])]
        )
    if change is not None:
        cited = pd.concat([cited, pd.DataFrame([change])])
    said, ids = explain(ctx, ["revenue.profit"])
    shown = figure(
        ctx,
        "net_loss",
        compare_chart(ctx, frame),
        cited,
        source_ids=ids,
        shown=drawn_periods(frame),
        variant=f"title_{narrative.change_key(c, 'wider', 'narrower', 'flat')}",
        change=narrative.magnitude(c, ctx.lang),
        loss=quantity(ctx, loss),
        unit=unit,
        period=ctx.period,
        comparison=ctx.comparison,
        note=ctx.t("charts.data_note", note=loss["note"]) if loss["note"] else "",
    )
    others = topic_table(ctx, "profit", "revenue.profit", exclude=NET_LOSS_SHOWN)
    return section(ctx, "net_loss", [*ratio, *said, shown, *others])


def spending(ctx: Context) -> list[Block]:
    """R&D, operating expenses and capex in both periods, in money."""
    present = [m for m in SPENDING if ctx.row(m) is not None]
    if not present:
        return []
    items = [group_item(ctx, m) for m in present]
    values = [ctx.value(m, period=p) for m in present for p in (ctx.comparison, ctx.period)]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    frame, cited = compare_frame(ctx, items, divisor, digits)
    largest = max(top_level(ctx, present), key=lambda m: ctx.value(m))  # not R&D vs its opex
    ratio = ctx.row(INTENSITY[largest])
    said, ids = explain(ctx, ["revenue.spending", "revenue.intensity"])
    shown = figure(
        ctx,
        "spending",
        compare_chart(ctx, frame),
        cited,
        shown=drawn_periods(frame),
        variant="title" if ratio is not None else "title_no_ratio",
        item=narrative.label("metric", largest, ctx.lang),
        value=quantity(ctx, ctx.row(largest)),
        ratio=quantity(ctx, ratio),
        unit=unit,
        period=ctx.period,
        comparison=ctx.comparison,
        source_ids=ids,
        note=parts_note(ctx, present),
    )
    return section(ctx, "spending", [*said, shown])


def spending_intensity(ctx: Context) -> list[Block]:
    """The same spending against revenue, with the change, as a table."""
    present = [m for m in SPENDING if ctx.row(m) is not None or ctx.row(INTENSITY[m]) is not None]
    if not present:
        return []
    values = [ctx.value(m, period=p) for m in present for p in (ctx.comparison, ctx.period)]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    lines, cited = [], []
    for m in present:
        cells = (
            ("prior", m, ctx.comparison, divisor),
            ("now", m, ctx.period, divisor),
            ("growth", f"{m}_growth", ctx.period, 1.0),
            ("ratio_prior", INTENSITY[m], ctx.comparison, 1.0),
            ("ratio_now", INTENSITY[m], ctx.period, 1.0),
        )
        name = narrative.label("metric", m, ctx.lang)
        lines.append({"item": name, **period_cells(ctx, "", cells, cited)})
    frame = pd.DataFrame(lines)
    t = ctx.t
    columns = [
        tables.Column("item", t("chapters.common.item")),
        *change_columns(ctx, unit, digits),
        tables.Column(
            "ratio_prior", t("chapters.common.of_revenue", period=ctx.comparison), 1, "ratio"
        ),
        tables.Column("ratio_now", t("chapters.common.of_revenue", period=ctx.period), 1, "ratio"),
    ]
    # The title says how each share of revenue moved (the chart above already names the largest
    # item); with no prior share known, it names the largest share.
    move = "chapters.revenue.intensity.move_"
    moves = [
        ctx.t(
            move + narrative.change_key(now["value"] - prior["value"]),
            item=narrative.label("metric", m, ctx.lang),
            ratio=quantity(ctx, now),
            prior=quantity(ctx, prior),
        )
        for m in present
        if (now := ctx.row(INTENSITY[m])) is not None
        and (prior := ctx.row(INTENSITY[m], period=ctx.comparison)) is not None
    ]
    now_ratios = {
        m: ctx.value(INTENSITY[m])
        for m in top_level(ctx, present)
        if ctx.value(INTENSITY[m]) is not None
    }
    top = max(now_ratios, key=now_ratios.get) if now_ratios else present[0]
    shown = table(
        ctx,
        "intensity",
        frame,
        columns,
        pd.DataFrame(cited),
        variant="title_moves" if moves else "title" if now_ratios else "title_plain",
        moves=narrative.join(moves[:1] + [blocks.mid_sentence(m) for m in moves[1:]], ctx.lang),
        item=narrative.label("metric", top, ctx.lang),
        ratio=quantity(ctx, ctx.row(INTENSITY[top])),
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "intensity", [shown])


def _checked(ctx: Context, check: pd.Series, value: float) -> dict:
    """A checked value as a figure in the checked metric's dimension and unit."""
    ref = ctx.row(check["metric"], check["segment"], check["item"], check["period"])
    dimension, unit = ("ratio", "ratio") if ref is None else (ref["dimension"], ref["unit"])
    return {"value": float(value), "dimension": dimension, "unit": unit, "metric": check["metric"]}


def _check_text(ctx: Context, check: pd.Series, value: float) -> str:
    return quantity(ctx, _checked(ctx, check, value))


def _check_cell(ctx: Context, check: pd.Series, value: float, derived: bool = False) -> Value:
    """A checked value as a table cell, in the money scale the knob chose; one the other figures
    imply is marked derived, never passed as stated."""
    found = _checked(ctx, check, value)
    return blocks.quantity(found, derived=derived, currency=ctx.currency, scale=chosen_scale(ctx))


def _check_figure(ctx: Context, metric: str, segment: str, item: str, period: str) -> str:
    """'R&D growth FY2024': the figure's name as the appendix gives it, and its period."""
    return f"{figure_name(ctx.ds, metric, segment, item, ctx.lang)} {period}"


def quality_flags(ctx: Context) -> list[Block]:
    """Reconciliation checks on this chapter's figures; flagged ones are spelt out first. The
    table lists every check, or only the flagged ones when the ``checks_shown`` knob says so;
    when none is flagged, one line says so and the appendix keeps the table."""
    checks = ctx.checks[
        ctx.checks["metric"].isin(CHAPTER_METRICS) & (ctx.checks["kind"] != "claim")
    ]
    if checks.empty:
        return []
    flagged = checks[checks["status"] == "flag"]
    said = prose(
        *(
            ctx.t(
                "chapters.revenue.checks.flag_sentence"
                + (
                    "_conflict"
                    if c["kind"] == "conflict"
                    else "_derived"
                    if c["basis"] == "derived"
                    else ""
                ),
                figure=_check_figure(ctx, c["metric"], c["segment"], c["item"], c["period"]),
                stated=_check_text(ctx, c, c["stated"]),
                recomputed=_check_text(ctx, c, c["recomputed"]),
                note=c["note"] or ctx.t("chapters.revenue.checks.no_note"),
            )
            for _, c in flagged.iterrows()
        )
    )
    only_flagged = ctx.params.knobs.get("checks_shown") == "flagged"
    listed = flagged if only_flagged else checks
    if flagged.empty:  # nothing to say beyond one line: the appendix lists every check once
        return section(
            ctx, "checks", prose(ctx.t("chapters.revenue.checks.none_flagged", total=len(checks)))
        )
    frame = pd.DataFrame(
        {
            "figure": [
                _check_figure(ctx, c.metric, c.segment, c.item, c.period)
                for c in listed.itertuples()
            ],
            "kind": [ctx.t(f"brief.check_kind.{k}") for k in listed["kind"]],
            "stated": [
                _check_cell(ctx, c, c["stated"], c["basis"] == "derived")
                for _, c in listed.iterrows()
            ],
            "recomputed": [_check_cell(ctx, c, c["recomputed"]) for _, c in listed.iterrows()],
            "status": [ctx.t(f"brief.appendix.{s}") for s in listed["status"]],
        }
    )
    columns = [
        tables.Column("figure", ctx.t("chapters.common.figure")),
        tables.Column("kind", ctx.t("chapters.common.check_kind")),
        tables.Column("stated", ctx.t("chapters.common.stated"), right=True),
        tables.Column("recomputed", ctx.t("chapters.common.recomputed"), right=True),
        tables.Column("status", ctx.t("chapters.common.result")),
    ]
    shown = table(
        ctx,
        "checks",
        frame,
        columns,
        None,
        source_ids=sources_of(listed[listed["source"] != ""]),
        variant="title_flag" if len(flagged) else "title_pass",
        note=ctx.t("chapters.revenue.checks.flagged_only", total=len(checks))
        if only_flagged
        else "",
        flagged=len(flagged),
        total=len(checks),
    )
    return section(ctx, "checks", [*said, shown])


# The notebook's cells, in order (one call each).
BLOCKS = (
    "overview",
    "revenue_vs_prior",
    "revenue_bridge",
    "gross_profit",
    "net_loss",
    "spending",
    "spending_intensity",
    "quality_flags",
)
