"""One big CSV as several ``--engine dask`` tasks: byte ranges of it, cut at line ends, each read
after the file's header.

A plain (uncompressed) CSV larger than RANGE_BYTES is cut into ranges of about RANGE_BYTES
(:func:`split`). Row numbers stay those of the whole file, since errors, ``--worst`` and the
bootstrap's groups use them: each range's rows are counted first (:func:`count_rows`, a task
per range: its line ends, less the empty lines that the CSV reader skips), then each range is read
from its first row's number (:func:`range_tables`), and its rows read must be those counted. A
cut may fall inside a quoted value that holds a line break: a range with an odd number of quotes
tells it, and that file is then read as one task. Every range is read with the delimiter and
decimal mark sniffed from the file's first bytes, as the local engine reads the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pyarrow as pa

from . import csv_stream, opening
from .csv_stream import ColumnChoice
from .errors import DataError
from .formats import ARROW_FILE, ARROW_STREAM, FEATHER_V1
from .opening import EXCEL_SEP_LINE, MAGIC, display_name, sniff_decimal, sniff_delimiter, text_kind

RANGE_BYTES = 64 << 20  # a range of a big CSV: one Dask task
COUNT_BYTES = 8 << 20  # read at once when counting a range's rows
NEWLINE, RETURN, QUOTE = 10, 13, 34


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` of the CSV at ``path``, whole lines, after its ``header`` bytes
    (the header line, and Excel's "sep=" line before it), in the file's ``delimiter`` and ``decimal``
    mark; ``first_row`` data rows come before, and it holds ``rows`` (once counted)."""

    path: str
    start: int
    end: int
    header: int
    delimiter: str = ","  # and decimal mark: the file's, sniffed once from its first bytes for every range
    decimal: str = "."
    first_row: int = 0
    rows: int | None = None  # counted (count_rows), before it is read

    @property
    def name(self) -> str:
        return display_name(self.path)


def split(path: str) -> list[ByteRange] | None:
    """The file's ranges of about RANGE_BYTES; None when it is not a plain CSV larger than that
    (compressed, parquet, Arrow, JSON lines, standard input: read as one task)."""
    size = RANGE_BYTES
    if path == "-" or not os.path.isfile(path):
        return None
    total = os.path.getsize(path)
    if total <= size:
        return None
    with open(path, "rb") as handle:
        sample = handle.read(opening.SNIFF_BYTES)
        if sample.startswith((b"PAR1", ARROW_FILE, ARROW_STREAM, FEATHER_V1, *MAGIC)) or text_kind(sample) != "csv":
            return None
        while sample.count(b"\n") < 2 and len(sample) < csv_stream.MAX_LINE_BYTES:  # as the reader: a wide header
            more = handle.read(len(sample))
            if not more:
                break
            sample += more
        found = EXCEL_SEP_LINE.match(sample)
        skipped = found.end() if found else 0
        end = sample.find(b"\n", skipped)
        if end < 0:
            return None
        header = end + 1
        # sniffed as the CSV reader sniffs the whole file (the same bytes), once for every range
        delimiter = found.group(1).decode() if found else sniff_delimiter(sample[skipped:], path)
        decimal = sniff_decimal(sample[skipped:], delimiter)
        cuts = [header]
        while cuts[-1] + size < total:
            cut = _line_start_after(handle, cuts[-1] + size)
            if cut is None or cut >= total:
                break
            cuts.append(cut)
    cuts.append(total)
    return [ByteRange(path, start, end, header, delimiter, decimal) for start, end in pairwise(cuts)]


def _line_start_after(handle: io.BufferedReader, position: int) -> int | None:
    """Where the first line after byte ``position`` starts (None: no line end follows)."""
    handle.seek(position)
    read = 0
    while read <= csv_stream.MAX_LINE_BYTES:
        block = handle.read(1 << 16)
        if not block:
            return None
        at = block.find(b"\n")
        if at >= 0:
            return position + read + at + 1
        read += len(block)
    return None


@dataclass(frozen=True)
class Counted:
    """A range's data rows, and whether it holds an odd number of double quotes: then a cut at one
    of its ends fell inside a quoted value (a line break in a value), and the file is read whole."""

    rows: int
    odd_quotes: bool


def count_rows(part: ByteRange) -> Counted:
    """The data rows of a range: its lines that are not empty ("" or a lone carriage return
    before the line end, which the CSV reader skips), a last line without a line end included; and
    the parity of its double quotes (an escaped quote, ``""``, counts two)."""
    rows = quotes = 0
    before = np.array([NEWLINE, NEWLINE], dtype=np.uint8)  # (the range starts a line)
    with open(part.path, "rb") as handle:
        handle.seek(part.start)
        left = part.end - part.start
        while left > 0:
            block = handle.read(min(COUNT_BYTES, left))
            if not block:
                break
            left -= len(block)
            text = np.concatenate([before, np.frombuffer(block, dtype=np.uint8)])
            ends = text[2:] == NEWLINE
            empty = ends & ((text[1:-1] == NEWLINE) | ((text[1:-1] == RETURN) & (text[:-2] == NEWLINE)))
            rows += int(np.count_nonzero(ends)) - int(np.count_nonzero(empty))
            quotes += int(np.count_nonzero(text[2:] == QUOTE))
            before = text[-2:]
    with open(part.path, "rb") as handle:  # a last line without a line end (at the end of the file)
        handle.seek(max(part.start, part.end - (1 << 16)))
        tail = handle.read(part.end - handle.tell())
    last = tail[tail.rfind(b"\n") + 1:]
    return Counted(rows + int(bool(last.strip())), quotes % 2 == 1)


class _RangeReader(io.RawIOBase):
    """The file's header bytes, then the range's: what a file of just those rows would hold."""

    def __init__(self, part: ByteRange) -> None:
        self._file = open(part.path, "rb")  # noqa: SIM115  (closed with this reader)
        self._header = self._file.read(part.header)
        self._file.seek(part.start)
        self._at = 0  # bytes handed on
        self._size = part.header + part.end - part.start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._at)
        if want <= 0:
            return 0
        inside = self._at < len(self._header)
        data = self._header[self._at:self._at + want] if inside else self._file.read(want)
        buffer[:len(data)] = data
        self._at += len(data)
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def range_tables(part: ByteRange, delimiter: str | None, decimal: str | None,
                 columns: ColumnChoice | None) -> Iterator[pa.Table]:
    """The range's rows as tables (as :func:`losscli.reading.iter_tables` reads a file; the file's
    delimiter and decimal mark unless given). The rows
    read must be the ``part.rows`` counted (:func:`count_rows`), else later row numbers would be
    wrong: a DataError then."""
    from .reading import BATCH_CELLS, _text_chunks

    raw = io.BufferedReader(_RangeReader(part))
    rows = 0
    try:
        for table in _text_chunks(raw, part.path, part.name, delimiter or part.delimiter, decimal or part.decimal,
                                  BATCH_CELLS, columns):
            if table.num_rows:
                rows += table.num_rows
                yield table
    finally:
        raw.close()
    if rows != part.rows:
        raise DataError(f"{part.name}: bytes {part.start}-{part.end} hold {rows} rows where {part.rows} lines were "
                        "counted, so row numbers would be wrong; read it with --engine local, or as several files")
