"""Architecture loading: ProxylessNASNets JSON files or dicts into the C++ core's Network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeAlias

from tinyops import _core

ArchLike: TypeAlias = str | Path | dict[str, Any]


def arch_to_json_text(arch: ArchLike) -> tuple[str, str]:
    """Return (JSON text, source name for error messages)."""
    if isinstance(arch, dict):
        return json.dumps(arch), "<dict>"
    path = Path(arch)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: architecture file not found")
    return path.read_text(), str(path)  # the core's reader names the file when the text is not valid JSON


def load_arch(arch: ArchLike) -> _core.Network:
    """Build the core Network of an architecture (path or dict); errors name the file and field."""
    text, source = arch_to_json_text(arch)
    return _core.network_from_arch_json(text, source)


def scale_arch(arch: ArchLike, width_mult: float, resolution: int) -> dict[str, Any]:
    """Derive a variant (e.g. w0.55 r128) as MCUNet/OFA do: channels rounded to multiples of 8."""
    text, _ = arch_to_json_text(arch)
    return json.loads(_core.scale_arch_json(text, width_mult, resolution))
