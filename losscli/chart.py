"""A line chart of a training curve in the terminal (rich Text) and as a PNG/SVG file, and the
reliability diagrams of ``eval --plot``."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

SERIES = (("train", "●", "cyan"), ("val", "◆", "magenta"))


def _cells(values: list[float | None], width: int, height: int, low: float, high: float) -> dict[tuple[int, int], bool]:
    """Grid cells a series passes through: (row, column) -> True at a logged point, False between."""
    span = (high - low) or 1.0
    points = [(round(i * (width - 1) / max(len(values) - 1, 1)), round((high - v) / span * (height - 1)))
              for i, v in enumerate(values) if v is not None]
    cells: dict[tuple[int, int], bool] = {}
    for (x0, y0), (x1, y1) in pairwise(points):
        for x in range(x0 + 1, x1):
            cells[(round(y0 + (y1 - y0) * (x - x0) / (x1 - x0)), x)] = False
    for x, y in points:
        cells[(y, x)] = True
    return cells


def terminal_chart(report: dict[str, Any], width: int = 60, height: int = 14) -> Any:
    """The train and validation curves, the best epoch marked, as a rich Text."""
    from rich.text import Text

    from .escape import one_line

    curve = report["curve"]
    series = {name: [row[name] for row in curve] for name, _, _ in SERIES if report[name] is not None}
    finite = [v for values in series.values() for v in values if v is not None]
    low, high = min(finite), max(finite)
    grids = {name: _cells(values, width, height, low, high) for name, values in series.items()}
    best_index = next(i for i, row in enumerate(curve) if row["epoch"] == report["best"]["epoch"])
    best_x = round(best_index * (width - 1) / max(len(curve) - 1, 1))
    labels = {0: f"{high:.4g}", height - 1: f"{low:.4g}", (height - 1) // 2: f"{(high + low) / 2:.4g}"}
    margin = max(len(t) for t in labels.values()) + 1
    text = Text()
    for row in range(height):
        text.append(labels.get(row, "").rjust(margin - 1) + " ┤" if row in labels else " " * margin + "│", "dim")
        for x in range(width):
            for name, mark, style in SERIES:
                cell = grids.get(name, {}).get((row, x))
                if cell is not None:
                    text.append(mark if cell else "·", style)
                    break
            else:
                text.append("┆" if x == best_x else " ", "yellow" if x == best_x else "")
        text.append("\n")
    text.append(" " * margin + "└" + "─" * width + "\n", "dim")
    first, last = str(curve[0]["epoch"]), str(curve[-1]["epoch"])
    axis = [" "] * (width + 1)
    for position, label in ((0, first), (width - len(last), last)):
        axis[position:position + len(label)] = list(label)
    text.append(" " * (margin + 1) + "".join(axis).rstrip() + "\n", "dim")
    for name, mark, style in SERIES:
        if name in series:
            text.append(f"{mark} {one_line(report[name])}   ", style)  # (a column name: data)
    text.append(f"┆ best epoch {report['best']['epoch']}", "yellow")
    text.append("   (x: epoch)", "dim")
    return text


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        from .errors import UsageError

        raise UsageError("--plot needs matplotlib, an optional extra: pip install 'losscli[plot]'") from None
    return plt


def _save(plt: Any, figure: Any, path: str) -> None:
    """Write ``figure`` to ``path`` (its format by the extension); a place or a format that cannot
    be written is a usage error."""
    from .errors import UsageError

    figure.tight_layout()
    try:
        figure.savefig(path)
    except (OSError, ValueError) as error:
        raise UsageError(f"--plot {path}: cannot write it ({error}); give a .png or .svg file in a folder "
                         "that exists") from None
    finally:
        plt.close(figure)


def save_reliability(results: list[Any], path: str) -> None:
    """The reliability diagram of each result (``Result.calibration``) as PNG or SVG: each bin's
    accuracy as a bar over its edges, its mean confidence as a point, and the diagonal of a
    calibrated model."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 4.5), dpi=120, squeeze=False)
    for ax, result in zip(axes[0], results):
        table = result.calibration
        bins = table["bins"]
        ax.bar([b["lower"] for b in bins], [b["accuracy"] for b in bins],
               width=[b["upper"] - b["lower"] for b in bins], align="edge", alpha=0.6, edgecolor="black",
               label="accuracy")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color="black",
                markersize=3, label="mean confidence")
        ax.plot([0, 1], [0, 1], "--", color="gray", label="calibrated")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"confidence ({table['of']})")
        ax.set_ylabel("accuracy")
        ece = result.losses.get("ece")
        ax.set_title(result.pair + ("" if ece is None else f"  ECE {ece:.4g}"))
        ax.legend(loc="upper left")
    _save(plt, figure, path)


def save_plot(report: dict[str, Any], path: str) -> None:
    """The curves as PNG or SVG with matplotlib (the optional extra ``losscli[plot]``)."""
    plt = _pyplot()
    curve = report["curve"]
    epochs = [row["epoch"] for row in curve]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=120)
    for name, _, _ in SERIES:
        if report[name] is not None:
            axes.plot(epochs, [row[name] if row[name] is not None else float("nan") for row in curve],
                      marker="o", markersize=3, label=report[name])
    axes.axvline(report["best"]["epoch"], color="goldenrod", linestyle="--",
                 label=f"best epoch {report['best']['epoch']}")
    if report["overfitting"]["detected"]:
        axes.axvspan(report["overfitting"]["from_epoch"], epochs[-1], color="red", alpha=0.08, label="overfitting")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(report["log"])
    axes.legend()
    _save(plt, figure, path)
