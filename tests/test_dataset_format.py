"""The wider data format (issue 8): pp, any catalog noun, ranges, signed metrics, sources with a
title or a description and a url, renamed segments. Each on a small dataset written here."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from mini_data import UNITS_CATALOG, load, row, write

from earnings_brief import dataset, metrics, narrative
from earnings_brief.chapters import appendix
from earnings_brief.errors import DataError
from earnings_brief.render import render


def one(ds, metric, segment="", period="FY2025"):
    f = ds.figures
    rows = f[(f["metric"] == metric) & (f["segment"] == segment) & (f["period"] == period)]
    assert len(rows) == 1
    return rows.iloc[0]


def error(tmp_path, rows, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        load(tmp_path, rows, **kw)
    return info.value


# ---------------------------------------------------------------------------------------------
# Percentage points


def test_pp_is_a_change_in_points_and_gives_the_prior_margin(tmp_path):
    ds = load(
        tmp_path,
        [
            row("revenue", "100", "HKD m"),
            row("gross_margin", "40.0", "%"),
            row("gross_margin_change", "-2.3", "pp"),
        ],
    )
    change = one(ds, "gross_margin_change")
    assert (change["dimension"], change["value"]) == ("points", pytest.approx(-0.023))
    assert narrative.quantity(change) == "−2.3 pp"
    assert appendix.show_value(change) == "−2.3 pp"
    prior = metrics.lookup(metrics.derive(ds), "gross_margin", period="FY2024")
    assert prior["basis"] == "derived" and prior["value"] == pytest.approx(0.423)
    # 40.0 ± 0.05 less −2.3 ± 0.05 points
    assert (prior["lo"], prior["hi"]) == (pytest.approx(0.3995 + 0.0225), pytest.approx(0.424))


# ---------------------------------------------------------------------------------------------
# Count nouns


def test_a_count_in_its_catalog_noun(tmp_path):
    ds = load(tmp_path, [row("units_shipped", "2.9", "units m")], catalog=UNITS_CATALOG)
    shipped = one(ds, "units_shipped")
    assert (shipped["dimension"], shipped["unit"], shipped["value"]) == ("count", "units", 2.9e6)
    assert narrative.quantity(shipped) == "2.9 m units"  # the noun once, never "units units"
    assert ds.catalog.noun("units_shipped", "zh-Hant") == "件"


def test_a_count_in_another_noun_than_its_catalog_noun_is_refused(tmp_path):
    err = error(tmp_path, [row("units_shipped", "2.9", "vehicles m")], catalog=UNITS_CATALOG)
    assert (err.line, err.field) == (2, "unit")
    assert "'units' or 'units <scale>'" in err.expected


def test_money_needs_a_currency_unit(tmp_path):
    err = error(tmp_path, [row("revenue", "2.9", "%")])
    assert (err.line, err.field) == (2, "unit") and "currency" in err.expected


# ---------------------------------------------------------------------------------------------
# Ranges


def test_a_range_is_kept_as_a_range(tmp_path):
    ds = load(tmp_path, [row("revenue", "107-108", "HKD m")])
    r = one(ds, "revenue")
    assert r["written"] == "107-108"
    assert (r["range_lo"], r["range_hi"]) == (107e6, 108e6)
    assert r["value"] == pytest.approx(107.5e6)
    assert (r["lo"], r["hi"]) == (pytest.approx(106.5e6), pytest.approx(108.5e6))
    assert narrative.quantity(r, currency="HKD") == "HKD 107–108 m"
    assert appendix.show_value(r) == "HKD 107–108 m"


# 60.0 + 48.4 = 108.4 ± 0.1 lies beyond the midpoint 107.5 but within 107-108 (± 0.5 each end);
# 60.0 + 48.7 = 108.7 ± 0.1 lies beyond the range.
@pytest.mark.parametrize(
    ("parts", "status"), [(("60.0", "48.4"), "pass"), (("60.0", "48.7"), "flag")]
)
def test_checks_use_the_whole_range(tmp_path, parts, status):
    ds = load(
        tmp_path,
        [
            row("revenue", "107-108", "HKD m"),
            row("revenue", parts[0], "HKD m", segment="chips"),
            row("revenue", parts[1], "HKD m", segment="licensing"),
        ],
    )
    (c,) = metrics.reconcile(ds).to_dict("records")
    assert c["kind"] == "segment_sum" and c["status"] == status


def test_a_falling_range_is_refused(tmp_path):
    err = error(tmp_path, [row("revenue", "108-107", "HKD m")])
    assert (err.line, err.field) == (2, "value") and "low-high" in err.expected


# ---------------------------------------------------------------------------------------------
# Signs


def test_signed_profit_and_ebitda(tmp_path):
    ds = load(
        tmp_path,
        [
            row("revenue", "100", "HKD m"),
            row("net_profit", "12.3", "HKD m"),
            row("ebitda", "-4.5", "HKD m"),
            row("adjusted_net_profit", "-1", "HKD m"),
        ],
    )
    assert one(ds, "net_profit")["value"] == pytest.approx(12.3e6)
    assert one(ds, "ebitda")["value"] == pytest.approx(-4.5e6)
    assert (
        narrative.quantity(one(ds, "ebitda"), currency="HKD") == "HKD −4.5 m"
    )  # as written, in its own scale
    assert ds.catalog.label("net_profit") == "Net profit"
    assert ds.catalog.negation("net_profit") == "net_loss"


def test_a_negative_loss_is_refused_with_the_profit_it_should_be(tmp_path):
    err = error(tmp_path, [row("net_loss", "-5", "HKD m")])
    assert (err.line, err.field) == (2, "value")
    assert "negative value -5 for net_loss" in err.message
    assert "a positive net_profit" in err.expected


# ---------------------------------------------------------------------------------------------
# Sources


TITLE_ONLY = """[src]
publisher = "HKEXnews"
title = "Annual results announcement for the year ended 31 December 2025"
url = "https://www.hkexnews.hk/listedco/listconews/sehk/2026/0326/example.pdf"
date = "2026-03-26"
"""


def test_a_title_only_source_with_a_url(tmp_path):
    ds = load(tmp_path, [row("revenue", "100", "HKD m")], sources=TITLE_ONLY)
    src = ds.sources["src"]
    assert src.title.startswith("Annual results") and src.description == ""
    assert src.url.endswith("example.pdf")
    html = render(appendix.sources_table(ds))
    assert "example.pdf" in html


def test_check_command_on_a_title_only_source_has_no_traceback(tmp_path):
    write(tmp_path, [row("revenue", "100", "HKD m")], sources=TITLE_ONLY)
    env = {k: v for k, v in os.environ.items() if k != dataset.DATA_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "earnings_brief", "check", "--company", "mini"]
        + ["--period", "FY2025", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Mini Co FY2025: 1 reported figures" in result.stdout


def test_a_source_without_title_or_description_is_named(tmp_path):
    err = error(tmp_path, [row("revenue", "1", "HKD m")], sources='[src]\npublisher = "X"\n')
    assert (err.field, err.message) == ("src.title", "no title or description")


# ---------------------------------------------------------------------------------------------
# Renamed segments

RENAMED = """
[segments.generative_ai]
name_en = "Generative AI"

[segments.traditional_ai]
name_en = "Traditional AI"
name_zh = "傳統AI"
renamed_to = "vision_ai"

[segments.vision_ai]
name_en = "Vision AI"
name_zh = "視覺AI"
"""


def test_a_renamed_segment_compares_across_periods(tmp_path):
    ds = load(
        tmp_path,
        [
            row("revenue", "110", "HKD m", segment="vision_ai"),
            row("revenue", "100", "HKD m", segment="traditional_ai", period="FY2024"),
        ],
        segments=RENAMED,
        claims=["c1,revenue[traditional_ai],<,revenue[vision_ai],FY2024,src,made up"],
    )
    prior = one(ds, "revenue", "vision_ai", "FY2024")
    assert prior["segment_written"] == "traditional_ai"
    assert [s.key for s in ds.segments] == ["vision_ai"]
    frame = metrics.derive(ds)
    growth = metrics.lookup(frame, "revenue_growth", "vision_ai", period="FY2025")
    assert growth["value"] == pytest.approx(0.1)
    bridge = metrics.revenue_bridge(frame, "FY2025", "FY2024", list(ds.company.segments))
    assert list(bridge["segment"]) == ["vision_ai"]
    assert ds.segment_name("vision_ai") == "Vision AI (formerly Traditional AI)"
    assert ds.claims.iloc[0]["left"] == "revenue[vision_ai]"


def test_a_period_that_still_uses_the_old_name_shows_it(tmp_path):
    ds = load(
        tmp_path,
        [
            row("revenue", "100", "HKD m", segment="traditional_ai"),
            row("revenue", "90", "HKD m", segment="traditional_ai", period="FY2024"),
        ],
        segments=RENAMED,
    )
    assert [s.key for s in ds.segments] == ["traditional_ai"]
    assert ds.segment_name("traditional_ai") == "Traditional AI"


@pytest.mark.parametrize(("target", "why"), [("robotics", "unknown"), ("traditional_ai", "circle")])
def test_a_bad_rename_is_named(tmp_path, target, why):
    segments = RENAMED.replace('renamed_to = "vision_ai"', f'renamed_to = "{target}"')
    if why == "circle":
        segments += '\n[segments.old]\nname_en = "Old"\nrenamed_to = "old"\n'
        segments = segments.replace('renamed_to = "traditional_ai"', 'renamed_to = "vision_ai"')
    err = error(tmp_path, [row("revenue", "1", "HKD m")], segments=segments)
    assert err.field.endswith(".renamed_to") and why in err.message
    assert not math.isnan(err.line or 0)


def test_a_fact_on_a_former_segment_name_is_about_the_segment(tmp_path):
    write(
        tmp_path,
        [
            row("revenue", "110", "HKD m", segment="vision_ai"),
            row("revenue", "100", "HKD m", segment="traditional_ai", period="FY2024"),
        ],
        segments=RENAMED,
    )
    facts = tmp_path / "mini" / "FY2025" / "facts.csv"
    facts.write_text(
        "id,kind,topic,date,status,name_en,name_zh,text,source\n"
        "smart_city,explanation,traditional_ai,,,Smart city,,Scaled back,src\n",
        "utf-8",
    )
    ds = dataset.load("mini", "FY2025", tmp_path)
    assert list(ds.facts["topic"]) == ["vision_ai"]
