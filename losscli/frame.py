"""The frame of columns: :class:`Frame` and :class:`Column`, the columns of one evaluation as read.

Each column keeps its Arrow data and where it came from (file, row numbers for messages), and
converts itself on demand and once (cached properties of :class:`Column`): numbers as float64 (a
cell that is not a finite number is a :class:`~losscli.errors.DataError` naming the file, column
and row), text dictionary-encoded and stripped. Conversions read Arrow buffers directly
(:func:`to_numpy`, :func:`arrow_numbers`), so that neither pandas nor pyarrow.compute is imported
for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa

from .errors import DataError, UsageError, closest, names_listed, where
from .escape import cut

NUMBERS_AS_TEXT = b"losscli.numbers_as_text"  # table metadata: numeric columns read as text (a bad cell)
DECIMAL_MARK = b"losscli.decimal"  # table metadata: the decimal mark of a CSV read with decimal commas


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
    decimal: str = "."  # the decimal mark of its file's numbers, which its text is read with

    @property
    def shown(self) -> str:
        """The column's name as its file writes it (for messages)."""
        return self.written or self.name

    def row(self, i: int) -> int:
        """The 1-based data row in ``source`` of position ``i``."""
        return int(self.rows[i] if self.rows is not None else i) + self.offset + 1

    # Conversions, each made once per column (a column is asked by pairing, inference and the losses).

    @cached_property
    def floats(self) -> np.ndarray:
        """A numeric column as float64, empty cells NaN."""
        data = _one_array(self.data)
        if pa.types.is_decimal(data.type):
            data = data.cast(pa.float64())
        values = to_numpy(data).astype(np.float64, copy=False)
        if data.null_count and pa.types.is_boolean(data.type):
            values[~_valid(data)] = np.nan
        return values

    @cached_property
    def value_range(self) -> tuple[float, float]:
        """The smallest and largest of :attr:`floats` (NaN if it holds one)."""
        return float(self.floats.min()), float(self.floats.max())

    @cached_property
    def all_finite(self) -> bool:
        """Every value of a numeric column is finite: integers without empty cells are; other columns
        by their range (NaN and ±inf show in min and max)."""
        if (pa.types.is_integer(self.data.type) and self.data.null_count == 0) or len(self.data) == 0:
            return True
        return bool(np.isfinite(self.value_range).all())

    @cached_property
    def encoded(self) -> tuple[list[str], np.ndarray]:
        """The column as text, dictionary-encoded: its distinct values, stripped, and each row's index
        among them (−1 for an empty cell). Strings are stripped per distinct value, not per row."""
        data = _one_array(self.data)
        names, codes = _dictionary(data if _is_string_type(data.type) else data.cast(pa.string()))
        return [value.strip() for value in names], codes

    @cached_property
    def text_not_numbers(self) -> bool:
        """A text column whose values are text, not numbers with a few bad cells (:func:`broken_numbers`)."""
        names, codes = self.encoded
        counts: dict[str, int] = {}
        for value, count in zip(names, np.bincount(codes[codes >= 0], minlength=len(names)).tolist()):
            if value and count:
                counts[value] = counts.get(value, 0) + count
        return not broken_numbers(counts)


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

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def column(self, name: str) -> Column:
        if name not in self.columns:
            raise UsageError(f"{self.source}: no column '{name}'{closest(name, self.columns)}; "
                             f"columns: {names_listed(list(self.columns))}")
        return self.columns[name]

    def is_text(self, name: str) -> bool:
        """A column of text: not numbers that the reader read as text because of a bad cell
        (``Column.numbers``), nor numbers whose values say so (:func:`broken_numbers`)."""
        col = self.column(name)
        return _is_string_type(col.data.type) and not col.numbers and col.text_not_numbers

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
            return np.isnan(self.column(name).floats)  # empty cells are NaN there too
        if _is_string_type(data.type):
            names, codes = self.column(name).encoded
            return np.array([n == "" for n in names] + [True])[codes]  # blank, or empty (code −1)
        return to_numpy(data.is_null()) if data.null_count else np.zeros(len(data), dtype=bool)

    def surely_complete(self, name: str) -> bool:
        """True when a numeric column has no empty or NaN cell, known from its null count and its range."""
        data = self.column(name).data
        return _is_number_type(data.type) and data.null_count == 0 and self.column(name).all_finite

    def numeric_or_none(self, name: str) -> np.ndarray | None:
        """A numeric column as float64 when every value is finite, else None: for decisions that
        look at values (pairing), which never raise."""
        if not self.is_number(name):
            return None
        col = self.column(name)
        return col.floats if col.all_finite else None

    def value_range(self, name: str) -> tuple[float, float]:
        """The smallest and largest value of a numeric column (NaN if it holds one)."""
        return self.column(name).value_range

    def numeric(self, name: str, keep: np.ndarray | None = None) -> np.ndarray:
        """The column as float64 (bools as 0/1); a cell that is not a finite number is a DataError."""
        col = self.column(name)
        data = col.data
        if _is_number_type(data.type):
            values = col.floats
            if keep is None and col.all_finite:
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
        names, codes = self.column(name).encoded
        values = np.array(names + [None], dtype=object)[codes]
        return values if keep is None else values[keep]

    def factorized(self, name: str, keep: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
        """A text column's distinct stripped values (of the rows kept), sorted, and each row's
        position among them: Arrow's dictionary encoding, with no Python string per row."""
        names, codes = self.column(name).encoded
        if keep is not None:
            codes = codes[keep]  # (rows with empty cells are never kept)
        present = sorted({names[i] for i in np.flatnonzero(np.bincount(codes, minlength=len(names)))})
        position = {value: i for i, value in enumerate(present)}  # distinct values may strip alike
        return present, np.array([position.get(value, 0) for value in names], dtype=np.intp)[codes]

    def distinct_text(self, name: str) -> list[str]:
        """A text column's distinct non-empty values, stripped and sorted (empty cells ignored)."""
        names, codes = self.column(name).encoded
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
    from .value_pairing import as_number

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
    """A string array's distinct values and each cell's index among them, −1 where empty."""
    encoded = data.dictionary_encode()
    return encoded.dictionary.to_pylist(), indices(encoded.indices)


def indices(data: pa.Array) -> np.ndarray:
    """Arrow int32 indices as numpy, −1 where null (read from the buffers: ``pc.fill_null`` with a
    Python number would import pandas, a fifth of a second)."""
    codes = np.frombuffer(data.buffers()[1], dtype=np.int32, count=len(data), offset=data.offset * 4)
    codes = codes.astype(np.intp)
    if data.null_count:
        codes[~_valid(data)] = -1
    return codes


def arrow_strings(values: list[str]) -> pa.Array:
    """Python strings as an Arrow string array, built from its buffers (``pa.array`` imports pandas)."""
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers)


def _text_to_numbers(col: Column) -> np.ndarray:
    """Parse a text column (read with its file's decimal mark); the first cell that is not a number is
    reported with its row."""
    import pyarrow.compute as pc

    stripped = pc.utf8_trim_whitespace(col.data)
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, stripped.type), stripped)  # blank: empty
    if col.decimal != ".":  # a file of decimal commas: a "." is a thousands separator (2.581) or a mistake
        dotted = to_numpy(pc.fill_null(pc.match_substring(stripped, "."), False))
        if dotted.any():
            i = int(np.flatnonzero(dotted)[0])
            raise DataError(f"{where(col.source, col.shown, col.row(i))}{cut(str(stripped[i].as_py()))} is not a "
                            f"number where decimal commas are read ({int(dotted.sum())} cell(s) in all): its '.' "
                            "would be a thousands separator; save plain numbers, or pass --decimal . if the file's "
                            "decimal mark is '.'")
        stripped = pc.replace_substring(stripped, col.decimal, ".")
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
    if DECIMAL_COMMA_CELL.match(cell) and col.decimal == ".":
        advice = "decimal commas: pass --decimal ,"
    elif FORMATTED_NUMBER.match(cell):
        advice = "a number written for display (thousands separators, currency): save plain numbers"
    else:
        advice = "this column holds numbers: fix the cell (or leave it empty and pass --dropna)"
    raise DataError(f"{where(col.source, col.shown, col.row(i))}{cut(cell)} is not a number "
                    f"({int(bad.sum())} cell(s) in all); {advice}")



def _plain_column(data: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded columns (pandas categories in parquet) as their plain values, and views of
    text or bytes (polars' Arrow files) as large strings or bytes, which every Arrow function takes."""
    if pa.types.is_dictionary(data.type):
        return data.cast(data.type.value_type)
    if pa.types.is_string_view(data.type):
        return data.cast(pa.large_string())
    if pa.types.is_binary_view(data.type):
        return data.cast(pa.large_binary())
    return data


def _numbers_as_text(table: pa.Table) -> list[str]:
    """The numeric columns that ``_parse_piece`` read as text (a cell was not a number)."""
    names = (table.schema.metadata or {}).get(NUMBERS_AS_TEXT, b"").decode()
    return names.split("\n") if names else []


def frame_from_table(table: pa.Table, source: str, offset: int = 0) -> Frame:
    numbers = set(_numbers_as_text(table))
    decimal = (table.schema.metadata or {}).get(DECIMAL_MARK, b".").decode()
    return Frame({name: Column(name, _plain_column(table.column(name)), source, offset=offset,
                               numbers=name in numbers, decimal=decimal)
                  for name in table.column_names}, table.num_rows, source, offset=offset)
