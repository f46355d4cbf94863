"""The auto chapter (chapters/auto.py) in process, without a kernel: every section function
called as the notebook calls it, on SenseTime FY2024 and on the Northwind fixture (no auto
segment), and the blocks it returns."""

from __future__ import annotations

import pytest
from chapter_blocks import assert_contract, chapter, kinds, notebook_calls, section_functions

from earnings_brief import render
from earnings_brief.blocks import Heading, Missing
from earnings_brief.chapters import auto


def test_the_notebook_shows_every_section_in_order_and_the_further_figures():
    assert notebook_calls("auto") == [*auto.BLOCKS, "further_figures"]
    assert section_functions(auto) == set(auto.BLOCKS)


@pytest.mark.parametrize("dataset", ["sensetime", "northwind", "horizon_robotics"])
def test_every_section_follows_the_contract(dataset):
    for name, found in chapter("auto", dataset).items():
        assert_contract("auto", name, found)


def test_the_chapter_opens_with_what_the_company_says_of_the_segment():
    found = chapter("auto")["overview"]
    assert kinds(found) == ["heading", "prose"]
    assert found[1].text.startswith("Smart auto is one of the group's most important")


def test_revenue_against_deliveries():
    heading, figure = chapter("auto")["revenue_vs_deliveries"]
    assert heading == Heading(2, "auto-revenue_vs_deliveries", "Revenue against deliveries")
    assert figure.title == "Smart auto (SenseAuto) revenue fell 33.2% while deliveries rose 29.2%"
    assert set(figure.cites) == {
        ("revenue_growth", "smart_auto", "", "FY2024"),
        ("vehicles_delivered_growth", "smart_auto", "", "FY2024"),
    }


def test_deliveries_say_their_unit_once():
    _, figure = chapter("auto")["deliveries_and_pipeline"]
    assert figure.id == "auto-vehicles"
    assert figure.title == ">1.67 m vehicles delivered in FY2024"
    zh = chapter("auto", language="zh-Hant")["deliveries_and_pipeline"][1]
    assert zh.title == "FY2024交付逾167萬輛"


def test_models_and_revenue_per_vehicle():
    found = chapter("auto")
    assert found["models"][1].title == ">130 models delivered to date, 42 models new in FY2024"
    per_vehicle = found["revenue_per_vehicle"][1]
    assert per_vehicle.subtitle == "Segment revenue ÷ vehicles delivered, RMB per vehicle"
    assert "derived from revenue and vehicles delivered" in per_vehicle.source


def test_the_roadmap_then_the_products_in_figures():
    found = chapter("auto")["roadmap"]
    assert kinds(found) == ["heading", "table", "table"]
    roadmap, kaiwu = found[1:]
    assert roadmap.title == "4 milestones: 3 done, 1 expected"
    assert roadmap.rows[0][0] == "Mar 2025" and roadmap.rows[0][-1] == "Done"
    assert kaiwu.id == "auto-product-kaiwu"
    assert [render.cell_text(r[1], "en") for r in kaiwu.rows] == ["150 seconds", "≈10 m scenarios"]


def test_every_reported_figure_is_shown_above():
    assert chapter("auto")["further_figures"] == []


def test_a_company_without_an_auto_segment_gets_the_heading_and_one_line():
    found = dict(chapter("auto", "northwind"))
    assert found.pop("overview") == [
        Heading(1, "chapter-auto", "Auto"),
        Missing(
            "Northwind Robotics reports no auto operating figures (deliveries, models, design "
            "wins) for H1-2025."
        ),
    ]
    assert all(blocks == [] for blocks in found.values()), found
