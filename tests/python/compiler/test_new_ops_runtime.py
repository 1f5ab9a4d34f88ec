"""The ops of issue 13 (mul, mean, logistic, standalone hard-swish, softmax, max pool) through every layer: each
in a small .tflite written here, compiled under every strategy into blob v2 and run by the firmware's loader,
executor and kernels on the host runtime, bit-exact with TFLite Micro and LiteRT; a MobileNetV3-Large-style
model with squeeze-and-excite the same way on the host and under QEMU; the loader's refusals of bad
parameters."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import tflite
from test_tflite_ops import UNIT, _images, _mbv3_se_model, _squeeze_excite
from tflite_builder import (
    Builder,
    conv_options,
    fc_options,
    mul_options,
    pool_options,
    random_constants,
    softmax_options,
)

from tinyops.compiler import HostRuntime, _interpreters, compile_model, host_runtime_available, import_tflite

OP = tflite.BuiltinOperator
BOARD = "qemu-mps2-an500"
STRATEGIES = ("external", "internal", "tinyops", "optimal")

pytestmark = pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core has no firmware runtime")


def _mul_equal(b: Builder) -> tuple[int, ...]:
    weights, bias = random_constants(b, np.random.default_rng(3))
    x = b.activation((1, 5, 6, 8), 0.04, 10, "input")
    c = b.activation((1, 5, 6, 8), 0.05, -7)
    b.op(OP.CONV_2D, [x, weights((8, 1, 1, 8), 8, 0), bias(8)], c, conv_options(1, "VALID", "none"))
    y = b.activation((1, 5, 6, 8), 0.02, -20, "output")
    b.op(OP.MUL, [x, c], y, mul_options("relu6"))
    return x, y, (5, 6, 8)


def _hard_swish(b: Builder) -> tuple[int, ...]:
    x = b.activation((1, 16, 16, 3), 0.05, 3, "input")
    y = b.activation((1, 16, 16, 3), 0.03, -20, "output")
    b.op(OP.HARD_SWISH, [x], y)
    return x, y, (16, 16, 3)


def _logistic(b: Builder) -> tuple[int, ...]:
    x = b.activation((1, 9, 7, 5), 0.05, 3, "input")
    y = b.activation((1, 9, 7, 5), *UNIT, "output")
    b.op(OP.LOGISTIC, [x], y)
    return x, y, (9, 7, 5)


def _softmax_map(b: Builder) -> tuple[int, ...]:
    x = b.activation((1, 6, 4, 12), 0.1, -2, "input")
    y = b.activation((1, 6, 4, 12), *UNIT, "output")
    b.op(OP.SOFTMAX, [x], y, softmax_options(0.5))
    return x, y, (6, 4, 12)


def _softmax_head(b: Builder) -> tuple[int, ...]:
    rng = np.random.default_rng(5)
    _, bias = random_constants(b, rng)
    x = b.activation((1, 1, 1, 24), 0.05, 0, "input")
    logits = b.activation((1, 10), 0.2, 3, "logits")
    w = b.constant(rng.integers(-127, 128, size=(10, 24), dtype=np.int8), [0.01], 0)
    b.op(OP.FULLY_CONNECTED, [x, w, bias(10)], logits, fc_options("none"))
    y = b.activation((1, 10), *UNIT, "probabilities")
    b.op(OP.SOFTMAX, [logits], y, softmax_options(1.0))
    return x, y, (1, 1, 24)


def _max_pool(kernel: int, stride: int, padding: str, act: str):  # type: ignore[no-untyped-def]
    def build(b: Builder) -> tuple[int, ...]:
        x = b.activation((1, 9, 10, 6), 0.02, -5, "input")
        same = (-(-9 // stride), -(-10 // stride))
        out = same if padding == "SAME" else ((9 - kernel) // stride + 1, (10 - kernel) // stride + 1)
        y = b.activation((1, *out, 6), 0.02, -5, "output")
        b.op(OP.MAX_POOL_2D, [x], y, pool_options(kernel, stride, padding, act))
        return x, y, (9, 10, 6)

    return build


SINGLE_OPS = {
    "mul_equal_relu6": _mul_equal,
    "hard_swish": _hard_swish,
    "logistic": _logistic,
    "softmax_feature_map": _softmax_map,
    "softmax_after_fc": _softmax_head,
    "max_pool_3s2_same": _max_pool(3, 2, "SAME", "none"),
    "max_pool_3s1_same_relu6": _max_pool(3, 1, "SAME", "relu6"),
    "max_pool_2s2_valid": _max_pool(2, 2, "VALID", "none"),
}


def _run_every_strategy(path: Path, images: np.ndarray) -> dict[str, np.ndarray]:
    """The host runtime's outputs per strategy, each checked against TFLite Micro's (and LiteRT's the same)."""
    model = import_tflite(path)
    expected = _interpreters.tflite_micro(path)(images)
    np.testing.assert_array_equal(_interpreters.litert(path)(images), expected, err_msg="LiteRT vs TFLite Micro")
    outputs = {}
    for strategy in STRATEGIES:
        compiled = compile_model(model, BOARD, strategy)
        got = HostRuntime(compiled.blob).run(images).reshape(len(images), -1)
        np.testing.assert_array_equal(got, expected, err_msg=f"{path.name} under {strategy}")
        outputs[strategy] = got
    assert len(np.unique(expected)) >= 5  # not a constant output
    return outputs


@pytest.mark.parametrize("name", list(SINGLE_OPS))
def test_op_runs_bit_exact_under_every_strategy(tmp_path: Path, name: str) -> None:
    b = Builder()
    b.input, b.output, shape = SINGLE_OPS[name](b)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(b.finish())
    _run_every_strategy(path, _images(shape, n=5, seed=2))


@pytest.mark.parametrize("keep_dims", [True, False])
def test_squeeze_excite_block_runs_bit_exact_under_every_strategy(tmp_path: Path, keep_dims: bool) -> None:
    """MEAN -> conv -> conv -> LOGISTIC -> MUL (the (1, 1, C) gate over the block's input)."""
    path = _squeeze_excite(tmp_path, keep_dims, (0.01, 7))
    _run_every_strategy(path, _images((8, 8, 16), n=5, seed=3))


def test_mobilenet_v3_style_model_with_squeeze_excite_runs_bit_exact(tmp_path: Path) -> None:
    path = _mbv3_se_model(tmp_path / "mbv3_se.tflite")
    model = import_tflite(path)
    assert {"mean", "mul", "softmax"} <= set(model.op_counts())
    _run_every_strategy(path, _images((24, 24, 3), n=6, seed=4))
    # tinyops splits the SE gate's mul into row parts (the part-wise path of the kernels and the loader).
    plan = compile_model(model, BOARD, "tinyops").report()["ops"]
    assert max(op["parts"] for op in plan if op["kind"] == "mul") > 1


def _qemu_available() -> bool:
    import tinyops.compiler._qemu as qemu

    return shutil.which("qemu-system-arm") is not None and (qemu.REPO / "firmware/include/tinyops/rt").is_dir()


@pytest.mark.skipif(not _qemu_available(), reason="QEMU or the firmware runtime is absent")
@pytest.mark.parametrize("port, strategies", [("qemu-mps2-an500", STRATEGIES), ("qemu-mps2-an505", ("tinyops",))])
def test_mobilenet_v3_style_model_under_qemu(tmp_path: Path, port: str, strategies: tuple[str, ...]) -> None:
    from tinyops.compiler import _qemu

    path = _mbv3_se_model(tmp_path / "mbv3_se.tflite")
    model = import_tflite(path)
    image = _images((24, 24, 3), n=1, seed=6)
    expected = _interpreters.tflite_micro(path)(image)[0]
    elf = _qemu.runner_elf(port)
    for strategy in strategies:
        run = _qemu.run_blob_in_qemu(compile_model(model, port, strategy).blob, image[0], port=port, elf=elf)
        np.testing.assert_array_equal(run.output, expected, err_msg=f"{port} {strategy}")
        assert len(run.ops) == len(model.ops)


@pytest.mark.parametrize(
    "op_kind, change, reason",
    [
        ("mul", lambda op: setattr(op, "op_params", (-5, op.op_params[1])), r"op_params \(multiplier/shift\)"),
        ("mul", lambda op: setattr(op, "op_params", (op.op_params[0], 40)), r"op_params \(multiplier/shift\)"),
        ("mean", lambda op: setattr(op, "op_params", op.op_params[:1]), r"op_params"),
        ("logistic", lambda op: setattr(op, "op_params", (*op.op_params[:2], -1)), r"op_params\[2\]"),
    ],
)
def test_loader_refuses_bad_op_params_naming_the_field(tmp_path: Path, op_kind: str, change, reason: str) -> None:
    model = import_tflite(_squeeze_excite(tmp_path, True, (0.01, 7)))
    compiled = compile_model(model, BOARD, "tinyops")
    op = next(op for op in model.ops if op.kind.value == op_kind)
    change(op)
    from tinyops import _core
    from tinyops.compiler._blob import write_blob
    from tinyops.compiler._schedule import transfer_streams

    sim = _core.simulate(compiled.mapping.network, compiled.plan, compiled.board, True)
    blob, _ = write_blob(model, compiled.mapping, compiled.plan_json, transfer_streams(sim.timeline))
    with pytest.raises(ValueError, match=rf"model blob rejected: bad_quant_params at op\[\d+\]\.{reason}"):
        HostRuntime(blob)
