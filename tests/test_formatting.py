"""One number style: money, percent, percentage points, multiples, counts, qualifiers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from earnings_brief import formatting as fmt


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (3.77e9, {}, "RMB 3.77 bn"),
        (4.307e9, {}, "RMB 4.31 bn"),
        (2.56e8, {}, "RMB 256 m"),
        (1.129e9, {}, "RMB 1.13 bn"),
        (1.25e9, {"currency": "HKD"}, "HKD 1.25 bn"),
        (5_000, {}, "RMB 5,000"),
        (3.77e9, {"scale": "m"}, "RMB 3,770 m"),
        (3.77e9, {"scale": "m", "digits": 1}, "RMB 3,770.0 m"),
        (2.56e8, {"scale": "bn", "digits": 3}, "RMB 0.256 bn"),
        (np.float64(3.77e9), {}, "RMB 3.77 bn"),
        (-7.22e8, {}, "RMB −722 m"),  # a true minus sign, as in percent()
        (1e11, {"currency": "USD", "trim": True}, "USD 100 bn"),  # no decimals never given
        (3.4e9, {"trim": True}, "RMB 3.40 bn"),
        (4e9, {}, "RMB 4.00 bn"),
    ],
)
def test_money(value, kwargs, expected):
    assert fmt.money(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("ratio", "kwargs", "expected"),
    [
        (0.108, {}, "10.8%"),
        (0.108, {"signed": True}, "+10.8%"),
        (-0.332, {}, "−33.2%"),  # a true minus sign
        (-0.332, {"signed": True}, "−33.2%"),
        (1.031, {}, "103.1%"),
        (0.63767, {"digits": 2}, "63.77%"),
        (12.5, {"digits": 0}, "1,250%"),
        (0.0, {"signed": True}, "0.0%"),
    ],
)
def test_percent(ratio, kwargs, expected):
    assert fmt.percent(ratio, **kwargs) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [(0.289, "+28.9 pp"), (-0.244, "−24.4 pp"), (0.0, "0.0 pp"), (-0.0007, "−0.1 pp")],
)
def test_points(delta, expected):
    assert fmt.points(delta) == expected


def test_multiple():
    assert fmt.multiple(6) == "6x"
    assert fmt.multiple(1.1e7 / 1.67e6, digits=1) == "6.6x"
    assert fmt.multiple(1000) == "1,000x"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (1_670_000, {}, "1.67 m"),
        (11_000_000, {}, "11 m"),  # no spurious decimals on a whole count
        (10_000_000, {}, "10 m"),
        (3_600_000, {}, "3.6 m"),
        (1_290_000.4, {}, "1.29 m"),
        (3_600_000, {"digits": 1}, "3.6 m"),
        (23_000, {}, "23,000"),
        (42, {}, "42"),
        (11_979.2, {}, "11,979"),
        (153.29, {"digits": 1}, "153.3"),
    ],
)
def test_count(value, kwargs, expected):
    assert fmt.count(value, **kwargs) == expected


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), np.float64("nan")])
@pytest.mark.parametrize("func", [fmt.money, fmt.percent, fmt.points, fmt.multiple, fmt.count])
def test_missing_values_read_n_a(func, missing):
    assert func(missing) == "n/a"


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("more_than", ">"),
        ("up_to", "up to "),
        ("approx", "≈"),
        ("order_of", "≈"),
        ("", ""),
        (None, ""),
        ("conflicting", ""),  # not a prefix: the conflict is shown by the check, not the number
    ],
)
def test_prefix(qualifier, expected):
    assert fmt.prefix(qualifier) == expected


def test_prefix_and_number_compose():
    assert fmt.prefix("more_than") + fmt.count(23_000) == ">23,000"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("2025-03-26", "26 Mar 2025"),
        ("2025-03", "Mar 2025"),
        ("2025-Q4", "Q4 2025"),
        ("2025-H1", "H1 2025"),
        ("2025", "2025"),
        ("soon", "soon"),
    ],
)
def test_dates_for_readers(written, shown):
    assert fmt.date(written) == shown


ZH = "zh-Hant"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (3.77e9, {}, "37.7億元"),  # 億 with three significant digits, as the source writes it
        (2.56e8, {}, "2.56億元"),
        (4.307e9, {}, "43.1億元"),
        (-7.22e8, {}, "−7.22億元"),
        (5.2e7, {}, "5,200萬元"),
        (1e11, {"currency": "USD", "trim": True}, "1,000億美元"),
        (1.25e9, {"currency": "HKD"}, "12.5億港元"),
        (3.77e9, {"scale": "m"}, "377,000萬元"),
        (1_525, {"scale": ""}, "1,525元"),
    ],
)
def test_money_in_chinese(value, kwargs, expected):
    assert fmt.money(value, lang=ZH, **kwargs) == expected


def test_money_scale_and_unit_follow_the_locale():
    assert fmt.money_scale(2.56e8) == "m"
    assert fmt.money_scale(2.56e8, ZH) == "bn"  # the large scale: 億
    assert fmt.money_scale(5.2e7, ZH) == "m"
    assert fmt.money_unit("RMB", "bn") == "RMB bn"
    assert fmt.money_unit("RMB", "bn", ZH) == "億元"
    assert fmt.money_unit("RMB", "", ZH) == "元"


@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (fmt.count, (1_670_000,), "167萬"),
        (fmt.count, (23_000,), "2.3萬"),
        (fmt.count, (1_292_600,), "129萬"),  # three significant digits, as 167萬
        (fmt.count, (11_000_000,), "1,100萬"),
        (fmt.count, (3.2e8,), "3.2億"),
        (fmt.count, (420,), "420"),
        (fmt.percent, (0.108,), "10.8%"),
        (fmt.points, (-0.329,), "−32.9個百分點"),
        (fmt.points, (0.289,), "+28.9個百分點"),
        (fmt.multiple, (6,), "6倍"),
        (fmt.date, ("2025-03-26",), "2025年3月26日"),
        (fmt.date, ("2025-03",), "2025年3月"),
        (fmt.date, ("2025-Q4",), "2025年第4季"),
        (fmt.date, ("2025-H1",), "2025年上半年"),
        (fmt.prefix, ("more_than",), "逾"),
    ],
)
def test_chinese_house_style(func, args, expected):
    assert func(*args, ZH) == expected


def test_signed_percent_in_chinese():
    assert fmt.percent(0.108, ZH, signed=True) == "+10.8%"
    assert fmt.money(None, lang=ZH) == "不詳"


def test_shortest_writes_a_number_in_the_digits_it_has():
    assert [fmt.shortest(v) for v in (3.0, 1.5, 36, 0.25)] == ["3", "1.5", "36", "0.25"]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("RMB 1.7 m", 1.7e6, "RMB +1.7 m"),
        ("RMB −2.0 m", -2e6, "RMB −2.0 m"),
        ("1.67 m", 0.0, "1.67 m"),
        ("n/a", None, "n/a"),
        ("1.7億元", 1.7e8, "+1.7億元"),
    ],
)
def test_signed_marks_a_rise_before_its_number(text, value, expected):
    assert fmt.signed(text, value) == expected
