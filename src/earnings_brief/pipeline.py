"""Run the brief's notebooks with papermill, in parallel; ``provenance`` says which need to.

Execution goes through any ``concurrent.futures.Executor``: a job is plain picklable data and
``execute`` a module-level function, so a distributed executor (Dask's, say) can run it as is.
The default is a local process pool forked after papermill is imported, so no worker pays the
seconds that importing nbformat costs in an environment with jupyter-server installed; its
workers take their kernels from the build's fork server (``kernels``).
A thread pool is not safe: papermill changes the working directory of the whole process.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import kernels
from .errors import BriefError, storage_failure
from .provenance import PACKAGE_DIR, Inputs

NOTEBOOKS_DIR = PACKAGE_DIR.parents[1] / "notebooks"
DEFAULT_TIMEOUT = 300.0
# A kernel runs one notebook and is thrown away, so it keeps no IPython history (a shared
# SQLite file that parallel kernels would take turns to lock) and is killed once its last cell
# has answered, rather than asked to shut down and waited for (nearly 1 s per notebook).
KERNEL_OPTIONS = {
    "extra_arguments": ["--HistoryManager.enabled=False"],
    "shutdown_kernel": "immediate",
}


class NotebookError(BriefError):
    """A notebook raised, timed out or its kernel did not start."""

    exit_code = 3


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to execute one notebook: absolute paths and plain values."""

    name: str
    notebook: str
    output: str
    parameters: dict
    cwd: str
    input_hash: str
    timeout: float = DEFAULT_TIMEOUT
    retries: int = 0
    kernel_name: str | None = None


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # "executed" | "failed"
    seconds: float
    output: str
    error: str = ""
    attempts: int = 1
    errno: int = 0  # set when the machine refused a write (a full disk), not the notebook


def jobs_for(
    inputs: Inputs, names: Iterable[str], run_dir: Path, *, cwd: Path, **options
) -> list[Job]:
    return [
        Job(
            name=name,
            notebook=str(Path(inputs.notebooks[name]["notebook"]).resolve()),
            output=str((Path(run_dir) / f"{name}.ipynb").resolve()),
            parameters=inputs.notebooks[name]["parameters"],
            cwd=str(Path(cwd).resolve()),
            input_hash=inputs.notebooks[name]["hash"],
            **options,
        )
        for name in names
    ]


def run(
    jobs: list[Job],
    executor: Executor | None = None,
    *,
    slots: int | None = None,
    on_event: Callable[[str, Job, Outcome | None], None] | None = None,
    log_path: Path | None = None,
) -> list[Outcome]:
    """Execute ``jobs``, at most ``slots`` at a time, and return their outcomes in job order.

    Events are ("start", job, None), ("done", job, outcome) and ("failed", job, outcome). After a
    failure no further job starts. On an interrupt, waiting jobs are cancelled and, for the local
    pool, the workers are stopped (their kernels follow them at once).
    """
    notify = on_event or (lambda *_: None)
    owned = executor is None
    if owned:
        slots = min(slots or os.cpu_count() or 1, len(jobs)) or 1
        executor = local_executor(slots, log_path=log_path)
    slots = slots or len(jobs) or 1
    waiting, running, outcomes, warmed = list(jobs), {}, {}, False
    try:
        while waiting or running:
            while waiting and len(running) < slots and not _failed(outcomes):
                job = waiting.pop(0)
                notify("start", job, None)
                running[executor.submit(execute, job)] = job
            if not running:
                break
            if owned and not warmed:  # the pool has forked its workers by its first submit
                warmed = _import_meanwhile()
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                outcomes[job.name] = _outcome(future, job)
                notify(
                    "done" if outcomes[job.name].status == "executed" else "failed",
                    job,
                    outcomes[job.name],
                )
    except BaseException:
        _stop(running, owned)
        raise
    finally:
        if owned:
            executor.shutdown(wait=True, cancel_futures=True)
        for folder in sorted({kernels.kernel_dir(j.output) for j in jobs}):
            kernels.remove_kernel_dir(folder)
    return [outcomes[j.name] for j in jobs if j.name in outcomes]


# What the build imports once its notebooks have run, to assemble the brief and render its PDF.
AFTER_NOTEBOOKS = ("nbconvert", "earnings_brief.assemble", "weasyprint")


def _import_meanwhile() -> bool:
    """Import ``AFTER_NOTEBOOKS`` in a thread: the build idles while its pool runs the notebooks,
    and would import them afterwards (about 1.5 s). Only once the pool's workers exist, since a
    fork in the middle of an import could leave the child a held import lock."""

    def load() -> None:
        for name in AFTER_NOTEBOOKS:
            with contextlib.suppress(ImportError, OSError):  # the PDF step reports it itself
                importlib.import_module(name)

    threading.Thread(target=load, name="imports meanwhile", daemon=True).start()
    return True


def _failed(outcomes: dict[str, Outcome]) -> bool:
    return any(o.status == "failed" for o in outcomes.values())


def _outcome(future: Future, job: Job) -> Outcome:
    try:
        return future.result()
    except Exception as err:  # the worker itself died (BrokenProcessPool) or could not pickle
        return Outcome(job.name, "failed", 0.0, job.output, f"{job.name}.ipynb: {_one_line(err)}")


def _stop(running: dict[Future, Job], owned: bool) -> None:
    for future in running:
        future.cancel()
    if owned:
        import multiprocessing

        for child in multiprocessing.active_children():
            child.terminate()


def local_executor(workers: int, *, log_path: Path | None = None) -> Executor:
    """A process pool forked after papermill and nbformat are imported, and after this process's
    kernel server has started, which its workers inherit (Linux); else spawned, kernels started
    by Popen. Shutting it down stops the server."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import papermill  # noqa: F401  imported once here, inherited by every forked worker

    class Pool(ProcessPoolExecutor):
        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            super().shutdown(wait, cancel_futures=cancel_futures)
            kernels.stop()  # and the kernels it forked, if a worker left one

    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    if fork:  # the workers, forked after it starts, ask it for their kernels
        kernels.ensure(log_path)
    return Pool(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork" if fork else None),
        initializer=_init_worker,
        initargs=(str(log_path) if log_path else None,),
    )


def _init_worker(log_path: str | None) -> None:
    from . import lock

    lock.close_inherited()
    _exit_with_parent()
    # Ctrl-C reaches the whole process group; the parent decides. Kernels see their parent go.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(128 + signal.SIGTERM))
    if log_path:
        # Kernel warnings and papermill's messages go to the run's log, not the console.
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)


def _exit_with_parent() -> None:
    """Ask Linux to send SIGTERM to this worker when the build process dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def execute(job: Job, *, kernel_manager_class: type | None = None) -> Outcome:
    """Run one notebook with papermill (in a worker). Never raises for a notebook's own errors.

    An empty ``job.cwd`` leaves the process's working directory alone (papermill would change
    it for the whole process), for a ``kernel_manager_class`` that starts the kernel elsewhere.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    started = time.perf_counter()
    folder = kernels.kernel_dir(job.output)
    kernels.open_kernel_dir(folder)
    manager = kernel_manager_class or kernels.ipc_kernel_manager(str(folder))
    for attempt in range(1, job.retries + 2):
        try:
            papermill.execute_notebook(
                job.notebook,
                job.output,
                parameters=job.parameters,
                cwd=job.cwd or None,
                kernel_name=job.kernel_name,
                progress_bar=False,
                log_output=False,
                execution_timeout=job.timeout,
                kernel_manager_class=manager,
                engine_name=ENGINE,
                **KERNEL_OPTIONS,
            )
            return _finished(job, "executed", started, attempts=attempt)
        except PapermillExecutionError as err:
            error = f"{job.name}.ipynb failed at cell In [{err.exec_count}]: {err.ename}: "
            return _finished(job, "failed", started, error + _first_line(err.evalue), attempt)
        except Exception as err:
            cell = _last_started_cell(job.output)
            # Retry only a kernel that never ran a cell: re-running cells could repeat effects.
            if cell is None and attempt <= job.retries:
                continue
            failed = _finished(job, "failed", started, _describe(job, err, cell), attempt)
            return replace(failed, errno=_storage_errno(err))
    raise AssertionError("unreachable")


ENGINE = "earnings-brief"


@functools.cache
def _register_engine() -> None:
    """papermill's nbclient engine, saving the output notebook when the run ends rather than
    before and after every cell as well (some 30 writes of up to 1 MB per notebook). Whether the
    run ends well or not, the last save has every cell's state, which ``_last_started_cell``
    reads."""
    from papermill.engines import NBClientEngine, papermill_engines

    class SaveAtEnd(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            nb_man.save = lambda **_: None  # shadows the method for this run's cells only
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            finally:
                del nb_man.save  # the engine's own ending saves, through the method again

    papermill_engines.register(ENGINE, SaveAtEnd)


def _finished(job: Job, status: str, started: float, error: str = "", attempts: int = 1):
    return Outcome(
        job.name, status, round(time.perf_counter() - started, 2), job.output, error, attempts
    )


def _describe(job: Job, err: Exception, cell: int | None) -> str:
    if cell is None:
        return f"{job.name}.ipynb: kernel did not start: {_one_line(err)}"
    if isinstance(err, TimeoutError):
        return f"{job.name}.ipynb timed out at cell In [{cell}] after {job.timeout:g} s"
    return f"{job.name}.ipynb failed at cell In [{cell}]: {_one_line(err)}"


def _storage_errno(err: BaseException) -> int:
    failure = storage_failure(err)
    return failure.errno if failure else 0


def _last_started_cell(output: str) -> int | None:
    """Execution count (else position) of the last cell papermill started, or None if none did."""
    try:
        cells = json.loads(Path(output).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None
    started = [
        (i, c) for i, c in enumerate(cells, 1)
        if c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]  # fmt: skip
    if not started:
        return None
    index, cell = started[-1]
    return cell.get("execution_count") or index


def _one_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {_first_line(str(err))}".rstrip(": ")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def outcome_record(outcome: Outcome) -> dict:
    """What the manifest keeps of an outcome."""
    record = asdict(outcome)
    record.pop("name")
    record["output"] = Path(outcome.output).name
    return record
