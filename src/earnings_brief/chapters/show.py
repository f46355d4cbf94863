"""What the chapter modules share: a chart or table as a numbered block with its Source line,
section and chapter headings, the one-line "no data" message, the rows and facts a block cites,
the scale a money axis is drawn in and a figure in words. Titles and subtitles come from
``chapters.<notebook>.<block>`` in the locale.

Every function here returns blocks (``earnings_brief.blocks``) and displays nothing; a notebook
cell shows what a chapter function returns with ``ctx.show``. A chapter shows only what its
data holds: a section's heading comes only with the section's blocks, a section without data
returns nothing, and a chapter whose topics (in the metric catalog) have no figure and no fact
is its heading and one line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from .. import blocks, charts, formatting, narrative, tables
from ..blocks import Block, Figure, Heading, Missing, Prose, Table, Value
from ..grouping import largest_items
from ..i18n import has
from ..notebook import Context


def quantity(ctx: Context, row, **kw) -> str:
    """A figure (a row of the metrics frame) in words, in the brief's currency and language."""
    return narrative.quantity(row, currency=ctx.currency, lang=ctx.lang, **kw)


def difference(now, prior) -> float | None:
    """How far a figure moved from its prior-period row; None when the prior is not given, or
    when either is a bound ('more than', 'up to') that leaves the direction open."""
    if prior is None:
        return None
    (a_lo, a_hi), (b_lo, b_hi) = _bounds(now), _bounds(prior)
    bounded = math.inf in (a_hi, b_hi) or -math.inf in (a_lo, b_lo)
    if bounded and a_lo <= b_hi and b_lo <= a_hi:  # the values they allow overlap
        return None
    return now["value"] - prior["value"]


def _bounds(row) -> tuple[float, float]:
    """The values a figure allows: a lower bound is open above, an upper bound below."""
    value = float(row["value"])
    return {
        "more_than": (value, math.inf),
        "up_to": (-math.inf, value),
    }.get(row["qualifier"], (value, value))


def change_variant(change: float | None) -> str:
    """The title variant for a figure's change: 'title' when unknown, else 'title_up' / …"""
    return "title" if change is None else f"title_{narrative.change_key(change)}"


def chapter(ctx: Context, content: Iterable[Block] = ()) -> list[Block]:
    """The chapter's heading over its opening blocks; when none of its topics has data, the
    heading and one line, and nothing else."""
    heading = Heading(1, f"chapter-{ctx.notebook}", ctx.t(f"chapters.{ctx.notebook}.chapter"))
    if not chapter_has_data(ctx):
        return [heading, Missing(_missing_text(ctx, "overview"))]
    return [heading, *content]


def chapter_has_data(ctx: Context) -> bool:
    """Whether any figure of the chapter's catalog topics, or any fact on it, is in the data. The
    segments chapter also has every segment's figures."""
    rows = ctx.frame[ctx.frame["qualifier"] != "conflicting"]
    chapters = rows["metric"].map(lambda m: ctx.ds.catalog.topic(m).split(".")[0])
    if (chapters == ctx.notebook).any():
        return True
    if ctx.notebook == "segments" and (rows["segment"] != "").any():
        return True
    return not facts(ctx, topics=[ctx.notebook]).empty


def section(ctx: Context, name: str, content: Iterable[Block], **values) -> list[Block]:
    """A section's heading over its blocks: nothing for a section without blocks (never a
    heading above nothing), and nothing in a chapter without data (its one line says so)."""
    content = list(content)
    if not content or not chapter_has_data(ctx):
        return []
    text = ctx.t(f"chapters.{ctx.notebook}.{name}.section", **values)
    return [Heading(2, ctx.block_id(name), text), *content]


def metric_label(ctx: Context, metric: str) -> str:
    """A metric's name: the locale's word where the chapters' prose defines one, else the
    catalog's label (a dataset's own metrics are named by its catalog.toml)."""
    key = f"narrative.metric.{metric}"
    return (
        narrative.label("metric", metric, ctx.lang)
        if has(key)
        else ctx.ds.catalog.label(metric, ctx.lang)
    )


def top_level(ctx: Context, metrics: list[str]) -> list[str]:
    """The metrics that are not part of another one listed (R&D is part of operating
    expenses): only these are compared with each other."""
    return [m for m in metrics if ctx.ds.catalog.parent(m) not in metrics]


def parts_note(ctx: Context, metrics: list[str]) -> str:
    """'R&D expense is part of operating expenses …' for each metric shown with its parent."""
    return " ".join(
        ctx.t(
            "chapters.common.part_of",
            part=metric_label(ctx, m),
            whole=blocks.mid_sentence(metric_label(ctx, ctx.ds.catalog.parent(m))),
        )
        for m in metrics
        if ctx.ds.catalog.parent(m) in metrics
    )


def topic_table(ctx: Context, name: str, topic: str, *, exclude=()) -> list[Block]:
    """A catalog topic's group figures, each as stated, in both periods: measure, prior and now;
    nothing when the data has none of them."""
    keys = [
        (m, "", "")
        for m in ctx.ds.catalog.metrics_for_topic(topic)
        if m not in exclude
        and any(_stated(ctx, (m, "", ""), p) is not None for p in (ctx.comparison, ctx.period))
    ]
    return [_periods_table(ctx, name, keys)] if keys else []


def further_figures(ctx: Context) -> list[Block]:
    """The chapter's last block: every reported figure on its catalog topics that no block it
    has shown (``ctx.cited``) showed, in catalog order, so that a dataset's own metrics are
    never left out. A segment's figure on a group topic belongs to the segments chapter."""
    f = ctx.frame
    rows = f[
        (f["basis"] == "reported")
        & (f["qualifier"] != "conflicting")
        & f["period"].isin([ctx.period, ctx.comparison])
    ]
    order = list(ctx.ds.catalog.metrics)
    cited = ctx.cited
    keys = [
        (r["metric"], r["segment"], r["item"])
        for r in rows.to_dict("records")
        if _chapter_of(ctx, r) == ctx.notebook and not _shown(ctx, r, cited)
    ]
    keys = sorted(
        dict.fromkeys(keys),
        key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[1], k[2]),
    )
    return section(ctx, "further", [_periods_table(ctx, "further", keys)] if keys else [])


def _shown(ctx: Context, row, cited: set) -> bool:
    """Whether a block shown above cited the figure; this period's growth or change counts as
    shown with the figure it is the growth of (the block's title or bars give it)."""
    base = row["metric"]
    if row["period"] == ctx.period:
        base = base.removesuffix("_growth").removesuffix("_change")
    return any(
        (m, row["segment"], row["item"], row["period"]) in cited for m in {row["metric"], base}
    )


def _stated(ctx: Context, key: tuple[str, str, str], period: str):
    """The figure as the source states it in ``period``, or None (a derived value is not)."""
    row = ctx.row(*key, period=period)
    return row if row is not None and row["basis"] == "reported" else None


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def _chapter_of(ctx: Context, row) -> str:
    chapter = ctx.ds.catalog.topic(row["metric"]).split(".")[0]
    return "segments" if chapter == "revenue" and row["segment"] else chapter


def _periods_table(ctx: Context, name: str, keys: list[tuple[str, str, str]]) -> Table:
    """Figures (metric, segment, item) as stated in the comparison period and this one."""
    periods = (ctx.comparison, ctx.period)
    cited, lines = [], []
    for metric, segment, item in keys:
        found = {p: _stated(ctx, (metric, segment, item), p) for p in periods}
        cited += [r for r in found.values() if r is not None]
        cells = {p: Value(None) if r is None else cell_quantity(ctx, r) for p, r in found.items()}
        names = [
            metric_label(ctx, metric),
            ctx.segment_name(segment) if segment else "",
            _capital(narrative.label("item", item, ctx.lang)) if item else "",
        ]
        lines.append({"measure": " · ".join(n for n in names if n), **cells})
    first = ([r for r in cited if r["period"] == ctx.period] or cited)[0]  # the title's figure
    return table(
        ctx,
        name,
        pd.DataFrame(lines).rename(columns={periods[0]: "prior", periods[1]: "now"}),
        [
            tables.Column("measure", ctx.t("chapters.common.measure")),
            tables.Column("prior", periods[0], right=True),
            tables.Column("now", periods[1], right=True),
        ],
        pd.DataFrame(cited),
        measure=metric_label(ctx, first["metric"]),
        value=quantity(ctx, first),
        period=first["period"],
        comparison=ctx.comparison,
        count=len(keys),
    )


def _missing_text(ctx: Context, name: str) -> str:
    return ctx.t(
        f"chapters.{ctx.notebook}.{name}.missing",
        company=ctx.ds.company.name(ctx.lang),
        period=ctx.period,
        comparison=ctx.comparison,
    )


def prose(*sentences: str, source: str = "") -> list[Block]:
    """One paragraph of the sentences given (empty ones dropped); nothing without a sentence."""
    text = " ".join(s for s in sentences if s)
    return [Prose(text, source)] if text else []


def rows(ctx: Context, keys: Iterable[tuple]) -> pd.DataFrame:
    """The metrics-frame rows behind a block, for its Source line; keys are (metric, segment, item,
    period) with period None meaning the current period. Absent figures are skipped."""
    found = [ctx.row(*key) for key in keys]
    found = [r for r in found if r is not None]
    return pd.DataFrame(found) if found else ctx.frame.iloc[0:0]


def facts(ctx: Context, *, kinds: Iterable[str] = (), topics: Iterable[str] = ()) -> pd.DataFrame:
    found = ctx.ds.facts
    if kinds:
        found = found[found["kind"].isin(list(kinds))]
    if topics:
        found = found[found["topic"].isin(list(topics))]
    return found


def explanations(ctx: Context, topics: Iterable[str] | None = None) -> pd.DataFrame:
    """The group's explanations of metrics on ``topics`` (catalog topics, by the metric a fact
    is ``about``); with ``topics`` None, those no such section shows: no ``about``, or a
    metric on none of REVENUE_TOPICS."""
    found = facts(ctx, kinds=["explanation"], topics=["group"])
    topic = [ctx.ds.catalog.topic(m) if m else "" for m in found["about"]]
    if topics is None:
        keep = [x not in REVENUE_TOPICS for x in topic]
    else:
        keep = [x in set(topics) for x in topic]
    return found[keep]


# The revenue chapter's sections that show a group explanation beside their figures.
REVENUE_TOPICS = (
    "revenue.headline",
    "revenue.gross_profit",
    "revenue.profit",
    "revenue.spending",
    "revenue.intensity",
)


def explain(
    ctx: Context, topics: Iterable[str] | None = None, *, cite: bool = False
) -> tuple[list[Block], list[str]]:
    """Those explanations as prose, and their source ids for the block they explain. With
    ``cite`` (no block follows to carry them) the prose gets a Source line of its own."""
    found = explanations(ctx, topics)
    ids = sources_of(found)
    source = ""
    if cite and ids:
        source = blocks.source_text(None, ctx.ds.sources, ctx.lang, source_ids=ids)
    said = prose(
        *(narrative.fact_sentence(f, ctx.lang) for _, f in found.iterrows()), source=source
    )
    return said, ids


def sources_of(found: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(found["source"])) if len(found) else []


def _cites(cited: pd.DataFrame | None) -> tuple[tuple[str, str, str, str], ...]:
    """The figure keys (metric, segment, item, period) of the rows a block shows."""
    if cited is None or not len(cited):
        return ()
    keys = zip(cited["metric"], cited["segment"], cited["item"], cited["period"], strict=True)
    return tuple(dict.fromkeys(tuple(str(k) for k in key) for key in keys))


def figure(
    ctx: Context,
    name: str,
    fig,
    cited: pd.DataFrame,
    *,
    note: str = "",
    source_ids: Iterable[str] = (),
    variant: str = "title",
    texts: str = "",
    shown: Iterable[str] = (),
    analysis: str = "",
    **values,
) -> Figure:
    """A chart as a numbered figure. Its words are under ``chapters.<notebook>.<texts or
    name>``; ``variant`` picks one of the block's finding-titles. ``shown`` are the periods the
    chart draws: when that is one period, the subtitle names only it (``subtitle_one``).
    ``analysis`` (its inputs and assumptions) makes it the brief's own illustration, unsourced."""
    base = f"chapters.{ctx.notebook}.{texts or name}"
    title = ctx.t(f"{base}.{variant}", **values)
    periods = list(dict.fromkeys(shown))
    values["shown"] = periods[0] if periods else ""
    subtitle = ctx.t(f"{base}.{'subtitle_one' if len(periods) == 1 else 'subtitle'}", **values)
    if not analysis and len(cited) and (cited["basis"] == "derived").any():
        note = " ".join(p for p in (note, ctx.t("charts.derived_note")) if p)
    # The alt text reads the title, then the measure and unit, then the values drawn.
    alt = f"{title} ({subtitle})" if subtitle else title
    return Figure(
        id=ctx.block_id(name),
        title=title,
        subtitle=subtitle,
        drawing=charts.drawing(fig, alt=alt),
        source=blocks.source_text(cited, ctx.ds.sources, ctx.lang, source_ids=source_ids),
        note=note,
        analysis=analysis,
        cites=_cites(cited),
    )


def table(
    ctx: Context,
    name: str,
    frame: pd.DataFrame,
    columns: list[tables.Column],
    cited: pd.DataFrame | None,
    *,
    note: str = "",
    source_ids: Iterable[str] = (),
    variant: str = "title",
    texts: str = "",
    **values,
) -> Table:
    """A frame as a numbered table with its caption and Source line; its numbers stay
    ``Value``s until the formatter writes them."""
    base = f"chapters.{ctx.notebook}.{texts or name}"
    cells = tables.cells(frame, columns)
    return Table(
        id=ctx.block_id(name),
        title=ctx.t(f"{base}.{variant}", **values),
        subtitle=ctx.t(f"{base}.subtitle", **values),
        columns=tuple(c.spec() for c in columns),
        rows=cells,
        source=blocks.source_text(cited, ctx.ds.sources, ctx.lang, source_ids=source_ids),
        note=" ".join(p for p in (note, tables.derived_note(cells, ctx.lang)) if p),
        cites=_cites(cited),
    )


def chosen_scale(ctx: Context) -> str:
    """The notebook's ``money_scale`` knob: 'bn' or 'm', or '' to pick the scale per block."""
    return ctx.params.knobs.get("money_scale", "")


def money_scale(values: Iterable[float], currency: str, ctx: Context) -> tuple[float, str, int]:
    """Divisor, unit text and decimals for drawing money values: the scale the notebook's
    ``money_scale`` knob chose, else the locale's largest scale under the largest value
    (bn or m in English, 億 or 萬 in Chinese)."""
    chosen = chosen_scale(ctx)
    top = max((abs(v) for v in values if v is not None), default=0.0)
    scale = chosen if chosen else formatting.money_scale(top, ctx.lang)
    divisor = formatting.divisor(scale, ctx.lang)
    digits = formatting.decimals(top / divisor, scale, ctx.lang)
    return divisor, formatting.money_unit(currency, scale, ctx.lang), digits


def cell_quantity(ctx: Context, row) -> Value:
    """A figure in words as a table cell, written at render time: money in the scale the
    ``money_scale`` knob chose."""
    return blocks.quantity(row, currency=ctx.currency, scale=chosen_scale(ctx))


def group_item(ctx: Context, metric: str) -> tuple[str, str, str, str]:
    """A group figure as one ``compare_frame`` item, named as the brief names the metric."""
    return (metric, "", metric_label(ctx, metric), charts.GROUP_COLOR)


def compare_chart(ctx: Context, frame: pd.DataFrame):
    """The bar chart of a ``compare_frame``, its derived bars labelled in the brief's language."""
    return charts.compare(frame, derived_label=ctx.t("charts.derived"))


def drawn_periods(frame: pd.DataFrame) -> pd.Series:
    """The periods a ``compare_frame`` chart draws a value for (its ``shown`` for ``figure``)."""
    return frame.loc[frame["basis"] != "missing", "series"]


def compare_frame(
    ctx: Context,
    items: list[tuple[str, str, str, str]],
    divisor: float = 1.0,
    digits: int = 0,
    *,
    text=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars for each (metric, segment, label, colour) in the comparison and current period.

    Returns the chart frame and the rows it cites. ``text`` formats a row as its bar label.
    When the chart compares two periods, a value the data does not give keeps its slot as an
    explicit "n/a" mark (value NaN, basis 'missing'), so an empty slot never reads as zero.
    """
    marks, cited = [], []
    for metric, seg, name, color in items:
        for period in (ctx.comparison, ctx.period):
            row = ctx.row(metric, seg, period=period)
            if row is None:
                marks.append(
                    {
                        "group": name,
                        "series": period,
                        "value": float("nan"),
                        "text": ctx.t("format.na"),
                        "basis": "missing",
                        "color": color,
                    }
                )
                continue
            cited.append(row)
            marks.append(
                {
                    "group": name,
                    "series": period,
                    "value": row["value"] / divisor,
                    "text": text(row) if text else formatting.plain(row["value"] / divisor, digits),
                    "basis": row["basis"],
                    "color": color,
                }
            )
    frame = pd.DataFrame(marks)
    if len(frame):
        known = frame[frame["basis"] != "missing"]
        # Keep an "n/a" slot only in a group that has a value, and only when the chart shows
        # both periods somewhere; otherwise there is no empty slot to explain.
        frame = frame[
            (frame["basis"] != "missing")
            | (frame["group"].isin(known["group"]) & (known["series"].nunique() > 1))
        ].reset_index(drop=True)
    return frame, (pd.DataFrame(cited) if cited else ctx.frame.iloc[0:0])


def period_cells(ctx: Context, segment: str, cells, cited: list) -> dict:
    """A table row's numeric cells: for each (column, metric, period, divisor) the figure's value
    over the divisor and its basis (None and '' when unknown); the rows found go to ``cited``."""
    line = {}
    for col, metric, period, divisor in cells:
        r = ctx.row(metric, segment, period=period)
        line[col] = None if r is None else r["value"] / divisor
        line[f"{col}_basis"] = "" if r is None else r["basis"]
        cited += [] if r is None else [r]
    return line


def change_columns(ctx: Context, unit: str, digits: int) -> list[tables.Column]:
    """The money in both periods and its change: the columns the chapters' period tables share."""
    t = ctx.t
    return [
        tables.Column(
            "prior", t("chapters.common.in_unit", period=ctx.comparison, unit=unit), digits
        ),
        tables.Column("now", t("chapters.common.in_unit", period=ctx.period, unit=unit), digits),
        tables.Column("growth", t("chapters.common.change_pct"), 1, "ratio", signed=True),
    ]


def measures_table(
    ctx: Context, name: str, found: pd.DataFrame, *, measure=None, items=False, notes=True, **values
) -> Table:
    """Figures as a table of measure, value and (``notes``) the data's note; ``items`` adds the
    item each figure is about, ``measure`` names a row (by default the metric's name)."""
    measure = measure or (lambda r: metric_label(ctx, r["metric"]))
    # A conflicting statement is shown where it is flagged (the checks), never as a figure.
    found, left_out = largest_items(found[found["qualifier"] != "conflicting"])
    cells = {
        "item": (
            [narrative.label("item", i, ctx.lang) if i else "" for i in found["item"]],
            tables.Column("item", ctx.t("chapters.common.item")),
        ),
        "measure": (
            [measure(r) for _, r in found.iterrows()],
            tables.Column("measure", ctx.t("chapters.common.measure")),
        ),
        "value": (
            [cell_quantity(ctx, r) for _, r in found.iterrows()],
            tables.Column("value", ctx.t("chapters.common.value"), right=True),
        ),
        "note": (list(found["note"]), tables.Column("note", ctx.t("chapters.common.note"))),
    }
    shown = [k for k in cells if (k != "item" or items) and (k != "note" or notes)]
    frame = pd.DataFrame({k: cells[k][0] for k in shown})
    if left_out:  # one line for the rest: a count, never a summed figure
        others = ctx.t("chapters.common.more_items", count=formatting.plain(left_out))
        frame.loc[len(frame)] = {k: others if k == shown[0] else "" for k in shown}
    return table(ctx, name, frame, [cells[k][1] for k in shown], found, **values)


def fact_names(ctx: Context, found: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Facts' names in the edition's language (the other one where it has none), and in the
    other language, for a table's 'name' and 'name_other' columns."""
    first, other = ("name_zh", "name_en") if ctx.lang.startswith("zh") else ("name_en", "name_zh")
    names = [a or b for a, b in zip(found[first], found[other], strict=True)]
    return names, list(found[other])


def names_table(ctx: Context, name: str, found: pd.DataFrame, texts: str = "", **values) -> Table:
    """Facts (customers, partners, milestones) as a table: the name in the edition's language, the
    name in the other language, as stated."""
    names, others = fact_names(ctx, found)
    frame = pd.DataFrame({"name": names, "name_other": others, "text": list(found["text"])})
    columns = [
        tables.Column("name", ctx.t("chapters.common.name")),
        tables.Column("name_other", ctx.t("chapters.common.name_other")),
        tables.Column("text", ctx.t("chapters.common.as_stated")),
    ]
    return table(
        ctx,
        name,
        frame,
        columns,
        None,
        source_ids=sources_of(found),
        count=len(found),
        texts=texts,
        **values,
    )
