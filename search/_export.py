"""Full training, int8 quantization and export of one trial: arch JSON, PyTorch checkpoint, int8 model.

Files are written into a temporary directory beside the destination and moved into place only when all of
them exist, so an interrupted export leaves nothing half-written; each file is then recorded in the store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from tinyops.search._records import load_trials, record_accuracy, record_export
from tinyops.search._train import TrainConfig
from tinyops.store import Store


@dataclass
class ExportResult:
    trial_number: int
    full_accuracy: float
    int8_accuracy: float
    int8_method: str
    files: dict[str, Path]
    training_s: float


def _find_row(store: Store, study_name: str, trial_number: int):  # type: ignore[no-untyped-def]
    rows = [r for r in load_trials(store, study_name) if r.trial_number == trial_number]
    if not rows:
        known = sorted(r.trial_number for r in load_trials(store, study_name))
        raise KeyError(
            f"trial {trial_number}: not in study '{study_name}' (recorded trials: "
            f"{', '.join(map(str, known[:20])) or 'none'}{' ...' if len(known) > 20 else ''})"
        )
    return rows[0]


def _images_note(evaluated: Any, split: Any, seed: int) -> str:
    if len(evaluated) == len(split):
        return f"all {len(split)} val images"
    return f"fixed subset: {len(evaluated)} of {len(split)} val images (seed {seed})"


def _flashed_accuracy(
    quantized,
    board: str,
    strategy: str,
    val: Any,
    resolution: int,  # type: ignore[no-untyped-def]
    channels: int,
    tmp: Path,
    files: dict[str, Path],
) -> tuple[float, str]:
    """Compile `quantized` for the trial's board and strategy, write the blob (what would be flashed) with its
    plan and report into `tmp`, and measure its int8 accuracy with the host runtime on `val`.

    A model whose plan does not fit that strategy has no blob; its int8 accuracy then comes from the
    compiler's numpy reference evaluator (same integer arithmetic), and the method says why.
    """
    from tinyops.compiler import PlanDoesNotFit, UnsupportedOp
    from tinyops.compiler._compile import BLOB_OP_KINDS
    from tinyops.search._handoff import (
        HOST_RUNTIME_METHOD,
        compile_for,
        int8_accuracy,
        int8_logits,
        reference_runner,
        top1,
    )

    try:
        compiled = compile_for(quantized, board, strategy)
    except PlanDoesNotFit:
        accuracy = top1(*int8_logits(reference_runner(quantized), quantized, val, resolution, channels))
        return accuracy, f"compiler numpy reference (no {strategy} blob: the plan does not fit {board})"
    except UnsupportedOp:  # an op the blob cannot hold yet (concatenation)
        accuracy = top1(*int8_logits(reference_runner(quantized), quantized, val, resolution, channels))
        kinds = sorted({op.kind.value for op in quantized.ops} - {k.value for k in BLOB_OP_KINDS})
        return accuracy, f"compiler numpy reference (no blob yet for {', '.join(kinds)})"
    files.update(compiled.write(tmp))
    accuracy = int8_accuracy(compiled.blob, quantized, val, resolution, channels)
    return accuracy, HOST_RUNTIME_METHOD.format(strategy=strategy, board=board)


def export_trial(
    study: optuna.Study,
    store: Store,
    trial_number: int,
    out_dir: str | Path,
    *,
    data: Any,
    full: TrainConfig,
    calibration_batches: int = 8,
    device: str = "cpu",
) -> ExportResult:
    """Train the trial's architecture at full fidelity, quantize it to int8 and write its three files."""
    import torch

    from tinyops.search._handoff import HandoffUnsupported, save_handoff, to_quantized_model
    from tinyops.search._quantize import INT8_METHOD, quantize
    from tinyops.search._torch_model import build_model
    from tinyops.search._train import train

    row = _find_row(store, study.study_name, trial_number)
    arch = row.arch
    if arch["classifier"]["out_features"] != data.num_classes:
        raise ValueError(
            f"trial {trial_number}: has {arch['classifier']['out_features']} classes, the data set "
            f"'{data.name}' has {data.num_classes} (export with the data set the study searched on)"
        )
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    resolution = arch["resolution"]
    t0 = time.perf_counter()
    model = build_model(arch)
    full_accuracy = train(model, data.train, data.val, resolution, full, device=device)
    training_s = time.perf_counter() - t0
    qnet = quantize(model.cpu(), arch, data.train, num_batches=calibration_batches, seed=full.seed)
    val = data.val.subset(full.val_images, full.seed + 1)
    stem = f"trial-{trial_number}"
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-") as tmp_name:
        tmp = Path(tmp_name)
        files = {"arch": tmp / f"{stem}.arch.json", "checkpoint": tmp / f"{stem}.pt"}
        files["arch"].write_text(json.dumps(arch, indent=1))
        torch.save({"arch": arch, "state_dict": model.state_dict(), "accuracy": full_accuracy}, files["checkpoint"])
        try:
            quantized = to_quantized_model(qnet, f"{study.study_name}-{stem}")
        except HandoffUnsupported as exc:
            files["int8"] = qnet.save(tmp / f"{stem}.int8-simulated.npz")
            int8_acc = qnet.evaluate(val)
            method = f"{INT8_METHOD} (no compiler handoff: {str(exc).split(': ', 1)[-1].split(' (')[0]})"
        else:
            files["int8"] = save_handoff(quantized, tmp / f"{stem}.int8.npz")
            int8_acc, method = _flashed_accuracy(
                quantized, row.board, row.design_space, val, resolution, model.in_channels, tmp, files
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        for part in sorted(tmp.iterdir()):
            shutil.move(str(part), out_dir / part.name)
        placed = {kind: out_dir / path.name for kind, path in files.items()}
    record_accuracy(
        store, row.optuna_trial_id, "full", full_accuracy, steps=full.steps, method="top-1, float", dataset=data.name
    )
    method += f"; {_images_note(val, data.val, full.seed + 1)}"
    record_accuracy(store, row.optuna_trial_id, "int8", int8_acc, steps=full.steps, method=method, dataset=data.name)
    for kind, path in placed.items():
        record_export(store, row.optuna_trial_id, kind, str(path.resolve()))
    return ExportResult(trial_number, full_accuracy, int8_acc, method, placed, training_s)
