"""Several models of one target in one file: a leaderboard per target (issue 15, first slice).

Models as rows, losses as columns, ranked by the first loss every model has, the lowest first; in the
JSON under ``models`` (an addition: ``results`` are as they were), the table and the markdown.
Every number is checked against scikit-learn per model.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss, mean_absolute_error, mean_squared_error

from .conftest import csv_text, run

RNG = np.random.default_rng(7)
Y = RNG.integers(0, 2, 400)
MODELS = {  # a good, a middling and a useless model of the same labels
    "lr": np.clip(np.where(Y == 1, 0.75, 0.25) + RNG.normal(0, 0.1, 400), 0.01, 0.99),
    "rf": np.clip(np.where(Y == 1, 0.6, 0.4) + RNG.normal(0, 0.2, 400), 0.01, 0.99),
    "dummy": RNG.uniform(0.01, 0.99, 400),
}


@pytest.fixture
def three_models(write):
    columns = {"id": np.arange(400), "y_true": Y} | {f"pred_{name}": p for name, p in MODELS.items()}
    return write("models.csv", csv_text(columns))


def test_the_leaderboard_ranks_the_models_by_the_main_loss_with_scikit_learn_values(three_models):
    report = run("eval", three_models, "--format", "json").json
    (board,) = report["models"]
    assert board["target"] == "y" and board["true"] == ["y_true"] and board["main"] == "binary_crossentropy"
    expected = {name: log_loss(Y, p) for name, p in MODELS.items()}
    assert [m["model"] for m in board["models"]] == sorted(expected, key=expected.get)  # lr, rf, dummy
    assert [m["rank"] for m in board["models"]] == [1, 2, 3]
    for entry in board["models"]:
        p = MODELS[entry["model"]]
        assert entry["pair"] == f"y/{entry['model']}"
        assert entry["losses"]["binary_crossentropy"] == pytest.approx(log_loss(Y, p), rel=1e-12)
        assert entry["losses"]["brier"] == pytest.approx(brier_score_loss(Y, p), rel=1e-12)
    # the results are as they were: one per model, with its own signature
    assert [r["pair"] for r in report["results"]] == ["y/lr", "y/rf", "y/dummy"]


def test_the_leaderboard_heads_the_table_and_the_markdown(three_models):
    table = run("eval", three_models, "--format", "table").stdout
    assert "y: 3 models, ranked by binary_crossentropy, the lowest first" in table
    assert table.index("dummy") > table.index(" rf ") > table.index(" lr ")  # the best first
    markdown = run("eval", three_models, "--format", "markdown").stdout
    assert "**`y`** · 3 models, ranked by binary_crossentropy, the lowest first" in markdown
    assert "| 1 | `lr` |" in markdown and "| 3 | `dummy` |" in markdown


def test_regression_models_rank_by_mse_and_one_model_has_no_leaderboard(write):
    y = RNG.normal(10, 3, 300)
    good, bad = y + RNG.normal(0, 0.5, 300), y + RNG.normal(1, 2, 300)
    path = write("reg.csv", csv_text({"y_true": y, "y_pred_bad": bad, "y_pred_good": good}))
    (board,) = run("eval", path, "--format", "json").json["models"]
    assert board["main"] == "mse" and [m["model"] for m in board["models"]] == ["good", "bad"]
    assert board["models"][0]["losses"]["mse"] == pytest.approx(mean_squared_error(y, good), rel=1e-12)
    assert board["models"][1]["losses"]["mae"] == pytest.approx(mean_absolute_error(y, bad), rel=1e-12)
    single = write("one.csv", csv_text({"y_true": y, "y_pred": good}))
    assert "models" not in run("eval", single, "--format", "json").json
