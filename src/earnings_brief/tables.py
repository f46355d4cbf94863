"""The chapters' tables: a frame's rows as a block's cells, text and numbers (``blocks.Value``),
which the formatter writes at render time (render.py).

A numeric column has one precision; the unit belongs in the header, not in the cells. A numeric
cell is marked as derived when its row's ``basis`` (or the column's own ``<key>_basis``) is
'derived'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from . import blocks
from .blocks import Value
from .i18n import t


@dataclass(frozen=True)
class Column:
    """One table column: ``digits`` makes it numeric, a number per cell with that many decimals
    in ``style`` ('plain', or 'ratio': a fraction shown as a percentage); ``right`` aligns as
    numbers a column whose cells the chapter builds itself (figures in words, as ``Value``s)."""

    key: str
    header: str
    digits: int | None = None
    style: str = "plain"
    signed: bool = False
    right: bool = False

    @property
    def numeric(self) -> bool:
        return self.digits is not None or self.right

    def spec(self) -> blocks.Column:
        """The column as the block carries it: its header and its alignment."""
        return blocks.Column(self.header, self.numeric)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_derived(row: pd.Series, column: Column) -> bool:
    own = row.get(f"{column.key}_basis")
    if isinstance(own, str) and own:
        return own == "derived"
    return row.get("basis") == "derived"


def cell(row: pd.Series, column: Column) -> str | Value:
    """One cell: a ``Value`` built by the chapter as it is; a number of a numeric column as a
    ``Value`` of the column's style (None when unknown: the formatter writes n/a); else text."""
    value = row.get(column.key)
    if isinstance(value, Value):
        return value
    if column.digits is not None:
        number = None if _missing(value) else float(value)
        derived = _is_derived(row, column)
        return Value(number, column.style, column.digits, column.signed, derived=derived)
    return "" if _missing(value) else str(value)


def cells(frame: pd.DataFrame, columns: list[Column]) -> tuple[tuple[str | Value, ...], ...]:
    """The rows of a table block, one cell per column."""
    return tuple(tuple(cell(row, c) for c in columns) for _, row in frame.iterrows())


def derived_note(rows, lang: str = "en") -> str:
    """The note under a table that has derived cells (empty when it has none)."""
    if not any(isinstance(c, Value) and c.derived for row in rows for c in row):
        return ""
    return t("tables.derived_note", lang, marker=t("tables.derived_marker", lang))
