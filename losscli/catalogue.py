"""``losscli list`` and ``losscli explain``: the registry described for people and scripts."""

from __future__ import annotations

from typing import Any

from . import losses as _builtin_losses  # noqa: F401  (registers the built-in losses)
from . import registry
from .errors import UsageError


def _entry(spec: registry.LossSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "tasks": [t for t in registry.TASKS if t in spec.tasks],
        "params": dict(spec.params),
        "aliases": list(spec.aliases),
        "predictions": sorted(spec.kinds),
        "summary": spec.summary,
        "formula": spec.doc,
        "reference": spec.reference,
        "origin": spec.origin,
    }


def entries(task: str | None = None) -> list[dict[str, Any]]:
    if task is not None and task not in registry.TASKS:
        raise UsageError(f"--task {task}: unknown task; tasks are {', '.join(registry.TASKS)}")
    found = []
    for name in registry.names():
        for spec in registry.specs(name):
            if task is None or task in spec.tasks:
                found.append(_entry(spec))
    return found


def explain(name: str) -> list[dict[str, Any]]:
    return [_entry(spec) for canonical in registry.resolve(name) for spec in registry.specs(canonical)]


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={'auto' if v is None else v:g}" if isinstance(v, float)
                     else f"{k}={'auto' if v is None else v}" for k, v in params.items())


def print_list(found: list[dict[str, Any]], console: Any) -> None:
    from rich.table import Table

    table = Table(title="losses", title_justify="left")
    for column in ("name", "tasks", "params", "summary", "origin"):
        table.add_column(column, overflow="fold")
    for e in found:
        table.add_row(e["name"], ", ".join(e["tasks"]), _params(e["params"]), e["summary"], e["origin"])
    console.print(table)


def print_explain(found: list[dict[str, Any]], console: Any) -> None:
    from rich.markup import escape

    for e in found:
        console.print(f"[bold]{e['name']}[/]  ({', '.join(e['tasks'])})")
        console.print(escape(e["formula"]))
        if e["params"]:
            console.print(f"parameters: {escape(_params(e['params']))}")
        if e["aliases"]:
            console.print(f"aliases: {escape(', '.join(e['aliases']))}")
        console.print(f"predictions: {', '.join(e['predictions'])}")
        if e["reference"]:
            console.print(f"reference: {escape(e['reference'])}")
        console.print(f"origin: {e['origin']}\n")
