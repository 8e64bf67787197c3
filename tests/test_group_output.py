"""The JSON and CSV of many ``--group-by`` results come from a template (losscli.group_output): they
must be byte for byte what rendering each group's result one by one writes, whatever the group names
and values hold."""

from __future__ import annotations

import json

import hypothesis.strategies as st
import orjson
import pytest
from hypothesis import given, settings

from losscli import group_output
from losscli.report import json_bytes, to_csv
from losscli.results import GroupResults, Report, Result

NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12) | st.sampled_from(
    ['","', 'a","b', "\\", 'x\\"', "%s", "%b%%", "\x00" + "0" * 32 + "1", "=1+2", "-3", "@x", "a\nb", "café", "🙂"])
VALUES = st.none() | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 1e-300, 5e-324])


def _overall(losses: dict[str, float | None], model: str | None) -> Result:
    return Result(pair="y" if model is None else f"y/{model}", true=["y_true"], pred=["y_pred"], task="binary",
                  predictions="probability", n=10, losses=losses, model=model,
                  params={"focal": {"gamma": 2.0}}, skipped={"hinge": "needs scores, not \"probabilities\" 100%"},
                  classes=["0", "1"], positive="1", decisions={"pairing": "by name", "evidence": ["a", "b"]},
                  signature="losscli:0.1.0|task:binary")


@st.composite
def reports(draw: st.DrawFn) -> Report:
    losses = draw(st.lists(st.sampled_from(["brier", "focal", "zero_one", "a,b", "%d"]), min_size=1, max_size=4,
                           unique=True))
    names = sorted(draw(st.lists(NAMES, min_size=0, max_size=9, unique=True)))
    overall = _overall({name: 0.25 for name in losses}, draw(st.none() | NAMES))
    groups = GroupResults(overall, names, draw(st.lists(st.integers(1, 10**12), min_size=len(names),
                                                        max_size=len(names))),
                          {name: draw(st.lists(VALUES, min_size=len(names), max_size=len(names))) for name in losses})
    return Report("losscli:0.1.0|task:binary", {"predictions": "p.csv", "group_by": "g"}, [overall], groups=[groups])


def _one_by_one(report: Report) -> Report:
    """The same report with each group a Result in ``results`` (as a saved report reads back)."""
    return Report(report.signature, report.input, [*report.results, *report.groups[0]])


@settings(max_examples=150, deadline=None)
@given(reports(), st.sampled_from([1, 2, 4096]))
def test_the_group_templates_write_what_each_result_writes(report: Report, batch: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(group_output, "BATCH", batch)
        written = json_bytes(report)
        as_dicts = orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        assert written == as_dicts
        assert json.loads(written)["results"][1:] == [r.to_dict() for r in report.groups[0]]
        assert to_csv(report) == to_csv(_one_by_one(report))


def test_a_group_entry_by_hand() -> None:
    """One group, its JSON entry written out: the overall result's keys, its own group, n and losses."""
    overall = _overall({"brier": 0.125, "zero_one": None}, None)
    report = Report("sig", {"group_by": "site"}, [overall],
                    groups=[GroupResults(overall, ['a"b'], [3], {"brier": [0.5], "zero_one": [None]})])
    entry = json.loads(json_bytes(report))["results"][1]
    assert entry["group"] == 'a"b' and entry["n"] == 3 and entry["losses"] == {"brier": 0.5, "zero_one": None}
    assert entry["signature"] is None and entry["ci"] == {} and entry["decisions"] == overall.decisions
    rows = to_csv(report).splitlines()
    assert rows[4:] == ['y,"a""b",binary,probability,3,brier,0.5,,,,,,,,,',
                        'y,"a""b",binary,probability,3,zero_one,,,,,,,,,,',
                        'y,"a""b",binary,probability,3,hinge,,,,,,,"needs scores, not ""probabilities"" 100%",,,']


def test_no_groups_with_rows_leaves_the_results_list_well_formed() -> None:
    overall = _overall({"brier": 0.125}, None)
    report = Report("sig", {"group_by": "g"}, [overall], groups=[GroupResults(overall, [], [], {"brier": []})])
    assert [r["group"] for r in json.loads(json_bytes(report))["results"]] == [None]
    assert to_csv(report).count("\n") == 3
