"""Writing a file atomically: a temporary file beside it, then a rename.

A reader sees the old file or the new one, never a part; a failed run leaves the old file and no
temporary one, even when Ctrl-C or SIGTERM comes as it is made (but after ``kill -9``, which nothing
can catch). The new file gets the mode the old one had, or the one the umask gives a new file
(``mkstemp`` alone would make it 0600).
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UsageError


def write_atomically(path: str, data: str | bytes | Iterable[bytes], flag: str = "--output") -> None:
    """Write ``data`` (text, bytes or pieces of bytes) to ``path`` atomically (``flag`` names the
    option in messages)."""
    pieces = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    with replacing(path, flag) as tmp, open(tmp, "wb") as handle:
        for piece in pieces:
            handle.write(piece)


@contextmanager
def replacing(path: str, flag: str) -> Iterator[str]:
    """A temporary file beside ``path`` to write; it replaces ``path`` when the block ends without
    an error, and is removed otherwise. A folder, a place that cannot be written or a full disk is
    a usage error naming ``flag``."""
    target = Path(path)
    if target.is_dir():
        example = {"--junit": "losscli.xml", "--state": "state.json"}.get(flag, "report.json")
        raise UsageError(f"{flag} {path}: is a folder; give a file name, e.g. {flag} {target / example}")
    tmp = None
    try:
        with signals_deferred():  # (a signal as the file is made: raised once ``tmp`` names it)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            except OSError as error:
                raise UsageError(f"{flag} {path}: cannot write there ({error.strerror})") from None
        os.close(fd)
        try:
            yield tmp
            os.chmod(tmp, _mode(target))
            os.replace(tmp, target)
        except OSError as error:
            raise UsageError(f"{flag} {path}: cannot write it ({error.strerror})") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back while the block runs, then handled as they would have been:
    a temporary file and the cleanup that removes it come into being together, with no signal
    between the two (a signal handler runs between any two steps of the main thread). Elsewhere than
    in the main thread, which alone handles signals, the block just runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {signum: signal.signal(signum, lambda signum, _: caught.append(signum)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for number in caught:
            signal.raise_signal(number)  # (its own handler, restored, takes it now)


def _mode(target: Path) -> int:
    """The mode of the file replaced, or of a new file under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
