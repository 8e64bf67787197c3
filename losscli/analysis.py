"""Error analysis: the worst rows of a pair, every row's loss terms, and results per group.

All of it reuses the registry: worst rows and per-row files come from :func:`registry.terms`,
groups from :func:`registry.accumulate_groups` with the group as the code (one pass, weights
respected, the same reductions as the overall result).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import registry
from .inference import Target, _factorize
from .reading import Frame
from .registry import LossSpec

MISSING_GROUP = "(missing)"


def _plain(value: Any) -> Any:
    """A JSON-ready value: numbers as float, arrays as lists."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return value


def worst_rows(target: Target, spec: LossSpec, params: Mapping[str, Any], count: int) -> list[dict[str, Any]]:
    """The ``count`` rows with the largest contribution w·ℓ to ``spec``, largest first (ties: row order)."""
    terms = registry.terms(spec, target.inputs, params)
    contribution = terms if target.inputs.w is None else terms * target.inputs.w
    k = min(count, len(terms))
    if k <= 0:
        return []
    top = np.argpartition(-contribution, k - 1)[:k]
    top = top[np.lexsort((top, -contribution[top]))]
    pred = target.inputs.pred
    entries = []
    for i in top:
        shown_pred = target.classes[int(pred[i])] if target.kind == "class" and target.classes else _plain(pred[i])
        entry = {"row": int(target.rows[i]), "true": _plain(target.raw_labels[i]), "pred": shown_pred,
                 "loss": float(terms[i])}
        if target.inputs.w is not None:
            entry["weight"] = float(target.inputs.w[i])
        entries.append(entry)
    return entries


def per_row_columns(target: Target, losses: list[tuple[str, LossSpec, Mapping[str, Any]]], n_rows: int,
                    prefix: str) -> dict[str, np.ndarray]:
    """Each loss's term for every input row (NaN where a row was dropped); losses finished after the
    mean (rmse) have no per-row term and are left out."""
    columns = {}
    for name, spec, params in losses:
        if spec.finish is not None:
            continue
        full = np.full(n_rows, np.nan)
        full[target.rows - 1] = registry.terms(spec, target.inputs, params)
        columns[prefix + name] = full
    return columns


def per_row_csv(columns: dict[str, np.ndarray], n_rows: int) -> bytes:
    """``row`` (1…n) then one column per pair and loss; empty cells for dropped rows."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({"row": pa.array(np.arange(1, n_rows + 1)),
                      **{name: pa.array(values, from_pandas=True) for name, values in columns.items()}})
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def group_codes(frame: Frame, column: str, target: Target) -> tuple[list[str], np.ndarray]:
    """The group names and each evaluated row's group, from ``column`` (empty cells: "(missing)")."""
    keep = target.rows - 1
    values = frame.text(column)[keep]
    missing = frame.missing(column)[keep]
    values = np.where(missing, MISSING_GROUP, values).astype(object)
    return _factorize(values)


def group_results(overall: dict[str, Any], target: Target, losses: list[tuple[str, LossSpec, Mapping[str, Any]]],
                  names: list[str], codes: np.ndarray) -> list[dict[str, Any]]:
    """One result per group, shaped like ``overall`` with ``group`` set and its own ``n``."""
    m = len(names)
    counts = np.bincount(codes, minlength=m)
    values: dict[str, np.ndarray] = {}
    for name, spec, params in losses:
        sums = registry.accumulate_groups(spec, target.inputs, params, codes, m)
        if isinstance(sums, str):
            continue
        values[name] = np.asarray(registry.group_values(spec, sums), dtype=np.float64)
    results = []
    for g, group in enumerate(names):
        result = dict(overall, group=group, n=int(counts[g]), ci={}, signature=None)
        result["losses"] = {name: (float(v[g]) if np.isfinite(v[g]) else None) for name, v in values.items()}
        result.pop("worst", None)
        results.append(result)
    return results
