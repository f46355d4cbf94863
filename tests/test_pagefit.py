"""Pages that fill: a chart shrinks to come back to a short page, a long table breaks there, and a
caption never stays alone at a page's foot."""

from __future__ import annotations

import pytest
from print_pages import CSS, chart, filler

from earnings_brief import pagefit

weasyprint = pytest.importorskip("weasyprint")


def _layout(html: str):
    return weasyprint.HTML(string=html).render()


def _page(body: str) -> str:
    return (
        f'<html lang="en"><head><meta charset="utf-8"><style>{CSS}</style></head>'
        f'<body><main class="eb-brief">{body}</main></body></html>'
    )


def _figure(ident: str, height_mm: int) -> str:
    return (
        f'<h3 class="eb-section" id="s-{ident}">Section {ident}</h3>'
        f'<figure class="eb-block" data-kind="figure" id="{ident}">'
        f'<figcaption class="eb-caption"><span class="eb-title">Chart {ident}</span></figcaption>'
        f'{chart(height_mm)}<p class="eb-source">Source: {ident}</p></figure>'
    )


def _table(ident: str, rows: int, first_row_mm: int = 0) -> str:
    tall = f' style="height:{first_row_mm}mm"' if first_row_mm else ""
    body = "".join(
        f"<tr{tall if i == 0 else ''}><td>row {i}</td><td class='num'>{i}</td></tr>"
        for i in range(rows)
    )
    return (
        f'<figure class="eb-block" data-kind="table" id="{ident}">'
        f'<figcaption class="eb-caption"><span class="eb-title">Table {ident}</span> '
        f'<span class="eb-subtitle">Measure of {ident}</span></figcaption>'
        f"<table><thead><tr><th>Name</th><th class='num'>Value</th></tr></thead>"
        f'<tbody>{body}</tbody></table><p class="eb-source">Source: {ident}</p></figure>'
    )


def _pages_of(document, text: str) -> list[int]:
    found = []
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants():
            if getattr(box, "text", None) and text in box.text:
                found.append(number)
                break
    return found


def test_a_chart_that_nearly_fits_shrinks_to_stay_on_the_short_page():
    body = filler(140) + _figure("a", 100) + filler(200)
    plain = _layout(_page(body))
    assert _pages_of(plain, "Chart a") == [2]  # without the fit, a gap on page 1
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Chart a") == [1] and _pages_of(fitted, "Source: a") == [1]
    chart = next(b for b in fitted.pages[0]._page_box.descendants() if b.element_tag == "img")
    natural = 100 * 96 / 25.4
    assert pagefit.MIN_SCALE * natural - 1 <= chart.height < natural


def test_a_chart_too_tall_to_shrink_that_far_moves_on_whole():
    body = filler(200) + _figure("b", 100) + filler(200)
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Chart b") == [2]
    chart = next(
        b for p in fitted.pages for b in p._page_box.descendants() if b.element_tag == "img"
    )
    assert abs(chart.height - 100 * 96 / 25.4) < 1  # left at its size


def test_a_long_table_breaks_with_its_caption_and_first_rows_on_the_short_page():
    body = filler(170) + _table("t", 30) + filler(10)
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Table t") == [1]
    assert 1 in _pages_of(fitted, "row 2") and _pages_of(fitted, "row 29") == [2]


def test_a_chapters_last_page_keeps_its_gap():
    body = filler(140) + _figure("c", 100) + '<h2 class="eb-chapter" id="chapter-x">Next</h2>'
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Chart c") == [1]  # the gap before the chart is closed
    body = filler(140) + '<h2 class="eb-chapter" id="chapter-y">Y</h2>' + _figure("d", 100)
    fitted = pagefit.fit_pages(_page(body), _layout)
    chart = next(
        b for p in fitted.pages for b in p._page_box.descendants() if b.element_tag == "img"
    )
    assert abs(chart.height - 100 * 96 / 25.4) < 1  # a new chapter: nothing to pull back


def test_a_caption_left_alone_at_a_pages_foot_moves_on_with_its_heading():
    table = _table("s", 3, first_row_mm=60).replace(
        'class="eb-block"', 'class="eb-block" style="break-inside:auto"'
    )
    body = filler(215) + '<h3 class="eb-section" id="sec-s">Checks</h3>' + table
    plain = _layout(_page(body))
    assert _pages_of(plain, "Table s") == [1] and _pages_of(plain, "row 0") == [2]
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Checks") == [2] and _pages_of(fitted, "Table s") == [2]


def test_a_chapters_last_page_that_holds_little_comes_back_when_charts_can_shrink():
    chapter = '<h2 class="eb-chapter" id="chapter-z">Next chapter</h2>'
    body = filler(100) + _figure("e", 100) + _table("small", 2) + chapter
    plain = _layout(_page(body))
    assert _pages_of(plain, "Table small") == [2] and _pages_of(plain, "Next chapter") == [3]
    fitted = pagefit.fit_pages(_page(body), _layout)
    assert _pages_of(fitted, "Table small") == [1] and _pages_of(fitted, "Next chapter") == [2]


def test_styles_go_on_the_element_the_key_names_and_no_other():
    html = '<p data-id="x"></p><h3 id="x">a</h3><img data-fit="1"><img data-fit="12">'
    styled = pagefit.with_styles(
        html, {'id="x"': "break-before:page", 'data-fit="1"': "height:9px"}
    )
    assert styled == (
        '<p data-id="x"></p><h3 id="x" style="break-before:page">a</h3>'
        '<img data-fit="1" style="height:9px"><img data-fit="12">'
    )
