"""Squeeze-and-excite through the Python API: MobileNetV3-Large with SE (as published) simulates under every
strategy, the batch scorer (the search's path, tinyops' compiled ops included) agrees with simulate(), and
SE costs time."""

from __future__ import annotations

import math

import pytest

from tinyops.latency_model import examples, load_arch, score_batch, simulate

BOARD = "stm32f746g-disco"
STRATEGIES = ["internal", "external", "tinyops", "optimal"]


def test_mbv3_large_with_se_simulates_under_every_strategy() -> None:
    arch = examples.mobilenet_v3(0.75, 128, se=True)
    net = load_arch(arch)
    assert [op.kind for op in net.ops].count("mul") == 8
    assert {op.act for op in net.ops} >= {"h_sigmoid", "h_swish", "relu"}
    plain = examples.mobilenet_v3(0.75, 128)
    batch = score_batch([arch, plain], BOARD, STRATEGIES)
    for strategy in STRATEGIES:
        result = simulate(arch, BOARD, strategy)
        row = batch[(batch["arch"] == 0) & (batch["strategy"] == strategy)].iloc[0]
        assert bool(row["fits"]) == result.fits, strategy
        if not result.fits:
            assert result.why and strategy == "internal"
            continue
        assert row["latency_ms"] == pytest.approx(result.latency_ms, rel=1e-12), strategy
        base = batch[(batch["arch"] == 1) & (batch["strategy"] == strategy)].iloc[0]
        assert result.latency_ms > base["latency_ms"]  # the SE ops take time
        muls = result.per_op[result.per_op["kind"] == "mul"]
        assert len(muls) == 8 and (muls["compute_cycles"] > 0).all()
        if strategy == "tinyops":
            assert (muls["parts"] > 1).any()  # partitioned by rows
    assert not math.isnan(batch[batch["strategy"] == "optimal"]["latency_ms"].iloc[0])
