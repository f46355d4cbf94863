"""The revenue chapter (chapters/revenue.py) in process, without a kernel: every section function
called as the notebook calls it, on SenseTime FY2024 and on the Northwind fixture, and the blocks
it returns."""

from __future__ import annotations

import pytest
from chapter_blocks import assert_contract, chapter, kinds, notebook_calls, section_functions

from earnings_brief import render
from earnings_brief.blocks import Figure, Heading, Prose, Table, Value
from earnings_brief.chapters import revenue
from earnings_brief.notebook import start


def test_the_notebook_shows_every_section_in_order_and_the_further_figures():
    calls = notebook_calls("revenue")
    assert [c for c in calls if c != "further_figures"] == list(revenue.BLOCKS)
    assert "further_figures" in calls and section_functions(revenue) == set(revenue.BLOCKS)


@pytest.mark.parametrize(
    ("dataset", "language"),
    [
        ("sensetime", "en"),
        ("northwind", "en"),
        ("horizon_robotics", "en"),
        ("sensetime", "zh-Hant"),
    ],
)
def test_every_section_follows_the_contract(dataset, language):
    for name, found in chapter("revenue", dataset, language).items():
        assert_contract("revenue", name, found)


def test_the_chapter_opens_with_its_heading():
    assert chapter("revenue")["overview"] == [
        Heading(1, "chapter-revenue", "Revenue and profitability")
    ]


def test_revenue_against_the_prior_period():
    heading, figure = chapter("revenue")["revenue_vs_prior"]
    assert heading == Heading(2, "revenue-revenue_vs_prior", "Revenue against the prior period")
    assert figure.id == "revenue-revenue_vs_prior"
    assert figure.title == "Revenue grew 10.8% to RMB 3.77 bn"
    assert figure.subtitle == "Revenue of the group and each segment, FY2023 and FY2024, RMB bn"
    assert figure.source.startswith("TMTPost AGI (鈦媒體AGI); derived from revenue")
    assert ("revenue", "", "", "FY2024") in figure.cites
    assert "Group: FY2023 3.40, FY2024 3.77" in figure.drawing.alt


def test_the_bridge_names_the_largest_move():
    _, figure = chapter("revenue")["revenue_bridge"]
    assert figure.id == "revenue-bridge"
    assert figure.title == (
        "Generative AI added RMB 1.22 bn, the largest move in a RMB 367 m change"
    )


def test_gross_profit_and_margin():
    _, figure = chapter("revenue")["gross_profit"]
    assert figure.title == "Gross margin of 42.9% on RMB 1.62 bn of gross profit"
    assert ("gross_margin", "", "", "FY2024") in figure.cites


def test_net_loss_with_its_size_against_revenue():
    found = chapter("revenue")["net_loss"]
    assert kinds(found) == ["heading", "prose", "figure"]
    assert found[1] == Prose(
        "The net loss equalled 114.2% of revenue in FY2024, against 190.9% in FY2023."
    )
    assert found[2].title == "Net loss narrowed 33.7% to RMB 4.31 bn"
    assert found[2].note.startswith("Note from the data: reported as 虧損淨額 (net loss)")


def test_spending_says_what_drives_it_then_draws_it():
    found = chapter("revenue")["spending"]
    assert kinds(found) == ["heading", "prose", "figure"]
    assert found[1].text.startswith("R&D rose with spending on training")
    assert found[2].title == (
        "Operating expenses excl. share-based pay of RMB 6.07 bn was the largest item, "
        "161.1% of revenue"
    )


def test_spending_intensity_keeps_its_numbers_as_values():
    _, table = chapter("revenue")["spending_intensity"]
    assert isinstance(table, Table) and table.id == "revenue-intensity"
    assert [c.header for c in table.columns] == [
        "Item",
        "FY2023 (RMB bn)",
        "FY2024 (RMB bn)",
        "Change (%)",
        "FY2023 (% of revenue)",
        "FY2024 (% of revenue)",
    ]
    rd = table.rows[0]
    assert rd[0] == "R&D expense"
    assert rd[3] == Value(pytest.approx(0.192, abs=1e-3), "ratio", 1, signed=True)
    assert [render.cell_text(c, "en") for c in rd[1:]] == [
        "3.47",
        "4.13",
        "+19.2",
        "101.9",
        "109.6",
    ]
    assert [c.derived for c in rd[1:]] == [False, False, False, True, True]
    assert table.note.startswith("Cells marked “derived” are computed")
    assert table.source.startswith("TMTPost AGI (鈦媒體AGI)")


def test_checks_that_all_pass_are_one_line_without_a_source():
    found = chapter("revenue")["quality_flags"]
    assert found == [
        Heading(2, "revenue-checks", "Data-quality checks on these figures"),
        Prose("None of the 7 checks on these figures is flagged; the appendix lists them all."),
    ]


def test_further_figures_lists_what_no_section_showed():
    heading, table = chapter("revenue")["further_figures"]
    assert heading == Heading(2, "revenue-further", "Further figures")
    (row,) = table.rows
    assert row[0] == "R&D growth"
    assert [render.cell_text(c, "en") for c in row[1:]] == ["−13.7%", "+19.2%"]
    assert all(c.style == "quantity" for c in row[1:])


def test_the_fixture_company_in_its_own_periods_and_currency():
    found = chapter("revenue", "northwind")
    assert found["overview"] == [Heading(1, "chapter-revenue", "Revenue and profitability")]
    assert found["revenue_vs_prior"][1].title == "Revenue grew 25.0% to HKD 1.25 bn"
    figure = found["spending"][-1]
    assert isinstance(figure, Figure)
    assert figure.title == "R&D expense of HKD 300 m was the largest item, 24.0% of revenue"
    assert figure.subtitle == "Spending, H1-2025, HKD m"  # one period drawn: named alone
    assert figure.source == "Test fixture"
    assert found["further_figures"] == []  # every figure is shown above: no empty section


def test_a_flagged_check_is_spelt_out_and_its_table_names_figures_in_words(conflicted):
    """The checks table and the flag sentence say 'R&D growth FY2024', not the data key."""
    ctx = start("revenue", data_dir=str(conflicted.root))
    heading, said, table = revenue.quality_flags(ctx)
    assert heading.id == "revenue-checks"
    assert said.text.startswith("Flagged: the source states R&D growth FY2024")
    assert table.title.startswith("1 of 8 checks on these figures are flagged")
    figures = [r[0] for r in table.rows]
    assert "R&D growth FY2024" in figures and "Gross margin FY2024" in figures
    assert not [f for f in figures if "rd_expense_growth" in f or "gross_margin " in f]
    stated = [r[2] for r in table.rows if r[0] == "Revenue FY2024"][0]
    assert stated.style == "quantity" and render.cell_text(stated, "en") == "RMB 3.77 bn"
    assert table.source.startswith("TMTPost AGI")


def test_a_profit_and_a_flagged_derived_value_in_horizons_chapter():
    found = chapter("revenue", "horizon_robotics")
    heading, table, said = found["net_loss"]
    assert heading == Heading(2, "revenue-profit", "Profit and loss")
    assert table.id == "revenue-profit" and said.source == "Sina Finance (新浪財經); yitongche.cn"
    *_, checks = found["quality_flags"]
    derived = [r[2] for r in checks.rows if r[2].derived]
    assert [render.cell_text(c, "en") for c in derived] == ["RMB 1.55 bn"]
    assert checks.note == (
        "Cells marked “derived” are computed from reported figures (see the appendix for their "
        "inputs)."
    )


def test_the_chinese_edition_writes_the_same_values_in_its_own_style():
    _, table = chapter("revenue", "sensetime", "zh-Hant")["spending_intensity"]
    assert table.title.startswith("研發開支")
    assert [c.header for c in table.columns][1] == "FY2023（億元）"
    assert render.cell_text(table.rows[0][1], "zh-Hant") == "34.7"
