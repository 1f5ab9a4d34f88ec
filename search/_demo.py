"""The project's main job: a short search on Fashion-MNIST for STM32F746G-DISCO (under 10 minutes on 2 cores).

The study searches the `tinyops` design space; every candidate is also scored under the other strategies, so
the fronts of all four design spaces come from the same trained candidates. The bounds are narrowed so that
each trial trains in seconds on a CPU: resolutions 32-48, widths 0.25-0.75, depths 1-3.
"""

from __future__ import annotations

from pathlib import Path

from tinyops.search._space import SearchSpace
from tinyops.search._study import SearchConfig
from tinyops.search._train import TrainConfig

DEMO_BOARD = "stm32f746g-disco"
# MobileNetV3-style networks use hard-swish, which the compiler's int8 IR lacks so far; the demo searches the
# families it can hand off end to end (`tinyops search` searches all three).
DEMO_SPACE = SearchSpace(families=("mbv2", "mnasnet"), width_mults=(0.25, 0.35, 0.5, 0.75), resolutions=(32, 40, 48),
                         depths=(1, 2, 3))
DEMO_SHORT = TrainConfig(steps=45, batch_size=64, lr=0.05, train_images=2880, val_images=500, eval_every=15)
DEMO_FULL = TrainConfig(steps=300, batch_size=64, lr=0.05, train_images=None, val_images=2000, eval_every=1000)


def demo_design_space() -> str:
    """`tinyops` when the core has its planner, else `external` (a core built before the tinyops planner)."""
    from tinyops.search._design_spaces import CoreScorer

    return "tinyops" if "tinyops" in CoreScorer(DEMO_BOARD).strategies else "external"


def demo_config(out_dir: str | Path, trials: int = 24, seed: int = 0, design_space: str = "tinyops") -> SearchConfig:
    """The demo's search settings; its storage is `out_dir`/search.db (started afresh by `fresh_storage`)."""
    out_dir = Path(out_dir)
    return SearchConfig(board=DEMO_BOARD, design_space=design_space, trials=trials, storage=str(out_dir / "search.db"),
                        study_name=f"demo-{DEMO_BOARD}", sampler="nsga2", seed=seed, space=DEMO_SPACE,
                        short=DEMO_SHORT, full=DEMO_FULL, calibration_batches=8, heartbeat_interval_s=30,
                        grace_period_s=90)


def fresh_storage(out_dir: str | Path) -> None:
    """Remove a previous demo's database so every demo run starts from zero trials."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (out_dir / f"search.db{suffix}").unlink(missing_ok=True)
