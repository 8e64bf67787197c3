"""``--log-to mlflow`` and ``--log-to wandb``: the report's losses logged to an experiment tracker.

Each tracker is an optional extra (``losscli[mlflow]``: ``mlflow-skinny`` is enough;
``losscli[wandb]``), found and authenticated by its own environment (``MLFLOW_TRACKING_URI``,
``MLFLOW_EXPERIMENT_NAME``; ``WANDB_API_KEY``, ``WANDB_PROJECT``, ``WANDB_MODE=offline`` …), which
losscli never reads or prints. The metrics go to the run already active in the process, else the
run the environment names (``MLFLOW_RUN_ID``; ``WANDB_RUN_ID``), else a new run that is ended once
logged (W&B: job type ``evaluation``, its console capture off, so that nothing of W&B's reaches
standard output).

Logged: each overall loss as the metric ``PAIR/LOSS`` (``y/brier``, ``y/lr/binary_crossentropy``;
a character MLflow does not take in a name becomes ``_``, for both trackers), ``losscli/passed``
(1 or 0) when there are gates, ``losscli.signature`` and ``losscli.version`` (MLflow tags, W&B
config), and the JSON report as an artifact (MLflow ``losscli/report.json``; W&B the artifact
``losscli-report`` of type ``evaluation``). Groups stay in the artifact: 100k groups are not 500k
metrics.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import UsageError
from .results import Report

TRACKERS = ("mlflow", "wandb")
NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_.\- /]")  # what MLflow takes in a metric name, and nothing more
USER_IN_URL = re.compile(r"//[^/@\s]*@")  # a user and password in an address (never printed)


def check(trackers: Iterable[str]) -> None:
    """A usage error for a tracker losscli does not know, before anything is read."""
    from .errors import closest

    for tracker in trackers:
        if tracker not in TRACKERS:
            raise UsageError(f"--log-to {tracker}: unknown tracker{closest(tracker, TRACKERS)}; "
                             f"trackers: {', '.join(TRACKERS)}")


def metric_names(report: Report) -> dict[str, float]:
    """The metrics to log: ``PAIR/LOSS`` of every overall loss with a value (names that meet once
    made safe get ``_2``, ``_3`` …), and ``losscli/passed`` when there are gates."""
    metrics: dict[str, float] = {}
    for pair, losses in report.metrics().items():
        for loss, value in losses.items():
            name = NOT_IN_A_NAME.sub("_", f"{pair}/{loss}")
            unique, k = name, 1
            while unique in metrics:
                k += 1
                unique = f"{name}_{k}"
            metrics[unique] = float(value)
    if report.gates:
        metrics["losscli/passed"] = float(report.passed)
    return metrics


def log(trackers: Iterable[str], report: Report) -> list[str]:
    """Log the report to each tracker; a warning for each that could not be reached (the verdict
    stands: the losses were computed, and the exit code says whether the gates passed)."""
    notes = []
    for tracker in trackers:
        try:
            (_to_mlflow if tracker == "mlflow" else _to_wandb)(report)
        except ImportError:
            package = "mlflow-skinny" if tracker == "mlflow" else "wandb"
            raise UsageError(f"--log-to {tracker} needs {package}: pip install 'losscli[{tracker}]'") from None
        except Exception as error:  # noqa: BLE001  (a tracker's failure of any kind is reported, not a crash)
            first = (str(error).splitlines() or [""])[0][:300]
            notes.append(f"--log-to {tracker}: the report could not be logged ({type(error).__name__}: "
                         f"{USER_IN_URL.sub('//', first)})")
    return notes


@contextmanager
def _report_file(report: Report) -> Iterator[Path]:
    """The JSON report in a temporary file named report.json (what the trackers upload)."""
    from .report import json_bytes

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.json"
        path.write_bytes(json_bytes(report))
        yield path


def _to_mlflow(report: Report) -> None:
    import mlflow

    started = mlflow.active_run() is None
    if started:
        mlflow.start_run()  # (the run of MLFLOW_RUN_ID when it is set, else a new one)
    try:
        mlflow.log_metrics(metric_names(report))
        mlflow.set_tags({"losscli.signature": report.signature, "losscli.version": __version__})
        with _report_file(report) as path:
            mlflow.log_artifact(str(path), artifact_path="losscli")
    finally:
        if started:
            mlflow.end_run()


def _to_wandb(report: Report) -> None:
    import wandb

    run = wandb.run
    started = run is None
    if run is None:  # (WANDB_RUN_ID names a run to resume, as W&B reads it)
        run = wandb.init(job_type="evaluation", settings=wandb.Settings(console="off", silent=True))
    try:
        run.log(metric_names(report))
        run.config.update({"losscli.signature": report.signature, "losscli.version": __version__},
                          allow_val_change=True)
        with _report_file(report) as path:
            artifact = wandb.Artifact("losscli-report", type="evaluation")
            artifact.add_file(str(path), name="report.json")
            run.log_artifact(artifact)
    finally:
        if started:  # (ours: finished, and W&B's service told to write it all out before we return)
            run.finish()
            wandb.teardown()
