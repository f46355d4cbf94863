"""Small datasets written into a temporary folder, for tests of one format feature at a time."""

from __future__ import annotations

from pathlib import Path

from earnings_brief import dataset

HEADER = "metric,segment,item,period,value,unit,qualifier,as_of,source,note"
COMPANY = """name_en = "Mini Co"
name_zh = "迷你公司"
ticker = "0001.HK"
exchange = "HKEX"
currency = "HKD"
fiscal_year_end = "12-31"
{segments}
"""
SEGMENTS = """
[segments.chips]
name_en = "Chips"

[segments.licensing]
name_en = "Licensing"
"""
PERIOD = """label = "FY2025"
kind = "annual"
start = 2025-01-01
end = 2025-12-31
comparison = "FY2024"
sources = ["src"]
"""
SOURCE = """[src]
publisher = "Mini Co"
title = "Annual results announcement"
"""


def write(
    root: Path,
    rows: list[str],
    *,
    segments: str = SEGMENTS,
    catalog: str = "",
    sources: str = SOURCE,
    claims: list[str] = (),
) -> Path:
    """A company 'mini' with one period FY2025 (comparison FY2024) holding ``rows``."""
    company = root / "mini"
    folder = company / "FY2025"
    folder.mkdir(parents=True)
    (company / "company.toml").write_text(COMPANY.format(segments=segments), "utf-8")
    if catalog:
        (company / "catalog.toml").write_text(catalog, "utf-8")
    (folder / "period.toml").write_text(PERIOD, "utf-8")
    (folder / "sources.toml").write_text(sources, "utf-8")
    (folder / "figures.csv").write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    if claims:
        text = "\n".join(["id,left,relation,right,period,source,note", *claims]) + "\n"
        (folder / "claims.csv").write_text(text, "utf-8")
    return root


def load(root: Path, rows: list[str], **kw) -> dataset.Dataset:
    write(root, rows, **kw)
    return dataset.load("mini", "FY2025", root)


def row(metric: str, value: str, unit: str, *, segment="", item="", period="FY2025", qual=""):
    """One figures.csv line with source 'src'."""
    return f"{metric},{segment},{item},{period},{value},{unit},{qual},,src,"


# A dataset metric counted in its own noun, for the catalog and format tests.
UNITS_CATALOG = """
[metrics.units_shipped]
label_en = "Units shipped"
label_zh = "出貨量"
kind = "count"
noun_en = "units"
noun_zh = "件"
topic = "segments.kpis"
"""
