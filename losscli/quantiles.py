"""Quantile sets and Gaussian spreads: which prediction columns are quantiles of one forecast (and
at which levels), and which column is a predicted variance or standard deviation.

Quantile columns (a level read from the end of a column's name, after ``_``, ``-``, ``.`` or a
space, or from the whole name; case ignored):

* ``q<percent>`` / ``p<percent>``: one or two digits, or a decimal of at least 1
  (``q10`` = 0.1, ``p05`` = 0.05, ``q2.5`` = 0.025, ``p97.5`` = 0.975);
* ``q<fraction>`` / ``p<fraction>`` / ``quantile_<fraction>`` / ``<fraction>``: a fraction written
  with its dot, ``0.`` then digits (``q0.1``, ``quantile_0.05``, ``0.9``).

A set is at least two columns of one prediction prefix (``y_pred_``, ``pred_``, ``yhat_``,
``prediction_``…, or a predictions file's columns beside a labels file) that all parse, at
distinct levels in (0, 1). A set of which some columns parse and others look like quantiles
(``q<digits>``, ``quantile…``) or name models is refused: ``--pred COL,COL... --quantiles LEVELS``
says which. Levels are kept in increasing order.

Spread columns (on the folded ``snake_case`` name): ``B_var``/``B_variance`` (a variance) or
``B_std``/``B_stddev``/``B_stdev``/``B_sd``/``B_sigma`` (a standard deviation, squared before use),
where the mean is the one prediction column named ``B`` (itself a prediction name: ``y_pred``),
``B_mean``, ``B_mu``, or ``B_<prediction word>`` (``y_std`` beside ``y_pred``). Two candidates for
one spread, or two spreads for one mean, are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import UsageError
from .names import PRED_WORDS, normalise

PERCENT = re.compile(r"^[qp](\d{1,2}|[1-9]\d?\.\d+)$", re.IGNORECASE)  # q10, p05, q2.5, p97.5
FRACTION = re.compile(r"^(?:[qp]|quantile[_\-. ]?)?(0\.\d+)$", re.IGNORECASE)  # q0.1, quantile_0.05, 0.9
LOOKS_QUANTILE = re.compile(r"^(?:[qp]\d|quantile)", re.IGNORECASE)  # a name that may mean a level
QUANTILE_PREFIXES = {"pred", "preds", "prediction", "predicted", "predict", "yhat", "hat", "output", "<file>",
                     "<class>_pred", "<class>_preds", "<class>_prediction", "<class>_forecast"}
VARIANCE_WORDS = {"var", "variance"}
SPREAD_WORDS = VARIANCE_WORDS | {"std", "stddev", "stdev", "sd", "sigma"}  # a predicted variance or standard deviation
SPREAD = re.compile(rf"^(.+)_({'|'.join(sorted(SPREAD_WORDS))})$")


def level_of(token: str) -> float | None:
    """The quantile level a name's token writes, or None: ``q10`` -> 0.1, ``q0.1`` -> 0.1,
    ``q2.5`` -> 0.025, ``quantile_0.05`` -> 0.05, ``0.9`` -> 0.9; ``q0``, ``q100``, ``10``, ``lr`` -> None."""
    token = token.strip()
    if m := PERCENT.match(token):
        level = float(m.group(1)) / 100
    elif m := FRACTION.match(token):
        level = float(m.group(1))
    else:
        return None
    return level if 0 < level < 1 else None


def column_level(column: str) -> float | None:
    """The level written at the end of a column's name (the longest token that parses), or None."""
    cuts = [0] + [i + 1 for i, ch in enumerate(column) if ch in "_-. "]
    return next((level for cut in cuts if (level := level_of(column[cut:])) is not None), None)


def level_name(level: float) -> str:
    """A level as loss keys name it: ``q`` and its percent, a decimal point written ``p`` so that jq
    reads the key unquoted: 0.1 -> ``q10``, 0.025 -> ``q2p5``, 0.5 -> ``q50``."""
    return "q" + f"{level * 100:.10g}".replace(".", "p")


def name_level(name: str) -> float | None:
    """The level a :func:`level_name` names (``q10`` -> 0.1), or None for anything it does not write."""
    m = re.fullmatch(r"q(\d{1,2}(?:p\d+)?)", name)
    if m is None:
        return None
    level = float(m.group(1).replace("p", ".")) / 100
    return level if 0 < level < 1 and level_name(level) == name else None


def _sorted_set(columns: list[str], levels: list[float], what: str) -> tuple[list[str], list[float]]:
    """Columns and levels in increasing level; two columns at one level are refused."""
    names = [level_name(level) for level in levels]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        both = [c for c, n in zip(columns, names) if n == twice]
        raise UsageError(f"{what}: columns {', '.join(both)} are the same quantile level "
                         f"{levels[names.index(twice)]:g}; say which to use: --pred COL,COL... --quantiles LEVELS")
    order = sorted(range(len(levels)), key=lambda i: levels[i])
    return [columns[i] for i in order], [levels[i] for i in order]


def quantile_set(columns: list[str], label: str, prefix: str) -> tuple[list[str], list[float]] | None:
    """``columns`` (one prediction group of ``label``) as a quantile set, sorted by level; None when
    they are not one (classes, models). Refused (a UsageError naming ``--quantiles``) when some parse
    and the others look like levels or models."""
    if prefix not in QUANTILE_PREFIXES or len(columns) < 2:
        return None
    levels = [column_level(c) for c in columns]
    parsed = [c for c, level in zip(columns, levels) if level is not None]
    if len(parsed) == len(columns):
        return _sorted_set(columns, [level for level in levels if level is not None], f"label '{label}'")
    looks = [c for c in columns if LOOKS_QUANTILE.match(_token(c)) is not None]
    if len(parsed) >= 2 or (parsed and len(looks) == len(columns)):
        others = [c for c in columns if c not in parsed]
        raise UsageError(f"label '{label}': prediction columns {', '.join(parsed)} are named as quantiles but "
                         f"{', '.join(others)} {'is' if len(others) == 1 else 'are'} not; say which columns pair: "
                         f"--true {label} --pred {','.join(parsed)} (with --quantiles LEVELS if their names do "
                         "not say them), and --true/--pred again for each model")
    if len(looks) == len(columns):
        raise UsageError(f"label '{label}': prediction columns {', '.join(columns)} look like quantiles but their "
                         "levels cannot be read (q<percent> as q10 or q2.5, q<fraction> as q0.1, quantile_<fraction>"
                         f"); say which: --true {label} --pred {','.join(columns)} --quantiles LEVELS")
    return None


def _token(column: str) -> str:
    """What follows a column's last separator before a letter (``y_pred_q10`` -> ``q10``)."""
    parts = re.split(r"[_\-. ](?=[A-Za-z])", column)
    return parts[-1]


def declared_set(columns: list[str], declared: list[float] | None, flag: str) -> tuple[list[str], list[float]] | None:
    """``--pred`` columns as a quantile set: at the ``--quantiles`` levels (in the columns' order),
    else at the levels their names write when every one does; None otherwise."""
    if declared is None:
        levels = [column_level(c) for c in columns]
        if len(columns) < 2 or any(level is None for level in levels):
            return None
        return _sorted_set(columns, [level for level in levels if level is not None], flag)
    if len(declared) != len(columns):
        raise UsageError(f"--quantiles gives {len(declared)} levels for the {len(columns)} columns of {flag}; "
                         "give one level per column, in the same order")
    for column, level in zip(columns, declared):
        named = column_level(column)
        if named is not None and level_name(named) != level_name(level):
            raise UsageError(f"--quantiles says {level:g} for column '{column}', whose name says {named:g}; "
                             "give the levels in the order of the --pred columns")
    return _sorted_set(columns, declared, flag)


def parse_levels(text: str | None) -> list[float] | None:
    """``--quantiles 0.1,0.5,0.9`` (fractions) -> levels; each in (0, 1)."""
    if text is None:
        return None
    levels = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        try:
            level = float(part.rstrip("%")) / (100 if part.endswith("%") else 1)
        except ValueError:
            level = float("nan")
        if not 0 < level < 1:
            raise UsageError(f"--quantiles {text}: '{part}' is not a level in (0, 1); e.g. --quantiles 0.1,0.5,0.9")
        levels.append(level)
    if len(levels) < 2:
        raise UsageError(f"--quantiles {text}: give at least two levels, e.g. --quantiles 0.1,0.5,0.9")
    return levels


def _is_prediction(norm: str) -> bool:
    from .pairing import CLASS_PRED, NAME_PRED

    return norm in PRED_WORDS or bool(NAME_PRED.match(norm)) or bool(CLASS_PRED.match(norm))


def declared_spread(pred: list[str]) -> tuple[str, str, str] | None:
    """``--pred MEAN,SPREAD``: of two columns, the one named as a spread (``*_std``, ``*_var``, …)
    and the other, its mean, whatever their names otherwise say: (spread, mean, "variance" | "std")."""
    spreads = [(column, found.group(2)) for column in pred if (found := SPREAD.match(normalise(column)))]
    if len(pred) != 2 or len(spreads) != 1:
        return None
    (column, word), = spreads
    mean = pred[1] if pred[0] == column else pred[0]
    return column, mean, "variance" if word in VARIANCE_WORDS else "std"


def spread_columns(columns: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The spread columns among ``columns``: ``{spread column: (mean column, "variance" | "std")}``
    by the grammar above; refused when one spread has two candidate means, one mean two spreads,
    or a spread of a prediction (``y_pred_std``) has no mean."""
    from .pairing import NAME_PRED

    columns = list(columns)
    norms = {c: normalise(c) for c in columns}
    found: dict[str, tuple[str, str]] = {}
    for column in columns:
        m = SPREAD.match(norms[column])
        if m is None:
            continue
        base, word = m.groups()
        means = [c for c in columns if c != column and not SPREAD.match(norms[c]) and (
            norms[c] in (f"{base}_mean", f"{base}_mu") or (norms[c] == base and _is_prediction(base))
            or ((p := NAME_PRED.match(norms[c])) is not None and p.group(1) == base and not _is_prediction(base)))]
        if len(means) > 1:
            raise UsageError(f"'{column}' may be the spread of {' or of '.join(repr(c) for c in means)}; say which "
                             f"columns pair: --true COL --pred {means[0]},{column}")
        if means:
            found[column] = (means[0], "variance" if word in VARIANCE_WORDS else "std")
        elif _is_prediction(base):  # y_pred_std with no y_pred: a spread without its mean, not a model
            raise UsageError(f"'{column}' reads as the {'variance' if word in VARIANCE_WORDS else 'standard deviation'}"
                             f" of the prediction '{base}', which no column holds; say which columns pair: "
                             f"--true COL --pred MEAN,{column} (its mean beside it), or --pred {column} to score "
                             "it as a prediction")
    by_mean: dict[str, list[str]] = {}
    for column, (mean, _) in found.items():
        by_mean.setdefault(mean, []).append(column)
    for mean, spreads in by_mean.items():
        if len(spreads) > 1:
            raise UsageError(f"'{mean}' has {len(spreads)} spread columns ({', '.join(spreads)}); say which one "
                             f"pairs: --true COL --pred {mean},{spreads[0]}")
    return found
