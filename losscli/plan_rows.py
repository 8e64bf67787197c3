"""The rows a plan needs beyond a first chunk whose labels hold one value.

A file sorted by its label (``df.sort_values("y")``, every 0 before every 1) gives its first chunk
one label value, and one value is no evidence of a task: 0 with scores is a binary task's class or
a regression's value, 2 with probabilities names no positive class, and hard 0/1 predictions look
like probabilities. When a pair's one label column holds one value in the first chunk of a local
file, the rest of the file is read once more for the first row of each other label value, and the
plan is made on the first chunk with those rows (:func:`rows_to_plan_on`); the first chunk alone is
then scored with that plan. Standard input, globs of shards, ``--engine dask``, ``merge`` and
``compare`` are not read twice: there the plan is held to what the later rows hold, and refused
when the whole would have decided otherwise (:class:`~losscli.classes.HeldRegression`,
:class:`~losscli.classes.HeldLabel`).
"""

from __future__ import annotations

import itertools
import os
from contextlib import closing
from dataclasses import replace

import numpy as np
import pyarrow as pa

from .classes import MAX_HARD_CLASSES, distinct
from .errors import LossCliError
from .frame import Frame
from .options import EvalOptions
from .pairing import Pair


def rows_to_plan_on(first: Frame, path: str, options: EvalOptions) -> tuple[Frame, str] | None:
    """``first`` (the first chunk of the local file ``path``) with the first row of each label value
    that it lacks, from the rest of the file, when a pair's one label column holds one value in it;
    and a line for ``--explain``. None when no pair's labels are in doubt, nothing new was found,
    or anything in the way (an error, a column whose type changes) leaves it to the plan of the first
    chunk alone."""
    from .evaluation import frames, pairs_of  # (the evaluation asks for these rows)

    if options.task == "regression" or not os.path.isfile(path):
        return None
    try:
        pairs = [pair for pair in pairs_of(first, options)[0] if len(pair.true) == 1]
    except LossCliError:  # (the plan of the first chunk reports it)
        return None
    seen = {pair.true[0]: set(_values(first, pair.true[0])) for pair in pairs if _in_doubt(first, pair)}
    if not seen:
        return None
    before = {column: len(values) for column, values in seen.items()}
    taken: list[tuple[Frame, np.ndarray]] = []  # (the few rows found in a chunk, and where: not the chunks)
    try:
        with closing(frames(path, options)) as chunks:
            for frame in itertools.islice(chunks, 1, None):  # (the first chunk is the same: skipped)
                positions = [_first_of_each_new(frame, column, values) for column, values in seen.items()]
                found = np.unique(np.concatenate(positions)) if positions else np.zeros(0, dtype=np.int64)
                if len(found):
                    taken.append((_rows_of(frame, found), found))
                if all(len(values) > MAX_HARD_CLASSES for values in seen.values()):
                    break
    except LossCliError:  # (read in order, the evaluation reports it where it is)
        return None
    if not taken:
        return None
    planned = _with_rows(first, taken)
    if planned is None:
        return None
    found_values = "; ".join(f"'{first.column(c).shown}' has {before[c]} label value(s) there, and "
                             f"{len(seen[c]) - before[c]} more later" for c in seen)
    return planned, (f"the first {first.n_rows} rows leave the task in doubt ({found_values}): the plan is made "
                     f"on them with the first row of each other label value ({planned.n_rows - first.n_rows} rows; "
                     "the file is read twice)")


def _in_doubt(first: Frame, pair: Pair) -> bool:
    """Whether a one-column pair's first labels leave its plan in doubt: one value (no evidence of a
    task), or integers that its integer predictions go beyond (class ids whose other labels come
    later, or a quantity: the whole file's labels tell)."""
    labels = _values(first, pair.true[0])
    predicted = _values(first, pair.pred[0]) if len(pair.pred) == 1 else []
    if len(labels) == 1:  # (but 0 or 1 with probabilities is a binary task's, whatever the other label)
        scores = [v for v in predicted if isinstance(v, float)]
        probabilities = bool(scores) and min(scores) >= 0 and max(scores) <= 1 and bool(set(scores) - {0.0, 1.0})
        return not (labels[0] in (0.0, 1.0) and probabilities)
    if len(pair.pred) != 1 or len(labels) > MAX_HARD_CLASSES:
        return False
    integers = all(isinstance(v, float) and v.is_integer() for v in labels + predicted)
    return integers and len(predicted) <= MAX_HARD_CLASSES and bool(set(predicted) - set(labels))


def _values(frame: Frame, column: str) -> list[object]:
    """The distinct label values of a chunk's column: stripped text, or finite numbers."""
    if column in frame.columns and frame.is_number(column):
        values = frame.column(column).floats
        return distinct(values[np.isfinite(values)]).tolist()  # (np.unique imports numpy.ma: 13 ms an eval)
    if column in frame.columns and frame.is_text(column):
        names, codes = frame.column(column).encoded
        return sorted({names[code] for code in distinct(codes[codes >= 0]).astype(np.intp).tolist() if names[code]})
    return []  # (numbers with a cell that is not one: the evaluation reports it)


def _first_of_each_new(frame: Frame, column: str, seen: set[object]) -> np.ndarray:
    """The position of the first row of each value of ``column`` not in ``seen`` (added to it)."""
    if column in frame.columns and frame.is_number(column):
        present, first = np.unique(frame.column(column).floats, return_index=True)
        finite = np.isfinite(present)  # (NaN: an empty cell)
        values, first = present[finite].tolist(), first[finite]
    elif column in frame.columns and frame.is_text(column):
        names, codes = frame.column(column).encoded
        present, first = np.unique(codes, return_index=True)
        values = [names[code] if code >= 0 else "" for code in present.tolist()]
    else:
        return np.zeros(0, dtype=np.int64)
    new = [(value, int(at)) for value, at in zip(values, first.tolist()) if value != "" and value not in seen]
    seen.update(value for value, _ in new)
    return np.array([at for _, at in new], dtype=np.int64)


def _rows_of(frame: Frame, found: np.ndarray) -> Frame:
    """The ``found`` rows of a chunk (its other rows let go)."""
    positions = pa.array(found)
    return replace(frame, columns={name: replace(col, data=col.data.take(positions)) for name, col in
                                   frame.columns.items()}, n_rows=len(found))


def _with_rows(first: Frame, taken: list[tuple[Frame, np.ndarray]]) -> Frame | None:
    """``first`` with the ``taken`` rows of later chunks (each with its positions there) after its
    own, each column keeping the file row of each (for messages). Integers met by floats are floats
    (a label 0 before 0.25); None when a column's type differs otherwise."""
    rows = np.concatenate([np.arange(first.n_rows)] + [part.offset - first.offset + found for part, found in taken])
    columns = {}
    for name, col in first.columns.items():
        pieces = [col.data] + [part.column(name).data for part, _ in taken if name in part.columns]
        kinds = {piece.type for piece in pieces}
        if len(pieces) != len(taken) + 1 or (len(kinds) > 1 and not all(_is_number(kind) for kind in kinds)):
            return None
        kind = col.data.type if len(kinds) == 1 else pa.float64()
        data = pa.chunked_array([chunk.cast(kind) for piece in pieces for chunk in piece.chunks], type=kind)
        columns[name] = replace(col, data=data, rows=rows)
    return replace(first, columns=columns, n_rows=len(rows))


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)

