"""The released ImageNet model on the firmware runner under QEMU (mps2-an500: blob and arena in PSRAM,
overlays in SSRAM), bit-exact with TFLite Micro for all 1000 logits."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from compiler_fixtures import one_part_plan

import tinyops.compiler._qemu as _qemu_module
from tinyops.compiler import _interpreters
from tinyops.compiler._blob import write_blob
from tinyops.compiler._qemu import blob_run_command, parse_console, qemu_command, run_blob_in_qemu, runner_elf

_needs_runner = [
    pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm is not installed"),
    pytest.mark.skipif(
        not (_qemu_module.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file(),
        reason="the firmware runtime is not in this tree",
    ),
]


def needs_runner(test):
    for mark in _needs_runner:
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def elf() -> Path:
    return runner_elf("qemu-mps2-an500")


@needs_runner
@pytest.mark.parametrize("port", ["qemu-mps2-an500", "qemu-mps2-an505"])
def test_r064_under_qemu_bit_exact_with_tflite_micro(port: str, r064_path: Path, r064_model, r064_inputs) -> None:
    blob, _ = write_blob(r064_model, *one_part_plan(r064_model))
    expected = _interpreters.tflite_micro(r064_path)(r064_inputs[:2])
    elf = runner_elf(port)
    for image, logits in zip(r064_inputs[:2], expected):
        run = run_blob_in_qemu(blob, image, port=port, elf=elf)
        np.testing.assert_array_equal(run.output, logits)
        assert len(run.ops) == len(r064_model.ops) and run.total > 0


@needs_runner
def test_corrupted_blob_under_qemu_names_the_reason(elf: Path, r064_model, r064_inputs) -> None:
    blob = bytearray(write_blob(r064_model, *one_part_plan(r064_model))[0])
    blob[-1] ^= 0xFF
    with pytest.raises(RuntimeError, match=r"exited with 1 \(blob rejected\)[\s\S]*crc_mismatch"):
        run_blob_in_qemu(bytes(blob), r064_inputs[0], elf=elf)


def test_one_command_line_for_every_qemu_run(tmp_path: Path) -> None:
    command = qemu_command("qemu-mps2-an505", plugin="libinsn_count.so,outfile=x", extra=["-S"])
    assert command[:3] == ["qemu-system-arm", "-M", "mps2-an505"]
    assert command[command.index("-icount") + 1] == "shift=0"
    assert command[-3:] == ["-plugin", "libinsn_count.so,outfile=x", "-S"]  # no plugin log unless asked
    with pytest.raises(ValueError, match="QEMU port"):
        qemu_command("stm32f746g-disco")


@needs_runner
def test_blob_run_command_loads_both_slots_and_refuses_what_does_not_fit(elf: Path, tmp_path: Path) -> None:
    image = np.zeros((4, 4, 3), dtype=np.int8)
    command = blob_run_command(b"blob", image, "qemu-mps2-an500", elf, tmp_path)
    loads = [command[i + 1] for i, arg in enumerate(command) if arg == "-device"]
    assert [load.split(",")[1].split("=")[1] for load in loads] == [
        str(tmp_path / "model.blob"),
        str(tmp_path / "input.bin"),
    ]
    assert (tmp_path / "model.blob").read_bytes() == b"blob" and command[command.index("-kernel") + 1] == str(elf)
    with pytest.raises(ValueError, match="exceeds the qemu-mps2-an500 blob slot"):
        blob_run_command(bytes(64 << 20), image, "qemu-mps2-an500", elf, tmp_path)


def test_console_parser() -> None:
    console = (
        "runner: ops 2, total 1234 ticks\nop 0 1000 0 1 0\nop 1 234 5 3 96\noutput_bytes 3\n"
        "output 1 -2 127\nrunner: done\n"
    )
    output, ops, total, unit = parse_console(console)
    assert output.tolist() == [1, -2, 127] and (total, unit) == (1234, "ticks")
    assert ops[1] == {"time": 234, "dma_wait": 5, "parts": 3, "dma_bytes": 96}
    with pytest.raises(RuntimeError, match="no summary line"):
        parse_console("garbage")


@needs_runner
def test_cli_run_qemu_prints_output_and_per_op_counts(elf: Path, r064_model, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tinyops.cli import app

    blob_path = tmp_path / "r064.blob"
    blob_path.write_bytes(write_blob(r064_model, *one_part_plan(r064_model))[0])
    image = np.random.default_rng(11).integers(-128, 128, size=(64, 64, 3), dtype=np.int8)
    np.save(tmp_path / "image.npy", image)
    result = CliRunner().invoke(
        app, ["run-qemu", str(blob_path), "--input", str(tmp_path / "image.npy"), "--elf", str(elf)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "77 ops, total" in text and "top-5 classes:" in text
    from tinyops.compiler import evaluate

    expected = " ".join(map(str, evaluate(r064_model, image).reshape(-1).tolist()))
    assert f"output (1000 int8): {expected}" in text
