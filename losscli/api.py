"""The Python API: ``losscli.evaluate`` and ``losscli.compare`` take the CLI's options and return
the JSON report as a dict; ``losscli.partial`` returns the mergeable state of some rows (a shard that
Spark, Ray or Dask hands over) and ``losscli.merge`` the report of such states merged.

``evaluate`` and ``partial`` read paths, pandas DataFrames, Arrow data (tables, record batches,
readers, ``__arrow_c_stream__`` objects: :mod:`losscli.arrow_input`) and scikit-learn's arrays
(``y_true=``, ``y_pred=``, ``sample_weight=``); ``compare`` reads paths and DataFrames.

Keywords are checked here, before anything is read: an unknown keyword or a value of the wrong type
is a :class:`UsageError` naming the keyword. The modules below speak the CLI's language, so the
message of an error they raise is translated on its way out (:func:`keywords_for_flags`): ``--dropna``
becomes ``dropna=True``, ``--task binaryy`` becomes ``task=binaryy``, and so on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from .errors import LossCliError, UsageError, closest
from .evaluation import evaluate as _evaluate
from .options import EvalOptions, parse_param_flags, typed_params
from .state import State

# the CLI flag -> the keyword of evaluate(); flags without a value are booleans (shown as =True)
KEYWORDS = {"labels": "labels", "on": "on", "delimiter": "delimiter", "decimal": "decimal", "true": "true",
            "pred": "pred", "task": "task", "positive": "positive", "predictions": "predictions_kind",
            "weight": "weight", "loss": "loss", "param": "params", "dropna": "dropna", "plugin": "plugin",
            "worst": "worst", "group-by": "group_by", "per-class": "per_class", "ci": "ci", "bootstrap": "bootstrap",
            "seed": "seed", "baseline-model": "baseline_model"}
BOOLEAN_FLAGS = ("dropna", "per-class")
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


def _any_source(keyword: str, value: Any) -> Any:
    """What :func:`evaluate` reads: a path or a pandas DataFrame (as :func:`_source`), or Arrow data
    as an :class:`~losscli.arrow_input.ArrowSource`."""
    from .arrow_input import ACCEPTED, arrow_source

    try:
        return _source(keyword, value)
    except UsageError:
        found = arrow_source(keyword, value)
        if found is None:
            raise UsageError(f"{keyword}: expected {ACCEPTED}; not {type(value).__name__}") from None
        return found


def _given(predictions: Any, labels: Any, pred: Any, weight: str | None,
           arrays: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The predictions to read, and the weight column: ``predictions``, or the table of scikit-learn's
    arrays ``y_true``/``y_pred``/``sample_weight`` (weighted by ``sample_weight``)."""
    from .arrow_input import ACCEPTED, WEIGHT_COLUMN, ArrowSource, from_arrays

    given = [keyword for keyword, value in arrays.items() if value is not None]
    if not given:
        if predictions is None:
            hint = " (pred= names prediction columns)" if pred is not None else ""
            raise UsageError(f"needs predictions: {ACCEPTED}{hint}")
        return _any_source("predictions", predictions), weight
    if predictions is not None or labels is not None:
        raise UsageError(f"{', '.join(given)}: arrays are the whole input; give them without predictions or labels")
    if arrays["y_true"] is None or arrays["y_pred"] is None:
        raise UsageError(f"{', '.join(given)}: give both y_true= and y_pred= (and sample_weight= if weighted)")
    if arrays["sample_weight"] is not None and weight is not None:
        raise UsageError("weight names a column; with arrays pass the weights as sample_weight=")
    table = from_arrays(arrays["y_true"], arrays["y_pred"], arrays["sample_weight"])
    return ArrowSource("<predictions arrays>", iter([table])), \
        WEIGHT_COLUMN if arrays["sample_weight"] is not None else weight


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
    y_true: Any = None,
    y_pred: Any = None,
    sample_weight: Any = None,
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
    per_class: bool = False,
    ci: float | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    **unknown: Any,
) -> dict[str, Any]:
    """Evaluate predictions and return the report as a dict: what ``losscli eval --format json`` prints.

    ``predictions`` (and ``labels``) is a path, a pandas DataFrame, a pyarrow Table or RecordBatch,
    a pyarrow RecordBatchReader or an iterator of record batches (read batch by batch, as a file),
    or any object with ``__arrow_c_stream__`` (a polars DataFrame); or pass arrays as scikit-learn
    takes them: ``evaluate(y_true=y, y_pred=p)``, ``y_pred`` of shape (n,) or (n, K) (a column per
    class, in the sorted order of the labels), optionally ``sample_weight=w`` — read as a file holding
    the columns ``y_true``, ``y_pred`` (or ``y_pred_<class>``) and ``sample_weight`` would be.
    ``params`` is ``{"focal": {"gamma": 3}}`` or CLI-style strings ``["focal.gamma=3"]``. Errors raise
    :class:`losscli.errors.UsageError` or :class:`losscli.errors.DataError`; their messages name
    keywords (``dropna=True``), not flags. ``plugin`` names files of ``@loss`` functions to register
    (losses decorated in your own code are registered already).
    """
    try:
        source, options = _prepared("evaluate", predictions, labels, unknown, y_true=y_true, y_pred=y_pred,
                                    sample_weight=sample_weight, on=on, delimiter=delimiter, decimal=decimal,
                                    true=true, pred=pred, task=task, positive=positive,
                                    predictions_kind=predictions_kind, weight=weight, loss=loss, params=params,
                                    dropna=dropna, plugin=plugin, worst=worst, group_by=group_by,
                                    per_class=per_class, ci=ci, bootstrap=bootstrap, seed=seed)
        return _evaluate(source, options).report.to_dict()
    except LossCliError as error:  # messages from the modules below name CLI flags
        raise type(error)(keywords_for_flags(str(error))) from None


def _prepared(function: str, predictions: Any, labels: Any, unknown: Mapping[str, Any], *, y_true: Any,
              y_pred: Any, sample_weight: Any, weight: str | None, worst: int, group_by: str | None,
              per_class: bool, **keywords: Any) -> tuple[Any, EvalOptions]:
    """What :func:`evaluate` and :func:`partial` read, and their options, every keyword checked."""
    if unknown:
        name = next(iter(unknown))
        raise UsageError(f"{function}() got an unknown keyword '{name}'"
                         f"{closest(name, [*KEYWORDS.values(), 'y_true', 'y_pred', 'sample_weight'])}")
    _check("weight", weight, (str,), "a string")
    try:
        source, weight = _given(predictions, labels, keywords["pred"], weight,
                                {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight})
    except UsageError as error:
        if str(error).startswith("needs predictions"):
            raise UsageError(f"{function}() {error}") from None
        raise
    _check("group_by", group_by, (str,), "a string")
    _check("worst", worst, (int,), "an integer")
    _check("per_class", per_class, (bool,), "True or False")
    options = _options(labels, weight=weight, source=_any_source, **keywords)
    return source, replace(options, worst=worst, group_by=group_by, per_class=per_class)


def partial(
    batches: Any = None,
    labels: Any = None,
    *,
    shard: str | int | None = None,
    y_true: Any = None,
    y_pred: Any = None,
    sample_weight: Any = None,
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
    per_class: bool = False,
    ci: float | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    **unknown: Any,
) -> State:
    """The mergeable state of some rows: a shard, for :func:`merge`.

    ``batches`` is anything :func:`evaluate` reads (what Spark's ``mapInArrow`` hands over, an
    iterator of record batches; Ray's ``map_batches(batch_format="pyarrow")`` table; Dask's
    ``map_partitions`` DataFrame), and the keywords are :func:`evaluate`'s. The state holds partial
    sums only (no rows): it pickles, so engines ship it between processes (``state.to_json()`` is
    its text, as ``losscli eval --state`` writes). Its id is derived from its rows, so a state given
    twice to :func:`merge` is refused; name the shard (``shard=`` the partition's number) when two
    shards may hold exactly the same rows. Every shard decides its pairs, task, prediction kind and
    classes from its own rows, and :func:`merge` refuses shards read differently: pass ``task=``,
    ``positive=`` or ``predictions_kind=`` when a shard's rows may not show them all.
    """
    try:
        _check("shard", shard, (str, int), "a name or a number")
        source, options = _prepared("partial", batches, labels, unknown, y_true=y_true, y_pred=y_pred,
                                    sample_weight=sample_weight, on=on, delimiter=delimiter, decimal=decimal,
                                    true=true, pred=pred, task=task, positive=positive,
                                    predictions_kind=predictions_kind, weight=weight, loss=loss, params=params,
                                    dropna=dropna, plugin=plugin, worst=worst, group_by=group_by,
                                    per_class=per_class, ci=ci, bootstrap=bootstrap, seed=seed)
        state = _evaluate(source, replace(options, for_merge=True)).state
        if shard is not None:
            state.sources = [str(shard)]
        return state
    except LossCliError as error:  # messages from the modules below name CLI flags
        raise type(error)(keywords_for_flags(str(error))) from None


def merge(states: Iterable[State | str] | None = None, *, plugin: str | Iterable[str] | None = None,
          **unknown: Any) -> dict[str, Any]:
    """The report (what :func:`evaluate` returns) of the states :func:`partial` made on shards,
    merged: the numbers and data hash one :func:`evaluate` over all their rows gives. A state may
    also be given as its JSON text (``state.to_json()``, or a ``losscli eval --state`` file's text).
    States made with different settings or read differently (task, prediction kind, classes,
    positive class), and a state given twice, are refused with a DataError saying why."""
    from .shards import merged_report

    try:
        if unknown:
            name = next(iter(unknown))
            raise UsageError(f"merge() got an unknown keyword '{name}'{closest(name, ['plugin'])}")
        if states is None or isinstance(states, (str, bytes, State)) or not isinstance(states, Iterable):
            raise UsageError(f"merge() needs a list of states (what losscli.partial returns), not "
                             f"{type(states).__name__}")
        from .plugins import load

        load(_names("plugin", plugin))
        report, _ = merged_report((f"state {i}", _state(i, state)) for i, state in enumerate(states, 1))
        return report.to_dict()
    except LossCliError as error:  # messages from the modules below name CLI flags
        raise type(error)(keywords_for_flags(str(error))) from None


def _state(number: int, value: Any) -> State:
    """A state given to :func:`merge`: a :class:`State`, or its JSON text (checked as a file's is)."""
    if isinstance(value, State):
        return value
    if isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        return State.from_json(text, f"state {number}")
    raise UsageError(f"state {number}: expected what losscli.partial returns (or its to_json() text), not "
                     f"{type(value).__name__}")


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


def _options(labels: Any, *, source: Callable[[str, Any], Any] = _source, on: str | None, delimiter: str | None,
             decimal: str | None,
             true: str | Iterable[str] | None, pred: str | Iterable[str] | None, task: str | None,
             positive: str | None, predictions_kind: str | None, weight: str | None,
             loss: str | Iterable[str] | None, params: Mapping[str, Mapping[str, Any]] | Iterable[str] | None,
             dropna: bool, plugin: str | Iterable[str] | None, ci: float | None, bootstrap: int,
             seed: int) -> EvalOptions:
    """The keywords :func:`evaluate` and :func:`compare` share, checked (a wrong type is a usage error
    naming its keyword), plugins loaded, as one :class:`EvalOptions`; ``labels`` read by ``source``."""
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
        labels=None if labels is None else source("labels", labels), on=on, delimiter=delimiter, decimal=decimal,
        true=_names("true", true), pred=_names("pred", pred), task=task, positive=positive,
        predictions=predictions_kind, weight=weight, losses=_names("loss", loss), params=typed_params(_params(params)),
        dropna=dropna, ci=ci, bootstrap=bootstrap, seed=seed,
    )
