"""Arrow data handed over in Python, as a named stream of tables that is evaluated as a file is.

``losscli.evaluate`` and ``losscli.partial`` take, beside paths and pandas DataFrames (read whole by
:mod:`losscli.joins`, as before):

- a ``pyarrow.Table`` or ``pyarrow.RecordBatch``;
- a ``pyarrow.RecordBatchReader``, or an iterator (or list) of record batches or tables (Spark's
  ``mapInArrow`` hands an iterator of record batches per partition): read batch by batch, so that
  memory is bounded by a batch, as for a CSV file;
- any object with the Arrow PyCapsule stream interface (``__arrow_c_stream__``: a polars DataFrame,
  a DuckDB relation, …), read through ``pa.RecordBatchReader.from_stream`` (polars is never imported);
- arrays as scikit-learn's functions take them, ``y_true``, ``y_pred`` and ``sample_weight``: made
  into the table a file holding those columns would be (:func:`from_arrays`).

Conventions. Each becomes an :class:`ArrowSource`, whose :meth:`~ArrowSource.tables` are what the
Arrow IPC reader hands on for the same rows in a file: the first FIRST_CHUNK_ROWS rows together (they
decide the pairs, tasks, prediction kinds and classes; later rows are held to them), then tables of
about BATCH_CELLS cells. Tables without rows are skipped; a source without any row is a DataError. The
source is named for messages and reports by its keyword and type: ``<predictions Table>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .csv_stream import FIRST_CHUNK_ROWS, _check_header
from .errors import DataError, UsageError
from .formats import _rows_per_chunk
from .reading import BATCH_CELLS

ACCEPTED = ("a file path, a pandas DataFrame, a pyarrow Table, RecordBatch or RecordBatchReader, an iterator of "
            "record batches, an object with __arrow_c_stream__ (e.g. a polars DataFrame), or arrays as "
            "y_true=..., y_pred=...")
WEIGHT_COLUMN = "sample_weight"  # the column sample_weight= becomes (and the weight it is evaluated with)


@dataclass
class ArrowSource:
    """Arrow data to evaluate, read once: ``batches`` (record batches or tables) named ``name``."""

    name: str
    batches: Iterator[Any]

    def tables(self) -> Iterator[pa.Table]:
        """The rows as tables: the first FIRST_CHUNK_ROWS together, then about BATCH_CELLS cells each."""
        return _first_rows_together(self._sliced(), self.name)

    def whole(self) -> pa.Table:
        """Every row in one table (for a join with labels, which holds both sides whole)."""
        return _concatenated(list(self._sliced()), self.name)

    def _sliced(self) -> Iterator[pa.Table]:
        """The non-empty tables of ``batches``, cut to about BATCH_CELLS cells (zero-copy slices)."""
        rows = 0
        for i, item in enumerate(self.batches):
            table = _as_table(item, self.name)
            if i == 0:
                _check_header(table, self.name)
            size = _rows_per_chunk(table.num_columns, BATCH_CELLS) or max(table.num_rows, 1)
            for start in range(0, table.num_rows, size):
                rows += min(size, table.num_rows - start)
                yield table.slice(start, size)
        if rows == 0:
            raise DataError(f"{self.name}: no rows to evaluate (every batch is empty)")


def _as_table(item: Any, name: str) -> pa.Table:
    if isinstance(item, pa.Table):
        return item
    if isinstance(item, pa.RecordBatch):
        return pa.Table.from_batches([item])
    raise UsageError(f"{name}: expected record batches or tables, and one item is {type(item).__name__}")


def _concatenated(tables: list[pa.Table], name: str) -> pa.Table:
    try:
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    except pa.ArrowInvalid as error:
        raise DataError(f"{name}: the batches do not hold the same columns ({error}); every batch needs the "
                        "same columns") from None


def _first_rows_together(tables: Iterator[pa.Table], name: str) -> Iterator[pa.Table]:
    """``tables`` with the first FIRST_CHUNK_ROWS rows as one table (however small the batches
    they came in), then the rest as they come: the first rows decide the plan, as a file's do."""
    held: list[pa.Table] = []
    count = 0
    for table in tables:
        held.append(table)
        count += table.num_rows
        if count >= FIRST_CHUNK_ROWS:
            break
    if held:
        first = _concatenated(held, name)
        yield first.slice(0, FIRST_CHUNK_ROWS)
        if count > FIRST_CHUNK_ROWS:
            yield first.slice(FIRST_CHUNK_ROWS)
    yield from tables


def arrow_source(keyword: str, value: Any) -> ArrowSource | None:
    """``value`` as an :class:`ArrowSource` when it is Arrow data (a table, a record batch, a
    reader, an iterator or list of batches or tables, an ``__arrow_c_stream__`` object), else None.
    A pandas DataFrame (which has ``__arrow_c_stream__`` too) is the caller's to check first."""
    kind = type(value).__name__
    if isinstance(value, (pa.Table, pa.RecordBatch)):
        return ArrowSource(f"<{keyword} {kind}>", iter([value]))
    if isinstance(value, pa.RecordBatchReader):
        return ArrowSource(f"<{keyword} {kind}>", iter(value))
    if hasattr(type(value), "__arrow_c_stream__"):
        try:
            reader = pa.RecordBatchReader.from_stream(value)
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise UsageError(f"{keyword}: the {kind}'s Arrow stream (__arrow_c_stream__) cannot be read "
                             f"({error})") from None
        return ArrowSource(f"<{keyword} {kind}>", iter(reader))
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (pa.Table, pa.RecordBatch)) for v in value):
        return ArrowSource(f"<{keyword} batches>", iter(value))
    if isinstance(value, Iterator):
        return ArrowSource(f"<{keyword} batches>", value)
    return None


def from_arrays(y_true: Any, y_pred: Any, sample_weight: Any = None) -> pa.Table:
    """Arrays as scikit-learn's functions take them, as the table of a file holding them.

    ``y_true`` (n,) and ``y_pred`` (n,) are the columns ``y_true`` and ``y_pred``. ``y_pred`` of shape
    (n, K) holds a probability (or score) per class, its columns in the sorted order of the labels
    (scikit-learn's ``predict_proba``): they become ``y_pred_<label>`` columns when ``y_true`` holds
    K distinct labels, or ``y_pred_0`` … ``y_pred_<K-1>`` when its labels are integers in 0…K−1; a
    ``y_true`` of shape (n, K) (one-hot or multilabel rows) becomes ``y_true_0`` … beside them.
    ``sample_weight`` (n,) is the column ``sample_weight``. Mismatched lengths or shapes are a
    UsageError naming the keywords; no rows is a DataError.
    """
    true = _array("y_true", y_true)
    pred = _array("y_pred", y_pred)
    weight = None if sample_weight is None else _array("sample_weight", sample_weight)
    if weight is not None and weight.ndim != 1:
        raise UsageError(f"sample_weight: expected one weight per row (shape (n,)), not shape {weight.shape}")
    lengths = {"y_true": len(true), "y_pred": len(pred)} | ({} if weight is None else {"sample_weight": len(weight)})
    if len(set(lengths.values())) > 1:
        said = ", ".join(f"{keyword} {n}" for keyword, n in lengths.items())
        raise UsageError(f"y_true, y_pred: expected one row each for every label; the lengths differ ({said})")
    if not len(true):
        raise DataError("<predictions arrays>: y_true and y_pred are empty; nothing to evaluate")
    if pred.ndim == 2 and pred.shape[1] == 1 and true.ndim == 1:
        pred = pred[:, 0]
    columns: dict[str, np.ndarray] = {}
    if true.ndim == 1:
        columns["y_true"] = true
    else:
        columns.update((f"y_true_{k}", true[:, k]) for k in range(true.shape[1]))
        if pred.shape != true.shape:
            raise UsageError(f"y_true, y_pred: rows of labels (shape {true.shape}) need predictions of the same "
                             f"shape, not {pred.shape}")
    if pred.ndim == 1:
        columns["y_pred"] = pred
    else:
        names = _class_names(true, pred.shape[1]) if true.ndim == 1 else [str(k) for k in range(pred.shape[1])]
        columns.update((f"y_pred_{name}", pred[:, k]) for k, name in enumerate(names))
    if weight is not None:
        columns[WEIGHT_COLUMN] = weight
    return pa.table({name: _arrow(name, values) for name, values in columns.items()})


def _array(keyword: str, values: Any) -> np.ndarray:
    """``values`` (a list, numpy array, pandas Series, …) as a numpy array of 1 or 2 dimensions."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise UsageError(f"{keyword}: expected an array (a list, numpy array or Series), ({error})") from None
    if array.ndim not in (1, 2):
        raise UsageError(f"{keyword}: expected an array of shape (n,) or (n, K), not shape {array.shape}")
    return array


def _class_names(true: np.ndarray, k: int) -> list[str]:
    """The names of ``k`` probability columns for the labels ``true``: scikit-learn's order, the
    sorted distinct labels; or the class numbers 0…K−1 when the labels are integers among them."""
    import pandas as pd

    try:
        labels = np.unique(true[~pd.isna(true)])
    except TypeError:
        raise UsageError("y_true: labels of mixed types (numbers and text) cannot be sorted; give one type") from None
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if len(labels) == k:
        return [str(label) for label in labels.tolist()]
    if labels.dtype.kind in "iu" and len(labels) and labels.min() >= 0 and labels.max() < k:
        return [str(i) for i in range(k)]
    raise UsageError(f"y_pred has {k} columns and y_true {len(labels)} distinct labels: the columns follow the "
                     "sorted labels (scikit-learn's predict_proba), so there must be as many; or pass a DataFrame "
                     "with one column per class (y_pred_<class>)")


def _arrow(name: str, values: np.ndarray) -> pa.Array:
    try:
        return pa.array(np.ascontiguousarray(values))
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise UsageError(f"{name}: values Arrow cannot hold in one column ({error})") from None
