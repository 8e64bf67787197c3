"""Gates: thresholds (``--max``), baselines (``--baseline``) and increases (``compare``) -> verdicts.

A gate never raises on a bad model: it adds a :class:`~losscli.results.Gate` verdict to the report's
``gates`` and the CLI exits 1 when any verdict failed. A gate that names an unknown
pair or a loss no pair has is a usage error; a broken baseline file is a data error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import registry
from .errors import DataError, UsageError, closest
from .results import Gate, Report, Result


@dataclass(frozen=True)
class Threshold:
    """``[SCOPE:][PAIR:]LOSS <= max`` (``--max``; ``--warn`` reports without failing), or
    ``[PAIR:]LOSS`` may rise by at most ``limit`` (compare). ``scope`` is (COLUMN, VALUE): the
    ``--group-by`` column's group VALUE, or ``class`` for a true class (``--per-class``); VALUE ``*``
    is every group or class, judged by the worst."""

    pair: str | None
    loss: str
    value: float
    relative: bool = False  # value is a fraction of the baseline (from "PCT%")
    source: str = "--max"
    scope: tuple[str, str] | None = None
    level: str = "fail"  # "warn": a failed verdict is a warning, not exit 1

    @property
    def key(self) -> tuple[str | None, str, tuple[str, str] | None, str]:
        return self.pair, registry.resolve(self.loss)[0], self.scope, self.level

    @property
    def shown(self) -> str:
        amount = f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"
        scope = f"{self.scope[0]}={self.scope[1]}:" if self.scope else ""
        return f"{scope}{self.pair + ':' if self.pair else ''}{self.loss}={amount}"


def parse_amount(text: str, what: str, allow_percent: bool) -> tuple[float, bool]:
    """``"0.2"`` -> (0.2, False); ``"2%"`` -> (0.02, True)."""
    text = str(text).strip()
    relative = text.endswith("%")
    try:
        value = float(text[:-1] if relative else text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (relative and not allow_percent):
        kind = "a number or a percentage (e.g. 0.01 or 2%)" if allow_percent else "a number"
        raise UsageError(f"{what}: '{text}' is not {kind}")
    return (value / 100 if relative else value), relative


def parse_threshold(text: str, flag: str = "--max", allow_percent: bool = False,
                    source: str | None = None) -> Threshold:
    """``[SCOPE:][PAIR:]LOSS=VALUE`` (VALUE may be ``PCT%`` where ``allow_percent``); SCOPE is
    ``COLUMN=VALUE`` or ``COLUMN=*`` (a group of ``--group-by COLUMN``, or ``class=`` a true class)."""
    name, sep, amount = text.rpartition("=")
    if not sep or not name:
        raise UsageError(f"{flag} {text}: expected [PAIR:]LOSS=VALUE, e.g. {flag} binary_crossentropy=0.2")
    scope = None
    head, colon, rest = name.partition(":")
    if colon and "=" in head:  # SCOPE: first (a group value holding ':' is reached through '*' only)
        column, _, group = head.partition("=")
        if not column.strip() or not group.strip():
            raise UsageError(f"{flag} {text}: expected COLUMN=VALUE:LOSS=MAX, e.g. {flag} 'site=*:log_loss=0.3'")
        if flag not in ("--max", "--warn", "gates", "warn"):
            raise UsageError(f"{flag} {text}: {flag} judges the overall results; groups and classes are "
                             "judged by --max and --warn")
        scope, name = (column.strip(), group.strip()), rest
    pair, _, loss = name.rpartition(":")
    registry.resolve(loss.strip())  # an unknown loss is a usage error, with a suggestion
    value, relative = parse_amount(amount, f"{flag} {text}", allow_percent)
    return Threshold(pair.strip() or None, loss.strip(), value, relative, source or flag, scope,
                     "warn" if flag in ("--warn", "warn") else "fail")


def merge(file_gates: Iterable[Threshold], flag_gates: Iterable[Threshold]) -> list[Threshold]:
    """Flags override the config file's gate for the same pair and loss."""
    merged = {g.key: g for g in file_gates}
    merged.update({g.key: g for g in flag_gates})
    return list(merged.values())


def _matching(report: Report, gate: Threshold, flag: str) -> list[tuple[Result, str]]:
    """(result, canonical loss) for every overall result the gate applies to; a usage error if none."""
    results = report.overall()
    pairs = [r.pair for r in results]
    if gate.pair is not None and gate.pair not in pairs:
        raise UsageError(f"{flag} {gate.shown}: no pair '{gate.pair}'{closest(gate.pair, pairs)}; "
                         f"pairs: {', '.join(dict.fromkeys(pairs))}")
    found = []
    for result in results:
        if gate.pair is not None and result.pair != gate.pair:
            continue
        canonical = registry.resolve_for_task(gate.loss, result.task)
        if canonical is not None:
            found.append((result, canonical))
    if not found:
        tasks = ", ".join(sorted({r.task for r in results if gate.pair in (None, r.pair)}))
        raise UsageError(f"{flag} {gate.shown} ({gate.source}): '{gate.loss}' applies to no pair here "
                         f"(tasks: {tasks}); `losscli list` shows which losses each task has")
    return found


def check_max(report: Report, gates: Iterable[Threshold]) -> list[Gate]:
    """One verdict per gate and matching pair: passed when the loss is at most ``max`` (for a
    scope, that group's or class's value; for ``*``, every one's: judged by the worst)."""
    verdicts = []
    for gate in gates:
        named = gate.source if gate.source.startswith("--") else f"config {gate.source}: gate"  # (a config file's)
        for result, loss in _matching(report, gate, named):
            if gate.scope is not None:
                verdicts.append(_scoped(report, result, loss, gate))
                continue
            value = result.losses.get(loss)
            verdicts.append(Gate(result.pair, loss, gate.value, value, value is not None and value <= gate.value,
                                 gate.source, reason=None if value is not None else
                                 result.skipped.get(loss, "not computed"), level=gate.level))
    return verdicts


def _scoped(report: Report, result: Result, loss: str, gate: Threshold) -> Gate:
    """The verdict of a gate on a group or class of ``result`` (``*``: the worst of them, with how
    many are above the max; those without a value, none of their rows weighted, are left out)."""
    assert gate.scope is not None
    column, wanted = gate.scope
    names, values = _scope_values(report, result, loss, gate)
    verdict = Gate(result.pair, loss, gate.value, None, False, gate.source, level=gate.level,
                   scope=f"{column}={wanted}")
    if wanted != "*":
        if wanted not in names:
            raise UsageError(f"{gate.source} {gate.shown}: no {column} '{wanted}' in pair '{result.pair}'"
                             f"{closest(wanted, names)}; {column}=* judges every one")
        names, values = [wanted], [values[names.index(wanted)]]
    judged = [(value, name) for name, value in zip(names, values) if value is not None]
    if not judged:
        verdict.reason = result.skipped.get(loss, f"no {column} has a value of {loss}")
        return verdict
    verdict.value, verdict.group = max(judged, key=lambda found: found[0])
    verdict.failing = sum(value > gate.value for value, _ in judged)
    verdict.of = len(judged)
    verdict.passed = verdict.failing == 0
    return verdict


def _scope_values(report: Report, result: Result, loss: str, gate: Threshold) -> tuple[list[str], list[float | None]]:
    """The names of ``result``'s groups (or classes) and their values of ``loss``."""
    assert gate.scope is not None
    column = gate.scope[0]
    by = report.input.get("group_by")
    if column == by:
        groups = report.groups_of(result)
        return groups.names, groups.losses.get(loss, [None] * len(groups))
    if column == "class":
        if result.per_class is None:
            why = f"its task is {result.task}; per-class results are of binary, sparse and multiclass pairs" \
                if result.task not in ("binary", "sparse", "multiclass") else \
                "hard class predictions have none" if result.predictions == "class" else \
                "it was evaluated without --per-class (a state must be saved with it)"
            raise UsageError(f"{gate.source} {gate.shown}: pair '{result.pair}' has no per-class results ({why})")
        return [str(row["class"]) for row in result.per_class], [row["losses"].get(loss) for row in result.per_class]
    hint = f"--group-by {column}" + (f" (not {by})" if by else "")
    raise UsageError(f"{gate.source} {gate.shown}: judges the groups of {column}; add {hint}, "
                     "or class=… for the true classes")


def check_increase(report: Report, gates: Iterable[Threshold], significant: bool) -> list[Gate]:
    """``--max-increase`` (compare): NEW − BASE at most VALUE (or PCT% of BASE). With ``significant``,
    a gate fails only when the whole interval of the increase lies above the allowed value."""
    verdicts = []
    for gate in gates:
        for result, loss in _matching(report, gate, "--max-increase"):
            before, increase = (result.base or {}).get(loss), (result.diff or {}).get(loss)
            verdict = Gate(result.pair, loss, None, increase, False, "--max-increase", base=before,
                           new=result.losses.get(loss), interval=result.ci.get(loss), significant=significant)
            if increase is None or before is None:
                verdict.reason = result.skipped.get(loss, "not computed")
            else:
                verdict.max = gate.value * abs(before) if gate.relative else gate.value
                judged = verdict.interval[0] if significant and verdict.interval else increase
                verdict.passed = judged <= verdict.max
            verdicts.append(verdict)
    return verdicts


def check_equivalence(report: Report, gates: Iterable[Threshold]) -> list[Gate]:
    """``--equivalent`` (compare): passes only when the whole interval of NEW − BASE lies within
    ±VALUE (or ±PCT% of BASE): no worse and no better, for upgrades that must not change behaviour."""
    verdicts = []
    for gate in gates:
        for result, loss in _matching(report, gate, "--equivalent"):
            before, difference = (result.base or {}).get(loss), (result.diff or {}).get(loss)
            verdict = Gate(result.pair, loss, None, difference, False, "--equivalent", base=before,
                           new=result.losses.get(loss), interval=result.ci.get(loss))
            if difference is None or before is None or verdict.interval is None:
                verdict.reason = result.skipped.get(loss, "no interval of the difference")
            else:
                verdict.max = gate.value * abs(before) if gate.relative else gate.value
                low, high = verdict.interval
                verdict.passed = -verdict.max <= low and high <= verdict.max
            verdicts.append(verdict)
    return verdicts


# --------------------------------------------------------------------------------------------
# Baselines


def load_baseline(path: str) -> Report:
    """A report saved with ``--format json --output FILE``; anything else is a data error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"baseline {path}: no such file; save one with --format json --output {path}") from None
    except OSError as error:
        raise DataError(f"baseline {path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise DataError(f"baseline {path}: not a losscli report (not UTF-8 text)") from None
    except ValueError:  # (a NUL byte in the name, from a config file)
        raise DataError(f"baseline {path!r}: not a file name") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"baseline {path}: not valid JSON (line {error.lineno}, column {error.colno}: "
                        f"{error.msg}); save it again with --format json --output {path}") from None
    except RecursionError:
        raise DataError(f"baseline {path}: not a losscli report (JSON nested too deep)") from None
    except ValueError as error:  # (an integer of more digits than Python converts)
        raise DataError(f"baseline {path}: not a losscli report ({error})") from None
    results = report.get("results") if isinstance(report, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) and isinstance(r.get("losses"), dict)
                                                and "pair" in r and "task" in r and _numbers(r["losses"])
                                                for r in results):
        raise DataError(f"baseline {path}: not a losscli report (no results with pair, task and losses); "
                        f"save one with `losscli eval … --format json --output {path}`")
    try:
        read = [Result.from_dict(r) for r in results]
    except (TypeError, ValueError, OverflowError) as error:
        raise DataError(f"baseline {path}: not a losscli report ({error})") from None
    for result in read:
        if not isinstance(result.signature, (str, type(None))) or not all(
                isinstance(values, dict) for values in result.params.values()):
            raise DataError(f"baseline {path}: not a losscli report (pair '{result.pair}': its signature or "
                            "parameters are not what a report writes)")
    return Report(str(report.get("signature") or ""), {}, read)


def _numbers(losses: dict[str, Any]) -> bool:
    """Every loss of a baseline result is a finite number or null (a loss with no value)."""
    def finite(value: Any) -> bool:
        try:
            return math.isfinite(value)
        except OverflowError:  # (an integer beyond float64's range)
            return False
    return all(value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and finite(value))
               for value in losses.values())


def _signature_parts(signature: str | None) -> dict[str, str]:
    parts = {}
    for part in (signature or "").split("|"):
        key, _, value = part.partition(":")
        parts[key] = value
    return parts


def _differences(old: Result, new: Result) -> list[str]:
    """What differs between two results' signatures, in words."""
    a, b = _signature_parts(old.signature), _signature_parts(new.signature)
    words = {"losscli": "losscli version", "pred": "prediction kind", "eps": "eps", "w": "weights",
             "n": "row count", "data": "data", "params": "parameters"}
    unset = {"params": "the defaults"}  # (a signature names only parameters that are not)
    said = [f"{words[k]} {a.get(k) or unset.get(k, 'none')} → {b.get(k) or unset.get(k, 'none')}" for k in words
            if a.get(k) != b.get(k)]
    if old.positive is not None and new.positive is not None and old.positive != new.positive:
        said.append(f"positive class {old.positive} → {new.positive}")
    return said


def _parameters(values: dict[str, Any] | None) -> str:
    """A loss's parameters in words: ``delta=5.0``, ``none``."""
    return ", ".join(f"{key}={value}" for key, value in values.items()) if values else "none"


def check_baseline(report: Report, baseline: Report, path: str, tolerance: str | None,
                   losses: Iterable[str] = ()) -> tuple[list[Gate], list[str]]:
    """Gates that fail when a loss rose past ``tolerance`` (absolute, or ``PCT%`` of the baseline).

    Returns the verdicts and notes explaining what was not compared or differs (version, data, task).
    """
    amount, relative = parse_amount(tolerance or "0", f"--tolerance {tolerance}", allow_percent=True)
    if amount < 0:
        raise UsageError(f"--tolerance {tolerance}: must not be negative")
    wanted = {registry.resolve(name)[0] for name in losses}
    old_by_pair = {r.pair: r for r in baseline.overall()}
    verdicts: list[Gate] = []
    notes: list[str] = []
    for result in report.overall():
        old = old_by_pair.get(result.pair)
        if old is None:
            notes.append(f"baseline {path} has no pair '{result.pair}'; it is not compared")
            continue
        if old.task != result.task:
            verdicts.append(Gate(result.pair, None, None, None, False, "baseline",
                                 reason=f"the task changed from {old.task} to {result.task}; the baseline cannot "
                                        "be compared"))
            continue
        changed = _differences(old, result)
        if changed:
            notes.append(f"pair '{result.pair}' differs from baseline {path}: {'; '.join(changed)}")
        for loss, value in result.losses.items():
            before = old.losses.get(loss)
            if before is None or value is None or (wanted and loss not in wanted):
                continue
            if old.params and old.params.get(loss) != result.params.get(loss):  # (a baseline saved with params)
                verdicts.append(Gate(result.pair, loss, None, value, False, "baseline", baseline=before, reason=(
                    f"its parameters changed from {_parameters(old.params.get(loss))} to "
                    f"{_parameters(result.params.get(loss))}; the baseline cannot be compared: save a new one")))
                continue
            allowed = before + (abs(before) * amount if relative else amount)
            verdicts.append(Gate(result.pair, loss, allowed, value, value <= allowed, "baseline", baseline=before,
                                 tolerance=tolerance or "0"))
    for pair in old_by_pair.keys() - {r.pair for r in report.overall()}:
        notes.append(f"baseline {path} has pair '{pair}', which this report does not")
    return verdicts, notes


def describe(gate: Gate) -> str:
    """``y binary_crossentropy = 0.31 > max 0.2 (--max)`` — one failed (or passed) gate in words."""
    if gate.loss is None or gate.value is None or gate.max is None:
        return f"{gate.pair} {gate.loss or ''}: {gate.reason or 'not computed'} ({gate.source})".replace("  ", " ")
    relation = "≤" if gate.passed else ">"
    if gate.scope is not None:
        where = f"{gate.scope.split('=')[0]}={gate.group}"
        many = f", the worst of {gate.of}; {gate.failing} above the max" if gate.scope.endswith("=*") else ""
        level = "; a warning, not a failure" if gate.level == "warn" and not gate.passed else ""
        return (f"{gate.pair} {gate.loss} of {where} = {gate.value:.6g} {relation} max {gate.max:.6g} "
                f"({gate.source}{many}{level})")
    if gate.source == "--equivalent" and gate.interval is not None:
        low, high = gate.interval
        verdict = "equivalent" if gate.passed else "not shown equivalent"
        return (f"{gate.pair} {gate.loss} changed by {gate.value:+.6g} ({gate.base:.6g} → {gate.new:.6g}); "
                f"interval [{low:.6g}, {high:.6g}] {'within' if gate.passed else 'not within'} "
                f"±{gate.max:.6g}: {verdict} ({gate.source})")
    if gate.source == "--max-increase":
        extra = f"; interval [{gate.interval[0]:.6g}, {gate.interval[1]:.6g}]" if gate.interval else ""
        extra += ", judged on its lower end (--significant)" if gate.significant else ""
        return (f"{gate.pair} {gate.loss} rose by {gate.value:+.6g} ({gate.base:.6g} → {gate.new:.6g}) {relation} "
                f"max increase {gate.max:.6g} ({gate.source}{extra})")
    extra = f", baseline {gate.baseline:.6g} + tolerance {gate.tolerance}" if gate.baseline is not None else ""
    extra += "; a warning, not a failure" if gate.level == "warn" and not gate.passed else ""
    return f"{gate.pair} {gate.loss} = {gate.value:.6g} {relation} max {gate.max:.6g} ({gate.source}{extra})"


def apply(report: Report, thresholds: Iterable[Threshold], baseline: str | None = None,
          tolerance: str | None = None, losses: Iterable[str] = ()) -> list[str]:
    """Add the verdicts of ``thresholds`` (and of ``baseline``) to ``report.gates``; return notes for
    standard error."""
    report.gates += check_max(report, thresholds)
    if baseline is None:
        return []
    verdicts, notes = check_baseline(report, load_baseline(baseline), baseline, tolerance, losses)
    report.gates += verdicts
    return notes
