"""Layouts people really save (issue: never silently wrong): several models, class columns named by
the labels, class names that normalise alike, reserved names with their own predictions."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from sklearn import metrics

from .conftest import csv_text, run

Y = [1, 0, 1, 1, 0, 0]
P_LR = [0.9, 0.2, 0.7, 0.6, 0.3, 0.1]
P_RF = [0.6, 0.45, 0.55, 0.8, 0.4, 0.35]


def results(write, columns, *args):
    result = run("eval", write("p.csv", csv_text(columns) if isinstance(columns, dict) else columns), "--format",
                 "json", *args)
    assert result.code == 0, result.stderr
    return [r for r in result.json["results"] if r["group"] is None]


@pytest.mark.parametrize("names", [("pred_lr", "pred_rf"), ("y_pred_lr", "y_pred_rf"), ("lr_pred", "rf_pred")])
def test_several_models_beside_one_label_each_get_their_own_numbers(write, names):
    found = results(write, {"y_true": Y, names[0]: P_LR, names[1]: P_RF})
    assert [(r["pair"], r["model"], r["pred"], r["task"]) for r in found] == [
        ("y/lr", "lr", [names[0]], "binary"), ("y/rf", "rf", [names[1]], "binary")]
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(Y, P_LR), rel=1e-12)
    assert found[1]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss(Y, P_RF), rel=1e-12)


def test_a_named_targets_suffixed_predictions_are_refused_naming_the_flags(write):
    """sales_true with sales_pred_lr, sales_pred_rf: not paired by name (models, classes, quantiles,
    spreads and residuals of a named target could not be told apart safely: two reviews found wrong
    numbers); the refusal says how to pair them."""
    result = run("eval", write("p.csv", csv_text({"sales_true": [10, 20, 30], "sales_pred_lr": [11, 18, 33],
                                                  "sales_pred_rf": [9, 25, 29]})))
    assert result.code == 2 and "--true COL --pred COL" in result.stderr
    flags = run("eval", write("p.csv", csv_text({"sales_true": [10, 20, 30], "sales_pred_lr": [11, 18, 33],
                                                 "sales_pred_rf": [9, 25, 29]})),
                "--true", "sales_true", "--pred", "sales_pred_lr", "--true", "sales_true", "--pred", "sales_pred_rf",
                "--format", "json")
    assert flags.code == 0
    assert [r["losses"]["mse"] for r in flags.json["results"]] == pytest.approx(
        [metrics.mean_squared_error([10, 20, 30], [11, 18, 33]), metrics.mean_squared_error([10, 20, 30], [9, 25, 29])])


def test_a_label_with_two_competing_predictions_says_so(write):
    """churn_true with churn_pred and churn_prob: neither is taken (as before), and the message says
    why and which flags settle it; it said "no label/prediction pair found … Name them NAME_true/NAME_pred"."""
    columns = {"churn_true": [1, 0, 1], "churn_pred": [1, 0, 0], "churn_prob": [0.8, 0.3, 0.4]}
    result = run("eval", write("p.csv", csv_text(columns)))
    assert result.code == 2
    assert ("'churn_true' has 2 predictions named after it; say which: --true churn_true --pred churn_pred "
            "or --pred churn_prob") in result.stderr
    beside = run("eval", write("q.csv", csv_text({**columns, "y_true": [1, 0, 1], "y_pred": [0.7, 0.2, 0.9]})),
                 "--format", "json")
    assert beside.code == 0 and [r["pair"] for r in beside.json["results"]] == ["y"]
    assert "'churn_true' has 2 predictions named after it" in beside.stderr
    chosen = run("eval", write("p.csv", csv_text(columns)), "--true", "churn_true", "--pred", "churn_prob",
                 "--format", "json")
    assert chosen.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.3, 0.4]))


@pytest.mark.parametrize("columns", [
    {"y_true": [10, 20, 30], "y_pred_lo_80": [8, 15, 27], "y_pred_hi_80": [14, 24, 36]},  # bounds, no prediction
    {"y_true": [10, 20, 30], "y_pred_lr": [11, 18, 33], "y_pred_lr_error": [1, -2, 3]},  # a residual
    {"y_true": [10, 20, 30], "pred_lr": [11, 18, 33], "pred_lr_lower": [9, 15, 30]},
])
def test_bounds_spreads_and_residuals_are_not_models(write, columns):
    """Each column was scored as a model's predictions (mse of an interval bound or of a residual
    against the label), exit 0; now refused, naming the flags."""
    result = run("eval", write("p.csv", csv_text(columns)))
    assert result.code == 2 and "not a model's predictions, by the name" in result.stderr, result.stderr
    assert "--true y_true --pred COL" in result.stderr


@pytest.mark.parametrize("names", [("pred_std_scaler_lr", "pred_minmax_lr"), ("y_pred_hi_res", "y_pred_lo_res"),
                                   ("pred_sd_net", "pred_rf"), ("pred_ub_cnn", "pred_err_model")])
def test_models_whose_names_hold_those_words_elsewhere_are_models(write, names):
    """Only a suffix's last word (before a level) tells a bound, spread or residual (found by review:
    std_scaler_lr, hi_res were refused)."""
    found = results(write, {"y_true": [10, 20, 30], names[0]: [11, 19, 33], names[1]: [9, 21, 28]})
    assert [r["pred"] for r in found] == [[names[0]], [names[1]]]
    assert found[0]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error([10, 20, 30], [11, 19, 33]))
    assert found[1]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error([10, 20, 30], [9, 21, 28]))


def test_the_same_label_given_twice_with_two_models_keeps_each_models_losses(write):
    path = write("p.csv", csv_text({"y_true": Y, "pred_lr": P_LR, "pred_rf": P_RF}))
    result = run("eval", path, "--true", "y_true", "--pred", "pred_lr", "--true", "y_true", "--pred", "pred_rf",
                 "--format", "json")
    assert result.code == 0, result.stderr
    first, second = result.json["results"]
    assert (first["model"], second["model"]) == ("pred_lr", "pred_rf")
    assert first["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(Y, P_LR), rel=1e-12)
    assert second["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(Y, P_RF), rel=1e-12)


def test_regression_models_beside_one_target(write):
    y, a, b = [3.5, 1.25, 7.0], [3.0, 1.0, 8.0], [4.5, 2.25, 6.0]
    found = results(write, {"target": y, "pred_ridge": a, "pred_tree": b})
    assert [(r["model"], r["task"]) for r in found] == [("ridge", "regression"), ("tree", "regression")]
    assert found[0]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(y, a), rel=1e-12)
    assert found[1]["losses"]["mae"] == pytest.approx(metrics.mean_absolute_error(y, b), rel=1e-12)


def test_class_probabilities_summing_to_one_stay_classes_by_position(write):
    found = results(write, {"y": [0, 1, 1], "prob_cat": [0.7, 0.2, 0.4], "prob_dog": [0.3, 0.8, 0.6]})
    assert len(found) == 1 and found[0]["task"] == "sparse" and found[0]["model"] is None
    # true-class probabilities 0.7, 0.8, 0.6
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        -(math.log(.7) + math.log(.8) + math.log(.6)) / 3, rel=1e-12)


P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.5, 0.25, 0.25]])


@pytest.mark.parametrize("label, values, columns", [
    ("species", ["setosa", "versicolor", "virginica", "setosa"], ["setosa", "versicolor", "virginica"]),
    ("digit", [0, 1, 2, 0], ["0", "1", "2"]),
    ("target", [0, 1, 2, 0], ["0", "1", "2"]),
])
def test_prediction_columns_named_by_the_labels_values(write, label, values, columns):
    frame = {label: values} | {c: list(P3[:, j]) for j, c in enumerate(columns)}
    found = results(write, frame)
    y = [columns.index(str(v)) for v in values]
    assert (found[0]["task"], found[0]["pred"], found[0]["classes"]) == ("sparse", columns, columns)
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss(y, P3, labels=[0, 1, 2]), rel=1e-12)


def test_predict_proba_frame_saved_with_its_pandas_index(write):
    text = ",0,1,2,target\n" + "".join(f"{i * 7},{P3[i, 0]},{P3[i, 1]},{P3[i, 2]},{[0, 1, 2, 0][i]}\n" for i in range(4))
    found = results(write, text)
    assert len(found) == 1 and found[0]["pred"] == ["0", "1", "2"] and found[0]["true"] == ["target"]
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([0, 1, 2, 0], P3, labels=[0, 1, 2]), rel=1e-12)


@pytest.mark.parametrize("classes", [["C", "C++", "Java"], ["A", "A+", "B"], ["café", "cafè", "tea"]])
def test_class_names_that_normalise_alike_stay_apart(write, classes):
    labels = [classes[i] for i in (0, 1, 2, 0)]
    frame = {"lang": labels} | {f"p_{c}": list(P3[:, j]) for j, c in enumerate(classes)}
    found = results(write, frame)
    assert found[0]["classes"] == classes and len(found[0]["pred"]) == 3
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([0, 1, 2, 0], P3, labels=[0, 1, 2]), rel=1e-12)


def test_a_target_called_weight_with_its_own_prediction_is_a_target(write):
    found = results(write, {"Weight": [191.0, 189.0, 193.0], "Weight_pred": [180.0, 190.0, 200.0],
                            "Waist": [36.0, 37.0, 38.0], "Waist_pred": [35.0, 37.5, 38.0]})
    assert [(r["pair"], r["task"]) for r in found] == [("Weight", "regression"), ("Waist", "regression")]
    assert found[0]["losses"]["mse"] == pytest.approx((11 ** 2 + 1 + 7 ** 2) / 3, rel=1e-12)


def test_true_false_labels_keep_their_names_and_positive_true(write):
    text = "y_true,y_pred\nTrue,0.8\nFalse,0.4\nTrue,0.3\n"
    found = results(write, text)
    assert (found[0]["positive"], found[0]["classes"]) == ("True", ["False", "True"])
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))
    flipped = results(write, text, "--positive", "False")
    assert flipped[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 0], [0.8, 0.4, 0.3]))


def test_percentages_are_refused_naming_predictions(write):
    result = run("eval", write("p.csv", "y_true,y_pred\n1,80\n0,40\n1,30\n"))
    assert result.code == 3 and "percentages" in result.stderr and "--predictions logits" in result.stderr
    scores = run("eval", write("p.csv", "y_true,y_pred\n1,80\n0,40\n1,30\n"), "--predictions", "logits",
                 "--format", "json")
    z = np.array([80.0, 40.0, 30.0])
    assert scores.json["results"][0]["losses"]["hinge"] == pytest.approx(metrics.hinge_loss([1, -1, 1], z))


def test_decimal_commas_are_sniffed_with_semicolons_and_can_be_set(write):
    path = write("excel.csv", "\ufeffy_true;y_pred\r\n1;0,8\r\n0;0,4\r\n1;0,3\r\n")
    with open(path, encoding="utf-8") as file:
        text = file.read()
    found = results(write, text)
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))
    result = run("eval", path, "--decimal", ".")
    assert result.code == 3 and "'0,8' is not a number" in result.stderr
    assert run("eval", path, "--decimal", ";").code == 2


def test_a_dot_where_decimal_commas_are_read_is_refused_never_a_decimal_point(write, tmp_path):
    # Sales in whole units written with a "." thousands separator beside forecasts with decimal
    # commas, as a German Excel saves them: "2.581" was read as 2.581 (mse 3.3e6 where it is 3.0e4).
    refused = run("eval", write("de.csv", "y_true;y_pred\n2.581;2955,66\n850;801,5\n1.204;1190,25\n"),
                  "--decimal", ",")
    assert refused.code == 3 and "row 1: '2.581' is not a number where decimal commas are read" in refused.stderr
    # sniffed: the first rows hold decimal commas alone, the thousands come later (the file sorted by
    # its label), where they were read as 2.581 with exit 0
    lines = [f"{v};{v},5" for v in range(100, 1000)] * 8 + ["1.204;1204,5"]
    sorted_file = tmp_path / "sorted.csv"
    sorted_file.write_text("y_true;y_pred\n" + "\n".join(lines) + "\n")
    refused = run("eval", str(sorted_file))
    assert refused.code == 3 and f"row {len(lines)}: '1.204' is not a number" in refused.stderr
    # a text column (a stray cell) of a file of decimal commas reads its numbers with them
    # (it named '1,25' in row 1, advising --decimal , which was given)
    mixed = run("eval", write("mixed.csv", "y_true;y_pred\n1,5;1,25\n2,5;x\n3,5;2,75\n"), "--decimal", ",")
    assert mixed.code == 3 and "row 2: 'x' is not a number" in mixed.stderr


@pytest.mark.parametrize("content, words", [
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest", "Excel .xlsx"),
    (b'[{"y_true": 1, "y_pred": 0.8}]', "JSON lines"),
    (b"y_true,y_pred\n1,\x000.8\n", "binary data"),
])
def test_files_that_are_not_csv_are_refused_never_parsed_as_csv(write, content, words):
    result = run("eval", write("preds.csv", content))
    assert result.code == 3 and words in result.stderr and "CSV/TSV, JSON lines, parquet, Arrow IPC" in result.stderr


def test_json_lines_and_arrow_files_are_read_by_content_whatever_their_name(tmp_path):
    import pyarrow as pa
    from pyarrow import feather

    y, p = [1, 0, 1], [0.8, 0.4, 0.3]
    (tmp_path / "a.csv").write_text("".join(f'{{"y_true": {a}, "y_pred": {b}}}\n' for a, b in zip(y, p)))
    table = pa.table({"y_true": y, "y_pred": p})
    feather.write_feather(table, tmp_path / "b.data")
    with pa.OSFile(str(tmp_path / "c.arrows"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    for name in ("a.csv", "b.data", "c.arrows"):
        result = run("eval", tmp_path / name, "--format", "json")
        assert result.code == 0, result.stderr
        assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss(y, p), rel=1e-12)


def test_a_placeholder_cell_is_an_empty_cell_and_a_stray_character_a_bad_number(write):
    result = run("eval", write("p.csv", "y_true,y_pred\n1,0.8\n?,?\n0,0.3\n"))
    assert result.code == 3 and "row(s) have empty or NaN cells" in result.stderr and "--dropna" in result.stderr
    dropped = results(write, "y_true,y_pred\n1,0.8\n?,?\n0,0.3\n", "--dropna")
    assert dropped[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0], [0.8, 0.3]))


def test_the_positive_class_is_shown_in_the_table_and_markdown_headers(write):
    path = write("p.csv", "diagnosis,p_benign\nbenign,0.9\nmalignant,0.2\nbenign,0.7\n")
    table = run("eval", path, "--format", "table")
    assert "binary · probability · positive=benign · n=3" in table.stdout
    assert "**`diagnosis`** · binary · probability · positive=`benign` · n=3" in run("eval", path, "--format", "markdown").stdout
    report = run("eval", path, "--format", "json").json["results"][0]
    # benign is positive because the column names it, although 'malignant' sorts last
    assert report["positive"] == "benign"
    assert report["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.9, 0.2, 0.7]))


def test_keys_named_apart_join_with_on_pred_col_equals_labels_col(write):
    preds = write("preds.csv", "customer,churn_prob\nC2,0.3\nC1,0.8\nC3,0.6\n")
    truth = write("truth.csv", "customer_id,churned\nC1,1\nC3,1\nC2,0\n")
    refused = run("eval", preds, "--labels", truth)
    assert refused.code == 3 and "--on" in refused.stderr and "'customer_id'" in refused.stderr
    joined = run("eval", preds, "--labels", truth, "--on", "customer=customer_id", "--format", "json")
    assert joined.code == 0, joined.stderr
    # joined by id: C1 -> (1, 0.8), C2 -> (0, 0.3), C3 -> (1, 0.6)
    assert joined.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 1], [0.3, 0.8, 0.6]))
    assert joined.json["input"]["on"] == "customer"


def test_ids_that_differ_only_in_case_join_and_an_index_in_order_is_no_key(write):
    preds = write("preds.csv", "Id,y_pred\n2,0.3\n1,0.8\n3,0.6\n")
    truth = write("truth.csv", "id,y_true\n1,1\n3,1\n2,0\n")
    result = run("eval", preds, "--labels", truth, "--format", "json")
    assert result.code == 0, result.stderr
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 1], [0.3, 0.8, 0.6]))
    # a pandas index saved in order (0, 1, 2) in one file only: row by row, said on standard error
    in_order = run("eval", write("p.csv", ",y_pred\n0,0.3\n1,0.8\n2,0.6\n"), "--labels",
                   write("t.csv", "y_true\n0\n1\n1\n"), "--format", "json")
    assert in_order.code == 0 and "row by row" in in_order.stderr
    shuffled = run("eval", write("p.csv", ",y_pred\n2,0.3\n0,0.8\n1,0.6\n"), "--labels", write("t.csv", "y_true\n0\n1\n1\n"))
    assert shuffled.code == 3 and "--on" in shuffled.stderr


def test_probabilities_a_rounding_error_outside_0_1_are_probabilities(write):
    y, p = [0, 1, 1, 0], [-2.2e-16, 0.8, 1.0000000000000002, 0.3]
    found = results(write, {"y_true": y, "y_pred": p})
    assert found[0]["predictions"] == "probability"
    assert found[0]["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(y, np.clip(p, 0, 1)), rel=1e-12)


@pytest.mark.parametrize("cells, advice", [
    (['"351,000.00","349,500.00"', '"12,000.00","13,000.50"'], "written for display"),
    (["$3510.00,$3495.00", "$120.00,$130.50"], "written for display"),
    (['"351,25","349,5"', '"12,75","13,5"'], "--decimal ,"),
])
def test_numbers_written_for_display_are_refused_never_class_names(write, cells, advice):
    result = run("eval", write("p.csv", "y_true,y_pred\n" + "\n".join(cells) + "\n"))
    assert result.code == 3 and "is not a number" in result.stderr and advice in result.stderr


def test_text_that_is_not_utf8_is_refused_naming_utf8(write):
    assert "UTF-16" in run("eval", write("u16.csv", "y_true,y_pred\n1,0.8\n".encode("utf-16"))).stderr
    latin = run("eval", write("cp.csv", "y_true,p_café\ncafé,0.8\n".encode("cp1252")))
    assert latin.code == 3 and "UTF-8" in latin.stderr


def test_a_first_chunk_of_one_class_takes_the_positive_class_to_come(tmp_path, monkeypatch):
    """A file sorted by its label: the first chunk's labels are all No. The file is read again for
    the first row of its other labels, and planned as the whole file is (positive Yes, the larger);
    from standard input, which cannot be read twice, it is refused naming --positive."""
    from losscli import csv_stream

    y = ["No"] * 300 + ["Yes"] * 100
    p = [0.1 + (i % 7) / 10 for i in range(400)]
    path = tmp_path / "sorted.csv"
    text = "y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(y, p))
    path.write_text(text)
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    y01 = [int(v == "Yes") for v in y]
    scanned = run("eval", path, "--explain")
    assert scanned.code == 0, scanned.stderr
    assert scanned.json["results"][0]["positive"] == "Yes"
    assert scanned.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss(y01, p), rel=1e-12)
    assert "leave the task in doubt ('y_true' has 1 label value(s) there, and 1 more later)" in scanned.stderr
    refused = run("eval", "-", input=text)
    assert refused.code == 3 and "--positive" in refused.stderr
    result = run("eval", "-", "--positive", "Yes", "--format", "json", input=text)
    assert result.code == 0, result.stderr
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss(y01, p), rel=1e-12)


@pytest.mark.parametrize("labels, columns", [
    (["0.0", "1.0", "2.0", "0.0"], ["0.0", "1.0", "2.0"]),  # classes_ of a float target
    (["01", "02", "03", "01"], ["p_01", "p_02", "p_03"]),  # zero-padded codes, read as numbers
])
def test_class_names_that_are_the_same_numbers_match(write, labels, columns):
    text = "target," + ",".join(columns) + "\n" + "".join(
        f"{labels[i]}," + ",".join(str(v) for v in P3[i]) + "\n" for i in range(4))
    found = results(write, text)
    assert found[0]["task"] == "sparse" and len(found[0]["pred"]) == 3
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([0, 1, 2, 0], P3, labels=[0, 1, 2]), rel=1e-12)


def test_excels_sep_line_names_the_delimiter(write):
    found = results(write, "sep=;\r\ny_true;y_pred\r\n1;0,8\r\n0;0,4\r\n1;0,3\r\n")
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))


def test_excel_for_macs_csv_with_carriage_returns_alone_is_read(write, tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends lines with a carriage return alone (before: "has a header
    but no data rows", exit 3). A quoted value's line break, a CR too, stays in its value; the file
    is read whole or in pieces alike."""
    rows = [(i % 2, round(0.1 + 0.8 * ((i * 37) % 100) / 100, 2)) for i in range(9000)]  # (past the 64 KiB sample)
    text = "y_true,y_pred,note\r" + "".join(f'{y},{p},"a\rb"\r' for y, p in rows)
    found = results(write, text)
    assert found[0]["n"] == 9000
    expected = metrics.log_loss([y for y, _ in rows], [p for _, p in rows])
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)
    gz = tmp_path / "mac.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    result = run("eval", gz, "--format", "json")
    assert result.code == 0 and result.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)


def test_carriage_returns_alone_with_line_feeds_inside_quoted_cells(write):
    """Excel writes a line break within a cell as a line feed, the lines' ends as carriage returns
    (found by review: the file was refused); a CRLF file is read as ever."""
    text = 'y_true,note,y_pred\r1,"a\nb",0.8\r0,"c",0.4\r1,"d\ne",0.3\r'
    found = results(write, text)
    assert found[0]["n"] == 3
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))
    crlf = results(write, 'y_true,note,y_pred\r\n1,"a\r\nb",0.8\r\n0,"c",0.4\r\n1,"d",0.3\r\n')
    assert crlf[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))


@pytest.mark.parametrize("line_end", ["\n", "\r"])
def test_features_saved_beside_the_predictions_are_named_in_short(write, line_end):
    """pd.concat([X_test, y_test, y_pred]).to_csv(): 3000 feature columns before the label and the
    prediction. The header (96 KB) is longer than the first 64 KiB read, which with carriage returns
    alone was refused ("has a header but no data rows"); the warning named all 3000 columns (95 KB)."""
    features = [f"feature_{i:04d}" for i in range(3000)]
    rows = [(1, 0.8), (0, 0.3), (1, 0.6)]
    text = line_end.join([",".join(features + ["y_true", "y_pred"])]
                         + [",".join(["0.5"] * 3000 + [str(y), str(p)]) for y, p in rows]) + line_end
    result = run("eval", write("p.csv", text), "--format", "json")
    assert result.code == 0, result.stderr[:500]
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.3, 0.6]))
    [warning] = [line for line in result.stderr.splitlines() if "columns not paired" in line]
    assert "feature_0000, feature_0001, feature_0002, feature_0003, feature_0004, feature_0005, … (2988 more), " \
           "feature_2994, feature_2995, feature_2996, feature_2997, feature_2998, feature_2999 (pair them" in warning
    assert len(warning) < 400


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"])
def test_a_first_row_that_ends_where_the_first_read_does_keeps_its_types(write, line_end):
    """A CRLF file whose first two lines end at byte 65536 (the first 64 KiB read ends between "\r"
    and "\n"), and an LF file whose first row's quoted note holds carriage returns: the sample
    must still reach the second line feed, or every column is read as text (found by review: the
    class probabilities were scored as three regressions, exit 0)."""
    head = b"label,p_0,p_1,p_2,note" + line_end
    row = b"0,0.7,0.2,0.1,"
    if line_end == b"\r\n":
        row += b"x" * (65535 - len(head) - len(row)) + line_end
    else:
        row += b'"' + b"a\r" * 40_000 + b'"' + line_end
    rest = line_end.join([b"1,0.2,0.5,0.3,t", b"2,0.1,0.3,0.6,t", b"0,0.5,0.3,0.2,t"]) + line_end
    result = run("eval", write("p.csv", head + row + rest), "--format", "json")
    assert result.code == 0, result.stderr
    [found] = result.json["results"]
    assert found["task"] == "sparse"
    probabilities = [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.5, 0.3, 0.2]]
    assert found["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([0, 1, 2, 0], probabilities), rel=1e-12)


def test_no_pair_among_many_columns_names_the_first_and_last(write):
    """The refusal lists the columns to pair with --true/--pred: of 302, the first and last six
    (pandas adds the label and predictions last), not 2 KB of names; 20 or fewer, all of them."""
    names = [f"f{i}" for i in range(300)] + ["churned", "churn_risk"]
    path = write("p.csv", ",".join(names) + "\n" + ",".join(["1"] * 302) + "\n")
    result = run("eval", path)
    assert result.code == 2
    assert "f0, f1, f2, f3, f4, f5, … (290 more), f296, f297, f298, f299, churned, churn_risk." \
        in result.stderr
    assert len(result.stderr) < 500, result.stderr
    wrong = run("eval", path, "--true", "churn", "--pred", "churn_risk")
    assert wrong.code == 2 and "(did you mean 'churned'?)" in wrong.stderr and "(290 more)" in wrong.stderr
    twenty = [f"f{i}" for i in range(18)] + ["churned", "churn_risk"]
    few = run("eval", write("q.csv", ",".join(twenty) + "\n" + ",".join(["1"] * 20) + "\n"))
    assert few.code == 2 and ", ".join(twenty) + "." in few.stderr


def test_a_copy_of_the_label_in_the_predictions_file_is_not_a_prediction(write):
    preds = write("preds.csv", "id,y_true,y_pred\n2,0,0.3\n1,1,0.8\n3,1,0.6\n")
    truth = write("truth.csv", "id,y_true\n1,1\n3,1\n2,0\n")
    result = run("eval", preds, "--labels", truth, "--format", "json")
    assert result.code == 0, result.stderr
    assert [(r["true"], r["pred"]) for r in result.json["results"]] == [(["y_true"], ["y_pred"])]
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 1], [0.3, 0.8, 0.6]))


def test_an_h2o_export_scores_the_class_probabilities_not_the_hard_column(write):
    found = results(write, "y,predict,p0,p1\n1,1,0.2,0.8\n0,0,0.6,0.4\n1,0,0.7,0.3\n")
    assert [(r["pred"], r["task"]) for r in found] == [(["p0", "p1"], "sparse")]
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]), rel=1e-12)


def test_columns_named_by_classes_when_the_first_rows_hold_one_class(tmp_path, monkeypatch):
    from losscli import csv_stream

    species = ["setosa"] * 200 + ["versicolor"] * 100 + ["virginica"] * 100
    rows = [(s, *P3[i % 4]) for i, s in enumerate(species)]
    path = tmp_path / "sorted.csv"
    path.write_text("species,setosa,versicolor,virginica\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    result = run("eval", path, "--format", "json")
    assert result.code == 0, result.stderr
    y = [["setosa", "versicolor", "virginica"].index(s) for s in species]
    assert result.losses()["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss(y, [r[1:] for r in rows], labels=[0, 1, 2]), rel=1e-12)


def test_a_repeated_id_listed_alike_in_both_files_joins_row_by_row(write):
    preds = write("preds.csv", "user_id,y_pred\n1,0.8\n1,0.4\n2,0.3\n")
    result = run("eval", preds, "--labels", write("truth.csv", "user_id,y_true\n1,1\n1,0\n2,1\n"), "--format", "json")
    assert result.code == 0 and "row by row" in result.stderr
    assert [r["pair"] for r in result.json["results"]] == ["y"]  # user_id never pairs
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0, 1], [0.8, 0.4, 0.3]))
    shuffled = run("eval", preds, "--labels", write("truth.csv", "user_id,y_true\n2,1\n1,0\n1,1\n"))
    assert shuffled.code == 3 and "appears more than once" in shuffled.stderr


def test_true_false_labels_across_chunks_and_a_named_class_to_come(tmp_path, monkeypatch):
    from losscli import csv_stream

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    y = [True, False] * 150
    p = [0.8 if v else 0.3 for v in y]
    (tmp_path / "b.csv").write_text("y_true,y_prob\n" + "".join(f"{a},{b}\n" for a, b in zip(y, p)))
    result = run("eval", tmp_path / "b.csv", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss(y, p), rel=1e-12)
    # sorted: the first rows are all 0, and prob_0 names class 0 as the positive one
    labels = [0] * 200 + [1] * 200
    q = [0.9] * 200 + [0.2] * 200
    (tmp_path / "s.csv").write_text("label,prob_0\n" + "".join(f"{a},{b}\n" for a, b in zip(labels, q)))
    result = run("eval", tmp_path / "s.csv", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["positive"] == "0"
    assert result.losses()["binary_crossentropy"] == pytest.approx(
        metrics.log_loss([1 - v for v in labels], q), rel=1e-12)


def test_a_class_like_3_plus_in_many_rows_stays_a_class(write):
    text = "Dependents,p_0,p_1,p_2,p_3+\n" + "".join(f"{c},0.1,0.2,0.3,0.4\n" for c in ["0", "1", "2", "3+"] * 3)
    found = results(write, text)
    assert found[0]["classes"] == ["0", "1", "2", "3+"]
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        -(np.log(0.1) + np.log(0.2) + np.log(0.3) + np.log(0.4)) / 4, rel=1e-12)


def test_two_logit_columns_of_a_binary_label_are_classes_by_position(write):
    z = np.array([[0.5, 2.0], [1.0, -1.0], [-0.5, 0.25]])
    found = results(write, {"y_true": [1, 0, 1], "logit_neg": list(z[:, 0]), "logit_pos": list(z[:, 1])})
    assert len(found) == 1 and found[0]["task"] == "sparse" and found[0]["predictions"] == "logits"
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert found[0]["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss([1, 0, 1], p), rel=1e-12)


def test_compare_takes_on_pred_col_equals_labels_col(write):
    base = write("base.csv", "cid,y_pred\n2,0.3\n1,0.8\n")
    new = write("new.csv", "cid,y_pred\n1,0.7\n2,0.2\n")
    truth = write("truth.csv", "CUST,y_true\n1,1\n2,0\n")
    result = run("compare", base, new, "--labels", truth, "--on", "cid=CUST", "--format", "json")
    assert result.code == 0, result.stderr


def test_the_python_api_takes_decimal(tmp_path):
    import losscli

    path = tmp_path / "excel.csv"
    path.write_text("y_true;y_pred\n1;0,8\n0;0,4\n")
    with pytest.raises(losscli.errors.DataError, match="decimal=,"):
        losscli.evaluate(str(path), decimal=".")
    report = losscli.evaluate(str(path), decimal=",")
    assert report["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0], [0.8, 0.4]))


def test_a_third_hard_class_after_the_first_rows_is_refused_naming_task_sparse(tmp_path, monkeypatch):
    from losscli import csv_stream

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    y = [i % 2 for i in range(300)] + [2, 2]
    p = [(i // 3) % 2 for i in range(300)] + [2, 1]
    (tmp_path / "h.csv").write_text("y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(y, p)))
    refused = run("eval", tmp_path / "h.csv")
    assert refused.code == 3 and "row 301" in refused.stderr and "--task sparse" in refused.stderr
    result = run("eval", tmp_path / "h.csv", "--task", "sparse", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["task"] == "sparse"
    assert result.losses() == {"zero_one": pytest.approx(1 - metrics.accuracy_score(y, p), rel=1e-12)}


def test_python_api_joins_dataframes_on_their_index(write):
    import pandas as pd

    import losscli

    p = pd.DataFrame({"y_pred": [0.3, 0.8, 0.6]}, index=[12, 5, 40])  # a test split keeps its index
    y = pd.DataFrame({"y_true": [1, 1, 0]}, index=[5, 40, 12])
    report = losscli.evaluate(p, y)
    # by index: 12 -> (0, 0.3), 5 -> (1, 0.8), 40 -> (1, 0.6)
    assert report["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(
        metrics.log_loss([0, 1, 1], [0.3, 0.8, 0.6]), rel=1e-12)
    # one side with 0…n−1: by position, as before
    by_position = losscli.evaluate(pd.DataFrame({"y_pred": [0.3, 0.8, 0.6]}), y)
    assert by_position["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(
        metrics.log_loss([1, 1, 0], [0.3, 0.8, 0.6]), rel=1e-12)


@pytest.mark.parametrize("suffix", ["parquet", "jsonl", "feather"])
def test_the_first_rows_decide_in_every_format(tmp_path, monkeypatch, suffix):
    import pandas as pd

    from losscli import csv_stream

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_ROWS", 100)
    p = [0.2, 0.7] * 100 + [2.5, -1.0] * 50  # probabilities, then logits from row 201
    frame = pd.DataFrame({"y_true": [0, 1] * 150, "y_pred": p})
    path = tmp_path / f"mixed.{suffix}"
    {"parquet": frame.to_parquet, "feather": frame.to_feather,
     "jsonl": lambda f: frame.to_json(f, orient="records", lines=True)}[suffix](path)
    result = run("eval", path)
    assert result.code == 3 and "row 201" in result.stderr and "--predictions logits" in result.stderr


def test_positive_that_contradicts_the_column_name_is_refused_and_compare_says_why(write):
    """A p_benign column scored as the probability of malignant gave log loss 7.6 with exit 0 (the true
    0.097 by scikit-learn on the same numbers); now --positive naming the other class is refused, and
    compare of a p_benign file with a p_malignant one names the two columns instead of blaming the labels."""
    from sklearn.metrics import log_loss

    benign = write("benign.csv", "diagnosis,p_benign\nmalignant,0.1\nbenign,0.8\nbenign,0.7\nmalignant,0.3\n")
    malignant = write("malignant.csv", "diagnosis,p_malignant\nmalignant,0.9\nbenign,0.2\nbenign,0.3\nmalignant,0.7\n")
    refused = run("eval", benign, "--positive", "malignant", "--format", "json")
    assert refused.code == 2 and "--positive benign" in refused.stderr and "'p_benign'" in refused.stderr
    agreed = run("eval", benign, "--positive", "benign", "--format", "json")
    expected = log_loss([0, 1, 1, 0], [0.1, 0.8, 0.7, 0.3])
    assert agreed.code == 0 and agreed.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)
    compared = run("compare", benign, malignant, "--bootstrap", "20")
    assert compared.code == 3 and "'p_benign'" in compared.stderr and "'p_malignant'" in compared.stderr
    assert "disagree on the labels" not in compared.stderr


@pytest.mark.parametrize("text", ["y_true,y_pred", "y_true,y_pred\n", "\ufeffy_true;y_pred"])
def test_a_header_alone_is_refused_as_such_with_or_without_its_line_end(write, text):
    """Without its line end it was "not a readable CSV (Empty CSV file or block…)"."""
    result = run("eval", write("p.csv", text))
    assert result.code == 3 and "has a header but no data rows" in result.stderr, result.stderr


def test_a_file_of_a_byte_order_mark_alone_is_empty(write):
    result = run("eval", write("p.csv", b"\xef\xbb\xbf"))
    assert result.code == 3 and "the file is empty" in result.stderr, result.stderr


def test_a_header_that_begins_with_a_bracket_is_a_csv_and_json_arrays_are_still_refused(write):
    """A first column named [id] (or [true_id]) was refused as a JSON array."""
    for header in ("[id]", "[true_id]", "[ 1st ]"):
        found = results(write, f"{header},y_true,y_pred\n1,1,0.8\n2,0,0.3\n")
        assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(metrics.log_loss([1, 0], [0.8, 0.3]))
    for array in ('[{"y_true": 1, "y_pred": 0.8}]', '[\n  {"y_true": 1}\n]', "[0.8, -2e3]", "[true, false]", "[]",
                  '["a"]'):
        refused = run("eval", write("a.json", array))
        assert refused.code == 3 and "a JSON array" in refused.stderr, (array, refused.stderr)


def _saved_with_index(tmp_path, rows, label_id, pred_id):
    """A labels file and a submission saved by pandas' ``to_csv`` with its index (0, 1, 2 … in each),
    the submission's rows in another order, each file naming its ids its own way."""
    import pandas as pd

    rng = np.random.default_rng(0)
    ids = np.arange(5000, 5000 + rows)
    y = rng.integers(0, 2, rows)
    p = np.clip(0.3 * y + 0.7 * rng.random(rows), 1e-3, 1 - 1e-3)
    order = rng.permutation(rows)
    truth, preds = tmp_path / "truth.csv", tmp_path / "sub.csv"
    pd.DataFrame({label_id: ids, "label": y}).to_csv(truth)
    pd.DataFrame({pred_id: ids[order], "target": p[order]}).to_csv(preds)
    return str(preds), str(truth), metrics.log_loss(y, p)


@pytest.mark.parametrize("rows", [1000, 40_000])  # (the second streams its join, chunk by chunk)
@pytest.mark.parametrize("label_id, pred_id", [("id", "customer_id"), ("row_id", "id"), ("ID_code", "key")])
def test_a_saved_index_in_both_files_never_joins_ids_named_apart(tmp_path, rows, label_id, pred_id):
    # Both files carry pandas' index, 0 … n−1; joining on it matched rows by position (log loss 0.89
    # where it is 0.50, exit 0). Each file names its ids: refused, naming --on, and --on joins them.
    preds, truth, expected = _saved_with_index(tmp_path, rows, label_id, pred_id)
    refused = run("eval", preds, "--labels", truth)
    assert refused.code == 3 and "saved index" in refused.stderr and "--on PRED_COL=LABELS_COL" in refused.stderr
    assert f"'{label_id}'" in refused.stderr and f"'{pred_id}'" in refused.stderr
    joined = run("eval", preds, "--labels", truth, "--on", f"{pred_id}={label_id}", "--format", "json")
    assert joined.code == 0, joined.stderr
    assert joined.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rows", [1000, 40_000])
def test_a_saved_index_in_both_files_gives_way_to_the_ids_they_share(tmp_path, rows):
    # (refused before as two keys that order the rows differently; the index joins nothing)
    preds, truth, expected = _saved_with_index(tmp_path, rows, "id", "id")
    joined = run("eval", preds, "--labels", truth, "--format", "json")
    assert joined.code == 0, joined.stderr
    assert joined.json["input"]["on"] == "id"
    assert joined.losses()["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)


def test_an_id_in_both_files_beside_the_key_is_never_a_pair(write):
    # each file's saved index, copied in both, read as '_true' and '_pred': no pair was found
    preds = write("p.csv", ",cid,y_pred\n0,C2,0.3\n1,C1,0.8\n2,C3,0.6\n")
    truth = write("t.csv", ",customer,y_true\n0,C1,1\n1,C3,1\n2,C2,0\n")
    joined = run("eval", preds, "--labels", truth, "--on", "cid=customer", "--format", "json")
    assert joined.code == 0, joined.stderr
    assert [r["pair"] for r in joined.json["results"]] == ["y"]
    assert joined.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss([0, 1, 1], [0.3, 0.8, 0.6]))


def test_a_saved_index_never_hides_ids_in_order_or_a_label_named_as_an_id(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(4)
    n = 60_000  # (streamed: the first chunk's customer_id counts its rows 1, 2, 3 …, the rest do not)
    customer = np.arange(1, n + 1)
    customer[40_000:] += 5
    y = rng.normal(size=n)
    order = rng.permutation(n)
    pd.DataFrame({"customer_id": customer, "y_pred": y + 0.1}).to_csv(tmp_path / "p.csv")
    pd.DataFrame({"id": customer[order], "y_true": y[order]}).to_csv(tmp_path / "t.csv")
    refused = run("eval", tmp_path / "p.csv", "--labels", tmp_path / "t.csv")
    assert refused.code == 3 and "saved index" in refused.stderr  # (streamed, it joined row by row: mse 2.0)
    # prices in both files (unique integers) are the label and its prediction, not ids
    prices = rng.permutation(1000)[:200] * 100
    guess = prices + rng.integers(-50, 50, 200)
    pd.DataFrame({"price": prices}).to_csv(tmp_path / "pl.csv")
    pd.DataFrame({"price": guess}).to_csv(tmp_path / "pp.csv")
    joined = run("eval", tmp_path / "pp.csv", "--labels", tmp_path / "pl.csv", "--format", "json")
    assert joined.code == 0 and joined.losses()["mse"] == pytest.approx(metrics.mean_squared_error(prices, guess))
    # a label named as an id in both files (category_id) is the label and a prediction, as before
    labels, probabilities = rng.integers(0, 3, 60), rng.dirichlet([1, 1, 1], 60)
    ids = np.arange(1000, 1060)
    pd.DataFrame({"id": ids, "category_id": labels}).to_csv(tmp_path / "cl.csv", index=False)
    pd.DataFrame({"id": ids, "category_id": probabilities.argmax(1), "p_0": probabilities[:, 0],
                  "p_1": probabilities[:, 1], "p_2": probabilities[:, 2]}).to_csv(tmp_path / "cp.csv", index=False)
    found = run("eval", tmp_path / "cp.csv", "--labels", tmp_path / "cl.csv", "--true", "category_id_true",
                "--pred", "p_0,p_1,p_2", "--format", "json")
    assert found.code == 0, found.stderr
    assert found.losses()["sparse_categorical_crossentropy"] == pytest.approx(
        metrics.log_loss(labels, probabilities, labels=[0, 1, 2]), rel=1e-12)
