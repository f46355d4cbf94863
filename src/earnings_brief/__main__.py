"""``python -m earnings_brief``: the same command line as ``earnings-brief``."""

import sys

from .cli import main

sys.exit(main())
