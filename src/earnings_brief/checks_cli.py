"""`earnings-brief check`: validate a dataset and print every reconciliation check.

Exits 0 when the data loads, whether or not checks are flagged: a flag is a finding about the
source (the brief shows it), not a broken file. Bad data raises DataError (exit 2).
"""

from __future__ import annotations

import argparse
import sys

from . import dataset, formatting, metrics

_KIND = {
    "share": "share = segment / total",
    "ratio": "ratio = numerator / denominator",
    "segment_sum": "total = sum of segments",
    "growth": "growth = now / prior - 1",
    "claim": "claim",
    "conflict": "second statement contradicts the first",
}


def _fmt(value: float | None, dimension: str, currency: str, *, change: bool = False) -> str:
    """A value in the table's one style, so rows compare at a glance: ratios in percent (a change
    in points), money in millions, other figures as counts; a change carries its sign."""
    if dimension == "points" or (dimension == "ratio" and change):
        return formatting.points(value, digits=2)
    if dimension == "ratio":
        return formatting.percent(value, digits=2)
    if dimension == "money":
        text = formatting.money(value, currency, scale="m", digits=1)
    else:
        text = formatting.count(value)
    return formatting.signed(text, value) if change else text


def _dimension(frame, metric: str) -> str:
    rows = frame[frame["metric"] == metric]
    return rows["dimension"].iloc[0] if not rows.empty else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _row(check: dict, frame, currency: str) -> list[str]:
    dim = _dimension(frame, check["metric"])
    name = dataset.figure_label(check["metric"], check["segment"], check["item"], check["period"])
    stated = _fmt(check["stated"], dim, currency)
    if check["basis"] == "derived":
        stated += " (derived)"  # a value the other figures imply is never called stated
    if check["kind"] == "claim":
        what = f"claim: {check['note']}"
        reference = check["right"].rsplit(" ", 1)[0]
        right = _fmt(check["right_value"], _dimension(frame, reference.split("[")[0]), currency)
        other = f"{check['relation']} {reference} {right}"
        diff = "holds" if check["status"] == "pass" else "does not hold"
    else:
        what = _KIND[check["kind"]]
        if check["id"].endswith("-conflicting") and check["kind"] != "conflict":
            what += " (conflicting statement)"
        if len(check["missing"]):
            what += " (no figure for " + ", ".join(check["missing"]) + ")"
        other = _fmt(check["recomputed"], dim, currency)
        diff = _fmt(check["difference"], dim, currency, change=True)
    return [check["status"].upper(), name, what, stated, other, diff]


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def report(ds: dataset.Dataset) -> tuple[str, int]:
    """The printable check table and the number of flags."""
    frame = metrics.derive(ds)
    checks = metrics.reconcile(ds, frame)
    derived = int((frame["basis"] == "derived").sum())
    rows = [["status", "figure", "check", "value", "compared with", "difference"]]
    notes: dict[int, str] = {}
    for c in checks.to_dict("records"):
        rows.append(_row(c, frame, ds.company.currency))
        if c["status"] == "flag" and c["note"]:
            notes[len(rows) - 1] = c["note"]
    lines = [
        f"{ds.company.name_en} {ds.period.label}: {len(ds.figures)} reported figures, "
        f"{derived} derived, {_plural(len(ds.facts), 'fact')}, "
        f"{_plural(len(ds.claims), 'claim')}, {_plural(len(ds.sources), 'source')}",
        "",
    ]
    for index, line in enumerate(_table(rows, right={3, 4, 5})):
        lines.append(line)
        if index in notes:
            lines.append(f"{'':6}note: {notes[index]}")
    flags = int((checks["status"] == "flag").sum())
    lines += [
        "",
        f"{len(checks) - flags} passed, {flags} flagged "
        "(a check passes when it holds within the rounding of the source's figures)",
    ]
    return "\n".join(lines), flags


def run(args: argparse.Namespace) -> int:
    ds = dataset.load(args.company, args.period, args.data_dir or None)
    if any(lang.startswith("zh") for lang in getattr(args, "language", [])):
        dataset.require_chinese(ds)  # the Chinese edition would show the fact in English
    text, _ = report(ds)
    print(text)
    for name, line, fid in dataset.untranslated(ds):
        warning = f"warning: {name} line {line}: fact '{fid}' has no Chinese name or text_zh"
        print(warning, file=sys.stderr)
    return 0
