"""The blob writer (v2) against firmware/BLOB_FORMAT.md, decoded with the Python reader generated from the
schema; and a compiled blob decoded back into its plan: the plan's buffers and transfers, one to one."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from typing import Any

import numpy as np
import pytest
from compiler_fixtures import one_part_plan

from tinyops.compiler import compile_model
from tinyops.compiler._blob import (
    FILE_IDENTIFIER,
    HEADER_BYTES,
    KIND_CODE,
    LISTS,
    OPERANDS,
    read_blob,
    write_blob,
)
from tinyops.compiler._blob_fb.Region import Region
from tinyops.compiler._blob_fb.Space import Space
from tinyops.compiler._schedule import transfer_streams


def _constant_bytes(m: Any, region: Any) -> bytes:
    """The bytes a region of the blob's constants holds (through the memory map)."""
    for i in range(m.SegmentsLength()):
        s = m.Segments(i)
        if (
            s.Space() == Space.Constants
            and s.Memory() == region.Memory()
            and s.Offset() <= region.Offset()
            and region.Offset() + region.Bytes() <= s.Offset() + s.Bytes()
        ):
            at = s.SpaceOffset() + region.Offset() - s.Offset()
            return m.ConstantsAsNumpy()[at : at + region.Bytes()].tobytes()
    raise AssertionError(f"region {region.Memory()}:{region.Offset()} not in the constants")


def test_r064_blob_fields(r064_model) -> None:
    blob, layout = write_blob(r064_model, *one_part_plan(r064_model, internal_input=True))
    magic, version, header_bytes, total, crc = struct.unpack_from("<IHHII", blob, 0)
    assert (magic, version, header_bytes, total) == (0x42504F54, 2, HEADER_BYTES, len(blob))
    assert blob[:4] == b"TOPB" and blob[HEADER_BYTES + 4 : HEADER_BYTES + 8] == FILE_IDENTIFIER
    assert crc == zlib.crc32(blob[HEADER_BYTES:])
    m = read_blob(blob)
    assert (m.TensorsLength(), m.OpsLength()) == (78, 77)
    assert sum(m.Ops(k).PartsLength() for k in range(77)) == layout.part_count == 77
    assert (m.Input(), m.Output()) == (r064_model.input, r064_model.output)
    assert m.InternalArenaBytes() == 64 * 64 * 3  # only the input lives in SRAM in this plan
    assert m.ConstantsLength() == layout.data_bytes
    inp = m.Tensors(r064_model.input)
    assert (inp.Height(), inp.Width(), inp.Channels(), inp.Home().Memory()) == (64, 64, 3, m.SramMemory())
    reshape_in, reshape_out = r064_model.ops[-1].inputs[0], r064_model.ops[-1].output
    assert m.Tensors(reshape_in).Home().Offset() == m.Tensors(reshape_out).Home().Offset()
    assert m.Tensors(r064_model.output).ZeroPoint() == r064_model.tensors[r064_model.output].zero_point
    for k, op in enumerate(r064_model.ops):
        rec = m.Ops(k)
        assert rec.Kind() == KIND_CODE[op.kind] and rec.Output() == op.output
        assert list(rec.InputsAsNumpy()) == list(op.inputs)
        if op.weights is not None:
            assert _constant_bytes(m, rec.Weights()) == op.weights.tobytes()
            quant = np.frombuffer(_constant_bytes(m, rec.Quant()), "<i4")
            np.testing.assert_array_equal(quant[op.out_channels :], op.shifts)
            assert (rec.ActMin(), rec.ActMax()) == (op.act_min, op.act_max)
        if op.kind.value == "add":
            assert tuple(rec.AddParamsAsNumpy()) == op.add_params
        assert rec.Parts(0).OutRowEnd() == r064_model.tensors[op.output].shape[0]


def test_plan_that_does_not_fit_is_refused(r064_model) -> None:
    mapping, plan = one_part_plan(r064_model)
    plan = plan | {"fits": False, "why": "SRAM short by 12 B"}
    with pytest.raises(ValueError, match="does not fit: SRAM short by 12 B"):
        write_blob(r064_model, mapping, plan)


def test_params_of_the_wrong_size_name_the_field(r064_model) -> None:
    mapping, plan = one_part_plan(r064_model)
    plan["op_params"][0]["weights"] = plan["op_params"][0]["weights"] | {"bytes": 3}
    with pytest.raises(ValueError, match=r"plan: op_params\[0\]\.weights: 3 bytes"):
        write_blob(r064_model, mapping, plan)


def test_a_flipped_byte_changes_the_crc(r064_model) -> None:
    blob, _ = write_blob(r064_model, *one_part_plan(r064_model))
    bad = bytearray(blob)
    bad[len(bad) // 2] ^= 0x01
    with pytest.raises(ValueError, match="crc32 mismatch"):
        read_blob(bytes(bad))


def _key(memories: list[str], region: dict[str, Any]) -> tuple[int, int, int]:
    return memories.index(region["memory"]), region["offset"], region["bytes"]


def _struct_key(r: Any) -> tuple[int, int, int]:
    return r.Memory(), r.Offset(), r.Bytes()


@pytest.mark.parametrize(
    ("board", "strategy"),
    [
        ("stm32f746g-disco", "tinyops"),
        ("stm32f746g-disco", "optimal"),
        ("stm32f469i-disco", "optimal"),
        ("qemu-mps2-an500", "tinyops"),
    ],
)
def test_compiled_blob_holds_the_plans_buffers_and_transfers_one_to_one(r064_model, board: str, strategy: str) -> None:
    compiled = compile_model(r064_model, board, strategy)
    plan = compiled.plan_json
    m = read_blob(compiled.blob)
    memories = [mem["name"] for mem in plan["memories"]]
    assert [m.Memories(i).Name().decode() for i in range(m.MemoriesLength())] == memories
    assert m.PredictedMs() == pytest.approx(compiled.predicted_ms, rel=1e-6)
    # Buffers: the same names, kinds and regions, in the plan's order.
    assert m.BuffersLength() == len(plan["buffers"])
    for i, b in enumerate(plan["buffers"]):
        got = m.Buffers(i)
        assert got.Name().decode() == b["name"]
        assert _struct_key(got.Region()) == _key(memories, b["region"])
    # Transfers: every copy of every part of the plan, once, with its list, operand, regions and buffer.
    op_index = {o["op"]: k for k, o in enumerate(plan["ops"])}
    blob_ops = [m.Ops(k).PlanOp() for k in range(m.OpsLength())]
    first = {m.Ops(k).PlanOp(): m.Ops(k).FirstPart() for k in range(m.OpsLength())}
    expected = Counter()
    for o in plan["ops"]:
        for p, part in enumerate(o["parts"]):
            for name, code in LISTS:
                for t in part[name]:
                    buffer = [b["name"] for b in plan["buffers"]].index(t["buffer"]) if t["buffer"] else -1
                    expected[
                        (
                            first[o["op"]] + p,
                            code,
                            OPERANDS.index(t["operand"]),
                            _key(memories, t["src"]),
                            _key(memories, t["dst"]),
                            buffer,
                        )
                    ] += 1
    got = Counter()
    for i in range(m.TransfersLength()):
        t = m.Transfers(i)
        assert blob_ops[t.Op()] in op_index
        got[
            (t.Part(), t.List(), t.Operand(), _struct_key(t.Src(Region())), _struct_key(t.Dst(Region())), t.Buffer())
        ] += 1
    assert got == expected
    assert strategy != "tinyops" or sum(expected.values()) > 0  # the published scheme always copies
    # Each part's regions are the plan's `at`, operand by operand.
    for o in plan["ops"]:
        k = blob_ops.index(o["op"])
        for p, part in enumerate(o["parts"]):
            at = m.Ops(k).Parts(p)
            for j, name in enumerate(OPERANDS):
                want = _key(memories, part["at"][name]) if name in part["at"] else (-1, 0, 0)
                assert _struct_key(at.At(j)) == want, (o["op"], p, name)
    # Streams: the simulator's, in issue order.
    sim_streams = transfer_streams(_timeline(compiled, board))
    assert [m.Transfers(i).Stream() for i in range(m.TransfersLength())] == sim_streams


def _timeline(compiled: Any, board: str) -> list[dict[str, Any]]:
    from tinyops import _core
    from tinyops.latency_model import load_board

    return _core.simulate(compiled.mapping.network, compiled.plan, load_board(board), True).timeline
