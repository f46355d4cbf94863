"""Every brief in one build: each company and period under the data folder, or a selection,
in each language asked for.

Each edition (a brief in one language) is built by ``build.build`` in a thread of its own, all
over one executor (``executors.open_executor``): the notebooks of every edition share its workers,
and an edition's assembly and PDF are jobs on it too, submitted as soon as its notebooks are done.
The briefs with the largest datasets go first (``heaviest_first``): the last brief's assembly and
PDF, which nothing else is left to run beside, are then a small one's.
An unchanged edition costs what ``build`` costs for it: hashes, no job. One that fails does not
stop the others; the summary names it, and the exit code is the first failure's. Then the index.
``universe.log`` in the output folder keeps the run's lines; each run starts a fresh one and the
logs of the runs before it move to ``universe.log.1`` (the newest) … up to ``--keep`` logs.
"""

from __future__ import annotations

import os
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
    language: str = "en"

    @property
    def name(self) -> str:
        return edition_name(self.company, self.period, self.language)


def edition_name(company: str, period: str, language: str) -> str:
    """'sensetime/FY2024' for the English edition, 'sensetime/FY2024 (zh-Hant)' for another."""
    return f"{company}/{period}" + ("" if language == "en" else f" ({language})")


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


def heaviest_first(data_dir: Path, briefs) -> list[tuple[str, str]]:
    """``briefs``, those with the most data first (in bytes: more figures, more charts and
    tables to draw, set and print), else in the order given."""
    from .dataset import dataset_files

    def size(brief: tuple[str, str]) -> int:
        try:
            return sum(p.stat().st_size for p in dataset_files(*brief, data_dir))
        except OSError:  # a missing dataset fails in its own build, with its own message
            return 0

    return sorted(briefs, key=size, reverse=True)


def editions(briefs, languages) -> list[tuple[str, str, str]]:
    """(company, period, language) for every brief in every language, a brief's together."""
    return [(company, period, lang) for company, period in briefs for lang in languages]


def build_all(
    template: build.BuildOptions,
    briefs,
    executor,
    echo=print,
    *,
    languages=None,
    assemble=None,
    render_pdf=None,
) -> list[BriefOutcome]:
    """Build ``briefs`` in each of ``languages`` (default: the template's) over one shared
    executor, each edition in a thread; Ctrl-C stops them all.

    ``assemble`` and ``render_pdf`` default to jobs on ``executor`` (see ``build.build``)."""
    wanted = editions(briefs, languages or [template.language])
    ordered = heaviest_first(data_root(template.data_dir), briefs)
    executor.rank(ordered)
    outcomes: dict[tuple[str, str, str], BriefOutcome] = {}
    lock = threading.Lock()

    def say(*edition: str):
        def line(text: str) -> None:
            with lock:
                echo(f"{edition_name(*edition)}: {text}")

        return line

    def one(company: str, period: str, lang: str) -> None:
        options = replace(template, company=company, period=period, language=lang)
        edition = (company, period, lang)
        try:
            result = build.build(
                options,
                executor=executor,
                assemble=assemble or executor.assembler(),
                render_pdf=render_pdf or executor.pdf_renderer(),
                echo=say(*edition),
            )
            outcomes[edition] = BriefOutcome(company, period, result.status, language=lang)
        except build.Interrupted:
            outcomes[edition] = BriefOutcome(company, period, "interrupted", "", 130, lang)
        except BriefError as err:
            outcomes[edition] = BriefOutcome(
                company, period, "failed", err.one_line(), err.exit_code, lang
            )
        except Exception as err:  # a bug in one brief must not hide the others' results
            say(*edition)(traceback.format_exc().rstrip())
            outcomes[edition] = BriefOutcome(
                company, period, "failed", f"{type(err).__name__}: {err}", 1, lang
            )

    first = editions(ordered, languages or [template.language])
    threads = [threading.Thread(target=one, args=e, daemon=True) for e in first]
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
    interrupted = lambda c, p, lang: BriefOutcome(c, p, "interrupted", "", 130, lang)  # noqa: E731
    return [outcomes.get(e) or interrupted(*e) for e in wanted]


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
    noun = "brief" if {o.language for o in outcomes} <= {"en"} else "edition"
    lines = [f"{len(outcomes)} {noun}{'s' if len(outcomes) != 1 else ''}: {told}"]
    lines += [f"FAILED {o.name}: {o.detail}" for o in outcomes if o.status == "failed"]
    return lines


def exit_code(outcomes: list[BriefOutcome]) -> int:
    """0 when every brief is built or up to date; 130 when interrupted; else the first failure's."""
    if any(o.status == "interrupted" for o in outcomes):
        return 130
    return next((o.exit_code for o in outcomes if o.exit_code), 0)


def rotate(path: Path, keep: int) -> None:
    """Make room for a new run's log at ``path``: it becomes ``path.1``, ``path.1`` becomes
    ``path.2`` and so on, so that with the new one ``keep`` logs remain."""
    path = Path(path)
    numbered = {
        int(p.name.rsplit(".", 1)[1]): p
        for p in path.parent.glob(f"{path.name}.*")
        if p.name.rsplit(".", 1)[1].isdigit()
    }
    for n in sorted(numbered, reverse=True):
        if n >= keep - 1:
            numbered[n].unlink()
        else:
            os.replace(numbered[n], path.with_name(f"{path.name}.{n + 1}"))
    if path.exists():
        if keep > 1:
            os.replace(path, path.with_name(f"{path.name}.1"))
        else:
            path.unlink()


def run(
    template: build.BuildOptions,
    *,
    only: list[str] | None = None,
    languages: list[str] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    echo=print,
) -> int:
    """The ``build --all`` / ``--only`` command: build every edition, write the index, print the
    summary. ``languages`` defaults to the template's."""
    from . import index

    languages = list(dict.fromkeys(languages or [template.language]))
    data_dir = data_root(template.data_dir)
    template = replace(template, data_dir=data_dir)
    briefs = select(data_dir, only)
    for lang in languages:
        build.check_options(replace(template, language=lang))
    out = template.out_dir
    build.check_out_folder(out, data_dir)  # before the index or the log touches the disk
    out.mkdir(parents=True, exist_ok=True)
    rotate(out / LOG, template.keep)
    log = build.RunLog(out / LOG, echo)
    told = f"{len(briefs)} briefs in {', '.join(languages)} from {data_dir}, executor {executor}"
    log(f"universe: {told}", console=False)
    wanted = editions(briefs, languages)
    if all(build.up_to_date(replace(template, company=c, period=p, language=lang))
           for c, p, lang in wanted):  # fmt: skip
        # A scheduled run with nothing to do starts no pool and connects to no cluster.
        outcomes = build_all(template, briefs, _Idle(), echo, languages=languages)
    else:
        with executors.open_executor(
            executor, scheduler=scheduler, workers=template.jobs, log_path=out / LOG
        ) as shared:
            outcomes = build_all(template, briefs, shared, echo, languages=languages)
    built = any(o.status != "up to date" for o in outcomes)
    if exit_code(outcomes) != 130 and (built or not (out / index.INDEX).is_file()):
        path = index.write(out, data_dir, select(data_dir))
        log(f"index: {path}")
    for line in summary(outcomes):
        log(line)
    return exit_code(outcomes)
