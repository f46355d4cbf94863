import json
import os
import pickle
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import papermill.engines
import papermill.execute
import pytest
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


def test_a_kernel_keeps_no_history_and_is_gone_when_its_notebook_is_done(tmp_path):
    """A kernel runs one notebook and is thrown away: nothing written to the shared IPython
    history file, and no process left behind."""
    nb = tmp_path / "probe.ipynb"
    probe = "import os\nprint(get_ipython().history_manager.enabled, os.getpid())"
    spec = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    cells = [nbformat.v4.new_code_cell(probe)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=spec), nb)
    (job,) = jobs(tmp_path, {"revenue": nb})
    assert pipeline.execute(job).status == "executed"
    executed = nbformat.read(job.output, as_version=4)
    enabled, pid = executed.cells[0].outputs[0]["text"].split()
    assert enabled == "False"
    assert not os.path.exists(f"/proc/{pid}")


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
    # the run's start, then papermill's last step (alone: twice per cell, and twice at the end)
    assert written == [("engines", job.output), ("execute", job.output)]
    assert all(c.metadata.papermill["status"] == "completed" for c in executed.cells)
    assert executed.metadata.papermill["duration"] > 0


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
