"""The console entry point: signals, the read of ``eval FILE`` begun early, then the command line.

Ctrl-C ends with 130 and no traceback, even while modules load; SIGTERM ends like it, with 143,
after the files being written are cleaned up (their ``finally`` blocks run).

A speed trick, kept because it pays: for ``losscli eval FILE ...`` the file starts streaming
(pyarrow parses it on other cores, off the GIL) before typer and the rest of losscli load, so
that start-up overlaps the parse instead of preceding it. Without it the 3M-row binary file of
``make bench`` took 23 % longer (0.73 -> 0.90 s, medians of 9 interleaved runs; 0.1-0.2 s on every
large file). It is begun only when the arguments leave no doubt about what ``eval`` will read
(FILE first after ``eval``, an existing file, no option that changes how it is read); ``eval``
takes it up (:class:`losscli.reading.StartedRead`, handed over as the command's context object),
and anything else leaves it to be closed here. With ``--labels LABELS`` (an existing file) the
labels file is also read, whole, on a thread of its own (:mod:`losscli.join_stream` streams the
predictions past it): the 3M + 3M-row join of ``make bench``, then with both files read whole,
took 1.46-1.72 s instead of 1.68-2.19 s (4 interleaved runs each).

The other kept trick is :func:`_reuse_freed_memory` (glibc's ``mallopt``): without it the same file
took 16 % longer at best (0.57 -> 0.68 s, fastest of 21 interleaved runs; 0.74 -> 0.92 s on the
3M-row file of text labels).
"""

from __future__ import annotations

import os
import signal
import sys

# the options that change what eval reads (or that it reads at all)
NOT_STREAMED = ("--delimiter", "--decimal", "--engine", "--help", "-h")


def main() -> None:
    """Console-script entry point (and ``python -m losscli``)."""
    signal.signal(signal.SIGTERM, _terminated)
    _reuse_freed_memory()
    # numpy's OpenBLAS would start a spinning thread per core at import; losscli's products are
    # matrix-vector ones, as fast on one thread, and the CSV parse needs the cores (set before numpy loads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        files = files_read_early(sys.argv[1:])
        if files is None:
            from .cli import main as cli_main

            cli_main()
            return
        from .reading import StartedRead

        path, labels = files
        groups = _values_given(sys.argv[2:], "--group-by")[-1:]  # (read as text: see csv_stream.ColumnChoice)
        started = StartedRead.streamed(path, tuple(groups)) if labels is None else StartedRead.joined(path, labels)
        try:
            from .cli import main as cli_main

            cli_main(started)
        finally:
            started.close()
    except KeyboardInterrupt:
        sys.exit(130)


def _terminated(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _reuse_freed_memory() -> None:
    """Have glibc keep freed memory for reuse instead of handing it back to the system.

    By default glibc maps every allocation over 128 KiB afresh and trims the heap as soon as a few
    MiB are free, so the arrays of each chunk are paged in again. A CLI process is short and its
    memory is bounded by the chunk, so it can keep what it frees (allocations over 64 MiB are still
    mapped and returned). Not done by ``losscli.evaluate``: a library does not change its host's
    allocator.
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


def files_read_early(args: list[str]) -> tuple[str, str | None] | None:
    """The FILE of ``eval FILE ...`` when eval will surely read it as it is, and the LABELS of
    ``--labels LABELS`` when given once (an existing file; then it is read whole), else None."""
    if len(args) < 2 or args[0] != "eval" or args[1] == "-" or args[1].startswith("-"):
        return None
    if any(arg.split("=")[0] in NOT_STREAMED for arg in args[2:]):
        return None
    path = args[1]
    if not os.path.isfile(path):
        return None
    labels = _values_given(args[2:], "--labels")
    if not labels:
        return path, None
    return (path, labels[0]) if len(labels) == 1 and os.path.isfile(labels[0]) else None


def _values_given(args: list[str], option: str) -> list[str]:
    """The value of each ``OPTION X`` and ``OPTION=X`` in ``args``."""
    found = []
    for k, arg in enumerate(args):
        if arg == option and k + 1 < len(args):
            found.append(args[k + 1])
        elif arg.startswith(option + "="):
            found.append(arg.split("=", 1)[1])
    return found
