"""Chapters run in process, without a kernel: every section function of a chapter module called
in its notebook's order on one Context, and the chapter's "Further figures" after them, as the
notebook's cells do (``ctx.show`` remembers each section's blocks). Each run is made once per
test session: charts take the time."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from functools import cache
from pathlib import Path

import nbformat

from earnings_brief import blocks
from earnings_brief.blocks import Block, Figure, Heading, Table
from earnings_brief.chapters import show
from earnings_brief.notebook import start

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = str(ROOT / "tests/fixtures/data")
DATA = str(ROOT / "data")
DATASETS = {
    "sensetime": {"company": "sensetime", "period": "FY2024", "data_dir": DATA},
    "horizon_robotics": {"company": "horizon_robotics", "period": "FY2024", "data_dir": DATA},
    "northwind": {"company": "northwind", "period": "H1-2025", "data_dir": FIXTURES},
}


def chapter(notebook: str, dataset: str = "sensetime", language: str = "en") -> dict[str, list]:
    """Each section's blocks by function name, the chapter functions called in the order of
    the notebook's cells."""
    return _chapter(notebook, dataset, language)


@cache
def _chapter(notebook: str, dataset: str, language: str) -> dict[str, list]:
    ctx = start(notebook, language=language, **DATASETS[dataset])
    module = importlib.import_module(f"earnings_brief.chapters.{notebook}")
    found = {}
    for name in notebook_calls(notebook):
        found[name] = getattr(module, name, None) or getattr(show, name)
        found[name] = found[name](ctx)
        ctx.shown.extend(found[name])  # what ctx.show remembers, without a notebook to show in
    return found


def notebook_calls(notebook: str) -> list[str]:
    """The chapter functions the notebook's cells show, in order."""
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook}.ipynb", as_version=4)
    return [
        call
        for cell in nb.cells
        if cell.cell_type == "code"
        for call in re.findall(r"ctx\.show\((?:ch\.)?(\w+)\(ctx\)\)", cell.source)
    ]


def section_functions(module) -> set[str]:
    """The module's public functions that return a chapter's blocks."""
    return {
        name
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
        and not name.startswith("_")
        and fn.__annotations__.get("return") == "list[Block]"
    }


def assert_contract(notebook: str, name: str, found: list[Block]) -> None:
    """A section's blocks: nothing, or its heading first; figures and tables with an id of the
    chapter, a title, a subtitle and a Source line (an analysis instead has none); each block
    travels as a payload and comes back the same."""
    if not found:
        return
    first = found[0]
    assert isinstance(first, Heading), (name, first)
    assert first.level == (1 if name == "overview" else 2)
    for item in found:
        back = blocks.from_payload(json.loads(json.dumps(blocks.payload(item))))
        assert blocks.payload(back) == blocks.payload(item), (name, item.type)
        if isinstance(item, Figure | Table):
            assert item.id.startswith(f"{notebook}-") and item.title and item.subtitle, item
            assert bool(item.source) != bool(item.analysis), item.id


def kinds(found: list[Block]) -> list[str]:
    return [b.type for b in found]


def first(found: list[Block], kind: type):
    return next(b for b in found if isinstance(b, kind))
