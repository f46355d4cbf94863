"""Jobs that carry their files, run on a real Dask scheduler with two worker processes and on an
in-process LocalCluster; the results match a build on the local pool."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from run_fixtures import (
    COMPANY,
    FIXTURES,
    OK,
    PERIOD,
    copy_data,
    fake_assemble,
    fake_pdf,
    python_says,
)

from earnings_brief import blocks, build, executors, pipeline, provenance, universe
from earnings_brief.dataset import default_data_dir
from earnings_brief.errors import ParameterError

DASK = Path(sys.executable).with_name("dask")
REAL_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


# A notebook that says whether its kernel started with the stack imported (a forked kernel).
PROBE = json.dumps({
    "cells": [{
        "cell_type": "code", "execution_count": None, "id": "probe", "metadata": {},
        "outputs": [],
        "source": "import json, sys\nprint(json.dumps({'imported': 'pandas' in sys.modules}))",
    }],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4, "nbformat_minor": 5,
})  # fmt: skip


def task(**extra) -> executors.NotebookTask:
    data = FIXTURES / "data"
    fields = {
        "name": "revenue",
        "source": OK.read_text(),
        "parameters": {"company": COMPANY, "period": PERIOD, "data_dir": "/nowhere/on/worker"},
        "files": executors.dataset_payload(data, COMPANY, PERIOD),
        "expect": executors.worker_versions(),
    }
    return executors.NotebookTask(**{**fields, **extra})


def test_a_job_writes_its_own_dataset_and_returns_the_executed_notebook():
    result = executors.run_notebook(task())
    assert result.outcome.status == "executed", result.outcome.error
    assert result.worker == "local" and result.versions == executors.worker_versions()
    nb = json.loads(result.notebook)
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    injected = nb["cells"][next(i for i, t in enumerate(tags) if "injected-parameters" in t)]
    assert "/nowhere/on/worker" not in "".join(injected["source"])  # the worker's own copy
    shown = json.dumps([c.get("outputs") for c in nb["cells"]])
    assert f"{COMPANY} {PERIOD} en" in shown


def test_a_worker_with_other_versions_refuses_before_starting_a_kernel():
    expect = {**executors.worker_versions(), "seaborn": "0.0.1"}
    started = time.monotonic()
    result = executors.run_notebook(task(expect=expect))
    assert time.monotonic() - started < 5
    assert result.outcome.status == "failed" and result.notebook == ""
    assert "seaborn" in result.outcome.error and "(build host 0.0.1)" in result.outcome.error


def test_job_files_cannot_leave_the_job_folder(tmp_path):
    with pytest.raises(ValueError, match="outside its folder"):
        executors.write_files(tmp_path / "data", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists()


def test_dask_needs_a_scheduler_address(monkeypatch):
    monkeypatch.delenv(executors.SCHEDULER_ENV, raising=False)
    with pytest.raises(ParameterError, match="--scheduler"):
        executors.scheduler_address(None)
    monkeypatch.setenv(executors.SCHEDULER_ENV, "tcp://10.0.0.1:8786")
    assert executors.scheduler_address(None) == "tcp://10.0.0.1:8786"
    assert executors.scheduler_address("tcp://h:1") == "tcp://h:1"


def _started_at(seconds: float) -> float:
    started = time.monotonic()  # one clock for the pool's forked workers and this process
    time.sleep(seconds)
    return started


@dataclass(frozen=True)
class _Notebook:
    """What the pool reads of a notebook job: its brief's rank (and how long it takes here)."""

    seconds: float
    rank: int = 0


def _notebook_stand_in(task: _Notebook) -> float:
    return _started_at(task.seconds)


def test_the_local_pool_runs_assembly_and_pdf_jobs_before_waiting_notebooks(monkeypatch):
    monkeypatch.setattr(executors, "run_notebook", _notebook_stand_in)  # how it tells them
    backend = executors.LocalBackend(1)
    try:
        busy = backend.submit(_started_at, 1.0)  # the only worker
        notebooks = [backend.submit(executors.run_notebook, _Notebook(0.1)) for _ in range(3)]
        pdf = backend.submit(_started_at, 0.1)
        started = [f.result(timeout=60) for f in (busy, *notebooks, pdf)]
    finally:
        backend.close()
    assert started[0] < started[4] < min(started[1:4])
    assert started[1] < started[2] < started[3]  # notebooks in the order they came


def test_notebooks_start_by_their_brief_rank_then_in_the_order_they_came(monkeypatch):
    monkeypatch.setattr(executors, "run_notebook", _notebook_stand_in)
    backend = executors.LocalBackend(1)
    try:
        busy = backend.submit(_started_at, 1.0)
        ranks = [2, 0, 1, 0, 2]
        notebooks = [backend.submit(executors.run_notebook, _Notebook(0.05, r)) for r in ranks]
        started = [f.result(timeout=60) for f in notebooks]
        busy.result(timeout=60)
    finally:
        backend.close()
    order = sorted(range(len(ranks)), key=lambda i: started[i])
    assert order == [1, 3, 2, 0, 4]


def test_a_universe_ranks_each_notebook_job_by_its_brief(tmp_path):
    backend = Recording()
    shipping = executors.Shipping(backend, expect={})
    shipping.rank([("b", "FY2024"), ("a", "FY2024")])
    for company in ("a", "b", "c"):
        job = pipeline.Job(company, str(OK), str(tmp_path / company / "revenue.ipynb"),
                           {"company": company, "period": "FY2024"}, "", "")  # fmt: skip
        shipping.submit(pipeline.execute, job)
    assert [task.rank for _fn, (task,) in backend.jobs] == [1, 0, 2]


class Recording:
    """A backend that keeps what it is given and runs nothing."""

    cancel_event = ""

    def __init__(self) -> None:
        self.jobs = []

    def submit(self, fn, *args):
        self.jobs.append((fn, args))
        return Future()


@contextmanager
def in_process_cluster():
    """A one-worker LocalCluster in this process, its client, and the executor over it."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client, executors.Shipping(executors.DaskBackend(client))


def test_in_process_local_cluster_builds_and_records_its_worker(tmp_path):
    data = copy_data(tmp_path / "data")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("revenue", "segments", "infrastructure", "auto"):
        shutil.copy(OK, notebooks / f"{name}.ipynb")
    options = build.BuildOptions(data_dir=data, out=tmp_path / "out", notebooks_dir=notebooks)
    with in_process_cluster() as (client, shared):
        outcomes = universe.build_all(
            options, [(COMPANY, PERIOD)], shared, lambda _: None,
            assemble=fake_assemble, render_pdf=fake_pdf,
        )  # fmt: skip
        workers = set(client.scheduler_info()["workers"])
    assert [o.status for o in outcomes] == ["built"], outcomes
    manifest = json.loads((tmp_path / "out" / COMPANY / PERIOD / "manifest.json").read_text())
    assert {nb["worker"] for nb in manifest["notebooks"].values()} <= workers


def test_interrupt_kills_the_kernels_running_on_dask_workers(tmp_path):
    import threading

    from run_fixtures import make_notebooks, set_default

    data = copy_data(tmp_path / "data")
    notebooks = make_notebooks(tmp_path / "notebooks")
    set_default(notebooks / "revenue.ipynb", "delay", 120.0)
    options = build.BuildOptions(data_dir=data, out=tmp_path / "out", notebooks_dir=notebooks)
    with in_process_cluster() as (client, shared):
        timer = threading.Timer(10.0, shared.interrupt)
        timer.start()
        started = time.monotonic()
        try:
            outcomes = universe.build_all(
                options, [(COMPANY, PERIOD)], shared, lambda _: None,
                assemble=fake_assemble, render_pdf=fake_pdf,
            )  # fmt: skip
        finally:
            timer.cancel()
        assert [o.status for o in outcomes] == ["interrupted"]
        # The sleeping notebook's kernel was killed: its task ends long before its 120 s.
        while any(client.processing().values()) and time.monotonic() - started < 60:
            time.sleep(0.5)
        assert not any(client.processing().values())
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out" / COMPANY / PERIOD / "brief.html").exists()


# --- a real scheduler and two worker processes ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# As docs/cluster.md starts the scheduler: a job lost with its worker runs once more.
ONCE_MORE = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}


def _start(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    log = open(cwd / "process.log", "wb")  # noqa: SIM115  closed with the process
    return subprocess.Popen(
        command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def scheduler(tmp_path):
    """`dask scheduler` and two `dask worker`s, each in a folder of its own; always stopped."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    processes = []
    try:
        (tmp_path / "scheduler").mkdir()
        processes.append(
            _start(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":")[-1],
                 "--no-dashboard"],
                tmp_path / "scheduler",
                ONCE_MORE,
            )
        )  # fmt: skip
        for n in (1, 2):
            folder = tmp_path / f"worker{n}"
            folder.mkdir()
            processes.append(
                _start(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard",
                     "--local-directory", str(folder), "--preload", "earnings_brief.worker"],
                    folder,
                )
            )  # fmt: skip
        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)


def _comparable(html: str) -> str:
    """The brief without what differs by run: the run table, edition ids, timestamps."""
    html = re.sub(r'<figure[^>]*id="appendix-run-table".*?</figure>', "", html, flags=re.S)
    html = re.sub(r"\d{8}T\d{6}\.\d{3}Z", "EDITION", html)
    return re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", "TIME", html)


def test_real_scheduler_and_two_workers_build_what_the_local_pool_builds(
    tmp_path, scheduler, capfd
):
    data = tmp_path / "data"
    shutil.copytree(default_data_dir() / "sensetime", data / "sensetime")
    copy_data(tmp_path / "fixture")
    shutil.copytree(tmp_path / "fixture" / COMPANY, data / COMPANY)
    briefs = [("sensetime", "FY2024"), (COMPANY, PERIOD)]
    results = {}
    for kind in ("dask", "local"):
        out = tmp_path / f"out-{kind}"
        options = build.BuildOptions(data_dir=data, out=out, notebooks_dir=REAL_NOTEBOOKS)
        with executors.open_executor(kind, scheduler=scheduler, workers=2) as shared:
            outcomes = universe.build_all(options, briefs, shared, lambda _: None)
        assert [o.status for o in outcomes] == ["built", "built"], outcomes
        results[kind] = out
    console = capfd.readouterr()
    assert "distributed" not in console.out + console.err  # Dask's messages: the run's log
    from distributed import Client

    probe = task(name="probe", source=PROBE, parameters={}, files={})
    with Client(scheduler, timeout="30s", set_as_default=False) as client:
        servers = client.run(lambda: executors.kernels.current() is not None)
        probed = client.submit(executors.run_notebook, probe, pure=False).result()
    assert list(servers.values()) == [True, True]
    (said,) = json.loads(probed.notebook)["cells"][0]["outputs"]
    assert json.loads("".join(said["text"])) == {"imported": True}  # forked from its server

    for company, period in briefs:
        remote, local = briefs_of = [results[k] / company / period for k in ("dask", "local")]
        manifest = json.loads((remote / "manifest.json").read_text())
        workers = {nb["worker"] for nb in manifest["notebooks"].values()}
        assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
        assert {nb["versions"]["pandas"] for nb in manifest["notebooks"].values()} == {
            provenance.package_versions()["pandas"]
        }
        for name in ("revenue", "segments", "infrastructure", "auto"):
            nbs = [json.loads((d / "notebooks" / f"{name}.ipynb").read_text()) for d in briefs_of]
            data = [[b for b in blocks.read_blocks(nb) if b.type == "data"] for nb in nbs]
            assert data[0] == data[1] and data[0]  # the same derived figures on either executor
        assert _comparable((remote / "brief.html").read_text()) == _comparable(
            (local / "brief.html").read_text()
        )
        assert (remote / "brief.pdf").read_bytes().startswith(b"%PDF")


def _the_one_job_left(client, out: Path, timeout: float = 120) -> tuple[str, str]:
    """(key, worker) of the only job still running once the brief's other three are done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list(out.glob(f"{COMPANY}/{PERIOD}/runs/*/run.log"))
        done = bool(logs) and logs[0].read_text().count(": done in") == 3
        busy = [(key, worker) for worker, keys in client.processing().items() for key in keys]
        if done and len(busy) == 1:
            return busy[0]
        time.sleep(0.2)
    raise AssertionError("the slow notebook never ran alone")


def test_a_notebook_lost_with_its_worker_runs_once_more_and_the_brief_is_built(tmp_path, scheduler):
    import threading

    from distributed import Client
    from run_fixtures import make_notebooks

    data = copy_data(tmp_path / "data")
    notebooks = make_notebooks(tmp_path / "notebooks", delay=20.0)  # revenue.ipynb sleeps
    out = tmp_path / "out"
    options = build.BuildOptions(data_dir=data, out=out, notebooks_dir=notebooks)
    results = []
    with (
        Client(scheduler, timeout="30s", set_as_default=False) as client,
        executors.open_executor("dask", scheduler=scheduler) as shared,
    ):
        building = threading.Thread(
            target=lambda: results.append(universe.build_all(
                options, [(COMPANY, PERIOD)], shared, lambda _: None,
                assemble=fake_assemble, render_pdf=fake_pdf,
            ))
        )  # fmt: skip
        building.start()
        key, worker = _the_one_job_left(client, out)
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)  # the worker process, mid-notebook
        building.join(180)
        states = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.story(key))
    assert [o.status for o in results[0]] == ["built"], results
    manifest = json.loads((out / COMPANY / PERIOD / "manifest.json").read_text())
    assert manifest["notebooks"]["revenue"]["status"] == "executed"
    assert manifest["notebooks"]["revenue"]["worker"] != worker
    assert [t[2] for t in states if t[0] == key].count("processing") == 2  # once more, only


def test_dask_messages_go_to_the_current_run_log_only(tmp_path):
    import logging

    first, second = tmp_path / "first.log", tmp_path / "second.log"
    executors._route_dask_logs(first)
    executors._route_dask_logs(second)
    logging.getLogger("distributed.client").warning("scheduler gone")
    ours = [h for h in logging.getLogger("distributed").handlers if getattr(h, "earnings_brief", 0)]
    assert len(ours) == 1
    assert "scheduler gone" in second.read_text() and "scheduler gone" not in first.read_text()
    executors._route_dask_logs(None)  # leave the loggers quiet for the tests after this one


def test_an_assembly_job_reads_the_dataset_in_its_edition_language(monkeypatch):
    """A Chinese edition assembled on a worker (build --all, Dask) tells the facts in Chinese, as
    a build on one machine does: the outlook of Horizon's zh-Hant brief was in English."""
    import earnings_brief.assemble as assemble

    seen = {}
    monkeypatch.setattr(assemble, "assemble_html", lambda _nbs, ds, *_a: seen.setdefault("ds", ds))
    data = default_data_dir()
    for language in ("en", "zh-Hant"):
        files = executors.dataset_payload(data, "horizon_robotics", "FY2024")
        job = executors.AssemblyTask(
            "horizon_robotics", "FY2024", files, {}, {}, {}, None, language
        )
        seen.clear()
        executors.run_assembly(job)
        texts = seen["ds"].facts.set_index("id")["text"]
        chinese = language == "zh-Hant"
        assert texts["rd_priority"].startswith("公司在仍錄得經調整虧損") is chinese


def test_the_local_pool_workers_start_with_what_assembly_jobs_read_data_with():
    """Imported once before the workers are forked, not by each worker's first assembly job."""
    code = (
        "import sys\n"
        "def imported(name):\n"
        "    return name in sys.modules\n"
        "from earnings_brief import executors\n"
        "assert 'pandas' not in sys.modules\n"
        "backend = executors.LocalBackend(1)\n"
        "print(backend.submit(imported, 'pandas').result(timeout=60))\n"
        "backend.close()\n"
    )
    assert python_says(code) == ["True"]
