"""``compare``: the same losses for several models on the same rows, and the paired bootstrap of
each difference (NEW − BASE) with its interval and p-value.

The models come from files (``compare BASE NEW [NEW...]``: the pairs of each NEW matched to BASE's
by name) or from one file (``compare FILE --baseline-model NAME``: each target's other models
against NAME). Files whose rows are in the same order are read in step, chunk by chunk
(:mod:`losscli.lockstep`), so memory is bounded by a chunk of each; otherwise (ids in different
orders, ``--labels``, standard input) they are read whole, NEW's rows put in BASE's order by id
or row by row (:func:`~losscli.joins.align`), and a note says how much memory they held (``--explain``;
a warning too when they were read whole for their order, or hold 64 MB or more).

Each model's losses are summed per bootstrap group, as ``eval --ci`` sums them (see
:mod:`losscli.bootstrap`): the two models of a comparison share the groups and the resample
multiplicities, so every resample evaluates both on the same rows. Row by row, their per-row terms
give the agreement (rows better, worse, the same; predicted classes fixed and broken) and the
``--worst`` rows, chunk by chunk.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import registry, row_counts
from .bootstrap import GROUPS, holm, interval, p_value, resample_counts, row_groups
from .classes import Hold
from .errors import DataError, UsageError, closest
from .evaluation import (
    add_loss,
    finished,
    first_hold,
    frames,
    holding,
    read_like,
    targets_of,
    tell_held,
)
from .frame import Frame
from .inference import Target
from .joins import align, load
from .lockstep import NotInStep, can_step, in_step
from .losses.binary import with_class_weights
from .options import EvalOptions
from .results import Report, Result
from .row_counts import RowCount, added
from .selection import selected_losses
from .signature import fingerprint, signature
from .state import MASK64, Kept, LossState

NOTED_MEGABYTES = 64  # files read whole for --labels or standard input are worth a warning from this size


@dataclass
class Model:
    """One model's predictions of one pair: read from the ``frame``-th frame of each step with the
    decisions of its ``first`` chunk, its losses summed per bootstrap group; ``target`` and ``terms``
    (per-row, by loss) are the current step's."""

    first: Target
    frame: int
    losses: dict[str, LossState]
    boot_groups: int  # n for the classic bootstrap (each row its own group), else GROUPS
    classic: bool
    rows: int = 0
    dropped: int = 0
    crossed: RowCount | None = None  # quantile predictions that cross (see losscli.row_counts)
    off_sum: RowCount | None = None  # K-class probability rows that do not sum to 1
    fingerprint: int = 0
    source: str = ""  # the file it is read from
    target: Target | None = None
    terms: dict[str, np.ndarray] = field(default_factory=dict)
    held: Hold | None = None  # what the first chunk decided that the later ones are held to

    def read(self, step: list[Frame], first_step: bool, options: EvalOptions) -> Target:
        self.source = step[self.frame].source
        if first_step:
            self.target = self.first
        else:
            f = self.first
            self.target = read_like(step[self.frame], f.pair, f.task, f.kind, f.positive, f.classes, options)
            if self.held is not None:
                tell_held(self.held, step[self.frame], self.target)
        return self.target

    def add(self, options: EvalOptions) -> None:
        """Add the current step's rows to every loss's sums, keeping their per-row terms."""
        target = self.current
        self.rows += target.inputs.n
        self.dropped += target.dropped
        self.crossed = added(self.crossed, target.crossed)  # (its note names the file: see _run)
        self.off_sum = added(self.off_sum, target.off_sum)
        self.fingerprint = (self.fingerprint + fingerprint(target.inputs)) & MASK64
        codes = np.arange(target.inputs.n) if self.classic else row_groups(target.rows, options.seed)
        self.terms = {}
        for name, ls in self.losses.items():
            found = add_loss(ls, registry.spec_for(name, target.task), target, codes, self.boot_groups)
            if found is not None:
                self.terms[name] = registry.row_terms(found)

    @property
    def current(self) -> Target:
        assert self.target is not None, "read a step first"
        return self.target

    def hard_terms(self, options: EvalOptions) -> np.ndarray | None:
        """This step's ``zero_one`` terms (1 where the predicted class is wrong), or None where it
        does not apply."""
        if "zero_one" not in self.terms:
            target = self.current
            hard = registry.lookup("zero_one", target.task)
            if hard is None or registry.skip_reason(hard, target.inputs, options.params_of(hard)) is not None:
                return None
            self.terms["zero_one"] = registry.row_terms(registry.terms(hard, target.inputs, options.params_of(hard)))
        return self.terms["zero_one"]


@dataclass
class Tally:
    """NEW against BASE row by row on one loss, over the steps so far: how many rows it made better,
    worse or left the same, and the ``--worst`` rows (their row, BASE's and NEW's terms)."""

    better: int = 0
    worse: int = 0
    same: int = 0
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    old: np.ndarray = field(default_factory=lambda: np.empty(0))
    now: np.ndarray = field(default_factory=lambda: np.empty(0))

    def add(self, rows: np.ndarray, old: np.ndarray, now: np.ndarray, worst: int) -> None:
        self.better += int((now < old).sum())
        self.worse += int((now > old).sum())
        self.same += int((now == old).sum())
        if worst:
            rows, old, now = (np.concatenate(pair) for pair in ((self.rows, rows), (self.old, old), (self.now, now)))
            keep = self.order(rows, now - old)[:worst]
            self.rows, self.old, self.now = rows[keep], old[keep], now[keep]

    @staticmethod
    def order(rows: np.ndarray, change: np.ndarray) -> np.ndarray:
        """The largest change first, either way; ties by row."""
        return np.lexsort((rows, -np.abs(change)))

    def worst(self) -> list[dict[str, Any]]:
        change = self.now - self.old
        return [{"row": int(self.rows[i]), "base": float(self.old[i]), "new": float(self.now[i]),
                 "change": float(change[i])} for i in self.order(self.rows, change)]


@dataclass
class Comparison:
    """NEW against BASE on one pair: the losses both compute, and the row-by-row tallies. ``names``
    are the two as messages name them (their files, or ``model NAME``)."""

    base: Model
    new: Model
    names: tuple[str, str]
    chosen: list[str]
    not_applicable: dict[str, str]
    tallies: dict[str, Tally] = field(default_factory=dict)
    flips: list[int] | None = field(default_factory=lambda: [0, 0])  # predicted classes fixed, broken

    def check(self) -> None:
        _check_same_rows(self.base.current, self.new.current, *self.names)

    def tally(self, options: EvalOptions) -> None:
        """Add the current step's rows to the agreement of every loss both models computed."""
        rows = self.base.current.rows
        for name in self.chosen:
            old, now = self.base.terms.get(name), self.new.terms.get(name)
            if old is not None and now is not None:
                self.tallies.setdefault(name, Tally()).add(rows, old, now, options.worst)
        if self.flips is not None:
            hard = [m.hard_terms(options) for m in (self.base, self.new)]
            if hard[0] is None or hard[1] is None:
                self.flips = None  # (not for these rows: not at all)
                return
            wrong_before, wrong_after = hard[0] > 0, hard[1] > 0
            self.flips[0] += int((wrong_before & ~wrong_after).sum())
            self.flips[1] += int((~wrong_before & wrong_after).sum())


@dataclass
class Plan:
    """The models read from each step and the comparisons between them, decided on the first step;
    the files' names and the rows read."""

    models: list[Model]
    comparisons: list[Comparison]
    notes: list[str]
    explain: list[str]
    sources: list[str]
    labels: str | None
    rows: int = 0


def compare(base: Any, news: list[Any], options: EvalOptions) -> tuple[Report, list[str], list[str]]:
    """The comparison report of each NEW against BASE (``results[i].losses`` are NEW's, ``base``
    BASE's), notes, and the ``--explain`` lines (how BASE's pairs were read). With several NEW files,
    each result names its file as ``model`` (its pair ``PAIR/FILE``) and the p-values are also
    adjusted over the files compared (Holm)."""
    inputs = [base, *news]
    why = None
    if can_step(inputs, options.labels):
        try:
            return _compare_files(in_step(inputs, options.on, options.delimiter, options.decimal), options)
        except NotInStep as error:
            why = str(error)
    whole = _whole(inputs, options)
    if not any(isinstance(i, str) for i in inputs):  # DataFrames: in memory already
        return _compare_files(iter([whole]), options)
    return _compare_files(iter([whole]), options, *_memory_note(whole, why))


def _whole(inputs: list[Any], options: EvalOptions) -> list[Frame]:
    """Every file read whole (joined to --labels), NEW's rows in BASE's order."""
    base = load(inputs[0], options.labels, options.on, options.delimiter, options.decimal)
    return [base] + [align(base, load(new, options.labels, options.on, options.delimiter, options.decimal),
                           options.on) for new in inputs[1:]]


def _memory_note(whole: list[Frame], why: str | None) -> tuple[str, bool]:
    """What reading the files whole held in memory, and why they were not read in step; and whether
    it is worth a warning (files of NOTED_MEGABYTES or more, or read whole for their order)."""
    megabytes = sum(c.data.nbytes for frame in whole for c in frame.columns.values()) / 1e6
    names = ", ".join(frame.source for frame in whole)
    if why is None:
        return f"{names}: read whole ({megabytes:.0f} MB of data in memory)", megabytes >= NOTED_MEGABYTES
    return (f"{names}: read whole to align their rows, as {why} ({megabytes:.0f} MB of data in memory; files "
            "that list the same ids in the same order are read chunk by chunk)"), True


def _compare_files(steps: Iterator[list[Frame]], options: EvalOptions, memory: str | None = None,
                   warn: bool = False) -> tuple[Report, list[str], list[str]]:
    """``compare BASE NEW [NEW...]`` over steps of one frame per file (BASE's first); ``memory``
    says what reading them whole held (for --explain, and a warning when ``warn``)."""

    def plan(first: list[Frame], classic: bool) -> Plan:
        base_targets, notes = targets_of(first[0], options)
        models: list[Model] = []
        comparisons: list[Comparison] = []
        for index, frame in enumerate(first[1:], 1):
            new_targets, new_notes = targets_of(frame, options)
            notes += new_notes
            by_name = {t.pair.name: t for t in new_targets}
            for target in base_targets:
                other = by_name.pop(target.pair.name, None)
                if other is None:
                    notes.append(f"pair '{target.pair.name}' of {first[0].source} is not in {frame.source}; "
                                 "not compared")
                    continue
                comparisons.append(_comparison(target, 0, other, index, (first[0].source, frame.source), models,
                                               options, classic))
            notes += [f"pair '{name}' of {frame.source} is not in {first[0].source}; not compared" for name in by_name]
        if not comparisons:
            raise UsageError(f"{first[0].source} and {', '.join(f.source for f in first[1:])} have no pair in "
                             "common; name the columns alike, or pass --true/--pred")
        return Plan(models, comparisons, notes, _explained(base_targets) + ([memory] if memory else []),
                    [f.source for f in first], first[0].labels_source)

    found = _run(steps, plan, options)
    several = len(found.sources) > 2
    named = _model_names(found.sources)
    results = []
    for comparison in found.comparisons:
        result = _result(comparison, options)
        if several:  # each file a model of its own: PAIR/FILE
            model = named[comparison.names[1]]
            result.pair, result.model = f"{result.pair}/{model}", model
        results.append(result)
    if several:
        for compared in _by_base(found.comparisons, results):
            _adjust(compared)
    base, news = found.sources[0], found.sources[1:]
    report = Report(_signature(results, found, options),
                    {"base": base, "new": news[0] if len(news) == 1 else news, "labels": found.labels,
                     "rows": found.rows}, results,
                    _bootstrap(options, "; p-values adjusted for the files compared (Holm)" if several else ""),
                    baseline=named[base])
    return report, found.notes + ([memory] if memory and warn else []), found.explain


def compare_models(predictions: Any, baseline: str, options: EvalOptions) -> tuple[Report, list[str], list[str]]:
    """``compare FILE --baseline-model NAME``: every other model of each target in one file against
    the baseline model, on the same rows, with the paired bootstrap of each difference (NEW − BASE);
    with more than one other model, the p-values adjusted for the multiple comparisons (Holm)."""

    def plan(first: list[Frame], classic: bool) -> Plan:
        frame = first[0]
        targets, notes = targets_of(frame, options)
        by_target: dict[tuple[str, ...], list[Target]] = {}
        for target in targets:
            by_target.setdefault(tuple(target.pair.true), []).append(target)
        named = sorted({t.pair.model for t in targets if t.pair.model is not None})
        if baseline not in named:
            listed = ", ".join(named) or "none (one prediction per label)"
            raise UsageError(f"--baseline-model {baseline}: {frame.source} has no such model"
                             f"{closest(baseline, named)}; its models: {listed}")
        models: list[Model] = []
        comparisons: list[Comparison] = []
        for group in by_target.values():
            base = next((t for t in group if t.pair.model == baseline), None)
            if base is None:
                notes.append(f"pair(s) {', '.join(t.pair.name for t in group)}: no model {baseline}; not compared")
                continue
            for other in (t for t in group if t is not base):
                comparisons.append(_comparison(base, 0, other, 0, (f"model {baseline}", f"model {other.pair.model}"),
                                               models, options, classic))
        if not comparisons:
            raise UsageError(f"--baseline-model {baseline}: no other model predicts the same label in {frame.source}")
        return Plan(models, comparisons, notes, _explained(targets), [frame.source], frame.labels_source)

    found = _run(([frame] for frame in frames(predictions, options)), plan, options)
    results = []
    for comparison in found.comparisons:
        result = _result(comparison, options)
        other = comparison.new.first.pair
        result.pair, result.pred, result.model = other.name, other.pred, other.model
        results.append(result)
    for compared in _by_base(found.comparisons, results):
        if len(compared) > 1:
            _adjust(compared)
    report = Report(_signature(results, found, options),
                    {"predictions": found.sources[0], "labels": found.labels, "rows": found.rows,
                     "baseline_model": baseline}, results,
                    _bootstrap(options, "; p-values adjusted for the models compared (Holm)" if len(results) > 1
                               else ""), baseline=baseline)
    return report, found.notes, found.explain


def _model_names(sources: list[str]) -> dict[str, str]:
    """Each file's name as a model: its base name (``runs/lr.csv`` is ``lr.csv``) when those are
    all different, else the path as given."""
    short = {source: os.path.basename(source) or source for source in sources}
    return short if len(set(short.values())) == len(short) else {source: source for source in sources}


def _explained(targets: list[Target]) -> list[str]:
    """The ``--explain`` line of each pair: how it was found, and the evidence of its task."""
    return [f"pair '{t.pair.name}': {t.pair.how}; " + "; ".join(t.evidence) for t in targets]


def _signature(results: list[Result], found: Plan, options: EvalOptions) -> str:
    fingerprints = sum(model.fingerprint for model in found.models) & MASK64
    return signature(results, replace(options, ci=_level(options)), fingerprints, compare=True)


def _bootstrap(options: EvalOptions, adjusted: str) -> dict[str, Any]:
    return {"ci": _level(options), "resamples": options.bootstrap, "seed": options.seed,
            "method": "paired percentile bootstrap of NEW − BASE" + adjusted}


def _level(options: EvalOptions) -> float:
    return options.ci if options.ci is not None else 0.95


def _comparison(base: Target, base_frame: int, new: Target, new_frame: int, names: tuple[str, str],
                models: list[Model], options: EvalOptions, classic: bool) -> Comparison:
    """NEW against BASE, their models added to ``models`` (BASE's once, however many it is compared with)."""
    chosen, not_applicable = selected_losses(base, options.losses, options.also)
    classic = classic and base.inputs.n <= GROUPS  # (one step, of few rows)
    boot = base.inputs.n if classic else GROUPS
    found = [m for m in models if m.first is base]
    losses = {name: LossState(with_class_weights(options.params_of(registry.spec_for(name, base.task)), base),
                              kept=_kept(name, base.task)) for name in chosen}
    if found:
        base_model = found[0]
    else:
        base_model = Model(base, base_frame, losses, boot, classic,
                           held=holding(base.task, base.kind, base.classes, first_hold(base, options), options))
        models.append(base_model)
    new_model = Model(new, new_frame, {name: LossState(ls.params, kept=_kept(name, base.task))
                                       for name, ls in losses.items()}, boot, classic,
                      held=holding(new.task, new.kind, new.classes, first_hold(new, options), options))
    models.append(new_model)
    return Comparison(base_model, new_model, names, chosen, not_applicable)


def _kept(name: str, task: str) -> Kept | None:
    """A median keeps its rows (compare reads both models in one run): its values are exact, its
    difference has no bootstrap interval."""
    return Kept() if registry.spec_for(name, task).reduction == "median" else None


def _run(steps: Iterator[list[Frame]], plan: Callable[[list[Frame], bool], Plan], options: EvalOptions) -> Plan:
    """Read every step: the first decides the plan, every step adds its rows to each model and comparison."""
    ahead = list(itertools.islice(steps, 2))  # the classic bootstrap (each row its own group) needs one step
    found: Plan | None = None
    for step in itertools.chain(ahead, steps):
        first_step = found is None
        if found is None:
            found = plan(step, len(ahead) == 1)
        found.rows += step[0].n_rows
        warned = {note.split(":")[0] for note in found.notes}
        for model in found.models:
            target = model.read(step, first_step, options)
            if not first_step and target.pair.name not in warned:
                found.notes += [f"{target.pair.name}: {w}" for w in target.warnings]
        for comparison in found.comparisons:
            comparison.check()
        for model in found.models:
            model.add(options)
        for comparison in found.comparisons:
            comparison.tally(options)
    assert found is not None, "a reader yields at least one step"
    for model in found.models:
        if model.held is not None:
            model.held.check()
        found.notes += row_counts.notes(f"{model.source}: {model.first.pair.name}", model.rows, model.dropped,
                                        model.crossed, model.off_sum)
    return found


def _by_base(comparisons: list[Comparison], results: list[Result]) -> Iterable[list[Result]]:
    """The results grouped by the BASE model (one pair of BASE) they were compared with."""
    groups: dict[int, list[Result]] = {}
    for comparison, result in zip(comparisons, results):
        groups.setdefault(id(comparison.base), []).append(result)
    return groups.values()


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


def _result(comparison: Comparison, options: EvalOptions) -> Result:
    """The comparison's result: both models' losses, each difference's interval and p-value, and
    the agreement row by row on the main loss (the first both computed)."""
    base, new = comparison.base, comparison.new
    target = base.first
    skipped = dict(comparison.not_applicable)
    before: dict[str, float | None] = {}
    after: dict[str, float | None] = {}
    diff: dict[str, float] = {}
    intervals: dict[str, list[float] | None] = {}
    p_values: dict[str, float] = {}
    params: dict[str, dict[str, Any]] = {}
    counts = resample_counts(options.seed, options.bootstrap, base.boot_groups)
    for name in comparison.chosen:
        spec = registry.spec_for(name, target.task)
        old_ls, new_ls = base.losses[name], new.losses[name]
        if old_ls.params:
            params[name] = dict(old_ls.params)
        reasons = [(which, ls.partial.skipped) for which, ls in (("base", old_ls), ("new", new_ls))
                   if ls.partial.skipped is not None]
        if reasons:
            same = len(reasons) == 2 and reasons[0][1] == reasons[1][1]
            skipped[name] = str(reasons[0][1]) if same else "; ".join(f"{which}: {s}" for which, s in reasons)
            continue
        old = finished(spec, old_ls) if old_ls.partial.weight > 0 else None
        now = finished(spec, new_ls) if new_ls.partial.weight > 0 else None
        if old is not None and now is not None and not (np.isfinite(old) and np.isfinite(now)):
            skipped[name] = spec.undefined or f"{name} is not a finite number here"
            continue
        if old is not None and now is not None and old_ls.kept is not None:  # a median: no bootstrap
            before[name], after[name], diff[name] = old, now, now - old
            intervals[name] = None
            continue
        if old is None or now is None or old_ls.boot is None or new_ls.boot is None:
            skipped[name] = "the weights of every row are 0; there is nothing to average"
            continue
        before[name], after[name], diff[name] = old, now, now - old
        differences = (registry.group_values(spec, new_ls.boot.combine(counts), new_ls.params)
                       - registry.group_values(spec, old_ls.boot.combine(counts), old_ls.params))
        intervals[name] = interval(differences, _level(options))
        p_values[name] = p_value(differences[np.isfinite(differences)])
    result = Result(pair=target.pair.name, true=target.pair.true, pred=target.pair.pred, task=target.task,
                    predictions=new.first.kind, n=base.rows, losses=after, weight=target.weight, params=params,
                    ci=intervals, skipped=skipped, classes=target.classes, positive=target.positive,
                    dropped=base.dropped, base=before, diff=diff, p_value=p_values)
    main = next(iter(before), None)
    if main is not None:
        tally = comparison.tallies.get(main, Tally())
        result.agreement = {"loss": main, "better": tally.better, "worse": tally.worse, "same": tally.same}
        if comparison.flips is not None:
            result.agreement.update(fixed=comparison.flips[0], broken=comparison.flips[1])
        if options.worst:
            result.worst = tally.worst()
    elif options.worst:
        result.worst = []
    return result
