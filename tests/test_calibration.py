"""Calibration (issue 18): ``ece`` and ``mce`` against hand-worked values and scikit-learn's
``calibration_curve``, the reliability table and Murphy's decomposition of the Brier score, and
the same numbers from chunks, shards, ``merge``, groups and Dask as from one piece."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from losscli import losses  # noqa: F401
from losscli.losses.calibration import FINE_EDGES, reliability
from losscli.registry import Inputs, accumulate, lookup

from .conftest import run

UNIFORM = {"bins": 15, "strategy": "uniform"}


def _value(name: str, task: str, y: np.ndarray, p: np.ndarray, params: dict | None = None,
           kind: str = "probability", w: np.ndarray | None = None) -> float | None:
    spec = lookup(name, task)
    params = {**spec.params, **(params or {})}
    return spec.value(accumulate(spec, Inputs(task, kind, y, p, w), params), params)


def _table(task: str, y: np.ndarray, p: np.ndarray, params: dict, kind: str = "probability") -> dict:
    spec = lookup("ece", task)
    part = accumulate(spec, Inputs(task, kind, y, p), params)
    return reliability(part.class_weights, part.class_sums.reshape(len(part.class_weights), -1), params, task)


def _sklearn_ece(outcome: np.ndarray, confidence: np.ndarray, bins: int) -> tuple[float, float]:
    """ECE and MCE from scikit-learn's calibration curve (uniform bins) and its bins' row counts."""
    accuracy, mean_confidence = calibration_curve(outcome, confidence, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=bins)  # (calibration_curve's binning)
    counts = counts[counts > 0]
    gaps = np.abs(accuracy - mean_confidence)
    return float((counts / counts.sum() * gaps).sum()), float(gaps.max())


def test_ece_and_mce_by_hand():
    """Two bins of [0, 1]; 0.5 lies on the edge and goes to the bin below (scikit-learn's binning).
    Bin (0, 0.5]: p 0.1, 0.3, 0.5, labels 0, 1, 1: confidence 0.9/3 = 0.3, accuracy 2/3, gap 11/30.
    Bin (0.5, 1]: p 0.6, 0.8, 1.0, labels 0, 1, 1: confidence 2.4/3 = 0.8, accuracy 2/3, gap 4/30.
    ECE = 3/6 · 11/30 + 3/6 · 4/30 = 15/60 = 0.25; MCE = 11/30."""
    y = np.array([0, 1, 1, 0, 1, 1.0])
    p = np.array([0.1, 0.3, 0.5, 0.6, 0.8, 1.0])
    assert _value("ece", "binary", y, p, {"bins": 2}) == pytest.approx(0.25, rel=1e-15)
    assert _value("mce", "binary", y, p, {"bins": 2}) == pytest.approx(11 / 30, rel=1e-15)
    table = _table("binary", y, p, {"bins": 2, "strategy": "uniform"})
    assert [(b["lower"], b["upper"], b["weight"]) for b in table["bins"]] == [(0.0, 0.5, 3.0), (0.5, 1.0, 3.0)]
    assert [b["confidence"] for b in table["bins"]] == pytest.approx([0.3, 0.8], rel=1e-15)
    assert [b["gap"] for b in table["bins"]] == pytest.approx([2 / 3 - 0.3, 2 / 3 - 0.8], rel=1e-15)


def test_murphys_decomposition_by_hand_and_exact():
    """The rows above, both bins: ō = 4/6; UNC = 4/6 · 2/6 = 2/9; RES = ½(2/3 − 2/3)² · 2 = 0;
    REL = ½(0.3 − 2/3)² + ½(0.8 − 2/3)² = ½(121/900) + ½(16/900) = 137/1800; the Brier score
    (0.01 + 0.49 + 0.25 + 0.36 + 0.04 + 0)/6 = 1.15/6 is REL − RES + UNC + WBV − WBC."""
    y = np.array([0, 1, 1, 0, 1, 1.0])
    p = np.array([0.1, 0.3, 0.5, 0.6, 0.8, 1.0])
    parts = _table("binary", y, p, {"bins": 2, "strategy": "uniform"})["brier_decomposition"]
    assert parts["uncertainty"] == pytest.approx(2 / 9, rel=1e-15)
    assert parts["resolution"] == pytest.approx(0.0, abs=1e-16)
    assert parts["reliability"] == pytest.approx(137 / 1800, rel=1e-14)
    whole = parts["reliability"] - parts["resolution"] + parts["uncertainty"] + parts["within_bin_variance"] \
        - parts["within_bin_covariance"]
    assert whole == pytest.approx(1.15 / 6, rel=1e-14) and whole == pytest.approx(brier_score_loss(y, p), rel=1e-14)


@pytest.mark.parametrize("bins", [5, 10, 15])
def test_binary_ece_and_mce_equal_scikit_learn_curves_even_on_bin_edges(bins):
    rng = np.random.default_rng(bins)
    p = rng.uniform(size=4000)
    p[::3] = np.round(p[::3], 1)  # many values exactly on edges (0.1, 0.2, …), and 0 and 1
    y = (rng.uniform(size=len(p)) < p**1.4).astype(float)
    ece, mce = _sklearn_ece(y, p, bins)
    assert _value("ece", "binary", y, p, {"bins": bins}) == pytest.approx(ece, rel=1e-12)
    assert _value("mce", "binary", y, p, {"bins": bins}) == pytest.approx(mce, rel=1e-12)


def test_top_label_ece_of_probabilities_and_logits_equals_scikit_learn():
    """K classes: the top probability against whether the top class is the true one; logits give
    the ECE of their softmax."""
    rng = np.random.default_rng(5)
    n, k = 3000, 4
    z = rng.normal(0, 2, (n, k))
    prob = np.exp(z - z.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    true = np.array([rng.choice(k, p=row) for row in prob ** 0.7 / (prob ** 0.7).sum(axis=1, keepdims=True)])
    y = np.eye(k)[true]
    top = prob.argmax(axis=1)
    ece, mce = _sklearn_ece((top == true).astype(float), prob.max(axis=1), 15)
    for task in ("sparse", "multiclass"):
        assert _value("ece", task, y, prob) == pytest.approx(ece, rel=1e-12)
        assert _value("mce", task, y, prob) == pytest.approx(mce, rel=1e-12)
        assert _value("ece", task, y, z, kind="logits") == pytest.approx(ece, rel=1e-9)


def test_quantile_bins_hold_nearly_equal_mass_and_the_ece_is_that_of_their_edges():
    """Equal-mass bins come from fine bins joined at the end: each bin's weight is n/bins within a
    fine bin's weight, and the ECE is exactly the ECE of the rows cut at the reported edges."""
    rng = np.random.default_rng(8)
    p = rng.beta(0.5, 0.5, 20_000)
    y = (rng.uniform(size=len(p)) < p).astype(float)
    params = {"bins": 10, "strategy": "quantile"}
    table = _table("binary", y, p, params)
    weights = np.array([b["weight"] for b in table["bins"]])
    fine = np.bincount(np.searchsorted(FINE_EDGES, p), minlength=len(FINE_EDGES) + 1)
    assert len(weights) == 10 and np.abs(weights - len(p) / 10).max() <= fine.max()
    inner = [b["upper"] for b in table["bins"][:-1]]
    cut = np.searchsorted(inner, p, side="left")
    gaps = [abs(p[cut == b].mean() - y[cut == b].mean()) * (cut == b).sum() for b in range(10)]
    assert _value("ece", "binary", y, p, params) == pytest.approx(sum(gaps) / len(p), rel=1e-12)


def test_weights_are_repeated_rows():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=300)
    y = (rng.uniform(size=300) < p).astype(float)
    counts = rng.integers(1, 4, 300)
    for params in ({"bins": 7}, {"bins": 7, "strategy": "quantile"}):
        weighted = _value("ece", "binary", y, p, params, w=counts.astype(float))
        assert weighted == pytest.approx(_value("ece", "binary", np.repeat(y, counts), np.repeat(p, counts), params),
                                         rel=1e-12)


def test_bad_parameters_are_refused_or_skipped_with_the_reason(write):
    path = write("p.csv", "y_true,y_pred\n0,0.2\n1,0.7\n")
    report = run("eval", path, "-l", "ece", "--param", "ece.strategy=equal", "--format", "json").json
    assert "strategy must be 'uniform'" in report["results"][0]["skipped"]["ece"]
    for bins in ("0", "1.5", "1025"):  # (a number outside its range is refused where it is given)
        refused = run("eval", path, "-l", "ece", "--param", f"ece.bins={bins}")
        assert refused.code == 2 and f"--param ece.bins={bins}: must be a whole number in [1, 1024]" in refused.stderr


def _same_table(ours: dict, theirs: dict) -> None:
    assert [set(b) for b in ours["bins"]] == [set(b) for b in theirs["bins"]]
    for a, b in zip(ours["bins"], theirs["bins"]):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
    assert ours.get("brier_decomposition", {}) == pytest.approx(theirs.get("brier_decomposition", {}), rel=1e-12)


def _calibrated_file(write, n: int = 3000, name: str = "cal.csv", seed: int = 0) -> tuple[str, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(size=n), 4)
    y = (rng.uniform(size=n) < p**1.3).astype(int)
    site = np.array(["north", "south", "east"])[rng.integers(0, 3, n)]
    text = "y_true,y_pred,site\n" + "".join(f"{a},{b},{s}\n" for a, b, s in zip(y, p, site))
    return write(name, text), y, p


def test_the_cli_reports_the_table_and_every_path_gives_the_same_numbers(write, tmp_path):
    path, y, p = _calibrated_file(write)
    args = ["-l", "ece", "-l", "mce", "--format", "json"]
    whole = run("eval", path, *args).json["results"][0]
    ece, mce = _sklearn_ece(y.astype(float), p, 15)
    assert whole["losses"]["ece"] == pytest.approx(ece, rel=1e-12)
    assert whole["losses"]["mce"] == pytest.approx(mce, rel=1e-12)
    assert whole["calibration"]["of"] == "positive class" and len(whole["calibration"]["bins"]) == 15
    assert sum(b["weight"] for b in whole["calibration"]["bins"]) == len(y)
    lines = Path(path).read_text().splitlines()
    states = []
    for i, part in enumerate((lines[1:1000], lines[1000:])):
        shard = write(f"part{i}.csv", "\n".join([lines[0], *part]) + "\n")
        states.append(tmp_path / f"s{i}.json")
        run("eval", shard, *args, "--state", states[-1])
    merged = run("merge", *states, "--format", "json").json["results"][0]
    assert merged["losses"] == pytest.approx(whole["losses"], rel=1e-12)
    _same_table(merged["calibration"], whole["calibration"])
    groups = run("eval", path, *args, "--group-by", "site").json["results"][1:]
    for group in groups:
        rows = np.array([line.split(",")[2] == group["group"] for line in lines[1:]])
        assert group["losses"]["ece"] == pytest.approx(_sklearn_ece(y[rows].astype(float), p[rows], 15)[0], rel=1e-12)
        assert "calibration" not in group  # (the table is the overall result's)
    interval = run("eval", path, *args, "--ci", "0.9", "--bootstrap", "200").json["results"][0]["ci"]["ece"]
    assert interval[0] < whole["losses"]["ece"] < interval[1]


def test_dask_shards_give_the_one_piece_values(write, tmp_path):
    pytest.importorskip("dask")
    path, _, _ = _calibrated_file(write)
    lines = Path(path).read_text().splitlines()
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, part in enumerate((lines[1:1200], lines[1200:2100], lines[2100:])):
        (folder / f"part{i}.csv").write_text("\n".join([lines[0], *part]) + "\n")
    args = ["-l", "ece", "--param", "ece.strategy=quantile", "--format", "json"]
    whole = run("eval", path, *args).json["results"][0]
    sharded = run("eval", str(folder / "*.csv"), *args, "--engine", "dask").json["results"][0]
    assert sharded["losses"]["ece"] == pytest.approx(whole["losses"]["ece"], rel=1e-12)
    _same_table(sharded["calibration"], whole["calibration"])


def test_table_markdown_and_plot(write, tmp_path):
    path, _, _ = _calibrated_file(write)
    table = run("eval", path, "-l", "ece", "--format", "table").stdout
    assert "reliability (positive class, uniform bins)" in table and "Brier = reliability" in table
    markdown = run("eval", path, "-l", "ece", "--format", "markdown").stdout
    assert "| bin | rows | conf | acc | gap |" in markdown
    pytest.importorskip("matplotlib")
    for suffix in ("png", "svg"):
        out = tmp_path / f"rel.{suffix}"
        report = run("eval", path, "--plot", out, "--format", "json").json
        assert out.stat().st_size > 1000 and "ece" in report["results"][0]["losses"]  # (--plot computes ece)
        assert "brier" in report["results"][0]["losses"]  # (and the default losses stay)


def test_plot_without_a_classification_pair_or_a_place_is_a_usage_error(write, tmp_path):
    regression = write("r.csv", "y_true,y_pred\n1.5,1.2\n2.5,2.9\n")
    found = run("eval", regression, "--plot", tmp_path / "rel.png")
    assert found.code == 2 and "no pair has a reliability diagram" in found.stderr
    pytest.importorskip("matplotlib")
    path, _, _ = _calibrated_file(write)
    found = run("eval", path, "--plot", tmp_path / "missing" / "rel.png")
    assert found.code == 2 and "cannot write it" in found.stderr


def test_list_and_explain_give_the_formula():
    listed = json.loads(run("list", "--format", "json").stdout)["losses"]
    assert {"ece", "mce"} <= {entry["name"] for entry in listed}
    assert "Expected calibration error" in run("explain", "expected_calibration_error").stdout
