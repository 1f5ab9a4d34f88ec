"""The pyOCD target: with no probe attached (CI), discovery and remote probes end in one clear error within
the timeout; through the `qemugdb` probe plugin, the whole board path runs against QEMU."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tinyops.hil import FirmwareFault, FirmwareImage, QemuProcess, QemuTarget, TargetError, TargetTimeout
from tinyops.hil._pyocd import DEMCR, DEMCR_TRCENA, PACK_TARGETS, PYOCD_TARGETS, PyocdTarget, pack_installed
from tinyops.hil._qemu_plugin import TARGET_NAME


def test_no_probe_is_a_clear_error_quickly() -> None:
    from pyocd.core.helpers import ConnectHelper

    if ConnectHelper.get_all_connected_probes(blocking=False):
        pytest.skip("a debug probe is attached to this machine")
    started = time.monotonic()
    with pytest.raises(TargetError, match="no debug probe connected"):
        PyocdTarget(PYOCD_TARGETS["stm32h743-nucleo"])  # builtin to pyOCD
    assert time.monotonic() - started < 30


def test_pack_target_without_its_pack_says_what_to_install() -> None:
    if pack_installed("stm32f746ng"):
        pytest.skip("the STM32F7 pack is installed here")
    with pytest.raises(TargetError, match="pyocd pack install stm32f746ng"):
        PyocdTarget(PYOCD_TARGETS["stm32f746g-disco"])


def test_remote_probe_that_is_not_there_is_a_clear_error() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on: a `pyocd server` that went away
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(TargetError, match="pyocd: .*(refused|Connection)"):
        PyocdTarget("cortex_m", probe_id=f"remote:127.0.0.1:{port}")
    assert time.monotonic() - started < 30


def test_every_board_target_is_builtin_or_a_documented_pack() -> None:
    from pyocd.target import TARGET

    for board, name in PYOCD_TARGETS.items():
        assert (name in TARGET) != (name in PACK_TARGETS), f"{board}: {name} must be builtin xor a pack target"


def test_pyocd_finds_the_qemu_probe_through_its_entry_point() -> None:
    # A fresh interpreter that imports only pyOCD: the probe and its target type come from the `pyocd.probe`
    # entry point (pyproject.toml), not from any import of ours patching pyOCD's tables.
    import subprocess
    import sys
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pyocd.probe") if e.name == "qemugdb"]
    assert entry.value == "tinyops.hil._qemu_plugin:qemugdb_plugin"
    script = (
        "import sys\n"
        "assert not any(m.startswith('tinyops') for m in sys.modules)\n"
        "from pyocd.probe.aggregator import PROBE_CLASSES\n"
        "from pyocd.target import TARGET\n"
        "from pyocd.core.helpers import ConnectHelper\n"
        "probe = PROBE_CLASSES['qemugdb']\n"
        f"print(probe.__module__, probe.__name__, TARGET['{TARGET_NAME}'].__name__)\n"
        "found = ConnectHelper.get_all_connected_probes(blocking=False, unique_id='qemugdb:127.0.0.1:1')\n"
        "print(type(found[0]).__name__, found[0].unique_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["tinyops.hil._qemu_probe", "QemuGdbProbe", "Mps2An500", "QemuGdbProbe", "127.0.0.1:1"]


# Through QEMU: the `qemugdb` probe plugin puts QEMU's GDB stub behind pyOCD's DebugProbe API, so connect,
# discovery, FileProgrammer, reset, FPB breakpoints, DWT set-up and memory reads all run pyOCD's own code.


def _pyocd_on_qemu(machine: QemuProcess, timeout_s: float = 20) -> PyocdTarget:
    return PyocdTarget(TARGET_NAME, probe_id=f"qemugdb:127.0.0.1:{machine.gdb_port}", timeout_s=timeout_s)


def test_pyocd_run_on_qemu_matches_the_qemu_target(fixture_elf: Path) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuTarget(timeout_s=20) as direct:
        direct.flash(firmware)
        expected = direct.run()
    with QemuProcess() as machine, _pyocd_on_qemu(machine) as target:
        target.flash(firmware)  # FileProgrammer writes the ELF
        first = target.run()
        second = target.run()
        demcr = int.from_bytes(target._read_memory(DEMCR, 4), "little")
    for run in (first, second):  # the same counts as the direct QEMU target, to the timer's one-tick phase
        assert len(run.ops) == len(expected.ops) and run.unit == expected.unit
        assert all(abs(a.cycles - b.cycles) <= 1 for a, b in zip(run.ops, expected.ops))
    assert demcr & DEMCR_TRCENA  # the host enabled the DWT before running


def test_pyocd_programs_the_flash_image_of_an_internal_plan(r064_internal_blob: bytes) -> None:
    """The board path with a plan whose weights live in internal flash: the runner and its flash image go in
    through pyOCD (here QEMU's SSRAM1, RAM to pyOCD), the blob once the runner waits for the host."""
    from tinyops.compiler._blob import split_blob
    from tinyops.hil import _pipeline

    firmware = _pipeline.runner_firmware("qemu-mps2-an500")
    blob, flash = split_blob(r064_internal_blob)
    with QemuProcess() as machine, _pyocd_on_qemu(machine, timeout_s=120) as target:
        target.flash(firmware, r064_internal_blob)
        results = target.run()
        flash_slot, _ = firmware.symbol("__tinyops_flash_start")
        assert target._read_memory(flash_slot, 1024) == flash[:1024]
    assert results.status == 0 and len(results.ops) > 50


def test_pyocd_on_qemu_hang_fault_and_error_status(fixture_elf: Path, set_fixture_mode) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuProcess() as machine, _pyocd_on_qemu(machine) as target:
        target.flash(firmware)
        set_fixture_mode(target, firmware, "hang")
        started = time.monotonic()
        with pytest.raises(TargetTimeout, match=r"within 1.0 s \(2 ops recorded"):
            target.run(timeout_s=1.0)
        assert time.monotonic() - started < 10
        set_fixture_mode(target, firmware, "fault")
        with pytest.raises(FirmwareFault, match="faulted"):
            target.run()
        set_fixture_mode(target, firmware, "error_status")
        with pytest.raises(FirmwareFault, match="exited with code 1 .*status 24"):
            target.run()


def test_pyocd_probe_that_disappears_mid_run(fixture_elf: Path, set_fixture_mode) -> None:
    firmware = FirmwareImage(fixture_elf)
    with QemuProcess() as machine, _pyocd_on_qemu(machine) as target:
        target.flash(firmware)
        set_fixture_mode(target, firmware, "hang")
        machine.process.kill()
        started = time.monotonic()
        with pytest.raises(TargetError, match="pyocd: .*failed"):
            target.run(timeout_s=5)
        assert time.monotonic() - started < 15


def test_remote_probe_through_pyocd_server(fixture_elf: Path) -> None:
    # `pyocd server`'s own DebugProbeServer, serving the QEMU-backed probe on loopback; the target reaches it
    # with a remote:HOST:PORT id through the same ConnectHelper call a local probe takes.
    from pyocd.core.session import Session
    from pyocd.probe.aggregator import PROBE_CLASSES
    from pyocd.probe.tcp_probe_server import DebugProbeServer

    from tinyops.hil._qemu import _free_tcp_port

    QemuGdbProbe = PROBE_CLASSES["qemugdb"]  # noqa: N806  (the class pyOCD loaded through the entry point)

    firmware = FirmwareImage(fixture_elf)
    with QemuProcess() as machine:
        port = _free_tcp_port()
        server = DebugProbeServer(
            Session(None), QemuGdbProbe(f"127.0.0.1:{machine.gdb_port}"), port, serve_local_only=True
        )
        server.start()
        try:
            with PyocdTarget(TARGET_NAME, probe_id=f"remote:localhost:{port}", timeout_s=20) as target:
                target.flash(firmware)
                results = target.run()
        finally:
            server.stop()
    assert all(abs(op.cycles - 300 * (k + 1)) <= 1 for k, op in enumerate(results.ops))
