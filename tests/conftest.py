"""Shared helpers: run the CLI in-process and write small input files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from losscli.cli import app

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def losses(self, i: int = 0) -> dict[str, float]:
        return self.json["results"][i]["losses"]


def run(*args: str, input: str | bytes | None = None) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def write(tmp_path: Path):
    """``write("name.csv", "a,b\\n1,2\\n")`` -> the path, as a string."""

    def _write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return str(path)

    return _write


def csv_text(columns: dict[str, list[Any]]) -> str:
    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    return ",".join(names) + "\n" + "".join(",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in row) + "\n"
                                             for row in rows)


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test sees the built-in losses only: losses its plugins register are gone afterwards."""
    from losscli import plugins, registry

    specs = {name: dict(by_task) for name, by_task in registry._SPECS.items()}
    aliases = {key: set(names) for key, names in registry._ALIASES.items()}
    loaded, files = set(plugins._LOADED), list(plugins._FILES)
    yield
    registry._SPECS.clear()
    registry._SPECS.update(specs)
    registry._ALIASES.clear()
    registry._ALIASES.update(aliases)
    plugins._LOADED.clear()
    plugins._LOADED.update(loaded)
    plugins._FILES[:] = files


@pytest.fixture(autouse=True)
def chunks_as_read(monkeypatch):
    """Tests evaluate the pieces and blocks as the reader hands them on: a test that makes chunks
    small to cross their edges sees every edge, not chunks gathered to the sizes that pay off on big
    files (tests/test_reading.py checks the gathering)."""
    from losscli import evaluation

    for name in ("CHUNK_ROWS", "CHUNK_CELLS", "GROUP_CELLS"):
        monkeypatch.setattr(evaluation, name, 1)
