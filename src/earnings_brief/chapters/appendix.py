"""The appendix: every figure with a reader's name, its basis and source, the reconciliation checks,
the sources described once, and a one-line edition stamp. How the edition was built (paths, host,
hashes, versions, timings) stays in manifest.json and the run log: this is a client document.
Returned as typed blocks: tables of text, Values (written by the formatter at render time) and
cells with notes and links.

Also the one place that says how a figure is named and shown in words (``figure_name``,
``show_value``), so that the summary, the outlook and the "what changed" section agree with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd

from .. import blocks, formatting, metrics, narrative
from ..blocks import Block, Cell, Column, Heading, Missing, Run, Stamp, Table, Value, quantity
from ..dataset import Dataset, Period, parse_reference
from ..errors import ParameterError
from ..grouping import largest_items
from ..i18n import has, t
from ..render import cell_text

# ---------------------------------------------------------------------------------------------
# Names and values


def _humanize(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _named(namespace: str, key: str, lang: str) -> str:
    """A key's reader-facing name from the narrative catalog, else the key in words."""
    name = f"narrative.{namespace}.{key}"
    return t(name, lang) if has(name, lang) else _humanize(key)


def segment_name(ds: Dataset, segment: str, lang: str = "en") -> str:
    """The segment's name in ``lang``; a renamed one names its former name too."""
    return ds.segment_name(segment, lang) if segment in ds.company.segments else _humanize(segment)


def figure_name(ds: Dataset, metric: str, segment: str = "", item: str = "", lang: str = "en"):
    """'Revenue growth · Generative AI · Productivity tools' (plain text)."""
    parts = [ds.catalog.label(metric, lang)]  # the reader's name from the metric catalog
    if segment:
        parts.append(segment_name(ds, segment, lang))
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
    """In words, as the chapters show it: 'RMB 3.77 bn', '>23,000 PFLOPS', '+92%', '>3 years'."""
    value = row.get("value")
    if value is None or (isinstance(value, float) and value != value):
        return t("format.na", lang)
    return narrative.quantity({**row, "value": float(value)}, lang=lang, digits=digits)


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
    lang: str = "en",
) -> list[Block]:
    """The appendix: figures, checks, sources and the edition stamp. ``params`` gives only the
    comparison period; build detail (paths, host, hashes, versions, timings) stays in
    manifest.json and the run log, not the client's document."""
    a = "brief.appendix."
    return [
        Heading(1, "chapter-appendix", t(a + "chapter", lang)),
        Heading(2, "appendix-figures", t(a + "figures", lang)),
        figures_table(ds, frame, lang),
        Heading(2, "appendix-checks", t(a + "checks", lang)),
        checks_table(ds, frame, checks, lang),
        Heading(2, "appendix-sources", t(a + "sources", lang)),
        sources_table(ds, lang),
        Stamp(stamp(ds, params, lang)),
    ]


def edition_date(period: Period, environ: Mapping[str, str] = os.environ) -> date:
    """The stamp's date, the same on every rebuild of the same data: SOURCE_DATE_EPOCH when set
    (reproducible-builds.org), else when the data was last revised (period.toml's ``revised``),
    else the results date, else the period's end."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).date()
        except (ValueError, OverflowError, OSError):
            raise ParameterError(
                f"SOURCE_DATE_EPOCH '{epoch}' is not a time",
                field="SOURCE_DATE_EPOCH",
                expected="whole seconds since 1970-01-01 UTC, or unset",
            ) from None
    return period.revised or period.results_date or period.end


def stamp(ds: Dataset, params: Mapping, lang: str = "en") -> str:
    """One line naming the edition: company, period, comparison and the edition's date."""
    comparison = (params or {}).get("comparison_period") or ds.period.comparison
    return t(
        "brief.appendix.stamp",
        lang,
        company=ds.company.name(lang),
        period=ds.period.label,
        comparison=comparison or t("brief.appendix.none", lang),
        date=formatting.date(edition_date(ds.period).isoformat(), lang),
    )


# Columns of numbers, right-aligned under their headers.
NUMERIC = ("value", "stated", "recomputed", "difference")


def _columns(keys: Iterable[str], lang: str) -> tuple[Column, ...]:
    """Column headers from ``brief.appendix.<key>``, numeric ones marked for right alignment."""
    return tuple(Column(t(f"brief.appendix.{k}", lang), k in NUMERIC) for k in keys)


def _lines(*runs: Run) -> tuple[Run, ...]:
    """The non-empty pieces of a cell, each on its own line."""
    kept = [r for r in runs if r.text != ""]
    return tuple(r if i else replace(r, before="") for i, r in enumerate(kept))


def _name_cell(ds: Dataset, row: Mapping, lang: str, note: str = "") -> Cell:
    """The figure's name in words and an optional note (the data keys stay in the data)."""
    name = figure_name(ds, row["metric"], row["segment"], row["item"], lang)
    return Cell(_lines(Run(name), Run(note, "\n", note=True)), "eb-name")


def _basis(ds: Dataset, row: Mapping, lang: str) -> str:
    """'reported', 'derived from' the figures it came from, in words, or a conflicting
    statement that is never used."""
    if row.get("qualifier") == "conflicting":
        return t("brief.appendix.conflicting", lang)
    if row["basis"] != "derived":
        return t("brief.appendix.reported", lang)
    inputs = t("brief.appendix.list_sep", lang).join(
        input_name(ds, i, lang) for i in row.get("inputs") or ()
    )
    return t("brief.derived_from", lang, inputs=inputs)


def _source_links(ds: Dataset, row: Mapping) -> Cell:
    ids = [s for s in str(row["source"]).split(",") if s]
    links = tuple(
        Run(
            ds.sources[s].publisher if s in ds.sources else s,
            "; " if i else "",
            href="#" + source_anchor(s),
        )
        for i, s in enumerate(ids)
    )
    return Cell(links, "eb-origin")


def figures_table(ds: Dataset, frame: pd.DataFrame, lang: str = "en") -> Table:
    """Every figure, reported then derived, each with its basis (a derived one names its
    inputs in words) and its source."""
    rows, classes = [], []
    listed, compact = _many_items(frame)
    for row in listed.to_dict("records"):
        rows.append(
            (
                _name_cell(ds, row, lang, str(row.get("note") or "")),
                row["period"],
                quantity(row),
                _basis(ds, row, lang),
                _source_links(ds, row),
            )
        )
        classes.append(f"eb-{row['basis']}")
    for group in compact:
        rows.append(_items_row(ds, group, lang))
        classes.append("eb-derived" if group["basis"].iloc[0] == "derived" else "eb-reported")
    a = "brief.appendix."
    reported = int((frame["basis"] == "reported").sum())
    return Table(
        "appendix-all-figures",
        t(a + "figures_title", lang, reported=reported, derived=len(frame) - reported),
        t(a + "figures_subtitle", lang),
        _columns(("figure", "period", "value", "basis", "origin"), lang),
        tuple(rows),
        blocks.source_text(frame[frame["basis"] == "reported"], ds.sources, lang),
        row_classes=tuple(classes),
        wide=True,
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


def _items_row(ds: Dataset, group: pd.DataFrame, lang: str) -> tuple:
    """One row for many items of one figure: 'Product 1 12k users; Product 2 9k users; …'."""
    first = group.iloc[0]
    name = figure_name(ds, first["metric"], first["segment"], "", lang)
    count = t("chapters.common.more_items_here", lang, count=formatting.count(len(group), lang))
    listing = "; ".join(
        f"{_named('item', r['item'], lang)} {show_value(r, lang)}" for r in group.to_dict("records")
    )
    sources = ",".join(dict.fromkeys(s for v in group["source"] for s in str(v).split(",") if s))
    basis = "derived" if first["basis"] == "derived" else "reported"
    # Name, period and value share one wide cell: the list then takes a third of the pages.
    runs = (Run(f"{name} {first['period']}"), Run(f"({count})", " ", note=True), Run(listing, "\n"))
    return (
        Cell(runs, "eb-name", span=3),
        t(f"brief.appendix.{basis}", lang),
        _source_links(ds, {"source": sources}),
    )


def _checked_row(frame: pd.DataFrame, check: Mapping) -> Mapping | None:
    """The figure a check is about (in the check's period when the frame has it), as the brief
    shows it elsewhere."""
    index = metrics.figures(frame)
    key = (check["metric"], check["segment"], check["item"])
    row = index.row(*key, check.get("period")) if check.get("period") else None
    row = index.first(*key) if row is None else row
    return None if row is None else row.to_dict()


def check_cell(frame: pd.DataFrame, check: Mapping, value, *, change=False, stated=False) -> Value:
    """A check's value in the unit of the figure it checks. The stated value reads exactly as it
    does elsewhere in the brief ('42.9%', 'RMB 3.77 bn'); the recomputed value, its range and the
    difference carry one decimal more in the same unit ('42.97%', 'RMB 3.772 bn'), so that a
    rounding difference shows."""
    row = _checked_row(frame, check)
    if value is None or value != value or row is None:
        return Value(None)
    value = float(value)
    if stated:
        return quantity({**row, "value": value, "basis": "reported"})
    finer = check.get("kind") != "claim"  # a claim compares two stated figures: no extra digit
    if row["dimension"] == "ratio":
        if change:
            return Value(value, "points", 2 if finer else 1)
        signed = str(row["metric"]).endswith(narrative.SIGNED)
        return Value(value, "percent", 2 if finer else 1, signed)
    if finer and row["dimension"] == "money":
        size = value if change else float(row["value"])  # a difference sets its own scale
        scale = "bn" if abs(size) >= 1e9 else "m"
        return Value(value, "money", 3 if scale == "bn" else 1, currency=row["unit"], scale=scale)
    return quantity({**row, "value": value, "qualifier": "", "basis": "derived"})


def check_value(frame: pd.DataFrame, check: Mapping, value, lang: str, **how) -> str:
    """A check's value (``check_cell``) in words, for a sentence."""
    return cell_text(check_cell(frame, check, value, **how), lang)


def _range_text(frame: pd.DataFrame, check: Mapping, lang: str) -> str:
    """The range the checked value must lie in to pass; an open end reads 'at least' / 'at most'."""
    lo, hi = check.get("lo"), check.get("hi")
    has_lo, has_hi = lo is not None and lo == lo, hi is not None and hi == hi
    a = "brief.appendix."
    if has_lo and has_hi:
        lo_text, hi_text = check_value(frame, check, lo, lang), check_value(frame, check, hi, lang)
        return t(a + "range_note", lang, lo=lo_text, hi=hi_text)
    if has_lo:
        return t(a + "range_at_least", lang, lo=check_value(frame, check, lo, lang))
    if has_hi:
        return t(a + "range_at_most", lang, hi=check_value(frame, check, hi, lang))
    return ""


def _check_detail(ds: Dataset, frame: pd.DataFrame, check: Mapping, lang: str) -> str:
    """A claim's right side, or the segments a sum check has no figure for."""
    if check["kind"] == "claim":
        reference, _, _ = str(check["right"]).rpartition(" ")
        metric, segment, item = parse_reference(reference) or (reference, "", "")
        right = {**check, "metric": metric, "segment": segment, "item": item}
        return t(
            "brief.appendix.claim_right",
            lang,
            relation=t(f"brief.relation.{check['relation']}", lang),
            figure=input_name(ds, check["right"], lang),
            value=check_value(frame, right, check["right_value"], lang),
        )
    missing = check.get("missing")
    if missing is not None and len(missing):
        names = t("brief.appendix.list_sep", lang).join(segment_name(ds, s, lang) for s in missing)
        return t("brief.appendix.missing_parts", lang, names=names)
    return ""


def checks_table(
    ds: Dataset, frame: pd.DataFrame, checks: pd.DataFrame, lang: str = "en"
) -> Table | Missing:
    """Each reconciliation check with pass or flag and the difference; rows are link targets."""
    a = "brief.appendix."
    if checks is None or checks.empty:
        return Missing(t(a + "no_checks", lang))
    rows = []
    for c in checks.to_dict("records"):
        kind = (
            t(f"brief.check_kind.{c['kind']}", lang)
            if has(f"brief.check_kind.{c['kind']}")
            else c["kind"]
        )
        recomputed = (
            Cell(
                _lines(
                    Run(check_cell(frame, c, c["recomputed"])),
                    Run(_range_text(frame, c, lang), "\n", note=True),
                )
            )
            if c["kind"] != "claim"
            else ""  # a claim compares two figures; its right side is named in words
        )
        derived = c.get("basis") == "derived"  # a derived value is never shown as stated
        stated = Cell(
            _lines(
                Run(check_cell(frame, c, c["stated"], stated=not derived)),
                Run(t(a + "derived", lang) if derived else "", "\n", note=True),
            )
        )
        inputs = t(a + "list_sep", lang).join(
            input_name(ds, i, lang) for i in c.get("inputs") or ()
        )
        detail = _lines(
            Run(str(c.get("note") or "")),
            Run(_check_detail(ds, frame, c, lang), "\n"),
            Run(inputs, "\n", note=True),
        )
        status = t(a + ("flag" if c["status"] == "flag" else "pass"), lang)
        rows.append(
            (
                _name_cell(ds, c, lang),
                kind,
                c["period"],
                stated,
                recomputed,
                check_cell(frame, c, c["difference"], change=True),
                Cell((Run(status),), f"eb-status-{c['status']}"),
                Cell(detail),
            )
        )
    flagged = int((checks["status"] == "flag").sum())
    ids = [s for s in checks["source"] if s]
    return Table(
        "appendix-checks-table",
        t(
            a + "checks_title",
            lang,
            passed=len(checks) - flagged,
            total=len(checks),
            flagged=flagged,
        ),
        t(a + "checks_subtitle", lang),
        _columns(
            ("check", "kind", "period", "stated", "recomputed", "difference", "status", "note"),
            lang,
        ),
        tuple(rows),
        blocks.source_text(None, ds.sources, lang, source_ids=ids),
        row_ids=tuple(check_anchor(i) for i in checks["id"]),
        row_classes=tuple("eb-flagged" if s == "flag" else "" for s in checks["status"]),
        wide=True,
    )


def sources_table(ds: Dataset, lang: str = "en") -> Table:
    """The dataset's sources, each described once in full; Source lines link here."""
    a = "brief.appendix."
    rows = []
    for s in ds.sources.values():
        language = f"brief.language.{s.language}"
        rows.append(
            (
                s.publisher,
                " — ".join(p for p in (s.title, s.description, s.url) if p),
                s.date or s.date_note or t("brief.source_undated", lang),
                s.covers,
                t(language, lang) if has(language, lang) else s.language,
            )
        )
    return Table(
        "appendix-sources-table",
        t(a + "sources_title", lang),
        "",
        _columns(("publisher", "document", "date", "covers", "language"), lang),
        tuple(rows),
        blocks.source_text(None, ds.sources, lang, source_ids=list(ds.sources)),
        row_ids=tuple(source_anchor(s.id) for s in ds.sources.values()),
        wide=True,
    )
