"""First use of `tinyops calibrate`: the default store location, a store holding one model (fitted training-only,
or one line saying what more to measure), and one clear error for each bad store and bad measurement."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from tinyops.cli import app
from tinyops.hil._calibrate import calibrate_board
from tinyops.hil._store import HilCalibration, HilMeasurement, HilOpMeasurement, HilRun
from tinyops.latency_model import load_board
from tinyops.store import Store, default_store_path, open_store

BOARD = "qemu-mps2-an500"
# One model of add ops whose two exercised terms vary independently: enough to determine `add`.
ADD_TRUE = {"cycles_per_call": 250.0, "cycles_per_output": 9.0}


def _add_ops(n: int = 6) -> list[tuple[str, dict[str, float], int]]:
    ops = []
    for i in range(n):
        features = {"cycles_per_call": float(1 + i % 3), "cycles_per_output": float(64 * (i + 1) ** 2)}
        ops.append(("add", features, round(sum(ADD_TRUE[t] * w for t, w in features.items()))))
    return ops


def _store_run(
    store: Store,
    model: str,
    ops: list[tuple[str, dict[str, float], int]],
    version: int | None = None,
    features_json: str | None = None,
) -> None:
    """One completed repetition of `model` on QEMU, as `tinyops hil run` records it."""
    board_version = version if version is not None else load_board(BOARD).version
    with store.session() as session:
        run = HilRun(
            model=model,
            model_sha256=model.ljust(64, "0")[:64],
            board=BOARD,
            board_version=board_version,
            target="qemu",
            strategy="tinyops",
            firmware_sha256="f" * 64,
            unit="instructions",
            plan_json="{}",
            repetitions=1,
        )
        rep = HilMeasurement(repetition=0, ok=True, error=None, total=sum(m for _, _, m in ops))
        for index, (kind, features, measured) in enumerate(ops):
            rep.ops.append(
                HilOpMeasurement(
                    op_index=index,
                    op_name=f"op{index}",
                    kernel_kind=kind,
                    measured=measured,
                    dma_wait=0,
                    parts=1,
                    dma_bytes=0,
                    predicted=None,
                    features_json=features_json or json.dumps(features),
                )
            )
        run.measurements.append(rep)
        session.add(run)


def test_default_store_is_the_user_data_directory_and_help_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert default_store_path() == tmp_path / "data" / "tinyops" / "tinyops.db"
    store = open_store()
    assert store.url == f"sqlite:///{tmp_path / 'data' / 'tinyops' / 'tinyops.db'}"
    assert not (tmp_path / "tinyops.db").exists()  # nothing in the current directory
    for command in (["calibrate"], ["hil", "run"], ["hil", "microbench"]):
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "400"})
        assert (
            "tinyops.db in the user data directory, $XDG_DATA_HOME/tinyops or ~/.local/share/tinyops" in result.output
        )
    result = CliRunner().invoke(app, ["calibrate"])  # an empty default store: says where it looked and what to run
    output = result.output.replace("\n", "")
    assert result.exit_code == 2
    assert "store: sqlite:///" + str(tmp_path / "data") in output
    assert "no measurements of qemu-mps2-an500" in output and "tinyops hil run" in output


def test_one_model_is_fitted_training_only_and_says_nothing_was_held_out(tmp_path: Path) -> None:
    store = open_store(tmp_path / "hil.db")  # a plain path is a SQLite file
    _store_run(store, "one.tflite", _add_ops())
    out = tmp_path / "board.yaml"
    result = CliRunner().invoke(
        app, ["calibrate", "--store", str(tmp_path / "hil.db"), "--out", str(out), "--plot", str(tmp_path / "s.png")]
    )
    assert result.exit_code == 0, result.output
    output = result.output.replace("\n", "")
    assert "no held-out share: all 6 ops of the one measured model were fitted" in output
    assert "no scatter written" in output
    doc = out.read_text()
    assert "no held-out ops (one case; training MAPE" in doc and "source: fit" in doc
    fitted = load_board(out)
    assert fitted.version == load_board(BOARD).version + 1
    with store.session() as session:
        (row,) = session.scalars(sa.select(HilCalibration)).all()
        assert row.test_ops == 0 and row.mape is None and row.within_10pct is None and row.train_ops == 6


ONE_DW = (
    "depthwise_conv2d_reference",
    {"cycles_per_call": 1.0, "cycles_per_mac": 9216.0, "cycles_per_output": 1024.0},
    90000,
)


def test_kinds_one_model_does_not_determine_keep_their_values_and_the_output_says_what_to_measure(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "hil.db")
    _store_run(store, "one.tflite", _add_ops() + [ONE_DW])
    out = tmp_path / "b.yaml"
    result = CliRunner().invoke(app, ["calibrate", "--store", store.url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    output = result.output.replace("\n", "")
    assert "not fitted (kept from v" in output
    assert "7 ops of 1 measured model do not determine depthwise_conv2d_reference (1 ops for 3 terms)" in output
    assert f"tinyops hil microbench --board {BOARD} --target qemu --store {store.url}" in output
    before, after = load_board(BOARD).to_yaml(), yaml.safe_load(out.read_text())
    assert (
        after["kernels"]["depthwise_conv2d_reference"]
        == yaml.safe_load(before)["kernels"]["depthwise_conv2d_reference"]
    )
    assert after["kernels"]["add"]["cycles_per_output"]["source"] == "fit"


def test_one_model_that_determines_no_kind_is_one_line_saying_what_to_measure(tmp_path: Path) -> None:
    store = open_store(tmp_path / "hil.db")
    _store_run(store, "one.tflite", [ONE_DW])
    with pytest.raises(ValueError) as err:
        calibrate_board(store, BOARD, "qemu", tmp_path / "b.yaml")
    message = str(err.value)
    assert "\n" not in message and "do not determine depthwise_conv2d_reference (1 ops for 3 terms)" in message
    assert f"tinyops hil microbench --board {BOARD} --target qemu --store {store.url}" in message
    assert not (tmp_path / "b.yaml").exists()


def test_measurements_of_another_board_version_are_named(tmp_path: Path) -> None:
    store = open_store(tmp_path / "hil.db")
    _store_run(store, "old.tflite", _add_ops(), version=load_board(BOARD).version + 7)
    with pytest.raises(
        ValueError,
        match=r"no measurements of qemu-mps2-an500 v\d+ on qemu .*it holds "
        r"qemu-mps2-an500 v\d+ on qemu \(1 runs\)",
    ):
        calibrate_board(store, BOARD, "qemu", tmp_path / "b.yaml")


@pytest.mark.parametrize(
    "store_arg, expected",
    [
        ("nosuch://db", "not a database URL"),
        ("{tmp}/missing/hil.db", "directory {tmp}/missing does not exist"),
        ("{tmp}", "is a directory, not a SQLite file"),
        ("{tmp}/text.db", "not a results store (file is not a database)"),
    ],
)
def test_bad_store_is_one_clear_error(tmp_path: Path, store_arg: str, expected: str) -> None:
    (tmp_path / "text.db").write_text("these are notes, not a database\n" * 100)
    result = CliRunner().invoke(app, ["calibrate", "--store", store_arg.format(tmp=tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert expected.format(tmp=tmp_path) in result.output.replace("\n", "")


def test_store_whose_calibration_table_rejects_a_training_only_fit(tmp_path: Path) -> None:
    # A store created before held-out figures could be absent: its mape column is NOT NULL.
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE tinyops_hil_calibrations (id INTEGER PRIMARY KEY, board VARCHAR(100) NOT NULL, "
            "from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, target VARCHAR(20) NOT NULL, "
            "train_ops INTEGER NOT NULL, test_ops INTEGER NOT NULL, mape FLOAT NOT NULL, "
            "within_10pct FLOAT NOT NULL, report_json TEXT NOT NULL, created_at DATETIME NOT NULL)"
        )
    store = open_store(path)
    _store_run(store, "one.tflite", _add_ops())
    with pytest.raises(
        ValueError,
        match=r"store sqlite:///.*old.db: cannot record the calibration in "
        r"tinyops_hil_calibrations \(NOT NULL constraint failed.*mape\)",
    ):
        calibrate_board(store, BOARD, "qemu", tmp_path / "b.yaml")
    assert not (tmp_path / "b.yaml").exists()  # nothing written when the store refuses the record


@pytest.mark.parametrize(
    "features_json, ops, expected",
    [
        ("not json", _add_ops(), r"run 1 \(one.tflite\) op 0: features_json is not the cost model's"),
        ('{"cycles_per_call": "x"}', _add_ops(), r"op 0: features_json .*expected an object of numbers"),
        (None, [("add", {"cycles_per_call": 1.0}, 0)] + _add_ops(), r"measured: expected a positive count, got 0"),
        (None, [("add", {"cycles_per_gather_tap": 1.0}, 10)] + _add_ops(), r"cycles_per_gather_tap are not cost terms"),
    ],
)
def test_bad_measurement_is_one_clear_error(tmp_path: Path, features_json: str | None, ops, expected: str) -> None:
    store = open_store(tmp_path / "hil.db")
    _store_run(store, "one.tflite", ops, features_json=features_json)
    with pytest.raises(ValueError, match=expected):
        calibrate_board(store, BOARD, "qemu", tmp_path / "b.yaml")
