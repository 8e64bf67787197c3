"""Inputs at an address: ``s3://``, ``gs://``, ``hdfs://``, ``abfs://`` … through pyarrow's file
systems (built into pyarrow), and ``http(s)://`` through the standard library.

Each store finds its credentials where its own tools do (``AWS_ACCESS_KEY_ID``, ``~/.aws/``, an
instance role, ``AWS_ENDPOINT_URL`` for an S3-compatible server; Google's and Azure's defaults);
losscli never reads them. An address holding a user or password is refused: it would be printed in
every message and report. A glob (``s3://bucket/preds/*.parquet``) lists the files of its folder
whose names match (``*`` and ``[…]`` in the last part only).
"""

from __future__ import annotations

import fnmatch
import re
from typing import IO, Any
from urllib.parse import urlsplit

from .errors import DataError, UsageError

ADDRESS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
HTTP = ("http", "https")
TIMEOUT = 60  # seconds an HTTP server may take to answer


def is_address(path: str) -> bool:
    """Whether PRED is an address (``scheme://…``) rather than a local path."""
    return bool(ADDRESS.match(path))


def is_glob_address(path: str) -> bool:
    """Whether an address is a glob: ``*`` or ``[`` in its last part (``?`` starts an address's
    query, as in ``s3://bucket/key?region=eu-west-1``); an HTTP address never is."""
    scheme, _, rest = path.partition("://")
    return scheme.lower() not in HTTP and any(c in rest.partition("?")[0].rpartition("/")[2] for c in "*[")


def _checked(path: str) -> str:
    """The scheme of an address, after refusing one that holds a user or password."""
    parts = urlsplit(path)
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{parts.scheme}://…: the address holds a user or password, which would be printed in "
                         "messages and reports; give credentials the store's own way (environment variables, "
                         "its config files) and the address without them")
    return parts.scheme.lower()


def open_address(path: str) -> IO[bytes]:
    """The file at ``path`` as a binary stream: seekable (pyarrow's file systems) or not (HTTP)."""
    scheme = _checked(path)
    if scheme in HTTP:
        return _open_http(path)
    import pyarrow as pa
    import pyarrow.fs as pafs

    try:
        store, inner = pafs.FileSystem.from_uri(path)
        info = store.get_file_info(inner)
        if info.type == pafs.FileType.NotFound:
            raise DataError(f"{path}: no such file")
        if info.type == pafs.FileType.Directory:
            raise DataError(f"{path}: is a directory, not a file")
        return store.open_input_file(inner)
    except pa.ArrowInvalid as error:
        raise UsageError(f"{path}: not an address losscli can read ({error}); it reads s3://, gs://, hdfs://, "
                         "abfs:// and http(s)://") from None
    except (OSError, pa.ArrowException) as error:
        raise DataError(f"{path}: cannot be read ({_one_line(error)})") from None


def _open_http(path: str) -> IO[bytes]:
    import urllib.error
    import urllib.request

    try:
        return urllib.request.urlopen(path, timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        raise DataError(f"{path}: cannot be read (HTTP {error.code} {error.reason})") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DataError(f"{path}: cannot be read ({_one_line(getattr(error, 'reason', error))})") from None


def glob(pattern: str) -> list[str]:
    """The files at ``pattern``'s folder whose names match its last part, sorted, as addresses."""
    scheme = _checked(pattern)
    if scheme in HTTP:
        raise UsageError(f"{pattern}: an HTTP address cannot be listed; name each file")
    folder, _, name = pattern.rpartition("/")
    if any(c in folder.split("://", 1)[1] for c in "*?["):
        raise UsageError(f"{pattern}: wildcards only in the file name (the last part of the address)")
    import pyarrow as pa
    import pyarrow.fs as pafs

    try:
        store, inner = pafs.FileSystem.from_uri(folder)
        found: list[Any] = store.get_file_info(pafs.FileSelector(inner, allow_not_found=True))
    except pa.ArrowInvalid as error:
        raise UsageError(f"{pattern}: not an address losscli can read ({error})") from None
    except (OSError, pa.ArrowException) as error:
        raise DataError(f"{pattern}: cannot be listed ({_one_line(error)})") from None
    names = sorted(info.base_name for info in found if info.type == pafs.FileType.File)
    return [f"{folder}/{base}" for base in names if fnmatch.fnmatchcase(base, name)]


def _one_line(error: object) -> str:
    from .escape import one_line

    return one_line(error)[:300]
