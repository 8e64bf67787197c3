"""``losscli.evaluate``: the same report as the CLI, from paths or DataFrames."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn import metrics

import losscli
from losscli.errors import DataError, UsageError

from .conftest import SAMPLE_DATA, run


def test_evaluate_a_path_equals_the_cli_json():
    path = SAMPLE_DATA / "binary_probabilities.csv"
    assert losscli.evaluate(str(path)) == run("eval", path, "--format", "json").json


def test_evaluate_dataframes_with_labels_params_and_loss_selection():
    preds = pd.DataFrame({"id": [2, 1], "y_pred": [0.4, 0.8]})
    labels = pd.DataFrame({"id": [1, 2], "y_true": [1, 0]})
    report = losscli.evaluate(preds, labels, loss=["log_loss", "focal"], params={"focal": {"gamma": 0}})
    losses = report["results"][0]["losses"]
    assert losses["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0], [0.8, 0.4]), rel=1e-12)
    assert losses["focal"] == pytest.approx((-math.log(0.8) - math.log(0.6)) / 2, rel=1e-12)


def test_evaluate_raises_the_cli_errors():
    with pytest.raises(UsageError):
        losscli.evaluate(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(DataError):
        losscli.evaluate(pd.DataFrame({"y_true": [1, 0], "y_pred": [0.5, float("nan")]}))
