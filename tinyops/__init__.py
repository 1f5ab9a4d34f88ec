"""TinyOps: ImageNet-scale CNNs on microcontrollers.

Subpackages: :mod:`tinyops.latency_model` (boards, planners, simulator), :mod:`tinyops.search` (design-space
search), :mod:`tinyops.hil` (hardware in the loop). The C++ core is :mod:`tinyops._core`.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("tinyops")  # pyproject.toml's, the one place the version is written
except _metadata.PackageNotFoundError:  # the sources imported without being installed
    __version__ = "0+unknown"
