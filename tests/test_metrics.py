"""Derivations and reconciliation on the SenseTime dataset, with values computed here by hand.

Every expected value below is worked out from the numbers as the source writes them (億 = 1e8),
independently of the package's unit and interval code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import mini_data as mini
import pandas as pd
import pytest

from earnings_brief import checks_cli, metrics, narrative
from earnings_brief.chapters import appendix, summary
from earnings_brief.dataset import Dataset, load
from earnings_brief.render import flag_text, render

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
FIXTURES = REPO / "tests" / "fixtures" / "data"
YI = 1e8  # 億

# The reported numbers, as written in the source
REVENUE_24 = 37.7 * YI
GENAI_24 = 24.04 * YI
VISION_24 = 11.12 * YI
AUTO_24 = 2.56 * YI
NET_LOSS_24 = 43.07 * YI
RD_24, RD_23 = 41.31 * YI, 34.66 * YI
OPEX_24 = 60.72 * YI
CAPEX_24 = 11.29 * YI
DELIVERED_24 = 167 * 1e4

# The implied prior-period values
REVENUE_23 = REVENUE_24 / 1.108
GENAI_23 = GENAI_24 / 2.031
VISION_23 = 0.539 * REVENUE_23
AUTO_23 = AUTO_24 / (1 - 0.332)
NET_LOSS_23 = NET_LOSS_24 / (1 - 0.337)
CAPEX_23 = 0.446 * REVENUE_23
COMPUTE_23 = 23000 / 1.92
DELIVERED_23 = DELIVERED_24 / 1.292


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load("sensetime", "FY2024", DATA)


@pytest.fixture(scope="module")
def frame(ds) -> pd.DataFrame:
    return metrics.derive(ds)


@pytest.fixture(scope="module")
def checks(ds, frame) -> pd.DataFrame:
    return metrics.reconcile(ds, frame)


def derived_row(frame: pd.DataFrame, metric: str, segment: str = "", period: str = "FY2024"):
    rows = frame[
        (frame["metric"] == metric)
        & (frame["segment"] == segment)
        & (frame["item"] == "")
        & (frame["period"] == period)
    ]
    assert len(rows) == 1, (metric, segment, period, rows)
    r = rows.iloc[0]
    assert r["basis"] == "derived", (metric, segment, period)
    return r


def copy_with(tmp_path: Path, *edits: tuple[str, str]) -> Dataset:
    """Load a copy of the SenseTime dataset with figures.csv edited (each `old` occurs once)."""
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    path = root / "sensetime" / "FY2024" / "figures.csv"
    text = path.read_text("utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return load("sensetime", "FY2024", root)


def check(checks: pd.DataFrame, check_id: str) -> pd.Series:
    rows = checks[checks["id"] == check_id]
    assert len(rows) == 1, (check_id, list(checks["id"]))
    return rows.iloc[0]


# ---------------------------------------------------------------------------------------------
# Derivations


@pytest.mark.parametrize(
    ("metric", "segment", "period", "expected", "inputs"),
    [
        (
            "revenue",
            "",
            "FY2023",
            REVENUE_23,
            ("revenue FY2024", "revenue_growth FY2024"),
        ),
        (
            "revenue",
            "generative_ai",
            "FY2023",
            GENAI_23,
            ("revenue[generative_ai] FY2024", "revenue_growth[generative_ai] FY2024"),
        ),
        (
            "revenue",
            "vision_ai",
            "FY2023",
            VISION_23,
            ("revenue_share[vision_ai] FY2023", "revenue FY2023"),
        ),
        (
            "revenue",
            "smart_auto",
            "FY2023",
            AUTO_23,
            ("revenue[smart_auto] FY2024", "revenue_growth[smart_auto] FY2024"),
        ),
        (
            "net_loss",
            "",
            "FY2023",
            NET_LOSS_23,
            ("net_loss FY2024", "net_loss_growth FY2024"),
        ),
        (
            "capex",
            "",
            "FY2023",
            CAPEX_23,
            ("capex_to_revenue FY2023", "revenue FY2023"),
        ),
        (
            "compute_capacity",
            "",
            "FY2023",
            COMPUTE_23,
            ("compute_capacity FY2024", "compute_capacity_growth FY2024"),
        ),
        (
            "vehicles_delivered",
            "smart_auto",
            "FY2023",
            DELIVERED_23,
            (
                "vehicles_delivered[smart_auto] FY2024",
                "vehicles_delivered_growth[smart_auto] FY2024",
            ),
        ),
        (
            "rd_expense",
            "",
            "FY2022",
            RD_23 / (1 - 0.137),
            ("rd_expense FY2023", "rd_expense_growth FY2023"),
        ),
        (
            "rd_to_revenue",
            "",
            "FY2024",
            RD_24 / REVENUE_24,
            ("rd_expense FY2024", "revenue FY2024"),
        ),
        (
            "rd_to_revenue",
            "",
            "FY2023",
            RD_23 / REVENUE_23,
            ("rd_expense FY2023", "revenue FY2023"),
        ),
        (
            "opex_to_revenue",
            "",
            "FY2024",
            OPEX_24 / REVENUE_24,
            ("opex_ex_sbc FY2024", "revenue FY2024"),
        ),
        (
            "net_loss_to_revenue",
            "",
            "FY2023",
            NET_LOSS_23 / REVENUE_23,
            ("net_loss FY2023", "revenue FY2023"),
        ),
        (
            "revenue_share",
            "smart_auto",
            "FY2024",
            AUTO_24 / REVENUE_24,
            ("revenue[smart_auto] FY2024", "revenue FY2024"),
        ),
        (
            "revenue_share",
            "generative_ai",
            "FY2023",
            GENAI_23 / REVENUE_23,
            ("revenue[generative_ai] FY2023", "revenue FY2023"),
        ),
        (
            "revenue_share",
            "smart_auto",
            "FY2023",
            AUTO_23 / REVENUE_23,
            ("revenue[smart_auto] FY2023", "revenue FY2023"),
        ),
        (
            "revenue_per_vehicle",
            "smart_auto",
            "FY2024",
            AUTO_24 / DELIVERED_24,
            ("revenue[smart_auto] FY2024", "vehicles_delivered[smart_auto] FY2024"),
        ),
        (
            "revenue_per_vehicle",
            "smart_auto",
            "FY2023",
            AUTO_23 / DELIVERED_23,
            ("revenue[smart_auto] FY2023", "vehicles_delivered[smart_auto] FY2023"),
        ),
        (
            "capex_growth",
            "",
            "FY2024",
            CAPEX_24 / CAPEX_23 - 1,
            ("capex FY2024", "capex FY2023"),
        ),
        (
            "revenue_growth",
            "vision_ai",
            "FY2024",
            VISION_24 / VISION_23 - 1,
            ("revenue[vision_ai] FY2024", "revenue[vision_ai] FY2023"),
        ),
    ],
)
def test_derivation(frame, metric, segment, period, expected, inputs):
    r = derived_row(frame, metric, segment, period)
    assert r["value"] == pytest.approx(expected, rel=1e-9)
    assert r["inputs"] == inputs
    assert r["basis"] == "derived"
    assert r["source"] == "tmtpost"
    assert r["lo"] <= r["value"] <= r["hi"]
    assert r["written"] == ""


def test_headline_derived_values_to_the_digit(frame):
    """The same values rounded as an analyst would quote them."""

    def v(metric, segment="", period="FY2023"):
        return derived_row(frame, metric, segment, period)["value"]

    assert round(v("revenue") / YI, 2) == 34.03  # 37.7 / 1.108
    assert round(v("revenue", "generative_ai") / YI, 2) == 11.84  # 24.04 / 2.031
    assert round(v("revenue", "vision_ai") / YI, 2) == 18.34  # 53.9 % of 34.03
    assert round(v("revenue", "smart_auto") / YI, 2) == 3.83  # 2.56 / 0.668
    assert round(v("net_loss") / YI, 2) == 64.96  # 43.07 / 0.663
    assert round(v("capex") / YI, 2) == 15.18  # 44.6 % of 34.03
    assert round(v("compute_capacity")) == 11979  # 23000 / 1.92
    assert round(v("vehicles_delivered", "smart_auto")) == 1_292_570  # 1.67 m / 1.292
    assert round(v("revenue_per_vehicle", "smart_auto", "FY2024"), 2) == 153.29  # RMB per vehicle


def test_derived_ratios_carry_their_dimension(frame):
    """Revenue per vehicle is money per unit, and R&D to revenue a ratio."""
    per_vehicle = derived_row(frame, "revenue_per_vehicle", "smart_auto", "FY2024")
    assert (per_vehicle["dimension"], per_vehicle["unit"]) == ("per_unit", "RMB/vehicles")
    assert derived_row(frame, "rd_to_revenue", "", "FY2024")["dimension"] == "ratio"


def test_compute_prior_is_as_of_a_year_earlier(frame):
    r = derived_row(frame, "compute_capacity", period="FY2023")
    assert r["as_of"] == "2024-03"
    assert r["qualifier"] == "more_than"  # '>23,000' over an exact 1.92 stays a lower bound


@pytest.mark.parametrize(
    ("metric", "segment", "period", "qualifier"),
    [
        ("vehicles_delivered", "smart_auto", "FY2023", "more_than"),  # >1.67 m / 1.292
        ("revenue_per_vehicle", "smart_auto", "FY2024", "less_than"),  # RMB 256 m / >1.67 m
        ("revenue", "", "FY2023", ""),  # exact inputs, exact result
    ],
)
def test_bounds_survive_derivations_that_move_with_them(frame, metric, segment, period, qualifier):
    assert derived_row(frame, metric, segment, period)["qualifier"] == qualifier


def test_bounds_that_pull_both_ways_derive_nothing(frame):
    """More than 11 m design-win vehicles over more than 1.67 m deliveries can be any multiple."""
    rows = frame[(frame["metric"] == "design_win_multiple") & (frame["period"] == "FY2024")]
    assert rows.empty
    assert (
        metrics._derived_qualifier(
            [{"qualifier": "more_than", "value": 11.0}, {"qualifier": "more_than", "value": 1.67}],
            (1, -1),
        )
        is None
    )
    approx = [{"qualifier": "approx", "value": 11.0}, {"qualifier": "more_than", "value": 1.67}]
    assert metrics._derived_qualifier(approx, (1, 1)) == "approx"


def test_derived_units(frame):
    assert derived_row(frame, "revenue", period="FY2023")["unit"] == "RMB"
    assert derived_row(frame, "revenue", period="FY2023")["dimension"] == "money"
    assert derived_row(frame, "capex_growth")["dimension"] == "ratio"
    per_vehicle = derived_row(frame, "revenue_per_vehicle", "smart_auto")
    assert (per_vehicle["unit"], per_vehicle["dimension"]) == ("RMB/vehicles", "per_unit")


def test_derived_intervals_follow_the_rounding_of_the_inputs(frame):
    r = derived_row(frame, "revenue", period="FY2023")
    # 37.7 ± 0.05 億 over 1 + (10.8 ± 0.05) %
    assert r["lo"] == pytest.approx(37.65 * YI / 1.1085, rel=1e-12)
    assert r["hi"] == pytest.approx(37.75 * YI / 1.1075, rel=1e-12)
    share = derived_row(frame, "revenue_share", "smart_auto")
    assert share["lo"] == pytest.approx(2.555 / 37.75, rel=1e-12)
    assert share["hi"] == pytest.approx(2.565 / 37.65, rel=1e-12)


def test_reported_rows_pass_through_unchanged(ds, frame):
    reported = frame[frame["basis"] == "reported"].drop(columns="rule").reset_index(drop=True)
    pd.testing.assert_frame_equal(reported, ds.figures.reset_index(drop=True), check_dtype=False)
    assert len(frame) == len(ds.figures) + (frame["basis"] == "derived").sum()


def test_every_derived_row_names_its_inputs_and_they_exist(frame):
    derived = frame[frame["basis"] == "derived"]
    assert len(derived) >= 20
    labels = {
        metrics.figure_label(r["metric"], r["segment"], r["item"], r["period"])
        for r in frame.to_dict("records")
    }
    for r in derived.to_dict("records"):
        assert len(r["inputs"]) == 2, r
        assert set(r["inputs"]) <= labels, r
        assert r["rule"], r


def test_derivation_never_overwrites_a_reported_figure(frame):
    keys = frame[["metric", "segment", "item", "period", "basis"]]
    usable = frame[frame["qualifier"] != "conflicting"]
    dupes = usable.duplicated(["metric", "segment", "item", "period"], keep=False)
    assert not dupes.any(), keys[dupes]


def test_lookup_prefers_reported_and_skips_conflicting(frame):
    assert metrics.value(frame, "rd_expense_growth", period="FY2024") == pytest.approx(0.192)
    assert metrics.value(frame, "revenue", period="FY2024") == pytest.approx(REVENUE_24)
    assert metrics.value(frame, "revenue", period="FY2023") == pytest.approx(REVENUE_23)
    assert metrics.value(frame, "no_such_metric") is None
    assert metrics.lookup(frame, "revenue", "robotics", period="FY2024") is None


def test_figures_pick_the_row_lookup_picks_for_every_key(frame):
    figures = metrics.Figures(frame)
    keys = set(zip(frame["metric"], frame["segment"], frame["item"], frame["period"], strict=True))
    for key in keys:
        expected = metrics.lookup(frame, *key)
        got = figures.row(*key)
        assert (got is None) == (expected is None), key
        if got is not None:
            assert got.name == expected.name and got.equals(expected), key
    assert figures.row("revenue", "robotics", "", "FY2024") is None
    assert figures.value("revenue", "", "", "FY2024") == pytest.approx(REVENUE_24)


def test_a_frames_figures_are_indexed_once_and_again_when_it_grows(frame):
    copy = frame.copy()
    assert metrics.figures(copy) is metrics.figures(copy)
    extra = {**copy.iloc[0].to_dict(), "metric": "new_metric", "value": 1.0}
    copy.loc[len(copy)] = extra
    assert metrics.value(copy, "new_metric", period=extra["period"]) == 1.0
    first = metrics.figures(copy).first("revenue", "", "")
    assert first is not None and first.name == copy[copy["metric"] == "revenue"].index[0]


def test_figures_prefer_reported_and_skip_conflicting(tmp_path):
    ds = copy_with(
        tmp_path,
        ("rd_expense_growth,,,FY2024,19.2,%,,,tmtpost,,\n", CONFLICT),
    )
    frame = metrics.derive(ds)
    reported = pd.DataFrame([{**frame.iloc[0].to_dict(), "basis": "derived", "value": -1.0}])
    figures = metrics.Figures(pd.concat([reported, frame], ignore_index=True))
    first = frame.iloc[0]
    assert first["basis"] == "reported"
    key = (first["metric"], first["segment"], first["item"], first["period"])
    assert figures.value(*key) == first["value"]  # the reported row, though the derived is first
    growth = figures.row("rd_expense_growth", "", "", "FY2024")  # derived, not the conflicting
    assert growth["basis"] == "derived" and growth["qualifier"] != "conflicting"


CONFLICT = "rd_expense_growth,,,FY2024,-13.7,%,conflicting,,tmtpost,a second wording of the rise\n"


def test_conflicting_rows_are_never_used_in_derivations(tmp_path):
    """With only a conflicting statement of R&D growth left, R&D for 2023 is not backed out."""
    ds = copy_with(
        tmp_path,
        ("rd_expense,,,FY2023,34.66,RMB 100m,,,tmtpost,,\n", ""),
        ("rd_expense_growth,,,FY2024,19.2,%,,,tmtpost,,\n", CONFLICT),
    )
    frame = metrics.derive(ds)
    assert metrics.lookup(frame, "rd_expense", period="FY2023") is None
    assert metrics.lookup(frame, "rd_to_revenue", period="FY2023") is None
    assert metrics.value(frame, "rd_expense_growth", period="FY2024") is None
    for r in frame[frame["basis"] == "derived"].to_dict("records"):
        assert "rd_expense_growth FY2024" not in r["inputs"], r


def test_conflicting_row_first_in_the_file(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    path = root / "sensetime" / "FY2024" / "figures.csv"
    lines = path.read_text("utf-8").splitlines()
    main = next(i for i, t in enumerate(lines) if t.startswith("rd_expense_growth,,,FY2024,19.2"))
    prior = next(i for i, t in enumerate(lines) if t.startswith("rd_expense,,,FY2023"))
    order = [CONFLICT.strip(), lines[main]]
    rest = [t for i, t in enumerate(lines) if i not in (main, prior)]
    path.write_text("\n".join(rest[:1] + order + rest[1:]) + "\n", encoding="utf-8")
    ds = load("sensetime", "FY2024", root)
    assert ds.figures.iloc[0]["qualifier"] == "conflicting"
    frame = metrics.derive(ds)
    r = derived_row(frame, "rd_expense", period="FY2023")
    assert r["value"] == pytest.approx(RD_24 / 1.192, rel=1e-12)
    assert metrics.value(frame, "rd_expense_growth", period="FY2024") == pytest.approx(0.192)


def test_growth_stated_for_the_comparison_period_reaches_a_year_back(frame):
    """'41.31億, up 19.2% on 2023's 34.66億, itself down 13.7%': FY2022 R&D is derived."""
    r = derived_row(frame, "rd_expense", period="FY2022")
    assert r["value"] == pytest.approx(34.66 * YI / (1 - 0.137), rel=1e-12)
    assert r["basis"] == "derived" and r["rule"] == "prior_from_growth"
    assert r["lo"] <= r["value"] <= r["hi"]
    assert metrics.value(frame, "rd_expense_growth", period="FY2023") == pytest.approx(-0.137)


@pytest.mark.parametrize(
    ("label", "before"),
    [("FY2023", "FY2022"), ("H1-2025", "H1-2024"), ("2024Q3", "2023Q3"), ("TTM", "")],
)
def test_previous_period(label, before):
    assert metrics.previous_period(label) == before


def test_more_than_growth_is_not_used_to_back_out_a_value(frame, tmp_path):
    """'Grew by more than 92 %' bounds the prior value on one side only: nothing is derived."""
    assert metrics.lookup(frame, "compute_capacity", period="FY2023") is not None
    ds = copy_with(
        tmp_path,
        (
            "compute_capacity_growth,,,FY2024,92,%,,",
            "compute_capacity_growth,,,FY2024,92,%,more_than,",
        ),
    )
    assert metrics.lookup(metrics.derive(ds), "compute_capacity", period="FY2023") is None


def test_fixture_company_derives_with_its_own_segments():
    ds = load("northwind", "H1-2025", FIXTURES)
    frame = metrics.derive(ds)
    assert metrics.value(frame, "revenue", period="H1-2024") == pytest.approx(1000e6)  # 1250/1.25
    assert metrics.value(frame, "revenue", "licensing", period="H1-2024") == pytest.approx(100e6)
    assert metrics.value(frame, "revenue", "consulting", period="H1-2024") == pytest.approx(
        50e6 / 0.8
    )
    assert metrics.value(frame, "revenue_share", "devices", period="H1-2025") == pytest.approx(
        400 / 1250
    )
    assert metrics.value(frame, "net_loss", period="H1-2024") == pytest.approx(80e6 / 0.5)
    assert metrics.lookup(frame, "vehicles_delivered", "devices") is None


# ---------------------------------------------------------------------------------------------
# Reconciliation

EXPECTED_CHECKS = {
    "ratio-gross_margin-FY2024": "pass",
    "ratio-capex_to_revenue-FY2024": "pass",
    "share-revenue_share-generative_ai-FY2024": "pass",
    "share-revenue_share-vision_ai-FY2024": "pass",
    "segment_sum-revenue-FY2024": "pass",
    "segment_sum-revenue-FY2023": "pass",
    "growth-rd_expense_growth-FY2024": "pass",
    "claim-overseas_above_group": "pass",
    "claim-genai_largest_vs_vision": "pass",
    "claim-genai_largest_vs_auto": "pass",
    "claim-cumulative_above_new": "pass",
}


def test_every_check_and_its_status(checks):
    assert list(checks.columns) == metrics.CHECK_COLUMNS
    assert dict(zip(checks["id"], checks["status"], strict=True)) == EXPECTED_CHECKS
    assert (checks["status"] == "flag").sum() == 0  # the source contradicts itself nowhere


def test_a_conflicting_statement_is_flagged(conflicted):
    """The flag mechanism for a real conflict: a second, different statement of a growth rate."""
    c = check(metrics.reconcile(conflicted), "growth-rd_expense_growth-FY2024-conflicting")
    assert c["status"] == "flag"
    assert c["stated"] == pytest.approx(-0.137)
    assert c["recomputed"] == pytest.approx(RD_24 / RD_23 - 1, rel=1e-12)
    assert round(c["difference"], 4) == -0.3289
    assert c["inputs"] == ("rd_expense FY2024", "rd_expense FY2023")
    assert "13.7" in c["note"]


def test_rd_stated_growth_passes(checks):
    c = check(checks, "growth-rd_expense_growth-FY2024")
    assert c["recomputed"] == pytest.approx(41.31 / 34.66 - 1, rel=1e-12)
    assert c["difference"] == pytest.approx(0.192 - (41.31 / 34.66 - 1), rel=1e-9)
    # 41.31/34.66 - 1 = 19.186 %, within 19.2 ± 0.05
    assert abs(c["difference"]) < 0.0005


@pytest.mark.parametrize(
    ("check_id", "stated", "recomputed"),
    [
        ("ratio-gross_margin-FY2024", 0.429, 16.2 / 37.7),
        ("ratio-capex_to_revenue-FY2024", 0.299, 11.29 / 37.7),
        ("share-revenue_share-generative_ai-FY2024", 0.637, 24.04 / 37.7),
        ("share-revenue_share-vision_ai-FY2024", 0.295, 11.12 / 37.7),
    ],
)
def test_ratio_checks(checks, check_id, stated, recomputed):
    c = check(checks, check_id)
    assert c["stated"] == pytest.approx(stated)
    assert c["recomputed"] == pytest.approx(recomputed, rel=1e-12)
    assert c["difference"] == pytest.approx(stated - recomputed, rel=1e-9)
    assert c["lo"] <= c["recomputed"] <= c["hi"]
    assert c["status"] == "pass"


def test_segment_sum_within_rounding(checks):
    c = check(checks, "segment_sum-revenue-FY2024")
    assert c["stated"] == pytest.approx(REVENUE_24)
    assert c["recomputed"] == pytest.approx((24.04 + 11.12 + 2.56) * YI, rel=1e-12)
    assert c["difference"] == pytest.approx(-0.02 * YI, rel=1e-6)  # 37.72 vs 37.7
    # The range the stated total must lie in: the parts' rounding widened by the total's own
    # (37.7 ± 0.05), so that pass means "inside the range shown".
    assert c["lo"] == pytest.approx((24.035 + 11.115 + 2.555 - 0.05) * YI, rel=1e-12)
    assert c["hi"] == pytest.approx((24.045 + 11.125 + 2.565 + 0.05) * YI, rel=1e-12)
    assert c["lo"] <= c["stated"] <= c["hi"]
    assert c["status"] == "pass"
    assert (c["basis"], c["missing"]) == ("reported", ())
    prior = check(checks, "segment_sum-revenue-FY2023")
    assert prior["stated"] == pytest.approx(REVENUE_23, rel=1e-12)
    assert prior["basis"] == "derived"  # FY2023 revenue is implied by growth, never stated
    assert prior["recomputed"] == pytest.approx(GENAI_23 + VISION_23 + AUTO_23, rel=1e-9)


def test_claims_hold(checks):
    c = check(checks, "claim-overseas_above_group")
    assert (c["stated"], c["right_value"]) == (pytest.approx(0.145), pytest.approx(0.108))
    assert (c["relation"], c["right"]) == (">", "revenue_growth FY2024")
    assert pd.isna(c["recomputed"]) and pd.isna(c["lo"])  # nothing else in those columns
    assert c["difference"] == pytest.approx(0.145 - 0.108)
    c = check(checks, "claim-cumulative_above_new")
    assert c["difference"] == pytest.approx(3.6e6 - 1.67e6)
    c = check(checks, "claim-genai_largest_vs_vision")
    assert c["difference"] == pytest.approx(GENAI_24 - VISION_24)
    assert c["source"] == "tmtpost"


def test_false_claim_is_flagged(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    path = root / "sensetime" / "FY2024" / "claims.csv"
    text = path.read_text("utf-8")
    path.write_text(text.replace("overseas_revenue_growth,>,", "overseas_revenue_growth,<,"))
    checks = metrics.reconcile(load("sensetime", "FY2024", root))
    assert check(checks, "claim-overseas_above_group")["status"] == "flag"


def test_changed_gross_margin_is_flagged(tmp_path):
    ds = copy_with(tmp_path, ("gross_margin,,,FY2024,42.9,", "gross_margin,,,FY2024,45,"))
    checks = metrics.reconcile(ds)
    c = check(checks, "ratio-gross_margin-FY2024")
    assert c["status"] == "flag"
    assert c["difference"] == pytest.approx(0.45 - 16.2 / 37.7, rel=1e-9)
    others = checks[checks["id"] != "ratio-gross_margin-FY2024"]
    assert dict(zip(others["id"], others["status"], strict=True)) == {
        k: v for k, v in EXPECTED_CHECKS.items() if k != "ratio-gross_margin-FY2024"
    }


def test_changed_segment_is_flagged_in_its_share_and_the_sum(tmp_path):
    ds = copy_with(
        tmp_path, ("revenue,vision_ai,,FY2024,11.12,", "revenue,vision_ai,,FY2024,12.12,")
    )
    checks = metrics.reconcile(ds)
    assert check(checks, "share-revenue_share-vision_ai-FY2024")["status"] == "flag"
    assert check(checks, "segment_sum-revenue-FY2024")["status"] == "flag"
    assert check(checks, "segment_sum-revenue-FY2024")["difference"] == pytest.approx(-1.02 * YI)


def test_share_passes_only_within_the_rounding_of_its_inputs(tmp_path, checks):
    """63.7 % stated; 24.04 / 37.7 = 63.767 %.

    A stated share may be a full unit of its last digit off (issuers nudge one share so that
    the shares add up to 100 %), and the inputs' rounding widens the recomputed span.
    """
    c = check(checks, "share-revenue_share-generative_ai-FY2024")
    assert abs(c["difference"]) > 0.0005
    # The range shown is the recomputed one widened by a full unit of 63.7 %: ± 0.1 pp.
    assert c["lo"] == pytest.approx(24.035 / 37.75 - 0.001, rel=1e-12)
    assert c["hi"] == pytest.approx(24.045 / 37.65 + 0.001, rel=1e-12)
    assert c["lo"] <= c["stated"] <= c["hi"]
    assert c["status"] == "pass"

    # One unit below (63.6, as a nudge to make shares add up) still passes; two units flag.
    nudged = metrics.reconcile(copy_with(tmp_path / "a", ("FY2024,63.7,", "FY2024,63.6,")))
    assert check(nudged, "share-revenue_share-generative_ai-FY2024")["status"] == "pass"
    off = metrics.reconcile(copy_with(tmp_path / "b", ("FY2024,63.7,", "FY2024,63.5,")))
    c = check(off, "share-revenue_share-generative_ai-FY2024")
    assert c["lo"] > c["stated"]  # the stated share lies outside the range shown: flagged
    assert c["status"] == "flag"
    assert c["difference"] == pytest.approx(0.635 - 24.04 / 37.7, rel=1e-9)

    # Stating the share as '63.70' with revenue '37.70' leaves ± 0.01 pp: 63.745 % is too far.
    both = metrics.reconcile(
        copy_with(
            tmp_path / "c",
            ("FY2024,37.7,", "FY2024,37.70,"),
            ("FY2024,63.7,", "FY2024,63.70,"),
        )
    )
    assert check(both, "share-revenue_share-generative_ai-FY2024")["status"] == "flag"


def test_reconcile_derives_when_not_given_a_frame(ds, checks):
    again = metrics.reconcile(ds)
    pd.testing.assert_frame_equal(again, checks)


# ---------------------------------------------------------------------------------------------
# Views


def test_revenue_bridge_in_company_order(ds, frame):
    order = list(ds.company.segments)
    bridge = metrics.revenue_bridge(frame, "FY2024", "FY2023", order)
    assert list(bridge["segment"]) == ["generative_ai", "vision_ai", "smart_auto"]
    expected = {
        "generative_ai": (GENAI_23, GENAI_24),
        "vision_ai": (VISION_23, VISION_24),
        "smart_auto": (AUTO_23, AUTO_24),
    }
    for r in bridge.to_dict("records"):
        start, end = expected[r["segment"]]
        assert r["start"] == pytest.approx(start, rel=1e-9)
        assert r["end"] == pytest.approx(end, rel=1e-12)
        assert r["change"] == pytest.approx(end - start, rel=1e-9)
        assert r["basis"] == "derived"  # every FY2023 segment revenue is implied
    # the steps add up from the prior total of the segments to this year's
    assert bridge["start"].sum() + bridge["change"].sum() == pytest.approx(bridge["end"].sum())


def test_revenue_bridge_order_is_the_given_order(frame):
    order = ["smart_auto", "generative_ai"]  # vision_ai not named: it comes last
    bridge = metrics.revenue_bridge(frame, "FY2024", "FY2023", order)
    assert list(bridge["segment"]) == ["smart_auto", "generative_ai", "vision_ai"]


def test_segment_mix_in_company_order(ds, frame):
    order = list(ds.company.segments)
    mix = metrics.segment_mix(frame, ["FY2023", "FY2024"], order)
    assert list(zip(mix["period"], mix["segment"], strict=True)) == [
        ("FY2023", "generative_ai"),
        ("FY2023", "vision_ai"),
        ("FY2023", "smart_auto"),
        ("FY2024", "generative_ai"),
        ("FY2024", "vision_ai"),
        ("FY2024", "smart_auto"),
    ]
    got = {(r["period"], r["segment"]): (r["share"], r["basis"]) for r in mix.to_dict("records")}
    assert got[("FY2024", "generative_ai")] == (pytest.approx(0.637), "reported")
    assert got[("FY2024", "vision_ai")] == (pytest.approx(0.295), "reported")
    assert got[("FY2024", "smart_auto")] == (pytest.approx(AUTO_24 / REVENUE_24), "derived")
    assert got[("FY2023", "generative_ai")] == (pytest.approx(GENAI_23 / REVENUE_23), "derived")
    assert got[("FY2023", "vision_ai")] == (pytest.approx(0.539), "reported")
    assert got[("FY2023", "smart_auto")] == (pytest.approx(AUTO_23 / REVENUE_23), "derived")
    for period in ("FY2023", "FY2024"):
        total = mix[mix["period"] == period]["share"].sum()
        assert total == pytest.approx(1.0, abs=0.002)  # stated shares are rounded


# ---------------------------------------------------------------------------------------------
# Issue 8: derived values from parts and bounds; reconciliation that says what it compared


def test_every_check_passes_exactly_when_its_value_lies_in_the_range_shown(checks):
    for c in checks[checks["kind"] != "claim"].to_dict("records"):
        inside = not c["stated"] < c["lo"] and not c["stated"] > c["hi"]  # NaN: an open end
        conflicting = c["id"].endswith("-conflicting")
        assert (c["status"] == "pass") == (inside and not conflicting), c["id"]


def test_a_segment_prior_comes_from_its_product_lines(tmp_path):
    """Chips' FY2024 revenue is not given; its two product lines' is (through their growth),
    and in FY2025 the lines add up to the segment, so the list is complete."""
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "200", "HKD m"),
            mini.row("revenue_growth", "-16.7", "%"),  # from 240 = 180 + 60
            mini.row("revenue", "150", "HKD m", segment="chips"),
            mini.row("revenue", "100", "HKD m", segment="chips", item="auto_chips"),
            mini.row("revenue_growth", "25", "%", segment="chips", item="auto_chips"),
            mini.row("revenue", "50", "HKD m", segment="chips", item="edge_chips"),
            mini.row("revenue_growth", "-50", "%", segment="chips", item="edge_chips"),
            mini.row("revenue", "50", "HKD m", segment="licensing"),
            mini.row("revenue", "60", "HKD m", segment="licensing", period="FY2024"),
        ],
    )
    frame = metrics.derive(ds)
    chips = derived_row(frame, "revenue", "chips", "FY2024")
    assert chips["value"] == pytest.approx(80e6 + 100e6)
    assert chips["rule"] == "sum_of_parts"
    assert set(chips["inputs"]) == {
        "revenue[chips/auto_chips] FY2024",
        "revenue[chips/edge_chips] FY2024",
    }
    bridge = metrics.revenue_bridge(frame, "FY2025", "FY2024", list(ds.company.segments))
    assert list(bridge["segment"]) == ["chips", "licensing"]  # every segment the period has
    assert bridge["change"].sum() == pytest.approx(200e6 - 240e6)
    prior = check(metrics.reconcile(ds, frame), "segment_sum-revenue-FY2024")
    assert prior["basis"] == "derived" and prior["status"] == "pass"


def test_product_lines_that_do_not_add_up_give_no_segment_total(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "150", "HKD m", segment="chips"),
            mini.row("revenue", "100", "HKD m", segment="chips", item="auto_chips"),
            mini.row("revenue_growth", "25", "%", segment="chips", item="auto_chips"),
        ],
    )
    assert metrics.lookup(metrics.derive(ds), "revenue", "chips", period="FY2024") is None


def test_a_derived_total_is_never_called_stated(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "200", "HKD m"),
            mini.row("revenue_growth", "25", "%"),
            mini.row("revenue", "150", "HKD m", segment="chips"),
            mini.row("revenue", "50", "HKD m", segment="licensing"),
            mini.row("revenue", "100", "HKD m", segment="chips", period="FY2024"),
            mini.row("revenue", "40", "HKD m", segment="licensing", period="FY2024"),
        ],
    )
    checks = metrics.reconcile(ds)
    prior = check(checks, "segment_sum-revenue-FY2024")
    assert prior["basis"] == "derived"
    assert prior["stated"] == pytest.approx(160e6) and prior["recomputed"] == pytest.approx(140e6)
    assert prior["status"] == "flag"
    text, _ = checks_cli.report(ds)
    line = next(t for t in text.splitlines() if "revenue FY2024" in t)
    assert "HKD 160.0 m (derived)" in line
    html = render(appendix.checks_table(ds, metrics.derive(ds), checks))
    assert "stated as" not in " ".join(
        flag_text(f) for f in summary.flags(checks, metrics.derive(ds), ds)
    )
    assert "derived as HKD 160" in " ".join(
        flag_text(f) for f in summary.flags(checks, metrics.derive(ds), ds)
    )
    row_html = html[html.index(appendix.check_anchor(prior["id"])) :].split("</tr>")[0]
    assert "derived" in row_html


def test_a_sum_check_uses_every_segment_and_names_the_missing_ones(tmp_path):
    rows = [
        mini.row("revenue", "200", "HKD m"),
        mini.row("revenue", "150", "HKD m", segment="chips"),
        mini.row("customers", "12", "customers", segment="licensing"),
    ]
    (c,) = metrics.reconcile(mini.load(tmp_path / "a", rows)).to_dict("records")
    assert c["missing"] == ("licensing",)
    assert c["recomputed"] == pytest.approx(150e6)
    assert pd.isna(c["hi"]) and c["lo"] < 200e6  # the parts can only be at most the total
    assert c["status"] == "pass"
    over = [rows[0], mini.row("revenue", "250", "HKD m", segment="chips"), rows[2]]
    ds = mini.load(tmp_path / "b", over)
    (c,) = metrics.reconcile(ds).to_dict("records")
    assert c["status"] == "flag"
    html = render(appendix.checks_table(ds, metrics.derive(ds), metrics.reconcile(ds)))
    assert "No figure for Licensing" in html and "at least" in html
    text, _ = checks_cli.report(ds)
    assert "(no figure for licensing)" in text


def test_a_claim_names_both_sides_and_leaves_recomputed_empty(ds, frame, checks):
    html = render(appendix.checks_table(ds, frame, checks))
    c = check(checks, "claim-genai_largest_vs_vision")
    row_html = html[html.index(appendix.check_anchor(c["id"])) :].split("</tr>")[0]
    # both sides read as the brief shows them elsewhere, not in a checks-only 'RMB 1,112.0 m'
    assert "greater than Revenue · Vision AI FY2024: RMB 1.11 bn" in row_html
    assert "RMB 2.40 bn" in row_html
    assert "n/a" not in row_html and "range" not in row_html


def test_a_conflicting_row_is_flagged_and_never_used(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "200", "HKD m"),
            mini.row("revenue", "200.0", "HKD m", qual="conflicting"),  # agrees, still flagged
            mini.row("gross_margin", "40", "%"),
        ],
    )
    frame = metrics.derive(ds)
    assert metrics.lookup(frame, "revenue")["qualifier"] == ""
    assert "200.0" not in set(frame.loc[frame["basis"] == "derived", "written"])
    c = check(metrics.reconcile(ds, frame), "conflict-revenue-FY2025-conflicting")
    assert c["status"] == "flag" and c["recomputed"] == pytest.approx(200e6)
    gross = metrics.lookup(frame, "gross_profit")
    assert gross["inputs"] == ("gross_margin FY2025", "revenue FY2025")
    assert render(appendix.figures_table(ds, frame)).count("conflicting statement, not used") == 1


def test_a_value_derived_from_a_lower_bound_keeps_more_than(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "100", "HKD m"),
            mini.row(
                "vehicles_delivered", "167", "vehicles 10k", segment="chips", qual="more_than"
            ),
            mini.row("vehicles_delivered_growth", "29.2", "%", segment="chips"),
            mini.row("revenue", "50", "HKD m", segment="chips"),
        ],
    )
    frame = metrics.derive(ds)
    prior = metrics.lookup(frame, "vehicles_delivered", "chips", period="FY2024")
    assert prior["qualifier"] == "more_than"
    assert narrative.quantity(prior).startswith(">")
    per_vehicle = metrics.lookup(frame, "revenue_per_vehicle", "chips")
    assert per_vehicle["qualifier"] == "less_than"  # revenue over more than 1.67 m: "<"


def test_a_pp_change_does_not_get_a_growth_rate(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("gross_margin", "40", "%"),
            mini.row("gross_margin_change", "2", "pp"),
            mini.row("gross_margin_change", "1", "pp", period="FY2024"),
        ],
    )
    frame = metrics.derive(ds)
    assert metrics.lookup(frame, "gross_margin_change_growth") is None


def test_a_product_line_share_divides_its_own_revenue_by_the_group(tmp_path):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "200", "HKD m"),
            mini.row("revenue", "150", "HKD m", segment="chips"),
            mini.row("revenue", "100", "HKD m", segment="chips", item="soc"),
            mini.row("revenue_share", "50.0", "%", segment="chips", item="soc"),
        ],
    )
    c = check(metrics.reconcile(ds), "share-revenue_share-chips-soc-FY2025")
    assert c["recomputed"] == pytest.approx(0.5) and c["status"] == "pass"


@pytest.mark.parametrize(("right", "status"), [("107.9", "pass"), ("109", "flag")])
def test_a_claim_on_a_range_holds_within_its_ends(tmp_path, right, status):
    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "107-108", "HKD m", segment="chips"),
            mini.row("revenue", right, "HKD m", segment="licensing"),
        ],
        claims=["big,revenue[chips],>,revenue[licensing],FY2025,src,chips is the larger"],
    )
    assert check(metrics.reconcile(ds), "claim-big")["status"] == status
