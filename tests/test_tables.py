"""Tables: a frame's rows as a block's cells, text as text and numbers as Values of one precision
per column (written at render time), derived cells marked and noted."""

from __future__ import annotations

import pandas as pd

from earnings_brief import blocks
from earnings_brief.blocks import Value
from earnings_brief.render import cell_html, cell_text
from earnings_brief.tables import Column, cells, derived_note

COLUMNS = [
    Column("name", "Name"),
    Column("amount", "Amount (RMB bn)", 2),
    Column("share", "Share (%)", 1, "ratio", signed=True),
]


def _frame():
    return pd.DataFrame(
        {
            "name": ["<b>A&B</b>", "C"],
            "amount": [3.7, 12.345],
            "share": [0.108, -0.05],
            "basis": ["reported", "derived"],
        }
    )


def test_text_stays_text_and_render_escapes_it():
    first = cells(_frame(), COLUMNS)[0][0]
    assert first == "<b>A&B</b>"
    assert cell_html(first, False, "en") == "<td>&lt;b&gt;A&amp;B&lt;/b&gt;</td>"


def test_numbers_are_values_with_one_precision_per_column():
    rows = cells(_frame(), COLUMNS)
    assert rows[0][1] == Value(3.7, "plain", 2)
    assert rows[1][2] == Value(-0.05, "ratio", 1, signed=True, derived=True)
    written = [[cell_text(c, "en") for c in row[1:]] for row in rows]
    assert written == [["3.70", "+10.8"], ["12.35", "−5.0"]]
    assert [c.spec() for c in COLUMNS] == [
        blocks.Column("Name", False),
        blocks.Column("Amount (RMB bn)", True),
        blocks.Column("Share (%)", True),
    ]


def test_a_column_of_figures_in_words_aligns_as_numbers_and_keeps_its_values():
    figure = Value(5.0, "quantity", figure={"value": 5.0, "dimension": "count", "unit": "x"})
    column = Column("value", "Value", right=True)
    assert column.spec().numeric
    assert cells(pd.DataFrame({"value": [figure]}), [column]) == ((figure,),)


def test_derived_cells_are_marked_and_noted():
    rows = cells(_frame(), COLUMNS)
    assert [c.derived for row in rows for c in row[1:]] == [False, False, True, True]
    assert derived_note(rows) == (
        "Cells marked “derived” are computed from reported figures (see the appendix for their "
        "inputs)."
    )
    assert derived_note(cells(_frame().assign(basis="reported"), COLUMNS)) == ""


def test_a_column_basis_overrides_the_row_basis():
    frame = _frame().assign(basis="reported", share_basis=["derived", ""])
    rows = cells(frame, COLUMNS)
    assert [c.derived for row in rows for c in row[1:]] == [False, True, False, False]


def test_missing_values_show_na():
    rows = cells(_frame().assign(amount=[None, 1.0]), COLUMNS)
    assert rows[0][1].value is None and cell_text(rows[0][1], "en") == "n/a"
    assert cells(pd.DataFrame({"name": [None]}), COLUMNS[:1]) == (("",),)
