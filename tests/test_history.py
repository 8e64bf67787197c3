"""``losscli history`` on logs written from known curves in each format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import run

EPOCHS = 20
BEST = 8  # the validation loss is lowest at epoch index 8, then rises
TRAIN = 1.0 / (1.0 + 0.4 * np.arange(EPOCHS)) + 0.05  # keeps falling
VAL = np.where(np.arange(EPOCHS) <= BEST, TRAIN + 0.1, TRAIN[BEST] + 0.1 + 0.02 * (np.arange(EPOCHS) - BEST))
HEALTHY_VAL = TRAIN + 0.1  # still improving at the end: no overfitting


def keras(write, val=VAL, name="log.csv"):
    return write(name, "epoch,loss,val_loss,accuracy\n" + "".join(
        f"{e},{float(t)!r},{float(v)!r},0.5\n" for e, (t, v) in enumerate(zip(TRAIN, val))))


def test_keras_csvlogger_overfitting(write):
    result = run("history", keras(write))
    assert result.code == 0
    report = result.json
    assert (report["format"], report["train"], report["val"], report["epochs"]) == ("keras", "loss", "val_loss", EPOCHS)
    assert report["best"] == {"epoch": BEST, "train": pytest.approx(TRAIN[BEST]), "val": pytest.approx(VAL[BEST])}
    over = report["overfitting"]
    assert over["detected"] is True and over["from_epoch"] == BEST and over["patience"] == 3
    assert over["gap"] == pytest.approx(VAL[-1] - TRAIN[-1])
    assert [row["epoch"] for row in report["curve"]] == list(range(EPOCHS))


def test_a_run_that_does_not_overfit(write):
    report = run("history", keras(write, HEALTHY_VAL)).json
    assert report["best"]["epoch"] == EPOCHS - 1 and report["overfitting"]["detected"] is False
    assert report["overfitting"]["from_epoch"] is None


def test_patience_decides(write):
    # 11 epochs after the best: patience 11 detects, patience 12 does not
    path = keras(write)
    assert run("history", path, "--patience", "11").json["overfitting"]["detected"] is True
    assert run("history", path, "--patience", "12").json["overfitting"]["detected"] is False


def test_fail_on_overfit_exits_1(write):
    result = run("history", keras(write), "--fail-on-overfit")
    assert result.code == 1 and "overfitting" in result.stderr
    assert run("history", keras(write, HEALTHY_VAL), "--fail-on-overfit").code == 0


def test_lightning_metrics_csv_with_separate_rows(write):
    lines = ["epoch,step,train_loss_step,train_loss_epoch,val_loss"]
    step = 0
    for e in range(EPOCHS):
        for k in range(3):
            lines.append(f"{e},{step},{TRAIN[e] + 0.01 * k},,")
            step += 1
        lines.append(f"{e},{step},,{float(TRAIN[e])!r},")
        lines.append(f"{e},{step},,,{float(VAL[e])!r}")
    report = run("history", write("metrics.csv", "\n".join(lines) + "\n")).json
    assert (report["format"], report["train"], report["val"]) == ("lightning", "train_loss_epoch", "val_loss")
    assert report["best"]["epoch"] == BEST and report["overfitting"]["from_epoch"] == BEST
    assert report["best"]["train"] == pytest.approx(TRAIN[BEST])


def test_hugging_face_trainer_state(write):
    history = []
    for e in range(1, EPOCHS + 1):
        history.append({"loss": float(TRAIN[e - 1]) + 0.02, "epoch": e - 0.5, "step": 10 * e - 5})
        history.append({"loss": float(TRAIN[e - 1]) - 0.02, "epoch": float(e), "step": 10 * e})
        history.append({"eval_loss": float(VAL[e - 1]), "epoch": float(e), "step": 10 * e})
    history.append({"train_runtime": 12.0, "train_loss": 0.42, "total_flos": 1e12, "epoch": float(EPOCHS),
                    "step": 10 * EPOCHS})  # the run summary Trainer appends at the end
    report = run("history", write("trainer_state.json", json.dumps({"log_history": history}))).json
    assert (report["format"], report["train"], report["val"]) == ("huggingface", "loss", "eval_loss")
    assert report["best"]["epoch"] == BEST + 1  # Hugging Face numbers epochs from 1
    assert report["best"]["train"] == pytest.approx(TRAIN[BEST])  # the mean of the epoch's two logs
    assert report["overfitting"]["detected"] is True


def test_json_lines_with_column_overrides(write):
    lines = [json.dumps({"ep": e, "tr": float(t), "va": float(v)}) for e, (t, v) in enumerate(zip(TRAIN, VAL))]
    path = write("log.jsonl", "\n".join(lines))
    assert run("history", path).code == 3  # no epoch column it recognises
    report = run("history", path, "--epoch", "ep", "--train", "tr", "--val", "va").json
    assert report["best"]["epoch"] == BEST and report["overfitting"]["detected"] is True
    assert run("history", path, "--epoch", "ep", "--train", "trr").code == 2


def test_diverged_run_is_reported_not_a_crash(write):
    text = "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.85\n3,nan,nan\n4,inf,nan\n"
    result = run("history", write("log.csv", text))
    assert result.code == 0 and "diverged" in result.stderr
    report = result.json
    assert report["diverged"] == {"detected": True, "from_epoch": 3}
    assert report["best"]["epoch"] == 2 and report["curve"][3]["val"] is None
    # the gap is measured at epoch 2, the last before the divergence: 0.85 - 0.7
    assert report["overfitting"]["gap"] == pytest.approx(0.15) and report["overfitting"]["gap_epoch"] == 2


DIVERGED = "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.85\n3,nan,nan\n4,inf,nan\n"


def test_diverged_run_summary_says_so(write):
    result = run("history", write("log.csv", DIVERGED), "--format", "table")
    summary = " ".join(result.stdout.split("5 epochs (keras log).")[1].split())  # the summary, unwrapped
    assert result.code == 0
    assert "Diverged at epoch 3: a NaN or infinite loss; only the epochs before it are analysed." in summary
    assert "gap at epoch 2, the last before the divergence, 0.15." in summary
    assert "gap at the last epoch" not in summary


def test_fail_on_diverge_exits_1(write):
    result = run("history", write("log.csv", DIVERGED), "--fail-on-diverge")
    assert result.code == 1 and result.json["passed"] is False
    assert "error: the run diverged: a NaN or infinite loss from epoch 3" in result.stderr
    healthy = run("history", keras(write, HEALTHY_VAL), "--fail-on-diverge")
    assert healthy.code == 0 and healthy.json["passed"] is True
    overfit_only = run("history", keras(write), "--fail-on-diverge")  # overfitting is not divergence
    assert overfit_only.code == 0 and overfit_only.json["overfitting"]["detected"] is True


def test_a_healthy_summary_gives_the_gap_at_the_last_epoch(write):
    summary = " ".join(run("history", keras(write, HEALTHY_VAL), "--format", "table").stdout.split())
    assert "No overfitting detected (patience 3); gap at the last epoch" in summary and "Diverged" not in summary


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n3,4\n", "no epoch column"),
    ("epoch,accuracy\n0,0.5\n1,0.6\n", "no loss column"),
    ("epoch,loss,val_loss\n0,1.0,1.2\n", "needs at least two"),
    ("", "empty"),
    ("epoch,loss\n0,abc\n1,0.5\n", "'abc' is not a number"),
    ("epoch,loss,val_loss\n0,nan,nan\n1,nan,nan\n", "no finite"),
])
def test_bad_logs_exit_3(write, text, message):
    result = run("history", write("log.csv", text))
    assert result.code == 3 and message in result.stderr and "Traceback" not in result.stderr


def test_terminal_chart_and_png(write, tmp_path):
    path = keras(write)
    table = run("history", path, "--format", "table")
    assert "◆" in table.stdout and "●" in table.stdout and "best epoch 8" in table.stdout
    png = tmp_path / "curve.png"
    assert run("history", path, "--plot", png).code == 0
    from matplotlib import image

    assert image.imread(png).shape[0] > 100
    svg = tmp_path / "curve.svg"
    run("history", path, "--plot", svg)
    assert svg.read_text().lstrip().startswith("<?xml")


def test_missing_matplotlib_is_a_clear_message(write, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run("history", keras(write), "--plot", tmp_path / "c.png")
    assert result.code == 2 and "pip install 'losscli[plot]'" in result.stderr


def test_column_names_with_capitals_and_spaces(write):
    text = "Epoch,Train Loss,Val Loss\n" + "".join(f"{e},{float(t)!r},{float(v)!r}\n" for e, (t, v) in enumerate(zip(TRAIN, VAL)))
    report = run("history", write("log.csv", text)).json
    assert (report["train"], report["val"], report["best"]["epoch"]) == ("Train Loss", "Val Loss", BEST)
