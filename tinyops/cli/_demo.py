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
    paper: bool = typer.Option(
        True,
        "--paper/--no-paper",
        help="end with the short paper comparison of experiments/ (design spaces; with "
        "--search also one search per design space)",
    ),
) -> None:
    """Design-space comparison of the built-in networks (table + timeline PNGs), then a short search on
    Fashion-MNIST for the STM32F746G-DISCO (Pareto fronts per design space, plot, best candidate exported), and
    last the short paper comparison of experiments/ (where the hybrid space wins and where it does not)."""
    out.mkdir(parents=True, exist_ok=True)
    with user_errors():
        table, notes = design_space_table(out, board)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)
    if search:
        from tinyops.cli._search import search_demo

        search_demo(out=out / "search", trials=trials, workers=0)
    if paper:
        paper_comparison(out / "experiments", search)


def paper_comparison(out: Path, search: bool) -> None:
    """Experiments 1 and 3 of experiments/ in quick mode, each ending in what it shows (or does not)."""
    experiments = Path(__file__).resolve().parents[2] / "experiments"  # the repository (editable install)
    if not (experiments / "design_spaces.py").is_file():
        console.print(f"paper comparison skipped: {experiments} not found (it needs the repository checkout)")
        return
    sys.path.insert(0, str(experiments))
    import _common  # type: ignore[import-not-found]
    import design_spaces  # type: ignore[import-not-found]
    import search_spaces  # type: ignore[import-not-found]

    for suffix in ("", "-wal", "-shm"):  # every demo starts from an empty store, as the search demo does
        (out / f"{_common.STORE_FILE}{suffix}").unlink(missing_ok=True)

    console.rule("The paper's comparison, short (experiments/ in quick mode; `make experiments` runs it in full)")
    with user_errors():
        design_spaces.run(quick=True, out=out, argv=["tinyops demo"])
        console.print(
            "Design spaces of the paper's families (simulated; accuracy = published ImageNet top-1):", highlight=False
        )
        for line in design_spaces.verdict(_common.load_tables("design_spaces", out)[1]):
            console.print(line, highlight=False, soft_wrap=True)
        if search:
            console.print("One search per design space (F746, Fashion-MNIST, same budget and seeds):")
            search_spaces.run(quick=True, out=out, argv=["tinyops demo"])
            for line in search_spaces.verdict(_common.load_tables("search_spaces", out)[1]):
                console.print(line, highlight=False, soft_wrap=True)
    drawn = "design_spaces search_spaces" if search else "design_spaces"
    console.print(
        f"tables and the results store: {out}/ (figures: experiments/run_all.py --notebooks-only "
        f"--only {drawn} --out {out})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
