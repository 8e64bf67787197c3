"""Opening a source and telling what it is: a path or ``-`` (standard input; a quoted glob names
shards instead), opened as a binary stream and decompressed by its magic bytes whatever its name;
what its first bytes are (:func:`text_kind`: CSV, JSON lines, or a format losscli refuses); the
delimiter and decimal mark of a CSV, sniffed from its first lines.
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
from pathlib import Path
from typing import IO, cast

import pyarrow as pa

from .errors import DataError

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
MAGIC = {  # first bytes -> compression
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
ByteStream = IO[bytes] | io.BufferedIOBase  # a file, or a stream that decompresses it (GzipFile is no IO)


def display_name(path: str) -> str:
    """A path as reports and messages name it: ``-`` as ``<stdin>``; bytes of a file name that are
    not UTF-8 (which Python holds as lone surrogates, and JSON cannot write) as ``\\xff`` escapes."""
    if path == "-":
        return "<stdin>"
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _open_raw(path: str) -> IO[bytes]:
    """The file (or standard input, or an address: :mod:`losscli.remote`) as a binary stream that
    can ``peek`` or seek back."""
    from .remote import is_address, open_address

    if is_address(path):
        return open_address(path)
    if path == "-":
        # (BinaryIO does not declare the readinto that BufferedReader needs; stdin's buffer has it)
        return sys.stdin.buffer if hasattr(sys.stdin.buffer, "peek") else \
            io.BufferedReader(cast(io.RawIOBase, sys.stdin.buffer))
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


def _decompressed(raw: IO[bytes], path: str) -> ByteStream:
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


def lines_end_in_carriage_returns(sample: bytes) -> bool:
    """Whether ``sample`` ends its lines in a carriage return alone: it holds one, and each line feed
    in it is inside quotes (Excel writes a line break within a cell as a line feed)."""
    if b"\r" not in sample:
        return False
    quotes, start = 0, 0
    while (end := sample.find(b"\n", start)) >= 0:
        quotes += sample.count(b'"', start, end)
        if quotes % 2 == 0:  # a line feed outside quotes: lines end in line feeds
            return False
        start = end + 1
    return True


class CarriageReturnLines(io.BufferedIOBase):
    """A text whose lines end in a carriage return alone (Excel for Mac's "CSV (Macintosh)", old Mac
    files), read with line feeds instead, as the readers expect."""

    def __init__(self, stream: ByteStream) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size).replace(b"\r", b"\n")


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
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","



BINARY_MAGIC = {b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook?)",
                b"\xd0\xcf\x11\xe0": "an Excel .xls workbook (or another OLE file)",
                b"%PDF": "a PDF document", b"\x89HDF": "an HDF5 file", b"\x93NUMPY": "a numpy .npy array",
                b"SQLite format": "an SQLite database"}


# [{"a": 1}], [0.1, -2e3], [true], []; not a CSV header "[id],y" or "[true_id],y"
JSON_ARRAY = re.compile(rb'\[\s*(?:[\[{"\]]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\s*[,\]]|(?:true|false|null)\s*[,\]])')


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
        return ("a header that is not UTF-8 text (Windows-1252, as Excel's 'CSV (Comma delimited)'? save it as "
                "'CSV UTF-8')")
    text = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "json lines"
    if JSON_ARRAY.match(text):
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


def _header_end(sample: bytes) -> int:
    """Where the first data line starts (after the header line)."""
    end = sample.find(b"\n")
    return len(sample) if end < 0 else end + 1


def is_glob(path: str) -> bool:
    """Whether PRED is a quoted glob of shards: glob characters, and not itself a file (an address:
    see :func:`losscli.remote.is_glob_address`)."""
    from .remote import is_address, is_glob_address

    if is_address(path):
        return is_glob_address(path)
    return path != "-" and any(c in path for c in "*?[") and not os.path.exists(path)
