"""Several files read in step, chunk by chunk, for ``compare``: each step is one :class:`Frame` per
file, all of the same rows, so memory is bounded by a chunk of each file.

Reading in step is right only when the files list their rows in the same order. It is taken when
nothing could order them otherwise: every column the files share that could join them (an id, as
:func:`~losscli.joins.find_join` would consider it, or ``--on``) holds the same values in every
row of every step, and no file has an id column the others lack. Whatever breaks that (ids in a
different order, files of different lengths) raises :class:`NotInStep`, and the caller reads the
files whole and aligns them by id (:func:`~losscli.joins.align`), which decides or refuses the join.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from .frame import Frame, frame_from_table
from .joins import shared_keys
from .names import is_key_like
from .opening import display_name, is_glob
from .reading import tables


class NotInStep(Exception):
    """The files' rows are not in the same order: they must be read whole and aligned by id."""


def can_step(sources: list[object], labels: object) -> bool:
    """Whether these inputs can be read in step: file paths (not standard input, globs or
    DataFrames), and no labels file to join."""
    return labels is None and all(isinstance(s, str) and s != "-" and not is_glob(s) for s in sources)


@dataclass
class _Key:
    """A column that could join the first file with another: it must hold the same values in both.
    A column that is not named as an id is let go once it repeats a value (it cannot join then)."""

    first: str
    other: str
    strict: bool


def in_step(paths: list[str], on: str | None, delimiter: str | None = None,
            decimal: str | None = None) -> Iterator[list[Frame]]:
    """The files in steps of equal rows: one frame per file (row numbers counted within the file).
    Raises :class:`NotInStep` (at the step where it shows) when their rows are not in one order."""
    names = [display_name(p) for p in paths]
    with ExitStack() as stack:
        readers = [stack.enter_context(closing(tables(p, delimiter, decimal))) for p in paths]
        pending: list[pa.Table | None] = [next(r, None) for r in readers]
        keys: list[list[_Key]] | None = None
        offset = 0
        while True:
            size = max((t.num_rows for t in pending if t is not None), default=0)
            pending = [_topped_up(t, r, size) for t, r in zip(pending, readers)]
            if all(t is None for t in pending):
                return
            if any(t is None for t in pending):
                raise NotInStep("they have different numbers of rows")
            n = min(t.num_rows for t in pending if t is not None)
            frames = [frame_from_table(t.slice(0, n), name, offset) for t, name in zip(pending, names) if t is not None]
            pending = [t.slice(n) if t is not None and t.num_rows > n else None for t in pending]
            pending = [t if t is not None else next(r, None) for t, r in zip(pending, readers)]
            if keys is None:
                keys = [_keys(frames[0], frame, on) for frame in frames[1:]]
            _check(frames, keys)
            yield _with_keys(frames, keys)
            offset += n


def _topped_up(table: pa.Table | None, reader: Iterator[pa.Table], size: int) -> pa.Table | None:
    """``table`` with the reader's next chunks added until it has ``size`` rows (or the file ends),
    so that files of different widths (chunks of different lengths) step in chunks of one size."""
    if table is None:
        return None
    parts = [table]
    rows = table.num_rows
    while rows < size:
        more = next(reader, None)
        if more is None:
            break
        parts.append(more)
        rows += more.num_rows
    if len(parts) == 1:
        return table
    try:
        return pa.concat_tables(parts, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # (JSON lines whose chunks typed a column differently)
        raise NotInStep("their chunks are typed differently") from None


def _keys(first: Frame, other: Frame, on: str | None) -> list[_Key]:
    """The columns of ``other`` that must match ``first``'s row for row; :class:`NotInStep` when a
    file has an id column the other lacks (the join decides what that means)."""
    if on is not None:
        key = on.partition("=")[0]  # (--on PRED=LABELS: both models' files name it PRED)
        if key not in first.columns or key not in other.columns:
            raise NotInStep(f"--on {key}")
        return [_Key(key, key, True)]
    shared = shared_keys(first, other)
    for frame, names in ((first, {a for a, _ in shared}), (other, {b for _, b in shared})):
        alone = [c for c in frame.columns if is_key_like(c) and c not in names]
        if alone:
            raise NotInStep(f"{frame.source} has the id column '{alone[0]}' alone")
    return [_Key(a, b, is_key_like(a)) for a, b in shared]


def _check(frames: list[Frame], keys: list[list[_Key]]) -> None:
    first = frames[0]
    for frame, shared in zip(frames[1:], keys):
        for key in list(shared):
            mine, theirs = first.column(key.first).data, frame.column(key.other).data
            if mine.equals(theirs):
                continue
            if not key.strict and (_repeats(mine) or _repeats(theirs)):
                shared.remove(key)
                continue
            raise NotInStep(f"'{key.first}' lists the rows in a different order in {frame.source}")


def _repeats(values: pa.Array) -> bool:
    return bool(pc.count_distinct(values, mode="all").as_py() < len(values))


def _with_keys(frames: list[Frame], keys: list[list[_Key]]) -> list[Frame]:
    """Each other file's frame with its id column named as its key (not paired, as a join's key is not)."""
    named = [frames[0]]
    for frame, shared in zip(frames[1:], keys):
        strict = [k.other for k in shared if k.strict]
        named.append(replace(frame, key=strict[0]) if strict else frame)
    return named
