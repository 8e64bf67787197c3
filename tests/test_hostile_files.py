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


PLUGIN = '''
import numpy as np
from losscli import loss

@loss("cube_error", tasks=["regression"])
def cube_error(y_true, y_pred):
    """Mean of |y - ŷ|³."""
    return np.abs(y_true - y_pred) ** 3
'''


@pytest.mark.parametrize("unsafe", ["owner", "writable"])
def test_a_config_file_runs_plugins_only_when_it_is_yours_and_no_one_elses(tmp_path, monkeypatch, unsafe):
    import os

    (tmp_path / "mine.py").write_text(PLUGIN)
    config = tmp_path / "losscli.toml"
    config.write_text('plugins = ["mine.py"]\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1.0,1.5\n2.0,2.0\n")
    assert run("list", "--format", "json").code == 0  # the file is the user's: its plugin loads
    if unsafe == "owner":
        if os.getuid() != 0:
            pytest.skip("giving a file to another user needs root (CI runs as root)")
        os.chown(config, 12345, 12345)  # another user's file
    else:
        config.chmod(0o666)
    for command in (["list"], ["explain", "mse"], ["eval", "p.csv"], ["merge", "x.json"]):
        result = run(*command)
        assert result.code == 3 and "losscli.toml" in result.stderr and "--no-config" in result.stderr, command
    assert run("list", "--no-config", "--format", "json").code == 0
    assert run("eval", "p.csv", "--no-config", "--format", "json").code == 0
    assert run("history", "--help").stdout.count("--no-config") == 1


def test_explain_names_the_plugins_a_config_file_loads(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(PLUGIN)
    (tmp_path / "losscli.toml").write_text('plugins = ["mine.py"]\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1.0,1.5\n2.0,2.0\n")
    result = run("eval", "p.csv", "--explain", "--format", "json", "--loss", "cube_error")
    assert result.code == 0 and "plugins of" in result.stderr and "mine.py" in result.stderr
    assert result.losses() == {"cube_error": pytest.approx(0.5 ** 3 / 2)}
