"""``--group-by``: every loss's sums per group value, as arrays over group codes.

A chunk's group values (its group column as text, stripped, dictionary-encoded by Arrow; empty
cells are the group MISSING_GROUP) are matched to the values seen before by a hash lookup (Arrow's
``index_in``), new values are appended, and every loss adds its per-row terms to its groups with
``np.bincount`` (:func:`losscli.registry.sum_terms`): no Python loop or object per row or group
while reading. Two tables (shards, states) merge by matching their values the same way. Arrow
arrays are never built from Python values here (``pa.array`` imports pandas, a fifth of a second).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .frame import Frame, _is_string_type, _one_array, arrow_strings, indices, to_numpy
from .sums import GroupSums, Partial

MISSING_GROUP = "(missing)"  # the group of rows whose group cell is empty
_MISSING = arrow_strings([MISSING_GROUP])


def chunk_groups(frame: Frame, column: str, positions: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """A chunk's group values (text, stripped, so that two may be equal; MISSING_GROUP last, for
    empty cells) and the index among them of each row at ``positions`` (the rows evaluated)."""
    import pyarrow.compute as pc  # (here: importing it costs every eval a tenth of a second)

    col = frame.column(column)
    data = _one_array(col.data)
    encoded = (data if _is_string_type(data.type) else data.cast(pa.string())).dictionary_encode()
    # stripped after encoding (the distinct values, not every row's); values equal once stripped
    # are one group, as GroupTable.place matches by value
    dictionary = pc.utf8_trim_whitespace(encoded.dictionary.cast(pa.string()))
    codes = indices(encoded.indices)
    empty = np.append(to_numpy(pc.utf8_length(dictionary)) == 0, True)  # (the last: a null cell's −1)
    missing = empty[codes]
    if pa.types.is_floating(data.type):
        missing |= np.isnan(col.floats)
    codes = np.where(missing, len(dictionary), codes)[positions]
    return pa.concat_arrays([dictionary, _MISSING]), codes


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
        return [str(name) for name in self.known.to_pylist()]

    def codes(self, values: pa.Array, codes: np.ndarray) -> np.ndarray:
        """Each row's group in this table, from a chunk's ``codes`` into its ``values``;
        the values not seen before are appended, and the rows counted."""
        rows = self.place(values)[codes]
        self.rows = _grown(self.rows, self.size) + np.bincount(rows, minlength=self.size)
        return rows

    def place(self, values: pa.Array) -> np.ndarray:
        """The group of each of ``values``: a hash lookup among the values seen (Arrow's
        ``index_in``); new ones appended."""
        import pyarrow.compute as pc

        found = pc.index_in(values, value_set=self.known)
        if found.null_count:
            self.known = pa.concat_arrays([self.known, pc.unique(values.filter(pc.is_null(found)))])
            found = pc.index_in(values, value_set=self.known)
        return indices(found)

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
