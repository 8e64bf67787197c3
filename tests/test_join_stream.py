"""The streamed --labels join (losscli.join_stream): its answer is the join of both files read whole,
or it gives way to that join. The files are cut into chunks of a few dozen rows, so that a few
hundred rows stream through many chunks."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics

from losscli import csv_stream, evaluation, opening
from losscli.errors import DataError
from losscli.joins import IdRows

from .conftest import run


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(opening, "SNIFF_BYTES", 1_000)  # (column types from the first rows, not the whole file)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_ROWS", 40)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 300)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 600)
    monkeypatch.setattr(evaluation, "CHUNK_ROWS", 30)


@pytest.fixture
def evaluations(monkeypatch):
    """The JoinStream each evaluation was given (None: both files read whole), in order: two when the
    stream gave way."""
    given_joins: list = []
    original = evaluation._evaluated

    def spied(predictions, options, progress, started, join=None):
        given_joins.append(join)
        return original(predictions, options, progress, started, join)

    monkeypatch.setattr(evaluation, "_evaluated", spied)
    return given_joins


def files(tmp_path, pred_ids, label_ids, y, p, extra: dict | None = None):
    """preds.csv (id, y_pred and ``extra`` columns) and labels.csv (id, y_true; ``y`` in label-id order)."""
    pd.DataFrame({"id": pred_ids, "y_pred": p, **(extra or {})}).to_csv(tmp_path / "preds.csv", index=False)
    pd.DataFrame({"id": label_ids, "y_true": y}).to_csv(tmp_path / "labels.csv", index=False)
    return tmp_path / "preds.csv", tmp_path / "labels.csv"


def both_ways(monkeypatch, *args):
    """The run streamed (where it can) and the run with both files read whole."""
    streamed = run("eval", *args, "--format", "json")
    with monkeypatch.context() as whole:
        whole.setattr(evaluation, "can_stream", lambda predictions, options: False)
        read_whole = run("eval", *args, "--format", "json")
    return streamed, read_whole


def losses(output: str) -> dict[str, float]:
    return json.loads(output)["results"][0]["losses"]


def errors(stderr: str) -> list[str]:
    """The error lines: the warnings judged on the rows that plan (is the AUC of the predictions
    below 0.5?) see the first chunk when streamed, as in a file without labels, and every row whole."""
    return [line for line in stderr.splitlines() if not line.startswith("warning:")]


def assert_same_answer(streamed, whole):
    assert (streamed.code, errors(streamed.stderr)) == (whole.code, errors(whole.stderr))
    if whole.code == 0:
        expected = losses(whole.stdout)
        assert losses(streamed.stdout) == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert json.loads(streamed.stdout)["signature"] == json.loads(whole.stdout)["signature"]


def test_a_join_in_another_order_streams_and_matches_scikit_learn(tmp_path, small_chunks, evaluations):
    rng = np.random.default_rng(1)
    n = 600
    y = rng.integers(0, 2, n)
    p = np.clip(rng.random(n), 0.01, 0.99).round(4)
    label_ids = rng.permutation(n) + 1000
    pred_order = rng.permutation(n)
    preds, labels = files(tmp_path, label_ids[pred_order], label_ids, y, p[pred_order])
    result = run("eval", preds, "--labels", labels, "--format", "json")
    assert result.code == 0, result.stderr
    assert len(evaluations) == 1 and evaluations[0].streaming  # (streamed, and did not give way)
    # the reference: scikit-learn on the rows as pandas merges them (each prediction row is p[i] for label row i)
    merged = pd.read_csv(preds).merge(pd.read_csv(labels), on="id")
    found = losses(result.stdout)
    assert found["binary_crossentropy"] == pytest.approx(metrics.log_loss(merged.y_true, merged.y_pred), rel=1e-12)
    assert found["brier"] == pytest.approx(metrics.brier_score_loss(merged.y_true, merged.y_pred), rel=1e-12)
    assert json.loads(result.stdout)["input"]["joined"].startswith("on 'id', the shared column")


def late(n: int) -> int:
    return n - 7  # a row in the last chunks, long after the first


@pytest.mark.parametrize("doubt", ["missing id", "repeated id", "extra label", "text in an unused column",
                                   "bad prediction", "float ids"])
def test_a_doubt_gives_way_to_the_whole_join_with_its_answer(tmp_path, small_chunks, evaluations, monkeypatch, doubt):
    """Each thing the stream cannot be sure of, found in a late chunk: the evaluation starts again
    with both files whole, and its answer (error or result) is the whole join's."""
    rng = np.random.default_rng(2)
    n = 400
    y = rng.integers(0, 2, n)
    p = np.clip(rng.random(n), 0.01, 0.99).round(4).astype(object)
    label_ids = np.arange(n)
    pred_ids = rng.permutation(n).astype(object)
    extra = {"note": ["7"] * n}
    if doubt == "missing id":
        pred_ids[late(n)] = 10_000
    elif doubt == "repeated id":
        pred_ids[late(n)] = pred_ids[late(n) - 1]
    elif doubt == "extra label":
        pred_ids = pred_ids[:-1]
        p, extra = p[:-1], {"note": ["7"] * (n - 1)}
    elif doubt == "text in an unused column":
        extra["note"][late(n)] = "seven"
    elif doubt == "bad prediction":
        p[late(n)] = "high"
    elif doubt == "float ids":
        pred_ids[late(n)] = 3.5
    preds, labels = files(tmp_path, pred_ids, label_ids, y, p, extra)
    streamed, whole = both_ways(monkeypatch, preds, "--labels", labels)
    assert_same_answer(streamed, whole)
    assert [join is not None for join in evaluations] == [True, False, False]  # streamed, gave way; then whole
    if doubt == "text in an unused column":
        assert streamed.code == 0
    else:
        assert streamed.code == 3


@pytest.mark.parametrize("case", ["a rating predicted past the scale", "more than 1000 classes in all",
                                  "a soft label among 0/1 labels", "classes beyond the first rows'",
                                  "sorted by label", "sorted by label, with scores"])
def test_a_plan_that_later_rows_could_change_gives_way_to_the_whole_join(tmp_path, small_chunks, evaluations,
                                                                        monkeypatch, case):
    """Integer labels and predictions are class ids or a quantity depending on every row, and the plans
    of several classes take new values without an error: the first chunk's plan is not the whole
    join's, so those joins are read whole (found by review: regression was scored as class ids)."""
    rng = np.random.default_rng(6)
    n = 1500
    ids = rng.permutation(n)
    labels = {"id": ids}
    preds: dict = {"id": ids}
    expected_task = "regression"
    if case == "a rating predicted past the scale":
        y = rng.integers(1, 6, n)
        labels["rating"], preds["rating_pred"] = y, np.clip(y + rng.integers(-1, 2, n), 1, 5)
        preds["rating_pred"][-1] = 6  # (the whole file: a prediction no label has, so a quantity)
    elif case == "more than 1000 classes in all":
        labels["y"] = preds["y_pred"] = np.arange(n)  # (the first rows: class ids; all of them: 1500 values)
    elif case == "a soft label among 0/1 labels":
        for name in "abc":
            labels[f"y_true_{name}"] = rng.integers(0, 2, n).astype(float)
            preds[f"y_pred_{name}"] = rng.random(n).round(3)
        labels["y_true_a"][-1] = 0.5
    elif case == "classes beyond the first rows'":
        labels["y"] = np.where(np.arange(n) < 100, rng.integers(0, 3, n), rng.integers(0, 10, n))
        preds["y_pred"] = labels["y"]
        expected_task = "sparse"
    elif case == "sorted by label":  # (the first rows: one class; the whole join judges the predictions on both)
        labels["y_true"] = (ids >= 700).astype(int)
        preds["id"] = np.arange(n)  # (the predictions in id order: label 0 for the first 700 rows)
        preds["y_pred"] = np.where(np.arange(n) >= 700, 0.2, 0.8)
        expected_task = "binary"
    else:  # (found by review: one label and fractional scores planned regression; the whole join: logits)
        labels["y_true"] = (ids >= 700).astype(int)
        preds["id"] = np.arange(n)
        preds["y_pred"] = rng.normal(np.where(np.arange(n) >= 700, 1.0, -1.0), 1.5).round(4)
        expected_task = "binary"
    pd.DataFrame(preds).to_csv(tmp_path / "preds.csv", index=False)
    pd.DataFrame(labels).to_csv(tmp_path / "labels.csv", index=False)
    streamed, whole = both_ways(monkeypatch, tmp_path / "preds.csv", "--labels", tmp_path / "labels.csv")
    assert streamed.code == 0, streamed.stderr
    assert_same_answer(streamed, whole)
    found = json.loads(streamed.stdout)["results"][0]
    assert found["task"] == expected_task
    if case == "sorted by label":
        assert "the predictions look inverted" in streamed.stderr
    if case == "classes beyond the first rows'":
        assert len(found["classes"]) == 10
    assert [join is not None for join in evaluations] == [True, False, False]  # streamed, gave way; then whole


def test_with_dropna_the_join_is_read_whole(tmp_path, small_chunks, evaluations, monkeypatch):
    """(Found by review: the plan's checks saw the first chunk's dropped rows: a dropped row's label 7
    among labels 3 made the stream score regression where the whole join scores binary.)"""
    n = 200
    ids = np.arange(n)
    y = np.where(ids == 5, 7, 3)
    y[150:] = 7
    w = np.ones(n).astype(object)
    w[5] = ""
    preds, labels = files(tmp_path, ids, ids, y, np.full(n, 0.6), {"w": w})
    streamed, whole = both_ways(monkeypatch, preds, "--labels", labels, "--dropna", "--weight", "w")
    assert_same_answer(streamed, whole)
    assert json.loads(streamed.stdout)["results"][0]["task"] == "binary"
    assert evaluations[0] is None  # (not streamed)


def test_labels_read_from_standard_input_are_joined_whole(tmp_path, evaluations):
    """(Found by review: a stream that gave way read the labels again, from an exhausted stdin.)"""
    (tmp_path / "p.csv").write_text("id,y_pred\n0,0.9\n1,0.2\n2,0.7\n")
    result = run("eval", tmp_path / "p.csv", "--labels", "-", input="id,y_true\n0,1\n1,0\n2,1\n3,0\n")
    assert result.code == 3 and "1 ids are not in" in result.stderr and "(first: '3')" in result.stderr
    assert evaluations == [None]


def test_rows_read_before_the_stream_gave_way_are_not_counted_twice(tmp_path, small_chunks):
    from losscli.options import EvalOptions

    n = 400
    ids = np.arange(n)
    preds, labels = files(tmp_path, ids, ids, ids % 2, np.full(n, 0.3))
    pd.DataFrame({"id": ids, "y_true": ids % 2}).iloc[:-1].to_csv(labels, index=False)  # (a label short: whole)
    told: list[int] = []
    with pytest.raises(DataError, match="has no row in"):
        evaluation.evaluate(str(preds), EvalOptions(labels=str(labels)), progress=told.append)
    assert sum(told) == 0 and max(itertools.accumulate(told)) > 0  # (streamed rows, taken back)


@pytest.mark.parametrize("case", ["text ids", "sparse ids", "two shared id columns",
                                  "repeated ids in the same order", "--on"])
def test_what_the_first_chunk_rules_out_is_joined_whole(tmp_path, small_chunks, evaluations, monkeypatch, case):
    rng = np.random.default_rng(3)
    n = 300
    y = rng.integers(0, 2, n)
    p = np.clip(rng.random(n), 0.01, 0.99).round(4)
    label_ids = rng.permutation(n)
    extra: dict = {}
    args: tuple = ()
    if case == "text ids":
        label_ids = np.array([f"u{i}" for i in label_ids])
    elif case == "sparse ids":
        label_ids = label_ids * 1_000_003
    elif case == "two shared id columns":
        extra = {"key": label_ids}
    elif case == "repeated ids in the same order":
        label_ids = np.arange(n) // 2  # (the files then join row by row)
    elif case == "--on":
        args = ("--on", "id")
    preds, labels = files(tmp_path, label_ids, label_ids, y, p, extra)
    if case == "two shared id columns":
        pd.DataFrame({"id": label_ids, "y_true": y, "key": label_ids}).to_csv(labels, index=False)
    streamed, whole = both_ways(monkeypatch, preds, "--labels", labels, *args)
    assert streamed.code == 0, streamed.stderr
    assert_same_answer(streamed, whole)
    assert evaluations[0] is not None and evaluations[0].streaming == (case == "--on")
    assert len(evaluations) == 2  # (the stream's, then the whole one of both_ways)


pred_ids_changes = st.lists(st.tuples(st.sampled_from(["drop", "repeat", "foreign", "swap"]),
                                      st.integers(0, 10**6)), max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 150), seed=st.integers(0, 2**32 - 1), changes=pred_ids_changes,
       shuffled=st.booleans())
def test_streamed_or_not_the_answer_is_the_whole_joins(tmp_path, small_chunks, monkeypatch, n, seed, changes,
                                                        shuffled):
    rng = np.random.default_rng(seed)
    label_ids = rng.permutation(n) * int(rng.integers(1, 4)) + int(rng.integers(-5, 5))
    pred_ids = list(rng.permutation(label_ids) if shuffled else label_ids)
    for change, at in changes:
        at %= max(len(pred_ids), 1)
        if change == "drop" and len(pred_ids) > 1:
            pred_ids.pop(at)
        elif change == "repeat" and pred_ids:
            pred_ids.insert(at, pred_ids[at])
        elif change == "foreign":
            pred_ids.insert(at, int(label_ids.max()) + 1 + at)
        elif change == "swap" and pred_ids:
            pred_ids[at], pred_ids[0] = pred_ids[0], pred_ids[at]
    y = rng.integers(0, 2, n)
    p = np.clip(rng.random(len(pred_ids)), 0.01, 0.99).round(3)
    preds, labels = files(tmp_path, pred_ids, label_ids, y, p)
    assert_same_answer(*both_ways(monkeypatch, preds, "--labels", labels))


def test_id_rows_match_one_to_one_only_when_every_row_is_found_once():
    table = IdRows.of(pa.array([12, 10, 11]))
    assert table is not None and table.rows_of(pa.array([11, 12])).tolist() == [2, 0]
    assert table.rows_of(pa.array([13])) is None and table.rows_of(pa.array([None], pa.int64())) is None
    assert table.rows_of(pa.array([10])).tolist() == [1] and table.all_found(3)
    again = IdRows.of(pa.array([12, 10, 11]))
    assert again is not None and again.rows_of(pa.array([10, 10, 11])) is not None
    assert not again.all_found(3)  # (10 twice: row 0 never found)
    assert IdRows.of(pa.array([1, 1])) is None and IdRows.of(pa.array([0, 10**6])) is None
    assert IdRows.of(pa.array(["a"])) is None
