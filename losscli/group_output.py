"""A speed trick, kept because it pays: the JSON and CSV of many ``--group-by`` results, written from
a template instead of a result object and a dict per group.

Every group of a pair has the overall result's shape; only its ``group``, ``n`` and loss values
differ. So one group is rendered with marker values in those places, the markers are found in the
rendered text, and each group's text is the template's pieces with its own values between them
(joined in C: ``zip`` interleaves the pieces and the values, ``bytes.join`` joins them; a Python
``bytes % values`` per group took 0.17 s of the 0.41 s of the JSON below). The output is byte for
byte what rendering each group's :class:`~losscli.results.Result` writes (tests check it), and it is
made and written in batches, so memory holds a batch of it.

On 3M rows with 100k users (``bench/bench.py --only groups``), building a result and a dict per
group and indenting them took 1.9 s of the JSON's 5.0 s, and the CSV took 9 s; from the template,
the JSON's groups take about 0.2 s and the CSV's 0.6 s.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence

from .escape import spreadsheet
from .results import GroupResults

BATCH = 4096  # groups per piece written


def json_entries(groups: GroupResults, indent: int, options: int) -> Iterator[bytes]:
    """The groups' entries of the ``results`` list, as orjson writes them with ``options`` at a
    depth of ``indent`` spaces, joined by ``,``: a piece per :data:`BATCH` groups."""
    import orjson

    if not len(groups):
        return
    token = secrets.token_hex(16)  # (data cannot spell a marker: it would have to guess this)
    marker = f"\x00{token}".__add__
    template = groups[0].to_dict()
    template.update(n=marker("0"), group=marker("1"),
                    losses={name: marker(str(k + 2)) for k, name in enumerate(groups.losses)})
    text = orjson.dumps(template, option=options).replace(b"\n", b"\n" + b" " * indent)

    def slots(start: int, stop: int) -> list[list[bytes]]:
        names = [b'"%b"' % name for name in _strings(orjson.dumps(groups.names[start:stop]))]
        return [_elements(orjson.dumps(groups.rows[start:stop])), names,
                *(_elements(orjson.dumps(values[start:stop])) for values in groups.losses.values())]

    yield from _filled(text, rb'"\\u0000' + token.encode() + rb'(\d+)"', slots, len(groups), b",\n" + b" " * indent)


def csv_rows(groups: GroupResults, rows: Callable[[Sequence[Sequence[object]]], str]) -> Iterator[bytes]:
    """The groups' rows of ``--format csv`` (a row per loss, then one per skipped loss, as
    :func:`losscli.report.to_csv` writes a result), ``rows`` writing rows as CSV text: a piece per
    :data:`BATCH` groups."""
    if not len(groups):
        return
    token = secrets.token_hex(16)
    first = groups[0]
    model = [spreadsheet(first.model or ""), ""]
    text = [spreadsheet(first.pair), f"{token}1", spreadsheet(first.task), spreadsheet(first.predictions)]
    template = rows([[*text, f"{token}0", name, f"{token}{k + 2}", "", "", "", "", "", "", *model, ""]
                     for k, name in enumerate(groups.losses)]
                    + [[*text, f"{token}0", name, "", "", "", "", "", "", spreadsheet(reason), *model, ""]
                       for name, reason in first.skipped.items()])

    def slots(start: int, stop: int) -> list[list[bytes]]:
        # each name as CSV quotes it: a row of two cells, the second empty (names are one line each)
        cells = rows([[spreadsheet(name), ""] for name in groups.names[start:stop]]).split("\n")[:-1]
        return [[b"%d" % n for n in groups.rows[start:stop]], [cell[:-1].encode() for cell in cells],
                *([b"" if v is None else repr(v).encode() for v in values[start:stop]]
                  for values in groups.losses.values())]

    yield from _filled(template.encode(), token.encode() + rb"(\d+)", slots, len(groups), b"")


def _elements(array: bytes) -> list[bytes]:
    """The elements of a JSON array of numbers (or nulls), as orjson wrote it without spaces."""
    return array[1:-1].split(b",")


def _strings(array: bytes) -> list[bytes]:
    """The elements of a non-empty JSON array of strings, as orjson wrote it without spaces, without
    their quotes. (Split at ``","``, which a string never holds: its own quotes are escaped. One
    ``orjson.dumps`` per name instead would give each its own 2 KiB buffer: 400 MB for 100k names.)"""
    return array[2:-2].split(b'","')


def _filled(text: bytes, marker: bytes, slots: Callable[[int, int], list[list[bytes]]], count: int,
            separator: bytes) -> Iterator[bytes]:
    """``text`` once for each of ``count`` groups, each ``marker`` (whose group numbers a slot)
    replaced by that slot's value of the group (``slots(start, stop)``: each slot's values of those
    groups); joined by ``separator``, :data:`BATCH` groups a piece."""
    parts = re.split(marker, text)
    pieces, order = parts[0::2], [int(k) for k in parts[1::2]]  # the text between markers; the slot of each marker
    opening = separator + pieces[0]
    for start in range(0, count, BATCH):
        stop = min(start + BATCH, count)
        found = slots(start, stop)
        columns: list[Iterable[bytes]] = [itertools.chain([opening if start else pieces[0]],
                                                          itertools.repeat(opening, stop - start - 1))]
        for slot, piece in zip(order, pieces[1:]):
            columns += [found[slot], itertools.repeat(piece)]
        yield b"".join(itertools.chain.from_iterable(zip(*columns)))  # (zip stops with the groups)
