"""Two models' log loss on the same rows (joined on id) and the difference, in DuckDB SQL.

python compare_duckdb.py BASE NEW  (prints CSV: key base, new, diff and the log loss)
"""

import sys

import duckdb

base, new = sys.argv[1], sys.argv[2]
EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss


def term(p: str) -> str:
    clipped = f"least(greatest({p}, {EPS}), 1 - {EPS})"
    return f"-(b.y_true * ln({clipped}) + (1 - b.y_true) * ln(1 - {clipped}))"


base_loss, new_loss = duckdb.execute(f"""
    SELECT avg({term("b.y_pred")}), avg({term("n.y_pred")})
    FROM read_csv('{base}') AS b JOIN read_csv('{new}') AS n USING (id)
""").fetchone()
print("key,binary_crossentropy")
print(f"base,{base_loss!r}\nnew,{new_loss!r}\ndiff,{new_loss - base_loss!r}")
