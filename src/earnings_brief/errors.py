"""The one exception type meant for users: a clear, single-line message, never a traceback."""

from __future__ import annotations

import errno
import re


class BriefError(Exception):
    """Bad input or a failed build, described for the person who can fix it.

    ``file``, ``line`` and ``field`` locate the problem; ``expected`` says what would be right.
    ``exit_code`` is what the command line exits with (see the README's table).
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: object = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.expected = expected
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.file or ""
        if self.file and self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, f"field '{self.field}'" if self.field else "") if p]
        text = (": ".join(parts) + ": " if parts else "") + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        # A value read from a file may hold a line break; the message stays on one line.
        return re.sub(r"\s*[\r\n]+\s*", " ", text)

    # IPython calls this instead of printing a traceback, so notebooks show the one line too.
    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self.one_line()}"]


class DataError(BriefError):
    """A dataset is missing, malformed or inconsistent."""

    exit_code = 2


class ParameterError(BriefError):
    """A notebook or command parameter has the wrong type or an unknown value."""

    exit_code = 2


class StorageError(BriefError):
    """The machine refused a write or a read: a full or read-only disk, no permission (exit 6)."""

    exit_code = 6


# What a write can meet that is the machine's state, not a bug: one line and exit 6, no traceback.
STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a path on the way is a file, not a folder",
    errno.EISDIR: "a folder is in the way of a file",
}


def storage_failure(err: BaseException) -> StorageError | None:
    """The StorageError an OSError means (its cause or context included), or None for a bug."""
    while err is not None:
        if isinstance(err, OSError) and err.errno in STORAGE_ERRNOS:
            failure = StorageError(
                f"{STORAGE_ERRNOS[err.errno]}; nothing published",
                file=err.filename,
                expected="a readable data folder and a writable output folder with free space",
            )
            failure.errno = err.errno
            return failure
        err = err.__cause__ or err.__context__
    return None


class AssemblyError(BriefError):
    """The brief cannot be assembled or rendered: a notebook failed, is missing, or is not
    self-contained, or the HTML or PDF could not be made."""

    exit_code = 5
