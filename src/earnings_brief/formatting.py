"""One number style everywhere: money, percent, percentage points, multiples and counts.

Values arrive in base units (see units.py): money in currency units, ratios as fractions.
Unit words come from the locale, so the same call serves every language.
"""

from __future__ import annotations

import math
import re

from .i18n import t

QUALIFIER_PREFIX = {
    "more_than": "more_than",
    "less_than": "less_than",  # only derived figures: an exact amount over a lower bound
    "up_to": "up_to",
    "approx": "approx",
    "order_of": "approx",
}


DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?|-Q([1-4])|-H([12]))?$")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def prefix(qualifier: str, lang: str = "en") -> str:
    """'>' for 'more than', '≈' for 'about' …, from the locale; empty for an exact figure."""
    key = QUALIFIER_PREFIX.get(qualifier or "")
    return t(f"format.qualifier.{key}", lang) if key else ""


def approximate(qualifier: str) -> bool:
    """Whether a qualifier makes a figure approximate ('about', 'of the order of')."""
    return QUALIFIER_PREFIX.get(qualifier or "") == "approx"


def money(
    value: float | None,
    currency: str = "RMB",
    lang: str = "en",
    *,
    scale: str | None = None,
    digits: int | None = None,
    trim: bool = False,
) -> str:
    """3.77e9 → 'RMB 3.77 bn'; picks bn or m unless ``scale`` is given.

    ``trim`` drops the decimals of a whole number at its scale, for approximate figures whose
    source gave no decimals ('≈USD 100 bn', not '≈USD 100.00 bn')."""
    if _missing(value):
        return t("format.na", lang)
    scale = scale or money_scale(value)
    divisor = {"bn": 1e9, "m": 1e6, "": 1.0}[scale]
    if digits is None:
        whole = trim and float(value / divisor).is_integer()
        digits = 2 if scale == "bn" and not whole else 0
    number = f"{value / divisor:,.{digits}f}".replace("-", "−")
    return t(
        "format.money",
        lang,
        currency=currency,
        number=number,
        scale=t(f"format.scale.{scale}", lang) if scale else "",
    ).strip()


def money_scale(value: float) -> str:
    """The scale a money amount is shown in: 'bn', 'm' or '' (units)."""
    return "bn" if abs(value) >= 1e9 else "m" if abs(value) >= 1e6 else ""


def percent(ratio: float | None, lang: str = "en", *, digits: int = 1, signed: bool = False) -> str:
    """0.108 → '10.8%'; with ``signed`` → '+10.8%'."""
    if _missing(ratio):
        return t("format.na", lang)
    sign = "+" if signed and ratio > 0 else ""
    return t("format.percent", lang, number=f"{sign}{ratio * 100:,.{digits}f}".replace("-", "−"))


def points(delta: float | None, lang: str = "en", *, digits: int = 1) -> str:
    """A change in a ratio: 0.289 → '+28.9 pp'."""
    if _missing(delta):
        return t("format.na", lang)
    sign = "+" if delta > 0 else ""
    return t("format.points", lang, number=f"{sign}{delta * 100:,.{digits}f}".replace("-", "−"))


def multiple(value: float | None, lang: str = "en", *, digits: int = 0) -> str:
    """6 → '6x'."""
    if _missing(value):
        return t("format.na", lang)
    return t("format.multiple", lang, number=f"{value:,.{digits}f}")


def count(value: float | None, lang: str = "en", *, digits: int | None = None) -> str:
    """1_670_000 → '1.67 m'; 3_600_000 → '3.6 m'; 10_000_000 → '10 m'; 23_000 → '23,000'.

    Millions keep up to two decimals and drop the trailing zeros, so a count never shows a
    precision its source did not give ('10 m scenarios', not '10.00 m')."""
    if _missing(value):
        return t("format.na", lang)
    if abs(value) >= 1e6:
        number = f"{value / 1e6:,.{2 if digits is None else digits}f}"
        if digits is None and "." in number:
            number = number.rstrip("0").rstrip(".")
        return t("format.count_millions", lang, number=number)
    return f"{value:,.{0 if digits is None else digits}f}"


_NUMBER = re.compile(r"[−+-]?\d[\d,]*(?:\.\d+)?")


def span(low: str, high: str) -> str:
    """Two ends of a range in one unit: 'RMB 107 m', 'RMB 108 m' → 'RMB 107–108 m'."""
    a, b = _NUMBER.search(low), _NUMBER.search(high)
    if a and b and low[: a.start()] == high[: b.start()] and low[a.end() :] == high[b.end() :]:
        return f"{high[: b.start()]}{a.group()}–{b.group()}{high[b.end() :]}"
    return f"{low}–{high}"


def date(text: str, lang: str = "en") -> str:
    """A date as the data writes it, for a reader: '2025-03-26' → '26 Mar 2025', '2025-03' →
    'Mar 2025', '2025-Q4' → 'Q4 2025', '2025-H1' → 'H1 2025'; anything else as written."""
    m = DATE.match(text)
    if not m:
        return text
    year, month, day, quarter, half = m.groups()
    if quarter:
        return t("format.date.quarter", lang, quarter=quarter, year=year)
    if half:
        return t("format.date.half", lang, half=half, year=year)
    if not month:
        return t("format.date.year", lang, year=year)
    name = t(f"format.month.{int(month)}", lang)
    if day:
        return t("format.date.day", lang, day=int(day), month=name, year=year)
    return t("format.date.month", lang, month=name, year=year)
