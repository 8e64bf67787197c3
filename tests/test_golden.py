"""Golden outputs: the report of every sample file, every corpus case and some option-rich runs is unchanged.

The cases and their outputs are in tests/golden/*.json, written by tests/golden/make_golden.py (run as
``python -m losscli`` from the repository root, with relative paths). Each case runs here in-process
from the repository root; exit code, JSON (or csv/markdown text) and, for a non-zero exit, standard
error must equal the stored ones, key order included, floats (in JSON and in csv/markdown text) to a
relative 1e-12: the last bit of a bootstrap interval depends on how many threads OpenBLAS uses (the
console script sets one, an in-process run has one per core). A failure names the first differing
key path. After an intended change of output: ``python tests/golden/make_golden.py``.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run
from tests.golden import make_golden

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOT = GOLDEN.parent.parent
STORED = {group: json.loads((GOLDEN / f"{group}.json").read_text(encoding="utf-8")) for group in make_golden.GROUPS}
CASES = [(group, entry) for group, entries in STORED.items() for entry in entries]
REL = 1e-12  # pytest.approx(rel=1e-12) semantics for every float
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _close(expected: float, actual: float) -> bool:
    return expected == actual or math.isclose(expected, actual, rel_tol=REL) or (
        math.isnan(expected) and math.isnan(actual))


def _same_line(expected: str, actual: str) -> bool:
    """Equal text, but for numbers that differ by less than REL (csv prints floats in full)."""
    if expected == actual:
        return True
    if NUMBER.split(expected) != NUMBER.split(actual):
        return False
    old, new = NUMBER.findall(expected), NUMBER.findall(actual)
    return len(old) == len(new) and all(_close(float(e), float(a)) for e, a in zip(old, new))


def _path(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:300] + "…"


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where ``actual`` first differs from ``expected``, as a readable line; None when they are equal."""
    where = path or "(top)"
    if type(expected) is not type(actual):  # 1 and 1.0, or 1 and True, are not the same JSON
        return (f"{where}: golden {_short(expected)} ({type(expected).__name__}), "
                f"now {_short(actual)} ({type(actual).__name__})")
    if isinstance(expected, dict):
        if list(expected) != list(actual):
            missing = [k for k in expected if k not in actual]
            extra = [k for k in actual if k not in expected]
            if missing or extra:
                return f"{where}: keys missing {missing}, keys added {extra}"
            return f"{where}: key order {list(expected)} is now {list(actual)}"
        for key in expected:
            found = first_difference(expected[key], actual[key], _path(path, key))
            if found:
                return found
        return None
    if isinstance(expected, list):
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = first_difference(e, a, _path(path, i))
            if found:
                return found
        if len(expected) != len(actual):
            longer = expected if len(expected) > len(actual) else actual
            return (f"{where}: {len(expected)} items, now {len(actual)} "
                    f"(first unmatched: {_short(longer[min(len(expected), len(actual))])})")
        return None
    if isinstance(expected, float):
        if _close(expected, actual):
            return None
        rel = abs(actual - expected) / max(abs(expected), abs(actual))
        return f"{where}: golden {expected!r}, now {actual!r} (relative difference {rel:.2g})"
    if isinstance(expected, str) and expected != actual:
        if "\n" in expected or "\n" in actual:
            old, new = expected.splitlines(), actual.splitlines()
            if len(old) == len(new) and all(_same_line(e, a) for e, a in zip(old, new)):
                return None
            line = next((i for i, (e, a) in enumerate(zip(old, new)) if not _same_line(e, a)),
                        min(len(old), len(new)))
            e_line = old[line] if line < len(old) else "(no line)"
            a_line = new[line] if line < len(new) else "(no line)"
            return f"{where}, line {line + 1}:\n  golden {e_line!r}\n  now    {a_line!r}"
        return f"{where}: golden {expected!r}, now {actual!r}"
    return None if expected == actual else f"{where}: golden {_short(expected)}, now {_short(actual)}"


def _in_process(args: list[str]) -> dict[str, Any]:
    result = run(*args)
    return make_golden.record(args, result.code, result.stdout, result.stderr)


@pytest.fixture
def at_the_root(monkeypatch):
    """The repository root as working directory (relative paths), and no CI environment."""
    monkeypatch.chdir(ROOT)
    for name in make_golden.UNSET:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("group, entry", CASES, ids=[f"{group}:{entry['id']}" for group, entry in CASES])
def test_golden(group, entry, at_the_root):
    expected = {k: v for k, v in entry.items() if k != "id"}
    actual = _in_process(entry["args"])
    difference = first_difference(expected, actual)
    assert difference is None, (
        f"{group} case {entry['id']!r} (losscli {' '.join(entry['args'])}) differs from tests/golden/{group}.json\n"
        f"first difference: {difference}")


def test_the_golden_files_hold_every_case_of_make_golden():
    """A case added to (or removed from) make_golden.py, or a new sample or corpus file, needs a new golden file."""
    for group, make in make_golden.GROUPS.items():
        assert [(e["id"], e["args"]) for e in STORED[group]] == [(i, a) for i, a in make()], (
            f"tests/golden/{group}.json is out of date: run python tests/golden/make_golden.py")
    assert not any("--param" in e["args"] or "-p" in e["args"] for _, e in CASES), "parameters: tests/test_signature.py"


def test_the_golden_files_cover_what_they_claim():
    assert len(STORED["sample_data"]) >= len([p for p in (ROOT / "sample_data").iterdir() if p.is_file()])
    assert len(STORED["corpus"]) == len(json.loads((ROOT / "tests/corpus/expected.json").read_text()))
    codes = {e["exit"] for _, e in CASES}
    assert {0, 1, 2, 3} <= codes  # scored, a failed gate, a usage error, a data error
    assert all(("json" in e or "stdout" in e) if e["exit"] in (0, 1) else "stderr" in e for _, e in CASES)


def test_the_command_line_gives_what_the_in_process_run_gives(at_the_root, tmp_path):
    """The golden files were written through ``python -m losscli``: a few cases that way, side by side."""
    chosen = [e for _, e in CASES if e["id"] in ("binary_probabilities.csv", "max fails", "csv sparse ci")]
    assert len(chosen) == 3
    procs = [subprocess.Popen([sys.executable, "-m", "losscli", *e["args"]], cwd=ROOT,
                              env=make_golden.environment(str(tmp_path)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
             for e in chosen]
    for entry, proc in zip(chosen, procs):
        stdout, stderr = proc.communicate(timeout=120)
        actual = make_golden.record(entry["args"], proc.returncode, stdout, stderr)
        difference = first_difference({k: v for k, v in entry.items() if k != "id"}, actual)
        assert difference is None, f"{entry['id']}: {difference}"
