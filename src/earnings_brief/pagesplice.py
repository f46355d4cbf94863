"""The PDF's layout chapter by chapter: the brief cut into chapters, and their pages spliced back.

Every chapter opens a page (print CSS), so a chapter's pages do not depend on the others': once
the whole brief is laid out, ``chapters`` cuts its pages and its HTML by chapter, and ``pagefit``
lays out again only the chapters it adjusts. ``splice`` joins each chapter's latest pages.

A chapter laid out alone numbers its pages from 1, lacks the cover's running header and has its
first page styled as ``@page :first``; only the page's margin boxes (the chrome) show that. So
``splice`` lays out one small document with the brief's head, as many pages and, on each, the
strings (``string-set``) its spliced page sets, and gives each page that document's margin boxes.
A page whose size or margins differ from its chrome page (named or left/right pages in the print
CSS) stops the build rather than print a wrong page; a brief that prints page numbers in its text
(``target-counter``) is laid out whole.

WeasyPrint's internals are read here and in ``pagefit`` only: a page's box tree
(``Page._page_box``), its ``MarginBox`` children and each box's ``string_set``. Its documented API
covers the rest (``Document.copy`` joins pages of several documents; links and bookmarks resolve
across them). tests/test_pagesplice.py fails if these change under us.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

# A tag, or what hides tags (a comment, a raw-text element); enough to find <main>'s children.
_TAG = re.compile(
    r"<!--.*?-->|<(script|style|textarea)\b.*?</\1\s*>|<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>",
    re.S | re.I,
)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_VOID |= {"track", "wbr", "param"}
_FORCED = {"page", "left", "right", "recto", "verso"}


@dataclass
class Chapter:
    """One chapter: its HTML (the brief's head, ``<main>`` holding only its cells) and its
    latest pages, from ``document``."""

    html: str
    document: object
    pages: list

    def laid_out(self, document) -> None:
        self.document, self.pages = document, list(document.pages)


@dataclass
class _Cut:
    head: str  # the HTML up to and with <main ...>
    foot: str  # from </main> on
    cells: list[tuple[int, int]]  # where each child of <main> starts and ends in the HTML


def chapters(html: str, document, starts: list[int]) -> list[Chapter]:
    """The chapters of ``document`` (laid out from ``html``), each opening at a page index in
    ``starts``; the whole brief as one chapter when its HTML or pages do not cut there."""
    whole = [Chapter(html, document, list(document.pages))]
    if "target-counter" in html:
        return whole  # a page number from another chapter: only the whole brief's layout knows it
    cut = _cut(html)
    main = _main(document)
    if cut is None or main is None or not _same(cut, html, list(main)):
        return whole
    index = {id(element): k for k, element in enumerate(main)}
    present = [_cells_on(page, index) for page in document.pages]
    bounds = [0]
    for start in starts[1:]:
        first = min(present[start], default=None)
        if first is None or first <= max(present[start - 1], default=-1):
            return whole  # the chapter's first cell began on the page before
        if not _forced(document.pages[start], index):
            return whole  # it opens this page by chance: laid out alone, it might not
        bounds.append(first)
    bounds.append(len(cut.cells))
    pages = [*starts, len(document.pages)]
    return [
        Chapter(
            cut.head + html[cut.cells[a][0] : cut.cells[b - 1][1]] + cut.foot,
            document,
            list(document.pages[pages[k] : pages[k + 1]]),
        )
        for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]


def splice(html: str, parts: list[Chapter], layout):
    """One document of every chapter's pages, each with the margin boxes it has in the whole
    brief; ``layout`` (as for ``pagefit.fit_pages``) lays out the chrome."""
    if len({id(part.document) for part in parts}) == 1:
        return parts[0].document  # nothing was laid out again: its pages are whole
    pages = [page for part in parts for page in part.pages]
    cut = _cut(html)
    chrome = layout(cut.head + "".join(_strings(p, n) for n, p in enumerate(pages)) + cut.foot)
    if len(chrome.pages) != len(pages):
        raise RuntimeError(f"the chrome has {len(chrome.pages)} pages for {len(pages)}")
    framed = [_framed(page, frame) for page, frame in zip(pages, chrome.pages, strict=True)]
    return parts[0].document.copy(framed)


def _cut(html: str) -> _Cut | None:
    """Where <main>'s children start and end, or None when anything but them (and space) is in
    <main>, or it has no </main>."""
    opening = re.search(r"<main\b[^>]*>", html)
    closing = html.rfind("</main>")
    if opening is None or closing < opening.end():
        return None
    depth, cells = 0, []
    for tag in _TAG.finditer(html, opening.end(), closing):
        raw, closes, name, empty = tag.groups()
        if name is None and raw is None:
            continue  # a comment
        if depth == 0 and not closes:
            cells.append([tag.start(), tag.end()])
        if closes:
            depth -= 1
            if depth == 0:
                cells[-1][1] = tag.end()
        elif raw is None and not empty and name.lower() not in _VOID:
            depth += 1
    ends = [opening.end(), *(e for _, e in cells)]
    gaps = [html[a:b] for a, b in zip(ends, [s for s, _ in cells] + [closing], strict=True)]
    if depth != 0 or any(_TAG.sub("", gap).strip() for gap in gaps):
        return None
    return _Cut(html[: opening.end()], html[closing:], [tuple(c) for c in cells])


def _same(cut: _Cut, html: str, elements: list) -> bool:
    """The cut found the elements WeasyPrint parsed as <main>'s children (the same tags)."""
    if len(cut.cells) != len(elements):
        return False
    tags = [re.match(r"<\s*([^\s/>]+)", html[a:b]).group(1).lower() for a, b in cut.cells]
    return tags == [element.tag.rsplit("}", 1)[-1].lower() for element in elements]


def _main(document):
    """The <main> element WeasyPrint parsed, from the first page's box tree."""
    if not document.pages:
        return None
    box = next((b for b in _content(document.pages[0]) if b.element_tag == "main"), None)
    return box.element if box is not None else None


def _content(page):
    """The page's boxes but its margin boxes, in tree order."""
    for child in page._page_box.children:
        if not _is_margin(child):
            yield from child.descendants()


def _is_margin(box) -> bool:
    from weasyprint.formatting_structure.boxes import MarginBox  # pdf.py imports WeasyPrint late

    return isinstance(box, MarginBox)


def _cells_on(page, index: dict[int, int]) -> set[int]:
    return {index[id(b.element)] for b in _content(page) if id(b.element) in index}


def _forced(page, index: dict[int, int]) -> bool:
    """Whether the page opens with a forced page break: on its first cell or the first box in
    it, at any depth."""
    box = next((b for b in _content(page) if id(b.element) in index), None)
    while box is not None:
        if box.style["break_before"] in _FORCED:
            return True
        box = next(iter(getattr(box, "children", ())), None)
    return False


def _strings(page, number: int) -> str:
    """A chrome page: empty blocks setting the strings ``page`` sets, in its order (WeasyPrint
    collects them from the page's boxes in tree order), each a CSS string literal."""
    sets = [
        pair
        for box in _content(page)
        if box.string_set not in (None, "none")
        for pair in box.string_set
    ]
    blocks = [f"string-set:{name} '{_css_string(text)}'" for name, text in sets] or [""]
    if number:
        blocks[0] = "break-before:page;" + blocks[0]
    return "".join(f'<div style="{style}"></div>' for style in blocks)


def _css_string(text: str) -> str:
    """``text`` in a single-quoted CSS string inside a double-quoted attribute: all but letters,
    digits and spaces escaped (a hex escape ends at, and takes, the space after it)."""
    return "".join(
        c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text
    )


def _framed(page, frame):
    """``page`` with ``frame``'s margin boxes instead of its own."""
    box, chrome = page._page_box, frame._page_box
    if _geometry(box) != _geometry(chrome):
        raise RuntimeError("a chapter's page and its chrome page differ in size or margins")
    framed = box.copy()
    framed.children = [c for c in box.children if not _is_margin(c)] + [
        c for c in chrome.children if _is_margin(c)
    ]
    spliced = copy.copy(page)  # links, anchors and bookmarks come from the content only
    spliced._page_box = framed
    return spliced


def _geometry(box) -> tuple:
    return (
        box.margin_width(),
        box.margin_height(),
        box.margin_top,
        box.margin_right,
        box.margin_bottom,
        box.margin_left,
    )
