"""Warnings about rows that are counted over every chunk and shard, and said once at the end:
rows ``--dropna`` dropped, quantile predictions that cross, and K-class probability rows that do
not sum to 1.

Each chunk counts its own rows (:class:`RowCount`); a pair adds them up (a state file holds the
sum, and ``merge`` adds states'), so the warning gives the file's count and its first row, not the
count of the chunk where the rows were first met.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

DROPPED = "row(s) with empty or NaN cells dropped (--dropna)"


@dataclass(frozen=True)
class RowCount:
    """``count`` rows a warning is about, and the first of them: its ``row`` number in its ``file``
    (named when there are several) and the ``value`` that made it one (NaN when there is none)."""

    count: int
    row: int
    value: float = math.nan
    file: str | None = None

    def __add__(self, other: RowCount) -> RowCount:
        return replace(self, count=self.count + other.count)  # (the first row stays the first)

    @property
    def where(self) -> str:
        return f"{self.file}, row {self.row}" if self.file else f"row {self.row}"

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "row": self.row, "value": None if math.isnan(self.value) else self.value,
                "file": self.file}


def added(before: RowCount | None, more: RowCount | None) -> RowCount | None:
    """Two counts of one warning added up (either may be None: no such rows)."""
    if before is None or more is None:
        return before if more is None else more
    return before + more


def first_of(flagged: Any, rows: Any, values: Any = None) -> RowCount | None:
    """The rows where ``flagged`` (booleans, one per row evaluated) is true, with the first one's row
    number (``rows``: each row's number in its file) and value (``values``, if given); None if none."""
    found = np.flatnonzero(flagged)
    if not len(found):
        return None
    first = int(found[0])
    return RowCount(len(found), int(rows[first]), math.nan if values is None else float(values[first]))


def notes(name: str, rows: int, dropped: int, crossed: RowCount | None, off_sum: RowCount | None) -> list[str]:
    """The warnings of pair ``name`` (``rows`` evaluated) about its rows, counted over the whole input."""
    said = [f"{dropped} {DROPPED}"] if dropped else []
    if crossed is not None:
        said.append(f"quantile predictions cross on {crossed.count} row(s) of {rows} (first: {crossed.where}; a lower "
                    "level predicted above a higher one); scored as given, and counted by quantile_crossing")
    if off_sum is not None:
        said.append(f"{off_sum.count} prediction row(s) do not sum to 1 ({off_sum.where}: {off_sum.value:.4g}); used "
                    "as they are. Pass --predictions logits if they are scores")
    return [f"{name}: {note}" for note in said]
