"""Run a model blob on the firmware runner under QEMU (firmware/README.md, "The runner").

The runner image is a QEMU port's ``runner.elf`` (``_ports.runner_elf``: found or built by ``tinyops._firmware``,
in a checkout's build/ or the user cache, with firmware/Makefile.inc's CMake commands when it is missing). The
blob goes into the runner's blob slot, its flash image (the constants the plan puts in internal flash) into
the flash slot and one input image (with its "TOIN" header) into its input slot, all read from the ELF's
symbols, through QEMU's generic loader; the runner's console gives the per-op counts and the output tensor.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyops.compiler._blob import split_blob
from tinyops.compiler._ports import REPO, qemu_port, runner_elf, runner_slots

__all__ = [
    "REPO",
    "QemuRun",
    "blob_run_command",
    "input_slot_bytes",
    "parse_console",
    "qemu_command",
    "run_blob_in_qemu",
    "runner_elf",
]

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


def qemu_command(
    port: str,
    *,
    kernel: Path | None = None,
    loads: Sequence[tuple[Path, int]] = (),
    plugin: str | None = None,
    plugin_log: bool = False,
    executable: str = "qemu-system-arm",
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``qemu-system-arm`` command line of every run on a QEMU port: the port's machine, no display, monitor
    or UART, the console on semihosting, and ``-icount shift=0`` (one instruction a nanosecond, so counts and
    the port's timer are deterministic). ``loads``: (file, address) pairs for QEMU's generic loader; ``plugin``:
    a TCG plugin with its arguments (``path,arg=value,...``), its log on stderr with ``plugin_log``."""
    machine = qemu_port(port, kernel).machine  # from the image run, else from the port's runner image
    command = [executable, "-M", machine, "-nographic", "-monitor", "none", "-serial", "null"]
    command += ["-semihosting-config", "enable=on,target=native", "-icount", "shift=0"]
    if kernel is not None:
        command += ["-kernel", str(kernel)]
    for path, address in loads:
        command += ["-device", f"loader,file={path},addr={address:#x}"]
    if plugin is not None:
        command += ["-plugin", plugin] + (["-d", "plugin"] if plugin_log else [])
    return command + list(extra)


def blob_run_command(
    blob: bytes,
    image: np.ndarray,
    port: str,
    elf: Path,
    workdir: Path,
    plugin: str | None = None,
    plugin_log: bool = False,
    executable: str = "qemu-system-arm",
) -> list[str]:
    """The command that runs ``blob`` (a .blob file's bytes) on one int8 ``image`` on the runner ``elf``: writes
    the blob, its flash image and the input image (with its "TOIN" header) into ``workdir`` and loads each into
    its slot of the runner, read from the ELF's symbols. ValueError when one exceeds its slot."""
    slots = runner_slots(elf)
    blob, flash_image = split_blob(blob)
    if len(blob) > slots.blob_bytes:
        raise ValueError(f"blob of {len(blob):,} B exceeds the {port} blob slot ({slots.blob_bytes:,} B, {elf})")
    if len(flash_image) > slots.flash_bytes:
        raise ValueError(
            f"flash image of {len(flash_image):,} B exceeds the {port} flash slot ({slots.flash_bytes:,} B, {elf})"
        )
    image_bytes = input_slot_bytes(image)
    if len(image_bytes) > slots.input_bytes:
        raise ValueError(
            f"input image of {len(image_bytes):,} B exceeds the {port} input slot ({slots.input_bytes:,} B, {elf})"
        )
    blob_path, input_path, flash_path = workdir / "model.blob", workdir / "input.bin", workdir / "flash.bin"
    blob_path.write_bytes(blob)
    input_path.write_bytes(image_bytes)
    loads = [(blob_path, slots.blob), (input_path, slots.input)]
    if flash_image:
        flash_path.write_bytes(flash_image)
        loads.append((flash_path, slots.flash))
    return qemu_command(
        port,
        kernel=elf,
        loads=loads,
        plugin=plugin,
        plugin_log=plugin_log,
        executable=executable,
    )


def run_blob_in_qemu(
    blob: bytes, image: np.ndarray, port: str = "qemu-mps2-an500", elf: Path | None = None, timeout_s: float = 300.0
) -> QemuRun:
    """Run one int8 image through ``blob`` on the runner under QEMU (``-icount shift=0``: deterministic)."""
    elf = elf or runner_elf(port)
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        raise RuntimeError("qemu-system-arm is not installed (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="tinyops-qemu-") as tmp:
        cmd = blob_run_command(blob, image, port, elf, Path(tmp), executable=qemu)
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
