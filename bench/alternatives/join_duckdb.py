"""Predictions and labels in two files joined on id, then log loss, Brier score and zero-one loss, in DuckDB SQL.

python join_duckdb.py PREDS LABELS  (prints CSV: key, the losses)
"""

import sys

import duckdb

preds, labels = sys.argv[1], sys.argv[2]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
result = duckdb.sql(f"""
    SELECT 'all' AS key,
           -avg(y_true * ln(p) + (1 - y_true) * ln(1 - p)) AS binary_crossentropy,
           avg((y_true - y_pred) ** 2) AS brier,
           avg(((y_pred > 0.5)::INT != y_true)::INT) AS zero_one
    FROM (SELECT y_true, y_pred, least(greatest(y_pred, {EPS}), 1 - {EPS}) AS p
          FROM read_csv('{preds}') JOIN read_csv('{labels}') USING (id))
""")
print(",".join(result.columns))
for values in result.fetchall():
    print(",".join(map(str, values)))
