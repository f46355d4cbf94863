"""Captioned tables from frames, as plain escaped HTML.

Numbers are right-aligned with one precision per column; the unit belongs in the header, not in
the cells. A numeric cell is marked as derived when its row's ``basis`` (or the column's own
``<key>_basis``) is 'derived'. Every data string is escaped here.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from .i18n import t


@dataclass(frozen=True)
class Column:
    """One table column: ``digits`` makes it numeric (right-aligned, that many decimals);
    ``scale`` multiplies before formatting (100 shows a fraction as a percentage)."""

    key: str
    header: str
    digits: int | None = None
    scale: float = 1.0
    signed: bool = False
    right: bool = False  # right-align pre-formatted text (values of mixed units)

    @property
    def numeric(self) -> bool:
        return self.digits is not None


def number(value, digits: int, scale: float = 1.0, signed: bool = False, lang: str = "en") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("format.na", lang)
    text = f"{float(value) * scale:,.{digits}f}"
    if signed and float(value) > 0:
        text = "+" + text
    return text.replace("-", "−")


def _is_derived(row: pd.Series, column: Column) -> bool:
    own = row.get(f"{column.key}_basis")
    if isinstance(own, str) and own:
        return own == "derived"
    return row.get("basis") == "derived"


def has_derived(frame: pd.DataFrame, columns: list[Column]) -> bool:
    return any(_is_derived(row, c) for _, row in frame.iterrows() for c in columns if c.numeric)


def html_table(frame: pd.DataFrame, columns: list[Column], lang: str = "en") -> str:
    """The ``<table>`` of a block: escaped text, right-aligned numbers, derived cells marked."""
    esc = html.escape
    marker = t("tables.derived_marker", lang)
    right = ' class="num" style="text-align:right"'
    head = "".join(
        f'<th scope="col"{right if c.numeric or c.right else ""}>{esc(c.header)}</th>'
        for c in columns
    )
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            value = row.get(c.key)
            if not c.numeric:
                text = (
                    ""
                    if value is None or (isinstance(value, float) and math.isnan(value))
                    else str(value)
                )
                cells.append(f"<td{right if c.right else ''}>{esc(text)}</td>")
                continue
            text = esc(number(value, c.digits, c.scale, c.signed, lang))
            if _is_derived(row, c):
                cells.append(
                    f'<td class="num eb-derived" style="text-align:right">{text}'
                    f'<sup class="eb-derived-mark">{esc(marker)}</sup></td>'
                )
            else:
                cells.append(f'<td class="num" style="text-align:right">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="eb-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def derived_note(frame: pd.DataFrame, columns: list[Column], lang: str = "en") -> str:
    """The note under a table that has derived cells (empty when it has none)."""
    if not has_derived(frame, columns):
        return ""
    return t("tables.derived_note", lang, marker=t("tables.derived_marker", lang))
