"""The firmware ports as the host sees them (firmware/ports/<port>): the one runner finder and the one QEMU port
table, used by the compiler's QEMU runs, hil's targets and the benchmarks.

What a runner image says about itself is read from its ELF symbols (pyelftools, tinyops.hil's FirmwareImage):
the blob and input slots are where the port's linker script puts `__tinyops_blob_start` / `__tinyops_blob_end`
and `__tinyops_input_start` / `__tinyops_input_end`. Only what no ELF records is written here: the QEMU machine a
port runs on (the port's CMakeLists.txt names it for CTest) and its timer's instructions per tick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tinyops import _firmware

# The directory that holds firmware/: a source checkout's root, or the installed package (tinyops._firmware).
REPO = _firmware.source_checkout() or _firmware.PACKAGE
# A runner image built elsewhere: the directory holding runner.elf (taken as it is, never built).
FIRMWARE_BUILD_ENV = "TINYOPS_FIRMWARE_BUILD"


@dataclass(frozen=True)
class QemuPort:
    machine: str  # qemu-system-arm -M
    instructions_per_tick: int  # under -icount shift=0 one instruction is one virtual ns: 1e9 / the timer's Hz


QEMU_PORTS: dict[str, QemuPort] = {
    "qemu-mps2-an500": QemuPort("mps2-an500", 40),  # CMSDK timer at 25 MHz
    "qemu-mps2-an505": QemuPort("mps2-an505", 50),  # at 20 MHz
}


def qemu_port(port: str) -> QemuPort:
    """The QEMU facts of `port`; ValueError naming the QEMU ports for any other."""
    try:
        return QEMU_PORTS[port]
    except KeyError:
        raise ValueError(f"port: expected a QEMU port ({', '.join(QEMU_PORTS)}), got {port!r}") from None


def firmware_ports() -> list[str]:
    """The ports of this tree that build a runner (firmware/ports/<port>/CMakeLists.txt), sorted."""
    return _firmware.ports()


@dataclass(frozen=True)
class RunnerSlots:
    """Where a runner image expects the model blob, its flash image (internal flash) and the input image (its
    linker script's symbols)."""

    blob: int
    blob_bytes: int
    input: int
    input_bytes: int
    flash: int
    flash_bytes: int


def runner_slots(elf: str | Path) -> RunnerSlots:
    """The blob, input and flash slots of a runner image, from its ELF symbols (ValueError naming the ELF and
    the symbol when one is missing)."""
    from tinyops.hil._elf import FirmwareImage  # the one ELF reader

    image = FirmwareImage(elf)
    names = ("blob_start", "blob_end", "input_start", "input_end", "flash_start", "flash_end")
    blob, blob_end, first, end, flash, flash_end = (image.symbol(f"__tinyops_{name}")[0] for name in names)
    if not (blob < blob_end <= first < end and flash < flash_end):
        raise ValueError(
            f"{elf}: inconsistent slot symbols (blob {blob:#x}..{blob_end:#x}, input {first:#x}..{end:#x}, "
            f"flash {flash:#x}..{flash_end:#x})"
        )
    return RunnerSlots(blob, blob_end - blob, first, end - first, flash, flash_end - flash)


def runner_elf(port: str = "qemu-mps2-an500", build_root: Path | None = None) -> Path:
    """The runner image of `port`: $TINYOPS_FIRMWARE_BUILD/runner.elf when that is set (taken as it is, never
    built), else found or built where tinyops._firmware keeps builds (a checkout's build/fw-<port>, or the user
    cache of an installed package)."""
    if os.environ.get(FIRMWARE_BUILD_ENV) and build_root is None:
        elf = Path(os.environ[FIRMWARE_BUILD_ENV]) / "runner.elf"
        if not elf.is_file():
            raise FileNotFoundError(f"{elf}: no runner image (${FIRMWARE_BUILD_ENV} names the directory holding it)")
        return elf
    return _firmware.runner_elf(port, build_root)
