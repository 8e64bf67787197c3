"""Past the references where they cancel: log-cosh of small residuals, the Poisson and gamma
deviances of predictions near their labels, the log-softmax of a confident row; each against
60-digit mpmath values of the same formula, to 1e-12 relative (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.losses.regression import CANCELS, SERIES_BELOW, gamma_deviance, log_cosh, poisson_deviance
from losscli.scores import log_softmax

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 60
REL = 1e-12


def exact(values) -> np.ndarray:
    return np.array([float(v) for v in values])


def test_log_cosh_of_small_and_large_residuals():
    r = np.array([1e-12, 1e-8, 1e-5, 3e-3, CANCELS * 0.999, CANCELS, 0.25, 1.0, 2.5, 40.0, 800.0])
    expected = exact(mpmath.log(mpmath.cosh(mpmath.mpf(x))) for x in r)
    assert log_cosh(np.zeros_like(r), r) == pytest.approx(expected, rel=REL)
    assert log_cosh(r, np.zeros_like(r)) == pytest.approx(expected, rel=REL)  # (even in the residual)


DS = [1e-12, 1e-8, -1e-8, 1e-5, -3e-4, SERIES_BELOW * 0.999, -SERIES_BELOW * 0.999, SERIES_BELOW, -SERIES_BELOW,
      0.05, CANCELS * 0.999, -CANCELS * 0.999, CANCELS, -CANCELS, -0.3, -0.5, -0.99, 5.0, 1e6]


@pytest.mark.parametrize("y", [1.0, 3.7, 1e-3, 250.0])
def test_deviances_near_the_label(y):
    v = np.array([y * (1 + d) for d in DS])
    ys = np.full_like(v, y)

    def poisson(a, b):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return 2 * (a * mpmath.log(a / b) - a + b)

    def gamma(a, b):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return 2 * (mpmath.log(b / a) + a / b - 1)

    assert poisson_deviance(ys, v) == pytest.approx(exact(poisson(y, b) for b in v), rel=REL)
    assert gamma_deviance(ys, v) == pytest.approx(exact(gamma(y, b) for b in v), rel=REL)


def test_a_zero_label_and_an_exact_prediction_keep_their_values():
    assert poisson_deviance(np.array([0.0, 2.0]), np.array([0.05, 2.0])).tolist() == [0.1, 0.0]
    assert gamma_deviance(np.array([2.0]), np.array([2.0])).tolist() == [0.0]


def test_log_softmax_of_confident_and_ordinary_rows():
    z = np.array([[50.0, 0.0, -10.0], [0.0, 0.0, 0.0], [3.0, 1.0, -2.0], [-700.0, 700.0, 1.0], [40.0, 40.0, 2.0]])
    for row, got in zip(z, log_softmax(np.asfortranarray(z))):
        terms = [mpmath.mpf(x) for x in row]
        total = mpmath.log(sum(mpmath.exp(t) for t in terms))
        assert got == pytest.approx(exact(t - total for t in terms), rel=REL)
    assert log_softmax(z)[0, 0] == pytest.approx(-1.9287498479639178e-22, rel=REL)  # (it was 0.0)


def test_two_dimensional_targets_take_the_same_values():
    """A multi-output target's arrays are (n, K), in either memory order."""
    y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v = y * (1 + np.array([[1e-6, 0.5], [0.02, -1e-9], [2.0, 0.001]]))
    for f in (poisson_deviance, gamma_deviance, log_cosh):
        flat = f(y.ravel(), v.ravel())
        assert f(y, v).ravel() == pytest.approx(flat, rel=1e-15)
        assert f(np.asfortranarray(y), np.asfortranarray(v)).ravel() == pytest.approx(flat, rel=1e-15)
