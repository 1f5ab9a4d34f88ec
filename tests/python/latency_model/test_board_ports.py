"""Each board's SRAM budget is SRAM its firmware port really gives: a plan that fits the budget must load on the
runner, whose internal arena is the port's INTERNAL_ARENA_BYTES (firmware/ports/<board>/CMakeLists.txt); and the
memories the port's linker script maps are the catalog board's."""

from __future__ import annotations

import ast
import operator
import re
import shutil
from pathlib import Path

import pytest

from tinyops import _core
from tinyops.compiler._ports import runner_elf, runner_slots
from tinyops.hil import FirmwareImage

REPO = Path(__file__).resolve().parents[3]
CATALOG = REPO / "latency_model" / "boards"
PORTS = REPO / "firmware" / "ports"
_ARENA = re.compile(r'INTERNAL_ARENA_BYTES\s+"([^"]*)"')
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}


def _integer_expression(text: str, where: str) -> int:
    """Value of a CMake-quoted integer expression such as "297*1024" (integers, +, -, *, parentheses)."""

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"{where}: INTERNAL_ARENA_BYTES {text!r}: expected an integer expression of +, -, *")

    return value(ast.parse(text, mode="eval").body)


def internal_arena_bytes(port_cmake: Path) -> int | None:
    """The runner's internal arena size a port's CMakeLists.txt sets, or None where it sets none."""
    match = _ARENA.search(port_cmake.read_text())
    return None if match is None else _integer_expression(match.group(1), str(port_cmake))


def _boards_with_ports() -> list[tuple[str, int]]:
    pairs = []
    for name, _ in _core.list_boards(str(CATALOG)):
        cmake = PORTS / name / "CMakeLists.txt"
        arena = internal_arena_bytes(cmake) if cmake.is_file() else None
        if arena is not None:
            pairs.append((name, arena))
    return pairs


def test_the_port_arena_parser_reads_cmake_expressions(tmp_path: Path) -> None:
    cmake = tmp_path / "CMakeLists.txt"
    cmake.write_text(
        'tinyops_add_port(x EXTERNAL_ARENA_BYTES "8*1024*1024" INTERNAL_ARENA_BYTES "(3*1024 - 1)*1024")\n'
    )
    assert internal_arena_bytes(cmake) == 3071 * 1024
    cmake.write_text("tinyops_add_port(x INTERNAL_ARENA_BYTES \"__import__('os')\")\n")
    with pytest.raises(ValueError, match="INTERNAL_ARENA_BYTES"):
        internal_arena_bytes(cmake)
    cmake.write_text("tinyops_add_port(x)\n")
    assert internal_arena_bytes(cmake) is None


def test_boards_with_hardware_ports_are_found() -> None:
    assert {"stm32f746g-disco", "stm32f769i-disco"} <= {name for name, _ in _boards_with_ports()}


@pytest.mark.parametrize(("board", "arena_bytes"), _boards_with_ports())
def test_sram_budget_fits_the_port_internal_arena(board: str, arena_bytes: int) -> None:
    budget = _core.load_board(board, str(CATALOG)).sram_budget_bytes
    assert budget <= arena_bytes, (
        f"latency_model/boards/{board}.yaml: sram.budget_bytes {budget:,} B exceeds the runner's internal arena "
        f"{arena_bytes:,} B (firmware/ports/{board}/CMakeLists.txt INTERNAL_ARENA_BYTES): its plans would not load"
    )


# The memories each port's linker script describes (__tinyops_memory_<kind>_bytes), by catalog memory kind.
_PORT_MEMORIES = {"flash": "__tinyops_memory_flash_bytes", "external": "__tinyops_memory_external_bytes"}


@pytest.mark.parametrize(("board", "arena_bytes"), _boards_with_ports())
def test_port_memories_are_the_catalog_boards(board: str, arena_bytes: int) -> None:
    """The whole internal flash, SRAM and external memory a port's linker script maps are the ones the catalog
    board (and its datasheet) gives, so the plan's placement is what the runner's slots can hold."""
    if shutil.which("arm-none-eabi-g++") is None:
        pytest.skip("the firmware toolchain is not here")
    elf = runner_elf(board)
    image = FirmwareImage(elf)
    catalog = _core.load_board(board, str(CATALOG))
    sizes = {m.kind: m.size_bytes for m in catalog.memories if m.kind in _PORT_MEMORIES}
    sizes["sram"] = next(m.size_bytes for m in catalog.memories if m.name == catalog.sram_memory)
    for kind, size in sizes.items():
        symbol = _PORT_MEMORIES.get(kind, "__tinyops_memory_sram_bytes")
        assert image.symbol(symbol)[0] == size, f"{elf}: {symbol} vs latency_model/boards/{board}.yaml {kind}"
    slots = runner_slots(elf)
    assert 0 < slots.flash_bytes < sizes["flash"] and slots.blob_bytes + slots.input_bytes < sizes["external"]
