"""The Python API: ``losscli.evaluate`` and ``losscli.compare`` take the CLI's options and return
the JSON report as a dict.

Keywords are checked here, before anything is read: an unknown keyword or a value of the wrong type
is a :class:`UsageError` naming the keyword. The modules below speak the CLI's language, so the
message of an error they raise is translated on its way out (:func:`keywords_for_flags`): ``--dropna``
becomes ``dropna=True``, ``--task binaryy`` becomes ``task=binaryy``, and so on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .errors import LossCliError, UsageError, closest
from .evaluation import evaluate as _evaluate
from .options import EvalOptions, parse_param_flags, typed_params

# the CLI flag -> the keyword of evaluate(); flags without a value are booleans (shown as =True)
KEYWORDS = {"labels": "labels", "on": "on", "delimiter": "delimiter", "decimal": "decimal", "true": "true",
            "pred": "pred", "task": "task", "positive": "positive", "predictions": "predictions_kind",
            "weight": "weight", "loss": "loss", "param": "params", "dropna": "dropna", "plugin": "plugin",
            "worst": "worst", "group-by": "group_by", "ci": "ci", "bootstrap": "bootstrap", "seed": "seed",
            "baseline-model": "baseline_model"}
BOOLEAN_FLAGS = ("dropna",)
_NOT_A_VALUE = r"(?:was|joins|file|to|or|and|so|if|with|too|for|takes|is|are|in|of)\b"  # prose after a flag
_PARAM = re.compile(r"(?P<loss>\w+)\.(?P<key>\w+)(?:=(?P<value>.+))?$")  # --param focal.gamma[=3]
_FLAG = re.compile(rf"--(?P<flag>[a-z][a-z-]*)(?: (?!{_NOT_A_VALUE})(?P<value>[^\s:;,()/]+|[,.](?=\s|$)))?")


def keywords_for_flags(message: str) -> str:
    """A message written for the CLI, with its flags spelled as ``evaluate()`` keywords.

    >>> keywords_for_flags("--task binaryy: unknown task; or pass --dropna to skip those rows")
    'task=binaryy: unknown task; or pass dropna=True to skip those rows'
    """

    def keyword(match: re.Match[str]) -> str:
        flag, value = match["flag"], match["value"]
        if flag not in KEYWORDS:
            return match[0]
        if flag in BOOLEAN_FLAGS:
            return f"{KEYWORDS[flag]}=True" + (f" {value}" if value else "")
        param = _PARAM.match(value) if flag == "param" and value else None
        if param and param["value"] is not None:
            return f"params={{'{param['loss']}': {{'{param['key']}': {param['value']}}}}}"
        if param:
            return f"params['{param['loss']}']['{param['key']}']"
        return f"{KEYWORDS[flag]}={value}" if value else KEYWORDS[flag]

    return _FLAG.sub(keyword, message)


def _names(keyword: str, value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A name or names (a string, or an iterable of strings) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        names = tuple(value)
        if all(isinstance(name, str) for name in names):
            return names
    raise UsageError(f"{keyword}={value!r}: expected a name or a list of names (strings)")


def _check(keyword: str, value: Any, types: tuple[type, ...], expected: str) -> None:
    if value is not None and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
        raise UsageError(f"{keyword}={value!r}: expected {expected}, not {type(value).__name__}")


def _source(keyword: str, value: Any) -> Any:
    """A path (str or os.PathLike, as a str) or a pandas DataFrame."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, str):
        return value
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    raise UsageError(f"{keyword}: expected a file path or a pandas DataFrame, not {type(value).__name__}")


def _params(value: Any) -> Mapping[str, Mapping[str, Any]]:
    """``{"focal": {"gamma": 3}}`` or ``["focal.gamma=3"]`` -> parameters by loss name (typed later)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        if not all(isinstance(values, Mapping) for values in value.values()):
            raise UsageError(f"params={value!r}: expected a mapping of mappings, e.g. {{'focal': {{'gamma': 3}}}}")
        return value
    return parse_param_flags(list(_names("params", value)))


def evaluate(
    predictions: Any = None,
    labels: Any = None,
    *,
    on: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    true: str | Iterable[str] | None = None,
    pred: str | Iterable[str] | None = None,
    task: str | None = None,
    positive: str | None = None,
    predictions_kind: str | None = None,
    weight: str | None = None,
    loss: str | Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
    dropna: bool = False,
    plugin: str | Iterable[str] | None = None,
    worst: int = 0,
    group_by: str | None = None,
    ci: float | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    **unknown: Any,
) -> dict[str, Any]:
    """Evaluate predictions (a path or a pandas DataFrame) and return the report as a dict.

    The dict is what ``losscli eval --format json`` prints. ``params`` is ``{"focal": {"gamma": 3}}``
    or CLI-style strings ``["focal.gamma=3"]``. Errors raise :class:`losscli.errors.UsageError` or
    :class:`losscli.errors.DataError`; their messages name keywords (``dropna=True``), not flags.
    ``plugin`` names files of ``@loss`` functions to register (losses decorated in your own code
    are registered already).
    """
    try:
        if unknown:
            name = next(iter(unknown))
            raise UsageError(f"evaluate() got an unknown keyword '{name}'{closest(name, KEYWORDS.values())}")
        if predictions is None:
            hint = " (pred= names prediction columns)" if pred is not None else ""
            raise UsageError(f"evaluate() needs predictions: a file path or a pandas DataFrame{hint}")
        _check("group_by", group_by, (str,), "a string")
        _check("worst", worst, (int,), "an integer")
        options = _options(labels, on=on, delimiter=delimiter, decimal=decimal, true=true, pred=pred, task=task,
                           positive=positive, predictions_kind=predictions_kind, weight=weight, loss=loss,
                           params=params, dropna=dropna, plugin=plugin, ci=ci, bootstrap=bootstrap, seed=seed)
        options = replace(options, worst=worst, group_by=group_by)
        return _evaluate(_source("predictions", predictions), options).report.to_dict()
    except LossCliError as error:  # messages from the modules below name CLI flags
        raise type(error)(keywords_for_flags(str(error))) from None


def compare(
    base: Any = None,
    new: Any = None,
    labels: Any = None,
    *,
    baseline_model: str | None = None,
    on: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    true: str | Iterable[str] | None = None,
    pred: str | Iterable[str] | None = None,
    task: str | None = None,
    positive: str | None = None,
    predictions_kind: str | None = None,
    weight: str | None = None,
    loss: str | Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
    dropna: bool = False,
    plugin: str | Iterable[str] | None = None,
    ci: float = 0.95,
    bootstrap: int = 1000,
    seed: int = 0,
    **unknown: Any,
) -> dict[str, Any]:
    """Compare models on the same rows and return the report as a dict: what ``losscli compare
    --format json`` prints. ``new`` is a path or DataFrame, or a list of them (each compared with
    ``base``); or give one file of several models as ``base`` with ``baseline_model="lr"``. The
    other keywords are :func:`evaluate`'s."""
    try:
        if unknown:
            name = next(iter(unknown))
            raise UsageError(f"compare() got an unknown keyword '{name}'{closest(name, KEYWORDS.values())}")
        if base is None:
            raise UsageError("compare() needs base: a file path or a pandas DataFrame")
        news = [] if new is None else list(new) if isinstance(new, (list, tuple)) else [new]
        if bool(news) == (baseline_model is not None):
            raise UsageError("compare() needs new (a path, a DataFrame, or a list of them), or one file of several "
                             "models as base with baseline_model=NAME")
        _check("baseline_model", baseline_model, (str,), "a string")
        options = _options(labels, on=on, delimiter=delimiter, decimal=decimal, true=true, pred=pred, task=task,
                           positive=positive, predictions_kind=predictions_kind, weight=weight, loss=loss,
                           params=params, dropna=dropna, plugin=plugin, ci=ci, bootstrap=bootstrap, seed=seed)
        from .comparison import compare as compare_files
        from .comparison import compare_models

        base = _source("base", base)
        if news:
            report, _, _ = compare_files(base, [_source("new", n) for n in news], options)
        else:
            report, _, _ = compare_models(base, str(baseline_model), options)
        return report.to_dict()
    except LossCliError as error:  # messages from the modules below name CLI flags
        raise type(error)(keywords_for_flags(str(error))) from None


def _options(labels: Any, *, on: str | None, delimiter: str | None, decimal: str | None,
             true: str | Iterable[str] | None, pred: str | Iterable[str] | None, task: str | None,
             positive: str | None, predictions_kind: str | None, weight: str | None,
             loss: str | Iterable[str] | None, params: Mapping[str, Mapping[str, Any]] | Iterable[str] | None,
             dropna: bool, plugin: str | Iterable[str] | None, ci: float | None, bootstrap: int,
             seed: int) -> EvalOptions:
    """The keywords :func:`evaluate` and :func:`compare` share, checked (a wrong type is a usage error
    naming its keyword), plugins loaded, as one :class:`EvalOptions`."""
    strings = {"on": on, "delimiter": delimiter, "decimal": decimal, "task": task, "positive": positive,
               "predictions_kind": predictions_kind, "weight": weight}
    for keyword, value in strings.items():
        _check(keyword, value, (str,), "a string")
    _check("dropna", dropna, (bool,), "True or False")
    for keyword, number in {"bootstrap": bootstrap, "seed": seed}.items():
        _check(keyword, number, (int,), "an integer")
    _check("ci", ci, (int, float), "a confidence level, e.g. 0.95")
    from .plugins import load

    load(_names("plugin", plugin))
    return EvalOptions(
        labels=None if labels is None else _source("labels", labels), on=on, delimiter=delimiter, decimal=decimal,
        true=_names("true", true), pred=_names("pred", pred), task=task, positive=positive,
        predictions=predictions_kind, weight=weight, losses=_names("loss", loss), params=typed_params(_params(params)),
        dropna=dropna, ci=ci, bootstrap=bootstrap, seed=seed,
    )
