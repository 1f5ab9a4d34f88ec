"""The C++ core's logging from the command line: TINYOPS_LOG and --log-level, on stderr only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _tinyops(*args: str, log: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TINYOPS_LOG"}
    if log is not None:
        env["TINYOPS_LOG"] = log
    return subprocess.run(
        [sys.executable, "-c", "from tinyops.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_tinyops_log_debug_prints_the_planners_choices() -> None:
    done = _tinyops("simulate", "mbv3-w0.55-r128", "--strategy", "optimal", "--json", log="debug")
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # standard output stays the JSON document alone
    assert "[tinyops.planner] [debug]" in done.stderr
    assert "optimal plan of" in done.stderr
    ops = [line for line in done.stderr.splitlines() if "  op " in line and "optimal:" in line]
    assert len(ops) == len(json.loads(done.stdout)["per_op"])


@pytest.mark.parametrize("args, log", [(("--log-level", "off"), "debug"), ((), None)])
def test_below_the_level_the_core_prints_nothing(args: tuple[str, ...], log: str | None) -> None:
    done = _tinyops(*args, "simulate", "mbv3-w0.55-r128", "--strategy", "tinyops", "--json", log=log)
    assert done.returncode == 0, done.stderr
    assert "[tinyops." not in done.stderr


def test_log_level_option_overrides_the_environment() -> None:
    done = _tinyops(
        "--log-level", "debug", "simulate", "mbv3-w0.55-r128", "--strategy", "internal", "--json", log="off"
    )
    assert "internal refused" in done.stderr


def test_bad_levels_are_named() -> None:
    done = _tinyops("--log-level", "loud", "boards")
    assert done.returncode == 2 and "loud" in done.stderr
    done = _tinyops("simulate", "mbv3-w0.55-r128", "--json", log="loud")
    assert done.returncode == 0, done.stderr
    assert "TINYOPS_LOG=loud: not a log level" in done.stderr
