"""Blocks: the figure/table markup of the contract, escaping, and the Source line."""

from __future__ import annotations

import pandas as pd
import pytest

from earnings_brief import blocks
from earnings_brief.dataset import Source

SOURCES = {
    "s1": Source(
        id="s1",
        publisher="Pub <x>",
        title="",
        description="A report",
        language="en",
        date="",
        date_note="undated note",
        company="co",
        covers="FY",
    )
}


def test_a_figure_renders_as_the_contract_says_and_escapes():
    from earnings_brief.render import render

    figure = blocks.Figure(
        "Revenue & more",
        "Rose <10%>",
        "RMB bn",
        blocks.Drawing("c2NyZWVu", "cGFwZXI=", "cGhvbmU=", "Rose: A 1.0"),
        "Pub & co",
        note='a "note"',
    )
    html = render(figure)
    assert html.startswith('<figure class="eb-block" data-kind="figure" id="revenue-more">')
    assert (
        '<figcaption class="eb-caption"><span class="eb-label"></span> <span class="eb-title">'
        in html
    )
    assert "Rose &lt;10%&gt;" in html and '<span class="eb-subtitle">RMB bn</span>' in html
    assert 'data-print-src="data:image/svg+xml;base64,cGFwZXI="' in html
    assert 'alt="Rose: A 1.0"' in html
    assert '<p class="eb-note">a &quot;note&quot;</p>' in html
    assert '<p class="eb-source">Source: Pub &amp; co</p>' in html
    assert html.endswith("</figure>")
    assert '<span class="eb-label">Figure 2</span>' in render(figure, label="Figure 2")


def test_analysis_block_is_labelled_and_carries_no_source_line():
    from earnings_brief.render import render

    drawing = blocks.Drawing("s", "p", "m")
    html = render(blocks.Figure("x", "Lead & margin", "%", drawing, analysis="Inputs: <stated>."))
    assert '<span class="eb-label"></span> <span class="eb-analysis-label">Analysis</span>' in html
    assert "Source:" not in html and "eb-source" not in html
    assert (
        '<p class="eb-analysis">The brief&#x27;s own illustration, not a figure from the source. '
        "Inputs: &lt;stated&gt;.</p>" in html
    )


def test_source_line_is_short_the_appendix_describes_the_source():
    rows = pd.DataFrame([{"source": "s1", "basis": "reported", "inputs": ()}])
    assert blocks.source_text(rows, SOURCES) == "Pub <x>"


def test_derived_rows_say_what_they_came_from():
    rows = pd.DataFrame(
        [
            {
                "source": "s1",
                "basis": "derived",
                "inputs": ("revenue FY2024", "revenue_growth FY2024"),
            }
        ]
    )
    text = blocks.source_text(rows, SOURCES)
    assert text == "Pub <x>; derived from revenue and revenue growth"


def test_derived_from_names_each_kind_of_input_once_in_words():
    rows = pd.DataFrame(
        [
            {
                "source": "s1",
                "basis": "derived",
                "inputs": (
                    "revenue FY2024",
                    "revenue_growth FY2024",
                    "revenue[generative_ai] FY2024",
                    "revenue_growth[generative_ai] FY2024",
                    "revenue_share[vision_ai] FY2023",
                    "rd_expense FY2023",
                ),
            },
            {"source": "s1", "basis": "derived", "inputs": ("revenue[smart_auto] FY2023",)},
        ]
    )
    text = blocks.source_text(rows, SOURCES)
    assert text.endswith("derived from revenue, revenue growth, share of revenue and R&D expense")
    assert "[" not in text and "_" not in text and "FY2024" not in text


def test_headings_prose_and_missing_line():
    from earnings_brief.render import render

    chapter = render(blocks.Heading(1, "chapter-revenue", "R&D"))
    assert chapter == '<h2 class="eb-chapter" id="chapter-revenue">R&amp;D</h2>'
    assert render(blocks.Heading(2, "a b", "x")).startswith('<h3 class="eb-section" id="a-b">')
    assert render(blocks.Heading(3, "", "KPIs")) == '<h4 class="eb-subhead">KPIs</h4>'
    assert render(blocks.Heading(3, "", "KPIs"), level=3) == '<h3 class="eb-subhead">KPIs</h3>'
    assert render(blocks.Prose("One. <Two>")) == '<p class="eb-text">One. &lt;Two&gt;</p>'
    assert render(blocks.Missing("No data.")) == '<p class="eb-missing">No data.</p>'
    assert render(blocks.Takeaways(("a<",))) == '<ul class="eb-takeaways"><li>a&lt;</li></ul>'


def test_mid_sentence_lowercases_words_but_not_acronyms():
    assert blocks.mid_sentence("Depreciation of purchased heavy assets") == (
        "depreciation of purchased heavy assets"
    )
    assert blocks.mid_sentence("R&D expense") == "R&D expense"
    assert blocks.mid_sentence("AI cloud") == "AI cloud"


def test_typed_blocks_survive_their_json_payload():
    import json

    from earnings_brief import blocks as b

    items = [
        b.Heading(1, "chapter-revenue", "Revenue"),
        b.Prose("Two sentences. Both plain.", source="Bloomberg"),
        b.Takeaways(("one", "two")),
        b.Missing("No figures."),
        b.Figure(
            "f",
            "Title",
            "Sub",
            b.Drawing("s", "p", "m", "alt"),
            cites=(("revenue", "", "", "FY2024"),),
        ),
        b.Table(
            "t",
            "Title",
            "Sub",
            (b.Column("Measure"), b.Column("FY2024", numeric=True)),
            (("Revenue", b.Value(3.77e9, "money", currency="RMB", derived=True)),),
        ),
        b.Cover("SenseTime Group", "商湯集團", "0020.HK · HKEX", "FY2024", "2025-03-26", "Up."),
        b.Tiles(
            (b.Tile("Revenue", b.Value(3.77e9, "money"), b.Value(0.108, "percent"), "growth"),)
        ),
        b.Flags((b.Flag("k", "Revenue FY2024", "check-x", b.Value(1.0), None, b.Value(0.1)),), 3),
        b.Contents(((1, "chapter-revenue", "Revenue"), (2, "revenue-bridge", "Bridge"))),
        b.Statements((("Strategy.", "One base."),), "TMTPost AGI"),
        b.Stamp("This edition."),
        b.Table(
            "t2",
            "Wide",
            "",
            (b.Column("Name"), b.Column("Period"), b.Column("Value", numeric=True)),
            (
                (
                    b.Cell((b.Run("Revenue"), b.Run("a note", "\n", note=True)), "eb-name"),
                    "FY2024",
                    b.Cell((b.Run(b.Value(0.5, "percent")), b.Run("x", href="#source-x"))),
                ),
            ),
            row_ids=("check-a",),
            row_classes=("eb-flagged",),
            wide=True,
        ),
    ]
    for item in items:
        data = json.loads(json.dumps(b.payload(item)))
        assert data["schema"] == b.SCHEMA and data["type"] == item.type
        assert b.from_payload(data) == item


def test_a_payload_of_another_schema_or_type_is_refused_by_name():
    from earnings_brief import blocks as b

    with pytest.raises(ValueError, match="schema"):
        b.from_payload({"schema": 99, "type": "prose", "text": "x"})
    with pytest.raises(ValueError, match="unknown block type 'chart'"):
        b.from_payload({"schema": b.SCHEMA, "type": "chart"})


def test_a_table_cell_is_written_by_the_formatter_in_the_edition_language():
    from earnings_brief import blocks as b
    from earnings_brief.render import render

    table = b.Table(
        "t", "T", "S", (b.Column("m"), b.Column("v", numeric=True)),
        (("Revenue", b.Value(3.77e9, "money", currency="RMB", scale="bn")),),
    )  # fmt: skip
    assert ">RMB 3.77 bn<" in render(table, "en", label="Table 1")
    assert ">37.7億元<" in render(table, "zh-Hant")
    assert '<span class="eb-label">Table 1</span>' in render(table, "en", label="Table 1")


def test_the_data_block_gives_back_equal_frames_through_json():
    """The derived figures and checks travel as JSON (NaN, tuples of inputs, string columns,
    a line number or None) and come back equal, dtypes included."""
    import json

    from earnings_brief import blocks as b
    from earnings_brief import dataset, metrics

    ds = dataset.load("sensetime", "FY2024")
    frame = metrics.derive(ds)
    checks = metrics.reconcile(ds, frame)
    assert frame["range_lo"].isna().any() and checks["hi"].isna().any()  # the hard cases
    assert frame["inputs"].map(bool).any() and frame["line"].isna().any()
    text = json.dumps(b.payload(b.Data.of(frame, checks)), allow_nan=False)
    item = b.from_payload(json.loads(text))
    figures, found = item.frames()
    pd.testing.assert_frame_equal(figures, frame)
    pd.testing.assert_frame_equal(found, checks)
    empty = checks.iloc[0:0]
    pd.testing.assert_frame_equal(b.data_frame(b.frame_data(empty)), empty)


def test_start_shows_the_derived_figures_as_one_data_block(monkeypatch):
    from earnings_brief import blocks as b
    from earnings_brief.notebook import start
    from earnings_brief.render import render

    shown = []
    monkeypatch.setattr(b, "display_blocks", lambda items, lang="en": shown.extend(items))
    ctx = start("revenue")
    (item,) = shown
    figures, checks = item.frames()
    pd.testing.assert_frame_equal(figures, ctx.frame)
    pd.testing.assert_frame_equal(checks, ctx.checks)
    assert render(item) == ""  # the notebook's reader sees nothing of it
