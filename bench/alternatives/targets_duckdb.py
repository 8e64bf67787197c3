"""MSE and MAE of each target of a multi-output regression file (NAME_true, NAME_pred), in DuckDB SQL
(the SQL generated from the header).

python targets_duckdb.py FILE  (prints CSV: key the target, mse, mae)
"""

import sys

import duckdb

path = sys.argv[1]
with open(path) as f:
    targets = [name.strip('"').removesuffix("_true") for name in f.readline().strip().split(",")
               if name.strip('"').endswith("_true")]
sums = ", ".join(f"avg(({t}_true - {t}_pred) ** 2), avg(abs({t}_true - {t}_pred))" for t in targets)
values = duckdb.execute(f"SELECT {sums} FROM read_csv('{path}')").fetchone()
print("key,mse,mae")
for k, target in enumerate(targets):
    print(f"{target},{values[2 * k]!r},{values[2 * k + 1]!r}")
