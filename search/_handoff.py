"""The PTQ result as the compiler's quantized IR (tinyops/compiler/HANDOFF.md), and int8 accuracy through it.

The compiler's numpy reference evaluator runs the IR with TFLite's integer arithmetic (multipliers, shifts,
rounding), so the accuracy measured here is that of the int8 model the firmware would execute. Networks with
an activation the IR lacks (hard-swish, in the MobileNetV3-style family) cannot be handed off yet; for them
the search falls back to simulated quantization and records which method it used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinyops.search._data import ImageSplit, batches
from tinyops.search._quantize import QuantizedNet, activation_params
from tinyops.search._torch_model import ConvBnAct

HANDOFF_METHOD = "compiler numpy reference (TFLite int8 arithmetic)"
_ACT_NAMES = {nn.Identity: "none", nn.ReLU: "relu", nn.ReLU6: "relu6"}


class HandoffUnsupported(ValueError):
    """The network uses something the compiler's IR does not represent."""


def to_quantized_model(qnet: QuantizedNet, name: str = "candidate"):  # type: ignore[no-untyped-def]
    """Build a `tinyops.compiler.QuantizedModel` from a calibrated QuantizedNet (raises HandoffUnsupported)."""
    from tinyops.compiler import OpKind, Padding, QuantizedModel, QuantizedOp, QuantizedTensor

    model = qnet.model
    tensors: list[QuantizedTensor] = []
    ops: list[QuantizedOp] = []

    def tensor(label: str, shape: tuple[int, int, int], range_name: str) -> int:
        scale, zero_point = activation_params(*qnet.ranges[range_name])
        tensors.append(QuantizedTensor(label, tuple(int(d) for d in shape), float(np.float32(scale)), zero_point))
        return len(tensors) - 1

    def conv_unit(unit: ConvBnAct, label: str, src: int) -> int:
        conv, act = unit[0], unit[2]
        act_name = _ACT_NAMES.get(type(act))
        if act_name is None:
            raise HandoffUnsupported(f"{label}: activation {type(act).__name__} is not in the compiler's IR "
                                     "(expected none, relu or relu6)")
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
        bias_q = np.round(bias / (np.float64(tensors[src].scale) * w_scale.astype(np.float64))).astype(np.int32)
        ops.append(QuantizedOp(OpKind.DEPTHWISE_CONV2D if depthwise else OpKind.CONV2D, label, [src], dst,
                               kernel=(k, k), stride=(s, s), padding=Padding(p, p, p, p), activation=act_name,
                               weights=np.ascontiguousarray(weights), weight_scales=w_scale, bias=bias_q))
        return dst

    current = tensor("input", (model.resolution, model.resolution, model.in_channels), "input")
    current = conv_unit(model.first_conv, "first_conv", current)
    for i, block in enumerate(model.blocks):
        block_in = current
        for j, unit in enumerate(block.body):
            current = conv_unit(unit, f"blocks.{i}.body.{j}", current)
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
    bias_q = np.round(bias / (np.float64(tensors[current].scale) * w_scale.astype(np.float64))).astype(np.int32)
    ops.append(QuantizedOp(OpKind.FULLY_CONNECTED, "classifier", [current], dst, weights=q.cpu().numpy(),
                           weight_scales=w_scale, bias=bias_q))
    result = QuantizedModel(name=name, tensors=tensors, ops=ops, input=0, output=dst, source=f"<{name}>",
                            metadata={"front_end": "pytorch-ptq", "calibration_batches": str(qnet.calibration_batches)})
    result.validate()
    return result


def quantize_input(x: torch.Tensor, scale: float, zero_point: int) -> np.ndarray:
    """Float NCHW -> int8 NHWC, as the runtime's input tensor holds it."""
    q = torch.clamp(torch.round(x / scale) + zero_point, -128, 127).to(torch.int8)
    return q.permute(0, 2, 3, 1).contiguous().numpy()


def int8_accuracy(quantized_model, split: ImageSplit, resolution: int, channels: int,  # type: ignore[no-untyped-def]
                  *, batch_size: int = 128) -> float:
    """Top-1 accuracy of the int8 IR on `split`, computed by the compiler's reference evaluator."""
    from tinyops.compiler import derive_integer_params, evaluate

    model = derive_integer_params(quantized_model)
    inp = model.tensors[model.input]
    correct = 0
    for x, y in batches(split, resolution, batch_size, shuffle=False, channels=channels):
        logits = evaluate(model, quantize_input(x, inp.scale, inp.zero_point))
        correct += int((torch.from_numpy(logits.reshape(len(y), -1).argmax(1)) == y).sum())
    return correct / max(1, len(split))


def save_handoff(quantized_model, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    from tinyops.compiler import save_model

    return save_model(quantized_model, path)
