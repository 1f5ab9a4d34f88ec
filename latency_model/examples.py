"""Built-in example architectures, generated as ProxylessNASNets JSON (the project ships no copied configs).

`build_arch` is the one generator; the named families are its stage tables. The search space uses the same
generator, so everything the toolkit scores or trains is in one format.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count as MCUNet/OFA do (never more than 10% below the exact value)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


@dataclass(frozen=True)
class Stage:
    """`depth` inverted-residual blocks; the first has `stride`, all have this kernel and expansion."""

    out_channels: int
    depth: int
    stride: int
    kernel_size: int = 3
    expand_ratio: float = 6.0
    act: str = "relu6"
    se: bool = False  # squeeze-and-excitation in every block of the stage (MobileNetV3)


def _conv_layer(cin: int, cout: int, k: int, stride: int, act: str | None) -> dict[str, Any]:
    return {
        "name": "ConvLayer",
        "kernel_size": k,
        "stride": stride,
        "dilation": 1,
        "groups": 1,
        "bias": False,
        "has_shuffle": False,
        "in_channels": cin,
        "out_channels": cout,
        "use_bn": True,
        "act_func": act,
        "dropout_rate": 0,
        "ops_order": "weight_bn_act",
    }


def _block(cin: int, cout: int, k: int, stride: int, expand: float, act: str, se: bool = False) -> dict[str, Any]:
    residual = stride == 1 and cin == cout
    return {
        "name": "MobileInvertedResidualBlock",
        "mobile_inverted_conv": {
            "name": "MBInvertedConvLayer",
            "in_channels": cin,
            "out_channels": cout,
            "kernel_size": k,
            "stride": stride,
            "expand_ratio": expand,
            "mid_channels": None,
            "act_func": act,
            "use_se": se,
        },
        "shortcut": {
            "name": "IdentityLayer",
            "in_channels": cin,
            "out_channels": cout,
            "use_bn": False,
            "act_func": None,
            "dropout_rate": 0,
            "ops_order": "weight_bn_act",
        }
        if residual
        else None,
    }


def build_arch(
    stages: list[Stage],
    *,
    first_channels: int,
    feature_mix_channels: int | None,
    final_channels: int | None = None,
    width_mult: float = 1.0,
    resolution: int = 224,
    num_classes: int = 1000,
    in_channels: int = 3,
    first_act: str = "relu6",
    head_act: str = "relu6",
    first_block: Stage | None = Stage(16, 1, 1, 3, 1.0),
) -> dict[str, Any]:
    """Generate a ProxylessNASNets JSON dict; every channel count is scaled by `width_mult` and rounded to 8."""
    width = lambda c: make_divisible(c * width_mult)  # noqa: E731
    cin = width(first_channels)
    arch: dict[str, Any] = {
        "name": "ProxylessNASNets",
        "bn": {"momentum": 0.1, "eps": 0.001},
        "first_conv": _conv_layer(in_channels, cin, 3, 2, first_act),
        "blocks": [],
    }
    for stage in ([first_block] if first_block else []) + list(stages):
        cout = width(stage.out_channels)
        for i in range(stage.depth):
            arch["blocks"].append(
                _block(
                    cin, cout, stage.kernel_size, stage.stride if i == 0 else 1, stage.expand_ratio, stage.act, stage.se
                )
            )
            cin = cout
    if feature_mix_channels:
        arch["feature_mix_layer"] = _conv_layer(cin, width(feature_mix_channels), 1, 1, head_act)
        cin = width(feature_mix_channels)
    else:
        arch["feature_mix_layer"] = None
    if final_channels:
        arch["final_conv"] = _conv_layer(cin, width(final_channels), 1, 1, head_act)
        cin = width(final_channels)
    arch["classifier"] = {
        "name": "LinearLayer",
        "in_features": cin,
        "out_features": num_classes,
        "bias": True,
        "use_bn": False,
        "act_func": None,
        "dropout_rate": 0,
        "ops_order": "weight_bn_act",
    }
    arch["resolution"] = resolution
    return arch


MOBILENET_V2_STAGES = [
    Stage(24, 2, 2),
    Stage(32, 3, 2),
    Stage(64, 4, 2),
    Stage(96, 3, 1),
    Stage(160, 3, 2),
    Stage(320, 1, 1),
]

# MobileNetV3-Large's kernel sizes, expansions and activations, without squeeze-and-excitation.
MOBILENET_V3_STAGES = [
    Stage(24, 1, 2, 3, 4.0, "relu"),
    Stage(24, 1, 1, 3, 3.0, "relu"),
    Stage(40, 3, 2, 5, 3.0, "relu"),
    Stage(80, 1, 2, 3, 6.0, "h_swish"),
    Stage(80, 1, 1, 3, 2.5, "h_swish"),
    Stage(80, 2, 1, 3, 2.3, "h_swish"),
    Stage(112, 2, 1, 3, 6.0, "h_swish"),
    Stage(160, 3, 2, 5, 6.0, "h_swish"),
]

# MNASNet-B1 / ProxylessNAS-mobile style: mixed kernels, expansion 3 early and 6 late.
MNASNET_STAGES = [
    Stage(24, 3, 2, 3, 3.0),
    Stage(40, 3, 2, 5, 3.0),
    Stage(80, 3, 2, 5, 6.0),
    Stage(96, 2, 1, 3, 6.0),
    Stage(192, 4, 2, 5, 6.0),
    Stage(320, 1, 1, 3, 6.0),
]


def mobilenet_v2(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> dict[str, Any]:
    return build_arch(
        MOBILENET_V2_STAGES,
        first_channels=32,
        feature_mix_channels=1280,
        width_mult=width_mult,
        resolution=resolution,
        num_classes=num_classes,
    )


def mobilenet_v3(
    width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000, se: bool = False
) -> dict[str, Any]:
    """MobileNetV3-Large; with `se`, squeeze-and-excitation in the stages the paper puts it in (40, 112, 160)."""
    stages = [replace(s, se=se and s.out_channels in (40, 112, 160)) for s in MOBILENET_V3_STAGES]
    return build_arch(
        stages,
        first_channels=16,
        feature_mix_channels=960,
        final_channels=1280,
        width_mult=width_mult,
        resolution=resolution,
        num_classes=num_classes,
        first_act="h_swish",
        head_act="h_swish",
        first_block=Stage(16, 1, 1, 3, 1.0, "relu"),
    )


def mnasnet(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> dict[str, Any]:
    return build_arch(
        MNASNET_STAGES,
        first_channels=32,
        feature_mix_channels=1280,
        width_mult=width_mult,
        resolution=resolution,
        num_classes=num_classes,
    )


FAMILIES = {"mbv2": mobilenet_v2, "mbv3": mobilenet_v3, "mnasnet": mnasnet}

# The design-space comparison's built-in networks: MCU-sized variants of each family.
BUILTIN = {
    "mbv2-w0.35-r144": lambda: mobilenet_v2(0.35, 144),
    "mbv3-w0.55-r128": lambda: mobilenet_v3(0.55, 128),
    "mnasnet-w0.50-r160": lambda: mnasnet(0.50, 160),
    "mbv2-w1.00-r224": lambda: mobilenet_v2(1.0, 224),
}


def builtin(name: str) -> dict[str, Any]:
    """A built-in example by name, e.g. 'mbv3-w0.55-r128'."""
    try:
        return BUILTIN[name]()
    except KeyError:
        raise KeyError(f"unknown example '{name}' (expected one of: {', '.join(BUILTIN)})") from None
