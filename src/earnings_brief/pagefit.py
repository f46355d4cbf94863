"""Pages that fill: the PDF's layout, adjusted until no page but a chapter's last ends short.

A figure never breaks across pages (print CSS), so one that does not fit in the space left on a
page moves whole to the next and leaves a gap. ``fit_pages`` lays the brief out with WeasyPrint and,
where a page ends short of ``FILL`` before the next page's opening block (after at most headings):

* a long table may break there instead, with its caption, header and ``SPLIT_ROWS`` rows on the
  short page;
* otherwise the opening block's chart and the short page's own charts, the last first, shrink just
  enough for the block to come back, never under ``MIN_SCALE`` of their first height.

A chapter's last page may end where it ends; but one that holds less than ``LAST_PAGE`` comes back
whole to the page before when shrinking charts makes room for it.

It also moves to the next page a table block whose caption was left alone at a page's foot (with
the headings before it), which WeasyPrint allows when the first rows do not fit. Then it lays
out again the chapters it adjusted, each alone (``pagesplice``): chapters start on a new page, so
a chapter's pages do not depend on the others', and every chapter's first gap is closed in one
pass, its later gaps in the next; at most ``PASSES`` layouts of a chapter, the first being the
whole brief's. ``pagesplice`` joins the chapters' last pages, with the whole brief's page numbers
and running header.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from .pagesplice import chapters, splice

FILL = 0.8  # a page other than a chapter's last is filled to at least this share of its height
MIN_SCALE = 0.7  # a chart shrinks to no less than this share of its height (8.5 pt → 6 pt)
SAFETY = 4  # CSS px kept free under what comes back, against rounding
LAST_PAGE = 0.35  # a chapter's last page filled less than this comes back if charts can shrink
PASSES = 3
SPLIT_ROWS = 3
# What a pass may change: each chart (its height) and each table block (where it breaks).
_FITTED = re.compile(r'<img(?=\s[^>]*\bclass="eb-chart")|<figure(?=\s[^>]*\bdata-kind="table")')
_WRAPPERS = {"html", "body", "main", "div", "section", "article"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def fit_pages(html: str, layout: Callable[[str], object]):
    """The document ``layout(html)`` would return (a WeasyPrint Document) for the HTML with the
    styles the passes found; see the module's docstring. ``layout`` gives every document it
    makes one font configuration: their pages end up in one document."""
    count = itertools.count()
    html = _FITTED.sub(lambda m: f'{m.group(0)} data-fit="{next(count)}"', html)
    document = layout(html)
    starts = [i for i, page in enumerate(document.pages) if i == 0 or _Page(page).opens_chapter()]
    parts = chapters(html, document, starts)
    natural: dict[str, float] = {}
    for part in parts:
        styles: dict[str, str] = {}
        for _ in range(PASSES - 1):
            fixes = adjustments(part.pages, natural)
            if not fixes:
                break
            styles.update(fixes)
            part.laid_out(layout(with_styles(part.html, styles)))
    return splice(html, parts, layout)


def with_styles(html: str, styles: dict[str, str]) -> str:
    """The HTML with an inline style on the element each key (``data-fit="3"``, ``id="x"``)
    names."""
    for key, style in styles.items():
        found = re.compile(rf"(?<![\w-]){re.escape(key)}")
        html = found.sub(lambda m, style=style: f'{m.group(0)} style="{style}"', html, count=1)
    return html


def adjustments(pages: list, natural: dict[str, float]) -> dict[str, str]:
    """{element key: inline style} for the first short page of each chapter in ``pages`` (a
    Document's), a chapter's last page that holds little, and every stranded caption; records
    each chart's first height in ``natural``."""
    pages = [_Page(page) for page in pages]
    for page in pages:
        for chart in _charts(page.root):
            natural.setdefault(_key(chart), chart.height)
    fixes: dict[str, str] = {}
    fixed_chapter = False
    for index, (here, after) in enumerate(zip(pages, pages[1:], strict=False)):
        stranded = here.stranded_caption()
        if stranded:
            fixes[stranded] = "break-before:page"
        if after.opens_chapter():
            fixed_chapter = False  # ``here`` is a chapter's last page: its gap is allowed
            continue
        ends = index + 2 == len(pages) or pages[index + 2].opens_chapter()
        if fixed_chapter:
            continue
        if here.fill() < FILL:
            fix = _close_gap(here, after, natural)
        elif ends and after.fill() < LAST_PAGE:
            fix = _bring_back(here, after, natural)
        else:
            continue
        if fix:
            fixes.update(fix)
            fixed_chapter = True
    return fixes


def _close_gap(here: _Page, after: _Page, natural: dict[str, float]) -> dict[str, str]:
    """Bring the block ``after`` opens with back to ``here``: a long table breaks, or charts
    shrink."""
    opening = after.opening(here.elements())
    if opening is None:
        return {}
    room = here.room_for(after)
    rows = [b for b in opening.descendants() if b.element_tag == "tr"]
    if len(rows) > 2 * SPLIT_ROWS and _bottom(rows[SPLIT_ROWS]) - after.top <= room:
        return {_key(opening): "break-inside:auto"}
    return _shrink(_bottom(opening) - after.top - room, [opening, here.root], natural)


def _bring_back(here: _Page, after: _Page, natural: dict[str, float]) -> dict[str, str]:
    """Bring all of a chapter's short last page back to the page before, by shrinking charts,
    when all of it started there (a table's last rows come back only with its first)."""
    if not after.flow or id(after.flow[0].element) in here.elements():
        return {}
    deficit = after.used() - after.top - here.room_for(after)
    return _shrink(deficit, [after.root, here.root], natural)


def _shrink(deficit: float, boxes: list, natural: dict[str, float]) -> dict[str, str]:
    """New heights for the charts in ``boxes`` (each box's from its last) that free ``deficit``
    CSS px without one going under ``MIN_SCALE``; empty when they cannot."""
    plan = {}
    for chart in [c for box in boxes for c in reversed(_charts(box))]:
        take = min(deficit, chart.height - MIN_SCALE * natural[_key(chart)])
        if take > 0:
            plan[_key(chart)] = f"height:{chart.height - take:.1f}px;width:auto"
            deficit -= take
        if deficit <= 0:
            return plan
    return {}


class _Page:
    """One laid-out page: its content area and its flow of headings, blocks and paragraphs."""

    def __init__(self, page) -> None:
        box = page._page_box
        self.top = box.content_box_y()
        self.limit = self.top + box.height
        self.root = next(b for b in box.children if b.element_tag == "html")
        self.flow = list(_flow(self.root))

    def elements(self) -> set[int]:
        return {id(b.element) for b in self.root.descendants()}

    def used(self) -> float:
        return max((_bottom(b) for b in self.flow), default=self.top)

    def room_for(self, after: _Page) -> float:
        """The space left under this page's content for what opens ``after``: the margin
        between them, dropped at the top of a page, comes back (the larger of two, collapsed)."""
        below = (self.flow[-1].margin_bottom or 0) if self.flow else 0
        above = after.flow[0].style["margin_top"] if after.flow else None
        above = above.value if above is not None and above.unit == "px" else 0
        return self.limit - self.used() - max(below, above) - SAFETY

    def fill(self) -> float:
        return (self.used() - self.top) / (self.limit - self.top)

    def opens_chapter(self) -> bool:
        return bool(self.flow) and "eb-chapter" in _classes(self.flow[0])

    def opening(self, before: set):
        """The block the page opens with, after at most section headings, when it did not start
        on the page before."""
        for box in self.flow:
            if box.element_tag in _HEADINGS and not self.opens_chapter():
                continue
            return box if box.element_tag == "figure" and id(box.element) not in before else None
        return None

    def stranded_caption(self) -> str:
        """The key of what must move on (the table block, or the headings just before it) when
        the page ends with a table block's caption and none of its rows."""
        last = self.flow[-1] if self.flow else None
        if last is None or last.element_tag != "figure" or last.element.get("data-fit") is None:
            return ""
        if any(b.element_tag == "tr" for b in last.descendants()):
            return ""
        first = last
        for box in reversed(self.flow[:-1]):
            if box.element_tag not in _HEADINGS or box.element.get("id") is None:
                break
            first = box
        return _key(first) if first is last else f'id="{first.element.get("id")}"'


def _flow(box):
    """Content boxes in order (headings, figures, paragraphs, lists, tables), looking through
    the wrappers around them (body, main, a notebook cell's div); an empty div is content."""
    for child in getattr(box, "children", ()):
        if child.element_tag in _WRAPPERS and getattr(child, "children", ()):
            yield from _flow(child)
        else:
            yield child


def _bottom(box) -> float:
    return box.position_y + box.margin_height() - (box.margin_bottom or 0)


def _classes(box) -> list[str]:
    return (box.element.get("class") or "").split() if box.element is not None else []


def _key(box) -> str:
    return f'data-fit="{box.element.get("data-fit")}"'


def _charts(box) -> list:
    return [b for b in box.descendants() if b.element_tag == "img" and "eb-chart" in _classes(b)]
