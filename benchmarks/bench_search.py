"""Per-trial time split of the search: sampling + core scoring + records vs training.

Runs a short study with the demo's settings (Fashion-MNIST, STM32F746G-DISCO, tinyops design space) in a
temporary SQLite file, then times sampling and core scoring alone over many architectures. Prints the
figures; asserts nothing (the target is search overhead <= 5% of a trial).

    .venv/bin/python benchmarks/bench_search.py [--trials 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import optuna


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200, help="architectures for the sampling/scoring loop")
    args = parser.parse_args()

    from tinyops.search._demo import demo_config, demo_design_space
    from tinyops.search._design_spaces import CoreScorer
    from tinyops.search._study import run_search

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        config = demo_config(Path(tmp), trials=args.trials, design_space=demo_design_space())
        config.prune = False  # every trial trains to the end: the split of a full trial
        run_search(config)
        study = optuna.load_study(
            study_name=config.resolved_study_name(), storage=f"sqlite:///{Path(tmp) / 'search.db'}"
        )
        trained = [t for t in study.trials if t.user_attrs.get("training_s", 0) > 0]
        # Outside training: the whole trial (from Optuna creating it, sampler included, to its values being
        # stored) minus the training time measured inside the objective.
        training_s = [t.user_attrs["training_s"] for t in trained]
        search_s = [
            (t.datetime_complete - t.datetime_start).total_seconds() - t.user_attrs["training_s"] for t in trained
        ]

    space = config.space
    scorer = CoreScorer(config.board)
    sampler_study = optuna.create_study(directions=config.directions(), sampler=optuna.samplers.NSGAIISampler(seed=0))
    sample_s, score_s = [], []
    for _ in range(args.samples):
        trial = sampler_study.ask()
        t0 = time.perf_counter()
        arch = space.sample(trial)
        t1 = time.perf_counter()
        scorer.predict(arch)
        t2 = time.perf_counter()
        sampler_study.tell(trial, (0.0, 0.0))
        sample_s.append(t1 - t0)
        score_s.append(t2 - t1)

    print(
        f"board {config.board}, design space {config.design_space}, {len(trained)} trained trials "
        f"({config.short.steps} steps x {config.short.batch_size} images each)"
    )
    print(f"  sampling (Optuna suggest + JSON generation): {1e3 * statistics.median(sample_s):8.2f} ms/arch")
    print(
        f"  core scoring, {len(scorer.strategies)} strategies (plan + simulate): "
        f"{1e3 * statistics.median(score_s):8.2f} ms/arch"
    )
    print(
        f"  per trial outside training (sampler, scoring, records, storage):  "
        f"{1e3 * statistics.median(search_s):8.1f} ms (median)"
    )
    print(
        f"  per trial training (NASWOT + short training + evaluation):        "
        f"{statistics.median(training_s):8.2f} s (median)"
    )
    overhead = sum(search_s) / (sum(search_s) + sum(training_s))
    print(f"  search overhead: {100 * overhead:.2f}% of trial time (target <= 5%)")


if __name__ == "__main__":
    main()
