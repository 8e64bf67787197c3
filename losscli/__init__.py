"""losscli: every loss that applies to a predictions file.

``from losscli import evaluate, compare, partial, merge, loss``: numpy and pandas load only when one of
them is used. ``partial`` and ``merge`` evaluate shards (Spark, Ray, Dask partitions) and merge them.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "compare", "evaluate", "loss", "merge", "partial"]


def __getattr__(name: str) -> Any:
    if name == "loss":
        from .registry import loss

        return loss
    if name == "evaluate":
        from .api import evaluate

        return evaluate
    if name in ("compare", "partial", "merge"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")
