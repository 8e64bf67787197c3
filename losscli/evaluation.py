"""``eval``: read, pair, infer, compute every applicable loss, and build the report (a dict).

The report is exactly what ``--format json`` prints; renderers only format it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from . import __version__
from . import losses as _builtin_losses  # noqa: F401  (registers the built-in losses)
from . import analysis, registry
from .errors import UsageError
from .bootstrap import Resampler
from .inference import Target, infer
from .pairing import explicit_pairs, find_pairs, no_pairs_message
from .reading import Frame, load


@dataclass(frozen=True)
class EvalOptions:
    """Every option of ``losscli eval`` that changes what is read or computed."""

    labels: Any = None  # a path or a pandas DataFrame
    on: str | None = None
    delimiter: str | None = None
    true: tuple[str, ...] = ()
    pred: tuple[str, ...] = ()
    task: str | None = None
    positive: str | None = None
    predictions: str | None = None
    weight: str | None = None
    losses: tuple[str, ...] = ()
    params: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    dropna: bool = False
    also: tuple[str, ...] = ()  # losses gates need, computed even when --loss leaves them out
    ci: float | None = None  # bootstrap confidence level
    bootstrap: int = 1000
    seed: int = 0
    worst: int = 0  # the N rows contributing most to each pair's main loss
    group_by: str | None = None
    per_row: bool = False  # collect every row's loss terms (Evaluation.per_row, CSV bytes)


@dataclass
class Evaluation:
    report: dict[str, Any]
    targets: list[Target]
    notes: list[str]  # warnings for standard error
    per_row: bytes | None = None  # --per-row: the CSV of every row's loss terms


Computed = list[tuple[str, "registry.LossSpec", dict[str, Any]]]  # (name, spec, params) of computed losses


def parse_param_flags(flags: list[str] | tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``["focal.gamma=3"]`` -> ``{"focal": {"gamma": "3"}}`` (loss names resolved later)."""
    params: dict[str, dict[str, str]] = {}
    for flag in flags:
        name_key, sep, value = flag.partition("=")
        loss_name, dot, key = name_key.partition(".")
        if not sep or not dot or not loss_name or not key:
            raise UsageError(f"--param {flag}: expected LOSS.KEY=VALUE, e.g. --param focal.gamma=3")
        params.setdefault(loss_name.strip(), {})[key.strip()] = value.strip()
    return params


def _canonical_params(given: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Resolve the loss names of ``--param`` and check each key exists (usage errors up front)."""
    out: dict[str, dict[str, str]] = {}
    for name, values in given.items():
        for canonical in registry.resolve(name):
            known = {k: None for spec in registry.specs(canonical) for k in spec.params}
            registry.check_param_keys(canonical, values, known)
            out.setdefault(canonical, {}).update(values)
    return out


def check_bootstrap(options: EvalOptions) -> None:
    if options.ci is not None and not 0 < options.ci < 1:
        raise UsageError(f"--ci {options.ci}: the confidence level is a fraction between 0 and 1, e.g. 0.95")
    if options.bootstrap < 10:
        raise UsageError(f"--bootstrap {options.bootstrap}: use at least 10 resamples (1000 is the default)")


def prepare(options: EvalOptions) -> dict[str, dict[str, str]]:
    """Check every name and number in ``options`` before reading; the --param values by canonical loss."""
    for name in options.losses + options.also:
        registry.resolve(name)  # unknown names fail before any reading
    check_bootstrap(options)
    return _canonical_params(options.params)


def targets_of(frame: Frame, options: EvalOptions) -> tuple[list[Target], list[str]]:
    """The frame's pairs (by name, or --true/--pred), each with its task and inputs; and notes."""
    for column in (options.weight, options.group_by):
        if column is not None:
            frame.column(column)
    notes: list[str] = []
    if options.true or options.pred:
        pairs = explicit_pairs(frame.names, list(options.true), list(options.pred))
    else:
        exclude = {c for c in (options.weight, frame.key, options.group_by) if c}
        pairing = find_pairs(frame.names, exclude=exclude, roles=frame.roles)
        if not pairing.pairs:
            raise UsageError(no_pairs_message(frame.source, frame.names))
        pairs = pairing.pairs
        if pairing.unpaired:
            notes.append(f"{frame.source}: columns not paired, and not evaluated: {', '.join(pairing.unpaired)} "
                         "(pair them with --true COL --pred COL)")
    targets = [infer(frame, pair, task=options.task, predictions=options.predictions,
                     positive=options.positive, weight=options.weight, dropna=options.dropna)
               for pair in pairs]
    notes.extend(f"{target.pair.name}: {warning}" for target in targets for warning in target.warnings)
    return targets, notes


def evaluate(predictions: Any, options: EvalOptions) -> Evaluation:
    """Evaluate a predictions file (or DataFrame) and return the report and its targets."""
    params = prepare(options)
    frame = load(predictions, options.labels, options.on, options.delimiter)
    targets, notes = targets_of(frame, options)
    if options.worst < 0:
        raise UsageError(f"--worst {options.worst}: give a number of rows, e.g. --worst 10")
    results, group_results, per_row = [], [], {}
    for target in targets:
        result, computed = _result(target, options, params)
        results.append(result)
        if options.worst and computed:
            result["worst"] = analysis.worst_rows(target, computed[0][1], computed[0][2], options.worst)
        if options.group_by:
            names, codes = analysis.group_codes(frame, options.group_by, target)
            group_results += analysis.group_results(result, target, computed, names, codes)
        if options.per_row:
            prefix = "" if len(targets) == 1 else f"{target.pair.name}:"
            per_row.update(analysis.per_row_columns(target, computed, frame.n_rows, prefix))
    report = {
        "losscli": __version__,
        "signature": _report_signature(targets, results, options),
        "input": {"predictions": frame.source, "labels": frame.labels_source, "rows": frame.n_rows},
        "results": results + group_results,
        "gates": [],
        "passed": True,
    }
    if options.group_by:
        report["input"]["group_by"] = options.group_by
    if options.ci is not None:
        report["bootstrap"] = {"ci": options.ci, "resamples": options.bootstrap, "seed": options.seed,
                               "method": "percentile; rows dealt into ≤1000 random groups, groups resampled"}
    csv_bytes = analysis.per_row_csv(per_row, frame.n_rows) if options.per_row else None
    return Evaluation(report, targets, notes, csv_bytes)


def _selected(target: Target, requested: tuple[str, ...], also: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """The canonical loss names to compute for ``target``, and those that do not apply.

    ``also`` (losses named by gates) is added to the selection when it applies to the task.
    """
    chosen, not_applicable = _requested(target, requested)
    for name in also:
        canonical = registry.resolve_for_task(name, target.task)
        if canonical is not None and canonical not in chosen:
            chosen.append(canonical)
    return chosen, not_applicable


def _requested(target: Target, requested: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    task, inputs = target.task, target.inputs
    not_applicable: dict[str, str] = {}
    if not requested:
        chosen = []
        for spec in registry.for_task(task):
            if spec.is_default(inputs, spec.params) and (inputs.kind in spec.kinds or inputs.kind != "class"):
                chosen.append(spec.name)
        return chosen, not_applicable
    chosen = []
    for name in requested:
        canonical = registry.resolve_for_task(name, task)
        if canonical is None:
            first = registry.resolve(name)[0]
            tasks = sorted({t for spec in registry.specs(first) for t in spec.tasks})
            not_applicable[first] = f"{first} is not defined for {task} tasks (only {', '.join(tasks)})"
        elif canonical not in chosen:
            chosen.append(canonical)
    return chosen, not_applicable


def _result(target: Target, options: EvalOptions, params: Mapping[str, Mapping[str, str]]) -> tuple[dict[str, Any], Computed]:
    chosen, skipped = _selected(target, options.losses, options.also)
    computed: Computed = []
    losses: dict[str, float | None] = {}
    intervals: dict[str, list[float] | None] = {}
    used_params: dict[str, dict[str, Any]] = {}
    resampler = Resampler.make(target.inputs.n, options.bootstrap, options.seed, options.ci) \
        if options.ci is not None else None
    for name in chosen:
        spec = registry.lookup(name, target.task)
        values = registry.parse_params(spec.params, name, params.get(name, {}))
        if values:
            used_params[name] = dict(values)
        codes, groups = (resampler.codes, resampler.groups) if resampler else (None, 1)
        sums = registry.accumulate_groups(spec, target.inputs, values, codes, groups)
        if isinstance(sums, str):
            skipped[name] = sums
            continue
        losses[name] = spec.value(sums.total(target.inputs.n))
        computed.append((name, spec, values))
        if resampler is not None:
            intervals[name] = resampler.interval(registry.group_values(spec, sums.combine(resampler.counts)))
    result = {
        "pair": target.pair.name,
        "true": target.pair.true,
        "pred": target.pair.pred,
        "task": target.task,
        "predictions": target.kind,
        "n": target.inputs.n,
        "weight": target.weight,
        "group": None,
        "losses": losses,
        "params": used_params,
        "ci": intervals,
        "skipped": skipped,
        "classes": target.classes,
        "positive": target.positive,
        "dropped": target.dropped,
    }
    result["signature"] = _signature([target], [result], options)
    return result, computed


def data_hash(targets: list[Target]) -> str:
    """The first 8 hex digits of a SHA-256 over every number evaluated (labels, predictions, weights)."""
    digest = hashlib.sha256()
    for target in targets:
        for array in (target.inputs.y, target.inputs.pred, target.inputs.w):
            if array is not None:
                digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return digest.hexdigest()[:8]


def _eps(results: list[dict[str, Any]]) -> float | None:
    for result in results:
        for name, values in result["params"].items():
            if "eps" in values and name.endswith("crossentropy"):
                return values["eps"]
    return None


def _signature(targets: list[Target], results: list[dict[str, Any]], options: EvalOptions) -> str:
    """``losscli:V|task:T|pred:K|eps:E|w:W|n:N|data:sha256:H`` — every setting that moves a number."""
    unique = lambda items: "+".join(dict.fromkeys(items))  # noqa: E731
    parts = [f"losscli:{__version__}", f"task:{unique(r['task'] for r in results)}",
             f"pred:{unique(r['predictions'] for r in results)}"]
    eps = _eps(results)
    if eps is not None:
        parts.append(f"eps:{eps:.2g}")
    changed = sorted(f"{loss}.{key}={value}" for loss, values in options.params.items()
                     for key, value in values.items() if key != "eps")
    if changed:
        parts.append("params:" + ",".join(changed))
    if options.ci is not None:
        parts.append(f"ci:{options.ci:g}|boot:{options.bootstrap}|seed:{options.seed}")
    parts += [f"w:{options.weight or 'none'}", f"n:{sum(r['n'] for r in results) if len(results) == 1 else '+'.join(str(r['n']) for r in results)}",
              f"data:sha256:{data_hash(targets)}"]
    return "|".join(parts)


def _report_signature(targets: list[Target], results: list[dict[str, Any]], options: EvalOptions) -> str:
    return results[0]["signature"] if len(results) == 1 else _signature(targets, results, options)
