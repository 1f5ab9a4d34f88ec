"""The per-op results the firmware leaves at `tinyops_results` (firmware/RESULTS_FORMAT.md), parsed."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

RESULTS_SYMBOL = "tinyops_results"
RESULTS_MAGIC = 0x53524F54  # "TORS"
RESULTS_VERSION = 1
HEADER_BYTES = 32
OP_RESULT_BYTES = 16
_HEADER = struct.Struct("<IHHiIII8s")
_OP = struct.Struct("<IIII")


@dataclass(frozen=True)
class OpMeasurement:
    cycles: int  # in the run's `unit`
    dma_wait_cycles: int
    parts: int
    dma_bytes: int


@dataclass(frozen=True)
class RunResults:
    """One completed run as the firmware recorded it. `unit` is the port's: 'cycles' (DWT) or 'ticks'."""

    status: int
    run_count: int
    total_cycles: int
    unit: str
    ops: list[OpMeasurement] = field(default_factory=list)


def parse_header(raw: bytes) -> tuple[int, int, int, int, int, int, str]:
    """(magic, version, op_result_bytes, status, op_count, run_count, unit) without validation."""
    magic, version, op_bytes, status, op_count, _total, run_count, unit = _HEADER.unpack_from(raw)
    return magic, version, op_bytes, status, op_count, run_count, unit.rstrip(b"\0").decode("ascii", "replace")


def parse_results(raw: bytes, capacity_ops: int) -> RunResults:
    """Parse the struct; ValueError names the field that is not what the format says."""
    if len(raw) < HEADER_BYTES:
        raise ValueError(f"{RESULTS_SYMBOL}: {len(raw)} bytes, expected at least the {HEADER_BYTES}-byte header")
    magic, version, op_bytes, status, op_count, total, run_count, unit_raw = _HEADER.unpack_from(raw)
    if magic != RESULTS_MAGIC:
        raise ValueError(
            f"{RESULTS_SYMBOL}.magic: expected {RESULTS_MAGIC:#010x} (the runtime never initialised "
            f"the results), got {magic:#010x}"
        )
    if version != RESULTS_VERSION:
        raise ValueError(f"{RESULTS_SYMBOL}.version: expected {RESULTS_VERSION}, got {version}")
    if op_bytes != OP_RESULT_BYTES:
        raise ValueError(f"{RESULTS_SYMBOL}.op_result_bytes: expected {OP_RESULT_BYTES}, got {op_bytes}")
    if op_count > capacity_ops or len(raw) < HEADER_BYTES + op_count * OP_RESULT_BYTES:
        raise ValueError(f"{RESULTS_SYMBOL}.op_count: at most {capacity_ops}, got {op_count}")
    ops = [OpMeasurement(*_OP.unpack_from(raw, HEADER_BYTES + i * OP_RESULT_BYTES)) for i in range(op_count)]
    unit = unit_raw.rstrip(b"\0").decode("ascii", "replace")
    return RunResults(status=status, run_count=run_count, total_cycles=total, unit=unit, ops=ops)
