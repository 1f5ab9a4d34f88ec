"""The QEMU target against real QEMU: a run, its results by ELF symbol, and every failure path in time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tinyops.hil import FirmwareFault, FirmwareImage, QemuTarget, TargetError, TargetTimeout


def test_run_reads_per_op_counts_deterministically(fixture_elf: Path) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuTarget(timeout_s=20) as target:
        target.flash(firmware)
        first = target.run()
        second = target.run()
    assert first.status == 0 and first.unit == "ticks" and len(first.ops) == 5
    # op k runs a 2000*(k+1)-iteration loop of 6 instructions: 12000*(k+1) instructions = 300*(k+1) ticks
    # of 40 instructions under -icount shift=0, give or take the one tick an interval can straddle.
    assert all(abs(op.cycles - 300 * (k + 1)) <= 1 for k, op in enumerate(first.ops))
    # Deterministic under -icount up to the timer's phase: a later run starts at another point of a tick.
    assert all(abs(a.cycles - b.cycles) <= 1 for a, b in zip(first.ops, second.ops))


def test_hung_firmware_times_out_and_is_halted(fixture_elf: Path, set_fixture_mode) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuTarget(timeout_s=20) as target:
        target.flash(firmware)
        set_fixture_mode(target, firmware, "hang")
        started = time.monotonic()
        with pytest.raises(TargetTimeout, match=r"did not finish within 1.0 s \(2 ops recorded"):
            target.run(timeout_s=1.0)
        assert time.monotonic() - started < 5
        set_fixture_mode(target, firmware, "finish")  # the target is halted and usable again
        assert len(target.run().ops) == 5


def test_faulting_firmware_is_reported(fixture_elf: Path, set_fixture_mode) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuTarget(timeout_s=20) as target:
        target.flash(firmware)
        set_fixture_mode(target, firmware, "fault")
        with pytest.raises(FirmwareFault, match="faulted"):
            target.run()
        set_fixture_mode(target, firmware, "error_status")
        with pytest.raises(FirmwareFault, match="exited with code 1 .*status 24"):
            target.run()


def test_emulator_that_disappears_is_a_clear_error(fixture_elf: Path, set_fixture_mode) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuTarget(timeout_s=20) as target:
        target.flash(firmware)
        set_fixture_mode(target, firmware, "hang")
        target.machine.process.kill()  # the "probe" goes away mid-run
        started = time.monotonic()
        with pytest.raises(TargetError, match="connection|exited"):
            target.run(timeout_s=5)
        assert time.monotonic() - started < 5


def test_not_a_tinyops_firmware_is_rejected_before_programming(tmp_path: Path, fixture_elf: Path) -> None:
    bogus = tmp_path / "bogus.elf"
    bogus.write_bytes(b"\x7fELF not really")
    with pytest.raises(ValueError, match="bogus.elf: not a valid ELF"):
        FirmwareImage(bogus)
    with pytest.raises(FileNotFoundError, match="missing.elf"):
        FirmwareImage(tmp_path / "missing.elf")
    with pytest.raises(ValueError, match="symbol 'tinyops_model' not found"):
        FirmwareImage(fixture_elf).symbol("tinyops_model")


def test_blob_is_written_when_the_runner_waits_for_the_host(fixture_elf: Path) -> None:
    firmware = FirmwareImage(fixture_elf)
    blob = (0xB10B0001).to_bytes(4, "little") + (3).to_bytes(4, "little")
    with QemuTarget(timeout_s=20) as target:
        target.flash(firmware, blob=blob)
        address, _ = firmware.symbol("__tinyops_blob_start")
        assert target._read_memory(address, 8) != blob  # not yet: external memory may not be up before init
        results = target.run()
        assert target._read_memory(address, 8) == blob
        assert all(abs(op.cycles - 300 * (k + 1)) <= 1 for k, op in enumerate(results.ops))
        assert len(target.run().ops) == 3  # written once, kept across resets


def test_many_runs_with_console_output_do_not_stall_qemu(fixture_elf: Path) -> None:
    # 2 KB of semihosting output per run: 64 runs overflow any pipe QEMU's console could be left on.
    with QemuTarget(timeout_s=10) as target:
        target.flash(FirmwareImage(fixture_elf))
        for _ in range(64):
            assert len(target.run().ops) == 5
        assert target.machine.console_tail(64).endswith("x" * 63)
