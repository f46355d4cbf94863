"""What the chapters share (chapters/show.py): blocks returned, never displayed; sections only when
they show something, one line for a chapter without data, a catalog topic's figures as stated,
names from the catalog, and the figures a chapter has shown remembered by its context."""

from __future__ import annotations

import re

import pytest
from mini_data import row, write

from earnings_brief import blocks, render
from earnings_brief.blocks import Figure, Heading, Missing, Prose, Table, Value
from earnings_brief.chapters import auto, infrastructure, revenue, segments, show
from earnings_brief.notebook import start

UNITS_CATALOG = """
[metrics.units_shipped]
label_en = "Units shipped"
kind = "count"
noun_en = "units"
topic = "segments.kpis"

[metrics.selling_expense_to_revenue]
label_en = "Selling expenses to revenue"
kind = "ratio"
topic = "revenue.costs"
"""
ROWS = [
    row("revenue", "200", "HKD m"),
    row("revenue_growth", "-16.7", "%"),
    row("net_profit", "81.4", "HKD m"),
    row("net_profit", "-20.0", "HKD m", period="FY2024"),
    row("adjusted_ebitda", "-12.3", "HKD m"),
    row("revenue", "150", "HKD m", segment="chips"),
    row("revenue", "100", "HKD m", segment="chips", item="soc"),
    row("revenue_growth", "25", "%", segment="chips", item="soc"),
    row("revenue", "50", "HKD m", segment="chips", item="mcu"),
    row("revenue_growth", "-50", "%", segment="chips", item="mcu"),
    row("revenue", "50", "HKD m", segment="licensing"),
    row("revenue", "60", "HKD m", segment="licensing", period="FY2024"),
    row("units_shipped", "2.9", "units m", segment="chips"),
    row("selling_expense_to_revenue", "17.2", "%"),
    row("selling_expense_to_revenue", "21.1", "%", period="FY2024"),
]


@pytest.fixture
def mini(tmp_path):
    write(tmp_path, ROWS, catalog=UNITS_CATALOG)
    return lambda notebook: start(notebook, company="mini", period="FY2025", data_dir=str(tmp_path))


@pytest.fixture
def displayed(monkeypatch) -> list:
    """What ``ctx.show`` hands to the notebook's display, instead of a kernel (after the data
    block ``start`` shows)."""
    found: list = []
    monkeypatch.setattr(blocks, "display_blocks", lambda items, lang: found.extend(items))
    return found


def text(items) -> str:
    """The blocks as a reader sees them: their HTML without tags."""
    return re.sub(r"<[^>]+>", " ", "\n".join(render.render(b) for b in items))


def test_a_chapter_without_data_is_its_heading_and_one_line(mini):
    ctx = mini("infrastructure")
    found = [b for name in infrastructure.BLOCKS for b in getattr(infrastructure, name)(ctx)]
    assert found == [
        Heading(1, "chapter-infrastructure", "Infrastructure"),
        Missing("Mini Co reports no infrastructure figures for FY2025."),
    ]
    assert show.further_figures(ctx) == []


def test_a_section_without_data_returns_nothing_not_even_its_heading(mini):
    ctx = mini("revenue")
    assert revenue.gross_profit(ctx) == []  # the data has no gross profit or margin
    heading, figure = revenue.revenue_vs_prior(ctx)
    assert heading == Heading(2, "revenue-revenue_vs_prior", "Revenue against the prior period")
    assert isinstance(figure, Figure) and figure.id == "revenue-revenue_vs_prior"


def test_a_section_heading_comes_only_with_blocks_and_only_in_a_chapter_with_data(mini):
    ctx = mini("revenue")
    assert show.section(ctx, "bridge", []) == []
    said = show.prose("One.", "", "Two.")
    assert said == [Prose("One. Two.")] and show.prose("", "") == []
    assert show.section(ctx, "bridge", said) == [
        Heading(2, "revenue-bridge", "Bridge of the change by segment"),
        *said,
    ]
    assert show.section(mini("auto"), "roadmap", said) == []  # the auto chapter has no data


def test_a_figure_carries_its_measure_in_the_alt_text_its_cites_and_a_derived_note(mini):
    (_, figure) = revenue.revenue_vs_prior(mini("revenue"))
    assert figure.drawing.alt == (
        "Revenue fell 16.7% to HKD 200 m (Revenue of the group and each segment, FY2024 and "
        "FY2025, HKD m): Group: FY2024 240, FY2025 200; Chips: FY2024 180, FY2025 150; "
        "Licensing: FY2024 60, FY2025 50"
    )
    assert ("revenue", "", "", "FY2025") in figure.cites
    assert ("revenue", "licensing", "", "FY2024") in figure.cites
    assert figure.source == "Mini Co; derived from revenue and revenue growth"
    assert "derived from reported figures" in figure.note  # FY2024 group revenue is derived
    assert figure.drawing.screen and figure.drawing.paper and figure.drawing.phone


def test_a_profit_reads_as_a_profit(mini):
    found = revenue.net_loss(mini("revenue"))
    assert found[0] == Heading(2, "revenue-profit", "Profit and loss")
    (table,) = [b for b in found if isinstance(b, Table)]
    assert table.title == "Net profit of HKD 81.4 m in FY2025"
    markup = text(found)
    assert "Net loss" not in markup
    assert "HKD −20.0 m" in markup and "HKD −12.3 m" in markup  # each as stated, sign and all
    assert "Adjusted EBITDA" in markup


def test_bridge_uses_every_segment_with_a_prior_from_product_lines(mini):
    (_, figure) = revenue.revenue_bridge(mini("revenue"))
    # Chips' FY2024 revenue (180) is the sum of its product lines' (80 + 100): it moved -30,
    # more than Licensing (-10), so it is the largest move, not left out.
    assert figure.title.startswith("Chips lost HKD 30 m, the largest move")


def test_a_dataset_metric_is_named_by_its_catalog_and_counted_in_its_noun(mini):
    markup = text(segments.segment_kpis(mini("segments")))
    assert "Units shipped" in markup and "2.9 m units" in markup
    assert "units units" not in markup and "vehicle" not in markup


def test_a_chapter_has_data_when_its_catalog_topics_do(mini):
    assert show.chapter_has_data(mini("revenue")) and show.chapter_has_data(mini("segments"))
    assert not show.chapter_has_data(mini("auto"))


def test_further_figures_lists_what_no_block_the_context_showed_as_stated(mini, displayed):
    """A dataset's own metric on a topic no section shows still reaches the reader, once."""
    ctx = mini("revenue")
    for name in revenue.BLOCKS:
        ctx.show(getattr(revenue, name)(ctx))
    assert displayed[0].type == "data" and displayed[1:] == ctx.shown
    assert ("net_profit", "", "", "FY2025") in ctx.cited
    found = show.further_figures(ctx)
    assert found[0] == Heading(2, "revenue-further", "Further figures")
    markup = text(found)
    assert "Selling expenses to revenue" in markup and "21.1%" in markup and "17.2%" in markup
    assert "Revenue growth" not in markup  # the revenue block's title gives it
    assert "Net profit" not in markup  # the profit table above showed it
    assert "derived" not in markup  # figures as stated only
    fresh = mini("revenue")  # a context that has shown nothing lists the profit too
    assert "Net profit" in text(show.further_figures(fresh))


def test_a_part_is_not_compared_with_its_whole():
    """R&D is part of operating expenses (its catalog parent): the spending block says so and
    names the largest item among the rest."""
    ctx = start("revenue")
    assert show.top_level(ctx, ["rd_expense", "opex_ex_sbc", "capex"]) == ["opex_ex_sbc", "capex"]
    figure = revenue.spending(ctx)[-1]
    assert "R&D expense is part of operating expenses excl. share-based pay." in figure.note


def test_a_segment_that_fell_reads_as_a_fall():
    (_, figure) = segments.growth(start("segments"))
    assert figure.title == "Generative AI grew 103.1%, the fastest; Vision AI fell 39.4%"


def test_two_bounds_give_no_direction():
    """Revenue per vehicle is 'up to' in both years (deliveries are 'more than'): no 'fell'."""
    (_, figure) = auto.revenue_per_vehicle(start("auto"))
    assert "fell" not in figure.title and "rose" not in figure.title
    assert "<RMB 153 per vehicle in FY2024" in figure.title  # an upper bound keeps its sign
    exact, bound = {"value": 5.0, "qualifier": ""}, {"value": 3.0, "qualifier": "more_than"}
    assert show.difference(exact, {"value": 3.0, "qualifier": ""}) == 2.0
    assert show.difference(exact, bound) is None  # more than 3 may be more than 5
    assert show.difference(exact, {"value": 3.0, "qualifier": "up_to"}) == 2.0  # at most 3


def test_many_items_show_the_largest_and_count_the_rest(tmp_path):
    many = [
        row("units_shipped", str(i + 1), "units k", segment="chips", item=f"p{i:02d}")
        for i in range(20)
    ]
    write(tmp_path, [*ROWS, *many], catalog=UNITS_CATALOG)
    ctx = start("segments", company="mini", period="FY2025", data_dir=str(tmp_path))
    markup = text(segments.segment_kpis(ctx))
    assert "p19 " in markup and "p08 " in markup and "p07 " not in markup  # the 12 largest
    assert "8 more items, listed in the appendix" in markup


def test_a_conflicting_statement_is_no_row_of_a_measures_table(tmp_path):
    """It is flagged in the checks; a table of figures lists only the statement the data uses."""
    rows = [
        *ROWS,
        row("units_shipped", "3.1", "units m", segment="chips", qual="conflicting"),
    ]
    write(tmp_path, rows, catalog=UNITS_CATALOG)
    ctx = start("segments", company="mini", period="FY2025", data_dir=str(tmp_path))
    found = ctx.frame[ctx.frame["metric"] == "units_shipped"]
    assert len(found) == 2  # both statements are in the frame
    table = show.measures_table(
        ctx, "kpi", found, texts="kpi_table", segment="Chips", period="FY2025", count=1
    )
    (value,) = [c for r in table.rows for c in r if isinstance(c, Value)]
    assert value.style == "quantity" and value.value == pytest.approx(2.9e6)
    assert render.cell_text(value, "en") == "2.9 m units"
    assert table.cites == (("units_shipped", "chips", "", "FY2025"),)


def test_an_explanation_stands_in_the_section_of_the_metric_it_explains():
    """Horizon's 'where the profit came from' is told beside the profit, not under spending."""
    ctx = start("revenue", company="horizon_robotics", period="FY2024")
    spending = text(revenue.spending(ctx))
    found = revenue.net_loss(ctx)
    assert "fair value" not in spending and "fair value" in text(found)
    said = found[-1]  # after the profit table, with a Source line of its own
    assert isinstance(said, Prose) and said.source == "Sina Finance (新浪財經); yitongche.cn"
    assert "licensing" in text(revenue.gross_profit(ctx)).lower()  # the richer mix explains it


def test_a_single_bar_is_not_called_a_year_apart():
    """SenseTime FY2023 states capacity for that year only: the subtitle names the one period."""
    ctx = start("infrastructure", company="sensetime", period="FY2023")
    (_, figure) = infrastructure.compute_capacity(ctx)
    assert figure.subtitle == "Total computing power operated, PFLOPS, FY2023"


def test_a_table_cell_of_a_figure_is_written_at_render_time_in_the_edition_language():
    ctx = start("revenue", language="zh-Hant")
    cell = show.cell_quantity(ctx, ctx.row("revenue"))
    assert cell.style == "quantity" and cell.currency == "RMB" and cell.scale == ""
    assert render.cell_text(cell, "zh-Hant") == "37.7億元"
    assert render.cell_text(cell, "en") == "RMB 3.77 bn"
