"""model (.tflite or handoff .npz) + board + strategy -> the core's plan -> blob, and the plan report.

The plan comes from the C++ core (``tinyops._core.plan``), the one planner; this module only maps the IR
onto the core's Network, asks for the plan and serializes both into the blob.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyops.compiler._blob import BlobLayout, transfer_streams, write_blob
from tinyops.compiler._handoff import load_any
from tinyops.compiler._ir import QuantizedModel
from tinyops.compiler._network import NetworkMapping, to_network


@dataclass
class CompiledModel:
    model: QuantizedModel
    mapping: NetworkMapping
    plan: Any                 # tinyops._core.Plan
    plan_json: dict[str, Any]
    blob: bytes
    layout: BlobLayout
    predicted_ms: float | None = None

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``<name>.blob``, ``<name>.plan.json`` and ``<name>.report.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{self.model.name}.{self.plan_json['strategy']}"
        paths = {"blob": out / f"{stem}.blob", "plan": out / f"{stem}.plan.json",
                 "report": out / f"{stem}.report.json"}
        paths["blob"].write_bytes(self.blob)
        paths["plan"].write_text(json.dumps(self.plan_json, indent=1))
        paths["report"].write_text(json.dumps(self.report(), indent=1))
        return paths

    def report(self) -> dict[str, Any]:
        """Ops, partitions, buffers and (where the simulator ran) predicted latency."""
        ops = []
        for k, op in enumerate(self.model.ops):
            core_op = self.mapping.core_op[k]
            entry = next((o for o in self.plan_json["ops"] if o["op"] == core_op), None) if core_op is not None else None
            ops.append({"name": op.name, "kind": op.kind.value, "output": list(self.model.tensors[op.output].shape),
                        "strategy": entry["strategy"] if entry else "alias",
                        "partitioning": entry["partitioning"] if entry else "none",
                        "parts": len(entry["parts"]) if entry else 1})
        return {
            "model": self.model.name, "board": self.plan_json["board"], "strategy": self.plan_json["strategy"],
            "ops": ops, "op_counts": self.model.op_counts(),
            "buffers": [{"name": b["name"], "kind": b["kind"], **(b["region"] or {})} for b in self.plan_json["buffers"]],
            "blob_bytes": len(self.blob), "weights_bytes": self.layout.data_bytes,
            "external_arena_bytes": self.layout.external_arena_bytes,
            "internal_arena_bytes": self.layout.internal_arena_bytes,
            "predicted_ms": self.predicted_ms, "notes": list(self.layout.notes),
        }


def _board(board: str | Path | Any) -> Any:
    """A core Board: given, or loaded by catalog name (latency_model/boards) or YAML path."""
    if not isinstance(board, (str, Path)):
        return board
    from tinyops import _core, latency_model

    return _core.load_board(str(board), str(Path(latency_model.__file__).parent / "boards"))


class PlanDoesNotFit(RuntimeError):
    """The strategy's plan does not fit the board; the message carries the planner's numbers."""


def compile_model(model: QuantizedModel | str | Path, board: str | Path | Any, strategy: str) -> CompiledModel:
    """Plan ``model`` on ``board`` with ``strategy`` and build its blob (PlanDoesNotFit if it cannot)."""
    from tinyops import _core

    if not isinstance(model, QuantizedModel):
        model = load_any(model)
    mapping = to_network(model)
    board_obj = _board(board)
    plan = _core.plan(mapping.network, board_obj, strategy)
    if not plan.fits:
        raise PlanDoesNotFit(f"{model.name}: strategy {strategy} does not fit on {plan.board}: {plan.why}")
    plan_json = json.loads(plan.to_json())
    # The plan as scored: its latency, and the DMA stream the simulator gave each transfer.
    sim = _core.simulate(mapping.network, plan, board_obj, True)
    predicted_ms = float(sim.latency_ms)
    blob, layout = write_blob(model, mapping, plan_json, transfer_streams(sim.timeline), predicted_ms)
    return CompiledModel(model, mapping, plan, plan_json, blob, layout, predicted_ms)
