"""Fixtures several test modules share: the SenseTime FY2024 dataset and its derived figures."""

from __future__ import annotations

import pytest

from earnings_brief import dataset, metrics


@pytest.fixture(scope="session")
def ds():
    return dataset.load("sensetime", "FY2024")


@pytest.fixture(scope="session")
def frame(ds):
    return metrics.derive(ds)
