"""``losscli history LOG``: a training log -> its curve, best epoch, overfitting and divergence.

Formats, sniffed: Keras ``CSVLogger`` (``epoch,loss,val_loss``), PyTorch Lightning ``CSVLogger``
``metrics.csv`` (train and validation on separate rows, empty cells between), Hugging Face
``trainer_state.json`` (``log_history``), and any CSV or JSON-lines log with an epoch column
(``--train COL --val COL --epoch COL`` say which). Several values for one epoch (per-step logging)
are averaged. Epochs are reported as the log numbers them (Hugging Face's fractional epochs are
rounded up: the steps of epoch 1 run from 0 to 1).

Overfitting: the validation loss has not improved for ``patience`` epochs after its best while the
training loss kept falling (its last value is below its value at the best epoch); ``from_epoch`` is
the best epoch and ``gap`` the validation minus the training loss at the last epoch (``gap_epoch``).
A NaN or infinite loss is a diverged run, reported from the first epoch it appears; the analysis
uses the epochs before it, so ``gap_epoch`` is then the last epoch before the divergence.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, UsageError, closest
from .escape import cut

EPOCH_NAMES = ("epoch", "epochs")
TRAIN_NAMES = ("train_loss_epoch", "train_loss", "training_loss", "loss_epoch", "loss", "train/loss",
               "train_loss_step", "trainloss")
VAL_NAMES = ("val_loss_epoch", "val_loss", "valid_loss", "validation_loss", "eval_loss", "val/loss",
             "eval/loss", "test_loss", "valloss")


@dataclass
class Curve:
    """One loss value per epoch for training and validation (NaN where the log has none)."""

    log: str
    format: str
    train: str | None
    val: str | None
    epochs: np.ndarray
    train_values: np.ndarray
    val_values: np.ndarray


def _frame_from_text(path: str, text: str):
    """A DataFrame of strings (empty cells empty) from CSV, JSON-lines or trainer_state.json."""
    import pandas as pd

    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        except (RecursionError, ValueError) as error:  # (nested too deep; an integer of too many digits)
            raise DataError(f"{path}: not a training log ({type(error).__name__}: {cut(str(error))})") from None
        if isinstance(document, dict) and isinstance(document.get("log_history"), list):
            return pd.DataFrame(document["log_history"]), "huggingface"
        if isinstance(document, list) and all(isinstance(x, dict) for x in document):
            return pd.DataFrame(document), "json"
        if document is None:
            try:
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError as error:
                raise DataError(f"{path}: not JSON, JSON lines or CSV (line {error.lineno}: {error.msg})") from None
            except (RecursionError, ValueError) as error:
                raise DataError(f"{path}: not a training log ({type(error).__name__}: {cut(str(error))})") from None
            if rows and all(isinstance(r, dict) for r in rows):
                return pd.DataFrame(rows), "jsonl"
        raise DataError(f"{path}: a JSON document without 'log_history'; expected a Hugging Face "
                        "trainer_state.json, JSON lines, or a CSV log")
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV log ({error})") from None
    fmt = "lightning" if "step" in frame.columns and any(
        c.endswith(("_epoch", "_step")) or c.startswith(("val", "train")) for c in frame.columns) else "csv"
    if "epoch" in frame.columns and "loss" in frame.columns and fmt == "csv":
        fmt = "keras"
    return frame, fmt


def _numbers(frame: Any, column: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(values with NaN for empty cells, True where a cell held NaN/inf) for one column."""
    import pandas as pd

    raw = frame[column]
    if not pd.api.types.is_numeric_dtype(raw):
        text = raw.astype(str).str.strip()
        empty = (text == "") | raw.isna() | (text.str.lower() == "none")
        values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64)
        spelled = text.str.lower().isin(["nan", "-nan", "inf", "-inf", "infinity"]).to_numpy()
        bad = np.isnan(values) & ~empty.to_numpy() & ~spelled
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{path}, column '{column}', row {i + 1}: {cut(text.iloc[i])} is not a number")
        non_finite = ~empty.to_numpy() & ~np.isfinite(values)
    else:
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        non_finite = np.isinf(values)
    values = np.where(non_finite, np.inf, values)  # a diverged value: kept apart from empty cells
    return values, non_finite


def _pick(columns: list[str], given: str | None, names: tuple[str, ...], flag: str, path: str) -> str | None:
    if given is not None:
        if given not in columns:
            raise UsageError(f"{flag} {given}: {path} has no column '{given}'{closest(given, columns)}; "
                             f"columns: {', '.join(columns)}")
        return given
    from .names import normalise

    folded = {normalise(c): c for c in reversed(columns)}  # "Train Loss", "train-loss" -> train_loss
    return next((folded[normalise(n)] for n in names if normalise(n) in folded), None)


def read(path: str, *, train: str | None = None, val: str | None = None, epoch: str | None = None) -> Curve:
    """Read a training log in any of the sniffed formats into a :class:`Curve`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from None
    if not text.strip():
        raise DataError(f"{path}: the log is empty")
    frame, fmt = _frame_from_text(path, text)
    columns = [str(c) for c in frame.columns]
    epoch_col = _pick(columns, epoch, EPOCH_NAMES, "--epoch", path)
    if epoch_col is None:
        raise DataError(f"{path}: no epoch column (columns: {', '.join(columns)}); name it 'epoch' or pass --epoch COL")
    # Hugging Face logs the training loss as "loss"; its last entry's "train_loss" is a run summary
    train_names = ("loss",) + TRAIN_NAMES if fmt == "huggingface" else TRAIN_NAMES
    train_col = _pick(columns, train, train_names, "--train", path)
    val_col = _pick(columns, val, VAL_NAMES, "--val", path)
    if train_col is None and val_col is None:
        raise DataError(f"{path}: no loss column (columns: {', '.join(columns)}); pass --train COL and/or --val COL")
    epochs, _ = _numbers(frame, epoch_col, path)
    if fmt == "huggingface":
        epochs = np.ceil(epochs - 1e-6)  # the steps of epoch 1 run from 0 to 1.0
    series = {}
    for name in (train_col, val_col):
        if name is not None:
            series[name] = _numbers(frame, name, path)[0]
    known = np.isfinite(epochs)
    labels = np.unique(epochs[known])
    index = np.searchsorted(labels, epochs[known])

    def per_epoch(values: np.ndarray) -> np.ndarray:
        """The mean of an epoch's logged values; inf if any of them diverged; NaN if none."""
        v = values[known]
        present = ~np.isnan(v)
        count = np.bincount(index, present, len(labels))
        total = np.bincount(index, np.where(present & np.isfinite(v), v, 0.0), len(labels))
        diverged = np.bincount(index, present & ~np.isfinite(v), len(labels)) > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
        return np.where(diverged, np.inf, mean)

    nothing = np.full(len(labels), np.nan)
    return Curve(path, fmt, train_col, val_col, labels,
                 per_epoch(series[train_col]) if train_col else nothing,
                 per_epoch(series[val_col]) if val_col else nothing)


def _epoch(value: float) -> int | float:
    """An epoch as the log numbers it: a whole number as an int (up to 2^53, where floats stop
    counting exactly; JSON writes no integer beyond 64 bits)."""
    return int(value) if float(value).is_integer() and abs(value) < 1 << 53 else float(value)


def _value(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def analyse(curve: Curve, patience: int = 3) -> dict[str, Any]:
    """The report: best epoch, overfitting, divergence and the curve, as ``--format json`` prints it."""
    if patience < 1:
        raise UsageError(f"--patience {patience}: must be at least 1")
    rows = [i for i in range(len(curve.epochs))
            if not (np.isnan(curve.train_values[i]) and np.isnan(curve.val_values[i]))]
    if len(rows) < 2:
        raise DataError(f"{curve.log}: {len(rows)} epoch(s) with a loss; a curve needs at least two")
    train, val, epochs = curve.train_values[rows], curve.val_values[rows], curve.epochs[rows]
    diverged = np.isinf(train) | np.isinf(val)
    stop = int(np.flatnonzero(diverged)[0]) if diverged.any() else len(rows)
    judged = val if curve.val is not None else train
    finite = np.isfinite(judged[:stop])
    if not finite.any():
        raise DataError(f"{curve.log}: no finite {'validation' if curve.val else 'training'} loss before the run "
                        f"diverged at epoch {_epoch(epochs[stop])}" if stop < len(rows) else
                        f"{curve.log}: no {'validation' if curve.val else 'training'} loss values")
    best = int(np.flatnonzero(finite)[np.argmin(judged[:stop][finite])])
    last = max(i for i in range(stop) if np.isfinite(judged[i]))
    after = int(np.isfinite(judged[best + 1:last + 1]).sum())
    train_fell = curve.train is not None and np.isfinite(train[last]) and np.isfinite(train[best]) \
        and train[last] < train[best]
    detected = curve.val is not None and after >= patience and bool(train_fell)
    gap = val[last] - train[last] if curve.val is not None and curve.train is not None else math.nan
    return {
        "log": curve.log,
        "format": curve.format,
        "train": curve.train,
        "val": curve.val,
        "epochs": len(rows),
        "best": {"epoch": _epoch(epochs[best]), "train": _value(train[best]), "val": _value(val[best])},
        "overfitting": {"detected": detected, "from_epoch": _epoch(epochs[best]) if detected else None,
                        "gap": _value(gap), "gap_epoch": _epoch(epochs[last]), "patience": patience,
                        "epochs_since_best": after},
        "diverged": {"detected": stop < len(rows), "from_epoch": _epoch(epochs[stop]) if stop < len(rows) else None},
        "curve": [{"epoch": _epoch(e), "train": _value(t), "val": _value(v)} for e, t, v in zip(epochs, train, val)],
        "passed": True,
    }
