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
    # C1 controls (CSI, OSC), bidi overrides, and two colons in a row anywhere (a wrapped table line)
    assert one_line("\x9b2J\u202ex") == "\\x9b2J\\u202ex"
    assert one_line("a ::warning::x:::") == "a :\u200b:warning:\u200b:x:\u200b:\u200b:"
    assert markdown("a|b") == "`a\\|b`" and markdown("x`y") == "``x`y``" and markdown("`x") == "`` `x ``"
    assert spreadsheet("=1+2") == "'=1+2" and spreadsheet("-0.5") == "-0.5" and spreadsheet("abc") == "abc"
    assert workflow("50%\r\n::x\x1b[2J") == "50%25\\r\\n:\u200b:x\\x1b[2J"  # (on one line, as on standard error)
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
    assert "a%250A:\u200b:warning:\u200b:x" in annotation  # the % of the column's literal %0A escaped: no line break


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_rich_markup_in_a_value_is_printed_as_written(write, fmt):
    path = write("p.csv", "site,y_true,y_pred\n[red]x[/red],1,0.8\n[bold]y,0,0.3\n")
    result = run("eval", path, "--group-by", "site", "--format", fmt)
    assert result.code == 0
    assert "[red]x[/red]" in result.stdout and "[bold]y" in result.stdout


def test_no_line_of_any_text_output_can_start_a_workflow_command(write, monkeypatch):
    # a pair named by its label column starts the table's line; a group starts a block's line; a
    # long heading wraps where the value begins (GitHub trims the line's spaces before "::")
    monkeypatch.setenv("COLUMNS", "80")
    preds = write("p.csv", "id,::warning::x\n1,0.9\n2,0.2\n3,0.7\n4,0.4\n")
    truth = write("l.csv", "id,::warning::x\n1,1\n2,0\n3,1\n4,0\n")
    groups = write("g.csv", "site,y_true,y_pred\n::warning::pwn,1,0.8\nb,0,0.3\n::x,1,0.6\n")
    wide = write("w.csv", "x ::warning::pwned_true,x ::warning::pwned_pred\n1,0.8\n0,0.3\n")
    outputs = [run("eval", preds, "--labels", truth, "--format", "table"),
               run("eval", groups, "--group-by", "site", "--format", "table"),
               run("eval", groups, "--group-by", "site", "--format", "csv"),
               run("eval", wide, "--format", "table")]
    for result in outputs:
        assert result.code == 0, result.stderr
        assert "::" not in result.stdout + result.stderr  # (a zero-width space between the colons)
        assert ":\u200b:warning" in result.stdout


def test_terminal_control_sequences_never_reach_a_text_output(write, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    raw = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e", "\r")
    hostile = write("e.csv", 'y_true,y_pred,"\x1b[2J\x9b2Jcol\u202e\x07",site\n1,0.9,a,"x\x1b[2Jy"\n0,0.2,b,"p\rq"\n')
    for args in (["--format", "json"], ["--group-by", "site", "--format", "openmetrics"],
                 ["--group-by", "site", "--format", "table"], ["--group-by", "site", "--format", "csv"]):
        result = run("eval", hostile, *args)
        assert result.code == 0, result.stderr
        text = result.stdout + result.stderr if args[-1] != "json" else result.stderr  # (JSON escapes its own)
        assert not any(character in text for character in raw), (args, text)
    (tmp_path / "h.csv").write_text('epoch,loss,"\x1b=val\x07loss[/]"\n1,0.9,1.0\n2,0.7,0.8\n3,0.6,0.9\n')
    history = run("history", tmp_path / "h.csv", "--format", "table")
    assert history.code == 0, history.stderr  # (the name's "[/]" was rich markup: MarkupError, exit 4)
    assert not any(character in history.stdout for character in raw) and "loss[/]" in history.stdout


def test_emoji_codes_in_the_data_stay_text(write):
    # (rich printed the class :thumbs_up: as 👍 in --explain)
    path = write("e.csv", "y_true,p_:thumbs_up:,p_:thumbs_down:\n:thumbs_up:,0.8,0.2\n:thumbs_down:,0.3,0.7\n")
    result = run("eval", path, "--explain", "--format", "table")
    assert result.code == 0, result.stderr
    text = result.stdout + result.stderr
    assert "👍" not in text and ":thumbs_up:" in text
