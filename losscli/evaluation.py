"""``eval``: read, pair, infer, compute every applicable loss, and build the report (a dict).

The input is read as a stream of chunks (and PRED may be a glob of shards, read one after
another). The first chunk decides the pairs, each pair's task, prediction kind and classes; every
chunk then adds its partial sums to a :class:`~losscli.state.State`, so memory is bounded by a
chunk. ``finish`` turns a state (one run's, or the merge of many) into the report, which is exactly
what ``--format json`` prints; renderers only format it. Joins (``--labels``) read whole files.
"""

from __future__ import annotations

import glob as globbing
import hashlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import __version__, analysis, registry
from . import losses as _builtin_losses  # noqa: F401  (registers the built-in losses)
from .bootstrap import GROUPS, interval, resample_counts, row_groups, splitmix64
from .csv_stream import ColumnChoice
from .errors import DataError, UsageError
from .frame import Frame, frame_from_table
from .inference import Target, infer
from .joins import load
from .opening import display_name, is_glob
from .pairing import Pair, explicit_pairs, find_pairs, no_pairs_message, pair_by_values, split_models, unique_names
from .reading import tables
from .registry import Inputs, Partial
from .state import MASK64, LossState, PairState, State, top_rows


@dataclass(frozen=True)
class EvalOptions:
    """Every option of ``losscli eval`` that changes what is read or computed."""

    labels: Any = None  # a path or a pandas DataFrame
    on: str | None = None
    delimiter: str | None = None
    decimal: str | None = None  # the decimal mark of a CSV (None: sniffed)
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
    per_row: str | None = None  # a CSV file for every row's loss terms
    for_merge: bool = False  # the state will be merged with others (--state): no classic bootstrap


@dataclass
class Evaluation:
    report: dict[str, Any]
    state: State
    notes: list[str]  # warnings for standard error
    explain: list[str]  # --explain: how each pair, task and prediction kind was decided


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
        pairing = pair_by_values(frame, find_pairs(frame.names, exclude=exclude, roles=frame.roles))
        if not pairing.pairs:
            raise UsageError(no_pairs_message(frame.source, frame.names))
        pairs = unique_names([model for pair in pairing.pairs for model in split_models(frame, pair)])
        pairs = [_named_as_written(frame, pair) for pair in pairs]
        if pairing.unpaired:
            notes.append(f"{frame.source}: columns not paired, and not evaluated: {', '.join(pairing.unpaired)} "
                         "(pair them with --true COL --pred COL)")
    targets = [infer(frame, pair, task=options.task, predictions=options.predictions,
                     positive=options.positive, weight=options.weight, dropna=options.dropna)
               for pair in pairs]
    notes.extend(f"{target.pair.name}: {warning}" for target in targets for warning in target.warnings)
    return targets, notes


def _named_as_written(frame: Frame, pair: Pair) -> Pair:
    """A column in both files (``Survived``, renamed ``Survived_true``/``Survived_pred`` by the join)
    names its pair as the files write it."""
    if len(pair.true) == 1 and len(pair.pred) == 1:
        written = frame.column(pair.true[0]).written
        if written is not None and written == frame.column(pair.pred[0]).written:
            return replace(pair, name=written, how=f"'{written}' is in both files: {frame.labels_source}'s is the "
                                                   f"label, {frame.source}'s the prediction")
    return pair


def sources(predictions: Any) -> list[Any]:
    """PRED as a list of inputs: a quoted glob of shards becomes its files, sorted."""
    if isinstance(predictions, str) and is_glob(predictions):
        found = sorted(globbing.glob(predictions))
        if not found:
            raise DataError(f"{predictions}: no file matches this pattern")
        return found
    return [predictions]


def frames(predictions: Any, options: EvalOptions, columns: ColumnChoice | None = None) -> Iterator[Frame]:
    """Every chunk of every source, as frames whose row numbers count within their file. Once
    ``columns`` is told which columns the evaluation uses, later CSV pieces hold just those."""
    if options.labels is not None or not isinstance(predictions, str):
        yield load(predictions, options.labels, options.on, options.delimiter, options.decimal)
        return
    if options.on is not None:
        raise UsageError("--on joins a --labels file to the predictions; pass --labels too")
    for source in sources(predictions):
        offset = 0
        with closing(tables(source, options.delimiter, options.decimal)) as chunks:
            if columns is not None and chunks.columns is not None:
                columns.also(chunks.columns)
            for table in chunks:
                yield frame_from_table(table, display_name(source), offset)
                offset += table.num_rows


def evaluate(predictions: Any, options: EvalOptions, progress: Callable[[int], None] | None = None) -> Evaluation:
    """Evaluate a predictions file, glob of shards or DataFrame: the report, the state and notes."""
    params = prepare(options)
    if options.worst < 0:
        raise UsageError(f"--worst {options.worst}: give a number of rows, e.g. --worst 10")
    shards = sources(predictions) if isinstance(predictions, str) else [predictions]
    writer = analysis.PerRowWriter(options.per_row, len(shards) > 1) if options.per_row else None
    state: State | None = None
    explain: list[str] = []
    ok = False
    try:
        used = ColumnChoice()
        with closing(frames(predictions, options, used)) as chunks:  # (closed now on an error, not at exit)
            # the classic bootstrap (each row its own group) needs the whole input in one chunk
            ahead = list(itertools.islice(chunks, 2 if options.ci is not None else 0))
            classic = len(ahead) == 1 and len(shards) == 1 and not options.for_merge
            for frame in itertools.chain(ahead, chunks):
                planned = state is not None
                state = update(state, frame, options, params, writer, classic=classic, explain=explain,
                               several_files=len(shards) > 1)
                if not planned:
                    used.keep(columns_used(state, options))
                if progress is not None:
                    progress(frame.n_rows)
        ok = True
    finally:
        if writer is not None:
            writer.close(ok)
    return Evaluation(finish(state, options), state, state.notes, explain)


def columns_used(state: State, options: EvalOptions) -> list[str]:
    """The columns that chunks after the first need: every pair's, the weight and the groups."""
    names = [c for pair in state.pairs.values() for c in pair.pair.true + pair.pair.pred]
    return names + [c for c in (options.weight, options.group_by, state.id_column) if c]


def _plan(frame: Frame, options: EvalOptions, params: Mapping[str, Mapping[str, str]], classic: bool,
          explain: list[str]) -> tuple[State, list[Target]]:
    """The first chunk decides the pairs, each pair's task, kind, classes and losses."""
    targets, notes = targets_of(frame, options)
    pairs = {}
    for target in targets:
        chosen, not_applicable = _selected(target, options.losses, options.also)
        losses = {}
        for name in chosen:
            spec = registry.lookup(name, target.task)
            losses[name] = LossState(registry.parse_params(spec.params, name, params.get(name, {})))
        boot = 0
        if options.ci is not None:
            boot = target.inputs.n if classic and target.inputs.n <= GROUPS else GROUPS
        pairs[target.pair.name] = PairState(target.pair, target.task, target.kind, target.classes, target.positive,
                                            target.weight, losses, not_applicable, evidence=target.evidence,
                                            boot_groups=boot)
        explain.append(f"pair '{target.pair.name}': {target.pair.how}; " + "; ".join(target.evidence))
    labels = frame.labels_source
    if frame.join is not None:
        explain.insert(0, f"{frame.labels_source} joined to {frame.source} {frame.join}")
        if frame.key is None:
            notes.insert(0, f"{frame.labels_source} is joined to {frame.source} {frame.join}")
    used = tuple(c for target in targets for c in target.pair.true + target.pair.pred)
    id_column = (frame.key or analysis.id_column(frame.names, used)) if options.worst or options.per_row else None
    return State([], labels, 0, pairs, settings_of(options), notes, on=frame.key, joined=frame.join,
                 id_column=id_column), targets


def settings_of(options: EvalOptions) -> dict[str, Any]:
    """The options a state must share with the states it merges with (and that ``merge`` reports with)."""
    return {"ci": options.ci, "bootstrap": options.bootstrap, "seed": options.seed, "worst": options.worst,
            "group_by": options.group_by, "weight": options.weight, "dropna": options.dropna,
            "params": {name: dict(values) for name, values in options.params.items()}}


def update(state: State | None, frame: Frame, options: EvalOptions, params: Mapping[str, Mapping[str, str]],
           writer: analysis.PerRowWriter | None = None, *, classic: bool = False, explain: list[str] | None = None,
           several_files: bool = False) -> State:
    """Add one chunk to ``state`` (the first chunk creates it)."""
    if state is None:
        state, targets = _plan(frame, options, params, classic, explain if explain is not None else [])
    else:
        targets = [_read_like(frame, pair, options) for pair in state.pairs.values()]
        warned = {note.split(":")[0] for note in state.notes}
        state.notes += [f"{t.pair.name}: {w}" for t in targets for w in t.warnings if t.pair.name not in warned]
    if not state.sources or state.sources[-1] != frame.source:
        state.sources.append(frame.source)
    state.rows += frame.n_rows
    per_row: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for target, pair in zip(targets, state.pairs.values()):
        prefix = "" if len(state.pairs) == 1 else f"{pair.pair.name}:"
        _add_chunk(pair, target, frame, options, per_row, prefix, frame.source if several_files else None,
                   state.id_column)
    if writer is not None:
        writer.id_column = state.id_column
        writer.write(frame, per_row)
    return state


def _read_like(frame: Frame, pair: PairState, options: EvalOptions) -> Target:
    """A later chunk, read with the decisions the first chunk made for this pair."""
    missing = [c for c in pair.pair.true + pair.pair.pred if c not in frame.columns]
    if missing:
        raise DataError(f"{frame.source}: no column {', '.join(map(repr, missing))}, which the first file has; "
                        "every shard needs the same columns")
    kind = None if pair.kind == "values" else pair.kind
    return infer(frame, pair.pair, task=pair.task, predictions=kind, positive=pair.positive, weight=options.weight,
                 dropna=options.dropna, classes=pair.classes if pair.task == "binary" else None)


def fingerprint(inputs: Inputs) -> int:
    """An order-free hash of the rows evaluated: the sum, mod 2^64, of a 64-bit hash of each row's
    labels, predictions and weight. Chunks and shards add up to the hash of the whole.

    A row's hash is SplitMix64's finaliser of Σ_c bits(x_c) · K_c (mod 2^64) over its cells, with a
    distinct odd constant K_c per cell position.
    """
    n = inputs.n
    rows: np.ndarray | None = None
    product = np.empty(n, dtype=np.uint64)
    labels = inputs.index.astype(np.float64) if inputs.index is not None else inputs.y
    position = 0
    with np.errstate(over="ignore"):
        for array in (labels, inputs.pred, inputs.w):
            if array is None:
                position += 1000
                continue
            matrix = array.reshape(n, -1)
            for k in range(matrix.shape[1]):
                bits = np.ascontiguousarray(matrix[:, k], dtype=np.float64).view(np.uint64)
                factor = np.uint64((2 * position + 1) * 0x9E3779B97F4A7C15 % (1 << 64))
                if rows is None:
                    rows = bits * factor
                else:
                    rows += np.multiply(bits, factor, out=product)
                position += 1
            position += 1000 - matrix.shape[1]
        return int(splitmix64(rows).sum(dtype=np.uint64))


def _add_chunk(pair: PairState, target: Target, frame: Frame, options: EvalOptions,
               per_row: dict[str, tuple[np.ndarray, np.ndarray]], prefix: str, file: str | None,
               id_column: str | None = None) -> None:
    inputs = target.inputs
    n = inputs.n
    pair.rows += n
    pair.dropped += target.dropped
    pair.fingerprint = (pair.fingerprint + fingerprint(inputs)) & MASK64
    m = pair.boot_groups
    codes = None
    if m:  # the classic bootstrap (each row its own group) for one small chunk, else hashed groups
        codes = row_groups(target.rows, options.seed, frame.source) if m == GROUPS else np.arange(n)
    groups: tuple[list[str], np.ndarray, np.ndarray] | None = None
    if options.group_by:
        names, group_codes = analysis.group_codes(frame, options.group_by, target)
        counts = np.bincount(group_codes, minlength=len(names))
        for name, count in zip(names, counts):
            pair.group_rows[name] = pair.group_rows.get(name, 0) + int(count)
        groups = (names, group_codes, counts)
    # the main loss (for --worst): the first listed that takes this kind of prediction, the same in every chunk
    main = next((name for name in pair.losses if pair.kind in registry.lookup(name, pair.task).kinds), None)
    for name, ls in pair.losses.items():
        spec = registry.lookup(name, pair.task)
        reason = registry.skip_reason(spec, inputs, ls.params)  # (every chunk: the reason counts all rows)
        if reason is not None or ls.partial.skipped:  # skipped for some rows: skipped for all, no terms
            ls.partial = ls.partial + Partial(rows=n, skipped=reason)
            continue
        terms = registry.terms(spec, inputs, ls.params)
        try:
            sums = registry.sum_terms(spec, inputs, terms, codes, m) if codes is not None else None
            whole = sums.total(n) if sums is not None else registry.sum_terms(spec, inputs, terms).partial(0, n)
        except registry.NonFiniteTerms as error:
            if spec.origin != "built-in":  # a plugin's NaN is its bug, named with its row
                raise
            row = "" if error.position is None else f" ({error.value} at row {int(target.rows[error.position])})"
            ls.partial = ls.partial + Partial(rows=n, skipped=f"overflows float64{row}: values too large for it")
            continue
        if sums is not None:
            ls.boot = sums if ls.boot is None else ls.boot + sums
        ls.partial = ls.partial + whole
        if groups is not None:
            names, group_codes, counts = groups
            sums = registry.sum_terms(spec, inputs, terms, group_codes, len(names))
            for g, group in enumerate(names):
                part = sums.partial(g, int(counts[g]))
                ls.groups[group] = ls.groups[group] + part if group in ls.groups else part
        if options.worst and name == main:
            ids = analysis.row_ids(frame, id_column, target)
            pair.worst = top_rows(pair.worst + analysis.worst_candidates(target, terms, options.worst, file, ids),
                                  options.worst)
        if options.per_row and spec.finish is None:
            per_row[prefix + name] = (target.positions, terms)


def finish(state: State, options: EvalOptions) -> dict[str, Any]:
    """The report of a state: every pair's losses, intervals, worst rows and groups."""
    results, group_results = [], []
    for pair in state.pairs.values():
        result = _result(pair, options)
        results.append(result)
        group_results += _group_results(pair, result)
    report = {
        "losscli": __version__,
        "signature": results[0]["signature"] if len(results) == 1 else _signature(state.pairs.values(), results, options),
        "input": {"predictions": state.sources[0] if len(state.sources) == 1 else state.sources,
                  "labels": state.labels, "rows": state.rows},
        "results": results + group_results,
        "gates": [],
        "passed": True,
    }
    if state.labels is not None:
        report["input"]["on"] = state.on
        report["input"]["joined"] = state.joined
    if options.group_by:
        report["input"]["group_by"] = options.group_by
    if options.ci is not None:
        report["bootstrap"] = {"ci": options.ci, "resamples": options.bootstrap, "seed": options.seed,
                               "method": "percentile; rows dealt into ≤1000 random groups, groups resampled"}
    return report


def _result(pair: PairState, options: EvalOptions) -> dict[str, Any]:
    losses: dict[str, float | None] = {}
    intervals: dict[str, list[float] | None] = {}
    skipped = dict(pair.not_applicable)
    counts = resample_counts(options.seed, options.bootstrap, pair.boot_groups) if pair.boot_groups else None
    for name, ls in pair.losses.items():
        spec = registry.lookup(name, pair.task)
        if ls.partial.skipped is not None or ls.partial.weight <= 0:
            skipped[name] = ls.partial.skipped or "the weights of every row are 0; there is nothing to average"
            continue
        losses[name] = spec.value(ls.partial)
        if counts is not None and ls.boot is not None:
            intervals[name] = interval(registry.group_values(spec, ls.boot.combine(counts)), options.ci)
    result = {
        "pair": pair.pair.name, "true": pair.pair.true, "pred": pair.pair.pred, "task": pair.task,
        "predictions": pair.kind, "n": pair.rows, "weight": pair.weight, "group": None, "losses": losses,
        "params": {name: dict(ls.params) for name, ls in pair.losses.items() if ls.params},
        "ci": intervals, "skipped": skipped, "classes": pair.classes, "positive": pair.positive,
        "model": pair.pair.model, "dropped": pair.dropped,
        "decisions": {"pairing": pair.pair.how, "evidence": pair.evidence},
    }
    if options.worst:
        result["worst"] = [{k: v for k, v in c.items() if k != "contribution"} for c in pair.worst]
    result["signature"] = _signature([pair], [result], options)
    return result


def _group_results(pair: PairState, overall: dict[str, Any]) -> list[dict[str, Any]]:
    """One result per group value, shaped like the overall result (``group`` set, its own ``n``)."""
    found = []
    for group in sorted(pair.group_rows):
        losses = {}
        for name in overall["losses"]:
            partial = pair.losses[name].groups.get(group)
            value = registry.lookup(name, pair.task).value(partial) if partial is not None and partial.weight > 0 \
                else None
            losses[name] = value if value is None or np.isfinite(value) else None
        result = dict(overall, group=group, n=pair.group_rows[group], losses=losses, ci={}, signature=None)
        result.pop("worst", None)
        found.append(result)
    return found


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


def data_hash(pairs: Any) -> str:
    """8 hex digits of SHA-256 over the order-free fingerprint of every row evaluated (labels,
    predictions, weights): the same for one file, its chunks, or its shards merged."""
    total = 0
    for pair in pairs:
        total = (total + (pair.fingerprint if isinstance(pair, PairState) else fingerprint(pair.inputs))) & MASK64
    return hashlib.sha256(f"{total:016x}".encode()).hexdigest()[:8]


def _eps(results: list[dict[str, Any]]) -> float | None:
    for result in results:
        for name, values in result["params"].items():
            if "eps" in values and name.endswith("crossentropy"):
                return values["eps"]
    return None


def _signature(pairs: Any, results: list[dict[str, Any]], options: EvalOptions) -> str:
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
              f"data:sha256:{data_hash(pairs)}"]
    return "|".join(parts)
