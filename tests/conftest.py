"""Fixtures several test modules share: the SenseTime FY2024 dataset and its derived figures."""

from __future__ import annotations

import inspect
import re
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


# The fast lane (`make test-fast`) leaves out every test that starts a kernel, a browser, the PDF
# engine, a cluster or another process: whole modules that do so throughout, and elsewhere a test
# whose own source, or the source of a fixture it uses, calls one of HEAVY.
SLOW_MODULES = {
    "test_build",
    "test_executors",
    "test_kernels",
    "test_lab",
    "test_notebooks",
    "test_pagefit",
    "test_pagesplice",
    "test_pdf",
    "test_pipeline",
    "test_universe",
}
HEAVY = re.compile(
    r"chromium|subprocess|papermill|execute_notebook|LocalCluster|dask|weasyprint|write_pdf"
    r"|pdf\.render|build\.build\(|build\.run\(|universe\.run\(|cli\.main\(\[\s*\"build\""
    r"|make_notebooks|run_cli|run_check\(|run_notebook|real_notebooks|build_brief\("
)


def _heavy(function) -> bool:
    try:
        return bool(HEAVY.search(inspect.getsource(function)))
    except (OSError, TypeError):
        return False


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        defs = fixtures.name2fixturedefs.values() if fixtures else ()
        functions = [item.function, *(d[-1].func for d in defs if d)]
        if item.module.__name__ in SLOW_MODULES or any(_heavy(f) for f in functions):
            item.add_marker(pytest.mark.slow)
