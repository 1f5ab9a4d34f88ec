from __future__ import annotations

import optuna
import pytest

from tinyops.latency_model import load_arch
from tinyops.search import FAMILIES, SearchSpace


def _sample_many(space: SearchSpace, seed: int, n: int) -> list[dict]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    archs = []
    for _ in range(n):
        trial = study.ask()
        archs.append(space.sample(trial))
        study.tell(trial, 0.0)
    return archs


def test_same_seed_same_architectures() -> None:
    space = SearchSpace()
    assert _sample_many(space, 7, 6) == _sample_many(space, 7, 6)
    assert _sample_many(space, 7, 6) != _sample_many(space, 8, 6)


def test_samples_stay_in_bounds_and_load_in_the_core() -> None:
    space = SearchSpace(num_classes=10)
    families = set()
    for arch in _sample_many(space, 1, 24):
        net = load_arch(arch)
        assert arch["resolution"] in space.resolutions
        assert net.tensors[net.output].shape.c == 10
        for block in arch["blocks"][1:]:  # the first block is the family's fixed 16-channel stem block
            conv = block["mobile_inverted_conv"]
            assert conv["kernel_size"] in space.kernel_sizes
            assert conv["expand_ratio"] in space.expand_ratios
        families.add(len(arch["blocks"]) > 0)
    assert families


def test_params_rebuild_the_trial_architecture() -> None:
    space = SearchSpace()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(5):
        trial = study.ask()
        arch = space.sample(trial)
        assert space.arch_from_params(trial.params) == arch
        study.tell(trial, 0.0)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_depth_changes_the_block_count(family: str) -> None:
    space = SearchSpace(families=(family,))
    n_stages = len(FAMILIES[family].stages)
    base = {"family": family, "width_mult": 0.5, "resolution": 32}
    shallow = {
        **base,
        **{f"{family}_s{i}_{k}": v for i in range(n_stages) for k, v in (("depth", 1), ("kernel", 3), ("expand", 3.0))},
    }
    deep = {**shallow, f"{family}_s0_depth": 4}
    assert len(space.arch_from_params(deep)["blocks"]) == len(space.arch_from_params(shallow)["blocks"]) + 3


def test_bad_bounds_are_named() -> None:
    with pytest.raises(ValueError, match="families"):
        SearchSpace(families=("resnet",))
    with pytest.raises(ValueError, match="kernel_sizes"):
        SearchSpace(kernel_sizes=(4,))
    with pytest.raises(ValueError, match="unknown keys"):
        SearchSpace.from_json({"widths": [1.0]})
    assert SearchSpace.from_json(SearchSpace().to_json()) == SearchSpace()
