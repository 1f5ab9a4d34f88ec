"""The target interface: flash an image, run it, read the per-op results, reset, close.

Layering as in pyOCD: a concrete target supplies the debug primitives of its "probe" (memory, one core
register, breakpoints, resume/halt/reset); this class builds on them the one run protocol every target shares,
so QEMU and a board are driven, and fail, the same way:

  reset and halt -> break on the exit seam (`tinyops::rt::port::exit`) and on the fault handler ->
  resume -> wait for a halt within the timeout -> read `tinyops_results` by its ELF symbol.
"""

from __future__ import annotations

import abc
import time
from types import TracebackType

from tinyops.compiler._blob import split_blob
from tinyops.hil._elf import FirmwareImage
from tinyops.hil._errors import FirmwareFault, TargetError, TargetTimeout
from tinyops.hil._results import HEADER_BYTES, OP_RESULT_BYTES, RESULTS_SYMBOL, RunResults, parse_header, parse_results

EXIT_SYMBOL = "_ZN7tinyops2rt4port4exitEi"  # tinyops::rt::port::exit(int): r0 holds the exit code
FAULT_SYMBOL = "tinyops_unexpected_exception"  # the startup code's handler for every unexpected exception
BLOB_SYMBOL = "__tinyops_blob_start"  # where the port expects the model blob (linker script)
# Where the port expects the blob's flash image (the constants the plan puts in internal flash): its flash slot.
FLASH_SLOT_SYMBOLS = ("__tinyops_flash_start", "__tinyops_flash_end")
# The runner calls this empty function once the port is up (external memory mapped), so the host can write
# the blob where it could not before: on a board, SDRAM only answers after the firmware has set up the FMC.
WAIT_FOR_HOST_SYMBOL = "tinyops_wait_for_host"


class Target(abc.ABC):
    """A place firmware runs. Use as a context manager so that the probe or emulator is always released."""

    kind: str = "target"

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s
        self.firmware: FirmwareImage | None = None
        self._pending_blob: bytes | None = None

    # -- the probe primitives each target supplies ---------------------------------------------------------
    @abc.abstractmethod
    def _write_memory(self, address: int, data: bytes) -> None: ...

    @abc.abstractmethod
    def _read_memory(self, address: int, length: int) -> bytes: ...

    @abc.abstractmethod
    def _read_core_register(self, name: str) -> int:
        """'r0' or 'pc'."""

    @abc.abstractmethod
    def _set_breakpoint(self, address: int) -> None: ...

    @abc.abstractmethod
    def _resume(self) -> None: ...

    @abc.abstractmethod
    def _wait_for_halt(self, timeout_s: float) -> bool:
        """True once the core has halted; False if it still runs after `timeout_s`."""

    @abc.abstractmethod
    def _halt(self) -> None: ...

    @abc.abstractmethod
    def _reset_and_halt(self) -> None: ...

    @abc.abstractmethod
    def _program(self, firmware: FirmwareImage) -> None:
        """Write the ELF's loadable segments to the target (flash on a board, RAM on QEMU)."""

    def _program_flash(self, address: int, data: bytes) -> None:
        """Write `data` into the internal flash at `address`. QEMU's "internal flash" is RAM; a board's target
        programs it through its flash algorithm instead."""
        self._write_memory(address, data)

    @abc.abstractmethod
    def close(self) -> None:
        """Release the probe or stop the emulator; safe to call twice."""

    # -- the shared protocol ------------------------------------------------------------------------------
    def flash(self, firmware: FirmwareImage, blob: bytes | None = None) -> None:
        """Program `firmware`; the model blob (a .blob file's bytes), if given, goes where the port's linker
        script puts it: the blob into the blob slot, its flash image (if the plan puts constants in internal
        flash) into the flash slot, programmed now with the firmware.

        A runner that waits for the host (WAIT_FOR_HOST_SYMBOL) gets the blob at that point of the next run;
        any other firmware gets it now.
        """
        firmware.symbol(RESULTS_SYMBOL)  # fail before programming if this is not a TinyOps firmware
        firmware.symbol(EXIT_SYMBOL)
        flash_image = b""
        if blob is not None:
            firmware.symbol(BLOB_SYMBOL)
            blob, flash_image = split_blob(blob)
        if flash_image:
            (start, _), (end, _) = (firmware.symbol(name) for name in FLASH_SLOT_SYMBOLS)
            if len(flash_image) > end - start:
                raise TargetError(
                    f"{self.kind}: the blob's flash image ({len(flash_image):,} B) exceeds the flash slot of "
                    f"{firmware.path} ({end - start:,} B at {start:#x})"
                )
        self._reset_and_halt()
        self._program(firmware)
        if flash_image:
            self._program_flash(start, flash_image)
        self.firmware = firmware
        self._pending_blob = blob
        if blob is not None and not firmware.has_symbol(WAIT_FOR_HOST_SYMBOL):
            self._write_blob()

    def _write_blob(self) -> None:
        assert self.firmware is not None and self._pending_blob is not None
        blob, self._pending_blob = self._pending_blob, None
        address, _ = self.firmware.symbol(BLOB_SYMBOL)
        self._write_memory(address, blob)
        if self._read_memory(address, min(len(blob), 64)) != blob[:64]:
            raise TargetError(
                f"{self.kind}: the model blob did not read back at {address:#x} (is external memory mapped?)"
            )

    def reset(self) -> None:
        self._reset_and_halt()

    def measured_unit(self) -> tuple[str, int]:
        """(unit, factor): what a count in the firmware's results measures on this target. Boards: DWT cycles."""
        return "cycles", 1

    def run(self, timeout_s: float | None = None) -> RunResults:
        """Reset, run to the firmware's exit and return its results.

        Raises TargetTimeout (a hung firmware: the core is halted and the last op reached is named),
        FirmwareFault (a fault handler ran, or the runtime reported a non-zero status) or TargetError.
        """
        if self.firmware is None:
            raise TargetError(f"{self.kind}: run() before flash()")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        exit_address, _ = self.firmware.symbol(EXIT_SYMBOL)
        self._reset_and_halt()
        self._set_breakpoint(exit_address)
        fault_address = None
        if self.firmware.has_symbol(FAULT_SYMBOL):
            fault_address, _ = self.firmware.symbol(FAULT_SYMBOL)
            self._set_breakpoint(fault_address)
        wait_address = None
        if self.firmware.has_symbol(WAIT_FOR_HOST_SYMBOL):
            wait_address, _ = self.firmware.symbol(WAIT_FOR_HOST_SYMBOL)
            self._set_breakpoint(wait_address)
        started = time.monotonic()
        deadline = started + timeout_s
        while True:
            self._resume()
            if not self._wait_for_halt(max(0.0, deadline - time.monotonic())):
                self._halt()
                raise TargetTimeout(
                    f"{self.kind}: the firmware did not finish within {timeout_s:.1f} s "
                    f"({self._progress()}); halted at pc={self._read_core_register('pc'):#x}"
                )
            pc = self._read_core_register("pc")
            if pc != wait_address:
                break
            if self._pending_blob is not None:  # the port is up: external memory answers now
                self._write_blob()
        if pc == fault_address:
            raise FirmwareFault(
                f"{self.kind}: the firmware faulted after {time.monotonic() - started:.2f} s ({self._progress()})"
            )
        if pc != exit_address:
            raise TargetError(f"{self.kind}: the core halted at pc={pc:#x}, neither at exit nor at a fault handler")
        exit_code = self._read_core_register("r0")
        if exit_code != 0:  # e.g. the runner rejected the blob: the header's status says why
            raise FirmwareFault(
                f"{self.kind}: the firmware exited with code {exit_code} ({self._progress()}; "
                "statuses: firmware/include/tinyops/rt/status.hpp)"
            )
        results = self.read_results()
        if results.status != 0:
            raise FirmwareFault(
                f"{self.kind}: the runtime reported status {results.status} (firmware/include/tinyops/rt/status.hpp)"
            )
        return results

    def read_results(self) -> RunResults:
        """The results struct, read from target memory by its ELF symbol."""
        if self.firmware is None:
            raise TargetError(f"{self.kind}: read_results() before flash()")
        address, size = self.firmware.symbol(RESULTS_SYMBOL)
        capacity = max(0, (size - HEADER_BYTES) // OP_RESULT_BYTES)
        return parse_results(self._read_memory(address, size or HEADER_BYTES), capacity)

    def _progress(self) -> str:
        """What the results header says so far, for a failure message."""
        assert self.firmware is not None
        address, _ = self.firmware.symbol(RESULTS_SYMBOL)
        try:
            _magic, _version, _op_bytes, status, op_count, _runs, _unit = parse_header(
                self._read_memory(address, HEADER_BYTES)
            )
        except TargetError as exc:
            return f"results unreadable: {exc}"
        return f"{op_count} ops recorded, status {status}"

    def __enter__(self) -> Target:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
