"""CLI for the search: `tinyops search`, `tinyops results`, `tinyops export`, `tinyops search-demo`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

console = Console(width=None if Console().is_terminal else 120)

_STORAGE_HELP = "SQLite file or RDB URL (postgresql://user@host/db for several workers)"


def _train_config(steps: int, train_images: int | None, seed: int):  # type: ignore[no-untyped-def]
    from tinyops.search._train import TrainConfig

    if steps <= 0:
        raise ValueError(f"--steps: expected a positive number, got {steps}")
    return TrainConfig(steps=steps, train_images=train_images, eval_every=max(1, steps // 3), seed=seed)


def search(
    board: str = typer.Option("stm32f746g-disco", help="board name from the catalog, or a board YAML path"),
    space: str = typer.Option("tinyops", help="design space: internal, external, tinyops or optimal"),
    trials: int = typer.Option(20, help="finished trials the study should hold (shared by all workers)"),
    data: Path | None = typer.Option(
        None, help="ImageFolder tree or Fashion-MNIST idx directory (default: Debian's Fashion-MNIST)"
    ),
    storage: str = typer.Option("tinyops-search.db", help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="study name (default BOARD-SPACE); workers join by name"),
    sampler: str = typer.Option("nsga2", help="nsga2 or tpe"),
    seed: int = typer.Option(0, help="sampler and training seed"),
    sram_objective: bool = typer.Option(False, "--sram-objective", help="also minimize peak SRAM"),
    max_latency_ms: float | None = typer.Option(None, help="extra constraint: latency limit"),
    max_sram_kb: float | None = typer.Option(None, help="extra constraint: peak SRAM limit"),
    steps: int = typer.Option(60, help="short-training steps per trial"),
    train_images: int | None = typer.Option(6000, help="training images per trial"),
    resolutions: str = typer.Option("32,40,48,56,64", help="input resolutions to search, comma-separated"),
    widths: str = typer.Option("0.25,0.35,0.5,0.75,1.0", help="width multipliers to search, comma-separated"),
    se: bool = typer.Option(False, "--se", help="sample squeeze-and-excitation per stage (MobileNetV3's SE)"),
    threads: int = typer.Option(1, help="PyTorch CPU threads of this worker"),
    heartbeat_s: int = typer.Option(10, help="heartbeat interval; a silent worker's trial fails after 3x"),
    no_prune: bool = typer.Option(False, "--no-prune", help="train every feasible trial to the end"),
) -> None:
    """Search architectures for BOARD in a design space; run it on several machines to share one study."""
    from tinyops.search._design_spaces import Limits
    from tinyops.search._space import SearchSpace
    from tinyops.search._study import SearchConfig

    with user_errors():
        res = _numbers("--resolutions", resolutions, int)
        width_mults = _numbers("--widths", widths, float)
        config = SearchConfig(
            board=board,
            design_space=space,
            trials=trials,
            storage=storage,
            study_name=study,
            data_dir=data,
            sampler=sampler,
            seed=seed,
            sram_objective=sram_objective,
            limits=Limits(max_latency_ms, int(max_sram_kb * 1024) if max_sram_kb is not None else None),
            space=SearchSpace(
                width_mults=width_mults, resolutions=res, squeeze_excite=(False, True) if se else (False,)
            ),
            short=_train_config(steps, train_images, seed),
            prune=not no_prune,
            heartbeat_interval_s=heartbeat_s,
            grace_period_s=3 * heartbeat_s,
            threads=threads,
        )
        summary = _run_with_progress(config)
    console.print(
        f"study [bold]{summary.study_name}[/] in {summary.storage}: {summary.finished} finished "
        f"({summary.feasible} feasible, {summary.infeasible} infeasible, {summary.pruned} pruned, "
        f"{summary.failed} failed and retried)"
    )


def _numbers(option: str, text: str, kind: type) -> tuple:  # type: ignore[type-arg]
    try:
        return tuple(kind(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"{option}: expected comma-separated numbers, got '{text}'") from None


def _run_with_progress(config):  # type: ignore[no-untyped-def]
    import optuna
    from optuna.trial import TrialState
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tinyops.search._study import run_search

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the progress display says what happens
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"search {config.design_space} on {config.board}", total=config.trials, last="")

        def on_trial(study, trial) -> None:  # type: ignore[no-untyped-def]
            done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
            if trial.state == TrialState.COMPLETE and trial.user_attrs.get("feasible"):
                last = f"#{trial.number}: acc {trial.values[0]:.3f}, {trial.values[1]:.2f} ms"
            elif trial.state == TrialState.COMPLETE:
                last = f"#{trial.number}: infeasible ({str(trial.user_attrs.get('infeasible_reason'))[:60]})"
            else:
                last = f"#{trial.number}: {trial.state.name.lower()}"
            progress.update(task, completed=min(done, config.trials), last=last)

        return run_search(config, on_trial=on_trial)


def _study_and_store(storage: str, study: str | None):  # type: ignore[no-untyped-def]
    import optuna

    from tinyops.search._study import SearchConfig, open_study, storage_url

    url = storage_url(storage)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        raise FileNotFoundError(f"{url[len('sqlite:///') :]}: no search storage here (run `tinyops search` first)")
    if study is None:
        from tinyops.store import open_store

        open_store(url)
        names = optuna.get_all_study_names(url)
        if len(names) != 1:
            raise ValueError(f"--study: expected one of {', '.join(names) or '(none)'}")
        study = names[0]
    return open_study(SearchConfig(storage=storage, study_name=study), create=False)


def print_fronts(per_space, title: str) -> None:  # type: ignore[no-untyped-def]
    for space, (points, front) in per_space.items():
        table = Table(
            title=f"{title}: design space [bold]{space}[/] — {len(front)} on the front, {len(points)} deployable"
        )
        for col in ("trial", "network", "accuracy", "fidelity", "latency ms", "peak SRAM KB", "M MACs", "M params"):
            table.add_column(col, justify="left" if col in ("network", "fidelity") else "right", no_wrap=True)
        for c in front:
            table.add_row(
                str(c.trial_number),
                c.arch_name,
                f"{100 * c.accuracy:.1f}%",
                c.fidelity,
                f"{c.latency_ms:.2f}",
                f"{(c.peak_sram_bytes or 0) / 1024:.0f}",
                f"{c.macs / 1e6:.1f}",
                f"{c.param_count / 1e6:.3f}",
            )
        console.print(table)


def results(
    storage: str = typer.Option("tinyops-search.db", help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="study name (default: the only one in the storage)"),
    plot: Path | None = typer.Option(None, help="write the fronts of every design space to this PNG"),
) -> None:
    """Print the Pareto front (accuracy vs predicted latency) of each design space."""
    from tinyops.search._records import load_trials
    from tinyops.search._results import fronts, plot_fronts

    with user_errors():
        optuna_study, store = _study_and_store(storage, study)
        rows = load_trials(store, optuna_study.study_name)
        if not rows:
            raise ValueError(f"study '{optuna_study.study_name}' has no recorded trials yet")
        per_space = fronts(rows, fidelity=None)
    print_fronts(per_space, optuna_study.study_name)
    if plot is not None:
        console.print(f"plot: {plot_fronts(per_space, plot, title=optuna_study.study_name)}")


def export(
    trial: int = typer.Argument(..., help="trial number (as `tinyops results` lists it)"),
    storage: str = typer.Option("tinyops-search.db", help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="study name (default: the only one in the storage)"),
    out: Path = typer.Option(Path("export"), help="directory for the arch JSON, checkpoint and int8 model"),
    data: Path | None = typer.Option(None, help="the data set the study searched on (default Fashion-MNIST)"),
    steps: int = typer.Option(400, help="full-training steps"),
) -> None:
    """Train TRIAL's architecture fully, quantize it to int8 and write arch JSON, checkpoint and int8 model."""
    from tinyops.search._data import load_data
    from tinyops.search._export import export_trial
    from tinyops.search._train import TrainConfig

    with user_errors():
        optuna_study, store = _study_and_store(storage, study)
        dataset = load_data(data)
        result = export_trial(
            optuna_study,
            store,
            trial,
            out,
            data=dataset,
            full=TrainConfig(steps=steps, train_images=None, val_images=None),
        )
    console.print(
        f"trial {trial}: full accuracy {100 * result.full_accuracy:.1f}%, int8 "
        f"{100 * result.int8_accuracy:.1f}% ({result.int8_method})"
    )
    for kind, path in result.files.items():
        console.print(f"  {kind}: {path}")


def search_demo(
    out: Path = typer.Option(Path("demo-output"), help="directory for the storage, plots and export"),
    trials: int = typer.Option(24, help="trials of the short search"),
    workers: int = typer.Option(0, help="worker processes (0: one per core, at most 2)"),
) -> None:
    """The main job: a short search on Fashion-MNIST for STM32F746G-DISCO, fronts per design space, plot, export."""
    import time

    import optuna

    from tinyops.search._data import load_data
    from tinyops.search._demo import (
        default_workers,
        demo_config,
        demo_design_space,
        fresh_storage,
        start_helper_workers,
    )
    from tinyops.search._export import export_trial
    from tinyops.search._records import load_trials
    from tinyops.search._results import fronts, plot_fronts
    from tinyops.search._study import open_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the progress display and tables say what happens
    start = time.perf_counter()
    with user_errors():
        space = demo_design_space()
        if space != "tinyops":
            console.print(f"[yellow]this build's core has no tinyops planner: searching the {space} design space[/]")
        config = demo_config(out, trials, design_space=space)
        fresh_storage(out)
        workers = workers or default_workers()
        if workers > 1:
            open_study(config)  # create the study (and tables) before the helpers join it
        helpers = start_helper_workers(workers - 1, out, trials, space)
        try:
            _run_with_progress(config)
        except BaseException:
            for helper in helpers:
                helper.terminate()
            raise
        finally:
            for helper in helpers:
                helper.wait()
        study, store = open_study(config, create=False)
        rows = load_trials(store, study.study_name)
        per_space = fronts(rows, fidelity="short")
        print_fronts(per_space, f"{config.board}, Fashion-MNIST, short training")
        plot = plot_fronts(
            per_space,
            out / "pareto-fronts.png",
            title=f"{config.board}: Pareto fronts of the design spaces ({len(rows)} candidates)",
        )
        console.print(f"plot: {plot}")
        front = per_space[config.design_space][1] or [c for _, f in per_space.values() for c in f]
        best = max(front, key=lambda c: (c.accuracy, -c.latency_ms))
        console.print(
            f"exporting the most accurate {config.design_space} candidate: trial {best.trial_number} "
            f"({best.arch_name}, {best.latency_ms:.2f} ms)"
        )
        result = export_trial(
            study,
            store,
            best.trial_number,
            out / "best",
            data=load_data(None),
            full=config.full,
            calibration_batches=config.calibration_batches,
        )
    console.print(
        f"trial {best.trial_number}: full training {100 * result.full_accuracy:.1f}%, int8 "
        f"{100 * result.int8_accuracy:.1f}% ({result.int8_method})"
    )
    for kind, path in result.files.items():
        console.print(f"  {kind}: {path}")
    trials_done = study.get_trials(deepcopy=False)
    finished = [t for t in trials_done if t.datetime_complete is not None]
    training_s = sum(t.user_attrs.get("training_s", 0.0) for t in finished)
    search_s = sum((t.datetime_complete - t.datetime_start).total_seconds() for t in finished) - training_s
    console.print(
        f"time: {time.perf_counter() - start:.0f} s in all; in trials {search_s:.1f} s sampler + core "
        f"scoring + records vs {training_s:.1f} s training ({100 * search_s / max(1e-9, search_s + training_s):.1f}% "
        f"overhead); full training {result.training_s:.0f} s"
    )


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("results")(results)
    app.command("export")(export)
    app.command("search-demo")(search_demo)
