"""The firmware runtime on the host (tinyops._core.HostRuntime): bit-exact with the reference interpreters on
the released ImageNet model, and corrupted blobs rejected with the loader's reason."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from compiler_fixtures import one_part_plan

from tinyops.compiler import HostRuntime, _interpreters, evaluate, host_runtime_available
from tinyops.compiler._blob import HEADER_BYTES, read_blob, write_blob

pytestmark = pytest.mark.skipif(
    not host_runtime_available(),
    reason="tinyops._core was built without the firmware runtime (no firmware/CMakeLists.txt)",
)


@pytest.fixture(scope="module")
def r064_blob(r064_model) -> bytes:
    return write_blob(r064_model, *one_part_plan(r064_model))[0]


def test_all_1000_logits_bit_exact_with_tflite_micro(r064_path: Path, r064_blob: bytes, r064_inputs) -> None:
    ours = HostRuntime(r064_blob).run(r064_inputs)
    assert ours.shape == (len(r064_inputs), 1, 1, 1000)
    np.testing.assert_array_equal(
        ours.reshape(len(r064_inputs), -1), _interpreters.tflite_micro(r064_path)(r064_inputs)
    )


def test_every_intermediate_matches_the_numpy_reference(r064_model, r064_blob: bytes, r064_inputs) -> None:
    # The output is the last tensor; a wrong op upstream would show there, this pins it on more images.
    runtime = HostRuntime(r064_blob)
    np.testing.assert_array_equal(runtime.run(r064_inputs[:3]), evaluate(r064_model, r064_inputs[:3]))
    results = runtime.last_results()
    assert len(results["ops"]) == len(r064_model.ops) and all(op["parts"] == 1 for op in results["ops"])


def test_workers_give_the_same_bits(r064_blob: bytes, r064_inputs) -> None:
    runtime = HostRuntime(r064_blob)
    one = runtime.run(r064_inputs, threads=1)
    np.testing.assert_array_equal(runtime.run(r064_inputs, threads=3), one)
    np.testing.assert_array_equal(runtime.run(r064_inputs[:1], threads=4), one[:1])
    with pytest.raises(ValueError, match="threads: expected >= 1"):
        runtime.run(r064_inputs, threads=0)


def _with_crc(blob: bytearray) -> bytes:
    struct.pack_into("<I", blob, 12, zlib.crc32(bytes(blob[16:])))
    return bytes(blob)


def _corrupt(blob: bytes, how: str) -> bytes:
    b = bytearray(blob)
    if how == "truncated":
        return bytes(b[: len(b) // 2])
    if how == "flipped byte":
        b[len(b) - 100] ^= 0x40
        return bytes(b)
    if how == "wrong version":
        struct.pack_into("<H", b, 4, 99)
    elif how == "blob v1":
        struct.pack_into("<H", b, 4, 1)
    elif how == "root offset past the end":
        struct.pack_into("<I", b, HEADER_BYTES, len(b) + 4096)  # the FlatBuffer's root table offset
    elif how == "weights past the constants":
        weights = read_blob(blob).Ops(0).Weights()  # a Region struct: memory i16, pad, offset u32, bytes u32
        struct.pack_into("<I", b, HEADER_BYTES + weights._tab.Pos + 4, 1 << 30)
    return _with_crc(b)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("truncated", r"blob_too_small at header\[0\]\.total_bytes"),
        ("flipped byte", "crc_mismatch"),
        ("wrong version", "unsupported_version"),
        ("blob v1", r"blob_v1_recompile at header\[0\]\.version \(blob v1, recompile\)"),
        ("root offset past the end", "bad_flatbuffer"),
        ("weights past the constants", r"bad_region at op\[0\]\.weights"),
    ],
)
def test_corrupted_blob_is_rejected(r064_blob: bytes, how: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"model blob rejected: {reason}"):
        HostRuntime(_corrupt(r064_blob, how))


def test_wrong_images_are_one_clear_error(r064_blob: bytes) -> None:
    runtime = HostRuntime(r064_blob)
    with pytest.raises(ValueError, match=r"expected int8 of shape \(N, 64, 64, 3\)"):
        runtime.run(np.zeros((2, 32, 32, 3), np.int8))
