"""The mergeable state of an evaluation: what ``eval --state FILE`` saves and ``losscli merge`` adds up.

Everything in it is a sum (or a top-N list, a maximum, or a set of such per group), so chunks of
a file, shards of a data set on other machines and Dask tasks merge by addition (maxima by max)
into exactly the state of one run over all the rows. The JSON form is small and versioned; floats
keep full precision. The one exception is a median's rows (:class:`Kept`): one run keeps them in
memory, and they never go into a state file.

Identity: a state written by ``eval --state`` is named by an id derived from its content (the
sources' file names and each pair's rows and order-free fingerprint), and a merged state lists the
ids of every state in it, so ``losscli merge`` can refuse to count the same rows twice (the same
file given twice, or the same shard evaluated twice). Version 1 files have no ids; their id is
derived from their content when they are read, so they merge as before and duplicates are found.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .classes import Hold, hold_from_dict
from .errors import DataError
from .groups import EMPTY, MISSING_GROUP, GroupTable
from .pairing import Pair
from .per_class import ClassTable
from .row_counts import RowCount, added
from .sums import GroupSums, Partial, Skip

FORMAT = "losscli-state"
VERSION = 4  # 4: the group of empty cells as "" (3: "(missing)"), warnings about rows counted; 3: typed parameters,
READS = (1, 2, 3, 4)  # skip reasons as {message, count}; the versions this losscli reads (1: before ids)
MASK64 = (1 << 64) - 1
SETTINGS_BEFORE = {"per_class": False}  # settings added since version 3 began, as a state without them was made


NOT_KEPT = ("a median needs every row at once, and --state, merge and --engine dask keep only sums: "
            "evaluate all the rows in one run (a quoted glob of shards is one run)")


@dataclass
class Kept:
    """A median's rows in one run (reduction ``"median"``): each row's terms (n,) or (n, K), its
    weight (with ``--weight``) and its ``--group-by`` group (codes of the pair's
    :class:`~losscli.groups.GroupTable`, which only appends values). 8 bytes a row per term column,
    plus 8 with weights and 8 with groups: memory grows with the rows, which is why medians are
    opt-in and why states (files, Dask tasks) never carry them."""

    values: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    groups: list[np.ndarray] = field(default_factory=list)

    def add(self, terms: np.ndarray, w: np.ndarray | None, groups: np.ndarray | None) -> None:
        self.values.append(terms)
        if w is not None:
            self.weights.append(w)
        if groups is not None:
            self.groups.append(groups)

    def median(self, groups: int | None = None) -> np.ndarray:
        """The weighted median over every row kept (one value), or per group (``groups`` of them)."""
        from .registry import weighted_median

        values = np.concatenate(self.values) if self.values else np.zeros(0)
        weights = np.concatenate(self.weights) if self.weights else None
        if groups is None:
            return weighted_median(values, weights)
        return weighted_median(values, weights, np.concatenate(self.groups) if self.groups else None, groups)


@dataclass
class LossState:
    """One loss of one pair: its partial sums and bootstrap group sums (its ``--group-by`` sums are
    the pair's :class:`~losscli.groups.GroupTable`); a median's rows in one run (``kept``: None
    where only sums are wanted, and so in every merged state)."""

    params: dict[str, Any]
    partial: Partial = field(default_factory=Partial)
    boot: GroupSums | None = None
    kept: Kept | None = None

    def merge(self, other: LossState) -> LossState:
        boot = other.boot if self.boot is None else self.boot if other.boot is None else self.boot + other.boot
        return LossState(self.params, self.partial + other.partial, boot)


@dataclass
class PairState:
    """One label/prediction pair: how it was read, and the state of each of its losses."""

    pair: Pair
    task: str
    kind: str
    classes: list[str] | None
    positive: str | None
    weight: str | None
    losses: dict[str, LossState]
    not_applicable: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    dropped: int = 0
    worst: list[dict[str, Any]] = field(default_factory=list)  # candidates, each with its "contribution"
    groups: GroupTable = field(default_factory=GroupTable)  # --group-by: every loss's sums per group
    fingerprint: int = 0  # order-free sum of row hashes, mod 2^64
    evidence: list[str] = field(default_factory=list)
    boot_groups: int = 0
    by_class: ClassTable | None = None  # --per-class: each loss's sums per true class, the confusion matrix
    first_hold: dict[str, Any] | None = None  # a plan on doubtful first rows: the later rows' hold (first_hold)
    crossed: RowCount | None = None  # quantile predictions that cross (see losscli.row_counts)
    off_sum: RowCount | None = None  # K-class probability rows that do not sum to 1

    @property
    def plan(self) -> tuple[Any, ...]:
        """What must agree for two states of this pair to merge."""
        return (self.pair.true, self.pair.pred, self.task, self.kind, self.classes, self.positive, self.weight,
                list(self.losses), [ls.params for ls in self.losses.values()], self.boot_groups)

    def differences(self, other: PairState) -> str:
        """What differs between two plans of this pair, in words (a long list of classes cut short)."""
        names = ("label columns", "prediction columns", "task", "predictions", "classes", "positive class", "weight",
                 "losses", "parameters", "bootstrap groups")
        return "; ".join(f"{what} {_short(a)} / {_short(b)}" for what, a, b in zip(names, self.plan, other.plan)
                         if a != b)

    def merge(self, other: PairState, worst: int) -> PairState:
        return PairState(
            self.pair, self.task, self.kind, self.classes, self.positive, self.weight,
            {name: ls.merge(other.losses[name]) for name, ls in self.losses.items()},
            {**self.not_applicable, **other.not_applicable}, self.rows + other.rows, self.dropped + other.dropped,
            top_rows(self.worst + other.worst, worst), self.groups.merge(other.groups),
            (self.fingerprint + other.fingerprint) & MASK64,
            self.evidence, self.boot_groups,
            None if self.by_class is None or other.by_class is None else self.by_class.merge(other.by_class),
            crossed=added(self.crossed, other.crossed), off_sum=added(self.off_sum, other.off_sum),
        )


def top_rows(candidates: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The ``count`` largest contributions, largest first; ties by source and row."""
    return sorted(candidates, key=lambda c: (-c["contribution"], c.get("file", ""), c["row"]))[:count]


@dataclass
class State:
    """An evaluation in progress (or finished): the sources read, the rows, and every pair's state."""

    sources: list[str]
    labels: str | None
    rows: int
    pairs: dict[str, PairState]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # of the states merged into this one; empty for one run
    on: str | None = None  # with a labels file: the join key (None: row by row)
    joined: str | None = None  # with a labels file: how it was joined, said in the report
    id_column: str | None = None  # the file's id column, shown beside --worst rows and --per-row terms
    # what each pair's first rows decided, held over the shards of --engine dask and merge (checked once merged)
    held: dict[str, Hold] = field(default_factory=dict)

    def content_id(self) -> str:
        """16 hex digits of SHA-256 over the sources' file names and each pair's rows and fingerprint."""
        names = ",".join(os.path.basename(str(source)) for source in self.sources)
        pairs = [f"{name}:{pair.rows}:{pair.fingerprint:016x}" for name, pair in sorted(self.pairs.items())]
        return hashlib.sha256("|".join([names, *pairs]).encode()).hexdigest()[:16]

    def identity(self) -> list[str]:
        """The ids of the runs this state holds: its own content id, or those of the states merged."""
        return self.ids or [self.content_id()]

    def merge(self, other: State, where: str = "") -> State:
        if self.settings != other.settings:
            changed = [k for k in {**self.settings, **other.settings} if self.settings.get(k) != other.settings.get(k)]
            raise DataError(f"{where}states were made with different settings ({', '.join(changed)}); "
                            "run every shard with the same options")
        if set(self.pairs) != set(other.pairs):
            raise DataError(f"{where}states have different pairs ({', '.join(self.pairs)} / {', '.join(other.pairs)})")
        for name, pair in self.pairs.items():
            if pair.plan != other.pairs[name].plan:
                raise DataError(f"{where}pair '{name}' was read differently ({pair.differences(other.pairs[name])}); "
                                "pass --task, --predictions, --positive, --loss or --param so every shard is read "
                                "alike")
        worst = int(self.settings.get("worst") or 0)
        notes = self.notes + [n for n in other.notes if n not in self.notes]
        held = {name: hold.merge(other.held[name]) if name in other.held else hold for name, hold in self.held.items()}
        return State(self.sources + other.sources, self.labels, self.rows + other.rows,
                     {name: pair.merge(other.pairs[name], worst) for name, pair in self.pairs.items()},
                     self.settings, notes, self.identity() + other.identity(), self.on, self.joined,
                     held={**other.held, **held})

    def check(self) -> None:
        """A state read from a file holds what an evaluation could have made: counts that are
        whole and not negative, sums that are finite numbers of the right shape, at most GROUPS
        bootstrap groups and MAX_RESAMPLES resamples (sizes read from a file never size memory
        unchecked). Raises ValueError naming what is wrong."""
        from .bootstrap import GROUPS

        resamples = self.settings.get("bootstrap", 0)
        if not isinstance(resamples, int) or not 0 <= resamples <= MAX_RESAMPLES:
            raise ValueError(f"bootstrap resamples {resamples!r}: expected a count up to {MAX_RESAMPLES}")
        _check_settings(self.settings)
        _texts(self.notes, "notes")
        _count(self.rows, "rows")
        for name, pair in self.pairs.items():
            _check_pair_reading(pair, f"pair '{name}'")
            _count(pair.rows, f"pair '{name}': rows")
            _count(pair.dropped, f"pair '{name}': rows dropped")
            _check_worst(pair.worst, f"pair '{name}': worst rows")
            if not 0 <= _count(pair.boot_groups, f"pair '{name}': bootstrap groups") <= GROUPS:
                raise ValueError(f"pair '{name}': {pair.boot_groups} bootstrap groups; at most {GROUPS}")
            classes = len(pair.classes) if pair.classes else None
            _counts(pair.groups.rows, f"pair '{name}': group rows")
            _check_groups(pair, f"pair '{name}'")
            for loss, ls in pair.losses.items():
                what = f"pair '{name}', {loss}"
                _check_params(loss, pair.task, ls.params, what)
                _check_partial(ls.partial, _per_class_shapes(loss, pair.task, ls.params, classes), what)
                keeps_max = _keeps_maximum(loss, pair.task)
                _check_maximum(ls.partial.maximum, keeps_max, ls.partial.skipped is not None, what)
                grouped = pair.groups.sums.get(loss)
                if grouped is not None:
                    shape = (pair.groups.size,)
                    for values in (grouped.weighted_sum, grouped.weight, grouped.class_sums, grouped.class_weights):
                        _finite(values, f"{what}: group sums", shape)
                    _check_maxima(grouped.maximum, keeps_max, shape, f"{what}: group maxima")
                    if (grouped.weight < 0).any():
                        raise ValueError(f"pair '{name}', {loss}: a group's weight is negative")
                    _adds_up(grouped, ls.partial, f"{what}: the group sums")
                    if grouped.maximum is not None and ls.partial.maximum is not None and pair.groups.size \
                            and grouped.maximum.max() != ls.partial.maximum:
                        raise ValueError(f"{what}: the largest group maximum {grouped.maximum.max()!r} is not the "
                                         f"loss's {ls.partial.maximum!r}")
                by_class = None if pair.by_class is None else pair.by_class.sums.get(loss)
                if by_class is not None:  # (its rows by true class: binary, sparse and multiclass tasks)
                    _adds_up(by_class, ls.partial, f"{what}: the sums by class")
                if ls.boot is not None:
                    for sums in (ls.boot.weighted_sum, ls.boot.weight, ls.boot.class_sums, ls.boot.class_weights):
                        _finite(sums, f"{what}: bootstrap sums", (pair.boot_groups,))
                    _check_maxima(ls.boot.maximum, keeps_max, (pair.boot_groups,), f"{what}: bootstrap maxima")
                    weights = ls.boot.weight if ls.boot.class_weights is None else ls.boot.class_weights
                    if (ls.boot.weight < 0).any() or (weights < 0).any():
                        raise ValueError(f"{what}: a bootstrap group's weight is negative")
                    _adds_up(ls.boot, ls.partial, f"{what}: the bootstrap sums")

    # ---------------------------------------------------------------------------------------
    # JSON

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, "ids": self.identity(), "sources": self.sources,
                           "labels": self.labels,
                           "rows": self.rows, "settings": self.settings, "notes": self.notes,
                           "on": self.on, "joined": self.joined,
                           "pairs": [_pair_to_dict(p) for p in self.pairs.values()],
                           "held": {name: hold.to_dict() for name, hold in self.held.items()}}) + "\n"

    @classmethod
    def from_json(cls, text: str, path: str) -> State:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}: not a state file (JSON error at line {error.lineno}: {error.msg})") from None
        except RecursionError:
            raise DataError(f"{path}: not a state file (JSON nested too deep)") from None
        except ValueError as error:  # (an integer of more digits than Python converts)
            raise DataError(f"{path}: not a state file ({error})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataError(f"{path}: not a losscli state file; make one with `losscli eval … --state {path}`")
        if data.get("version") not in READS:
            raise DataError(f"{path}: state version {data.get('version')} is not one of "
                            f"{', '.join(map(str, READS))}; make it again with this losscli")
        try:
            pairs = [_pair_from_dict(p, data["version"]) for p in data["pairs"]]
            ids = [str(i) for i in data["ids"]] if data["version"] >= 2 else []  # version 1: derived from content
            state = cls(list(data["sources"]), data["labels"], _count(data["rows"], "rows"),
                        {p.pair.name: p for p in pairs}, {**SETTINGS_BEFORE, **data["settings"]},
                        list(data.get("notes", [])), ids, data.get("on"), data.get("joined"),
                        held={str(name): hold_from_dict(d) for name, d in (data.get("held") or {}).items()})
            state.check()
            return state
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise DataError(f"{path}: a damaged state file ({type(error).__name__}: {error})") from None


MAX_RESAMPLES = 100_000  # bootstrap resamples a state may ask for


def _texts(values: Any, what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what}: expected a list of text, not {_short(values)}")


def _check_settings(settings: dict[str, Any]) -> None:
    """The settings a state was made with hold what the options could: a seed in 0…2^64−1, a
    confidence level in (0, 1) or none, parameters by loss, a count of worst rows, names or none."""
    seed, ci, params, worst = settings.get("seed", 0), settings.get("ci"), settings.get("params") or {}, \
        settings.get("worst") or 0
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << 64:
        raise ValueError(f"settings: seed {_short(seed)}: expected a whole number in 0…2^64−1")
    if ci is not None and (isinstance(ci, bool) or not isinstance(ci, (int, float)) or not 0 < ci < 1):
        raise ValueError(f"settings: ci {_short(ci)}: expected a level between 0 and 1")
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ValueError(f"settings: params {_short(params)}: expected parameters by loss")
    _count(worst, "settings: worst")
    for key in ("group_by", "weight"):
        if settings.get(key) is not None and not isinstance(settings[key], str):
            raise ValueError(f"settings: {key} {_short(settings[key])}: expected a column name")


def _check_pair_reading(pair: PairState, what: str) -> None:
    """How a pair was read: its task and kind as text, its quantile levels numbers in (0, 1), the
    losses not applicable each with its reason."""
    if not isinstance(pair.pair.name, str) or not all(isinstance(c, str) for c in [*pair.pair.true, *pair.pair.pred]):
        raise ValueError(f"{what}: its name and columns {_short(pair.pair.name)}: expected text")
    if not isinstance(pair.task, str) or not isinstance(pair.kind, str):
        raise ValueError(f"{what}: task {_short(pair.task)} and predictions {_short(pair.kind)}: expected text")
    levels = pair.pair.quantiles
    if levels is not None and (not isinstance(levels, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1 for v in levels)):
        raise ValueError(f"{what}: quantile levels {_short(levels)}: expected numbers between 0 and 1")
    if not isinstance(pair.not_applicable, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in pair.not_applicable.items()):
        raise ValueError(f"{what}: losses not applicable {_short(pair.not_applicable)}: expected reasons by loss")
    _texts(pair.evidence, f"{what}: evidence")


def _short(value: Any) -> str:
    """A plan's value for a message: a list of more than 8 items cut short."""
    if isinstance(value, list) and len(value) > 8:
        return f"[{', '.join(map(str, value[:8]))}, … {len(value)} in all]"
    return str(value)


MAX_COUNT = 1 << 53  # rows: a count float64 sums hold exactly (more would be no file)


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{what} {value!r}: expected a whole number from 0 to 2^53")
    return value


def _adds_up(sums: GroupSums, partial: Partial, what: str) -> None:
    """Sums over a partition of the rows (groups, bootstrap groups) that add up to the whole's, as
    an evaluation makes them (to rounding): an edited or damaged number does not."""
    for parts, whole in ((sums.weighted_sum, partial.weighted_sum), (sums.weight, partial.weight)):
        scale = float(np.abs(parts).sum()) + abs(whole)
        if abs(float(parts.sum()) - whole) > 1e-9 * scale:
            raise ValueError(f"{what} do not add up to the loss's ({float(parts.sum())!r} against {whole!r})")


def _check_worst(rows: Any, what: str) -> None:
    """``--worst`` candidates: each a mapping with its row (a count) and a finite contribution."""
    if not isinstance(rows, list):
        raise ValueError(f"{what}: expected a list")
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("contribution"), (int, float)) \
                or not np.isfinite(row["contribution"]):
            raise ValueError(f"{what}: {row!r} is not a row with its contribution")
        _count(row.get("row"), f"{what}: row")


def _check_params(loss: str, task: str, params: Any, what: str) -> None:
    """A loss's parameters as ``--param`` takes them: a mapping of its own keys, numbers finite and
    within its ranges (a state's ``bins: inf`` crashed ``merge``)."""
    from . import registry

    if not isinstance(params, dict):
        raise ValueError(f"{what}: parameters {params!r}")
    spec = registry.lookup(loss, task)
    for key, value in params.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and not np.isfinite(value):
            raise ValueError(f"{what}: parameter {key}={value!r}")
        allowed = None if spec is None else spec.ranges.get(key)
        if number and allowed is not None and value not in allowed:
            raise ValueError(f"{what}: parameter {key}={value!r}, which must be {allowed}")


def _counts(values: np.ndarray, what: str) -> None:
    if (values < 0).any():
        raise ValueError(f"{what}: a count below 0")


def _finite(values: np.ndarray | None, what: str, shape: tuple[int, ...] | None = None) -> None:
    if values is None:
        return
    if shape is not None and values.shape[:len(shape)] != shape:
        raise ValueError(f"{what}: shape {values.shape}, expected {shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{what}: not finite numbers")


def _keeps_maximum(loss: str, task: str) -> bool | None:
    """Whether ``loss`` keeps a maximum (the ``max`` reduction); None when it is not registered here
    (``merge`` then asks for its plugin)."""
    from . import registry

    spec = registry.lookup(loss, task)
    return None if spec is None else spec.reduction == "max"


def _check_maximum(value: float | None, keeps: bool | None, skipped: bool, what: str) -> None:
    """A maximum where the loss keeps one (it may lack one once skipped), none where it does not;
    a number or −inf (no row of weight > 0), never NaN or +inf."""
    if value is None:
        if keeps and not skipped:
            raise ValueError(f"{what}: no maximum, which this loss keeps")
        return
    if keeps is False:
        raise ValueError(f"{what}: a maximum, which this loss does not keep")
    if np.isnan(value) or np.isposinf(value):
        raise ValueError(f"{what}: maximum {value!r}")


def _check_maxima(values: np.ndarray | None, keeps: bool | None, shape: tuple[int, ...], what: str) -> None:
    """Per-group (or per bootstrap group) maxima: there exactly when the loss keeps them, of
    ``shape``, numbers or −inf."""
    if values is None:
        if keeps:
            raise ValueError(f"{what}: missing")
        return
    if keeps is False:
        raise ValueError(f"{what}: this loss keeps none")
    if values.shape != shape or np.isnan(values).any() or np.isposinf(values).any():
        raise ValueError(f"{what}: shape {values.shape}, expected {shape} numbers or -inf")


def _per_class_shapes(loss: str, task: str, params: dict[str, Any],
                      classes: int | None) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The shapes of a loss's per-class (or per-bin) sums and weights: one per class, or a binned
    loss's bins times its statistics and its bins; None when not known here."""
    from . import registry

    spec = registry.lookup(loss, task)
    if spec is not None and spec.bin_shape is not None:
        try:
            bins, stats = spec.bin_shape({**spec.params, **params})
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{loss}: parameters {params!r} do not fit it") from None
        return (bins * stats,), (bins,)
    return None if classes is None else ((classes,), (classes,))


def _check_partial(partial: Partial, shapes: tuple[tuple[int, ...], tuple[int, ...]] | None, what: str) -> None:
    """Finite sums, a weight ≥ 0, whole rows ≥ 0, per-class (or per-bin) sums of the ``shapes``
    they must have."""
    _count(partial.rows, f"{what}: rows")
    if not (np.isfinite(partial.weighted_sum) and np.isfinite(partial.weight)) or partial.weight < 0 \
            or (partial.weight == 0 and partial.weighted_sum != 0):  # (no weight, no weighted sum)
        raise ValueError(f"{what}: sums {partial.weighted_sum!r}, weight {partial.weight!r}")
    for k, sums in enumerate((partial.class_sums, partial.class_weights)):
        _finite(sums, f"{what}: class sums", shapes[k] if shapes is not None and sums is not None else None)


def _array(values: np.ndarray | None) -> list[Any] | None:
    return None if values is None else np.asarray(values).tolist()


def _partial_to_dict(p: Partial) -> dict[str, Any]:
    out = {"weighted_sum": p.weighted_sum, "weight": p.weight, "rows": p.rows,
           "class_sums": _array(p.class_sums), "class_weights": _array(p.class_weights),
           "skipped": None if p.skipped is None else {"message": p.skipped.message, "count": p.skipped.count}}
    if p.maximum is not None:  # (a loss with the max reduction: null for −inf, no row yet)
        out["maximum"] = None if np.isneginf(p.maximum) else p.maximum
    return out


def _partial_from_dict(d: dict[str, Any]) -> Partial:
    arr = lambda v: None if v is None else np.asarray(v, dtype=np.float64)  # noqa: E731
    skipped = d["skipped"]  # (versions 1 and 2: the reason's text)
    reason = Skip(skipped) if isinstance(skipped, str) else None if skipped is None else \
        Skip(str(skipped["message"]), None if skipped["count"] is None else int(skipped["count"]))
    maximum = None if "maximum" not in d else -np.inf if d["maximum"] is None else float(d["maximum"])
    return Partial(float(d["weighted_sum"]), float(d["weight"]), _count(d["rows"], "rows"), arr(d["class_sums"]),
                   arr(d["class_weights"]), reason, maximum)


def _pair_to_dict(p: PairState) -> dict[str, Any]:
    return {
        "pair": {"name": p.pair.name, "true": p.pair.true, "pred": p.pair.pred, "classes": p.pair.classes,
                 "how": p.pair.how, "model": p.pair.model, "quantiles": p.pair.quantiles, "variance": p.pair.variance,
                 "std": p.pair.std},
        "task": p.task, "kind": p.kind, "classes": p.classes, "positive": p.positive, "weight": p.weight,
        "losses": {name: {"params": ls.params, "partial": _partial_to_dict(ls.partial),
                          "boot": None if ls.boot is None else ls.boot.to_json(),
                          "groups": _groups_to_dict(p.groups, name)}
                   for name, ls in p.losses.items()},
        "not_applicable": p.not_applicable, "rows": p.rows, "dropped": p.dropped, "worst": p.worst,
        "group_rows": {name: rows for name, rows in zip(p.groups.names, p.groups.rows.tolist()) if rows},
        "fingerprint": str(p.fingerprint),
        "evidence": p.evidence,
        "boot_groups": p.boot_groups,
        "by_class": None if p.by_class is None else p.by_class.to_dict(),
        "crossed": None if p.crossed is None else p.crossed.to_dict(),
        "off_sum": None if p.off_sum is None else p.off_sum.to_dict(),
    }


def _pair_from_dict(d: dict[str, Any], version: int) -> PairState:
    pair = Pair(**d["pair"])
    losses = {name: LossState(v["params"], _partial_from_dict(v["partial"]),
                              None if v["boot"] is None else GroupSums.from_json(v["boot"]))
              for name, v in d["losses"].items()}

    def group(name: Any) -> str:  # (versions 1–3 named the group of empty cells as reports show it)
        if version < 4 and name == EMPTY:
            raise ValueError(f"a group named {EMPTY!r} in a state of version {version}")
        return EMPTY if version < 4 and name == MISSING_GROUP else str(name)

    rows = {group(k): _count(v, f"group {k!r}: rows") for k, v in d["group_rows"].items()}
    groups = GroupTable.from_partials(rows, {name: {group(g): _partial_from_dict(x) for g, x in v["groups"].items()}
                                             for name, v in d["losses"].items()})
    by_class = d.get("by_class")  # (states before --per-class have none)
    return PairState(pair, d["task"], d["kind"], d["classes"], d["positive"], d["weight"], losses,
                     d["not_applicable"], _count(d["rows"], "rows"), _count(d["dropped"], "rows dropped"),
                     list(d["worst"]), groups, int(d["fingerprint"]), list(d["evidence"]),
                     _count(d["boot_groups"], "bootstrap groups"),
                     None if by_class is None else ClassTable.from_dict(by_class),
                     crossed=_row_count(d.get("crossed"), "crossed", d["rows"]),  # (earlier versions: none)
                     off_sum=_row_count(d.get("off_sum"), "off_sum", d["rows"]))


def _check_groups(pair: PairState, what: str) -> None:
    """Group names as a run writes them (stripped: " a" is the group "a"), their rows adding up to
    the pair's; row counts of warnings only for pairs that can have them."""
    table = pair.groups
    if table.size and int(table.rows.sum()) != pair.rows:
        raise ValueError(f"{what}: the groups' rows add up to {int(table.rows.sum())}, not the pair's {pair.rows}")
    if any(name != name.strip() for name in table.names):
        raise ValueError(f"{what}: a group name with spaces around it, which a run strips")
    if pair.crossed is not None and pair.kind != "quantiles":
        raise ValueError(f"{what}: crossing quantiles counted for predictions of kind {pair.kind!r}")
    if pair.off_sum is not None and not (pair.kind == "probability" and pair.task in ("multiclass", "sparse")):
        raise ValueError(f"{what}: rows that do not sum to 1 counted for a {pair.task} pair of {pair.kind}")


def _row_count(d: Any, what: str, rows: int) -> RowCount | None:
    """A :class:`RowCount` from a state file (None for none), checked: from 1 to the pair's rows, a
    row number, a finite value (or null) and a file name (or null)."""
    if d is None:
        return None
    count, value, file = _count(d["count"], f"{what}: rows"), d["value"], d["file"]
    if not 1 <= count <= rows:
        raise ValueError(f"{what}: {count} rows of the pair's {rows}")
    number = isinstance(value, float | int) and not isinstance(value, bool) and math.isfinite(value)
    if not (value is None or number) or not (file is None or isinstance(file, str)):
        raise ValueError(f"{what}: value {value!r} and file {file!r}: expected a number (or null) and a name (or null)")
    return RowCount(count, _count(d["row"], f"{what}: row"), math.nan if value is None else float(value), file)


def _groups_to_dict(groups: GroupTable, loss: str) -> dict[str, Any]:
    """One loss's sums per group, as a state file holds them: a :class:`Partial` per group value."""
    sums = groups.loss_sums(loss)
    if sums is None:
        return {}
    return {name: _partial_to_dict(sums.partial(g, int(groups.rows[g]))) for g, name in enumerate(groups.names)
            if groups.rows[g]}
