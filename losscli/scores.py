"""Classifier outputs, as probabilities or logits, with numerically stable logarithms.

Logits never pass through a clipped probability: ``log σ(z) = −(max(−z, 0) + log(1 + e^{−|z|}))`` and
``log softmax(z) = z − logsumexp(z)`` stay finite and exact for |z| in the thousands. Probabilities
are clipped to ``[eps, 1 − eps]`` before a logarithm, as scikit-learn does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise z − logsumexp(z), shifted by the row maximum m: z − m − log(1 + s), where s sums
    e^(z − m) over the row's other classes and ``log1p`` keeps a confident row's top class at its
    tiny log-probability −s (log(1 + s) rounds it to 0 once s < 1e-16)."""
    top = z.argmax(axis=1)
    rows = np.arange(len(z))
    shifted = z - z[rows, top][:, None]
    others = np.exp(shifted)
    others[rows, top] = 0.0  # (the maximum's own e^0 is the 1 of log1p)
    return shifted - np.log1p(others.sum(axis=1, keepdims=True))


def gather(matrix: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``matrix[i, index[i]]`` for every row i."""
    if matrix.flags.f_contiguous:  # column-major (as read): one flat take
        n = len(index)
        return matrix.T.ravel()[index * n + np.arange(n)]
    return np.take_along_axis(matrix, index[:, None], axis=1)[:, 0]


def row_argmax(matrix: np.ndarray) -> np.ndarray:
    """Each row's first maximal column, as ``matrix.argmax(axis=1)``.

    Prediction matrices are column-major (one contiguous column per class), where numpy's argmax
    along a row is slow; K branch-free passes over the columns give the same answer (ties to the
    first column) about four times faster.
    """
    k = matrix.shape[1]
    if not matrix.flags.f_contiguous or k > 127:
        return matrix.argmax(axis=1)
    best = matrix[:, 0].copy()
    arg = np.zeros(len(matrix), dtype=np.int8)
    for j in range(1, k):
        column = matrix[:, j]
        arg += (j - arg) * (column > best)  # j where column j is strictly larger
        np.maximum(best, column, out=best)
    return arg.astype(np.intp)


class Scores:
    """One pair's predictions. ``raw`` as given; ``kind`` is probability, logits or class."""

    def __init__(self, raw: np.ndarray, kind: str, *, softmax: bool, index: np.ndarray | None = None,
                 hard_labels: bool = False) -> None:
        self.raw = raw
        self.kind = kind
        self.softmax = softmax
        self.index = index  # sparse labels: the true class of each row, for gathers instead of sums
        self.hard_labels = hard_labels  # the labels are exactly 0 or 1 (a binary task)
        self._logs: dict[tuple[str, float], np.ndarray] = {}  # computed once for all losses
        self._shared: dict[tuple, tuple[np.ndarray, Any]] = {}

    @property
    def is_logits(self) -> bool:
        return self.kind == "logits"

    @cached_property
    def p(self) -> np.ndarray:
        """Probabilities: the raw values, or σ(z) / softmax(z) of logits."""
        if not self.is_logits:
            return self.raw
        if self.softmax:
            return np.exp(log_softmax(self.raw))
        e, _, nonnegative = self._sigmoid
        return (nonnegative + ~nonnegative * e) / (1.0 + e)  # σ(z) = 1/(1 + e) or e/(1 + e), e = exp(−|z|)

    @cached_property
    def _sigmoid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For sigmoid logits z: e = exp(−|z|), log(1 + e) and z ≥ 0, from which log σ(±z) and σ(z)
        all follow with one exponential and one logarithm per cell: log σ(z) = −(max(−z, 0) +
        log(1 + e)), log σ(−z) = −(max(z, 0) + log(1 + e))."""
        z = self.raw
        e = np.exp(-np.abs(z))
        return e, np.log1p(e), z >= 0

    def log_p(self, eps: float) -> np.ndarray:
        """log p: stable from logits; log(clip(p, eps, 1 − eps)) from probabilities."""
        key = ("p", 0.0 if self.is_logits else eps)
        if key not in self._logs:
            if self.is_logits and self.softmax:
                self._logs[key] = log_softmax(self.raw)
            elif self.is_logits:
                self._logs[key] = -(np.maximum(-self.raw, 0.0) + self._sigmoid[1])
            else:
                self._logs[key] = np.log(np.clip(self.raw, eps, 1.0 - eps))
        return self._logs[key]

    @cached_property
    def p_true(self) -> np.ndarray:
        """Sparse labels: each row's probability of its true class (from logits: the exponential of
        the gathered log-softmax, one exponential per row)."""
        if self.is_logits:
            return np.exp(self.log_p_true(0.0))
        return gather(self.p, self._sparse_index())

    def log_p_true(self, eps: float) -> np.ndarray:
        """Sparse labels: log p of each row's true class, as ``log_p`` gives it but with one logarithm
        per row, not K (probabilities); logits still need the whole log-softmax."""
        key = ("p_true", 0.0 if self.is_logits else eps)
        if key not in self._logs:
            if self.is_logits:
                self._logs[key] = gather(self.log_p(eps), self._sparse_index())
            else:
                self._logs[key] = np.log(np.clip(self.p_true, eps, 1.0 - eps))
        return self._logs[key]

    def log_1mp(self, eps: float) -> np.ndarray:
        """log(1 − p) for sigmoid outputs: log σ(−z), or log(clip(1 − p, eps, 1 − eps))."""
        key = ("1-p", 0.0 if self.is_logits else eps)
        if key not in self._logs:
            if self.is_logits:
                self._logs[key] = -(np.maximum(self.raw, 0.0) + self._sigmoid[1])
            else:
                self._logs[key] = np.log(np.clip(1.0 - self.raw, eps, 1.0 - eps))
        return self._logs[key]

    @property
    def has_p_t(self) -> bool:
        """Whether the losses may work with :meth:`q_t` and :meth:`nll_t`: labels of exactly 0/1, and
        probabilities or sigmoid logits."""
        return self.hard_labels and (self.kind == "probability" or (self.is_logits and not self.softmax))

    def p_t(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and 0/1 labels ``y``: (p_t, 1 − p_t), the probability each row gives its
        own label, and the rest, both exact (p or 1 − p as given): one logarithm serves where
        y log p + (1 − y) log(1 − p) would take two."""
        def compute() -> tuple[np.ndarray, np.ndarray]:
            # for y in {0, 1} and p in [0, 1]: |(1 − y) − p| is p or 1 − p, |y − p| the other, exactly
            p_t = np.subtract(1.0 - y, self.raw)
            q_t = np.subtract(y, self.raw)
            return np.abs(p_t, out=p_t), np.abs(q_t, out=q_t)
        return self.shared(("p_t",), y, compute)

    def _z_t(self, y: np.ndarray) -> np.ndarray:
        """Sigmoid logits and 0/1 labels ``y``: z_t = z where y = 1, −z where y = 0, the logit of
        each row's own label (exact: a change of sign)."""
        return self.shared(("z_t",), y, lambda: self.raw * (2.0 * y - 1.0))

    def q_t(self, y: np.ndarray) -> np.ndarray:
        """0/1 labels ``y``: 1 − p_t, the probability given to the other label: exactly |y − p| of
        probabilities; σ(−z_t) = exp(−softplus(z_t)) of sigmoid logits, softplus(z_t) = max(z_t, 0) +
        log(1 + e^{−|z|}) (never 1 − σ(z_t), which cancels; without a branch per row, which is four
        times slower). Shared: read it, do not write to it."""
        if not self.is_logits:
            return self.p_t(y)[1]

        def compute() -> np.ndarray:
            q = np.maximum(self._z_t(y), 0.0)
            q += self._sigmoid[1]
            np.negative(q, out=q)
            return np.exp(q, out=q)
        return self.shared(("q_t",), y, compute)

    def nll_t(self, y: np.ndarray, eps: float) -> np.ndarray:
        """−log p_t, the binary cross-entropy term, in one buffer: −log(clip(p_t, eps, 1 − eps)) of
        probabilities (the same number as −``log_p`` or −``log_1mp`` on each row), softplus(−z_t) =
        max(−z_t, 0) + log(1 + e^{−|z|}) of sigmoid logits (never clipped). Shared: read it, do not
        write to it."""
        def compute() -> np.ndarray:
            if self.is_logits:
                nll = np.negative(self._z_t(y))
                np.maximum(nll, 0.0, out=nll)
                nll += self._sigmoid[1]
                return nll
            nll = np.clip(self.p_t(y)[0], eps, 1.0 - eps)
            np.log(nll, out=nll)
            return np.negative(nll, out=nll)
        return self.shared(("nll_t", 0.0 if self.is_logits else eps), y, compute)

    def _sparse_index(self) -> np.ndarray:
        if self.index is None:
            raise ValueError("p_true and log_p_true are for sparse labels, which have an index")
        return self.index

    def true_class(self, y: np.ndarray) -> np.ndarray:
        """Each row's true class: the sparse label, or the first largest of the label columns."""
        if self.index is not None:
            return self.index
        return self.shared(("true_class",), y, lambda: row_argmax(y))

    def outranked(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, how many classes score strictly higher than its true class, and whether
        another class scores exactly the same. One pass over the columns serves the top-k error (a
        count ≥ k) and the argmax, which misses the true class when the count is ≥ 1 (or, on a tie,
        when a tied class comes first). Shared: read them, do not write to them."""
        def compute() -> tuple[np.ndarray, np.ndarray]:
            true_score = gather(self.raw, self.true_class(y))
            n, k = self.raw.shape
            small = k < 256  # counts fit a byte: booleans are added as bytes, with no conversion
            higher: np.ndarray = np.zeros(n, dtype=np.uint8 if small else np.int32)
            same: np.ndarray = np.zeros_like(higher)
            found = np.empty(n, dtype=bool)
            for column in self.raw.T:
                np.greater(column, true_score, out=found)
                higher += found.view(np.uint8) if small else found
                np.equal(column, true_score, out=found)
                same += found.view(np.uint8) if small else found
            return higher, same > 1  # (the true class scores the same as itself)
        return self.shared(("outranked",), y, compute)

    def shared(self, key: tuple, y: np.ndarray, compute: Callable[[], Any]) -> Any:
        """``compute()``, once for every loss of the pair that asks with the same ``key`` and labels
        (the cross-entropy terms serve the plain and the class-weighted cross-entropy)."""
        found = self._shared.get(key)
        if found is None or found[0] is not y:
            found = self._shared[key] = (y, compute())
        return found[1]
