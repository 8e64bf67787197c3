"""``--group-by`` groups: each row's group, coded chunk by chunk (GroupCoder), against plain Python."""

from __future__ import annotations

import itertools
import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import csv_stream
from losscli.frame import frame_from_table
from losscli.groups import EMPTY, MISSING_GROUP, GroupCoder

from .conftest import run

TEXT = st.one_of(st.none(), st.sampled_from(["a", " a", "a ", "\ta", "b", "", "  ", MISSING_GROUP, "é", "東京"]),
                 st.text(alphabet=" \tab,é東%\"", max_size=4))


def expected_group(cell: object) -> str:
    """The group of a cell: its text stripped; empty, blank, None and NaN are EMPTY (shown as
    MISSING_GROUP; the text MISSING_GROUP is a group of its own)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return EMPTY
    return str(cell).strip(" \t") or EMPTY


def coded(cells: list, cuts: list[int], kind: pa.DataType) -> list[str]:
    """Each cell's group name, coding the cells in chunks cut at ``cuts``."""
    coder = GroupCoder("g")
    names = []
    bounds = [0, *sorted(c % (len(cells) + 1) for c in cuts), len(cells)]
    for start, stop in itertools.pairwise(bounds):
        table = pa.table({"g": pa.array(cells[start:stop], type=kind)})
        chunk = coder.code(frame_from_table(table, "f.csv"))
        values = chunk.values.to_pylist()
        assert len(set(values)) == len(values)  # each group once
        names += [values[c] for c in chunk.codes]
    return names


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=40), st.lists(st.integers(0, 40), max_size=4))
def test_each_text_cell_is_in_its_stripped_group_whatever_the_chunks(cells, cuts):
    assert coded(cells, cuts, pa.string()) == [expected_group(c) for c in cells]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from([1.5, 2.0, -0.0, math.nan, 1e300])), min_size=1, max_size=30),
       st.lists(st.integers(0, 30), max_size=3))
def test_a_float_group_column_is_grouped_by_its_text_and_nan_is_missing(cells, cuts):
    """Each number's group is its text as Arrow writes it, −0.0 that of 0.0 (equal numbers, one group)."""
    expected = [expected_group(c if c is None or math.isnan(c) else pa.scalar(c + 0.0).cast(pa.string()).as_py())
                for c in cells]
    assert coded(cells, cuts, pa.float64()) == expected
    assert "-0" not in expected


def test_minus_zero_and_zero_are_one_group(write, tmp_path):
    """In a column of floats (parquet); a CSV's group cells are text as written, -0.0 apart from 0.0."""
    import pyarrow.parquet as pq

    table = pa.table({"y_true": [1, 0, 1], "y_pred": [0.9, 0.2, 0.7], "g": [-0.0, 0.0, 0.5]})
    pq.write_table(table, tmp_path / "z.parquet")
    result = run("eval", tmp_path / "z.parquet", "--group-by", "g", "--loss", "brier")
    assert result.code == 0, result.stderr
    groups = {r["group"]: r["n"] for r in result.json["results"][1:]}
    assert groups == {"0": 2, "0.5": 1}  # (before: "-0" and "0", one row each)
    result = run("eval", write("z.csv", "y_true,y_pred,g\n1,0.9,-0.0\n0,0.2,0.0\n1,0.7,0.5\n"), "--group-by", "g",
                 "--loss", "brier")
    assert {r["group"]: r["n"] for r in result.json["results"][1:]} == {"-0.0": 1, "0.0": 1, "0.5": 1}


def test_a_half_float_group_column_is_grouped(tmp_path):
    """(Arrow adds no half floats: the −0.0 fix crashed on them, found by review.)"""
    import numpy as np
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"y_true": [0, 1, 0, 1], "y_pred": [0.2, 0.8, 0.4, 0.6],
                             "g": pa.array(np.array([0.5, 0.5, 1.0, -0.0], dtype=np.float16))}), tmp_path / "h.parquet")
    result = run("eval", tmp_path / "h.parquet", "--group-by", "g", "--loss", "brier")
    assert result.code == 0, result.stderr
    assert {r["group"]: r["n"] for r in result.json["results"][1:]} == {"0.5": 2, "1": 1, "0": 1}


@pytest.mark.parametrize("column, words", [("lst", "not of list<item: int64>"),
                                           ("st", "not of struct<a: int64>"),
                                           ("raw", "not UTF-8 text"),
                                           ("iv", "not of month_day_nano_interval")])
def test_a_group_column_of_lists_structs_intervals_or_bytes_that_are_not_text_is_refused(tmp_path, column, words):
    """(A crash, exit 4, before; an interval was called 'not UTF-8 text'.)"""
    from pyarrow import feather

    feather.write_feather(pa.table({"y_true": [0, 1, 0], "y_pred": [0.1, 0.8, 0.3], "lst": pa.array([[1], [2], [1]]),
                                    "st": pa.array([{"a": 1}, {"a": 2}, {"a": 1}]),
                                    "raw": pa.array([b"a", b"\xff", b"a"]),
                                    "iv": pa.array([(1, 2, 3)] * 3, pa.month_day_nano_interval())}),
                          tmp_path / "g.arrow")
    result = run("eval", tmp_path / "g.arrow", "--group-by", column)
    assert result.code == 3 and f"column '{column}'" in result.stderr and words in result.stderr, result.stderr


def test_integer_groups_and_a_chunk_with_no_rows():
    assert coded([3, None, 3, 10], [2], pa.int64()) == ["3", EMPTY, "3", "10"]
    assert coded([], [], pa.string()) == []


def test_a_parse_error_in_a_later_chunk_is_reported_after_the_chunks_before(write, monkeypatch):
    """The groups are coded ahead on another thread: an error reading a later chunk still names its
    row, and comes out as a data error, not a crash."""
    rows = "".join(f"{i % 2},{0.2 + 0.6 * (i % 2)},u{i % 7}\n" for i in range(3000))
    path = write("g.csv", "y_true,y_pred,user\n" + rows + '1,0.5,"u1\n' + rows)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    out = run("eval", path, "--group-by", "user")
    assert out.code == 3 and "row 3001" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_the_text_missing_beside_empty_cells_is_refused_on_every_path(write, monkeypatch, tmp_path):
    """Empty cells are the group (missing): a cell that says so, in a later chunk, another shard, a
    Dask partition or another state file, is refused (exit 3) instead of joining them; without
    empty cells it is a group like any other."""
    rows = "".join(f"{i % 2},{0.2 + 0.6 * (i % 2)},{'' if i % 5 == 0 else f'u{i % 7}'}\n" for i in range(3000))
    path = write("g.csv", "y_true,y_pred,user\n" + rows + "1,0.5, (missing)\n")
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    said = "column 'user': --group-by: the column holds empty cells and the text '(missing)'"
    out = run("eval", path, "--group-by", "user")
    assert out.code == 3 and said in out.stderr, out.stderr
    write("part_1.csv", "y_true,y_pred,user\n1,0.8,\n0,0.3,a\n")  # an empty cell here, the text there
    write("part_2.csv", "y_true,y_pred,user\n1,0.6,(missing)\n0,0.1,(missing)\n")
    for engine in ([], ["--engine", "dask"]):
        out = run("eval", tmp_path / "part_*.csv", "--group-by", "user", *engine)
        assert out.code == 3 and said in out.stderr, (engine, out.stderr)
    for k in (1, 2):
        assert run("eval", tmp_path / f"part_{k}.csv", "--group-by", "user", "--state", tmp_path / f"s{k}.json").code == 0
    out = run("merge", tmp_path / "s1.json", tmp_path / "s2.json")
    assert out.code == 3 and said in out.stderr, out.stderr
    named = write("n.csv", "y_true,y_pred,user\n1,0.8,(missing)\n0,0.4,(missing)\n1,0.6,u1\n")
    groups = {r["group"]: r["n"] for r in run("eval", named, "--group-by", "user", "--format", "json").json["results"]}
    assert groups == {None: 3, "(missing)": 2, "u1": 1}
    empty = write("e.csv", "y_true,y_pred,user\n1,0.8,\n0,0.4,\n1,0.6,u1\n")
    groups = {r["group"]: r["n"] for r in run("eval", empty, "--group-by", "user", "--format", "json").json["results"]}
    assert groups == {None: 3, "(missing)": 2, "u1": 1}


def test_groups_coded_ahead_equal_groups_coded_one_chunk_at_a_time(write, monkeypatch):
    """The local engine codes groups ahead on a thread; a Dask worker codes each chunk alone: the
    same groups and sums."""
    rows = "".join(f"{i % 2},{(i % 9 + 0.5) / 10},{[' a', 'a', 'b ', '', 'c'][i % 5]}{i % 13}\n" for i in range(4000))
    path = write("g.csv", "y_true,y_pred,user\n" + rows)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    ahead = run("eval", path, "--group-by", "user", "--format", "json").json["results"]
    monkeypatch.setattr("losscli.evaluation.coded_ahead", lambda frames, column: ((f, None) for f in frames))
    alone = run("eval", path, "--group-by", "user", "--format", "json").json["results"]
    assert [(r["group"], r["n"]) for r in ahead] == [(r["group"], r["n"]) for r in alone]
    assert len(ahead) == 1 + 4 * 13  # the overall result, then a0…a12, "b 0"…"b 12", 0…12 (blank + number), c0…c12
    for one, other in zip(ahead, alone):
        assert one["losses"] == pytest.approx(other["losses"], rel=1e-12)


def test_a_shard_without_a_column_is_named_as_without_groups(write, tmp_path):
    """The groups are coded ahead; a shard that lacks the pair's column still names that column."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.csv").write_text("y_true,y_pred,g\n1,0.8,a\n0,0.3,b\n")
    (tmp_path / "s" / "b.csv").write_text("y_true,y_predx,g\n1,0.8,a\n0,0.3,b\n")
    out = run("eval", str(tmp_path / "s" / "*.csv"), "--group-by", "g")
    assert out.code == 3 and "no column 'y_pred', which the first file has" in out.stderr, out.stderr
    out = run("eval", write("p.csv", "y_true,y_pred,g\n1,0.8,a\n"), "--group-by", "nope", "--weight", "nope2")
    assert out.code == 2 and "nope2" in out.stderr


def test_chunks_end_where_they_would_whenever_the_columns_were_chosen():
    """Pieces parsed before the columns used were chosen hold every column: gathered holds just the
    chosen ones, so where the chunks end (and so the order of the sums) does not depend on timing."""
    from losscli.csv_stream import ColumnChoice
    from losscli.reading import gathered

    def piece(start: int, every: bool) -> pa.Table:
        columns = {"y_true": [float(i % 2) for i in range(start, start + 10)],
                   "y_pred": [0.5] * 10, "note": ["x"] * 10, "user": [f"u{i % 3}" for i in range(start, start + 10)]}
        return pa.table(columns if every else {k: v for k, v in columns.items() if k != "note"})

    chunkings = set()
    for switch in range(1, 12):  # the first piece parsed with the choice
        choice = ColumnChoice()
        choice.keep(["y_true", "y_pred", "user"])
        tables = [piece(10 * k, k < switch) for k in range(12)]
        chunks = list(gathered(iter(tables), cells=65, columns=choice))
        chunkings.add(tuple((t.num_rows, tuple(t.column_names)) for t in chunks[1:]))
    used = ("y_true", "y_pred", "user")
    assert chunkings == {((30, used), (30, used), (30, used), (20, used))}  # 65 cells: 22 rows of 3 columns


def test_an_error_in_the_plan_with_groups_coded_ahead_ends_the_run(write, tmp_path):
    """The thread that codes groups waits for the first chunk's plan; an error there ends it too."""
    import subprocess
    import sys

    rows = "".join(f"{['a', 'b', 'c'][i % 3]},0.{i % 9 + 1},u{i % 5}\n" for i in range(30000))
    path = write("g.csv", "y_true,y_pred,user\n" + rows)
    out = subprocess.run([sys.executable, "-m", "losscli", "eval", path, "--group-by", "user"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 3 and "label values" in out.stderr and "Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("codes, other", [(["01", "02"], "x"), (["True", "False"], "maybe")])
def test_group_cells_are_grouped_as_written_whatever_the_chunk(write, monkeypatch, tmp_path, codes, other):
    """A CSV chunk of digits alone read 01 and 02 as the numbers 1 and 2, and a chunk with an x
    among them as text: groups 1 and 01 (and True and true), with wrong numbers, exit 0. The
    --group-by column is now read as text as written in every chunk, of one file or of shards."""
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    cells = [codes[i % 2] for i in range(600)] + [other] + [codes[i % 2] for i in range(600)]
    rows = [f"{i % 2},{0.2 + 0.6 * (i % 3 == 0)},{cell}\n" for i, cell in enumerate(cells)]
    whole = write("whole.csv", "y_true,y_pred,g\n" + "".join(rows))
    write("s_0.csv", "y_true,y_pred,g\n" + "".join(rows[:600]))
    write("s_1.csv", "y_true,y_pred,g\n" + "".join(rows[600:]))
    expected = {codes[0]: 600, codes[1]: 600, other: 1}
    for args in ([whole], [tmp_path / "s_*.csv"], [tmp_path / "s_*.csv", "--engine", "dask"]):
        result = run("eval", *args, "--group-by", "g")
        assert result.code == 0, result.stderr
        assert {r["group"]: r["n"] for r in result.json["results"] if r["group"] is not None} == expected


def test_a_table_places_a_null_value_in_a_group_of_its_own():
    """(No caller passes nulls today; a −1 would have put their rows in the last group unseen.)"""
    from losscli.groups import GroupTable

    table = GroupTable()
    assert table.place(pa.array(["a", None, "b"])).tolist() == [0, 1, 2]
    assert table.place(pa.array([None, "c", "a", None])).tolist() == [1, 3, 0, 1]
    assert table.known.to_pylist() == ["a", None, "b", "c"]
