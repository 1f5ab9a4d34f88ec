from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tinyops.latency_model import examples
from tinyops.search import TrainConfig, build_model, quantize, train
from tinyops.search._handoff import (
    compile_for,
    host_runtime_runner,
    int8_accuracy,
    int8_logits,
    quantize_bias,
    reference_runner,
    save_handoff,
    to_quantized_model,
    top1,
)

compiler = pytest.importorskip("tinyops.compiler", reason="the compiler package is not in this build")

from test_search_train_quantize import _tiny_arch, _toy_split  # noqa: E402


@pytest.fixture(scope="module")
def calibrated():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    arch = _tiny_arch()
    model = build_model(arch)
    train_split, val_split = _toy_split(384, 0), _toy_split(128, 1)
    train(model, train_split, val_split, 32, TrainConfig(steps=40, batch_size=32, lr=0.05, eval_every=100))
    return quantize(model, arch, train_split, num_batches=3, batch_size=32), val_split


def test_handoff_model_validates_and_round_trips(calibrated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    qnet, _ = calibrated
    qm = to_quantized_model(qnet, "tiny")
    kinds = [op.kind.value for op in qm.ops]
    assert kinds[0] == "conv2d" and "depthwise_conv2d" in kinds and kinds[-2:] == ["average_pool2d", "fully_connected"]
    pool = qm.ops[-2]
    assert qm.tensors[pool.output].scale == qm.tensors[pool.inputs[0]].scale  # TFLite: pool keeps its input's
    path = save_handoff(qm, tmp_path / "tiny.npz")
    again = compiler.load_model(path)
    assert [op.name for op in again.ops] == [op.name for op in qm.ops]
    np.testing.assert_array_equal(again.ops[0].weights, qm.ops[0].weights)


needs_host_runtime = pytest.mark.skipif(
    not compiler.host_runtime_available(), reason="this build of tinyops._core has no firmware runtime"
)


@needs_host_runtime
@pytest.mark.parametrize("strategy", ["tinyops", "external"])
def test_reference_and_host_runtime_logits_agree_bit_for_bit(calibrated, strategy: str) -> None:  # type: ignore[no-untyped-def]
    """The numpy reference (TFLite's integer arithmetic) and the firmware kernels on the compiled blob must
    give the same int8 logits on a trained model's real inputs: either one being wrong shows here."""
    qnet, val = calibrated
    qm = to_quantized_model(qnet, "tiny")
    compiled = compile_for(qm, "stm32f746g-disco", strategy)
    host, labels = int8_logits(host_runtime_runner(compiled.blob, threads=2), qm, val, 32, 3, batch_size=50)
    ref, labels_ref = int8_logits(reference_runner(qm), qm, val, 32, 3, batch_size=50)
    assert host.shape == (len(val), 4) and host.dtype == np.int8
    np.testing.assert_array_equal(labels, labels_ref)
    np.testing.assert_array_equal(host, ref)
    assert len(np.unique(host)) > 8  # real, varied logits (not a saturated or constant output)
    assert top1(host, labels) > 0.5  # chance is 0.25: the int8 model works


@needs_host_runtime
def test_host_runtime_accuracy_is_close_to_simulation(calibrated) -> None:  # type: ignore[no-untyped-def]
    qnet, val = calibrated
    qm = to_quantized_model(qnet)
    accuracy = int8_accuracy(compile_for(qm, "stm32f746g-disco", "tinyops").blob, qm, val, 32, 3)
    assert abs(accuracy - qnet.evaluate(val)) <= 0.03  # same grids; only integer rounding differs


def test_bias_saturates_instead_of_wrapping() -> None:
    q = quantize_bias(np.array([1.0, -1.0, 0.5], np.float32), 0.01, np.array([1e-14, 1e-14, 0.5], np.float32))
    assert q.tolist() == [2**31 - 1, -(2**31), 100]


@needs_host_runtime
def test_mobilenet_v3_hands_off_hard_swish_bit_exact(tmp_path: Path) -> None:
    """The MobileNetV3-style family: every hard-swish conv is handed off with its calibrated pre-activation
    quantization, survives the handoff file, and the reference and the host runtime agree bit for bit."""
    torch.manual_seed(0)
    stages = [examples.Stage(16, 1, 2, 3, 4.0, "h_swish"), examples.Stage(24, 1, 2, 5, 3.0, "h_swish")]
    arch = examples.build_arch(
        stages,
        first_channels=8,
        feature_mix_channels=64,
        resolution=32,
        num_classes=4,
        first_act="h_swish",
        head_act="h_swish",
        first_block=examples.Stage(8, 1, 1, 3, 1.0),
    )
    model = build_model(arch)
    train_split, val = _toy_split(384, 0), _toy_split(128, 1)
    train(model, train_split, val, 32, TrainConfig(steps=40, batch_size=32, lr=0.05, eval_every=100))
    qnet = quantize(model, arch, train_split, num_batches=3, batch_size=32)
    qm = to_quantized_model(qnet, "mbv3")
    swish = [op for op in qm.ops if op.activation == "hard_swish"]
    assert swish and swish[0].name == "first_conv" and all(op.pre_activation_scale > 0 for op in swish)
    again = compiler.load_model(save_handoff(qm, tmp_path / "mbv3.npz"))
    assert [(op.activation, op.pre_activation_scale, op.pre_activation_zero_point) for op in again.ops] == [
        (op.activation, op.pre_activation_scale, op.pre_activation_zero_point) for op in qm.ops
    ]
    blob = compile_for(again, "stm32f746g-disco", "tinyops").blob
    host, labels = int8_logits(host_runtime_runner(blob, threads=2), again, val, 32, 3)
    ref, _ = int8_logits(reference_runner(qm), qm, val, 32, 3)
    np.testing.assert_array_equal(host, ref)
    assert len(np.unique(host)) > 8
    assert top1(host, labels) > 0.5  # chance is 0.25
    assert abs(top1(host, labels) - qnet.evaluate(val)) <= 0.05  # simulated quantization models the same grids
