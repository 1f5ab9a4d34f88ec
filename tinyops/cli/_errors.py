"""One place that turns expected errors into a one-line message and a non-zero exit code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console

err_console = Console(stderr=True)

# Errors a user can cause by what they pass in; anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, KeyError, RuntimeError)


@contextlib.contextmanager
def user_errors(exit_code: int = 2) -> Iterator[None]:
    try:
        yield
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        err_console.print(f"[bold red]error:[/] {message}", highlight=False)
        raise typer.Exit(exit_code) from None
