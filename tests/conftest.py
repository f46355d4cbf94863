"""Fixtures several test modules share: the SenseTime FY2024 dataset and its derived figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from earnings_brief import dataset, metrics

DATA = Path(__file__).resolve().parents[1] / "data"
# A second, different statement of FY2024's R&D growth: the kind of conflict the checks flag.
CONFLICT = "rd_expense_growth,,,FY2024,-13.7,%,conflicting,,tmtpost,worded as a fall of 13.7%\n"


@pytest.fixture(scope="session")
def ds():
    return dataset.load("sensetime", "FY2024")


@pytest.fixture(scope="session")
def frame(ds):
    return metrics.derive(ds)


@pytest.fixture(scope="session")
def conflicted(tmp_path_factory):
    """The SenseTime dataset with one conflicting statement added (the bundled one has none)."""
    root = tmp_path_factory.mktemp("conflicted") / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    with (root / "sensetime" / "FY2024" / "figures.csv").open("a", encoding="utf-8") as f:
        f.write(CONFLICT)
    return dataset.load("sensetime", "FY2024", root)
