"""``--group-by``: every loss's sums per group value, as arrays over group codes.

Each row's group (its group cell as text, stripped; empty cells are the group EMPTY, shown as
MISSING_GROUP) is found by one Arrow hash pass over the chunk (:class:`GroupCoder`), new values are
appended, and every loss adds its per-row terms to its groups with ``np.bincount``
(:func:`losscli.registry.sum_terms`): no Python loop or object per row or group while reading.
Two tables (shards, states) merge by matching their values the same way (Arrow's ``index_in``).
Arrow arrays are never built from Python values here (``pa.array`` imports pandas, a fifth of a
second).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .errors import DataError, where
from .frame import Frame, _one_array, _valid, arrow_numbers, arrow_strings, indices, to_numpy
from .reading import Prefetched
from .sums import GroupSums, Partial

MISSING_GROUP = "(missing)"  # the group of rows whose group cell is empty, as reports name it
EMPTY = ""  # that group as tables and state files hold it: no cell's text (stripped) is empty
_EMPTY = arrow_strings([EMPTY])


@dataclass(frozen=True)
class ChunkGroups:
    """A chunk's rows' groups: ``values``, the groups met so far (each once, in the order met), and
    each row's index among them (``codes``)."""

    values: pa.Array
    codes: np.ndarray


class GroupCoder:
    """The groups of a file's rows by ``column``, chunk by chunk.

    Each cell's text is looked up among the texts met before (Arrow's ``index_in``: a hash lookup
    per row); a new text, stripped, is matched to the groups (so " a" and "a" are one group). An
    empty cell, a blank one or a float NaN is the group EMPTY (see :func:`shown_names`).
    """

    def __init__(self, column: str) -> None:
        self.column = column
        self.groups = GroupTable()  # the groups met
        self._texts = arrow_strings([])  # every cell text met, each once
        self._group_of = np.zeros(0, dtype=np.intp)  # the group of each of them (−1: blank)

    def code(self, frame: Frame) -> ChunkGroups:
        import pyarrow.compute as pc  # (here: importing it costs every eval a tenth of a second)

        col = frame.column(self.column)
        data = _one_array(col.data)
        text = _as_text(data, frame, self.column)
        rows = indices(pc.index_in(text, value_set=self._texts))  # −1: an empty cell, or a new text
        new = (rows < 0) & _valid(text)
        if new.any():  # texts not met before: added, each once, with their rows' index among them
            start = len(self._texts)
            added = _distinct(text.take(arrow_numbers(np.flatnonzero(new))))
            self._add(added.dictionary)
            rows[new] = start + indices(added.indices)
        codes = self._group_of[rows] if len(self._group_of) else rows  # (−1 picks the last: missing below)
        missing = (rows < 0) | (codes < 0)
        if pa.types.is_floating(data.type):
            missing |= np.isnan(col.floats)
        if missing.any():
            codes[missing] = self.groups.place(_EMPTY)[0]
        return ChunkGroups(self.groups.known, codes)

    def _add(self, texts: pa.Array) -> None:
        """New cell texts, and their groups: each stripped, blank ones −1."""
        import pyarrow.compute as pc

        stripped = pc.utf8_trim_whitespace(texts)
        kept = np.flatnonzero(to_numpy(pc.utf8_length(stripped)) > 0)
        groups = np.full(len(texts), -1, dtype=np.intp)
        groups[kept] = self.groups.place(stripped.take(arrow_numbers(kept)))
        self._texts = pa.concat_arrays([self._texts, texts])
        self._group_of = np.concatenate([self._group_of, groups])


def shown_names(names: list[str], rows: np.ndarray, column: str) -> list[str]:
    """Group names as reports show them: EMPTY as MISSING_GROUP. A column that also holds the text
    MISSING_GROUP is refused, on whatever path its rows came (chunks, shards, Dask, merged states):
    the two would be one group (groups without rows evaluated, all dropped, do not count)."""
    if EMPTY not in names:
        return names
    present = {name for name, count in zip(names, rows.tolist()) if count}
    if EMPTY in present and MISSING_GROUP in present:
        raise DataError(f"column '{column}': --group-by: the column holds empty cells and the text '{MISSING_GROUP}', "
                        "the name of the group of empty cells, so the two would be one group; rename that text")
    return [MISSING_GROUP if name == EMPTY else name for name in names]


def _distinct(values: pa.Array) -> pa.DictionaryArray:
    """``values`` each once (``dictionary``, in the order met; a null too) and the index of each
    among them (``indices``): one hash pass (Arrow's ``dictionary_encode``)."""
    import pyarrow.compute as pc

    return pc.dictionary_encode(values, null_encoding="encode")


def _as_text(data: pa.Array, frame: Frame, column: str) -> pa.Array:
    """A group column's cells as text, as Arrow writes them: numbers, dates, booleans; −0.0 as 0.0
    (one group, as the numbers are equal). Lists, structs, intervals and bytes that are not UTF-8 are
    refused."""
    import pyarrow.compute as pc

    if data.type == pa.string():
        return data
    if pa.types.is_nested(data.type) or pa.types.is_interval(data.type):
        raise DataError(f"{where(frame.source, column)}--group-by needs a column of text, numbers, dates or booleans, "
                        f"not of {data.type}")
    if pa.types.is_floating(data.type):
        data = data.cast(pa.float32()) if data.type == pa.float16() else data  # (Arrow cannot add half floats)
        data = pc.add(data, pa.scalar(0.0, data.type))  # (−0.0 + 0.0 is 0.0; every other value is itself)
    try:
        return data.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise DataError(f"{where(frame.source, column)}--group-by: values that are not UTF-8 text; save the column "
                        "as UTF-8 text") from None


def coded_ahead(frames: Iterator[Frame], column: str) -> Generator[tuple[Frame, ChunkGroups | None]]:
    """Each frame with its rows' groups by ``column`` (a :class:`ChunkGroups`, or None when the frame
    has no such column), gathered and coded on a thread of its own while the frames before it are
    scored (Arrow's hash lookups release the GIL). The frames after the first are gathered once the
    first has been planned, after the columns used are chosen, so that where the chunks end does
    not depend on timing (see :func:`~losscli.reading.gathered`). An error reading a frame is
    raised after the frames before it are handed on.

    A speed trick, kept because it pays: on the 3M rows with 100k users of ``make bench``, looking
    the groups up took 1.3 s of the main thread's 2.2 s (cProfile); coded here, the run took 2.19 s
    instead of 2.47 s (medians of 6 interleaved runs), with the same peak memory."""
    import threading

    coder = GroupCoder(column)  # (used by that thread alone)
    planned = threading.Event()  # the first frame handed on, and planned

    def coded(frame: Frame) -> tuple[Frame, ChunkGroups | None]:
        # (a frame without the column gets None: the evaluation names what it lacks, in its own order)
        return frame, coder.code(frame) if column in frame.columns else None

    def produce() -> Iterator[tuple[Frame, ChunkGroups | None]]:
        chunks = iter(frames)
        first = next(chunks, None)
        if first is not None:
            yield coded(first)
            planned.wait()
            yield from map(coded, chunks)

    ahead = Prefetched(produce(), depth=2)
    try:
        first = next(ahead, None)
        if first is not None:
            yield first
            planned.set()  # (asked for the next frame: the first one is planned)
            yield from ahead
    finally:
        planned.set()  # (a producer waiting for the plan goes on, and stops)
        ahead.close()


@dataclass
class GroupTable:
    """One pair's groups: their values in order of first appearance (``known``, in Arrow), the rows
    of each, and each loss's :class:`GroupSums` (one entry per group; a loss that was skipped has
    none). A value met in a chunk but in no row evaluated (rows dropped) has 0 rows, and no result."""

    known: pa.Array = field(default_factory=lambda: arrow_strings([]))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sums: dict[str, GroupSums] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.known)

    @property
    def names(self) -> list[str]:
        return self.known.to_pylist()

    def codes(self, values: pa.Array, codes: np.ndarray, distinct: bool = False) -> np.ndarray:
        """Each row's group in this table, from a chunk's ``codes`` into its ``values``;
        the values not seen before are appended, and the rows counted. ``distinct`` values (each
        once: a :class:`ChunkGroups`'s) that begin with this table's are taken as they are."""
        if distinct and len(values) >= self.size and (values is self.known or
                                                       values.slice(0, self.size).equals(self.known)):
            self.known, rows = values, codes
        else:
            rows = self.place(values)[codes]
        self.rows = _grown(self.rows, self.size) + np.bincount(rows, minlength=self.size)
        return rows

    def place(self, values: pa.Array) -> np.ndarray:
        """The group of each of ``values``: a hash lookup among the values seen (Arrow's
        ``index_in``, where a null matches a null); new ones appended."""
        import pyarrow.compute as pc

        found = indices(pc.index_in(values, value_set=self.known))
        new = found < 0
        if new.any():
            added = _distinct(values.take(arrow_numbers(np.flatnonzero(new))))
            found[new] = self.size + indices(added.indices)
            self.known = pa.concat_arrays([self.known, added.dictionary])
        return found

    def add(self, loss: str, sums: GroupSums) -> None:
        """Add a chunk's sums of ``loss`` (one entry per group of the table so far)."""
        before = self.sums.get(loss)
        self.sums[loss] = sums if before is None else _grown_sums(before, self.size) + sums

    def merge(self, other: GroupTable) -> GroupTable:
        """Both tables' groups: ``other``'s values matched to these, new ones appended."""
        merged = GroupTable(self.known, self.rows.copy(), dict(self.sums))
        if not other.size:
            return merged
        codes = merged.place(other.known)
        merged.rows = _grown(merged.rows, merged.size)
        np.add.at(merged.rows, codes, other.rows)
        for loss, sums in other.sums.items():
            placed = _placed(_grown_sums(sums, other.size), codes, merged.size)
            mine = merged.sums.get(loss)
            merged.sums[loss] = placed if mine is None else _grown_sums(mine, merged.size) + placed
        return merged

    def loss_sums(self, loss: str) -> GroupSums | None:
        """``loss``'s sums over every group (zeros for groups added after it was last summed)."""
        sums = self.sums.get(loss)
        return None if sums is None else _grown_sums(sums, self.size)

    @classmethod
    def from_partials(cls, rows: dict[str, int], partials: dict[str, dict[str, Partial]]) -> GroupTable:
        """A table from per-group counts and per-loss, per-group :class:`Partial` sums (a state file's)."""
        table = cls(arrow_strings(list(rows)), np.array(list(rows.values()), dtype=np.int64))
        index = {name: g for g, name in enumerate(rows)}
        for loss, groups in partials.items():
            if not groups:
                continue
            first = next(iter(groups.values()))
            sums = GroupSums(np.zeros(len(index)), np.zeros(len(index)),
                             None if first.class_sums is None else np.zeros((len(index), len(first.class_sums))),
                             None if first.class_weights is None else np.zeros((len(index), len(first.class_weights))),
                             None if first.maximum is None else np.full(len(index), -np.inf))
            for name, part in groups.items():
                g = index[name]
                sums.weighted_sum[g], sums.weight[g] = part.weighted_sum, part.weight
                if sums.maximum is not None and part.maximum is not None:
                    sums.maximum[g] = part.maximum
                if sums.class_sums is not None and part.class_sums is not None:
                    sums.class_sums[g] = part.class_sums
                if sums.class_weights is not None and part.class_weights is not None:
                    sums.class_weights[g] = part.class_weights
            table.sums[loss] = sums
        return table


def _grown(values: np.ndarray, size: int, fill: float = 0.0) -> np.ndarray:
    """``values`` with ``fill`` (zeros) appended along the first axis up to ``size``."""
    if len(values) >= size:
        return values
    return np.concatenate([values, np.full((size - len(values),) + values.shape[1:], fill, dtype=values.dtype)])


def _grown_sums(sums: GroupSums, size: int) -> GroupSums:
    """``sums`` for ``size`` groups: the new ones empty (sums 0, maxima −inf)."""
    if len(sums.weight) >= size:
        return sums
    cs, cw, top = sums.class_sums, sums.class_weights, sums.maximum
    return GroupSums(_grown(sums.weighted_sum, size), _grown(sums.weight, size),
                     None if cs is None else _grown(cs, size), None if cw is None else _grown(cw, size),
                     None if top is None else _grown(top, size, -np.inf))


def _placed(sums: GroupSums, codes: np.ndarray, size: int) -> GroupSums:
    """``sums`` (one entry per code) moved to positions ``codes`` of ``size`` groups."""
    def put(values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full((size,) + values.shape[1:], fill)
        out[codes] = values
        return out

    cs, cw, top = sums.class_sums, sums.class_weights, sums.maximum
    return GroupSums(put(sums.weighted_sum), put(sums.weight), None if cs is None else put(cs),
                     None if cw is None else put(cw), None if top is None else put(top, -np.inf))
