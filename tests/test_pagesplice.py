"""Chapters laid out alone and spliced: the same pages as the whole brief laid out at once, with
its page numbers and running header; a chapter the fit leaves alone is laid out once."""

from __future__ import annotations

import io

import pytest
from print_pages import CSS, chart, filler

from earnings_brief import pagefit, pagesplice

weasyprint = pytest.importorskip("weasyprint")
FONTS = weasyprint.text.fonts.FontConfiguration()  # one for all: their pages end up in one


class Recorder:
    """A layout that keeps the HTML of each call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, html: str):
        self.calls.append(html)
        return weasyprint.HTML(string=html).render(font_config=FONTS)


def _brief(cells: list[str]) -> str:
    body = "".join(f'<div class="eb-cell">{cell}</div>\n' for cell in cells)
    return (
        f'<html lang="zh-Hant"><head><meta charset="utf-8"><style>{CSS}</style></head>'
        f'<body><main class="eb-brief">\n{body}</main>\n</body></html>'
    )


COVER = (
    '<div class="eb-summary"><h1 class="eb-running">商湯集團 <span lang="en">Acme</span></h1>'
    '<p><span class="eb-period">FY2024</span></p>'
    '<h2 class="eb-chapter" id="chapter-summary">Summary</h2>'
    '<p><a href="#chapter-c">To chapter C</a></p></div>'
)


def _chapter(name: str) -> str:
    return f'<h2 class="eb-chapter" id="chapter-{name}">Chapter {name.upper()}</h2>'


def _figure(ident: str, height_mm: int) -> str:
    return (
        f'<figure class="eb-block" data-kind="figure" id="{ident}">'
        f'<figcaption class="eb-caption"><span class="eb-title">Chart {ident}</span></figcaption>'
        f"{chart(height_mm)}</figure>"
    )


def _small_table(ident: str) -> str:
    return (
        f'<figure class="eb-block" data-kind="table" id="{ident}">'
        f'<figcaption class="eb-caption"><span class="eb-title">Table {ident}</span></figcaption>'
        "<table><tbody><tr><td>row</td><td>1</td></tr></tbody></table></figure>"
    )


# Chapter B's last page holds only a small table: the fit shrinks B's chart to bring it back,
# so B loses a page and every page after it moves up one.
CELLS = [
    COVER,
    _chapter("a") + filler(150, "A one"),
    filler(150, "A two"),
    _chapter("b") + filler(135) + _figure("e", 100),
    _small_table("small"),
    _chapter("c") + filler(150, "C one"),
    filler(150, "C two") + '<h3 class="eb-section" id="c-end">The end</h3>',
]


def _texts(page) -> list[tuple]:
    """What a page shows: each text box's text and place, margin boxes included."""
    return [
        (box.text, round(box.position_x, 2), round(box.position_y, 2))
        for box in page._page_box.descendants()
        if getattr(box, "text", None)
    ]


def _margins(page) -> dict[str, str]:
    """Margin box → its text: WeasyPrint's page box keeps them as ``MarginBox`` children."""
    boxes = [c for c in page._page_box.children if type(c).__name__ == "MarginBox"]
    return {
        box.at_keyword: "".join(b.text for b in box.descendants() if getattr(b, "text", None))
        for box in boxes
    }


@pytest.fixture(scope="module")
def fitted():
    record = Recorder()
    return pagefit.fit_pages(_brief(CELLS), record), record.calls


def test_only_the_chapter_the_fit_changes_is_laid_out_again(fitted):
    _, calls = fitted
    whole, again, chrome = calls  # the brief, chapter B with its fix, the chrome
    assert "A one" in whole and "C two" in whole
    assert "Chapter B" in again and "A one" not in again and "C one" not in again
    assert "Table small" in again and 'style="height:' in again  # the chart, shrunk
    assert "A one" not in chrome and "Table" not in chrome  # strings only, on 6 pages
    assert chrome.count("break-before:page") == 5


def test_the_spliced_pages_have_the_whole_briefs_numbers_and_headers(fitted):
    document, _ = fitted
    assert len(weasyprint.HTML(string=_brief(CELLS)).render().pages) == 7
    assert len(document.pages) == 6
    margins = [_margins(page) for page in document.pages]
    assert [m["@bottom-right"] for m in margins] == [f"{n} / 6" for n in range(1, 7)]
    assert {m["@top-left"] for m in margins} == {"商湯集團 Acme · FY2024"}
    chapters = [m.get("@top-right") for m in margins]
    assert chapters == [None, "Chapter A", "Chapter A", "Chapter B", "Chapter C", "Chapter C"]


def test_the_spliced_document_is_the_whole_brief_laid_out_with_the_same_styles(fitted):
    document, calls = fitted
    whole, again, _ = calls
    head, foot = whole.index("<main"), whole.index("</main>")
    start = whole.index('<div class="eb-cell"><h2 class="eb-chapter" id="chapter-b"')
    end = whole.index('<div class="eb-cell"><h2 class="eb-chapter" id="chapter-c"')
    b_cells = again[again.index("<main") : again.index("</main>")].split(">", 1)[1].strip()
    at_once = whole[:start] + b_cells + "\n" + whole[end:]
    assert head < start < end < foot
    reference = weasyprint.HTML(string=at_once).render(font_config=FONTS)
    assert [_texts(p) for p in document.pages] == [_texts(p) for p in reference.pages]


def test_links_and_bookmarks_reach_across_chapters(fitted):
    pypdf = pytest.importorskip("pypdf")
    document, _ = fitted
    reader = pypdf.PdfReader(io.BytesIO(document.write_pdf()))
    top = [o for o in reader.outline if not isinstance(o, list)]
    targets = {o.title: reader.get_destination_page_number(o) for o in top}
    assert targets == {"Summary": 0, "Chapter A": 1, "Chapter B": 3, "Chapter C": 4}
    nested = [o for group in reader.outline if isinstance(group, list) for o in group]
    assert [(o.title, reader.get_destination_page_number(o)) for o in nested] == [("The end", 5)]
    link = next(a.get_object() for a in reader.pages[0]["/Annots"])
    assert reader.get_destination_page_number(reader.named_destinations[link["/Dest"]]) == 4


def test_two_fits_of_the_same_html_write_the_same_bytes(fitted):
    document, _ = fitted
    again = pagefit.fit_pages(_brief(CELLS), Recorder())
    assert document.write_pdf() == again.write_pdf()


def test_a_brief_whose_chapter_does_not_open_its_cell_is_laid_out_whole():
    cells = [COVER, _chapter("a") + filler(150), filler(50) + _chapter("b") + filler(20)]
    html = _brief(cells)
    document = weasyprint.HTML(string=html).render(font_config=FONTS)
    parts = pagesplice.chapters(html, document, [0, 1, 2])
    assert len(document.pages) == 3 and [p.html for p in parts] == [html]


def test_the_cut_finds_mains_children_past_comments_void_and_raw_text_elements():
    cells = ['<div class="eb-cell"><img src="x"><br><!-- <div> --><p>a</p></div>', "<hr>"]
    cells += ['<script>"<div>"</script>', '<section><svg><path d="M0 0"/></svg></section>']
    html = f'<html><body><main class="x">\n{" ".join(cells)}<!-- end -->\n</main></body></html>'
    cut = pagesplice._cut(html)
    assert [html[a:b] for a, b in cut.cells] == cells
    assert cut.head.endswith('<main class="x">') and cut.foot == "</main></body></html>"
    assert pagesplice._cut(html.replace("</section>", "</section> text")) is None


def test_a_chapter_that_opens_a_page_by_chance_is_not_cut_there():
    """Inside the summary a chapter heading does not force a page: one that lands at a page's top
    would not, laid out alone after a shorter summary."""
    cells = [COVER, '<div class="eb-summary">' + filler(205) + "</div>"]
    cells.append('<div class="eb-summary">' + _chapter("x") + filler(20) + "</div>")
    html = _brief(cells)
    document = weasyprint.HTML(string=html).render(font_config=FONTS)
    assert [_texts(page)[0][0] for page in document.pages] == ["商湯集團 ", "Chapter X"]
    assert [p.html for p in pagesplice.chapters(html, document, [0, 1])] == [html]
    with_break = html.replace('class="eb-summary"><h2', 'class="eb-x"><h2')
    document = weasyprint.HTML(string=with_break).render(font_config=FONTS)
    assert len(pagesplice.chapters(with_break, document, [0, 1])) == 2


def test_weasyprint_still_has_what_the_splice_reads(fitted):
    """The internals pagesplice reads: a page's box tree with its margin boxes as children, each
    box's computed string-set and forced break, and a document's copy with other pages."""
    document, _ = fitted
    box = document.pages[1]._page_box
    assert [type(c).__name__ for c in box.children[1:]] == ["MarginBox"] * 3
    assert [c.at_keyword for c in box.children[1:]] == ["@top-left", "@top-right", "@bottom-right"]
    heading = next(b for b in box.descendants() if b.element_tag == "h2")
    assert heading.string_set == [("eb-chapter", "Chapter A")]
    assert heading.style["break_before"] == "page"
    assert len(document.copy(document.pages[:2]).pages) == 2


def test_a_brief_that_prints_page_numbers_of_its_chapters_is_laid_out_whole():
    html = _brief(CELLS).replace(
        "</style>", "</style><style>a::after { content: target-counter(attr(href), page) }</style>"
    )
    document = weasyprint.HTML(string=html).render(font_config=FONTS)
    assert [p.html for p in pagesplice.chapters(html, document, [0, 1, 3, 5])] == [html]
    plain = html.replace("target-counter(attr(href), page)", '"."')
    assert len(pagesplice.chapters(plain, document, [0, 1, 3, 5])) == 4
