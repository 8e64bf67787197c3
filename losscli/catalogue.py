"""``losscli list`` and ``losscli explain``: the registry described for people and scripts.

Loss docstrings are reStructuredText (formulas in ``.. math::`` and ``:math:``, names in double
backticks). Both the table and the JSON give them as plain text (:func:`plain`): roles and
backticks dropped, a paragraph's lines joined (the terminal wraps them), and a ``.. math::``
formula on its own indented line; the LaTeX inside stays as written. The raw text is the
function's docstring (``help()`` shows it).
"""

from __future__ import annotations

import re
from typing import Any

from . import losses as _builtin_losses  # noqa: F401  (registers the built-in losses)
from . import registry
from .errors import UsageError

_ROLE = re.compile(r":[A-Za-z:_-]+:`([^`]*)`")  # :math:`a`, :func:`f` -> a, f
_LITERAL = re.compile(r"``([^`]*)``")  # ``x`` -> x
_INTERPRETED = re.compile(r"`([^`]*)`")  # `x` -> x
_MATH = ".. math::"


def _inline(text: str) -> str:
    return _INTERPRETED.sub(r"\1", _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text)))


def plain(rst: str) -> str:
    r"""A docstring's reStructuredText as plain text for a terminal, paragraphs apart.

    >>> plain("Mean of ``x``: :math:`a + b`.\n\n.. math:: \ell_i = r_i^2")
    'Mean of x: a + b.\n\n    \\ell_i = r_i^2'
    """
    blocks: list[str] = []
    formula_follows = False  # ``.. math::`` alone on its line: the formula is the indented block after it
    for paragraph in re.split(r"\n[ \t]*\n", rst.strip()):
        text = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
        if text.startswith(_MATH):
            text = text[len(_MATH):].strip()
            formula_follows = not text
            if text:
                blocks.append("    " + text)
        elif formula_follows:
            blocks.append("    " + text)
            formula_follows = False
        elif text:
            blocks.append(_inline(text))
    return "\n\n".join(blocks)


def _entry(spec: registry.LossSpec) -> dict[str, Any]:
    text = plain(spec.doc)
    return {
        "name": spec.name,
        "tasks": [t for t in registry.TASKS if t in spec.tasks],
        "params": dict(spec.params),
        "ranges": {key: str(allowed) for key, allowed in spec.ranges.items()},
        "aliases": list(spec.aliases),
        "predictions": sorted(spec.kinds),
        "summary": text.split("\n\n")[0].strip() or spec.name,
        "formula": text,
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
    """The entries of a loss (one per task family); a derived name (``pinball_q10``) its own."""
    return [_entry(spec) for canonical in registry.resolve(name) for spec in _specs(canonical)]


def _specs(canonical: str) -> list[registry.LossSpec]:
    found = registry.specs(canonical)
    if found:
        return found
    derived = {id(spec): spec for task in registry.TASKS if (spec := registry.lookup(canonical, task)) is not None}
    return list(derived.values())


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
    import textwrap

    from rich.markup import escape
    from rich.text import Text

    for e in found:
        console.print(f"[bold]{e['name']}[/]  ({', '.join(e['tasks'])})")
        for i, block in enumerate(e["formula"].split("\n\n")):
            if i:
                console.print()
            if block.startswith("    "):  # a formula: indented, and so are its wrapped lines
                console.print(Text(textwrap.fill(block.strip(), console.width, initial_indent="    ",
                                                 subsequent_indent="    ", break_on_hyphens=False)))
            else:
                console.print(Text(block))
        if e["params"]:
            console.print(f"parameters: {escape(_params(e['params']))}")
        if e["ranges"]:
            console.print(f"parameter values: {escape('; '.join(f'{k} {v}' for k, v in e['ranges'].items()))}")
        if e["aliases"]:
            console.print(f"aliases: {escape(', '.join(e['aliases']))}")
        console.print(f"predictions: {', '.join(e['predictions'])}")
        if e["reference"]:
            console.print(f"reference: {escape(e['reference'])}")
        console.print(f"origin: {e['origin']}\n")
