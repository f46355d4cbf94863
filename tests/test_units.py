"""Written units and their one conversion into base units."""

from __future__ import annotations

import pytest

from earnings_brief.errors import DataError
from earnings_brief.units import UNITS, parse_unit, rounding_half_width, to_base


@pytest.mark.parametrize(
    ("written", "value", "dimension", "base", "expected"),
    [
        ("RMB 100m", 37.7, "money", "RMB", 3.77e9),  # 億元
        ("RMB bn", 3.77, "money", "RMB", 3.77e9),
        ("USD 100m", 1000, "money", "USD", 1e11),  # 千億美元
        ("HKD m", 1250, "money", "HKD", 1.25e9),
        ("RMB", 5, "money", "RMB", 5.0),
        ("vehicles 10k", 167, "count", "vehicles", 1.67e6),  # 萬輛
        ("vehicles 10k", 1100, "count", "vehicles", 1.1e7),
        ("models", 42, "count", "models", 42.0),
        ("scenarios m", 10, "count", "scenarios", 1e7),
        ("%", 10.8, "ratio", "ratio", 0.108),
        ("%", -33.2, "ratio", "ratio", -0.332),
        ("x", 6, "multiple", "x", 6.0),
        ("PFLOPS", 23000, "compute", "PFLOPS", 23000.0),
        ("years", 1.5, "duration", "months", 18.0),
        ("years", 5, "duration", "months", 60.0),
        ("months", 3, "duration", "months", 3.0),
        ("seconds", 150, "time", "seconds", 150.0),
    ],
)
def test_conversion_to_base_units(written, value, dimension, base, expected):
    unit = parse_unit(written)
    assert unit.dimension == dimension
    assert unit.base == base
    assert to_base(value, unit) == pytest.approx(expected, rel=1e-12)


def test_surrounding_whitespace_is_ignored():
    assert parse_unit("  RMB 100m ") == UNITS["RMB 100m"]


def test_years_and_months_share_a_base():
    years, months = parse_unit("years"), parse_unit("months")
    assert years.base == months.base == "months"
    assert to_base(2, years) == to_base(24, months)


@pytest.mark.parametrize(
    ("written", "unit", "half"),
    [
        ("37.7", "RMB 100m", 0.05e8),  # '37.7' 億 → ± RMB 5 m
        ("43.07", "RMB 100m", 0.005e8),
        ("24.04", "RMB 100m", 0.005e8),
        ("37.70", "RMB 100m", 0.005e8),  # a trailing zero is a written digit
        ("167", "vehicles 10k", 0.5e4),
        ("10.8", "%", 0.0005),
        ("-33.2", "%", 0.0005),  # the sign is not a digit
        ("+5", "%", 0.005),
        ("1.5", "years", 0.6),  # ± 0.05 years = ± 0.6 months
        ("23000", "PFLOPS", 0.5),
        ("1,250", "HKD m", 0.5e6),
    ],
)
def test_rounding_half_width(written, unit, half):
    assert rounding_half_width(written, parse_unit(unit)) == pytest.approx(half, rel=1e-12)


@pytest.mark.parametrize("written", ["億", "RMB 億", "RMB  100m", "rmb 100m", "percent", ""])
def test_unknown_unit_is_a_data_error(written):
    with pytest.raises(DataError) as info:
        parse_unit(written, file="figures.csv", line=7)
    err = info.value
    assert err.field == "unit"
    assert err.file == "figures.csv"
    assert err.line == 7
    assert f"unknown unit '{written}'" in err.message
    assert "'RMB 100m'" in err.expected  # the message shows what is allowed
    assert err.one_line().startswith("figures.csv:7: field 'unit': unknown unit")


def test_every_unit_has_a_positive_factor():
    assert UNITS, "no units defined"
    for name, unit in UNITS.items():
        assert unit.factor > 0, name


def test_unknown_unit_suggests_units_in_the_company_currency():
    with pytest.raises(DataError) as caught:
        parse_unit("HKD mn", currency="HKD")
    assert "'HKD 100m'" in caught.value.expected and "RMB" not in caught.value.expected
