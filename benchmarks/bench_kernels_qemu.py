"""Instructions per MAC of the firmware's int8 kernels on the Cortex-M7 build, counted exactly under QEMU.

Runs firmware/app/bench_kernels.cpp (built for qemu-mps2-an500 with arm-none-eabi-gcc -O3) under
``qemu-system-arm -M mps2-an500 -icount shift=0`` with the project's instruction-counting TCG plugin
(firmware/tools/qemu_insn_count), which records the running instruction total each time the firmware
enters ``tinyops_bench_begin`` / ``tinyops_bench_end``; the kernel call lies between the two, and the
count of an empty span (the markers' own instructions) is subtracted. Prints the table; asserts nothing.

    .venv/bin/python benchmarks/bench_kernels_qemu.py [--build-dir build/fw-qemu-mps2-an500] [--profile N]

--profile N adds a flat profile of the whole run (the plugin's per-address counts): instructions per
function, and the N most executed instructions with their disassembly, to see where a kernel spends them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

REPO = Path(__file__).resolve().parents[1]
MARKERS = ("tinyops_bench_begin", "tinyops_bench_end")

# Targets of issue 3 and Arm CMSIS-NN built the same way (instructions per MAC), per kernel family.
REFERENCE_POINTS = {
    "conv1x1": ("<= 1.5", "1.73-2.24"),
    "dw3x3": ("<= 6", "8.5-8.7"),
    "dw5x5": ("<= 5", "-"),  # issue 13
    "dw7x7": ("<= 5", "-"),
    "conv3x3": ("<= 4", "4.66"),
    "mulgate": ("-", "-"),  # issue 13: squeeze-and-excite's gate, per element
    "concat": ("-", "-"),  # issue 13: per output element (a copy each)
}


@dataclass
class CaseResult:
    name: str
    macs: int
    reference_instructions: int
    optimized_instructions: int


def build_firmware(build_dir: Path) -> None:
    cmake = REPO / ".venv/bin/cmake"
    if not (build_dir / "build.ninja").exists():
        subprocess.run(
            [
                str(cmake),
                "-S",
                str(REPO / "firmware/ports/qemu-mps2-an500"),
                "-B",
                str(build_dir),
                "-G",
                "Ninja",
                f"-DCMAKE_MAKE_PROGRAM={REPO / '.venv/bin/ninja'}",
                "-DCMAKE_BUILD_TYPE=Release",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run([str(cmake), "--build", str(build_dir), "-j", "2"], check=True, stdout=subprocess.DEVNULL)
    if not (build_dir / "bench_kernels.elf").exists():
        sys.exit(
            f"bench_kernels_qemu: {build_dir}/bench_kernels.elf was not built "
            "(the runtime core, firmware/CMakeLists.txt, is missing)"
        )


def symbol_addresses(elf_path: Path, names: tuple[str, ...]) -> dict[str, int]:
    with elf_path.open("rb") as stream:
        symtab = ELFFile(stream).get_section_by_name(".symtab")
        found = {}
        for name in names:
            symbols = symtab.get_symbol_by_name(name)
            if not symbols:
                sys.exit(f"bench_kernels_qemu: symbol {name} not in {elf_path}")
            found[name] = symbols[0]["st_value"] & ~1  # Thumb bit
        return found


def run_under_qemu(build_dir: Path, profile_top: int = 0) -> tuple[str, list[tuple[str, int]], dict[int, int]]:
    elf = build_dir / "bench_kernels.elf"
    plugin = build_dir / "libinsn_count.so"
    addresses = symbol_addresses(elf, MARKERS)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "insn_count.txt"
        plugin_arguments = ",".join(
            [str(plugin)]
            + [f"mark={name}:{address:#x}" for name, address in addresses.items()]
            + ([f"profile={1 << 20}"] if profile_top else [])
            + [f"outfile={report}"]
        )
        completed = subprocess.run(
            [
                "qemu-system-arm",
                "-M",
                "mps2-an500",
                "-nographic",
                "-monitor",
                "none",
                "-serial",
                "null",
                "-semihosting-config",
                "enable=on,target=native",
                "-icount",
                "shift=0",
                "-kernel",
                str(elf),
                "-plugin",
                plugin_arguments,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if completed.returncode != 0:
            sys.exit(
                f"bench_kernels_qemu: firmware exited with {completed.returncode}:\n{completed.stdout}"
                f"{completed.stderr}"
            )
        text = report.read_text()
        marks = [(m.group(1), int(m.group(2))) for m in re.finditer(r"^mark (\S+) \d+ (\d+)$", text, re.MULTILINE)]
        profile = {
            int(m.group(1), 16): int(m.group(2)) for m in re.finditer(r"^insn (0x[0-9a-f]+) (\d+)$", text, re.MULTILINE)
        }
    return completed.stdout, marks, profile


def pair_cases(console: str, marks: list[tuple[str, int]]) -> list[CaseResult]:
    cases = [(m.group(1), int(m.group(2))) for m in re.finditer(r"^bench: case (\S+) (\d+)$", console, re.MULTILINE)]
    spans = []
    for (begin_name, begin), (end_name, end) in zip(marks[0::2], marks[1::2]):
        if (begin_name, end_name) != MARKERS:
            sys.exit(f"bench_kernels_qemu: marks out of order: {begin_name}, {end_name}")
        spans.append(end - begin)
    if len(spans) != 1 + 2 * len(cases):
        sys.exit(f"bench_kernels_qemu: {len(cases)} cases but {len(spans)} measured spans")
    overhead, spans = spans[0], spans[1:]  # the empty span: the markers' own instructions
    return [
        CaseResult(name, macs, spans[2 * i] - overhead, spans[2 * i + 1] - overhead)
        for i, (name, macs) in enumerate(cases)
    ]


def print_table(results: list[CaseResult]) -> None:
    print("Instructions per MAC, Cortex-M7 build (arm-none-eabi-gcc -O3), QEMU mps2-an500 -icount shift=0,")
    print("counted exactly by the insn_count TCG plugin\n")
    header = f"{'kernel / shape':<24} {'MACs':>9} {'reference':>10} {'optimized':>10} {'speed-up':>9} {'target':>8} {'CMSIS-NN':>10}"
    print(header)
    print("-" * len(header))
    for r in results:
        target, cmsis = REFERENCE_POINTS[r.name.split("_")[0]]
        print(
            f"{r.name:<24} {r.macs:>9} {r.reference_instructions / r.macs:>10.2f} "
            f"{r.optimized_instructions / r.macs:>10.2f} {r.reference_instructions / r.optimized_instructions:>8.2f}x "
            f"{target:>8} {cmsis:>10}"
        )


def print_profile(elf_path: Path, profile: dict[int, int], top: int) -> None:
    """Instructions per function over the whole run, then the `top` hottest instructions, disassembled."""
    functions = []
    for line in subprocess.run(
        ["arm-none-eabi-nm", "-S", "-C", "--defined-only", str(elf_path)], capture_output=True, text=True, check=True
    ).stdout.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4 and fields[2] in "tTwW":
            functions.append(
                (
                    int(fields[0], 16) & ~1,
                    int(fields[1], 16),
                    fields[3].replace("(anonymous namespace)", "{anon}").split("(")[0],
                )
            )
    disassembly = {}
    for line in subprocess.run(
        ["arm-none-eabi-objdump", "-d", "-C", "--no-show-raw-insn", str(elf_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines():
        match = re.match(r"\s+([0-9a-f]+):\s+(.*)", line)
        if match:
            disassembly[int(match.group(1), 16)] = match.group(2).split("@")[0].split("<")[0].strip()[:40]

    def function_of(address: int) -> str:
        for start, size, name in sorted(functions):
            if start <= address < start + size:
                return name
        return "?"

    per_function: dict[str, int] = {}
    for address, count in profile.items():
        per_function[function_of(address)] = per_function.get(function_of(address), 0) + count
    print("\nInstructions per function (whole run, all cases):")
    for name, count in sorted(per_function.items(), key=lambda item: -item[1])[:12]:
        print(f"{count:>12}  {name}")
    print(f"\nThe {top} most executed instructions:")
    for address, count in sorted(profile.items(), key=lambda item: -item[1])[:top]:
        print(f"{count:>12}  {address:#07x}  {disassembly.get(address, ''):<40} {function_of(address)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build/fw-qemu-mps2-an500")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print a flat profile with the N most executed instructions",
    )
    args = parser.parse_args()
    build_firmware(args.build_dir)
    console, marks, profile = run_under_qemu(args.build_dir, args.profile)
    if "bench: done" not in console:
        sys.exit(f"bench_kernels_qemu: the firmware did not finish cleanly:\n{console}")
    print_table(pair_cases(console, marks))
    if args.profile:
        print_profile(args.build_dir / "bench_kernels.elf", profile, args.profile)


if __name__ == "__main__":
    main()
