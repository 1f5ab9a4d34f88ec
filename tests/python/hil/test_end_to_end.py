"""The whole path on QEMU mps2-an500: model -> plan -> blob -> runner -> per-op instruction counts in the store
-> calibration of the QEMU board from the micro-benchmark set, judged on held-out ops."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tinyops.hil import QemuTarget
from tinyops.hil._measure import measure
from tinyops.hil._store import HilMeasurement, HilOpMeasurement

BOARD = "qemu-mps2-an500"


@pytest.fixture(scope="module")
def pipeline():  # type: ignore[no-untyped-def]
    """The board, the port's runner and the compile step; skips, saying which part is missing."""
    from tinyops import _core
    from tinyops.hil import _pipeline

    if not hasattr(_core, "plan") or not hasattr(_core, "load_board"):
        pytest.skip("the core's planner and board bindings are not built into tinyops._core")
    try:
        firmware = _pipeline.runner_firmware(BOARD)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return _pipeline, _pipeline.load_board(BOARD), firmware


def test_r064_is_measured_per_op_through_the_qemu_target(tmp_path: Path, pipeline, r064_path: Path) -> None:
    from tinyops import _core
    from tinyops.compiler import import_tflite
    from tinyops.store import open_store

    steps, board, firmware = pipeline
    strategy = "tinyops" if "tinyops" in _core.strategies() else "external"
    compiled = steps.compile_model(import_tflite(r064_path), board, strategy)
    job = steps.measurement_job(compiled, firmware, model_name=r064_path.name)
    store = open_store(f"sqlite:///{tmp_path / 'hil.db'}")
    with QemuTarget(timeout_s=300) as target:
        summary = measure(store, target, job, repetitions=2)
    assert summary.unit == "instructions" and summary.repetitions == 2
    assert len(summary.per_op_median) == len(job.op_names) and all(m > 0 for m in summary.per_op_median)
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(HilOpMeasurement)) == 2 * len(job.op_names)
        assert all(m.ok for m in session.scalars(sa.select(HilMeasurement)))
    total = sum(summary.per_op_median)
    predicted = sum(p or 0 for p in compiled.predicted)
    print(f"\nr064 on QEMU: {total:,} instructions measured, {predicted:,.0f} predicted (board v{board.version})")


def test_internal_runs_with_its_weights_programmed_into_the_flash_slot(pipeline, r064_path: Path) -> None:
    """`internal` as MCUNet / TFLM deploy it: the target programs the blob's flash image into the runner's flash
    slot with the firmware, the blob (no weights) goes to the external slot, and the runner's loader accepts both."""
    from tinyops.compiler import import_tflite
    from tinyops.compiler._blob import split_blob

    steps, board, firmware = pipeline
    compiled = steps.compile_model(import_tflite(r064_path), board, "internal")
    blob, flash = split_blob(compiled.blob)
    assert len(flash) == compiled.layout.flash_bytes > 100_000 and len(blob) < 64_000
    with QemuTarget(timeout_s=300) as target:
        target.flash(firmware, compiled.blob)
        results = target.run()
        flash_slot, _ = firmware.symbol("__tinyops_flash_start")
        blob_slot, _ = firmware.symbol("__tinyops_blob_start")
        assert target._read_memory(flash_slot, 4096) == flash[:4096]
        assert target._read_memory(blob_slot, len(blob)) == blob
    assert results.status == 0 and len(results.ops) == len(compiled.model.ops)


def test_qemu_board_calibration_from_the_micro_benchmarks(tmp_path: Path, pipeline) -> None:
    from tinyops.hil._calibrate import calibrate_board
    from tinyops.hil._microbench import calibration_set, measure_calibration_set
    from tinyops.store import open_store

    steps, board, firmware = pipeline
    store = open_store(f"sqlite:///{tmp_path / 'hil.db'}")
    # Every other case of the calibration set (the benchmark measures all of it): about a minute of QEMU.
    with QemuTarget(timeout_s=60) as target:
        run = measure_calibration_set(store, target, board, calibration_set(every=2))
    report = calibrate_board(store, BOARD, "qemu", tmp_path / "qemu-v2.yaml")
    fit = report.fit
    print(
        f"\nQEMU calibration: {run.measured} networks measured; {fit.train_ops} training ops "
        f"({fit.train_cases} cases), {fit.test_ops} held out ({fit.test_cases} cases): MAPE {fit.mape:.2f} %, "
        f"{fit.within_10pct:.1f} % within ±10 %"
    )
    for r in fit.per_kind:
        print(
            f"  {r.kernel_kind:28s} train {r.train_ops:4d} test {r.test_ops:4d} MAPE {r.mape:6.2f} % "
            f"within ±10 % {r.within_10pct:5.1f} %"
        )
    assert report.to_version == board.version + 1 and report.path.is_file()
    assert "source: fit" in report.path.read_text()
    assert fit.test_ops >= 50 and fit.test_cases >= 10
    # The bar, on held-out cases: costed per firmware kernel, with the board's own kinds.
    assert fit.within_10pct >= 90.0


def test_cli_run_microbench_and_calibrate(tmp_path: Path, pipeline) -> None:
    from typer.testing import CliRunner

    from tinyops import _core
    from tinyops.cli import app
    from tinyops.compiler import save_model
    from tinyops.hil._microbench import calibration_set

    store = f"sqlite:///{tmp_path / 'hil.db'}"
    block = next(b for b in calibration_set(strategies=("external",)) if b.name.startswith("mbconv"))
    model = save_model(block.model, tmp_path / "block.npz")
    runner = CliRunner()
    strategy = "tinyops" if "tinyops" in _core.strategies() else "external"
    run = runner.invoke(
        app,
        [
            "hil",
            "run",
            str(model),
            "--strategy",
            strategy,
            "--repeat",
            "2",
            "--store",
            store,
            "--plot",
            str(tmp_path / "bars.png"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "total: measured" in run.output and "instructions" in run.output and (tmp_path / "bars.png").is_file()
    bench = runner.invoke(app, ["hil", "microbench", "--every", "12", "--no-partition-sweep", "--store", store])
    assert bench.exit_code == 0, bench.output
    out = tmp_path / "qemu-v2.yaml"
    cal = runner.invoke(app, ["calibrate", "--store", store, "--out", str(out), "--plot", str(tmp_path / "s.png")])
    assert cal.exit_code == 0, cal.output
    assert "held-out" in cal.output and out.is_file() and (tmp_path / "s.png").is_file()
    missing = runner.invoke(app, ["calibrate", "--store", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert missing.exit_code == 2 and "no measurements" in missing.output
