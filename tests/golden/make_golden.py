"""Write the golden outputs that tests/test_golden.py compares the CLI against.

    python tests/golden/make_golden.py          # rewrites tests/golden/{sample_data,corpus,options}.json

Each case is one command line, run as ``python -m losscli ARGS`` with the repository root as working
directory and relative paths (so no output holds a path of this machine). Per case the golden file
keeps the arguments, the exit code, standard output (parsed when it is JSON, as text for csv and
markdown) and, when the exit code is not 0 (a refusal, a failed gate), standard error.

Groups:

- ``sample_data``: every file of sample_data/ as the demo runs it (no flags; ``predictions.csv`` also
  with ``--labels sample_data/labels.csv``, as tests/test_sample_data.py runs it), ``--format json``.
- ``corpus``: every case of tests/corpus/expected.json as tests/test_corpus.py runs it (``--labels``
  when the case has one), ``--format json``.
- ``options``: option-rich runs that reach more of the report: intervals, groups, worst rows,
  chosen losses, gates that pass and fail, csv and markdown, ``compare``, ``--explain``.

No case uses ``--param``: the signature of a parameter is meant to change (issue 14, see
tests/test_signature.py). Regenerate only when a change of output is intended, and say so in the commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
SAMPLE = "sample_data"
CORPUS = "tests/corpus"

# the environment of a run: nothing of the machine's CI, debugging or terminal leaks into the output
UNSET = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "LOSSCLI_DEBUG", "COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR",
         "TERM")

Case = tuple[str, list[str]]  # (id, arguments after `losscli`)


def sample_data_cases() -> list[Case]:
    cases = []
    for path in sorted((ROOT / SAMPLE).iterdir()):
        if path.is_file() and not path.name.startswith("."):
            cases.append((path.name, ["eval", f"{SAMPLE}/{path.name}", "--format", "json"]))
    cases.append(("predictions.csv+labels.csv",
                  ["eval", f"{SAMPLE}/predictions.csv", "--format", "json", "--labels", f"{SAMPLE}/labels.csv"]))
    return cases


def corpus_cases() -> list[Case]:
    manifest = json.loads((ROOT / CORPUS / "expected.json").read_text(encoding="utf-8"))
    cases = []
    for case in manifest:
        args = ["eval", f"{CORPUS}/{case['file']}", "--format", "json"]
        if case.get("labels"):
            args += ["--labels", f"{CORPUS}/{case['labels']}"]
        cases.append((case["file"], args))
    return cases


def option_cases() -> list[Case]:
    binary = f"{SAMPLE}/binary_probabilities.csv"
    logits = f"{SAMPLE}/binary_logits.csv"
    sparse = f"{SAMPLE}/sparse_integers.csv"
    strings = f"{SAMPLE}/sparse_strings.csv"
    multi = f"{SAMPLE}/regression_multi.csv"
    regression = f"{SAMPLE}/regression.csv"
    multilabel = f"{SAMPLE}/multilabel.csv"
    onehot = f"{SAMPLE}/multiclass_onehot.csv"
    preds, labels = f"{SAMPLE}/predictions.csv", f"{SAMPLE}/labels.csv"
    files = f"{CORPUS}/files"
    ci = ["--ci", "0.95", "--seed", "1", "--bootstrap", "200"]
    return [
        # bootstrap intervals, one file of each task
        ("ci binary", ["eval", binary, "--format", "json", *ci]),
        ("ci logits", ["eval", logits, "--format", "json", *ci]),
        ("ci sparse", ["eval", sparse, "--format", "json", *ci]),
        ("ci multiclass", ["eval", onehot, "--format", "json", *ci]),
        ("ci multilabel", ["eval", multilabel, "--format", "json", *ci]),
        ("ci regression_multi", ["eval", multi, "--format", "json", *ci]),
        ("ci joined labels", ["eval", preds, "--labels", labels, "--format", "json", *ci]),
        # groups: Kaggle's Usage column (Public/Private) of a solution file; a text group column
        ("group-by Usage", ["eval", f"{files}/solution_preds.csv", "--labels", f"{files}/solution_truth.csv",
                            "--group-by", "Usage", "--format", "json"]),
        ("group-by Usage ci", ["eval", f"{files}/solution_preds.csv", "--labels", f"{files}/solution_truth.csv",
                               "--group-by", "Usage", "--format", "json", *ci]),
        ("group-by Usage markdown", ["eval", f"{files}/solution_preds.csv", "--labels",
                                     f"{files}/solution_truth.csv", "--group-by", "Usage", "--format", "markdown"]),
        ("group-by the label column", ["eval", logits, "--group-by", "diagnosis", "--format", "json"]),
        ("group-by a missing column", ["eval", binary, "--group-by", "site", "--format", "json"]),
        # worst rows: with an id, without one, joined, several pairs, every task
        ("worst 3 binary", ["eval", binary, "--worst", "3", "--format", "json"]),
        ("worst 3 logits", ["eval", logits, "--worst", "3", "--format", "json"]),
        ("worst 3 regression", ["eval", regression, "--worst", "3", "--format", "json"]),
        ("worst 3 regression_multi", ["eval", multi, "--worst", "3", "--format", "json"]),
        ("worst 3 sparse strings", ["eval", strings, "--worst", "3", "--format", "json"]),
        ("worst 3 multiclass", ["eval", onehot, "--worst", "3", "--format", "json"]),
        ("worst 3 multilabel", ["eval", multilabel, "--worst", "3", "--format", "json"]),
        ("worst 3 joined labels", ["eval", preds, "--labels", labels, "--worst", "3", "--format", "json"]),
        ("worst 3 csv", ["eval", binary, "--worst", "3", "--format", "csv"]),
        ("worst 3 markdown", ["eval", binary, "--worst", "3", "--format", "markdown"]),
        # chosen losses, by name and by alias; one that does not apply; an unknown one
        ("loss focal brier", ["eval", binary, "--loss", "focal", "--loss", "brier", "--format", "json"]),
        ("loss aliases", ["eval", sparse, "--loss", "log_loss", "-l", "top_k", "--format", "json"]),
        ("loss aliases regression", ["eval", multi, "--loss", "l2", "--loss", "HuberLoss", "--format", "json"]),
        ("loss hinge on probabilities", ["eval", binary, "--loss", "hinge", "--format", "json"]),
        ("loss unknown", ["eval", binary, "--loss", "focul", "--format", "json"]),
        # gates
        ("max passes", ["eval", binary, "--max", "binary_crossentropy=0.2", "--format", "json"]),
        ("max fails", ["eval", binary, "--max", "brier=0.01", "--format", "json"]),
        ("max pair-qualified and alias", ["eval", binary, "--max", "y:log_loss=0.05", "--max", "BCELoss=0.5",
                                          "--format", "json"]),
        ("max per pair", ["eval", multi, "--max", "weight:mae=20", "--max", "pulse:mae=1", "--format", "json"]),
        ("max fails markdown", ["eval", binary, "--max", "brier=0.01", "--format", "markdown"]),
        ("max unknown pair", ["eval", binary, "--max", "z:brier=0.1", "--format", "json"]),
        # text formats
        ("csv binary", ["eval", binary, "--format", "csv"]),
        ("csv regression_multi", ["eval", multi, "--format", "csv"]),
        ("csv sparse ci", ["eval", sparse, "--format", "csv", *ci]),
        ("markdown binary", ["eval", binary, "--format", "markdown"]),
        ("markdown regression_multi", ["eval", multi, "--format", "markdown"]),
        ("markdown multilabel ci", ["eval", multilabel, "--format", "markdown", *ci]),
        # how the pairs were decided
        ("explain binary", ["eval", binary, "--explain", "--format", "json"]),
        ("explain joined labels", ["eval", preds, "--labels", labels, "--explain", "--format", "json"]),
        ("explain two models", ["eval", f"{files}/two_models.csv", "--explain", "--format", "json"]),
        # two models on the same rows: a good one against its inverted copy, one model named two ways
        ("compare tidy inverted", ["compare", f"{files}/binary_tidy.csv", f"{files}/binary_inverted.csv",
                                   "--bootstrap", "200", "--seed", "1", "--format", "json"]),
        ("compare tidy inverted gates", ["compare", f"{files}/binary_tidy.csv", f"{files}/binary_inverted.csv",
                                         "--bootstrap", "200", "--max-increase", "brier=0.001",
                                         "--max-increase", "log_loss=1%", "--significant", "--format", "json"]),
        ("compare with itself", ["compare", binary, binary, "--bootstrap", "200", "--max-increase", "log_loss=0",
                                 "--max-increase", "brier=1%", "--format", "json"]),
        ("compare benign malignant", ["compare", f"{files}/diagnosis_p_benign.csv",
                                      f"{files}/diagnosis_p_malignant.csv", "--bootstrap", "200", "--format", "json"]),
        ("compare markdown", ["compare", f"{files}/binary_tidy.csv", f"{files}/binary_inverted.csv",
                              "--bootstrap", "200", "--format", "markdown"]),
        ("compare different labels", ["compare", f"{files}/binary_tidy.csv", f"{files}/diagnosis_y_pred.csv",
                                      "--format", "json"]),
        # the catalogue
        ("list", ["list", "--format", "json"]),
        ("explain focal", ["explain", "focal", "--format", "json"]),
    ]


GROUPS = {"sample_data": sample_data_cases, "corpus": corpus_cases, "options": option_cases}


def output_format(args: list[str]) -> str:
    for flag in ("--format", "-f"):
        if flag in args:
            return args[args.index(flag) + 1]
    return "json"  # the default when standard output is not a terminal


def record(args: list[str], code: int, stdout: str, stderr: str) -> dict[str, Any]:
    """What the golden file keeps of one run (the test builds the same from its own run)."""
    entry: dict[str, Any] = {"args": args, "exit": int(code)}
    if stdout:
        if output_format(args) == "json":
            entry["json"] = json.loads(stdout)
        else:
            entry["stdout"] = stdout
    if code != 0:
        entry["stderr"] = stderr
    return entry


def environment(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET and not k.startswith("LOSSCLI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["XDG_CACHE_HOME"] = cache  # an empty cache folder, as tests/conftest.py gives every test
    return env


def run_subprocess(args: list[str], cache: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "losscli", *args], cwd=ROOT, env=environment(cache),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return record(args, proc.returncode, proc.stdout, proc.stderr)


def make(group: str, workers: int | None = None) -> list[dict[str, Any]]:
    cases = GROUPS[group]()
    ids = [case_id for case_id, _ in cases]
    assert len(set(ids)) == len(ids), f"{group}: duplicate case ids"
    with tempfile.TemporaryDirectory() as cache, ThreadPoolExecutor(workers or os.cpu_count() or 2) as pool:
        entries = list(pool.map(lambda case: run_subprocess(case[1], cache), cases))
    return [{"id": case_id, **entry} for case_id, entry in zip(ids, entries)]


def main() -> None:
    for group in GROUPS:
        entries = make(group)
        path = GOLDEN / f"{group}.json"
        path.write_text(json.dumps(entries, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
        codes: dict[int, int] = {}
        for entry in entries:
            codes[entry["exit"]] = codes.get(entry["exit"], 0) + 1
        print(f"{path.relative_to(ROOT)}: {len(entries)} cases, exit codes {dict(sorted(codes.items()))}")


if __name__ == "__main__":
    main()
