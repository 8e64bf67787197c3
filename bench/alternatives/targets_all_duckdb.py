"""The twelve losses ``losscli eval`` reports for each target of a multi-output regression file
(NAME_true, NAME_pred), in DuckDB SQL generated from the header: the same formulas, written as a
user would (the closed forms, without losscli's care where they cancel).

python targets_all_duckdb.py FILE  (prints CSV: key the target, then one column per loss)
"""

import sys

import duckdb

LOSSES = {  # loss → the mean of this term ({y}: the label, {p}: the prediction)
    "mse": "({y} - {p}) ** 2",
    "mae": "abs({y} - {p})",
    "huber": "least(abs({y} - {p}), 1.0) * (abs({y} - {p}) - 0.5 * least(abs({y} - {p}), 1.0))",
    "log_cosh": "abs({y} - {p}) + ln(1 + exp(-2 * abs({y} - {p}))) - ln(2)",
    "msle": "(ln(1 + {y}) - ln(1 + {p})) ** 2",
    "mape": "abs({y} - {p}) / abs({y})",
    "smape": "CASE WHEN abs({y}) + abs({p}) = 0 THEN 0 ELSE 2 * abs({y} - {p}) / (abs({y}) + abs({p})) END",
    "pinball": "CASE WHEN {y} >= {p} THEN 0.5 * ({y} - {p}) ELSE 0.5 * ({p} - {y}) END",
    "poisson_deviance": "2 * (CASE WHEN {y} = 0 THEN 0 ELSE {y} * ln({y} / {p}) END - {y} + {p})",
    "gamma_deviance": "2 * (ln({p} / {y}) + {y} / {p} - 1)",
    "asymmetric_mse": "CASE WHEN {y} > {p} THEN 2.0 ELSE 1.0 END * ({y} - {p}) ** 2",
}

path = sys.argv[1]
with open(path) as f:
    targets = [name.strip('"').removesuffix("_true") for name in f.readline().strip().split(",")
               if name.strip('"').endswith("_true")]
means = ", ".join(f"avg({term.format(y=f'{t}_true', p=f'{t}_pred')})"
                  for t in targets for term in LOSSES.values())
values = duckdb.execute(f"SELECT {means} FROM read_csv('{path}')").fetchone()
print("key," + ",".join(LOSSES) + ",rmse")
for k, target in enumerate(targets):
    row = values[k * len(LOSSES):(k + 1) * len(LOSSES)]
    print(target + "," + ",".join(map(repr, row)) + f",{row[0] ** 0.5!r}")
