"""Shared pieces for the print-layout tests (pagefit, pagesplice): the brief's own stylesheet,
a chart image of any height and blocks of filler."""

from __future__ import annotations

import base64
from pathlib import Path

from earnings_brief import pagefit

CSS = (Path(pagefit.__file__).with_name("assets") / "brief.css").read_text(encoding="utf-8")
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400">'
    '<rect width="600" height="400" fill="#0072B2"/></svg>'
)
CHART = base64.b64encode(SVG.encode()).decode()


def chart(height_mm: int) -> str:
    """A chart as the brief prints one, this tall."""
    return (
        f'<img class="eb-chart" src="data:image/svg+xml;base64,{CHART}" alt="x" '
        f'style="max-height:none;height:{height_mm}mm;width:auto">'
    )


def filler(mm: int, text: str = "") -> str:
    return f'<div style="height:{mm}mm">{text}</div>'
