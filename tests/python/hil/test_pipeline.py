"""hil measures through the toolkit's one compile pipeline (tinyops.compiler), one board loader
(tinyops.latency_model.load_board) and one runner finder / port table (tinyops.compiler._ports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyops import _core, compiler
from tinyops.compiler import _ports
from tinyops.hil import FirmwareImage, _pipeline
from tinyops.latency_model import load_board

R064 = Path("models/tflite/proxyless-w0.30-r064_int8.tflite")


@pytest.fixture(scope="module")
def r064_model():  # type: ignore[no-untyped-def]
    repo = Path(__file__).resolve().parents[3]
    for shared in (repo.parent / "shared", repo.parent.parent / "shared"):  # beside the clone or a worktree
        if (shared / R064).is_file():
            return compiler.import_tflite(shared / R064)
    pytest.skip(f"shared model absent: ../shared/{R064}")


def test_one_board_loader_and_one_compile_pipeline() -> None:
    board = load_board("qemu-mps2-an500")
    assert load_board(board) is board  # a Board passes through
    with pytest.raises(ValueError, match="no-such-board"):
        load_board("no-such-board")
    assert _pipeline.load_board is load_board
    assert _pipeline.compile_model is compiler.compile_model and _pipeline.CompiledModel is compiler.CompiledModel


def test_the_measurement_job_carries_the_compiled_plans_per_op_prediction(fixture_elf: Path, r064_model) -> None:  # type: ignore[no-untyped-def]
    compiled = compiler.compile_model(r064_model, "qemu-mps2-an500", "tinyops")
    job = _pipeline.measurement_job(compiled, FirmwareImage(fixture_elf))
    assert (job.board, job.strategy, job.model) == ("qemu-mps2-an500", "tinyops", r064_model.name)
    assert job.blob == compiled.blob and job.plan_json.startswith("{")
    assert job.op_names == [op.name for op in r064_model.ops]
    assert set(job.kernel_kinds) - {"reshape"} <= set(_core.kernel_kinds())
    for kind, features, predicted in zip(job.kernel_kinds, job.op_features, job.predicted):
        assert (predicted is None) == (kind == "reshape") and (not features) == (kind == "reshape")
        assert predicted is None or predicted > 0
    # The per-op spans are the simulated plan's: together they cannot exceed its total.
    total_cycles = compiled.predicted_ms * 1e-3 * compiled.board.clock_hz
    assert 0.9 * total_cycles < sum(p or 0 for p in job.predicted) <= total_cycles * (1 + 1e-9)


def test_an_elf_without_slot_symbols_is_named(fixture_elf: Path) -> None:
    with pytest.raises(ValueError, match=r"symbol '__tinyops_blob_end' not found"):
        _ports.runner_slots(fixture_elf)
