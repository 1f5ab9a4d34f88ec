"""The ports as the host sees them (tinyops/compiler/_ports.py): slots and QEMU facts read from the runner's ELF
symbols, no per-port table, clear errors for unknown ports, missing images and missing symbols."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinyops.compiler import _ports
from tinyops.compiler._qemu import run_blob_in_qemu
from tinyops.hil import FirmwareImage

QEMU_PORTS = _ports.qemu_ports()
# What each QEMU port's own sources say (CMakeLists.txt QEMU_MACHINE, port.cpp's timer), checked against the ELF.
KNOWN_FACTS = {"qemu-mps2-an500": ("mps2-an500", 40), "qemu-mps2-an505": ("mps2-an505", 50)}


@pytest.fixture(scope="module", params=QEMU_PORTS)
def port_elf(request: pytest.FixtureRequest) -> tuple[str, Path]:
    if (
        shutil.which("arm-none-eabi-g++") is None
        or not (_ports.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file()
    ):
        pytest.skip("the firmware toolchain or runtime is not here")
    return request.param, _ports.runner_elf(request.param)


def test_slots_come_from_the_runner_elf(port_elf: tuple[str, Path]) -> None:
    port, elf = port_elf
    slots = _ports.runner_slots(elf)
    image = FirmwareImage(elf)
    assert slots.blob == image.symbol("__tinyops_blob_start")[0]
    assert slots.input == image.symbol("__tinyops_input_start")[0] == slots.blob + slots.blob_bytes
    assert slots.blob_bytes >= 1 << 20 and slots.input_bytes >= 64 * 64 * 3
    # The slots are in the port's external memory, never where the image itself is loaded.
    assert all(not (seg.address <= slots.blob < seg.address + len(seg.data)) for seg in image.segments)


def test_qemu_facts_come_from_the_runner_elf(port_elf: tuple[str, Path]) -> None:
    port, elf = port_elf
    facts = _ports.qemu_port(port)
    assert (facts.machine, facts.instructions_per_tick) == KNOWN_FACTS[port]
    assert _ports.qemu_facts(elf) == facts
    slots = _ports.runner_slots(elf)
    # The flash slot lies in the memory the image's code is loaded into (SSRAM1 plays the internal flash), past it.
    image = FirmwareImage(elf)
    code_end = max(seg.address + len(seg.data) for seg in image.segments if seg.address < slots.flash)
    assert code_end <= slots.flash and slots.flash_bytes >= 1 << 20


@pytest.mark.parametrize("symbol", ["tinyops_qemu_machine", "tinyops_timer_hz", "__tinyops_flash_end"])
def test_an_elf_without_a_symbol_names_the_elf_and_the_symbol(
    port_elf: tuple[str, Path], tmp_path: Path, symbol: str
) -> None:
    objcopy = shutil.which("arm-none-eabi-objcopy")
    if objcopy is None:
        pytest.skip("arm-none-eabi-objcopy is not installed")
    stripped = tmp_path / "runner.elf"
    subprocess.run([objcopy, f"--strip-symbol={symbol}", str(port_elf[1]), str(stripped)], check=True)
    read = _ports.runner_slots if symbol.startswith("__") else _ports.qemu_facts
    with pytest.raises(ValueError, match=f"{stripped}: symbol '{symbol}' not found"):
        read(stripped)


def test_a_blob_larger_than_the_elfs_slot_is_refused_before_qemu_starts(port_elf: tuple[str, Path]) -> None:
    port, elf = port_elf
    slots = _ports.runner_slots(elf)
    with pytest.raises(ValueError, match=f"exceeds the {port} blob slot \\({slots.blob_bytes:,} B"):
        run_blob_in_qemu(bytes(slots.blob_bytes + 1), np.zeros((1, 8, 8, 3), np.int8), port=port, elf=elf)


def test_unknown_ports_and_missing_images_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="expected a QEMU port .*qemu-mps2-an500"):
        _ports.qemu_port("stm32f746g-disco")
    with pytest.raises(ValueError, match="port: expected one of .*qemu-mps2-an505.*got 'nope'"):
        _ports.runner_elf("nope")
    assert set(QEMU_PORTS) == set(KNOWN_FACTS) and set(QEMU_PORTS) <= set(_ports.firmware_ports())
    monkeypatch.setenv(_ports.FIRMWARE_BUILD_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'runner.elf'}: no runner image"):
        _ports.runner_elf("qemu-mps2-an500")
