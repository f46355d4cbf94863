"""The PDF: A4, page numbers, running header, bookmarks, Chinese text in an embedded CJK font."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from executed_fixtures import build_brief

from earnings_brief import dataset
from earnings_brief.pdf import PdfError, render_pdf

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

    css = Path(appendix.blocks.__file__).with_name("assets") / "brief.css"
    style = css.read_text(encoding="utf-8")
    table = appendix.sources_table(dataset.load("sensetime", "FY2024"))
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
