"""`tinyops demo`: the main job on the embedded default (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tinyops.cli._errors import user_errors
from tinyops.cli._latency import design_space_table

console = Console()


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="where plots and exports are written"),
    board: str = typer.Option("stm32f746g-disco", "--board", "-b"),
) -> None:
    """Design-space comparison of the built-in networks on the default board (table + timeline PNGs)."""
    out.mkdir(parents=True, exist_ok=True)
    with user_errors():
        table, notes = design_space_table(out, board)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
