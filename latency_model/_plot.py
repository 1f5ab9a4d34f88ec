"""Gantt plot of a simulated timeline: one lane for the CPU, one per DMA stream."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

_KIND_COLOURS = {
    "compute": "#4C72B0",
    "wait": "#C44E52",
    "issue": "#8172B2",
    "copy_in": "#55A868",
    "copy_out": "#DD8452",
}


def plot_timeline(timeline: pd.DataFrame, clock_hz: float, path: str | Path, title: str = "") -> Path:
    """Draw `timeline` (columns lane, op, kind, start_cycles, end_cycles) to a PNG at `path`."""
    if timeline.empty:
        raise ValueError("the timeline is empty: simulate with timeline=True")
    path = Path(path)
    lanes = sorted(timeline["lane"].unique(), key=lambda lane: (lane != "cpu", lane))
    fig_height = 1.2 + 0.5 * len(lanes)
    fig, ax = plt.subplots(figsize=(12, fig_height))
    to_ms = 1e3 / clock_hz
    for row, lane in enumerate(lanes):
        events = timeline[timeline["lane"] == lane]
        for kind, group in events.groupby("kind"):
            ax.broken_barh(
                list(zip(group["start_cycles"] * to_ms, (group["end_cycles"] - group["start_cycles"]) * to_ms)),
                (row - 0.4, 0.8),
                facecolors=_KIND_COLOURS.get(str(kind), "#8172B2"),
                edgecolors="white",  # thin gaps show where ops and parts begin
                linewidths=0.3,
                label=str(kind),
            )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="upper right", fontsize="small")
    ax.set_yticks(range(len(lanes)), lanes)
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
