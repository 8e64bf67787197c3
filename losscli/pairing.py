"""Which columns pair: each label column (or one-hot label columns) with its prediction column(s).

Rules, by column name (case, ``-``, ``.``, spaces and camelCase folded to ``snake_case``):

* a label word (``y_true``, ``label``, ``target``, ``actual``, ``truth``, ``gold``, …) with a
  prediction word (``y_pred``, ``prediction``, ``pred``, ``yhat``, ``score``, ``output``, …);
* ``NAME_true``/``NAME_pred`` (and ``NAME_label``/``NAME_hat``…): one pair per NAME;
* a label column with one prediction column per class, ``PREFIX_<class>`` where PREFIX is
  ``p``, ``prob``, ``proba``, ``y_pred``, ``pred``, ``logit``, ``score``… (or ``<class>_prob``);
* one-hot label columns ``y_true_<class>`` with prediction columns ``y_pred_<class>``;
* with a separate labels file, its columns are labels and the other file's are predictions;
* prediction columns of one label named as quantiles (``y_pred_q10``, ``y_pred_q90``) are one
  quantile set, and ``y_pred_var``/``y_pred_std`` the variance of ``y_pred`` (:mod:`losscli.quantiles`).

Id, weight and group columns never pair. ``--true``/``--pred`` replace all of this.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import UsageError, closest, names_listed
from .names import HARD_WORDS, IGNORED_WORDS, PRED_WORDS, SOFT_WORDS, TRUE_WORDS, is_id_like, normalise
from .quantiles import declared_set, declared_spread, quantile_set, spread_columns

if TYPE_CHECKING:
    pass

TRUE_SUFFIXES = r"true|label|labels|target|actual|truth|gold|gt|obs|observed"
PRED_SUFFIXES = (r"pred|preds|prediction|predicted|hat|score|scores|prob|probs|proba|probability|"
                 r"logit|logits|estimate|forecast|fitted|output")
CLASS_PRED = re.compile(r"^(?:y_)?(p|prob|probs|proba|probas|probability|probabilities|predict_proba|"
                        r"pred|preds|prediction|predicted|predict|logit|logits|score|scores|output|yhat|hat)_(.+)$")
CLASS_TRUE = re.compile(r"^(?:y_)?(true|label|target|actual|truth|gold|onehot|one_hot)_(.+)$")
INTERVAL_BOUND = re.compile(r"^(.+)_(lower|upper|lo|hi)$")  # yhat_lower, yhat_upper (Prophet)
NUMBERED_PROBABILITY = re.compile(r"^p(\d+)$")  # H2O's p0, p1, …
NAME_TRUE = re.compile(rf"^(.+?)_({TRUE_SUFFIXES})$")
NAME_PRED = re.compile(rf"^(.+?)_({PRED_SUFFIXES})$")


@dataclass
class Pair:
    """One target: its label column(s), its prediction column(s), and how they were found."""

    name: str
    true: list[str]
    pred: list[str]
    classes: list[str] | None = None  # class names from per-class prediction columns
    how: str = ""
    model: str | None = None  # with several models for one label: this one's name (``lr`` of ``pred_lr``)
    prefix: str = ""  # per-class columns: their shared prefix as normalised (``prob``, ``<class>_pred``)
    quantiles: list[float] | None = None  # a quantile set: the level of each prediction column, increasing
    variance: str | None = None  # the column of the predicted variance (pred is the mean)
    std: str | None = None  # the column of the predicted standard deviation (pred is the mean)

    @property
    def columns(self) -> list[str]:
        """Every column the pair reads: labels, predictions, and a variance or standard deviation."""
        return self.true + self.pred + [c for c in (self.variance, self.std) if c is not None]

    def with_spread(self, column: str, kind: str) -> Pair:
        """This pair with ``column`` as the variance (``kind`` "variance") or standard deviation of its mean."""
        said = f"; '{column}' is the {'variance' if kind == 'variance' else 'standard deviation'} of '{self.pred[0]}'"
        if kind == "variance":
            return replace(self, how=self.how + said, variance=column)
        return replace(self, how=self.how + said, std=column)


@dataclass
class Pairing:
    pairs: list[Pair]
    unpaired: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)  # labels with predictions that compete, said so


def written_suffix(column: str, prefix: str) -> str:
    """The class name as the column writes it, after its (normalised) ``prefix``: ``prob_Iris-setosa``
    -> ``Iris-setosa``, ``p_C++`` -> ``C++``, ``p_-1`` -> ``-1`` (never folded: ``C`` and ``C++`` are
    two classes)."""
    for cut in range(1, len(column)):
        if normalise(column[:cut]) != prefix:
            continue
        rest = column[cut:]
        if rest[0] in "_-. ":
            return rest[1:]
        if column[cut - 1].islower() and rest[0].isupper():  # camelCase: probSetosa
            return rest
    return column


def written_prefix(column: str, suffix: str) -> str:
    """The class name as the column writes it, before its (normalised) ``suffix``: ``Cat_prob`` -> ``Cat``."""
    for cut in range(len(column) - 1, 0, -1):
        if normalise(column[cut:]) == suffix and column[cut - 1] in "_-. ":
            return column[:cut - 1]
    return column


def _add_member(groups: dict[str, dict[str, str]], prefix: str, cls: str, column: str) -> None:
    """``column`` joins the per-class group ``prefix`` as class ``cls``; two columns for one class
    cannot be told apart, so they are refused rather than one dropped."""
    members = groups.setdefault(prefix, {})
    if cls in members:
        raise UsageError(f"columns '{members[cls]}' and '{column}' both name class '{cls}'; rename one, or say "
                         "which columns pair: --true COL --pred COL,COL...")
    members[cls] = column


def _word_key(pattern: re.Pattern[str], norm: str) -> str | None:
    """``y`` for ``y_true``/``y_pred``; None for words with no NAME (``label``, ``true_label``)."""
    m = pattern.match(norm)
    return m.group(1) if m and m.group(1) not in (TRUE_WORDS | PRED_WORDS) - {"y"} else None


def _preferred(found: list[Any], column: Callable[[Any], str] = lambda s: s.column) -> Any:
    """Of several prediction columns for one label, the one that says most: the one named as
    probabilities or scores (``y_prob`` over ``y_pred``), else the one not named as hard classes
    (``prediction`` over ``predicted_label``); None when that does not single one out."""
    if len(found) <= 1:
        return found[0] if found else None
    for keep in (lambda n: n in SOFT_WORDS, lambda n: n not in HARD_WORDS):
        chosen = [f for f in found if keep(normalise(column(f)))]
        if len(chosen) == 1:
            return chosen[0]
    return None


@dataclass
class _Simple:
    column: str
    key: str | None  # NAME of NAME_true / NAME_pred, else None
    suffix: str = ""


@dataclass
class _ByName:
    """Columns sorted by what their names say; the rules below take what they pair out of them."""

    trues: list[_Simple] = field(default_factory=list)
    preds: list[_Simple] = field(default_factory=list)
    true_groups: dict[str, dict[str, str]] = field(default_factory=dict)  # prefix -> class -> column
    pred_groups: dict[str, dict[str, str]] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)  # see Pairing


def find_pairs(columns: list[str], *, exclude: AbstractSet[str] = frozenset(),
               roles: dict[str, str] | None = None) -> Pairing:
    """Pair ``columns`` by their names (and, for two files, by the file they came from ``roles``:
    "true" for the labels file's columns, "pred" for the predictions file's), rule by rule."""
    roles = roles or {}
    spreads = spread_columns(c for c in columns if c not in exclude and roles.get(c) != "true")
    found = _sorted_by_name(columns, set(exclude) | set(spreads), roles)
    pairs = _same_name(found) + _named_after(found) + _one_hot(found)
    _suffix_groups(found)
    if roles:
        _rest_of_predictions_file(found, roles)
    pairs += _quantiles_beside(found, pairs)  # (first: the only column left is not a label for them)
    pairs += _lone_label(found)
    unpaired = set([t.column for t in found.trues] + [c for g in found.true_groups.values() for c in g.values()]
                   + [p.column for p in found.preds] + [c for g in found.pred_groups.values() for c in g.values()]
                   + found.others)
    pairs, unattached = with_spreads(pairs, spreads)
    unpaired |= set(unattached)
    return Pairing(pairs, [c for c in columns if c in unpaired], found.undecided)


def with_spreads(pairs: list[Pair], spreads: dict[str, tuple[str, str]]) -> tuple[list[Pair], list[str]]:
    """Each spread column (see :func:`~losscli.quantiles.spread_columns`) joined to the pair whose one
    prediction column is its mean; and the spread columns that join none."""
    means = {mean: (column, kind) for column, (mean, kind) in spreads.items()}
    joined = []
    for pair in pairs:
        found = means.get(pair.pred[0]) if len(pair.pred) == 1 and len(pair.true) == 1 else None
        joined.append(pair if found is None else pair.with_spread(*found))
    used = {p.variance or p.std for p in joined}
    return joined, [c for c in spreads if c not in used]


def _sorted_by_name(columns: list[str], exclude: AbstractSet[str], roles: dict[str, str]) -> _ByName:
    """Each column as a label, a prediction, a member of a per-class group, or another column; ids,
    weights and ``exclude`` left out (a ``Weight`` with a ``Weight_pred`` stays: it is a target)."""
    found = _ByName()
    unnamed_labels: list[str] = []  # columns of a labels file that are not named like labels
    predicted = {m.group(1) for c in columns if (m := NAME_PRED.match(normalise(c)))}
    for column in columns:
        norm = normalise(column)
        if column in exclude or (is_id_like(column) and norm not in predicted):
            continue
        role = roles.get(column)
        if (m := INTERVAL_BOUND.match(norm)) and m.group(1) in PRED_WORDS:  # Prophet's yhat_lower: not a prediction
            found.others.append(column)
        elif role != "pred" and norm in TRUE_WORDS:
            found.trues.append(_Simple(column, _word_key(NAME_TRUE, norm)))
        elif role != "true" and norm in PRED_WORDS:
            found.preds.append(_Simple(column, _word_key(NAME_PRED, norm)))
        elif role != "true" and (m := NUMBERED_PROBABILITY.match(norm)):  # H2O: p0, p1
            _add_member(found.pred_groups, "p", m.group(1), column)
        elif role != "true" and (m := CLASS_PRED.match(norm)):
            _add_member(found.pred_groups, m.group(1), written_suffix(column, norm[:m.start(2) - 1]), column)
        elif role != "pred" and (m := CLASS_TRUE.match(norm)):
            _add_member(found.true_groups, m.group(1), written_suffix(column, norm[:m.start(2) - 1]), column)
        elif role != "pred" and (m := NAME_TRUE.match(norm)):
            found.trues.append(_Simple(column, m.group(1), m.group(2)))
        elif role != "true" and (m := NAME_PRED.match(norm)):
            found.preds.append(_Simple(column, m.group(1), m.group(2)))
        elif role == "true" and norm not in IGNORED_WORDS:
            unnamed_labels.append(column)
        else:
            found.others.append(column)
    # A labels file's column not named like a label is its label when it is the only one.
    if len(unnamed_labels) == 1 and not found.trues and not found.true_groups:
        found.trues.append(_Simple(unnamed_labels.pop(), None))
    found.others += unnamed_labels
    # A "group" of one column is a plain NAME pair: true_price / pred_price.
    for groups, simples in ((found.true_groups, found.trues), (found.pred_groups, found.preds)):
        for prefix, members in list(groups.items()):
            if len(members) == 1:
                (cls, column), = members.items()
                simples.append(_Simple(column, normalise(cls), prefix))
                del groups[prefix]
    return found


def _same_name(found: _ByName) -> list[Pair]:
    """NAME_true with NAME_pred (the soft prediction when there are several)."""
    pairs = []
    for t in list(found.trues):
        candidates = [p for p in found.preds if t.key is not None and p.key == t.key]
        preferred = _preferred(candidates)
        if preferred is None and len(candidates) > 1:
            found.undecided.append(f"'{t.column}' has {len(candidates)} predictions named after it; say which: "
                                   f"--true {t.column} " + " or ".join(f"--pred {p.column}" for p in candidates))
        if preferred is not None and t.key is not None:
            pairs.append(Pair(t.key, [t.column], [preferred.column],
                              how=f"'{t.column}' and '{preferred.column}' share the name '{t.key}'"))
            found.trues.remove(t)
            found.preds.remove(preferred)
    return pairs


def _named_after(found: _ByName) -> list[Pair]:
    """NAME with NAME_pred: sales / sales_forecast."""
    pairs = []
    for p in list(found.preds):
        label = next((c for c in found.others if p.key is not None and normalise(c) == p.key), None)
        if label is not None:
            pairs.append(Pair(label, [label], [p.column], how=f"'{p.column}' is named after '{label}'"))
            found.others.remove(label)
            found.preds.remove(p)
    return pairs


def _one_hot(found: _ByName) -> list[Pair]:
    """One-hot label columns with prediction columns of the same classes."""
    pairs = []
    for tprefix, tmembers in list(found.true_groups.items()):
        for pprefix, pmembers in list(found.pred_groups.items()):
            if set(pmembers) == set(tmembers):
                classes = list(tmembers)
                name = "y" if normalise(tmembers[classes[0]]).startswith("y_") else tprefix
                pairs.append(Pair(name, [tmembers[c] for c in classes], [pmembers[c] for c in classes], classes,
                                  how=f"label columns {tprefix}_<class> and prediction columns "
                                      f"{pprefix}_<class> for classes {', '.join(classes)}"))
                del found.true_groups[tprefix], found.pred_groups[pprefix]
                break
    return pairs


def _suffix_groups(found: _ByName) -> None:
    """NAME_prob columns sharing a suffix form a per-class group: cat_prob, dog_prob."""
    by_suffix: dict[str, list[_Simple]] = {}
    for p in found.preds:
        if p.key is not None:
            by_suffix.setdefault(p.suffix, []).append(p)
    for suffix, same_suffix in by_suffix.items():
        if len(same_suffix) >= 2 and not any(t.key in {s.key for s in same_suffix} for t in found.trues):
            for simple in same_suffix:
                _add_member(found.pred_groups, f"<class>_{suffix}", written_prefix(simple.column, suffix),
                            simple.column)
                found.preds.remove(simple)


def _rest_of_predictions_file(found: _ByName, roles: dict[str, str]) -> None:
    """With two files and one label, the predictions file's leftover columns are one prediction set."""
    if len(found.trues) != 1 or found.preds or found.pred_groups:
        return
    rest = [c for c in found.others if roles.get(c) == "pred"]
    if len(rest) == 1:
        found.preds.append(_Simple(rest[0], None))
    elif len(rest) > 1:
        found.pred_groups["<file>"] = {c.strip(): c for c in rest}  # predict_proba columns named by the classes
    found.others = [c for c in found.others if c not in rest]


def _lone_label(found: _ByName) -> list[Pair]:
    """A lone label column with the lone prediction column or per-class group (the label being the
    only other column, when it is not named; the soft prediction when there are several)."""
    candidates: list[tuple[list[str], list[str] | None, str, str]] = \
        [([p.column], None, f"'{p.column}'", "") for p in found.preds] + \
        [(list(g.values()), list(g), f"per-class columns {', '.join(g.values())}", prefix)
         for prefix, g in found.pred_groups.items()]
    if len(candidates) == 1 and len(found.trues) + len(found.true_groups) == 0 and len(found.others) == 1:
        found.trues.append(_Simple(found.others.pop(), None))  # the only column left must be the label
    if len(found.trues) == 1 and len(candidates) == 2 and not found.true_groups:
        # a point prediction beside a quantile set (y_pred, y_pred_q10, y_pred_q90): a pair each
        sets = [c for c in candidates if c[1] is not None and quantile_set(c[0], found.trues[0].column, c[3])]
        points = [c for c in candidates if c[1] is None]
        if len(sets) == 1 and len(points) == 1:
            t = found.trues.pop()
            name = t.key or t.column
            found.preds.clear()
            found.pred_groups.clear()
            return [Pair(name, [t.column], points[0][0], how=f"label '{t.column}' with {points[0][2]} (its point "
                         f"prediction; the quantiles {', '.join(sets[0][0])} are the pair '{name}/quantiles')"),
                    Pair(f"{name}/quantiles", [t.column], sets[0][0], sets[0][1], prefix=sets[0][3],
                         how=f"label '{t.column}' with {sets[0][2]}")]
    if len(found.trues) == 1 and len(candidates) > 1:
        # label, prediction, probability: the probabilities (or scores) say more than hard classes
        chosen = _preferred(candidates, lambda c: c[0][0])
        if chosen is not None:
            found.others += [column for c in candidates if c is not chosen for column in c[0]]
            candidates = [chosen]
    if len(found.trues) != 1 or len(candidates) != 1 or found.true_groups:
        return []
    t = found.trues.pop()
    pred_cols, pred_classes, what, prefix = candidates[0]
    found.preds.clear()
    found.pred_groups.clear()
    return [Pair(t.key or t.column, [t.column], pred_cols, pred_classes, how=f"label '{t.column}' with {what}",
                 prefix=prefix)]


def _quantiles_beside(found: _ByName, pairs: list[Pair]) -> list[Pair]:
    """A quantile set left over beside the one pair of a single label (``y_true``/``y_pred`` with
    ``y_pred_q10, y_pred_q90``): the pair ``NAME/quantiles`` of that label."""
    if len(pairs) != 1 or len(pairs[0].true) != 1 or len(found.pred_groups) != 1:
        return []
    (prefix, members), = found.pred_groups.items()
    label = pairs[0].true[0]
    if quantile_set(list(members.values()), label, prefix) is None:
        return []
    del found.pred_groups[prefix]
    return [Pair(f"{pairs[0].name}/quantiles", [label], list(members.values()), list(members), prefix=prefix,
                 how=f"label '{label}' (of pair '{pairs[0].name}') with {', '.join(members.values())}")]


def class_names(columns: list[str]) -> list[str]:
    """Class names of per-class columns: the suffixes after their common prefix (p_0 -> 0)."""
    prefix = os.path.commonprefix(columns)  # noqa: RUF071 - character-wise on purpose
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
                raise UsageError(f"{flag} {part}: no column matches; columns: {names_listed(columns)}")
            found.extend(matched)
        elif part in columns:
            found.append(part)
        else:
            raise UsageError(f"{flag} {part}: no such column{closest(part, columns)}; columns: {names_listed(columns)}")
    if not found:
        raise UsageError(f"{flag} needs a column name")
    return found


def explicit_pairs(columns: list[str], trues: list[str], preds: list[str],
                   quantiles: list[float] | None = None, task: str | None = None) -> list[Pair]:
    """Pairs from ``--true COL --pred COL[,COL...|GLOB]`` (the i-th --true with the i-th --pred): a
    --pred of a mean and its spread (``y_pred,y_pred_std``) is one Gaussian prediction; one of
    columns named as quantiles (unless ``--task`` names a classification), or given ``--quantiles``
    levels, one quantile set."""
    if len(trues) != len(preds):
        raise UsageError(f"--true was given {len(trues)} time(s) and --pred {len(preds)}; give one --pred "
                         "for each --true (--pred takes COL, COL,COL... or a quoted glob)")
    pairs = []
    for true_spec, pred_spec in zip(trues, preds):
        true = _expand(true_spec, columns, "--true")
        pred = _expand(pred_spec, columns, "--pred")
        if len(true) == 1 and len(pred) >= 2 and (quantiles is not None or task in (None, "regression")):
            quantile_set = declared_set(pred, quantiles, f"--pred {pred_spec}")
            if quantile_set is not None:
                name = m.group(1) if (m := NAME_TRUE.match(normalise(true[0]))) else true[0]
                levels = ", ".join(f"{c} at {level:g}" for c, level in zip(*quantile_set))
                given = f" --quantiles {','.join(f'{level:g}' for level in quantiles)}" if quantiles else ""
                pairs.append(Pair(name, true, quantile_set[0], quantiles=quantile_set[1],
                                  how=f"--true {true_spec} --pred {pred_spec}{given}: quantiles {levels}"))
                continue
        elif quantiles is not None and len(pred) == 1:
            raise UsageError(f"--quantiles needs a --pred of two or more columns; --pred {pred_spec} has one")
        spread = declared_spread(pred) if len(true) == 1 else None
        if spread is not None:
            column, mean, kind = spread
            name = m.group(1) if (m := NAME_TRUE.match(normalise(true[0]))) else true[0]
            pair = Pair(name, true, [mean], how=f"--true {true_spec} --pred {pred_spec}")
            pairs.append(pair.with_spread(column, kind))
            continue
        classes = class_names(pred) if len(pred) > 1 else None
        if len(true) > 1 and classes is not None:
            true_classes = class_names(true)
            if set(true_classes) == set(classes):  # one-hot columns: order the predictions like the labels
                pred = [pred[classes.index(c)] for c in true_classes]
                classes = true_classes
        name = true[0] if len(true) == 1 else (os.path.commonprefix(true).rstrip("_-. ") or true[0])  # noqa: RUF071 - character-wise on purpose
        m = NAME_TRUE.match(normalise(name))
        pairs.append(Pair(m.group(1) if m and len(true) == 1 else name, true, pred, classes,
                          how=f"--true {true_spec} --pred {pred_spec}"))
    return unique_names(pairs)


def unique_names(pairs: list[Pair]) -> list[Pair]:
    """Pairs that share a name (``--true y --pred a --true y --pred b``) are told apart by their
    prediction columns, each a model."""
    names = [pair.name for pair in pairs]
    unique = []
    for pair in pairs:
        if names.count(pair.name) > 1:
            model = pair.model or ",".join(pair.pred)
            unique.append(replace(pair, name=f"{pair.name}/{model}", model=model))
        else:
            unique.append(pair)
    return unique


def no_pairs_message(source: str, columns: list[str], undecided: Sequence[str] = ()) -> str:
    """Why nothing paired: labels whose predictions compete (``undecided``), else the columns."""
    if undecided:
        return f"{source}: no label/prediction pair decided: {'; '.join(undecided)}"
    return (f"{source}: no label/prediction pair found among the columns {names_listed(columns)}. "
            "Name them y_true/y_pred (or NAME_true/NAME_pred, or a label plus p_<class> columns), "
            "or say which is which: --true COL --pred COL[,COL...|'GLOB']")
