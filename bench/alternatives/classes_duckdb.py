"""Categorical cross-entropy of a file of class ids and one probability column per class, in DuckDB SQL
(the SQL generated from the header: the true class's probability taken from the list of the K columns).

python classes_duckdb.py FILE  (prints CSV: key, the loss)
"""

import sys

import duckdb

path = sys.argv[1]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
with open(path) as f:
    columns = [name.strip('"') for name in f.readline().strip().split(",")]
probabilities = ", ".join(f'"{name}"' for name in columns if name.startswith("p_"))
(loss,) = duckdb.execute(f"""
    SELECT -avg(ln(least(greatest(list_extract([{probabilities}], y_true + 1), {EPS}), 1 - {EPS})))
    FROM read_csv('{path}')
""").fetchone()
print(f"key,sparse_categorical_crossentropy\nall,{loss!r}")
