"""The chart theme and builders: pinned Traditional Chinese font, bars from zero, derived marks,
self-contained SVG, and no figure left open."""

from __future__ import annotations

import base64
import re
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib import font_manager

from earnings_brief import charts, dataset, render
from earnings_brief.blocks import Figure


@pytest.fixture(autouse=True)
def theme():
    charts.apply_theme()
    yield
    plt.close("all")


def _bars(values, basis=None):
    return pd.DataFrame(
        {
            "label": [f"item {i}" for i in range(len(values))],
            "value": values,
            "text": [str(v) for v in values],
            "basis": basis or ["reported"] * len(values),
            "color": charts.PALETTE[: len(values)],
        }
    )


def test_theme_pins_the_traditional_chinese_face():
    family = plt.rcParams["font.sans-serif"][0]
    assert family == charts.CJK_FAMILY
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    entries = [e for e in font_manager.fontManager.ttflist if e.name == family]
    assert entries and any(e.fname == path for e in entries)
    assert plt.rcParams["svg.fonttype"] == "path"


def test_chinese_names_render_without_missing_glyphs():
    fig, ax = plt.subplots()
    ax.set_title("商湯集團 絕影 日日新 大裝置 開悟")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.svg(fig)


def test_segment_colours_follow_company_order_and_a_former_name_shares_its_successors():
    company = dataset.load("sensetime", "FY2023").company
    colours = company.colours(list(charts.PALETTE))
    assert [colours[k] for k in ("generative_ai", "vision_ai", "smart_auto")] == list(
        charts.PALETTE[:3]
    )
    assert colours["traditional_ai"] == colours["vision_ai"]
    order = company.display_order()
    assert order == ["generative_ai", "vision_ai", "traditional_ai", "smart_auto"]


def test_bars_start_at_zero_and_mark_derived_values():
    fig = charts.bars(_bars([3.0, 5.0], ["reported", "derived"]), derived_label="derived")
    ax = fig.axes[0]
    assert ax.get_xlim()[0] == 0
    hatches = [p.get_hatch() for p in ax.patches]
    assert hatches.count(charts.DERIVED_HATCH) >= 1 and None in hatches
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["derived"]


def test_negative_bars_extend_left_of_zero():
    ax = charts.bars(_bars([-0.3, 0.5])).axes[0]
    low, high = ax.get_xlim()
    assert low < -0.3 and high > 0.5


def test_compare_labels_each_bar_with_its_value():
    frame = pd.DataFrame(
        {
            "group": ["G", "G"],
            "series": ["P0", "P1"],
            "value": [1.0, 2.0],
            "text": ["1.0", "2.0"],
            "basis": ["derived", "reported"],
            "color": [charts.GROUP_COLOR] * 2,
        }
    )
    ax = charts.compare(frame).axes[0]
    assert {"1.0", "2.0"} <= {t.get_text() for t in ax.texts}
    assert ax.get_ylim()[0] == 0


def test_svg_is_self_contained_and_the_figure_is_closed():
    fig = charts.bars(_bars([1.0]))
    drawn = charts.drawing(fig, alt='a "quoted" <alt>')
    assert plt.get_fignums() == []
    assert drawn.alt == 'a "quoted" <alt>: item 0 1.0'  # render.py escapes it
    svg = base64.b64decode(drawn.screen).decode()
    assert "<svg" in svg and "<text" not in svg and 'xlink:href="http' not in svg
    assert len(svg) < 100_000


def _every_kind():
    """(figure, the value labels it must draw, what its alt text must say) for each chart kind."""
    mix = pd.DataFrame(
        {
            "period": ["P0", "P1"],
            "segment": ["A", "A"],
            "share": [0.4, 0.6],
            "text": ["40%", "60%"],
            "basis": ["derived", "reported"],
            "color": [charts.PALETTE[0]] * 2,
        }
    )
    bridge = pd.DataFrame(
        {
            "label": ["P0", "A", "P1"],
            "start": [0, 1, 0],
            "end": [1, 1.5, 1.5],
            "text": ["1", "+0.5", "1.5"],
            "basis": "reported",
            "color": charts.GROUP_COLOR,
            "kind": ["total", "step", "total"],
        }
    )
    ranges = pd.DataFrame(
        {
            "label": ["x", "y"],
            "lo": [3, 60],
            "hi": [6, 60],
            "text": ["3–6", "60"],
            "basis": "reported",
            "color": charts.PALETTE[:2],
        }
    )
    lines = pd.DataFrame(
        {
            "x": [0, 0.3],
            "y": [0, 0.3],
            "series": "rule",
            "basis": "derived",
            "color": charts.PALETTE[0],
        }
    )
    points = pd.DataFrame({"x": [0.15], "y": [0.15], "text": ["15%"], "basis": "reported"})
    compare = pd.DataFrame(
        {
            "group": ["Group", "Group", "Gen AI", "Gen AI"],
            "series": ["FY2023", "FY2024"] * 2,
            "value": [3.41, 3.77, 1.18, 2.40],
            "text": ["3.41", "3.77", "1.18", "2.40"],
            "basis": "reported",
            "color": charts.PALETTE[0],
        }
    )
    return [
        (charts.bars(_bars([2, -1])), {"2", "-1"}, ["item 0 2", "item 1 -1"]),
        (
            charts.compare(compare),
            {"3.41", "2.40"},
            ["Group: FY2023 3.41, FY2024 3.77", "Gen AI: FY2023 1.18, FY2024 2.40"],
        ),
        (charts.mix(mix), {"40%", "60%"}, ["P0: A 40%", "P1: A 60%"]),
        (charts.bridge(bridge), {"1", "+0.5", "1.5"}, ["P0 1", "A +0.5", "P1 1.5"]),
        (charts.ranges(ranges), {"3–6", "60"}, ["x 3–6", "y 60"]),
        (
            charts.sensitivity(lines, points, x_label="lead", y_label="y"),
            {"15%"},
            ["rule", "lead 15%: 15%"],
        ),
    ]


def test_every_chart_kind_renders():
    for fig, labels, _ in _every_kind():
        drawn = {t.get_text() for ax in fig.axes for t in ax.texts}
        assert labels <= drawn, (labels, drawn)  # each chart labels every value it was given
        assert charts.svg(fig).startswith(b"<?xml")
    assert plt.get_fignums() == []


def test_alt_text_carries_the_values_each_chart_kind_draws():
    for fig, _, said in _every_kind():
        alt = charts.drawing(fig, "Title").alt
        assert alt.startswith("Title: "), alt
        for part in said:
            assert part in alt, (part, alt)
    assert plt.get_fignums() == []


def test_compare_marks_an_unknown_value_as_na_not_an_empty_slot():
    frame = pd.DataFrame(
        {
            "group": ["Revenue", "Revenue", "Gross profit", "Gross profit"],
            "series": ["FY2023", "FY2024", "FY2023", "FY2024"],
            "value": [3.4, 3.77, float("nan"), 1.62],
            "text": ["3.40", "3.77", "n/a", "1.62"],
            "basis": ["derived", "reported", "missing", "reported"],
            "color": [charts.GROUP_COLOR] * 4,
        }
    )
    fig = charts.compare(frame)
    ax = fig.axes[0]
    na = [t for t in ax.texts if t.get_text() == "n/a"]
    assert len(na) == 1 and na[0].get_color() == charts.MUTED
    outline = [p for p in ax.patches if p.get_facecolor()[3] == 0]
    assert len(outline) == 1 and outline[0].get_linestyle() == ":"
    assert b"NaN" not in charts.svg(fig)


def test_compare_frame_keeps_the_slot_of_an_unknown_prior_value():
    from earnings_brief.chapters.show import compare_frame
    from earnings_brief.notebook import start

    ctx = start("revenue")
    items = [
        ("revenue", "", "Revenue", charts.GROUP_COLOR),
        ("gross_profit", "", "Gross profit", charts.GROUP_COLOR),
    ]
    frame, cited = compare_frame(ctx, items, 1e9, 2)
    slot = frame[(frame["group"] == "Gross profit") & (frame["series"] == ctx.comparison)]
    assert len(slot) == 1 and slot["text"].iloc[0] == "n/a" and slot["value"].isna().all()
    assert len(cited) == 3  # the placeholder cites nothing
    only_now, _ = compare_frame(ctx, [("gross_profit", "", "Gross profit", charts.GROUP_COLOR)])
    assert list(only_now["series"]) == [ctx.period]  # one period only: no slot to explain


def test_a_zero_bar_is_still_visible_and_labelled_clear_of_the_axis():
    frame = _bars([0.25, 0.0, -0.2], basis=["reported", "derived", "reported"])
    frame["text"] = ["+25.0%", "0.0%", "−20.0%"]
    ax = charts.bars(frame).axes[0]
    strokes = [
        line
        for line in ax.lines
        if list(line.get_xdata()) == [0, 0] and line.get_color() == charts.PALETTE[1]
    ]
    assert len(strokes) == 1 and strokes[0].get_linewidth() >= 2
    assert abs(sum(strokes[0].get_ydata()) / 2 - 1) < 1e-9  # on the zero row
    zero = next(t for t in ax.texts if t.get_text() == "0.0%")
    assert zero.get_position()[0] > 0 and zero.get_ha() == "left"


def test_legend_reads_left_to_right_in_segment_order():
    segments = ["Cloud", "Devices", "Licensing", "Consulting"]
    frame = pd.DataFrame(
        {
            "period": ["P0"] * 4,
            "segment": segments,
            "share": [0.5, 0.3, 0.1, 0.1],
            "text": ["50%", "30%", "10%", "10%"],
            "basis": "derived",
            "color": list(charts.PALETTE[:4]),
        }
    )
    fig = charts.mix(frame, derived_label="derived")
    fig.canvas.draw()
    legend = fig.axes[0].get_legend()
    # Reading order on the page: by row (top to bottom), then left to right.
    placed = sorted(
        legend.get_texts(),
        key=lambda t: (-round(t.get_window_extent().y0), t.get_window_extent().x0),
    )
    assert [t.get_text() for t in placed] == [*segments, "derived"]


def test_a_single_period_still_names_its_period():
    frame = pd.DataFrame(
        {
            "group": ["R&D", "Capex"],
            "series": ["H1-2025", "H1-2025"],
            "value": [300.0, 100.0],
            "text": ["300", "100"],
            "basis": "reported",
            "color": charts.GROUP_COLOR,
        }
    )
    fig = charts.compare(frame)
    fig.canvas.draw()
    ax = fig.axes[0]
    shown = [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_visible()]
    assert shown.count("H1-2025") == 2


def test_mix_labels_narrow_segments_under_the_bar_without_overlap():
    """A segment under 8% still shows its share: under the bar, apart from its neighbours."""
    shares = [0.82, 0.068, 0.06, 0.052]
    frame = pd.DataFrame(
        {
            "period": "FY2024",
            "segment": ["a", "b", "c", "d"],
            "share": shares,
            "text": [f"{s * 100:.1f}%" for s in shares],
            "basis": "reported",
            "color": charts.PALETTE[:4],
        }
    )
    fig = charts.mix(frame)
    fig.canvas.draw()
    ax = fig.axes[0]
    texts = {t.get_text(): t for t in ax.texts}
    assert set(texts) == {"82.0%", "6.8%", "6.0%", "5.2%"}
    renderer = fig.canvas.get_renderer()
    boxes = sorted(
        (texts[k].get_window_extent(renderer) for k in ("6.8%", "6.0%", "5.2%")), key=lambda b: b.x0
    )
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:], strict=False))
    assert boxes[-1].x1 <= ax.get_window_extent(renderer).x1 + 1
    plt.close(fig)


def test_a_drawing_has_a_path_svg_for_screens_and_a_text_svg_for_paper():
    fig, ax = plt.subplots()
    ax.set_title("商湯集團 revenue")
    drawn = charts.drawing(fig, "alt")
    screen, paper = (
        re.sub(r"<!--.*?-->", "", base64.b64decode(s).decode(), flags=re.S)
        for s in (drawn.screen, drawn.paper)
    )
    text_element = re.compile(r"<text[\s>]")
    assert not text_element.search(screen) and "商湯集團" not in screen  # paths: no font needed
    assert text_element.search(paper) and "商湯集團" in paper  # words stay words in the PDF
    assert plt.get_fignums() == []


def test_a_drawing_has_a_narrower_variant_for_phones():
    frame = _bars([3.4, 103.1])
    frame["label"] = ["Group", "Smart auto (SenseAuto) and more words"]
    drawn = charts.drawing(charts.bars(frame, derived_label="Hatched, lighter: derived"), "alt")
    widths = [
        float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', base64.b64decode(v).decode())[1])
        for v in (drawn.phone, drawn.screen)
    ]
    assert widths[0] < 0.8 * widths[1]  # drawn narrower, so its labels are not shrunk as much
    tag = render.render(Figure("f", "Title", "Unit", drawn))
    source = re.search(r'<source media="([^"]*)" srcset="data:image/svg\+xml;base64,([^"]*)">', tag)
    assert source[1] == render.PHONE_MEDIA and source[2] == drawn.phone  # what a phone shows
    assert plt.get_fignums() == []


def test_the_phone_variant_wraps_long_labels_and_legends():
    mix = pd.DataFrame(
        {
            "period": ["P0", "P0", "P0"],
            "segment": ["Generative AI", "Vision AI", "Smart auto (SenseAuto)"],
            "share": [0.5, 0.3, 0.2],
            "text": ["50%", "30%", "20%"],
            "basis": ["derived", "reported", "reported"],
            "color": list(charts.PALETTE[:3]),
        }
    )
    fig = charts._for_phone(
        charts.mix(mix, derived_label="Hatched, lighter: derived from reported")
    )
    legend = fig.axes[0].get_legend()
    assert legend._ncols == charts.PHONE_LEGEND_COLUMNS
    assert any("\n" in text.get_text() for text in legend.get_texts())
    frame = _bars([1.0, 2.0])
    frame["label"] = ["short", "a label far longer than the phone allows"]
    frame["text"] = ["1.0", "a value note far longer than the phone allows"]
    fig = charts._for_phone(charts.bars(frame))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "short" and "\n" in labels[1]
    values = [t.get_text() for t in fig.axes[0].texts]
    assert "1.0" in values and any("\n" in v and "phone" in v for v in values)
    assert tuple(fig.get_size_inches())[0] == charts.PHONE_WIDTH


def test_dollar_signs_in_labels_are_drawn_as_text_not_tex():
    """A segment named '$\\badcmd{x}$' once failed a notebook; '$\\frac{a}{b}$' drew a fraction."""
    frame = _bars([3.0, 5.0])
    frame["label"] = [r"$\badcmd{x}$", r"$\frac{a}{b}$"]
    paper = charts.svg(charts.bars(frame), text_as_paths=False).decode()
    assert r"$\badcmd{x}$" in paper and r"$\frac{a}{b}$" in paper


def test_a_long_legend_wraps_instead_of_squeezing_the_plot():
    names = ("Generative AI", "Traditional AI", "Smart auto (SenseAuto)")
    frame = pd.DataFrame(
        [
            {"period": p, "segment": s, "share": v, "text": f"{v:.0%}", "basis": b, "color": c}
            for p, values in (("FY2022", (0.104, 0.82, 0.076)), ("FY2023", (0.35, 0.54, 0.11)))
            for s, v, b, c in zip(
                names, values, ("derived", "reported", "derived"), charts.PALETTE, strict=False
            )
        ]
    )
    fig = charts.mix(frame, derived_label="Hatched, lighter: derived from reported figures")
    fig.canvas.draw()
    plot, legend = fig.axes[0].get_window_extent(), fig.axes[0].get_legend().get_window_extent()
    assert legend.width <= fig.bbox.width
    assert plot.width >= 0.8 * fig.bbox.width  # the bars keep the figure's width
    plt.close(fig)
