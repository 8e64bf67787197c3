"""--engine dask on one big CSV: byte ranges cut at line ends (losscli.ranges), each a task, with
the row numbers of the whole file."""

from __future__ import annotations

import gzip
import itertools

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import ranges

from .conftest import run

ROW = st.tuples(st.integers(0, 1), st.floats(0, 1, allow_nan=False).map(lambda v: f"{v:.4g}"))


@st.composite
def csv_files(draw) -> bytes:
    """A CSV as people's tools write it: LF or CRLF line ends, empty lines here and there, Excel's
    sep= line or not, a line end after the last row or not."""
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    lines = [b"y_true,y_pred"]
    for label, pred in draw(st.lists(ROW, min_size=1, max_size=60)):
        lines.extend([b""] * draw(st.sampled_from([0, 0, 0, 1, 2])))
        lines.append(f"{label},{pred}".encode())
    text = end.join(lines) + (end if draw(st.booleans()) else b"")
    return (b"sep=,\r\n" if draw(st.booleans()) else b"") + text


@settings(max_examples=150, deadline=None)
@given(text=csv_files(), size=st.integers(1, 80))
def test_ranges_cover_the_rows_at_line_starts_and_count_what_the_reader_reads(tmp_path_factory, text, size):
    path = tmp_path_factory.mktemp("ranges") / "p.csv"
    path.write_bytes(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranges, "RANGE_BYTES", size)
        parts = ranges.split(str(path))
    if len(text) <= size:
        assert parts is None
        return
    assert parts is not None
    assert parts[-1].end == len(text)
    for part, after in itertools.pairwise(parts):
        assert part.end == after.start and text[after.start - 1:after.start] == b"\n"
    assert text[parts[0].header - 1:parts[0].header] == b"\n" and b"y_true" in text[:parts[0].header]
    body = text[text.index(b"y_true"):]
    read = pacsv.read_csv(pa.BufferReader(body)).num_rows
    assert sum(ranges.count_rows(part).rows for part in parts) == read


def test_compressed_files_and_small_ones_are_one_task(tmp_path, monkeypatch):
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10)
    text = b"y_true,y_pred\n" + b"1,0.9\n0,0.2\n" * 50
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress(text))
    (tmp_path / "p.csv").write_bytes(text)
    assert ranges.split(str(tmp_path / "p.csv.gz")) is None
    assert len(ranges.split(str(tmp_path / "p.csv"))) > 10
    monkeypatch.setattr(ranges, "RANGE_BYTES", len(text))
    assert ranges.split(str(tmp_path / "p.csv")) is None


def test_a_bad_cell_in_a_later_range_is_named_at_its_row_in_the_file(tmp_path, monkeypatch):
    pytest.importorskip("dask")
    lines = ["y_true,y_pred"] + ["1,0.9", "0,0.2", ""] * 200 + ["1,oops"] + ["0,0.1"] * 20
    path = tmp_path / "p.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    local = run("eval", path)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 300)
    ranged = run("eval", path, "--engine", "dask")
    assert local.code == ranged.code == 3
    assert "row 401" in local.stderr
    assert ranged.stderr == local.stderr


def test_rows_read_that_are_not_the_rows_counted_are_refused(tmp_path, monkeypatch):
    pytest.importorskip("dask")
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n" + "1,0.9\n0,0.2\n" * 300)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 1000)
    counted = ranges.count_rows
    monkeypatch.setattr(ranges, "count_rows", lambda part: ranges.Counted(counted(part).rows + 1, False))
    result = run("eval", path, "--engine", "dask")
    assert result.code == 3
    assert "lines were counted, so row numbers would be wrong; read it with --engine local" in result.stderr


def test_a_cut_inside_a_quoted_line_break_reads_that_file_as_one_task(tmp_path, monkeypatch):
    """A value holding a line break (quoted) where a range would end: the range's quotes are odd,
    and the file is read whole, as the local engine reads it (a cut there made up a row)."""
    pytest.importorskip("dask")
    rows = ["0.5000,0.5000,x"] * 60 + ['0.5000,0.5000,"a\n9.0000,0.0000,b"'] + ["0.2500,0.5000,y"] * 60
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred,note\n" + "\n".join(rows) + "\n")
    at = path.read_bytes().index(b'"a\n')
    monkeypatch.setattr(ranges, "RANGE_BYTES", at - len("y_true,y_pred,note\n") + 2)  # a cut right after "a
    parts = ranges.split(str(path))
    assert any(ranges.count_rows(part).odd_quotes for part in parts)
    local = run("eval", path, "--loss", "mse", "--worst", "1")
    ranged = run("eval", path, "--loss", "mse", "--worst", "1", "--engine", "dask")
    assert local.code == ranged.code == 0, ranged.stderr
    assert ranged.json["results"][0]["n"] == local.json["results"][0]["n"] == 121
    assert ranged.json["results"][0]["losses"] == local.json["results"][0]["losses"]
    assert ranged.json["results"][0]["worst"] == local.json["results"][0]["worst"]


def test_a_header_longer_than_the_sample_and_the_files_delimiter_reach_every_range(tmp_path, monkeypatch):
    """A header of 3,000 columns (past the 64 KiB sniffed), ';' and decimal commas: each range is
    read with the file's header, delimiter and decimal mark, as the local engine reads it."""
    pytest.importorskip("dask")
    extra = [f"feature_with_a_long_name_{i:05d}" for i in range(3000)]
    lines = [";".join(["y_true", "y_pred", *extra])]
    lines += [";".join([str(i % 2), f"0,{(i * 7) % 10}", *["1"] * 3000]) for i in range(40)]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(ranges, "RANGE_BYTES", 30_000)
    parts = ranges.split(str(path))
    assert parts is not None and len(parts) > 3 and parts[0].header > 65_536
    assert (parts[0].delimiter, parts[0].decimal) == (";", ",")
    local = run("eval", path, "--loss", "brier")
    ranged = run("eval", path, "--loss", "brier", "--engine", "dask")
    assert local.code == ranged.code == 0, ranged.stderr
    assert ranged.json["results"][0]["losses"] == pytest.approx(local.json["results"][0]["losses"], rel=1e-12)
    assert ranged.json["input"]["predictions"] == str(path)
