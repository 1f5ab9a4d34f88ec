from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tinyops.latency_model import examples
from tinyops.search import build_model, quantize, train, TrainConfig
from tinyops.search._handoff import HandoffUnsupported, int8_accuracy, save_handoff, to_quantized_model

compiler = pytest.importorskip("tinyops.compiler", reason="the compiler package is not in this build")

from test_search_train_quantize import _tiny_arch, _toy_split  # noqa: E402


@pytest.fixture(scope="module")
def calibrated():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    arch = _tiny_arch()
    model = build_model(arch)
    train_split, val_split = _toy_split(384, 0), _toy_split(128, 1)
    train(model, train_split, val_split, 32, TrainConfig(steps=30, batch_size=32, eval_every=100))
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


def test_int8_accuracy_through_the_compiler_matches_simulation(calibrated) -> None:  # type: ignore[no-untyped-def]
    qnet, val = calibrated
    simulated = qnet.evaluate(val)
    exact = int8_accuracy(to_quantized_model(qnet), val, 32, 3)
    assert abs(exact - simulated) <= 0.03  # same grids; only integer rounding differs


def test_hard_swish_is_refused_by_name() -> None:
    arch = examples.mobilenet_v3(0.35, 32, num_classes=4)
    model = build_model(arch)
    qnet = quantize(model, arch, _toy_split(64, 0), num_batches=1, batch_size=32)
    with pytest.raises(HandoffUnsupported, match="first_conv: activation Hardswish"):
        to_quantized_model(qnet)
