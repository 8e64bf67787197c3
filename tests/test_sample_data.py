"""Every bundled sample file through the CLI, each value against scikit-learn on the same file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from .conftest import SAMPLE_DATA, run

REL = 1e-9


def evaluate(name: str, *args: str):
    result = run("eval", SAMPLE_DATA / name, "--format", "json", *args)
    assert result.code == 0, result.stderr
    return result.json


def test_regression():
    df = pd.read_csv(SAMPLE_DATA / "regression.csv")
    (res,) = evaluate("regression.csv")["results"]
    assert (res["pair"], res["task"], res["predictions"], res["n"]) == ("y", "regression", "values", len(df))
    y, v = df.y_true, df.y_pred
    expected = {
        "mse": metrics.mean_squared_error(y, v), "rmse": metrics.root_mean_squared_error(y, v),
        "mae": metrics.mean_absolute_error(y, v), "msle": metrics.mean_squared_log_error(y, v),
        "mape": metrics.mean_absolute_percentage_error(y, v), "pinball": metrics.mean_pinball_loss(y, v),
        "poisson_deviance": metrics.mean_poisson_deviance(y, v), "gamma_deviance": metrics.mean_gamma_deviance(y, v),
    }
    for name, value in expected.items():
        assert res["losses"][name] == pytest.approx(value, rel=REL), name
    assert list(res["losses"]) == ["mse", "rmse", "mae", "huber", "log_cosh", "msle", "mape", "smape", "pinball",
                                   "poisson_deviance", "gamma_deviance", "asymmetric_mse"]


def test_multi_target_regression_one_pair_per_name():
    df = pd.read_csv(SAMPLE_DATA / "regression_multi.csv")
    results = evaluate("regression_multi.csv")["results"]
    assert [r["pair"] for r in results] == ["weight", "waist", "pulse"]
    for r in results:
        assert r["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(df[f"{r['pair']}_true"], df[f"{r['pair']}_pred"]), rel=REL)


def test_binary_probabilities():
    df = pd.read_csv(SAMPLE_DATA / "binary_probabilities.csv")
    (res,) = evaluate("binary_probabilities.csv")["results"]
    assert (res["task"], res["predictions"], res["positive"]) == ("binary", "probability", "1")
    assert res["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(df.y_true, df.y_pred), rel=REL)
    assert res["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(df.y_true, df.y_pred), rel=REL)
    assert res["losses"]["zero_one"] == pytest.approx(metrics.zero_one_loss(df.y_true, df.y_pred > 0.5), rel=REL)
    assert res["skipped"]["hinge"] == "predictions are probabilities; hinge needs decision scores"


def test_binary_logits_with_string_labels():
    df = pd.read_csv(SAMPLE_DATA / "binary_logits.csv")
    (res,) = evaluate("binary_logits.csv")["results"]
    y = (df.diagnosis == "malignant").astype(int)
    p = 1 / (1 + np.exp(-df.score))
    assert (res["task"], res["predictions"], res["positive"]) == ("binary", "logits", "malignant")
    assert res["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(y, p), rel=REL)
    assert res["losses"]["hinge"] == pytest.approx(metrics.hinge_loss(2 * y - 1, df.score), rel=REL)
    assert res["losses"]["zero_one"] == pytest.approx(metrics.zero_one_loss(y, df.score > 0), rel=REL)


def test_sparse_integer_labels():
    df = pd.read_csv(SAMPLE_DATA / "sparse_integers.csv")
    proba = df[[f"p_{k}" for k in range(10)]].to_numpy()
    (res,) = evaluate("sparse_integers.csv")["results"]
    assert (res["task"], res["classes"]) == ("sparse", [str(k) for k in range(10)])
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(metrics.log_loss(df.y_true, proba), rel=REL)
    assert res["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(df.y_true, proba, labels=range(10)), rel=REL)
    assert res["losses"]["top_k_error"] == pytest.approx(1 - metrics.top_k_accuracy_score(df.y_true, proba, k=5), rel=REL)


@pytest.mark.parametrize("name, args, label", [
    ("sparse_strings.csv", (), "species"),
    ("predictions.csv", ("--labels", str(SAMPLE_DATA / "labels.csv")), "label"),
])
def test_sparse_string_labels_and_a_joined_labels_file(name, args, label):
    if name == "predictions.csv":
        df = pd.read_csv(SAMPLE_DATA / "predictions.csv").merge(pd.read_csv(SAMPLE_DATA / "labels.csv"), on="id")
        columns = ["p_setosa", "p_versicolor", "p_virginica"]
    else:
        df = pd.read_csv(SAMPLE_DATA / name)
        columns = ["prob_setosa", "prob_versicolor", "prob_virginica"]
    (res,) = evaluate(name, *args)["results"]
    assert res["pair"] == label and res["classes"] == ["setosa", "versicolor", "virginica"]
    expected = metrics.log_loss(df[label], df[columns].to_numpy(), labels=["setosa", "versicolor", "virginica"])
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(expected, rel=REL)


def test_one_hot_multiclass():
    df = pd.read_csv(SAMPLE_DATA / "multiclass_onehot.csv")
    y = df.filter(like="y_true_").to_numpy().argmax(axis=1)
    proba = df.filter(like="y_pred_").to_numpy()
    (res,) = evaluate("multiclass_onehot.csv")["results"]
    assert res["task"] == "multiclass"
    assert res["losses"]["categorical_crossentropy"] == pytest.approx(metrics.log_loss(y, proba), rel=REL)
    assert res["losses"]["kl_divergence"] == pytest.approx(metrics.log_loss(y, proba), rel=REL)


def test_multilabel():
    df = pd.read_csv(SAMPLE_DATA / "multilabel.csv")
    y = df.filter(like="label_").to_numpy()
    p = df.filter(like="prob_").to_numpy()
    (res,) = evaluate("multilabel.csv")["results"]
    assert res["task"] == "multilabel"
    assert list(res["losses"]) == ["binary_crossentropy", "brier", "hamming"]
    assert res["losses"]["hamming"] == pytest.approx(metrics.hamming_loss(y, p > 0.5), rel=REL)
    assert res["losses"]["binary_crossentropy"] == pytest.approx(
        np.mean([metrics.log_loss(y[:, j], p[:, j]) for j in range(3)]), rel=REL)
