"""Error analysis, chunk by chunk: the worst rows of a pair and every row's loss terms.

Everything here works on one chunk's per-row terms (computed once by the registry) and produces
something that merges: top-N candidate lists, and columns streamed into the ``--per-row`` file.
When the file has an id column (:func:`id_column`), worst rows carry their ``id`` and the
per-row file has an ``id`` column after ``row``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import numpy as np
import pyarrow as pa

from .errors import DataError, UsageError
from .escape import spreadsheet
from .frame import Frame, arrow_numbers
from .inference import Target
from .names import is_key_like


def _plain(value: Any) -> Any:
    """A JSON-ready value: numbers as float, arrays as lists."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return value


def id_column(names: list[str], used: tuple[str, ...] = ()) -> str | None:
    """The first column named like an id (``id``, ``*_id``, ``PassengerId``…) that no pair uses, or None."""
    return next((name for name in names if name not in used and is_key_like(name)), None)


def row_ids(frame: Frame, column: str | None, target: Target) -> Callable[[np.ndarray], list[Any]] | None:
    """The ids of evaluated rows (by their index among them) as text, None for an empty cell; read
    from Arrow for just the rows asked for. None without an id column. Bytes that are not UTF-8
    text, and values that have no text (lists, structs, intervals), are refused (the file and
    column named)."""
    if column is None:
        return None
    data = _plain_ids(frame.column(column).data, frame.where(column), "--worst")

    def ids(indices: np.ndarray) -> list[Any]:
        taken = data.take(arrow_numbers(target.positions[indices]))
        try:
            return taken.cast(pa.string()).to_pylist()
        except pa.ArrowInvalid:
            raise _bytes_ids(frame.where(column)) from None
        except pa.ArrowNotImplementedError:
            raise _nested_ids(frame.where(column), "--worst") from None

    return ids


def worst_candidates(target: Target, terms: np.ndarray, count: int, file: str | None = None,
                     ids: Callable[[np.ndarray], list[Any]] | None = None) -> list[dict[str, Any]]:
    """This chunk's ``count`` rows with the largest contribution w·ℓ, as mergeable candidates
    (``ids``: the ids of evaluated rows, from :func:`row_ids`)."""
    contribution = terms if target.inputs.w is None else terms * target.inputs.w
    k = min(count, len(terms))
    if k <= 0:
        return []
    top = np.argpartition(-contribution, k - 1)[:k]
    pred = target.inputs.pred
    top_ids = ids(top) if ids is not None else None
    found = []
    for j, i in enumerate(top):
        shown_pred = target.classes[int(pred[i])] if target.kind == "class" and target.classes else _plain(pred[i])
        entry: dict[str, Any] = {"row": int(target.rows[i])}
        if top_ids is not None:
            entry["id"] = top_ids[j]
        entry.update({"true": _plain(target.raw_labels[i] if target.raw_labels is not None else target.inputs.y[i]),
                      "pred": shown_pred, "loss": float(terms[i]), "contribution": float(contribution[i])})
        if target.inputs.w is not None:
            entry["weight"] = float(target.inputs.w[i])
        if file is not None:
            entry["file"] = file
        found.append(entry)
    return found


def _plain_ids(ids: pa.ChunkedArray, where: str, option: str) -> pa.ChunkedArray:
    """An id column as plain Arrow values: run-end and dictionary encodings decoded, an extension
    type's storage (Arrow's UUIDs are 16 bytes; JSON is text). Lists, structs and intervals are
    refused (``where``: the file and column; ``option``: what needs the ids)."""
    import pyarrow.compute as pc

    if pa.types.is_run_end_encoded(ids.type):
        ids = pc.run_end_decode(ids)
    if isinstance(ids.type, pa.BaseExtensionType):
        ids = pa.chunked_array([chunk.storage for chunk in ids.chunks], ids.type.storage_type)
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if pa.types.is_nested(ids.type) or pa.types.is_interval(ids.type):
        raise _nested_ids(where, option)
    return ids


def _nested_ids(where: str, option: str) -> DataError:
    return DataError(f"{where}ids that are not text, numbers or dates (lists, structs, intervals): {option} names "
                     "rows by their id as text; rename the column so that it is not taken as the rows' ids")


def _bytes_ids(where: str) -> DataError:
    return DataError(f"{where}ids that are bytes, not UTF-8 text (UUIDs stored as 16 bytes, say); save them as text")


def _no_formulas(ids: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    """Text ids (of any Arrow string or binary type: polars writes large strings, parquet may hold
    bytes) as spreadsheet-safe CSV cells (:func:`losscli.escape.spreadsheet`, done by Arrow); numbers
    stay numbers. Bytes that are not UTF-8 text, and lists, structs and intervals, are refused
    (``where``: the file and column; see :func:`_plain_ids`)."""
    ids = _plain_ids(ids, where, "--per-row")
    kind = ids.type
    if not any(test(kind) for test in (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary,
                                       pa.types.is_large_binary, pa.types.is_fixed_size_binary)):
        return ids
    import pyarrow.compute as pc

    try:
        text = ids.cast(pa.large_string())
    except pa.ArrowInvalid:
        raise _bytes_ids(where) from None
    risky = pc.and_(pc.match_substring_regex(text, r"^[=+\-@\t\r]"),
                    pc.invert(pc.match_substring_regex(text, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")))
    quote, nothing = pa.scalar("'", pa.large_string()), pa.scalar("", pa.large_string())
    return pc.if_else(risky, pc.binary_join_element_wise(quote, text, nothing), text)


class PerRowWriter:
    """``--per-row FILE``: a ``row`` column (and ``id``, the file's ``id_column``), then one column
    per pair and loss, written chunk by chunk to a temporary file that replaces FILE only when the
    run succeeds. The columns are those of the first chunk: a loss skipped from a later chunk on
    has empty cells from there (its report lists it as skipped)."""

    def __init__(self, path: str, with_file: bool, id_column: str | None = None) -> None:
        self.path = path
        self.with_file = with_file
        self.id_column = id_column
        self._writer: Any = None
        self._files = ExitStack()  # the temporary file, replacing FILE on success
        self._schema: pa.Schema | None = None

    def write(self, frame: Frame, columns: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Write one chunk: ``columns`` maps a column name to (positions, terms)."""
        import pyarrow.csv as pacsv

        from .atomic import replacing, signals_deferred
        from .frame import arrow_repeated

        data: dict[str, Any] = {"row": arrow_numbers(np.arange(1, frame.n_rows + 1) + frame.offset)}
        if self.with_file:
            data = {"file": arrow_repeated(spreadsheet(frame.source), frame.n_rows), **data}
        if self.id_column is not None:
            data["id"] = _no_formulas(frame.column(self.id_column).data, frame.where(self.id_column))
        for name, (positions, terms) in columns.items():
            full = np.zeros(frame.n_rows)
            full[positions] = terms
            evaluated = np.zeros(frame.n_rows, dtype=bool)
            evaluated[positions] = True
            data[spreadsheet(name)] = arrow_numbers(full, evaluated)  # rows not evaluated (--dropna) stay empty
        if self._schema is None:
            table = pa.Table.from_arrays(list(data.values()), names=list(data))
            self._schema = table.schema
            with signals_deferred():  # (the file made and its cleanup registered, with no signal between)
                tmp = self._files.enter_context(replacing(self.path, "--per-row"))
            self._writer = pacsv.CSVWriter(tmp, self._schema)
        else:  # the first chunk's columns, in its order (a loss skipped since: empty cells)
            empty = pa.nulls(frame.n_rows, pa.float64())
            table = pa.Table.from_arrays([data.get(field.name, empty) for field in self._schema],
                                         schema=self._schema)
        try:
            self._writer.write_table(table)
        except OSError as error:  # a full disk: the temporary file is removed when the run ends
            raise UsageError(f"--per-row {self.path}: cannot write it ({error})") from None

    @property
    def has_terms(self) -> bool:
        """The file has a column of loss terms (not only row numbers and ids)."""
        return self._schema is not None and any(name not in ("file", "row", "id") for name in self._schema.names)

    def close(self, ok: bool) -> None:
        """Replace FILE with what was written (``ok``), or remove it."""
        if self._writer is not None:
            self._writer.close()
        if ok:
            self._files.close()
        else:
            self._files.__exit__(RuntimeError, RuntimeError("the evaluation failed"), None)
