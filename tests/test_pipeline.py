import json
import os
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
    import nbformat

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


def test_the_engine_writes_the_output_notebook_when_the_run_starts_and_ends_only(
    tmp_path, monkeypatch
):
    """papermill's engine would also write it before and after every cell (up to 1 MB each)."""
    import papermill.engines

    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(
        papermill.engines, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path)
    )
    (job,) = jobs(tmp_path, {"revenue": OK})
    assert pipeline.execute(job).status == "executed"
    cells = json.loads(Path(job.output).read_text())["cells"]
    assert len(cells) > 3 and writes == [job.output, job.output]
