"""Predictions and labels in two files joined on id, then the five losses ``losscli eval`` reports
(``all``) or the log loss, Brier score and zero-one loss (``three``), in DuckDB SQL (see binary_sql.py).

python join_duckdb.py PREDS LABELS all|three  (prints CSV: key, the losses)
"""

import sys

import duckdb
from binary_sql import TERMS, aggregates

preds, labels, which = sys.argv[1:4]
result = duckdb.sql(f"""
    SELECT 'all' AS key, {aggregates(which)}
    FROM (SELECT y_true, y_pred, {TERMS}
          FROM read_csv('{preds}') JOIN read_csv('{labels}') USING (id))
""")
print(",".join(result.columns))
for values in result.fetchall():
    print(",".join(map(str, values)))
