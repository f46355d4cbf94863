"""One lock file per brief, so two runs for the same company and period never interleave.

The kernel's ``flock`` does the mutual exclusion: it is released when the holder dies, even by
``kill -9``, so a stale lock cannot block anyone. The file's content (pid, host, start time) is
for people: it names the holder while it waits, and a dead pid in it shows a recovered stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import BriefError

POLL_SECONDS = 0.2

# Lock descriptors this process holds; forked pool workers close their copies (see close_inherited).
_held: set[int] = set()


class LockHeld(BriefError):
    """Another run holds the brief's lock for longer than we are willing to wait."""

    exit_code = 4


def holder(path: Path) -> dict:
    """What the lock file says about its holder (empty when unreadable)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def describe(info: dict) -> str:
    if not info:
        return "an unknown process"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('started')}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (used to explain a stale lock)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def acquire(path: Path, *, timeout: float = 300.0, on_wait=None, on_stale=None):
    """Hold the lock at ``path`` for the block; wait up to ``timeout`` seconds, else LockHeld.

    ``on_wait(info)`` is called once if we have to wait; ``on_stale(info)`` when the previous
    holder is gone without releasing (a killed run), which the kernel has already cleaned up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _wait(fd, path, timeout, on_wait)
        previous = holder(path)
        # A clean release empties the file, so content left behind means the holder was killed.
        if previous and on_stale:
            on_stale(previous)
        _write(fd, {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()})
        _held.add(fd)
        try:
            yield
        finally:
            _held.discard(fd)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def close_inherited() -> None:
    """In a forked child: drop the parent's lock descriptors so only the parent holds the lock."""
    for fd in list(_held):
        os.close(fd)
    _held.clear()


def _wait(fd: int, path: Path, timeout: float, on_wait) -> None:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise LockHeld(f"another run holds the lock ({describe(holder(path))})", file=path)
        if not waited and on_wait:
            on_wait(holder(path))
        waited = True
        time.sleep(POLL_SECONDS)


def _write(fd: int, info: dict) -> None:
    data = json.dumps(info).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
