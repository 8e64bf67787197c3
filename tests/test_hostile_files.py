"""Files losscli did not write (issue 13): hand-edited states and baselines are refused with a reason."""

from __future__ import annotations

import json

import pytest

from .conftest import run

MODELS = "y_true,pred_lr,pred_rf\n1,0.9,0.6\n0,0.2,0.45\n1,0.7,0.55\n0,0.3,0.4\n"


@pytest.fixture
def saved(write, tmp_path):
    path = write("p.csv", MODELS)
    assert run("eval", path, "--state", tmp_path / "s.json", "--ci", "0.9").code == 0
    assert run("eval", path, "--format", "json", "--output", tmp_path / "b.json").code == 0
    return json.loads((tmp_path / "s.json").read_text()), json.loads((tmp_path / "b.json").read_text())


@pytest.mark.parametrize("edit, words", [
    (lambda s: s["pairs"][0]["losses"]["binary_crossentropy"]["partial"].update(weighted_sum=-5.0), "negative sums"),
    (lambda s: s["pairs"][0]["losses"]["brier"]["partial"].update(weight=float("nan")), "weight nan"),
    (lambda s: s["pairs"][0]["losses"]["brier"]["partial"].update(rows=-1), "rows -1"),
    (lambda s: s["pairs"][0].update(boot_groups=10 ** 12), "at most 1000"),
    (lambda s: s["settings"].update(bootstrap=10 ** 12), "bootstrap resamples"),
    (lambda s: s["pairs"][0]["losses"]["weighted_crossentropy"]["partial"].update(class_sums=[1.0]), "shape"),
])
def test_a_hand_edited_state_is_refused_with_its_reason(saved, tmp_path, edit, words):
    state, _ = saved
    edit(state)
    (tmp_path / "bad.json").write_text(json.dumps(state))
    result = run("merge", tmp_path / "bad.json")
    assert result.code == 3 and "damaged state file" in result.stderr and words in result.stderr


@pytest.mark.parametrize("value", ["x", [1, 2], {"a": 1}, True])
def test_a_baseline_with_a_non_number_loss_is_refused(saved, write, tmp_path, value):
    _, baseline = saved
    baseline["results"][0]["losses"]["brier"] = value
    (tmp_path / "bad.json").write_text(json.dumps(baseline))
    result = run("eval", write("p.csv", MODELS), "--baseline", tmp_path / "bad.json")
    assert result.code == 3 and "not a losscli report" in result.stderr


def test_json_nested_too_deep_is_refused_not_a_crash(write, tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deep" in run("merge", tmp_path / "deep.json").stderr
    result = run("eval", write("p.csv", MODELS), "--baseline", tmp_path / "deep.json")
    assert result.code == 3 and "nested too deep" in result.stderr
