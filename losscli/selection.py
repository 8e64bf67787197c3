"""Which losses a pair gets: every default loss of its task that takes its kind of predictions, or
the losses ``--loss`` names (an alias resolves to the loss of the pair's task), plus those a gate
names; a named loss that its task does not define is listed as not applicable.
"""

from __future__ import annotations

from . import registry
from .inference import Target


def selected_losses(target: Target, requested: tuple[str, ...],
              also: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """The canonical loss names to compute for ``target``, and those that do not apply.

    ``also`` (losses named by gates) is added to the selection when it applies to the task.
    """
    chosen, not_applicable = _requested(target, requested)
    for name in also:
        canonical = registry.resolve_for_task(name, target.task)
        if canonical is not None and canonical not in chosen:
            chosen.append(canonical)
    return _with_levels(target, chosen), not_applicable


def _with_levels(target: Target, chosen: list[str]) -> list[str]:
    """A quantile set's ``pinball`` followed by each level's (``pinball_q10``, ``pinball_q90``)."""
    if target.kind != "quantiles" or "pinball" not in chosen or target.inputs.levels is None:
        return chosen
    from .quantiles import level_name

    at = chosen.index("pinball") + 1
    levels = [f"pinball_{level_name(level)}" for level in target.inputs.levels]
    rest = [name for name in chosen if name not in levels]
    return rest[:at] + levels + rest[at:]


def _requested(target: Target, requested: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    task, inputs = target.task, target.inputs
    not_applicable: dict[str, str] = {}
    if not requested:
        chosen = []
        for spec in registry.for_task(task):
            # (hard classes and quantile sets: only the losses that take them, not the others as skipped)
            if spec.is_default(inputs, spec.params) and (inputs.kind in spec.kinds
                                                         or inputs.kind not in ("class", "quantiles")):
                chosen.append(spec.name)
        return chosen, not_applicable
    chosen = []
    for name in requested:
        canonical = registry.resolve_for_task(name, task)
        if canonical is None:
            first = registry.resolve(name)[0]
            tasks = sorted({t for spec in registry.specs(first) for t in spec.tasks})
            not_applicable[first] = f"{first} is not defined for {task} tasks (only {', '.join(tasks)})"
        elif canonical not in chosen:
            chosen.append(canonical)
    return chosen, not_applicable
