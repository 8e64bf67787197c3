"""Categorical cross-entropy of a file of class ids and one probability column per class, with polars
(the true class's probability gathered from the list of the K columns).

python classes_polars.py FILE eager|lazy  (pl.read_csv, or pl.scan_csv and collect; prints CSV)
"""

import sys

import polars as pl

path, mode = sys.argv[1:3]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
frame = pl.scan_csv(path) if mode == "lazy" else pl.read_csv(path)
p_true = pl.concat_list(pl.col(r"^p_\d+$")).list.get(pl.col("y_true"))
result = frame.select(key=pl.lit("all"), sparse_categorical_crossentropy=-p_true.clip(EPS, 1 - EPS).log().mean())
if isinstance(result, pl.LazyFrame):
    result = result.collect()
result.write_csv(sys.stdout)
