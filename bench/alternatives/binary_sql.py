"""The losses ``losscli eval`` reports for a binary file of 0/1 labels (y_true) and probabilities
(y_pred), as DuckDB SQL aggregates. Imported by the DuckDB scripts of the groups and join cases:
``ALL`` are the five eval reports (the like-for-like alternative), ``THREE`` the log loss, Brier
score and zero-one loss alone.

Written as a user who wants it fast would write them: each row's terms computed once, in
:data:`TERMS` (one logarithm a row, as losscli takes it), and every loss an average of them:

- ``nll`` = −ln p_t, with p_t = p for label 1 and 1 − p for label 0, and p the probability
  clipped to [ε, 1 − ε] as scikit-learn's log_loss clips it;
- ``q`` = 1 − p_t of the probability as given (|y − p|: Brier's root and focal's factor).
"""

EPS = 2.220446049250313e-16  # float64 machine epsilon, the clip of scikit-learn's log_loss
TERMS = (f"-ln(CASE WHEN y_true = 1 THEN least(greatest(y_pred, {EPS}), 1 - {EPS}) "
         f"ELSE 1 - least(greatest(y_pred, {EPS}), 1 - {EPS}) END) AS nll, abs(y_true - y_pred) AS q")

LOG_LOSS = "avg(nll)"
# class-balanced: the mean over the classes present of each class's mean log loss
BALANCED = ("(coalesce(avg(nll) FILTER (WHERE y_true = 1), 0) + coalesce(avg(nll) FILTER (WHERE y_true = 0), 0))"
            " / ((count(*) FILTER (WHERE y_true = 1) > 0)::INT + (count(*) FILTER (WHERE y_true = 0) > 0)::INT)")
FOCAL = "avg(q * q * nll)"  # γ = 2, no α: −(1 − p_t)² ln p_t
BRIER = "avg(q * q)"
ZERO_ONE = "avg(((y_pred > 0.5)::INT != y_true)::INT)"

THREE = {"binary_crossentropy": LOG_LOSS, "brier": BRIER, "zero_one": ZERO_ONE}
ALL = {"binary_crossentropy": LOG_LOSS, "weighted_crossentropy": BALANCED, "focal": FOCAL, "brier": BRIER,
       "zero_one": ZERO_ONE}


def aggregates(which: str) -> str:
    """``all`` or ``three`` of the losses as a SELECT list, each named after its loss."""
    losses = {"all": ALL, "three": THREE}[which]
    return ", ".join(f"{sql} AS {name}" for name, sql in losses.items())
