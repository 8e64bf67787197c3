"""Bootstrap confidence intervals, vectorised through the registry's partial sums.

Rows are dealt at random into m = min(n, 1000) equal groups (each row its own group when n ≤ 1000,
which is the classic bootstrap). Every loss is summed per group once (:class:`GroupSums`); a
resample is a vector of group multiplicities drawn from Multinomial(m, 1/m), so B resamples are one
(B, m) matrix product, whatever n is. Resampling random groups gives the variance of the row
bootstrap (a group sum of s rows has variance s·σ²) at a cost independent of n. The interval is the
percentile interval of the B resampled losses. Paired comparisons (``compare``) apply the same
groups and multiplicities to both models, so the interval is that of the difference on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import registry
from .registry import Inputs, LossSpec

GROUPS = 1000


@dataclass(frozen=True)
class Resampler:
    """Row groups and resample multiplicities for n rows, fixed by the seed."""

    codes: np.ndarray  # (n,) group of each row
    counts: np.ndarray  # (B, m) multiplicity of each group in each resample
    level: float

    @classmethod
    def make(cls, n: int, resamples: int, seed: int, level: float) -> "Resampler":
        rng = np.random.default_rng(seed)
        m = min(n, GROUPS)
        codes = np.arange(n) if n <= GROUPS else rng.permutation(n) % m
        counts = rng.multinomial(m, np.full(m, 1.0 / m), size=resamples).astype(np.float64)
        return cls(codes, counts, level)

    @property
    def groups(self) -> int:
        return self.counts.shape[1]

    def losses(self, spec: LossSpec, inputs: Inputs, params: dict) -> np.ndarray | str:
        """The loss in each resample (B,), or the reason it is skipped."""
        sums = registry.accumulate_groups(spec, inputs, params, self.codes, self.groups)
        if isinstance(sums, str):
            return sums
        return registry.group_values(spec, sums.combine(self.counts))

    def interval(self, values: np.ndarray) -> list[float] | None:
        """The percentile interval at ``level``; None if a resample had no value (e.g. no weight)."""
        finite = values[np.isfinite(values)]
        if len(finite) < len(values) * 0.99 or not len(finite):
            return None
        low, high = np.quantile(finite, [(1 - self.level) / 2, (1 + self.level) / 2])
        return [float(low), float(high)]


def p_value(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference": twice the smaller tail beyond 0, (k+1)/(B+1)."""
    b = len(differences)
    below = int((differences <= 0).sum())
    above = int((differences >= 0).sum())
    return min(1.0, 2 * (min(below, above) + 1) / (b + 1))
