"""Segments: the revenue mix in both periods, growth by segment, each segment's operating KPIs
(with the company's explanations and named customers), and overseas revenue."""

from __future__ import annotations

import pandas as pd

from .. import charts, formatting, metrics, narrative, tables
from ..blocks import Block, Heading
from ..formatting import points
from ..grouping import largest_items
from ..notebook import Context
from .show import (
    change_columns,
    chapter,
    facts,
    figure,
    measures_table,
    metric_label,
    money_scale,
    names_table,
    period_cells,
    prose,
    quantity,
    rows,
    section,
    sources_of,
    table,
)

REVENUE_METRICS = {"revenue", "revenue_growth", "revenue_share"}


def auto_segments(ctx: Context) -> list[str]:
    """Segments with figures the catalog assigns to the auto chapter (deliveries, vehicle
    models): the auto chapter covers their operating KPIs."""
    f = ctx.frame
    auto = f["metric"].map(lambda m: ctx.ds.catalog.topic(m).startswith("auto."))
    found = set(f.loc[auto & (f["segment"] != ""), "segment"])
    return [s for s in ctx.segment_order if s in found]


def _with_revenue(ctx: Context) -> list[str]:
    return [s for s in ctx.segment_order if ctx.row("revenue", s) is not None]


def overview(ctx: Context) -> list[Block]:
    present = _with_revenue(ctx)
    if not present:
        return chapter(ctx)
    count = ctx.row("segment_count")
    n = int(count["value"]) if count is not None else len(present)
    sentence = ctx.t(
        "chapters.segments.overview.sentence",
        count=n,
        names=narrative.join([ctx.segment_name(s) for s in present], ctx.lang),
        period=ctx.period,
    )
    return chapter(ctx, prose(sentence))


def mix(ctx: Context) -> list[Block]:
    """Each segment's share of revenue, in the comparison period and now."""
    shares = metrics.segment_mix(ctx.frame, [ctx.comparison, ctx.period], ctx.segment_order)
    now = shares[shares["period"] == ctx.period]
    if now.empty:
        return []
    frame = shares.assign(
        color=[ctx.colors.get(s, charts.GROUP_COLOR) for s in shares["segment"]],
        text=[narrative.amount(v, "ratio", "ratio", lang=ctx.lang) for v in shares["share"]],
    ).rename(columns={"segment": "key"})
    frame["segment"] = [ctx.segment_name(k) for k in frame["key"]]
    lead = now.loc[now["share"].idxmax()]
    prior = shares[(shares["period"] == ctx.comparison) & (shares["segment"] == lead["segment"])]
    change = float(lead["share"] - prior["share"].iloc[0]) if len(prior) else None
    variant = "title" if change is None else f"title_{narrative.change_key(change)}"
    cited = rows(
        ctx,
        [
            ("revenue_share", s, "", p)
            for s in shares["segment"].unique()
            for p in (ctx.comparison, None)
        ],
    )
    fig = charts.mix(frame, derived_label=ctx.t("charts.derived"))
    shown = figure(
        ctx,
        "mix",
        fig,
        cited,
        shown=frame["period"],
        variant=variant,
        segment=ctx.segment_name(lead["segment"]),
        share=narrative.amount(lead["share"], "ratio", "ratio", lang=ctx.lang),
        change=points(change, ctx.lang),
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "mix", [shown])


def growth(ctx: Context) -> list[Block]:
    """Revenue growth of each segment and of the group."""
    found = [(s, ctx.row("revenue_growth", s)) for s in ["", *ctx.segment_order]]
    found = [(s, r) for s, r in found if r is not None]
    segs = [(s, r) for s, r in found if s]
    if not segs:
        return []
    frame = pd.DataFrame(
        [
            {
                "label": ctx.segment_name(s) if s else ctx.t("chapters.common.group"),
                "value": r["value"] * 100,
                "text": quantity(ctx, r, signed=True),
                "basis": r["basis"],
                "color": ctx.colors[s] if s else charts.GROUP_COLOR,
            }
            for s, r in found
        ]
    )
    fastest, r_fast = max(segs, key=lambda x: x[1]["value"])
    slowest, r_slow = min(segs, key=lambda x: x[1]["value"])
    # A fall reads as a fall: the title's verbs follow the signs of the extremes.
    signs = (narrative.change_key(r_fast["value"]), narrative.change_key(r_slow["value"]))
    variant = f"title_spread_{'_'.join(signs)}" if len(segs) > 1 else f"title_one_{signs[0]}"
    fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
    shown = figure(
        ctx,
        "growth",
        fig,
        pd.DataFrame([r for _, r in found]),
        variant=variant,
        fastest=ctx.segment_name(fastest),
        fast=quantity(ctx, r_fast, signed=True),
        slowest=ctx.segment_name(slowest),
        slow=quantity(ctx, r_slow, signed=True),
        fast_size=narrative.magnitude(r_fast["value"], ctx.lang),
        slow_size=narrative.magnitude(r_slow["value"], ctx.lang),
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "growth", [shown])


def growth_table(ctx: Context) -> list[Block]:
    """Revenue, growth and share of each segment in both periods."""
    present = _with_revenue(ctx)
    if not present:
        return []
    values = [
        ctx.value("revenue", s, period=p) for s in present for p in (ctx.comparison, ctx.period)
    ]
    divisor, unit, digits = money_scale(values, ctx.currency, ctx)
    cells = (
        ("prior", "revenue", ctx.comparison, divisor),
        ("now", "revenue", ctx.period, divisor),
        ("growth", "revenue_growth", ctx.period, 1.0),
        ("share_prior", "revenue_share", ctx.comparison, 1.0),
        ("share_now", "revenue_share", ctx.period, 1.0),
    )
    lines, cited = [], []
    for s in ["", *present]:
        name = ctx.segment_name(s) if s else ctx.t("chapters.common.group")
        lines.append({"segment": name, **period_cells(ctx, s, cells, cited)})
    t = ctx.t
    columns = [
        tables.Column("segment", t("chapters.common.segment")),
        *change_columns(ctx, unit, digits),
        tables.Column(
            "share_prior", t("chapters.common.share_pct", period=ctx.comparison), 1, "ratio"
        ),
        tables.Column("share_now", t("chapters.common.share_pct", period=ctx.period), 1, "ratio"),
    ]
    shown = table(
        ctx,
        "table",
        pd.DataFrame(lines),
        columns,
        pd.DataFrame(cited),
        count=len(present),
        period=ctx.period,
        comparison=ctx.comparison,
    )
    return section(ctx, "table", [shown])


def _kpi_rows(ctx: Context, segment: str) -> pd.DataFrame:
    f = ctx.frame
    return f[
        (f["segment"] == segment)
        & (f["period"] == ctx.period)
        & (f["basis"] == "reported")
        & ~f["metric"].isin(REVENUE_METRICS)
    ]


def segment_kpis(ctx: Context) -> list[Block]:
    """For each segment outside the auto chapter: its KPIs, what the company says, its customers."""
    shown = [s for s in _with_revenue(ctx) if s not in auto_segments(ctx)]
    shown = [s for s in shown if len(_kpi_rows(ctx, s)) or len(_segment_facts(ctx, s))]
    return section(ctx, "kpis", [b for seg in shown for b in _segment_blocks(ctx, seg)])


def _items(ctx: Context, segment: str) -> list[str]:
    return [i for i in dict.fromkeys(_kpi_rows(ctx, segment)["item"]) if i]


def _segment_facts(ctx: Context, segment: str) -> pd.DataFrame:
    return facts(ctx, topics=[segment, *_items(ctx, segment)])


def _segment_blocks(ctx: Context, seg: str) -> list[Block]:
    """A segment's heading, what the company says of it, its KPIs and its customers."""
    name = ctx.segment_name(seg)
    text = ctx.t("chapters.segments.kpis.segment", segment=name)
    said = _segment_facts(ctx, seg)
    told = said[said["kind"].isin(["explanation", "strategy", "view"])]
    shown = [
        Heading(2, ctx.block_id(f"kpis-{seg}"), text),
        *prose(*(narrative.fact_sentence(f, ctx.lang) for _, f in told.iterrows())),
    ]
    kpis = _kpi_rows(ctx, seg)
    multiples, left_out = largest_items(kpis[kpis["dimension"] == "multiple"])
    if len(multiples):
        frame = pd.DataFrame(
            [
                {
                    "label": _kpi_label(ctx, r),
                    "value": r["value"],
                    "text": quantity(ctx, r),
                    "basis": r["basis"],
                    "color": ctx.colors[seg],
                }
                for _, r in multiples.iterrows()
            ]
        )
        top = multiples.loc[multiples["value"].idxmax()]
        notes = [_multiples_note(ctx, multiples)]
        if left_out:
            notes.append(_largest_note(ctx, multiples, left_out))
        fold = formatting.shortest(top["value"])
        fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
        shown.append(
            figure(
                ctx,
                f"kpi_multiples_{seg}",
                fig,
                multiples,
                texts="kpi_multiples",
                segment=name,
                measure=_kpi_label(ctx, top),
                fold=ctx.t("chapters.segments.kpi_multiples.fold_value", number=fold),
                comparison=ctx.comparison,
                note=" ".join(notes),
            )
        )
    others = kpis[kpis["dimension"] != "multiple"]
    if len(others):
        shown.append(
            measures_table(
                ctx,
                f"kpi_table_{seg}",
                others,
                measure=lambda r: _kpi_label(ctx, r),
                texts="kpi_table",
                segment=name,
                period=ctx.period,
                count=len(others),
            )
        )
    customers = said[said["kind"].isin(["customer", "partner"])]
    if len(customers):
        shown.append(
            names_table(ctx, f"customers_{seg}", customers, texts="customers", segment=name)
        )
    return shown


def _largest_note(ctx: Context, shown: pd.DataFrame, left_out: int) -> str:
    items = shown["item"].loc[shown["item"] != ""].nunique()
    total = formatting.plain(items + left_out)
    return ctx.t("chapters.common.largest_items", shown=items, count=total)


def _multiples_note(ctx: Context, multiples: pd.DataFrame) -> str:
    """What each multiple measures, then, once for all, how a 'grew N-fold' (增長N倍) reads."""
    measures = [f"{_kpi_label(ctx, r)}: {r['note'].split(';')[0]}" for _, r in multiples.iterrows()]
    said = [ctx.t("charts.data_note", note="; ".join(m for m in measures if not m.endswith(": ")))]
    if multiples["note"].str.contains("倍").any():
        said.append(ctx.t("chapters.segments.kpi_multiples.fold", comparison=ctx.comparison))
    return " ".join(said)


def _kpi_label(ctx: Context, row) -> str:
    metric = metric_label(ctx, row["metric"])
    if row["item"]:
        return ctx.t(
            "chapters.segments.kpis.item_metric",
            item=narrative.label("item", row["item"], ctx.lang),
            metric=metric,
        )
    return metric


def overseas(ctx: Context) -> list[Block]:
    """Overseas revenue growth against the group's."""
    f = ctx.frame
    found = f[
        f["metric"].str.startswith("overseas_") & (f["period"] == ctx.period) & (f["segment"] == "")
    ]
    group = ctx.row("revenue_growth")
    over = ctx.row("overseas_revenue_growth")
    if over is None and found.empty:
        return []
    if over is None or group is None:
        shown = measures_table(ctx, "overseas_table", found, notes=False, period=ctx.period)
        return section(ctx, "overseas", [shown])
    frame = pd.DataFrame(
        [
            {
                "label": narrative.label("metric", "overseas_revenue_growth", ctx.lang),
                "value": over["value"],
                "text": quantity(ctx, over, signed=True),
                "basis": over["basis"],
                "color": charts.PALETTE[4],
            },
            {
                "label": narrative.label("metric", "revenue_growth", ctx.lang),
                "value": group["value"],
                "text": quantity(ctx, group, signed=True),
                "basis": group["basis"],
                "color": charts.GROUP_COLOR,
            },
        ]
    )
    faster = "faster" if over["value"] > group["value"] else "slower"
    fig = charts.bars(frame, derived_label=ctx.t("charts.derived"))
    shown = figure(
        ctx,
        "overseas",
        fig,
        pd.DataFrame([over, group]),
        variant=f"title_{faster}",
        overseas=quantity(ctx, over, signed=True),
        group=quantity(ctx, group, signed=True),
        period=ctx.period,
        note=ctx.t("charts.data_note", note=over["note"]) if over["note"] else "",
        source_ids=sources_of(found),
    )
    return section(ctx, "overseas", [shown])


BLOCKS = ("overview", "mix", "growth", "growth_table", "segment_kpis", "overseas")
