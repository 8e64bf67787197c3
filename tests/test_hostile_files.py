"""Files losscli did not write (issue 13): hand-edited states and baselines are refused with a reason."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from .conftest import csv_text, run

MODELS = "y_true,pred_lr,pred_rf\n1,0.9,0.6\n0,0.2,0.45\n1,0.7,0.55\n0,0.3,0.4\n"


@pytest.fixture(scope="module")
def _saved_once(tmp_path_factory):
    """The state and the report of MODELS, made once for the module: an eval with --ci and --state
    takes half a second, and ten tests edit copies of them."""
    folder = tmp_path_factory.mktemp("saved")
    path = folder / "p.csv"
    path.write_text(MODELS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder / "cache"))  # an empty cache, as conftest gives each test
        assert run("eval", path, "--state", folder / "s.json", "--ci", "0.9").code == 0
        assert run("eval", path, "--format", "json", "--output", folder / "b.json").code == 0
    return (folder / "s.json").read_text(), (folder / "b.json").read_text()


@pytest.fixture
def saved(_saved_once):
    """A copy of the state and of the report for each test to edit."""
    state, baseline = _saved_once
    return json.loads(state), json.loads(baseline)


@pytest.mark.parametrize("edit, words", [
    (lambda s: s["pairs"][0]["losses"]["binary_crossentropy"]["partial"].update(weighted_sum=-5.0), "do not add up"),
    (lambda s: s["pairs"][0]["losses"]["brier"]["partial"].update(weight=float("nan")), "weight nan"),
    (lambda s: s["pairs"][0]["losses"]["brier"]["partial"].update(rows=-1), "rows -1"),
    (lambda s: s["pairs"][0].update(boot_groups=10 ** 12), "at most 1000"),
    (lambda s: s["settings"].update(bootstrap=10 ** 12), "bootstrap resamples"),
    (lambda s: s["pairs"][0]["losses"]["weighted_crossentropy"]["partial"].update(class_sums=[1.0]), "shape"),
    # (each of these passed the reading and crashed the merge, exit 4)
    (lambda s: s.update(notes=[1]), "notes"),
    (lambda s: s["pairs"][0].update(kind=["x"]), "predictions ['x']"),
    (lambda s: s["pairs"][0]["pair"].update(quantiles="x"), "quantile levels"),
    (lambda s: s["pairs"][0].update(not_applicable=None), "not applicable"),
    (lambda s: s["settings"].update(seed="x"), "seed x"),
    (lambda s: s["settings"].update(seed=-1), "seed -1"),
    (lambda s: s["settings"].update(ci=2), "ci 2"),
    (lambda s: s["settings"].update(params="x"), "params x"),
    (lambda s: s["pairs"][0]["pair"].update(name=7), "its name and columns 7"),
])
def test_a_hand_edited_state_is_refused_with_its_reason(saved, tmp_path, edit, words):
    state, _ = saved
    edit(state)
    (tmp_path / "bad.json").write_text(json.dumps(state))
    result = run("merge", tmp_path / "bad.json")
    assert result.code == 3 and "damaged state file" in result.stderr and words in result.stderr


@pytest.mark.parametrize("text", [b'{"format": "losscli-state", "rows": 1' + b"1" * 5000 + b"}", b'{"a": "\xe9"}'])
def test_a_state_that_python_cannot_read_is_refused(tmp_path, text):
    (tmp_path / "bad.json").write_bytes(text)  # (an integer of 5001 digits; a Latin-1 byte)
    result = run("merge", tmp_path / "bad.json")
    assert result.code == 3 and "not a state file" in result.stderr


@pytest.mark.parametrize("edit", [  # (each crashed the gate, exit 4, or was taken: "> max nan")
    lambda b: b["results"][0].update(n=float("inf")),
    lambda b: b["results"][0].update(signature=5),
    lambda b: b["results"][0]["params"].update(focal="x"),
    lambda b: b["results"][0]["losses"].update(brier=10 ** 400),
    lambda b: b["results"][0]["losses"].update(brier=float("nan")),
    lambda b: b["results"][0]["losses"].update(brier=float("-inf")),
])
def test_a_hand_edited_baseline_is_refused(saved, write, tmp_path, edit):
    _, baseline = saved
    edit(baseline)
    (tmp_path / "bad.json").write_text(json.dumps(baseline))
    result = run("eval", write("p.csv", MODELS), "--baseline", tmp_path / "bad.json")
    assert result.code == 3 and "not a losscli report" in result.stderr, result.stderr


@pytest.mark.parametrize("text", [b'{"results": [' + b"1" * 5000 + b"]}", b'{"a": "\xe9"}'])
def test_a_baseline_that_python_cannot_read_is_refused(write, tmp_path, text):
    (tmp_path / "bad.json").write_bytes(text)
    result = run("eval", write("p.csv", MODELS), "--baseline", tmp_path / "bad.json")
    assert result.code == 3 and "not a losscli report" in result.stderr


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
    # JSON lines nested 20,000 deep crashed pyarrow's reader (SIGSEGV, no message)
    (tmp_path / "deep.jsonl").write_text('{"a":' * 20_000 + "1" + "}" * 20_000 + "\n")
    result = run("eval", tmp_path / "deep.jsonl")
    assert result.code == 3 and "nested more than 1000 levels deep" in result.stderr
    # a bracket in a string of every line is no nesting (counted over the file, 1500 lines were refused)
    (tmp_path / "sad.jsonl").write_text("".join(f'{{"comment": "sad :-[", "y_true": {i % 2}, "y_pred": 0.4}}\n'
                                                for i in range(1500)))
    assert run("eval", tmp_path / "sad.jsonl").code == 0


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


def test_per_row_with_a_loss_skipped_on_a_later_chunk_keeps_its_columns(tmp_path, monkeypatch):
    """A zero prediction after the first chunk skips the deviances: the file keeps its columns
    (was a segmentation fault of the CSV writer)."""
    from losscli import csv_stream

    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 400)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 300)
    rows = [(1.0 + i % 5, 1.5 + i % 4) for i in range(300)] + [(2.0, 0.0)]
    (tmp_path / "r.csv").write_text("y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in rows))
    result = run("eval", tmp_path / "r.csv", "--per-row", tmp_path / "terms.csv", "--format", "json")
    assert result.code == 0, result.stderr
    assert "gamma_deviance" in result.json["results"][0]["skipped"]
    lines = (tmp_path / "terms.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert len(lines) == 302 and all(len(line.split(",")) == len(header) for line in lines)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("flag", ["--output", "--per-row", "--state"])
def test_a_folder_where_a_file_belongs_is_refused(write, tmp_path, flag):
    result = run("eval", write("p.csv", MODELS), flag, tmp_path)
    assert result.code == 2 and "is a folder" in result.stderr


def test_written_files_keep_the_mode_of_the_file_they_replace_or_follow_the_umask(write, tmp_path):
    import os

    path = write("p.csv", MODELS)
    old = os.umask(0o022)
    try:
        assert run("eval", path, "--output", tmp_path / "new.json").code == 0
        assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
        (tmp_path / "kept.json").write_text("{}")
        (tmp_path / "kept.json").chmod(0o640)
        assert run("eval", path, "--output", tmp_path / "kept.json").code == 0
        assert (tmp_path / "kept.json").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_an_unwritable_step_summary_keeps_the_gates_verdict(write, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    result = run("eval", write("p.csv", MODELS), "--max", "log_loss=0.01")
    assert result.code == 1 and "GITHUB_STEP_SUMMARY" in result.stderr


def test_sigterm_cleans_up_the_file_being_written(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    period = [f"{i % 2},0.{i % 9 + 1}\n" for i in range(18)]  # the rows repeat every 18
    rows = "".join(period) * (3_000_000 // 18) + "".join(period[: 3_000_000 % 18])  # 3,000,000 rows, built at once
    (tmp_path / "big.csv").write_text("y_true,y_pred\n" + rows)
    process = subprocess.Popen([sys.executable, "-m", "losscli", "eval", str(tmp_path / "big.csv"), "--per-row",
                                str(tmp_path / "terms.csv"), "--format", "json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):  # until the temporary file is there
        if any(p.name.startswith(".terms.csv.") for p in tmp_path.iterdir()):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) in (143, 0), process.stderr.read() if process.stderr else ""
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_as_the_temporary_file_is_made_leaves_no_file(tmp_path, monkeypatch, signum):
    """The signal comes just after mkstemp made the file, before anything could remove it: it is
    handled once the file's cleanup is in place, and the file is gone."""
    import signal
    import tempfile
    import threading

    from losscli.atomic import write_atomically

    if threading.current_thread() is not threading.main_thread():  # (signals reach the main thread alone)
        pytest.skip("signal handlers run in the main thread only")
    made = tempfile.mkstemp

    def made_then_signalled(*args, **kwargs):
        found = made(*args, **kwargs)
        signal.raise_signal(getattr(signal, signum))  # (its handler runs here, unless held back)
        return found

    monkeypatch.setattr(tempfile, "mkstemp", made_then_signalled)
    before = signal.signal(signal.SIGTERM, lambda number, _: sys.exit(128 + number))
    try:
        with pytest.raises((SystemExit, KeyboardInterrupt)):
            write_atomically(str(tmp_path / "report.json"), "{}")
    finally:
        signal.signal(signal.SIGTERM, before)
    assert list(tmp_path.iterdir()) == []


def test_a_loss_that_overflows_float64_is_skipped_and_the_others_reported(write):
    result = run("eval", write("p.csv", "y_true,y_pred\n1e200,1\n2,3\n"), "--format", "json")
    assert result.code == 0, result.stderr
    found = result.json["results"][0]
    assert "overflows float64" in found["skipped"]["mse"] and "row 1" in found["skipped"]["mse"]
    assert found["losses"]["mae"] == pytest.approx((1e200 - 1 + 1) / 2, rel=1e-12)  # (|1e200 − 1| + |2 − 3|) / 2


def test_a_blank_cell_is_an_empty_one_and_dropna_drops_it(write):
    result = run("eval", write("p.csv", "y_true,y_pred\n1,0.5\n   ,0.2\n0,0.3\n"), "--dropna", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json["results"][0]["dropped"] == 1
    assert run("eval", write("p.csv", "y_true,y_pred\n1,0.5\n   ,0.2\n0,0.3\n")).code == 3


@pytest.mark.parametrize(("written", "said", "flag"), [
    ("focal = { gamma = -1 }", "params: focal.gamma=-1: must be ≥ 0", "focal.gamma=2"),
    ("focal = { gamm = 2 }", "params: focal.gamm: 'focal' has no parameter", None),
    ("nosuch = { x = 1 }", "params: unknown loss 'nosuch'", None),
    ("focal = { gamma = \"x\" }", "params: focal.gamma=x: expected a number", "focal.gamma=2"),
    ("log_loss = { eps = 2 }", "params: binary_crossentropy.eps=2: must be in [0, 0.5)", "log_loss.eps=1e-7"),
    ("zero_one = { threshold = 1.5 }", "params: zero_one.threshold=1.5: the predictions are probabilities",
     "zero_one.threshold=0.3")])
def test_a_config_files_bad_parameter_names_the_file_and_a_flag_overrides_it(tmp_path, monkeypatch, written, said,
                                                                           flag):
    """It said ``--param focal.gamma=-1``, a flag the command line did not hold (exit 2); a flag
    replaces the file's value key by key, so the file's bad value is then not used."""
    (tmp_path / "losscli.toml").write_text(f"[params]\n{written}\n")
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1,0.9\n0,0.2\n")
    monkeypatch.chdir(tmp_path)
    for command in ("eval", "compare"):
        result = run(command, *(["p.csv", "p.csv"] if command == "compare" else ["p.csv"]))
        assert result.code == 3 and f"config {tmp_path / 'losscli.toml'}: {said}" in result.stderr, result.stderr
        assert "--param" not in result.stderr
    assert run("eval", "p.csv", "--no-config").code == 0
    if flag is not None:
        assert run("eval", "p.csv", "--param", flag).code == 0
        flagged = run("eval", "p.csv", "--param", flag.split("=")[0] + "=-3")  # (a flag's own value: a usage error)
        assert flagged.code == 2 and flagged.stderr.startswith("error: --param ") and "=-3:" in flagged.stderr


def test_a_config_file_that_is_not_utf8_is_a_data_error(tmp_path, monkeypatch):
    (tmp_path / "losscli.toml").write_bytes('loss = ["café"]\n'.encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    result = run("list")
    assert result.code == 3 and "not UTF-8" in result.stderr


@pytest.mark.parametrize("written, key", [('[baseline]\nfile = "a\\u0000b"\n', "baseline.file"),
                                          ('plugins = ["a\\u0000b.py"]\n', "plugins")])
def test_a_nul_byte_in_a_config_files_path_is_a_data_error(tmp_path, monkeypatch, written, key):
    monkeypatch.chdir(tmp_path)  # (it crashed, exit 4: "embedded null byte")
    (tmp_path / "losscli.toml").write_text(written)
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1,0.8\n0,0.3\n")
    for command in (["eval", "p.csv"], ["compare", "p.csv", "p.csv"]):
        result = run(*command)
        assert result.code == 3 and f"key '{key}' must be" in result.stderr, result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="file names of bytes that are not UTF-8: Linux")
def test_a_file_name_that_is_not_utf8_is_named_with_escapes(tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)  # (JSON could not write the name: exit 4)
    for name in (b"ok.csv", b"\xff.csv"):
        with open(os.fsencode(tmp_path) + b"/" + name, "w") as file:
            file.write("y_true,y_pred\n1,0.8\n0,0.3\n1,0.6\n")
    alone = run("eval", os.fsdecode(b"\xff.csv"), "--format", "json")
    assert alone.code == 0 and alone.json["input"]["predictions"] == "\\xff.csv"
    shards = run("eval", "*.csv", "--format", "json", "--per-row", "rows.csv", "--state", "s.json")
    assert shards.code == 0 and shards.json["input"]["predictions"] == ["ok.csv", "\\xff.csv"]
    assert '"\\xff.csv",1,' in (tmp_path / "rows.csv").read_text()


def test_a_long_column_name_is_cut_short_in_messages(write):
    name = "a" * 3000  # (a 500 KB name made a 500 KB message)
    path = write("p.csv", f"{name},y_pred\n1,0.5\n")
    for args in (["--group-by", "nope"], ["--true", "nope", "--pred", "y_pred"]):
        result = run("eval", path, *args)
        assert result.code in (2, 3) and "a" * 100 + "…" in result.stderr and len(result.stderr) < 400


@pytest.mark.parametrize("text, said", [
    ("epoch,loss\n1," + "x" * 100_000 + "\n", "…' is not a number"),  # (the cell was quoted whole)
    ("[" * 5000 + "]" * 5000, "RecursionError"),
    ('{"log_history": [{"epoch": 1, "loss": ' + "1" * 5000 + "}]}", "ValueError"),
])
def test_a_hostile_training_log_is_a_data_error(tmp_path, text, said):
    (tmp_path / "log.txt").write_text(text)
    result = run("history", tmp_path / "log.txt", "--format", "json")
    assert result.code == 3 and said in result.stderr and len(result.stderr) < 400


def test_an_epoch_beyond_64_bits_is_reported_as_a_number(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,loss\n1e20,0.9\n2,0.7\n")  # (JSON could not write it: exit 4)
    result = run("history", tmp_path / "log.csv", "--format", "json")
    assert result.code == 0 and [row["epoch"] for row in result.json["curve"]] == [2, 1e20]


def test_standard_input_given_twice_is_a_usage_error(write):
    text = "y_true,y_pred\n1,0.8\n0,0.3\n"  # (the second read said "the file is empty")
    for args in (["eval", "-", "--labels", "-"], ["compare", "-", "-"], ["compare", write("p.csv", text), "-",
                                                                          "--labels", "-"]):
        result = run(*args, input=text)
        assert result.code == 2 and "given more than once" in result.stderr, args


def test_a_config_files_gate_is_named_as_the_files_not_as_a_flag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (it said "--max nox:brier=0.1", a flag never given)
    (tmp_path / "losscli.toml").write_text('[gates]\n"nox:brier" = 0.1\n')
    (tmp_path / "p.csv").write_text("y_true,y_pred\n1,0.8\n0,0.3\n")
    result = run("eval", "p.csv")
    assert result.code == 2 and f"config {tmp_path / 'losscli.toml'}: gate nox:brier=0.1: no pair 'nox'" in result.stderr


def test_a_loss_with_ci_is_the_loss_without_it_to_the_last_digit(tmp_path):
    # (summed over the bootstrap's groups it differed by an ulp, and a baseline saved without --ci
    # failed its own data: "brier = 0.337947 > max 0.337947", exit 1)
    rng = np.random.default_rng(11)
    y, p = rng.integers(0, 2, 5000), rng.random(5000)
    (tmp_path / "p.csv").write_text(csv_text({"y_true": list(y), "y_pred": list(p)}))
    plain = run("eval", tmp_path / "p.csv", "--format", "json", "--output", tmp_path / "b.json")
    with_ci = run("eval", tmp_path / "p.csv", "--format", "json", "--ci", "0.9", "--baseline", tmp_path / "b.json",
                  "--tolerance", "0")
    assert plain.code == 0 and with_ci.code == 0, with_ci.stderr
    assert with_ci.losses() == json.loads((tmp_path / "b.json").read_text())["results"][0]["losses"]


@pytest.mark.parametrize("args", [[], ["--ci", "0.9"], ["-l", "poisson_nll", "-l", "poisson"]])
def test_a_state_of_losses_whose_terms_can_be_negative_merges(tmp_path, args):
    # (a Gaussian prediction's log-likelihood is negative where σ < 1: merge called the state damaged)
    rng = np.random.default_rng(3)
    y = rng.normal(5, 1, 400)
    (tmp_path / "p.csv").write_text(csv_text({"y_true": list(y), "y_pred": list(y + rng.normal(0, 0.01, 400)),
                                              "y_pred_std": [0.01] * 400}))
    whole = run("eval", tmp_path / "p.csv", *args, "--state", tmp_path / "s.json", "--format", "json")
    merged = run("merge", tmp_path / "s.json", "--format", "json")
    assert whole.code == 0 and merged.code == 0, merged.stderr
    assert merged.losses() == whole.losses() and min(whole.losses().values()) < 0


def test_ids_that_are_not_utf8_are_a_data_error(write):
    preds = write("p.csv", b"id,y_pred\n\xff\xfe,0.5\nb,0.4\n")
    truth = write("t.csv", b"id,y_true\n\xff\xfe,1\nb,0\n")
    for command in (["eval", preds], ["compare", preds, preds]):
        result = run(*command, "--labels", truth)
        assert result.code == 3 and "UTF-8" in result.stderr


def test_a_long_or_multi_line_cell_is_cut_and_kept_on_one_line_in_messages(write):
    cell = "x" * 100_000
    result = run("eval", write("p.csv", f'y_true,y_pred\n1,0.5\n0,"{cell}\nmore"\n'))
    assert result.code == 3 and len(result.stderr) < 500 and result.stderr.count("\n") == 1


def test_a_header_over_64_kib_and_a_cell_over_a_block_are_read(write):
    names = [f"feature_{i}" for i in range(8000)]  # a header of ~100 KiB
    rows = "".join(",".join(["1"] * 8000 + [str(y), str(p)]) + "\n" for y, p in ((1, 0.8), (0, 0.3)))
    result = run("eval", write("wide.csv", ",".join(names + ["y_true", "y_pred"]) + "\n" + rows), "--format", "json")
    assert result.code == 0, result.stderr[:300]
    assert result.losses()["binary_crossentropy"] == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2, rel=1e-12)
    big = "z" * 2_500_000  # one cell of an unused column, longer than pyarrow's 1 MiB block
    text = "note,y_true,y_pred\nok,1,0.8\n" + f"{big},0,0.3\n" + "ok,1,0.6\n"
    result = run("eval", write("big.csv", text), "--format", "json")
    assert result.code == 0 and result.json["input"]["rows"] == 3


def test_a_line_past_the_cap_is_refused_memory_stays_bounded(write, monkeypatch):
    from losscli import csv_stream

    monkeypatch.setattr(csv_stream, "MAX_LINE_BYTES", 1 << 16)
    result = run("eval", write("one.csv", "y_true,y_pred" + ",x" * 100_000))  # one line, no line break
    assert result.code == 3 and "no line break" in result.stderr


def test_a_hexadecimal_cell_is_not_a_number(write):
    """pyarrow's integer reader takes 0x10 for 16."""
    result = run("eval", write("p.csv", "y_true,y_pred\n0x10,16\n2,2\n3,4.5\n"))
    assert result.code == 3 and "'0x10' is not a number" in result.stderr and "row 1" in result.stderr
    ids = run("eval", write("q.csv", "id,y_true,y_pred\n0x1f,1,0.8\n0x2a,0,0.3\n"), "--format", "json")
    assert ids.code == 0 and ids.losses()["binary_crossentropy"] == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)


def test_per_row_text_ids_never_start_a_formula(write, tmp_path):
    path = write("p.csv", 'id,y_true,y_pred\n=HYPERLINK("x"),1,0.8\n-5,0,0.4\n@SUM(1),1,0.3\n')
    assert run("eval", path, "--per-row", tmp_path / "rows.csv", "--loss", "log_loss").code == 0
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ['"\'=HYPERLINK(""x"")"', '"-5"', '"\'@SUM(1)"']


@pytest.mark.parametrize("kind", ["large_string", "binary", "string_view"])
def test_per_row_ids_of_any_arrow_text_type_never_start_a_formula(tmp_path, kind):
    # polars writes large strings (they crashed --per-row, exit 4); parquet can hold ids as bytes
    # (written as they were: a formula)
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [b'=HYPERLINK("x")', b"u7", b"@SUM(1)"] if kind == "binary" else ['=HYPERLINK("x")', "u7", "@SUM(1)"]
    pq.write_table(pa.table({"id": pa.array(ids, getattr(pa, kind)()), "y_true": [1, 0, 1],
                             "y_pred": [0.8, 0.4, 0.3]}), tmp_path / "p.parquet")
    if kind == "string_view":  # (polars' Arrow files: --per-row and --worst crashed, exit 4)
        from pyarrow import feather

        feather.write_feather(pq.read_table(tmp_path / "p.parquet").cast(pa.schema(
            [("id", pa.string_view()), ("y_true", pa.int64()), ("y_pred", pa.float64())])), tmp_path / "p.parquet")
        assert run("eval", tmp_path / "p.parquet", "--worst", "2").code == 0
    result = run("eval", tmp_path / "p.parquet", "--per-row", tmp_path / "rows.csv", "--loss", "log_loss")
    assert result.code == 0, result.stderr
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ['"\'=HYPERLINK(""x"")"', '"u7"', '"\'@SUM(1)"']
    pq.write_table(pa.table({"id": pa.array([b"\xff", b"ok"], pa.binary()), "y_true": [1, 0], "y_pred": [0.8, 0.4]}),
                   tmp_path / "bad.parquet")
    refused = run("eval", tmp_path / "bad.parquet", "--per-row", tmp_path / "rows.csv")
    assert refused.code == 3 and "column 'id': ids that are bytes, not UTF-8 text" in refused.stderr
    worst = run("eval", tmp_path / "bad.parquet", "--worst", "2")  # (exit 4 before)
    assert worst.code == 3 and "column 'id': ids that are bytes, not UTF-8 text" in worst.stderr


@pytest.mark.parametrize("encoding", ["run_end", "dictionary", "json", "uuid"])
def test_ids_in_encoded_or_extension_arrow_types(tmp_path, monkeypatch, encoding):
    """Run-end encoded and dictionary text, Arrow's JSON and UUID extension types (--worst and
    --per-row crashed on the run-end encoded and extension ones, exit 4)."""
    import uuid

    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import feather

    monkeypatch.chdir(tmp_path)
    text = pa.array(["=1+1", "u7", "u8"])
    column = {"run_end": pc.run_end_encode(text), "dictionary": text.dictionary_encode(),
              "json": pa.ExtensionArray.from_storage(pa.json_(), pa.array(['"=1+1"', '"u7"', '"u8"'])),
              "uuid": pa.array([uuid.UUID(int=k).bytes for k in (255, 7, 8)], pa.uuid())}[encoding]
    feather.write_feather(pa.table({"id": column, "y_true": [1, 0, 1], "y_pred": [0.1, 0.4, 0.8]}), "p.arrow")
    worst = run("eval", "p.arrow", "--worst", "1")
    per_row = run("eval", "p.arrow", "--per-row", "rows.csv")
    if encoding == "uuid":  # 16 bytes each: refused, as bytes that are not text
        assert worst.code == per_row.code == 3
        assert "column 'id': ids that are bytes, not UTF-8 text (UUIDs" in worst.stderr + per_row.stderr
        return
    assert worst.code == 0 and per_row.code == 0, worst.stderr + per_row.stderr
    expected = '"=1+1"' if encoding == "json" else "=1+1"
    assert worst.json["results"][0]["worst"][0]["id"] == expected
    cells = [line.split(",")[1] for line in (tmp_path / "rows.csv").read_text().splitlines()[1:]]
    if encoding == "json":  # (JSON text: "=1+1" in quotes, which no spreadsheet takes as a formula)
        assert cells == ['"""=1+1"""', '"""u7"""', '"""u8"""']
    else:
        assert cells == ['"\'=1+1"', '"u7"', '"u8"']


@pytest.mark.parametrize("ids", ["lists", "structs", "intervals"])
@pytest.mark.parametrize("option", [["--worst", "1"], ["--per-row", "rows.csv"]])
def test_an_id_column_of_lists_structs_or_intervals_is_a_data_error(tmp_path, monkeypatch, ids, option):
    import pyarrow as pa
    from pyarrow import feather

    monkeypatch.chdir(tmp_path)
    column = {"lists": pa.array([[1, 2], [3]]), "structs": pa.array([{"a": 1}, {"a": 2}]),
              "intervals": pa.array([(1, 2, 3), (0, 1, 0)], pa.month_day_nano_interval())}[ids]
    feather.write_feather(pa.table({"id": column, "y_true": [1, 0], "y_pred": [0.8, 0.4]}), "p.arrow")
    result = run("eval", "p.arrow", *option)  # (exit 4 before)
    assert result.code == 3 and "column 'id': ids that are not text, numbers or dates" in result.stderr
    assert option[0] in result.stderr and not (tmp_path / "rows.csv").exists()


def test_a_place_that_cannot_be_written_is_a_usage_error(write, tmp_path):
    result = run("eval", write("p.csv", MODELS), "--output", tmp_path / "missing" / "report.json")
    assert result.code == 2 and "cannot write there" in result.stderr


def test_ctrl_c_while_modules_load_ends_with_130_and_no_traceback(monkeypatch):
    from losscli import cli, launch

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 130


@pytest.fixture(scope="module")
def _grouped_states(tmp_path_factory):
    """Two shards' states with --weight, --group-by, --per-class and --ci (every kind of sums a state holds)."""
    folder = tmp_path_factory.mktemp("grouped")
    rng = np.random.default_rng(14)
    y = rng.integers(0, 2, 400)
    columns = {"y_true": y, "y_pred": np.round(np.clip(rng.random(400) * 0.5 + 0.4 * y, 0.01, 0.99), 4),
               "w": rng.integers(1, 4, 400), "site": rng.choice(["a", "b"], 400)}
    for k in range(2):
        (folder / f"b{k}.csv").write_text(csv_text({c: v[200 * k:200 * (k + 1)] for c, v in columns.items()}))
        assert run("eval", folder / f"b{k}.csv", "--state", folder / f"b{k}.json", "--weight", "w", "--group-by",
                   "site", "--per-class", "--ci", "0.9", "--bootstrap", "20", "-l", "log_loss", "-l", "brier",
                   "-l", "mce", "-l", "weighted_crossentropy").code == 0
    return folder


def _losses(state: dict) -> dict:
    return state["pairs"][0]["losses"]


@pytest.mark.parametrize("edit, words", [  # each gave a number with exit 0, or crashed with exit 4
    (lambda s: _losses(s)["binary_crossentropy"]["groups"]["a"].update(weighted_sum=-50.0), "group sums do not add up"),
    (lambda s: s["pairs"][0]["by_class"]["sums"]["binary_crossentropy"]["weighted_sum"].__setitem__(0, -1e9),
     "sums by class do not add up"),
    (lambda s: _losses(s)["binary_crossentropy"]["boot"]["weighted_sum"].__setitem__(0, -1e6),
     "bootstrap sums do not add up"),
    (lambda s: _losses(s)["weighted_crossentropy"]["boot"]["class_weights"][0].__setitem__(1, math.inf), "not finite"),
    (lambda s: _losses(s)["binary_crossentropy"]["partial"].update(weight=0.0), "weight 0.0"),
    (lambda s: s["pairs"][0].update(rows=1.7), "rows 1.7"),
    (lambda s: s["pairs"][0].update(dropped=-3), "rows dropped -3"),
    (lambda s: _losses(s)["binary_crossentropy"]["partial"].update(rows=math.inf), "rows inf"),
    (lambda s: s.update(rows=10 ** 30), "whole number from 0 to 2^53"),
    (lambda s: _losses(s)["brier"]["boot"].update(class_weights=-1), "bootstrap sums: shape ()"),
    (lambda s: s["pairs"][0].update(worst=["x"]), "'x' is not a row"),
    (lambda s: _losses(s)["mce"]["params"].update(bins=math.inf), "parameter bins=inf"),
    (lambda s: _losses(s)["mce"]["params"].update(bins=0), "parameter bins=0, which must be a whole number"),
    (lambda s: s.update(held={"y": {"hold": "class ids", "labels": [math.nan], "pending": []}}), "one not finite"),
    (lambda s: s.update(held={"y": {"hold": "class ids", "labels": list(range(2000)), "pending": []}}),
     "2000 values"),
    (lambda s: s.update(held={"y": {"hold": "guess"}}), "hold 'guess'"),
])
def test_a_hand_edited_state_with_groups_classes_and_intervals_is_refused(_grouped_states, edit, words):
    state = json.loads((_grouped_states / "b0.json").read_text())
    edit(state)
    (_grouped_states / "bad.json").write_text(json.dumps(state))
    result = run("merge", _grouped_states / "bad.json", _grouped_states / "b1.json")
    assert result.code == 3 and "damaged state file" in result.stderr and words in result.stderr, result.stderr
    assert run("merge", _grouped_states / "b0.json", _grouped_states / "b1.json").code == 0
