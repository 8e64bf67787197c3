"""Mutated inputs (issue 13): every one gets a report or one clear error, never a crash or a wrong number.

A seeded loop mutates valid files of every task (bytes flipped, quotes, line breaks, delimiters,
huge and non-finite numbers, bytes that are not UTF-8, lines cut, repeated or dropped) and runs
``losscli eval`` on each, through a file, gzip or standard input. For each input:

- the exit code is 0, 2 or 3 (never 4, a signal or a hang), with a traceback nowhere;
- exit 0 prints strict JSON, and where pandas reads the same file into numeric ``y_true``/``y_pred``
  columns of as many rows, its mse or log loss agree with losscli's (numpy reference, rel 1e-9);
- exit 2 or 3 prints one message that names the input.

``make test`` runs a quick slice (FUZZ_INPUTS, 200); ``make fuzz`` a long run (5,000 inputs), whose
outcome counts are printed and recorded in the README.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import random
from collections import Counter

import numpy as np
import pytest

from .conftest import SAMPLE_DATA, run

INPUTS = int(os.environ.get("FUZZ_INPUTS", "200"))
SEEDS = ["binary_probabilities.csv", "binary_logits.csv", "regression.csv", "sparse_strings.csv",
         "sparse_integers.csv", "multiclass_onehot.csv", "multilabel.csv", "regression_multi.csv"]
NASTY = [b'"', b"\n", b"\r\n", b",", b";", b"\t", b"\xff\xfe", b"\x00", b"nan", b"inf", b"-inf", b"1e308",
         b"1e-320", b"?", b"", b" ", b"=1+1", b"%0A::x", b"|", b"\xc3", b"0x10", b"True", b"-0", b"1,5"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits of ``data``."""
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        at = rng.randrange(max(len(data), 1))
        if kind == 0:  # a nasty token in place of a few bytes
            data = data[:at] + rng.choice(NASTY) + data[at + rng.randint(0, 4):]
        elif kind == 1:  # a byte flipped
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
        elif kind == 2:  # a line repeated, dropped or cut
            i = rng.randrange(len(lines))
            choice = rng.randrange(3)
            lines = lines[:i] + ([lines[i]] * 2 if choice == 0 else [] if choice == 1 else [lines[i][:len(lines[i]) // 2]]) + lines[i + 1:]
            data = b"\n".join(lines)
        elif kind == 3:  # the file cut short
            data = data[:at]
        elif kind == 4:  # a cell replaced by a nasty token
            i = rng.randrange(1, max(len(lines), 2)) if len(lines) > 1 else 0
            cells = lines[i].split(b",")
            cells[rng.randrange(len(cells))] = rng.choice(NASTY)
            lines[i] = b",".join(cells)
            data = b"\n".join(lines)
        else:  # the header's names changed
            cells = lines[0].split(b",")
            cells[rng.randrange(len(cells))] = rng.choice([b"y", b"", b"id", b"weight", b"y_true", b"p_0", b"\xe9"])
            lines[0] = b",".join(cells)
            data = b"\n".join(lines)
    return data


def reference(data: bytes) -> tuple[str, float] | None:
    """The mse or log loss of a file pandas reads as numeric id/y_true/y_pred columns, else None."""
    import pandas as pd
    from sklearn import metrics

    try:
        frame = pd.read_csv(io.BytesIO(data))
    except Exception:  # noqa: BLE001 (pandas refuses: no reference)
        return None
    if list(frame.columns) != ["id", "y_true", "y_pred"] or frame.isna().any().any() or len(frame) == 0:
        return None
    if not all(frame[c].dtype.kind in "if" for c in ("y_true", "y_pred")):
        return None
    y, p = frame["y_true"].to_numpy(float), frame["y_pred"].to_numpy(float)
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        return None
    if set(np.unique(y)) <= {0.0, 1.0} and ((p >= 0) & (p <= 1)).all() and len(np.unique(y)) == 2:
        return "binary_crossentropy", float(metrics.log_loss(y, np.clip(p, 0, 1), labels=[0, 1]))
    if len(np.unique(y)) > 20:
        with np.errstate(over="ignore"):  # (an overflowing mse is skipped by losscli: not compared)
            return "mse", float(np.mean((y - p) ** 2))
    return None


def one_input(i: int, tmp_path) -> str:
    """Run the i-th mutated input; the outcome's name (for the counts), or an AssertionError."""
    rng = random.Random(i)
    seed = SAMPLE_DATA / rng.choice(SEEDS)
    data = mutate(seed.read_bytes(), rng)
    how = rng.choice(["file", "gzip", "stdin"])
    if how == "stdin":
        result = run("eval", "-", "--format", "json", input=data)
    else:
        path = tmp_path / (f"in{i}.csv.gz" if how == "gzip" else f"in{i}.csv")
        path.write_bytes(gzip.compress(data, mtime=0) if how == "gzip" else data)
        result = run("eval", path, "--format", "json")
    where = f"input {i} ({seed.name}, {how})"
    assert result.code in (0, 2, 3), f"{where}: exit {result.code}: {result.stderr[-300:]}"
    assert "Traceback" not in result.stderr, where
    if result.code != 0:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:"), f"{where}: {result.stderr!r}"
        return f"refused (exit {result.code})"
    report = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{where}: {c} in JSON"))
    expected = reference(data)
    if expected is not None and len(report["results"]) == 1:
        name, value = expected
        got = report["results"][0]["losses"].get(name)
        if got is not None and report["results"][0]["n"] == report["input"]["rows"]:
            assert math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {name} {got} != {value}"
            return "scored, checked against numpy"
    return "scored"


def test_mutated_inputs_get_a_report_or_one_clear_error(tmp_path, capsys):
    outcomes = Counter(one_input(i, tmp_path) for i in range(INPUTS))
    with capsys.disabled():
        print(f"\nfuzz: {INPUTS} inputs: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    assert sum(outcomes.values()) == INPUTS
