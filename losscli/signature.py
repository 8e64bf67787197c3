"""The signature of a report: one line naming every setting that moves a number, and the data.

Like sacreBLEU's, two reports with the same signature were computed the same way on the same rows,
so their numbers compare. ``eval``, ``compare`` and ``merge`` build it here, from the typed options
(one setting has one spelling: ``focal.gamma=3`` and ``focal_loss.gamma=3.0`` give ``focal.gamma=3.0``),
and :func:`fingerprint`, the order-free hash of the rows behind its ``data:sha256``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import __version__
from .bootstrap import splitmix64
from .options import EvalOptions
from .registry import Inputs
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
    :func:`fingerprint`): the same for one file, its chunks, or its shards merged."""
    return hashlib.sha256(f"{fingerprint & MASK64:016x}".encode()).hexdigest()[:8]


def _eps(results: Iterable[Result]) -> float | None:
    for result in results:
        for name, values in result.params.items():
            if "eps" in values and name.endswith("crossentropy"):
                return float(values["eps"])
    return None


def _text(value: Any) -> str:
    if isinstance(value, Mapping):  # a class_weight mapping: {cat:2.0;dog:1.0}, no spaces and no commas
        return "{" + ";".join(f"{k}:{_text(v)}" for k, v in value.items()) + "}"
    return repr(value) if isinstance(value, float) else str(value)


def fingerprint(inputs: Inputs) -> int:
    """An order-free hash of the rows evaluated: the sum, mod 2^64, of a 64-bit hash of each row's
    labels, predictions and weight. Chunks and shards add up to the hash of the whole.

    A row's hash is SplitMix64's finaliser of Σ_c bits(x_c) · K_c (mod 2^64) over its cells, with a
    distinct odd constant K_c per cell position.
    """
    n = inputs.n
    rows = np.zeros(n, dtype=np.uint64)
    product = np.empty(n, dtype=np.uint64)
    labels = inputs.index.astype(np.float64) if inputs.index is not None else inputs.y
    position = 0
    with np.errstate(over="ignore"):
        for array in (labels, inputs.pred, inputs.w, inputs.var):  # (var: after the others, None leaves them)
            if array is None:
                position += 1000
                continue
            matrix = array.reshape(n, -1)
            for k in range(matrix.shape[1]):
                bits = np.ascontiguousarray(matrix[:, k], dtype=np.float64).view(np.uint64)
                factor = np.uint64((2 * position + 1) * 0x9E3779B97F4A7C15 % (1 << 64))
                rows += np.multiply(bits, factor, out=product)
                position += 1
            position += 1000 - matrix.shape[1]
        return int(splitmix64(rows).sum(dtype=np.uint64))
