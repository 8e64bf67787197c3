"""``make bench``: losscli against what a user writes instead, as whole processes, side by side.

Generates its files once (bench/.data/, seeded): a 3M-row binary file and a 1M-row 10-class file
(``--scale 2`` doubles them), and, for information, a regression file and binary text labels with
scores. For each: losscli, the pandas + scikit-learn script, and pyarrow's
reader alone; wall time (best of ``--repeat``) and peak memory (the child's own max RSS from
``os.wait4``). Then ``losscli --help`` against a bare two-command Typer app, the bootstrap's cost,
memory at 300k against 3M rows (streaming), and a 3-model compare: ``losscli compare BASE NEW1
NEW2`` on three 3M-row binary files with ids (the same labels, three models' predictions) against
the pandas + scikit-learn script doing the same (the losses, a paired bootstrap of 1000 resamples
of each NEW − BASE log-loss difference, Holm-adjusted p-values, the rows made better or worse).
It prints the figures and the ratios the issue sets as goals (and some for information).
``--only compare`` runs the 3-model compare alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
PYTHON = sys.executable
LOSSCLI = [PYTHON, "-m", "losscli"]
RESAMPLES = 1000  # of the 3-model compare's bootstrap, losscli's default, the same in the script
SCRIPT_COMPARE_RUNS = 1  # its 1000 resamples of 3M rows take a minute (losscli's runs: --repeat)

SCRIPT_BINARY = """
import sys, pandas as pd
from sklearn.metrics import log_loss, brier_score_loss, zero_one_loss
df = pd.read_csv(sys.argv[1])
y, p = df["y_true"], df["y_pred"]
print(log_loss(y, p), brier_score_loss(y, p), zero_one_loss(y, p > 0.5))
"""
SCRIPT_CLASSES = """
import sys, pandas as pd
from sklearn.metrics import log_loss, brier_score_loss, zero_one_loss
df = pd.read_csv(sys.argv[1])
y, p = df["y_true"], df[[f"p_{k}" for k in range(10)]].to_numpy()
print(log_loss(y, p), brier_score_loss(y, p, labels=range(10)), zero_one_loss(y, p.argmax(axis=1)))
"""
SCRIPT_COMPARE = """
import sys, json, numpy as np, pandas as pd
from sklearn.metrics import log_loss, brier_score_loss, zero_one_loss
RESAMPLES, LEVEL = int(sys.argv[1]), 0.95
names = ["base"] + [f"new{k}" for k in range(1, len(sys.argv) - 2)]
df = pd.read_csv(sys.argv[2]).rename(columns={"y_pred": "base"})
for name, path in zip(names[1:], sys.argv[3:]):
    new = pd.read_csv(path).rename(columns={"y_true": "y_new", "y_pred": name})
    df = df.merge(new, on="id")
    assert len(df) == len(new) and (df["y_new"] == df["y_true"]).all(), f"{path}: other rows or labels"
    df = df.drop(columns="y_new")
y, n = df["y_true"].to_numpy(), len(df)
report = {name: {"log_loss": log_loss(y, df[name]), "brier": brier_score_loss(y, df[name]),
                 "zero_one": zero_one_loss(y, df[name] > 0.5)} for name in names}
def row_log_loss(p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return -np.where(y == 1, np.log(p), np.log1p(-p))
base_terms = row_log_loss(df["base"].to_numpy())
new_terms = {name: row_log_loss(df[name].to_numpy()) for name in names[1:]}
diffs = np.column_stack([new_terms[name] - base_terms for name in names[1:]])  # (n, models)
rng = np.random.default_rng(0)
boot = np.empty((RESAMPLES, diffs.shape[1]))
for b in range(RESAMPLES):  # the same resampled rows for every model (paired)
    boot[b] = np.bincount(rng.integers(0, n, n), minlength=n) @ diffs / n
p_values = [min(1.0, 2 * (min((d <= 0).sum(), (d >= 0).sum()) + 1) / (RESAMPLES + 1)) for d in boot.T]
running, holm = 0.0, [0.0] * len(p_values)
for rank, i in enumerate(np.argsort(p_values)):
    running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
    holm[i] = running
wrong_base = (df["base"].to_numpy() > 0.5) != y
for j, name in enumerate(names[1:]):
    wrong = (df[name].to_numpy() > 0.5) != y
    low, high = np.percentile(boot[:, j], [50 * (1 - LEVEL), 50 * (1 + LEVEL)])
    report[name].update(log_loss_diff=diffs[:, j].mean(), ci=[low, high], p_value=p_values[j], p_holm=holm[j],
                        better=int((new_terms[name] < base_terms).sum()),
                        worse=int((new_terms[name] > base_terms).sum()),
                        fixed=int((wrong_base & ~wrong).sum()), broken=int((~wrong_base & wrong).sum()))
print(json.dumps(report, indent=2))
"""
PYARROW_ALONE = "import sys, pyarrow.csv as c; c.read_csv(sys.argv[1])"
BARE_TYPER = """
import typer
app = typer.Typer()
@app.command()
def eval(path: str):
    print(path)
@app.command()
def other(path: str):
    print(path)
app()
"""


def make_binary(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=rows) < 0.3).astype(np.int64)
    p = np.clip(rng.beta(2, 5, rows) + 0.35 * y, 0.0, 1.0).round(6)
    pacsv.write_csv(pa.table({"y_true": y, "y_pred": p}), path)


def make_classes(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, rows)
    z = rng.normal(0, 1.5, (rows, 10)) + 2.5 * np.eye(10)[y]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).round(6)
    pacsv.write_csv(pa.table({"y_true": y, **{f"p_{k}": p[:, k] for k in range(10)}}), path)


def make_regression(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(2)
    y = rng.gamma(4.0, 10.0, rows).round(3)
    pacsv.write_csv(pa.table({"y_true": y, "y_pred": (y * rng.lognormal(0, 0.2, rows)).round(3)}), path)


def make_text_labels(path: Path, rows: int) -> None:
    """Binary labels written as names, predictions as decision scores (logits)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(3)
    spam = rng.uniform(size=rows) < 0.3
    score = (rng.normal(0, 1.5, rows) + 2.0 * spam).round(4)
    pacsv.write_csv(pa.table({"label": np.where(spam, "spam", "ham"), "score": score}), path)


def make_compare(path: Path, rows: int, model: str) -> None:
    """One model's predictions for the 3-model compare, with ids (shuffled, the same in every file):
    ``base`` drawn as make_binary's (the labels, too, the same in every file), ``better`` and
    ``worse`` from it, each with its own noise (seeded)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=rows) < 0.3).astype(np.int64)
    p = np.clip(rng.beta(2, 5, rows) + 0.35 * y, 0.0, 1.0)
    if model == "better":  # a little nearer the labels
        p = np.clip(0.97 * p + 0.03 * y + np.random.default_rng(5).normal(0, 0.02, rows), 1e-6, 1 - 1e-6)
    elif model == "worse":  # noisier
        p = np.clip(p + np.random.default_rng(6).normal(0, 0.04, rows), 1e-6, 1 - 1e-6)
    ids = np.random.default_rng(4).permutation(rows) + 1
    pacsv.write_csv(pa.table({"id": ids, "y_true": y, "y_pred": p.round(6)}), path)


COMPARED = ("base", "better", "worse")
MAKERS: dict[str, Callable[[Path, int], None]] = {
    "binary": make_binary, "classes": make_classes, "regression": make_regression, "text": make_text_labels,
    **{f"compare_{model}": partial(make_compare, model=model) for model in COMPARED},
}


def dataset(name: str, rows: int) -> Path:
    """The file, generated once in a child process (so this process stays small: a child's peak
    memory as measured includes what it inherited from its parent before exec)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{name}_{rows}.csv"
    if not path.exists():
        print(f"generating {path.name} …", file=sys.stderr)
        subprocess.run([PYTHON, __file__, "--make", name, str(rows), str(path)], check=True)
    return path


def measure(command: list[str], repeat: int) -> tuple[float, float]:
    """(best wall seconds, peak RSS in MB of the slowest-memory run) of a whole process."""
    best, peak = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"failed ({status}): {' '.join(map(str, command))}\n{process.stderr.read().decode()}")
        best = min(best, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak


def compare_case(repeat: int, scale: float, script: Path) -> dict[str, tuple[float, float]]:
    """``losscli compare BASE NEW1 NEW2`` and the pandas + scikit-learn script, on the same three
    files; their figures printed, and returned."""
    rows = int(3_000_000 * scale)
    files = [str(dataset(f"compare_{model}", rows)) for model in COMPARED]
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"\n3-model compare ({rows / 1e6:g}M rows each): {', '.join(Path(f).name for f in files)} ({size:.0f} MB)")
    runs = min(repeat, SCRIPT_COMPARE_RUNS)
    figures = {
        "losscli": measure(LOSSCLI + ["compare", *files, "--format", "json", "--bootstrap", str(RESAMPLES)], repeat),
        "script": measure([PYTHON, str(script), str(RESAMPLES), *files], runs),
    }
    row(f"losscli compare ({RESAMPLES} resamples)", *figures["losscli"])
    row(f"pandas + scikit-learn + numpy ({runs} run{'s' if runs > 1 else ''})", *figures["script"])
    return figures


def compare_ratios(figures: dict[str, tuple[float, float]]) -> None:
    information("3-model compare: pandas+sklearn time / losscli time", figures["script"][0] / figures["losscli"][0])
    information("3-model compare: losscli peak memory / script peak memory",
                figures["losscli"][1] / figures["script"][1])


def row(label: str, seconds: float, megabytes: float) -> None:
    print(f"  {label:<44} {seconds:8.3f} s {megabytes:9.0f} MB")


def verdict(name: str, value: float, goal: str, ok: bool) -> None:
    print(f"  {name:<58} {value:6.2f}   goal {goal:<7} {'ok' if ok else 'MISSED'}")


def information(name: str, value: float) -> None:
    print(f"  {name:<58} {value:6.2f}   (information)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the row counts (bigger files)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command; the best time counts")
    parser.add_argument("--only", choices=["compare"],
                        help="run one case alone: compare (the 3-model compare, with its ratios)")
    parser.add_argument("--make", nargs=3, metavar=("KIND", "ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        kind, rows, path = args.make
        MAKERS[kind](Path(path), int(rows))
        return
    # byte-compiled, as pip leaves an installed package (an editable install under
    # PYTHONDONTWRITEBYTECODE=1 would compile losscli's sources again in every run, ~40 ms)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(HERE.parent / "losscli")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for name, text in (("binary", SCRIPT_BINARY), ("classes", SCRIPT_CLASSES), ("compare", SCRIPT_COMPARE),
                           ("bare_typer", BARE_TYPER)):
            scripts[name] = Path(tmp) / f"{name}.py"
            scripts[name].write_text(text)
        print(f"losscli benchmark — {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        if args.only == "compare":
            compared = compare_case(args.repeat, args.scale, scripts["compare"])
            print("\nratios (information)")
            compare_ratios(compared)
            return
        binary = dataset("binary", int(3_000_000 * args.scale))
        classes = dataset("classes", int(1_000_000 * args.scale))
        small = dataset("binary", 300_000)
        boot = dataset("binary", 1_000_000)
        figures = {}
        for label, path, script in (("binary", binary, "binary"), ("10-class", classes, "classes")):
            print(f"\n{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)")
            figures[label] = {
                "losscli": measure(LOSSCLI + ["eval", str(path), "--format", "json"], args.repeat),
                "script": measure([PYTHON, str(scripts[script]), str(path)], args.repeat),
                "pyarrow": measure([PYTHON, "-c", PYARROW_ALONE, str(path)], args.repeat),
            }
            row("losscli eval", *figures[label]["losscli"])
            row("pandas.read_csv + scikit-learn", *figures[label]["script"])
            row("pyarrow.csv.read_csv alone", *figures[label]["pyarrow"])
        print("\nother shapes (information): losscli eval, then pyarrow's reader alone")
        for label, path in (("regression, 3M rows", dataset("regression", int(3_000_000 * args.scale))),
                            ("binary, text labels and scores, 3M rows", dataset("text", int(3_000_000 * args.scale)))):
            ours = measure(LOSSCLI + ["eval", str(path), "--format", "json"], args.repeat)
            theirs = measure([PYTHON, "-c", PYARROW_ALONE, str(path)], args.repeat)
            row(f"{label}: losscli", *ours)
            row(f"{label}: pyarrow ({ours[0] / theirs[0]:.2f}x)", *theirs)
        print("\nfixed cost (a 2-row file): start-up, imports")
        tiny = Path(tmp) / "tiny.csv"
        tiny.write_text("y_true,y_pred\n1,0.8\n0,0.3\n")
        fixed_losscli = measure(LOSSCLI + ["eval", str(tiny), "--format", "json"], args.repeat + 2)
        fixed_pyarrow = measure([PYTHON, "-c", PYARROW_ALONE, str(tiny)], args.repeat + 2)
        row("losscli eval", *fixed_losscli)
        row("pyarrow.csv.read_csv alone", *fixed_pyarrow)
        print("\nstart-up")
        help_losscli = measure(LOSSCLI + ["--help"], args.repeat + 2)
        help_typer = measure([PYTHON, str(scripts["bare_typer"]), "--help"], args.repeat + 2)
        row("losscli --help", *help_losscli)
        row("bare two-command Typer app --help", *help_typer)
        print(f"\nbootstrap: {boot.name}")
        plain = measure(LOSSCLI + ["eval", str(boot), "--format", "json"], args.repeat)
        with_ci = measure(LOSSCLI + ["eval", str(boot), "--format", "json", "--ci", "0.95", "--bootstrap", "1000"],
                          args.repeat)
        row("eval", *plain)
        row("eval --ci 0.95 --bootstrap 1000", *with_ci)
        print("\nmemory against size (streaming)")
        mem_small = measure(LOSSCLI + ["eval", str(small), "--format", "json"], 1)
        mem_big = figures["binary"]["losscli"]
        row(f"eval {small.name}", *mem_small)
        row(f"eval {binary.name}", *mem_big)
        compared = compare_case(args.repeat, args.scale, scripts["compare"])
        print("\nratios (goals from the issue)")
        for label in ("binary", "10-class"):
            f = figures[label]
            speedup = f["script"][0] / f["losscli"][0]
            verdict(f"{label}: pandas+sklearn time / losscli time", speedup, "≥ 4", speedup >= 4)
            over = f["losscli"][0] / f["pyarrow"][0]
            verdict(f"{label}: losscli time / pyarrow read time", over, "≤ 1.5", over <= 1.5)
            marginal = (f["losscli"][0] - fixed_losscli[0]) / (f["pyarrow"][0] - fixed_pyarrow[0])
            information(f"{label}: the same, less each one’s fixed cost (per-row work only)", marginal)
        memory = figures["10-class"]["losscli"][1] / figures["10-class"]["script"][1]
        verdict("10-class: losscli peak memory / script peak memory", memory, "≤ 0.4", memory <= 0.4)
        start = help_losscli[0] / help_typer[0]
        verdict("losscli --help / bare Typer --help", start, "≤ 1.25", start <= 1.25)
        boot_cost = with_ci[0] / plain[0]
        verdict("eval --ci (1000 resamples) / plain eval, 1M rows", boot_cost, "≤ 3", boot_cost <= 3)
        growth = mem_big[1] / mem_small[1]
        verdict("peak memory 3M rows / 300k rows", growth, "≤ 1.5", growth <= 1.5)
        compare_ratios(compared)


if __name__ == "__main__":
    main()
