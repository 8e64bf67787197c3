"""--log-to mlflow, against MLflow's own local file store (read back with MLflow's client), and
--log-to wandb in W&B's offline mode (its run file read back with W&B's own record types)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from losscli.results import Gate, Report, Result
from losscli.tracking import metric_names

from .conftest import SAMPLE_DATA, run

BINARY = SAMPLE_DATA / "binary_probabilities.csv"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A local MLflow store, as the environment names it (MLflow 3 keeps its file store behind a flag)."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    return mlflow.tracking.MlflowClient((tmp_path / "mlruns").as_uri())


def only_run(client):
    runs = client.search_runs(experiment_ids=[e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 1
    return runs[0]


def test_every_loss_is_a_metric_of_a_new_run_with_the_report_as_artifact(store, tmp_path):
    result = run("eval", BINARY, "--log-to", "mlflow", "--max", "brier=0.5")
    assert result.code == 0, result.stderr
    logged = only_run(store)
    report = result.json
    assert logged.data.metrics == {**{f"y/{k}": v for k, v in report["metrics"]["y"].items()}, "losscli/passed": 1.0}
    assert logged.data.tags["losscli.signature"] == report["signature"]
    assert logged.info.status == "FINISHED"
    saved = store.download_artifacts(logged.info.run_id, "losscli/report.json", str(tmp_path))
    assert json.loads(Path(saved).read_text()) == report


def test_a_run_named_by_mlflow_run_id_gets_the_metrics(store, monkeypatch, write):
    experiment = store.create_experiment("models")
    existing = store.create_run(experiment).info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", existing)
    path = write("m.csv", "y_true,pred_lr,pred_rf\n1,0.9,0.7\n0,0.2,0.4\n1,0.6,0.8\n0,0.1,0.3\n")
    assert run("eval", path, "--log-to", "mlflow").code == 0
    metrics = store.get_run(existing).data.metrics
    assert metrics["y/lr/brier"] == pytest.approx((0.01 + 0.04 + 0.16 + 0.01) / 4, rel=1e-12)
    assert "y/rf/brier" in metrics and "losscli/passed" not in metrics


def test_names_mlflow_refuses_are_made_safe_and_kept_apart():
    result = Result(pair='a:b"c', true=["t"], pred=["p"], task="binary", predictions="probability", n=2,
                    losses={"brier": 0.25, "focal": None})
    twin = Result(pair="a_b_c", true=["t2"], pred=["p2"], task="binary", predictions="probability", n=2,
                  losses={"brier": 0.5})
    gate = Gate(pair="a_b_c", loss="brier", max=0.1, value=0.5, passed=False, source="--max")
    assert metric_names(Report("s", {}, [result, twin], gates=[gate])) == {
        "a_b_c/brier": 0.25, "a_b_c/brier_2": 0.5, "losscli/passed": 0.0}


def test_an_unknown_tracker_is_a_usage_error_before_anything_is_read(tmp_path):
    result = run("eval", tmp_path / "missing.csv", "--log-to", "mlflw")
    assert result.code == 2 and "--log-to mlflw: unknown tracker (did you mean 'mlflow'?)" in result.stderr


def test_a_tracker_that_cannot_be_reached_is_a_warning_and_the_verdict_stands(monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:secret@127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    result = run("eval", BINARY, "--log-to", "mlflow", "--max", "brier=0.01")
    assert result.code == 1
    assert "--log-to mlflow: the report could not be logged" in result.stderr
    assert "secret" not in result.stderr


def wandb_records(run_file: Path) -> dict[str, list]:
    """The records of a W&B run file, by kind: W&B's own protobuf ``Record``s, in the log format
    the file is written in (a ``:W&B`` header; 32 KiB blocks of records, each a 7-byte header:
    checksum, length, kind 1 whole / 2 first / 3 middle / 4 last; W&B 0.31 has no reader of it)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = run_file.read_bytes()
    assert data[:4] == b":W&B"
    found: dict[str, list] = {}
    at, pending = 7, b""
    while at + 7 <= len(data):
        if 32768 - at % 32768 < 7:  # (a block's tail too short for a header is padding)
            at += 32768 - at % 32768
            continue
        length, kind = int.from_bytes(data[at + 4:at + 6], "little"), data[at + 6]
        pending += data[at + 7:at + 7 + length]
        at += 7 + length
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(pending)
            found.setdefault(record.WhichOneof("record_type"), []).append(record)
            pending = b""
    return found


def test_wandb_offline_run_holds_every_loss_the_signature_and_the_report(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for name, value in (("WANDB_MODE", "offline"), ("WANDB_DIR", str(tmp_path)), ("WANDB_PROJECT", "models")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WANDB_RUN_ID", raising=False)
    result = run("eval", BINARY, "--log-to", "wandb", "--max", "brier=0.5")
    assert result.code == 0, result.stderr
    report = result.json  # (standard output is the JSON alone: W&B printed nothing there)
    (run_file,) = tmp_path.glob("wandb/offline-run-*/run-*.wandb")
    records = wandb_records(run_file)
    logged = {}  # the run's summary, as its records last set it (W&B writes it however the log was batched)
    for record in records["summary"]:
        logged.update({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.summary.update})
    assert {k: v for k, v in logged.items() if not k.startswith("_")} == {
        **{f"y/{k}": v for k, v in report["metrics"]["y"].items()}, "losscli/passed": 1.0}
    config = {u.key: json.loads(u.value_json) for r in records["config"] for u in r.config.update}
    assert config["losscli.signature"] == report["signature"]
    (artifact,) = records["artifact"]
    assert artifact.artifact.name == "losscli-report" and artifact.artifact.type == "evaluation"
    assert [entry.path for entry in artifact.artifact.manifest.contents] == ["report.json"]
    assert records["run"][0].run.project == "models" and records["exit"]
