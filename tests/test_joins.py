"""The --labels join (losscli.joins): ids matched in Arrow by a hash lookup, with the decisions and
messages of the pandas Index join it replaced (checked against a copy of that join, below)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics

from losscli import joins
from losscli.errors import DataError, UsageError, where
from losscli.escape import cut
from losscli.frame import Frame, frame_from_table, to_numpy

from .conftest import run

INT64 = pa.int64()
HINT = "every prediction needs a label, and every label a prediction"
AUTO = " (to join on another column: --on COL)"  # what an id column found by its name adds to a problem


def frame(ids: pa.Array | pa.ChunkedArray, source: str, values: list[float] | None = None) -> Frame:
    """A file of ``ids`` and a column of values (0, 1, 2 … unless given)."""
    values = [float(i) for i in range(len(ids))] if values is None else values
    return frame_from_table(pa.table({"id": ids, "v": pa.array(values)}), source)


def joined_values(pred_ids: list, label_ids: list, pred_type: pa.DataType = INT64,
                  label_type: pa.DataType = INT64) -> np.ndarray:
    """Each prediction row's value from the labels file, whose values are its row numbers."""
    found = joins.join(frame(pa.array(pred_ids, pred_type), "p.csv"),
                       frame(pa.array(label_ids, label_type), "t.csv"), None)
    assert found.key == "id" and found.roles == {"v_pred": "pred", "v_true": "true"}
    return found.numeric("v_true")


def refusal(pred_ids: list, label_ids: list, on: str | None = None) -> str:
    with pytest.raises(DataError) as error:
        joins.join(frame(pa.array(pred_ids), "p.csv"), frame(pa.array(label_ids), "t.csv"), on)
    return str(error.value)


def test_integer_ids_in_another_order_join_to_their_rows():
    assert joined_values([30, 10, 20, 40], [10, 40, 20, 30]).tolist() == [3, 0, 2, 1]


def test_text_ids_join_to_their_rows_whatever_their_arrow_string_type():
    ids, other = ["b", "é", "a c", ""], ["", "a c", "b", "é"]
    for pred_type, label_type in [(pa.string(), pa.string()), (pa.large_string(), pa.string()),
                                  (pa.string(), pa.large_string())]:
        assert joined_values(ids, other, pred_type, label_type).tolist() == [2, 3, 1, 0]


def test_integers_of_other_widths_join_as_integers():
    assert joined_values([3, 1, 2], [1, 2, 3], pa.int8(), pa.int64()).tolist() == [2, 0, 1]
    big = [2**64 - 1, 2**63, 5]  # uint64 beyond int64's range: compared as text
    assert joined_values(big, big[::-1], pa.uint64(), pa.uint64()).tolist() == [2, 1, 0]


def test_integer_ids_meet_the_same_ids_written_as_text_as_before():
    """7 and "7" are one id (integers were always compared as their text); "07" and " 9" are not 7 and 9."""
    assert joined_values([7, 8, 9], ["9", "7", "8"], label_type=pa.string()).tolist() == [1, 2, 0]
    assert joined_values(["9", "7", "8"], [7, 8, 9], pred_type=pa.large_string()).tolist() == [2, 0, 1]
    with pytest.raises(DataError, match=r"p\.csv, column 'id', row 3: id '9' has no row in t\.csv \(1 ids in all\)"):
        joined_values([7, 8, 9], ["09", "7", "8"], label_type=pa.string())


def test_dataframes_with_integer_and_text_ids_join_through_the_api(tmp_path):
    import losscli

    pred = pd.DataFrame({"id": [7, 8, 9], "y_pred": [0.9, 0.2, 0.6]})
    labels = pd.DataFrame({"id": ["9", "7", "8"], "y_true": [1, 1, 0]})
    report = losscli.evaluate(pred, labels)
    assert report["input"]["on"] == "id"
    assert report["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(
        metrics.log_loss([1, 0, 1], [0.9, 0.2, 0.6]), rel=1e-12)


def test_a_repeated_id_is_named_with_its_rows():
    """The id named is the first seen a second time in file order (3 at row 4, before 5 at row 5)."""
    assert refusal([1, 2, 3, 4, 5], [5, 3, 1, 3, 5]) == (
        "t.csv, column 'id': id '3' appears more than once (rows 2, 4); ids must be unique to join" + AUTO)
    assert refusal(["x", "y", "x", "x", "z", "x"], ["x", "y", "z"], on="id") == (
        "p.csv, column 'id': id 'x' appears more than once (rows 1, 3, 4); ids must be unique to join")


def test_an_id_with_no_label_is_named_with_the_count():
    assert refusal([1, 2, 3, 4], [2, 1, 8, 9]) == (
        f"p.csv, column 'id', row 3: id '3' has no row in t.csv (2 ids in all); {HINT}{AUTO}")
    assert refusal(["a", "b", "c\nd"], ["a", "b", "e"], on="id") == (
        f"p.csv, column 'id', row 3: id 'c\\\\nd' has no row in t.csv (1 ids in all); {HINT}")


def test_labels_beyond_the_predictions_are_counted_and_the_first_in_text_order_named():
    """As pandas' Index.difference sorted them: '100' comes before '11' (and the labels' order does not matter)."""
    assert refusal([9, 10], [11, 10, 100, 9]) == (f"t.csv: 2 ids are not in p.csv (first: '100'); {HINT}{AUTO}")
    assert refusal(["b"], ["b", "z", "a"], on="id") == f"t.csv: 2 ids are not in p.csv (first: 'a'); {HINT}"


def test_an_empty_id_is_refused_naming_its_row(write):
    preds = write("p.csv", "id,y_pred\n1,0.2\n,0.7\n3,0.4\n")
    result = run("eval", preds, "--labels", write("t.csv", "id,y_true\n1,0\n2,1\n3,0\n"))
    assert result.code == 3
    assert "p.csv, column 'id', row 2: empty join id; every row needs an id (to join on another column: --on COL)" \
        in result.stderr
    result = run("eval", write("q.csv", "id,y_pred\n1,0.2\n2,0.7\n3,0.4\n"), "--labels",
                 write("u.csv", "id,y_true\n3,0\n1,1\n,0\n"), "--on", "id")
    assert result.code == 3 and "u.csv, column 'id', row 3: empty join id; every row needs an id" in result.stderr


def test_the_same_ids_in_the_same_order_take_no_rows():
    ids = pa.chunked_array([pa.array(["a", "b"]), pa.array(["c"])])
    labels = frame(pa.array(["a", "b", "c"], pa.large_string()), "t.csv")
    found = joins.find_join(frame(ids, "p.csv"), labels, None, HINT)
    assert (found.key, found.order) == ("id", None)
    taken = joins.join(frame(ids, "p.csv"), labels, None).columns["v_true"]
    assert taken.data is labels.columns["v"].data and taken.rows is None


def test_two_id_columns_that_order_the_rows_differently_are_refused():
    pred = frame_from_table(pa.table({"id": [1, 2, 3], "code": ["a", "b", "c"], "y_pred": [0.1, 0.2, 0.3]}), "p.csv")
    same = frame_from_table(pa.table({"id": [1, 2, 3], "code": ["a", "b", "c"], "y_true": [0, 1, 0]}), "t.csv")
    assert joins.find_join(pred, same, None, HINT).order is None
    other = frame_from_table(pa.table({"id": [1, 2, 3], "code": ["b", "a", "c"], "y_true": [0, 1, 0]}), "t.csv")
    with pytest.raises(UsageError, match="order the rows differently"):
        joins.find_join(pred, other, None, HINT)


def test_a_shuffled_join_of_100k_rows_scores_as_the_file_in_order(tmp_path):
    rng = np.random.default_rng(7)
    n = 100_000
    ids = rng.choice(10**9, size=n, replace=False)
    y = rng.integers(0, 2, n)
    p = np.clip(np.where(y == 1, rng.beta(4, 2, n), rng.beta(2, 4, n)), 1e-6, 1 - 1e-6)
    pd.DataFrame({"id": ids, "y_true": y, "y_pred": p}).to_csv(tmp_path / "whole.csv", index=False)
    a, b = rng.permutation(n), rng.permutation(n)
    pd.DataFrame({"id": ids[a], "y_pred": p[a]}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"id": ids[b].astype(str), "y_true": y[b]}).to_csv(tmp_path / "t.csv", index=False)
    whole = run("eval", tmp_path / "whole.csv", "--format", "json")
    joined = run("eval", tmp_path / "p.csv", "--labels", tmp_path / "t.csv", "--format", "json")
    assert whole.code == joined.code == 0, joined.stderr
    assert joined.json["input"]["on"] == "id" and joined.json["results"][0]["n"] == n
    for name, expected in [("binary_crossentropy", metrics.log_loss(y, p)),
                           ("brier", metrics.brier_score_loss(y, p))]:
        assert joined.losses()[name] == pytest.approx(expected, rel=1e-12)
        assert joined.losses()[name] == pytest.approx(whole.losses()[name], rel=1e-12)


ID_TYPES = [pa.int64(), pa.int32(), pa.string(), pa.large_string()]


def arrow_ids(values: list, kind: pa.DataType, chunks: int) -> pa.ChunkedArray:
    """``values`` (integers, or None) as ``kind``, in ``chunks`` pieces."""
    cells = values if pa.types.is_integer(kind) else [None if v is None else str(v) for v in values]
    cuts = np.linspace(0, len(cells), chunks + 1).astype(int)
    return pa.chunked_array([pa.array(cells[i:j], kind) for i, j in itertools.pairwise(cuts)], kind)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-2**31, 2**31 - 1), min_size=1, max_size=60, unique=True), st.data(),
       st.sampled_from(ID_TYPES), st.sampled_from(ID_TYPES), st.integers(1, 3))
def test_a_permutation_of_unique_ids_always_joins_to_the_right_rows(ids, data, pred_type, label_type, chunks):
    shuffled = data.draw(st.permutations(ids))
    found = joins.join(frame(arrow_ids(ids, pred_type, chunks), "p.csv"),
                       frame(arrow_ids(shuffled, label_type, chunks), "t.csv", [float(v) for v in shuffled]), None)
    assert found.numeric("v_true").tolist() == [float(v) for v in ids]
    assert found.column("v_true").rows is None or [shuffled[r] for r in found.column("v_true").rows] == ids


def pandas_key_order(first: Frame, second: Frame, key: str, other_key: str,
                     hint: str) -> tuple[np.ndarray | None, str | None]:
    """The join before it stayed in Arrow: ids as text in a pandas Index, kept as the reference."""
    keys = []
    for f, name in ((first, key), (second, other_key)):
        values = pd.Index(to_numpy(f.columns[name].data.cast(pa.string())))
        if values.hasnans:
            i = int(np.flatnonzero(values.isna())[0])
            return None, f"{where(f.source, name, i + 1)}empty join id; every row needs an id"
        if not values.is_unique:
            dup = values[values.duplicated()][0]
            rows = np.flatnonzero(values == dup)[:3] + 1
            return None, (f"{where(f.source, name)}id {cut(dup)} appears more than once (rows "
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


@st.composite
def id_files(draw) -> tuple[Frame, Frame]:
    """Two files of ids drawn from a few values (so that they repeat, go missing or are extra), empty
    ids sometimes, each as integers or text."""
    value = st.one_of(st.integers(-3, 12), st.none()) if draw(st.booleans()) else st.integers(-3, 12)
    first = draw(st.lists(value, min_size=1, max_size=8))
    how = draw(st.sampled_from(["shuffled", "same", "drawn"]))
    second = {"shuffled": lambda: draw(st.permutations(first)), "same": lambda: list(first),
              "drawn": lambda: draw(st.lists(value, min_size=1, max_size=9))}[how]()
    kinds = st.sampled_from(ID_TYPES)
    return (frame(arrow_ids(first, draw(kinds), draw(st.integers(1, 2))), "p.csv"),
            frame(arrow_ids(second, draw(kinds), draw(st.integers(1, 2))), "t.csv"))


@settings(max_examples=400, deadline=None)
@given(id_files())
def test_the_same_rows_and_messages_as_the_pandas_index_join(files):
    first, second = files
    order, problem = joins._key_order(first, second, "id", "id", HINT)
    expected_order, expected_problem = pandas_key_order(first, second, "id", "id", HINT)
    assert problem == expected_problem
    if problem is None:
        assert (np.arange(first.n_rows) if order is None else order).tolist() == expected_order.tolist()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40), st.sampled_from([0, 1, -7, 2**62, -2**63]), st.data())
def test_dense_integer_ids_join_as_the_hash_lookup_joins_them(n, offset, data):
    """Row numbers in another order take a table indexed by the id (_dense_order); whatever the ids
    (spread, repeated, missing, near the ends of int64), it gives the hash lookup's rows, or None
    where the lookup finds no one-to-one match (the lookup then names the problem)."""
    import pyarrow.compute as pc

    span = data.draw(st.integers(n, 5 * n))
    ids = [offset + v for v in data.draw(st.lists(st.integers(0, span - 1), min_size=n, max_size=n))]
    ids = [max(min(v, 2**63 - 1), -2**63) for v in ids]
    other = data.draw(st.permutations(ids)) if data.draw(st.booleans()) else [
        max(min(offset + v, 2**63 - 1), -2**63) for v in data.draw(st.lists(st.integers(0, span - 1), min_size=n,
                                                                             max_size=n))]
    these, others = pa.array(ids, INT64), pa.array(other, INT64)
    expected = joins._one_to_one(these, others, pc.index_in(these, value_set=others))
    found = joins._dense_order(these, others)
    if found is None:
        assert expected is None or span >= joins.DENSE_SPAN * n or min(ids) < min(other) or max(ids) > max(other)
    else:
        assert expected is not None and found.tolist() == expected.tolist()
    if len(set(ids)) == n and sorted(other) == sorted(ids) and span < joins.DENSE_SPAN * n:
        assert found is not None  # (the dense table was used: the hash lookup was not needed)


def test_inverted_predictions_are_warned_of_in_a_big_join_sorted_by_label(tmp_path):
    """A file read whole (a join) judges its AUC on rows spread over it, not its first 100k: here
    those are all of one class."""
    n = 150_000
    y = (np.arange(n) >= 120_000).astype(int)
    ids = np.arange(n)
    (tmp_path / "p.csv").write_text("id,y_pred\n" + "".join(f"{i},{0.9 if v == 0 else 0.1}\n" for i, v in zip(ids, y)))
    (tmp_path / "l.csv").write_text("id,y_true\n" + "".join(f"{i},{v}\n" for i, v in zip(ids[::-1], y[::-1])))
    result = run("eval", tmp_path / "p.csv", "--labels", tmp_path / "l.csv", "--explain")
    assert result.code == 0
    assert "the predictions look inverted" in result.stderr
    assert "ROC AUC 0.000 with positive class 1 (one row in 2)" in result.stderr
