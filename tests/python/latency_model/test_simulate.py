from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from tinyops.latency_model import (
    Scorer,
    board_names,
    examples,
    load_arch,
    load_board,
    plan,
    score_batch,
    simulate,
    strategies,
)

SMALL = examples.mobilenet_v2(0.35, 96)


def test_catalog_has_the_boards_of_the_issue() -> None:
    names = board_names()
    for wanted in ("stm32f746g-disco", "stm32f469i-disco", "stm32f769i-disco", "qemu-mps2-an500"):
        assert wanted in names
    assert any(n.startswith("stm32h7") for n in names)


def test_simulate_gives_a_consistent_result() -> None:
    result = simulate(SMALL, "stm32f746g-disco", "external")
    assert result.fits
    assert result.latency_ms == pytest.approx(result.total_cycles / load_board().clock_hz * 1e3)
    per_op = result.per_op
    assert isinstance(per_op, pd.DataFrame)
    assert len(per_op) == len(load_arch(SMALL).ops)
    # The per-op rows add up to no more than the whole (the CPU lane is sequential).
    busy = per_op[["compute_cycles", "stall_cycles", "exposed_dma_cycles", "overhead_cycles"]].sum().sum()
    assert busy <= result.total_cycles * (1 + 1e-9)
    assert set(result.timeline["lane"]) >= {"CPU"}


def test_plan_round_trips_through_json() -> None:
    p = plan(SMALL, "stm32f746g-disco", "external")
    again = type(p).from_json(p.to_json())
    assert again == p
    result = simulate(SMALL, "stm32f746g-disco", with_plan=again)
    assert result.latency_ms == simulate(SMALL, "stm32f746g-disco", "external").latency_ms


def test_internal_refuses_a_network_that_does_not_fit() -> None:
    result = simulate(examples.mobilenet_v2(1.0, 224), "stm32f746g-disco", "internal")
    assert not result.fits
    assert math.isnan(result.latency_ms)
    assert "B" in result.why  # names the shortfall in bytes


def test_timeline_plot_is_written(tmp_path: Path) -> None:
    out = simulate(SMALL, "stm32f746g-disco", "external").plot_timeline(tmp_path / "t.png")
    assert out.stat().st_size > 5000


def test_batch_matches_one_by_one() -> None:
    archs = [SMALL, examples.mobilenet_v3(0.35, 96)]
    table = score_batch(archs, "stm32f746g-disco", ["external"])
    assert list(table["arch"]) == [0, 1]
    for i, arch in enumerate(archs):
        assert table["latency_ms"][i] == pytest.approx(simulate(arch, "stm32f746g-disco", "external").latency_ms)


def test_scorer_keeps_answering_the_same_across_calls() -> None:
    archs = [examples.builtin(name) for name in ("mbv3-w0.55-r128", "mbv2-w0.35-r144", "mnasnet-w0.50-r160")]
    scorer = Scorer("stm32f746g-disco", ["tinyops", "external"])
    first = scorer.score(archs)
    again = scorer.score(list(reversed(archs)))  # every op shape seen before: reused
    fresh = score_batch(archs, "stm32f746g-disco", ["tinyops", "external"])
    assert first["total_cycles"].tolist() == fresh["total_cycles"].tolist()
    for row in range(len(first)):
        mirrored = (len(archs) - 1 - first["arch"][row]) * 2 + (0 if first["strategy"][row] == "tinyops" else 1)
        assert again["total_cycles"][mirrored] == first["total_cycles"][row]
    with pytest.raises(ValueError, match="unknown strategy 'fastest'"):
        Scorer("stm32f746g-disco", ["fastest"])


def test_unknown_strategy_and_board_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'fastest'"):
        simulate(SMALL, "stm32f746g-disco", "fastest")
    with pytest.raises(ValueError, match="stm32f999"):
        load_board("stm32f999")


@pytest.mark.parametrize("strategy", strategies())
def test_every_strategy_scores_the_examples(strategy: str) -> None:
    result = simulate(examples.builtin("mbv3-w0.55-r128"), "stm32f746g-disco", strategy)
    if result.fits:
        assert result.peak_sram_bytes <= load_board().sram_budget_bytes or strategy == "external"
        assert result.latency_ms > 0


def test_per_op_says_how_each_op_runs_and_what_stays_in_sram() -> None:
    arch = examples.mobilenet_v2(0.35, 128)  # r144's activation arena exceeds the F746's SRAM budget: not internal
    internal = simulate(arch, "stm32f746g-disco", "internal", timeline=False)
    assert set(internal.per_op["plan"]) == {"internal"}
    assert (internal.per_op["resident"] == "in+out").all()  # the whole arena is in SRAM
    tinyops = simulate(arch, "stm32f746g-disco", "tinyops", timeline=False)
    assert set(tinyops.per_op["plan"]) <= {"tinyops:rows", "tinyops:in_place"}
    assert (tinyops.per_op["resident"] == "").all()  # the published scheme keeps every activation in SDRAM
    optimal = simulate(arch, "stm32f746g-disco", "optimal", timeline=False)
    memory = optimal.plan.tensor_memory
    resident = {t for t, m in enumerate(memory) if m == optimal.plan.sram_memory}
    assert resident, "optimal keeps some activations in SRAM on this network"
    net = load_arch(arch)
    for row in optimal.per_op.itertuples():
        op = net.ops[row.op]
        assert ("out" in row.resident) == (op.output in resident)
        assert row.plan.startswith("optimal:")
