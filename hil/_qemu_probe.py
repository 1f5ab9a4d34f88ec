"""A pyOCD debug-probe plugin backed by QEMU's GDB stub, so CI drives the pyOCD target through pyOCD's own API.

With it, `PyocdTarget("tinyops_mps2_an500", probe_id="qemugdb:127.0.0.1:PORT")` runs exactly the code a board
run does: ConnectHelper finds this probe by its id prefix (pyOCD loads it through its `pyocd.probe` entry point,
tinyops.hil._qemu_plugin, which also adds the target type), pyOCD discovers the DP, the MEM-AP, the ROM table and
the Cortex-M core, FileProgrammer writes the ELF, and reset, halt, breakpoints, core registers and memory reads
go through pyOCD's CortexM/FPB classes. Import pyOCD before this module (pyOCD loads it while importing itself).

QEMU has no debug access port and models none of the debug registers, so this probe presents what a probe
sees on silicon and maps it onto the GDB protocol:
  * DP/AP registers: an SW-DP and one AHB-AP (Cortex-M7's IDs) with power-up acknowledgements;
  * memory: through the AP's accelerated memory interface, forwarded to the stub's m/M packets;
  * a ROM table naming the SCS, DWT and FPB with the Armv7-M part numbers;
  * DHCSR/DCRSR/DCRDR/DFSR/AIRCR: halt (Ctrl-C), resume (c), single step (s), core registers (g/G), reset
    (`monitor system_reset`, halting after it when DEMCR.VC_CORERESET asks for it);
  * FPB comparators: GDB software breakpoints (Z0/z0) at the comparator's address.
What this leaves unexercised on a board: the USB transport and firmware of a real probe, SWD line resets and
DP power-up timing, flash algorithms (QEMU's code memory is RAM), and the DWT counting real cycles.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

from pyocd.core import exceptions
from pyocd.core.memory_interface import MemoryInterface
from pyocd.core.memory_map import MemoryMap, RamRegion
from pyocd.coresight.coresight_target import CoreSightTarget
from pyocd.probe.debug_probe import DebugProbe

from tinyops.hil._errors import TargetError
from tinyops.hil._gdb_remote import GdbRemote

# Debug registers (Armv7-M ARM C1.6) and the emulated CoreSight components.
DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR = 0xE000EDF0, 0xE000EDF4, 0xE000EDF8, 0xE000EDFC, 0xE000ED30, 0xE000ED0C
FP_CTRL, FP_COMP0, FP_COMPARATORS = 0xE0002000, 0xE0002008, 6
DWT_CTRL = 0xE0001000
ROM_TABLE = 0xE00FF000
C_DEBUGEN, C_HALT, C_STEP = 1 << 0, 1 << 1, 1 << 2
S_REGRDY, S_HALT, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 24, 1 << 25
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH = 1 << 0, 1 << 1, 1 << 3
DBGKEY, AIRCR_VECTKEY = 0xA05F << 16, 0x05FA << 16
AIRCR_SYSRESETREQ, AIRCR_VECTRESET, VC_CORERESET = 1 << 2, 1 << 0, 1 << 0
DCRSR_REGWNR = 1 << 16
DPIDR, AHB_AP_IDR = 0x2BA01477, 0x74770001
CSYSPWRUPREQ, CDBGPWRUPREQ = 1 << 30, 1 << 28
ARM_JEP106, ARM_CONTINUATION = 0x3B, 0x4
# component base -> (CIDR class, part number): SCS, DWT and FPB of an Armv7-M (Cortex-M7) core.
COMPONENTS = {ROM_TABLE: (0x1, 0x4C7), 0xE000E000: (0xE, 0x00C), 0xE0001000: (0xE, 0x002), 0xE0002000: (0xE, 0x00E)}
PPB_START, PPB_END = 0xE0000000, 0xE0100000
# Registers QEMU models itself (CPUID, CPACR, VTOR, MVFR*, ...) are read from it; these are the probe's own.
EMULATED = {DHCSR, DCRSR, DCRDR, DEMCR, DFSR, AIRCR}
XPSR_OFFSET = 16 * 4 + 8 * 12 + 4  # in QEMU's 'g' reply for Arm without target XML: r0-r15, f0-f7, fps, cpsr


def _id_registers(component_class: int, part: int) -> dict[int, int]:
    """The PIDR/CIDR words of a component (one byte per word, as CoreSight lays them out)."""
    pidr = [part & 0xFF, ((part >> 8) & 0xF) | ((ARM_JEP106 & 0xF) << 4), ((ARM_JEP106 >> 4) & 0x7) | 0x8, 0]
    cidr = [0x0D, component_class << 4, 0x05, 0xB1]
    words = {0xFD0: ARM_CONTINUATION}
    words.update({0xFE0 + 4 * i: v for i, v in enumerate(pidr)})
    words.update({0xFF0 + 4 * i: v for i, v in enumerate(cidr)})
    return words


class QemuGdbMemory(MemoryInterface):
    """The AHB-AP's memory as pyOCD sees it: QEMU's memory, plus the debug registers this probe provides."""

    def __init__(self, gdb: GdbRemote) -> None:
        self._gdb = gdb
        self.halted = True  # QEMU starts with -S
        self._running = False
        self._dhcsr_flags = S_RESET_ST
        self._dfsr = DFSR_HALTED
        self._demcr = 0
        self._dcrdr = 0
        self._ppb: dict[int, int] = {FP_CTRL: (1 << 28) | (FP_COMPARATORS << 4), DWT_CTRL: 0}
        self._breakpoints: dict[int, int] = {}  # comparator -> address
        rom_entries = [((base - ROM_TABLE) & 0xFFFFF000) | 0x3 for base in COMPONENTS if base != ROM_TABLE]
        self._ppb.update({ROM_TABLE + 4 * i: entry for i, entry in enumerate(rom_entries + [0])})
        for base, (component_class, part) in COMPONENTS.items():
            self._ppb.update({(base & ~0xFFF) + off: v for off, v in _id_registers(component_class, part).items()})

    # -- run control ------------------------------------------------------------------------------------
    def _poll_stop(self) -> None:
        if not self._running:
            return
        reply = self._gdb.poll_stop()
        if reply is not None:
            if reply[:1] in (b"W", b"X"):
                raise exceptions.ProbeDisconnected("QEMU exited")
            self._running, self.halted = False, True
            self._dfsr |= DFSR_BKPT

    def _halt(self) -> None:
        self._poll_stop()  # it may have stopped on its own since the last look
        if self._running:
            self._gdb.halt()
            self._running, self.halted = False, True
            self._dfsr |= DFSR_HALTED

    def _resume(self) -> None:
        if self.halted:
            self._gdb.resume()
            self._running, self.halted = True, False
            self._dhcsr_flags |= S_RETIRE_ST

    def reset(self, halt_after: bool | None = None) -> None:
        self._halt()
        self._gdb.monitor("system_reset")
        self._dhcsr_flags = S_RESET_ST
        catch = bool(self._demcr & VC_CORERESET) if halt_after is None else halt_after
        if catch:
            self._dfsr |= DFSR_VCATCH
        else:
            self._resume()

    # -- core registers via g/G ---------------------------------------------------------------------------
    def _registers(self) -> bytearray:
        return bytearray(bytes.fromhex(self._gdb.command(b"g").decode()))

    def _core_register(self, selector: int, write: bool) -> None:
        offset = 4 * selector if selector < 16 else XPSR_OFFSET if selector == 16 else None
        if selector in (17,):  # MSP: the stack pointer QEMU reports
            offset = 4 * 13
        registers = self._registers()
        if not write:
            self._dcrdr = struct.unpack_from("<I", registers, offset)[0] if offset is not None else 0
        elif offset is not None:
            struct.pack_into("<I", registers, offset, self._dcrdr)
            if self._gdb.command(b"G" + registers.hex().encode()) != b"OK":
                raise exceptions.TransferError(f"QEMU refused a write of core register {selector}")

    # -- the PPB the probe emulates -----------------------------------------------------------------------
    def _read_word(self, address: int) -> int:
        if address == DHCSR:
            self._poll_stop()
            value = C_DEBUGEN | S_REGRDY | self._dhcsr_flags | ((C_HALT | S_HALT) if self.halted else 0)
            self._dhcsr_flags &= ~(S_RESET_ST | S_RETIRE_ST)  # sticky bits clear on read
            return value
        if address == DFSR:
            return self._dfsr
        if address == DEMCR:
            return self._demcr
        if address == DCRDR:
            return self._dcrdr
        if address in EMULATED or address in self._ppb or not self._forwarded(address):
            return self._ppb.get(address, 0)
        return struct.unpack("<I", self._gdb.read_memory(address, 4))[0]

    @staticmethod
    def _forwarded(address: int) -> bool:
        # The SCS's ID block (0xE000ED00..0xE000EF4F) is QEMU's; the rest of the PPB is the probe's.
        return 0xE000E000 <= address < 0xE000EFD0 and address not in EMULATED

    def _write_word(self, address: int, value: int) -> None:
        if address == DHCSR:
            if value & 0xFFFF0000 != DBGKEY:
                return
            if value & C_HALT:
                self._halt()
            elif value & C_STEP and self.halted:
                pc = struct.unpack_from("<I", self._registers(), 4 * 15)[0]
                at_breakpoint = pc in self._breakpoints.values()
                if at_breakpoint:  # an FPB match is taken before the instruction; QEMU's would re-trigger
                    self._gdb.remove_breakpoint(pc)
                self._gdb.step()
                if at_breakpoint:
                    self._gdb.set_breakpoint(pc)
                self._dfsr |= DFSR_HALTED
            else:
                self._resume()
        elif address == DFSR:
            self._dfsr &= ~value
        elif address == DEMCR:
            self._demcr = value
        elif address == DCRDR:
            self._dcrdr = value
        elif address == DCRSR:
            self._core_register(value & 0x7F, bool(value & DCRSR_REGWNR))
        elif address == AIRCR:
            if value & 0xFFFF0000 == AIRCR_VECTKEY and value & (AIRCR_SYSRESETREQ | AIRCR_VECTRESET):
                self.reset()
        elif FP_COMP0 <= address < FP_COMP0 + 4 * FP_COMPARATORS:
            self._set_comparator((address - FP_COMP0) // 4, value)
        elif self._forwarded(address):
            self._gdb.write_memory(address, struct.pack("<I", value))
        else:
            self._ppb[address] = value

    def _set_comparator(self, index: int, value: int) -> None:
        old = self._breakpoints.pop(index, None)
        if old is not None:
            self._gdb.remove_breakpoint(old)
        if value & 1:
            address = value & 0xFFFFFFFE  # FPBv2: the comparator holds the instruction address
            self._gdb.set_breakpoint(address)
            self._breakpoints[index] = address

    # -- MemoryInterface --------------------------------------------------------------------------------
    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except TargetError as exc:
            raise exceptions.ProbeDisconnected(str(exc)) from None

    def _read(self, address: int, length: int) -> bytes:
        def read() -> bytes:
            if PPB_START <= address < PPB_END:
                base = address & ~3
                words = b"".join(struct.pack("<I", self._read_word(a)) for a in range(base, address + length, 4))
                return words[address - base : address - base + length]
            if self._running:
                raise exceptions.TransferError("memory access while the core runs (QEMU's stub is busy)")
            return self._gdb.read_memory(address, length)

        return self._guard(read)

    def _write(self, address: int, data: bytes) -> None:
        def write() -> None:
            if PPB_START <= address < PPB_END:
                if address % 4 or len(data) % 4:
                    raise exceptions.TransferError(f"unaligned debug register write at {address:#x}")
                for i in range(0, len(data), 4):
                    self._write_word(address + i, struct.unpack_from("<I", data, i)[0])
                return
            if self._running:
                raise exceptions.TransferError("memory access while the core runs (QEMU's stub is busy)")
            self._gdb.write_memory(address, data)

        self._guard(write)

    def write_memory(self, addr: int, data: int, transfer_size: int = 32, **_: Any) -> None:
        self._write(addr, data.to_bytes(transfer_size // 8, "little"))

    def read_memory(self, addr: int, transfer_size: int = 32, now: bool = True, **_: Any) -> Any:
        value = int.from_bytes(self._read(addr, transfer_size // 8), "little")
        return value if now else (lambda: value)

    def write_memory_block32(self, addr: int, data: Sequence[int], **_: Any) -> None:
        self._write(addr, b"".join(struct.pack("<I", w) for w in data))

    def read_memory_block32(self, addr: int, size: int, **_: Any) -> Sequence[int]:
        return list(struct.unpack(f"<{size}I", self._read(addr, 4 * size)))

    def write_memory_block8(self, addr: int, data: Sequence[int], **_: Any) -> None:
        self._write(addr, bytes(data))

    def read_memory_block8(self, addr: int, size: int, **_: Any) -> Sequence[int]:
        return list(self._read(addr, size))


class QemuGdbProbe(DebugProbe):
    """pyOCD's view of a QEMU GDB stub: unique id `HOST:PORT` (select it with `qemugdb:HOST:PORT`)."""

    @classmethod
    def get_all_connected_probes(cls, unique_id: str | None = None, is_explicit: bool = False) -> list[DebugProbe]:
        return [cls(unique_id)] if is_explicit and unique_id else []

    @classmethod
    def get_probe_with_id(cls, unique_id: str, is_explicit: bool = False) -> DebugProbe | None:
        return cls(unique_id) if is_explicit else None

    def __init__(self, unique_id: str) -> None:
        super().__init__()
        host, _, port = unique_id.rpartition(":")
        if not host or not port.isdigit():
            raise exceptions.ProbeError(f"qemugdb probe id: expected HOST:PORT, got '{unique_id}'")
        self._host, self._port = host, int(port)
        self._gdb: GdbRemote | None = None
        self._memory: QemuGdbMemory | None = None
        self._dp_ctrl_stat = 0
        self._ap_registers: dict[int, int] = {0x00: 0x03000052}  # CSW: 32-bit, auto-increment, DeviceEn
        self._reset_asserted = False

    description = property(lambda self: f"QEMU GDB stub at {self._host}:{self._port}")
    vendor_name = property(lambda self: "QEMU")
    product_name = property(lambda self: "GDB stub")
    supported_wire_protocols = property(lambda self: [DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD])
    unique_id = property(lambda self: f"{self._host}:{self._port}")
    wire_protocol = property(lambda self: DebugProbe.Protocol.SWD if self._memory else None)
    is_open = property(lambda self: self._gdb is not None)
    capabilities = property(lambda self: {DebugProbe.Capability.MANAGED_AP_SELECTION})

    def open(self) -> None:
        try:
            self._gdb = GdbRemote(self._host, self._port, timeout_s=10.0, connect_timeout_s=10.0)
        except TargetError as exc:
            raise exceptions.ProbeError(str(exc)) from None
        self._memory = QemuGdbMemory(self._gdb)

    def close(self) -> None:
        if self._gdb is not None:
            self._gdb.close()
        self._gdb = self._memory = None

    def connect(self, protocol: DebugProbe.Protocol | None = None) -> None:
        if self._memory is None:
            raise exceptions.ProbeError("qemugdb: connect() before open()")

    def disconnect(self) -> None:
        pass

    def set_clock(self, frequency: float) -> None:
        pass  # an emulator has no wire clock

    def reset(self) -> None:
        assert self._memory is not None
        self._memory.reset()

    def assert_reset(self, asserted: bool) -> None:
        assert self._memory is not None
        if asserted and not self._reset_asserted:
            self._memory.reset(halt_after=True)  # held in reset: not running
        elif not asserted and self._reset_asserted and not (self._memory._demcr & VC_CORERESET):
            self._memory._resume()
        self._reset_asserted = asserted

    def is_reset_asserted(self) -> bool:
        return self._reset_asserted

    def flush(self) -> None:
        pass

    # DP: SW-DP ID, power-up requests acknowledged at once. AP 0: AHB-AP with the ROM table at 0xE00FF000.
    def read_dp(self, addr: int, now: bool = True) -> Any:
        value = {0x0: DPIDR, 0x4: self._dp_ctrl_stat | ((self._dp_ctrl_stat & (CSYSPWRUPREQ | CDBGPWRUPREQ)) << 1)}
        result = value.get(addr & 0xF, 0)
        return result if now else (lambda: result)

    def write_dp(self, addr: int, data: int) -> None:
        if addr & 0xF == 0x4:
            self._dp_ctrl_stat = data

    def read_ap(self, addr: int, now: bool = True) -> Any:
        apsel, register = (addr >> 24) & 0xFF, addr & 0xFF
        if apsel != 0:
            result = 0
        else:
            result = {0xFC: AHB_AP_IDR, 0xF8: ROM_TABLE | 0x3, 0xF4: 0}.get(
                register, self._ap_registers.get(register, 0)
            )
        return result if now else (lambda: result)

    def write_ap(self, addr: int, data: int) -> None:
        self._ap_registers[addr & 0xFF] = data

    def read_ap_multiple(self, addr: int, count: int = 1, now: bool = True) -> Any:
        values = [self.read_ap(addr) for _ in range(count)]
        return values if now else (lambda: values)

    def write_ap_multiple(self, addr: int, values: Sequence[int]) -> None:
        for value in values:
            self.write_ap(addr, value)

    def get_memory_interface_for_ap(self, ap_address: Any) -> MemoryInterface | None:
        return self._memory if getattr(ap_address, "apsel", 0) == 0 else None


class Mps2An500(CoreSightTarget):
    """pyOCD target for QEMU's mps2-an500: all of its memories are RAM (no flash algorithm needed)."""

    VENDOR = "Arm"
    MEMORY_MAP = MemoryMap(
        RamRegion(start=0x00000000, length=0x00400000, name="ssram1", is_boot_memory=True),
        RamRegion(start=0x20000000, length=0x00400000, name="ssram23"),
        RamRegion(start=0x60000000, length=0x01000000, name="psram"),
    )

    def __init__(self, session: Any) -> None:
        super().__init__(session, self.MEMORY_MAP)
