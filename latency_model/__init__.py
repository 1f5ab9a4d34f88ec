"""tinyops.latency_model: architectures, boards, plans and the latency simulator (C++ core)."""

from tinyops.latency_model import examples
from tinyops.latency_model._arch import ArchLike, load_arch, scale_arch
from tinyops.latency_model._boards import BOARDS_DIR, DEFAULT_BOARD, board_names, load_board
from tinyops.latency_model._dominance import FIXED_STRATEGIES, dominance, family_grid, optimal_origin
from tinyops.latency_model._simulate import Scorer, SimulationResult, plan, score_batch, simulate, strategies

__all__ = [
    "ArchLike",
    "BOARDS_DIR",
    "DEFAULT_BOARD",
    "FIXED_STRATEGIES",
    "Scorer",
    "SimulationResult",
    "board_names",
    "dominance",
    "examples",
    "family_grid",
    "load_arch",
    "load_board",
    "optimal_origin",
    "plan",
    "scale_arch",
    "score_batch",
    "simulate",
    "strategies",
]
