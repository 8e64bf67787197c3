"""The CSV stream: a CSV's text in pieces cut at line ends, each parsed by pyarrow's multi-threaded
reader into tables of the columns chosen (:class:`ColumnChoice`). A numeric column with a cell
that is not a number is read as text in that piece (the frame reports the cell at its row); parse
errors name the row; the header is checked (no name twice, no line break inside a name).
"""

from __future__ import annotations

import lzma
import re
from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from . import opening
from .errors import DataError
from .frame import DECIMAL_MARK, NUMBERS_AS_TEXT, _numbers_as_text
from .opening import EXCEL_SEP_LINE, ByteStream, _header_end, sniff_decimal, sniff_delimiter

NULL_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "NULL", "null", "#N/A", "#NA", "?"]  # empty cells
MAX_LINE_BYTES = 64 << 20  # a line (a header, a row) longer than this is refused: memory stays bounded
BLOCK_BYTES = 1 << 20  # CSV text per block: one thread parses it, and the losses take it as one chunk
FIRST_CHUNK_BYTES = 1 << 22  # at most this much text in the first chunk, which decides the plan:
FIRST_CHUNK_ROWS = 10_000  # about this many rows (at least a block): nothing overlaps the planning
CHUNK_BYTES = 1 << 21  # CSV text parsed at once (in blocks, on all cores): memory is bounded by it, not by the file
COLUMNS_PER_BLOCK = 128  # a wider file gets proportionally larger blocks and pieces (see _width_scale)


class ColumnChoice:
    """The columns that the CSV pieces still to be parsed need: all of them until :meth:`keep` is
    told (once the first chunk has decided the pairs), then only those, so that a file's other
    columns (ids, features, text) are not converted. Read by the reading thread before each piece;
    ``also`` passes the choice on to the reader of a stream begun earlier. The ``text`` columns
    are read as text, as written, in every piece (the ``--group-by`` column: where a piece has an
    ``x`` among ``01`` and ``02``, another of digits alone read them as the numbers 1 and 2, and
    groups split in two)."""

    def __init__(self, names: Iterable[str] | None = None, text: Iterable[str] = ()) -> None:
        self.names: tuple[str, ...] | None = None if names is None else tuple(names)
        self.text = tuple(text)
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


def _check_header(table: pa.Table, name: str) -> None:
    duplicated = sorted(column for column, count in Counter(table.column_names).items() if count > 1)
    if duplicated:
        raise DataError(f"{name}: the header names column(s) {', '.join(map(repr, duplicated))} more than "
                        "once; rename them")


def _csv_chunks(stream: ByteStream, sample: bytes, path: str, name: str, delimiter: str | None, decimal: str | None,
                chunk_cells: int | None, columns: ColumnChoice | None = None) -> Iterator[pa.Table]:
    """A CSV (``sample``: its first bytes, already read from ``stream``) as tables cut at line ends:
    a first chunk of about FIRST_CHUNK_ROWS rows whole (it decides the plan), then pieces of
    CHUNK_BYTES parsed on all cores and handed on block by block (about BLOCK_BYTES of text each;
    both larger in a wide file, see :func:`_width_scale`), holding just the ``columns`` chosen once
    they are; the delimiter and decimal mark are sniffed unless given.

    Each piece goes through pyarrow's multi-threaded reader with the column types fixed from the
    first 64 KiB (columns empty there read as text). A numeric column with a cell that does not fit
    is read as text in that piece (see :func:`_parse_piece`), but "0.5" (or "0,5" with decimal commas)
    in an integer column is still a number: the column is read as float64 from then on. A quoted
    value may hold a line break: a piece is not cut inside one (:func:`_past_the_value`), and a
    piece whose blocks pyarrow cut inside one is parsed again whole.
    """
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
    whole_lines = sample if len(sample) < opening.SNIFF_BYTES else sample[: sample.rfind(b"\n") + 1] or sample

    def read_head(text: bytes) -> pa.Table:
        return pacsv.read_csv(pa.BufferReader(_arrow_owned(memoryview(text))), parse_options=parse,
                              read_options=pacsv.ReadOptions(block_size=len(text) + 1),
                              convert_options=pacsv.ConvertOptions(strings_can_be_null=True, decimal_point=decimal,
                                                                   null_values=NULL_VALUES))
    try:
        head = read_head(whole_lines)
    except pa.ArrowInvalid as error:
        outside = _lines_outside_quotes(whole_lines)  # the sample may end inside a quoted value with line breaks
        try:
            if len(outside) == len(whole_lines) or len(outside) <= _header_end(whole_lines):
                raise error
            head, whole_lines = read_head(outside), outside
        except pa.ArrowInvalid:
            raise _parse_error(error, name, delimiter, whole_lines[_header_end(whole_lines):]) from None
    _check_header(head, name)
    types = {f.name: pa.string() if pa.types.is_null(f.type) or (columns and f.name in columns.text)
             else pa.int64() if pa.types.is_integer(f.type) else f.type for f in head.schema}
    first = _first_chunk_bytes(whole_lines) if chunk_cells is not None else None
    scale = _width_scale(len(types))
    rows = 0
    for piece in _stream_pieces(stream, sample[_header_end(sample):], first, name, CHUNK_BYTES * scale):
        if _blank(piece):
            continue
        table = _parse_piece(piece, list(types), types, parse, name, delimiter, _chosen(columns, types), decimal, rows,
                             BLOCK_BYTES * scale)
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


def _lines_outside_quotes(text: bytes) -> bytes:
    """``text`` up to its last line end with an even count of quotes before it: not inside a quoted
    value (whose line breaks are part of it)."""
    codes = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(codes == 10)
    even = ends[np.cumsum(codes == QUOTE)[ends] % 2 == 0]
    return text[: even[-1] + 1] if len(even) else text


def _width_scale(columns: int) -> int:
    """How many times BLOCK_BYTES and CHUNK_BYTES a file of this many columns is read in: one more
    for every COLUMNS_PER_BLOCK columns. pyarrow's reader has a cost per column per block, so that
    1000 columns in 1 MiB blocks of ~115 rows took 8.2 s to read and in 8 MiB blocks 3.7 s (50k
    rows, 445 MB); a piece holds about as many cells either way, so memory grows little."""
    return max(1, -(-columns // COLUMNS_PER_BLOCK))


def _arrow_owned(text: memoryview) -> pa.Buffer:
    """``text`` copied into a buffer Arrow owns. pyarrow's CSV reader drops its input on one of
    its own threads, sometimes after ``read_csv`` has returned; dropping a buffer that Python owns
    takes the interpreter there, and when that comes as the interpreter shuts down, the process
    aborts ("terminate called without an active exception", exit 134)."""
    buffer = pa.allocate_buffer(len(text))
    memoryview(buffer).cast("B")[:] = text
    return buffer


def _stream_pieces(stream: ByteStream, pending: bytes, first: int | None, name: str,
                   later: int) -> Iterator[pa.Buffer]:
    """The stream's text after ``pending`` (what the sample read of it) in whole lines: ``first``
    bytes' worth, then ``later`` bytes at a time (``first`` None: all of it at
    once), each copied into memory Arrow owns (see :func:`_arrow_owned`). A piece does not end
    inside a quoted value that holds a line break (:func:`_past_the_value`): that would end the value
    there and begin a made-up row with the rest."""
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
        if not text:  # (the stream ended where the last piece did)
            return
        cut = len(text) if size is None or (eof and len(text) <= size) else (_line_end(text, size) or len(text))
        if size is not None and cut < len(text) and _odd_quotes(memoryview(text)[:cut]):
            cut, eof = _past_the_value(stream, text, cut, later, eof, name)
        piece = _arrow_owned(memoryview(text)[:cut])
        text = text[cut:]
        yield piece
        size = later if size is not None else None


QUOTE = 34
SEARCH_BYTES = 16 << 20  # how far past a cut inside quotes its value's end is looked for (then: cut as before)


def _odd_quotes(text: memoryview) -> bool:
    """Whether ``text`` (whole lines, from a point outside quotes) ends inside a quoted value: in a
    CSV every quote inside a value is doubled (``""``), so only the quotes around values change
    the state, and an odd count leaves a value open."""
    return bool(np.count_nonzero(np.frombuffer(text, dtype=np.uint8) == QUOTE) % 2)


def _past_the_value(stream: ByteStream, text: bytearray, cut: int, later: int, eof: bool,
                    name: str) -> tuple[int, bool]:
    """A cut that ``_odd_quotes`` finds inside a quoted value (a line break in it), moved to the
    first line end after which the quotes are even again, reading on as needed; ``text`` grows in
    place. A stray quote inside an unquoted value (``0.4"``) also makes the count odd: when no
    such line end comes within SEARCH_BYTES, the cut stays where it was (as before this check)."""
    start, at = cut, cut
    while len(text) - start <= SEARCH_BYTES:
        after = text.find(b"\n", at)
        if after < 0:
            if eof:
                return len(text), eof
            try:
                more = stream.read(later)
            except (OSError, EOFError, lzma.LZMAError, pa.ArrowException) as error:
                raise DataError(f"{name}: cannot be read ({error})") from None
            eof = not more
            text += more
            continue
        at = after + 1
        if not _odd_quotes(memoryview(text)[:at]):
            return at, eof
    return start, eof


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



def _parse_piece(piece: pa.Buffer, names: list[str], types: dict[str, pa.DataType], parse: pacsv.ParseOptions,
                 name: str, delimiter: str, wanted: list[str] | None, decimal: str, first_row: int,
                 block: int) -> pa.Table:
    """One run of whole lines through pyarrow's reader (just the ``wanted`` columns, if given), in
    blocks of ``block`` bytes; ``first_row`` rows of the file come before it.

    A numeric column with a cell that is not a number is read as text instead: where the column is
    used, the cell is reported with its row (``Frame.numeric``); a column no pair uses costs nothing.

    Every line must be a row. pyarrow cuts a piece into blocks at line ends and parses them apart, so
    a quote that opens a value and never closes loses the rest of its block with no error; when the
    rows do not match the lines, the piece is parsed again as one block, which reports the quote.
    """
    def read(column_types: dict[str, pa.DataType], one_block: bool = False,
             columns: list[str] | None = None) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(piece),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=not one_block,
                                           block_size=piece.size + 1 if one_block else block),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                 column_types=column_types,
                                                 include_columns=columns or wanted or [],
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
            if one_block and table.num_rows < _lines(piece):  # values with line breaks (or blank lines)
                last = names[-1]
                values = table.column(last) if last in table.column_names else \
                    read({last: pa.binary()}, True, [last]).column(0)  # (the piece's last column alone)
                if _runs_to_the_end(values, piece):
                    raise DataError(f"{name}, row {first_row + table.num_rows}: a quote (\") opens the last value "
                                    "there and is never closed, so the rest of the file would be read into that "
                                    "value; close the quote or remove it")
            fallen = [c for c in column_types if column_types[c] != types[c]]
            marks = {NUMBERS_AS_TEXT: "\n".join(fallen)} if fallen else {}
            if decimal != ".":  # (text cells are read with it: "2.581" is not 2.581 beside "2955,66")
                marks[DECIMAL_MARK] = decimal
            return table.replace_schema_metadata(marks) if marks else table
        except pa.ArrowInvalid as error:
            if not one_block and "conversion error" not in str(error):  # a row longer than a block, or a
                one_block = True  # quoted line break where pyarrow cut its blocks: the piece whole decides
                continue
            found = re.search(r"column #(\d+)", str(error))
            column = names[int(found.group(1))] if found and "conversion error" in str(error) else None
            if column is None or column_types[column] == pa.string():
                raise _parse_error(error, name, delimiter, piece, first_row) from None
            # an integer column with a decimal ("68,25" after "86" with --decimal ,): floats, else text
            column_types[column] = pa.float64() if pa.types.is_integer(column_types[column]) else pa.string()


NEWLINE = b"\n"


def _runs_to_the_end(last: pa.ChunkedArray, piece: pa.Buffer) -> bool:
    """Whether the piece's last value (``last``: its last column) holds a line break but the text does
    not end with a quote that closes it: a quote opened that value and was never closed, and pyarrow
    read the lines after it into the value. (A quote that opens a value not the last of its row and
    never closes leaves the row short of fields: pyarrow reports that itself.)"""
    if not len(last) or not (pa.types.is_string(last.type) or pa.types.is_binary(last.type)):
        return False
    value = last[len(last) - 1].as_py()
    value = value.encode() if isinstance(value, str) else value or b""
    if b"\n" not in value and b"\r" not in value:
        return False
    tail = piece.slice(max(0, piece.size - 4096)).to_pybytes().rstrip() or piece.to_pybytes().rstrip()
    return not tail.endswith(b'"')


def _has_hex(piece: pa.Buffer) -> bool:
    """Whether the text holds ``0x``/``0X`` anywhere (rare in prediction files): the x's, read in
    place, and the byte before each."""
    text = np.frombuffer(piece, dtype=np.uint8)
    x = np.flatnonzero((text | 0x20) == ord("x"))
    x = x[x > 0]
    return bool(len(x)) and bool((text[x - 1] == ord("0")).any())


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
