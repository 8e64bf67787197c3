"""Data values stay text in every output: no workflow command, no markdown, no spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest

from losscli.escape import markdown, one_line, spreadsheet, workflow

from .conftest import run

HOSTILE = ['a|b', 'line\nbreak', '<img src=x onerror=alert(1)>', '[link](http://evil)', '@octocat', '</details>',
           '<!-- losscli-report -->', '::add-mask::secret', '%0A::warning::x', '=HYPERLINK("http://evil")',
           '+1+1', '-2+3', '@SUM(A1)', '`tick`']


def test_the_escapes_by_hand():
    assert one_line("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert markdown("a|b") == "`a\\|b`" and markdown("x`y") == "``x`y``" and markdown("`x") == "`` `x ``"
    assert spreadsheet("=1+2") == "'=1+2" and spreadsheet("-0.5") == "-0.5" and spreadsheet("abc") == "abc"
    assert workflow("50%\r\n::x") == "50%25%0D%0A::x"
    assert workflow("a:b,c", property=True) == "a%3Ab%2Cc"


def groups_file(write) -> str:
    rows = "".join(f'"{g.replace(chr(34), chr(34) * 2)}",1,0.{i + 1}\n' for i, g in enumerate(HOSTILE))
    return write("g.csv", "site,y_true,y_pred\n" + rows)


def test_markdown_keeps_every_group_value_inside_its_cell(write):
    text = run("eval", groups_file(write), "--group-by", "site", "--format", "markdown").stdout
    assert text.count("<!-- losscli-report -->") == 1 and text.startswith("<!-- losscli-report -->\n")
    table = [line for line in text.splitlines() if line.startswith("| `")][1:]  # (after the header)
    assert len(table) == len(HOSTILE)  # one row per group, none broken by | or a line break
    for line in table:
        assert line.count(" | ") == len(line.split(" | ")) - 1
    for bad in ("<img", "](http", "</details>"):
        assert all(bad not in line or line.startswith("| `") for line in text.splitlines())
    assert "\n@octocat" not in text and "| @octocat" not in text


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(write):
    text = run("eval", groups_file(write), "--group-by", "site", "--format", "csv").stdout
    groups = [row[1] for row in csv.reader(io.StringIO(text)) if row[1] and row[0] == "y"]
    assert "'=HYPERLINK(\"http://evil\")" in groups and "'@SUM(A1)" in groups and "'+1+1" in groups
    assert not any(g.startswith(("=", "+", "-", "@")) for g in groups)
    assert all("\n" not in g for g in groups)


def test_no_data_value_starts_a_line_of_standard_error_or_an_annotation(write, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert run("eval", write("h.csv", '"x\n::add-mask::s",y_pred\n1,0.8\n')).code == 3  # a line break in the header
    preds = write("p.csv", 'id,y_pred\n"x\n::add-mask::secret",0.8\n"y\n::warning::z",0.9\n')
    truth = write("t.csv", 'id,a%0A::warning::x\n"x\n::add-mask::secret",1\n"y\n::warning::z",0\n')
    result = run("eval", preds, "--labels", truth, "--max", "log_loss=0.1", "--worst", "2", "--format", "table")
    assert result.code == 1
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("::")] == [
        line for line in lines if line.startswith(("::error title=", "::warning title=losscli::"))]
    annotation = next(line for line in lines if line.startswith("::error"))
    assert "a%250A::warning::x" in annotation  # the % of the column's literal %0A escaped: no line break


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_rich_markup_in_a_value_is_printed_as_written(write, fmt):
    path = write("p.csv", "site,y_true,y_pred\n[red]x[/red],1,0.8\n[bold]y,0,0.3\n")
    result = run("eval", path, "--group-by", "site", "--format", fmt)
    assert result.code == 0
    assert "[red]x[/red]" in result.stdout and "[bold]y" in result.stdout
