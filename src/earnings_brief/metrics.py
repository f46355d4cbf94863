"""Derived figures and reconciliation checks: pure functions over the tidy figures frame.

Every derived row records the reported (or earlier derived) figures it came from, and carries an
interval [lo, hi] propagated from the rounding of its inputs, so that a check can tell a typo from
the source's own rounding.
"""

from __future__ import annotations

import functools
import math
import re
import weakref
from dataclasses import dataclass
from itertools import product

import pandas as pd

from .dataset import Dataset, figure_label

EXACT = ""
CONFLICTING = "conflicting"


@dataclass(frozen=True)
class Ratio:
    """``name = numerator / denominator``; the denominator is the group total when ``of_group``."""

    name: str
    numerator: str
    denominator: str
    of_group: bool = False
    per_segment: bool = False  # only meaningful for segments (e.g. per-vehicle revenue)
    dimension: str = "ratio"  # "ratio" (a fraction), "multiple" (x) or "per_unit" (money per unit)


# The ratios the brief knows. Given any two of a ratio's three terms, the third is derived.
RATIOS = (
    Ratio("revenue_share", "revenue", "revenue", of_group=True),
    Ratio("gross_margin", "gross_profit", "revenue"),
    Ratio("rd_to_revenue", "rd_expense", "revenue"),
    Ratio("opex_to_revenue", "opex_ex_sbc", "revenue"),
    Ratio("capex_to_revenue", "capex", "revenue"),
    Ratio("net_loss_to_revenue", "net_loss", "revenue"),
    Ratio(
        "revenue_per_vehicle",
        "revenue",
        "vehicles_delivered",
        per_segment=True,
        dimension="per_unit",
    ),
    Ratio(
        "design_win_multiple",
        "design_win_vehicles",
        "vehicles_delivered",
        per_segment=True,
        dimension="multiple",
    ),
)
GROWTH_SUFFIX = "_growth"
CHANGE_SUFFIX = "_change"
_YEAR = re.compile(r"\d{4}")
# Derived ratios that are only ever computed forwards (never used to back out a term).
FORWARD_ONLY = {
    "rd_to_revenue",
    "opex_to_revenue",
    "net_loss_to_revenue",
    "revenue_per_vehicle",
    "design_win_multiple",
}

Key = tuple[str, str, str, str]  # metric, segment, item, period


# ---------------------------------------------------------------------------------------------
# Intervals


def _corners(op, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    values = [op(x, y) for x, y in product(a, b)]
    return min(values), max(values)


def _div(a, b):
    return _corners(lambda x, y: x / y, a, b)


def _mul(a, b):
    return _corners(lambda x, y: x * y, a, b)


# ---------------------------------------------------------------------------------------------
# Lookup


def _usable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["qualifier"] != CONFLICTING]


def lookup(
    frame: pd.DataFrame, metric: str, segment: str = "", item: str = "", period: str | None = None
) -> pd.Series | None:
    """The row for one figure; reported wins over derived; conflicting statements are skipped."""
    if period is not None:
        return figures(frame).row(metric, segment, item, period)
    rows = _usable(frame)
    mask = (rows["metric"] == metric) & (rows["segment"] == segment) & (rows["item"] == item)
    rows = rows[mask]
    if rows.empty:
        return None
    return rows.sort_values("basis", key=lambda s: s.ne("reported")).iloc[0]


def value(
    frame: pd.DataFrame, metric: str, segment: str = "", item: str = "", period: str | None = None
) -> float | None:
    row = lookup(frame, metric, segment, item, period)
    return None if row is None else float(row["value"])


_FIGURES: dict[int, tuple[weakref.ref, int, Figures]] = {}


def figures(frame: pd.DataFrame) -> Figures:
    """The frame's ``Figures``, built once per frame while it lives. A derived frame is not
    changed once derived; a frame that gained or lost rows since gets a new index."""
    held = _FIGURES.get(id(frame))
    if held is None or held[0]() is not frame or held[1] != len(frame):
        gone = functools.partial(_FIGURES.pop, id(frame), None)
        held = (weakref.ref(frame, lambda _: gone()), len(frame), Figures(frame))
        _FIGURES[id(frame)] = held
    return held[2]


class Figures:
    """A derived frame's rows by key (metric, segment, item, period), picked as ``lookup`` picks
    them: reported over derived, conflicting statements skipped. Built once per frame, so a
    chapter's hundreds of look-ups are dictionary reads rather than scans of the frame."""

    def __init__(self, frame: pd.DataFrame):
        self.rows = _usable(frame)
        self.at: dict[Key, int] = {}
        columns = (self.rows[c] for c in ("metric", "segment", "item", "period", "basis"))
        for position, (*key, basis) in enumerate(zip(*columns, strict=True)):
            held = self.at.get(tuple(key))
            if held is None or (basis == "reported" and self._basis(held) != "reported"):
                self.at[tuple(key)] = position

    def _basis(self, position: int) -> str:
        return self.rows["basis"].iat[position]

    def first(self, metric: str, segment: str, item: str) -> pd.Series | None:
        """The first row of the figure in any period, in the frame's order."""
        found = [p for (m, s, i, _), p in self.at.items() if (m, s, i) == (metric, segment, item)]
        return self.rows.iloc[min(found)] if found else None

    def row(self, metric: str, segment: str, item: str, period: str) -> pd.Series | None:
        position = self.at.get((metric, segment, item, period))
        return None if position is None else self.rows.iloc[position]

    def value(self, metric: str, segment: str, item: str, period: str) -> float | None:
        row = self.row(metric, segment, item, period)
        return None if row is None else float(row["value"])


# ---------------------------------------------------------------------------------------------
# Derivation


class _Book:
    """Figures by key during derivation; derived rows are added once and never overwrite."""

    def __init__(self, frame: pd.DataFrame):
        self.rows: dict[Key, dict] = {}
        for row in _usable(frame).to_dict("records"):
            self.rows.setdefault((row["metric"], row["segment"], row["item"], row["period"]), row)
        self.added: list[dict] = []

    def get(self, key: Key) -> dict | None:
        return self.rows.get(key)

    def add(
        self,
        key: Key,
        lo_hi: tuple[float, float],
        point: float,
        like: dict,
        rule: str,
        inputs: list[dict],
        signs: tuple[int, ...],
    ) -> bool:
        """Add a derived row; ``signs`` say whether each input raises (+1) or lowers (-1) it."""
        qualifier = _derived_qualifier(inputs, signs)
        if key in self.rows or qualifier is None:
            return False
        unit, dimension = like
        row = {
            "metric": key[0],
            "segment": key[1],
            "segment_written": key[1],
            "item": key[2],
            "period": key[3],
            "value": point,
            "unit": unit,
            "dimension": dimension,
            "written": "",
            "written_unit": "",
            "qualifier": qualifier,
            "as_of": _as_of(inputs),
            "basis": "derived",
            "source": ",".join(sorted({s for i in inputs for s in i["source"].split(",")})),
            "note": "",
            "lo": lo_hi[0],
            "hi": lo_hi[1],
            "range_lo": math.nan,
            "range_hi": math.nan,
            "inputs": tuple(_label(i) for i in inputs),
            "line": None,
            "rule": rule,
        }
        self.rows[key] = row
        self.added.append(row)
        return True


_BOUNDS = {"more_than": 1, "up_to": -1, "less_than": -1}


def _derived_qualifier(inputs: list[dict], signs: tuple[int, ...]) -> str | None:
    """A value derived from a lower bound is a lower bound too ('>'), when every bound among its
    inputs pushes it the same way; None when bounds push it both ways (more than 11 m over more
    than 1.67 m can be any multiple), and anything else inexact makes it approximate."""
    direction, approx = 0, False
    for row, sign in zip(inputs, signs, strict=True):
        ranged = _is_range(row)
        if row["qualifier"] == EXACT and not ranged:
            continue
        bound = None if ranged else _BOUNDS.get(row["qualifier"])
        if bound is None or row["value"] < 0:
            approx = True
            continue
        if direction not in (0, bound * sign):
            return None
        direction = bound * sign
    if approx:
        return "approx"
    # A derived upper bound is 'less than' ('<'); 'up to' (可達) is what a source states.
    return {0: EXACT, 1: "more_than", -1: "less_than"}[direction]


def _is_range(row: dict) -> bool:
    value = row.get("range_lo")
    return value is not None and not pd.isna(value)


def _as_of(inputs: list[dict]) -> str:
    """A prior point-in-time figure is as of one year before its input (e.g. compute in 2025-03)."""
    for i in inputs:
        if i["as_of"]:
            year, rest = i["as_of"][:4], i["as_of"][4:]
            return f"{int(year) - 1}{rest}" if i["period"] != "" else i["as_of"]
    return ""


def _label(row: dict) -> str:
    return figure_label(row["metric"], row["segment"], row["item"], row["period"])


def _span(row: dict) -> tuple[float, float]:
    return float(row["lo"]), float(row["hi"])


def previous_period(label: str) -> str:
    """The same period a year earlier ('FY2023' → 'FY2022', 'H1-2025' → 'H1-2024'); growth
    rates are year on year, so a rate stated for the comparison period reaches one year back."""
    years = list(_YEAR.finditer(label))
    if not years:
        return ""
    m = years[-1]
    return f"{label[: m.start()]}{int(m[0]) - 1}{label[m.end() :]}"


def _prior_from_growth(book: _Book, period: str, comparison: str) -> bool:
    """X[prior] = X[now] / (1 + growth[now]); growth[now] = X[now] / X[prior] - 1.

    A growth rate may be stated for the period or for its comparison period (the source says
    how the prior year itself moved); each backs out the value one period before its own."""
    changed = False
    for (metric, segment, item, per), g in list(book.rows.items()):
        if per not in (period, comparison) or not metric.endswith(GROWTH_SUFFIX):
            continue
        if g["basis"] != "reported":
            continue
        base = metric[: -len(GROWTH_SUFFIX)]
        before = comparison if per == period else previous_period(per)
        now, prior = (
            book.get((base, segment, item, per)),
            book.get((base, segment, item, before)),
        )
        # A growth rate of a negative amount (a loss stated as a negative profit) says nothing
        # about the prior amount's sign, so none is derived from it.
        if now is None or not before or g["qualifier"] == "more_than" or now["value"] < 0:
            continue
        if prior is None:
            factor = (1 + g["lo"], 1 + g["hi"])
            changed |= book.add(
                (base, segment, item, before),
                _div(_span(now), factor),
                now["value"] / (1 + g["value"]),
                (now["unit"], now["dimension"]),
                "prior_from_growth",
                [now, g],
                (1, -1),
            )
    for (metric, segment, item, per), now in list(book.rows.items()):
        prior = book.get((metric, segment, item, comparison))
        gkey = (metric + GROWTH_SUFFIX, segment, item, period)
        if (
            per != period
            or prior is None
            or not prior["value"]  # growth from zero is undefined
            or metric.endswith(GROWTH_SUFFIX)
            or now["dimension"] in ("ratio", "points")
            or now["value"] < 0
            or prior["value"] <= 0  # no growth rate across zero or from a negative amount
        ):
            continue
        lo, hi = _div(_span(now), _span(prior))
        changed |= book.add(
            gkey,
            (lo - 1, hi - 1),
            now["value"] / prior["value"] - 1,
            ("ratio", "ratio"),
            "growth",
            [now, prior],
            (1, -1),
        )
    return changed


def _prior_from_change(book: _Book, period: str, comparison: str) -> bool:
    """A share or margin's prior value from its change in percentage points: X - X_change."""
    changed = False
    for (metric, segment, item, per), c in list(book.rows.items()):
        if per != period or not metric.endswith(CHANGE_SUFFIX) or c["dimension"] != "points":
            continue
        now = book.get((metric.removesuffix(CHANGE_SUFFIX), segment, item, period))
        if now is None or now["dimension"] != "ratio" or c["qualifier"] in _BOUNDS:
            continue
        changed |= book.add(
            (now["metric"], segment, item, comparison),
            (now["lo"] - c["hi"], now["hi"] - c["lo"]),
            now["value"] - c["value"],
            (now["unit"], now["dimension"]),
            "prior_from_change",
            [now, c],
            (1, -1),
        )
    return changed


def _sum_of_parts(book: _Book, periods: list[str]) -> bool:
    """A segment's money or count figure as the sum of its product lines (items), when the same
    items add up to the segment in another period, so the list is known to be complete."""
    changed = False
    wholes = {
        (k[0], k[1])
        for k, r in book.rows.items()
        if k[1] and k[2] and r["dimension"] in ("money", "count")
    }
    for (metric, segment), period in product(sorted(wholes), periods):
        if book.get((metric, segment, "", period)) is not None:
            continue
        items = _complete_items(book, metric, segment, [p for p in periods if p != period])
        parts = [book.get((metric, segment, i, period)) for i in items]
        if not items or any(p is None for p in parts):
            continue
        changed |= book.add(
            (metric, segment, "", period),
            (sum(p["lo"] for p in parts), sum(p["hi"] for p in parts)),
            sum(p["value"] for p in parts),
            (parts[0]["unit"], parts[0]["dimension"]),
            "sum_of_parts",
            parts,
            tuple(1 for _ in parts),
        )
    return changed


def _complete_items(book: _Book, metric: str, segment: str, others: list[str]) -> list[str]:
    """Items whose figures add up to the segment's, within rounding, in one of ``others``."""
    for period in others:
        whole = book.get((metric, segment, "", period))
        parts = [
            r
            for k, r in book.rows.items()
            if k[0] == metric and k[1] == segment and k[2] and k[3] == period
        ]
        if whole is None or not parts:
            continue
        lo, hi = sum(p["lo"] for p in parts), sum(p["hi"] for p in parts)
        if lo <= whole["hi"] and hi >= whole["lo"]:
            return sorted(p["item"] for p in parts)
    return []


def _segments(book: _Book) -> list[str]:
    """In a fixed order: a set's order changes with each process's hash seed, and so would the
    order of derived rows in the appendix."""
    return sorted({k[1] for k in book.rows})


def _ratio_unit(r: Ratio, num: dict, den: dict) -> tuple[str, str]:
    """(unit, dimension) of a derived ratio: a fraction, a multiple, or money per unit."""
    if r.dimension == "multiple":
        return "x", "multiple"
    if r.dimension == "per_unit":
        return f"{num['unit']}/{den['unit']}", "per_unit"
    return "ratio", "ratio"


def _ratios(book: _Book, periods: list[str]) -> bool:
    """Given two of (ratio, numerator, denominator), derive the third."""
    changed = False
    for r, period, segment in product(RATIOS, periods, _segments(book)):
        if r.of_group and not segment or r.per_segment and not segment:
            continue
        if not (r.of_group or r.per_segment) and segment:
            continue
        rk = (r.name, segment, "", period)
        nk = (r.numerator, segment, "", period)
        dk = (r.denominator, "" if r.of_group else segment, "", period)
        ratio, num, den = book.get(rk), book.get(nk), book.get(dk)
        if ratio is None and num is not None and den is not None and den["value"]:
            changed |= book.add(
                rk,
                _div(_span(num), _span(den)),
                num["value"] / den["value"],
                _ratio_unit(r, num, den),
                "ratio",
                [num, den],
                (1, -1),
            )
        elif ratio is not None and r.name not in FORWARD_ONLY:
            if num is None and den is not None:
                changed |= book.add(
                    nk,
                    _mul(_span(ratio), _span(den)),
                    ratio["value"] * den["value"],
                    (den["unit"], den["dimension"]),
                    "numerator_from_ratio",
                    [ratio, den],
                    (1, 1),
                )
            elif den is None and num is not None and ratio["value"]:
                changed |= book.add(
                    dk,
                    _div(_span(num), _span(ratio)),
                    num["value"] / ratio["value"],
                    (num["unit"], num["dimension"]),
                    "denominator_from_ratio",
                    [num, ratio],
                    (1, -1),
                )
    return changed


def derive(ds: Dataset, comparison: str | None = None) -> pd.DataFrame:
    """The reported figures plus every figure they imply, each derived row naming its inputs."""
    frame = ds.figures.assign(rule="")
    period = ds.period.label
    comparison = ds.period.comparison if comparison is None else comparison
    book = _Book(frame)
    periods = [p for p in (period, comparison) if p]
    for _ in range(
        6
    ):  # derivations feed each other (a prior total lets a prior share give a segment)
        grew = _prior_from_growth(book, period, comparison) if comparison else False
        grew |= _prior_from_change(book, period, comparison) if comparison else False
        grew |= _sum_of_parts(book, periods)
        grew |= _ratios(book, periods)
        if not grew:
            break
    derived = pd.DataFrame.from_records(book.added, columns=frame.columns) if book.added else None
    out = frame if derived is None else pd.concat([frame, derived], ignore_index=True)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Reconciliation
#
# A check compares a figure (``stated``: reported, or derived when ``basis`` says so) with the
# value the other figures give (``recomputed``). ``lo``..``hi`` is the range the figure's value
# must lie in for the check to pass, allowing for the rounding of every figure involved; NaN at
# one end means that end is open (a lower bound, or a sum with segments missing). A claim
# compares two figures: ``stated`` is its left side, ``right_value`` its right side.

CHECK_COLUMNS = [
    "id",
    "kind",
    "metric",
    "segment",
    "item",
    "period",
    "stated",
    "recomputed",
    "lo",
    "hi",
    "difference",
    "status",
    "inputs",
    "source",
    "note",
    "basis",
    "relation",
    "right",
    "right_value",
    "missing",
]


def _check(
    kind: str,
    stated: dict,
    recomputed: float,
    span: tuple[float, float],
    inputs: list[dict],
    key: Key,
    *,
    missing: tuple[str, ...] = (),
) -> dict:
    """``stated`` against ``recomputed`` whose inputs' rounding allows ``span``."""
    value = float(stated["value"])
    s_lo, s_hi = _span(stated)
    if kind == "share":
        # Issuers nudge a share by a unit of its last digit so that the shares add up to 100 %
        # (SenseTime's FY2023 traditional AI: 53.9 % stated, 53.98 % by its figures).
        s_lo, s_hi = 2 * s_lo - value, 2 * s_hi - value
    qual = stated["qualifier"]
    # The figure passes when its own rounding interval meets the recomputed one, i.e. when its
    # value lies within the recomputed span widened by its own rounding.
    lo = math.nan if qual == "more_than" else span[0] - (s_hi - value)
    hi = math.nan if qual == "up_to" else span[1] + (value - s_lo)
    lo, hi = (x if math.isfinite(x) else math.nan for x in (lo, hi))
    ok = not value < lo and not value > hi and qual != CONFLICTING
    return {
        "id": "-".join(p for p in (kind, *key, qual) if p),
        "kind": kind,
        "metric": key[0],
        "segment": key[1],
        "item": key[2],
        "period": key[3],
        "stated": value,
        "recomputed": recomputed,
        "lo": lo,
        "hi": hi,
        "difference": value - recomputed,
        "status": "pass" if ok else "flag",
        "inputs": tuple(_label(i) for i in inputs),
        "source": stated["source"],
        "note": stated["note"],
        "basis": stated["basis"],
        "relation": "",
        "right": "",
        "right_value": math.nan,
        "missing": missing,
    }


def _reported(frame: pd.DataFrame) -> dict[Key, dict]:
    rows = frame[(frame["basis"] == "reported") & (frame["qualifier"] != CONFLICTING)]
    return {(r["metric"], r["segment"], r["item"], r["period"]): r for r in rows.to_dict("records")}


def _ratio_checks(frame: pd.DataFrame, reported: dict[Key, dict]) -> list[dict]:
    """Each stated ratio against its numerator and denominator, when both are reported."""
    checks = []
    by_name = {r.name: r for r in RATIOS}
    for key, stated in reported.items():
        r = by_name.get(key[0])
        if r is None:
            continue
        # A product line's (item's) ratio divides its own figures; a share divides by the group.
        num = reported.get((r.numerator, key[1], key[2], key[3]))
        den_key = ("", "") if r.of_group else (key[1], key[2])
        den = reported.get((r.denominator, *den_key, key[3]))
        if num is None or den is None or not den["value"]:
            continue
        kind = "share" if r.of_group else "ratio"
        checks.append(
            _check(
                kind,
                stated,
                num["value"] / den["value"],
                _div(_span(num), _span(den)),
                [num, den],
                key,
            )
        )
    return checks


def _growth_checks(
    frame: pd.DataFrame, reported: dict[Key, dict], period: str, comparison: str
) -> list[dict]:
    """Each stated growth rate (conflicting statements included) when both ends are reported."""
    checks = []
    growths = frame[(frame["basis"] == "reported") & frame["metric"].str.endswith(GROWTH_SUFFIX)]
    for g in growths.to_dict("records"):
        if g["period"] != period:
            continue
        base = g["metric"][: -len(GROWTH_SUFFIX)]
        now = reported.get((base, g["segment"], g["item"], period))
        prior = reported.get((base, g["segment"], g["item"], comparison))
        if now is None or prior is None:
            continue
        lo, hi = _div(_span(now), _span(prior))
        key = (g["metric"], g["segment"], g["item"], period)
        checks.append(
            _check(
                "growth", g, now["value"] / prior["value"] - 1, (lo - 1, hi - 1), [now, prior], key
            )
        )
    return checks


def _period_segments(frame: pd.DataFrame, period: str) -> list[str]:
    """The segments a period has: those with any usable figure in it, reported or derived."""
    rows = _usable(frame)
    return list(
        dict.fromkeys(rows.loc[(rows["period"] == period) & (rows["segment"] != ""), "segment"])
    )


def _sum_checks(frame: pd.DataFrame, periods: list[str]) -> list[dict]:
    """Group revenue against the sum of every segment the period has. When some segment has no
    revenue figure the sum can only be at most the total; the check names those missing."""
    checks = []
    for period in periods:
        total = lookup(frame, "revenue", "", "", period)
        if total is None or total.get("rule") == "sum_of_parts":
            continue  # a total made from its segments cannot check them
        segments = _period_segments(frame, period)
        parts = [lookup(frame, "revenue", s, "", period) for s in segments]
        rows = [p.to_dict() for p in parts if p is not None]
        missing = tuple(s for s, p in zip(segments, parts, strict=True) if p is None)
        if not rows:
            continue
        top = math.inf if missing else sum(r["hi"] for r in rows)
        span = (sum(r["lo"] for r in rows), top)
        point = sum(r["value"] for r in rows)
        key = ("revenue", "", "", period)
        checks.append(
            _check("segment_sum", total.to_dict(), point, span, rows, key, missing=missing)
        )
    return checks


_RELATIONS = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def _claim_checks(frame: pd.DataFrame, ds: Dataset) -> list[dict]:
    """Each claim with both sides named: the left figure, the relation and the right figure."""
    from .dataset import parse_reference

    checks = []
    for c in ds.claims.to_dict("records"):
        left = lookup(frame, *parse_reference(c["left"]), c["period"]).to_dict()
        right = lookup(frame, *parse_reference(c["right"]), c["period"]).to_dict()
        # Within rounding (and a range's ends): the claim holds if some values both figures
        # allow satisfy it, e.g. 'A > B' when A's high end exceeds B's low end.
        greater = c["relation"] in (">", ">=")
        a, b = (left["hi"], right["lo"]) if greater else (left["lo"], right["hi"])
        ok = _RELATIONS[c["relation"]](a, b)
        checks.append(
            {
                "id": f"claim-{c['id']}",
                "kind": "claim",
                "metric": left["metric"],
                "segment": left["segment"],
                "item": left["item"],
                "period": c["period"],
                "stated": left["value"],
                "recomputed": math.nan,
                "lo": math.nan,
                "hi": math.nan,
                "difference": left["value"] - right["value"],
                "status": "pass" if ok else "flag",
                "inputs": (_label(left), _label(right)),
                "source": c["source"],
                "note": c["note"],
                "basis": left["basis"],
                "relation": c["relation"],
                "right": _label(right),
                "right_value": right["value"],
                "missing": (),
            }
        )
    return checks


def _conflict_checks(frame: pd.DataFrame, covered: set[str]) -> list[dict]:
    """A second statement that contradicts the first is always flagged, and never used: when no
    other check covers it, it is shown against the statement it contradicts."""
    checks = []
    for row in frame[frame["qualifier"] == CONFLICTING].to_dict("records"):
        key = (row["metric"], row["segment"], row["item"], row["period"])
        if any(i.endswith("-" + "-".join(p for p in (*key, CONFLICTING) if p)) for i in covered):
            continue
        first = lookup(frame, *key)
        if first is None:
            continue
        first = first.to_dict()
        checks.append(_check("conflict", row, first["value"], _span(first), [first], key))
    return checks


def reconcile(ds: Dataset, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every check the data allows, each marked pass or flag with the size of the difference."""
    frame = derive(ds) if frame is None else frame
    period, comparison = ds.period.label, ds.period.comparison
    reported = _reported(frame)
    checks = [
        *_ratio_checks(frame, reported),
        *_sum_checks(frame, [p for p in (period, comparison) if p]),
        *_growth_checks(frame, reported, period, comparison),
        *_claim_checks(frame, ds),
    ]
    checks += _conflict_checks(frame, {c["id"] for c in checks})
    return pd.DataFrame.from_records(checks, columns=CHECK_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Views used by the chapters


def revenue_bridge(
    frame: pd.DataFrame, period: str, comparison: str, order: list[str] | None = None
) -> pd.DataFrame:
    """Each segment's prior revenue, change and current revenue: the steps of a revenue bridge."""
    rows = []
    for segment in _ordered_segments(frame, "revenue", period, order):
        now = lookup(frame, "revenue", segment, "", period)
        prior = lookup(frame, "revenue", segment, "", comparison)
        if now is None or prior is None:
            continue
        basis = "derived" if "derived" in (now["basis"], prior["basis"]) else "reported"
        rows.append(
            {
                "segment": segment,
                "start": prior["value"],
                "change": now["value"] - prior["value"],
                "end": now["value"],
                "basis": basis,
            }
        )
    return pd.DataFrame.from_records(rows, columns=["segment", "start", "change", "end", "basis"])


def segment_mix(
    frame: pd.DataFrame, periods: list[str], order: list[str] | None = None
) -> pd.DataFrame:
    """Each segment's share of revenue in each period (reported where stated, else derived)."""
    rows = []
    for period in periods:
        for segment in _ordered_segments(frame, "revenue_share", period, order):
            row = lookup(frame, "revenue_share", segment, "", period)
            rows.append(
                {"segment": segment, "period": period, "share": row["value"], "basis": row["basis"]}
            )
    return pd.DataFrame.from_records(rows, columns=["segment", "period", "share", "basis"])


def _ordered_segments(
    frame: pd.DataFrame, metric: str, period: str, order: list[str] | None = None
) -> list[str]:
    """Segments with this figure, in the company's display order when given."""
    rows = _usable(frame)
    rows = rows[
        (rows["metric"] == metric)
        & (rows["period"] == period)
        & (rows["segment"] != "")
        & (rows["item"] == "")
    ]
    found = list(dict.fromkeys(rows["segment"]))
    if order is None:
        return found
    return [s for s in order if s in found] + [s for s in found if s not in order]
