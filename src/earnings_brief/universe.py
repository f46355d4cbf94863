"""Every brief in one build: each company and period under the data folder, or a selection.

Each brief is built by ``build.build`` in a thread of its own, all over one executor
(``executors.open_executor``): the notebooks of every brief share its workers, and a brief's
assembly and PDF are jobs on it too, submitted as soon as that brief's notebooks are done. An
unchanged brief costs what ``build`` costs for it: hashes, no job. A brief that fails does not
stop the others; the summary names it, and the exit code is the first failure's. Then the index.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from . import build, executors
from .dataset import data_root
from .errors import BriefError, DataError, ParameterError

LOG = "universe.log"


@dataclass
class BriefOutcome:
    company: str
    period: str
    status: str  # "built" | "up to date" | "failed" | "interrupted"
    detail: str = ""
    exit_code: int = 0

    @property
    def name(self) -> str:
        return f"{self.company}/{self.period}"


def select(data_dir: Path, only: list[str] | None = None) -> list[tuple[str, str]]:
    """Every (company, period) under ``data_dir``, or those named as ``company/period``."""
    from .dataset import available

    known = [(c, p) for c, periods in available(data_dir).items() for p in periods]
    if not only:
        if not known:
            raise ParameterError(
                "no dataset found", file=data_dir, expected="<company>/<period>/period.toml"
            )
        return known
    names = {f"{c}/{p}": (c, p) for c, p in known}
    for name in only:
        if name not in names:
            raise ParameterError(
                f"unknown brief '{name}'",
                field="--only",
                expected="company/period, one of " + ", ".join(names) if names else "a dataset",
            )
    return [names[name] for name in dict.fromkeys(only)]


def build_all(
    template: build.BuildOptions, briefs, executor, echo=print, *, assemble=None, render_pdf=None
) -> list[BriefOutcome]:
    """Build ``briefs`` over one shared executor, each in a thread; Ctrl-C stops them all.

    ``assemble`` and ``render_pdf`` default to jobs on ``executor`` (see ``build.build``)."""
    outcomes: dict[tuple[str, str], BriefOutcome] = {}
    lock = threading.Lock()

    def say(company: str, period: str):
        def line(text: str) -> None:
            with lock:
                echo(f"{company}/{period}: {text}")

        return line

    def one(company: str, period: str) -> None:
        options = replace(template, company=company, period=period)
        try:
            result = build.build(
                options,
                executor=executor,
                assemble=assemble or executor.assembler(),
                render_pdf=render_pdf or executor.pdf_renderer(),
                echo=say(company, period),
            )
            outcomes[company, period] = BriefOutcome(company, period, result.status)
        except build.Interrupted:
            outcomes[company, period] = BriefOutcome(company, period, "interrupted", "", 130)
        except BriefError as err:
            outcomes[company, period] = BriefOutcome(
                company, period, "failed", err.one_line(), err.exit_code
            )
        except Exception as err:  # a bug in one brief must not hide the others' results
            say(company, period)(traceback.format_exc().rstrip())
            outcomes[company, period] = BriefOutcome(
                company, period, "failed", f"{type(err).__name__}: {err}", 1
            )

    threads = [threading.Thread(target=one, args=brief, daemon=True) for brief in briefs]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        executor.interrupt()
        for thread in threads:
            thread.join(30)
    return [outcomes.get(brief, BriefOutcome(*brief, "interrupted", "", 130)) for brief in briefs]


class _Idle(executors.Shipping):
    """The executor of a universe found up to date: a brief that turned stale meanwhile (data
    edited since the check) fails with one line instead of starting a pool."""

    def __init__(self) -> None:  # no backend, nothing to compare versions with
        self.interrupted = False

    def submit(self, fn, /, *args, **kwargs):
        raise DataError("the inputs changed while the build was checking them; run it again")

    def interrupt(self) -> None:
        self.interrupted = True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


def summary(outcomes: list[BriefOutcome]) -> list[str]:
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    told = ", ".join(f"{n} {status}" for status, n in counts.items())
    lines = [f"{len(outcomes)} brief{'s' if len(outcomes) != 1 else ''}: {told}"]
    lines += [f"FAILED {o.name}: {o.detail}" for o in outcomes if o.status == "failed"]
    return lines


def exit_code(outcomes: list[BriefOutcome]) -> int:
    """0 when every brief is built or up to date; 130 when interrupted; else the first failure's."""
    if any(o.status == "interrupted" for o in outcomes):
        return 130
    return next((o.exit_code for o in outcomes if o.exit_code), 0)


def run(
    template: build.BuildOptions,
    *,
    only: list[str] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    echo=print,
) -> int:
    """The ``build --all`` / ``--only`` command: build, write the index, print the summary."""
    from . import index

    data_dir = data_root(template.data_dir)
    template = replace(template, data_dir=data_dir)
    briefs = select(data_dir, only)
    out = Path(template.out).resolve()
    build.check_out_folder(out, data_dir)  # before the index or the log touches the disk
    out.mkdir(parents=True, exist_ok=True)
    log = build.RunLog(out / LOG, echo)
    log(f"universe: {len(briefs)} briefs from {data_dir}, executor {executor}", console=False)
    if all(build.up_to_date(replace(template, company=c, period=p)) for c, p in briefs):
        # A scheduled run with nothing to do starts no pool and connects to no cluster.
        outcomes = build_all(template, briefs, _Idle(), echo)
    else:
        with executors.open_executor(
            executor, scheduler=scheduler, workers=template.jobs, log_path=out / LOG
        ) as shared:
            outcomes = build_all(template, briefs, shared, echo)
    built = any(o.status != "up to date" for o in outcomes)
    if exit_code(outcomes) != 130 and (built or not (out / index.INDEX).is_file()):
        path = index.write(out, data_dir, select(data_dir))
        log(f"index: {path}")
    for line in summary(outcomes):
        log(line)
    return exit_code(outcomes)
