"""Reading predictions and labels: files, stdin, compression, parquet -> a :class:`Frame`.

CSV goes through pyarrow's multi-threaded reader (the fastest here); compression is recognised by
its magic bytes, whatever the file is called; the delimiter is sniffed from the first lines unless
given. A labels file is joined to the predictions on an id column, or row by row. Bad cells become
a :class:`~losscli.errors.DataError` naming the file, column and row.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import DataError, UsageError, closest, where

DELIMITERS = ",;\t|"
NULL_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "#N/A", "#NA", "?"]  # empty cells
NUMBERS_AS_TEXT = b"losscli.numbers_as_text"  # table metadata: numeric columns read as text (a bad cell)
SNIFF_BYTES = 64 * 1024
MAX_LINE_BYTES = 64 << 20  # a line (a header, a row) longer than this is refused: memory stays bounded
BLOCK_BYTES = 1 << 20  # CSV text per block: one thread parses it, and the losses take it as one chunk
FIRST_CHUNK_BYTES = 1 << 22  # at most this much text in the first chunk, which decides the plan:
FIRST_CHUNK_ROWS = 10_000  # about this many rows (at least a block): nothing overlaps the planning
CHUNK_BYTES = 1 << 21  # CSV text parsed at once (in blocks, on all cores): memory is bounded by it, not by the file
CHUNK_CELLS = 1 << 21  # cells (rows × columns) per evaluated chunk of a parquet file
MAGIC = {  # first bytes -> compression
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}


@dataclass
class Column:
    """One column as read. ``rows`` maps its position to its row in ``source`` (None: the same)."""

    name: str
    data: pa.ChunkedArray
    source: str
    rows: np.ndarray | None = None
    offset: int = 0  # rows of ``source`` before this chunk
    numbers: bool = False  # text only because a cell is not a number: a numeric column all the same
    written: str | None = None  # the name in its file, when the frame renamed it (joined files: y -> y_true)

    @property
    def shown(self) -> str:
        """The column's name as its file writes it (for messages)."""
        return self.written or self.name

    def row(self, i: int) -> int:
        """The 1-based data row in ``source`` of position ``i``."""
        return int(self.rows[i] if self.rows is not None else i) + self.offset + 1


@dataclass
class Frame:
    """The columns of one evaluation: predictions, plus joined labels if they came apart."""

    columns: dict[str, Column]
    n_rows: int
    source: str
    labels_source: str | None = None
    key: str | None = None
    roles: dict[str, str] = field(default_factory=dict)  # column -> "true" | "pred" (two files)
    offset: int = 0  # rows of the source before this chunk (row numbers in messages count from it)
    join: str | None = None  # with a labels file: how the two were joined (on which key, or row by row)
    _number_cache: dict[str, tuple[np.ndarray, bool]] = field(default_factory=dict, init=False, repr=False,
                                                             compare=False)
    _range_cache: dict[str, tuple[float, float]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _text_cache: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)
    _text_kind: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def column(self, name: str) -> Column:
        if name not in self.columns:
            raise UsageError(f"{self.source}: no column '{name}'{closest(name, self.columns)}; "
                             f"columns: {', '.join(self.columns)}")
        return self.columns[name]

    def is_text(self, name: str) -> bool:
        """A column of text: not numbers that the reader read as text because of a bad cell
        (``Column.numbers``), nor numbers whose values say so (:func:`broken_numbers`)."""
        col = self.column(name)
        if not _is_string_type(col.data.type) or col.numbers:
            return False
        found = self._text_kind.get(name)
        if found is None:
            names, codes = self._encoded(name)
            counts: dict[str, int] = {}
            for value, count in zip(names, np.bincount(codes[codes >= 0], minlength=len(names)).tolist()):
                if value and count:
                    counts[value] = counts.get(value, 0) + count
            found = self._text_kind[name] = not broken_numbers(counts)
        return found

    def is_boolean(self, name: str) -> bool:
        """A column of booleans (``True``/``False`` cells)."""
        return pa.types.is_boolean(self.column(name).data.type)

    def is_number(self, name: str) -> bool:
        """A column read as numbers (or booleans)."""
        return _is_number_type(self.column(name).data.type)

    def missing(self, name: str) -> np.ndarray:
        """True where the cell is empty, NA or NaN."""
        data = self.column(name).data
        if _is_number_type(data.type):
            return np.isnan(self._floats(name))  # empty cells are NaN there too
        if _is_string_type(data.type):
            names, codes = self._encoded(name)
            return np.array([n == "" for n in names] + [True])[codes]  # blank, or empty (code −1)
        return to_numpy(data.is_null()) if data.null_count else np.zeros(len(data), dtype=bool)

    def surely_complete(self, name: str) -> bool:
        """True when a numeric column has no empty or NaN cell, known from its null count and its range."""
        data = self.column(name).data
        return _is_number_type(data.type) and data.null_count == 0 and self._numbers(name)[1]

    def _floats(self, name: str) -> np.ndarray:
        """A numeric column as float64, empty cells NaN."""
        return self._numbers(name)[0]

    def _numbers(self, name: str) -> tuple[np.ndarray, bool]:
        """A numeric column as float64 (empty cells NaN), and whether every value is finite (integers
        without empty cells are; other columns by their range); both once per frame."""
        found = self._number_cache.get(name)
        if found is None:
            data = _one_array(self.column(name).data)
            if pa.types.is_decimal(data.type):
                data = data.cast(pa.float64())
            values = to_numpy(data).astype(np.float64, copy=False)
            if data.null_count and pa.types.is_boolean(data.type):
                values[~_valid(data)] = np.nan
            if (pa.types.is_integer(data.type) and data.null_count == 0) or len(values) == 0:
                finite = True
            else:  # min and max are finite only when every value is (NaN and ±inf show in them)
                finite = bool(np.isfinite(self.value_range(name, values)).all())
            found = self._number_cache[name] = (values, finite)
        return found

    def numeric_or_none(self, name: str) -> np.ndarray | None:
        """A numeric column as float64 when every value is finite, else None: for decisions that
        look at values (pairing), which never raise."""
        if not self.is_number(name):
            return None
        values, finite = self._numbers(name)
        return values if finite else None

    def value_range(self, name: str, values: np.ndarray | None = None) -> tuple[float, float]:
        """The smallest and largest value of a numeric column (NaN if it holds one), once per frame."""
        found = self._range_cache.get(name)
        if found is None:
            values = self._floats(name) if values is None else values
            found = self._range_cache[name] = (float(values.min()), float(values.max()))
        return found

    def numeric(self, name: str, keep: np.ndarray | None = None) -> np.ndarray:
        """The column as float64 (bools as 0/1); a cell that is not a finite number is a DataError."""
        col = self.column(name)
        data = col.data
        if _is_number_type(data.type):
            values, finite = self._numbers(name)
            if keep is None and finite:
                return values
        elif _is_string_type(data.type):
            values = _text_to_numbers(col)
        elif pa.types.is_binary(data.type) or pa.types.is_large_binary(data.type):
            raise DataError(f"{self.where(name)}is not valid UTF-8 text; save the file as UTF-8")
        elif pa.types.is_null(data.type):
            values = np.full(len(data), np.nan)
        else:
            raise DataError(f"{self.where(name)}holds {data.type} values, not numbers; "
                            "pass the right column with --true/--pred")
        if keep is not None:
            values = values[keep]
        with np.errstate(over="ignore"):
            bad = None if np.isfinite(values.sum()) else ~np.isfinite(values)  # a finite sum: all finite
        if bad is not None and bad.any():
            i = int(np.flatnonzero(bad)[0])
            i = int(np.flatnonzero(keep)[i]) if keep is not None else i
            raise DataError(f"{self.where(name, i)}{values[bad][0]} is not a finite number "
                            f"({int(bad.sum())} cell(s) in all); fix the data or use --dropna for empty cells")
        return values

    def text(self, name: str, keep: np.ndarray | None = None) -> np.ndarray:
        """The column's values as stripped strings (an object array; None for empty cells)."""
        names, codes = self._encoded(name)
        values = np.array(names + [None], dtype=object)[codes]
        return values if keep is None else values[keep]

    def _encoded(self, name: str) -> tuple[list[str], np.ndarray]:
        """The column as text, dictionary-encoded once per frame: its distinct values, stripped, and
        each row's index among them (−1 for an empty cell). Strings are stripped per distinct value,
        not per row."""
        found = self._text_cache.get(name)
        if found is None:
            data = _one_array(self.column(name).data)
            names, codes = _dictionary(data if _is_string_type(data.type) else data.cast(pa.string()))
            found = self._text_cache[name] = ([value.strip() for value in names], codes)
        return found

    def factorized(self, name: str, keep: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
        """A text column's distinct stripped values (of the rows kept), sorted, and each row's
        position among them: Arrow's dictionary encoding, with no Python string per row."""
        names, codes = self._encoded(name)
        if keep is not None:
            codes = codes[keep]  # (rows with empty cells are never kept)
        present = sorted({names[i] for i in np.flatnonzero(np.bincount(codes, minlength=len(names)))})
        position = {value: i for i, value in enumerate(present)}  # distinct values may strip alike
        return present, np.array([position.get(value, 0) for value in names], dtype=np.intp)[codes]

    def distinct_text(self, name: str) -> list[str]:
        """A text column's distinct non-empty values, stripped and sorted (empty cells ignored)."""
        names, codes = self._encoded(name)
        present = np.bincount(codes[codes >= 0], minlength=len(names))
        return sorted({names[i] for i in np.flatnonzero(present)} - {""})

    def locate(self, name: str, i: int) -> str:
        """``file, column 'c', row r: `` for position ``i`` of column ``name``."""
        return self.where(name, i)

    def where(self, name: str, i: int | None = None) -> str:
        """``file, column 'c'[, row r]: `` for column ``name`` (as its file names it) and position ``i``."""
        col = self.column(name)
        return where(col.source, col.shown, None if i is None else col.row(i))


FORMATTED_NUMBER = re.compile(r"^[$€£¥+-]*\s*\d[\d.,' ]*%?$")  # 1,234.50  351.000,00  $3510  12 %
DECIMAL_COMMA_CELL = re.compile(r"^[-+]?\d+,\d+$")


def _is_number(value: str) -> bool:
    from .pairing import as_number

    return as_number(value) != ""


BROKEN_CELLS = 2  # a numeric column read as text holds at most this many cells that are not numbers


def broken_numbers(counts: dict[str, int]) -> bool:
    """Whether a text column (its distinct values and their cell counts) holds numbers, not class
    names: numbers with a few broken cells (``0.4"``, ``1x``: at most two cells, each with a digit,
    among at least two distinct numbers), or numbers written for display (thousands separators,
    currency signs, decimal commas). Its bad cells are reported with their rows
    (:func:`_text_to_numbers`); a class like ``3+`` in many rows stays a class."""
    bad = [v for v in counts if not _is_number(v)]
    if len(counts) >= 2 and bad and all(FORMATTED_NUMBER.match(v) for v in counts):
        return True
    return len(counts) - len(bad) >= 2 and sum(counts[v] for v in bad) <= BROKEN_CELLS \
        and all(any(ch.isdigit() for ch in v) for v in bad)


def _is_string_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _is_number_type(kind: pa.DataType) -> bool:
    return pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind) \
        or pa.types.is_decimal(kind)


def _one_array(data: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(data, pa.ChunkedArray):
        return data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)
    return data


def _valid(data: pa.Array) -> np.ndarray:
    """True where ``data`` holds a value (its validity bitmap as booleans)."""
    if data.null_count == 0:
        return np.ones(len(data), dtype=bool)
    bits = np.unpackbits(np.frombuffer(data.buffers()[0], dtype=np.uint8), bitorder="little")
    return bits[data.offset:data.offset + len(data)].astype(bool)


def to_numpy(data: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow column as numpy, read from its buffers (pyarrow's own ``to_numpy`` imports pandas,
    a tenth of a second, and its casts pyarrow.compute, a twentieth): floats with NaN for empty
    cells, integers as int64 (float64 with NaN when some are empty), booleans (False when empty),
    and text as an object array of str (None for empty cells)."""
    data = _one_array(data)
    kind = data.type
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        if kind not in (pa.float64(), pa.int64()):
            data = data.cast(pa.float64() if pa.types.is_floating(kind) else pa.int64())
        dtype = np.float64 if data.type == pa.float64() else np.int64
        values = np.frombuffer(data.buffers()[1], dtype=dtype, count=len(data), offset=data.offset * 8)
        if data.null_count:
            values = values.astype(np.float64)
            values[~_valid(data)] = np.nan
        return values
    if pa.types.is_boolean(kind):
        bits = np.unpackbits(np.frombuffer(data.buffers()[1], dtype=np.uint8), bitorder="little")
        return bits[data.offset:data.offset + len(data)].astype(bool) & _valid(data)
    if _is_string_type(kind):
        names, codes = _dictionary(data)
        return np.array(names + [None], dtype=object)[codes]
    return data.to_numpy(zero_copy_only=False)


def arrow_numbers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A 1-D numpy array of numbers as Arrow, through its buffer (``pa.array`` would import pandas);
    cells where ``valid`` is False are empty."""
    values = np.ascontiguousarray(values, dtype=np.float64 if values.dtype.kind == "f" else np.int64)
    kind = pa.float64() if values.dtype.kind == "f" else pa.int64()
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = 0 if valid is None else int(len(valid) - np.count_nonzero(valid))
    return pa.Array.from_buffers(kind, len(values), [bitmap, pa.py_buffer(values)], null_count=nulls)


def arrow_repeated(text: str, n: int) -> pa.Array:
    """``text`` n times, as an Arrow string array built from its buffers."""
    encoded = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(encoded)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(encoded * n)])


def _dictionary(data: pa.Array) -> tuple[list[str], np.ndarray]:
    """A string array's distinct values and each cell's index among them, −1 where empty (read from
    the buffers: ``pc.fill_null`` with a Python number would import pandas, a fifth of a second)."""
    encoded = data.dictionary_encode()
    indices = encoded.indices
    codes = np.frombuffer(indices.buffers()[1], dtype=np.int32, count=len(indices), offset=indices.offset * 4)
    codes = codes.astype(np.intp)
    if indices.null_count:
        codes[~_valid(indices)] = -1
    return encoded.dictionary.to_pylist(), codes


def cut(value: object, size: int = 60) -> str:
    """A cell's text for a message: quoted, on one line, at most ``size`` characters."""
    from .escape import one_line

    text = one_line(value)
    return repr(text if len(text) <= size else text[:size] + "…")


def _text_to_numbers(col: Column) -> np.ndarray:
    """Parse a text column; the first cell that is not a number is reported with its row."""
    import pyarrow.compute as pc

    stripped = pc.utf8_trim_whitespace(col.data)
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, stripped.type), stripped)  # blank: empty
    try:
        return to_numpy(stripped.cast(pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    import pandas as pd

    raw = to_numpy(stripped)
    parsed = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(parsed) & pd.notna(raw) & (pd.Series(raw).astype(str).str.len() > 0).to_numpy()
    i = int(np.flatnonzero(bad)[0])
    cell = str(raw[i])
    if DECIMAL_COMMA_CELL.match(cell):
        advice = "decimal commas: pass --decimal ,"
    elif FORMATTED_NUMBER.match(cell):
        advice = "a number written for display (thousands separators, currency): save plain numbers"
    else:
        advice = "this column holds numbers: fix the cell (or leave it empty and pass --dropna)"
    raise DataError(f"{where(col.source, col.shown, col.row(i))}{cut(cell)} is not a number "
                    f"({int(bad.sum())} cell(s) in all); {advice}")


# --------------------------------------------------------------------------------------------
# Files


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _open_raw(path: str) -> IO[bytes]:
    """The file (or standard input) as a buffered binary stream that can ``peek``."""
    if path == "-":
        return sys.stdin.buffer if hasattr(sys.stdin.buffer, "peek") else io.BufferedReader(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a file") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None


def _peek(raw: IO[bytes], size: int) -> bytes:
    """The first bytes of ``raw`` without consuming them (standard input cannot seek)."""
    if hasattr(raw, "peek"):
        return raw.peek(size)[:size]
    head = raw.read(size)
    raw.seek(0)
    return head


def _decompressed(raw: IO[bytes], path: str) -> IO[bytes]:
    """``raw`` itself, or a stream that decompresses it, chosen by its magic bytes."""
    head = _peek(raw, 8)
    for magic, codec in MAGIC.items():
        if head.startswith(magic):
            if codec == "gzip":
                return gzip.GzipFile(fileobj=raw)
            if codec == "bz2":
                return bz2.BZ2File(raw)
            if codec == "xz":
                return lzma.LZMAFile(raw)
            return pa.PythonFile(pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd"), mode="r")
    return raw


def sniff_delimiter(sample: bytes, path: str) -> str:
    """The delimiter of ``sample``: ``.tsv`` means tab; else csv.Sniffer over , ; tab |."""
    if ".tsv" in Path(path).suffixes or ".tab" in Path(path).suffixes:
        return "\t"
    text = sample.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end inside a line
    header = lines[0] if lines else ""
    try:
        found = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
        if found in header:
            return found
    except csv.Error:
        pass
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_table(path: str, delimiter: str | None = None, decimal: str | None = None) -> pa.Table:
    """Read one whole CSV/TSV/parquet file (or ``-``) into a pyarrow Table with at least one row."""
    return pa.concat_tables(list(iter_tables(path, delimiter, chunk_cells=None, decimal=decimal)))


class ColumnChoice:
    """The columns that the CSV pieces still to be parsed need: all of them until :meth:`keep` is
    told (once the first chunk has decided the pairs), then only those, so that a file's other
    columns (ids, features, text) are not converted. Read by the reading thread before each piece;
    ``also`` passes the choice on to the reader of a stream begun earlier."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        self.names: tuple[str, ...] | None = None if names is None else tuple(names)
        self._also: list[ColumnChoice] = []

    def keep(self, names: Iterable[str]) -> None:
        self.names = tuple(dict.fromkeys(names))
        for other in self._also:
            other.keep(self.names)

    def also(self, other: ColumnChoice) -> None:
        self._also.append(other)
        if self.names is not None:
            other.keep(self.names)


def _chosen(columns: ColumnChoice | None, available: Iterable[str]) -> list[str] | None:
    """The chosen columns that ``available`` has; None (every column) before a choice, or when it
    has none of them (the evaluation then names what is missing)."""
    if columns is None or columns.names is None:
        return None
    present = set(available)
    return [c for c in columns.names if c in present] or None


def iter_tables(path: str, delimiter: str | None = None, chunk_cells: int | None = CHUNK_CELLS,
                columns: ColumnChoice | None = None, decimal: str | None = None) -> Iterator[pa.Table]:
    """The file as tables of about ``chunk_cells`` cells each (None: one table), read as a stream.

    The format is read from the bytes, never from the name: parquet, Arrow IPC (file or stream,
    Feather), then, once decompressed, JSON lines or CSV/TSV; anything else is refused.

    Memory stays bounded by a chunk, whatever the file's size. Column types come from the first
    64 KiB (a later "0.5" in an integer column is still a number; columns empty there are text);
    a cell that is not a number is reported with its row where its column is used. CSV pieces
    and parquet row groups read once ``columns`` has names hold just those columns.
    """
    name = display_name(path)
    raw = _open_raw(path)
    try:
        head = _peek(raw, 8)
        if head.startswith(b"PAR1"):
            chunks = _first_rows_apart(_parquet_chunks(raw, path, name, chunk_cells, columns), chunk_cells)
        elif head.startswith((ARROW_FILE, ARROW_STREAM, FEATHER_V1)):
            chunks = _first_rows_apart(_arrow_chunks(raw, path, name, chunk_cells), chunk_cells)
        else:
            chunks = _text_chunks(raw, path, name, delimiter, decimal, chunk_cells, columns)
        rows = 0
        for table in chunks:
            if rows == 0:
                _check_header(table, name)
            if table.num_rows:
                rows += table.num_rows
                yield table
        if rows == 0:
            raise DataError(f"{name}: has a header but no data rows")
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def _first_rows_apart(tables: Iterator[pa.Table], chunk_cells: int | None) -> Iterator[pa.Table]:
    """``tables`` with the first FIRST_CHUNK_ROWS rows as a chunk of their own (when read in chunks),
    as CSV reads them: the first rows decide the plan, and the rows after are held to it (a file of
    probabilities that turns to logits is refused at the row where it turns, whatever its format)."""
    first = True
    for table in tables:
        if first and chunk_cells is not None and table.num_rows > FIRST_CHUNK_ROWS:
            yield table.slice(0, FIRST_CHUNK_ROWS)
            table = table.slice(FIRST_CHUNK_ROWS)
        first = False
        yield table


def _check_header(table: pa.Table, name: str) -> None:
    from collections import Counter

    duplicated = sorted(name for name, count in Counter(table.column_names).items() if count > 1)
    if duplicated:
        raise DataError(f"{name}: the header names column(s) {', '.join(map(repr, duplicated))} more than "
                        "once; rename them")


def _rows_per_chunk(columns: int, chunk_cells: int | None) -> int | None:
    return None if chunk_cells is None else max(1 << 16, chunk_cells // max(columns, 1))


def _parquet_chunks(raw: IO[bytes], path: str, name: str, chunk_cells: int | None,
                    columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """The parquet file a row group at a time, in batches of about ``chunk_cells`` cells; row groups
    begun once ``columns`` is chosen are read for just those columns (the others are not decoded).
    Arrow opens the file itself (standard input is read whole first: the footer is at the end), so
    that its threads never hold a Python object (see :func:`_arrow_owned`)."""
    import pyarrow.parquet as pq

    try:
        source = pa.OSFile(path) if path != "-" and raw.seekable() else \
            pa.BufferReader(_arrow_owned(memoryview(raw.read())))
        with source:
            parquet = pq.ParquetFile(source)
            size = _rows_per_chunk(len(parquet.schema_arrow), chunk_cells) or max(parquet.metadata.num_rows, 1)
            for group in range(parquet.num_row_groups):
                chosen = _chosen(columns, parquet.schema_arrow.names)
                for batch in parquet.iter_batches(batch_size=size, row_groups=[group], columns=chosen):
                    yield pa.Table.from_batches([batch])
            if parquet.metadata.num_rows == 0:
                yield parquet.schema_arrow.empty_table()
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{name}: not a readable parquet file ({error})") from None


def _text_chunks(raw: IO[bytes], path: str, name: str, delimiter: str | None, decimal: str | None,
                 chunk_cells: int | None, columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """A text file, decompressed: JSON lines (:func:`_json_lines_chunks`), or a CSV as tables cut at
    line ends: a first chunk of about FIRST_CHUNK_ROWS rows whole (it decides the plan), then pieces
    of CHUNK_BYTES parsed on all cores and handed on block by block (about BLOCK_BYTES of text
    each), holding just the ``columns`` chosen once they are. Anything else is refused
    (:func:`text_kind`); the delimiter and decimal mark are sniffed unless given.

    Each piece goes through pyarrow's multi-threaded reader with the column types fixed from the
    first 64 KiB (columns empty there read as text). A numeric column with a cell that does not fit
    is read as text in that piece (see :func:`_parse_piece`): "0.5" in an integer column is still a
    number, and the column is read as float64 from then on. Values may not contain line breaks
    (pyarrow's default too).
    """
    try:
        stream = _decompressed(raw, path)
        sample = stream.read(SNIFF_BYTES)
        while sample.count(b"\n") < 2 and len(sample) < MAX_LINE_BYTES:  # a wide header, or a long first row
            more = stream.read(len(sample))
            if not more:
                break
            sample += more
    except (OSError, EOFError, lzma.LZMAError, pa.ArrowException) as error:
        raise DataError(f"{name}: cannot be decompressed ({error})") from None
    if sample.count(b"\n") < 2 and len(sample) >= MAX_LINE_BYTES:
        raise DataError(f"{name}: no line break in the first {MAX_LINE_BYTES >> 20} MiB; not a CSV of rows "
                        "(lines longer than that are not read)")
    if not sample.strip():
        raise DataError(f"{name}: the file is empty; expected a CSV with a header row")
    kind = text_kind(sample)
    if kind == "json lines":
        yield from _json_lines_chunks(stream, sample, name, chunk_cells)
        return
    if kind != "csv":
        raise DataError(f"{name}: {kind}, not a format losscli reads (CSV/TSV, JSON lines, parquet, Arrow IPC/"
                        "Feather); save it as one of those")
    if found := EXCEL_SEP_LINE.match(sample):  # Excel's "sep=;" line before the header names the delimiter
        sample = sample[found.end():]
        delimiter = delimiter or found.group(1).decode()
    if sample[:_header_end(sample)].count(b'"') % 2:
        raise DataError(f"{name}: a column name in the header holds a line break (inside quotes); rename the column "
                        "so that the header is one line")
    if delimiter is None:
        delimiter = sniff_delimiter(sample, path)
    if decimal is None:
        decimal = sniff_decimal(sample, delimiter)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    whole_lines = sample if len(sample) < SNIFF_BYTES else sample[: sample.rfind(b"\n") + 1] or sample
    try:
        head = pacsv.read_csv(pa.BufferReader(_arrow_owned(memoryview(whole_lines))), parse_options=parse,
                              read_options=pacsv.ReadOptions(block_size=len(whole_lines) + 1),
                              convert_options=pacsv.ConvertOptions(strings_can_be_null=True, decimal_point=decimal,
                                                                   null_values=NULL_VALUES))
    except pa.ArrowInvalid as error:
        raise _parse_error(error, name, delimiter, whole_lines[_header_end(whole_lines):]) from None
    _check_header(head, name)
    types = {f.name: pa.string() if pa.types.is_null(f.type) else pa.int64() if pa.types.is_integer(f.type)
             else f.type for f in head.schema}
    first = _first_chunk_bytes(whole_lines) if chunk_cells is not None else None
    rows = 0
    for piece in _stream_pieces(stream, sample[_header_end(sample):], first, name):
        if _blank(piece):
            continue
        table = _parse_piece(piece, list(types), types, parse, name, delimiter, _chosen(columns, types), decimal, rows)
        for column in _numbers_as_text(table):  # an integer column with a decimal: float64 from now on
            if pa.types.is_integer(types[column]):
                types[column] = pa.float64()
        if first is None or rows == 0:  # the whole file, or the first chunk (it decides the plan)
            yield table
        else:  # one table per parsed block: numpy reads its columns in place, no concatenation
            for batch in table.to_batches():
                yield pa.Table.from_batches([batch])
        rows += table.num_rows
    if rows == 0:
        yield pa.schema(list(types.items())).empty_table()


BINARY_MAGIC = {b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook?)",
                b"\xd0\xcf\x11\xe0": "an Excel .xls workbook (or another OLE file)",
                b"%PDF": "a PDF document", b"\x89HDF": "an HDF5 file", b"\x93NUMPY": "a numpy .npy array",
                b"SQLite format": "an SQLite database"}


def text_kind(sample: bytes) -> str:
    """What the first bytes (decompressed) are: ``"csv"``, ``"json lines"``, or the description of
    a format losscli does not read (a JSON array, a spreadsheet, binary data)."""
    for magic, what in BINARY_MAGIC.items():
        if sample.startswith(magic):
            return what
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) or sample[1:200:2].count(b"\x00") > 50:
        return "UTF-16 text (Excel's 'Unicode Text'; save it as 'CSV UTF-8')"
    if b"\x00" in sample[:4096]:
        return "binary data"
    header = sample[:_header_end(sample)]
    try:
        header.decode("utf-8") if header.endswith(b"\n") else header[:-4].decode("utf-8")  # (may end mid-character)
    except UnicodeDecodeError:
        return "a header that is not UTF-8 text (Windows-1252, as Excel's 'CSV (Comma delimited)'? save it as 'CSV UTF-8')"
    text = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "json lines"
    if text.startswith(b"["):
        return ("a JSON array (losscli reads JSON lines, one object per line: pandas "
                "to_json(orient='records', lines=True))")
    return "csv"


EXCEL_SEP_LINE = re.compile(rb"(?:\xef\xbb\xbf)?\"?sep=(.)\"?\r?\n")  # Excel's first line naming the delimiter
DECIMAL_COMMA = re.compile(rb"(?:^|[;\t|])\s*\"?[-+]?\d+,\d+(?:[eE][-+]?\d+)?\"?\s*(?=[;\t|\r\n]|$)", re.M)
DECIMAL_POINT = re.compile(rb"(?:^|[;\t|])\s*\"?[-+]?\d*\.\d+(?:[eE][-+]?\d+)?\"?\s*(?=[;\t|\r\n]|$)", re.M)


def sniff_decimal(sample: bytes, delimiter: str) -> str:
    """``,`` when the cells of a file delimited by something other than a comma write numbers with
    decimal commas (``0,81`` — Excel in much of Europe) and none with decimal points; else ``.``."""
    if delimiter == ",":
        return "."
    body = sample[_header_end(sample):]
    return "," if DECIMAL_COMMA.search(body) and not DECIMAL_POINT.search(body) else "."


def _json_lines_chunks(stream: IO[bytes], sample: bytes, name: str, chunk_cells: int | None) -> Iterator[pa.Table]:
    """JSON lines (one object per line), read whole by pyarrow's JSON reader and handed on in chunks
    of about ``chunk_cells`` cells (the plan still comes from the first)."""
    import pyarrow.json as pajson

    try:
        text = sample + stream.read()
        table = pajson.read_json(pa.BufferReader(_arrow_owned(memoryview(text))))
    except (pa.ArrowInvalid, OSError, EOFError, lzma.LZMAError) as error:
        raise DataError(f"{name}: not readable JSON lines ({error}); every line must be one JSON object "
                        "with the same keys and value types") from None
    size = _rows_per_chunk(table.num_columns, chunk_cells) or max(table.num_rows, 1)
    yield from _first_rows_apart((table.slice(start, size) for start in range(0, max(table.num_rows, 1), size)),
                                 chunk_cells)


ARROW_FILE = b"ARROW1"  # Arrow IPC file format (Feather v2)
ARROW_STREAM = b"\xff\xff\xff\xff"  # Arrow IPC stream format: a continuation marker, then a message
FEATHER_V1 = b"FEA1"


def _arrow_chunks(raw: IO[bytes], path: str, name: str, chunk_cells: int | None) -> Iterator[pa.Table]:
    """An Arrow IPC file (Feather) or stream, a record batch at a time, in chunks of about
    ``chunk_cells`` cells. Arrow opens a file itself; standard input is read whole first."""
    from pyarrow import feather, ipc

    try:
        head = _peek(raw, 8)
        source = pa.OSFile(path) if path != "-" and raw.seekable() else \
            pa.BufferReader(_arrow_owned(memoryview(raw.read())))
        with source:
            if head.startswith(FEATHER_V1):
                whole = feather.read_table(source)
                schema, batches = whole.schema, iter(whole.to_batches())
            elif head.startswith(ARROW_FILE):
                reader = ipc.open_file(source)
                schema, batches = reader.schema, (reader.get_batch(i) for i in range(reader.num_record_batches))
            else:
                stream = ipc.open_stream(source)
                schema, batches = stream.schema, iter(stream)
            rows = 0
            for batch in batches:
                size = _rows_per_chunk(batch.num_columns, chunk_cells) or max(batch.num_rows, 1)
                for start in range(0, batch.num_rows, size):
                    rows += min(size, batch.num_rows - start)
                    yield pa.Table.from_batches([batch.slice(start, size)])
            if rows == 0:
                yield schema.empty_table()
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{name}: not a readable Arrow IPC/Feather file ({error})") from None


def _arrow_owned(text: memoryview) -> pa.Buffer:
    """``text`` copied into a buffer Arrow owns. pyarrow's CSV reader drops its input on one of
    its own threads, sometimes after ``read_csv`` has returned; dropping a buffer that Python owns
    takes the interpreter there, and when that comes as the interpreter shuts down, the process
    aborts ("terminate called without an active exception", exit 134)."""
    buffer = pa.allocate_buffer(len(text))
    memoryview(buffer).cast("B")[:] = text
    return buffer


def _stream_pieces(stream: IO[bytes], pending: bytes, first: int | None, name: str) -> Iterator[pa.Buffer]:
    """The stream's text after ``pending`` (what the sample read of it) in whole lines: ``first``
    bytes' worth, then CHUNK_BYTES at a time (``first`` None: all of it at once), each copied into
    memory Arrow owns (see :func:`_arrow_owned`)."""
    text = bytearray(pending)  # not yet handed on: appended to, never copied whole
    size = first
    eof = False
    while not (eof and not text):
        try:
            while not eof and (size is None or len(text) < size or _line_end(text, size) is None):
                if size is not None and len(text) > size + MAX_LINE_BYTES:
                    raise DataError(f"{name}: a line longer than {MAX_LINE_BYTES >> 20} MiB; lines that long are "
                                    "not read")
                more = stream.read(max(size or 0, 1 << 20) if size is None else size)
                eof = not more
                text += more
        except (OSError, EOFError, lzma.LZMAError, pa.ArrowException) as error:
            raise DataError(f"{name}: cannot be read ({error})") from None
        cut = len(text) if size is None or len(text) <= size else (_line_end(text, size) or len(text))
        piece = _arrow_owned(memoryview(text)[:cut])
        text = text[cut:]
        yield piece
        size = CHUNK_BYTES if size is not None else None


def _first_chunk_bytes(sample: bytes) -> int:
    """The size of the first chunk: FIRST_CHUNK_ROWS rows at the sample's bytes per row, at least a
    block, at most FIRST_CHUNK_BYTES (the plan needs rows, not megabytes, and is made alone)."""
    per_row = len(sample) / max(sample.count(b"\n"), 1)
    return min(FIRST_CHUNK_BYTES, max(BLOCK_BYTES, int(per_row * FIRST_CHUNK_ROWS)))


def _blank(piece: pa.Buffer) -> bool:
    """True when the piece holds only whitespace (blank lines at the end of a file)."""
    return not bytes(piece[:64]).strip() and not bytes(piece).strip()


def _line_end(buffer: bytes | bytearray, size: int, start: int = 0) -> int | None:
    """Where to cut ``buffer`` near ``size`` bytes past ``start``: after the last line end before
    that, or after the first one past it (a longer line); None when there is no line end past start."""
    at = buffer.rfind(b"\n", start, start + size)
    if at < 0:
        at = buffer.find(b"\n", start + size)
    return at + 1 if at >= 0 else None


def _header_end(sample: bytes) -> int:
    """Where the first data line starts (after the header line)."""
    end = sample.find(b"\n")
    return len(sample) if end < 0 else end + 1


def _parse_piece(piece: pa.Buffer, names: list[str], types: dict[str, pa.DataType], parse: pacsv.ParseOptions,
                 name: str, delimiter: str, wanted: list[str] | None = None, decimal: str = ".",
                 first_row: int = 0) -> pa.Table:
    """One run of whole lines through pyarrow's reader (just the ``wanted`` columns, if given);
    ``first_row`` rows of the file come before it.

    A numeric column with a cell that is not a number is read as text instead: where the column is
    used, the cell is reported with its row (``Frame.numeric``); a column no pair uses costs nothing.

    Every line must be a row. pyarrow cuts a piece into blocks at line ends and parses them apart, so
    a quote that opens a value and never closes loses the rest of its block with no error; when the
    rows do not match the lines, the piece is parsed again as one block, which reports the quote.
    """
    def read(column_types: dict[str, pa.DataType], one_block: bool = False) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(piece),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=not one_block,
                                           block_size=piece.size + 1 if one_block else BLOCK_BYTES),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                 column_types=column_types, include_columns=wanted or [],
                                                 decimal_point=decimal, null_values=NULL_VALUES))
    if _has_hex(piece):  # pyarrow reads 0x10 as the integer 16; as a float it is not a number
        types = {c: pa.float64() if pa.types.is_integer(t) else t for c, t in types.items()}
    column_types = dict(types)
    one_block = False  # parse the piece as one block: rows lost by blocks, or a row longer than a block
    while True:
        try:
            table = read(column_types, one_block)
            if not one_block and table.num_rows != _lines(piece):  # rows lost, or blank lines
                one_block = True
                continue
            fallen = [c for c in column_types if column_types[c] != types[c]]
            return table.replace_schema_metadata({NUMBERS_AS_TEXT: "\n".join(fallen)}) if fallen else table
        except pa.ArrowInvalid as error:
            if "straddl" in str(error) and not one_block:  # a row longer than a block
                one_block = True
                continue
            found = re.search(r"column #(\d+)", str(error))
            column = names[int(found.group(1))] if found and "conversion error" in str(error) else None
            if column is None or column_types[column] == pa.string():
                raise _parse_error(error, name, delimiter, piece, first_row) from None
            column_types[column] = pa.string()


NEWLINE = b"\n"


def _has_hex(piece: pa.Buffer) -> bool:
    """Whether the text holds ``0x``/``0X`` anywhere (a byte search; rare in prediction files)."""
    text = memoryview(piece).tobytes()
    return b"0x" in text or b"0X" in text


def _lines(piece: pa.Buffer) -> int:
    """The lines of a piece of whole lines (its line ends, and a last line without one)."""
    text = np.frombuffer(piece, dtype=np.uint8)
    return int(np.count_nonzero(text == 10)) + int(len(text) > 0 and text[-1] != 10)


def _parse_error(error: Exception, name: str, delimiter: str, text: pa.Buffer | bytes | None = None,
                 first_row: int = 0) -> DataError:
    """pyarrow's parse error as one line naming the row (``text`` holds it; ``first_row`` rows come
    before ``text``, whose first line is a data row) and the likely cause: a quote that does not
    close, or another delimiter."""
    from .escape import one_line

    message = str(error).replace("CSV parse error: ", "")
    found = re.match(r"(?:Row #(\d+): )?Expected (\d+) columns, got (\d+): (.*)", message, re.S)
    if found is None or text is None:
        return DataError(f"{name}: not a readable CSV ({one_line(message)[:200]}); delimiter {delimiter!r} — check "
                         "it or pass --delimiter")
    line = found.group(4).split("\n")[0]
    if found.group(1):  # pyarrow counts the rows of the piece
        row = f"row {first_row + int(found.group(1))}"
    else:
        data = bytes(text)
        at = data.find(line.encode()) if line else -1
        row = f"row {first_row + data.count(NEWLINE, 0, at) + 1}" if at >= 0 else "a row"
    cause = ("a quote (\") opens a value there and does not close it; quote the whole value or remove the quote"
             if line.count('"') % 2 else f"check the delimiter (now {delimiter!r}) or pass --delimiter")
    return DataError(f"{name}, {row}: {found.group(3)} field(s) where the header has {found.group(2)} "
                     f"({one_line(line)[:60]!r}); {cause}")


# --------------------------------------------------------------------------------------------
# One frame from one or two files


def _plain_column(data: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded columns (pandas categories in parquet) as their plain values."""
    return data.cast(data.type.value_type) if pa.types.is_dictionary(data.type) else data


def _numbers_as_text(table: pa.Table) -> list[str]:
    """The numeric columns that ``_parse_piece`` read as text (a cell was not a number)."""
    names = (table.schema.metadata or {}).get(NUMBERS_AS_TEXT, b"").decode()
    return names.split("\n") if names else []


def frame_from_table(table: pa.Table, source: str, offset: int = 0) -> Frame:
    numbers = set(_numbers_as_text(table))
    return Frame({name: Column(name, _plain_column(table.column(name)), source, offset=offset,
                               numbers=name in numbers)
                  for name in table.column_names}, table.num_rows, source, offset=offset)


def as_frame(source: Any, name: str, delimiter: str | None = None, decimal: str | None = None) -> Frame:
    """A path (or ``-``), a pandas DataFrame or a Frame, as a :class:`Frame`."""
    if isinstance(source, Frame):
        return source
    if isinstance(source, (str, Path)):
        return frame_from_table(read_table(str(source), delimiter, decimal), display_name(str(source)))
    try:
        table = pa.Table.from_pandas(source, preserve_index=None)  # an index other than 0…n−1 is a column
    except (TypeError, AttributeError, pa.ArrowException) as error:
        raise UsageError(f"{name}: expected a file path or a pandas DataFrame, not {type(source).__name__} "
                         f"({error})") from None
    if table.num_rows == 0:
        raise DataError(f"{name}: the DataFrame has no rows")
    return frame_from_table(table, f"<{name} DataFrame>")


def load(predictions: Any, labels: Any = None, on: str | None = None,
         delimiter: str | None = None, decimal: str | None = None) -> Frame:
    """The predictions (a path, ``-`` or a DataFrame), joined to labels on ``on``/``id`` or by row."""
    pred = as_frame(predictions, "predictions", delimiter, decimal)
    if labels is None:
        if on is not None:
            raise UsageError("--on joins a --labels file to the predictions; pass --labels too")
        return pred
    return join(pred, as_frame(labels, "labels", delimiter, decimal), on)


def _key_column(frame: Frame, on: str) -> Column:
    if on not in frame.columns:
        raise UsageError(f"--on {on}: {frame.source} has no column '{on}'{closest(on, frame.columns)}; "
                         f"columns: {', '.join(frame.columns)}")
    return frame.columns[on]


PANDAS_INDEX = "index_level_"  # pandas stores a DataFrame's index as __index_level_0__ (normalised: index_level_0)
KEY_WORDS = {"id", "ids", "index", "idx", "row", "row_id", "rowid", "uuid", "key", "sample", "sample_id",
             "unnamed_0", ""}  # column names (normalised) that are row identifiers


def is_key_like(name: str) -> bool:
    """A row identifier by its name: ``id``, ``PassengerId``, ``customer_id``, the pandas index."""
    from .pairing import normalise

    norm = normalise(name)
    return norm in KEY_WORDS or norm.endswith("_id") or (norm.endswith("id") and name[-2:] == "Id") \
        or norm.startswith(PANDAS_INDEX)


def _could_be_key(frame: Frame, name: str) -> bool:
    """Id-like by its name, or integers or text not named as labels or predictions (floats and
    label/prediction columns are data, even when their values happen to be unique)."""
    from .pairing import PRED_WORDS, TRUE_WORDS, normalise

    if is_key_like(name):
        return True
    kind = frame.column(name).data.type
    return (pa.types.is_integer(kind) or _is_string_type(kind) or pa.types.is_temporal(kind)) \
        and normalise(name) not in TRUE_WORDS | PRED_WORDS


@dataclass
class Join:
    """How a labels file meets the predictions: on ``key`` (``other_key`` in the labels file;
    ``order``: each row's row there), or row by row (``key`` None); ``how`` says why."""

    key: str | None
    other_key: str | None
    order: np.ndarray | None
    how: str


def _ids(frame: Frame, key: str) -> Any:
    """A key column's values as text (a pandas Index)."""
    import pandas as pd

    try:
        return pd.Index(to_numpy(_key_column(frame, key).data.cast(pa.string())))
    except pa.ArrowInvalid:
        raise DataError(f"{where(frame.source, key)}ids that are not valid UTF-8 text; save the file as UTF-8") from None


def _key_order(first: Frame, second: Frame, key: str, other_key: str,
                 hint: str) -> tuple[np.ndarray | None, str | None]:
    """For each row of ``first`` its row in ``second`` by ``key`` (``other_key`` there); or None and
    why they cannot join."""
    keys = []
    for frame, name in ((first, key), (second, other_key)):
        values = _ids(frame, name)
        if values.hasnans:
            i = int(np.flatnonzero(values.isna())[0])
            return None, f"{where(frame.source, name, i + 1)}empty join id; every row needs an id"
        if not values.is_unique:
            dup = values[values.duplicated()][0]
            rows = np.flatnonzero(values == dup)[:3] + 1
            return None, (f"{where(frame.source, name)}id {cut(dup)} appears more than once (rows "
                          f"{', '.join(map(str, rows))}); ids must be unique to join")
        keys.append(values)
    order = keys[1].get_indexer(keys[0])
    if (order < 0).any():
        i = int(np.flatnonzero(order < 0)[0])
        return None, (f"{where(first.source, key, i + 1)}id {cut(keys[0][i])} has no row in {second.source} "
                      f"({int((order < 0).sum())} ids in all); {hint}")
    if second.n_rows > first.n_rows:
        extra = keys[1].difference(keys[0])
        return None, f"{second.source}: {len(extra)} ids are not in {first.source} (first: {cut(extra[0])}); {hint}"
    return order, None


def _counts_rows(frame: Frame, name: str) -> bool:
    """Whether a column holds 0, 1, 2 … or 1, 2, 3 … in file order (a saved RangeIndex, a row number)."""
    data = frame.column(name).data
    if not pa.types.is_integer(data.type) or data.null_count:
        return False
    values = to_numpy(data)
    return bool(len(values)) and values[0] in (0, 1) and bool((np.diff(values) == 1).all())


def find_join(first: Frame, second: Frame, on: str | None, hint: str) -> Join:
    """The key two files join on.

    1. ``--on COL`` (or ``--on COL=OTHER`` when the labels file names it OTHER);
    2. else the one column both files have (names compared as normalised: ``Id``/``id``,
       ``PassengerId``/``passenger_id``) whose values are unique in both and match one to one
       (``id``, ``PassengerId``, the pandas index). Several that order the rows differently are
       refused naming ``--on``, and so is a shared id column that cannot join;
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
        return Join(key, other, order, f"on '{on}' (--on)")
    from .pairing import normalise

    shared = [(a, b) for a in first.columns for b in second.columns
              if (a == b or (normalise(a) == normalise(b) and is_key_like(a))) and _could_be_key(first, a)]
    keys: dict[tuple[str, str], np.ndarray] = {}
    problems: dict[tuple[str, str], str | None] = {}  # shared id columns that cannot join, and why
    for a, b in shared:
        order, problem = _key_order(first, second, a, b, hint)
        if order is not None:
            keys[a, b] = order
        elif is_key_like(a):
            problems[a, b] = problem
    if len(keys) > 1 and any(not np.array_equal(order, next(iter(keys.values()))) for order in keys.values()):
        names = ", ".join(f"'{a}'" for a, _ in keys)
        raise UsageError(f"{first.source} and {second.source} share the columns {names}, each unique in both "
                         f"files, and they order the rows differently; say which one joins them: --on COL")
    if keys:
        a, b = next((k for k in keys if is_key_like(k[0])), next(iter(keys)))
        named = f"'{a}'" if a == b else f"'{a}' ('{b}' in {second.source})"
        return Join(a, b, keys[a, b], f"on {named}, the shared column whose values are unique in both files "
                                      "and match one to one")
    for a, b in problems:
        if first.n_rows == second.n_rows and _ids(first, a).equals(_ids(second, b)):
            return Join(None, b, None, f"row by row: '{a}' cannot join (its ids repeat), and both files list "
                                       "the same ids in the same order")
    if problems:
        raise DataError(f"{next(iter(problems.values()))} (to join on another column: --on COL)")
    ids = {frame.source: [c for c in frame.columns if is_key_like(c) and not _counts_rows(frame, c)
                          and not normalise(c).startswith(PANDAS_INDEX)]  # (a DataFrame's index beside a 0…n−1 one)
           for frame in (first, second)}
    if any(ids.values()):
        found = "; ".join(f"{source}: {', '.join(repr(c) for c in names) or 'none'}" for source, names in ids.items())
        raise DataError(f"the files share no id column, but have id columns ({found}); join them with --on COL "
                        f"(or --on PRED_COL=LABELS_COL when they are named differently)")
    if first.n_rows != second.n_rows:
        raise DataError(f"{first.source} has {first.n_rows} rows and {second.n_rows} are in {second.source}, and "
                        "they share no id column; join them on an id column with --on COL, or give files of equal "
                        "length")
    return Join(None, None, None, "row by row: the files share no id column (pass --on COL to join on one)")


def _taken(column: Column, order: np.ndarray | None) -> Column:
    if order is None:
        return column
    rows = order if column.rows is None else column.rows[order]
    return replace(column, data=column.data.take(pa.array(order)), rows=rows)


def align(base: Frame, new: Frame, on: str | None) -> Frame:
    """``new`` with its rows in ``base``'s order (by id, or row by row), for paired comparisons."""
    key = on.partition("=")[0] if on else None  # (--on PRED=LABELS: both models' files name it PRED)
    found = find_join(base, new, key, "compare needs both models' predictions for the same rows")
    columns = {name: _taken(col, found.order) for name, col in new.columns.items()}
    return Frame(columns, base.n_rows, new.source, new.labels_source, found.key or new.key, new.roles)


ONLY_LABEL_WORDS = {"y_true", "true", "true_label", "ground_truth", "truth", "gt", "gold", "y_actual", "y_test",
                    "actual", "actuals", "observed"}  # never a prediction's name (unlike target, label, Survived)


def _named_as_label(name: str) -> bool:
    """``y_true``, ``ground_truth``, ``price_true``: a name only labels have (a Kaggle submission's
    ``target`` or ``Label`` is its prediction)."""
    from .pairing import normalise

    norm = normalise(name)
    return norm in ONLY_LABEL_WORDS or norm.endswith("_true")


def join(pred: Frame, lab: Frame, on: str | None) -> Frame:
    """Labels joined to predictions: on a key (unique on both sides, the same set) or by row."""
    found = find_join(pred, lab, on, "every prediction needs a label, and every label a prediction")
    key, order = found.key, found.order
    columns = {name: col for name, col in pred.columns.items()}
    roles = {name: "pred" for name in columns if name != key}
    for name, col in lab.columns.items():
        if name == found.other_key:
            continue
        joined = _taken(col, order)
        if name in columns and _named_as_label(name):  # the predictions file's copy of the label: not a prediction
            columns[name] = joined
            roles[name] = "true"
        elif name in columns:  # the same name in both files: the labels' is the truth
            for new, old, role in ((f"{name}_true", joined, "true"), (f"{name}_pred", columns.pop(name), "pred")):
                if new in columns or new in lab.columns:
                    raise DataError(f"column '{name}' is in both files and '{new}' exists too; rename one")
                old.written, old.name = name, new
                columns[new] = old
                roles.pop(name, None)
                roles[new] = role
        else:
            columns[name] = joined
            roles[name] = "true"
    return Frame(columns, pred.n_rows, pred.source, lab.source, key, roles, join=found.how)


class Prefetched:
    """``items``, produced by a background thread ``depth`` ahead from the moment this is made: the
    next chunk is parsed (pyarrow releases the GIL) while numpy computes the losses of this one.
    An error of the producer is raised by ``next``; ``close`` stops the thread."""

    def __init__(self, items: Iterator[Any], depth: int = 8, columns: ColumnChoice | None = None) -> None:
        import queue
        import threading

        self.columns = columns  # the column choice of the reader that feeds it, if any
        self._box: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = object()
        self._thread = threading.Thread(target=self._produce, args=(items,), daemon=True)
        self._thread.start()

    def _produce(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if self._stop.is_set():
                    return
                self._box.put((item, None))
            self._box.put((self._done, None))
        except BaseException as error:  # handed to the consumer, raised there
            self._box.put((self._done, error))

    def __iter__(self) -> Prefetched:
        return self

    def __next__(self) -> Any:
        if self._stop.is_set():  # closed, or ran out before
            raise StopIteration
        item, error = self._box.get()
        if error is not None or item is self._done:
            self.close()
            if error is not None:
                raise error
            raise StopIteration
        return item

    def close(self) -> None:
        import queue

        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting to put
            try:
                self._box.get_nowait()
            except queue.Empty:
                self._thread.join(0.01)


def is_glob(path: str) -> bool:
    """Whether PRED is a quoted glob of shards: glob characters, and not itself a file."""
    return path != "-" and any(c in path for c in "*?[") and not os.path.exists(path)


def tables(path: str, delimiter: str | None = None, decimal: str | None = None) -> Prefetched:
    """The file's chunks from a background thread (close it when done early), with the column
    choice its reader follows."""
    choice = ColumnChoice()
    return Prefetched(iter_tables(path, delimiter, columns=choice, decimal=decimal), columns=choice)
