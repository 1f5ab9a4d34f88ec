"""The board catalog: one validated YAML file per board in latency_model/boards/ (loaded by the C++ core)."""

from __future__ import annotations

from pathlib import Path

from tinyops import _core

BOARDS_DIR = Path(__file__).resolve().parent / "boards"
DEFAULT_BOARD = "stm32f746g-disco"


def board_names() -> list[str]:
    """Names of the boards in the catalog, sorted."""
    return sorted(name for name, _ in _core.list_boards(str(BOARDS_DIR)))


def load_board(name_or_path: str | Path = DEFAULT_BOARD) -> _core.Board:
    """Load and validate a board by catalog name (e.g. 'stm32f746g-disco') or YAML path.

    Errors (ValueError) name the file, the key and what was expected.
    """
    return _core.load_board(str(name_or_path), str(BOARDS_DIR))
