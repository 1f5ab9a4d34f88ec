"""The blob writer against firmware/BLOB_FORMAT.md, field by field (decoded here with struct)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from tinyops.compiler._blob import _HEADER, _OP, _PART, _TENSOR, KIND_CODE, write_blob

from compiler_fixtures import one_part_plan


def test_r064_blob_fields(r064_model) -> None:
    blob, layout = write_blob(r064_model, *one_part_plan(r064_model, internal_input=True))
    h = _HEADER.unpack_from(blob, 0)
    magic, version, header_bytes, total, crc, tensor_off, n_tensors, n_ops, op_off, part_off, n_parts, \
        data_off, data_bytes, ext_bytes, int_bytes, inp, out, flags, reserved = h
    assert (magic, version, header_bytes, total) == (0x42504F54, 1, 64, len(blob))
    assert blob[:4] == b"TOPB"
    assert crc == zlib.crc32(blob[16:])
    assert (n_tensors, n_ops, n_parts) == (78, 77, 77)
    assert (inp, out) == (r064_model.input, r064_model.output)
    assert data_off % 4 == 0 and data_off + data_bytes == total
    assert int_bytes == 64 * 64 * 3  # only the input lives in SRAM in this plan
    reshape_in, reshape_out = r064_model.ops[-1].inputs[0], r064_model.ops[-1].output
    tensor = [_TENSOR.unpack_from(blob, tensor_off + 32 * i) for i in range(n_tensors)]
    assert tensor[r064_model.input][:4] == (64, 64, 3, 1)
    assert tensor[reshape_in][5] == tensor[reshape_out][5]  # the reshape shares its input's bytes
    assert tensor[r064_model.output][7] == r064_model.tensors[r064_model.output].zero_point
    for k, op in enumerate(r064_model.ops):
        rec = _OP.unpack_from(blob, op_off + 128 * k)
        assert rec[0] == KIND_CODE[op.kind] and rec[6] == op.output
        if op.weights is not None:
            w_off, w_bytes, b_off, b_bytes, m_off, m_bytes, s_off, s_bytes = rec[26:34]
            start = data_off + w_off
            assert blob[start:start + w_bytes] == op.weights.tobytes()
            got_shifts = np.frombuffer(blob[data_off + s_off:data_off + s_off + s_bytes], "<i4")
            np.testing.assert_array_equal(got_shifts, op.shifts)
            assert rec[14:16] == (op.act_min, op.act_max)
        if op.kind.value == "add":
            assert rec[20:26] == op.add_params
        part = _PART.unpack_from(blob, part_off + 16 * rec[34])
        assert part[3] == r064_model.tensors[op.output].shape[0]


def test_plan_that_does_not_fit_is_refused(r064_model) -> None:
    mapping, plan = one_part_plan(r064_model)
    plan = plan | {"fits": False, "why": "SRAM short by 12 B"}
    with pytest.raises(ValueError, match="does not fit: SRAM short by 12 B"):
        write_blob(r064_model, mapping, plan)


def test_a_flipped_byte_changes_the_crc(r064_model) -> None:
    blob, _ = write_blob(r064_model, *one_part_plan(r064_model))
    bad = bytearray(blob)
    bad[len(bad) // 2] ^= 0x01
    assert struct.unpack_from("<I", bad, 12)[0] != zlib.crc32(bytes(bad[16:]))
