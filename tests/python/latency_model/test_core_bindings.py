"""The core's board / plan / simulate bindings (tinyops._core), as the Python API layer uses them."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest

from tinyops import _core
from tinyops.latency_model import examples, load_arch

CATALOG = Path(__file__).resolve().parents[3] / "latency_model" / "boards"


@pytest.fixture(scope="module")
def f746() -> _core.Board:
    return _core.load_board("stm32f746g-disco", str(CATALOG))


@pytest.fixture(scope="module")
def mbv2() -> _core.Network:
    # r128, not the built-in r144: its 311,040 B activation arena exceeds the F746 port's internal arena, and the
    # round-trip test plans it all-internal.
    return load_arch(examples.mobilenet_v2(0.35, 128))


def test_catalog_lists_every_board_and_each_loads() -> None:
    names = [name for name, _ in _core.list_boards(str(CATALOG))]
    assert {"stm32f746g-disco", "stm32f469i-disco", "stm32f769i-disco", "stm32h747i-disco", "qemu-mps2-an500"} <= set(
        names
    )
    for name in names:
        assert _core.load_board(name, str(CATALOG)).name == name


def test_board_accessors_carry_provenance(f746: _core.Board) -> None:
    assert f746.sram_budget_bytes == 297 * 1024  # the F746 port's internal arena
    assert f746.clock_hz == 216e6
    sdram = next(m for m in f746.memories if m.name == "sdram")
    assert sdram.kind == "external" and sdram.size_bytes == 8 * 1024 * 1024
    cost = f746.kernel_cost("conv2d_1x1", "cycles_per_mac")
    assert cost.source == "derived" and "llvm-mca -mcpu=cortex-m7" in cost.ref  # tinyops calibrate --derived
    derived_add = f746.kernel_cost("add", "cycles_per_output")  # the calibration set's single-op add cases
    assert derived_add.source == "derived"
    # No firmware dispatch reaches the global-average-pool kernel kind: no case derives it, the estimate stays.
    still = f746.kernel_cost("global_average_pool", "cycles_per_output")
    assert still.source == "estimate" and "calibrated" in still.ref


def test_calibrated_board_saves_and_reloads(tmp_path: Path, f746: _core.Board) -> None:
    board = _core.load_board(str(CATALOG / "stm32f746g-disco.yaml"), str(CATALOG))
    board.set_kernel_cost("depthwise_conv2d_reference", "cycles_per_mac", 1.25, "fit", "test run")
    board.version += 1
    path = tmp_path / "f746-v2.yaml"
    board.save(str(path))
    back = _core.load_board(str(path), str(CATALOG))
    assert back.version == f746.version + 1
    fitted = back.kernel_cost("depthwise_conv2d_reference", "cycles_per_mac")
    assert (fitted.value, fitted.source, fitted.ref) == (1.25, "fit", "test run")


def test_bad_board_is_a_value_error_naming_file_and_field(tmp_path: Path) -> None:
    text = (CATALOG / "stm32f746g-disco.yaml").read_text().replace("dma_reachable: true", "dma_reachable: 7", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"broken\.yaml: memories\[0\]\.dma_reachable: expected true or false"):
        _core.load_board(str(path), str(CATALOG))
    with pytest.raises(ValueError, match="no-such-board"):
        _core.load_board("no-such-board", str(CATALOG))


def test_plan_json_round_trip_and_simulation_rows(f746: _core.Board, mbv2: _core.Network) -> None:
    for strategy in ("internal", "external"):
        plan = _core.plan(mbv2, f746, strategy)
        assert plan.fits, plan.why
        assert _core.Plan.from_json(plan.to_json(indent=1)) == plan
        result = _core.simulate(mbv2, plan, f746)
        assert len(result.per_op) == len(mbv2.ops)
        assert math.isclose(result.latency_ms, result.total_cycles / 216e6 * 1e3)
        busy = sum(
            r["compute_cycles"] + r["stall_cycles"] + r["exposed_dma_cycles"] + r["overhead_cycles"]
            for r in result.per_op
        )
        assert math.isclose(busy, result.total_cycles, rel_tol=1e-9)
        assert {e["lane"] for e in result.timeline} == {"CPU"}


def test_internal_refuses_what_does_not_fit(f746: _core.Board) -> None:
    plan = _core.plan(load_arch(examples.BUILTIN["mbv2-w1.00-r224"]()), f746, "internal")
    assert not plan.fits
    assert "short by" in plan.why
    with pytest.raises(RuntimeError, match="does not fit"):
        _core.simulate(load_arch(examples.BUILTIN["mbv2-w1.00-r224"]()), plan, f746)


def test_batch_matches_single_simulations(f746: _core.Board) -> None:
    archs = [examples.BUILTIN[name]() for name in ("mbv2-w0.35-r144", "mbv3-w0.55-r128")]
    texts = [json.dumps(a) for a in archs]
    nets = [load_arch(a) for a in archs]
    columns = _core.score_batch([texts[0], nets[1]], ["internal", "external"], f746)
    assert columns["arch"].tolist() == [0, 0, 1, 1]
    for row in range(4):
        net = nets[columns["arch"][row]]
        plan = _core.plan(net, f746, columns["strategy"][row])
        assert columns["fits"][row] == plan.fits
        if plan.fits:
            assert columns["latency_ms"][row] == _core.simulate(net, plan, f746, timeline=False).latency_ms
        else:
            assert math.isnan(columns["latency_ms"][row]) and columns["why"][row] == plan.why
    with pytest.raises(ValueError, match=r"archs\[1\]"):
        _core.score_batch([texts[0], "{}"], ["external"], f746)
    with pytest.raises(ValueError, match="unknown strategy"):
        _core.score_batch(texts, ["fastest"], f746)


def test_batch_runs_in_parallel_threads(f746: _core.Board) -> None:
    # With the GIL released, threads each scoring a batch all finish with the same answers.
    texts = [json.dumps(examples.BUILTIN["mbv2-w0.35-r144"]())] * 4
    results: list[dict] = []
    threads = [
        threading.Thread(target=lambda: results.append(_core.score_batch(texts, ["external"], f746))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and all(r["latency_ms"].tolist() == results[0]["latency_ms"].tolist() for r in results)


def test_cpp_timed_loops_return_positive_seconds(f746: _core.Board, mbv2: _core.Network) -> None:
    plan = _core.plan(mbv2, f746, "external")
    assert 0 < _core.time_simulate_cpp(mbv2, plan, f746, 10) < 1
    assert 0 < _core.time_simulate_cpp(mbv2, plan, f746, 10, reference=True) < 1
    assert 0 < _core.time_score_networks_cpp([mbv2], ["external"], f746, 1) < 1
    assert (
        0 < _core.time_score_batch_cpp([json.dumps(examples.BUILTIN["mbv2-w0.35-r144"]())], ["external"], f746, 1) < 10
    )
