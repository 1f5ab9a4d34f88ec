"""Cortex-M7 / Cortex-M4 kernel cycles derived, not guessed: what QEMU executes, timed by LLVM's scheduling models.

For one compiled model on the an500 runner (the same Armv7E-M Thumb-2 + DSP code a Cortex-M7 or M4 board
runs):
  1. QEMU runs it with the project's TCG plugin (firmware/tools/qemu_insn_count, `profile=` with
     `window=begin:end`): how often each instruction address executed between the runner's
     `tinyops_run_begin` / `tinyops_run_end` marks (run_model, not the loader or the console), exactly;
  2. the image's disassembly is cut into basic blocks (runs of instructions with one execution count, ended
     by a branch);
  3. each block's cycles are LLVM's: `llvm-mca -mtriple=thumbv7em -mcpu=cortex-m7` (or cortex-m4) on the
     block, steady state over 100 iterations (IT instructions, which llvm-mca does not take, are dropped:
     the M7 and M4 fold them); a block llvm-mca cannot read counts one cycle per instruction, and is counted;
  4. the run's cycles are the sum of block cycles x executions. Operands are in zero-wait-state SRAM here
     (the `internal` placement); the board's memories add their wait states in the simulator's stall terms.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PORT = "qemu-mps2-an500"
MCPUS = ("cortex-m7", "cortex-m4")
_BRANCH = re.compile(
    r"^(b|bl|blx|bx|cbz|cbnz|tbb|tbh)(\.[nw])?$|^b(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)"
    r"(\.[nw])?$"
)


@dataclass(frozen=True)
class Block:
    start: int
    count: int  # executions
    instructions: tuple[str, ...]


@dataclass(frozen=True)
class DerivedRun:
    run_instructions: int  # between the run marks (what the runner's own count measures)
    attributed_instructions: int  # in the blocks attributed to the run (should equal run_instructions)
    cycles: dict[str, float]  # mcpu -> derived cycles of the run
    unmodelled_instructions: int  # executed instructions in blocks llvm-mca could not read (1 cycle each)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (scripts/setup.sh installs it)")
    return path


@functools.lru_cache(maxsize=4)
def _disassembly(elf: Path) -> tuple[list[tuple[int, str, str]], tuple[int, int]]:
    """(address, instruction text, function) of every instruction, and the addresses of the two run marks."""
    text = subprocess.run(
        [_tool("arm-none-eabi-objdump"), "-d", "-C", "--no-show-raw-insn", str(elf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out, function, marks = [], "", {}
    for line in text.splitlines():
        head = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if head:
            function = head.group(2)
            if function in ("tinyops_run_begin", "tinyops_run_end"):
                marks[function] = int(head.group(1), 16)
            continue
        insn = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if insn:
            out.append((int(insn.group(1), 16), insn.group(2).split("@")[0].strip(), function))
    if len(marks) != 2:
        raise ValueError(f"{elf}: no tinyops_run_begin / tinyops_run_end marks (not a runner image)")
    return out, (marks["tinyops_run_begin"], marks["tinyops_run_end"])


def profile(
    blob: bytes, image: np.ndarray, plugin: Path, elf: Path, timeout_s: float = 300.0
) -> tuple[dict[int, int], int]:
    """Executions per instruction address of one run of `blob` under QEMU, and the run's instructions."""
    from tinyops.compiler._qemu import blob_run_command

    _, (begin, end) = _disassembly(elf)
    with tempfile.TemporaryDirectory(prefix="tinyops-derive-") as tmp:
        report = Path(tmp) / "profile.txt"
        args = f"profile=1000000,mark=begin:{begin:#x},mark=end:{end:#x},window=begin:end,outfile={report}"
        command = blob_run_command(
            blob,
            image,
            PORT,
            elf,
            Path(tmp),
            plugin=f"{plugin},{args}",
            plugin_log=True,
            executable=_tool("qemu-system-arm"),
        )
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        if done.returncode != 0 or not report.is_file():
            raise RuntimeError(f"QEMU with {plugin.name} exited with {done.returncode}: {done.stdout[-400:]}")
        lines = report.read_text().splitlines()
    counts = {int(a, 16): int(c) for kind, a, c in (line.split()[:3] for line in lines if line.startswith("insn "))}
    marks = {line.split()[1]: int(line.split()[3]) for line in lines if line.startswith("mark ")}
    if set(marks) != {"begin", "end"}:
        raise RuntimeError(f"{plugin.name}: the run marks did not both execute ({sorted(marks)})")
    return counts, marks["end"] - marks["begin"]


def run_blocks(elf: Path, counts: dict[int, int]) -> list[Block]:
    """The executed basic blocks (runs of one execution count, ended by a branch)."""
    blocks: list[Block] = []
    current: list[tuple[int, str]] = []
    current_count = 0

    def close() -> None:
        if current:
            blocks.append(Block(current[0][0], current_count, tuple(t for _, t in current)))
            current.clear()

    for address, text, _function in _disassembly(elf)[0]:
        count = counts.get(address, 0)
        if not count:
            close()
            continue
        if current and count != current_count:
            close()
        current.append((address, text))
        current_count = count
        mnemonic = text.split()[0] if text else ""
        if _BRANCH.match(mnemonic) or re.match(r"^(pop|ldm)", mnemonic) and "pc" in text:
            close()
    close()
    return blocks


def _mca_lines(instructions: tuple[str, ...]) -> list[str]:
    lines = []
    for text in instructions:
        if re.match(r"^it[te]{0,3}\s", text):
            continue  # IT: folded by the M7 and M4 pipelines; llvm-mca does not take it
        text = re.sub(r"\s+[0-9a-f]+ <[^>]*>", " .Ltarget", text).replace("\t", " ")
        if re.match(r"^(ldr|str)\w*\.w\s.*(\],\s*#|\]!)", text):  # LLVM 14 reads the writeback forms without .w
            text = re.sub(r"^(\w+)\.w", r"\1", text)
        lines.append(text)
    return lines


_MCA_HEAD = [".syntax unified", ".thumb", ".Ltarget:"]


def _llvm_mca(source: list[str], mcpu: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_tool("llvm-mca"), "-mtriple=thumbv7em-none-eabi", f"-mcpu={mcpu}", "-iterations=100"],
        input="\n".join(source) + "\n",
        capture_output=True,
        text=True,
    )


_CYCLES: dict[tuple[tuple[str, ...], str], float | None] = {}


def block_cycles(instructions: tuple[str, ...], mcpu: str) -> float | None:
    """LLVM's steady-state cycles for one execution of the block on `mcpu`, or None when it cannot read it."""
    if (instructions, mcpu) not in _CYCLES:
        done = _llvm_mca(_MCA_HEAD + _mca_lines(instructions), mcpu)
        match = re.search(r"Total Cycles:\s+(\d+)", done.stdout)
        _CYCLES[instructions, mcpu] = int(match.group(1)) / 100 if done.returncode == 0 and match else None
    return _CYCLES[instructions, mcpu]


def _time_blocks(blocks: list[tuple[str, ...]], mcpu: str) -> None:
    """Fill the cache for many blocks in one llvm-mca run (one code region each); a run that fails on some
    block leaves them to `block_cycles`, one by one."""
    todo = list(dict.fromkeys(b for b in blocks if (b, mcpu) not in _CYCLES))
    if not todo:
        return
    source = list(_MCA_HEAD)
    for i, instructions in enumerate(todo):
        source += [f"@ LLVM-MCA-BEGIN b{i}", *_mca_lines(instructions), f"@ LLVM-MCA-END b{i}"]
    done = _llvm_mca(source, mcpu)
    found = re.findall(r"Code Region - b(\d+)\s.*?Total Cycles:\s+(\d+)", done.stdout, re.S)
    if done.returncode == 0 and len(found) == len(todo):
        for index, total in found:
            _CYCLES[todo[int(index)], mcpu] = int(total) / 100


def derive_run(blob: bytes, image: np.ndarray, plugin: Path, elf: Path, mcpus: tuple[str, ...] = MCPUS) -> DerivedRun:
    counts, run_instructions = profile(blob, image, plugin, elf)
    blocks = run_blocks(elf, counts)
    cycles = {mcpu: 0.0 for mcpu in mcpus}
    unmodelled = 0
    for mcpu in mcpus:
        _time_blocks([b.instructions for b in blocks], mcpu)
    for block in blocks:
        for mcpu in mcpus:
            per = block_cycles(block.instructions, mcpu)
            if per is None:
                per = float(len(block.instructions))
                unmodelled += block.count * len(block.instructions) if mcpu == mcpus[0] else 0
            cycles[mcpu] += per * block.count
    attributed = sum(b.count * len(b.instructions) for b in blocks)
    return DerivedRun(run_instructions, attributed, cycles, unmodelled)


def derived_samples(
    every: int = 1,
    mcpus: tuple[str, ...] = MCPUS,
    on_case=None,  # type: ignore[no-untyped-def]
) -> dict[str, list]:
    """Per mcpu, one OpSample per single-op case of the calibration set (internal placement, every n-th):
    the op's cost-model features and its derived cycles (the run's: the op and the executor around it)."""
    from tinyops.compiler._qemu import runner_elf
    from tinyops.hil._microbench import calibration_set
    from tinyops.hil._pipeline import compile_model, load_board
    from tinyops.latency_model._calibration import OpSample

    board = load_board(PORT)
    elf = runner_elf(PORT)
    plugin = elf.parent / "libinsn_count.so"
    if not plugin.is_file():
        raise FileNotFoundError(
            f"{plugin}: the instruction-counting plugin is not built "
            f"(cmake --build {elf.parent} --target insn_count_plugin)"
        )
    samples: dict[str, list] = {mcpu: [] for mcpu in mcpus}
    for bench in calibration_set(strategies=("internal",), partition_sweep=False)[::every]:
        compiled = compile_model(bench.model, board, "internal")
        costed = [(k, f) for k, f in zip(compiled.kernel_kinds, compiled.op_features) if f]
        if len(costed) != 1:
            continue  # several ops: one profile cannot tell them apart
        ((kind, features),) = costed
        image = np.zeros(bench.model.tensors[bench.model.input].shape, dtype=np.int8)
        run = derive_run(compiled.blob, image, plugin, elf, mcpus)
        for mcpu in mcpus:
            samples[mcpu].append(OpSample(kind, features, 0, run.cycles[mcpu], bench.case, bench.name))
        if on_case is not None:
            on_case(bench.name, kind, run)
    return samples


def core_mcpu(board: object) -> str:
    """The llvm-mca CPU of a board's core (cpu.core: cortex-m7, cortex-m4 or cortex-m4f)."""
    import yaml

    core = str(yaml.safe_load(board.to_yaml())["cpu"]["core"])  # type: ignore[attr-defined]
    for mcpu in MCPUS:
        if core.startswith(mcpu):
            return mcpu
    raise ValueError(f"{board.name}: cpu.core '{core}': cycles can be derived for {', '.join(MCPUS)} only")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DerivedBoard:
    board: str
    mcpu: str
    path: Path
    fit: object  # latency_model._calibration.Calibration


def derive_boards(
    board_names: list[str],
    every: int,
    out_dir: Path | None,
    ref_note: str = "",
    test_share: float = 0.25,
    seed: int = 0,
) -> list[DerivedBoard]:
    """Derive the kernel costs of real boards (Cortex-M7 / M4) and write each board's next version, with
    provenance `derived`, to `out_dir` (None: over the catalog's file)."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs
    from tinyops.hil._calibrate import fitted_board_text
    from tinyops.hil._pipeline import load_board
    from tinyops.latency_model import BOARDS_DIR
    from tinyops.latency_model._calibration import fit_kernel_costs

    boards = [load_board(name) for name in board_names]
    mcpus = tuple(dict.fromkeys(core_mcpu(b) for b in boards))
    samples = derived_samples(every, mcpus)
    fits = {
        mcpu: fit_kernel_costs(
            samples[mcpu], fit_copy_cost=False, test_share=test_share, seed=seed, skip_undetermined=True
        )
        for mcpu in mcpus
    }
    written = []
    for board in boards:
        mcpu = core_mcpu(board)
        fit = fits[mcpu]
        ref = (
            f"derived: {mcpu} cycles of the firmware's own code = executions per basic block (QEMU mps2-an500, "
            f"insn_count plugin, run window) x the block's cycles in llvm-mca -mcpu={mcpu} (LLVM's scheduling "
            f"model); NNLS fit to {fit.train_ops} single-op cases (every {every}th of the calibration set, "
            f"operands in zero-wait SRAM; the board's memories add their wait states as stalls); held-out "
            f"{fit.test_ops} ops: MAPE {fit.mape:.2f} %" + (f"; {ref_note}" if ref_note else "")
        )
        source = BOARDS_DIR / f"{board.name}.yaml"
        text = fitted_board_text(source.read_text(), fit, ref, source="derived")  # type: ignore[arg-type]
        path = (out_dir / f"{board.name}-v{board.version + 1}.yaml") if out_dir is not None else source
        _core.board_from_yaml(text, str(path))  # the new version validates like any board file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(DerivedBoard(board.name, mcpu, path, fit))
    return written
