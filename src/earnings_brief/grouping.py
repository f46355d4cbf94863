"""Many items in one segment: chapters show the largest few, the appendix lists every one.

With thousands of item rows (products, scenarios), a chart or table that shows them all is
unreadable and the PDF runs to hundreds of pages. The chapters keep the items with the largest
values and say how many more there are; no figure is summed or invented for the rest.
"""

from __future__ import annotations

import pandas as pd

MAX_ITEMS = 12


def largest_items(frame: pd.DataFrame, n: int = MAX_ITEMS) -> tuple[pd.DataFrame, int]:
    """The rows of the ``n`` items with the largest values, in their order, and how many items
    were left out. Rows without an item always stay.

    Items are ranked by their value of the metric most of them report (values of different
    metrics do not compare); items without that metric come after, in the data's order.
    """
    with_item = frame[frame["item"] != ""]
    names = list(dict.fromkeys(with_item["item"]))
    if len(names) <= n:
        return frame, 0
    counts = with_item["metric"].value_counts()
    metric = min(counts[counts == counts.max()].index)  # ties: by name, so the choice is stable
    ranked = with_item[with_item["metric"] == metric].groupby("item", sort=False)["value"].max()
    position = {name: i for i, name in enumerate(names)}
    order = sorted(names, key=lambda i: (-ranked.get(i, float("-inf")), position[i]))
    keep = set(order[:n])
    return frame[(frame["item"] == "") | frame["item"].isin(keep)], len(names) - n
