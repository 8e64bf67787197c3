"""Bootstrap confidence intervals, vectorised through the registry's partial sums.

Rows are dealt into m = 1000 groups by a hash of their position (seeded), so that chunks, shards
and Dask tasks each sum their rows per group and the sums merge by addition; a small evaluation
read in one piece (n ≤ 1000 rows) gives every row its own group, which is the classic bootstrap.
A resample is a vector of group multiplicities drawn from Multinomial(m, 1/m), so B resamples are
one (B, m) matrix product, whatever n is. Resampling random groups gives the variance of the row
bootstrap (a group sum of s rows has variance s·σ²) at a cost independent of n. The interval is the
percentile interval of the B resampled losses. Paired comparisons (``compare``) apply the same
groups and multiplicities to both models, so the interval is that of the difference on the same rows.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

import numpy as np

GROUPS = 1000
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each element (SplitMix64's finaliser), vectorised; ``x`` (uint64)
    is mixed in place and returned."""
    x += GOLDEN
    shifted = np.empty_like(x)
    with np.errstate(over="ignore"):
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            np.right_shift(x, np.uint64(shift), out=shifted)
            x ^= shifted
            x *= np.uint64(factor)
    np.right_shift(x, np.uint64(31), out=shifted)
    x ^= shifted
    return x


def row_groups(rows: np.ndarray, seed: int, source: str = "", m: int = GROUPS) -> np.ndarray:
    """Each row's bootstrap group in 0…m−1, from its (1-based) row number, the source's file name (not
    its path as typed: ``./a.csv`` and ``a.csv`` deal the rows alike) and the seed."""
    name = os.path.basename(source)
    key = np.uint64(((zlib.crc32(name.encode()) << 32) ^ (seed & 0xFFFFFFFF)) & 0xFFFFFFFFFFFFFFFF)
    return (splitmix64(rows.astype(np.uint64) ^ key) % np.uint64(m)).astype(np.intp)


def resample_counts(seed: int, resamples: int, m: int) -> np.ndarray:
    """(B, m) group multiplicities, each row a draw from Multinomial(m, 1/m); fixed by the seed."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(m, np.full(m, 1.0 / m), size=resamples).astype(np.float64)


@dataclass(frozen=True)
class Resampler:
    """Row groups and resample multiplicities for n rows read in one piece, fixed by the seed."""

    codes: np.ndarray  # (n,) group of each row
    counts: np.ndarray  # (B, m) multiplicity of each group in each resample
    level: float

    @classmethod
    def make(cls, n: int, resamples: int, seed: int, level: float, source: str = "") -> Resampler:
        if n <= GROUPS:
            codes, m = np.arange(n), n
        else:
            codes, m = row_groups(np.arange(1, n + 1), seed, source), GROUPS
        return cls(codes, resample_counts(seed, resamples, m), level)

    @property
    def groups(self) -> int:
        return self.counts.shape[1]

    def interval(self, values: np.ndarray) -> list[float] | None:
        return interval(values, self.level)


def interval(values: np.ndarray, level: float) -> list[float] | None:
    """The percentile interval at ``level``; None if resamples lacked a value (e.g. no weight)."""
    finite = values[np.isfinite(values)]
    if len(finite) < len(values) * 0.99 or not len(finite):
        return None
    low, high = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    return [float(low), float(high)]


def p_value(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference": twice the smaller tail beyond 0, (k+1)/(B+1)."""
    b = len(differences)
    below = int((differences <= 0).sum())
    above = int((differences >= 0).sum())
    return min(1.0, 2 * (min(below, above) + 1) / (b + 1))


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of m p-values (the family-wise error rate), in their order:
    sorted ascending, the i-th (from 1) becomes max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎)."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda k: p_values[k])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
