"""Where each strategy's constants run from on the QEMU ports (issue 11, placement), and what that costs.

Per strategy that fits the shared ProxylessNAS r064 model on a QEMU board, this compiles the model, splits the
.blob file into the part loaded into the runner's blob slot (external memory) and its flash image (the runner's
flash slot in internal flash), counts the weight/bias/quant bytes each holds, runs one image in the port's
runner and prints the run's ticks and whether its logits are TFLite Micro's bit for bit. `internal` is the
MCUNet / TFLM deployment: its blob slot should hold no constant at all. QEMU gives no memory wait states, so
the placement moves addresses, not time. Nothing is asserted.

    .venv/bin/python benchmarks/bench_placement_qemu.py [--port qemu-mps2-an505]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

R064 = Path(__file__).resolve().parents[1].parent / "shared/models/tflite/proxyless-w0.30-r064_int8.tflite"


def main() -> None:
    from tinyops import _core
    from tinyops.compiler import PlanDoesNotFit, _interpreters, compile_model
    from tinyops.compiler._blob import read_blob, split_blob
    from tinyops.compiler._qemu import run_blob_in_qemu, runner_elf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default="qemu-mps2-an500", help="a QEMU port (its catalog board plans)")
    parser.add_argument("--model", type=Path, default=R064)
    args = parser.parse_args()
    elf = runner_elf(args.port)
    image = np.random.default_rng(0).integers(-128, 128, size=(64, 64, 3), dtype=np.int8)
    expected = _interpreters.tflite_micro(args.model)(image[None])[0].reshape(-1)
    print(f"{args.model.name} on {args.port} (runner {elf})")
    print(f"{'strategy':10s}{'blob slot B':>13s}{'of it consts':>14s}{'flash slot B':>14s}{'ticks':>12s}  bit-exact")
    for strategy in _core.strategies():
        try:
            compiled = compile_model(args.model, args.port, strategy)
        except PlanDoesNotFit as exc:
            print(f"{strategy:10s}  does not fit: {exc}")
            continue
        blob, flash = split_blob(compiled.blob)
        run = run_blob_in_qemu(compiled.blob, image, port=args.port, elf=elf)
        exact = "yes" if np.array_equal(run.output, expected) else "NO"
        constants = read_blob(blob).ConstantsLength()
        print(f"{strategy:10s}{len(blob):13,d}{constants:14,d}{len(flash):14,d}{run.total:12,d}  {exact}")


if __name__ == "__main__":
    main()
