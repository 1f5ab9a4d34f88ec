"""CONCATENATION (issue 13) through every layer: small .tflite models written here (an Inception / MCUNet-style
two-branch block, a three-input join of two convolutions and the block's input, a chain of joins reading one
tensor twice) compiled under every strategy into blob v2 and run by the firmware's loader, executor and kernels
on the host runtime and under QEMU, bit-exact with TFLite Micro and LiteRT; the loader's refusals of a corrupt
concatenation part."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tflite
from test_new_ops_runtime import BOARD, STRATEGIES, _qemu_available, _run_every_strategy
from test_tflite_ops import _images, concatenated_branches
from tflite_builder import Builder, concatenation_options, conv_options, depthwise_options, random_constants

from tinyops.compiler import HostRuntime, _interpreters, compile_model, host_runtime_available, import_tflite

OP = tflite.BuiltinOperator
Q = (0.05, -3)  # every joined tensor shares the output's quantization, as TFLite's int8 CONCATENATION needs

pytestmark = pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core has no firmware runtime")


def _two_branch_block(b: Builder, size: int = 20) -> tuple[int, ...]:
    """Inception / MCUNet style: a 1x1 branch and a 1x1 -> depthwise 3x3 branch joined, then a 1x1 conv."""
    weights, bias = random_constants(b, np.random.default_rng(21))
    x = b.activation((1, size, size, 8), 0.04, 5, "input")
    left = b.activation((1, size, size, 12), *Q, "branch_1x1")
    b.op(OP.CONV_2D, [x, weights((12, 1, 1, 8), 12, 0), bias(12)], left, conv_options(1, "VALID", "relu"))
    mid = b.activation((1, size, size, 16), 0.03, -10, "branch_expand")
    b.op(OP.CONV_2D, [x, weights((16, 1, 1, 8), 16, 0), bias(16)], mid, conv_options(1, "VALID", "relu6"))
    right = b.activation((1, size, size, 16), *Q, "branch_dw3x3")
    b.op(
        OP.DEPTHWISE_CONV_2D,
        [mid, weights((1, 3, 3, 16), 16, 3), bias(16)],
        right,
        depthwise_options(1, "SAME", "none", 1),
    )
    joined = b.activation((1, size, size, 28), *Q, "joined")
    b.op(OP.CONCATENATION, [left, right], joined, concatenation_options(3))
    y = b.activation((1, size, size, 8), 0.1, 0, "output")
    b.op(OP.CONV_2D, [joined, weights((8, 1, 1, 28), 8, 0), bias(8)], y, conv_options(1, "VALID", "none"))
    return x, y, (size, size, 8)


def _three_inputs(b: Builder) -> tuple[int, ...]:
    """Two convolutions and the block's input joined (the input read by three ops, live until the join)."""
    x, y = concatenated_branches(b, -1, 9, 7)
    return x, y, (9, 7, 4)


def _chained_joins(b: Builder) -> tuple[int, ...]:
    """[x, x] then [that, x]: one tensor twice in one join, and a join of a join."""
    x = b.activation((1, 6, 5, 3), *Q, "input")
    first = b.activation((1, 6, 5, 6), *Q, "first")
    b.op(OP.CONCATENATION, [x, x], first, concatenation_options(3))
    y = b.activation((1, 6, 5, 9), *Q, "output")
    b.op(OP.CONCATENATION, [first, x], y, concatenation_options(3))
    return x, y, (6, 5, 3)


MODELS = {"two_branch_block": _two_branch_block, "three_inputs": _three_inputs, "chained_joins": _chained_joins}


def _write(tmp_path: Path, name: str) -> tuple[Path, tuple[int, ...]]:
    b = Builder()
    b.input, b.output, shape = MODELS[name](b)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(b.finish())
    return path, shape


@pytest.mark.parametrize("name", list(MODELS))
def test_concatenation_runs_bit_exact_under_every_strategy(tmp_path: Path, name: str) -> None:
    path, shape = _write(tmp_path, name)
    _run_every_strategy(path, _images(shape, n=4, seed=8))


def test_tinyops_stages_every_branch_row_by_row(tmp_path: Path) -> None:
    """On the board's budget the block's join runs in row parts, each input's rows a copy of its own."""
    path, _ = _write(tmp_path, "two_branch_block")
    compiled = compile_model(import_tflite(path), BOARD, "tinyops")
    k = next(i for i, op in enumerate(compiled.model.ops) if op.kind.value == "concatenation")
    entry = next(o for o in compiled.plan_json["ops"] if o["op"] == compiled.mapping.core_op[k])
    assert entry["partitioning"] == "rows" and len(entry["parts"]) > 1
    for part in entry["parts"]:
        operands = [t["operand"] for t in part["copy_in"] if t["operand"].startswith("input")]
        assert operands in (["input", "input2"], [])  # both branches copied, or both resident


@pytest.mark.skipif(not _qemu_available(), reason="QEMU or the firmware runtime is absent")
def test_concatenation_under_qemu(tmp_path: Path) -> None:
    from tinyops.compiler import _qemu

    image = _images((9, 7, 4), n=1, seed=9)
    path, _ = _write(tmp_path, "three_inputs")
    block, _ = _write(tmp_path, "two_branch_block")
    block_image = _images((20, 20, 8), n=1, seed=9)
    elf = _qemu.runner_elf(BOARD)
    for model_path, x in ((path, image), (block, block_image)):
        expected = _interpreters.tflite_micro(model_path)(x)[0]
        model = import_tflite(model_path)
        for strategy in STRATEGIES:
            run = _qemu.run_blob_in_qemu(compile_model(model, BOARD, strategy).blob, x[0], port=BOARD, elf=elf)
            np.testing.assert_array_equal(run.output, expected, err_msg=f"{model_path.name} {strategy}")
            assert len(run.ops) == len(model.ops)


def _blob_of(compiled: Any, plan_json: dict[str, Any]) -> bytes:
    from tinyops import _core
    from tinyops.compiler._blob import write_blob
    from tinyops.compiler._schedule import transfer_streams

    sim = _core.simulate(compiled.mapping.network, compiled.plan, compiled.board, True)
    blob, _ = write_blob(compiled.model, compiled.mapping, plan_json, transfer_streams(sim.timeline))
    return blob


def _concat_entry(compiled: Any, plan_json: dict[str, Any]) -> dict[str, Any]:
    k = next(i for i, op in enumerate(compiled.model.ops) if op.kind.value == "concatenation")
    return next(o for o in plan_json["ops"] if o["op"] == compiled.mapping.core_op[k])


def test_loader_refuses_a_third_input_region_too_small(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "three_inputs")
    compiled = compile_model(import_tflite(path), BOARD, "internal")
    plan_json = copy.deepcopy(compiled.plan_json)
    _concat_entry(compiled, plan_json)["parts"][0]["more_inputs"][0]["bytes"] -= 1
    with pytest.raises(ValueError, match=r"model blob rejected: overlay_too_small at part\[\d+\]\.more_inputs"):
        HostRuntime(_blob_of(compiled, plan_json))


def test_blob_writer_refuses_a_missing_third_input(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "three_inputs")
    compiled = compile_model(import_tflite(path), BOARD, "internal")
    plan_json = copy.deepcopy(compiled.plan_json)
    del _concat_entry(compiled, plan_json)["parts"][0]["more_inputs"]
    with pytest.raises(ValueError, match=r"parts\[0\]\.more_inputs: 0 regions, concat has 3 inputs \(expected 1\)"):
        _blob_of(compiled, plan_json)


def test_compile_refuses_a_join_of_more_inputs_than_the_blob_holds(tmp_path: Path) -> None:
    from tinyops.compiler import UnsupportedOp

    b = Builder()
    x = b.activation((1, 2, 2, 1), *Q, "input")
    y = b.activation((1, 2, 2, 17), *Q, "wide")
    b.op(OP.CONCATENATION, [x] * 17, y, concatenation_options(3))
    b.input, b.output = x, y
    path = tmp_path / "wide.tflite"
    path.write_bytes(b.finish())
    with pytest.raises(UnsupportedOp, match=r"concatenation of 17 inputs \(at most 16\) \(ops\[0\] wide\)"):
        compile_model(import_tflite(path), BOARD, "tinyops")
