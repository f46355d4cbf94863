import json
import os
import pickle
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import nbformat
import papermill.engines
import papermill.execute
import pytest
from papermill.engines import papermill_engines
from run_fixtures import FAIL, OK, set_default

from earnings_brief import pipeline, provenance

VERSIONS = {"python": "3", "papermill": "1"}


def jobs(tmp_path, notebooks, **options):
    found = provenance.brief_inputs(notebooks, [], {"company": "acme"}, versions=VERSIONS)
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


def _count_writes(monkeypatch) -> list[str]:
    """The notebook writes of papermill's engines (its per-cell saves) and of its last step."""
    written = []
    for module in (papermill.engines, papermill.execute):
        original = module.write_ipynb

        def write(nb, path, original=original, module=module):
            written.append((module.__name__.rsplit(".", 1)[1], path))
            original(nb, path)

        monkeypatch.setattr(module, "write_ipynb", write)
    return written


def test_the_executed_notebook_is_written_at_its_start_and_end_not_around_each_cell(
    tmp_path, monkeypatch
):
    written = _count_writes(monkeypatch)
    (job,) = jobs(tmp_path, {"revenue": OK})
    assert pipeline.execute(job).status == "executed"
    executed = nbformat.read(job.output, as_version=4)
    assert len(executed.cells) >= 3
    # papermill alone: twice per cell, and twice at the end
    assert written == [("engines", job.output), ("execute", job.output)]
    assert all(c.metadata.papermill["status"] == "completed" for c in executed.cells)
    assert executed.metadata.papermill["duration"] > 0


def test_a_long_notebook_is_still_written_between_cells_every_autosave_interval(
    tmp_path, monkeypatch
):
    written = _count_writes(monkeypatch)
    engine = papermill_engines.get_engine(pipeline.sparse_saves_engine())
    cells = [nbformat.v4.new_code_cell(str(i)) for i in range(3)]
    manager = None

    def run_cells(nb_man, kernel_name, **kwargs):
        nonlocal manager
        manager = nb_man
        for i, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, i)
            if i == 1:  # this cell ran past the autosave interval
                nb_man.last_save_time -= timedelta(seconds=nb_man.autosave_cell_every + 1)
            nb_man.cell_complete(cell, i)

    monkeypatch.setattr(engine, "execute_managed_notebook", run_cells)
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"papermill": {}})
    engine.execute_notebook(nb, "python3", output_path=str(tmp_path / "long.ipynb"),
                            progress_bar=False)  # fmt: skip
    assert manager.autosave_cell_every == 30
    assert len(written) == 2  # the start, after the long cell (papermill writes the end)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own niceness")
def test_what_the_build_needs_after_the_notebooks_is_imported_meanwhile_at_low_priority(
    tmp_path, monkeypatch
):
    (tmp_path / "needed_later.py").write_text(
        "import os, threading\n"
        "niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(pipeline, "AFTER_NOTEBOOKS", ("needed_later",))
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    pipeline._import_meanwhile()
    deadline = time.monotonic() + 30
    while "needed_later" not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.05)
    needed = sys.modules.pop("needed_later")
    assert needed.niceness == min(ours + pipeline.MEANWHILE_NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == ours  # the build's own
