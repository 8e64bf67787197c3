"""The options of an evaluation, parsed once at the edge into one typed :class:`EvalOptions`.

The command line, a config file, the Python keywords and a merged state's settings all end here:
loss names are checked against the registry, ``--param LOSS.KEY=VALUE`` values are parsed to the
type of the parameter's default and filed under the loss's canonical name. Nothing past this
module parses a parameter string, so ``focal.gamma=3``, ``focal.gamma=3.0`` and
``focal_loss.gamma=3`` are one setting (``{"focal": {"gamma": 3.0}}``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import losses as _builtin_losses  # noqa: F401  (registers the built-in losses)
from . import registry
from .errors import UsageError, closest

Params = Mapping[str, Mapping[str, Any]]  # canonical loss name -> parameter -> typed value


@dataclass(frozen=True)
class EvalOptions:
    """Every option of ``losscli eval`` that changes what is read or computed."""

    labels: Any = None  # a path or a pandas DataFrame
    on: str | None = None
    delimiter: str | None = None
    decimal: str | None = None  # the decimal mark of a CSV (None: sniffed)
    true: tuple[str, ...] = ()
    pred: tuple[str, ...] = ()
    quantiles: tuple[float, ...] = ()  # --quantiles: the levels of the --pred columns, in their order
    task: str | None = None
    positive: str | None = None
    predictions: str | None = None
    weight: str | None = None
    losses: tuple[str, ...] = ()  # as given (an alias may name a loss of each task); checked to exist
    params: Params = field(default_factory=dict)  # typed, by canonical loss name (see typed_params)
    dropna: bool = False
    also: tuple[str, ...] = ()  # losses gates need, computed even when --loss leaves them out
    ci: float | None = None  # bootstrap confidence level
    bootstrap: int = 1000
    seed: int = 0
    worst: int = 0  # the N rows contributing most to each pair's main loss
    group_by: str | None = None
    per_class: bool = False  # each loss per true class, and the confusion matrix
    per_row: str | None = None  # a CSV file for every row's loss terms
    for_merge: bool = False  # the state will be merged with others (--state): no classic bootstrap

    def __post_init__(self) -> None:
        for name in self.losses + self.also:
            registry.resolve(name)  # unknown names fail before any reading
        if self.ci is not None and not 0 < self.ci < 1:
            raise UsageError(f"--ci {self.ci}: the confidence level is a fraction between 0 and 1, e.g. 0.95")
        if self.bootstrap < 10:
            raise UsageError(f"--bootstrap {self.bootstrap}: use at least 10 resamples (1000 is the default)")
        if self.worst < 0:
            raise UsageError(f"--worst {self.worst}: give a number of rows, e.g. --worst 10")

    def params_of(self, spec: registry.LossSpec) -> dict[str, Any]:
        """The parameters ``spec`` is computed with: its defaults, overridden by the options (an
        optional parameter only when the options set it)."""
        given = self.params.get(spec.name, {})
        for key, value in given.items():
            if not within(spec, key, value):
                refuse_outside(spec, key, value)
        return {key: given.get(key, default) for key, default in spec.params.items()
                if key in given or key not in spec.optional}

    def settings(self) -> dict[str, Any]:
        """The options a state must share with the states it merges with (and that ``merge``
        reports with): JSON values, read back by :func:`from_settings`."""
        return {"ci": self.ci, "bootstrap": self.bootstrap, "seed": self.seed, "worst": self.worst,
                "group_by": self.group_by, "per_class": self.per_class, "weight": self.weight, "dropna": self.dropna,
                "params": {name: dict(values) for name, values in self.params.items()}}


def from_settings(settings: Mapping[str, Any]) -> EvalOptions:
    """The options that finish a merged state the way its runs were made."""
    return EvalOptions(ci=settings.get("ci"), bootstrap=settings.get("bootstrap", 1000), seed=settings.get("seed", 0),
                       worst=settings.get("worst") or 0, group_by=settings.get("group_by"),
                       per_class=bool(settings.get("per_class")),
                       weight=settings.get("weight"), dropna=bool(settings.get("dropna")),
                       params=settings.get("params") or {})


def parse_param_flags(flags: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["focal.gamma=3"]`` -> ``{"focal": {"gamma": "3"}}``: split only, typed by :func:`typed_params`."""
    params: dict[str, dict[str, str]] = {}
    for flag in flags:
        name_key, sep, value = flag.partition("=")
        loss_name, dot, key = name_key.partition(".")
        if not sep or not dot or not loss_name or not key:
            raise UsageError(f"--param {flag}: expected LOSS.KEY=VALUE, e.g. --param focal.gamma=3")
        params.setdefault(loss_name.strip(), {})[key.strip()] = value.strip()
    return params


def typed_params(*layers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Parameters given by name or alias (a config file's, then the flags', later layers winning
    key by key) -> typed values by canonical loss name. An unknown loss, an unknown key or a value
    that does not fit the parameter's default is a usage error."""
    given: dict[str, dict[str, Any]] = {}  # the values that stand, as written: a flag may override a config file's
    for layer in layers:
        for name, values in layer.items():
            for canonical in registry.resolve(name):
                given.setdefault(canonical, {}).update(values)
    typed: dict[str, dict[str, Any]] = {}
    for canonical, values in given.items():
        defaults = {k: v for spec in reversed(registry.specs(canonical)) for k, v in spec.params.items()}
        for key, value in values.items():
            if key not in defaults:
                raise UsageError(f"--param {canonical}.{key}: '{canonical}' has no parameter '{key}'"
                                 f"{closest(key, defaults)}; its parameters: {', '.join(defaults) or 'none'}")
            typed.setdefault(canonical, {})[key] = _typed(canonical, key, value, defaults[key])
    for canonical, values in typed.items():
        for key, value in values.items():
            ranged = [spec for spec in registry.specs(canonical) if key in spec.ranges]
            outside = [spec for spec in ranged if not within(spec, key, value)]
            if outside and len(outside) == len(ranged):  # (else: refused where a pair of that task uses it)
                refuse_outside(outside[0], key, value)
    return typed


def within(spec: registry.LossSpec, key: str, value: Any) -> bool:
    """Whether ``value`` is one the parameter may take (:class:`~losscli.registry.Within`): a huber
    delta of −1 gave a negative loss, and a pinball alpha of 1.5 a number that is no loss."""
    allowed = spec.ranges.get(key)
    return allowed is None or not isinstance(value, (int, float)) or isinstance(value, bool) or value in allowed


def refuse_outside(spec: registry.LossSpec, key: str, value: Any) -> None:
    """The usage error of a parameter value outside ``spec``'s range (which tasks', when they differ)."""
    ranges = {str(other.ranges.get(key)) for other in registry.specs(spec.name)}
    tasks = "" if len(ranges) == 1 else f" for {' and '.join(sorted(spec.tasks))} pairs"
    raise UsageError(f"--param {spec.name}.{key}={value:g}: must be {spec.ranges[key]}{tasks}")


def _typed(loss_name: str, key: str, value: Any, default: Any) -> Any:
    """``value`` (a flag's text, or a config file's or keyword's value) as the type of ``default``."""
    text = str(value).strip()
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if text.lower() in ("1", "true", "yes"):
            return True
        if text.lower() in ("0", "false", "no"):
            return False
    elif isinstance(default, (int, float)) or default is None:
        if default is None and text.lower() in ("none", "auto"):
            return None
        try:
            number = float(text) if not isinstance(value, bool) else math.nan
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return int(number) if isinstance(default, int) and number.is_integer() else number
    elif isinstance(default, str):
        if isinstance(value, Mapping):
            return _mapping(value)
        return _mapping(_parse_mapping(loss_name, key, text)) if text.startswith("{") else text
    kind = "true/false" if isinstance(default, bool) else "a number"
    raise UsageError(f"--param {loss_name}.{key}={text}: expected {kind}")


_ENTRY = re.compile(r"""\s*(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>[^']*)'|(?P<bare>[^"',:={}]+?))\s*[:=]\s*"""
                    r"""(?:"(?P<vdq>(?:[^"\\]|\\.)*)"|'(?P<vsq>[^']*)'|(?P<value>[^"',{}]*?))\s*(?:,|$)""")


def _parse_mapping(loss_name: str, key: str, text: str) -> dict[str, Any]:
    """A flag's ``{cat: 2, dog: 1}`` (or ``{cat = 2}``, JSON, names quoted when they hold , : = or
    braces) -> ``{"cat": "2", "dog": "1"}``."""
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [name for name, _ in pairs]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise UsageError(f"--param {loss_name}.{key}={text}: {', '.join(map(repr, twice))} given twice; "
                             "give each class once")
        return dict(pairs)

    try:
        parsed = json.loads(text, object_pairs_hook=unique)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    inner = text[1:-1].strip() if text.endswith("}") else None
    entries: list[tuple[str, Any]] = []
    position = 0
    while inner is not None and position < len(inner):
        found = _ENTRY.match(inner, position)
        if found is None or found.end() == position:
            inner = None
            break
        name = found["bare"] if found["bare"] is not None else found["sq"] if found["sq"] is not None \
            else json.loads(f'"{found["dq"]}"')
        value = found["value"] if found["value"] is not None else found["vsq"] if found["vsq"] is not None \
            else json.loads(f'"{found["vdq"]}"')
        entries.append((name.strip(), value))
        position = found.end()
    if inner is None:
        raise UsageError(f"--param {loss_name}.{key}={text}: expected a mapping such as {{cat: 2, dog: 1}} "
                         "(quote a name that holds , : = or braces)")
    return unique(entries)


def _mapping(values: Mapping[Any, Any]) -> dict[str, Any]:
    """A mapping parameter (class name -> weight): names as text (1.0 -> "1", as labels are shown),
    numbers as floats; anything else is kept as given, for the check that knows the classes."""
    from .classes import label_text

    typed: dict[str, Any] = {}
    for name, value in values.items():
        number: Any = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = value.strip()
        elif isinstance(value, int) and not isinstance(value, bool):
            number = float(value)
        typed[label_text(name)] = number
    return typed
