"""`tinyops demo`: the main job on the embedded default (what `make demo` runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from tinyops.cli._errors import user_errors
from tinyops.cli._latency import design_space_table

# Piped output (make demo logs, CI) gets room for the wide tables instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 110)


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="where plots, the study and exports go"),
    board: str = typer.Option("stm32f746g-disco", "--board", "-b", help="board of the design-space table"),
    search: bool = typer.Option(True, "--search/--no-search", help="also run the short search (minutes)"),
    trials: int = typer.Option(24, help="trials of the short search"),
) -> None:
    """Design-space comparison of the built-in networks (table + timeline PNGs), then a short search on
    Fashion-MNIST for the STM32F746G-DISCO (Pareto fronts per design space, plot, best candidate exported)."""
    out.mkdir(parents=True, exist_ok=True)
    with user_errors():
        table, notes = design_space_table(out, board)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)
    if search:
        from tinyops.cli._search import search_demo

        search_demo(out=out / "search", trials=trials, workers=0)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
