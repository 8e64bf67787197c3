"""``--per-class`` (issue 18): each loss over each true class's rows, and the confusion matrix,
against scikit-learn on the same rows, and the same from chunks, shards, ``merge`` and Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics

from .conftest import SAMPLE_DATA, run


def _sparse_file(write, n: int = 600, seed: int = 4, weights: bool = False) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    classes = np.array(["cat", "dog", "=cmd|' /C calc'!A0"])  # (a class name that is a spreadsheet formula)
    z = rng.normal(0, 1.5, (n, 3))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p = np.round(p, 6)
    p[:, 2] = 1 - p[:, 0] - p[:, 1]
    true = np.array([rng.choice(3, p=row) for row in p])
    w = rng.integers(1, 4, n).astype(float)
    columns = {"label": classes[true], "cat": p[:, 0], "dog": p[:, 1], classes[2]: p[:, 2]}
    header = ",".join(f'"{c}"' if "," in c or '"' in c else c for c in list(columns) + (["w"] if weights else []))
    lines = [",".join([str(classes[t]), *(repr(float(v)) for v in row)] + ([str(x)] if weights else []))
             for t, row, x in zip(true, p, w)]
    return write("sparse.csv", "\n".join([header, *lines]) + "\n"), {"true": true, "p": p, "w": w, "classes": classes}


def test_per_class_losses_and_the_confusion_matrix_equal_scikit_learn(write):
    path, d = _sparse_file(write)
    result = run("eval", path, "--per-class", "--format", "json").json["results"][0]
    true, p = d["true"], d["p"]
    assert [row["class"] for row in result["per_class"]] == result["classes"] == ["cat", "dog", "=cmd|' /C calc'!A0"]
    order = [0, 1, 2]  # (the classes in the order of their prediction columns)
    for k, row in zip(order, result["per_class"]):
        rows = true == k
        assert row["weight"] == rows.sum()
        assert row["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
            metrics.log_loss(true[rows], p[rows], labels=[0, 1, 2]), rel=1e-12)
        assert row["losses"]["zero_one"] == pytest.approx(1 - metrics.recall_score(
            true, p.argmax(axis=1), labels=[k], average="macro"), rel=1e-12, abs=1e-15)
        onehot = np.eye(3)[true[rows]]
        assert row["losses"]["brier"] == pytest.approx(((p[rows] - onehot) ** 2).sum(axis=1).mean(), rel=1e-12)
    expected = metrics.confusion_matrix(true, p.argmax(axis=1), labels=order)
    assert result["confusion"]["classes"] == result["classes"]
    assert result["confusion"]["weights"] == expected.tolist()


def test_weights_and_binary_classes_by_hand(write):
    """Binary, positive 'spam': rows (label, p, w) = (spam, 0.9, 1), (spam, 0.4, 2), (ham, 0.2, 3), (ham, 0.7, 1).
    spam: log loss (1·−ln 0.9 + 2·−ln 0.4)/3; ham: (3·−ln 0.8 + 1·−ln 0.3)/4. Predicted spam when p > 0.5:
    true ham → ham 3, spam 1; true spam → ham 2, spam 1."""
    path = write("b.csv", "label,p_spam,w\nspam,0.9,1\nspam,0.4,2\nham,0.2,3\nham,0.7,1\n")
    result = run("eval", path, "--true", "label", "--pred", "p_spam", "--weight", "w", "--per-class",
                 "--format", "json").json["results"][0]
    ham, spam = result["per_class"]
    assert (ham["class"], ham["weight"], spam["class"], spam["weight"]) == ("ham", 4.0, "spam", 3.0)
    assert spam["losses"]["binary_crossentropy"] == pytest.approx((-np.log(0.9) - 2 * np.log(0.4)) / 3, rel=1e-14)
    assert ham["losses"]["binary_crossentropy"] == pytest.approx((-3 * np.log(0.8) - np.log(0.3)) / 4, rel=1e-14)
    assert result["confusion"]["weights"] == [[3.0, 1.0], [2.0, 1.0]]
    scores = run("eval", path, "--true", "label", "--pred", "p_spam", "--per-class", "--param", "zero_one.threshold=0.3",
                 "--format", "json").json["results"][0]
    assert scores["confusion"]["weights"] == [[1.0, 1.0], [0.0, 2.0]]  # (p > 0.3 predicts spam)


def test_chunks_shards_merge_and_dask_give_the_whole_files_numbers(write, tmp_path):
    path, _ = _sparse_file(write, n=900, weights=True)
    args = ["--weight", "w", "--per-class", "--format", "json"]
    whole = run("eval", path, *args).json["results"][0]
    lines = Path(path).read_text().splitlines()
    folder = tmp_path / "shards"
    folder.mkdir()
    states = []
    for i, part in enumerate((lines[1:300], lines[300:700], lines[700:])):
        shard = folder / f"part{i}.csv"
        shard.write_text("\n".join([lines[0], *part]) + "\n")
        states.append(tmp_path / f"s{i}.json")
        run("eval", shard, *args, "--state", states[-1])
    merged = run("merge", *states, "--format", "json").json["results"][0]
    runs = [merged]
    if pytest.importorskip("dask"):
        runs.append(run("eval", str(folder / "*.csv"), *args, "--engine", "dask").json["results"][0])
    for found in runs:
        assert found["confusion"] == whole["confusion"]
        for ours, theirs in zip(found["per_class"], whole["per_class"]):
            assert ours["class"] == theirs["class"] and ours["weight"] == theirs["weight"]
            assert ours["losses"] == pytest.approx(theirs["losses"], rel=1e-12)


def test_table_markdown_and_where_it_does_not_apply(write):
    path, _ = _sparse_file(write)
    table = run("eval", path, "--per-class", "--format", "table").stdout
    assert "by true class" in table and "confusion matrix" in table
    markdown = run("eval", path, "--per-class", "--format", "markdown").stdout
    assert "by true class:" in markdown and "`=cmd\\|' /C calc'!A0`" in markdown  # (| escaped in a cell)
    regression = run("eval", SAMPLE_DATA / "regression.csv", "--per-class", "--format", "json").json["results"][0]
    assert "per_class" not in regression and "confusion" not in regression
    hard = write("hard.csv", "y_true,y_pred\na,a\nb,a\nc,c\n")
    assert "per_class" not in run("eval", hard, "--per-class", "--format", "json").json["results"][0]


def test_class_names_that_are_rich_markup_stay_text(write):
    """Class names become the headers of the per-class table and the confusion matrix: as text,
    never rich markup (a '[/]' class crashed the table)."""
    path = write("m.csv", "y_true,y_pred\n[/],0.7\n[red]x[/red],0.2\n[/],0.9\n[red]x[/red],0.4\n")
    found = run("eval", path, "--per-class", "--format", "table")
    assert found.code == 0 and "[red]x[/red]" in found.stdout and "[/]" in found.stdout


def test_a_state_saved_before_per_class_existed_merges_with_a_new_one(write, tmp_path):
    """States of version 3 made before --per-class have no per_class setting: it is read as False."""
    import json

    path, _ = _sparse_file(write)
    lines = Path(path).read_text().splitlines()
    states = []
    for i, part in enumerate((lines[1:300], lines[300:])):
        shard = write(f"p{i}.csv", "\n".join([lines[0], *part]) + "\n")
        states.append(tmp_path / f"s{i}.json")
        run("eval", shard, "--state", states[-1])
    old = json.loads(states[0].read_text())
    del old["settings"]["per_class"]  # (as a state of the day before wrote it)
    states[0].write_text(json.dumps(old))
    merged = run("merge", *states, "--format", "json")
    assert merged.code == 0 and merged.json["results"][0]["n"] == len(lines) - 1


def test_a_probability_threshold_outside_0_1_is_refused_even_without_zero_one(write):
    path = write("b.csv", "label,p_spam\nspam,0.9\nham,0.2\n")
    result = run("eval", path, "--true", "label", "--pred", "p_spam", "--per-class", "-l", "brier",
                 "--param", "zero_one.threshold=1.5")
    assert result.code == 2 and "zero_one.threshold=1.5" in result.stderr and "between 0 and 1" in result.stderr
