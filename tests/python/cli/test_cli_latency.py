from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tinyops.cli import app
from tinyops.latency_model import examples

runner = CliRunner()


def test_boards_lists_the_catalog() -> None:
    result = runner.invoke(app, ["boards"])
    assert result.exit_code == 0, result.output
    assert "stm32f746g-disco" in result.output


def test_simulate_json_is_machine_readable(tmp_path: Path) -> None:
    arch = tmp_path / "net.json"
    arch.write_text(json.dumps(examples.mobilenet_v2(0.35, 96)))
    result = runner.invoke(app, ["simulate", str(arch), "--strategy", "external", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["fits"] and doc["latency_ms"] > 0
    assert len(doc["per_op"]) > 10


def test_simulate_not_fitting_exits_1_with_the_reason() -> None:
    result = runner.invoke(app, ["simulate", "mbv2-w1.00-r224", "--strategy", "internal"])
    assert result.exit_code == 1
    assert "does not fit" in result.output


def test_simulate_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resolution": 0}')
    for args, needle in [
        (["simulate", str(tmp_path / "missing.json")], "not found"),
        (["simulate", str(bad)], "bad.json"),
        (["simulate", "mbv2-w0.35-r144", "--board", "nope"], "expected a board YAML file or a catalog name"),
        (["simulate", "mbv2-w0.35-r144", "--strategy", "nope"], "unknown strategy"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output
        assert "Traceback" not in result.output


def test_demo_writes_the_table_and_timelines(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--no-search"])
    assert result.exit_code == 0, result.output
    assert "mbv3-w0.55-r128" in result.output
    assert list(tmp_path.glob("timeline-*.png"))
