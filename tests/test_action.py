"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run as Actions
and pre-commit run them: the action's step as a shell script with Actions' environment variables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "sample_data" / "binary_probabilities.csv"


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_every_input_reaches_the_script_as_an_environment_variable_never_as_its_text():
    spec = action()
    (step,) = spec["runs"]["steps"]
    assert spec["runs"]["using"] == "composite"
    assert step["run"] == 'bash "$LOSSCLI_ACTION_PATH/.github/losscli-action.sh"'
    assert "${{" not in step["run"]  # (an expression in the script's text would be code from data)
    wanted = {"file", "labels", "baseline", "tolerance", "max", "comment", "args", "install"}
    assert set(spec["inputs"]) == wanted
    for name in wanted:
        assert step["env"][f"LOSSCLI_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"
    assert spec["outputs"]["passed"]["value"] == "${{ steps.eval.outputs.passed }}"


def run_action(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """The action's step as the runner runs it: bash, Actions' variables, the inputs as LOSSCLI_*."""
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "RUNNER_TEMP": str(tmp_path),
           "GITHUB_REPOSITORY": "o/r",
           "LOSSCLI_ACTION_PATH": str(ROOT), "PATH": f"{tmp_path / 'bin'}{os.pathsep}{Path(sys.executable).parent}"
                                                     f"{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.update({f"LOSSCLI_{name.upper()}": value for name, value in inputs.items()})
    done = subprocess.run(["bash", str(ROOT / ".github" / "losscli-action.sh")], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    values = {}
    for line in outputs.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = value
    return done, values


@pytest.fixture(autouse=True)
def losscli_installed():
    if shutil.which("losscli", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the losscli command is not installed beside this Python (make test installs it)")


def test_the_action_passes_gates_and_sets_its_outputs(tmp_path):
    done, outputs = run_action(tmp_path, file=str(BINARY), max="brier=0.5\nlog_loss=5")
    assert done.returncode == 0, done.stderr
    assert outputs["passed"] == "true" and float(outputs["y__brier"]) == pytest.approx(0.0227976, rel=1e-5)
    report = json.loads(Path(outputs["report"]).read_text())
    assert [gate["loss"] for gate in report["gates"]] == ["brier", "binary_crossentropy"]
    assert json.loads(outputs["metrics"]) == report["metrics"]


def test_the_action_fails_the_step_when_a_gate_fails(tmp_path):
    done, outputs = run_action(tmp_path, file=str(BINARY), max="brier=0.01")
    assert done.returncode == 1
    assert outputs["passed"] == "false"
    assert "::error title=losscli gate failed::y brier = 0.0227976 > max 0.01" in done.stderr


def test_a_hostile_file_name_is_an_argument_and_nothing_else(tmp_path):
    name = tmp_path / '$(touch pwned) `touch pwned2`; touch pwned3 "x.csv'
    shutil.copy(BINARY, name)
    done, outputs = run_action(tmp_path, file=str(name), max="brier=0.5", args="--loss brier")
    assert done.returncode == 0, done.stderr
    assert not any((tmp_path / p).exists() for p in ("pwned", "pwned2", "pwned3"))
    assert list(json.loads(outputs["metrics"])["y"]) == ["brier"]


def fake_gh(tmp_path: Path, earlier: str = "") -> Path:
    """A gh on PATH that records its arguments, keeps the body it is given, and lists ``earlier``
    as the id of a comment that starts with the report's marker."""
    calls = tmp_path / "gh_calls"
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{calls}"\n'
                    f'[ "$1" = api ] && [ "${{2%/comments}}" != "$2" ] && [ -n "{earlier}" ] && echo "{earlier}"\n'
                    f'while [ $# -gt 0 ]; do\n  [ "$1" = --body-file ] && cp "$2" "{tmp_path}/body.md"\n'
                    f'  case "$1" in body=@*) cp "${{1#body=@}}" "{tmp_path}/body.md";; esac\n  shift\ndone\n')
    fake.chmod(0o755)
    return calls


def test_comment_adds_the_markdown_report_to_the_pull_request(tmp_path):
    calls = fake_gh(tmp_path)
    done, _ = run_action(tmp_path, file=str(BINARY), comment="true", PR="42")
    assert done.returncode == 0, done.stderr
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("api repos/o/r/issues/42/comments --paginate")
    assert lines[1].startswith("pr comment 42 --body-file ")
    assert (tmp_path / "body.md").read_text().startswith("<!-- losscli-report -->")


def test_comment_edits_the_comment_that_holds_the_marker_and_no_other(tmp_path):
    calls = fake_gh(tmp_path, earlier="77")
    done, _ = run_action(tmp_path, file=str(BINARY), comment="true", PR="42", args="--explain")
    assert done.returncode == 0, done.stderr
    lines = calls.read_text().splitlines()
    assert lines[1].startswith("api --method PATCH repos/o/r/issues/comments/77 -F body=@")
    assert len(lines) == 2
    assert (tmp_path / "body.md").read_text().startswith("<!-- losscli-report -->")


def test_the_pre_commit_hook_runs_losscli_eval_on_the_files_it_is_given():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "losscli" and hook["language"] == "python"
    assert hook["entry"] == "losscli eval" and hook["pass_filenames"] is False
    assert hook["files"] and hook["always_run"] is False
    args = [*hook["entry"].split(), str(BINARY), "--max", "brier=0.01", "--quiet"]
    done = subprocess.run([str(Path(sys.executable).parent / args[0]), *args[1:]], capture_output=True, text=True)
    assert done.returncode == 1 and "gate failed: y brier" in done.stderr


def test_pre_commit_runs_the_hook_from_this_repository(tmp_path):
    """pre-commit itself (a test dependency): it clones this repository at HEAD, installs the hook's
    environment from it (pip, from its cache when warm: about 30 s) and runs the hook on a project."""
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if pre_commit is None or head.returncode != 0:
        pytest.skip("pre-commit, or this repository's git history, is not here")
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(BINARY, project / "preds.csv")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head.stdout.strip()}\n    hooks:\n      - id: losscli\n"
        "        args: [preds.csv, --max, 'brier=0.01', --quiet, --format, table]\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "ci",
           "GIT_AUTHOR_EMAIL": "ci@example.com", "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=project, check=True, env=env)
    done = subprocess.run([pre_commit, "run", "--all-files"], cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "losscli gates" in done.stdout and "Failed" in done.stdout
    assert "gate failed: y brier = 0.0227976 > max 0.01" in done.stdout
