"""Which columns pair: each label column (or one-hot label columns) with its prediction column(s).

Rules, by column name (case, ``-``, ``.``, spaces and camelCase folded to ``snake_case``):

* a label word (``y_true``, ``label``, ``target``, ``actual``, ``truth``, ``gold``, …) with a
  prediction word (``y_pred``, ``prediction``, ``pred``, ``yhat``, ``score``, ``output``, …);
* ``NAME_true``/``NAME_pred`` (and ``NAME_label``/``NAME_hat``…): one pair per NAME;
* a label column with one prediction column per class, ``PREFIX_<class>`` where PREFIX is
  ``p``, ``prob``, ``proba``, ``y_pred``, ``pred``, ``logit``, ``score``… (or ``<class>_prob``);
* one-hot label columns ``y_true_<class>`` with prediction columns ``y_pred_<class>``;
* with a separate labels file, its columns are labels and the other file's are predictions.

Id, weight and group columns never pair. ``--true``/``--pred`` replace all of this.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

from .errors import UsageError, closest

TRUE_WORDS = {"y", "true", "y_true", "label", "labels", "target", "targets", "actual", "actuals",
              "truth", "ground_truth", "gt", "gold", "y_test", "observed", "obs", "class",
              "outcome", "y_label", "true_label", "y_actual", "reference"}
PRED_WORDS = {"pred", "preds", "prediction", "predictions", "predicted", "y_pred", "y_hat", "yhat",
              "hat", "score", "scores", "y_score", "output", "outputs", "prob", "probs", "proba",
              "probability", "probabilities", "y_prob", "y_proba", "logit", "logits", "y_logit",
              "estimate", "forecast", "fitted", "decision", "decision_function", "p", "y_predicted",
              "predicted_label", "pred_label"}
SOFT_WORDS = {"prob", "probs", "proba", "probability", "probabilities", "y_prob", "y_proba", "p", "score",
              "scores", "y_score", "logit", "logits", "y_logit", "decision", "decision_function"}
TRUE_SUFFIXES = r"true|label|labels|target|actual|truth|gold|gt|obs|observed"
PRED_SUFFIXES = (r"pred|preds|prediction|predicted|hat|score|scores|prob|probs|proba|probability|"
                 r"logit|logits|estimate|forecast|fitted|output")
CLASS_PRED = re.compile(r"^(?:y_)?(p|prob|probs|proba|probas|probability|probabilities|predict_proba|"
                        r"pred|preds|prediction|predicted|predict|logit|logits|score|scores|output|yhat|hat)_(.+)$")
CLASS_TRUE = re.compile(r"^(?:y_)?(true|label|target|actual|truth|gold|onehot|one_hot)_(.+)$")
NAME_TRUE = re.compile(rf"^(.+?)_({TRUE_SUFFIXES})$")
NAME_PRED = re.compile(rf"^(.+?)_({PRED_SUFFIXES})$")
ID_WORDS = {"id", "ids", "index", "idx", "row", "row_id", "rowid", "uuid", "key", "sample",
            "sample_id", "unnamed_0", "", "weight", "weights", "sample_weight", "w", "group",
            "groups", "fold", "split", "date", "time", "timestamp", "epoch"}


@dataclass
class Pair:
    """One target: its label column(s), its prediction column(s), and how they were found."""

    name: str
    true: list[str]
    pred: list[str]
    classes: list[str] | None = None  # class names from per-class prediction columns
    how: str = ""


@dataclass
class Pairing:
    pairs: list[Pair]
    unpaired: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    """``yPred`` / ``Y-Pred`` / ``y pred`` -> ``y_pred``."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _as_written(column: str, key: str) -> str:
    """The class name as the column writes it: ``prob_Iris-setosa`` -> ``Iris-setosa`` (key
    ``iris_setosa``); the key itself when the column does not end with it."""
    for size in range(max(len(key) - 2, 1), len(key) + 3):  # separators folded, or added to camelCase
        tail = column[-size:] if size <= len(column) else ""
        if tail and tail[0] not in "_-. " and normalise(tail) == key:
            return tail
    return key


def _word_key(pattern: re.Pattern[str], norm: str) -> str | None:
    """``y`` for ``y_true``/``y_pred``; None for words with no NAME (``label``, ``true_label``)."""
    m = pattern.match(norm)
    return m.group(1) if m and m.group(1) not in (TRUE_WORDS | PRED_WORDS) - {"y"} else None


def is_id_like(name: str) -> bool:
    norm = normalise(name)
    return norm in ID_WORDS or norm.endswith("_id")


@dataclass
class _Simple:
    column: str
    key: str | None  # NAME of NAME_true / NAME_pred, else None
    suffix: str = ""


def find_pairs(columns: list[str], *, exclude: set[str] = frozenset(), roles: dict[str, str] | None = None) -> Pairing:
    """Pair ``columns`` by their names (and, for two files, by the file they came from)."""
    roles = roles or {}
    trues: list[_Simple] = []
    preds: list[_Simple] = []
    true_groups: dict[str, dict[str, str]] = {}
    pred_groups: dict[str, dict[str, str]] = {}
    others: list[str] = []
    for column in columns:
        if column in exclude or is_id_like(column):
            continue
        norm = normalise(column)
        role = roles.get(column)
        if role != "pred" and norm in TRUE_WORDS:
            trues.append(_Simple(column, _word_key(NAME_TRUE, norm)))
        elif role != "true" and norm in PRED_WORDS:
            preds.append(_Simple(column, _word_key(NAME_PRED, norm)))
        elif role != "true" and (m := CLASS_PRED.match(norm)):
            pred_groups.setdefault(m.group(1), {})[m.group(2)] = column
        elif role != "pred" and (m := CLASS_TRUE.match(norm)):
            true_groups.setdefault(m.group(1), {})[m.group(2)] = column
        elif role != "pred" and (m := NAME_TRUE.match(norm)):
            trues.append(_Simple(column, m.group(1), m.group(2)))
        elif role != "true" and (m := NAME_PRED.match(norm)):
            preds.append(_Simple(column, m.group(1), m.group(2)))
        elif role == "true":
            trues.append(_Simple(column, None))
        else:
            others.append(column)
    # A "group" of one column is a plain NAME pair: true_price / pred_price.
    for groups, simples in ((true_groups, trues), (pred_groups, preds)):
        for prefix, members in list(groups.items()):
            if len(members) == 1:
                (cls, column), = members.items()
                simples.append(_Simple(column, cls, prefix))
                del groups[prefix]

    pairs: list[Pair] = []
    # 1. NAME_true with NAME_pred.
    for t in list(trues):
        match = next((p for p in preds if t.key is not None and p.key == t.key), None)
        if match:
            pairs.append(Pair(t.key, [t.column], [match.column], how=f"'{t.column}' and '{match.column}' share the name '{t.key}'"))
            trues.remove(t)
            preds.remove(match)
    # 1b. NAME with NAME_pred: sales / sales_forecast.
    for p in list(preds):
        match = next((c for c in others if p.key is not None and normalise(c) == p.key), None)
        if match:
            pairs.append(Pair(match, [match], [p.column], how=f"'{p.column}' is named after '{match}'"))
            others.remove(match)
            preds.remove(p)
    # 2. One-hot label columns with prediction columns of the same classes.
    for tprefix, tmembers in list(true_groups.items()):
        for pprefix, pmembers in list(pred_groups.items()):
            if set(pmembers) == set(tmembers):
                keys = list(tmembers)
                classes = [_as_written(tmembers[c], c) for c in keys]
                name = "y" if normalise(tmembers[keys[0]]).startswith("y_") else tprefix
                pairs.append(Pair(name, [tmembers[c] for c in keys], [pmembers[c] for c in keys], classes,
                                  how=f"label columns {tprefix}_<class> and prediction columns "
                                      f"{pprefix}_<class> for classes {', '.join(classes)}"))
                del true_groups[tprefix], pred_groups[pprefix]
                break
    # 3. NAME_prob columns sharing a suffix form a per-class group: cat_prob, dog_prob.
    by_suffix: dict[str, list[_Simple]] = {}
    for p in preds:
        if p.key is not None:
            by_suffix.setdefault(p.suffix, []).append(p)
    for suffix, members in by_suffix.items():
        if len(members) >= 2 and not any(t.key in {m.key for m in members} for t in trues):
            pred_groups[f"<class>_{suffix}"] = {m.key: m.column for m in members}
            for m in members:
                preds.remove(m)
    # 4. With two files, the predictions file's leftover columns are one prediction set.
    if roles and len(trues) == 1 and not preds and not pred_groups:
        rest = [c for c in others if roles.get(c) == "pred"]
        if len(rest) == 1:
            preds.append(_Simple(rest[0], None))
        elif len(rest) > 1:
            pred_groups["<file>"] = {class_names(rest)[i]: c for i, c in enumerate(rest)}
        others = [c for c in others if c not in rest]
    # 5. A lone label column with the lone prediction column or per-class group.
    candidates: list[tuple[list[str], list[str] | None, str]] = \
        [([p.column], None, f"'{p.column}'") for p in preds] + \
        [(list(g.values()), [_as_written(col, c) for c, col in g.items()], f"per-class columns {', '.join(g.values())}")
         for g in pred_groups.values()]
    if len(candidates) == 1 and len(trues) + len(true_groups) == 0 and len(others) == 1:
        trues.append(_Simple(others.pop(), None))  # the only column left must be the label
    if len(trues) == 1 and len(candidates) > 1 and not pred_groups:
        # label, prediction, probability: the probabilities (or scores) say more than hard classes
        soft = [c for c in candidates if normalise(c[0][0]) in SOFT_WORDS]
        if len(soft) == 1:
            others += [column for c in candidates if c is not soft[0] for column in c[0]]
            candidates = soft
    if len(trues) == 1 and len(candidates) == 1 and not true_groups:
        t = trues.pop()
        pred_cols, classes, what = candidates.pop()
        name = t.key or t.column
        pairs.append(Pair(name, [t.column], pred_cols, classes, how=f"label '{t.column}' with {what}"))
        preds.clear()
        pred_groups.clear()
    unpaired = [t.column for t in trues] + [c for g in true_groups.values() for c in g.values()]
    unpaired += [c for cols, _, _ in candidates for c in cols] + others
    return Pairing(pairs, [c for c in columns if c in set(unpaired)])


def class_names(columns: list[str]) -> list[str]:
    """Class names of per-class columns: the suffixes after their common prefix (p_0 -> 0)."""
    prefix = os.path.commonprefix(columns)
    cut = max(prefix.rfind(sep) for sep in "_-.: ")
    prefix = prefix[: cut + 1] if cut >= 0 else ""
    names = [c[len(prefix):] for c in columns]
    return names if all(names) and len(set(names)) == len(names) else list(columns)


def _expand(spec: str, columns: list[str], flag: str) -> list[str]:
    """``a,b`` or a glob (``p_*``) -> the columns, in file order for globs."""
    found: list[str] = []
    for part in [s.strip() for s in spec.split(",") if s.strip()]:
        if any(ch in part for ch in "*?["):
            matched = [c for c in columns if fnmatch.fnmatchcase(c, part)]
            if not matched:
                raise UsageError(f"{flag} {part}: no column matches; columns: {', '.join(columns)}")
            found.extend(matched)
        elif part in columns:
            found.append(part)
        else:
            raise UsageError(f"{flag} {part}: no such column{closest(part, columns)}; columns: {', '.join(columns)}")
    if not found:
        raise UsageError(f"{flag} needs a column name")
    return found


def explicit_pairs(columns: list[str], trues: list[str], preds: list[str]) -> list[Pair]:
    """Pairs from ``--true COL --pred COL[,COL...|GLOB]`` (the i-th --true with the i-th --pred)."""
    if len(trues) != len(preds):
        raise UsageError(f"--true was given {len(trues)} time(s) and --pred {len(preds)}; give one --pred "
                         "for each --true (--pred takes COL, COL,COL... or a quoted glob)")
    pairs = []
    for true_spec, pred_spec in zip(trues, preds):
        true = _expand(true_spec, columns, "--true")
        pred = _expand(pred_spec, columns, "--pred")
        classes = class_names(pred) if len(pred) > 1 else None
        if len(true) > 1 and classes is not None:
            true_classes = class_names(true)
            if set(true_classes) == set(classes):  # one-hot columns: order the predictions like the labels
                pred = [pred[classes.index(c)] for c in true_classes]
                classes = true_classes
        name = true[0] if len(true) == 1 else (os.path.commonprefix(true).rstrip("_-. ") or true[0])
        m = NAME_TRUE.match(normalise(name))
        pairs.append(Pair(m.group(1) if m and len(true) == 1 else name, true, pred, classes,
                          how=f"--true {true_spec} --pred {pred_spec}"))
    return pairs


def no_pairs_message(source: str, columns: list[str]) -> str:
    return (f"{source}: no label/prediction pair found among the columns {', '.join(columns)}. "
            "Name them y_true/y_pred (or NAME_true/NAME_pred, or a label plus p_<class> columns), "
            "or say which is which: --true COL --pred COL[,COL...|'GLOB']")
