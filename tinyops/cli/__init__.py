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


_LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "critical", "off")


def _log_level(level: str | None) -> str | None:
    if level is not None:
        if level not in _LOG_LEVELS:
            raise typer.BadParameter(f"expected one of {', '.join(_LOG_LEVELS)}, got {level!r}")
        from tinyops import _core

        _core.set_log_level(level)
    return level


def _version(show: bool) -> None:
    if show:
        from tinyops import __version__

        typer.echo(f"tinyops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    log_level: str = typer.Option(
        None,
        "--log-level",
        callback=_log_level,
        metavar="LEVEL",
        help=f"the C++ core's log level on stderr: {', '.join(_LOG_LEVELS)} (default: $TINYOPS_LOG, else warn)",
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version"),
) -> None:
    """TinyOps: plan, simulate, search, compile and measure CNNs on microcontrollers."""


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("_")):
    _register = getattr(importlib.import_module(f"{__name__}.{_module}"), "register", None)
    if _register is not None:
        _register(app)


def main() -> None:
    app()
