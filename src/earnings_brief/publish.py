"""Atomic publishing: a brief is built in a staging folder and moved into place only when complete.

Each file is swapped in with ``os.replace`` (atomic on one filesystem; staging lives inside the
brief's folder for that reason), the manifest last, with Ctrl-C and SIGTERM held back meanwhile.
A build that fails before this step leaves the published brief byte-identical.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from .errors import AssemblyError

DOCUMENTS = ("brief.pdf", "brief.html")
MANIFEST = "manifest.json"
NOTEBOOKS = "notebooks"


def edition_file(lang: str, ext: str) -> str:
    """The published name of an edition's document: 'brief.html' in English, 'brief.zh-Hant.html'
    beside it for another language."""
    return f"brief.{ext}" if lang == "en" else f"brief.{lang}.{ext}"


def language_dir(brief_dir: Path, lang: str) -> Path:
    """Where an edition is built and kept (manifest, notebooks, editions): the brief's folder in
    English, a sub-folder named after any other language, so each edition is up to date or not
    on its own."""
    return Path(brief_dir) if lang == "en" else Path(brief_dir) / lang


def publish_beside(brief_dir: Path, lang: str) -> list[str]:
    """Put a non-English edition's documents beside the English ones (brief.zh-Hant.html, .pdf),
    each swapped in atomically; unchanged ones are left alone. Returns the names written."""
    if lang == "en":
        return []
    written = []
    for name in DOCUMENTS:
        src = language_dir(brief_dir, lang) / name
        dst = Path(brief_dir) / edition_file(lang, name.rsplit(".", 1)[1])
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        written.append(dst.name)
    return written


def check_staged(staging: Path) -> None:
    """The staged brief is complete: a document not made is an assembly failure (exit 5)."""
    for name in DOCUMENTS:
        path = staging / name
        if not path.is_file() or path.stat().st_size == 0:
            raise AssemblyError("not built, nothing published", file=path)


def publish(staging: Path, brief_dir: Path) -> None:
    """Move the staged notebooks, PDF, HTML and manifest (in that order) into ``brief_dir``."""
    staging, brief_dir = Path(staging), Path(brief_dir)
    check_staged(staging)
    with deferred_signals():
        if (staging / NOTEBOOKS).is_dir():
            _swap_dir(staging / NOTEBOOKS, brief_dir / NOTEBOOKS)
        for name in (*DOCUMENTS, MANIFEST):
            if (staging / name).exists():
                os.replace(staging / name, brief_dir / name)


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old or the new content, never a part."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def deferred_signals():
    """Hold SIGINT and SIGTERM until the block is done, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {s: signal.signal(s, lambda n, _f: received.append(n)) for s in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in received[:1]:
            signal.raise_signal(sig)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _swap_dir(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old.{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
