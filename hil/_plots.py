"""Plots of measurements against predictions (PNG, matplotlib): the calibration scatter and per-op bars."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from tinyops.latency_model._calibration import Calibration  # noqa: E402


def _save(fig: plt.Figure, path: str | Path) -> Path:
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_calibration_scatter(result: Calibration, path: str | Path, unit: str, title: str = "") -> Path:
    """Predicted vs measured for the held-out ops, one panel per kernel kind, with the +-10 % band."""
    kinds = [r.kernel_kind for r in result.per_kind if r.test_ops > 0]
    if not kinds:
        raise ValueError("calibration: no held-out ops to plot")
    columns = min(4, len(kinds))
    rows = -(-len(kinds) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.4 * rows), squeeze=False)
    for ax, report in zip(axes.flat, (r for r in result.per_kind if r.test_ops > 0)):
        pairs = [(s.measured, p) for s, p in result.test_predictions if s.kernel_kind == report.kernel_kind]
        measured, predicted = zip(*pairs)
        low, high = min(measured + predicted), max(measured + predicted)
        ax.fill_between([low, high], [0.9 * low, 0.9 * high], [1.1 * low, 1.1 * high], color="#DDDDDD", label="±10 %")
        ax.plot([low, high], [low, high], color="#888888", linewidth=0.8)
        ax.scatter(measured, predicted, s=12, color="#4C72B0")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(
            f"{report.kernel_kind}\nMAPE {report.mape:.1f} %, {report.within_10pct:.0f} % within ±10 %",
            fontsize="small",
        )
        ax.set_xlabel(f"measured ({unit})", fontsize="small")
        ax.set_ylabel(f"predicted ({unit})", fontsize="small")
    for ax in list(axes.flat)[len(kinds) :]:
        ax.axis("off")
    fig.suptitle(title or f"held-out ops: MAPE {result.mape:.1f} %, {result.within_10pct:.1f} % within ±10 %")
    return _save(fig, path)


def plot_op_bars(
    op_names: Sequence[str],
    measured: Sequence[float],
    predicted: Sequence[float | None],
    path: str | Path,
    unit: str,
    title: str = "",
) -> Path:
    """Measured and predicted per op of one model, side by side."""
    if not (len(op_names) == len(measured) == len(predicted)) or not op_names:
        raise ValueError("op bars: expected one measured and one predicted value per op")
    positions = range(len(op_names))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.16 * len(op_names)), 4.2))
    ax.bar([p - 0.2 for p in positions], measured, width=0.4, label="measured", color="#4C72B0")
    ax.bar([p + 0.2 for p in positions], [v or 0 for v in predicted], width=0.4, label="predicted", color="#DD8452")
    ax.set_xticks(list(positions), op_names, rotation=90, fontsize=6)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)
