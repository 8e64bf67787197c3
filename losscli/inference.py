"""The task and prediction kind of each pair, decided from its values, with the evidence.

| task       | labels                                   | predictions                        |
|------------|------------------------------------------|------------------------------------|
| binary     | one column, two values                   | one column: probabilities / scores |
| sparse     | one column of class ids or names         | K columns, one per class           |
| multiclass | K one-hot or soft columns                | K columns                          |
| multilabel | K 0/1 columns, rows not one-hot          | K columns                          |
| regression | anything else numeric                    | values                             |
| regression | one numeric column                       | a quantile set: ``quantiles``      |

A regression pair may also have a variance (or standard-deviation) column: its predictions are
then a Gaussian's mean (``values``) and variance (``Inputs.var``).
Integer labels with integer predictions are hard class ids (``zero_one`` only). Predictions in
[0, 1] are probabilities (for K classes: rows summing to 1 ± 1e-3); any value outside is a logit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .classes import (
    BOOLEAN_NAMES,
    MAX_HARD_CLASSES,
    distinct,
    factorize,
    inverted_warning,
    is_integral,
    label_number,
    label_text,
    look_like_classes,
    looks_binary,
    match_positive,
    named_class,
)
from .errors import DataError, UsageError, closest, where
from .escape import cut
from .frame import Frame
from .kinds import KINDS, SUM_TOLERANCE, KindDecision, class_kind, kind_from_range
from .pairing import Pair
from .registry import TASKS, Inputs, PredKind, Task
from .row_counts import RowCount, first_of


@dataclass
class Target:
    """A pair ready for the registry: its :class:`Inputs` and why it was read that way."""

    pair: Pair
    inputs: Inputs
    classes: list[str] | None = None
    positive: str | None = None
    weight: str | None = None
    kept: np.ndarray | None = None  # the frame's rows evaluated (after --dropna); None: all of them
    frame_rows: int = 0  # rows in the frame (chunk)
    offset: int = 0  # rows of the source before the frame
    raw_labels: np.ndarray | None = None  # the labels as read (names, numbers or K columns)
    dropped: int = 0
    clip: bool = False  # probabilities a rounding error outside [0, 1]: clipped before the losses
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    crossed: RowCount | None = None  # quantile predictions that cross (see losscli.row_counts)
    off_sum: RowCount | None = None  # K-class probability rows that do not sum to 1

    @cached_property
    def positions(self) -> np.ndarray:
        """The rows evaluated, as positions in the frame (chunk); made only when asked for."""
        return np.flatnonzero(self.kept) if self.kept is not None else np.arange(self.frame_rows)

    @cached_property
    def rows(self) -> np.ndarray:
        """The rows evaluated, as 1-based data rows of the source."""
        return self.positions + (1 + self.offset)

    @property
    def task(self) -> Task:
        return self.inputs.task

    @property
    def kind(self) -> PredKind:
        return self.inputs.kind


def _decided(target: Target, decision: KindDecision) -> PredKind:
    """The kind of predictions :mod:`losscli.kinds` decided, its evidence and warnings kept by ``target``."""
    target.clip = decision.clip
    target.evidence += decision.evidence
    target.warnings += decision.warnings
    target.off_sum = decision.off_sum
    return decision.kind


def infer(frame: Frame, pair: Pair, *, task: str | None = None, predictions: str | None = None,
          positive: str | None = None, weight: str | None = None, dropna: bool = False,
          classes: list[str] | None = None) -> Target:
    """Read ``pair``'s columns from ``frame`` and decide its task and prediction kind.

    Later chunks of a stream are read with the first chunk's decisions: its ``task``, its
    ``predictions`` kind (``"class"`` for hard class ids), its ``positive`` label and binary
    ``classes``; a value that breaks them is a data error.
    """
    if task is not None and task not in TASKS:
        raise UsageError(f"--task {task}: unknown task{closest(task, TASKS)}; tasks are {', '.join(TASKS)}")
    if pair.quantiles is not None:
        return _quantile_target(frame, pair, task, weight, dropna)
    if predictions is not None and predictions not in KINDS + ("class",):
        raise UsageError(f"--predictions {predictions}: expected probability or logits")
    target, keep = _start(frame, pair, weight, dropna)
    w = _weights(frame, weight, keep) if weight else None
    spread = pair.variance or pair.std
    if spread is not None and len(pair.true) == 1 and len(pair.pred) == 1:
        if task not in (None, "regression"):
            what = "variance" if pair.variance else "standard deviation"
            raise UsageError(f"--task {task}: pair '{pair.name}' has a {what} column ('{spread}'), a Gaussian "
                             f"prediction, which is regression; leave the column out (--true {pair.true[0]} "
                             f"--pred {pair.pred[0]}) to read it otherwise")
        inputs = _one_to_one(frame, pair, target, "regression", predictions, positive, keep, classes)
        target.evidence[-1:] = [f"label '{frame.column(pair.true[0]).shown}' is numeric and its prediction a "
                                "Gaussian's mean and variance: regression"]
        inputs = _with_variance(frame, pair, target, inputs, spread, keep)
    elif len(pair.true) == 1 and len(pair.pred) == 1:
        inputs = _one_to_one(frame, pair, target, task, predictions, positive, keep, classes)
    elif len(pair.true) == 1:
        inputs = _sparse(frame, pair, target, task, predictions, keep)
    elif len(pair.true) == len(pair.pred):
        inputs = _k_columns(frame, pair, target, task, predictions, keep)
    else:
        raise UsageError(f"pair '{pair.name}': {len(pair.true)} label columns and {len(pair.pred)} prediction "
                         "columns; give one label column per prediction column, or one label column of class ids")
    pred = np.clip(inputs.pred, 0.0, 1.0) if target.clip and inputs.kind == "probability" else inputs.pred
    target.inputs = Inputs(inputs.task, inputs.kind, inputs.y, pred, w, inputs.index, var=inputs.var)
    return target


def _start(frame: Frame, pair: Pair, weight: str | None, dropna: bool) -> tuple[Target, np.ndarray | None]:
    """A target of ``pair`` with its rows (those complete, or refused; the rows ``--dropna``
    dropped are counted, and warned of once every chunk is read) and weights still to read."""
    keep, dropped = _missing_rows(frame, pair.columns + ([weight] if weight else []), dropna)
    target = Target(pair, Inputs("regression", "values", np.empty(0), np.empty(0)), weight=weight,
                    kept=keep, frame_rows=frame.n_rows, offset=frame.offset, dropped=dropped)
    return target, keep


def _quantile_target(frame: Frame, pair: Pair, task: str | None, weight: str | None, dropna: bool) -> Target:
    """A quantile set: regression labels, an (n, Q) matrix of predicted quantiles at ``pair.quantiles``
    (increasing). Quantiles that cross (a lower level predicted above a higher one) are scored as
    given, and the rows where they do are counted in a warning (and by ``quantile_crossing``)."""
    if task not in (None, "regression") or len(pair.true) != 1 or pair.quantiles is None:
        raise UsageError(f"--task {task}: pair '{pair.name}' is a quantile set ({', '.join(pair.pred)}), a regression "
                         "forecast; leave --task out, or pair the columns otherwise with --true COL --pred COL")
    target, keep = _start(frame, pair, weight, dropna)
    true = pair.true[0]
    if frame.is_text(true):
        raise DataError(f"{frame.locate(true, 0)}labels are text; quantile predictions need numeric labels")
    y = target.raw_labels = frame.numeric(true, keep)
    q = _matrix(frame, pair.pred, keep)
    levels = ", ".join(f"{level:g}" for level in pair.quantiles)
    if not pair.how.startswith("--true") and _like_class_probabilities(y, q):  # (named so, not declared)
        raise UsageError(f"pair '{pair.name}': the columns {', '.join(pair.pred)} are named as quantiles ({levels}), "
                         f"but each row of them sums to 1 and '{true}' holds class ids 0…{q.shape[1] - 1}: class "
                         f"probabilities? Say which: --true {true} --pred {','.join(pair.pred)} --task sparse, or "
                         f"--quantiles {','.join(f'{level:g}' for level in pair.quantiles)}")
    target.evidence.append(f"label '{frame.column(true).shown}' is numeric, predictions are {q.shape[1]} quantiles "
                           f"at levels {levels}: regression with quantile predictions")
    crossed = (np.diff(q, axis=1) < 0).any(axis=1) if q.shape[1] > 1 else np.zeros(len(y), dtype=bool)
    target.crossed = first_of(crossed, target.rows)  # (a lower level predicted above a higher one)
    w = _weights(frame, weight, keep) if weight else None
    target.inputs = Inputs("regression", "quantiles", y, q, w, levels=tuple(pair.quantiles))
    return target


def _like_class_probabilities(y: np.ndarray, q: np.ndarray) -> bool:
    """Rows of values in [0, 1] that sum to 1 (±1e-3), and labels that are integers 0…Q−1: what
    ``predict_proba`` columns and class ids look like, not quantiles."""
    if not len(y) or not np.isfinite(q).all() or q.min() < 0 or q.max() > 1:
        return False
    whole = np.all(y == np.round(y)) and y.min() >= 0 and y.max() < q.shape[1]
    return bool(whole and np.abs(q.sum(axis=1) - 1.0).max() <= 1e-3)


def _with_variance(frame: Frame, pair: Pair, target: Target, inputs: Inputs, column: str,
                   keep: np.ndarray | None) -> Inputs:
    """A Gaussian prediction: the pair's mean with the variance of ``column`` (a standard deviation
    squared); a negative value is a data error."""
    spread = frame.numeric(column, keep)
    if len(spread) and spread.min() < 0:
        i = int(np.flatnonzero(spread < 0)[0])
        what = "variance" if pair.variance else "standard deviation"
        raise DataError(f"{frame.locate(column, _orig(keep, i))}{what} {spread[i]:g} is negative; a {what} is ≥ 0")
    what = "variance" if pair.variance else "standard deviation (squared: the variance)"
    target.evidence.append(f"'{pair.pred[0]}' is a Gaussian's mean and '{column}' its {what}")
    var = spread if pair.variance else spread * spread
    return Inputs(inputs.task, inputs.kind, inputs.y, inputs.pred, inputs.w, inputs.index, var=var)


def _missing_rows(frame: Frame, columns: list[str], dropna: bool) -> tuple[np.ndarray | None, int]:
    missing = np.zeros(frame.n_rows, dtype=bool)
    for name in columns:
        if not frame.surely_complete(name):
            missing |= frame.missing(name)
    count = int(missing.sum())
    if not count:
        return None, 0
    if not dropna:
        first = np.flatnonzero(missing)[:5]
        rows = [frame.column(columns[0]).row(int(i)) for i in first]
        bad = [c for c in columns if frame.missing(c)[first[0]]]
        raise DataError(f"{frame.where(bad[0])}{count} row(s) have empty or NaN cells "
                        f"(first rows: {', '.join(map(str, rows))}); fill them, or pass --dropna to skip those rows")
    if count == frame.n_rows:
        raise DataError(f"{frame.source}: every row has an empty cell in {', '.join(columns)}; nothing to evaluate")
    return ~missing, count


def _weights(frame: Frame, weight: str, keep: np.ndarray | None) -> np.ndarray:
    w = frame.numeric(weight, keep)
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise DataError(f"{frame.locate(weight, _orig(keep, i))}weight {w[i]:g} is negative; weights must be ≥ 0")
    return w


def _labels(frame: Frame, name: str, keep: np.ndarray | None) -> np.ndarray:
    """Label values: float64 for numbers and booleans, stripped strings otherwise."""
    return frame.text(name, keep) if frame.is_text(name) else frame.numeric(name, keep)




def _one_to_one(frame: Frame, pair: Pair, target: Target, task: str | None, predictions: str | None,
                positive: str | None, keep: np.ndarray | None, classes: list[str] | None = None) -> Inputs:
    (true,), (pred,) = pair.true, pair.pred
    y = target.raw_labels = _labels(frame, true, keep)
    text_labels = y.dtype == object
    if (frame.is_text(pred) and text_labels and task in (None, "binary", "sparse")) or predictions == "class" \
            or task == "sparse":  # (one column of a sparse task: hard class ids)
        p = frame.text(pred, keep) if frame.is_text(pred) else frame.numeric(pred, keep)
        if p.dtype != object and not is_integral(p):
            i = int(np.flatnonzero(p != np.round(p))[0])
            raise DataError(f"{frame.locate(pred, _orig(keep, i))}{p[i]:g} is not a class id, though the rows before "
                            "it held hard class ids; pass --task regression, or --task binary/sparse with "
                            "probability columns")
        if classes is not None and task == "binary":  # a later chunk: no class beyond the first rows' two
            _refuse_new_classes(frame, pair, y, p, keep, classes)
        return _hard_classes(y, p, target, task)
    if task in ("sparse", "multiclass", "multilabel"):
        raise UsageError(f"--task {task} needs several prediction columns; pair '{pair.name}' has one ({pred})")
    p = frame.numeric(pred, keep)
    if task == "regression" or (task is None and not text_labels and not looks_binary(y, p)):
        if text_labels:
            raise DataError(f"{frame.locate(true, 0)}labels are text ('{y[0]}'); regression needs numbers")
        if task is None and is_integral(y) and is_integral(p):
            labels, predicted = distinct(y), distinct(p)
            if look_like_classes(labels, predicted):
                return _hard_classes(y, p, target, task)
            outside = np.setdiff1d(predicted, labels)
            why = f"predictions outside them ({label_text(float(outside[0]))})" if len(outside) else \
                f"more than {MAX_HARD_CLASSES} of them"
            target.evidence.append(f"labels and predictions are integers, but {len(labels)} distinct labels and {why} "
                                   "are not class ids: regression (--task sparse if they are classes)")
        elif task is None:  # (counting distinct values sorts the chunk: only when it is the evidence)
            target.evidence.append(f"label '{frame.column(true).shown}' is numeric with {len(distinct(y))} "
                                   "distinct values: regression")
        else:
            target.evidence.append(f"label '{frame.column(true).shown}' is numeric: regression "
                                   "(--task regression, or the first rows)")
        return Inputs("regression", "values", y, p)
    if task is None and not text_labels and predictions is None and is_integral(p) and is_integral(y) \
            and look_like_classes(distinct(y), distinct(p)):
        return _hard_classes(y, p, target, task)
    return _binary(frame, pair, target, y, p, predictions, positive, keep, classes)




def _binary(frame: Frame, pair: Pair, target: Target, y: np.ndarray, p: np.ndarray, predictions: str | None,
            positive: str | None, keep: np.ndarray | None, classes: list[str] | None = None) -> Inputs:
    true = pair.true[0]
    if classes is not None and positive is not None:  # a later chunk: the labels must be the classes seen first
        target.classes, target.positive = classes, positive
        target.evidence.append(f"binary, positive class {positive} (as decided on the first rows)")
        kind = _decided(target, kind_from_range(p, predictions, frame, pair.pred))
        return Inputs("binary", kind, _positive_of(frame, true, y, keep, classes, positive), p)
    shown, inverse = _label_codes(frame, true, y, keep)
    boolean = frame.is_boolean(true)
    if boolean:  # True/False as written (pandas), not 1/0
        shown = [BOOLEAN_NAMES[value] for value in shown]
    if len(shown) > 2:
        raise DataError(f"{frame.where(true)}{len(shown)} label values "
                        f"({', '.join(shown[:6])}{'…' if len(shown) > 6 else ''}) but one prediction column; "
                        "give one prediction column per class (e.g. p_<class>), or --task regression")
    numeric = y.dtype != object
    named = named_class(pair.pred[0], shown, numeric)
    if named is not None and named == pair.model and named not in shown:  # (pred_lr: the model lr, not a class)
        named = None
    if positive is not None:
        pos_value = match_positive(positive, shown, numeric, true)
        how = "--positive"
        if named is not None and named in shown and named != pos_value:
            raise UsageError(f"--positive {positive}: the prediction column '{pair.pred[0]}' names {named} as the "
                             f"class it scores; pass --positive {named} (or rename the column if it scores "
                             f"{pos_value})")
    elif named is not None:
        pos_value = named
        how = f"the prediction column '{pair.pred[0]}' names it"
    elif len(shown) == 1 and numeric and (boolean or shown[0] in ("0", "1", "-1")):  # (0/1 or ±1 coding)
        pos_value = "True" if boolean else "1"
        how = f"only one label value present; {pos_value} is positive"
    elif len(shown) == 1:  # (labels 1/2 sorted, all 2 first: 1 is not the positive class)
        raise DataError(f"{frame.where(true)}every label is {cut(shown[0])}; pass --positive "
                        "to say whether it is the positive class")
    else:
        pos_value = shown[-1]
        how = "the larger in sort order"
    target.positive = pos_value
    y01 = (inverse == shown.index(pos_value)) if pos_value in shown else np.zeros(len(y), dtype=bool)
    if len(shown) == 2:
        target.classes = shown
    elif numeric and {shown[0], pos_value} <= {"0", "1", "False", "True"}:
        target.classes = ["False", "True"] if boolean else ["0", "1"]  # one value seen so far: 0/1 coding assumed
    else:
        target.classes = sorted({shown[0], pos_value})
    target.evidence.append(f"label '{frame.column(true).shown}' has values {', '.join(shown)}: binary; positive class "
                           f"{pos_value} ({how})")
    kind = _decided(target, kind_from_range(p, predictions, frame, pair.pred))
    y01 = y01.astype(np.float64)
    if len(shown) == 2:
        checked = inverted_warning(y01, p, pair.pred[0], pos_value, next(c for c in shown if c != pos_value))
        if checked is not None:
            target.evidence.append(checked[0])
            target.warnings += [checked[1]] if checked[1] else []
    return Inputs("binary", kind, y01, p)




def _positive_of(frame: Frame, true: str, y: np.ndarray, keep: np.ndarray | None, classes: list[str],
                 positive: str) -> np.ndarray:
    """1.0 where the label is ``positive``, else 0.0; a label outside ``classes`` is a DataError."""
    if y.dtype != object:  # numbers: two comparisons and two counts, no factorising
        is_positive = y == label_number(positive)
        others = [label_number(c) for c in classes if c != positive]
        known = np.count_nonzero(is_positive) + (np.count_nonzero(y == others[0]) if others else 0)
        if known == len(y):
            return y if (label_number(positive), *others) == (1.0, 0.0) else is_positive.astype(np.float64)
    shown, inverse = _label_codes(frame, true, y, keep)
    unseen = [v for v in shown if v not in classes]
    if unseen:
        i = int(np.flatnonzero(inverse == shown.index(unseen[0]))[0])
        raise DataError(f"{frame.locate(true, i)}label {cut(unseen[0])} is not one of the pair's two labels, "
                        f"{' and '.join(classes)} (decided on the first rows); a binary task has two labels. If "
                        "these are values, pass --task regression")
    return (inverse == shown.index(positive)).astype(np.float64) if positive in shown else np.zeros(len(y))




def _label_codes(frame: Frame, true: str, y: np.ndarray, keep: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """The labels' sorted distinct names and each row's position among them (text through Arrow)."""
    return frame.factorized(true, keep) if frame.is_text(true) else factorize(y)




def _refuse_new_classes(frame: Frame, pair: Pair, y: np.ndarray, p: np.ndarray, keep: np.ndarray | None,
                        classes: list[str]) -> None:
    """Hard class ids of a binary task read after the first rows hold only its two classes."""
    for column, values in ((pair.true[0], y), (pair.pred[0], p)):
        names, codes = factorize(values)
        new = [i for i, name in enumerate(names) if name not in classes]
        if new:
            i = int(np.flatnonzero(codes == new[0])[0])
            raise DataError(f"{frame.locate(column, _orig(keep, i))}class {cut(names[new[0]])} is not one of the two "
                            f"classes of the rows before it ({', '.join(classes)}); pass --task sparse to read "
                            "hard class ids of more than two classes")


def _hard_classes(y: np.ndarray, p: np.ndarray, target: Target, task: str | None) -> Inputs:
    """Hard class predictions: both columns are class ids or names; only zero_one applies."""
    classes, codes = factorize(np.concatenate([y, p]))
    task = task or ("binary" if len(classes) <= 2 else "sparse")
    assert task in ("binary", "sparse"), task  # (the callers ask for hard classes of these tasks only)
    target.classes = classes
    target.evidence.append(f"labels and predictions are both class ids/names ({len(classes)} classes): "
                           f"hard class predictions, {task}; only zero_one applies (--task regression "
                           "if these are numbers)")
    return Inputs("binary" if task == "binary" else "sparse", "class", codes[: len(y)].astype(np.float64),
                  codes[len(y):].astype(np.float64))


def _class_index(frame: Frame, pair: Pair, target: Target, keep: np.ndarray | None) -> np.ndarray:
    """Each label's class position among the prediction columns: by suffix name, else by position
    (integer labels 0…K−1), ignoring case when that is what it takes."""
    true = pair.true[0]
    classes = pair.classes or list(pair.pred)
    target.classes = classes
    if frame.is_text(true):  # names: factorised by Arrow, no Python string per row
        names, inverse = frame.factorized(true, keep)
        y = target.raw_labels = np.array(names, dtype=object)[inverse]
        return _names_to_positions(frame, pair, target, keep, names, inverse, y)
    y = target.raw_labels = frame.numeric(true, keep)
    if [c.strip() for c in classes] == [str(i) for i in range(len(classes))]:
        idx = y.astype(np.intp)  # classes named 0…K−1: the labels are the positions, if they are ids
        if len(y) and (idx == y).all() and idx.min() >= 0 and idx.max() < len(classes):
            target.evidence.append("labels match the column suffixes")
            return idx
    if not is_integral(y):
        i = int(np.flatnonzero(y != np.round(y))[0])
        raise DataError(f"{frame.locate(true, _orig(keep, i))}label {y[i]:g} is not a class id; "
                        f"labels must be integers or class names ({', '.join(classes)})")
    names, inverse = factorize(y)
    if frame.is_boolean(true):  # True/False labels name the columns False and True
        names = [BOOLEAN_NAMES[name] for name in names]
    return _names_to_positions(frame, pair, target, keep, names, inverse, y)


def _names_to_positions(frame: Frame, pair: Pair, target: Target, keep: np.ndarray | None, names: list[str],
                        inverse: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's class position, from its label's name (``names[inverse[i]]``)."""
    from .value_pairing import match_classes

    true, classes = pair.true[0], target.classes or []
    found = match_classes(names, classes)  # exactly, else ignoring case, else separators too
    if found is None and y.dtype != object and y.min() >= 0 and y.max() < len(classes):
        target.evidence.append(f"integer labels 0…{len(classes) - 1} taken as positions of the prediction columns")
        return y.astype(np.int64)
    lookup, how = found if found is not None else ({c.strip(): i for i, c in enumerate(classes)}, "")
    idx = np.asarray([lookup.get(n, -1) for n in names], dtype=np.int64)[inverse]
    if (idx < 0).any():
        i = int(np.flatnonzero(idx < 0)[0])
        raise DataError(f"{frame.locate(true, _orig(keep, i))}label {cut(names[inverse[i]])} matches no prediction "
                        f"column (classes: {', '.join(classes)} from {', '.join(pair.pred[:3])}…); "
                        f"{int((idx < 0).sum())} rows in all. Check the label or the prediction columns, or say "
                        "which columns pair: --true COL --pred COL,COL...")
    target.evidence.append("labels match the column suffixes" + how)
    return idx


def _orig(keep: np.ndarray | None, i: int) -> int:
    return int(np.flatnonzero(keep)[i]) if keep is not None else i


def _matrix(frame: Frame, columns: list[str], keep: np.ndarray | None) -> np.ndarray:
    """The columns as an (n, K) matrix stored column-major: each class's column is contiguous, so a
    reduction over the K classes of every row is K vector operations, not n short ones."""
    first = frame.numeric(columns[0], keep)
    matrix = np.empty((len(columns), len(first)))
    matrix[0] = first
    for j, name in enumerate(columns[1:], 1):
        matrix[j] = frame.numeric(name, keep)
    return matrix.T


def _sparse(frame: Frame, pair: Pair, target: Target, task: str | None, predictions: str | None,
            keep: np.ndarray | None) -> Inputs:
    if task not in (None, "sparse"):
        raise UsageError(f"--task {task}: pair '{pair.name}' has one label column and {len(pair.pred)} "
                         "prediction columns, which is a sparse (class id) task")
    idx = _class_index(frame, pair, target, keep)
    p = _matrix(frame, pair.pred, keep)
    k = p.shape[1]
    target.evidence.insert(0, f"label '{pair.true[0]}' with {k} prediction columns: sparse multiclass; classes in "
                              f"column order {', '.join(target.classes or [])}")
    y = np.zeros((k, len(idx))).T  # column-major, like p
    y.T.ravel()[idx * len(idx) + np.arange(len(idx))] = 1.0  # y[i, idx[i]] = 1, through the flat view
    kind = _decided(target, class_kind(p, predictions, frame, pair.pred, target.rows))
    return Inputs("sparse", kind, y, p, index=idx)


def _k_columns(frame: Frame, pair: Pair, target: Target, task: str | None, predictions: str | None,
               keep: np.ndarray | None) -> Inputs:
    y = target.raw_labels = _matrix(frame, pair.true, keep)
    p = _matrix(frame, pair.pred, keep)
    target.classes = pair.classes or list(pair.true)
    in_unit = bool(((y >= 0) & (y <= 1)).all())
    zero_one = bool(((y == 0.0) | (y == 1.0)).all())
    distributions = in_unit and bool((np.abs(y.sum(axis=1) - 1) <= SUM_TOLERANCE).all())
    if task is None:
        task = "multiclass" if distributions else "multilabel" if zero_one else "regression"
    k = y.shape[1]
    if task == "multiclass":
        if not distributions:
            raise DataError(f"{where(frame.column(pair.true[0]).source)}label columns {', '.join(pair.true)} are "
                            "not one-hot or distributions (rows must sum to 1); try --task multilabel")
        target.evidence.append(f"{k} label columns whose rows are one-hot/distributions: multiclass")
        return Inputs("multiclass", _decided(target, class_kind(p, predictions, frame, pair.pred, target.rows)), y, p)
    if task == "multilabel":
        if not in_unit:
            raise DataError(f"{where(frame.column(pair.true[0]).source)}label columns {', '.join(pair.true)} have "
                            "values outside [0, 1]; multilabel needs 0/1 labels")
        target.evidence.append(f"{k} label columns of 0/1, rows not one-hot: multilabel")
        return Inputs("multilabel", _decided(target, kind_from_range(p, predictions, frame, pair.pred)), y, p)
    if task == "regression":
        target.evidence.append(f"{k} numeric label columns that are not class indicators: multi-output "
                               "regression (each loss the mean over every cell; rmse its root, as Keras)")
        return Inputs("regression", "values", y, p)
    raise UsageError(f"--task {task}: pair '{pair.name}' has {k} label columns; "
                     "use multiclass, multilabel or regression")
