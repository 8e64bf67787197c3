"""Regression losses: per-row terms of labels ``y`` and predicted values ``v``.

References are scikit-learn's ``sklearn.metrics`` functions unless a docstring says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..registry import Inputs, loss
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


@loss("huber", tasks=REG, params={"delta": 1.0}, aliases=("Huber", "HuberLoss", "huber_loss"),
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
    small = r < CANCELS  # (a mask: a multi-output target's arrays are 2-D)
    if small.any():
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


@loss("pinball", tasks=REG, params={"alpha": 0.5},
      aliases=("mean_pinball_loss", "quantile", "quantile_loss"),
      reference="sklearn.metrics.mean_pinball_loss")
def pinball(y: np.ndarray, v: np.ndarray, *, alpha: float) -> np.ndarray:
    r"""Pinball (quantile) loss at quantile α.

    .. math:: \ell_i = \alpha \max(y_i - \hat y_i, 0) + (1 - \alpha) \max(\hat y_i - y_i, 0)
    """
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
    safe_y = y + (y == 0)  # labels ≥ 0: 1 where 0, so that 0 · log(1/ŷ) = 0 stands for 0 · log 0
    out = 2.0 * (y * np.log(safe_y / v) - y + v)
    near, d = _near(y, v)
    if len(d):
        yy = y[near]
        exact = 2.0 * yy * (d - np.log1p(d))
        tiny = np.abs(d) < SERIES_BELOW
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
        tiny = np.abs(d) < SERIES_BELOW
        exact[tiny] = 2.0 * _log1p_minus_ratio(d[tiny])
        out[near] = exact
    return out


SERIES_BELOW = 1e-2  # |d| below which the deviances take their series: in log1p form they lose 4 eps/|d|
SERIES_TERMS = range(8, 1, -1)  # powers k = 8 … 2, for Horner's rule: the next is below 1e-16 of the sum


def _near(y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where (a mask, of any shape) a prediction is within CANCELS of a positive label, and d there."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (v - y) / y
    near = np.abs(d) < CANCELS  # (a zero label's d is +inf: not near)
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
      reference="weighted squared error; under-prediction (ŷ < y) costs `under`, over-prediction `over`")
def asymmetric_mse(y: np.ndarray, v: np.ndarray, *, under: float, over: float) -> np.ndarray:
    r"""Asymmetric squared error: under-predictions weigh ``under``, over-predictions ``over``.

    .. math:: \ell_i = (\text{under if } \hat y_i < y_i \text{ else over}) \cdot (y_i - \hat y_i)^2
    """
    r = y - v
    under_predicted = r > 0
    return (under * under_predicted + over * ~under_predicted) * (r * r)  # picks a weight exactly
