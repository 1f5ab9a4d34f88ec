"""The QEMU target: the firmware's QEMU ports under `qemu-system-arm`, driven through QEMU's GDB stub.

Why the GDB stub rather than semihosting output or the plugin's log: it is the board path. A board's results
are read from RAM by the ELF symbol through a debug probe; here the same bytes are read from the emulated RAM
through the stub, so the parser, the exit/fault breakpoints and the timeouts are the ones a board run uses.
`-icount shift=0` makes the port's timer count exactly one tick per 40 instructions, so the measurements
are deterministic instruction counts, labelled as such (never as cycles).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tinyops.compiler._ports import qemu_port
from tinyops.compiler._qemu import qemu_command
from tinyops.hil._elf import FirmwareImage
from tinyops.hil._errors import TargetError, TargetTimeout
from tinyops.hil._gdb_remote import GdbRemote
from tinyops.hil._target import Target

_REGISTER_NUMBERS = {"r0": 0, "sp": 13, "pc": 15}


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class QemuProcess:
    """One `qemu-system-arm` process for a QEMU port, started halted with its GDB stub on a loopback port.

    QemuTarget drives it; a pyOCD session can drive it instead through the `qemugdb` probe (_qemu_probe.py).
    """

    def __init__(
        self,
        port: str = "qemu-mps2-an500",
        plugin: Path | None = None,
        plugin_args: str = "",
        qemu: str = "qemu-system-arm",
    ) -> None:
        qemu_port(port)  # ValueError naming the QEMU ports for any other
        executable = shutil.which(qemu)
        if executable is None:
            raise TargetError(f"{qemu}: not found (scripts/setup.sh installs Debian's qemu-system-arm)")
        self.port = port
        self.gdb_port = _free_tcp_port()
        plugin_spec = None if plugin is None else f"{plugin}{',' + plugin_args if plugin_args else ''}"
        command = qemu_command(
            port,
            plugin=plugin_spec,
            plugin_log=True,
            executable=executable,
            extra=["-gdb", f"tcp:127.0.0.1:{self.gdb_port}", "-S"],
        )
        self.command = command
        # The console (semihosting) goes to a file, never a pipe: a pipe nobody drains fills after a few
        # runs, and QEMU then blocks in the write, the GDB stub with it.
        self._console = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._console, stderr=subprocess.STDOUT
        )

    def console_tail(self, chars: int = 400) -> str:
        self._console.seek(0, os.SEEK_END)
        self._console.seek(max(0, self._console.tell() - chars))
        return self._console.read().decode(errors="replace").strip()

    def output(self) -> str:
        if self.process.poll() is None:
            return "QEMU still running"
        return f"QEMU exited with {self.process.returncode}: {self.console_tail()}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._console.close()

    def __enter__(self) -> QemuProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class QemuTarget(Target):
    """A QEMU port driven through its GDB stub by this process."""

    kind = "qemu"

    def __init__(
        self,
        port: str = "qemu-mps2-an500",
        timeout_s: float = 60.0,
        plugin: Path | None = None,
        plugin_args: str = "",
        qemu: str = "qemu-system-arm",
    ) -> None:
        super().__init__(timeout_s)
        self.machine = QemuProcess(port, plugin, plugin_args, qemu)
        self._breakpoints: set[int] = set()
        self._gdb: GdbRemote | None = None
        try:
            self._gdb = GdbRemote("127.0.0.1", self.machine.gdb_port, timeout_s=10.0, connect_timeout_s=10.0)
        except TargetError:
            self.machine.close()
            raise TargetError(f"qemu: could not attach to the GDB stub ({self.machine.output()})") from None

    @property
    def gdb(self) -> GdbRemote:
        if self._gdb is None:
            raise TargetError("qemu: the target is closed")
        return self._gdb

    def measured_unit(self) -> tuple[str, int]:
        # Under -icount shift=0 a tick of the port's timer is a fixed number of instructions (firmware/README.md).
        return "instructions", qemu_port(self.machine.port).instructions_per_tick

    # -- probe primitives over the GDB stub ---------------------------------------------------------------
    def _write_memory(self, address: int, data: bytes) -> None:
        self.gdb.write_memory(address, data)

    def _read_memory(self, address: int, length: int) -> bytes:
        return self.gdb.read_memory(address, length)

    def _read_core_register(self, name: str) -> int:
        return self.gdb.read_register(_REGISTER_NUMBERS[name])

    def _set_breakpoint(self, address: int) -> None:
        if address not in self._breakpoints:
            self.gdb.set_breakpoint(address)
            self._breakpoints.add(address)

    def _resume(self) -> None:
        pc = self._read_core_register("pc")
        if pc in self._breakpoints:  # step over it, or QEMU stops at once on the same breakpoint
            self.gdb.remove_breakpoint(pc)
            self.gdb.step()
            self.gdb.set_breakpoint(pc)
        self.gdb.resume()

    def _wait_for_halt(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                reply = self.gdb.wait_for_stop(max(0.0, deadline - time.monotonic()))
            except TargetTimeout:
                return False
            if reply[:1] in (b"W", b"X"):
                raise TargetError(
                    f"qemu: the emulator exited before the firmware reached its exit seam "
                    f"({reply.decode(errors='replace')})"
                )
            if reply[:1] in (b"S", b"T"):
                return True

    def _halt(self) -> None:
        self.gdb.halt()

    def _reset_and_halt(self) -> None:
        # A system reset reloads SP and PC from the vector table in (emulated) memory; the VM stays stopped.
        self.gdb.monitor("system_reset")

    def _program(self, firmware: FirmwareImage) -> None:
        for segment in firmware.segments:
            self.gdb.write_memory(segment.address, segment.data)
        self._reset_and_halt()  # pick up the new vector table

    def close(self) -> None:
        if self._gdb is not None:
            self._gdb.close()
            self._gdb = None
        self.machine.close()
