"""From a model to a measurement job. The steps are the toolkit's own: `tinyops.compiler.compile_model` (the
core's plan, the blob, and per op the prediction of that plan), `tinyops.latency_model.load_board` (the one
board loader) and `tinyops.compiler`'s runner finder; this module only finds the port's runner image and
packs a compiled model into a MeasurementJob. One plan feeds the blob the firmware executes and the prediction
it is compared with; nothing re-plans downstream."""

from __future__ import annotations

import json

from tinyops.compiler import CompiledModel, compile_model
from tinyops.compiler._ports import runner_elf
from tinyops.hil._elf import FirmwareImage
from tinyops.hil._measure import MeasurementJob
from tinyops.latency_model import load_board

__all__ = ["CompiledModel", "compile_model", "load_board", "measurement_job", "runner_firmware"]


def runner_firmware(port: str) -> FirmwareImage:
    """The port's runner image (tinyops.compiler's runner_elf: $TINYOPS_FIRMWARE_BUILD, or build/fw-<port>, built
    when missing)."""
    return FirmwareImage(runner_elf(port))


def measurement_job(compiled: CompiledModel, firmware: FirmwareImage, model_name: str | None = None) -> MeasurementJob:
    return MeasurementJob(
        model=model_name or compiled.name,
        board=compiled.board.name,
        board_version=compiled.board.version,
        strategy=compiled.strategy,
        firmware=firmware,
        op_names=compiled.op_names,
        kernel_kinds=compiled.kernel_kinds,
        blob=compiled.blob,
        plan_json=json.dumps(compiled.plan_json),
        predicted=compiled.predicted,
        op_features=compiled.op_features,
    )
