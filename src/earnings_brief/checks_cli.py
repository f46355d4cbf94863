"""`earnings-brief check`: validate a dataset and print every reconciliation check.

Exits 0 when the data loads, whether or not checks are flagged: a flag is a finding about the
source (the brief shows it), not a broken file. Bad data raises DataError (exit 2).
"""

from __future__ import annotations

import argparse

from . import dataset, metrics

_KIND = {
    "share": "share = segment / total",
    "ratio": "ratio = numerator / denominator",
    "segment_sum": "total = sum of segments",
    "growth": "growth = now / prior - 1",
    "claim": "claim",
}


def _fmt(value: float | None, dimension: str, currency: str) -> str:
    if value is None:
        return "–"
    if dimension == "ratio":
        return f"{value * 100:.2f}%"
    if dimension == "money":
        return f"{currency} {value / 1e6:,.1f} m"
    return f"{value:,.2f}"


def _dimension(ds: dataset.Dataset, frame, metric: str) -> str:
    rows = frame[frame["metric"] == metric]
    return rows["dimension"].iloc[0] if not rows.empty else ""


def report(ds: dataset.Dataset) -> tuple[str, int]:
    """The printable check table and the number of flags."""
    frame = metrics.derive(ds)
    checks = metrics.reconcile(ds, frame)
    cur = ds.company.currency
    derived = int((frame["basis"] == "derived").sum())
    lines = [
        f"{ds.company.name_en} {ds.period.label}: {len(ds.figures)} reported figures, "
        f"{derived} derived, {len(ds.facts)} facts, {len(ds.claims)} claims, "
        f"{len(ds.sources)} source(s)",
        "",
        f"{'status':6}  {'figure':44}  {'check':32}  {'stated':>14}  {'recomputed':>14}  "
        f"{'difference':>12}",
    ]
    for c in checks.to_dict("records"):
        dim = _dimension(ds, frame, c["metric"])
        name = dataset.figure_label(c["metric"], c["segment"], c["item"], c["period"])
        what = _KIND[c["kind"]] if c["kind"] != "claim" else f"claim: {c['note']}"
        diff = c["difference"]
        diff_text = (
            f"{diff * 100:+.2f} pp" if dim == "ratio" and diff is not None else _fmt(diff, dim, cur)
        )
        lines.append(
            f"{c['status'].upper():6}  {name:44}  {what[:32]:32}  "
            f"{_fmt(c['stated'], dim, cur):>14}  {_fmt(c['recomputed'], dim, cur):>14}  "
            f"{diff_text:>12}"
        )
        if c["status"] == "flag" and c["note"]:
            lines.append(f"{'':8}note: {c['note']}")
    flags = int((checks["status"] == "flag").sum())
    lines += [
        "",
        f"{len(checks) - flags} passed, {flags} flagged "
        "(a check passes when it holds within the rounding of the source's figures)",
    ]
    return "\n".join(lines), flags


def run(args: argparse.Namespace) -> int:
    ds = dataset.load(args.company, args.period, args.data_dir or None)
    text, _ = report(ds)
    print(text)
    return 0
