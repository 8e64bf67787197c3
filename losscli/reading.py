"""Reading a source as tables: the entry point. :func:`iter_tables` opens the file (or ``-``),
tells its format from its bytes and hands it to the reader of that format (CSV stream, parquet,
Arrow IPC, JSON lines), chunk by chunk; :func:`tables` does it on a background thread
(:class:`Prefetched`); :func:`read_table` reads a file whole.
"""

from __future__ import annotations

import lzma
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BufferedIOBase
from typing import IO, Any

import pyarrow as pa

from . import csv_stream, opening
from .csv_stream import ColumnChoice, _check_header, _chosen, _csv_chunks
from .errors import DataError
from .formats import (
    ARROW_FILE,
    ARROW_STREAM,
    FEATHER_V1,
    _arrow_chunks,
    _first_rows_apart,
    _json_lines_chunks,
    _parquet_chunks,
)
from .frame import NUMBERS_AS_TEXT, _numbers_as_text
from .opening import (
    CarriageReturnLines,
    _decompressed,
    _open_raw,
    _peek,
    display_name,
    lines_end_in_carriage_returns,
    text_kind,
)

# cells (rows × columns) per table read from a parquet, Arrow or JSON lines file: about what a CSV
# piece holds. 2^21 made 1M-row tables of a 2-column parquet file, and scoring them held 377 MB for
# 10M rows (its CSV: 139 MB); 2^18 holds 149 MB, and took 1.05 s instead of 1.35 s.
BATCH_CELLS = 1 << 18


def read_table(path: str, delimiter: str | None = None, decimal: str | None = None,
               started: StartedRead | None = None) -> pa.Table:
    """Read one whole CSV/TSV/parquet file (or ``-``) into a pyarrow Table with at least one row,
    taking up the read ``started`` early when it read this file whole, as asked."""
    if started is not None and started.whole and started.path == path and delimiter is None and decimal is None:
        return pa.concat_tables(list(started.chunks))
    return pa.concat_tables(list(iter_tables(path, delimiter, chunk_cells=None, decimal=decimal)))


def iter_tables(path: str, delimiter: str | None = None, chunk_cells: int | None = BATCH_CELLS,
                columns: ColumnChoice | None = None, decimal: str | None = None,
                empty_ok: bool = False) -> Iterator[pa.Table]:
    """The file as tables of about ``chunk_cells`` cells each (None: one table), read as a stream.
    A file with no data rows is refused, unless ``empty_ok`` (one shard of several: Spark writes a
    part file with a header alone, or no bytes, for an empty partition): then it yields nothing.

    The format is read from the bytes, never from the name: parquet, Arrow IPC (file or stream,
    Feather), then, once decompressed, JSON lines or CSV/TSV; anything else is refused.

    Memory stays bounded by a chunk, whatever the file's size. Column types come from the first
    64 KiB (a later "0.5" in an integer column is still a number; columns empty there are text);
    a cell that is not a number is reported with its row where its column is used. CSV pieces
    and parquet row groups read once ``columns`` has names hold just those columns.
    """
    name = display_name(path)
    if empty_ok and os.path.isfile(path) and os.path.getsize(path) == 0:
        return
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
        if rows == 0 and not empty_ok:
            raise DataError(f"{name}: has a header but no data rows")
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def _text_chunks(raw: IO[bytes], path: str, name: str, delimiter: str | None, decimal: str | None,
                 chunk_cells: int | None, columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """A text file, decompressed: JSON lines (:func:`~losscli.formats._json_lines_chunks`), or a CSV
    (:func:`~losscli.csv_stream._csv_chunks`). Anything else is refused (:func:`text_kind`).
    """
    try:
        stream = _decompressed(raw, path)
        # a wide header, or a long first row: the sample is read on to two line ends of either
        # kind, enough to tell lines that end in a carriage return alone, then to two line feeds
        sample = _read_on(stream, stream.read(opening.SNIFF_BYTES), lambda s: max(s.count(b"\n"), s.count(b"\r")))
        if lines_end_in_carriage_returns(sample):  # (Excel for Mac's "CSV (Macintosh)")
            stream, sample = CarriageReturnLines(stream), sample.replace(b"\r", b"\n")
        sample = _read_on(stream, sample, lambda s: s.count(b"\n"))
    except (OSError, EOFError, lzma.LZMAError, pa.ArrowException) as error:
        raise DataError(f"{name}: cannot be decompressed ({error})") from None
    if sample.count(b"\n") < 2 and len(sample) >= csv_stream.MAX_LINE_BYTES:
        raise DataError(f"{name}: no line break in the first {csv_stream.MAX_LINE_BYTES >> 20} MiB; not a CSV of rows "
                        "(lines longer than that are not read)")
    if not sample.removeprefix(b"\xef\xbb\xbf").strip():
        raise DataError(f"{name}: the file is empty; expected a CSV with a header row")
    if b"\n" not in sample:  # the whole file, one line without its line end (a header alone): ended
        sample += b"\n"
    kind = text_kind(sample)
    if kind == "json lines":
        yield from _json_lines_chunks(stream, sample, name, chunk_cells)
        return
    if kind != "csv":
        raise DataError(f"{name}: {kind}, not a format losscli reads (CSV/TSV, JSON lines, parquet, Arrow IPC/"
                        "Feather); save it as one of those")
    yield from _csv_chunks(stream, sample, path, name, delimiter, decimal, chunk_cells, columns)


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
        except BaseException as error:  # noqa: BLE001  (every error, Ctrl-C too: handed to the consumer, raised there)
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


def gathered(tables: Iterator[pa.Table], cells: int, rows: int | None = None,
             columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """The first table, then the others joined into tables of at least ``cells`` cells (rows ×
    columns) or ``rows`` rows, whichever comes first (fewer where the columns change: a column
    read as text, with its metadata; and at the end). Once ``columns`` are chosen, the tables
    after the first hold just those: the pieces parsed before the choice (all columns) and after
    it are then alike, and where the chunks end does not depend on when the choice was made."""
    held: list[pa.Table] = []
    count = 0  # rows held
    for i, read in enumerate(tables):
        if i == 0:
            yield read  # (the first rows decide the plan, alone)
            continue
        table = _chosen_only(read, columns)
        if held and not table.schema.equals(held[0].schema, check_metadata=True):
            yield _joined(held)
            held, count = [], 0
        held.append(table)
        count += table.num_rows
        if count * table.num_columns >= cells or (rows is not None and count >= rows):
            yield _joined(held)
            held, count = [], 0
    if held:
        yield _joined(held)


def _chosen_only(table: pa.Table, columns: ColumnChoice | None) -> pa.Table:
    """``table`` with just the chosen columns it has (all, before a choice), its metadata naming
    only those."""
    chosen = _chosen(columns, table.column_names)
    if chosen is None or len(chosen) == table.num_columns:
        return table
    kept = table.select(chosen)
    fallen = [c for c in _numbers_as_text(table) if c in chosen]
    marks = {key: value for key, value in (table.schema.metadata or {}).items() if key != NUMBERS_AS_TEXT}
    return kept.replace_schema_metadata({**marks, NUMBERS_AS_TEXT: "\n".join(fallen)} if fallen else marks or None)


def _joined(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _read_on(stream: IO[bytes] | BufferedIOBase, sample: bytes, line_ends: Callable[[bytes], int]) -> bytes:
    """``sample`` and more of ``stream`` (doubling it) until it holds two ``line_ends``, the
    stream ends or it reaches MAX_LINE_BYTES."""
    while line_ends(sample) < 2 and len(sample) < csv_stream.MAX_LINE_BYTES:
        more = stream.read(len(sample))
        if not more:
            break
        sample += more
    return sample


def tables(path: str, delimiter: str | None = None, decimal: str | None = None,
           text: tuple[str, ...] = (), empty_ok: bool = False) -> Prefetched:
    """The file's chunks from a background thread (close it when done early), with the column
    choice its reader follows (``text``: columns read as text, see :class:`ColumnChoice`; ``empty_ok``:
    see :func:`iter_tables`)."""
    choice = ColumnChoice(text=text)
    return Prefetched(iter_tables(path, delimiter, columns=choice, decimal=decimal, empty_ok=empty_ok),
                      columns=choice)


@dataclass
class StartedRead:
    """A file whose read the console entry point began before the command line was parsed (see
    :mod:`losscli.launch`): streamed in chunks for ``eval FILE``, with, for ``eval FILE --labels
    LABELS``, the labels file read whole (``whole``) beside it (``labels``), both at once. ``eval``
    takes ``chunks`` up when it reads ``path`` as it was begun."""

    path: str
    chunks: Prefetched
    labels: StartedRead | None = None
    whole: bool = False

    @classmethod
    def streamed(cls, path: str, text: tuple[str, ...] = ()) -> StartedRead:
        return cls(path, tables(path, text=text))

    @classmethod
    def joined(cls, path: str, labels: str) -> StartedRead:
        return cls(path, tables(path), cls(labels, Prefetched(iter_tables(labels, chunk_cells=None)), whole=True))

    def close(self) -> None:
        self.chunks.close()
        if self.labels is not None:
            self.labels.close()
