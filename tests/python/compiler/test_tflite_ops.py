"""The ops of squeeze-and-excite, classifier heads and branching models (issue 13): each written into a
small .tflite model here, imported, and evaluated by the numpy reference bit-exact against TFLite Micro and
LiteRT; the importer's errors for unsupported operators and truncated files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tflite
from tflite_builder import (
    Builder,
    concatenation_options,
    conv_options,
    fc_options,
    mul_options,
    pool_options,
    random_constants,
    reducer_options,
    reshape_options,
    softmax_options,
)

from tinyops.compiler import _interpreters, evaluate, import_tflite
from tinyops.compiler._reference import dequantize_output, quantize_input

OP = tflite.BuiltinOperator
UNIT = (1 / 256, -128)  # TFLite's fixed int8 output quantization of LOGISTIC and SOFTMAX
ALL_VALUES = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)


def _write(tmp_path: Path, b: Builder, name: str) -> Path:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(b.finish())
    return path


def _check(path: Path, images: np.ndarray, kinds: list[str] | None = None, min_distinct: int = 3):
    """Import ``path``; the reference evaluator's outputs equal TFLite Micro's and LiteRT's, bit for bit."""
    model = import_tflite(path)
    if kinds is not None:
        assert [op.kind.value for op in model.ops] == kinds
    expected = _interpreters.tflite_micro(path)(images)
    np.testing.assert_array_equal(_interpreters.litert(path)(images), expected, err_msg="litert vs tflite-micro")
    got = evaluate(model, images).reshape(len(images), -1)
    np.testing.assert_array_equal(got, expected, err_msg="reference vs tflite-micro")
    assert len(np.unique(expected)) >= min_distinct  # not a constant
    return model


def _images(shape: tuple[int, ...], n: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, size=(n, *shape), dtype=np.int8)


# ---- squeeze-and-excite: MEAN, MUL, LOGISTIC ---------------------------------------------------------------


def _squeeze_excite(tmp_path: Path, keep_dims: bool, mean_quant: tuple[float, int], seed: int = 0) -> Path:
    """8x8x16 -> MEAN (rows, cols) -> conv 1x1 (4) relu -> conv 1x1 (16) -> LOGISTIC -> MUL with the input."""
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(seed))
    x = b.activation((1, 8, 8, 16), 0.05, -3, "input")
    m = b.activation((1, 1, 1, 16) if keep_dims else (1, 16), *mean_quant, "mean")
    b.op(OP.MEAN, [x, b.constant(np.array([1, 2], np.int32))], m, reducer_options(keep_dims))
    if not keep_dims:
        m4 = b.activation((1, 1, 1, 16), *mean_quant, "mean4")
        b.op(OP.RESHAPE, [m], m4, reshape_options([1, 1, 1, 16]))
        m = m4
    r = b.activation((1, 1, 1, 4), 0.02, -128, "reduce")
    b.op(OP.CONV_2D, [m, weights((4, 1, 1, 16), 4, 0), bias(4)], r, conv_options(1, "VALID", "relu"))
    e = b.activation((1, 1, 1, 16), 0.06, 2, "expand")
    b.op(OP.CONV_2D, [r, weights((16, 1, 1, 4), 16, 0), bias(16)], e, conv_options(1, "VALID", "none"))
    g = b.activation((1, 1, 1, 16), *UNIT, "gate")
    b.op(OP.LOGISTIC, [e], g)
    y = b.activation((1, 8, 8, 16), 0.03, -5, "output")
    b.op(OP.MUL, [x, g], y, mul_options())
    b.input, b.output = x, y
    return _write(tmp_path, b, f"se_{keep_dims}_{mean_quant[0]}")


@pytest.mark.parametrize("keep_dims", [True, False])
@pytest.mark.parametrize("mean_quant", [(0.05, -3), (0.01, 7)])  # same as the input (plain mean) or requantized
def test_squeeze_excite_matches_tflite(tmp_path: Path, keep_dims: bool, mean_quant: tuple[float, int]) -> None:
    path = _squeeze_excite(tmp_path, keep_dims, mean_quant)
    model = _check(path, _images((8, 8, 16)), min_distinct=50)
    assert [op.kind.value for op in model.ops if op.kind.value != "reshape"] == [
        "mean",
        "conv2d",
        "conv2d",
        "logistic",
        "mul",
    ]
    values = evaluate(model, _images((8, 8, 16))[0], keep_intermediates=True)
    tensors = _interpreters.litert_tensors(path, _images((8, 8, 16))[0])
    for op in model.ops:  # every intermediate (the mean, the gate), not only the output
        name = model.tensors[op.output].name
        np.testing.assert_array_equal(values[op.output], tensors[name].reshape(values[op.output].shape), err_msg=name)


@pytest.mark.parametrize("act", ["none", "relu6"])
def test_mul_of_equal_shapes_matches_tflite(tmp_path: Path, act: str) -> None:
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(3))
    x = b.activation((1, 5, 6, 8), 0.04, 10, "input")
    c = b.activation((1, 5, 6, 8), 0.05, -7)
    b.op(OP.CONV_2D, [x, weights((8, 1, 1, 8), 8, 0), bias(8)], c, conv_options(1, "VALID", "none"))
    y = b.activation((1, 5, 6, 8), 0.02, -20, "output")
    b.op(OP.MUL, [x, c], y, mul_options(act))
    b.input, b.output = x, y
    _check(_write(tmp_path, b, f"mul_{act}"), _images((5, 6, 8)), ["conv2d", "mul"], min_distinct=30)


@pytest.mark.parametrize("scale, zero_point", [(0.05, 3), (0.004, -7), (0.2, -128), (0.5, 20)])
def test_logistic_of_every_int8_value_matches_tflite(tmp_path: Path, scale: float, zero_point: int) -> None:
    b = Builder()
    x = b.activation((1, 16, 16, 1), scale, zero_point, "input")
    y = b.activation((1, 16, 16, 1), *UNIT, "output")
    b.op(OP.LOGISTIC, [x], y)
    b.input, b.output = x, y
    _check(_write(tmp_path, b, "logistic"), ALL_VALUES, ["logistic"], min_distinct=10)


@pytest.mark.parametrize(
    "scale, zero_point, out_scale, out_zero_point",
    [(0.05, 3, 0.03, -20), (0.004, -7, 0.002, 11), (0.1, -128, 0.1, -128), (0.5, 0, 0.05, -100)],
)
def test_standalone_hard_swish_of_every_int8_value_matches_tflite(
    tmp_path: Path, scale: float, zero_point: int, out_scale: float, out_zero_point: int
) -> None:
    """HARD_SWISH on the model input (no convolution to fuse it into): an op of its own."""
    b = Builder()
    x = b.activation((1, 16, 16, 1), scale, zero_point, "input")
    y = b.activation((1, 16, 16, 1), out_scale, out_zero_point, "output")
    b.op(OP.HARD_SWISH, [x], y)
    b.input, b.output = x, y
    _check(_write(tmp_path, b, "hswish"), ALL_VALUES, ["hard_swish"], min_distinct=20)


# ---- classifier heads: SOFTMAX --------------------------------------------------------------------------


@pytest.mark.parametrize("scale, zero_point, beta", [(0.2, 3, 1.0), (0.05, -10, 1.0), (1.5, 0, 1.0), (0.1, 5, 0.5)])
def test_softmax_after_fully_connected_matches_tflite(
    tmp_path: Path, scale: float, zero_point: int, beta: float
) -> None:
    b = Builder()
    rng = np.random.default_rng(5)
    _, bias = random_constants(b, rng)
    x = b.activation((1, 1, 1, 24), 0.05, 0, "input")
    logits = b.activation((1, 10), scale, zero_point, "logits")
    w = b.constant(rng.integers(-127, 128, size=(10, 24), dtype=np.int8), [0.01], 0)
    b.op(OP.FULLY_CONNECTED, [x, w, bias(10)], logits, fc_options("none"))
    y = b.activation((1, 10), *UNIT, "probabilities")
    b.op(OP.SOFTMAX, [logits], y, softmax_options(beta))
    b.input, b.output = x, y
    _check(_write(tmp_path, b, "softmax"), _images((1, 1, 24), n=16), ["fully_connected", "softmax"], min_distinct=10)


def test_softmax_over_channels_of_a_feature_map_matches_tflite(tmp_path: Path) -> None:
    b = Builder()
    x = b.activation((1, 3, 4, 12), 0.1, -2, "input")
    y = b.activation((1, 3, 4, 12), *UNIT, "output")
    b.op(OP.SOFTMAX, [x], y, softmax_options(1.0))
    b.input, b.output = x, y
    _check(_write(tmp_path, b, "softmax4d"), _images((3, 4, 12)), ["softmax"], min_distinct=20)


# ---- MAX_POOL_2D, CONCATENATION -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel, stride, padding, act",
    [(3, 2, "SAME", "none"), (2, 2, "VALID", "none"), (3, 1, "SAME", "relu6"), (3, 2, "VALID", "relu")],
)
def test_max_pool_matches_tflite(tmp_path: Path, kernel: int, stride: int, padding: str, act: str) -> None:
    b = Builder()
    x = b.activation((1, 9, 10, 6), 0.02, -5, "input")
    out = {
        "SAME": (-(-9 // stride), -(-10 // stride)),
        "VALID": ((9 - kernel) // stride + 1, (10 - kernel) // stride + 1),
    }
    y = b.activation((1, *out[padding], 6), 0.02, -5, "output")
    b.op(OP.MAX_POOL_2D, [x], y, pool_options(kernel, stride, padding, act))
    b.input, b.output = x, y
    _check(_write(tmp_path, b, "maxpool"), _images((9, 10, 6)), ["max_pool2d"], min_distinct=20)


def concatenated_branches(b: Builder, axis: int, height: int = 6, width: int = 6) -> tuple[int, int]:
    """(input, join): three branches (two convolutions and the input itself) joined along channels, all in the
    join's quantization."""
    weights, bias = random_constants(b, np.random.default_rng(7))
    q = (0.05, -3)
    x = b.activation((1, height, width, 4), *q, "input")
    c1 = b.activation((1, height, width, 8), *q, "branch1")
    b.op(OP.CONV_2D, [x, weights((8, 1, 1, 4), 8, 0), bias(8)], c1, conv_options(1, "VALID", "none"))
    c2 = b.activation((1, height, width, 5), *q, "branch2")
    b.op(OP.CONV_2D, [x, weights((5, 3, 3, 4), 5, 0), bias(5)], c2, conv_options(1, "SAME", "relu"))
    cat = b.activation((1, height, width, 17), *q, "concat")
    b.op(OP.CONCATENATION, [c1, x, c2], cat, concatenation_options(axis))
    return x, cat


@pytest.mark.parametrize("axis", [3, -1])
def test_concatenation_of_branches_matches_tflite(tmp_path: Path, axis: int) -> None:
    """Three branches joined along channels, then a convolution."""
    b = Builder()
    x, cat = concatenated_branches(b, axis)
    weights, bias = random_constants(b, np.random.default_rng(8))
    y = b.activation((1, 6, 6, 8), 0.1, 0, "output")
    b.op(OP.CONV_2D, [cat, weights((8, 1, 1, 17), 8, 0), bias(8)], y, conv_options(1, "VALID", "none"))
    b.input, b.output = x, y
    model = _check(
        _write(tmp_path, b, "concat"),
        _images((6, 6, 4)),
        ["conv2d", "conv2d", "concatenation", "conv2d"],
        min_distinct=30,
    )
    assert model.ops[2].inputs == [model.ops[0].output, model.input, model.ops[1].output]


def test_concatenation_with_different_quantization_is_refused(tmp_path: Path) -> None:
    b = Builder()
    x = b.activation((1, 2, 2, 3), 0.05, 0, "input")
    y = b.activation((1, 2, 2, 6), 0.1, 0, "joined")
    b.op(OP.CONCATENATION, [x, x], y, concatenation_options(3))
    b.input, b.output = x, y
    with pytest.raises(
        ValueError,
        match=r"concat_q\.tflite: ops\[0\] \(joined, concatenation\)\.output "
        r"quantization: concatenation must keep the input's scale",
    ):
        import_tflite(_write(tmp_path, b, "concat_q"))


# ---- float model edges: QUANTIZE / DEQUANTIZE --------------------------------------------------------------


def test_float_edges_import_as_the_int8_core(tmp_path: Path) -> None:
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(9))
    f_in = b.float_tensor((1, 6, 6, 3), "image")
    x = b.activation((1, 6, 6, 3), 0.02, 4, "quantized")
    b.op(OP.QUANTIZE, [f_in], x)
    c = b.activation((1, 6, 6, 4), 0.05, -10, "conv")
    b.op(OP.CONV_2D, [x, weights((4, 3, 3, 3), 4, 0), bias(4)], c, conv_options(1, "SAME", "relu"))
    f_out = b.float_tensor((1, 6, 6, 4), "scores")
    b.op(OP.DEQUANTIZE, [c], f_out)
    b.input, b.output = f_in, f_out
    path = _write(tmp_path, b, "float_edges")
    model = import_tflite(path)
    assert (model.float_input, model.float_output) == (True, True)
    assert [op.kind.value for op in model.ops] == ["conv2d"]
    assert (model.tensors[model.input].name, model.tensors[model.output].name) == ("quantized", "conv")
    images = np.random.default_rng(1).uniform(-3, 3, size=(4, 6, 6, 3)).astype(np.float32)
    images[0, 0, 0, :] = [0.01, -0.01, 0.03]  # exactly half a step: rounding half away from zero
    expected = _interpreters.tflite_micro(path)(images)
    assert expected.dtype == np.float32
    np.testing.assert_array_equal(_interpreters.litert(path)(images), expected)
    got = dequantize_output(model, evaluate(model, quantize_input(model, images)))
    np.testing.assert_array_equal(got.reshape(len(images), -1), expected)


# ---- importer errors ---------------------------------------------------------------------------------------


def test_every_unsupported_operator_is_named_in_one_error(tmp_path: Path) -> None:
    b = Builder()
    x = b.activation((1, 4, 4, 2), 0.1, 0, "input")
    t1 = b.activation((1, 4, 4, 2), 1 / 128, 0)
    b.op(OP.TANH, [x], t1)
    t2 = b.activation((1, 4, 4, 2), 0.1, 0)
    b.op(OP.RELU, [t1], t2)
    t3 = b.activation((1, 4, 4, 2), 1 / 128, 0)
    b.op(OP.TANH, [t2], t3)
    b.input, b.output = x, t3
    with pytest.raises(
        ValueError,
        match=r"many\.tflite: operators: 2 unsupported: TANH \(operators 0, 2\); "
        r"RELU \(operator 1\) \(supported: CONV_2D",
    ):
        import_tflite(_write(tmp_path, b, "many"))


def test_truncated_and_foreign_files_name_the_file(tmp_path: Path) -> None:
    b = Builder()
    x = b.activation((1, 4, 4, 2), 0.1, 0, "input")
    y = b.activation((1, 4, 4, 2), 0.1, 0, "output")
    b.op(OP.MAX_POOL_2D, [x], y, pool_options(1, 1, "VALID"))
    b.input, b.output = x, y
    whole = b.finish()
    for cut in (8, len(whole) // 3, len(whole) // 2, len(whole) - 40):
        path = tmp_path / f"cut{cut}.tflite"
        path.write_bytes(whole[:cut])
        with pytest.raises(ValueError, match=rf"cut{cut}\.tflite: (truncated or corrupt|not a)"):
            import_tflite(path)
    text = tmp_path / "notes.tflite"
    text.write_text("these are not the flatbuffers you are looking for\n" * 4)
    with pytest.raises(ValueError, match=r"notes\.tflite: not a"):
        import_tflite(text)


def test_compile_names_every_op_the_blob_cannot_hold_yet(tmp_path: Path) -> None:
    """Ops with a constant operand (Keras' hard-sigmoid) are what the blob lacks: all named at once."""
    from tinyops.compiler import UnsupportedOp, compile_model

    model = import_tflite(_keras_squeeze_excite(tmp_path / "keras_se.tflite", False))
    with pytest.raises(
        UnsupportedOp,
        match=r"keras_se\.tflite: the model blob cannot hold 2 op\(s\) yet: "
        r"add with a constant operand \(ops\[3\] relu6_x_plus_3\); mul with a constant operand \(ops\[4\] gate\)",
    ):
        compile_model(model, "stm32f746g-disco", "tinyops")


# ---- a MobileNetV3-Large-style model with squeeze-and-excite, end to end ----------------------------------


def _mbv3_se_model(path: Path, seed: int = 0) -> Path:
    """24x24x3 -> conv 3x3 s2 + HARD_SWISH -> [expand 1x1 relu, depthwise 5x5 s1 relu, SE (MEAN, conv relu,
    conv RELU_N1_TO_1 = the folded hard-sigmoid, MUL), project 1x1] + ADD -> [expand 1x1, HARD_SWISH,
    depthwise 3x3 s2, HARD_SWISH, SE, project] -> conv 1x1 + HARD_SWISH -> MEAN -> FC 10 -> SOFTMAX."""
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(seed))

    def conv(
        src: int,
        shape: tuple[int, int, int],
        cin: int,
        k: int,
        stride: int,
        act: str,
        q: tuple[float, int],
        name: str = "",
    ) -> int:
        dst = b.activation((1, *shape), *q, name)
        b.op(
            OP.CONV_2D,
            [src, weights((shape[2], k, k, cin), shape[2], 0), bias(shape[2])],
            dst,
            conv_options(stride, "SAME", act),
        )
        return dst

    def depthwise(src: int, shape: tuple[int, int, int], k: int, stride: int, act: str, q: tuple[float, int]) -> int:
        from tflite_builder import depthwise_options

        dst = b.activation((1, *shape), *q)
        b.op(
            OP.DEPTHWISE_CONV_2D,
            [src, weights((1, k, k, shape[2]), shape[2], 3), bias(shape[2])],
            dst,
            depthwise_options(stride, "SAME", act, 1),
        )
        return dst

    def hard_swish(src: int, shape: tuple[int, int, int], q: tuple[float, int]) -> int:
        dst = b.activation((1, *shape), *q)
        b.op(OP.HARD_SWISH, [src], dst)
        return dst

    def squeeze_excite(src: int, shape: tuple[int, int, int], q: tuple[float, int]) -> int:
        c = shape[2]
        pooled = b.activation((1, 1, 1, c), 0.03, -60)
        b.op(OP.MEAN, [src, b.constant(np.array([1, 2], np.int32))], pooled, reducer_options(True))
        reduced = conv(pooled, (1, 1, 8), c, 1, 1, "relu", (0.02, -128))
        gate = b.activation((1, 1, 1, c), 1 / 255, -128)  # a [0, 1] range: RELU_N1_TO_1 clamps to it
        b.op(OP.CONV_2D, [reduced, weights((c, 1, 1, 8), c, 0), bias(c)], gate, _options_n1_to_1())
        out = b.activation((1, *shape), *q)
        b.op(OP.MUL, [src, gate], out, mul_options())
        return out

    x = b.activation((1, 24, 24, 3), 0.02, 0, "input")
    stem = hard_swish(conv(x, (12, 12, 16), 3, 3, 2, "none", (0.08, 4)), (12, 12, 16), (0.05, -90))
    e1 = conv(stem, (12, 12, 48), 16, 1, 1, "relu", (0.04, -128))
    d1 = depthwise(e1, (12, 12, 48), 5, 1, "relu", (0.05, -128))
    s1 = squeeze_excite(d1, (12, 12, 48), (0.04, -128))
    p1 = conv(s1, (12, 12, 16), 48, 1, 1, "none", (0.06, 3))
    r1 = b.activation((1, 12, 12, 16), 0.07, -20)
    b.op(OP.ADD, [stem, p1], r1, _add_none())
    e2 = hard_swish(conv(r1, (12, 12, 64), 16, 1, 1, "none", (0.06, 5)), (12, 12, 64), (0.04, -100))
    d2 = hard_swish(depthwise(e2, (6, 6, 64), 3, 2, "none", (0.05, 2)), (6, 6, 64), (0.03, -110))
    s2 = squeeze_excite(d2, (6, 6, 64), (0.02, -110))
    p2 = conv(s2, (6, 6, 24), 64, 1, 1, "none", (0.05, 0))
    head = hard_swish(conv(p2, (6, 6, 96), 24, 1, 1, "none", (0.06, -8)), (6, 6, 96), (0.04, -100))
    pooled = b.activation((1, 96), 0.02, -100)
    b.op(OP.MEAN, [head, b.constant(np.array([1, 2], np.int32))], pooled, reducer_options(False))
    logits = b.activation((1, 10), 0.03, 0, "logits")
    fc_w = b.constant(np.random.default_rng(seed + 1).integers(-127, 128, size=(10, 96), dtype=np.int8), [0.01], 0)
    b.op(OP.FULLY_CONNECTED, [pooled, fc_w, bias(10)], logits, fc_options("none"))
    y = b.activation((1, 10), *UNIT, "probabilities")
    b.op(OP.SOFTMAX, [logits], y, softmax_options(1.0))
    b.input, b.output = x, y
    path.write_bytes(b.finish())
    return path


def _options_n1_to_1():  # type: ignore[no-untyped-def]
    import tflite_builder

    return tflite_builder._options(
        "Conv2DOptions",
        Padding=tflite.Padding.VALID,
        StrideW=1,
        StrideH=1,
        FusedActivationFunction=tflite.ActivationFunctionType.RELU_N1_TO_1,
        DilationWFactor=1,
        DilationHFactor=1,
    )


def _add_none():  # type: ignore[no-untyped-def]
    from tflite_builder import add_options

    return add_options("none")


def test_mobilenet_v3_style_model_with_squeeze_excite_matches_tflite(tmp_path: Path) -> None:
    path = _mbv3_se_model(tmp_path / "mbv3_se.tflite")
    model = import_tflite(path)
    counts = model.op_counts()
    assert counts["mean"] == 3 and counts["mul"] == 2 and "hard_swish" not in counts  # every hard-swish fused
    assert counts["softmax"] == 1
    images = _images((24, 24, 3), n=6, seed=4)
    _check(path, images, min_distinct=10)
    tensors = _interpreters.litert_tensors(path, images[0])
    values = evaluate(model, images[0], keep_intermediates=True)
    for op in model.ops:  # every intermediate, the SE gates and products included
        name = model.tensors[op.output].name
        np.testing.assert_array_equal(values[op.output], tensors[name].reshape(values[op.output].shape), err_msg=name)


def test_handoff_files_keep_the_new_ops_beta_and_float_edges(tmp_path: Path) -> None:
    from tinyops.compiler import derive_integer_params, load_model, save_model

    model = import_tflite(_mbv3_se_model(tmp_path / "mbv3_se.tflite"))
    model.ops[-1].beta = 0.5  # softmax
    derive_integer_params(model)
    again = load_model(save_model(model, tmp_path / "mbv3_se.npz"))
    assert [(op.kind, op.beta, op.op_params) for op in again.ops] == [
        (op.kind, op.beta, op.op_params) for op in model.ops
    ]
    images = _images((24, 24, 3), n=2, seed=5)
    np.testing.assert_array_equal(evaluate(again, images), evaluate(model, images))
    model.float_input = model.float_output = True
    again = load_model(save_model(model, tmp_path / "edges.npz"))
    assert (again.float_input, again.float_output) == (True, True)


# ---- constant operands: Keras' hard-sigmoid, relu6(x + 3) * (1/6) -------------------------------------------


def _keras_squeeze_excite(path: Path, constant_first: bool) -> Path:
    """SE as Keras' MobileNetV3 exports it: MEAN -> conv relu -> conv -> ADD(+3, fused RELU6) -> MUL(* 1/6)
    -> MUL with the features. The constants are int8 scalars with their own quantization."""
    b = Builder()
    weights, bias = random_constants(b, np.random.default_rng(11))
    x = b.activation((1, 8, 8, 16), 0.05, -3, "input")
    m = b.activation((1, 1, 1, 16), 0.01, 7, "mean")
    b.op(OP.MEAN, [x, b.constant(np.array([1, 2], np.int32))], m, reducer_options(True))
    r = b.activation((1, 1, 1, 4), 0.02, -128, "reduce")
    b.op(OP.CONV_2D, [m, weights((4, 1, 1, 16), 4, 0), bias(4)], r, conv_options(1, "VALID", "relu"))
    e = b.activation((1, 1, 1, 16), 0.06, 2, "expand")
    b.op(OP.CONV_2D, [r, weights((16, 1, 1, 4), 16, 0), bias(16)], e, conv_options(1, "VALID", "none"))
    three = b.constant(np.array(127, np.int8).reshape(()), [3 / 127], 0)
    shifted = b.activation((1, 1, 1, 16), 6 / 255, -128, "relu6_x_plus_3")
    b.op(OP.ADD, [three, e] if constant_first else [e, three], shifted, _add_relu6())
    sixth = b.constant(np.array([127], np.int8), [1 / 6 / 127], 0)
    gate = b.activation((1, 1, 1, 16), 1 / 255, -128, "gate")
    b.op(OP.MUL, [sixth, shifted] if constant_first else [shifted, sixth], gate, mul_options())
    y = b.activation((1, 8, 8, 16), 0.03, -5, "output")
    b.op(OP.MUL, [x, gate], y, mul_options())
    b.input, b.output = x, y
    path.write_bytes(b.finish())
    return path


def _add_relu6():  # type: ignore[no-untyped-def]
    from tflite_builder import add_options

    return add_options("relu6")


@pytest.mark.parametrize("constant_first", [False, True])
def test_keras_hard_sigmoid_with_constant_operands_matches_tflite(tmp_path: Path, constant_first: bool) -> None:
    from tinyops.compiler import UnsupportedOp, compile_model, save_model

    path = _keras_squeeze_excite(tmp_path / "keras_se.tflite", constant_first)
    model = _check(path, _images((8, 8, 16)), ["mean", "conv2d", "conv2d", "add", "mul", "mul"], min_distinct=50)
    constants = [t for t in model.tensors if t.data is not None]
    assert [(t.shape, int(t.data.reshape(-1)[0])) for t in constants] == [((1, 1, 1), 127), ((1, 1, 1), 127)]
    assert [model.tensors[i].data is not None for i in model.ops[3].inputs] == [False, True]  # constant second
    values = evaluate(model, _images((8, 8, 16))[0], keep_intermediates=True)
    gate = values[model.ops[4].output]
    assert gate.min() >= -128 and len(np.unique(gate)) > 5  # a real [0, 1] gate
    with pytest.raises(UnsupportedOp, match=r"add with a constant operand \(ops\[3\] relu6_x_plus_3\)"):
        compile_model(model, "stm32f746g-disco", "tinyops")
    with pytest.raises(ValueError, match="holds no constant operands"):
        save_model(model, tmp_path / "keras_se.npz")
