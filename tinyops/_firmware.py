"""Where the firmware's sources and builds are, in a source checkout and in an installed wheel.

- Sources: a checkout's ``firmware/``; an installed wheel carries the same tree as ``tinyops/firmware/``.
- Builds (``fw-<port>``, one CMake build directory per port): a checkout's ``build/fw-<port>`` (what
  ``make test`` builds); otherwise the user cache, ``$TINYOPS_CACHE_DIR`` or ``$XDG_CACHE_HOME/tinyops`` or
  ``~/.cache/tinyops``, under ``firmware-<version>/``: never beside the installed package.
  ``$TINYOPS_FIRMWARE_BUILD`` names one port's build directory outright.

A missing image is configured and built with CMake and Ninja (the ``cmake`` and ``ninja`` on PATH, beside the
interpreter, or those of the PyPI packages) and the Debian arm-none-eabi toolchain.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def source_checkout() -> Path | None:
    """The repository root when this package is imported from a source checkout (editable install), else None."""
    root = PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "firmware" / "CMakeLists.txt").is_file():
        return root
    return None


def firmware_sources() -> Path:
    """The firmware tree (CMakeLists.txt, ports/, src/, ...)."""
    checkout = source_checkout()
    for candidate in ([checkout / "firmware"] if checkout else []) + [PACKAGE / "firmware"]:
        if (candidate / "CMakeLists.txt").is_file():
            return candidate
    raise FileNotFoundError(
        f"{PACKAGE / 'firmware'}: the firmware sources are missing (neither a source checkout "
        "nor a wheel that carries them)"
    )


def cache_dir() -> Path:
    """The user cache of this tinyops version (firmware builds)."""
    from tinyops import __version__

    base = os.environ.get("TINYOPS_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "tinyops"
    )
    return Path(base) / f"firmware-{__version__}"


def build_dir(port: str, build_root: Path | None = None) -> Path:
    """The CMake build directory of ``port``'s images (see the module's docstring for where)."""
    if build_root is not None:
        return Path(build_root) / f"fw-{port}"
    if os.environ.get("TINYOPS_FIRMWARE_BUILD"):
        return Path(os.environ["TINYOPS_FIRMWARE_BUILD"])
    checkout = source_checkout()
    return (checkout / "build" if checkout else cache_dir()) / f"fw-{port}"


def ports() -> list[str]:
    return sorted(p.parent.name for p in (firmware_sources() / "ports").glob("*/CMakeLists.txt"))


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name  # a venv's bin/, activated or not
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    try:  # the PyPI packages' binaries
        if name == "cmake":
            import cmake

            return str(Path(cmake.CMAKE_BIN_DIR) / "cmake")
        import ninja

        return str(Path(ninja.BIN_DIR) / "ninja")
    except ImportError:
        return None


def runner_elf(port: str, build_root: Path | None = None) -> Path:
    """The runner image of ``port``, configured and built into its build directory if it is not there yet."""
    known = ports()
    if port not in known:
        raise ValueError(f"port: expected one of {', '.join(known)}, got {port!r}")
    build = build_dir(port, build_root)
    elf = build / "runner.elf"
    if elf.is_file() and (build / "build.ninja").is_file() and source_checkout() is None:
        return elf  # an installed package's sources do not change under its cache
    cmake, ninja = _tool("cmake"), _tool("ninja")
    if cmake is None or ninja is None:
        raise RuntimeError(
            "building the firmware needs cmake and ninja (pip install cmake ninja; make setup installs them)"
        )
    if not (build / "build.ninja").is_file() or not elf.is_file():  # (re)configure: the runner target appears
        # only once the runtime core is in the tree
        _check(
            subprocess.run(
                [
                    cmake,
                    "-S",
                    str(firmware_sources() / "ports" / port),
                    "-B",
                    str(build),
                    "-G",
                    "Ninja",
                    f"-DCMAKE_MAKE_PROGRAM={ninja}",
                    "-DCMAKE_BUILD_TYPE=Release",
                ],
                capture_output=True,
                text=True,
            ),
            f"configuring the {port} firmware in {build}",
        )
    _check(
        subprocess.run([cmake, "--build", str(build), "--target", "runner"], capture_output=True, text=True),
        f"building the {port} firmware runner in {build}",
    )
    if not elf.is_file():
        raise RuntimeError(f"{elf}: the firmware build made no runner image")
    return elf


def _check(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{tail}")
