import json
import pickle
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from run_fixtures import FAIL, OK, set_default

from earnings_brief import pipeline
from earnings_brief.errors import ParameterError

VERSIONS = {"python": "3", "papermill": "1"}


def inputs(notebooks, data, params=None, **kw):
    return pipeline.brief_inputs(notebooks, [data], params or {}, versions=VERSIONS, **kw)


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
    assert pipeline.declared_parameters(OK) == [
        "company",
        "period",
        "data_dir",
        "language",
        "delay",
    ]
    assert pipeline.declared_parameters(FAIL) == ["company", "period"]


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

    bumped = pipeline.brief_inputs(nb, [data], {}, versions={**VERSIONS, "papermill": "2"})
    assert bumped.brief_hash != inputs(nb, data).brief_hash


def test_a_change_in_the_package_changes_every_hash(brief, tmp_path):
    nb, data = brief
    package = tmp_path / "pkg"
    shutil.copytree(pipeline.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
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
    recorded = pipeline.manifest(found, {})
    assert pipeline.stale(found, recorded, executed) == ["segments"]
    (executed / "segments.ipynb").write_text("{}")
    assert pipeline.stale(found, recorded, executed) == []
    assert pipeline.stale(found, {}, executed) == ["revenue", "segments"]


def test_manifest_round_trips_and_rejects_other_schemas(brief, tmp_path):
    nb, data = brief
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(pipeline.manifest(inputs(nb, data), {}, edition="e1")))
    assert pipeline.read_manifest(path)["edition"] == "e1"
    path.write_text(json.dumps({"schema": 0}))
    assert pipeline.read_manifest(path) == {}
    assert pipeline.read_manifest(tmp_path / "absent.json") == {}


def jobs(tmp_path, notebooks, **options):
    found = pipeline.brief_inputs(notebooks, [], {"company": "acme"}, versions=VERSIONS)
    return pipeline.jobs_for(found, list(notebooks), tmp_path / "run", cwd=tmp_path, **options)


def test_jobs_are_plain_picklable_data(tmp_path):
    (job,) = jobs(tmp_path, {"revenue": OK})
    assert pickle.loads(pickle.dumps(job)) == job
    assert job.output == str(tmp_path / "run" / "revenue.ipynb")


def test_local_pool_runs_notebooks_and_reports_a_failure_by_notebook_and_cell(tmp_path):
    events = []
    outcomes = pipeline.run(
        jobs(tmp_path, {"revenue": OK, "segments": FAIL}),
        slots=2,
        on_event=lambda kind, job, _o: events.append((kind, job.name)),
        log_path=tmp_path / "run.log",
    )
    ok, failed = outcomes
    assert ok.status == "executed" and ok.error == ""
    assert failed.status == "failed"
    assert failed.error == "segments.ipynb failed at cell In [4]: ValueError: bad figure for acme"
    kept = json.loads((tmp_path / "run" / "segments.ipynb").read_text())
    assert any("papermill-error-cell-tag" in c["metadata"].get("tags", []) for c in kept["cells"])
    assert events.index(("start", "revenue")) < events.index(("done", "revenue"))
    assert ("failed", "segments") in events
    # Kernel warnings went to the run's log, not the console.
    assert (tmp_path / "run.log").exists()


def test_any_executor_can_run_the_jobs(tmp_path):
    with ThreadPoolExecutor(1) as executor:
        (outcome,) = pipeline.run(jobs(tmp_path, {"revenue": OK}), executor)
        assert executor.submit(lambda: "still usable").result() == "still usable"
    assert outcome.status == "executed"
    executed = json.loads((tmp_path / "run" / "revenue.ipynb").read_text())
    assert "<p class='eb-text'>acme FY2024 en</p>" in json.dumps(executed)


def test_no_job_starts_after_a_failure(tmp_path):
    started = []
    with ThreadPoolExecutor(1) as executor:
        outcomes = pipeline.run(
            jobs(tmp_path, {"segments": FAIL, "revenue": OK}), executor, slots=1,
            on_event=lambda kind, job, _o: started.append(job.name) if kind == "start" else None,
        )  # fmt: skip
    assert started == ["segments"]
    assert [o.name for o in outcomes] == ["segments"]


def test_a_cell_that_runs_too_long_times_out(tmp_path):
    nb = tmp_path / "slow.ipynb"
    shutil.copy(OK, nb)
    set_default(nb, "delay", 30.0)
    (job,) = jobs(tmp_path, {"revenue": nb}, timeout=2)
    outcome = pipeline.execute(job)
    assert outcome.status == "failed"
    assert outcome.error.startswith("revenue.ipynb timed out at cell In [")
    assert outcome.error.endswith("after 2 s")


def test_only_kernel_start_failures_are_retried(tmp_path):
    (job,) = jobs(tmp_path, {"revenue": OK}, retries=1, kernel_name="no-such-kernel")
    outcome = pipeline.execute(job)
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error.startswith("revenue.ipynb: kernel did not start")

    (job,) = jobs(tmp_path, {"segments": FAIL}, retries=2)
    outcome = pipeline.execute(job)
    assert outcome.status == "failed" and outcome.attempts == 1


def test_kernels_use_ipc_sockets_with_a_path_each(tmp_path):
    """Parallel kernels over TCP could pick the same port ("Address already in use")."""
    manager = pipeline.ipc_kernel_manager(str(tmp_path))
    first, second = manager(), manager()
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip
    assert all(m.ip.startswith(str(tmp_path)) for m in (first, second))
    assert all(Path(m.connection_file).parent == tmp_path for m in (first, second))


def _kernel_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_kernel_files_live_in_the_run_folder_and_are_removed(tmp_path, monkeypatch):
    """The connection file holds the kernel's HMAC key: never in the shared temporary folder."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    nb = tmp_path / "slow.ipynb"
    shutil.copy(OK, nb)
    set_default(nb, "delay", 3.0)
    (job,) = jobs(tmp_path, {"revenue": nb})
    kernels = pipeline.kernel_dir(job.output)
    seen: list[str] = []
    with ThreadPoolExecutor(1) as caller, ThreadPoolExecutor(1) as worker:
        future = caller.submit(pipeline.run, [job], worker)
        while not future.done():
            seen = _kernel_files(kernels) or seen
            time.sleep(0.1)
    assert future.result()[0].status == "executed"
    assert any(n.startswith("kernel-") and n.endswith(".json") for n in seen), seen
    assert sum(n.startswith("k-") for n in seen) == 5, seen  # shell, iopub, stdin, control, hb
    assert not kernels.exists() and list(private_tmp.iterdir()) == []


def test_a_long_run_folder_gets_a_short_socket_link_that_goes_with_it(tmp_path):
    deep = tmp_path / ("deep-" * 20)
    deep.mkdir()
    (job,) = jobs(deep, {"revenue": OK})
    kernels = pipeline.kernel_dir(job.output)
    base = pipeline.socket_base(kernels)
    assert base != kernels and len(str(base)) + 21 <= pipeline.SOCKET_PATH_MAX
    assert pipeline.execute(job).status == "executed"  # the kernel bound its sockets
    pipeline.remove_kernel_dir(kernels)
    assert not base.is_symlink() and not kernels.exists()


def test_the_next_run_removes_what_a_killed_run_left(tmp_path):
    runs = tmp_path / ("runs-" * 20)
    left = [runs / run_id / pipeline.KERNELS for run_id in ("20250101T000000.00Z", "x")]
    for folder in left:
        base = pipeline.open_kernel_dir(folder)
        (folder / "kernel-0123.json").write_text('{"key": "secret"}')
    assert base.is_symlink()
    assert pipeline.clean_kernels(runs) == sorted(left)
    assert not any(f.exists() for f in left) and not base.is_symlink()
