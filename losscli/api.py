"""The Python API: ``losscli.evaluate`` takes the CLI's options and returns the JSON report."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .evaluation import EvalOptions, evaluate as _evaluate, parse_param_flags


def _tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def evaluate(
    predictions: Any,
    labels: Any = None,
    *,
    on: str | None = None,
    delimiter: str | None = None,
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
) -> dict[str, Any]:
    """Evaluate predictions (a path or a pandas DataFrame) and return the report as a dict.

    The dict is what ``losscli eval --format json`` prints. ``params`` is ``{"focal": {"gamma": 3}}``
    or CLI-style strings ``["focal.gamma=3"]``. Errors raise :class:`losscli.errors.UsageError` or
    :class:`losscli.errors.DataError`. ``plugin`` names files of ``@loss`` functions to register
    (losses decorated in your own code are registered already).
    """
    from .plugins import load

    load(_tuple(plugin))
    if params is None:
        parsed: dict[str, dict[str, str]] = {}
    elif isinstance(params, Mapping):
        parsed = {name: {k: str(v) for k, v in values.items()} for name, values in params.items()}
    else:
        parsed = parse_param_flags(list(params))
    options = EvalOptions(
        labels=labels, on=on, delimiter=delimiter, true=_tuple(true), pred=_tuple(pred), task=task,
        positive=positive, predictions=predictions_kind, weight=weight, losses=_tuple(loss),
        params=parsed, dropna=dropna, worst=worst, group_by=group_by, ci=ci, bootstrap=bootstrap, seed=seed,
    )
    return _evaluate(predictions, options).report
