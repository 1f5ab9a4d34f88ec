"""The design-space experiment's derived tables on small hand-made grids (the figures follow from these)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "experiments"))

import _archs  # noqa: E402
import design_spaces  # noqa: E402


def _row(network: str, strategy: str, macs: int, latency: float, fits: bool = True) -> dict:
    return {
        "board": "b",
        "board_label": "b v1",
        "network": network,
        "strategy": strategy,
        "macs": macs,
        "latency_ms": latency if fits else math.nan,
        "fits": fits,
        "published_top1": math.nan,
        "family": "mbv2",
        "peak_sram_bytes": 0,
    }


def test_speedup_is_against_the_fastest_internal_network_of_equal_or_more_macs() -> None:
    grid = pd.DataFrame(
        [
            _row("small", "internal", 10, 50.0),
            _row("mid", "internal", 20, 120.0),
            _row("mid2", "internal", 25, 100.0),
            _row("big", "internal", 40, math.nan, fits=False),
            _row("small", "tinyops", 10, 60.0),
            _row("mid", "tinyops", 20, 80.0),
            _row("big", "tinyops", 40, 300.0),
        ]
    )
    speed = design_spaces.speedups(grid)
    by_net = {r.network: r for r in speed.itertuples()}
    # small: the fastest internal network with >= 10 MACs is `small` itself (50 ms): internal wins there.
    assert by_net["small"].internal_network == "small" and by_net["small"].speedup == pytest.approx(50 / 60)
    # mid: mid2 (25 MACs, 100 ms) beats mid (20 MACs, 120 ms) as the reference.
    assert by_net["mid"].internal_network == "mid2" and by_net["mid"].speedup == pytest.approx(100 / 80)
    # big: no internal network is that large, so there is no speed-up row (see `largest`).
    assert "big" not in by_net
    big = design_spaces.largest(grid)
    assert big.set_index("strategy").loc["tinyops", "largest_network"] == "big"
    assert big.set_index("strategy").loc["internal", "largest_macs"] == 25


def test_equal_accuracy_compares_the_fastest_network_of_at_least_each_internal_accuracy() -> None:
    def row(network: str, strategy: str, latency: float, top1: float, fits: bool = True) -> dict:
        return _row(network, strategy, 10, latency, fits) | {"published_top1": top1}

    grid = pd.DataFrame(
        [
            row("a", "internal", 100.0, 50.0),
            row("b", "internal", 80.0, 55.0),  # faster and more accurate: the reference for 50 % too
            row("c", "internal", 0.0, 70.0, fits=False),
            row("a", "tinyops", 110.0, 50.0),
            row("b", "tinyops", 90.0, 55.0),
            row("c", "tinyops", 40.0, 70.0),  # too large for internal memory, yet faster at >= 55 %
        ]
    )
    table = design_spaces.equal_accuracy(grid).set_index("top1_at_least")
    assert list(table.index) == [50.0, 55.0]  # the accuracies internal networks reach, nothing above
    assert (table["internal_network"] == "b").all() and (table["network"] == "c").all()
    assert table["speedup"].tolist() == pytest.approx([80 / 40, 80 / 40])


def test_front_keeps_only_networks_not_beaten_on_macs_and_latency() -> None:
    pts = pd.DataFrame(
        [_row("a", "x", 10, 5.0), _row("b", "x", 8, 6.0), _row("c", "x", 20, 7.0), _row("d", "x", 20, 9.0)]
    )
    assert list(design_spaces.macs_latency_front(pts)["network"]) == ["a", "c"]


def test_families_rebuild_published_sizes() -> None:
    from tinyops.latency_model import load_arch

    mbv2 = load_arch(_archs.FAMILIES["mbv2"](1.0, 224))
    assert round(mbv2.total_macs / 1e6) == 301  # published: 300 M MACs
    mnas = load_arch(_archs.FAMILIES["mnasnet"](1.0, 224))
    assert mnas.param_count == 4383312  # torchvision mnasnet1_0: 4,383,312 parameters


def test_accuracy_data_file_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _archs.published_accuracy()
    assert _archs.accuracy_of("mbv2", 0.35, 96, table) == 45.5
    assert math.isnan(_archs.accuracy_of("mcunet", 1.0, 224, table))
    bad = tmp_path / "acc.csv"
    bad.write_text("family,width_mult,resolution,top1,precision,citation,url,note\nmbv2,1.0,224,171.8,float,x,y,z\n")
    monkeypatch.setattr(_archs, "ACCURACY_CSV", bad)
    with pytest.raises(ValueError, match=r"acc.csv: row 2: top1"):
        _archs.published_accuracy()
