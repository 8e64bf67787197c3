"""Error analysis: --worst, --per-row, --group-by, each checked against numpy or scikit-learn."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from sklearn import metrics

from .conftest import SAMPLE_DATA, csv_text, run

rng = np.random.default_rng(11)
N = 300
Y = rng.normal(10, 3, N)
V = Y + rng.normal(0, 2, N)
W = rng.uniform(0.5, 2, N)
G = rng.choice(["north", "south", "east"], N)


@pytest.fixture
def regression(write):
    return write("r.csv", csv_text({"y_true": Y, "y_pred": V, "w": W, "site": G}))


def test_worst_rows_match_numpy_argsort_of_the_squared_error(regression):
    result = run("eval", regression, "--worst", "5", "--loss", "mse")
    worst = result.json["results"][0]["worst"]
    expected = np.argsort(-(Y - V) ** 2, kind="stable")[:5]
    assert [w["row"] for w in worst] == list(expected + 1)  # rows count from 1
    assert [w["loss"] for w in worst] == pytest.approx(list(((Y - V) ** 2)[expected]), rel=1e-12)
    assert worst[0]["true"] == pytest.approx(Y[expected[0]]) and worst[0]["pred"] == pytest.approx(V[expected[0]])


def test_worst_rows_with_weights_rank_by_contribution(regression):
    worst = run("eval", regression, "--worst", "3", "--loss", "mae", "--weight", "w").json["results"][0]["worst"]
    expected = np.argsort(-W * np.abs(Y - V), kind="stable")[:3]
    assert [w["row"] for w in worst] == list(expected + 1)
    assert worst[0]["weight"] == pytest.approx(W[expected[0]])


def test_worst_rows_keep_file_row_numbers_after_dropna(write):
    path = write("p.csv", "y_true,y_pred\n1,0.9\n0,\n1,0.1\n0,0.2\n")
    worst = run("eval", path, "--dropna", "--worst", "1").json["results"][0]["worst"]
    assert worst == [{"row": 3, "true": 1.0, "pred": 0.1, "loss": pytest.approx(-np.log(0.1))}]


def test_worst_rows_of_string_classes(write):
    worst = run("eval", SAMPLE_DATA / "sparse_strings.csv", "--worst", "2").json["results"][0]["worst"]
    assert worst[0]["true"] in {"setosa", "versicolor", "virginica"} and len(worst[0]["pred"]) == 3


def test_per_row_terms(regression, tmp_path):
    out = tmp_path / "rows.csv"
    assert run("eval", regression, "--per-row", out, "--loss", "mse", "--loss", "mae", "--loss", "rmse").code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["row", "mse", "mae"]  # rmse has no per-row term
    assert [int(r["row"]) for r in rows] == list(range(1, N + 1))
    assert [float(r["mse"]) for r in rows] == pytest.approx(list((Y - V) ** 2), rel=1e-12)


def test_per_row_with_two_pairs_and_dropped_rows(write, tmp_path):
    path = write("p.csv", "a_true,a_pred,b_true,b_pred\n1.5,2.5,3.5,5.5\n2.5,2.5,,1.5\n")
    out = tmp_path / "rows.csv"
    assert run("eval", path, "--dropna", "--loss", "mse", "--per-row", out).code == 0
    assert out.read_text().replace('"', "").splitlines() == ["row,a:mse,b:mse", "1,1,4", "2,0,"]


def test_group_by_against_sklearn_on_each_group_with_weights(regression):
    report = run("eval", regression, "--group-by", "site", "--weight", "w").json
    overall = [r for r in report["results"] if r["group"] is None]
    groups = {r["group"]: r for r in report["results"] if r["group"] is not None}
    assert len(overall) == 1 and set(groups) == {"east", "north", "south"}
    assert overall[0]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(Y, V, sample_weight=W), rel=1e-12)
    for name, result in groups.items():
        mask = G == name
        assert result["n"] == int(mask.sum())
        assert result["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(Y[mask], V[mask], sample_weight=W[mask]), rel=1e-12)
        assert result["losses"]["rmse"] == pytest.approx(metrics.root_mean_squared_error(Y[mask], V[mask], sample_weight=W[mask]), rel=1e-12)
        assert result["losses"]["mae"] == pytest.approx(metrics.mean_absolute_error(Y[mask], V[mask], sample_weight=W[mask]), rel=1e-12)


def test_group_by_classification_and_balanced_weights(write):
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 200), 0.01, 0.99)
    g = rng.choice(["a", "b"], 200)
    report = run("eval", write("b.csv", csv_text({"y_true": y, "y_pred": p, "g": g})), "--group-by", "g").json
    for result in report["results"][1:]:
        mask = g == result["group"]
        assert result["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(y[mask], p[mask]), rel=1e-12)
        per_class = [np.mean(-np.log(np.where(y[mask] == 1, p[mask], 1 - p[mask]))[y[mask] == c]) for c in (0, 1)]
        assert result["losses"]["weighted_crossentropy"] == pytest.approx(np.mean(per_class), rel=1e-12)


def test_group_table_lists_the_worst_group_first(regression):
    text = run("eval", regression, "--group-by", "site", "--format", "table").stdout
    report = run("eval", regression, "--group-by", "site").json
    order = sorted((r for r in report["results"] if r["group"]), key=lambda r: -r["losses"]["mse"])
    positions = [text.index(f"│ {r['group']} ") for r in order]
    assert positions == sorted(positions)


def test_group_by_unknown_column_and_gates_use_the_overall_result(regression):
    assert run("eval", regression, "--group-by", "sitee").code == 2
    report = run("eval", regression, "--group-by", "site", "--max", "mse=1000").json
    assert len(report["gates"]) == 1 and report["gates"][0]["value"] == report["results"][0]["losses"]["mse"]


def test_many_groups_over_many_chunks_and_shards_equal_pandas_and_scikit_learn(write, monkeypatch, tmp_path):
    """1,500 groups met chunk after chunk (new ones in every chunk), numeric ids and empty cells: each
    group's n and losses as pandas groups them and scikit-learn scores them; states of two shards
    merged give the same."""
    import pandas as pd

    from losscli import csv_stream

    n = 6000
    local = np.random.default_rng(3)
    y = local.integers(0, 2, n)
    p = np.clip(0.3 + 0.4 * y + local.normal(0, 0.2, n), 0.01, 0.99).round(6)
    user = np.arange(n) // 4  # 1,500 users, in order: every chunk brings new ones
    cells = user.astype(str).astype(object)
    cells[::97] = ""  # empty cells: the group "(missing)"
    frame = pd.DataFrame({"y_true": y, "y_pred": p, "user": cells})
    whole = write("g.csv", frame.to_csv(index=False))
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 8_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    report = run("eval", whole, "--group-by", "user", "--format", "json").json
    groups = {r["group"]: r for r in report["results"] if r["group"] is not None}
    expected = frame.assign(user=frame["user"].replace("", "(missing)")).groupby("user")
    assert set(groups) == set(expected.groups) and len(groups) == 1501
    assert [r["group"] for r in report["results"][1:]] == sorted(groups)
    for name, rows in expected:
        assert groups[name]["n"] == len(rows)
        assert groups[name]["losses"]["binary_crossentropy"] == pytest.approx(
            metrics.log_loss(rows["y_true"], rows["y_pred"], labels=[0, 1]), rel=1e-12)
        assert groups[name]["losses"]["brier"] == pytest.approx(
            metrics.brier_score_loss(rows["y_true"], rows["y_pred"], pos_label=1), rel=1e-12, abs=1e-15)
    states = []
    for i, part in enumerate((frame.iloc[:2500], frame.iloc[2500:])):
        state = tmp_path / f"s{i}.json"
        run("eval", write(f"part{i}.csv", part.to_csv(index=False)), "--group-by", "user", "--state", state)
        states.append(state)
    merged = run("merge", *states).json
    assert [(r["group"], r["n"]) for r in merged["results"]] == [(r["group"], r["n"]) for r in report["results"]]
    for ours, theirs in zip(merged["results"], report["results"]):
        assert ours["losses"] == pytest.approx(theirs["losses"], rel=1e-12)


def test_group_values_are_stripped_and_a_float_nan_is_missing(write):
    text = "y_true,y_pred,site,score_band\n" + "".join(
        f"{i % 2},{0.2 + 0.6 * (i % 2)},{[' a', 'a ', 'b', ''][i % 4]},{['1.5', '', '2.5', 'nan'][i % 4]}\n"
        for i in range(40))
    path = write("s.csv", text)
    sites = {r["group"]: r["n"] for r in run("eval", path, "--group-by", "site").json["results"][1:]}
    assert sites == {"a": 20, "b": 10, "(missing)": 10}
    bands = {r["group"]: r["n"] for r in run("eval", path, "--group-by", "score_band").json["results"][1:]}
    assert bands == {"1.5": 10, "2.5": 10, "(missing)": 20}


def test_every_per_row_column_averages_to_its_loss(write, tmp_path):
    """The per-row file has a column for a loss only when the mean of its column is the loss: not
    the class-balanced weighted cross-entropy (a mean of per-class means), not rmse."""
    y = rng.integers(0, 2, 200)
    y[:150] = 0  # imbalanced: the class-balanced mean differs from the plain one
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 200), 0.01, 0.99)
    out = tmp_path / "rows.csv"
    report = run("eval", write("b.csv", csv_text({"y_true": y, "y_pred": p})), "--per-row", out).json
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    losses = report["results"][0]["losses"]
    columns = [c for c in rows[0] if c != "row"]
    assert "weighted_crossentropy" in losses and "weighted_crossentropy" not in columns
    assert "binary_crossentropy" in columns
    for name in columns:
        assert np.mean([float(r[name]) for r in rows]) == pytest.approx(losses[name], rel=1e-12), name


# --- ids next to row numbers -------------------------------------------------------------------

def _passengers():
    import pyarrow as pa

    from losscli.evaluation import EvalOptions, targets_of
    from losscli.frame import frame_from_table

    frame = frame_from_table(pa.table({"PassengerId": [7, 8, 9], "y_true": [1.0, 2.0, 3.0],
                                       "y_pred": [1.5, 2.0, 5.0]}), "f.csv")
    target = targets_of(frame, EvalOptions())[0][0]
    return frame, target


def test_worst_candidates_carry_the_id_after_the_row():
    from losscli import analysis

    frame, target = _passengers()
    column = analysis.id_column(frame.names, tuple(target.pair.true + target.pair.pred))
    assert column == "PassengerId"
    terms = (target.inputs.y - target.inputs.pred) ** 2  # 0.25, 0, 4
    worst = analysis.worst_candidates(target, terms, 2, ids=analysis.row_ids(frame, column, target))
    assert worst == [{"row": 3, "id": "9", "true": 3.0, "pred": 5.0, "loss": 4.0, "contribution": 4.0},
                     {"row": 1, "id": "7", "true": 1.0, "pred": 1.5, "loss": 0.25, "contribution": 0.25}]
    assert list(worst[0])[:2] == ["row", "id"]
    assert "id" not in analysis.worst_candidates(target, terms, 1)[0]  # no id column: no id


def test_per_row_file_has_an_id_column_after_row(tmp_path):
    from losscli import analysis

    frame, target = _passengers()
    writer = analysis.PerRowWriter(str(tmp_path / "terms.csv"), False, id_column="PassengerId")
    writer.write(frame, {"mse": (target.positions, np.array([0.25, 0.0, 4.0]))})
    writer.close(ok=True)
    # integer ids stay numbers in the file
    assert (tmp_path / "terms.csv").read_text().splitlines() == ['"row","id","mse"', '1,7,0.25', '2,8,0', '3,9,4']


def test_worst_table_shows_the_id_column():
    from rich.console import Console

    from losscli.report import print_worst
    from losscli.results import Result

    result = Result("y", ["y"], ["p"], "regression", "values", 3, {"mse": 1.4},
                    worst=[{"row": 3, "id": "9", "true": 3.0, "pred": 5.0, "loss": 4.0}])
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    print_worst(result, console)
    assert "│   3 │ 9  │    3 │    5 │   4 │" in console.export_text()


def test_worst_and_per_row_show_the_files_ids(write, tmp_path):
    path = write("p.csv", "PassengerId,y_true,y_pred\n7,1,1.5\n8,2,2\n9,3,5\n")
    worst = run("eval", path, "--worst", "1", "--loss", "mse", "--per-row", tmp_path / "t.csv").json
    assert worst["results"][0]["worst"][0]["id"] == "9"
    assert (tmp_path / "t.csv").read_text().splitlines()[0] == '"row","id","mse"'


def test_a_per_row_file_without_loss_columns_says_so(write, tmp_path):
    path = write("r.csv", "y_true,y_pred\n1.5,1.0\n2.5,3.5\n")
    out = tmp_path / "rows.csv"
    found = run("eval", path, "-l", "rmse", "-l", "max_error", "--per-row", out, "--format", "json")
    assert found.code == 0 and out.read_text().splitlines() == ['"row"', "1", "2"]
    assert "holds row numbers only" in found.stderr
    quiet = run("eval", path, "-l", "mse", "--per-row", out, "--format", "json")
    assert "holds row numbers only" not in quiet.stderr
