"""The console entry point: signals, then the command line.

Ctrl-C ends with 130 and no traceback, even while modules load; SIGTERM ends like it, with 143,
after the files being written are cleaned up (their ``finally`` blocks run).
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    """Console-script entry point (and ``python -m losscli``)."""
    signal.signal(signal.SIGTERM, _terminated)
    # numpy's OpenBLAS would start a spinning thread per core at import; losscli's products are
    # matrix-vector ones, as fast on one thread, and the CSV parse needs the cores (set before numpy loads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.exit(130)


def _terminated(signum: int, frame: object) -> None:
    sys.exit(128 + signum)
