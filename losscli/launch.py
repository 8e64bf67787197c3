"""The console entry point: the process set-up, and the file's read begun before the CLI loads.

For ``losscli eval FILE ...`` the file starts streaming (pyarrow parses it on other cores, off the
GIL) before typer is imported and the command built, so that start-up work overlaps the parse
instead of preceding it. The read is only begun when the arguments leave no doubt about what
``eval`` will read: FILE is the first argument after ``eval`` and an existing file, and no option
changes how it is read (``--delimiter``, ``--decimal``, ``--labels``, ``--engine``) or asks for help. The CLI takes
the stream up as if it had begun it; an error, or a command that does not take it, closes it.
"""

from __future__ import annotations

import os
import sys

NOT_STREAMED = ("--delimiter", "--decimal", "--labels", "--engine", "--help", "-h")  # options that change what eval reads


def main() -> None:
    """Console-script entry point (and ``python -m losscli``): Ctrl-C ends with 130 and no
    traceback, even while modules load; SIGTERM ends like it, with 143, after the files being
    written are cleaned up (their ``finally`` blocks run)."""
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    try:
        _main()
    except KeyboardInterrupt:
        sys.exit(130)


def _terminated(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _main() -> None:
    _reuse_freed_memory()
    # numpy's OpenBLAS would start a thread per core at import, which spin; losscli's products are
    # matrix-vector ones, as fast on one thread, and the parse needs the cores (before numpy loads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    early = file_read_early(sys.argv[1:])
    if early is None:
        _run()
        return
    from .reading import reading_ahead

    with reading_ahead(early):
        _run()


def _run() -> None:
    from .cli import main as cli_main

    cli_main()


def file_read_early(args: list[str]) -> str | None:
    """The FILE of ``eval FILE ...`` when eval will surely stream it as it is, else None."""
    if len(args) < 2 or args[0] != "eval" or args[1] == "-" or args[1].startswith("-"):
        return None
    if any(arg.split("=")[0] in NOT_STREAMED for arg in args[2:]):
        return None
    path = args[1]
    return path if os.path.isfile(path) else None


def _reuse_freed_memory() -> None:
    """Have glibc keep freed memory for reuse instead of handing it back to the system.

    By default glibc maps every allocation over 128 KiB afresh and trims the heap as soon as a few
    MiB are free, so the arrays of each chunk are paged in again (a few per cent of an eval's time
    with 1 MiB blocks, a third with blocks twice that). A CLI process is short and its memory is
    bounded by the chunk, so it can keep what it frees (allocations over 64 MiB are still mapped and
    returned). Not done by ``losscli.evaluate``: a library does not change its host's allocator.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 64 << 20)
    mallopt(m_trim_threshold, 128 << 20)
