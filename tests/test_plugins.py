"""Custom losses from a file, from an installed entry point and from code; broken plugins refused."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losscli
from losscli import plugins

from .conftest import SAMPLE_DATA, run

REGRESSION = SAMPLE_DATA / "regression.csv"
DF = pd.read_csv(REGRESSION)
Y, V = DF.y_true.to_numpy(), DF.y_pred.to_numpy()


def _plugin(write, name: str, body: str) -> str:
    return write(f"{name}.py", "import numpy as np\nfrom losscli import loss\n\n" + body)


def test_a_plugin_file_through_the_cli_with_parameters(write):
    path = _plugin(write, "cubic", '''
@loss("cubic_error_file", tasks=["regression"], params={"power": 3.0})
def cubic_error(y_true, y_pred, *, power):
    """Mean of |y - ŷ|^power."""
    return np.abs(y_true - y_pred) ** power
''')
    result = run("eval", REGRESSION, "--plugin", path, "--loss", "cubic_error_file", "--param", "cubic_error_file.power=2")
    assert result.code == 0, result.stderr
    assert result.losses()["cubic_error_file"] == pytest.approx(np.mean(np.abs(Y - V) ** 2), rel=1e-12)
    # weights, gates and intervals come for free
    weighted = run("eval", REGRESSION, "--plugin", path, "--loss", "cubic_error_file", "--weight", "id",
                   "--max", "cubic_error_file=1", "--ci", "0.9")
    assert weighted.code == 1
    w = DF.id.to_numpy()
    assert weighted.losses()["cubic_error_file"] == pytest.approx(np.average(np.abs(Y - V) ** 3, weights=w), rel=1e-12)
    low, high = weighted.json["results"][0]["ci"]["cubic_error_file"]
    assert low <= weighted.losses()["cubic_error_file"] <= high
    listing = run("list", "--plugin", path, "--format", "json").json["losses"]
    entry = next(e for e in listing if e["name"] == "cubic_error_file")
    assert entry["origin"] == f"plugin {path}" and entry["params"] == {"power": 3.0}
    explained = run("explain", "cubic_error_file", "--plugin", path)
    assert explained.code == 0 and "Mean of |y - ŷ|^power." in explained.stdout


def test_the_example_plugin(tmp_path):
    example = Path(__file__).resolve().parent.parent / "examples" / "inventory_losses.py"
    result = run("eval", REGRESSION, "--plugin", example, "--loss", "inventory_mse", "--param", "stockout_mse.stockout_cost=5")
    assert result.code == 0, result.stderr
    # under-forecasts (ŷ < y) cost 5 per unit², over-forecasts 1
    expected = np.mean(np.where(V < Y, 5.0, 1.0) * (Y - V) ** 2)
    assert result.losses()["stockout_mse"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("body, message, line", [
    ("def broken(:\n    pass\n", "not valid Python", 4),
    ("raise RuntimeError('no database')\n", "failed to import (RuntimeError: no database)", 4),
    ('@loss("mse", tasks=["regression"])\ndef mine(y, p):\n    return (y - p) ** 2\n', "already registered", 4),
    ('@loss("one_arg_loss", tasks=["regression"])\ndef mine(y):\n    return y\n', "must take (y_true, y_pred", 4),
    ('@loss("params_loss", tasks=["regression"], params={"k": 1.0})\ndef mine(y, p):\n    return y\n',
     "does not take the parameter", 4),
    ('@loss("task_loss", tasks=["regresion"])\ndef mine(y, p):\n    return y\n', "unknown task", 4),
])
def test_broken_plugins_are_usage_errors_with_file_and_line(write, body, message, line):
    path = _plugin(write, f"broken_{abs(hash(body))}", body)
    result = run("eval", REGRESSION, "--plugin", path)
    assert result.code == 2, result.stderr
    assert f"{path}:{line}" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_plugin_file(tmp_path):
    result = run("eval", REGRESSION, "--plugin", tmp_path / "nope.py")
    assert result.code == 2 and "no such file" in result.stderr


@pytest.mark.parametrize("returned, message", [("np.log(y_pred - 1e9)", "gave nan at row 1"), ("y_true[:3]", "returned shape (3,)")])
def test_a_plugin_loss_returning_nan_or_the_wrong_shape(write, returned, message):
    name = f"bad_{abs(hash(returned))}"
    path = _plugin(write, name, f'''
@loss("{name}", tasks=["regression"], default=False)
def bad(y_true, y_pred):
    return {returned}
''')
    result = run("eval", REGRESSION, "--plugin", path, "--loss", name)
    assert result.code == 3 and f"loss '{name}'" in result.stderr and message in result.stderr


def test_an_installed_entry_point(tmp_path, monkeypatch):
    package = tmp_path / "site"
    package.mkdir()
    (package / "acme_losses.py").write_text(
        "from losscli import loss\n\n"
        "@loss('acme_abs_cubed', tasks=['regression'], default=False)\n"
        "def acme(y_true, y_pred):\n    return abs(y_true - y_pred) ** 3\n")
    monkeypatch.syspath_prepend(str(package))
    point = EntryPoint(name="acme", value="acme_losses", group=plugins.GROUP)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [point] if group == plugins.GROUP else [])
    result = run("eval", REGRESSION, "--loss", "acme_abs_cubed")
    assert result.code == 0, result.stderr
    assert result.losses()["acme_abs_cubed"] == pytest.approx(np.mean(np.abs(Y - V) ** 3), rel=1e-12)
    listing = run("list", "--format", "json").json["losses"]
    assert next(e for e in listing if e["name"] == "acme_abs_cubed")["origin"] == "package acme_losses"


def test_a_package_installed_with_its_metadata_is_found_and_others_skip_the_scan(tmp_path, monkeypatch):
    """The look for a declaration (plugins.may_be_declared) finds an installed package's
    ``entry_points.txt``, and importlib.metadata then loads its losses; with no declaration there
    is nothing to scan."""
    site = tmp_path / "site"
    (site / "acme_cubes-1.0.dist-info").mkdir(parents=True)
    (site / "acme_cubes-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-cubes\nVersion: 1.0\n")
    (site / "acme_cubes.py").write_text(
        "from losscli import loss\n\n"
        "@loss('acme_cubes_abs', tasks=['regression'], default=False)\n"
        "def acme(y_true, y_pred):\n    return abs(y_true - y_pred) ** 3\n")
    import sys
    from importlib.machinery import PathFinder

    with monkeypatch.context() as alone:  # (sys.path and finders as a plain run has them: others' tests add some)
        alone.setattr(sys, "path", [p for p in sys.path if p.endswith("site-packages")] + [str(site)])
        alone.setattr(sys, "meta_path", [PathFinder])
        assert not plugins.may_be_declared(plugins.GROUP + ".nothing_declares_this")
    monkeypatch.syspath_prepend(str(site))
    (site / "acme_cubes-1.0.dist-info" / "entry_points.txt").write_text(f"[{plugins.GROUP}]\nacme = acme_cubes\n")
    assert plugins.may_be_declared(plugins.GROUP)
    result = run("eval", REGRESSION, "--loss", "acme_cubes_abs")
    assert result.code == 0, result.stderr
    assert result.losses()["acme_cubes_abs"] == pytest.approx(np.mean(np.abs(Y - V) ** 3), rel=1e-12)


def test_the_look_for_a_declaration_sees_eggs_and_takes_what_it_cannot_read_as_a_maybe(tmp_path, monkeypatch):
    """An unzipped egg (``python setup.py install``) keeps its entry points in EGG-INFO; a folder
    that cannot be listed raised PermissionError (exit 4) and is now a maybe, as a zip is."""
    group = plugins.GROUP + ".look"
    egg = tmp_path / "site" / "acme-0.1-py3.11.egg" / "EGG-INFO"
    egg.mkdir(parents=True)
    (egg / "entry_points.txt").write_text(f"[{group}]\nacme = acme_mod\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert plugins.may_be_declared(group)
    monkeypatch.syspath_prepend(str(tmp_path / "site" / "acme-0.1-py3.11.egg"))  # (the egg itself on the path)
    (egg / "entry_points.txt").write_text("")
    import sys
    from importlib.machinery import PathFinder

    with monkeypatch.context() as alone:  # (sys.path and finders as a plain run has them: others' tests add some)
        alone.setattr(sys, "path", [p for p in sys.path if p.endswith("site-packages") or "acme" in p])
        alone.setattr(sys, "meta_path", [PathFinder])
        assert not plugins.may_be_declared(group)
    (egg / "entry_points.txt").write_text(f"[{group}]\n")
    assert plugins.may_be_declared(group)
    (egg / "entry_points.txt").write_text("")
    import os

    def unreadable(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", unreadable)
    assert plugins.may_be_declared(group)


def test_a_broken_entry_point_is_a_usage_error(monkeypatch):
    point = EntryPoint(name="ghost", value="no_such_module_anywhere", group=plugins.GROUP)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [point])
    result = run("eval", REGRESSION)
    assert result.code == 2 and "entry point ghost" in result.stderr and "ModuleNotFoundError" in result.stderr


def test_the_python_api_with_a_loss_decorated_in_code():
    @losscli.loss("api_half_squared", tasks=["regression"], params={"scale": 0.5}, default=False)
    def half_squared(y_true, y_pred, *, scale):
        return scale * (y_true - y_pred) ** 2

    report = losscli.evaluate(DF, loss=["api_half_squared", "mse"], params={"api_half_squared": {"scale": 2}})
    losses = report["results"][0]["losses"]
    assert losses["api_half_squared"] == pytest.approx(2 * np.mean((Y - V) ** 2), rel=1e-12)
    assert losses["mse"] == pytest.approx(np.mean((Y - V) ** 2), rel=1e-12)


def test_plugins_from_the_config_file(tmp_path, monkeypatch, write):
    (tmp_path / "team_losses.py").write_text(
        "from losscli import loss\n\n@loss('team_abs', tasks=['regression'], default=False)\n"
        "def team(y_true, y_pred):\n    return abs(y_true - y_pred)\n")
    (tmp_path / "losscli.toml").write_text('plugins = ["team_losses.py"]\nloss = ["team_abs"]\n')
    monkeypatch.chdir(tmp_path)
    result = run("eval", REGRESSION)
    assert result.code == 0 and result.losses()["team_abs"] == pytest.approx(np.mean(np.abs(Y - V)), rel=1e-12)


def test_shell_completion_is_offered():
    assert "--install-completion" in run("--help").stdout


def test_merge_needs_the_plugin_of_a_plugin_loss(write, tmp_path):
    path = _plugin(write, "merge_plugin", '''
@loss("merge_abs", tasks=["regression"], default=False)
def merge_abs(y_true, y_pred):
    return np.abs(y_true - y_pred)
''')
    state = tmp_path / "s.json"
    assert run("eval", REGRESSION, "--plugin", path, "--loss", "merge_abs", "--state", state).code == 0
    from losscli import registry

    registry._SPECS.pop("merge_abs")  # as in a new process, without the plugin
    plugins._LOADED.clear()
    result = run("merge", state)
    assert result.code == 2 and "--plugin" in result.stderr
    merged = run("merge", state, "--plugin", path)
    assert merged.code == 0 and merged.losses()["merge_abs"] == pytest.approx(np.mean(np.abs(Y - V)), rel=1e-12)


def test_a_plugins_nan_is_named_by_its_row_in_the_file_not_in_its_chunk(write):
    """The NaN is at data row 350,001: past the first chunk (a MiB of text, 175k of these rows) and
    in a later block of its own."""
    rows = 400_000
    labels = np.arange(rows) % 7 + 1.0
    labels[350_000] = -1.0  # data row 350,001 (rows count from 1 after the header)
    data = write("big.csv", "y_true,y_pred\n" + "".join(f"{y:g},0.5\n" for y in labels))
    path = _plugin(write, "sqrt_loss", '''
@loss("sqrt_loss", tasks=["regression"], default=False)
def sqrt_loss(y_true, y_pred):
    return np.sqrt(y_true) * y_pred
''')
    result = run("eval", data, "--plugin", path, "--loss", "sqrt_loss")
    assert result.code == 3 and "gave nan at row 350001 (1 rows in all)" in result.stderr, result.stderr
