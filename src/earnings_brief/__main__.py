"""``python -m earnings_brief``: the same command line as ``earnings-brief``."""

from .cli import console

console()
