"""Derived Cortex-M7/M4 cycles: LLVM's scheduling models on known blocks, and one op's run under QEMU whose
windowed profile accounts for exactly the instructions the runner's run marks enclose."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tinyops.hil._derived import PORT, block_cycles, derive_run

pytestmark = pytest.mark.skipif(shutil.which("llvm-mca") is None, reason="llvm-mca not installed (scripts/setup.sh)")


def test_llvm_mca_times_blocks_per_core() -> None:
    independent = ("add.w r0, r0, #1", "add.w r1, r1, #1", "add.w r2, r2, #1", "add.w r3, r3, #1")
    assert block_cycles(independent, "cortex-m7") == pytest.approx(2.0, abs=0.05)  # dual issue
    assert block_cycles(independent, "cortex-m4") == pytest.approx(4.0, abs=0.05)  # single issue
    # The writeback load form objdump prints with .w (LLVM 14 reads it without) and an IT block are taken.
    assert block_cycles(("ldr.w sl, [r7], #4", "smlad r0, r2, r9, r0", "it ne", "addne r1, #1"), "cortex-m7")
    assert block_cycles(("not an instruction",), "cortex-m7") is None


def test_one_op_run_is_accounted_instruction_for_instruction() -> None:
    from tinyops.compiler._qemu import runner_elf
    from tinyops.hil._microbench import calibration_set
    from tinyops.hil._pipeline import compile_model, load_board

    try:
        elf = runner_elf(PORT)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    plugin = elf.parent / "libinsn_count.so"
    if not plugin.is_file():
        pytest.skip(f"{plugin} not built (make -f firmware/Makefile.inc firmware-build builds it)")
    bench = next(
        b
        for b in calibration_set(strategies=("internal",), partition_sweep=False)
        if b.name == "conv1x1-6x6x8-8@internal"
    )
    compiled = compile_model(bench.model, load_board(PORT), "internal")
    image = np.zeros(bench.model.tensors[bench.model.input].shape, dtype=np.int8)
    run = derive_run(compiled.blob, image, plugin, elf)
    assert run.attributed_instructions == run.run_instructions > 10_000  # the window: run_model, nothing else
    assert run.unmodelled_instructions == 0
    m7, m4 = run.cycles["cortex-m7"], run.cycles["cortex-m4"]
    assert 0.5 * run.run_instructions < m7 < m4 < 2.0 * run.run_instructions
