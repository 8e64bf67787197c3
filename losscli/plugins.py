"""Custom losses: ``--plugin FILE.py`` and installed packages (entry-point group ``losscli.losses``).

A plugin registers losses with the same ``@loss`` decorator the built-ins use, so its losses get
the registry's weighting, partial sums, skipping, aliases, gates, intervals, groups, ``--worst``,
chunking and merging. A plugin that fails to import, registers a name already taken, or decorates
a function of the wrong shape is a usage error naming its file and line.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import losses as _builtin_losses  # noqa: F401  (built-ins first: plugins cannot take their names)
from .errors import LossCliError, UsageError
from .registry import registering_as

GROUP = "losscli.losses"
SETTLED_NS = 2_000_000_000  # a folder changed less than this ago (ns) is not trusted to show the next change
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
    except Exception as error:  # the plugin's own bug: say where, never a traceback
        raise UsageError(f"{_line(error, path)}: the plugin failed to import ({type(error).__name__}: {error}); "
                         "fix it, or leave out --plugin") from None
    _LOADED.add(resolved)
    _FILES.append(resolved)


def entry_points(group: str) -> Any:
    """The installed distributions' entry points of ``group`` (importlib.metadata, imported here)."""
    from importlib.metadata import entry_points as declared

    return declared(group=group)


def load_entry_points() -> None:
    """Import every installed package that declares the ``losscli.losses`` entry point group.

    The scan costs 10 ms and more (importlib.metadata's import, then a file read per installed
    distribution), at every start. An environment where it finds none is remembered as such (see
    :func:`_plugin_free_marker`) and not scanned again until a folder on ``sys.path`` changes.
    """
    marker = _plugin_free_marker()
    if marker is not None and _read(marker[0]) == marker[1]:
        return
    points = entry_points(group=GROUP)
    if not points and marker is not None:
        _remember(*marker)
    for point in points:
        key = f"entry point {point.name} = {point.value}"
        if key in _LOADED:
            continue
        package = getattr(point.dist, "name", None) or point.value
        try:
            with registering_as(f"package {package}"):
                point.load()
        except LossCliError as error:
            raise UsageError(f"{key} (package {package}): {error}") from None
        except Exception as error:
            raise UsageError(f"{key} (package {package}) failed to import ({type(error).__name__}: {error}); "
                             "fix or uninstall the package") from None
        _LOADED.add(key)


def _plugin_free_marker() -> tuple[Path, str] | None:
    """Where the plugin-free mark of this environment lives, and what it must say to hold.

    The file is named after the interpreter and ``sys.path``, in ``$XDG_CACHE_HOME/losscli`` (by
    default ``~/.cache/losscli``), and holds each ``sys.path`` folder with its modification time:
    installing or removing a distribution adds or removes an entry in the folder it goes to, which
    changes that time, and with it the text, so the next start scans again. ``None`` when there is
    no home folder to keep it in, or when a folder changed in the last two seconds (a file system
    may give a change made within its clock's step the same time).
    """
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "losscli"
    except RuntimeError:  # no home folder
        return None
    folders = [sys.executable, *sys.path]
    lines = []
    settled = time.time_ns() - SETTLED_NS
    for folder in folders:
        try:
            changed = os.stat(folder or ".").st_mtime_ns
        except OSError:
            changed = -1
        if changed > settled:  # changed a moment ago: the same time may yet be given to a later change
            return None
        lines.append(f"{folder}\t{changed}")
    name = f"no-plugins-{zlib.crc32(chr(0).join(folders).encode()):08x}"
    return cache / name, "\n".join(lines) + "\n"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _remember(path: Path, text: str) -> None:
    """Write the plugin-free mark; a cache folder that cannot be written to is no error."""
    from .atomic import write_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(str(path), text)
    except (OSError, LossCliError):
        pass


def load(files: Iterable[str] = ()) -> None:
    """Installed plugins, then the ``--plugin`` files."""
    load_entry_points()
    for path in files:
        load_file(path)
