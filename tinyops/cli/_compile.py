"""CLI for the compiler: `tinyops compile`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

console = Console()


def compile_command(
    model: Path = typer.Argument(..., help="int8 .tflite model or the search's handoff .npz"),
    board: str = typer.Option("qemu-mps2-an500", "--board", "-b", help="board catalog name or YAML path"),
    strategy: str = typer.Option("tinyops", "--strategy", "-s", help="internal, external, tinyops or optimal"),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="output directory"),
) -> None:
    """Plan MODEL on BOARD with STRATEGY and write the model blob, the plan and a plan report."""
    from tinyops.compiler import compile_model

    with user_errors():
        compiled = compile_model(model, board, strategy)
        paths = compiled.write(out)
    report = compiled.report()
    table = Table(title=f"{report['model']} on {report['board']}, strategy {report['strategy']}")
    for col in ("#", "op", "kind", "output", "strategy", "partitioning", "parts"):
        table.add_column(col, justify="right" if col in ("#", "parts") else "left")
    for k, op in enumerate(report["ops"]):
        table.add_row(str(k), op["name"][-40:], op["kind"], "x".join(map(str, op["output"])), op["strategy"],
                      op["partitioning"], str(op["parts"]))
    console.print(table)
    buffers = Table(title="buffers")
    for col in ("name", "kind", "memory", "offset", "bytes"):
        buffers.add_column(col, justify="right" if col in ("offset", "bytes") else "left")
    for b in report["buffers"]:
        buffers.add_row(b["name"], b["kind"], str(b.get("memory", "")), f"{b.get('offset', 0):,}",
                        f"{b.get('bytes', 0):,}")
    console.print(buffers)
    predicted = f"{report['predicted_ms']:.3f} ms" if report["predicted_ms"] is not None else "n/a"
    console.print(f"blob {report['blob_bytes']:,} B (weights {report['weights_bytes']:,} B), external arena "
                  f"{report['external_arena_bytes']:,} B, internal arena {report['internal_arena_bytes']:,} B, "
                  f"predicted latency {predicted}")
    for note in report["notes"]:
        console.print(f"[yellow]note:[/] {note}")
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_command)
