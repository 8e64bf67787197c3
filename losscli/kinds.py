"""The kind of a pair's predictions: probabilities when every value lies in [0, 1], else logits or
decision scores (``--predictions`` overrides). Values within ROUNDING past 0 or 1 are rounding errors
of probabilities (``1 − p``, float32) and are clipped; values in [0, 100] beyond 1 look like
percentages and are refused; K-class probability rows should sum to 1 (± SUM_TOLERANCE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import DataError
from .frame import Frame
from .registry import PredKind
from .row_counts import RowCount, first_of

KINDS = ("probability", "logits")
ROUNDING = 1e-9  # probabilities this far outside [0, 1] are rounding errors (1 − p, float32), not logits
SUM_TOLERANCE = 1e-3  # K-class probability rows sum to 1 within this


@dataclass
class KindDecision:
    """A kind of predictions with its evidence (for --explain) and warnings (for standard error)."""

    kind: PredKind
    clip: bool = False  # probabilities with rounding errors past 0 or 1: clip them to [0, 1]
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    off_sum: RowCount | None = None  # probability rows that do not sum to 1


def _range(values: np.ndarray) -> str:
    return f"[{values.min():.4g}, {values.max():.4g}]"


def kind_from_range(values: np.ndarray, override: str | None, frame: Frame, columns: list[str]) -> KindDecision:
    """Probabilities when every value is in [0, 1], else logits; ``--predictions`` overrides."""
    low, high = _low_high(values, frame, columns)
    in_unit = low >= -ROUNDING and high <= 1 + ROUNDING
    clip = in_unit and (low < 0 or high > 1)  # a rounding error past 0 or 1: clipped to [0, 1]
    if override == "probability":
        if not in_unit:
            outside = (values < -ROUNDING) | (values > 1 + ROUNDING)
            i, j = np.argwhere(outside)[0] if outside.ndim == 2 else (np.flatnonzero(outside)[0], 0)
            raise DataError(f"{frame.locate(columns[j], int(i))}{values[outside][0]:g} is not a probability: "
                            "probabilities lie in [0, 1] (pass --predictions logits if these are scores or logits)")
        return KindDecision("probability", clip, ["predictions are probabilities (--predictions probability)"])
    if override == "logits":
        return KindDecision("logits", clip, ["predictions are logits/scores (--predictions logits)"])
    if not in_unit and low >= 0 and high <= 100:
        ids = ", or --task sparse if they are class ids" if bool(np.all(values == np.round(values))) else ""
        raise DataError(f"{frame.where(columns[0])}predictions lie in "
                        f"{_range(values)}, inside [0, 100]: percentages? Divide them by 100 to score them as "
                        f"probabilities, or pass --predictions logits if they are scores{ids}")
    if not in_unit:
        return KindDecision("logits", clip, [f"predictions span {_range(values)}, outside [0, 1]: logits/decision "
                                             "scores"])
    return KindDecision("probability", clip, [f"predictions lie in {_range(values)} ⊆ [0, 1]: probabilities"
                                              + (f" (rounding errors within {ROUNDING:g} of [0, 1] clipped)"
                                                 if clip else "")])


def _low_high(values: np.ndarray, frame: Frame, columns: list[str]) -> tuple[float, float]:
    """The smallest and largest prediction: the frame's column ranges (its finite checks found them)
    when ``values`` are its whole columns as read, else computed."""
    if len(values) == frame.n_rows and all(frame.is_number(c) for c in columns):
        ranges = [frame.value_range(c) for c in columns]
        return min(low for low, _ in ranges), max(high for _, high in ranges)
    return values.min(), values.max()


def class_kind(p: np.ndarray, override: str | None, frame: Frame, columns: list[str],
               rows: np.ndarray) -> KindDecision:
    """The kind of K class columns: as :func:`kind_from_range`; probability rows that do not sum to 1
    are used as they are, counted for a warning (``rows``: each row's number in the file)."""
    decision = kind_from_range(p, override, frame, columns)
    if decision.kind == "probability" and override is None:
        decision.off_sum = off_sum_rows(p, rows)
        if decision.off_sum is None:
            decision.evidence.append("every prediction row sums to 1 (±1e-3; first rows)")
    return decision


def off_sum_rows(p: np.ndarray, rows: np.ndarray) -> RowCount | None:
    """K-class probability rows whose sum is more than SUM_TOLERANCE from 1 (None: there are none)."""
    sums = p.sum(axis=1)
    return first_of(np.abs(sums - 1.0) > SUM_TOLERANCE, rows, sums)
