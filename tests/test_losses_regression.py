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


# --- issue 18: tweedie_deviance, poisson_nll, Keras poisson, rmsle, smooth_l1 (not listed by default) ---

@pytest.mark.parametrize("power", [-1.0, 0.0, 1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_tweedie_deviance_against_sklearn(power, weighted):
    w = W if weighted else None
    expected = metrics.mean_tweedie_deviance(Y, V, sample_weight=w, power=power)
    assert value("tweedie_deviance", Y, V, w, power=power) == pytest.approx(expected, rel=REL)


def test_tweedie_deviance_by_hand():
    # ℓ = 2(max(y,0)^(2-p)/((1-p)(2-p)) - y ŷ^(1-p)/(1-p) + ŷ^(2-p)/(2-p))
    # p = 1.5: 2(-4 √y + 2 y/√ŷ + 2 √ŷ); y=1, ŷ=4: 2(-4 + 1 + 4) = 2; y=4, ŷ=1: 2(-8 + 8 + 2) = 4; mean 3
    assert value("tweedie_deviance", [1, 4], [4, 1], power=1.5) == pytest.approx(3.0, rel=1e-14)
    # p = 3: 2(1/(2y) + y/(2ŷ²) - 1/ŷ); y=1, ŷ=2: 2(0.5 + 0.125 - 0.5) = 0.25; y=2, ŷ=1: 2(0.25 + 1 - 1) = 0.5
    assert value("tweedie_deviance", [1, 2], [2, 1], power=3.0) == pytest.approx(0.375, rel=1e-14)
    # p = -1: 2(max(y,0)³/6 - y ŷ²/2 + ŷ³/3); y=0, ŷ=1: 2/3; y=2, ŷ=1: 2(8/6 - 1 + 1/3) = 4/3; mean 1
    assert value("tweedie_deviance", [0, 2], [1, 1], power=-1.0) == pytest.approx(1.0, rel=1e-14)
    # p = 1.5 with a zero label: only 2 ŷ^0.5/0.5 = 4√ŷ remains; ŷ = 4 -> 8
    assert value("tweedie_deviance", [0], [4], power=1.5) == pytest.approx(8.0, rel=1e-14)


def test_tweedie_deviance_at_powers_0_1_2_is_mse_poisson_gamma_exactly():
    assert value("tweedie_deviance", Y, V) == value("mse", Y, V)  # the default power is 0
    assert value("tweedie_deviance", Y, V, power=1.0) == value("poisson_deviance", Y, V)
    assert value("tweedie_deviance", Y, V, power=2.0) == value("gamma_deviance", Y, V)


@pytest.mark.parametrize("power", [-1.0, 1.2, 1.5, 1.8, 3.0, 5.0])
@pytest.mark.parametrize("d", [1e-9, -3e-7, 1e-4, 0.02, -0.029, 0.031])
def test_tweedie_deviance_near_the_label_against_mpmath(power, d):
    """Where ŷ ≈ y the three terms of the formula cancel; the series keeps 1e-12 relative."""
    import mpmath

    mpmath.mp.dps = 60
    y, v = 2.5, 2.5 * (1 + d)
    p, Y_, V_ = mpmath.mpf(power), mpmath.mpf(y), mpmath.mpf(v)
    exact = 2 * (Y_ ** (2 - p) / ((1 - p) * (2 - p)) - Y_ * V_ ** (1 - p) / (1 - p) + V_ ** (2 - p) / (2 - p))
    assert value("tweedie_deviance", [y], [v], power=power) == pytest.approx(float(exact), rel=1e-12)


def test_tweedie_deviance_chunks_merge_at_a_general_power():
    spec = lookup("tweedie_deviance", "regression")
    params = {"power": 1.5}
    whole = accumulate(spec, Inputs("regression", "values", Y, V, W), params)
    parts = [accumulate(spec, Inputs("regression", "values", Y[i:i + 17], V[i:i + 17], W[i:i + 17]), params)
             for i in range(0, len(Y), 17)]
    from losscli.sums import Partial
    assert spec.value(sum(parts, Partial())) == pytest.approx(spec.value(whole), rel=1e-12)


@pytest.mark.parametrize("power, y, v, reason", [
    (0.5, [1, 1], [1, 1], "power ≤ 0 or ≥ 1"),
    (-1.0, [1, 1], [0, 1], "prediction(s) ≤ 0"),
    (1.5, [-1, 1], [1, 1], "negative label"),
    (1.5, [1, 1], [1, 0], "prediction(s) ≤ 0"),
    (3.0, [0, 1], [1, 1], "label(s) ≤ 0"),
])
def test_tweedie_deviance_domain_follows_sklearn(power, y, v, reason):
    spec = lookup("tweedie_deviance", "regression")
    partial = accumulate(spec, Inputs("regression", "values", np.asarray(y, float), np.asarray(v, float)),
                         {"power": power})
    assert partial.skipped is not None and reason in str(partial.skipped)
    with pytest.raises(ValueError):  # scikit-learn refuses the same inputs
        metrics.mean_tweedie_deviance(y, v, power=power)


def _torch_poisson_nll(y, v, log_input=True, full=False, eps=1e-8):
    """PyTorch's documented PoissonNLLLoss (reduction='mean'), written out row by row."""
    total = 0.0
    for t, x in zip(y, v):
        loss = math.exp(x) - t * x if log_input else x - t * math.log(x + eps)
        if full and t > 1:
            loss += t * math.log(t) - t + 0.5 * math.log(2 * math.pi * t)
        total += loss
    return total / len(y)


def test_poisson_nll_by_hand_and_against_the_pytorch_formula():
    # log_input: e^ŷ - yŷ; y=2, ŷ=0: 1 - 0 = 1; y=0, ŷ=ln 3: 3 - 0 = 3; mean 2
    assert value("poisson_nll", [2, 0], [0, math.log(3)]) == pytest.approx(2.0, rel=1e-15)
    # full: y=2 > 1 adds 2 ln 2 - 2 + ½ ln(4π) = 1.3862944 - 2 + 1.2655121 = 0.6518065; y=0 adds nothing
    stirling = 2 * math.log(2) - 2 + 0.5 * math.log(4 * math.pi)
    assert value("poisson_nll", [2, 0], [0, math.log(3)], full=True) == pytest.approx((1 + stirling + 3) / 2, rel=1e-15)
    # rates: ŷ - y ln(ŷ + 1e-8); y=2, ŷ=1: 1 - 2 ln(1 + 1e-8); y=1, ŷ=e: e - ln(e + 1e-8)
    expected = (1 - 2 * math.log(1 + 1e-8) + math.e - math.log(math.e + 1e-8)) / 2
    assert value("poisson_nll", [2, 1], [1, math.e], log_input=False) == pytest.approx(expected, rel=1e-15)
    counts = np.round(Y)
    for kwargs in ({}, {"full": True}, {"log_input": False}, {"log_input": False, "full": True, "eps": 1e-3}):
        log_rates = np.log(V) if kwargs.get("log_input", True) else V
        assert value("poisson_nll", counts, log_rates, **kwargs) == \
            pytest.approx(_torch_poisson_nll(counts, log_rates, **kwargs), rel=REL)


def test_poisson_nll_weights_are_a_weighted_mean():
    # rows 1 and 3 (see above), weights 3 and 1: (3·1 + 1·3)/4 = 1.5
    assert value("poisson_nll", [2, 0], [0, math.log(3)], [3, 1]) == pytest.approx(1.5, rel=1e-15)


def test_keras_poisson_by_hand_and_its_name_is_not_ambiguous():
    from losscli.registry import resolve

    # Keras: ŷ - y ln(ŷ + 1e-7); y=2, ŷ=1: 1 - 2 ln(1 + 1e-7); y=0, ŷ=3: 3; mean
    expected = (1 - 2 * math.log(1 + 1e-7) + 3) / 2
    assert value("poisson", [2, 0], [1, 3]) == pytest.approx(expected, rel=1e-15)
    # keras.losses.poisson(y, ŷ) = mean(ŷ - y·log(ŷ + epsilon())) over the last axis, epsilon() = 1e-7
    keras = np.mean(V - Y * np.log(V + 1e-7))
    assert value("poisson", Y, V) == pytest.approx(keras, rel=REL)
    assert value("poisson", Y, V) == pytest.approx(value("poisson_nll", Y, V, log_input=False, eps=1e-7), rel=1e-15)
    assert resolve("poisson") == resolve("Poisson") == ["poisson"]
    assert resolve("PoissonNLLLoss") == ["poisson_nll"] and resolve("mean_poisson_deviance") == ["poisson_deviance"]


@pytest.mark.parametrize("name, params", [("poisson", {}), ("poisson_nll", {"log_input": False})])
def test_poisson_rates_must_not_be_negative(name, params):
    spec = lookup(name, "regression")
    partial = accumulate(spec, Inputs("regression", "values", np.array([1.0, 2.0]), np.array([-1.0, 1.0])),
                         {**spec.params, **params})
    assert "1 negative prediction(s)" in str(partial.skipped)
    # log-rates may be negative
    assert value("poisson_nll", [1.0], [-1.0]) == pytest.approx(math.exp(-1) + 1, rel=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_rmsle_against_sklearn_and_by_hand(weighted):
    w = W if weighted else None
    assert value("rmsle", Y, V, w) == pytest.approx(metrics.root_mean_squared_log_error(Y, V, sample_weight=w), rel=REL)
    # log1p: 0 and ln 4 -> squares 0, (ln 4)²; root of their mean: ln 4 / √2
    assert value("rmsle", [0, 3], [0, 0]) == pytest.approx(math.log(4) / math.sqrt(2), rel=1e-15)
    spec = lookup("rmsle", "regression")
    assert "≤ -1" in str(accumulate(spec, Inputs("regression", "values", np.array([-1.0]), np.array([1.0]))).skipped)


def test_smooth_l1_pytorch_convention_by_hand():
    # beta 1: |r| = 0.5 < 1 -> 0.5·0.25/1 = 0.125; |r| = 3 -> 3 - 0.5 = 2.5; mean 1.3125
    assert value("smooth_l1", [0, 0], [0.5, 3]) == pytest.approx(1.3125, rel=1e-15)
    # beta 2: |r| = 3 -> 3 - 1 = 2; |r| = 1 -> 0.5·1/2 = 0.25; mean 1.125
    assert value("smooth_l1", [0, 0], [3, -1], beta=2.0) == pytest.approx(1.125, rel=1e-15)
    # beta 0 is L1 (PyTorch): |r| 1, 2 -> 1.5
    assert value("smooth_l1", [1, 2], [0, 4], beta=0.0) == 1.5
    # PyTorch's HuberLoss(delta=β) = β · SmoothL1Loss(beta=β)
    assert value("huber", Y, V, delta=0.7) == pytest.approx(0.7 * value("smooth_l1", Y, V, beta=0.7), rel=1e-12)
    assert value("smooth_l1", Y, V, W, beta=0.3) == pytest.approx(
        np.average(np.where(np.abs(Y - V) < 0.3, 0.5 * (Y - V) ** 2 / 0.3, np.abs(Y - V) - 0.15), weights=W), rel=REL)
    spec = lookup("smooth_l1", "regression")
    assert "beta must be ≥ 0" in str(accumulate(spec, Inputs("regression", "values", Y, V), {"beta": -1.0}).skipped)


def test_new_regression_losses_are_not_listed_by_default():
    from losscli.registry import for_task

    listed = {s.name for s in for_task("regression") if s.default is True}
    assert not listed & {"tweedie_deviance", "poisson_nll", "poisson", "rmsle", "smooth_l1"}
