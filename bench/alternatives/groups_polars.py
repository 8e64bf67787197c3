"""Per-group log loss, Brier score and zero-one loss of a binary file with polars.

python groups_polars.py FILE GROUP_COLUMN eager|lazy  (pl.read_csv, or pl.scan_csv and collect)
"""

import sys

import polars as pl

path, group, mode = sys.argv[1:4]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
frame = pl.scan_csv(path) if mode == "lazy" else pl.read_csv(path)
y, p = pl.col("y_true"), pl.col("y_pred").clip(EPS, 1 - EPS)
result = frame.group_by(pl.col(group).alias("key")).agg(
    binary_crossentropy=-(y * p.log() + (1 - y) * (1 - p).log()).mean(),
    brier=((y - pl.col("y_pred")) ** 2).mean(),
    zero_one=((pl.col("y_pred") > 0.5).cast(pl.Int64) != y).mean(),
)
if isinstance(result, pl.LazyFrame):
    result = result.collect()
result.write_csv(sys.stdout)
