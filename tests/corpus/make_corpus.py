"""Build tests/corpus/: prediction files saved the ways people really save them, with their references.

The corpus is the acceptance test of `losscli eval FILE` with no flags (only `--labels` where the
predictions come with a separate truth file): every file must either be scored right or refused
with a message that names the flag that fixes it. Each case is one small function below; it trains
a simple scikit-learn model on a data set scikit-learn bundles (never a download), writes one file
(or a predictions file and a truth file) into `files/`, and records in `expected.json` how the file
was saved and what it must give. References come from scikit-learn / numpy / scipy on the numbers
AS SAVED (probabilities are rounded to 12 significant digits before writing, and every CSV-like file
is read back and compared with the arrays the references use), never from losscli.

Run from the repository root: `.venv/bin/python tests/corpus/make_corpus.py`. Seeded (numpy 0,
random_state=0) and deterministic: a re-run writes byte-identical files.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.special import expit, log_softmax, softmax
from sklearn import metrics
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_linnerud, load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

HERE = Path(__file__).resolve().parent
OUT = HERE / "files"
SEED = 0
EPS = np.finfo(float).eps
CASES: list[dict] = []


# --------------------------------------------------------------------------- helpers

def r12(a) -> np.ndarray:
    """Round to 12 significant digits: what is written is exactly what the reference uses."""
    a = np.asarray(a, dtype=float)
    return np.array([float(f"{v:.12g}") for v in a.ravel()]).reshape(a.shape)


def no_ties_binary(p, threshold=0.5):
    assert np.all(np.abs(np.asarray(p) - threshold) > 1e-9), "a prediction sits on the threshold"


def no_ties_argmax(P):
    s = np.sort(np.asarray(P), axis=1)
    assert np.all(s[:, -1] - s[:, -2] > 1e-9), "a row has two top classes"


def split(x, y, n_test):
    return train_test_split(x, y, test_size=n_test, random_state=SEED)


def logreg():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))


def path(name: str) -> Path:
    return OUT / name


def write_csv(frame: pd.DataFrame, name: str, *, index=False, sep=",", **kw) -> Path:
    p = path(name)
    frame.to_csv(p, index=index, sep=sep, float_format="%.12g", lineterminator="\n", **kw)
    return p


def check_roundtrip(read: pd.DataFrame, frame: pd.DataFrame, columns=None):
    """The file, read back by pandas, holds exactly the values the references use."""
    for c in columns or frame.columns:
        a, b = read[c].to_numpy(), frame[c].to_numpy()
        if np.issubdtype(np.asarray(b).dtype, np.number) and not np.issubdtype(np.asarray(b).dtype, np.bool_):
            assert np.array_equal(a.astype(float), b.astype(float)), f"column {c!r} changed on the way to disk"
        else:
            assert [str(v) for v in a] == [str(v) for v in b], f"column {c!r} changed on the way to disk"


def add(file, layout, kind, *, labels=None, results=None, refused=None, stderr_contains=None, same_name=False):
    case = {"file": f"files/{file}", "labels": f"files/{labels}" if labels else None, "layout": layout, "kind": kind}
    if refused is not None:
        exit_codes, flag = refused
        case.update(expect="refused", exit=exit_codes, flag=flag)
    else:
        case.update(expect="scored", results=results)
    if stderr_contains:
        case["stderr_contains"] = stderr_contains
    if same_name:
        case["same_name"] = True
    CASES.append(case)


def result(true, pred, task, losses, positive=None):
    r = {"true": list(true), "pred": list(pred), "task": task}
    if positive is not None:
        r["positive"] = str(positive)
    r["losses"] = {k: float(v) for k, v in losses.items()}
    return r


# --------------------------------------------------------------------------- references

def ref_binary(y01, p):
    y01, p = np.asarray(y01, dtype=int), np.asarray(p, dtype=float)
    no_ties_binary(p)
    return {"binary_crossentropy": metrics.log_loss(y01, p, labels=[0, 1]),
            "brier": metrics.brier_score_loss(y01, p, pos_label=1),
            "zero_one": 1 - metrics.accuracy_score(y01, (p > 0.5).astype(int))}


def ref_binary_scores(y01, z):
    y01, z = np.asarray(y01, dtype=int), np.asarray(z, dtype=float)
    no_ties_binary(z, 0.0)
    # stable -log sigmoid; scikit-learn's log_loss(y, expit(z)) agrees to ~1e-7 (cancellation in 1 - p)
    bce = float(np.mean(np.where(y01 == 1, np.logaddexp(0, -z), np.logaddexp(0, z))))
    assert abs(bce - metrics.log_loss(y01, expit(z), labels=[0, 1])) < 1e-6 * bce
    return {"binary_crossentropy": bce,
            "hinge": metrics.hinge_loss(2 * y01 - 1, z),
            "zero_one": 1 - metrics.accuracy_score(y01, (z > 0).astype(int))}


def ref_sparse(y, P, classes, *, top_k=None):
    """`classes` in the order of the prediction columns."""
    P = np.asarray(P, dtype=float)
    index = {c: i for i, c in enumerate(classes)}
    yi = np.array([index[v] for v in y])
    K = len(classes)
    no_ties_argmax(P)
    onehot = np.eye(K)[yi]
    brier = float(np.mean(np.sum((P - onehot) ** 2, axis=1)))
    assert abs(brier - metrics.brier_score_loss(yi, P, labels=list(range(K)))) < 1e-12
    out = {"sparse_categorical_crossentropy": metrics.log_loss(yi, P, labels=list(range(K))),
           "brier": brier,
           "zero_one": 1 - metrics.accuracy_score(yi, P.argmax(axis=1))}
    if top_k:
        out["top_k_error"] = 1 - metrics.top_k_accuracy_score(yi, P, k=top_k, labels=list(range(K)))
    return out


def ref_sparse_logits(y, Z, classes):
    Z = np.asarray(Z, dtype=float)
    yi = np.array([list(classes).index(v) for v in y])
    no_ties_argmax(Z)
    sce = float(-np.mean(log_softmax(Z, axis=1)[np.arange(len(yi)), yi]))
    assert abs(sce - metrics.log_loss(yi, softmax(Z, axis=1), labels=list(range(len(classes))))) < 1e-9 * sce
    return {"sparse_categorical_crossentropy": sce, "zero_one": 1 - metrics.accuracy_score(yi, Z.argmax(axis=1))}


def ref_onehot(Y, P):
    Y, P = np.asarray(Y, dtype=float), np.asarray(P, dtype=float)
    yi = Y.argmax(axis=1)
    no_ties_argmax(P)
    return {"categorical_crossentropy": metrics.log_loss(yi, P, labels=list(range(P.shape[1]))),
            "brier": float(np.mean(np.sum((P - Y) ** 2, axis=1))),
            "zero_one": 1 - metrics.accuracy_score(yi, P.argmax(axis=1))}


def ref_multilabel(Y, P):
    Y, P = np.asarray(Y, dtype=float), np.asarray(P, dtype=float)
    no_ties_binary(P.ravel())
    Pc = np.clip(P, EPS, 1 - EPS)
    return {"binary_crossentropy": float(np.mean(-(Y * np.log(Pc) + (1 - Y) * np.log(1 - Pc)))),
            "brier": float(np.mean((P - Y) ** 2)),
            "hamming": metrics.hamming_loss(Y.astype(int), (P > 0.5).astype(int))}


def ref_regression(y, yhat):
    y, yhat = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    return {"mse": metrics.mean_squared_error(y, yhat), "rmse": metrics.root_mean_squared_error(y, yhat),
            "mae": metrics.mean_absolute_error(y, yhat)}


def ref_hard(y, yhat):
    return {"zero_one": 1 - metrics.accuracy_score(np.asarray(y), np.asarray(yhat))}


# --------------------------------------------------------------------------- data and models

def breast_cancer():
    """Test split of 150 rows; y: 0 = malignant, 1 = benign (scikit-learn's coding)."""
    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    lr = logreg().fit(xtr, ytr)
    rf = RandomForestClassifier(n_estimators=7, random_state=SEED).fit(xtr, ytr)  # k/7: never 0.5
    gb = GradientBoostingClassifier(n_estimators=20, random_state=SEED).fit(xtr, ytr)
    return dict(xte=xte, y=yte, p1=r12(lr.predict_proba(xte)[:, 1]), p0=r12(lr.predict_proba(xte)[:, 0]),
                z=r12(lr.decision_function(xte)), rf=r12(rf.predict_proba(xte)[:, 1]),
                gb=r12(gb.predict_proba(xte)[:, 1]))


BC = None


def bc():
    global BC
    if BC is None:
        BC = breast_cancer()
    return BC


def iris(n_test=60):
    data = load_iris()
    xtr, xte, ytr, yte = split(data.data, data.target, n_test)
    model = logreg().fit(xtr, ytr)
    return yte, r12(model.predict_proba(xte)), model.predict(xte), data.target_names


def tidy_binary_frame():
    d = bc()
    return pd.DataFrame({"y_true": d["y"], "y_pred": d["p1"]})


# --------------------------------------------------------------------------- binary cases

def binary_tidy():
    f = tidy_binary_frame()
    check_roundtrip(pd.read_csv(write_csv(f, "binary_tidy.csv")), f)
    add("binary_tidy.csv", "tidy y_true,y_pred probabilities", "tidy",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")])


def binary_pandas_index():
    f = tidy_binary_frame()
    f.index = np.random.default_rng(SEED).permutation(np.arange(len(f)) * 3 + 7)
    f = f.sample(frac=1, random_state=SEED)
    check_roundtrip(pd.read_csv(write_csv(f, "binary_pandas_index.csv", index=True), index_col=0), f)
    add("binary_pandas_index.csv", "pandas to_csv() with its index (header ',y_true,y_pred'), rows shuffled",
        "pandas-index", results=[result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")])


def binary_named_classes(file, layout, label_col, names, pred_col, positive):
    """names = (name of class 0 = malignant, name of class 1 = benign); pred_col is P(positive)."""
    d = bc()
    labels = np.array(names, dtype=object)[d["y"]]
    pos_is_1 = positive == names[1]
    p = d["p1"] if pos_is_1 else d["p0"]
    f = pd.DataFrame({label_col: labels, pred_col: p})
    check_roundtrip(pd.read_csv(write_csv(f, file), keep_default_na=False), f)
    y01 = (labels == positive).astype(int)
    add(file, layout, "class-named-probability",
        results=[result([label_col], [pred_col], "binary", ref_binary(y01, p), positive)])


def binary_string_cases():
    binary_named_classes("diagnosis_p_malignant.csv", "diagnosis benign/malignant + p_malignant", "diagnosis",
                         ("malignant", "benign"), "p_malignant", "malignant")
    binary_named_classes("diagnosis_p_benign.csv", "diagnosis + p_benign (positive sorts first)", "diagnosis",
                         ("malignant", "benign"), "p_benign", "benign")
    binary_named_classes("status_churn_prob.csv", "status churn/stay + churn_prob", "status",
                         ("churn", "stay"), "churn_prob", "churn")
    binary_named_classes("answer_prob_no.csv", "answer no/yes + prob_no", "answer", ("no", "yes"), "prob_no", "no")
    binary_named_classes("label_prob_yes.csv", "label no/yes + prob_yes", "label", ("no", "yes"), "prob_yes", "yes")
    binary_named_classes("outcome_bad_proba.csv", "outcome bad/good + bad_proba (<class>_proba)", "outcome",
                         ("bad", "good"), "bad_proba", "bad")
    binary_named_classes("outcome_proba_good.csv", "outcome bad/good + proba_good (proba_<class>)", "outcome",
                         ("bad", "good"), "proba_good", "good")


def binary_string_labels_y_pred():
    """A model fitted on the names: predict_proba[:, 1] is the later name in sort order (malignant)."""
    d = bc()
    names = np.array(["malignant", "benign"], dtype=object)[d["y"]]
    f = pd.DataFrame({"y_true": names, "y_pred": d["p0"]})
    check_roundtrip(pd.read_csv(write_csv(f, "diagnosis_y_pred.csv")), f)
    add("diagnosis_y_pred.csv", "y_true benign/malignant strings + y_pred = predict_proba[:, 1] (sort order)",
        "string-labels-sort-order",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(names == "malignant", d["p0"]), "malignant")])


def binary_bool_labels():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"] == 1, "y_pred": d["p1"]})
    text = write_csv(f, "binary_bool_labels.csv").read_text()
    assert "True" in text and "False" in text
    check_roundtrip(pd.read_csv(path("binary_bool_labels.csv")), f)
    add("binary_bool_labels.csv", "labels written by pandas as True/False", "boolean-labels",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "True")])


def binary_float_labels():
    """np.savetxt of a float matrix: labels come out as 1.000000000000000000e+00."""
    d = bc()
    p = path("binary_savetxt.csv")
    buf = io.BytesIO()
    np.savetxt(buf, np.column_stack([d["y"].astype(float), d["p1"]]), delimiter=",", header="y_true,y_pred",
               comments="")
    p.write_bytes(buf.getvalue())
    back = pd.read_csv(p)
    assert np.array_equal(back.y_pred.to_numpy(), d["p1"]) and np.array_equal(back.y_true.to_numpy(), d["y"])
    add("binary_savetxt.csv", "numpy savetxt '%.18e' (labels as 0.000000000000000000e+00)", "numpy-savetxt",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]))])


def binary_decision_scores():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"], "y_score": d["z"]})
    check_roundtrip(pd.read_csv(write_csv(f, "binary_decision_scores.csv")), f)
    add("binary_decision_scores.csv", "y_true + y_score = decision_function (logits)", "decision-scores",
        results=[result(["y_true"], ["y_score"], "binary", ref_binary_scores(d["y"], d["z"]), "1")])


def binary_inverted():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"], "y_pred": d["p0"]})
    check_roundtrip(pd.read_csv(write_csv(f, "binary_inverted.csv")), f)
    add("binary_inverted.csv", "y_pred is predict_proba[:, 0] (P(class 0)) by mistake", "inverted",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p0"]), "1")],
        stderr_contains=["--positive"])


def binary_percent():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"], "y_pred": r12(100 * d["p1"])})
    write_csv(f, "binary_percent.csv")
    add("binary_percent.csv", "probabilities in percent (0-100)", "percent", refused=([2, 3], "--predictions"))


def binary_excel():
    """Excel 'CSV UTF-8' in a decimal-comma locale: BOM, ';', '0,8123', CRLF."""
    d = bc()
    p = np.array([float(f"{v:.10f}") for v in d["p1"]])
    lines = ["y_true;y_pred"] + [f"{y};{v:.10f}".replace(".", ",") for y, v in zip(d["y"], p)]
    path("binary_excel.csv").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    back = pd.read_csv(path("binary_excel.csv"), sep=";", decimal=",", encoding="utf-8-sig")
    assert np.array_equal(back.y_pred.to_numpy(), p) and list(back.columns) == ["y_true", "y_pred"]
    add("binary_excel.csv", "Excel export: BOM, ';' delimiter, decimal commas, CRLF", "excel-decimal-comma",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], p), "1")])


def binary_placeholder():
    f = tidy_binary_frame().astype(object)
    f.loc[17, ["y_true", "y_pred"]] = "?"
    write_csv(f, "binary_placeholder.csv")
    assert "\n?,?\n" in path("binary_placeholder.csv").read_text()
    add("binary_placeholder.csv", "one placeholder row '?,?' among numbers", "placeholder",
        refused=([3], "--dropna"))


def binary_tsv_gz_bz2():
    f = tidy_binary_frame()
    check_roundtrip(pd.read_csv(write_csv(f, "binary_tidy.tsv", sep="\t"), sep="\t"), f)
    text = f.to_csv(index=False, float_format="%.12g", lineterminator="\n").encode()
    path("binary_tidy.csv.gz").write_bytes(gzip.compress(text, mtime=0))
    path("binary_tidy.csv.bz2").write_bytes(bz2.compress(text))
    check_roundtrip(pd.read_csv(path("binary_tidy.csv.gz")), f)
    check_roundtrip(pd.read_csv(path("binary_tidy.csv.bz2")), f)
    ref = [result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")]
    add("binary_tidy.tsv", "tab-separated .tsv", "tsv", results=ref)
    add("binary_tidy.csv.gz", "gzip-compressed csv", "compressed", results=ref)
    add("binary_tidy.csv.bz2", "bzip2-compressed csv", "compressed", results=ref)


def binary_pipe():
    f = tidy_binary_frame()
    check_roundtrip(pd.read_csv(write_csv(f, "binary_pipe.txt", sep="|"), sep="|"), f)
    add("binary_pipe.txt", "'|'-delimited, .txt extension", "pipe-delimited",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")])


def binary_quote_all():
    f = tidy_binary_frame()
    write_csv(f, "binary_quote_all.csv", quoting=csv.QUOTE_ALL)
    assert path("binary_quote_all.csv").read_text().startswith('"y_true","y_pred"\n"')
    check_roundtrip(pd.read_csv(path("binary_quote_all.csv")), f)
    add("binary_quote_all.csv", "every cell quoted (csv.QUOTE_ALL), numbers too", "quote-all",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")])


def binary_r_write_csv():
    """R's write.csv: quoted header, quoted row names in an unnamed first column, 15 digits."""
    d = bc()
    lines = ['"","y_true","y_pred"'] + [f'"{i}",{y},{p:.12g}' for i, (y, p) in enumerate(zip(d["y"], d["p1"]), 1)]
    path("r_write_csv.csv").write_text("\n".join(lines) + "\n")
    back = pd.read_csv(path("r_write_csv.csv"), index_col=0)
    assert np.array_equal(back.y_pred.to_numpy(), d["p1"])
    add("r_write_csv.csv", "R write.csv: quoted header, row names \"1\",\"2\"… in an unnamed column", "r-write-csv",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])


def binary_with_features():
    """Features (names with spaces, some empty cells) and an id next to the pair: nothing else pairs."""
    d = bc()
    names = load_breast_cancer().feature_names
    f = pd.DataFrame({"sample_id": np.arange(5001, 5001 + len(d["y"]))})
    for j in (0, 1, 20):
        col = r12(d["xte"][:, j])
        col[np.arange(len(col)) % 11 == 3] = np.nan
        f[names[j]] = col
    f["y_true"], f["y_pred"] = d["y"], d["p1"]
    check_roundtrip(pd.read_csv(write_csv(f, "binary_with_features.csv")), f, ["y_true", "y_pred"])
    add("binary_with_features.csv", "id + feature columns (spaces in names, empty cells) + y_true,y_pred",
        "extra-columns", results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])


# --------------------------------------------------------------------------- --labels cases

def labels_kaggle_same_name():
    d = bc()
    rng = np.random.default_rng(SEED)
    ids = np.arange(892, 892 + len(d["y"]))
    sub = pd.DataFrame({"PassengerId": ids, "Survived": d["p1"]}).iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"PassengerId": ids, "Survived": d["y"]}).iloc[rng.permutation(len(ids))]
    check_roundtrip(pd.read_csv(write_csv(sub, "titanic_submission.csv")), sub.reset_index(drop=True))
    write_csv(truth, "titanic_truth.csv")
    add("titanic_submission.csv", "Kaggle submission PassengerId,Survived + truth with the same columns",
        "labels-same-name", labels="titanic_truth.csv", same_name=True,
        results=[result(["Survived"], ["Survived"], "binary", ref_binary(d["y"], d["p1"]), "1")])


def labels_customer_id():
    d = bc()
    rng = np.random.default_rng(SEED + 1)
    ids = np.array([f"CUST-{i:05d}" for i in rng.choice(90000, len(d["y"]), replace=False) + 10000])
    churned = 1 - d["y"]          # malignant plays "churned"
    p = d["p0"]
    preds = pd.DataFrame({"customer_id": ids, "churn_prob": p}).iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"customer_id": ids, "churned": churned}).iloc[rng.permutation(len(ids))]
    write_csv(preds, "churn_preds.csv")
    write_csv(truth, "churn_truth.csv")
    add("churn_preds.csv", "--labels joined on customer_id (string ids), churn_prob vs churned 0/1", "labels-join-id",
        labels="churn_truth.csv",
        results=[result(["churned"], ["churn_prob"], "binary", ref_binary(churned, p), "1")])


def labels_pandas_index():
    d = bc()
    rng = np.random.default_rng(SEED + 2)
    index = rng.choice(10000, len(d["y"]), replace=False)
    preds = pd.DataFrame({"y_pred": d["p1"]}, index=index).iloc[rng.permutation(len(index))]
    truth = pd.DataFrame({"y_true": d["y"]}, index=index).iloc[rng.permutation(len(index))]
    write_csv(preds, "index_preds.csv", index=True)
    write_csv(truth, "index_truth.csv", index=True)
    assert path("index_preds.csv").read_text().startswith(",y_pred\n")
    add("index_preds.csv", "--labels, both files pandas to_csv() with the index as the only shared column",
        "labels-join-index", labels="index_truth.csv",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])


def labels_extra_truth_columns():
    d = bc()
    rng = np.random.default_rng(SEED + 3)
    ids = np.arange(len(d["y"]))
    notes = np.array(['follow-up, 6 months', 'biopsy done, "benign" suspected', 'none', 'second opinion, asked'])
    truth = pd.DataFrame({"id": ids, "y_true": d["y"], "note": notes[ids % 4],
                          "Usage": np.where(rng.random(len(ids)) < 0.3, "Public", "Private")})
    preds = pd.DataFrame({"id": ids, "y_pred": d["p1"]}).iloc[rng.permutation(len(ids))]
    write_csv(truth, "solution_truth.csv")
    write_csv(preds, "solution_preds.csv")
    assert '"follow-up, 6 months"' in path("solution_truth.csv").read_text()
    add("solution_preds.csv", "--labels truth with extra note (quoted commas) and Usage Public/Private columns",
        "labels-extra-columns", labels="solution_truth.csv",
        stderr_contains=["solution_truth.csv: columns not paired, and not evaluated: note, Usage"],
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])


def labels_row_by_row():
    d = bc()
    write_csv(pd.DataFrame({"y_pred": d["p1"]}), "rowwise_preds.csv")
    write_csv(pd.DataFrame({"y_true": d["y"]}), "rowwise_truth.csv")
    add("rowwise_preds.csv", "--labels with no shared column, equal row counts, same order", "labels-row-by-row",
        labels="rowwise_truth.csv", stderr_contains=["row by row"],
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])


def labels_two_keys():
    """`id` is the real key; `row` numbers each file's own order, so the two candidate keys disagree."""
    d = bc()
    rng = np.random.default_rng(SEED + 4)
    ids = np.arange(100, 100 + len(d["y"]))
    preds = pd.DataFrame({"id": ids, "y_pred": d["p1"]}).iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"id": ids, "y_true": d["y"]}).iloc[rng.permutation(len(ids))]
    preds.insert(1, "row", np.arange(1, len(ids) + 1))
    truth.insert(1, "row", np.arange(1, len(ids) + 1))
    write_csv(preds, "twokeys_preds.csv")
    write_csv(truth, "twokeys_truth.csv")
    add("twokeys_preds.csv", "--labels sharing two unique id-like columns (id, row) that disagree", "labels-ambiguous-key",
        labels="twokeys_truth.csv", refused=([2, 3], "--on"))


def labels_proba_frame():
    yte, P, _, names = iris()
    rng = np.random.default_rng(SEED + 5)
    ids = np.arange(1, len(yte) + 1)
    preds = pd.DataFrame(P, columns=names).assign(id=ids)[["id", *names]].iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"id": ids, "species": names[yte]}).iloc[rng.permutation(len(ids))]
    write_csv(preds, "iris_proba_frame_preds.csv")
    write_csv(truth, "iris_proba_frame_truth.csv")
    add("iris_proba_frame_preds.csv", "--labels: predictions id + one column per class name, truth id,species",
        "labels-class-columns", labels="iris_proba_frame_truth.csv",
        results=[result(["species"], list(names), "sparse", ref_sparse(names[yte], P, list(names)))])


def labels_kaggle_sample_submission():
    """Otto-style: submission id,Class_1..Class_3 (wine), solution id,target with class names."""
    data = load_wine()
    xtr, xte, ytr, yte = split(data.data, data.target, 60)
    P = r12(logreg().fit(xtr, ytr).predict_proba(xte))
    classes = [f"Class_{k + 1}" for k in range(3)]
    ids = np.arange(1, len(yte) + 1)
    sub = pd.DataFrame(P, columns=classes)
    sub.insert(0, "id", ids)
    truth = pd.DataFrame({"id": ids, "target": np.array(classes)[yte]}).sample(frac=1, random_state=SEED)
    write_csv(sub, "otto_submission.csv")
    write_csv(truth, "otto_solution.csv")
    add("otto_submission.csv", "Kaggle sample_submission id,Class_1..Class_3 + solution id,target names",
        "labels-class-columns", labels="otto_solution.csv",
        results=[result(["target"], classes, "sparse", ref_sparse(np.array(classes)[yte], P, classes))])


def labels_house_prices():
    """Kaggle House Prices: Id,SalePrice in both files; integer truth, float predictions."""
    x, y = load_diabetes(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    truth_price = (yte * 1000 + 30000).astype(int)
    pred = r12(Ridge(alpha=0.1).fit(xtr, ytr * 1000 + 30000).predict(xte))
    ids = np.arange(1461, 1461 + len(yte))
    write_csv(pd.DataFrame({"Id": ids, "SalePrice": pred}), "house_submission.csv")
    write_csv(pd.DataFrame({"Id": ids, "SalePrice": truth_price}).sample(frac=1, random_state=SEED),
              "house_truth.csv")
    add("house_submission.csv", "Kaggle House Prices Id,SalePrice in both files (regression)", "labels-same-name",
        labels="house_truth.csv", same_name=True,
        results=[result(["SalePrice"], ["SalePrice"], "regression", ref_regression(truth_price, pred))])


# --------------------------------------------------------------------------- several models

def two_models():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"], "pred_lr": d["p1"], "pred_rf": d["rf"]})
    check_roundtrip(pd.read_csv(write_csv(f, "two_models.csv")), f)
    add("two_models.csv", "y_true + pred_lr, pred_rf (two models)", "several-models",
        results=[result(["y_true"], ["pred_lr"], "binary", ref_binary(d["y"], d["p1"]), "1"),
                 result(["y_true"], ["pred_rf"], "binary", ref_binary(d["y"], d["rf"]), "1")])


def three_models():
    d = bc()
    f = pd.DataFrame({"y_true": d["y"], "y_pred_lr": d["p1"], "y_pred_rf": d["rf"], "y_pred_gb": d["gb"]})
    check_roundtrip(pd.read_csv(write_csv(f, "three_models.csv")), f)
    add("three_models.csv", "y_true + y_pred_lr, y_pred_rf, y_pred_gb (three models)", "several-models",
        results=[result(["y_true"], [c], "binary", ref_binary(d["y"], f[c]), "1")
                 for c in ("y_pred_lr", "y_pred_rf", "y_pred_gb")])


def regression_two_models():
    x, y = load_diabetes(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    f = pd.DataFrame({"target": yte, "pred_ridge": r12(Ridge(alpha=0.1).fit(xtr, ytr).predict(xte)),
                      "pred_tree": r12(DecisionTreeRegressor(max_depth=4, random_state=SEED).fit(xtr, ytr).predict(xte))})
    check_roundtrip(pd.read_csv(write_csv(f, "regression_two_models.csv")), f)
    add("regression_two_models.csv", "regression target + pred_ridge, pred_tree", "several-models",
        results=[result(["target"], [c], "regression", ref_regression(yte, f[c])) for c in ("pred_ridge", "pred_tree")])


# --------------------------------------------------------------------------- multiclass

def iris_species_columns():
    data = load_iris()
    names = data.target_names[data.target]
    xtr, xte, ytr, yte = split(data.data, names, 60)
    clf = logreg().fit(xtr, ytr)
    f = pd.DataFrame(r12(clf.predict_proba(xte)), columns=clf.classes_)
    f["species"] = yte
    check_roundtrip(pd.read_csv(write_csv(f, "iris_species_columns.csv")), f)
    classes = list(clf.classes_)
    add("iris_species_columns.csv", "predict_proba DataFrame columns=clf.classes_ (names) + species",
        "class-named-columns",
        results=[result(["species"], classes, "sparse", ref_sparse(yte, f[classes].to_numpy(), classes))])


def digits_class_columns():
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    clf = logreg().fit(xtr, ytr)
    f = pd.DataFrame(r12(clf.predict_proba(xte)), columns=clf.classes_)
    f["digit"] = yte
    check_roundtrip(pd.read_csv(write_csv(f, "digits_class_columns.csv")), f.set_axis(f.columns.astype(str), axis=1))
    cols = [str(c) for c in clf.classes_]
    add("digits_class_columns.csv", "predict_proba DataFrame columns 0..9 (int classes_) + digit", "class-named-columns",
        results=[result(["digit"], cols, "sparse", ref_sparse(yte, f[list(clf.classes_)].to_numpy(),
                                                               list(clf.classes_), top_k=5))])


def wine_pandas_index():
    data = load_wine(as_frame=True)
    xtr, xte, ytr, yte = split(data.data, data.target, 60)
    clf = logreg().fit(xtr, ytr)
    f = pd.DataFrame(r12(clf.predict_proba(xte)), columns=clf.classes_, index=xte.index)
    f["target"] = yte
    write_csv(f, "wine_pandas_index.csv", index=True)
    assert path("wine_pandas_index.csv").read_text().startswith(",0,1,2,target\n")
    add("wine_pandas_index.csv", "pandas index + predict_proba columns 0,1,2 + target (header ',0,1,2,target')",
        "class-named-columns",
        results=[result(["target"], ["0", "1", "2"], "sparse",
                        ref_sparse(yte.to_numpy(), f[[0, 1, 2]].to_numpy(), [0, 1, 2]))])


def digits_p_k():
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    P = r12(logreg().fit(xtr, ytr).predict_proba(xte))
    f = pd.DataFrame({"y_true": yte, **{f"p_{k}": P[:, k] for k in range(10)}})
    check_roundtrip(pd.read_csv(write_csv(f, "digits_p_k.csv")), f)
    add("digits_p_k.csv", "tidy y_true + p_0..p_9", "prefixed-class-columns",
        results=[result(["y_true"], [f"p_{k}" for k in range(10)], "sparse",
                        ref_sparse(yte, P, list(range(10)), top_k=5))])


def wine_one_based():
    """UCI wine classes numbered 1..3, columns p_1..p_3: suffixes are the class ids, not positions."""
    data = load_wine()
    xtr, xte, ytr, yte = split(data.data, data.target + 1, 60)
    P = r12(logreg().fit(xtr, ytr).predict_proba(xte))
    f = pd.DataFrame({"y_true": yte, **{f"p_{k}": P[:, k - 1] for k in (1, 2, 3)}})
    write_csv(f, "wine_one_based.csv")
    add("wine_one_based.csv", "classes 1,2,3 with columns p_1,p_2,p_3", "prefixed-class-columns",
        results=[result(["y_true"], ["p_1", "p_2", "p_3"], "sparse", ref_sparse(yte, P, [1, 2, 3]))])


def prefixed_names(file, layout, label_col, classes, prefix):
    """Iris relabelled with `classes` (column order = class order 0,1,2)."""
    yte, P, _, _ = iris()
    labels = np.array(classes, dtype=object)[yte]
    f = pd.DataFrame({label_col: labels, **{f"{prefix}{c}": P[:, k] for k, c in enumerate(classes)}})
    write_csv(f, file)
    back = pd.read_csv(path(file), keep_default_na=False)
    assert list(back.columns) == list(f.columns)
    check_roundtrip(back, f)
    add(file, layout, "prefixed-class-columns",
        results=[result([label_col], [f"{prefix}{c}" for c in classes], "sparse", ref_sparse(labels, P, list(classes)))])


def prefixed_cases():
    prefixed_names("iris_prob_names.csv", "label strings + prob_setosa,prob_versicolor,prob_virginica", "label",
                   ["setosa", "versicolor", "virginica"], "prob_")
    prefixed_names("iris_names_with_spaces.csv", "class names with spaces + 'prob_Iris setosa'…", "label",
                   ["Iris setosa", "Iris versicolor", "Iris virginica"], "prob_")
    prefixed_names("lang_c_cpp.csv", "classes C, C++, Java + p_C, p_C++, p_Java (normalise alike)", "y_true",
                   ["C", "C++", "Java"], "p_")
    prefixed_names("grades_a_aplus.csv", "classes A, A+, B + prob_A, prob_A+, prob_B", "label", ["A", "A+", "B"], "prob_")
    prefixed_names("cafe_accents.csv", "classes café, cafè, tea (UTF-8) + p_café, p_cafè, p_tea", "y_true",
                   ["café", "cafè", "tea"], "p_")


def iris_onehot():
    yte, P, _, names = iris()
    Y = np.eye(3, dtype=int)[yte]
    f = pd.DataFrame({**{f"y_true_{c}": Y[:, k] for k, c in enumerate(names)},
                      **{f"y_pred_{c}": P[:, k] for k, c in enumerate(names)}})
    check_roundtrip(pd.read_csv(write_csv(f, "iris_onehot.csv")), f)
    add("iris_onehot.csv", "one-hot y_true_<class> + y_pred_<class>", "one-hot",
        results=[result([f"y_true_{c}" for c in names], [f"y_pred_{c}" for c in names], "multiclass",
                        ref_onehot(Y, P))])


def wine_logits():
    data = load_wine()
    xtr, xte, ytr, yte = split(data.data, data.target, 60)
    Z = r12(logreg().fit(xtr, ytr).decision_function(xte))
    f = pd.DataFrame({"y_true": yte, **{f"logit_{k}": Z[:, k] for k in range(3)}})
    check_roundtrip(pd.read_csv(write_csv(f, "wine_logits.csv")), f)
    add("wine_logits.csv", "y_true + logit_0..logit_2 (multinomial decision_function)", "logits",
        results=[result(["y_true"], [f"logit_{k}" for k in range(3)], "sparse", ref_sparse_logits(yte, Z, [0, 1, 2]))])


def iris_hard():
    yte, _, hard, names = iris()
    f = pd.DataFrame({"y_true": yte, "y_pred": hard})
    write_csv(f, "iris_hard.csv")
    add("iris_hard.csv", "hard class ids 0/1/2 from clf.predict", "hard-predictions",
        results=[result(["y_true"], ["y_pred"], "sparse", ref_hard(yte, hard))])
    f = pd.DataFrame({"species": names[yte], "predicted_species": names[hard]})
    write_csv(f, "iris_hard_strings.csv")
    add("iris_hard_strings.csv", "hard string predictions species,predicted_species", "hard-predictions",
        results=[result(["species"], ["predicted_species"], "sparse", ref_hard(names[yte], names[hard]))])


# --------------------------------------------------------------------------- multilabel

def multilabel():
    x, y = load_digits(return_X_y=True)
    targets = lambda v: np.column_stack([v % 2 == 0, v >= 5, np.isin(v, [0, 6, 8, 9])]).astype(int)  # noqa: E731
    xtr, xte, ytr, yte = split(x, y, 150)
    Y = targets(yte)
    P = np.column_stack([r12(logreg().fit(xtr, t).predict_proba(xte)[:, 1]) for t in targets(ytr).T])
    assert np.any(Y.sum(axis=1) != 1)
    f = pd.DataFrame({**{f"y_true_{c}": Y[:, k] for k, c in enumerate("abc")},
                      **{f"y_pred_{c}": P[:, k] for k, c in enumerate("abc")}})
    check_roundtrip(pd.read_csv(write_csv(f, "multilabel.csv")), f)
    add("multilabel.csv", "y_true_a..c 0/1 (rows not one-hot) + y_pred_a..c", "multilabel",
        results=[result([f"y_true_{c}" for c in "abc"], [f"y_pred_{c}" for c in "abc"], "multilabel",
                        ref_multilabel(Y, P))])


# --------------------------------------------------------------------------- regression

def diabetes():
    x, y = load_diabetes(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y, 150)
    return yte, r12(Ridge(alpha=0.1).fit(xtr, ytr).predict(xte))


def regression_cases():
    y, yhat = diabetes()
    f = pd.DataFrame({"y_true": y, "y_pred": yhat})
    check_roundtrip(pd.read_csv(write_csv(f, "diabetes_tidy.csv")), f)
    add("diabetes_tidy.csv", "regression y_true,y_pred floats", "regression",
        results=[result(["y_true"], ["y_pred"], "regression", ref_regression(y, yhat))])

    yi, pi = y.astype(int), np.rint(yhat).astype(int)
    assert np.array_equal(yi, y)
    write_csv(pd.DataFrame({"y_true": yi, "y_pred": pi}), "diabetes_integers.csv")
    add("diabetes_integers.csv", "integer target 25-346 with np.rint integer predictions", "regression-integers",
        results=[result(["y_true"], ["y_pred"], "regression", ref_regression(yi, pi))])

    f = pd.DataFrame({"actual": y, "predicted": yhat})
    write_csv(f, "diabetes_actual_predicted.csv")
    add("diabetes_actual_predicted.csv", "regression actual,predicted", "regression",
        results=[result(["actual"], ["predicted"], "regression", ref_regression(y, yhat))])

    big = r12(y * 1000 + 30000), r12(yhat * 1000 + 30000)
    f = pd.DataFrame({"Id": np.arange(1, len(y) + 1), "y": big[0], "yhat": big[1]})
    f.to_csv(path("prices_scientific.csv"), index=False, float_format="%.6e", lineterminator="\n")
    back = pd.read_csv(path("prices_scientific.csv"))
    add("prices_scientific.csv", "Id,y,yhat with numbers in scientific notation ('%.6e')", "scientific-notation",
        results=[result(["y"], ["yhat"], "regression", ref_regression(back.y, back.yhat))])


def linnerud_reserved():
    data = load_linnerud()
    Y = data.target
    pred = r12(cross_val_predict(LinearRegression(), data.data, Y, cv=5))
    names = list(data.target_names)  # Weight, Waist, Pulse
    assert names == ["Weight", "Waist", "Pulse"]
    f = pd.DataFrame({**{n: Y[:, j] for j, n in enumerate(names)}, **{f"{n}_pred": pred[:, j] for j, n in enumerate(names)}})
    check_roundtrip(pd.read_csv(write_csv(f, "linnerud_reserved.csv")), f)
    add("linnerud_reserved.csv", "Weight,Waist,Pulse + <name>_pred (a target called Weight)", "reserved-names",
        results=[result([n], [f"{n}_pred"], "regression", ref_regression(Y[:, j], pred[:, j]))
                 for j, n in enumerate(names)])


def price_qty():
    data = load_diabetes(scaled=False)
    x, y = data.data, data.target
    bmi = x[:, 2]
    rest = np.delete(x, 2, axis=1)
    xtr, xte, ytr, yte, btr, bte = train_test_split(rest, y, bmi, test_size=150, random_state=SEED)
    f = pd.DataFrame({"price_true": yte, "price_pred": r12(Ridge(alpha=0.1).fit(xtr, ytr).predict(xte)),
                      "qty_true": bte, "qty_pred": r12(Ridge(alpha=0.1).fit(xtr, btr).predict(xte))})
    check_roundtrip(pd.read_csv(write_csv(f, "price_qty.csv")), f)
    add("price_qty.csv", "two targets price_true,price_pred,qty_true,qty_pred", "several-targets",
        results=[result(["price_true"], ["price_pred"], "regression", ref_regression(f.price_true, f.price_pred)),
                 result(["qty_true"], ["qty_pred"], "regression", ref_regression(f.qty_true, f.qty_pred))])


# --------------------------------------------------------------------------- other formats

def jsonl_cases():
    """pandas' default to_json keeps 10 decimals: the references use the numbers as written (json.loads)."""
    f = tidy_binary_frame()
    text = f.to_json(orient="records", lines=True)
    rows = [json.loads(line) for line in text.splitlines()]
    y, p = np.array([r["y_true"] for r in rows]), np.array([float(r["y_pred"]) for r in rows])
    assert np.max(np.abs(p - f.y_pred.to_numpy())) < 1e-9
    for name in ("binary.jsonl", "binary_jsonl_named.csv"):
        path(name).write_text(text)
    ref = [result(["y_true"], ["y_pred"], "binary", ref_binary(y, p), "1")]
    add("binary.jsonl", "JSON lines (to_json orient=records, lines=True)", "json-lines", results=ref)
    add("binary_jsonl_named.csv", "JSON lines saved with a .csv extension", "json-lines-misnamed", results=ref)
    path("binary_records.json").write_text(f.to_json(orient="records"))
    add("binary_records.json", "one JSON array of records (to_json orient=records)", "json-array",
        refused=([3], "JSON lines"))


def parquet_case():
    yte, P, _, _ = iris()
    f = pd.DataFrame({"y_true": yte, **{f"p_{k}": P[:, k] for k in range(3)}})
    f = f.sample(frac=1, random_state=SEED)
    f.to_parquet(path("iris_index.parquet"), index=True)
    back = pd.read_parquet(path("iris_index.parquet"))
    check_roundtrip(back, f)
    assert "__index_level_0__" in pq.read_schema(path("iris_index.parquet")).names
    add("iris_index.parquet", "parquet with its pandas index (__index_level_0__), rows shuffled", "parquet",
        results=[result(["y_true"], ["p_0", "p_1", "p_2"], "sparse",
                        ref_sparse(f.y_true.to_numpy(), f[["p_0", "p_1", "p_2"]].to_numpy(), [0, 1, 2]))])


def feather_case():
    f = tidy_binary_frame()
    f.to_feather(path("binary.feather"))
    check_roundtrip(pd.read_feather(path("binary.feather")), f)
    add("binary.feather", "Feather (df.to_feather)", "feather",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(f.y_true, f.y_pred), "1")])


def arrow_stream_case():
    y, yhat = diabetes()
    table = pa.table({"y_true": y, "y_pred": yhat})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    path("diabetes.arrows").write_bytes(sink.getvalue())
    add("diabetes.arrows", "Arrow IPC stream format (pyarrow.ipc.new_stream)", "arrow-stream",
        results=[result(["y_true"], ["y_pred"], "regression", ref_regression(y, yhat))])


def xlsx_case():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in [("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
                           ("xl/workbook.xml", '<?xml version="1.0"?><workbook/>'),
                           ("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet><sheetData>'
                            '<row><c t="inlineStr"><is><t>y_true</t></is></c></row></sheetData></worksheet>')]:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body)
    assert buf.getvalue().startswith(b"PK\x03\x04")
    path("preds.xlsx").write_bytes(buf.getvalue())
    add("preds.xlsx", "an .xlsx (zip) workbook", "not-a-table", refused=([3], "CSV"))


# --------------------------------------------------------------------------- found by probing (wrong numbers with exit 0, crashes)

def labels_key_renamed():
    """Each file has a unique id column, but under another name: row by row would pair shuffled rows."""
    d = bc()
    rng = np.random.default_rng(SEED + 10)
    ids = np.arange(1, len(d["y"]) + 1)
    preds = pd.DataFrame({"id": ids, "y_pred": d["p1"]}).iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"ID": ids, "y_true": d["y"]}).iloc[rng.permutation(len(ids))]
    write_csv(preds, "keycase_preds.csv")
    write_csv(truth, "keycase_truth.csv")
    add("keycase_preds.csv", "--labels: key 'id' in the predictions, 'ID' in the truth, rows in different orders",
        "labels-key-renamed", labels="keycase_truth.csv",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], d["p1"]), "1")])
    cust = np.array([f"CUST-{i:05d}" for i in rng.choice(90000, len(ids), replace=False) + 10000])
    preds = pd.DataFrame({"customer": cust, "churn_prob": d["p0"]}).iloc[rng.permutation(len(ids))]
    truth = pd.DataFrame({"customer_id": cust, "churned": 1 - d["y"]}).iloc[rng.permutation(len(ids))]
    write_csv(preds, "keyrenamed_preds.csv")
    write_csv(truth, "keyrenamed_truth.csv")
    add("keyrenamed_preds.csv", "--labels: string ids in 'customer' vs 'customer_id', rows in different orders",
        "labels-key-renamed", labels="keyrenamed_truth.csv", refused=([2, 3], "--on"))


def cp1252_header():
    """Excel 'CSV (Comma delimited)' on Windows: cp1252, here with an accent in a column name."""
    d = bc()
    names = np.array(["café", "thé"], dtype=object)[d["y"]]
    body = "y_true,p_café\n" + "".join(f"{a},{b:.12g}\n" for a, b in zip(names, d["p0"]))
    path("cp1252_header.csv").write_bytes(body.encode("cp1252"))
    add("cp1252_header.csv", "Windows-1252 bytes in the header (p_café) and the labels", "encoding",
        refused=([3], "UTF-8"))


def tiny_out_of_range():
    """Probabilities computed as 1 - p: one cell a rounding error below 0; they are still probabilities."""
    d = bc()
    p = d["p1"].copy()
    i = int(np.argmin(p))
    assert d["y"][i] == 0
    p[i] = -2.22044604925e-16
    f = pd.DataFrame({"y_true": d["y"], "y_pred": p})
    check_roundtrip(pd.read_csv(write_csv(f, "binary_tiny_negative.csv")), f)
    add("binary_tiny_negative.csv", "probabilities with one cell -2.2e-16 (1 - p rounding)", "rounding-out-of-range",
        results=[result(["y_true"], ["y_pred"], "binary", ref_binary(d["y"], np.clip(p, 0, 1)), "1")])
    yte, P, _, _ = iris()
    P = P.copy()
    P[0, int(np.argmin(P[0]))] = -1e-17
    f = pd.DataFrame({"y_true": yte, **{f"p_{k}": P[:, k] for k in range(3)}})
    check_roundtrip(pd.read_csv(write_csv(f, "iris_tiny_negative.csv")), f)
    add("iris_tiny_negative.csv", "predict_proba p_0..p_2 with one cell -1e-17", "rounding-out-of-range",
        results=[result(["y_true"], ["p_0", "p_1", "p_2"], "sparse", ref_sparse(yte, np.clip(P, 0, 1), [0, 1, 2]))])


def formatted_numbers():
    """Numbers saved with their display format: thousands separators, currency, quoted decimal commas."""
    y, yhat = diabetes()
    t, p = np.round(y * 1000 + 30000, 2), np.round(yhat * 1000 + 30000, 2)

    def eu(v):
        return f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")

    lines = ["y_true;y_pred"] + [f"{eu(a)};{eu(b)}" for a, b in zip(t, p)]
    path("prices_eu_thousands.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    add("prices_eu_thousands.csv", "Excel de-DE: ';', '351.000,00' (thousands dots, decimal commas)",
        "formatted-numbers", refused=([3], "not a number"))
    lines = ["y_true,y_pred"] + [f'"{a:,.2f}","{b:,.2f}"' for a, b in zip(t, p)]
    path("prices_us_thousands.csv").write_text("\n".join(lines) + "\n")
    add("prices_us_thousands.csv", "Excel en-US: quoted '\"351,000.00\"' (thousands commas)", "formatted-numbers",
        refused=([3], "not a number"))
    lines = ["y_true,y_pred"] + [f"${a:.2f},${b:.2f}" for a, b in zip(t, p)]
    path("prices_dollars.csv").write_text("\n".join(lines) + "\n")
    add("prices_dollars.csv", "currency format '$351000.00'", "formatted-numbers", refused=([3], "not a number"))
    lines = ["y_true,y_pred"] + [f'"{a:.2f}","{b:.2f}"'.replace(".", ",") for a, b in zip(t, p)]
    path("prices_quoted_decimal_comma.csv").write_text("\n".join(lines) + "\n")
    add("prices_quoted_decimal_comma.csv", "',' delimiter with quoted decimal commas '\"351000,00\"'",
        "formatted-numbers", refused=([3], "--decimal"))


def multi_output_regression():
    """Keras-style multi-output export y_true_0,y_true_1,y_pred_0,y_pred_1: means over every cell, which for
    mse and mae is scikit-learn's uniform average over outputs; rmse is the root of the mean over every cell
    (Keras RootMeanSquaredError; scikit-learn's root_mean_squared_error averages per-output RMSEs instead)."""
    data = load_diabetes(scaled=False)
    x = data.data
    Y = np.column_stack([data.target, x[:, 2]])
    rest = np.delete(x, 2, axis=1)
    xtr, xte, ytr, yte = train_test_split(rest, Y, test_size=150, random_state=SEED)
    P = r12(Ridge(alpha=0.1).fit(xtr, ytr).predict(xte))
    f = pd.DataFrame({"y_true_0": yte[:, 0], "y_true_1": yte[:, 1], "y_pred_0": P[:, 0], "y_pred_1": P[:, 1]})
    check_roundtrip(pd.read_csv(write_csv(f, "multi_output_regression.csv")), f)
    add("multi_output_regression.csv", "multi-output regression y_true_0,y_true_1 + y_pred_0,y_pred_1",
        "multi-output-regression",
        results=[result(["y_true_0", "y_true_1"], ["y_pred_0", "y_pred_1"], "regression",
                        {"mse": metrics.mean_squared_error(yte, P), "rmse": np.sqrt(metrics.mean_squared_error(yte, P)),
                         "mae": metrics.mean_absolute_error(yte, P)})])


# --------------------------------------------------------------------------- found by probing, second hunt

def models_per_class_columns():
    """Two models' predict_proba side by side, p_<class>_<model>: the 6 columns are not 6 classes
    (labels 0..2, rows sum to 2); until the models are told apart, a refusal naming --pred."""
    data = load_iris()
    xtr, xte, ytr, yte = split(data.data, data.target, 60)
    lr = r12(logreg().fit(xtr, ytr).predict_proba(xte))
    rf = r12(RandomForestClassifier(n_estimators=7, random_state=SEED).fit(xtr, ytr).predict_proba(xte))
    f = pd.DataFrame({"y_true": yte, **{f"p_{k}_lr": lr[:, k] for k in range(3)},
                      **{f"p_{k}_rf": rf[:, k] for k in range(3)}})
    check_roundtrip(pd.read_csv(write_csv(f, "models_p_k_model.csv")), f)
    add("models_p_k_model.csv", "y_true + p_0_lr..p_2_lr, p_0_rf..p_2_rf (two models' per-class columns)",
        "several-models-class-columns", refused=([2, 3], "--pred"))


def prophet_cases():
    """Prophet's forecast frame: ds, y, yhat, yhat_lower, yhat_upper (the interval columns pair with nothing)."""
    y, yhat = diabetes()
    ds = pd.date_range("2021-01-01", periods=len(y), freq="D").strftime("%Y-%m-%d")
    f = pd.DataFrame({"ds": ds, "y": y, "yhat": yhat, "yhat_lower": r12(yhat - 50), "yhat_upper": r12(yhat + 50)})
    check_roundtrip(pd.read_csv(write_csv(f, "prophet_forecast.csv")), f, ["y", "yhat"])
    add("prophet_forecast.csv", "Prophet forecast ds,y,yhat,yhat_lower,yhat_upper", "prophet",
        results=[result(["y"], ["yhat"], "regression", ref_regression(y, yhat))])
    rng = np.random.default_rng(SEED + 20)
    fc = f.drop(columns="y").iloc[rng.permutation(len(y))]
    truth = pd.DataFrame({"ds": ds, "y": y}).iloc[rng.permutation(len(y))]
    write_csv(fc, "prophet_fc_preds.csv")
    write_csv(truth, "prophet_fc_truth.csv")
    add("prophet_fc_preds.csv", "--labels: Prophet forecast ds,yhat,yhat_lower,yhat_upper + truth ds,y (shuffled)",
        "prophet", labels="prophet_fc_truth.csv",
        results=[result(["y"], ["yhat"], "regression", ref_regression(y, yhat))])


def bool_classes_columns():
    """A model fitted on a boolean target: pd.DataFrame(predict_proba, columns=clf.classes_) has columns
    False, True, beside the label y written as False/True."""
    d = bc()
    P = np.column_stack([d["p0"], d["p1"]])
    f = pd.DataFrame(P, columns=[False, True])
    f["y"] = d["y"] == 1
    write_csv(f, "bool_classes_columns.csv")
    assert path("bool_classes_columns.csv").read_text().startswith("False,True,y\n")
    back = pd.read_csv(path("bool_classes_columns.csv"))
    assert np.array_equal(back[["False", "True"]].to_numpy(), P)
    add("bool_classes_columns.csv", "predict_proba DataFrame columns=clf.classes_ = False,True + label y True/False",
        "class-named-columns",
        results=[result(["y"], ["False", "True"], "sparse", ref_sparse_two(d["y"], P))])


def ref_sparse_two(y01, P):
    """ref_sparse for K = 2: scikit-learn's brier_score_loss (scale_by_half="auto") halves the sum over
    classes when K = 2, so that it equals the binary Brier score, and so does losscli (`losscli explain brier`)."""
    y01, P = np.asarray(y01, dtype=int), np.asarray(P, dtype=float)
    no_ties_argmax(P)
    brier = float(np.mean(np.sum((P - np.eye(2)[y01]) ** 2, axis=1))) / 2
    assert abs(brier - metrics.brier_score_loss(y01, P[:, 1])) < 1e-12
    return {"sparse_categorical_crossentropy": metrics.log_loss(y01, P, labels=[0, 1]), "brier": brier,
            "zero_one": 1 - metrics.accuracy_score(y01, P.argmax(axis=1))}


def integer_regression_many_values():
    """Leave-fold-out 1-nearest-neighbour regression: every prediction is another row's integer target,
    so every prediction is one of the labels, but there are 1255 distinct labels (> 1000): a quantity."""
    from sklearn.model_selection import KFold
    from sklearn.neighbors import KNeighborsRegressor
    x, _ = load_digits(return_X_y=True)
    y = (x[:, :32] * np.arange(1, 33)).sum(axis=1).astype(int)
    p = cross_val_predict(KNeighborsRegressor(n_neighbors=1), x[:, 32:], y,
                          cv=KFold(5, shuffle=True, random_state=SEED)).astype(int)
    assert len(np.unique(y)) > 1000 and np.isin(p, y).all()
    write_csv(pd.DataFrame({"y_true": y, "y_pred": p}), "knn_integer_targets.csv")
    add("knn_integer_targets.csv", "integer target with 1255 distinct values, 1-NN predictions (all among the labels)",
        "regression-integers", results=[result(["y_true"], ["y_pred"], "regression", ref_regression(y, p))])


# --------------------------------------------------------------------------- main

def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for build in (binary_tidy, binary_pandas_index, binary_string_cases, binary_string_labels_y_pred,
                  binary_bool_labels, binary_float_labels, binary_decision_scores, binary_inverted, binary_percent,
                  binary_excel, binary_placeholder, binary_tsv_gz_bz2, binary_pipe, binary_quote_all,
                  binary_r_write_csv, binary_with_features,
                  labels_kaggle_same_name, labels_customer_id, labels_pandas_index, labels_extra_truth_columns,
                  labels_row_by_row, labels_two_keys, labels_proba_frame, labels_kaggle_sample_submission,
                  labels_house_prices,
                  two_models, three_models, regression_two_models,
                  iris_species_columns, digits_class_columns, wine_pandas_index, digits_p_k, wine_one_based,
                  prefixed_cases, iris_onehot, wine_logits, iris_hard, multilabel,
                  regression_cases, linnerud_reserved, price_qty,
                  jsonl_cases, parquet_case, feather_case, arrow_stream_case, xlsx_case,
                  labels_key_renamed, cp1252_header, tiny_out_of_range, formatted_numbers,
                  multi_output_regression,
                  models_per_class_columns, prophet_cases, bool_classes_columns, integer_regression_many_values):
        build()
    files = {c["file"] for c in CASES} | {c["labels"] for c in CASES if c["labels"]}
    on_disk = {f"files/{p.name}" for p in OUT.iterdir()}
    assert files == on_disk, files ^ on_disk
    for f in on_disk:
        assert (HERE / f).stat().st_size < 60_000, f
    (HERE / "expected.json").write_text(json.dumps(CASES, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(CASES)} cases, {len({c['kind'] for c in CASES})} layout kinds, {len(on_disk)} files in {OUT}")


if __name__ == "__main__":
    main()
