"""The corpus (tests/corpus/): real-looking prediction files, each scored with no flags (only `--labels`).

Each file is either scored right (every expected loss equals scikit-learn's at rel 1e-9) or refused
(exit 2/3) with a message naming the flag that fixes it; a wrong number with exit 0 fails.
The files and `expected.json` come from `tests/corpus/make_corpus.py` (scikit-learn references).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _names(names, suffix, same_name):
    if not same_name:
        return list(names)
    return [n[: -len(suffix)] if n.endswith(suffix) else n for n in names]


def _summary(results):
    return "; ".join(f"true={r.get('true')} pred={r.get('pred')} task={r.get('task')} "
                     f"positive={r.get('positive')} group={r.get('group')}" for r in results)


@pytest.mark.parametrize("case", CASES, ids=[Path(c["file"]).name for c in CASES])
def test_corpus_file(case):
    labels = case["labels"]
    args = ["eval", str(CORPUS / case["file"]), "--format", "json"]
    if labels:
        args += ["--labels", str(CORPUS / labels)]
    res = run(*args)
    where = f"{case['file']} ({case['layout']})"
    tail = res.stderr.strip()[-800:]

    if case["expect"] == "refused":
        assert res.code in case["exit"], (
            f"{where}: expected a refusal with exit {case['exit']} naming {case['flag']!r}; got exit {res.code}\n"
            f"stderr: {tail}\nstdout: {res.stdout[:600]}")
        assert case["flag"] in res.stderr, f"{where}: the refusal must name {case['flag']!r}; stderr: {tail}"
        return

    assert res.code == 0, f"{where}: expected to be scored, got exit {res.code}; stderr: {tail}"
    report = res.json
    overall = [r for r in report["results"] if r.get("group") is None]
    same = case.get("same_name", False)
    for exp in case["results"]:
        found = [r for r in overall
                 if _names(r["true"], "_true", same) == exp["true"]
                 and set(_names(r["pred"], "_pred", same)) == set(exp["pred"])]
        assert len(found) == 1, (
            f"{where}: expected one result for true={exp['true']} pred={exp['pred']}; "
            f"the report has: {_summary(overall)}; stderr: {tail}")
        got = found[0]
        assert got["task"] == exp["task"], f"{where}: task {got['task']!r}, expected {exp['task']!r}"
        if "positive" in exp:
            assert str(got.get("positive")) == exp["positive"], (
                f"{where}: positive class {got.get('positive')!r}, expected {exp['positive']!r}")
        for name, value in exp["losses"].items():
            assert name in got["losses"], (
                f"{where}: loss {name!r} missing for {exp['pred']} (has {sorted(got['losses'])}, "
                f"skipped {got.get('skipped')})")
            assert got["losses"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), (
                f"{where}: {name} for {exp['pred']} is {got['losses'][name]!r}, scikit-learn gives {value!r}")
    assert len(overall) == len(case["results"]), (
        f"{where}: {len(overall)} results, expected {len(case['results'])}: {_summary(overall)}")
    for text in case.get("stderr_contains", []):
        assert text in res.stderr, f"{where}: standard error should mention {text!r}; stderr: {tail}"


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 45
    assert len({c["kind"] for c in CASES}) >= 15
    assert len({c["layout"] for c in CASES}) >= 15
    assert len({c["file"] for c in CASES}) == len(CASES)


def test_the_corpus_files_are_in_the_repository():
    """The test never needs make_corpus.py: every file the manifest names is already there."""
    for case in CASES:
        for name in (case["file"], case["labels"]):
            if name:
                assert (CORPUS / name).is_file(), f"{name} is missing: run tests/corpus/make_corpus.py"
        if case["expect"] == "scored":
            assert case["results"] and all(r["losses"] for r in case["results"])
        else:
            assert case["exit"] and set(case["exit"]) <= {2, 3} and case["flag"]
