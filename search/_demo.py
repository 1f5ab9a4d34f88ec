"""The project's main job: a short search on Fashion-MNIST for STM32F746G-DISCO (under 10 minutes on 2 cores).

The study searches the `tinyops` design space; every candidate is also scored under the other strategies, so
the fronts of all four design spaces come from the same trained candidates. The bounds are narrowed so that
each trial trains in seconds on a CPU: resolutions 32-48, widths 0.25-0.75, depths 1-3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tinyops.search._space import SearchSpace
from tinyops.search._study import SearchConfig
from tinyops.search._train import TrainConfig

DEMO_BOARD = "stm32f746g-disco"
DEMO_SPACE = SearchSpace(
    families=("mbv2", "mbv3", "mnasnet"),
    width_mults=(0.25, 0.35, 0.5, 0.75),
    resolutions=(32, 40, 48),
    depths=(1, 2, 3),
)
DEMO_SHORT = TrainConfig(steps=45, batch_size=64, lr=0.05, train_images=2880, val_images=500, eval_every=15)
# The exported candidate: float and int8 accuracy on all 10000 test images (the host runtime takes ~30 s for
# them on 2 busy cores).
DEMO_FULL = TrainConfig(steps=200, batch_size=64, lr=0.05, train_images=None, val_images=None, eval_every=1000)


def demo_design_space() -> str:
    """`tinyops` when the core has its planner, else `external` (a core built before the tinyops planner)."""
    from tinyops.search._design_spaces import CoreScorer

    return "tinyops" if "tinyops" in CoreScorer(DEMO_BOARD).strategies else "external"


def demo_config(out_dir: str | Path, trials: int = 24, seed: int = 0, design_space: str = "tinyops") -> SearchConfig:
    """The demo's search settings; its storage is `out_dir`/search.db (started afresh by `fresh_storage`)."""
    out_dir = Path(out_dir)
    return SearchConfig(
        board=DEMO_BOARD,
        design_space=design_space,
        trials=trials,
        storage=str(out_dir / "search.db"),
        study_name=f"demo-{DEMO_BOARD}",
        sampler="nsga2",
        seed=seed,
        space=DEMO_SPACE,
        short=DEMO_SHORT,
        full=DEMO_FULL,
        calibration_batches=8,
        heartbeat_interval_s=30,
        grace_period_s=90,
    )


def fresh_storage(out_dir: str | Path) -> None:
    """Remove a previous demo's database so every demo run starts from zero trials."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (out_dir / f"search.db{suffix}").unlink(missing_ok=True)


def start_helper_workers(count: int, out_dir: str | Path, trials: int, design_space: str) -> list[subprocess.Popen]:
    """`count` more worker processes on the demo's study (one PyTorch thread each: the demo uses every core).

    Each has its own sampler seed so that their first generations differ; their logs go to out_dir/worker-N.log.
    """
    workers = []
    for n in range(1, count + 1):
        log = open(Path(out_dir) / f"worker-{n}.log", "w")  # noqa: SIM115 - closed when the process ends
        code = (
            "import sys; from tinyops.search._demo import run_worker; "
            "run_worker(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))"
        )
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", code, str(out_dir), str(trials), design_space, str(n)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def run_worker(out_dir: str, trials: int, design_space: str, seed: int) -> None:
    """A helper worker of the demo (see `start_helper_workers`)."""
    import optuna

    from tinyops.search._study import run_search

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_search(demo_config(out_dir, trials, seed=seed, design_space=design_space))


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
