"""Regression losses: per-row terms of labels ``y`` and predicted values ``v``.

References are scikit-learn's ``sklearn.metrics`` functions unless a docstring says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..registry import FRACTION, NOT_NEGATIVE, POSITIVE, Binned, Inputs, Within, loss
from ..sums import Skip

REG = ["regression"]


def _count(mask: np.ndarray) -> int:
    """Rows where ``mask`` holds (in any column of a 2-D mask)."""
    return int(mask.any(axis=1).sum()) if mask.ndim == 2 else int(mask.sum())


def _any_at_most(limit: float, what: str, labels: bool = True, preds: bool = True) -> Callable[[Inputs], Skip | None]:
    def check(inputs: Inputs) -> Skip | None:
        for name, values, wanted in (("label", inputs.y, labels), ("prediction", inputs.pred, preds)):
            if wanted and (values <= limit).any():
                return Skip(f"{name}(s) ≤ {limit:g}; {what}", _count(values <= limit))
        return None
    return check


@loss("mse", tasks=REG, aliases=("mean_squared_error", "MeanSquaredError", "MSELoss", "l2"),
      reference="sklearn.metrics.mean_squared_error")
def mse(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Mean squared error. :math:`\ell_i = (y_i - \hat y_i)^2`."""
    return (y - v) ** 2


@loss("rmse", tasks=REG, finish=np.sqrt,
      aliases=("root_mean_squared_error", "RootMeanSquaredError"),
      reference="sklearn.metrics.root_mean_squared_error")
def rmse(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Root mean squared error: :math:`\sqrt{\frac{\sum w_i (y_i - \hat y_i)^2}{\sum w_i}}`.

    The terms are MSE's; the square root is taken after the (weighted) mean.
    """
    return (y - v) ** 2


@loss("mae", tasks=REG, aliases=("mean_absolute_error", "MeanAbsoluteError", "L1Loss", "l1"),
      reference="sklearn.metrics.mean_absolute_error")
def mae(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Mean absolute error. :math:`\ell_i = |y_i - \hat y_i|`."""
    return np.abs(y - v)


@loss("huber", tasks=REG, params={"delta": 1.0}, ranges={"delta": POSITIVE},
      aliases=("Huber", "HuberLoss", "huber_loss"),
      reference="torch.nn.HuberLoss / keras.losses.Huber")
def huber(y: np.ndarray, v: np.ndarray, *, delta: float) -> np.ndarray:
    r"""Huber loss (PyTorch ``HuberLoss``, Keras ``Huber``), with r = y − ŷ.

    .. math:: \ell_i = \tfrac12 r_i^2 \text{ if } |r_i| \le \delta, \text{ else } \delta(|r_i| - \tfrac12\delta)
    """
    r = np.abs(y - v)
    m = np.minimum(r, delta)  # m(r − m/2) is both branches, without a (slow, branchy) np.where
    return m * (r - 0.5 * m)


CANCELS = 0.03  # |r| or |d| below which the faster forms lose more than 1e-12 (2 eps/d² for the deviances: 5e-13 here)


@loss("log_cosh", tasks=REG, aliases=("logcosh", "LogCosh"), reference="keras.losses.LogCosh")
def log_cosh(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Log-cosh loss (Keras ``LogCosh``). :math:`\ell_i = \log\cosh(\hat y_i - y_i)`.

    Computed as :math:`|r| + \log(1 + e^{-2|r|}) - \log 2`, finite for any residual, as Keras
    does; below |r| = 0.03, where that form cancels (relative error 8e-8 at r = 1e-5, over 100 %
    at 1e-8), as :math:`\log(1 + m^2 / (2(1 + m)))` with :math:`m = e^{|r|} - 1`, within 1e-12 relative everywhere.
    """
    # (only those rows take the second form: numpy's exp and log are vectorised, expm1 and log1p are not)
    r = np.abs(v - y)
    out = r + np.log1p(np.exp(-2.0 * r)) - math.log(2.0)
    small = np.nonzero(r < CANCELS)  # (indices, one array per axis: a multi-output target's arrays are 2-D)
    if len(small[0]):
        m = np.expm1(r[small])
        out[small] = np.log1p(m * m / (2.0 * (1.0 + m)))
    return out


@loss("msle", tasks=REG, domain=_any_at_most(-1.0, "msle needs values > −1"),
      aliases=("mean_squared_log_error", "MeanSquaredLogarithmicError"),
      reference="sklearn.metrics.mean_squared_log_error")
def msle(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Mean squared logarithmic error. :math:`\ell_i = (\log(1 + y_i) - \log(1 + \hat y_i))^2`."""
    return (np.log1p(y) - np.log1p(v)) ** 2


def _zero_label(inputs: Inputs) -> Skip | None:
    if (inputs.y == 0).any():
        return Skip("zero label(s); mape divides by the label", _count(inputs.y == 0))
    return None


@loss("mape", tasks=REG, domain=_zero_label,
      aliases=("mean_absolute_percentage_error", "MeanAbsolutePercentageError"),
      reference="sklearn.metrics.mean_absolute_percentage_error")
def mape(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Mean absolute percentage error, as a fraction. :math:`\ell_i = |y_i - \hat y_i| / |y_i|`."""
    return np.abs(y - v) / np.abs(y)


@loss("smape", tasks=REG, aliases=("symmetric_mean_absolute_percentage_error",),
      reference="torchmetrics SymmetricMeanAbsolutePercentageError")
def smape(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Symmetric MAPE, as a fraction in [0, 2] (torchmetrics).

    .. math:: \ell_i = \frac{2|y_i - \hat y_i|}{|y_i| + |\hat y_i|}, \quad 0 \text{ when } y_i = \hat y_i = 0
    """
    denominator = np.abs(y) + np.abs(v)
    denominator += denominator == 0  # 0/1 = 0 where both are 0 (then so is the numerator)
    return 2.0 * np.abs(y - v) / denominator


@loss("pinball", tasks=REG, params={"alpha": 0.5}, ranges={"alpha": FRACTION}, kinds=("values", "quantiles"),
      inputs="inputs",
      aliases=("mean_pinball_loss", "quantile", "quantile_loss"),
      reference="sklearn.metrics.mean_pinball_loss (a quantile set: its mean over the levels)")
def pinball(y: np.ndarray, inputs: Inputs, *, alpha: float = 0.5) -> np.ndarray:
    r"""Pinball (quantile) loss at quantile α.

    .. math:: \ell_i = \alpha \max(y_i - \hat y_i, 0) + (1 - \alpha) \max(\hat y_i - y_i, 0)

    For a quantile set (predictions ``quantiles``: columns ``q_j`` at levels τ_1 < … < τ_Q) it is
    the mean over the levels, :math:`\ell_i = \frac1Q \sum_j \rho_{\tau_j}(y_i - q_{ij})`, and alpha is
    not used; each level's own mean is reported beside it as ``pinball_q<percent>`` (``pinball_q10``
    for τ = 0.1, ``pinball_q2p5`` for τ = 0.025).
    """
    if inputs.kind == "quantiles" and inputs.levels is not None:
        return pinball_terms(y[:, None], inputs.pred, np.asarray(inputs.levels))
    return pinball_terms(y, inputs.pred, alpha)


def pinball_terms(y: np.ndarray, v: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """ρ_α(y − v) elementwise (``alpha`` may be a row of levels, one per column of ``v``)."""
    r = y - v
    return r * (alpha - (r < 0))  # α r above the prediction, (α − 1) r below: the same numbers


def _poisson_domain(inputs: Inputs) -> Skip | None:
    if (inputs.y < 0).any():
        return Skip("negative label(s); poisson_deviance needs labels ≥ 0", _count(inputs.y < 0))
    if (inputs.pred <= 0).any():
        return Skip("prediction(s) ≤ 0; poisson_deviance needs predictions > 0", _count(inputs.pred <= 0))
    return None


@loss("poisson_deviance", tasks=REG, domain=_poisson_domain,
      aliases=("mean_poisson_deviance",), reference="sklearn.metrics.mean_poisson_deviance")
def poisson_deviance(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Poisson deviance. :math:`\ell_i = 2(y_i \log(y_i / \hat y_i) - y_i + \hat y_i)`, 0·log 0 = 0.

    Where the prediction is within 3 % of its label those terms cancel (as written, and as
    scikit-learn computes it: 2e-6 relative at ŷ = 1.00001, y = 1, and 0 instead of 1e-16 at
    ŷ = 1 + 1e-8); there, with :math:`d = (\hat y_i -
    y_i)/y_i`, it is :math:`2y_i(d - \log(1 + d))`, by its series below |d| = 0.01: within 1e-12 relative everywhere.
    """
    zero = y == 0  # labels ≥ 0: 1 where 0, so that 0 · log(1/ŷ) = 0 stands for 0 · log 0
    safe_y = np.where(zero, 1.0, y) if zero.any() else y
    out = 2.0 * (y * np.log(safe_y / v) - y + v)
    near, d = _near(y, v)
    if len(d):
        yy = y[near]
        exact = 2.0 * yy * (d - np.log1p(d))
        tiny = np.nonzero(np.abs(d) < SERIES_BELOW)
        exact[tiny] = 2.0 * yy[tiny] * _d_minus_log1p(d[tiny])
        out[near] = exact
    return out


@loss("gamma_deviance", tasks=REG,
      domain=_any_at_most(0.0, "gamma_deviance needs labels and predictions > 0"),
      aliases=("mean_gamma_deviance",), reference="sklearn.metrics.mean_gamma_deviance")
def gamma_deviance(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Gamma deviance. :math:`\ell_i = 2(\log(\hat y_i / y_i) + y_i / \hat y_i - 1)`.

    Within 3 % of the label, where those terms cancel, it is :math:`2(\log(1 + d) - d/(1 + d))`
    with :math:`d = (\hat y_i - y_i)/y_i`, by its series below |d| = 0.01: within 1e-12 relative everywhere.
    """
    out = 2.0 * (np.log(v / y) + y / v - 1.0)
    near, d = _near(y, v)
    if len(d):
        exact = 2.0 * (np.log1p(d) - d / (1.0 + d))
        tiny = np.nonzero(np.abs(d) < SERIES_BELOW)
        exact[tiny] = 2.0 * _log1p_minus_ratio(d[tiny])
        out[near] = exact
    return out


SERIES_BELOW = 1e-2  # |d| below which the deviances take their series: in log1p form they lose 4 eps/|d|
SERIES_TERMS = range(8, 1, -1)  # powers k = 8 … 2, for Horner's rule: the next is below 1e-16 of the sum


def _near(y: np.ndarray, v: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Where a prediction is within CANCELS of a positive label (indices, one array per axis), and
    d there. Indices, not a boolean mask: picking and setting the near rows (12 % of a benchmark
    chunk) by mask took about three times as long, and the deviances twice as long in all."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (v - y) / y
    near = np.nonzero(np.abs(d) < CANCELS)  # (a zero label's d is +inf: not near)
    return near, d[near]


def _d_minus_log1p(d: np.ndarray) -> np.ndarray:
    """d − log(1 + d) = Σ_{k≥2} (−1)^k d^k / k, for |d| < SERIES_BELOW."""
    total = np.zeros_like(d)
    for k in SERIES_TERMS:
        total = total * d + (-1) ** k / k
    return total * d * d


def _log1p_minus_ratio(d: np.ndarray) -> np.ndarray:
    """log(1 + d) − d/(1 + d) = Σ_{k≥2} (−1)^k (k − 1)/k · d^k, for |d| < SERIES_BELOW."""
    total = np.zeros_like(d)
    for k in SERIES_TERMS:
        total = total * d + (-1) ** k * (k - 1) / k
    return total * d * d


@loss("asymmetric_mse", tasks=REG, params={"under": 2.0, "over": 1.0},
      ranges={"under": NOT_NEGATIVE, "over": NOT_NEGATIVE},
      reference="weighted squared error; under-prediction (ŷ < y) costs `under`, over-prediction `over`")
def asymmetric_mse(y: np.ndarray, v: np.ndarray, *, under: float, over: float) -> np.ndarray:
    r"""Asymmetric squared error: under-predictions weigh ``under``, over-predictions ``over``.

    .. math:: \ell_i = (\text{under if } \hat y_i < y_i \text{ else over}) \cdot (y_i - \hat y_i)^2
    """
    r = y - v
    under_predicted = r > 0
    return (under * under_predicted + over * ~under_predicted) * (r * r)  # picks a weight exactly


@loss("rmsle", tasks=REG, finish=np.sqrt, default=False, domain=_any_at_most(-1.0, "rmsle needs values > −1"),
      aliases=("root_mean_squared_log_error", "RootMeanSquaredLogarithmicError"),
      reference="sklearn.metrics.root_mean_squared_log_error")
def rmsle(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Root mean squared logarithmic error: the square root of ``msle``.

    .. math:: \sqrt{\frac{\sum_i w_i (\log(1 + y_i) - \log(1 + \hat y_i))^2}{\sum_i w_i}}

    The terms are ``msle``'s (the same domain: values > −1); the square root is taken after the
    (weighted) mean.
    """
    return (np.log1p(y) - np.log1p(v)) ** 2


def _smooth_l1_domain(inputs: Inputs, params: Mapping[str, Any]) -> str | None:
    return "beta must be ≥ 0 (PyTorch refuses a negative beta)" if params["beta"] < 0 else None


@loss("smooth_l1", tasks=REG, params={"beta": 1.0}, ranges={"beta": NOT_NEGATIVE}, default=False,
      domain=_smooth_l1_domain,
      aliases=("SmoothL1Loss", "smooth_l1_loss"), reference="torch.nn.SmoothL1Loss")
def smooth_l1(y: np.ndarray, v: np.ndarray, *, beta: float) -> np.ndarray:
    r"""Smooth L1 loss (PyTorch ``SmoothL1Loss``), with r = y − ŷ.

    .. math:: \ell_i = \tfrac12 r_i^2 / \beta \text{ if } |r_i| < \beta, \text{ else } |r_i| - \tfrac12\beta

    β = 0 is the absolute error (L1), as in PyTorch; ``huber`` with δ = β is β times this loss.
    """
    r = np.abs(y - v)
    if beta == 0:
        return r
    m = np.minimum(r, beta)  # m(r − m/2)/β: ½r²/β below β, r − β/2 above (as huber, without np.where)
    return m * (r - 0.5 * m) / beta


def _tweedie_domain(inputs: Inputs, params: Mapping[str, Any]) -> Skip | str | None:
    """scikit-learn's ``mean_tweedie_deviance`` rules for each power."""
    p = params["power"]
    if 0 < p < 1:
        return f"power={p:g}: the Tweedie deviance is defined for power ≤ 0 or ≥ 1 only"
    what = f"tweedie_deviance (power={p:g}) needs"
    if p != 0 and (inputs.pred <= 0).any():
        return Skip(f"prediction(s) ≤ 0; {what} predictions > 0", _count(inputs.pred <= 0))
    if 1 <= p < 2 and (inputs.y < 0).any():
        return Skip(f"negative label(s); {what} labels ≥ 0", _count(inputs.y < 0))
    if p >= 2 and (inputs.y <= 0).any():
        return Skip(f"label(s) ≤ 0; {what} labels > 0", _count(inputs.y <= 0))
    return None


@loss("tweedie_deviance", tasks=REG, params={"power": 0.0}, ranges={"power": Within(gap=(0, 1))}, default=False,
      domain=_tweedie_domain,
      aliases=("mean_tweedie_deviance", "tweedie", "Tweedie"), reference="sklearn.metrics.mean_tweedie_deviance")
def tweedie_deviance(y: np.ndarray, v: np.ndarray, *, power: float) -> np.ndarray:
    r"""Tweedie deviance with power p (scikit-learn's ``mean_tweedie_deviance``).

    .. math:: \ell_i = 2\Big(\frac{\max(y_i, 0)^{2-p}}{(1-p)(2-p)} - \frac{y_i \hat y_i^{1-p}}{1-p}
              + \frac{\hat y_i^{2-p}}{2-p}\Big)

    p = 0 is the squared error, p = 1 the Poisson deviance and p = 2 the gamma deviance (these
    are ``mse``, ``poisson_deviance`` and ``gamma_deviance``'s terms, the same numbers). Domains as
    scikit-learn: p < 0 needs ŷ > 0; 1 ≤ p < 2 needs y ≥ 0 and ŷ > 0; p ≥ 2 needs y > 0 and ŷ > 0;
    0 < p < 1 is not a Tweedie distribution (``--param`` refuses it). Within 3 % of a positive label, where the
    three terms cancel, it is :math:`2y^{2-p} \int_0^d t (1 + t)^{-p}\,dt` with :math:`d = (\hat y - y)/y`, by
    its binomial series (within 1e-12 relative for |p| ≤ 10).
    """
    if power == 0:
        return mse(y, v)
    if power == 1:
        return poisson_deviance(y, v)
    if power == 2:
        return gamma_deviance(y, v)
    p = power
    out = 2.0 * (np.power(np.maximum(y, 0.0), 2 - p) / ((1 - p) * (2 - p))
                 - y * np.power(v, 1 - p) / (1 - p) + np.power(v, 2 - p) / (2 - p))
    near, d = _near(y, v)
    if len(d):
        out[near] = 2.0 * np.power(y[near], 2 - p) * _tweedie_series(d, p)
    return out


TWEEDIE_TERMS = 24  # binomial terms of the series: |d| < 0.03 and |p| ≤ 10 leave less than 1e-16 of the sum


def _tweedie_series(d: np.ndarray, p: float) -> np.ndarray:
    """∫₀ᵈ t (1 + t)^{−p} dt = Σ_{k≥0} C(−p, k) d^{k+2} / (k + 2), by Horner's rule, for |d| < CANCELS."""
    coefficients = [1.0]  # C(−p, k) = Π_{j<k} (−p − j)/(j + 1)
    for j in range(TWEEDIE_TERMS - 1):
        coefficients.append(coefficients[-1] * (-p - j) / (j + 1))
    total = np.zeros_like(d)
    for k in range(TWEEDIE_TERMS - 1, -1, -1):
        total = total * d + coefficients[k] / (k + 2)
    return total * d * d


def _nonnegative_predictions(what: str) -> Callable[[Inputs, Mapping[str, Any]], Skip | None]:
    def check(inputs: Inputs, params: Mapping[str, Any]) -> Skip | None:
        if params.get("log_input", False) or not (inputs.pred < 0).any():
            return None
        return Skip(f"negative prediction(s); {what}", _count(inputs.pred < 0))
    return check


@loss("poisson_nll", tasks=REG, params={"log_input": True, "full": False, "eps": 1e-8}, ranges={"eps": NOT_NEGATIVE},
      default=False,
      domain=_nonnegative_predictions("poisson_nll with log_input=false takes rates ≥ 0"),
      aliases=("PoissonNLLLoss", "poisson_nll_loss"), reference="torch.nn.PoissonNLLLoss")
def poisson_nll(y: np.ndarray, v: np.ndarray, *, log_input: bool, full: bool, eps: float) -> np.ndarray:
    r"""Poisson negative log-likelihood (PyTorch ``PoissonNLLLoss``), without the log y! constant.

    .. math:: \ell_i = e^{\hat y_i} - y_i \hat y_i \text{ (log_input, the default: ŷ is the log-rate)},
              \quad \ell_i = \hat y_i - y_i \log(\hat y_i + \varepsilon) \text{ (log_input=false: ŷ is the rate)}

    ``full=true`` adds Stirling's approximation of log y!, :math:`y \log y - y + \tfrac12 \log(2\pi y)`,
    where y > 1 (0 elsewhere), as PyTorch does. eps = 1e-8 (PyTorch's default).
    """
    out = np.exp(v) - y * v if log_input else v - y * np.log(v + eps)
    if full:
        big = y > 1
        safe = np.where(big, y, 1.0)
        out = out + big * (safe * np.log(safe) - safe + 0.5 * np.log(2.0 * math.pi * safe))
    return out


@loss("poisson", tasks=REG, params={"eps": 1e-7}, ranges={"eps": POSITIVE}, default=False,
      domain=_nonnegative_predictions("Keras's poisson takes rates ≥ 0"),
      aliases=("Poisson",), reference="keras.losses.Poisson / keras.losses.poisson")
def poisson(y: np.ndarray, v: np.ndarray, *, eps: float) -> np.ndarray:
    r"""Keras's Poisson loss on predicted rates: :math:`\ell_i = \hat y_i - y_i \log(\hat y_i + \varepsilon)`.

    ε = 1e-7, Keras's backend epsilon. This is ``poisson_nll`` with log_input=false and its eps set
    to 1e-7. ``poisson_deviance`` is scikit-learn's deviance, a different number.
    """
    return v - y * np.log(v + eps)


def _ratio(weights: np.ndarray, sums: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """WAPE from its one bin's sums (``sums`` (..., 1, 2): Σw·|y − ŷ| and Σw·|y|); NaN where Σw·|y| = 0."""
    numerator, denominator = sums[..., 0, 0], sums[..., 0, 1]
    return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


@loss("wape", tasks=REG, default=False, reduction="binned", finish_bins=_ratio, bin_shape=lambda params: (1, 2),
      undefined="Σ w·|y| = 0 (every label is 0, or has weight 0); wape divides by it",
      aliases=("weighted_absolute_percentage_error", "wmape", "weighted_mean_absolute_percentage_error",
               "WeightedMeanAbsolutePercentageError"),
      reference="torchmetrics WeightedMeanAbsolutePercentageError (without its epsilon); Σ|y − ŷ| / Σ|y|")
def wape(y: np.ndarray, v: np.ndarray) -> Binned:
    r"""Weighted absolute percentage error, as a fraction: total absolute error over total |label|.

    .. math:: \mathrm{WAPE} = \frac{\sum_i w_i |y_i - \hat y_i|}{\sum_i w_i |y_i|}

    A ratio of two sums, not a mean of per-row terms (unlike ``mape``, a zero label is no
    trouble); skipped when :math:`\sum w_i |y_i| = 0`. Several outputs: over all cells (both sums
    run over every row and column). Its two sums merge by adding, like any loss's.
    """
    error, size = np.abs(y - v), np.abs(y)
    if error.ndim == 2:
        error, size = error.sum(axis=1), size.sum(axis=1)
    return Binned(np.zeros(len(error), dtype=np.intp), np.column_stack([error, size]), 1, error)


@loss("max_error", tasks=REG, default=False, reduction="max",
      aliases=("maximum_error", "max_absolute_error", "maximum_absolute_error"),
      reference="sklearn.metrics.max_error")
def max_error(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Maximum absolute error: the worst row. :math:`\max_i |y_i - \hat y_i|` over rows of weight > 0.

    Weights do not scale it (scikit-learn's ``max_error`` takes none); a row of weight 0 is left
    out. Several outputs: the largest over all cells. Parts merge by taking the larger maximum.
    """
    error = np.abs(y - v)
    return error.max(axis=1) if error.ndim == 2 else error


@loss("median_absolute_error", tasks=REG, default=False, reduction="median",
      aliases=("medae", "median_ae"), reference="sklearn.metrics.median_absolute_error")
def median_absolute_error(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Median absolute error: :math:`\operatorname{median}_i |y_i - \hat y_i|`, robust to outliers.

    With weights, scikit-learn's weighted median (``_weighted_percentile(average=True)``): with
    the errors sorted and :math:`C_j` their cumulative weight, the first error with
    :math:`C_j \ge \tfrac12 \sum w`, or the mean of it and the next when the half falls exactly
    on it (the ordinary median with unit weights). Several outputs: the mean of each output's
    median (scikit-learn's ``uniform_average``).

    A median is not a sum: the evaluation keeps every row's error (8 bytes a row per output, 16
    with weights, 8 more with ``--group-by``), and it is exact over one run, in chunks and per
    group; ``--state``/``merge`` and ``--engine dask`` skip it with the reason, and it has no
    ``--ci`` interval.
    """
    return np.abs(y - v)
