"""The PTQ result as the compiler's quantized IR (tinyops/compiler/HANDOFF.md), compiled, and its int8 accuracy.

The recorded int8 accuracy is that of what would be flashed: the IR is compiled for the trial's board and
strategy (`tinyops.compiler.compile_model`, the blob `tinyops export` writes) and that blob runs through the
host runtime (the firmware's loader, executor and kernels in `tinyops._core`) on the evaluation images. The
compiler's numpy reference evaluator runs the same IR with TFLite's integer arithmetic; the tests check that
both give the same logits bit for bit. Hard-swish (MobileNetV3-style family) is handed off as TFLite's
HARD_SWISH fused into the conv before it, with that conv's own calibrated output as its int8 input.
Squeeze-and-excite is MEAN -> conv (relu) -> conv (relu_n1_to_1: the hard-sigmoid folded in by the quantizer)
-> MUL; the model blob cannot hold MEAN and MUL yet, so such models are evaluated by the numpy reference. A network
the IR cannot express falls back to simulated quantization, and the record names the method.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyops.search._data import ImageSplit, batches
from tinyops.search._quantize import QuantizedNet, activation_params
from tinyops.search._torch_model import ConvBnAct, SqueezeExcite

# What the int8 record's method says (the store keeps 128 characters).
HOST_RUNTIME_METHOD = "host runtime on the {strategy} blob for {board}"
_ACT_NAMES = {
    nn.Identity: "none",
    nn.ReLU: "relu",
    nn.ReLU6: "relu6",
    nn.Hardswish: "hard_swish",
    nn.Hardtanh: "relu_n1_to_1",
}


class HandoffUnsupported(ValueError):
    """The network uses something the compiler's IR does not represent."""


def quantize_bias(bias: np.ndarray, input_scale: float, weight_scales: np.ndarray) -> np.ndarray:
    """int32 biases on their grid (input scale x weight scale per channel), saturated: a channel whose weights
    are all (near) zero has a tiny scale, and its bias must clamp rather than wrap."""
    grid = np.float64(input_scale) * weight_scales.astype(np.float64)
    info = np.iinfo(np.int32)
    return np.clip(np.round(bias.astype(np.float64) / grid), info.min, info.max).astype(np.int32)


def to_quantized_model(qnet: QuantizedNet, name: str = "candidate"):  # type: ignore[no-untyped-def]
    """Build a `tinyops.compiler.QuantizedModel` from a calibrated QuantizedNet (raises HandoffUnsupported)."""
    from tinyops.compiler import OpKind, Padding, QuantizedModel, QuantizedOp, QuantizedTensor, derive_integer_params

    model = qnet.model
    tensors: list[QuantizedTensor] = []
    ops: list[QuantizedOp] = []

    def tensor(label: str, shape: tuple[int, int, int], range_name: str) -> int:
        scale, zero_point = activation_params(*qnet.ranges[range_name])
        tensors.append(
            QuantizedTensor(label, (int(shape[0]), int(shape[1]), int(shape[2])), float(np.float32(scale)), zero_point)
        )
        return len(tensors) - 1

    def conv_unit(unit: ConvBnAct, label: str, src: int) -> int:
        conv, act = unit[0], unit[-1]
        act_name = _ACT_NAMES.get(type(act))
        if type(act) is nn.Hardtanh and (act.min_val, act.max_val) != (0.0, 1.0):
            act_name = None  # only the folded hard-sigmoid's clamp to [0, 1], whose tensor range starts at 0
        if act_name is None:
            raise HandoffUnsupported(
                f"{label}: activation {type(act).__name__} is not in the compiler's IR "
                "(expected none, relu, relu6 or hardswish)"
            )
        h, w, _ = tensors[src].shape
        k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
        out_shape = ((h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1, conv.out_channels)
        dst = tensor(label, out_shape, label)
        q, w_scale = qnet.int8_weights[f"{label}.0"]
        q = q.cpu().numpy()
        depthwise = conv.groups > 1
        weights = q[:, 0].transpose(1, 2, 0) if depthwise else q.transpose(0, 2, 3, 1)
        w_scale = w_scale.cpu().numpy().astype(np.float32)
        bias = conv.bias.detach().cpu().numpy() if conv.bias is not None else np.zeros(conv.out_channels)
        bias_q = quantize_bias(bias, tensors[src].scale, w_scale)
        op = QuantizedOp(
            OpKind.DEPTHWISE_CONV2D if depthwise else OpKind.CONV2D,
            label,
            [src],
            dst,
            kernel=(k, k),
            stride=(s, s),
            padding=Padding(p, p, p, p),
            activation=act_name,
            weights=np.ascontiguousarray(weights),
            weight_scales=w_scale,
            bias=bias_q,
        )
        if act_name == "hard_swish":  # the conv's own int8 output, which the fused hard-swish reads
            pre_scale, op.pre_activation_zero_point = activation_params(*qnet.ranges[f"{label}.0"])
            op.pre_activation_scale = float(np.float32(pre_scale))
        ops.append(op)
        return dst

    def se_unit(se: SqueezeExcite, label: str, src: int) -> int:
        c = tensors[src].shape[2]
        pooled = tensor(f"{label}.pool", (1, 1, c), f"{label}.pool")
        ops.append(QuantizedOp(OpKind.MEAN, f"{label}.pool", [src], pooled))
        gate = conv_unit(se.expand, f"{label}.expand", conv_unit(se.reduce, f"{label}.reduce", pooled))
        dst = tensor(label, tensors[src].shape, label)
        ops.append(QuantizedOp(OpKind.MUL, f"{label}.mul", [src, gate], dst))
        return dst

    current = tensor("input", (model.resolution, model.resolution, model.in_channels), "input")
    current = conv_unit(model.first_conv, "first_conv", current)
    for i, block in enumerate(model.blocks):
        block_in = current
        for j, unit in enumerate(block.body):
            unit_of = se_unit if isinstance(unit, SqueezeExcite) else conv_unit
            current = unit_of(unit, f"blocks.{i}.body.{j}", current)
        if block.has_shortcut:
            dst = tensor(f"blocks.{i}", tensors[current].shape, f"blocks.{i}")
            ops.append(QuantizedOp(OpKind.ADD, f"blocks.{i}.add", [block_in, current], dst))
            current = dst
    if isinstance(model.feature_mix_layer, ConvBnAct):
        current = conv_unit(model.feature_mix_layer, "feature_mix_layer", current)
    h, w, c = tensors[current].shape
    dst = tensor("pool", (1, 1, c), "pool")
    ops.append(QuantizedOp(OpKind.AVERAGE_POOL2D, "pool", [current], dst, kernel=(h, w), stride=(1, 1)))
    current = dst
    if isinstance(model.final_conv, ConvBnAct):
        current = conv_unit(model.final_conv, "final_conv", current)
    fc = model.classifier
    dst = tensor("classifier", (1, 1, fc.out_features), "classifier")
    q, w_scale = qnet.int8_weights["classifier"]
    w_scale = w_scale.cpu().numpy().astype(np.float32)
    bias = fc.bias.detach().cpu().numpy() if fc.bias is not None else np.zeros(fc.out_features)
    bias_q = quantize_bias(bias, tensors[current].scale, w_scale)
    ops.append(
        QuantizedOp(
            OpKind.FULLY_CONNECTED,
            "classifier",
            [current],
            dst,
            weights=q.cpu().numpy(),
            weight_scales=w_scale,
            bias=bias_q,
        )
    )
    result = QuantizedModel(
        name=name,
        tensors=tensors,
        ops=ops,
        input=0,
        output=dst,
        source=f"<{name}>",
        metadata={"front_end": "pytorch-ptq", "calibration_batches": str(qnet.calibration_batches)},
    )
    try:
        return derive_integer_params(result)  # validates; the integer parameters compile_model and evaluate run
    except ValueError as exc:  # e.g. a hard-swish whose calibrated ranges TFLite's int8 kernel cannot take
        raise HandoffUnsupported(str(exc)) from None


def quantize_input(x: torch.Tensor, scale: float, zero_point: int) -> np.ndarray:
    """Float NCHW -> int8 NHWC, as the runtime's input tensor holds it."""
    q = torch.clamp(torch.round(x / scale) + zero_point, -128, 127).to(torch.int8)
    return q.permute(0, 2, 3, 1).contiguous().numpy()


def compile_for(quantized_model, board: str, strategy: str):  # type: ignore[no-untyped-def]
    """The blob (and plan report) that would be flashed: `quantized_model` planned on `board` with `strategy`."""
    from tinyops.compiler import compile_model

    return compile_model(quantized_model, board, strategy)


def int8_logits(
    run: Callable[[np.ndarray], np.ndarray],
    quantized_model,
    split: ImageSplit,  # type: ignore[no-untyped-def]
    resolution: int,
    channels: int,
    *,
    batch_size: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    """(int8 logits N x classes, labels N) of `run` (int8 NHWC batch -> int8 outputs) over `split` in order."""
    inp = quantized_model.tensors[quantized_model.input]
    logits, labels = [], []
    for x, y in batches(split, resolution, batch_size, shuffle=False, channels=channels):
        logits.append(np.asarray(run(quantize_input(x, inp.scale, inp.zero_point))).reshape(len(y), -1))
        labels.append(y.numpy())
    if not logits:
        return np.zeros((0, 0), np.int8), np.zeros(0, np.int64)
    return np.concatenate(logits), np.concatenate(labels)


def reference_runner(quantized_model) -> Callable[[np.ndarray], np.ndarray]:  # type: ignore[no-untyped-def]
    """The compiler's numpy reference evaluator of the IR as a batch function."""
    from tinyops.compiler import evaluate

    return lambda images: evaluate(quantized_model, images)


def host_runtime_runner(blob: bytes, threads: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The host runtime (firmware loader + executor + kernels) on `blob` as a batch function."""
    from tinyops.compiler import HostRuntime

    runtime = HostRuntime(blob)
    return lambda images: runtime.run(images, threads=threads)


def top1(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(1) == labels).mean()) if len(labels) else 0.0


def int8_accuracy(
    blob: bytes,
    quantized_model,
    split: ImageSplit,
    resolution: int,  # type: ignore[no-untyped-def]
    channels: int,
    *,
    threads: int | None = None,
) -> float:
    """Top-1 accuracy on `split` of the compiled `blob`, run by the host runtime (the int8 model as flashed)."""
    return top1(*int8_logits(host_runtime_runner(blob, threads), quantized_model, split, resolution, channels))


def save_handoff(quantized_model, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    from tinyops.compiler import save_model

    return save_model(quantized_model, path)
