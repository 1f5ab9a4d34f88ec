"""tinyops.latency_model: architectures, boards, plans and the latency simulator (C++ core)."""

from tinyops.latency_model import examples
from tinyops.latency_model._arch import ArchLike, load_arch, scale_arch
from tinyops.latency_model._boards import BOARDS_DIR, DEFAULT_BOARD, board_names, load_board
from tinyops.latency_model._simulate import Scorer, SimulationResult, plan, score_batch, simulate, strategies

__all__ = [
    "ArchLike",
    "BOARDS_DIR",
    "DEFAULT_BOARD",
    "Scorer",
    "SimulationResult",
    "board_names",
    "examples",
    "load_arch",
    "load_board",
    "plan",
    "scale_arch",
    "score_batch",
    "simulate",
    "strategies",
]
