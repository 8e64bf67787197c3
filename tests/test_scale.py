"""Scale: one piece == many chunks == shards in turn == Dask == merged states, on every task, to 1e-12."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from losscli import csv_stream
from losscli.classes import HeldClassIds
from losscli.errors import DataError

from .conftest import csv_text, run

rng = np.random.default_rng(21)
N = 3000


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _data(task: str) -> dict[str, list]:
    if task == "regression":
        y = rng.gamma(2, 2, N) + 0.1
        return {"y_true": y, "y_pred": y * rng.lognormal(0, 0.2, N), "w": rng.uniform(0.5, 2, N), "g": rng.choice(["a", "b", "c"], N)}
    if task == "binary":
        y = (rng.uniform(size=N) < 0.3).astype(int)
        return {"y_true": y, "y_pred": np.clip(rng.beta(2, 5, N) + 0.4 * y, 0.001, 0.999), "w": rng.uniform(0.5, 2, N),
                "g": rng.choice(["a", "b"], N)}
    if task == "logits":
        y = (rng.uniform(size=N) < 0.5).astype(int)
        return {"label": np.where(y == 1, "spam", "ham"), "score": rng.normal(0, 2, N) + 2 * y, "w": rng.uniform(0.5, 2, N),
                "g": rng.choice(["a", "b"], N)}
    k = 7
    y = rng.integers(0, k, N)
    p = _softmax(rng.normal(0, 1.5, (N, k)) + 2 * np.eye(k)[y])
    if task == "sparse":
        return {"y_true": y, **{f"p_{c}": p[:, c] for c in range(k)}, "w": rng.uniform(0.5, 2, N), "g": rng.choice(["a", "b"], N)}
    if task == "multiclass":
        onehot = np.eye(k)[y]
        return {**{f"y_true_{c}": onehot[:, c].astype(int) for c in range(k)}, **{f"y_pred_{c}": p[:, c] for c in range(k)},
                "w": rng.uniform(0.5, 2, N), "g": rng.choice(["a", "b"], N)}
    labels = (rng.uniform(size=(N, 3)) < 0.4).astype(int)
    z = rng.normal(0, 2, (N, 3)) + 2 * labels
    return {**{f"label_{c}": labels[:, c] for c in range(3)}, **{f"logit_{c}": z[:, c] for c in range(3)},
            "w": rng.uniform(0.5, 2, N), "g": rng.choice(["a", "b"], N)}


TASKS = ["regression", "binary", "logits", "sparse", "multiclass", "multilabel"]


ROWS = 1500  # of a dataset (half of N): with the 7,000-byte chunks below, 8 (binary) to 36 (multiclass) chunks


@pytest.fixture(scope="module", params=TASKS)
def dataset(request, tmp_path_factory):
    """A file of each task and four uneven shards of it, made once for the tests that read them."""
    columns = {name: values[:ROWS] for name, values in _data(request.param).items()}
    folder = tmp_path_factory.mktemp(request.param)
    whole = folder / "whole.csv"
    whole.write_text(csv_text(columns))
    names = list(columns)
    cuts = [0, 350, 750, 1150, ROWS]
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        (folder / f"shard_{i}.csv").write_text(csv_text({c: columns[c][a:b] for c in names}))
    return request.param, folder, whole


def _losses(report):
    return [(r["pair"], r["group"], r["n"], r["losses"]) for r in report["results"]]


def _same(a, b):
    assert [(p, g, n) for p, g, n, _ in _losses(a)] == [(p, g, n) for p, g, n, _ in _losses(b)]
    for (_, _, _, x), (_, _, _, y) in zip(_losses(a), _losses(b)):
        assert list(x) == list(y)
        for name in x:
            if x[name] is None:
                assert y[name] is None
            else:
                assert y[name] == pytest.approx(x[name], rel=1e-12, abs=1e-15), name


def test_chunks_shards_dask_and_merge_equal_one_piece(dataset, monkeypatch, tmp_path):
    _task, folder, whole = dataset
    args = ["--weight", "w", "--group-by", "g", "--worst", "3"]
    one = run("eval", whole, *args)
    assert one.code == 0, one.stderr
    one = one.json
    # many small chunks
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 20_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 7_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 2_000)  # each piece handed on in blocks
    chunked = run("eval", whole, *args).json
    _same(one, chunked)
    assert chunked["signature"].split("|")[-1] == one["signature"].split("|")[-1]  # the same data hash
    assert [w["row"] for w in chunked["results"][0]["worst"]] == [w["row"] for w in one["results"][0]["worst"]]
    # shards in turn, as one glob
    pattern = str(folder / "shard_*.csv")
    sharded = run("eval", pattern, *args).json
    _same(one, sharded)
    # Dask, local threads
    pytest.importorskip("dask")
    _same(one, run("eval", pattern, *args, "--engine", "dask").json)
    # a state per shard, merged
    states = []
    for i in range(4):
        state = tmp_path / f"s{i}.json"
        assert run("eval", folder / f"shard_{i}.csv", *args, "--state", state).code == 0
        states.append(state)
    merged = run("merge", *states)
    assert merged.code == 0, merged.stderr
    _same(one, merged.json)
    assert merged.json["signature"].split("|")[-1] == one["signature"].split("|")[-1]


def test_merged_intervals_equal_dask_intervals(tmp_path):
    columns = _data("binary")
    for i, (a, b) in enumerate([(0, 1000), (1000, 2000), (2000, N)]):
        (tmp_path / f"shard_{i}.csv").write_text(csv_text({c: v[a:b] for c, v in columns.items()}))
    pytest.importorskip("dask")
    dask = run("eval", str(tmp_path / "shard_*.csv"), "--ci", "0.9", "--engine", "dask").json
    states = [tmp_path / f"s{i}.json" for i in range(3)]
    for i, state in enumerate(states):
        run("eval", tmp_path / f"shard_{i}.csv", "--ci", "0.9", "--state", state)
    merged = run("merge", *states).json
    for name, bounds in dask["results"][0]["ci"].items():
        assert merged["results"][0]["ci"][name] == pytest.approx(bounds, rel=1e-12)
    for name, (low, high) in merged["results"][0]["ci"].items():
        assert low <= merged["results"][0]["losses"][name] <= high


def test_merge_refuses_states_made_differently(tmp_path, write):
    a = write("a.csv", "y_true,y_pred\n1,0.8\n0,0.3\n")
    b = write("b.csv", "y_true,y_pred\n1.5,0.8\n0.2,0.3\n")
    run("eval", a, "--state", tmp_path / "a.json")
    run("eval", b, "--state", tmp_path / "b.json")
    run("eval", a, "--ci", "0.9", "--state", tmp_path / "c.json")
    result = run("merge", tmp_path / "a.json", tmp_path / "b.json")
    assert result.code == 3 and "read differently" in result.stderr
    result = run("merge", tmp_path / "a.json", tmp_path / "c.json")
    assert result.code == 3 and "different settings" in result.stderr
    run("eval", a, "-l", "brier", "--state", tmp_path / "d.json")  # (the message names what differs)
    result = run("merge", tmp_path / "a.json", tmp_path / "d.json")
    assert result.code == 3 and "read differently (losses ['binary_crossentropy'," in result.stderr
    assert "task binary" not in result.stderr  # (the same in both: not named)
    (tmp_path / "bad.json").write_text('{"format": "something"}')
    assert run("merge", tmp_path / "bad.json").code == 3
    assert json.loads((tmp_path / "a.json").read_text())["format"] == "losscli-state"


BINARY_SHARDS = {"a.csv": "y_true,y_pred\n1,0.8\n0,0.3\n", "b.csv": "y_true,y_pred\n1,0.6\n0,0.1\n"}


def test_merge_refuses_the_same_state_twice(tmp_path, write):
    for name, text in BINARY_SHARDS.items():
        assert run("eval", write(name, text), "--state", tmp_path / f"{name}.json").code == 0
    a, b = tmp_path / "a.csv.json", tmp_path / "b.csv.json"
    ids = [json.loads(path.read_text())["ids"] for path in (a, b)]
    assert json.loads(a.read_text())["version"] == 4 and len(ids[0]) == 1 and ids[0] != ids[1]
    # (-ln 0.8 - ln 0.7 - ln 0.6 - ln 0.9) / 4: the two shards once each
    merged = run("merge", a, b)
    assert merged.code == 0 and merged.losses()["binary_crossentropy"] == pytest.approx(
        -(np.log(0.8) + np.log(0.7) + np.log(0.6) + np.log(0.9)) / 4, rel=1e-12)
    twice = run("merge", a, b, a)
    assert twice.code == 3 and twice.stdout == ""
    assert f"{a} and {a} hold the same rows (state {ids[0][0]})" in twice.stderr and "twice" in twice.stderr
    # the same shard evaluated again into another file is the same rows too
    assert run("eval", tmp_path / "a.csv", "--state", tmp_path / "again.json").code == 0
    again = run("merge", a, b, tmp_path / "again.json")
    assert again.code == 3 and f"{a} and {tmp_path / 'again.json'} hold the same rows" in again.stderr


def test_merge_refuses_a_shard_already_inside_a_dask_state(tmp_path, write):
    for name, text in BINARY_SHARDS.items():
        write(name, text)
    assert run("eval", tmp_path / "*.csv", "--engine", "dask", "--state", tmp_path / "all.json").code == 0
    assert len(json.loads((tmp_path / "all.json").read_text())["ids"]) == 2  # one id per shard
    assert run("eval", tmp_path / "b.csv", "--state", tmp_path / "b.json").code == 0
    result = run("merge", tmp_path / "all.json", tmp_path / "b.json")
    assert result.code == 3 and f"{tmp_path / 'all.json'} and {tmp_path / 'b.json'} hold the same rows" in result.stderr


def test_version_1_states_without_ids_still_merge_and_duplicates_are_found(tmp_path, write):
    for name, text in BINARY_SHARDS.items():
        run("eval", write(name, text), "--state", tmp_path / f"{name}.json")
        old = json.loads((tmp_path / f"{name}.json").read_text())
        del old["ids"]
        old["version"] = 1
        (tmp_path / f"{name}.v1.json").write_text(json.dumps(old))
    a, b = tmp_path / "a.csv.v1.json", tmp_path / "b.csv.v1.json"
    assert run("merge", a, b).losses() == run("merge", tmp_path / "a.csv.json", tmp_path / "b.csv.json").losses()
    assert run("merge", a, tmp_path / "a.csv.json").code == 3  # the id of a version-1 state is its content's


def test_a_glob_that_matches_nothing_and_shards_missing_columns(tmp_path, write):
    assert run("eval", str(tmp_path / "nothing_*.csv")).code == 3
    write("s_0.csv", "y_true,y_pred\n1,0.8\n0,0.3\n")
    write("s_1.csv", "y_true,other\n1,0.8\n")
    result = run("eval", str(tmp_path / "s_*.csv"))
    assert result.code == 3 and "every shard needs the same columns" in result.stderr


def test_later_rows_that_break_the_first_rows_decisions(write, monkeypatch):
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    text = "y_true,y_pred\n" + "1,0.5\n0,0.25\n" * 300 + "2,0.5\n"
    result = run("eval", write("p.csv", text))
    assert result.code == 3 and "row 601" in result.stderr and "--task regression" in result.stderr
    text = "y_true,y_pred\n" + "1,0.5\n0,0.25\n" * 300 + "1,1.5\n"
    result = run("eval", write("q.csv", text))
    assert result.code == 3 and "row 601" in result.stderr and "--predictions logits" in result.stderr
    # with the decisions given as flags, the same file is fine
    assert run("eval", write("q2.csv", text), "--predictions", "logits").code == 0


def class_id_rows(labels: list[int], predictions: list[int]) -> str:
    return "y,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(labels, predictions))


@pytest.mark.parametrize("case", ["a prediction no row labels", "more than 1000 labels", "a class predicted early",
                                  "--task sparse", "class names", "more than 1000 values predicted"])
def test_class_ids_of_the_first_rows_are_held_over_the_later_rows(write, monkeypatch, case):
    """Integers the first rows took for class ids: a later prediction that no row of the file labels
    (a rating predicted past its scale), or a 1001st label, makes them a quantity, and the file is
    refused naming the row and the flags (it was scored as class ids, exit 0). A class predicted a
    chunk before its first label is fine; with --task, or class names, nothing is held."""
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    labels = [1 + i % 5 for i in range(1200)]
    predictions = [1 + (i + i // 7) % 5 for i in range(1200)]
    args: tuple = ()
    if case == "a prediction no row labels":
        predictions[700] = predictions[900] = 6
    elif case == "more than 1000 labels":
        labels = predictions = list(range(1200))
    elif case == "a class predicted early":
        predictions[700], labels[1100] = 7, 7
    elif case == "--task sparse":
        predictions[700] = 6
        args = ("--task", "sparse")
    elif case == "more than 1000 values predicted":  # (they cannot all become labels: refused before the end)
        labels, predictions = labels * 3, predictions[:700] + list(range(6, 2906))

    refused = run("eval", write("p.csv", class_id_rows(labels, predictions) if case != "class names" else
                                "y,y_pred\n" + "".join(f"c{a},c{b}\n" for a, b in zip(labels, predictions))), *args)
    if case in ("a prediction no row labels", "more than 1000 values predicted"):
        assert refused.code == 3 and "column 'y_pred', row 701: prediction 6 is none of the labels" in refused.stderr
        assert "--task regression" in refused.stderr and "--task sparse" in refused.stderr
    elif case == "more than 1000 labels":
        assert refused.code == 3 and "column 'y', row 1001: label 1000 is a label beyond the 1000" in refused.stderr
    else:
        assert refused.code == 0, refused.stderr
        found = refused.json["results"][0]
        wrong = sum(a != b for a, b in zip(labels, predictions))
        assert found["task"] == "sparse" and found["losses"]["zero_one"] == pytest.approx(wrong / 1200, rel=1e-12)
    if case in ("a prediction no row labels", "more than 1000 labels", "more than 1000 values predicted"):
        settled = run("eval", write("q.csv", class_id_rows(labels, predictions)), "--task", "regression")
        assert settled.code == 0 and settled.json["results"][0]["task"] == "regression"


def test_compare_holds_the_first_rows_class_ids_as_eval_does(write, monkeypatch):
    """compare read later rows with the first rows' class ids whatever they held: a prediction no
    row labels (a rating past its scale) was scored as a class id, exit 0."""
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    labels = [1 + i % 5 for i in range(1200)]
    base = [1 + (i + i // 7) % 5 for i in range(1200)]
    new = base[:700] + [6] + base[701:]
    base_path, new_path = write("base.csv", class_id_rows(labels, base)), write("new.csv", class_id_rows(labels, new))
    refused = run("compare", base_path, new_path)
    assert refused.code == 3 and "new.csv, column 'y_pred', row 701: prediction 6 is none of the labels" in refused.stderr
    models = write("models.csv", "y,y_pred_a,y_pred_b\n" + "".join(f"{y},{a},{b}\n" for y, a, b in zip(labels, base, new)))
    refused = run("compare", models, "--baseline-model", "a")
    assert refused.code == 3 and "column 'y_pred_b', row 701: prediction 6 is none of the labels" in refused.stderr
    settled = run("compare", base_path, new_path, "--task", "regression")
    assert settled.code == 0 and settled.json["results"][0]["task"] == "regression"
    same = run("compare", base_path, write("again.csv", class_id_rows(labels, base)))
    assert same.code == 0 and same.json["results"][0]["task"] == "sparse"


def test_dask_holds_the_first_rows_class_ids_over_every_shard(tmp_path):
    """--engine dask read each shard with shard 0's class ids whatever it held: a prediction no row
    of any shard labels was scored as a class id, exit 0. A class one shard predicts and another
    labels is fine, as in one file."""
    pytest.importorskip("dask")
    labels = [1 + i % 5 for i in range(300)]
    predictions = [1 + (i + i // 7) % 5 for i in range(300)]
    late = predictions[:250] + [6] + predictions[251:]  # (in shard 2: no shard labels 6)
    for k in range(3):
        (tmp_path / f"s_{k}.csv").write_text(class_id_rows(labels[k * 100:(k + 1) * 100], late[k * 100:(k + 1) * 100]))
    refused = run("eval", tmp_path / "s_*.csv", "--engine", "dask")
    assert refused.code == 3 and "s_2.csv, column 'y_pred', row 51: prediction 6 is none of the labels" in refused.stderr
    assert "--task regression" in refused.stderr
    labels[290] = 6  # (now the last shard labels 6: class ids after all)
    (tmp_path / "s_2.csv").write_text(class_id_rows(labels[200:], late[200:]))
    fine = run("eval", tmp_path / "s_*.csv", "--engine", "dask")
    assert fine.code == 0, fine.stderr
    wrong = sum(a != b for a, b in zip(labels, late))
    assert fine.json["results"][0]["task"] == "sparse"
    assert fine.losses()["zero_one"] == pytest.approx(wrong / 300, rel=1e-12)
    assert fine.losses() == run("eval", tmp_path / "s_*.csv").losses()


def test_merge_holds_the_states_together_as_one_file(tmp_path, monkeypatch):
    """Each state saves what its first rows decided and the values met; merge holds them together.
    States whose labels, between them, pass the class ids' limit (10 here) were scored as class ids,
    exit 0; so were a shard of label 0 alone and one of label 1 alone, each taken for a regression."""
    from losscli import classes

    monkeypatch.setattr(classes, "MAX_HARD_CLASSES", 10)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 200)
    first = [i % 6 for i in range(120)]  # (classes 0 to 5 in the first chunk of each)
    for k, later in enumerate((range(6, 9), range(9, 13))):
        labels = first + [v for v in later for _ in range(20)]
        run("eval", write_to(tmp_path / f"c{k}.csv", class_id_rows(labels, labels)), "--state", tmp_path / f"c{k}.json")
    refused = run("merge", tmp_path / "c0.json", tmp_path / "c1.json")
    assert refused.code == 3 and "the shards label 13 values, more than the 10" in refused.stderr
    for k in range(2):
        write_to(tmp_path / f"o{k}.csv", "y_true,y_pred\n" + f"{k},0.5\n{k},1.5\n{k},-0.5\n")
        assert run("eval", tmp_path / f"o{k}.csv", "--state", tmp_path / f"o{k}.json").code == 0
    refused = run("merge", tmp_path / "o0.json", tmp_path / "o1.json")
    assert refused.code == 3 and "over the whole file its labels are 0, 1: a binary task" in refused.stderr


def write_to(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_held_class_ids_merge_as_one_hold_of_both_shards():
    first, second = HeldClassIds(["1", "2"]), HeldClassIds(["1", "2"])
    first.add(np.array([1.0]), np.array([3.0]), "y", "p", lambda column, i: "first: ")
    second.add(np.array([3.0, 4.0]), np.array([5.0, 9.0]), "y", "p", lambda column, i: "second: ")
    merged = first.merge(second)
    assert merged.labels.tolist() == [1.0, 2.0, 3.0, 4.0] and merged.pending == {5.0: "second: ", 9.0: "second: "}
    with pytest.raises(DataError, match="second: prediction 5 is none of the labels"):
        merged.check()
    with pytest.raises(DataError, match="the shards label 1100 values, more than the 1000"):
        HeldClassIds([str(v) for v in range(600)]).merge(HeldClassIds([str(v) for v in range(500, 1100)]))


def _sorted_by_label(case: str) -> tuple[list[float], list[float]]:
    """1200 rows sorted by their label, as ``df.sort_values("y")`` writes them."""
    rng = np.random.default_rng(7)
    y = (rng.random(1200) < 0.4).astype(float)
    if case == "logits":
        p = np.round(2 * y - 1 + rng.normal(0, 1.5, 1200), 4)
    elif case == "labels 1 and 2":
        p, y = np.round(np.clip(0.3 * y + 0.35 + rng.normal(0, 0.15, 1200), 0.01, 0.99), 4), y + 1
    elif case == "class ids":
        y = rng.integers(0, 5, 1200).astype(float)
        p = np.where(rng.random(1200) < 0.7, y, rng.integers(0, 5, 1200))
    else:  # hard 0/1 predictions
        p = np.where(rng.random(1200) < 0.8, y, 1 - y)
    order = np.argsort(-y if case == "labels 1 and 2" else y, kind="stable")  # (2 before 1: the larger first)
    return y[order].tolist(), p[order].tolist()


@pytest.mark.parametrize("case, flag", [("logits", "--task binary"), ("labels 1 and 2", "--task binary"),
                                        ("class ids", "--task sparse"), ("hard 0/1", "--predictions class")])
def test_a_file_sorted_by_its_label_is_planned_as_the_whole_file(write, monkeypatch, case, flag):
    """Its first chunk holds one label value, which decided regression (or probabilities for hard 0/1
    predictions), exit 0. A local file is read again for the first row of each other label value
    and planned with them; standard input, which cannot be read twice, is refused at the first other
    label, naming the flag, and the flag settles it."""
    from scipy.special import expit
    from sklearn import metrics

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    y, p = _sorted_by_label(case)
    text = "y_true,y_pred\n" + "".join(f"{a:g},{b:g}\n" for a, b in zip(y, p))
    result = run("eval", write("sorted.csv", text))
    assert result.code == 0, result.stderr
    found = result.json["results"][0]
    if case == "logits":
        assert (found["task"], found["predictions"]) == ("binary", "logits")
        expected = metrics.log_loss(y, expit(p))
        assert result.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-9)
    elif case == "labels 1 and 2":
        assert (found["task"], found["positive"]) == ("binary", "2")
        expected = metrics.log_loss([int(v == 2) for v in y], p)
        assert result.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-9)
    else:
        assert (found["task"], found["predictions"]) == ("sparse" if case == "class ids" else "binary", "class")
        assert result.losses()["zero_one"] == pytest.approx(metrics.zero_one_loss(y, p), rel=1e-12)
    refused = run("eval", "-", input=text)
    said = {"class ids": "over the whole file every prediction is one of its 5 labels: class ids",
            "hard 0/1": "where every row before labels 0"}.get(case, "over the whole file its labels are")
    assert refused.code == 3 and said in refused.stderr and flag in refused.stderr
    settled = run("eval", "-", *flag.split(), input=text)
    if case == "labels 1 and 2":  # (every label 2 first: which class is positive is not known yet)
        assert settled.code == 3 and "every label is '2'; pass --positive" in settled.stderr
        return
    assert settled.code == 0, settled.stderr
    assert settled.losses() == pytest.approx(result.losses(), rel=1e-12)


def test_shards_whose_first_holds_one_label_are_refused_not_scored_as_regression(tmp_path):
    """A glob (or --engine dask) is not read twice: shard 0 labels only 1, with scores, which decided
    regression; shard 1's 0 is refused naming --task (it was scored as regression, exit 0)."""
    (tmp_path / "s_0.csv").write_text("y_true,y_pred\n1,2.0\n1,1.5\n1,-0.5\n")
    (tmp_path / "s_1.csv").write_text("y_true,y_pred\n0,-1.0\n1,0.7\n0,0.3\n")
    for engine in ([], ["--engine", "dask"]):
        refused = run("eval", tmp_path / "s_*.csv", *engine)
        assert refused.code == 3 and "s_1.csv, column 'y_true', row 1: the rows before decided regression, but " \
            "over the whole file its labels are 0, 1: a binary task" in refused.stderr and "--task binary" in refused.stderr


def test_per_row_file_from_chunks_equals_one_piece(dataset, monkeypatch, tmp_path):
    _task, _folder, whole = dataset
    run("eval", whole, "--per-row", tmp_path / "one.csv")
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 20_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 7_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 2_000)  # each piece handed on in blocks
    run("eval", whole, "--per-row", tmp_path / "chunked.csv")
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "chunked.csv").read_text()


def test_a_first_chunk_with_one_label_value(write, monkeypatch):
    from sklearn.metrics import log_loss

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 18)  # three rows, all of label 1
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 10)
    path = write("sorted.csv", "y_true,y_pred\n1,0.5\n1,0.4\n1,0.3\n0,0.2\n0,0.1\n")
    result = run("eval", path)
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["classes"] == ["0", "1"]
    expected = log_loss([1, 1, 1, 0, 0], [0.5, 0.4, 0.3, 0.2, 0.1])
    assert result.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)


def test_an_existing_cluster_given_by_scheduler_gives_the_same_numbers_with_plugins(tmp_path, monkeypatch):
    """--scheduler: shards, and byte ranges of one file, as tasks on a real Dask cluster whose
    worker is another process, so the plugin file must be loaded there too (a worker knows only
    the built-in losses)."""
    pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    from losscli import ranges
    from losscli.options import EvalOptions
    from losscli.shards import evaluate_on_dask

    columns = _data("binary")
    for i, (a, b) in enumerate([(0, 1000), (1000, 2000), (2000, N)]):
        (tmp_path / f"shard_{i}.csv").write_text(csv_text({c: v[a:b] for c, v in columns.items()}))
    (tmp_path / "whole.csv").write_text(csv_text(columns))
    monkeypatch.setattr(ranges, "RANGE_BYTES", 20_000)  # (the ranges are cut here, in the client)
    plugin = tmp_path / "absolute_error.py"
    plugin.write_text("import numpy as np\nfrom losscli import loss\n\n"
                      "@loss('absolute_probability_error', tasks=['binary'])\n"
                      "def absolute_probability_error(y, p):\n    '''|y - p|.'''\n    return np.abs(y - p)\n")
    args = [str(tmp_path / "shard_*.csv"), "--plugin", plugin, "--loss", "absolute_probability_error",
            "--loss", "brier", "--weight", "w"]
    local = run("eval", *args).json["results"][0]["losses"]
    assert local["absolute_probability_error"] == pytest.approx(
        np.average(np.abs(columns["y_true"] - columns["y_pred"]), weights=columns["w"]), rel=1e-12)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_cluster = run("eval", *args, "--engine", "dask", "--scheduler", cluster.scheduler_address)
        args[0] = str(tmp_path / "whole.csv")
        ranged = run("eval", *args, "--worst", "2", "--engine", "dask", "--scheduler", cluster.scheduler_address,
                     "--explain")
        seen: list[int] = []  # the progress line is told each task's rows, on a cluster too
        evaluate_on_dask(args[0], EvalOptions(), cluster.scheduler_address, seen.append)
    assert sum(seen) == N and len(seen) == len(ranges.split(args[0])) > 1
    assert on_cluster.code == 0, on_cluster.stderr
    assert ranged.code == 0, ranged.stderr
    assert "tasks: files over" in ranged.stderr
    for name, value in local.items():
        assert on_cluster.json["results"][0]["losses"][name] == pytest.approx(value, rel=1e-12)
        assert ranged.json["results"][0]["losses"][name] == pytest.approx(value, rel=1e-12)
    assert ranged.json["results"][0]["worst"] == run("eval", *args, "--worst", "2").json["results"][0]["worst"]


def test_a_scheduler_address_that_cannot_be_reached_is_a_usage_error(tmp_path, write):
    pytest.importorskip("dask.distributed")
    write("a.csv", "y_true,y_pred\n1,0.8\n0,0.3\n")
    write("b.csv", "y_true,y_pred\n1,0.6\n0,0.1\n")
    result = run("eval", str(tmp_path / "*.csv"), "--engine", "dask", "--scheduler", "nowhere://host:1")
    assert result.code == 2
    assert "--scheduler nowhere://host:1: cannot connect" in result.stderr


def test_a_skip_reason_counts_the_rows_of_every_chunk_and_shard(tmp_path, monkeypatch):
    """msle needs labels > −1: 30 such labels spread over many chunks and two shards are 30 in the
    reason, as in one piece, and as after merging states."""
    labels = np.where(np.arange(N) % 100 == 7, -2.0, rng.gamma(2, 2, N))  # every 100th row, from row 8
    preds = np.abs(labels) + 0.5
    text = csv_text({"y_true": labels, "y_pred": preds})
    whole = tmp_path / "whole.csv"
    whole.write_text(text)
    lines = text.splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(lines[: N // 2 + 1]))
    (tmp_path / "b.csv").write_text(lines[0] + "".join(lines[N // 2 + 1:]))
    expected = f"{int((labels <= -1).sum())} label(s) ≤ -1; msle needs values > −1"
    args = ["--task", "regression", "--loss", "msle", "--loss", "mae"]
    assert run("eval", whole, *args).json["results"][0]["skipped"]["msle"] == expected
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 3_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 1_000)
    assert run("eval", whole, *args).json["results"][0]["skipped"]["msle"] == expected
    states = [tmp_path / "a.json", tmp_path / "b.json"]
    for shard, state in zip(("a.csv", "b.csv"), states):
        assert run("eval", tmp_path / shard, *args, "--state", state).code == 0
    assert run("merge", *states).json["results"][0]["skipped"]["msle"] == expected


def test_dask_reports_each_shards_rows_and_merges_them_in_file_order(dataset):
    pytest.importorskip("dask")
    from losscli.options import EvalOptions
    from losscli.shards import evaluate_on_dask

    _task, folder, _whole = dataset
    seen: list[int] = []
    result = evaluate_on_dask(str(folder / "shard_*.csv"), EvalOptions(), progress=seen.append)
    assert sorted(seen) == [350, 350, 400, 400]  # the rows of each shard (cuts 0, 350, 750, 1150, 1500)
    assert [s.rsplit("/", 1)[-1] for s in result.state.sources] == [f"shard_{i}.csv" for i in range(4)]


def test_byte_ranges_of_one_file_on_dask_equal_the_local_engine(dataset, monkeypatch):
    """One file cut into byte ranges (a Dask task each) gives the local engine's report: losses,
    groups, intervals (the bootstrap's groups hash whole-file row numbers), worst rows, signature."""
    pytest.importorskip("dask")
    from losscli import ranges

    _task, _folder, whole = dataset
    args = ["--weight", "w", "--group-by", "g", "--worst", "3", "--ci", "0.9"]
    local = run("eval", whole, *args).json
    monkeypatch.setattr(ranges, "RANGE_BYTES", 9_000)
    assert len(ranges.split(str(whole))) >= 4
    ranged = run("eval", whole, *args, "--engine", "dask").json
    _same(local, ranged)
    assert ranged["signature"] == local["signature"]
    assert ranged["input"] == local["input"]
    overall, other = local["results"][0], ranged["results"][0]
    assert other["worst"] == overall["worst"]
    for name, bounds in overall["ci"].items():
        assert other["ci"][name] == pytest.approx(bounds, rel=1e-12)


def test_the_rows_dropna_drops_are_counted_over_every_chunk_and_shard(tmp_path):
    """The warning counted the first chunk's dropped rows alone (1 of 3, as a glob or on Dask)."""
    rows = [f"{i % 2},{'' if i in (5, 250, 390) else 0.3 + 0.4 * (i % 2)}\n" for i in range(400)]
    (tmp_path / "s_0.csv").write_text("y_true,y_pred\n" + "".join(rows[:100]))
    (tmp_path / "s_1.csv").write_text("y_true,y_pred\n" + "".join(rows[100:]))
    for engine in ([], ["--engine", "dask"]):
        result = run("eval", tmp_path / "s_*.csv", "--dropna", *engine)
        assert result.code == 0 and result.json["results"][0]["dropped"] == 3
        assert "y: 3 row(s) with empty or NaN cells dropped (--dropna)" in result.stderr


def test_a_glob_with_a_labels_file_is_a_usage_error_saying_how(tmp_path):
    """(It said the glob was no such file, exit 3.)"""
    for k in range(2):
        (tmp_path / f"s_{k}.csv").write_text("id,y_pred\n1,0.4\n")
    (tmp_path / "labels.csv").write_text("id,y_true\n1,1\n")
    result = run("eval", tmp_path / "s_*.csv", "--labels", tmp_path / "labels.csv")
    assert result.code == 2 and "--labels joins one predictions file, not a glob of shards" in result.stderr


def test_a_sorted_regression_is_judged_as_the_whole_file_where_it_cannot_be_read_twice(write, monkeypatch):
    """Ratings 1 to 5 sorted, predicted with decimals, from standard input: one label value first
    decided regression, and the second value was refused though the whole file is a regression
    (review); now the values met are judged at the end as the whole file would be. A label column
    whole at first and decimal later (0, then 0.01: zero-inflated) is a regression too."""
    from sklearn.metrics import mean_squared_error

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 1_000)
    rng = np.random.default_rng(9)
    y = np.sort(rng.integers(1, 6, 1200)).astype(float)
    p = np.round(y + rng.normal(0, 1, 1200), 3)
    zero_inflated = np.sort(np.where(rng.random(1200) < 0.5, 0, np.round(rng.gamma(2, 2, 1200), 2)))
    for labels in (y, zero_inflated):
        text = "y_true,y_pred\n" + "".join(f"{a:g},{b:g}\n" for a, b in zip(labels, p))
        for args, given in ((["-"], text), ([write("r.csv", text)], None)):
            result = run("eval", *args, "--loss", "mse", input=given)
            assert result.code == 0, result.stderr
            assert result.losses()["mse"] == pytest.approx(mean_squared_error(labels, p), rel=1e-12)


def test_merge_refuses_states_whose_first_rows_were_in_doubt_in_different_ways(tmp_path):
    """One state's regression rested on integers its predictions go beyond, another's on one label
    value (3): merged, they were scored as regression, exit 0, where the glob is refused (class ids)."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 3, 300)
    (tmp_path / "c0.csv").write_text(class_id_rows(y.tolist(), np.where(rng.random(300) < .7, y, rng.integers(0, 4, 300)).tolist()))
    y = np.full(300, 3)
    (tmp_path / "c1.csv").write_text(class_id_rows(y.tolist(), np.where(rng.random(300) < .7, y, rng.integers(0, 4, 300)).tolist()))
    for k in range(2):
        assert run("eval", tmp_path / f"c{k}.csv", "--state", tmp_path / f"c{k}.json").code == 0
    merged = run("merge", tmp_path / "c0.json", tmp_path / "c1.json")
    glob = run("eval", tmp_path / "c*.csv")
    for refused in (merged, glob):
        assert refused.code == 3 and "over the whole file every prediction is one of its 4 labels" in refused.stderr


def test_shards_without_rows_are_skipped_as_spark_writes_them(tmp_path):
    """Spark writes a part file for an empty partition: a header alone, or no bytes. A glob refused
    the whole run for it (exit 3); those shards add no rows now, first or later, on Dask too."""
    from sklearn.metrics import log_loss

    (tmp_path / "part-0.csv").write_text("y_true,y_pred\n")
    (tmp_path / "part-1.csv").write_text("y_true,y_pred\n1,0.8\n0,0.3\n")
    (tmp_path / "part-2.csv").write_text("")
    (tmp_path / "part-3.csv").write_text("y_true,y_pred\n1,0.6\n0,0.1\n")
    expected = log_loss([1, 0, 1, 0], [0.8, 0.3, 0.6, 0.1])
    for engine in ([], ["--engine", "dask"]):
        result = run("eval", tmp_path / "part-*.csv", *engine)
        assert result.code == 0, result.stderr
        assert result.json["results"][0]["n"] == 4
        assert result.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)
    for name in ("part-1.csv", "part-3.csv"):
        (tmp_path / name).write_text("y_true,y_pred\n")
    for engine in ([], ["--engine", "dask"]):
        assert run("eval", tmp_path / "part-*.csv", *engine).code == 3
    assert run("eval", tmp_path / "part-0.csv").code == 3  # (one file with no rows is still refused)


def _counted_rows_file(n: int = 900) -> str:
    """A 3-class file whose probability rows 500, 610 and 880 do not sum to 1 (sums 0.9, 0.8, 0.7),
    and whose quantile pair crosses on rows 20 and 700 (q10 above q90): past the first chunk but
    for one."""
    lines = ["y,p_0,p_1,p_2,t,t_pred_q10,t_pred_q90"]
    for i in range(1, n + 1):
        off = {500: 0.1, 610: 0.2, 880: 0.3}.get(i, 0.0)
        low, high = (2.0, 1.0) if i in (20, 700) else (1.0, 2.0)
        lines.append(f"{i % 3},{0.5 - off:.1f},0.3,0.2,1.5,{low},{high}")
    return "\n".join(lines) + "\n"


PAIRS = ["--true", "y", "--pred", "p_0,p_1,p_2", "--true", "t", "--pred", "t_pred_q10,t_pred_q90"]


def test_warnings_about_rows_count_the_whole_file_in_chunks_shards_dask_compare_and_merge(tmp_path, monkeypatch):
    """Each chunk counted its own rows and a pair was warned once: the first chunk's count (1 of 2
    crossings), and no word of probability rows off 1 past the first chunk."""
    text = _counted_rows_file()
    (tmp_path / "p.csv").write_text(text)
    lines = text.splitlines(keepends=True)
    (tmp_path / "s_0.csv").write_text("".join(lines[:451]))
    (tmp_path / "s_1.csv").write_text(lines[0] + "".join(lines[451:]))
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 2_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 3_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 1_000)
    crossed = "t: quantile predictions cross on 2 row(s) of 900 (first: {}row 20;"
    off_sum = "y: 3 prediction row(s) do not sum to 1 ({}row 500: 0.9)"
    one = run("eval", tmp_path / "p.csv", *PAIRS)
    assert one.code == 0 and crossed.format("") in one.stderr and off_sum.format("") in one.stderr, one.stderr
    for engine in ([], ["--engine", "dask"]):
        sharded = run("eval", tmp_path / "s_*.csv", *PAIRS, *engine)
        assert crossed.format(f"{tmp_path / 's_0.csv'}, ") in sharded.stderr, sharded.stderr
        assert off_sum.replace("row 500", "row 50").format(f"{tmp_path / 's_1.csv'}, ") in sharded.stderr  # (s_1: 451…)
    states = [tmp_path / "a.json", tmp_path / "b.json"]
    for shard, state in zip(("s_0.csv", "s_1.csv"), states):
        assert run("eval", tmp_path / shard, *PAIRS, "--state", state).code == 0
    merged = run("merge", *states)
    assert merged.code == 0, merged.stderr
    assert crossed.format(f"{tmp_path / 's_0.csv'}, ") in merged.stderr, merged.stderr  # (each state's file named)
    assert off_sum.replace("row 500", "row 50").format(f"{tmp_path / 's_1.csv'}, ") in merged.stderr
    assert merged.stderr.count("quantile predictions cross") == 1
    compared = run("compare", tmp_path / "p.csv", tmp_path / "p.csv", *PAIRS, "--format", "json")
    assert compared.code == 0 and compared.stderr.count("cross on 2 row(s) of 900") == 2, compared.stderr
    assert f"{tmp_path / 'p.csv'}: y: 3 prediction row(s) do not sum to 1 (row 500: 0.9)" in compared.stderr


def test_a_state_with_a_broken_row_count_is_refused(tmp_path):
    (tmp_path / "p.csv").write_text(_counted_rows_file(40))
    assert run("eval", tmp_path / "p.csv", *PAIRS, "--state", tmp_path / "s.json").code == 0
    state = json.loads((tmp_path / "s.json").read_text())
    (pair,) = [pair for pair in state["pairs"] if pair["pair"]["name"] == "t"]
    crossed = pair["crossed"]
    assert crossed == {"count": 1, "row": 20, "value": None, "file": None}
    for broken in ({"count": -1}, {"count": 0}, {"count": 41}, {"row": 1.5}, {"value": "x"}, {"value": math.inf},
                   {"file": 3}):
        pair["crossed"] = {**crossed, **broken}
        (tmp_path / "bad.json").write_text(json.dumps(state))
        result = run("merge", tmp_path / "bad.json")
        assert result.code == 3 and "crossed" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_dask_state_merged_and_a_state_of_an_earlier_version_say_each_warning_once(tmp_path):
    """A Dask run's state saved its counted warnings among its notes, and merge counted them again.
    A state of an earlier version (3) holds each chunk's warnings among its notes and no counts:
    they are said as they were, and only its --dropna note, whose count it saved, is counted."""
    pytest.importorskip("dask")
    (tmp_path / "p.csv").write_text(_counted_rows_file())
    assert run("eval", tmp_path / "p.csv", *PAIRS, "--engine", "dask", "--state", tmp_path / "d.json").code == 0
    merged = run("merge", tmp_path / "d.json")
    assert merged.code == 0 and merged.stderr.count("quantile predictions cross") == 1, merged.stderr
    assert merged.stderr.count("do not sum to 1") == 1
    state = json.loads((tmp_path / "d.json").read_text())
    state["version"] = 3
    crossing = ("t: quantile predictions cross on 1 row(s) of 30 (first: row 20; a lower level predicted above a "
                "higher one); scored as given, and counted by quantile_crossing")
    state["notes"] += [crossing, "y: 4 row(s) with empty or NaN cells dropped (--dropna)"]  # (as version 3 saved them)
    for pair in state["pairs"]:
        del pair["crossed"], pair["off_sum"]
    (tmp_path / "old.json").write_text(json.dumps(state))
    merged = run("merge", tmp_path / "old.json")
    assert merged.code == 0 and merged.stderr.count("quantile predictions cross") == 1, merged.stderr
    assert crossing in merged.stderr and "do not sum to 1" not in merged.stderr and "dropped" not in merged.stderr


def test_a_state_of_version_3_holds_the_group_of_empty_cells_as_missing(tmp_path):
    """Version 3 named the group of empty cells "(missing)", version 4 holds it as "": merged, they
    are one group; beside a version 4 state holding the text "(missing)" it is refused."""
    (tmp_path / "a.csv").write_text("y_true,y_pred,g\n1,0.8,\n0,0.3,a\n1,0.6,\n")
    (tmp_path / "b.csv").write_text("y_true,y_pred,g\n0,0.4,\n1,0.9,a\n")
    (tmp_path / "c.csv").write_text("y_true,y_pred,g\n0,0.2,(missing)\n1,0.7,a\n")
    for name in "abc":
        assert run("eval", tmp_path / f"{name}.csv", "--group-by", "g", "--state", tmp_path / f"{name}.json").code == 0
    state = json.loads((tmp_path / "a.json").read_text())
    assert state["version"] == 4 and any("" in pair["group_rows"] for pair in state["pairs"])
    state["version"] = 3  # (as version 3 saved it)
    for pair in state["pairs"]:
        pair["group_rows"]["(missing)"] = pair["group_rows"].pop("")
        for loss in pair["losses"].values():
            if "" in loss["groups"]:  # (a loss skipped for the pair has no groups)
                loss["groups"]["(missing)"] = loss["groups"].pop("")
    (tmp_path / "a3.json").write_text(json.dumps(state))
    merged = run("merge", tmp_path / "a3.json", tmp_path / "b.json", "--format", "json")
    assert merged.code == 0, merged.stderr
    groups = {r["group"]: r for r in merged.json["results"]}
    assert groups["(missing)"]["n"] == 3 and groups["a"]["n"] == 2
    whole = run("eval", tmp_path / "a.csv", "--group-by", "g", "--format", "json").json  # (a alone: 2 empty rows)
    assert {r["group"]: r["n"] for r in whole["results"]} == {None: 3, "(missing)": 2, "a": 1}
    refused = run("merge", tmp_path / "a3.json", tmp_path / "c.json")
    assert refused.code == 3 and "empty cells and the text '(missing)'" in refused.stderr, refused.stderr


def test_a_state_whose_groups_a_run_could_not_have_made_is_refused(tmp_path):
    """Hand edits that merged into a wrong number with exit 0: a group's rows (n), a group name with
    spaces (a run strips them), a group maximum above the loss's, version 3 with a group "", a
    count of warnings for a pair that cannot have them."""
    (tmp_path / "p.csv").write_text("y_true,y_pred,g\n1.5,1.0,\n2.0,2.5,a\n0.5,0.7,b\n")
    assert run("eval", tmp_path / "p.csv", "--group-by", "g", "-l", "mse", "-l", "max_error",
               "--state", tmp_path / "s.json").code == 0
    good = json.loads((tmp_path / "s.json").read_text())

    def refused(edit, said):
        state = json.loads(json.dumps(good))
        edit(state, state["pairs"][0])
        (tmp_path / "bad.json").write_text(json.dumps(state))
        result = run("merge", tmp_path / "bad.json")
        assert result.code == 3 and said in result.stderr and "Traceback" not in result.stderr, result.stderr

    refused(lambda s, p: p["group_rows"].update({"": 999}), "the groups' rows add up to 1001")
    def spaced(state, pair):
        pair["group_rows"][" a"] = pair["group_rows"].pop("a")
        for loss in pair["losses"].values():
            loss["groups"][" a"] = loss["groups"].pop("a")

    refused(spaced, "spaces around it")
    refused(lambda s, p: p["losses"]["max_error"]["groups"][""].update(maximum=1e9), "largest group maximum")
    refused(lambda s, p: s.update(version=3), "a group named '' in a state of version 3")
    refused(lambda s, p: p.update(crossed={"count": 1, "row": 1, "value": None, "file": None}),
            "crossing quantiles counted")
    assert run("merge", tmp_path / "s.json").code == 0


def test_merge_says_a_note_of_every_shard_once(tmp_path):
    """Each shard's "columns not paired" was said once per shard (three lines for three shards)."""
    states = []
    for k in range(3):
        (tmp_path / f"s{k}.csv").write_text(f"y_true,y_pred,extra\n1,0.{7 + k},x\n0,0.2,y\n")
        states.append(tmp_path / f"s{k}.json")
        assert run("eval", tmp_path / f"s{k}.csv", "--state", states[-1]).code == 0
    merged = run("merge", *states)
    assert merged.code == 0 and merged.stderr.count("columns not paired") == 1, merged.stderr
    assert f"{tmp_path / 's0.csv'} (and 2 more file(s)): columns not paired, and not evaluated: extra" in merged.stderr
    one = run("merge", states[1])
    assert f"{tmp_path / 's1.csv'}: columns not paired, and not evaluated: extra" in one.stderr
