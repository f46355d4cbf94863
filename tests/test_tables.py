"""Tables: escaped text, right-aligned numbers, one precision per column, derived cells marked."""

from __future__ import annotations

import pandas as pd

from earnings_brief.tables import Column, derived_note, html_table

COLUMNS = [
    Column("name", "Name"),
    Column("amount", "Amount (RMB bn)", 2),
    Column("share", "Share (%)", 1, 100.0, signed=True),
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


def test_text_is_escaped():
    html = html_table(_frame(), COLUMNS)
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in html and "<b>" not in html


def test_numbers_are_right_aligned_with_one_precision_per_column():
    html = html_table(_frame(), COLUMNS)
    assert '<th scope="col" class="num" style="text-align:right">Amount (RMB bn)</th>' in html
    assert ">3.70<" in html and ">12.35" in html
    assert ">+10.8<" in html and "−5.0" in html


def test_derived_cells_are_marked_and_noted():
    html = html_table(_frame(), COLUMNS)
    assert html.count('class="num eb-derived"') == 2
    assert derived_note(_frame(), COLUMNS) == (
        "Cells marked “derived” are computed from reported figures (see the appendix for their "
        "inputs)."
    )
    assert derived_note(_frame().assign(basis="reported"), COLUMNS) == ""


def test_a_column_basis_overrides_the_row_basis():
    frame = _frame().assign(basis="reported", share_basis=["derived", ""])
    assert html_table(frame, COLUMNS).count('eb-derived"') == 1


def test_missing_values_show_na():
    frame = _frame().assign(amount=[None, 1.0])
    assert ">n/a<" in html_table(frame, COLUMNS)
