"""Headline values a notebook records for the summary (the scrapbook pattern, no dependency).

A notebook calls ``record("revenue", 3.77e9, unit="RMB", basis="reported")``. The value travels
inside the executed notebook as a display output of its own MIME type, which nbconvert does not
render, and the assembler reads it back with ``read_records``. The payload carries a schema
version so that old executed notebooks stay readable.
"""

from __future__ import annotations

import json
import math
from typing import Any

MIME = "application/vnd.earnings-brief.record.v1+json"
SCHEMA = 1


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars become floats, arrays lists, NaN becomes None."""
    if hasattr(value, "tolist") and not isinstance(value, (list, dict, str)):
        value = value.tolist()  # numpy scalars and arrays, pandas Series (.item() fails on those)
    elif hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def payload(name: str, value: Any, **meta: Any) -> dict:
    return {"schema": SCHEMA, "name": name, "value": _plain(value), **_plain(meta)}


def record(name: str, value: Any, **meta: Any) -> None:
    """Record a named value in the running notebook's outputs."""
    from IPython.display import display

    display({MIME: payload(name, value, **meta)}, raw=True)


def read_records(notebook: dict) -> dict[str, dict]:
    """All records of an executed notebook (an nbformat node or plain dict), by name; later wins."""
    found: dict[str, dict] = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            if MIME in data:
                item = data[MIME]
                item = json.loads(item) if isinstance(item, str) else dict(item)
                if item.get("schema") == SCHEMA:
                    found[item["name"]] = item
    return found
