from __future__ import annotations

import optuna
import pytest
import torch

from tinyops.latency_model import examples, load_arch
from tinyops.search import IMAGENET_RESOLUTIONS, SearchSpace, build_model, layer_profile


def _core_profile(arch: dict) -> list[tuple[str, tuple[int, int, int], int]]:
    net = load_arch(arch)
    out = []
    for op in net.ops:
        if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected"):
            s = net.tensors[op.output].shape
            out.append((op.kind, (s.h, s.w, s.c), op.macs))
    return out


def _check_same_as_core(arch: dict) -> None:
    model = build_model(arch)
    net = load_arch(arch)
    assert layer_profile(model) == _core_profile(arch)
    assert sum(p.numel() for p in model.parameters()) == net.param_count
    assert sum(m for _, _, m in layer_profile(model)) == net.total_macs


@pytest.mark.parametrize("name", ["mbv2-w0.35-r144", "mbv3-w0.55-r128", "mnasnet-w0.50-r160"])
def test_builtin_examples_match_the_core(name: str) -> None:
    _check_same_as_core(examples.builtin(name))


def test_sampled_architectures_match_the_core() -> None:
    space = SearchSpace(resolutions=IMAGENET_RESOLUTIONS[:2] + (33, 47), width_mults=(0.25, 0.35, 0.75), num_classes=7)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=11))
    for _ in range(6):
        trial = study.ask()
        _check_same_as_core(space.sample(trial))
        study.tell(trial, 0.0)


def test_forward_gives_logits_per_class() -> None:
    arch = examples.mobilenet_v3(0.35, 40, num_classes=5)
    model = build_model(arch).eval()
    assert model(torch.zeros(2, 3, 40, 40)).shape == (2, 5)


def test_malformed_architecture_is_the_core_error() -> None:
    arch = examples.mobilenet_v2(0.35, 32)
    arch["blocks"][3]["mobile_inverted_conv"]["in_channels"] += 8
    with pytest.raises(ValueError, match=r"blocks\[3\]\.mobile_inverted_conv\.in_channels"):
        build_model(arch)
