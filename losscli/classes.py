"""Class names and codes: the distinct values of a label column, labels factorised to codes, class
ids told from quantities, the class a column name or ``--positive`` names, and the check that
predictions do not rank the classes backwards. Plain functions of numpy arrays and names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import DataError, UsageError


def label_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_integral(values: np.ndarray) -> bool:
    return bool(np.all(values == np.round(values)))


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values: two comparisons when there are at most two (labels), else a
    sort (numbers) or a set (text, few distinct names)."""
    if values.dtype == object:  # (text: few distinct values; pa.array of objects would import pandas)
        return np.array(sorted(set(values.tolist())), dtype=object)
    if len(values) == 0:
        return values[:0]
    low, high = values.min(), values.max()
    if low == high or ((values == low) | (values == high)).all():
        return np.array(sorted({float(low), float(high)}))
    ordered = np.sort(values)  # (not np.unique, which imports numpy.ma)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


MAX_HARD_CLASSES = 1000  # integer labels with more distinct values are a quantity, not class ids


def look_like_classes(labels: np.ndarray, predicted: np.ndarray) -> bool:
    """Integer labels and predictions are hard class ids when every prediction is one of the labels
    and the labels are not too many (a target of 25–346 predicted by rounding is regression)."""
    return len(labels) <= MAX_HARD_CLASSES and bool(np.isin(predicted, labels).all())


def looks_binary(y: np.ndarray, p: np.ndarray) -> bool:
    """Labels 0/1 or −1/+1 (or only 0, only 1); other pairs of integers when p is in [0, 1]."""
    values = set(distinct(y).tolist())
    in_unit = bool(((p >= 0) & (p <= 1)).all())
    if values in ({0.0, 1.0}, {-1.0, 1.0}) or (len(values) == 1 and values <= {0.0, 1.0} and in_unit):
        return True
    return len(values) == 2 and is_integral(np.array(list(values))) and in_unit


SMALL_RANGE = 1 << 16  # integer labels spanning fewer values than this are factorised by a table


def factorize(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sorted distinct values as label strings, and each value's position among them (vectorised)."""
    if values.dtype == object:  # text (hard class names): a dictionary of the few distinct names
        names = sorted(set(values.tolist()))
        position = {name: i for i, name in enumerate(names)}
        return names, np.fromiter(map(position.__getitem__, values.tolist()), dtype=np.intp, count=len(values))
    if len(values):
        low = values.min()
        offsets = values - low
        codes = offsets.astype(np.intp) if values.max() - low < SMALL_RANGE else None
        if codes is not None and (codes == offsets).all():  # class ids: a table, no sort
            present = np.flatnonzero(np.bincount(codes))
            rank = np.zeros(int(codes.max()) + 1, dtype=np.intp)
            rank[present] = np.arange(len(present))
            return [label_text(float(low + v)) for v in present], rank[codes]
    uniques = distinct(values)
    return [label_text(float(u)) for u in uniques], np.searchsorted(uniques, values)


BOOLEAN_NAMES = {"0": "False", "1": "True"}  # a column of booleans: its labels as pandas writes them


def label_number(label: str) -> float:
    """A numeric label's value: ``"3"`` -> 3.0, ``"True"`` -> 1.0."""
    return {"False": 0.0, "True": 1.0}[label] if label in ("False", "True") else float(label)


def as_label_number(text: str) -> str | None:
    """A numeric label as labels are shown (``1.0`` -> ``1``), None when ``text`` is no number."""
    try:
        return label_text(float(text))
    except ValueError:
        return None


def match_positive(positive: str, shown: list[str], numeric: bool, column: str) -> str:
    """``--positive`` as the labels write it (``1.0`` for labels ``1``, ``true`` for ``True``). When
    the first rows hold one class, any other value is taken: the positive class may come later."""
    if positive in shown:
        return positive
    if positive.lower() in ("true", "false", "1", "0") and set(shown) <= {"False", "True"}:
        return "True" if positive.lower() in ("true", "1") else "False"
    number = as_label_number(positive) if numeric else None
    if number in shown:
        return number
    if len(shown) == 1 and (number is not None or not numeric):
        return number or positive
    raise UsageError(f"--positive {positive}: not a value of '{column}' (values: {', '.join(shown)})")


def named_class(column: str, shown: list[str], numeric: bool) -> str | None:
    """The class a probability column's name names (``p_benign``, ``prob_yes``, ``churn_prob``,
    ``bad_proba``, ``proba_good``): the label value it matches; with one value seen so far, what it
    names even if that value is still to come (``prob_1`` over labels all 0). Else None."""
    from .value_pairing import match_classes, named_part

    part = named_part(column)
    if not part:
        return None
    found = match_classes([part], shown)
    if found:
        return shown[found[0][part]]
    if len(shown) == 1 and not (numeric and as_label_number(part) is None):
        return as_label_number(part) if numeric else part
    return None


INVERTED_AUC = 0.3  # below this the predictions rank the classes backwards
INVERTED_MIN_ROWS = 10  # of each class, before an AUC is evidence
INVERTED_ROWS = 100_000  # the AUC of at most this many rows: a sort of 3M (a file read whole) took 0.9 s


def roc_auc(y01: np.ndarray, scores: np.ndarray) -> float:
    """The area under the ROC curve: the Mann–Whitney U of the scores' ranks (ties share their
    average rank), over n₊·n₋."""
    n = len(scores)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    new_run = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], n)
    ranks = np.empty(n)
    ranks[order] = ((starts + 1 + ends) / 2)[np.cumsum(new_run) - 1]
    positives = int(y01.sum())
    return float((ranks[y01 == 1].sum() - positives * (positives + 1) / 2) / (positives * (n - positives)))


def inverted_warning(y01: np.ndarray, p: np.ndarray, column: str, positive: str, other: str) -> tuple[str, str] | None:
    """When there are enough rows of each class (INVERTED_MIN_ROWS): the evidence (the ROC AUC with
    ``positive`` as the positive class) and, when the predictions rank the classes backwards (AUC
    below INVERTED_AUC; the column is likely the probability of ``other``), a warning, else "".
    Judged on at most INVERTED_ROWS rows spread over the chunk, a row in every ``step`` (a file
    sorted by its label has one class in its first rows)."""
    step = -(-len(y01) // INVERTED_ROWS)
    y01, p = y01[::step], p[::step]
    positives = int(y01.sum())
    if min(positives, len(y01) - positives) < INVERTED_MIN_ROWS:
        return None
    auc = roc_auc(y01, p)
    warning = "" if auc >= INVERTED_AUC else (
        f"the predictions look inverted: with positive class {positive} their ROC AUC is {auc:.2f}; "
        f"if '{column}' is the probability of {other}, pass --positive {other}")
    rows = "first rows" if step == 1 else f"one row in {step}"
    return f"ROC AUC {auc:.3f} with positive class {positive} ({rows})", warning


class HeldLabel:
    """The one label value of a binary pair's first rows, with predictions all 0 or 1 there, which
    were taken for probabilities (a file sorted by its label: every 0 first): with both labels they
    would be hard classes. A later row with another label is refused, naming the flag that settles it."""

    kind = "one label"

    def __init__(self, value: float) -> None:
        self.value = value

    def add(self, y: np.ndarray, p: np.ndarray, label: str, pred: str, where: Callable[[str, int], str]) -> None:
        """A later chunk's labels ``y`` (column ``label``); ``where(column, i)`` places its i-th row."""
        other = np.flatnonzero((np.asarray(y, dtype=np.float64) != self.value) & ~np.isnan(y))
        if len(other):
            i = int(other[0])
            raise DataError(f"{where(label, i)}label {label_text(float(y[i]))}, where every row before labels "
                            f"{label_text(self.value)} (a file sorted by its label?): the predictions, all 0 or 1 "
                            "there, were taken for probabilities; pass --predictions class if they are hard classes, "
                            "or --predictions probability")

    def merge(self, other: Hold) -> HeldLabel:
        """Two shards each held to its one value (``merge`` of states): one value, or refused."""
        if not isinstance(other, HeldLabel):
            raise _held_apart(self, other)
        if other.value != self.value:
            raise DataError(f"one shard labels only {label_text(self.value)} and another only "
                            f"{label_text(other.value)}, with predictions all 0 or 1 taken for probabilities; pass "
                            "--predictions class if they are hard classes, or --predictions probability")
        return self

    def to_dict(self) -> dict[str, object]:
        return {"hold": "one label", "value": self.value}

    def check(self) -> None:
        """(Nothing is left to check at the end: each row was checked as it came.)"""


class HeldRegression:
    """A regression that its first rows decided on labels of one value, or on integers that its
    integer predictions go beyond, where the whole file may be a binary task (0 and 1 with scores;
    two labels with probabilities) or class ids (every prediction one of the labels): a file sorted
    by its label. What the rows hold is summed up as they come (their distinct labels, and their
    predictions' while those are whole numbers, at most MAX_HARD_CLASSES + 1 of each; the
    predictions' range) and judged at the end as one chunk of the whole file would be."""

    kind = "regression"

    def __init__(self, labels: list[float], predicted: list[float] | None, low: float, high: float) -> None:
        """The first rows' distinct labels, distinct predictions (None: not all whole) and range."""
        self.labels = np.array(labels, dtype=np.float64)
        self.predicted = None if predicted is None else np.array(predicted, dtype=np.float64)
        self.low, self.high = low, high
        self.at = ""  # where the first label not among the first rows' was met

    def add(self, y: np.ndarray, p: np.ndarray, label: str, pred: str, where: Callable[[str, int], str]) -> None:
        """A chunk's labels ``y`` (column ``label``) and predictions ``p`` (column ``pred``), numbers."""
        y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
        y, p = y[np.isfinite(y)], p[np.isfinite(p)]
        if not len(y):
            return
        new = np.flatnonzero(~np.isin(y, self.labels))
        if len(new) and not self.at:
            self.at = where(label, int(new[0]))
        self.labels = np.union1d(self.labels, distinct(y))[: MAX_HARD_CLASSES + 1]
        if len(p):
            self.low, self.high = min(self.low, float(p.min())), max(self.high, float(p.max()))
            if self.predicted is not None and is_integral(p):
                self.predicted = np.union1d(self.predicted, distinct(p))[: MAX_HARD_CLASSES + 1]
            else:
                self.predicted = None

    def merge(self, other: Hold) -> HeldRegression:
        if not isinstance(other, HeldRegression):
            raise _held_apart(self, other)
        merged = HeldRegression(np.union1d(self.labels, other.labels)[: MAX_HARD_CLASSES + 1].tolist(), None,
                                min(self.low, other.low), max(self.high, other.high))
        if self.predicted is not None and other.predicted is not None:
            merged.predicted = np.union1d(self.predicted, other.predicted)[: MAX_HARD_CLASSES + 1]
        merged.at = self.at or other.at
        return merged

    def to_dict(self) -> dict[str, object]:
        return {"hold": "regression", "labels": self.labels.tolist(),
                "predicted": None if self.predicted is None else self.predicted.tolist(), "low": self.low,
                "high": self.high, "at": self.at}

    def check(self) -> None:
        """Refuse the regression when the whole file's labels and predictions would decide otherwise."""
        if looks_binary(self.labels, np.array([self.low, self.high])):
            found = f"its labels are {', '.join(label_text(v) for v in self.labels.tolist())}: a binary task"
        elif self.predicted is not None and is_integral(self.labels) and len(self.labels) <= MAX_HARD_CLASSES \
                and look_like_classes(self.labels, self.predicted):
            found = f"every prediction is one of its {len(self.labels)} labels: class ids"
        else:
            return
        raise DataError(f"{self.at}the rows before decided regression, but over the whole file {found} (a file "
                        "sorted by its label?); pass --task binary or --task sparse if the labels are classes, or "
                        "--task regression if they are numbers")


def _held_apart(one: Hold, other: Hold) -> DataError:
    """Shards whose first rows were in doubt each in its own way: their states cannot be held together."""
    return DataError(f"the shards' first rows decided their plans on doubtful rows, each its own way ({one.kind} / "
                     f"{other.kind}); pass --task (or --predictions) so every shard is read alike")


class HeldClassIds:
    """Integer labels and predictions that the first rows took for class ids (every prediction one
    of the labels, at most MAX_HARD_CLASSES labels: :func:`look_like_classes`), held to that over
    the rows after them: the labels met so far, and the predictions not yet among them, each with
    where it was first met. A label beyond MAX_HARD_CLASSES is refused where it is met; a prediction
    that no row labels, at the end (:meth:`check`). Either way the whole file holds a quantity (a
    rating predicted by rounding, past its scale), which the first rows alone took for classes."""

    kind = "class ids"

    def __init__(self, classes: list[str]) -> None:
        self.labels = np.array(sorted(float(c) for c in classes))
        self.pending: dict[float, str] = {}  # a prediction no label has yet -> where it was first met

    @classmethod
    def of(cls, classes: list[str] | None) -> HeldClassIds | None:
        """The hold of a plan of class ids ``classes``, when they are numbers (names are never a quantity)."""
        try:
            return cls(classes) if classes else None
        except ValueError:
            return None

    def add(self, y: np.ndarray, p: np.ndarray, label: str, pred: str, where: Callable[[str, int], str]) -> None:
        """A later chunk's labels ``y`` (column ``label``) and predictions ``p`` (column ``pred``),
        numbers; ``where(column, i)`` places its i-th row."""
        y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
        new = ~np.isin(y, self.labels) & ~np.isnan(y)
        if new.any():
            met, first = np.unique(y[new], return_index=True)
            if len(self.labels) + len(met) > MAX_HARD_CLASSES:
                i = int(np.flatnonzero(new)[np.sort(first)[MAX_HARD_CLASSES - len(self.labels)]])
                raise DataError(f"{where(label, i)}label {label_text(float(y[i]))} is a label beyond the "
                                f"{MAX_HARD_CLASSES} that the rows before held as class ids; pass --task regression if "
                                "they are numbers, or --task sparse if they are classes")
            self.labels = np.union1d(self.labels, met)
            labelled = set(met.tolist())
            self.pending = {v: at for v, at in self.pending.items() if v not in labelled}
        outside = np.flatnonzero(~np.isin(p, self.labels) & ~np.isnan(p))
        if len(outside):
            values, first = np.unique(p[outside], return_index=True)
            for i, value in sorted(zip(outside[first].tolist(), values.tolist())):  # (in row order)
                self.pending.setdefault(value, where(pred, i))
        if len(self.labels) + len(self.pending) > MAX_HARD_CLASSES:  # (they cannot all be labels: refused now)
            self.check()

    def merge(self, other: Hold) -> HeldClassIds:
        """This hold and ``other``'s, of rows after these (another shard: ``--engine dask``, ``merge``): the
        labels of both, and the predictions neither labels (this one's first)."""
        if not isinstance(other, HeldClassIds):
            raise _held_apart(self, other)
        merged = HeldClassIds([])
        merged.labels = np.union1d(self.labels, other.labels)
        if len(merged.labels) > MAX_HARD_CLASSES:
            raise DataError(f"the shards label {len(merged.labels)} values, more than the {MAX_HARD_CLASSES} that "
                            "the first rows held as class ids; pass --task regression if they are numbers, or --task "
                            "sparse if they are classes")
        labelled = set(merged.labels.tolist())
        pending = dict(self.pending)  # (in row order: this one's, then the other's)
        for value, at in other.pending.items():
            pending.setdefault(value, at)
        merged.pending = {value: at for value, at in pending.items() if value not in labelled}
        return merged

    def to_dict(self) -> dict[str, object]:
        return {"hold": "class ids", "labels": self.labels.tolist(),
                "pending": [[value, at] for value, at in self.pending.items()]}

    def check(self) -> None:
        """Refuse a prediction that no row labels: the first rows' class ids were a quantity."""
        if self.pending:
            value, at = next(iter(self.pending.items()))
            raise DataError(f"{at}prediction {label_text(value)} is none of the labels of the file, where the "
                            "first rows held class ids (each prediction one of the labels); pass --task regression if "
                            "they are numbers, or --task sparse if they are classes")


Hold = HeldClassIds | HeldLabel | HeldRegression  # what a pair's first rows decided that its later rows are held to


def hold_from_dict(d: dict[str, Any]) -> Hold:
    """A hold as a state file saves it (:meth:`to_dict`), checked: finite numbers, at most
    MAX_HARD_CLASSES + 1 values of each kind. Raises ValueError (or KeyError, TypeError)."""
    def numbers(values: Any) -> list[float]:
        found = [float(v) for v in values]
        if len(found) > MAX_HARD_CLASSES + 1 or not all(math.isfinite(v) for v in found):
            raise ValueError(f"held values: {len(found)} values, or one not finite")
        return found

    kind = d["hold"]
    if kind == "one label":
        return HeldLabel(numbers([d["value"]])[0])
    if kind == "regression":
        predicted = None if d["predicted"] is None else numbers(d["predicted"])
        low, high = numbers([d["low"], d["high"]])
        held = HeldRegression(numbers(d["labels"]), predicted, low, high)
        held.at = str(d["at"])
        return held
    if kind == "class ids":
        classes = HeldClassIds([])
        classes.labels = np.array(sorted(numbers(d["labels"])))
        pending = [(numbers([v])[0], str(at)) for v, at in d["pending"]]
        if len(pending) > MAX_HARD_CLASSES + 1:
            raise ValueError("held predictions: too many")
        classes.pending = dict(pending)
        return classes
    raise ValueError(f"hold {kind!r}")
