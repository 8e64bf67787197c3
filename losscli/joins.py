"""Joins: the predictions and, when they came apart, the labels, as one :class:`~losscli.frame.Frame`
(:func:`load`; each a path, ``-`` or a pandas DataFrame). The two meet on an id column (given with
``--on``, or the one they share whose ids match one to one) or row by row (:func:`find_join`); a
second model's predictions are aligned to the first's the same way (:func:`align`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .arrow_input import ArrowSource
from .errors import DataError, LossCliError, UsageError, closest, names_listed, where
from .escape import cut
from .frame import Column, Frame, _is_string_type, _one_array, arrow_numbers, frame_from_table, to_numpy
from .names import PANDAS_INDEX, PRED_WORDS, TRUE_WORDS, is_key_like, is_saved_index, named_as_label, normalise
from .opening import display_name
from .reading import StartedRead, read_table


def as_frame(source: Any, name: str, delimiter: str | None = None, decimal: str | None = None,
             started: StartedRead | None = None) -> Frame:
    """A path (or ``-``; its whole read ``started`` early taken up), a pandas DataFrame, Arrow data
    handed over in Python (read whole) or a Frame, as a :class:`Frame`."""
    if isinstance(source, Frame):
        return source
    if isinstance(source, ArrowSource):
        return frame_from_table(source.whole(), source.name)
    if isinstance(source, (str, Path)):
        return frame_from_table(read_table(str(source), delimiter, decimal, started), display_name(str(source)))
    try:
        table = pa.Table.from_pandas(source, preserve_index=None)  # an index other than 0…n−1 is a column
    except (TypeError, AttributeError, pa.ArrowException) as error:
        raise UsageError(f"{name}: expected a file path or a pandas DataFrame, not {type(source).__name__} "
                         f"({error})") from None
    if table.num_rows == 0:
        raise DataError(f"{name}: the DataFrame has no rows")
    return frame_from_table(table, f"<{name} DataFrame>")


def load(predictions: Any, labels: Any = None, on: str | None = None, delimiter: str | None = None,
         decimal: str | None = None, started: StartedRead | None = None) -> Frame:
    """The predictions (a path, ``-`` or a DataFrame), joined to labels on ``on``/``id`` or by row
    (both files' reads ``started`` early taken up)."""
    pred = as_frame(predictions, "predictions", delimiter, decimal, started)
    if labels is None:
        if on is not None:
            raise UsageError("--on joins a --labels file to the predictions; pass --labels too")
        return pred
    return join(pred, as_frame(labels, "labels", delimiter, decimal, started.labels if started else None), on)


def _key_column(frame: Frame, on: str) -> Column:
    if on not in frame.columns:
        raise UsageError(f"--on {on}: {frame.source} has no column '{on}'{closest(on, frame.columns)}; "
                         f"columns: {names_listed(list(frame.columns))}")
    return frame.columns[on]


def _could_be_key(frame: Frame, name: str) -> bool:
    """Id-like by its name, or integers or text not named as labels or predictions (floats and
    label/prediction columns are data, even when their values happen to be unique)."""
    if is_key_like(name):
        return True
    kind = frame.column(name).data.type
    return (pa.types.is_integer(kind) or _is_string_type(kind) or pa.types.is_temporal(kind)) \
        and normalise(name) not in TRUE_WORDS | PRED_WORDS


@dataclass
class Join:
    """How a labels file meets the predictions: on ``key`` (``other_key`` in the labels file;
    ``order``: each row's row there, None when both files list the same ids in the same order), or
    row by row (``key`` None); ``how`` says why."""

    key: str | None
    other_key: str | None
    order: np.ndarray | None
    how: str


def _id_type(first: Frame, key: str, second: Frame, other_key: str) -> pa.DataType:
    """The type two key columns are compared in: int64 when both hold integers (uint64 aside: its
    largest values are not int64's), else text, as ids were always compared (7 and "7" are one id;
    large_string when either column is)."""
    kinds = [frame.columns[name].data.type for frame, name in ((first, key), (second, other_key))
             if name in frame.columns]  # (a column that is not there is named when its ids are read)
    if all(pa.types.is_integer(kind) and kind != pa.uint64() for kind in kinds):
        return pa.int64()
    return pa.large_string() if any(pa.types.is_large_string(kind) for kind in kinds) else pa.string()


def _ids(frame: Frame, key: str, kind: pa.DataType) -> pa.Array:
    """A key column's ids as one Arrow array of ``kind`` (:func:`_id_type`): integers as int64, other
    values cast to text (dates, floats, booleans as Arrow writes them)."""
    data = _one_array(_key_column(frame, key).data)
    if data.type == kind:
        return data
    if pa.types.is_integer(kind) or _is_string_type(data.type):
        return data.cast(kind)  # a narrower integer as int64; string as large_string
    try:
        return data.cast(pa.string()).cast(kind)
    except pa.ArrowInvalid:
        raise DataError(f"{where(frame.source, key)}ids that are not valid UTF-8 text; save the file as UTF-8") \
            from None


def _first_repeat(ids: pa.Array) -> tuple[Any, np.ndarray] | None:
    """The first id in file order seen a second time, and its first three rows (counted from 1);
    None when every id is unique. ``ids`` holds no empty id."""
    if pa.types.is_integer(ids.type):  # (integers are told unique by a sort: a tenth of a hash's time)
        values = np.sort(to_numpy(ids))
        if not (values[1:] == values[:-1]).any():
            return None
    encoded = ids.dictionary_encode()  # (codes are numbered in the order the ids first appear)
    if len(encoded.dictionary) == len(ids):
        return None
    codes = to_numpy(encoded.indices)
    seen = np.maximum.accumulate(codes)  # the largest code so far: a smaller or equal one was seen before
    again = int(np.flatnonzero(codes[1:] <= seen[:-1])[0]) + 1
    return encoded.dictionary[int(codes[again])].as_py(), np.flatnonzero(codes == codes[again])[:3] + 1


def _ids_problem(frame: Frame, key: str, ids: pa.Array) -> str | None:
    """Why a file's ids cannot join (its first empty id, or its first repeated id with its rows), or None."""
    if ids.null_count:
        i = int(np.flatnonzero(to_numpy(ids.is_null()))[0])
        return f"{where(frame.source, key, i + 1)}empty join id; every row needs an id"
    repeated = _first_repeat(ids)
    if repeated is None:
        return None
    value, rows = repeated
    return (f"{where(frame.source, key)}id {cut(value)} appears more than once (rows "
            f"{', '.join(map(str, rows))}); ids must be unique to join")


DENSE_SPAN = 4  # integer ids spread over at most this many times their count are looked up in a table


class IdRows:
    """The rows of a file with unique integer ids, found by id: ``row[id − low]`` is the id's row (−1:
    no row has it). A table indexed by the id, where a hash table would take two to three times as
    long: made for ids spread over at most DENSE_SPAN times their count (row numbers in another
    order, the commonest ids). It also counts which rows were asked for (:meth:`rows_of`), so that
    a join can tell whether the ids of the other file matched one to one (:meth:`all_found`)."""

    def __init__(self, low: int, row: np.ndarray) -> None:
        self.low, self.row = low, row
        self.found = np.zeros(int(np.count_nonzero(row >= 0)), dtype=bool)

    @classmethod
    def of(cls, ids: pa.Array) -> IdRows | None:
        """The table of ``ids``, or None when they are not integers each once, spread densely."""
        if not pa.types.is_integer(ids.type) or ids.null_count or not len(ids):
            return None
        values = to_numpy(ids)
        low, high = int(values.min()), int(values.max())
        if high - low >= DENSE_SPAN * len(values):
            return None
        kind = np.int32 if len(values) < 2**31 else np.int64  # (half the memory to scatter into: 3M ids 0.11 -> 0.08 s)
        row = np.full(high - low + 1, -1, dtype=kind)
        row[values - low] = np.arange(len(values), dtype=kind)
        table = cls(low, row)
        return table if len(table.found) == len(values) else None  # (fewer: an id seen twice)

    def rows_of(self, ids: pa.Array) -> np.ndarray | None:
        """Each id's row, marked found; None when an id is empty or has no row. (An id asked twice
        is told by :meth:`all_found`.)"""
        if not pa.types.is_integer(ids.type) or ids.null_count:
            return None
        at = to_numpy(ids) - self.low
        if len(at) and (int(at.min()) < 0 or int(at.max()) >= len(self.row)):
            return None
        rows = self.row[at]
        if len(rows) and int(rows.min()) < 0:
            return None
        self.found[rows] = True
        return rows

    def all_found(self, asked: int) -> bool:
        """Whether the ``asked`` ids looked up matched the rows one to one: as many ids as rows, and
        every row found (then no id was asked twice)."""
        return asked == len(self.found) and bool(self.found.all())


def _dense_order(ids: pa.Array, other_ids: pa.Array) -> np.ndarray | None:
    """Each id's row among ``other_ids`` through :class:`IdRows`, when both hold the same integers once
    each, spread densely; None otherwise, and the hash lookup decides (and names any problem). 3M
    ids 0…3M−1 shuffled: 0.21 s, where the hash lookup took 0.41–0.53 s (a --labels join of 3M + 3M
    rows read whole: 2.1–2.2 s -> 1.9 s, 3 runs each)."""
    table = IdRows.of(other_ids)
    if table is None:
        return None
    order = table.rows_of(ids)
    return order if order is not None and table.all_found(len(ids)) else None


def _one_to_one(ids: pa.Array, other_ids: pa.Array, found: pa.Array) -> np.ndarray | None:
    """Each id's row among ``other_ids`` (``found``: :func:`_key_order`'s lookup) when the two match
    one to one, else None. The lookup tells it alone: every id is found, and as many rows are found,
    each once, as ``other_ids`` has (then neither file repeats an id, and neither has one the other lacks)."""
    if ids.null_count or found.null_count or len(ids) != len(other_ids):
        return None
    order = to_numpy(found)
    found_once = np.zeros(len(other_ids), dtype=bool)
    found_once[order] = True
    return order if found_once.all() else None


def _unmatched(first: Frame, key: str, ids: pa.Array, second: Frame, other_ids: pa.Array, found: pa.Array,
               hint: str) -> str:
    """Why ids unique in both files do not match one to one: the first id (in ``first``'s order) with no
    row in ``second`` and how many there are; else how many ids ``second`` has beyond them, and the
    first of those in text order."""
    import pyarrow.compute as pc

    if found.null_count:
        i = int(np.flatnonzero(to_numpy(found.is_null()))[0])
        return (f"{where(first.source, key, i + 1)}id {cut(ids[i].as_py())} has no row in {second.source} "
                f"({found.null_count} ids in all); {hint}")
    unused = np.ones(len(other_ids), dtype=bool)
    unused[to_numpy(found)] = False
    extra = other_ids.take(arrow_numbers(np.flatnonzero(unused)))
    smallest = pc.min(extra if _is_string_type(extra.type) else extra.cast(pa.string())).as_py()
    return f"{second.source}: {len(extra)} ids are not in {first.source} (first: {cut(smallest)}); {hint}"


def _key_order(first: Frame, second: Frame, key: str, other_key: str,
               hint: str) -> tuple[np.ndarray | None, str | None]:
    """For each row of ``first`` its row in ``second`` by ``key`` (``other_key`` there), None when the
    files list the same ids in the same order; or, when they cannot join, why (the second item).

    The ids stay in Arrow: one hash lookup (``index_in``) finds each id's row and, when every row
    is found once, shows the files match one to one. Otherwise the first problem is named, checked
    as the files are read: the first file's empty or repeated ids, the second's, an id of ``first``
    that ``second`` lacks, then ids ``second`` has beyond ``first``'s."""
    kind = _id_type(first, key, second, other_key)
    ids = _ids(first, key, kind)
    try:
        other_ids = _ids(second, other_key, kind)
    except LossCliError:  # (unreadable ids in the second file are named once the first file's are found fine)
        problem = _ids_problem(first, key, ids)
        if problem:
            return None, problem
        raise
    if ids.equals(other_ids):  # the same ids in the same order: no lookup, and no reordering
        return None, _ids_problem(first, key, ids)
    order = _dense_order(ids, other_ids)
    if order is not None:
        return order, None
    import pyarrow.compute as pc  # (here: importing it costs a tenth of a second that row-number ids skip)

    found = pc.index_in(ids, value_set=other_ids)
    # the lookup's hash table (some 200 MB for 3M ids) goes back to the system rather than staying in
    # Arrow's pool beside the arrays numpy scores the rows with
    pa.default_memory_pool().release_unused()
    order = _one_to_one(ids, other_ids, found)
    if order is not None:
        return order, None
    return None, (_ids_problem(first, key, ids) or _ids_problem(second, other_key, other_ids)
                  or _unmatched(first, key, ids, second, other_ids, found, hint))


def _same_ids(first: Frame, key: str, second: Frame, other_key: str) -> bool:
    """Whether two key columns hold the same ids (empty ones included) in the same order."""
    kind = _id_type(first, key, second, other_key)
    return bool(_ids(first, key, kind).equals(_ids(second, other_key, kind)))


def _same_order(order: np.ndarray | None, other: np.ndarray | None) -> bool:
    """Whether two :attr:`Join.order` put the rows in the same order (None: each row its own)."""
    if order is None or other is None:
        given = other if order is None else order
        return given is None or bool((given == np.arange(len(given))).all())
    return bool(np.array_equal(order, other))


def _counts_rows(frame: Frame, name: str) -> bool:
    """Whether a column holds 0, 1, 2 … or 1, 2, 3 … in file order (a saved RangeIndex, a row number)."""
    data = frame.column(name).data
    if not pa.types.is_integer(data.type) or data.null_count:
        return False
    try:
        values = to_numpy(data)
    except pa.ArrowInvalid:  # (unsigned integers beyond int64's range: no row count)
        return False
    return bool(len(values)) and values[0] in (0, 1) and bool((np.diff(values) == 1).all())


def shared_keys(first: Frame, second: Frame) -> list[tuple[str, str]]:
    """The columns two files share (by name; id-like names also when they normalise alike:
    ``Id``/``id``) that could join them, as (name in ``first``, name in ``second``)."""
    return [(a, b) for a in first.columns for b in second.columns
            if (a == b or (normalise(a) == normalise(b) and is_key_like(a))) and _could_be_key(first, a)]


def on_how(on: str) -> str:
    """How two files join on ``--on``, for ``--explain`` and the JSON."""
    return f"on '{on}' (--on)"


def shared_how(key: str, other_key: str, second: Frame) -> str:
    """How two files join on a column they share, for ``--explain`` and the JSON."""
    named = f"'{key}'" if key == other_key else f"'{key}' ('{other_key}' in {second.source})"
    return f"on {named}, the shared column whose values are unique in both files and match one to one"


def find_join(first: Frame, second: Frame, on: str | None, hint: str) -> Join:
    """The key two files join on.

    1. ``--on COL`` (or ``--on COL=OTHER`` when the labels file names it OTHER);
    2. else the one column both files have (names compared as normalised: ``Id``/``id``,
       ``PassengerId``/``passenger_id``) whose values are unique in both and match one to one
       (``id``, ``PassengerId``, the pandas index). A saved index that counts the rows of each file
       in order is set aside when another key is shared, and refused naming ``--on`` when each
       file has ids of its own under other names (it would join them row by row); several keys that
       order the rows differently are refused naming ``--on``, and so is a shared id column that
       cannot join;
    3. else row by row, when the files have as many rows and no id column tells otherwise (an id
       column in one file, or in each under different names, is refused naming ``--on``, unless it
       only counts the rows in order).
    """
    if on is not None:
        key, _, other = on.partition("=")
        other = other or key
        _key_column(first, key)
        order, problem = _key_order(first, second, key, other, hint)
        if problem:
            raise DataError(problem)
        return Join(key, other, order, on_how(on))
    shared = shared_keys(first, second)
    keys: dict[tuple[str, str], np.ndarray | None] = {}
    problems: dict[tuple[str, str], str | None] = {}  # shared id columns that cannot join, and why
    for a, b in shared:
        order, problem = _key_order(first, second, a, b, hint)
        if problem is None:
            keys[a, b] = order
        elif is_key_like(a):
            problems[a, b] = problem
    counters = {(a, b): order for (a, b), order in keys.items()  # a saved index in both, 0, 1, 2 … in each
                if is_saved_index(a) and _counts_rows(first, a) and _counts_rows(second, b)}
    if keys and len(counters) == len(keys):  # (it joins row by row)
        both = set(first.columns) & set(second.columns)
        ids = {frame.source: _own_keys(frame, both) for frame in (first, second)}
        if all(ids.values()):
            raise DataError(f"the files share only {', '.join(repr(a) for a, _ in keys)}, which counts the rows "
                            f"of each in order (a saved index), and each has ids of its own ({_listed(ids)}); join "
                            "them with --on PRED_COL=LABELS_COL, or give both files' ids one name")
    keys = {k: order for k, order in keys.items() if k not in counters} or keys
    if len(keys) > 1 and any(not _same_order(order, next(iter(keys.values()))) for order in keys.values()):
        names = ", ".join(f"'{a}'" for a, _ in keys)
        raise UsageError(f"{first.source} and {second.source} share the columns {names}, each unique in both "
                         f"files, and they order the rows differently; say which one joins them: --on COL")
    if keys:
        a, b = next((k for k in keys if is_key_like(k[0])), next(iter(keys)))
        return Join(a, b, keys[a, b], shared_how(a, b, second))
    for a, b in problems:
        if first.n_rows == second.n_rows and _same_ids(first, a, second, b):
            return Join(None, b, None, f"row by row: '{a}' cannot join (its ids repeat), and both files list "
                                       "the same ids in the same order")
    if problems:
        raise DataError(f"{next(iter(problems.values()))} (to join on another column: --on COL)")
    ids = {frame.source: _named_ids(frame) for frame in (first, second)}
    if any(ids.values()):
        raise DataError(f"the files share no id column, but have id columns ({_listed(ids)}); join them with --on COL "
                        f"(or --on PRED_COL=LABELS_COL when they are named differently)")
    if first.n_rows != second.n_rows:
        raise DataError(f"{first.source} has {first.n_rows} rows and {second.n_rows} are in {second.source}, and "
                        "they share no id column; join them on an id column with --on COL, or give files of equal "
                        "length")
    return Join(None, None, None, "row by row: the files share no id column (pass --on COL to join on one)")


def _named_ids(frame: Frame) -> list[str]:
    """The columns of ``frame`` named as ids that could order its rows: not one that only counts
    them in order, nor a DataFrame's index (beside a 0…n−1 one)."""
    return [c for c in frame.columns if is_key_like(c) and not _counts_rows(frame, c)
            and not normalise(c).startswith(PANDAS_INDEX)]


def _own_keys(frame: Frame, shared: set[str]) -> list[str]:
    """The columns of ``frame`` not among ``shared`` (the columns both files have: a label and its
    prediction) whose name says they are ids (``customer_id``, ``key``, ``ID_code``), with unique
    values, none empty, in any order; not a saved index."""
    def names_rows(name: str) -> bool:
        ids = _ids(frame, name, _id_type(frame, name, frame, name))
        return _ids_problem(frame, name, ids) is None

    return [c for c in frame.columns if c not in shared and not is_saved_index(c)
            and (is_key_like(c) or "id" in normalise(c).split("_")) and names_rows(c)]


def _listed(ids: dict[str, list[str]]) -> str:
    """Each file's id columns, for a message: ``p.csv: 'customer_id'; t.csv: none``."""
    return "; ".join(f"{source}: {', '.join(repr(c) for c in names) or 'none'}" for source, names in ids.items())


def _taken(column: Column, order: np.ndarray | None) -> Column:
    """``column``'s values in ``order`` (None: as they are), each with its row in its file."""
    if order is None:
        return column
    rows = order if column.rows is None else column.rows[order]
    data = _one_array(column.data)
    if data.type in (pa.int64(), pa.float64()) and not data.null_count:
        # (numbers taken by numpy: Arrow's take imports pyarrow.compute, a tenth of a second)
        return replace(column, data=pa.chunked_array([arrow_numbers(to_numpy(data)[order])]), rows=rows)
    return replace(column, data=column.data.take(arrow_numbers(order)), rows=rows)


def align(base: Frame, new: Frame, on: str | None) -> Frame:
    """``new`` with its rows in ``base``'s order (by id, or row by row), for paired comparisons."""
    key = on.partition("=")[0] if on else None  # (--on PRED=LABELS: both models' files name it PRED)
    found = find_join(base, new, key, "compare needs both models' predictions for the same rows")
    columns = {name: _taken(col, found.order) for name, col in new.columns.items()}
    return Frame(columns, base.n_rows, new.source, new.labels_source, found.key or new.key, new.roles)


JOIN_HINT = "every prediction needs a label, and every label a prediction"


def join(pred: Frame, lab: Frame, on: str | None) -> Frame:
    """Labels joined to predictions: on a key (unique on both sides, the same set) or by row."""
    return joined(pred, lab, find_join(pred, lab, on, JOIN_HINT))


def joined(pred: Frame, lab: Frame, found: Join) -> Frame:
    """The predictions with the labels' columns beside them, each label in its prediction's row
    (``found.order``); a column named in both files is the labels' truth and the predictions'
    prediction (``NAME_true``, ``NAME_pred``), unless the name says it is a label, or a saved index
    (the predictions' is kept: two copies would read as ``_true`` and ``_pred``)."""
    key, order = found.key, found.order
    columns = {name: col for name, col in pred.columns.items()}
    roles = {name: "pred" for name in columns if name != key}
    for name, col in lab.columns.items():
        if name == found.other_key:
            continue
        if name in columns and is_saved_index(name):  # a saved index in both files: the predictions', once
            continue
        taken = _taken(col, order)
        if name in columns and named_as_label(name):  # the predictions file's copy of the label: not a prediction
            columns[name] = taken
            roles[name] = "true"
        elif name in columns:  # the same name in both files: the labels' is the truth
            for new, old, role in ((f"{name}_true", taken, "true"), (f"{name}_pred", columns.pop(name), "pred")):
                if new in columns or new in lab.columns:
                    raise DataError(f"column '{name}' is in both files and '{new}' exists too; rename one")
                old.written, old.name = name, new
                columns[new] = old
                roles.pop(name, None)
                roles[new] = role
        else:
            columns[name] = taken
            roles[name] = "true"
    return Frame(columns, pred.n_rows, pred.source, lab.source, key, roles, pred.offset, found.how)
