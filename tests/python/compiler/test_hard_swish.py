"""HARD_SWISH (MobileNetV3) end to end: TFLite's int8 semantics in the numpy reference, the host runtime (the
firmware's kernel, fused after a convolution) and the compiled blob, bit-exact against TFLite Micro and
LiteRT on small .tflite models written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tflite
from compiler_fixtures import one_part_plan
from tflite_builder import Builder, conv_options, depthwise_options, random_constants

from tinyops.compiler import HostRuntime, _interpreters, compile_model, evaluate, host_runtime_available, import_tflite
from tinyops.compiler._blob import write_blob
from tinyops.compiler._quant import hard_swish_params

OP = tflite.BuiltinOperator
needs_host_runtime = pytest.mark.skipif(
    not host_runtime_available(), reason="tinyops._core was built without the firmware runtime"
)


def _engines(path: Path) -> dict:
    return {"tflite-micro": _interpreters.tflite_micro(path), "litert": _interpreters.litert(path)}


def _identity_then_hard_swish(path: Path, pre_scale: float, pre_zp: int, out_scale: float, out_zp: int) -> Path:
    """input (16x16x1, the pre-activation quantization) -> depthwise 1x1 that reproduces it exactly
    (weight 127 at scale 1/127) -> HARD_SWISH: every int8 value through hard-swish once."""
    b = Builder()
    x = b.activation((1, 16, 16, 1), pre_scale, pre_zp, "input")
    pre = b.activation((1, 16, 16, 1), pre_scale, pre_zp, "pre")
    w = b.constant(np.full((1, 1, 1, 1), 127, np.int8), [1 / 127], 3)
    bias = b.constant(np.zeros(1, np.int32))
    b.op(OP.DEPTHWISE_CONV_2D, [x, w, bias], pre, depthwise_options(1, "VALID", "none", 1))
    y = b.activation((1, 16, 16, 1), out_scale, out_zp, "output")
    b.op(OP.HARD_SWISH, [pre], y)
    b.input, b.output = x, y
    path.write_bytes(b.finish())
    return path


ALL_VALUES = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)


@pytest.mark.parametrize(
    "pre_scale, pre_zp, out_scale, out_zp",
    [
        (0.05, 3, 0.03, -20),  # reluish exponent > 0 (left shifts, saturation near +-3)
        (0.004, -7, 0.002, 11),  # reluish exponent < 0 (right shift)
        (0.1, -128, 0.1, -128),  # asymmetric extremes
        (0.5, 0, 0.05, -100),  # large input range: the output saturates at 127
    ],
)
def test_every_int8_value_matches_tflite(
    tmp_path: Path, pre_scale: float, pre_zp: int, out_scale: float, out_zp: int
) -> None:
    path = _identity_then_hard_swish(tmp_path / "hswish.tflite", pre_scale, pre_zp, out_scale, out_zp)
    model = import_tflite(path)
    assert [op.activation for op in model.ops] == ["hard_swish"] and len(model.tensors) == 2
    engines = _engines(path)
    expected = engines["tflite-micro"](ALL_VALUES)
    np.testing.assert_array_equal(engines["litert"](ALL_VALUES), expected)
    assert len(np.unique(expected)) > 20  # a real curve, not a constant
    np.testing.assert_array_equal(evaluate(model, ALL_VALUES).reshape(1, -1), expected)
    if host_runtime_available():
        blob, _ = write_blob(model, *one_part_plan(model))
        np.testing.assert_array_equal(HostRuntime(blob).run(ALL_VALUES).reshape(1, -1), expected)


def test_prepare_parameters_hand_computed() -> None:
    # scales 1/16 and 1/16: reluish 2/3 * 2^3 -> Q15 21845, exponent 3; output 2^-7 -> Q15 16384, exponent -6
    assert hard_swish_params(1 / 16, 1 / 16) == (21845, 3, 16384, -6)
    with pytest.raises(ValueError, match="output_multiplier_exponent <= 0"):
        hard_swish_params(1.0, 1 / 1024)


def _mbv3_block(path: Path, seed: int = 0) -> Path:
    """12x12x3 -> conv 3x3 stride 2 SAME -> HARD_SWISH -> depthwise 3x3 SAME -> HARD_SWISH -> conv 1x1 (8)."""
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(seed))

    x = b.activation((1, 12, 12, 3), 0.05, -3, "input")
    c1 = b.activation((1, 6, 6, 16), 0.08, 4)
    b.op(OP.CONV_2D, [x, weights((16, 3, 3, 3), 16, 0), bias(16)], c1, conv_options(2, "SAME", "none"))
    h1 = b.activation((1, 6, 6, 16), 0.05, -90, "h1")
    b.op(OP.HARD_SWISH, [c1], h1)
    d1 = b.activation((1, 6, 6, 16), 0.006, 2)
    b.op(
        OP.DEPTHWISE_CONV_2D, [h1, weights((1, 3, 3, 16), 16, 3), bias(16)], d1, depthwise_options(1, "SAME", "none", 1)
    )
    h2 = b.activation((1, 6, 6, 16), 0.004, -100, "h2")
    b.op(OP.HARD_SWISH, [d1], h2)
    y = b.activation((1, 6, 6, 8), 0.1, 0, "output")
    b.op(OP.CONV_2D, [h2, weights((8, 1, 1, 16), 8, 0), bias(8)], y, conv_options(1, "VALID", "none"))
    b.input, b.output = x, y
    path.write_bytes(b.finish())
    return path


def test_convolutions_with_hard_swish_match_tflite_through_the_compiled_blob(tmp_path: Path) -> None:
    path = _mbv3_block(tmp_path / "mbv3_block.tflite")
    model = import_tflite(path)
    assert [(op.kind.value, op.activation) for op in model.ops] == [
        ("conv2d", "hard_swish"),
        ("depthwise_conv2d", "hard_swish"),
        ("conv2d", "none"),
    ]
    assert [model.tensors[op.output].name for op in model.ops] == ["h1", "h2", "output"]
    images = np.random.default_rng(1).integers(-128, 128, size=(6, 12, 12, 3), dtype=np.int8)
    engines = _engines(path)
    expected = engines["tflite-micro"](images)
    np.testing.assert_array_equal(engines["litert"](images), expected)
    tensors = _interpreters.litert_tensors(path, images[0])
    values = evaluate(model, images[0], keep_intermediates=True)
    for op in model.ops:  # each fused op's output is TFLite's HARD_SWISH output, bit for bit
        got = values[op.output]
        np.testing.assert_array_equal(got, tensors[model.tensors[op.output].name].reshape(got.shape))
        assert len(np.unique(got)) > 5
    if not host_runtime_available():
        pytest.skip("tinyops._core was built without the firmware runtime")
    for strategy in ("external", "tinyops"):  # tinyops: row parts, hard-swish applied part by part
        compiled = compile_model(model, "stm32f746g-disco", strategy)
        got = HostRuntime(compiled.blob).run(images).reshape(len(images), -1)
        np.testing.assert_array_equal(got, expected, err_msg=strategy)


def test_hard_swish_not_after_a_convolution_is_an_op_of_its_own(tmp_path: Path) -> None:
    """(Its arithmetic against TFLite: test_tflite_ops.py.)"""
    b = Builder()
    x = b.activation((1, 4, 4, 2), 0.1, 0, "input")
    y = b.activation((1, 4, 4, 2), 0.1, 0, "y")
    b.input, b.output = x, y
    b.op(OP.HARD_SWISH, [x], y)
    path = tmp_path / "lone.tflite"
    path.write_bytes(b.finish())
    model = import_tflite(path)
    assert [(op.kind.value, op.activation) for op in model.ops] == [("hard_swish", "none")]


def test_qemu_runner_matches_tflite_micro_on_hard_swish(tmp_path: Path) -> None:
    """The same kernel cross-built for Cortex-M and run in QEMU (the tinyops plan: row parts, DMA overlays)."""
    import shutil

    import tinyops.compiler._qemu as qemu

    if shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file():
        pytest.skip("QEMU or the firmware runtime is absent")
    path = _mbv3_block(tmp_path / "mbv3_block.tflite")
    image = np.random.default_rng(2).integers(-128, 128, size=(1, 12, 12, 3), dtype=np.int8)
    blob = compile_model(import_tflite(path), "stm32f746g-disco", "tinyops").blob
    run = qemu.run_blob_in_qemu(blob, image[0], elf=qemu.runner_elf("qemu-mps2-an500"))
    np.testing.assert_array_equal(run.output.reshape(-1), _interpreters.tflite_micro(path)(image)[0])
