"""The Chinese edition of the SenseTime brief, built for real: every heading in Chinese, the page
and its English runs marked, numbers in 億 and 萬, the PDF in the embedded CJK font."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from earnings_brief import build

REPO = Path(__file__).resolve().parents[1]
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    options = build.BuildOptions(
        company="sensetime", period="FY2024", data_dir=REPO / "data", out=out, language="zh-Hant"
    )
    build.build(options, echo=lambda _line: None)
    return out / "sensetime" / "FY2024"


@pytest.fixture(scope="module")
def html(edition) -> str:
    return (edition / "brief.zh-Hant.html").read_text(encoding="utf-8")


def _visible(fragment: str) -> str:
    """A fragment's text without the runs marked English (names such as SenseTime Group)."""
    fragment = re.sub(r'<span lang="en">.*?</span>', "", fragment, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", "", fragment)


def test_the_page_is_chinese_and_links_the_english_edition(html):
    assert '<html lang="zh-Hant">' in html
    (link,) = re.findall(r"<a [^>]*>English edition</a>", html)
    for attribute in ('href="brief.html"', 'lang="en"', 'data-print-href="brief.pdf"'):
        assert attribute in link
    assert '<span lang="en">SenseTime Group</span>' in html


def test_no_english_heading(html):
    headings = re.findall(r"<(h[1-4]|figcaption|th)\b[^>]*>(.*?)</\1>", html, re.DOTALL)
    assert len(headings) > 30
    for _tag, inner in headings:
        words = re.findall(r"[A-Za-z]*[a-z][A-Za-z]*", _visible(inner))
        assert not [w for w in words if len(w) > 1], inner


def test_no_raw_key_none_or_english_fallback(html):
    text = _visible(html[html.index("<body") :])
    for bad in ("None", "nan", "n/a", "chapters.", "brief.", "narrative.", "Figure ", "Source:"):
        assert bad not in text, bad


def test_numbers_the_chinese_way(html):
    text = _visible(html[html.index("<body") :])
    for sample in ("37.7億元", "167萬輛", "2025年3月26日", "同比+10.8%", "個百分點"):
        assert sample in text, sample
    assert "RMB" not in text and " bn" not in text


@needs_poppler
def test_pdf_embeds_the_cjk_font_and_breaks_lines_the_chinese_way(edition):
    pdf = edition / "brief.zh-Hant.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK-TC" in line or "CJKtc" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "商湯集團" in text and "收入與盈利能力" in text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert not [line for line in lines if line[0] in "，。；：、）」"], (
        "a line starts with a closing mark"
    )
    assert "\ufffd" not in text  # a glyph the fonts lack (the renderer also refuses one)
