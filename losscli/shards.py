"""Shards: ``--engine dask`` and ``losscli merge``, both built on the mergeable :class:`State`.

``evaluate_on_dask`` reads the first shard's first chunk to decide how every shard is read, runs
every shard as a Dask task that sums its rows into an empty copy of that plan (the decisions alone,
so that Dask has little to hand to each task), and adds the states.
``merge_states`` adds the states saved by ``eval --state`` on shards run anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import ranges, registry
from .csv_stream import ColumnChoice
from .errors import DataError, UsageError
from .evaluation import (
    Evaluation,
    columns_used,
    counted_notes,
    finish,
    frames,
    holds,
    sized,
    sources,
    text_columns,
    update,
    with_groups,
)
from .frame import Frame, frame_from_table
from .opening import display_name
from .options import EvalOptions, from_settings
from .per_class import ClassTable
from .ranges import RANGE_BYTES, ByteRange, range_tables
from .reading import iter_tables
from .results import Report
from .row_counts import RowCount
from .state import LossState, PairState, State

CONNECT_TIMEOUT = "10s"  # to reach the scheduler of --scheduler


def empty_like(state: State) -> State:
    """A state with ``state``'s decisions (pairs, tasks, kinds, losses) and no rows: the start of
    another shard that must be read the same way."""
    pairs = {name: PairState(p.pair, p.task, p.kind, p.classes, p.positive, p.weight,
                             {n: LossState(ls.params) for n, ls in p.losses.items()}, dict(p.not_applicable),
                             evidence=p.evidence, boot_groups=p.boot_groups,
                             by_class=None if p.by_class is None else ClassTable.empty(p.by_class.names),
                             first_hold=p.first_hold)
             for name, p in state.pairs.items()}
    return State([], state.labels, 0, pairs, dict(state.settings), [])


def evaluate_shard(source: str | ByteRange, options: EvalOptions, template: State, plugin_files: tuple[str, ...] = (),
                   several_files: bool = True) -> State:
    """One shard's (or one byte range's) state, read with ``template``'s decisions (a task of
    ``--engine dask``). A worker of a cluster is another process: it loads the same plugins first
    (once; they must be readable at the same paths there, like the shards)."""
    from . import plugins

    plugins.load(plugin_files)
    state = empty_like(template)
    columns = ColumnChoice(columns_used(template, options), text=text_columns(options))
    if isinstance(source, ByteRange):
        name, offset = source.name, source.first_row
        tables = range_tables(source, options.delimiter, options.decimal, columns)
    else:
        name, offset = display_name(source), 0
        tables = iter_tables(source, options.delimiter, decimal=options.decimal, columns=columns, empty_ok=True)
    state.held = holds(template, options)
    with closing(with_groups(_frames(sized(tables, options, columns), name, offset), options.group_by)) as coded:
        for frame, groups in coded:
            state = update(state, frame, options, several_files=several_files, groups=groups, held=state.held)
    return state


def _frames(tables: Iterator[pa.Table], name: str, offset: int) -> Iterator[Frame]:
    """The tables as frames whose row numbers go on from ``offset``."""
    for table in tables:
        yield frame_from_table(table, name, offset)
        offset += table.num_rows


def evaluate_on_dask(predictions: str, options: EvalOptions, scheduler: str | None = None,
                     progress: Callable[[int], None] | None = None) -> Evaluation:
    """``--engine dask``: every shard's partial sums as a Dask task (local threads, or the cluster at
    ``scheduler``), merged two by two; a big plain CSV is cut into byte ranges, a task each
    (:mod:`losscli.ranges`). The first shard's first chunk decides how every shard is read.
    ``progress`` is told the rows of each shard done."""
    try:
        import dask  # noqa: F401  (here: a clear message when it is missing)
    except ImportError:
        raise UsageError("--engine dask needs dask, an optional extra: pip install 'losscli[dask]'") from None
    if options.per_row:
        raise UsageError("--per-row writes one file in row order; it does not run on --engine dask")
    options = replace(options, for_merge=True)
    files = sources(predictions)
    explain: list[str] = []
    with closing(frames(predictions, options)) as chunks:  # the first chunk decides how every shard is read
        first = next(chunks, None)  # (of the first shard with rows)
        if first is None:
            raise DataError(f"{predictions}: no shard has rows; nothing to evaluate")
        plan = update(None, first, options, explain=explain, classic=False, several_files=len(files) > 1)
    from .plugins import loaded_files

    plugin_files = tuple(loaded_files())
    template = empty_like(plan)  # (the decisions alone: small, whatever the first chunk held)
    with _scheduler(scheduler) as run:
        shards = _with_ranges(files, run)
        if len(shards) > len(files):
            explain.append(f"{len(shards)} tasks: files over {RANGE_BYTES >> 20} MiB read in byte ranges")
        merged = run.merged(evaluate_shard, shards, (options, template, plugin_files, len(files) > 1), progress)
    for hold in merged.held.values():
        hold.check()
    merged.notes = plan.notes + [note for note in merged.notes if note not in plan.notes]
    merged.sources = [display_name(path) for path in files]  # (a file read in ranges, named once)
    return Evaluation(finish(merged, options), merged, counted_notes(merged), explain)  # (the state: uncounted)


class _Threads:
    """Dask tasks on local threads. The scheduler is handed over as a function: named ("threads"),
    Dask first imports dask.distributed, when installed, to look for a client (0.3-0.5 s)."""

    def each(self, function: Callable[..., Any], items: list[Any]) -> list[Any]:
        """``function(item)`` of every item, as tasks."""
        import dask
        import dask.threaded

        return list(dask.compute(*[dask.delayed(function)(item) for item in items], scheduler=dask.threaded.get))

    def merged(self, evaluate: Callable[..., State], shards: list[Any], args: tuple[Any, ...],
               progress: Callable[[int], None] | None) -> State:
        """Every shard's state, ``evaluate(shard, *args)``, merged two by two as they are ready (a
        tree, in file order); ``progress`` is told each shard's rows."""
        import dask
        import dask.threaded

        tasks = [dask.delayed(evaluate)(shard, *args) for shard in shards]
        with _ShardsDone(progress):
            (merged,) = dask.compute(_merged_in_pairs(tasks, dask.delayed(State.merge)), scheduler=dask.threaded.get)
        return merged


class _Cluster:
    """Dask tasks on a cluster, as futures: the merges run on the workers, and a shard's state is let
    go there once merged."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def each(self, function: Callable[..., Any], items: list[Any]) -> list[Any]:
        return list(self.client.gather([self.client.submit(function, item, pure=False) for item in items]))

    def merged(self, evaluate: Callable[..., State], shards: list[Any], args: tuple[Any, ...],
               progress: Callable[[int], None] | None) -> State:
        from dask.distributed import as_completed

        done = [self.client.submit(evaluate, shard, *args, pure=False) for shard in shards]
        rows = [self.client.submit(_rows_of, state) for state in done]  # (a count comes back, not the state)
        total = _merged_in_pairs(done, lambda a, b: self.client.submit(State.merge, a, b, pure=False))
        del done
        for finished in as_completed(rows):
            if progress is not None:
                progress(finished.result())
        return total.result()


def _rows_of(state: State) -> int:
    return state.rows


@contextmanager
def _scheduler(address: str | None) -> Iterator[_Threads | _Cluster]:
    """Where tasks run: local threads, or the cluster at ``address``."""
    if not address:
        yield _Threads()
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError, TypeError) as error:
        raise UsageError(f"--scheduler {address}: cannot connect to a Dask scheduler there ({error}); "
                         "start the cluster, or check the address (e.g. tcp://host:8786)") from None
    with client:
        yield _Cluster(client)


def _with_ranges(files: list[str], run: _Threads | _Cluster) -> list[str | ByteRange]:
    """The shards as tasks: each file, or a big plain CSV's byte ranges, with their first rows'
    numbers (their rows are counted first, a task per range). A file where a cut fell inside a
    quoted value (a range with an odd number of quotes) is one task."""
    split = {path: ranges.split(path) for path in files}
    counts = iter(run.each(ranges.count_rows, [part for parts in split.values() if parts for part in parts]))
    shards: list[str | ByteRange] = []
    for path, parts in split.items():
        counted = [next(counts) for _ in parts or []]
        if parts is None or any(count.odd_quotes for count in counted):
            shards.append(path)
            continue
        first_row = 0
        for part, count in zip(parts, counted):
            shards.append(replace(part, first_row=first_row, rows=count.rows))
            first_row += count.rows
    return shards


def _merged_in_pairs(states: list[Any], merge: Callable[[Any, Any], Any]) -> Any:
    """All shards' states (tasks or futures) merged two by two as they are ready (a tree: a state
    is let go once merged), in file order."""
    while len(states) > 1:
        pairs = [merge(a, b) for a, b in zip(states[::2], states[1::2])]
        states = pairs + states[len(pairs) * 2:]
    return states[0]


class _ShardsDone:
    """A Dask callback (local threads) that reports the rows of each shard evaluated to ``progress``."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        from dask.callbacks import Callback

        class Reporting(Callback):
            def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
                if progress is not None and isinstance(result, State) and not result.ids:  # (a shard, not a merge)
                    progress(result.rows)

        self.callback = Reporting()

    def __enter__(self) -> None:
        self.callback.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.callback.__exit__(*exc)


# built-in losses whose terms can be negative: the KL divergence of rows that do not sum to 1, the
# log-likelihoods (log σ² < 0; e^ŷ − yŷ; ŷ − y log ŷ), and an interval's width and score when the
# quantiles cross
MAY_BE_NEGATIVE = {"kl_divergence", "gaussian_nll", "poisson_nll", "poisson", "width", "interval_score"}


def _cannot_be_negative(name: str, task: str) -> bool:
    """Built-in losses have terms ≥ 0, but for those of MAY_BE_NEGATIVE."""
    spec = registry.lookup(name, task)
    return spec is not None and spec.origin == "built-in" and spec.name not in MAY_BE_NEGATIVE


def merge_states(paths: list[str]) -> tuple[Report, State]:
    """``losscli merge``: the report of the states saved by ``eval --state`` on shards."""
    if not paths:
        raise UsageError("merge needs at least one state file (made by `losscli eval SHARD --state FILE`)")
    return merged_report((path, _read_state(path)) for path in paths)  # (read one at a time, as merged)


def _read_state(path: str) -> State:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a state file (not UTF-8 text)") from None
    return State.from_json(text, path)


def _first_rows_named(state: State) -> State:
    """A state of one file, with that file named with the first row of each warning about rows
    (merged with others, a row number alone would not say where); the caller's state unchanged."""
    if len(state.sources) != 1:
        return state
    source = state.sources[0]

    def named(found: RowCount | None) -> RowCount | None:
        return found if found is None or found.file is not None else replace(found, file=source)

    return replace(state, pairs={name: replace(pair, crossed=named(pair.crossed), off_sum=named(pair.off_sum))
                                 for name, pair in state.pairs.items()})


def merged_report(states: Iterable[tuple[str, State]]) -> tuple[Report, State]:
    """The report of states made on shards (``losscli merge``'s files, ``losscli.merge``'s objects),
    each named by where it came from, and the merged state. Each state is checked before it is
    added (its losses registered here, sums that cannot be negative are not) and must have been made
    alike (:meth:`State.merge`: settings, pairs, decisions); one holding rows another holds already
    (the same state id) is refused."""
    merged: State | None = None
    seen: dict[str, str] = {}  # state id -> where it came from
    for path, state in states:
        for pair in state.pairs.values():
            unknown = [name for name in pair.losses if registry.lookup(name, pair.task) is None]
            if unknown:
                raise UsageError(f"{path}: loss(es) {', '.join(unknown)} are not registered here; load the plugin "
                                 "that defines them with --plugin FILE")
            negative = [name for name, ls in pair.losses.items() if _cannot_be_negative(name, pair.task)
                        and (ls.partial.weighted_sum < 0 or (ls.partial.class_sums is not None
                                                             and (ls.partial.class_sums < 0).any())
                             or (ls.partial.maximum is not None and -np.inf < ls.partial.maximum < 0))]
            if negative:
                raise DataError(f"{path}: a damaged state file (pair '{pair.pair.name}': negative sums of "
                                f"{', '.join(negative)}, whose terms are never negative)")
        named = _first_rows_named(state)
        merged = named if merged is None else merged.merge(named, f"{path}: ")  # (settings and pairs first)
        for state_id in state.identity():
            if state_id in seen:
                raise DataError(f"{seen[state_id]} and {path} hold the same rows (state {state_id}); merging both "
                                "would count them twice: give each shard's state once")
            seen[state_id] = path
    if merged is None:
        raise UsageError("merge needs at least one state")
    for hold in merged.held.values():
        hold.check()
    return finish(merged, from_settings(merged.settings)), merged
