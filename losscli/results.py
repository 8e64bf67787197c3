"""The report, typed: :class:`Report` holds :class:`Result` per pair (and per group) and :class:`Gate`
verdicts. ``eval``, ``compare`` and ``merge`` build one; the formats render it; :meth:`Report.to_dict`
is the JSON that ``--format json`` prints and ``losscli.evaluate`` returns (keys as docs/reference.md
documents them), and :meth:`Report.from_dict` reads one back (a ``--baseline``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import __version__


@dataclass
class Result:
    """One pair's losses over its rows, or over one ``--group-by`` group's (``group`` set).

    A ``compare`` result also has ``base`` (BASE's losses), ``diff`` (NEW − BASE) and ``p_value``;
    its ``losses`` are NEW's and its ``ci`` the interval of the difference.
    """

    pair: str
    true: list[str]
    pred: list[str]
    task: str
    predictions: str
    n: int
    losses: dict[str, float | None]
    weight: str | None = None
    group: str | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    ci: dict[str, list[float] | None] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    classes: list[str] | None = None
    positive: str | None = None
    dropped: int = 0
    model: str | None = None
    decisions: dict[str, Any] | None = None  # eval: how the pair was found, and the evidence of its task
    worst: list[dict[str, Any]] | None = None  # eval --worst: the rows that add most to the main loss
    calibration: dict[str, Any] | None = None  # eval with ece or mce: the reliability table (losses/calibration.py)
    per_class: list[dict[str, Any]] | None = None  # eval --per-class: a row per true class (per_class.py)
    confusion: dict[str, Any] | None = None  # eval --per-class: the confusion matrix
    signature: str | None = None  # eval: this pair's own (None for a group)
    quantiles: dict[str, Any] | None = None  # a quantile set: its levels, columns and interval (eval)
    variance: dict[str, Any] | None = None  # a Gaussian prediction: its mean and variance columns (eval)
    base: dict[str, float | None] | None = None  # compare
    diff: dict[str, float] | None = None  # compare
    p_value: dict[str, float] | None = None  # compare
    p_holm: dict[str, float] | None = None  # compare of several models: p_value adjusted (Holm) over them
    agreement: dict[str, Any] | None = None  # compare: rows better/worse/same on the main loss; class fixed/broken

    @property
    def is_comparison(self) -> bool:
        return self.diff is not None

    def of_group(self, group: str, n: int, losses: dict[str, float | None]) -> Result:
        """This result's shape for one ``--group-by`` group's rows: its own ``n`` and losses, and no
        interval, worst rows, calibration, per-class rows or signature. (Its fields copied at once,
        not ``dataclasses.replace``, which checks each: 0.24 s against 1.06 s for 100k groups.)"""
        found = Result.__new__(Result)
        found.__dict__.update(self.__dict__, group=group, n=n, losses=losses, ci={}, signature=None, worst=None,
                              calibration=None, per_class=None, confusion=None)
        return found

    def to_dict(self) -> dict[str, Any]:
        head = {"pair": self.pair, "true": self.true, "pred": self.pred, "task": self.task,
                "predictions": self.predictions, "n": self.n, "weight": self.weight, "group": self.group,
                "losses": self.losses}
        if self.is_comparison:
            out = {**head, "base": self.base, "diff": self.diff, "ci": self.ci, "p_value": self.p_value,
                   "params": self.params, "skipped": self.skipped, "classes": self.classes,
                   "positive": self.positive, "dropped": self.dropped, "agreement": self.agreement}
            if self.model is not None:  # several models of one file, each against the baseline model
                out.update(model=self.model, p_holm=self.p_holm)
            if self.worst is not None:  # --worst: the rows whose main loss changed most
                out["worst"] = self.worst
            return out
        out = {**head, "params": self.params, "ci": self.ci, "skipped": self.skipped, "classes": self.classes,
               "positive": self.positive, "model": self.model, "dropped": self.dropped, "decisions": self.decisions}
        if self.worst is not None:
            out["worst"] = self.worst
        if self.calibration is not None:
            out["calibration"] = self.calibration
        if self.per_class is not None:
            out.update(per_class=self.per_class, confusion=self.confusion)
        if self.quantiles is not None:
            out["quantiles"] = self.quantiles
        if self.variance is not None:
            out["variance"] = self.variance
        out["signature"] = self.signature
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Result:
        """A result as a saved report holds it (keys a report of an older losscli may lack default)."""
        return cls(pair=str(d["pair"]), true=list(d.get("true") or []), pred=list(d.get("pred") or []),
                   task=str(d["task"]), predictions=str(d.get("predictions")), n=int(d.get("n") or 0),
                   losses=dict(d["losses"]), weight=d.get("weight"), group=d.get("group"),
                   params=dict(d.get("params") or {}), ci=dict(d.get("ci") or {}), skipped=dict(d.get("skipped") or {}),
                   classes=d.get("classes"), positive=d.get("positive"), dropped=int(d.get("dropped") or 0),
                   model=d.get("model"), decisions=d.get("decisions"), worst=d.get("worst"),
                   calibration=d.get("calibration"), per_class=d.get("per_class"), confusion=d.get("confusion"),
                   signature=d.get("signature"), quantiles=d.get("quantiles"), variance=d.get("variance"),
                   base=d.get("base"), diff=d.get("diff"), p_value=d.get("p_value"),
                   p_holm=d.get("p_holm"), agreement=d.get("agreement"))


@dataclass
class GroupResults:
    """One pair's ``--group-by`` results, held by column: 100k groups are a list of 100k values per
    loss, not 100k objects. Group ``k`` is ``names[k]`` (sorted), with ``rows[k]`` rows and
    ``losses[loss][k]`` (None where the group has no value). Its :class:`Result` (``self[k]``) is
    ``overall``'s shape with its own ``group``, ``n`` and ``losses``."""

    overall: Result
    names: list[str]
    rows: list[int]
    losses: dict[str, list[float | None]]

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, k: int) -> Result:
        return self.overall.of_group(self.names[k], self.rows[k],
                                     {name: values[k] for name, values in self.losses.items()})

    def __iter__(self) -> Iterator[Result]:
        return (self[k] for k in range(len(self)))


@dataclass
class Gate:
    """One gate's verdict on one pair: ``value`` against ``max`` (from ``source``: --max, a config
    file, the baseline, --max-increase); ``reason`` when there was no value to judge."""

    pair: str
    loss: str | None
    max: float | None
    value: float | None
    passed: bool
    source: str
    reason: str | None = None
    baseline: float | None = None  # a baseline gate: the baseline's value, and the tolerance over it
    tolerance: str | None = None
    base: float | None = None  # a --max-increase gate: BASE's and NEW's values, the interval of NEW − BASE
    new: float | None = None
    interval: list[float] | None = None
    significant: bool = False
    level: str = "fail"  # "warn" (--warn): a failed verdict is reported, and the run still passes
    scope: str | None = None  # a gate on groups or classes: "site=north", "site=*", "class=*"
    group: str | None = None  # … the group or class judged (of "*": the worst)
    failing: int | None = None  # … of "*": how many are above the max, of how many with a value
    of: int | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Gate:
        return cls(**{name: d[name] for name in cls.__dataclass_fields__ if name in d})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pair": self.pair, "loss": self.loss, "max": self.max, "value": self.value,
                               "passed": self.passed, "source": self.source}
        if self.source == "--max-increase":
            out.update(base=self.base, new=self.new, interval=self.interval, significant=self.significant)
        elif self.source == "--equivalent":
            out.update(base=self.base, new=self.new, interval=self.interval)
        elif self.baseline is not None:
            out.update(baseline=self.baseline, tolerance=self.tolerance)
        if self.scope is not None:
            out.update(scope=self.scope, group=self.group, failing=self.failing, of=self.of)
        if self.level != "fail":
            out["level"] = self.level
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass
class Leaderboard:
    """Several models of one target (the same label columns) side by side: their results ranked by
    ``main``, the first loss every model has a value of (the best first: every loss here is lower
    for a better model). Of ``compare``, the models compared with one ``baseline`` (a file, or a
    model of one file) and the baseline itself, each with its difference to the baseline."""

    target: str
    true: list[str]
    main: str | None
    ranked: list[Result]
    baseline: str | None = None  # compare: the baseline's name (its entry is the one not a comparison)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "true": self.true, "main": self.main}
        if self.baseline is not None:
            out["baseline"] = self.baseline
        models = []
        for i, r in enumerate(self.ranked):
            entry: dict[str, Any] = {"rank": i + 1, "model": r.model, "pair": r.pair, "losses": r.losses}
            if self.baseline is not None:
                entry["baseline"] = not r.is_comparison
                if r.is_comparison:
                    entry.update(diff=r.diff, ci=r.ci, p_value=r.p_value, p_holm=r.p_holm)
            models.append(entry)
        out["models"] = models
        return out


def leaderboards(results: list[Result], baseline: str | None = None) -> list[Leaderboard]:
    """One :class:`Leaderboard` per target that several models predict (results over all rows); of
    a comparison (``baseline`` named), per target with two models or more compared to the baseline."""
    by_target: dict[tuple[str, ...], list[Result]] = {}
    for result in results:
        if result.group is None and result.model is not None and result.is_comparison == (baseline is not None):
            by_target.setdefault(tuple(result.true), []).append(result)
    boards = []
    for true, found in by_target.items():
        if len(found) < 2:
            continue
        target = _target(found[0])
        models = found
        if baseline is not None:  # the baseline ranks with the models compared to it
            first = found[0]
            models = [replace(first, pair=target, model=baseline, losses=dict(first.base or {}), base=None,
                              diff=None, ci={}, p_value=None, p_holm=None, agreement=None, worst=None)] + found
        main = next((name for name in models[0].losses
                     if all(m.losses.get(name) is not None for m in models)), None)
        ranked = models if main is None else sorted(models, key=_by(main))
        boards.append(Leaderboard(target, list(true), main, ranked, baseline))
    return boards


def _by(loss: str) -> Callable[[Result], float]:
    """Results ordered by ``loss`` (a value every one of them has)."""
    return lambda result: float(result.losses[loss] or 0.0)


def _target(result: Result) -> str:
    """The target a model's pair predicts: ``y`` of ``y/lr``."""
    suffix = f"/{result.model}"
    return result.pair[: -len(suffix)] if result.pair.endswith(suffix) else result.pair


@dataclass
class Report:
    """What one run found: its signature, what it read, every result and every gate's verdict."""

    signature: str
    input: dict[str, Any]
    results: list[Result]
    bootstrap: dict[str, Any] | None = None
    gates: list[Gate] = field(default_factory=list)
    baseline: str | None = None  # compare: the baseline's name as a model (a file's, or --baseline-model)
    groups: list[GroupResults] = field(default_factory=list)  # eval --group-by: each pair's, after ``results``

    @property
    def passed(self) -> bool:
        """Every gate passed (a --warn gate that failed is a warning: it does not fail the run)."""
        return all(gate.passed or gate.level == "warn" for gate in self.gates)

    def overall(self) -> list[Result]:
        """The results over all rows (not those of one ``--group-by`` value): what gates judge."""
        return [r for r in self.results if r.group is None]

    def leaderboards(self) -> list[Leaderboard]:
        return leaderboards(self.results, self.baseline)

    def all_results(self) -> Iterator[Result]:
        """Every result, as JSON lists them: ``results``, then each pair's groups."""
        return itertools.chain(self.results, *self.groups)

    def groups_of(self, result: Result) -> GroupResults:
        """The ``--group-by`` results of an overall ``result``'s pair (a saved report read back holds
        them in ``results``)."""
        found = [groups for groups in self.groups if groups.overall.pair == result.pair]
        if found:
            return found[0]
        listed = [r for r in self.results if r.group is not None and r.pair == result.pair]
        return GroupResults(result, [str(r.group) for r in listed], [r.n for r in listed],
                            {name: [r.losses.get(name) for r in listed] for name in result.losses})

    def metrics(self) -> dict[str, dict[str, float]]:
        """Every overall result's losses that have a value, by pair (``y``, ``y/lr`` for one model of
        several): the flat mapping that DVC, MLflow and dashboards read (groups stay in ``results``)."""
        return {r.pair: {name: value for name, value in r.losses.items() if value is not None}
                for r in self.overall()}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"losscli": __version__, "signature": self.signature, "input": self.input,
                               "results": [r.to_dict() for r in self.all_results()], "metrics": self.metrics()}
        boards = self.leaderboards()
        if boards:  # several models of one target (an addition: the results are as they were)
            out["models"] = [board.to_dict() for board in boards]
        # the keys in the order each report has always had them: compare's bootstrap before its gates
        comparison = any(r.is_comparison for r in self.results)
        if self.bootstrap is not None and comparison:
            out["bootstrap"] = self.bootstrap
        out.update(gates=[g.to_dict() for g in self.gates], passed=self.passed)
        if self.bootstrap is not None and not comparison:
            out["bootstrap"] = self.bootstrap
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        return cls(signature=str(d.get("signature") or ""), input=dict(d.get("input") or {}),
                   results=[Result.from_dict(r) for r in d["results"]], bootstrap=d.get("bootstrap"),
                   gates=[Gate.from_dict(g) for g in d.get("gates") or []])
