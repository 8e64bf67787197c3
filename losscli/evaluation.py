"""``eval``: read, pair, infer, compute every applicable loss, and build the :class:`~losscli.results.Report`.

The input is read as a stream of chunks (and PRED may be a glob of shards, read one after
another). The first chunk decides the pairs, each pair's task, prediction kind and classes; every
chunk then adds its partial sums to a :class:`~losscli.state.State`, so memory is bounded by a
chunk. ``finish`` turns a state (one run's, or the merge of many) into the report, whose
``to_dict`` is exactly what ``--format json`` prints; renderers only format it. A join (``--labels``)
streams the predictions past the labels read whole where that is sure to give the whole join's
answer (:mod:`~losscli.join_stream`), and otherwise reads both files whole.
"""

from __future__ import annotations

import glob as globbing
import itertools
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from . import analysis, per_class, registry, remote, row_counts
from .arrow_input import ArrowSource
from .bootstrap import GROUPS, interval, resample_counts, row_groups
from .classes import HeldClassIds, HeldLabel, HeldRegression, Hold, distinct, hold_from_dict, is_integral
from .csv_stream import ColumnChoice
from .errors import DataError, LossCliError, UsageError, names_listed
from .frame import Frame, arrow_numbers, arrow_strings, frame_from_table, to_numpy
from .groups import ChunkGroups, GroupCoder, coded_ahead, shown_names
from .inference import Target, infer
from .join_stream import JoinStream, NotStreamed, can_stream, planned_as_a_whole_join
from .joins import load
from .kinds import off_sum_rows
from .losses.binary import with_class_weights
from .opening import display_name, is_glob
from .options import EvalOptions
from .pairing import Pair, explicit_pairs, find_pairs, no_pairs_message, unique_names
from .plan_rows import rows_to_plan_on
from .reading import Prefetched, StartedRead, gathered, tables
from .results import GroupResults, Report, Result
from .row_counts import DROPPED, added
from .selection import selected_losses
from .signature import fingerprint, signature
from .state import MASK64, NOT_KEPT, Kept, LossState, PairState, State, top_rows
from .sums import Partial, Skip
from .value_pairing import pair_by_values, split_models

CHUNK_ROWS = 32_768  # rows per evaluated chunk, at least, unless CHUNK_CELLS come first (see sized)
CHUNK_CELLS = 1 << 20  # cells (rows × columns) per evaluated chunk that are enough in a wide file
GROUP_CELLS = 1 << 20  # cells per chunk with --group-by, at least (2^21: 100k groups 8 % faster, 50 MB more)


@dataclass
class Evaluation:
    report: Report
    state: State
    notes: list[str]  # warnings for standard error
    explain: list[str]  # --explain: how each pair, task and prediction kind was decided


def targets_of(frame: Frame, options: EvalOptions) -> tuple[list[Target], list[str]]:
    """The frame's pairs (by name, or --true/--pred), each with its task and inputs; and notes."""
    pairs, notes = pairs_of(frame, options)
    targets = [infer(frame, pair, task=options.task, predictions=options.predictions,
                     positive=options.positive, weight=options.weight, dropna=options.dropna)
               for pair in pairs]
    notes.extend(f"{target.pair.name}: {warning}" for target in targets for warning in target.warnings)
    return targets, notes


def pairs_of(frame: Frame, options: EvalOptions) -> tuple[list[Pair], list[str]]:
    """The frame's pairs (by name, or --true/--pred); and notes."""
    for column in (options.weight, options.group_by):
        if column is not None:
            frame.column(column)
    notes: list[str] = []
    if options.quantiles and not options.pred:
        raise UsageError("--quantiles gives the levels of the --pred columns; pass --true COL --pred COL,COL,... too")
    if options.true or options.pred:
        pairs = explicit_pairs(frame.names, list(options.true), list(options.pred), list(options.quantiles) or None,
                               options.task)
    else:
        exclude = {c for c in (options.weight, frame.key, options.group_by) if c}
        pairing = pair_by_values(frame, find_pairs(frame.names, exclude=exclude, roles=frame.roles))
        if not pairing.pairs:
            raise UsageError(no_pairs_message(frame.source, frame.names, pairing.undecided))
        pairs = unique_names([model for pair in pairing.pairs for model in split_models(frame, pair)])
        pairs = [_named_as_written(frame, pair) for pair in pairs]
        notes += _unpaired_notes(frame, pairing.unpaired) + [f"{frame.source}: {why}" for why in pairing.undecided]
    return pairs, notes


def _unpaired_notes(frame: Frame, unpaired: list[str]) -> list[str]:
    """The warning for columns that did not pair, a line per file they come from (with a labels
    file, its columns are the joined frame's labels: a Kaggle solution's ``Usage``)."""
    by_file: dict[str, list[str]] = {}
    for column in unpaired:
        source = frame.labels_source if frame.roles.get(column) == "true" and frame.labels_source else frame.source
        by_file.setdefault(source, []).append(frame.column(column).shown)
    return [f"{source}: columns not paired, and not evaluated: {names_listed(columns)} (pair them with --true COL "
            "--pred COL)" for source, columns in by_file.items()]


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
        found = remote.glob(predictions) if remote.is_address(predictions) else sorted(globbing.glob(predictions))
        if not found:
            raise DataError(f"{predictions}: no file matches this pattern")
        return found
    return [predictions]


def frames(predictions: Any, options: EvalOptions, columns: ColumnChoice | None = None,
           started: StartedRead | None = None, join: JoinStream | None = None) -> Generator[Frame, None, None]:
    """Every chunk of every source, as frames whose row numbers count within their file. Once
    ``columns`` is told which columns the evaluation uses, later CSV pieces hold just those. A read
    ``started`` early of the same file (or files, joined), with the delimiter and decimal mark
    sniffed, is taken up. A join streams the predictions through ``join`` when given, else reads
    both files whole.
    Arrow data handed over in Python (:class:`~losscli.arrow_input.ArrowSource`) is read as a file
    is, batch by batch; joined to labels, whole."""
    if isinstance(predictions, ArrowSource) and options.labels is None:
        if options.on is not None:
            raise UsageError("--on joins a --labels file to the predictions; pass --labels too")
        offset = 0
        for table in sized(predictions.tables(), options):
            yield frame_from_table(table, predictions.name, offset)
            offset += table.num_rows
        return
    if join is not None:  # (each chunk joined on a thread of its own while the one before is scored)
        with closing(_chunks_of(predictions, options, started)) as chunks, \
                closing(Prefetched(join.frames(chunks, sized(chunks, options)), depth=2)) as joined:
            yield from joined
        return
    if options.labels is not None or not isinstance(predictions, str):
        if started is not None and not started.whole:  # (the predictions' stream begun early is not taken)
            started.chunks.close()
        yield load(predictions, options.labels, options.on, options.delimiter, options.decimal, started)
        return
    if options.on is not None:
        raise UsageError("--on joins a --labels file to the predictions; pass --labels too")
    found = sources(predictions)
    for source in found:
        offset = 0
        with closing(_chunks_of(source, options, started, empty_ok=len(found) > 1)) as chunks:
            if columns is not None and chunks.columns is not None:
                columns.also(chunks.columns)
            for table in sized(chunks, options, chunks.columns):
                yield frame_from_table(table, display_name(source), offset)
                offset += table.num_rows


def sized(tables: Iterator[pa.Table], options: EvalOptions, columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """A file's tables as evaluated chunks: of CHUNK_ROWS rows or CHUNK_CELLS cells at least, and
    with --group-by of GROUP_CELLS cells. Each chunk costs a fixed time per pair and loss (checks,
    conversions, sums): 20 regression targets came in blocks of 5,400 rows, and scoring their 183
    chunks took 5.6 s; in chunks of 32k rows, 3.5 s. With --group-by each chunk looks its group values
    up among those seen, a hash table of them made again: 68 times for 3M rows and 100k groups in
    blocks, 4.5 s; 9 times (chunks of 2^20 cells), about 0.4 s. The chunks after the first hold the
    ``columns`` chosen (see :func:`~losscli.reading.gathered`)."""
    if options.group_by:
        return gathered(tables, cells=GROUP_CELLS, columns=columns)
    return gathered(tables, cells=CHUNK_CELLS, rows=CHUNK_ROWS, columns=columns)


def _chunks_of(source: str, options: EvalOptions, started: StartedRead | None, empty_ok: bool = False) -> Prefetched:
    """The file's chunks: the read begun early when it read this file as the options ask, else a new
    one (``empty_ok``: a shard of several, which may have no rows)."""
    text = text_columns(options)
    if started is not None and not started.whole and started.path == source and options.delimiter is None \
            and options.decimal is None and started.chunks.columns is not None and started.chunks.columns.text == text:
        return started.chunks
    return tables(source, options.delimiter, options.decimal, text, empty_ok)


def text_columns(options: EvalOptions) -> tuple[str, ...]:
    """The columns read as text as written, whatever their cells look like: the ``--group-by``
    column (see :class:`~losscli.csv_stream.ColumnChoice`)."""
    return (options.group_by,) if options.group_by else ()


def evaluate(predictions: Any, options: EvalOptions, progress: Callable[[int], None] | None = None,
             started: StartedRead | None = None) -> Evaluation:
    """Evaluate a predictions file, glob of shards or DataFrame: the report, the state and notes.
    A join streams its predictions where it can (:mod:`~losscli.join_stream`), else, or when the
    stream gives up, reads both files whole."""
    if isinstance(predictions, str) and is_glob(predictions) and options.labels is not None:
        raise UsageError(f"{predictions}: --labels joins one predictions file, not a glob of shards; join each "
                         "shard (eval SHARD --labels LABELS --state STATE) and merge the states")
    if can_stream(predictions, options):
        counted = RowsCounted(progress)
        join = JoinStream(predictions, options, started.labels if started else None)
        try:
            return _evaluated(predictions, options, counted, started, join)
        except NotStreamed:
            counted.restart()
            started = None  # (taken up by the stream)
            if join.labels is not None:  # (the labels read by the stream, not read again)
                options = replace(options, labels=join.labels)
    return _evaluated(predictions, options, progress, started)


class RowsCounted:
    """A progress callback that counts the rows it was told, and can take them back."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress, self.rows = progress, 0

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.progress is not None:
            self.progress(rows)

    def restart(self) -> None:
        """Back to no rows read (the evaluation starts again)."""
        self(-self.rows)


def _evaluated(predictions: Any, options: EvalOptions, progress: Callable[[int], None] | None,
               started: StartedRead | None, join: JoinStream | None = None) -> Evaluation:
    """:func:`evaluate`, the predictions joined by ``join`` (streamed) when it is given."""
    shards = sources(predictions) if isinstance(predictions, str) else [predictions]
    writer = analysis.PerRowWriter(options.per_row, len(shards) > 1) if options.per_row else None
    state: State | None = None
    explain: list[str] = []
    ok = False
    held: dict[str, Hold] = {}
    try:
        used = ColumnChoice()
        with closing(frames(predictions, options, used, started, join)) as chunks:  # (closed now on an error)
            # the classic bootstrap (each row its own group) needs the whole input in one chunk
            ahead = list(itertools.islice(chunks, 2 if options.ci is not None else 0))
            classic = len(ahead) == 1 and len(shards) == 1 and not options.for_merge
            with closing(with_groups(itertools.chain(ahead, chunks), options.group_by)) as coded:
                for frame, groups in coded:
                    planned = state is not None
                    plan_on = None
                    if not planned and isinstance(predictions, str) and len(shards) == 1 and join is None \
                            and options.labels is None:  # (a file sorted by its label: see plan_rows)
                        plan_on = rows_to_plan_on(frame, shards[0], options)
                    state = update(state, frame, options, writer, classic=classic, explain=explain,
                                   several_files=len(shards) > 1, groups=groups, held=held,
                                   plan_on=plan_on[0] if plan_on else None)
                    if plan_on:
                        explain.append(plan_on[1])
                    if not planned:
                        used.keep(columns_used(state, options))
                        held = holds(state, options)
                        if join is not None and join.streaming and not planned_as_a_whole_join(state, frame):
                            raise NotStreamed
                    if progress is not None:
                        progress(frame.n_rows)
            for hold in held.values():
                hold.check()
            if state is not None:
                state.held = held  # (a state file saves them: merge holds its shards together)
        ok = True
    except LossCliError:
        if join is not None and join.streaming:  # (the join of both files read whole tells what is wrong)
            raise NotStreamed from None
        raise
    finally:
        if writer is not None:
            writer.close(ok)
    if state is None:  # (a reader yields at least one chunk, empty when the file has no rows)
        raise DataError(f"{predictions}: nothing to evaluate")
    notes = counted_notes(state)
    if writer is not None and not writer.has_terms:
        notes.append(f"--per-row {options.per_row}: holds row numbers only: no loss evaluated has a term per row "
                     "whose mean is the loss (rmse, the class-balanced weighted_crossentropy, ece, wape, max_error "
                     "and median_absolute_error have none)")
    return Evaluation(finish(state, options), state, notes, explain)


def counted_notes(state: State) -> list[str]:
    """The state's notes, then each pair's warnings about rows counted over every chunk
    (:mod:`~losscli.row_counts`). States of earlier versions (1–3) hold each chunk's warnings among
    their notes: those of ``--dropna`` are left out (its count was saved), the others kept as they
    were said."""
    notes = _said_once([note for note in state.notes if not note.endswith(DROPPED)], state.sources)
    for name, pair in state.pairs.items():
        notes += row_counts.notes(name, pair.rows, pair.dropped, pair.crossed, pair.off_sum)
    return notes


def _said_once(notes: list[str], sources: list[str]) -> list[str]:
    """Notes that say the same of several files read (``FILE: columns not paired …`` of each shard
    in a merge) said once, naming the first file and how many more."""
    files: dict[tuple[str, str], list[str]] = {}  # (the text after the file, or the whole note) -> files
    for note in notes:
        file, sep, text = note.partition(": ")
        key = ("after a file", text) if sep and file in sources else ("note", note)
        files.setdefault(key, []).append(file)
    return [text if kind == "note" else f"{named[0]}: {text}" if len(named) == 1
            else f"{named[0]} (and {len(named) - 1} more file(s)): {text}" for (kind, text), named in files.items()]


def holds(state: State, options: EvalOptions) -> dict[str, Hold]:
    """The pairs whose plan the later rows are held to, each with its hold (:func:`holding`)."""
    found = {name: holding(pair.task, pair.kind, pair.classes, pair.first_hold, options)
             for name, pair in state.pairs.items()}
    return {name: hold for name, hold in found.items() if hold is not None}


def holding(task: str, kind: str, classes: list[str] | None, first: dict[str, Any] | None,
            options: EvalOptions) -> Hold | None:
    """What a pair's first rows decided that the later rows are held to (nothing when ``--task`` or
    ``--predictions`` decided it): a plan that rested on doubtful rows (``first``: :func:`first_hold`),
    or integer class ids (:class:`~losscli.classes.HeldClassIds`)."""
    if options.task is not None or options.predictions is not None:
        return None
    if first is not None:
        return hold_from_dict(first)
    return HeldClassIds.of(classes) if kind == "class" and task == "sparse" else None


def first_hold(target: Target, options: EvalOptions) -> dict[str, Any] | None:
    """When a pair's plan rests on doubtful first rows (a file sorted by its label), the hold of its
    later rows, as a state saves it: a regression decided on one label value, or on integers that
    the integer predictions go beyond (:class:`~losscli.classes.HeldRegression`); a binary pair's
    hard 0/1 predictions taken for probabilities with one label value (:class:`~losscli.classes.HeldLabel`)."""
    values = _first_labels(target, options)
    if values is None or not len(values):
        return None
    pred = target.inputs.pred
    hard = target.kind == "probability" and bool(np.isin(pred, (0.0, 1.0)).all())
    if target.task == "binary" and len(values) == 1 and hard:
        return HeldLabel(float(values[0])).to_dict()
    if target.task != "regression" or pred.ndim != 1:
        return None
    whole = is_integral(pred)
    predicted = distinct(pred) if whole else None
    beyond = whole and is_integral(values) and predicted is not None and not np.isin(predicted, values).all()
    if len(values) != 1 and not beyond:
        return None
    finite = pred[np.isfinite(pred)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    return HeldRegression(values.tolist(), None if predicted is None else predicted.tolist(), low, high).to_dict()


def _first_labels(target: Target, options: EvalOptions) -> np.ndarray | None:
    """The distinct numeric labels of a pair's first rows, when nothing but they decided its plan."""
    if options.task is not None or options.predictions is not None or target.raw_labels is None \
            or target.raw_labels.dtype == object or len(target.pair.true) != 1:
        return None
    return distinct(target.raw_labels[~np.isnan(target.raw_labels)])


def with_groups(frames: Iterator[Frame], group_by: str | None) -> Generator[tuple[Frame, ChunkGroups | None]]:
    """Each frame with its rows' ``--group-by`` groups (coded ahead), or None without groups."""
    if not group_by:
        yield from ((frame, None) for frame in frames)
        return
    with closing(coded_ahead(frames, group_by)) as coded:
        yield from coded


def columns_used(state: State, options: EvalOptions) -> list[str]:
    """The columns that chunks after the first need: every pair's, the weight and the groups."""
    names = [c for pair in state.pairs.values() for c in pair.pair.columns]
    return names + [c for c in (options.weight, options.group_by, state.id_column) if c]


def _plan(frame: Frame, options: EvalOptions, classic: bool, explain: list[str]) -> tuple[State, list[Target]]:
    """The first chunk decides the pairs, each pair's task, kind, classes and losses."""
    targets, notes = targets_of(frame, options)
    pairs = {}
    for target in targets:
        chosen, not_applicable = selected_losses(target, options.losses, options.also)
        losses = {}
        for name in chosen:
            spec = registry.spec_for(name, target.task)
            params = options.params_of(spec)
            if name == "pinball" and target.kind == "quantiles":  # the levels come from the columns
                if "alpha" in options.params.get(name, {}):
                    notes.append(f"{target.pair.name}: --param pinball.alpha is not used: its pinball is the mean "
                                 "over the levels of its quantile columns")
                params = {}
            # a median keeps every row, in this run only: not when the state is for merging (--state, Dask)
            kept = Kept() if spec.reduction == "median" and not options.for_merge else None
            losses[name] = LossState(with_class_weights(params, target), kept=kept)
            if kept is not None and options.ci is not None:
                notes.append(f"{target.pair.name}: {name} has no --ci interval: the bootstrap resamples groups of "
                             "rows by their sums, and a median is not a sum")
        boot = 0
        if options.ci is not None:
            boot = target.inputs.n if classic and target.inputs.n <= GROUPS else GROUPS
        by_class = None
        if options.per_class and per_class.applies(target.task, target.kind):
            by_class = per_class.ClassTable.empty(per_class.class_names(target.task, target.classes, target.positive))
        pairs[target.pair.name] = PairState(target.pair, target.task, target.kind, target.classes, target.positive,
                                            target.weight, losses, not_applicable, evidence=target.evidence,
                                            boot_groups=boot, by_class=by_class, first_hold=first_hold(target, options))
        explain.append(f"pair '{target.pair.name}': {target.pair.how}; " + "; ".join(target.evidence))
    labels = frame.labels_source
    if frame.join is not None:
        explain.insert(0, f"{frame.labels_source} joined to {frame.source} {frame.join}")
        if frame.key is None:
            notes.insert(0, f"{frame.labels_source} is joined to {frame.source} {frame.join}")
    used = tuple(c for target in targets for c in target.pair.columns)
    id_column = (frame.key or analysis.id_column(frame.names, used)) if options.worst or options.per_row else None
    return State([], labels, 0, pairs, options.settings(), notes, on=frame.key, joined=frame.join,
                 id_column=id_column), targets


def update(state: State | None, frame: Frame, options: EvalOptions, writer: analysis.PerRowWriter | None = None, *,
           classic: bool = False, explain: list[str] | None = None, several_files: bool = False,
           groups: ChunkGroups | None = None, held: dict[str, Hold] | None = None,
           plan_on: Frame | None = None) -> State:
    """Add one chunk to ``state`` (the first chunk creates it, planned on ``plan_on`` when given: the
    chunk with rows of the file after it, :mod:`~losscli.plan_rows`); with ``--group-by``, its rows'
    ``groups`` when they were coded ahead; the holds ``held`` (:func:`holds`) told the chunk's labels
    and predictions."""
    if state is None:
        state, targets = _plan(plan_on or frame, options, classic, explain if explain is not None else [])
        if plan_on is not None:  # (the chunk alone is scored, read with the plan)
            targets = [read_like(frame, p.pair, p.task, p.kind, p.positive, p.classes, options)
                       for p in state.pairs.values()]
    else:
        targets = [read_like(frame, p.pair, p.task, p.kind, p.positive, p.classes, options)
                   for p in state.pairs.values()]
        for target in targets:
            if held and target.pair.name in held:
                tell_held(held[target.pair.name], frame, target)
        warned = {note.split(":")[0] for note in state.notes}
        state.notes += [f"{t.pair.name}: {w}" for t in targets for w in t.warnings if t.pair.name not in warned]
    if not state.sources or state.sources[-1] != frame.source:
        state.sources.append(frame.source)
    state.rows += frame.n_rows
    per_row: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for target, pair in zip(targets, state.pairs.values()):
        prefix = "" if len(state.pairs) == 1 else f"{pair.pair.name}:"
        _add_chunk(pair, target, frame, options, per_row, prefix, frame.source if several_files else None,
                   state.id_column, groups)
    if writer is not None:
        writer.id_column = state.id_column
        writer.write(frame, per_row)
    return state


def tell_held(hold: Hold, frame: Frame, target: Target) -> None:
    """A later chunk's class ids told to ``hold`` (labels or predictions read as text are names, not held)."""
    (label,), (pred,) = target.pair.true, target.pair.pred
    if frame.is_text(label) or frame.is_text(pred) or target.raw_labels is None:
        return
    positions = target.positions

    def where(column: str, i: int) -> str:
        return frame.locate(column, int(positions[i]))

    hold.add(target.raw_labels, frame.numeric(pred, target.kept), label, pred, where)


def read_like(frame: Frame, pair: Pair, task: str, kind: str, positive: str | None,
              classes: list[str] | None, options: EvalOptions) -> Target:
    """A later chunk of ``pair``, read with the decisions its first chunk made (task, prediction
    kind, positive class and binary classes)."""
    missing = [c for c in pair.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{frame.source}: no column {', '.join(map(repr, missing))}, which the first file has; "
                        "every shard needs the same columns")
    predictions = None if kind in ("values", "quantiles") else kind  # (a quantile set's kind comes from its pair)
    target = infer(frame, pair, task=task, predictions=predictions, positive=positive,
                   weight=options.weight, dropna=options.dropna, classes=classes if task == "binary" else None)
    if kind == "probability" and target.inputs.pred.ndim == 2 and task in ("multiclass", "sparse") \
            and options.predictions is None:  # (as the first chunk's, which infer checks)
        target.off_sum = off_sum_rows(target.inputs.pred, target.rows)
    return target


def _add_chunk(pair: PairState, target: Target, frame: Frame, options: EvalOptions,
               per_row: dict[str, tuple[np.ndarray, np.ndarray]], prefix: str, file: str | None,
               id_column: str | None = None, chunk: ChunkGroups | None = None) -> None:
    """Add one chunk of one pair: its row counts and fingerprint, then every loss's sums (and the
    --worst rows and --per-row terms of those computed)."""
    inputs = target.inputs
    pair.rows += inputs.n
    pair.dropped += target.dropped
    pair.crossed = added(pair.crossed, target.crossed and replace(target.crossed, file=file))
    pair.off_sum = added(pair.off_sum, target.off_sum and replace(target.off_sum, file=file))
    pair.fingerprint = (pair.fingerprint + fingerprint(inputs)) & MASK64
    boot_codes = None
    if pair.boot_groups:  # the classic bootstrap (each row its own group) for one small chunk, else hashed groups
        boot_codes = row_groups(target.rows, options.seed, frame.source) if pair.boot_groups == GROUPS \
            else np.arange(inputs.n)
    if chunk is None and options.group_by:  # (not coded ahead: by a Dask worker)
        chunk = GroupCoder(options.group_by).code(frame)
    groups = None if chunk is None else pair.groups.codes(chunk.values, chunk.codes[target.positions], distinct=True)
    counts = None if groups is None else np.bincount(groups, minlength=pair.groups.size).astype(np.float64)
    true_class = None
    if pair.by_class is not None:
        zero_one = registry.lookup("zero_one", pair.task)
        threshold = options.params_of(zero_one).get("threshold") if zero_one is not None else None
        true_class = pair.by_class.add_rows(inputs, threshold)
    # the main loss (for --worst): the first listed that takes this kind of prediction, the same in every chunk
    main = next((name for name in pair.losses if pair.kind in registry.spec_for(name, pair.task).kinds), None)
    for name, ls in pair.losses.items():
        spec = registry.spec_for(name, pair.task)
        terms = add_loss(ls, spec, target, boot_codes, pair.boot_groups, groups)
        if groups is not None and terms is not None:
            pair.groups.add(name, registry.sum_terms(spec, target.inputs, terms, groups, pair.groups.size,
                                                     rows=target.rows, params=ls.params, counts=counts))
        if pair.by_class is not None and true_class is not None and terms is not None:
            pair.by_class.add(name, spec, inputs, terms, true_class, target.rows, ls.params)
        if terms is None:
            continue
        if options.worst and name == main:
            ids = analysis.row_ids(frame, id_column, target)
            candidates = analysis.worst_candidates(target, registry.row_terms(terms), options.worst, file, ids)
            pair.worst = top_rows(pair.worst + candidates, options.worst)
        if options.per_row and spec.finish is None and spec.reduction == "mean" and isinstance(terms, np.ndarray):
            per_row[prefix + name] = (target.positions, terms)  # (a term whose mean is the loss)


def add_loss(ls: LossState, spec: registry.LossSpec, target: Target, boot_codes: np.ndarray | None,
             boot_groups: int, groups: np.ndarray | None = None) -> registry.Terms | None:
    """Add one chunk's sums of one loss (overall, and per bootstrap group) to ``ls``, and a median's
    rows (with their ``--group-by`` ``groups``) to ``ls.kept``; its per-row terms, or None when the
    loss is skipped (for these rows, and so for all). A median without ``kept`` (a state for
    merging) is skipped: its value needs every row."""
    inputs, n = target.inputs, target.inputs.n
    reason = registry.skip_reason(spec, inputs, ls.params)  # (every chunk: the reason counts all rows)
    if reason is None and spec.reduction == "median" and ls.kept is None:
        reason = Skip(NOT_KEPT)
    if reason is not None or ls.partial.skipped:  # skipped for some rows: skipped for all, no terms
        ls.partial = ls.partial + Partial(rows=n, skipped=reason)
        return None
    terms = registry.terms(spec, inputs, ls.params)
    try:
        # (summed apart from the bootstrap's groups: their total differs in the last digit, and a loss
        # with --ci must be the loss without it, or a baseline saved without --ci fails its own data)
        whole = registry.sum_terms(spec, inputs, terms, rows=target.rows, params=ls.params).partial(0, n)
        if boot_codes is not None and spec.reduction != "median":
            sums = registry.sum_terms(spec, inputs, terms, boot_codes, boot_groups, rows=target.rows, params=ls.params)
            ls.boot = sums if ls.boot is None else ls.boot + sums
    except registry.NonFiniteTerms as error:
        if spec.origin != "built-in":  # a plugin's NaN is its bug, named with its row
            raise
        row = "" if error.position is None else f" ({error.value} at row {int(target.rows[error.position])})"
        ls.partial = ls.partial + Partial(rows=n, skipped=Skip(f"overflows float64{row}: values too large for it"))
        return None
    ls.partial = ls.partial + whole
    if ls.kept is not None and isinstance(terms, np.ndarray):
        ls.kept.add(terms, inputs.w, groups)
    return terms


def finish(state: State, options: EvalOptions) -> Report:
    """The report of a state: every pair's losses, intervals, worst rows and groups."""
    results = [_result(pair, options) for pair in state.pairs.values()]
    groups = [_group_results(pair, result, options.group_by) for pair, result in zip(state.pairs.values(), results)] \
        if options.group_by else []
    inputs: dict[str, Any] = {"predictions": state.sources[0] if len(state.sources) == 1 else state.sources,
                              "labels": state.labels, "rows": state.rows}
    if state.labels is not None:
        inputs.update(on=state.on, joined=state.joined)
    if options.group_by:
        inputs["group_by"] = options.group_by
    bootstrap = None if options.ci is None else {
        "ci": options.ci, "resamples": options.bootstrap, "seed": options.seed,
        "method": "percentile; rows dealt into ≤1000 random groups, groups resampled"}
    whole = results[0].signature if len(results) == 1 else \
        signature(results, options, sum(pair.fingerprint for pair in state.pairs.values()))
    return Report(str(whole), inputs, results, bootstrap, groups=groups)


def _result(pair: PairState, options: EvalOptions) -> Result:
    losses: dict[str, float | None] = {}
    intervals: dict[str, list[float] | None] = {}
    skipped = dict(pair.not_applicable)
    counts = resample_counts(options.seed, options.bootstrap, pair.boot_groups) if pair.boot_groups else None
    for name, ls in pair.losses.items():
        spec = registry.spec_for(name, pair.task)
        if ls.partial.skipped is not None or ls.partial.weight <= 0:
            skipped[name] = str(ls.partial.skipped or "the weights of every row are 0; there is nothing to average")
            continue
        value = finished(spec, ls)
        if value is None or not np.isfinite(value):  # (a ratio of sums over 0; a median whose rows were not kept)
            skipped[name] = NOT_KEPT if spec.reduction == "median" and ls.kept is None else \
                spec.undefined or f"{name} is not a finite number here"
            continue
        losses[name] = value
        if ls.kept is not None and options.ci is not None:
            intervals[name] = None  # (a median: no bootstrap; said on standard error)
        if counts is not None and ls.boot is not None and options.ci is not None:
            intervals[name] = interval(registry.group_values(spec, ls.boot.combine(counts), ls.params), options.ci)
    result = Result(
        pair=pair.pair.name, true=pair.pair.true, pred=pair.pair.pred, task=pair.task, predictions=pair.kind,
        n=pair.rows, losses=losses, weight=pair.weight,
        params={name: dict(ls.params) for name, ls in pair.losses.items() if ls.params},
        ci=intervals, skipped=skipped, classes=pair.classes, positive=pair.positive, dropped=pair.dropped,
        model=pair.pair.model, decisions={"pairing": pair.pair.how, "evidence": pair.evidence},
        worst=[{k: v for k, v in c.items() if k != "contribution"} for c in pair.worst] if options.worst else None,
    )
    result.calibration = _calibration(pair, losses)
    result.quantiles, result.variance = distribution(pair.pair)
    if pair.by_class is not None:
        result.per_class, result.confusion = pair.by_class.report(
            {name: ls for name, ls in pair.losses.items() if name in losses}, pair.task)
    result.signature = signature([result], options, pair.fingerprint)
    return result


def distribution(pair: Pair) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """What the JSON says of a quantile set (levels, columns, the interval scored) or a Gaussian
    prediction (the mean's and the variance's columns)."""
    from .losses.distributional import interval_levels

    quantiles = variance = None
    if pair.quantiles is not None:
        found = interval_levels(tuple(pair.quantiles))
        interval = None if found is None else {
            "lower": pair.quantiles[found[0]], "upper": pair.quantiles[found[1]],
            "nominal": pair.quantiles[found[1]] - pair.quantiles[found[0]],
            "columns": [pair.pred[found[0]], pair.pred[found[1]]]}
        quantiles = {"levels": pair.quantiles, "columns": pair.pred, "interval": interval}
    spread = pair.variance or pair.std
    if spread is not None:
        variance = {"mean": pair.pred[0], "column": spread, "given_as": "variance" if pair.variance else "std"}
    return quantiles, variance


def finished(spec: registry.LossSpec, ls: LossState) -> float | None:
    """One loss's value over the rows of ``ls``: from its sums, or a median from the rows kept."""
    if ls.kept is not None:
        value = float(ls.kept.median()[0])
        return float(spec.finish(value)) if spec.finish else value
    return spec.value(ls.partial, ls.params)


def _calibration(pair: PairState, losses: dict[str, float | None]) -> dict[str, Any] | None:
    """The reliability table of the pair's ``ece`` (else ``mce``) bins, when one was computed."""
    from .losses.calibration import reliability

    name = next((name for name in ("ece", "mce") if losses.get(name) is not None), None)
    if name is None:
        return None
    ls = pair.losses[name]
    weights, sums = ls.partial.class_weights, ls.partial.class_sums
    if weights is None or sums is None:
        return None
    return reliability(weights, sums.reshape(len(weights), -1), ls.params, pair.task)


def _group_results(pair: PairState, overall: Result, column: str) -> GroupResults:
    """The pair's groups that have rows evaluated, sorted by value, shaped like the overall result
    (``group`` set, its own ``n``; named as :func:`~losscli.groups.shown_names` shows them, by
    ``column``); every loss's values of all groups at once (:func:`~losscli.registry.group_values`)."""
    import pyarrow.compute as pc

    table = pair.groups
    names = table.names
    shown = shown_names(names, table.rows, column)
    known = table.known if shown is names else arrow_strings(shown)
    order = to_numpy(pc.sort_indices(known))  # (UTF-8's byte order is the code points', as Python sorts)
    order = order[table.rows[order] > 0]
    values: dict[str, list[float | None]] = {}
    for name in overall.losses:
        sums = table.loss_sums(name)
        if sums is None:
            values[name] = [None] * len(order)
            continue
        spec, ls = registry.spec_for(name, pair.task), pair.losses[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            if ls.kept is not None:  # a median: from the rows kept, each with its group
                medians: Any = ls.kept.median(table.size)
                found = (np.asarray(spec.finish(medians)) if spec.finish else medians)[order]
            else:
                found = registry.group_values(spec, sums, ls.params)[order]
        listed: list[float | None] = found.tolist()
        for g in np.flatnonzero((sums.weight[order] <= 0) | ~np.isfinite(found)):  # (few: no value, null)
            listed[g] = None
        values[name] = listed
    return GroupResults(overall, known.take(arrow_numbers(order)).to_pylist(), table.rows[order].tolist(), values)
