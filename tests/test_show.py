"""What the chapters share (chapters/show.py): sections only when they show something, one line
for a chapter without data, a catalog topic's figures as stated, names from the catalog."""

from __future__ import annotations

import re

import pytest
from mini_data import row, write

from earnings_brief import blocks
from earnings_brief.chapters import infrastructure, revenue, segments, show
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
def shown(monkeypatch) -> list[str]:
    out: list[str] = []
    monkeypatch.setattr(blocks, "show", out.append)
    return out


@pytest.fixture
def mini(tmp_path):
    write(tmp_path, ROWS, catalog=UNITS_CATALOG)
    return lambda notebook: start(notebook, company="mini", period="FY2025", data_dir=str(tmp_path))


def text(markup: list[str]) -> str:
    return re.sub(r"<[^>]+>", " ", "\n".join(markup))


def test_a_chapter_without_data_is_its_heading_and_one_line(mini, shown):
    ctx = mini("infrastructure")
    for block in infrastructure.BLOCKS:
        getattr(infrastructure, block)(ctx)
    assert len(shown) == 2, shown
    assert 'class="eb-chapter"' in shown[0]
    assert shown[1] == blocks.missing("Mini Co reports no infrastructure figures for FY2025.")


def test_a_section_without_data_shows_nothing_not_even_its_heading(mini, shown):
    ctx = mini("revenue")
    show.chapter_heading(ctx)
    revenue.gross_profit(ctx)  # the data has no gross profit or margin
    assert len(shown) == 1 and "eb-missing" not in shown[0]
    revenue.revenue_vs_prior(ctx)
    assert 'class="eb-section"' in shown[1] and "eb-block" in shown[2]


def test_a_profit_reads_as_a_profit(mini, shown):
    revenue.net_loss(mini("revenue"))
    markup = text(shown)
    assert "Profit and loss" in markup and "Net loss" not in markup
    assert "Net profit of HKD 81.4 m in FY2025" in markup
    assert "HKD −20.0 m" in markup and "HKD −12.3 m" in markup  # each as stated, sign and all
    assert "Adjusted EBITDA" in markup


def test_bridge_uses_every_segment_with_a_prior_from_product_lines(mini, shown):
    revenue.revenue_bridge(mini("revenue"))
    markup = text(shown)
    # Chips' FY2024 revenue (180) is the sum of its product lines' (80 + 100): it moved -30,
    # more than Licensing (-10), so it is the largest move, not left out.
    assert "Chips lost HKD 30 m, the largest move" in markup


def test_a_dataset_metric_is_named_by_its_catalog_and_counted_in_its_noun(mini, shown):
    segments.segment_kpis(mini("segments"))
    markup = text(shown)
    assert "Units shipped" in markup and "2.9 m units" in markup
    assert "units units" not in markup and "vehicle" not in markup


def test_a_chapter_has_data_when_its_catalog_topics_do(mini):
    assert show.chapter_has_data(mini("revenue")) and show.chapter_has_data(mini("segments"))
    assert not show.chapter_has_data(mini("auto"))


def test_further_figures_lists_what_no_block_showed_as_stated(mini, shown):
    """A dataset's own metric on a topic no section shows still reaches the reader, once."""
    ctx = mini("revenue")
    for block in revenue.BLOCKS:
        getattr(revenue, block)(ctx)
    before = len(shown)
    show.further_figures(ctx)
    markup = text(shown[before:])
    assert "Further figures" in markup
    assert "Selling expenses to revenue" in markup and "21.1%" in markup and "17.2%" in markup
    assert "Revenue growth" not in markup  # the revenue block's title gives it
    assert "Net profit" not in markup  # the profit table above showed it
    assert "derived" not in markup  # figures as stated only


def test_a_part_is_not_compared_with_its_whole(shown):
    """R&D is part of operating expenses (its catalog parent): the spending block says so and
    names the largest item among the rest."""
    ctx = start("revenue")
    assert show.top_level(ctx, ["rd_expense", "opex_ex_sbc", "capex"]) == ["opex_ex_sbc", "capex"]
    revenue.spending(ctx)
    markup = text(shown)
    assert "R&amp;D expense is part of operating expenses excl. share-based pay." in markup


def test_a_segment_that_fell_reads_as_a_fall(shown):
    segments.growth(start("segments"))
    title = re.search(r'<span class="eb-title">(.*?)</span>', "\n".join(shown))[1]
    assert title == "Generative AI grew 103.1%, the fastest; Vision AI fell 39.4%"


def test_two_bounds_give_no_direction(shown):
    """Revenue per vehicle is 'up to' in both years (deliveries are 'more than'): no 'fell'."""
    from earnings_brief.chapters import auto

    auto.revenue_per_vehicle(start("auto"))
    title = re.search(r'<span class="eb-title">(.*?)</span>', "\n".join(shown))[1]
    assert "fell" not in title and "rose" not in title
    assert "&lt;RMB 153 per vehicle in FY2024" in title  # an upper bound keeps its sign
    exact, bound = {"value": 5.0, "qualifier": ""}, {"value": 3.0, "qualifier": "more_than"}
    assert show.difference(exact, {"value": 3.0, "qualifier": ""}) == 2.0
    assert show.difference(exact, bound) is None  # more than 3 may be more than 5
    assert show.difference(exact, {"value": 3.0, "qualifier": "up_to"}) == 2.0  # at most 3


def test_many_items_show_the_largest_and_count_the_rest(tmp_path, shown):
    many = [
        row("units_shipped", str(i + 1), "units k", segment="chips", item=f"p{i:02d}")
        for i in range(20)
    ]
    write(tmp_path, [*ROWS, *many], catalog=UNITS_CATALOG)
    segments.segment_kpis(
        start("segments", company="mini", period="FY2025", data_dir=str(tmp_path))
    )
    markup = text(shown)
    assert "p19 " in markup and "p08 " in markup and "p07 " not in markup  # the 12 largest
    assert "8 more items, listed in the appendix" in markup


def test_a_conflicting_statement_is_no_row_of_a_measures_table(tmp_path, shown):
    """It is flagged in the checks; a table of figures lists only the statement the data uses."""
    rows = [
        *ROWS,
        row("units_shipped", "3.1", "units m", segment="chips", qual="conflicting"),
    ]
    write(tmp_path, rows, catalog=UNITS_CATALOG)
    ctx = start("segments", company="mini", period="FY2025", data_dir=str(tmp_path))
    found = ctx.frame[ctx.frame["metric"] == "units_shipped"]
    assert len(found) == 2  # both statements are in the frame
    show.measures_table(
        ctx, "kpi", found, texts="kpi_table", segment="Chips", period="FY2025", count=1
    )
    markup = text(shown)
    assert "2.9 m units" in markup and "3.1" not in markup


def test_an_explanation_stands_in_the_section_of_the_metric_it_explains(shown):
    """Horizon's 'where the profit came from' is told beside the profit, not under spending."""
    ctx = start("revenue", company="horizon_robotics", period="FY2024")
    revenue.spending(ctx)
    spending = text(shown)
    shown.clear()
    revenue.net_loss(ctx)
    profit = text(shown)
    assert "fair value" not in spending and "fair value" in profit
    assert profit.rstrip().endswith("Source: Sina Finance (新浪財經); yitongche.cn")  # its own line
    shown.clear()
    revenue.gross_profit(ctx)
    assert "licensing" in text(shown).lower()  # the richer mix explains the margin


def test_a_single_bar_is_not_called_a_year_apart(shown):
    """SenseTime FY2023 states capacity for that year only: the subtitle names the one period."""
    infrastructure.compute_capacity(start("infrastructure", company="sensetime", period="FY2023"))
    subtitle = re.search(r'<span class="eb-subtitle">(.*?)</span>', "\n".join(shown))[1]
    assert subtitle == "Total computing power operated, PFLOPS, FY2023"
