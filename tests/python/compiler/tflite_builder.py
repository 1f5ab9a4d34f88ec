"""Writes small int8 .tflite models (flatbuffers through the `tflite` package's builders) for tests: one
subgraph, one op per layer, so that every op kind and option the r064 model lacks is checked against the
reference interpreters."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite

# The tflite package re-exports each table class under its module's name; the builder functions live in
# the modules themselves.
_fb = {
    name: importlib.import_module(f"tflite.{name}")
    for name in (
        "Buffer",
        "Tensor",
        "QuantizationParameters",
        "Operator",
        "OperatorCode",
        "SubGraph",
        "Model",
        "Conv2DOptions",
        "DepthwiseConv2DOptions",
        "Pool2DOptions",
        "AddOptions",
        "FullyConnectedOptions",
        "PadOptions",
        "ReshapeOptions",
        "MulOptions",
        "ReducerOptions",
        "SoftmaxOptions",
        "ConcatenationOptions",
    )
}
_ACT = {"none": 0, "relu": 1, "relu6": 3}


@dataclass
class Builder:
    """Add tensors and ops, then `finish()` -> the .tflite bytes."""

    tensors: list[dict] = field(default_factory=list)
    ops: list[dict] = field(default_factory=list)
    input: int = -1
    output: int = -1

    def activation(self, shape: tuple[int, ...], scale: float, zero_point: int, name: str = "") -> int:
        self.tensors.append(
            {
                "shape": shape,
                "type": tflite.TensorType.INT8,
                "scales": [scale],
                "zps": [zero_point],
                "data": None,
                "name": name or f"t{len(self.tensors)}",
            }
        )
        return len(self.tensors) - 1

    def float_tensor(self, shape: tuple[int, ...], name: str = "") -> int:
        """A float32 tensor (the interface of a float-edged model), without quantization."""
        self.tensors.append(
            {
                "shape": shape,
                "type": tflite.TensorType.FLOAT32,
                "scales": None,
                "zps": [],
                "data": None,
                "name": name or f"f{len(self.tensors)}",
            }
        )
        return len(self.tensors) - 1

    def constant(self, array: np.ndarray, scales: list[float] | None = None, dim: int = 0) -> int:
        kind = {np.int8: tflite.TensorType.INT8, np.int32: tflite.TensorType.INT32}[array.dtype.type]
        self.tensors.append(
            {
                "shape": array.shape,
                "type": kind,
                "scales": scales,
                "zps": [0] * len(scales or []),
                "data": array.astype(array.dtype.newbyteorder("<")).tobytes(),
                "dim": dim,
                "name": f"c{len(self.tensors)}",
            }
        )
        return len(self.tensors) - 1

    def op(self, code: int, inputs: list[int], output: int, options: tuple | None = None) -> None:
        self.ops.append({"code": code, "inputs": inputs, "output": output, "options": options})

    def finish(self) -> bytes:
        b = flatbuffers.Builder(4096)
        buffers = [_buffer(b, None)] + [_buffer(b, t["data"]) for t in self.tensors]
        tensors = [_tensor(b, t, k + 1) for k, t in enumerate(self.tensors)]
        codes = sorted({o["code"] for o in self.ops})
        operators = [_operator(b, o, codes.index(o["code"])) for o in self.ops]
        opcodes = []
        for code in codes:
            _fb["OperatorCode"].Start(b)
            _fb["OperatorCode"].AddDeprecatedBuiltinCode(b, min(code, 127))
            _fb["OperatorCode"].AddBuiltinCode(b, code)
            _fb["OperatorCode"].AddVersion(b, 1)
            opcodes.append(_fb["OperatorCode"].End(b))
        name = b.CreateString("main")
        tensors_vec = _vector(b, _fb["SubGraph"].StartTensorsVector, tensors)
        inputs_vec = _ints(b, _fb["SubGraph"].StartInputsVector, [self.input])
        outputs_vec = _ints(b, _fb["SubGraph"].StartOutputsVector, [self.output])
        ops_vec = _vector(b, _fb["SubGraph"].StartOperatorsVector, operators)
        _fb["SubGraph"].Start(b)
        _fb["SubGraph"].AddTensors(b, tensors_vec)
        _fb["SubGraph"].AddInputs(b, inputs_vec)
        _fb["SubGraph"].AddOutputs(b, outputs_vec)
        _fb["SubGraph"].AddOperators(b, ops_vec)
        _fb["SubGraph"].AddName(b, name)
        subgraph = _fb["SubGraph"].End(b)
        subgraphs = _vector(b, _fb["Model"].StartSubgraphsVector, [subgraph])
        codes_vec = _vector(b, _fb["Model"].StartOperatorCodesVector, opcodes)
        buffers_vec = _vector(b, _fb["Model"].StartBuffersVector, buffers)
        description = b.CreateString("tinyops test model")
        _fb["Model"].Start(b)
        _fb["Model"].AddVersion(b, 3)
        _fb["Model"].AddOperatorCodes(b, codes_vec)
        _fb["Model"].AddSubgraphs(b, subgraphs)
        _fb["Model"].AddDescription(b, description)
        _fb["Model"].AddBuffers(b, buffers_vec)
        b.Finish(_fb["Model"].End(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _vector(b: flatbuffers.Builder, start, offsets: list[int]) -> int:
    start(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _ints(b: flatbuffers.Builder, start, values: list[int]) -> int:
    start(b, len(values))
    for v in reversed(values):
        b.PrependInt32(v)
    return b.EndVector()


def _buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = None
    if data:
        vec = b.CreateByteVector(data)
    _fb["Buffer"].Start(b)
    if vec is not None:
        _fb["Buffer"].AddData(b, vec)
    return _fb["Buffer"].End(b)


def _tensor(b: flatbuffers.Builder, t: dict, buffer_index: int) -> int:
    name = b.CreateString(t["name"])
    shape = _ints(b, _fb["Tensor"].StartShapeVector, list(t["shape"]))
    quant = None
    if t["scales"]:
        _fb["QuantizationParameters"].StartScaleVector(b, len(t["scales"]))
        for s in reversed(t["scales"]):
            b.PrependFloat32(s)
        scales = b.EndVector()
        _fb["QuantizationParameters"].StartZeroPointVector(b, len(t["zps"]))
        for z in reversed(t["zps"]):
            b.PrependInt64(z)
        zps = b.EndVector()
        _fb["QuantizationParameters"].Start(b)
        _fb["QuantizationParameters"].AddScale(b, scales)
        _fb["QuantizationParameters"].AddZeroPoint(b, zps)
        _fb["QuantizationParameters"].AddQuantizedDimension(b, t.get("dim", 0))
        quant = _fb["QuantizationParameters"].End(b)
    _fb["Tensor"].Start(b)
    _fb["Tensor"].AddShape(b, shape)
    _fb["Tensor"].AddType(b, t["type"])
    _fb["Tensor"].AddBuffer(b, buffer_index if t["data"] is not None else 0)
    _fb["Tensor"].AddName(b, name)
    if quant is not None:
        _fb["Tensor"].AddQuantization(b, quant)
    return _fb["Tensor"].End(b)


def _operator(b: flatbuffers.Builder, o: dict, opcode_index: int) -> int:
    options_type, options = 0, None
    if o["options"] is not None:
        options_type, write = o["options"]
        options = write(b)
    inputs = _ints(b, _fb["Operator"].StartInputsVector, o["inputs"])
    outputs = _ints(b, _fb["Operator"].StartOutputsVector, [o["output"]])
    _fb["Operator"].Start(b)
    _fb["Operator"].AddOpcodeIndex(b, opcode_index)
    _fb["Operator"].AddInputs(b, inputs)
    _fb["Operator"].AddOutputs(b, outputs)
    if options is not None:
        _fb["Operator"].AddBuiltinOptionsType(b, options_type)
        _fb["Operator"].AddBuiltinOptions(b, options)
    return _fb["Operator"].End(b)


def _options(table: str, **fields: int):
    """A builtin-options table from its field values (``Add<Field>`` of the table's module)."""

    def write(b):
        module = _fb[table]
        module.Start(b)
        for name, value in fields.items():
            getattr(module, f"Add{name}")(b, value)
        return module.End(b)

    return getattr(tflite.BuiltinOptions, table), write


def conv_options(stride: int, padding: str, act: str, dilation: int = 1):
    return _options(
        "Conv2DOptions",
        Padding=getattr(tflite.Padding, padding),
        StrideW=stride,
        StrideH=stride,
        FusedActivationFunction=_ACT[act],
        DilationWFactor=dilation,
        DilationHFactor=dilation,
    )


def depthwise_options(stride: int, padding: str, act: str, multiplier: int, dilation: int = 1):
    return _options(
        "DepthwiseConv2DOptions",
        Padding=getattr(tflite.Padding, padding),
        StrideW=stride,
        StrideH=stride,
        DepthMultiplier=multiplier,
        FusedActivationFunction=_ACT[act],
        DilationWFactor=dilation,
        DilationHFactor=dilation,
    )


def pool_options(kernel: int, stride: int, padding: str, act: str = "none"):
    return _options(
        "Pool2DOptions",
        Padding=getattr(tflite.Padding, padding),
        StrideW=stride,
        StrideH=stride,
        FilterWidth=kernel,
        FilterHeight=kernel,
        FusedActivationFunction=_ACT[act],
    )


def add_options(act: str):
    return _options("AddOptions", FusedActivationFunction=_ACT[act])


def fc_options(act: str):
    return _options("FullyConnectedOptions", FusedActivationFunction=_ACT[act])


def mul_options(act: str = "none"):
    return _options("MulOptions", FusedActivationFunction=_ACT[act])


def reducer_options(keep_dims: bool):
    return _options("ReducerOptions", KeepDims=keep_dims)


def softmax_options(beta: float):
    return _options("SoftmaxOptions", Beta=beta)


def concatenation_options(axis: int, act: str = "none"):
    return _options("ConcatenationOptions", Axis=axis, FusedActivationFunction=_ACT[act])


def pad_options():
    return _options("PadOptions")


def reshape_options(shape: list[int]):
    def write(b):
        vec = _ints(b, _fb["ReshapeOptions"].StartNewShapeVector, shape)
        _fb["ReshapeOptions"].Start(b)
        _fb["ReshapeOptions"].AddNewShape(b, vec)
        return _fb["ReshapeOptions"].End(b)

    return tflite.BuiltinOptions.ReshapeOptions, write


def random_constants(bld: Builder, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """(weights(shape, channels, dim), bias(n)): random int8 weights with per-channel scales on dimension
    `dim` and random int32 biases, added to `bld` as constants."""

    def weights(shape, channels, dim):  # type: ignore[no-untyped-def]
        return bld.constant(
            rng.integers(-127, 128, size=shape, dtype=np.int8),
            [float(s) for s in rng.uniform(0.002, 0.02, channels)],
            dim,
        )

    def bias(n):  # type: ignore[no-untyped-def]
        return bld.constant(rng.integers(-3000, 3000, size=n).astype(np.int32))

    return weights, bias


def all_ops_model(seed: int = 0) -> bytes:
    """12x12x4 input: conv 3x3 SAME stride 1 dilation 2 relu -> depthwise 3x3 VALID stride 2 multiplier 2 ->
    pad (1, 2, 0, 1) -> average pool 3x3 SAME stride 1 -> conv 1x1 -> add (with the pad's output, relu6) ->
    average pool 2x2 stride 2 VALID -> reshape -> fully connected 10 -> output."""
    rng = np.random.default_rng(seed)
    bld = Builder()
    op = tflite.BuiltinOperator
    weights, bias = random_constants(bld, rng)

    x = bld.activation((1, 12, 12, 4), 0.05, -3, "input")
    bld.input = x
    c1 = bld.activation((1, 12, 12, 8), 0.04, -128)
    bld.op(op.CONV_2D, [x, weights((8, 3, 3, 4), 8, 0), bias(8)], c1, conv_options(1, "SAME", "relu", 2))
    d1 = bld.activation((1, 5, 5, 16), 0.06, 5)
    bld.op(
        op.DEPTHWISE_CONV_2D,
        [c1, weights((1, 3, 3, 16), 16, 3), bias(16)],
        d1,
        depthwise_options(2, "VALID", "none", 2),
    )
    p1 = bld.activation((1, 6, 8, 16), 0.06, 5)
    pads = bld.constant(np.array([[0, 0], [1, 0], [2, 1], [0, 0]], np.int32))
    bld.op(op.PAD, [d1, pads], p1, pad_options())
    a1 = bld.activation((1, 6, 8, 16), 0.06, 5)
    bld.op(op.AVERAGE_POOL_2D, [p1], a1, pool_options(3, 1, "SAME"))
    c2 = bld.activation((1, 6, 8, 16), 0.07, -10)
    bld.op(op.CONV_2D, [a1, weights((16, 1, 1, 16), 16, 0), bias(16)], c2, conv_options(1, "VALID", "none"))
    s1 = bld.activation((1, 6, 8, 16), 0.03, -128)
    bld.op(op.ADD, [c2, p1], s1, add_options("relu6"))
    _pool_reshape_fc(bld, rng, bias, s1, (3, 4, 16), 0.03)
    return bld.finish()


def _pool_reshape_fc(
    bld: Builder,
    rng: np.random.Generator,
    bias: Callable[[int], int],
    x: int,
    pooled: tuple[int, int, int],
    scale: float,
) -> None:
    """Average pool 2x2 stride 2 VALID of `x` to `pooled` -> reshape (1, N) -> fully connected 10 -> the output."""
    op = tflite.BuiltinOperator
    n = pooled[0] * pooled[1] * pooled[2]
    a = bld.activation((1, *pooled), scale, -128)
    bld.op(op.AVERAGE_POOL_2D, [x], a, pool_options(2, 2, "VALID"))
    r = bld.activation((1, n), scale, -128)
    bld.op(op.RESHAPE, [a], r, reshape_options([1, n]))
    y = bld.activation((1, 10), 0.2, 3, "logits")
    fc_w = bld.constant(rng.integers(-127, 128, size=(10, n), dtype=np.int8), [0.01], 0)
    bld.op(op.FULLY_CONNECTED, [r, fc_w, bias(10)], y, fc_options("none"))
    bld.output = y


def pool_reshape_fc_model(seed: int = 0) -> bytes:
    """8x8x4 input: conv 1x1 relu -> average pool 2x2 stride 2 VALID (4x4x8, not global) -> reshape (1, 128) ->
    fully connected 10: the core plans the fully connected op on the pool's 4x4x8 rows, the blob reads 1x1x128."""
    rng = np.random.default_rng(seed)
    bld = Builder()
    op = tflite.BuiltinOperator
    weights, bias = random_constants(bld, rng)
    x = bld.activation((1, 8, 8, 4), 0.05, -3, "input")
    bld.input = x
    c1 = bld.activation((1, 8, 8, 8), 0.04, -128)
    bld.op(op.CONV_2D, [x, weights((8, 1, 1, 4), 8, 0), bias(8)], c1, conv_options(1, "SAME", "relu"))
    _pool_reshape_fc(bld, rng, bias, c1, (4, 4, 8), 0.04)
    return bld.finish()
