"""Auto: segment revenue against deliveries, cumulative vehicles and models, design wins and the
pipeline they imply, revenue per delivered vehicle, and the roadmap.

The auto segment is whichever segment reports vehicle figures; a company without one gets one line.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, formatting, narrative, tables
from ..blocks import Block
from ..grouping import largest_items
from ..notebook import Context
from .outlook import sort_key
from .segments import auto_segments
from .show import (
    change_variant,
    chapter,
    compare_chart,
    compare_frame,
    difference,
    fact_names,
    facts,
    figure,
    measures_table,
    prose,
    quantity,
    section,
    sources_of,
    table,
)

VEHICLES = ("vehicles_delivered", "cumulative_vehicles_delivered", "design_win_vehicles")
MODELS = ("models_delivered", "cumulative_models_delivered", "design_win_models")


def _segment(ctx: Context) -> str | None:
    found = auto_segments(ctx)
    return found[0] if found else None


def overview(ctx: Context) -> list[Block]:
    seg = _segment(ctx)
    if seg is None:
        return chapter(ctx)
    said = facts(ctx, kinds=["explanation", "strategy", "view"], topics=[seg])
    return chapter(ctx, prose(*(narrative.fact_sentence(f, ctx.lang) for _, f in said.iterrows())))


def revenue_vs_deliveries(ctx: Context) -> list[Block]:
    """Growth of the segment's revenue against growth of its deliveries."""
    seg = _segment(ctx)
    if seg is None:
        return []
    rev_growth = ctx.row("revenue_growth", seg)
    del_growth = ctx.row("vehicles_delivered_growth", seg)
    if rev_growth is None or del_growth is None:
        return []
    frame = pd.DataFrame(
        [
            {
                "label": narrative.label("metric", "revenue", ctx.lang),
                "value": rev_growth["value"],
                "text": quantity(ctx, rev_growth, signed=True),
                "basis": rev_growth["basis"],
                "color": ctx.colors[seg],
            },
            {
                "label": narrative.label("metric", "vehicles_delivered", ctx.lang),
                "value": del_growth["value"],
                "text": quantity(ctx, del_growth, signed=True),
                "basis": del_growth["basis"],
                "color": charts.GROUP_COLOR,
            },
        ]
    )
    directions = [narrative.change_key(r["value"]) for r in (rev_growth, del_growth)]
    variant = "title_" + "_".join(directions)
    fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
    shown = figure(
        ctx,
        "revenue_vs_deliveries",
        fig,
        pd.DataFrame([rev_growth, del_growth]),
        variant=variant,
        segment=ctx.segment_name(seg),
        revenue=narrative.magnitude(
            rev_growth["value"], ctx.lang, digits=narrative.written_digits(rev_growth)
        ),
        deliveries=narrative.magnitude(
            del_growth["value"], ctx.lang, digits=narrative.written_digits(del_growth)
        ),
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "revenue_vs_deliveries", [shown])


def _count_bars(
    ctx: Context, seg: str, names, *, with_prior: str = ""
) -> tuple[pd.DataFrame, pd.DataFrame]:
    marks, cited = [], []
    keys = [(m, ctx.period) for m in names]
    if with_prior:
        keys.insert(0, (with_prior, ctx.comparison))
    for metric, period in keys:
        r = ctx.row(metric, seg, period=period)
        if r is None:
            continue
        cited.append(r)
        marks.append(
            {
                "label": ctx.t(
                    "chapters.auto.in_period",
                    metric=narrative.label("metric", metric, ctx.lang),
                    period=period,
                ),
                "value": r["value"],
                "text": quantity(ctx, r),
                "basis": r["basis"],
                "color": ctx.colors[seg] if metric in names[:1] else charts.GROUP_COLOR,
            }
        )
    return pd.DataFrame(marks), pd.DataFrame(cited)


def deliveries_and_pipeline(ctx: Context) -> list[Block]:
    """Vehicles delivered in both years, to date, and covered by the new design wins."""
    seg = _segment(ctx)
    if seg is None:
        return []
    frame, cited = _count_bars(ctx, seg, VEHICLES, with_prior="vehicles_delivered")
    if frame.empty:
        return []
    multiple = ctx.row("design_win_multiple", seg)
    fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
    if multiple is not None:
        cited = pd.concat([cited, pd.DataFrame([multiple])])
    shown = figure(
        ctx,
        "vehicles",
        fig,
        cited,
        variant="title" if multiple is not None else "title_plain",
        multiple=narrative.amount(multiple["value"], "multiple", "x", lang=ctx.lang)
        if multiple is not None
        else "",
        delivered=quantity(ctx, ctx.row("vehicles_delivered", seg)),
        period=ctx.period,
        note=ctx.t("chapters.auto.vehicles.note") if multiple is not None else "",
    )
    return section(ctx, "vehicles", [shown])


def models(ctx: Context) -> list[Block]:
    """Vehicle models delivered in the year, to date, and won in the year."""
    seg = _segment(ctx)
    if seg is None:
        return []
    frame, cited = _count_bars(ctx, seg, MODELS)
    if frame.empty:
        return []
    fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
    cumulative, new = ctx.row("cumulative_models_delivered", seg), ctx.row("models_delivered", seg)
    shown = figure(
        ctx,
        "models",
        fig,
        cited,
        variant="title" if cumulative is not None and new is not None else "title_plain",
        cumulative=quantity(ctx, cumulative),
        new=quantity(ctx, new),
        period=ctx.period,
    )
    return section(ctx, "models", [shown])


def revenue_per_vehicle(ctx: Context) -> list[Block]:
    """Segment revenue divided by vehicles delivered, in both periods (derived)."""
    seg = _segment(ctx)
    if seg is None:
        return []
    now = ctx.row("revenue_per_vehicle", seg)
    if now is None:
        return []
    prior = ctx.row("revenue_per_vehicle", seg, period=ctx.comparison)
    items = [("revenue_per_vehicle", seg, ctx.segment_name(seg), ctx.colors[seg])]
    # A value per vehicle is drawn in currency units, whatever the chapter's money scale: in
    # 'bn' or 'm' it would read 0.00.
    unit = formatting.money_unit(ctx.currency, "", ctx.lang)
    frame, cited = compare_frame(ctx, items, text=lambda r: _per_vehicle_text(ctx, r))
    fig = compare_chart(ctx, frame)
    shown = figure(
        ctx,
        "per_vehicle",
        fig,
        cited,
        # Two bounds ('<RMB 153', '<RMB 296') do not show which way the ratio moved.
        variant="title_bounds"
        if prior is not None and (now["qualifier"] or prior["qualifier"])
        else change_variant(difference(now, prior)),
        value=quantity(ctx, now),
        prior=quantity(ctx, prior),
        comparison=ctx.comparison,
        period=ctx.period,
        unit=unit,
        note=ctx.t("chapters.auto.per_vehicle.note"),
    )
    return section(ctx, "per_vehicle", [shown])


def _per_vehicle_text(ctx: Context, row) -> str:
    """A bar label without the 'per vehicle' the subtitle already says."""
    money = formatting.money(row["value"], ctx.currency, ctx.lang, scale="")
    return formatting.prefix(row["qualifier"], ctx.lang) + money


def roadmap(ctx: Context) -> list[Block]:
    """The segment's milestones in one table, dated ones in date order, then the segment's
    product figures. A table, not a timeline: a handful of dates reads better as rows."""
    seg = _segment(ctx)
    if seg is None:
        return []
    shown = []
    found = facts(ctx, kinds=["roadmap", "event"], topics=[seg])
    if len(found):
        found = found.assign(_order=found["date"].map(sort_key)).sort_values(
            "_order", kind="stable"
        )
        name, name_other = fact_names(ctx, found)
        frame = pd.DataFrame(
            {
                "date": [formatting.date(d, ctx.lang) if d else "" for d in found["date"]],
                "name": name,
                "name_other": name_other,
                "text": list(found["text"]),
                "status": [ctx.t(f"charts.status.{s}") if s else "" for s in found["status"]],
            }
        )
        columns = [
            tables.Column("date", ctx.t("brief.outlook.date")),
            tables.Column("name", ctx.t("chapters.common.name")),
            tables.Column("name_other", ctx.t("chapters.common.name_other")),
            tables.Column("text", ctx.t("chapters.common.as_stated")),
            tables.Column("status", ctx.t("brief.outlook.status")),
        ]
        done = int((found["status"] == "done").sum())
        expected = int((found["status"] == "expected").sum())
        shown.append(
            table(
                ctx,
                "roadmap",
                frame,
                columns,
                None,
                source_ids=sources_of(found),
                count=len(found),
                done=done,
                expected=expected,
            )
        )
    f = ctx.frame
    products = f[(f["segment"] == seg) & (f["item"] != "") & (f["period"] == ctx.period)]
    products, _left_out = largest_items(products)  # the appendix lists the rest
    for item in dict.fromkeys(products["item"]):
        part = products[products["item"] == item]
        brand = ctx.ds.company.brands.get(item)
        name = (
            narrative.label("item", item, ctx.lang)
            if brand is None
            else ctx.t("narrative.name_with_zh", en=brand.name_en, zh=brand.name_zh)
            if brand.name_zh
            else brand.name_en
        )
        shown.append(
            measures_table(
                ctx, f"product-{item}", part, texts="product", product=name, period=ctx.period
            )
        )
    return section(ctx, "roadmap", shown)


BLOCKS = (
    "overview",
    "revenue_vs_deliveries",
    "deliveries_and_pipeline",
    "models",
    "revenue_per_vehicle",
    "roadmap",
)
