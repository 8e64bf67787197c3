"""The command line as a person, a CI job and a shell script use it: formats, exit codes, errors."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import math
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn import metrics

from .conftest import SAMPLE_DATA, run

BINARY = "y_true,y_pred\n1,0.8\n0,0.4\n1,0.3\n0,0.1\n"
# log loss by hand: -(ln .8 + ln .6 + ln .3 + ln .9) / 4
BCE = -(math.log(0.8) + math.log(0.6) + math.log(0.3) + math.log(0.9)) / 4


def test_json_shape_and_value(write):
    result = run("eval", write("p.csv", BINARY), "--format", "json")
    assert result.code == 0
    report = result.json
    assert set(report) >= {"losscli", "signature", "input", "results", "gates", "passed"}
    assert report["input"] == {"predictions": report["input"]["predictions"], "labels": None, "rows": 4}
    res = report["results"][0]
    assert set(res) >= {"pair", "true", "pred", "task", "predictions", "n", "weight", "group", "losses",
                        "params", "ci", "skipped"}
    assert (res["pair"], res["true"], res["pred"], res["task"], res["n"]) == ("y", ["y_true"], ["y_pred"], "binary", 4)
    assert res["losses"]["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    assert report["passed"] is True and report["gates"] == []


def test_json_is_the_default_when_stdout_is_not_a_terminal(write):
    result = run("eval", write("p.csv", BINARY))
    assert result.json["results"][0]["losses"]["brier"] == pytest.approx((0.04 + 0.16 + 0.49 + 0.01) / 4)


def test_signature(write):
    sig = run("eval", write("p.csv", BINARY)).json["signature"]
    parts = sig.split("|")
    assert parts[:4] == ["losscli:0.1.0", "task:binary", "pred:probability", "eps:2.2e-16"]
    assert parts[4:6] == ["w:none", "n:4"] and parts[6].startswith("data:sha256:") and len(parts[6]) == 20
    other = run("eval", write("q.csv", BINARY.replace("0.8", "0.7"))).json["signature"]
    assert other.split("|")[-1] != parts[-1]
    assert "params:focal.gamma=3" in run("eval", write("p.csv", BINARY), "--param", "focal.gamma=3").json["signature"]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "table"])
def test_other_formats_carry_the_values(write, fmt):
    result = run("eval", write("p.csv", BINARY), "--format", fmt)
    assert result.code == 0
    assert f"{BCE:.6g}" in result.stdout or repr(BCE) in result.stdout
    if fmt == "markdown":
        assert result.stdout.startswith("<!-- losscli-report -->")
        assert f"| binary_crossentropy | {BCE:.6g} |" in result.stdout
    if fmt == "table":
        assert "losscli:0.1.0|task:binary" in result.stdout.replace("\n", "")


def test_csv_format_parses(write):
    import csv

    rows = list(csv.DictReader(io.StringIO(run("eval", write("p.csv", BINARY), "-f", "csv").stdout)))
    bce = next(r for r in rows if r["loss"] == "binary_crossentropy")
    assert float(bce["value"]) == pytest.approx(BCE, rel=1e-15)


def test_loss_selection_aliases_and_params(write):
    path = write("p.csv", BINARY)
    result = run("eval", path, "--loss", "log_loss", "--loss", "brier_score_loss", "--loss", "focal", "--param", "focal.gamma=0")
    assert result.code == 0
    losses = result.losses()
    assert list(losses) == ["binary_crossentropy", "brier", "focal"]
    assert losses["focal"] == pytest.approx(BCE, rel=1e-12)  # gamma 0 is the cross-entropy
    keras = run("eval", path, "-l", "bce", "-p", "binary_crossentropy.eps=1e-7").losses()
    assert keras["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)


def test_a_loss_of_another_task_is_skipped_with_a_reason(write):
    result = run("eval", write("p.csv", BINARY), "--loss", "mse")
    assert result.json["results"][0]["skipped"]["mse"].startswith("mse is not defined for binary")


@pytest.mark.parametrize("args, message", [
    (["--loss", "breir"], "did you mean 'brier'"),
    (["--param", "focal.gama=3"], "did you mean 'gamma'"),
    (["--param", "focal=3"], "LOSS.KEY=VALUE"),
    (["--param", "nosuchloss.x=1"], "unknown loss"),
    (["--task", "binery"], "did you mean 'binary'"),
    (["--format", "jsn"], "did you mean 'json'"),
    (["--predictions", "probs"], "probability or logits"),
    (["--true", "y_tru", "--pred", "y_pred"], "did you mean 'y_true'"),
    (["--true", "y_true"], "--pred"),
    (["--weight", "w"], "no column 'w'"),
    (["--positive", "2"], "not a value"),
    (["--on", "id"], "--labels"),
    (["--delimiter", "ab"], "one character"),
])
def test_usage_errors_exit_2_with_a_suggestion(write, args, message):
    result = run("eval", write("p.csv", BINARY), *args)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_unknown_flag_exits_2():
    assert run("eval", "x.csv", "--frmat", "json").code == 2


BAD_FILES = [
    ("empty.csv", "", "empty"),
    ("blank.csv", "\n\n", "empty"),
    ("header.csv", "y_true,y_pred\n", "no data rows"),
    ("text.csv", "y_true,y_pred\n1,0.5\n0,abc\n", "row 2: 'abc' is not a number"),
    ("gap.csv", "y_true,y_pred\n1,\n0,0.3\n", "empty or NaN"),
    ("nan.csv", "y_true,y_pred\n1,0.5\n0,NaN\n", "first rows: 2"),
    ("inf.csv", "y_true,y_pred\n1,0.5\n0,inf\n", "row 2: inf"),
    ("ninf.csv", "y_true,y_pred\n1,-inf\n0,0.3\n", "row 1: -inf"),
    ("classinf.csv", "y_true,p_0,p_1\n0,0.5,0.5\n1,0.2,inf\n", "column 'p_1', row 2: inf"),
    ("label.csv", "y_true,p_a,p_b\na,0.5,0.5\nc,0.2,0.8\n", "row 2: label 'c' matches no prediction column"),
    ("intlabel.csv", "y_true,p_0,p_1\n0,0.5,0.5\n7,0.2,0.8\n", "label '7' matches no prediction column"),
    ("ragged.csv", "y_true,y_pred\n1,0.5\n0,0.2,9\n", "row 2: 3 field(s) where the header has 2"),
    ("dup.csv", "y,y\n1,2\n", "more than once"),
    ("manystrings.csv", "y_true,y_pred\na,0.5\nb,0.2\nc,0.1\n", "3 label values"),
    ("textregression.csv", "y_true,y_pred\na,0.5\nb,0.2\n", None),
]


@pytest.mark.parametrize("name, text, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_data_exits_3_naming_file_column_and_row(write, name, text, message):
    path = write(name, text)
    result = run("eval", path, "--task", "regression") if name == "textregression.csv" else run("eval", path)
    assert result.code == 3, (result.code, result.stderr)
    assert name in result.stderr
    if message:
        assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_missing_file_and_directory_exit_3(tmp_path):
    assert run("eval", tmp_path / "nope.csv").code == 3
    assert "no such file" in run("eval", tmp_path / "nope.csv").stderr
    assert run("eval", tmp_path).code == 3


def test_probabilities_required_but_outside_unit_interval(write):
    result = run("eval", write("p.csv", "y_true,y_pred\n1,1.5\n0,0.2\n"), "--predictions", "probability")
    assert result.code == 3 and "row 1: 1.5 is not a probability" in result.stderr


def test_dropna_reports_the_count(write):
    result = run("eval", write("p.csv", BINARY + "1,\n"), "--dropna")
    assert result.code == 0
    res = result.json["results"][0]
    assert res["n"] == 4 and res["dropped"] == 1
    assert res["losses"]["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    assert "1 row(s) with empty or NaN cells dropped" in result.stderr


def test_nothing_pairs_lists_columns_and_flags(write):
    result = run("eval", write("p.csv", "a,b\nx,y\n"))
    assert result.code == 2
    assert "a, b" in result.stderr and "--true COL --pred COL" in result.stderr


@pytest.mark.parametrize("compress, suffix", [
    (gzip.compress, ".gz"), (bz2.compress, ".bz2"), (lzma.compress, ".xz"), (None, ".zst")])
def test_compressed_files(write, compress, suffix):
    if compress is None:
        zstandard = pytest.importorskip("zstandard")
        compress = zstandard.ZstdCompressor().compress
    result = run("eval", write("p.csv" + suffix, compress(BINARY.encode())))
    assert result.code == 0 and result.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed(write, delimiter):
    result = run("eval", write("p.txt", BINARY.replace(",", delimiter)))
    assert result.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)


def test_tsv_and_explicit_delimiter(write):
    assert run("eval", write("p.tsv", BINARY.replace(",", "\t"))).losses()["binary_crossentropy"] == pytest.approx(BCE)
    # decimal commas need an explicit delimiter
    result = run("eval", write("p.csv", BINARY.replace(",", ";")), "--delimiter", ";")
    assert result.losses()["binary_crossentropy"] == pytest.approx(BCE)


def test_stdin(write):
    result = run("eval", "-", input=BINARY)
    assert result.code == 0 and result.json["input"]["predictions"] == "<stdin>"
    assert result.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    assert run("eval", "-", input=gzip.compress(BINARY.encode())).losses()["binary_crossentropy"] == pytest.approx(BCE)


def test_parquet(tmp_path):
    import pandas as pd

    path = tmp_path / "p.parquet"
    pd.DataFrame({"y_true": [1, 0, 1, 0], "y_pred": [0.8, 0.4, 0.3, 0.1]}).to_parquet(path)
    assert run("eval", path).losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    piped = run("eval", "-", input=path.read_bytes())  # from standard input: read whole (the footer is at the end)
    assert piped.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)


def test_labels_file_joined_on_id_in_any_order(write):
    preds = write("preds.csv", "id,y_pred\n3,0.3\n1,0.8\n4,0.1\n2,0.4\n")
    labels = write("labels.csv", "id,y_true\n1,1\n2,0\n3,1\n4,0\n")
    result = run("eval", preds, "--labels", labels)
    assert result.code == 0 and result.json["input"]["labels"].endswith("labels.csv")
    assert result.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    other = write("labels2.csv", "key,y_true\n1,1\n2,0\n3,1\n4,0\n")
    preds2 = write("preds2.csv", "key,y_pred\n3,0.3\n1,0.8\n4,0.1\n2,0.4\n")
    assert run("eval", preds2, "--labels", other, "--on", "key").losses()["binary_crossentropy"] == pytest.approx(BCE)


def test_labels_file_row_by_row_and_same_column_name(write):
    preds = write("preds.csv", "y\n0.8\n0.4\n0.3\n0.1\n")
    labels = write("labels.csv", "y\n1\n0\n1\n0\n")
    result = run("eval", preds, "--labels", labels)
    assert result.code == 0 and result.json["results"][0]["pair"] == "y"
    assert result.losses()["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)


@pytest.mark.parametrize("labels, message", [
    ("id,y_true\n1,1\n1,0\n3,1\n4,0\n", "appears more than once"),
    ("id,y_true\n1,1\n2,0\n3,1\n", "has no row in"),
    ("id,y_true\n1,1\n2,0\n3,1\n4,0\n5,1\n", "are not in"),
    ("id,y_true\n,1\n2,0\n3,1\n4,0\n", "empty join id"),
])
def test_join_errors_exit_3(write, labels, message):
    preds = write("preds.csv", "id,y_pred\n3,0.3\n1,0.8\n4,0.1\n2,0.4\n")
    result = run("eval", preds, "--labels", write("labels.csv", labels))
    assert result.code == 3 and message in result.stderr


def test_mismatched_row_counts_exit_3(write):
    result = run("eval", write("p.csv", "y_pred\n0.1\n0.2\n"), "--labels", write("l.csv", "y_true\n1\n0\n1\n"))
    assert result.code == 3 and "2 rows" in result.stderr and "3" in result.stderr


def test_weights(write):
    text = "y_true,y_pred,w\n1,0.8,1\n0,0.4,3\n1,0.3,0.5\n0,0.1,2\n"
    result = run("eval", write("p.csv", text), "--weight", "w")
    y, p, w = [1, 0, 1, 0], [0.8, 0.4, 0.3, 0.1], [1, 3, 0.5, 2]
    assert result.losses()["binary_crossentropy"] == pytest.approx(metrics.log_loss(y, p, sample_weight=w), rel=1e-12)
    assert result.json["results"][0]["weight"] == "w" and "|w:w|" in result.json["signature"]
    bad = run("eval", write("q.csv", text.replace(",3\n", ",-3\n")), "--weight", "w")
    assert bad.code == 3 and "negative" in bad.stderr


def test_weight_column_named_weight_never_pairs(write):
    result = run("eval", write("p.csv", "id,weight,y_true,y_pred\n1,2,1,0.8\n2,1,0,0.4\n"))
    assert [r["pair"] for r in result.json["results"]] == ["y"]


def test_output_is_atomic_and_format_follows_the_extension(write, tmp_path):
    out = tmp_path / "report.json"
    assert run("eval", write("p.csv", BINARY), "--output", out).code == 0
    saved = json.loads(out.read_text())
    assert saved["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(BCE, rel=1e-12)
    failed = run("eval", write("bad.csv", "y_true,y_pred\n1,x\n"), "--output", out)
    assert failed.code == 3
    assert json.loads(out.read_text()) == saved  # the last good report is untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
    md = tmp_path / "report.md"
    run("eval", write("p.csv", BINARY), "-o", md)
    assert md.read_text().startswith("<!-- losscli-report -->")


def test_explain_prints_the_evidence_on_stderr(write):
    result = run("eval", write("p.csv", BINARY), "--explain")
    assert "binary; positive class 1" in result.stderr and "probabilities" in result.stderr
    assert json.loads(result.stdout)  # stdout stays pure JSON


def test_unpaired_columns_are_named_on_stderr(write):
    result = run("eval", write("p.csv", "y_true,y_pred,extra_thing\n1,0.5,3\n0,0.2,4\n"))
    assert result.code == 0 and "extra_thing" in result.stderr


def test_list_and_explain():
    listing = run("list", "--format", "json").json["losses"]
    names = {e["name"] for e in listing}
    assert {"mse", "huber", "binary_crossentropy", "categorical_hinge", "kl_divergence", "top_k_error"} <= names
    brier = run("explain", "brier_score_loss", "--format", "json").json["losses"]
    assert {tuple(e["tasks"]) for e in brier} == {("binary", "multilabel"), ("sparse", "multiclass")}
    text = run("explain", "huber")
    assert text.code == 0 and "delta" in text.stdout and "HuberLoss" in text.stdout
    assert run("explain", "hubber").code == 2
    assert "regression" in run("list", "--task", "regression", "--format", "table").stdout


RST_MARKUP = (":math:", "``", ".. math::", "`")


def test_explain_renders_the_docstring_as_plain_text():
    text = run("explain", "huber", "--format", "table").stdout
    assert not any(markup in text for markup in RST_MARKUP)
    assert "Huber loss (PyTorch HuberLoss, Keras Huber), with r = y − ŷ.\n\n" in text
    assert "\n    \\ell_i = \\tfrac12 r_i^2 \\text{ if } |r_i| \\le \\delta," in text  # the formula, on its own line
    huber = run("explain", "huber", "--format", "json").json["losses"][0]  # JSON: the same plain text
    assert huber["formula"] == ("Huber loss (PyTorch HuberLoss, Keras Huber), with r = y − ŷ.\n\n"
                                "    \\ell_i = \\tfrac12 r_i^2 \\text{ if } |r_i| \\le \\delta, \\text{ else } "
                                "\\delta(|r_i| - \\tfrac12\\delta)")
    assert huber["summary"] == "Huber loss (PyTorch HuberLoss, Keras Huber), with r = y − ŷ."


def test_list_shows_plain_summaries():
    listing = {e["name"]: e for e in run("list", "--format", "json").json["losses"]}
    assert listing["mse"]["summary"] == "Mean squared error. \\ell_i = (y_i - \\hat y_i)^2."
    assert not any(markup in e["summary"] + e["formula"] for e in listing.values() for markup in RST_MARKUP)
    table = run("list", "--format", "table").stdout
    assert not any(markup in table for markup in RST_MARKUP)


def test_plain_text_of_a_math_block_after_a_blank_line():
    from losscli.catalogue import plain

    rst = "Cubic error of ``y``.\n\n.. math::\n\n    \\ell_i = |r_i|^3\n    + 0\n\nSee :func:`numpy.abs`."
    assert plain(rst) == "Cubic error of y.\n\n    \\ell_i = |r_i|^3 + 0\n\nSee numpy.abs."


def test_version_and_help():
    assert run("--version").stdout.strip() == "losscli 0.1.0"
    for command in ([], ["eval"], ["list"], ["explain"]):
        assert run(*command, "--help").code == 0


def _losscli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "losscli", *map(str, args)], capture_output=True, text=True, **kwargs)


# A closed pipe is only met when the output is larger than what the pipe buffers (64 KiB on Linux):
# smaller, the whole report fits in the buffer and the command ends as if the reader had read it.
# So each test below also runs the same command to its end and asserts that it writes over 1 MiB.
MIB = 1 << 20


@pytest.fixture
def large_report(write):
    """A file whose report is over 1 MiB in every format, for little work: 60 rows in 30 groups with
    40,000-character names (the table shows 30 groups, markdown 50; csv repeats the name per loss)."""
    rows = "".join(f"site-{i % 30:02d}-{'x' * 40_000},{i % 2},{(i % 97) / 100 + 0.005:.3f}\n" for i in range(60))
    return write("p.csv", "site,y_true,y_pred\n" + rows)


@pytest.fixture
def many_losses(write):
    """A plugin whose ``list`` is over 1 MiB (110 losses with long summaries) and whose
    ``explain long_story`` is over 1 MiB (300 paragraphs of 4,000 characters)."""
    return write("many_losses.py", '''
from losscli import loss


def _squared(y_true, y_pred):
    return (y_true - y_pred) ** 2


for i in range(110):
    def term(y_true, y_pred):
        return _squared(y_true, y_pred)
    term.__doc__ = f"Squared error, copy {i}: " + "a summary that goes on and on, " * 40
    loss(f"copy_{i:03d}", tasks=["regression"], default=False)(term)


def long_story(y_true, y_pred):
    return _squared(y_true, y_pred)


long_story.__doc__ = "Squared error.\\n\\n" + "\\n\\n".join(f"Paragraph {i}: " + "more words " * 360 for i in range(300))
loss("long_story", tasks=["regression"], default=False)(long_story)
''')


def _closed_early(monkeypatch, *args: str, head: list[str] | None = None) -> tuple[int, int, bytes]:
    """``losscli ARGS`` into a pipe whose reader leaves after the first line (``| head -1``), or
    through a real ``head`` (``head=["head", "-c", "1"]``). Returns the size of the whole output
    (the same command run to its end, in-process, while the piped one waits on its full pipe), and
    the exit code and standard error of the run that met the closed pipe."""
    monkeypatch.setenv("COLUMNS", "80")  # the table's width: its size does not depend on the terminal
    # PYTHONUNBUFFERED (set in many CI and Docker images) makes standard output a raw file: one write of
    # the whole report that the closed pipe cuts short, silently, and no BrokenPipeError to handle
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "PYTHONUNBUFFERED"):
        monkeypatch.delenv(name, raising=False)
    piped = subprocess.Popen([sys.executable, "-m", "losscli", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    whole = run(*args)
    assert whole.code == 0 and whole.stderr == "", whole.stderr
    size = len(whole.stdout.encode())
    if head:
        reader = subprocess.Popen(head, stdin=piped.stdout, stdout=subprocess.PIPE)
        piped.stdout.close()  # only head holds the reading end now
        assert len(reader.communicate(timeout=120)[0]) == 1
    else:
        assert piped.stdout.readline()
        piped.stdout.close()  # as `| head -1` does
    stderr = piped.communicate(timeout=120)[1]  # (communicate leaves the closed stdout alone)
    return size, piped.returncode, stderr


def test_a_closed_pipe_ends_quietly(large_report, monkeypatch):
    size, code, stderr = _closed_early(monkeypatch, "eval", large_report, "--format", "json", "--group-by", "site",
                                       "--worst", "60", head=["head", "-c", "1"])
    assert size > MIB, f"{size} bytes fit in a pipe's buffer: the test would not meet a closed pipe"
    assert code == 0 and stderr == b"", stderr.decode()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_a_pipe_closed_after_one_line_exits_0_in_every_format(large_report, monkeypatch, fmt):
    size, code, stderr = _closed_early(monkeypatch, "eval", large_report, "--format", fmt, "--group-by", "site",
                                       "--worst", "60")
    assert size > MIB, f"{fmt}: {size} bytes fit in a pipe's buffer: the test would not meet a closed pipe"
    assert code == 0 and stderr == b"", stderr.decode()


@pytest.mark.parametrize("args", [["list", "--format", "table"], ["list", "--format", "json"],
                                  ["explain", "long_story", "--format", "table"],
                                  ["explain", "long_story", "--format", "json"]], ids=" ".join)
def test_a_pipe_closed_after_one_line_exits_0_for_list_and_explain(many_losses, monkeypatch, args):
    size, code, stderr = _closed_early(monkeypatch, *args, "--plugin", many_losses)
    assert size > MIB, f"{args}: {size} bytes fit in a pipe's buffer: the test would not meet a closed pipe"
    assert code == 0 and stderr == b"", stderr.decode()


def test_bugs_exit_4_with_an_apology(write, monkeypatch):
    import losscli.evaluation

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(losscli.evaluation, "evaluate", broken)
    result = run("eval", write("p.csv", BINARY))
    assert result.code == 4 and "bug in losscli" in result.stderr and "LOSSCLI_DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr


def test_start_up_imports_no_numpy_pandas_pyarrow():
    code = "import sys, losscli.launch, losscli.cli; print(sorted({'numpy', 'pandas', 'pyarrow', 'rich'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    assert out == "[]"


def test_python_module_entry_point(write):
    proc = _losscli("eval", write("p.csv", BINARY))
    assert proc.returncode == 0 and json.loads(proc.stdout)["results"][0]["task"] == "binary"


def test_all_zero_weights_skip_with_a_reason_and_negative_weights_name_the_row(write):
    result = run("eval", write("p.csv", "y_true,y_pred,w\n1,0.5,0\n0,0.2,0\n"), "--weight", "w")
    assert result.code == 0 and result.json["results"][0]["losses"] == {}
    assert "weights of every row are 0" in result.json["results"][0]["skipped"]["brier"]
    result = run("eval", write("q.csv", "y_true,y_pred,w\n1,0.5,1\n0,0.2,-2\n"), "--weight", "w")
    assert result.code == 3 and "column 'w', row 2: weight -2 is negative" in result.stderr


def test_parquet_shards_with_categorical_labels(tmp_path):
    import pandas as pd

    df = pd.read_csv(SAMPLE_DATA / "sparse_strings.csv")
    df["species"] = df["species"].astype("category")
    df.iloc[:20].to_parquet(tmp_path / "part_0.parquet")
    df.iloc[20:].to_parquet(tmp_path / "part_1.parquet")
    result = run("eval", str(tmp_path / "part_*.parquet"))
    assert result.code == 0, result.stderr
    columns = ["prob_setosa", "prob_versicolor", "prob_virginica"]
    expected = metrics.log_loss(df.species.astype(str), df[columns].to_numpy(), labels=["setosa", "versicolor", "virginica"])
    assert result.losses()["sparse_categorical_crossentropy"] == pytest.approx(expected, rel=1e-12)


def test_the_console_entry_point_builds_the_command_run_and_still_knows_the_others(write):
    """main() builds only the command named first (a start-up saving); other names still get
    typer's own 'No such command … Did you mean' and the top-level help lists every command."""
    assert json.loads(_losscli("eval", write("p.csv", BINARY), "--format", "json").stdout)["results"][0]["n"] == 4
    typo = _losscli("evl", "x")
    assert typo.returncode == 2 and "No such command 'evl'" in typo.stderr and "eval" in typo.stderr
    top = _losscli("--help").stdout
    assert all(name in top for name in ("eval", "compare", "merge", "history", "list", "explain"))


def test_an_eval_of_text_labels_never_imports_pandas(write):
    """pandas costs a fifth of a second to import, and pyarrow imports it for any pa.array or
    pa.scalar built from Python values: the eval path reads Arrow buffers instead."""
    path = write("p.csv", "label,score,g\n" + "".join(f"{'spam' if i % 3 else ' ham'},{i % 7 - 3},{'ab'[i % 2]}\n"
                                                    for i in range(300)))
    code = ("import sys; from losscli import api; "
            f"api.evaluate({path!r}, worst=3, group_by='g'); print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
def test_the_console_entry_point_reads_the_file_early_only_when_sure(write):
    """``eval FILE`` streams FILE before typer loads, unless an option changes what eval reads."""
    from losscli.launch import files_read_early

    path = str(write("p.csv", BINARY))
    labels = str(write("l.csv", "y_true\n1\n"))
    assert files_read_early(["eval", path]) == (path, None)
    assert files_read_early(["eval", path, "--loss", "brier", "--max", "brier=0.3"]) == (path, None)
    assert files_read_early(["eval", path, "--labels", labels, "--on", "id"]) == (path, labels)
    assert files_read_early(["eval", path, f"--labels={labels}"]) == (path, labels)
    for args in (["eval"], ["compare", path], ["eval", "-"], ["eval", "--loss", "brier", path],
                 ["eval", path + ".missing"], ["eval", path, "--delimiter", ";"], ["eval", path, "--labels=l.csv"],
                 ["eval", path, "--labels", labels, "--labels", labels], ["eval", path, "--labels", "-"],
                 ["eval", path, "--engine", "dask"], ["eval", path, "-h"], ["eval", str(Path(path).parent)]):
        assert files_read_early(args) is None, args


def test_a_file_read_early_gives_the_same_report_and_the_same_errors(write):
    path = write("p.csv", BINARY)
    early = _losscli("eval", path, "--format", "json")
    assert early.returncode == 0 and json.loads(early.stdout) == run("eval", path, "--format", "json").json
    wrong = _losscli("eval", path, "--loss", "no_such_loss")
    assert wrong.returncode == 2 and "no_such_loss" in wrong.stderr and "Traceback" not in wrong.stderr
    typo = _losscli("eval", path, "--no-such-flag")
    assert typo.returncode == 2 and "No such option" in typo.stderr
    bad = _losscli("eval", write("bad.csv", "y_true,y_pred\n1,0.5\n0,abc\n"), "--task", "regression")
    assert bad.returncode == 3 and "row 2" in bad.stderr and "Traceback" not in bad.stderr



def test_eval_takes_up_the_read_begun_early_and_reads_the_file_once(write, monkeypatch, capsys):
    from losscli import evaluation, launch

    path = write("p.csv", BINARY)
    expected = run("eval", path, "--format", "json").json

    def read_again(*args, **kwargs):
        raise AssertionError("the file was read a second time")

    monkeypatch.setattr(evaluation, "tables", read_again)
    monkeypatch.setattr(sys, "argv", ["losscli", "eval", path, "--format", "json"])
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_a_join_takes_up_both_files_read_early_and_reads_each_once(write, monkeypatch, capsys):
    from losscli import launch, reading

    preds = write("p.csv", "id,y_pred\n" + "".join(f"{i},{(i % 9 + 0.5) / 10}\n" for i in range(40)))
    labels = write("l.csv", "id,y_true\n" + "".join(f"{i},{i % 2}\n" for i in reversed(range(40))))
    expected = run("eval", preds, "--labels", labels, "--format", "json").json
    read = []
    every_table = reading.iter_tables

    def counted(path, *args, **kwargs):
        read.append(path)
        return every_table(path, *args, **kwargs)

    monkeypatch.setattr(reading, "iter_tables", counted)
    monkeypatch.setattr(sys, "argv", ["losscli", "eval", preds, "--labels", labels, "--format", "json"])
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert sorted(read) == sorted([preds, labels])


def test_a_join_read_early_gives_the_same_errors(write):
    preds = write("p.csv", "id,y_pred\n1,0.2\n2,0.7\n3,0.4\n")
    for labels, code, words in ((write("dup.csv", "id,y_true\n1,0\n2,1\n2,1\n"), 3, "more than once"),
                                (write("bad.csv", 'id,y_true\n1,0\n2,"1\n'), 3, "row"),
                                (write("none.csv", "id,y_true\n"), 3, "no data rows")):
        early = _losscli("eval", preds, "--labels", labels)
        late = run("eval", preds, "--labels", labels)
        assert early.returncode == late.code == code, (labels, early.stderr)
        assert words in early.stderr and "Traceback" not in early.stderr
        assert early.stderr.strip() == late.stderr.strip()


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_reports_are_written_as_utf8_whatever_the_locale_of_standard_output(write, fmt):
    """A group named in any script reaches a pipe as UTF-8, even where Python would encode standard
    output as ASCII (a bare CI container): the report is written as bytes."""
    import os

    path = write("p.csv", "y_true,y_pred,site\n1,0.9,café\n0,0.2,東京\n1,0.6,café\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    out = subprocess.run([sys.executable, "-m", "losscli", "eval", path, "--group-by", "site", "--format", fmt],
                         capture_output=True, env=env)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode("utf-8")
    assert "café" in text and "東京" in text
    if fmt == "json":
        assert sorted(r["group"] for r in json.loads(text)["results"][1:]) == ["café", "東京"]
