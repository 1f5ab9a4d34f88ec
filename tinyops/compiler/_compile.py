"""model (.tflite or handoff .npz) + board + strategy -> the core's plan -> blob, and the plan report.

The plan comes from the C++ core (``tinyops._core.plan``), the one planner; this module only maps the IR
onto the core's Network, asks for the plan, serializes both into the blob and asks the core's simulator what
that plan costs per op. hil measures through this same pipeline (tinyops.hil._pipeline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tinyops.compiler._blob import MAX_INPUTS, BlobLayout, write_blob
from tinyops.compiler._handoff import load_any
from tinyops.compiler._ir import OpKind, QuantizedModel, QuantizedOp
from tinyops.compiler._network import NetworkMapping, to_network
from tinyops.compiler._schedule import transfer_streams


@dataclass(frozen=True)
class OpPrediction:
    """One op of the model (the IR's order, as the firmware runs and reports them) as the core scores its plan."""

    name: str
    kernel_kind: str  # the firmware kernel it runs (the core's kernel_kind); "reshape": an alias
    features: dict[str, float]  # the cost model's {term: work} over its parts (empty for an alias)
    predicted_cycles: float | None  # its span in the simulated plan (None for an alias: no work)


@dataclass
class CompiledModel:
    model: QuantizedModel
    mapping: NetworkMapping
    plan: Any  # tinyops._core.Plan
    plan_json: dict[str, Any]
    blob: bytes
    layout: BlobLayout
    predicted_ms: float | None = None
    board: Any = None  # tinyops._core.Board the plan was made for

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def strategy(self) -> str:
        return str(self.plan_json["strategy"])

    @cached_property
    def op_predictions(self) -> list[OpPrediction]:
        """Per op of the model, what the core predicts for the plan in the blob (what hil compares with the
        measured per-op counts and calibrates against)."""
        from tinyops import _core

        network = self.mapping.network
        simulated = {row["op"]: row for row in _core.simulate(network, self.plan, self.board, False).per_op}
        costed = {op_id: (kind, features) for op_id, kind, features in _core.op_cost_features(network, self.plan)}
        out = []
        for index, op in enumerate(self.model.ops):
            core_id = self.mapping.core_op[index]
            if core_id is None:  # reshape: no work, nothing to calibrate
                out.append(OpPrediction(op.name, "reshape", {}, None))
                continue
            kind, features = costed[core_id]
            row = simulated[core_id]
            out.append(OpPrediction(op.name, kind, features, float(row["end_cycles"] - row["start_cycles"])))
        return out

    # Per-op columns of op_predictions.
    @property
    def op_names(self) -> list[str]:
        return [p.name for p in self.op_predictions]

    @property
    def kernel_kinds(self) -> list[str]:
        return [p.kernel_kind for p in self.op_predictions]

    @property
    def op_features(self) -> list[dict[str, float]]:
        return [p.features for p in self.op_predictions]

    @property
    def predicted(self) -> list[float | None]:
        return [p.predicted_cycles for p in self.op_predictions]

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``<name>.blob``, ``<name>.plan.json`` and ``<name>.report.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{self.model.name}.{self.plan_json['strategy']}"
        paths = {"blob": out / f"{stem}.blob", "plan": out / f"{stem}.plan.json", "report": out / f"{stem}.report.json"}
        paths["blob"].write_bytes(self.blob)
        paths["plan"].write_text(json.dumps(self.plan_json, indent=1))
        paths["report"].write_text(json.dumps(self.report(), indent=1))
        return paths

    def report(self) -> dict[str, Any]:
        """Ops, partitions, buffers and (where the simulator ran) predicted latency."""
        ops = []
        for k, op in enumerate(self.model.ops):
            core_op = self.mapping.core_op[k]
            entry = (
                next((o for o in self.plan_json["ops"] if o["op"] == core_op), None) if core_op is not None else None
            )
            ops.append(
                {
                    "name": op.name,
                    "kind": op.kind.value,
                    "output": list(self.model.tensors[op.output].shape),
                    "strategy": entry["strategy"] if entry else "alias",
                    "partitioning": entry["partitioning"] if entry else "none",
                    "parts": len(entry["parts"]) if entry else 1,
                }
            )
        return {
            "model": self.model.name,
            "board": self.plan_json["board"],
            "strategy": self.plan_json["strategy"],
            "ops": ops,
            "op_counts": self.model.op_counts(),
            "buffers": [
                {"name": b["name"], "kind": b["kind"], **(b["region"] or {})} for b in self.plan_json["buffers"]
            ],
            "blob_bytes": len(self.blob),
            "weights_bytes": self.layout.data_bytes + self.layout.flash_bytes,
            "flash_image_bytes": self.layout.flash_bytes,
            "external_arena_bytes": self.layout.external_arena_bytes,
            "internal_arena_bytes": self.layout.internal_arena_bytes,
            "predicted_ms": self.predicted_ms,
            "notes": list(self.layout.notes),
        }


class PlanDoesNotFit(RuntimeError):
    """The strategy's plan does not fit the board; the message carries the planner's numbers."""


class UnsupportedOp(ValueError):
    """The model holds ops the model blob cannot carry yet; the message names each of them."""


# The op kinds the model blob (BLOB_FORMAT.md) and the firmware executor run.
BLOB_OP_KINDS = (
    OpKind.CONV2D,
    OpKind.DEPTHWISE_CONV2D,
    OpKind.ADD,
    OpKind.AVERAGE_POOL2D,
    OpKind.FULLY_CONNECTED,
    OpKind.PAD,
    OpKind.RESHAPE,
    OpKind.MUL,
    OpKind.MEAN,
    OpKind.LOGISTIC,
    OpKind.SOFTMAX,
    OpKind.HARD_SWISH,
    OpKind.MAX_POOL2D,
    OpKind.CONCATENATION,
)


def check_blob_op_kinds(model: QuantizedModel) -> None:
    """UnsupportedOp naming every op of ``model`` the blob cannot hold (kind, name and index), at once."""
    constant = {i for i, t in enumerate(model.tensors) if t.data is not None}

    def why(op: QuantizedOp) -> str | None:
        if op.kind not in BLOB_OP_KINDS:
            return op.kind.value
        if constant & set(op.inputs):
            return f"{op.kind.value} with a constant operand"
        if len(op.inputs) > MAX_INPUTS:
            return f"{op.kind.value} of {len(op.inputs)} inputs (at most {MAX_INPUTS})"
        return None

    missing = [f"{why(op)} (ops[{k}] {op.name})" for k, op in enumerate(model.ops) if why(op)]
    if missing:
        raise UnsupportedOp(
            f"{model.source}: the model blob cannot hold {len(missing)} op(s) yet: "
            f"{'; '.join(missing)} (it holds {', '.join(k.value for k in BLOB_OP_KINDS)})"
        )


def compile_model(model: QuantizedModel | str | Path, board: str | Path | Any, strategy: str) -> CompiledModel:
    """Plan ``model`` on ``board`` with ``strategy`` and build its blob (PlanDoesNotFit if it cannot)."""
    from tinyops import _core
    from tinyops.latency_model import load_board

    if not isinstance(model, QuantizedModel):
        model = load_any(model)
    check_blob_op_kinds(model)
    mapping = to_network(model)
    board_obj = load_board(board)
    plan = _core.plan(mapping.network, board_obj, strategy)
    if not plan.fits:
        raise PlanDoesNotFit(f"{model.name}: strategy {strategy} does not fit on {plan.board}: {plan.why}")
    plan_json = json.loads(plan.to_json())
    # The plan as scored: its latency, and the DMA stream the simulator gave each transfer.
    sim = _core.simulate(mapping.network, plan, board_obj, True)
    predicted_ms = float(sim.latency_ms)
    flash = [m.name for m in board_obj.memories if m.kind == "flash"]
    blob, layout = write_blob(model, mapping, plan_json, transfer_streams(sim.timeline), predicted_ms, flash)
    return CompiledModel(model, mapping, plan, plan_json, blob, layout, predicted_ms, board_obj)
