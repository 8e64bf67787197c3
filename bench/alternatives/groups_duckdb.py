"""Per-group losses of a binary file in DuckDB SQL: the five ``losscli eval`` reports (``all``) or
the log loss, Brier score and zero-one loss (``three``), see binary_sql.py.

python groups_duckdb.py FILE GROUP_COLUMN all|three  (prints CSV: key and the losses, one row per group)
"""

import sys

import duckdb
from binary_sql import TERMS, aggregates

path, group, which = sys.argv[1:4]
result = duckdb.sql(f"""
    SELECT "{group}" AS key, {aggregates(which)}
    FROM (SELECT *, {TERMS} FROM read_csv('{path}'))
    GROUP BY ALL
""")
print(",".join(result.columns))
for values in result.fetchall():
    print(",".join(map(str, values)))
