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


def test_holm_by_hand():
    """p = 0.01, 0.04, 0.03 (m = 3): sorted 0.01, 0.03, 0.04 -> 3·0.01 = 0.03, max(0.03, 2·0.03) = 0.06,
    max(0.06, 1·0.04) = 0.06; back in the given order: 0.03, 0.06, 0.06. And min(1, …) caps."""
    from losscli.bootstrap import holm

    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06], rel=1e-12)
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([0.2]) == [0.2]


def test_compare_models_in_one_file_equals_compare_of_two_files_and_adjusts_by_holm(three_models, write):
    both = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "300", "--seed", "3",
               "--format", "json")
    assert both.code == 0, both.stderr
    report = both.json
    assert report["input"]["baseline_model"] == "rf" and "Holm" in report["bootstrap"]["method"]
    assert [r["model"] for r in report["results"]] == ["lr", "dummy"]
    for result in report["results"]:
        model = result["model"]
        assert result["pred"] == [f"pred_{model}"]
        # the same pair of models as two files: the same rows, seed and resamples, so the same numbers
        base = write("rf.csv", csv_text({"y_true": Y, "y_pred": MODELS["rf"]}))
        new = write(f"{model}.csv", csv_text({"y_true": Y, "y_pred": MODELS[model]}))
        pairwise = run("compare", base, new, "--bootstrap", "300", "--seed", "3", "--format", "json").json["results"][0]
        for key in ("base", "losses", "diff", "p_value"):
            assert result[key] == pytest.approx(pairwise[key], rel=1e-12), key
        for name, bounds in pairwise["ci"].items():
            assert result["ci"][name] == pytest.approx(bounds, rel=1e-12), name
        assert result["losses"]["binary_crossentropy"] == pytest.approx(log_loss(Y, MODELS[model]), rel=1e-12)
    from losscli.bootstrap import holm

    p = [r["p_value"]["brier"] for r in report["results"]]
    assert [r["p_holm"]["brier"] for r in report["results"]] == pytest.approx(holm(p), rel=1e-12)


def test_compare_models_gates_every_model_and_refuses_what_it_cannot_do(three_models):
    gated = run("compare", three_models, "--baseline-model", "lr", "--max-increase", "brier=0.01",
                "--bootstrap", "100", "--format", "json")
    assert gated.code == 1  # rf and dummy are both worse than lr by more than 0.01
    assert sorted(g["pair"] for g in gated.json["gates"]) == ["y/dummy", "y/rf"]
    unknown = run("compare", three_models, "--baseline-model", "xgb")
    assert unknown.code == 2 and "its models: dummy, lr, rf" in unknown.stderr
    both = run("compare", three_models, three_models, "--baseline-model", "lr")
    assert both.code == 2 and "--baseline-model" in both.stderr
    neither = run("compare", three_models)
    assert neither.code == 2 and "--baseline-model" in neither.stderr


def test_equivalence_passes_only_when_the_whole_interval_lies_within_the_tolerance(write):
    """Constructed: the same predictions (Δ = 0, interval [0, 0]); predictions nudged by 0.001 (a tiny
    Δ brier, its interval far inside ±0.01 and outside ±1e-7); a useless model (far outside)."""
    lr = MODELS["lr"]
    base = write("base.csv", csv_text({"y_true": Y, "y_pred": lr}))
    same = write("same.csv", csv_text({"y_true": Y, "y_pred": lr}))
    nudged = write("nudged.csv", csv_text({"y_true": Y, "y_pred": np.clip(lr + 0.001, 0, 1)}))
    useless = write("useless.csv", csv_text({"y_true": Y, "y_pred": MODELS["dummy"]}))

    def verdict(new, tolerance):
        res = run("compare", base, new, "--equivalent", f"brier={tolerance}", "--bootstrap", "200", "--format", "json")
        (gate,) = res.json["gates"]
        low, high = gate["interval"]
        assert gate["passed"] == (-gate["max"] <= low and high <= gate["max"]) and res.code == (0 if gate["passed"] else 1)
        return gate

    identical = verdict(same, "1e-9")
    assert identical["passed"] and identical["value"] == 0 and identical["interval"] == [0, 0]
    assert verdict(nudged, "0.01")["passed"]
    tight = verdict(nudged, "1e-7")
    assert not tight["passed"] and abs(tight["value"]) > 1e-7
    far = verdict(useless, "0.01")
    assert not far["passed"] and far["value"] == pytest.approx(
        brier_score_loss(Y, MODELS["dummy"]) - brier_score_loss(Y, lr), rel=1e-9)
    relative = run("compare", base, nudged, "--equivalent", "brier=50%", "--bootstrap", "200", "--format", "json")
    assert relative.json["gates"][0]["max"] == pytest.approx(0.5 * brier_score_loss(Y, lr), rel=1e-12)
    text = run("compare", base, useless, "--equivalent", "brier=0.01", "--bootstrap", "200")
    assert "not shown equivalent" in text.stderr


def test_agreement_counts_rows_better_and_worse_and_class_flips_both_ways(three_models):
    """Against numpy: per-row log loss −log p_t of each model, and the predicted class (p > 0.5, as
    zero_one's default threshold) right or wrong, row by row."""
    report = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "50", "--format", "json").json

    def row_loss(p):
        return -np.log(np.where(Y == 1, p, 1 - p))

    def wrong(p):
        return (p > 0.5).astype(int) != Y

    for result in report["results"]:
        new, base = MODELS[result["model"]], MODELS["rf"]
        found = result["agreement"]
        assert found["loss"] == "binary_crossentropy"
        assert found["better"] == int((row_loss(new) < row_loss(base)).sum())
        assert found["worse"] == int((row_loss(new) > row_loss(base)).sum())
        assert found["same"] == int((row_loss(new) == row_loss(base)).sum())
        assert found["fixed"] == int((wrong(base) & ~wrong(new)).sum())
        assert found["broken"] == int((~wrong(base) & wrong(new)).sum())
    dummy = next(r for r in report["results"] if r["model"] == "dummy")
    assert dummy["agreement"]["broken"] > 0  # the useless model breaks rows the baseline got right
    text = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "50", "--format", "markdown").stdout
    assert f"predicted class: {dummy['agreement']['fixed']} fixed, {dummy['agreement']['broken']} broken" in text


def test_compare_one_base_with_several_new_files_adjusts_over_the_files(write, monkeypatch, tmp_path):
    """compare BASE NEW1 NEW2: each NEW as compare BASE NEW gives it (the same numbers), named by its
    file (pair y/FILE, model FILE), with the p-values adjusted over the two files (Holm)."""
    from losscli.bootstrap import holm

    monkeypatch.chdir(tmp_path)
    for name in ("rf", "lr", "dummy"):
        write(f"{name}.csv", csv_text({"id": np.arange(400), "y_true": Y, "y_pred": MODELS[name]}))
    several = run("compare", "rf.csv", "lr.csv", "dummy.csv", "--bootstrap", "200", "--format", "json")
    assert several.code == 0, several.stderr
    report = several.json
    assert report["input"]["new"] == ["lr.csv", "dummy.csv"] and "Holm" in report["bootstrap"]["method"]
    assert [(r["pair"], r["model"]) for r in report["results"]] == [("y/lr.csv", "lr.csv"), ("y/dummy.csv", "dummy.csv")]
    for result in report["results"]:
        alone = run("compare", "rf.csv", result["model"], "--bootstrap", "200", "--format", "json").json["results"][0]
        for key in ("base", "losses", "diff", "p_value"):
            assert result[key] == pytest.approx(alone[key], rel=1e-12), key
        assert "model" not in alone and "p_holm" not in alone  # one NEW: the report of before
    p = [r["p_value"]["brier"] for r in report["results"]]
    assert [r["p_holm"]["brier"] for r in report["results"]] == pytest.approx(holm(p), rel=1e-12)


def test_the_python_api_compares_as_the_cli_does(three_models, write):
    import pandas as pd

    import losscli
    from losscli.errors import UsageError

    by_api = losscli.compare(three_models, baseline_model="rf", bootstrap=200, seed=3)
    by_cli = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "200", "--seed", "3",
                 "--format", "json").json
    assert by_api["results"] == by_cli["results"] and by_api["signature"] == by_cli["signature"]
    frame = pd.read_csv(three_models)
    base = frame[["y_true", "pred_rf"]].rename(columns={"pred_rf": "y_pred"})
    new = frame[["y_true", "pred_lr"]].rename(columns={"pred_lr": "y_pred"})
    (result,) = losscli.compare(base, new, bootstrap=200, seed=3)["results"]
    lr = next(r for r in by_cli["results"] if r["model"] == "lr")
    assert result["diff"] == pytest.approx(lr["diff"], rel=1e-12)
    with pytest.raises(UsageError, match="baseline_model=NAME"):
        losscli.compare(three_models)
    with pytest.raises(UsageError, match="baseline_model=xgb"):
        losscli.compare(three_models, baseline_model="xgb")


def test_compare_worst_lists_the_rows_whose_main_loss_changed_most(three_models):
    """Against numpy: the per-row log loss of each model, the 5 largest |new − base| (rows from 1)."""
    report = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "50", "--worst", "5",
                 "--format", "json").json
    base = -np.log(np.where(Y == 1, MODELS["rf"], 1 - MODELS["rf"]))
    for result in report["results"]:
        model = MODELS[result["model"]]
        new = -np.log(np.where(Y == 1, model, 1 - model))
        expected = np.argsort(-np.abs(new - base), kind="stable")[:5]
        assert [e["row"] for e in result["worst"]] == [int(i) + 1 for i in expected]
        for entry, i in zip(result["worst"], expected):
            assert entry["base"] == pytest.approx(base[i], rel=1e-12)
            assert entry["change"] == pytest.approx(new[i] - base[i], rel=1e-9)
    plain = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "50", "--format", "json").json
    assert all("worst" not in r for r in plain["results"])


def test_one_model_against_the_baseline_needs_no_adjustment(write):
    y = RNG.normal(10, 3, 200)
    path = write("two.csv", csv_text({"y_true": y, "y_pred_a": y + 0.5, "y_pred_b": y - 1.0}))
    report = run("compare", path, "--baseline-model", "a", "--bootstrap", "50", "--format", "json").json
    (result,) = report["results"]
    assert result["model"] == "b" and result["p_holm"] is None and "Holm" not in report["bootstrap"]["method"]
    assert result["diff"]["mse"] == pytest.approx(1.0 - 0.25, rel=1e-9)  # (−1)² − 0.5², by hand
    assert "p (Holm)" not in run("compare", path, "--baseline-model", "a", "--bootstrap", "50", "--format",
                                 "markdown").stdout


def test_worst_rows_reach_the_markdown_with_data_values_as_code(write, three_models):
    """--worst rows were only in the table and JSON; the pull-request comment now lists them too, an id
    that holds markdown (a pipe, a link) written as code so it can neither split the table nor link."""
    path = write("ids.csv", "id,y_true,y_pred\n[x](http://e.vil)|a,1,0.1\nb,0,0.2\nc,1,0.9\n")
    text = run("eval", path, "--worst", "1", "--format", "markdown").stdout
    assert "the rows that add most to binary_crossentropy:" in text
    assert "| 1 | `[x](http://e.vil)\\|a` | `1` | `0.1` |" in text
    compared = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "50", "--worst", "2",
                   "--format", "markdown").stdout
    assert compared.count("the rows whose binary_crossentropy changed most:") == 2


def test_compare_of_several_models_gives_a_leaderboard_with_the_baseline_ranked_among_them(three_models):
    """compare --baseline-model rf: under ``models``, rf and the two others ranked by log loss (scikit-learn's
    values), each other model with its difference to rf, interval, p-value and Holm's p-value."""
    report = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "200", "--format", "json").json
    (board,) = report["models"]
    assert board["target"] == "y" and board["baseline"] == "rf" and board["main"] == "binary_crossentropy"
    expected = {name: log_loss(Y, p) for name, p in MODELS.items()}
    assert [m["model"] for m in board["models"]] == sorted(expected, key=expected.get)  # lr, rf, dummy
    by_result = {r["model"]: r for r in report["results"]}
    for entry in board["models"]:
        assert entry["losses"]["binary_crossentropy"] == pytest.approx(expected[entry["model"]], rel=1e-12)
        assert entry["baseline"] == (entry["model"] == "rf")
        if entry["model"] != "rf":
            result = by_result[entry["model"]]
            assert entry["diff"] == result["diff"] and entry["ci"] == result["ci"]
            assert entry["p_value"] == result["p_value"] and entry["p_holm"] == result["p_holm"]
            assert entry["diff"]["binary_crossentropy"] == pytest.approx(
                expected[entry["model"]] - expected["rf"], rel=1e-9)
    table = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "200", "--format", "markdown").stdout
    assert "**`y`** · 3 models, ranked by binary_crossentropy, the lowest first, against the baseline `rf`" in table
    assert "| 2 | `rf` |" in table and table.count("| baseline |") == 1


def test_compare_csv_names_each_models_rank_and_holm_p_value(three_models):
    import csv
    import io

    text = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "200", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    report = run("compare", three_models, "--baseline-model", "rf", "--bootstrap", "200", "--format", "json").json
    ranks = {m["model"]: m["rank"] for m in report["models"][0]["models"]}
    for row in rows:
        if row["loss"] == "brier":
            result = next(r for r in report["results"] if r["model"] == row["model"])
            assert int(row["rank"]) == ranks[row["model"]]
            assert float(row["p_holm"]) == result["p_holm"]["brier"]
    assert {row["model"] for row in rows} == {"lr", "dummy"}
    plain = run("eval", three_models, "--format", "csv").stdout
    assert plain.splitlines()[0].endswith(",skipped,model,rank,p_holm")  # new columns after the old ones


def test_files_of_one_name_in_different_folders_are_named_by_their_paths(write, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for folder, name in (("base", "rf"), ("a", "lr"), ("b", "dummy")):
        (tmp_path / folder).mkdir()
        write(f"{folder}/preds.csv", csv_text({"id": np.arange(400), "y_true": Y, "y_pred": MODELS[name]}))
    report = run("compare", "base/preds.csv", "a/preds.csv", "b/preds.csv", "--bootstrap", "50",
                 "--format", "json").json
    assert [r["model"] for r in report["results"]] == ["a/preds.csv", "b/preds.csv"]
    assert report["models"][0]["baseline"] == "base/preds.csv"


def _paired_reference(old: np.ndarray, new: np.ndarray, groups: np.ndarray, m: int, resamples: int, seed: int):
    """The paired bootstrap as documented, in plain numpy: per-row terms summed per group, B draws of
    Multinomial(m, 1/m) group counts from default_rng(seed), each resample's mean of NEW − BASE,
    the 95% percentile interval and the two-sided p-value (k + 1)/(B + 1)."""
    counts = np.random.default_rng(seed).multinomial(m, np.full(m, 1.0 / m), size=resamples).astype(float)
    rows = counts @ np.bincount(groups, minlength=m)
    differences = (counts @ np.bincount(groups, new, m) - counts @ np.bincount(groups, old, m)) / rows
    low, high = np.quantile(differences, [0.025, 0.975])
    tail = min((differences <= 0).sum(), (differences >= 0).sum())
    return [low, high], min(1.0, 2 * (tail + 1) / (resamples + 1))


def _splitmix_groups(rows: np.ndarray, seed: int, m: int = 1000) -> np.ndarray:
    """Each 1-based row's group: SplitMix64's finaliser of (row XOR seed) mod m, written out in Python
    integers (the source part of the key is crc32("") = 0 for compare)."""
    mask = (1 << 64) - 1
    out = []
    for row in rows.tolist():
        x = ((row ^ (seed & 0xFFFFFFFF)) + 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        out.append((x ^ (x >> 31)) % m)
    return np.array(out)


@pytest.mark.parametrize("n", [400, 1000, 2500])  # each row its own group (up to 1000 rows); hashed groups
def test_the_paired_bootstrap_equals_a_numpy_reference_with_the_same_seed(write, n):
    rng = np.random.default_rng(n)
    y = rng.integers(0, 2, n)
    p = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    q = np.clip(np.where(y == 1, 0.75, 0.25) + rng.normal(0, 0.15, n), 0.01, 0.99)
    base = write("b.csv", csv_text({"y_true": y, "y_pred": p}))
    new = write("n.csv", csv_text({"y_true": y, "y_pred": q}))
    (result,) = run("compare", base, new, "--bootstrap", "300", "--seed", "11", "--format", "json").json["results"]
    groups, m = (np.arange(n), n) if n <= 1000 else (_splitmix_groups(np.arange(1, n + 1), 11), 1000)
    for name, old, now in (("binary_crossentropy", -np.log(np.where(y == 1, p, 1 - p)),
                            -np.log(np.where(y == 1, q, 1 - q))),
                           ("brier", (p - y) ** 2, (q - y) ** 2)):
        interval, p_value = _paired_reference(old, now, groups, m, 300, 11)
        assert result["ci"][name] == pytest.approx(interval, rel=1e-9), name
        assert result["p_value"][name] == p_value, name


def test_a_model_name_is_not_taken_for_the_positive_class(write):
    """Labels all "no" with pred_lr and pred_rf: "lr" and "rf" were taken for the positive classes
    the columns name (exit 0, classes [lr, no]); they are models, so the positive class is asked for."""
    rng = np.random.default_rng(0)
    p, q = np.round(rng.random(50), 4), np.round(rng.random(50), 4)
    path = write("allno.csv", csv_text({"y_true": ["no"] * 50, "pred_lr": p, "pred_rf": q}))
    refused = run("eval", path)
    assert refused.code == 3 and "every label is 'no'; pass --positive" in refused.stderr
    found = run("eval", path, "--positive", "yes").json["results"]
    assert [(r["model"], r["positive"], r["classes"]) for r in found] == [("lr", "yes", ["no", "yes"]),
                                                                          ("rf", "yes", ["no", "yes"])]
    assert found[0]["losses"]["binary_crossentropy"] == pytest.approx(log_loss([0] * 50, p, labels=[0, 1]), rel=1e-12)
