"""Calibration: expected and maximum calibration error, the reliability table and Murphy's
decomposition of the Brier score, all from sums per bin of confidence, so that chunks, shards,
groups and ``merge`` add up exactly.

Each row has a confidence c and an outcome o. For ``binary``, c is the probability of the positive
class and o the label (0/1), as scikit-learn's ``calibration_curve`` and torchmetrics'
``BinaryCalibrationError`` take them. For ``sparse`` and ``multiclass``, c is the largest
probability (the top label) and o the label's weight on that class (1 when it is the true class),
as torchmetrics' ``MulticlassCalibrationError`` does.

Rows are put in bins of c; each bin keeps Σw, Σw·c, Σw·o, Σw·c² and Σw·c·o.

- ``strategy="uniform"``: ``bins`` equal-width bins of [0, 1]. A confidence on an edge belongs to
  the bin below it (the bins are (a, b], the first [0, b]), as scikit-learn's ``calibration_curve``
  bins it; torchmetrics puts it in the bin above.
- ``strategy="quantile"``: bins of equal mass (weight). Their edges are quantiles of the whole data,
  which no chunk knows alone, so rows go into FINE fine bins, even on the logit scale between
  σ(−16) and σ(16) (about 0.03 logit wide: 1.5e-5 wide at a confidence of 0.999), and the fine
  bins are joined into ``bins`` bins of as nearly equal mass as their edges allow when the loss is
  finished. The reliability table gives each bin's edges and weight, so what was joined is shown.
  Bins left empty are dropped, as scikit-learn drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..registry import Binned, Within, loss, row_argmax
from ..scores import Scores, gather

TASKS = ["binary", "sparse", "multiclass"]
FINE = 1024  # fine bins of strategy="quantile"
RANGES = {"bins": Within(1, FINE, whole=True)}  # (more bins than the fine ones would be empty)
LOGIT_RANGE = 16.0
STATS = ("c", "o", "cc", "co")  # the statistics summed per bin (weighted): c, o, c², c·o
PARAMS = {"bins": 15, "strategy": "uniform"}


def _fine_edges() -> np.ndarray:
    """The inner edges of the fine bins, as confidences: σ of FINE − 1 evenly spaced logits."""
    logits = np.linspace(-LOGIT_RANGE, LOGIT_RANGE, FINE + 1)[1:-1]
    return 1.0 / (1.0 + np.exp(-logits))


FINE_EDGES = _fine_edges()


def edges(params: Mapping[str, Any]) -> np.ndarray:
    """Every edge of the bins rows are put in, from 0 to 1: ``bins`` + 1 of them (uniform), or
    the fine bins' FINE + 1 (quantile)."""
    if params["strategy"] == "quantile":
        return np.concatenate([[0.0], FINE_EDGES, [1.0]])
    return np.linspace(0.0, 1.0, int(params["bins"]) + 1)


def _shape(params: Mapping[str, Any]) -> tuple[int, int]:
    return len(edges(params)) - 1, len(STATS)


def _binned(confidence: np.ndarray, outcome: np.ndarray, params: Mapping[str, Any]) -> Binned:
    inner = edges(params)[1:-1]
    bins = np.searchsorted(inner, confidence, side="left")  # (a, b]: an edge's value goes in the bin below
    stats = np.column_stack([confidence, outcome, confidence * confidence, confidence * outcome])
    return Binned(bins, stats, len(inner) + 1, np.abs(confidence - outcome))


def _check(params: Mapping[str, Any]) -> str | None:
    if params["strategy"] not in ("uniform", "quantile"):
        return f"strategy must be 'uniform' (equal width) or 'quantile' (equal mass), not {params['strategy']!r}"
    if params["bins"] != int(params["bins"]) or not 1 <= params["bins"] <= FINE:
        return f"bins must be a whole number from 1 to {FINE}, not {params['bins']:g}"
    return None


def confidence_and_outcome(y: np.ndarray, s: Scores) -> tuple[np.ndarray, np.ndarray]:
    """Each row's confidence and outcome: P(positive) and the 0/1 label (binary), or the top
    probability and the label's weight on the top class (K classes; ties go to the first class)."""
    p = s.p
    if p.ndim == 1:
        return p, y
    top = row_argmax(s.raw)  # (the argmax of logits is the argmax of their softmax)
    return gather(p, top), gather(y, top)


def joined(weights: np.ndarray, sums: np.ndarray,
           params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bins of the sums (``weights`` (..., B) and ``sums`` (..., B, S)): as they are (uniform),
    or the fine bins joined into ``bins`` bins of nearly equal weight (quantile: each fine bin goes
    to the bin its middle falls in, by the weight below it). Also the first and last bin of
    ``edges(params)`` that each holds, (..., bins) each: its rows lie between
    ``edges[first]`` and ``edges[last + 1]``."""
    if params["strategy"] != "quantile":
        own = np.broadcast_to(np.arange(weights.shape[-1]), weights.shape)
        return weights, sums, own, own
    count = int(params["bins"])
    total = weights.sum(axis=-1, keepdims=True)
    middle = np.cumsum(weights, axis=-1) - weights / 2  # the weight below each fine bin's middle
    with np.errstate(invalid="ignore", divide="ignore"):
        target = np.nan_to_num(np.minimum(np.floor(middle / total * count), count - 1)).astype(np.intp)
    shape = weights.shape[:-1] + (count,)
    out_w, out_s = np.zeros(shape), np.zeros(shape + sums.shape[-1:])
    first, last = np.zeros(shape, dtype=np.intp), np.zeros(shape, dtype=np.intp)
    fine = weights.shape[-1]
    for b in range(count):  # (a few bins: one pass each over the fine bins)
        member = (target == b) & (weights > 0)
        out_w[..., b] = (weights * member).sum(axis=-1)
        out_s[..., b, :] = (sums * member[..., None]).sum(axis=-2)
        first[..., b] = np.argmax(member, axis=-1)
        last[..., b] = fine - 1 - np.argmax(member[..., ::-1], axis=-1)
    return out_w, out_s, first, last


def _ece(weights: np.ndarray, sums: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    w, s, _, _ = joined(weights, sums, params)
    return np.abs(s[..., 0] - s[..., 1]).sum(axis=-1) / w.sum(axis=-1)


def _mce(weights: np.ndarray, sums: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    w, s, _, _ = joined(weights, sums, params)
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = np.where(w > 0, np.abs(s[..., 0] - s[..., 1]) / w, -np.inf)
    return gaps.max(axis=-1)


@loss("ece", tasks=TASKS, params=PARAMS, inputs="scores", default=False, reduction="binned", finish_bins=_ece,
      bin_shape=_shape, ranges=RANGES,
      domain=lambda inputs, params: _check(params),
      aliases=("expected_calibration_error", "CalibrationError", "BinaryCalibrationError",
               "MulticlassCalibrationError", "calibration_error"),
      reference="torchmetrics CalibrationError(norm='l1'); from sklearn.calibration.calibration_curve's bins")
def ece(y: np.ndarray, s: Scores, *, bins: int, strategy: str) -> Binned:
    r"""Expected calibration error: the weighted mean over bins of confidence of |accuracy − confidence|.

    .. math:: \mathrm{ECE} = \sum_b \frac{W_b}{W} \left| \bar o_b - \bar c_b \right|

    with :math:`W_b = \sum_{i \in b} w_i`, :math:`\bar c_b` the bin's mean confidence and
    :math:`\bar o_b` its mean outcome. Binary: the positive class's probability against the label
    (calibration_curve's curve); K classes: the top probability against whether it is the true
    class (top-label). ``bins`` = 15 (torchmetrics' default), ``strategy`` = ``uniform`` (equal
    width; a value on an edge goes to the bin below, as scikit-learn) or ``quantile`` (equal mass,
    from 1024 fine bins on the logit scale). With ``ece`` or ``mce``, the JSON result gains
    ``calibration``: the reliability table and, for binary, Murphy's decomposition of the Brier score.
    """
    return _binned(*confidence_and_outcome(y, s), {"bins": bins, "strategy": strategy})


@loss("mce", tasks=TASKS, params=PARAMS, inputs="scores", default=False, reduction="binned", finish_bins=_mce,
      bin_shape=_shape, ranges=RANGES,
      domain=lambda inputs, params: _check(params),
      aliases=("maximum_calibration_error", "max_calibration_error"),
      reference="torchmetrics CalibrationError(norm='max')")
def mce(y: np.ndarray, s: Scores, *, bins: int, strategy: str) -> Binned:
    r"""Maximum calibration error: the largest |accuracy − confidence| of a bin that holds rows.

    .. math:: \mathrm{MCE} = \max_{b:\, W_b > 0} \left| \bar o_b - \bar c_b \right|

    Bins, confidence and outcome as ``ece``.
    """
    return _binned(*confidence_and_outcome(y, s), {"bins": bins, "strategy": strategy})


def reliability(weights: np.ndarray, sums: np.ndarray, params: Mapping[str, Any], task: str) -> dict[str, Any]:
    r"""The reliability table of one result's bin sums (``weights`` (B,), ``sums`` (B, S)): each bin
    that holds rows, with its edges, weight (rows, without ``--weight``), mean confidence, accuracy
    (mean outcome) and gap (accuracy − confidence); for binary, Murphy's decomposition of the Brier
    score, exact with its within-bin terms (Stephenson et al., 2008):

    .. math:: \mathrm{BS} = \mathrm{REL} - \mathrm{RES} + \mathrm{UNC} + \mathrm{WBV} - \mathrm{WBC}

    with REL = Σ W_b (c̄_b − ō_b)² / W, RES = Σ W_b (ō_b − ō)² / W, UNC = ō(1 − ō), and the
    forecasts' variance within bins WBV = Σ (Σw·c² − W_b c̄_b²) / W and their covariance with the
    outcomes WBC = 2 Σ (Σw·c·o − W_b c̄_b ō_b) / W, both 0 when each bin holds one forecast value.
    """
    w, s, first, last = joined(weights, sums, params)
    limits = edges(params)
    held = np.flatnonzero(w > 0)
    c, o = s[held, 0] / w[held], s[held, 1] / w[held]
    rows = [{"lower": float(limits[first[b]]), "upper": float(limits[last[b] + 1]), "weight": float(w[b]),
             "confidence": float(cb), "accuracy": float(ob), "gap": float(ob - cb)}
            for b, cb, ob in zip(held, c, o)]
    out: dict[str, Any] = {"of": "positive class" if task == "binary" else "top label",
                           "strategy": params["strategy"], "bins": rows}
    total = float(w.sum())
    if task == "binary" and total > 0:
        wb, base = w[held], float(s[:, 1].sum() / total)
        out["brier_decomposition"] = {
            "reliability": float((wb * (c - o) ** 2).sum() / total),
            "resolution": float((wb * (o - base) ** 2).sum() / total),
            "uncertainty": base * (1.0 - base),
            "within_bin_variance": float((s[held, 2] - wb * c**2).sum() / total),
            "within_bin_covariance": float(2.0 * (s[held, 3] - wb * c * o).sum() / total),
        }
    return out
