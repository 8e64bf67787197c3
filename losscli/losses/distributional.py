"""Losses of predicted distributions: quantile sets (predictions ``quantiles``: an (n, Q) matrix of
quantiles at increasing levels τ_1 < … < τ_Q) and Gaussian predictions (a mean and a variance).

Every one is a mean of per-row terms, so chunks, shards, groups, ``merge`` and Dask add them up
like the other losses. The interval of a quantile set is its outermost symmetric pair of levels
(τ, 1 − τ) (0.1 and 0.9 of 0.1, 0.5, 0.9; 0.05 and 0.95 of 0.05, 0.1, 0.9, 0.95), lower bound
``l`` and upper ``u``, of nominal coverage 1 − α = 1 − 2τ. Quantiles that cross are scored as
given: a crossed interval (l > u) covers nothing and has a negative width.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import registry
from ..quantiles import level_name, name_level
from ..registry import NOT_NEGATIVE, Inputs, LossSpec, loss
from ..sums import Skip
from .regression import pinball_terms

REG = ["regression"]
QUANTILES = ("quantiles",)
def _quantile_set(inputs: Inputs, params: Mapping[str, Any] | None = None) -> bool:
    """Listed by default for quantile sets only (a point prediction has no interval)."""
    return inputs.kind == "quantiles"


SYMMETRIC = 1e-9  # levels τ and τ' are a symmetric pair when |τ + τ' − 1| ≤ this


def interval_levels(levels: tuple[float, ...] | None) -> tuple[int, int] | None:
    """The columns of the outermost symmetric pair of levels (τ, 1 − τ), τ < 0.5; None when none is."""
    for i, low in enumerate(levels or ()):
        if low >= 0.5:
            break
        j = next((j for j, high in enumerate(levels or ()) if abs(low + high - 1) <= SYMMETRIC), None)
        if j is not None:
            return i, j
    return None


def _bounds(inputs: Inputs) -> tuple[np.ndarray, np.ndarray, float]:
    """The interval's lower and upper columns and its α = 1 − (τ_u − τ_l)."""
    found = interval_levels(inputs.levels)
    assert found is not None and inputs.levels is not None  # (the domain check came first)
    i, j = found
    return inputs.pred[:, i], inputs.pred[:, j], 1.0 - (inputs.levels[j] - inputs.levels[i])


def _interval_domain(inputs: Inputs) -> Skip | None:
    if interval_levels(inputs.levels) is None:
        levels = ", ".join(f"{level:g}" for level in inputs.levels or ())
        return Skip(f"the levels {levels} have no symmetric pair (τ, 1 − τ) to make an interval of")
    return None


@loss("coverage", tasks=REG, kinds=QUANTILES, inputs="inputs", default=_quantile_set, domain=_interval_domain,
      aliases=("interval_coverage", "picp"), reference="the fraction of labels in the interval (by hand)")
def coverage(y: np.ndarray, inputs: Inputs) -> np.ndarray:
    r"""Interval coverage: the fraction of rows whose label lies in the interval [l, u] of the
    outermost symmetric pair of levels (its nominal coverage is τ_u − τ_l). Higher is not better:
    it should be near the nominal coverage.

    .. math:: \ell_i = [\,l_i \le y_i \le u_i\,]
    """
    low, high, _ = _bounds(inputs)
    return np.asarray((low <= y) & (y <= high), dtype=np.float64)


@loss("width", tasks=REG, kinds=QUANTILES, inputs="inputs", default=_quantile_set, domain=_interval_domain,
      aliases=("interval_width", "mean_interval_width", "mpiw"), reference="the mean of u − l (by hand)")
def width(y: np.ndarray, inputs: Inputs) -> np.ndarray:
    r"""Mean interval width of the outermost symmetric pair of levels (negative where they cross).

    .. math:: \ell_i = u_i - l_i
    """
    low, high, _ = _bounds(inputs)
    return high - low


@loss("interval_score", tasks=REG, kinds=QUANTILES, inputs="inputs", default=_quantile_set, domain=_interval_domain,
      aliases=("winkler", "winkler_score", "interval_loss"),
      reference="Gneiting & Raftery (2007), eq. 43; Winkler (1972)")
def interval_score(y: np.ndarray, inputs: Inputs) -> np.ndarray:
    r"""Interval (Winkler) score of the outermost symmetric interval [l, u], α = 1 − (τ_u − τ_l).

    .. math:: \ell_i = (u_i - l_i) + \tfrac{2}{\alpha}(l_i - y_i)[y_i < l_i] + \tfrac{2}{\alpha}(y_i - u_i)[y_i > u_i]
    """
    low, high, alpha = _bounds(inputs)
    return high - low + (2.0 / alpha) * (np.maximum(low - y, 0.0) + np.maximum(y - high, 0.0))


@loss("quantile_crossing", tasks=REG, kinds=QUANTILES, inputs="inputs", default=_quantile_set,
      aliases=("crossing", "crossing_rate"),
      reference="the fraction of rows whose quantiles are not non-decreasing (by hand)")
def quantile_crossing(y: np.ndarray, inputs: Inputs) -> np.ndarray:
    r"""The fraction of rows whose predicted quantiles cross: a lower level predicted above a higher one.

    .. math:: \ell_i = [\,\exists j: q_{i,j} > q_{i,j+1}\,]
    """
    return np.asarray((np.diff(inputs.pred, axis=1) < 0).any(axis=1), dtype=np.float64)


@registry.family
def pinball_at_level(name: str) -> LossSpec | None:
    """``pinball_q10``: the pinball loss of a quantile set's column at level 0.1 (see :func:`level_spec`)."""
    level = name_level(name[len("pinball_"):]) if name.startswith("pinball_") else None
    return None if level is None else level_spec(level)


@functools.cache
def level_spec(level: float) -> LossSpec:
    """The spec of ``pinball_q<percent>``: the pinball loss at τ = ``level`` of that level's column."""
    key = level_name(level)

    def column(inputs: Inputs) -> int | None:
        return next((j for j, found in enumerate(inputs.levels or ()) if level_name(found) == key), None)

    def terms(y: np.ndarray, inputs: Inputs) -> np.ndarray:
        j = column(inputs)
        assert j is not None  # (the domain check came first)
        return pinball_terms(y, inputs.pred[:, j], level)

    def domain(inputs: Inputs, params: Mapping[str, Any]) -> Skip | None:
        return None if column(inputs) is not None else Skip(f"the quantile set has no level {level:g}")

    doc = (f"Pinball loss of the quantile at level {level:g}: the column of that level, "
           f"ρ_τ(y − q) = τ max(y − q, 0) + (1 − τ) max(q − y, 0) with τ = {level:g}.")
    return LossSpec(name=f"pinball_{key}", fn=terms, tasks=frozenset(REG), params={}, kinds=frozenset(QUANTILES),
                    default=False, domain=domain, inputs="inputs", doc=doc,
                    reference=f"sklearn.metrics.mean_pinball_loss(alpha={level:g})")


def _has_variance(inputs: Inputs, params: Mapping[str, Any] | None = None) -> bool:
    return inputs.var is not None


def _variance_domain(inputs: Inputs) -> Skip | None:
    if inputs.var is None:
        return Skip("no variance column; gaussian_nll needs one beside the mean (y_pred_var, y_pred_std, …)")
    return None


HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@loss("gaussian_nll", tasks=REG, params={"eps": 1e-6, "full": False}, ranges={"eps": NOT_NEGATIVE}, inputs="inputs",
      default=_has_variance,
      domain=_variance_domain, aliases=("GaussianNLLLoss", "gaussian_nll_loss"),
      reference="torch.nn.GaussianNLLLoss (full=True: −scipy.stats.norm.logpdf)")
def gaussian_nll(y: np.ndarray, inputs: Inputs, *, eps: float, full: bool) -> np.ndarray:
    r"""Gaussian negative log-likelihood of the label under the predicted mean μ and variance σ²
    (PyTorch ``GaussianNLLLoss``; a standard deviation column is squared first).

    .. math:: \ell_i = \tfrac12\left(\log v_i + \frac{(y_i - \mu_i)^2}{v_i}\right)
              \;[+\tfrac12 \log 2\pi \text{ with full}], \quad v_i = \max(\sigma_i^2, \epsilon)
    """
    assert inputs.var is not None  # (the domain check came first)
    var = np.maximum(inputs.var, eps)
    out = 0.5 * (np.log(var) + (y - inputs.pred) ** 2 / var)
    return out + HALF_LOG_2PI if full else out
