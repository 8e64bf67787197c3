"""Summable statistics of a loss over some rows: :class:`Partial` (one set of rows) and
:class:`GroupSums` (many groups at once), with :class:`Skip`, the reason a loss was not computed.
Two parts of the data merge by adding: chunks of a file, shards, a state merged with another; the
largest term of a loss with the ``max`` reduction (``maximum``) merges by taking the larger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Skip:
    """Why a loss was not computed: ``message``, after ``count`` rows when it counts rows (``Skip("zero
    label(s); mape divides by the label", 3)`` reads "3 zero label(s); …"). Two parts of the data
    skipped for the same reason add their counts."""

    message: str
    count: int | None = None

    def __str__(self) -> str:
        return self.message if self.count is None else f"{self.count} {self.message}"

    def __add__(self, other: Skip) -> Skip:
        if self.count is not None and other.count is not None and self.message == other.message:
            return Skip(self.message, self.count + other.count)
        return self


@dataclass(frozen=True)
class Partial:
    """Summable statistics of one loss over some rows: merge by adding, finish by dividing.

    ``class_sums``/``class_weights`` (Σ w·ℓ and Σ w per true class) are kept by losses with the
    ``class_balanced`` reduction; ``skipped`` holds the reason a loss's domain did not hold.
    ``maximum``: the largest term of a row of weight > 0 (−inf before any), kept by losses with the
    ``max`` reduction (None for the others); it merges by ``max``.
    """

    weighted_sum: float = 0.0
    weight: float = 0.0
    rows: int = 0
    class_sums: np.ndarray | None = None
    class_weights: np.ndarray | None = None
    skipped: Skip | None = None
    maximum: float | None = None

    def __add__(self, other: Partial) -> Partial:
        return Partial(
            self.weighted_sum + other.weighted_sum,
            self.weight + other.weight,
            self.rows + other.rows,
            _add(self.class_sums, other.class_sums),
            _add(self.class_weights, other.class_weights),
            self.skipped if other.skipped is None else other.skipped if self.skipped is None
            else self.skipped + other.skipped,
            self.maximum if other.maximum is None else other.maximum if self.maximum is None
            else max(self.maximum, other.maximum),
        )

    @property
    def mean(self) -> float:
        """Σ w·ℓ / Σ w; with class sums, the mean over present classes of the per-class means."""
        if self.class_weights is not None and self.class_sums is not None:
            present = self.class_weights > 0
            return float(np.mean(self.class_sums[present] / self.class_weights[present]))
        return self.weighted_sum / self.weight


def _add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return a + b


def _max(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return np.maximum(a, b)


@dataclass(frozen=True)
class GroupSums:
    """The :class:`Partial` sums of m groups of rows at once: arrays with a leading group axis.

    ``combine(counts)`` adds groups up with multiplicities (a (B, m) matrix: B bootstrap resamples,
    or one row per group selection), and :func:`group_values` finishes every row, vectorised; the
    ``maximum`` of a combination is the largest of the groups it takes (multiplicity > 0).
    """

    weighted_sum: np.ndarray  # (m,)   Σ w·ℓ per group
    weight: np.ndarray  # (m,)         Σ w per group
    class_sums: np.ndarray | None = None  # (m, K)
    class_weights: np.ndarray | None = None  # (m, K)
    maximum: np.ndarray | None = None  # (m,)   the largest term per group (−inf: no row of weight > 0)

    def __add__(self, other: GroupSums) -> GroupSums:
        return GroupSums(self.weighted_sum + other.weighted_sum, self.weight + other.weight,
                         _add(self.class_sums, other.class_sums), _add(self.class_weights, other.class_weights),
                         _max(self.maximum, other.maximum))

    def combine(self, counts: np.ndarray) -> GroupSums:
        cs, cw, top = self.class_sums, self.class_weights, self.maximum
        return GroupSums(counts @ self.weighted_sum, counts @ self.weight,
                         None if cs is None else counts @ cs, None if cw is None else counts @ cw,
                         None if top is None else np.where(counts > 0, top, -np.inf).max(axis=-1, initial=-np.inf))

    def total(self, rows: int) -> Partial:
        """The :class:`Partial` of all groups together."""
        return self.combine(np.ones((1, len(self.weight)))).partial(0, rows)

    def to_json(self) -> dict[str, Any]:
        """The sums as JSON values (state files): lists, −inf maxima as null."""
        listed = lambda values: None if values is None else np.asarray(values).tolist()  # noqa: E731
        out = {"weighted_sum": listed(self.weighted_sum), "weight": listed(self.weight),
               "class_sums": listed(self.class_sums), "class_weights": listed(self.class_weights)}
        if self.maximum is not None:
            out["maximum"] = maxima_to_json(self.maximum)
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GroupSums:
        """Sums from :meth:`to_json` (their shapes are the reader's to check)."""
        array = lambda values: None if values is None else np.asarray(values, dtype=np.float64)  # noqa: E731
        return cls(np.asarray(d["weighted_sum"], dtype=np.float64), np.asarray(d["weight"], dtype=np.float64),
                   array(d["class_sums"]), array(d["class_weights"]), maxima_from_json(d.get("maximum")))

    def partial(self, g: int, rows: int) -> Partial:
        cs, cw, top = self.class_sums, self.class_weights, self.maximum
        return Partial(float(self.weighted_sum[g]), float(self.weight[g]), rows,
                       None if cs is None else cs[g], None if cw is None else cw[g],
                       maximum=None if top is None else float(top[g]))


def maxima_to_json(values: np.ndarray | None) -> list[float | None] | None:
    """Maxima as strict JSON: −inf (no row of weight > 0) as null."""
    return None if values is None else [None if np.isneginf(v) else v for v in np.asarray(values).tolist()]


def maxima_from_json(values: list[float | None] | None) -> np.ndarray | None:
    """Maxima from JSON: null as −inf."""
    if values is None:
        return None
    return np.array([-np.inf if v is None else float(v) for v in values], dtype=np.float64)
