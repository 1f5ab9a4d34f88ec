"""The board catalog: one validated YAML file per board in latency_model/boards/ (loaded by the C++ core)."""

from __future__ import annotations

from pathlib import Path

from tinyops import _core

BOARDS_DIR = Path(__file__).resolve().parent / "boards"
DEFAULT_BOARD = "stm32f746g-disco"


def board_names() -> list[str]:
    """Names of the boards in the catalog, sorted."""
    return sorted(name for name, _ in _core.list_boards(str(BOARDS_DIR)))


def load_board(board: str | Path | _core.Board = DEFAULT_BOARD) -> _core.Board:
    """Load and validate a board by catalog name (e.g. 'stm32f746g-disco') or YAML path; a Board is returned as
    it is. The one board loader: the compiler, hil and the CLI all call it.

    Errors (ValueError) name the file, the key and what was expected.
    """
    if isinstance(board, _core.Board):
        return board
    return _core.load_board(str(board), str(BOARDS_DIR))
