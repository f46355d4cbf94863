"""Derived figures and reconciliation checks: pure functions over the tidy figures frame.

Every derived row records the reported (or earlier derived) figures it came from, and carries an
interval [lo, hi] propagated from the rounding of its inputs, so that a check can tell a typo from
the source's own rounding.
"""

from __future__ import annotations

import re
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
    rows = _usable(frame)
    mask = (rows["metric"] == metric) & (rows["segment"] == segment) & (rows["item"] == item)
    if period is not None:
        mask &= rows["period"] == period
    rows = rows[mask]
    if rows.empty:
        return None
    return rows.sort_values("basis", key=lambda s: s.ne("reported")).iloc[0]


def value(
    frame: pd.DataFrame, metric: str, segment: str = "", item: str = "", period: str | None = None
) -> float | None:
    row = lookup(frame, metric, segment, item, period)
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
    ) -> bool:
        if key in self.rows:
            return False
        unit, dimension = like
        row = {
            "metric": key[0],
            "segment": key[1],
            "item": key[2],
            "period": key[3],
            "value": point,
            "unit": unit,
            "dimension": dimension,
            "written": "",
            "written_unit": "",
            "qualifier": _qualifier(rule, inputs),
            "as_of": _as_of(inputs),
            "basis": "derived",
            "source": ",".join(sorted({s for i in inputs for s in i["source"].split(",")})),
            "note": "",
            "lo": lo_hi[0],
            "hi": lo_hi[1],
            "inputs": tuple(_label(i) for i in inputs),
            "line": None,
            "rule": rule,
        }
        self.rows[key] = row
        self.added.append(row)
        return True


# How a derived value moves with its second input (the first always moves it the same way):
# X = a × b rises with b; every other rule divides by its second input.
_RISES_WITH_SECOND = {"numerator_from_ratio"}
_BOUNDS = {"more_than": 1, "up_to": -1, "less_than": -1}


def _qualifier(rule: str, inputs: list[dict]) -> str:
    """A bound survives a derivation that moves with it: '>23,000' over an exact 1.92 is
    '>11,979', an exact amount over '>1.67 m' is less than the quotient; bounds pulling in
    opposite directions, or any approximate input, make the result approximate."""
    sides = set()
    for position, row in enumerate(inputs):
        q = row["qualifier"]
        if q in (EXACT, CONFLICTING):
            continue
        if q not in _BOUNDS:
            return "approx"
        rises = position == 0 or rule in _RISES_WITH_SECOND
        sides.add(_BOUNDS[q] * (1 if rises else -1))
    if not sides:
        return EXACT
    if len(sides) > 1:
        return "approx"
    return "more_than" if sides == {1} else "less_than"


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
        if now is None or not before or g["qualifier"] == "more_than":
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
            )
    for (metric, segment, item, per), now in list(book.rows.items()):
        prior = book.get((metric, segment, item, comparison))
        gkey = (metric + GROWTH_SUFFIX, segment, item, period)
        if (
            per != period
            or prior is None
            or metric.endswith(GROWTH_SUFFIX)
            or now["dimension"] == "ratio"
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
        )
    return changed


def _segments(book: _Book) -> set[str]:
    return {k[1] for k in book.rows}


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
                )
            elif den is None and num is not None and ratio["value"]:
                changed |= book.add(
                    dk,
                    _div(_span(num), _span(ratio)),
                    num["value"] / ratio["value"],
                    (num["unit"], num["dimension"]),
                    "denominator_from_ratio",
                    [num, ratio],
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
        grew |= _ratios(book, periods)
        if not grew:
            break
    derived = pd.DataFrame.from_records(book.added, columns=frame.columns) if book.added else None
    out = frame if derived is None else pd.concat([frame, derived], ignore_index=True)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Reconciliation

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
]


def _check(
    kind: str,
    stated: dict | None,
    recomputed: float,
    span: tuple[float, float],
    inputs: list[dict],
    key: Key,
    ok: bool | None = None,
    note: str = "",
    stated_value: float | None = None,
) -> dict:
    s_value = stated_value if stated is None else float(stated["value"])
    if ok is None:
        s_lo, s_hi = (s_value, s_value) if stated is None else _span(stated)
        ok = s_hi >= span[0] and s_lo <= span[1]  # the two rounding intervals overlap
    qual = "" if stated is None else stated["qualifier"]
    return {
        "id": "-".join(p for p in (kind, *key, qual) if p),
        "kind": kind,
        "metric": key[0],
        "segment": key[1],
        "item": key[2],
        "period": key[3],
        "stated": s_value,
        "recomputed": recomputed,
        "lo": span[0],
        "hi": span[1],
        "difference": None if s_value is None else s_value - recomputed,
        "status": "pass" if ok else "flag",
        "inputs": tuple(_label(i) for i in inputs),
        "source": "" if stated is None else stated["source"],
        "note": note or ("" if stated is None else stated["note"]),
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
        num = reported.get((r.numerator, key[1], "", key[3]))
        den = reported.get((r.denominator, "" if r.of_group else key[1], "", key[3]))
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


def _sum_checks(frame: pd.DataFrame, periods: list[str]) -> list[dict]:
    """Segment revenues against the group total, in each period where all are known."""
    checks = []
    for period in periods:
        total = lookup(frame, "revenue", "", "", period)
        parts = _usable(frame)
        parts = parts[
            (parts["metric"] == "revenue")
            & (parts["segment"] != "")
            & (parts["item"] == "")
            & (parts["period"] == period)
        ]
        if total is None or parts.empty:
            continue
        rows = parts.to_dict("records")
        span = (sum(r["lo"] for r in rows), sum(r["hi"] for r in rows))
        point = sum(r["value"] for r in rows)
        total = total.to_dict()
        checks.append(_check("segment_sum", total, point, span, rows, ("revenue", "", "", period)))
    return checks


_RELATIONS = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def _claim_checks(frame: pd.DataFrame, ds: Dataset) -> list[dict]:
    from .dataset import parse_reference

    checks = []
    for c in ds.claims.to_dict("records"):
        left = lookup(frame, *parse_reference(c["left"]), c["period"])
        right = lookup(frame, *parse_reference(c["right"]), c["period"])
        left, right = left.to_dict(), right.to_dict()
        ok = _RELATIONS[c["relation"]](left["value"], right["value"])
        row = _check(
            "claim",
            None,
            right["value"],
            _span(right),
            [left, right],
            (left["metric"], left["segment"], left["item"], c["period"]),
            ok=ok,
            note=c["note"],
            stated_value=left["value"],
        )
        row.update(
            id=f"claim-{c['id']}", source=c["source"], difference=left["value"] - right["value"]
        )
        checks.append(row)
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
