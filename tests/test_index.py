"""outputs/index.html: every published brief, peer tables with links into the briefs, escaping,
stale data, reproducibility, and the page in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from earnings_brief import index, metrics, provenance
from earnings_brief.dataset import dataset_files, default_data_dir, load
from earnings_brief.narrative import quantity
from earnings_brief.publish import language_dir, publish_beside

TWIN = "sensetwin"
PERIOD = "FY2024"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def universe(tmp_path):
    """Two companies with FY2024 data, both published; the twin's name is hostile HTML."""
    data = tmp_path / "data"
    shutil.copytree(default_data_dir() / "sensetime", data / "sensetime")
    shutil.copytree(data / "sensetime", data / TWIN)
    toml = data / TWIN / "company.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        .replace('key = "sensetime"', f'key = "{TWIN}"')
        .replace('name_en = "SenseTime Group"', 'name_en = "Twin <b>&</b> Co"'),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    sections = ("revenue-gross-profit", "revenue-net-loss")
    publish(out, data, "sensetime", ids=(*sections, "chapter-revenue"))
    publish(out, data, TWIN, ids=sections)
    return out, data


def publish(out: Path, data: Path, company: str, ids=(), lang: str = "en") -> Path:
    """What a build leaves: manifest (data hash, edition date), brief.html with ids, brief.pdf;
    for another language in its own folder, with copies of the documents beside the English."""
    brief = language_dir(out / company / PERIOD, lang)
    brief.mkdir(parents=True)
    manifest = {
        "schema": provenance.MANIFEST_SCHEMA,
        "data_hash": provenance.files_hash(dataset_files(company, PERIOD, data)),
        "generated_at": "2025-03-27T08:00:00+00:00" if lang == "en" else "2025-03-28T08:00:00",
        "parameters": {"comparison_period": ""},
    }
    (brief / "manifest.json").write_text(json.dumps(manifest))
    (brief / "brief.html").write_text("".join(f'<h3 id="{i}">x</h3>' for i in ids))
    (brief / "brief.pdf").write_bytes(b"%PDF-1.7\n")
    publish_beside(out / company / PERIOD, lang)
    return brief


def expected_text(data: Path, metric: str) -> str:
    ds = load("sensetime", PERIOD, data)
    row = metrics.lookup(metrics.derive(ds), metric, "", "", PERIOD)
    return quantity(row, currency=ds.company.currency)


def peer_cells(page: str) -> list[tuple[str, str, str]]:
    table = re.search(r'<table class="peers" data-period="FY2024">.*?</table>', page, re.S)[0]
    return re.findall(r'data-metric="([a-z_]+)"><a href="([^"]+)">([^<]+)</a>', table)


def test_lists_every_brief_and_a_peer_table_linking_into_each(universe):
    out, data = universe
    path = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)])
    page = path.read_text(encoding="utf-8")
    assert page.count("<tr data-brief=") == 4  # two in the list, two in the peer table
    assert 'href="sensetime/FY2024/brief.pdf"' in page and "2025-03-27" in page
    cells = peer_cells(page)
    # the catalog's peer metrics this dataset has (SenseTime reports a loss, not a profit)
    columns = ["revenue", "revenue_growth", "gross_margin", "net_loss_to_revenue",
               "rd_expense", "rd_to_revenue"]  # fmt: skip
    assert set(columns) <= set(index.peer_metrics())
    assert [m for m, _, _ in cells] == columns * 2
    found = {(href.split("/")[0], metric): (href, text) for metric, href, text in cells}
    href, text = found["sensetime", "gross_margin"]
    assert href == "sensetime/FY2024/brief.html#revenue-gross-profit"
    assert text == expected_text(data, "gross_margin")
    href, text = found[TWIN, "net_loss_to_revenue"]
    assert href == f"{TWIN}/FY2024/brief.html#revenue-net-loss"
    assert text == expected_text(data, "net_loss_to_revenue")
    # a section the published brief does not have: its chapter's heading, else the brief
    assert found["sensetime", "rd_to_revenue"][0] == "sensetime/FY2024/brief.html#chapter-revenue"
    assert found[TWIN, "rd_to_revenue"][0] == f"{TWIN}/FY2024/brief.html"
    assert index.anchors("net_margin") == ["revenue-net-loss", "revenue-profit", "chapter-revenue"]
    assert "Twin &lt;b&gt;&amp;&lt;/b&gt; Co" in page and "<b>&" not in page


def test_a_brief_whose_data_changed_shows_no_figure_and_leaves_the_peer_table(universe):
    out, data = universe
    figures = data / TWIN / PERIOD / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    figures.write_text(text.replace("FY2024,37.7,", "FY2024,37.8,", 1))
    page = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)]).read_text()
    assert "The data changed after this edition" in page
    assert 'class="peers"' not in page  # one current company left: no peers to compare
    row = re.search(rf'<tr data-brief="{TWIN}/FY2024">.*?</tr>', page, re.S)[0]
    assert "bn" not in row and "—" in row


def test_unpublished_briefs_are_left_out_and_the_page_is_reproducible(universe, tmp_path):
    out, data = universe
    shutil.rmtree(out / TWIN)
    path = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)])
    first, stamp = path.read_bytes(), path.stat().st_mtime_ns
    assert b'data-brief="sensetwin' not in first
    assert index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)]) == path
    assert path.read_bytes() == first and path.stat().st_mtime_ns == stamp  # not rewritten
    links = re.findall(rb'(?:src|href)="([^"#]+)', first)
    assert links and all(not re.match(rb"[a-z]+:", link) for link in links)  # relative, offline
    assert b"<script" not in first


def editions_cell(page: str, brief: str) -> list[tuple[str, str]]:
    row = re.search(rf'<tr data-brief="{brief}">.*?</tr>', page, re.S)[0]
    cell = re.search(r'<td class="editions">(.*?)</td>', row, re.S)[1]
    return re.findall(r'<a href="([^"]+)" hreflang="([^"]+)">', cell)


def test_each_brief_links_every_published_edition(universe):
    out, data = universe
    publish(out, data, "sensetime", ids=("revenue-gross-profit",), lang="zh-Hant")
    page = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)]).read_text()
    assert editions_cell(page, f"sensetime/{PERIOD}") == [
        ("sensetime/FY2024/brief.html", "en"),
        ("sensetime/FY2024/brief.pdf", "en"),
        ("sensetime/FY2024/brief.zh-Hant.html", "zh-Hant"),
        ("sensetime/FY2024/brief.zh-Hant.pdf", "zh-Hant"),
    ]
    assert '<span class="edition" lang="zh-Hant">繁體中文</span>' in page
    assert editions_cell(page, f"{TWIN}/{PERIOD}") == [
        (f"{TWIN}/FY2024/brief.html", "en"),
        (f"{TWIN}/FY2024/brief.pdf", "en"),
    ]
    # A brief published in Chinese only is listed, its figures linking into that edition.
    for name in ("brief.html", "brief.pdf", "manifest.json"):
        (out / "sensetime" / PERIOD / name).unlink()
    page = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)]).read_text()
    assert [lang for _, lang in editions_cell(page, f"sensetime/{PERIOD}")] == ["zh-Hant"] * 2
    found = {(h.split("/")[0], m): h for m, h, _ in peer_cells(page)}
    assert found["sensetime", "gross_margin"] == (
        "sensetime/FY2024/brief.zh-Hant.html#revenue-gross-profit"
    )
    assert "2025-03-28" in page  # that edition's date


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt chromium)")
def test_opens_in_headless_chromium(universe, tmp_path):
    out, data = universe
    path = index.write(out, data, [("sensetime", PERIOD), (TWIN, PERIOD)])
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = result.stdout
    assert "<title>Earnings briefs</title>" in dom, result.stderr[-2000:]
    assert len(peer_cells(dom)) == 2 * 6
    assert "Twin &lt;b&gt;&amp;&lt;/b&gt; Co" in dom  # text, not markup, after parsing
