"""Grouping many items: the largest are kept in their order, the rest are only counted."""

from __future__ import annotations

import pandas as pd

from earnings_brief.grouping import largest_items


def _rows(values: dict[str, float], metric: str = "users") -> list[dict]:
    return [{"metric": metric, "item": item, "value": v} for item, v in values.items()]


def test_few_items_are_left_as_they_are():
    frame = pd.DataFrame(_rows({"a": 1.0, "b": 2.0}))
    kept, left_out = largest_items(frame, 3)
    assert kept is frame and left_out == 0


def test_the_largest_items_stay_in_data_order_with_all_their_rows():
    values = {f"p{i}": float(i % 7) for i in range(20)}
    rows = [
        {"metric": "total", "item": "", "value": 1e9},
        *_rows(values),
        *_rows({"p6": 0.5, "p0": 0.1}, "users_growth"),  # a second metric of two items
    ]
    kept, left_out = largest_items(pd.DataFrame(rows), 3)
    assert left_out == 17
    assert list(kept["item"]) == ["", "p5", "p6", "p13", "p6"]  # p6, p13 (6) and p5 (5)
    assert kept.iloc[0]["metric"] == "total"


def test_items_without_the_common_metric_rank_last():
    rows = _rows({f"p{i}": float(i) for i in range(4)}) + _rows({"x": 1e12}, "other")
    kept, left_out = largest_items(pd.DataFrame(rows), 4)
    assert left_out == 1 and "x" not in set(kept["item"])
