"""PyTorch model for any ProxylessNASNets architecture JSON, layer for layer what the C++ core builds.

The semantics follow the core's reader (cpp/src/arch_json.cpp): `ConvLayer` is conv + BN + activation with
padding k//2; `MBInvertedConvLayer` is [1x1 expand + BN + act] (skipped when expand_ratio is 1 and no
mid_channels), depthwise kxk + BN + act, [squeeze-and-excite when use_se], 1x1 project + BN; an identity
shortcut adds the block input;
`ZeroLayer` blocks are skipped; `feature_mix_layer` runs before global average pooling, `final_conv` after.
Squeeze-and-excite is MobileNetV3's (Once-for-All's SEModule): average pool -> 1x1 conv to
make_divisible(C // 4) with bias, ReLU -> 1x1 conv back with bias, hard-sigmoid -> the features times that gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from tinyops.latency_model import ArchLike
from tinyops.latency_model._arch import arch_to_json_text
from tinyops.latency_model.examples import make_divisible

_ACTIVATIONS: dict[str | None, type[nn.Module]] = {
    None: nn.Identity,
    "none": nn.Identity,
    "": nn.Identity,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "h_swish": nn.Hardswish,
    "hswish": nn.Hardswish,
    "hard_swish": nn.Hardswish,
    "h_sigmoid": nn.Hardsigmoid,
}


def default_device() -> torch.device:
    """The GPU when one is present, the CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _activation(name: str | None) -> nn.Module:
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"act_func: unknown activation {name!r} (expected none, relu, relu6 or h_swish)") from None


class ConvBnAct(nn.Sequential):
    """conv (+ BN) (+ activation): the unit the core folds into one int8 conv op."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        act: str | None = None,
        bias: bool = False,
        use_bn: bool = True,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(cin, cout, kernel_size, stride, kernel_size // 2, groups=groups, bias=bias)
        ]
        if use_bn:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(_activation(act))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """x * hard_sigmoid(expand(relu(reduce(mean(x))))), the gate broadcast over rows and columns."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        reduced = make_divisible(channels // 4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = ConvBnAct(channels, reduced, 1, act="relu", bias=True, use_bn=False)
        self.expand = ConvBnAct(reduced, channels, 1, act="h_sigmoid", bias=True, use_bn=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.expand(self.reduce(self.pool(x)))


class InvertedResidual(nn.Module):
    def __init__(self, conf: Mapping[str, Any], has_shortcut: bool) -> None:
        super().__init__()
        cin, cout = int(conf["in_channels"]), int(conf["out_channels"])
        k, stride, act = int(conf["kernel_size"]), int(conf["stride"]), conf.get("act_func")
        expand = float(conf["expand_ratio"])
        mid = conf.get("mid_channels") or int(round(cin * expand))
        layers: list[nn.Module] = []
        if expand != 1.0 or conf.get("mid_channels"):
            layers.append(ConvBnAct(cin, mid, 1, act=act))
        else:
            mid = cin
        layers.append(ConvBnAct(mid, mid, k, stride, groups=mid, act=act))
        if conf.get("use_se"):
            layers.append(SqueezeExcite(mid))
        layers.append(ConvBnAct(mid, cout, 1, act=None))
        self.body = nn.Sequential(*layers)
        self.has_shortcut = has_shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.has_shortcut else y


def _conv_layer(conf: Mapping[str, Any]) -> ConvBnAct:
    return ConvBnAct(
        int(conf["in_channels"]),
        int(conf["out_channels"]),
        int(conf["kernel_size"]),
        int(conf.get("stride", 1)),
        act=conf.get("act_func"),
        bias=bool(conf.get("bias", False)),
        use_bn=bool(conf.get("use_bn", True)),
    )


class ArchNet(nn.Module):
    """The network of one architecture JSON; `resolution` and `in_channels` give the expected input."""

    def __init__(self, arch: Mapping[str, Any]) -> None:
        super().__init__()
        self.resolution = int(arch["resolution"])
        self.in_channels = int(arch["first_conv"]["in_channels"])
        self.first_conv = _conv_layer(arch["first_conv"])
        blocks = []
        for block in arch["blocks"]:
            conv = block["mobile_inverted_conv"]
            if conv["name"] == "ZeroLayer":
                continue
            blocks.append(InvertedResidual(conv, has_shortcut=block.get("shortcut") is not None))
        self.blocks = nn.Sequential(*blocks)
        mix = arch.get("feature_mix_layer")
        self.feature_mix_layer = _conv_layer(mix) if mix else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        final = arch.get("final_conv")
        self.final_conv = _conv_layer(final) if final else nn.Identity()
        classifier = arch["classifier"]
        self.classifier = nn.Linear(
            int(classifier["in_features"]), int(classifier["out_features"]), bias=bool(classifier.get("bias", True))
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.feature_mix_layer(self.blocks(self.first_conv(x)))
        return torch.flatten(self.final_conv(self.pool(x)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_model(arch: ArchLike) -> ArchNet:
    """Build the PyTorch model of an architecture (path or dict), validated by the C++ core first.

    The core's reader is strict (unknown fields, channels that do not chain), so a malformed architecture
    gets the core's message naming the file and field rather than a PyTorch shape error.
    """
    import json

    from tinyops.latency_model import load_arch

    load_arch(arch)
    text, _ = arch_to_json_text(arch)
    return ArchNet(json.loads(text))


def layer_profile(model: ArchNet) -> list[tuple[str, tuple[int, int, int], int]]:
    """(kind, output (h, w, c), MACs) of every conv / depthwise / linear layer in execution order.

    Kinds use the core's names (conv2d, depthwise_conv2d, fully_connected) so the list compares one to one
    with the core's ops.
    """
    records: list[tuple[str, tuple[int, int, int], int]] = []

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if isinstance(module, nn.Conv2d):
            _, c, h, w = output.shape
            kind = "depthwise_conv2d" if module.groups > 1 else "conv2d"
            per_out = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            records.append((kind, (h, w, c), h * w * c * per_out))
        else:
            assert isinstance(module, nn.Linear)
            records.append(("fully_connected", (1, 1, module.out_features), module.in_features * module.out_features))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            was_training = model.training
            model.eval()
            model(torch.zeros(1, model.in_channels, model.resolution, model.resolution))
            model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return records
