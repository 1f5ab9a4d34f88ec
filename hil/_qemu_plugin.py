"""The pyOCD plugin entry point of the QEMU-backed debug probe (`pyocd.probe` group, declared in pyproject.toml).

pyOCD reads its `pyocd.probe` entry points while it is itself being imported (pyocd.probe.aggregator), calls
each one and expects a `pyocd.core.plugin.Plugin`; `Plugin.load()` returns the `DebugProbe` subclass, which
pyOCD files under the plugin's name, so `ConnectHelper` reaches the probe by ids `qemugdb:HOST:PORT`. This
module imports nothing from pyOCD at import time, so pyOCD can load it at any point of its own import; the
probe's implementation (tinyops.hil._qemu_probe) is imported by `load()`, once pyOCD's probe layer exists.

pyOCD has no plugin group for target types: its own pack and csolution loaders add the targets they create
to `pyocd.target.TARGET` when they load them; this plugin does the same in `load()` for the one target type
its probe serves (`tinyops_mps2_an500`: QEMU's mps2-an500 memory map, all RAM).
"""

from __future__ import annotations

import sys
from typing import Any

PLUGIN_NAME = "qemugdb"
TARGET_NAME = "tinyops_mps2_an500"
_PROBE_MODULE = "tinyops.hil._qemu_probe"


def qemugdb_plugin() -> Any:
    """The entry point: pyOCD calls it and checks that the result is a `Plugin` (pyocd.core.plugin)."""
    from pyocd.core.plugin import Plugin  # loaded by then: pyOCD's aggregator imports it before the plugins

    class QemuGdbProbePlugin(Plugin):
        """pyOCD's description of the `qemugdb` probe; `load()` returns the probe class."""

        def load(self) -> type:
            partial = sys.modules.get(_PROBE_MODULE)
            if partial is not None and not hasattr(partial, "QemuGdbProbe"):
                raise ImportError(
                    f"{_PROBE_MODULE} was imported before pyOCD: import pyocd first (pyOCD loads "
                    "its probe plugins, this one among them, while it is being imported)"
                )
            from pyocd.target import TARGET

            from tinyops.hil._qemu_probe import Mps2An500, QemuGdbProbe

            TARGET.setdefault(TARGET_NAME, Mps2An500)
            return QemuGdbProbe

        @property
        def name(self) -> str:
            return PLUGIN_NAME

        @property
        def description(self) -> str:
            return "QEMU's GDB stub behind pyOCD's DebugProbe API (tinyops CI: ids qemugdb:HOST:PORT)"

    return QemuGdbProbePlugin()
