"""The cover and summary: KPI tiles from the derived figures, takeaways, flags, verdict, as the
blocks they return and the HTML those render to."""

from __future__ import annotations

import re

import pytest

from earnings_brief import blocks, dataset, metrics
from earnings_brief.chapters import summary
from earnings_brief.render import flag_text, render, tile_text


def html(items, lang: str = "en") -> str:
    return "\n".join(render(item, lang) for item in items)


def tile_list(frame, ds, lang: str = "en") -> list[tuple[str, str, str, bool, bool]]:
    """(label, value, change, change not known, derived) of each tile, in words."""
    return [
        (tile.label, *tile_text(tile, lang), not tile.kind, tile.derived)
        for tile in summary.tiles(frame, ds, lang)
    ]


def flag_lines(checks, frame, ds) -> list[tuple[str, str]]:
    return [(flag_text(f), f.anchor) for f in summary.flags(checks, frame, ds)]


@pytest.fixture(scope="module")
def checks(ds, frame):
    return metrics.reconcile(ds, frame)


def test_tiles_from_the_figures_each_with_a_change(ds, frame):
    """Six tiles, each with its change; gross margin (no FY2023 margin) gives way to a tile
    that has one, and the point-in-time compute figure says its date."""
    tiles = {label: (value, change, na) for label, value, change, na, _ in tile_list(frame, ds)}
    assert len(tiles) == 6 and not any(na for _, _, na in tiles.values())
    assert "Gross margin" not in tiles and "change n/a" not in str(tiles)
    assert tiles["Revenue"][:2] == ("RMB 3.77 bn", "+10.8% YoY")
    assert tiles["Generative AI share"][:2] == ("63.7%", "+28.9 pp vs FY2023")
    assert tiles["Net loss"][:2] == ("RMB 4.31 bn", "−33.7% YoY")
    assert tiles["R&D expense"][:2] == ("RMB 4.13 bn", "+19.2% YoY")
    assert tiles["Compute capacity, as of Mar 2025"][:2] == (">23,000 PFLOPS", "+92% YoY")


def test_tiles_keep_their_numbers_until_render(ds, frame):
    """A tile carries its figure and change as Values: the same block reads in either language,
    and survives its JSON payload."""
    import json

    item = blocks.Tiles(tuple(summary.tiles(frame, ds)))
    revenue = item.items[0]
    assert revenue.value.style == "quantity" and revenue.change.style == "percent"
    assert blocks.from_payload(json.loads(json.dumps(blocks.payload(item)))) == item
    assert ">RMB 3.77 bn<" in render(item) and ">37.7億元<" in render(item, "zh-Hant")


def test_derived_changes_are_marked(ds, frame):
    marked = {label for label, *_, derived in tile_list(frame, ds) if derived}
    assert "Generative AI share" in marked and "Revenue" not in marked


def test_five_to_seven_number_led_takeaways(ds, frame):
    lines = summary.takeaways(frame, ds)
    assert 5 <= len(lines) <= 7
    for line in lines:
        assert re.match(r"^[>≈]?(RMB )?[\d+−]", line) or re.search(r"\d", line[:40]), line
    assert any("103.1%" in line and "Generative AI" in line for line in lines)


def test_the_bundled_dataset_has_no_flag(ds, frame, checks):
    """The R&D sentence gives FY2024's rise and FY2023's own fall: no conflict, no flag."""
    assert summary.flags(checks, frame, ds) == []
    assert "Every reconciliation check passed" in html(summary.render(ds, frame, checks))
    assert "flag" not in set(checks["status"])


def test_flags_link_to_the_appendix_check(conflicted):
    frame = metrics.derive(conflicted)
    checks = metrics.reconcile(conflicted, frame)
    flags = flag_lines(checks, frame, conflicted)
    assert len(flags) == (checks["status"] == "flag").sum() == 1
    text, anchor = flags[0]
    assert "R&D" in text and "−13.7%" in text
    assert "+19.2%" in text and "−32.9 pp" in text  # the summary's one precision, signed growth
    assert anchor.startswith("check-") and "conflicting" in anchor
    markup = html(summary.render(conflicted, frame, checks))
    assert f'{text} <a href="#{anchor}">see check</a>' in markup.replace("&amp;", "&")


def test_cover_names_company_ticker_period_and_results_date(ds, frame, checks):
    items = summary.render(ds, frame, checks)
    markup = html(items)
    assert 'SenseTime Group <span lang="zh-Hant">商湯集團</span>' in markup
    assert "0020.HK" in markup and "26 Mar 2025" in markup
    assert '<span class="eb-period">FY2024</span>' in markup
    assert items[-1] == blocks.Contents()  # the assembler fills it from the brief's headings
    assert "Revenue rose 10.8% to RMB 3.77 bn" in markup


def test_summary_without_a_prior_period_invents_nothing(ds):
    figures = ds.figures[~ds.figures["metric"].str.endswith("_growth")]
    bare = dataset.Dataset(
        ds.root, ds.company, ds.period, ds.sources, figures, ds.facts, ds.claims, ds.files
    )
    frame = metrics.derive(bare, comparison="")
    tiles = tile_list(frame, bare)
    assert len(tiles) == summary.MIN_TILES  # too few changes known: n/a tiles fill up to four
    assert [na for *_, na, _ in tiles] == sorted(na for *_, na, _ in tiles)  # changes first
    assert all(change == "change n/a" for _, _, change, na, _ in tiles if na)
    assert "nan" not in " ".join(summary.takeaways(frame, bare)).lower()


def test_changes_section_shows_old_and_new(ds):
    markup = html(
        summary.changes_section(
            ds,
            [
                {
                    "change": "changed",
                    "metric": "revenue",
                    "segment": "generative_ai",
                    "item": "",
                    "period": "FY2024",
                    "qualifier": "",
                    "old": {"written": "24.04", "written_unit": "RMB 100m"},
                    "new": {"written": "<b>25</b>", "written_unit": "RMB 100m"},
                },
                {
                    "change": "added",
                    "metric": "capex",
                    "segment": "",
                    "item": "",
                    "period": "FY2024",
                    "qualifier": "",
                    "old": None,
                    "new": {"written": "11.29", "written_unit": "RMB 100m"},
                },
            ],
        )
    )
    assert "Revenue · Generative AI FY2024" in markup
    assert "24.04 RMB 100m" in markup and "&lt;b&gt;25&lt;/b&gt;" in markup and "n/a" in markup


def test_takeaways_add_to_the_tiles_and_say_what_went_down(ds, frame):
    """Vision AI's fall (computed from the figures) and opex against revenue; no takeaway
    restates a tile's figure and change."""
    lines = summary.takeaways(frame, ds)
    text = " ".join(lines)
    assert "Vision AI revenue fell 39.4% (derived) to RMB 1.11 bn" in text
    assert "161.1% of revenue went on operating expenses" in text
    assert "after a 13.7% cut in FY2023" in text  # FY2023's own R&D change, read right
    for label, value, change, *_ in tile_list(frame, ds):
        assert not any(value in line and change.split()[0] in line for line in lines), label
    assert not re.search(r"\d\.0%", text)  # the source's precision, not '92.0%'


def test_one_change_reads_in_the_singular_and_its_kind_comes_from_the_locale(ds):
    change = {
        "change": "removed",
        "metric": "capex",
        "segment": "",
        "item": "",
        "period": "FY2024",
        "qualifier": "",
        "old": {"written": "11.29", "written_unit": "RMB 100m"},
        "new": None,
    }
    markup = html(summary.changes_section(ds, [change]))
    assert "One figure added, removed or changed" in markup and "1 figures" not in markup
    assert "<td>removed</td>" in markup


def test_a_net_profit_gets_a_tile_as_stated(tmp_path):
    import mini_data

    ds = mini_data.load(
        tmp_path,
        [mini_data.row("revenue", "200", "HKD m"), mini_data.row("net_profit", "81.4", "HKD m")],
    )
    tiles = tile_list(metrics.derive(ds), ds)
    assert ("Net profit", "HKD 81.4 m") in [(label, value) for label, value, *_ in tiles]


def test_a_profit_after_a_loss_says_what_it_swung_from(tmp_path):
    import mini_data

    rows = [
        mini_data.row("revenue", "200", "HKD m"),
        mini_data.row("revenue_growth", "10", "%"),
        mini_data.row("gross_margin", "40", "%"),
        mini_data.row("gross_margin", "35", "%", period="FY2024"),
        mini_data.row("rd_expense", "50", "HKD m"),
        mini_data.row("rd_expense_growth", "5", "%"),
        mini_data.row("net_profit", "81.4", "HKD m"),
        mini_data.row("net_profit", "-20", "HKD m", period="FY2024"),
    ]
    ds = mini_data.load(tmp_path, rows)
    tiles = {label: change for label, _, change, *_ in tile_list(metrics.derive(ds), ds)}
    assert tiles["Net profit"] == "from HKD −20 m in FY2024"


def test_without_total_opex_the_cost_takeaway_is_rd_against_revenue():
    other = dataset.load("horizon_robotics", "FY2024")
    lines = summary.takeaways(metrics.derive(other), other)
    assert "132.4% of revenue went on R&D, against 152% in FY2023." in lines


def test_chinese_tiles_and_cover(ds, frame):
    zh = dataset.in_language(ds, "zh-Hant")
    tiles = {
        label: (value, change) for label, value, change, _, _ in tile_list(frame, zh, "zh-Hant")
    }
    assert tiles["收入"] == ("37.7億元", "同比+10.8%")
    assert tiles["生成式AI佔比"] == ("63.7%", "較FY2023 +28.9個百分點")
    assert tiles["交付車輛"][0] == "逾167萬輛"
    cover = render(summary.cover(zh, frame, "zh-Hant"), "zh-Hant")
    assert '商湯集團 <span lang="en">SenseTime Group</span>' in cover
    assert "2025年3月26日公布" in cover
    link = '<a href="brief.html" hreflang="en" lang="en" data-print-href="brief.pdf">'
    assert link + "English edition</a>" in cover


def test_the_english_cover_links_the_chinese_edition(ds, frame):
    cover = render(summary.cover(ds, frame))
    assert 'SenseTime Group <span lang="zh-Hant">商湯集團</span>' in cover
    link = '<a href="brief.zh-Hant.html" hreflang="zh-Hant" lang="zh-Hant"'
    assert link + ' data-print-href="brief.zh-Hant.pdf">繁體中文版</a>' in cover


def test_what_changed_says_the_written_values_in_chinese_words():
    from earnings_brief.chapters.summary import _shown

    assert _shown({"written": "2", "written_unit": "years"}, "zh-Hant") == "2年"
    assert _shown({"written": "37.7", "written_unit": "RMB 100m"}, "zh-Hant") == "37.7億元"
    assert _shown({"written": "167", "written_unit": "vehicles 10k"}, "zh-Hant") == "167萬輛"
    assert _shown({"written": "37.7", "written_unit": "RMB 100m"}, "en") == "37.7 RMB 100m"


def test_a_stated_change_in_a_margin_wins_over_the_difference_of_rounded_margins():
    """Horizon states +6.7 pp; 77.3 % − 70.5 % would give 6.8 pp."""
    other = dataset.load("horizon_robotics", "FY2024")
    tiles = {label: change for label, _, change, *_ in tile_list(metrics.derive(other), other)}
    assert tiles["Gross margin"] == "+6.7 pp vs FY2023"


def test_a_conflict_between_two_statements_reads_as_two_statements():
    """Not 'the other figures give': Horizon's licensing revenue is stated twice, differently."""
    other = dataset.load("horizon_robotics", "FY2024")
    frame = metrics.derive(other)
    (line, _anchor), *_ = flag_lines(metrics.reconcile(other, frame), frame, other)
    assert "stated both as RMB 1.648 bn and as RMB 1.658 bn" in line
    assert "other figures give" not in line


def test_the_largest_segments_share_reads_as_the_verdict_does():
    """Horizon's source writes the share as 97; the tile, the verdict and the mix chart agree
    on one decimal (97.0%)."""
    other = dataset.load("horizon_robotics", "FY2024")
    frame = metrics.derive(other)
    tiles = {label: value for label, value, *_ in tile_list(frame, other)}
    assert tiles["Automotive solutions share"] == "97.0%"
    assert "(97.0% of revenue)" in summary.verdict(frame, other)
