"""The plan's transfers in the order the executor issues them, and what each part and copy waits for.

The blob writer (``_blob``) serializes what this module derives from the core's plan JSON: every transfer in the
simulator's issue order (copies issued when due, ahead of the next part, after compute), its DMA stream (the
simulator's timeline), and which earlier transfers a part or a copy must wait for, by the simulator's own rules
(a part waits for its copies and for output copies into the tensors it reads; a copy waits for output copies
still reading the buffer it fills or still writing the rows it reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tinyops.compiler._blob_fb.CopyList import CopyList
from tinyops.compiler._blob_fb.IssuePoint import IssuePoint
from tinyops.compiler._ir import QuantizedModel
from tinyops.compiler._network import NetworkMapping


@dataclass
class ScheduledTransfer:
    operand: str
    list_code: int
    issue: int
    op: int
    part: int  # global index of the part that lists it
    issue_part: int  # global index of the part it is issued at
    src: tuple[int, int, int]
    dst: tuple[int, int, int]
    buffer: int
    stream: int = 0
    waits: list[int] = field(default_factory=list)  # earlier transfers to land before it is issued


class PlanView:
    """The plan JSON with regions as (memory index, offset, bytes) and lookups by name."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.doc = plan
        self.memories = [(m["name"], int(m["size_bytes"])) for m in plan.get("memories", [])]
        self.memory_index = {name: i for i, (name, _) in enumerate(self.memories)}
        self.buffers = plan["buffers"]
        self.buffer_index = {b["name"]: i for i, b in enumerate(self.buffers)}
        sram = plan.get("sram_memory")
        self.sram = self.memory_index.get(sram, -1) if sram is not None else -1

    def region(self, r: dict[str, Any] | None, where: str) -> tuple[int, int, int] | None:
        if r is None:
            return None
        if r.get("memory") not in self.memory_index:
            raise ValueError(
                f"plan: {where}.memory: {r.get('memory')!r} is not one of the plan's memories "
                f"{[m for m, _ in self.memories]}"
            )
        return self.memory_index[r["memory"]], int(r["offset"]), int(r["bytes"])

    def required_region(self, r: dict[str, Any] | None, where: str) -> tuple[int, int, int]:
        region = self.region(r, where)
        if region is None:
            raise ValueError(f"plan: {where}: expected a region, got none")
        return region


def whole_op_entry(
    op: int, strategy: str, src: Sequence[int], dst: Sequence[int], at: dict[str, Any]
) -> dict[str, Any]:
    """A plan's op entry that runs the op in one part, in place (operands at `at`), with no copies."""
    whole = {"in_rows": [0, src[0]], "out_rows": [0, dst[0]], "out_channels": [0, dst[2]], "at": at}
    no_copies = {"copy_in": [], "copy_when_due": [], "copy_out": [], "copy_ahead": False}
    return {
        "op": op,
        "strategy": strategy,
        "partitioning": "none",
        "factor": 1,
        "output_overlay": False,
        "parts": [whole | no_copies],
    }


def op_plan_entries(model: QuantizedModel, mapping: NetworkMapping, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan entry of every IR op; a reshape (no core op: its output aliases its input) runs as one part."""
    by_id = {o["op"]: o for o in plan["ops"]}
    out = []
    homes = plan["tensor_home"]
    for k, op in enumerate(model.ops):
        core_op = mapping.core_op[k]
        if core_op is None:
            src, dst = model.tensors[op.inputs[0]].shape, model.tensors[op.output].shape
            at = {
                "input": homes[mapping.core_tensor[op.inputs[0]]],
                "output": homes[mapping.core_tensor[op.output]],
            }
            out.append(whole_op_entry(-1, "alias", src, dst, at))
        elif core_op not in by_id:
            raise ValueError(f"plan: ops: no entry for op {core_op} ({op.name})")
        else:
            out.append(by_id[core_op])
    return out


def _overlaps(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[1] + b[2] and b[1] < a[1] + a[2]


def schedule_transfers(
    plan: PlanView,
    op_plans: list[dict[str, Any]],
    model: QuantizedModel,
    mapping: NetworkMapping,
    streams: list[int] | None,
) -> tuple[list[ScheduledTransfer], list[list[int]]]:
    """Every transfer in the simulator's issue order, and per global part the transfers it waits for."""
    transfers: list[ScheduledTransfer] = []
    parts = [(k, p, part) for k, o in enumerate(op_plans) for p, part in enumerate(o["parts"])]
    first_part: dict[int, int] = {}
    for g, (k, _, _) in enumerate(parts):
        first_part.setdefault(k, g)

    def add(part_index: int, issue_part: int, issue: int, name: str, code: int) -> None:
        k, p, part = parts[part_index]
        for j, t in enumerate(part.get(name, [])):
            where = f"ops[{k}].parts[{p}].{name}[{j}]"
            buffer = t.get("buffer")
            if buffer is not None and buffer not in plan.buffer_index:
                raise ValueError(f"plan: {where}.buffer: no buffer named {buffer!r}")
            src, dst = plan.required_region(t["src"], where + ".src"), plan.required_region(t["dst"], where + ".dst")
            if src[2] != dst[2]:
                raise ValueError(f"plan: {where}: src has {src[2]} bytes, dst {dst[2]}")
            transfers.append(
                ScheduledTransfer(
                    t["operand"],
                    code,
                    issue,
                    k,
                    part_index,
                    issue_part,
                    src,
                    dst,
                    plan.buffer_index.get(buffer, -1) if buffer else -1,
                )
            )

    for g, (_, _, part) in enumerate(parts):
        if not (part.get("copy_ahead", False) and g > 0):
            add(g, g, IssuePoint.Due, "copy_in", CopyList.CopyIn)
        add(g, g, IssuePoint.Due, "copy_when_due", CopyList.CopyWhenDue)
        if g + 1 < len(parts) and parts[g + 1][2].get("copy_ahead", False):
            add(g + 1, g, IssuePoint.Ahead, "copy_in", CopyList.CopyIn)
        add(g, g, IssuePoint.AfterCompute, "copy_out", CopyList.CopyOut)

    if transfers and streams is None:
        raise ValueError(
            "plan: has transfers but no DMA stream for them (compile_model takes them from the simulator's timeline)"
        )
    if streams is not None:
        if len(streams) != len(transfers):
            raise ValueError(f"streams: {len(streams)} for the plan's {len(transfers)} transfers")
        for t, s in zip(transfers, streams):
            t.stream = s

    # What waits for what, by the simulator's rules.
    buffer_regions = [
        plan.region(b["region"], f"buffers[{i}].region") if b.get("region") else None
        for i, b in enumerate(plan.buffers)
    ]

    def buffer_of(r: tuple[int, int, int] | None) -> int:
        if r is None:
            return -1
        return next(
            (
                i
                for i, b in enumerate(buffer_regions)
                if b
                and b[0] == r[0]
                and b[1] <= r[1]
                and r[1] + r[2] <= b[1] + b[2]
                and plan.buffers[i]["kind"] != "arena"
            ),
            -1,
        )

    pending_out: list[int] = []  # output copies no part or copy has waited for yet
    by_issue: dict[int, list[int]] = {}
    for i, t in enumerate(transfers):
        by_issue.setdefault(t.issue_part, []).append(i)
    waits: list[list[int]] = []
    homes = plan.doc["tensor_home"]

    def issue(indices: list[int]) -> None:
        """A copy waits for output copies still reading the buffer it fills or writing the bytes it reads."""
        nonlocal pending_out
        for i in indices:
            t = transfers[i]
            if t.list_code == CopyList.CopyOut:
                continue
            b = t.buffer if t.buffer >= 0 else buffer_of(t.dst)
            t.waits = [
                j
                for j in pending_out
                if (b >= 0 and buffer_of(transfers[j].src) == b) or _overlaps(transfers[j].dst, t.src)
            ]
            pending_out = [j for j in pending_out if j not in t.waits]

    for g, (k, p, part) in enumerate(parts):
        issue([i for i in by_issue.get(g, []) if transfers[i].issue == IssuePoint.Due])
        own = [i for i, t in enumerate(transfers) if t.part == g and t.list_code != CopyList.CopyOut]
        op = model.ops[k]
        inputs = [
            plan.region(homes[mapping.core_tensor[x]], f"tensor_home[{mapping.core_tensor[x]}]") for x in op.inputs
        ]
        feeds = [j for j in pending_out if any(_overlaps(transfers[j].dst, r) for r in inputs if r)]
        out_at = plan.region(part.get("at", {}).get("output"), f"ops[{k}].parts[{p}].at.output")
        out_buffer = buffer_of(out_at) if part.get("copy_out") else -1
        busy = [j for j in pending_out if out_buffer >= 0 and buffer_of(transfers[j].src) == out_buffer]
        wait = sorted(set(own + feeds + busy))
        pending_out = [j for j in pending_out if j not in wait]
        waits.append(wait)
        issue([i for i in by_issue.get(g, []) if transfers[i].issue == IssuePoint.Ahead])
        pending_out += [i for i in by_issue.get(g, []) if transfers[i].list_code == CopyList.CopyOut]
    return transfers, waits


def transfer_streams(timeline: list[dict[str, Any]]) -> list[int]:
    """The DMA stream of each transfer, in issue order, from the simulator's timeline ('DMA<k>' lanes; a copy
    on the CPU lane, on a board without DMA, is stream 0)."""
    out = []
    for e in timeline:
        if e["kind"] in ("copy_in", "copy_out"):
            lane = e["lane"]
            out.append(int(lane[3:]) if lane.startswith("DMA") else 0)
    return out
