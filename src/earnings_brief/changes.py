"""What changed between the figures of the previous edition and the new ones.

A figure is identified by (metric, segment, item, period, qualifier), the dataset's unique key.
Each edition saves its figures as JSON so the next run can compare without the old data files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

KEY = ("metric", "segment", "item", "period", "qualifier")
# What an edition keeps of each figure: the key, the comparable value and what the reader saw.
FIELDS = (*KEY, "value", "unit", "written", "written_unit", "source")


def figure_records(figures) -> list[dict]:
    """Plain, JSON-ready records of a figures frame (or of records already)."""
    rows = figures.to_dict("records") if hasattr(figures, "to_dict") else list(figures)
    return [{f: _plain(row.get(f, "")) for f in FIELDS} for row in rows]


def save_figures(figures, path: Path) -> None:
    Path(path).write_text(
        json.dumps(figure_records(figures), ensure_ascii=False, indent=1), "utf-8"
    )


def load_figures(path: Path) -> list[dict] | None:
    """The figures an edition saved, or None when it saved none."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def diff_figures(old, new) -> list[dict]:
    """Figures added, removed or changed from ``old`` to ``new`` (frames or records).

    Each change is a dict with ``change`` ("added" | "removed" | "changed"), the key fields,
    and ``old`` / ``new`` holding the figure as written (value and unit) or None.
    """
    before = {_key(r): r for r in figure_records(old)}
    after = {_key(r): r for r in figure_records(new)}
    changes = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was and now and _same(was, now):
            continue
        kind = "added" if was is None else "removed" if now is None else "changed"
        changes.append(
            {
                "change": kind,
                **dict(zip(KEY, key, strict=True)),
                "old": _shown(was),
                "new": _shown(now),
            }
        )
    return changes


def describe(change: dict) -> str:
    """One log line: 'changed revenue[generative_ai] FY2024: 24.0 RMB 100m -> 25.1 RMB 100m'."""
    inner = "/".join(p for p in (change["segment"], change["item"]) if p)
    label = f"{change['metric']}[{inner}]" if inner else change["metric"]
    if change["qualifier"]:
        label += f" ({change['qualifier']})"
    old = _text(change["old"]) if change["old"] else "-"
    new = _text(change["new"]) if change["new"] else "-"
    return f"{change['change']} {label} {change['period']}: {old} -> {new}"


def _key(row: dict) -> tuple:
    return tuple(str(row.get(k) or "") for k in KEY)


def _same(a: dict, b: dict) -> bool:
    # Compare in base units so "1,000" and "1000", or 億 and 10^8, are not reported as changes.
    if a.get("unit") != b.get("unit"):
        return False
    return math.isclose(float(a["value"]), float(b["value"]), rel_tol=1e-9, abs_tol=1e-12)


def _shown(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {
        "value": row["value"],
        "unit": row["unit"],
        "written": row["written"],
        "written_unit": row["written_unit"],
        "source": row["source"],
    }


def _text(shown: dict) -> str:
    return f"{shown['written']} {shown['written_unit']}".strip()


def _plain(value):
    # numpy scalars and tuples become JSON-native values.
    if hasattr(value, "item"):
        value = value.item()
    return list(value) if isinstance(value, tuple) else value
