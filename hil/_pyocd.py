"""The pyOCD target: real boards through a debug probe (CMSIS-DAP, ST-Link, J-Link, or `pyocd server`).

Probe -> session -> target -> flash, as pyOCD layers them:
  * probe: `ConnectHelper.session_with_chosen_probe(unique_id=...)`; a unique id `remote:HOST:PORT` reaches a
    probe shared by `pyocd server` on another machine through the very same call;
  * target: the session's board target, by name (`target_override`): builtin pyOCD targets are used as such;
    the STM32F746 needs its CMSIS pack, installed once by the user: `pyocd pack install stm32f746ng`;
  * flash: `FileProgrammer` writes the ELF's loadable segments (programming flash through the target's
    algorithm, RAM directly);
  * results: memory reads at the ELF symbol `tinyops_results`, after the core halts on the exit seam.

The DWT cycle counter is enabled from the host before every run (TRCENA, unlock, reset, CYCCNTENA), so a port
that reads CYCCNT measures cycles even if its own start-up left the DWT off.
"""

from __future__ import annotations

import time
from typing import Any

from tinyops.hil._elf import FirmwareImage
from tinyops.hil._errors import TargetError, TargetTimeout
from tinyops.hil._target import Target

# Armv7-M ARM C1.6 / C1.8: debug and DWT registers.
DEMCR, DEMCR_TRCENA = 0xE000EDFC, 1 << 24
DWT_CTRL, DWT_CYCCNT, DWT_LAR, DWT_LAR_KEY = 0xE0001000, 0xE0001004, 0xE0001FB0, 0xC5ACCE55

# pyOCD target names of the catalog's boards. Builtin to pyOCD: used as such. The others come from the
# vendor's CMSIS pack, which the user installs once: `pyocd pack install <name>`.
PYOCD_TARGETS = {
    "stm32f746g-disco": "stm32f746ng",
    "stm32f769i-disco": "stm32f769nihx",
    "stm32f469i-disco": "stm32f469nihx",
    "stm32h743-nucleo": "stm32h743xx",
}
PACK_TARGETS = {"stm32f746ng", "stm32f769nihx", "stm32f469nihx"}


def pack_installed(target_name: str) -> bool:
    """Whether a pack installed with `pyocd pack install` provides `target_name`."""
    from pyocd.target.pack.pack_target import ManagedPacks

    return any(dev.part_number.lower() == target_name.lower() for dev in ManagedPacks.get_installed_targets())


def _pyocd_error(exc: BaseException) -> TargetError:
    return TargetError(f"pyocd: {type(exc).__name__}: {exc}")


class PyocdTarget(Target):
    """A board behind a debug probe. `probe_id`: a unique id (substring), or `remote:HOST:PORT`."""

    kind = "pyocd"

    def __init__(
        self,
        target_name: str,
        probe_id: str | None = None,
        timeout_s: float = 60.0,
        frequency_hz: int = 4_000_000,
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(timeout_s)
        from pyocd.core.helpers import ConnectHelper  # heavy import, only for board runs
        from pyocd.target import TARGET

        if target_name not in TARGET and not (options or {}).get("pack") and not pack_installed(target_name):
            raise TargetError(
                f"pyocd: target '{target_name}' is not builtin to pyOCD and no installed CMSIS pack "
                f"provides it: run `pyocd pack install {target_name}` once"
            )
        session_options: dict[str, Any] = {
            "target_override": target_name,
            "frequency": frequency_hz,
            "connect_mode": "under-reset",
            "resume_on_disconnect": False,
        }
        session_options.update(options or {})
        try:
            session = ConnectHelper.session_with_chosen_probe(
                blocking=False, return_first=True, unique_id=probe_id, options=session_options
            )
        except Exception as exc:  # pyOCD raises its own exception types from USB and network layers
            raise _pyocd_error(exc) from None
        if session is None:
            where = f"matching '{probe_id}'" if probe_id else "connected"
            raise TargetError(
                f"pyocd: no debug probe {where} (is the board plugged in, or `pyocd server` "
                "running for a remote:HOST:PORT id?)"
            )
        self.session = session
        try:
            session.open()
        except Exception as exc:
            raise _pyocd_error(exc) from None
        self._target = session.board.target
        self._breakpoints: set[int] = set()

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        """Every probe access goes through here: a probe that disappears becomes a TargetError naming the step."""
        try:
            return fn(*args)
        except TargetError:
            raise
        except Exception as exc:
            raise TargetError(f"pyocd: {what} failed: {type(exc).__name__}: {exc}") from None

    def _write_memory(self, address: int, data: bytes) -> None:
        self._call(f"write at {address:#x}", self._target.write_memory_block8, address, list(data))

    def _read_memory(self, address: int, length: int) -> bytes:
        return bytes(self._call(f"read at {address:#x}", self._target.read_memory_block8, address, length))

    def _read_core_register(self, name: str) -> int:
        return int(self._call(f"read {name}", self._target.read_core_register, name))

    def _set_breakpoint(self, address: int) -> None:
        if address in self._breakpoints:
            return
        if not self._call(f"breakpoint at {address:#x}", self._target.set_breakpoint, address):
            raise TargetError(f"pyocd: no hardware breakpoint left for {address:#x}")
        self._breakpoints.add(address)

    def _resume(self) -> None:
        if self._read_core_register("pc") in self._breakpoints:
            self._call("step over the breakpoint", self._target.step)
        self._enable_cycle_counter()
        self._call("resume", self._target.resume)

    def _wait_for_halt(self, timeout_s: float) -> bool:
        from pyocd.core.target import Target as PyocdCoreTarget

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self._call("read core state", self._target.get_state)
            if state == PyocdCoreTarget.State.HALTED:
                return True
            if state == PyocdCoreTarget.State.LOCKUP:
                raise TargetError("pyocd: the core is in lockup (a fault inside a fault handler)")
            time.sleep(0.01)
        return False

    def _halt(self) -> None:
        self._call("halt", self._target.halt)

    def _reset_and_halt(self) -> None:
        self._call("reset and halt", self._target.reset_and_halt)

    def _program(self, firmware: FirmwareImage) -> None:
        from pyocd.flash.file_programmer import FileProgrammer
        from pyocd.flash.loader import MemoryLoader
        from pyocd.probe.tcp_client_probe import TCPClientProbe

        started = time.monotonic()
        if isinstance(self.session.probe, TCPClientProbe):
            # pyOCD 0.36-0.46: the remote probe's client sends block writes as JSON and fails on the bytearray
            # its RAM loader passes, so RAM segments are written here as lists; flash goes through the loader.
            loader = MemoryLoader(self.session)
            for segment in firmware.segments:
                region = self._target.memory_map.get_region_for_address(segment.address)
                if region is not None and region.is_ram:
                    self._write_memory(segment.address, segment.data)
                else:
                    loader.add_data(segment.address, list(segment.data))
            self._call("programming", loader.commit)
        else:
            programmer = FileProgrammer(self.session, progress=lambda _fraction: None)  # no progress bar
            self._call("programming", programmer.program, str(firmware.path), "elf")
        if time.monotonic() - started > self.timeout_s:
            raise TargetTimeout(f"pyocd: programming took longer than {self.timeout_s:.0f} s")
        self._reset_and_halt()

    def _program_flash(self, address: int, data: bytes) -> None:
        from pyocd.flash.loader import MemoryLoader

        region = self._target.memory_map.get_region_for_address(address)
        if region is not None and region.is_ram:  # QEMU's "internal flash" (SSRAM1), through the qemugdb probe
            self._write_memory(address, data)
            return
        started = time.monotonic()
        loader = MemoryLoader(self.session)  # erases and programs the flash sectors `data` covers
        loader.add_data(address, list(data))
        self._call(f"programming the flash image at {address:#x}", loader.commit)
        if time.monotonic() - started > self.timeout_s:
            raise TargetTimeout(f"pyocd: programming the flash image took longer than {self.timeout_s:.0f} s")
        self._reset_and_halt()

    def _enable_cycle_counter(self) -> None:
        demcr = self._call("read DEMCR", self._target.read32, DEMCR)
        self._call("write DEMCR", self._target.write32, DEMCR, demcr | DEMCR_TRCENA)
        self._call("unlock DWT", self._target.write32, DWT_LAR, DWT_LAR_KEY)
        self._call("reset CYCCNT", self._target.write32, DWT_CYCCNT, 0)
        ctrl = self._call("read DWT_CTRL", self._target.read32, DWT_CTRL)
        self._call("enable CYCCNT", self._target.write32, DWT_CTRL, ctrl | 1)

    def close(self) -> None:
        session = getattr(self, "session", None)
        if session is not None:
            self.session = None  # type: ignore[assignment]
            try:
                session.close()  # releases the probe
            except Exception:  # a probe already gone cannot be released any further
                pass
