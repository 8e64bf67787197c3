"""The Makefile: `make demo` installs the runtime only; `make test` adds the test extras."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(target: str, venv: Path) -> list[str]:
    """The commands `make TARGET` would run with VENV at ``venv`` (a dry run: nothing is installed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}  # (under make test)
    out = subprocess.run(["make", "--no-print-directory", "-n", target, f"VENV={venv}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def installs(commands: list[str]) -> list[str]:
    return [c.split("install --quiet ", 1)[1] for c in commands if "pip install --quiet -e" in c]


def test_demo_from_nothing_installs_the_runtime_only(tmp_path):
    commands = planned("demo", tmp_path / "venv")
    assert any(c.endswith(f"-m venv {tmp_path / 'venv'}") for c in commands)
    assert installs(commands) == ["-e ."]


def test_test_from_nothing_builds_the_venv_and_installs_the_test_extras(tmp_path):
    commands = planned("test", tmp_path / "venv")
    assert any(c.endswith(f"-m venv {tmp_path / 'venv'}") for c in commands)
    assert installs(commands) == ["-e .", "-e '.[test]'"]
    assert commands[-1].endswith("-m pytest -n auto")  # on every core


def test_test_after_demo_adds_only_the_test_extras(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".runtime").touch()  # what `make demo` leaves
    later = (ROOT / "pyproject.toml").stat().st_mtime + 10
    os.utime(venv / ".runtime", (later, later))
    commands = planned("test", venv)
    assert not any("-m venv" in c for c in commands)
    assert installs(commands) == ["-e '.[test]'"]


def test_lint_runs_ruff_and_mypy_after_installing_the_test_extras_and_ci_runs_it(tmp_path):
    commands = planned("lint", tmp_path / "venv")
    assert installs(commands) == ["-e .", "-e '.[test]'"]
    assert commands[-2].endswith("ruff check losscli tests") and commands[-1].endswith("mypy")
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make lint") < ci.index("make test")
