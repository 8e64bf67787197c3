"""``--per-class``: each loss over the rows of each true class, and the confusion matrix, as sums
by class that chunks, shards and ``merge`` add.

A row's true class is its label (binary: the positive class or the other), its sparse label, or
the first largest of its label columns (multiclass: a soft label counts for its largest class).
Its predicted class is the class ``zero_one`` predicts: binary p > t (t = ``zero_one.threshold``,
0.5 for probabilities and 0 for scores), else the first largest score. Each loss's value for a
class is its value over that class's rows, as if the file held only them (the class-balanced
``weighted_crossentropy`` of one class is that class's mean cross-entropy). Hard class predictions
(only ``zero_one`` applies to them) have neither: their class ids are not fixed across chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import registry
from .losses.binary import check_threshold
from .registry import Inputs
from .scores import row_argmax
from .sums import GroupSums

TASKS = ("binary", "sparse", "multiclass")


def applies(task: str, kind: str) -> bool:
    return task in TASKS and kind != "class"


def class_names(task: str, classes: list[str] | None, positive: str | None) -> list[str]:
    """The classes in the order of their codes: binary [the other class, the positive one]."""
    names = [str(c) for c in classes or []]
    if task == "binary":
        other = next((c for c in names if c != positive), "0")
        return [other, str(positive if positive is not None else "1")]
    return names


def codes(inputs: Inputs, threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's true and predicted class, as class codes."""
    if inputs.task == "binary":
        check_threshold(inputs, threshold, "zero_one")
        cut = threshold if threshold is not None else (0.0 if inputs.kind == "logits" else 0.5)
        return (inputs.y > 0.5).astype(np.intp), (inputs.pred > cut).astype(np.intp)
    true = inputs.index if inputs.index is not None else row_argmax(inputs.y)
    return true.astype(np.intp), row_argmax(inputs.pred)


@dataclass
class ClassTable:
    """One pair's sums by true class: the confusion matrix (weights, true class × predicted class)
    and each loss's :class:`GroupSums` with a group per class."""

    names: list[str]
    confusion: np.ndarray
    sums: dict[str, GroupSums] = field(default_factory=dict)

    @classmethod
    def empty(cls, names: list[str]) -> ClassTable:
        return cls(names, np.zeros((len(names), len(names))))

    def add_rows(self, inputs: Inputs, threshold: float | None) -> np.ndarray:
        """Add a chunk's rows to the confusion matrix; each row's true class."""
        true, predicted = codes(inputs, threshold)
        k = len(self.names)
        self.confusion += np.bincount(true * k + predicted, inputs.w, minlength=k * k).reshape(k, k)
        return true

    def add(self, loss: str, spec: registry.LossSpec, inputs: Inputs, terms: registry.Terms, true: np.ndarray,
            rows: np.ndarray, params: dict[str, Any]) -> None:
        """Add a chunk's sums of ``loss`` (computed with ``params``) per true class."""
        found = registry.sum_terms(spec, inputs, terms, true, len(self.names), rows=rows, params=params)
        before = self.sums.get(loss)
        self.sums[loss] = found if before is None else before + found

    def merge(self, other: ClassTable) -> ClassTable:
        sums = dict(self.sums)
        for loss, found in other.sums.items():
            sums[loss] = found if loss not in sums else sums[loss] + found
        return ClassTable(self.names, self.confusion + other.confusion, sums)

    def report(self, losses: dict[str, Any], task: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A row per class (its weight, and each loss's value over its rows: None when it has none)
        and the confusion matrix, for the result."""
        weights = self.confusion.sum(axis=1)
        values: dict[str, list[float | None]] = {}
        for name, ls in losses.items():
            found = self.sums.get(name)
            if found is None:
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                computed = registry.group_values(registry.spec_for(name, task), found, ls.params)
            values[name] = [float(v) if np.isfinite(v) and w > 0 else None for v, w in zip(computed, found.weight)]
        rows = [{"class": name, "weight": float(weights[k]), "losses": {loss: v[k] for loss, v in values.items()}}
                for k, name in enumerate(self.names)]
        matrix = {"classes": self.names, "rows": "true class", "columns": "predicted class",
                  "weights": self.confusion.tolist()}
        return rows, matrix

    def to_dict(self) -> dict[str, Any]:
        return {"names": self.names, "confusion": self.confusion.tolist(),
                "sums": {loss: sums.to_json() for loss, sums in self.sums.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassTable:
        """A state file's table, checked: one name per class, a square matrix of finite weights ≥ 0,
        finite sums with a row per class."""
        names = [str(name) for name in d["names"]]
        k = len(names)
        confusion = np.asarray(d["confusion"], dtype=np.float64)
        if confusion.shape != (k, k) or not np.isfinite(confusion).all() or (confusion < 0).any():
            raise ValueError(f"per-class confusion matrix: shape {confusion.shape}, expected ({k}, {k}) weights ≥ 0")
        sums = {}
        for loss, found in d["sums"].items():
            read = GroupSums.from_json(found)
            arrays = (read.weighted_sum, read.weight, read.class_sums, read.class_weights)
            if any(a is not None and (len(a) != k or not np.isfinite(a).all()) for a in arrays):
                raise ValueError(f"per-class sums of {loss}: expected {k} finite rows")
            top = read.maximum  # (a loss with the max reduction)
            if top is not None and (len(top) != k or np.isnan(top).any() or np.isposinf(top).any()):
                raise ValueError(f"per-class maxima of {loss}: expected {k} numbers or null")
            sums[str(loss)] = read
        return cls(names, confusion, sums)
