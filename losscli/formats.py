"""The formats other than CSV: parquet (a row group at a time, just the columns chosen), Arrow IPC
files and streams (Feather), and JSON lines, each as tables of about ``chunk_cells`` cells with the
first rows apart, as the CSV stream hands them on.
"""

from __future__ import annotations

import lzma
from collections.abc import Iterator
from typing import IO

import numpy as np
import pyarrow as pa

from . import csv_stream
from .csv_stream import ColumnChoice, _chosen
from .errors import DataError
from .opening import ByteStream, _peek


def _first_rows_apart(tables: Iterator[pa.Table], chunk_cells: int | None) -> Iterator[pa.Table]:
    """``tables`` with the first FIRST_CHUNK_ROWS rows as a chunk of their own (when read in chunks),
    as CSV reads them: the first rows decide the plan, and the rows after are held to it (a file of
    probabilities that turns to logits is refused at the row where it turns, whatever its format)."""
    first = True
    for table in tables:
        if first and chunk_cells is not None and table.num_rows > csv_stream.FIRST_CHUNK_ROWS:
            yield table.slice(0, csv_stream.FIRST_CHUNK_ROWS)
            yield table.slice(csv_stream.FIRST_CHUNK_ROWS)
        else:
            yield table
        first = False


def _rows_per_chunk(columns: int, chunk_cells: int | None) -> int | None:
    return None if chunk_cells is None else max(1 << 16, chunk_cells // max(columns, 1))


def _random_access(raw: IO[bytes], path: str) -> pa.NativeFile:
    """The file as Arrow reads it itself (a seekable one, by its path; a file of a remote store, as
    it was opened), or read whole first (standard input, HTTP): parquet's footer is at the end."""
    if isinstance(raw, pa.NativeFile):
        return raw
    if path != "-" and raw.seekable():
        return pa.OSFile(path)
    return pa.BufferReader(csv_stream._arrow_owned(memoryview(raw.read())))


def _parquet_chunks(raw: IO[bytes], path: str, name: str, chunk_cells: int | None,
                    columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """The parquet file a row group at a time, in batches of about ``chunk_cells`` cells; row groups
    begun once ``columns`` is chosen are read for just those columns (the others are not decoded).
    Arrow opens the file itself (:func:`_random_access`), so that its threads never hold a Python
    object (see :func:`_arrow_owned`)."""
    import pyarrow.parquet as pq

    try:
        with _random_access(raw, path) as source:
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


def _json_lines_chunks(stream: ByteStream, sample: bytes, name: str, chunk_cells: int | None) -> Iterator[pa.Table]:
    """JSON lines (one object per line), read whole by pyarrow's JSON reader and handed on in chunks
    of about ``chunk_cells`` cells (the plan still comes from the first)."""
    import pyarrow.json as pajson

    try:
        text = sample + stream.read()
        if _nesting(text) > MAX_NESTING:
            raise DataError(f"{name}: JSON nested more than {MAX_NESTING} levels deep; losscli reads JSON lines "
                            "of flat records, one object per line")
        table = pajson.read_json(pa.BufferReader(csv_stream._arrow_owned(memoryview(text))))
    except (pa.ArrowInvalid, OSError, EOFError, lzma.LZMAError) as error:
        raise DataError(f"{name}: not readable JSON lines ({error}); every line must be one JSON object "
                        "with the same keys and value types") from None
    size = _rows_per_chunk(table.num_columns, chunk_cells) or max(table.num_rows, 1)
    yield from _first_rows_apart((table.slice(start, size) for start in range(0, max(table.num_rows, 1), size)),
                                 chunk_cells)


MAX_NESTING = 1000  # levels of JSON objects and arrays read (pyarrow's reader crashed, SIGSEGV, at 20,000)


def _nesting(text: bytes, block: int = 1 << 23) -> int:
    """How deep the brackets of a line of ``text`` nest, at most: ``{`` and ``[`` open a level, ``}``
    and ``]`` close one, and each line (a record) starts at level 0. Brackets inside strings count
    too (``"sad :-["``), but only within their line, far below MAX_NESTING. Counted about ``block``
    bytes of whole lines at a time, so that the counts take a few times ``block`` bytes."""
    codes = np.frombuffer(text, dtype=np.uint8)
    deepest, start = 0, 0
    while start < len(codes):
        end = text.rfind(b"\n", start, start + block) + 1 if start + block < len(codes) else len(codes)
        end = end if end > start else min(start + block, len(codes))  # (a line longer than a block: cut)
        part = codes[start:end]
        steps = (part == ord("{")).astype(np.int64) + (part == ord("[")) - (part == ord("}")) - (part == ord("]"))
        levels = np.cumsum(steps)
        newline = part == ord("\n")
        line_start = np.concatenate([[0], levels[newline]])  # the level where each line begins
        deepest = max(deepest, int((levels - line_start[np.cumsum(newline) - newline]).max()))
        start = end
    return deepest


ARROW_FILE = b"ARROW1"  # Arrow IPC file format (Feather v2)
ARROW_STREAM = b"\xff\xff\xff\xff"  # Arrow IPC stream format: a continuation marker, then a message
FEATHER_V1 = b"FEA1"


def _arrow_chunks(raw: IO[bytes], path: str, name: str, chunk_cells: int | None) -> Iterator[pa.Table]:
    """An Arrow IPC file (Feather) or stream, a record batch at a time, in chunks of about
    ``chunk_cells`` cells. Arrow opens a file itself; standard input is read whole first."""
    from pyarrow import feather, ipc

    try:
        head = _peek(raw, 8)
        with _random_access(raw, path) as source:
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
