"""The memory sweep's derived boards and the search experiment's hypervolume and fronts."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "experiments"))

import memory_sweep  # noqa: E402
import search_spaces  # noqa: E402


def test_derived_board_resizes_sram_and_flash_and_keeps_the_port_reserve() -> None:
    from tinyops.latency_model import load_board

    base = load_board("stm32f746g-disco")
    board = memory_sweep.derived_board(base, 128, 512)
    mems = {m.kind: m for m in board.memories}
    assert mems["internal"].size_bytes == 128 * 1024 and mems["flash"].size_bytes == 512 * 1024
    reserve = 320 * 1024 - base.sram_budget_bytes
    assert board.sram_budget_bytes == 128 * 1024 - reserve
    assert board.clock_hz == base.clock_hz and mems["external"].size_bytes == 8 * 2**20
    assert "resized" in board.memories[0].quantity("size_bytes").ref
    with pytest.raises(ValueError, match="16 KB SRAM leaves no budget"):
        memory_sweep.derived_board(base, 16, 512)


def test_internal_space_shrinks_with_smaller_memories() -> None:
    """Smaller internal memories admit fewer internal networks; the hybrid space keeps admitting the largest."""
    import _archs

    from tinyops.latency_model import load_board

    archs = _archs.Grid(("mbv2",), (0.35, 1.0), (96, 224)).archs()
    sweep = memory_sweep.sweep_rows(load_board("stm32f746g-disco"), (128, 1024), (512, 2048), archs)
    opt = sweep[sweep["strategy"] == "optimal"].set_index(["sram_kb", "flash_kb"])
    assert opt.loc[(128, 512), "internal_fit"] <= opt.loc[(1024, 2048), "internal_fit"]
    assert opt["hybrid_largest_macs"].nunique() == 1 and opt["admits_larger"].all()


def test_hypervolume_is_the_area_under_the_best_accuracy_staircase() -> None:
    assert search_spaces.hypervolume([], 100) == 0
    assert search_spaces.hypervolume([(0.5, 50)], 100) == pytest.approx(0.25)
    assert search_spaces.hypervolume([(0.5, 50), (0.8, 80)], 100) == pytest.approx(0.5 * 0.3 + 0.8 * 0.2)
    # A dominated point adds nothing; a point beyond the reference is outside the box.
    assert search_spaces.hypervolume([(0.5, 50), (0.4, 60), (0.9, 150)], 100) == pytest.approx(0.25)


def test_fronts_and_hypervolumes_share_one_reference() -> None:
    cands = pd.DataFrame(
        [
            {
                "design_space": "internal",
                "seed": 0,
                "trial": 0,
                "label": "a",
                "feasible": True,
                "accuracy": 0.6,
                "latency_ms": 10.0,
            },
            {
                "design_space": "internal",
                "seed": 0,
                "trial": 1,
                "label": "b",
                "feasible": False,
                "accuracy": None,
                "latency_ms": None,
            },
            {
                "design_space": "tinyops",
                "seed": 0,
                "trial": 0,
                "label": "a",
                "feasible": True,
                "accuracy": 0.6,
                "latency_ms": 12.0,
            },
            {
                "design_space": "tinyops",
                "seed": 0,
                "trial": 1,
                "label": "b",
                "feasible": True,
                "accuracy": 0.8,
                "latency_ms": 20.0,
            },
        ]
    )
    fronts, hv, ref = search_spaces.fronts_and_hypervolumes(cands)
    assert ref == pytest.approx(21.0)
    hv = hv.set_index("design_space")
    assert hv.loc["internal", "feasible"] == 1 and hv.loc["tinyops", "front_size"] == 2
    assert hv.loc["internal", "hypervolume"] == pytest.approx(0.6 * (1 - 10 / 21))
    assert hv.loc["tinyops", "hypervolume"] == pytest.approx(0.6 * (20 - 12) / 21 + 0.8 * (1 - 20 / 21))
