"""Regression losses against scikit-learn and against arithmetic worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics

from losscli import losses  # noqa: F401
from losscli.registry import Inputs, accumulate, lookup

REL = 1e-9
rng = np.random.default_rng(0)
Y = rng.gamma(2.0, 2.0, 200) + 0.1
V = Y * rng.lognormal(0.0, 0.3, 200)
W = rng.uniform(0.1, 3.0, 200)


def value(name: str, y, v, w=None, **params) -> float | None:
    spec = lookup(name, "regression")
    merged = {**spec.params, **params}
    partial = accumulate(spec, Inputs("regression", "values", np.asarray(y, float), np.asarray(v, float),
                                      None if w is None else np.asarray(w, float)), merged)
    return spec.value(partial)


@pytest.mark.parametrize("name, reference, kwargs", [
    ("mse", metrics.mean_squared_error, {}),
    ("rmse", metrics.root_mean_squared_error, {}),
    ("mae", metrics.mean_absolute_error, {}),
    ("msle", metrics.mean_squared_log_error, {}),
    ("mape", metrics.mean_absolute_percentage_error, {}),
    ("pinball", metrics.mean_pinball_loss, {"alpha": 0.5}),
    ("poisson_deviance", metrics.mean_poisson_deviance, {}),
    ("gamma_deviance", metrics.mean_gamma_deviance, {}),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_against_sklearn(name, reference, kwargs, weighted):
    w = W if weighted else None
    assert value(name, Y, V, w) == pytest.approx(reference(Y, V, sample_weight=w, **kwargs), rel=REL)


@pytest.mark.parametrize("alpha", [0.1, 0.9])
def test_pinball_alpha_against_sklearn(alpha):
    assert value("pinball", Y, V, alpha=alpha) == pytest.approx(metrics.mean_pinball_loss(Y, V, alpha=alpha), rel=REL)


def test_mse_mae_rmse_by_hand():
    # residuals 1, -2: squares 1, 4 -> mse 2.5; |r| 1, 2 -> mae 1.5; rmse sqrt(2.5)
    assert value("mse", [1, 2], [0, 4]) == 2.5
    assert value("mae", [1, 2], [0, 4]) == 1.5
    assert value("rmse", [1, 2], [0, 4]) == pytest.approx(math.sqrt(2.5), rel=1e-15)


def test_rmse_is_root_of_weighted_mean():
    # weights 3, 1: (3*1 + 1*4) / 4 = 1.75 -> sqrt
    assert value("rmse", [1, 2], [0, 4], [3, 1]) == pytest.approx(math.sqrt(1.75), rel=1e-15)


def test_huber_pytorch_convention_by_hand():
    # delta 1: r = 0.5 -> 0.5*0.25 = 0.125; r = 3 -> 1*(3 - 0.5) = 2.5; mean 1.3125
    assert value("huber", [0, 0], [0.5, 3]) == pytest.approx(1.3125, rel=1e-15)
    # delta 2: r = 3 -> 2*(3 - 1) = 4; r = 1 -> 0.5
    assert value("huber", [0, 0], [3, 1], delta=2.0) == pytest.approx(2.25, rel=1e-15)


def test_log_cosh_by_hand_and_large_residuals():
    assert value("log_cosh", [0, 0], [1, -2]) == pytest.approx((math.log(math.cosh(1)) + math.log(math.cosh(2))) / 2, rel=1e-12)
    # cosh overflows at 1000; log cosh r -> |r| - log 2
    assert value("log_cosh", [0], [1000.0]) == pytest.approx(1000 - math.log(2), rel=1e-15)


def test_smape_by_hand():
    # 2|1-3|/(1+3) = 1; 2|2-2|/4 = 0; both zero -> 0; mean 1/3
    assert value("smape", [1, 2, 0], [3, 2, 0]) == pytest.approx(1 / 3, rel=1e-15)


def test_asymmetric_mse_by_hand():
    # under-prediction (2 < 3) costs 2 * 1 = 2; over (5 > 3) costs 1 * 4 = 4; mean 3
    assert value("asymmetric_mse", [3, 3], [2, 5]) == 3.0
    assert value("asymmetric_mse", [3, 3], [2, 5], under=1.0, over=3.0) == pytest.approx((1 + 12) / 2)


@pytest.mark.parametrize("name, y, v, reason", [
    ("msle", [1, -1], [1, 1], "≤ -1"),
    ("msle", [1, 1], [1, -2], "≤ -1"),
    ("mape", [0, 1], [1, 1], "zero label"),
    ("poisson_deviance", [-1, 1], [1, 1], "negative label"),
    ("poisson_deviance", [1, 1], [0, 1], "prediction"),
    ("gamma_deviance", [0, 1], [1, 1], "≤ 0"),
])
def test_domain_violations_are_skipped_with_a_reason(name, y, v, reason):
    spec = lookup(name, "regression")
    partial = accumulate(spec, Inputs("regression", "values", np.asarray(y, float), np.asarray(v, float)))
    assert partial.skipped is not None and reason in str(partial.skipped)
    assert spec.value(partial) is None


def test_poisson_deviance_with_zero_labels_matches_sklearn():
    y, v = np.array([0.0, 1.0, 3.0]), np.array([0.5, 1.5, 2.0])
    assert value("poisson_deviance", y, v) == pytest.approx(metrics.mean_poisson_deviance(y, v), rel=REL)
