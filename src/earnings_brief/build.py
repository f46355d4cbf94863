"""The build command: one idempotent step from a dataset to a published brief.

check names, folders, options and parameters (nothing written yet) → lock → hash inputs → up to
date? stop → load and validate → run changed notebooks → assemble HTML and PDF in staging →
publish atomically → keep the edition → prune. The up-to-date path imports
neither pandas nor papermill, so a scheduled no-change run takes well under a second.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import changes, history, kernels, lock, pipeline, provenance, publish
from .errors import AssemblyError, BriefError, ParameterError, StorageError, storage_failure
from .params import FIXED, NOTEBOOKS

DEFAULT_KEEP = 10
DEFAULT_LOCK_TIMEOUT = 300.0
FIGURES = "figures.json"
LOG = "run.log"


class Interrupted(BriefError):
    """Ctrl-C or SIGTERM: kernels stopped, nothing published."""

    exit_code = 130


@dataclass(frozen=True)
class BuildOptions:
    """What a build is asked for: the brief (company, period, language), where its data, notebooks
    and outputs are, its parameters and how to run it. The command line and ``universe`` make it;
    ``validate`` checks it before anything is written."""

    company: str = "sensetime"
    period: str = "FY2024"
    data_dir: Path | None = None
    out: Path = Path("outputs")
    language: str = "en"
    parameters: dict = field(default_factory=dict)
    timeout: float = pipeline.DEFAULT_TIMEOUT
    retries: int = 0
    keep: int = DEFAULT_KEEP
    jobs: int | None = None
    force: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    notebooks_dir: Path = pipeline.NOTEBOOKS_DIR

    @property
    def out_dir(self) -> Path:
        return Path(self.out).expanduser().resolve()

    @property
    def brief_dir(self) -> Path:
        """Where this edition is built and kept (see ``publish.language_dir``)."""
        return publish.language_dir(self.out_dir / self.company / self.period, self.language)

    @property
    def notebooks(self) -> dict[str, Path]:
        return {n: Path(self.notebooks_dir).resolve() / f"{n}.ipynb" for n in NOTEBOOKS}


@dataclass
class BuildResult:
    status: str  # "built" | "up to date"
    brief_dir: Path
    run_dir: Path
    executed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    changes: list[dict] | None = None


class RunLog:
    """Progress for the console and, with timestamps, for the run's log file."""

    def __init__(self, path: Path, echo=print) -> None:
        self.path, self.echo = Path(path), echo

    def __call__(self, message: str, *, console: bool = True) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{stamp} {message}\n")
        if console:
            self.echo(message)


def build(options: BuildOptions, *, executor=None, assemble=None, render_pdf=None, echo=print):
    """Build or confirm one brief; raise a BriefError (with its exit code) when it fails.

    ``executor`` is any concurrent.futures.Executor (default: a local process pool);
    ``assemble`` and ``render_pdf`` default to earnings_brief.assemble and earnings_brief.pdf.
    """
    started = time.perf_counter()
    checked = validate(options)  # before anything touches the disk
    brief_dir = checked.brief_dir
    with _sigterm_as_interrupt(), _storage_errors(), _locked(brief_dir, options, started, echo):
        run_id, run_dir = history.new_run(brief_dir)
        log = RunLog(run_dir / LOG, echo)
        log(
            f"run {run_id} on {socket.gethostname()}: "
            f"{options.company} {options.period} → {brief_dir}",
            console=False,
        )  # the host is recorded here and not in the brief
        run = Run(options, checked, run_id, run_dir, log, executor, assemble, render_pdf)
        try:
            result = _build(run)
        except KeyboardInterrupt:
            _record(run_dir, started, "interrupted")
            log("interrupted: kernels stopped, the published brief is unchanged", console=False)
            raise Interrupted("interrupted; the published brief is unchanged") from None
        except Exception as err:
            _failed(run_dir, started, log, err)
            raise
        finally:
            # Last, so that a kernel still starting when its run was killed has gone too.
            kernels.clean_kernels(brief_dir / history.RUNS)
            history.prune(brief_dir, options.keep, current=run_dir)
        log(f"total {time.perf_counter() - started:.2f} s")
        return result


def up_to_date(options: BuildOptions) -> bool:
    """Whether ``build`` would find the brief up to date (a hint: no lock is taken). Bad input
    counts as not up to date, so that the build itself reports it."""
    try:
        checked = validate(options)
    except BriefError:
        return False
    published = provenance.read_manifest(checked.brief_dir / publish.MANIFEST)
    return not options.force and _up_to_date(checked.inputs, published, checked.brief_dir)


@contextmanager
def _locked(brief_dir: Path, options: BuildOptions, started: float, echo):
    """Hold the brief's lock; a run that gives up waiting still appears in the history."""
    try:
        brief_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # /proc, say, refuses with "no such file": still the machine's no
        raise StorageError(
            f"cannot create the output folder: {err.strerror}",
            file=brief_dir,
            expected="a writable output folder",
        ) from None
    waiting = lock.acquire(
        brief_dir / ".lock",
        timeout=options.lock_timeout,
        on_wait=lambda info: echo(f"waiting for the lock held by {lock.describe(info)}"),
        on_stale=lambda info: echo(f"recovered a stale lock left by {_left_by(info)}"),
    )
    with ExitStack() as held:
        try:
            held.enter_context(waiting)
        except lock.LockHeld as err:
            gave_up = history.new_run(brief_dir)[1]
            _record(gave_up, started, "gave up on lock (4)", error=err.one_line())
            raise
        yield


def _failed(run_dir: Path, started: float, log: RunLog, err: Exception) -> None:
    """Record a failure in the run's folder, as far as the disk still lets us."""
    failure = err if isinstance(err, BriefError) else storage_failure(err)
    with suppress(OSError):
        if failure is None:  # a bug: record it, then let the traceback show
            _record(run_dir, started, "failed (bug)", error=f"{type(err).__name__}: {err}")
            log(traceback.format_exc().rstrip(), console=False)
        else:
            _record(run_dir, started, f"failed ({failure.exit_code})", error=failure.one_line())
            log(f"failed: {failure.one_line()}", console=False)


@contextmanager
def _storage_errors():
    """A full or read-only disk is the machine's state, not a bug: one line and exit 6."""
    try:
        yield
    except OSError as err:
        failure = storage_failure(err)
        if failure is None:
            raise
        raise failure from None


def _build(run: Run) -> BuildResult:
    started = time.perf_counter()
    options, brief_dir, inputs, log = run.options, run.brief_dir, run.inputs, run.log
    published = provenance.read_manifest(brief_dir / publish.MANIFEST)
    if not options.force and _up_to_date(inputs, published, brief_dir):
        edition = published.get("edition")
        _beside(run)
        log(f"up to date: {brief_dir / 'brief.html'} and brief.pdf (edition {edition})")
        _record(run.run_dir, started, "up to date")
        return BuildResult("up to date", brief_dir, run.run_dir)

    from .dataset import in_language, load, require_chinese

    ds = load(options.company, options.period, run.checked.data_dir)
    if options.language.startswith("zh"):
        require_chinese(ds)  # no fact in English in the Chinese edition
    ds = in_language(ds, options.language)
    published_notebooks = brief_dir / publish.NOTEBOOKS
    stale = (
        list(NOTEBOOKS)
        if options.force
        else provenance.stale(inputs, published, published_notebooks)
    )
    reused = [n for n in NOTEBOOKS if n not in stale]
    for name in reused:
        log(f"{name}: unchanged, reused")
    outcomes = _execute(run, stale, published)
    timings = {"notebooks": round(time.perf_counter() - started, 2)}
    for name in reused:
        shutil.copy2(published_notebooks / f"{name}.ipynb", run.run_dir / f"{name}.ipynb")
    record = _notebook_records(outcomes, reused, published)
    _record(run.run_dir, started, "assembling", notebooks=record)

    previous = history.latest_edition(brief_dir)
    old = changes.load_figures(previous / FIGURES) if previous else None
    diff = changes.diff_figures(old, ds.figures) if old is not None else None
    for change in diff or []:
        log(f"what changed: {changes.describe(change)}")
    if diff == []:
        log("what changed: no figure changed since the previous edition")

    meta = _run_meta(run, record, previous)
    _assemble(run, ds, _reproducible(meta), diff)
    timings["total"] = round(time.perf_counter() - started, 2)
    manifest = provenance.manifest(
        inputs, record, company=options.company, period=options.period,
        language=options.language, parameters=run.checked.parameters, edition=run.run_id,
        generated_at=meta["generated_at"], code_version=meta["code_version"], timings=timings,
    )  # fmt: skip
    publish.write_atomic(run.staging / publish.MANIFEST, _json(manifest))
    changes.save_figures(ds.figures, run.run_dir / FIGURES)
    publish.publish(run.staging, brief_dir)
    shutil.rmtree(run.staging, ignore_errors=True)
    edition = history.record_edition(brief_dir, run.run_id, {FIGURES: run.run_dir / FIGURES})
    _link_tree(brief_dir / publish.NOTEBOOKS, edition / publish.NOTEBOOKS)
    _record(run.run_dir, started, "published", notebooks=record, edition=run.run_id)
    log(f"published {brief_dir / 'brief.html'} and brief.pdf (edition {run.run_id})")
    _beside(run)
    shutil.copy2(run.run_dir / LOG, edition / LOG)
    executed = [o.name for o in outcomes]
    return BuildResult("built", brief_dir, run.run_dir, executed, reused, diff)


def _beside(run: Run) -> None:
    """A non-English edition's documents also go beside the English ones, under its own name."""
    if run.options.language != "en":
        for name in publish.publish_beside(run.brief_dir.parent, run.options.language):
            run.log(f"published {run.brief_dir.parent / name}")


@dataclass(frozen=True)
class Checked:
    """What validation found: where the brief goes, the data, the parameters and their hashes."""

    brief_dir: Path
    data_dir: Path
    parameters: dict
    inputs: provenance.Inputs


@dataclass(frozen=True)
class Run:
    """One run of a build: what was asked, what validation found, the run's own folder and log,
    and what does the work (``build``'s executor, assembler and PDF renderer; None: the defaults).
    The steps of a build take it instead of long argument lists."""

    options: BuildOptions
    checked: Checked
    run_id: str
    run_dir: Path
    log: RunLog
    executor: Executor | None = None
    assemble: Callable | None = None
    render_pdf: Callable | None = None

    @property
    def brief_dir(self) -> Path:
        return self.checked.brief_dir

    @property
    def inputs(self) -> provenance.Inputs:
        return self.checked.inputs

    @property
    def staging(self) -> Path:
        return self.run_dir / "staging"


def validate(options: BuildOptions) -> Checked:
    """Check names, folders, options and parameters; read files, write none (docs/operations.md).

    A run rejected here takes no lock, creates no folder and prunes nothing.
    """
    from .dataset import comparison, locate, read_period

    data_dir = locate(options.company, options.period, options.data_dir)
    period = read_period(options.company, options.period, data_dir)
    check_options(options)
    _check_out(options.out_dir, options.brief_dir, data_dir)
    parameters = _parameters(options, data_dir)
    comparison(str(parameters.get("comparison_period") or ""), period)
    inputs = _inputs(options, data_dir, parameters)
    return Checked(options.brief_dir, data_dir, parameters, inputs)


def check_options(options: BuildOptions) -> None:
    from . import i18n

    if options.language not in i18n.languages():
        raise ParameterError(
            f"unknown language '{options.language}'",
            field="language",
            expected="one of " + ", ".join(i18n.languages()),
        )
    jobs = 1 if options.jobs is None else options.jobs
    limits = {
        "timeout": (options.timeout > 0, "a number of seconds above 0"),
        "lock_timeout": (options.lock_timeout >= 0, "a number of seconds, 0 or more"),
        "retries": (options.retries >= 0, "a whole number, 0 or more"),
        "keep": (options.keep >= 1, "a whole number, 1 or more"),
        "jobs": (jobs >= 1, "a whole number, 1 or more"),
    }
    for name, (ok, expected) in limits.items():
        value = getattr(options, name)
        if not ok or not math.isfinite(value or 0):
            flag = f"--{name.replace('_', '-')}"
            raise ParameterError(f"{value} is out of range", field=flag, expected=expected)


def _check_out(out: Path, brief_dir: Path, data_dir: Path) -> None:
    """The output folder is a folder (or can become one) and stays apart from the data."""
    check_out_folder(out, data_dir)
    if _inside(data_dir, brief_dir):
        raise ParameterError(
            "the output folder overlaps the data directory",
            file=out,
            field="--out",
            expected=f"a folder outside {data_dir}",
        )
    check_out_folder(brief_dir, data_dir)


def check_out_folder(out: Path, data_dir: Path) -> None:
    """``out`` is a folder, or a path where one can be made, outside the data directory.

    Called before anything is written: by the build, and by ``build --all`` for its index.
    """
    if _inside(out, data_dir):
        raise ParameterError(
            "the output folder overlaps the data directory",
            file=out,
            field="--out",
            expected=f"a folder outside {data_dir}",
        )
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise ParameterError(
            "not a folder", file=existing, field="--out", expected="a folder or a new path"
        )


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _parameters(options: BuildOptions, data_dir: Path) -> dict:
    """The base parameters from the build's own options, then the -p ones."""
    fixed = [name for name in FIXED if name in options.parameters]
    if fixed:
        raise ParameterError(f"set {fixed[0]} with --{fixed[0].replace('_', '-')}", field=fixed[0])
    base = {name: getattr(options, name) for name in FIXED} | {"data_dir": str(data_dir)}
    return {**base, **options.parameters}


def _inputs(options: BuildOptions, data_dir: Path, parameters: dict) -> provenance.Inputs:
    from . import params
    from .dataset import dataset_files

    for path in options.notebooks.values():
        if not path.is_file():
            raise pipeline.NotebookError("notebook not found", file=path)
    files = dataset_files(options.company, options.period, data_dir)
    inputs = provenance.brief_inputs(options.notebooks, files, parameters)
    for name, nb in inputs.notebooks.items():
        known = {p.name for p in params.parameters(name)}
        params.validate(name, **{k: v for k, v in nb["parameters"].items() if k in known})
    return inputs


def _up_to_date(inputs: provenance.Inputs, published: dict, brief_dir: Path) -> bool:
    documents = all((brief_dir / name).is_file() for name in publish.DOCUMENTS)
    return documents and published.get("brief_hash") == inputs.brief_hash


def _execute(run: Run, names: list[str], published: dict) -> list[pipeline.Outcome]:
    if not names:
        return []
    options = run.options
    previous = published.get("notebooks", {})
    # Longest first (by the last recorded time), so the slowest notebook does not start last.
    names = sorted(names, key=lambda n: -previous.get(n, {}).get("seconds", 0))
    jobs = pipeline.jobs_for(
        run.inputs, names, run.run_dir, cwd=options.notebooks_dir,
        timeout=options.timeout, retries=options.retries,
    )  # fmt: skip
    outcomes = pipeline.run(
        jobs, run.executor, slots=options.jobs, on_event=_progress(run.log), log_path=run.log.path
    )
    failed = [o for o in outcomes if o.status == "failed"]
    if failed and failed[0].errno:  # a full disk, say, is not the notebook's fault
        raise storage_failure(OSError(failed[0].errno, "", failed[0].output))
    if failed:
        kept = ", ".join(str(Path(o.output)) for o in failed)
        run.log(f"failed notebook kept: {kept}", console=False)
        raise pipeline.NotebookError(f"{failed[0].error} (executed copy: {failed[0].output})")
    return outcomes


def _progress(log: RunLog):
    def event(kind: str, job: pipeline.Job, outcome: pipeline.Outcome | None) -> None:
        if kind == "start":
            log(f"{job.name}: started")
        elif kind == "done":
            retried = f" after {outcome.attempts} attempts" if outcome.attempts > 1 else ""
            log(f"{job.name}: done in {outcome.seconds:.1f} s{retried}")
        else:
            log(f"{job.name}: FAILED after {outcome.seconds:.1f} s: {outcome.error}")

    return event


def _notebook_records(outcomes, reused, published) -> dict[str, dict]:
    records = {o.name: pipeline.outcome_record(o) for o in outcomes}
    previous = published.get("notebooks", {})
    for name in reused:
        before = previous.get(name, {})
        records[name] = {
            "status": "reused",
            "seconds": before.get("seconds"),
            "output": f"{name}.ipynb",
            "from_edition": published.get("edition"),
        }
    return {n: records[n] for n in NOTEBOOKS if n in records}


def _assemble(run: Run, ds, meta: dict, diff: list[dict] | None) -> None:
    """brief.html and brief.pdf in the run's staging folder, beside the executed notebooks."""
    notebooks = run.staging / publish.NOTEBOOKS
    notebooks.mkdir(parents=True)
    for name in NOTEBOOKS:
        os.replace(run.run_dir / f"{name}.ipynb", notebooks / f"{name}.ipynb")
    executed = [notebooks / f"{name}.ipynb" for name in NOTEBOOKS]
    assemble, render_pdf = run.assemble, run.render_pdf
    try:
        if assemble is None:
            from .assemble import assemble_html as assemble
        if render_pdf is None:
            from .pdf import render_pdf
        started = time.perf_counter()
        parameters, language = run.checked.parameters, run.options.language
        html = assemble(executed, ds, parameters, meta, diff, language)
        (run.staging / "brief.html").write_text(html, encoding="utf-8")
        run.log(f"assembled brief.html in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        render_pdf(html, run.staging / "brief.pdf")
        run.log(f"rendered brief.pdf in {time.perf_counter() - started:.1f} s")
    except Exception as err:
        run.log(traceback.format_exc().rstrip(), console=False)
        if storage_failure(err):
            raise  # a full disk is not the assembler's fault: exit 6, not 5
        text = err.one_line() if isinstance(err, BriefError) else f"{type(err).__name__}: {err}"
        raise AssemblyError(f"assembly failed, nothing published: {text}") from None


def _run_meta(run: Run, record: dict, previous: Path | None) -> dict:
    inputs = run.inputs
    return {
        "run_id": run.run_id,
        "edition": run.run_id,
        "previous_edition": previous.name if previous else None,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "brief_hash": inputs.brief_hash,
        "data_hash": inputs.data_hash,
        "code_hash": inputs.code_hash,
        "code_version": _code_version(),
        "versions": inputs.versions,
        "notebooks": record,
    }


# What differs between two runs of the same inputs; the manifest and the run log keep it, the
# brief does not, so that the same inputs give byte-identical documents.
RUN_ONLY = ("run_id", "edition", "previous_edition", "generated_at", "host", "notebooks")


def _reproducible(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in RUN_ONLY}


def _code_version() -> str:
    """``git describe`` of the source tree when there is one, else the package version."""
    from . import __version__

    root = provenance.PACKAGE_DIR.parents[1]
    if (root / ".git").exists() and shutil.which("git"):
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return f"{__version__}+{done.stdout.strip()}"
    return __version__


def _record(run_dir: Path, started: float, status: str, **extra) -> None:
    extra.setdefault("seconds", round(time.perf_counter() - started, 2))
    history.write_run(run_dir, {"status": status, "pid": os.getpid(), **extra})


def _left_by(info: dict) -> str:
    alive = info.get("host") == socket.gethostname() and lock.pid_alive(int(info.get("pid") or 0))
    return f"{lock.describe(info)}{'' if alive else ', no longer running'}"


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=_link)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _json(data: dict) -> str:
    import json

    return json.dumps(data, indent=1, ensure_ascii=False, default=str)


@contextmanager
def _sigterm_as_interrupt():
    """Treat SIGTERM (a scheduler stopping us) like Ctrl-C, so the same cleanup runs."""

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
