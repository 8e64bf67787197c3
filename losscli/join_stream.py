"""``eval PRED --labels LABELS`` with the predictions streamed: the labels file is read whole and its
integer ids put in a table (:class:`~losscli.joins.IdRows`); each chunk of predictions finds its
labels there as it is read, and is scored while the next is parsed, as a file without labels is.

A speed trick, kept because it pays: the 3M + 3M-row join of ``make bench`` took 1.92 s and 649 MB
with both files read whole and joined at once, and takes 1.28 s and 344 MB streamed (medians of 7
runs, alternately; joining each chunk on a thread of its own, while the one before is scored, is
part of it: 1.46 -> 1.35 s, medians of 8). It is taken only where its answer is certain to be the
whole join's (:func:`~losscli.joins.join`):

- both files are local files (read again if the stream gives way), and neither ``--ci`` nor
  ``--dropna`` is given;
- the first chunk of predictions and the labels share one column that could join them (or
  ``--on`` names it), integers in both, and the labels' ids are unique and spread densely;
- the plan of the first chunk is one the rest of the rows cannot change
  (:func:`planned_as_a_whole_join`: binary with both labels there, or regression of fractional labels);
- every chunk has the first's columns with the same types, and each of its ids finds a label row;
  at the end every label row was found once.

Anything else raises :class:`NotStreamed` (ids of text, an id the labels lack or one seen twice,
labels that no prediction found, a column whose type changed, a plan of class ids, and any losscli
error once a chunk was joined), and the evaluation starts again with both files read whole (the
labels already read are taken up): its decisions and messages are then the whole join's. When the
first chunk already rules the stream out, the predictions are read whole and joined to the labels
read before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pyarrow as pa

from .errors import LossCliError
from .frame import Frame, _one_array, frame_from_table
from .joins import (
    IdRows,
    Join,
    _counts_rows,
    _id_type,
    _ids,
    as_frame,
    join,
    joined,
    on_how,
    shared_how,
    shared_keys,
)
from .names import is_saved_index
from .opening import display_name, is_glob
from .options import EvalOptions
from .reading import Prefetched, StartedRead
from .state import State


class NotStreamed(Exception):
    """The streamed join cannot be sure of its answer: evaluate again with both files read whole."""


def can_stream(predictions: object, options: EvalOptions) -> bool:
    """Whether a join may stream its predictions: both are local files (read again when the stream
    gives way), no ``--ci`` (whose bootstrap of a join resamples single rows: the rows whole), and
    no ``--dropna`` (the rows it drops from the first chunk would still be judged by
    :func:`planned_as_a_whole_join`)."""
    return options.ci is None and not options.dropna and all(
        isinstance(path, str) and not is_glob(path) and os.path.isfile(path) for path in (predictions, options.labels))


class JoinStream:
    """The chunks of a predictions file joined to its labels (:meth:`frames`). ``streaming`` is set
    once a chunk has been joined by the stream: from then on an error means :class:`NotStreamed`.
    ``labels``: the labels file, once read (the whole join takes it up when the stream gives way)."""

    def __init__(self, path: str, options: EvalOptions, labels_started: StartedRead | None) -> None:
        self.path, self.options, self.labels_started = path, options, labels_started
        self.streaming = False
        self.labels: Frame | None = None

    def frames(self, reader: Prefetched, tables: Iterator[pa.Table]) -> Iterator[Frame]:
        """The joined chunks of the predictions' ``tables`` (sized, from ``reader``)."""
        options, name = self.options, display_name(self.path)
        try:  # (an error here: the whole join names the first, in the order it reads and checks the files)
            labels = self.labels = _one_array_each(as_frame(options.labels, "labels", options.delimiter,
                                                            options.decimal, self.labels_started))
            first_table = next(tables)
            frame = frame_from_table(first_table, name)
            found = _streamed_key(frame, labels, options.on)
            chunk = joined_chunk(frame, labels, *found) if found is not None else None
        except LossCliError:
            raise NotStreamed from None
        if found is None or chunk is None:
            reader.close()
            yield join(as_frame(self.path, "predictions", options.delimiter, options.decimal), labels, options.on)
            return
        key, label_rows = found
        self.streaming = True
        offset = 0
        while chunk is not None:
            yield chunk
            offset += frame.n_rows
            table = next(tables, None)
            if table is None:
                break
            if not table.schema.equals(first_table.schema):  # (a cell that is not a number: the whole read types it)
                raise NotStreamed
            frame = frame_from_table(table, name, offset)
            chunk = joined_chunk(frame, labels, key, label_rows)
        if chunk is None or not label_rows.all_found(offset):
            raise NotStreamed


def planned_as_a_whole_join(state: State, first: Frame) -> bool:
    """Whether the plan of the first chunk is the one the whole join makes on every row: each pair
    is binary with both its labels in the first chunk (a later row that breaks the plan is an
    error; one label there is a file sorted by its label, whose first rows would also judge the
    predictions, inverted or not, on one class), or regression with a label that is not a whole
    number. Whole-number labels could be class ids once every row is seen (or not, past 1000
    distinct labels), or one class of a file sorted by its label whose predictions are scores (seen
    by review: the stream scored mse where the whole join scores binary logits), and the plans of
    several classes (sparse, multi-class, multi-label) take new values: those joins are read whole."""
    for pair in state.pairs.values():
        if pair.task == "binary":
            label = pair.pair.true[0]
            values = first.text(label, None) if first.is_text(label) else first.numeric(label)
            present = values[values != None] if values.dtype == object else values[~np.isnan(values)]  # noqa: E711
            if len(set(present.tolist())) < 2:
                return False
        elif pair.task == "regression":
            labels = [first.numeric(name) for name in pair.pair.true]
            if not any((v[np.isfinite(v)] != np.round(v[np.isfinite(v)])).any() for v in labels):
                return False
        else:
            return False
    return True


def _one_array_each(frame: Frame) -> Frame:
    """``frame`` with each column as one array: a chunk's labels taken from the blocks the labels
    file was read in took 0.3 s of a 3M-row join (6 ms a chunk), from one array 0.02 s."""
    frame.columns = {name: replace(column, data=pa.chunked_array([_one_array(column.data)]))
                     for name, column in frame.columns.items()}
    return frame


def joined_chunk(frame: Frame, labels: Frame, key: Join, rows: IdRows) -> Frame | None:
    """A chunk of predictions with its labels beside it, found by id; None when an id has no label."""
    order = rows.rows_of(_ids(frame, key.key or "", pa.int64()))
    return None if order is None else joined(frame, labels, replace(key, order=order))


def _streamed_key(first: Frame, labels: Frame, on: str | None) -> tuple[Join, IdRows] | None:
    """The key the whole join would take, told by the first chunk (``--on``, or the one column the
    files share that could join them), with the labels' rows by id; None when it is not a column of
    integers in both, or the labels' ids are not unique and dense."""
    if on is not None:
        key, _, other_key = on.partition("=")
        other_key, how = other_key or key, on_how(on)
    else:
        shared = shared_keys(first, labels)
        if len(shared) != 1:
            return None
        [(key, other_key)] = shared
        if is_saved_index(key) and _counts_rows(labels, other_key):
            return None  # (a saved index in both files: the whole join tells a key from a row count)
        how = shared_how(key, other_key, labels)
    if key not in first.columns or other_key not in labels.columns \
            or _id_type(first, key, labels, other_key) != pa.int64():
        return None
    rows = IdRows.of(_ids(labels, other_key, pa.int64()))
    return None if rows is None else (Join(key, other_key, None, how), rows)
