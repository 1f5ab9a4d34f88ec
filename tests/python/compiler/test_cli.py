"""`tinyops compile` / `tinyops run-qemu`: user errors are one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tinyops.cli import app


def _said(result) -> str:
    return " ".join(result.output.split())  # rich wraps long lines


def test_missing_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compile", str(tmp_path / "nope.tflite"), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "nope.tflite: no such model file" in _said(result)


def test_run_qemu_rejects_a_file_that_is_not_a_blob(tmp_path: Path) -> None:
    bad = tmp_path / "x.blob"
    bad.write_bytes(b"TOPB")
    result = CliRunner().invoke(app, ["run-qemu", str(bad)])
    assert result.exit_code == 2
    assert "not a model blob" in _said(result)


def test_unknown_suffix(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    result = CliRunner().invoke(app, ["compile", str(model)])
    assert result.exit_code == 2 and "expected a .tflite model or a handoff .npz" in _said(result)
