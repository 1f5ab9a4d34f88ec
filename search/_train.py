"""Accuracy at several fidelities: a zero-cost proxy at initialization, short and full training, evaluation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tinyops.search._data import ImageSplit, batches


@dataclass(frozen=True)
class TrainConfig:
    """One training fidelity: how many images, steps and what optimiser settings."""

    steps: int = 60
    batch_size: int = 64
    lr: float = 0.05
    weight_decay: float = 4e-5
    train_images: int | None = 6000
    val_images: int | None = 1000
    eval_every: int = 20  # steps between intermediate evaluations (what the pruning rule sees)
    seed: int = 0


def naswot_score(
    model: nn.Module,
    split: ImageSplit,
    resolution: int,
    *,
    batch_size: int = 32,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> float:
    """NASWOT (Mellor et al., ICML 2021): log|det K| of the binary ReLU-activation-pattern kernel at init.

    Higher is better: a network whose activation patterns tell the images of a batch apart tends to train to
    a higher accuracy. Every ReLU/ReLU6/hard-swish output contributes its sign pattern.
    """
    x, _ = next(batches(split.subset(batch_size, seed), resolution, batch_size, shuffle=False, device=device))
    codes: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        codes.append((output.detach().flatten(1) > 0).float())

    handles = [
        m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6, nn.Hardswish))
    ]
    was_training = model.training
    model.train()  # NASWOT scores at initialization with batch statistics
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    c = torch.cat(codes, dim=1).double()
    kernel = c @ c.t() + (1 - c) @ (1 - c).t()  # number of units on which two images agree
    sign, logdet = torch.linalg.slogdet(kernel)
    return float(logdet) if sign > 0 else float("-inf")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    split: ImageSplit,
    resolution: int,
    *,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
    channels: int = 3,
) -> float:
    """Top-1 accuracy (fraction) on `split`."""
    was_training = model.training
    model.eval()
    correct = 0
    for x, y in batches(split, resolution, batch_size, shuffle=False, channels=channels, device=device):
        correct += int((model(x).argmax(1) == y).sum())
    model.train(was_training)
    return correct / max(1, len(split))


def train(
    model: nn.Module,
    train_split: ImageSplit,
    val_split: ImageSplit,
    resolution: int,
    config: TrainConfig,
    *,
    device: torch.device | str = "cpu",
    on_eval: Callable[[int, float], None] | None = None,
) -> float:
    """SGD with momentum and a cosine schedule for `config.steps` steps; returns the final val accuracy.

    `on_eval(step, accuracy)` is called every `config.eval_every` steps (the pruning hook; it may raise
    optuna.TrialPruned to stop).
    """
    torch.manual_seed(config.seed)
    model.to(device).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=0.9, nesterov=True, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=max(1, config.steps), pct_start=0.15
    )
    train_split = train_split.subset(config.train_images, config.seed)
    val_split = val_split.subset(config.val_images, config.seed + 1)
    step, epoch = 0, 0
    while step < config.steps:
        for x, y in batches(
            train_split, resolution, config.batch_size, shuffle=True, seed=config.seed + epoch, device=device
        ):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if on_eval is not None and step % config.eval_every == 0 and step < config.steps:
                on_eval(step, evaluate(model, val_split, resolution, device=device))
            if step >= config.steps:
                break
        epoch += 1
    return evaluate(model, val_split, resolution, device=device)
