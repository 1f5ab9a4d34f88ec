"""CLI for the latency model: `tinyops arch`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

console = Console()


def arch(path: Path = typer.Argument(..., help="ProxylessNASNets architecture JSON")) -> None:
    """Load an architecture and print its ops, MACs and parameters."""
    from tinyops.latency_model import load_arch

    with user_errors():
        net = load_arch(path)
    table = Table(title=f"{path.name}: {net.total_macs / 1e6:.2f} M MACs, {net.param_count / 1e6:.3f} M params")
    for col in ("op", "kind", "kernel", "stride", "output", "MACs"):
        table.add_column(col, justify="right" if col in ("MACs",) else "left")
    for op in net.ops:
        shape = net.tensors[op.output].shape
        table.add_row(op.name, op.kind, f"{op.kernel_h}x{op.kernel_w}", str(op.stride),
                      f"{shape.h}x{shape.w}x{shape.c}", f"{op.macs:,}")
    console.print(table)


def demo() -> None:
    """The main job on the embedded default: the built-in example networks, summarised."""
    from tinyops.latency_model import examples, load_arch

    table = Table(title="Built-in example architectures")
    for col in ("network", "ops", "M MACs", "M params", "weights KB"):
        table.add_column(col, justify="left" if col == "network" else "right")
    for name in examples.BUILTIN:
        net = load_arch(examples.builtin(name))
        table.add_row(name, str(len(net.ops)), f"{net.total_macs / 1e6:.1f}", f"{net.param_count / 1e6:.3f}",
                      f"{net.weight_bytes / 1024:.0f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("arch")(arch)
    app.command("demo")(demo)
