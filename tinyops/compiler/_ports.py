"""The firmware ports as the host sees them (firmware/ports/<port>): the one runner finder and the one QEMU port
table, used by the compiler's QEMU runs, hil's targets and the benchmarks.

What a runner image says about itself is read from its ELF symbols (pyelftools, tinyops.hil's FirmwareImage):
the blob, input and flash slots are where the port's linker script puts `__tinyops_blob_start` / `_end`,
`__tinyops_input_start` / `_end` and `__tinyops_flash_start` / `_end`; a QEMU port's images also carry the
machine they run on and their timer's rate (`tinyops_qemu_machine`, `tinyops_timer_hz`). No table here repeats
them: which ports run under QEMU is what their CMakeLists.txt says (QEMU_MACHINE).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tinyops import _firmware

# The directory that holds firmware/: a source checkout's root, or the installed package (tinyops._firmware).
REPO = _firmware.source_checkout() or _firmware.PACKAGE
# A runner image built elsewhere: the directory holding runner.elf (taken as it is, never built).
FIRMWARE_BUILD_ENV = "TINYOPS_FIRMWARE_BUILD"


# What a QEMU port's images say about themselves (firmware/ports/common/qemu/facts.hpp): the machine, which the
# port's CMakeLists.txt names once (QEMU_MACHINE), and its timer's rate, which its port.cpp sets beside the timer.
QEMU_MACHINE_SYMBOL = "tinyops_qemu_machine"
TIMER_HZ_SYMBOL = "tinyops_timer_hz"
_QEMU_MACHINE_ARGUMENT = re.compile(r"\bQEMU_MACHINE\s+(\S+)")


@dataclass(frozen=True)
class QemuPort:
    machine: str  # qemu-system-arm -M
    instructions_per_tick: int  # under -icount shift=0 one instruction is one virtual ns: 1e9 / the timer's Hz


def qemu_ports() -> list[str]:
    """The ports whose images run under QEMU (their CMakeLists.txt names a QEMU_MACHINE), sorted."""
    root = _firmware.firmware_sources() / "ports"
    return [p for p in _firmware.ports() if _QEMU_MACHINE_ARGUMENT.search((root / p / "CMakeLists.txt").read_text())]


def qemu_facts(elf: str | Path) -> QemuPort:
    """The QEMU facts an image of a QEMU port carries (ValueError naming the ELF and the symbol if it does not)."""
    path = Path(elf)
    return _qemu_facts(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _qemu_facts(elf: str, _mtime_ns: int) -> QemuPort:
    from tinyops.hil._elf import FirmwareImage  # the one ELF reader

    image = FirmwareImage(elf)
    machine = image.symbol_bytes(QEMU_MACHINE_SYMBOL).split(b"\0", 1)[0].decode("ascii", "replace")
    hz = int.from_bytes(image.symbol_bytes(TIMER_HZ_SYMBOL)[:4], "little")
    if not machine or hz <= 0 or 10**9 % hz:
        raise ValueError(
            f"{elf}: {QEMU_MACHINE_SYMBOL} {machine!r} / {TIMER_HZ_SYMBOL} {hz}: expected a machine name and a "
            "timer rate that divides 1 GHz"
        )
    return QemuPort(machine, 10**9 // hz)


def qemu_port(port: str, elf: str | Path | None = None) -> QemuPort:
    """The QEMU facts of `port`, read from `elf` (an image of it; default its runner image); ValueError naming
    the QEMU ports for any other port."""
    known = qemu_ports()
    if port not in known:
        raise ValueError(f"port: expected a QEMU port ({', '.join(known)}), got {port!r}")
    return qemu_facts(elf if elf is not None else runner_elf(port))


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
