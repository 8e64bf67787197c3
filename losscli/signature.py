"""The signature of a report: one line naming every setting that moves a number, and the data.

Like sacreBLEU's, two reports with the same signature were computed the same way on the same rows,
so their numbers compare. ``eval``, ``compare`` and ``merge`` build it here, from the typed options
(one setting has one spelling: ``focal.gamma=3`` and ``focal_loss.gamma=3.0`` give ``focal.gamma=3.0``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import __version__
from .options import EvalOptions
from .results import Result
from .state import MASK64


@dataclass(frozen=True)
class Signature:
    """``losscli:V[|compare]|task:T|pred:K[|eps:E][|params:L.K=V,…][|ci:C|boot:B|seed:S]|w:W|n:N|data:sha256:H``.

    Several pairs join their tasks and kinds with ``+`` (each once) and their row counts with ``+``.
    ``eps`` is the clipping of the cross-entropies; ``params`` every other parameter set by the options.
    """

    tasks: tuple[str, ...]
    kinds: tuple[str, ...]
    eps: float | None
    params: tuple[str, ...]
    bootstrap: str | None
    weight: str | None
    rows: tuple[int, ...]
    data: str
    compare: bool = False

    def __str__(self) -> str:
        parts = [f"losscli:{__version__}"] + (["compare"] if self.compare else [])
        parts += [f"task:{'+'.join(dict.fromkeys(self.tasks))}", f"pred:{'+'.join(dict.fromkeys(self.kinds))}"]
        if self.eps is not None:
            parts.append(f"eps:{self.eps:.2g}")
        if self.params:
            parts.append("params:" + ",".join(self.params))
        if self.bootstrap is not None:
            parts.append(self.bootstrap)
        parts += [f"w:{self.weight or 'none'}", f"n:{'+'.join(str(n) for n in self.rows)}", f"data:sha256:{self.data}"]
        return "|".join(parts)


def signature(results: Sequence[Result], options: EvalOptions, fingerprint: int, compare: bool = False) -> str:
    """The signature of ``results`` computed with ``options`` on rows whose order-free hash is
    ``fingerprint``."""
    changed = sorted(f"{loss}.{key}={_text(value)}" for loss, values in options.params.items()
                     for key, value in values.items() if key != "eps")
    boot = None if options.ci is None else f"ci:{options.ci:g}|boot:{options.bootstrap}|seed:{options.seed}"
    return str(Signature(tuple(r.task for r in results), tuple(r.predictions for r in results),
                         _eps(results), tuple(changed), boot, options.weight, tuple(r.n for r in results),
                         data_hash(fingerprint), compare))


def data_hash(fingerprint: int) -> str:
    """8 hex digits of SHA-256 over an order-free fingerprint of the rows (see
    :func:`losscli.evaluation.fingerprint`): the same for one file, its chunks, or its shards merged."""
    return hashlib.sha256(f"{fingerprint & MASK64:016x}".encode()).hexdigest()[:8]


def _eps(results: Iterable[Result]) -> float | None:
    for result in results:
        for name, values in result.params.items():
            if "eps" in values and name.endswith("crossentropy"):
                return float(values["eps"])
    return None


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)
