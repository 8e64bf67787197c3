"""Terminal layouts: at any width a table keeps every number whole (blocks replace it when narrow)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from losscli.report import fmt, print_table
from losscli.results import Report

from .conftest import SAMPLE_DATA, csv_text, run


def too_wide(text: str, width: int) -> list[str]:
    """Lines wider than the console, but the signature (one line, to copy whole)."""
    return [line for line in text.splitlines() if len(line) > width and not line.startswith("losscli:")]


def rendered(report: dict, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    print_table(Report.from_dict(report), console)
    return console.export_text()


def numbers_of(report: dict) -> list[str]:
    """Every number the table shows, as it shows them."""
    shown = []
    for result in report["results"]:
        if result.get("group") is not None:
            continue
        for name, value in result["losses"].items():
            shown.append(fmt(value))
            for bound in result["ci"].get(name) or []:
                shown.append(fmt(bound))
            if "diff" in result:
                shown += [fmt(result["base"][name]), f"{result['diff'][name]:+.6g}", f"{result['p_value'][name]:.3g}"]
        for entry in result.get("worst") or []:
            shown += [str(entry["row"]), fmt(entry["loss"])]
    for gate in report["gates"]:
        shown += [fmt(gate["value"]), fmt(gate["max"])]
    return shown


@pytest.fixture
def two_models(write):
    rng = np.random.default_rng(3)
    y = np.arange(300) % 2
    base = write("base.csv", csv_text({"id": list(range(300)), "y_true": y, "y_pred": list(rng.uniform(0.01, 0.99, 300))}))
    new = write("new.csv", csv_text({"id": list(range(300)), "y_true": y, "y_pred": list(rng.uniform(0.01, 0.99, 300))}))
    return base, new


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_compare_shows_every_number_at_any_width(two_models, width):
    report = run("compare", *two_models, "--max-increase", "brier=1%", "--format", "json").json
    text = rendered(report, width)
    assert too_wide(text, width) == []
    missing = [number for number in numbers_of(report) if number not in text]
    assert missing == []
    assert "…" not in text


@pytest.mark.parametrize("width", [40, 80])
def test_eval_with_intervals_worst_rows_and_gates_shows_every_number(width):
    path = SAMPLE_DATA / "binary_probabilities.csv"
    report = run("eval", path, "--ci", "0.95", "--worst", "3", "--max", "brier=0.01", "--format", "json").json
    text = rendered(report, width)
    assert [number for number in numbers_of(report) if number not in text] == []
    assert "…" not in text and too_wide(text, width) == []


def test_at_80_columns_an_eval_is_still_a_table_and_skipped_lines_wrap_between_words():
    report = run("eval", SAMPLE_DATA / "binary_probabilities.csv", "--format", "json").json
    text = rendered(report, 80)
    assert "│ binary_crossentropy   │ 0.0829236 │" in text
    # the long skipped line breaks between words, under a hanging indent
    assert "  squared_hinge: skipped, predictions are probabilities; squared_hinge needs\n    decision scores" in text


def test_headers_wrap_between_words_only():
    report = run("eval", SAMPLE_DATA / "binary_probabilities.csv", "--ci", "0.95", "--format", "json").json
    for width in (40, 50, 60, 80):
        words = {word for line in rendered(report, width).splitlines() for word in line.replace("┃", " ").split()}
        assert "interval" in words, width  # never "int…" or "interv" / "al"
