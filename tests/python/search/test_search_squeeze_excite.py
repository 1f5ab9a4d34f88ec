"""Squeeze-and-excite in the search: the space samples it, the PyTorch builder builds what the core reads, the
quantizer folds its hard-sigmoid exactly, and the handoff's int8 IR (MEAN, MUL) runs in the numpy reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
import torch
from test_search_train_quantize import _toy_split  # noqa: E402

from tinyops.latency_model import examples, load_arch
from tinyops.search import SearchSpace, TrainConfig, build_model, quantize, train
from tinyops.search._quantize import fold_batchnorm
from tinyops.search._torch_model import SqueezeExcite, layer_profile


def _se_arch() -> dict:
    stages = [examples.Stage(16, 1, 2, 3, 3.0, "relu", se=True), examples.Stage(24, 1, 2, 5, 3.0, "h_swish", se=True)]
    return examples.build_arch(
        stages,
        first_channels=8,
        feature_mix_channels=64,
        resolution=32,
        num_classes=4,
        first_block=examples.Stage(8, 1, 1, 3, 1.0),
        first_act="h_swish",
        head_act="h_swish",
    )


def test_builder_matches_the_core_layer_for_layer() -> None:
    arch = _se_arch()
    model = build_model(arch)
    assert sum(isinstance(m, SqueezeExcite) for m in model.modules()) == 2
    net = load_arch(arch)
    core = [
        (
            op.kind,
            (net.tensors[op.output].shape.h, net.tensors[op.output].shape.w, net.tensors[op.output].shape.c),
            op.macs,
        )
        for op in net.ops
        if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected")
    ]
    assert layer_profile(model) == core
    assert [op.kind for op in net.ops].count("mul") == 2
    assert sum(p.numel() for p in model.parameters()) == net.param_count


def test_hard_sigmoid_folds_into_the_expand_conv_exactly() -> None:
    torch.manual_seed(0)
    model = build_model(_se_arch()).eval()
    folded = fold_batchnorm(model)
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), rtol=1e-4, atol=1e-5)
    se = next(m for m in folded.modules() if isinstance(m, SqueezeExcite))
    assert isinstance(se.expand[-1], torch.nn.Hardtanh)


@pytest.fixture(scope="module")
def se_calibrated():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    arch = _se_arch()
    model = build_model(arch)
    train_split, val_split = _toy_split(384, 0), _toy_split(128, 1)
    train(model, train_split, val_split, 32, TrainConfig(steps=60, batch_size=32, lr=0.05, eval_every=100))
    return quantize(model, arch, train_split, num_batches=3, batch_size=32), val_split


def test_handoff_runs_squeeze_excite_in_the_int8_reference(se_calibrated) -> None:  # type: ignore[no-untyped-def]
    from tinyops.search._handoff import (
        compile_for,
        host_runtime_runner,
        int8_logits,
        reference_runner,
        to_quantized_model,
        top1,
    )

    qnet, val = se_calibrated
    qm = to_quantized_model(qnet, "tiny-se")
    kinds = [op.kind.value for op in qm.ops]
    assert kinds.count("mean") == 2 and kinds.count("mul") == 2
    gates = [op for op in qm.ops if op.activation == "relu_n1_to_1"]
    assert len(gates) == 2 and all(qm.tensors[op.output].zero_point == -128 for op in gates)  # ranges from 0
    logits, labels = int8_logits(reference_runner(qm), qm, val, 32, 3, batch_size=64)
    assert len(np.unique(logits)) > 8
    simulated = qnet.evaluate(val, batch_size=64)
    assert top1(logits, labels) > 0.5  # chance is 0.25
    assert abs(top1(logits, labels) - simulated) < 0.1  # the integer model agrees with its simulation
    # The blob runs SE too (mean, the gate's mul by rows): the firmware runtime gives the reference's logits.
    blob = compile_for(qm, "stm32f746g-disco", "tinyops").blob
    on_host, _ = int8_logits(host_runtime_runner(blob), qm, val, 32, 3, batch_size=64)
    np.testing.assert_array_equal(on_host, logits)


def test_flashed_accuracy_of_squeeze_excite_comes_from_the_blob(se_calibrated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tinyops.search._export import _flashed_accuracy
    from tinyops.search._handoff import to_quantized_model

    qnet, val = se_calibrated
    accuracy, method = _flashed_accuracy(
        to_quantized_model(qnet, "tiny-se"), "stm32f746g-disco", "tinyops", val, 32, 3, tmp_path, {}
    )
    assert method == "host runtime on the tinyops blob for stm32f746g-disco"
    assert accuracy > 0.5
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".blob", ".json", ".json"]


def test_space_samples_squeeze_excite_per_stage() -> None:
    space = SearchSpace(families=("mbv3",), squeeze_excite=(False, True))
    seen: set[bool] = set()
    sampler = optuna.samplers.RandomSampler(seed=3)
    study = optuna.create_study(sampler=sampler)
    for _ in range(6):
        trial = study.ask()
        arch = space.sample(trial)
        flags = [b["mobile_inverted_conv"]["use_se"] for b in arch["blocks"]]
        seen.update(flags)
        assert space.arch_from_params(trial.params) == arch
        load_arch(arch)  # the core reads it
        assert sum(1 for k in trial.params if k.endswith("_se")) == len(examples.MOBILENET_V3_STAGES)
    assert seen == {False, True}
    # Without the choice there is no parameter and no SE (the default space samples as before).
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3)).ask()
    arch = SearchSpace(families=("mbv3",)).sample(trial)
    assert not any(k.endswith("_se") for k in trial.params)
    assert not any(b["mobile_inverted_conv"]["use_se"] for b in arch["blocks"])
    with pytest.raises(ValueError, match="squeeze_excite"):
        SearchSpace(squeeze_excite=("yes",))  # type: ignore[arg-type]
    # Stored bounds: the default leaves the key out (studies stored before it keep their identity).
    assert "squeeze_excite" not in SearchSpace().to_json()
    assert SearchSpace.from_json(space.to_json()) == space
