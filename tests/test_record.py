"""Records: headline values carried in executed notebooks and read back by name."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from earnings_brief import record
from earnings_brief.record import MIME, SCHEMA, payload, read_records


def notebook(*outputs_per_cell: list[dict]) -> dict:
    """An nbformat-like plain dict: one code cell per list of outputs, plus a markdown cell."""
    cells = [{"cell_type": "markdown", "source": "# Title", "metadata": {}}]
    for outputs in outputs_per_cell:
        cells.append({"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs})
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def display(data: dict) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def test_payload_shape():
    p = payload("revenue", 3.77e9, unit="RMB", basis="reported", period="FY2024")
    assert p == {
        "schema": SCHEMA,
        "name": "revenue",
        "value": 3.77e9,
        "unit": "RMB",
        "basis": "reported",
        "period": "FY2024",
    }
    assert SCHEMA == 1
    assert MIME == "application/vnd.earnings-brief.record.v1+json"


def test_nan_becomes_none():
    p = payload("x", float("nan"), lo=np.float64("nan"), hi=math.inf, parts=[1.0, math.nan])
    assert p["value"] is None
    assert p["lo"] is None
    assert p["hi"] is None
    assert p["parts"] == [1.0, None]
    json.dumps(p, allow_nan=False)  # strictly valid JSON


def test_numpy_values_become_plain():
    p = payload("x", np.float64(0.108), count=np.int64(42), flag=np.bool_(True))
    assert type(p["value"]) is float and p["value"] == 0.108
    assert type(p["count"]) is int and p["count"] == 42
    assert p["flag"] is True
    p = payload("mix", {"a": np.float64(0.5), "b": (np.float64(1.5), None)})
    assert p["value"] == {"a": 0.5, "b": [1.5, None]}


def test_numpy_array_becomes_a_list():
    p = payload("shares", np.array([0.637, np.nan, 0.068]))
    assert p["value"] == [0.637, None, 0.068]
    json.dumps(p, allow_nan=False)


def test_round_trip_through_a_notebook():
    revenue = payload("revenue", 3.77e9, unit="RMB", basis="reported")
    growth = payload("revenue_growth", 0.108, basis="reported")
    nb = notebook(
        [
            {"output_type": "stream", "name": "stdout", "text": "hello\n"},
            display({"text/html": "<p>x</p>", MIME: revenue}),
        ],
        [],
        [display({MIME: growth})],
    )
    # through JSON, as the file on disk would be
    found = read_records(json.loads(json.dumps(nb)))
    assert set(found) == {"revenue", "revenue_growth"}
    assert found["revenue"] == revenue
    assert found["revenue_growth"]["value"] == 0.108


def test_payload_as_a_json_string_is_read():
    nb = notebook([display({MIME: json.dumps(payload("loss", 4.307e9))})])
    assert read_records(nb)["loss"]["value"] == 4.307e9


def test_later_record_wins():
    nb = notebook(
        [display({MIME: payload("revenue", 1.0)})], [display({MIME: payload("revenue", 2.0)})]
    )
    assert read_records(nb)["revenue"]["value"] == 2.0


def test_other_schema_versions_are_ignored():
    old = {**payload("revenue", 1.0), "schema": 0}
    nb = notebook([display({MIME: old}), display({MIME: payload("capex", 2.0)})])
    assert set(read_records(nb)) == {"capex"}


def test_notebook_without_records():
    assert read_records({"cells": []}) == {}
    assert read_records({}) == {}
    assert read_records(notebook([{"output_type": "stream", "text": "x"}])) == {}


def test_record_in_an_nbformat_node():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("record('revenue', 3.77e9)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: payload("revenue", 3.77e9)})]
    nb.cells.append(cell)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert read_records(nb)["revenue"]["value"] == 3.77e9


def test_record_displays_the_payload(monkeypatch):
    shown = []
    display_module = pytest.importorskip("IPython.display")
    monkeypatch.setattr(display_module, "display", lambda obj, raw: shown.append((obj, raw)))
    record.record("revenue", np.float64(3.77e9), unit="RMB")
    assert shown == [({MIME: payload("revenue", 3.77e9, unit="RMB")}, True)]
