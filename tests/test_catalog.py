"""The metric catalog: bundled definitions, a dataset's extension, and the API chapters use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mini_data import UNITS_CATALOG, row, write
from mini_data import load as load_mini

from earnings_brief import catalog, dataset, metrics
from earnings_brief.errors import DataError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "data"


@pytest.fixture(scope="module")
def cat() -> catalog.Catalog:
    return catalog.load()


@pytest.mark.parametrize(
    ("company", "period", "root"),
    [("sensetime", "FY2024", REPO / "data"), ("northwind", "H1-2025", FIXTURES)],
)
def test_every_reported_and_derived_metric_is_defined_in_both_languages(company, period, root):
    ds = dataset.load(company, period, root)
    frame = metrics.derive(ds)
    for metric in set(frame["metric"]):
        m = ds.catalog.get(metric)
        assert m is not None, metric
        assert m.label_en and m.label_zh, metric
        assert m.kind in catalog.KINDS, metric
        assert m.topic.split(".")[0] in catalog.CHAPTERS, metric


def test_api(cat):
    assert cat.label("revenue") == "Revenue"
    assert cat.label("rd_expense", "zh-Hant") == "研發開支"
    assert cat.label("net_loss", "zh") == "虧損淨額"
    assert cat.kind("gross_margin") == "margin"
    assert cat.noun("vehicles_delivered") == "vehicles"
    assert cat.noun("vehicles_delivered", "zh-Hant") == "輛"
    assert cat.noun("revenue") == ""
    assert cat.is_signed("ebitda") and cat.is_signed("net_profit")
    assert not cat.is_signed("net_loss") and not cat.is_signed("revenue")
    assert cat.parent("rd_expense") == "opex_ex_sbc"
    assert cat.topic("compute_capacity") == "infrastructure.compute"
    assert cat.negation("net_loss") == "net_profit"
    assert cat.negation("net_profit") == "net_loss"
    assert cat.negation("revenue") == ""
    assert "revenue" in cat.peer_metrics() and "compute_capacity" not in cat.peer_metrics()


def test_metrics_for_a_topic_follow_catalog_order(cat):
    assert cat.metrics_for_topic("revenue.gross_profit") == ["gross_profit", "gross_margin"]
    spending = cat.metrics_for_topic("revenue.spending")
    assert spending.index("opex_ex_sbc") < spending.index("rd_expense") < spending.index("capex")
    whole = cat.metrics_for_topic("auto")
    assert whole[0] == "vehicles_delivered" and "world_model_scenario_library" in whole
    assert cat.metrics_for_topic("auto.nothing") == []


def test_growth_and_change_are_defined_by_implication(cat):
    g = cat.get("capex_growth")
    assert (g.label_en, g.label_zh, g.kind, g.signed) == (
        "Capex growth",
        "資本開支增長",
        "growth",
        True,
    )
    assert g.topic == cat.topic("capex")
    assert cat.get("gross_margin_change").label_en == "Gross margin change"
    assert cat.get("rd_expense_growth").label_en == "R&D growth"  # an entry beats the implication
    assert cat.get("no_such_thing_growth") is None


def test_a_dataset_catalog_adds_and_overrides(tmp_path):
    extension = UNITS_CATALOG + '\n[metrics.revenue]\nlabel_en = "Turnover"\n'
    ds = load_mini(tmp_path, [row("units_shipped", "2.9", "units m")], catalog=extension)
    assert ds.catalog.label("units_shipped") == "Units shipped"
    assert ds.catalog.label("revenue") == "Turnover"
    assert ds.catalog.label("revenue", "zh-Hant") == "收入"  # fields not overridden are kept
    assert ds.catalog.kind("revenue") == "money"
    assert ds.catalog.files[-1] == tmp_path / "mini" / "catalog.toml"
    assert tmp_path / "mini" / "catalog.toml" in ds.files
    assert tmp_path / "mini" / "catalog.toml" in dataset.dataset_files("mini", "FY2025", tmp_path)
    assert catalog.load().label("revenue") == "Revenue"  # the bundled catalog is untouched


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ('[metrics.x]\nlabel_en = "X"\nkind = "weight"', "metrics.x.kind", "money"),
        ('[metrics.x]\nkind = "money"', "metrics.x.label_en", "a string"),
        ('[metrics.x]\nlabel_en = "X"\nkind = "count"', "metrics.x.noun_en", "plural noun"),
        ('[metrics.x]\nlabel_en = "X"\nkind = "money"\nsigned = "yes"', "metrics.x.signed", "bool"),
        ('[metrics.x]\nlabel_en = "X"\nkind = "money"\ncolour = "red"', "metrics.x.colour", "kind"),
        ('[metrics.x]\nlabel_en = "X"\nkind = "money"\ntopic = "cover"', "metrics.x.topic", "<"),
        ('[metrics.x]\nlabel_en = "X"\nkind = "money"\nparent = "nope"', "metrics.x.parent", "a"),
    ],
)
def test_a_bad_catalog_entry_is_named(tmp_path, text, field, expected):
    with pytest.raises(DataError) as info:
        load_mini(tmp_path, [row("revenue", "1", "HKD m")], catalog=text)
    err = info.value
    assert err.file == str(tmp_path / "mini" / "catalog.toml")
    assert err.field == field
    assert expected in err.expected


def test_an_unknown_metric_is_one_line_naming_file_line_metric_and_catalog(tmp_path):
    rows = [row("revenue", "10", "HKD m"), row("adjusted_ebitda_los", "-3", "HKD m")]
    write(tmp_path, rows)
    env = {k: v for k, v in os.environ.items() if k != dataset.DATA_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "earnings_brief", "check", "--company", "mini", "--period"]
        + ["FY2025", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    lines = [t for t in result.stderr.splitlines() if t.strip()]
    assert len(lines) == 1, result.stderr
    (message,) = lines
    assert str(tmp_path / "mini" / "FY2025" / "figures.csv") + ":3" in message
    assert "unknown metric 'adjusted_ebitda_los'" in message
    assert str(tmp_path / "mini" / "catalog.toml") in message
    assert "Traceback" not in result.stderr + result.stdout


def test_a_dataset_catalog_with_a_byte_order_mark_loads_and_its_labels_have_limits(tmp_path):
    extension = '\ufeff[metrics.revenue]\nlabel_en = "Turnover"\n'
    ds = load_mini(tmp_path / "bom", [row("revenue", "1", "HKD m")], catalog=extension)
    assert ds.catalog.label("revenue") == "Turnover"
    with pytest.raises(DataError) as info:
        long = f'[metrics.revenue]\nlabel_en = "{"Turnover " * 20}"\n'
        load_mini(tmp_path / "long", [row("revenue", "1", "HKD m")], catalog=long)
    assert info.value.field == "metrics.revenue.label_en" and "at most 80" in info.value.expected
