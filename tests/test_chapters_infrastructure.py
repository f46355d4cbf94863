"""The infrastructure chapter (chapters/infrastructure.py) in process, without a kernel: every
section function called as the notebook calls it, on SenseTime FY2024 and on the Northwind
fixture (no infrastructure data), and the blocks it returns."""

from __future__ import annotations

import pytest
from chapter_blocks import assert_contract, chapter, kinds, notebook_calls, section_functions

from earnings_brief import render
from earnings_brief.blocks import Figure, Heading, Missing, Table
from earnings_brief.chapters import infrastructure


def test_the_notebook_shows_every_section_in_order_and_the_further_figures():
    calls = notebook_calls("infrastructure")
    assert calls == [*infrastructure.BLOCKS, "further_figures"]
    assert section_functions(infrastructure) == set(infrastructure.BLOCKS)


@pytest.mark.parametrize("dataset", ["sensetime", "northwind", "horizon_robotics"])
def test_every_section_follows_the_contract(dataset):
    for name, found in chapter("infrastructure", dataset).items():
        assert_contract("infrastructure", name, found)


def test_the_chapter_opens_with_what_the_company_says_and_its_compute_customers():
    found = chapter("infrastructure")["overview"]
    assert kinds(found) == ["heading", "prose", "table"]
    assert found[0] == Heading(1, "chapter-infrastructure", "Infrastructure")
    assert found[2].id == "infrastructure-customers"
    assert found[2].rows[0] == ("Galbot", "銀河通用機器人", "Emerging-industry compute customer")


def test_compute_capacity_a_year_apart():
    _, figure = chapter("infrastructure")["compute_capacity"]
    assert figure.id == "infrastructure-compute"
    assert figure.title == "Compute capacity grew 92% to >23,000 PFLOPS as of Mar 2025"
    assert figure.subtitle == "Total computing power operated, PFLOPS, a year apart"
    assert ("compute_capacity", "", "", "FY2024") in figure.cites


def test_chip_figures_as_stated_then_the_partners():
    heading, chips, partners = chapter("infrastructure")["chip_cluster"]
    assert heading == Heading(2, "infrastructure-chips", "Domestic-chip clusters")
    assert chips.title == "3 figures on the domestic-chip clusters"
    values = [render.cell_text(r[2], "en") for r in chips.rows]
    assert values == ["5,000 cards", "95%", "up to 80%"]
    assert chips.columns[2].numeric and not chips.columns[3].numeric
    assert partners.id == "infrastructure-partners" and len(partners.rows) == 5


def test_cloud_claims_as_stated():
    _, table = chapter("infrastructure")["cloud_efficiency"]
    assert [render.cell_text(r[2], "en") for r in table.rows] == [">6x", ">90%"]
    # the same Value, written at render time in the edition's language
    assert render.cell_text(table.rows[1][2], "zh-Hant") == "逾90%"


def test_cycles_on_one_axis():
    _, figure = chapter("infrastructure")["cycles"]
    assert figure.title == (
        "Model iteration (≈3–6 months) runs far shorter than depreciation of purchased heavy "
        "assets (≈5 years)"
    )


def test_capex_intensity_after_managements_view():
    found = chapter("infrastructure")["capex_intensity"]
    assert kinds(found) == ["heading", "prose", "figure"]
    assert found[2].title == "Capex fell to 29.9% of revenue from 44.6% in FY2023"
    assert found[2].note.startswith("For comparison, the source cites a peer's planned")


def test_the_sensitivity_is_analysis_after_the_stated_cases_which_keep_their_source():
    heading, stated, analysis = chapter("infrastructure")["efficiency_sensitivity"]
    assert heading.id == "infrastructure-sensitivity"
    assert isinstance(stated, Table) and stated.id == "infrastructure-sensitivity_stated"
    assert stated.source.startswith("TMTPost AGI") and not stated.analysis
    assert [[render.cell_text(c, "en") for c in r] for r in stated.rows] == [
        ["15%", "15%"],
        ["25%", "25%"],
    ]
    assert isinstance(analysis, Figure) and analysis.source == "" and analysis.cites == ()
    assert analysis.analysis.startswith("Inputs: management's stated cases")
    assert analysis.title == "At a 25% lead, pricing at a peer's cost gives a 20% margin, not 25%"


def test_every_reported_figure_is_shown_above():
    assert chapter("infrastructure")["further_figures"] == []


def test_a_chapter_without_data_is_its_heading_and_one_line():
    found = dict(chapter("infrastructure", "northwind"))
    assert found.pop("overview") == [
        Heading(1, "chapter-infrastructure", "Infrastructure"),
        Missing("Northwind Robotics reports no infrastructure figures for H1-2025."),
    ]
    assert all(blocks == [] for blocks in found.values()), found
