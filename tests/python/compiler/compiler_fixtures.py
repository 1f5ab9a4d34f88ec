"""Plan documents for tests that must not depend on a planner (the serializer and the runtime contract)."""

from __future__ import annotations


def one_part_plan(mapping, internal_input: bool = False) -> dict:
    """A plan document as the core writes it: every tensor at its own offset of "psram", one part per op."""
    net = mapping.network
    homes, offset = [], 0
    for t in net.tensors:
        memory = "sram" if internal_input and t.id == net.input else "psram"
        homes.append({"memory": memory, "offset": 64 + offset if memory == "psram" else 0,
                      "bytes": t.shape.h * t.shape.w * t.shape.c})
        offset += (t.shape.h * t.shape.w * t.shape.c + 15) // 16 * 16
    ops = []
    for op in net.ops:
        src, dst = net.tensors[op.inputs[0]].shape, net.tensors[op.output].shape
        ops.append({"op": op.id, "strategy": "external", "partitioning": "none", "factor": 1,
                    "output_overlay": False, "parts": [{"in_rows": [0, src.h], "out_rows": [0, dst.h],
                                                        "out_channels": [0, dst.c], "at": {}, "copy_in": [],
                                                        "copy_when_due": [], "copy_out": [], "copy_ahead": False}]})
    return {"format": "tinyops-plan", "version": 1, "board": "test", "strategy": "external", "fits": True,
            "why": "", "sram_memory": "sram", "buffers": [], "tensor_home": homes, "op_params": [], "ops": ops}
