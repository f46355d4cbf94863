"""Infrastructure: compute capacity and growth, the domestic-chip cluster, cloud efficiency claims,
the model / chip / depreciation cycles side by side, capex intensity, and management's stated
link between an inference-efficiency lead and margin, with the brief's own sensitivity of it
(labelled as analysis; scenarios as a notebook parameter)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import blocks, charts, formatting, narrative, tables
from ..blocks import Block, Table
from ..grouping import largest_items
from ..notebook import Context
from .show import (
    cell_quantity,
    change_variant,
    chapter,
    compare_chart,
    compare_frame,
    difference,
    drawn_periods,
    facts,
    figure,
    group_item,
    measures_table,
    names_table,
    prose,
    quantity,
    section,
    sources_of,
    table,
)

TOPIC = "infrastructure"
CHIP_METRICS = ("chip_cluster_size", "heterogeneous_training_efficiency", "cluster_utilisation")
CLOUD_METRICS = ("virtual_cluster_speed_multiple", "virtual_cluster_cost_saving")
CYCLE_MIN, CYCLE_MAX, CYCLE = "cycle_length_min", "cycle_length_max", "cycle_length"
LEAD, MARGIN_AT_LEAD = "inference_efficiency_lead", "profit_margin_at_lead"


def _current(ctx: Context, names) -> pd.DataFrame:
    f = ctx.frame
    return f[
        f["metric"].isin(list(names))
        & (f["period"] == ctx.period)
        & (f["qualifier"] != "conflicting")
    ]


def overview(ctx: Context) -> list[Block]:
    said = facts(ctx, kinds=["explanation"], topics=[TOPIC])
    if said.empty and ctx.row("compute_capacity") is None:
        return chapter(ctx)
    shown = prose(*(narrative.fact_sentence(f, ctx.lang) for _, f in said.iterrows()))
    customers = facts(ctx, kinds=["customer"], topics=[TOPIC])
    if len(customers):
        shown.append(names_table(ctx, "customers", customers))
    return chapter(ctx, shown)


def compute_capacity(ctx: Context) -> list[Block]:
    """Compute capacity a year apart, and its growth."""
    now = ctx.row("compute_capacity")
    if now is None:
        return []
    growth = ctx.row("compute_capacity_growth")
    frame, cited = compare_frame(
        ctx, [group_item(ctx, "compute_capacity")], text=lambda r: quantity(ctx, r)
    )
    frame["series"] = [
        formatting.date(r["as_of"], ctx.lang) if r["as_of"] else r["period"]
        for _, r in cited.iterrows()
    ]
    if growth is not None:
        cited = pd.concat([cited, pd.DataFrame([growth])])
    fig = compare_chart(ctx, frame)
    g = None if growth is None else growth["value"]
    shown = figure(
        ctx,
        "compute",
        fig,
        cited,
        shown=drawn_periods(frame),
        variant=change_variant(g),
        capacity=quantity(ctx, now),
        growth=narrative.magnitude(
            g, ctx.lang, digits=None if growth is None else narrative.written_digits(growth)
        ),
        as_of=formatting.date(now["as_of"], ctx.lang) if now["as_of"] else ctx.period,
        note=ctx.t("charts.data_note", note=now["note"]) if now["note"] else "",
    )
    return section(ctx, "compute", [shown])


def _figures_table(ctx: Context, name: str, found: pd.DataFrame) -> list[Table]:
    if found.empty:
        return []
    return [measures_table(ctx, name, found, items=True, period=ctx.period, count=len(found))]


def chip_cluster(ctx: Context) -> list[Block]:
    """The domestic-chip cluster figures and the chip partners."""
    found = _current(ctx, CHIP_METRICS)
    partners = facts(ctx, kinds=["partner"], topics=[TOPIC])
    shown = _figures_table(ctx, "chips", found)
    if len(partners):
        shown.append(names_table(ctx, "partners", partners))
    return section(ctx, "chips", shown)


def cloud_efficiency(ctx: Context) -> list[Block]:
    """The AI-cloud efficiency claims, as stated."""
    return section(ctx, "cloud", _figures_table(ctx, "cloud", _current(ctx, CLOUD_METRICS)))


def cycles(ctx: Context) -> list[Block]:
    """Model, chip and depreciation cycles on one axis, in months."""
    found, _left_out = largest_items(_current(ctx, (CYCLE_MIN, CYCLE_MAX, CYCLE)))
    if found.empty:
        return []
    marks = []
    for i, item in enumerate(dict.fromkeys(found["item"])):
        part = found[found["item"] == item].set_index("metric")
        lo_row = (
            part.loc[CYCLE_MIN]
            if CYCLE_MIN in part.index
            else part.loc[CYCLE]
            if CYCLE in part.index
            else None
        )
        hi_row = part.loc[CYCLE_MAX] if CYCLE_MAX in part.index else lo_row
        if lo_row is None:
            lo_row = hi_row
        lo, hi = float(lo_row["value"]), float(hi_row["value"])
        text = quantity(ctx, lo_row)
        if hi > lo:  # '≈1.5–2 years': both ends as written, in the unit the source used
            span = {**lo_row, "written": f"{lo_row['written']}–{hi_row['written']}"}
            if lo_row["written_unit"] != hi_row["written_unit"]:
                written = f"{formatting.shortest(lo)}–{formatting.shortest(hi)}"
                span = {**span, "written": written, "written_unit": "months"}
            text = quantity(ctx, span)
        marks.append(
            {
                "label": narrative.label("item", item, ctx.lang),
                "lo": lo,
                "hi": hi,
                "text": text,
                "basis": "reported",
                "color": charts.PALETTE[i % len(charts.PALETTE)],
            }
        )
    frame = pd.DataFrame(marks)
    short = frame.loc[frame["hi"].idxmin()]
    long = frame.loc[frame["lo"].idxmax()]
    fig = charts.ranges(frame, axis_label=ctx.t("charts.months"))
    views = facts(ctx, kinds=["view"], topics=[TOPIC])
    shown = figure(
        ctx,
        "cycles",
        fig,
        found,
        variant="title_one"
        if len(frame) == 1
        else "title"
        if long["lo"] >= 3 * short["hi"]
        else "title_shorter",
        short=short["label"],
        short_text=short["text"],
        long=blocks.mid_sentence(long["label"]),
        long_text=long["text"],
        source_ids=sources_of(views),
    )
    return section(ctx, "cycles", [shown])


def capex_intensity(ctx: Context) -> list[Block]:
    """Capex against revenue in both periods, with management's view and the peer figure cited."""
    now = ctx.row("capex_to_revenue")
    views = facts(ctx, kinds=["view"], topics=[TOPIC])
    said = prose(*(narrative.fact_sentence(f, ctx.lang) for _, f in views.iterrows()))
    if now is None:
        return section(ctx, "capex", said)
    prior = ctx.row("capex_to_revenue", period=ctx.comparison)
    frame, cited = compare_frame(
        ctx, [group_item(ctx, "capex_to_revenue")], text=lambda r: quantity(ctx, r)
    )
    peers = _current(ctx, ["peer_capex_plan"])
    note = " ".join(
        ctx.t(
            "chapters.infrastructure.capex.peer",
            item=narrative.label("item", r["item"], ctx.lang),
            value=quantity(ctx, r),
            note=r["note"],
        )
        for _, r in peers.iterrows()
    )
    cited = pd.concat([cited, peers]) if len(peers) else cited
    fig = compare_chart(ctx, frame)
    shown = figure(
        ctx,
        "capex",
        fig,
        cited,
        variant=change_variant(difference(now, prior)),
        ratio=quantity(ctx, now),
        prior=quantity(ctx, prior),
        period=ctx.period,
        comparison=ctx.comparison,
        note=note,
        source_ids=sources_of(views),
    )
    return section(ctx, "capex", [*said, shown])


def _leads(ctx: Context) -> tuple[list[float], pd.DataFrame]:
    stated = _current(ctx, [LEAD])
    chosen = ctx.params.knobs.get("efficiency_scenarios") or []
    leads = list(chosen) if chosen else [float(v) for v in stated["value"]]
    return sorted(dict.fromkeys(leads)), stated


def _stated_cases(ctx: Context, stated: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Management's (lead, margin) pairs, each as the source states it."""
    cases = []
    for _, lead in stated.iterrows():
        margin = ctx.row(MARGIN_AT_LEAD, lead["segment"], lead["item"])
        if margin is not None:
            cases.append((lead, margin))
    return cases


def _cases_table(ctx: Context, cases: list[tuple[pd.Series, pd.Series]]) -> Table:
    """The stated cases, sourced: what management said, before the brief reads anything into it."""
    k = "chapters.infrastructure.sensitivity_stated"
    frame = pd.DataFrame(
        [{"lead": cell_quantity(ctx, lead), "margin": cell_quantity(ctx, m)} for lead, m in cases]
    )
    columns = [
        tables.Column("lead", ctx.t(f"{k}.lead_col"), right=True),
        tables.Column("margin", ctx.t(f"{k}.margin_col"), right=True),
    ]
    equal = all(abs(lead["value"] - m["value"]) < 1e-9 for lead, m in cases)
    leads = narrative.join([quantity(ctx, lead) for lead, _ in cases], ctx.lang)
    cited = pd.DataFrame([row for pair in cases for row in pair])
    return table(
        ctx,
        "sensitivity_stated",
        frame,
        columns,
        cited,
        variant="title_equal" if equal else "title",
        count=len(cases),
        leads=leads,
    )


def _analysis_text(ctx: Context, leads: list[float], cases) -> str:
    """The analysis line: inputs (management's stated cases, cited), assumptions, results."""
    k = "chapters.infrastructure.sensitivity"
    pct = lambda v: narrative.percent_text(v, ctx.lang)  # noqa: E731
    results = narrative.join(
        [ctx.t(f"{k}.result", lead=pct(e), margin=pct(e / (1 + e))) for e in leads], ctx.lang
    )
    parts = []
    if cases:
        stated = narrative.join(
            [
                ctx.t(f"{k}.case", lead=quantity(ctx, lead), margin=quantity(ctx, m))
                for lead, m in cases
            ],
            ctx.lang,
        )
        ids = list(dict.fromkeys(s for lead, m in cases for s in (lead["source"], m["source"])))
        publishers = narrative.join([ctx.ds.sources[i].publisher for i in ids], ctx.lang)
        parts.append(ctx.t(f"{k}.inputs", cases=stated, source=publishers))
    else:
        parts.append(ctx.t(f"{k}.inputs_chosen"))
    parts += [ctx.t(f"{k}.assumptions"), ctx.t(f"{k}.results", results=results)]
    return " ".join(parts)


def efficiency_sensitivity(ctx: Context) -> list[Block]:
    """Margin against an inference-efficiency lead: management's stated cases, sourced; then the
    brief's own analysis, labelled as such: the rule extended and a cost-based reading of it."""
    leads, stated = _leads(ctx)
    if not leads:
        return []
    cases = _stated_cases(ctx, stated)
    grid = np.linspace(0, max(leads) * 1.6, 41)
    k = "chapters.infrastructure.sensitivity"
    lines = pd.concat(
        [
            pd.DataFrame(
                {"x": grid, "y": grid, "series": ctx.t(f"{k}.rule"), "color": charts.PALETTE[0]}
            ),
            pd.DataFrame(
                {
                    "x": grid,
                    "y": grid / (1 + grid),
                    "series": ctx.t(f"{k}.cost"),
                    "color": charts.PALETTE[5],
                }
            ),
        ]
    ).assign(basis="derived")
    points = pd.DataFrame(
        [
            {"x": e, "y": e, "y2": e / (1 + e), "text": narrative.percent_text(e, ctx.lang)}
            for e in leads
        ]
    ).assign(basis="derived")
    fig = charts.sensitivity(
        lines,
        points,
        x_label=ctx.t(f"{k}.x"),
        y_label=ctx.t(f"{k}.y"),
    )
    top = max(leads)
    shown = figure(
        ctx,
        "sensitivity",
        fig,
        ctx.frame.iloc[0:0],
        lead=narrative.percent_text(top, ctx.lang),
        rule_margin=narrative.percent_text(top, ctx.lang),
        cost_margin=narrative.percent_text(top / (1 + top), ctx.lang),
        analysis=_analysis_text(ctx, leads, cases),
    )
    return section(ctx, "sensitivity", [*([_cases_table(ctx, cases)] if cases else []), shown])


BLOCKS = (
    "overview",
    "compute_capacity",
    "chip_cluster",
    "cloud_efficiency",
    "cycles",
    "capex_intensity",
    "efficiency_sensitivity",
)
