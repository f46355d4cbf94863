"""Where a build's jobs run: a local process pool or a Dask cluster, chosen by ``--executor``.

A job carries everything it needs as plain data (a notebook's source, its parameters, the
dataset's files as bytes) and returns what it made (the executed notebook, its kernel's log, the
worker's package versions), so a worker shares no filesystem with the build host: it writes the
dataset into a temporary folder of its own. ``Shipping`` is the ``concurrent.futures.Executor``
that ``build.build`` is given: it turns each ``pipeline.execute(job)`` into such a job, writes the
executed notebook where the build expects it and appends the kernel's log to the run's log; its
``assembler()`` and ``pdf_renderer()`` make a brief's assembly and PDF jobs too.

A worker whose package versions or package files differ from the build host's refuses to run:
its notebook would not be what the recorded input hash describes.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import os
import sys
import tempfile
import threading
import uuid
from concurrent.futures import CancelledError, Executor, Future, InvalidStateError
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import kernels, pipeline, provenance
from .errors import ParameterError

EXECUTORS = ("local", "dask")
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
RUN_LOG = "run.log"  # the name build.py gives a run's log, beside the executed notebooks
LOCAL = "local"


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute, self-contained: no path of the build host in it."""

    name: str
    source: str  # the notebook's JSON
    parameters: dict
    files: dict[str, bytes]  # the dataset's files by path under the data folder
    expect: dict[str, str]  # the build host's code hash and package versions
    timeout: float = pipeline.DEFAULT_TIMEOUT
    retries: int = 0
    kernel_name: str | None = None
    cancel_event: str = ""  # a Dask Event that, once set, stops this notebook's kernel
    rank: int = 0  # its brief's place in the build's order: lower ranks' notebooks start first


@dataclass(frozen=True)
class NotebookResult:
    outcome: pipeline.Outcome
    notebook: str  # the executed notebook's JSON, "" when none was written
    log: str
    worker: str
    versions: dict[str, str]


@dataclass(frozen=True)
class WorkerOutcome(pipeline.Outcome):
    """An outcome that also says which worker ran the notebook, with which versions."""

    worker: str = LOCAL
    versions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AssemblyTask:
    company: str
    period: str
    files: dict[str, bytes]
    notebooks: dict[str, str]  # executed notebooks' JSON by name
    parameters: dict
    meta: dict
    changes: list | None
    language: str


# --- on the worker ----------------------------------------------------------------------------


def worker_versions() -> dict[str, str]:
    """What must match the build host for a notebook's input hash to describe what ran."""
    return {"code_hash": provenance.code_hash(), **provenance.package_versions()}


def run_notebook(task: NotebookTask) -> NotebookResult:
    """Execute one notebook in a temporary folder of this worker; never raises for its errors."""
    versions = worker_versions()
    with tempfile.TemporaryDirectory(prefix="earnings-brief-") as tmp:
        root = Path(tmp)
        output, log = root / "out" / f"{task.name}.ipynb", root / "kernel.log"
        log.touch()
        mismatch = _mismatch(task.expect, versions)
        if mismatch:
            outcome = pipeline.Outcome(task.name, "failed", 0.0, str(output), mismatch)
        else:
            outcome = _execute(task, root, output, log)
        executed = output.read_text(encoding="utf-8") if output.is_file() else ""
        text = log.read_text(encoding="utf-8", errors="replace")
    return NotebookResult(outcome, executed, text, worker_name(), versions)


def _execute(task: NotebookTask, root: Path, output: Path, log: Path) -> pipeline.Outcome:
    data = write_files(root / "data", task.files)
    notebook = root / "notebooks" / f"{task.name}.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(task.source, encoding="utf-8")
    parameters = dict(task.parameters)
    if "data_dir" in parameters:
        parameters["data_dir"] = str(data)
    job = pipeline.Job(
        name=task.name, notebook=str(notebook), output=str(output), parameters=parameters,
        cwd="", input_hash="", timeout=task.timeout, retries=task.retries,
        kernel_name=task.kernel_name,
    )  # fmt: skip
    if worker_name() != LOCAL:
        kernels.ensure()  # this Dask worker's fork server, if its preload did not start it
    kernel = _KernelHandle()
    manager = _captured_kernel_manager(log, notebook.parent, kernel, kernels.kernel_dir(output))
    with _papermill_log(log), _cancel_watch(task.cancel_event, kernel):
        return contextvars.Context().run(_with_own_loop, job, manager)


def _with_own_loop(job: pipeline.Job, manager: type) -> pipeline.Outcome:
    """Run in an empty context (see the caller), and close the event loop papermill's kernel
    client made for it: jupyter_core keeps that loop in a context variable, so a job that
    inherited another thread's context (an in-process Dask worker) found that loop running,
    and a long-lived worker would keep one open loop per job."""
    try:
        return pipeline.execute(job, kernel_manager_class=manager)
    finally:
        with suppress(RuntimeError):
            asyncio.get_event_loop_policy().get_event_loop().close()
        asyncio.set_event_loop(None)


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    """Write a job's files under ``folder``, refusing names that would leave it."""
    folder = folder.resolve()
    for name, content in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise ValueError(f"job file outside its folder: {name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def worker_name() -> str:
    """The Dask worker's address, or "local" in the build host's own pool."""
    if "distributed" not in sys.modules:  # not imported: not a Dask worker
        return LOCAL
    from distributed import get_worker

    try:
        return get_worker().address
    except ValueError:
        return LOCAL


def _mismatch(expected: dict[str, str], found: dict[str, str]) -> str:
    differ = [k for k in expected if found.get(k) != expected[k]]
    if not differ:
        return ""
    where = worker_name()
    if "code_hash" in differ:
        what = "its earnings_brief package files differ from the build host's"
    else:
        what = ", ".join(f"{k} {found.get(k)} (build host {expected[k]})" for k in differ)
    return (
        f"worker {where} cannot run this notebook: {what}; install the build host's versions "
        "on every worker"
    )


class _KernelHandle:
    """The kernel process a notebook job started, so a cancel can stop it."""

    process = None


def _captured_kernel_manager(log: Path, cwd: Path, handle: _KernelHandle, folder: Path) -> type:
    """The pipeline's kernel manager, with the kernel's output in ``log`` and its cwd set here
    (papermill's own cwd option changes the directory of the whole worker process); its
    connection files and sockets live in ``folder``, the job's own."""
    base = kernels.ipc_kernel_manager(str(folder))

    class Captured(base):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with open(log, "ab") as sink:
                kw.update(stdout=sink, stderr=sink, cwd=str(cwd))
                await super()._async_launch_kernel(kernel_cmd, **kw)
            handle.process = getattr(self.provisioner, "process", None)

    return Captured


@contextmanager
def _papermill_log(log: Path):
    """papermill's warnings for this job (this thread only) into the job's log."""
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == thread)
    logger = logging.getLogger("papermill")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()


@contextmanager
def _cancel_watch(event_name: str, handle: _KernelHandle):
    """On a Dask worker: kill this job's kernel once the build sets its cancel event."""
    if not event_name or worker_name() == LOCAL:
        yield
        return
    from distributed import Event, get_client

    # Bound here, in the task's thread: the watcher's thread has no client of its own.
    event, finished = Event(event_name, client=get_client()), threading.Event()

    def watch() -> None:
        while not finished.is_set():
            try:
                cancelled = event.wait(timeout=1)
            except Exception:  # the worker is closing: nothing left to watch
                return
            if cancelled and handle.process is not None:
                handle.process.kill()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join(timeout=2)


def run_assembly(task: AssemblyTask) -> str:
    """A brief's HTML from its executed notebooks and dataset, in a temporary folder."""
    from .assemble import assemble_html
    from .dataset import in_language, load

    with tempfile.TemporaryDirectory(prefix="earnings-brief-") as tmp:
        root = Path(tmp)
        data = write_files(root / "data", task.files)
        executed = []
        for name, text in task.notebooks.items():
            executed.append(root / f"{name}.ipynb")
            executed[-1].write_text(text, encoding="utf-8")
        # The edition's language, as a build on one machine reads it (build.py): its facts and
        # notes in that language.
        ds = in_language(load(task.company, task.period, data), task.language)
        return assemble_html(executed, ds, task.parameters, task.meta, task.changes, task.language)


def run_pdf(html: str) -> bytes:
    from .pdf import render_pdf

    with tempfile.TemporaryDirectory(prefix="earnings-brief-") as tmp:
        path = Path(tmp) / "brief.pdf"
        render_pdf(html, path)
        return path.read_bytes()


# --- on the build host ------------------------------------------------------------------------


def dataset_payload(data_dir: Path, company: str, period: str) -> dict[str, bytes]:
    """The dataset's files as bytes, by path under the data folder."""
    from .dataset import dataset_files

    root = Path(data_dir)
    return {str(p.relative_to(root)): p.read_bytes() for p in dataset_files(company, period, root)}


def notebook_task(
    job: pipeline.Job, expect: dict, cancel_event: str = "", rank: int = 0
) -> NotebookTask:
    params = job.parameters
    # A notebook that does not declare where its data is cannot load any: it gets no files.
    located = {"data_dir", "company", "period"} <= set(params)
    files = (
        dataset_payload(Path(params["data_dir"]), params["company"], params["period"])
        if located
        else {}
    )
    return NotebookTask(
        name=job.name, source=Path(job.notebook).read_text(encoding="utf-8"),
        parameters=params, files=files, expect=expect, timeout=job.timeout,
        retries=job.retries, kernel_name=job.kernel_name, cancel_event=cancel_event, rank=rank,
    )  # fmt: skip


def receive(job: pipeline.Job, result: NotebookResult) -> WorkerOutcome:
    """Put a worker's executed notebook where the build expects it; its log into the run's."""
    output = Path(job.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if result.notebook:
        output.write_text(result.notebook, encoding="utf-8")
    if result.log.strip():
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        with open(output.parent / RUN_LOG, "a", encoding="utf-8") as f:
            f.write(f"{stamp} {job.name}: kernel log from worker {result.worker}\n{result.log}")
            f.write("" if result.log.endswith("\n") else "\n")
    fields = {**asdict(result.outcome), "output": str(output)}
    return WorkerOutcome(**fields, worker=result.worker, versions=result.versions)


class Shipping(Executor):
    """The executor a build is given: ships every job to a backend (local pool or Dask)."""

    def __init__(self, backend, *, expect: dict | None = None) -> None:
        self.backend = backend
        self.expect = expect or worker_versions()
        self.interrupted = False
        self._pending: set[Future] = set()
        self._lock = threading.Lock()
        self._ranks: dict[tuple[str, str], int] = {}

    def rank(self, briefs: list[tuple[str, str]]) -> None:
        """The order in which the briefs' notebooks start, whenever their builds submit them;
        a brief not named comes after those named."""
        self._ranks = {brief: i for i, brief in enumerate(briefs)}

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if fn is pipeline.execute and not kwargs:
            (job,) = args
            brief = (job.parameters.get("company"), job.parameters.get("period"))
            rank = self._ranks.get(brief, len(self._ranks))
            task = notebook_task(job, self.expect, self.backend.cancel_event, rank)
            return self._relay(run_notebook, task, convert=lambda result: receive(job, result))
        return self._relay(fn, *args, convert=lambda value: value, **kwargs)

    def _relay(self, fn, *args, convert, **kwargs) -> Future:
        outer: Future = Future()
        outer.set_running_or_notify_cancel()
        with self._lock:
            if self.interrupted:
                outer.set_exception(KeyboardInterrupt())
                return outer
            self._pending.add(outer)
            inner = self.backend.submit(fn, *args, **kwargs)

        def settle(done) -> None:
            try:
                value = convert(done.result())
            except BaseException as err:  # carried to the waiting build
                _settle(outer, exception=err)
            else:
                _settle(outer, value)
            with self._lock:
                self._pending.discard(outer)

        inner.add_done_callback(settle)
        return outer

    def assembler(self):
        """``build.build``'s ``assemble``, as a job on this executor."""

        def assemble(executed, ds, parameters, meta, changes, language) -> str:
            task = AssemblyTask(
                company=parameters["company"], period=parameters["period"],
                files={str(p.relative_to(ds.root)): p.read_bytes() for p in ds.files},
                notebooks={Path(p).stem: Path(p).read_text(encoding="utf-8") for p in executed},
                parameters=dict(parameters), meta=dict(meta), changes=changes, language=language,
            )  # fmt: skip
            return self.submit(run_assembly, task).result()

        return assemble

    def pdf_renderer(self):
        """``build.build``'s ``render_pdf``, as a job on this executor."""

        def render_pdf(html: str, path: Path) -> None:
            Path(path).write_bytes(self.submit(run_pdf, html).result())

        return render_pdf

    def interrupt(self) -> None:
        """Ctrl-C: every waiting build sees KeyboardInterrupt; the backend stops its work."""
        with self._lock:
            self.interrupted = True
            pending, self._pending = list(self._pending), set()
        for future in pending:
            _settle(future, exception=KeyboardInterrupt())
        self.backend.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.backend.close()


def _settle(future: Future, value=None, *, exception: BaseException | None = None) -> None:
    try:
        if exception is None:
            future.set_result(value)
        else:
            future.set_exception(exception)
    except InvalidStateError:  # already settled by an interrupt
        pass


class LocalBackend:
    """The default: the pipeline's process pool, every worker forked before the build's threads
    start (forking a process that runs threads can copy a lock another thread holds).

    As on Dask, assembly and PDF jobs go before waiting notebooks: a brief whose notebooks are
    done is nearly published, and the time a build measures for them is theirs, not a wait behind
    every other brief's notebooks. Notebooks go by their brief's rank, then as they came. So jobs
    wait here, in that order, and the pool gets one per free worker."""

    cancel_event = ""

    def __init__(self, workers: int, *, log_path: Path | None = None) -> None:
        # Imported once, before the workers are forked: every assembly job reads its dataset
        # with it (0.4 s a worker), and the builds here need it anyway, while the kernel server
        # still imports its own stack.
        import pandas  # noqa: F401

        self.pool = pipeline.local_executor(workers, log_path=log_path)
        self.pool.submit(os.getpid).result()
        self.workers, self._running, self._closed = workers, 0, False
        self._waiting: list = []  # a heap of (is a notebook, rank, order, future, fn, args, kwargs)
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._dispatcher = threading.Thread(target=self._dispatch, name="jobs", daemon=True)
        self._dispatcher.start()

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        with self._changed:
            notebook = fn is run_notebook
            rank = args[0].rank if notebook else 0
            job = (notebook, rank, next(self._order), future, fn, args, kwargs)
            heapq.heappush(self._waiting, job)
            self._changed.notify()
        return future

    def _dispatch(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._closed or (self._waiting and self._running < self.workers)
                )
                if self._closed:
                    return
                *_, future, fn, args, kwargs = heapq.heappop(self._waiting)
                if not future.set_running_or_notify_cancel():
                    continue
                self._running += 1
            try:
                done = self.pool.submit(fn, *args, **kwargs)
            except BaseException as err:  # the pool was shut down or broke
                self._finished(future, err)
            else:
                done.add_done_callback(lambda done, future=future: self._finished(future, done))

    def _finished(self, future: Future, done) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify()
        if isinstance(done, BaseException):
            _settle(future, exception=done)
        elif done.cancelled():  # by the pool's shutdown; this future is already running
            _settle(future, exception=CancelledError())
        elif done.exception() is not None:
            _settle(future, exception=done.exception())
        else:
            _settle(future, done.result())

    def _stop_waiting(self) -> None:
        with self._changed:
            self._closed = True
            waiting, self._waiting = self._waiting, []
            self._changed.notify()
        for *_, future, _fn, _args, _kwargs in waiting:
            future.cancel()
        self._dispatcher.join(timeout=5)

    def cancel(self) -> None:
        import multiprocessing

        self._stop_waiting()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()

    def close(self) -> None:
        self._stop_waiting()
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """A dask.distributed cluster. The scheduler runs a job lost with its worker again, as many
    times as its ``allowed-failures`` says (docs/cluster.md starts it with 1: once more). A job
    that raises is not run again: a failing assembly or PDF fails the same way twice."""

    def __init__(self, client, *, owned: bool = False) -> None:
        self.client, self.owned = client, owned
        self.cancel_event = f"earnings-brief-cancel-{uuid.uuid4().hex}"
        self._futures: list = []

    @classmethod
    def connect(cls, address: str, *, log_path: Path | None = None) -> DaskBackend:
        from distributed import Client

        _route_dask_logs(log_path)  # after the import, which installs distributed's handlers
        try:
            client = Client(address, timeout="30s", set_as_default=False)
        except OSError as err:
            raise ParameterError(
                f"no Dask scheduler answers at {address}: {err}",
                field="--scheduler",
                expected="the address of a running scheduler, e.g. tcp://host:8786",
            ) from None
        return cls(client, owned=True)

    def submit(self, fn, *args, **kwargs):
        # Assembly and PDF jobs go first: a brief whose notebooks are done is nearly published;
        # then notebooks by their brief's rank (Dask runs higher priorities first).
        priority = -args[0].rank if fn is run_notebook else 1
        future = self.client.submit(fn, *args, pure=False, priority=priority, **kwargs)
        self._futures.append(future)
        return future

    def cancel(self) -> None:
        from distributed import Event

        Event(self.cancel_event, client=self.client).set()
        self.client.cancel(self._futures, force=True)

    def close(self) -> None:
        if self.owned:
            self.client.close()


def _route_dask_logs(log_path: Path | None) -> None:
    """Dask's client-side messages go to the run's log, not the console: distributed gives its
    loggers stderr handlers of its own when it is imported, which this replaces. The handler of
    an earlier run goes too, so a long-lived process never writes on to a rotated-away log."""
    if log_path is None:
        handler: logging.Handler = logging.NullHandler()
    else:
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.earnings_brief = True
    for name in ("distributed", "distributed.client"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if type(old) is logging.StreamHandler or getattr(old, "earnings_brief", False):
                logger.removeHandler(old)
                old.close()
        logger.addHandler(handler)
        logger.propagate = False


def scheduler_address(given: str | None) -> str:
    address = given or os.environ.get(SCHEDULER_ENV, "")
    if not address:
        raise ParameterError(
            "--executor dask needs a scheduler",
            field="--scheduler",
            expected=f"tcp://HOST:8786, or the {SCHEDULER_ENV} variable",
        )
    return address


@contextmanager
def open_executor(
    kind: str = "local",
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    log_path: Path | None = None,
):
    """A ``Shipping`` executor on the chosen backend, closed on the way out."""
    if kind not in EXECUTORS:
        raise ParameterError(
            f"unknown executor '{kind}'", field="--executor", expected=" or ".join(EXECUTORS)
        )
    if kind == "dask":
        backend = DaskBackend.connect(scheduler_address(scheduler), log_path=log_path)
    else:
        backend = LocalBackend(workers or os.cpu_count() or 1, log_path=log_path)
    executor = Shipping(backend)
    try:
        yield executor
    finally:
        executor.shutdown()
