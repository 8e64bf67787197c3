"""Where users already work: the JSON's flat ``metrics`` (DVC, MLflow), ``--format openmetrics``
(GitLab's metrics report, read by the Prometheus client's own OpenMetrics parser), ``--junit``
(GitLab, Jenkins), GitHub Actions' step outputs and warning annotations, ``--quiet``/``--verbose``."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import SAMPLE_DATA, run

BINARY = SAMPLE_DATA / "binary_probabilities.csv"
HOSTILE = 'we"ird\\na\nme'  # a quote, a backslash, a line break: a column name is data


def models_file(write) -> str:
    return write("m.csv", "y_true,pred_lr,pred_rf\n1,0.9,0.7\n0,0.2,0.4\n1,0.6,0.8\n0,0.1,0.3\n")


def test_metrics_map_each_pair_to_its_losses_beside_the_results(write):
    report = run("eval", models_file(write)).json
    assert list(report)[:5] == ["losscli", "signature", "input", "results", "metrics"]
    assert report["metrics"] == {r["pair"]: {k: v for k, v in r["losses"].items() if v is not None}
                                 for r in report["results"]}
    assert set(report["metrics"]) == {"y/lr", "y/rf"}
    # as DVC flattens it (keys joined by "."): a number at every leaf
    flat = {f"{pair}.{loss}": value for pair, losses in report["metrics"].items() for loss, value in losses.items()}
    assert flat["y/lr.brier"] == pytest.approx(((0.1 ** 2) + 0.2 ** 2 + 0.4 ** 2 + 0.1 ** 2) / 4)
    assert all(isinstance(v, float) for v in flat.values())


def test_metrics_leave_groups_in_the_results_and_skipped_losses_out(write):
    path = write("g.csv", "site,y_true,y_pred\na,1,0.8\nb,0,0.3\na,0,0.4\n")
    report = run("eval", path, "--group-by", "site").json
    assert list(report["metrics"]) == ["y"]
    assert "hinge" in report["results"][0]["skipped"] and "hinge" not in report["metrics"]["y"]


def openmetrics_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples as the Prometheus client's OpenMetrics parser reads them (it refuses a text
    that breaks the format)."""
    parser = pytest.importorskip("prometheus_client.openmetrics.parser")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in parser.text_string_to_metric_families(text) for s in family.samples}


def test_openmetrics_is_read_back_by_the_reference_parser_with_every_value(write):
    path = write("g.csv", "site,y_true,y_pred\na,1,0.8\nb,0,0.3\na,0,0.4\nb,1,0.9\n")
    result = run("eval", path, "--group-by", "site", "--format", "openmetrics", "--max", "brier=0.5")
    assert result.code == 0 and result.stdout.endswith("# EOF\n")
    samples = openmetrics_samples(result.stdout)
    report = run("eval", path, "--group-by", "site", "--max", "brier=0.5").json
    for r in report["results"]:
        where = {"pair": r["pair"]} if r["group"] is None else {"pair": r["pair"], "group_by": "site", "group": r["group"]}
        for loss, value in r["losses"].items():
            assert samples[("losscli_loss", tuple(sorted({**where, "loss": loss}.items())))] == value
        assert samples[("losscli_rows", tuple(sorted(where.items())))] == r["n"]
    assert samples[("losscli_gate_passed", (("gate", "1"), ("loss", "brier"), ("pair", "y"), ("source", "--max")))] == 1
    assert samples[("losscli_passed", ())] == 1


def test_openmetrics_label_values_are_escaped_whatever_the_column_names(write):
    name = HOSTILE.replace("\n", "")  # (a header cannot hold a line break; a group value can't either)
    path = write("h.csv", f'"{name.replace(chr(34), chr(34) * 2)}_true","{name.replace(chr(34), chr(34) * 2)}_pred",g\n'
                          '1,0.8,"x""\\\\y"\n0,0.3,z\n')
    result = run("eval", path, "--group-by", "g", "--format", "openmetrics")
    assert result.code == 0, result.stderr
    report = run("eval", path, "--group-by", "g").json
    samples = openmetrics_samples(result.stdout)
    pairs = {dict(labels)["pair"] for (family, labels) in samples if family == "losscli_loss"}
    groups = {dict(labels)["group"] for (family, labels) in samples if "group" in dict(labels)}
    assert pairs == {r["pair"] for r in report["results"]}
    assert groups == {r["group"] for r in report["results"][1:]} == {'x"\\\\y', "z"}


def test_compare_in_openmetrics_has_the_difference_and_its_p_value(write):
    base = write("b.csv", "y_true,y_pred\n1,0.8\n0,0.3\n1,0.6\n0,0.2\n")
    new = write("n.csv", "y_true,y_pred\n1,0.9\n0,0.2\n1,0.7\n0,0.1\n")
    report = run("compare", base, new).json
    samples = openmetrics_samples(run("compare", base, new, "--format", "openmetrics").stdout)
    diff = report["results"][0]["diff"]["brier"]
    assert samples[("losscli_loss_diff", (("loss", "brier"), ("pair", "y")))] == pytest.approx(diff, rel=1e-15)
    assert samples[("losscli_loss_base", (("loss", "brier"), ("pair", "y")))] == report["results"][0]["base"]["brier"]
    assert ("losscli_loss_p_value", (("loss", "brier"), ("pair", "y"))) in samples


def junit(path: Path) -> ET.Element:
    """The JUnit report, checked as GitLab's parser reads one: <testsuites> of <testsuite>s of
    <testcase>s with a classname, a name and a time; a <failure> (its text the details) marks a
    failed test; the counts agree with the cases."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite" and suite.get("name")
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases)
        for case in cases:
            assert case.get("classname") and case.get("name") and float(case.get("time")) >= 0
    return root


def test_junit_has_a_test_case_per_gate_and_the_failure_with_its_value_and_limit(tmp_path):
    path = tmp_path / "gates.xml"
    result = run("eval", BINARY, "--max", "brier=0.01", "--max", "log_loss=5", "--junit", path)
    assert result.code == 1
    cases = junit(path).findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("losscli.y", "brier (--max)"), ("losscli.y", "binary_crossentropy (--max)")]
    failure = cases[0].find("failure")
    assert failure.get("message") == "y brier = 0.0227976 > max 0.01 (--max)"
    assert "\nvalue: 0.02279756" in failure.text and "\nmax: 0.01" in failure.text
    assert cases[1].find("failure") is None
    assert run("eval", BINARY, "--max", "brier=0.5", "--junit", path).code == 0
    assert junit(path).find("testsuite/testcase/failure") is None


def test_junit_is_well_formed_xml_whatever_the_names(tmp_path, write):
    """XML 1.0 cannot hold most control characters, nor U+FFFF or a lone surrogate: such a name is
    written as visible escapes, and markup characters are escaped."""
    from losscli.junit import to_junit
    from losscli.results import Gate, Report

    name = 'a\x01<&>"b\uffff\ud800\nc'
    gate = Gate(pair=name, loss="brier", max=0.1, value=0.2, passed=False, source="--max")
    (tmp_path / "j.xml").write_bytes(to_junit(Report("sig", {}, [], gates=[gate]), "eval"))
    case = junit(tmp_path / "j.xml").find("testsuite/testcase")
    assert case.get("classname") == 'losscli.a\\x01<&>"b\ufffd\ufffd\\nc'
    assert "\n" not in case.find("failure").get("message")
    path = write("c.csv", "y_true,y_pred\n1,0.8\n0,0.3\n")
    report = tmp_path / "r.xml"
    assert run("compare", path, path, "--junit", report).code == 0
    assert junit(report).find("testsuite").get("name") == "losscli compare"


@pytest.fixture
def step_outputs(tmp_path, monkeypatch) -> Path:
    """A GitHub Actions step: its outputs file (no step summary)."""
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return outputs


def test_github_step_outputs_hold_the_verdict_the_metrics_and_each_gated_loss(tmp_path, step_outputs):
    outputs = step_outputs
    report = tmp_path / "report.json"
    assert run("eval", BINARY, "--max", "brier=0.5", "--output", report).code == 0
    lines = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert lines["passed"] == "true" and lines["report"] == str(report)
    assert json.loads(lines["metrics"]) == json.loads(report.read_text())["metrics"]
    assert float(lines["y__brier"]) == pytest.approx(0.0227976, rel=1e-5)
    outputs.unlink()
    assert run("eval", BINARY, "--max", "brier=0.01", "--output", tmp_path / "a\nb.json").code == 1
    text = outputs.read_text()
    assert "passed=false\n" in text and "report" not in text  # (no report is written when a gate fails)


def test_a_report_path_with_a_line_break_is_written_in_the_heredoc_form(tmp_path, step_outputs):
    outputs = step_outputs
    odd = tmp_path / "a\nreport=evil.json"
    assert run("eval", BINARY, "--output", odd).code == 0
    text = outputs.read_text()
    start = text.index("report<<")
    end = text[start:].split("\n")[0].removeprefix("report<<")
    assert text[start:].split("\n")[1:4] == [str(odd).split("\n")[0], "report=evil.json", end]
    assert "\nreport=evil.json\n" not in text.replace(f"report<<{end}\n{odd}\n{end}", "")


def test_warnings_become_warning_annotations_with_a_title(write, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    path = write("p.csv", "y_true,y_pred\n" + "1,0.1\n0,0.9\n" * 10 + "1,0.2\n0,0.8\n")  # inverted predictions
    result = run("eval", path)
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::warning")]
    assert annotations and annotations[0].startswith("::warning title=losscli::")
    assert "look inverted" in annotations[0]


def test_quiet_keeps_errors_and_failed_gates_only(write):
    path = write("p.csv", "y_true,y_pred\n" + "1,0.1\n0,0.9\n" * 10 + "1,0.2\n0,0.8\n")
    assert "warning:" in run("eval", path).stderr
    quiet = run("eval", path, "--quiet", "--max", "brier=0.1")
    assert quiet.code == 1
    assert [line.split(":")[0] for line in quiet.stderr.splitlines()] == ["error"]
    assert "gate failed: y brier" in quiet.stderr
    assert run("eval", write("bad.csv", "y_true,y_pred\n1,x\n"), "-q").stderr.startswith("error:")
    assert run("eval", path, "--quiet", "--verbose").code == 2


def test_verbose_explains_the_decisions_and_says_the_timings(write):
    result = run("eval", BINARY, "--verbose")
    assert result.code == 0
    assert "share the name 'y'" in result.stderr
    seconds = [line for line in result.stderr.splitlines() if "read and scored 171 rows in" in line]
    assert seconds and "report written in" in result.stderr
    assert not math.isnan(json.loads(result.stdout)["results"][0]["losses"]["brier"])


def test_openmetrics_keeps_apart_values_that_differ_only_by_escapes_and_two_gates_of_one_loss(write):
    path = write("g.csv", 'g,y_true,y_pred\n"a\nb",1,0.8\n"a\\nb",0,0.3\n"t\tu",1,0.6\n"t\\tu",0,0.2\n')
    result = run("eval", path, "--group-by", "g", "--format", "openmetrics", "--max", "brier=1",
                 "--max", "y:brier=0.5")
    assert result.code == 0, result.stderr
    samples = openmetrics_samples(result.stdout)
    groups = {dict(labels)["group"] for (family, labels) in samples if family == "losscli_rows" and dict(labels).get("group")}
    assert groups == {"a\nb", "a\\nb", "t\tu", "t\\tu"}
    gates = [labels for (family, labels) in samples if family == "losscli_gate_passed"]
    assert len(gates) == 2


def test_a_junit_file_that_cannot_be_written_leaves_the_report_file_as_it_was(tmp_path):
    report = tmp_path / "report.json"
    report.write_text("the last good report")
    result = run("eval", BINARY, "--output", report, "--junit", tmp_path / "missing" / "j.xml")
    assert result.code == 2 and report.read_text() == "the last good report"
    folder = run("eval", BINARY, "--junit", tmp_path)
    assert folder.code == 2 and f"--junit {tmp_path / 'losscli.xml'}" in folder.stderr


def test_dvc_metrics_show_and_diff_read_every_loss(tmp_path, write):
    """DVC's own reader (dvc metrics show/diff, a test dependency): the results list is a list,
    which DVC skips; the metrics mapping gives it every loss as metrics.PAIR.LOSS."""
    pytest.importorskip("dvc")
    import shutil
    import subprocess
    import sys

    dvc = shutil.which("dvc", path=str(Path(sys.executable).parent))
    if dvc is None or shutil.which("git") is None:
        pytest.skip("dvc's command or git is not installed beside this Python")
    repo = tmp_path / "repo"
    repo.mkdir()

    def sh(*args: str) -> str:
        done = subprocess.run(args, cwd=repo, capture_output=True, text=True, check=True)
        return done.stdout

    sh("git", "init", "-q")
    sh("git", "config", "user.email", "ci@example.com")
    sh("git", "config", "user.name", "ci")
    sh(dvc, "init", "-q")
    (repo / "dvc.yaml").write_text("metrics:\n  - losses.json\n")
    assert run("eval", BINARY, "--output", repo / "losses.json").code == 0
    before = json.loads((repo / "losses.json").read_text())
    shown = json.loads(sh(dvc, "metrics", "show", "--json"))[""]["data"]["losses.json"]["data"]
    assert shown["metrics"] == before["metrics"] and "results" not in shown
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "baseline")
    worse = write("w.csv", "y_true,y_pred\n1,0.6\n0,0.5\n1,0.4\n0,0.3\n")
    assert run("eval", worse, "--output", repo / "losses.json").code == 0
    after = json.loads((repo / "losses.json").read_text())
    changed = json.loads(sh(dvc, "metrics", "diff", "--json"))["losses.json"]
    assert changed["metrics.y.brier"]["old"] == before["metrics"]["y"]["brier"]
    assert changed["metrics.y.brier"]["new"] == after["metrics"]["y"]["brier"]
    assert changed["metrics.y.brier"]["diff"] == pytest.approx(after["metrics"]["y"]["brier"] - before["metrics"]["y"]["brier"])
