"""Pairing that reads the values (on the first chunk only): per-class prediction columns named by
the label's values (``species`` with ``setosa``, ``versicolor``, …; names matched exactly, else
ignoring case, separators or how a number is written, never folding two classes into one), and one
file's several models (``pred_lr``/``pred_rf``, ``p_0_lr``…) as pairs of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import UsageError
from .names import PRED_WORDS, normalise
from .pairing import CLASS_PRED, NAME_PRED, Pair, Pairing, written_prefix, written_suffix
from .quantiles import SPREAD_WORDS, quantile_set

if TYPE_CHECKING:
    from .frame import Frame


def match_classes(names: list[str], classes: list[str]) -> tuple[dict[str, int], str] | None:
    """Each label name's position among ``classes`` (column suffixes), and how they matched: exactly,
    else ignoring case, else ignoring case and separators, each only when it keeps classes apart
    (``C`` and ``C++`` never fold into one). None when some name matches no class."""
    for how, fold in FOLDS:
        lookup = {fold(c): i for i, c in enumerate(classes)}
        if len(lookup) == len(classes) and "" not in lookup and all(fold(n) in lookup for n in names):
            return {n: lookup[fold(n)] for n in names}, how
    return None


def as_number(text: str) -> str:
    """A class name that is a number, written one way (``01``, ``1.0`` -> ``1.0``); "" otherwise."""
    try:
        return repr(float(text))
    except ValueError:
        return ""


FOLDS: tuple[tuple[str, Callable[[str], str]], ...] = (  # how class names may meet column names, strictest first
    ("", str.strip), (" (ignoring case)", lambda n: n.strip().lower()),
    (" (ignoring case and separators)", normalise), (" (as numbers: 01 = 1.0 = 1)", as_number))


def label_names(frame: Frame, column: str) -> list[str] | None:
    """The distinct values of a label column as text (``3.0`` -> ``3``), or None when it holds
    numbers that are not integers (a regression target, not classes)."""
    from .classes import distinct, is_integral

    if frame.is_text(column):
        return frame.distinct_text(column)
    values = frame.numeric_or_none(column)
    if frame.is_boolean(column) and values is not None:
        return [name for value, name in ((0.0, "False"), (1.0, "True")) if (values == value).any()]
    if values is None or not is_integral(values):
        return None
    return [str(int(v)) for v in distinct(values)]


def _rows_sum_to_one(frame: Frame, columns: list[str]) -> bool:
    import numpy as np

    from .kinds import SUM_TOLERANCE

    total = np.zeros(frame.n_rows)
    for column in columns:
        values = frame.numeric_or_none(column)
        if values is None:
            return False
        total += values
    return bool(len(total) and (np.abs(total - 1) <= SUM_TOLERANCE).all()
                and all(frame.value_range(c)[0] >= 0 for c in columns))


def named_part(column: str) -> str | None:
    """What a probability column's name names besides its prefix or suffix, as written: ``benign`` of
    ``p_benign``, ``churn`` of ``churn_prob``; None for plain names (``y_pred``)."""
    norm = normalise(column)
    if norm in PRED_WORDS:
        return None
    if m := CLASS_PRED.match(norm):
        return written_suffix(column, norm[:m.start(2) - 1])
    if m := NAME_PRED.match(norm):
        return written_prefix(column, m.group(2))
    return None


def pair_by_values(frame: Frame, pairing: Pairing) -> Pairing:
    """Prediction columns named exactly by a label's values: ``species`` with ``setosa, versicolor,
    virginica``, ``digit`` with ``0 … 9`` (``pd.DataFrame(clf.predict_proba(X), columns=clf.classes_)``),
    ``target`` with ``0, 1, 2`` beside a pandas index. Columns of classes absent from these rows join
    when the named columns' rows do not sum to 1 and theirs make them."""
    numeric = [c for c in pairing.unpaired if frame.is_number(c)]
    numbers = {as_number(c) for c in numeric} - {""}  # column names that are numbers (0 … 9)
    for label in pairing.unpaired:
        if frame.is_number(label) and not frame.is_boolean(label) and len(numbers) < 2:
            continue  # numeric labels can name no columns here: their values are not read
        names = label_names(frame, label)
        if names is None or len(names) > len(numeric):
            continue
        named = _columns_named(names, [c for c in numeric if c != label])
        if not named:
            continue
        rest = [c for c in numeric if c != label and c not in named]
        if rest and not _rows_sum_to_one(frame, named) and _rows_sum_to_one(frame, named + rest):
            named = [c for c in numeric if c != label]  # classes absent from these rows, in file order
        if len(named) < 2:
            continue
        classes = [c.strip() for c in named]
        pair = Pair(label, [label], named, classes,
                    how=f"label '{label}' with the columns named by its values: {', '.join(named)}")
        used = {label, *named}
        return replace(pairing, pairs=pairing.pairs + [pair], unpaired=[c for c in pairing.unpaired if c not in used])
    return pairing


def _columns_named(names: list[str], columns: list[str]) -> list[str]:
    """The columns named by ``names`` (every name one column), by the first fold of :data:`FOLDS`
    that finds them all; [] when none does. Set lookups: wide files stay linear."""
    for _, fold in FOLDS:
        wanted = {fold(name) for name in names}
        named = [c for c in columns if fold(c) in wanted]
        if "" not in wanted and {fold(c) for c in named} == wanted and len(named) == len(wanted):
            return named
    return []


# last words of a per-<suffix> column's suffix (before a level) that say it is not a model's
# predictions (y_pred_lo_80, y_pred_lr_error, y_pred_lr_std where no y_pred_lr is its mean)
NOT_MODELS = {"lower", "upper", "lo", "hi", "lb", "ub", "error", "err", "errors", "residual", "residuals",
              "resid"} | SPREAD_WORDS
CLASS_PREFIXES = {"p", "prob", "probs", "proba", "probas", "probability", "probabilities", "predict_proba",
                  "logit", "logits", "score", "scores"}  # per-class columns by these names are class scores


def quantile_set_of(pair: Pair) -> Pair | None:
    """A label's per-<suffix> prediction columns named as quantiles (``y_pred_q10``, ``y_pred_q90``),
    as one pair of a quantile set (see :mod:`losscli.quantiles`); None when they are not one."""
    found = quantile_set(pair.pred, pair.true[0], pair.prefix)
    if found is None:
        return None
    columns, levels = found
    said = ", ".join(f"{column} at {level:g}" for column, level in zip(columns, levels))
    return replace(pair, pred=columns, classes=None, quantiles=levels,
                   how=f"label '{pair.true[0]}' with the quantiles {said} (their names give the levels; the "
                       "columns are one forecast's quantiles, not models or classes)")


def _last_word(suffix: str) -> str:
    """A suffix's last word before a level (``lo`` of ``lo_80``, ``error`` of ``lr_error``; ``lr`` of
    ``std_scaler_lr``)."""
    words = [w for w in normalise(suffix).split("_") if w]
    while len(words) > 1 and words[-1].isdigit():
        words.pop()
    return words[-1] if words else ""


def split_models(frame: Frame, pair: Pair) -> list[Pair]:
    """A label with per-<suffix> prediction columns whose suffixes are not the label's values is
    several models, one result each: ``y_true`` with ``pred_lr, pred_rf``.

    They stay one pair of classes when the label's values name the columns; they are one quantile
    set when their names are quantile levels (``y_pred_q10``…); one pair of classes when the rows sum to 1
    (class probabilities; integer labels are then positions), when the columns are logits
    (``logit_neg, logit_pos``), or when more than two classes meet columns named as class scores
    (``score_a``…; a label matching none is reported by inference).
    """
    if len(pair.true) != 1 or len(pair.pred) < 2 or pair.classes is None or pair.model is not None:
        return [pair]
    label = pair.true[0]
    names = label_names(frame, label)
    if names is not None and match_classes(names, pair.classes) is not None:
        return [pair]
    quantile_set = quantile_set_of(pair)
    if quantile_set is not None:
        return [quantile_set]
    if _rows_sum_to_one(frame, pair.pred):
        return [pair]
    if pair.prefix in ("logit", "logits") or (names is not None and len(names) > 2 and pair.prefix in CLASS_PREFIXES):
        if names is not None and all(n.isdigit() for n in names) and int(max(names, key=int)) + 1 < len(pair.pred):
            raise UsageError(f"label '{label}' holds classes 0…{max(names, key=int)} but there are {len(pair.pred)} "
                             f"columns {', '.join(pair.pred[:4])}…, not one per class and not summing to 1 (several "
                             "models' class columns?); say which columns pair: "
                             "--true COL --pred COL,COL... (repeatable)")
        return [pair]
    not_models = [c for model, c in zip(pair.classes, pair.pred) if _last_word(model) in NOT_MODELS]
    if not_models:
        raise UsageError(f"label '{label}': {', '.join(not_models)}: not a model's predictions, by the name (an "
                         "interval's bound, a spread or a residual); say which columns pair: "
                         f"--true {label} --pred COL (repeatable)")
    suffixes = ", ".join(pair.classes)
    return [replace(pair, name=f"{pair.name}/{model}", pred=[column], classes=None, model=model, prefix="",
                    how=f"label '{label}' with '{column}' (model {model}: the suffixes {suffixes} are not values "
                        f"of '{label}', so each column is one model's predictions)")
            for model, column in zip(pair.classes, pair.pred)]
