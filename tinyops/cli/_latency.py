"""CLI for the latency model: `tinyops arch`, `tinyops boards`, `tinyops simulate`, and the design-space table."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

# Piped output (make demo logs, CI) gets room for the wide tables instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 110)


def _arch_source(arch: str) -> Any:
    """A built-in example name (e.g. 'mbv3-w0.55-r128') or a path to an architecture JSON."""
    from tinyops.latency_model import examples

    return examples.builtin(arch) if arch in examples.BUILTIN else Path(arch)


def arch(path: str = typer.Argument(..., help="architecture JSON, or a built-in example name")) -> None:
    """Load an architecture and print its ops, MACs and parameters."""
    from tinyops.latency_model import load_arch

    with user_errors():
        net = load_arch(_arch_source(path))
    table = Table(title=f"{path}: {net.total_macs / 1e6:.2f} M MACs, {net.param_count / 1e6:.3f} M params")
    for col in ("op", "kind", "kernel", "stride", "output", "MACs"):
        table.add_column(col, justify="right" if col == "MACs" else "left")
    for op in net.ops:
        shape = net.tensors[op.output].shape
        table.add_row(
            op.name,
            op.kind,
            f"{op.kernel_h}x{op.kernel_w}",
            str(op.stride),
            f"{shape.h}x{shape.w}x{shape.c}",
            f"{op.macs:,}",
        )
    console.print(table)


def boards() -> None:
    """List the board catalog."""
    from tinyops.latency_model import board_names, load_board

    table = Table(title="Board catalog (latency_model/boards/)")
    for col in ("board", "core", "clock", "SRAM budget B", "memories", "DMA", "v"):
        table.add_column(col, no_wrap=col == "board")
    with user_errors():
        for name in board_names():
            b = load_board(name)
            memories = "\n".join(f"{m.name}:{_size(m.size_bytes)}" for m in b.memories)
            streams = sum(e.streams for e in b.dma)
            table.add_row(
                name,
                b.core,
                f"{b.clock_hz / 1e6:.0f} MHz",
                f"{b.sram_budget_bytes:,}",
                memories,
                str(streams),
                str(b.version),
            )
    console.print(table)


def _size(n: int) -> str:
    return f"{n // 2**20}M" if n >= 2**20 and n % 2**20 == 0 else f"{n // 1024}K"


def _kb(n: float) -> str:
    return f"{n / 1024:,.1f}"


def _per_op_table(result: Any) -> Table:
    table = Table(
        title=f"{result.label} on {result.board.name}, {result.strategy}: "
        f"{result.latency_ms:.3f} ms, peak SRAM {_kb(result.peak_sram_bytes)} KB"
    )
    cols = ("op", "name", "kind", "plan", "parts", "in SRAM", "compute", "exposed DMA", "stall", "ext KB")
    for col in cols:
        table.add_column(col, justify="left" if col in ("name", "kind", "plan", "in SRAM") else "right")
    for row in result.per_op.itertuples():
        table.add_row(
            str(row.op),
            row.name,
            row.kind,
            row.plan.split(":")[-1],
            str(row.parts),
            row.resident,
            f"{row.compute_cycles:,.0f}",
            f"{row.exposed_dma_cycles:,.0f}",
            f"{row.stall_cycles:,.0f}",
            _kb(row.external_bytes),
        )
    return table


def simulate(
    arch: str = typer.Argument(..., help="architecture JSON, or a built-in example name"),
    board: str = typer.Option("stm32f746g-disco", "--board", "-b", help="catalog name or board YAML path"),
    strategy: str = typer.Option("tinyops", "--strategy", "-s", help="internal, external, tinyops or optimal"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON (summary + per-op rows)"),
    timeline: Path = typer.Option(None, "--timeline", help="also write the timeline Gantt chart (PNG) here"),
) -> None:
    """Plan and simulate one network on one board; per-op breakdown (cycles)."""
    from tinyops.latency_model import simulate as run

    with user_errors():
        result = run(_arch_source(arch), board, strategy, label=Path(arch).stem)
    if as_json:
        doc = result.summary() | {"per_op": result.per_op.to_dict(orient="records")}
        print(json.dumps(doc, indent=2, default=lambda v: None if isinstance(v, float) and math.isnan(v) else v))
    elif not result.fits:
        console.print(f"[bold red]does not fit:[/] {result.why}")
    else:
        console.print(_per_op_table(result))
    if not result.fits:
        raise typer.Exit(1)
    if timeline:
        console.print(f"timeline: {result.plot_timeline(timeline)}")


def design_space_table(out_dir: Path, board: str = "stm32f746g-disco") -> tuple[Table, list[str]]:
    """Every built-in network under every strategy on `board`, and the reasons of the plans that do not fit.

    Writes the timeline (PNG) of each network's fastest plan into `out_dir`.
    """
    from tinyops.latency_model import examples, load_board, strategies
    from tinyops.latency_model import simulate as run

    brd = load_board(board)
    table = Table(title=f"Design spaces on {brd.name} (SRAM budget {brd.sram_budget_bytes:,} B)")
    for col in ("network", "MMACs", "strategy", "ms", "SRAM KB", "ext MB", "fits"):
        table.add_column(
            col,
            justify="left" if col in ("network", "strategy", "fits") else "right",
            no_wrap=True,
            min_width=6 if col == "fits" else None,
        )
    notes: list[str] = []
    for name in examples.BUILTIN:
        results = [run(examples.builtin(name), brd, s, label=name) for s in strategies()]
        fitting = [r for r in results if r.fits]
        best = min(fitting, key=lambda r: r.latency_ms) if fitting else None
        for r in results:
            first = r is results[0]
            if not r.fits:
                notes.append(f"({len(notes) + 1}) {name}, {r.strategy}: {r.why}")
            table.add_row(
                name if first else "",
                f"{r.network.total_macs / 1e6:.1f}" if first else "",
                r.strategy + (" *" if r is best else ""),
                f"{r.latency_ms:.2f}" if r.fits else "-",
                _kb(r.peak_sram_bytes) if r.fits else "-",
                f"{r.external_bytes / 2**20:.2f}" if r.fits else "-",
                "yes" if r.fits else f"[red]no ({len(notes)})[/]",
            )
        if best is not None:
            best.plot_timeline(out_dir / f"timeline-{name}-{best.strategy}.png")
        table.add_section()
    table.caption = f"* fastest plan per network; its timeline is in {out_dir}/"
    return table, notes


def register(app: typer.Typer) -> None:
    app.command("arch")(arch)
    app.command("boards")(boards)
    app.command("simulate")(simulate)
