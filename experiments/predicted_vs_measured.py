#!/usr/bin/env python3
"""Experiment 4: predicted vs measured per strategy, on QEMU (mps2-an500 Cortex-M7, mps2-an505 Cortex-M33).

The same int8 models compiled for each QEMU board (full mode: both fitted catalog boards; quick mode: the an500)
under every strategy (one plan feeds the blob and the
prediction: `tinyops.hil`'s pipeline as it is), run on the firmware runner under QEMU (`-icount shift=0`,
instructions per op), and set beside the simulator's per-op prediction from the board file. Models: the
TinyOps paper's released ProxylessNAS w0.30 r64 int8 model (../shared, when present) and members of
experiment 1's families built at MCU size, quantized by the search's int8 PTQ (`tinyops.search.quantize`)
from untrained weights calibrated on seeded random images: latency does not depend on the weights' values.

    .venv/bin/python experiments/predicted_vs_measured.py [--quick] [--out experiments-out] [--board NAME ...]

Needs qemu-system-arm and each board's runner (`make -f firmware/Makefile.inc firmware-build`, or
build/fw-qemu-mps2-an500 and build/fw-qemu-mps2-an505 alone). Measurements go to the store's tinyops_hil_* tables (resumable); tables:
per_strategy (whole model), per_op.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _archs  # noqa: E402
import _common  # noqa: E402

EXPERIMENT = "predicted_vs_measured"
BOARDS = ("qemu-mps2-an500", "qemu-mps2-an505")
QUICK_BOARDS = BOARDS[:1]
SHARED_MODEL = _common.REPO.parent / "shared" / "models" / "tflite" / "proxyless-w0.30-r064_int8.tflite"
QUICK_MODELS = (("mbv2", 0.35, 64),)
FULL_MODELS = tuple((family, 0.35, 96) for family in _archs.FAMILIES)


def missing_inputs(boards: Sequence[str] = QUICK_BOARDS) -> str:
    """Why this experiment cannot run here on `boards` ("" when it can)."""
    if shutil.which("qemu-system-arm") is None:
        return "qemu-system-arm not installed (scripts/setup.sh installs it)"
    from tinyops.hil import _pipeline

    for board in boards:
        try:
            _pipeline.runner_firmware(_pipeline.load_board(board).name)
        except FileNotFoundError as exc:
            return str(exc)
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch not installed (the generated models are quantized by tinyops.search)"
    return ""


def generated_model(family: str, width_mult: float, resolution: int, seed: int = 0) -> Any:
    """An int8 model of a family member: PyTorch build, BN folded, per-channel PTQ on seeded random images."""
    import torch

    from tinyops.search import build_model, quantize
    from tinyops.search._data import ImageSplit
    from tinyops.search._handoff import to_quantized_model

    arch = _archs.FAMILIES[family](width_mult, resolution)
    torch.manual_seed(seed)
    model = build_model(arch).eval()
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (64, 3, resolution, resolution), dtype=torch.uint8, generator=g)
    calibration = ImageSplit(images, torch.zeros(64, dtype=torch.int64))
    qnet = quantize(model, arch, calibration, num_batches=2, batch_size=32, seed=seed)
    return to_quantized_model(qnet, name=f"{family}-w{width_mult:.2f}-r{resolution}")


def models(quick: bool) -> list[tuple[str, Any]]:
    from tinyops.compiler import import_tflite

    out: list[tuple[str, Any]] = []
    if SHARED_MODEL.is_file():
        out.append((SHARED_MODEL.stem, import_tflite(SHARED_MODEL)))
    for family, w, r in QUICK_MODELS if quick else FULL_MODELS:
        model = generated_model(family, w, r)
        out.append((model.name, model))
    return out


def measure_all(out: Path, quick: bool, repetitions: int, board_name: str) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    from tinyops.compiler import PlanDoesNotFit
    from tinyops.hil import QemuTarget, _pipeline
    from tinyops.hil._measure import measure
    from tinyops.latency_model import strategies
    from tinyops.store import open_store

    board = _pipeline.load_board(board_name)  # a catalog name or a calibrated YAML (`tinyops calibrate`)
    firmware = _pipeline.runner_firmware(board.name)
    store = open_store(_common.store_url(out))
    totals, per_op = [], []
    for name, model in models(quick):
        for strategy in strategies():
            try:
                compiled = _pipeline.compile_model(model, board, strategy)
            except PlanDoesNotFit as exc:
                totals.append({"model": name, "strategy": strategy, "fits": False, "why": str(exc)})
                continue
            job = _pipeline.measurement_job(compiled, firmware, model_name=name)
            with QemuTarget(port=board.name, timeout_s=600) as target:
                summary = measure(store, target, job, repetitions)
            measured = sum(summary.per_op_median)
            predicted = sum(p or 0.0 for p in compiled.predicted)
            totals.append(
                {
                    "model": name,
                    "strategy": strategy,
                    "fits": True,
                    "why": "",
                    "unit": summary.unit,
                    "measured": measured,
                    "predicted": predicted,
                    "error_pct": 100 * (predicted - measured) / measured,
                    "hil_run_id": summary.run_id,
                }
            )
            for op, kind, m, p in zip(job.op_names, job.kernel_kinds, summary.per_op_median, compiled.predicted):
                if p is not None and m > 0:
                    per_op.append(
                        {
                            "model": name,
                            "strategy": strategy,
                            "op": op,
                            "kernel": kind,
                            "measured": m,
                            "predicted": p,
                            "error_pct": 100 * (p - m) / m,
                        }
                    )
            print(
                f"  {name} {strategy}: measured {measured:,} {summary.unit}, predicted {predicted:,.0f} "
                f"({totals[-1]['error_pct']:+.1f} %)",
                flush=True,
            )
    store.engine.dispose()
    return pd.DataFrame(totals), pd.DataFrame(per_op), board


def run(quick: bool, out: Path, board_names: Sequence[str] | None = None) -> dict[str, Any]:
    boards = tuple(board_names or (QUICK_BOARDS if quick else BOARDS))
    missing = missing_inputs(boards)
    if missing:
        raise SystemExit(f"{EXPERIMENT}: cannot run here: {missing}")
    run_ = _common.Run(EXPERIMENT, quick, out)
    out.mkdir(parents=True, exist_ok=True)
    all_totals, all_ops = [], []
    for board_name in boards:
        totals, per_op, board = measure_all(out, quick, 1 if quick else 3, board_name)
        # Board name and label on every row: a figure or table drawn from any subset still names its board.
        for frame in (totals, per_op):
            frame.insert(0, "board", board.name)
            frame["board_label"] = _common.board_label(board)
        all_totals.append(totals)
        all_ops.append(per_op)
    totals, per_op = pd.concat(all_totals, ignore_index=True), pd.concat(all_ops, ignore_index=True)
    run_.table("per_strategy", totals)
    run_.table("per_op", per_op)
    summary: dict[str, Any] = {"models": int(totals["model"].nunique()), "boards": len(boards)}
    fit = totals[totals["fits"]]
    for (board_name, strategy), g in fit.groupby(["board", "strategy"]):
        key = f"{board_name}:{strategy}"
        summary[f"{key}:max_abs_error_pct"] = float(g["error_pct"].abs().max())
        ops = per_op[(per_op["board"] == board_name) & (per_op["strategy"] == strategy)]
        summary[f"{key}:ops_within_10pct"] = float((ops["error_pct"].abs() <= 10).mean()) if len(ops) else 0.0
    run_.finish(summary)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    def board_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--board",
            nargs="+",
            default=None,
            help="catalog names or board YAMLs whose predictions to compare (e.g. a fitted version written by "
            f"`tinyops calibrate`); a board's name is its port (default: {', '.join(BOARDS)}; --quick: "
            f"{', '.join(QUICK_BOARDS)})",
        )

    args = _common.parse_args(__doc__.splitlines()[0], argv, extra=board_option)
    for key, value in run(args.quick, args.out, args.board).items():
        print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
