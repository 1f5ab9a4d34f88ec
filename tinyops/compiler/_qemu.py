"""Run a model blob on the firmware runner under QEMU (firmware/README.md, "The runner").

The runner image is a QEMU port's ``runner.elf`` (``_ports.runner_elf``: found or built by ``tinyops._firmware``, in a checkout's build/ or the user cache, with firmware/Makefile.inc's
CMake commands when it is missing). The blob goes into the runner's blob slot and one input image (with its
"TOIN" header) into its input slot, both read from the ELF's symbols, through QEMU's generic loader; the
runner's console gives the per-op counts and the output tensor.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyops.compiler._ports import REPO, qemu_port, runner_elf, runner_slots

__all__ = ["REPO", "QemuRun", "input_slot_bytes", "parse_console", "run_blob_in_qemu", "runner_elf"]

INPUT_MAGIC = 0x4E494F54  # "TOIN"
EXIT_MEANING = {
    0: "ran",
    1: "blob rejected",
    2: "run failed",
    3: "unexpected exception",
    4: "DMA error",
    5: "bad input header",
}


@dataclass
class QemuRun:
    output: np.ndarray  # int8, the output tensor's bytes
    ops: list[dict[str, int]]  # per op: time, dma_wait, parts, dma_bytes (in `unit`)
    total: int
    unit: str
    console: str


def input_slot_bytes(image: np.ndarray) -> bytes:
    data = np.ascontiguousarray(image, dtype=np.int8).tobytes()
    return struct.pack("<IIII", INPUT_MAGIC, len(data), zlib.crc32(data), 0) + data


def parse_console(console: str) -> tuple[np.ndarray, list[dict[str, int]], int, str]:
    header = re.search(r"runner: ops (\d+), total (\d+) (\S+)", console)
    if header is None:
        raise RuntimeError(f"the runner printed no summary line; console:\n{console[-2000:]}")
    ops = [
        dict(zip(("time", "dma_wait", "parts", "dma_bytes"), map(int, m.groups())))
        for m in re.finditer(r"^op \d+ (\d+) (\d+) (\d+) (\d+)\s*$", console, re.M)
    ]
    values = [int(v) for line in re.findall(r"^output ([-\d ]+)$", console, re.M) for v in line.split()]
    return np.array(values, dtype=np.int8), ops, int(header.group(2)), header.group(3)


def run_blob_in_qemu(
    blob: bytes, image: np.ndarray, port: str = "qemu-mps2-an500", elf: Path | None = None, timeout_s: float = 300.0
) -> QemuRun:
    """Run one int8 image through ``blob`` on the runner under QEMU (``-icount shift=0``: deterministic)."""
    machine = qemu_port(port).machine
    elf = elf or runner_elf(port)
    slots = runner_slots(elf)
    if len(blob) > slots.blob_bytes:
        raise ValueError(f"blob of {len(blob):,} B exceeds the {port} blob slot ({slots.blob_bytes:,} B, {elf})")
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        raise RuntimeError("qemu-system-arm is not installed (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="tinyops-qemu-") as tmp:
        blob_path, input_path = Path(tmp) / "model.blob", Path(tmp) / "input.bin"
        blob_path.write_bytes(blob)
        input_path.write_bytes(input_slot_bytes(image))
        if input_path.stat().st_size > slots.input_bytes:
            raise ValueError(
                f"input image of {input_path.stat().st_size:,} B exceeds the {port} input slot "
                f"({slots.input_bytes:,} B, {elf})"
            )
        cmd = [
            qemu,
            "-M",
            machine,
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "null",
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
            "-kernel",
            str(elf),
            "-device",
            f"loader,file={blob_path},addr={slots.blob:#x}",
            "-device",
            f"loader,file={input_path},addr={slots.input:#x}",
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"QEMU ({port}) did not finish within {timeout_s:.0f} s") from None
    console = done.stdout + done.stderr
    if done.returncode != 0:
        meaning = EXIT_MEANING.get(done.returncode, "unknown")
        raise RuntimeError(f"the runner exited with {done.returncode} ({meaning}):\n{console[-2000:]}")
    output, ops, total, unit = parse_console(console)
    return QemuRun(output, ops, total, unit, console)
