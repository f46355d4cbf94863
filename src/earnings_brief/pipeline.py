"""Run the brief's notebooks with papermill, in parallel, skipping those whose inputs are unchanged.

The inputs of a notebook are its source, its parameters, the dataset's files, the package's own
files and the versions of the packages that execute and render it; their SHA-256 is its input
hash, recorded in the manifest. Hashing imports nothing heavy, so an up-to-date check is fast.

Execution goes through any ``concurrent.futures.Executor``: a job is plain picklable data and
``execute`` a module-level function, so a distributed executor (Dask's, say) can run it as is.
The default is a local process pool forked after papermill is imported, so no worker pays the
seconds that importing nbformat costs in an environment with jupyter-server installed.
A thread pool is not safe: papermill changes the working directory of the whole process.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import functools
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .errors import BriefError, ParameterError, storage_failure
from .params import BASE

PACKAGE_DIR = Path(__file__).resolve().parent
NOTEBOOKS_DIR = PACKAGE_DIR.parents[1] / "notebooks"
# Distributions whose upgrade can change what a notebook shows.
PACKAGES = (
    "papermill", "nbconvert", "pandas", "seaborn", "matplotlib", "ipykernel", "weasyprint",
    "earnings-brief",
)  # fmt: skip
MANIFEST_SCHEMA = 1
DEFAULT_TIMEOUT = 300.0


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


@dataclass
class Inputs:
    """The hashed inputs of a brief: per notebook, and combined into ``brief_hash``."""

    notebooks: dict[str, dict]
    data_hash: str
    code_hash: str
    versions: dict[str, str]
    brief_hash: str = field(default="")


# --- hashing: stdlib only ---------------------------------------------------------------------


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_hash(paths: Iterable[Path], root: Path | None = None) -> str:
    """One hash over file names (relative to ``root``) and contents."""
    digest = hashlib.sha256()
    for path in paths:
        name = path.relative_to(root) if root else path.name
        digest.update(f"{name}\0{file_hash(path)}\n".encode())
    return digest.hexdigest()


def code_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """The package's own files: modules, locales, templates, assets (not bytecode)."""
    files = sorted(
        p for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )  # fmt: skip
    return files_hash(files, package_dir)


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def declared_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (read as JSON, not nbformat)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            return [n for node in ast.parse(source).body for n in _assigned(node)]
    return []


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def brief_inputs(
    notebooks: dict[str, Path],
    data_files: Iterable[Path],
    parameters: dict,
    *,
    package_dir: Path = PACKAGE_DIR,
    versions: dict[str, str] | None = None,
) -> Inputs:
    """Hash every input. Each notebook gets only the parameters its parameters cell declares,
    so a knob of one notebook does not re-run the others; a name no notebook declares is an error.
    """
    declared = {name: declared_parameters(path) for name, path in notebooks.items()}
    known = {p for names in declared.values() for p in names}
    unknown = sorted(set(parameters) - known - BASE_PARAMETERS)
    if unknown:
        raise ParameterError(
            f"unknown notebook parameter {', '.join(unknown)}",
            field="-p",
            expected=f"one of {', '.join(sorted(known)) or 'none'}",
        )
    inputs = Inputs(
        {}, files_hash(data_files), code_hash(package_dir), versions or package_versions()
    )
    for name, path in notebooks.items():
        params = {k: v for k, v in parameters.items() if k in declared[name]}
        shared = (inputs.data_hash, inputs.code_hash, inputs.versions)
        inputs.notebooks[name] = {
            "notebook": str(path),
            "parameters": params,
            "hash": _digest(file_hash(path), params, *shared),
        }
    inputs.brief_hash = _digest(
        MANIFEST_SCHEMA, {n: nb["hash"] for n, nb in inputs.notebooks.items()}
    )
    return inputs


# Parameters the build always offers; a notebook that does not declare one simply does not get it.
BASE_PARAMETERS = set(BASE)


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --- the manifest -----------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if manifest.get("schema") == MANIFEST_SCHEMA else {}


def stale(inputs: Inputs, manifest: dict, executed_dir: Path) -> list[str]:
    """Notebooks to run: input hash differs from the manifest's, or no executed copy to reuse."""
    recorded = manifest.get("notebooks", {})
    return [
        name for name, nb in inputs.notebooks.items()
        if recorded.get(name, {}).get("hash") != nb["hash"]
        or not (Path(executed_dir) / f"{name}.ipynb").is_file()
    ]  # fmt: skip


def manifest(inputs: Inputs, outcomes: dict[str, dict], **extra) -> dict:
    return {
        "schema": MANIFEST_SCHEMA,
        "brief_hash": inputs.brief_hash,
        "data_hash": inputs.data_hash,
        "code_hash": inputs.code_hash,
        "versions": inputs.versions,
        **extra,
        "notebooks": {
            name: {**nb, **outcomes.get(name, {})} for name, nb in inputs.notebooks.items()
        },
    }


# --- execution --------------------------------------------------------------------------------


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
    pool, the workers are stopped (their kernels follow them within a second).
    """
    notify = on_event or (lambda *_: None)
    owned = executor is None
    if owned:
        slots = min(slots or os.cpu_count() or 1, len(jobs)) or 1
        executor = local_executor(slots, log_path=log_path)
    slots = slots or len(jobs) or 1
    waiting, running, outcomes = list(jobs), {}, {}
    try:
        while waiting or running:
            while waiting and len(running) < slots and not _failed(outcomes):
                job = waiting.pop(0)
                notify("start", job, None)
                running[executor.submit(execute, job)] = job
            if not running:
                break
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
        for folder in sorted({kernel_dir(j.output) for j in jobs}):
            remove_kernel_dir(folder)
    return [outcomes[j.name] for j in jobs if j.name in outcomes]


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
    """A process pool forked after papermill and nbformat are imported (Linux), else spawned."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import papermill  # noqa: F401  imported once here, inherited by every forked worker

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
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


KERNELS = "kernels"
# AF_UNIX socket paths hold at most 107 bytes; a socket is named <base>/k-<12 hex>-<port>.
SOCKET_PATH_MAX = 107
_SOCKET_NAME = len("/k-0123456789ab-65535")


def kernel_dir(output: str | Path) -> Path:
    """Where the kernels of a run keep their connection files and sockets: the run's own folder."""
    return Path(output).parent / KERNELS


def socket_base(folder: Path) -> Path:
    """``folder``, or a short link to it in the temporary folder when its path is too long."""
    folder = Path(folder)
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
    for base in (folder.parent, Path(tempfile.gettempdir()), Path("/tmp")):
        candidate = folder if base == folder.parent else base / f"earnings-brief-{digest}"
        if len(os.fsencode(candidate)) + _SOCKET_NAME <= SOCKET_PATH_MAX:
            return candidate
    raise OSError(errno.ENAMETOOLONG, "no folder short enough for the kernel's sockets", folder)


def open_kernel_dir(folder: Path) -> Path:
    """Create a run's kernel folder (and its short link); return the base for socket paths."""
    folder.mkdir(parents=True, exist_ok=True)
    base = socket_base(folder)
    if base != folder and not base.is_symlink():
        with contextlib.suppress(FileExistsError):  # another worker of the same run made it
            base.symlink_to(folder, target_is_directory=True)
    return base


def remove_kernel_dir(folder: Path) -> None:
    """Remove a kernel folder and its short link: connection files hold the kernel's HMAC key."""
    base = socket_base(folder)
    if base != folder and base.is_symlink():
        base.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def clean_kernels(runs_dir: Path) -> list[Path]:
    """Remove what killed runs left: kernel folders under ``runs_dir/<id>/`` (call under lock)."""
    found = sorted(Path(runs_dir).glob(f"*/{KERNELS}")) if Path(runs_dir).is_dir() else []
    for folder in found:
        remove_kernel_dir(folder)
    return found


@functools.cache
def ipc_kernel_manager(folder: str) -> type:
    """A kernel manager whose kernels talk over Unix sockets, with their files in ``folder``.

    Over TCP, kernels started at the same moment in different workers can pick the same free
    port, and one dies with "Address already in use" (seen here). IPC sockets are named by a
    fresh path per kernel, so parallel kernels never collide, and the kernel no longer warns that
    TCP traffic is unencrypted. The connection file (with the kernel's key) and the sockets live
    in the run's folder, not the system's temporary one, so nothing outlives the run.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    base = str(socket_base(Path(folder)))

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(base, f"k-{uuid.uuid4().hex[:12]}")

        @default("connection_file")
        def _default_connection_file(self) -> str:
            return os.path.join(folder, f"kernel-{uuid.uuid4().hex[:12]}.json")

    return IpcKernelManager


def execute(job: Job, *, kernel_manager_class: type | None = None) -> Outcome:
    """Run one notebook with papermill (in a worker). Never raises for a notebook's own errors.

    An empty ``job.cwd`` leaves the process's working directory alone (papermill would change
    it for the whole process), for a ``kernel_manager_class`` that starts the kernel elsewhere.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    kernels = kernel_dir(job.output)
    open_kernel_dir(kernels)
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
                kernel_manager_class=kernel_manager_class or ipc_kernel_manager(str(kernels)),
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
