"""Rendering: a report dict -> JSON, CSV, markdown or a rich table. Nothing here computes a loss.

JSON keeps full precision and is strict (``null``, never NaN); only the table rounds.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

MARKDOWN_MARKER = "<!-- losscli-report -->"
FORMATS = ("table", "json", "csv", "markdown")


def strict(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(strict(report), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def fmt(value: float | None) -> str:
    """Six significant digits for people; JSON keeps all of them."""
    return "—" if value is None else f"{value:.6g}"


def _rows(report: dict[str, Any]) -> list[tuple[dict[str, Any], str, float | None, str]]:
    """(result, loss, value, note) for every computed and skipped loss, in report order."""
    rows = []
    for result in report["results"]:
        rows += [(result, name, value, "") for name, value in result["losses"].items()]
        rows += [(result, name, None, reason) for name, reason in result["skipped"].items()]
    return rows


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["pair", "task", "predictions", "n", "loss", "value", "skipped"])
    for result, name, value, note in _rows(report):
        writer.writerow([result["pair"], result["task"], result["predictions"], result["n"], name,
                         "" if value is None else repr(value), note])
    return out.getvalue()


def to_markdown(report: dict[str, Any]) -> str:
    """A pull-request comment: a hidden marker line (to find and update it), a table, the signature."""
    verdict = "" if not report["gates"] else (" ✅ all gates passed" if report["passed"] else " ❌ a gate failed")
    with_ci = any(r["ci"] for r in report["results"])
    header = "| pair | task | loss | value |" + (f" {_level(report)} interval |" if with_ci else "")
    lines = [MARKDOWN_MARKER, f"### losscli report{verdict}", "", header,
             "| --- | --- | --- | ---: |" + (" ---: |" if with_ci else "")]
    for result, name, value, note in _rows(report):
        shown = fmt(value) if not note else f"skipped: {note}"
        ci = f" {_interval(result['ci'].get(name))} |" if with_ci else ""
        lines.append(f"| {result['pair']} | {result['task']} | {name} | {shown} |{ci}")
    if report["gates"]:
        lines += ["", "| gate | value | limit | verdict |", "| --- | ---: | ---: | --- |"]
        for e in report["gates"]:
            limit = fmt(e["max"]) if e.get("max") is not None else e.get("reason", "—")
            lines.append(f"| {e['pair']} {e.get('loss') or ''} ({e['source']}) | {fmt(e.get('value'))} | {limit} | "
                         f"{'✅ pass' if e['passed'] else '❌ fail'} |")
    lines += ["", f"`{report['signature']}`", ""]
    return "\n".join(lines)


def print_table(report: dict[str, Any], console: Any) -> None:
    """One rich table per pair (its heading above it, skipped losses dimmed under it), then the signature."""
    from rich.table import Table
    from rich.text import Text

    for result in report["results"]:
        heading = Text.assemble(
            (result["pair"], "bold"),
            f"  {result['task']} · {result['predictions']} · n={result['n']}"
            + (f" · weight={result['weight']}" if result["weight"] else ""),
            (f"   {', '.join(result['true'])} ← {_columns(result['pred'])}", "dim"),
        )
        console.print(heading)
        table = Table(show_edge=True, pad_edge=True)
        table.add_column("loss")
        table.add_column("value", justify="right")
        if result["ci"]:
            table.add_column(f"{_level(report)} interval", justify="right")
        for name, value in result["losses"].items():
            table.add_row(name, fmt(value), *([_interval(result["ci"].get(name))] if result["ci"] else []))
        console.print(table)
        for name, reason in result["skipped"].items():
            console.print(Text(f"  {name}: skipped, {reason}", style="dim"))
        console.print()
    if report["gates"]:
        print_gates(report["gates"], console)
    console.print(Text(report["signature"], style="dim"), soft_wrap=True)


def print_gates(entries: list[dict[str, Any]], console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="gates", title_justify="left")
    for column in ("pair", "loss", "value", "limit", "source", "verdict"):
        table.add_column(column, justify="right" if column in ("value", "limit") else "left")
    for e in entries:
        verdict = Text("pass", style="green") if e["passed"] else Text("FAIL", style="bold red")
        limit = fmt(e["max"]) if e.get("max") is not None else "—"
        table.add_row(e["pair"], e.get("loss") or "—", fmt(e.get("value")), limit,
                      e["source"] if "reason" not in e else f"{e['source']}: {e['reason']}", verdict)
    console.print(table)
    console.print()


def _level(report: dict[str, Any]) -> str:
    level = report.get("bootstrap", {}).get("ci")
    return f"{level * 100:g}%" if level else "confidence"


def _interval(bounds: list[float] | None) -> str:
    return "—" if not bounds else f"[{fmt(bounds[0])}, {fmt(bounds[1])}]"


def _columns(columns: list[str]) -> str:
    return ", ".join(columns) if len(columns) <= 4 else f"{columns[0]} … {columns[-1]} ({len(columns)} columns)"


def render(report: dict[str, Any], fmt_: str, width: int = 100) -> str:
    """The report as text in ``fmt_`` (the table without colour, for files)."""
    if fmt_ == "json":
        return to_json(report)
    if fmt_ == "csv":
        return to_csv(report)
    if fmt_ == "markdown":
        return to_markdown(report)
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    print_table(report, console)
    return console.file.getvalue()
