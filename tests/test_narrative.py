"""Sentences and quantities from the data: formats by dimension, qualifiers, change direction."""

from __future__ import annotations

import pandas as pd

from earnings_brief import narrative


def _row(metric, value, dimension, unit, qualifier=""):
    return pd.Series(
        {
            "metric": metric,
            "value": value,
            "dimension": dimension,
            "unit": unit,
            "qualifier": qualifier,
        }
    )


def test_quantity_by_dimension():
    assert narrative.quantity(_row("revenue", 3.77e9, "money", "RMB")) == "RMB 3.77 bn"
    assert narrative.quantity(_row("revenue_growth", 0.108, "ratio", "ratio")) == "+10.8%"
    assert narrative.quantity(_row("gross_margin", 0.429, "ratio", "ratio")) == "42.9%"
    assert narrative.quantity(_row("x_multiple", 6.0, "multiple", "x", "more_than")) == ">6x"
    assert narrative.quantity(
        _row("compute_capacity", 23000, "compute", "PFLOPS", "more_than")
    ) == (">23,000 PFLOPS")
    assert (
        narrative.quantity(_row("vehicles_delivered", 1.67e6, "count", "vehicles"))
        == "1.67 m vehicles"
    )
    assert (
        narrative.quantity(_row("cycle_length", 60, "duration", "months", "approx")) == "≈5 years"
    )
    assert narrative.quantity(None) == "n/a"


def test_counts_carry_no_spurious_decimals():
    """'of the order of ten million' is '≈10 m scenarios', never '≈10.00 m'; money likewise."""
    scenarios = _row("scenario_library", 1e7, "count", "scenarios", "order_of")
    assert narrative.quantity(scenarios) == "≈10 m scenarios"
    design = _row("design_win_vehicles", 1.1e7, "count", "vehicles", "more_than")
    assert narrative.quantity(design) == ">11 m vehicles"
    peer = _row("peer_investment", 1e11, "money", "USD", "order_of")
    assert narrative.quantity(peer) == "≈USD 100 bn"


def test_change_key_reads_the_sign():
    assert narrative.change_key(0.1) == "up"
    assert narrative.change_key(-0.1) == "down"
    assert narrative.change_key(None) == "flat"
    assert narrative.change_key(-0.3, "wider", "narrower") == "narrower"


def test_magnitude_drops_the_sign():
    assert narrative.magnitude(-0.337) == "33.7%"


def test_join_and_labels():
    assert narrative.join(["a", "b", "c"]) == "a, b and c"
    assert narrative.join(["a"]) == "a"
    assert narrative.label("metric", "gross_margin") == "Gross margin"
    assert narrative.label("metric", "some_new_metric") == "some new metric"


def test_fact_sentence_is_the_whole_fact_with_the_chinese_name_where_named():
    fact = pd.Series(
        {
            "kind": "strategy",
            "name_en": "One base, two wings",
            "name_zh": "一基兩翼",
            "text": "under the one base, two wings plan, apps focus on two tools.",
        }
    )
    assert narrative.fact_sentence(fact) == (
        "Under the one base, two wings (一基兩翼) plan, apps focus on two tools."
    )
    plain = pd.Series({"kind": "view", "name_en": "Cheaper models", "name_zh": "", "text": "X b"})
    assert narrative.fact_sentence(plain) == "X b."
    assert "Strategy:" not in narrative.fact_sentence(fact)


def _reported(metric, value, dimension, unit, written, written_unit, qualifier=""):
    row = _row(metric, value, dimension, unit, qualifier)
    return pd.concat([row, pd.Series({"written": written, "written_unit": written_unit})])


def test_precision_is_the_sources():
    """'+92%' where the source wrote 92, '≈40%' for 4成, '95%'; derived ratios keep one decimal."""
    growth = _reported("compute_capacity_growth", 0.92, "ratio", "ratio", "92", "%")
    assert narrative.quantity(growth) == "+92%"
    share = _reported("long_term_customer_share", 0.4, "ratio", "ratio", "40", "%", "approx")
    assert narrative.quantity(share) == "≈40%"
    margin = _reported("gross_margin", 0.429, "ratio", "ratio", "42.9", "%")
    assert narrative.quantity(margin) == "42.9%"
    derived = pd.concat(
        [_row("opex_to_revenue", 1.61, "ratio", "ratio"), pd.Series({"basis": "derived"})]
    )
    assert narrative.quantity(derived) == "161.0%"
    assert narrative.written_digits(derived) is None


def test_durations_in_the_unit_the_source_wrote():
    tenure = _reported("tenure", 36, "duration", "months", "3", "years", "more_than")
    assert narrative.quantity(tenure) == ">3 years"  # never '>36 months'
    chip = _reported("cycle_length_min", 18, "duration", "months", "1.5", "years")
    assert narrative.quantity(chip) == "1.5 years"


def test_a_bound_on_a_signed_figure_reads_without_a_plus():
    growth = _reported("revenue_growth", 1.0, "ratio", "ratio", "100", "%", "more_than")
    assert narrative.quantity(growth) == ">100%"
    bound = _row("revenue_per_vehicle", 153.3, "per_unit", "RMB/vehicles", "less_than")
    assert narrative.quantity(bound, currency="RMB") == "<RMB 153 per vehicle"


def test_a_metric_the_locale_lacks_is_named_by_the_catalog_in_either_language():
    assert narrative.label("metric", "gross_profit_growth", "zh-Hant") == "毛利增長"
    assert narrative.label("metric", "gross_profit_growth") == "Gross profit growth"
    assert narrative.label("metric", "no_such_metric", "zh-Hant") == "no such metric"


def test_an_amount_shown_in_the_scale_it_was_written_in_keeps_its_decimals():
    row = {
        "value": 4.307e9,
        "dimension": "money",
        "unit": "RMB",
        "metric": "net_loss",
        "written": "43.07",
        "written_unit": "RMB 100m",
        "basis": "reported",
        "qualifier": "",
    }
    assert narrative.quantity(row, lang="zh-Hant") == "43.07億元"  # written in 億, shown in 億
    assert narrative.quantity(row) == "RMB 4.31 bn"  # another scale: the house precision
    derived = {**row, "basis": "derived"}
    assert narrative.quantity(derived, lang="zh-Hant") == "43.1億元"
    # written in bn and shown in bn: as written, not padded to the house's two decimals
    loss = {**row, "value": 5.4e9, "written": "5.4", "written_unit": "RMB bn"}
    assert narrative.quantity(loss) == "RMB 5.4 bn"
