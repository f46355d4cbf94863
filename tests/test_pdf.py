"""The PDF: A4, page numbers, running header, bookmarks, Chinese text in an embedded CJK font."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from executed_fixtures import build_brief

from earnings_brief import dataset
from earnings_brief.pdf import PdfError, for_print, render_pdf

pypdf = pytest.importorskip("pypdf")
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    html = build_brief(folder / "nb", dataset.load("sensetime", "FY2024"))
    path = folder / "brief.pdf"
    render_pdf(html, path)
    return path


def _text(path, page: int) -> str:
    args = ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_a4_and_small(pdf):
    reader = pypdf.PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    assert pdf.stat().st_size <= 2_000_000


@needs_poppler
def test_page_numbers_and_running_header(pdf):
    pages = len(pypdf.PdfReader(pdf).pages)
    assert pages > 3
    second = _text(pdf, 2)
    assert f"2 / {pages}" in second
    assert "SenseTime Group 商湯集團 · FY2024" in second


def test_bookmarks_for_chapters_and_sections(pdf):
    outline = pypdf.PdfReader(pdf).outline
    top = [item.title for item in outline if not isinstance(item, list)]
    for title in (
        "Summary",
        "Revenue",
        "Segments",
        "Infrastructure",
        "Auto",
        "Outlook and catalysts",
        "Appendix",
    ):
        assert title in top
    nested = [i.title for group in outline if isinstance(group, list) for i in group]
    assert "Reconciliation checks" in nested


@needs_poppler
def test_chinese_text_extracts_as_chinese_from_an_embedded_cjk_font(pdf):
    assert "商湯集團" in _text(pdf, 1)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK-TC" in line or "CJKtc" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column
    assert "JP" not in fonts and "KR" not in fonts


@needs_poppler
def test_western_punctuation_is_not_drawn_full_width(pdf):
    """The CJK face's '·' and curly quotes are full-width; the print CSS takes them from DejaVu."""
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Brief-Punctuation" in fonts, fonts


def test_a_local_file_other_than_a_system_font_is_refused(tmp_path):
    with pytest.raises(PdfError, match="external resource"):
        render_pdf('<html><body><img src="file:///etc/hostname"></body></html>', tmp_path / "f.pdf")


def test_missing_glyph_fails(tmp_path):
    path = tmp_path / "bad.pdf"
    with pytest.raises(PdfError) as err:
        render_pdf("<html><body><p>\U0001f600 \u0e20\u0e32\u0e29\u0e32</p></body></html>", path)
    assert err.value.exit_code == 5
    assert not path.exists()


def test_external_resource_fails(tmp_path):
    with pytest.raises(PdfError):
        render_pdf(
            '<html><body><img src="https://example.com/x.png"></body></html>', tmp_path / "ext.pdf"
        )


@needs_poppler
def test_sources_table_is_not_split_across_pages(tmp_path):
    """The short sources table near a page's foot moves whole to the next page."""
    from pathlib import Path

    from earnings_brief import dataset
    from earnings_brief.chapters import appendix
    from earnings_brief.render import render

    css = Path(appendix.blocks.__file__).with_name("assets") / "brief.css"
    style = css.read_text(encoding="utf-8")
    table = render(appendix.sources_table(dataset.load("sensetime", "FY2024")))
    filler = '<div style="height: 235mm"></div>'
    html = (
        f'<html lang="en"><head><meta charset="utf-8"><style>{style}</style></head><body>'
        f'<main class="eb-brief"><div class="eb-appendix">{filler}{table}</div></main>'
        "</body></html>"
    )
    path = tmp_path / "t.pdf"
    render_pdf(html, path)
    pages = [_text(path, p) for p in range(1, len(pypdf.PdfReader(path).pages) + 1)]
    first = next(i for i, text in enumerate(pages) if "Sources, each described once" in text)
    assert "Publisher" in pages[first] and "Chinese" in pages[first] and "Source:" in pages[first]


def test_for_print_puts_each_charts_text_variant_in_src_whatever_the_attribute_order():
    from earnings_brief.pdf import for_print

    html = (
        '<img alt="a" class="eb-chart" data-print-src="data:image/svg+xml;base64,PAPER" '
        'src="data:image/svg+xml;base64,SCREEN">'
        '<img src="data:image/svg+xml;base64,SCREEN2" data-print-src="data:x;base64,PAPER2" '
        'alt="b">'
        '<img src="data:image/png;base64,PLAIN" alt="c">'
    )
    out = for_print(html)
    assert "SCREEN" not in out and "data-print-src" not in out
    assert out.count('src="data:image/svg+xml;base64,PAPER"') == 1
    assert 'src="data:x;base64,PAPER2"' in out and 'alt="b"' in out
    assert '<img src="data:image/png;base64,PLAIN" alt="c">' in out  # no variant: unchanged
    phone = '<picture><source media="(max-width: 40rem)" srcset="data:x;base64,PHONE">'
    assert "PHONE" not in for_print(phone + html + "</picture>")  # paper is not a phone


# ---------------------------------------------------------------------------------------------
# The real brief's pages, measured from the PDF itself: text boxes (poppler) and painted forms
# and images (the content stream), inside the page's content area.

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4


@pytest.fixture(scope="module")
def real_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    args = ["build", "--company", "sensetime", "--period", "FY2024", "--data-dir", "data"]
    subprocess.run(
        [sys.executable, "-m", "earnings_brief", *args, "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / "sensetime" / "FY2024" / "brief.pdf"


def _margins() -> tuple[float, float]:
    """The @page top and bottom margins (mm) from the stylesheet, as WeasyPrint reads them."""
    css = (REPO / "src" / "earnings_brief" / "assets" / "brief.css").read_text(encoding="utf-8")
    top, _, bottom = re.search(r"@page\s*{[^}]*?margin:\s*(\d+)mm (\d+)mm (\d+)mm", css).groups()
    return float(top), float(bottom)


def _poppler(path, *args) -> list[str]:
    out = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True)
    return re.findall(r"<page\b.*?</page>", out.stdout, re.S)


def _text_blocks(path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each text block's box (points, from the top) and its words."""
    pattern = (
        r'<block xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</block>'
    )
    return [
        [
            (
                *map(float, found[:4]),
                " ".join(unescape(w) for w in re.findall(r">([^<]+)</word>", found[4])),
            )
            for found in re.findall(pattern, page, re.S)
        ]
        for page in _poppler(path, "-bbox-layout")
    ]


def _words(path) -> list[list[tuple[float, float, float, float, str]]]:
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        [(*map(float, w[:4]), unescape(w[4])) for w in re.findall(pattern, page)]
        for page in _poppler(path, "-bbox")
    ]


def _times(a, b):
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


PAINT = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"S", b"s"}
FILLS = {b"f", b"F", b"f*"}
GEOMETRY = {b"cm", b"re", b"m", b"l", b"c", b"v", b"y", b"rg", b"g"}


def _painted(page) -> list[tuple[float, float, float, float]]:
    """The boxes of what the page paints besides text: filled or stroked paths (bars, rules),
    forms and images, from the top; a white fill (the page's background) is not content."""
    from pypdf.generic import ContentStream

    height = float(page.mediabox.height)
    xobjects = page["/Resources"].get("/XObject", {})
    ctm, white, saved, path, boxes = [1, 0, 0, 1, 0, 0], False, [], [], []

    def box(points, m):
        xs = [x * m[0] + y * m[2] + m[4] for x, y in points]
        ys = [height - (x * m[1] + y * m[3] + m[5]) for x, y in points]
        return (min(xs), min(ys), max(xs), max(ys))

    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        values = [float(v) for v in operands] if op in GEOMETRY else []
        if op == b"q":
            saved.append((ctm, white))
        elif op == b"Q":
            ctm, white = saved.pop()
        elif op == b"cm":
            ctm = _times(values, ctm)
        elif op in (b"rg", b"g"):
            white = all(v >= 0.99 for v in values)
        elif op == b"re":
            x, y, w, h = values
            path += [box([(x, y), (x + w, y + h)], ctm)]
        elif op in (b"m", b"l", b"c", b"v", b"y"):
            path += [box(list(zip(values[::2], values[1::2], strict=True)), ctm)]
        elif op in PAINT or op == b"n":
            if op != b"n" and path and not (white and op in FILLS):
                boxes.append(
                    tuple(f(b[k] for b in path) for k, f in enumerate((min, min, max, max)))
                )
            path = []
        elif op == b"Do":
            xobject = xobjects[operands[0]].get_object()
            corners, matrix = [(0, 0), (1, 1)], [1, 0, 0, 1, 0, 0]
            if xobject.get("/Subtype") == "/Form":
                x0, y0, x1, y1 = (float(v) for v in xobject["/BBox"])
                corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
                matrix = [float(v) for v in xobject.get("/Matrix", matrix)]
            boxes.append(box(corners, _times(matrix, ctm)))
    return boxes


def page_fill(path) -> list[float]:
    """How far down its content area each page is used: the lowest text or painted box."""
    reader = pypdf.PdfReader(path)
    top_mm, bottom_mm = _margins()
    fills = []
    for page, texts in zip(reader.pages, _text_blocks(path), strict=True):
        top, bottom = top_mm * MM, float(page.mediabox.height) - bottom_mm * MM
        boxes = [b[:4] for b in texts] + _painted(page)
        inside = [b for b in boxes if b[1] >= top - 1 and b[3] <= bottom + 1]
        fills.append((max((b[3] for b in inside), default=top) - top) / (bottom - top))
    return fills


def chapter_ends(path) -> set[int]:
    """Indexes of the pages a chapter ends on: before a chapter's bookmark, and the last."""
    reader = pypdf.PdfReader(path)
    starts = {
        reader.get_destination_page_number(o) for o in reader.outline if not isinstance(o, list)
    }
    return {i - 1 for i in starts} | {len(reader.pages) - 1}


@needs_poppler
def test_every_page_but_a_chapters_last_is_at_least_80_percent_full(real_pdf):
    fills = page_fill(real_pdf)
    ends = chapter_ends(real_pdf)
    assert len(fills) > 10 and len(ends) >= 6
    short = {i + 1: f"{f:.0%}" for i, f in enumerate(fills) if f < 0.8 and i not in ends}
    assert not short, f"pages under 80 % full that do not end a chapter: {short}"


@needs_poppler
def test_no_caption_is_left_at_a_pages_foot(real_pdf):
    for number, blocks in enumerate(_text_blocks(real_pdf), 1):
        top_mm, bottom_mm = _margins()
        body = [b for b in blocks if top_mm * MM <= b[1] and b[3] <= 842 - bottom_mm * MM]
        last = max(body, key=lambda b: b[3])[4] if body else ""
        assert not re.match(r"(Table|Figure) \d+\b", last), (number, last)


@needs_poppler
def test_no_two_words_overlap(real_pdf):
    """Cells that overflow into the next column draw words over each other."""
    for number, words in enumerate(_words(real_pdf), 1):
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                rows = min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])
                if rows and min(a[2], b[2]) - max(a[0], b[0]) > 0.5:
                    pytest.fail(f"page {number}: {a[4]!r} overlaps {b[4]!r}")


def test_the_page_fill_measure_sees_a_short_page(tmp_path):
    """The measure itself: a page half filled by text reads about half full; a chart counts."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">'
        '<rect width="400" height="300" fill="#0072B2"/></svg>'
    )
    data = base64.b64encode(svg.encode()).decode()
    page = "<style>@page { size: A4; margin: 20mm 16mm 18mm }</style>"
    html = (
        f"<html><head>{page}</head><body style='margin:0;font-family:DejaVu Sans'>"
        "<p style='height:120mm;margin:0'>Text</p>"
        f'<img src="data:image/svg+xml;base64,{data}" style="height:80mm;display:block">'
        "</body></html>"
    )
    path = tmp_path / "half.pdf"
    render_pdf(html, path)
    fills = page_fill(path)
    assert len(fills) == 1 and abs(fills[0] - 200 / 259) < 0.03, fills


def test_for_print_links_the_other_editions_pdf():
    html = '<p><a href="brief.html" hreflang="en" data-print-href="brief.pdf">English</a></p>'
    assert for_print(html) == '<p><a href="brief.pdf" hreflang="en">English</a></p>'
    sorted_attrs = (
        '<a data-print-href="brief.zh-Hant.pdf" href="brief.zh-Hant.html" lang="zh-Hant">'
    )
    assert for_print(sorted_attrs) == '<a href="brief.zh-Hant.pdf" lang="zh-Hant">'


def test_the_same_html_gives_the_same_pdf_bytes(tmp_path):
    """Chapters laid out again alone and spliced (a chart shrinks in the second) write the same
    bytes every time."""
    style = (REPO / "src" / "earnings_brief" / "assets" / "brief.css").read_text(encoding="utf-8")
    svg = base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400">'
        b'<rect width="600" height="400" fill="#0072B2"/></svg>'
    ).decode()
    chart = f'<img class="eb-chart" src="data:image/svg+xml;base64,{svg}" style="height:100mm">'
    cells = [
        '<h1 class="eb-running">Acme</h1><h2 class="eb-chapter" id="chapter-a">A</h2>',
        '<h2 class="eb-chapter" id="chapter-b">B</h2><div style="height:135mm"></div>'
        f'<figure class="eb-block" data-kind="figure">{chart}</figure>',
        '<figure class="eb-block" data-kind="table"><table><tr><td>1</td></tr></table></figure>',
    ]
    main = "".join(f'<div class="eb-cell">{cell}</div>' for cell in cells)
    html = (
        f'<html lang="en"><head><meta charset="utf-8"><style>{style}</style></head>'
        f'<body><main class="eb-brief">{main}</main></body></html>'
    )
    render_pdf(html, tmp_path / "one.pdf")
    render_pdf(html, tmp_path / "two.pdf")
    assert len(pypdf.PdfReader(tmp_path / "one.pdf").pages) == 3  # B's table came back
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()
