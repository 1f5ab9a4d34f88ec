"""Int8 post-training quantization of a trained candidate (TFLite semantics, as DESIGN.md fixes them).

Steps: fold every BatchNorm into the conv before it (the conv gains a bias), and squeeze-and-excite's
hard-sigmoid into its expand conv (weights and bias / 6, bias + 1/2, then a clamp to [0, 1]: TFLite's
RELU_N1_TO_1 on a tensor whose range is [0, 1]); quantize weights per output
channel, symmetric, to int8 in [-127, 127]; calibrate every activation tensor the int8 runtime holds (the
network input, each conv's output after its fused activation, each residual add, the pooled features and the
logits; before a hard-swish also the conv's own output, as TFLite holds it; in squeeze-and-excite the pooled
features, the gate and the product) on N batches by min/max, per tensor,
asymmetric (scale and zero point, the range always holding 0).

`QuantizedNet.evaluate` measures int8 accuracy by *simulated quantization*: weights and activations are
rounded to their int8 grids and computed in float. Biases stay float (their int32 grid, input scale x weight
scale, is finer than float32 rounding matters). This is what the search records as ``int8-simulated`` until
the host runtime's bit-exact path is bound; the record names the method.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tinyops.search._data import ImageSplit, batches
from tinyops.search._torch_model import ArchNet, ConvBnAct, InvertedResidual, SqueezeExcite

INT8_METHOD = "simulated-quantization"


def fold_batchnorm(model: ArchNet) -> ArchNet:
    """A copy of `model` (in eval semantics) with each BatchNorm folded into its conv."""
    folded = copy.deepcopy(model).eval()
    for unit in folded.modules():
        if not isinstance(unit, ConvBnAct) or not isinstance(unit[1], nn.BatchNorm2d):
            continue
        conv, bn = unit[0], unit[1]
        assert bn.running_var is not None and bn.running_mean is not None  # tracked: built by the model builder
        std = torch.sqrt(bn.running_var + bn.eps)
        gamma = bn.weight.detach() / std
        new_conv = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            conv.padding,
            groups=conv.groups,
            bias=True,
        )
        assert new_conv.bias is not None  # bias=True
        with torch.no_grad():
            new_conv.weight.copy_(conv.weight * gamma.reshape(-1, 1, 1, 1))
            old_bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
            new_conv.bias.copy_(bn.bias.detach() + (old_bias - bn.running_mean) * gamma)
        unit[0] = new_conv
        unit[1] = nn.Identity()
    for se in folded.modules():
        if isinstance(se, SqueezeExcite) and isinstance(se.expand[-1], nn.Hardsigmoid):
            fold_hard_sigmoid(se.expand)
    return folded


def fold_hard_sigmoid(unit: ConvBnAct) -> None:
    """conv + hard-sigmoid -> conv' + clamp(0, 1), equal in float: hard_sigmoid(y) = clamp(y / 6 + 1/2, 0, 1)."""
    conv = unit[0]
    with torch.no_grad():
        conv.weight.div_(6.0)
        conv.bias.div_(6.0).add_(0.5)
    unit[-1] = nn.Hardtanh(0.0, 1.0)


def quantize_weights_per_channel(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 values, float scale per output channel), symmetric: real = scale * q, q in [-127, 127]."""
    flat = weight.detach().reshape(weight.shape[0], -1)
    scale = flat.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    q = torch.clamp(torch.round(flat / scale[:, None]), -127, 127).to(torch.int8)
    return q.reshape(weight.shape), scale


def activation_params(low: float, high: float) -> tuple[float, int]:
    """Per-tensor asymmetric int8 (scale, zero point) for the range [low, high] (widened to hold 0)."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = max(high - low, 1e-8) / 255.0
    zero_point = int(np.clip(round(-128 - low / scale), -128, 127))
    return scale, zero_point


def fake_quantize(x: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    q = torch.clamp(torch.round(x / scale) + zero_point, -128, 127)
    return (q - zero_point) * scale


@dataclass
class QuantizedNet:
    """A BN-folded model with int8 weights and calibrated activation ranges, keyed by tensor name."""

    model: ArchNet
    arch: dict[str, Any]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    calibration_batches: int = 0
    # Module name -> (int8 weights, float32 scale per output channel), set by calibrate().
    int8_weights: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)

    def _quant_points(self) -> dict[str, nn.Module]:
        """The modules whose output is an int8 tensor of the runtime (input handled separately)."""
        points: dict[str, nn.Module] = {}
        for name, module in self.model.named_modules():
            if isinstance(module, ConvBnAct) and isinstance(module[-1], nn.Hardswish):
                # TFLite's HARD_SWISH is an op of its own: its input (the conv's output) is an int8 tensor too.
                points[f"{name}.0"] = module[0]
            if isinstance(module, ConvBnAct) or (isinstance(module, InvertedResidual) and module.has_shortcut):
                points[name] = module
            if isinstance(module, SqueezeExcite):  # TFLite's MEAN and MUL outputs
                points[f"{name}.pool"] = module.pool
                points[name] = module
        points["pool"] = self.model.pool
        points["classifier"] = self.model.classifier
        return points

    def _hooks(self, mode: str) -> list[torch.utils.hooks.RemovableHandle]:
        def make(name: str):  # type: ignore[no-untyped-def]
            def hook(_m: nn.Module, _inputs: Any, output: torch.Tensor) -> torch.Tensor | None:
                return self._observe_or_quantize(name, output, mode)

            return hook

        def input_hook(_m: nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...] | None:
            out = self._observe_or_quantize("input", inputs[0], mode)
            return None if out is None else (out,)

        handles = [self.model.register_forward_pre_hook(input_hook)]
        handles += [m.register_forward_hook(make(n)) for n, m in self._quant_points().items()]
        return handles

    def _observe_or_quantize(self, name: str, x: torch.Tensor, mode: str) -> torch.Tensor | None:
        if mode == "observe":
            if name not in self._order:
                self._order.append(name)
            low, high = float(x.min()), float(x.max())
            old = self.ranges.get(name)
            self.ranges[name] = (min(low, old[0]), max(high, old[1])) if old else (low, high)
            return None
        scale, zero_point = activation_params(*self.ranges[name])
        return fake_quantize(x, scale, zero_point)

    @torch.no_grad()
    def calibrate(
        self,
        split: ImageSplit,
        *,
        num_batches: int,
        batch_size: int = 64,
        seed: int = 0,
        device: torch.device | str = "cpu",
    ) -> None:
        """Record each activation tensor's min/max over `num_batches` batches of `split`."""
        self.model.to(device).eval()
        handles = self._hooks("observe")
        try:
            for i, (x, _) in enumerate(
                batches(
                    split,
                    self.model.resolution,
                    batch_size,
                    shuffle=True,
                    seed=seed,
                    channels=self.model.in_channels,
                    device=device,
                )
            ):
                if i >= num_batches:
                    break
                self.model(x)
                self.calibration_batches = i + 1
        finally:
            for h in handles:
                h.remove()
        # Average pooling keeps its input's scale and zero point (TFLite requires it).
        self.ranges["pool"] = self.ranges[self._order[self._order.index("pool") - 1]]
        # Weights: replaced in place by their int8 grid values (the float model is no longer needed).
        for name, module in self.model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                q, scale = quantize_weights_per_channel(module.weight)
                self.int8_weights[name] = (q, scale)
                module.weight.copy_(q.float() * scale.reshape(-1, *([1] * (q.dim() - 1))))

    @torch.no_grad()
    def evaluate(self, split: ImageSplit, *, batch_size: int = 256, device: torch.device | str = "cpu") -> float:
        """Top-1 accuracy with int8 weights and activations (simulated quantization)."""
        if not self.ranges:
            raise RuntimeError("quantized model: calibrate() first")
        self.model.to(device).eval()
        handles = self._hooks("quantize")
        correct = 0
        try:
            for x, y in batches(
                split, self.model.resolution, batch_size, shuffle=False, channels=self.model.in_channels, device=device
            ):
                correct += int((self.model(x).argmax(1) == y).sum())
        finally:
            for h in handles:
                h.remove()
        return correct / max(1, len(split))

    def save(self, path: str | Path) -> Path:
        """Write the int8 model: `path` (.npz: int8 weights, float scales, float biases per layer) and
        `path`.json (architecture, activation scale and zero point per tensor, method)."""
        path = Path(path).with_suffix(".npz")
        arrays: dict[str, np.ndarray] = {}
        for name, module in self.model.named_modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                q, scale = self.int8_weights[name]
                arrays[f"{name}.weight_int8"] = q.cpu().numpy()
                arrays[f"{name}.weight_scale"] = scale.cpu().numpy().astype(np.float32)
                if module.bias is not None:
                    arrays[f"{name}.bias"] = module.bias.detach().cpu().numpy().astype(np.float32)
        activations = {
            name: dict(zip(("scale", "zero_point"), activation_params(*r))) for name, r in self.ranges.items()
        }
        manifest = {
            "format": "tinyops-search-int8/1",
            "method": INT8_METHOD,
            "arch": self.arch,
            "calibration_batches": self.calibration_batches,
            "activations": activations,
            "weights": "per-channel symmetric int8",
            "activation_quantization": "per-tensor asymmetric int8",
        }
        tmp = path.with_suffix(".npz.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds like allow_pickle
        tmp.replace(path)
        path.with_suffix(".json").write_text(json.dumps(manifest, indent=1))
        return path


def quantize(
    model: ArchNet,
    arch: dict[str, Any],
    calibration: ImageSplit,
    *,
    num_batches: int = 8,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> QuantizedNet:
    """Fold BN, quantize weights per channel and calibrate activations on `num_batches` batches."""
    qnet = QuantizedNet(fold_batchnorm(model), arch)
    qnet.calibrate(calibration, num_batches=num_batches, batch_size=batch_size, seed=seed, device=device)
    return qnet
