"""``losscli.evaluate`` on Arrow data and scikit-learn's arrays, and ``losscli.partial`` +
``losscli.merge`` on shards handed over as Spark's ``mapInArrow`` (an iterator of record batches per
partition), Ray's ``map_batches(batch_format="pyarrow")`` (a table per batch) and Dask's
``map_partitions`` (a pandas DataFrame per partition) hand them: simulated in plain Python, the
states pickled between "processes". Every number must equal the file's (the same rows saved as CSV)
and scikit-learn's to 1e-12, with the same data hash in the signature."""

from __future__ import annotations

import itertools
import math
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics

import losscli
from losscli.errors import DataError, LossCliError, UsageError

RNG = np.random.default_rng(17)
N = 2_500
BINARY = pd.DataFrame({"y_true": RNG.integers(0, 2, N), "y_pred": RNG.random(N)})
REGRESSION = pd.DataFrame({"y_true": RNG.normal(10, 3, N), "y_pred": RNG.normal(10, 3, N)})
LABELS = np.array(["cat", "dog", "fish"])
SPARSE_P = RNG.dirichlet([1, 1, 1], N)
SPARSE_Y = RNG.choice(LABELS, N)
SPARSE = pd.DataFrame({"y_true": SPARSE_Y, **{f"y_pred_{c}": SPARSE_P[:, k] for k, c in enumerate(LABELS)}})
WEIGHTS = RNG.random(N) + 0.5


class Capsule:
    """What a polars DataFrame offers Arrow: the PyCapsule stream interface, nothing else."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.table.__arrow_c_stream__(requested_schema)


def batches(table: pa.Table, size: int) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=size)


def same_numbers(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Two reports agree: every result's losses to 1e-12, and the signature (data hash included)."""
    assert got["signature"] == want["signature"]
    assert len(got["results"]) == len(want["results"])
    for a, b in zip(got["results"], want["results"]):
        assert (a["pair"], a["task"], a["predictions"], a["n"], a["classes"], a["positive"]) == \
            (b["pair"], b["task"], b["predictions"], b["n"], b["classes"], b["positive"])
        assert set(a["losses"]) == set(b["losses"])
        for name, value in b["losses"].items():
            assert a["losses"][name] == pytest.approx(value, rel=1e-12, abs=1e-15), name


def as_csv(frame: pd.DataFrame, tmp_path: Path) -> str:
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)  # (floats written so that they read back exactly)
    return str(path)


# --------------------------------------------------------------------------------------------
# evaluate(): every input equals the same rows in a CSV file


@pytest.mark.parametrize("frame", [BINARY, REGRESSION, SPARSE], ids=["binary", "regression", "sparse"])
@pytest.mark.parametrize("make", [
    pa.Table.from_pandas,
    lambda t: pa.Table.from_pandas(t).to_batches()[0],
    lambda t: pa.RecordBatchReader.from_batches(pa.Schema.from_pandas(t, preserve_index=False),
                                                batches(pa.Table.from_pandas(t, preserve_index=False), 300)),
    lambda t: iter(batches(pa.Table.from_pandas(t, preserve_index=False), 7)),
    lambda t: Capsule(pa.Table.from_pandas(t, preserve_index=False)),
], ids=["Table", "RecordBatch", "RecordBatchReader", "iterator", "capsule"])
def test_arrow_inputs_equal_the_csv_file(frame, make, tmp_path):
    same_numbers(losscli.evaluate(make(frame)), losscli.evaluate(as_csv(frame, tmp_path)))


def test_arrays_equal_the_csv_file_and_scikit_learn(tmp_path):
    y, p = BINARY["y_true"].to_numpy(), BINARY["y_pred"].to_numpy()
    report = losscli.evaluate(y_true=y, y_pred=p)
    same_numbers(report, losscli.evaluate(as_csv(BINARY, tmp_path)))
    assert report["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(y, p), rel=1e-12)
    assert report["results"][0]["positive"] == "1"
    y, p = REGRESSION["y_true"].to_numpy(), REGRESSION["y_pred"].to_numpy()
    report = losscli.evaluate(y_true=list(y), y_pred=pd.Series(p))  # (lists and Series are arrays too)
    same_numbers(report, losscli.evaluate(as_csv(REGRESSION, tmp_path)))
    assert report["results"][0]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(y, p), rel=1e-12)


def test_sample_weight_is_the_weight_column(tmp_path):
    y, p = BINARY["y_true"].to_numpy(), BINARY["y_pred"].to_numpy()
    report = losscli.evaluate(y_true=y, y_pred=p, sample_weight=WEIGHTS)
    path = as_csv(BINARY.assign(sample_weight=WEIGHTS), tmp_path)
    same_numbers(report, losscli.evaluate(path, weight="sample_weight"))
    assert report["results"][0]["losses"]["binary_crossentropy"] == \
        pytest.approx(metrics.log_loss(y, p, sample_weight=WEIGHTS), rel=1e-12)
    y, p = REGRESSION["y_true"].to_numpy(), REGRESSION["y_pred"].to_numpy()
    assert losscli.evaluate(y_true=y, y_pred=p, sample_weight=WEIGHTS)["results"][0]["losses"]["mse"] == \
        pytest.approx(metrics.mean_squared_error(y, p, sample_weight=WEIGHTS), rel=1e-12)


def test_class_probabilities_of_shape_n_k_follow_the_sorted_labels(tmp_path):
    # by hand: columns cat, dog, fish; rows (dog: 0.5), (cat: 0.7), (fish: 0.6) -> -(ln 0.5 + ln 0.7 + ln 0.6) / 3
    three = losscli.evaluate(y_true=["dog", "cat", "fish"], y_pred=[[0.3, 0.5, 0.2], [0.7, 0.2, 0.1], [0.2, 0.2, 0.6]],
                             loss="log_loss")
    assert three["results"][0]["losses"]["sparse_categorical_crossentropy"] == \
        pytest.approx(-(math.log(0.5) + math.log(0.7) + math.log(0.6)) / 3, rel=1e-12)
    report = losscli.evaluate(y_true=SPARSE_Y, y_pred=SPARSE_P)
    same_numbers(report, losscli.evaluate(as_csv(SPARSE, tmp_path)))
    assert report["results"][0]["classes"] == list(LABELS)
    assert report["results"][0]["losses"]["sparse_categorical_crossentropy"] == \
        pytest.approx(metrics.log_loss(SPARSE_Y, SPARSE_P), rel=1e-12)
    ids = np.searchsorted(LABELS, SPARSE_Y)  # integer labels 0…K−1 name the columns 0…K−1
    assert losscli.evaluate(y_true=ids, y_pred=SPARSE_P)["results"][0]["losses"]["sparse_categorical_crossentropy"] \
        == pytest.approx(metrics.log_loss(ids, SPARSE_P, labels=[0, 1, 2]), rel=1e-12)


def test_arrow_labels_join_as_files_do(tmp_path):
    ids = np.arange(N)
    preds = pa.table({"id": ids[::-1], "y_pred": BINARY["y_pred"].to_numpy()[::-1]})
    labels = pa.table({"id": ids, "y_true": BINARY["y_true"].to_numpy()})
    preds.to_pandas().to_csv(tmp_path / "p.csv", index=False)
    labels.to_pandas().to_csv(tmp_path / "l.csv", index=False)
    want = losscli.evaluate(str(tmp_path / "p.csv"), str(tmp_path / "l.csv"))
    same_numbers(losscli.evaluate(preds, labels), want)
    same_numbers(losscli.evaluate(pa.RecordBatchReader.from_batches(preds.schema, batches(preds, 100)),
                                  Capsule(labels)), want)


def test_a_reader_is_evaluated_batch_by_batch(monkeypatch):
    from losscli import evaluation
    from losscli.csv_stream import FIRST_CHUNK_ROWS

    seen: list[int] = []
    update = evaluation.update

    def counting(state, frame, *args, **kwargs):
        seen.append(frame.n_rows)
        return update(state, frame, *args, **kwargs)

    monkeypatch.setattr(evaluation, "update", counting)
    table = pa.Table.from_pandas(pd.concat([BINARY] * 8, ignore_index=True), preserve_index=False)
    produced: list[int] = []

    def stream() -> Iterator[pa.RecordBatch]:
        for batch in batches(table, 1_000):
            produced.append(len(seen))  # frames evaluated before this batch was asked for
            yield batch

    report = losscli.evaluate(pa.RecordBatchReader.from_batches(table.schema, stream()))
    assert report["results"][0]["n"] == table.num_rows
    assert seen[0] == FIRST_CHUNK_ROWS and max(seen) <= FIRST_CHUNK_ROWS and sum(seen) == table.num_rows
    assert produced[-1] > 1  # the last batch was read after earlier ones were scored: a stream, not read whole


# --------------------------------------------------------------------------------------------
# partial() + merge(), as the engines hand over the rows


def shipped(state: Any) -> Any:
    """A state sent from a worker process to the driver."""
    return pickle.loads(pickle.dumps(state))


def mapInArrow(function, partitions: list[list[pa.RecordBatch]]) -> list[pa.RecordBatch]:
    """Spark: ``function`` gets an iterator of record batches per partition, yields record batches."""
    return [out for partition in partitions for out in function(iter(partition))]


def test_spark_map_in_arrow():
    table = pa.Table.from_pandas(BINARY, preserve_index=False)
    partitions = [batches(table.slice(start, 600), 128) for start in range(0, N, 600)]

    def shard(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield pa.RecordBatch.from_pydict({"state": [pickle.dumps(losscli.partial(batches))]})

    states = [pickle.loads(b) for out in mapInArrow(shard, partitions) for b in out.column("state").to_pylist()]
    same_numbers(losscli.merge(states), losscli.evaluate(table))


def test_ray_map_batches():
    table = pa.Table.from_pandas(SPARSE, preserve_index=False)
    rows = [{"state": pickle.dumps(losscli.partial(table.slice(start, 1024)))} for start in range(0, N, 1024)]
    report = losscli.merge(pickle.loads(row["state"]) for row in rows)  # (any iterable of states)
    same_numbers(report, losscli.evaluate(table))
    assert report["results"][0]["losses"]["sparse_categorical_crossentropy"] == \
        pytest.approx(metrics.log_loss(SPARSE_Y, SPARSE_P), rel=1e-12)


def test_dask_map_partitions_with_weights_and_json_states():
    frame = REGRESSION.assign(w=WEIGHTS)
    partitions = [frame.iloc[start:start + 700] for start in range(0, N, 700)]  # (indexes 0…, 700…, …)
    partitions[1] = partitions[1][partitions[1]["w"] > 0.5]  # a filtered partition: its index is not a range
    whole = pd.concat(partitions)
    states = [shipped(losscli.partial(part, weight="w")) for part in partitions]
    same_numbers(losscli.merge(states), losscli.evaluate(whole.reset_index(drop=True), weight="w"))
    texts = [state.to_json() for state in states]  # (the text eval --state writes merges too)
    same_numbers(losscli.merge(texts), losscli.merge(states))
    y, p = whole["y_true"].to_numpy(), whole["y_pred"].to_numpy()
    assert losscli.merge(states)["results"][0]["losses"]["mse"] == \
        pytest.approx(metrics.mean_squared_error(y, p, sample_weight=whole["w"].to_numpy()), rel=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(2, 60))
def test_shards_merge_to_the_whole(data, n):
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    p = np.array(data.draw(st.lists(st.floats(0.001, 0.999), min_size=n, max_size=n)))
    w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=n, max_size=n)))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, n - 1), max_size=5))))
    edges = [0, *cuts, n]
    table = pa.table({"y_true": y, "y_pred": p, "w": w})
    shapes = data.draw(st.sampled_from(["table", "batches", "arrays"]))
    states = []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        part = table.slice(a, b - a)
        if shapes == "arrays":
            state = losscli.partial(y_true=y[a:b], y_pred=p[a:b], sample_weight=w[a:b], shard=i)
        else:
            state = losscli.partial(part if shapes == "table" else iter(batches(part, 3)), weight="w", shard=i)
        states.append(shipped(state))
    whole = losscli.evaluate(y_true=y, y_pred=p, sample_weight=w) if shapes == "arrays" else \
        losscli.evaluate(table, weight="w")
    same_numbers(losscli.merge(states), whole)


# --------------------------------------------------------------------------------------------
# bad input: one UsageError or DataError with one clear message


def message(error: type[LossCliError], call, *args, **kwargs) -> str:
    with pytest.raises(error) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_wrong_types_name_what_is_accepted():
    for value in (42, {"y_true": [1]}, np.array([0.1, 0.9])):
        text = message(UsageError, losscli.evaluate, value)
        assert text.startswith("predictions: expected a file path, a pandas DataFrame, a pyarrow Table")
        assert "__arrow_c_stream__" in text and "y_true=" in text
    assert "one item is int" in message(UsageError, losscli.evaluate, iter([1, 2]))
    assert message(UsageError, losscli.partial).startswith("partial() needs predictions: a file path")
    assert message(UsageError, losscli.merge, "x").startswith("merge() needs a list of states")
    assert message(UsageError, losscli.merge, [1]) == \
        "state 1: expected what losscli.partial returns (or its to_json() text), not int"
    assert message(UsageError, losscli.merge, []) == "merge needs at least one state"
    assert message(DataError, losscli.merge, ["{}"]).startswith("state 1: not a losscli state file")
    assert message(UsageError, losscli.partial, BINARY, shard=1.5).startswith("shard=1.5: expected a name or a number")
    assert message(UsageError, losscli.merge, [], plugins=["x.py"]).startswith(
        "merge() got an unknown keyword 'plugins' (did you mean 'plugin'?)")


def test_empty_input_is_a_data_error():
    empty = pa.Table.from_pandas(BINARY.iloc[:0], preserve_index=False)
    assert message(DataError, losscli.evaluate, empty) == "<predictions Table>: no rows to evaluate (every batch is empty)"
    reader = pa.RecordBatchReader.from_batches(empty.schema, [])
    assert message(DataError, losscli.partial, reader).startswith("<predictions RecordBatchReader>: no rows")
    assert message(DataError, losscli.partial, iter([])).startswith("<predictions batches>: no rows")
    assert message(DataError, losscli.evaluate, y_true=[], y_pred=[]).endswith("y_true and y_pred are empty; nothing "
                                                                                "to evaluate")


def test_arrays_that_do_not_fit():
    assert message(UsageError, losscli.evaluate, y_true=[1, 0, 1], y_pred=[0.5, 0.5]) == \
        "y_true, y_pred: expected one row each for every label; the lengths differ (y_true 3, y_pred 2)"
    assert "sample_weight 1" in message(UsageError, losscli.evaluate, y_true=[1, 0], y_pred=[0.5, 0.5],
                                        sample_weight=[1])
    assert message(UsageError, losscli.evaluate, y_true=[1, 0]) == \
        "y_true: give both y_true= and y_pred= (and sample_weight= if weighted)"
    assert message(UsageError, losscli.evaluate, BINARY, y_true=[1], y_pred=[0.5]).startswith(
        "y_true, y_pred: arrays are the whole input")
    assert message(UsageError, losscli.evaluate, y_true=[[[1]]], y_pred=[0.5]).startswith(
        "y_true: expected an array of shape (n,) or (n, K)")
    assert message(UsageError, losscli.evaluate, y_true=["a", "b", "c"], y_pred=[[0.5, 0.5]] * 3).startswith(
        "y_pred has 2 columns and y_true 3 distinct labels")
    assert message(UsageError, losscli.evaluate, y_true=[1, 0], y_pred=[0.5, 0.5], sample_weight=[1, 1],
                   weight="w") == "weight names a column; with arrays pass the weights as sample_weight="
    text = message(DataError, losscli.evaluate, y_true=[1, 0], y_pred=[0.5, float("nan")])
    assert text == ("<predictions arrays>, column 'y_pred': 1 row(s) have empty or NaN cells (first rows: 2); "
                    "fill them, or pass dropna=True to skip those rows")


def test_batches_with_other_columns():
    first = pa.table({"y_true": [1, 0], "y_pred": [0.2, 0.4]})
    assert "every batch needs the same columns" in message(
        DataError, losscli.evaluate, iter([first, pa.table({"label": [1], "y_pred": [0.5]})]))


def test_shards_read_differently_are_refused_with_the_reason():
    probabilities = losscli.partial(pa.table({"y_true": [1, 0], "y_pred": [0.8, 0.4]}))
    logits = losscli.partial(pa.table({"y_true": [1, 0], "y_pred": [2.0, -1.5]}))
    text = message(DataError, losscli.merge, [probabilities, shipped(logits)])
    assert text.startswith("state 2: pair 'y' was read differently (predictions probability / logits); ")
    assert text.endswith("pass task, predictions_kind, positive, loss or params so every shard is read alike")
    other_loss = losscli.partial(pa.table({"y_true": [1, 0], "y_pred": [0.3, 0.4]}), params={"focal": {"gamma": 3}})
    assert message(DataError, losscli.merge, [probabilities, other_loss]).startswith(
        "state 2: states were made with different settings (params)")


def test_a_state_given_twice_is_refused_and_a_named_shard_is_not_the_same():
    rows = pa.table({"y_true": [1, 0], "y_pred": [0.8, 0.4]})
    state = losscli.partial(rows)
    assert "hold the same rows" in message(DataError, losscli.merge, [state, shipped(state)])
    report = losscli.merge([losscli.partial(rows, shard=0), losscli.partial(rows, shard=1)])
    assert report["results"][0]["n"] == 4
    assert report["input"]["predictions"] == ["0", "1"]
