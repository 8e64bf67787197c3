"""Losses over K classes: labels ``y`` as (n, K) one-hot or soft distributions, predictions as
:class:`Scores` (probabilities, or logits through a stable log-softmax).

``sparse`` (one label column) and ``multiclass`` (K label columns) share these functions; sparse
labels arrive one-hot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..registry import CLIP, EPS64, FRACTION, Inputs, Within, gather, loss, row_argmax
from ..scores import Scores
from .binary import CROSSENTROPY_ALIASES, FOCAL_K_RANGES, _class_weight_known, class_weight_of_rows

K = ["sparse", "multiclass"]


def ce_terms(y: np.ndarray, s: Scores, eps: float) -> np.ndarray:
    r""":math:`-\sum_c y_c \log p_c` per row (for sparse labels, :math:`-\log p_{y}`, gathered)."""
    def compute() -> np.ndarray:
        if s.index is not None:
            return -s.log_p_true(eps)
        return -(y * s.log_p(eps)).sum(axis=1)
    return s.shared(("ce", eps), y, compute)


def smoothed_ce_terms(y: np.ndarray, s: Scores, eps: float, label_smoothing: float) -> np.ndarray:
    r"""The cross-entropy against labels :math:`y (1 - \varepsilon) + \varepsilon / K`:
    :math:`(1 - \varepsilon)\, \mathrm{CE} - \frac{\varepsilon}{K} \sum_c \log p_c`
    (ε = 0: the plain terms, on their own path)."""
    if label_smoothing == 0:
        return ce_terms(y, s, eps)
    uniform = s.log_p(eps).mean(axis=1)
    return (1.0 - label_smoothing) * ce_terms(y, s, eps) - label_smoothing * uniform


def _label_smoothing_domain(inputs: Inputs, params: Mapping[str, Any]) -> str | None:
    smoothing = params.get("label_smoothing", 0.0)
    return None if 0.0 <= smoothing <= 1.0 else "label_smoothing must be in [0, 1]"


@loss("sparse_categorical_crossentropy", tasks=["sparse"], params={"eps": EPS64, "label_smoothing": 0.0},
      ranges={"eps": CLIP, "label_smoothing": FRACTION},
      optional=("label_smoothing",), inputs="scores", domain=_label_smoothing_domain,
      aliases=CROSSENTROPY_ALIASES + ("SparseCategoricalCrossentropy", "CrossEntropyLoss",
                                      "sparse_crossentropy", "NLLLoss"),
      reference="sklearn.metrics.log_loss; keras.losses.SparseCategoricalCrossentropy; "
                "torch.nn.CrossEntropyLoss(label_smoothing)")
def sparse_categorical_crossentropy(y: np.ndarray, s: Scores, *, eps: float,
                                    label_smoothing: float = 0.0) -> np.ndarray:
    r"""Cross-entropy of the true class: :math:`\ell_i = -\log p_{i, y_i}`.

    Probabilities are clipped to [eps, 1 − eps] and not renormalised (scikit-learn); logits take
    the log-softmax path.

    With ``--param sparse_categorical_crossentropy.label_smoothing=ε`` (0 by default) the labels
    become :math:`y (1 - \varepsilon) + \varepsilon / K`, as PyTorch's ``CrossEntropyLoss(label_smoothing=ε)``
    (Keras's sparse loss has no smoothing; its ``CategoricalCrossentropy(label_smoothing=ε)`` on the
    one-hot labels gives the same number): :math:`\ell_i = -(1 - \varepsilon) \log p_{i, y_i} -
    \frac{\varepsilon}{K} \sum_c \log p_{ic}`.
    """
    return smoothed_ce_terms(y, s, eps, label_smoothing)


@loss("categorical_crossentropy", tasks=["multiclass"], params={"eps": EPS64, "label_smoothing": 0.0},
      ranges={"eps": CLIP, "label_smoothing": FRACTION},
      optional=("label_smoothing",), inputs="scores", domain=_label_smoothing_domain,
      aliases=CROSSENTROPY_ALIASES + ("CategoricalCrossentropy", "CrossEntropyLoss", "cce"),
      reference="sklearn.metrics.log_loss; keras.losses.CategoricalCrossentropy; "
                "torch.nn.CrossEntropyLoss(label_smoothing)")
def categorical_crossentropy(y: np.ndarray, s: Scores, *, eps: float, label_smoothing: float = 0.0) -> np.ndarray:
    r"""Categorical cross-entropy with one-hot or soft labels: :math:`\ell_i = -\sum_c y_{ic} \log p_{ic}`.

    Clipping and logits as in ``sparse_categorical_crossentropy``.

    With ``--param categorical_crossentropy.label_smoothing=ε`` (0 by default) the labels become
    :math:`y (1 - \varepsilon) + \varepsilon / K`, as Keras's ``CategoricalCrossentropy(label_smoothing=ε)``
    and PyTorch's ``CrossEntropyLoss(label_smoothing=ε)`` do (the two agree, soft labels included):
    :math:`\ell_i = -(1 - \varepsilon) \sum_c y_{ic} \log p_{ic} - \frac{\varepsilon}{K} \sum_c \log p_{ic}`.
    Keras renormalises probabilities and clips them at 1e-7; here they are clipped at eps, as above.
    """
    return smoothed_ce_terms(y, s, eps, label_smoothing)


@loss("kl_divergence", tasks=["multiclass"], params={"eps": EPS64}, inputs="scores", ranges={"eps": CLIP},
      aliases=("kld", "kl", "KLDivergence", "KLDivLoss", "kullback_leibler_divergence"),
      reference="keras.losses.KLDivergence; torch.nn.KLDivLoss(reduction='batchmean')")
def kl_divergence(y: np.ndarray, s: Scores, *, eps: float) -> np.ndarray:
    r"""Kullback-Leibler divergence of the predictions from the label distribution.

    .. math:: \ell_i = \sum_{c: y_{ic} > 0} y_{ic} (\log y_{ic} - \log p_{ic})

    0 · log 0 = 0; equal to the cross-entropy for one-hot labels.
    """
    log_y = np.log(np.where(y > 0, y, 1.0))
    return (y * log_y).sum(axis=1) + ce_terms(y, s, eps)


@loss("weighted_crossentropy", tasks=K, params={"class_weight": "balanced", "eps": EPS64}, ranges={"eps": CLIP},
      inputs="scores", reduction="class_balanced", domain=_class_weight_known, row_weights=class_weight_of_rows,
      reference="sklearn.metrics.log_loss with sample_weight=compute_sample_weight(class_weight, y)")
def weighted_crossentropy_classes(y: np.ndarray, s: Scores, *, class_weight: str | Mapping[str, float],
                                  eps: float) -> np.ndarray:
    r"""Class-balanced cross-entropy: the mean over the present classes of each class's mean.

    .. math:: L = \frac1C \sum_c \frac{\sum_i w_i y_{ic} \ell_i}{\sum_i w_i y_{ic}}

    Soft labels count as fractional members of each class.

    ``class_weight`` may instead map every class (by the names the report shows in ``classes``) to a
    weight (``--param 'weighted_crossentropy.class_weight={cat: 2, dog: 1}'``; ``class_weight = {cat
    = 2, dog = 1}`` in a config file; a dict in Python): then it is scikit-learn's ``log_loss(y, p,
    sample_weight=[class_weight[y_i] for y_i in y])``, the weighted mean
    :math:`\sum_i v_{y_i} w_i \ell_i / \sum_i v_{y_i} w_i` (w: the sample weights, if any; soft labels
    weigh :math:`v \cdot y_i`).
    """
    return ce_terms(y, s, eps)


@loss("focal", tasks=K, params={"gamma": 2.0, "alpha": None, "eps": EPS64}, inputs="scores", ranges=FOCAL_K_RANGES,
      aliases=("CategoricalFocalCrossentropy", "categorical_focal"),
      reference="Lin et al. 2017; keras.losses.CategoricalFocalCrossentropy (alpha=1 by default here)")
def focal_classes(y: np.ndarray, s: Scores, *, gamma: float, alpha: float | None, eps: float) -> np.ndarray:
    r"""Focal loss over K classes: :math:`\ell_i = -\alpha \sum_c y_{ic} (1 - p_{ic})^\gamma \log p_{ic}`.

    α = 1 unless ``alpha`` is set (``--param focal.alpha=0.25`` gives Keras's default).
    """
    if s.index is not None:
        terms = -(1.0 - s.p_true) ** gamma * s.log_p_true(eps)
    else:
        terms = -(y * (1.0 - s.p) ** gamma * s.log_p(eps)).sum(axis=1)
    return terms if alpha is None else alpha * terms


@loss("brier", tasks=K, inputs="scores", reference="sklearn.metrics.brier_score_loss (multiclass)")
def brier_classes(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Multiclass Brier score: :math:`\ell_i = \sum_c (p_{ic} - y_{ic})^2`.

    As scikit-learn (``scale_by_half="auto"``), halved when K = 2 so that it equals the binary
    Brier score.
    """
    difference = s.p - y
    np.multiply(difference, difference, out=difference)  # squared in place: one (n, K) buffer
    terms = difference.sum(axis=1)
    return terms / 2.0 if y.shape[1] == 2 else terms


@loss("categorical_hinge", tasks=K, inputs="scores", aliases=("CategoricalHinge",),
      reference="keras.losses.CategoricalHinge (Crammer-Singer)")
def categorical_hinge(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Keras's categorical hinge on the predictions as given (scores or probabilities).

    .. math:: \ell_i = \max(0, 1 + \max_c (1 - y_{ic}) \hat y_{ic} - \sum_c y_{ic} \hat y_{ic})
    """
    if s.index is not None:
        positive = gather(s.raw, s.index)
        others = s.raw.copy(order="K")
        others[np.arange(len(s.index)), s.index] = 0.0  # (1 − y) ŷ: the true class counts 0
        negative = others.max(axis=1)
    else:
        positive = (y * s.raw).sum(axis=1)
        negative = ((1.0 - y) * s.raw).max(axis=1)
    return np.maximum(0.0, negative - positive + 1.0)


@loss("hinge", tasks=K, inputs="scores", kinds={"logits"}, default=False,
      aliases=("multiclass_hinge", "crammer_singer_hinge"),
      reference="sklearn.metrics.hinge_loss (multiclass, Crammer-Singer)")
def hinge_classes(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Multiclass hinge loss on decision scores, as scikit-learn's ``hinge_loss`` (Crammer–Singer).

    .. math:: \ell_i = \max(0, 1 - (z_{i, y_i} - \max_{j \ne y_i} z_{ij}))

    The true class is the label (the first largest label column for K label columns). Not listed by
    default. ``categorical_hinge`` is Keras's variant: its maximum over the other classes is taken
    of (1 − y)·ŷ, so it never falls below 0 when every other score is negative.
    """
    true = s.true_class(y)
    positive = gather(s.raw, true)
    others = s.raw.copy(order="K")
    others[np.arange(len(true)), true] = -np.inf  # the true class is not among the others
    return np.maximum(0.0, 1.0 - positive + others.max(axis=1))


@loss("zero_one", tasks=K, inputs="scores", kinds={"probability", "logits", "class"},
      aliases=("zero_one_loss",), reference="sklearn.metrics.zero_one_loss")
def zero_one_classes(y: np.ndarray, s: Scores) -> np.ndarray:
    r"""Misclassification rate: :math:`\ell_i = [\arg\max_c \hat y_{ic} \ne \arg\max_c y_{ic}]`.

    Ties go to the first class (numpy's argmax). Hard class ids are compared as they are.
    """
    if s.kind == "class":
        return (s.raw != y).astype(np.float64)
    higher, tied = s.outranked(y)
    missed = higher > 0
    rows = np.flatnonzero(tied & ~missed)  # the true class shares the top score: the first such class is taken
    missed[rows] = row_argmax(s.raw[rows]) != s.true_class(y)[rows]
    return missed.astype(np.float64)


def _top_k_listed(inputs: Inputs, params: Mapping[str, Any]) -> bool:
    return inputs.kind != "class" and inputs.n_classes > params["k"]


def _top_k_domain(inputs: Inputs, params: Mapping[str, Any]) -> str | None:
    if params["k"] < 1:
        return "k must be at least 1"
    if inputs.n_classes <= params["k"]:
        return f"k={params['k']} ≥ {inputs.n_classes} classes: every row is in the top k"
    return None


@loss("top_k_error", tasks=K, params={"k": 5}, ranges={"k": Within(1, whole=True)}, inputs="scores",
      default=_top_k_listed,
      domain=_top_k_domain, aliases=("top_k", "top_k_accuracy_error"),
      reference="1 − sklearn.metrics.top_k_accuracy_score")
def top_k_error(y: np.ndarray, s: Scores, *, k: int) -> np.ndarray:
    r"""Top-k error: 1 when k or more classes score strictly higher than the true class.

    The true class is argmax of the labels; ties count in the true class's favour.
    """
    higher, _ = s.outranked(y)
    return (higher >= k).astype(np.float64)
