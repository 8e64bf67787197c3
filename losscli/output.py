"""Where a command's results and messages go: the report to standard output in the format asked
for (a table on a terminal, JSON in a pipe), to ``--output`` and the gates to ``--junit``; messages
to standard error on one line each (none but errors and failed gates with ``--quiet``); under
GitHub Actions the failed gates as error annotations, the warnings as warning annotations, the
markdown in the step summary and the verdict in the step's outputs. A closed pipe is the reader's
choice, not an error (:func:`quiet_stdout`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from .errors import ExitCode
from .results import Report

EXTENSIONS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".txt": "table",
              ".prom": "openmetrics"}


class Verbosity:
    """What standard error shows, set by a command: with ``quiet`` (--quiet), errors and failed gates only."""

    quiet = False


def say(message: str, style: str) -> None:
    """One message on standard error: ``style`` red (an error), yellow (a warning) or dim (a note);
    with --quiet, errors only."""
    if Verbosity.quiet and style != "red":
        return
    from rich.console import Console
    from rich.markup import escape

    from .escape import one_line

    label = {"red": "error", "yellow": "warning", "dim": "note"}.get(style, "note")
    # on one line: a data value in a message never starts a line (a GitHub workflow command)
    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(
        f"[{style}]{label}:[/] {escape(one_line(message))}")  # (emoji=False: a class named :thumbs_up: stays text)


def quiet_stdout() -> None:
    """After a closed pipe, send what is left to /dev/null so the interpreter exits quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def stdout_console(**options: Any) -> Any:
    """A rich Console on standard output that leaves a closed pipe to :func:`losscli.cli.handled` (exit 0).

    rich's own ``on_broken_pipe`` raises ``SystemExit(1)``, which is the gate-failure code; this one
    raises the ``BrokenPipeError`` again so that every format ends the same quiet way.
    """
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError("standard output was closed")

    return StdoutConsole(**{"emoji": False, **options})  # (data is never an emoji code: :thumbs_up: stays text)


def emit(report: Report, fmt: str | None, output: str | None) -> None:
    """The report to ``output`` (in ``fmt``, else by its extension) and to standard output (``fmt``,
    else a table on a terminal and JSON in a pipe; nothing more when written to a file in a pipe)."""
    from . import report as render

    if output:
        from .atomic import write_atomically

        file_fmt = fmt or EXTENSIONS.get(Path(output).suffix.lower(), "json")
        write_atomically(output, render.render_pieces(report, file_fmt))
    if output and not sys.stdout.isatty():
        return
    stdout_fmt = fmt if fmt and not output else ("table" if sys.stdout.isatty() else "json")
    if stdout_fmt == "table":
        render.print_table(report, stdout_console())
    else:
        write_stdout(render.render_pieces(report, stdout_fmt))


def write_stdout(pieces: Iterable[bytes]) -> None:
    """UTF-8 to standard output as it is (its bytes, where it has them), piece by piece."""
    sys.stdout.flush()
    for data in pieces:
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(data)
        else:  # (a stream of text only, as a test may set)
            sys.stdout.write(data.decode())
    sys.stdout.flush()
    if hasattr(sys.stdout, "buffer"):
        sys.stdout.buffer.flush()


def github_actions(report: Report, notes: list[str], output: str | None) -> None:
    """Under GitHub Actions: failed gates as ::error:: annotations and warnings as ::warning:: ones
    (each with a title), the markdown in the step summary, and the verdict in the step's outputs
    (:func:`step_outputs`)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    from .escape import workflow
    from .gates import describe
    from .report import to_markdown

    for gate in report.gates:
        if not gate.passed and gate.level == "warn":
            sys.stderr.write(f"::warning title=losscli gate warned::{workflow(describe(gate))}\n")
        elif not gate.passed:
            sys.stderr.write(f"::error title=losscli gate failed::{workflow(describe(gate))}\n")
    if not Verbosity.quiet:
        for note in notes:
            sys.stderr.write(f"::warning title=losscli::{workflow(note)}\n")
    step_outputs(report, output)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(to_markdown(report) + "\n")
        except OSError as error:  # the verdict (exit 0 or 1) stands
            say(f"$GITHUB_STEP_SUMMARY {summary}: cannot be written ({error.strerror})", "yellow")


def step_outputs(report: Report, output: str | None) -> None:
    """The step's outputs, appended to ``$GITHUB_OUTPUT``: ``passed`` (true or false), ``report``
    (the --output file, when written), ``metrics`` (the JSON's mapping, on one line) and each gated
    loss as ``PAIR__LOSS`` (characters other than letters, digits, - and _ as _; the first of
    names that meet that way). A value that is not one line is written in the heredoc form."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    import re
    import secrets

    import orjson

    values = {"passed": "true" if report.passed else "false", "metrics": orjson.dumps(report.metrics()).decode()}
    if output and report.passed:
        values["report"] = output
    for gate in report.gates:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", f"{gate.pair}__{gate.loss}")
        if gate.value is not None and name not in values:
            values[name] = repr(gate.value)
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            end = f"losscli_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{end}\n{value}\n{end}\n")
        else:
            lines.append(f"{name}={value}\n")
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("".join(lines))
    except OSError as error:  # the verdict (exit 0 or 1) stands
        say(f"$GITHUB_OUTPUT {path}: cannot be written ({error.strerror})", "yellow")


def finish(report: Report, notes: list[str], fmt: str | None, output: str | None, junit: str | None = None,
           command: str = "eval", verbose: bool = False) -> None:
    """Warnings, the report, the gates to ``junit`` (whatever their verdict), the gate verdicts
    (and with ``verbose`` the time the report took); exit 1 when a gate failed."""
    import time

    from .gates import describe

    for note in notes:
        say(note, "yellow")
    if output and not report.passed:
        say(f"a gate failed: {output} is left as it was (the last passing report)", "yellow")
    if junit:  # (first: a --junit that cannot be written leaves --output as it was)
        from .atomic import write_atomically
        from .junit import to_junit

        write_atomically(junit, to_junit(report, command), "--junit")
    started = time.perf_counter()
    emit(report, fmt, output if report.passed else None)
    if verbose:
        say(f"report written in {time.perf_counter() - started:.2f} s", "dim")
    for gate in report.gates:
        if not gate.passed and gate.level == "warn":
            say(f"gate warned: {describe(gate)}", "yellow")
        elif not gate.passed:
            say(f"gate failed: {describe(gate)}", "red")
    github_actions(report, notes, output)
    if not report.passed:
        raise typer.Exit(ExitCode.GATE_FAILED)


def emit_history(report: dict[str, Any], fmt: str | None, output: str | None) -> None:
    """``losscli history``'s report: JSON to ``output`` and in a pipe, else the curve and the verdicts."""
    from .atomic import write_atomically
    from .report import to_json

    if output:
        write_atomically(output, to_json(report))
        if not sys.stdout.isatty():
            return
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        sys.stdout.write(to_json(report))
        return
    from rich.markup import escape

    from .chart import terminal_chart
    from .escape import one_line

    console = stdout_console()
    console.print(terminal_chart(report, width=max(20, min(70, console.width - 14))))
    best, over, diverged = report["best"], report["overfitting"], report["diverged"]
    train, val = (escape(one_line(report[name] or name)) for name in ("train", "val"))  # (column names: data)
    console.print(f"\n{report['epochs']} epochs ({report['format']} log). Best epoch [bold]{best['epoch']}[/]: "
                  f"{train} {_num(best['train'])}, {val} {_num(best['val'])}.")
    if diverged["detected"]:
        console.print(f"[red]Diverged[/] at epoch {diverged['from_epoch']}: a NaN or infinite loss; "
                      f"only the epochs before it are analysed.")
        gap = f"gap at epoch {over['gap_epoch']}, the last before the divergence, {_num(over['gap'])}"
    else:
        gap = f"gap at the last epoch {_num(over['gap'])}"
    if over["detected"]:
        console.print(f"[red]Overfitting[/] from epoch {over['from_epoch']}: {val} has not improved for "
                      f"{over['epochs_since_best']} epochs while {train} kept falling; {gap}.")
    else:
        console.print(f"No overfitting detected (patience {over['patience']}); {gap}.")


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


