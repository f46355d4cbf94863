"""Input hashes and the manifest: what changes a notebook's hash, which notebooks are stale, and
the manifest's round trip."""

import json
import shutil

import pytest
from run_fixtures import FAIL, OK, set_default

from earnings_brief import provenance
from earnings_brief.errors import ParameterError

VERSIONS = {"python": "3", "papermill": "1"}


def inputs(notebooks, data, params=None, **kw):
    return provenance.brief_inputs(notebooks, [data], params or {}, versions=VERSIONS, **kw)


@pytest.fixture
def brief(tmp_path):
    nb = {name: tmp_path / f"{name}.ipynb" for name in ("revenue", "segments")}
    for path in nb.values():
        shutil.copy(OK, path)
    data = tmp_path / "figures.csv"
    data.write_text("metric,value\nrevenue,1\n")
    return nb, data


def hashes(found):
    return {name: nb["hash"] for name, nb in found.notebooks.items()}


def test_declared_parameters_come_from_the_parameters_cell():
    assert provenance.declared_parameters(OK) == [
        "company",
        "period",
        "data_dir",
        "language",
        "delay",
    ]
    assert provenance.declared_parameters(FAIL) == ["company", "period"]


def test_each_input_changes_the_hash(brief, tmp_path):
    nb, data = brief
    base = inputs(nb, data)
    assert hashes(inputs(nb, data)) == hashes(base)

    data.write_text("metric,value\nrevenue,2\n")
    assert set(hashes(inputs(nb, data)).values()).isdisjoint(hashes(base).values())
    data.write_text("metric,value\nrevenue,1\n")

    set_default(nb["segments"], "delay", 0.5)
    after = hashes(inputs(nb, data))
    assert (
        after["revenue"] == hashes(base)["revenue"]
        and after["segments"] != hashes(base)["segments"]
    )

    bumped = provenance.brief_inputs(nb, [data], {}, versions={**VERSIONS, "papermill": "2"})
    assert bumped.brief_hash != inputs(nb, data).brief_hash


def test_a_change_in_the_package_changes_every_hash(brief, tmp_path):
    nb, data = brief
    package = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = inputs(nb, data, package_dir=package)
    (package / "templates").mkdir(exist_ok=True)
    (package / "templates" / "extra.css").write_text("p { color: red }")
    after = inputs(nb, data, package_dir=package)
    assert set(hashes(after).values()).isdisjoint(hashes(before).values())


def test_a_notebook_gets_only_the_parameters_it_declares(brief):
    nb, data = brief
    shutil.copy(FAIL, nb["segments"])
    found = inputs(nb, data, {"company": "x", "language": "en", "delay": 1})
    assert found.notebooks["revenue"]["parameters"] == {
        "company": "x",
        "language": "en",
        "delay": 1,
    }
    assert found.notebooks["segments"]["parameters"] == {"company": "x"}
    with pytest.raises(ParameterError, match="unknown notebook parameter colour"):
        inputs(nb, data, {"colour": "red"})


def test_stale_lists_changed_notebooks_and_missing_executed_copies(brief, tmp_path):
    nb, data = brief
    found = inputs(nb, data)
    executed = tmp_path / "executed"
    executed.mkdir()
    (executed / "revenue.ipynb").write_text("{}")
    recorded = provenance.manifest(found, {})
    assert provenance.stale(found, recorded, executed) == ["segments"]
    (executed / "segments.ipynb").write_text("{}")
    assert provenance.stale(found, recorded, executed) == []
    assert provenance.stale(found, {}, executed) == ["revenue", "segments"]


def test_manifest_round_trips_and_rejects_other_schemas(brief, tmp_path):
    nb, data = brief
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(provenance.manifest(inputs(nb, data), {}, edition="e1")))
    assert provenance.read_manifest(path)["edition"] == "e1"
    path.write_text(json.dumps({"schema": 0}))
    assert provenance.read_manifest(path) == {}
    assert provenance.read_manifest(tmp_path / "absent.json") == {}
