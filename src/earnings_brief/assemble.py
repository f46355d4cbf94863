"""Merge the executed notebooks and the front and back matter into one self-contained HTML brief.

The recipe: read the executed notebooks (refusing any with an error output) → put them in chapter
order → build one nbformat notebook of code cells: the summary, the "what changed" section, each
chapter's outputs, the outlook and the appendix → convert it once with nbconvert's HTMLExporter and
the ``brief`` template (no inputs, prompts, markdown, streams or records) → number the figures and
tables across the whole document → give each table a ``<caption>`` and a scrolling frame → keep
heading levels without skips → fill the table of contents from the chapter and section headings →
mark every run of Chinese text ``lang="zh-Hant"`` → check that nothing in it would reach the
network.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

import nbformat

from . import blocks
from .chapters import appendix, outlook, summary
from .dataset import Dataset
from .errors import AssemblyError
from .i18n import t
from .record import MIME as RECORD_MIME
from .render import render

CHAPTER_ORDER = ("revenue", "segments", "infrastructure", "auto")
TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "brief"
CSS = Path(__file__).with_name("assets") / "brief.css"
# Output types and MIME types the brief shows; everything else (streams, errors, records,
# scripts, widgets) is dropped before conversion.
KEPT_OUTPUTS = ("display_data", "execute_result")
KEPT_MIME = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/plain")


def assemble_html(
    executed: list[Path],
    dataset: Dataset,
    params: dict,
    run_meta: dict,
    changes: list[dict] | None,
    lang: str = "en",
) -> str:
    """The brief as one HTML document: summary, chapters in order, outlook, appendix."""
    notebooks = [(path, _read(path)) for path in in_chapter_order(executed)]
    frame, checks = derived(notebooks)

    front = [_html(summary.render(dataset, frame, checks, lang), lang, "eb-summary")]
    if changes:
        front.append(_html(summary.changes_section(dataset, changes, lang), lang, "eb-changes"))
    back = [
        _html(outlook.render(dataset, lang), lang),
        _html(appendix.render(dataset, frame, checks, params, lang), lang, "eb-appendix"),
    ]
    cells = [html_cell(part) for part in front]
    for _path, nb in notebooks:
        cells.extend(shown_cells(nb))
    cells.extend(html_cell(part) for part in back)
    merged = nbformat.v4.new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})

    company = dataset.company
    title = t("brief.title", lang, company=company.name(lang), period=dataset.period.label)
    document = convert(merged, title=title, lang=lang)
    document = number_blocks(document, lang)
    document = frame_tables(document)
    document = unique_ids(document)
    document = level_headings(document)
    document = fill_contents(document, lang)
    document = mark_languages(document, lang)  # last: the contents repeat the headings' words
    check_offline(document)
    return document


def in_chapter_order(paths: Iterable[Path]) -> list[Path]:
    """Executed notebooks in the brief's chapter order (by file stem); unknown ones after."""
    paths = [Path(p) for p in paths]
    rank = {name: i for i, name in enumerate(CHAPTER_ORDER)}
    return sorted(paths, key=lambda p: rank.get(p.stem, len(rank)))


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise AssemblyError("executed notebook not found", file=path) from None
    except Exception as err:  # nbformat raises several types for unreadable files
        raise AssemblyError(f"not a readable notebook: {err}", file=path) from None
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                raise AssemblyError(
                    f"cell {index + 1} failed with {output.get('ename', 'an error')}: "
                    f"{output.get('evalue', '')}".rstrip(": "),
                    file=path,
                    expected="a notebook that ran without errors; fix it and rebuild",
                )
    return nb


def _html(items: list[blocks.Block], lang: str, wrapper: str = "") -> str:
    markup = "\n".join(render(item, lang) for item in items)
    return f'<div class="{wrapper}">\n{markup}\n</div>' if wrapper else markup


def derived(notebooks: list[tuple[Path, nbformat.NotebookNode]]):
    """The derived figures and checks the notebooks computed (each shows them as a data block at
    its start); the first notebook's, in chapter order."""
    for _path, nb in notebooks:
        for item in blocks.read_blocks(nb):
            if isinstance(item, blocks.Data):
                return item.frames()
    raise AssemblyError(
        "no executed notebook carries the derived figures",
        file=notebooks[0][0] if notebooks else None,
        expected="notebooks that call earnings_brief.notebook.start()",
    )


def html_cell(markup: str) -> nbformat.NotebookNode:
    """A code cell with no source whose one output is the given HTML (front and back matter)."""
    output = nbformat.v4.new_output("display_data", data={"text/html": markup})
    return nbformat.v4.new_code_cell(source="", outputs=[output])


def shown_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells of an executed notebook with only the outputs a reader sees."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") not in KEPT_OUTPUTS:
                continue
            data = {
                k: v
                for k, v in output.get("data", {}).items()
                if k in KEPT_MIME and k != RECORD_MIME and v
            }
            if set(data) - {"text/plain"}:
                outputs.append(nbformat.v4.new_output("display_data", data=data))
        if outputs:
            cells.append(nbformat.v4.new_code_cell(source="", outputs=outputs))
    return cells


def convert(nb: nbformat.NotebookNode, *, title: str, lang: str) -> str:
    """One nbconvert pass with the brief template; the stylesheet is inlined."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )
    resources = {
        "brief": {
            "title": title,
            "lang": lang,
            "css": CSS.read_text(encoding="utf-8"),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_LABEL = '<span class="eb-label"></span>'
_FIGURE_OR_LABEL = re.compile(r"<figure\b[^>]*>|" + re.escape(_LABEL))
_CLASS = re.compile(r'\bclass="([^"]*)"')
_KIND = re.compile(r'\bdata-kind="(figure|table)"')


def number_blocks(document: str, lang: str = "en") -> str:
    """Fill each block's empty label with 'Figure N' or 'Table N', in document order."""
    counts = {"figure": 0, "table": 0}
    current: list[str | None] = [None]

    def fill(match: re.Match) -> str:
        text = match.group(0)
        if text.startswith("<figure"):
            classes = _CLASS.search(text)
            kind = _KIND.search(text)
            is_block = classes and "eb-block" in classes.group(1).split()
            current[0] = kind.group(1) if is_block and kind else None
            return text
        kind = current[0]
        if kind is None:
            return text
        current[0] = None
        counts[kind] += 1
        label = t(f"brief.{kind}", lang, n=counts[kind])
        return f'<span class="eb-label">{html.escape(label)}</span>'

    return _FIGURE_OR_LABEL.sub(fill, document)


_TABLE_BLOCK = re.compile(r'<figure\b[^>]*\bdata-kind="table"[^>]*>.*?</figure>', re.DOTALL)
_BLOCK_LABEL = re.compile(r'<span class="eb-label">(.*?)</span>', re.DOTALL)
_BLOCK_TITLE = re.compile(r'<span class="eb-title">(.*?)</span>', re.DOTALL)
_TABLE_OPEN = re.compile(r"<table\b[^>]*>")


def frame_tables(document: str) -> str:
    """Give each block's table a ``<caption>`` ("Table 3 Title"), which screen readers announce
    with the table, visually hidden because the figcaption above already shows it; and a frame
    that scrolls sideways on a narrow screen, named after the table and reachable by keyboard."""

    def frame(match: re.Match) -> str:
        text = match.group(0)
        label, title = _BLOCK_LABEL.search(text), _BLOCK_TITLE.search(text)
        if title is None or "<caption" in text:
            return text
        words = f"{label.group(1) if label else ''} {title.group(1)}".strip()
        plain = html.escape(html.unescape(_TAGS.sub("", words)))
        caption = f'<caption class="eb-visually-hidden">{words}</caption>'
        opening = f'<div class="eb-scroll" role="region" tabindex="0" aria-label="{plain}">'
        text = _TABLE_OPEN.sub(lambda m: opening + m.group(0) + caption, text)
        return text.replace("</table>", "</table></div>")

    return _TABLE_BLOCK.sub(frame, document)


_ID_ATTR = re.compile(r'(<[a-zA-Z][^>]*?\sid=")([^"]*)(")')


def unique_ids(document: str) -> str:
    """Keep the first of each id and suffix later repeats ('-2', '-3'): chapters may reuse a
    section's id for its figure, and one document must not define an anchor twice."""
    seen: set[str] = set()

    def rename(match: re.Match) -> str:
        ident, n = match.group(2), 1
        new = ident
        while new in seen:
            n += 1
            new = f"{ident}-{n}"
        seen.add(new)
        return match.group(1) + new + match.group(3)

    return _ID_ATTR.sub(rename, document)


_ANY_HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1>", re.DOTALL)


def level_headings(document: str) -> str:
    """Lift any heading that skips a level (h4s under an h2 become h3s), so a screen reader's
    outline has no holes whatever level a chapter's code chose; siblings stay siblings."""
    open_: list[tuple[int, int]] = []  # (written level, level given) of the enclosing headings

    def lift(match: re.Match) -> str:
        written = int(match.group(1))
        while open_ and open_[-1][0] >= written:
            open_.pop()
        level = min(written, (open_[-1][1] if open_ else 0) + 1)
        open_.append((written, level))
        return f"<h{level}{match.group(2)}>{match.group(3)}</h{level}>"

    return _ANY_HEADING.sub(lift, document)


# Han, kana, bopomofo, CJK punctuation, full-width forms and the supplementary Han planes.
CJK = (
    "\u2e80-\u2fff\u3000-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff00-\uffef\U00020000-\U0002fa1f"
)
_HAS_CJK = re.compile(f"[{CJK}]")
CJK_LANG = "zh-Hant"
# A run is a word holding Chinese ("研發支出41.31億元", "鈦媒體AGI"): numbers and Latin letters
# written inside it belong to it; the punctuation around it belongs to the English sentence.
# Character references ("&amp;") are matched first so that a run never starts inside one.
_RUN = re.compile(rf"&#?\w+;|[^\s<>&]*[{CJK}][^\s<>&]*")
_EDGE = "()[],.;:!?'\""
_TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_LANG = re.compile(r"""\blang\s*=\s*["']?([^"'\s>]+)""")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
RAW_TEXT = {"style", "script", "title", "textarea"}


def _wrap_runs(text: str) -> str:
    def wrap(match: re.Match) -> str:
        run = match.group(0)
        core = run.strip(_EDGE)
        if run.startswith("&") or not _HAS_CJK.search(core):
            return run
        start = run.index(core)
        return f'{run[:start]}<span lang="{CJK_LANG}">{core}</span>{run[start + len(core) :]}'

    return _RUN.sub(wrap, text)


# In a Chinese page, a run of English is Latin words holding a lower-case letter ("SenseTime
# Group", "NVIDIA Thor"); acronyms and codes ("AI", "PFLOPS", "FY2024") read the same either way.
# Character references ("&amp;") are matched first so that a run never starts inside one.
_TAIL = r"[A-Za-z0-9.&'’+/-]*"
_LATIN_RUN = re.compile(rf"&#?\w+;|[A-Za-z]{_TAIL}(?: [A-Za-z0-9]{_TAIL})*")


def _wrap_english(text: str) -> str:
    def wrap(match: re.Match) -> str:
        whole = match.group(0)
        run = whole.rstrip(".'’-&+/")
        if whole.startswith("&") or sum(c.islower() for c in run) < 2:
            return whole
        return f'<span lang="en">{run}</span>{whole[len(run) :]}'

    return _LATIN_RUN.sub(wrap, text)


# Chinese punctuation in a Chinese page: brackets around Chinese are full-width, and no space
# follows a full-width mark (sentences and data texts are joined with spaces for English).
_CJK_BRACKETS = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")
_SPACE_AFTER_MARK = re.compile(r"([，。；：！？、）」』])[ ]+|[ ]+([（「『])")


_HALF_MARK = re.compile(rf"(?<=[{CJK}])([:;,])[ ]?")
_FULL = {":": "：", ";": "；", ",": "，"}
# A space after a tag that closes on a full-width mark ("<strong>策略。</strong> 商湯…").
_SPACE_AFTER_TAG = re.compile(r"([，。；：！？、）」』])((?:</[a-z]+>)+)[ ]+")


def _chinese_text(text: str) -> str:
    text = _HALF_MARK.sub(lambda m: _FULL[m.group(1)], _CJK_BRACKETS.sub(r"（\1）", text))
    return _wrap_english(_SPACE_AFTER_MARK.sub(r"\1\2", text))


def mark_languages(document: str, lang: str = "en") -> str:
    """Mark the runs of the other language in the page's text: Chinese runs ``lang="zh-Hant"``
    in an English page (mark_chinese); in a Chinese one, English runs ``lang="en"``, with
    Chinese punctuation around Chinese text."""
    if lang.startswith("zh"):
        return _mark(_SPACE_AFTER_TAG.sub(r"\1\2", document), "en", _chinese_text)
    return mark_chinese(document)


def mark_chinese(document: str) -> str:
    """Wrap each run of Chinese in the body's text in ``<span lang="zh-Hant">`` unless an
    enclosing element already says it is Chinese: the one place every string passes, whichever
    module escaped it. Tags, attributes (alt text), styles and the head are left as they are."""
    return _mark(document, "zh", _wrap_runs)


def _mark(document: str, other: str, wrap) -> str:
    """Apply ``wrap`` to the body's text outside elements whose language starts with ``other``."""
    parts = _TOKEN.split(document)
    stack: list[tuple[str, str]] = []  # (element, its language or the inherited one)
    raw = None
    in_body = False
    for i, part in enumerate(parts):
        if i % 2:  # a tag or a comment
            tag = _TAG.match(part)
            if not tag:
                continue
            closing, name = tag.group(1), tag.group(2).lower()
            if raw:
                raw = None if closing and name == raw else raw
                continue
            in_body = in_body or name == "body"
            if closing:
                while stack and stack.pop()[0] != name:
                    pass
            elif name in RAW_TEXT:
                raw = name
            elif name not in VOID and not tag.group(3).rstrip().endswith("/"):
                own = _LANG.search(tag.group(3))
                stack.append((name, own.group(1) if own else (stack[-1][1] if stack else "")))
        elif in_body and not raw and not (stack and stack[-1][1].lower().startswith(other)):
            parts[i] = wrap(part)
    return "".join(parts)


_HEADING = re.compile(r"<(h2|h3)\b([^>]*)>(.*?)</\1>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]*)"')
_TAGS = re.compile(r"<[^>]+>")


def headings(document: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of every chapter and section heading, in document order."""
    found = []
    for match in _HEADING.finditer(document):
        classes = _CLASS.search(match.group(2))
        names = classes.group(1).split() if classes else []
        level = 1 if "eb-chapter" in names else 2 if "eb-section" in names else 0
        ident = _ID.search(match.group(2))
        if level and ident:
            text = html.unescape(_TAGS.sub("", match.group(3))).strip()
            found.append((level, ident.group(1), " ".join(text.split())))
    return found


def fill_contents(document: str, lang: str = "en") -> str:
    start = document.find("<ol></ol></nav>", document.find('<nav class="eb-toc"'))
    if start < 0:
        return document
    filled = render(blocks.Contents(tuple(headings(document))), lang)
    listing = filled[filled.index("<ol>") : -len("</nav>")]
    return document[:start] + listing + document[start + len("<ol></ol>") :]


_EXTERNAL = re.compile(
    r"""<(?:img|script|iframe|embed|source|video|audio|input)\b[^>]*\bsrc(?:set)?\s*=\s*["']?\s*"""
    r"""(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|@import""",
    re.IGNORECASE,
)


def check_offline(document: str) -> None:
    """Refuse a document that would make a network request when opened."""
    match = _EXTERNAL.search(document)
    if match:
        snippet = document[match.start() : match.start() + 120].replace("\n", " ")
        raise AssemblyError(
            f"the brief would load an external resource: {snippet}",
            expected="images as data: URIs and inline styles only",
        )
