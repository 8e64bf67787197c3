"""Quantile sets and Gaussian predictions (issue 18): how their columns pair, their losses against
scikit-learn, scipy and the formulas written out, and that they merge like every other loss."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics

from losscli.quantiles import column_level, level_name, name_level
from losscli.registry import Inputs, accumulate, lookup, resolve
from losscli.sums import Partial

from .conftest import csv_text, run

Y = [1.0, 2.0, 3.0]
Q10, Q50, Q90 = [0.5, 1.0, 2.9], [1.1, 1.8, 3.2], [2.0, 2.5, 3.3]


def evaluated(write, columns, *args, code=0):
    result = run("eval", write("p.csv", csv_text(columns)), "--format", "json", *args)
    assert result.code == code, result.stderr
    return result


def test_level_grammar():
    assert [column_level(c) for c in ("y_pred_q10", "y_pred_p90", "y_pred_q05", "y_pred_q2.5", "y_pred_p97.5",
                                       "y_pred_q0.1", "y_pred_quantile_0.05", "y_pred_0.9", "Q50")] == \
        [0.1, 0.9, 0.05, 0.025, 0.975, 0.1, 0.05, 0.9, 0.5]
    assert [column_level(c) for c in ("y_pred_q0", "y_pred_q100", "y_pred_10", "y_pred_lr", "y_pred_q1000")] == \
        [None, None, None, None, None]
    assert [level_name(v) for v in (0.1, 0.025, 0.5, 0.07)] == ["q10", "q2p5", "q50", "q7"]
    assert [name_level(n) for n in ("q10", "q2p5", "q010", "q0", "q100")] == [0.1, 0.025, None, None, None]
    assert resolve("pinball_q10") == ["pinball_q10"] and lookup("pinball_q2p5", "regression") is not None


@pytest.mark.parametrize("names", [("y_pred_q10", "y_pred_q50", "y_pred_q90"),
                                   ("y_pred_p10", "y_pred_p50", "y_pred_p90"),
                                   ("y_pred_quantile_0.1", "y_pred_quantile_0.5", "y_pred_quantile_0.9"),
                                   ("pred_q0.1", "pred_q0.5", "pred_q0.9"),
                                   ("yhat_q90", "yhat_q10", "yhat_q50")])  # (any order: sorted by level)
def test_quantile_columns_are_one_pair_scored_against_sklearn(write, names):
    values = dict(zip(names, (Q10, Q50, Q90) if names[0] != "yhat_q90" else (Q90, Q10, Q50)))
    result = evaluated(write, {"y_true": Y, **values}, "--explain")
    (r,) = result.json["results"]
    assert (r["pair"], r["task"], r["predictions"], r["model"]) == ("y", "regression", "quantiles", None)
    assert r["quantiles"]["levels"] == [0.1, 0.5, 0.9] and r["quantiles"]["interval"]["nominal"] == pytest.approx(0.8)
    by_level = dict(zip(r["quantiles"]["levels"], r["pred"]))
    assert [values[by_level[level]] for level in (0.1, 0.5, 0.9)] == [Q10, Q50, Q90]
    losses = r["losses"]
    for level, q in ((0.1, Q10), (0.5, Q50), (0.9, Q90)):
        assert losses[f"pinball_{level_name(level)}"] == pytest.approx(metrics.mean_pinball_loss(Y, q, alpha=level),
                                                                       rel=1e-12)
    assert losses["pinball"] == pytest.approx(np.mean([metrics.mean_pinball_loss(Y, q, alpha=a)
                                                       for a, q in ((0.1, Q10), (0.5, Q50), (0.9, Q90))]), rel=1e-12)
    # interval [q10, q90]: [0.5, 2.0] ∋ 1, [1.0, 2.5] ∋ 2, [2.9, 3.3] ∋ 3: coverage 1; widths 1.5, 1.5, 0.4
    assert losses["coverage"] == 1.0
    assert losses["width"] == pytest.approx((1.5 + 1.5 + 0.4) / 3, rel=1e-12)
    assert losses["interval_score"] == pytest.approx((1.5 + 1.5 + 0.4) / 3, rel=1e-12)  # (nothing outside)
    assert losses["quantile_crossing"] == 0.0
    assert not {"mse", "mae"} & set(losses) and not r["skipped"]  # (point losses do not apply to a set)
    assert "quantiles" in result.stderr and "at 0.1" in result.stderr  # --explain says which and at what level


def test_interval_score_by_hand_and_by_numpy(write):
    y = [1.0, 2.0, 3.0, 4.0]
    lo, mid, hi = [1.5, 1.0, 2.0, 3.0], [2.0, 2.0, 2.5, 3.5], [2.5, 3.0, 2.8, 5.0]
    losses = evaluated(write, {"y_true": y, "y_pred_q5": lo, "y_pred_q50": mid, "y_pred_q95": hi}).losses()
    # α = 1 − (0.95 − 0.05) = 0.1, 2/α = 20. Row 1: y = 1 < 1.5: 1 + 20·0.5 = 11; row 2: inside, 2;
    # row 3: y = 3 > 2.8: 0.8 + 20·0.2 = 4.8; row 4: inside, 2. Mean (11 + 2 + 4.8 + 2)/4 = 4.95
    assert losses["interval_score"] == pytest.approx(4.95, rel=1e-12)
    assert losses["coverage"] == pytest.approx(0.5) and losses["width"] == pytest.approx((1 + 2 + 0.8 + 2) / 4)
    ya, la, ha = np.array(y), np.array(lo), np.array(hi)
    numpy_score = np.mean((ha - la) + 2 / 0.1 * (la - ya) * (ya < la) + 2 / 0.1 * (ya - ha) * (ya > ha))
    assert losses["interval_score"] == pytest.approx(numpy_score, rel=1e-12)
    assert losses["coverage"] == np.mean((la <= ya) & (ya <= ha))


def test_crossing_quantiles_are_warned_and_counted(write):
    result = evaluated(write, {"y_true": Y, "y_pred_q10": [0.5, 1.0, 3.4], "y_pred_q90": Q90})
    assert "cross on 1 row(s) of 3 (first: row 3" in result.stderr
    assert result.losses()["quantile_crossing"] == pytest.approx(1 / 3)
    assert result.losses()["width"] == pytest.approx((1.5 + 1.5 - 0.1) / 3)  # (scored as given: −0.1)


def test_levels_without_a_symmetric_pair_skip_the_interval(write):
    r = evaluated(write, {"y_true": Y, "y_pred_q10": Q10, "y_pred_q50": Q50}).json["results"][0]
    assert set(r["losses"]) == {"pinball", "pinball_q10", "pinball_q50", "quantile_crossing"}
    assert "no symmetric pair" in r["skipped"]["coverage"] and r["quantiles"]["interval"] is None


def test_model_names_still_pair_as_models(write):
    found = evaluated(write, {"y_true": Y, "y_pred_lr": Q10, "y_pred_rf": Q50}).json["results"]
    assert [(r["pair"], r["model"], r["predictions"]) for r in found if r["group"] is None] == [
        ("y/lr", "lr", "values"), ("y/rf", "rf", "values")]
    one = evaluated(write, {"y_true": Y, "y_pred_q1": Q10, "y_pred_lr": Q50}).json["results"]  # q1: maybe a model
    assert [r["pair"] for r in one] == ["y/q1", "y/lr"]


@pytest.mark.parametrize("columns", [{"y_pred_q10": Q10, "y_pred_q90": Q90, "y_pred_lr": Q50},
                                     {"y_pred_q10": Q10, "y_pred_quantile_0.1": Q50},
                                     {"y_pred_q10": Q10, "y_pred_q500": Q50}])
def test_ambiguous_names_are_refused_with_the_flag_that_settles_them(write, columns):
    result = evaluated(write, {"y_true": Y, **columns}, code=2)
    assert "--pred" in result.stderr and "--quantiles" in result.stderr


def test_a_point_prediction_beside_quantiles_is_its_own_pair(write):
    found = evaluated(write, {"y_true": Y, "y_pred": Q50, "y_pred_q10": Q10, "y_pred_q90": Q90}).json["results"]
    assert [(r["pair"], r["predictions"], r["pred"]) for r in found] == [
        ("y", "values", ["y_pred"]), ("y/quantiles", "quantiles", ["y_pred_q10", "y_pred_q90"])]
    assert found[0]["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(Y, Q50), rel=1e-12)


def test_explicit_columns_with_declared_levels(write):
    columns = {"y_true": Y, "lo": Q10, "mid": Q50, "hi": Q90}
    r = evaluated(write, columns, "--true", "y_true", "--pred", "lo,mid,hi", "--quantiles", "0.1,0.5,0.9")
    assert r.json["results"][0]["quantiles"]["columns"] == ["lo", "mid", "hi"]
    assert r.losses()["pinball_q90"] == pytest.approx(metrics.mean_pinball_loss(Y, Q90, alpha=0.9), rel=1e-12)
    named = {"y_true": Y, "y_pred_q10": Q10, "y_pred_q90": Q90}
    assert evaluated(write, named, "--true", "y_true", "--pred", "y_pred_q*").json["results"][0]["predictions"] == \
        "quantiles"
    assert "whose name says 0.9" in evaluated(write, named, "--true", "y_true", "--pred", "y_pred_q*",
                                              "--quantiles", "0.1,0.8", code=2).stderr
    assert "--pred" in evaluated(write, columns, "--quantiles", "0.1,0.5,0.9", code=2).stderr
    assert "levels" in evaluated(write, columns, "--true", "y_true", "--pred", "lo,hi", "--quantiles", "0.1",
                                 code=2).stderr


def _big(write, n=3000, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    mid = y + rng.normal(0, 1, n)
    lo, hi = mid - rng.uniform(0.5, 3, n), mid + rng.uniform(0.5, 3, n)
    sigma = rng.uniform(0.5, 2, n)
    site = rng.choice(["a", "b", "c"], n)
    columns = {"y_true": y.round(6), "y_pred_q10": lo.round(6), "y_pred_q50": mid.round(6),
               "y_pred_q90": hi.round(6), "site": site}
    gauss = {"y_true": y.round(6), "y_pred": mid.round(6), "y_pred_std": sigma.round(6), "site": site}
    return write("q.csv", csv_text(columns)), write("g.csv", csv_text(gauss))


@pytest.mark.parametrize("which", [0, 1])
def test_chunks_states_groups_and_intervals_agree(write, tmp_path, which):
    path = _big(write)[which]
    whole = run("eval", path, "--format", "json").json["results"][0]
    lines = Path(path).read_text().splitlines()
    states = []
    for i, part in enumerate((lines[1:1000], lines[1000:2200], lines[2200:])):
        shard = write(f"part{i}.csv", "\n".join([lines[0], *part]) + "\n")
        states.append(str(tmp_path / f"s{i}.json"))
        assert run("eval", shard, "--format", "json", "--state", states[-1]).code == 0
    merged = run("merge", *states, "--format", "json").json["results"][0]
    assert merged["losses"] == pytest.approx(whole["losses"], rel=1e-12)
    assert merged.get("quantiles") == whole.get("quantiles") and merged.get("variance") == whole.get("variance")
    grouped = run("eval", path, "--group-by", "site", "--format", "json").json["results"]
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
    for group in grouped[1:]:
        rows = data["site"] == group["group"]
        y = data["y_true"][rows]
        if which == 0:
            expected = metrics.mean_pinball_loss(y, data["y_pred_q90"][rows], alpha=0.9)
            assert group["losses"]["pinball_q90"] == pytest.approx(expected, rel=1e-12)
        else:
            expected = -stats.norm.logpdf(y, data["y_pred"][rows], data["y_pred_std"][rows]).mean() \
                - 0.5 * math.log(2 * math.pi)
            assert group["losses"]["gaussian_nll"] == pytest.approx(expected, rel=1e-12)
    ci = run("eval", path, "--ci", "0.9", "--bootstrap", "100", "--format", "json").json["results"][0]["ci"]
    main = "pinball_q50" if which == 0 else "gaussian_nll"
    assert ci[main][0] < whole["losses"][main] < ci[main][1]


def test_dask_shards_give_the_one_piece_values(write, tmp_path):
    pytest.importorskip("dask")
    path = _big(write)[0]
    lines = Path(path).read_text().splitlines()
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, part in enumerate((lines[1:1200], lines[1200:])):
        (folder / f"part{i}.csv").write_text("\n".join([lines[0], *part]) + "\n")
    whole = run("eval", path, "--format", "json").json["results"][0]
    sharded = run("eval", str(folder / "*.csv"), "--engine", "dask", "--format", "json").json["results"][0]
    assert sharded["losses"] == pytest.approx(whole["losses"], rel=1e-12)


def test_quantile_losses_merge_from_slices_of_rows():
    rng = np.random.default_rng(0)
    y = rng.normal(size=101)
    q = np.sort(y[:, None] + rng.normal(size=(101, 3)), axis=1)
    whole = Inputs("regression", "quantiles", y, q, rng.uniform(size=101), levels=(0.05, 0.5, 0.95))
    for name in ("pinball", "pinball_q5", "pinball_q95", "coverage", "width", "interval_score"):
        spec = lookup(name, "regression")
        parts = [accumulate(spec, Inputs("regression", "quantiles", y[i:i + 7], q[i:i + 7], whole.w[i:i + 7],
                                         levels=whole.levels)) for i in range(0, 101, 7)]
        assert spec.value(sum(parts, Partial())) == pytest.approx(spec.value(accumulate(spec, whole)), rel=1e-12)
    weighted = metrics.mean_pinball_loss(y, q[:, 2], alpha=0.95, sample_weight=whole.w)
    assert lookup("pinball_q95", "regression").value(accumulate(lookup("pinball_q95", "regression"), whole)) == \
        pytest.approx(weighted, rel=1e-12)


# Gaussian predictions ------------------------------------------------------------------------------

MU, SD = [1.1, 1.8, 3.6], [0.5, 0.2, 1.0]


def torch_gaussian_nll(y, mu, var, eps=1e-6, full=False):
    """torch.nn.GaussianNLLLoss as its documentation writes it:
    0.5 (log(max(var, eps)) + (input − target)² / max(var, eps)) [+ 0.5 log 2π when full], mean."""
    var = np.maximum(np.asarray(var, float), eps)
    out = 0.5 * (np.log(var) + (np.asarray(mu) - np.asarray(y)) ** 2 / var)
    return float(np.mean(out + (0.5 * math.log(2 * math.pi) if full else 0.0)))


@pytest.mark.parametrize("mean, spread, squared", [("y_pred", "y_pred_std", True), ("y_pred", "y_pred_var", False),
                                                   ("y_pred_mean", "y_pred_variance", False),
                                                   ("y_pred", "y_std", True), ("y_pred_mu", "y_pred_sigma", True)])
def test_gaussian_prediction_pairs_the_mean_and_its_spread(write, mean, spread, squared):
    result = evaluated(write, {"y_true": Y, mean: MU, spread: SD}, "--explain")
    (r,) = result.json["results"]
    assert (r["pair"], r["pred"], r["predictions"]) == ("y", [mean], "values")
    assert r["variance"] == {"mean": mean, "column": spread, "given_as": "std" if squared else "variance"}
    var = np.square(SD) if squared else np.asarray(SD)
    assert r["losses"]["gaussian_nll"] == pytest.approx(torch_gaussian_nll(Y, MU, var), rel=1e-12)
    assert r["losses"]["mse"] == pytest.approx(metrics.mean_squared_error(Y, MU), rel=1e-12)  # (of the mean)
    assert spread in result.stderr  # --explain names the variance column


def test_gaussian_nll_full_is_minus_scipy_logpdf_and_eps_clamps(write):
    columns = {"y_true": Y, "y_pred": MU, "y_pred_std": SD}
    full = evaluated(write, columns, "-l", "gaussian_nll", "--param", "GaussianNLLLoss.full=true").losses()
    assert full["gaussian_nll"] == pytest.approx(-stats.norm.logpdf(Y, MU, SD).mean(), rel=1e-12)
    zero = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_var": [0.0, 0.04, 1.0]}).losses()
    # row 1: var 0 -> eps = 1e-6: 0.5 (log 1e-6 + 0.01 / 1e-6)
    assert zero["gaussian_nll"] == pytest.approx(torch_gaussian_nll(Y, MU, [0.0, 0.04, 1.0]), rel=1e-12)
    assert evaluated(write, {"y_true": Y, "y_pred": MU}, "-l", "gaussian_nll").json["results"][0]["skipped"][
        "gaussian_nll"].startswith("no variance column")


def test_gaussian_refusals_and_explicit_columns(write):
    assert "negative" in evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_var": [1, -1, 1]}, code=3).stderr
    two = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_var": SD, "y_pred_std": SD}, code=2)
    assert "--pred y_pred," in two.stderr
    both = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_mean": MU, "y_pred_std": SD}, code=2)
    assert "--pred" in both.stderr
    r = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_std": SD}, "--true", "y_true", "--pred",
                  "y_pred,y_pred_std").json["results"][0]
    assert r["variance"]["column"] == "y_pred_std" and r["pred"] == ["y_pred"]
    alone = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_std": SD}, "--true", "y_true", "--pred", "y_pred")
    assert "gaussian_nll" not in alone.losses() and "variance" not in alone.json["results"][0]
    # a spread of a prediction with no mean is refused, not scored as a model or a prediction
    lost = evaluated(write, {"y_true": Y, "y_pred_lr": MU, "y_pred_std": SD}, code=2)
    assert "--pred MEAN,y_pred_std" in lost.stderr
    assert evaluated(write, {"y_true": Y, "y_pred_std": SD}, code=2).stderr == lost.stderr
    declared = evaluated(write, {"y_true": Y, "y_pred_lr": MU, "y_pred_std": SD}, "--true", "y_true", "--pred",
                         "y_pred_lr,y_pred_std").json["results"][0]
    assert declared["variance"] == {"mean": "y_pred_lr", "column": "y_pred_std", "given_as": "std"}


def test_list_and_explain_show_the_new_losses():
    listed = run("list", "--format", "json").json["losses"]
    names = {entry["name"] for entry in listed}
    assert {"coverage", "width", "interval_score", "quantile_crossing", "gaussian_nll"} <= names
    explained = run("explain", "GaussianNLLLoss")
    assert explained.code == 0 and "max" in explained.stdout
    assert run("explain", "winkler").code == 0


def test_a_point_prediction_and_a_quantile_set_beside_other_columns(write):
    """y_true, y_pred, y_pred_q10, y_pred_q90 and a feature (numeric or text): the pairs y and
    y/quantiles; the feature is never taken for the quantiles' label."""
    for feature in ([7, 8, 9], ["a", "b", "c"]):
        found = evaluated(write, {"y_true": Y, "y_pred": MU, "y_pred_q10": [0.5, 1.5, 2.0],
                                  "y_pred_q90": [2.0, 3.0, 4.0], "feature": feature})
        assert [(r["pair"], r["true"]) for r in found.json["results"]] == [("y", ["y_true"]),
                                                                           ("y/quantiles", ["y_true"])]
        assert "not paired" in found.stderr and "feature" in found.stderr


def test_class_probabilities_named_like_quantiles_are_refused_with_the_flags_that_settle_it(write):
    """Classes q1, q2 (quarters, say) with class ids 0/1 and rows summing to 1 are not quantiles at
    0.01 and 0.02: refused (exit 2); --task sparse reads them as classes, as before the quantile
    sets, and --quantiles as quantiles."""
    columns = {"y_true": [0, 1, 1], "y_pred_q1": [0.8, 0.3, 0.1], "y_pred_q2": [0.2, 0.7, 0.9]}
    refused = evaluated(write, columns, code=2)
    assert "--task sparse" in refused.stderr and "--quantiles 0.01,0.02" in refused.stderr
    classes = evaluated(write, columns, "--true", "y_true", "--pred", "y_pred_q1,y_pred_q2", "--task", "sparse")
    result = classes.json["results"][0]
    assert (result["task"], result["classes"]) == ("sparse", ["q1", "q2"])
    assert result["losses"]["sparse_categorical_crossentropy"] == pytest.approx(
        -(np.log(0.8) + np.log(0.7) + np.log(0.9)) / 3, rel=1e-12)
    declared = evaluated(write, columns, "--true", "y_true", "--pred", "y_pred_q1,y_pred_q2", "--quantiles", "0.01,0.02")
    assert declared.json["results"][0]["predictions"] == "quantiles"
