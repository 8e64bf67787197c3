"""Exit codes and the exceptions that map to them.

Library code raises :class:`UsageError` or :class:`DataError` with a message that names the file,
column and row and says what to do. Only :mod:`losscli.cli` turns them into a message on standard
error and an exit code; any other exception is a bug (exit 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    OK = 0  # evaluated; every gate passed
    GATE_FAILED = 1  # evaluated; a gate failed
    USAGE = 2  # unknown flag, loss, parameter, task or column name
    DATA = 3  # bad input data
    BUG = 4  # a bug in losscli


class LossCliError(Exception):
    """An error the user can fix; ``str(error)`` is the whole message."""

    exit_code: ClassVar[int] = ExitCode.BUG


class UsageError(LossCliError):
    exit_code = ExitCode.USAGE


class DataError(LossCliError):
    exit_code = ExitCode.DATA


def closest(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    import difflib  # (here: only a wrong name needs it)

    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[match[0]]}'?)" if match else ""


def names_listed(names: list[str], most: int = 20, ends: int = 6) -> str:
    """Column names for a message, comma-separated; of more than ``most`` (a file that keeps its
    features beside its predictions has thousands) the first and last ``ends``, where pandas puts
    the columns added last: ``a, b, … (288 more), y, z``. A name over NAME_CHARS characters is cut
    short with ``…`` (a header of 500 KB in one name made a message of 500 KB)."""
    shown = [name if len(name) <= NAME_CHARS else name[:NAME_CHARS] + "…" for name in names]
    if len(names) <= most:
        return ", ".join(shown)
    return f"{', '.join(shown[:ends])}, … ({len(names) - 2 * ends} more), {', '.join(shown[-ends:])}"


NAME_CHARS = 100  # characters of a column name a message shows


def where(file: str | None = None, column: str | None = None, row: int | None = None) -> str:
    """``file, column 'c', row 3: `` — the place an error is about (rows count from 1)."""
    parts = [file] if file else []
    if column is not None:
        parts.append(f"column '{column}'")
    if row is not None:
        parts.append(f"row {row}")
    return ", ".join(parts) + ": " if parts else ""
