"""Which columns pair, and which task and prediction kind each pair gets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics

from losscli.pairing import class_names, find_pairs

from .conftest import csv_text, run


@pytest.mark.parametrize("columns, expected", [
    (["y_true", "y_pred"], [("y", ["y_true"], ["y_pred"])]),
    (["label", "prediction"], [("label", ["label"], ["prediction"])]),
    (["target", "pred"], [("target", ["target"], ["pred"])]),
    (["actual", "predicted"], [("actual", ["actual"], ["predicted"])]),
    (["truth", "output"], [("truth", ["truth"], ["output"])]),
    (["gold", "y_score"], [("gold", ["gold"], ["y_score"])]),
    (["y", "yhat"], [("y", ["y"], ["yhat"])]),
    (["yTrue", "yPred"], [("y", ["yTrue"], ["yPred"])]),
    (["Y-True", "Y-Pred"], [("y", ["Y-True"], ["Y-Pred"])]),
    (["id", "y_true", "y_pred", "weight", "group"], [("y", ["y_true"], ["y_pred"])]),
    (["price_true", "price_pred", "qty_true", "qty_pred"],
     [("price", ["price_true"], ["price_pred"]), ("qty", ["qty_true"], ["qty_pred"])]),
    (["sales", "sales_forecast"], [("sales", ["sales"], ["sales_forecast"])]),
    (["y_true", "p_0", "p_1", "p_2"], [("y", ["y_true"], ["p_0", "p_1", "p_2"])]),
    (["label", "prob_cat", "prob_dog"], [("label", ["label"], ["prob_cat", "prob_dog"])]),
    (["label", "cat_prob", "dog_prob"], [("label", ["label"], ["cat_prob", "dog_prob"])]),
    (["target", "logit_a", "logit_b", "logit_c"], [("target", ["target"], ["logit_a", "logit_b", "logit_c"])]),
    (["y_true", "y_pred_a", "y_pred_b"], [("y", ["y_true"], ["y_pred_a", "y_pred_b"])]),
    (["species", "score_setosa", "score_virginica"], [("species", ["species"], ["score_setosa", "score_virginica"])]),
    (["y_true_a", "y_true_b", "y_pred_a", "y_pred_b"], [("y", ["y_true_a", "y_true_b"], ["y_pred_a", "y_pred_b"])]),
    (["y_true_b", "y_true_a", "y_pred_a", "y_pred_b"], [("y", ["y_true_b", "y_true_a"], ["y_pred_b", "y_pred_a"])]),
])
def test_pairs_by_name(columns, expected):
    pairing = find_pairs(columns)
    assert [(p.name, p.true, p.pred) for p in pairing.pairs] == expected
    assert pairing.unpaired == []


def test_a_label_with_hard_predictions_and_probabilities_pairs_the_probabilities():
    pairing = find_pairs(["label", "prediction", "probability"])
    assert [(p.true, p.pred) for p in pairing.pairs] == [(["label"], ["probability"])]
    assert pairing.unpaired == ["prediction"]


def test_nothing_pairs_and_leftovers_are_reported():
    assert find_pairs(["a", "b"]).pairs == []
    # of y_pred and y_score for one label, the scores say more than (maybe hard) predictions
    pairing = find_pairs(["y_true", "y_pred", "y_score"])
    assert [p.pred for p in pairing.pairs] == [["y_score"]] and pairing.unpaired == ["y_pred"]
    pairing = find_pairs(["label", "prediction", "predicted_label"])
    assert [p.pred for p in pairing.pairs] == [["prediction"]] and pairing.unpaired == ["predicted_label"]


def test_class_names_strip_the_common_prefix():
    assert class_names(["p_0", "p_1", "p_10"]) == ["0", "1", "10"]
    assert class_names(["prob_cat", "prob_dog"]) == ["cat", "dog"]
    assert class_names(["setosa", "versicolor"]) == ["setosa", "versicolor"]


def evaluate(write, columns, *args):
    result = run("eval", write("p.csv", csv_text(columns)), *args)
    assert result.code == 0, result.stderr
    return result.json["results"][0]


def test_integer_labels_match_suffixes(write):
    # labels 1..3 name the columns p_1..p_3; the true-class probabilities are 0.7, 0.6, 0.5
    res = evaluate(write, {"y": [1, 2, 3], "p_1": [0.7, 0.2, 0.3], "p_2": [0.2, 0.6, 0.2], "p_3": [0.1, 0.2, 0.5]})
    assert res["task"] == "sparse" and res["classes"] == ["1", "2", "3"]
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.7) + math.log(.6) + math.log(.5)) / 3)


def test_integer_labels_fall_back_to_positions(write):
    res = evaluate(write, {"y": [0, 1, 2], "prob_cat": [0.7, 0.2, 0.3], "prob_dog": [0.2, 0.6, 0.2], "prob_eel": [0.1, 0.2, 0.5]})
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.7) + math.log(.6) + math.log(.5)) / 3)


def test_sparse_logits_use_log_softmax(write):
    z = np.array([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]])
    res = evaluate(write, {"y": [0, 1], "logit_0": list(z[:, 0]), "logit_1": list(z[:, 1]), "logit_2": list(z[:, 2])})
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert res["predictions"] == "logits"
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(metrics.log_loss([0, 1], p, labels=[0, 1, 2]), rel=1e-12)


def test_probabilities_not_summing_to_one_are_used_with_a_warning(write):
    path = write("p.csv", "y,p_0,p_1\n0,0.5,0.2\n1,0.1,0.6\n")
    result = run("eval", path)
    assert result.code == 0 and "do not sum to 1" in result.stderr
    # used as they are: -(ln 0.5 + ln 0.6)/2
    assert result.losses()["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.5) + math.log(.6)) / 2)


def test_binary_with_minus_one_plus_one_labels_and_scores(write):
    y, z = [-1, 1, 1, -1], [-0.5, 2.0, 0.3, 0.8]
    res = evaluate(write, {"label": y, "score": z})
    assert (res["task"], res["predictions"], res["positive"]) == ("binary", "logits", "1")
    assert res["losses"]["hinge"] == pytest.approx(metrics.hinge_loss(y, z), rel=1e-12)


def test_boolean_and_string_labels_and_positive_override(write):
    res = evaluate(write, {"y_true": ["true", "false", "true"], "y_pred": [0.8, 0.4, 0.3]})
    assert res["task"] == "binary" and res["losses"]["binary_crossentropy"] == pytest.approx(
        metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]), rel=1e-12)
    res = evaluate(write, {"label": ["spam", "ham", "spam"], "pred": [0.8, 0.4, 0.3]})
    assert res["positive"] == "spam"
    res = evaluate(write, {"label": ["spam", "ham", "spam"], "pred": [0.8, 0.4, 0.3]}, "--positive", "ham")
    assert res["positive"] == "ham"
    assert res["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 0], [0.8, 0.4, 0.3]), rel=1e-12)


def test_hard_class_ids_give_zero_one_only_unless_regression(write):
    columns = {"y_true": [0, 1, 2, 2], "y_pred": [0, 2, 2, 2]}
    res = evaluate(write, columns)
    assert (res["task"], res["predictions"]) == ("sparse", "class")
    assert res["losses"] == {"zero_one": 0.25}
    res = evaluate(write, columns, "--task", "regression")
    assert res["task"] == "regression" and res["losses"]["mse"] == 0.25
    res = evaluate(write, {"y_true": ["cat", "dog", "cat"], "y_pred": ["cat", "cat", "cat"]})
    assert (res["task"], res["losses"]["zero_one"]) == ("binary", pytest.approx(1 / 3))


def test_two_integer_values_other_than_0_1_are_regression_unless_probabilities(write):
    res = evaluate(write, {"y_true": [3, 7, 3], "y_pred": [3.5, 6.0, 2.5]})
    assert res["task"] == "regression"
    res = evaluate(write, {"y_true": [1, 2, 1], "y_pred": [0.2, 0.9, 0.4]})
    assert (res["task"], res["positive"]) == ("binary", "2")


def test_regression_by_default_for_real_values(write):
    res = evaluate(write, {"target": [1.5, 2.0, 3.25], "pred": [1.0, 2.5, 3.0]})
    assert res["task"] == "regression"
    assert res["losses"]["mse"] == pytest.approx((0.25 + 0.25 + 0.0625) / 3)


def test_soft_labels_are_multiclass_and_kl_divergence_applies(write):
    columns = {"y_true_a": [0.5, 1.0], "y_true_b": [0.5, 0.0], "y_pred_a": [0.25, 0.8], "y_pred_b": [0.75, 0.2]}
    res = evaluate(write, columns)
    assert res["task"] == "multiclass"
    # row 1: 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75); row 2: ln(1/0.8)
    expected = (0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75) + math.log(1 / 0.8)) / 2
    assert res["losses"]["kl_divergence"] == pytest.approx(expected, rel=1e-12)


def test_multilabel_with_logits(write):
    columns = {"label_a": [1, 0, 1], "label_b": [1, 1, 0], "logit_a": [2.0, -1.0, 0.5], "logit_b": [1.0, -0.5, -2.0]}
    res = evaluate(write, columns)
    assert (res["task"], res["predictions"]) == ("multilabel", "logits")
    y = np.array([[1, 1], [0, 1], [1, 0]])
    z = np.array([[2.0, 1.0], [-1.0, -0.5], [0.5, -2.0]])
    p = 1 / (1 + np.exp(-z))
    assert res["losses"]["hamming"] == pytest.approx(metrics.hamming_loss(y, z > 0))
    assert res["losses"]["binary_crossentropy"] == pytest.approx(
        np.mean([metrics.log_loss(y[:, j], p[:, j]) for j in range(2)]), rel=1e-12)


def test_explicit_pairs_with_globs_and_lists(write):
    columns = {"truth_col": [0, 1], "a_0": [0.9, 0.3], "a_1": [0.1, 0.7], "other": [1.0, 2.0], "guess": [1.5, 2.5]}
    path = write("p.csv", csv_text(columns))
    result = run("eval", path, "--true", "truth_col", "--pred", "a_*", "--true", "other", "--pred", "guess")
    assert result.code == 0, result.stderr
    first, second = result.json["results"]
    assert first["task"] == "sparse" and first["pred"] == ["a_0", "a_1"] and first["classes"] == ["0", "1"]
    assert first["losses"]["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.9) + math.log(.7)) / 2)
    assert second["task"] == "regression" and second["losses"]["mae"] == 0.5
    assert run("eval", path, "--true", "truth_col", "--pred", "a_0,a_1").json["results"][0]["pred"] == ["a_0", "a_1"]
    assert run("eval", path, "--true", "truth_col", "--pred", "zz_*").code == 2


def test_predictions_flag_forces_logits(write):
    res = evaluate(write, {"y_true": [1, 0], "y_pred": [0.8, 0.4]}, "--predictions", "logits")
    p = 1 / (1 + np.exp(-np.array([0.8, 0.4])))
    assert res["predictions"] == "logits"
    assert res["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0], p), rel=1e-12)


def test_multi_output_regression_when_label_columns_are_not_classes(write):
    columns = {"y_true_a": [1.5, 2.0], "y_true_b": [3.0, 4.0], "y_pred_a": [1.0, 2.0], "y_pred_b": [3.0, 5.0]}
    res = evaluate(write, columns)
    assert res["task"] == "regression"
    assert res["losses"]["mse"] == pytest.approx(metrics.mean_squared_error([[1.5, 3], [2, 4]], [[1, 3], [2, 5]]))


def test_domain_skips_are_reported(write):
    res = evaluate(write, {"y_true": [0.0, 1.5, -2.0], "y_pred": [0.5, 1.0, 0.1]})
    assert set(res["skipped"]) == {"msle", "mape", "poisson_deviance", "gamma_deviance"}
    assert "zero label" in res["skipped"]["mape"]


def test_string_labels_match_suffixes_ignoring_case(write):
    res = evaluate(write, {"species": ["Setosa", "Virginica"], "prob_setosa": [0.9, 0.2], "prob_virginica": [0.1, 0.8]})
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.9) + math.log(.8)) / 2)


@pytest.mark.parametrize("labels, columns", [
    (["Iris-setosa", "Iris-virginica"], ["prob_Iris-setosa", "prob_Iris-virginica"]),
    (["Iris setosa", "Iris virginica"], ["prob_iris_setosa", "prob_iris_virginica"]),
])
def test_class_names_as_written_and_loosely_matched(write, labels, columns):
    res = evaluate(write, {"species": labels, columns[0]: [0.9, 0.2], columns[1]: [0.1, 0.8]})
    assert res["classes"] == [c[len("prob_"):] for c in columns]
    assert res["losses"]["sparse_categorical_crossentropy"] == pytest.approx(-(math.log(.9) + math.log(.8)) / 2)


@pytest.mark.parametrize("labels", [[0, 2, 2, 5, 0], [-3, -1, -1, 4, -3], [10, 12, 12, 15, 10]])
def test_class_ids_are_factorised_by_a_table_with_gaps_and_negatives(labels):
    """Integer labels with gaps map to their sorted distinct values, as a sort would."""
    from losscli.classes import factorize

    names, codes = factorize(np.array(labels, dtype=np.float64))
    distinct = sorted(set(labels))
    assert names == [str(v) for v in distinct]
    assert codes.tolist() == [distinct.index(v) for v in labels]
    names, codes = factorize(np.array([0.5, 2.0, 0.5]))  # not integers: the sort
    assert names == ["0.5", "2"] and codes.tolist() == [0, 1, 0]


def test_a_later_chunk_with_a_third_label_names_its_row(tmp_path, monkeypatch):
    from losscli import csv_stream

    rows = "".join(f"{i % 2},0.{i % 9 + 1}\n" for i in range(300)) + "2,0.5\n"
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n" + rows)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    result = run("eval", path)
    assert result.code == 3
    assert "row 301" in result.stderr and "label '2' is not one of the pair's two labels, 0 and 1" in result.stderr


def test_a_later_label_after_one_value_says_the_labels_were_decided_not_seen(tmp_path, monkeypatch):
    """Only 0 in the first rows: 0/1 coding is assumed, and a later 2 is not said to be other than
    'the two labels seen' (only one was)."""
    from losscli import csv_stream

    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n" + "".join(f"0,0.{i % 9 + 1}\n" for i in range(300)) + "2,0.5\n")
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    result = run("eval", path)
    assert result.code == 3 and "row 301" in result.stderr
    assert "label '2' is not one of the pair's two labels, 0 and 1 (decided on the first rows)" in result.stderr
    assert "seen" not in result.stderr
