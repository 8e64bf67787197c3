"""Every row's log loss of a binary file written to a CSV file (row numbered from 1), in DuckDB SQL.

python per_row_duckdb.py FILE OUT
"""

import sys

import duckdb

path, out = sys.argv[1], sys.argv[2]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
duckdb.sql(f"""
    COPY (SELECT row_number() OVER () AS row, -(y_true * ln(p) + (1 - y_true) * ln(1 - p)) AS binary_crossentropy
          FROM (SELECT y_true, least(greatest(y_pred, {EPS}), 1 - {EPS}) AS p FROM read_csv('{path}')))
    TO '{out}' (HEADER)
""")
