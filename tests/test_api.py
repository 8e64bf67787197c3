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


BINARY = pd.DataFrame({"y_true": [1, 0], "y_pred": [0.8, 0.4]})


@pytest.mark.parametrize("kwargs, message", [
    ({"pred": [[0.1, 0.9]]}, "evaluate() needs predictions: a file path, a pandas DataFrame, a pyarrow Table"),
    ({"predictions": [[0.1, 0.9]]}, "predictions: expected a file path, a pandas DataFrame, a pyarrow Table"),
    ({"predictions": BINARY, "lables": BINARY}, "evaluate() got an unknown keyword 'lables' (did you mean 'labels'?)"),
    ({"predictions": BINARY, "loss": 3}, "loss=3: expected a name or a list of names (strings)"),
    ({"predictions": BINARY, "params": {"focal": 3}}, "params={'focal': 3}: expected a mapping of mappings"),
    ({"predictions": BINARY, "worst": "3"}, "worst='3': expected an integer, not str"),
    ({"predictions": BINARY, "dropna": "yes"}, "dropna='yes': expected True or False, not str"),
    ({"predictions": BINARY, "task": 2}, "task=2: expected a string, not int"),
    ({"predictions": BINARY, "labels": [1, 0]}, "labels: expected a file path, a pandas DataFrame, a pyarrow Table"),
])
def test_wrong_keywords_and_types_are_usage_errors_naming_the_keyword(kwargs, message):
    with pytest.raises(UsageError) as error:
        losscli.evaluate(**kwargs)
    assert str(error.value).startswith(message)


def test_messages_from_below_name_keywords_not_flags():
    with pytest.raises(DataError) as error:
        losscli.evaluate(pd.DataFrame({"y_true": [1, 0], "y_pred": [0.5, float("nan")]}))
    assert str(error.value).endswith("fill them, or pass dropna=True to skip those rows")
    with pytest.raises(UsageError) as error:
        losscli.evaluate(BINARY, task="binaryy")
    assert str(error.value).startswith("task=binaryy: unknown task (did you mean 'binary'?)")
    with pytest.raises(UsageError) as error:
        losscli.evaluate(BINARY, params={"focal": {"gammma": 3}})
    assert str(error.value).startswith("params['focal']['gammma']: 'focal' has no parameter 'gammma'")
    with pytest.raises(UsageError) as error:
        losscli.evaluate(BINARY, predictions_kind="odds")
    assert str(error.value) == "predictions_kind=odds: expected probability or logits"
    with pytest.raises(UsageError) as error:
        losscli.evaluate(BINARY, true=["y_true", "y_true"], pred="y_pred")
    assert "--" not in str(error.value)


def test_a_pathlike_is_a_path():
    from pathlib import Path

    path = SAMPLE_DATA / "binary_probabilities.csv"
    assert losscli.evaluate(Path(path)) == losscli.evaluate(str(path))


def test_flags_become_keywords_in_messages():
    from losscli.api import keywords_for_flags

    assert keywords_for_flags("--ci 2: a fraction, e.g. --worst 10; pass --dropna to skip; --on joins a --labels file") \
        == "ci=2: a fraction, e.g. worst=10; pass dropna=True to skip; on joins a labels file"
    assert keywords_for_flags("e.g. --param focal.gamma=3 (--predictions logits)") \
        == "e.g. params={'focal': {'gamma': 3}} (predictions_kind=logits)"
    assert keywords_for_flags("--format json") == "--format json"  # not an evaluate() keyword: left alone
