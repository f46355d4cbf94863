from run_fixtures import COMPANY, FIXTURES, PERIOD

from earnings_brief import changes
from earnings_brief.dataset import load


def figure(metric, value, written=None, segment="", unit="HKD", written_unit="HKD m", qualifier=""):
    key = {
        "metric": metric,
        "segment": segment,
        "item": "",
        "period": "H1-2025",
        "qualifier": qualifier,
    }
    shown = {"written": written or str(value / 1e6), "written_unit": written_unit, "source": "s"}
    return {**key, "value": value, "unit": unit, **shown}


def test_added_removed_and_changed_figures_carry_old_and_new_values():
    old = [figure("revenue", 1.0e9), figure("capex", 2.0e8), figure("opex", 3.0e8)]
    new = [figure("revenue", 1.1e9), figure("opex", 3.0e8), figure("rd_expense", 5.0e7)]
    diff = {c["metric"]: c for c in changes.diff_figures(old, new)}
    assert set(diff) == {"revenue", "capex", "rd_expense"}
    assert diff["revenue"]["change"] == "changed"
    assert diff["revenue"]["old"]["written"] == "1000.0"
    assert diff["revenue"]["new"]["written"] == "1100.0"
    assert diff["capex"]["change"] == "removed" and diff["capex"]["new"] is None
    assert diff["rd_expense"]["change"] == "added" and diff["rd_expense"]["old"] is None


def test_same_value_written_differently_is_not_a_change():
    old = [figure("revenue", 1.0e9, written="1,000")]
    new = [figure("revenue", 1.0e9, written="1000")]
    assert changes.diff_figures(old, new) == []


def test_the_qualifier_and_segment_are_part_of_the_key():
    old = [figure("compute", 5.0, unit="x", qualifier="approx")]
    new = [
        figure("compute", 5.0, unit="x", qualifier="more_than"),
        figure("revenue", 1.0, segment="a"),
    ]
    kinds = sorted(
        (c["change"], c["qualifier"], c["segment"]) for c in changes.diff_figures(old, new)
    )
    assert kinds == [("added", "", "a"), ("added", "more_than", ""), ("removed", "approx", "")]


def test_a_dataset_frame_round_trips_through_the_edition_file(tmp_path):
    frame = load(COMPANY, PERIOD, FIXTURES / "data").figures
    path = tmp_path / "figures.json"
    changes.save_figures(frame, path)
    saved = changes.load_figures(path)
    assert len(saved) == len(frame)
    assert changes.diff_figures(saved, frame) == []
    edited = frame.copy()
    edited.loc[0, "value"] = edited.loc[0, "value"] * 2
    (change,) = changes.diff_figures(saved, edited)
    assert change["metric"] == frame.loc[0, "metric"]
    assert change["new"]["value"] == 2 * change["old"]["value"]


def test_missing_edition_file_means_no_previous_figures(tmp_path):
    assert changes.load_figures(tmp_path / "absent.json") is None


def test_describe_is_one_readable_line():
    (change,) = changes.diff_figures([figure("revenue", 1.0e9, segment="cloud")],
                                     [figure("revenue", 1.2e9, segment="cloud")])  # fmt: skip
    assert (
        changes.describe(change) == "changed revenue[cloud] H1-2025: 1000.0 HKD m -> 1200.0 HKD m"
    )
