"""Sentences built from the data and the locale's templates; no number is typed by hand.

``quantity`` formats any figure by its dimension (money, ratio, multiple, count, …) with its
qualifier ('>' for "more than"); the sentence builders pick a template by the sign of a change
so that a fall never reads as a rise.
"""

from __future__ import annotations

import math
import re
from functools import cache

import pandas as pd

from . import formatting
from .i18n import has, t
from .units import MONEY_SCALES

SIGNED = ("_growth", "_change")
_RANGE = re.compile(r"(?<=\d)[-–](?=\d)")  # the dash of a written range: '107-108'


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def label(kind: str, key: str, lang: str = "en") -> str:
    """A vocabulary word (metric, item, unit) from the locale; a metric the locale lacks by the
    bundled catalog's label (so a Chinese edition never shows it in English); else the key made
    readable."""
    name = f"narrative.{kind}.{key}"
    if has(name, lang):
        return t(name, lang)
    if kind == "metric" and key in _catalog():
        return _catalog().label(key, lang)
    return key.replace("_", " ")


@cache
def _catalog():
    from . import catalog

    return catalog.load()


def _digits(value: float) -> int:
    return 0 if float(value).is_integer() else 1


def amount(
    value: float | None,
    dimension: str,
    unit: str,
    metric: str = "",
    *,
    currency: str = "",
    lang: str = "en",
    signed: bool | None = None,
    approximate: bool = False,
    scale: str | None = None,
    digits: int | None = None,
    money_digits: int | None = None,
) -> str:
    """One value in its dimension's style: 'RMB 3.77 bn', '63.7%', '6x', '1.67 m vehicles'.

    An ``approximate`` whole amount shows no decimals ('≈USD 100 bn'); ``scale`` ('bn', 'm')
    fixes the scale of a money amount, which is otherwise picked from its size; ``digits`` is a
    percentage's precision (one decimal unless told)."""
    if _missing(value):
        return t("format.na", lang)
    if dimension == "money":
        return formatting.money(
            value, unit or currency, lang, scale=scale, trim=approximate, written=money_digits
        )
    if dimension == "ratio":
        signed = metric.endswith(SIGNED) if signed is None else signed
        return formatting.percent(
            value, lang, signed=signed, digits=1 if digits is None else digits
        )
    if dimension == "points":
        return formatting.points(value, lang)
    if dimension == "multiple":
        return formatting.multiple(value, lang, digits=_digits(value))
    if dimension == "per_unit":
        money_unit, _, per = unit.partition("/")
        return t(
            "narrative.per_unit",
            lang,
            amount=formatting.money(value, money_unit, lang, scale=""),
            per=label("per", per, lang),
        )
    if dimension == "duration":
        if value >= 12 and (value / 12).is_integer():
            return t("narrative.unit.years", lang, number=formatting.shortest(value / 12))
        return t("narrative.unit.months", lang, number=formatting.shortest(value))
    number = formatting.count(value, lang)
    return (
        t(f"narrative.unit.{unit}", lang, number=number)
        if has(f"narrative.unit.{unit}", lang)
        else (f"{number} {unit}".strip())
    )


def written_digits(row) -> int | None:
    """The decimals the source wrote for a reported figure ('92' → 0, '10.8' → 1, '43.07' → 2);
    None for a derived one, which takes the house precision."""
    written = str(row.get("written") or "")
    if not written or row.get("basis") == "derived":
        return None
    return max(len(end.partition(".")[2]) for end in _RANGE.split(written))


def _money_digits(row, value: float, scale: str | None, lang: str) -> int | None:
    """The decimals the source wrote for an amount shown in the scale it was written in
    (43.07億元 stays 43.07億元 in Chinese); None when the scales differ."""
    digits = written_digits(row)
    written_scale = str(row.get("written_unit") or "").rpartition(" ")[2]
    if digits is None or row.get("dimension") != "money" or written_scale not in MONEY_SCALES:
        return None
    shown = formatting.money_scale(value, lang) if scale is None else scale
    same = formatting.divisor(shown, lang) == MONEY_SCALES[written_scale]
    return digits if same else None


def _duration(row, lang: str) -> str | None:
    """A reported duration in the unit the source wrote it in ('3 years', not '36 months')."""
    unit = str(row.get("written_unit") or "")
    if row.get("basis") == "derived" or not has(f"narrative.unit.{unit}", lang):
        return None
    number = "–".join(_RANGE.split(str(row["written"]).lstrip("+")))  # '3-6' → '3–6'
    return t(f"narrative.unit.{unit}", lang, number=number)


def quantity(
    row,
    *,
    currency: str = "",
    lang: str = "en",
    signed: bool | None = None,
    qualified: bool = True,
    scale: str | None = None,
    digits: int | None = None,
) -> str:
    """A figure (a row of the metrics frame) as text, with its qualifier: '>23,000 PFLOPS', with
    the precision the source wrote ('+92%', '≈40%', '95%') and in its unit ('>3 years')."""
    if row is None:
        return t("format.na", lang)
    qualifier = str(row.get("qualifier") or "")

    def text_of(value: float, scale: str | None) -> str:
        return amount(
            value,
            row.get("dimension", ""),
            str(row.get("unit", "")),
            str(row.get("metric", "")),
            currency=currency,
            lang=lang,
            signed=signed,
            approximate=formatting.approximate(qualifier),
            scale=scale,
            digits=written_digits(row) if digits is None else digits,
            money_digits=_money_digits(row, value, scale, lang) if digits is None else None,
        )

    ends = _range_ends(row)
    text = _duration(row, lang) if row.get("dimension") == "duration" else None
    if text is None and ends:  # a range as the source prints it, in one scale: 'RMB 107–108 m'
        scale = scale or formatting.money_scale(max(abs(e) for e in ends), lang)
        text = formatting.span(text_of(ends[0], scale), text_of(ends[1], scale))
    elif text is None:
        text = text_of(row["value"], scale)
    prefix = formatting.prefix(qualifier, lang) if qualified else ""
    return f"{prefix}{text.removeprefix('+') if prefix else text}"  # '>100%', not '>+100%'


def _range_ends(row) -> tuple[float, float] | None:
    """A figure's range (low, high) when the source gave one, else None."""
    lo, hi = row.get("range_lo"), row.get("range_hi")
    if lo is None or hi is None or _missing(lo) or _missing(hi):
        return None
    return float(lo), float(hi)


def percent_text(value: float | None, lang: str = "en", *, signed: bool = False) -> str:
    """A computed percentage: whole when it is whole ('20%'), else to one decimal ('13.0%')."""
    if _missing(value):
        return t("format.na", lang)
    whole = abs(value * 100 - round(value * 100)) < 1e-9
    return formatting.percent(value, lang, digits=0 if whole else 1, signed=signed)


def change_key(value: float | None, up: str = "up", down: str = "down", flat: str = "flat") -> str:
    """The template variant for a change: 'up', 'down' or 'flat'."""
    if _missing(value) or abs(value) < 1e-9:
        return flat
    return up if value > 0 else down


def magnitude(value: float | None, lang: str = "en", *, digits: int | None = None) -> str:
    """An unsigned percentage, for sentences that carry the direction in words."""
    if _missing(value):
        return t("format.na", lang)
    return formatting.percent(abs(value), lang, digits=1 if digits is None else digits)


def join(items: list[str], lang: str = "en") -> str:
    """'a, b and c' in the locale's words."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return t(
        "narrative.list", lang, head=t("narrative.list_sep", lang).join(items[:-1]), last=items[-1]
    )


def fact_sentence(fact: pd.Series, lang: str = "en") -> str:
    """A fact from facts.csv as the whole sentence its text is (the text names its own subject),
    with the Chinese name after the English one where the text uses it."""
    text = fact["text"].rstrip(".")
    en, zh = fact["name_en"], fact["name_zh"]
    at = text.lower().find(en.lower()) if en and zh and zh != en else -1
    if at >= 0:
        end = at + len(en)
        text = f"{text[:end]}{t('narrative.zh_after', lang, zh=zh)}{text[end:]}"
    return t("narrative.fact", lang, text=text[:1].upper() + text[1:])
