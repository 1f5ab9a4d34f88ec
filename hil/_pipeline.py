"""From a model to a measurement job: compile (core plan + compiler blob), predict (core simulator), and find
the port's runner firmware. One plan feeds the blob the firmware executes and the prediction it is compared
with; nothing re-plans downstream."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyops.hil._elf import FirmwareImage
from tinyops.hil._measure import MeasurementJob

REPO_ROOT = Path(__file__).resolve().parents[1]  # editable install: hil/ sits in the repository

# Kernel kinds of the cost model (board YAML `kernels:` keys), from the core's op kind and kernel size.
_KIND = {"depthwise_conv2d": "depthwise_conv2d", "add": "add", "average_pool": "average_pool",
         "global_average_pool": "global_average_pool", "fully_connected": "fully_connected", "pad": "pad"}


def kernel_kind(op: Any) -> str:
    """The cost model's kernel kind of a core op (mirrors kernel_kind() in cpp/src/kernel_cost.cpp)."""
    if op.kind == "conv2d":
        return "conv2d_1x1" if op.kernel_h == 1 and op.kernel_w == 1 else "conv2d_kxk"
    return _KIND[op.kind]


def op_features(network: Any, op: Any) -> tuple[int, int]:
    """(macs, outputs) as the cost model counts them (op_geometry() in cpp/src/kernel_cost.cpp)."""
    out = network.tensors[op.output].shape
    inp = network.tensors[op.inputs[0]].shape
    outputs = out.h * out.w * out.c
    kind = kernel_kind(op)
    if kind in ("conv2d_1x1", "conv2d_kxk", "depthwise_conv2d", "fully_connected"):
        return int(op.macs), outputs
    if kind == "average_pool":
        return op.kernel_h * op.kernel_w * outputs, outputs
    if kind == "global_average_pool":
        return inp.h * inp.w * outputs, outputs
    return 0, outputs


# The firmware's DSP kernels and when its dispatch picks them (firmware/src/kernels: conv2d_dsp_applies,
# depthwise_conv2d_3x3_dsp_applies); the other windowed convolutions run the portable reference kernel.
MAX_DSP_CONV_PATCH = 256
KERNEL_VARIANTS = ("conv2d_kxk_dsp", "conv2d_kxk_reference", "depthwise_conv2d_3x3_dsp",
                   "depthwise_conv2d_reference")


def kernel_variant(network: Any, op: Any) -> str:
    """The firmware kernel an op runs: its kernel kind, split where the firmware has a DSP variant for
    some shapes only (the board's cost model does not separate them; calibration reports both fits)."""
    kind = kernel_kind(op)
    in_c = network.tensors[op.inputs[0]].shape.c
    if kind == "conv2d_kxk":
        return "conv2d_kxk_dsp" if op.kernel_h * op.kernel_w * in_c <= MAX_DSP_CONV_PATCH else "conv2d_kxk_reference"
    if kind == "depthwise_conv2d":
        dsp = op.kernel_h == 3 and op.kernel_w == 3 and in_c % 4 == 0
        return "depthwise_conv2d_3x3_dsp" if dsp else "depthwise_conv2d_reference"
    return kind


@dataclass
class CompiledModel:
    name: str
    board: Any
    strategy: str
    plan: Any
    plan_json: str
    blob: bytes
    op_names: list[str]
    kernel_kinds: list[str]
    kernel_variants: list[str]
    op_macs: list[int]
    op_outputs: list[int]
    predicted: list[float | None]


def compile_model(model: Any, board: Any, strategy: str) -> CompiledModel:
    """Compile `model` (the compiler's IR) with the compiler and predict every op; raises
    tinyops.compiler.PlanDoesNotFit where the strategy's plan does not fit `board`."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs
    from tinyops.compiler import compile_model as compile_blob

    compiled = compile_blob(model, board, strategy)
    mapping, plan, blob = compiled.mapping, compiled.plan, compiled.blob
    plan_json = json.dumps(compiled.plan_json)
    network = mapping.network
    simulated = {row["op"]: row for row in _core.simulate(network, plan, board, False).per_op}
    names: list[str] = []
    kinds: list[str] = []
    variants: list[str] = []
    macs: list[int] = []
    outputs: list[int] = []
    predicted: list[float | None] = []
    for index, op in enumerate(model.ops):
        core_id = mapping.core_op[index]
        names.append(op.name)
        if core_id is None:  # reshape: no work, nothing to calibrate
            kinds.append("reshape")
            variants.append("reshape")
            macs.append(0)
            outputs.append(0)
            predicted.append(None)
            continue
        core_op = network.ops[core_id]
        kinds.append(kernel_kind(core_op))
        variants.append(kernel_variant(network, core_op))
        op_macs, op_outputs = op_features(network, core_op)
        macs.append(op_macs)
        outputs.append(op_outputs)
        row = simulated[core_id]
        predicted.append(float(row["end_cycles"] - row["start_cycles"]))
    return CompiledModel(model.name, board, strategy, plan, plan_json, blob, names, kinds, variants, macs, outputs,
                         predicted)


def load_board(name_or_path: str) -> Any:
    """A board of the catalog (latency_model/boards) by name, or a board YAML file."""
    from tinyops import latency_model

    return latency_model.load_board(name_or_path)


def runner_firmware(port: str) -> FirmwareImage:
    """The port's runner ELF, as `make test` builds it (build/fw-<port>/runner.elf) or $TINYOPS_FIRMWARE_BUILD."""
    build = Path(os.environ.get("TINYOPS_FIRMWARE_BUILD", REPO_ROOT / "build" / f"fw-{port}"))
    elf = build / "runner.elf"
    if not elf.is_file():
        raise FileNotFoundError(f"{elf}: the {port} runner is not built (make -f firmware/Makefile.inc "
                                "firmware-build builds it)")
    return FirmwareImage(elf)


def measurement_job(compiled: CompiledModel, firmware: FirmwareImage, model_name: str | None = None
                    ) -> MeasurementJob:
    return MeasurementJob(model=model_name or compiled.name, board=compiled.board.name,
                          board_version=compiled.board.version, strategy=compiled.strategy, firmware=firmware,
                          op_names=compiled.op_names, kernel_kinds=compiled.kernel_kinds,
                          kernel_variants=compiled.kernel_variants, blob=compiled.blob,
                          plan_json=compiled.plan_json, predicted=compiled.predicted,
                          op_macs=compiled.op_macs, op_outputs=compiled.op_outputs)
