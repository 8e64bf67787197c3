"""Rendering: a :class:`~losscli.results.Report` -> JSON, CSV, markdown or a rich table. Nothing here
computes a loss.

JSON keeps full precision and is strict (``null``, never NaN); only the table and markdown round.
An ``eval`` result has ``losses`` (and ``ci`` with ``--ci``); a ``compare`` result also has ``base``,
``diff`` (NEW − BASE), ``ci`` of the difference and ``p_value``.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from . import group_output
from .escape import CONTROL, markdown, one_line, spreadsheet
from .results import Gate, Leaderboard, Report, Result

MARKDOWN_MARKER = "<!-- losscli-report -->"
FORMATS = ("table", "json", "csv", "markdown", "openmetrics")


def to_json(report: Report | dict[str, Any]) -> str:
    """Strict JSON (a report, or another document such as the history's), indented by two spaces,
    UTF-8 as it is: a number that is not finite is ``null`` (JSON has no NaN)."""
    return json_bytes(report).decode()


def json_bytes(report: Report | dict[str, Any]) -> bytes:
    """:func:`to_json` as UTF-8, as it is written."""
    return b"".join(json_pieces(report))


def json_pieces(report: Report | dict[str, Any]) -> Iterator[bytes]:
    """:func:`json_bytes` in pieces, as they are written: a report's ``--group-by`` results come in
    batches (:mod:`losscli.group_output`), so a 100k-group report (160 MB) is never whole in memory.

    Encoded by orjson, which writes what the standard library's ``json.dumps(indent=2,
    ensure_ascii=False)`` writes, character for character, but in C: the standard library indents in
    Python, 5.1 s for the 100k group results of a ``--group-by`` on 100k users, where orjson takes 0.14 s."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
    if not isinstance(report, Report):
        yield orjson.dumps(report, option=options | orjson.OPT_APPEND_NEWLINE)
        return
    marker = f"\x00{secrets.token_hex(16)}"  # where the groups go: after the overall results
    document = replace(report, groups=[]).to_dict()
    document["results"].append(marker)
    head, tail = orjson.dumps(document, option=options | orjson.OPT_APPEND_NEWLINE).split(orjson.dumps(marker))
    separator = b",\n    "  # (between two entries of "results", at their depth)
    yield head.removesuffix(separator)
    for groups in report.groups:
        for k, piece in enumerate(group_output.json_entries(groups, 4, options)):
            yield separator + piece if k == 0 else piece
    yield tail


def fmt(value: float | None) -> str:
    """Six significant digits for people; JSON keeps all of them."""
    return "—" if value is None else f"{value:.6g}"


def _level(report: Report) -> str:
    level = (report.bootstrap or {}).get("ci")
    return f"{level * 100:g}%" if level else "confidence"


def _interval(bounds: list[float] | None) -> str:
    return "—" if not bounds else f"[{fmt(bounds[0])}, {fmt(bounds[1])}]"


def group_rows(report: Report, result: Result, limit: int | None,
               columns: int | None = None) -> tuple[list[str], list[list[str]], int]:
    """Headers, rows (group, n, the first ``columns`` losses) of the groups with the largest main
    loss first (groups with no value last), and how many groups ``limit`` left out."""
    groups = report.groups_of(result)
    names = list(result.losses)[:columns]
    main = groups.losses.get(names[0]) if names else None

    def worst_first(k: int) -> tuple[bool, float]:
        value = main[k] if main is not None else None
        return value is None, -(value or 0.0)

    order = sorted(range(len(groups)), key=worst_first)
    shown = order if limit is None else order[:limit]
    rows = [[groups.names[k], str(groups.rows[k])] + [fmt(groups.losses[name][k]) for name in names] for k in shown]
    return [report.input.get("group_by") or "group", "n"] + names, rows, len(order) - len(shown)


def leaderboard_rows(board: Leaderboard,
                     quote: Callable[[object], str] = one_line) -> tuple[str, list[str], list[list[str]]]:
    """What a leaderboard is ranked by, its headers, and its rows: a model per row, the best first.
    Of a comparison, each model's difference to the baseline on the main loss, its interval and
    its p-values (plain and Holm-adjusted) follow the losses."""
    names = list(dict.fromkeys(name for result in board.ranked for name in result.losses))
    rows = [[str(rank), result.model or result.pair] + [fmt(result.losses.get(name)) for name in names]
            for rank, result in enumerate(board.ranked, 1)]
    order = f"ranked by {board.main}, the lowest first" if board.main else "not ranked: no loss every model has"
    headers = ["rank", "model"] + names
    if board.baseline is not None:
        main = board.main
        headers += [f"Δ {main or ''}".strip(), "interval of Δ", "p", "p (Holm)"]
        for row, result in zip(rows, board.ranked):
            if not result.is_comparison or main is None:
                row += ["baseline" if not result.is_comparison else "—", "", "", ""]
                continue
            holm, p = (result.p_holm or {}).get(main), (result.p_value or {}).get(main)
            row += [f"{(result.diff or {})[main]:+.6g}", _interval(result.ci.get(main)),
                    "—" if p is None else f"{p:.3g}", "—" if holm is None else f"{holm:.3g}"]
        order += f", against the baseline {quote(board.baseline)}"
    return f"{len(board.ranked)} models, {order}", headers, rows


def loss_rows(report: Report, result: Result) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted rows of one result's losses (computed ones only)."""
    if result.base is not None and result.diff is not None and result.p_value is not None:  # compare
        base, diff, p_value = result.base, result.diff, result.p_value
        holm = result.p_holm
        headers = ["loss", "base", "new", "Δ new − base", f"{_level(report)} interval of Δ", "p"]
        headers += ["p (Holm)"] if holm else []
        rows = [[name, fmt(base.get(name)), fmt(value), f"{diff[name]:+.6g}",
                 _interval(result.ci.get(name)), f"{p_value[name]:.3g}" if name in p_value else "—"]
                + ([f"{holm[name]:.3g}" if name in holm else "—"] if holm else [])
                for name, value in result.losses.items()]
        return headers, rows
    headers = ["loss", "value"] + ([f"{_level(report)} interval"] if result.ci else [])
    rows = [[name, fmt(value)] + ([_interval(result.ci.get(name))] if result.ci else [])
            for name, value in result.losses.items()]
    return headers, rows


BAR = 20  # characters of a reliability diagram's bar


def reliability_rows(result: Result, bars: bool) -> tuple[str, list[str], list[list[str]], str | None]:
    """A result's reliability table (``ece``/``mce``): what it shows, its headers and a row per bin
    (its rows or weight, mean confidence, accuracy and their gap; with ``bars``, a bar of the
    accuracy with ``┃`` at the mean confidence: a calibrated bin's bar ends at its mark), and
    Murphy's decomposition of the Brier score as a line (binary). JSON keeps every digit."""
    table = result.calibration or {}
    headers = ["bin", "rows" if result.weight is None else "weight", "conf", "acc", "gap"]
    headers += ["acc ┃ conf"] if bars else []
    rows = []
    for b in table.get("bins", []):
        row = [f"{b['lower']:.3g}–{b['upper']:.3g}", f"{b['weight']:.6g}", f"{b['confidence']:.3f}",
               f"{b['accuracy']:.3f}", f"{b['gap']:+.3f}"]
        if bars:
            cells = ["█" if j < round(b["accuracy"] * BAR) else "·" for j in range(BAR)]
            cells[min(BAR - 1, int(b["confidence"] * BAR))] = "┃"
            row.append("".join(cells))
        rows.append(row)
    parts = table.get("brier_decomposition")
    murphy = None if parts is None else (
        "Brier = reliability − resolution + uncertainty (+ within-bin terms): "
        f"{fmt(parts['reliability'])} − {fmt(parts['resolution'])} + {fmt(parts['uncertainty'])} "
        f"(+ {fmt(parts['within_bin_variance'])} − {fmt(parts['within_bin_covariance'])})")
    what = f"reliability ({table.get('of')}, {table.get('strategy')} bins)"
    return what, headers, rows, murphy


CONFUSION_CLASSES = 20  # the table and markdown show a confusion matrix of at most this many classes


def class_rows(result: Result, limit: int, columns: int | None = None) -> tuple[list[str], list[list[str]], int]:
    """``--per-class``: headers and a row per class (its rows or weight, the first ``columns``
    losses), in class order, at most ``limit``; and how many classes were left out."""
    listed = result.per_class or []
    names = list(result.losses)[:columns]
    rows = [[str(row["class"]), f"{row['weight']:.6g}"] + [fmt(row["losses"].get(name)) for name in names]
            for row in listed[:limit]]
    return ["class", "rows" if result.weight is None else "weight"] + names, rows, len(listed) - len(rows)


def confusion_rows(result: Result) -> tuple[list[str], list[list[str]]] | None:
    """The confusion matrix as headers (the predicted classes) and a row per true class; None when
    it has more than CONFUSION_CLASSES classes (JSON has it)."""
    matrix = result.confusion
    if not matrix or len(matrix["classes"]) > CONFUSION_CLASSES:
        return None
    classes = [str(c) for c in matrix["classes"]]
    rows = [[name] + [f"{v:.6g}" for v in row] for name, row in zip(classes, matrix["weights"])]
    return ["true \\ predicted", *classes], rows


def agreement_text(result: Result) -> str | None:
    """A comparison row by row: ``rows: 34 better, 16 worse, 0 the same (binary_crossentropy);
    predicted class: 2 fixed, 5 broken``."""
    found = result.agreement
    if not found:
        return None
    text = f"rows: {found['better']} better, {found['worse']} worse, {found['same']} the same ({found['loss']})"
    if "fixed" in found:
        text += f"; predicted class: {found['fixed']} fixed, {found['broken']} broken"
    return text


CSV_HEADER = ["pair", "group", "task", "predictions", "n", "loss", "value", "ci_low", "ci_high", "base", "diff",
              "p_value", "skipped", "model", "rank", "p_holm"]


def to_csv(report: Report) -> str:
    """A row per result and loss (:func:`csv_pieces`)."""
    return b"".join(csv_pieces(report)).decode()


def csv_pieces(report: Report) -> Iterator[bytes]:
    """A row per result and loss, then per skipped loss; each pair's ``--group-by`` results after
    the overall ones, in batches (:mod:`losscli.group_output`). The columns after ``skipped`` came
    later (a reader by position keeps working): the ``model`` of several, its ``rank`` on its
    target's leaderboard, and a comparison's ``p_holm``."""
    ranks = {id(result): rank for board in report.leaderboards() for rank, result in enumerate(board.ranked, 1)}
    yield _csv_text([CSV_HEADER] + [row for result in report.results for row in _csv_rows(result, ranks)]).encode()
    for groups in report.groups:
        yield from group_output.csv_rows(groups, _csv_text)


def _csv_rows(result: Result, ranks: dict[int, int]) -> list[list[object]]:
    number = lambda v: "" if v is None else repr(v)  # noqa: E731
    group = "" if result.group is None else str(result.group)
    text = [spreadsheet(value) for value in (result.pair, group, result.task, result.predictions)]
    model = [spreadsheet(result.model or ""), ranks.get(id(result), "") if result.group is None else ""]
    rows: list[list[object]] = []
    for name, value in result.losses.items():
        low, high = result.ci.get(name) or (None, None)
        rows.append([*text, result.n, name, number(value), number(low), number(high),
                     number((result.base or {}).get(name)), number((result.diff or {}).get(name)),
                     number((result.p_value or {}).get(name)), "", *model, number((result.p_holm or {}).get(name))])
    for name, reason in result.skipped.items():
        rows.append([*text, result.n, name, "", "", "", "", "", "", spreadsheet(reason), *model, ""])
    return rows


def _csv_text(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def to_openmetrics(report: Report) -> str:
    """The report in the OpenMetrics text format (what GitLab's metrics report reads; Prometheus
    and its Pushgateway too): a gauge family per figure, a sample per result and loss, labelled by
    ``pair``, ``loss`` and, where they apply, ``model`` and ``group`` (``group_by`` its column).
    Label values are data, escaped (see :func:`_sample`)."""
    families: dict[str, tuple[str, list[str]]] = {
        "losscli_loss": ("Each loss of each pair (a compare: the new model's).", []),
        "losscli_rows": ("The rows each result averages over.", []),
        "losscli_loss_base": ("compare: the baseline model's loss.", []),
        "losscli_loss_diff": ("compare: new minus baseline.", []),
        "losscli_loss_p_value": ("compare: the paired bootstrap's p-value of the difference.", []),
        "losscli_gate_passed": ("1 when the gate passed, 0 when it failed.", []),
        "losscli_gate_max": ("The largest value the gate allows.", []),
        "losscli_passed": ("1 when every gate passed.", []),
    }
    by = report.input.get("group_by")
    for result in report.all_results():
        where: dict[str, object] = {"pair": result.pair, "model": result.model}
        if result.group is not None:
            where.update(group_by=by, group=result.group)
        families["losscli_rows"][1].append(_sample(where, result.n))
        for name, value in result.losses.items():
            labels = {**where, "loss": name}
            for family, figure in (("losscli_loss", value), ("losscli_loss_base", (result.base or {}).get(name)),
                                   ("losscli_loss_diff", (result.diff or {}).get(name)),
                                   ("losscli_loss_p_value", (result.p_value or {}).get(name))):
                if figure is not None:
                    families[family][1].append(_sample(labels, figure))
    for k, gate in enumerate(report.gates, 1):
        verdict = {"pair": gate.pair, "loss": gate.loss, "source": gate.source, "gate": k,  # (k: gates of one loss)
                   "scope": gate.scope, "level": None if gate.level == "fail" else gate.level}
        families["losscli_gate_passed"][1].append(_sample(verdict, int(gate.passed)))
        if gate.max is not None:
            families["losscli_gate_max"][1].append(_sample(verdict, gate.max))
    families["losscli_passed"][1].append(_sample({}, int(report.passed)))
    lines = []
    for family, (help_text, samples) in families.items():
        if samples:
            lines += [f"# TYPE {family} gauge", f"# HELP {family} {help_text}", *(family + s for s in samples)]
    return "\n".join([*lines, "# EOF"]) + "\n"


def _sample(labels: Mapping[str, object], value: float) -> str:
    """``{name="value",…} number`` of one sample (labels that are None left out). A label value is
    escaped as the format says (backslash, quote, line feed), so that two values never meet; the
    control characters that the format would carry as they are, tabs aside (a carriage return
    starts a line of a CI log, an escape sequence controls the terminal), are written as U+FFFD."""
    def escaped(text: object) -> str:
        shown = CONTROL.sub(lambda found: found.group() if found.group() in "\n\t" else "\ufffd", str(text))
        return shown.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    number = str(value) if isinstance(value, int) else repr(float(value)) if math.isfinite(value) else \
        "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"  # (the format's spellings)
    inside = ",".join(f'{name}="{escaped(text)}"' for name, text in labels.items() if text is not None)
    return f"{{{inside}}} {number}" if inside else f" {number}"


def _verdict(gate: Gate) -> str:
    return "✅ pass" if gate.passed else "⚠️ warn" if gate.level == "warn" else "❌ fail"


def _gate_scope(gate: Gate, quote: Callable[[object], str] = one_line) -> str:
    """`` of site=north`` (a group or class judged), `` of site=* (worst: north; 2 of 9 above)``."""
    if gate.scope is None:
        return ""
    column = gate.scope.split("=")[0]
    if gate.scope.endswith("=*") and gate.group is not None:
        return f" of {quote(gate.scope)} (worst: {quote(gate.group)}; {gate.failing} of {gate.of} above)"
    return f" of {quote(column + '=' + (gate.group or gate.scope.split('=', 1)[1]))}"


def _gate_limit(gate: Gate) -> str:
    return fmt(gate.max) if gate.max is not None else "—"


def _markdown_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(headers) + " |", "| --- |" + " ---: |" * (len(headers) - 1)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def heading(result: Result, quote: Callable[[object], str] = one_line) -> str:
    """What a result is: ``binary · probability · positive=malignant · n=171`` (the model, the
    positive class and the weight when they apply, each a data value written by ``quote``)."""
    parts = [result.task, result.predictions]
    if result.model:
        parts.append(f"model={quote(result.model)}")
    if result.positive is not None and result.task == "binary":
        parts.append(f"positive={quote(result.positive)}")
    parts.append(f"n={result.n}")
    if result.weight:
        parts.append(f"weight={quote(result.weight)}")
    return " · ".join(parts)


def to_markdown(report: Report) -> str:
    """A pull-request comment: a hidden marker line (to find and update it), a table per pair, the
    gates with their verdicts, and the signature."""
    warned = any(not gate.passed and gate.level == "warn" for gate in report.gates)
    verdict = "" if not report.gates else " ❌ a gate failed" if not report.passed else \
        " ✅ all gates passed, ⚠️ with warnings" if warned else " ✅ all gates passed"
    lines = [MARKDOWN_MARKER, f"### losscli report{verdict}", ""]
    for board in report.leaderboards():
        order, headers, rows = leaderboard_rows(board, markdown)
        lines += [f"**{markdown(board.target)}** · {order}", ""]
        lines += _markdown_table(headers, [[row[0], markdown(row[1])] + row[2:] for row in rows])
        lines.append("")
    for result in report.overall():
        headers, rows = loss_rows(report, result)
        lines += [f"**{markdown(result.pair)}** · {heading(result, markdown)}", ""]
        lines += _markdown_table(headers, rows)
        lines += [f"| {name} | skipped: {markdown(reason)} |" + " |" * (len(headers) - 2)
                  for name, reason in result.skipped.items()]
        lines.append("")
        agreement = agreement_text(result)
        lines += [agreement, ""] if agreement else []
        if result.calibration:
            what, headers, rows, murphy = reliability_rows(result, bars=False)
            lines += [f"{what}:", "", *_markdown_table(headers, rows), ""] + ([murphy, ""] if murphy else [])
        if result.per_class:
            headers, rows, hidden = class_rows(result, 50)
            lines += ["by true class:", "", *_markdown_table(headers, [[markdown(row[0])] + row[1:] for row in rows])]
            lines += [f"… and {hidden} more classes (all of them in --format json)"] if hidden else []
            lines.append("")
            confusion = confusion_rows(result)
            if confusion:
                headers, rows = confusion
                lines += ["confusion matrix (rows: true class, columns: predicted):", ""]
                lines += _markdown_table([headers[0]] + [markdown(h) for h in headers[1:]],
                                         [[markdown(row[0])] + row[1:] for row in rows])
                lines.append("")
        if result.worst:
            what, headers, rows, values = worst_rows(result)
            lines += [f"{what}:", ""]
            lines += _markdown_table(headers, [[markdown(c) if i in values else c for i, c in enumerate(row)]
                                               for row in rows])
            lines.append("")
        headers, rows, hidden = group_rows(report, result, 50)
        if rows:
            rows = [[markdown(row[0])] + row[1:] for row in rows]
            lines += [f"by {markdown(headers[0])}, the worst first:", ""]
            lines += _markdown_table([markdown(headers[0])] + headers[1:], rows)
            lines += [f"… and {hidden} more groups (all of them in --format json or csv)"] if hidden else []
            lines.append("")
    if report.gates:
        lines += ["| gate | value | limit | verdict |", "| --- | ---: | ---: | --- |"]
        for gate in report.gates:
            lines.append(f"| {markdown(gate.pair)} {gate.loss or ''}{_gate_scope(gate, markdown)} "
                         f"({markdown(gate.source)}) | {fmt(gate.value)} | "
                         f"{_gate_limit(gate) if gate.reason is None else markdown(gate.reason)} | "
                         f"{_verdict(gate)} |")
        lines.append("")
    lines += [f"`{report.signature}`", ""]
    return "\n".join(lines)


NAME_WIDTH = 8  # a name column may fold down to this width before a table gives way to blocks


def _longest_word(text: str) -> int:
    return max((len(word) for word in str(text).split()), default=0)


def print_rows(console: Any, headers: list[str], rows: list[list[Any]], names: tuple[int, ...] = (0,),
               title: str | None = None) -> None:
    """A table when its numbers fit the console's width, else a block per row (stacked): a number is
    never cut, wrapped or dropped. In the table, ``names`` columns fold (long names break across
    lines); the other columns never wrap and are as wide as their longest cell and header word (a
    header wraps between words only). In blocks, a row's first cell heads it and the others follow
    one per line, after their header."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    # data values (names of groups, columns, classes) are literal text on one line, never rich markup
    headers = [one_line(h) for h in headers]
    shown = [Text(h) for h in headers]  # (a str header would be read as rich markup)
    rows = [[cell if isinstance(cell, Text) else Text(one_line(cell)) for cell in row] for row in rows]
    title_text = Text(one_line(title), style="italic") if title else None
    widths = [max([_longest_word(h)] + [len(str(row[i])) for row in rows]) for i, h in enumerate(headers)]
    needed = sum(min(w, NAME_WIDTH) if i in names else w for i, w in enumerate(widths)) + 3 * len(headers) + 1
    if needed <= console.width:
        table = Table(title=title_text, title_justify="left")
        for i, header in enumerate(shown):
            if i in names:
                table.add_column(header, overflow="fold")
            else:
                table.add_column(header, justify="right", no_wrap=True, min_width=widths[i])
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    if title_text:
        console.print(title_text)
    for row in rows:
        console.print(Text(str(row[0]), style="bold"), overflow="fold")
        block = Table.grid(padding=(0, 2))
        block.add_column(overflow="fold")
        block.add_column(no_wrap=True)
        for header, cell in zip(shown[1:], row[1:]):
            block.add_row(header, cell)
        console.print(Padding(block, (0, 0, 0, 2), expand=False))


def _note(text: str, console: Any) -> None:
    """A dim line indented by two, wrapped between words with a hanging indent."""
    import textwrap

    from rich.text import Text

    console.print(Text(textwrap.fill(one_line(text), max(console.width, 20), initial_indent="  ",
                                     subsequent_indent="    ", break_long_words=False, break_on_hyphens=False),
                       style="dim"), soft_wrap=True)


def print_table(report: Report, console: Any) -> None:
    """One table per pair (its heading above it, skipped losses dimmed under it), the gates, then
    the signature. Narrow consoles get blocks instead of tables (:func:`print_rows`)."""
    from rich.text import Text

    for board in report.leaderboards():
        order, headers, rows = leaderboard_rows(board)
        print_rows(console, headers, rows, names=(1,), title=f"{board.target}: {order}")
        console.print()
    for result in report.overall():
        console.print(Text.assemble(
            (one_line(result.pair), "bold"),
            f"  {heading(result)}",
            (one_line(f"   {', '.join(result.true)} ← {_columns(result.pred)}"), "dim"),
        ))
        headers, rows = loss_rows(report, result)
        print_rows(console, headers, rows)
        for name, reason in result.skipped.items():
            _note(f"{name}: skipped, {reason}", console)
        agreement = agreement_text(result)
        if agreement:
            _note(agreement, console)
        if result.calibration:
            what, headers, rows, murphy = reliability_rows(result, bars=True)
            print_rows(console, headers, rows, names=(), title=f"{result.pair}: {what}")
            if murphy:
                _note(murphy, console)
        if result.per_class and len(result.per_class) <= CONFUSION_CLASSES:  # a column per class
            headers, rows, _ = class_rows(result, CONFUSION_CLASSES)
            columns = [[header] + [row[i] for row in rows] for i, header in enumerate(headers[1:], 1)]
            print_rows(console, ["", *(row[0] for row in rows)], columns, title=f"{result.pair} by true class")
        elif result.per_class:
            headers, rows, hidden = class_rows(result, 30, columns=4)
            print_rows(console, headers, rows, title=f"{result.pair} by true class")
            if hidden:
                _note(f"… and {hidden} more classes (all of them in --format json)", console)
        confusion = confusion_rows(result)
        if confusion:
            headers, rows = confusion
            print_rows(console, headers, rows, title=f"{result.pair}: confusion matrix (rows: true class)")
        if result.worst:
            print_worst(result, console)
        headers, rows, hidden = group_rows(report, result, 30, columns=4)
        if rows:
            print_rows(console, headers, rows, title=f"{result.pair} by {headers[0]}, the worst first")
            if hidden:
                _note(f"… and {hidden} more groups (all of them in --format json or csv)", console)
        console.print()
    if report.gates:
        print_gates(report.gates, console)
    console.print(Text(report.signature, style="dim"), soft_wrap=True)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value[:6]) + (", …]" if len(value) > 6 else "]")
    return fmt(value) if isinstance(value, float) else str(value)


def worst_rows(result: Result) -> tuple[str, list[str], list[list[str]], tuple[int, ...]]:
    """``--worst``: what the rows are, their headers and cells, and which columns hold data values
    (ids, labels, predictions) rather than numbers."""
    main = next(iter(result.losses))
    worst = result.worst or []
    if result.is_comparison:
        rows = [[str(e["row"]), fmt(e["base"]), fmt(e["new"]), f"{e['change']:+.6g}"] for e in worst]
        return f"the rows whose {main} changed most", ["row", "base", "new", "change"], rows, ()
    with_id = any("id" in entry for entry in worst)  # the file has an id column
    rows = [[str(entry["row"])] + ([str(entry.get("id") or "")] if with_id else [])
            + [_short(entry["true"]), _short(entry["pred"]), fmt(entry["loss"])] for entry in worst]
    headers = ["row"] + (["id"] if with_id else []) + ["true", "pred", main]
    values = (1, 2, 3) if with_id else (1, 2)
    return f"the rows that add most to {main}", headers, rows, values


def print_worst(result: Result, console: Any) -> None:
    what, headers, rows, _ = worst_rows(result)
    print_rows(console, headers, rows, names=(1,) if "id" in headers else (), title=f"{result.pair}: {what}")


def print_gates(gates: list[Gate], console: Any) -> None:
    from rich.text import Text

    rows = []
    for gate in gates:
        verdict = Text("pass", style="green") if gate.passed else Text("warn", style="bold yellow") \
            if gate.level == "warn" else Text("FAIL", style="bold red")
        source = gate.source if gate.reason is None else f"{gate.source}: {gate.reason}"
        loss = (gate.loss or "—") + _gate_scope(gate)
        rows.append([gate.pair, loss, fmt(gate.value), _gate_limit(gate), source, verdict])
    print_rows(console, ["pair", "loss", "value", "limit", "source", "verdict"], rows, names=(0, 1, 4), title="gates")
    console.print()


def _columns(columns: list[str]) -> str:
    return ", ".join(columns) if len(columns) <= 4 else f"{columns[0]} … {columns[-1]} ({len(columns)} columns)"


def render(report: Report, fmt_: str, width: int = 100) -> bytes:
    """The report in ``fmt_`` as UTF-8 (the table without colour, for files)."""
    return b"".join(render_pieces(report, fmt_, width))


def render_pieces(report: Report, fmt_: str, width: int = 100) -> Iterator[bytes]:
    """:func:`render` in pieces, as they are written (JSON and CSV hold many groups a batch at a time)."""
    if fmt_ == "json":
        yield from json_pieces(report)
    elif fmt_ == "csv":
        yield from csv_pieces(report)
    elif fmt_ == "markdown":
        yield to_markdown(report).encode()
    elif fmt_ == "openmetrics":
        yield to_openmetrics(report).encode()
    else:
        from rich.console import Console

        text = io.StringIO()
        print_table(report, Console(file=text, width=width, color_system=None, force_terminal=False, emoji=False))
        yield text.getvalue().encode()
