"""Regenerate simulator_golden.json: the simulator's results on the built-in example networks, recorded so that
tests/cpp/test_simulator_golden.cpp can tell when a change moves any figure.

Run it only when a change to the cost model or a planner is MEANT to change results, and say so in the commit:
    .venv/bin/python tests/cpp/data/make_simulator_golden.py
Per case (network x board x strategy) it records whether the plan fits, a 64-bit FNV-1a hash of the plan's JSON
(so a planner optimization must give the same plan, byte for byte), the totals, and per op column the plain
sum and the op-index-weighted sum (sum of (i + 1) * value, in op order), which catches a figure moving between
ops. Floats are written with repr, so they reload bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinyops import _core
from tinyops.latency_model import examples, load_arch, load_board

NETWORKS = {
    "mbv2-w1.00-r224": examples.mobilenet_v2(1.0, 224),
    "mbv3-w1.00-r224": examples.mobilenet_v3(1.0, 224),
    "mnasnet-w1.00-r224": examples.mnasnet(1.0, 224),
    **{name: make() for name, make in examples.BUILTIN.items()},
    "mbv3-w0.35-r96": examples.mobilenet_v3(0.35, 96),
}
BOARDS = ["stm32f746g-disco", "stm32f469i-disco", "stm32h747i-disco", "qemu-mps2-an500"]
COLUMNS = [
    "parts",
    "start",
    "end",
    "compute_cycles",
    "stall_cycles",
    "exposed_dma_cycles",
    "overhead_cycles",
    "dma_cycles",
    "dma_bytes",
    "external_bytes",
]
ROW_KEYS = {"start": "start_cycles", "end": "end_cycles"}


def fnv1a64(text: str) -> str:
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def case(arch: dict, board: _core.Board, strategy: str) -> dict:
    net = load_arch(arch)
    plan = _core.plan(net, board, strategy)
    out: dict = {"fits": bool(plan.fits), "plan_fnv1a64": fnv1a64(plan.to_json())}
    if not plan.fits:
        return out
    r = _core.simulate(net, plan, board, False)
    out.update(
        total_cycles=r.total_cycles,
        peak_sram_bytes=r.peak_sram_bytes,
        external_dma_bytes=r.external_dma_bytes,
        external_cpu_bytes=r.external_cpu_bytes,
        ops=len(r.per_op),
    )
    for col in COLUMNS:
        values = [row[ROW_KEYS.get(col, col)] for row in r.per_op]
        total = weighted = 0 if isinstance(values[0], int) else 0.0
        for i, v in enumerate(values):
            total += v
            weighted += (i + 1) * v
        out[col] = [total, weighted]
    return out


def main() -> None:
    cases = []
    for board_name in BOARDS:
        board = load_board(board_name)
        for net_name, arch in NETWORKS.items():
            for strategy in _core.strategies():
                cases.append(
                    {"network": net_name, "board": board_name, "strategy": strategy, **case(arch, board, strategy)}
                )
    golden = {"networks": NETWORKS, "columns": COLUMNS, "cases": cases}
    path = Path(__file__).with_name("simulator_golden.json")
    path.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
