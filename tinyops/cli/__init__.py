"""The `tinyops` command. Each area registers its sub-commands from its own module."""

from __future__ import annotations

import typer

from tinyops.cli import _compile, _hil, _latency

app = typer.Typer(
    name="tinyops",
    help="TinyOps: plan, simulate, search, compile and measure CNNs on microcontrollers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """TinyOps: plan, simulate, search, compile and measure CNNs on microcontrollers."""


_latency.register(app)
_hil.register(app)
_compile.register(app)


def main() -> None:
    app()
