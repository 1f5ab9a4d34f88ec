"""Plan documents for tests that must not depend on a planner (the serializer and the runtime contract):
every activation at its own offset of external memory (the network input optionally in SRAM), weights after
them, one part per op read and written in place, built from the IR alone so that ops the core cannot plan
(dilation) still reach the runtime."""

from __future__ import annotations

from tinyops import _core
from tinyops.compiler import OpKind, QuantizedModel
from tinyops.compiler._network import NetworkMapping
from tinyops.compiler._schedule import whole_op_entry
from tinyops.latency_model import BOARDS_DIR


def board_without_flash_room(board: str) -> _core.Board:
    """A catalog board with 64 KB of flash: `internal` cannot hold r064's weights there, so `optimal` keeps its
    own search's plan (resident tensors, weight streaming) where on the real board the internal plan is faster
    for r064 and `optimal` would be that plan."""
    path = BOARDS_DIR / f"{board}.yaml"
    text = path.read_text()
    assert text.count("value: 1048576") == 1, f"{path}: expected one 1 MB size (the flash)"
    return _core.board_from_yaml(text.replace("value: 1048576", "value: 65536"), f"{path} (flash 64 KB)")


def ir_mapping(model: QuantizedModel) -> NetworkMapping:
    """Op k -> op k and tensor i -> tensor i, reshape outputs aliasing their inputs (as to_network maps)."""
    core_tensor = list(range(len(model.tensors)))
    core_op: list[int | None] = []
    for k, op in enumerate(model.ops):
        if op.kind == OpKind.RESHAPE:
            core_tensor[op.output] = core_tensor[op.inputs[0]]
            core_op.append(None)
        else:
            core_op.append(k)
    return NetworkMapping(network=None, core_tensor=core_tensor, core_op=core_op)


def one_part_plan(model: QuantizedModel, internal_input: bool = False) -> tuple[NetworkMapping, dict]:
    mapping = ir_mapping(model)
    homes, offset = [], 0
    for i, t in enumerate(model.tensors):
        internal = internal_input and i == model.input
        homes.append(
            {"memory": "sram" if internal else "psram", "offset": 0 if internal else 64 + offset, "bytes": t.bytes}
        )
        offset += (t.bytes + 15) // 16 * 16
    offset += 64
    params = []
    for op in model.ops:
        entry = {}
        arrays = {"weights": op.weights, "bias": op.bias, "quant": None if op.multipliers is None else op.multipliers}
        for name, a in arrays.items():
            if a is not None:
                size = a.size * a.itemsize * (2 if name == "quant" else 1)
                entry[name] = {"memory": "psram", "offset": offset, "bytes": size}
                offset += (size + 31) // 32 * 32
        params.append(entry)
    ops = []
    for k, op in enumerate(model.ops):
        src, dst = model.tensors[op.inputs[0]].shape, model.tensors[op.output].shape
        if mapping.core_op[k] is not None:
            at = {name: r for name, r in params[k].items()}
            home = [homes[mapping.core_tensor[x]] for x in (*op.inputs, op.output)]
            at["input"] = home[0]
            if len(op.inputs) > 1:
                at["input2"] = home[1]
            at["output"] = home[-1]
            ops.append(whole_op_entry(k, "external", src, dst, at))
    plan = {
        "format": "tinyops-plan",
        "version": 1,
        "board": "test",
        "strategy": "external",
        "fits": True,
        "why": "",
        "memories": [{"name": "sram", "size_bytes": 1 << 20}, {"name": "psram", "size_bytes": 1 << 24}],
        "sram_memory": "sram",
        "buffers": [],
        "tensor_home": homes,
        "op_params": params,
        "ops": ops,
    }
    return mapping, plan
