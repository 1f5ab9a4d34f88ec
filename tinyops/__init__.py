"""TinyOps: ImageNet-scale CNNs on microcontrollers.

Subpackages: :mod:`tinyops.latency_model` (boards, planners, simulator), :mod:`tinyops.search` (design-space
search), :mod:`tinyops.hil` (hardware in the loop). The C++ core is :mod:`tinyops._core`.
"""

__version__ = "0.1.0"
