"""The pyOCD target up to the probe boundary: pyOCD's own probe discovery and remote-probe connection run for
real; with no probe attached (CI) each ends in one clear TargetError within its timeout."""

from __future__ import annotations

import socket
import time

import pytest

from tinyops.hil import TargetError
from tinyops.hil._pyocd import PACK_TARGETS, PYOCD_TARGETS, PyocdTarget, pack_installed


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
