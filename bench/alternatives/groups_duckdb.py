"""Per-group log loss, Brier score and zero-one loss of a binary file in DuckDB SQL.

python groups_duckdb.py FILE GROUP_COLUMN  (prints CSV: key and the losses, one row per group)
"""

import sys

import duckdb

path, group = sys.argv[1], sys.argv[2]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
result = duckdb.sql(f"""
    SELECT "{group}" AS key,
           -avg(y_true * ln(p) + (1 - y_true) * ln(1 - p)) AS binary_crossentropy,
           avg((y_true - y_pred) ** 2) AS brier,
           avg(((y_pred > 0.5)::INT != y_true)::INT) AS zero_one
    FROM (SELECT *, least(greatest(y_pred, {EPS}), 1 - {EPS}) AS p FROM read_csv('{path}'))
    GROUP BY ALL
""")
print(",".join(result.columns))
for values in result.fetchall():
    print(",".join(map(str, values)))
