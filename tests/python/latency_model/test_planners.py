"""The tinyops and optimal planners on the built-in example networks, on the default board (STM32F746G-DISCO)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyops import _core
from tinyops.latency_model import examples, load_arch

CATALOG = Path(__file__).resolve().parents[3] / "latency_model" / "boards"


@pytest.fixture(scope="module")
def f746() -> _core.Board:
    return _core.load_board("stm32f746g-disco", str(CATALOG))


@pytest.mark.parametrize("name", list(examples.BUILTIN))
def test_optimal_not_slower_than_tinyops_not_slower_than_external(name: str, f746: _core.Board) -> None:
    net = load_arch(examples.builtin(name))
    latency_ms = {}
    for strategy in ("external", "tinyops", "optimal"):
        plan = _core.plan(net, f746, strategy)
        assert plan.fits, plan.why
        plan.validate(net)
        assert plan.peak_sram_bytes <= plan.sram_budget_bytes
        latency_ms[strategy] = _core.simulate(net, plan, f746, timeline=False).latency_ms
    assert latency_ms["optimal"] <= latency_ms["tinyops"] <= latency_ms["external"], latency_ms


def test_every_op_records_its_choice(f746: _core.Board) -> None:
    net = load_arch(examples.builtin("mbv3-w0.55-r128"))
    tinyops = _core.plan(net, f746, "tinyops")
    assert {o.strategy for o in tinyops.ops} <= {"tinyops:rows", "tinyops:in_place"}
    assert {o.partitioning for o in tinyops.ops} == {"rows", "none"}
    optimal = _core.plan(net, f746, "optimal")
    assert all(o.strategy.startswith("optimal:") for o in optimal.ops)
    assert _core.Plan.from_json(optimal.to_json()) == optimal


def test_budget_too_small_names_budget_and_need() -> None:
    text = (CATALOG / "stm32f746g-disco.yaml").read_text()
    board = _core.board_from_yaml(text.replace("value: 304128", "value: 4000"), "small-f746")
    net = load_arch(examples.builtin("mbv3-w0.55-r128"))
    plan = _core.plan(net, board, "tinyops")
    assert not plan.fits
    assert "4000 bytes" in plan.why and "smallest overlay buffers need" in plan.why
    with pytest.raises(RuntimeError, match="4000 bytes"):
        _core.simulate(net, plan, board, timeline=False)
