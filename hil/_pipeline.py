"""From a model to a measurement job: compile (core plan + compiler blob), predict (core simulator), and find
the port's runner firmware. One plan feeds the blob the firmware executes and the prediction it is compared
with; nothing re-plans downstream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tinyops.hil._elf import FirmwareImage
from tinyops.hil._measure import MeasurementJob



@dataclass
class CompiledModel:
    name: str
    board: Any
    strategy: str
    plan: Any
    plan_json: str
    blob: bytes
    op_names: list[str]
    kernel_kinds: list[str]                 # per op, the firmware kernel it runs (the core's kernel_kind)
    op_features: list[dict[str, float]]     # per op, the cost model's {term: work} over its parts
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
    costed = {op_id: (kind, features) for op_id, kind, features in _core.op_cost_features(network, plan)}
    names: list[str] = []
    kinds: list[str] = []
    features: list[dict[str, float]] = []
    predicted: list[float | None] = []
    for index, op in enumerate(model.ops):
        core_id = mapping.core_op[index]
        names.append(op.name)
        if core_id is None:  # reshape: no work, nothing to calibrate
            kinds.append("reshape")
            features.append({})
            predicted.append(None)
            continue
        kind, op_features = costed[core_id]
        kinds.append(kind)
        features.append(op_features)
        row = simulated[core_id]
        predicted.append(float(row["end_cycles"] - row["start_cycles"]))
    return CompiledModel(model.name, board, strategy, plan, plan_json, blob, names, kinds, features, predicted)


def load_board(name_or_path: str) -> Any:
    """A board of the catalog (latency_model/boards) by name, or a board YAML file."""
    from tinyops import latency_model

    return latency_model.load_board(name_or_path)


def runner_firmware(port: str) -> FirmwareImage:
    """The port's runner ELF, found or built (a checkout's build/fw-<port>, $TINYOPS_FIRMWARE_BUILD, or the user
    cache of an installed package: ``tinyops._firmware``)."""
    from tinyops import _firmware

    return FirmwareImage(_firmware.runner_elf(port))


def measurement_job(compiled: CompiledModel, firmware: FirmwareImage, model_name: str | None = None
                    ) -> MeasurementJob:
    return MeasurementJob(model=model_name or compiled.name, board=compiled.board.name,
                          board_version=compiled.board.version, strategy=compiled.strategy, firmware=firmware,
                          op_names=compiled.op_names, kernel_kinds=compiled.kernel_kinds,
                          blob=compiled.blob,
                          plan_json=compiled.plan_json, predicted=compiled.predicted,
                          op_features=compiled.op_features)
