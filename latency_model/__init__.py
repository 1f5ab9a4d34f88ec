"""tinyops.latency_model: architectures, boards, plans and the latency simulator (C++ core)."""

from tinyops.latency_model._arch import ArchLike, load_arch, scale_arch
from tinyops.latency_model import examples

__all__ = ["ArchLike", "examples", "load_arch", "scale_arch"]
