"""Merge the executed notebooks and the front and back matter into one self-contained HTML brief.

The recipe works on typed blocks and counts them; it never reads HTML back. Read each executed
notebook's block payloads (refusing a notebook with an error output) in chapter order → put the
summary's blocks, the "what changed" section, each chapter's blocks, the outlook and the appendix
in one list → make ids unique → number figures and tables in order → lift heading levels that
skip one → fill the contents from the chapter and section headings → render each block
(render.py escapes every string and marks the other language's runs) → convert the cells once
with nbconvert's HTMLExporter and the ``brief`` template → check that nothing in it would reach
the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from . import blocks
from .blocks import Block, Contents, Data, Figure, Heading, Table, slug
from .chapters import appendix, outlook, summary
from .dataset import Dataset
from .errors import AssemblyError
from .i18n import t
from .render import render, written_level

CHAPTER_ORDER = ("revenue", "segments", "infrastructure", "auto")
TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "brief"
CSS = Path(__file__).with_name("assets") / "brief.css"


@dataclass
class Part:
    """Blocks shown together in one cell of the brief (a notebook cell, or the summary), and the
    class of the element that wraps them ('eb-summary', 'eb-appendix'; none for a chapter)."""

    blocks: list[Block]
    wrapper: str = ""


def assemble_html(
    executed: list[Path],
    dataset: Dataset,
    params: dict,
    run_meta: dict,
    changes: list[dict] | None,
    lang: str = "en",
) -> str:
    """The brief as one HTML document: summary, chapters in order, outlook, appendix. The
    derived figures are the notebooks' (their data block); ``run_meta`` is build detail, which
    stays out of the client's document."""
    notebooks = [(path, _read(path)) for path in in_chapter_order(executed)]
    frame, checks = derived(notebooks)
    parts = [Part(summary.render(dataset, frame, checks, lang), "eb-summary")]
    if changes:
        parts.append(Part(summary.changes_section(dataset, changes, lang), "eb-changes"))
    for path, nb in notebooks:
        parts += [Part(items) for items in cell_blocks(path, nb)]
    parts.append(Part(outlook.render(dataset, lang)))
    parts.append(Part(appendix.render(dataset, frame, checks, params, lang), "eb-appendix"))
    title = t("brief.title", lang, company=dataset.company.name(lang), period=dataset.period.label)
    document = convert(brief_notebook(parts, lang), title=title, lang=lang)
    check_offline(document)
    return document


def in_chapter_order(paths: Iterable[Path]) -> list[Path]:
    """Executed notebooks in the brief's chapter order (by file stem); unknown ones after."""
    paths = [Path(p) for p in paths]
    rank = {name: i for i, name in enumerate(CHAPTER_ORDER)}
    return sorted(paths, key=lambda p: rank.get(p.stem, len(rank)))


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise AssemblyError("executed notebook not found", file=path) from None
    except Exception as err:  # nbformat raises several types for unreadable files
        raise AssemblyError(f"not a readable notebook: {err}", file=path) from None
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                raise AssemblyError(
                    f"cell {index + 1} failed with {output.get('ename', 'an error')}: "
                    f"{output.get('evalue', '')}".rstrip(": "),
                    file=path,
                    expected="a notebook that ran without errors; fix it and rebuild",
                )
    return nb


def derived(notebooks: list[tuple[Path, nbformat.NotebookNode]]):
    """The derived figures and checks the notebooks computed (each shows them as a data block at
    its start); the first notebook's, in chapter order."""
    for path, nb in notebooks:
        for item in _blocks(path, nb):
            if isinstance(item, Data):
                try:
                    return item.frames()
                except (KeyError, ValueError, TypeError) as err:
                    raise _unreadable(path, err) from None
    raise AssemblyError(
        "no executed notebook carries the derived figures",
        file=notebooks[0][0] if notebooks else None,
        expected="notebooks that call earnings_brief.notebook.start()",
    )


def cell_blocks(path: Path, nb: nbformat.NotebookNode) -> list[list[Block]]:
    """The blocks each code cell of an executed notebook shows, cell by cell (cells that show
    none left out); outputs without a block payload (streams, plain text) are not the brief's."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            shown = [b for b in _blocks(path, {"cells": [cell]}) if not isinstance(b, Data)]
            if shown:
                cells.append(shown)
    return cells


def _blocks(path: Path, nb) -> list[Block]:
    try:
        return blocks.read_blocks(nb)
    except (ValueError, TypeError, KeyError) as err:
        raise _unreadable(path, err) from None


def _unreadable(path: Path, err: Exception) -> AssemblyError:
    return AssemblyError(
        f"a block payload is unreadable: {err}",
        file=path,
        expected=f"payloads of schema {blocks.SCHEMA}; run the notebook again",
    )


def brief_notebook(parts: list[Part], lang: str) -> nbformat.NotebookNode:
    """All parts' blocks as one list, counted (``arrange``) and rendered, then regrouped into one
    code cell per part whose outputs are the blocks' HTML."""
    rendered = iter(arrange([item for part in parts for item in part.blocks], lang))
    cells = []
    for part in parts:
        markup = [html for html in (next(rendered) for _ in part.blocks) if html]
        if markup:
            outputs = [_output(m) for m in markup]
            cells.append(_cell(len(cells), outputs, {"brief": {"wrapper": part.wrapper}}))
    return nbformat.from_dict(
        {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
         "metadata": {"language_info": {"name": "python"}}}
    )  # fmt: skip


# The brief's cells and outputs as nbformat's v4 builders make them, without their validation
# of each one against the schema (a third of the assembly, for HTML the assembler just wrote).
def _output(html: str) -> dict:
    return {"output_type": "display_data", "data": {"text/html": html}, "metadata": {}}


def _cell(index: int, outputs: list[dict], metadata: dict) -> dict:
    return {"id": f"part-{index}", "cell_type": "code", "execution_count": None,
            "metadata": metadata, "source": "", "outputs": outputs}  # fmt: skip


def arrange(items: list[Block], lang: str = "en") -> list[str]:
    """Each block's HTML in the whole brief: ids made unique, figures and tables numbered in
    order, heading levels lifted where they skip one, the contents filled from the headings."""
    items = unique_ids(items)
    listed = tuple(
        (item.level, item.id, item.text)
        for item in items
        if isinstance(item, Heading) and item.level in (1, 2)
    )
    items = [replace(i, items=listed) if isinstance(i, Contents) else i for i in items]
    return [
        render(item, lang, label=label, level=level)
        for item, label, level in zip(items, labels(items, lang), levels(items), strict=True)
    ]


def unique_ids(items: list[Block]) -> list[Block]:
    """Every anchor as a slug, the first of each kept and later repeats suffixed ('-2', '-3'):
    chapters may reuse a section's id for its figure, and one document must not define an anchor
    twice. Table rows that are link targets count too."""
    seen: set[str] = set()

    def claim(ident: str) -> str:
        new, n = slug(ident), 1
        while new in seen:
            n += 1
            new = f"{slug(ident)}-{n}"
        seen.add(new)
        return new

    out = []
    for item in items:
        if isinstance(item, Heading | Figure | Table) and item.id:
            item = replace(item, id=claim(item.id))
        if isinstance(item, Table) and item.row_ids:
            item = replace(item, row_ids=tuple(claim(i) if i else "" for i in item.row_ids))
        if isinstance(item, Contents):
            claim("contents")  # the contents' own anchor
        out.append(item)
    return out


def labels(items: list[Block], lang: str = "en") -> list[str]:
    """'Figure N' / 'Table N' for each figure and table, counted across the whole brief."""
    counts = {"figure": 0, "table": 0}
    out = []
    for item in items:
        if isinstance(item, Figure | Table):
            counts[item.type] += 1
            out.append(t(f"brief.{item.type}", lang, n=counts[item.type]))
        else:
            out.append("")
    return out


def levels(items: list[Block]) -> list[int]:
    """The heading level each heading takes (0 for other blocks): one that skips a level (a
    summary's h4 under its h2) is lifted, so a screen reader's outline has no holes; siblings
    stay siblings."""
    open_: list[tuple[int, int]] = []  # (written level, level given) of the enclosing headings
    out = []
    for item in items:
        written = written_level(item)
        if written:
            while open_ and open_[-1][0] >= written:
                open_.pop()
            level = min(written, (open_[-1][1] if open_ else 0) + 1)
            open_.append((written, level))
            out.append(level)
        else:
            out.append(0)
    return out


def convert(nb: nbformat.NotebookNode, *, title: str, lang: str) -> str:
    """One nbconvert pass with the brief template; the stylesheet is inlined.

    nbconvert's generic TemplateExporter, not its HTMLExporter: that one re-parses the finished
    page with BeautifulSoup to add JupyterLab's tab stops and placeholder alt texts (the brief has
    neither JupyterLab's markup nor an image without alt text) and re-validates the notebook
    after each of its preprocessors, which the brief does not use: half a second per edition."""
    from nbconvert import TemplateExporter

    exporter = TemplateExporter(
        template_name=TEMPLATE,
        template_file="index.html.j2",
        default_preprocessors=[],
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )
    resources = {
        "brief": {
            "title": title,
            "lang": lang,
            "css": CSS.read_text(encoding="utf-8"),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_EXTERNAL = re.compile(
    r"""<(?:img|script|iframe|embed|source|video|audio|input)\b[^>]*\bsrc(?:set)?\s*=\s*["']?\s*"""
    r"""(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|@import""",
    re.IGNORECASE,
)


def check_offline(document: str) -> None:
    """Refuse a document that would make a network request when opened."""
    match = _EXTERNAL.search(document)
    if match:
        snippet = document[match.start() : match.start() + 120].replace("\n", " ")
        raise AssemblyError(
            f"the brief would load an external resource: {snippet}",
            expected="images as data: URIs and inline styles only",
        )
