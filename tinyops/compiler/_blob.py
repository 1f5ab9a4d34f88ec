"""The model blob writer, version 2 (firmware/BLOB_FORMAT.md; the schema is firmware/schema/blob.fbs).

Input: the IR (weights and the integer parameters derived once in ``_quant``), its mapping onto the core's
Network, the core's plan as its JSON document (``plan_to_json``) and the DMA stream the simulator gave each
transfer. The writer serializes the plan verbatim: its memories, buffers, tensor homes, every op's parts with
where each operand is read and written, and every transfer, in the order the executor issues them (the
simulator's order). It decides nothing: the only things it derives are the device addresses of the plan's
memory ranges (the memory map); the transfers' issue order and waits come from ``_schedule``.

Constants the plan puts in internal flash (``flash_memories``: the plan memories of kind flash) go into the
blob's flash image, not its constants vector: the .blob file holds the blob, then that image at the next
16-byte boundary (``split_blob``), and the host loads each part into its own slot of the runner (blob slot in
external memory, flash slot in internal flash), so the weights run from where the plan put them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np

from tinyops.compiler._blob_fb import Buffer, Memory, Model, Op, Part, Region, Segment, Tensor, Transfer
from tinyops.compiler._blob_fb.BufferKind import BufferKind
from tinyops.compiler._blob_fb.CopyList import CopyList
from tinyops.compiler._blob_fb.FusedActivation import FusedActivation
from tinyops.compiler._blob_fb.Operand import Operand
from tinyops.compiler._blob_fb.OpKind import OpKind as FbOpKind
from tinyops.compiler._blob_fb.Partitioning import Partitioning
from tinyops.compiler._blob_fb.Space import Space
from tinyops.compiler._ir import OpKind, QuantizedModel, QuantizedOp
from tinyops.compiler._network import NetworkMapping
from tinyops.compiler._quant import scale_as_q31
from tinyops.compiler._schedule import PlanView, op_plan_entries, schedule_transfers

MAGIC = 0x42504F54  # "TOPB", as in blob v1: a v1 blob is told apart by its version
VERSION = 2
HEADER_BYTES = 16  # magic u32, version u16, header_bytes u16, total_bytes u32, crc32 u32
FILE_IDENTIFIER = b"TOP2"  # the FlatBuffer's identifier (schema: file_identifier)
MAX_OPS = 256  # the firmware's results table (results.hpp kMaxOps)
MAX_INPUTS = 16  # inputs of one op, a concatenation's (blob_format.hpp kMaxInputs)
CONSTANTS_ALIGNMENT = 16
FLASH_IMAGE_ALIGNMENT = 16  # where the flash image starts in a .blob file, after the blob
_HEADER = struct.Struct("<IHHII")
assert _HEADER.size == HEADER_BYTES

# Names the plan JSON uses -> the schema's enums (the schema is the one source of the codes).
KIND_CODE = {
    OpKind.CONV2D: FbOpKind.Conv2d,
    OpKind.DEPTHWISE_CONV2D: FbOpKind.DepthwiseConv2d,
    OpKind.ADD: FbOpKind.Add,
    OpKind.AVERAGE_POOL2D: FbOpKind.AveragePool2d,
    OpKind.FULLY_CONNECTED: FbOpKind.FullyConnected,
    OpKind.PAD: FbOpKind.Pad,
    OpKind.RESHAPE: FbOpKind.Reshape,
    OpKind.MUL: FbOpKind.Mul,
    OpKind.MEAN: FbOpKind.Mean,
    OpKind.LOGISTIC: FbOpKind.Logistic,
    OpKind.SOFTMAX: FbOpKind.Softmax,
    OpKind.HARD_SWISH: FbOpKind.HardSwish,
    OpKind.MAX_POOL2D: FbOpKind.MaxPool2d,
    OpKind.CONCATENATION: FbOpKind.Concatenation,
}
# The kinds whose integer parameters the blob carries in Op.op_params (the IR's op_params, in its order).
OP_PARAMS_KINDS = (OpKind.MUL, OpKind.MEAN, OpKind.LOGISTIC, OpKind.SOFTMAX)
PARTITIONING_CODE = {
    "none": Partitioning.None_,
    "rows": Partitioning.Rows,
    "output_channels": Partitioning.OutputChannels,
}
OPERANDS = ("input", "input2", "weights", "bias", "quant", "output", "scratch")  # by Operand code
OPERAND_CODE = {name: getattr(Operand, name.capitalize()) for name in OPERANDS}
BUFFER_KIND_CODE = {
    name: getattr(BufferKind, name.capitalize())
    for name in ("arena", "input", "weights", "bias", "quant", "output", "scratch")
}
LISTS = (("copy_in", CopyList.CopyIn), ("copy_when_due", CopyList.CopyWhenDue), ("copy_out", CopyList.CopyOut))
PARAMS = ("weights", "bias", "quant")


def _align(n: int, to: int = 4) -> int:
    return (n + to - 1) // to * to


@dataclass
class BlobLayout:
    """What the blob holds, for the plan report and tests."""

    external_arena_bytes: int
    internal_arena_bytes: int
    data_bytes: int
    part_count: int
    transfer_count: int
    op_strategies: list[str]
    notes: list[str] = field(default_factory=list)
    flash_bytes: int = 0  # the flash image: constants the plan puts in internal flash


def _segments(
    plan: PlanView,
    arena_regions: list[tuple[int, int, int]],
    param_regions: list[tuple[int, int, int]],
    flash: Collection[int] = (),
) -> tuple[list[tuple[int, int, int, int, int]], int, int]:
    """The memory map: per plan memory, the range its activations/buffers use -> an arena, and the range its
    constant params use -> the blob's constants, or the flash image for the memories in ``flash``. Returns
    (memory, space, offset, bytes, space_offset) rows, the constants size and the flash image size."""

    def extents(regions: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
        out: dict[int, tuple[int, int]] = {}
        for m, off, size in regions:
            lo, hi = out.get(m, (off, off + size))
            out[m] = (min(lo, off), max(hi, off + size))
        return out

    arenas, params = extents(arena_regions), extents(param_regions)
    external = [m for m in arenas if m != plan.sram]
    if len(external) > 1:
        names = sorted(plan.memories[m][0] for m in external)
        raise ValueError(f"plan: activations live in {names}: the firmware has one external arena")
    rows: list[tuple[int, int, int, int, int]] = []
    for m, (lo, hi) in sorted(arenas.items()):
        space = Space.InternalArena if m == plan.sram else Space.ExternalArena
        rows.append((m, space, lo, hi - lo, 0))
    ends = {Space.Constants: 0, Space.InternalFlash: 0}
    for m, (lo, hi) in sorted(params.items()):
        if m in arenas and lo < arenas[m][1] and arenas[m][0] < hi:
            raise ValueError(
                f"plan: op_params in {plan.memories[m][0]} [{lo}, {hi}) overlap the activations "
                f"and buffers there [{arenas[m][0]}, {arenas[m][1]})"
            )
        space = Space.InternalFlash if m in flash else Space.Constants
        rows.append((m, space, lo, hi - lo, ends[space]))
        ends[space] = _align(ends[space] + hi - lo, CONSTANTS_ALIGNMENT)
    return rows, ends[Space.Constants], ends[Space.InternalFlash]


def _param_arrays(op: QuantizedOp, quant_bytes: int | None = None) -> dict[str, bytes]:
    """The bytes each constant param holds: weights, bias, quant = multipliers then shifts (the plan's layout).

    A fully connected op the plan gives one quant pair (8 bytes: the core plans TFLite's per-tensor fully
    connected) stores that pair, if its per-channel arrays repeat one value."""

    def le(a: np.ndarray | None) -> bytes:
        return b"" if a is None else np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()

    m, s = op.multipliers, op.shifts
    if (
        op.kind == OpKind.FULLY_CONNECTED
        and quant_bytes == 8
        and m is not None
        and s is not None
        and m.size > 1
        and np.all(m == m[0])
        and np.all(s == s[0])
    ):
        m, s = m[:1], s[:1]
    return {"weights": le(op.weights), "bias": le(op.bias), "quant": le(m) + le(s)}


def write_blob(
    model: QuantizedModel,
    mapping: NetworkMapping,
    plan: dict[str, Any],
    streams: list[int] | None = None,
    predicted_ms: float = 0.0,
    flash_memories: Collection[str] = (),
) -> tuple[bytes, BlobLayout]:
    """Serialize ``model`` with ``plan`` (the core's plan JSON for ``mapping.network``) into a blob v2.

    ``streams``: the DMA stream of each transfer in issue order (the simulator's timeline; see
    ``transfer_streams``), required when the plan has transfers. ``flash_memories``: the plan memories that are
    internal flash (the board's memories of kind flash); the constants there go into the flash image, which
    follows the blob in the returned bytes (``split_blob``)."""
    if plan.get("format") != "tinyops-plan":
        raise ValueError(f"plan: format: expected 'tinyops-plan', got {plan.get('format')!r}")
    if not plan.get("fits", False):
        raise ValueError(f"plan ({plan.get('strategy')} on {plan.get('board')}) does not fit: {plan.get('why')}")
    if len(model.ops) > MAX_OPS:
        raise ValueError(f"{model.source}: {len(model.ops)} ops, the blob holds at most {MAX_OPS}")
    p = PlanView(plan)
    op_plans = op_plan_entries(model, mapping, plan)
    homes = plan["tensor_home"]
    tensor_homes = []
    for i in range(len(model.tensors)):
        home = homes[mapping.core_tensor[i]] if mapping.core_tensor[i] < len(homes) else None
        if home is None:
            raise ValueError(f"plan: tensor_home[{mapping.core_tensor[i]}]: every activation needs a home")
        tensor_homes.append(p.required_region(home, f"tensor_home[{mapping.core_tensor[i]}]"))

    # Constant params: the plan's homes, checked against the IR's arrays.
    param_homes: list[dict[str, tuple[int, int, int]]] = []
    for k, op in enumerate(model.ops):
        core_op = mapping.core_op[k]
        entry = plan["op_params"][core_op] if core_op is not None and core_op < len(plan["op_params"]) else {}
        arrays = _param_arrays(op, (entry.get("quant") or {}).get("bytes"))
        homes_k = {}
        for name in PARAMS:
            r = p.region(entry.get(name), f"op_params[{core_op}].{name}")
            if (r[2] if r else 0) != len(arrays[name]):
                raise ValueError(
                    f"plan: op_params[{core_op}].{name}: {r[2] if r else 0} bytes, {op.name} has {len(arrays[name])}"
                )
            if r:
                homes_k[name] = r
        param_homes.append(homes_k)

    arena_regions = list(tensor_homes)
    arena_regions += [
        p.required_region(b["region"], f"buffers[{i}].region") for i, b in enumerate(p.buffers) if b.get("region")
    ]
    for k, o in enumerate(op_plans):
        for j, part in enumerate(o["parts"]):
            for name, r in part.get("at", {}).items():
                if name not in PARAMS and r is not None:
                    arena_regions.append(p.required_region(r, f"ops[{k}].parts[{j}].at.{name}"))
            for i, r in enumerate(part.get("more_inputs", [])):
                arena_regions.append(p.required_region(r, f"ops[{k}].parts[{j}].more_inputs[{i}]"))
    flash = {p.memory_index[name] for name in flash_memories if name in p.memory_index}
    segments, constants_bytes, flash_bytes = _segments(
        p, arena_regions, [r for h in param_homes for r in h.values()], flash
    )
    images = {Space.Constants: bytearray(constants_bytes), Space.InternalFlash: bytearray(flash_bytes)}
    for op, homes_k in zip(model.ops, param_homes):
        arrays = _param_arrays(op, homes_k["quant"][2] if "quant" in homes_k else None)
        for name, (m, off, size) in homes_k.items():
            seg = next(s for s in segments if s[0] == m and s[1] in images)
            at = seg[4] + off - seg[2]
            images[seg[1]][at : at + size] = arrays[name]
    constants, flash_image = images[Space.Constants], bytes(images[Space.InternalFlash])

    transfers, waits = schedule_transfers(p, op_plans, model, mapping, streams)
    b = flatbuffers.Builder(len(constants) + 65536)

    def region(r: tuple[int, int, int] | None) -> int:
        m, off, size = r if r else (-1, 0, 0)
        return Region.CreateRegion(b, m, off, size)

    # Vectors and strings first (FlatBuffers builds back to front; tables may not nest their children).
    b.StartVector(1, len(constants), CONSTANTS_ALIGNMENT)
    b.head = b.head - len(constants)
    b.Bytes[b.head : b.head + len(constants)] = bytes(constants)
    constants_vec = b.EndVector()
    memories = []
    for name, size in p.memories:
        s = b.CreateString(name)
        Memory.Start(b)
        Memory.AddName(b, s)
        Memory.AddSizeBytes(b, size)
        memories.append(Memory.End(b))
    buffers = []
    for i, buf in enumerate(p.buffers):
        s = b.CreateString(buf["name"])
        Buffer.Start(b)
        Buffer.AddName(b, s)
        Buffer.AddKind(b, BUFFER_KIND_CODE[buf["kind"]])
        Buffer.AddRegion(b, region(p.region(buf["region"], f"buffers[{i}].region")))
        buffers.append(Buffer.End(b))
    tensors = []
    for i, t in enumerate(model.tensors):
        multiplier, shift = scale_as_q31(t.scale)
        Tensor.Start(b)
        Tensor.AddHeight(b, t.shape[0])
        Tensor.AddWidth(b, t.shape[1])
        Tensor.AddChannels(b, t.shape[2])
        Tensor.AddHome(b, region(tensor_homes[i]))
        Tensor.AddZeroPoint(b, t.zero_point)
        Tensor.AddScaleMultiplier(b, multiplier)
        Tensor.AddScaleShift(b, shift)
        tensors.append(Tensor.End(b))
    ops = []
    g = 0
    for k, (op, o) in enumerate(zip(model.ops, op_plans)):
        ops.append(_op_table(b, region, p, op, o, param_homes[k], waits, g, model.tensors[op.inputs[0]].shape[0]))
        g += len(o["parts"])

    def vector(items: list[int], start) -> int:
        start(b, len(items))
        for x in reversed(items):
            b.PrependUOffsetTRelative(x)
        return b.EndVector()

    memories_vec = vector(memories, Model.StartMemoriesVector)
    buffers_vec = vector(buffers, Model.StartBuffersVector)
    tensors_vec = vector(tensors, Model.StartTensorsVector)
    ops_vec = vector(ops, Model.StartOpsVector)
    Model.StartSegmentsVector(b, len(segments))
    for m, space, off, size, space_off in reversed(segments):
        Segment.CreateSegment(b, m, space, off, size, space_off)
    segments_vec = b.EndVector()
    transfer_waits: list[int] = []
    wait_first = []
    for transfer in transfers:
        wait_first.append(len(transfer_waits))
        transfer_waits += transfer.waits
    Model.StartTransferWaitsVector(b, len(transfer_waits))
    for x in reversed(transfer_waits):
        b.PrependUint32(x)
    transfer_waits_vec = b.EndVector()
    Model.StartTransfersVector(b, len(transfers))
    for transfer, first in zip(reversed(transfers), reversed(wait_first)):
        Transfer.CreateTransfer(
            b,
            OPERAND_CODE[transfer.operand],
            transfer.list_code,
            transfer.issue,
            transfer.stream,
            transfer.buffer,
            transfer.op,
            transfer.part,
            transfer.issue_part,
            first,
            len(transfer.waits),
            *(transfer.src),
            *(transfer.dst),
        )
    transfers_vec = b.EndVector()
    strings = {key: b.CreateString(str(plan.get(key, ""))) for key in ("network", "board", "strategy")}
    Model.Start(b)
    Model.AddNetwork(b, strings["network"])
    Model.AddBoard(b, strings["board"])
    Model.AddStrategy(b, strings["strategy"])
    Model.AddDmaStreams(b, max((t.stream for t in transfers), default=0) + 1)
    Model.AddMemories(b, memories_vec)
    Model.AddSramMemory(b, p.sram)
    Model.AddSegments(b, segments_vec)
    external = sum(s[3] for s in segments if s[1] == Space.ExternalArena)
    internal = sum(s[3] for s in segments if s[1] == Space.InternalArena)
    Model.AddExternalArenaBytes(b, external)
    Model.AddInternalArenaBytes(b, internal)
    Model.AddBuffers(b, buffers_vec)
    Model.AddTensors(b, tensors_vec)
    Model.AddOps(b, ops_vec)
    Model.AddTransfers(b, transfers_vec)
    Model.AddTransferWaits(b, transfer_waits_vec)
    Model.AddInput(b, model.input)
    Model.AddOutput(b, model.output)
    Model.AddConstants(b, constants_vec)
    Model.AddPredictedMs(b, predicted_ms)
    Model.AddFlashImageBytes(b, len(flash_image))
    Model.AddFlashImageCrc32(b, zlib.crc32(flash_image) & 0xFFFFFFFF)
    b.Finish(Model.End(b), file_identifier=FILE_IDENTIFIER)
    body = bytes(b.Output())
    header = _HEADER.pack(MAGIC, VERSION, HEADER_BYTES, HEADER_BYTES + len(body), zlib.crc32(body) & 0xFFFFFFFF)
    layout = BlobLayout(
        external, internal, constants_bytes, g, len(transfers), [o["strategy"] for o in op_plans], [], flash_bytes
    )
    blob = header + body
    if flash_image:
        blob += bytes(_align(len(blob), FLASH_IMAGE_ALIGNMENT) - len(blob)) + flash_image
    return blob, layout


def split_blob(data: bytes) -> tuple[bytes, bytes]:
    """A .blob file's two parts: (the blob, for the blob slot; its flash image, for the internal-flash slot, b""
    when the plan puts nothing in internal flash). The split is by the header's total_bytes alone: bytes that are
    no blob v2 go whole to the blob slot, where the firmware's loader says what is wrong with them, and the loader
    checks the flash image against the size and CRC-32 the blob records."""
    data = bytes(data)
    if len(data) < HEADER_BYTES:
        return data, b""
    magic, version, _, total, _ = _HEADER.unpack_from(data, 0)
    if magic != MAGIC or version != VERSION or not HEADER_BYTES <= total <= len(data):
        return data, b""
    return data[:total], data[_align(total, FLASH_IMAGE_ALIGNMENT) :]


def _op_table(
    b: flatbuffers.Builder,
    region,
    p: PlanView,
    op: QuantizedOp,
    o: dict[str, Any],
    homes: dict[str, tuple[int, int, int]],
    waits: list[list[int]],
    first_part: int,
    input_height: int,
) -> int:
    k_where = f"ops[op {o['op']}]"
    parts = []
    for j, part in enumerate(o["parts"]):
        wait = waits[first_part + j]
        Part.StartWaitsVector(b, len(wait))
        for x in reversed(wait):
            b.PrependUint32(x)
        waits_vec = b.EndVector()
        at = part.get("at", {})
        unknown = set(at) - set(OPERANDS)
        if unknown:
            raise ValueError(f"plan: {k_where}.parts[{j}].at: unknown operands {sorted(unknown)}")
        Part.StartAtVector(b, len(OPERANDS))
        for name in reversed(OPERANDS):
            region(p.region(at.get(name), f"{k_where}.parts[{j}].at.{name}"))
        at_vec = b.EndVector()
        more_inputs = part.get("more_inputs", [])
        if len(more_inputs) != max(len(op.inputs) - 2, 0):
            raise ValueError(
                f"plan: {k_where}.parts[{j}].more_inputs: {len(more_inputs)} regions, {op.name} has "
                f"{len(op.inputs)} inputs (expected {max(len(op.inputs) - 2, 0)})"
            )
        more_vec = None
        if more_inputs:
            Part.StartMoreInputsVector(b, len(more_inputs))
            for i, r in reversed(list(enumerate(more_inputs))):
                region(p.required_region(r, f"{k_where}.parts[{j}].more_inputs[{i}]"))
            more_vec = b.EndVector()
        in_rows = part["in_rows"]
        if op.kind == OpKind.FULLY_CONNECTED:
            # The core plans a fully connected op on the tensor before any reshape (e.g. a 4x4x8 pool output),
            # the blob's input tensor is the reshape's (1x1x128): the op reads it whole in either geometry.
            in_rows = (0, input_height)
        Part.Start(b)
        Part.AddInRowBegin(b, in_rows[0])
        Part.AddInRowEnd(b, in_rows[1])
        Part.AddOutRowBegin(b, part["out_rows"][0])
        Part.AddOutRowEnd(b, part["out_rows"][1])
        Part.AddChannelBegin(b, part["out_channels"][0])
        Part.AddChannelEnd(b, part["out_channels"][1])
        Part.AddCopyAhead(b, bool(part.get("copy_ahead", False)))
        Part.AddAt(b, at_vec)
        Part.AddWaits(b, waits_vec)
        if more_vec is not None:
            Part.AddMoreInputs(b, more_vec)
        parts.append(Part.End(b))
    Op.StartPartsVector(b, len(parts))
    for x in reversed(parts):
        b.PrependUOffsetTRelative(x)
    parts_vec = b.EndVector()
    Op.StartInputsVector(b, len(op.inputs))
    for x in reversed(op.inputs):
        b.PrependUint16(x)
    inputs_vec = b.EndVector()
    add_vec = _int32_vector(b, Op.StartAddParamsVector, op.add_params) if op.kind == OpKind.ADD else None
    op_params_vec = _int32_vector(b, Op.StartOpParamsVector, op.op_params) if op.kind in OP_PARAMS_KINDS else None
    name = b.CreateString(op.name)
    strategy = b.CreateString(o["strategy"])
    windowed = op.kind in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D, OpKind.AVERAGE_POOL2D, OpKind.MAX_POOL2D)
    convolution = op.kind in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D)
    Op.Start(b)
    Op.AddKind(b, KIND_CODE[op.kind])
    Op.AddName(b, name)
    Op.AddPlanOp(b, o["op"])
    Op.AddStrategy(b, strategy)
    if o["partitioning"] not in PARTITIONING_CODE:
        raise ValueError(f"plan: {k_where}.partitioning: {o['partitioning']!r}")
    Op.AddPartitioning(b, PARTITIONING_CODE[o["partitioning"]])
    Op.AddFactor(b, o.get("factor", 1))
    Op.AddOutputOverlay(b, bool(o.get("output_overlay", False)))
    Op.AddInputs(b, inputs_vec)
    Op.AddOutput(b, op.output)
    if windowed:
        Op.AddKernelH(b, op.kernel[0])
        Op.AddKernelW(b, op.kernel[1])
        Op.AddStrideH(b, op.stride[0])
        Op.AddStrideW(b, op.stride[1])
    if convolution:
        Op.AddDilationH(b, op.dilation[0])
        Op.AddDilationW(b, op.dilation[1])
        Op.AddDepthMultiplier(b, 1 if op.kind == OpKind.CONV2D else op.depth_multiplier)
    Op.AddActMin(b, op.act_min)
    Op.AddActMax(b, op.act_max)
    if windowed or op.kind == OpKind.PAD:
        Op.AddPadTop(b, op.padding.top)
        Op.AddPadLeft(b, op.padding.left)
        Op.AddPadBottom(b, op.padding.bottom)
        Op.AddPadRight(b, op.padding.right)
    if op.activation == "hard_swish" or op.kind == OpKind.HARD_SWISH:
        reluish_m, reluish_e, output_m, output_e = op.hard_swish_params
        if op.kind != OpKind.HARD_SWISH:  # fused: the kernel's pre-activation output
            Op.AddActivation(b, FusedActivation.HardSwish)
            Op.AddPreActivationZeroPoint(b, op.pre_activation_zero_point)
        Op.AddReluishMultiplier(b, reluish_m)
        Op.AddReluishExponent(b, reluish_e)
        Op.AddHsOutputMultiplier(b, output_m)
        Op.AddHsOutputExponent(b, output_e)
    if add_vec is not None:
        Op.AddAddParams(b, add_vec)
    if op_params_vec is not None:
        Op.AddOpParams(b, op_params_vec)
    if op.kind == OpKind.FULLY_CONNECTED:
        Op.AddWeightsZeroPoint(b, op.weight_zero_point)
    for name_, add in (("weights", Op.AddWeights), ("bias", Op.AddBias), ("quant", Op.AddQuant)):
        if name_ in homes:
            add(b, region(homes[name_]))
    Op.AddFirstPart(b, first_part)
    Op.AddParts(b, parts_vec)
    return Op.End(b)


def _int32_vector(b: flatbuffers.Builder, start, values) -> int:  # type: ignore[no-untyped-def]
    start(b, len(values))
    for x in reversed(values):
        b.PrependInt32(int(x))
    return b.EndVector()


def read_blob(blob: bytes) -> Any:
    """The blob's FlatBuffer root (``_blob_fb.Model.Model``) after the header and CRC checks (ValueError)."""
    if len(blob) < HEADER_BYTES:
        raise ValueError(f"blob: {len(blob)} bytes, shorter than the {HEADER_BYTES}-byte header")
    magic, version, header_bytes, total, crc = _HEADER.unpack_from(blob, 0)
    if magic != MAGIC:
        raise ValueError(f"blob: magic: {magic:#x}, expected {MAGIC:#x}")
    if version != VERSION:
        raise ValueError(f"blob: version {version}: " + ("blob v1, recompile" if version == 1 else "unsupported"))
    if header_bytes != HEADER_BYTES or total > len(blob) or total < HEADER_BYTES:
        raise ValueError("blob: header_bytes/total_bytes")
    if zlib.crc32(blob[HEADER_BYTES:total]) & 0xFFFFFFFF != crc:
        raise ValueError("blob: crc32 mismatch")
    body = bytearray(blob[HEADER_BYTES:total])
    if not Model.Model.ModelBufferHasIdentifier(body, 0):
        raise ValueError(f"blob: file identifier is not {FILE_IDENTIFIER!r}")
    return Model.Model.GetRootAs(body, 0)
