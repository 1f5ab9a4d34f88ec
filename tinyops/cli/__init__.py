"""The `tinyops` command. Each area registers its sub-commands from its own module `tinyops/cli/_<area>.py`
(a module-level `register(app)`); they are discovered here, so adding an area touches no shared file."""

from __future__ import annotations

import importlib
import pkgutil

import typer

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


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("_")):
    _register = getattr(importlib.import_module(f"{__name__}.{_module}"), "register", None)
    if _register is not None:
        _register(app)


def main() -> None:
    app()
