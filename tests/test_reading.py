"""Readers: property-based round trips through every delimiter and compression, and bad cells found
at the right row."""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.errors import DataError
from losscli.joins import load
from losscli.opening import sniff_delimiter

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
COMPRESSORS = {"": lambda b: b, ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=st.lists(st.tuples(finite, finite), min_size=1, max_size=60),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), suffix=st.sampled_from(list(COMPRESSORS)))
def test_numbers_round_trip_through_any_delimiter_and_compression(tmp_path_factory, rows, delimiter, suffix):
    text = f"y_true{delimiter}y_pred\n" + "".join(f"{a!r}{delimiter}{b!r}\n" for a, b in rows)
    path = tmp_path_factory.mktemp("r") / f"p.csv{suffix}"
    path.write_bytes(COMPRESSORS[suffix](text.encode()))
    frame = load(str(path))
    assert frame.names == ["y_true", "y_pred"] and frame.n_rows == len(rows)
    np.testing.assert_array_equal(frame.numeric("y_true"), [a for a, _ in rows])
    np.testing.assert_array_equal(frame.numeric("y_pred"), [b for _, b in rows])


@SETTINGS
@given(n=st.integers(2, 80), data=st.data())
def test_a_bad_cell_is_reported_at_its_row(tmp_path_factory, n, data):
    bad_row = data.draw(st.integers(1, n))
    token = data.draw(st.sampled_from(["abc", "1.2.3", "--", "x1"]))
    cells = [str(i / 10) for i in range(n)]
    cells[bad_row - 1] = token
    path = tmp_path_factory.mktemp("r") / "p.csv"
    path.write_text("y_true,y_pred\n" + "".join(f"1,{c}\n" for c in cells))
    with pytest.raises(DataError, match=f"column 'y_pred', row {bad_row}: '{token}' is not a number"):
        load(str(path)).numeric("y_pred")


@pytest.mark.parametrize("sample, delimiter", [
    ("a,b\n1,2\n", ","), ("a;b\n1,5;2,5\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b\n1|2\n", "|"), ("a\n1\n", ","),
])
def test_sniffing(sample, delimiter):
    assert sniff_delimiter(sample.encode(), "x.csv") == delimiter


def test_quoted_fields_and_windows_line_endings(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b'"y_true","y_pred"\r\n"1","0.5"\r\n"0","0.25"\r\n')
    frame = load(str(path))
    np.testing.assert_array_equal(frame.numeric("y_pred"), [0.5, 0.25])


def test_dataframes_are_accepted():
    import pandas as pd

    frame = load(pd.DataFrame({"y_true": [1, 0], "y_pred": [0.5, 0.25]}))
    assert frame.source == "<predictions DataFrame>" and frame.n_rows == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from([0, 1]), st.floats(0.001, 0.999)), min_size=30, max_size=200),
       first=st.integers(40, 400), later=st.integers(20, 300), block=st.integers(64, 300), data=st.data())
def test_chunk_sizes_and_row_order_do_not_change_the_report(tmp_path_factory, monkeypatch, rows, first, later, block,
                                                           data):
    from losscli import csv_stream

    from .conftest import run

    folder = tmp_path_factory.mktemp("c")
    whole = folder / "whole.csv"
    whole.write_text("y_true,y_pred\n" + "".join(f"{y},{p!r}\n" for y, p in rows))
    shuffled = folder / "shuffled.csv"
    order = data.draw(st.permutations(range(len(rows))))
    shuffled.write_text("y_true,y_pred\n" + "".join(f"{rows[i][0]},{rows[i][1]!r}\n" for i in order))
    one = run("eval", whole, "--task", "binary").json
    with monkeypatch.context() as patch:
        patch.setattr(csv_stream, "FIRST_CHUNK_BYTES", first)
        patch.setattr(csv_stream, "CHUNK_BYTES", later)
        patch.setattr(csv_stream, "BLOCK_BYTES", block)
        chunked = run("eval", shuffled, "--task", "binary").json
    for name, value in one["results"][0]["losses"].items():
        assert chunked["results"][0]["losses"][name] == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert chunked["signature"] == one["signature"]


COLUMN_NAMES = ["y_true", "y_pred", "label", "prediction", "p_0", "p_1", "p_a", "y_true_a", "y_pred_a", "id", "w", "x"]
CELLS = ["0", "1", "0.5", "-3", "2.5", "", "NaN", "inf", "abc", "cat", "1e400", "true", " 0.2 ", "-1", "7"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=5, unique=True),
       data=st.data(), flags=st.sampled_from([[], ["--dropna"], ["--task", "binary"], ["--task", "regression"],
                                              ["--weight", "w"], ["--ci", "0.9"], ["--group-by", "x"], ["--worst", "2"]]))
def test_any_small_file_gets_a_report_or_one_clear_error(tmp_path_factory, columns, data, flags):
    from .conftest import run

    rows = data.draw(st.lists(st.lists(st.sampled_from(CELLS), min_size=len(columns), max_size=len(columns)),
                              max_size=6))
    path = tmp_path_factory.mktemp("f") / "p.csv"
    path.write_text(",".join(columns) + "\n" + "".join(",".join(row) + "\n" for row in rows))
    result = run("eval", path, *flags)
    assert result.code in (0, 2, 3), result.stderr
    assert "Traceback" not in result.stderr and "bug in losscli" not in result.stderr
    if result.code:
        assert result.stdout == "" and result.stderr.startswith("error: ")


def test_arrow_columns_to_numpy_without_pyarrow_compute():
    """Empty cells: NaN in number columns (ints become floats then), False in booleans, None in text;
    other widths (parquet's float32, int32) and slices (offsets) convert too."""
    import pyarrow as pa

    from losscli.frame import frame_from_table, to_numpy

    ints = pa.array([1, None, 3], type=pa.int64())
    assert np.array_equal(to_numpy(ints), [1.0, np.nan, 3.0], equal_nan=True)
    assert to_numpy(pa.array([4, 5], type=pa.int64())).dtype == np.int64
    assert np.array_equal(to_numpy(pa.array([0.5, None, 2.0], type=pa.float32())), [0.5, np.nan, 2.0], equal_nan=True)
    assert np.array_equal(to_numpy(pa.array([7, 8, 9], type=pa.int32()).slice(1)), [8, 9])
    assert np.array_equal(to_numpy(pa.array([1.0, None, 3.0, 4.0]).slice(1, 2)), [np.nan, 3.0], equal_nan=True)
    assert to_numpy(pa.array([True, None, False, True]).slice(1)).tolist() == [False, False, True]
    assert to_numpy(pa.chunked_array([[1.5], [None, 2.5]])).tolist()[::2] == [1.5, 2.5]
    assert list(to_numpy(pa.array(["a", None]))) == ["a", None]
    frame = frame_from_table(pa.table({"b": pa.array([True, None, False]), "x": pa.array([1.0, 2.0, np.nan])}), "t")
    assert frame.missing("b").tolist() == [False, True, False]
    assert frame.missing("x").tolist() == [False, False, True]
    assert not frame.surely_complete("b") and not frame.surely_complete("x")


def test_a_number_too_large_to_sum_is_still_finite(tmp_path):
    """The finite check goes by the sum first; a sum that overflows must fall back to the cells."""
    from .conftest import run

    path = tmp_path / "big.csv"
    path.write_text("y_true,y_pred\n1e308,1e308\n1e308,1e308\n1.5e308,1.5e308\n")
    result = run("eval", path, "--task", "regression", "--loss", "mae")
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["losses"]["mae"] == 0.0


def test_prefetched_passes_items_and_errors_on_and_stops():
    from losscli.reading import Prefetched

    items = Prefetched(iter(range(20)), depth=3)
    assert list(items) == list(range(20))
    assert next(items, "done") == "done"  # exhausted: stays exhausted, does not block

    def failing():
        yield 1
        raise DataError("bad row 2")

    items = Prefetched(failing())
    assert next(items) == 1
    with pytest.raises(DataError, match="bad row 2"):
        next(items)
    endless = Prefetched(iter(int, 1), depth=2)  # an endless producer, stopped by close()
    assert next(endless) == 0
    endless.close()
    assert next(endless, "closed") == "closed"


def test_columns_no_pair_uses_are_not_parsed_after_the_first_chunk(tmp_path, monkeypatch):
    """A wide file: after the first chunk only the used columns are converted, so a bad cell in an
    unused column is no error, while one in a used column is still reported at its row."""
    from losscli import csv_stream

    from .conftest import run

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 300)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    lines = [f"{i % 2},0.{i % 8 + 1},{i},feature {i}" for i in range(200)]
    lines[150] = "1,0.5,not a number,free text"  # an unused numeric column, after the first chunk
    path = tmp_path / "wide.csv"
    path.write_text("y_true,y_pred,x,note\n" + "\n".join(lines) + "\n")
    result = run("eval", path, "--loss", "brier")
    assert result.code == 0, result.stderr
    y = np.array([i % 2 for i in range(200)], dtype=float)
    p = np.array([float(f"0.{i % 8 + 1}") for i in range(200)])
    p[150] = 0.5
    assert result.json["results"][0]["losses"]["brier"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    lines[180] = "1,oops,3,text"  # a used column: named at its row
    path.write_text("y_true,y_pred,x,note\n" + "\n".join(lines) + "\n")
    result = run("eval", path, "--loss", "brier")
    assert result.code == 3 and "column 'y_pred', row 181" in result.stderr and "'oops' is not a number" in result.stderr


def test_a_column_choice_narrows_the_pieces_parsed_after_it(tmp_path, monkeypatch):
    from losscli import csv_stream
    from losscli.csv_stream import ColumnChoice
    from losscli.reading import iter_tables

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 200)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 200)
    path = tmp_path / "w.csv"
    path.write_text("a,b,c\n" + "".join(f"{i},{i * 2},{i * 3}\n" for i in range(300)))
    choice = ColumnChoice()
    chunks = iter_tables(str(path), columns=choice)
    first = next(chunks)
    assert first.column_names == ["a", "b", "c"]
    choice.keep(["c", "a", "zz"])  # a name the file lacks is left to the evaluation to report
    rest = list(chunks)
    assert {tuple(t.column_names) for t in rest} == {("c", "a")}
    assert sum(t.num_rows for t in rest) + first.num_rows == 300
    assert rest[-1].column("c").to_pylist()[-1] == 897.0


def test_a_bad_cell_in_a_numeric_column_of_the_first_chunk_is_named_not_taken_for_class_names(tmp_path):
    """Past the first 64 KiB (where the types are decided) a prediction cell that is not a number
    turns its column to text for that piece; it must still be a bad number at its row, not hard
    class predictions beside text labels."""
    from .conftest import run

    rows = [f"{'cat' if i % 2 else 'dog'},0.{i % 9 + 1}" for i in range(12000)]
    rows[11000] = "cat,0.4x"
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size > 64 * 1024
    result = run("eval", path)
    assert result.code == 3
    assert "column 'y_pred', row 11001" in result.stderr and "'0.4x' is not a number" in result.stderr


def test_parquet_row_groups_read_after_the_choice_hold_just_those_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from losscli.csv_stream import ColumnChoice
    from losscli.reading import iter_tables

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"a": list(range(100)), "b": [0.5] * 100, "c": ["x"] * 100}), path, row_group_size=25)
    choice = ColumnChoice()
    chunks = iter_tables(str(path), columns=choice)
    assert next(chunks).column_names == ["a", "b", "c"]
    choice.keep(["b"])
    rest = list(chunks)
    assert {tuple(t.column_names) for t in rest} == {("b",)} and sum(t.num_rows for t in rest) == 75


@pytest.mark.parametrize("decimal", [".", ","])
def test_an_integer_column_with_decimals_later_keeps_every_value(tmp_path, monkeypatch, decimal):
    """Types come from the first 64 KiB: a target that is whole there and fractional later is read
    as float64 where it changes, and from then on; every value counts (MAE by numpy). With decimal
    commas (Excel's "86" then "68,25"), that piece was read as text and refused, --decimal , or not."""
    from losscli import csv_stream

    from .conftest import run

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 70_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 5_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 2_000)
    rng = np.random.default_rng(5)
    y = rng.integers(0, 100, 12_000).astype(float)
    y[9_000:] += 0.25  # whole numbers for the first 9,000 rows (over 64 KiB), then quarters
    p = y + rng.normal(0, 3, len(y)).round(3)
    path = tmp_path / "r.csv"
    sep = ";" if decimal == "," else ","
    rows = [f"{a:g}{sep}{b:g}\n".replace(".", decimal) for a, b in zip(y, p)]
    path.write_text(f"y_true{sep}y_pred\n" + "".join(rows))
    assert len("".join(rows[:9000])) > 64 * 1024
    result = run("eval", path, "--task", "regression", "--loss", "mae", "--decimal", decimal)
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["losses"]["mae"] == pytest.approx(np.mean(np.abs(y - p)), rel=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.integers(0, 9), st.text("0123456789", min_size=1, max_size=60)), min_size=1,
                      max_size=80),
       ending=st.sampled_from(["", "\n", "\n\n\n", "\r\n"]), first=st.integers(1, 300), later=st.integers(1, 200))
def test_a_plain_file_and_the_same_text_compressed_read_alike(tmp_path_factory, monkeypatch, lines, ending, first,
                                                            later):
    """A plain file and a compressed one, read in pieces of any size (lines longer than a piece, no
    line end at the end, blank lines after it), give the same tables."""
    from losscli import csv_stream
    from losscli.reading import iter_tables

    text = "y_true,y_pred\n" + "\n".join(f"{y},{digits}" for y, digits in lines) + ending
    folder = tmp_path_factory.mktemp("m")
    (folder / "plain.csv").write_text(text, newline="")
    (folder / "packed.csv.gz").write_bytes(gzip.compress(text.encode()))
    with monkeypatch.context() as patch:
        patch.setattr(csv_stream, "FIRST_CHUNK_BYTES", first)
        patch.setattr(csv_stream, "CHUNK_BYTES", later)
        plain = list(iter_tables(str(folder / "plain.csv")))
        streamed = list(iter_tables(str(folder / "packed.csv.gz")))
    assert [t.num_rows for t in plain] == [t.num_rows for t in streamed]
    assert all(a.equals(b) for a, b in zip(plain, streamed))
    assert sum(t.num_rows for t in plain) == len(lines)


def test_every_piece_reaches_pyarrow_in_memory_arrow_owns(tmp_path, monkeypatch):
    """pyarrow's reader may drop its input on one of its threads after read_csv returns; were that
    a buffer Python owns, an exit at that moment aborts the process (exit 134). So every piece,
    plain or compressed, is handed over in a buffer Arrow allocated."""
    from losscli import csv_stream
    from losscli.reading import iter_tables

    text = "y_true,y_pred\n" + "1,0.25\n0,0.5\n" * 3000
    (tmp_path / "plain.csv").write_text(text)
    (tmp_path / "packed.csv.gz").write_bytes(gzip.compress(text.encode()))
    owned, parsed = [], []
    real_owned, real_parse = csv_stream._arrow_owned, csv_stream._parse_piece
    monkeypatch.setattr(csv_stream, "_arrow_owned", lambda view: owned.append(real_owned(view)) or owned[-1])
    monkeypatch.setattr(csv_stream, "_parse_piece", lambda piece, *rest: parsed.append(piece) or real_parse(piece, *rest))
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_096)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 4_096)
    for name in ("plain.csv", "packed.csv.gz"):
        assert sum(t.num_rows for t in iter_tables(str(tmp_path / name))) == 6000
    assert len(parsed) > 10 and all(any(piece is mine for mine in owned) for piece in parsed)


def test_a_quote_that_never_closes_is_named_never_a_silent_loss_of_rows(tmp_path, monkeypatch):
    """pyarrow parses a piece in blocks; an unterminated quote lost the rest of its block, silently."""
    from losscli import csv_stream

    from .conftest import run

    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 200)  # several blocks in one piece
    lines = ["note,y_true,y_pred"] + [f"ok,{i % 2},0.{i % 9 + 1}" for i in range(300)]
    lines[120] = '"unterminated,0,0.2'
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    result = run("eval", path)
    assert result.code == 3 and "row 120" in result.stderr and "does not close" in result.stderr
    lines[120] = 'bad "quote,0,0.2'  # a quote inside a value is a character like another
    path.write_text("\n".join(lines) + "\n")
    result = run("eval", path, "--format", "json")
    assert result.code == 0 and result.json["input"]["rows"] == 300


@pytest.mark.parametrize("small", [False, True])
@pytest.mark.parametrize("column", ["user", "note"])  # the group column, and a column no pair uses
def test_a_quote_never_closed_in_the_last_column_is_refused_not_the_rest_of_the_file_read_as_one_value(
        tmp_path, monkeypatch, small, column):
    """A quote opening the last value of a row and never closed made the rest of the file that one
    value: 3000 rows left out with exit 0."""
    from losscli import csv_stream

    from .conftest import run

    if small:  # the quote in a later piece, which holds only the columns used
        monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
        monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
        monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    header = "y_true,y_pred,note,user" if column == "user" else "y_true,y_pred,user,note"
    rows = "".join(f"{i % 2},{0.2 + 0.6 * (i % 2)},u{i % 7}\n".replace("\n", ",x\n") for i in range(3000))
    if column == "user":
        rows = rows.replace(",u", ",x,u").replace(",x\n", "\n")
    path = tmp_path / "q.csv"
    path.write_text(f"{header}\n{rows}1,0.5,u1,\"open\n{rows}")
    result = run("eval", path, "--group-by", "user")
    assert result.code == 3 and "row 3001" in result.stderr and "never closed" in result.stderr, result.stderr


@pytest.mark.parametrize(("text", "row"), [
    (b'id,y_true,y_pred,note\n1,1,0.9,5" tv\n2,0,0.2,ok\n3,1,0.7,"open\n4,0,0.1,x\n5,1,0.6,y\n', 3),  # quotes even
    (b'id,y_true,y_pred,note\r\n1,1,0.9,ok\r\n2,0,0.2,"open\r\n3,1,0.7,x\r\n', 2),
    (b'id;y_true;y_pred;note\r\n1;0;0,1;caf\xe9\r\n2;1;0,9;"x\r\n3;1;0,8;z\r\n4;0;0,3;k\r\n', 2),  # not UTF-8
])
def test_a_quote_never_closed_is_refused_whatever_the_count_of_quotes(tmp_path, text, row):
    from .conftest import run

    path = tmp_path / "q.csv"
    path.write_bytes(text)
    result = run("eval", path, "--true", "y_true", "--pred", "y_pred")
    assert result.code == 3 and f"row {row}:" in result.stderr and "never closed" in result.stderr, result.stderr


@pytest.mark.parametrize("labels", [False, True])
def test_quoted_line_breaks_beside_a_quote_inside_a_value_are_read(tmp_path, labels):
    """A quote inside an unquoted value (5" screen) makes the count of quotes odd; with a quoted line
    break in the same piece (one with a space after its closing quote), the file is still valid, and read."""
    from .conftest import run

    path = tmp_path / "p.csv"
    text = (b'id,y_true,y_pred,note\n1,1,0.3,5" screen\n2,0,0.4,"line1\nline2" \n3,1,0.5,"a ""b""\r\nc"\n\n')
    path.write_bytes(text.replace(b",0.3", b"").replace(b",0.4", b"").replace(b",y_pred", b"").replace(b",0.5", b"")
                     if labels else text)
    if labels:
        preds = tmp_path / "pred.csv"
        preds.write_text("id,y_pred\n1,0.3\n2,0.4\n3,0.5\n")
        result = run("eval", preds, "--labels", path, "--on", "id", "--format", "json")
    else:
        result = run("eval", path, "--true", "y_true", "--pred", "y_pred", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["n"] == 3


@SETTINGS
@given(lines=st.lists(st.text("0123456789,.", min_size=0, max_size=12), min_size=1, max_size=40),
       first=st.integers(1, 30), size=st.integers(1, 30), reads=st.integers(1, 30))
def test_text_is_handed_on_in_whole_lines_whatever_the_sizes_of_the_reads(lines, first, size, reads):
    """A piece never ends inside a line: when the text read reached exactly the piece's size, it was
    cut there (a valid file then failed at the next piece with "1 field(s) where the header has …")."""
    import io

    from losscli import csv_stream

    text = "".join(line + "\n" for line in lines).encode()

    class ShortReads(io.BytesIO):  # a pipe or a decompressor: reads return at most `reads` bytes
        def read(self, n=-1):
            return super().read(min(n, reads) if n and n > 0 else reads)

    pieces = [bytes(p) for p in csv_stream._stream_pieces(ShortReads(text), b"", first, "p.csv", size)]
    assert b"".join(pieces) == text
    assert all(piece.endswith(b"\n") for piece in pieces)


@SETTINGS
@given(sizes=st.lists(st.tuples(st.integers(0, 50), st.sampled_from([1, 3])), min_size=1, max_size=12),
       cells=st.integers(1, 120), rows=st.one_of(st.none(), st.integers(1, 60)))
def test_tables_are_gathered_to_the_sizes_asked_without_joining_other_columns(sizes, cells, rows):
    """The first table alone; then tables of the same columns joined until they hold ``cells`` cells
    or ``rows`` rows; never two tables of other columns; every row once, in order."""
    import pyarrow as pa

    from losscli.reading import gathered

    start = np.cumsum([0] + [n for n, _ in sizes])
    tables = [pa.table({f"c{k}": np.arange(start[i], start[i] + n) for k in range(width)})
              for i, (n, width) in enumerate(sizes)]
    out = list(gathered(iter(tables), cells, rows))
    assert out[0] is tables[0]
    assert np.array_equal(np.concatenate([t.column(0).to_numpy() for t in out]), np.arange(start[-1]))
    enough = [t.num_rows * t.num_columns >= cells or (rows is not None and t.num_rows >= rows) for t in out]
    for i, table in enumerate(out[1:-1], start=1):  # only where the columns change may one be short
        assert enough[i] or out[i + 1].num_columns != table.num_columns
    changes = sum(a.num_columns != b.num_columns for a, b in itertools.pairwise(out))
    assert changes <= sum(a != b for (_, a), (_, b) in itertools.pairwise(sizes))


@SETTINGS
@given(rows=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["0.2", "0.7", "0.9"]),
                               st.sampled_from(["x", '"a\nb"', '"he said ""hi""\nthen left"', '""', '"p,q"'])),
                     min_size=1, max_size=30),
       first=st.integers(20, 120), later=st.integers(10, 90), crlf=st.booleans())
def test_a_quoted_value_with_a_line_break_is_never_cut_into_a_made_up_row(rows, first, later, crlf, tmp_path_factory):
    """Pieces end at line ends outside quoted values: a file of notes with line breaks in them gives
    the rows and losses of the file read whole, whatever the sizes of the pieces."""
    from losscli import csv_stream

    from .conftest import run

    end = "\r\n" if crlf else "\n"
    text = "y_true,y_pred,note" + end + "".join(f"{y},{p},{note.replace(chr(10), end)}{end}" for y, p, note in rows)
    path = tmp_path_factory.mktemp("quoted") / "p.csv"
    path.write_bytes(text.encode())
    whole = run("eval", path, "--loss", "brier", "--true", "y_true", "--pred", "y_pred")
    assert whole.code == 0, whole.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_stream, "FIRST_CHUNK_BYTES", first)
        patch.setattr(csv_stream, "CHUNK_BYTES", later)
        patch.setattr(csv_stream, "BLOCK_BYTES", later)
        pieces = run("eval", path, "--loss", "brier", "--true", "y_true", "--pred", "y_pred")
    assert pieces.code == 0, pieces.stderr
    assert pieces.json["results"][0]["n"] == whole.json["results"][0]["n"] == len(rows)
    assert pieces.json["results"][0]["losses"]["brier"] == pytest.approx(whole.json["results"][0]["losses"]["brier"],
                                                                         rel=1e-12)


def test_a_stray_quote_in_an_unused_column_is_read_as_before(tmp_path, monkeypatch):
    """A quote inside an unquoted value (5" for inches) makes the quotes odd: the pieces after it are
    cut on (the file is read as before, whole here), never refused."""
    from losscli import csv_stream

    from .conftest import run

    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred,size\n" + "".join(f"{i % 2},0.{i % 9 + 1},{i}in\n" for i in range(40)).replace(
        "7in", '7"'))
    whole = run("eval", path, "--true", "y_true", "--pred", "y_pred", "--loss", "brier")
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 60)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 40)
    pieces = run("eval", path, "--true", "y_true", "--pred", "y_pred", "--loss", "brier")
    assert whole.code == pieces.code == 0, pieces.stderr
    assert pieces.json["results"][0]["n"] == 40
    assert pieces.json["results"][0]["losses"]["brier"] == pytest.approx(whole.json["results"][0]["losses"]["brier"],
                                                                         rel=1e-12)  # (summed in other chunks)


def test_a_latin1_text_column_no_pair_uses_is_read_beside_a_blank_line(tmp_path, monkeypatch):
    """An unused column that pyarrow reads as bytes (cp1252 text from Excel) is never converted, even
    in a piece whose rows and lines differ (a blank line)."""
    from losscli import csv_stream

    from .conftest import run

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    rows = [b"id;y_true;y_pred;note"] + [b"%d;%d;0,%d;caf\xe9" % (i, i % 2, i % 9 + 1) for i in range(3000)]
    rows.insert(2500, b"")
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\r\n".join(rows) + b"\r\n")
    result = run("eval", path, "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["input"]["rows"] == 3000


def test_a_file_whose_first_64_kib_end_inside_a_quoted_line_break_is_read(tmp_path):
    """The header and column types come from the first 64 KiB, cut at a line end: one inside a quoted
    value (pandas' QUOTE_ALL of text with line breaks) made up a row, and a valid file was refused."""
    pd = pytest.importorskip("pandas")
    from losscli import opening

    from .conftest import run

    n = 6000
    notes = ["ok", 'has "quotes"', "line1\nline2", "multi\r\nline \"q\"\r\nend", "a,b"]
    frame = pd.DataFrame({"review": ["x" * 24] + [notes[i % 5] for i in range(1, n)],  # (24: see below)
                          "y_true": [i % 2 for i in range(n)],
                          "y_pred": [round(0.1 + 0.8 * ((i * 7) % 11) / 10, 3) for i in range(n)]})
    path = tmp_path / "all.csv"
    frame.to_csv(path, index=False, quoting=1)  # csv.QUOTE_ALL
    sample = path.read_bytes()[:opening.SNIFF_BYTES]
    assert sample[: sample.rfind(b"\n") + 1].count(b'"') % 2  # the sample's last line end is inside quotes
    result = run("eval", path, "--true", "y_true", "--pred", "y_pred", "--loss", "brier", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["input"]["rows"] == n
    expected = ((frame["y_true"] - frame["y_pred"]) ** 2).mean()
    assert result.json["results"][0]["losses"]["brier"] == pytest.approx(expected, rel=1e-12)
