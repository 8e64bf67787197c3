"""CI gates as a pipeline runs them: thresholds, config files, baselines, compare, intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics

from losscli import registry
from losscli.bootstrap import Resampler

from .conftest import SAMPLE_DATA, csv_text, run

BINARY = SAMPLE_DATA / "binary_probabilities.csv"
# binary_probabilities.csv: log loss 0.0829, brier 0.0228 (asserted against scikit-learn in test_sample_data)


def test_max_passes_and_fails_with_value_and_threshold():
    passed = run("eval", BINARY, "--max", "binary_crossentropy=0.2")
    assert passed.code == 0 and passed.json["passed"] is True
    (gate,) = passed.json["gates"]
    assert gate["pair"] == "y" and gate["loss"] == "binary_crossentropy" and gate["max"] == 0.2 and gate["passed"]
    failed = run("eval", BINARY, "--max", "brier=0.01")
    assert failed.code == 1 and failed.json["passed"] is False
    assert "gate failed: y brier = 0.0227976 > max 0.01" in failed.stderr


def test_pair_qualified_and_alias_gates():
    result = run("eval", BINARY, "--max", "y:log_loss=0.05", "--max", "BCELoss=0.5")
    assert result.code == 1
    assert [(g["loss"], g["passed"]) for g in result.json["gates"]] == [("binary_crossentropy", False), ("binary_crossentropy", True)]


@pytest.mark.parametrize("flag, message", [
    ("z:brier=0.1", "no pair 'z'"),
    ("mse=1", "applies to no pair"),
    ("brier=lots", "is not a number"),
    ("brier", "expected [PAIR:]LOSS=VALUE"),
    ("breir=0.1", "did you mean 'brier'"),
])
def test_bad_gates_are_usage_errors(flag, message):
    result = run("eval", BINARY, "--max", flag)
    assert result.code == 2 and message in result.stderr


def test_gate_on_a_loss_not_listed_by_default_is_computed():
    result = run("eval", BINARY, "--loss", "brier", "--max", "zero_one=0.5")
    assert result.code == 0 and set(result.json["results"][0]["losses"]) == {"brier", "zero_one"}


def test_gate_on_a_skipped_loss_fails_with_the_reason():
    result = run("eval", BINARY, "--max", "hinge=1")
    assert result.code == 1 and result.json["gates"][0]["reason"].startswith("predictions are probabilities")


def _project(tmp_path: Path, text: str, name: str = "pyproject.toml") -> Path:
    (tmp_path / name).write_text(text)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    return sub


def test_config_found_from_a_subfolder(tmp_path, monkeypatch):
    sub = _project(tmp_path, '[project]\nname = "x"\n\n[tool.losscli]\nloss = ["binary_crossentropy", "brier"]\n'
                             'params = { focal = { gamma = 3.0 } }\n[tool.losscli.gates]\n'
                             'binary_crossentropy = { max = 0.2 }\n"y:brier" = { max = 0.01 }\n')
    monkeypatch.chdir(sub)
    result = run("eval", BINARY)
    assert result.code == 1
    assert list(result.json["results"][0]["losses"]) == ["binary_crossentropy", "brier"]
    assert [(g["loss"], g["passed"]) for g in result.json["gates"]] == [("binary_crossentropy", True), ("brier", False)]
    # flags override the file: the same gate, loosened; --loss replaces the list
    result = run("eval", BINARY, "--max", "y:brier=0.05", "--loss", "brier")
    assert result.code == 0 and list(result.json["results"][0]["losses"]) == ["brier", "binary_crossentropy"]
    assert run("eval", BINARY, "--no-config").json["gates"] == []


def test_a_pyproject_is_read_only_when_it_names_losscli(tmp_path, monkeypatch):
    """A pyproject.toml that never says "losscli" cannot configure it: it is not parsed (even if it
    is not valid TOML); one that configures losscli with dotted keys still counts."""
    monkeypatch.chdir(_project(tmp_path, '[project\nname = "x"\n'))
    assert run("eval", BINARY).code == 0
    (tmp_path / "pyproject.toml").write_text('[tool]\nlosscli.gates = { brier = 0.01 }\n')
    result = run("eval", BINARY)
    assert result.code == 1 and result.json["gates"][0]["max"] == 0.01


def test_losscli_toml_at_the_top_level(tmp_path, monkeypatch):
    sub = _project(tmp_path, 'loss = ["brier"]\n[gates]\nbrier = 0.01\n', "losscli.toml")
    monkeypatch.chdir(sub)
    result = run("eval", BINARY)
    assert result.code == 1 and result.json["gates"][0]["max"] == 0.01


@pytest.mark.parametrize("text, message", [
    ("[tool.losscli]\nlos = ['brier']\n", "key 'los' is not a losscli setting (did you mean 'loss'?)"),
    ("[tool.losscli]\nloss = 3\n", "key 'loss' must be a list"),
    ("[tool.losscli.gates]\nbrier = { maximum = 0.1 }\n", "key 'gates.brier.maximum'"),
    ("[tool.losscli.gates]\nbrier = { max = 'x' }\n", "is not a number"),
    ("[tool.losscli.gates]\nbreir = 0.1\n", "unknown loss 'breir'"),
    ("[tool.losscli\n", "not valid TOML"),
])
def test_bad_config_is_exit_3_naming_file_and_key(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(_project(tmp_path, text))
    result = run("eval", BINARY)
    assert result.code == 3, result.stderr
    assert "pyproject.toml" in result.stderr and message in result.stderr
    # the file is named once, at the start: "error: config /…/pyproject.toml: key 'los' …"
    assert result.stderr.startswith(f"error: config {tmp_path / 'pyproject.toml'}: ")
    assert result.stderr.count("pyproject.toml") == 1


def test_baseline_with_and_without_tolerance(tmp_path):
    base = tmp_path / "base.json"
    assert run("eval", BINARY, "--format", "json", "--output", base).code == 0
    same = run("eval", BINARY, "--baseline", base)
    assert same.code == 0 and same.json["gates"] and all(g["passed"] for g in same.json["gates"])
    worse = tmp_path / "worse.csv"
    df = np.genfromtxt(BINARY, delimiter=",", names=True)
    worse.write_text(csv_text({"id": df["id"].astype(int), "y_true": df["y_true"].astype(int),
                               "y_pred": np.clip(df["y_pred"] * 0.9 + 0.05, 0, 1)}))
    result = run("eval", worse, "--baseline", base)
    assert result.code == 1
    failed = {g["loss"] for g in result.json["gates"] if not g["passed"]}
    assert "binary_crossentropy" in failed
    brier = next(g for g in result.json["gates"] if g["loss"] == "brier")
    assert brier["baseline"] == pytest.approx(json.loads(base.read_text())["results"][0]["losses"]["brier"])
    # a tolerance wide enough lets it pass: absolute, then relative
    assert run("eval", worse, "--baseline", base, "--tolerance", "1").code == 0
    assert run("eval", worse, "--baseline", base, "--tolerance", "1000%").code == 0
    assert "differs from baseline" in result.stderr and "data" in result.stderr


def test_baseline_of_another_task_is_explained_and_fails(tmp_path, write):
    base = tmp_path / "base.json"
    run("eval", write("r.csv", "y_true,y_pred\n1.5,1.0\n2.5,2.0\n"), "--output", base)
    result = run("eval", write("b.csv", "y_true,y_pred\n1,0.8\n0,0.3\n"), "--baseline", base)
    assert result.code == 1 and "task changed from regression to binary" in result.stderr


def test_a_baseline_with_another_positive_class_is_said(tmp_path, write):
    path = write("b.csv", "y_true,y_pred\n1,0.8\n0,0.3\n1,0.6\n0,0.4\n")
    base = tmp_path / "base.json"
    assert run("eval", path, "--output", base).code == 0
    result = run("eval", path, "--baseline", base, "--positive", "0")
    assert "differs from baseline" in result.stderr and "positive class 1 → 0" in result.stderr


def test_a_loss_whose_parameters_changed_is_not_compared_with_the_baseline(tmp_path, write):
    """A huber saved with delta 5 (7.24 here) passed a baseline gate at the default delta 1 (2.71), exit 0:
    two different quantities. Now that gate fails, saying why; the other losses are compared as before."""
    path = write("r.csv", "y_true,y_pred\n0,4\n10,2\n3,3.5\n")
    base = tmp_path / "base.json"
    assert run("eval", path, "--param", "huber.delta=5", "--output", base).code == 0
    result = run("eval", path, "--baseline", base)
    assert result.code == 1
    failed = [g for g in result.json["gates"] if not g["passed"]]
    assert [g["loss"] for g in failed] == ["huber"]
    assert "its parameters changed from delta=5.0 to delta=1.0; the baseline cannot be compared" in result.stderr
    assert "parameters huber.delta=5.0 → the defaults" in result.stderr
    # the two values the gate compared, by hand (|r| = 4, 8, 0.5): delta 5: ½·16 = 8, 5·(8 − 2.5) = 27.5, ½·0.25;
    # delta 1: 1·(4 − 0.5) = 3.5, 1·(8 − 0.5) = 7.5, ½·0.25
    assert json.loads(base.read_text())["results"][0]["losses"]["huber"] == pytest.approx((8 + 27.5 + 0.125) / 3)
    assert result.losses()["huber"] == pytest.approx((3.5 + 7.5 + 0.125) / 3)
    assert run("eval", path, "--baseline", base, "--param", "huber.delta=5").code == 0


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"), ('{"a": 1}', "not a losscli report"), (None, "no such file")])
def test_broken_baseline_is_exit_3(tmp_path, content, message):
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    result = run("eval", BINARY, "--baseline", path)
    assert result.code == 3 and message in result.stderr


def test_a_failing_gate_leaves_the_last_output_untouched(tmp_path):
    out = tmp_path / "report.json"
    run("eval", BINARY, "--output", out)
    before = out.read_text()
    result = run("eval", BINARY, "--max", "brier=0.001", "--output", out)
    assert result.code == 1 and out.read_text() == before and "left as it was" in result.stderr


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible():
    first = run("eval", BINARY, "--ci", "0.9", "--bootstrap", "400", "--seed", "7").json
    again = run("eval", BINARY, "--ci", "0.9", "--bootstrap", "400", "--seed", "7").json
    other = run("eval", BINARY, "--ci", "0.9", "--bootstrap", "400", "--seed", "8").json
    res = first["results"][0]
    assert res["ci"] == again["results"][0]["ci"] and res["ci"] != other["results"][0]["ci"]
    for name, (low, high) in res["ci"].items():
        assert low <= res["losses"][name] <= high, name
    assert "ci:0.9|boot:400|seed:7" in first["signature"] and first["bootstrap"]["ci"] == 0.9
    assert run("eval", BINARY, "--ci", "95").code == 2


def test_the_interval_does_not_depend_on_how_the_path_is_written(tmp_path, monkeypatch):
    """Rows are dealt into bootstrap groups by their row number and their file: by its name, not its
    path as typed (r/p.csv, ./r/p.csv and the absolute path gave three intervals)."""
    rng = np.random.default_rng(3)
    y = (rng.random(3000) < 0.4).astype(int)
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "p.csv").write_text(csv_text({"y_true": y, "y_pred": np.round(rng.random(3000), 4)}))
    monkeypatch.chdir(tmp_path)
    intervals = [run("eval", path, "--ci", "0.9", "--bootstrap", "200").json["results"][0]["ci"]
                 for path in ("r/p.csv", "./r/p.csv", tmp_path / "r" / "p.csv")]
    assert intervals[0] == intervals[1] == intervals[2]


def test_small_samples_resample_rows_exactly():
    # n <= 1000: each row is its own group, so every resampled value is a mean of resampled rows
    y = np.array([1.0, 0.0, 1.0])
    inputs = registry.Inputs("regression", "values", y, np.zeros(3))
    resampler = Resampler.make(3, 50, 0, 0.9)
    assert resampler.groups == 3 and resampler.counts.sum(axis=1).tolist() == [3.0] * 50
    values = registry.group_values(registry.lookup("mse", "regression"),
                                   registry.accumulate_groups(registry.lookup("mse", "regression"), inputs, {},
                                                              resampler.codes, 3).combine(resampler.counts))
    assert set(np.round(values * 3).astype(int)) <= {0, 1, 2, 3}


def test_interval_coverage_on_synthetic_data_with_a_known_answer():
    # MAE of N(0, 1) residuals is sqrt(2/pi); a 90% interval should cover it about 90% of the time
    truth = math.sqrt(2 / math.pi)
    spec = registry.lookup("mae", "regression")
    covered = 0
    trials = 200
    rng = np.random.default_rng(123)
    for seed in range(trials):
        y = rng.normal(size=3000)
        inputs = registry.Inputs("regression", "values", y, np.zeros_like(y))
        resampler = Resampler.make(len(y), 300, seed, 0.9)
        sums = registry.accumulate_groups(spec, inputs, {}, resampler.codes, resampler.groups)
        low, high = resampler.interval(registry.group_values(spec, sums.combine(resampler.counts)))
        covered += low <= truth <= high
    assert 0.84 <= covered / trials <= 0.96


def test_compare_a_model_with_itself_passes_and_with_a_worse_one_fails(tmp_path):
    result = run("compare", BINARY, BINARY, "--max-increase", "log_loss=0", "--max-increase", "brier=1%")
    assert result.code == 0, result.stderr
    res = result.json["results"][0]
    assert all(d == 0 for d in res["diff"].values()) and res["ci"]["brier"] == [0.0, 0.0]
    assert res["p_value"]["brier"] == 1.0
    worse = tmp_path / "worse.csv"
    df = np.genfromtxt(BINARY, delimiter=",", names=True)
    noisy = np.clip(df["y_pred"] + np.where(np.arange(len(df)) % 2, 0.3, -0.3), 0, 1)
    worse.write_text(csv_text({"id": df["id"].astype(int)[::-1], "y_true": df["y_true"].astype(int)[::-1],
                               "y_pred": noisy[::-1]}))  # another row order: aligned on id
    result = run("compare", BINARY, worse, "--max-increase", "brier=0.001", "--significant")
    assert result.code == 1
    res = result.json["results"][0]
    y, p = df["y_true"], df["y_pred"]
    assert res["base"]["brier"] == pytest.approx(metrics.brier_score_loss(y, p), rel=1e-9)
    assert res["losses"]["brier"] == pytest.approx(metrics.brier_score_loss(y, noisy), rel=1e-9)
    assert res["diff"]["brier"] == pytest.approx(res["losses"]["brier"] - res["base"]["brier"])
    low, high = res["ci"]["brier"]
    assert 0.001 < low <= res["diff"]["brier"] <= high and res["p_value"]["brier"] < 0.01
    assert "rose by" in result.stderr


def test_significant_does_not_fail_on_noise(tmp_path, write):
    rng = np.random.default_rng(5)
    y = (rng.uniform(size=200) < 0.5).astype(int)
    p = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.1, 200), 0.01, 0.99)
    q = np.clip(p + rng.normal(0, 0.01, 200), 0.01, 0.99)  # the same model, a little noise
    base = write("base.csv", csv_text({"y_true": y, "y_pred": p}))
    new = write("new.csv", csv_text({"y_true": y, "y_pred": q}))
    plain = run("compare", base, new, "--max-increase", "brier=0")
    significant = run("compare", base, new, "--max-increase", "brier=0", "--significant")
    diff = significant.json["results"][0]["diff"]["brier"]
    assert plain.code == (1 if diff > 0 else 0)
    assert significant.code == 0


def test_compare_refuses_different_labels_or_rows(write):
    base = write("base.csv", "y_true,y_pred\n1,0.8\n0,0.3\n")
    assert "disagree on the labels" in run("compare", base, write("n1.csv", "y_true,y_pred\n0,0.8\n0,0.3\n")).stderr
    assert run("compare", base, write("n2.csv", "y_true,y_pred\n1,0.8\n0,0.3\n1,0.5\n")).code == 3


def test_github_actions_annotations_and_step_summary(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run("eval", BINARY, "--max", "brier=0.01")
    assert result.code == 1
    assert "::error title=losscli gate failed::y brier = 0.0227976 > max 0.01" in result.stderr
    assert summary.read_text().startswith("<!-- losscli-report -->") and "❌ fail" in summary.read_text()
    json.loads(result.stdout)  # stdout is still pure JSON


def test_markdown_shows_gates_and_the_marker():
    text = run("eval", BINARY, "--max", "brier=0.05", "--format", "markdown").stdout
    assert text.splitlines()[0] == "<!-- losscli-report -->"
    assert "✅ all gates passed" in text and "| `y` brier (`--max`) | 0.0227976 | 0.05 | ✅ pass |" in text


def test_an_explicit_config_file(tmp_path):
    config = tmp_path / "gates.toml"
    config.write_text('[gates]\nbrier = { max = 0.01 }\n')
    result = run("eval", BINARY, "--config", config)
    assert result.code == 1 and result.json["gates"][0]["max"] == 0.01
    assert run("eval", BINARY, "--config", tmp_path / "missing.toml").code == 3


def test_merge_applies_gates(tmp_path):
    state = tmp_path / "s.json"
    assert run("eval", BINARY, "--state", state).code == 0
    result = run("merge", state, "--max", "brier=0.01")
    assert result.code == 1 and result.json["gates"][0]["value"] == pytest.approx(0.0227976, rel=1e-5)
