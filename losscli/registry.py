"""The loss registry: ``@loss``, :class:`LossSpec`, the per-row terms and their sums.

A loss is a vectorised function that returns one term per row. The registry is the one place that
checks a loss's domain, weights the terms and reduces them, always through a
:class:`~losscli.sums.Partial` of summable statistics, so that one file, chunks of a file and
shards on other machines give the same number: ``sum(partials, Partial())`` merges,
:meth:`LossSpec.value` finishes.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .errors import DataError, UsageError, closest
from .scores import Scores, gather, row_argmax  # noqa: F401  (helpers for losses and plugins)
from .sums import GroupSums, Partial, Skip

Task = Literal["regression", "binary", "sparse", "multiclass", "multilabel"]
TASKS: tuple[Task, ...] = ("regression", "binary", "sparse", "multiclass", "multilabel")
PredKind = Literal["values", "probability", "logits", "class", "quantiles"]
Reduction = Literal["mean", "class_balanced", "binned", "max", "median"]

EPS64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Inputs:
    """One pair's data, as every loss sees it.

    ``y``: regression values, binary 0/1 labels or (n, K) class distributions (one-hot for sparse
    labels); hard class ids for ``kind == "class"``. ``pred``: values, probabilities, logits or
    class ids, (n,) or (n, K). ``w``: sample weights or ``None``. ``levels``: with ``kind ==
    "quantiles"``, the quantile level of each of pred's (n, Q) columns, increasing; ``var``: a
    regression pair's predicted variance per row (its ``pred`` is the mean), or ``None``.
    """

    task: Task
    kind: PredKind
    y: np.ndarray
    pred: np.ndarray
    w: np.ndarray | None = None
    index: np.ndarray | None = None  # sparse labels: each row's class position (y is their one-hot)
    levels: tuple[float, ...] | None = None  # quantile predictions: the level of each column of pred
    var: np.ndarray | None = None  # a predicted variance per row (Gaussian predictions: pred is the mean)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return self.pred.shape[1] if self.pred.ndim == 2 else 2

    def scores(self) -> Scores:
        """The predictions as :class:`Scores`, made once and shared by every loss of this pair."""
        cached = self.__dict__.get("_scores")
        if cached is None:
            cached = Scores(self.pred, self.kind, softmax=self.task in ("sparse", "multiclass"), index=self.index,
                            hard_labels=self.task == "binary")
            object.__setattr__(self, "_scores", cached)
        return cached


@dataclass(frozen=True)
class Binned:
    """What a loss with ``reduction="binned"`` returns: each row's bin (0 … ``count`` − 1) and
    statistics ``stats`` (n, S) that are summed per bin, weighted; ``terms`` (n,) are what each
    row shows in ``--worst`` (its share of the loss, roughly). The loss's ``finish_bins`` makes
    its value from the sums: Σw per bin and Σw·stats per bin, so that chunks, shards and groups
    merge by adding, as for every other loss."""

    bins: np.ndarray
    stats: np.ndarray
    count: int
    terms: np.ndarray


Terms = np.ndarray | Binned  # what terms() gives: per-row terms, or a binned loss's bins and statistics
FinishBins = Callable[[np.ndarray, np.ndarray, Mapping[str, Any]], np.ndarray]


@dataclass(frozen=True)
class Within:
    """The values a number parameter may take (``--param`` outside them is a usage error): from
    ``low`` to ``high``, each end included or not, whole numbers only when ``whole``, and none
    strictly inside ``gap`` (the Tweedie power: ≤ 0 or ≥ 1)."""

    low: float = -np.inf
    high: float = np.inf
    low_included: bool = True
    high_included: bool = True
    whole: bool = False
    gap: tuple[float, float] | None = None

    def __contains__(self, value: float) -> bool:
        above = value >= self.low if self.low_included else value > self.low
        below = value <= self.high if self.high_included else value < self.high
        outside_gap = self.gap is None or not self.gap[0] < value < self.gap[1]
        return above and below and outside_gap and (not self.whole or float(value).is_integer())

    def __str__(self) -> str:
        """``> 0``, ``≥ 1``, ``in [0, 1]``, ``in [0, 0.5)``, ``≤ 0 or ≥ 1`` (a gap in the whole line);
        "a whole number" first when ``whole``."""
        if self.gap is not None:  # (only a gap in the whole line is used, and said)
            return f"≤ {self.gap[0]:g} or ≥ {self.gap[1]:g}"
        if self.high == np.inf:
            said = f"{'≥' if self.low_included else '>'} {self.low:g}"
        elif self.low == -np.inf:
            said = f"{'≤' if self.high_included else '<'} {self.high:g}"
        else:
            opened, closed = "[" if self.low_included else "(", "]" if self.high_included else ")"
            said = f"in {opened}{self.low:g}, {self.high:g}{closed}"
        return f"a whole number {said}" if self.whole else said


POSITIVE = Within(0, low_included=False)
NOT_NEGATIVE = Within(0)
FRACTION = Within(0, 1)  # a probability, a weight between two classes
CLIP = Within(0, 0.5, high_included=False)  # eps: probabilities clipped to [eps, 1 − eps]


@dataclass(frozen=True)
class LossSpec:
    """A registered loss: what it applies to and how its terms are reduced."""

    name: str
    fn: Callable[..., np.ndarray]
    tasks: frozenset[str]
    params: Mapping[str, Any]
    aliases: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    default: bool | Callable[[Inputs, Mapping[str, Any]], bool] = True
    reduction: Reduction = "mean"
    finish: Callable[[float], float] | None = None
    domain: Callable[[Inputs, Mapping[str, Any]], Skip | str | None] | None = None  # why it cannot apply, or None
    inputs: Literal["arrays", "scores", "inputs"] = "arrays"
    finish_bins: FinishBins | None = None  # reduction "binned": (Σw (..., B), Σw·stats (..., B, S), params) -> values
    bin_shape: Callable[[Mapping[str, Any]], tuple[int, int]] | None = None  # reduction "binned": params -> (B, S)
    reference: str = ""
    origin: str = "built-in"
    doc: str = field(default="", compare=False)
    seq: int = 0  # registration order: the order losses are listed in
    optional: frozenset[str] = frozenset()  # parameters that results list only when set (added later)
    row_weights: Callable[[Inputs, Mapping[str, Any]], np.ndarray | None] | None = None  # see loss()
    undefined: str = ""  # why a finished value may be undefined (a ratio's sum of denominators is 0)
    ranges: Mapping[str, Within] = field(default_factory=dict)  # the values each number parameter may take

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    def is_default(self, inputs: Inputs, params: Mapping[str, Any]) -> bool:
        return self.default(inputs, params) if callable(self.default) else self.default

    def value(self, partial: Partial, params: Mapping[str, Any] | None = None) -> float | None:
        """The finished loss (with ``params``, else the defaults); None when it was skipped or no
        row carries any weight, or for a median (its value needs every row: :func:`weighted_median`)."""
        if partial.skipped is not None or partial.weight <= 0 or self.reduction == "median":
            return None
        if self.reduction == "max":
            if partial.maximum is None:
                return None
            return float(self.finish(partial.maximum)) if self.finish else partial.maximum
        if self.finish_bins is not None and partial.class_weights is not None and partial.class_sums is not None:
            weights = partial.class_weights
            sums = partial.class_sums.reshape(len(weights), -1)
            return float(self.finish_bins(weights, sums, self.params if params is None else params))
        mean = partial.mean
        return float(self.finish(mean)) if self.finish else mean


_SPECS: dict[str, dict[str, LossSpec]] = {}  # name -> task -> spec
_ALIASES: dict[str, set[str]] = {}  # normalised alias -> canonical names
_SEQ = itertools.count()
_FAMILIES: list[Callable[[str], LossSpec | None]] = []  # names made on demand (pinball_q10): name -> spec or None
_ORIGIN = ["built-in"]  # who is registering: "built-in", or a plugin file / package (see plugins.py)


@contextmanager
def registering_as(origin: str) -> Iterator[None]:
    """Losses registered inside this block record ``origin`` (``losscli list`` shows it)."""
    _ORIGIN.append(origin)
    try:
        yield
    finally:
        _ORIGIN.pop()


def _key(name: str) -> str:
    """Spellings compare without case or separators: BinaryCrossentropy == binary_cross_entropy."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def loss(
    name: str,
    *,
    tasks: Iterable[str],
    params: Mapping[str, Any] | None = None,
    aliases: Iterable[str] = (),
    optional: Iterable[str] = (),
    kinds: Iterable[str] | None = None,
    default: bool | Callable[[Inputs, Mapping[str, Any]], bool] = True,
    reduction: Reduction = "mean",
    finish: Callable[[float], float] | None = None,
    domain: Callable[..., Skip | str | None] | None = None,  # check(inputs) or check(inputs, params)
    inputs: Literal["arrays", "scores", "inputs"] = "arrays",
    reference: str = "",
    origin: str | None = None,
    finish_bins: FinishBins | None = None,
    bin_shape: Callable[[Mapping[str, Any]], tuple[int, int]] | None = None,
    row_weights: Callable[[Inputs, Mapping[str, Any]], np.ndarray | None] | None = None,
    undefined: str = "",
    ranges: Mapping[str, Within] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(y_true, y_pred, **params) -> per-row terms`` as loss ``name`` for ``tasks``.

    ``y_pred`` is the values (regression) or the probabilities (classification, logits converted);
    with ``inputs="scores"`` it is a :class:`~losscli.scores.Scores` that also gives stable logs of
    logits; with ``inputs="inputs"`` it is the pair's :class:`Inputs` (quantile levels, variances).
    The same name may be registered again for other tasks (``brier`` for binary and for K
    classes). The function returns (n,) terms, or (n, K) terms that are averaged over K; with
    ``reduction="binned"``, a :class:`Binned`, which ``finish_bins`` finishes; ``bin_shape`` gives
    its (bins, statistics) for given parameters (a state file's sums are checked against it).
    ``optional`` parameters are passed, and listed in a result's ``params``, only when set: the
    function gives them their default (a parameter added to a loss leaves its reports as they were).
    ``row_weights(inputs, params)`` may give each row a factor of its weight (class weights): the
    loss is then the weighted mean Σ f w ℓ / Σ f w, whatever its reduction; None keeps the reduction.

    Other reductions: ``"max"``, the largest term of a row of weight > 0 (weights do not scale it;
    parts merge by ``max``); ``"median"``, the weighted median of the terms (scikit-learn's
    ``_weighted_percentile(average=True)``; (n, K) terms: the mean over K of each column's
    median). A median is not a sum: the evaluation keeps every row's terms (8 bytes a row per
    column), so it is exact over one run, per group too, and skipped with its reason where only
    sums travel (``--state``, ``merge``, ``--engine dask``); it has no ``--ci`` interval.
    ``undefined``: the reason given when the finished value is not a number (a binned loss's
    ratio whose denominator sums to 0). ``ranges``: the values a number parameter may take
    (:class:`Within`); a value outside them is refused when it is given, naming them.
    """
    tasks = frozenset(tasks)
    unknown = tasks - set(TASKS)
    if unknown:
        raise UsageError(f"loss '{name}': unknown task {sorted(unknown)}; tasks are {', '.join(TASKS)}")
    if kinds is None:
        kinds = {"values"} if tasks == {"regression"} else {"probability", "logits"}
    if (reduction == "binned") != (finish_bins is not None) or (finish_bins is None) != (bin_shape is None):
        raise UsageError(f"loss '{name}': reduction='binned', finish_bins and bin_shape go together")
    if reduction not in ("mean", "class_balanced", "binned", "max", "median"):
        raise UsageError(f"loss '{name}': unknown reduction {reduction!r}; "
                         "reductions are mean, class_balanced, binned, max, median")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _check_signature(name, fn, params or {})
        spec = LossSpec(
            name=name, fn=fn, tasks=tasks, params=dict(params or {}), aliases=tuple(aliases),
            optional=frozenset(optional), kinds=frozenset(kinds), default=default, reduction=reduction, finish=finish,
            domain=_with_params(domain), inputs=inputs, reference=reference, origin=origin or _ORIGIN[-1],
            doc=inspect.getdoc(fn) or "", seq=next(_SEQ), finish_bins=finish_bins, bin_shape=bin_shape,
            row_weights=row_weights, undefined=undefined, ranges=dict(ranges or {}),
        )
        by_task = _SPECS.setdefault(name, {})
        clash = {t for t in tasks & set(by_task) if by_task[t].origin != spec.origin or spec.origin == "built-in"}
        if clash:
            raise UsageError(f"loss '{name}' is already registered for {', '.join(sorted(clash))} "
                             f"(by {by_task[min(clash)].origin}); choose another name")
        for task in tasks:
            by_task[task] = spec
        for alias in (name, *spec.aliases):
            _ALIASES.setdefault(_key(alias), set()).add(name)
        return fn

    return register


def _check_signature(name: str, fn: Callable[..., Any], params: Mapping[str, Any]) -> None:
    """The function takes (y_true, y_pred) and every declared parameter as a keyword."""
    if not callable(fn):
        raise UsageError(f"loss '{name}': @loss decorates a function, not {type(fn).__name__}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    positional = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and not any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        raise UsageError(f"loss '{name}': its function must take (y_true, y_pred, *, params...); it takes "
                         f"({', '.join(signature.parameters)})")
    accepted = set(signature.parameters)
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    missing = [p for p in params if p not in accepted and not takes_kwargs]
    if missing:
        raise UsageError(f"loss '{name}': its function does not take the parameter(s) {missing}; "
                         f"add them as keyword arguments")


def family(make: Callable[[str], LossSpec | None]) -> Callable[[str], LossSpec | None]:
    """Register ``make(name)``, which gives the spec of a derived name (``pinball_q10``: one level of
    a quantile set) or None; such names resolve, and are looked up, like registered ones, but are
    not listed."""
    _FAMILIES.append(make)
    return make


def _derived(name: str) -> LossSpec | None:
    return next((spec for make in _FAMILIES if (spec := make(name)) is not None), None)


def names() -> list[str]:
    """Canonical names in registration order."""
    return list(_SPECS)


def specs(name: str) -> list[LossSpec]:
    """The distinct specs registered under ``name`` (one per task family)."""
    unique: dict[int, LossSpec] = {}
    for spec in _SPECS.get(name, {}).values():
        unique.setdefault(id(spec), spec)
    return list(unique.values())


def for_task(task: str) -> list[LossSpec]:
    return sorted((by_task[task] for by_task in _SPECS.values() if task in by_task), key=lambda s: s.seq)


def lookup(name: str, task: str) -> LossSpec | None:
    found = _SPECS.get(name, {}).get(task)
    if found is None and name not in _SPECS and (derived := _derived(name)) is not None and task in derived.tasks:
        return derived
    return found


def spec_for(name: str, task: str) -> LossSpec:
    """The spec of a canonical ``name`` already chosen for ``task`` (a KeyError would be a bug)."""
    found = lookup(name, task)
    if found is None:
        raise KeyError(name)
    return found


def resolve(name: str) -> list[str]:
    """Canonical names for a name or alias (``log_loss`` -> every task's cross-entropy).

    Unknown names are a usage error that suggests the closest registered spelling.
    """
    found = _ALIASES.get(_key(name))
    if found:
        return [n for n in _SPECS if n in found]
    if _derived(name) is not None:
        return [name]
    spellings = list(_SPECS) + [a for n in _SPECS for s in specs(n) for a in s.aliases]
    raise UsageError(f"unknown loss '{name}'{closest(name, spellings)}; `losscli list` shows them all")


def resolve_for_task(name: str, task: str) -> str | None:
    """The canonical name that ``name`` means for ``task``, or ``None`` if none applies."""
    for canonical in resolve(name):
        if lookup(canonical, task) is not None:
            return canonical
    return None


def _with_params(domain: Callable[..., Skip | str | None] | None,
                 ) -> Callable[[Inputs, Mapping[str, Any]], Skip | str | None] | None:
    """A domain check as ``check(inputs, params)``; one written as ``check(inputs)`` is wrapped
    (once, here: every chunk asks)."""
    if domain is None or len(inspect.signature(domain).parameters) != 1:
        return domain
    return lambda inputs, params: domain(inputs)


def skip_reason(spec: LossSpec, inputs: Inputs, params: Mapping[str, Any]) -> Skip | None:
    """Why ``spec`` cannot be computed on ``inputs``, or ``None`` (a plugin's domain check may
    give its reason as text)."""
    if inputs.kind not in spec.kinds:
        if inputs.kind == "probability" and spec.kinds == {"logits"}:
            return Skip(f"predictions are probabilities; {spec.name} needs decision scores")
        if inputs.kind == "class":
            return Skip(f"predictions are hard class ids; {spec.name} needs probabilities or scores")
        return Skip(f"{spec.name} does not take {inputs.kind} predictions")
    reason = spec.domain(inputs, params) if spec.domain is not None else None
    return Skip(reason) if isinstance(reason, str) else reason


def terms(spec: LossSpec, inputs: Inputs, params: Mapping[str, Any]) -> Terms:
    """The loss's per-row terms, of shape (n,) (checked), or a binned loss's :class:`Binned`;
    :func:`sum_terms` checks they are finite."""
    if spec.inputs == "scores":
        pred: Any = inputs.scores()
    elif spec.inputs == "inputs":
        pred = inputs
    elif inputs.kind == "logits":
        pred = inputs.scores().p
    else:
        pred = inputs.pred
    with np.errstate(all="ignore"):  # non-finite terms are reported below, with their row
        found = spec.fn(inputs.y, pred, **params)
    if spec.reduction == "binned":
        if not isinstance(found, Binned) or found.bins.shape != (inputs.n,) or len(found.stats) != inputs.n:
            raise DataError(f"loss '{spec.name}' ({spec.origin}) has reduction='binned' and must return a "
                            f"Binned with one bin and one row of statistics per row ({inputs.n})")
        return found
    out = np.asarray(found, dtype=np.float64)
    if out.ndim == 2 and out.shape[0] == inputs.n and spec.reduction != "median":  # (a median keeps its columns)
        out = out.mean(axis=1)
    if out.shape[:1] != (inputs.n,) or out.ndim > 2:
        raise DataError(f"loss '{spec.name}' ({spec.origin}) returned shape {out.shape}; "
                        f"a loss must return one term per row, shape ({inputs.n},)")
    return out


def row_terms(found: Terms) -> np.ndarray:
    """Each row's term, as ``--worst`` and ``compare`` rank rows by it (a median's (n, K) terms:
    their mean over K)."""
    if isinstance(found, Binned):
        return found.terms
    return found if found.ndim == 1 else found.mean(axis=1)


class NonFiniteTerms(DataError):
    """A loss gave NaN or ±inf (``position``: the first such row of the chunk, from 0, named in the
    message by its row number in the file; None when only the sum overflows). The evaluation skips a built-in loss
    for it (its inputs were finite, so the numbers are past float64); a plugin's is an error."""

    def __init__(self, message: str, value: float, position: int | None) -> None:
        super().__init__(message)
        self.value, self.position = value, position


def _check_finite(spec: LossSpec, t: np.ndarray, rows: np.ndarray | None) -> None:
    """A term that is NaN or infinite, or a sum that overflows, is an error naming the loss and the
    row (``rows``: the file's row number of each term; None: they count from 1)."""
    bad = ~np.isfinite(t)
    if not bad.any():
        raise NonFiniteTerms(f"loss '{spec.name}' ({spec.origin}): its sum overflows float64", np.inf, None)
    position = int(np.flatnonzero(bad)[0])
    row = position + 1 if rows is None else int(rows[position])
    raise NonFiniteTerms(f"loss '{spec.name}' ({spec.origin}) gave {t[position]} at row {row} "
                         f"({int(bad.sum())} rows in all); check the loss or its inputs", float(t[position]), position)


def accumulate_groups(spec: LossSpec, inputs: Inputs, params: Mapping[str, Any] | None = None,
                      codes: np.ndarray | None = None, m: int = 1) -> GroupSums | Skip:
    """Sums of ``spec`` per group (``codes[i]`` in 0…m−1 is row i's group), or the skip reason.

    One pass: the per-row terms are computed once and summed per group with ``np.bincount``.
    """
    params = dict(spec.params) if params is None else params
    reason = skip_reason(spec, inputs, params)
    if reason is not None:
        return reason
    return sum_terms(spec, inputs, terms(spec, inputs, params), codes, m, params=params)


def sum_terms(spec: LossSpec, inputs: Inputs, found: Terms, codes: np.ndarray | None = None, m: int = 1,
              rows: np.ndarray | None = None, params: Mapping[str, Any] | None = None,
              counts: np.ndarray | None = None) -> GroupSums:
    """Per-row terms summed per group, weighted, the way ``spec`` reduces them; a term that is
    not finite is a :class:`NonFiniteTerms` naming its row (``rows``: each term's row number in the
    file), found through the sums: finite sums have finite terms. ``params``: those the terms were
    computed with (for ``spec.row_weights``); ``counts``: each group's rows as floats, when the
    caller counted them already (shared by the losses of a chunk, so read, never written)."""
    factor = spec.row_weights(inputs, params) if spec.row_weights is not None and params is not None else None
    w = inputs.w if factor is None else factor if inputs.w is None else inputs.w * factor
    if isinstance(found, Binned):
        return _sum_bins(spec, w, found, codes, m, rows)
    t = row_terms(found)
    wt = t if w is None else w * t

    def per_group(values: np.ndarray | None) -> np.ndarray:
        """Σ per group; ``None`` stands for a vector of ones (no weights): the row counts."""
        if codes is None:
            return np.array([float(len(t)) if values is None else values.sum()])
        if values is None and counts is not None:
            return counts
        return np.bincount(codes, values, minlength=m).astype(np.float64, copy=False)

    with np.errstate(over="ignore", invalid="ignore"):
        total, weight = per_group(wt), per_group(w)
    if not np.isfinite(total).all():
        _check_finite(spec, t, rows)
    if spec.reduction == "max":
        return GroupSums(total, weight, maximum=_group_max(t, w, codes, m))
    if spec.reduction != "class_balanced" or factor is not None:
        return GroupSums(total, weight)
    if inputs.y.ndim == 1:  # binary: class 1 is y, class 0 the rest
        positive, positive_w = per_group(wt * inputs.y), per_group(inputs.y if w is None else w * inputs.y)
        return GroupSums(total, weight, np.column_stack([total - positive, positive]),
                         np.column_stack([weight - positive_w, positive_w]))
    member = inputs.y
    if codes is None and inputs.index is not None:  # sparse labels: each row is in one class, by its index
        k = member.shape[1]
        cw = np.bincount(inputs.index, w, minlength=k).astype(np.float64)
        return GroupSums(total, weight, np.bincount(inputs.index, wt, minlength=k)[None, :], cw[None, :])
    if codes is None:  # one matrix-vector product per statistic
        cw = member.sum(axis=0) if w is None else w @ member
        return GroupSums(total, weight, (wt @ member)[None, :], cw[None, :])
    cs = np.column_stack([per_group(wt * member[:, k]) for k in range(member.shape[1])])
    cw = np.column_stack([per_group(member[:, k] if w is None else w * member[:, k]) for k in range(member.shape[1])])
    return GroupSums(total, weight, cs, cw)


def _group_max(t: np.ndarray, w: np.ndarray | None, codes: np.ndarray | None, m: int) -> np.ndarray:
    """The largest term per group among rows of weight > 0; −inf for a group without one."""
    if w is not None:
        t = np.where(w > 0, t, -np.inf)
    if codes is None:
        return np.array([t.max(initial=-np.inf)])
    out = np.full(m, -np.inf)
    np.maximum.at(out, codes, t)
    return out


def weighted_median(values: np.ndarray, weights: np.ndarray | None, codes: np.ndarray | None = None,
                    m: int = 1) -> np.ndarray:
    r"""The weighted median of ``values`` per group (``codes[i]`` in 0…m−1), as scikit-learn's
    ``median_absolute_error`` takes it: ``_weighted_percentile(·, 50, average=True)``, the
    averaged inverted CDF. Sorted by value within the group, with cumulative weights :math:`C_i`
    and half the group's weight :math:`t = W/2`: the first value whose :math:`C_i \ge t`; when
    :math:`C_i - t \le` machine epsilon (the half falls on it), the mean of it and the next value of
    weight > 0. Without weights it is the ordinary median. ``values`` (n,) or (n, K): (m,) or the
    mean over K of each column's, (m,). NaN for a group without weight. Vectorised: one sort per
    column, no loop over rows or groups."""
    values = values.reshape(len(values), -1)
    n = len(values)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    g = np.zeros(n, dtype=np.intp) if codes is None else np.asarray(codes, dtype=np.intp)
    if n == 0:
        return np.full(m, np.nan)
    ids, sorted_codes = np.arange(m), np.sort(g)
    starts, ends = np.searchsorted(sorted_codes, ids, "left"), np.searchsorted(sorted_codes, ids, "right")
    total = np.bincount(g, w, minlength=m)
    out = np.zeros(m)
    for k in range(values.shape[1]):  # (the columns of a multi-output target: a few)
        order = np.lexsort((values[:, k], g))
        v, sw, sg = values[order, k], w[order], g[order]
        c = np.cumsum(sw)
        before = np.where(starts > 0, c[np.maximum(starts - 1, 0)], 0.0)
        c = c - before[sg]  # the cumulative weight within each row's group
        half = np.where(ends > starts, c[np.maximum(ends - 1, 0)], 0.0) / 2
        below = c < half[sg]  # (False … True within a group: its first ≥ half is at start + the count below)
        at = np.minimum(starts + np.bincount(sg, below, minlength=m).astype(np.intp), np.maximum(ends - 1, 0))
        at = np.minimum(at, n - 1)
        reached = c[at]
        nxt = starts + np.bincount(sg, c <= reached[sg], minlength=m).astype(np.intp)  # the next of weight > 0
        nxt = np.where(nxt < ends, nxt, at)
        nxt = np.minimum(nxt, n - 1)
        on_point = reached - half <= EPS64
        out += np.where(on_point, (v[at] + v[nxt]) / 2, v[at])
    return np.where(total > 0, out / max(values.shape[1], 1), np.nan)


def _sum_bins(spec: LossSpec, w: np.ndarray | None, binned: Binned, codes: np.ndarray | None, m: int,
              rows: np.ndarray | None) -> GroupSums:
    """A binned loss's sums with row weights ``w``: per group, Σw·terms and Σw, and per bin Σw
    (``class_weights``, (m, B)) and Σw·stats (``class_sums``, (m, B·S): the bins' statistics one
    after another)."""
    stats = binned.stats if w is None else binned.stats * w[:, None]
    if not np.isfinite(stats).all() or not np.isfinite(binned.terms).all():
        with np.errstate(invalid="ignore"):  # (inf · 0 is NaN: a row to name all the same)
            named = binned.terms * np.isfinite(stats).all(axis=1)
        _check_finite(spec, named, rows)  # (a NaN statistic: NaN term)
    groups = 1 if codes is None else m
    cell = binned.bins if codes is None else codes * binned.count + binned.bins
    size = groups * binned.count

    def per_cell(values: np.ndarray | None) -> np.ndarray:
        return np.bincount(cell, values, minlength=size).astype(np.float64)

    weights = per_cell(w).reshape(groups, binned.count)
    sums = np.stack([per_cell(stats[:, k]) for k in range(stats.shape[1])], axis=-1).reshape(groups, -1)
    weighted_terms = binned.terms if w is None else w * binned.terms
    if codes is None:
        return GroupSums(np.array([weighted_terms.sum()]), weights.sum(axis=1), sums, weights)
    return GroupSums(np.bincount(codes, weighted_terms, minlength=m).astype(np.float64), weights.sum(axis=1),
                     sums, weights)


def accumulate(spec: LossSpec, inputs: Inputs, params: Mapping[str, Any] | None = None) -> Partial:
    """The :class:`Partial` of ``spec`` over ``inputs`` (one chunk, shard or whole file)."""
    sums = accumulate_groups(spec, inputs, params)
    if isinstance(sums, Skip):
        return Partial(rows=inputs.n, skipped=sums)
    return sums.partial(0, inputs.n)


def group_values(spec: LossSpec, sums: GroupSums, params: Mapping[str, Any] | None = None) -> np.ndarray:
    """The finished loss of every row of ``sums`` (vectorised :meth:`LossSpec.value`, with
    ``params``, else the defaults); NaN where a group has no weight, and for a median (its value
    needs every row: :func:`weighted_median`)."""
    if spec.reduction == "median":
        return np.full(len(sums.weight), np.nan)
    if spec.reduction == "max":
        top = np.full(len(sums.weight), -np.inf) if sums.maximum is None else sums.maximum
        found: Any = np.where(sums.weight > 0, top, np.nan)
        return np.asarray(spec.finish(found)) if spec.finish else found
    with np.errstate(invalid="ignore", divide="ignore"):
        if spec.finish_bins is not None and sums.class_weights is not None and sums.class_sums is not None:
            weights = sums.class_weights
            values = spec.finish_bins(weights, sums.class_sums.reshape(*weights.shape, -1),
                                      spec.params if params is None else params)
            return np.where(weights.sum(axis=-1) > 0, values, np.nan)
        if sums.class_weights is not None and sums.class_sums is not None:
            present = sums.class_weights > 0
            ratio = np.where(present, sums.class_sums / np.where(present, sums.class_weights, 1.0), 0.0)
            mean = ratio.sum(axis=-1) / present.sum(axis=-1)
        else:
            mean = sums.weighted_sum / sums.weight
    return np.asarray(spec.finish(mean)) if spec.finish else mean
