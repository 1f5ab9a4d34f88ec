"""CLI for hardware in the loop: `tinyops hil run`, `tinyops hil microbench`, `tinyops calibrate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

console = Console()
hil_app = typer.Typer(
    help="Run models on QEMU or a board through a debug probe and measure them per op.", no_args_is_help=True
)

TARGETS = ("qemu", "pyocd")


def _store_help() -> str:
    from tinyops.store import default_store_path

    return (
        "results store: a database URL or a SQLite file (default: tinyops.db in the user data directory, "
        f"$XDG_DATA_HOME/tinyops or ~/.local/share/tinyops; here {default_store_path()})"
    )


def _open_target(target: str, port: str, probe: str | None, pyocd_target: str | None, timeout_s: float):  # type: ignore[no-untyped-def]
    from tinyops.hil import QemuTarget
    from tinyops.hil._pyocd import PYOCD_TARGETS, PyocdTarget

    if target == "qemu":
        return QemuTarget(port, timeout_s=timeout_s)
    if target == "pyocd":
        name = pyocd_target or PYOCD_TARGETS.get(port)
        if name is None:
            raise ValueError(f"--pyocd-target: no pyOCD target known for board '{port}'; name one")
        return PyocdTarget(name, probe_id=probe, timeout_s=timeout_s)
    raise ValueError(f"--target: expected one of {', '.join(TARGETS)}, got '{target}'")


@hil_app.command("run")
def run(
    model: Path = typer.Argument(..., help="int8 .tflite model or the search's handoff .npz"),
    board: str = typer.Option("qemu-mps2-an500", help="board of the catalog (its name is the firmware port)"),
    target: str = typer.Option("qemu", help="qemu | pyocd"),
    strategy: str = typer.Option("tinyops", help="internal, external, tinyops or optimal"),
    repeat: int = typer.Option(3, min=1, help="repetitions (K); missing ones are measured, stored ones kept"),
    store: str = typer.Option(None, help=_store_help()),
    probe: str = typer.Option(None, help="pyOCD probe unique id, or remote:HOST:PORT for `pyocd server`"),
    pyocd_target: str = typer.Option(None, help="pyOCD target name (default: the board's)"),
    timeout_s: float = typer.Option(120.0, help="per-run timeout in seconds"),
    plot: Path = typer.Option(None, help="write per-op measured vs predicted bars to this PNG"),
) -> None:
    """Compile MODEL for BOARD, run it K times on the target and store per-op counts beside the prediction."""
    from tinyops.compiler import load_any
    from tinyops.hil._measure import measure
    from tinyops.hil._pipeline import compile_model, load_board, measurement_job, runner_firmware
    from tinyops.store import open_store

    with user_errors():
        board_obj = load_board(board)
        compiled = compile_model(load_any(model), board_obj, strategy)
        job = measurement_job(compiled, runner_firmware(board_obj.name), model_name=model.name)
        results_store = open_store(store)
        with _open_target(target, board_obj.name, probe, pyocd_target, timeout_s) as tgt:
            summary = measure(results_store, tgt, job, repeat)
    table = Table(
        title=f"{model.name} on {board_obj.name} v{board_obj.version} ({target}, {strategy}): "
        f"{summary.repetitions} repetitions, median per op in {summary.unit}"
    )
    for col in ("#", "op", "kernel", "measured", "predicted", "error %"):
        table.add_column(col, justify="left" if col in ("op", "kernel") else "right")
    for i, (name, kind, measured, predicted) in enumerate(
        zip(job.op_names, job.kernel_kinds, summary.per_op_median, compiled.predicted)
    ):
        error = f"{100 * (predicted - measured) / measured:+.1f}" if predicted and measured else "-"
        table.add_row(str(i), name, kind, f"{measured:,}", f"{predicted:,.0f}" if predicted else "-", error)
    console.print(table)
    total_measured, total_predicted = sum(summary.per_op_median), sum(p or 0 for p in compiled.predicted)
    console.print(
        f"total: measured {total_measured:,} {summary.unit}, predicted {total_predicted:,.0f} "
        f"({100 * (total_predicted - total_measured) / max(total_measured, 1):+.1f} %); run {summary.run_id} "
        f"in {results_store.url}"
    )
    if plot is not None:
        from tinyops.hil._plots import plot_op_bars

        plot_op_bars(
            job.op_names,
            summary.per_op_median,
            compiled.predicted,
            plot,
            summary.unit,
            title=f"{model.name} on {board_obj.name} ({strategy})",
        )
        console.print(f"wrote {plot}")


@hil_app.command("microbench")
def microbench(
    board: str = typer.Option("qemu-mps2-an500"),
    target: str = typer.Option("qemu", help="qemu | pyocd"),
    repeat: int = typer.Option(1, min=1),
    every: int = typer.Option(1, min=1, help="keep every n-th case of the set (a quicker subset)"),
    partition_sweep: bool = typer.Option(True, help="also plan tinyops with smaller SRAM budgets (more parts)"),
    store: str = typer.Option(None, help=_store_help()),
    probe: str = typer.Option(None),
    pyocd_target: str = typer.Option(None),
    timeout_s: float = typer.Option(60.0),
) -> None:
    """Measure the calibration set (single ops, network-tail shapes and blocks, every placement) on the target."""
    from tinyops.hil._microbench import calibration_set, measure_calibration_set
    from tinyops.hil._pipeline import load_board
    from tinyops.store import open_store

    with user_errors():
        board_obj = load_board(board)
        results_store = open_store(store)
        benchmarks = calibration_set(every=every, partition_sweep=partition_sweep)
        with _open_target(target, board_obj.name, probe, pyocd_target, timeout_s) as tgt:
            run = measure_calibration_set(results_store, tgt, board_obj, benchmarks, repeat)
    for reason in run.skipped:
        console.print(f"[yellow]skip[/] {reason}")
    console.print(
        f"calibration set: {len(benchmarks)} networks "
        f"({len({b.case for b in benchmarks})} cases), {run.measured} measured, {len(run.skipped)} "
        f"skipped; store {results_store.url}"
    )


def print_calibration(fit, title: str) -> None:  # type: ignore[no-untyped-def]
    """The held-out figures per kernel kind, with the split sizes."""
    table = Table(
        title=f"{title}: held-out {fit.test_ops} ops of {fit.test_cases} cases; trained on "
        f"{fit.train_ops} ops of {fit.train_cases} cases"
    )
    for col in ("kernel", "train ops", "test ops", "MAPE %", "within ±10 %"):
        table.add_column(col, justify="left" if col == "kernel" else "right")
    for r in fit.per_kind:
        table.add_row(r.kernel_kind, str(r.train_ops), str(r.test_ops), f"{r.mape:.2f}", f"{r.within_10pct:.1f} %")
    table.add_row("all", str(fit.train_ops), str(fit.test_ops), f"{fit.mape:.2f}", f"{fit.within_10pct:.1f} %")
    console.print(table)


def _catalog_note(board: str, target: str) -> str:
    """What a catalog board's fitted numbers say about how they were made (and are remade)."""
    note = f"`tinyops calibrate --board {board} --target {target} --write-catalog`"
    if board.startswith("qemu-"):
        note += "; `make calibrate-qemu-boards` measures the calibration set and refreshes the QEMU boards"
    return note


def calibrate(
    board: str = typer.Option("qemu-mps2-an500"),
    target: str = typer.Option("qemu", help="the target whose measurements to fit"),
    store: str = typer.Option(None, help=_store_help()),
    out: Path = typer.Option(None, help="where to write the new board version (default: ./BOARD-vN.yaml)"),
    write_catalog: bool = typer.Option(
        False,
        help="write the new version over the catalog's board file (latency_model/boards/BOARD.yaml) instead of --out",
    ),
    test_share: float = typer.Option(0.25, min=0.01, max=0.99, help="share of benchmark cases held out"),
    seed: int = typer.Option(0, help="seed of the held-out split"),
    plot: Path = typer.Option(None, help="write the predicted-vs-measured scatter to this PNG"),
    derived: bool = typer.Option(
        False,
        help="instead: derive the kernel cycles of Cortex-M7/M4 boards (a "
        "comma-separated --board list) from QEMU execution counts x llvm-mca; "
        "provenance derived; --out is then a directory",
    ),
    derived_every: int = typer.Option(1, min=1, help="with --derived: every n-th single-op case"),
) -> None:
    """Fit BOARD's kernel costs to the stored measurements (NNLS) and report on held-out cases."""
    from tinyops.hil._calibrate import calibrate_board
    from tinyops.latency_model import BOARDS_DIR
    from tinyops.store import open_store

    if derived:
        _derive(board.split(","), derived_every, None if write_catalog else (out or Path(".")), test_share, seed)
        return
    with user_errors():
        if write_catalog and out is not None:
            raise ValueError("--write-catalog and --out: give one (--write-catalog writes the catalog's file)")
        results_store = open_store(store)
        console.print(f"store: {results_store.url}")
        report = calibrate_board(
            results_store,
            board,
            target,
            BOARDS_DIR / f"{board}.yaml" if write_catalog else out,
            test_share,
            seed,
            ref_note=_catalog_note(board, target) if write_catalog else "",
        )
    if report.not_fitted:
        console.print(f"[yellow]not fitted (kept from v{report.from_version}):[/] {report.not_fitted}")
    if report.fit.held_out:
        print_calibration(report.fit, f"{report.board} v{report.from_version} -> v{report.to_version} on {target}")
    else:
        console.print(
            f"no held-out share: all {report.fit.train_ops} ops of the one measured model were fitted "
            f"(training MAPE {report.train_mape:.2f} %, {report.train_within_10pct:.1f} % within ±10 %); "
            f"measure more models or `tinyops hil microbench` for a held-out figure"
        )
    console.print(
        json.dumps({k: {t: round(v, 4) for t, v in terms.items() if v} for k, terms in report.fit.kernels.items()})
    )
    console.print(f"wrote {report.path} (version {report.to_version}, provenance fit)")
    if plot is not None and not report.fit.held_out:
        console.print(f"no scatter written to {plot}: no held-out ops to plot")
    elif plot is not None:
        from tinyops.hil._plots import plot_calibration_scatter

        plot_calibration_scatter(report.fit, plot, report.unit)
        console.print(f"wrote {plot}")


def _derive(boards: list[str], every: int, out_dir: Path | None, test_share: float, seed: int) -> None:
    from tinyops.hil._derived import derive_boards

    with user_errors():
        note = (
            f"`tinyops calibrate --derived --board {','.join(boards)} --derived-every {every} --write-catalog`"
            if out_dir is None
            else ""
        )
        written = derive_boards(boards, every, out_dir, note, test_share, seed)
    for result in written:
        print_calibration(result.fit, f"{result.board}: {result.mcpu} cycles derived")
        console.print(f"wrote {result.path} (provenance derived)")


def register(app: typer.Typer) -> None:
    app.add_typer(hil_app, name="hil")
    app.command("calibrate")(calibrate)
