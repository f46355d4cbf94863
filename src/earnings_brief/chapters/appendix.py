"""The appendix: every figure with its basis and source, the reconciliation checks, the parameters,
the run metadata and the sources, each described once.

Also the one place that says how a figure is named and shown in words (``figure_name``,
``show_value``), so that the summary, the outlook and the "what changed" section agree with it.
Every string from data is escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

import pandas as pd

from .. import __version__, blocks, formatting
from ..dataset import Dataset, figure_label, parse_reference
from ..grouping import largest_items
from ..i18n import has, t

esc = html.escape


# ---------------------------------------------------------------------------------------------
# Names and values


def _humanize(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _named(namespace: str, key: str, lang: str) -> str:
    """A key's reader-facing name from the narrative catalog, else the key in words."""
    name = f"narrative.{namespace}.{key}"
    return t(name, lang) if has(name, lang) else _humanize(key)


def metric_name(metric: str, lang: str = "en") -> str:
    return _named("metric", metric, lang)


def segment_name(ds: Dataset, segment: str) -> str:
    seg = ds.company.segments.get(segment)
    return seg.name_en if seg else _humanize(segment)


def figure_name(ds: Dataset, metric: str, segment: str = "", item: str = "", lang: str = "en"):
    """'Revenue growth · Generative AI · Productivity tools' (plain text)."""
    parts = [metric_name(metric, lang)]
    if segment:
        parts.append(segment_name(ds, segment))
    if item:
        parts.append(_named("item", item, lang))
    return " · ".join(parts)


def input_name(ds: Dataset, label: str, lang: str = "en") -> str:
    """A check's input as the brief names it: 'revenue[vision_ai] FY2024' → 'Revenue · Vision AI
    FY2024' (the exact keys stay in the figures table, where derived rows list them)."""
    reference, _, period = label.rpartition(" ")
    metric, segment, item = parse_reference(reference) or (reference, "", "")
    return f"{figure_name(ds, metric, segment, item, lang)} {period}"


def show_value(row: Mapping, lang: str = "en", *, digits: int | None = None) -> str:
    """In words from its base value, unit and dimension: 'RMB 3.77 bn', '>23,000 PFLOPS'."""
    value, unit, dimension = row.get("value"), str(row.get("unit", "")), row.get("dimension", "")
    if value is None or (isinstance(value, float) and value != value):
        return t("format.na", lang)
    value = float(value)
    qualifier = str(row.get("qualifier", "") or "")
    if dimension == "money":
        trim = formatting.approximate(qualifier)
        text = formatting.money(value, unit, lang, digits=digits, trim=trim)
    elif dimension == "ratio":
        text = formatting.percent(value, lang, digits=1 if digits is None else digits)
    elif dimension == "multiple":
        text = formatting.multiple(value, lang, digits=0 if value == int(value) else 1)
    elif dimension == "per_unit" and "/" in unit:
        currency, noun = unit.split("/", 1)
        money = formatting.money(value, currency, lang, scale="", digits=0)
        text = t("brief.per_unit", lang, value=money, noun=noun.removesuffix("s"))
    elif dimension == "duration":
        text = t("brief.months", lang, number=f"{value:,.{0 if value == int(value) else 1}f}")
    else:  # counts, compute and anything else: the number and its base unit
        number = formatting.count(value, lang)
        text = f"{number} {unit}".strip()
    return formatting.prefix(qualifier, lang) + text


def check_anchor(check_id: str) -> str:
    """The id of a check's row in the appendix, for links from the summary's flags."""
    return "check-" + blocks.slug(check_id)


def source_anchor(source_id: str) -> str:
    return "source-" + blocks.slug(source_id)


# ---------------------------------------------------------------------------------------------
# The appendix


def render(
    ds: Dataset,
    frame: pd.DataFrame,
    checks: pd.DataFrame,
    params: Mapping,
    run_meta: Mapping,
    lang: str = "en",
) -> str:
    """The appendix's HTML: figures, checks, parameters, run metadata and sources."""
    parts = [
        '<div class="eb-appendix">',
        blocks.chapter("appendix", t("brief.appendix.chapter", lang)),
        blocks.section("appendix-figures", t("brief.appendix.figures", lang)),
        figures_table(ds, frame, lang),
        blocks.section("appendix-checks", t("brief.appendix.checks", lang)),
        checks_table(ds, frame, checks, lang),
        blocks.section("appendix-parameters", t("brief.appendix.parameters", lang)),
        _pairs_table(
            "appendix-parameters-table",
            t("brief.appendix.parameters_title", lang),
            t("brief.appendix.parameter", lang),
            params,
            lang,
            names="brief.param_field",
        ),
        blocks.section("appendix-run", t("brief.appendix.run", lang)),
        _pairs_table(
            "appendix-run-table",
            t("brief.appendix.run_title", lang),
            t("brief.appendix.field", lang),
            _run_rows(run_meta),
            lang,
            names="brief.run_field",
        ),
        blocks.section("appendix-sources", t("brief.appendix.sources", lang)),
        sources_table(ds, lang),
        "</div>",
    ]
    return "\n".join(parts)


def _run_rows(run_meta: Mapping) -> dict:
    """The run metadata without the run id when it only repeats the edition."""
    meta = dict(run_meta or {})
    if "edition" in meta and meta.get("run_id") == meta["edition"]:
        meta.pop("run_id")
    return meta


def _table(headers: Iterable[tuple[str, bool]], rows: Iterable[str], *, wide: bool = False) -> str:
    head = "".join(
        f'<th{" class=num" if num else ""} scope="col">{esc(h)}</th>' for h, num in headers
    )
    cls = ' class="eb-wide"' if wide else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# Columns of numbers, right-aligned under their headers.
NUMERIC = ("value", "stated", "recomputed", "difference")


def _headers(keys: Iterable[str], lang: str) -> list[tuple[str, bool]]:
    """Column headers from ``brief.appendix.<key>``, numeric ones marked for right alignment."""
    return [(t(f"brief.appendix.{k}", lang), k in NUMERIC) for k in keys]


def _wide_block(block_id: str, title: str, subtitle: str, headers, rows, source, lang: str) -> str:
    """One of the appendix's full-width numbered tables: headers, rows, caption and Source."""
    table = _table(headers, rows, wide=True)
    return blocks.block("table", block_id, title, subtitle, table, source, lang=lang)


def _cell(text: str, *, num: bool = False, raw: bool = False) -> str:
    return f"<td{' class=num' if num else ''}>{text if raw else esc(text)}</td>"


def _name_cell(ds: Dataset, row: Mapping, lang: str, note: str = "", *, keyed=True) -> str:
    """The figure's name, its key when ``keyed`` (as derived rows cite their inputs) and an
    optional note."""
    name = esc(figure_name(ds, row["metric"], row["segment"], row["item"], lang))
    key = esc(figure_label(row["metric"], row["segment"], row["item"]))
    key = f'<br><span class="eb-key">{key}</span>' if keyed else ""
    note = f'<br><span class="eb-cell-note">{esc(note)}</span>' if note else ""
    return f'<td class="eb-name">{name}{key}{note}</td>'


def figures_table(ds: Dataset, frame: pd.DataFrame, lang: str = "en") -> str:
    """Every figure, reported then derived; derived rows list the figures they came from."""
    rows = []
    listed, compact = _many_items(frame)
    for row in listed.to_dict("records"):
        derived = row["basis"] == "derived"
        written = f"{row.get('written', '')} {row.get('written_unit', '')}".strip()
        if derived:
            origin = t("brief.derived_from", lang, inputs=", ".join(row.get("inputs") or ()))
            origin_html = esc(origin)
        else:
            origin_html = "; ".join(
                f'<a href="#{source_anchor(s)}">{esc(s)}</a>'
                for s in str(row["source"]).split(",")
                if s
            )
        rows.append(
            f'<tr class="eb-{row["basis"]}">'
            + _name_cell(ds, row, lang, str(row.get("note") or ""))
            + _cell(row["period"])
            + _cell(show_value(row, lang), num=True)
            + _cell(written)
            + _cell(t(f"brief.appendix.{'derived' if derived else 'reported'}", lang))
            + f'<td class="eb-origin">{origin_html}</td>'
            + "</tr>"
        )
    rows += [_items_row(ds, group, lang) for group in compact]
    a = "brief.appendix."
    headers = _headers(("figure", "period", "value", "written", "basis", "origin"), lang)
    reported = int((frame["basis"] == "reported").sum())
    return _wide_block(
        "appendix-all-figures",
        t(a + "figures_title", lang, reported=reported, derived=len(frame) - reported),
        t(a + "figures_subtitle", lang),
        headers,
        rows,
        blocks.source_text(frame[frame["basis"] == "reported"], ds.sources, lang),
        lang,
    )


def _many_items(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Rows listed one by one, and per metric, segment and period with many items, the items
    beyond the largest few, listed compactly in one row each (5,000 items are 15 pages, not 180)."""
    compact = []
    for _key, group in frame[frame["item"] != ""].groupby(
        ["metric", "segment", "period", "basis"], sort=False
    ):
        kept, left_out = largest_items(group)
        if left_out:
            compact.append(group.drop(kept.index))
    dropped = [i for group in compact for i in group.index]
    return frame.drop(dropped), compact


def _items_row(ds: Dataset, group: pd.DataFrame, lang: str) -> str:
    """One row for many items of one figure: 'Product 1 12k users; Product 2 9k users; …'."""
    first = group.iloc[0]
    name = esc(figure_name(ds, first["metric"], first["segment"], "", lang))
    count = t("chapters.common.more_items_here", lang, count=f"{len(group):,}")
    listing = "; ".join(
        f"{esc(_named('item', r['item'], lang))} {esc(show_value(r, lang))}"
        for r in group.to_dict("records")
    )
    sources = dict.fromkeys(s for v in group["source"] for s in str(v).split(",") if s)
    origin = "; ".join(f'<a href="#{source_anchor(s)}">{esc(s)}</a>' for s in sources)
    basis = "derived" if first["basis"] == "derived" else "reported"
    # Name, period, value and written share one wide cell: the list then takes a third the pages.
    return (
        f'<tr class="eb-{basis}"><td class="eb-name" colspan="4">{name} {esc(first["period"])}'
        f' <span class="eb-cell-note">({esc(count)})</span><br>{listing}</td>'
        + _cell(t(f"brief.appendix.{basis}", lang))
        + f'<td class="eb-origin">{origin}</td></tr>'
    )


# Money in the checks table: one scale and precision in every row and column, so that stated,
# recomputed and a difference read alike ('HKD 1,250.0 m', 'HKD −0.1 m', 'HKD 0.0 m').
CHECK_MONEY_SCALE = "m"


def check_value(frame: pd.DataFrame, check: Mapping, value, lang: str, *, change=False) -> str:
    """A check's stated, recomputed or difference value, in the unit of the figure it checks."""
    like = frame[
        (frame["metric"] == check["metric"])
        & (frame["segment"] == check["segment"])
        & (frame["item"] == check["item"])
    ]
    dimension = like["dimension"].iloc[0] if len(like) else ""
    unit = like["unit"].iloc[0] if len(like) else ""
    if value is None or value != value:
        return t("format.na", lang)
    if dimension == "ratio":
        if change:
            return formatting.points(float(value), lang, digits=2)
        return formatting.percent(float(value), lang, digits=2)
    if dimension == "money":
        return formatting.money(float(value), unit, lang, scale=CHECK_MONEY_SCALE, digits=1)
    return show_value({"value": value, "unit": unit, "dimension": dimension}, lang)


def checks_table(ds: Dataset, frame: pd.DataFrame, checks: pd.DataFrame, lang: str = "en") -> str:
    """Each reconciliation check with pass or flag and the difference; rows are link targets."""
    a = "brief.appendix."
    if checks is None or checks.empty:
        return blocks.missing(t(a + "no_checks", lang))
    rows = []
    for c in checks.to_dict("records"):
        flagged = c["status"] == "flag"
        kind = (
            t(f"brief.check_kind.{c['kind']}", lang)
            if has(f"brief.check_kind.{c['kind']}")
            else c["kind"]
        )
        span = t(
            a + "range_note",
            lang,
            lo=check_value(frame, c, c["lo"], lang),
            hi=check_value(frame, c, c["hi"], lang),
        )
        recomputed = (
            f'<td class="num">{esc(check_value(frame, c, c["recomputed"], lang))}'
            f'<br><span class="eb-cell-note">{esc(span)}</span></td>'
        )
        note = str(c.get("note") or "")
        inputs = t(a + "list_sep", lang).join(
            input_name(ds, i, lang) for i in c.get("inputs") or ()
        )
        inputs = f'<span class="eb-cell-note">{esc(inputs)}</span>' if inputs else ""
        detail = "<br>".join(p for p in (esc(note), inputs) if p)
        status = t(a + ("flag" if flagged else "pass"), lang)
        rows.append(
            f'<tr id="{esc(check_anchor(c["id"]))}"{" class=eb-flagged" if flagged else ""}>'
            + _name_cell(ds, c, lang, keyed=False)
            + _cell(kind)
            + _cell(c["period"])
            + _cell(check_value(frame, c, c["stated"], lang), num=True)
            + recomputed
            + _cell(check_value(frame, c, c["difference"], lang, change=True), num=True)
            + f'<td class="eb-status-{c["status"]}">{esc(status)}</td>'
            + _cell(detail, raw=True)
            + "</tr>"
        )
    headers = _headers(
        ("check", "kind", "period", "stated", "recomputed", "difference", "status", "note"), lang
    )
    flagged = int((checks["status"] == "flag").sum())
    ids = [s for s in checks["source"] if s]
    return _wide_block(
        "appendix-checks-table",
        t(
            a + "checks_title",
            lang,
            passed=len(checks) - flagged,
            total=len(checks),
            flagged=flagged,
        ),
        t(a + "checks_subtitle", lang),
        headers,
        rows,
        blocks.source_text(None, ds.sources, lang, source_ids=ids),
        lang,
    )


def _plain(value, lang: str = "en") -> str:
    """A parameter or run value in words: 'none' for nothing, lists joined, no Python literal."""
    if value is None or value == "" or (isinstance(value, (list, tuple, dict)) and not value):
        return t("brief.appendix.none", lang)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v, lang) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v, lang)}" for k, v in value.items())
    return str(value)


def _versions(value: Mapping, lang: str) -> str:
    """{'python': '3.11.7', …} → 'python 3.11.7, pandas 3.1.1, …'."""
    return t("brief.appendix.list_sep", lang).join(
        t("brief.run_value.version", lang, name=name, version=version)
        for name, version in value.items()
    )


def _notebook_line(name: str, record: Mapping, lang: str) -> str:
    """'revenue: executed, 4.7 s' (or reused, from an earlier edition's run)."""
    status = str(record.get("status") or "")
    key = f"brief.run_value.status.{status}"
    status_text = t(key, lang) if has(key, lang) else status
    seconds = record.get("seconds")
    if isinstance(seconds, (int, float)) and seconds == seconds:
        return t(
            "brief.run_value.notebook",
            lang,
            name=name,
            status=status_text,
            seconds=f"{seconds:.1f}",
        )
    return t("brief.run_value.notebook_untimed", lang, name=name, status=status_text)


def _value_cell(key: str, value, lang: str) -> str:
    """The value cell of a pairs table; versions and notebooks get a reader's layout."""
    if key == "versions" and isinstance(value, Mapping) and value:
        return _cell(_versions(value, lang))
    if key == "notebooks" and isinstance(value, Mapping) and value:
        lines = [
            esc(_notebook_line(str(name), rec if isinstance(rec, Mapping) else {}, lang))
            for name, rec in value.items()
        ]
        return _cell("<br>".join(lines), raw=True)
    return _cell(_plain(value, lang))


def _pairs_table(
    block_id: str, title: str, header: str, pairs: Mapping, lang: str, names: str = ""
) -> str:
    """A two-column table of names and values (parameters, run metadata)."""
    rows = []
    for key, value in (pairs or {}).items():
        label = (
            t(f"{names}.{key}", lang)
            if names and has(f"{names}.{key}", lang)
            else _humanize(str(key))
        )
        rows.append("<tr>" + _cell(label) + _value_cell(str(key), value, lang) + "</tr>")
    if not rows:
        rows.append("<tr>" + _cell(t("brief.appendix.none", lang)) + _cell("") + "</tr>")
    headers = [(header, False), (t("brief.appendix.value_header", lang), False)]
    source = t("brief.build_source", lang, version=__version__)
    return blocks.block("table", block_id, title, "", _table(headers, rows), source, lang=lang)


def sources_table(ds: Dataset, lang: str = "en") -> str:
    """The dataset's sources, each described once; figures link here by id."""
    a = "brief.appendix."
    rows = []
    for s in ds.sources.values():
        stored = s.file + (f" (sha256 {s.sha256[:12]}…)" if s.sha256 else "")
        rows.append(
            f'<tr id="{esc(source_anchor(s.id))}">'
            + _cell(s.id)
            + _cell(s.publisher)
            + _cell(" — ".join(p for p in (s.title, s.description) if p))
            + _cell(s.date or s.date_note or t("brief.source_undated", lang))
            + _cell(s.covers)
            + _cell(s.language)
            + _cell(stored)
            + "</tr>"
        )
    headers = _headers(
        ("source_id", "publisher", "document", "date", "covers", "language", "file"), lang
    )
    return _wide_block(
        "appendix-sources-table",
        t(a + "sources_title", lang),
        "",
        headers,
        rows,
        blocks.source_text(None, ds.sources, lang, source_ids=list(ds.sources)),
        lang,
    )
