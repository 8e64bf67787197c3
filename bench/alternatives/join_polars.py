"""Predictions and labels in two files joined on id, then log loss, Brier score and zero-one loss, with polars.

python join_polars.py PREDS LABELS eager|lazy  (pl.read_csv, or pl.scan_csv and collect; prints CSV)
"""

import sys

import polars as pl

preds, labels, mode = sys.argv[1:4]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
read = pl.scan_csv if mode == "lazy" else pl.read_csv
y, p = pl.col("y_true"), pl.col("y_pred").clip(EPS, 1 - EPS)
result = read(preds).join(read(labels), on="id").select(
    key=pl.lit("all"),
    binary_crossentropy=-(y * p.log() + (1 - y) * (1 - p).log()).mean(),
    brier=((y - pl.col("y_pred")) ** 2).mean(),
    zero_one=((pl.col("y_pred") > 0.5).cast(pl.Int64) != y).mean(),
)
if isinstance(result, pl.LazyFrame):
    result = result.collect()
result.write_csv(sys.stdout)
