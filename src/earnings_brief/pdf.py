"""HTML → PDF with WeasyPrint: A4, page numbers, a running header, bookmarks, embedded CJK fonts.

The paged-media rules (``@page``, ``string-set``, ``bookmark-level``) live in assets/brief.css,
which the HTML already carries, so the PDF and the HTML's print preview agree. WeasyPrint uses the
system's pango and fontconfig; the print CSS pins every family, and this module checks after
rendering that only those families were used and that no glyph was missing: a PDF drawn with
empty boxes still extracts the right text, so text extraction alone proves nothing. The layout is
``pagefit``'s: pages that fill and captions that stay with their tables, chapters laid out again
alone and spliced into one document, so every layout shares one font configuration and one
image cache.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

from .errors import BriefError
from .pagefit import fit_pages

# Families the print CSS names. Any other family in the PDF means fontconfig fell back, for
# example to a Japanese face for Traditional Chinese.
PINNED_FAMILIES = (
    "Noto Sans CJK TC",
    "Brief Punctuation",  # DejaVu Sans for a few punctuation marks (assets/brief.css)
    "DejaVu Sans",
    "DejaVu Sans Mono",
    "Noto Sans Mono CJK TC",
)
CJK_FAMILY = "Noto Sans CJK TC"
# WeasyPrint's messages that mean the text or an image did not render as written.
FATAL_MARKERS = (".notdef", "glyph", "font", "Failed to load image", "Unable to")


class PdfError(BriefError):
    """The PDF could not be rendered, or rendered with missing glyphs or the wrong fonts."""

    exit_code = 5


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(html: str, pdf_path: Path) -> None:
    """Write the brief's PDF; raise PdfError on a missing glyph, a fallback font or a failure."""
    try:
        import weasyprint
    except ImportError as err:  # pango or another system library is missing
        raise PdfError(
            f"WeasyPrint cannot start: {err}",
            expected="pip install weasyprint and Debian's libpango-1.0-0 and libharfbuzz-subset0",
        ) from None
    pdf_path = Path(pdf_path)
    collect = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collect)
    try:
        document = fit_pages(for_print(html), _layout(weasyprint))
        document.write_pdf(pdf_path, finisher=_client_info)
    except weasyprint.urls.FatalURLFetchingError as err:  # a BaseException, so caught by name
        raise PdfError(
            f"the brief refers to an external resource: {err}",
            file=pdf_path,
            expected="images as data: URIs",
        ) from None
    except Exception as err:  # WeasyPrint has no common error type; one line for the user
        raise PdfError(f"WeasyPrint failed: {type(err).__name__}: {err}", file=pdf_path) from None
    finally:
        logger.removeHandler(collect)
    problems = [m for m in collect.messages if any(k in m for k in FATAL_MARKERS)]
    families = sorted({font.family for font in document.fonts.values()})
    stray = [f for f in families if f not in PINNED_FAMILIES]
    if stray:
        problems.append("fallback font used: " + ", ".join(stray))
    if problems:
        _discard(pdf_path)
        raise PdfError(
            "; ".join(dict.fromkeys(problems))[:600],
            file=pdf_path,
            expected=f"every glyph rendered in the pinned fonts ({CJK_FAMILY} for "
            "Chinese; Debian package fonts-noto-cjk)",
        )
    for message in collect.messages:
        logging.getLogger(__name__).warning("WeasyPrint: %s", message)


# A chart's <img> carries a second SVG whose text is text, not paths (charts.drawing).
_IMG = re.compile(r"<img\b[^>]*>")
_PRINT_SRC = re.compile(r'\sdata-print-src="([^"]*)"')
_SRC = re.compile(r'\ssrc="[^"]*"')


_SOURCE = re.compile(r"<source\b[^>]*>")


def for_print(html: str) -> str:
    """The HTML with each chart's print variant as its ``src`` (faster, and its text selectable)
    and each link's print target as its ``href``. The phone's ``<source>`` goes: paper is not a
    phone."""
    html = _SOURCE.sub("", html)

    def swap(tag: re.Match) -> str:
        text = tag.group(0)
        variant = _PRINT_SRC.search(text)
        if variant is None:
            return text
        rest = _SRC.sub("", text.replace(variant.group(0), ""))
        return f'<img src="{variant.group(1)}"{rest[len("<img") :]}'

    return _LINK.sub(_print_target, _IMG.sub(swap, html))


# A link whose printed target differs (the other edition's PDF rather than its HTML); the
# attributes come in any order (nbconvert sorts them).
_LINK = re.compile(r'<a\b[^>]*\sdata-print-href="[^"]*"[^>]*>')
_PRINT_HREF = re.compile(r'\sdata-print-href="([^"]*)"')


def _print_target(tag: re.Match) -> str:
    target = _PRINT_HREF.search(tag.group(0)).group(1)
    rest = _PRINT_HREF.sub("", tag.group(0))
    return re.sub(r'\shref="[^"]*"', f' href="{target}"', rest, count=1)


# System font folders: the print CSS takes a few punctuation glyphs from a local() font face.
FONT_DIRS = ("/usr/share/fonts/", "/usr/local/share/fonts/")


def _fetcher(weasyprint):
    """The brief is self-contained: data: URIs, plus installed fonts; never the network."""

    class SelfContained(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = os.path.realpath(url.removeprefix("file://").split("?")[0])
                if not path.startswith(FONT_DIRS):
                    raise weasyprint.urls.FatalURLFetchingError(f"Error fetching {url!r}")
            return super().fetch(url, headers)

    return SelfContained(allowed_protocols={"data", "file"}, fail_on_errors=True)


def _layout(weasyprint):
    """HTML → WeasyPrint Document, every one with the same fonts (pagefit splices their pages
    into one) and the same images, decoded once."""
    fetcher = _fetcher(weasyprint)
    fonts = weasyprint.text.fonts.FontConfiguration()
    images: dict = {}

    def layout(html: str):
        document = weasyprint.HTML(string=html, url_fetcher=fetcher)
        return document.render(font_config=fonts, cache=images)

    return layout


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _client_info(_document, pdf) -> None:
    """The PDF's Producer names the engine without its version: a client document carries no
    package versions (the manifest has them)."""
    producer = pdf.info["Producer"]
    pdf.info["Producer"] = type(producer)("WeasyPrint")  # the same PDF string type, no version
