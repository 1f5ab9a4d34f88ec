from __future__ import annotations

import pytest
import torch

from tinyops.latency_model import examples
from tinyops.search import ImageSplit, TrainConfig, build_model, evaluate, fold_batchnorm, naswot_score, quantize, train
from tinyops.search._quantize import activation_params, fake_quantize, quantize_weights_per_channel


def _toy_split(n: int, seed: int) -> ImageSplit:
    """Four classes told apart by which image quadrant is bright: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    images = torch.randint(0, 60, (n, 1, 16, 16), generator=g, dtype=torch.int64)
    for i, c in enumerate(labels.tolist()):
        r, q = divmod(c, 2)
        images[i, 0, r * 8 : (r + 1) * 8, q * 8 : (q + 1) * 8] += 180
    return ImageSplit(images.clamp(0, 255).to(torch.uint8), labels)


def _tiny_arch() -> dict:
    stages = [examples.Stage(16, 1, 2), examples.Stage(24, 1, 2, 5, 3.0)]
    return examples.build_arch(
        stages,
        first_channels=8,
        feature_mix_channels=64,
        resolution=32,
        num_classes=4,
        first_block=examples.Stage(8, 1, 1, 3, 1.0),
    )


@pytest.fixture(scope="module")
def trained() -> tuple[torch.nn.Module, dict, ImageSplit, ImageSplit, float]:
    torch.manual_seed(0)
    arch = _tiny_arch()
    model = build_model(arch)
    train_split, val_split = _toy_split(512, 0), _toy_split(256, 1)
    seen: list[tuple[int, float]] = []
    acc = train(
        model,
        train_split,
        val_split,
        32,
        TrainConfig(steps=40, batch_size=32, lr=0.05, eval_every=20),
        on_eval=lambda step, a: seen.append((step, a)),
    )
    assert [s for s, _ in seen] == [20]
    return model, arch, train_split, val_split, acc


def test_short_training_learns(trained) -> None:  # type: ignore[no-untyped-def]
    _, _, _, _, acc = trained
    assert acc > 0.6  # chance is 0.25


def test_batchnorm_folding_keeps_outputs(trained) -> None:  # type: ignore[no-untyped-def]
    model, _, _, val, _ = trained
    x = torch.randn(4, 3, 32, 32)
    model.eval()
    torch.testing.assert_close(fold_batchnorm(model)(x), model(x), rtol=1e-4, atol=1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fold_batchnorm(model).modules())


def test_int8_accuracy_is_close_to_float(trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, arch, train_split, val, acc = trained
    float_acc = evaluate(model, val, 32)
    qnet = quantize(model, arch, train_split, num_batches=3, batch_size=32)
    assert qnet.calibration_batches == 3
    assert abs(qnet.evaluate(val) - float_acc) <= 0.05
    path = qnet.save(tmp_path / "model")
    assert path.exists() and path.with_suffix(".json").exists()


def test_weight_quantization_is_per_channel_symmetric() -> None:
    w = torch.tensor([[[[1.0]], [[-0.5]]], [[[0.005]], [[0.02]]]])
    q, scale = quantize_weights_per_channel(w)
    assert q.dtype == torch.int8 and int(q.abs().max()) == 127
    torch.testing.assert_close(scale, torch.tensor([1.0 / 127, 0.02 / 127]))
    assert q[1].flatten().tolist() == [32, 127]


def test_zero_is_exact_on_the_activation_grid() -> None:
    for low, high in ((0.0, 6.0), (-3.2, 1.1), (0.5, 2.0)):
        scale, zp = activation_params(low, high)
        assert -128 <= zp <= 127 and scale > 0
        assert float(fake_quantize(torch.zeros(1), scale, zp)) == 0.0  # zero padding stays exact
        assert fake_quantize(torch.tensor([min(low, 0.0)]), scale, zp) == pytest.approx(min(low, 0.0), abs=scale)


def test_naswot_prefers_a_network_that_separates_images() -> None:
    split = _toy_split(64, 2)
    arch = _tiny_arch()
    score = naswot_score(build_model(arch), split, 32, batch_size=16)
    assert score > 0 and score != float("inf")
