"""Gates on groups and classes and warn-level gates (issue 18): ``--max 'site=*:log_loss=0.3'``
judges every group by the worst, ``site=north:…`` one group, ``class=*:…`` every true class, and
``--warn`` reports a gate above its max without failing the run."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from sklearn import metrics

from .conftest import run


@pytest.fixture
def sites(write):
    """Three sites; east's negatives are pushed up, so east has the worst log loss."""
    rng = np.random.default_rng(6)
    n = 600
    site = np.array(["north", "south", "east"])[rng.integers(0, 3, n)]
    y = (rng.uniform(size=n) < 0.5).astype(int)
    p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.15, n) + 0.3 * ((site == "east") & (y == 0)), 0.01, 0.99).round(4)
    text = "y_true,y_pred,site\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(y, p, site))
    return write("sites.csv", text), y, p, site


def _log_loss(y, p, rows):
    return metrics.log_loss(y[rows], p[rows], labels=[0, 1])


def test_every_group_is_judged_by_the_worst(sites):
    path, y, p, site = sites
    values = {name: _log_loss(y, p, site == name) for name in ("east", "north", "south")}
    limit = sorted(values.values())[1] + 1e-9  # between the second worst and the worst: one group above it
    found = run("eval", path, "--group-by", "site", "--max", f"site=*:log_loss={limit}", "--format", "json")
    (gate,) = found.json["gates"]
    assert found.code == 1 and found.json["passed"] is False
    assert (gate["scope"], gate["group"], gate["failing"], gate["of"]) == ("site=*", "east", 1, 3)
    assert gate["value"] == pytest.approx(values["east"], rel=1e-12) and gate["max"] == limit
    assert "y binary_crossentropy of site=east" in found.stderr and "the worst of 3; 1 above the max" in found.stderr
    passed = run("eval", path, "--group-by", "site", "--max", f"site=*:log_loss={max(values.values()) + 1e-9}")
    assert passed.code == 0


def test_one_group_and_an_unknown_one(sites):
    path, y, p, site = sites
    found = run("eval", path, "--group-by", "site", "--max", "site=north:brier=0.5", "--format", "json")
    (gate,) = found.json["gates"]
    assert found.code == 0 and gate["group"] == "north" and gate["of"] == 1
    north = site == "north"
    assert gate["value"] == pytest.approx(metrics.brier_score_loss(y[north], p[north]), rel=1e-12)
    unknown = run("eval", path, "--group-by", "site", "--max", "site=west:brier=0.5")
    assert unknown.code == 2 and "no site 'west'" in unknown.stderr and "did you mean 'east'" in unknown.stderr


def test_a_group_gate_needs_its_group_by(sites):
    path, *_ = sites
    found = run("eval", path, "--max", "site=*:brier=0.5")
    assert found.code == 2 and "add --group-by site" in found.stderr
    found = run("eval", path, "--group-by", "site", "--max", "region=*:brier=0.5")
    assert found.code == 2 and "add --group-by region (not site)" in found.stderr


def test_every_true_class_turns_per_class_on(sites):
    """class=*: each class's zero-one loss is 1 − its recall; the worst class is judged."""
    path, y, p, _ = sites
    predicted = (p > 0.5).astype(int)
    recall = metrics.recall_score(y, predicted, average=None, labels=[0, 1])
    found = run("eval", path, "--max", "class=*:zero_one=0.01", "--format", "json")
    (gate,) = found.json["gates"]
    worst = int(np.argmin(recall))
    assert found.code == 1 and gate["group"] == str(worst) and gate["value"] == pytest.approx(1 - recall[worst])
    assert "per_class" in found.json["results"][0]


def test_warn_reports_without_failing_everywhere(sites, tmp_path, monkeypatch):
    path, *_ = sites
    junit = tmp_path / "gates.xml"
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    found = run("eval", path, "--group-by", "site", "--warn", "site=*:log_loss=0.01", "--max", "brier=0.9",
                "--junit", junit, "--format", "json")
    assert found.code == 0 and found.json["passed"] is True
    plain, warned = found.json["gates"]  # (the --max gates, then the --warn ones)
    assert warned["level"] == "warn" and warned["passed"] is False and "level" not in plain
    assert "gate warned:" in found.stderr and "a warning, not a failure" in found.stderr
    assert "::warning title=losscli gate warned::" in found.stderr and "::error" not in found.stderr
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0" and suite.get("tests") == "2"
    assert "warning:" in suite.find("testsuite/testcase[2]/system-out").text
    assert "⚠️ warn" in summary.read_text() and "with warnings" in summary.read_text()
    assert "passed=true" in outputs.read_text()
    prom = run("eval", path, "--group-by", "site", "--warn", "site=*:log_loss=0.01", "--format", "openmetrics").stdout
    assert 'losscli_gate_passed{pair="y",loss="binary_crossentropy",source="--warn",gate="1",scope="site=*",' \
           'level="warn"} 0' in prom


def test_config_file_gates_and_warnings(sites, tmp_path, monkeypatch):
    path, *_ = sites
    (tmp_path / "losscli.toml").write_text('[gates]\n"site=*:log_loss" = 5.0\n[warn]\nbrier = 0.01\n')
    monkeypatch.chdir(tmp_path)
    found = run("eval", path, "--group-by", "site", "--format", "json")
    assert found.code == 0
    assert [(g.get("scope"), g.get("level", "fail"), g["passed"]) for g in found.json["gates"]] \
        == [("site=*", "fail", True), (None, "warn", False)]


def test_compare_and_merge(sites, tmp_path):
    path, *_ = sites
    found = run("compare", path, path, "--max", "site=*:brier=0.5")
    assert found.code == 2 and "add --group-by site" in found.stderr
    found = run("compare", path, path, "--max-increase", "site=*:brier=0.5")
    assert found.code == 2 and "judges the overall results" in found.stderr
    state = tmp_path / "s.json"
    run("eval", path, "--group-by", "site", "--state", state)
    merged = run("merge", state, "--warn", "site=*:log_loss=0.01", "--format", "json")
    assert merged.code == 0 and merged.json["gates"][0]["group"] == "east"
