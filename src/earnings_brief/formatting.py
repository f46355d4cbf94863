"""One number style everywhere: money, percent, percentage points, multiples and counts.

Values arrive in base units (see units.py): money in currency units, ratios as fractions.
Unit words and the house style of each language come from its ``format.toml``: the two scales
and their divisors (bn/m in English, 億/萬 in Chinese), decimals, currency words and date
patterns, so the same call serves every language.
"""

from __future__ import annotations

import math
import re

from .i18n import has, setting, t

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
    written: int | None = None,
) -> str:
    """3.77e9 → 'RMB 3.77 bn' in English, '37.7億元' in Chinese; picks the locale's large or small
    scale ('bn'/'m': 億/萬 in Chinese) unless ``scale`` is given.

    ``trim`` drops the decimals of a whole number at its scale, for approximate figures whose
    source gave no decimals ('≈USD 100 bn', not '≈USD 100.00 bn'); ``written`` is the
    decimals a source wrote in the same scale, kept as written (43.07億元, RMB 5.4 bn)."""
    if _missing(value):
        return t("format.na", lang)
    scale = money_scale(value, lang) if scale is None else scale
    shown = value / divisor(scale, lang)
    if digits is None:
        whole = trim and float(shown).is_integer()
        digits = written if written is not None else 0 if whole else decimals(shown, scale, lang)
    number = f"{shown:,.{digits}f}".replace("-", "−")
    return t(
        "format.money",
        lang,
        currency=currency_word(currency, lang),
        number=number,
        scale=t(f"format.scale.{scale}", lang) if scale else "",
    ).strip()


def money_unit(currency: str, scale: str, lang: str = "en") -> str:
    """The unit of a money axis or column: 'RMB bn', '億元'; the currency alone without a scale."""
    word = currency_word(currency, lang)
    if not scale:
        return word
    return t("format.money_unit", lang, currency=word, scale=t(f"format.scale.{scale}", lang))


def currency_word(currency: str, lang: str = "en") -> str:
    """'RMB' in English, '元' in Chinese: the locale's word for a currency code, else the code."""
    key = f"format.currency.{currency}"
    return t(key, lang) if has(key, lang) else currency


SCALES = ("bn", "m")  # the locale's large and small scale, largest first


def divisor(scale: str, lang: str = "en") -> float:
    """What an amount is divided by at ``scale``: 1e9 for 'bn' in English, 1e8 (億) in Chinese."""
    return float(setting(f"format.divisor.{scale}", lang)) if scale else 1.0


def decimals(shown: float, scale: str, lang: str = "en") -> int:
    """Decimals of an amount at ``scale``: the locale's fixed number, raised until the amount
    shows its ``significant`` digits (Chinese: 37.7億, 2.56億)."""
    fixed = int(setting(f"format.decimals.{scale or 'unit'}", lang))
    wanted = int(setting("format.significant", lang))
    whole = len(str(int(abs(shown)))) if abs(shown) >= 1 else 1
    return max(fixed, wanted - whole) if wanted else fixed


def money_scale(value: float, lang: str = "en") -> str:
    """The scale a money amount is shown in: 'bn', 'm' or '' (units)."""
    return next((s for s in SCALES if abs(value) >= divisor(s, lang)), "")


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
    """1_670_000 → '1.67 m' ('167萬' in Chinese); 10_000_000 → '10 m'; 23_000 → '23,000'.

    At a scale, up to two decimals (or the locale's significant digits: 129萬, not 129.26萬),
    trailing zeros dropped, so a count never shows a precision its source did not give ('10 m
    scenarios', not '10.00 m')."""
    if _missing(value):
        return t("format.na", lang)
    scale = money_scale(value, lang)
    if scale:
        shown = value / divisor(scale, lang)
        places = digits
        if digits is None:
            places = decimals(shown, scale, lang) if setting("format.significant", lang) else 2
        number = f"{shown:,.{places}f}"
        if digits is None and "." in number:
            number = number.rstrip("0").rstrip(".")
        return t("format.count", lang, number=number, scale=t(f"format.scale.{scale}", lang))
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
        return t("format.date.half", lang, half=t(f"format.half.{half}", lang), year=year)
    if not month:
        return t("format.date.year", lang, year=year)
    name = t(f"format.month.{int(month)}", lang)  # 'Mar' in English, '3' in Chinese
    if day:
        return t("format.date.day", lang, day=int(day), month=name, year=year)
    return t("format.date.month", lang, month=name, year=year)


def value(cell, lang: str = "en") -> str:
    """A table cell's number (a ``blocks.Value``) in words by its style: 'plain' with its
    decimals, 'percent' (a fraction), 'ratio' (a fraction ×100, no sign: the header says %),
    'points', 'multiple', 'count' or 'money'."""
    v = cell.value
    if _missing(v):
        return t("format.na", lang)
    if cell.style == "percent":
        digits = 1 if cell.digits is None else cell.digits
        return percent(v, lang, digits=digits, signed=cell.signed)
    if cell.style == "ratio":  # a fraction as a bare percentage: the header carries the unit
        return plain(v * 100, 1 if cell.digits is None else cell.digits, signed=cell.signed)
    if cell.style == "points":
        return points(v, lang, digits=1 if cell.digits is None else cell.digits)
    if cell.style == "multiple":
        return multiple(v, lang, digits=cell.digits or 0)
    if cell.style == "count":
        return count(v, lang, digits=cell.digits)
    if cell.style == "money":
        return money(v, cell.currency or "RMB", lang, scale=cell.scale or None, digits=cell.digits)
    return plain(v, cell.digits or 0, signed=cell.signed)


def plain(value: float, digits: int = 0, *, signed: bool = False) -> str:
    """A bare number with thousands separators and a true minus: 1234.5 → '1,234.5'."""
    text = f"{value:,.{digits}f}"
    return ("+" + text if signed and value > 0 else text).replace("-", "−")


def shortest(value: float) -> str:
    """A number in as few digits as it has, for one the source wrote that way: 3.0 → '3',
    1.5 → '1.5' (a duration in months or years, an N-fold growth)."""
    return f"{value:g}"


def signed(text: str, value: float | None) -> str:
    """A formatted change with its sign: 'RMB 1.7 m' → 'RMB +1.7 m' when ``value`` is above zero
    (a negative number already carries its '−'; zero and a missing value take none)."""
    found = None if _missing(value) or value <= 0 else _NUMBER.search(text)
    return f"{text[: found.start()]}+{text[found.start() :]}" if found else text
