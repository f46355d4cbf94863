"""The segments chapter (chapters/segments.py) in process, without a kernel: every section
function called as the notebook calls it, on SenseTime FY2024 and on the Northwind fixture, and
the blocks it returns."""

from __future__ import annotations

import pytest
from chapter_blocks import assert_contract, chapter, kinds, notebook_calls, section_functions

from earnings_brief import render
from earnings_brief.blocks import Heading, Prose, Value
from earnings_brief.chapters import segments


def test_the_notebook_shows_every_section_in_order_and_the_further_figures():
    calls = notebook_calls("segments")
    assert calls == [*segments.BLOCKS, "further_figures"]
    assert section_functions(segments) == set(segments.BLOCKS)


@pytest.mark.parametrize("dataset", ["sensetime", "northwind", "horizon_robotics"])
def test_every_section_follows_the_contract(dataset):
    for name, found in chapter("segments", dataset).items():
        assert_contract("segments", name, found)


def test_the_chapter_names_its_segments():
    assert chapter("segments")["overview"] == [
        Heading(1, "chapter-segments", "Segments"),
        Prose(
            "Revenue in FY2024 came from 3 segments: Generative AI, Vision AI and "
            "Smart auto (SenseAuto)."
        ),
    ]


def test_mix_and_growth_state_their_finding():
    found = chapter("segments")
    heading, mix = found["mix"]
    assert heading == Heading(2, "segments-mix", "Revenue mix in both periods")
    assert mix.title == "Generative AI rose to 63.7% of revenue, +28.9 pp on FY2023"
    assert ("revenue_share", "generative_ai", "", "FY2024") in mix.cites
    _, growth = found["growth"]
    assert growth.title == "Generative AI grew 103.1%, the fastest; Vision AI fell 39.4%"
    assert growth.source.startswith("TMTPost AGI (鈦媒體AGI)")


def test_the_segments_table_keeps_its_numbers_as_values():
    _, table = chapter("segments")["growth_table"]
    assert table.id == "segments-table"
    assert table.title == "Revenue, growth and share of the 3 segments"
    group, generative = table.rows[:2]
    assert group[0] == "Group" and generative[0] == "Generative AI"
    assert generative[5] == Value(pytest.approx(0.637, abs=1e-3), "ratio", 1)
    assert [render.cell_text(c, "en") for c in generative[1:]] == [
        "1.18",
        "2.40",
        "+103.1",
        "34.8",
        "63.7",
    ]
    assert group[1].derived and not group[2].derived  # FY2023 group revenue is derived


def test_each_segment_has_its_heading_sayings_kpis_and_customers():
    found = chapter("segments")["segment_kpis"]
    assert found[0] == Heading(2, "segments-kpis", "Segment operating figures")
    headings = [b for b in found if isinstance(b, Heading)][1:]
    assert [(h.id, h.text) for h in headings] == [
        ("segments-kpis-generative_ai", "Generative AI"),
        ("segments-kpis-vision_ai", "Vision AI"),
    ]
    assert kinds(found) == [
        "heading",
        "heading",
        "prose",
        "figure",
        "table",
        "heading",
        "prose",
        "table",
    ]
    multiples = found[3]
    assert multiples.id == "segments-kpi_multiples_generative_ai"
    assert multiples.title == ("Interaction tools — average monthly usage grew 8-fold on FY2023")
    customers = found[4]
    assert customers.rows[0] == ("China Mobile", "中國移動", "Productivity-tool customer")
    kpis = found[7]
    assert [render.cell_text(r[1], "en") for r in kpis.rows] == ["≈40%", ">3 years"]


def test_overseas_growth_against_the_group():
    _, figure = chapter("segments")["overseas"]
    assert figure.title == "Overseas revenue growth of +14.5% outpaced the group's +10.8%"
    assert figure.note == "Note from the data: led by Hong Kong and the Middle East."


def test_further_figures_lists_a_stated_bound_beside_this_periods_figure():
    _, table = chapter("segments")["further_figures"]
    (row,) = table.rows
    assert row[0] == "Revenue growth · Generative AI"
    assert [render.cell_text(c, "en") for c in row[1:]] == [">100%", "+103.1%"]


def test_the_fixture_company_shows_only_the_sections_it_has_data_for():
    found = chapter("segments", "northwind")
    assert found["overview"][1] == Prose(
        "Revenue in H1-2025 came from 4 segments: Cloud services, Devices, Licensing and "
        "Consulting."
    )
    assert (
        found["growth"][1].title == "Cloud services grew 40.0%, the fastest; Consulting fell 20.0%"
    )
    assert found["segment_kpis"] == [] and found["overseas"] == []
    assert found["further_figures"] == []
    _, table = found["growth_table"]
    assert [c.header for c in table.columns][1:3] == ["H1-2024 (HKD m)", "H1-2025 (HKD m)"]
