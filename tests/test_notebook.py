"""The notebooks' API (notebook.py): a context started from parameters, and ``ctx.show``, which
displays a chapter function's blocks as the notebook's outputs and remembers what it showed."""

from __future__ import annotations

import IPython.display

from earnings_brief import blocks, render
from earnings_brief.blocks import Heading, Prose, Table
from earnings_brief.notebook import start


def test_show_displays_each_block_with_its_payload_and_remembers_what_it_cited(monkeypatch):
    outputs = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw: outputs.append(data))
    ctx = start("revenue", language="zh-Hant")
    assert [o[blocks.MIME]["type"] for o in outputs] == ["data"]  # start's derived figures
    outputs.clear()
    table = Table("revenue-x", "T", "S", (), (), cites=(("revenue", "", "", "FY2024"),))
    shown = [Heading(2, "revenue-x", "Section"), Prose("One."), table]
    assert ctx.show(shown) is None  # nothing for the cell to echo
    assert [o[blocks.MIME] for o in outputs] == [blocks.payload(b) for b in shown]
    assert outputs[2]["text/html"] == render.render(table, "zh-Hant")  # the edition's words
    assert ctx.shown == shown and ctx.cited == {("revenue", "", "", "FY2024")}
    ctx.show([])
    assert ctx.shown == shown


def test_a_new_context_has_shown_nothing():
    ctx = start("segments")
    assert ctx.shown == [] and ctx.cited == set()
    assert ctx.block_id("mix") == "segments-mix"
