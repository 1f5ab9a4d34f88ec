#!/usr/bin/env python3
"""Experiment 3: one search per design space, compared by hypervolume over several seeds.

On the STM32F746G-DISCO, whose internal flash (1 MB) binds for the wider networks of the space (about 60 % of
it: the internal design space is a strict subset here), every design space gets its own Optuna study *sampled
in that space*: NSGA-II's first generation is random (the same architectures for the same seed), its later
generations breed from the space's own feasible trials (its constraint steers the sampler; an infeasible sample
costs a trial and no training). Same trial budget, same seeds and the same training on Fashion-MNIST (Debian
`dataset-fashion-mnist`, CPU). Training is a function of the architecture (seeded weights and data order), and
each architecture is trained once per run: a study that samples a network another study trained reuses its
accuracy, which retraining would reproduce (tests/python/search checks that it does). That buys the longer
training that ranks networks. Each study's front (accuracy vs that space's simulated latency) is scored by its
hypervolume against one reference point shared by every study of the run: latency normalized by the slowest
feasible candidate of the run, accuracy in [0, 1].

    .venv/bin/python experiments/search_spaces.py [--quick] [--out experiments-out]

The studies and their trials live in the results store (OUT/experiments.db: Optuna's tables and the search's
tinyops_search_* tables); tables: candidates, fronts, hypervolume.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

EXPERIMENT = "search_spaces"
BOARD = "stm32f746g-disco"
TRAINING_SEED = 0  # weights and data order of every training; the studies' seeds drive the sampler


@dataclasses.dataclass(frozen=True)
class Setup:
    spaces: tuple[str, ...]
    seeds: tuple[int, ...]
    trials: int
    resolutions: tuple[int, ...]
    width_mults: tuple[float, ...]
    depths: tuple[int, ...]
    kernel_sizes: tuple[int, ...]
    expand_ratios: tuple[float, ...]
    steps: int
    batch_size: int
    train_images: int
    val_images: int
    population: int  # NSGA-II generation size: later generations breed from the feasible trials of the space
    eval_every: int  # training steps between the evaluations the search's pruning rule sees


QUICK = Setup(
    spaces=("internal", "tinyops", "optimal"),
    seeds=(0, 1, 2),
    trials=3,
    resolutions=(32, 40),
    width_mults=(0.35, 0.75, 1.4),
    depths=(1, 2),
    kernel_sizes=(3,),
    expand_ratios=(3.0, 6.0),
    steps=8,
    batch_size=32,
    train_images=512,
    val_images=128,
    population=2,
    eval_every=4,
)
# Full: sized for the shared 2-core machine (see README.md, "Time"). `external` is left out: experiment 1
# shows it admits what tinyops/optimal admit, only slower. Twice the updates of the previous design (batch 32,
# 60 steps, no image seen twice) so that training ranks networks, one training per architecture for the run
# (see run_studies), and a space narrowed to what the F746's memories tell apart: width, depth and expansion
# set the weights' size (the internal flash binds), kernels 3/5 only.
FULL = Setup(
    spaces=("internal", "tinyops", "optimal"),
    seeds=(0, 1, 2),
    trials=10,
    resolutions=(32, 40),
    width_mults=(0.35, 0.5, 0.75, 1.0, 1.4),
    depths=(1, 2, 3),
    kernel_sizes=(3, 5),
    expand_ratios=(3.0, 6.0),
    steps=60,
    batch_size=32,
    train_images=1920,
    val_images=500,
    population=4,
    eval_every=20,
)


def hypervolume(points: Sequence[tuple[float, float]], ref_latency_ms: float) -> float:
    """Area dominated by (accuracy, latency_ms) points in the box accuracy [0, 1] x latency [0, ref], latency
    normalized by `ref_latency_ms`: the integral over x of the best accuracy reached at latency <= x."""
    pts = sorted((lat / ref_latency_ms, acc) for acc, lat in points if lat <= ref_latency_ms and acc > 0)
    area, best = 0.0, 0.0
    for (x, acc), (next_x, _) in zip(pts, pts[1:] + [(1.0, 0.0)]):
        best = max(best, acc)
        area += (next_x - x) * best
    return area


def run_studies(setup: Setup, out: Path, stamp: str) -> pd.DataFrame:
    """Every (space, seed) study; returns one row per finished trial with its prediction in its own space."""
    import optuna
    import torch

    from tinyops.search._data import load_data
    from tinyops.search._demo import DEMO_FULL
    from tinyops.search._design_spaces import CoreScorer
    from tinyops.search._records import load_trials
    from tinyops.search._results import candidates
    from tinyops.search._space import SearchSpace
    from tinyops.search._study import Objective, SearchConfig, open_study
    from tinyops.search._train import TrainConfig

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)  # a shared 2-core machine: one thread trains small batches fastest
    data = load_data(None, image_size=max(setup.resolutions))
    scorer = CoreScorer(BOARD)
    space = SearchSpace(
        families=("mbv2", "mbv3", "mnasnet"),
        width_mults=setup.width_mults,
        resolutions=setup.resolutions,
        depths=setup.depths,
        kernel_sizes=setup.kernel_sizes,
        expand_ratios=setup.expand_ratios,
    )
    short = TrainConfig(
        steps=setup.steps,
        batch_size=setup.batch_size,
        lr=0.05,
        train_images=setup.train_images,
        val_images=setup.val_images,
        eval_every=setup.eval_every,
    )
    storage = str(out / _common.STORE_FILE)
    # One training per architecture for the whole run: seeded weights and data order make a network's accuracy
    # a function of the network, so a space that samples one another space trained reuses the number (the
    # first generation is the same for every space of a seed). The studies' seeds vary the search only.
    accuracies: dict[str, float] = {}
    rows = []
    for seed in setup.seeds:  # seed-major: an interrupted run still holds every space of the seeds it finished
        for design_space in setup.spaces:
            config = SearchConfig(
                board=BOARD,
                design_space=design_space,
                trials=setup.trials,
                storage=storage,
                study_name=f"{EXPERIMENT}-{stamp}-{design_space}-s{seed}",
                sampler="nsga2",
                seed=TRAINING_SEED,
                space=space,
                short=short,
                full=DEMO_FULL,
                threads=1,
            )
            study, store = open_study(config)
            # The first generation is random (the same architectures for the same seed in every space); the
            # later ones breed from this space's feasible trials, so each study searches its own space.
            study.sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=setup.population)
            objective = Objective(config, store, scorer, data, "cpu", accuracies=accuracies)
            t0 = time.perf_counter()
            study.optimize(objective, n_trials=setup.trials, catch=())
            trials = load_trials(store, study.study_name)
            feasible = {c.trial_number: c for c in candidates(trials, design_space, fidelity="short")}
            reused = {t.number for t in study.trials if t.user_attrs.get("accuracy_reused")}
            for t in trials:
                c = feasible.get(t.trial_number)
                fits = any(p.fits for p in t.predictions if p.strategy == design_space)
                rows.append(
                    {
                        "design_space": design_space,
                        "seed": seed,
                        "study": study.study_name,
                        "trial": t.trial_number,
                        "label": t.label,
                        "macs": t.macs,
                        "params": t.param_count,
                        "feasible": c is not None,  # inside the space and trained to the end
                        # trained / reused (trained by an earlier study) / pruned (stopped early) / outside
                        "status": (
                            ("reused" if t.trial_number in reused else "trained")
                            if c is not None
                            else "pruned"
                            if fits
                            else "outside the space"
                        ),
                        "accuracy": c.accuracy if c else None,
                        "latency_ms": c.latency_ms if c else None,
                        "peak_sram_bytes": c.peak_sram_bytes if c else None,
                    }
                )
            print(
                f"  seed {seed} {design_space}: {len(feasible)} of {len(trials)} trials feasible, "
                f"{len(accuracies)} architectures trained so far, {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            store.engine.dispose()
    return pd.DataFrame(rows)


def fronts_and_hypervolumes(cands: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    feasible = cands[cands["feasible"]]
    ref = float(feasible["latency_ms"].max()) * 1.05 if len(feasible) else 1.0
    front_rows, hv_rows = [], []
    for (space, seed), group in cands.groupby(["design_space", "seed"], sort=False):
        pts = group[group["feasible"]]
        front: list[pd.Series] = []
        for _, p in pts.sort_values(["latency_ms", "accuracy"], ascending=[True, False]).iterrows():
            if not front or p["accuracy"] > front[-1]["accuracy"]:
                front.append(p)
        for p in front:
            front_rows.append(
                {
                    "design_space": space,
                    "seed": seed,
                    "trial": p["trial"],
                    "label": p["label"],
                    "accuracy": p["accuracy"],
                    "latency_ms": p["latency_ms"],
                }
            )
        hv = hypervolume([(p["accuracy"], p["latency_ms"]) for p in front], ref)
        hv_rows.append(
            {
                "design_space": space,
                "seed": seed,
                "trials": len(group),
                "feasible": len(pts),
                "front_size": len(front),
                "hypervolume": hv,
                "best_accuracy": float(pts["accuracy"].max()) if len(pts) else None,
            }
        )
    return pd.DataFrame(front_rows), pd.DataFrame(hv_rows), ref


def verdict(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Plain sentences: hypervolume per space (mean +- std over seeds) and whether the hybrid spaces beat
    internal by more than the seeds' spread."""
    hv = tables["hypervolume"]
    agg = hv.groupby("design_space", sort=False)["hypervolume"].agg(["mean", "std", "count"])
    lines = [
        f"  {space:8s} hypervolume {r['mean']:.4f} +- {0 if r['std'] != r['std'] else r['std']:.4f} "
        f"over {int(r['count'])} seeds"
        for space, r in agg.iterrows()
    ]
    if "internal" in agg.index:
        base = agg.loc["internal"]
        for space in (s for s in ("tinyops", "optimal", "external") if s in agg.index):
            r = agg.loc[space]
            spread = (0 if base["std"] != base["std"] else base["std"]) + (0 if r["std"] != r["std"] else r["std"])
            diff = r["mean"] - base["mean"]
            word = "beats" if diff > spread else "loses to" if -diff > spread else "does not separate from"
            lines.append(f"  {space} {word} internal ({diff:+.4f}, seeds' spread {spread:.4f})")
    return lines


def run(quick: bool, out: Path, argv: Sequence[str] | None = None) -> dict[str, Any]:
    from tinyops.latency_model import load_board

    setup = QUICK if quick else FULL
    run_ = _common.Run(EXPERIMENT, quick, out, argv)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    cands = run_.table("candidates", run_studies(setup, out, stamp))
    fronts, hv, ref = fronts_and_hypervolumes(cands)
    run_.table("fronts", fronts)
    run_.table("hypervolume", hv)
    board = load_board(BOARD)
    run_.table(
        "setup",
        pd.DataFrame(
            [
                dataclasses.asdict(setup)
                | {
                    "board": BOARD,
                    "board_label": _common.board_label(board),
                    "reference_latency_ms": ref,
                    "data": "Fashion-MNIST (Debian dataset-fashion-mnist), short training, float top-1 on held-out images",
                }
            ]
        ).map(lambda v: ", ".join(map(str, v)) if isinstance(v, tuple) else v),
    )
    summary: dict[str, Any] = {"reference_latency_ms": ref}
    for space, group in hv.groupby("design_space"):
        summary[f"{space}:hypervolume_mean"] = float(group["hypervolume"].mean())
        summary[f"{space}:hypervolume_std"] = float(group["hypervolume"].std(ddof=0))
        summary[f"{space}:feasible_share"] = float(group["feasible"].sum() / group["trials"].sum())
    run_.finish(summary)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    args = _common.parse_args(__doc__.splitlines()[0], argv)
    for key, value in run(args.quick, args.out).items():
        print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
