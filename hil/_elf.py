"""What the host needs from a firmware ELF (pyelftools): symbol addresses and the loadable segments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection


@dataclass(frozen=True)
class Segment:
    address: int  # load (physical) address, where a programmer writes it
    data: bytes


class FirmwareImage:
    """A firmware ELF: symbols by name, PT_LOAD segments, and a content hash that identifies the build."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise FileNotFoundError(f"{self.path}: cannot read the firmware ELF ({exc.strerror})") from None
        self.sha256 = hashlib.sha256(raw).hexdigest()
        try:
            with self.path.open("rb") as stream:
                elf = ELFFile(stream)
                if elf["e_machine"] != "EM_ARM":
                    raise ValueError(f"{self.path}: expected an Arm ELF, got machine {elf['e_machine']}")
                self.entry = int(elf["e_entry"])
                self._symbols = self._read_symbols(elf)
                self.segments = [
                    Segment(int(seg["p_paddr"]), seg.data())
                    for seg in elf.iter_segments()
                    if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0
                ]
        except ELFError as exc:
            raise ValueError(f"{self.path}: not a valid ELF file ({exc})") from None
        if not self.segments:
            raise ValueError(f"{self.path}: the ELF has no loadable segments")

    @staticmethod
    def _read_symbols(elf: ELFFile) -> dict[str, tuple[int, int]]:
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return {}
        return {sym.name: (int(sym["st_value"]), int(sym["st_size"])) for sym in symtab.iter_symbols() if sym.name}

    def has_symbol(self, name: str) -> bool:
        return name in self._symbols

    def symbol(self, name: str) -> tuple[int, int]:
        """(address, size) of `name`; Thumb function addresses come back with bit 0 cleared."""
        try:
            address, size = self._symbols[name]
        except KeyError:
            raise ValueError(f"{self.path}: symbol '{name}' not found (is this a TinyOps firmware ELF?)") from None
        return address & ~1, size

    def symbol_bytes(self, name: str) -> bytes:
        """The initial bytes of data object `name` (st_size of them), from the loadable segment holding it."""
        address, size = self.symbol(name)
        for segment in self.segments:
            if segment.address <= address and address + size <= segment.address + len(segment.data):
                return segment.data[address - segment.address : address - segment.address + size]
        raise ValueError(f"{self.path}: symbol '{name}' ({size} B at {address:#x}) is in no loadable segment")
