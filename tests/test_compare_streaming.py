"""``compare`` reads files in step, chunk by chunk, when their rows are in one order (issue 15).

Whatever way the files are read, the numbers are those of reading them whole: checked against the
same files with NEW's rows shuffled (read whole and aligned by id), against DataFrames (read whole by
the API), and the losses against scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

import losscli
from losscli import comparison, csv_stream
from losscli.lockstep import in_step

from .conftest import csv_text, run

RNG = np.random.default_rng(15)
N = 3000
Y = RNG.integers(0, 2, N)
BASE = np.clip(np.where(Y == 1, 0.65, 0.35) + RNG.normal(0, 0.2, N), 0.01, 0.99).round(4)
NEW = np.clip(np.where(Y == 1, 0.7, 0.3) + RNG.normal(0, 0.2, N), 0.01, 0.99).round(4)
OTHER = np.clip(np.where(Y == 1, 0.6, 0.4) + RNG.normal(0, 0.2, N), 0.01, 0.99).round(4)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few hundred rows, so that 3,000 rows are read in many steps."""
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 4_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 2_000)


def _files(write, order=None, extra=False, new_name="new.csv"):
    ids = np.arange(1000, 1000 + N)
    order = np.arange(N) if order is None else order
    base = {"id": ids, "y_true": Y, "y_pred": BASE}
    new = {"id": ids[order], "y_true": Y[order], "y_pred": NEW[order]}
    if extra:  # a wider file: its chunks hold fewer rows than BASE's
        new |= {f"feature_{k}": RNG.normal(size=N).round(6) for k in range(6)}
    other = {"id": ids, "y_true": Y, "y_pred": OTHER}
    return write("base.csv", csv_text(base)), write(new_name, csv_text(new)), write("other.csv", csv_text(other))


def _never_whole(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(comparison, "_whole", refuse)


def _numbers(report):
    return [(r["pair"], r["n"], r["losses"], r["base"], r["diff"], r["ci"], r["p_value"], r.get("p_holm"),
             r["agreement"], r.get("worst")) for r in report["results"]]


def _close(a, b):
    """The same structure and the same numbers to 1e-12 (sums added in another order differ by ~1e-16)."""
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-15)
    else:
        assert a == b


def test_files_in_the_same_order_are_read_in_step_with_the_numbers_of_reading_them_whole(
        write, small_chunks, monkeypatch):
    base, new, _ = _files(write, extra=True)
    _, shuffled, _ = _files(write, order=RNG.permutation(N), extra=True, new_name="shuffled.csv")
    whole = run("compare", base, shuffled, "--worst", "4", "--format", "json")
    assert whole.code == 0, whole.stderr
    assert "read whole to align their rows, as 'id' lists the rows in a different order in" in whole.stderr
    assert "MB of data in memory" in whole.stderr
    _never_whole(monkeypatch)
    stepped = run("compare", base, new, "--worst", "4", "--format", "json")
    assert stepped.code == 0, stepped.stderr
    assert "read whole" not in stepped.stderr
    _close(_numbers(whole.json), _numbers(stepped.json))
    assert stepped.json["signature"] == whole.json["signature"]  # the same rows, the same data hash
    (result,) = stepped.json["results"]
    assert result["n"] == N and stepped.json["input"]["rows"] == N
    assert result["base"]["binary_crossentropy"] == pytest.approx(log_loss(Y, BASE), rel=1e-12)
    assert result["losses"]["binary_crossentropy"] == pytest.approx(log_loss(Y, NEW), rel=1e-12)
    # the agreement, counted by hand
    old = -np.log(np.where(Y == 1, BASE, 1 - BASE))
    now = -np.log(np.where(Y == 1, NEW, 1 - NEW))
    assert result["agreement"]["better"] == int((now < old).sum())
    assert result["agreement"]["worse"] == int((now > old).sum())
    wrong_before, wrong_after = (BASE > 0.5) != Y, (NEW > 0.5) != Y
    assert result["agreement"]["fixed"] == int((wrong_before & ~wrong_after).sum())
    assert result["agreement"]["broken"] == int((~wrong_before & wrong_after).sum())
    change = now - old
    assert [w["row"] for w in result["worst"]] == list(np.lexsort((np.arange(N), -np.abs(change)))[:4] + 1)


def test_several_new_files_in_step_equal_dataframes_read_whole(write, small_chunks, monkeypatch):
    base, new, other = _files(write)
    frames = [pd.read_csv(path) for path in (base, new, other)]
    whole = losscli.compare(frames[0], frames[1:])
    _never_whole(monkeypatch)
    stepped = run("compare", base, new, other, "--format", "json")
    assert stepped.code == 0, stepped.stderr
    assert [r["model"] for r in stepped.json["results"]] == ["new.csv", "other.csv"]  # their names, short
    assert all(r["p_holm"] for r in stepped.json["results"])
    for ours, theirs in zip(stepped.json["results"], whole["results"]):
        _close([ours[k] for k in ("n", "losses", "base", "diff", "ci", "p_value", "p_holm", "agreement")],
               [theirs[k] for k in ("n", "losses", "base", "diff", "ci", "p_value", "p_holm", "agreement")])


def test_models_of_one_file_are_read_chunk_by_chunk(write, small_chunks):
    path = write("models.csv", csv_text({"y_true": Y, "pred_base": BASE, "pred_new": NEW, "pred_other": OTHER}))
    stepped = run("compare", path, "--baseline-model", "base", "--format", "json")
    assert stepped.code == 0, stepped.stderr
    whole = losscli.compare(pd.read_csv(path), baseline_model="base")
    for ours, theirs in zip(stepped.json["results"], whole["results"]):
        _close([ours[k] for k in ("pair", "n", "losses", "base", "diff", "ci", "p_value", "p_holm", "agreement")],
               [theirs[k] for k in ("pair", "n", "losses", "base", "diff", "ci", "p_value", "p_holm", "agreement")])
    assert stepped.json["results"][1]["losses"]["binary_crossentropy"] == pytest.approx(log_loss(Y, OTHER), rel=1e-12)


def test_steps_hold_equal_rows_of_every_file_and_together_the_whole_files(write, small_chunks):
    base, new, _ = _files(write, extra=True)
    steps = list(in_step([str(base), str(new)], None))
    assert len(steps) > 5
    assert all(a.n_rows == b.n_rows for a, b in steps)
    assert max(a.n_rows for a, _ in steps) < N / 3  # bounded by a chunk, not the file
    ids = [np.concatenate([f.column("id").floats for f in files]) for files in zip(*steps)]
    assert np.array_equal(ids[0], np.arange(1000, 1000 + N)) and np.array_equal(ids[1], ids[0])
    assert [a.offset for a, _ in steps] == list(np.cumsum([0] + [a.n_rows for a, _ in steps[:-1]]))
    assert steps[1][1].key == "id"  # NEW's id is its key: never paired


def test_labels_that_differ_in_a_later_chunk_name_their_row(write, small_chunks):
    base, _, _ = _files(write)
    labels = Y.copy()
    labels[2500] = 1 - labels[2500]
    new = write("new.csv", csv_text({"id": np.arange(1000, 1000 + N), "y_true": labels, "y_pred": NEW}))
    result = run("compare", base, new)
    assert result.code == 3
    assert "disagree on the labels (first at row 2501)" in result.stderr


def test_files_of_different_lengths_without_ids_are_refused_as_before(write, small_chunks):
    base = write("b.csv", csv_text({"y_true": Y, "y_pred": BASE}))
    new = write("n.csv", csv_text({"y_true": Y[:-10], "y_pred": NEW[:-10]}))
    result = run("compare", base, new)
    assert result.code == 3
    assert f"has {N} rows and {N - 10} are in" in result.stderr


def test_a_new_file_with_fewer_rows_but_the_same_ids_first_is_refused(write, small_chunks):
    base, _, _ = _files(write)
    new = write("n.csv", csv_text({"id": np.arange(1000, 1000 + N - 5), "y_true": Y[:-5], "y_pred": NEW[:-5]}))
    result = run("compare", base, new)
    assert result.code == 3, result.stdout
    assert "has no row in" in result.stderr
