"""Data values (labels, column, group and model names) as plain text in every output.

losscli prints values it read from files it did not write. Each output gets them in a form that
stays text there: never the start of a new line, never two colons in a row (so never a GitHub
workflow command such as ``::add-mask::``, wherever a table wraps its line), never a terminal's
control sequence, never markdown or HTML in a pull-request comment, never a spreadsheet formula.
"""

from __future__ import annotations

import re

# control characters (C0 and C1: line breaks, escape sequences), the line and paragraph separators,
# and the marks that reorder text shown (bidi overrides, isolates and marks)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
COLONS = re.compile(r":(?=:)")  # a colon before another: "::" starts a GitHub workflow command
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula to a spreadsheet (OWASP)
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def one_line(value: object) -> str:
    r"""``value`` as text on one line: control characters written as escapes (``a\nb`` -> ``a\\nb``),
    and a zero-width space between two colons (``::warning::`` -> ``:\u200b:warning:\u200b:``), so
    that no line of the output can start a workflow command, wherever it is cut."""
    text = CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), str(value))
    return COLONS.sub(":\u200b", text) if "::" in text else text


def markdown(value: object) -> str:
    """``value`` as a markdown code span: links, HTML, @mentions, emphasis and comment markers stay
    literal text, and a ``|`` stays inside its table cell (GitHub-flavoured markdown). A zero-width
    space follows each ``<``, so a value never spells the report's ``<!-- losscli-report -->``
    marker that a CI step looks for."""
    text = one_line(value).replace("|", "\\|").replace("<", "<\u200b")  # (no <!-- marker, no tag)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def spreadsheet(value: object) -> str:
    """A text cell of a CSV file that a spreadsheet will not run: one starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice); numbers stay numbers."""
    text = one_line(value)
    return "'" + text if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text) else text


def workflow(value: object, *, property: bool = False) -> str:
    """Text inside a GitHub Actions workflow command (``::error title=P::MESSAGE``): on one line
    (:func:`one_line`), then escaped as GitHub requires: ``%``, CR and LF in a message; also ``:``
    and ``,`` in a property."""
    text = one_line(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def cut(value: object, size: int = 60) -> str:
    """A cell's text for a message: quoted, on one line, at most ``size`` characters."""
    text = one_line(value)
    return repr(text if len(text) <= size else text[:size] + "…")
