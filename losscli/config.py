"""``[tool.losscli]`` of pyproject.toml, or the top level of losscli.toml -> a frozen :class:`Config`.

The nearest file from the working directory upward wins (a pyproject.toml without a
``[tool.losscli]`` table does not count). Flags override the file. A file that is not valid TOML,
or has an unknown key or a value of the wrong type, is a data error naming the file and the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError, LossCliError, closest
from .gates import Threshold, parse_amount, parse_threshold

KEYS = ("loss", "params", "gates", "warn", "baseline", "compare", "plugins")
BASELINE_KEYS = ("file", "tolerance")
COMPARE_KEYS = ("max_increase", "significant")


@dataclass(frozen=True)
class Config:
    path: str | None = None
    loss: tuple[str, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # as written: typed by options.typed_params
    gates: tuple[Threshold, ...] = ()
    baseline: str | None = None
    tolerance: str | None = None
    max_increase: tuple[Threshold, ...] = ()
    significant: bool = False
    plugins: tuple[str, ...] = ()  # plugin files, relative to the config file


def find(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest losscli.toml, or pyproject.toml with [tool.losscli], from ``start`` upward."""
    for folder in (start, *start.parents):
        for name in ("losscli.toml", "pyproject.toml"):
            path = folder / name
            if path.is_file():
                if name == "losscli.toml":
                    return path, _read(path)
                if _may_configure_losscli(path):
                    section = _read(path).get("tool", {}).get("losscli")
                    if section is not None:
                        return path, section
    return None


def _may_configure_losscli(path: Path) -> bool:
    """False when the file cannot hold a [tool.losscli] table: the word is nowhere in it (however
    the table is written, ``[tool.losscli]``, dotted keys or an inline table, its name is there).
    Most projects' pyproject.toml is then not parsed at all. An unreadable file is parsed, to say why."""
    try:
        return b"losscli" in path.read_bytes()
    except OSError:
        return True


def _read(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"config {path}: not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise DataError(f"config {path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as error:
        raise DataError(f"config {path}: cannot be read ({error.strerror})") from None


def load(explicit: str | None = None, start: Path | None = None) -> Config:
    """The config from ``explicit`` (``--config``) or the nearest file, or an empty Config."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise DataError(f"--config {explicit}: no such file")
        table = _read(path)
        if path.name == "pyproject.toml":
            table = table.get("tool", {}).get("losscli", {})
        found: tuple[Path, dict[str, Any]] | None = (path, table)
    else:
        found = find(start or Path.cwd())
    if found is None:
        return Config()
    path, table = found
    try:
        return _parse(path, table)
    except LossCliError as error:  # a bad loss name or number inside the file
        raise DataError(f"config {path}: {error}") from None


def _check_may_run_code(path: Path) -> None:
    """A config file names plugins (code that losscli imports) only when it is owned by the running
    user or root and no one else may write it, as git's ``safe.directory`` trusts a repository: a
    downloaded folder's losscli.toml, or one that others can change, never runs code."""
    import stat

    if not hasattr(os, "getuid"):  # (no POSIX owners: Windows)
        return
    info = path.stat()
    if info.st_uid not in (os.getuid(), 0):
        raise DataError(f"names plugins, but the file belongs to another user (uid {info.st_uid}); losscli imports "
                        "a config file's plugins only from files you own. Pass --no-config, or --plugin FILE")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise DataError(f"names plugins, but others may write the file (mode {stat.filemode(info.st_mode)}); "
                        "losscli imports a config file's plugins only when no one else can change it "
                        f"(chmod go-w {path}), or pass --no-config")


def _bad(key: str, message: str) -> DataError:
    """A bad key; :func:`load` puts the file's name in front (once, as for every error inside the file)."""
    return DataError(f"key '{key}' {message}")


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise _bad(prefix + key, f"is not a losscli setting{closest(key, allowed)}; "
                                           f"settings: {', '.join(allowed)}")


def _parse(path: Path, table: dict[str, Any]) -> Config:
    _check_keys(table, KEYS, "")
    plugins = table.get("plugins", [])
    if isinstance(plugins, str):
        plugins = [plugins]
    if not isinstance(plugins, list) or not all(isinstance(x, str) and "\x00" not in x for x in plugins):
        raise _bad("plugins", "must be a list of Python files, e.g. plugins = [\"losses/my_losses.py\"]")
    if plugins:
        _check_may_run_code(path)
    loss = table.get("loss", [])
    if isinstance(loss, str):
        loss = [loss]
    if not isinstance(loss, list) or not all(isinstance(x, str) for x in loss):
        raise _bad("loss", "must be a list of loss names")
    params = table.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise _bad("params", "must be a table of tables, e.g. params = { focal = { gamma = 3.0 } }")
    gates = tuple(_thresholds(path, table.get("gates", {}), "gates", "max", allow_percent=False)
                  + _thresholds(path, table.get("warn", {}), "warn", "max", allow_percent=False))
    baseline = table.get("baseline", {})
    if isinstance(baseline, str):
        baseline = {"file": baseline}
    if not isinstance(baseline, dict):
        raise _bad("baseline", "must be a table with file and tolerance")
    _check_keys(baseline, BASELINE_KEYS, "baseline.")
    file = baseline.get("file")
    if file is not None and (not isinstance(file, str) or "\x00" in file):  # (a NUL byte is in no path)
        raise _bad("baseline.file", "must be a path")
    tolerance = baseline.get("tolerance")
    if tolerance is not None:
        tolerance = str(tolerance)
        parse_amount(tolerance, "baseline.tolerance", allow_percent=True)
    compare = table.get("compare", {})
    if not isinstance(compare, dict):
        raise _bad("compare", "must be a table with max_increase and significant")
    _check_keys(compare, COMPARE_KEYS, "compare.")
    significant = compare.get("significant", False)
    if not isinstance(significant, bool):
        raise _bad("compare.significant", "must be true or false")
    return Config(
        path=str(path), loss=tuple(loss), params=params, gates=gates,
        baseline=str((path.parent / file).resolve()) if file else None, tolerance=tolerance,
        max_increase=tuple(_thresholds(path, compare.get("max_increase", {}), "compare.max_increase",
                                       "max", allow_percent=True)),
        significant=significant,
        plugins=tuple(str((path.parent / p).resolve()) for p in plugins),
    )


def _thresholds(path: Path, table: Any, key: str, field_: str, allow_percent: bool) -> list[Threshold]:
    """``{"label:brier" = { max = 0.05 }, mse = 3}`` -> thresholds (the bare number is the max)."""
    if not isinstance(table, dict):
        raise _bad(key, f"must be a table, e.g. [{key}] binary_crossentropy = {{ {field_} = 0.2 }}")
    found = []
    for name, entry in table.items():
        spec = entry
        if isinstance(entry, dict):
            _check_keys(entry, (field_,), f"{key}.{name}.")
            spec = entry.get(field_)
        if isinstance(spec, bool) or not isinstance(spec, (int, float, str)):
            raise _bad(f"{key}.{name}", f"needs a number: {field_} = 0.2")
        found.append(parse_threshold(f"{name}={spec}", key, allow_percent, source=str(path)))
    return found
