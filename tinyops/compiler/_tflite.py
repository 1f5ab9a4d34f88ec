"""`.tflite` front end: reads the flatbuffer with the PyPI ``tflite`` package (no TensorFlow) into the IR.

Supported: one subgraph, batch 1, int8 activations with per-tensor quantization, ops CONV_2D,
DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, MAX_POOL_2D, FULLY_CONNECTED, PAD and RESHAPE with TFLite's SAME/VALID
padding turned into the explicit padding TFLite computes; HARD_SWISH (fused into the convolution right before
it where it alone reads that convolution's output, else an op of its own); MUL (equal shapes or a (1, 1, C)
second input), MEAN over rows and columns, LOGISTIC, SOFTMAX and CONCATENATION along channels; ADD and MUL with an
int8 constant operand (a scalar or per channel: Keras' hard-sigmoid, relu6(x + 3) * (1/6)); QUANTIZE of a
float32 model input and DEQUANTIZE to a float32 model output (the edges of a float-interface model: the IR is
the int8 core, ``float_input``/``float_output`` recorded). Unsupported operators are one ValueError naming them
all; anything else wrong is a ValueError naming the op or tensor.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import tflite

from tinyops.compiler._ir import OpKind, Padding, QuantizedModel, QuantizedOp, QuantizedTensor, derive_integer_params

_ACTIVATIONS = {
    tflite.ActivationFunctionType.NONE: "none",
    tflite.ActivationFunctionType.RELU: "relu",
    tflite.ActivationFunctionType.RELU6: "relu6",
    tflite.ActivationFunctionType.RELU_N1_TO_1: "relu_n1_to_1",
}
_OPERATOR_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_SUPPORTED = {
    tflite.BuiltinOperator.CONV_2D: OpKind.CONV2D,
    tflite.BuiltinOperator.DEPTHWISE_CONV_2D: OpKind.DEPTHWISE_CONV2D,
    tflite.BuiltinOperator.ADD: OpKind.ADD,
    tflite.BuiltinOperator.AVERAGE_POOL_2D: OpKind.AVERAGE_POOL2D,
    tflite.BuiltinOperator.FULLY_CONNECTED: OpKind.FULLY_CONNECTED,
    tflite.BuiltinOperator.PAD: OpKind.PAD,
    tflite.BuiltinOperator.RESHAPE: OpKind.RESHAPE,
    tflite.BuiltinOperator.MUL: OpKind.MUL,
    tflite.BuiltinOperator.MEAN: OpKind.MEAN,
    tflite.BuiltinOperator.LOGISTIC: OpKind.LOGISTIC,
    tflite.BuiltinOperator.SOFTMAX: OpKind.SOFTMAX,
    tflite.BuiltinOperator.MAX_POOL_2D: OpKind.MAX_POOL2D,
    tflite.BuiltinOperator.CONCATENATION: OpKind.CONCATENATION,
    tflite.BuiltinOperator.HARD_SWISH: OpKind.HARD_SWISH,
}
_EDGES = (tflite.BuiltinOperator.QUANTIZE, tflite.BuiltinOperator.DEQUANTIZE)


def tflite_padding(padding: int, in_size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int, int]:
    """(out_size, pad_before, pad_after) as TFLite's ComputePaddingHeightWidth computes them."""
    effective = (kernel - 1) * dilation + 1
    if padding == tflite.Padding.SAME:
        out = (in_size + stride - 1) // stride
    elif padding == tflite.Padding.VALID:
        out = (in_size + stride - effective) // stride
    else:
        raise ValueError(f"unknown padding {padding}")
    total = max((out - 1) * stride + effective - in_size, 0)
    return out, total // 2, total - total // 2


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.buf = path.read_bytes()
        try:
            if not tflite.Model.ModelBufferHasIdentifier(self.buf, 0):
                raise ValueError("missing the TFL3 file identifier")
            self.model = tflite.Model.GetRootAsModel(self.buf, 0)
            if self.model.SubgraphsLength() != 1:
                raise ValueError(f"expected one subgraph, found {self.model.SubgraphsLength()}")
            self.graph = self.model.Subgraphs(0)
        except ValueError as exc:
            raise ValueError(f"{path}: not a usable .tflite model: {exc}") from None
        except Exception as exc:  # flatbuffers raises struct/index errors on garbage
            raise ValueError(f"{path}: not a .tflite flatbuffer ({type(exc).__name__}: {exc})") from None
        self.ir_index: dict[int, int] = {}
        self.tensors: list[QuantizedTensor] = []

    def fail(self, where: str, what: str) -> ValueError:
        return ValueError(f"{self.path}: {where}: {what}")

    def tensor_name(self, index: int) -> str:
        return self.graph.Tensors(index).Name().decode(errors="replace")

    def dims(self, index: int) -> list[int]:
        t = self.graph.Tensors(index)
        return [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []

    def quant(self, index: int) -> tuple[np.ndarray, np.ndarray, int]:
        q = self.graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            raise self.fail(f"tensor {index} ({self.tensor_name(index)})", "expected quantization parameters")
        zps = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros(q.ScaleLength(), np.int64)
        return q.ScaleAsNumpy().astype(np.float32), np.asarray(zps, dtype=np.int64), q.QuantizedDimension()

    def constant(self, index: int, dtype: type) -> np.ndarray:
        t = self.graph.Tensors(index)
        where = f"tensor {index} ({self.tensor_name(index)})"
        types: dict[object, int] = {np.int8: tflite.TensorType.INT8, np.int32: tflite.TensorType.INT32}
        expected = types[dtype]
        if t.Type() != expected:
            raise self.fail(where, f"expected type {np.dtype(dtype).name}, got TensorType {t.Type()}")
        buffer = self.model.Buffers(t.Buffer())
        if buffer.DataLength() > 0:
            raw = buffer.DataAsNumpy().tobytes()
        elif buffer.Offset() > 1:  # data stored after the flatbuffer (models over 2 GB)
            raw = self.buf[buffer.Offset() : buffer.Offset() + buffer.Size()]
        else:
            raise self.fail(where, "expected constant data (a weight or bias), found none")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        count = int(np.prod(shape)) if shape else 1
        if len(raw) != count * np.dtype(dtype).itemsize:
            raise self.fail(
                where, f"buffer holds {len(raw)} bytes, shape {shape} needs {count * np.dtype(dtype).itemsize}"
            )
        return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)

    def activation(self, index: int) -> int:
        """The IR index of an int8 activation tensor (created on first use)."""
        if index in self.ir_index:
            return self.ir_index[index]
        t = self.graph.Tensors(index)
        where = f"tensor {index} ({self.tensor_name(index)})"
        if t.Type() != tflite.TensorType.INT8:
            raise self.fail(where, f"expected an int8 activation, got TensorType {t.Type()}")
        if self.is_constant(index):
            raise self.fail(
                where,
                "a constant where an activation is expected (constants are supported as "
                "the operand of ADD and MUL only)",
            )
        dims = self.dims(index)
        if len(dims) == 4 and dims[0] == 1:
            shape = (dims[1], dims[2], dims[3])
        elif len(dims) == 2 and dims[0] == 1:
            shape = (1, 1, dims[1])
        elif len(dims) == 1:
            shape = (1, 1, dims[0])
        else:
            raise self.fail(where, f"expected shape [1, H, W, C] or [1, C], got {dims}")
        scales, zps, _ = self.quant(index)
        if len(scales) != 1:
            raise self.fail(where, f"expected per-tensor activation quantization, got {len(scales)} scales")
        self.ir_index[index] = len(self.tensors)
        self.tensors.append(QuantizedTensor(self.tensor_name(index), shape, float(scales[0]), int(zps[0])))
        return self.ir_index[index]

    def is_constant(self, index: int) -> bool:
        return self.model.Buffers(self.graph.Tensors(index).Buffer()).DataLength() > 0

    def constant_operand(self, index: int) -> int:
        """The IR index of an int8 constant operand (a scalar, [C] or [1, 1, 1, C]), created on first use."""
        if index in self.ir_index:
            return self.ir_index[index]
        where = f"tensor {index} ({self.tensor_name(index)})"
        data = self.constant(index, np.int8)
        if data.size == 1:
            shape = (1, 1, 1)
        elif data.ndim in (1, 4) and data.shape[:-1] in ((), (1, 1, 1)):
            shape = (1, 1, data.shape[-1])
        else:
            raise self.fail(where, f"expected a constant scalar, [C] or [1, 1, 1, C], got shape {list(data.shape)}")
        scales, zps, _ = self.quant(index)
        if len(scales) != 1:
            raise self.fail(where, f"expected per-tensor quantization, got {len(scales)} scales")
        self.ir_index[index] = len(self.tensors)
        self.tensors.append(
            QuantizedTensor(
                self.tensor_name(index),
                shape,
                float(scales[0]),
                int(zps[0]),
                data=np.ascontiguousarray(data.reshape(shape)),
            )
        )
        return self.ir_index[index]

    def operands(self, where: str, first: int, second: int) -> list[int]:
        """ADD's / MUL's inputs, a constant one second (both ops are symmetric in their inputs)."""
        if self.is_constant(first) and self.is_constant(second):
            raise self.fail(where, "both inputs are constants")
        if self.is_constant(first):
            first, second = second, first
        second_ir = self.constant_operand(second) if self.is_constant(second) else self.activation(second)
        return [self.activation(first), second_ir]

    def weight_scales(self, index: int, channels: int, channel_dim: int) -> np.ndarray:
        scales, zps, dim = self.quant(index)
        where = f"tensor {index} ({self.tensor_name(index)})"
        if np.any(zps != 0):
            raise self.fail(where, "expected symmetric weights (zero points 0)")
        if len(scales) == 1:
            return np.repeat(scales, channels).astype(np.float32)
        if len(scales) != channels or dim != channel_dim:
            raise self.fail(
                where,
                f"expected {channels} per-channel scales on dimension {channel_dim}, got "
                f"{len(scales)} on dimension {dim}",
            )
        return scales.astype(np.float32)

    def bias(self, inputs: np.ndarray, channels: int) -> np.ndarray:
        if len(inputs) < 3 or inputs[2] < 0:
            return np.zeros(channels, np.int32)
        bias = self.constant(int(inputs[2]), np.int32).reshape(-1)
        if bias.shape != (channels,):
            raise self.fail(
                f"tensor {inputs[2]} ({self.tensor_name(int(inputs[2]))})",
                f"expected {channels} biases, got {bias.shape}",
            )
        return bias


def _options(op, options_class):
    table = op.BuiltinOptions()
    opts = options_class()
    if table is None:
        raise ValueError("missing builtin options")
    opts.Init(table.Bytes, table.Pos)
    return opts


def _activation(r: _Reader, where: str, code: int) -> str:
    if code not in _ACTIVATIONS:
        raise r.fail(where, f"unsupported fused activation {code} (expected NONE, RELU, RELU6, RELU_N1_TO_1)")
    return _ACTIVATIONS[code]


def _convert_op(r: _Reader, k: int, op, code: int) -> QuantizedOp:  # noqa: C901 - one case per op kind
    kind = _SUPPORTED[code]
    inputs = op.InputsAsNumpy()
    out_index = int(op.OutputsAsNumpy()[0])
    name = r.tensor_name(out_index)
    where = f"operator {k} ({_OPERATOR_NAMES.get(code, code)}, output {name})"
    if kind in (OpKind.ADD, OpKind.MUL):
        x, second = r.operands(where, int(inputs[0]), int(inputs[1]))
    else:
        x = r.activation(int(inputs[0]))
    in_shape = r.tensors[x].shape
    result = QuantizedOp(kind=kind, name=name, inputs=[x], output=-1)
    if kind in (OpKind.ADD, OpKind.MUL):
        result.inputs.append(second)

    if kind in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D, OpKind.AVERAGE_POOL2D, OpKind.MAX_POOL2D):
        if kind == OpKind.CONV2D:
            o = _options(op, tflite.Conv2DOptions)
            weights = r.constant(int(inputs[1]), np.int8)
            if weights.ndim != 4 or weights.shape[3] != in_shape[2]:
                raise r.fail(where, f"expected OHWI weights with {in_shape[2]} input channels, got {weights.shape}")
            kh, kw = weights.shape[1:3]
            cout = weights.shape[0]
            dilation = (o.DilationHFactor(), o.DilationWFactor())
            result.weight_scales = r.weight_scales(int(inputs[1]), cout, 0)
        elif kind == OpKind.DEPTHWISE_CONV2D:
            o = _options(op, tflite.DepthwiseConv2DOptions)
            weights = r.constant(int(inputs[1]), np.int8)
            if weights.ndim != 4 or weights.shape[0] != 1:
                raise r.fail(where, f"expected depthwise weights [1, kh, kw, Cout], got {weights.shape}")
            kh, kw, cout = weights.shape[1:4]
            weights = weights[0]
            dilation = (o.DilationHFactor(), o.DilationWFactor())
            result.depth_multiplier = cout // in_shape[2] if in_shape[2] else 0
            result.weight_scales = r.weight_scales(int(inputs[1]), cout, 3)
        else:
            o = _options(op, tflite.Pool2DOptions)
            weights, kh, kw, cout, dilation = None, o.FilterHeight(), o.FilterWidth(), in_shape[2], (1, 1)
        stride = (o.StrideH(), o.StrideW())
        if min(stride + dilation + (kh, kw)) < 1:
            raise r.fail(where, f"expected positive kernel, stride and dilation, got {(kh, kw)}, {stride}, {dilation}")
        oh, top, bottom = tflite_padding(o.Padding(), in_shape[0], kh, stride[0], dilation[0])
        ow, left, right = tflite_padding(o.Padding(), in_shape[1], kw, stride[1], dilation[1])
        result.kernel, result.stride, result.dilation = (kh, kw), stride, dilation
        result.padding = Padding(top, left, bottom, right)
        result.activation = _activation(r, where, o.FusedActivationFunction())
        if weights is not None:
            result.weights = np.ascontiguousarray(weights)
            result.bias = r.bias(inputs, cout)
    elif kind == OpKind.FULLY_CONNECTED:
        o = _options(op, tflite.FullyConnectedOptions)
        if o.WeightsFormat() != 0:
            raise r.fail(where, "expected the DEFAULT weights format")
        weights = r.constant(int(inputs[1]), np.int8)
        cin = in_shape[0] * in_shape[1] * in_shape[2]
        if weights.ndim != 2 or weights.shape[1] != cin:
            raise r.fail(where, f"expected weights [Cout, {cin}], got {weights.shape}")
        scales, zps, _ = r.quant(int(inputs[1]))
        if len(scales) != 1 and len(scales) != weights.shape[0]:
            raise r.fail(where, "expected per-tensor or per-channel weight scales")
        result.weights = np.ascontiguousarray(weights)
        result.weight_scales = np.resize(scales, weights.shape[0]).astype(np.float32)
        result.weight_zero_point = int(zps[0])
        result.bias = r.bias(inputs, weights.shape[0])
        result.activation = _activation(r, where, o.FusedActivationFunction())
    elif kind == OpKind.ADD:
        o = _options(op, tflite.AddOptions)
        result.activation = _activation(r, where, o.FusedActivationFunction())
    elif kind == OpKind.PAD:
        all_pads = r.constant(int(inputs[1]), np.int32)
        if all_pads.shape not in ((4, 2), (3, 2)) or np.any(all_pads < 0):
            raise r.fail(where, f"expected non-negative paddings of shape [4, 2], got {all_pads.tolist()}")
        if len(all_pads) == 4 and np.any(all_pads[0]):
            raise r.fail(where, "padding the batch dimension is not supported")
        pads = all_pads[-3:]
        if np.any(pads[2]):
            raise r.fail(where, "padding the channel dimension is not supported")
        result.padding = Padding(int(pads[0][0]), int(pads[1][0]), int(pads[0][1]), int(pads[1][1]))
    else:
        _convert_new_op(r, where, op, kind, inputs, result)
    # RESHAPE, LOGISTIC, HARD_SWISH: nothing beyond the shapes.
    result.output = r.activation(out_index)
    return result


def _convert_new_op(r: _Reader, where: str, op, kind: OpKind, inputs: np.ndarray, result: QuantizedOp) -> None:
    """The options of MUL, MEAN, SOFTMAX and CONCATENATION."""
    if kind == OpKind.MUL:
        result.activation = _activation(r, where, _options(op, tflite.MulOptions).FusedActivationFunction())
    elif kind == OpKind.MEAN:
        rank = len(r.dims(int(inputs[0])))
        axes = sorted({int(a) % rank for a in r.constant(int(inputs[1]), np.int32).reshape(-1)}) if rank else []
        if rank != 4 or axes != [1, 2]:
            raise r.fail(
                where,
                f"supported over rows and columns of a 4-D input only (axes [1, 2]), got axes "
                f"{r.constant(int(inputs[1]), np.int32).reshape(-1).tolist()} of a {rank}-D input",
            )
    elif kind == OpKind.SOFTMAX:
        result.beta = float(_options(op, tflite.SoftmaxOptions).Beta())
    elif kind == OpKind.CONCATENATION:
        o = _options(op, tflite.ConcatenationOptions)
        rank = len(r.dims(int(inputs[0])))
        if o.Axis() % max(rank, 1) != rank - 1:
            raise r.fail(
                where, f"supported along the channel (last) axis only, got axis {o.Axis()} of a {rank}-D input"
            )
        result.inputs.extend(r.activation(int(i)) for i in inputs[1:])
        result.activation = _activation(r, where, o.FusedActivationFunction())


def _fuse_hard_swish(r: _Reader, k: int, op, ops: list[QuantizedOp], readers: dict[int, int]) -> bool:
    """HARD_SWISH that alone reads the output of the convolution just before it (without a fused activation)
    becomes that convolution's fused activation: the convolution's IR output takes the HARD_SWISH output's
    name and quantization, its own quantization stays as the pre-activation one. False (nothing changed)
    where it cannot be fused: it is then an op of its own."""
    source, target = int(op.InputsAsNumpy()[0]), int(op.OutputsAsNumpy()[0])
    where = f"operator {k} (HARD_SWISH, output {r.tensor_name(target)})"
    previous = ops[-1] if ops else None
    if (
        previous is None
        or r.ir_index.get(source) != previous.output
        or previous.activation != "none"
        or previous.kind not in (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D)
        or readers.get(source, 0) != 1
    ):
        return False
    pre = r.tensors[previous.output]
    appended = r.activation(target)  # validated and appended last
    out = r.tensors.pop(appended)
    if out.shape != pre.shape:
        raise r.fail(where, f"output shape {out.shape} differs from its input's {pre.shape}")
    r.tensors[previous.output] = out
    r.ir_index[target] = previous.output
    del r.ir_index[source]
    previous.activation = "hard_swish"
    previous.pre_activation_scale, previous.pre_activation_zero_point = pre.scale, pre.zero_point
    return True


def _opcode(r: _Reader, op) -> int:
    opcode = r.model.OperatorCodes(op.OpcodeIndex())
    return max(opcode.BuiltinCode(), opcode.DeprecatedBuiltinCode())


def _edges(r: _Reader) -> tuple[int | None, int | None, list[str]]:
    """The QUANTIZE reading a float32 model input and the DEQUANTIZE writing a float32 model output (operator
    indices, None where the edge is int8), and the QUANTIZE/DEQUANTIZE operators elsewhere (unsupported)."""
    g = r.graph
    graph_in, graph_out = int(g.Inputs(0)), int(g.Outputs(0))
    quantize = dequantize = None
    others = []
    for k in range(g.OperatorsLength()):
        op = g.Operators(k)
        code = _opcode(r, op)
        if code not in _EDGES:
            continue
        if code == tflite.BuiltinOperator.QUANTIZE and int(op.InputsAsNumpy()[0]) == graph_in:
            quantize = k
        elif code == tflite.BuiltinOperator.DEQUANTIZE and int(op.OutputsAsNumpy()[0]) == graph_out:
            dequantize = k
        else:
            others.append(f"{_OPERATOR_NAMES[code]} (operator {k}, not at a float model edge)")
    for index, edge, what in ((graph_in, quantize, "QUANTIZE"), (graph_out, dequantize, "DEQUANTIZE")):
        kind = g.Tensors(index).Type()
        if kind == tflite.TensorType.FLOAT32 and edge is None:
            raise r.fail(f"tensor {index} ({r.tensor_name(index)})", f"a float32 model edge needs a {what} right at it")
    return quantize, dequantize, others


def _unsupported(r: _Reader, edge_others: list[str]) -> None:
    """One error naming every unsupported operator of the model (with the operators it occurs at)."""
    where: dict[str, list[int]] = {}
    for k in range(r.graph.OperatorsLength()):
        code = _opcode(r, r.graph.Operators(k))
        if code not in _SUPPORTED and code not in _EDGES:
            where.setdefault(str(_OPERATOR_NAMES.get(code, f"custom or unknown operator code {code}")), []).append(k)
    found = [f"{name} (operator{'s' if len(ks) > 1 else ''} {', '.join(map(str, ks))})" for name, ks in where.items()]
    found += edge_others
    if found:
        supported = ", ".join(_OPERATOR_NAMES[c] for c in _SUPPORTED)
        raise r.fail(
            "operators",
            f"{len(found)} unsupported: {'; '.join(found)} (supported: {supported}; "
            "QUANTIZE/DEQUANTIZE at float32 model edges)",
        )


def import_tflite(path: str | Path) -> QuantizedModel:
    """Read an int8 ``.tflite`` model into the IR (integer parameters derived, validated)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    r = _Reader(path)
    try:
        return _import(r)
    except (struct.error, IndexError, UnicodeDecodeError, TypeError, AttributeError, OverflowError) as exc:
        # The flatbuffers reader follows offsets without checking them: a truncated or corrupt file fails here.
        raise ValueError(
            f"{path}: truncated or corrupt .tflite file ({len(r.buf)} bytes; the flatbuffer reader "
            f"failed: {type(exc).__name__}: {exc})"
        ) from None


def _import(r: _Reader) -> QuantizedModel:
    path = r.path
    g = r.graph
    if g.InputsLength() != 1 or g.OutputsLength() != 1:
        raise r.fail("subgraph", f"expected one input and one output, got {g.InputsLength()} and {g.OutputsLength()}")
    quantize, dequantize, edge_others = _edges(r)
    _unsupported(r, edge_others)
    input_index = int(g.Operators(quantize).OutputsAsNumpy()[0]) if quantize is not None else int(g.Inputs(0))
    output_index = int(g.Operators(dequantize).InputsAsNumpy()[0]) if dequantize is not None else int(g.Outputs(0))
    network_input = r.activation(input_index)
    readers: dict[int, int] = {output_index: 1}  # tensor -> how many ops (and the graph output) read it
    for k in range(g.OperatorsLength()):
        if k != dequantize:
            for i in g.Operators(k).InputsAsNumpy():
                readers[int(i)] = readers.get(int(i), 0) + 1
    ops: list[QuantizedOp] = []
    for k in range(g.OperatorsLength()):
        if k in (quantize, dequantize):
            continue
        op = g.Operators(k)
        code = _opcode(r, op)
        if code == tflite.BuiltinOperator.HARD_SWISH and _fuse_hard_swish(r, k, op, ops, readers):
            continue
        ops.append(_convert_op(r, k, op, code))
    if output_index not in r.ir_index:
        raise r.fail("subgraph output", f"tensor {output_index} is not produced by any operator")
    model = QuantizedModel(
        name=path.stem,
        tensors=r.tensors,
        ops=ops,
        input=network_input,
        output=r.ir_index[output_index],
        source=str(path),
        metadata={"front_end": "tflite", "file": path.name},
        float_input=quantize is not None,
        float_output=dequantize is not None,
    )
    return derive_integer_params(model)
