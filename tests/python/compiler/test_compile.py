"""The released ImageNet model compiled under every strategy that fits (the core's plans, serialized into the
blob), run by the firmware runtime on the host and under QEMU: bit-exact with TFLite Micro, and the
partitioned plans give the same bits as the unpartitioned one."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from compiler_fixtures import board_without_flash_room
from typer.testing import CliRunner

from tinyops import _core
from tinyops.cli import app
from tinyops.compiler import HostRuntime, _interpreters, compile_model, host_runtime_available
from tinyops.compiler._blob import OPERANDS, read_blob

BOARD = "qemu-mps2-an500"
pytestmark = pytest.mark.skipif(
    not hasattr(_core, "plan") or not {"tinyops", "optimal"} <= set(_core.strategies()),
    reason="tinyops._core has no tinyops/optimal planners in this build",
)


@pytest.fixture(scope="module")
def compiled(r064_model) -> dict:
    out = {}
    for strategy in _core.strategies():
        try:
            out[strategy] = compile_model(r064_model, BOARD, strategy)
        except RuntimeError as exc:  # a strategy that does not fit says so, with the numbers
            assert "does not fit" in str(exc) and "B" in str(exc)
    return out


def test_the_published_and_our_strategies_fit(compiled: dict) -> None:
    assert {"external", "tinyops", "optimal"} <= set(compiled)
    tinyops = compiled["tinyops"]
    assert any(o["partitioning"] == "rows" and len(o["parts"]) > 1 for o in tinyops.plan_json["ops"])
    assert tinyops.layout.part_count > len(tinyops.model.ops)  # the partitioned run is really partitioned
    m = read_blob(tinyops.blob)
    operands = Counter(OPERANDS[m.Transfers(i).Operand()] for i in range(m.TransfersLength()))
    assert operands["input"] > 10  # inputs staged through SRAM, as planned
    assert min(operands["weights"], operands["bias"], operands["quant"]) > 10  # and weights, biases, quant params


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
def test_every_strategy_is_bit_exact_on_the_host(compiled: dict, r064_path: Path, r064_inputs) -> None:
    expected = _interpreters.tflite_micro(r064_path)(r064_inputs)
    for strategy, c in compiled.items():
        got = HostRuntime(c.blob).run(r064_inputs).reshape(len(r064_inputs), -1)
        np.testing.assert_array_equal(got, expected, err_msg=strategy)


def test_partitioned_plans_under_qemu_match_the_unpartitioned_run(compiled: dict, r064_path: Path, r064_inputs) -> None:
    import tinyops.compiler._qemu as qemu

    if shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file():
        pytest.skip("QEMU or the firmware runtime is absent")
    elf = qemu.runner_elf(BOARD)
    image = r064_inputs[0]
    expected = _interpreters.tflite_micro(r064_path)(image[None])[0]
    runs = {s: qemu.run_blob_in_qemu(c.blob, image, elf=elf) for s, c in compiled.items()}
    for strategy, run in runs.items():
        np.testing.assert_array_equal(run.output, expected, err_msg=strategy)
    assert sum(op["parts"] for op in runs["tinyops"].ops) > len(compiled["tinyops"].model.ops)
    assert sum(op["dma_bytes"] for op in runs["tinyops"].ops) > 0


def test_cli_compile_writes_blob_plan_and_report(r064_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["compile", str(r064_path), "--board", BOARD, "--strategy", "tinyops", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    stem = f"{r064_path.stem}.tinyops"
    report = json.loads((tmp_path / f"{stem}.report.json").read_text())
    assert report["op_counts"]["conv2d"] == 42 and len(report["ops"]) == 77
    assert report["predicted_ms"] is not None and report["predicted_ms"] > 0
    assert (tmp_path / f"{stem}.blob").read_bytes()[:4] == b"TOPB"
    assert json.loads((tmp_path / f"{stem}.plan.json").read_text())["strategy"] == "tinyops"
    assert "predicted latency" in result.output


def test_unknown_strategy_is_one_clear_error(r064_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compile", str(r064_path), "--strategy", "fastest", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "fastest" in " ".join(result.output.split())


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
@pytest.mark.parametrize("board", ["stm32f746g-disco", "stm32f469i-disco"])
def test_optimal_plans_with_channel_parts_are_bit_exact(board: str, r064_model, r064_path: Path, r064_inputs) -> None:
    c = compile_model(r064_model, board_without_flash_room(board) if board == "stm32f746g-disco" else board, "optimal")
    assert any(o["partitioning"] == "output_channels" and len(o["parts"]) > 1 for o in c.plan_json["ops"])
    got = HostRuntime(c.blob).run(r064_inputs[:3]).reshape(3, -1)
    np.testing.assert_array_equal(got, _interpreters.tflite_micro(r064_path)(r064_inputs[:3]))


@pytest.mark.parametrize("strategy", ["tinyops", "optimal"])
def test_plans_with_two_dma_streams_run_bit_exact_on_the_an505_pl081(
    r064_model, r064_path: Path, r064_inputs, strategy: str
) -> None:
    """A plan made for the F746 (two DMA2 streams, copies issued ahead and across ops) run by the an505 runner,
    whose PL081 copies while the CPU computes: the executor's issue/wait order is what keeps it exact."""
    import tinyops.compiler._qemu as qemu

    if shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file():
        pytest.skip("QEMU or the firmware runtime is absent")
    compiled = compile_model(r064_model, "stm32f746g-disco", strategy)
    image = r064_inputs[0]
    run = qemu.run_blob_in_qemu(compiled.blob, image, port="qemu-mps2-an505", elf=qemu.runner_elf("qemu-mps2-an505"))
    np.testing.assert_array_equal(run.output, _interpreters.tflite_micro(r064_path)(image[None])[0])
    # tinyops always copies; optimal copies when its own search's plan wins (else it is a fixed strategy's).
    assert (sum(op["dma_bytes"] for op in run.ops) > 0) == (compiled.layout.transfer_count > 0)
    assert strategy != "tinyops" or compiled.layout.transfer_count > 0
