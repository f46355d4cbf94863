"""Runs and editions of one brief, kept beside it under the output folder.

::

    <out>/<company>/<period>/runs/<id>/       every run: run.log, run.json, executed notebooks
    <out>/<company>/<period>/editions/<id>/   every published brief: brief.html, brief.pdf,
                                              manifest.json, figures.json, run.log

An edition in another language keeps the same under ``<out>/<company>/<period>/<language>/``.
Ids are UTC timestamps, so names sort by time. ``keep`` bounds both folders.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from .publish import language_dir

RUNS = "runs"
EDITIONS = "editions"
RUN_RECORD = "run.json"
EDITION_FILES = ("brief.html", "brief.pdf", "manifest.json")


def new_run(brief_dir: Path) -> tuple[str, Path]:
    """A fresh run id and its folder."""
    while True:
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")[:-4] + "Z"
        run_dir = Path(brief_dir) / RUNS / run_id
        try:
            run_dir.mkdir(parents=True)
            return run_id, run_dir
        except FileExistsError:
            continue


def write_run(run_dir: Path, record: dict) -> None:
    (Path(run_dir) / RUN_RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")


def record_edition(brief_dir: Path, run_id: str, extra: dict[str, Path]) -> Path:
    """Keep the just-published brief as an edition; ``extra`` maps file names to add to paths."""
    edition = Path(brief_dir) / EDITIONS / run_id
    edition.mkdir(parents=True)
    for name in EDITION_FILES:
        _link_or_copy(Path(brief_dir) / name, edition / name)
    for name, path in extra.items():
        if Path(path).exists():
            _link_or_copy(Path(path), edition / name)
    return edition


def editions(brief_dir: Path) -> list[Path]:
    """Published editions, oldest first."""
    folder = Path(brief_dir) / EDITIONS
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def latest_edition(brief_dir: Path) -> Path | None:
    found = editions(brief_dir)
    return found[-1] if found else None


def prune(brief_dir: Path, keep: int, *, current: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` newest editions and runs; never the current run."""
    removed = []
    for folder in (Path(brief_dir) / EDITIONS, Path(brief_dir) / RUNS):
        entries = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        for old in entries[: max(0, len(entries) - max(keep, 1))]:
            if old != current:
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
    return removed


def runs(brief_dir: Path) -> list[dict]:
    """Every recorded run, oldest first, with ``edition`` true when it published one."""
    folder = Path(brief_dir) / RUNS
    published = {p.name for p in editions(brief_dir)}
    found = []
    for run_dir in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            record = json.loads((run_dir / RUN_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {"status": "incomplete (killed or still running)"}
        found.append({"id": run_dir.name, **record, "edition": run_dir.name in published})
    # Editions whose run folder was pruned still belong to the history.
    for name in sorted(published - {r["id"] for r in found}):
        found.append({"id": name, "status": "published", "edition": True})
    return sorted(found, key=lambda r: r["id"])


def languages(brief_dir: Path, known: list[str]) -> list[str]:
    """The ``known`` languages with a history under ``brief_dir``, English first; English alone
    when there is none (its history is then empty)."""
    found = [
        lang
        for lang in sorted(known, key=lambda lang: lang != "en")
        if any((language_dir(brief_dir, lang) / f).is_dir() for f in (RUNS, EDITIONS))
    ]
    return found or ["en"]


def format_editions(by_language: dict[str, list[dict]]) -> str:
    """Each language's history under its name; English alone as ``format_runs`` prints it."""
    if list(by_language) == ["en"]:
        return format_runs(by_language["en"])
    return "\n\n".join(f"{lang}:\n{format_runs(runs)}" for lang, runs in by_language.items())


def format_runs(entries: list[dict]) -> str:
    """The history as a table, one run per line."""
    if not entries:
        return "no runs yet"
    lines = [f"{'run':<22} {'status':<22} {'seconds':>8}  notebooks"]
    for r in entries:
        status = r.get("status", "")
        if r.get("edition"):
            status += " *"
        seconds = f"{r['seconds']:.1f}" if isinstance(r.get("seconds"), int | float) else ""
        lines.append(f"{r['id']:<22} {status:<22} {seconds:>8}  {_notebooks(r)}")
    lines.append("* an edition kept under editions/<run>/")
    return "\n".join(lines)


def _notebooks(record: dict) -> str:
    notebooks = record.get("notebooks") or {}
    parts = [f"{name} {nb.get('status', '')}" for name, nb in notebooks.items()]
    return "; ".join(p for p in (", ".join(parts), record.get("error", "")) if p)


def _link_or_copy(src: Path, dst: Path) -> None:
    # A hard link costs no space; the published file is only ever replaced, never rewritten.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
