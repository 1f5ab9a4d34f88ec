"""The model blob writer, byte for byte per firmware/BLOB_FORMAT.md (version 1).

Input: the IR (weights and the integer parameters derived once in ``_quant``), its mapping onto the core's
Network, and the core's plan as its JSON document (``plan_to_json``): tensor homes, per-op partitioning,
parts and overlay buffers. The writer translates; it never re-plans. Where the plan asks for something the
blob v1 cannot express (e.g. an overlay too small for the blob's combined fill), the op reads its operands
in place and the translation records a note, so that the report says so.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinyops.compiler._ir import OpKind, QuantizedModel, QuantizedOp
from tinyops.compiler._network import NetworkMapping
from tinyops.compiler._quant import scale_as_q31

MAGIC = 0x42504F54
VERSION = 1
HEADER_BYTES = 64
TENSOR_BYTES = 32
OP_BYTES = 128
PART_BYTES = 16
MAX_OPS = 256
NO_TENSOR = 0xFFFF
KIND_CODE = {OpKind.CONV2D: 1, OpKind.DEPTHWISE_CONV2D: 2, OpKind.ADD: 3, OpKind.AVERAGE_POOL2D: 4,
             OpKind.FULLY_CONNECTED: 5, OpKind.PAD: 6, OpKind.RESHAPE: 7}
STRATEGY_CODE = {"none": 0, "rows": 1, "output_channels": 2}
MEMORY_EXTERNAL, MEMORY_INTERNAL = 0, 1
FLAG_COPY_WEIGHTS = 1 << 0
FLAG_PREFETCH_NEXT = 1 << 1
FUSED_HARD_SWISH = 1  # OpRecord.params[0] of a convolution (FusedActivation)

_HEADER = struct.Struct("<IHHIIIHHIIIIIIIHHII")
_TENSOR = struct.Struct("<HHHBBIIiiiI")
_OP = struct.Struct("<BBBBHHHHBBBBBBbbHHHH6i" + "II" * 4 + "II" + "II" * 4 + "I")
_PART = struct.Struct("<HHHHHHI")
assert (_HEADER.size, _TENSOR.size, _OP.size, _PART.size) == (HEADER_BYTES, TENSOR_BYTES, OP_BYTES, PART_BYTES)


def _align(n: int, to: int = 4) -> int:
    return (n + to - 1) // to * to


@dataclass
class BlobLayout:
    """What the writer decided, for the plan report and tests."""

    external_arena_bytes: int
    internal_arena_bytes: int
    data_bytes: int
    part_count: int
    op_strategies: list[str]
    notes: list[str] = field(default_factory=list)


class _Data:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, array: np.ndarray | None) -> tuple[int, int]:
        if array is None or array.size == 0:
            return 0, 0
        raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        offset = self.size
        padded = raw + b"\0" * (_align(len(raw)) - len(raw))
        self.chunks.append(padded)
        self.size += len(padded)
        return offset, len(raw)


class _Arenas:
    """Maps plan regions to the blob's two arenas: the plan's SRAM memory is internal, the rest external."""

    def __init__(self, plan: dict[str, Any], regions: list[dict[str, Any]]) -> None:
        self.internal = plan.get("sram_memory")
        memories = {r["memory"] for r in regions}
        external = memories - {self.internal}
        if len(external) > 1:
            raise ValueError(f"plan: activations live in {sorted(external)}: the blob has one external arena")
        self.base: dict[str, int] = {}
        self.end: dict[str, int] = {}
        for r in regions:
            m = r["memory"]
            self.base[m] = min(self.base.get(m, r["offset"]), r["offset"])
            self.end[m] = max(self.end.get(m, 0), r["offset"] + r["bytes"])

    def place(self, region: dict[str, Any]) -> tuple[int, int]:
        kind = MEMORY_INTERNAL if region["memory"] == self.internal else MEMORY_EXTERNAL
        return kind, region["offset"] - self.base[region["memory"]]

    def size(self, kind: int) -> int:
        names = [m for m in self.base if (m == self.internal) == (kind == MEMORY_INTERNAL)]
        return max((self.end[m] - self.base[m] for m in names), default=0)


def _input_overlays(model: QuantizedModel, op: QuantizedOp, op_plan: dict[str, Any],
                    buffers: dict[str, dict[str, Any]], arenas: _Arenas, notes: list[str]) -> list[tuple[int, int]]:
    """The ping-pong pair the plan stages the op's (first) input in, in fill order, if the blob's fill fits.

    The blob v1 puts all inputs of a part back to back in one overlay; the plan may stage an add's second
    input in other buffers (the published runtime uses the filter and im2col buffers): the same bytes are
    copied at the same time, into the first input's buffer instead."""
    used: list[str] = []
    for part in op_plan["parts"]:
        for t in part.get("copy_in", []):
            if t["operand"] == "input" and t["buffer"] and t["buffer"] not in used:
                used.append(t["buffer"])
    if not used:
        return []
    if len(used) == 1:  # every part reads the same rows: one fill; the blob still names both buffers
        used += [name for name, b in buffers.items() if b["kind"] == "input" and name != used[0]][:1]
    if len(used) != 2:
        notes.append(f"{op.name}: the plan stages its input in {len(used)} buffer(s), the blob v1 needs a "
                     f"ping-pong pair: inputs read in place")
        return []
    rows = max(p["in_rows"][1] - p["in_rows"][0] for p in op_plan["parts"])
    need = sum(_align(rows * model.tensors[i].shape[1] * model.tensors[i].shape[2]) for i in op.inputs)
    overlays = []
    for name in used:
        region = buffers[name]["region"]
        kind, offset = arenas.place(region)
        if kind != MEMORY_INTERNAL or region["bytes"] < need:
            notes.append(f"{op.name}: input buffer {name} ({region['bytes']} B) cannot hold the blob's fill "
                         f"({need} B, all inputs back to back): inputs read in place")
            return []
        overlays.append((offset, region["bytes"]))
    return overlays


def _last_fill_buffer(op_plan: dict[str, Any], overlays: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The overlay the op's last part reads (fills alternate and happen only when the row range changes)."""
    if not overlays:
        return None
    fills, previous = 0, None
    for p in op_plan["parts"]:
        if tuple(p["in_rows"]) != previous:
            fills, previous = fills + 1, tuple(p["in_rows"])
    return overlays[(fills - 1) % 2]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]


def write_blob(model: QuantizedModel, mapping: NetworkMapping, plan: dict[str, Any]) -> tuple[bytes, BlobLayout]:
    """Serialize ``model`` with ``plan`` (the core's plan JSON for ``mapping.network``) into a blob."""
    if plan.get("format") != "tinyops-plan":
        raise ValueError(f"plan: format: expected 'tinyops-plan', got {plan.get('format')!r}")
    if not plan.get("fits", False):
        raise ValueError(f"plan ({plan.get('strategy')} on {plan.get('board')}) does not fit: {plan.get('why')}")
    if len(model.ops) > MAX_OPS:
        raise ValueError(f"{model.source}: {len(model.ops)} ops, the blob holds at most {MAX_OPS}")
    op_plans = {o["op"]: o for o in plan["ops"]}
    homes = plan["tensor_home"]
    buffers = {b["name"]: b for b in plan["buffers"]}
    activation_regions = [homes[mapping.core_tensor[i]] for i in range(len(model.tensors))]
    if any(r is None for r in activation_regions):
        raise ValueError("plan: tensor_home: every activation needs a home")
    staging = [b["region"] for b in plan["buffers"] if b["kind"] != "arena" and b["region"]]
    arenas = _Arenas(plan, activation_regions + staging)

    tensors = b""
    for i, t in enumerate(model.tensors):
        kind, offset = arenas.place(activation_regions[i])
        multiplier, shift = scale_as_q31(t.scale)
        h, w, c = t.shape
        tensors += _TENSOR.pack(h, w, c, kind, 0, offset, t.bytes, t.zero_point, multiplier, shift, 0)

    data = _Data()
    parts = b""
    part_count = 0
    notes: list[str] = []
    strategies: list[str] = []
    decided: list[tuple[QuantizedOp, dict[str, Any], list[tuple[int, int]], int, int]] = []
    for k, op in enumerate(model.ops):
        core_op = mapping.core_op[k]
        out_shape = model.tensors[op.output].shape
        if core_op is None:  # reshape: one in-place part, storage shared with its input
            op_plan: dict[str, Any] = {"partitioning": "none", "strategy": "alias", "parts": [
                {"in_rows": [0, model.tensors[op.inputs[0]].shape[0]], "out_rows": [0, out_shape[0]],
                 "out_channels": [0, out_shape[2]]}]}
        elif core_op not in op_plans:
            raise ValueError(f"plan: ops: no entry for op {core_op} ({op.name})")
        else:
            op_plan = op_plans[core_op]
        strategies.append(op_plan["strategy"])
        overlays = (_input_overlays(model, op, op_plan, buffers, arenas, notes)
                    if op_plan["partitioning"] == "rows" else [])
        decided.append((op, op_plan, overlays, part_count, len(op_plan["parts"])))
        for p in op_plan["parts"]:
            parts += _PART.pack(p["in_rows"][0], p["in_rows"][1], p["out_rows"][0], p["out_rows"][1],
                                p["out_channels"][0], p["out_channels"][1], 0)
            part_count += 1

    ops = b""
    weight_staging = _weight_staging(buffers, arenas)
    unexpressed = {"prefetches": 0, "output overlays": 0}
    for k, (op, op_plan, overlays, first, count) in enumerate(decided):
        flags = 0
        if k + 1 < len(decided) and _prefetches(model, decided[k], decided[k + 1], activation_regions):
            flags |= FLAG_PREFETCH_NEXT
        elif k + 1 < len(decided) and decided[k + 1][1]["parts"][0].get("copy_ahead", False):
            unexpressed["prefetches"] += 1
        unexpressed["output overlays"] += bool(op_plan.get("output_overlay", False))
        weight_overlays = (_weight_overlays(model, op, op_plan, weight_staging)
                           if op_plan["partitioning"] in ("rows", "output_channels") else [])
        if weight_overlays:
            flags |= FLAG_COPY_WEIGHTS
        elif op.weights is not None and _copies_weights(op_plan):
            notes.append(f"{op.name}: the plan copies its weights into SRAM, but two combined slices do not fit "
                         f"the plan's staging buffers: read in place")
        ops += _op_record(op, STRATEGY_CODE[op_plan["partitioning"]], flags, data, overlays, weight_overlays,
                          first, count)

    if any(unexpressed.values()):
        notes.append("the blob v1 cannot say: " + ", ".join(f"{n} {what}" for what, n in unexpressed.items() if n)
                     + " of the plan (prefetched copies are made when the op starts, outputs go straight home)")
    tables_end = HEADER_BYTES
    tensor_table = tables_end
    op_table = _align(tensor_table + len(tensors))
    part_table = _align(op_table + len(ops))
    data_offset = _align(part_table + len(parts))
    body = bytearray(data_offset + data.size)
    body[tensor_table:tensor_table + len(tensors)] = tensors
    body[op_table:op_table + len(ops)] = ops
    body[part_table:part_table + len(parts)] = parts
    body[data_offset:] = b"".join(data.chunks)
    layout = BlobLayout(arenas.size(MEMORY_EXTERNAL), arenas.size(MEMORY_INTERNAL), data.size, part_count,
                        strategies, notes)
    header = _HEADER.pack(MAGIC, VERSION, HEADER_BYTES, len(body), 0, tensor_table, len(model.tensors),
                          len(model.ops), op_table, part_table, part_count, data_offset, data.size,
                          layout.external_arena_bytes, layout.internal_arena_bytes, model.input, model.output, 0, 0)
    body[:HEADER_BYTES] = header
    struct.pack_into("<I", body, 12, zlib.crc32(bytes(body[16:])) & 0xFFFFFFFF)
    return bytes(body), layout


def _weight_staging(buffers: dict[str, dict[str, Any]], arenas: _Arenas) -> tuple[int, int] | None:
    """The largest contiguous internal range of the plan's weight/bias/quant/scratch buffers (offset, bytes).

    The plan stages filters, biases and quant params in separate buffers; the blob v1 stages an op's
    weights, bias, multipliers and shifts together, in a ping-pong pair: it is laid out here, in the SRAM
    the plan reserved for exactly that staging (the firmware has no im2col buffer, so scratch is free)."""
    runs: list[list[int]] = []
    regions = sorted((arenas.place(b["region"])[1], b["region"]["bytes"]) for b in buffers.values()
                     if b["kind"] in ("weights", "bias", "quant", "scratch") and b["region"]
                     and arenas.place(b["region"])[0] == MEMORY_INTERNAL)
    for offset, size in regions:
        if runs and offset <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], offset + size)
        else:
            runs.append([offset, offset + size])
    if not runs:
        return None
    start, end = max(runs, key=lambda r: r[1] - r[0])
    start = _align(start)
    return (start, end - start) if end > start else None


def _copies_weights(op_plan: dict[str, Any]) -> bool:
    return any(t["operand"] == "weights" for p in op_plan["parts"]
               for t in p.get("copy_in", []) + p.get("copy_when_due", []))


def _weight_overlays(model: QuantizedModel, op: QuantizedOp, op_plan: dict[str, Any],
                     staging: tuple[int, int] | None) -> list[tuple[int, int]]:
    """A ping-pong pair for the op's combined weight slices, where the plan copies its weights into SRAM."""
    if staging is None or op.weights is None or not _copies_weights(op_plan):
        return []
    channels = op.out_channels
    per_channel = op.weights.size // channels if op.kind != OpKind.DEPTHWISE_CONV2D else 0
    need = 0
    for p in op_plan["parts"]:
        n = p["out_channels"][1] - p["out_channels"][0]
        weights = per_channel * n if per_channel else op.weights.size
        need = max(need, _align(weights) + 3 * 4 * n)
    need = _align(need)
    if 2 * need > staging[1]:
        return []
    return [(staging[0], need), (staging[0] + need, need)]


def _prefetches(model: QuantizedModel, this: tuple, following: tuple, homes: list[dict[str, Any]]) -> bool:
    """Whether the plan prefetches the next op's first input part during this op (and the blob can say so:
    the next op is staged, reads nothing this op writes, and its first fill does not hit a buffer in use)."""
    op, op_plan, overlays, _, _ = this
    nxt, nxt_plan, nxt_overlays, _, _ = following
    if not nxt_overlays or not nxt_plan["parts"] or not nxt_plan["parts"][0].get("copy_ahead", False):
        return False
    out = homes[op.output]
    for i in nxt.inputs:
        home = homes[i]
        if i == op.output or (home["memory"] == out["memory"] and
                              _overlap((home["offset"], home["bytes"]), (out["offset"], out["bytes"]))):
            return False
    last = _last_fill_buffer(op_plan, overlays)
    return last is None or not _overlap(nxt_overlays[0], last)


def _op_record(op: QuantizedOp, strategy: int, flags: int, data: _Data, overlays: list[tuple[int, int]],
               weight_overlays: list[tuple[int, int]], part_first: int, part_count: int) -> bytes:
    windowed = op.kind in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D, OpKind.AVERAGE_POOL2D)
    convolution = op.kind in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D)
    kernel = op.kernel if windowed else (0, 0)
    stride = op.stride if windowed else (0, 0)
    dilation = op.dilation if convolution else (0, 0)
    padded = windowed or op.kind == OpKind.PAD
    p = op.padding
    pads = (p.top, p.left, p.bottom, p.right) if padded else (0, 0, 0, 0)
    clamps = (op.act_min, op.act_max)  # pad and reshape: the full int8 range
    depth_multiplier = {OpKind.CONV2D: 1, OpKind.DEPTHWISE_CONV2D: op.depth_multiplier}.get(op.kind, 0)
    params = [0] * 6
    if op.kind == OpKind.ADD:
        params = list(op.add_params)
    elif op.activation == "hard_swish":  # BLOB_FORMAT.md: FusedActivation::kHardSwish
        reluish_m, reluish_e, output_m, output_e = op.hard_swish_params
        params = [FUSED_HARD_SWISH, op.pre_activation_zero_point, reluish_m, reluish_e, output_m, output_e]
    elif op.kind == OpKind.FULLY_CONNECTED:
        params[0] = op.weight_zero_point
    inputs = list(op.inputs) + [NO_TENSOR] * (2 - len(op.inputs))
    refs = [data.add(op.weights), data.add(op.bias), data.add(op.multipliers), data.add(op.shifts)]
    in_ov = overlays + [(0, 0)] * (2 - len(overlays))
    w_ov = weight_overlays + [(0, 0)] * (2 - len(weight_overlays))
    return _OP.pack(KIND_CODE[op.kind], strategy, flags, 0, inputs[0], inputs[1], op.output, depth_multiplier,
                    *kernel, *stride, *dilation, *clamps, *pads, *params,
                    *[v for ref in refs for v in ref], part_first, part_count,
                    *[v for ov in in_ov for v in ov], *[v for ov in w_ov for v in ov], 0)
