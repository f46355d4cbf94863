"""The appendix and outlook: every figure with basis and source, checks, parameters, run data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earnings_brief import dataset, metrics
from earnings_brief.chapters import appendix, outlook


@pytest.fixture(scope="module")
def html(ds, frame):
    checks = metrics.reconcile(ds, frame)
    params = {"company": "sensetime", "scenarios": [0.15, 0.25], "note": "<script>x</script>"}
    run = {"data_hash": "sha256:abc", "code_version": "0.1.0+g1234", "generated_at": "2026-11-29"}
    return appendix.render(ds, frame, checks, params, run)


def test_every_figure_with_basis_and_source(html, frame):
    table = html[html.index('id="appendix-all-figures"') : html.index('id="appendix-checks"')]
    rows = re.findall(r'<tr class="eb-(reported|derived)">', table)
    assert len(rows) == len(frame)
    assert rows.count("derived") == (frame["basis"] == "derived").sum() > 0
    assert 'href="#source-tmtpost"' in table
    assert "derived from revenue FY2024, revenue_growth FY2024" in table
    assert "NaN" not in html and "nan" not in re.sub(r"<[^>]+>", " ", html).split()


def test_checks_with_pass_flag_and_difference(html, ds, frame):
    checks = metrics.reconcile(ds, frame)
    for check_id in checks["id"]:
        assert f'id="{appendix.check_anchor(check_id)}"' in html
    assert html.count('class="eb-status-flag"') == (checks["status"] == "flag").sum()
    assert "−32.89 pp" in html  # the R&D growth sentence that contradicts its own figures


def test_parameters_run_metadata_and_sources(html):
    for text in (
        "Data hash",
        "sha256:abc",
        "Code version",
        "0.1.0+g1234",
        "Generated at",
        "0.15, 0.25",
        'id="source-tmtpost"',
        "TMTPost AGI (鈦媒體AGI)",
    ):
        assert text in html
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


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
    html = outlook.render(ds)
    dates = re.findall(r'<td class="eb-date">([^<]+)</td>', html)
    assert dates[0] == "26 Mar 2025" and dates[-1] == "Q4 2025"
    keys = [outlook.sort_key(d) for d in ("2025-03-26", "2025-03", "2025-04-10", "2025-Q4")]
    assert keys == sorted(keys)
    assert "Strategic direction, as stated by the company" in html
    assert '<span lang="zh-Hant">日日新大模型6.0</span>' in html


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
    assert 'class="eb-missing"' in outlook.render(empty)


def test_run_metadata_in_words(ds, frame):
    """Every run field has a label; versions and notebooks read as lists, not JSON or None."""
    run = {
        "run_id": "20261129T113202.712Z",
        "edition": "20261129T113202.712Z",
        "previous_edition": None,
        "generated_at": "2026-11-29T11:32:14+00:00",
        "host": "vm",
        "brief_hash": "343b15e9",
        "data_hash": "2c92150a",
        "code_hash": "b1ac5eec",
        "code_version": "0.1.0+29cd43c",
        "versions": {"python": "3.11.7", "pandas": "3.1.1"},
        "notebooks": {
            "revenue": {"status": "executed", "seconds": 4.74, "output": "revenue.ipynb"},
            "auto": {"status": "reused", "seconds": None, "output": "auto.ipynb"},
        },
    }
    params = {"company": "sensetime", "period": "FY2024", "data_dir": "/x", "language": "en"}
    html = appendix.render(ds, frame, metrics.reconcile(ds, frame), params, run)
    table = html[html.index('id="appendix-run-table"') : html.index('id="appendix-sources"')]
    cells = re.findall(r"<td>(.*?)</td>", table)
    labels = cells[0::2]
    for raw in ("previous_edition", "host", "brief_hash", "code_hash", "versions", "notebooks"):
        assert raw not in labels
    assert "Previous edition" in labels and "Package versions" in labels
    assert labels.count("Edition") == 1 and "Run" not in labels  # run id repeats the edition
    assert "None" not in cells and "none" in cells
    assert "python 3.11.7, pandas 3.1.1" in cells
    assert "revenue: executed, 4.7 s<br>auto: reused from the previous edition" in table
    assert "{" not in table and '"status"' not in table
    params_table = html[
        html.index('id="appendix-parameters-table"') : html.index('id="appendix-run"')
    ]
    for raw in ("<td>company</td>", "<td>data_dir</td>", "<td>language</td>"):
        assert raw not in params_table
    assert "<td>Data directory</td>" in params_table


def test_revenue_checks_name_figures_in_words(monkeypatch):
    """The chapter's checks table and flag sentence say 'R&D growth FY2024', not the data key."""
    from earnings_brief import blocks
    from earnings_brief.chapters import revenue
    from earnings_brief.notebook import start

    shown = []
    monkeypatch.setattr(blocks, "show", shown.append)
    revenue.quality_flags(start("revenue"))
    markup = "\n".join(shown)
    assert "R&amp;D growth FY2024" in markup and "Gross margin FY2024" in markup
    assert "rd_expense_growth" not in markup and "gross_margin FY2024" not in markup


def test_cycle_title_reads_as_one_sentence(monkeypatch):
    from earnings_brief import blocks
    from earnings_brief.chapters import infrastructure
    from earnings_brief.notebook import start

    shown = []
    monkeypatch.setattr(blocks, "show", shown.append)
    infrastructure.cycles(start("infrastructure"))
    title = re.search(r'<span class="eb-title">(.*?)</span>', "\n".join(shown))[1]
    assert "shorter than depreciation" in title and "than Depreciation" not in title


def _checks_table(html: str) -> str:
    return html[html.index('id="appendix-checks-table"') : html.index('id="appendix-parameters"')]


def test_checks_name_their_inputs_in_words(html):
    """The Note column names a check's inputs as the brief does; exact keys stay in the figures
    table, where derived rows list their inputs."""
    table = _checks_table(html)
    assert "Revenue · Generative AI FY2024" in table
    assert "revenue[generative_ai]" not in table and "rd_expense FY2023" not in table


def test_check_money_in_one_scale(html):
    """Stated, recomputed and differences in money share one scale and precision."""
    table = _checks_table(html)
    money = re.findall(r"RMB [−\d,.]+(?: (?:bn|m))?", table)
    assert money and all(m.endswith(" m") for m in money), money
    assert "RMB −2.0 m" in table and "RMB 3,770.0 m" in table


def test_outlook_status_and_dates_read_as_the_timeline_does(ds):
    """Status words from the same locale keys as the timeline legend; one date style."""
    from earnings_brief.i18n import t

    html = outlook.render(ds)
    statuses = set(re.findall(r"<td>(Done|Expected|done|expected)</td>", html))
    assert statuses == {t("charts.status.done"), t("charts.status.expected")}
    assert "2025-Q4" not in html and "2025 Q4" not in html


def test_single_period_charts_name_only_that_period(monkeypatch):
    """The fixture company has no H1-2024 spending: the subtitle names only H1-2025."""
    from earnings_brief import blocks
    from earnings_brief.chapters import revenue
    from earnings_brief.notebook import start

    data = Path(__file__).parent / "fixtures/data"
    shown = []
    monkeypatch.setattr(blocks, "show", shown.append)
    revenue.spending(start("revenue", company="northwind", period="H1-2025", data_dir=str(data)))
    subtitle = re.search(r'<span class="eb-subtitle">(.*?)</span>', "\n".join(shown))[1]
    assert "H1-2025" in subtitle and "H1-2024" not in subtitle


def test_many_items_of_one_figure_are_listed_compactly(ds, frame):
    """5,000 item rows once made a 389-page PDF; beyond the largest few they share one row."""
    import pandas as pd

    base = frame[(frame["metric"] == "revenue") & (frame["segment"] == "generative_ai")].iloc[0]
    items = pd.DataFrame(
        [{**base.to_dict(), "item": f"product_{i:02d}", "value": float(i)} for i in range(20)]
    )
    table = appendix.figures_table(ds, pd.concat([frame, items], ignore_index=True))
    rows = re.findall(r'<tr class="eb-(?:reported|derived)">(.*?)</tr>', table)
    assert len(rows) == len(frame) + 12 + 1
    (compact,) = [r for r in rows if "8 more items" in r]
    assert "Product 00" in compact and "Product 07" in compact and "Product 08" not in compact
    assert compact.count(";") == 7
