"""Custom losses: ``--plugin FILE.py`` and installed packages (entry-point group ``losscli.losses``).

A plugin registers losses with the same ``@loss`` decorator the built-ins use, so its losses get
the registry's weighting, partial sums, skipping, aliases, gates, intervals, groups, ``--worst``,
chunking and merging. A plugin that fails to import, registers a name already taken, or decorates
a function of the wrong shape is a usage error naming its file and line.
"""

from __future__ import annotations

import importlib.util
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import losses as _builtin_losses  # noqa: F401  (built-ins first: plugins cannot take their names)
from .errors import LossCliError, UsageError
from .registry import registering_as

GROUP = "losscli.losses"
_LOADED: set[str] = set()
_FILES: list[str] = []  # plugin files loaded, in order: a Dask worker loads them too


def loaded_files() -> list[str]:
    """The plugin files loaded in this process (absolute paths), in the order they were loaded."""
    return list(_FILES)


def _line(error: BaseException, path: str) -> str:
    """``FILE:LINE`` of the deepest frame of ``error`` inside the plugin file."""
    line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == Path(path).resolve():
            line = frame.lineno
    return f"{path}:{line}" if line else path


def load_file(path: str) -> None:
    """Import a plugin file once; its ``@loss`` functions are registered with the file as origin."""
    resolved = str(Path(path).resolve())
    if resolved in _LOADED:
        return
    if not Path(path).is_file():
        raise UsageError(f"--plugin {path}: no such file")
    import hashlib

    name = "losscli_plugin_" + hashlib.sha1(resolved.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise UsageError(f"--plugin {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        with registering_as(f"plugin {path}"):
            spec.loader.exec_module(module)
    except LossCliError as error:
        raise UsageError(f"{_line(error, path)}: {error}") from None
    except SyntaxError as error:
        raise UsageError(f"{path}:{error.lineno}: the plugin is not valid Python ({error.msg})") from None
    except Exception as error:  # noqa: BLE001 - the plugin's own bug: say where, never a traceback
        raise UsageError(f"{_line(error, path)}: the plugin failed to import ({type(error).__name__}: {error}); "
                         "fix it, or leave out --plugin") from None
    _LOADED.add(resolved)
    _FILES.append(resolved)


def entry_points(group: str) -> Any:
    """The installed distributions' entry points of ``group`` (importlib.metadata, imported here,
    when one may declare it: :func:`may_be_declared`)."""
    if not may_be_declared(group):
        return []
    from importlib.metadata import entry_points as declared

    return declared(group=group)


def may_be_declared(group: str) -> bool:
    """Whether an installed distribution may declare entry points of ``group``: its name in the
    ``entry_points.txt`` of a ``*.dist-info`` or ``*.egg-info`` folder (or the ``EGG-INFO`` of an
    unzipped ``*.egg``) in a folder of ``sys.path``, where importlib.metadata finds them. A path
    entry that is a file (a zip), a folder that cannot be listed, or a finder of distributions
    other than the standard one may hold one too.

    A speed trick, kept because it pays: importing importlib.metadata (email, zipfile, csv…) took
    37 ms and its scan 4–11 ms on every run, of a 2-row file's 0.25 s (the test venv, 219
    distributions); this look takes 3 ms."""
    import os
    import sys
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return True
    name = group.encode()
    for entry in sys.path:
        folder = entry or "."
        if os.path.isfile(folder):
            return True
        if not os.path.isdir(folder):
            continue
        try:
            with os.scandir(folder) as items:
                found = [os.path.join(item.path, "EGG-INFO") if item.name.lower().endswith(".egg") else item.path
                         for item in items if item.name.lower().endswith((".dist-info", ".egg-info", ".egg"))]
        except OSError:
            return True
        for path in found + [os.path.join(folder, "EGG-INFO")]:  # (a folder on sys.path may be an egg itself)
            try:
                with open(os.path.join(path, "entry_points.txt"), "rb") as declared:
                    if name in declared.read():
                        return True
            except OSError:  # (no entry points)
                continue
    return False


def load_entry_points() -> None:
    """Import every installed package that declares the ``losscli.losses`` entry point group."""
    for point in entry_points(group=GROUP):
        key = f"entry point {point.name} = {point.value}"
        if key in _LOADED:
            continue
        package = getattr(point.dist, "name", None) or point.value
        try:
            with registering_as(f"package {package}"):
                point.load()
        except LossCliError as error:
            raise UsageError(f"{key} (package {package}): {error}") from None
        except Exception as error:  # noqa: BLE001 - the package's own bug is a usage error, never a traceback
            raise UsageError(f"{key} (package {package}) failed to import ({type(error).__name__}: {error}); "
                             "fix or uninstall the package") from None
        _LOADED.add(key)


def load(files: Iterable[str] = ()) -> None:
    """Installed plugins, then the ``--plugin`` files."""
    load_entry_points()
    for path in files:
        load_file(path)
