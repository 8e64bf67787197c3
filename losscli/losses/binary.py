"""Binary and multilabel losses: labels ``y`` in {0, 1} (or soft), predictions as :class:`Scores`.

Every function here is elementwise, so it serves binary tasks, shape (n,), and multilabel tasks,
shape (n, K), where the registry averages over the K labels (the mean over cells).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from ..registry import CLIP, EPS64, NOT_NEGATIVE, Inputs, Within, loss
from ..scores import Scores

if TYPE_CHECKING:
    from ..inference import Target

BIN = ["binary", "multilabel"]
CROSSENTROPY_ALIASES = ("log_loss", "crossentropy", "cross_entropy", "logloss", "nll")


def _threshold(s: Scores, threshold: float | None) -> float:
    return threshold if threshold is not None else (0.0 if s.is_logits else 0.5)


def bce_terms(y: np.ndarray, s: Scores, eps: float) -> np.ndarray:
    r""":math:`-[y \log p + (1 - y) \log(1 - p)]` elementwise, computed once per pair (the plain and the
    class-weighted cross-entropy share it)."""
    if s.has_p_t:  # 0/1 labels: −log p_t, one logarithm
        return s.nll_t(y, eps)
    return s.shared(("bce", eps), y, lambda: -(y * s.log_p(eps) + (1.0 - y) * s.log_1mp(eps)))


def _pos_weight_domain(inputs: Inputs, params: Mapping[str, Any]) -> str | None:
    pos_weight = params.get("pos_weight")
    return "pos_weight must be ≥ 0" if pos_weight is not None and pos_weight < 0 else None


# (focal: a negative alpha is torchvision's "no α balance", as unset; over K classes α is a scale, as in Keras)
FOCAL_RANGES = {"gamma": NOT_NEGATIVE, "alpha": Within(high=1), "eps": CLIP}
FOCAL_K_RANGES = {"gamma": NOT_NEGATIVE, "alpha": NOT_NEGATIVE, "eps": CLIP}


@loss("binary_crossentropy", tasks=BIN, params={"eps": EPS64, "pos_weight": None}, optional=("pos_weight",),
      ranges={"eps": CLIP, "pos_weight": NOT_NEGATIVE},
      inputs="scores", domain=_pos_weight_domain,
      aliases=CROSSENTROPY_ALIASES + ("BinaryCrossentropy", "BCELoss", "BCEWithLogitsLoss", "bce",
                                      "binary_cross_entropy_with_logits"),
      reference="sklearn.metrics.log_loss; keras.losses.BinaryCrossentropy; torch.nn.BCEWithLogitsLoss(pos_weight)")
def binary_crossentropy(y: np.ndarray, s: Scores, *, eps: float, pos_weight: float | None = None) -> np.ndarray:
    r"""Binary cross-entropy (log loss); for multilabel, the mean over cells.

    .. math:: \ell_i = -[y_i \log p_i + (1 - y_i) \log(1 - p_i)]

    Probabilities are clipped to [eps, 1 − eps], eps = float64 machine epsilon (scikit-learn ≥ 1.5;
    Keras uses 1e-7: ``--param binary_crossentropy.eps=1e-7``). Logits take the log-sigmoid path,
    :math:`\ell = \mathrm{softplus}(z) - y z`, and are never clipped.

    ``pos_weight`` (unset by default) weighs the positive term, as PyTorch's
    ``BCEWithLogitsLoss(pos_weight=p)``: :math:`\ell_i = -[p\, y_i \log p_i + (1 - y_i) \log(1 - p_i)]`;
    on probabilities too, with the same clipping. One number, for every label of a multilabel target.
    The mean stays over rows (Σ w ℓ / Σ w), as PyTorch's; this is not a class weight.
    """
    if pos_weight is None:
        return bce_terms(y, s, eps)
    if s.has_p_t:  # 0/1 labels: −log p_t, times p where y = 1
        return s.nll_t(y, eps) * (1.0 + (pos_weight - 1.0) * y)
    return -(pos_weight * y * s.log_p(eps) + (1.0 - y) * s.log_1mp(eps))


class ClassWeights(dict[str, Any]):
    """A ``class_weight`` mapping as given (class name -> weight; what results show), resolved
    against one pair's classes: ``vector[c]`` is the weight of class position c (binary: [the
    negative class, the positive class])."""

    vector: np.ndarray


def with_class_weights(params: dict[str, Any], target: Target) -> dict[str, Any]:
    """``params`` with a ``class_weight`` mapping resolved, once per pair, against ``target``'s
    classes (binary: its two label values as text; K classes: the names its report shows); other
    parameters as they are. A name that is not a class, a class left out, or a weight that is not a
    number ≥ 0 is a usage error that lists the classes."""
    given = params.get("class_weight")
    if not isinstance(given, Mapping):
        return params
    classes = list(target.classes or [])
    order = classes
    if target.task == "binary" and target.positive is not None:
        negative = [c for c in classes if c != target.positive]
        order = negative[:1] + [target.positive]
    problems = []
    unknown = [str(k) for k in given if k not in classes]
    if unknown:
        problems.append(f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not among them")
    missing = [c for c in classes if c not in given]
    if missing:
        problems.append(f"no weight for {', '.join(map(repr, missing))}")
    bad = [f"{k}={v!r}" for k, v in given.items() if not _weight(v)]
    if bad:
        problems.append(f"weights must be numbers ≥ 0, not {', '.join(bad)}")
    if problems:
        raise UsageError(f"--param weighted_crossentropy.class_weight: pair '{target.pair.name}' has the classes "
                         f"{', '.join(map(repr, classes))}; {'; '.join(problems)}. Give one weight per class, e.g. "
                         f"{{{', '.join(f'{c}: 1' for c in classes[:3])}{', …' if len(classes) > 3 else ''}}}")
    resolved = ClassWeights(given)
    resolved.vector = np.array([float(given[c]) for c in order]) if len(order) == 2 or target.task != "binary" \
        else np.array([0.0, float(given[order[-1]])])  # (one class seen: the positive; no row is negative)
    return {**params, "class_weight": resolved}


def _weight(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _class_weight_known(inputs: Inputs, params: Mapping[str, Any]) -> str | None:
    class_weight = params.get("class_weight")
    if class_weight == "balanced" or isinstance(class_weight, ClassWeights):
        return None
    if isinstance(class_weight, Mapping):
        raise UsageError("weighted_crossentropy.class_weight: a mapping of class names is resolved against a pair's "
                         "classes by an evaluation (losscli eval, compare, or losscli.evaluate)")
    raise UsageError(f"--param weighted_crossentropy.class_weight={class_weight}: expected 'balanced' or a mapping "
                     "of class name to weight, e.g. --param 'weighted_crossentropy.class_weight={cat: 2, dog: 1}'")


def class_weight_of_rows(inputs: Inputs, params: Mapping[str, Any]) -> np.ndarray | None:
    """Each row's class weight, from a resolved mapping (None for 'balanced'): a gather by the
    row's class (0/1 binary labels, sparse labels), or y·v for K label columns (one-hot: the class's
    weight; soft labels: their expected weight)."""
    class_weight = params.get("class_weight")
    if not isinstance(class_weight, ClassWeights):
        return None
    vector = class_weight.vector
    if inputs.y.ndim == 1:
        return vector[inputs.y.astype(np.intp)]
    if inputs.index is not None:
        return vector[inputs.index]
    return inputs.y @ vector


@loss("weighted_crossentropy", tasks=["binary"], params={"class_weight": "balanced", "eps": EPS64},
      ranges={"eps": CLIP},
      inputs="scores", reduction="class_balanced", domain=_class_weight_known, row_weights=class_weight_of_rows,
      aliases=("balanced_crossentropy", "class_weighted_crossentropy", "weighted_log_loss"),
      reference="sklearn.metrics.log_loss with sample_weight=compute_sample_weight(class_weight, y)")
def weighted_crossentropy_binary(y: np.ndarray, s: Scores, *, class_weight: str | Mapping[str, float],
                                 eps: float) -> np.ndarray:
    r"""Class-balanced cross-entropy: the mean over classes of each class's mean cross-entropy.

    .. math:: L = \frac1C \sum_c \frac{\sum_{i: y_i = c} w_i \ell_i}{\sum_{i: y_i = c} w_i}

    which equals the weighted mean with scikit-learn's balanced weights n / (C · n_c).

    ``class_weight`` may instead map both label values (as text) to weights (``--param
    'weighted_crossentropy.class_weight={0: 1, 1: 5}'``; ``class_weight = {cat = 2, dog = 1}`` in a
    config file; a dict in Python): then it is scikit-learn's ``log_loss(y, p,
    sample_weight=[class_weight[y_i] for y_i in y])``, the weighted mean
    :math:`\sum_i v_{y_i} w_i \ell_i / \sum_i v_{y_i} w_i` (w: the sample weights, if any).
    """
    return bce_terms(y, s, eps)


@loss("focal", tasks=BIN, params={"gamma": 2.0, "alpha": None, "eps": EPS64}, inputs="scores", ranges=FOCAL_RANGES,
      default=lambda inputs, params: inputs.task == "binary",
      aliases=("focal_loss", "BinaryFocalCrossentropy", "sigmoid_focal_loss", "binary_focal"),
      reference="Lin et al. 2017; torchvision sigmoid_focal_loss (alpha=-1 by default here)")
def focal_binary(y: np.ndarray, s: Scores, *, gamma: float, alpha: float | None, eps: float) -> np.ndarray:
    r"""Focal loss (Lin et al., 2017); no α balance unless ``alpha`` is set.

    .. math:: \ell_i = -[\alpha y_i (1 - p_i)^\gamma \log p_i + (1 - \alpha)(1 - y_i)\, p_i^\gamma \log(1 - p_i)]

    with α = ½ and the factor 2 dropped when ``alpha`` is unset or negative (torchvision's ``alpha=-1``);
    ``--param focal.alpha=0.25`` gives torchvision's default. γ = 0 is the cross-entropy. Logs as in
    ``binary_crossentropy``.
    """
    if s.has_p_t:  # 0/1 labels: −(1 − p_t)^γ log p_t (α for label 1, 1 − α for label 0)
        terms = s.q_t(y) ** gamma
        terms *= s.nll_t(y, eps)
        if alpha is not None and alpha >= 0:
            terms *= alpha * y + (1.0 - alpha) * (1.0 - y)  # α where y = 1, 1 − α where y = 0
        return terms
    p = s.p
    positive = (1.0 - p) ** gamma  # the products in place: two buffers, not eight
    positive *= s.log_p(eps)
    positive *= y
    negative = p**gamma
    negative *= s.log_1mp(eps)
    negative *= 1.0 - y
    if alpha is not None and alpha >= 0:
        positive *= alpha
        negative *= 1.0 - alpha
    positive += negative
    return np.negative(positive, out=positive)


@loss("brier", tasks=BIN, inputs="scores", aliases=("brier_score", "brier_score_loss"),
      reference="sklearn.metrics.brier_score_loss")
def brier_binary(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Brier score: :math:`\ell_i = (p_i - y_i)^2` (logits go through σ first)."""
    if s.has_p_t:  # 0/1 labels: (1 − p_t)² = |y − p|², from the buffer the other losses share
        return np.square(s.q_t(y))
    return (s.p - y) ** 2


def check_threshold(inputs: Inputs, threshold: float | None, loss_name: str) -> None:
    """A threshold for probabilities lies strictly between 0 and 1: outside, every row is put in one
    class (a threshold meant for logits, or predictions inferred as probabilities that are scores)."""
    if threshold is not None and inputs.kind == "probability" and not 0 < threshold < 1:
        raise UsageError(f"--param {loss_name}.threshold={threshold:g}: the predictions are probabilities, and a "
                         "threshold outside (0, 1) puts every row in one class; give one between 0 and 1, or "
                         "--predictions logits if they are decision scores")


def _threshold_domain(loss_name: str) -> Callable[[Inputs, Mapping[str, Any]], None]:
    """The domain check of a loss that thresholds scores: :func:`check_threshold`."""
    return lambda inputs, params: check_threshold(inputs, params.get("threshold"), loss_name)


def _mismatch(y: np.ndarray, s: Scores, threshold: float | None) -> np.ndarray:
    if s.kind == "class":
        return (s.raw != y).astype(np.float64)
    return ((s.raw > _threshold(s, threshold)) != (y > 0.5)).astype(np.float64)


@loss("zero_one", tasks=["binary"], params={"threshold": None}, inputs="scores",
      kinds={"probability", "logits", "class"}, domain=_threshold_domain("zero_one"),
      aliases=("zero_one_loss", "error_rate", "misclassification", "0-1"),
      reference="sklearn.metrics.zero_one_loss")
def zero_one_binary(y: np.ndarray, s: Scores, *, threshold: float | None) -> np.ndarray:
    r"""Misclassification rate: :math:`\ell_i = [\hat y_i \ne y_i]`, :math:`\hat y_i = [p_i > t]`.

    t = 0.5 for probabilities, 0 for decision scores (``--param zero_one.threshold=T``).
    Hard class predictions are compared as they are.
    """
    return _mismatch(y, s, threshold)


@loss("zero_one", tasks=["multilabel"], params={"threshold": None}, inputs="scores", default=False,
      kinds={"probability", "logits"}, domain=_threshold_domain("zero_one"),
      reference="sklearn.metrics.zero_one_loss (subset 0-1 loss)")
def zero_one_subset(y: np.ndarray, s: Scores, *, threshold: float | None) -> np.ndarray:
    r"""Subset 0-1 loss: 1 when any label of the row is wrong (thresholded as ``hamming``)."""
    return _mismatch(y, s, threshold).max(axis=1)


@loss("hamming", tasks=["multilabel"], params={"threshold": None}, inputs="scores",
      domain=_threshold_domain("hamming"), aliases=("hamming_loss",), reference="sklearn.metrics.hamming_loss")
def hamming(y: np.ndarray, s: Scores, *, threshold: float | None) -> np.ndarray:
    r"""Hamming loss: the fraction of wrong labels, :math:`[[p_{ik} > t] \ne y_{ik}]` averaged.

    t = 0.5 for probabilities, 0 for logits.
    """
    return _mismatch(y, s, threshold)


@loss("hinge", tasks=["binary"], inputs="scores", kinds={"logits"}, aliases=("Hinge", "hinge_loss"),
      reference="sklearn.metrics.hinge_loss; keras.losses.Hinge")
def hinge(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Hinge loss on decision scores z, labels t = 2y − 1 in {−1, +1}.

    .. math:: \ell_i = \max(0, 1 - t_i z_i)
    """
    return np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * s.raw)


@loss("squared_hinge", tasks=["binary"], inputs="scores", kinds={"logits"},
      aliases=("SquaredHinge",), reference="keras.losses.SquaredHinge")
def squared_hinge(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Squared hinge: :math:`\ell_i = \max(0, 1 - t_i z_i)^2`, t = 2y − 1."""
    return np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * s.raw) ** 2
