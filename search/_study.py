"""The search study: Optuna multi-objective over a design space, workers joining one storage.

Each trial samples an architecture (`SearchSpace`), has the C++ core score it under every strategy, records
that, sets the design space's constraints and, only when it is feasible, trains it briefly (after a NASWOT
score at initialization). Objectives: accuracy (maximize) and the design space's latency (minimize),
optionally peak SRAM (minimize).

Several workers join one study by running the same command against one RDB storage (SQLite for one machine,
PostgreSQL for several). Heartbeats mark the trial of a killed worker failed after the grace period, and
`RetryHeartbeatStaleTrialCallback` queues it again with the same parameters, so no trial is lost.

Pruning: Optuna's pruners do not work for multi-objective studies (`Trial.report` raises there), so short
training is pruned by a Pareto rule: at an intermediate evaluation, a trial stops when a completed trial of
the same study had a clearly higher accuracy at the same step *and* a latency no higher (it can no longer
reach the front). The decision raises `optuna.TrialPruned`, so the trial is recorded as PRUNED.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import optuna
import sqlalchemy as sa
from optuna.trial import FrozenTrial, TrialState

from tinyops.search._design_spaces import (
    INFEASIBLE_LATENCY_MS,
    CoreScorer,
    Limits,
    check_design_space,
    constraint_values,
    infeasibility_reason,
)
from tinyops.search._space import SearchSpace
from tinyops.search._train import TrainConfig
from tinyops.store import Store, open_store

DEFAULT_BOARD = "stm32f746g-disco"
DEFAULT_STORAGE = "tinyops-search.db"
PRUNE_MARGIN = 0.02
_SCHEMA_LOCK_KEY = 0x7415E4  # any constant shared by every worker  # accuracy a completed trial must lead by before a dominated trial is stopped


class NoFeasibleArchitecture(RuntimeError):
    """Every sampled architecture was outside the design space (the message gives the count and reasons)."""


def storage_url(storage: str | Path | None) -> str:
    """An RDB URL: a path becomes a SQLite file; postgresql:// uses psycopg 3 (the driver the set-up installs)."""
    text = str(storage or DEFAULT_STORAGE)
    if "://" not in text:
        path = Path(text).resolve()
        if not path.parent.is_dir():
            raise ValueError(f"storage {text}: directory {path.parent} does not exist")
        return f"sqlite:///{path}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


@dataclass
class SearchConfig:
    """Everything a search run needs; the CLI fills it from its options."""

    board: str = DEFAULT_BOARD
    design_space: str = "tinyops"
    trials: int = 20
    storage: str | None = None
    study_name: str | None = None
    data_dir: Path | None = None
    sampler: str = "nsga2"  # or "tpe"
    seed: int = 0
    sram_objective: bool = False
    limits: Limits = field(default_factory=Limits)
    space: SearchSpace = field(default_factory=SearchSpace)
    short: TrainConfig = field(default_factory=TrainConfig)
    full: TrainConfig = field(default_factory=lambda: TrainConfig(steps=400, train_images=None, val_images=None))
    calibration_batches: int = 8
    prune: bool = True
    heartbeat_interval_s: int = 10
    grace_period_s: int = 30
    max_retry: int = 3
    artifacts_dir: Path = Path("tinyops-search-artifacts")
    device: str | None = None
    # PyTorch CPU threads per worker. One by default: on a shared machine, PyTorch's spinning OpenMP threads
    # slow small-batch training down by an order of magnitude when the cores are oversubscribed.
    threads: int = 1

    def resolved_study_name(self) -> str:
        return self.study_name or f"{self.board}-{self.design_space}"

    def directions(self) -> list[Literal["minimize", "maximize"]]:
        directions: list[Literal["minimize", "maximize"]] = ["maximize", "minimize"]
        return directions + ["minimize"] if self.sram_objective else directions

    def study_identity(self) -> dict[str, Any]:
        """What every worker of one study must agree on (stored as the study's user attributes)."""
        return {
            "board": self.board,
            "design_space": self.design_space,
            "space": self.space.to_json(),
            "sram_objective": self.sram_objective,
            "limits": dataclasses.asdict(self.limits),
            "short_training": dataclasses.asdict(self.short),
        }


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """NSGA-II or multi-objective TPE, seeded; both read the constraints set with `trial.set_constraint`."""
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=10)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)
    raise ValueError(f"unknown sampler '{name}' (expected nsga2 or tpe)")


def open_study(config: SearchConfig, *, create: bool = True) -> tuple[optuna.Study, Store]:
    """The study and the results store on one storage URL (the store's tables beside Optuna's).

    An unreachable storage is a ValueError naming the URL, raised before anything is written. A study that
    exists with other settings (board, design space, bounds) is refused rather than mixed.
    """
    url = storage_url(config.storage)
    with _schema_lock(url):  # workers starting together must not create the same tables twice
        store = open_store(url)
        with warnings.catch_warnings():  # heartbeats and their retry callback are marked experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            rdb = _rdb_storage(url, config)
        name = config.resolved_study_name()
        if not create:
            try:
                study = optuna.load_study(study_name=name, storage=rdb)
            except KeyError:
                raise KeyError(
                    f"study '{name}' not found in {store.engine.url.render_as_string(hide_password=True)}"
                    f" (known: {', '.join(optuna.get_all_study_names(rdb)) or 'none'})"
                ) from None
            return study, store
        study = optuna.create_study(
            study_name=name,
            storage=rdb,
            directions=config.directions(),
            sampler=make_sampler(config.sampler, config.seed),
            load_if_exists=True,
        )
        identity = json.loads(json.dumps(config.study_identity()))
        existing = study.user_attrs.get("search")
        if existing is None:
            study.set_user_attr("search", identity)
        elif existing != identity:
            differing = sorted(k for k in identity if identity[k] != existing.get(k))
            raise ValueError(
                f"study '{name}' exists with other settings ({', '.join(differing)}); "
                "use another --study name or the same settings"
            )
    return study, store


@contextlib.contextmanager
def _schema_lock(url: str) -> Iterator[None]:
    """On PostgreSQL, a session advisory lock around schema and study creation; elsewhere nothing."""
    if not url.startswith("postgresql"):
        yield
        return
    engine = sa.create_engine(url)
    try:
        conn = engine.connect()
    except sa.exc.OperationalError as exc:
        raise ValueError(
            f"storage {engine.url.render_as_string(hide_password=True)}: cannot be reached "
            f"({str(exc.orig).strip().splitlines()[0]})"
        ) from None
    try:
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        yield
    finally:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        conn.close()
        engine.dispose()


def _rdb_storage(url: str, config: SearchConfig) -> optuna.storages.RDBStorage:
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        engine_kwargs["connect_args"] = {"timeout": 60}  # several local workers share the file: wait for locks
    return optuna.storages.RDBStorage(
        url,
        engine_kwargs=engine_kwargs,
        heartbeat_interval=config.heartbeat_interval_s,
        grace_period=config.grace_period_s,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=config.max_retry),
    )


def study_identity(study: optuna.Study) -> dict[str, Any]:
    identity = study.user_attrs.get("search")
    if identity is None:
        raise ValueError(f"study '{study.study_name}' was not created by `tinyops search`")
    return identity


class Objective:
    """The trial function; built once per worker (data loaded, board loaded, store open).

    `accuracies`, when given, makes short training a function of the architecture: the model's initial weights
    are seeded too, and an architecture trained to the end once (by any study sharing the mapping) is not
    trained again; its accuracy is reused, as retraining would reproduce it. Several studies that compare
    design spaces then spend their time on architectures none of them has trained.
    """

    def __init__(
        self,
        config: SearchConfig,
        store: Store,
        scorer: CoreScorer,
        data: Any,
        device: str,
        accuracies: MutableMapping[str, float] | None = None,
    ) -> None:
        self.config, self.store, self.scorer, self.data, self.device = config, store, scorer, data, device
        self.space = dataclasses.replace(config.space, num_classes=data.num_classes)
        self.accuracies = accuracies

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        from tinyops.latency_model import load_arch
        from tinyops.search._records import record_accuracy, record_trial

        cfg = self.config
        t0 = time.perf_counter()
        arch = self.space.sample(trial)
        net = load_arch(arch)
        predictions = self.scorer.predict(net)
        record_trial(
            self.store,
            optuna_trial_id=trial._trial_id,
            study_name=trial.study.study_name,
            trial_number=trial.number,
            board=cfg.board,
            design_space=cfg.design_space,
            label=(
                f"{trial.params['family']} w{trial.params['width_mult']} r{arch['resolution']} "
                f"{len(arch['blocks'])} blocks"
            ),
            arch=arch,
            macs=net.total_macs,
            param_count=net.param_count,
            weight_bytes=net.weight_bytes,
            predictions=predictions,
        )
        for key, value in constraint_values(cfg.design_space, predictions, cfg.limits).items():
            trial.set_constraint(key, value)
        p = predictions[cfg.design_space]
        reason = infeasibility_reason(cfg.design_space, predictions, cfg.limits)
        latency = p.latency_ms if p.latency_ms is not None else INFEASIBLE_LATENCY_MS
        sram_kb = (p.peak_sram_bytes or 0) / 1024
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trial.set_user_attr("latency_ms", latency)
        trial.set_user_attr("macs", net.total_macs)
        trial.set_user_attr("feasible", not reason)
        if reason:
            trial.set_user_attr("infeasible_reason", reason)
            trial.set_user_attr("search_s", time.perf_counter() - t0)
            trial.set_user_attr("training_s", 0.0)
            return self._values(0.0, latency, sram_kb)

        import torch

        from tinyops.search._torch_model import build_model
        from tinyops.search._train import naswot_score, train

        short = dataclasses.replace(cfg.short, seed=cfg.seed)
        memo_key = json.dumps([arch, dataclasses.asdict(short)], sort_keys=True)
        if self.accuracies is not None and memo_key in self.accuracies:
            accuracy = self.accuracies[memo_key]
            trial.set_user_attr("training_s", 0.0)
            trial.set_user_attr("accuracy_reused", True)
            self._record_short(trial, accuracy, short.steps, "top-1, float (same architecture trained earlier)")
            trial.set_user_attr("search_s", time.perf_counter() - t0)
            return self._values(accuracy, latency, sram_kb)

        search_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        if self.accuracies is not None:
            torch.manual_seed(short.seed)  # the initial weights too: accuracy depends on the architecture only
        model = build_model(arch)
        proxy = naswot_score(model, self.data.train, arch["resolution"], seed=cfg.seed, device=self.device)
        record_accuracy(
            self.store, trial._trial_id, "proxy-naswot", proxy, method="naswot log|K| at init", dataset=self.data.name
        )
        trial.set_user_attr("search_s", search_s)

        def on_eval(step: int, accuracy: float) -> None:
            trial.set_user_attr(f"acc@{step}", accuracy)
            if cfg.prune and _dominated_at(trial.study, step, accuracy, latency):
                trial.set_user_attr("pruned_at_step", step)
                raise optuna.TrialPruned(f"dominated at step {step}: accuracy {accuracy:.3f}")

        try:
            accuracy = train(
                model, self.data.train, self.data.val, arch["resolution"], short, device=self.device, on_eval=on_eval
            )
        finally:
            training_s = time.perf_counter() - t1
            trial.set_user_attr("training_s", training_s)
        t2 = time.perf_counter()
        self._record_short(trial, accuracy, short.steps, "top-1, float")
        trial.set_user_attr("search_s", search_s + time.perf_counter() - t2)
        if self.accuracies is not None:
            self.accuracies[memo_key] = accuracy
        return self._values(accuracy, latency, sram_kb)

    def _record_short(self, trial: optuna.Trial, accuracy: float, steps: int, method: str) -> None:
        from tinyops.search._records import record_accuracy

        record_accuracy(
            self.store, trial._trial_id, "short", accuracy, steps=steps, method=method, dataset=self.data.name
        )
        trial.set_user_attr("accuracy_short", accuracy)

    def _values(self, accuracy: float, latency_ms: float, sram_kb: float) -> tuple[float, ...]:
        return (accuracy, latency_ms, sram_kb) if self.config.sram_objective else (accuracy, latency_ms)


def _dominated_at(study: optuna.Study, step: int, accuracy: float, latency_ms: float) -> bool:
    for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if not other.user_attrs.get("feasible"):
            continue
        other_acc = other.user_attrs.get(f"acc@{step}")
        if other_acc is not None and other_acc >= accuracy + PRUNE_MARGIN and other.values[1] <= latency_ms:
            return True
    return False


@dataclass
class SearchSummary:
    study_name: str
    storage: str
    finished: int
    feasible: int
    infeasible: int
    pruned: int
    failed: int
    reasons: dict[str, int]
    examples: dict[str, str] = field(default_factory=dict)


def summarize(study: optuna.Study, storage: str) -> SearchSummary:
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    infeasible = [t for t in complete if not t.user_attrs.get("feasible", False)]
    reasons: dict[str, int] = {}
    examples: dict[str, str] = {}
    for t in infeasible:
        reason = str(t.user_attrs.get("infeasible_reason", "?"))
        kind = re.sub(r"\d[\d.,]*", "N", reason)[:120]  # group reasons that differ only in their numbers
        reasons[kind] = reasons.get(kind, 0) + 1
        examples.setdefault(kind, reason)
    return SearchSummary(
        study.study_name,
        storage,
        len(complete) + sum(t.state == TrialState.PRUNED for t in trials),
        len(complete) - len(infeasible),
        len(infeasible),
        sum(t.state == TrialState.PRUNED for t in trials),
        sum(t.state == TrialState.FAIL for t in trials),
        reasons,
        examples,
    )


def prepare(config: SearchConfig) -> tuple[CoreScorer, Any]:
    """Everything that can fail on bad input, checked before any storage is touched."""
    from tinyops.search._data import load_data

    check_design_space(config.design_space)
    make_sampler(config.sampler, config.seed)
    if config.trials <= 0:
        raise ValueError(f"--trials: expected a positive number, got {config.trials}")
    data = load_data(config.data_dir, image_size=max(config.space.resolutions))
    scorer = CoreScorer(config.board)
    scorer.require(config.design_space)
    return scorer, data


def run_search(
    config: SearchConfig, *, on_trial: Callable[[optuna.Study, FrozenTrial], None] | None = None
) -> SearchSummary:
    """Run (or join) the study until it holds `config.trials` finished trials.

    Raises NoFeasibleArchitecture when no sampled architecture was inside the design space.
    """
    import torch

    from tinyops.search._torch_model import default_device

    scorer, data = prepare(config)
    study, store = open_study(config)
    device = config.device or str(default_device())
    if device == "cpu":
        torch.set_num_threads(max(1, config.threads))
    objective = Objective(config, store, scorer, data, device)
    callbacks: list[Callable[[optuna.Study, FrozenTrial], None]] = [
        optuna.study.MaxTrialsCallback(config.trials, states=(TrialState.COMPLETE, TrialState.PRUNED))
    ]
    if on_trial is not None:
        callbacks.append(on_trial)
    if _finished(study) < config.trials:
        study.optimize(objective, n_trials=config.trials, callbacks=callbacks, catch=())
    summary = summarize(study, store.engine.url.render_as_string(hide_password=True))
    if summary.feasible == 0 and summary.finished > 0:
        detail = "; ".join(
            f"{n}x {r} (e.g. {summary.examples[r]})"
            for r, n in sorted(summary.reasons.items(), key=lambda kv: -kv[1])[:3]
        )
        raise NoFeasibleArchitecture(
            f"no feasible architecture in design space '{config.design_space}' on {config.board}: "
            f"{summary.infeasible} of {summary.infeasible + summary.pruned + summary.feasible} samples infeasible"
            f" ({detail})"
        )
    return summary


def _finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
