"""Placement (issue 11): the weights run from where the plan puts them. Under `internal` (the MCUNet / TFLite
Micro deployment) every weight, bias and quant param is in internal flash: the compiler writes them into the
blob's flash image, the runner reads them from its flash slot, and the blob in the external slot holds none."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import tinyops.compiler._qemu as qemu
from tinyops.compiler import HostRuntime, _interpreters, compile_model, host_runtime_available
from tinyops.compiler._blob import PARAMS, read_blob, split_blob
from tinyops.compiler._blob_fb.Space import Space
from tinyops.compiler._ports import qemu_ports, runner_slots

QEMU_PORTS = qemu_ports()
needs_runner = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file(),
    reason="QEMU or the firmware runtime is absent",
)


@pytest.fixture(scope="module")
def internal(r064_model):  # type: ignore[no-untyped-def]
    return compile_model(r064_model, "qemu-mps2-an500", "internal")


def _param_spaces(blob: bytes) -> dict[int, list[tuple[int, int]]]:
    """Per device space, the (space offset, bytes) of every op's weights, bias and quant params."""
    m = read_blob(blob)
    segments = [m.Segments(i) for i in range(m.SegmentsLength())]
    out: dict[int, list[tuple[int, int]]] = {}
    for k in range(m.OpsLength()):
        op = m.Ops(k)
        for r in (op.Weights(), op.Bias(), op.Quant()):
            if r is None or r.Memory() < 0:
                continue
            seg = next(
                s for s in segments if s.Memory() == r.Memory() and s.Offset() <= r.Offset() < s.Offset() + s.Bytes()
            )
            out.setdefault(seg.Space(), []).append((seg.SpaceOffset() + r.Offset() - seg.Offset(), r.Bytes()))
    return out


def test_internal_puts_every_constant_in_the_flash_image(internal, r064_model) -> None:  # type: ignore[no-untyped-def]
    blob, flash = split_blob(internal.blob)
    m = read_blob(blob)
    spaces = _param_spaces(blob)
    assert set(spaces) == {Space.InternalFlash} and len(spaces[Space.InternalFlash]) >= len(PARAMS) * 40
    assert m.ConstantsLength() == 0 and m.FlashImageBytes() == len(flash) == internal.layout.flash_bytes
    # The weights are where the blob's addresses say, in the flash image, and nowhere in the blob.
    conv = next(op for op in r064_model.ops if op.weights is not None and op.weights.size >= 256)
    weights = conv.weights.tobytes()
    assert weights in flash and weights[:64] not in blob
    assert all(offset + size <= len(flash) for offset, size in spaces[Space.InternalFlash])
    assert internal.report()["flash_image_bytes"] == len(flash)


def test_external_keeps_its_constants_in_the_blob(r064_model) -> None:  # type: ignore[no-untyped-def]
    external = compile_model(r064_model, "qemu-mps2-an500", "external")
    blob, flash = split_blob(external.blob)
    assert flash == b"" and blob == external.blob and set(_param_spaces(blob)) == {Space.Constants}


def test_split_blob_leaves_what_is_no_blob_to_the_loader() -> None:
    assert split_blob(b"TOPB") == (b"TOPB", b"")
    not_a_blob = bytes(range(64))
    assert split_blob(not_a_blob) == (not_a_blob, b"")


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
def test_host_loader_checks_the_flash_image(internal, r064_path: Path, r064_inputs) -> None:  # type: ignore[no-untyped-def]
    got = HostRuntime(internal.blob).run(r064_inputs[:2]).reshape(2, -1)
    np.testing.assert_array_equal(got, _interpreters.tflite_micro(r064_path)(r064_inputs[:2]))
    blob, flash = split_blob(internal.blob)
    with pytest.raises(ValueError, match=r"arena_too_small at model\[0\]\.flash_image_bytes \(the flash slot\)"):
        HostRuntime(blob)
    with pytest.raises(ValueError, match=r"arena_too_small at model\[0\]\.flash_image_bytes"):
        HostRuntime(internal.blob[:-16])  # a truncated image
    stale = internal.blob[:-1] + bytes([internal.blob[-1] ^ 1])
    with pytest.raises(ValueError, match=r"crc_mismatch at model\[0\]\.flash_image_crc32"):
        HostRuntime(stale)


@needs_runner
@pytest.mark.parametrize("port", QEMU_PORTS)
def test_internal_runs_bit_exact_with_its_weights_in_the_flash_slot(  # type: ignore[no-untyped-def]
    port: str, internal, r064_path: Path, r064_inputs, tmp_path: Path
) -> None:
    elf = qemu.runner_elf(port)
    slots = runner_slots(elf)
    blob, flash = split_blob(internal.blob)
    command = qemu.blob_run_command(internal.blob, r064_inputs[0], port, elf, tmp_path)
    loads = [arg.removeprefix("loader,") for arg in command if arg.startswith("loader,")]
    # Three loads: the blob (no weights) into the external slot, the weights into the flash slot, the input.
    assert loads == [
        f"file={tmp_path / 'model.blob'},addr={slots.blob:#x}",
        f"file={tmp_path / 'input.bin'},addr={slots.input:#x}",
        f"file={tmp_path / 'flash.bin'},addr={slots.flash:#x}",
    ]
    assert (tmp_path / "model.blob").read_bytes() == blob and (tmp_path / "flash.bin").read_bytes() == flash
    expected = _interpreters.tflite_micro(r064_path)(r064_inputs[:2])
    for image, logits in zip(r064_inputs[:2], expected):
        np.testing.assert_array_equal(qemu.run_blob_in_qemu(internal.blob, image, port=port, elf=elf).output, logits)
    # Without its flash image the runner has no weights to read: it refuses the blob, naming why.
    with pytest.raises(RuntimeError, match=r"blob rejected\)[\s\S]*crc_mismatch \(model 0, field flash_image_crc32\)"):
        qemu.run_blob_in_qemu(blob, r064_inputs[0], port=port, elf=elf)


@needs_runner
def test_a_flash_image_larger_than_the_slot_is_refused_before_qemu_starts(internal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    elf = qemu.runner_elf("qemu-mps2-an500")
    slots = runner_slots(elf)
    blob, _ = split_blob(internal.blob)
    padded = blob + bytes(-len(blob) % 16)
    too_big = padded + bytes(slots.flash_bytes + 1)
    assert struct.unpack_from("<I", too_big, 8)[0] == len(blob)
    with pytest.raises(ValueError, match=f"exceeds the qemu-mps2-an500 flash slot \\({slots.flash_bytes:,} B"):
        qemu.blob_run_command(too_big, np.zeros((64, 64, 3), np.int8), "qemu-mps2-an500", elf, tmp_path)
