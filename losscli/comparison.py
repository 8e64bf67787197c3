"""``compare BASE NEW``: the same losses for two models on the same rows, and the paired bootstrap
of each difference (NEW − BASE) with its interval and p-value.

Both files are read and paired as ``eval`` does; NEW's rows are put in BASE's order (by id, or row
by row) and both must hold the same labels (and weights). One :class:`~losscli.bootstrap.Resampler`
serves both models, so every resample evaluates the two on the same rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from . import registry
from .bootstrap import Resampler, holm, p_value
from .errors import DataError, UsageError, closest
from .evaluation import targets_of
from .inference import Target
from .joins import align, load
from .options import EvalOptions
from .results import Report, Result
from .selection import selected_losses
from .signature import fingerprint, signature
from .sums import GroupSums, Skip


def compare(base: Any, news: list[Any], options: EvalOptions) -> tuple[Report, list[str], list[str]]:
    """The comparison report of each NEW against BASE (``results[i].losses`` are NEW's, ``base``
    BASE's), notes, and the ``--explain`` lines (how BASE's pairs were read). With several NEW files,
    each result names its file as ``model`` (its pair ``PAIR/FILE``) and the p-values are also
    adjusted over the files compared (Holm)."""
    base_frame = load(base, options.labels, options.on, options.delimiter, options.decimal)
    base_targets, notes = targets_of(base_frame, options)
    level = options.ci if options.ci is not None else 0.95
    results: list[Result] = []
    by_pair: dict[str, list[Result]] = {}  # BASE's pair -> its comparisons, one per NEW
    rows = sum(fingerprint(t.inputs) for t in base_targets)
    sources = []
    for new in news:
        new_frame = align(base_frame, load(new, options.labels, options.on, options.delimiter, options.decimal),
                          options.on)
        sources.append(new_frame.source)
        new_targets, new_notes = targets_of(new_frame, options)
        notes += new_notes
        rows += sum(fingerprint(t.inputs) for t in new_targets)
        for result in _compared(base_targets, new_targets, base_frame.source, new_frame.source, options, level, notes):
            by_pair.setdefault(result.pair, []).append(result)
            if len(news) > 1:  # each file a model of its own: PAIR/FILE
                result.pair, result.model = f"{result.pair}/{new_frame.source}", new_frame.source
            results.append(result)
    if not results:
        raise UsageError(f"{base_frame.source} and {', '.join(sources)} have no pair in common; name the columns "
                         "alike, or pass --true/--pred")
    if len(news) > 1:
        for compared in by_pair.values():
            _adjust(compared)
    method = "paired percentile bootstrap of NEW − BASE" + \
        ("; p-values adjusted for the files compared (Holm)" if len(news) > 1 else "")
    report = Report(signature(results, replace(options, ci=level), rows, compare=True),
                    {"base": base_frame.source, "new": sources[0] if len(sources) == 1 else sources,
                     "labels": base_frame.labels_source, "rows": base_frame.n_rows}, results,
                    {"ci": level, "resamples": options.bootstrap, "seed": options.seed, "method": method})
    explain = [f"pair '{t.pair.name}': {t.pair.how}; " + "; ".join(t.evidence) for t in base_targets]
    return report, notes, explain


def _compared(base_targets: list[Target], new_targets: list[Target], base_source: str, new_source: str,
              options: EvalOptions, level: float, notes: list[str]) -> list[Result]:
    """Every pair of BASE that NEW has too, compared; the pairs of either file the other lacks noted."""
    by_name = {t.pair.name: t for t in new_targets}
    results = []
    for target in base_targets:
        other = by_name.pop(target.pair.name, None)
        if other is None:
            notes.append(f"pair '{target.pair.name}' of {base_source} is not in {new_source}; not compared")
            continue
        _check_same_rows(target, other, base_source, new_source)
        resampler = Resampler.make(target.inputs.n, options.bootstrap, options.seed, level)
        results.append(_result(target, other, options, resampler))
    notes += [f"pair '{name}' of {new_source} is not in {base_source}; not compared" for name in by_name]
    return results


def compare_models(predictions: Any, baseline: str, options: EvalOptions) -> tuple[Report, list[str], list[str]]:
    """``compare FILE --baseline-model NAME``: every other model of each target in one file against
    the baseline model, on the same rows, with the paired bootstrap of each difference (NEW − BASE);
    with more than one other model, the p-values adjusted for the multiple comparisons (Holm)."""
    frame = load(predictions, options.labels, options.on, options.delimiter, options.decimal)
    targets, notes = targets_of(frame, options)
    by_target: dict[tuple[str, ...], list[Target]] = {}
    for target in targets:
        by_target.setdefault(tuple(target.pair.true), []).append(target)
    models = sorted({t.pair.model for t in targets if t.pair.model is not None})
    if baseline not in models:
        named = ", ".join(models) or "none (one prediction per label)"
        raise UsageError(f"--baseline-model {baseline}: {frame.source} has no such model"
                         f"{closest(baseline, models)}; its models: {named}")
    level = options.ci if options.ci is not None else 0.95
    results: list[Result] = []
    for group in by_target.values():
        base = next((t for t in group if t.pair.model == baseline), None)
        if base is None:
            notes.append(f"pair(s) {', '.join(t.pair.name for t in group)}: no model {baseline}; not compared")
            continue
        compared = []
        resampler = Resampler.make(base.inputs.n, options.bootstrap, options.seed, level)  # the same for each model
        for other in (t for t in group if t is not base):
            _check_same_rows(base, other, f"model {baseline}", f"model {other.pair.model}")
            result = _result(base, other, options, resampler)
            result.pair, result.pred, result.model = other.pair.name, other.pair.pred, other.pair.model
            compared.append(result)
        if len(compared) > 1:
            _adjust(compared)
        results += compared
    if not results:
        raise UsageError(f"--baseline-model {baseline}: no other model predicts the same label in {frame.source}")
    report = Report(signature(results, replace(options, ci=level), sum(fingerprint(t.inputs) for t in targets),
                              compare=True),
                    {"predictions": frame.source, "labels": frame.labels_source, "rows": frame.n_rows,
                     "baseline_model": baseline}, results,
                    {"ci": level, "resamples": options.bootstrap, "seed": options.seed,
                     "method": "paired percentile bootstrap of NEW − BASE"
                               + ("; p-values adjusted for the models compared (Holm)" if len(results) > 1 else "")})
    explain = [f"pair '{t.pair.name}': {t.pair.how}; " + "; ".join(t.evidence) for t in targets]
    return report, notes, explain


def _adjust(compared: list[Result]) -> None:
    """Each loss's p-values over the models compared with one baseline, adjusted by Holm's method."""
    for result in compared:
        result.p_holm = {}
    names = {name for result in compared for name in (result.p_value or {})}
    for name in names:
        having = [r for r in compared if r.p_value is not None and name in r.p_value]
        for result, adjusted in zip(having, holm([r.p_value[name] for r in having if r.p_value is not None])):
            if result.p_holm is not None:
                result.p_holm[name] = adjusted


def _check_same_rows(base: Target, new: Target, base_source: str, new_source: str) -> None:
    name = base.pair.name
    if base.task != new.task:
        raise DataError(f"pair '{name}' is {base.task} in {base_source} but {new.task} in {new_source}; "
                        "compare needs the same task (use --task)")
    if base.task == "binary" and base.classes == new.classes and base.positive != new.positive:
        raise DataError(f"pair '{name}': the predictions score the class {base.positive} in {base_source} "
                        f"('{base.pair.pred[0]}') but {new.positive} in {new_source} ('{new.pair.pred[0]}'); compare "
                        "needs both models' probabilities of the same class (save one as 1 − p, named like the other)")
    if not np.array_equal(base.rows, np.asarray(new.rows)):
        raise DataError(f"pair '{name}': {base_source} and {new_source} have empty cells in different rows; "
                        "compare needs the same rows (fill them, or drop them from both files)")
    for what, a, b in (("labels", base.inputs.y, new.inputs.y), ("weights", base.inputs.w, new.inputs.w)):
        if (a is None) != (b is None) or (a is not None and b is not None and not np.array_equal(a, b)):
            differ = (np.flatnonzero((a != b).reshape(len(a), -1).any(axis=1))
                      if a is not None and b is not None else [0])
            row = int(base.rows[differ[0]]) if len(differ) else 1
            raise DataError(f"pair '{name}': {base_source} and {new_source} disagree on the {what} (first at row "
                            f"{row}); compare needs both models scored on the same rows")


def _result(base: Target, new: Target, options: EvalOptions, resampler: Resampler) -> Result:
    chosen, skipped = selected_losses(base, options.losses, options.also)
    n = base.inputs.n
    before: dict[str, float | None] = {}
    after: dict[str, float | None] = {}
    diff: dict[str, float] = {}
    intervals: dict[str, list[float] | None] = {}
    p_values: dict[str, float] = {}
    params: dict[str, dict[str, Any]] = {}
    for name in chosen:
        spec = registry.spec_for(name, base.task)
        values = options.params_of(spec)
        if values:
            params[name] = values
        found = [registry.accumulate_groups(spec, t.inputs, values, resampler.codes, resampler.groups)
                 for t in (base, new)]
        sums = [s for s in found if isinstance(s, GroupSums)]
        if len(sums) < 2:
            reasons = [f"{which}: {s}" for which, s in zip(("base", "new"), found) if isinstance(s, Skip)]
            skipped[name] = str(found[0]) if found[0] == found[1] else "; ".join(reasons)
            continue
        old, now = (spec.value(s.total(n)) for s in sums)
        if old is None or now is None:
            skipped[name] = "the weights of every row are 0; there is nothing to average"
            continue
        before[name], after[name], diff[name] = old, now, now - old
        resampled = [registry.group_values(spec, s.combine(resampler.counts)) for s in sums]
        differences = resampled[1] - resampled[0]
        intervals[name] = resampler.interval(differences)
        p_values[name] = p_value(differences[np.isfinite(differences)])
    result = Result(pair=base.pair.name, true=base.pair.true, pred=base.pair.pred, task=base.task,
                    predictions=new.kind, n=n, losses=after, weight=base.weight, params=params, ci=intervals,
                    skipped=skipped, classes=base.classes, positive=base.positive, dropped=base.dropped,
                    base=before, diff=diff, p_value=p_values)
    result.agreement, result.worst = _row_by_row(base, new, next(iter(before), None), options)
    return result


def _row_by_row(base: Target, new: Target, main: str | None,
                options: EvalOptions) -> tuple[dict[str, Any] | None, list[dict[str, Any]] | None]:
    """NEW against BASE row by row on the ``main`` loss (its terms computed once): ``agreement``, how
    many rows it made better, worse or left the same, and for classification how many predicted
    classes it fixed and broke (``zero_one``); with ``--worst N``, ``worst``, the N rows whose main
    loss changed most, either way, the largest change first (ties by row)."""
    if main is None:
        return None, [] if options.worst else None
    spec = registry.spec_for(main, base.task)
    old, now = (registry.terms(spec, t.inputs, options.params_of(spec)) for t in (base, new))
    agreement: dict[str, Any] = {"loss": main, "better": int((now < old).sum()), "worse": int((now > old).sum()),
                                 "same": int((now == old).sum())}
    hard = registry.lookup("zero_one", base.task)
    if hard is not None and all(registry.skip_reason(hard, t.inputs, options.params_of(hard)) is None
                                for t in (base, new)):
        wrong_before, wrong_after = (registry.terms(hard, t.inputs, options.params_of(hard)) > 0 for t in (base, new))
        agreement.update(fixed=int((wrong_before & ~wrong_after).sum()),
                         broken=int((~wrong_before & wrong_after).sum()))
    if not options.worst:
        return agreement, None
    change = now - old
    order = np.lexsort((base.rows, -np.abs(change)))[: options.worst]
    worst = [{"row": int(base.rows[i]), "base": float(old[i]), "new": float(now[i]), "change": float(change[i])}
             for i in order]
    return agreement, worst
