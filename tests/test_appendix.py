"""The appendix and outlook: every figure with basis and source, checks, parameters, run data."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from earnings_brief import dataset, metrics
from earnings_brief.chapters import appendix, outlook
from earnings_brief.errors import ParameterError
from earnings_brief.render import render


def markup(items, lang: str = "en") -> str:
    """The HTML of a block or a list of blocks."""
    items = items if isinstance(items, list) else [items]
    return "\n".join(render(item, lang) for item in items)


# What build.py hands the appendix: none of it but the comparison period may reach the client.
PARAMS = {"company": "sensetime", "period": "FY2024", "data_dir": "/srv/x/data", "language": "en"}


@pytest.fixture(scope="module")
def html(ds, frame):
    checks = metrics.reconcile(ds, frame)
    return markup(appendix.render(ds, frame, checks, PARAMS))


def test_every_figure_with_basis_and_source(html, frame):
    table = html[html.index('id="appendix-all-figures"') : html.index('id="appendix-checks"')]
    rows = re.findall(r'<tr class="eb-(reported|derived)">', table)
    assert len(rows) == len(frame)
    assert rows.count("derived") == (frame["basis"] == "derived").sum() > 0
    assert 'href="#source-tmtpost">TMTPost AGI (<span lang="zh-Hant">鈦媒體AGI</span>)</a>' in table
    assert "derived from Revenue FY2024, Revenue growth FY2024" in table
    assert "derived from R&amp;D expense FY2023, R&amp;D growth FY2023" in table  # FY2022
    assert "NaN" not in html and "nan" not in re.sub(r"<[^>]+>", " ", html).split()


def test_checks_with_pass_flag_and_difference(html, ds, frame):
    checks = metrics.reconcile(ds, frame)
    for check_id in checks["id"]:
        assert f'id="{appendix.check_anchor(check_id)}"' in html
    assert html.count('class="eb-status-flag"') == (checks["status"] == "flag").sum() == 0


def test_a_flagged_check_shows_its_difference(conflicted):
    frame = metrics.derive(conflicted)
    checks = metrics.reconcile(conflicted, frame)
    table = markup(appendix.checks_table(conflicted, frame, checks))
    assert table.count('class="eb-status-flag"') == 1
    assert "−32.89 pp" in table  # a second statement of R&D growth against its own figures


def test_no_build_detail_reaches_the_client(html):
    """Paths, host, hashes, versions, timings and the wall clock stay in manifest.json: the
    appendix is handed none of them but the parameters, and shows only the comparison period."""
    text = re.sub(r"<[^>]+>", " ", html)
    leaks = ["/srv/x", "Run metadata", "Parameters", "sensetime", "language"]
    for leak in leaks:
        assert leak not in text, leak
    assert (
        'id="source-tmtpost"' in html
        and 'TMTPost AGI (<span lang="zh-Hant">鈦媒體AGI</span>)' in html
    )
    assert "Chinese (Traditional)" in text and "zh-Hant" not in text
    assert "000_078308a88277f7d1" not in text and "sha256" not in text


def test_one_line_edition_stamp_dated_from_the_data(html, ds, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    line = "This edition: SenseTime Group FY2024 against FY2023, dated 26 Mar 2025."
    assert html.count('class="eb-stamp"') == 1 and f'<p class="eb-stamp">{line}</p>' in html
    assert appendix.edition_date(ds.period) == ds.period.results_date
    revised = dataclasses.replace(ds.period, revised=date(2025, 4, 2))
    assert appendix.edition_date(revised) == date(2025, 4, 2)
    assert appendix.edition_date(ds.period, {"SOURCE_DATE_EPOCH": "1743465600"}) == date(2025, 4, 1)


def test_a_bad_source_date_epoch_is_one_clear_error(ds):
    with pytest.raises(ParameterError) as err:
        appendix.edition_date(ds.period, {"SOURCE_DATE_EPOCH": "yesterday"})
    assert err.value.field == "SOURCE_DATE_EPOCH" and "\n" not in err.value.one_line()


def test_no_code_keys_in_the_appendix(html):
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\w\[[a-z_/]+\]", text)


@pytest.mark.parametrize(
    ("row", "text"),
    [
        ({"value": 3.77e9, "unit": "RMB", "dimension": "money"}, "RMB 3.77 bn"),
        ({"value": 0.108, "unit": "ratio", "dimension": "ratio"}, "10.8%"),
        (
            {"value": 23000, "unit": "PFLOPS", "dimension": "compute", "qualifier": "more_than"},
            ">23,000 PFLOPS",
        ),
        ({"value": 1.67e6, "unit": "vehicles", "dimension": "count"}, "1.67 m vehicles"),
        ({"value": 6, "unit": "x", "dimension": "multiple"}, "6x"),
        ({"value": 18, "unit": "months", "dimension": "duration"}, "18 months"),
        ({"value": 153.3, "unit": "RMB/vehicles", "dimension": "per_unit"}, "RMB 153 per vehicle"),
        ({"value": float("nan"), "unit": "RMB", "dimension": "money"}, "n/a"),
    ],
)
def test_values_in_words(row, text):
    assert appendix.show_value(row) == text


def test_outlook_in_date_order_and_attributed(ds):
    html = markup(outlook.render(ds))
    dates = re.findall(r'<td class="eb-date">([^<]+)</td>', html)
    assert dates == ["26 Mar 2025", "26 Mar 2025", "10 Apr 2025", "10 Apr 2025"]
    keys = [outlook.sort_key(d) for d in ("2025-03-26", "2025-03", "2025-04-10", "2025-Q4")]
    assert keys == sorted(keys)
    assert "Strategic direction, as stated by the company" in html
    assert '<span lang="zh-Hant">日日新大模型6.0</span>' in html


def test_each_fact_is_said_once_in_the_outlook_or_its_chapter(ds):
    """Segment, infrastructure and auto facts live in their chapters; the outlook keeps the
    group's, each a whole sentence with no 'Strategy: … Strategy:' assembled from fields."""
    html = markup(outlook.render(ds))
    for elsewhere in ("UniAD", "one base, two wings", "light-asset", "Kaiwu"):
        assert elsewhere not in html, elsewhere
    assert html.count("1+X organisation") == 1
    assert "Strategy:" not in html and " — " not in html
    assert "2 further dated milestones of a segment are in its chapter" in html
    assert '<strong class="eb-kind">Strategy.</strong> The 1+X organisation' in html


def test_outlook_without_facts_says_so(ds):
    empty = dataset.Dataset(
        ds.root,
        ds.company,
        ds.period,
        ds.sources,
        ds.figures,
        ds.facts.iloc[0:0],
        ds.claims,
        ds.files,
    )
    assert 'class="eb-missing"' in markup(outlook.render(empty))


def _checks_table(html: str) -> str:
    return html[html.index('id="appendix-checks-table"') : html.index('id="appendix-sources"')]


def test_checks_name_their_inputs_in_words(html):
    """The Note column names a check's inputs as the brief does; exact keys stay in the figures
    table, where derived rows list their inputs."""
    table = _checks_table(html)
    assert "Revenue · Generative AI FY2024" in table
    assert "revenue[generative_ai]" not in table and "rd_expense FY2023" not in table


def test_checks_read_as_the_brief_does(html):
    """A stated figure reads as everywhere else ('42.9%', 'RMB 3.77 bn'); the recomputed value,
    its range and the difference carry one digit more in the same unit, never 'RMB 3,770.0 m'."""
    table = _checks_table(html)
    money = re.findall(r"RMB [−\d,.]+(?: (?:bn|m))?", table)
    pattern = r"RMB −?\d\.\d{2,3} bn|RMB −?\d{1,3}(\.\d)? m"
    assert money and all(re.fullmatch(pattern, m) for m in money), money
    assert ">RMB 3.77 bn<" in table and "RMB 3.772 bn" in table and "RMB −2.0 m" in table
    assert ">42.9%<" in table and "42.97%" in table and "42.90%" not in table
    assert "RMB 3,770.0 m" not in table


def test_outlook_status_and_dates_read_as_the_timeline_does(ds):
    """Status words from the same locale keys as the timeline legend; one date style."""
    from earnings_brief.i18n import t

    html = markup(outlook.render(ds))
    statuses = set(re.findall(r"<td>(Done|Expected|done|expected)</td>", html))
    assert statuses == {t("charts.status.done"), t("charts.status.expected")}
    assert "2025-Q4" not in html and "2025 Q4" not in html


def test_many_items_of_one_figure_are_listed_compactly(ds, frame):
    """5,000 item rows once made a 389-page PDF; beyond the largest few they share one row."""
    import pandas as pd

    base = frame[(frame["metric"] == "revenue") & (frame["segment"] == "generative_ai")].iloc[0]
    items = pd.DataFrame(
        [{**base.to_dict(), "item": f"product_{i:02d}", "value": float(i)} for i in range(20)]
    )
    table = markup(appendix.figures_table(ds, pd.concat([frame, items], ignore_index=True)))
    rows = re.findall(r'<tr class="eb-(?:reported|derived)">(.*?)</tr>', table)
    assert len(rows) == len(frame) + 12 + 1
    (compact,) = [r for r in rows if "8 more items" in r]
    assert "Product 00" in compact and "Product 07" in compact and "Product 08" not in compact
    assert compact.count(";") == 7
