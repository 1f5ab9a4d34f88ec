"""`tinyops compile` / `tinyops run-qemu`: user errors are one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinyops.cli import app


@pytest.mark.parametrize(
    ("command", "file", "content", "message"),
    [
        ("compile", "nope.tflite", None, "nope.tflite: no such model file"),
        ("compile", "m.onnx", b"", "expected a .tflite model or a handoff .npz, got suffix '.onnx'"),
        ("run-qemu", "x.blob", b"TOPB", "x.blob: not a model blob (shorter than its header)"),
        ("run-qemu", "y.blob", None, "y.blob: no such blob"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, command: str, file: str, content: bytes | None, message: str) -> None:
    path = tmp_path / file
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(
        app, [command, str(path), "-o", str(tmp_path)] if command == "compile" else [command, str(path)]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())  # rich wraps long lines
