"""The assembled HTML: order, numbering, no code or noise, escaping, offline, opens in Chromium."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from executed_fixtures import (
    CHAPTERS,
    HOST,
    INPUT_CODE,
    PARAMS,
    RUN_META,
    build_brief,
    chapter_notebook,
    write_chapters,
)

from earnings_brief import blocks, dataset
from earnings_brief.assemble import (
    AssemblyError,
    arrange,
    assemble_html,
    check_offline,
    in_chapter_order,
    labels,
    levels,
    unique_ids,
)
from earnings_brief.render import render

CHANGES = [
    {
        "change": "changed",
        "metric": "revenue",
        "segment": "",
        "item": "",
        "period": "FY2024",
        "qualifier": "",
        "old": {"written": "37.6", "written_unit": "RMB 100m"},
        "new": {"written": "37.7", "written_unit": "RMB 100m"},
    }
]


@pytest.fixture(scope="module")
def ds():
    return dataset.load("sensetime", "FY2024")


@pytest.fixture(scope="module")
def brief(ds, tmp_path_factory) -> str:
    return build_brief(tmp_path_factory.mktemp("nb"), ds)


def test_sections_in_order(brief):
    order = ["summary", *CHAPTERS, "outlook", "appendix"]
    positions = [brief.index(f'id="chapter-{name}"') for name in order]
    assert positions == sorted(positions)
    assert "chapter-changes" not in brief


def test_figures_and_tables_numbered_across_the_document_with_sources(brief):
    blocks = re.findall(r"<figure\b[^>]*data-kind=\"(\w+)\".*?</figure>", brief, re.DOTALL)
    assert blocks.count("figure") == 4
    labels = re.findall(r'<span class="eb-label">(\w+) (\d+)</span>', brief)
    figures = [int(n) for kind, n in labels if kind == "Figure"]
    tables = [int(n) for kind, n in labels if kind == "Table"]
    assert figures == list(range(1, len(figures) + 1)) and len(figures) == 4
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 4
    assert '<span class="eb-label"></span>' not in brief
    for block in re.findall(r"<figure\b.*?</figure>", brief, re.DOTALL):
        assert re.search(r'<p class="eb-source">Source: \S', block)


def test_no_path_host_hash_or_version_in_the_brief(brief):
    """A client document: build detail stays in manifest.json and the run log."""
    assert PARAMS["data_dir"] not in brief and "/home/" not in brief
    assert HOST not in brief and RUN_META["generated_at"] not in brief
    assert not re.search(r"\b[0-9a-f]{40,64}\b", brief)
    assert not re.search(r"\b[0-9a-f]{12}…", brief)  # nor a shortened one
    for name, version in RUN_META["versions"].items():
        assert f"{name} {version}" not in brief
    assert RUN_META["code_version"] not in brief and "earnings-brief 0." not in brief
    assert "3.5 s" not in brief


def test_the_source_is_described_in_full_once(brief, ds):
    """Source lines name the publisher; the appendix describes the source once, in full."""
    (source,) = ds.sources.values()
    assert brief.count(html.escape(source.description)) == 1  # as written in the HTML
    assert brief.count(html.escape(source.date_note)) == 1
    lines = re.findall(r'<p class="eb-source">(.*?)</p>', brief)
    assert lines and all(len(line) < 120 for line in lines), max(lines, key=len)


def test_no_code_keys_in_the_appendix(brief):
    appendix = re.sub(r"<[^>]+>", " ", brief[brief.index('id="chapter-appendix"') :])
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b|\w\[[a-z_/]+\]", appendix)


def test_no_code_prompts_noise_or_nan(brief):
    for noise in (
        INPUT_CODE,
        "noise",
        "Markdown that must not appear",
        "Traceback",
        "In&nbsp;[",
        "Out[",
        "NaN",
        "nan%",
        "vnd.earnings-brief",
        ">42<",
        "An output of no block",
    ):
        assert noise not in brief, noise


def test_nothing_reaches_the_network(brief):
    for attr in re.findall(r'\b(?:src|srcset|href)\s*=\s*"([^"]*)"', brief):
        edition = re.fullmatch(r"brief(\.[A-Za-z-]+)?\.(html|pdf)", attr)  # the other editions
        assert attr.startswith(("data:", "#")) or edition, attr
    with pytest.raises(AssemblyError, match="external resource"):
        check_offline('<picture><source srcset="https://example.com/c.svg"></picture>')
    assert "<link" not in brief and "<script" not in brief and "@import" not in brief
    assert "url(" not in brief


def test_one_lean_file(brief):
    assert len(brief.encode()) <= 2_000_000
    assert brief.count("<html") == 1 and brief.count("<style>") == 1
    assert 'name="viewport"' in brief


def test_contents_link_every_chapter_and_section(brief):
    toc = brief[brief.index('<nav class="eb-toc"') : brief.index("</nav>")]
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert "chapter-revenue" in targets and "revenue-main" in targets
    for target in targets:
        assert f'id="{target}"' in brief


def test_what_changed_follows_the_summary(ds, tmp_path):
    html = build_brief(tmp_path, ds, changes=CHANGES)
    assert (
        html.index("chapter-summary")
        < html.index("chapter-changes")
        < html.index("chapter-revenue")
    )
    assert "37.6 RMB 100m" in html and "37.7 RMB 100m" in html


def test_error_output_is_refused(ds, tmp_path):
    with pytest.raises(AssemblyError) as err:
        build_brief(tmp_path, ds, segments={"error": True})
    assert err.value.exit_code == 5
    assert "segments.ipynb" in str(err.value) and "ZeroDivisionError" in str(err.value)


def test_missing_notebook_is_refused(ds, tmp_path):
    with pytest.raises(AssemblyError):
        assemble_html([tmp_path / "revenue.ipynb"], ds, {}, {}, None)


def test_injected_markup_in_data_shows_as_text(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(Path(dataset.default_data_dir()) / "sensetime", data / "sensetime")
    company = data / "sensetime" / "company.toml"
    company.write_text(
        company.read_text(encoding="utf-8").replace(
            'name_en = "Generative AI"', 'name_en = "<script>alert(1)</script> AI"'
        ),
        encoding="utf-8",
    )
    facts = data / "sensetime" / "FY2024" / "facts.csv"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "Technology day to be held in Shanghai", "<img src=x onerror=alert(2)> day"
        ),
        encoding="utf-8",
    )
    html = build_brief(tmp_path / "nb", dataset.load("sensetime", "FY2024", data))
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; AI" in html
    assert "&lt;img src=x onerror=alert(2)&gt; day" in html


def test_chapter_order_comes_from_the_file_names(tmp_path):
    paths = [tmp_path / f"{name}.ipynb" for name in ("auto", "extra", "revenue", "segments")]
    assert [p.stem for p in in_chapter_order(paths)] == ["revenue", "segments", "auto", "extra"]


def test_figures_and_tables_are_counted_apart_and_nothing_else_is_labelled():
    chart = blocks.Figure("c", "Chart", "", blocks.Drawing("s", "p", "m"))
    table = blocks.Table("t", "Table", "", (blocks.Column("A"),), (("1",),))
    items = [blocks.Heading(1, "h", "H"), table, chart, blocks.Prose("p"), chart, table]
    assert labels(items) == ["", "Table 1", "Figure 1", "", "Figure 2", "Table 2"]
    assert labels(items, "zh-Hant")[1] == "表1"


def test_an_unreadable_block_payload_fails_in_one_line(ds, tmp_path):
    import nbformat

    (path, *_) = write_chapters(tmp_path / "nb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].outputs[0].data[blocks.MIME] = {"schema": 1, "type": "chart"}
    nbformat.write(nb, path)
    with pytest.raises(AssemblyError) as err:
        assemble_html([path], ds, PARAMS, RUN_META, None)
    assert path.name in err.value.one_line() and "unknown block type 'chart'" in str(err.value)
    assert "\n" not in err.value.one_line()
    del nb.cells[-1].outputs[0]
    nb.cells[1].outputs[0].data[blocks.MIME]["figures"]["dtypes"] = []  # a torn data block
    nbformat.write(nb, path)
    with pytest.raises(AssemblyError, match="block payload is unreadable"):
        assemble_html([path], ds, PARAMS, RUN_META, None)


def test_fixture_notebook_follows_the_contract():
    nb = chapter_notebook("revenue")
    kinds = {o["output_type"] for c in nb.cells if c.cell_type == "code" for o in c.outputs}
    assert {"stream", "display_data", "execute_result"} <= kinds


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _dom(html: str, folder: Path, *options: str) -> subprocess.CompletedProcess:
    """The page's DOM after its scripts ran, from headless chromium, in a fresh profile."""
    folder.mkdir()
    page = folder / "brief.html"
    page.write_text(html, encoding="utf-8")
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            *options,
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


COUNT_IMAGES = """
<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const out = document.createElement("pre");
  out.id = "eb-image-count";
  out.textContent = ok + "/" + imgs.length;
  document.body.appendChild(out);
});
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt chromium)")
def test_opens_in_headless_chromium_with_every_image_loaded(brief, tmp_path):
    result = _dom(brief.replace("</body>", COUNT_IMAGES + "</body>"), tmp_path / "plain")
    found = re.search(r'id="eb-image-count">(\d+)/(\d+)<', result.stdout)
    assert found, result.stderr[-2000:]
    loaded, total = map(int, found.groups())
    assert total == brief.count("<img") and total > 0
    assert loaded == total


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REAL = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.stem in CHAPTERS)


@pytest.mark.skipif(len(REAL) < len(CHAPTERS), reason="the chapter notebooks are not there yet")
def test_real_notebooks_assemble_into_one_brief(ds, tmp_path):
    papermill = pytest.importorskip("papermill")
    executed = []
    for source in REAL:
        target = tmp_path / source.name
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters={"company": "sensetime", "period": "FY2024"},
            cwd=str(NOTEBOOKS),
            progress_bar=False,
            log_output=False,
        )
        executed.append(target)
    html = assemble_html(executed, ds, {"company": "sensetime", "period": "FY2024"}, {}, None)
    for name in ("summary", *CHAPTERS, "outlook", "appendix"):
        assert f'id="chapter-{name}"' in html
    assert "Traceback" not in html and "NaN" not in html
    assert '<span class="eb-label"></span>' not in html
    assert len(html.encode()) <= 2_000_000
    assert len(re.findall(r'\bid="([^"]+)"', html)) == len(set(re.findall(r'\bid="([^"]+)"', html)))


def test_repeated_ids_are_made_unique():
    """Anchors as slugs, the first kept and repeats suffixed, table rows counted too."""
    table = blocks.Table("A", "T", "", (blocks.Column("x"),), (("1",), ("2",)), row_ids=("b", "a"))
    items = [
        blocks.Heading(2, "a", "x"),
        blocks.Figure("a", "F", "", blocks.Drawing("s", "p", "m")),
        table,
        blocks.Contents(),
        blocks.Heading(2, "contents", "y"),
    ]
    found = unique_ids(items)
    assert [getattr(i, "id", None) for i in found] == ["a", "a-2", "a-3", None, "contents-2"]
    assert found[2].row_ids == ("b", "a-4")


LAYOUT = """
<script>
window.addEventListener("load", () => {
  const charts = Array.from(document.querySelectorAll("figure.eb-block img")).map(i => {
    const block = i.closest("figure").getBoundingClientRect();
    const box = i.getBoundingClientRect();
    return [Math.round(box.width), Math.round(block.width), Math.round(box.right - block.right),
            i.naturalWidth].join(":");
  });
  const frames = Array.from(document.querySelectorAll("figure.eb-block table")).map(t => {
    const frame = t.closest(".eb-scroll");
    if (!frame) return "none";
    const style = getComputedStyle(frame);
    return [frame.scrollWidth > frame.clientWidth, style.overflowX,
            style.backgroundImage.includes("gradient")].join(":");
  });
  const out = document.createElement("pre");
  out.id = "eb-layout";
  out.textContent = JSON.stringify({
    page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
    charts: charts, frames: frames});
  document.body.appendChild(out);
});
</script>
"""


def _layout(brief: str, tmp_path: Path, width: int) -> dict:
    """Chart widths (image, block, overhang past the block, natural width), table frames and the
    page's scroll width in a window ``width`` px wide."""
    import json

    page = brief.replace("</body>", LAYOUT + "</body>")
    result = _dom(page, tmp_path / str(width), f"--window-size={width},900")
    found = re.search(r'id="eb-layout">([^<]*)<', result.stdout)
    assert found, result.stderr[-2000:]
    data = json.loads(found[1].replace("&quot;", '"'))
    data["charts"] = [tuple(map(int, c.split(":"))) for c in data["charts"]]
    return data


WIDE_TABLE = blocks.Table(
    "wide-table",
    "Wide",
    "",
    tuple(blocks.Column(str(i)) for i in range(8)),
    (("a long cell of words",) * 8,),
    wide=True,
)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt chromium)")
def test_a_phone_gets_charts_that_fit_and_tables_that_scroll_with_a_cue(ds, tmp_path):
    """On a phone nothing runs off the page: each chart is its phone variant (200 px natural) at
    the column's width, and a table wider than the screen scrolls in a frame with edge shadows.
    (Headless Chromium lays a page out at least 500 px wide; the phone's rules apply to 640.)"""
    notebooks = write_chapters(tmp_path / "nb")
    html = assemble_html(notebooks, ds, PARAMS, RUN_META, None)
    html = html.replace("</main>", render(WIDE_TABLE, label="Table 99") + "</main>")
    phone = _layout(html, tmp_path, 390)
    assert phone["view"] < 640 and phone["page"] <= phone["view"]
    assert phone["charts"] and all(
        natural == 200 and overhang <= 0 and image >= block - 1
        for image, block, overhang, natural in phone["charts"]
    ), phone["charts"]
    assert "none" not in phone["frames"]
    assert "true:auto:true" in phone["frames"]  # the wide table scrolls, with its cue


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt chromium)")
def test_charts_fill_the_column_on_a_desktop(brief, tmp_path):
    """On a desktop a chart is its wide variant, grown from its natural 320 px to the block's
    width, at most 46rem (736 px)."""
    desktop = _layout(brief, tmp_path, 1280)
    assert desktop["page"] <= desktop["view"]
    assert desktop["charts"] and all(
        natural == 320 and abs(image - min(block, 736)) <= 1
        for image, block, _, natural in desktop["charts"]
    ), desktop["charts"]


class Reading(HTMLParser):
    """What a screen reader relies on: Chinese text outside any zh element, heading levels, and
    each table with or without a caption (a parser of its own, not the assembler's regexes)."""

    VOID = {"br", "img", "meta", "link", "source", "hr", "input", "wbr", "col"}

    def __init__(self) -> None:
        super().__init__()
        self.langs: list[tuple[str, str]] = []
        self.unmarked: list[str] = []
        self.levels: list[int] = []
        self.tables: list[bool] = []
        self.in_body = False
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.in_body = self.in_body or tag == "body"
        if tag in ("style", "script", "title"):
            self.skip += 1
        if tag == "table":
            self.tables.append(False)
        if tag == "caption" and self.tables:
            self.tables[-1] = True
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))
        if tag not in self.VOID:
            inherited = self.langs[-1][1] if self.langs else ""
            self.langs.append((tag, attrs.get("lang") or inherited))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.skip -= 1
        while self.langs and self.langs.pop()[0] != tag:
            pass

    def handle_data(self, data):
        lang = self.langs[-1][1] if self.langs else ""
        if self.in_body and not self.skip and not lang.startswith("zh"):
            self.unmarked += re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+", data)


def _read(document: str) -> Reading:
    reading = Reading()
    reading.feed(document)
    return reading


def test_every_chinese_run_is_marked_zh_hant(brief):
    reading = _read(brief)
    assert not reading.unmarked, reading.unmarked[:10]
    assert brief.count('lang="zh-Hant"') >= 10  # the dataset's names and notes are in it
    assert '<html lang="en">' in brief


def test_a_run_in_its_own_language_is_not_marked_again():
    """The company's Chinese name on an English cover, a fact's Chinese name in the outlook."""
    cover = render(blocks.Cover("SenseTime Group", "商湯集團", "0020.HK", "FY2024"))
    assert 'SenseTime Group <span lang="zh-Hant">商湯集團</span>' in cover
    cell = blocks.Cell((blocks.Run("Day"), blocks.Run("日日新", " ", lang="zh-Hant")))
    table = render(blocks.Table("t", "T", "", (blocks.Column("x"),), ((cell,),)))
    assert '<td>Day <span lang="zh-Hant">日日新</span></td>' in table


def test_the_contents_mark_the_chinese_of_the_headings_they_repeat():
    items = [blocks.Contents(), blocks.Heading(1, "c", "Auto 絕影")]
    html = "".join(arrange(items))
    assert html.count('<span lang="zh-Hant">絕影</span>') == 2
    assert '<a href="#c">Auto <span lang="zh-Hant">絕影</span></a>' in html
    assert not _read(f"<body>{html}</body>").unmarked


def test_heading_levels_never_skip(brief):
    levels = _read(brief).levels
    assert levels and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert 4 not in levels  # the summary's sub-headings are h3 under its h2


def test_a_skipped_heading_level_is_lifted():
    """Written levels: cover h1, chapter h2, section h3, a summary's sub-heading and the
    contents h4; one under a chapter becomes an h3, and siblings stay siblings."""
    cover = blocks.Cover("A", "", "", "FY2024")
    items = [
        cover,
        blocks.Heading(1, "x", "b"),
        blocks.Heading(3, "", "c"),
        blocks.Prose("p"),
        blocks.Contents(),
        blocks.Heading(2, "s", "d2"),
        blocks.Heading(3, "", "d3"),
        blocks.Heading(1, "y", "e"),
    ]
    assert levels(items) == [1, 2, 3, 0, 3, 3, 4, 2]
    html = arrange(items)
    assert '<h3 class="eb-subhead">c</h3>' in html[2] and "<h3>Contents</h3>" in html[4]


def test_a_tables_caption_names_it_even_with_a_badge_before_its_title():
    table = blocks.Table(
        "t", "Margin & lead", "", (blocks.Column("x"),), (("1",),), analysis="Assumed."
    )
    framed = render(table, label="Table 9")
    assert '<span class="eb-analysis-label">Analysis</span>' in framed
    assert '<caption class="eb-visually-hidden">Table 9 Margin &amp; lead</caption>' in framed
    assert 'aria-label="Table 9 Margin &amp; lead"' in framed
    assert framed.count('<div class="eb-scroll"') == 1 and "</table></div>" in framed


def test_every_table_has_a_caption(brief):
    tables = _read(brief).tables
    assert len(tables) >= 5 and all(tables), tables
