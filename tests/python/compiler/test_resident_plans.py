"""Optimal plans that keep activations resident in SRAM (tensor homes in the plan's SRAM memory) compile into
blobs whose tensor records live in the internal arena, and the firmware runtime gives the same bits as the
all-external plan: on the host and under QEMU."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from compiler_fixtures import board_without_flash_room

from tinyops import _core
from tinyops.compiler import HostRuntime, compile_model, host_runtime_available
from tinyops.compiler._blob import read_blob
from tinyops.latency_model import load_board

# The board the plan is made for: the released model leaves SRAM free beside the F746's overlay buffers (its
# flash made too small for `internal`, which is faster for r064 on the real F746: optimal would be that plan).
BOARD = board_without_flash_room("stm32f746g-disco")
pytestmark = pytest.mark.skipif(
    not hasattr(_core, "plan") or "optimal" not in set(_core.strategies()),
    reason="tinyops._core has no optimal planner in this build",
)


@pytest.fixture(scope="module")
def resident(r064_model):
    compiled = compile_model(r064_model, BOARD, "optimal")
    sram = compiled.plan_json["sram_memory"]
    homes = [h for h in compiled.plan_json["tensor_home"] if h and h["memory"] == sram]
    assert homes, "the optimal plan keeps no tensor resident"
    assert any(b["name"] == "resident" and b["kind"] == "arena" for b in compiled.plan_json["buffers"])
    return compiled


@pytest.fixture(scope="module")
def external(r064_model):
    return compile_model(r064_model, BOARD, "external")


def _tensor_memories(blob: bytes) -> list[int]:
    """The space each tensor's home lies in through the blob's memory map (0 external arena, 1 internal arena)."""
    m = read_blob(blob)
    segments = [m.Segments(i) for i in range(m.SegmentsLength())]
    spaces = []
    for k in range(m.TensorsLength()):
        home = m.Tensors(k).Home()
        spaces += [
            s.Space()
            for s in segments
            if s.Memory() == home.Memory()
            and s.Offset() <= home.Offset()
            and home.Offset() + home.Bytes() <= s.Offset() + s.Bytes()
        ]
    assert len(spaces) == m.TensorsLength()
    return spaces


def test_resident_tensors_live_in_the_internal_arena(resident, external) -> None:
    assert 1 in _tensor_memories(resident.blob)
    assert set(_tensor_memories(external.blob)) == {0}
    assert resident.layout.internal_arena_bytes <= load_board(BOARD).sram_budget_bytes
    assert resident.predicted_ms < compile_model(resident.model, BOARD, "tinyops").predicted_ms


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
def test_resident_plan_is_bit_identical_to_the_external_plan_on_the_host(resident, external, r064_inputs) -> None:
    got = HostRuntime(resident.blob).run(r064_inputs)
    np.testing.assert_array_equal(got, HostRuntime(external.blob).run(r064_inputs))


def test_resident_plan_is_bit_identical_to_the_external_plan_under_qemu(resident, external, r064_inputs) -> None:
    import tinyops.compiler._qemu as qemu

    if shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file():
        pytest.skip("QEMU or the firmware runtime is absent")
    elf = qemu.runner_elf("qemu-mps2-an500")  # the blob is board-agnostic: its arenas fit the an500 runner's
    image = r064_inputs[0]
    runs = [qemu.run_blob_in_qemu(c.blob, image, elf=elf) for c in (resident, external)]
    np.testing.assert_array_equal(runs[0].output, runs[1].output)
