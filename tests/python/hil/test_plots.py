"""The PNG plots: the calibration scatter per kernel kind and the per-op bars."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyops.hil._plots import plot_calibration_scatter, plot_op_bars
from tinyops.latency_model._calibration import OpSample, fit_kernel_costs


def _fit():  # type: ignore[no-untyped-def]
    samples = [
        OpSample(
            kind,
            {
                "cycles_per_call": 1.0,
                "cycles_per_mac": macs * (1 + n % 3) if kind != "add" else 0.0,
                "cycles_per_output": float(macs),
            },
            0,
            500 + 2.0 * macs * (1 + n % 3) + 9 * macs + n,
            f"{kind}-{n}",
        )
        for kind in ("conv2d_1x1", "add")
        for n, macs in enumerate(range(100, 2100, 100))
    ]
    return fit_kernel_costs(samples, fit_copy_cost=False)


def test_scatter_and_bars_are_written(tmp_path: Path) -> None:
    scatter = plot_calibration_scatter(_fit(), tmp_path / "scatter.png", "instructions")
    bars = plot_op_bars(["a", "b", "c"], [100, 200, 300], [110, None, 290], tmp_path / "bars.png", "cycles")
    for path in (scatter, bars):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_bars_need_one_value_per_op(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one measured and one predicted value per op"):
        plot_op_bars(["a"], [1, 2], [1], tmp_path / "x.png", "cycles")
