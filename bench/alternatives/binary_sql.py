"""The losses ``losscli eval`` reports for a binary file of 0/1 labels (y_true) and probabilities
(y_pred), as DuckDB SQL aggregates written as a user would write them. Imported by the DuckDB scripts
of the groups and join cases: ``ALL`` are the five eval reports (the like-for-like alternative),
``THREE`` the log loss, Brier score and zero-one loss alone.

Each aggregate reads ``p``, the probability clipped to [ε, 1 − ε] (:data:`CLIPPED`), as
scikit-learn's log_loss clips it.
"""

EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
CLIPPED = f"least(greatest(y_pred, {EPS}), 1 - {EPS}) AS p"

LOG_LOSS = "-avg(y_true * ln(p) + (1 - y_true) * ln(1 - p))"
# class-balanced: the mean over the classes present of each class's mean log loss
BALANCED = ("(coalesce(-avg(ln(p)) FILTER (WHERE y_true = 1), 0)"
            " + coalesce(-avg(ln(1 - p)) FILTER (WHERE y_true = 0), 0))"
            " / ((count(*) FILTER (WHERE y_true = 1) > 0)::INT + (count(*) FILTER (WHERE y_true = 0) > 0)::INT)")
FOCAL = "-avg(CASE WHEN y_true = 1 THEN (1 - y_pred) ** 2 * ln(p) ELSE y_pred ** 2 * ln(1 - p) END)"  # γ = 2, no α
BRIER = "avg((y_true - y_pred) ** 2)"
ZERO_ONE = "avg(((y_pred > 0.5)::INT != y_true)::INT)"

THREE = {"binary_crossentropy": LOG_LOSS, "brier": BRIER, "zero_one": ZERO_ONE}
ALL = {"binary_crossentropy": LOG_LOSS, "weighted_crossentropy": BALANCED, "focal": FOCAL, "brier": BRIER,
       "zero_one": ZERO_ONE}


def aggregates(which: str) -> str:
    """``all`` or ``three`` of the losses as a SELECT list, each named after its loss."""
    losses = {"all": ALL, "three": THREE}[which]
    return ", ".join(f"{sql} AS {name}" for name, sql in losses.items())
