"""outputs/index.html: every published brief, and a peer table for each period companies share.

A brief is listed once, with a link to each of its published editions (one per language: the
English ``brief.html``, ``brief.zh-Hant.html`` beside it, …). Its row describes the edition in the
index's language when there is one, else the first published. It is listed from what was
published (that edition's manifest: edition and date) and from its dataset
(figures derived by ``metrics``, exactly as the brief derives them). When the dataset has changed
since the edition, the row says so and shows no figure, so the index never shows a number the
linked brief does not. Each peer cell links to the section of the brief that shows that figure,
by the section's heading id (``<chapter>-<block>``, see docs/architecture.md) when the published
HTML has it (else its chapter's, else the brief itself). The peer metrics are those the metric
catalog marks ``peer``. The page is one file with its CSS, escaped by Jinja's
autoescape, and written only when its bytes change: the same inputs give the same page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import provenance, publish
from .errors import BriefError
from .i18n import languages, t

INDEX = "index.html"
TEMPLATE = Path(__file__).with_name("templates") / "index" / "index.html.j2"
# The columns of the briefs list; the peer tables' are the metrics the catalog marks `peer`.
HEADLINE = ("revenue", "revenue_growth")
# Sections that show a topic under another heading id than '<chapter>-<section>': tried first.
# (A loss-making company's profit figures sit under the net-loss section.)
SECTION_OF_TOPIC = {
    "revenue.headline": "revenue-revenue-vs-prior",
    "revenue.profit": "revenue-net-loss",
}
_ID = re.compile(r'\bid="([^"]+)"')


@dataclass
class Cell:
    text: str
    href: str
    derived: bool = False


@dataclass
class Edition:
    language: str
    name: str  # the language's name for itself: 'English', '繁體中文'
    html: str
    pdf: str


@dataclass
class Entry:
    company: str
    period: str
    name: str
    ticker: str
    edition_date: str
    html: str
    pdf: str
    current: bool
    flags: int | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    editions: list[Edition] = field(default_factory=list)


def write(out: Path, data_dir: Path, briefs: Iterable[tuple[str, str]], lang: str = "en") -> Path:
    """Write ``out/index.html`` for the published ``briefs``; return its path."""
    entries = [e for c, p in briefs if (e := entry(Path(out), Path(data_dir), c, p, lang))]
    page = render(entries, lang)
    path = Path(out) / INDEX
    if not path.is_file() or path.read_text(encoding="utf-8") != page:
        publish.write_atomic(path, page)
    return path


def entry(out: Path, data_dir: Path, company: str, period: str, lang: str = "en") -> Entry | None:
    """One brief with its published editions, or None when none is published."""
    brief = out / company / period
    order = [lang, *(other for other in languages() if other != lang)]
    found = {other: m for other in order if (m := _published(brief, other))}
    if not found:
        return None
    base = f"{company}/{period}/"
    editions = [
        Edition(
            other, t(f"brief.language.{other}", other),
            base + publish.edition_file(other, "html"), base + publish.edition_file(other, "pdf"),
        )
        for other in found
    ]  # fmt: skip
    first, manifest = next(iter(found.items()))
    item = Entry(
        company, period, company, "", str(manifest.get("generated_at", ""))[:10],
        editions[0].html, editions[0].pdf, current=False, editions=editions,
    )  # fmt: skip
    try:
        _figures(item, manifest, publish.language_dir(brief, first), data_dir, lang)
    except BriefError:  # the dataset no longer loads: list the brief, show no figure
        item.current = False
    return item


def _published(brief: Path, lang: str) -> dict | None:
    """The manifest of the brief's edition in ``lang`` when it and the documents the index links
    to (beside the English ones for another language) exist."""
    manifest = provenance.read_manifest(publish.language_dir(brief, lang) / publish.MANIFEST)
    linked = [brief / publish.edition_file(lang, d.rsplit(".", 1)[1]) for d in publish.DOCUMENTS]
    return manifest if manifest and all(p.is_file() for p in linked) else None


def _figures(item: Entry, manifest: dict, brief_dir: Path, data_dir: Path, lang: str) -> None:
    from . import metrics
    from .dataset import dataset_files, load

    ds = load(item.company, item.period, data_dir)
    item.name, item.ticker = ds.company.name_en, ds.company.ticker
    files = dataset_files(item.company, item.period, data_dir)
    item.current = manifest.get("data_hash") == provenance.files_hash(files)
    if not item.current:
        return
    comparison = (manifest.get("parameters") or {}).get("comparison_period") or None
    frame = metrics.derive(ds, comparison)
    item.flags = int((metrics.reconcile(ds, frame)["status"] == "flag").sum())
    ids = set(_ID.findall((brief_dir / "brief.html").read_text(encoding="utf-8")))
    item.sources = sorted({s.publisher for s in ds.sources.values()})
    for metric in dict.fromkeys([*HEADLINE, *peer_metrics()]):
        row = metrics.lookup(frame, metric, "", "", item.period)
        if row is not None:
            anchor = next((a for a in anchors(metric) if a in ids), "")
            item.cells[metric] = Cell(
                _text(row, ds.company.currency, lang),
                item.html + (f"#{anchor}" if anchor else ""),
                row["basis"] == "derived",
            )


def peer_metrics() -> list[str]:
    """The comparable metrics: those the bundled catalog marks ``peer``, in its order."""
    from . import catalog

    return catalog.load().peer_metrics()


def anchors(metric: str) -> list[str]:
    """Ids of the brief's heading that shows ``metric``, best first: its section, its chapter."""
    from . import catalog
    from .blocks import slug

    topic = catalog.load().topic(metric)
    if "." not in topic:
        return []
    chapter, section = topic.split(".", 1)
    found = [slug(f"{chapter}-{section}"), f"chapter-{chapter}"]
    return [SECTION_OF_TOPIC[topic], *found] if topic in SECTION_OF_TOPIC else found


def _text(row, currency: str, lang: str) -> str:
    from .narrative import quantity

    return quantity(row, currency=currency, lang=lang)


def peer_groups(entries: list[Entry]) -> list[tuple[str, list[Entry], list[str]]]:
    """Periods that two or more companies with current figures share, in period order, with
    the peer metrics at least one of them has."""
    by_period: dict[str, list[Entry]] = {}
    for e in entries:
        if e.current:
            by_period.setdefault(e.period, []).append(e)
    groups = []
    for period in sorted(by_period):
        group = by_period[period]
        columns = [m for m in peer_metrics() if any(m in e.cells for e in group)]
        if len(group) > 1 and columns:
            groups.append((period, group, columns))
    return groups


def render(entries: list[Entry], lang: str = "en") -> str:
    import jinja2

    from . import catalog

    env = jinja2.Environment(
        autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined
    )
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    entries = sorted(entries, key=lambda e: (e.name.lower(), e.period))
    return template.render(
        t=lambda key, **v: t(f"index.{key}", lang, **v),
        lang=lang,
        entries=entries,
        groups=peer_groups(entries),
        headline=HEADLINE,
        metric_name=lambda m: catalog.load().label(m, lang),
    )
