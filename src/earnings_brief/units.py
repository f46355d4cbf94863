"""Units as written in data files, and the one place where they are converted.

A value is stored in its dimension's base unit: currency amounts in the currency unit, ratios as
fractions (0.108 for 10.8 %), durations in months, counts as plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DataError


@dataclass(frozen=True)
class Unit:
    dimension: str  # "money", "ratio", "points", "multiple", "compute", "count", "duration"
    base: str  # base unit symbol within the dimension, e.g. "RMB", "vehicles", "months"
    factor: float  # multiply the written value by this to get the base unit


_CURRENCIES = ("RMB", "USD", "HKD", "EUR")
MONEY_SCALES = {"": 1.0, "k": 1e3, "m": 1e6, "100m": 1e8, "bn": 1e9}
_COUNT_SCALES = {"": 1.0, "k": 1e3, "10k": 1e4, "m": 1e6, "100m": 1e8, "bn": 1e9}
_COUNTABLE = (
    "vehicles",
    "models",
    "cards",
    "customers",
    "users",
    "segments",
    "scenarios",
    "partners",
)


def _build() -> dict[str, Unit]:
    units: dict[str, Unit] = {
        "%": Unit("ratio", "ratio", 0.01),
        # Percentage points: a change in a share or margin, stored as a fraction like a ratio.
        "pp": Unit("points", "pp", 0.01),
        "x": Unit("multiple", "x", 1.0),
        "PFLOPS": Unit("compute", "PFLOPS", 1.0),
        "months": Unit("duration", "months", 1.0),
        "years": Unit("duration", "months", 12.0),
        "seconds": Unit("time", "seconds", 1.0),
    }
    for cur in _CURRENCIES:
        for scale, factor in MONEY_SCALES.items():
            units[f"{cur} {scale}".strip()] = Unit("money", cur, factor)
    for noun in _COUNTABLE:
        units.update(_counts(noun))
    return units


def _counts(noun: str) -> dict[str, Unit]:
    """'<noun>' and '<noun> <scale>' for one count noun."""
    return {f"{noun} {s}".strip(): Unit("count", noun, f) for s, f in _COUNT_SCALES.items()}


UNITS: dict[str, Unit] = _build()


def parse_unit(
    text: str,
    *,
    file: object = None,
    line: int | None = None,
    currency: str = "RMB",
    noun: str = "",
) -> Unit:
    """Look a written unit up, or raise a DataError that shows units in the company's currency.

    ``noun`` is the count noun the metric's catalog entry declares ('units', 'chips'): a count
    of it is written '<noun>' or '<noun> <scale>'."""
    unit = UNITS.get(text.strip()) or (_counts(noun).get(text.strip()) if noun else None)
    if unit is None:
        counted = f"'{noun} m'" if noun else "'vehicles 10k' (萬輛)"
        expected = (
            f"a unit such as '{currency} 100m' (億), '{currency} bn', '%', 'pp', 'x', 'PFLOPS', "
            f"{counted} or 'months' (see data/README.md)"
        )
        raise DataError(
            f"unknown unit '{text}'", file=file, line=line, field="unit", expected=expected
        )
    return unit


def to_base(value: float, unit: Unit) -> float:
    return value * unit.factor


def rounding_half_width(written: str, unit: Unit) -> float:
    """Half a unit of the last written digit, in base units: '37.7' → 0.05 億 → 5e6."""
    text = written.strip().lstrip("+-")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals * unit.factor
