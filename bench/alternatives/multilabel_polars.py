"""Multilabel losses (binary cross-entropy, Brier score, Hamming loss: means over every cell) of a file of
label columns y_true_K and probability columns y_pred_K, with polars.

python multilabel_polars.py FILE eager|lazy  (pl.read_csv, or pl.scan_csv and collect; prints CSV)
"""

import sys
from collections.abc import Iterable

import polars as pl

path, mode = sys.argv[1:3]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
frame = pl.scan_csv(path) if mode == "lazy" else pl.read_csv(path)
labels = [name.removeprefix("y_true_") for name in frame.collect_schema().names() if name.startswith("y_true_")]
pairs = [(pl.col(f"y_true_{k}"), pl.col(f"y_pred_{k}")) for k in labels]


def mean_over_cells(terms: Iterable[pl.Expr]) -> pl.Expr:
    return pl.sum_horizontal(terms).mean() / len(labels)


def log_term(y: pl.Expr, p: pl.Expr) -> pl.Expr:
    p = p.clip(EPS, 1 - EPS)
    return y * p.log() + (1 - y) * (1 - p).log()


result = frame.select(
    key=pl.lit("all"),
    binary_crossentropy=-mean_over_cells(log_term(y, p) for y, p in pairs),
    brier=mean_over_cells((y - p) ** 2 for y, p in pairs),
    hamming=mean_over_cells(((p > 0.5).cast(pl.Int64) != y).cast(pl.Int64) for y, p in pairs),
)
if isinstance(result, pl.LazyFrame):
    result = result.collect()
result.write_csv(sys.stdout)
