"""``make bench``: losscli against what a user writes instead, as whole processes, side by side.

Generates its files once (bench/.data/, seeded; ``--scale`` multiplies the row counts), then times
each command as a whole process: wall time (best of ``--repeat``) and peak memory (the child's own max
RSS from ``os.wait4``). It prints the figures, then the ratios the issues set as goals (and some for
information). The cases (``--only NAME [NAME...]`` runs some alone; a full run runs them all):

- (always, in a full run) a 3M-row binary file and a 1M-row 10-class file: losscli eval, the pandas +
  scikit-learn script, pyarrow's reader alone; for information a regression file and binary text
  labels with scores; ``losscli --help`` against a bare two-command Typer app; the bootstrap's cost;
  memory at 300k against 3M rows (streaming).
- ``compare``: ``losscli compare BASE NEW1 NEW2`` on three 3M-row binary files with ids against the
  pandas + scikit-learn script doing the same (the losses, a paired bootstrap of 1000 resamples of
  each NEW − BASE log-loss difference, Holm-adjusted p-values, the rows made better or worse).
- ``groups``: ``eval --group-by`` on 3M binary rows with 100k users (``user_123``) and with 10 sites,
  against DuckDB computing the same five losses of each group (goal with 100k groups: faster), and
  plain ``eval`` of the same file (goal: ≤ 2x); for information, ``-l`` the log loss, Brier score and
  zero-one loss against DuckDB and polars (eager and lazy) computing those three.
- ``join``: ``eval preds.csv --labels labels.csv``, 3M + 3M rows joined on ``id`` (each file in its
  own order), against DuckDB joining and computing the same five losses (goal: faster); for
  information, ``-l`` three losses against DuckDB, polars (eager and lazy) and pandas merge +
  scikit-learn computing those three.
- ``compare2``: ``compare base.csv new.csv``, two 3M-row binary files (the same ids in the same
  order), against two plain ``eval`` runs of the same files (goal: ≤ 1.2x their sum) and DuckDB
  computing both log losses and the difference.
- ``classes1000``: 1000 classes × 50k rows (~445 MB) against pyarrow's reader alone (goal: ≤ 1.5x),
  DuckDB (SQL generated from the header) and polars computing the categorical cross-entropy.
- ``targets20``: 20 regression targets × 1M rows: eval (12 losses of each) against DuckDB computing the same
  12 (goal: faster), and ``-l mse -l mae`` against DuckDB's MSE and MAE of each.
- ``per-row``: ``eval --per-row rows.csv`` on 3M binary rows against DuckDB writing each row's log loss.
- ``multilabel`` (information): 50 labels × 200k rows against polars.
- ``parquet`` (information): 10M binary rows, losscli's peak memory reading parquet against CSV.

The alternatives are the scripts in bench/alternatives/; polars runs eager (``pl.read_csv``) and lazy
(``pl.scan_csv`` then ``collect()``, polars' streaming engine by default). DuckDB and polars are not
losscli's dependencies: ``make bench`` installs them, and an alternative whose library does not import
is skipped with a note. ``--check`` first runs every command of a case once and checks that each alternative
computes the same numbers as losscli (to 1e-6, relative to values above 1).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
ALTERNATIVES = HERE / "alternatives"
PYTHON = sys.executable
LOSSCLI = [PYTHON, "-m", "losscli"]
RESAMPLES = 1000  # of the 3-model compare's bootstrap, losscli's default, the same in the script
SCRIPT_COMPARE_RUNS = 1  # its 1000 resamples of 3M rows take a minute (losscli's runs: --repeat)
TOLERANCE = 1e-6  # of --check: |ours − theirs| ≤ TOLERANCE · max(1, |ours|)

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


def write_csv(table: pa.Table, path: Path) -> None:
    """A CSV file as small as its values allow (no quotes: no value here holds a comma or a quote)."""
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))


def binary_columns(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """make_binary's labels and probabilities (seeded): every binary file of the benchmark holds them."""
    import numpy as np

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=rows) < 0.3).astype(np.int64)
    p = np.clip(rng.beta(2, 5, rows) + 0.35 * y, 0.0, 1.0).round(6)
    return y, p


def make_binary(path: Path, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    y, p = binary_columns(rows)
    pacsv.write_csv(pa.table({"y_true": y, "y_pred": p}), path)


def make_binary_parquet(path: Path, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    y, p = binary_columns(rows)
    pq.write_table(pa.table({"y_true": y, "y_pred": p}), path)


def make_groups(path: Path, rows: int, column: str, groups: int) -> None:
    """make_binary's rows with a group column: COLUMN_0 … COLUMN_{groups-1}, drawn uniformly (seeded)."""
    import numpy as np
    import pyarrow as pa

    y, p = binary_columns(rows)
    codes = np.random.default_rng(9).integers(0, groups, rows)
    names = pa.array([f"{column}_{k}" for k in range(groups)]).take(pa.array(codes))
    write_csv(pa.table({"y_true": y, "y_pred": p, column: names}), path)


def make_join(path: Path, rows: int, side: str) -> None:
    """make_binary's rows split into predictions (id, y_pred) and labels (id, y_true), each file in its own
    random order (seeded)."""
    import numpy as np
    import pyarrow as pa

    y, p = binary_columns(rows)
    order = np.random.default_rng(7 if side == "preds" else 8).permutation(rows)
    values = {"y_pred": p[order]} if side == "preds" else {"y_true": y[order]}
    write_csv(pa.table({"id": order + 1, **values}), path)


def make_wide_classes(path: Path, rows: int, classes: int = 1000) -> None:
    """Class ids 0…K−1 and softmax probabilities p_0…p_{K−1} rounded to 6 digits (the true class favoured)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(10)
    y = rng.integers(0, classes, rows)
    z = rng.normal(0, 1.5, (classes, rows))  # one row of z per class: the columns are contiguous
    z[y, np.arange(rows)] += 2.5
    p = np.exp(z - z.max(axis=0))
    p = (p / p.sum(axis=0)).round(6)
    write_csv(pa.table({"y_true": y, **{f"p_{k}": p[k] for k in range(classes)}}), path)


def make_targets(path: Path, rows: int, targets: int = 20) -> None:
    """Multi-output regression: t0_true, t0_pred, … (values with one decimal, predictions off by ~20 %)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(11)
    columns = {}
    for k in range(targets):
        y = rng.gamma(4.0, 10.0, rows)
        columns[f"t{k}_true"] = y.round(1)
        columns[f"t{k}_pred"] = (y * rng.lognormal(0, 0.2, rows)).round(1)
    write_csv(pa.table(columns), path)


def make_multilabel(path: Path, rows: int, labels: int = 50) -> None:
    """Multilabel: y_true_0… (0/1, 30 % ones) and y_pred_0… (probabilities, 6 digits), as make_binary's."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(12)
    y = (rng.uniform(size=(labels, rows)) < 0.3).astype(np.int64)
    p = np.clip(rng.beta(2, 5, (labels, rows)) + 0.35 * y, 0.0, 1.0).round(6)
    write_csv(pa.table({**{f"y_true_{k}": y[k] for k in range(labels)},
                        **{f"y_pred_{k}": p[k] for k in range(labels)}}), path)


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
    "binary_parquet": make_binary_parquet,
    "groups_users": partial(make_groups, column="user", groups=100_000),
    "groups_sites": partial(make_groups, column="site", groups=10),
    "join_preds": partial(make_join, side="preds"), "join_labels": partial(make_join, side="labels"),
    "classes1000": make_wide_classes, "targets20": make_targets, "multilabel50": make_multilabel,
}


def dataset(name: str, rows: int, suffix: str = "csv") -> Path:
    """The file, generated once in a child process (so this process stays small: a child's peak
    memory as measured includes what it inherited from its parent before exec)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{name}_{rows}.{suffix}"
    if not path.exists():
        print(f"generating {path.name} …", file=sys.stderr)
        start = time.perf_counter()
        subprocess.run([PYTHON, __file__, "--make", name, str(rows), str(path)], check=True)
        print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
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
            message = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"failed ({status}): {' '.join(map(str, command))}\n{message}")
        best = min(best, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak


Figures = dict[str, tuple[float, float]]  # label → (best seconds, peak MB)
Commands = dict[str, list[str] | None]  # label → command (None: its library does not import)


@dataclass(frozen=True)
class Ratio:
    """A ratio printed at the end: a goal from the issue (``goal`` set), else information."""

    name: str
    value: float
    goal: str = ""
    ok: bool = True

    def show(self) -> None:
        if self.goal:
            verdict(self.name, self.value, self.goal, self.ok)
        else:
            information(self.name, self.value)


@dataclass
class Run:
    """The settings of this run and what its cases share."""

    repeat: int
    scale: float
    check: bool
    tmp: Path
    scripts: dict[str, Path]
    disagreements: list[str] = field(default_factory=list)

    def rows(self, count: int) -> int:
        return int(count * self.scale)


@functools.cache
def importable(library: str) -> bool:
    """Whether ``import LIBRARY`` works in a child (a note printed, once, when not)."""
    if subprocess.run([PYTHON, "-c", f"import {library}"], capture_output=True, check=False).returncode == 0:
        return True
    print(f"  (`import {library}` failed: its alternatives are skipped; pip install {library})")
    return False


def alternative(script: str, *args: object) -> list[str] | None:
    """The command that runs bench/alternatives/SCRIPT.py (named CASE_LIBRARY), or None when its library
    does not import."""
    library = script.rsplit("_", 1)[1]
    return [PYTHON, str(ALTERNATIVES / f"{script}.py"), *map(str, args)] if importable(library) else None


def section(title: str, *paths: Path) -> None:
    size = sum(path.stat().st_size for path in paths) / 1e6
    print(f"\n{title}: {', '.join(path.name for path in paths)} ({size:.0f} MB)")


def timed(run: Run, commands: Commands) -> Figures:
    """Each command measured (those whose library does not import left out; the best of
    ``run.repeat`` rounds, each running every command once in turn, so that a machine slowed down
    for a while slows them all), and its row printed."""
    present = {label: command for label, command in commands.items() if command is not None}
    rounds: dict[str, list[tuple[float, float]]] = {label: [] for label in present}
    for _ in range(run.repeat):
        for label, command in present.items():
            rounds[label].append(measure(command, 1))
    figures = {label: (min(t for t, _ in found), max(m for _, m in found)) for label, found in rounds.items()}
    for label, (seconds, peak) in figures.items():
        row(label, seconds, peak)
    return figures


def check(run: Run, kind: str, commands: Commands, files: dict[str, Path] | None = None) -> None:
    """With --check: each command run once (the first is losscli's, the reference), and what each wrote
    (its standard output, or its file in ``files``) compared with losscli's by a child process (which
    parses the outputs, so that this process stays small). ``kind`` says how to read losscli's output."""
    _, *alternatives = commands.values()
    if not run.check or all(command is None for command in alternatives):
        return
    outputs = []
    for k, (label, command) in enumerate(commands.items()):
        if command is None:
            continue
        stdout = run.tmp / f"check_{k}.out"
        with stdout.open("wb") as out:
            subprocess.run(command, stdout=out, check=True)
        outputs.append(f"{label}={(files or {}).get(label, stdout)}")
    sys.stdout.flush()  # this process's lines before the child's
    if subprocess.run([PYTHON, __file__, "--agree", kind, *outputs], check=False).returncode != 0:
        run.disagreements.append(f"{kind}: {', '.join(commands)}")


def keyed_csv(path: Path) -> dict[tuple[str, str], float]:
    """(key, loss) → value of a CSV file whose first column is the key and the others losses."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        losses = next(reader)[1:]
        return {(line[0], loss): float(value) for line in reader for loss, value in zip(losses, line[1:])}


def keyed_report(kind: str, path: Path) -> dict[tuple[str, str], float]:
    """(key, loss) → value of losscli's output: a per-row CSV file (kind ``rows``), or the JSON report, keyed
    by group (``groups``), pair (``pairs``), ``base``/``new``/``diff`` (``compare``) or ``all`` (``single``)."""
    if kind == "rows":
        return keyed_csv(path)
    results = json.loads(path.read_text())["results"]
    if kind == "compare":
        (result,) = results
        tables = {"base": result["base"], "new": result["losses"], "diff": result["diff"]}
    elif kind == "groups":
        tables = {result["group"]: result["losses"] for result in results if result["group"] is not None}
    elif kind == "pairs":
        tables = {result["pair"]: result["losses"] for result in results}
    else:
        (result,) = results
        tables = {"all": result["losses"]}
    return {(key, loss): value for key, losses in tables.items() for loss, value in losses.items()
            if value is not None}


def agree(kind: str, outputs: list[str]) -> int:
    """``--agree KIND losscli=PATH LABEL=PATH…`` (a child of --check): 0 when every alternative's numbers,
    each of its keys and losses, match losscli's (to TOLERANCE), which has no other key for those losses."""
    (_, reference), *others = (output.split("=", 1) for output in outputs)
    ours = keyed_report(kind, Path(reference))
    failed = False
    for label, path in others:
        theirs = keyed_csv(Path(path))
        losses = {loss for _, loss in theirs}
        expected = {key for key in ours if key[1] in losses}
        differences = {key: abs(ours[key] - value) / max(1.0, abs(ours[key]))
                       for key, value in theirs.items() if key in ours}
        wrong = sorted(key for key, difference in differences.items() if difference > TOLERANCE)
        unmatched = sorted(expected ^ theirs.keys())
        worst = max(differences.values(), default=float("nan"))
        status = "agrees" if not wrong and not unmatched else "DISAGREES"
        print(f"  check: {label:<38} {status}: {len(differences)} values of {', '.join(sorted(losses))}, "
              f"largest relative difference {worst:.1e}")
        for key in wrong[:5]:
            print(f"    {key}: losscli {ours[key]!r}, {label} {theirs[key]!r}")
        for key in unmatched[:5]:
            print(f"    {key}: {'losscli' if key in ours else label} alone")
        failed = failed or status != "agrees"
    return 1 if failed else 0


def fastest(figures: Figures, ours: str, case: str, alternatives: Commands) -> list[Ratio]:
    """losscli's time and peak memory over the fastest alternative's (information)."""
    measured = [label for label in alternatives if label in figures]
    if not measured:
        return []
    best = min(measured, key=lambda label: figures[label][0])
    return [Ratio(f"{case}: losscli / {best} (fastest), time", figures[ours][0] / figures[best][0]),
            Ratio(f"{case}: losscli / {best}, peak memory", figures[ours][1] / figures[best][1])]


THREE_LOSSES = "-l binary_crossentropy -l brier -l zero_one"  # what the polars and pandas scripts compute


def three_losses(figures: Figures, three: str, case: str, alternatives: Commands) -> list[Ratio]:
    """For information: losscli ``-l`` the three losses of THREE_LOSSES (``three``) against DuckDB
    computing those three, and against the fastest alternative that does."""
    theirs = {label: command for label, command in alternatives.items() if label.endswith(", 3 losses")}
    duckdb = "DuckDB, 3 losses"
    ratios = [Ratio(f"{case}, 3 losses: losscli / DuckDB, time", figures[three][0] / figures[duckdb][0])] \
        if duckdb in figures else []
    return ratios + fastest(figures, three, f"{case}, 3 losses", theirs)


def against_duckdb(figures: Figures, ours: str, case: str, time: bool = True) -> list[Ratio]:
    """For information: losscli's time (unless a goal says it already) and peak memory over DuckDB's."""
    if "DuckDB" not in figures:
        return []
    return ([Ratio(f"{case}: losscli / DuckDB, time", figures[ours][0] / figures["DuckDB"][0])] if time else []) + \
        [Ratio(f"{case}: losscli / DuckDB, peak memory", figures[ours][1] / figures["DuckDB"][1])]


def faster_than_duckdb(figures: Figures, ours: str, case: str) -> list[Ratio]:
    """The goal of issue 16 for this case: losscli faster than DuckDB (when DuckDB ran)."""
    if "DuckDB" not in figures:
        return []
    over = figures[ours][0] / figures["DuckDB"][0]
    return [Ratio(f"{case}: losscli time / DuckDB time", over, "< 1", over < 1)]


def groups_case(run: Run) -> list[Ratio]:
    """eval --group-by on 3M binary rows, 100k users and 10 sites, against plain eval, DuckDB computing
    the same five losses of each group, and (for information) ``-l`` three losses against DuckDB and
    polars computing those three."""
    ratios = []
    for name, column in (("groups_users", "user"), ("groups_sites", "site")):
        path = dataset(name, run.rows(3_000_000))
        section(f"--group-by {column}", path)
        ours = f"losscli eval --group-by {column}"
        three = f"{ours}, 3 losses"
        alternatives = {
            "DuckDB": alternative("groups_duckdb", path, column, "all"),
            "DuckDB, 3 losses": alternative("groups_duckdb", path, column, "three"),
            "polars eager, 3 losses": alternative("groups_polars", path, column, "eager"),
            "polars lazy, 3 losses": alternative("groups_polars", path, column, "lazy"),
        }
        grouped = LOSSCLI + ["eval", str(path), "--group-by", column, "--format", "json"]
        check(run, "groups", {ours: grouped, **alternatives})
        figures = timed(run, {ours: grouped, three: grouped + THREE_LOSSES.split(),
                              "losscli eval (no --group-by)": LOSSCLI + ["eval", str(path), "--format", "json"],
                              **alternatives})
        plain = figures["losscli eval (no --group-by)"]
        cost = figures[ours][0] / plain[0]
        ratios.append(Ratio(f"--group-by {column} ({name}) / plain eval, time", cost, "≤ 2", cost <= 2))
        if column == "user":
            memory = figures[ours][1] / plain[1]
            ratios += [Ratio("--group-by user / plain eval, peak memory", memory, "≤ 2", memory <= 2),
                       *faster_than_duckdb(figures, ours, "--group-by user (100k groups), 5 losses each")]
        ratios += against_duckdb(figures, ours, f"--group-by {column}, 5 losses each", time=column != "user")
        ratios += three_losses(figures, three, f"--group-by {column}", alternatives)
    return ratios


def join_case(run: Run) -> list[Ratio]:
    """eval PREDS --labels LABELS (3M + 3M rows joined on id) against DuckDB joining and computing the
    same five losses, and (for information) ``-l`` three losses against DuckDB, polars and pandas +
    scikit-learn computing those three."""
    rows = run.rows(3_000_000)
    preds, labels = dataset("join_preds", rows), dataset("join_labels", rows)
    section("--labels, joined on id", preds, labels)
    ours = "losscli eval --labels"
    three = f"{ours}, 3 losses"
    alternatives = {
        "DuckDB": alternative("join_duckdb", preds, labels, "all"),
        "DuckDB, 3 losses": alternative("join_duckdb", preds, labels, "three"),
        "polars eager, 3 losses": alternative("join_polars", preds, labels, "eager"),
        "polars lazy, 3 losses": alternative("join_polars", preds, labels, "lazy"),
        "pandas merge + scikit-learn, 3 losses": alternative("join_pandas", preds, labels),
    }
    command = LOSSCLI + ["eval", str(preds), "--labels", str(labels), "--format", "json"]
    check(run, "single", {ours: command, **alternatives})
    figures = timed(run, {ours: command, three: command + THREE_LOSSES.split(), **alternatives})
    return [*faster_than_duckdb(figures, ours, "--labels (join), 5 losses"),
            *against_duckdb(figures, ours, "--labels (join), 5 losses", time=False),
            *three_losses(figures, three, "--labels (join)", alternatives)]


def compare2_case(run: Run) -> list[Ratio]:
    """compare BASE NEW (3M rows each, ids in the same order) against two plain evals and DuckDB."""
    rows = run.rows(3_000_000)
    base, new = dataset("compare_base", rows), dataset("compare_better", rows)
    section("compare of two files", base, new)
    ours = "losscli compare BASE NEW"
    alternatives = {"DuckDB": alternative("compare_duckdb", base, new)}
    command = LOSSCLI + ["compare", str(base), str(new), "--format", "json"]
    check(run, "compare", {ours: command, **alternatives})
    figures = timed(run, {ours: command,
                          "losscli eval BASE": LOSSCLI + ["eval", str(base), "--format", "json"],
                          "losscli eval NEW": LOSSCLI + ["eval", str(new), "--format", "json"],
                          **alternatives})
    cost = figures[ours][0] / (figures["losscli eval BASE"][0] + figures["losscli eval NEW"][0])
    return [Ratio("compare BASE NEW / (eval BASE + eval NEW), time", cost, "≤ 1.2", cost <= 1.2),
            *fastest(figures, ours, "compare of two files", alternatives)]


def classes1000_case(run: Run) -> list[Ratio]:
    """1000 classes × 50k rows against pyarrow's reader alone, DuckDB and polars."""
    path = dataset("classes1000", run.rows(50_000))
    section("1000 classes", path)
    ours = "losscli eval"
    alternatives = {
        "DuckDB": alternative("classes_duckdb", path),
        "polars eager": alternative("classes_polars", path, "eager"),
        "polars lazy": alternative("classes_polars", path, "lazy"),
    }
    command = LOSSCLI + ["eval", str(path), "--format", "json"]
    check(run, "single", {ours: command, **alternatives})
    figures = timed(run, {ours: command, "pyarrow.csv.read_csv alone": [PYTHON, "-c", PYARROW_ALONE, str(path)],
                          **alternatives})
    over = figures[ours][0] / figures["pyarrow.csv.read_csv alone"][0]
    return [Ratio("1000 classes: losscli time / pyarrow read time", over, "≤ 1.5", over <= 1.5),
            *fastest(figures, ours, "1000 classes", alternatives)]


def targets20_case(run: Run) -> list[Ratio]:
    """20 regression targets × 1M rows: eval (12 losses of each) against DuckDB computing the same 12,
    and ``-l mse -l mae`` against DuckDB computing those two."""
    path = dataset("targets20", run.rows(1_000_000))
    section("20 regression targets", path)
    ours, two_losses = "losscli eval", "losscli eval -l mse -l mae"
    duckdb, duckdb_two = "DuckDB", "DuckDB, mse and mae"
    alternatives = {duckdb: alternative("targets_all_duckdb", path), duckdb_two: alternative("targets_duckdb", path)}
    command = LOSSCLI + ["eval", str(path), "--format", "json"]
    check(run, "pairs", {ours: command, **alternatives})
    figures = timed(run, {ours: command, two_losses: LOSSCLI + ["eval", str(path), "-l", "mse", "-l", "mae",
                                                               "--format", "json"], **alternatives})
    if duckdb not in figures:
        return []
    return [*faster_than_duckdb(figures, ours, "20 targets, 12 losses each"),
            Ratio("20 targets: losscli -l mse -l mae / DuckDB's mse and mae, time",
                  figures[two_losses][0] / figures[duckdb_two][0]),
            Ratio("20 targets: losscli / DuckDB, peak memory", figures[ours][1] / figures[duckdb][1])]


def per_row_case(run: Run) -> list[Ratio]:
    """eval --per-row on 3M binary rows against DuckDB writing each row's log loss."""
    path = dataset("binary", run.rows(3_000_000))
    section("--per-row", path)
    ours, one_loss, duckdb = "losscli eval --per-row", "losscli eval --loss log_loss --per-row", "DuckDB"
    files = {label: run.tmp / f"rows_{k}.csv" for k, label in enumerate((ours, one_loss, duckdb))}
    alternatives = {duckdb: alternative("per_row_duckdb", path, files[duckdb])}
    command = LOSSCLI + ["eval", str(path), "--per-row", str(files[ours]), "--format", "json"]
    check(run, "rows", {ours: command, **alternatives}, files)
    figures = timed(run, {
        ours: command,
        one_loss: LOSSCLI + ["eval", str(path), "--loss", "log_loss", "--per-row", str(files[one_loss]),
                             "--format", "json"],  # one column of terms, as DuckDB's file
        "losscli eval (no --per-row)": LOSSCLI + ["eval", str(path), "--format", "json"],
        **alternatives,
    })
    ratios = [Ratio("--per-row: eval --per-row / plain eval, time",
                    figures[ours][0] / figures["losscli eval (no --per-row)"][0])]
    if duckdb in figures:
        ratios += [Ratio("--per-row: losscli / DuckDB, time", figures[ours][0] / figures[duckdb][0]),
                   Ratio("--per-row: losscli --loss log_loss / DuckDB, time",
                         figures[one_loss][0] / figures[duckdb][0]),
                   Ratio("--per-row: losscli / DuckDB, peak memory", figures[ours][1] / figures[duckdb][1])]
    return ratios


def multilabel_case(run: Run) -> list[Ratio]:
    """(information) 50 labels × 200k rows against polars."""
    path = dataset("multilabel50", run.rows(200_000))
    section("multilabel, 50 labels (information)", path)
    ours = "losscli eval"
    alternatives = {"polars eager": alternative("multilabel_polars", path, "eager"),
                    "polars lazy": alternative("multilabel_polars", path, "lazy")}
    command = LOSSCLI + ["eval", str(path), "--format", "json"]
    check(run, "single", {ours: command, **alternatives})
    return fastest(timed(run, {ours: command, **alternatives}), ours, "multilabel", alternatives)


def parquet_case(run: Run) -> list[Ratio]:
    """(information) 10M binary rows: losscli reading parquet against reading the same rows as CSV."""
    rows = run.rows(10_000_000)
    parquet, text = dataset("binary_parquet", rows, "parquet"), dataset("binary", rows)
    section("parquet against CSV (information)", parquet, text)
    figures = timed(run, {"losscli eval, parquet": LOSSCLI + ["eval", str(parquet), "--format", "json"],
                          "losscli eval, CSV": LOSSCLI + ["eval", str(text), "--format", "json"]})
    return [Ratio("parquet: peak memory / the CSV's", figures["losscli eval, parquet"][1]
                  / figures["losscli eval, CSV"][1]),
            Ratio("parquet: time / the CSV's", figures["losscli eval, parquet"][0] / figures["losscli eval, CSV"][0])]


def compare_case(run: Run) -> list[Ratio]:
    """``losscli compare BASE NEW1 NEW2`` and the pandas + scikit-learn script, on the same three files."""
    rows = run.rows(3_000_000)
    files = [str(dataset(f"compare_{model}", rows)) for model in COMPARED]
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"\n3-model compare ({rows / 1e6:g}M rows each): {', '.join(Path(f).name for f in files)} ({size:.0f} MB)")
    runs = min(run.repeat, SCRIPT_COMPARE_RUNS)
    figures = {
        "losscli": measure(LOSSCLI + ["compare", *files, "--format", "json", "--bootstrap", str(RESAMPLES)],
                           run.repeat),
        "script": measure([PYTHON, str(run.scripts["compare"]), str(RESAMPLES), *files], runs),
    }
    row(f"losscli compare ({RESAMPLES} resamples)", *figures["losscli"])
    row(f"pandas + scikit-learn + numpy ({runs} run{'s' if runs > 1 else ''})", *figures["script"])
    return [Ratio("3-model compare: pandas+sklearn time / losscli time", figures["script"][0] / figures["losscli"][0]),
            Ratio("3-model compare: losscli peak memory / script peak memory",
                  figures["losscli"][1] / figures["script"][1])]


CASES: dict[str, Callable[[Run], list[Ratio]]] = {
    "compare": compare_case, "groups": groups_case, "join": join_case, "compare2": compare2_case,
    "classes1000": classes1000_case, "targets20": targets20_case, "per-row": per_row_case,
    "multilabel": multilabel_case, "parquet": parquet_case,
}


def standard_cases(run: Run) -> list[Ratio]:
    """The binary and 10-class files against pandas + scikit-learn and pyarrow, other shapes, the fixed
    cost, start-up, the bootstrap and memory against size; their figures printed, their ratios returned."""
    binary = dataset("binary", run.rows(3_000_000))
    classes = dataset("classes", run.rows(1_000_000))
    small = dataset("binary", 300_000)
    boot = dataset("binary", 1_000_000)
    figures = {}
    for label, path, script in (("binary", binary, "binary"), ("10-class", classes, "classes")):
        print(f"\n{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)")
        figures[label] = {
            "losscli": measure(LOSSCLI + ["eval", str(path), "--format", "json"], run.repeat),
            "script": measure([PYTHON, str(run.scripts[script]), str(path)], run.repeat),
            "pyarrow": measure([PYTHON, "-c", PYARROW_ALONE, str(path)], run.repeat),
        }
        row("losscli eval", *figures[label]["losscli"])
        row("pandas.read_csv + scikit-learn", *figures[label]["script"])
        row("pyarrow.csv.read_csv alone", *figures[label]["pyarrow"])
    print("\nother shapes (information): losscli eval, then pyarrow's reader alone")
    for label, path in (("regression, 3M rows", dataset("regression", run.rows(3_000_000))),
                        ("binary, text labels and scores, 3M rows", dataset("text", run.rows(3_000_000)))):
        ours = measure(LOSSCLI + ["eval", str(path), "--format", "json"], run.repeat)
        theirs = measure([PYTHON, "-c", PYARROW_ALONE, str(path)], run.repeat)
        row(f"{label}: losscli", *ours)
        row(f"{label}: pyarrow ({ours[0] / theirs[0]:.2f}x)", *theirs)
    print("\nfixed cost (a 2-row file): start-up, imports")
    tiny = run.tmp / "tiny.csv"
    tiny.write_text("y_true,y_pred\n1,0.8\n0,0.3\n")
    fixed_losscli = measure(LOSSCLI + ["eval", str(tiny), "--format", "json"], run.repeat + 2)
    fixed_pyarrow = measure([PYTHON, "-c", PYARROW_ALONE, str(tiny)], run.repeat + 2)
    row("losscli eval", *fixed_losscli)
    row("pyarrow.csv.read_csv alone", *fixed_pyarrow)
    print("\nstart-up")
    help_losscli = measure(LOSSCLI + ["--help"], run.repeat + 2)
    help_typer = measure([PYTHON, str(run.scripts["bare_typer"]), "--help"], run.repeat + 2)
    row("losscli --help", *help_losscli)
    row("bare two-command Typer app --help", *help_typer)
    print(f"\nbootstrap: {boot.name}")
    plain = measure(LOSSCLI + ["eval", str(boot), "--format", "json"], run.repeat)
    with_ci = measure(LOSSCLI + ["eval", str(boot), "--format", "json", "--ci", "0.95", "--bootstrap", "1000"],
                      run.repeat)
    row("eval", *plain)
    row("eval --ci 0.95 --bootstrap 1000", *with_ci)
    print("\nmemory against size (streaming)")
    mem_small = measure(LOSSCLI + ["eval", str(small), "--format", "json"], 1)
    mem_big = figures["binary"]["losscli"]
    row(f"eval {small.name}", *mem_small)
    row(f"eval {binary.name}", *mem_big)
    ratios = []
    for label in ("binary", "10-class"):
        f = figures[label]
        speedup = f["script"][0] / f["losscli"][0]
        ratios.append(Ratio(f"{label}: pandas+sklearn time / losscli time", speedup, "≥ 4", speedup >= 4))
        over = f["losscli"][0] / f["pyarrow"][0]
        ratios.append(Ratio(f"{label}: losscli time / pyarrow read time", over, "≤ 1.5", over <= 1.5))
        marginal = (f["losscli"][0] - fixed_losscli[0]) / (f["pyarrow"][0] - fixed_pyarrow[0])
        ratios.append(Ratio(f"{label}: the same, less each one’s fixed cost (per-row work only)", marginal))
    memory = figures["10-class"]["losscli"][1] / figures["10-class"]["script"][1]
    start = help_losscli[0] / help_typer[0]
    boot_cost = with_ci[0] / plain[0]
    growth = mem_big[1] / mem_small[1]
    return ratios + [
        Ratio("10-class: losscli peak memory / script peak memory", memory, "≤ 0.4", memory <= 0.4),
        Ratio("losscli --help / bare Typer --help", start, "≤ 1.25", start <= 1.25),
        Ratio("eval --ci (1000 resamples) / plain eval, 1M rows", boot_cost, "≤ 3", boot_cost <= 3),
        Ratio("peak memory 3M rows / 300k rows", growth, "≤ 1.5", growth <= 1.5),
    ]


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
    parser.add_argument("--only", nargs="+", choices=list(CASES), metavar="CASE",
                        help=f"run these cases alone, with their ratios: {', '.join(CASES)} (see the docstring)")
    parser.add_argument("--check", action="store_true",
                        help="first check that every alternative computes losscli's numbers (each command run once)")
    parser.add_argument("--make", nargs=3, metavar=("KIND", "ROWS", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--agree", nargs="+", metavar="KIND LABEL=PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        kind, rows, path = args.make
        MAKERS[kind](Path(path), int(rows))
        return
    if args.agree:
        raise SystemExit(agree(args.agree[0], args.agree[1:]))
    # byte-compiled, as pip leaves an installed package (an editable install under
    # PYTHONDONTWRITEBYTECODE=1 would compile losscli's sources again in every run, ~40 ms)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(HERE.parent / "losscli")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {}
        for name, text in (("binary", SCRIPT_BINARY), ("classes", SCRIPT_CLASSES), ("compare", SCRIPT_COMPARE),
                           ("bare_typer", BARE_TYPER)):
            scripts[name] = Path(tmp) / f"{name}.py"
            scripts[name].write_text(text)
        run = Run(repeat=args.repeat, scale=args.scale, check=args.check, tmp=Path(tmp), scripts=scripts)
        print(f"losscli benchmark — {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
        ratios = [] if args.only else standard_cases(run)
        for name in args.only or CASES:
            ratios += CASES[name](run)
        print("\nratios (goals from the issues, and information)")
        for ratio in ratios:
            ratio.show()
        if run.disagreements:
            raise SystemExit(f"--check: an alternative disagrees with losscli ({'; '.join(run.disagreements)})")


if __name__ == "__main__":
    main()
